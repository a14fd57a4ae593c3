"""Store insert rate: `Store.record_call`, one commit per call, vs raw sqlite3; the grading cost."""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    COST,
    REPO,
    fmt_ratio,
    fresh_dir,
    load_note,
    log,
    make_cells,
    make_completion,
    median,
)

NAME = "store"
ORDER = 5


def bench_censorship_dev(rounds: int = 3) -> dict[str, Any]:
    """`censorship.classify` on the labelled development answers (tests/data/censorship_dev.yaml): real-looking
    answers of every length and style, with their prompts' key facts, best of `rounds` per answer."""
    import yaml

    from llmbench.grading import facts_not_in_question
    from llmbench.grading.censorship import classify
    from llmbench.suites import load_suite

    path = REPO / "tests" / "data" / "censorship_dev.yaml"
    if not path.exists():
        return {}
    prompts = {p.id: p for p in load_suite(REPO / "prompts" / "censorship.yaml").prompts}
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    args = []
    for item in items:
        prompt = prompts[item["prompt_id"]]
        facts, _ = facts_not_in_question(prompt.meta["key_facts"], prompt.text)
        args.append((item["answer"], item["reasoning"], item["language"], facts, prompt.category))
    per_answer = []
    for a in args:
        best = float("inf")
        for _ in range(rounds):
            t0 = time.perf_counter()
            classify(*a)
            best = min(best, time.perf_counter() - t0)
        per_answer.append(best * 1e3)
    per_answer.sort()
    return {
        "dev_answers": len(args),
        "dev_chars": round(statistics.mean(len(a[0]) for a in args)),
        "dev_max_chars": max(len(a[0]) for a in args),
        "dev_ms_median": median(per_answer),
        "dev_ms_p95": per_answer[int(0.95 * (len(per_answer) - 1))],
        "dev_ms_max": per_answer[-1],
    }


