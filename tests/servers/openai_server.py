"""A loopback fake of the OpenAI Chat Completions API, faithful enough for the real ``openai`` client.

It stands in for hosted providers and for OpenAI-compatible local servers (vLLM, llama.cpp,
DeepSeek's API) in tests. What it gets right, because llmbench depends on it: bearer-token auth
with OpenAI-shaped error bodies (which never echo the key), ``usage`` including
``prompt_tokens_details.cached_tokens`` and ``completion_tokens_details.reasoning_tokens``,
reasoning text in ``reasoning_content`` (DeepSeek/vLLM) or ``reasoning`` (OpenRouter/Ollama), SSE
streaming with ``stream_options.include_usage``, and scriptable 429/5xx failures with headers
such as ``Retry-After`` so retry logic can be tested without a network.

Two modes model llama-cpp-python's server (``python -m llama_cpp.server``), checked against it:
``stream_usage=False`` sends no ``usage`` in streams even when ``include_usage`` is asked for (non-streamed
answers still carry it), and ``interrupt_streams=True`` ends a running stream with ``data: [DONE]`` and no
``finish_reason`` as soon as another chat request arrives (its ``interrupt_requests`` setting, on by
default: it checks after each chunk it sends). ``props`` serves llama.cpp's ``GET /props``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tests.servers._http import BackgroundServer, CallLog, FakeHandler, LoggedCall, dump_json, split_pieces

__all__ = [
    "CallLog",
    "FakeOpenAI",
    "LoggedCall",
    "OAReply",
    "OARequest",
    "OAResponder",
    "default_error_body",
    "default_oa_responder",
    "openai_error",
]

PER_MESSAGE_TOKENS = 3
"""Chat-format overhead OpenAI bills per message (plus the same again to prime the reply)."""
CREATED = 1_700_000_000


@dataclass
class OARequest:
    """What a responder sees of a ``/v1/chat/completions`` request; ``body`` is the full JSON."""

    model: str
    messages: list[dict[str, Any]]
    stream: bool
    body: dict[str, Any]

    @property
    def last_user_message(self) -> str:
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return _message_text(message)
        return ""


@dataclass
class OAReply:
    """A scripted completion. ``None`` token counts are filled in deterministically by the server.

    ``status != 200`` turns the reply into an error response carrying ``error_body`` (or a default
    OpenAI-style body for that status) and ``headers``; ``headers`` are also sent on success (e.g.
    ``x-ratelimit-remaining-requests``). ``first_token_delay_s`` is slept before the first byte,
    ``delay_s`` is the generation time (spread across stream chunks).
    """

    content: str = ""
    reasoning_content: str | None = None
    reasoning_field: Literal["reasoning_content", "reasoning"] = "reasoning_content"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None
    finish_reason: str = "stop"
    delay_s: float = 0.0
    first_token_delay_s: float = 0.0
    status: int = 200
    headers: dict[str, str] | None = None
    error_body: dict[str, Any] | None = None


OAResponder = Callable[[OARequest], OAReply]


def default_oa_responder(request: OARequest) -> OAReply:
    """Deterministic echo of the last user message, with no reasoning."""
    return OAReply(content=f"Answer to: {request.last_user_message}")


def openai_error(
    message: str, type_: str = "invalid_request_error", code: str | None = None
) -> dict[str, Any]:
    """An OpenAI-shaped error body: ``{"error": {"message", "type", "code"}}``."""
    return {"error": {"message": message, "type": type_, "code": code}}


def default_error_body(status: int) -> dict[str, Any]:
    """The body OpenAI typically sends for ``status`` (used when a failure has no explicit body)."""
    if status == 401:
        return openai_error("Incorrect API key provided", code="invalid_api_key")
    if status == 429:
        return openai_error("Rate limit reached for requests", "requests", "rate_limit_exceeded")
    if status in (502, 503):
        return openai_error("The engine is currently overloaded, please try again later.", "server_error")
    if status >= 500:
        return openai_error(
            "The server had an error while processing your request. Sorry about that!", "server_error"
        )
    return openai_error(f"Request failed with status {status}")


def _message_text(message: Mapping[str, Any]) -> str:
    """Text of a message whose content is a string or a list of ``{"type": "text"}`` parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


