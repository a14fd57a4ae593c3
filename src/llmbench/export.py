"""Export one row per call as JSONL, CSV or Parquet. Rows stream from SQLite; nothing is held twice."""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

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
    if fmt == "parquet":
        if out is None:
            raise ValueError("parquet needs -o PATH")
        import pandas as pd

        frame = pd.DataFrame.from_records(list(rows(store, run_id)), columns=FIELDS)
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(out, index=False)
        return len(frame)
    with (
        open(out, "w", encoding="utf-8", newline="") if out else contextlib.nullcontext(sys.stdout) as handle
    ):
        return _write_text(store, run_id, fmt, handle)


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
