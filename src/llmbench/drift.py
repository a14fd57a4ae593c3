"""Compare two runs: what moved, whether it moved more than the noise, and whether the model changed.

What counts as drift (`DriftReport.drift`, exit 10 under `--fail-on-drift`):
- a model-identity change (digest, quantization, size, family, server version, served model, system
  fingerprint: `identity.identity_changes`, the comparison the report makes too);
- a censored-share or accuracy rate that changed significantly, per topic and overall (Fisher's exact test
  over all repeats);
- median tokens, reasoning length, tokens/s or cost per call that moved more than the threshold *and*
  significantly (Mann-Whitney U over all calls).
All these tests form one family, corrected with Holm-Bonferroni, so a comparison of thirty topics does not
cry wolf once in two nights.

Per prompt, verdict flips, answers that are no longer similar and reasoning that grew, shrank, appeared or
vanished are evidence. They are drift on their own only when the target is deterministic (temperature 0 and
the repeats of each prompt identical within each run), where the noise is zero and any change is real. When
the target is sampled (temperature above 0 or left to the server) or its repeats disagree, the within-run
spread across repeats is measured and the between-run changes are judged against it (`Noise`), but answer
texts and single flips never fail the check: a real change shows in the rates.
"""

from __future__ import annotations

import itertools
import statistics
import zlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from llmbench.errors import UsageError
from llmbench.identity import identity_changes
from llmbench.records import AnsweredCall
from llmbench.stats import (
    between_within_permutation_p,
    fisher_exact_two_sided,
    holm_adjust,
    mann_whitney_p,
    median,
)
from llmbench.store import Store
from llmbench.vocab import CENSORED, CENSORSHIP_VERDICTS, FACT_VERDICTS

DETERMINISTIC, SAMPLED, NONDETERMINISTIC = "deterministic", "sampled", "non-deterministic"


@dataclass
class Thresholds:
    similarity: float = 0.6  # answers below this rapidfuzz ratio (0-1) are "changed"
    relative: float = 0.25  # reasoning length, tokens, cost, speed: relative change that counts
    alpha: float = 0.05  # family-wise significance level (Holm-corrected) for rate and metric changes


@dataclass
class Change:
    target: str
    # identity | settings | rate | tokens | reasoning | speed | cost (target-wide)
    # verdict_flip | grade_flip | answer_changed | reasoning_length (one prompt)
    kind: str
    subject: str  # prompt id, topic or metric
    before: Any
    after: Any
    detail: str = ""
    significant: bool = True  # counts as drift (otherwise: evidence only)
    p_value: float | None = None
    p_adjusted: float | None = None  # Holm-corrected over every test of the comparison


@dataclass
class Noise:
    """How much a target's answers vary on their own: the yardstick for the changes between the runs."""

    mode: str  # deterministic | sampled | non-deterministic
    why: str
    temperature: list[float | None]  # baseline, candidate; None: the server's default (sampled)
    repeats: int  # most repeats of one prompt in one run
    prompts: int  # prompts answered in both runs
    prompts_with_repeats: int  # of which asked at least twice in one run: where the noise is measured
    verdicts_disagree: int  # prompts whose repeats got different verdicts within one run
    within: float | None  # share of repeat pairs (same prompt, same run) whose answers differ
    between: float | None  # share of answer pairs across the runs that differ, on the same prompts
    p_value: float | None  # permutation test: do answers differ across runs more than between repeats?
    beyond_noise: bool | None


@dataclass
class DriftReport:
    baseline: str
    candidate: str
    targets: list[str]
    identity: dict[str, dict[str, Any]] = field(default_factory=dict)
    noise: dict[str, Noise] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    compared_calls: int = 0
    tests: int = 0  # size of the Holm-corrected family
    alpha: float = 0.05

    @property
    def drift(self) -> bool:
        return any(c.significant for c in self.changes)

    def target_drift(self, target: str) -> bool:
        return any(c.significant for c in self.changes if c.target == target)

    def as_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "candidate": self.candidate,
            "drift": self.drift,
            "targets": self.targets,
            "compared_calls": self.compared_calls,
            "identity": self.identity,
            "noise": {t: asdict(n) for t, n in self.noise.items()},
            "correction": {"method": "holm", "tests": self.tests, "alpha": self.alpha},
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


