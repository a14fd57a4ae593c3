"""Before and after: figures of the code before the issue-7 changes (the recorded baseline json, and the
side-by-side runs of the report, export, overhead and start-up sections)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import HERE, unpack_src

BASELINE = "baseline-f4ad2b0.json"  # `--json` of this script at commit f4ad2b0, before the issue-7 fixes


def _sat(res: dict[str, Any], s: int, probes: bool) -> float:
    return next(r["ratio"] for r in res["saturation"] if r["S"] == s and ("probe" in r["kind"]) == probes)


# What each figure's size depends on: a figure is compared only when both sides measured the same sizes.
SIZES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "ms": lambda r: (r["overhead"]["n"], len(r["saturation"]), r["saturation"][0]["calls"]),
    "% of S/L": lambda r: (len(r["saturation"]), r["saturation"][0]["calls"]),
    "rows/s": lambda r: r["store"]["rows"],
    "s": lambda r: (r["drift"]["calls"], r["drift"]["runs"]),
}
# What changed, for the rows of both before/after tables.
CHANGE_PER_CALL = (
    "grade computed from the values being stored and written in the call's transaction (no read-back, one "
    "commit instead of two); first attempt outside tenacity; SQL text and params JSON built once"
)
CHANGE_MODELS = (
    "GGUF header read for the metadata, weights digest cached by path/size/mtime; llama_cpp not imported"
)
# (figure, how to read it from a results dict, unit, higher is better, what changed)
BEFORE_AFTER: list[tuple[str, Callable[[dict[str, Any]], float], str, bool, str]] = [
    (
        "per-call time, `llmbench run` (start-up subtracted)",
        lambda r: r["overhead"]["per_call_ms"],
        "ms",
        False,
        CHANGE_PER_CALL,
    ),
    (
        "runner loop per call (`elapsed_s` ÷ N)",
        lambda r: r["overhead"]["loop_ms"],
        "ms",
        False,
        "same",
    ),
    (
        "throughput, S=64, factual prompts",
        lambda r: _sat(r, 64, False) * 100,
        "% of S/L",
        True,
        "same (less client CPU per call)",
    ),
    (
        "throughput, S=16, censorship probes",
        lambda r: _sat(r, 16, True) * 100,
        "% of S/L",
        True,
        "same",
    ),
    (
        "`llmbench models` with no Ollama (embedded model described)",
        lambda r: r["startup"]["cmds"]["llmbench models (no Ollama)"]["s"] * 1e3,
        "ms",
        False,
        CHANGE_MODELS,
    ),
    (
        "`Store.record_call`, one commit per row",
        lambda r: r["store"]["record_per_s"],
        "rows/s",
        True,
        "SQL text and params JSON built once per process / per params object",
    ),
    (
        "the runner's store + grading work per call",
        lambda r: r["store"].get("full_ms") or 1e3 / r["store"]["full_per_s"],
        "ms",
        False,
        "one transaction per call with its grade, no SELECT back",
    ),
    (
        "`compare_runs`, one pair of 10k-call runs",
        lambda r: r["drift"]["pair_s"],
        "s",
        False,
        "select the 12 columns compared (reasoning length from SQLite), answered calls only, grouped in one pass",
    ),
    (
        "drift over a series of 10 runs (9 comparisons)",
        lambda r: r["drift"]["series_s"],
        "s",
        False,
        "same",
    ),
]


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def render_before_after(res: dict[str, Any], a: Callable[[str], None], number: int) -> None:
    base = res["baseline"]
    a(f"## {number}. Before and after")
    a("")
    a(
        f"The code before the changes made for this benchmark is commit {base['commit']}. Two comparisons: "
        "**side by side** — this run also ran that commit's `src/` (unpacked from git into a temporary "
        "directory, put first on `PYTHONPATH`) on the same servers, stores and files, interleaved with the new "
        "code, so both see the same machine load; and **against the recorded baseline** — "
        f"`{base['file']}`, the `--json` output of that commit's own `benchmarks/run.py`, taken on this machine "
        f"at {base['machine']['date']} (load {base['machine']['load']}), for the figures that are not re-run side "
        "by side. On this shared VM, differences of ±15 % between runs at different times are noise; the side-by-"
        "side rows are the fairer comparison."
    )
    a("")
    rows: list[tuple[str, float, float, str, bool, str]] = []  # label, before, after, unit, higher, change
    ov = res.get("overhead") or {}
    if ov.get("before"):
        b = ov["before"]
        rows += [
            ("per-call time, `llmbench run`, start-up subtracted", b["per_call_ms"], ov["per_call_ms"], "ms", False, CHANGE_PER_CALL),
            ("runner loop per call (`elapsed_s` ÷ N)", b["loop_ms"], ov["loop_ms"], "ms", False, "same"),
            (
                "`llmbench run` fixed start-up (1-call run)", b["startup_1call_s"] * 1e3, ov["startup_1call_s"] * 1e3,
                "ms", False, "`/api/version` through the chat client (no second httpx client); targets described concurrently",
            ),
        ]  # fmt: skip
    st = res.get("startup") or {}
    if st.get("before_models_s"):
        rows.append(
            (
                "`llmbench models` with no Ollama (embedded model described)",
                st["before_models_s"] * 1e3,
                st["cmds"]["llmbench models (no Ollama)"]["s"] * 1e3,
                "ms",
                False,
                CHANGE_MODELS,
            )
        )
    rp = res.get("report") or {}
    before = {r["calls"]: r for r in (rp.get("before") or {}).get("results", [])}
    change = (
        "rows without their long texts; answers read 500 at a time while the data is written; JSON written and "
        "gzipped piece by piece, gzip in a worker thread; same data (sha256)"
    )
    for r in (rp.get("after") or {}).get("results", []):
        b = before.get(r["calls"])
        if not b:
            continue
        for label, key, unit, scale in (
            ("render time", "render_s", "s", 1),
            ("peak RSS of the render", "peak_rss_bytes", "MB", 2**20),
            ("peak RSS of `write_report`", "write_peak_rss_bytes", "MB", 2**20),
        ):
            rows.append(
                (
                    f"report, {r['calls']:,} calls: {label}",
                    b[key] / scale,
                    r[key] / scale,
                    unit,
                    False,
                    change,
                )
            )
            change = "same"
    ex = res.get("export") or {}
    change = "row groups of 1,000 rows with a fixed schema instead of one DataFrame of the whole run"
    for fmt, v in (ex.get("formats") or {}).items():
        if "before" not in v:
            continue
        for label, key, unit in (("time", "s", "s"), ("peak memory above resting", "peak_extra_mb", "MB")):
            rows.append(
                (
                    f"`export -f {fmt}`, {ex['calls']:,} calls: {label}",
                    v["before"][key],
                    v[key],
                    unit,
                    False,
                    change
                    if fmt == "parquet"
                    else (
                        "unchanged code (streams row by row); temporary file renamed"
                        if key == "s"
                        else "same"
                    ),
                )
            )
            change = "same" if fmt == "parquet" else change
    table = [
        ("Side by side (same run, interleaved)", rows),
    ]
    recorded = []
    skipped = 0
    for label, get, unit, higher, fix in BEFORE_AFTER:
        try:
            size = SIZES.get(unit, lambda r: None)
            if size(base["results"]) != size(res):
                skipped += 1
                continue
            recorded.append((label, get(base["results"]), get(res), unit, higher, fix))
        except (KeyError, StopIteration, TypeError, ZeroDivisionError, IndexError):
            continue
    table.append((f"Against the recorded baseline (`{base['file']}`)", recorded))
    for title, items in table:
        if not items:
            continue
        a(f"**{title}**")
        a("")
        a("| figure | before | after | after ÷ before | better | what changed |")
        a("|---|---|---|---|---|---|")
        for label, x, y, unit, higher, fix in items:
            better = y > x if higher else y < x
            a(
                f"| {label} | {_num(x)} {unit} | {_num(y)} {unit} | {y / x:.2f}× | {'yes' if better else 'no'} | {fix} |"
            )
        a("")
    if skipped:
        a(
            f"{skipped} figure(s) of the baseline left out: this run measured other sizes (`--quick`); the full "
            "run compares them."
        )
        a("")


def attach_baseline(res: dict[str, Any], path: Path | None) -> None:
    if not path or not str(path) or not Path(path).is_file():
        return
    results = json.loads(Path(path).read_text(encoding="utf-8"))
    commit = re.search(r"baseline-(\w+)\.json$", Path(path).name)
    res["baseline"] = {
        "file": f"benchmarks/{Path(path).name}" if Path(path).parent == HERE else str(path),
        "commit": commit.group(1) if commit else "?",
        "machine": results["machine"],
        "results": results,
    }


def unpack_before(root: Path, baseline: Path | None) -> Path | None:
    """The baseline commit's src/ from git, or None."""
    match = re.search(r"baseline-(\w+)\.json$", str(baseline or ""))
    return unpack_src(root, match.group(1), "before") if match else None
