"""`llmbench run` as a library call: resolve targets and suites, plan, identify models, run, report.

The CLI parses options into `RunOptions` and prints what `run_benchmark` returns; nothing here prints
except through the `say` callback, so the same flow is usable from Python and from tests.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from llmbench import __version__
from llmbench.config import Config, ollama_host, target_from_cli, target_from_public
from llmbench.cost import Pricer
from llmbench.errors import BudgetExceeded, StoreBusy, TargetUnavailable, UsageError
from llmbench.grading import grade_row
from llmbench.plan import build_plan
from llmbench.providers import make_provider
from llmbench.providers.registry import provider_class
from llmbench.records import TargetSpec
from llmbench.runner import Budget, Runner, RunSummary, cell_worst_case
from llmbench.sampling import QUICK, sampled
from llmbench.store import Store
from llmbench.suites import Suite, find_suite, load_suite

DEFAULT_SUITES = ["factual", "censorship", "cost"]


@dataclass
class RunOptions:
    config: Config
    targets: list[str] = field(default_factory=list)
    suites: list[str] = field(default_factory=list)
    repeats: int | None = None
    limit: int | None = None
    results: Path | None = None
    report: Path | None = None
    no_report: bool = False
    resume: str | None = None
    progress: bool = True
    wait_lock: float = 0.0
    max_cost: float | None = None
    argv: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    summary: RunSummary
    results: Path
    report: Path | None
    targets: list[TargetSpec]
    notes: list[str]


def new_run_id() -> str:
    return f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def load_suites(names: list[str], config: Config, limit: int | None, sample: str | None) -> list[Suite]:
    return [sampled(load_suite(find_suite(name, config.prompts_dir)), limit, sample) for name in names]


def describe_quick_sample(suites: list[Suite], targets: int) -> str:
    """What the quick sample holds, suite by suite: topics and languages, so a newcomer sees its shape."""
    parts = []
    for suite in suites:
        topics = list(dict.fromkeys(p.topic or p.id for p in suite.prompts))
        languages = list(dict.fromkeys(p.language.upper() for p in suite.prompts))
        parts.append(f"{suite.name} {len(suite.prompts)} ({', '.join(topics)}; {'/'.join(languages)})")
    total = sum(len(s.prompts) for s in suites)
    return (
        f"Quick sample, the first question of each kind in every language it is asked in: {'; '.join(parts)}. "
        f"The same {total} prompts for each of the {targets} model(s); --limit 0 runs every prompt."
    )


# llama.cpp on a CPU generates at a rate set mostly by reading the weights once per token: tokens/s is
# close to this many MB per second per thread over the GGUF's size (measured on a 2-core VM: SmolLM2-135M
# Q4_1, 98 MB, ~60 tokens/s; Gemma 3 270M Q4_K_M, 253 MB, ~25 tokens/s with 2 threads).
_EMBEDDED_MB_PER_S_PER_THREAD = 3000.0


def embedded_estimate(cells: list, providers: dict[str, Any]) -> str | None:
    """A rough duration for the embedded calls, said before they start: every answer using its whole
    max_tokens budget is the upper bound; tiny models run most of their answers to it."""
    seconds = 0.0
    for cell in cells:
        provider = providers[cell.target.name]
        if cell.target.provider != "embedded" or not cell.params.max_tokens:
            continue
        threads = min(provider.n_threads, os.cpu_count() or 1)
        tokens_per_s = _EMBEDDED_MB_PER_S_PER_THREAD * threads / (provider.path.stat().st_size / 1e6)
        seconds += cell.params.max_tokens / tokens_per_s
    if not seconds:
        return None
    return (
        f"In-process on this machine's {os.cpu_count() or 1} core(s), the embedded calls take at most about "
        f"{_minutes(seconds)} if every answer runs to its max_tokens; usually less."
    )


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} minutes"


async def resolve_default_targets(say: Callable[[str], None]) -> tuple[list[TargetSpec], list[str]]:
    """No --target and no configured target: the Ollama server's models, else the embedded models."""
    from llmbench.providers.embedded import INSTALL_HINT, KNOWN_MODELS, MODEL_LABELS, installed_models
    from llmbench.providers.ollama import discover_models

    host = ollama_host()
    models = await discover_models(host)
    notes: list[str] = []
    if models:
        say(f"Using the {len(models)} model(s) installed on the Ollama server at {host}.")
        cfg = Config()
        return [target_from_cli(f"ollama/{m}", cfg) for m in models], notes
    if models is None:
        notes.append(f"No Ollama server answers at {host}.")
    else:
        notes.append(
            f"The Ollama server at {host} has no models installed (try `ollama pull deepseek-r1:7b`)."
        )
    embedded = installed_models()
    if not embedded:
        raise TargetUnavailable(
            notes[0]
            + " Nothing to run: start Ollama (`ollama serve`, then `ollama pull deepseek-r1:7b`), name "
            "a hosted target with --target (e.g. openai/gpt-4o-mini), or " + INSTALL_HINT + " to run the "
            "small embedded models in-process."
        )
    labels = " and ".join(MODEL_LABELS.get(name, name) for name in embedded)
    notes.append(
        f"Running the embedded model{'s' if len(embedded) > 1 else ''} {labels} in-process (llama.cpp) so you "
        "get a complete run and report. Tiny models: expect wrong answers. Start Ollama to compare real "
        "R1 distills."
    )
    missing = [name for name in KNOWN_MODELS if name not in embedded]
    if missing:
        notes.append(
            "To add "
            + " and ".join(MODEL_LABELS.get(n, n) for n in missing)
            + f" to the comparison, {INSTALL_HINT} again."
        )
    for note in notes:
        say(note)
    return [target_from_cli(f"embedded/{name}", Config()) for name in embedded], notes


