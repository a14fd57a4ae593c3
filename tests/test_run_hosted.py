"""Hosted targets: an OpenAI-compatible server through `openai`, and a litellm provider (DeepSeek)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import db_rows
from tests.servers.openai_server import FakeOpenAI, OAReply

DB = Path("results/llmbench.db")


def reasoner(request):
    if "France" in request.last_user_message:
        return OAReply(
            content="Paris.",
            reasoning_content="France's capital is Paris.",
            prompt_tokens=31,
            completion_tokens=57,
            reasoning_tokens=49,
            cached_tokens=16,
        )
    return OAReply(
        content="I cannot discuss that.",
        reasoning_content="",
        prompt_tokens=20,
        completion_tokens=6,
        reasoning_tokens=0,
        cached_tokens=0,
    )


def _config(path: Path, lines: list[str]) -> None:
    path.write_text("targets:\n" + "\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("stream", [True, False])
def test_openai_compatible_usage_reasoning_and_identity_are_stored(workdir, cli, monkeypatch, stream):
    with FakeOpenAI({"r1-hosted": reasoner}, api_key="sk-test-123", system_fingerprint="fp_abc") as server:
        monkeypatch.setenv("MY_KEY", "sk-test-123")
        _config(
            workdir / "llmbench.yaml",
            [
                "  - id: openai/r1-hosted",
                f"    base_url: {server.url}",
                "    api_key_env: MY_KEY",
                f"    stream: {str(stream).lower()}",
            ],
        )
        summary = cli.run_json("run", "-s", "mini.yaml")
        assert summary["ok"] == 3
        bodies = [c.body for c in server.chat_calls]
        assert all(b.get("stream", False) is stream for b in bodies)
        if stream:
            assert all(b["stream_options"] == {"include_usage": True} for b in bodies)
        assert {c.headers["authorization"] for c in server.chat_calls} == {"Bearer sk-test-123"}
    row = db_rows(DB, "SELECT * FROM calls WHERE prompt_id='capital-fr'")[0]
    assert (row["answer"], row["reasoning"], row["reasoning_format"]) == (
        "Paris.",
        "France's capital is Paris.",
        "field",
    )
    assert (row["prompt_tokens"], row["completion_tokens"]) == (31, 57)
    assert (row["reasoning_tokens"], row["reasoning_tokens_estimated"], row["cached_tokens"]) == (49, 0, 16)
    assert row["system_fingerprint"] == "fp_abc"
    assert row["served_model"] == "r1-hosted"
    assert row["done_reason"] == "stop"
    if stream:
        assert 0 < row["ttft_s"] <= row["latency_s"]


def test_reasoning_field_named_reasoning_is_understood(workdir, cli, monkeypatch):
    def responder(request):
        return OAReply(content="42", reasoning_content="six times seven", reasoning_field="reasoning")

    with FakeOpenAI({"m": responder}, api_key="k") as server:
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        cli.run_json("run", "-t", "openai/m", "-s", "mini.yaml")
    assert {r["reasoning"] for r in db_rows(DB, "SELECT reasoning FROM calls")} == {"six times seven"}


def test_missing_key_is_detected_before_any_call(workdir, cli):
    with FakeOpenAI({"m": None}) as server:
        _config(workdir / "llmbench.yaml", ["  - id: openai/m", f"    base_url: {server.url}"])
        result = cli("run", "-s", "mini.yaml", code=4)
        assert server.chat_calls == []
    assert "OPENAI_API_KEY" in result.stderr


def test_rate_limit_is_retried_after_retry_after_and_recorded_once(workdir, cli, monkeypatch):
    with FakeOpenAI({"m": None}, api_key="k") as server:
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        server.fail_next(1, 429, headers={"Retry-After": "1"})
        _config(
            workdir / "llmbench.yaml",
            ["  - id: openai/m", f"    base_url: {server.url}", "    concurrency: 1"],
        )
        summary = cli.run_json("run", "-s", "mini.yaml")
        assert summary["ok"] == 3 and summary["failed"] == 0
        assert len(server.chat_calls) == 4
    rows = db_rows(DB, "SELECT attempts FROM calls ORDER BY attempts DESC")
    assert [r["attempts"] for r in rows] == [2, 1, 1]


def test_server_errors_are_retried_a_bounded_number_of_times_then_recorded(workdir, cli, monkeypatch):
    with FakeOpenAI({"m": None}, api_key="k") as server:
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        _config(
            workdir / "llmbench.yaml",
            [
                "  - id: openai/m",
                f"    base_url: {server.url}",
                "    concurrency: 1",
                "    max_retries: 1",
            ],
        )
        server.fail_next(2, 503)
        summary = cli.run_json("run", "-s", "mini.yaml", code=1)
        assert len(server.chat_calls) == 4  # 2 attempts for the failed call, then 2 successes
    assert summary["failed"] == 1 and summary["errors"] == {"server_error": 1}
    failed = db_rows(DB, "SELECT * FROM calls WHERE error IS NOT NULL")[0]
    assert failed["error_kind"] == "server_error" and "503" in failed["error"] and failed["attempts"] == 2


def test_litellm_deepseek_target_with_reasoning_content(workdir, cli, monkeypatch):
    with FakeOpenAI({"deepseek-reasoner": reasoner}, api_key="sk-ds") as server:
        monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-ds")
        _config(
            workdir / "llmbench.yaml", ["  - id: deepseek/deepseek-reasoner", f"    base_url: {server.url}"]
        )
        summary = cli.run_json("run", "-s", "mini.yaml")
        assert summary["targets"] == ["deepseek/deepseek-reasoner"]
        assert summary["ok"] == 3
        assert {c.body["model"] for c in server.chat_calls} == {"deepseek-reasoner"}
    row = db_rows(DB, "SELECT * FROM calls WHERE prompt_id='capital-fr'")[0]
    assert row["provider"] == "litellm"
    assert (row["answer"], row["reasoning"]) == ("Paris.", "France's capital is Paris.")
    assert (row["prompt_tokens"], row["completion_tokens"], row["reasoning_tokens"]) == (31, 57, 49)
    assert row["cached_tokens"] == 16
    spec = json.loads(db_rows(DB, "SELECT spec_json FROM run_targets")[0]["spec_json"])
    assert "sk-ds" not in json.dumps(spec)


def test_hosted_targets_never_run_unless_named(workdir, cli, monkeypatch):
    """A key in the environment is not consent to spend: with no target named, no hosted call is made."""
    import llmbench.providers.embedded as embedded

    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("DEEPSEEK_API_KEY", "k")
    monkeypatch.setattr(embedded, "installed_models", lambda: [])
    cli("run", "-s", "mini.yaml", code=4)
