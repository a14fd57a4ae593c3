"""Multi-host: one target over 1, 2, 4 such servers (`hosts:`), vs H x S/L and vs litellm's Router."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    Stub,
    fresh_dir,
    llmbench_run,
    load_note,
    log,
    write_suite,
)

NAME = "multihost"
ORDER = 3


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


def measure(root: Path, args: argparse.Namespace) -> Any:
    return bench_multihost(root, args.latency, 4, [1, 2, 4], args.rounds, router=not args.quick)


def summary(res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None]) -> None:
    """This section's rows of the summary table."""
    mh = res.get("multihost")
    for row in mh or []:
        a(
            f"| throughput, {row['hosts']} Ollama host(s) × {row['per_host']} slots (`hosts:`), L={args.latency:g} s "
            f"| {row['achieved']:.1f} calls/s | {row['limit']:.0f} calls/s (H×S/L) | {row['ratio']:.1%} |"
        )


def render(
    res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None], num: dict[str, int]
) -> None:
    """This section of RESULTS.md."""
    mh = res.get("multihost")
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
