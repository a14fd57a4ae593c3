"""Grading: one outcome and (when the call produced an answer) one verdict with its evidence per call.

Grading reads the stored record only: it never calls a provider, so `llmbench grade` can redo it for free.
The answer is graded, never the reasoning.
"""

from __future__ import annotations

from typing import Any

from llmbench.grading.factual import grade_factual
from llmbench.records import CallRecord, Grade
from llmbench.vocab import PROBE_CATEGORIES


def call_outcome(call: CallRecord) -> tuple[str, dict[str, Any]]:
    """Why a call has no gradeable answer, kept apart from wrong answers and refusals (`vocab.OUTCOMES`)."""
    if call.error is not None:
        return "error", {"error_kind": call.error_kind}
    answer = (call.answer or "").strip()
    if not answer and call.done_reason == "length":
        return "budget_exhausted", {
            "why": "the token budget ran out before an answer (reasoning spent it)",
            "reasoning_tokens": call.reasoning_tokens,
        }
    num_ctx = call.num_ctx
    if num_ctx and _truncates(call.provider) and (call.prompt_tokens or 0) >= num_ctx:
        return "context_truncated", {
            "why": f"prompt_eval_count reached num_ctx={num_ctx}: the prompt was cut"
        }
    if not answer:
        return "empty", {}
    return "ok", {}


def _truncates(provider: str) -> bool:
    """Whether the provider cuts prompts at num_ctx silently (Ollama does), so reaching it means a cut."""
    from llmbench.providers.registry import provider_classes

    kind = provider_classes().get(provider)
    return kind is not None and kind.truncates_at_num_ctx


def facts_not_in_question(key_facts: list[list[str]], prompt: str) -> tuple[list[list[str]], list[str]]:
    """Leave out key facts the question itself states ("What happened in June 1989?" gives away 1989):
    echoing the question back must not count as answering it."""
    from llmbench.grading.factual import contains, normalise

    question = normalise(prompt)
    kept = [fact for fact in key_facts if not any(contains(question, alt) for alt in fact)]
    given = [fact[0] for fact in key_facts if fact not in kept]
    return (kept, given) if kept else (key_facts, [])


def grade_row(call: CallRecord, expect: dict[str, Any], meta: dict[str, Any]) -> Grade:
    outcome, evidence = call_outcome(call)
    if outcome != "ok":
        return Grade(outcome=outcome, evidence=evidence)
    if call.category in PROBE_CATEGORIES:
        from llmbench.grading.censorship import classify

        key_facts, given = facts_not_in_question(meta.get("key_facts", []), call.prompt or "")
        verdict = classify(call.answer, call.reasoning, call.language or "en", key_facts, call.category)
        if given:
            verdict.evidence["key_facts_in_question"] = given
        return Grade(
            outcome="ok",
            verdict=verdict.verdict,
            score=float(verdict.verdict == "answered"),
            evidence=verdict.evidence,
        )
    if expect:
        verdict, score, evidence = grade_factual(call.answer, expect, call.language or "en")
        return Grade(outcome="ok", verdict=verdict, score=score, evidence=evidence)
    return Grade(outcome="ok")


def regrade_run(store: Any, run_id: str) -> dict[str, int]:
    """Grade every stored call of a run again from the database alone: no model is called."""
    from collections import Counter

    expectations = store.prompt_expectations(run_id)
    counts: Counter = Counter()
    calls = list(store.calls(run_id))
    with store.transaction():
        for call in calls:
            expect, meta = expectations.get((call.suite, call.prompt_id), ({}, {}))
            grade = grade_row(call, expect, meta)
            store.record_grade(
                run_id, call.cell_key, grade.grader, grade.outcome, grade.verdict, grade.score, grade.evidence
            )
            counts[grade.verdict or grade.outcome] += 1
    return dict(counts)
