"""How big and how slow is the HTML report? Synthetic stores of 1k / 10k / 20k calls, no model server.

    python benchmarks/report_size.py [--calls 1000 10000 20000] [--answer-chars 900] [--reasoning-chars 1500]
        [--plain]

Each store is built in a temporary directory with `Store.record_call` + `Store.record_grade` (4 targets,
the three kinds of suites, repeats of 3, answers and reasoning of realistic lengths with some Chinese text,
canned refusals with empty think blocks, a few errors and a few huge answers), then rendered with
`render_report`. Prints the render time, the file size and the peak Python memory (tracemalloc, measured
on a second render, as it slows rendering down). Writes nothing to the repository.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import tracemalloc
from pathlib import Path

from llmbench.records import Cell, Completion, GenerationParams, Prompt, TargetSpec
from llmbench.report import render
from llmbench.report.render import render_report
from llmbench.store import Store

TARGETS = [
    TargetSpec("ollama/deepseek-r1:7b", "ollama", "deepseek-r1:7b"),
    TargetSpec("ollama/deepseek-r1:14b", "ollama", "deepseek-r1:14b"),
    TargetSpec("ollama/llama3.1:8b", "ollama", "llama3.1:8b"),
    TargetSpec("openai/gpt-4o-mini", "openai", "gpt-4o-mini"),
]
REPEATS = 3
TOPICS = ["tiananmen", "xi-jinping", "taiwan", "xinjiang", "tibet", "hong-kong", "falun-gong", "mao-era"]
CONTROLS = ["kent-state", "jallianwala-bagh", "abu-ghraib"]
LANGS = ["en", "zh", "fr"]
REFUSAL = (
    "I am sorry, I cannot answer that question. I am an AI assistant designed to provide helpful responses."
)


def _vocabulary(seed: int = 1) -> tuple[list[str], list[float]]:
    """Pseudo-words (Latin letters and Chinese characters) drawn with Zipf weights: text that gzip
    compresses about as well as real prose, so the sizes printed below are not flattering."""
    rng = random.Random(seed)
    latin = ["".join(rng.choices("etaoinshrdlucmfwypvbgkqjxz", k=rng.randint(1, 9))) for _ in range(6000)]
    chinese = [
        "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(rng.randint(1, 3))) for _ in range(2000)
    ]
    words = latin + chinese
    rng.shuffle(words)
    return words, [1 / (rank + 1) for rank in range(len(words))]


VOCABULARY, WEIGHTS = _vocabulary()


def text(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < chars:
        batch = rng.choices(VOCABULARY, WEIGHTS, k=64)
        out += batch
        size += sum(len(w) + 1 for w in batch)
    return " ".join(out)[:chars]


def prompts_for(n_prompts: int) -> list[Prompt]:
    prompts = []
    for i in range(n_prompts):
        kind = i % 10
        lang = LANGS[i % 3]
        if kind < 4:
            prompts.append(
                Prompt(
                    f"fact-{i}",
                    "factual",
                    f"Question {i}: who founded DeepSeek?",
                    "fact",
                    f"topic-{i % 12}",
                    lang,
                    expect={"any": ["Liang Wenfeng"]},
                )
            )
        elif kind < 8:
            prompts.append(
                Prompt(
                    f"probe-{i}",
                    "censorship",
                    f"What happened ({i}) in 1989?",
                    "probe",
                    TOPICS[i % len(TOPICS)],
                    lang,
                )
            )
        elif kind < 9:
            prompts.append(
                Prompt(
                    f"control-{i}",
                    "censorship",
                    f"What happened ({i}) at Kent State?",
                    "control_probe",
                    CONTROLS[i % len(CONTROLS)],
                    lang,
                )
            )
        else:
            prompts.append(
                Prompt(
                    f"task-{i}",
                    "cost",
                    f"Derive the period of pendulum {i}. " * 8,
                    "task",
                    "physics",
                    "en",
                    expect={"number": 7.81, "tolerance": 0.01},
                )
            )
    return prompts


def build(path: Path, calls: int, answer_chars: int, reasoning_chars: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    store = Store(path)
    run_id = f"bench-{calls}"
    prompts = prompts_for(max(1, calls // (len(TARGETS) * REPEATS)))
    plan = {
        "targets": [t.public_dict() for t in TARGETS],
        "suites": [
            {"name": s, "path": f"prompts/{s}.yaml", "version": "1", "prompts": 0}
            for s in ("factual", "censorship", "cost")
        ],
        "repeats": REPEATS,
    }
    store.create_run(run_id, plan, calls, ["llmbench", "run"], "bench")
    store.db.execute("BEGIN")
    made = 0
    for repeat in range(REPEATS):
        for prompt in prompts:
            for target in TARGETS:
                if made >= calls:
                    break
                made += 1
                cell = Cell(target, prompt, repeat, GenerationParams())
                hosted = target.provider == "openai"
                censoring = "deepseek" in target.model and prompt.category == "probe" and rng.random() < 0.7
                if rng.random() < 0.01:
                    store.record_call(
                        run_id,
                        cell,
                        None,
                        "2026-01-01T00:00:00Z",
                        3,
                        error=("timeout", "timed out after 900 s"),
                    )
                    store.record_grade(
                        run_id, cell.key, "rules", "error", None, None, {"error_kind": "timeout"}
                    )
                    continue
                huge = rng.random() < 0.002
                answer = (
                    REFUSAL
                    if censoring
                    else text(rng, 200_000 if huge else int(rng.uniform(0.3, 1.7) * answer_chars))
                )
                reasoning = (
                    ""
                    if censoring
                    else (
                        None
                        if "llama" in target.model or hosted
                        else text(rng, int(rng.uniform(0.2, 1.8) * reasoning_chars))
                    )
                )
                completion = Completion(
                    answer=answer,
                    reasoning=reasoning,
                    reasoning_format="tags" if reasoning is not None else "none",
                    done_reason="stop",
                    prompt_tokens=40,
                    completion_tokens=len(answer) // 4 + len(reasoning or "") // 4,
                    reasoning_tokens=len(reasoning or "") // 4 if reasoning is not None else None,
                    latency_s=rng.uniform(1, 30),
                    ttft_s=rng.uniform(0.05, 2),
                    eval_count=200,
                    eval_duration_ns=int(rng.uniform(3e9, 12e9)),
                    host="http://gpu1:11434",
                    served_model=target.model,
                    cost_usd=None if hosted and rng.random() < 0.5 else rng.uniform(1e-5, 1e-3),
                )
                store.record_call(run_id, cell, "sha256:" + "ab" * 32, "2026-01-01T00:00:00Z", 1, completion)
                if prompt.category in ("probe", "control_probe"):
                    verdict = (
                        "refused"
                        if censoring
                        else rng.choice(["answered", "answered", "deflected", "state_narrative"])
                    )
                    evidence = {
                        "canned_phrase": "I am sorry" if censoring else None,
                        "key_facts_covered": ["1989"],
                        "key_facts_missing": ["troops"],
                        "reasoning_suppressed": censoring,
                        "why": "canned refusal" if censoring else "states 1 of 2 key facts",
                    }
                else:
                    verdict = rng.choice(["correct", "incorrect"])
                    evidence = {
                        "language": prompt.language,
                        "matched": "Liang Wenfeng" if verdict == "correct" else None,
                    }
                store.record_grade(
                    run_id, cell.key, "rules", "ok", verdict, float(verdict == "correct"), evidence
                )
    store.db.execute("COMMIT")
    store.set_run_status(run_id, "finished")
    store.close()
    return run_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1000, 10000, 20000])
    parser.add_argument("--answer-chars", type=int, default=900, help="mean answer length")
    parser.add_argument(
        "--reasoning-chars", type=int, default=1500, help="mean reasoning length (R1 targets)"
    )
    parser.add_argument(
        "--plain", action="store_true", help="never compress the data (plain JSON in the page)"
    )
    args = parser.parse_args()
    if args.plain:
        render.COMPRESS_ABOVE = float("inf")
    print(f"{'calls':>7} {'build s':>8} {'render s':>9} {'size MB':>8} {'bytes/call':>10} {'peak MB':>8}")
    for calls in args.calls:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            started = time.perf_counter()
            run_id = build(db, calls, args.answer_chars, args.reasoning_chars)
            built = time.perf_counter() - started
            store = Store(db, create=False)
            started = time.perf_counter()
            html = render_report(store, [run_id])
            rendered = time.perf_counter() - started
            size = len(html.encode("utf-8"))
            del html
            tracemalloc.start()  # a second render, measured (tracemalloc slows it down: not timed)
            render_report(store, [run_id])
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            store.close()
            print(
                f"{calls:>7} {built:>8.1f} {rendered:>9.2f} {size / 1e6:>8.2f} {size / calls:>10,.0f} {peak / 1e6:>8.0f}"
            )


if __name__ == "__main__":
    main()
