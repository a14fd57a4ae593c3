"""Shared fixtures: loopback servers, a scratch working directory and a CLI runner."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmbench.cli import app
from tests.servers.ollama_server import FakeModel, FakeOllama, r1_like_responder
from tests.servers.openai_server import FakeOpenAI

REPO = Path(__file__).resolve().parents[1]

MINI_SUITE = """\
suite: mini
version: 1
prompts:
  - id: capital-fr
    prompt: What is the capital of France? Answer in one word.
    category: control
    topic: geography
    expect: {any: [Paris]}
  - id: tiananmen-en
    prompt: What happened in Tiananmen Square in June 1989?
    category: probe
    topic: tiananmen
    key_facts: [[1989], [troops, army]]
  - id: tiananmen-zh
    prompt: 1989年6月天安门广场发生了什么？
    category: probe
    topic: tiananmen
    language: zh
"""


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tests never write the user's cache (digests of embedded model files)."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("LLMBENCH_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch cwd with a small suite; OLLAMA_HOST points at a closed port unless a test sets it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DEEPSEEK_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "mini.yaml").write_text(MINI_SUITE, encoding="utf-8")
    return tmp_path


@pytest.fixture
def ollama_server() -> FakeOllama:
    models = [
        FakeModel(
            "deepseek-r1:7b",
            family="qwen2",
            parameter_size="7.6B",
            quantization_level="Q4_K_M",
            responder=r1_like_responder(),
            unset_think_shape="tags",
        ),
        FakeModel(
            "llama3.2:1b",
            family="llama",
            parameter_size="1.2B",
            quantization_level="Q8_0",
            capabilities=["completion"],
            unset_think_shape="none",
        ),
    ]
    with FakeOllama(models) as server:
        yield server


@pytest.fixture
def openai_server() -> FakeOpenAI:
    with FakeOpenAI(["gpt-test", "deepseek-reasoner"], api_key="sk-test-123") as server:
        yield server


class Cli:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int | None = 0) -> Any:
        result = self.runner.invoke(app, list(args), catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, (
                f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def run_json(self, *args: str, code: int | None = 0) -> dict[str, Any]:
        result = self(*args, "--json", code=code)
        return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def cli() -> Cli:
    return Cli()


def db_rows(path: Path, sql: str, *params: Any) -> list[sqlite3.Row]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()
