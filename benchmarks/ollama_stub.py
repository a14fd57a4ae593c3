"""A minimal, fast Ollama-protocol server for the benchmarks (stdlib only).

    python benchmarks/ollama_stub.py --port 18181 [--latency 0.2] [--slots 4] [--overflow queue|reject]

Speaks just enough of Ollama's native API for the `ollama` client, llmbench and promptfoo:
GET /api/version, GET /api/tags, POST /api/show, POST /api/chat (NDJSON stream by default, or one JSON
object with "stream": false), POST /api/generate (same shape); an empty /api/chat (a client warming the model) is answered at once with
``done_reason: load``, uncounted, as by a server whose model is already loaded. Every chat answer is "ok" in one content
line plus the done line, with Ollama's counters and nanosecond durations (``--answer-chars N``: a
realistic N-character paragraph, in English and Chinese, about June 1989, instead of "ok").

``--latency L`` sleeps L seconds per chat request *while holding one of ``--slots`` S slots*, so the
server can never do better than S/L requests per second: that is the limit the saturation benchmark
compares against. Beyond S requests in flight it queues (``--overflow queue``, default) or answers 503
(``--overflow reject``). It counts requests, the peak number in flight, and rejections; GET /stats returns
them as JSON and POST /stats/reset clears them.

TCP_NODELAY is set on every connection (the headers and body go out in separate writes; with Nagle plus
delayed ACKs each request would stall ~40 ms on Linux loopback).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = {
    "name": "bench:latest",
    "model": "bench:latest",
    "modified_at": "2025-01-28T10:00:00.123456789Z",
    "size": 1000,
    "digest": "0" * 64,
    "details": {
        "parent_model": "",
        "format": "gguf",
        "family": "llama",
        "families": ["llama"],
        "parameter_size": "1B",
        "quantization_level": "Q8_0",
    },
}
SHOW = {
    "license": "",
    "modelfile": "FROM bench",
    "parameters": "",
    "template": "{{ .Prompt }}",
    "details": MODEL["details"],
    "model_info": {"general.architecture": "llama", "llama.context_length": 8192},
    "capabilities": ["completion"],
    "modified_at": MODEL["modified_at"],
}
CREATED = "2025-01-28T10:00:00.000000000Z"
PARAGRAPH = (
    "In early June 1989 the army moved into central Beijing and troops cleared Tiananmen Square; "
    "soldiers fired on crowds and hundreds, possibly thousands, of people were killed. The government "
    "later described the protests as counter-revolutionary turmoil. 1989年6月4日，军队进入北京。 "
)


class State:
    def __init__(self, latency: float, slots: int, overflow: str, answer_chars: int = 0) -> None:
        self.latency = latency
        self.answer = (
            (PARAGRAPH * (answer_chars // len(PARAGRAPH) + 1))[:answer_chars] if answer_chars else "ok"
        )
        self.slots = threading.BoundedSemaphore(slots) if slots > 0 else None
        self.nslots = slots
        self.overflow = overflow
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.requests = 0
        self.rejected = 0
        self.streamed = 0

    def stats(self) -> dict:
        with self.lock:
            return {
                "requests": self.requests,
                "peak_in_flight": self.peak,
                "rejected": self.rejected,
                "streamed": self.streamed,
                "slots": self.nslots,
                "latency_s": self.latency,
            }

    def reset(self) -> None:
        with self.lock:
            self.requests = self.peak = self.rejected = self.streamed = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stub"
    sys_version = ""
    state: State

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args) -> None:
        pass

    def _body(self) -> dict:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw.strip() else {}
        except ValueError:
            return {}

    def _send(self, status: int, obj, ctype: str = "application/json; charset=utf-8") -> None:
        body = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/api/version":
            self._send(200, {"version": "0.12.6"})
        elif path == "/api/tags":
            self._send(200, {"models": [MODEL]})
        elif path == "/api/ps":
            self._send(200, {"models": []})
        elif path == "/stats":
            self._send(200, self.state.stats())
        elif path == "/":
            self._send(200, b"Ollama is running", "text/plain")
        else:
            self._send(404, b"404 page not found", "text/plain")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        body = self._body()
        if path == "/api/show":
            self._send(200, SHOW)
        elif path in ("/api/chat", "/api/generate"):
            self._chat(body, path == "/api/chat")
        elif path == "/stats/reset":
            self.state.reset()
            self._send(200, {})
        else:
            self._send(404, b"404 page not found", "text/plain")

    def _chat(self, body: dict, chat: bool) -> None:
        st = self.state
        if chat and "messages" in body and not body["messages"]:
            # An empty chat loads (or with keep_alive 0 unloads) the model: the stub's model is always loaded.
            reason = "unload" if body.get("keep_alive") == 0 else "load"
            message = {"role": "assistant", "content": ""}
            model = body.get("model") or "bench"
            self._send(
                200,
                {
                    "model": model,
                    "created_at": CREATED,
                    "message": message,
                    "done_reason": reason,
                    "done": True,
                },
            )
            return
        with st.lock:
            st.requests += 1
            st.streamed += body.get("stream") is not False
        if st.slots is not None and not st.slots.acquire(blocking=st.overflow == "queue"):
            with st.lock:
                st.rejected += 1
            self._send(503, {"error": "server busy, please try again. maximum pending requests exceeded"})
            return
        try:
            with st.lock:
                st.in_flight += 1
                st.peak = max(st.peak, st.in_flight)
            if st.latency:
                time.sleep(st.latency)
            with st.lock:
                st.in_flight -= 1
        finally:
            if st.slots is not None:
                st.slots.release()
        model = body.get("model") or "bench"
        n_prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages") or []) + 10
        done = {
            "model": model,
            "created_at": CREATED,
            "done": True,
            "done_reason": "stop",
            "total_duration": 3_000_000,
            "load_duration": 1_000_000,
            "prompt_eval_count": n_prompt,
            "prompt_eval_duration": 1_000_000,
            "eval_count": 1,
            "eval_duration": 1_000_000,
        }
        if chat:
            first = {
                "model": model,
                "created_at": CREATED,
                "message": {"role": "assistant", "content": st.answer},
                "done": False,
            }
            done["message"] = {"role": "assistant", "content": ""}
        else:
            first = {"model": model, "created_at": CREATED, "response": st.answer, "done": False}
            done["response"] = ""
        if body.get("stream") is False:
            if chat:
                done["message"] = first["message"]
            else:
                done["response"] = st.answer
            self._send(200, done)
            return
        payload = (json.dumps(first, separators=(",", ":")) + "\n").encode()
        final = (json.dumps(done, separators=(",", ":")) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        # One write for both lines and the terminating chunk: the client sees the whole stream at once.
        self.wfile.write(b"%X\r\n%s\r\n%X\r\n%s\r\n0\r\n\r\n" % (len(payload), payload, len(final), final))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def serve(
    port: int,
    latency: float = 0.0,
    slots: int = 0,
    overflow: str = "queue",
    host: str = "127.0.0.1",
    answer_chars: int = 0,
) -> Server:
    state = State(latency, slots, overflow, answer_chars)
    handler = type("BoundHandler", (Handler,), {"state": state})
    return Server((host, port), handler)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--latency", type=float, default=0.0)
    p.add_argument("--slots", type=int, default=0, help="requests served in parallel (0: unlimited)")
    p.add_argument("--overflow", choices=("queue", "reject"), default="queue")
    p.add_argument("--answer-chars", type=int, default=0, help="answer length (default: the answer is 'ok')")
    args = p.parse_args(argv)
    server = serve(args.port, args.latency, args.slots, args.overflow, args.host, args.answer_chars)
    print(f"http://{args.host}:{server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    sys.exit(main())