def _signed_percent(delta: float) -> str:
    return f"{delta:+.0%}".replace("%", " %")


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


def _temperature(store: Store, run_id: str, target: str) -> float | None:
    """The temperature a run asked for (None: left to the server, whose default samples)."""
    stored = store.run_targets(run_id).get(target)
    return ((stored.spec if stored else {}).get("params") or {}).get("temperature")


def _by_prompt(calls: list[AnsweredCall]) -> dict[tuple[str, str], list[AnsweredCall]]:
    grouped: dict[tuple[str, str], list[AnsweredCall]] = defaultdict(list)
    for call in calls:
        grouped[(call.suite, call.prompt_id)].append(call)
    for rows in grouped.values():
        rows.sort(key=lambda r: r.repeat)
    return grouped


def compare_runs(
    store: Store, baseline: str, candidate: str, thresholds: Thresholds | None = None
) -> DriftReport:
    th = thresholds or Thresholds()
    rows_b, rows_c = _answered_calls(store, baseline), _answered_calls(store, candidate)
    targets = sorted(store.called_targets(baseline) & store.called_targets(candidate))
    if not targets:
        raise UsageError(f"runs {baseline} and {candidate} share no target: nothing to compare")
    report = DriftReport(baseline=baseline, candidate=candidate, targets=targets, alpha=th.alpha)
    ident_b = store.target_identities(baseline, (c for calls in rows_b.values() for c in calls))
    ident_c = store.target_identities(candidate, (c for calls in rows_c.values() for c in calls))
    family: list[tuple[Change, bool]] = []  # every test, listed or not: one Holm correction for all
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
                Change(target, "identity", ", ".join(changed), None, None, _identity_text(changed))
            )
        temperatures = [_temperature(store, baseline, target), _temperature(store, candidate, target)]
        if temperatures[0] != temperatures[1]:
            report.changes.append(
                Change(target, "settings", "temperature", *temperatures, "", significant=False)
            )
        by_prompt_b, by_prompt_c = _by_prompt(calls_b), _by_prompt(calls_c)
        shared = {
            key: (by_prompt_b[key], by_prompt_c[key]) for key in sorted(set(by_prompt_b) & set(by_prompt_c))
        }
        report.compared_calls += sum(min(len(b), len(c)) for b, c in shared.values())
        seed = zlib.crc32(f"{baseline}|{candidate}|{target}".encode())
        noise, similarity = _measure_noise(shared, temperatures, th, seed)
        report.noise[target] = noise
        for key, (before, after) in shared.items():
            _prompt_changes(report, target, key, before, after, similarity[key], noise, th)
        family += _metric_tests(target, calls_b, calls_c, th)
        family += _rate_tests(target, calls_b, calls_c)
    _correct(report, family, th)
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    report.changes.sort(key=lambda c: (targets.index(c.target), not c.significant, order.get(c.kind, 99)))
    return report


KIND_ORDER = (
    "identity",
    "rate",
    "tokens",
    "reasoning",
    "speed",
    "cost",
    "verdict_flip",
    "grade_flip",
    "answer_changed",
    "reasoning_length",
    "settings",
)


def _identity_text(changed: dict[str, dict[str, Any]]) -> str:
    def short(name: str, value: Any) -> str:
        if isinstance(value, list):
            return ", ".join(value) or "unknown"
        text = str(value)
        if name == "digest":
            return text.removeprefix("sha256:")[:12]
        return text

    return "; ".join(f"{k} {short(k, v['before'])} -> {short(k, v['after'])}" for k, v in changed.items())


