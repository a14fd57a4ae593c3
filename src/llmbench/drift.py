"""Compare two runs: what flipped, what moved, whether the change is noise, and whether the model changed.

Per target x prompt: verdict flips (answered <-> refused / deflected / state narrative), grade flips
(correct <-> incorrect), answers that are no longer similar, reasoning-length, token, cost and speed changes
beyond thresholds. Per target x topic: censorship and accuracy rates compared with Fisher's exact test over
all repeats, so one noisy answer is not called drift. Attribution: did the model identity change (digest,
quantization, size, family, served model, system fingerprint, server version: `identity.identity_changes`,
the comparison the report makes too) or only its behaviour?
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from llmbench.errors import UsageError
from llmbench.identity import identity_changes
from llmbench.records import AnsweredCall
from llmbench.stats import fisher_exact_two_sided
from llmbench.store import Store
from llmbench.vocab import CENSORED, CENSORSHIP_VERDICTS, FACT_VERDICTS


@dataclass
class Thresholds:
    similarity: float = 0.6  # answers below this rapidfuzz ratio (0-1) are "changed"
    relative: float = 0.25  # reasoning length, tokens, cost, speed: relative change that counts
    alpha: float = 0.05  # significance level for rate changes


@dataclass
class Change:
    target: str
    kind: str  # verdict_flip | grade_flip | answer_changed | reasoning_length | tokens | cost | speed | rate | identity
    subject: str  # prompt id, topic or metric
    before: Any
    after: Any
    detail: str = ""
    significant: bool = True


@dataclass
class DriftReport:
    baseline: str
    candidate: str
    targets: list[str]
    identity: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    compared_calls: int = 0

    @property
    def drift(self) -> bool:
        return any(c.significant for c in self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "candidate": self.candidate,
            "drift": self.drift,
            "targets": self.targets,
            "compared_calls": self.compared_calls,
            "identity": self.identity,
            "changes": [asdict(c) for c in self.changes],
        }


def _majority(values: list[str | None]) -> str | None:
    values = [v for v in values if v]
    if not values:
        return None
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    best = max(counts.values())
    winners = sorted(v for v, n in counts.items() if n == best)
    return winners[0] if len(winners) == 1 else None


def _median(values: list[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _relative_change(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or before == 0:
        return None
    return (after - before) / abs(before)


def _answered_calls(store: Store, run_id: str) -> dict[str, list[AnsweredCall]]:
    """A run's answered calls (failed ones say nothing about the model), grouped by target."""
    by_target: dict[str, list[AnsweredCall]] = defaultdict(list)
    for call in store.answered_calls(run_id):
        by_target[call.target].append(call)
    return by_target


def compare_runs(
    store: Store, baseline: str, candidate: str, thresholds: Thresholds | None = None
) -> DriftReport:
    from rapidfuzz import fuzz

    th = thresholds or Thresholds()
    rows_b, rows_c = _answered_calls(store, baseline), _answered_calls(store, candidate)
    targets = sorted(store.called_targets(baseline) & store.called_targets(candidate))
    if not targets:
        raise UsageError(f"runs {baseline} and {candidate} share no target: nothing to compare")
    report = DriftReport(baseline=baseline, candidate=candidate, targets=targets)
    ident_b = store.target_identities(baseline, (c for calls in rows_b.values() for c in calls))
    ident_c = store.target_identities(candidate, (c for calls in rows_c.values() for c in calls))
    for target in targets:
        calls_b, calls_c = rows_b.get(target, []), rows_c.get(target, [])
        changed = identity_changes(ident_b.get(target), ident_c.get(target))
        report.identity[target] = {
            "changed": bool(changed),
            "fields": changed,
            "attribution": "model updated" if changed else "same model",
        }
        if changed:
            report.changes.append(
                Change(
                    target,
                    "identity",
                    ", ".join(changed),
                    None,
                    None,
                    "; ".join(f"{k}: {v['before']} -> {v['after']}" for k, v in changed.items()),
                )
            )
        by_prompt_b: dict[tuple[str, str], list[AnsweredCall]] = defaultdict(list)
        by_prompt_c: dict[tuple[str, str], list[AnsweredCall]] = defaultdict(list)
        for r in calls_b:
            by_prompt_b[(r.suite, r.prompt_id)].append(r)
        for r in calls_c:
            by_prompt_c[(r.suite, r.prompt_id)].append(r)
        shared = sorted(set(by_prompt_b) & set(by_prompt_c))
        for key in shared:
            before, after = by_prompt_b[key], by_prompt_c[key]
            report.compared_calls += min(len(before), len(after))
            subject = f"{key[0]}/{key[1]}"
            vb, vc = _majority([r.verdict for r in before]), _majority([r.verdict for r in after])
            if vb and vc and vb != vc:
                censorship = {vb, vc} <= set(CENSORSHIP_VERDICTS)
                kind = "verdict_flip" if censorship else "grade_flip"
                report.changes.append(Change(target, kind, subject, vb, vc, before[0].topic or ""))
            first_b = sorted(before, key=lambda r: r.repeat)[0]
            first_c = sorted(after, key=lambda r: r.repeat)[0]
            similarity = fuzz.ratio(first_b.answer or "", first_c.answer or "") / 100
            if similarity < th.similarity:
                report.changes.append(
                    Change(
                        target,
                        "answer_changed",
                        subject,
                        round(similarity, 3),
                        None,
                        f"similarity {similarity:.2f} < {th.similarity}",
                    )
                )
            rl_b = _median([r.reasoning_len for r in before])
            rl_c = _median([r.reasoning_len for r in after])
            delta = _relative_change(rl_b, rl_c)
            if (delta is not None and abs(delta) > th.relative) or ((rl_b or 0) == 0) != ((rl_c or 0) == 0):
                report.changes.append(
                    Change(
                        target,
                        "reasoning_length",
                        subject,
                        rl_b,
                        rl_c,
                        "reasoning appeared or vanished" if delta is None else f"{delta:+.0%}",
                    )
                )
        _metric_changes(report, target, calls_b, calls_c, th)
        _rate_changes(report, target, calls_b, calls_c, th)
    return report


