"""Run a plan: async calls with per-target concurrency, bounded retries, one commit per finished call.

Retries live here and only here: providers classify errors (`CallError.retryable`, `retry_after`) and the
runner decides, honouring Retry-After. A call that still fails is recorded with its error and the run
goes on.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from llmbench.errors import CallError
from llmbench.grading import GRADER, grade_row
from llmbench.plan import Plan
from llmbench.providers.base import Provider
from llmbench.records import Cell, Completion
from llmbench.store import Store, now_iso

log = logging.getLogger("llmbench")

_backoff = wait_exponential_jitter(initial=1.0, max=60.0, jitter=1.0)


def _wait(state: RetryCallState) -> float:
    """Exponential backoff with jitter, but never sooner than the server's Retry-After."""
    exc = state.outcome.exception() if state.outcome else None
    retry_after = getattr(exc, "retry_after", None) or 0.0
    return max(_backoff(state), min(retry_after, 300.0))


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, CallError) and exc.retryable


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
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            from rich.console import Console

            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                transient=False, console=Console(stderr=True),
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
                print(
                    f"{now_iso()} progress {self.count}/{self.total} failed={self.failed}"
                    f" elapsed={elapsed:.0f}s eta={eta:.0f}s last={cell.target.name}:{cell.prompt.id}",
                    file=sys.stderr, flush=True,
                )

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
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.providers = providers
        self.digests = digests
        self.progress = progress
        self.on_record = on_record
        # Keys are never echoed into the store, even when a server quotes them back in an error message.
        self.secrets = [p.spec.api_key for p in providers.values() if getattr(p.spec, "api_key", None)]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    async def _call(self, cell: Cell, semaphore: asyncio.Semaphore) -> tuple[Cell, str, int, Completion | None, CallError | None]:
        provider = self.providers[cell.target.name]
        async with semaphore:
            started_at = now_iso()
            attempts = 0
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(cell.target.max_retries + 1),
                    wait=_wait,
                    retry=retry_if_exception(_retryable),
                    reraise=True,
                ):
                    with attempt:
                        attempts += 1
                        completion = await provider.complete(cell.prompt, cell.params)
                return cell, started_at, attempts, completion, None
            except CallError as exc:
                return cell, started_at, attempts, None, exc
            except Exception as exc:  # an unexpected provider bug must not kill the run
                return cell, started_at, attempts, None, CallError("internal", f"{type(exc).__name__}: {exc}")

    async def run(self, plan: Plan, todo: list[Cell]) -> RunSummary:
        summary = RunSummary(run_id=self.run_id, planned=len(plan.cells), skipped=len(plan.cells) - len(todo))
        started = time.monotonic()
        semaphores = {t.name: asyncio.Semaphore(t.concurrency) for t in plan.targets}
        tasks = [asyncio.ensure_future(self._call(cell, semaphores[cell.target.name])) for cell in todo]
        try:
            with Progress(len(todo), enabled=self.progress) as progress:
                for next_done in asyncio.as_completed(tasks):
                    cell, started_at, attempts, completion, error = await next_done
                    # Commit before awaiting the next result: a crash now loses nothing already answered.
                    self.store.record_call(
                        self.run_id, cell, self.digests.get(cell.target.name), started_at, attempts,
                        completion=completion, error=(error.kind, self.redact(str(error))) if error else None,
                    )
                    self._grade(cell)
                    if error is None:
                        summary.ok += 1
                    else:
                        summary.failed += 1
                        summary.errors[error.kind] += 1
                        log.warning("%s %s failed: %s", cell.target.name, cell.prompt.id, self.redact(str(error)))
                    progress.advance(cell, error is None)
                    if self.on_record:
                        self.on_record(cell, completion)
        except asyncio.CancelledError:
            summary.interrupted = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            summary.elapsed_s = time.monotonic() - started
        return summary

    def _grade(self, cell: Cell) -> None:
        row = self.store.db.execute(
            "SELECT * FROM calls WHERE run_id=? AND cell_key=?", (self.run_id, cell.key)
        ).fetchone()
        grade = grade_row(row, cell.prompt.expect, cell.prompt.meta)
        self.store.record_grade(self.run_id, cell.key, GRADER, grade.outcome, grade.verdict, grade.score,
                                grade.evidence)