def _measure_noise(
    shared: dict[tuple[str, str], tuple[list[Any], list[Any]]],
    temperatures: list[float | None],
    th: Thresholds,
    seed: int,
) -> tuple[Noise, dict[tuple[str, str], tuple[float | None, float]]]:
    """Within-run spread (pairs of repeats of one prompt in one run) against between-run change (pairs
    across the runs), on the same answer similarity that lists changed answers. Returns, per prompt, the
    mean similarity between repeats (None: asked once per run) and across the runs."""
    similarity: dict[tuple[str, str], tuple[float | None, float]] = {}
    strata: list[tuple[list[list[float]], int]] = []
    within_rates: list[float] = []
    between_rates: list[float] = []
    repeats, disagree, identical = 0, 0, True
    for key, (before, after) in shared.items():
        answers = [r.answer or "" for r in before] + [r.answer or "" for r in after]
        m = len(before)
        repeats = max(repeats, m, len(after))
        if any(len({r.verdict for r in rows if r.verdict}) > 1 for rows in (before, after)):
            disagree += 1
        sim = _similarities(answers)
        across = [sim[i][j] for i in range(m) for j in range(m, len(answers))]
        groups = (range(m), range(m, len(answers)))
        within = [sim[i][j] for g in groups for i, j in itertools.combinations(g, 2)]
        similarity[key] = (sum(within) / len(within) if within else None, sum(across) / len(across))
        if not within:
            continue
        identical = identical and all(len({answers[i] for i in g}) <= 1 for g in groups)
        within_rates.append(sum(s < th.similarity for s in within) / len(within))
        between_rates.append(sum(s < th.similarity for s in across) / len(across))
        strata.append(([[1.0 - v for v in row] for row in sim], m))
    p = between_within_permutation_p(strata, seed=seed) if strata else None
    measured = bool(strata)
    shown = " -> ".join(dict.fromkeys(temperature_text(t) for t in temperatures))
    if any(t is None or t > 0 for t in temperatures):
        mode, why = SAMPLED, f"temperature {shown}"
    elif disagree or not identical:
        mode, why = NONDETERMINISTIC, "temperature 0, but repeats of a prompt differ within a run"
    elif measured:
        mode, why = DETERMINISTIC, "temperature 0, repeats identical within each run"
    else:
        mode, why = (
            DETERMINISTIC,
            "temperature 0; one repeat per prompt, so determinism is assumed, not measured",
        )
    noise = Noise(
        mode=mode,
        why=why,
        temperature=temperatures,
        repeats=repeats,
        prompts=len(shared),
        prompts_with_repeats=len(strata),
        verdicts_disagree=disagree,
        within=round(statistics.fmean(within_rates), 4) if within_rates else None,
        between=round(statistics.fmean(between_rates), 4) if between_rates else None,
        p_value=p,
        beyond_noise=None if p is None else p < th.alpha,
    )
    return noise, similarity


def _similarities(answers: list[str]) -> list[list[float]]:
    """rapidfuzz ratio (0-1) between every two answers; each distinct pair of texts is scored once (a
    canned refusal repeated ten times costs nothing)."""
    from rapidfuzz import fuzz

    index: dict[str, int] = {}
    rows = [index.setdefault(a, len(index)) for a in answers]
    texts = list(index)
    pair: dict[tuple[int, int], float] = {}
    for i, j in itertools.combinations(range(len(texts)), 2):
        pair[i, j] = pair[j, i] = fuzz.ratio(texts[i], texts[j]) / 100
    return [[1.0 if a == b else pair[a, b] for b in rows] for a in rows]


def temperature_text(value: float | None) -> str:
    return "server default" if value is None else f"{value:g}"


def _prompt_changes(
    report: DriftReport,
    target: str,
    key: tuple[str, str],
    before: list[Any],
    after: list[Any],
    similarity: tuple[float | None, float],
    noise: Noise,
    th: Thresholds,
) -> None:
    """One prompt's evidence; drift on its own only when the target is deterministic (zero noise)."""
    strong = noise.mode == DETERMINISTIC
    subject = f"{key[0]}/{key[1]}"
    verdicts_b, verdicts_c = [r.verdict for r in before], [r.verdict for r in after]
    vb, vc = _majority(verdicts_b), _majority(verdicts_c)
    if vb and vc and vb != vc:
        kind = "verdict_flip" if {vb, vc} <= set(CENSORSHIP_VERDICTS) else "grade_flip"
        detail = f"{verdicts_b.count(vb)}/{len(before)} {vb} -> {verdicts_c.count(vc)}/{len(after)} {vc}" + (
            f", topic {before[0].topic}" if before[0].topic else ""
        )
        report.changes.append(Change(target, kind, subject, vb, vc, detail, significant=strong))
    within, across = similarity
    if across < th.similarity:
        detail = f"similarity {across:.2f} between runs" + (
            f", {within:.2f} between repeats" if within is not None else ""
        )
        report.changes.append(
            Change(
                target,
                "answer_changed",
                subject,
                None if within is None else round(within, 3),
                round(across, 3),
                detail,
                significant=strong,
            )
        )
    rl_b, rl_c = (median([r.reasoning_len for r in rows]) for rows in (before, after))
    rl_b, rl_c = (None if v is None else round(v) for v in (rl_b, rl_c))  # characters
    delta = _relative_change(rl_b, rl_c)
    if (delta is not None and abs(delta) > th.relative) or ((rl_b or 0) == 0) != ((rl_c or 0) == 0):
        report.changes.append(
            Change(
                target,
                "reasoning_length",
                subject,
                rl_b,
                rl_c,
                ("reasoning vanished" if rl_b else "reasoning appeared")
                if delta is None
                else _signed_percent(delta),
                significant=strong,
            )
        )


