"""The results database: one SQLite file, explicit migrations, one committed row per finished call.

Every call is committed the moment it finishes, so an interrupted run loses at most the calls in flight,
and `--resume` can ask which cells of a run are still missing. WAL mode lets a report read while a run
writes.

This module and `migrations.py` (the schema) are the only ones that speak SQL: everything else reads and
writes through `Store` methods, in the record types of `records.py` (a call is a `CallRecord`, whose fields are
the `calls` table's columns).
"""

from __future__ import annotations

import json
import logging
import operator
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from llmbench.errors import StoreError, UsageError
from llmbench.identity import TargetIdentity
from llmbench.migrations import MIGRATIONS, SCHEMA_VERSION
from llmbench.records import (
    CALL_COLUMNS,
    CALL_FIELDS,
    RULE_GRADER,
    VIEW_CALL_FIELDS,
    AnsweredCall,
    CallRecord,
    Cell,
    Completion,
    Grade,
    ModelIdentity,
    VerdictPair,
)

T = TypeVar("T")

log = logging.getLogger("llmbench")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class RunInfo:
    """A run's stored metadata, with how many of its calls succeeded and failed."""

    run_id: str
    created_at: str
    finished_at: str | None
    status: str
    planned: int
    plan: dict[str, Any]
    ok: int
    errors: int
    targets: list[str]
    llmbench_version: str | None = None
    hostname: str | None = None
    argv: list[str] = field(default_factory=list)


@dataclass
class RunTarget:
    """A target as a run stored it: its public spec and what the server said it is (None: never described)."""

    target: str
    provider: str
    model: str
    spec: dict[str, Any]
    identity: dict[str, Any] | None


@dataclass(frozen=True)
class LoadRecord:
    """One stored model load (see migration 4)."""

    target: str
    host: str | None
    started_at: str
    load_s: float
    load_duration_ns: int | None = None


@dataclass(frozen=True)
class LoadSummary:
    """A target's loads in one run: how many, and their total and longest wall time."""

    count: int
    total_s: float
    max_s: float


# -- the SQL of calls, derived from the record types ---------------------------------------------------------

_CALL_VALUES = operator.attrgetter(*CALL_COLUMNS)
_UPSERT_CALL = (
    f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) VALUES ({', '.join('?' for _ in CALL_COLUMNS)}) "
    "ON CONFLICT(run_id, cell_key) DO UPDATE SET "
    + ", ".join(f"{k}=excluded.{k}" for k in CALL_COLUMNS if k not in ("run_id", "cell_key"))
    # A success replaces an earlier failure of the same cell; nothing replaces a success.
    + " WHERE calls.error IS NOT NULL"
)
_RULES = f"LEFT JOIN grades g ON g.run_id=c.run_id AND g.cell_key=c.cell_key AND g.grader='{RULE_GRADER}'"
_ORDER = " ORDER BY c.suite, c.prompt_id, c.target, c.repeat"
_SELECT_CALL = ", ".join(f"c.{name}" for name in CALL_FIELDS)


def _answered_column(name: str) -> str:
    computed = {"reasoning_len": "length(c.reasoning)", "verdict": "g.verdict"}
    if name not in computed and name not in CALL_FIELDS:
        raise TypeError(f"AnsweredCall.{name} is neither a CallRecord field nor computed here")
    return computed.get(name) or f"c.{name}"


_SELECT_ANSWERED = ", ".join(_answered_column(f.name) for f in fields(AnsweredCall))
_SELECT_VIEW = ", ".join(f"c.{name}" for name in VIEW_CALL_FIELDS) + (
    ", CASE WHEN c.reasoning IS NULL THEN NULL ELSE c.reasoning <> '' END AS has_reasoning,"
    " g.outcome AS outcome, g.verdict AS verdict, g.score AS score"
)
_LATEST_JUDGE = (
    "(SELECT j.grader || ': ' || coalesce(j.verdict, j.outcome) FROM grades j WHERE j.run_id=c.run_id"
    " AND j.cell_key=c.cell_key AND j.grader LIKE 'judge:%' ORDER BY j.graded_at DESC LIMIT 1)"
)
_RUN_INFO = (
    "SELECT r.*, (SELECT count(*) FROM calls c WHERE c.run_id=r.run_id AND c.error IS NULL) AS ok,"
    " (SELECT count(*) FROM calls c WHERE c.run_id=r.run_id AND c.error IS NOT NULL) AS errors FROM runs r"
)


