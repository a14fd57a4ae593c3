"""The results database: one SQLite file, explicit migrations, one committed row per finished call.

Every call is committed the moment it finishes, so an interrupted run loses at most the calls in flight,
and `--resume` can ask which cells of a run are still missing. WAL mode lets a report read while a run
writes.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from llmbench.errors import StoreError, UsageError
from llmbench.records import Cell, Completion, ModelIdentity

log = logging.getLogger("llmbench")

MIGRATIONS: list[str] = [
    # 1: the first schema
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
    # 2: what each prompt expected, stored with the run, so re-grading never depends on edited suite files
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
    # 3: how each call's cost was computed (price source, rates period, local energy model...)
    """
    ALTER TABLE calls ADD COLUMN cost_json TEXT;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class RunInfo:
    run_id: str
    created_at: str
    finished_at: str | None
    status: str
    planned: int
    plan: dict[str, Any]
    ok: int
    errors: int
    targets: list[str]


@functools.lru_cache(maxsize=4)
def _upsert_call(columns: tuple[str, ...]) -> str:
    """The INSERT for a call row with these columns, built once. A success replaces an earlier failure of
    the same cell; nothing replaces a success."""
    updates = ", ".join(f"{k}=excluded.{k}" for k in columns if k not in ("run_id", "cell_key"))
    return (
        f"INSERT INTO calls ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT(run_id, cell_key) DO UPDATE SET {updates} WHERE calls.error IS NOT NULL"
    )


class GradeLike(Protocol):
    grader: str
    outcome: str
    verdict: str | None
    score: float | None
    evidence: dict[str, Any]


