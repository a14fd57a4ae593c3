"""Export one row per call as JSONL, CSV or Parquet. Rows stream from SQLite, Parquet in batches: memory
stays flat however large the run."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from llmbench.files import atomic_path
from llmbench.store import Store

# The documented export fields, in order (README "Export fields").
FIELDS = [
    "run_id",
    "target",
    "provider",
    "model",
    "model_digest",
    "suite",
    "prompt_id",
    "category",
    "topic",
    "language",
    "repeat",
    "prompt",
    "answer",
    "reasoning",
    "reasoning_format",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "reasoning_tokens_estimated",
    "cached_tokens",
    "latency_s",
    "ttft_s",
    "tokens_per_s",
    "total_duration_ns",
    "load_duration_ns",
    "prompt_eval_duration_ns",
    "eval_duration_ns",
    "done_reason",
    "served_model",
    "system_fingerprint",
    "host",
    "cost_usd",
    "outcome",
    "verdict",
    "error",
    "error_kind",
    "attempts",
    "started_at",
    "finished_at",
    "cell_key",
]
FORMATS = ("jsonl", "csv", "parquet")
PARQUET_BATCH = (
    1000  # rows per row group: keeps the writer near 50 MB above resting size, whatever the run size
)
# Parquet column types, fixed so every export of every run has the same schema (a column that is empty in
# one run is still typed); the rest are strings.
_INTS = {
    "repeat", "prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens", "total_duration_ns",
    "load_duration_ns", "prompt_eval_duration_ns", "eval_duration_ns", "attempts",
}  # fmt: skip
_FLOATS = {"latency_s", "ttft_s", "tokens_per_s", "cost_usd"}
_BOOLS = {"reasoning_tokens_estimated"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rows(store: Store, run_id: str) -> Iterator[dict[str, Any]]:
    for row in store.calls(run_id):
        record = {name: row[name] for name in FIELDS}
        record["reasoning_tokens_estimated"] = (
            None
            if record["reasoning_tokens_estimated"] is None
            else bool(record["reasoning_tokens_estimated"])
        )
        yield record


def _csv_safe(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas: model output must stay text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export(store: Store, run_id: str, fmt: str, out: Path | None) -> int:
    """Write the run's calls; a file is written under a temporary name and renamed when complete, so an
    interrupted export never leaves half a file behind."""
    if fmt == "parquet":
        if out is None:
            raise ValueError("parquet needs -o PATH")
        return _write_parquet(store, run_id, out)
    if out is None:
        return _write_text(store, run_id, fmt, sys.stdout)
    with atomic_path(out) as partial, open(partial, "w", encoding="utf-8", newline="") as handle:
        return _write_text(store, run_id, fmt, handle)


def _write_parquet(store: Store, run_id: str, out: Path) -> int:
    """pandas frames of PARQUET_BATCH rows appended to one Parquet file with a fixed schema."""
    from itertools import islice

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    def arrow_type(name: str) -> pa.DataType:
        if name in _INTS:
            return pa.int64()
        if name in _FLOATS:
            return pa.float64()
        return pa.bool_() if name in _BOOLS else pa.string()

    schema = pa.schema([(name, arrow_type(name)) for name in FIELDS])
    count = 0
    source = rows(store, run_id)
    with atomic_path(out) as partial, pq.ParquetWriter(partial, schema) as writer:
        while batch := list(islice(source, PARQUET_BATCH)):
            frame = pd.DataFrame.from_records(batch, columns=FIELDS)
            writer.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))
            count += len(batch)
    return count


def _write_text(store: Store, run_id: str, fmt: str, handle: IO[str]) -> int:
    count = 0
    if fmt == "jsonl":
        for record in rows(store, run_id):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(handle, fieldnames=FIELDS)
    writer.writeheader()
    for record in rows(store, run_id):
        writer.writerow({k: _csv_safe(v) for k, v in record.items()})
        count += 1
    return count
