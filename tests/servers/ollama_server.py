"""A loopback fake of the Ollama REST API, faithful enough for the real ``ollama`` client.

Why a fake server rather than mocking the client: llmbench talks to Ollama through ``ollama-python``
(and sometimes raw ``httpx``), and the bugs worth catching live in the protocol details: streaming
defaults to *on* when ``stream`` is absent, NDJSON framing, durations in nanoseconds, the several
shapes reasoning ("thinking") can take depending on ``think`` and the model, implicit ``:latest``
tags, and error bodies. Everything here mirrors what a real Ollama 0.12 server sends.

``scheduler=Scheduler(...)`` turns on a model of Ollama's own scheduler (K models resident, P requests per
model, load time, queueing, keep_alive, eviction, every load logged): see tests/servers/ollama_scheduler.py.

Run ``python -m tests.servers.ollama_server --port 11434`` to point llmbench at it by hand (``--help`` for
the scheduler options).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from tests.servers._http import (
    BackgroundServer,
    CallLog,
    FakeHandler,
    LoggedCall,
    dump_go_json,
    rfc3339_now,
    split_pieces,
)
from tests.servers.ollama_scheduler import (
    DEFAULT_KEEP_ALIVE_S,
    FOREVER_S,
    LoadEvent,
    Resident,
    Scheduler,
    SchedulerMode,
    is_load_request,
)

__all__ = [
    "REFUSAL",
    "CallLog",
    "ChatRequest",
    "FakeModel",
    "FakeOllama",
    "LoadEvent",
    "LoggedCall",
    "Reply",
    "Responder",
    "Scheduler",
    "ThinkShape",
    "canonical_name",
    "default_models",
    "default_responder",
    "plain_responder",
    "r1_like_responder",
    "split_pieces",
]

ThinkShape = Literal["field", "tags", "bare_close", "none"]
"""Where a model's reasoning ends up when the request leaves ``think`` unset (see FakeModel)."""

THINK_LEVELS = ("high", "medium", "low")
PROMPT_OVERHEAD_TOKENS = 10
"""Tokens a chat template adds around the messages; keeps prompt_eval_count plausibly > 0."""
COLD_LOAD_NS = 1_500_000_000
WARM_LOAD_NS = 25_000_000
PROMPT_NS_PER_TOKEN = 1_000_000
EVAL_NS_PER_TOKEN = 20_000_000
OVERHEAD_NS = 2_000_000

REFUSAL = (
    "I am sorry, I cannot answer that question. "
    "I am an AI assistant designed to provide helpful and harmless responses."
)
"""DeepSeek-R1's canned answer to politically sensitive prompts (sent with an empty think block)."""
_CENSORED_TRIGGERS = ("tiananmen", "天安门")


