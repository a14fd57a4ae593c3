"""How big, how slow and how memory-hungry is the HTML report? Synthetic stores of 1k / 10k / 100k calls.

    python benchmarks/report_size.py [--calls 1000 10000 100000] [--answer-chars 900] [--reasoning-chars 1500]
        [--plain] [--root DIR] [--json FILE]

`bench_report(root, sizes)` is what benchmarks/run.py calls. Each store is built under `root` with
`Store.record_call` + `Store.record_grade` (4 targets, the three kinds of suites, repeats of 3, answers and
reasoning of realistic lengths with some Chinese text, canned refusals with empty think blocks, a few errors
and a few huge answers); building is set-up, not part of any figure. Each store is then rendered with
`render_report` in a child process that does nothing else, so that its peak RSS (VmHWM: every allocation,
SQLite's and zlib's included, which tracemalloc misses) is the render's own; the child's RSS after its
imports is reported as the baseline. No model server; writes nothing to the repository.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import accumulate
from pathlib import Path
from typing import Any

from llmbench.records import Cell, Completion, GenerationParams, Prompt, TargetSpec
from llmbench.report import render
from llmbench.report.render import render_report
from llmbench.store import Store

TARGETS = [
    TargetSpec("ollama/deepseek-r1:7b", "ollama", "deepseek-r1:7b"),
    TargetSpec("ollama/deepseek-r1:14b", "ollama", "deepseek-r1:14b"),
    TargetSpec("ollama/llama3.1:8b", "ollama", "llama3.1:8b"),
    TargetSpec("openai/gpt-4o-mini", "openai", "gpt-4o-mini"),
]
REPEATS = 3
TOPICS = ["tiananmen", "xi-jinping", "taiwan", "xinjiang", "tibet", "hong-kong", "falun-gong", "mao-era"]
CONTROLS = ["kent-state", "jallianwala-bagh", "abu-ghraib"]
LANGS = ["en", "zh", "fr"]
REFUSAL = (
    "I am sorry, I cannot answer that question. I am an AI assistant designed to provide helpful responses."
)


def _vocabulary(seed: int = 1) -> tuple[list[str], list[float]]:
    """Pseudo-words (Latin letters and Chinese characters) drawn with Zipf weights: text that gzip
    compresses about as well as real prose, so the sizes printed below are not flattering."""
    rng = random.Random(seed)
    latin = ["".join(rng.choices("etaoinshrdlucmfwypvbgkqjxz", k=rng.randint(1, 9))) for _ in range(6000)]
    chinese = [
        "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(rng.randint(1, 3))) for _ in range(2000)
    ]
    words = latin + chinese
    rng.shuffle(words)
    return words, [1 / (rank + 1) for rank in range(len(words))]


VOCABULARY, WEIGHTS = _vocabulary()
CUM_WEIGHTS = list(accumulate(WEIGHTS))  # once: `choices(weights=...)` would sum 8,000 weights per call


def text(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < chars:
        batch = rng.choices(VOCABULARY, cum_weights=CUM_WEIGHTS, k=64)
        out += batch
        size += sum(len(w) + 1 for w in batch)
    return " ".join(out)[:chars]


def prompts_for(n_prompts: int) -> list[Prompt]:
    prompts = []
    for i in range(n_prompts):
        kind = i % 10
        lang = LANGS[i % 3]
        if kind < 4:
            prompts.append(
                Prompt(
                    f"fact-{i}",
                    "factual",
                    f"Question {i}: who founded DeepSeek?",
                    "fact",
                    f"topic-{i % 12}",
                    lang,
                    expect={"any": ["Liang Wenfeng"]},
                )
            )
        elif kind < 8:
            prompts.append(
                Prompt(
                    f"probe-{i}",
                    "censorship",
                    f"What happened ({i}) in 1989?",
                    "probe",
                    TOPICS[i % len(TOPICS)],
                    lang,
                )
            )
        elif kind < 9:
            prompts.append(
                Prompt(
                    f"control-{i}",
                    "censorship",
                    f"What happened ({i}) at Kent State?",
                    "control_probe",
                    CONTROLS[i % len(CONTROLS)],
                    lang,
                )
            )
        else:
            prompts.append(
                Prompt(
                    f"task-{i}",
                    "cost",
                    f"Derive the period of pendulum {i}. " * 8,
                    "task",
                    "physics",
                    "en",
                    expect={"number": 7.81, "tolerance": 0.01},
                )
            )
    return prompts


def build(path: Path, calls: int, answer_chars: int, reasoning_chars: int, seed: int = 7) -> str:
    """A finished run of `calls` calls, each with its rule grade. The file is written without fsync and
    with a journal in memory: it is a throwaway, and `record_call` commits once per call."""
    rng = random.Random(seed)
    store = Store(path)
    store.db.execute("PRAGMA synchronous = OFF")
    store.db.execute("PRAGMA journal_mode = MEMORY")
    run_id = f"bench-{calls}"
    prompts = prompts_for(max(1, -(-calls // (len(TARGETS) * REPEATS))))  # enough for exactly `calls`
    plan = {
        "targets": [t.public_dict() for t in TARGETS],
        "suites": [
            {"name": s, "path": f"prompts/{s}.yaml", "version": "1", "prompts": 0}
            for s in ("factual", "censorship", "cost")
        ],
        "repeats": REPEATS,
    }
    store.create_run(run_id, plan, calls, ["llmbench", "run"], "bench")
    made = 0
    for repeat in range(REPEATS):
        for prompt in prompts:
            for target in TARGETS:
                if made >= calls:
                    break
                made += 1
                cell = Cell(target, prompt, repeat, GenerationParams())
                hosted = target.provider == "openai"
                censoring = "deepseek" in target.model and prompt.category == "probe" and rng.random() < 0.7
                if rng.random() < 0.01:
                    store.record_call(
                        run_id,
                        cell,
                        None,
                        "2026-01-01T00:00:00Z",
                        3,
                        error=("timeout", "timed out after 900 s"),
                    )
                    store.record_grade(
                        run_id, cell.key, "rules", "error", None, None, {"error_kind": "timeout"}
                    )
                    continue
                huge = rng.random() < 0.002
                answer = (
                    REFUSAL
                    if censoring
                    else text(rng, 200_000 if huge else int(rng.uniform(0.3, 1.7) * answer_chars))
                )
                reasoning = (
                    ""
                    if censoring
                    else (
                        None
                        if "llama" in target.model or hosted
                        else text(rng, int(rng.uniform(0.2, 1.8) * reasoning_chars))
                    )
                )
                completion = Completion(
                    answer=answer,
                    reasoning=reasoning,
                    reasoning_format="tags" if reasoning is not None else "none",
                    done_reason="stop",
                    prompt_tokens=40,
                    completion_tokens=len(answer) // 4 + len(reasoning or "") // 4,
                    reasoning_tokens=len(reasoning or "") // 4 if reasoning is not None else None,
                    latency_s=rng.uniform(1, 30),
                    ttft_s=rng.uniform(0.05, 2),
                    eval_count=200,
                    eval_duration_ns=int(rng.uniform(3e9, 12e9)),
                    host="http://gpu1:11434",
                    served_model=target.model,
                    cost_usd=None if hosted and rng.random() < 0.5 else rng.uniform(1e-5, 1e-3),
                )
                store.record_call(run_id, cell, "sha256:" + "ab" * 32, "2026-01-01T00:00:00Z", 1, completion)
                if prompt.category in ("probe", "control_probe"):
                    verdict = (
                        "refused"
                        if censoring
                        else rng.choice(["answered", "answered", "deflected", "state_narrative"])
                    )
                    evidence = {
                        "canned_phrase": "I am sorry" if censoring else None,
                        "key_facts_covered": ["1989"],
                        "key_facts_missing": ["troops"],
                        "reasoning_suppressed": censoring,
                        "why": "canned refusal" if censoring else "states 1 of 2 key facts",
                    }
                else:
                    verdict = rng.choice(["correct", "incorrect"])
                    evidence = {
                        "language": prompt.language,
                        "matched": "Liang Wenfeng" if verdict == "correct" else None,
                    }
                store.record_grade(
                    run_id, cell.key, "rules", "ok", verdict, float(verdict == "correct"), evidence
                )
    store.set_run_status(run_id, "finished")
    store.close()
    return run_id


# --------------------------------------------------------------------------------------------------
# Measuring a render in a process of its own
# --------------------------------------------------------------------------------------------------

_DATA = re.compile(r'<script type="application/(?:json|octet-stream)" id="data"[^>]*>([^<]*)</script>')


def _memory() -> dict[str, int]:
    """This process's current and peak resident set (bytes), from /proc; ru_maxrss where there is none."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak *= 1 if sys.platform == "darwin" else 1024
        return {"rss": peak, "hwm": peak}
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {"rss": int(fields["VmRSS"].split()[0]) * 1024, "hwm": int(fields["VmHWM"].split()[0]) * 1024}


