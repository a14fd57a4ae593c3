"""The OpenAI-compatible core shared by the `openai` and `litellm` providers.

One request builder, one stream reader and one completion builder, so what matters is written once:
the whole-call timeout, a stream cut before its final chunk (never stored as an answer), reasoning
from `reasoning_content`, `reasoning` or inline `<think>` tags, usage, and two quirks of local servers:

* **No usage in streams** (llama-cpp-python's server ignores `stream_options.include_usage`). The first
  complete stream without usage tells (until one has, a target streams one call at a time); from then on the target is asked without streaming, which gives
  the server's own exact counts (TTFT is then unknown: stored as empty, never 0). On a local server
  the detecting call itself is asked again without streaming, so every stored count is the server's;
  a hosted answer is never bought twice, so its counts stay empty and a warning says why.
* **Streams interrupted by a newer request** (llama-cpp-python's `interrupt_requests`, on by default).
  A stream that ends without its final chunk while another request of the target had started is
  diagnosed as such; the provider then sends its calls one at a time, and the retry policy retries
  such a call once, not `max_retries` times.

Subclasses only send: `_open_stream` (chunks, plus what the server really sent when the client
library rewrites the stream, as litellm does) and `_send_once` (a whole response).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from llmbench.errors import CallError, TargetUnavailable
from llmbench.providers.base import (
    Provider,
    classify_status,
    estimate_reasoning_tokens,
    merge_reasoning,
    messages_for,
    parse_retry_after,
)
from llmbench.records import Completion, GenerationParams, ModelIdentity, Prompt, TargetSpec

REASONING_FIELDS = ("reasoning_content", "reasoning")
INTERRUPTED_HINT = "this server interrupts a stream when another request arrives: lower `concurrency`"

log = logging.getLogger("llmbench")


@dataclass
class ServerSaid:
    """What the server sent that the client library may have rewritten (litellm invents a `stop`
    finish at `[DONE]` and counts usage itself when the server sends none)."""

    finished: bool = False
    usage: bool = False


@dataclass
class Reply:
    """One answer as read off the wire, before it becomes a Completion."""

    content: str = ""
    reasoning: str | None = None
    finish: str | None = None
    usage: Any = None
    served_model: str | None = None
    fingerprint: str | None = None
    response_id: str | None = None
    ttft: float | None = None
    timings: dict[str, Any] | None = None
    events: int = 0
    streamed: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


class OpenAICompatible(Provider):
    """Base of the OpenAI-protocol providers; see the module docstring for what it handles."""

    def __init__(self, spec: TargetSpec) -> None:
        super().__init__(spec)
        self.usage_in_streams: bool | None = None  # learned from the first complete stream
        self._started = 0  # requests started so far: tells a stream cut by a newer request
        self._in_flight = 0
        self._one_at_a_time: asyncio.Lock | None = None  # set once the server has interrupted a stream
        self._learning = asyncio.Lock()
        self._idle = asyncio.Event()  # no call of this target in flight

    # -- what subclasses provide ----------------------------------------------------------------------

    async def _open_stream(self, request: dict[str, Any]) -> tuple[AsyncIterator[Any], ServerSaid | None]:
        raise NotImplementedError

    async def _send_once(self, request: dict[str, Any]) -> Any:
        raise NotImplementedError

    def classify(self, exc: Exception) -> CallError:
        return openai_error(exc)

    def _drop_connections(self) -> None:
        """A call abandoned mid-answer (timeout, Ctrl-C): forget pooled connections that may still
        carry its response, where the client library would hand them to the next call."""

    @property
    def host(self) -> str | None:
        return self.spec.base_url

    # -- one request builder --------------------------------------------------------------------------

    def request(self, prompt: Prompt, params: GenerationParams) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.spec.model,
            "messages": messages_for(prompt),
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "seed": params.seed,
            "top_p": params.top_p,
        }
        if params.think is not None and params.think is not False:
            request["reasoning_effort"] = params.think if isinstance(params.think, str) else "medium"
        return {k: v for k, v in request.items() if v is not None}

    # -- one call -------------------------------------------------------------------------------------

    async def complete(self, prompt: Prompt, params: GenerationParams) -> Completion:
        request = self.request(prompt, params)
        async with self._turn():
            return await self._call(request, params)

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """One call at a time while a first stream shows whether usage comes with it (the others then
        take the right path at once), and for good once the server has interrupted a stream."""
        while True:
            learning = self.spec.stream and self.usage_in_streams is None
            lock = self._one_at_a_time or (self._learning if learning else None)
            if lock is None:
                yield
                return
            async with lock:
                if lock is self._one_at_a_time:
                    await self._idle.wait()  # calls that started before the lock existed finish first
                    yield
                    return
                if self._one_at_a_time is None:
                    yield
                    return
            # the server interrupted a stream while this call waited to learn: queue on the other lock

    async def _call(self, request: dict[str, Any], params: GenerationParams) -> Completion:
        self._started += 1
        number = self._started
        self._in_flight += 1
        self._idle.clear()
        started = time.perf_counter()
        try:
            # The clients' timeouts bound each read, not the call (a trickling stream never trips
            # them); `timeout` is documented per call, so bound the whole call.
            async with asyncio.timeout(self.spec.timeout_s):
                if self.spec.stream and self.usage_in_streams is not False:
                    reply = await self._stream(request, started, number)
                    if reply.usage is None:
                        reply = await self._no_usage_in_stream(reply, request)
                else:
                    reply = await self._once(request, started)
        except asyncio.CancelledError:
            self._drop_connections()
            raise
        except Exception as exc:
            error = self.classify(exc)
            if error.kind in ("timeout", "connection"):
                self._drop_connections()
            raise error from None
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
        return build_completion(reply, params, time.perf_counter() - started, self.host)

    async def _stream(self, request: dict[str, Any], started: float, number: int) -> Reply:
        chunks, said = await self._open_stream(request)
        reply = await read_stream(chunks, started)
        if said is not None:  # trust only what the server itself sent
            reply.finish = reply.finish if said.finished else None
            reply.usage = reply.usage if said.usage else None
        if reply.finish is None:
            # Every chat stream ends its last choice with a finish_reason; without one the text so far
            # is a fragment, never a complete answer.
            # Another request of this target in flight or started meanwhile: which of two requests
            # reaches the server first is not the order they were sent in, so either one counts.
            if self._started > number or self._in_flight > 1:
                self._serialise()
                raise CallError(
                    "interrupted",
                    f"the stream ended before its final chunk while another request arrived: {INTERRUPTED_HINT}"
                    " (llmbench now sends this target's calls one at a time)",
                    retryable=True,
                )
            what = f"{reply.events} event(s), no finish_reason" if reply.events else "no event at all"
            raise CallError(
                "bad_response", f"the stream ended before its final chunk ({what})", retryable=True
            )
        if self.usage_in_streams is None and reply.usage is not None:
            self.usage_in_streams = True
        return reply

    async def _no_usage_in_stream(self, reply: Reply, request: dict[str, Any]) -> Reply:
        """A complete stream without usage: ask without streaming from now on (exact counts)."""
        if self.usage_in_streams is None:
            log.warning(
                "%s: the server sends no token usage in streams; asking without streaming from now on "
                "(exact counts, time to first token unknown)",
                self.spec.name,
            )
        self.usage_in_streams = False
        if not self.local:
            # A hosted answer is paid: keep it, with its counts unknown, rather than buy it twice.
            reply.extra["usage"] = "the server sent no usage in its stream"
            return reply
        return await self._once(request, time.perf_counter())

    async def _once(self, request: dict[str, Any], started: float) -> Reply:
        response = await self._send_once(request)
        choice = first_choice(response)
        message = choice.message
        return Reply(
            content=message.content or "",
            reasoning=extra_field(message, REASONING_FIELDS),
            finish=choice.finish_reason,
            usage=getattr(response, "usage", None),
            served_model=getattr(response, "model", None),
            fingerprint=getattr(response, "system_fingerprint", None),
            response_id=getattr(response, "id", None),
            timings=_timings(response),
            streamed=False,
        )

    def _serialise(self) -> None:
        if self._one_at_a_time is None:
            log.warning("%s: %s; sending its calls one at a time", self.spec.name, INTERRUPTED_HINT)
            self._one_at_a_time = asyncio.Lock()

    # -- identity -------------------------------------------------------------------------------------

    def needs_key(self) -> TargetUnavailable | None:
        """Hosted APIs need a key before any call; local servers mostly take none."""
        if self.local or self.spec.api_key:
            return None
        return TargetUnavailable(
            f"target '{self.spec.name}' needs an API key: set ${self.spec.api_key_env} "
            f"(or name another variable with api_key_env in llmbench.yaml)"
        )

    async def describe_local(self, base_url: str, served_name: str) -> ModelIdentity:
        from llmbench.providers.local_servers import describe_local_server

        return await describe_local_server(self.spec, self.name, base_url, served_name)


# -- one stream reader ------------------------------------------------------------------------------


async def read_stream(chunks: AsyncIterator[Any], started: float) -> Reply:
    reply = Reply()
    content: list[str] = []
    reasoning: list[str] = []
    async for chunk in chunks:
        reply.events += 1
        if chunk is None or isinstance(chunk, str | int | float | list | dict):
            raise not_a_completion(chunk)  # an event whose JSON is not a chunk object
        reply.response_id = getattr(chunk, "id", None) or reply.response_id
        reply.served_model = getattr(chunk, "model", None) or reply.served_model
        reply.fingerprint = getattr(chunk, "system_fingerprint", None) or reply.fingerprint
        if getattr(chunk, "usage", None) is not None:
            reply.usage = chunk.usage
        reply.timings = _timings(chunk) or reply.timings
        for choice in getattr(chunk, "choices", None) or []:
            delta = choice.delta
            piece = extra_field(delta, REASONING_FIELDS)
            if piece:
                reasoning.append(piece)
            text = getattr(delta, "content", None) if delta is not None else None
            if text:
                content.append(text)
            if reply.ttft is None and (piece or text):
                reply.ttft = time.perf_counter() - started
            if choice.finish_reason:
                reply.finish = choice.finish_reason
    reply.content = "".join(content)
    reply.reasoning = "".join(reasoning) if reasoning else None
    return reply


# -- one completion builder -------------------------------------------------------------------------


def build_completion(reply: Reply, params: GenerationParams, latency: float, host: str | None) -> Completion:
    usage = usage_numbers(reply.usage)
    answer, reasoning, fmt = merge_reasoning(reply.content, reply.reasoning, bool(params.think))
    reasoning_tokens = usage["reasoning_tokens"]
    estimated = False
    if reasoning_tokens is None and reasoning:
        reasoning_tokens = estimate_reasoning_tokens(usage["completion_tokens"], reasoning, answer)
        estimated = reasoning_tokens is not None
    timings = reply.timings or {}
    raw: dict[str, Any] = {
        "id": reply.response_id,
        "usage": _plain(reply.usage),
        "streamed": reply.streamed,
        **reply.extra,
    }
    if timings:
        raw["timings"] = timings
    return Completion(
        answer=answer,
        reasoning=reasoning,
        reasoning_format=fmt,
        done_reason=reply.finish,
        prompt_tokens=usage["prompt_tokens"],
        completion_tokens=usage["completion_tokens"],
        reasoning_tokens=reasoning_tokens,
        reasoning_tokens_estimated=estimated,
        cached_tokens=usage["cached_tokens"],
        # llama.cpp's server times its own prompt processing and generation: tokens/s as it measured.
        prompt_eval_duration_ns=_ms_to_ns(timings.get("prompt_ms")),
        eval_duration_ns=_ms_to_ns(timings.get("predicted_ms")),
        eval_count=timings.get("predicted_n") if isinstance(timings.get("predicted_n"), int) else None,
        latency_s=latency,
        ttft_s=reply.ttft,
        served_model=reply.served_model,
        system_fingerprint=reply.fingerprint,
        host=host,
        raw=raw,
    )


def usage_numbers(usage: Any) -> dict[str, int | None]:
    def get(obj: Any, name: str) -> Any:
        if obj is None:
            return None
        return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)

    return {
        "prompt_tokens": get(usage, "prompt_tokens"),
        "completion_tokens": get(usage, "completion_tokens"),
        "reasoning_tokens": get(get(usage, "completion_tokens_details"), "reasoning_tokens"),
        "cached_tokens": get(get(usage, "prompt_tokens_details"), "cached_tokens"),
    }


def extra_field(obj: Any, names: tuple[str, ...]) -> str | None:
    """Read a non-standard field (reasoning_content / reasoning) from an SDK object or dict."""
    if obj is None:
        return None
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is None and not isinstance(obj, dict):
            value = (getattr(obj, "model_extra", None) or {}).get(name)
        if isinstance(value, str):
            return value
    return None


def _timings(obj: Any) -> dict[str, Any] | None:
    value = getattr(obj, "timings", None)
    if value is None:
        value = (getattr(obj, "model_extra", None) or {}).get("timings")
    return value if isinstance(value, dict) else None


def _ms_to_ns(value: Any) -> int | None:
    return int(value * 1e6) if isinstance(value, int | float) and value > 0 else None


def _plain(usage: Any) -> Any:
    if usage is None or isinstance(usage, dict):
        return usage
    dump = getattr(usage, "model_dump", None)
    return dump() if dump else None


# -- errors -----------------------------------------------------------------------------------------


def openai_error(exc: Exception) -> CallError:
    """Classify the openai SDK's exceptions (litellm raises subclasses of the same ones).

    The SDK wraps transport errors only while it sends the request: once a stream has started, a
    dropped connection or a stalled read surfaces as httpx's own exception, and a garbled body or
    event as json's. Those are classified here too, like their wrapped forms.
    """
    import httpx
    import openai

    if isinstance(exc, CallError):
        return exc
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return CallError("timeout", "the server did not answer in time", retryable=True)
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return CallError("connection", f"connection failed: {type(exc).__name__}: {exc}", retryable=True)
    if isinstance(exc, json.JSONDecodeError):
        return CallError("bad_response", f"malformed JSON from the server: {exc}", retryable=True)
    if isinstance(exc, openai.APIStatusError):
        headers = exc.response.headers if exc.response is not None else {}
        message = f"HTTP {exc.status_code}: {_error_message(exc)}"
        return classify_status(exc.status_code, message, parse_retry_after(headers.get("retry-after")))
    return CallError("bad_response", f"{type(exc).__name__}: {exc}", retryable=False)


def _error_message(exc: Any) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
    return str(exc.message)[:300]


def not_a_completion(response: Any) -> CallError:
    """A 200 whose body is not a chat completion: the SDK hands back the text of a non-JSON body
    (an HTML page from a proxy) and any JSON value as is."""
    preview = response if isinstance(response, str) else json.dumps(response, default=str)
    return CallError(
        "bad_response",
        f"the server's 200 answer is not a chat completion: {' '.join(str(preview).split())[:120]!r}",
        retryable=True,
    )


def first_choice(response: Any) -> Any:
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise not_a_completion(response)
    return choices[0]
