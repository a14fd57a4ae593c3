"""Reasoning extraction from the three shapes R1 answers arrive in."""

from __future__ import annotations

from llmbench.providers.base import merge_reasoning, split_think


def test_inline_tags():
    assert split_think("<think>\nplan\n</think>\n\nParis")[:3] == ("Paris", "plan", "tags")


def test_bare_closing_tag():
    assert split_think("plan it\n</think>\n\nParis")[:3] == ("Paris", "plan it", "bare_close")


def test_empty_think_block_is_empty_not_missing():
    answer, reasoning, fmt, _ = split_think("<think>\n\n</think>\n\nI cannot answer that.")
    assert (answer, reasoning, fmt) == ("I cannot answer that.", "", "tags")


def test_no_reasoning():
    assert split_think("Just an answer")[:3] == ("Just an answer", None, "none")


def test_budget_spent_inside_the_think_block():
    assert split_think("<think>\nstill thinking about")[:3] == ("", "still thinking about", "tags")


def test_separate_field_wins_and_think_requested_without_reasoning_is_suppressed():
    assert merge_reasoning("Paris", "because", False) == ("Paris", "because", "field")
    assert merge_reasoning("I cannot", None, True) == ("I cannot", "", "field")
    assert merge_reasoning("Paris", None, False) == ("Paris", None, "none")
