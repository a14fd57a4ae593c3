"""The scheduler mode of the fake Ollama: models resident, slots, loads, queueing, as Ollama schedules them.

A model of Ollama's own scheduler (``server/sched.go``), which decides what a harness pays in model loads:

* at most ``max_loaded`` models resident (``OLLAMA_MAX_LOADED_MODELS``), each serving ``parallel`` requests
  at once (``OLLAMA_NUM_PARALLEL``); further requests for a resident model wait for a free slot;
* requests are served one at a time from a FIFO queue: one for a model that is not resident blocks the queue
  until the model is loaded (``load_s`` seconds), after evicting, when there is no room, the idle model with
  the shortest keep_alive (then by name) or, if all are busy, waiting for the shortest to become idle; so
  requests for other models wait behind it;
* more than ``max_queue`` waiting requests get 503 "server busy" (``OLLAMA_MAX_QUEUE``);
* each request sets its model's ``keep_alive`` (default 5 min, 0 unloads once idle, negative never expires);
  the timer runs while the model is idle; an empty chat loads the model (``done_reason: load``), or with
  ``keep_alive: 0`` unloads it without loading (``done_reason: unload``);
* a request with another ``num_ctx`` than the resident model's reloads it;
* ``load_duration`` is measured as Ollama does: from the request's arrival until its model was ready.

Every load is logged (``loads``, counted by ``load_counts()``, and ``GET /debug/scheduler`` for a server run
in another process), with the peak number of requests in flight per model.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.servers._http import FakeHandler, LoggedCall, rfc3339_now

DEFAULT_KEEP_ALIVE_S = 300.0
FOREVER_S = 10 * 365 * 86400.0


@dataclass
class Resident:
    """A model in memory (what /api/ps lists)."""

    model: Any  # a FakeModel
    key: str
    expires_at: float
    context_length: int
    # Scheduler mode only: requests holding the runner, their keep_alive, the runner's slots.
    ref_count: int = 0
    session_s: float = DEFAULT_KEEP_ALIVE_S
    slots: threading.Semaphore | None = None


@dataclass
class Scheduler:
    """How the server schedules models (see the module docstring); the defaults are Ollama's, except a
    one-model card (``max_loaded=1``) and a 1 s load."""

    max_loaded: int = 1
    parallel: int = 1
    load_s: float = 1.0
    max_queue: int = 512
    answer_s: float | None = None
    """Generation time of every answer (else each reply's own ``delay_s``)."""


@dataclass
class LoadEvent:
    """One model load the scheduler made: when, how long, and which model it evicted to make room."""

    model: str
    started: float
    seconds: float
    evicted: str | None = None
    reason: str = "request"  # request | reload (num_ctx changed)


def is_load_request(body: Any) -> bool:
    return isinstance(body, dict) and not body.get("messages")


def empty_done(requested: str, reason: str) -> dict[str, Any]:
    """What Ollama answers to an empty chat: no counters, no durations, done_reason load or unload."""
    return {
        "model": requested,
        "created_at": rfc3339_now(),
        "message": {"role": "assistant", "content": ""},
        "done_reason": reason,
        "done": True,
    }


class SchedulerMode:
    """Mixed into FakeOllama, whose state it shares (``_loaded``, ``_changed``, ``_answer``, ``_send``...)."""

    scheduler: Scheduler | None
    loads: list[LoadEvent]
    _loaded: dict[str, Resident]
    _changed: threading.Condition

    def busy_error(self) -> Exception:  # pragma: no cover - the server's own
        raise NotImplementedError

    def load_counts(self) -> dict[str, int]:
        """Scheduler mode: loads made per model."""
        counts: dict[str, int] = {}
        for event in self.loads:
            counts[event.model] = counts.get(event.model, 0) + 1
        return counts

    def _debug_scheduler(self, handler: FakeHandler, record: LoggedCall) -> None:
        """Not an Ollama endpoint: what the scheduler did, for a server run in another process."""
        with self._lock:
            body = {
                "loads": [vars(event) for event in self.loads],
                "peak_in_flight": dict(self.peak_in_flight),
                "rejected": self.rejected,
                "chat_calls": len(self.chat_calls),
            }
        self._send(handler, record, 200, body)

    def _scheduled_chat(
        self,
        handler: FakeHandler,
        record: LoggedCall,
        model: Any,
        key: str,
        requested: str,
        messages: list[dict[str, Any]],
        think: Any,
        options: dict[str, Any],
        stream: bool,
        keep_alive: float,
    ) -> None:
        if not messages and keep_alive == 0:
            # Ollama expires the runner (once idle) without loading anything.
            with self._changed:
                entry = self._loaded.get(key)
                if entry is not None:
                    entry.session_s = 0.0
                    if not entry.ref_count:
                        del self._loaded[key]
                        self._changed.notify_all()
            self._send(handler, record, 200, empty_done(requested, "unload"))
            return
        arrived = time.monotonic()
        num_ctx = options.get("num_ctx") if isinstance(options.get("num_ctx"), int) else 4096
        entry, cold = self._admit(model, key, keep_alive, num_ctx)
        load_ns = int((time.monotonic() - arrived) * 1e9)
        try:
            if not messages:
                self._send(handler, record, 200, {**empty_done(requested, "load")})
                return
            assert entry.slots is not None
            with entry.slots:  # the runner serves `parallel` requests at once; the rest wait here
                with self._lock:
                    self._in_flight[key] = self._in_flight.get(key, 0) + 1
                    self.peak_in_flight[model.name] = max(
                        self.peak_in_flight.get(model.name, 0), self._in_flight[key]
                    )
                try:
                    self._answer(
                        handler, record, model, requested, messages, think, options, stream, cold, load_ns
                    )
                finally:
                    with self._lock:
                        self._in_flight[key] -= 1
        finally:
            self._release(key, entry)

    def _admit(self, model: Any, key: str, keep_alive: float, num_ctx: int) -> tuple[Resident, bool]:
        """Queue the request and serve the queue in order, as Ollama's scheduler does: the request at
        the head gets its model's runner, loading it (after evicting one) when it is not resident."""
        assert self.scheduler is not None
        sched = self.scheduler
        ticket = object()
        with self._changed:
            if len(self._queue) >= sched.max_queue:
                self.rejected += 1
                raise self.busy_error()
            self._queue.append(ticket)
            try:
                while True:
                    self._expire_locked()
                    if self._queue[0] is ticket:
                        entry = self._loaded.get(key)
                        if entry is not None and entry.context_length == num_ctx:
                            entry.ref_count += 1
                            entry.session_s = keep_alive
                            return entry, False
                        reason = "reload" if entry is not None else "request"
                        victim = entry or self._victim_locked()
                        if victim is None:  # room for one more model
                            return self._load_locked(model, key, keep_alive, num_ctx, reason, None), True
                        if not victim.ref_count:
                            del self._loaded[victim.key]
                            evicted = None if entry is not None else victim.model.name
                            return self._load_locked(model, key, keep_alive, num_ctx, reason, evicted), True
                    # Not our turn, or the model to evict is still serving: wait for a change.
                    self._changed.wait(timeout=0.05)
            finally:
                self._queue.remove(ticket)
                self._changed.notify_all()

    def _victim_locked(self) -> Resident | None:
        """None while there is room; else the idle runner with the shortest keep_alive (then the first
        name), or, when all are busy, the one with the shortest keep_alive, to wait for."""
        assert self.scheduler is not None
        if len(self._loaded) < self.scheduler.max_loaded:
            return None
        ordered = sorted(self._loaded.values(), key=lambda e: (e.session_s, e.model.name))
        return next((e for e in ordered if not e.ref_count), ordered[0])

    def _load_locked(
        self, model: Any, key: str, keep_alive: float, num_ctx: int, reason: str, evicted: str | None
    ) -> Resident:
        """Load with the lock released (requests already served finish meanwhile), the queue blocked."""
        assert self.scheduler is not None
        started = time.time()
        self._changed.release()
        try:
            time.sleep(self.scheduler.load_s)
        finally:
            self._changed.acquire()
        entry = Resident(
            model=model,
            key=key,
            expires_at=float("inf"),
            context_length=num_ctx,
            ref_count=1,
            session_s=keep_alive,
            slots=threading.Semaphore(self.scheduler.parallel),
        )
        self._loaded[key] = entry
        self.loads.append(LoadEvent(model.name, started, time.time() - started, evicted, reason))
        return entry

    def _release(self, key: str, entry: Resident) -> None:
        with self._changed:
            entry.ref_count -= 1
            if not entry.ref_count:
                if entry.session_s == 0 and self._loaded.get(key) is entry:
                    del self._loaded[key]
                else:
                    entry.expires_at = time.time() + min(entry.session_s, FOREVER_S)
            self._changed.notify_all()