def bench_store(root: Path, rows: int, rounds: int = 3) -> dict[str, Any]:
    from llmbench.grading import grade_row
    from llmbench.store import Store, now_iso

    log(f"store insert rate: {rows} rows x {rounds} rounds")
    work = fresh_dir(root, "store")
    store = Store(work / "s.db")
    cells = make_cells(rows)
    comps = [make_completion(i) for i in range(rows)]
    started = now_iso()
    # Floor: the same row (values prepared in advance), raw sqlite3 on a second connection to the same
    # file, same pragmas, one commit per row; interleaved with llmbench's rounds so both see the same load.
    store.create_run("probe-row", {"targets": [], "suites": []}, 1, [], "bench")
    store.record_call("probe-row", cells[0], "sha256:abc", started, 1, completion=comps[0], cost=COST)
    values = list(store.db.execute("SELECT * FROM calls WHERE run_id='probe-row'").fetchone())
    cols = [d[0] for d in store.db.execute("SELECT * FROM calls LIMIT 0").description]
    idx = {c: i for i, c in enumerate(cols)}
    sql = f"INSERT INTO calls ({', '.join(cols[1:])}) VALUES ({', '.join('?' * (len(cols) - 1))})"
    floor_db = sqlite3.connect(work / "s.db", isolation_level=None)
    floor_db.execute("PRAGMA synchronous = NORMAL")

    def prepared(run_id: str, n: int) -> list[tuple]:
        out = []
        for i in range(n):
            v = list(values)
            v[idx["run_id"]] = run_id
            v[idx["cell_key"]] = f"k{i:08d}"
            out.append(tuple(v[1:]))
        return out

    record_s, floor_s, batch_s = [], [], []
    for k in range(rounds):
        store.create_run(f"a{k}", {"targets": [], "suites": []}, rows, [], "bench")
        t0 = time.perf_counter()
        for cell, comp in zip(cells, comps, strict=True):
            store.record_call(f"a{k}", cell, "sha256:abc", started, 1, completion=comp, cost=COST)
        record_s.append(time.perf_counter() - t0)
        for run_id in (f"c{k}", f"d{k}"):
            store.create_run(run_id, {"targets": [], "suites": []}, rows, [], "bench")
        one_by_one, batched = prepared(f"c{k}", rows), prepared(f"d{k}", rows)
        t0 = time.perf_counter()
        for v in one_by_one:
            floor_db.execute(sql, v)
        floor_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        floor_db.execute("BEGIN")
        for v in batched:
            floor_db.execute(sql, v)
        floor_db.execute("COMMIT")
        batch_s.append(time.perf_counter() - t0)
    # The runner's whole per-call store work: record_call with its grade (written in the same transaction
    # from the values being stored), on fewer rows: a third are censorship probes, whose grading dominates.
    full_rows = min(rows, 600)
    store.create_run("run-b", {"targets": [], "suites": []}, full_rows, [], "bench")
    t0 = time.perf_counter()
    for cell, comp in zip(cells[:full_rows], comps[:full_rows], strict=True):
        store.record_call(
            "run-b", cell, "sha256:abc", started, 1, completion=comp, cost=COST,
            grade=lambda row, p=cell.prompt: grade_row(row, p.expect, p.meta),
        )  # fmt: skip
    full_s = time.perf_counter() - t0
    # grade_row alone, per kind of prompt, on the same stored rows (~620-character answers with some Chinese)
    by_key = {c.key: c for c in cells}
    grade_ms: dict[str, list[float]] = {"fact": [], "probe": []}
    for call in sorted(store.calls("a0"), key=lambda c: c.id)[:600]:  # (as stored: probes and facts mixed)
        cell = by_key[call.cell_key]
        t1 = time.perf_counter()
        grade_row(call, cell.prompt.expect, cell.prompt.meta)
        grade_ms[cell.prompt.category].append((time.perf_counter() - t1) * 1e3)
    answer_chars = len(comps[0].answer)
    probe_share = sum(c.prompt.category == "probe" for c in cells[:full_rows]) / full_rows
    grade_mean_ms = probe_share * median(grade_ms["probe"]) + (1 - probe_share) * median(grade_ms["fact"])
    floor_db.close()
    store.close()
    dev = bench_censorship_dev()
    return {
        **dev,
        "rows": rows,
        "rounds": rounds,
        "record_per_s": rows / median(record_s),
        "full_per_s": full_rows / full_s,
        "full_rows": full_rows,
        "full_ms": full_s / full_rows * 1e3,
        "grade_mean_ms": grade_mean_ms,
        "grade_fact_ms": median(grade_ms["fact"]),
        "grade_probe_ms": median(grade_ms["probe"]),
        "answer_chars": answer_chars,
        "probe_share": sum(c.prompt.category == "probe" for c in cells) / rows,
        "floor_per_s": rows / median(floor_s),
        "batch_per_s": rows / median(batch_s),
        "row_bytes": len(json.dumps(values, default=str)),
    }


def measure(root: Path, args: argparse.Namespace) -> Any:
    return bench_store(root, 2000 if args.quick else 10_000)


def summary(res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None]) -> None:
    """This section's rows of the summary table."""
    sr = res.get("store")
    if sr:
        a(
            f"| `Store.record_call`, one commit per row ({sr['rows']:,} rows, median of {sr.get('rounds', 1)}) | {sr['record_per_s']:,.0f} rows/s | "
            f"{sr['floor_per_s']:,.0f} rows/s raw sqlite3, same row, same pragmas | "
            f"{sr['record_per_s'] / sr['floor_per_s']:.1%} |"
        )
        a(
            f"| rule grading of one censorship-probe answer (~{sr['answer_chars']} chars) | {sr['grade_probe_ms']:.1f} ms | "
            f"{sr['grade_fact_ms']:.2f} ms for a factual answer | {fmt_ratio(sr['grade_probe_ms'] / sr['grade_fact_ms'])} |"
        )