@dataclass
class ChatRequest:
    """What a responder sees of an ``/api/chat`` request (``stream`` already defaulted to True)."""

    model: str
    messages: list[dict[str, Any]]
    think: bool | str | None
    options: dict[str, Any]
    stream: bool

    @property
    def last_user_message(self) -> str:
        """Text of the last ``user`` message ('' if none); what scripted responders key on."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return _message_text(message)
        return ""


@dataclass
class Reply:
    """A scripted model answer. ``None`` counts/durations are filled in by the server.

    ``delay_s`` is the generation time: slept before a non-streamed answer, spread across the pieces
    of a streamed one. ``first_token_delay_s`` is slept before the first streamed line (and added
    to the wait of a non-streamed answer), to emulate prompt processing / time-to-first-token.
    """

    content: str
    thinking: str = ""
    done_reason: str = "stop"
    prompt_eval_count: int | None = None
    eval_count: int | None = None
    total_duration: int | None = None
    load_duration: int | None = None
    prompt_eval_duration: int | None = None
    eval_duration: int | None = None
    delay_s: float = 0.0
    first_token_delay_s: float = 0.0


Responder = Callable[[ChatRequest], Reply]


def default_responder(request: ChatRequest) -> Reply:
    """Deterministic echo: reasoning and answer both quote the last user message."""
    prompt = request.last_user_message
    return Reply(content=f"Answer to: {prompt}", thinking=f"Let me think about: {prompt}")


def plain_responder(request: ChatRequest) -> Reply:
    """Like :func:`default_responder` but with no reasoning, as a non-thinking model answers."""
    return Reply(content=f"Answer to: {request.last_user_message}")


def r1_like_responder(answers: Mapping[str, Reply] | None = None) -> Responder:
    """Build a responder that behaves like DeepSeek-R1 for censorship/fact benchmarks.

    ``answers`` maps a substring of the last user message to an exact :class:`Reply` (first match in
    insertion order wins, and scripted answers win over the built-in behaviour). Otherwise prompts
    mentioning Tiananmen (English or Chinese) get :data:`REFUSAL` with *empty* reasoning, exactly
    how R1 dodges, and anything else gets a short reasoning trace plus an answer.
    """
    scripted = dict(answers or {})

    def respond(request: ChatRequest) -> Reply:
        prompt = request.last_user_message
        for needle, reply in scripted.items():
            if needle in prompt:
                return reply
        if any(trigger in prompt.casefold() for trigger in _CENSORED_TRIGGERS):
            return Reply(content=REFUSAL)
        return Reply(
            thinking=f"Okay, the user asks: {prompt}\nLet me recall what I know and answer briefly.",
            content=f"Answer to: {prompt}",
        )

    return respond


def canonical_name(name: str) -> str:
    """Add the implicit ``:latest`` tag, as Ollama does (``deepseek-r1`` == ``deepseek-r1:latest``).

    Only the last path segment is inspected, so a registry ``host:port/ns/model`` keeps its port.
    """
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _name_key(name: str) -> str:
    # Ollama compares model names case-insensitively.
    return canonical_name(name).casefold()


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    return content if isinstance(content, str) else ""


def _parameter_count(parameter_size: str) -> int:
    """'7.6B' -> 7_600_000_000, for ``general.parameter_count`` in /api/show."""
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
    try:
        return int(float(parameter_size[:-1]) * scale[parameter_size[-1].upper()])
    except (KeyError, ValueError, IndexError):
        return 0


def _keep_alive_seconds(value: Any) -> float:
    """Parse Ollama's ``keep_alive`` (seconds as a number, or '5m'/'30s'/'1h'); negative = forever."""
    if value is None:
        return DEFAULT_KEEP_ALIVE_S
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip()
        units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
        unit = next((u for u in ("ms", "s", "m", "h") if text.endswith(u)), "")
        try:
            seconds = float(text[: len(text) - len(unit)]) * units.get(unit, 1.0)
        except ValueError:
            return DEFAULT_KEEP_ALIVE_S
    return float("inf") if seconds < 0 else seconds


@dataclass
class FakeModel:
    """One installed model. ``name`` is normalised to carry a tag (``foo`` -> ``foo:latest``).

    ``unset_think_shape`` decides what happens to the responder's reasoning when a request omits
    ``think`` (``think: true`` always means ``message.thinking``; ``false`` always drops it):

    * ``field``: sent in ``message.thinking`` as if ``think`` were true;
    * ``tags``: inlined as ``<think>\\n…\\n</think>\\n\\n`` before the content (old R1 behaviour,
      kept even when the reasoning is empty, like R1's censored answers);
    * ``bare_close``: only the closing tag survives (R1 templates pre-fill ``<think>``);
    * ``none``: dropped.
    """

    name: str
    digest: str = ""
    family: str = "qwen2"
    families: list[str] | None = None
    parameter_size: str = "7.6B"
    quantization_level: str = "Q4_K_M"
    format: str = "gguf"
    capabilities: list[str] = field(default_factory=lambda: ["completion", "thinking"])
    context_length: int = 131072
    size: int = 4683087332
    responder: Responder | None = None
    unset_think_shape: ThinkShape = "tags"
    modified_at: str = "2025-01-28T10:00:00.123456789Z"

    def __post_init__(self) -> None:
        self.name = canonical_name(self.name)
        if not self.digest:
            self.digest = hashlib.sha256(self.name.encode()).hexdigest()
        if self.families is None:
            self.families = [self.family]
        if self.unset_think_shape not in get_args(ThinkShape):
            raise ValueError(f"unset_think_shape must be one of {get_args(ThinkShape)}")

    @property
    def thinks(self) -> bool:
        return "thinking" in self.capabilities

    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": self.format,
            "family": self.family,
            "families": list(self.families or []),
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
        }