def _call(row: tuple[Any, ...]) -> CallRecord:
    call = CallRecord(*row)
    if call.reasoning_tokens_estimated is not None:  # stored as 0/1
        call.reasoning_tokens_estimated = bool(call.reasoning_tokens_estimated)
    return call


def _lenient_text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _json_or(text: Any, default: Any) -> Any:
    """Stored JSON, or `default` when it is missing or unreadable (a damaged run must still list and render)."""
    if not text:
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


class Store:
    """A thin, explicit wrapper over the SQLite file (no ORM: `migrations.py` builds the schema, and a
    call's row is a `CallRecord`).

    Use it as a context manager (`with Store(path) as store:`): the file is closed however the block ends.
    """

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
        except sqlite3.DatabaseError as exc:
            raise self._unreadable(exc) from None
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except BaseException as exc:  # nothing is left open by a store that could not be opened
            self.db.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise self._unreadable(exc) from None
            raise

    def _unreadable(self, exc: sqlite3.DatabaseError) -> StoreError:
        return StoreError(
            f"{self.path} is not a readable llmbench database ({exc}); nothing was changed. "
            "Point --results at another file or restore this one from a backup."
        )

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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
                MIGRATIONS[index](self.db)
                self.db.execute(f"PRAGMA user_version = {index + 1}")

    @contextmanager
    def transaction(self, mode: str = "") -> Iterator[None]:
        """All or nothing: the statements inside commit together or not at all. Inside an open
        transaction (a caller batching many writes) it joins that one. A read-only block is one snapshot:
        what it reads stays consistent while a run writes."""
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

    def _fetch(
        self, sql: str, params: tuple[Any, ...], convert: Callable[[list[str], tuple[Any, ...]], T]
    ) -> list[T]:
        """`convert(column_names, row)` of every row, a batch of rows at a time (what a row held as read is
        garbage at once, not at the end). Text that is not valid UTF-8 is decoded with U+FFFD instead of
        failing the whole read; the strict decoder runs first, as the lenient one is a Python call per value."""
        for lenient in (False, True):
            previous = self.db.text_factory
            if lenient:
                self.db.text_factory = _lenient_text
            try:
                cursor = self.db.cursor()
                cursor.row_factory = None
                cursor.execute(sql, params)
                names = [d[0] for d in cursor.description]
                out: list[T] = []
                while batch := cursor.fetchmany(1000):
                    out += [convert(names, row) for row in batch]
                return out
            except sqlite3.OperationalError as exc:
                if lenient or "UTF-8" not in str(exc):
                    raise
            finally:
                self.db.text_factory = previous
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def _lenient(self) -> Iterator[None]:
        previous = self.db.text_factory
        self.db.text_factory = _lenient_text
        try:
            yield
        finally:
            self.db.text_factory = previous

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
        """The plan exactly as stored (what `--resume` runs again): unreadable JSON is an error here."""
        row = self.db.execute("SELECT plan_json FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            raise UsageError(f"no run '{run_id}' in {self.path}")
        return json.loads(row[0])

    def _run_info(self, row: sqlite3.Row) -> RunInfo:
        plan = _json_or(row["plan_json"], {})
        plan = plan if isinstance(plan, dict) else {}
        targets = plan.get("targets")
        argv = _json_or(row["argv"], [])
        return RunInfo(
            run_id=row["run_id"],
            created_at=row["created_at"],
            finished_at=row["finished_at"],
            status=row["status"],
            planned=row["planned"],
            plan=plan,
            ok=row["ok"],
            errors=row["errors"],
            targets=[t["name"] for t in targets if isinstance(t, dict) and "name" in t]
            if isinstance(targets, list)
            else [],
            llmbench_version=row["llmbench_version"],
            hostname=row["hostname"],
            argv=argv if isinstance(argv, list) else [],
        )

    def runs(self) -> list[RunInfo]:
        """Every run, oldest first."""
        rows = self.db.execute(_RUN_INFO + " ORDER BY r.created_at, r.rowid").fetchall()
        return [self._run_info(row) for row in rows]

    def run(self, run_id: str) -> RunInfo:
        """One run's metadata; text that is not valid UTF-8 and unreadable JSON do not stop it being read."""
        with self._lenient():
            row = self.db.execute(_RUN_INFO + " WHERE r.run_id=?", (run_id,)).fetchone()
        if row is None:
            raise UsageError(f"no run '{run_id}' in {self.path}")
        return self._run_info(row)

    def update_plan(self, run_id: str, **fields: Any) -> None:
        """Add facts learnt during the run (e.g. the price table actually used) to its stored plan."""
        plan = self.run_plan(run_id)
        plan.update(fields)
        self.db.execute(
            "UPDATE runs SET plan_json=? WHERE run_id=?", (json.dumps(plan, ensure_ascii=False), run_id)
        )

    def run_targets(self, run_id: str) -> dict[str, RunTarget]:
        """The targets a run identified, by name."""
        with self._lenient():
            rows = self.db.execute(
                "SELECT target, provider, model, spec_json, identity_json FROM run_targets WHERE run_id=?",
                (run_id,),
            ).fetchall()
        out = {}
        for r in rows:
            spec, identity = _json_or(r["spec_json"], {}), _json_or(r["identity_json"], None)
            out[r["target"]] = RunTarget(
                target=r["target"],
                provider=r["provider"],
                model=r["model"],
                spec=spec if isinstance(spec, dict) else {},
                identity=identity if isinstance(identity, dict) else None,
            )
        return out

    def target_identities(
        self, run_id: str, answered: Iterable[AnsweredCall] | None = None
    ) -> dict[str, TargetIdentity]:
        """What the run knew of the model behind each target it identified or called: the stored identity
        and what its answered calls reported (see `identity.py`). Drift and the report both compare these.
        `answered`: the run's `answered_calls`, when the caller has read them already (they are not read
        again)."""
        served: dict[str, set[str]] = defaultdict(set)
        fingerprints: dict[str, set[str]] = defaultdict(set)
        if answered is None:
            with self._lenient():
                rows = self.db.execute(
                    "SELECT DISTINCT target, served_model, system_fingerprint FROM calls"
                    " WHERE run_id=? AND error IS NULL",
                    (run_id,),
                ).fetchall()
        else:
            rows = [(c.target, c.served_model, c.system_fingerprint) for c in answered]
        for target, model, fingerprint in rows:
            served[target].add(model)
            fingerprints[target].add(fingerprint)
        described = {name: t.identity for name, t in self.run_targets(run_id).items()}
        return {
            name: TargetIdentity.of(described.get(name), served[name], fingerprints[name])
            for name in [*described, *(t for t in served if t not in described)]
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

    # -- model loads --------------------------------------------------------------------------------

    def record_load(self, run_id: str, load: LoadRecord) -> None:
        self.db.execute(
            "INSERT INTO loads (run_id, target, host, started_at, load_s, load_duration_ns)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, load.target, load.host, load.started_at, load.load_s, load.load_duration_ns),
        )

    def loads(self, run_id: str) -> list[LoadRecord]:
        rows = self.db.execute(
            "SELECT target, host, started_at, load_s, load_duration_ns FROM loads WHERE run_id=? ORDER BY id",
            (run_id,),
        )
        return [LoadRecord(*row) for row in rows]

    def load_summary(self, run_id: str) -> dict[str, LoadSummary]:
        """Per target of the run: its loads (all runs of a resumed run's attempts included)."""
        rows = self.db.execute(
            "SELECT target, count(*), sum(load_s), max(load_s) FROM loads WHERE run_id=? GROUP BY target",
            (run_id,),
        )
        return {row[0]: LoadSummary(row[1], row[2], row[3]) for row in rows}

    def last_loads(self, targets: list[str]) -> dict[str, LoadRecord]:
        """The most recent load stored for each of these targets, whatever the run (`llmbench models`)."""
        out: dict[str, LoadRecord] = {}
        for name in targets:
            row = self.db.execute(
                "SELECT target, host, started_at, load_s, load_duration_ns FROM loads WHERE target=?"
                " ORDER BY started_at DESC, id DESC LIMIT 1",
                (name,),
            ).fetchone()
            if row is not None:
                out[name] = LoadRecord(*row)
        return out

    # -- calls: writing -----------------------------------------------------------------------------

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
        grade: Callable[[CallRecord], Grade | None] | None = None,
    ) -> None:
        """Insert one finished call and commit at once. A success replaces an earlier failure of the cell;
        nothing ever replaces a success (a paid answer is never thrown away).

        `grade` is given the record as it will be stored; its grade is written in the same transaction, so
        a call is never left ungraded by a crash and the row is not read back. A grader that raises costs
        the grade, never the call.
        """
        call = call_record(run_id, cell, digest, started_at, attempts, completion, error, cost)
        graded = None
        if grade is not None:
            try:
                graded = grade(call)
            except Exception as exc:  # a grading bug must not lose a paid answer
                log.warning(
                    "grading %s failed (%s: %s); `llmbench grade` can retry it",
                    cell.key,
                    type(exc).__name__,
                    exc,
                )
        values = _CALL_VALUES(call)
        if graded is None:  # one statement, committed on its own
            self.db.execute(_UPSERT_CALL, values)
            return
        with self.transaction():
            if self.db.execute(_UPSERT_CALL, values).rowcount:
                self.record_grade(
                    run_id,
                    cell.key,
                    graded.grader,
                    graded.outcome,
                    graded.verdict,
                    graded.score,
                    graded.evidence,
                )

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
        """Write (or replace) one grader's grade of one call."""
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

    # -- calls: reading -----------------------------------------------------------------------------

    def finished_keys(self, run_id: str) -> set[str]:
        """Cells that succeeded: these are never called again. Failed cells are retried on resume."""
        rows = self.db.execute("SELECT cell_key FROM calls WHERE run_id=? AND error IS NULL", (run_id,))
        return {r[0] for r in rows}

    def spent(self, run_id: str) -> float:
        """What the run's stored calls cost so far (unpriced calls count 0)."""
        row = self.db.execute("SELECT total(cost_usd) FROM calls WHERE run_id=?", (run_id,)).fetchone()
        return float(row[0])

    def graded_keys(self, run_id: str, grader: str) -> set[str]:
        """Cells of the run that `grader` has graded (a judge never judges a call twice)."""
        rows = self.db.execute("SELECT cell_key FROM grades WHERE run_id=? AND grader=?", (run_id, grader))
        return {r[0] for r in rows}

    def calls(self, run_id: str) -> Iterator[CallRecord]:
        """Every call of a run, in a stable order (suite, prompt, target, repeat)."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        cursor.execute(f"SELECT {_SELECT_CALL} FROM calls c WHERE c.run_id=?{_ORDER}", (run_id,))
        return (_call(row) for row in cursor)

    def calls_with_verdicts(self, run_id: str) -> Iterator[tuple[CallRecord, str | None, str | None]]:
        """`calls`, each with its rule grade's outcome and verdict (None when it was not graded)."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        cursor.execute(
            f"SELECT {_SELECT_CALL}, g.outcome, g.verdict FROM calls c {_RULES} WHERE c.run_id=?{_ORDER}",
            (run_id,),
        )
        width = len(CALL_FIELDS)
        for row in cursor:
            yield _call(row[:width]), row[width], row[width + 1]

    def answered_calls(self, run_id: str) -> list[AnsweredCall]:
        """The run's answered calls (failed ones say nothing about the model), as comparing runs reads them."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        cursor.execute(
            f"SELECT {_SELECT_ANSWERED} FROM calls c {_RULES} WHERE c.run_id=? AND c.error IS NULL",
            (run_id,),
        )
        return [AnsweredCall(*row) for row in cursor]

    def called_targets(self, run_id: str) -> set[str]:
        """Targets with at least one stored call (answered or failed) in the run."""
        rows = self.db.execute("SELECT DISTINCT target FROM calls WHERE run_id=?", (run_id,))
        return {r[0] for r in rows}

    def verdict_pairs(self, run_id: str, grader_a: str, grader_b: str) -> list[VerdictPair]:
        """Every call of the run both graders gave a verdict, in `calls` order, with where it sits and the
        reason grader b gave."""
        rows = self.db.execute(
            "SELECT c.id, c.target, c.prompt_id, c.topic, c.language, a.verdict, b.verdict, b.evidence_json"
            " FROM grades a JOIN grades b ON a.run_id=b.run_id AND a.cell_key=b.cell_key"
            " JOIN calls c ON c.run_id=a.run_id AND c.cell_key=a.cell_key"
            " WHERE a.run_id=? AND a.grader=? AND b.grader=? AND a.verdict IS NOT NULL AND b.verdict IS NOT NULL"
            + _ORDER,
            (run_id, grader_a, grader_b),
        )
        pairs = []
        for *head, evidence_json in rows:
            try:
                reason = json.loads(evidence_json or "{}").get("reason") or ""
            except (ValueError, AttributeError):
                reason = ""
            pairs.append(VerdictPair(*head, str(reason)))
        return pairs

    def graders(self, run_id: str, prefix: str = "") -> list[str]:
        """The graders (`rules`, `judge:<target>`...) that graded calls of the run, those starting with
        `prefix` only."""
        rows = self.db.execute(
            "SELECT DISTINCT grader FROM grades WHERE run_id=? AND substr(grader, 1, ?)=? ORDER BY grader",
            (run_id, len(prefix), prefix),
        )
        return [r[0] for r in rows]

    def call_views(self, run_id: str, convert: Callable[[dict[str, Any]], T]) -> list[T]:
        """What the report's views read of each call, in `calls` order: the `view` fields of `CallRecord`,
        `outcome`, `verdict` and `score` of the rule grade, and `has_reasoning` (None: no reasoning; 0: an
        empty think block; 1: reasoning), not the text itself. Each row is a dict given to `convert` as it is
        read (the report cleans it then, so that repeated labels are held once). Text that is not valid UTF-8
        reads as U+FFFD."""
        return self._fetch(
            f"SELECT {_SELECT_VIEW} FROM calls c {_RULES} WHERE c.run_id=?{_ORDER}",
            (run_id,),
            lambda names, row: convert(dict(zip(names, row, strict=True))),
        )

    def call_texts(self, ids: Iterable[int]) -> dict[int, tuple[Any, ...]]:
        """(answer, reasoning, the rule grade's evidence JSON, the latest judge's "judge:<name>: verdict") of
        the calls with these row ids; the report reads them a batch at a time."""
        chunk = tuple(ids)
        rows = self._fetch(
            f"SELECT c.id, c.answer, c.reasoning, g.evidence_json, {_LATEST_JUDGE}"
            f" FROM calls c {_RULES} WHERE c.id IN ({', '.join('?' for _ in chunk)})",
            chunk,
            lambda _, row: row,
        )
        return {row[0]: row[1:] for row in rows}


def call_record(
    run_id: str,
    cell: Cell,
    digest: str | None,
    started_at: str,
    attempts: int,
    completion: Completion | None,
    error: tuple[str, str] | None,
    cost: dict[str, Any] | None,
) -> CallRecord:
    """The record a finished call is stored as (a failed call has no completion)."""
    c = completion or Completion(answer="")
    prompt = cell.prompt
    return CallRecord(
        run_id=run_id,
        cell_key=cell.key,
        target=cell.target.name,
        provider=cell.target.provider,
        model=cell.target.model,
        model_digest=digest,
        suite=prompt.suite,
        prompt_id=prompt.id,
        category=prompt.category,
        topic=prompt.topic,
        language=prompt.language,
        repeat=cell.repeat,
        prompt=prompt.text,
        system=prompt.system,
        params_json=cell.params.as_json(),
        answer=c.answer if completion else None,
        reasoning=c.reasoning,
        reasoning_format=c.reasoning_format if completion else None,
        done_reason=c.done_reason,
        prompt_tokens=c.prompt_tokens,
        completion_tokens=c.completion_tokens,
        reasoning_tokens=c.reasoning_tokens,
        reasoning_tokens_estimated=c.reasoning_tokens_estimated if completion else None,
        cached_tokens=c.cached_tokens,
        eval_count=c.eval_count,
        total_duration_ns=c.total_duration_ns,
        load_duration_ns=c.load_duration_ns,
        prompt_eval_duration_ns=c.prompt_eval_duration_ns,
        eval_duration_ns=c.eval_duration_ns,
        latency_s=c.latency_s,
        ttft_s=c.ttft_s,
        tokens_per_s=c.tokens_per_s if completion else None,
        served_model=c.served_model,
        system_fingerprint=c.system_fingerprint,
        host=c.host,
        cost_usd=c.cost_usd,
        cost_json=json.dumps(cost, ensure_ascii=False) if cost else None,
        error=error[1] if error else None,
        error_kind=error[0] if error else None,
        attempts=attempts,
        started_at=started_at,
        finished_at=now_iso(),
        raw_json=json.dumps(c.raw, ensure_ascii=False, default=str) if c.raw else None,
    )
