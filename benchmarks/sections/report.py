"""Report: render time, file size and peak memory for 1k, 10k and 100k calls (benchmarks/report_size.py)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    HERE,
    base_env,
    fresh_dir,
    load_note,
    log,
    old_schema_copy,
)

NAME = "report"
ORDER = 7


def bench_report_section(root: Path, sizes: list[int], before_tree: Path | None) -> dict[str, Any]:
    """`benchmarks/report_size.py` for each size (render time, file size, peak RSS of a render-only child);
    with `before_tree`, the same stores rendered again by that tree's report code, side by side."""
    sys.path.insert(0, str(HERE))
    from benchmarks import report_size

    log(f"report: {', '.join(f'{n:,}' for n in sizes)} calls")
    work = fresh_dir(root, "report")
    after = report_size.bench_report(work, sizes)
    out: dict[str, Any] = {"after": after}
    if before_tree is not None:
        dump = work / "before.json"
        old = fresh_dir(work, "before")  # the same stores, at the schema the old code reads
        for db in work.glob("report-*.db"):
            old_schema_copy(db, old / db.name)
        env = base_env(PYTHONPATH=str(before_tree / "src"))
        proc = subprocess.run(
            [sys.executable, str(HERE / "report_size.py"), "--root", str(old), "--reuse", "--json", str(dump),
             "--calls", *map(str, sizes)],
            env=env, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        if proc.returncode:
            raise RuntimeError(f"report_size.py on the before tree failed: {proc.stderr[-1500:]}")
        out["before"] = json.loads(dump.read_text(encoding="utf-8"))
    for r in after["results"]:
        log(f"  {r['calls']:,} calls: {r['render_s']:.2f} s, {r['html_bytes'] / 1e6:.1f} MB, "
            f"peak RSS {r['peak_rss_bytes'] / 2**20:.0f} MB")  # fmt: skip
    return out


def measure(root: Path, args: argparse.Namespace) -> Any:
    return bench_report_section(
        root, [1000, 10_000] if args.quick else [1000, 10_000, 100_000], args.before_tree
    )


def summary(res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None]) -> None:
    """This section's rows of the summary table."""
    rp = res.get("report") or {}
    for r in (rp.get("after") or {}).get("results", []):
        a(
            f"| report for {r['calls']:,} calls: render time / file size / peak RSS | {r['render_s']:.2f} s / "
            f"{r['html_bytes'] / 1e6:.1f} MB / {r['peak_rss_bytes'] / 2**20:.0f} MB | {r['data_bytes'] / 1e6:.1f} MB "
            f"of embedded data ({r['data_encoding']}) | file ÷ data {r['html_bytes'] / r['data_bytes']:.2f}× |"
        )


def render(
    res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None], num: dict[str, int]
) -> None:
    """This section of RESULTS.md."""
    rp = res.get("report") or {}
    if rp:
        a(f"## {num['report']}. Report")
        a("")
        af = rp["after"]
        a(
            "`benchmarks/report_size.py`: synthetic stores (4 targets, the three kinds of suites, repeats of 3, "
            f"answers of ~{af['answer_chars']} and reasoning of ~{af['reasoning_chars']} characters with some "
            "Chinese, canned refusals with empty think blocks, a few errors and huge answers) rendered by "
            "`render_report` (median of 3 renders up to 10k calls, 1 above); peak memory is the peak RSS of a "
            "child process that only opens the store and renders (`VmHWM`, reset before the render); "
            "`write_report` (what `llmbench run`/`report` call) is timed in its own child. The limit for the file "
            "is the data it must carry: the page is the embedded data plus a fixed ~90 kB of template, CSS and "
            f"script; data above {af['compress_above'] / 1e6:g} MB is gzip-compressed and base64-encoded."
        )
        a("")
        before = {r["calls"]: r for r in (rp.get("before") or {}).get("results", [])}
        a(
            "| calls | render | file | of which data (encoding; JSON decoded) | peak RSS (render added) | "
            "`write_report` time / peak RSS |"
            + (" before: render / peak RSS / write peak | same data |" if before else "")
        )
        a("|---|---|---|---|---|---|" + ("---|---|" if before else ""))
        for r in af["results"]:
            mb = 2**20
            row = (
                f"| {r['calls']:,} | {r['render_s']:.2f} s | {r['html_bytes'] / 1e6:.2f} MB | "
                f"{r['data_bytes'] / 1e6:.2f} MB ({r['data_encoding']}; {r['data_json_bytes'] / 1e6:.1f} MB) | "
                f"{r['peak_rss_bytes'] / mb:.0f} MB ({r['render_rss_bytes'] / mb:.0f} MB) | "
                f"{r['write_s']:.2f} s / {r['write_peak_rss_bytes'] / mb:.0f} MB |"
            )
            b = before.get(r["calls"])
            if b:
                row += (
                    f" {b['render_s']:.2f} s / {b['peak_rss_bytes'] / mb:.0f} MB / "
                    f"{b['write_peak_rss_bytes'] / mb:.0f} MB | {'yes' if b['data_sha256'] == r['data_sha256'] else 'NO'} |"
                )
            a(row)
        a("")
        a(load_note(res, "report"))
        a("")
        a(
            "**What limits it.** The data: every answer and reasoning of the run is in the file, so size grows "
            "linearly (~0.8 kB per call compressed here); rendering is reading the rows, cleaning text (secrets, "
            "invalid UTF-8), JSON encoding and gzip (in a worker thread, as zlib releases the GIL). Memory: the "
            "rows the views need are held without their long texts; answers, reasoning and evidence are read 500 "
            "calls at a time while the compressed data is written; what remains at 100k calls is mostly the "
            "returned page itself (`render_report` returns one string; `write_report` writes it in parts)."
        )
        a("")