def _reset_peak() -> bool:
    """Start VmHWM over from the current RSS (Linux >= 4.0), so that the peak is the render's alone."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _render_child(db: str, run_id: str, renders: str, out: str, plain: str, how: str = "render") -> None:
    """In the child: open the store, note the baseline, then either time `renders` calls of `render_report`
    (writing the first page to `out`, after its peak was read) or one `write_report` to `out`, as
    `llmbench report` does; print one JSON line."""
    from llmbench.report.render import write_report

    if plain == "1":
        render.COMPRESS_ABOVE = float("inf")
    store = Store(Path(db), create=False)
    baseline = _memory()
    reset = _reset_peak()
    seconds = []
    peak = 0
    for i in range(int(renders) if how == "render" else 1):
        started = time.perf_counter()
        if how == "write":
            write_report(store, [run_id], Path(out))
        else:
            html = render_report(store, [run_id])
        seconds.append(time.perf_counter() - started)
        if i == 0:
            peak = _memory()["hwm"]  # the first run's peak (later ones are only timed)
            if how == "render":
                Path(out).write_text(html, encoding="utf-8")
        html = ""
    store.close()
    print(json.dumps({"seconds": seconds, "baseline": baseline["rss"], "peak": peak, "reset": reset}))


def _child(db: Path, run_id: str, renders: int, out: Path, plain: bool, how: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(db), run_id, str(renders)]
    done = subprocess.run(
        [*command, str(out), "1" if plain else "0", how], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"rendering {db.name} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _embedded(html: str) -> dict[str, Any]:
    """The page's data element: its size in the page, its encoding and a digest of the decoded JSON (equal
    digests: the same data, whatever the encoding)."""
    match = _DATA.search(html)
    if match is None:
        return {"data_bytes": 0, "data_encoding": None, "data_json_bytes": 0, "data_sha256": None}
    text = match.group(1)
    encoding = "gzip+base64" if 'data-encoding="gzip+base64"' in match.group(0) else "json"
    raw = gzip.decompress(base64.b64decode(text)) if encoding != "json" else text.encode("utf-8")
    # Plain JSON went through json_for_script's escapes; compare the parsed values, not the characters.
    digest = hashlib.sha256(
        json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ).hexdigest()
    return {
        "data_bytes": len(text.encode("utf-8")),
        "data_encoding": encoding,
        "data_json_bytes": len(raw),
        "data_sha256": digest,
    }


def measure_render(
    db: Path, run_id: str, renders: int, html_path: Path, plain: bool = False
) -> dict[str, Any]:
    """Render `db` in fresh Python processes and return timings, memory and the page's make-up."""
    child = _child(db, run_id, renders, html_path, plain, "render")
    wrote = _child(db, run_id, 1, html_path.with_suffix(".written.html"), plain, "write")
    html_path.with_suffix(".written.html").unlink()
    html = html_path.read_text(encoding="utf-8")
    size = len(html.encode("utf-8"))
    out: dict[str, Any] = {
        "render_s": statistics.median(child["seconds"]),
        "render_runs_s": [round(x, 3) for x in child["seconds"]],
        "html_bytes": size,
        **_embedded(html),
        "peak_rss_bytes": child["peak"],
        "baseline_rss_bytes": child["baseline"],
        "render_rss_bytes": child["peak"] - child["baseline"],
        "write_s": wrote["seconds"][0],
        "write_peak_rss_bytes": wrote["peak"],
    }
    out["data_share"] = out["data_bytes"] / size if size else 0.0
    return out