class Store:
    """A thin, explicit wrapper over the SQLite file (no ORM: the schema above is the contract)."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.exists():
            if not create:
                raise StoreError(
                    f"no results database at {self.path} (run `llmbench run` first, or pass --results)"
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path} is not a readable llmbench database ({exc}); nothing was changed. "
                "Point --results at another file or restore this one from a backup."
            ) from None

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer llmbench (schema {version} > {SCHEMA_VERSION}); upgrade llmbench"
            )
        if (
            version
            and not self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='calls'"
            ).fetchone()
        ):
            raise StoreError(f"{self.path} is a SQLite file but not an llmbench database")
        if version == 0 and self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(
                f"{self.path} is a SQLite file but not an llmbench database; nothing was changed"
            )
        for index in range(version, SCHEMA_VERSION):
            with self.transaction("IMMEDIATE"):
                for statement in MIGRATIONS[index].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {index + 1}")

    @contextmanager
    def transaction(self, mode: str = "") -> Iterator[None]:
        """All or nothing: the statements inside commit together or not at all. Inside an open
        transaction (a caller batching many writes) it joins that one."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute(f"BEGIN {mode}")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    # -- runs ---------------------------------------------------------------------------------------

    def create_run(
        self, run_id: str, plan: dict[str, Any], planned: int, argv: list[str], version: str
    ) -> None:
        import socket

        self.db.execute(
            "INSERT INTO runs (run_id, created_at, status, llmbench_version, argv, plan_json, planned, hostname)"
            " VALUES (?, ?, 'running', ?, ?, ?, ?, ?)",
            (
                run_id,
                now_iso(),
                version,
                json.dumps(argv),
                json.dumps(plan, ensure_ascii=False),
                planned,
                socket.gethostname(),
            ),
        )

    def set_run_status(self, run_id: str, status: str, planned: int | None = None) -> None:
        finished = now_iso() if status != "running" else None
        if planned is None:
            self.db.execute(
                "UPDATE runs SET status=?, finished_at=? WHERE run_id=?", (status, finished, run_id)
            )
        else:
            self.db.execute(
                "UPDATE runs SET status=?, finished_at=?, planned=? WHERE run_id=?",
                (status, finished, planned, run_id),
            )

    def record_target(
        self,
        run_id: str,
        target: str,
        provider: str,
        model: str,
        spec: dict[str, Any],
        identity: ModelIdentity | None,
    ) -> None:
        self.db.execute(
            "INSERT INTO run_targets (run_id, target, provider, model, spec_json, identity_json, described_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(run_id, target) DO UPDATE SET"
            " identity_json=excluded.identity_json, described_at=excluded.described_at,"
            " spec_json=excluded.spec_json",
            (
                run_id,
                target,
                provider,
                model,
                json.dumps(spec, ensure_ascii=False),
                json.dumps(identity.as_dict(), ensure_ascii=False) if identity else None,
                now_iso(),
            ),
        )

    def resolve_run_id(self, run_id: str) -> str:
        """Accept a full id, a unique prefix, or `latest`."""
        if run_id == "latest":
            row = self.db.execute(
                "SELECT run_id FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 1"
            ).fetchone()
            if row is None:
                raise UsageError(f"no runs in {self.path}")
            return row[0]
        rows = self.db.execute("SELECT run_id FROM runs WHERE run_id LIKE ? || '%'", (run_id,)).fetchall()
        exact = [r[0] for r in rows if r[0] == run_id]
        if exact:
            return exact[0]
        if len(rows) == 1:
            return rows[0][0]
        if not rows:
            raise UsageError(f"no run '{run_id}' in {self.path} (see `llmbench runs`)")
        raise UsageError(f"'{run_id}' matches several runs: {', '.join(r[0] for r in rows[:5])}")

    def run_plan(self, run_id: str) -> dict[str, Any]:
        row = self.db.execute("SELECT plan_json FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            raise UsageError(f"no run '{run_id}' in {self.path}")
        return json.loads(row[0])

    def runs(self) -> list[RunInfo]:
        rows = self.db.execute(
            "SELECT r.*, (SELECT count(*) FROM calls c WHERE c.run_id=r.run_id AND c.error IS NULL) AS ok,"
            " (SELECT count(*) FROM calls c WHERE c.run_id=r.run_id AND c.error IS NOT NULL) AS errors"
            " FROM runs r ORDER BY r.created_at, r.rowid"
        ).fetchall()
        out = []
        for row in rows:
            plan = json.loads(row["plan_json"])
            out.append(
                RunInfo(
                    run_id=row["run_id"],
                    created_at=row["created_at"],
                    finished_at=row["finished_at"],
                    status=row["status"],
                    planned=row["planned"],
                    plan=plan,
                    ok=row["ok"],
                    errors=row["errors"],
                    targets=[t["name"] for t in plan.get("targets", [])],
                )
            )
        return out

    def update_plan(self, run_id: str, **fields: Any) -> None:
        """Add facts learnt during the run (e.g. the price table actually used) to its stored plan."""
        plan = self.run_plan(run_id)
        plan.update(fields)
        self.db.execute(
            "UPDATE runs SET plan_json=? WHERE run_id=?", (json.dumps(plan, ensure_ascii=False), run_id)
        )

    def identities(self, run_id: str) -> dict[str, dict[str, Any]]:
        rows = self.db.execute(
            "SELECT target, identity_json, spec_json FROM run_targets WHERE run_id=?", (run_id,)
        ).fetchall()
        return {
            r["target"]: {
                "identity": json.loads(r["identity_json"]) if r["identity_json"] else None,
                "spec": json.loads(r["spec_json"]),
            }
            for r in rows
        }

    def record_prompts(self, run_id: str, prompts: list[Any]) -> None:
        with self.transaction():
            self.db.executemany(
                "INSERT OR IGNORE INTO prompts VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        p.suite,
                        p.id,
                        json.dumps(p.expect, ensure_ascii=False),
                        json.dumps(p.meta, ensure_ascii=False),
                    )
                    for p in prompts
                ],
            )

    def prompt_expectations(
        self, run_id: str
    ) -> dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]:
        rows = self.db.execute("SELECT * FROM prompts WHERE run_id=?", (run_id,))
        return {
            (r["suite"], r["prompt_id"]): (json.loads(r["expect_json"]), json.loads(r["meta_json"]))
            for r in rows
        }

    # -- calls --------------------------------------------------------------------------------------

    def finished_keys(self, run_id: str) -> set[str]:
        """Cells that succeeded: these are never called again. Failed cells are retried on resume."""
        rows = self.db.execute("SELECT cell_key FROM calls WHERE run_id=? AND error IS NULL", (run_id,))
        return {r[0] for r in rows}

    def record_call(
        self,
        run_id: str,
        cell: Cell,
        digest: str | None,
        started_at: str,
        attempts: int,
        completion: Completion | None = None,
        error: tuple[str, str] | None = None,
        cost: dict[str, Any] | None = None,
        grade: Callable[[Mapping[str, Any]], GradeLike | None] | None = None,
    ) -> None:
        """Insert one finished call and commit at once. A success replaces an earlier failure of the cell;
        nothing ever replaces a success (a paid answer is never thrown away).

        `grade` is given the row as it will be stored; its grade is written in the same transaction, so
        a call is never left ungraded by a crash and the row is not read back. A grader that raises costs
        the grade, never the call.
        """
        values = self._call_values(run_id, cell, digest, started_at, attempts, completion, error, cost)
        graded = None
        if grade is not None:
            try:
                graded = grade(values)
            except Exception as exc:  # a grading bug must not lose a paid answer
                log.warning(
                    "grading %s failed (%s: %s); `llmbench grade` can retry it",
                    cell.key,
                    type(exc).__name__,
                    exc,
                )
        insert = _upsert_call(tuple(values))
        if graded is None:  # one statement, committed on its own
            self.db.execute(insert, tuple(values.values()))
            return
        with self.transaction():
            if self.db.execute(insert, tuple(values.values())).rowcount:
                self.record_grade(
                    run_id,
                    cell.key,
                    graded.grader,
                    graded.outcome,
                    graded.verdict,
                    graded.score,
                    graded.evidence,
                )

    def _call_values(
        self,
        run_id: str,
        cell: Cell,
        digest: str | None,
        started_at: str,
        attempts: int,
        completion: Completion | None,
        error: tuple[str, str] | None,
        cost: dict[str, Any] | None,
    ) -> dict[str, Any]:
        c = completion or Completion(answer="")
        prompt = cell.prompt
        values = {
            "run_id": run_id,
            "cell_key": cell.key,
            "target": cell.target.name,
            "provider": cell.target.provider,
            "model": cell.target.model,
            "model_digest": digest,
            "suite": prompt.suite,
            "prompt_id": prompt.id,
            "category": prompt.category,
            "topic": prompt.topic,
            "language": prompt.language,
            "repeat": cell.repeat,
            "prompt": prompt.text,
            "system": prompt.system,
            "params_json": cell.params.as_json(),
            "answer": c.answer if completion else None,
            "reasoning": c.reasoning,
            "reasoning_format": c.reasoning_format if completion else None,
            "done_reason": c.done_reason,
            "prompt_tokens": c.prompt_tokens,
            "completion_tokens": c.completion_tokens,
            "reasoning_tokens": c.reasoning_tokens,
            "reasoning_tokens_estimated": int(c.reasoning_tokens_estimated) if completion else None,
            "cached_tokens": c.cached_tokens,
            "eval_count": c.eval_count,
            "total_duration_ns": c.total_duration_ns,
            "load_duration_ns": c.load_duration_ns,
            "prompt_eval_duration_ns": c.prompt_eval_duration_ns,
            "eval_duration_ns": c.eval_duration_ns,
            "latency_s": c.latency_s,
            "ttft_s": c.ttft_s,
            "tokens_per_s": c.tokens_per_s if completion else None,
            "served_model": c.served_model,
            "system_fingerprint": c.system_fingerprint,
            "host": c.host,
            "cost_usd": c.cost_usd,
            "cost_json": json.dumps(cost, ensure_ascii=False) if cost else None,
            "error": error[1] if error else None,
            "error_kind": error[0] if error else None,
            "attempts": attempts,
            "started_at": started_at,
            "finished_at": now_iso(),
            "raw_json": json.dumps(c.raw, ensure_ascii=False, default=str) if c.raw else None,
        }
        return values

    def record_grade(
        self,
        run_id: str,
        cell_key: str,
        grader: str,
        outcome: str,
        verdict: str | None,
        score: float | None,
        evidence: dict[str, Any],
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO grades VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                cell_key,
                grader,
                outcome,
                verdict,
                score,
                json.dumps(evidence, ensure_ascii=False),
                now_iso(),
            ),
        )

    def calls(self, run_id: str) -> Iterator[sqlite3.Row]:
        """Calls of a run, joined with their rule grade, in a stable order."""
        return self.db.execute(
            "SELECT c.*, g.outcome AS outcome, g.verdict AS verdict, g.score AS score,"
            " g.evidence_json AS evidence_json"
            " FROM calls c LEFT JOIN grades g ON g.run_id=c.run_id AND g.cell_key=c.cell_key AND g.grader='rules'"
            " WHERE c.run_id=? ORDER BY c.suite, c.prompt_id, c.target, c.repeat",
            (run_id,),
        )
