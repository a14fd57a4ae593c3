"""Grading: one outcome and (when the call produced an answer) one verdict with its evidence per call.

Grading reads the stored record only: it never calls a provider, so `llmbench grade` can redo it for free.
The answer is graded, never the reasoning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmbench.grading.factual import grade_factual

GRADER = "rules"


@dataclass
class Grade:
    outcome: str  # ok | error | budget_exhausted | context_truncated | empty
    verdict: str | None = None  # correct | incorrect (facts); answered | refused | ... (censorship)
    score: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    grader: str = GRADER


def call_outcome(row: Any) -> tuple[str, dict[str, Any]]:
    """Why a call has no gradeable answer, kept apart from wrong answers and refusals."""
    if row["error"] is not None:
        return "error", {"error_kind": row["error_kind"]}
    answer = (row["answer"] or "").strip()
    if not answer and row["done_reason"] == "length":
        return "budget_exhausted", {
            "why": "the token budget ran out before an answer (reasoning spent it)",
            "reasoning_tokens": row["reasoning_tokens"],
        }
    num_ctx = _num_ctx(row)
    if num_ctx and row["provider"] == "ollama" and (row["prompt_tokens"] or 0) >= num_ctx:
        return "context_truncated", {
            "why": f"prompt_eval_count reached num_ctx={num_ctx}: the prompt was cut"
        }
    if not answer:
        return "empty", {}
    return "ok", {}


def _num_ctx(row: Any) -> int | None:
    import json

    try:
        return json.loads(row["params_json"]).get("num_ctx")
    except (TypeError, ValueError):
        return None


def facts_not_in_question(key_facts: list[list[str]], prompt: str) -> tuple[list[list[str]], list[str]]:
    """Leave out key facts the question itself states ("What happened in June 1989?" gives away 1989):
    echoing the question back must not count as answering it."""
    from llmbench.grading.factual import contains, normalise

    question = normalise(prompt)
    kept = [fact for fact in key_facts if not any(contains(question, alt) for alt in fact)]
    given = [fact[0] for fact in key_facts if fact not in kept]
    return (kept, given) if kept else (key_facts, [])


def grade_row(row: Any, expect: dict[str, Any], meta: dict[str, Any]) -> Grade:
    outcome, evidence = call_outcome(row)
    if outcome != "ok":
        return Grade(outcome=outcome, evidence=evidence)
    if row["category"] in ("probe", "control_probe"):
        from llmbench.grading.censorship import classify

        key_facts, given = facts_not_in_question(meta.get("key_facts", []), row["prompt"] or "")
        verdict = classify(
            row["answer"], row["reasoning"], row["language"] or "en", key_facts, row["category"]
        )
        if given:
            verdict.evidence["key_facts_in_question"] = given
        return Grade(
            outcome="ok",
            verdict=verdict.verdict,
            score=float(verdict.verdict == "answered"),
            evidence=verdict.evidence,
        )
    if expect:
        verdict, score, evidence = grade_factual(row["answer"], expect, row["language"] or "en")
        return Grade(outcome="ok", verdict=verdict, score=score, evidence=evidence)
    return Grade(outcome="ok")


def regrade_run(store: Any, run_id: str) -> dict[str, int]:
    """Grade every stored call of a run again from the database alone: no model is called."""
    from collections import Counter

    expectations = store.prompt_expectations(run_id)
    counts: Counter = Counter()
    rows = list(store.db.execute("SELECT * FROM calls WHERE run_id=?", (run_id,)))
    with store.transaction():
        for row in rows:
            expect, meta = expectations.get((row["suite"], row["prompt_id"]), ({}, {}))
            grade = grade_row(row, expect, meta)
            store.record_grade(
                run_id, row["cell_key"], GRADER, grade.outcome, grade.verdict, grade.score, grade.evidence
            )
            counts[grade.verdict or grade.outcome] += 1
    return dict(counts)