# Target-wide metrics: (call column, what the number is, centre). Cost is a mean: a few dear calls count.
METRICS = {
    "tokens": ("completion_tokens", "median completion tokens", statistics.median),
    "reasoning": ("reasoning_len", "median reasoning length (characters)", statistics.median),
    "speed": ("tokens_per_s", "median tokens/s", statistics.median),
    "cost": ("cost_usd", "cost per call (USD)", statistics.fmean),
}


def _metric_tests(target: str, calls_b, calls_c, th: Thresholds) -> list[tuple[Change, bool]]:
    """Mann-Whitney U over every call; drift needs both a change beyond the threshold and significance."""
    tests = []
    for kind, (column, subject, centre) in METRICS.items():
        values_b = [v for v in (getattr(r, column) for r in calls_b) if v is not None]
        values_c = [v for v in (getattr(r, column) for r in calls_c) if v is not None]
        if not values_b or not values_c:
            continue
        before, after = centre(values_b), centre(values_c)
        delta = _relative_change(before, after)
        change = Change(
            target,
            kind,
            subject,
            before,
            after,
            "" if delta is None else _signed_percent(delta),
            p_value=mann_whitney_p(values_b, values_c),
        )
        tests.append((change, delta is not None and abs(delta) > th.relative))
    return tests


def _rate_tests(target: str, calls_b, calls_c) -> list[tuple[Change, bool]]:
    """Censored share (probes) and accuracy (facts) per topic and overall, Fisher's exact test over all
    repeats. Under "same model", the repeats of a prompt are draws of one distribution in both runs, so
    pooling them with equal repeats per run does not inflate significance."""
    groups: dict[tuple[str, str], list[list[int]]] = defaultdict(lambda: [[0, 0], [0, 0]])
    for index, calls in enumerate((calls_b, calls_c)):
        for r in calls:
            if r.verdict in CENSORSHIP_VERDICTS:
                metric, hit = "censored", r.verdict in CENSORED
            elif r.verdict in FACT_VERDICTS:
                metric, hit = "accuracy", r.verdict == "correct"
            else:
                continue
            for key in ((metric, r.topic or r.prompt_id), (metric, "")):
                groups[key][index][0 if hit else 1] += 1
    topics = defaultdict(int)
    for metric, topic in groups:
        topics[metric] += bool(topic)
    tests = []
    for (metric, topic), ((a, b), (c, d)) in sorted(groups.items()):
        if (not topic and topics[metric] < 2) or not (a + b) or not (c + d):
            continue  # one topic: the overall rate is the same test again
        rate_b, rate_c = a / (a + b), c / (c + d)
        change = Change(
            target,
            "rate",
            f"{metric}:{topic}" if topic else metric,
            round(rate_b, 4),
            round(rate_c, 4),
            f"{a}/{a + b} -> {c}/{c + d}",
            p_value=fisher_exact_two_sided(a, b, c, d),
        )
        tests.append((change, rate_b != rate_c))
    return tests


def _correct(report: DriftReport, family: list[tuple[Change, bool]], th: Thresholds) -> None:
    """Holm over the whole family; list what moved, and call it drift only where it is significant."""
    report.tests = len(family)
    adjusted = holm_adjust([change.p_value for change, _ in family])
    for (change, moved), p_adjusted in zip(family, adjusted, strict=True):
        change.p_adjusted = p_adjusted
        change.significant = moved and p_adjusted < th.alpha
        test = "Fisher" if change.kind == "rate" else "Mann-Whitney"
        change.detail = ", ".join(
            filter(None, [change.detail, f"{test} p={change.p_value:.4g}", f"Holm-adjusted {p_adjusted:.4g}"])
        )
        if moved:
            report.changes.append(change)


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
