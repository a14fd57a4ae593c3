"""Per-call overhead: N calls through `llmbench run` against an instant loopback server, vs the direct client;
plus a cProfile of the per-call path."""

from __future__ import annotations

import argparse
import asyncio
import json
import pstats
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    OPTIONS,
    REPO,
    Stub,
    fmt_ratio,
    fresh_dir,
    llmbench_run,
    load_note,
    log,
    median,
    write_config,
    write_suite,
)

NAME = "overhead"
ORDER = 1


def direct_sync(url: str, n: int) -> float:
    import ollama

    client = ollama.Client(host=url)
    t0 = time.perf_counter()
    for i in range(n):
        for _ in client.chat(
            model="bench",
            messages=[{"role": "user", "content": f"Question number {i}?"}],
            options=OPTIONS,
            stream=True,
        ):
            pass
    return time.perf_counter() - t0


def direct_async(url: str, n: int) -> float:
    import ollama

    async def go() -> float:
        client = ollama.AsyncClient(host=url)
        t0 = time.perf_counter()
        for i in range(n):
            async for _ in await client.chat(
                model="bench",
                options=OPTIONS,
                stream=True,
                messages=[{"role": "user", "content": f"Question number {i}?"}],
            ):
                pass
        elapsed = time.perf_counter() - t0
        await client._client.aclose()
        return elapsed

    return asyncio.run(go())


def direct_async_concurrent(url: str, n: int, s: int) -> float:
    """n calls with at most s in flight, straight through ollama.AsyncClient (no llmbench): seconds."""
    import ollama

    async def go() -> float:
        client = ollama.AsyncClient(host=url)
        sem = asyncio.Semaphore(s)

        async def one(i: int) -> None:
            async with sem:
                async for _ in await client.chat(
                    model="bench",
                    options=OPTIONS,
                    stream=True,
                    messages=[{"role": "user", "content": f"Question number {i}?"}],
                ):
                    pass

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - t0
        await client._client.aclose()
        return elapsed

    return asyncio.run(go())


PROFILE_GROUPS = [
    # (label, filename substring, function name)
    ("suite YAML parse (yamlio.load_yaml, libyaml composer)", "llmbench/yamlio.py", "load_yaml"),
    ("suite load total (load_suite: YAML + pydantic per prompt)", "llmbench/suites.py", "load_suite"),
    ("plan (build_plan)", "llmbench/plan.py", "build_plan"),
    ("store.record_prompts", "llmbench/store.py", "record_prompts"),
    (
        "runner per-call task (Runner._call: semaphore, first attempt, provider)",
        "llmbench/runner.py",
        "_call",
    ),
    (
        "  provider (OllamaProvider._stream: ollama client + httpx + parse)",
        "llmbench/providers/ollama.py",
        "_stream",
    ),
    (
        "    Completion building (_completion, incl. model_dump of final chunk)",
        "llmbench/providers/ollama.py",
        "_completion",
    ),
    ("  ollama client request+stream (AsyncClient._request inner)", "ollama/_client.py", "inner"),
    (
        "  tenacity AsyncRetrying iteration (only after a failed first attempt)",
        "tenacity/asyncio/__init__.py",
        "__anext__",
    ),
    (
        "store.record_call (row values, json.dumps x2, grade, INSERT call + grade, one commit)",
        "llmbench/store.py",
        "record_call",
    ),
    ("  grade_row (from the values being stored)", "llmbench/grading/__init__.py", "grade_row"),
    ("  store.record_grade", "llmbench/store.py", "record_grade"),
    ("Runner._price (Pricer.cost, local energy model)", "llmbench/runner.py", "_price"),
    ("Cell.key (sha256 over json.dumps, cached per cell)", "llmbench/records.py", "key"),
    ("Progress.advance", "llmbench/runner.py", "advance"),
    ("all sqlite3 execute()", "~", "<method 'execute' of 'sqlite3.Connection' objects>"),
    ("all json.dumps", "json/__init__.py", "dumps"),
    ("all dataclasses.asdict", "dataclasses.py", "asdict"),
    (
        "all pydantic validate_python",
        "~",
        "<method 'validate_python' of 'pydantic_core._pydantic_core.SchemaValidator' objects>",
    ),
    ("asyncio event loop select (waiting on the socket)", "~", "<method 'poll' of 'select.epoll' objects>"),
]