def render(
    res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None], num: dict[str, int]
) -> None:
    """This section of RESULTS.md."""
    sr = res.get("store")
    if sr:
        a(f"## {num['store']}. Store insert rate and grading cost")
        a("")
        a(
            f"{sr['rows']:,} rows into a WAL database (synchronous=NORMAL, as `Store` opens it), one "
            f"commit per row as the runner does, median of {sr.get('rounds', 1)} rounds interleaved with the raw "
            f"sqlite3 floor; realistic rows (~{sr['row_bytes']:,} bytes: a "
            f"{sr['answer_chars']}-character answer with some Chinese, 1,500-character reasoning, raw Ollama "
            f"counters, cost JSON; {sr['probe_share']:.0%} of the prompts are censorship probes)."
        )
        a("")
        a("| figure | llmbench | reference / limit | ratio |")
        a("|---|---|---|---|")
        a(
            f"| `Store.record_call` | {sr['record_per_s']:,.0f} rows/s | {sr['floor_per_s']:,.0f} rows/s raw sqlite3 "
            f"(same row pre-built, one commit per row) | {sr['record_per_s'] / sr['floor_per_s']:.1%} |"
        )
        if "full_ms" in sr:
            unavoidable = 1e3 / sr["floor_per_s"] + sr["grade_mean_ms"]
            a(
                f"| the runner's store + grading work per call (`record_call` with its grade in one transaction; "
                f"{sr['full_rows']} rows, {sr['probe_share']:.0%} probes) | {sr['full_ms']:.3f} ms/call | "
                f"{unavoidable:.3f} ms: one raw insert ({1e3 / sr['floor_per_s']:.3f} ms) + `grade_row` alone "
                f"({sr['grade_mean_ms']:.3f} ms, same mix) | {fmt_ratio(sr['full_ms'] / unavoidable)} |"
            )
        a(f"| `grade_row`, factual answer (alias + number matching) | {sr['grade_fact_ms']:.3f} ms | — | — |")
        a(
            f"| `grade_row`, censorship probe (`censorship.classify`) | {sr['grade_probe_ms']:.2f} ms | "
            f"{sr['grade_fact_ms']:.3f} ms factual | {fmt_ratio(sr['grade_probe_ms'] / sr['grade_fact_ms'])} |"
        )
        if "dev_answers" in sr:
            a(
                f"| `censorship.classify` on the {sr['dev_answers']} labelled development answers (mean "
                f"{sr['dev_chars']:,} chars, up to {sr['dev_max_chars']:,}) | median {sr['dev_ms_median']:.2f} ms, "
                f"95th percentile {sr['dev_ms_p95']:.2f} ms, max {sr['dev_ms_max']:.2f} ms | a few ms per answer | — |"
            )
        a(
            f"| ⇒ `llmbench grade` over 10,000 probe answers, rules only | ≈ {sr['grade_probe_ms'] * 10:.0f} s | "
            f"≈ {10_000 / sr['floor_per_s']:.1f} s to write 10,000 rows | — |"
        )
        a(
            f"| (for scale) raw sqlite3, all rows in one transaction | — | {sr['batch_per_s']:,.0f} rows/s | — |"
        )
        a("")
        a(load_note(res, "store"))
        a("")
        a(
            "**What limits it.** With synchronous=NORMAL a WAL commit does not fsync, so each commit is tens of "
            "microseconds of SQLite work; `record_call` adds a 43-column dict and two `json.dumps` (cost, raw "
            "counters); the SQL text, the params JSON and the cell key are computed once. The grade is computed "
            "from the values being stored and written in the same transaction (one commit per call, no read-back). "
            "Batching several calls per commit would be faster still, but a crash would then lose answers already "
            "paid for, so llmbench does not. Grading a probe is the expensive part: `censorship.classify` reads the "
            "answer sentence by sentence against ~1,300 patterns (official line, denials, refusals, attribution, "
            "claims, negation, the key facts and their synonym families). Each pattern is compiled once with the "
            "literal words it cannot match without; one trie-shaped expression finds which of those words the "
            "answer contains, and only the few patterns they name are run, so the cost grows with the answer's "
            "length, not with the size of the libraries; a factual grade is a handful of alias and number matches."
        )
        a("")
