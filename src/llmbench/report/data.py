"""Shape stored runs into what the report shows. Reads the database only: no model server, no network.

Everything that leaves this module for the page is cleaned first: text that is not valid UTF-8 (or holds lone
surrogates) is repaired with U+FFFD, secrets are dropped (any mapping key named like a key, token or secret)
or redacted (values of secret-looking environment variables), and huge answers are cut with a marker that
states their original length. The per-call data goes to the page once, as the compact `blob_json()`, which
reads answers and reasoning from the database a batch at a time and writes them out as it goes.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from llmbench import stats
from llmbench.identity import TargetIdentity, identity_changes
from llmbench.records import CallRecord
from llmbench.vocab import (
    CENSORED,
    CENSORSHIP_VERDICTS,
    FACT_VERDICTS,
    NO_VERDICT,
    NOT_OK,
    PROBE_CATEGORIES,
    REPORT_STATUSES,
    UNGRADED,
)

MAX_TEXT_CHARS = 20_000
"""Answers and reasoning longer than this are cut in the report (the database keeps them whole)."""

LANGUAGE_ORDER = ("en", "zh", "fr")
PROJECTED_TASKS = 1000

REDACTED = "[redacted]"
_SHORT = 200  # evidence strings this short are cleaned once per distinct value (see Cleaner.text)
_SECRET_NAME = re.compile(
    r"key|secret|passw|credential|auth(?!ors?(?:$|[^a-z]))|bearer|cookie|token", re.IGNORECASE
)
# Counts, budgets and grading evidence that merely contain those words: `max_tokens`, `key_facts_missing`...
_SAFE_NAME = re.compile(r"^key_facts|tokens(_|$)|^num_predict$", re.IGNORECASE)
_SECRET_VALUE = re.compile(r"^(sk|pk|rk|sk-ant|sk-proj|xox[abp])-[A-Za-z0-9_\-]{12,}$")
_SECRET_ENV = re.compile(r"key|secret|token|passw|credential", re.IGNORECASE)


# --------------------------------------------------------------------------------------------------
# Cleaning: valid text, no secrets, bounded size
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # the same few keys, in every call's evidence
def is_secret_name(name: str) -> bool:
    """A mapping key that may hold a credential (`api_key`, `Authorization`, `hf_token`...)."""
    return bool(_SECRET_NAME.search(name)) and not _SAFE_NAME.search(name)


def env_secrets(extra_names: Iterable[str] = ()) -> list[str]:
    """Values of secret-looking environment variables (and of the named ones), longest first."""
    names = {n for n in os.environ if _SECRET_ENV.search(n)} | {n for n in extra_names if n}
    values = {os.environ.get(n, "") for n in names}
    return sorted((v for v in values if len(v) >= 8), key=len, reverse=True)


def fix_text(text: str) -> str:
    """Valid Unicode whatever came in: lone surrogates become U+FFFD, surrogate pairs are joined."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def truncate(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    if len(text) <= limit:
        return text
    return (
        text[:limit]
        + f"\n\n[… truncated in this report: {len(text):,} characters in all, the first {limit:,} "
        "shown; the results database holds the full text]"
    )


