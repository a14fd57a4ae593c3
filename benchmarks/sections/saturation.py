"""Saturation: a server with a fixed latency L serving S requests at once; throughput vs the limit S/L."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    Stub,
    fresh_dir,
    llmbench_run,
    load_note,
    log,
    write_config,
    write_probe_suite,
    write_suite,
)
from benchmarks.sections.overhead import direct_async_concurrent

NAME = "saturation"
ORDER = 2


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


def measure(root: Path, args: argparse.Namespace) -> Any:
    return bench_saturation(root, args.latency, [1, 4, 16] if args.quick else [1, 4, 16, 64], args.rounds, 16)


def summary(res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None]) -> None:
    """This section's rows of the summary table."""
    sat = res.get("saturation")
    for row in sat or []:
        a(
            f"| throughput, S={row['S']} in parallel, L={args.latency:g} s ({row['kind']}) | {row['achieved']:.1f} "
            f"calls/s | {row['limit']:.1f} calls/s (S/L) | {row['ratio']:.1%} |"
        )


def render(
    res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None], num: dict[str, int]
) -> None:
    """This section of RESULTS.md."""
    sat = res.get("saturation")
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
