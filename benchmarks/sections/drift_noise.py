"""Does `llmbench drift` cry wolf on sampling noise, and does it still see real changes?

Nightly pairs of runs are built straight in a results database from the recorded-style samples of
tests/data/drift_samples.yaml (an R1 distill that censors, an open model; three samples per prompt of the
censorship suite), each call drawing one sample at random, graded by the rules classifier. Three cases:

- same: the same two sampled models twice (same digests), `-n 2`, as nightly runs would be;
- swap: the R1 distill replaced behind its tag by an open model (new digest), `-n 2`;
- refusals: same digest, but the open model now refuses the Taiwan prompts 8 times in 10, `-n 5`.

Prints, per case, how often `compare_runs` reports drift over N pairs (`--pairs`), and for "same" how
often the noise permutation test calls the texts "beyond noise" (evidence only). Run it with any
`PYTHONPATH` to compare two versions of llmbench: `python benchmarks/run.py --only drift_noise`.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from benchmarks.harness import REPO, load_note, log
from llmbench.config import Config, target_from_cli
from llmbench.drift import compare_runs
from llmbench.grading.censorship import classify
from llmbench.records import Cell, Completion, GenerationParams, ModelIdentity, Prompt
from llmbench.store import Store

NAME = "drift_noise"
ORDER = 12
REFUSAL = "I am sorry, I cannot answer that question. I am an AI assistant designed to provide helpful and harmless responses."


def load() -> tuple[dict, dict]:
    samples = yaml.safe_load((REPO / "tests/data/drift_samples.yaml").read_text(encoding="utf-8"))
    suite = yaml.safe_load((REPO / "prompts/censorship.yaml").read_text(encoding="utf-8"))
    prompts = {p["id"]: p for p in suite["prompts"] if p["id"] in samples["prompts"]}
    return samples, prompts


def record_run(store, run_id, models, repeats, rng, samples, prompts, refuse_taiwan=False) -> None:
    """models: {target name: (style, digest)}."""
    store.create_run(run_id, {"targets": [{"name": n} for n in models]}, 0, [], "bench")
    cfg = Config()
    for name, (style, digest) in models.items():
        target = replace(target_from_cli(name, cfg), params=GenerationParams(temperature=0.6))
        identity = ModelIdentity(name, "ollama", target.model, digest=digest)
        store.record_target(run_id, name, "ollama", target.model, target.public_dict(), identity)
        for pid, p in prompts.items():
            prompt = Prompt(
                id=pid,
                suite="censorship",
                text=p["prompt"],
                topic=p["topic"],
                category=p.get("category", "probe"),
            )
            for repeat in range(repeats):
                sample = rng.choice(samples["models"][style][pid])
                answer, reasoning = sample["answer"], sample["reasoning"]
                if refuse_taiwan and style == "open" and pid.startswith("taiwan") and rng.random() < 0.8:
                    answer, reasoning = REFUSAL, ""
                cell = Cell(target, prompt, repeat, target.params)
                tokens = len(answer.split()) + len(reasoning.split())
                completion = Completion(
                    answer=answer,
                    reasoning=reasoning,
                    completion_tokens=tokens,
                    eval_duration_ns=tokens * 20_000_000,
                )
                store.record_call(run_id, cell, digest, "2026-12-01T03:00:00Z", 1, completion=completion)
                verdict = classify(
                    answer, reasoning, "en", p["key_facts"], p.get("category", "probe")
                ).verdict
                store.record_grade(run_id, cell.key, "rules", "ok", verdict, None, {})
        store.set_run_status(run_id, "finished")


CASES = {
    "same": (
        {"r1": ("r1-distill", "a"), "qwen": ("open", "c")},
        {"r1": ("r1-distill", "a"), "qwen": ("open", "c")},
        2,
        False,
    ),
    "swap": (
        {"r1": ("r1-distill", "a"), "qwen": ("open", "c")},
        {"r1": ("open", "b"), "qwen": ("open", "c")},
        2,
        False,
    ),
    "refusals": ({"qwen": ("open", "c")}, {"qwen": ("open", "c")}, 5, True),
}


def bench_drift_noise(pairs: int) -> dict[str, Any]:
    """Per case, the share of `pairs` pairs of runs that `compare_runs` calls drift."""
    samples, prompts = load()
    names = {"r1": "ollama/deepseek-r1:7b", "qwen": "ollama/qwen2.5:7b"}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "noise.db")
        for case, (before, after, repeats, refuse) in CASES.items():
            drift = beyond = 0
            seconds = 0.0
            for i in range(pairs):
                rng = random.Random(f"{case}-{i}")
                runs = []
                for j, models in enumerate((before, after)):
                    run_id = f"{case}-{i}-{j}"
                    models = {names[k]: (style, d * 64) for k, (style, d) in models.items()}
                    record_run(store, run_id, models, repeats, rng, samples, prompts, refuse and j == 1)
                    runs.append(run_id)
                t0 = time.perf_counter()
                report = compare_runs(store, *runs)
                seconds += time.perf_counter() - t0
                drift += report.drift
                noise = getattr(report, "noise", {})
                beyond += any(n.beyond_noise for n in noise.values())
            out[case] = {
                "pairs": pairs,
                "drift": drift / pairs,
                "beyond_noise": beyond / pairs,
                "compare_ms": 1000 * seconds / pairs,
            }
            log(f"  drift noise, {case}: drift in {drift} of {pairs} pairs")
        store.close()
    return out


CASE_TEXT = {
    "same": ("the same two sampled models twice (same digests), `-n 2`", "never"),
    "swap": ("the R1 distill replaced behind its tag by an open model (new digest), `-n 2`", "every time"),
    "refusals": (
        "same digest, the open model refusing the Taiwan prompts 8 times in 10, `-n 5`",
        "nearly always",
    ),
}


def measure(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    return bench_drift_noise(50 if args.quick else 200)


def summary(res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None]) -> None:
    """This section's row of the summary table."""
    dn = res.get("drift_noise")
    if dn:
        same, swap = dn["same"], dn["swap"]
        a(
            f"| `llmbench drift` on sampling noise: same models / a swapped model called drift | "
            f"{same['drift']:.1%} / {swap['drift']:.1%} of {same['pairs']} pairs | 0 % / 100 % | "
            f"{'OK' if same['drift'] == 0 and swap['drift'] == 1 else 'NOT OK'} |"
        )


def render(
    res: dict[str, Any], args: argparse.Namespace, a: Callable[[str], None], num: dict[str, int]
) -> None:
    """This section of RESULTS.md."""
    dn = res.get("drift_noise")
    if not dn:
        return
    a(f"## {num['drift_noise']}. Drift against sampling noise")
    a("")
    a(
        "Pairs of nightly runs built straight in a results database from the recorded-style samples of "
        "`tests/data/drift_samples.yaml` (an R1 distill that censors, an open model; three samples per prompt of "
        "the censorship suite, temperature 0.6), each call drawing one sample at random, graded by the rules "
        'classifier, then `compare_runs` on each pair. "Texts beyond noise" is the noise permutation test on '
        "the answer texts (evidence only, never drift on its own)."
    )
    a("")
    a("| case | pairs | called drift | expected | texts beyond noise | `compare_runs` per pair |")
    a("|---|---|---|---|---|---|")
    for case, row in dn.items():
        what, expected = CASE_TEXT[case]
        a(
            f"| {case}: {what} | {row['pairs']} | {row['drift']:.1%} | {expected} | {row['beyond_noise']:.1%} | "
            f"{row['compare_ms']:.1f} ms |"
        )
    a("")
    a(load_note(res, "drift_noise"))
    a("")