def bench_report(
    root: Path,
    sizes: list[int],
    *,
    answer_chars: int = 900,
    reasoning_chars: int = 1500,
    median_upto: int = 10_000,
    plain: bool = False,
    reuse: bool = False,
) -> dict[str, Any]:
    """Build a store of each size under `root` (kept there) and measure the report of each.

    Returns {"answer_chars", "reasoning_chars", "plain", "compress_above", "results": [one dict per size]},
    each result with:
      calls             calls in the store (= the size asked for)
      build_s           seconds to build the store (set-up, not a figure; None when `reuse` found it built)
      db_bytes          size of the SQLite file
      renders           how many renders were timed: 3 up to `median_upto` calls, 1 above
      render_s          seconds of `render_report`: the median of `render_runs_s` (each one, in order)
      html_bytes        size of the page, UTF-8; bytes_per_call = html_bytes / calls
      data_bytes        of which the embedded per-call data element's content; data_share = the fraction
      data_encoding     "json" or "gzip+base64" (the report compresses above COMPRESS_ABOVE characters)
      data_json_bytes   the data's JSON once decoded
      data_sha256       digest of the decoded data, parsed and re-dumped: equal digests, equal data
      peak_rss_bytes    peak RSS (VmHWM) of the child process during its first render
      baseline_rss_bytes  the child's RSS after its imports and opening the store, before rendering
      render_rss_bytes  peak_rss_bytes - baseline_rss_bytes: what rendering itself added
      write_s, write_peak_rss_bytes  the same for one `write_report` (what `llmbench report` runs: render
                        and write the file), in a child of its own

    `reuse` renders a store already built under `root` with the same parameters instead of building it
    again. The child imports llmbench as the caller does: to measure another version of the report code
    against the same stores, run with PYTHONPATH=that/checkout/src and `reuse=True`.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for calls in sizes:
        db = root / f"report-{calls}-a{answer_chars}-r{reasoning_chars}.db"
        run_id = f"bench-{calls}"
        built: float | None = None
        if not (reuse and db.exists()):
            partial = db.with_suffix(".partial")
            for leftover in (db, partial):
                leftover.unlink(missing_ok=True)
            started = time.perf_counter()
            build(partial, calls, answer_chars, reasoning_chars)
            built = time.perf_counter() - started
            partial.replace(db)
        renders = 3 if calls <= median_upto else 1
        html_path = root / f"report-{calls}.html"
        store = Store(db, create=False)
        stored = store.db.execute("SELECT count(*) FROM calls WHERE run_id=?", (run_id,)).fetchone()[0]
        store.close()
        row: dict[str, Any] = {
            "calls": stored,
            "build_s": built,
            "db_bytes": db.stat().st_size,
            "renders": renders,
            **measure_render(db, run_id, renders, html_path, plain),
        }
        row["bytes_per_call"] = row["html_bytes"] / stored
        html_path.unlink()
        rows.append(row)
    return {
        "answer_chars": answer_chars,
        "reasoning_chars": reasoning_chars,
        "plain": plain,
        "compress_above": None if plain else render.COMPRESS_ABOVE,
        "results": rows,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _render_child(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--answer-chars", type=int, default=900, help="mean answer length")
    parser.add_argument(
        "--reasoning-chars", type=int, default=1500, help="mean reasoning length (R1 targets)"
    )
    parser.add_argument(
        "--plain", action="store_true", help="never compress the data (plain JSON in the page)"
    )
    parser.add_argument(
        "--root", type=Path, help="build (and keep) the stores here; default: a temporary dir"
    )
    parser.add_argument("--reuse", action="store_true", help="reuse stores already built under --root")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = bench_report(
            args.root or Path(tmp),
            args.calls,
            answer_chars=args.answer_chars,
            reasoning_chars=args.reasoning_chars,
            plain=args.plain,
            reuse=args.reuse,
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{'calls':>7} {'build s':>8} {'render s':>9} {'size MB':>8} {'bytes/call':>10} {'data MB':>8}"
        f" {'encoding':>12} {'peak MB':>8} {'base MB':>8} {'render MB':>9} {'write s':>8} {'w.peak MB':>9}"
    )
    for r in result["results"]:
        built = "–" if r["build_s"] is None else f"{r['build_s']:.1f}"
        print(
            f"{r['calls']:>7} {built:>8} {r['render_s']:>8.2f}{'*' if r['renders'] > 1 else ' '}"
            f" {r['html_bytes'] / 1e6:>8.2f} {r['bytes_per_call']:>10,.0f} {r['data_bytes'] / 1e6:>8.2f}"
            f" {r['data_encoding'] or '–':>12} {r['peak_rss_bytes'] / 1e6:>8.0f}"
            f" {r['baseline_rss_bytes'] / 1e6:>8.0f} {r['render_rss_bytes'] / 1e6:>9.0f}"
            f" {r['write_s']:>8.2f} {r['write_peak_rss_bytes'] / 1e6:>9.0f}"
        )
    print(
        "* median of 3 renders; others: one render. peak = the render child's VmHWM; base = its RSS after"
        " imports; write = one write_report (render + write the file), w.peak its child's VmHWM"
    )


if __name__ == "__main__":
    main()
