"""Fault injection for the loopback fakes: the same Ollama and OpenAI servers, plus scripted failures.

``FaultyOllama`` and ``FaultyOpenAI`` behave exactly like :class:`FakeOllama` and :class:`FakeOpenAI`
until a test queues faults with :meth:`FaultMixin.inject`. Each chat request then takes the next queued
fault (first in, first out) instead of a normal answer; once the queue is empty the server answers
normally again. Every chat request, faulty or not, is logged in ``chat_calls`` and timed in
``chat_times`` (``time.monotonic()`` at arrival), so tests can count attempts and measure waits. Ollama's
empty chats (a client loading or unloading a model) never take a fault and are not counted there.

The faults speak each protocol's own framing (Ollama NDJSON lines, OpenAI SSE events), so the real
``ollama`` and ``openai`` clients see what a broken server, a crashing runner or a proxy in between
would really send:

* :func:`status` - an HTTP error with the protocol's error body and optional headers (Retry-After);
* :func:`drop` - a 200 stream that stops after a few lines and closes the socket mid-body;
* :func:`truncate` - a 200 stream that ends cleanly but without its final line (no ``done`` line,
  no ``finish_reason``/``[DONE]``);
* :func:`malformed` - a 200 whose JSON is cut off (non-streamed body, or one streamed line/event);
* :func:`not_an_object` - a 200 whose JSON is valid but not an object (``[]`` / ``null``);
* :func:`html` - a 200 ``text/html`` page (a captive portal or proxy login page);
* :func:`error_line` - Ollama only: a 200 stream that carries ``{"error": ...}`` mid-answer, the way
  Ollama reports a runner that crashed after the response started;
* :func:`go_down` - the server stops listening and drops every connection, this request included.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.servers._http import FakeHandler, LoggedCall, dump_json, rfc3339_now
from tests.servers.ollama_server import FakeOllama
from tests.servers.openai_server import FakeOpenAI, default_error_body

__all__ = [
    "Fault",
    "FaultMixin",
    "FaultyOllama",
    "FaultyOpenAI",
    "drop",
    "error_line",
    "free_port",
    "go_down",
    "html",
    "malformed",
    "not_an_object",
    "status",
    "truncate",
]

PIECES = ["The", " answer", " is", " coming", " soon"]
"""What a faulty stream sends before it breaks: a few token-like pieces of a plausible answer."""
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in</title></head>"
    b"<body><h1>Proxy authentication required</h1><p>Please sign in to continue.</p></body></html>"
)


@dataclass
class Fault:
    """One scripted failure: ``apply(server, handler, record)`` writes (or withholds) the response."""

    name: str
    apply: Callable[[FaultMixin, FakeHandler, LoggedCall], None]

    def __repr__(self) -> str:
        return f"Fault({self.name})"


class FaultMixin:
    """Adds a fault queue and arrival times to a fake server (put it first in the bases)."""

    chat_route = ""
    stream_content_type = ""

    def _init_faults(self) -> None:
        self._fault_lock = threading.Lock()
        self._faults: list[Fault | None] = []
        self.chat_times: list[float] = []
        self.went_down = threading.Event()

    # -- public API ------------------------------------------------------------------------------

    def inject(self, *faults: Fault, times: int = 1, after: int = 0) -> None:
        """Queue ``faults`` (each repeated ``times`` times) for the next chat requests, in order.

        ``after`` lets that many requests be answered normally first (e.g. go down on the 4th).
        """
        with self._fault_lock:
            self._faults.extend([None] * after)
            for fault in faults:
                self._faults.extend([fault] * times)

    @property
    def pending_faults(self) -> int:
        with self._fault_lock:
            return len(self._faults)

    # -- protocol hooks (implemented per server) -------------------------------------------------

    def is_stream(self, body: dict[str, Any]) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def piece(self, body: dict[str, Any], text: str) -> bytes:  # pragma: no cover - abstract
        """One streamed line/event carrying ``text`` as answer content."""
        raise NotImplementedError

    def error_body(self, code: int) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def garbled_piece(self) -> bytes:  # pragma: no cover - abstract
        """A streamed line/event whose JSON is cut off."""
        raise NotImplementedError

    def wrap_raw(self, data: bytes) -> bytes:  # pragma: no cover - abstract
        """Frame ``data`` as one streamed line (NDJSON) or event (SSE)."""
        raise NotImplementedError

    # -- dispatch --------------------------------------------------------------------------------

    def dispatch(self, handler: FakeHandler) -> None:
        try:
            self._dispatch(handler)
        finally:
            # One handler serves every request of a keep-alive connection: read the next body afresh.
            handler.__dict__.pop("read_body", None)

    def _dispatch(self, handler: FakeHandler) -> None:
        if handler.command == "POST" and handler.route.rstrip("/") == self.chat_route:
            raw = handler.read_body()
            handler.read_body = lambda: raw  # type: ignore[method-assign]  # the fake reads it again
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if isinstance(body, dict) and "messages" in body and not body["messages"]:
                # An empty chat only loads or unloads the model: faults are for the calls.
                super().dispatch(handler)  # type: ignore[misc]
                return
            self.chat_times.append(time.monotonic())
            with self._fault_lock:
                fault = self._faults.pop(0) if self._faults else None
            if fault is not None:
                record = LoggedCall(
                    path=handler.route, method="POST", body=body, headers=handler.request_headers()
                )
                self.log.append(record)  # type: ignore[attr-defined]
                fault.apply(self, handler, record)
                return
        super().dispatch(handler)  # type: ignore[misc]

    # -- helpers shared by the faults ------------------------------------------------------------

    def stop_listening(self) -> None:
        """Go down from inside a handler: stop accepting, close the port, then cut open connections.

        In that order, so a client that sees its connection drop and retries at once is refused
        instead of queueing on a listening socket that nobody serves any more.
        """
        httpd = self._httpd  # type: ignore[attr-defined]
        httpd.shutdown()
        thread = self._thread  # type: ignore[attr-defined]
        if thread is not None:
            thread.join(timeout=5)
            self._thread = None
        httpd.server_close()
        httpd.close_connections()
        self.went_down.set()


def _hang_up(handler: FakeHandler) -> None:
    """Close the socket under the handler without finishing the response."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.wfile.flush()
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


