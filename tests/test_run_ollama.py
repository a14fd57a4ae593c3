"""`llmbench run` against a loopback Ollama server, through the real `ollama` client.

The store must hold exactly what the server sent: counts, nanosecond durations, done_reason, digest.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import db_rows
from tests.servers.ollama_server import REFUSAL, FakeModel, FakeOllama, Reply, r1_like_responder

DB = Path("results/llmbench.db")


def _write_config(path: Path, url: str, target: str, **extra: object) -> None:
    lines = ["targets:", f"  - id: ollama/{target}", f"    host: {url}"]
    for key, value in extra.items():
        lines.append(f"    {key}: {json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("stream", [True, False])
def test_store_equals_what_the_server_sent(workdir, cli, ollama_server, monkeypatch, stream):
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    _write_config(workdir / "llmbench.yaml", ollama_server.url, "deepseek-r1:7b", stream=stream)
    summary = cli.run_json("run", "-s", "mini.yaml")
    assert summary["ok"] == 3 and summary["failed"] == 0

    calls = {c.body["messages"][-1]["content"]: c for c in ollama_server.chat_calls}
    assert len(calls) == 3
    rows = db_rows(DB, "SELECT * FROM calls WHERE run_id=?", summary["run_id"])
    assert len(rows) == 3
    for row in rows:
        sent = calls[row["prompt"]]
        final = sent.response_final
        assert sent.body.get("stream", True) is stream
        assert row["prompt_tokens"] == final["prompt_eval_count"]
        assert row["completion_tokens"] == final["eval_count"]
        assert row["total_duration_ns"] == final["total_duration"]
        assert row["load_duration_ns"] == final["load_duration"]
        assert row["prompt_eval_duration_ns"] == final["prompt_eval_duration"]
        assert row["eval_duration_ns"] == final["eval_duration"]
        assert row["done_reason"] == final["done_reason"]
        assert row["tokens_per_s"] == pytest.approx(final["eval_count"] / final["eval_duration"] * 1e9)
        assert row["model_digest"] == ollama_server.get_model("deepseek-r1:7b").digest
        # Explicit budget and context, never the server's silent defaults.
        assert sent.body["options"]["num_ctx"] == 8192
        assert sent.body["options"]["num_predict"] > 0
        assert sent.body["options"]["temperature"] == 0
        assert row["latency_s"] > 0
        if stream:
            assert 0 < row["ttft_s"] <= row["latency_s"]


def test_reasoning_and_answer_are_stored_apart_in_every_shape(workdir, cli, monkeypatch):
    """think=true -> `thinking` field; think unset -> inline <think> tags or a bare </think>."""
    answer = "Paris is the capital of France."
    reasoning = "The user asks about France. Its capital is Paris."
    scripted = {"France": Reply(content=answer, thinking=reasoning)}
    models = [
        FakeModel("r1-tags", responder=r1_like_responder(scripted), unset_think_shape="tags"),
        FakeModel("r1-bare", responder=r1_like_responder(scripted), unset_think_shape="bare_close"),
        FakeModel("r1-field", responder=r1_like_responder(scripted), unset_think_shape="field"),
    ]
    with FakeOllama(models) as server:
        config = ["targets:"]
        for name in ("r1-tags", "r1-bare"):
            config += [f"  - id: ollama/{name}", f"    host: {server.url}"]
        config += ["  - id: ollama/r1-field", f"    host: {server.url}", "    params: {think: true}"]
        (workdir / "llmbench.yaml").write_text("\n".join(config) + "\n")
        summary = cli.run_json("run", "-s", "mini.yaml")
        assert summary["ok"] == 9
        think_sent = {c.body["model"]: c.body.get("think") for c in server.chat_calls}
    assert think_sent == {"r1-tags": None, "r1-bare": None, "r1-field": True}
    rows = db_rows(DB, "SELECT * FROM calls WHERE prompt_id='capital-fr' ORDER BY target")
    shapes = {r["model"]: r["reasoning_format"] for r in rows}
    assert shapes == {"r1-bare": "bare_close", "r1-field": "field", "r1-tags": "tags"}
    for row in rows:
        assert row["answer"] == answer
        assert row["reasoning"] == reasoning
        assert "<think>" not in row["answer"] and "</think>" not in row["answer"]
        assert 0 < row["reasoning_tokens"] < row["completion_tokens"]
    # The censored answer: canned refusal with an EMPTY think block -> reasoning "" (not None).
    refusals = db_rows(DB, "SELECT * FROM calls WHERE prompt_id='tiananmen-zh'")
    assert {r["answer"] for r in refusals} == {REFUSAL}
    assert {r["reasoning"] for r in refusals} == {""}


def test_think_false_sends_false_and_stores_no_reasoning(workdir, cli, ollama_server):
    _write_config(workdir / "llmbench.yaml", ollama_server.url, "deepseek-r1:7b", params={"think": False})
    summary = cli.run_json("run", "-s", "mini.yaml")
    assert summary["ok"] == 3
    assert {c.body["think"] for c in ollama_server.chat_calls} == {False}
    rows = db_rows(DB, "SELECT reasoning, reasoning_format FROM calls")
    assert {(r["reasoning"], r["reasoning_format"]) for r in rows} == {(None, "none")}


def test_model_identity_is_recorded_once_per_run_and_target(workdir, cli, ollama_server):
    _write_config(workdir / "llmbench.yaml", ollama_server.url, "deepseek-r1:7b")
    summary = cli.run_json("run", "-s", "mini.yaml")
    rows = db_rows(DB, "SELECT * FROM run_targets WHERE run_id=?", summary["run_id"])
    assert len(rows) == 1
    identity = json.loads(rows[0]["identity_json"])
    model = ollama_server.get_model("deepseek-r1:7b")
    assert identity["digest"] == model.digest
    assert identity["family"] == "qwen2"
    assert identity["parameter_size"] == "7.6B"
    assert identity["quantization"] == "Q4_K_M"
    assert identity["capabilities"] == ["completion", "thinking"]
    assert identity["context_length"] == model.context_length
    assert identity["server_version"] == ollama_server.version
    assert identity["host"] == ollama_server.url
    show_calls = [c for c in ollama_server.log if c.path == "/api/show"]
    assert len(show_calls) == 1


def test_without_target_or_config_uses_the_models_installed_on_the_server(
    workdir, cli, ollama_server, monkeypatch
):
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    summary = cli.run_json("run", "-s", "mini.yaml")
    assert sorted(summary["targets"]) == ["ollama/deepseek-r1:7b", "ollama/llama3.2:1b"]
    assert summary["ok"] == 6
    assert {c.body["model"] for c in ollama_server.chat_calls} == {"deepseek-r1:7b", "llama3.2:1b"}


def test_a_model_that_is_not_installed_stops_the_run_before_any_call(
    workdir, cli, ollama_server, monkeypatch
):
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    result = cli("run", "-t", "ollama/deepseek-r1:70b", "-s", "mini.yaml", code=4)
    assert "ollama pull deepseek-r1:70b" in result.stderr
    assert ollama_server.chat_calls == []


def test_no_ollama_and_no_embedded_model_says_how_to_start(workdir, cli, monkeypatch):
    import llmbench.providers.embedded as embedded

    monkeypatch.setattr(embedded, "installed_models", lambda: [])
    result = cli("run", "-s", "mini.yaml", code=4)
    assert "No Ollama server answers at http://127.0.0.1:9" in result.stderr
    assert "ollama serve" in result.stderr and "pip install" in result.stderr


@pytest.mark.parametrize("stream", [True, False])
def test_answers_with_unicode_line_separators_are_stored_whole(workdir, cli, stream):
    """U+0085 (NEL) reaches the client raw (Go escapes only U+2028/2029), and httpx splits streamed lines
    on it like str.splitlines(): the answer must still arrive whole."""
    answer = "Ligne un\x85ligne deux\u2028trois\u2029 <b>&amp;</b>\x85六四"
    reasoning = "think\x85ing"
    scripted = {"France": Reply(content=answer, thinking=reasoning)}
    model = FakeModel("nel", responder=r1_like_responder(scripted), unset_think_shape="field")
    with FakeOllama([model]) as server:
        _write_config(workdir / "llmbench.yaml", server.url, "nel", stream=stream)
        summary = cli.run_json("run", "-s", "mini.yaml")
        raw_lines = [c for c in server.chat_calls if c.body["messages"][-1]["content"].find("France") >= 0]
    assert summary["ok"] == 3 and summary["failed"] == 0
    assert raw_lines and raw_lines[0].body.get("stream", True) is stream
    row = db_rows(DB, "SELECT answer, reasoning, error FROM calls WHERE prompt_id='capital-fr'")[0]
    assert (row["answer"], row["reasoning"], row["error"]) == (answer, reasoning, None)


def test_line_separator_escaping_survives_any_chunk_boundary():
    import asyncio

    import httpx

    from llmbench.providers.ollama import _EscapedLines

    lines = [{"message": {"content": "a\x85b\u2028c\u2029d 六四 😀"}}, {"done": True}]
    wire = b"".join(json.dumps(x, ensure_ascii=False).encode() + b"\n" for x in lines)

    async def through(chunks: list[bytes]) -> bytes:
        out = b""
        async for part in (
            _EscapedLines(httpx.ByteStream(b"")) if not chunks else _EscapedLines(_Chunks(chunks))
        ):
            out += part
        return out

    class _Chunks(httpx.AsyncByteStream):
        def __init__(self, chunks: list[bytes]) -> None:
            self.chunks = chunks

        async def __aiter__(self):
            for chunk in self.chunks:
                yield chunk

    for cut in range(1, len(wire)):
        out = asyncio.run(through([wire[:cut], wire[cut:]]))
        text = out.decode()
        assert text.splitlines() == text.split("\n")[:-1]  # no line breaks but the real ones
        assert [json.loads(line) for line in text.splitlines()] == lines


def test_the_closing_line_says_where_the_report_is_and_how_to_open_it(workdir, cli, ollama_server):
    _write_config(workdir / "llmbench.yaml", ollama_server.url, "llama3.2:1b")
    result = cli("run", "-s", "mini.yaml")
    run_id = result.stdout.strip()
    report = Path("reports") / f"{run_id}.html"
    assert report.exists()
    closing = result.stderr.strip().splitlines()[-1]
    opener = {"darwin": "open", "win32": "start"}.get(sys.platform, "xdg-open")
    assert closing == (
        f"Report: {report}. Open it: {opener} {report}  or serve it: python -m http.server -d reports 8000"
        f"  and browse http://127.0.0.1:8000/{run_id}.html"
    )
    quiet = cli("run", "-s", "mini.yaml", "--quiet")
    assert quiet.stderr == ""  # --quiet prints the run id only
