"""Shared plumbing for the loopback fake servers (Ollama and OpenAI-compatible).

Both fakes are plain ``http.server`` servers running in a daemon thread, so the test-suite needs no
third-party server stack and talks to them through the *real* client libraries over a real socket.
Two details matter for realism and speed:

* HTTP/1.1 keep-alive with an exact ``Content-Length`` (or chunked encoding when streaming), because
  the clients pool connections and a sloppy framing bug would only show up as a hang.
* ``TCP_NODELAY`` on every accepted socket: ``BaseHTTPRequestHandler`` writes the headers and the body
  in separate ``send`` calls, and Nagle's algorithm combined with delayed ACKs then stalls each
  request by ~40 ms, which would make latency assertions meaningless.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self, overload
from urllib.parse import urlsplit

__all__ = [
    "BackgroundServer",
    "CallLog",
    "FakeHandler",
    "LoggedCall",
    "dump_json",
    "rfc3339_now",
    "split_pieces",
]

# Characters that a real tokenizer emits one (or fewer) per token: CJK ideographs and punctuation,
# kana, Hangul, full-width forms and the supplementary ideograph planes.
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
# Every character is whitespace, CJK or "other", so the three alternatives cover any text and
# ``"".join(split_pieces(t)) == t`` always holds. Leading whitespace is glued to the following word,
# the way BPE tokenizers emit " word".
_PIECE_RE = re.compile(rf"\s*[{_CJK}]|\s*[^\s{_CJK}]+|\s+")


def split_pieces(text: str) -> list[str]:
    """Split ``text`` into token-like stream pieces (~one word, one CJK character each).

    Concatenating the result reproduces ``text`` exactly, which is what lets tests compare the
    re-assembled stream against the scripted reply byte for byte.
    """
    return _PIECE_RE.findall(text)


def dump_json(obj: Any) -> bytes:
    """Compact UTF-8 JSON, the way Go (Ollama) and OpenAI serialise: no spaces, no ``\\u`` escapes."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def dump_go_json(obj: Any) -> bytes:
    """JSON the way Go's `json.Marshal` writes it (Ollama's streamed lines): compact UTF-8 with <, >, &,
    U+2028 and U+2029 escaped, and every other character, U+0085 (NEL) included, written raw."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text.encode()


def rfc3339_now() -> str:
    """Current UTC time as RFC 3339 with nanoseconds, the format Ollama (Go) uses for ``created_at``."""
    ns = time.time_ns()
    seconds, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{frac:09d}Z"


@dataclass
class LoggedCall:
    """One request the fake server handled, as seen on the wire.

    ``response_final`` is the last JSON object sent: the whole body for plain JSON responses, the
    ``done: true`` line of an Ollama stream, or the last SSE chunk of an OpenAI stream. It is filled
    in *before* the final bytes are written, so a test that inspects the log right after the client
    returns always sees it. ``chunks`` holds every streamed JSON object in order (empty when not
    streaming) and ``headers`` the request headers (lower-cased names).
    """

    path: str
    method: str
    body: Any
    response_final: dict[str, Any] | None = None
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[dict[str, Any]] = field(default_factory=list)


class CallLog(Sequence[LoggedCall]):
    """Thread-safe, append-only (plus ``clear``) list of :class:`LoggedCall` records.

    Handler threads append while the test thread reads; reads work on a snapshot so iterating never
    races with an append.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[LoggedCall] = []

    def append(self, call: LoggedCall) -> None:
        with self._lock:
            self._items.append(call)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[LoggedCall]:
        with self._lock:
            return list(self._items)

    @overload
    def __getitem__(self, index: int) -> LoggedCall: ...
    @overload
    def __getitem__(self, index: slice) -> list[LoggedCall]: ...
    def __getitem__(self, index: int | slice) -> LoggedCall | list[LoggedCall]:
        with self._lock:
            return self._items[index]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[LoggedCall]:
        return iter(self.snapshot())

    def __repr__(self) -> str:
        return f"CallLog({self.snapshot()!r})"


class _App(Protocol):
    def dispatch(self, handler: FakeHandler) -> None: ...


class _LoopbackHTTPServer(ThreadingHTTPServer):
    """Threading server that knows its fake (``app``) and its open connections.

    Tracking connections lets :meth:`BackgroundServer.stop` cut idle keep-alive sockets, so a client
    that outlives the server sees a connection error instead of talking to a zombie handler thread.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: _App) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, FakeHandler)

    def track(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._conn_lock:
            conns = list(self._connections)
            self._connections.clear()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hang up mid-response; print anything else (a real bug)."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class FakeHandler(BaseHTTPRequestHandler):
    """Request handler shared by both fakes: framing helpers, no routing.

    Routing lives in the fake's ``dispatch(handler)`` so each fake stays a single readable class.
    """

    protocol_version = "HTTP/1.1"
    server: _LoopbackHTTPServer
    server_version = "fake"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # See the module docstring: without this every request costs ~40 ms on Linux loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def do_GET(self) -> None:
        self.server.app.dispatch(self)

    do_POST = do_GET
    do_PUT = do_GET
    do_DELETE = do_GET
    do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request stderr logging; the :class:`CallLog` is the record tests use."""

    # -- request helpers -------------------------------------------------------------------------

    @property
    def route(self) -> str:
        """Request path without the query string."""
        return urlsplit(self.path).path

    def request_headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def read_body(self) -> bytes:
        """Read the whole request body (Content-Length or chunked).

        The body is always drained before responding, even for requests that get rejected, or the
        leftover bytes would be parsed as the next request on the keep-alive connection.
        """
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # Skip optional trailers up to the blank line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    # -- response helpers ------------------------------------------------------------------------

    def send_bytes(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        """Send a complete response with an exact Content-Length (keep-alive safe)."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        body = dump_json(obj)
        self.send_bytes(status, body, "application/json; charset=utf-8", headers)

    def start_chunked(self, status: int, content_type: str, headers: dict[str, str] | None = None) -> None:
        """Begin a streamed response using chunked transfer-encoding, as Ollama and OpenAI do."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        """Write one HTTP chunk; a zero-length chunk would terminate the body, so skip empties."""
        if data:
            self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")


class BackgroundServer:
    """Base class: owns the socket, the serving thread and the :class:`CallLog`.

    Subclasses implement ``dispatch(handler)``. The server binds in ``__init__`` (so the port is
    known immediately) and serves once :meth:`start` is called or the context manager is entered.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.log = CallLog()
        self._httpd = _LoopbackHTTPServer((host, port), self)
        self._thread: threading.Thread | None = None

    def dispatch(self, handler: FakeHandler) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        """``http://HOST:PORT`` with no path."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"{type(self).__name__}:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (used by the ``__main__`` demos); Ctrl-C stops it."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        """Stop serving, drop open keep-alive connections and release the port. Idempotent."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.close_connections()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