class Cleaner:
    """Applies the cleaning rules above to strings and nested data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = [s for s in secrets if s]
        self.known: dict[str, str] = {}
        """Texts already cleaned, and how: labels, prompts, keys and verdicts repeat across calls."""

    def text(self, value: Any, limit: int | None = None) -> str | None:
        if value is None:
            return None
        if limit and limit >= len(REDACTED) * _SHORT and type(value) is str and len(value) <= _SHORT:
            return self.label(value)  # a short value in evidence: it cannot outgrow the limit by redaction
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        text = self._clean(str(value))
        return truncate(text, limit) if limit else text

    def label(self, value: Any) -> str | None:
        """`text` for a value that repeats across calls (a label, a prompt, a verdict), not cut: cleaned once,
        and every call gets the same string (one in memory, not one per call). Not for answers."""
        if type(value) is not str:
            return self.text(value)
        cleaned = self.known.get(value)
        if cleaned is None:
            if len(self.known) >= 100_000:  # (a bound, should every value be different)
                self.known.clear()
            cleaned = self.known[value] = self._clean(value)
        return cleaned

    def _clean(self, text: str) -> str:
        text = fix_text(text)
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def tree(self, value: Any, depth: int = 0) -> Any:
        """A JSON-like value with secret-named keys dropped and every string cleaned."""
        if depth > 20:
            return None
        if isinstance(value, str):  # (the commonest first: the Mapping check is slow for everything else)
            return REDACTED if _SECRET_VALUE.match(value) else self.text(value, 2000)
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, list | tuple):
            return [self.tree(v, depth + 1) for v in value]
        if isinstance(value, dict | Mapping):
            return {
                self.label(k): self.tree(v, depth + 1) for k, v in value.items() if not is_secret_name(str(k))
            }
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value


# --------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------


@dataclass
class Rate:
    """k of n, with its 95% Wilson interval."""

    k: int = 0
    n: int = 0

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """None when there is no data: a report shows no interval, not [0, 1]."""
        return stats.wilson_interval(self.k, self.n) if self.n > 0 else None


@dataclass
class Cost:
    """A sum of call costs that knows when it is not a price: `usd` is None when no call was priced."""

    usd: float | None = None
    priced: int = 0
    unpriced: int = 0

    def add(self, usd: float | None, billable: bool = True) -> None:
        if usd is not None:
            self.usd = (self.usd or 0.0) + usd
            self.priced += 1
        elif billable:
            self.unpriced += 1

    def per(self, count: int) -> float | None:
        return self.usd / count if self.usd is not None and count else None


# --------------------------------------------------------------------------------------------------
# Reading a run
# --------------------------------------------------------------------------------------------------


def _load_json(text: Any) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


TEXT_BATCH = 500
"""Calls whose answers, reasoning and evidence `call_texts` reads (and holds) at a time."""


def read_calls(store: Any, run_id: str, clean: Cleaner | None = None) -> list[dict[str, Any]]:
    """The calls of a run as the views read them (`Store.call_views`: the `view` fields of `CallRecord`, the
    rule grade's `outcome`, `verdict` and `score`, and `has_reasoning`, not the text itself). With `clean`,
    cleaned as read (as `clean_calls` would): repeated labels become one string each instead of one per call.
    The bulky text (answers, reasoning, the grade's evidence) is left out: `call_texts` reads it a batch at a
    time while the page's data is written, so that a run's text is never all in memory at once."""
    return store.call_views(run_id, (lambda call: _clean_columns(call, clean)) if clean else (lambda c: c))


def call_texts(store: Any, ids: list[int], clean: Cleaner) -> Iterator[CallText]:
    """(answer, reasoning, evidence) of the calls with these ids, in this order, cleaned (texts are not cut
    here): read a batch at a time, so that only one batch of answers is in memory. A grader says the same
    thing of many calls: equal evidence is parsed and cleaned once, and the calls share it (read only)."""
    evidences: dict[tuple[Any, Any], dict[str, Any] | None] = {}
    batch = TEXT_BATCH
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        found = store.call_texts(chunk)
        for call_id in chunk:
            answer, reasoning, evidence_json, judge = found.get(call_id) or (None, None, None, None)
            key = (evidence_json, judge)
            if key in evidences:
                evidence = evidences[key]
            else:
                if len(evidences) >= 4096:  # (a bound, should every call's evidence differ)
                    evidences.clear()
                evidence = evidences[key] = _clean_evidence(evidence_json, judge, clean)
            yield clean.text(answer), clean.text(reasoning), evidence


def _clean_evidence(evidence_json: Any, judge: Any, clean: Cleaner) -> dict[str, Any] | None:
    """The rule grade's evidence, with an LLM judge's verdict beside it; secret-named keys dropped."""
    evidence = _load_json(evidence_json)
    if judge:
        evidence = {**(evidence if isinstance(evidence, Mapping) else {}), "judge": judge}
    return clean.tree(evidence) if isinstance(evidence, Mapping) else None


def read_run_meta(store: Any, run_id: str) -> dict[str, Any]:
    """The run's stored metadata (`Store.run`), its plan, and per target its spec and stored identity."""
    run = store.run(run_id)
    meta = {
        key: getattr(run, key)
        for key in (
            "run_id",
            "created_at",
            "finished_at",
            "status",
            "llmbench_version",
            "planned",
            "hostname",
        )
    }
    meta["plan"] = run.plan
    meta["identities"] = {
        t.target: {"provider": t.provider, "model": t.model, "spec": t.spec, "identity": t.identity or {}}
        for t in store.run_targets(run_id).values()
    }
    meta["loads"] = store.load_summary(run_id)
    return meta


# --------------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------------


def status_of(call: Mapping[str, Any]) -> str:
    """One label per call for badges and filters: its verdict, else why it has none."""
    if call.get("error") is not None:
        return "error"
    outcome = call.get("outcome")
    if outcome and outcome != "ok":
        return outcome
    if call.get("verdict"):
        return call["verdict"]
    return UNGRADED if outcome is None else NO_VERDICT


@dataclass
class TargetStats:
    """One leaderboard row: a target within one run."""

    target: str
    provider: str = ""
    model: str = ""
    calls: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    non_ok: dict[str, int] = field(default_factory=dict)
    accuracy: Rate = field(default_factory=Rate)
    refusal: Rate = field(default_factory=Rate)
    state_narrative: Rate = field(default_factory=Rate)
    deflection: Rate = field(default_factory=Rate)
    censored: Rate = field(default_factory=Rate)
    # probe answers from a model with a reasoning channel whose think block was empty (R1's canned refusals)
    suppressed: Rate = field(default_factory=Rate)
    control_censored: Rate = field(default_factory=Rate)
    tasks: int = 0
    task_prompts: int = 0
    tasks_correct: int = 0
    tasks_graded: int = 0
    task_cost: Cost = field(default_factory=Cost)
    graded_cost: Cost = field(default_factory=Cost)
    total_cost: Cost = field(default_factory=Cost)
    cost_sources: dict[str, int] = field(default_factory=dict)
    tokens_per_s: float | None = None
    tokens_per_s_iqr: tuple[float, float] | None = None
    ttft_s: float | None = None
    ttft_iqr: tuple[float, float] | None = None
    latency_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    reasoning_estimated: bool = False
    reasoning_share: float | None = None
    empty_reasoning: int = 0

    @property
    def errors(self) -> int:
        return self.non_ok.get("error", 0)

    @property
    def cost_per_task(self) -> float | None:
        return self.task_cost.per(self.tasks)

    @property
    def cost_per_correct(self) -> float | None:
        correct = self.accuracy.k + self.tasks_correct
        return self.graded_cost.per(correct)

    @property
    def cost_per_call(self) -> float | None:
        return self.total_cost.per(self.calls)

    @property
    def cost_source(self) -> str | None:
        return max(self.cost_sources, key=self.cost_sources.get) if self.cost_sources else None


def target_order(plan: Mapping[str, Any], calls: Iterable[Mapping[str, Any]]) -> list[str]:
    names = [t.get("name") for t in plan.get("targets") or [] if isinstance(t, Mapping) and t.get("name")]
    for c in calls:
        if c["target"] not in names:
            names.append(c["target"])
    return names


def _has_reasoning(call: Mapping[str, Any]) -> bool | None:
    """None: the call has no reasoning; False: an empty think block; True: reasoning text. `read_calls` rows
    carry this as `has_reasoning`, not the text."""
    if "has_reasoning" in call:
        flag = call["has_reasoning"]
        return None if flag is None else bool(flag)
    reasoning = call.get("reasoning")
    return None if reasoning is None else reasoning != ""


@functools.lru_cache(maxsize=1024)
def _cost_source(cost_json: str | None) -> str:
    cost_info = _load_json(cost_json)
    return (cost_info.get("source") if isinstance(cost_info, dict) else None) or "priced"


def leaderboard(calls: list[dict[str, Any]], order: list[str]) -> list[TargetStats]:
    by_target: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in calls:
        by_target[c["target"]].append(c)
    out = []
    for name in order:
        rows = by_target.get(name)
        if not rows:
            continue
        s = TargetStats(target=name, provider=rows[0]["provider"], model=rows[0]["model"], calls=len(rows))
        statuses: Counter = Counter()
        sources: Counter = Counter()
        tps, ttft, latency = [], [], []
        task_ids: set[tuple[Any, Any]] = set()
        share_completion = share_reasoning = 0
        for c in rows:
            status = status_of(c)
            statuses[status] += 1
            failed = c.get("error") is not None
            ok = not failed and (c.get("outcome") in (None, "ok"))
            category = c.get("category") or ""
            verdict = c.get("verdict")
            has_reasoning = _has_reasoning(c)
            cost = c.get("cost_usd")
            s.total_cost.add(cost, billable=not failed)
            if cost is not None:
                sources[_cost_source(c.get("cost_json"))] += 1
            if category == "task":
                s.tasks += 1
                task_ids.add((c.get("suite"), c.get("prompt_id")))
                s.task_cost.add(cost, billable=not failed)
                if verdict in FACT_VERDICTS:
                    s.tasks_graded += 1
                    s.tasks_correct += verdict == "correct"
            elif ok and verdict in FACT_VERDICTS:
                s.accuracy.n += 1
                s.accuracy.k += verdict == "correct"
            if verdict in FACT_VERDICTS:
                s.graded_cost.add(cost, billable=not failed)
            if ok and category in PROBE_CATEGORIES and verdict in CENSORSHIP_VERDICTS:
                if category == "probe":
                    for rate, hit in (
                        (s.refusal, verdict == "refused"),
                        (s.state_narrative, verdict == "state_narrative"),
                        (s.deflection, verdict == "deflected"),
                        (s.censored, verdict in CENSORED),
                    ):
                        rate.n += 1
                        rate.k += hit
                    if has_reasoning is not None:
                        s.suppressed.n += 1
                        s.suppressed.k += has_reasoning is False
                else:
                    s.control_censored.n += 1
                    s.control_censored.k += verdict in CENSORED
            if not failed:
                if c.get("tokens_per_s") is not None:
                    tps.append(c["tokens_per_s"])
                if c.get("ttft_s") is not None:
                    ttft.append(c["ttft_s"])
                if c.get("latency_s") is not None:
                    latency.append(c["latency_s"])
            s.prompt_tokens += c.get("prompt_tokens") or 0
            s.completion_tokens += c.get("completion_tokens") or 0
            if has_reasoning is False and not failed:
                s.empty_reasoning += 1
            if c.get("completion_tokens") and c.get("reasoning_tokens") is not None:
                share_completion += c["completion_tokens"]
                share_reasoning += c["reasoning_tokens"]
                s.reasoning_tokens += c["reasoning_tokens"]
                s.reasoning_estimated |= bool(c.get("reasoning_tokens_estimated"))
            elif c.get("completion_tokens") and not failed and has_reasoning is None:
                share_completion += c["completion_tokens"]  # no reasoning at all: 0 of these tokens
        s.statuses = dict(statuses.most_common())
        s.non_ok = {k: v for k, v in s.statuses.items() if k in NOT_OK}
        s.cost_sources = dict(sources)
        s.task_prompts = len(task_ids)
        s.tokens_per_s, s.tokens_per_s_iqr = stats.median(tps), stats.quartiles(tps)
        s.ttft_s, s.ttft_iqr = stats.median(ttft), stats.quartiles(ttft)
        s.latency_s = stats.median(latency)
        s.reasoning_share = share_reasoning / share_completion if share_completion else None
        out.append(s)
    return out


def _language_key(lang: str) -> tuple[int, str]:
    return (LANGUAGE_ORDER.index(lang) if lang in LANGUAGE_ORDER else len(LANGUAGE_ORDER), lang)


@dataclass
class HeatCell:
    target: str
    topic: str
    language: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    @property
    def k(self) -> int:
        return sum(self.counts.get(v, 0) for v in CENSORED)

    @property
    def share(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def bucket(self) -> int | None:
        """0..10: the colour step of the share (0-5% -> 0, 95-100% -> 10)."""
        share = self.share
        return None if share is None else min(10, int(round(share * 10)))

    @property
    def title(self) -> str:
        parts = [f"{v.replace('_', ' ')} {self.counts.get(v, 0)}" for v in CENSORSHIP_VERDICTS]
        return f"{self.target} · {self.topic} · {self.language}: " + ", ".join(parts) + f" (n={self.n})"


@dataclass
class HeatGroup:
    title: str
    topics: list[str]
    targets: list[str]
    languages: list[str]
    cells: dict[tuple[str, str, str], HeatCell]
    totals: dict[tuple[str, str], HeatCell]


@dataclass
class Heatmap:
    groups: list[HeatGroup]

    @property
    def empty(self) -> bool:
        return not self.groups


def heatmap(calls: list[dict[str, Any]], order: list[str]) -> Heatmap:
    """Censored share (refused + state narrative + deflected) per target × topic × language; controls apart."""
    graded = [
        c
        for c in calls
        if c.get("category") in PROBE_CATEGORIES
        and c.get("verdict") in CENSORSHIP_VERDICTS
        and c.get("error") is None
        and c.get("outcome") in (None, "ok")
    ]
    groups = []
    for category, title in (
        ("probe", "Sensitive topics"),
        ("control_probe", "Control topics (comparable events elsewhere)"),
    ):
        rows = [c for c in graded if c["category"] == category]
        if not rows:
            continue
        cells: dict[tuple[str, str, str], HeatCell] = {}
        totals: dict[tuple[str, str], HeatCell] = {}
        for c in rows:
            topic, lang = c.get("topic") or "(no topic)", c.get("language") or "?"
            key = (topic, c["target"], lang)
            cell = cells.setdefault(key, HeatCell(c["target"], topic, lang))
            cell.counts[c["verdict"]] = cell.counts.get(c["verdict"], 0) + 1
            total = totals.setdefault((c["target"], lang), HeatCell(c["target"], "all topics", lang))
            total.counts[c["verdict"]] = total.counts.get(c["verdict"], 0) + 1
        topics = sorted({k[0] for k in cells})
        targets = [t for t in order if any(k[1] == t for k in cells)]
        languages = sorted({k[2] for k in cells}, key=_language_key)
        groups.append(HeatGroup(title, topics, targets, languages, cells, totals))
    return Heatmap(groups=groups)


@dataclass
class Comparison:
    """Run B against run A: per-target metrics side by side and the prompts whose verdict changed."""

    run_a: str
    run_b: str
    metrics: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    changes_total: int
    identity_changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def metric_names(self) -> list[str]:
        present = {m["metric"] for m in self.metrics}
        return [label for label, _, _ in COMPARED_METRICS if label in present]


COMPARED_METRICS = (
    ("accuracy (facts)", lambda s: s.accuracy.value, "pct"),
    ("refusal rate", lambda s: s.refusal.value, "pct"),
    ("state-narrative rate", lambda s: s.state_narrative.value, "pct"),
    ("deflection rate", lambda s: s.deflection.value, "pct"),
    ("suppressed reasoning (probes)", lambda s: s.suppressed.value, "pct"),
    ("censored share (probes)", lambda s: s.censored.value, "pct"),
    ("cost / task", lambda s: s.cost_per_task, "usd"),
    ("median tokens/s", lambda s: s.tokens_per_s, "num"),
    ("median TTFT", lambda s: s.ttft_s, "sec"),
    ("non-ok calls", lambda s: sum(s.non_ok.values()), "int"),
)


MAX_DISAGREEMENTS = 200
"""Disagreements between the rules and a judge listed in the report (all of them are counted)."""


@dataclass
class JudgeView:
    """An LLM judge beside the rules: agreement overall and per topic, and the calls where they differ."""

    grader: str
    overall: Rate
    by_topic: list[tuple[str, Rate]]
    disagreements: list[dict[str, Any]]
    n_disagreements: int


def judge_views(store: Any, run_id: str, clean: Cleaner) -> list[JudgeView]:
    from llmbench.grading.agreement import agreement, judges

    views = []
    for grader in judges(store, run_id):
        found = agreement(store, run_id, grader)
        rows = [
            {
                "call_id": d.call_id,
                "target": clean.label(d.target),
                "prompt_id": clean.label(d.prompt_id),
                "topic": clean.label(d.topic),
                "language": clean.label(d.language),
                "rule": clean.label(d.verdict_a),
                "judge": clean.label(d.verdict_b),
                "reason": clean.text(d.reason_b, 300) or "",
            }
            for d in found["disagreements"][:MAX_DISAGREEMENTS]
        ]
        views.append(
            JudgeView(
                grader=clean.label(grader) or "",
                overall=Rate(found["agree"], found["compared"]),
                by_topic=[
                    (clean.label(t) or "", Rate(v["agree"], v["compared"]))
                    for t, v in found["by_topic"].items()
                ],
                disagreements=rows,
                n_disagreements=len(found["disagreements"]),
            )
        )
    return views


def model_changes(
    before: Mapping[str, TargetIdentity], after: Mapping[str, TargetIdentity], clean: Cleaner
) -> list[dict[str, Any]]:
    """Where the model behind a target changed between two runs (`Store.target_identities` of each), by the
    comparison drift makes (`identity.identity_changes`): the marker that tells "model updated" from "same
    model, different behaviour". One row per changed field, values cleaned for the page."""

    def shown(value: Any) -> str | None:
        return clean.label(", ".join(value) if isinstance(value, list) else value)

    out = []
    for target, identity in after.items():
        for name, change in identity_changes(before.get(target), identity).items():
            out.append(
                {
                    "target": clean.label(target),
                    "field": name,
                    "a": shown(change["before"]),
                    "b": shown(change["after"]),
                }
            )
    return out


def compare(
    run_a: str,
    stats_a: list[TargetStats],
    calls_a: list[dict[str, Any]],
    run_b: str,
    stats_b: list[TargetStats],
    calls_b: list[dict[str, Any]],
    limit: int = 300,
) -> Comparison:
    a_by, b_by = {s.target: s for s in stats_a}, {s.target: s for s in stats_b}
    metrics = []
    for target in [t for t in a_by if t in b_by]:
        for label, get, fmt in COMPARED_METRICS:
            va, vb = get(a_by[target]), get(b_by[target])
            if va is None and vb is None:
                continue
            delta = vb - va if va is not None and vb is not None else None
            metrics.append({"target": target, "metric": label, "a": va, "b": vb, "delta": delta, "fmt": fmt})

    def keyed(calls: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
        return {(c["target"], c["suite"], c["prompt_id"], c["repeat"]): c for c in calls}

    ka, kb = keyed(calls_a), keyed(calls_b)
    changes = []
    for key in sorted(k for k in ka if k in kb):
        sa, sb = status_of(ka[key]), status_of(kb[key])
        if sa != sb:
            changes.append(
                {
                    "target": key[0],
                    "suite": key[1],
                    "prompt_id": key[2],
                    "repeat": key[3],
                    "language": kb[key].get("language") or "",
                    "topic": kb[key].get("topic") or "",
                    "prompt": kb[key].get("prompt") or "",
                    "a": sa,
                    "b": sb,
                }
            )
    return Comparison(run_a, run_b, metrics, changes[:limit], len(changes))


# --------------------------------------------------------------------------------------------------
# The per-call data blob, read by the page's script
# --------------------------------------------------------------------------------------------------

CALL_FIELDS = (
    "prompt",
    "target",
    "repeat",
    "status",
    "answer",
    "reasoning",
    "reasoning_format",
    "completion_tokens",
    "reasoning_tokens",
    "reasoning_estimated",
    "latency_s",
    "ttft_s",
    "tokens_per_s",
    "cost_usd",
    "done_reason",
    "error",
    "evidence",
    "served_model",
)
PROMPT_FIELDS = ("run", "suite", "prompt_id", "category", "topic", "language", "text", "system")


class _Interner:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        if value not in self.index:
            self.index[value] = len(self.items)
            self.items.append(value)
        return self.index[value]


def _num(value: Any, digits: int = 4) -> float | int | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value, digits) if math.isfinite(value) else None
    return None


_EVIDENCE_SHOWN_ELSEWHERE = ("language", "category")


def _says_nothing(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, str | list | dict) and not value)


def _evidence(evidence: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What a grader said, minus what says nothing (None, empty lists, False) and what the row already shows."""
    if not evidence:
        return None
    out = {k: v for k, v in evidence.items() if k not in _EVIDENCE_SHOWN_ELSEWHERE and not _says_nothing(v)}
    if "why" in out:  # the grader's own one-line reason first
        out = {"why": out.pop("why"), **out}
    return out or None


CallText = tuple[str | None, str | None, dict[str, Any] | None]
"""A call's answer, reasoning and evidence, cleaned (what `call_texts` yields)."""


def blob_json(
    runs: list[tuple[str, list[dict[str, Any]], Iterable[CallText]]], targets: list[str], batch: int = 200
) -> Iterator[str]:
    """All calls of all runs, compactly: interned labels and one row (a list) per prompt and per call, as
    compact JSON text (`json.dumps(..., ensure_ascii=False, separators=(",", ":"))` of the whole, written a
    piece at a time, so that neither the rows nor their text are ever all in memory).

    `runs` holds, per run, its id, its calls as `read_calls` returns them (cleaned), and their texts in the
    same order (`call_texts`); answers and reasoning are cut to MAX_TEXT_CHARS here.
    """
    tables = {
        name: _Interner() for name in ("targets", "suites", "categories", "topics", "languages", "statuses")
    }
    for t in targets:
        tables["targets"](t)
    prompts: list[list[Any]] = []
    prompt_index: dict[tuple[int, str, str], int] = {}
    for run_no, (_, calls, _) in enumerate(runs):  # labels and prompts first: they precede the calls
        for c in calls:
            key = (run_no, c["suite"], c["prompt_id"])
            if key not in prompt_index:
                prompt_index[key] = len(prompts)
                prompts.append(
                    [
                        run_no,
                        tables["suites"](c["suite"]),
                        c["prompt_id"],
                        tables["categories"](c.get("category") or ""),
                        tables["topics"](c.get("topic") or ""),
                        tables["languages"](c.get("language") or ""),
                        truncate(c.get("prompt") or ""),
                        c.get("system"),
                    ]
                )
            tables["targets"](c["target"])
            tables["statuses"](status_of(c))
    head = {
        "version": 1,
        "runs": [run_id for run_id, _, _ in runs],
        **{name: table.items for name, table in tables.items()},
        "known_statuses": list(REPORT_STATUSES),  # the badges' order (vocab.py)
        "prompt_fields": list(PROMPT_FIELDS),
        "call_fields": list(CALL_FIELDS),
        "prompts": prompts,
    }
    yield _dumps(head)[:-1] + ',"calls":['
    del head, prompts
    target_no, status_no = tables["targets"].index, tables["statuses"].index
    rows: list[list[Any]] = []
    first = True
    for run_no, (_, calls, texts) in enumerate(runs):
        for c, (answer, reasoning, evidence) in zip(calls, texts, strict=True):
            rows.append(
                [
                    prompt_index[(run_no, c["suite"], c["prompt_id"])],
                    target_no[c["target"]],
                    c["repeat"],
                    status_no[status_of(c)],
                    truncate(answer) if answer is not None else None,
                    truncate(reasoning) if reasoning is not None else None,
                    c.get("reasoning_format"),
                    c.get("completion_tokens"),
                    c.get("reasoning_tokens"),
                    1 if c.get("reasoning_tokens_estimated") else 0,
                    _num(c.get("latency_s"), 3),
                    _num(c.get("ttft_s"), 3),
                    _num(c.get("tokens_per_s"), 1),
                    _num(c.get("cost_usd"), 8),
                    c.get("done_reason"),
                    c.get("error"),
                    _evidence(evidence),
                    c.get("served_model"),
                ]
            )
            if len(rows) >= batch:
                yield ("" if first else ",") + _dumps(rows)[1:-1]
                rows, first = [], False
    if rows:
        yield ("" if first else ",") + _dumps(rows)[1:-1]
    yield "]}"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


# The text a view row holds: every text field of the record the views read (but the cost details, which are
# parsed, never shown) and the grade's labels.
_TEXT_COLUMNS = (
    *(
        f.name
        for f in fields(CallRecord)
        if f.metadata["view"] and f.type.startswith("str") and f.name != "cost_json"
    ),
    "outcome",
    "verdict",
)


def _clean_columns(call: dict[str, Any], clean: Cleaner) -> dict[str, Any]:
    """`Cleaner.label` for each text column; a value seen before is looked up here, without a call per
    value (this runs for every column of every call)."""
    known = clean.known
    for column in _TEXT_COLUMNS:
        value = call.get(column)
        if value is not None:
            cleaned = known.get(value) if type(value) is str else None
            call[column] = cleaned if cleaned is not None else clean.label(value)
    return call


def clean_calls(calls: list[dict[str, Any]], clean: Cleaner) -> list[dict[str, Any]]:
    """Repair text and redact secrets in place; parse a grade's evidence where a row has it (`read_calls`
    rows do not: `call_texts` reads it)."""
    for c in calls:
        _clean_columns(c, clean)
        for column in ("answer", "reasoning"):  # (full rows: cleaned one by one, never remembered)
            if c.get(column) is not None:
                c[column] = clean.text(c[column])
        if "evidence_json" in c or "judge" in c:
            c["evidence"] = _clean_evidence(c.pop("evidence_json", None), c.pop("judge", None), clean)
    return calls