def _stream_start(server: FaultMixin, handler: FakeHandler, record: LoggedCall, lines: int) -> None:
    record.status = 200
    handler.start_chunked(200, server.stream_content_type)
    body = record.body or {}
    for text in PIECES[:lines]:
        handler.write_chunk(server.piece(body, text))
    handler.wfile.flush()


def status(code: int, headers: dict[str, str] | None = None, body: dict[str, Any] | None = None) -> Fault:
    """Answer with HTTP ``code``, the protocol's error body (or ``body``) and ``headers``."""

    def apply(server: FaultMixin, handler: FakeHandler, record: LoggedCall) -> None:
        record.status = code
        record.response_final = body or server.error_body(code)
        handler.send_json(code, record.response_final, headers)

    return Fault(f"status {code}", apply)


def drop(after_lines: int = 2) -> Fault:
    """Start a 200 stream, send ``after_lines`` pieces, then close the socket mid-body."""

    def apply(server: FaultMixin, handler: FakeHandler, record: LoggedCall) -> None:
        _stream_start(server, handler, record, after_lines)
        _hang_up(handler)

    return Fault(f"drop after {after_lines}", apply)


def truncate(after_lines: int = 2) -> Fault:
    """A 200 stream that ends cleanly (terminating chunk sent) but never sends its final line."""

    def apply(server: FaultMixin, handler: FakeHandler, record: LoggedCall) -> None:
        _stream_start(server, handler, record, after_lines)
        handler.end_chunked()

    return Fault(f"truncate after {after_lines}", apply)


def malformed() -> Fault:
    """200 with JSON cut off mid-object: the whole body when not streaming, one line/event when streaming."""

    def apply(server: FaultMixin, handler: FakeHandler, record: LoggedCall) -> None:
        body = record.body or {}
        if server.is_stream(body):
            _stream_start(server, handler, record, 1)
            handler.write_chunk(server.garbled_piece())
            handler.end_chunked()
        else:
            record.status = 200
            cut = b'{"model":"m","created_at":"2025-01-28T10:00:00Z","message":{"role":"assistant","content":"Par'
            handler.send_bytes(200, cut, "application/json; charset=utf-8")

    return Fault("malformed", apply)


