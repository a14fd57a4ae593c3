"""Drift: `llmbench.drift.compare_runs` over two runs of 10k calls, and over a series of runs."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    COST,
    fmt_ratio,
    fresh_dir,
    load_note,
    log,
    make_cells,
    make_completion,
    median,
)

NAME = "drift"
ORDER = 6


def build_drift_store(path: Path, runs: int, calls: int) -> tuple[Any, list[str], float]:
    from llmbench.store import Store, now_iso

    store = Store(path)
    cells = make_cells(calls, targets=4, repeats=3)
    comps = [
        [make_completion(i, 0) for i in range(len(cells))],
        [make_completion(i, 1) for i in range(len(cells))],
    ]
    run_ids = []
    t0 = time.perf_counter()
    for r in range(runs):
        run_id = f"2026010{r // 10}-{r % 10:02d}0000-bench"
        plan = {"targets": [{"name": c.target.name} for c in cells[:4]], "suites": []}
        store.create_run(run_id, plan, len(cells), [], "bench")
        for spec in {c.target.name: c.target for c in cells}.values():
            from llmbench.records import ModelIdentity

            store.record_target(
                run_id,
                spec.name,
                spec.provider,
                spec.model,
                spec.public_dict(),
                ModelIdentity(spec.name, "ollama", spec.model, digest="sha256:abc"),
            )
        store.db.execute("BEGIN")
        started = now_iso()
        for i, cell in enumerate(cells):
            changed = (i * 31 + r * 17) % 100 < 3  # ~3 % of answers change from run to run
            comp = comps[1 if changed else 0][i]
            store.record_call(run_id, cell, "sha256:abc", started, 1, completion=comp, cost=COST)
            if cell.prompt.category == "probe":
                verdict = "refused" if (changed or cell.prompt.topic == "topic0") else "answered"
            else:
                verdict = "incorrect" if changed else "correct"
            store.record_grade(run_id, cell.key, "rules", "ok", verdict, 1.0, {"why": "bench"})
        store.db.execute("COMMIT")
        store.set_run_status(run_id, "finished")
        run_ids.append(run_id)
    return store, run_ids, time.perf_counter() - t0


def bench_drift(root: Path, calls: int, series: int) -> dict[str, Any]:
    from llmbench.drift import _answered_calls, compare_runs

    log(f"drift: {series} runs of {calls} calls")
    work = fresh_dir(root, "drift")
    store, run_ids, build_s = build_drift_store(work / "d.db", series, calls)
    n_calls = store.db.execute("SELECT count(*) FROM calls WHERE run_id=?", (run_ids[0],)).fetchone()[0]
    pair_times, read_times = [], []
    report = None
    for _ in range(3):
        t0 = time.perf_counter()
        report = compare_runs(store, run_ids[0], run_ids[1])
        pair_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        rows_b = _answered_calls(store, run_ids[0])
        rows_c = _answered_calls(store, run_ids[1])
        read_times.append(time.perf_counter() - t0)
    assert report is not None and rows_b and rows_c
    # rapidfuzz on the same answer pairs compare_runs looks at (one per target x prompt)
    from rapidfuzz import fuzz

    firsts = {}
    for r in (r for rs in rows_b.values() for r in rs):
        firsts.setdefault((r.target, r.suite, r.prompt_id), r.answer)
    t0 = time.perf_counter()
    for _key, ans in firsts.items():
        fuzz.ratio(ans or "", ans or "")
    fuzz_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for a, b in zip(run_ids, run_ids[1:], strict=False):
        compare_runs(store, a, b)
    series_s = time.perf_counter() - t0
    store.close()
    return {
        "calls": n_calls,
        "runs": series,
        "build_s": build_s,
        "pair_s": median(pair_times),
        "read_s": median(read_times),
        "fuzz_s": fuzz_s,
        "series_s": series_s,
        "comparisons": series - 1,
        "changes": len(report.changes),
        "compared_calls": report.compared_calls,
    }


def measure(root: Path, args: argparse.Namespace) -> Any:
    return bench_drift(root, 3000 if args.quick else 10_000, 3 if args.quick else 10)


def summary(res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None]) -> None:
    """This section's rows of the summary table."""
    dr = res.get("drift")
    if dr:
        a(
            f"| `compare_runs`, 2 runs × {dr['calls']:,} calls | {dr['pair_s']:.2f} s | {dr['read_s']:.2f} s to read "
            f"the columns it compares | {fmt_ratio(dr['pair_s'] / dr['read_s'])} |"
        )


def render(
    res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None], num: dict[str, int]
) -> None:
    """This section of RESULTS.md."""
    dr = res.get("drift")
    if dr:
        a(f"## {num['drift']}. Drift")
        a("")
        a(
            f"{dr['runs']} runs of {dr['calls']:,} calls (4 targets × ~{dr['calls'] // 12:,} prompts × 3 repeats, "
            "a third censorship probes, ~620-character answers, ~3 % of answers and verdicts changed between runs) "
            f"built directly with `Store.record_call`/`record_grade` ({dr['build_s']:.1f} s, not measured)."
        )
        a("")
        a("| figure | llmbench | reference / limit | ratio |")
        a("|---|---|---|---|")
        a(
            f"| `compare_runs`, one pair (median of 3) | {dr['pair_s']:.3f} s | {dr['read_s']:.3f} s to read both "
            f"runs (the columns drift compares) | {fmt_ratio(dr['pair_s'] / dr['read_s'])} |"
        )
        a(
            f"| {dr['comparisons']} consecutive comparisons over {dr['runs']} runs | {dr['series_s']:.2f} s | "
            f"{dr['comparisons']} × {dr['pair_s']:.3f} s | "
            f"{fmt_ratio(dr['series_s'] / (dr['comparisons'] * dr['pair_s']))} |"
        )
        a(f"| rapidfuzz on the answer pairs compared | — | {dr['fuzz_s'] * 1e3:.0f} ms | — |")
        a("")
        a(f"The pair comparison found {dr['changes']} changes over {dr['compared_calls']:,} call pairs.")
        a("")
        a(load_note(res, "drift"))
        a("")
        a(
            "**What limits it.** Reading the rows: one query per run selects only the twelve columns the "
            "comparison uses (the reasoning's length computed by SQLite, not its text; no raw JSON), answered calls "
            "only, grouped by target in one pass. The comparison itself (grouping by prompt, majorities, medians, "
            "Fisher tests) costs about as much again; rapidfuzz is negligible. A series costs the same per pair "
            "(`llmbench drift` compares one pair per invocation, so nothing is cached between pairs)."
        )
        a("")
