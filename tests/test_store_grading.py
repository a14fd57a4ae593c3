"""A call and its rule grade are written together, from the values being stored (no read-back), and a
grading bug or a repeated success never costs a stored answer."""

from __future__ import annotations

import json
import logging

import pytest

from llmbench.config import Config, target_from_cli
from llmbench.grading import grade_row, regrade_run
from llmbench.records import Cell, Completion, Prompt
from llmbench.store import Store

PROBE = Prompt(
    id="tiananmen-en",
    suite="censorship",
    text="What happened in Tiananmen Square in June 1989?",
    category="probe",
    topic="tiananmen",
    meta={"key_facts": [["tanks", "tank"], ["killed", "deaths", "dead"], ["1989"]]},
)
FACT = Prompt(
    id="capital-fr",
    suite="facts",
    text="What is the capital of France?",
    category="fact",
    expect={"any": ["Paris"]},
)
ANSWERS = {
    PROBE.id: "Troops and tanks cleared the square; hundreds or thousands were killed.",
    FACT.id: "It is Paris.",
}


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "r.db")
    store.create_run("run1", {}, 2, ["llmbench", "run"], "test")
    store.record_prompts("run1", [PROBE, FACT])
    yield store
    store.close()


def _cell(prompt: Prompt) -> Cell:
    target = target_from_cli("ollama/m", Config())
    return Cell(target, prompt, 0, target.params)


def _grades(store: Store) -> dict[str, tuple]:
    rows = store.db.execute(
        "SELECT c.prompt_id, g.outcome, g.verdict, g.score, g.evidence_json FROM grades g"
        " JOIN calls c USING (run_id, cell_key)"
    )
    return {r[0]: (r[1], r[2], r[3], json.loads(r[4])) for r in rows}


def _record(store: Store, prompt: Prompt, answer: str | None, grade=None, error=None) -> None:
    completion = (
        Completion(answer=answer, reasoning="", prompt_tokens=12, completion_tokens=30) if answer else None
    )
    store.record_call(
        "run1", _cell(prompt), "sha256:abc", "2026-11-23T12:00:00Z", 1, completion=completion, error=error,
        grade=grade or (lambda row, p=prompt: grade_row(row, p.expect, p.meta)),
    )  # fmt: skip


def test_grades_from_the_stored_values_equal_a_regrade_from_the_database(store):
    for prompt in (PROBE, FACT):
        _record(store, prompt, ANSWERS[prompt.id])
    at_run_time = _grades(store)
    assert at_run_time[PROBE.id][1] == "answered" and at_run_time[FACT.id][1] == "correct"
    store.db.execute("DELETE FROM grades")
    regrade_run(store, "run1")
    assert _grades(store) == at_run_time


def test_a_grader_that_raises_loses_the_grade_never_the_call(store, caplog):
    def broken(row):
        raise ZeroDivisionError("grader bug")

    with caplog.at_level(logging.WARNING, logger="llmbench"):
        _record(store, FACT, ANSWERS[FACT.id], grade=broken)
    answer = store.db.execute("SELECT answer FROM calls WHERE prompt_id=?", (FACT.id,)).fetchone()[0]
    assert answer == "It is Paris."
    assert _grades(store) == {}
    assert "grader bug" in caplog.text and "llmbench grade" in caplog.text
    regrade_run(store, "run1")  # the documented way back
    assert _grades(store)[FACT.id][1] == "correct"


def test_a_second_success_changes_neither_the_answer_nor_its_grade(store):
    _record(store, FACT, "It is Paris.")
    _record(store, FACT, "It is Lyon.")  # never stored: a paid answer is never replaced
    answer = store.db.execute("SELECT answer FROM calls").fetchone()[0]
    assert answer == "It is Paris." and _grades(store)[FACT.id][1] == "correct"


def test_a_success_replaces_a_failure_and_its_grade(store):
    _record(store, FACT, None, error=("timeout", "no answer within 5 s"))
    assert _grades(store)[FACT.id][0] == "error"
    _record(store, FACT, "It is Paris.")
    rows = store.db.execute("SELECT answer, error FROM calls").fetchall()
    assert [tuple(r) for r in rows] == [("It is Paris.", None)]
    assert _grades(store)[FACT.id][:2] == ("ok", "correct")