async def _describe_all(targets: list[TargetSpec], providers: dict[str, Any]) -> dict[str, Any]:
    """Identify every target (concurrently) before any paid call, and let providers that need it get
    ready (embedded models load their weights: all of them when they fit in memory together, else the
    first only, the others in their turn): a missing key, model or file fails the run up front."""
    from llmbench.providers.embedded import EmbeddedProvider, fit_together

    embedded = [p for p in providers.values() if isinstance(p, EmbeddedProvider)]
    in_their_turn = [] if fit_together(embedded) else embedded[1:]

    async def ready(target: TargetSpec) -> Any:
        provider = providers[target.name]
        identity = await provider.describe()
        if provider not in in_their_turn:
            await provider.prepare()
        return identity

    outcomes = await asyncio.gather(*(ready(t) for t in targets), return_exceptions=True)
    identities, problems = {}, []
    for target, outcome in zip(targets, outcomes, strict=True):
        if isinstance(outcome, TargetUnavailable):
            problems.append(f"{target.name}: {outcome}")
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            identities[target.name] = outcome
    if problems:
        raise TargetUnavailable("cannot start the run, nothing was called:\n  " + "\n  ".join(problems))
    return identities


async def _run_async(opts: RunOptions, say: Callable[[str], None], holder: dict[str, Any]) -> RunResult:
    config = opts.config
    results = opts.results or config.results
    notes: list[str] = []
    with Store(results) as store:
        if opts.resume:
            if opts.targets or opts.suites or opts.repeats:
                raise UsageError("--resume reuses the run's own targets, suites and repeats; drop -t/-s/-n")
            run_id = store.resolve_run_id(opts.resume)
            stored = store.run_plan(run_id)
            targets = [target_from_public(t) for t in stored["targets"]]
            limit, sample = stored.get("limit"), stored.get("sample")
            suites = [sampled(load_suite(Path(s["path"])), limit, sample) for s in stored["suites"]]
            repeats = stored["repeats"]
        else:
            run_id = new_run_id()
            if opts.targets:
                targets = [target_from_cli(t, config) for t in opts.targets]
            elif config.targets:
                targets = list(config.targets)
            else:
                targets, notes = await resolve_default_targets(say)
            names = {t.name for t in targets}
            if len(names) != len(targets):
                raise UsageError("the same target is named twice")
            limit, sample = opts.limit, None
            if (
                limit is None
                and targets
                and all(provider_class(t.provider).sample_suites for t in targets)
                and not opts.suites
            ):
                sample = QUICK
            suites = load_suites(
                opts.suites or config.suites or DEFAULT_SUITES, config, limit or None, sample
            )
            repeats = opts.repeats or config.repeats
            for warning in noise_warnings(targets, repeats, config, store):
                say(f"warning: {warning}")
            if sample:
                say(describe_quick_sample(suites, len(targets)))
        plan = build_plan(targets, suites, repeats)
        pricer = Pricer.from_config(config.prices, config.local_cost, str(config.path or "llmbench.yaml"))
        providers = {t.name: make_provider(t) for t in targets}
        try:
            identities = await _describe_all(targets, providers)
            for name, identity in identities.items():
                if identity.extra.get("identity_note"):
                    say(f"{name}: {identity.extra['identity_note']}.")
            plan_json = {**plan.to_json(), "limit": limit or None, "sample": sample}
            if opts.resume:
                done = store.finished_keys(run_id)
                store.set_run_status(run_id, "running", planned=len(plan.cells))
            else:
                done = set()
                store.create_run(run_id, plan_json, len(plan.cells), opts.argv, __version__)
            store.record_prompts(run_id, [p for suite in suites for p in suite.prompts])
            for target in targets:
                store.record_target(
                    run_id,
                    target.name,
                    target.provider,
                    target.model,
                    target.public_dict(),
                    identities.get(target.name),
                )
            todo = [cell for cell in plan.cells if cell.key not in done]
            budget = budget_gate(opts.max_cost, store, run_id, todo, pricer, say)
            for target in targets:
                # Look every price up now: an unpriced model makes the pricer import litellm's map, which
                # must not happen on the event loop while calls are in flight (it would inflate latencies).
                pricer.worst_case(target, 0, 1)
            say(
                f"Run {run_id}: {len(todo)} call(s) to make"
                + (f", {len(plan.cells) - len(todo)} already done" if done else "")
                + f" ({len(targets)} target(s) x {sum(len(s.prompts) for s in suites)} prompt(s) x {repeats})."
            )
            if estimate := embedded_estimate(todo, providers):
                say(estimate)
            runner = Runner(
                store,
                run_id,
                providers,
                {name: ident.digest for name, ident in identities.items()},
                progress=opts.progress,
                grade=lambda row, prompt: grade_row(row, prompt.expect, prompt.meta),
                pricer=pricer,
                budget=budget,
                hosts=config.hosts,
            )
            summary = await runner.run(plan, todo)
        finally:
            for provider in providers.values():
                await provider.close()
        store.update_plan(run_id, cost=pricer.describe(), max_cost=opts.max_cost)
        if summary.interrupted:
            status = "interrupted"
        else:
            status = "incomplete" if len(store.finished_keys(run_id)) < len(plan.cells) else "finished"
        store.set_run_status(run_id, status)
        report = None
        if not opts.no_report:
            report = write_reports(store, run_id, opts.report, config.reports)
        result = RunResult(summary=summary, results=results, report=report, targets=targets, notes=notes)
        holder["result"] = result
        return result


