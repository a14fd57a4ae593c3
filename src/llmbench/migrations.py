"""The results database's schema, as its history: one named function per step, oldest first.

The database's `PRAGMA user_version` is how many steps have run; `Store` runs the missing ones when it opens
a file, each in its own transaction. A new column or table is a new function at the end, never an edit of an
old one: a database written by any earlier llmbench must migrate to the same schema as a new one (a test
checks that the `calls` table then has exactly `records.CallRecord`'s fields).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(step: Migration) -> Migration:
    """Register the next step (the order of definition is the order of the history)."""
    MIGRATIONS.append(step)
    return step


def _execute_all(db: sqlite3.Connection, script: str) -> None:
    # (not executescript: it commits, and each migration runs inside its own transaction)
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


@migration
def m001_runs_targets_calls_grades(db: sqlite3.Connection) -> None:
    """The first schema: runs, the targets each run identified, one row per finished call, grades."""
    _execute_all(
        db,
        """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        llmbench_version TEXT,
        argv TEXT,
        plan_json TEXT NOT NULL,
        planned INTEGER NOT NULL DEFAULT 0,
        hostname TEXT
    );
    CREATE TABLE run_targets (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        target TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        spec_json TEXT NOT NULL,
        identity_json TEXT,
        described_at TEXT,
        PRIMARY KEY (run_id, target)
    );
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        cell_key TEXT NOT NULL,
        target TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        model_digest TEXT,
        suite TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        category TEXT,
        topic TEXT,
        language TEXT,
        repeat INTEGER NOT NULL,
        prompt TEXT NOT NULL,
        system TEXT,
        params_json TEXT NOT NULL,
        answer TEXT,
        reasoning TEXT,
        reasoning_format TEXT,
        done_reason TEXT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        reasoning_tokens INTEGER,
        reasoning_tokens_estimated INTEGER,
        cached_tokens INTEGER,
        eval_count INTEGER,
        total_duration_ns INTEGER,
        load_duration_ns INTEGER,
        prompt_eval_duration_ns INTEGER,
        eval_duration_ns INTEGER,
        latency_s REAL,
        ttft_s REAL,
        tokens_per_s REAL,
        served_model TEXT,
        system_fingerprint TEXT,
        host TEXT,
        cost_usd REAL,
        error TEXT,
        error_kind TEXT,
        attempts INTEGER NOT NULL DEFAULT 1,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        raw_json TEXT,
        UNIQUE (run_id, cell_key)
    );
    CREATE INDEX calls_prompt ON calls(target, suite, prompt_id);
    CREATE TABLE grades (
        run_id TEXT NOT NULL,
        cell_key TEXT NOT NULL,
        grader TEXT NOT NULL,
        outcome TEXT NOT NULL,
        verdict TEXT,
        score REAL,
        evidence_json TEXT,
        graded_at TEXT NOT NULL,
        PRIMARY KEY (run_id, cell_key, grader)
    );
        """,
    )


@migration
def m002_prompt_expectations(db: sqlite3.Connection) -> None:
    """What each prompt expected, stored with the run, so re-grading never depends on edited suite files."""
    _execute_all(
        db,
        """
    CREATE TABLE prompts (
        run_id TEXT NOT NULL,
        suite TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        expect_json TEXT NOT NULL,
        meta_json TEXT NOT NULL,
        PRIMARY KEY (run_id, suite, prompt_id)
    );
        """,
    )


@migration
def m003_call_cost_details(db: sqlite3.Connection) -> None:
    """How each call's cost was computed (price source, rates period, local energy model...)."""
    db.execute("ALTER TABLE calls ADD COLUMN cost_json TEXT")


@migration
def m004_model_loads(db: sqlite3.Connection) -> None:
    """Model loads, apart from the calls: a warm-up before a target's first measured call, so the load is
    never in a call's latency, time to first token, tokens/s or energy cost."""
    _execute_all(
        db,
        """
    CREATE TABLE loads (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        target TEXT NOT NULL,
        host TEXT,
        started_at TEXT NOT NULL,
        load_s REAL NOT NULL,
        load_duration_ns INTEGER
    );
    CREATE INDEX loads_run ON loads(run_id, target);
        """,
    )


SCHEMA_VERSION = len(MIGRATIONS)
