"""Run a plan: async calls with per-target concurrency, bounded retries, one commit per finished call.

Calls to local model servers (Ollama, embedded) are ordered by llmbench.schedule, model-major per host, so
each server loads each model once; hosted APIs are called all at once within their `concurrency`.

Retries go through `providers.retry.complete_with_retries`: providers say what an error means
(`Provider.retry_decision`), that one loop applies the policy, honouring Retry-After. A call that still fails is recorded with its error and the run
goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llmbench.errors import CallError
from llmbench.plan import Plan
from llmbench.providers.base import Provider
from llmbench.providers.retry import complete_with_retries
from llmbench.records import CallRecord, Cell, Completion, Grade, HostLimits, ModelLoad, Prompt, TargetSpec
from llmbench.schedule import IN_PROCESS, HostScheduler, Job, in_process_limits, lanes
from llmbench.store import LoadRecord, Store, now_iso

log = logging.getLogger("llmbench")


def cell_worst_case(pricer: Any, cell: Cell) -> float | None:
    """The most one cell's call can cost (None: no price known). The one estimate the up-front gate and
    the in-run reservations both use."""
    chars = len(cell.prompt.text) + len(cell.prompt.system or "")
    return pricer.worst_case(cell.target, chars, cell.params.max_tokens or 0)


class Budget:
    """`--max-cost`: a call starts only if what is spent, plus the worst case of the calls in flight,
    plus its own worst case stays within the limit. So the run stops before crossing it, never after."""

    def __init__(self, max_usd: float, pricer: Any, spent: float = 0.0) -> None:
        self.max_usd = max_usd
        self.pricer = pricer
        self.spent = spent
        self.reserved = 0.0
        self.held: dict[str, float] = {}  # cell key -> its reservation, until the call is settled

    def reserve(self, cell: Cell) -> bool:
        worst = cell_worst_case(self.pricer, cell)
        worst = float("inf") if worst is None else worst
        if self.spent + self.reserved + worst > self.max_usd + 1e-12:
            return False
        self.reserved += worst
        self.held[cell.key] = worst
        return True

    def settle(self, cell: Cell, actual: float | None) -> None:
        worst = self.held.pop(cell.key, 0.0)
        self.reserved -= worst
        # An unpriced answer is charged its worst case: the gate must err on the side of the user's money.
        self.spent += worst if actual is None else actual


@dataclass
class RunSummary:
    run_id: str
    planned: int
    skipped: int = 0
    ok: int = 0
    failed: int = 0
    interrupted: bool = False
    errors: Counter = field(default_factory=Counter)
    elapsed_s: float = 0.0
    budget_skipped: int = 0
    cost_usd: float = 0.0
    loads: int = 0
    load_s: float = 0.0

    @property
    def done(self) -> int:
        return self.ok + self.failed


class Progress:
    """A rich progress bar on a terminal; plain, timestamped lines otherwise (cron logs stay readable)."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total = total
        self.count = 0
        self.failed = 0
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self._bar = None
        self._task = None
        self._last_line = 0.0
        self._started = time.monotonic()

    def __enter__(self) -> Progress:
        if self.enabled and self.tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                transient=False,
                console=Console(stderr=True),
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("calls", total=self.total, status="")
        return self

    def advance(self, cell: Cell, ok: bool) -> None:
        self.count += 1
        self.failed += 0 if ok else 1
        status = f"[red]{self.failed} failed[/]" if self.failed else ""
        if self._bar is not None:
            self._bar.update(self._task, advance=1, status=status)
        elif self.enabled:
            now = time.monotonic()
            if now - self._last_line >= 10 or self.count == self.total or self.count == 1:
                self._last_line = now
                elapsed = now - self._started
                eta = elapsed / self.count * (self.total - self.count)
                line = (
                    f"progress {self.count}/{self.total} failed={self.failed}"
                    f" elapsed={elapsed:.0f}s eta={eta:.0f}s last={cell.target.name}:{cell.prompt.id}"
                )
                print(f"{now_iso()} {line}", file=sys.stderr, flush=True)
                log.info(line)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