NIGHTLY_REPEATS = 5  # a 0 -> 30 % change on a 9-prompt topic found 9 times in 10 (README: Drift)


def noise_warnings(targets: list[TargetSpec], repeats: int, config: Config, store: Store) -> list[str]:
    """One repeat of a sampled target leaves `llmbench drift` nothing to tell noise from drift with. Drift
    checks count as planned when a notify hook is configured or an earlier run already shares a target."""
    if repeats > 1:
        return []
    sampled = [t for t in targets if t.params.temperature is None or t.params.temperature > 0]
    if not sampled:
        return []
    earlier = {name for run in store.runs() for name in run.targets}
    if config.notify is None and not earlier & {t.name for t in sampled}:
        return []
    return [
        f"{t.name} samples (temperature "
        + ("left to the server" if t.params.temperature is None else f"{t.params.temperature:g}")
        + ") and each prompt is asked once: `llmbench drift` cannot tell sampling noise from drift with one "
        f"repeat; ask each prompt {NIGHTLY_REPEATS} times or more (-n {NIGHTLY_REPEATS}, `repeats:` in "
        "llmbench.yaml) or set temperature 0"
        for t in sampled
    ]


def budget_gate(
    max_cost: float | None, store: Store, run_id: str, todo: list, pricer: Pricer, say: Callable[[str], None]
) -> Budget | None:
    """`--max-cost`: refuse before the first call when the worst case could exceed it."""
    if max_cost is None:
        return None
    spent = store.spent(run_id)
    worst = 0.0
    unpriced: set[str] = set()
    for cell in todo:
        value = cell_worst_case(pricer, cell)
        if value is None:
            unpriced.add(cell.target.name)
        else:
            worst += value
    if unpriced:
        raise BudgetExceeded(
            f"--max-cost {max_cost:g}: no price is known for {', '.join(sorted(unpriced))}, so the worst case "
            "cannot be bounded; add one under `prices:` in llmbench.yaml. Nothing was called."
        )
    if spent + worst > max_cost:
        raise BudgetExceeded(
            f"--max-cost {max_cost:g} USD: the worst case of this run is {worst:.4f} USD"
            + (f" on top of {spent:.4f} USD already spent" if spent else "")
            + f" (every call using its whole max_tokens budget at list price; {len(todo)} calls). "
            "Nothing was called. Raise --max-cost, lower max_tokens, or run fewer prompts (--limit, -s)."
        )
    say(f"Budget: worst case {worst:.4f} USD of {max_cost:g} USD.")
    return Budget(max_cost, pricer, spent)


