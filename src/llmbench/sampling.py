"""Smaller runs that still fill the report: samples of a suite that keep each question in all its languages.

A suite asks most questions in several languages (`tiananmen-1989-en`, `-zh`, `-fr`): one *item*. The
censorship heatmap compares targets per topic and language, so a sample takes whole items: eight topics
asked in one language each would leave most cells empty, one topic in EN, ZH and FR fills its row.
"""

from __future__ import annotations

from dataclasses import replace

from llmbench.records import Prompt
from llmbench.suites import Suite

QUICK = "quick"  # how a run records the quick sample (plan "sample"), so --resume picks the same prompts


def prompt_items(prompts: list[Prompt]) -> list[list[Prompt]]:
    """Prompts grouped into items, in suite order: same topic and same id once the language suffix
    (`-en`, `.fr`, `_zh`) is dropped."""
    items: dict[tuple[str, str, str], list[Prompt]] = {}
    for prompt in prompts:
        stem = prompt.id
        for sep in "-._":
            if stem.endswith(sep + prompt.language):
                stem = stem[: -len(sep + prompt.language)]
                break
        items.setdefault((prompt.category, prompt.topic, stem), []).append(prompt)
    return list(items.values())


def _round_robin(groups: list[list[list[Prompt]]]) -> list[list[Prompt]]:
    out: list[list[Prompt]] = []
    for depth in range(max((len(g) for g in groups), default=0)):
        out += [g[depth] for g in groups if depth < len(g)]
    return out


def _by_key(items: list[list[Prompt]], key) -> list[list[list[Prompt]]]:
    groups: dict[str, list[list[Prompt]]] = {}
    for item in items:
        groups.setdefault(key(item[0]), []).append(item)
    return list(groups.values())


def sample_prompts(suite: Suite, limit: int | None) -> Suite:
    """At most `limit` prompts, deterministic, as whole items spread round-robin over categories (probes
    and their controls, facts and control questions) and, within each, over topics; not just the first N."""
    if not limit or limit >= len(suite.prompts):
        return suite
    per_category = [
        _round_robin(_by_key(items, lambda p: p.topic))
        for items in _by_key(prompt_items(suite.prompts), lambda p: p.category)
    ]
    chosen: list[Prompt] = []
    for item in _round_robin(per_category):
        if len(chosen) + len(item) <= limit:
            chosen += item
    if not chosen:  # every item is larger than the limit: part of the first one
        chosen = prompt_items(suite.prompts)[0][:limit]
    return replace(suite, prompts=_in_suite_order(suite, chosen))


def quick_sample(suite: Suite) -> Suite:
    """The first item of each category, in every language it is asked in: for the bundled suites, one
    censorship topic and one control topic in EN, ZH and FR, one fact and one control question in the
    three languages, and one cost task."""
    firsts = [items[0] for items in _by_key(prompt_items(suite.prompts), lambda p: p.category)]
    return replace(suite, prompts=_in_suite_order(suite, [p for item in firsts for p in item]))


def _in_suite_order(suite: Suite, chosen: list[Prompt]) -> list[Prompt]:
    ids = {p.id for p in chosen}
    return [p for p in suite.prompts if p.id in ids]


def sampled(suite: Suite, limit: int | None, sample: str | None) -> Suite:
    """The prompts a run takes from `suite`: the quick sample, `limit` of them, or all."""
    return quick_sample(suite) if sample == QUICK else sample_prompts(suite, limit)