class Runner:
    def __init__(
        self,
        store: Store,
        run_id: str,
        providers: dict[str, Provider],
        digests: dict[str, str | None],
        *,
        progress: bool = True,
        on_record: Callable[[Cell, Completion | None], None] | None = None,
        grade: Callable[[CallRecord, Prompt], Grade | None] | None = None,
        pricer: Any = None,
        budget: Budget | None = None,
        hosts: dict[str, HostLimits] | None = None,
    ) -> None:
        self.store = store
        self.hosts = hosts or {}
        self.summary = RunSummary(run_id=run_id, planned=0)
        self.run_id = run_id
        self.providers = providers
        self.digests = digests
        self.progress = progress
        self.on_record = on_record
        self.grade = grade  # the pipeline hands the grader down: the runner never imports grading
        self.pricer = pricer
        self.budget = budget
        # Keys are never echoed into the store, even when a server quotes them back in an error message.
        self.secrets = [p.spec.api_key for p in providers.values() if getattr(p.spec, "api_key", None)]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    async def _call(
        self, cell: Cell, provider: Provider, semaphore: asyncio.Semaphore | None = None
    ) -> tuple[Cell, str, int, Completion | None, CallError | None]:
        async with semaphore or contextlib.nullcontext():
            started_at = now_iso()
            attempts = 0
            if self.budget is not None and not self.budget.reserve(cell):
                return (
                    cell,
                    started_at,
                    0,
                    None,
                    CallError("budget", "not started: it could exceed --max-cost"),
                )
            try:
                completion, attempts = await complete_with_retries(
                    provider, cell.prompt, cell.params, cell.target.max_retries
                )
                return cell, started_at, attempts, completion, None
            except CallError as exc:
                return cell, started_at, exc.attempts, None, exc

    def _workers(self, plan: Plan, todo: list[Cell], results: asyncio.Queue) -> list[asyncio.Future]:
        """Local servers model-major per host (see llmbench.schedule); hosted APIs all at once, each
        target within its `concurrency`. Every finished call lands in `results`, a worker's crash too."""

        async def call(cell: Cell, provider: Provider, semaphore: asyncio.Semaphore | None = None) -> None:
            results.put_nowait(await self._call(cell, provider, semaphore))

        async def guarded(work: Any) -> None:
            try:
                await work
            except Exception as exc:  # a scheduler bug must end the run, not leave it waiting
                results.put_nowait(exc)

        jobs: dict[str, Job] = {}
        for target in plan.targets:
            served_by = lanes(target, self.providers[target.name])
            if served_by is not None:
                jobs[target.name] = Job(target, served_by)
        semaphores = {t.name: asyncio.Semaphore(t.concurrency) for t in plan.targets if t.name not in jobs}
        workers = []
        for cell in todo:
            job = jobs.get(cell.target.name)
            if job is not None:
                job.cells.append(cell)
            else:
                provider = self.providers[cell.target.name]
                workers.append(asyncio.ensure_future(call(cell, provider, semaphores[cell.target.name])))
        busy = [job for job in jobs.values() if job.cells]
        if busy:
            limits = dict(self.hosts)
            embedded = [job.lanes[IN_PROCESS] for job in busy if IN_PROCESS in job.lanes]
            limits[IN_PROCESS] = in_process_limits(embedded)
            scheduler = HostScheduler(busy, limits, call, self._record_load)
            workers.append(asyncio.ensure_future(guarded(scheduler.run())))
        return workers

    def _record_load(self, target: TargetSpec, host: str, started_at: str, load: ModelLoad) -> None:
        self.store.record_load(
            self.run_id, LoadRecord(target.name, host, started_at, load.seconds, load.server_ns)
        )
        self.summary.loads += 1
        self.summary.load_s += load.seconds
        log.info("%s loaded on %s in %.2f s", target.name, host, load.seconds)

    async def run(self, plan: Plan, todo: list[Cell]) -> RunSummary:
        summary = RunSummary(run_id=self.run_id, planned=len(plan.cells), skipped=len(plan.cells) - len(todo))
        self.summary = summary
        started = time.monotonic()
        results: asyncio.Queue = asyncio.Queue()
        tasks = self._workers(plan, todo, results)
        try:
            with Progress(len(todo), enabled=self.progress) as progress:
                try:
                    for _ in range(len(todo)):
                        self._settle(await results.get(), summary, progress)
                except asyncio.CancelledError:
                    summary.interrupted = True
                    # Answers already back but not yet stored are kept too: only calls in flight are lost.
                    while not results.empty():
                        self._settle(results.get_nowait(), summary, progress)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            summary.elapsed_s = time.monotonic() - started
        return summary

    def _settle(self, item: Any, summary: RunSummary, progress: Progress) -> None:
        """Store one finished call and its grade, committed before the next result is awaited: a crash
        then loses nothing already answered."""
        if isinstance(item, BaseException):
            raise item
        cell, started_at, attempts, completion, error = item
        if error is not None and error.kind == "budget":
            # Never started, so nothing to record: `--resume` with a larger budget makes it.
            summary.budget_skipped += 1
            progress.advance(cell, False)
            return
        cost = self._price(cell, completion, started_at, attempts)
        self.store.record_call(
            self.run_id,
            cell,
            self.digests.get(cell.target.name),
            started_at,
            attempts,
            completion=completion,
            error=(error.kind, self.redact(str(error))) if error else None,
            cost=cost,
            grade=None if self.grade is None else lambda row, prompt=cell.prompt: self.grade(row, prompt),
        )
        if error is None:
            summary.ok += 1
            summary.cost_usd += completion.cost_usd or 0.0
        else:
            summary.failed += 1
            summary.errors[error.kind] += 1
            log.warning("%s %s failed: %s", cell.target.name, cell.prompt.id, self.redact(str(error)))
        progress.advance(cell, error is None)
        if self.on_record:
            self.on_record(cell, completion)

    def _price(
        self, cell: Cell, completion: Completion | None, started_at: str, attempts: int
    ) -> dict | None:
        """Price a finished call (and release its budget reservation); failed calls cost nothing here."""
        actual = None
        details = None
        if completion is not None and self.pricer is not None:
            call_cost = self.pricer.cost(cell.target, completion, at=started_at)
            completion.cost_usd = call_cost.usd
            actual = call_cost.usd
            details = call_cost.as_dict()
        if self.budget is not None and attempts:
            self.budget.settle(cell, actual if completion is not None else 0.0)
        return details