def not_an_object() -> Fault:
    """200 with valid JSON that is not an object: ``[]`` as the body, or a ``null`` line/event."""

    def apply(server: FaultMixin, handler: FakeHandler, record: LoggedCall) -> None:
        body = record.body or {}
        if server.is_stream(body):
            _stream_start(server, handler, record, 1)
            handler.write_chunk(server.wrap_raw(b"null"))
            handler.end_chunked()
        else:
            record.status = 200
            handler.send_bytes(200, b"[]", "application/json")

    return Fault("not an object", apply)


def html() -> Fault:
    """200 ``text/html``: what a captive portal or a misconfigured proxy answers."""

    def apply(server: FaultMixin, handler: FakeHandler, record: LoggedCall) -> None:
        record.status = 200
        handler.send_bytes(200, HTML_PAGE, "text/html; charset=utf-8")

    return Fault("html", apply)


def error_line(after_lines: int = 2, message: str = "model runner has unexpectedly stopped") -> Fault:
    """Ollama: a 200 stream with ``{"error": message}`` after a few pieces (a runner crash mid-answer)."""

    def apply(server: FaultMixin, handler: FakeHandler, record: LoggedCall) -> None:
        _stream_start(server, handler, record, after_lines)
        handler.write_chunk(dump_json({"error": message}) + b"\n")
        handler.end_chunked()

    return Fault("error line", apply)


def go_down() -> Fault:
    """The server goes away: the port closes and every connection drops, this request's included."""

    def apply(server: FaultMixin, handler: FakeHandler, record: LoggedCall) -> None:
        handler.close_connection = True
        server.stop_listening()

    return Fault("go down", apply)


def free_port() -> int:
    """A loopback port nothing listens on (bound and released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FaultyOllama(FaultMixin, FakeOllama):
    chat_route = "/api/chat"
    stream_content_type = "application/x-ndjson"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._init_faults()
        super().__init__(*args, **kwargs)

    def is_stream(self, body: dict[str, Any]) -> bool:
        return body.get("stream") is not False  # Ollama streams unless told not to

    def wrap_raw(self, data: bytes) -> bytes:
        return data + b"\n"

    def piece(self, body: dict[str, Any], text: str) -> bytes:
        line = {
            "model": body.get("model", "m"),
            "created_at": rfc3339_now(),
            "message": {"role": "assistant", "content": text},
            "done": False,
        }
        return self.wrap_raw(dump_json(line))

    def garbled_piece(self) -> bytes:
        return self.wrap_raw(b'{"model":"m","created_at":"2025-01-28T10:00:00Z","message":{"role":"assi')

    def error_body(self, code: int) -> dict[str, Any]:
        return {"error": f"fault injected: HTTP {code}"}


class FaultyOpenAI(FaultMixin, FakeOpenAI):
    chat_route = "/v1/chat/completions"
    stream_content_type = "text/event-stream; charset=utf-8"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._init_faults()
        super().__init__(*args, **kwargs)

    def is_stream(self, body: dict[str, Any]) -> bool:
        return body.get("stream") is True

    def wrap_raw(self, data: bytes) -> bytes:
        return b"data: " + data + b"\n\n"

    def piece(self, body: dict[str, Any], text: str) -> bytes:
        chunk = {
            "id": "chatcmpl-fault",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", "m"),
            "system_fingerprint": self.system_fingerprint,
            "choices": [{"index": 0, "delta": {"content": text}, "logprobs": None, "finish_reason": None}],
        }
        return self.wrap_raw(dump_json(chunk))

    def garbled_piece(self) -> bytes:
        return self.wrap_raw(b'{"id":"chatcmpl-fault","object":"chat.completion.chunk","choices":[{"del')

    def error_body(self, code: int) -> dict[str, Any]:
        return default_error_body(code)
