"""Host-aware scheduling: targets that share a model server run so that the server loads each model once.

A real Ollama keeps only `OLLAMA_MAX_LOADED_MODELS` models resident (often one per GPU), loads a model in
seconds to tens of seconds, and serves `OLLAMA_NUM_PARALLEL` requests per resident model. Calls that
alternate models on such a host make it reload on nearly every call. So calls to local servers are run
model-major per host: on each host, up to `max_loaded` targets at a time (a *phase* each), each phase warming
its model with an empty request, then keeping exactly `parallel` of its calls in flight until its cells are
done, then (if another model is still to run there) unloading it.

Different hosts run at the same time. A target that several hosts may serve (`hosts:`) shares one queue of
cells: a host that has no model of its own left joins a target running elsewhere when that finishes sooner
despite the extra load (estimated from the loads and calls measured so far). Embedded (in-process) models
are one host whose `max_loaded` is how many of their weights fit in memory together.

The runner stays the only writer of calls: a phase hands each call to the runner's `call` function.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from llmbench.config import host_key
from llmbench.errors import CallError
from llmbench.records import Cell, HostLimits, ModelLoad, TargetSpec
from llmbench.store import now_iso

log = logging.getLogger("llmbench")

IN_PROCESS = "in-process"

CallFn = Callable[[Cell, Any], Awaitable[None]]
LoadFn = Callable[[TargetSpec, str, str, ModelLoad], None]


def lanes(spec: TargetSpec, provider: Any) -> dict[str, Any] | None:
    """Host -> the provider that calls this target there; None for a target that is not scheduled (a
    hosted API: no model to load)."""
    members = getattr(provider, "members", None) or [provider]
    if not all(hasattr(member, "load") for member in members):
        return None
    if spec.provider == "embedded":
        return {IN_PROCESS: provider}
    return {host_key(member.host): member for member in members}


@dataclass(eq=False)
class Job:
    """One target's cells still to call, in plan order, and the hosts that may serve them."""

    target: TargetSpec
    lanes: dict[str, Any]
    cells: deque[Cell] = field(default_factory=deque)
    slots: dict[str, int] = field(default_factory=dict)  # host -> calls in flight there, while running
    load_s: list[float] = field(default_factory=list)
    call_s: list[float] = field(default_factory=list)

    def worth_joining(self, slots: int, idle: bool) -> bool:
        """Whether another host loading this model and adding `slots` finishes its cells sooner. Before
        a load and a call are measured, only a host with nothing else to do joins."""
        if not self.load_s or not self.call_s:
            return idle
        per_call = sum(self.call_s) / len(self.call_s)
        load = sum(self.load_s) / len(self.load_s)
        now = sum(self.slots.values())
        left = len(self.cells) * per_call
        return load + left / (now + slots) < left / now


class HostScheduler:
    def __init__(
        self,
        jobs: list[Job],
        limits: dict[str, HostLimits],
        call: CallFn,
        record_load: LoadFn,
    ) -> None:
        self.jobs = jobs
        self.limits = limits
        self.call = call
        self.record_load = record_load
        self.hosts = list(dict.fromkeys(host for job in jobs for host in job.lanes))
        self._changed = asyncio.Event()

    async def run(self) -> None:
        await asyncio.gather(*(self._host(host) for host in self.hosts))

    async def _host(self, host: str) -> None:
        limits = self.limits.get(host) or HostLimits()
        await asyncio.gather(*(self._resident(host, limits) for _ in range(limits.max_loaded)))

    async def _resident(self, host: str, limits: HostLimits) -> None:
        """One place for a resident model on `host`: phase after phase until no target is left for it."""
        while any(host in j.lanes and j.cells for j in self.jobs):
            job = self._pick(host, limits)
            if job is None:
                await self._wait_for_change()
                continue
            await self._phase(job, host, limits)

    def _pick(self, host: str, limits: HostLimits) -> Job | None:
        """A target no host has started, in plan order, unless another host that may serve it is less busy
        (it will take it); else the target running elsewhere that gains most from this host too. Picking
        and marking happen without an await between, so no two places take the same target."""
        mine = [j for j in self.jobs if host in j.lanes and j.cells and host not in j.slots]
        for job in mine:
            if not job.slots and not any(self._idler(other, host) for other in job.lanes if other != host):
                return job
        idle = not self._running(host)
        joinable = [j for j in mine if j.slots and j.worth_joining(self._slots(j, limits), idle)]
        return max(joinable, key=lambda j: len(j.cells) / sum(j.slots.values()), default=None)

    def _running(self, host: str) -> int:
        return sum(host in j.slots for j in self.jobs)

    def _idler(self, other: str, host: str) -> bool:
        """Whether `other` has a free place and fewer models running than `host`."""
        running = self._running(other)
        return running < self._running(host) and running < (self.limits.get(other) or HostLimits()).max_loaded

    async def _wait_for_change(self) -> None:
        # Bounded: a missed notification costs a second, never the run.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), 1.0)

    def _notify(self) -> None:
        """A phase started or ended, or a call finished: places waiting for a target look again."""
        self._changed.set()
        self._changed = asyncio.Event()

    @staticmethod
    def _slots(job: Job, limits: HostLimits) -> int:
        return limits.parallel or job.target.concurrency

    async def _phase(self, job: Job, host: str, limits: HostLimits) -> None:
        provider = job.lanes[host]
        slots = self._slots(job, limits)
        job.slots[host] = slots
        self._notify()
        try:
            started_at = now_iso()
            try:
                load = await provider.load()
            except CallError as exc:
                # The calls still run (and record what goes wrong); only the warm-up is missing.
                log.warning("%s: loading on %s failed: %s", job.target.name, host, exc)
            else:
                job.load_s.append(load.seconds)
                self.record_load(job.target, host, started_at, load)
            await asyncio.gather(*(self._drain(job, provider) for _ in range(slots)))
        finally:
            del job.slots[host]
            self._notify()
        if limits.unload and any(host in j.lanes and j.cells and host not in j.slots for j in self.jobs):
            try:
                await provider.unload()
            except CallError as exc:
                log.warning("%s: unloading on %s failed: %s", job.target.name, host, exc)

    async def _drain(self, job: Job, provider: Any) -> None:
        while job.cells:
            cell = job.cells.popleft()
            started = time.perf_counter()
            await self.call(cell, provider)
            job.call_s.append(time.perf_counter() - started)
            self._notify()


def in_process_limits(providers: list[Any]) -> HostLimits:
    """Every embedded model resident at once when their weights fit in memory together, else one."""
    from llmbench.providers.embedded import fit_together

    return HostLimits(max_loaded=max(1, len(providers)) if fit_together(providers) else 1)
