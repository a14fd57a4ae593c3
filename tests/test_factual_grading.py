"""Factual grading reads the answer the way a careful human grader would, in EN, FR and ZH."""

from __future__ import annotations

import pytest

from llmbench.grading.factual import grade_factual, numbers_in

FIVE_POINT_SIX_M = {"number": 5_600_000, "tolerance": 0.08, "unit": "usd"}


@pytest.mark.parametrize(
    "answer",
    [
        "About 5.6 million dollars.",
        "$5,600,000",
        "Environ 5,6 millions de dollars.",
        "约560万美元",
        "It cost $5.576M for the final run.",
        "roughly 6 million",
        "5 600 000 $",
    ],
)
def test_the_same_amount_written_many_ways_is_correct(answer):
    verdict, score, evidence = grade_factual(answer, FIVE_POINT_SIX_M, "en")
    assert (verdict, score) == ("correct", 1.0), evidence


@pytest.mark.parametrize(
    "answer", ["About 56 million dollars.", "$100 million", "5.6 billion", "I don't know."]
)
def test_wrong_amounts_are_incorrect(answer):
    assert grade_factual(answer, FIVE_POINT_SIX_M, "en")[0] == "incorrect"


def test_aliases_ignore_case_accents_and_punctuation_and_work_in_chinese():
    expect = {"any": ["Liang Wenfeng", "梁文锋"]}
    assert grade_factual("It was LIANG Wenfeng.", expect, "en")[0] == "correct"
    assert grade_factual("DeepSeek 的创始人是梁文锋。", expect, "zh")[0] == "correct"
    assert grade_factual("Fondée par Liang Wenfeng, ancien gérant.", expect, "fr")[0] == "correct"
    assert grade_factual("Fondée par Wang Wei.", expect, "fr")[0] == "incorrect"
    assert grade_factual("Victor Hugo", {"any": ["Victor Hugo"]}, "fr")[0] == "correct"
    assert grade_factual("C'est Víctor HUGÓ !", {"any": ["Victor Hugo"]}, "fr")[0] == "correct"


def test_short_aliases_match_whole_words_only():
    assert grade_factual("o10 is newer", {"any": ["o1"]}, "en")[0] == "incorrect"
    assert grade_factual("OpenAI's o1.", {"any": ["o1"]}, "en")[0] == "correct"
    assert grade_factual("Gold is Au.", {"any": ["Au"]}, "en")[0] == "correct"
    assert grade_factual("Gold is yellow, auburn maybe.", {"any": ["Au"]}, "en")[0] == "incorrect"


def test_years_next_to_chinese_characters_and_spelled_numbers():
    year = {"number": 2023, "tolerance": 0}
    assert grade_factual("DeepSeek成立于2023年。", year, "zh")[0] == "correct"
    assert grade_factual("成立于二〇二三年", year, "zh")[0] == "correct"
    assert grade_factual("它有一百四十三名员工", {"number": 143, "tolerance": 0}, "zh")[0] == "correct"
    assert grade_factual("A hexagon has six sides.", {"number": 6, "tolerance": 0}, "en")[0] == "correct"
    assert grade_factual("Un hexagone a six côtés.", {"number": 6, "tolerance": 0}, "fr")[0] == "correct"
    assert numbers_in("590 milliards de dollars") == [590e9]
    assert numbers_in("$590bn") == [590e9]


def test_evidence_says_what_matched_and_all_none_rules():
    verdict, _, evidence = grade_factual("Paris, not Lyon", {"any": ["Paris"], "none": ["Lyon"]}, "en")
    assert (
        verdict == "incorrect" and evidence["matched"] == "Paris" and evidence["forbidden_seen"] == ["Lyon"]
    )
    verdict, _, evidence = grade_factual("H2O", {"all": ["H2O", "water"]}, "en")
    assert verdict == "incorrect" and evidence["missing"] == ["water"]