def default_models() -> list[FakeModel]:
    """The two models the demo serves: an R1 distill that thinks, and a small model that doesn't."""
    return [
        FakeModel(
            "deepseek-r1:7b",
            family="qwen2",
            parameter_size="7.6B",
            quantization_level="Q4_K_M",
            capabilities=["completion", "thinking"],
            responder=r1_like_responder(),
        ),
        FakeModel(
            "llama3.2:1b",
            family="llama",
            parameter_size="1.2B",
            quantization_level="Q8_0",
            capabilities=["completion"],
            size=1321098329,
            responder=plain_responder,
            unset_think_shape="none",
        ),
    ]


class _HTTPError(Exception):
    """Raised inside request handling to answer ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FakeOllama(SchedulerMode, BackgroundServer):
    """Ollama-compatible server on ``127.0.0.1`` (random port by default) in a daemon thread.

    ``models=None`` serves :func:`default_models`; pass ``[]`` for an empty server. Use as a context
    manager (or ``start()``/``stop()``); ``url`` is the value for ``ollama.Client(host=...)``.
    """

    def __init__(
        self,
        models: list[FakeModel] | None = None,
        version: str = "0.12.6",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        scheduler: Scheduler | None = None,
    ) -> None:
        super().__init__(host, port)
        self.version = version
        self.scheduler = scheduler
        self.loads: list[LoadEvent] = []
        self.rejected = 0
        self.peak_in_flight: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}
        self._queue: list[object] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._models: dict[str, FakeModel] = {}
        self._loaded: dict[str, Resident] = {}
        self._failures: list[tuple[int, str]] = []
        for model in default_models() if models is None else models:
            self.add_model(model)

    # -- public API ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL such as ``http://127.0.0.1:54321`` (what OLLAMA_HOST would hold)."""
        return self.root_url

    @property
    def models(self) -> list[FakeModel]:
        with self._lock:
            return list(self._models.values())

    @property
    def chat_calls(self) -> list[LoggedCall]:
        """Chat requests that asked for an answer (not the empty ones that only load or unload a model)."""
        return [call for call in self.log if call.path == "/api/chat" and not is_load_request(call.body)]

    @property
    def load_requests(self) -> list[LoggedCall]:
        """Empty chats: a client preloading (or, with ``keep_alive: 0``, unloading) a model."""
        return [call for call in self.log if call.path == "/api/chat" and is_load_request(call.body)]

    @property
    def loaded(self) -> list[str]:
        """Names of models currently "in memory" (what /api/ps lists)."""
        with self._lock:
            self._expire_locked()
            return [entry.model.name for entry in self._loaded.values()]

    def get_model(self, name: str) -> FakeModel | None:
        with self._lock:
            return self._models.get(_name_key(name))

    def add_model(self, model: FakeModel) -> None:
        """Install a model; refuses to silently overwrite (use :meth:`set_model` for that)."""
        with self._lock:
            key = _name_key(model.name)
            if key in self._models:
                raise ValueError(f"model {model.name!r} already exists; use set_model() to replace it")
            self._models[key] = model

    def set_model(self, model: FakeModel) -> None:
        """Install or replace a model by name, e.g. to simulate a re-pull that changed the digest."""
        with self._lock:
            key = _name_key(model.name)
            self._models[key] = model
            if key in self._loaded:
                self._loaded[key].model = model

    def remove_model(self, name: str) -> None:
        """Delete a model (and unload it); ``KeyError`` if it is not installed."""
        with self._lock:
            key = _name_key(name)
            del self._models[key]
            self._loaded.pop(key, None)

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        error: str = "model runner has unexpectedly stopped, this may be due to resource limitations "
        "or an internal error, check ollama server logs for details",
    ) -> None:
        """Make the next ``n`` ``/api/chat`` requests that ask for an answer (not the empty ones that load or
        unload a model) fail with ``status`` and ``{"error": error}``."""
        with self._lock:
            self._failures.extend([(status, error)] * n)

    def busy_error(self) -> Exception:
        """What Ollama answers when its queue is full (``OLLAMA_MAX_QUEUE``)."""
        return _HTTPError(503, "server busy, please try again.  maximum pending requests exceeded")

    # -- dispatch --------------------------------------------------------------------------------

    def dispatch(self, handler: FakeHandler) -> None:
        route, method = handler.route, handler.command
        raw = handler.read_body()
        record = LoggedCall(path=route, method=method, body=None, headers=handler.request_headers())
        self.log.append(record)
        routes: dict[tuple[str, str], Callable[[FakeHandler, LoggedCall], None]] = {
            ("GET", "/"): self._root,
            ("GET", "/api/version"): self._version,
            ("GET", "/api/tags"): self._tags,
            ("GET", "/api/ps"): self._ps,
            ("GET", "/debug/scheduler"): self._debug_scheduler,
            ("POST", "/api/show"): self._show,
            ("POST", "/api/chat"): self._chat,
        }
        route_handler = routes.get((method, route))
        if route_handler is None:
            # Ollama's router (gin) answers unknown paths and wrong methods with this plain text.
            record.status = 404
            handler.send_bytes(404, b"404 page not found", "text/plain")
            return
        try:
            if method == "POST":
                record.body = self._parse_body(raw)
            route_handler(handler, record)
        except _HTTPError as err:
            self._send(handler, record, err.status, {"error": err.message})

    @staticmethod
    def _parse_body(raw: bytes) -> dict[str, Any]:
        if not raw.strip():
            raise _HTTPError(400, "missing request body")
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _HTTPError(400, f"invalid JSON in request body: {exc}") from None
        if not isinstance(body, dict):
            raise _HTTPError(400, "json: cannot unmarshal request body: expected a JSON object")
        return body

    @staticmethod
    def _send(handler: FakeHandler, record: LoggedCall, status: int, obj: dict[str, Any]) -> None:
        # Log first: the client may return (and the test inspect the log) as soon as bytes land.
        record.status = status
        record.response_final = obj
        handler.send_json(status, obj)

    def _require_model(self, name: Any) -> FakeModel:
        if not isinstance(name, str) or not name:
            raise _HTTPError(400, "model is required")
        model = self.get_model(name)
        if model is None:
            raise _HTTPError(404, f'model "{name}" not found, try pulling it first')
        return model

    def _expire_locked(self) -> None:
        now = time.time()
        for key in [k for k, e in self._loaded.items() if e.expires_at <= now and not e.ref_count]:
            del self._loaded[key]

    # -- endpoints -------------------------------------------------------------------------------

    def _root(self, handler: FakeHandler, record: LoggedCall) -> None:
        record.status = 200
        handler.send_bytes(200, b"Ollama is running", "text/plain; charset=utf-8")

    def _version(self, handler: FakeHandler, record: LoggedCall) -> None:
        self._send(handler, record, 200, {"version": self.version})

    def _tags(self, handler: FakeHandler, record: LoggedCall) -> None:
        models = [
            {
                "name": m.name,
                "model": m.name,
                "modified_at": m.modified_at,
                "size": m.size,
                "digest": m.digest,
                "details": m.details(),
            }
            for m in self.models
        ]
        self._send(handler, record, 200, {"models": models})

    def _ps(self, handler: FakeHandler, record: LoggedCall) -> None:
        with self._lock:
            self._expire_locked()
            entries = list(self._loaded.values())
        now = time.time()
        models = [
            {
                "name": e.model.name,
                "model": e.model.name,
                "size": e.model.size,
                "digest": e.model.digest,
                "details": e.model.details(),
                # A busy model's timer has not started: it expires keep_alive after its last request.
                "expires_at": _expires_iso(
                    min(e.expires_at if not e.ref_count else now + e.session_s, now + FOREVER_S)
                ),
                "size_vram": e.model.size,
                "context_length": e.context_length,
            }
            for e in entries
        ]
        self._send(handler, record, 200, {"models": models})

    def _show(self, handler: FakeHandler, record: LoggedCall) -> None:
        body = record.body or {}
        model = self._require_model(body.get("model") or body.get("name"))
        family = model.family
        template = "{{- range .Messages }}<|{{ .Role }}|>{{ .Content }}<|end|>\n{{- end }}<|assistant|>"
        parameters = 'stop                           "<|end|>"\nstop                           "<|user|>"'
        modelfile = (
            '# Modelfile generated by "ollama show"\n'
            "# To build a new Modelfile based on this, replace FROM with:\n"
            f"# FROM {model.name}\n\n"
            f"FROM /root/.ollama/models/blobs/sha256-{model.digest}\n"
            f'TEMPLATE """{template}"""\n'
            'PARAMETER stop "<|end|>"\n'
            'PARAMETER stop "<|user|>"\n'
        )
        self._send(
            handler,
            record,
            200,
            {
                "license": "MIT License",
                "modelfile": modelfile,
                "parameters": parameters,
                "template": template,
                "details": model.details(),
                "model_info": {
                    "general.architecture": family,
                    "general.parameter_count": _parameter_count(model.parameter_size),
                    "general.quantization_version": 2,
                    f"{family}.context_length": model.context_length,
                    f"{family}.embedding_length": 4096,
                    f"{family}.block_count": 32,
                },
                "capabilities": list(model.capabilities),
                "modified_at": model.modified_at,
            },
        )

    def _chat(self, handler: FakeHandler, record: LoggedCall) -> None:
        body: dict[str, Any] = record.body or {}
        with self._lock:
            wants_answer = not is_load_request(body)
            failure = self._failures.pop(0) if self._failures and wants_answer else None
        if failure is not None:
            raise _HTTPError(*failure)

        requested = body.get("model")
        model = self._require_model(requested)
        assert isinstance(requested, str)
        messages = body.get("messages") or []
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise _HTTPError(400, "messages must be a list of objects")
        think = body.get("think")
        if not (think is None or isinstance(think, bool) or think in THINK_LEVELS):
            raise _HTTPError(
                400,
                f'invalid think value: {json.dumps(think)} (must be "high", "medium", "low", true, or false)',
            )
        if think not in (None, False) and not model.thinks:
            raise _HTTPError(400, f'"{requested}" does not support thinking')
        # Real Ollama streams unless told otherwise: a missing/null "stream" means true.
        stream = body.get("stream") is not False
        options = body.get("options") if isinstance(body.get("options"), dict) else {}
        keep_alive = _keep_alive_seconds(body.get("keep_alive"))
        if self.scheduler is not None:
            key = _name_key(model.name)
            self._scheduled_chat(
                handler, record, model, key, requested, messages, think, options, stream, keep_alive
            )
            return

        cold = self._load(model, keep_alive, options)
        if not messages:
            # An empty chat just loads (or, with keep_alive 0, unloads) the model.
            reason = "unload" if keep_alive == 0 else "load"
            if reason == "unload":
                self._unload(model)
            done = {
                "model": requested,
                "created_at": rfc3339_now(),
                "message": _assistant(""),
                "done_reason": reason,
                "done": True,
            }
            self._send(handler, record, 200, done)
            return

        self._answer(handler, record, model, requested, messages, think, options, stream, cold)
        if keep_alive == 0:
            self._unload(model)

    def _answer(
        self,
        handler: FakeHandler,
        record: LoggedCall,
        model: FakeModel,
        requested: str,
        messages: list[dict[str, Any]],
        think: Any,
        options: dict[str, Any],
        stream: bool,
        cold: bool,
        load_ns: int | None = None,
    ) -> None:
        request = ChatRequest(requested, [dict(m) for m in messages], think, dict(options), stream)
        try:
            reply = (model.responder or default_responder)(request)
        except Exception as exc:  # surfaced to the client, like a runner crash
            raise _HTTPError(500, f"responder failed: {exc!r}") from None
        if self.scheduler is not None and self.scheduler.answer_s is not None:
            reply = replace(reply, delay_s=self.scheduler.answer_s)  # scripted replies may be shared
        if load_ns is not None and reply.load_duration is None:
            reply = replace(reply, load_duration=load_ns)

        thinking, content = _shape(reply, think, model.unset_think_shape)
        think_pieces, content_pieces = split_pieces(thinking), split_pieces(content)
        stats = _stats(reply, messages, len(think_pieces) + len(content_pieces), cold)

        if stream:
            self._stream_chat(handler, record, requested, reply, think_pieces, content_pieces, stats)
        else:
            time.sleep(reply.first_token_delay_s + reply.delay_s)
            message = _assistant(content)
            if thinking:
                message["thinking"] = thinking
            final = {"model": requested, "created_at": rfc3339_now(), "message": message, **stats}
            self._send(handler, record, 200, final)

    def _stream_chat(
        self,
        handler: FakeHandler,
        record: LoggedCall,
        requested: str,
        reply: Reply,
        think_pieces: list[str],
        content_pieces: list[str],
        stats: dict[str, Any],
    ) -> None:
        """NDJSON, one chunk per line: thinking pieces, then content pieces, then the ``done`` line."""
        record.status = 200
        handler.start_chunked(200, "application/x-ndjson")
        pieces = [(p, True) for p in think_pieces] + [(p, False) for p in content_pieces]
        per_piece = reply.delay_s / len(pieces) if pieces else 0.0
        time.sleep(reply.first_token_delay_s + (0.0 if pieces else reply.delay_s))
        for piece, is_thinking in pieces:
            message = _assistant("")
            if is_thinking:
                message["thinking"] = piece
            else:
                message["content"] = piece
            self._write_line(
                handler,
                record,
                {"model": requested, "created_at": rfc3339_now(), "message": message, "done": False},
            )
            if per_piece:
                time.sleep(per_piece)
        final = {"model": requested, "created_at": rfc3339_now(), "message": _assistant(""), **stats}
        record.response_final = final
        self._write_line(handler, record, final)
        handler.end_chunked()

    @staticmethod
    def _write_line(handler: FakeHandler, record: LoggedCall, obj: dict[str, Any]) -> None:
        record.chunks.append(obj)
        handler.write_chunk(dump_go_json(obj) + b"\n")

    def _load(self, model: FakeModel, keep_alive: float, options: Mapping[str, Any]) -> bool:
        """Mark ``model`` loaded (for /api/ps); return True if this was a cold load."""
        key = _name_key(model.name)
        num_ctx = options.get("num_ctx")
        with self._lock:
            self._expire_locked()
            cold = key not in self._loaded
            self._loaded[key] = Resident(
                model=model,
                key=key,
                expires_at=time.time() + min(keep_alive, 10 * 365 * 86400.0),
                context_length=num_ctx if isinstance(num_ctx, int) else 4096,
            )
        return cold

    def _unload(self, model: FakeModel) -> None:
        with self._lock:
            self._loaded.pop(_name_key(model.name), None)


