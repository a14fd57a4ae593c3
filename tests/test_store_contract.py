"""The store's contract: a call is a `CallRecord` whose fields are the table's columns, the schema is built by
named migrations, a store closes however its block ends, and drift and the report answer "did the model
change?" the same way for every pair of runs."""

from __future__ import annotations

import itertools
import re
import sqlite3
from dataclasses import asdict

import pytest

from llmbench.config import Config, target_from_cli
from llmbench.drift import compare_runs
from llmbench.migrations import MIGRATIONS, SCHEMA_VERSION
from llmbench.records import (
    CALL_FIELDS,
    Cell,
    Completion,
    ModelIdentity,
    Prompt,
)
from llmbench.report.render import render_report
from llmbench.store import Store, call_record

R1, GPT = "ollama/r1", "openai/gpt-x"
PROMPT = Prompt(id="p", suite="s", text="What happened in 1989?", category="probe", topic="t")


def _target(name: str):
    return target_from_cli(name, Config())


def _columns(path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [row[1] for row in db.execute("PRAGMA table_info(calls)")]
    finally:
        db.close()


def test_the_calls_table_is_the_call_record_and_an_old_database_migrates_to_it(tmp_path):
    with Store(tmp_path / "new.db"):
        pass
    assert sorted(_columns(tmp_path / "new.db")) == sorted(CALL_FIELDS)

    # A database written by a llmbench of schema 2 (no cost details yet), with one call in it.
    old = tmp_path / "old.db"
    db = sqlite3.connect(old, isolation_level=None)
    for step in MIGRATIONS[:2]:
        step(db)
    db.execute("PRAGMA user_version = 2")
    db.execute(
        "INSERT INTO runs (run_id, created_at, status, plan_json) VALUES ('r', 'then', 'finished', '{}')"
    )
    db.execute(
        "INSERT INTO calls (run_id, cell_key, target, provider, model, suite, prompt_id, repeat, prompt,"
        " params_json, answer, started_at, finished_at) VALUES"
        " ('r', 'k', 'ollama/m', 'ollama', 'm', 's', 'p', 0, 'q', '{}', 'an old answer', 'then', 'then')"
    )
    db.close()
    with Store(old) as store:
        (call,) = store.calls("r")
    assert _columns(old) == _columns(tmp_path / "new.db")
    assert [step.__name__ for step in MIGRATIONS][:3] == [
        "m001_runs_targets_calls_grades",
        "m002_prompt_expectations",
        "m003_call_cost_details",
    ]
    assert len(MIGRATIONS) == SCHEMA_VERSION
    assert (call.answer, call.cost_json, call.attempts) == ("an old answer", None, 1)


def test_a_stored_call_reads_back_as_the_record_that_was_written(tmp_path):
    target = _target(R1)
    cell = Cell(target, PROMPT, 2, target.params)
    completion = Completion(
        answer="In June 1989 troops cleared the square.",
        reasoning="",
        reasoning_format="tags",
        done_reason="stop",
        prompt_tokens=12,
        completion_tokens=40,
        reasoning_tokens=0,
        reasoning_tokens_estimated=True,
        eval_count=40,
        eval_duration_ns=2_000_000_000,
        latency_s=2.5,
        served_model="r1",
        cost_usd=0.001,
        raw={"done": True},
    )
    written = call_record(
        "run", cell, "sha256:1", "2026-11-23T12:00:00Z", 1, completion, None, {"usd": 0.001}
    )
    with Store(tmp_path / "r.db") as store:
        store.create_run("run", {}, 1, [], "test")
        store.record_call("run", cell, "sha256:1", "2026-11-23T12:00:00Z", 1, completion, cost={"usd": 0.001})
        (read,) = store.calls("run")
        (answered,) = store.answered_calls("run")
    assert read.id is not None and read.reasoning_tokens_estimated is True
    assert {**asdict(read), "id": None, "finished_at": None} == {**asdict(written), "finished_at": None}
    assert (answered.reasoning_len, answered.tokens_per_s) == (0, 20.0)


def test_a_store_is_closed_when_its_block_raises(tmp_path):
    with pytest.raises(ZeroDivisionError), Store(tmp_path / "r.db") as store:
        store.create_run("run", {}, 0, [], "test")
        1 / 0  # noqa: B018
    with pytest.raises(sqlite3.ProgrammingError):
        store.db.execute("SELECT 1")
    with Store(tmp_path / "r.db") as again:  # and what was written before the error is there
        assert [r.run_id for r in again.runs()] == ["run"]


# -- "did the model change?": the same answer from drift and from the report ----------------------------------

DESCRIBED = {"digest": "sha256:1", "quantization": "Q4_K_M", "parameter_size": "7.6B", "family": "qwen2"}
BASE = {
    R1: {"identity": {**DESCRIBED, "server_version": "0.5.7"}},
    GPT: {"served": ["gpt-x-0718"], "fp": ["fp_1"]},
}
RUNS = {
    "base": BASE,
    "same": BASE,
    "no-version": {**BASE, R1: {"identity": DESCRIBED}},  # a dropped /api/version
    "new-digest": {**BASE, R1: {"identity": {**DESCRIBED, "digest": "sha256:2", "server_version": "0.5.7"}}},
    "requantized": {**BASE, R1: {"identity": {**DESCRIBED, "quantization": "Q8_0"}}},
    "resized": {**BASE, R1: {"identity": {**DESCRIBED, "parameter_size": "14B", "family": None}}},
    "undescribed": {**BASE, R1: {"identity": None}},
    "new-snapshot": {**BASE, GPT: {"served": ["gpt-x-1120"], "fp": ["fp_1"]}},
    "new-backend": {**BASE, GPT: {"served": ["gpt-x-0718"], "fp": ["fp_2"]}},
    "no-fingerprint": {**BASE, GPT: {"served": ["gpt-x-0718"], "fp": [None]}},
    "two-backends": {**BASE, GPT: {"served": ["gpt-x-0718", "gpt-x-0718"], "fp": ["fp_1", "fp_2"]}},
    "gpt-failed": {**BASE, GPT: {"served": [None], "fp": [None], "failed": True}},
}


def _build(store: Store) -> None:
    for run_id, targets in RUNS.items():
        store.create_run(run_id, {"targets": [{"name": R1}, {"name": GPT}]}, 0, [], "test")
        for name, how in targets.items():
            target = _target(name)
            identity = how.get("identity")
            described = ModelIdentity(name, target.provider, target.model, **identity) if identity else None
            store.record_target(run_id, name, target.provider, target.model, target.public_dict(), described)
            for repeat, (served, fp) in enumerate(
                zip(how.get("served", [None]), how.get("fp", [None]), strict=True)
            ):
                cell = Cell(target, PROMPT, repeat, target.params)
                if how.get("failed"):
                    store.record_call(
                        run_id, cell, None, "2026-11-23T12:00:00Z", 4, error=("timeout", "slow")
                    )
                    continue
                completion = Completion(answer="an answer", served_model=served, system_fingerprint=fp)
                digest = (identity or {}).get("digest")
                store.record_call(run_id, cell, digest, "2026-11-23T12:00:00Z", 1, completion=completion)


def _report_says_updated(html: str) -> set[str]:
    """Targets the report's comparison marks with "Model identity changed"."""
    match = re.search(r'<p class="identity-change">(.*?)</p>', html, re.S)
    return set(re.findall(r"(\S+) \w+ <code>", match.group(1))) if match else set()


def test_drift_and_the_report_agree_on_model_updated_for_every_pair_of_runs(tmp_path):
    with Store(tmp_path / "r.db") as store:
        _build(store)
        verdicts = {}
        for a, b in itertools.permutations(RUNS, 2):
            drift = compare_runs(store, a, b)
            by_drift = {t for t, ident in drift.identity.items() if ident["attribution"] == "model updated"}
            assert {t for t, ident in drift.identity.items() if ident["changed"]} == by_drift
            by_report = _report_says_updated(render_report(store, [a, b]))
            assert by_report == by_drift, (a, b, drift.identity)
            verdicts[(a, b)] = by_drift
    # The pairs hold both answers, and the rule for unknown values decides them.
    assert verdicts[("base", "same")] == set()
    assert verdicts[("base", "no-version")] == verdicts[("no-version", "base")] == set()
    assert verdicts[("base", "undescribed")] == set()
    assert verdicts[("base", "no-fingerprint")] == set()
    assert verdicts[("base", "gpt-failed")] == set()
    assert verdicts[("base", "new-digest")] == verdicts[("no-version", "new-digest")] == {R1}
    assert verdicts[("base", "requantized")] == verdicts[("base", "resized")] == {R1}
    assert verdicts[("base", "new-snapshot")] == verdicts[("base", "new-backend")] == {GPT}
    assert verdicts[("base", "two-backends")] == {GPT}
    assert verdicts[("new-digest", "new-snapshot")] == {R1, GPT}
