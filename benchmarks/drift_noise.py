"""Does `llmbench drift` cry wolf on sampling noise, and does it still see real changes?

Nightly pairs of runs are built straight in a results database from the recorded-style samples of
tests/data/drift_samples.yaml (an R1 distill that censors, an open model; three samples per prompt of the
censorship suite), each call drawing one sample at random, graded by the rules classifier. Three cases:

- same: the same two sampled models twice (same digests), `-n 2`, as nightly runs would be;
- swap: the R1 distill replaced behind its tag by an open model (new digest), `-n 2`;
- refusals: same digest, but the open model now refuses the Taiwan prompts 8 times in 10, `-n 5`.

Prints, per case, how often `compare_runs` reports drift over N pairs (`--pairs`), and for "same" how
often the noise permutation test calls the texts "beyond noise" (evidence only). Run it with any
`PYTHONPATH` to compare two versions of llmbench: `python benchmarks/drift_noise.py --pairs 200`.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import yaml

from llmbench.config import Config, target_from_cli
from llmbench.drift import compare_runs
from llmbench.grading.censorship import classify
from llmbench.records import Cell, Completion, GenerationParams, ModelIdentity, Prompt
from llmbench.store import Store

REPO = Path(__file__).resolve().parents[1]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    args = parser.parse_args()
    samples, prompts = load()
    names = {"r1": "ollama/deepseek-r1:7b", "qwen": "ollama/qwen2.5:7b"}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "noise.db")
        for case, (before, after, repeats, refuse) in CASES.items():
            drift = beyond = 0
            seconds = 0.0
            for i in range(args.pairs):
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
                "pairs": args.pairs,
                "drift": drift / args.pairs,
                "beyond_noise": beyond / args.pairs,
                "compare_ms": 1000 * seconds / args.pairs,
            }
        store.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