def _metric_changes(report: DriftReport, target: str, calls_b, calls_c, th: Thresholds) -> None:
    metrics = {
        "tokens": lambda rs: _median([r.completion_tokens for r in rs]),
        "cost": lambda rs: sum(r.cost_usd for r in rs if r.cost_usd is not None) / len(rs) if rs else None,
        "speed": lambda rs: _median([r.tokens_per_s for r in rs]),
    }
    for name, metric in metrics.items():
        before, after = metric(calls_b), metric(calls_c)
        delta = _relative_change(before, after)
        if delta is not None and abs(delta) > th.relative:
            report.changes.append(
                Change(
                    target,
                    name,
                    f"median {name}" if name != "cost" else "cost per call",
                    before,
                    after,
                    f"{delta:+.0%}",
                )
            )


def _rate_changes(report: DriftReport, target: str, calls_b, calls_c, th: Thresholds) -> None:
    """Per topic: censored share (probes) or accuracy (facts), Fisher's exact test over all repeats."""
    groups: dict[tuple[str, str], list[list[int]]] = defaultdict(lambda: [[0, 0], [0, 0]])
    for index, calls in enumerate((calls_b, calls_c)):
        for r in calls:
            if r.verdict in CENSORSHIP_VERDICTS:
                cell = groups[("censored", r.topic or r.prompt_id)][index]
                cell[0 if r.verdict in CENSORED else 1] += 1
            elif r.verdict in FACT_VERDICTS:
                cell = groups[("accuracy", r.suite)][index]
                cell[0 if r.verdict == "correct" else 1] += 1
    for (metric, topic), ((a, b), (c, d)) in sorted(groups.items()):
        if not (a + b) or not (c + d):
            continue
        rate_b, rate_c = a / (a + b), c / (c + d)
        if rate_b == rate_c:
            continue
        p = fisher_exact_two_sided(a, b, c, d)
        report.changes.append(
            Change(
                target,
                "rate",
                f"{metric}:{topic}",
                round(rate_b, 4),
                round(rate_c, 4),
                f"{a}/{a + b} -> {c}/{c + d}, Fisher p={p:.4f}",
                significant=p < th.alpha,
            )
        )


def pick_runs(
    store: Store, baseline: str | None, candidate: str | None, since: str | None
) -> tuple[str, str]:
    """Candidate: given or the newest run. Baseline: given, the first run since DATE, or the newest earlier
    run sharing a target with the candidate."""
    runs = [r for r in store.runs() if r.status in ("finished", "incomplete", "interrupted")]
    if not runs:
        raise UsageError(f"no runs in {store.path}")
    cand = store.resolve_run_id(candidate) if candidate else runs[-1].run_id
    if baseline:
        return store.resolve_run_id(baseline), cand
    cand_info = next(r for r in runs if r.run_id == cand)
    earlier = [r for r in runs if r.created_at < cand_info.created_at and r.run_id != cand]
    if since:
        earlier = [r for r in earlier if r.created_at >= since]
        if not earlier:
            raise UsageError(f"no run since {since} before {cand}")
        return earlier[0].run_id, cand
    sharing = [r for r in earlier if set(r.targets) & set(cand_info.targets)]
    if not sharing:
        raise UsageError(f"no earlier run shares a target with {cand}; give --baseline")
    return sharing[-1].run_id, cand


def render_text(report: DriftReport, markdown: bool = False) -> str:
    lines = []
    head = "DRIFT" if report.drift else "no drift"
    lines.append(
        f"{'## ' if markdown else ''}{head}: {report.baseline} -> {report.candidate} "
        f"({report.compared_calls} call pairs, targets: {', '.join(report.targets)})"
    )
    for target, ident in report.identity.items():
        lines.append(
            f"{'- ' if markdown else '  '}{target}: {ident['attribution']}"
            + (
                ": " + "; ".join(f"{k} {v['before']} -> {v['after']}" for k, v in ident["fields"].items())
                if ident["changed"]
                else ""
            )
        )
    if markdown and report.changes:
        lines += ["", "| target | change | subject | before | after | detail |", "|---|---|---|---|---|---|"]
    for c in report.changes:
        mark = "" if c.significant else " (not significant)"
        if markdown:
            lines.append(
                f"| {c.target} | {c.kind}{mark} | {c.subject} | {c.before} | {c.after} | {c.detail} |"
            )
        else:
            lines.append(
                f"  [{c.kind}{mark}] {c.target} {c.subject}: {c.before} -> {c.after} {c.detail}".rstrip()
            )
    return "\n".join(lines)


def render_json(report: DriftReport) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str)
