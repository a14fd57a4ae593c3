"""The drift report as text (a cron mail), markdown or JSON.

A mail is read top down: the first line says whether anything drifted, then one line per target says whether
its model changed (with short digests) and what moved, then the noise and the evidence, target by target.
Nothing here decides anything: `drift.compare_runs` did.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from llmbench.drift import DETERMINISTIC, Change, DriftReport, Noise, temperature_text

RATE_NAMES = {"censored": "censored share", "accuracy": "accuracy"}
# Details are grouped by kind, in this order, under these titles.
GROUPS = (
    ("model identity", ("identity",)),
    ("settings", ("settings",)),
    ("rates (Fisher's exact test over all repeats)", ("rate",)),
    (
        "tokens, reasoning, speed, cost (Mann-Whitney U over all calls)",
        ("tokens", "reasoning", "speed", "cost"),
    ),
    ("verdict flips (majority of the repeats)", ("verdict_flip",)),
    ("grade flips (majority of the repeats)", ("grade_flip",)),
    ("changed answers", ("answer_changed",)),
    ("reasoning length, per prompt", ("reasoning_length",)),
)
PER_PROMPT = {
    "verdict_flip": ("verdict flip", "verdict flips"),
    "grade_flip": ("grade flip", "grade flips"),
    "answer_changed": ("changed answer", "changed answers"),
    "reasoning_length": ("reasoning-length change", "reasoning-length changes"),
}


def _number(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1 else f"{value:,.1f}".removesuffix(".0")
    return str(value)


def _percent(value: float) -> str:
    return f"{value:.0%}".replace("%", " %")


def _rate_subject(subject: str) -> str:
    metric, _, topic = subject.partition(":")
    return f"{RATE_NAMES.get(metric, metric)} {topic or 'overall'}"


def _p(change: Change) -> str:
    if change.p_value is None:
        return ""
    shown = "p<0.0001" if change.p_value < 1e-4 else f"p={change.p_value:.4f}"
    return f"{shown}, Holm-adjusted {change.p_adjusted:.4f}" if change.p_adjusted is not None else shown


def _moved(change: Change) -> str:
    """A few words for the headline."""
    if change.kind == "rate":
        return f"{_rate_subject(change.subject)} {_percent(change.before)} -> {_percent(change.after)}"
    if change.kind == "settings":
        return f"{change.subject} {temperature_text(change.before)} -> {temperature_text(change.after)}"
    return f"{change.subject} {_number(change.before)} -> {_number(change.after)} ({change.detail.split(',')[0]})"


def _count_per_prompt(changes: list[Change]) -> list[str]:
    counts = Counter(c.kind for c in changes if c.kind in PER_PROMPT)
    return [f"{n} {PER_PROMPT[kind][n != 1]}" for kind, n in sorted(counts.items())]


def headline(report: DriftReport, target: str) -> str:
    """`target: model updated (digest 1a2b.. -> 9f8e..): censored share tiananmen 100 % -> 0 %, 2 flips`."""
    ident = report.identity[target]
    mine = [c for c in report.changes if c.target == target]
    drifted = [c for c in mine if c.significant and c.kind != "identity"]
    evidence = [c for c in mine if not c.significant]
    if ident["changed"]:
        who = f"model updated ({next(c.detail for c in mine if c.kind == 'identity')})"
    else:
        who = "same model"
    if drifted:
        wide = [_moved(c) for c in drifted if c.kind not in PER_PROMPT]
        moved = wide[:3] + ([f"{len(wide) - 3} more"] if len(wide) > 3 else [])
        moved += _count_per_prompt(drifted)
        return f"{target}: {who}, " + ("" if ident["changed"] else "behaviour changed: ") + "; ".join(moved)
    quiet = "nothing moved" if report.noise[target].mode == DETERMINISTIC else "no change beyond noise"
    shown = _count_per_prompt(evidence)
    return f"{target}: {who}, {quiet}" + (f" ({', '.join(shown)}: evidence only)" if shown else "")


def noise_line(noise: Noise) -> str:
    """`answers differ between repeats in 40 % of pairs; between runs, 42 %: no change beyond noise`."""
    head = f"noise ({noise.mode}: {noise.why}; {noise.repeats} repeat{'s' if noise.repeats != 1 else ''})"
    if noise.within is None or noise.between is None:
        if noise.mode == DETERMINISTIC:
            return f"{head}: not measured; a changed answer counts as drift"
        return (
            f"{head}: not measured (no prompt asked twice in a run); answer changes and flips are evidence "
            "only: run with -n 3 or more to measure the noise"
        )
    if noise.mode == DETERMINISTIC:
        return f"{head}: none (repeats identical), so a changed answer counts as drift"
    verdict = (
        f"more change than noise (p={noise.p_value:.4f}), still evidence only for a {noise.mode} model"
        if noise.beyond_noise
        else f"no change beyond noise (p={noise.p_value:.2g})"
    )
    line = (
        f"{head}: answers differ between repeats in {_percent(noise.within)} of pairs; "
        f"between runs, {_percent(noise.between)}: {verdict}"
    )
    if noise.verdicts_disagree:
        line += f"; verdicts disagree between repeats in {noise.verdicts_disagree} of {noise.prompts} prompts"
    return line


def describe(change: Change) -> str:
    """One detail line, without the target or the kind (its group's title says it)."""
    if change.kind == "identity":
        return change.detail
    if change.kind == "settings":
        before, after = (temperature_text(v) for v in (change.before, change.after))
        return f"{change.subject} {before} -> {after}"
    if change.kind == "rate":
        counts = change.detail.split(",")[0]
        return (
            f"{_rate_subject(change.subject)}: {_percent(change.before)} -> {_percent(change.after)}"
            f" ({counts}; {_p(change)})"
        )
    if change.kind in ("verdict_flip", "grade_flip"):
        return f"{change.subject}: {change.detail.replace('_', ' ')}"
    if change.kind == "answer_changed":
        return f"{change.subject}: {change.detail}"
    if change.kind == "reasoning_length":
        return f"{change.subject}: {_number(change.before)} -> {_number(change.after)} characters ({change.detail})"
    delta = change.detail.split(",")[0]
    return f"{change.subject}: {_number(change.before)} -> {_number(change.after)}" + (
        f" ({delta}; {_p(change)})" if delta else f" ({_p(change)})"
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_text(report: DriftReport, markdown: bool = False) -> str:
    head = "DRIFT" if report.drift else "no drift"
    targets = len(report.targets)
    lines = [
        f"{'## ' if markdown else ''}{head}: {report.baseline} -> {report.candidate} "
        f"({report.compared_calls} call pairs, {targets} target{'s' if targets != 1 else ''}; "
        f"{report.tests} tests, Holm-corrected at {report.alpha:g})"
    ]
    if markdown:
        lines.append("")
    lines += [f"- {_cell(headline(report, t))}" if markdown else headline(report, t) for t in report.targets]
    for target in report.targets:
        lines += ["", f"### {target}" if markdown else target, ""] if markdown else ["", target]
        noise = noise_line(report.noise[target])
        lines.append(_cell(noise) if markdown else f"  {noise}")
        changes = [c for c in report.changes if c.target == target]
        for title, kinds in GROUPS:
            group = [c for c in changes if c.kind in kinds]
            if not group:
                continue
            group.sort(key=lambda c: not c.significant)
            if markdown:
                lines += ["", f"**{title}**", "", "| | detail |", "|---|---|"]
                lines += [f"| {_mark(c)} | {_cell(describe(c))} |" for c in group]
            else:
                lines.append(f"  {title}")
                lines += [f"    [{_mark(c)}] {describe(c)}" for c in group]
    return "\n".join(lines)


def _mark(change: Change) -> str:
    return "drift" if change.significant else "evidence"


def render_json(report: DriftReport) -> str:
    data = report.as_dict()
    data["summary"] = {t: headline(report, t) for t in report.targets}
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
