"""Start-up: `llmbench --help`, `--version`, `models` (no Ollama reachable) wall time, and the heavy modules they import."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    LLMBENCH,
    Stub,
    base_env,
    fmt_ratio,
    fresh_dir,
    load_note,
    log,
    time_cmd,
    write_config,
    write_suite,
)

NAME = "startup"
ORDER = 4


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


TYPER = "python -c 'import typer' (CLI framework floor)"


def measure(root: Path, args: argparse.Namespace) -> Any:
    return bench_startup(root, 5, args.before_tree)


def summary(res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None]) -> None:
    """This section's rows of the summary table."""
    ov, st = res.get("overhead"), res.get("startup")
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


def render(
    res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None], num: dict[str, int]
) -> None:
    """This section of RESULTS.md."""
    ov, st = res.get("overhead"), res.get("startup")
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