def _profile(root: Path, url: str, n: int) -> tuple[dict, float, float, float]:
    work = fresh_dir(root, f"profile{n}")
    suite = write_suite(work / "bench.yaml", n)
    write_config(work / "llmbench.yaml", url)
    prof = work / "run.prof"
    wall, summary = llmbench_run(work, suite, prefix=[sys.executable, "-m", "cProfile", "-o", str(prof)])
    stats = pstats.Stats(str(prof))
    return stats.stats, stats.total_tt, wall, summary["elapsed_s"]  # type: ignore[attr-defined]


def profile_run(root: Path, url: str, n: int) -> dict[str, Any]:
    """cProfile an N-call and a 1-call `llmbench run`; the difference divided by N-1 is the per-call path
    (imports and other start-up costs cancel out)."""
    raw_n, tt_n, wall, elapsed = _profile(root, url, n)
    raw_1, tt_1, _, _ = _profile(root, url, 1)
    per = n - 1

    def diff(key: tuple, idx: int) -> float:
        return raw_n[key][idx] - (raw_1[key][idx] if key in raw_1 else 0)

    groups = []
    for label, file_part, func in PROFILE_GROUPS:
        cum = 0.0
        calls = 0
        for key in raw_n:
            filename, _line, name = key
            if name == func and file_part in filename:
                cum += diff(key, 3)
                calls += int(diff(key, 1))
        groups.append({"label": label, "ms_per_call": cum / per * 1e3, "calls_per_call": calls / per})
    top = sorted(raw_n, key=lambda k: diff(k, 2), reverse=True)[:15]
    top_rows = []
    for key in top:
        filename, line, name = key
        short = re.sub(r".*/site-packages/", "", filename)
        short = re.sub(r".*/lib/python3\.\d+/", "stdlib/", short)
        short = short.replace(str(REPO) + "/", "")
        top_rows.append(
            {
                "where": f"{short}:{line}({name})" if filename != "~" else name,
                "tottime_ms_per_call": diff(key, 2) / per * 1e3,
                "calls_per_call": diff(key, 1) / per,
            }
        )
    return {
        "n": n,
        "wall_s": wall,
        "runner_elapsed_s": elapsed,
        "groups": groups,
        "top": top_rows,
        "per_call_tt_ms": (tt_n - tt_1) / per * 1e3,
    }


