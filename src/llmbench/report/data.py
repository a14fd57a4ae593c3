"""Shape stored calls into what the report shows. Pure functions over store rows: no server, no I/O."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TargetSummary:
    target: str
    provider: str
    model: str
    identity: dict[str, Any] | None
    calls: int = 0
    errors: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    correct: int = 0
    graded: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None
    latency_median_s: float | None = None
    ttft_median_s: float | None = None
    tokens_per_s_median: float | None = None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.graded if self.graded else None

    @property
    def reasoning_share(self) -> float | None:
        return self.reasoning_tokens / self.completion_tokens if self.completion_tokens else None


@dataclass
class PromptRow:
    suite: str
    prompt_id: str
    category: str
    topic: str
    language: str
    prompt: str
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(rows: list[Any], identities: dict[str, dict[str, Any]]) -> list[TargetSummary]:
    by_target: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_target[row["target"]].append(row)
    summaries = []
    for target, calls in by_target.items():
        first = calls[0]
        s = TargetSummary(
            target=target, provider=first["provider"], model=first["model"],
            identity=(identities.get(target) or {}).get("identity"),
        )
        outcomes: dict[str, int] = defaultdict(int)
        costs = []
        for c in calls:
            s.calls += 1
            s.errors += c["error"] is not None
            outcomes[c["outcome"] or "ungraded"] += 1
            if c["verdict"] in ("correct", "incorrect"):
                s.graded += 1
                s.correct += c["verdict"] == "correct"
            s.prompt_tokens += c["prompt_tokens"] or 0
            s.completion_tokens += c["completion_tokens"] or 0
            s.reasoning_tokens += c["reasoning_tokens"] or 0
            if c["cost_usd"] is not None:
                costs.append(c["cost_usd"])
        s.outcomes = dict(outcomes)
        s.cost_usd = sum(costs) if costs else None
        ok = [c for c in calls if c["error"] is None]
        s.latency_median_s = _median([c["latency_s"] for c in ok])
        s.ttft_median_s = _median([c["ttft_s"] for c in ok])
        s.tokens_per_s_median = _median([c["tokens_per_s"] for c in ok])
        summaries.append(s)
    return summaries


def side_by_side(rows: list[Any]) -> list[PromptRow]:
    prompts: dict[tuple[str, str], PromptRow] = {}
    for row in rows:
        key = (row["suite"], row["prompt_id"])
        if key not in prompts:
            prompts[key] = PromptRow(
                suite=row["suite"], prompt_id=row["prompt_id"], category=row["category"] or "",
                topic=row["topic"] or "", language=row["language"] or "", prompt=row["prompt"],
            )
        evidence = json.loads(row["evidence_json"]) if row["evidence_json"] else {}
        prompts[key].answers.setdefault(row["target"], []).append({
            "repeat": row["repeat"],
            "answer": row["answer"],
            "reasoning": row["reasoning"],
            "reasoning_format": row["reasoning_format"],
            "error": row["error"],
            "outcome": row["outcome"],
            "verdict": row["verdict"],
            "evidence": evidence,
            "completion_tokens": row["completion_tokens"],
            "reasoning_tokens": row["reasoning_tokens"],
            "latency_s": row["latency_s"],
            "done_reason": row["done_reason"],
        })
    return list(prompts.values())