def write_reports(
    store: Store, run_id: str, report: Path | None, reports_dir: Path, latest: bool = True
) -> Path:
    """`reports/<run_id>.html` plus `reports/latest.html` (or the one path the user gave)."""
    from llmbench.report.render import write_report

    if report:
        return write_report(store, [run_id], report)
    also = [reports_dir / "latest.html"] if latest else []
    return write_report(store, [run_id], reports_dir / f"{run_id}.html", *also)


def run_benchmark(opts: RunOptions, say: Callable[[str], None] = lambda s: None) -> RunResult:
    """Run synchronously; SIGTERM and Ctrl-C stop the run with every finished call kept."""
    from filelock import FileLock, Timeout

    results = opts.results or opts.config.results
    results.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(results) + ".lock")
    try:
        lock.acquire(timeout=opts.wait_lock)
    except Timeout:
        raise StoreBusy(
            f"another llmbench run is writing to {results}"
            + (f" (waited {opts.wait_lock:g} s)" if opts.wait_lock else "")
            + "; let it finish, pass --wait-lock SECONDS, or use --results elsewhere"
        ) from None
    holder: dict[str, Any] = {}
    try:
        return asyncio.run(_with_sigterm(_run_async(opts, say, holder)))
    except KeyboardInterrupt:
        # asyncio re-raises Ctrl-C after the run has shut down cleanly; the result is already stored.
        if "result" not in holder:
            raise
        holder["result"].summary.interrupted = True
        return holder["result"]
    finally:
        lock.release()


async def _with_sigterm(coro: Any) -> Any:
    """Turn SIGTERM into the same clean cancellation as Ctrl-C."""
    task = asyncio.ensure_future(coro)
    loop = asyncio.get_running_loop()
    if sys.platform != "win32":
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await task
    finally:
        if sys.platform != "win32":
            loop.remove_signal_handler(signal.SIGTERM)
