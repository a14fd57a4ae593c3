"""Scheduling benchmark: model loads and wall time against the ideal, on servers that schedule like Ollama.

Each server is the test suite's fake Ollama in scheduler mode (`python -m tests.servers.ollama_server
--max-loaded K --parallel P --load-s L --answer-s A`, in its own process): K models resident, P requests per
model at once, L seconds per load, A seconds per answer, requests served in order, every load logged (GET
/debug/scheduler). The grid: 1, 2 and 4 models × K = 1, 2 × 1 and 2 hosts × P = 1, 4, every target on
every host (`hosts:`), `concurrency: P`, and for the code after the change `hosts:` declaring K and P.

The ideal, per host: its share of the models × L + its share of the calls × A ÷ its slots (P per resident
model); the run's ideal is its busiest host's. Both the code before (commit BEFORE, unpacked from git) and
after are measured side by side, on the same servers, minutes apart.

Plus the issue's own case (the "Done when"): three models on one host holding one, 1 s per load, 0.05 s
per answer, 20 prompts each (before: only in the full run, it takes about a minute).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import LLMBENCH, REPO, base_env, log, unpack_src

NAME = "scheduling"
ORDER = 11
SUMMARY_ORDER = 1.2
BEFORE = "cd49bde"  # the last commit before host-aware scheduling
LOAD_S = 0.1
ANSWER_S = 0.02


class SchedServer:
    """One fake Ollama with a scheduler, in its own process."""

    def __init__(self, models: list[str], max_loaded: int, parallel: int, load_s: float, answer_s: float):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.servers.ollama_server",
                "--port",
                "0",
                "--models",
                ",".join(models),
                "--max-loaded",
                str(max_loaded),
                "--parallel",
                str(parallel),
                "--load-s",
                str(load_s),
                "--answer-s",
                str(answer_s),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        match = re.search(r"at (http://\S+)", self.proc.stdout.readline())
        if not match:
            raise RuntimeError("the scheduler server did not start")
        self.url = match.group(1)

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/debug/scheduler", timeout=5) as response:
            return json.loads(response.read())

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def ideal_s(
    models: int, calls_per_model: int, hosts: int, k: int, p: int, load: float, answer: float
) -> float:
    """The busiest host's share: whole models per host when there are enough, else each model's calls
    split over the hosts (each host then loads it once)."""
    if models >= hosts:
        per_host = math.ceil(models / hosts)
        calls = per_host * calls_per_model
    else:
        per_host = 1
        calls = math.ceil(models * calls_per_model / hosts)
    return per_host * load + calls * answer / (p * min(k, per_host))


def one_run(
    work: Path,
    models: int,
    calls: int,
    hosts: int,
    k: int,
    p: int,
    load: float,
    answer: float,
    src: Path | None,
) -> dict[str, Any]:
    """One `llmbench run` (the code in `src`, else the installed one) against fresh servers."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    names = [f"m{i}" for i in range(models)]
    servers = [SchedServer(names, k, p, load, answer) for _ in range(hosts)]
    try:
        urls = ", ".join(s.url for s in servers)
        text = "results: results/llmbench.db\nparams: {temperature: 0, seed: 42, max_tokens: 64}\ntargets:\n"
        for name in names:
            text += f"  - id: ollama/{name}\n    hosts: [{urls}]\n    concurrency: {p}\n    max_retries: 2\n"
        if src is None:  # the old code knows no `hosts:` section
            text += "hosts:\n" + "".join(f"  {s.url}: {{max_loaded: {k}, parallel: {p}}}\n" for s in servers)
        (work / "llmbench.yaml").write_text(text, encoding="utf-8")
        lines = ["suite: sched", "version: 1", "prompts:"]
        for i in range(calls):
            lines += [f"  - id: p{i}", f"    prompt: Question number {i}?", "    expect: {any: [ok]}"]
        (work / "sched.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        proc = subprocess.run(
            [LLMBENCH, "run", "--no-report", "-q", "--json", "-s", "sched.yaml"],
            cwd=work,
            env=base_env(**({"PYTHONPATH": str(src)} if src is not None else {})),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"llmbench run failed ({proc.returncode}): {proc.stderr[-1500:]}")
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
        stats = [s.stats() for s in servers]
    finally:
        for s in servers:
            s.close()
    ideal = ideal_s(models, calls, hosts, k, p, load, answer)
    return {
        "loads": sum(len(st["loads"]) for st in stats),
        "loads_per_host": [len(st["loads"]) for st in stats],
        "answered_per_host": [st["chat_calls"] for st in stats],
        "peak_per_model": max((v for st in stats for v in st["peak_in_flight"].values()), default=0),
        "ok": summary["ok"],
        "failed": summary["failed"],
        "wall_s": summary["elapsed_s"],
        "ideal_s": ideal,
        "ratio": summary["elapsed_s"] / ideal,
    }


def unpack_before(root: Path) -> Path | None:
    tree = unpack_src(root, BEFORE, f"before-{BEFORE}")
    return tree / "src" if tree else None


