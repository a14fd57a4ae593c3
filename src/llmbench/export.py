"""Export one row per call as JSONL, CSV or Parquet. Rows stream from SQLite, Parquet in batches: memory
stays flat however large the run."""

from __future__ import annotations

import csv
import json
import operator
import sys
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import IO, Any

from llmbench.files import atomic_path
from llmbench.records import EXPORTED_CALL_FIELDS, CallRecord
from llmbench.store import Store

# The documented export fields, in order (README "Export fields"): the call's exported fields, then its rule
# grade's outcome and verdict.
FIELDS = [*EXPORTED_CALL_FIELDS, "outcome", "verdict"]
FORMATS = ("jsonl", "csv", "parquet")
PARQUET_BATCH = (
    1000  # rows per row group: keeps the writer near 50 MB above resting size, whatever the run size
)
# Parquet column types, from the record's field types, fixed so every export of every run has the same schema
# (a column that is empty in one run is still typed).
_TYPES = {f.name: str(f.type).split(" |")[0] for f in fields(CallRecord)}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_EXPORTED = operator.attrgetter(*EXPORTED_CALL_FIELDS)


def rows(store: Store, run_id: str) -> Iterator[dict[str, Any]]:
    for call, outcome, verdict in store.calls_with_verdicts(run_id):
        yield dict(zip(FIELDS, (*_EXPORTED(call), outcome, verdict), strict=True))


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

    arrow = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    schema = pa.schema([(name, arrow.get(_TYPES.get(name, "str"), pa.string())) for name in FIELDS])
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
