"""Cost in the store and the `--max-cost` gate: refuse before the first call, stop before crossing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import db_rows
from tests.servers.openai_server import FakeOpenAI, OAReply

DB = Path("results/llmbench.db")

PRICES = """\
prices:
  priced-model:
    input: 1.0
    input_cached: 0.5
    output: 10.0
    source: test price
"""


def _usage(request):
    return OAReply(
        content="Paris",
        reasoning_content="thinking",
        prompt_tokens=1000,
        completion_tokens=500,
        reasoning_tokens=300,
        cached_tokens=400,
    )


def _config(workdir: Path, url: str, extra: str = "") -> None:
    (workdir / "llmbench.yaml").write_text(
        PRICES + "targets:\n  - id: openai/priced-model\n" + f"    base_url: {url}\n    concurrency: 1\n"
        "    local: false\n"  # the loopback server stands in for a hosted, per-token priced API
        "    params: {max_tokens: 1000}\n" + extra
    )


def test_each_call_is_priced_from_the_table_with_cache_and_reasoning(workdir, cli, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    with FakeOpenAI({"priced-model": _usage}, api_key="k") as server:
        _config(workdir, server.url)
        summary = cli.run_json("run", "-s", "mini.yaml")
    # 600 uncached input at $1/M + 400 cached at $0.5/M + 500 output (reasoning included) at $10/M
    expected = (600 * 1.0 + 400 * 0.5 + 500 * 10.0) / 1e6
    rows = db_rows(DB, "SELECT cost_usd, cost_json FROM calls")
    assert [r["cost_usd"] for r in rows] == pytest.approx([expected] * 3)
    details = json.loads(rows[0]["cost_json"])
    assert details["source"] == "override"
    assert summary["cost_usd"] == pytest.approx(3 * expected)
    plan = json.loads(db_rows(DB, "SELECT plan_json FROM runs")[0]["plan_json"])
    assert plan["cost"]["prices"]["version"]  # the table used is stored with the run


def test_local_calls_are_priced_by_energy_and_say_so(workdir, cli, ollama_server):
    (workdir / "llmbench.yaml").write_text(
        f"local_cost:\n  default: {{watts: 100, usd_per_kwh: 0.36}}\n"
        f"targets:\n  - id: ollama/llama3.2:1b\n    host: {ollama_server.url}\n"
    )
    cli.run_json("run", "-s", "mini.yaml")
    sent = {c.body["messages"][-1]["content"]: c.response_final for c in ollama_server.chat_calls}
    for row in db_rows(DB, "SELECT prompt, cost_usd, cost_json FROM calls"):
        final = sent[row["prompt"]]
        seconds = (final["total_duration"] - final["load_duration"]) / 1e9  # the model load is not the call's
        assert row["cost_usd"] == pytest.approx(100 * seconds / 3.6e6 * 0.36)
        assert json.loads(row["cost_json"])["source"] == "energy"


def test_max_cost_refuses_an_over_budget_run_before_the_first_call(workdir, cli, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    with FakeOpenAI({"priced-model": _usage}, api_key="k") as server:
        _config(workdir, server.url)
        # Worst case per call: ~1000 output tokens at $10/M = $0.01 plus the prompt; 3 calls > $0.02.
        result = cli("run", "-s", "mini.yaml", "--max-cost", "0.02", code=6)
        assert server.chat_calls == []
    assert "Nothing was called" in result.stderr and "worst case" in result.stderr


def test_max_cost_with_an_unpriced_hosted_model_is_refused(workdir, cli, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    with FakeOpenAI({"mystery-model-x": _usage}, api_key="k") as server:
        (workdir / "llmbench.yaml").write_text(
            f"targets:\n  - id: openai/mystery-model-x\n    base_url: {server.url}\n    local: false\n"
        )
        result = cli("run", "-s", "mini.yaml", "--max-cost", "100", code=6)
        assert server.chat_calls == []
    assert "no price is known for openai/mystery-model-x" in result.stderr


def test_within_budget_runs_and_resume_never_pays_twice(workdir, cli, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    with FakeOpenAI({"priced-model": _usage}, api_key="k") as server:
        _config(workdir, server.url)
        first = cli.run_json("run", "-s", "mini.yaml", "--max-cost", "1")
        assert first["ok"] == 3 and len(server.chat_calls) == 3
        again = cli.run_json("run", "--resume", first["run_id"], "--max-cost", "1")
        assert again["ok"] == 0 and again["skipped"] == 3 and len(server.chat_calls) == 3


def test_price_errors_name_the_line(workdir, cli):
    (workdir / "llmbench.yaml").write_text(
        "prices:\n  m:\n    input: 1\n    outptu: 2\n    source: x\ntargets:\n  - id: openai/m\n"
    )
    result = cli("run", "-s", "mini.yaml", code=3)
    assert "llmbench.yaml, line 4" in result.stderr and "outptu" in result.stderr


def test_budget_reservations_stop_calls_before_the_limit_is_crossed():
    from llmbench.config import Config, target_from_cli
    from llmbench.records import Cell, Prompt
    from llmbench.runner import Budget

    class FixedPrice:
        def worst_case(self, target, chars, max_tokens):
            return 0.4

    target = target_from_cli("openai/m", Config())
    cells = [Cell(target, Prompt(id=f"p{i}", suite="s", text="q"), 0, target.params) for i in range(3)]
    budget = Budget(1.0, FixedPrice())
    assert budget.reserve(cells[0]) and budget.reserve(cells[1])
    assert not budget.reserve(cells[2])  # 0.4 + 0.4 in flight + 0.4 would cross 1.0
    budget.settle(cells[0], 0.05)  # the answer cost far less than its worst case
    assert budget.reserve(cells[2])
    assert budget.spent == pytest.approx(0.05) and budget.reserved == pytest.approx(0.8)
    budget.settle(cells[1], None)  # unpriced: charged its worst case
    assert budget.spent == pytest.approx(0.45)
