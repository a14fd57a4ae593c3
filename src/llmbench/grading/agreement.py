"""Where the rules and an LLM judge agree on a run's answers, overall and per topic, and where they do not.

Read from the stored grades only (grader `rules` beside `judge:<target>`, through `Store.verdict_pairs`), so
`llmbench grade --judge` and the report say the same thing, and neither calls a model.
"""

from __future__ import annotations

from typing import Any

from llmbench.records import RULE_GRADER, VerdictPair
from llmbench.stats import rate

JUDGE_PREFIX = "judge:"
NO_TOPIC = "(no topic)"


def judges(store: Any, run_id: str) -> list[str]:
    """The LLM judges that graded this run (graders `judge:<target>`)."""
    return store.graders(run_id, JUDGE_PREFIX)


def agreement(store: Any, run_id: str, grader: str) -> dict[str, Any]:
    """How often the judge and the rules agree over calls both graded: overall, and per topic with the
    95 % Wilson interval; plus the calls where they disagree (`VerdictPair`: a = rules, b = the judge)."""
    pairs: list[VerdictPair] = store.verdict_pairs(run_id, RULE_GRADER, grader)
    same = sum(p.verdict_a == p.verdict_b for p in pairs)
    by_topic: dict[str, dict[str, Any]] = {}
    for topic in sorted({p.topic or NO_TOPIC for p in pairs}):
        subset = [p for p in pairs if (p.topic or NO_TOPIC) == topic]
        agree = sum(p.verdict_a == p.verdict_b for p in subset)
        by_topic[topic] = {"compared": len(subset), "agree": agree, **rate(agree, len(subset))}
    return {
        "compared": len(pairs),
        "agree": same,
        "rate": same / len(pairs) if pairs else None,
        "by_topic": by_topic,
        "disagreements": [p for p in pairs if p.verdict_a != p.verdict_b],
    }
