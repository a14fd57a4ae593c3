"""Export: JSONL, CSV, Parquet of a 100k-call run: time and peak memory."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    base_env,
    fresh_dir,
    load_note,
    log,
    median,
    old_schema_copy,
)
from benchmarks.sections.drift import build_drift_store

NAME = "export"
ORDER = 8


EXPORT_CHILD = """
import json, sys, time
from pathlib import Path
import pandas, pyarrow.parquet  # imported before the baseline: their import is not the export's memory
from llmbench.export import export
from llmbench.store import Store

def kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])

store = Store(Path(sys.argv[1]), create=False)
base = kb("VmRSS:")
t0 = time.perf_counter()
rows = export(store, sys.argv[2], sys.argv[3], Path(sys.argv[4]))
print(json.dumps({"rows": rows, "s": time.perf_counter() - t0, "peak_extra_mb": (kb("VmHWM:") - base) / 1024,
                  "bytes": Path(sys.argv[4]).stat().st_size}))
"""


def export_child(db: Path, run_id: str, fmt: str, out: Path, src: Path | None = None) -> dict[str, Any]:
    """One export in a fresh process (its peak RSS is the export's own); `src` runs another tree's code."""
    env = base_env()
    if src is not None:
        env["PYTHONPATH"] = str(src)
    proc = subprocess.run(
        [sys.executable, "-c", EXPORT_CHILD, str(db), run_id, fmt, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode:
        raise RuntimeError(f"export child failed: {proc.stderr[-1500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_export(root: Path, calls: int, before_tree: Path | None) -> dict[str, Any]:
    """`llmbench export` of one run of `calls` calls to JSONL, CSV and Parquet: time, peak memory above
    the process's resting size, file size; with `before_tree`, the same exports by that tree's code."""
    log(f"export: one run of {calls} calls")
    work = fresh_dir(root, "export")
    store, run_ids, _ = build_drift_store(work / "e.db", 1, calls)
    n_calls = store.db.execute("SELECT count(*) FROM calls").fetchone()[0]
    store.close()
    old_db = old_schema_copy(work / "e.db", work / "old.db") if before_tree is not None else None
    out: dict[str, Any] = {"calls": n_calls, "formats": {}}
    for fmt in ("jsonl", "csv", "parquet"):
        runs, old = [], []
        for _ in range(3):  # interleaved, so both sides see the same page cache and load
            runs.append(export_child(work / "e.db", run_ids[0], fmt, work / f"x.{fmt}"))
            if before_tree is not None:
                old.append(export_child(old_db, run_ids[0], fmt, work / f"old.{fmt}", before_tree / "src"))
        row = {
            "s": median([r["s"] for r in runs]),
            "peak_extra_mb": median([r["peak_extra_mb"] for r in runs]),
            "bytes": runs[0]["bytes"],
        }
        if old:
            row["before"] = {
                "s": median([r["s"] for r in old]),
                "peak_extra_mb": median([r["peak_extra_mb"] for r in old]),
            }
        out["formats"][fmt] = row
        log(
            f"  {fmt}: {row['s']:.2f} s, +{row['peak_extra_mb']:.0f} MB"
            + (
                f" (before: {row['before']['s']:.2f} s, +{row['before']['peak_extra_mb']:.0f} MB)"
                if "before" in row
                else ""
            )
        )
    return out


def measure(root: Path, args: argparse.Namespace) -> Any:
    return bench_export(root, 20_000 if args.quick else 100_000, args.before_tree)


def summary(res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None]) -> None:
    """This section's rows of the summary table."""
    ex = res.get("export")
    if ex:
        pq_row = ex["formats"]["parquet"]
        a(
            f"| `llmbench export -f parquet`, {ex['calls']:,} calls: time / peak memory | {pq_row['s']:.2f} s / "
            f"+{pq_row['peak_extra_mb']:.0f} MB | JSONL {ex['formats']['jsonl']['s']:.2f} s / "
            f"+{ex['formats']['jsonl']['peak_extra_mb']:.0f} MB | — |"
        )


def render(
    res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None], num: dict[str, int]
) -> None:
    """This section of RESULTS.md."""
    ex = res.get("export")
    if ex:
        a(f"## {num['export']}. Export")
        a("")
        a(
            f"`export(store, run, format, file)` (what `llmbench export` runs) on one run of {ex['calls']:,} calls "
            "(the rows of the drift section), each in a fresh Python process that has already imported pandas "
            "and pyarrow, median of 3; memory = the process's peak RSS (VmHWM) above its size just before the "
            "export."
        )
        a("")
        has_before = any("before" in v for v in ex["formats"].values())
        a(
            "| format | time | peak memory above resting | file size |"
            + (" before: time | before: peak memory | after ÷ before (time / memory) |" if has_before else "")
        )
        a("|---|---|---|---|" + ("---|---|---|" if has_before else ""))
        for fmt, v in ex["formats"].items():
            row = f"| {fmt} | {v['s']:.2f} s | {v['peak_extra_mb']:.0f} MB | {v['bytes'] / 1e6:.1f} MB |"
            if "before" in v:
                b = v["before"]
                row += (
                    f" {b['s']:.2f} s | {b['peak_extra_mb']:.0f} MB | {v['s'] / b['s']:.2f}× / "
                    f"{v['peak_extra_mb'] / b['peak_extra_mb']:.2f}× |"
                )
            a(row)
        a("")
        a(load_note(res, "export"))
        a("")
        a(
            "**What limits it.** JSONL and CSV stream row by row from one SQLite query, so their memory stays "
            "flat; their time is JSON/CSV encoding of ~3 kB rows. Parquet goes through pandas and pyarrow in row "
            "groups of 1,000 rows with a fixed schema (before: every row of the run in one DataFrame, so memory "
            "grew with the run). Every file is written under a temporary name and renamed when complete."
        )
        a("")