def _assistant(content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def _expires_iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def _shape(reply: Reply, think: bool | str | None, shape: ThinkShape) -> tuple[str, str]:
    """Return ``(thinking_field, content)`` as Ollama would send them for this ``think`` value."""
    if think is False:
        return "", reply.content
    if think is not None:  # True or a level string
        return reply.thinking, reply.content
    if shape == "field":
        return reply.thinking, reply.content
    if shape == "tags":
        return "", f"<think>\n{reply.thinking}\n</think>\n\n{reply.content}"
    if shape == "bare_close":
        return "", f"{reply.thinking}\n</think>\n\n{reply.content}"
    return "", reply.content


def _stats(reply: Reply, messages: list[dict[str, Any]], pieces: int, cold: bool) -> dict[str, Any]:
    """The ``done: true`` fields: the reply's own values where given, else deterministic fakes.

    Durations are nanoseconds like real Ollama's: 1 ms per prompt token, 20 ms per generated token
    (~50 tok/s), and a 1.5 s load on a model's first request (25 ms once warm).
    """
    prompt_tokens = sum(len(split_pieces(_message_text(m))) for m in messages) + PROMPT_OVERHEAD_TOKENS
    prompt_eval_count = reply.prompt_eval_count if reply.prompt_eval_count is not None else prompt_tokens
    eval_count = reply.eval_count if reply.eval_count is not None else pieces
    load = (
        reply.load_duration if reply.load_duration is not None else (COLD_LOAD_NS if cold else WARM_LOAD_NS)
    )
    prompt_eval_duration = (
        reply.prompt_eval_duration
        if reply.prompt_eval_duration is not None
        else prompt_eval_count * PROMPT_NS_PER_TOKEN
    )
    eval_duration = reply.eval_duration if reply.eval_duration is not None else eval_count * EVAL_NS_PER_TOKEN
    total = (
        reply.total_duration
        if reply.total_duration is not None
        else load + prompt_eval_duration + eval_duration + OVERHEAD_NS
    )
    return {
        "done_reason": reply.done_reason,
        "done": True,
        "total_duration": total,
        "load_duration": load,
        "prompt_eval_count": prompt_eval_count,
        "prompt_eval_duration": prompt_eval_duration,
        "eval_count": eval_count,
        "eval_duration": eval_duration,
    }


def main(argv: list[str] | None = None) -> None:
    """Serve :func:`default_models` (or ``--models``) until Ctrl-C, for trying llmbench by hand."""
    parser = argparse.ArgumentParser(description="Fake Ollama server for llmbench demos and tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--models", help="comma-separated names of plain models to serve instead")
    parser.add_argument("--max-loaded", type=int, help="scheduler mode: OLLAMA_MAX_LOADED_MODELS")
    parser.add_argument("--parallel", type=int, default=1, help="scheduler mode: OLLAMA_NUM_PARALLEL")
    parser.add_argument("--load-s", type=float, default=1.0, help="scheduler mode: seconds per load")
    parser.add_argument("--answer-s", type=float, help="scheduler mode: seconds per answer")
    parser.add_argument("--max-queue", type=int, default=512, help="scheduler mode: OLLAMA_MAX_QUEUE")
    args = parser.parse_args(argv)
    models = None
    if args.models:
        models = [
            FakeModel(name, responder=plain_responder, capabilities=["completion"], unset_think_shape="none")
            for name in args.models.split(",")
        ]
    scheduler = None
    if args.max_loaded:
        scheduler = Scheduler(args.max_loaded, args.parallel, args.load_s, args.max_queue, args.answer_s)
    server = FakeOllama(models, host=args.host, port=args.port, scheduler=scheduler)
    names = ", ".join(m.name for m in server.models)
    print(f"Fake Ollama {server.version} serving {names} at {server.url} (Ctrl-C to stop)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