def bench_overhead(root: Path, n: int, reps: int, before_tree: Path | None = None) -> dict[str, Any]:
    log(f"per-call overhead: N={n}, {reps} repetitions")
    out: dict[str, Any] = {
        "n": n,
        "reps": reps,
        "sync": [],
        "async": [],
        "wall_n": [],
        "wall_1": [],
        "elapsed_n": [],
        "per_call": [],
    }
    with Stub() as stub:
        # warm-up: bytecode caches, the client's connection, the stub's first-request costs
        direct_sync(stub.url, 30)
        direct_async(stub.url, 30)
        warm = fresh_dir(root, "warm")
        write_config(warm / "llmbench.yaml", stub.url)
        llmbench_run(warm, write_suite(warm / "one.yaml", 1))
        for rep in range(reps):
            out["sync"].append(direct_sync(stub.url, n) / n)
            out["async"].append(direct_async(stub.url, n) / n)
            work_n = fresh_dir(root, f"n{rep}")
            write_config(work_n / "llmbench.yaml", stub.url)
            suite_n = write_suite(work_n / "bench.yaml", n)
            stub.reset()
            wall_n, summary_n = llmbench_run(work_n, suite_n)
            served = stub.stats()["requests"]
            if summary_n["ok"] != n or served != n:
                raise RuntimeError(
                    f"expected {n} calls, llmbench says {summary_n['ok']}, server saw {served}"
                )
            work_1 = fresh_dir(root, f"one{rep}")
            write_config(work_1 / "llmbench.yaml", stub.url)
            wall_1, summary_1 = llmbench_run(work_1, write_suite(work_1 / "one.yaml", 1))
            out["wall_n"].append(wall_n)
            out["wall_1"].append(wall_1)
            out["elapsed_n"].append(summary_n["elapsed_s"] / n)
            out["per_call"].append((wall_n - wall_1) / (n - 1))
            log(
                f"  rep {rep}: direct sync {out['sync'][-1] * 1e3:.3f} ms, async {out['async'][-1] * 1e3:.3f} ms,"
                f" llmbench {out['per_call'][-1] * 1e3:.3f} ms/call (N-run {wall_n:.2f} s, 1-run {wall_1:.2f} s)"
            )
            if before_tree is not None:  # the old code, same stub, same minutes
                old_env = {"PYTHONPATH": str(before_tree / "src")}
                wall_n, summary_n = llmbench_run(work_n, suite_n, extra=["--results", "old.db"], env=old_env)
                wall_1, _ = llmbench_run(
                    work_1, work_1 / "one.yaml", extra=["--results", "old.db"], env=old_env
                )
                out.setdefault("before_wall_n", []).append(wall_n)
                out.setdefault("before_wall_1", []).append(wall_1)
                out.setdefault("before_elapsed_n", []).append(summary_n["elapsed_s"] / n)
                log(f"    before: {(wall_n - wall_1) / (n - 1) * 1e3:.3f} ms/call")
        out["profile"] = profile_run(root, stub.url, n)
    out["sync_ms"] = median(out["sync"]) * 1e3
    out["async_ms"] = median(out["async"]) * 1e3
    # medians of the N-call and 1-call walls (more robust than pairing each repetition's two runs)
    out["per_call_ms"] = (median(out["wall_n"]) - median(out["wall_1"])) / (n - 1) * 1e3
    out["loop_ms"] = median(out["elapsed_n"]) * 1e3
    out["startup_1call_s"] = median(out["wall_1"])
    if out.get("before_wall_n"):
        out["before"] = {
            "per_call_ms": (median(out["before_wall_n"]) - median(out["before_wall_1"])) / (n - 1) * 1e3,
            "loop_ms": median(out["before_elapsed_n"]) * 1e3,
            "startup_1call_s": median(out["before_wall_1"]),
        }
    out["best"] = {
        "sync_ms": min(out["sync"]) * 1e3,
        "async_ms": min(out["async"]) * 1e3,
        "per_call_ms": min(out["per_call"]) * 1e3,
        "loop_ms": min(out["elapsed_n"]) * 1e3,
    }
    return out


def measure(root: Path, args: argparse.Namespace) -> Any:
    return bench_overhead(root, args.n, args.reps, args.before_tree)


def summary(res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None]) -> None:
    """This section's rows of the summary table."""
    ov = res.get("overhead")
    if ov:
        a(
            f"| per-call time, `llmbench run` (N={ov['n']}, start-up subtracted) | {ov['per_call_ms']:.2f} ms | "
            f"{ov['sync_ms']:.2f} ms direct `ollama.Client.chat` | {fmt_ratio(ov['per_call_ms'] / ov['sync_ms'])} |"
        )