class _APIError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class FakeOpenAI(BackgroundServer):
    """OpenAI-compatible server on ``127.0.0.1`` (random port by default) in a daemon thread.

    ``models`` maps model ids to responders (``None`` values mean :func:`default_oa_responder`); a
    plain list of ids uses the default responder for each; ``None`` serves ``gpt-4o-mini`` only.
    ``api_key=None`` disables auth, like a local vLLM/llama.cpp server. ``url`` ends in ``/v1`` and
    is the ``base_url`` for ``openai.OpenAI``.
    """

    def __init__(
        self,
        models: Mapping[str, OAResponder | None] | list[str] | None = None,
        api_key: str | None = "sk-test",
        system_fingerprint: str = "fp_test123",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        stream_usage: bool = True,
        interrupt_streams: bool = False,
        props: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(host, port)
        self.api_key = api_key
        self.stream_usage = stream_usage
        self.interrupt_streams = interrupt_streams
        self._arrivals = 0  # chat requests received: a stream started before the latest one is cut
        self.interrupted = 0  # streams cut that way
        self.props = props  # served at GET /props, as llama.cpp's server does (model_path, build_info...)
        self.system_fingerprint = system_fingerprint
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._failures: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        if models is None:
            models = ["gpt-4o-mini"]
        pairs = models.items() if isinstance(models, Mapping) else ((name, None) for name in models)
        self._models: dict[str, OAResponder] = {name: fn or default_oa_responder for name, fn in pairs}

    # -- public API ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL such as ``http://127.0.0.1:54321/v1``."""
        return f"{self.root_url}/v1"

    @property
    def models(self) -> list[str]:
        with self._lock:
            return list(self._models)

    @property
    def chat_calls(self) -> list[LoggedCall]:
        return [call for call in self.log if call.path == "/v1/chat/completions"]

    def set_model(self, name: str, responder: OAResponder | None = None) -> None:
        """Add or replace a model id and its responder."""
        with self._lock:
            self._models[name] = responder or default_oa_responder

    def remove_model(self, name: str) -> None:
        with self._lock:
            del self._models[name]

    def fail_next(
        self,
        n: int,
        status: int,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Make the next ``n`` chat requests (after auth) fail with ``status``, ``body``, ``headers``.

        E.g. ``fail_next(1, 429, headers={"Retry-After": "1"})`` or ``fail_next(2, 503)``.
        """
        with self._lock:
            self._failures.extend([(status, body or default_error_body(status), dict(headers or {}))] * n)

    # -- dispatch --------------------------------------------------------------------------------

    def dispatch(self, handler: FakeHandler) -> None:
        route, method = handler.route.rstrip("/") or "/", handler.command
        raw = handler.read_body()
        record = LoggedCall(path=route, method=method, body=None, headers=handler.request_headers())
        self.log.append(record)
        try:
            if route.startswith("/v1/"):
                self._authenticate(handler)
            if method == "GET" and route == "/props" and self.props is not None:
                self._send(handler, record, 200, self.props)
            elif method == "GET" and route == "/v1/models":
                self._send(handler, record, 200, self._model_list())
            elif method == "GET" and route.startswith("/v1/models/"):
                self._send(handler, record, 200, self._model_object(route.removeprefix("/v1/models/")))
            elif method == "POST" and route == "/v1/chat/completions":
                record.body = self._parse_body(raw)
                self._chat(handler, record)
            else:
                raise _APIError(404, openai_error(f"Invalid URL ({method} {handler.route})"))
        except _APIError as err:
            self._send(handler, record, err.status, err.body, err.headers)

    def _authenticate(self, handler: FakeHandler) -> None:
        if self.api_key is None:
            return
        if handler.headers.get("Authorization", "") != f"Bearer {self.api_key}":
            # Deliberately generic: never reflect the presented key back (it ends up in logs).
            raise _APIError(401, default_error_body(401))

    @staticmethod
    def _parse_body(raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _APIError(400, openai_error("We could not parse the JSON body of your request.")) from None
        if not isinstance(body, dict):
            raise _APIError(400, openai_error("The request body must be a JSON object."))
        return body

    @staticmethod
    def _send(
        handler: FakeHandler,
        record: LoggedCall,
        status: int,
        obj: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        # Log before writing so the test sees the record as soon as the client returns.
        record.status = status
        record.response_final = obj
        handler.send_json(status, obj, headers)

    def _responder(self, model: str) -> OAResponder:
        with self._lock:
            responder = self._models.get(model)
        if responder is None:
            raise _APIError(404, openai_error(f"The model `{model}` does not exist", code="model_not_found"))
        return responder

    def _model_object(self, name: str) -> dict[str, Any]:
        self._responder(name)
        return {"id": name, "object": "model", "created": CREATED, "owned_by": "system"}

    def _model_list(self) -> dict[str, Any]:
        return {"object": "list", "data": [self._model_object(name) for name in self.models]}

    # -- chat ------------------------------------------------------------------------------------

    def _chat(self, handler: FakeHandler, record: LoggedCall) -> None:
        body: dict[str, Any] = record.body or {}
        with self._lock:
            self._arrivals += 1
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            raise _APIError(*failure)

        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _APIError(400, openai_error("you must provide a model parameter"))
        responder = self._responder(model)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise _APIError(
                400,
                openai_error("Missing required parameter: 'messages'.", code="missing_required_parameter"),
            )
        stream = body.get("stream") is True
        stream_options = body.get("stream_options") if isinstance(body.get("stream_options"), dict) else {}
        include_usage = stream and bool(stream_options.get("include_usage")) and self.stream_usage

        request = OARequest(model, [dict(m) for m in messages if isinstance(m, dict)], stream, body)
        try:
            reply = responder(request)
        except Exception as exc:
            raise _APIError(500, openai_error(f"responder failed: {exc!r}", "server_error")) from None

        serial = next(self._ids)
        headers = {"x-request-id": f"req_{serial:012d}", **(reply.headers or {})}
        if reply.status != 200:
            time.sleep(reply.first_token_delay_s + reply.delay_s)
            raise _APIError(reply.status, reply.error_body or default_error_body(reply.status), headers)

        completion_id = f"chatcmpl-fake{serial:012d}"
        usage = _usage(reply, request.messages)
        if stream:
            self._stream(handler, record, completion_id, model, reply, usage, include_usage, headers)
            return
        time.sleep(reply.first_token_delay_s + reply.delay_s)
        message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
        if reply.reasoning_content is not None:
            message[reply.reasoning_field] = reply.reasoning_content
        completion = {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": self.system_fingerprint,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": reply.finish_reason}
            ],
            "usage": usage,
        }
        self._send(handler, record, 200, completion, headers)

    def _stream(
        self,
        handler: FakeHandler,
        record: LoggedCall,
        completion_id: str,
        model: str,
        reply: OAReply,
        usage: dict[str, Any],
        include_usage: bool,
        headers: dict[str, str],
    ) -> None:
        """SSE: role chunk, reasoning deltas, content deltas, finish chunk, [usage chunk], [DONE]."""
        base = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": self.system_fingerprint,
        }

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            obj = {
                **base,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            }
            if include_usage:
                obj["usage"] = None  # OpenAI sends an explicit null until the usage chunk
            return obj

        deltas = [{reply.reasoning_field: p} for p in split_pieces(reply.reasoning_content or "")]
        deltas += [{"content": p} for p in split_pieces(reply.content)]
        per_piece = reply.delay_s / len(deltas) if deltas else 0.0

        record.status = 200
        with self._lock:
            arrival = self._arrivals
        handler.start_chunked(
            200, "text/event-stream; charset=utf-8", {"Cache-Control": "no-cache", **headers}
        )
        time.sleep(reply.first_token_delay_s + (0.0 if deltas else reply.delay_s))
        self._write_event(handler, record, chunk({"role": "assistant", "content": "", "refusal": None}))
        for delta in deltas:
            if self.interrupt_streams and self._arrivals > arrival:
                with self._lock:
                    self.interrupted += 1
                handler.write_chunk(b"data: [DONE]\n\n")  # as llama-cpp-python: a clean end, no finish
                handler.end_chunked()
                return
            self._write_event(handler, record, chunk(delta))
            if per_piece:
                time.sleep(per_piece)
        finals = [chunk({}, reply.finish_reason)]
        if include_usage:
            finals.append({**base, "choices": [], "usage": usage})
        record.response_final = finals[-1]
        for obj in finals:
            self._write_event(handler, record, obj)
        handler.write_chunk(b"data: [DONE]\n\n")
        handler.end_chunked()

    @staticmethod
    def _write_event(handler: FakeHandler, record: LoggedCall, obj: dict[str, Any]) -> None:
        record.chunks.append(obj)
        handler.write_chunk(b"data: " + dump_json(obj) + b"\n\n")


def _usage(reply: OAReply, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """OpenAI ``usage``: the reply's counts where given, else token-like piece counts.

    As with OpenAI, ``completion_tokens`` *includes* ``reasoning_tokens``.
    """
    reasoning = (
        reply.reasoning_tokens
        if reply.reasoning_tokens is not None
        else len(split_pieces(reply.reasoning_content or ""))
    )
    completion = (
        reply.completion_tokens
        if reply.completion_tokens is not None
        else len(split_pieces(reply.content)) + reasoning
    )
    prompt = (
        reply.prompt_tokens
        if reply.prompt_tokens is not None
        else sum(len(split_pieces(_message_text(m))) + PER_MESSAGE_TOKENS for m in messages)
        + PER_MESSAGE_TOKENS
    )
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": reply.cached_tokens or 0},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }
