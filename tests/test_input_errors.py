"""Bad input gives one clear error naming file, line and field, with a config-error exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmbench.config import load_config, ollama_host, split_target_id
from llmbench.errors import ConfigError, SuiteError
from llmbench.suites import load_suite


def _suite(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_key_in_a_prompt_names_file_line_and_field(tmp_path):
    path = _suite(tmp_path, "suite: x\nprompts:\n  - id: a\n    prompt: hi\n  - id: b\n    promt: typo\n")
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    err = info.value
    assert (err.file, err.line, err.field) == (str(path), 6, "prompts.1.promt")
    assert "did you mean 'prompt'" in str(err) and "line 6" in str(err)


def test_wrong_type_names_the_field(tmp_path):
    path = _suite(tmp_path, "prompts:\n  - id: a\n    prompt: hi\n    max_tokens: lots\n")
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert (info.value.line, info.value.field) == (4, "prompts.0.max_tokens")


def test_malformed_yaml_gives_the_line(tmp_path):
    path = _suite(tmp_path, "prompts:\n  - id: a\n    prompt: [unclosed\n  - id: b\n")
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert info.value.line is not None and info.value.line >= 3
    assert "invalid YAML" in str(info.value)


def test_duplicate_prompt_ids_are_refused(tmp_path):
    path = _suite(tmp_path, "prompts:\n  - id: a\n    prompt: one\n  - id: a\n    prompt: two\n")
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert (
        info.value.line == 4 and "duplicate prompt id 'a'" in str(info.value) and "line 2" in str(info.value)
    )


def test_empty_suite_is_refused(tmp_path):
    with pytest.raises(SuiteError, match="no prompts"):
        load_suite(_suite(tmp_path, "suite: empty\nprompts: []\n"))


def test_bad_prompt_id_shape(tmp_path):
    with pytest.raises(SuiteError) as info:
        load_suite(_suite(tmp_path, "prompts:\n  - id: 'has space'\n    prompt: hi\n"))
    assert info.value.field == "prompts.0.id"


def test_config_unknown_key_and_bad_target(tmp_path):
    cfg = tmp_path / "llmbench.yaml"
    cfg.write_text("repeats: 2\ntargets:\n  - id: ollama/x\n    concurency: 2\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert (info.value.line, info.value.field) == (4, "targets.0.concurency")
    cfg.write_text("targets:\n  - id: justamodel\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert info.value.line == 2 and "has no provider" in str(info.value)


def test_config_duplicate_target_names(tmp_path):
    cfg = tmp_path / "llmbench.yaml"
    cfg.write_text("targets:\n  - id: ollama/a\n  - id: ollama/a\n")
    with pytest.raises(ConfigError, match="duplicate target name"):
        load_config(cfg)


def test_cli_reports_a_bad_suite_with_exit_code_3(workdir, cli):
    (workdir / "bad.yaml").write_text(
        "prompts:\n  - id: a\n    prompt: hi\n    language: 3\n    topic: [x]\n"
    )
    result = cli("run", "-t", "ollama/x", "-s", "bad.yaml", code=3)
    assert "bad.yaml, line 5: field 'prompts.0.topic'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_suite_name_lists_the_available_ones(workdir, cli):
    result = cli("run", "-t", "ollama/x", "-s", "nosuchsuite", code=2)
    assert "unknown suite 'nosuchsuite'" in result.stderr and "factual" in result.stderr


def test_corrupt_database_is_refused_and_left_untouched(workdir, cli):
    db = workdir / "results" / "llmbench.db"
    db.parent.mkdir()
    db.write_bytes(b"this is not sqlite" * 100)
    before = db.read_bytes()
    result = cli("runs", code=3)
    assert "not a readable llmbench database" in result.stderr
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ollama/deepseek-r1:7b", ("ollama", "deepseek-r1:7b")),
        ("ollama/hf.co/user/model:Q4_K_M", ("ollama", "hf.co/user/model:Q4_K_M")),
        ("openai/gpt-4o-mini", ("openai", "gpt-4o-mini")),
        ("deepseek/deepseek-reasoner", ("litellm", "deepseek/deepseek-reasoner")),
        ("anthropic/claude-sonnet-4-5", ("litellm", "anthropic/claude-sonnet-4-5")),
        ("litellm/gemini/gemini-2.5-pro", ("litellm", "gemini/gemini-2.5-pro")),
        ("embedded/smollm2", ("embedded", "smollm2")),
    ],
)
def test_target_ids(text, expected):
    assert split_target_id(text) == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ("", "http://localhost:11434"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("gpu1:9999", "http://gpu1:9999"),
        ("https://ollama.example:443", "https://ollama.example:443"),
    ],
)
def test_ollama_host_is_read_like_the_ollama_cli(monkeypatch, env, expected):
    monkeypatch.setenv("OLLAMA_HOST", env)
    assert ollama_host() == expected