def render(
    res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None], num: dict[str, int]
) -> None:
    """This section of RESULTS.md."""
    ov = res.get("overhead")
    if ov:
        a(f"## {num['overhead']}. Per-call overhead")
        a("")
        a(
            f"An instant Ollama-protocol server on loopback (`benchmarks/ollama_stub.py`, its own process, "
            f"TCP_NODELAY, one content line `ok` + the done line per answer). `llmbench run --no-report -q --json` "
            f"on a suite of N={ov['n']} distinct prompts (each with an `expect`, so the factual grader runs as in "
            f"a real run), minus a 1-call run on a 1-prompt suite, divided by N−1 (median wall of each over "
            f"{ov['reps']} repetitions); fresh temporary directory and database each time; the direct-client loops "
            f"are interleaved with them (median of {ov['reps']}, "
            f"N calls each, same prompts). Options for every call: `{json.dumps(OPTIONS)}`, streaming."
        )
        a("")
        a("| figure | llmbench | reference / limit | ratio |")
        a("|---|---|---|---|")
        floor_ok = ov["sync_ms"] < 1.0
        a(
            f"| floor: direct `ollama.Client.chat`, streaming, one process | {ov['sync_ms']:.3f} ms/call | "
            f"< 1 ms/call expected on loopback | {'OK' if floor_ok else 'NOT under 1 ms'} |"
        )
        a(
            f"| direct `ollama.AsyncClient.chat` (the client llmbench uses), sequential | {ov['async_ms']:.3f} ms/call | "
            f"{ov['sync_ms']:.3f} ms sync client | {fmt_ratio(ov['async_ms'] / ov['sync_ms'])} |"
        )
        a(
            f"| **`llmbench run` per call**, wall-clock, start-up subtracted | {ov['per_call_ms']:.3f} ms/call | "
            f"{ov['sync_ms']:.3f} ms direct sync client | {fmt_ratio(ov['per_call_ms'] / ov['sync_ms'])} |"
        )
        a(
            f"| `llmbench run` per call, runner loop only (`elapsed_s` ÷ N) | {ov['loop_ms']:.3f} ms/call | "
            f"{ov['async_ms']:.3f} ms direct async client | {fmt_ratio(ov['loop_ms'] / ov['async_ms'])} |"
        )
        b = ov["best"]
        a(
            f"| best of {ov['reps']} (least disturbed): llmbench per call / direct sync / loop / direct async | "
            f"{b['per_call_ms']:.3f} ms / {b['sync_ms']:.3f} ms | {b['loop_ms']:.3f} ms / {b['async_ms']:.3f} ms | "
            f"{fmt_ratio(b['per_call_ms'] / b['sync_ms'])} / {fmt_ratio(b['loop_ms'] / b['async_ms'])} |"
        )
        a(
            f"| added by llmbench per call (wall − direct sync) | {ov['per_call_ms'] - ov['sync_ms']:.3f} ms | — | — |"
        )
        a(
            f"| of which per-prompt work outside the loop (suite YAML + validation, plan, prompts table) | "
            f"{ov['per_call_ms'] - ov['loop_ms']:.3f} ms/prompt | — | — |"
        )
        a("")
        a(
            "Raw: "
            + "; ".join(
                f"rep {i}: N-run {wn:.2f} s, 1-run {w1:.2f} s, direct {sy * 1e3:.3f} ms, loop {lp * 1e3:.3f} ms"
                for i, (wn, w1, sy, lp) in enumerate(
                    zip(ov["wall_n"], ov["wall_1"], ov["sync"], ov["elapsed_n"], strict=True)
                )
            )
            + "."
        )
        a("")
        a(load_note(res, "overhead"))
        a("")
        if not floor_ok:
            a(
                f"**Floor check:** the direct client needs {ov['sync_ms']:.2f} ms per call here, not well under "
                "1 ms: the ollama client (httpx + h11 + a pydantic model per streamed line) and the Python stub "
                "server share 2 busy cores. Every figure above includes that floor; the difference is what "
                "llmbench adds."
            )
        else:
            a(
                f"**Floor check:** the direct client needs {ov['sync_ms']:.2f} ms per call, under 1 ms, so the "
                "loopback set-up does not hide llmbench's own cost."
            )
        a("")
        a(
            "**What limits it.** The floor is the HTTP round trip through two Python stacks (httpx/httpcore/h11 "
            "and the ollama client's pydantic models on the client, `http.server` on the stub), not the network; "
            "the async client alone costs more than the sync one (anyio/asyncio per chunk). On top of it llmbench "
            "does, per call: an asyncio task with a semaphore, the provider call (tenacity's retry loop is entered "
            "only after a failed first attempt), a `model_dump` of the final chunk, pricing, the row's values, "
            "grading from those values, and one transaction with the call and its grade (INSERT + INSERT + "
            "commit). Before the loop, each prompt costs libyaml composing and a pydantic validation. The "
            "remaining gap to the bare async client is spread thin across these; the largest single share is "
            "the client library itself (its pydantic models and httpx)."
        )
        a("")
        prof = ov.get("profile")
        if prof:
            a("### Hot spots of the per-call path")
            a("")
            a(
                f"cProfile of a {prof['n']}-call run minus a 1-call run, divided by {prof['n'] - 1} (start-up "
                f"cancels out): {prof['per_call_tt_ms']:.2f} ms of profiled time per call (cProfile roughly "
                f"doubles Python-heavy code, so read the shares, not the absolute times)."
            )
            a("")
            a("| where (cumulative, per call) | ms/call | calls per call |")
            a("|---|---|---|")
            for g in prof["groups"]:
                a(f"| {g['label']} | {g['ms_per_call']:.3f} | {g['calls_per_call']:.2f} |")
            a("")
            a("Top functions by own time, per call:")
            a("")
            a("| function | own ms/call | calls per call |")
            a("|---|---|---|")
            for t in prof["top"]:
                a(f"| `{t['where']}` | {t['tottime_ms_per_call']:.3f} | {t['calls_per_call']:.2f} |")
            a("")