def bench_scheduling(root: Path, quick: bool, before_src: Path | None) -> dict[str, Any]:
    calls = 6 if quick else 8
    rows = []
    for models in (1, 2, 4):
        for k in (1, 2):
            for hosts in (1, 2):
                for p in (1, 4):
                    row: dict[str, Any] = {"models": models, "k": k, "hosts": hosts, "p": p, "calls": calls}
                    args = (models, calls, hosts, k, p, LOAD_S, ANSWER_S)
                    row["after"] = one_run(root / "sched", *args, None)
                    if before_src is not None:
                        row["before"] = one_run(root / "sched", *args, before_src)
                    rows.append(row)
                    b = row.get("before")
                    log(
                        f"  scheduling {models} model(s) K={k} {hosts} host(s) P={p}: after {row['after']['loads']}"
                        f" loads {row['after']['ratio']:.2f}x ideal"
                        + (f"; before {b['loads']} loads {b['ratio']:.2f}x" if b else "")
                    )
    issue: dict[str, Any] = {
        "models": 3,
        "k": 1,
        "hosts": 1,
        "p": 1,
        "calls": 20,
        "load_s": 1.0,
        "answer_s": 0.05,
    }
    issue["after"] = one_run(root / "sched", 3, 20, 1, 1, 1, 1.0, 0.05, None)
    if before_src is not None and not quick:
        issue["before"] = one_run(root / "sched", 3, 20, 1, 1, 1, 1.0, 0.05, before_src)
    log(f"  the issue's case: after {issue['after']['loads']} loads, {issue['after']['ratio']:.2f}x ideal")
    return {"load_s": LOAD_S, "answer_s": ANSWER_S, "before_commit": BEFORE, "rows": rows, "issue": issue}


def render_scheduling(res: dict[str, Any], a, number: int) -> None:
    a(f"## {number}. Scheduling on servers that hold K models")
    a("")
    a(
        f"Each server is the fake Ollama in scheduler mode in its own process (K models resident, P requests per "
        f"model, {res['load_s']:g} s per load, {res['answer_s']:g} s per answer, requests served in order, every "
        "load logged); every model is a target on every host (`hosts:`), `concurrency: P`. Ideal = the busiest "
        "host's models × load + its calls × answer ÷ its slots (P per resident model). Wall = the run's own "
        f"elapsed time (start-up excluded). Before = commit {res['before_commit']} (calls prompt-major, every "
        "target at once), run side by side on the same servers."
    )
    a("")
    issue = res["issue"]
    ia, ib = issue["after"], issue.get("before")
    a(
        f"**The issue's case** (3 models, one host holding one, {issue['load_s']:g} s per load, "
        f"{issue['answer_s']:g} s per answer, {issue['calls']} prompts each): {ia['loads']} loads, "
        f"{ia['wall_s']:.1f} s for an ideal of {ia['ideal_s']:.1f} s ({ia['ratio']:.2f}×)"
        + (
            f"; before: {ib['loads']} loads, {ib['wall_s']:.1f} s ({ib['ratio']:.1f}×)."
            if ib
            else "; before (measured by the issue: 60 loads, 64 s, 10.7×; the full run measures it again)."
        )
    )
    a("")
    has_before = any("before" in r for r in res["rows"])
    head = "| models | K | hosts | P | calls | ideal | after: loads | after: wall | after ÷ ideal | peak / model |"
    if has_before:
        head += " before: loads | before: wall | before ÷ ideal | before ÷ after |"
    a(head)
    a("|" + "---|" * (head.count("|") - 1))
    for r in res["rows"]:
        af = r["after"]
        line = (
            f"| {r['models']} | {r['k']} | {r['hosts']} | {r['p']} | {r['models'] * r['calls']} | "
            f"{af['ideal_s']:.2f} s | {af['loads']} | {af['wall_s']:.2f} s | {af['ratio']:.2f}× | "
            f"{af['peak_per_model']} |"
        )
        if has_before:
            b = r.get("before")
            line += (
                f" {b['loads']} | {b['wall_s']:.2f} s | {b['ratio']:.2f}× | {b['wall_s'] / af['wall_s']:.1f}× |"
                if b
                else " – | – | – | – |"
            )
        a(line)
    a("")
    a(
        "After: one load per model per host that serves it (a second host joins a model only when that "
        "finishes sooner), never more than P calls of a model in flight. Where wall ÷ ideal rises above 1 it is "
        "the fixed per-call cost of client and server (a few ms on this VM against a 20 ms answer) and the "
        "warm-up round trip."
    )
    a("")


def measure(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    return bench_scheduling(root, args.quick, None if args.no_before else unpack_before(root))


def summary(res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None]) -> None:
    """This section's row of the summary table."""
    sch = res.get("scheduling")
    if sch:
        ia = sch["issue"]["after"]
        a(
            f"| 3 models on a host holding 1 (1 s per load, 0.05 s per answer, 20 prompts each): loads / wall | "
            f"{ia['loads']} / {ia['wall_s']:.1f} s | 3 / {ia['ideal_s']:.1f} s ideal | {ia['ratio']:.2f}× |"
        )


def render(
    res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None], num: dict[str, int]
) -> None:
    """This section of RESULTS.md."""
    if res.get("scheduling"):
        render_scheduling(res["scheduling"], a, num["scheduling"])
