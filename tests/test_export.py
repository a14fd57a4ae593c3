"""Parquet export streams in batches with one fixed schema, and equals the JSONL export row for row."""

from __future__ import annotations

import io
import json

import pytest

from llmbench import export
from llmbench.config import Config, target_from_cli
from llmbench.records import Cell, Completion, Prompt
from llmbench.store import Store


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "r.db")
    store.create_run("run1", {}, 7, ["llmbench", "run"], "test")
    target = target_from_cli("ollama/m", Config())
    for i in range(7):
        cell = Cell(target, Prompt(id=f"p{i}", suite="s", text=f"question {i}"), 0, target.params)
        if i == 3:  # a failed call: every number empty
            store.record_call("run1", cell, None, "2026-11-23T12:00:00Z", 2, error=("timeout", "slow"))
            continue
        completion = Completion(
            answer=f"answer {i} 六四 =1+1", reasoning="", prompt_tokens=10 + i, completion_tokens=20,
            total_duration_ns=1_234_567_890_123, latency_s=1.5, cost_usd=None,
        )  # fmt: skip
        store.record_call("run1", cell, "sha256:abc", "2026-11-23T12:00:00Z", 1, completion=completion)
    yield store
    store.close()


def test_parquet_in_batches_equals_jsonl_with_a_fixed_schema(store, tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setattr(export, "PARQUET_BATCH", 3)  # 7 rows -> three row groups
    out = tmp_path / "x" / "calls.parquet"
    assert export.export(store, "run1", "parquet", out) == 7
    assert not list(out.parent.glob("*.partial"))
    parquet = pq.ParquetFile(out)
    assert parquet.metadata.num_row_groups == 3
    schema = parquet.schema_arrow
    assert schema.names == export.FIELDS
    assert schema.field("prompt_tokens").type == pa.int64()
    assert schema.field("cost_usd").type == pa.float64()  # typed even though no row has a cost
    assert schema.field("reasoning_tokens_estimated").type == pa.bool_()
    buffer = io.StringIO()
    export._write_text(store, "run1", "jsonl", buffer)
    expected = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert parquet.read().to_pylist() == expected
    assert expected[0]["total_duration_ns"] == 1_234_567_890_123  # nanoseconds kept exactly


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_an_interrupted_export_leaves_no_file(store, tmp_path, monkeypatch, fmt):
    real_rows = export.rows

    def broken_rows(store, run_id):
        yield from list(real_rows(store, run_id))[:2]
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "PARQUET_BATCH", 1)
    monkeypatch.setattr(export, "rows", broken_rows)
    out = tmp_path / f"calls.{fmt}"
    with pytest.raises(KeyboardInterrupt):
        export.export(store, "run1", fmt, out)
    assert list(tmp_path.glob("calls.*")) == []
