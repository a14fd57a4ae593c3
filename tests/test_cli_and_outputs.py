"""Every command has --help; exports carry the documented fields; the first report is offline and safe."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from llmbench import __version__
from llmbench.export import FIELDS
from tests.servers.ollama_server import FakeModel, FakeOllama, Reply

COMMANDS = ["run", "models", "suites", "runs", "export", "report", "init"]
HOSTILE = '<script>alert(1)</script></textarea><a href="javascript:alert(2)">x</a> =HYPERLINK("http://evil")'


def test_version(cli):
    assert cli("--version").stdout.strip() == f"llmbench {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(cli, command):
    assert "Usage" in cli(command, "--help").stdout


def test_init_writes_a_config_that_loads(workdir, cli):
    from llmbench.config import load_config

    cli("init")
    config = load_config(Path("llmbench.yaml"))
    assert [t.name for t in config.targets] == ["ollama/deepseek-r1:7b"]
    assert config.suites == ["factual", "censorship", "cost"]
    cli("init", code=2)  # never overwrites silently


def test_suites_lists_the_bundled_suites_and_the_users_own(workdir, cli):
    (workdir / "prompts").mkdir()
    (workdir / "prompts" / "mini.yaml").write_text((workdir / "mini.yaml").read_text())
    rows = json.loads(cli("suites", "--json").stdout)
    names = {r["suite"]: r for r in rows}
    assert {"factual", "censorship", "cost", "mini"} <= set(names)
    assert names["mini"]["prompts"] == 3
    assert set(names["censorship"]["languages"]) == {"en", "zh", "fr"}


def _hostile(request):
    return Reply(content=HOSTILE, thinking="<img src=x onerror=alert(3)>")


@pytest.fixture
def hostile_run(workdir, cli):
    with FakeOllama([FakeModel("evil", responder=_hostile, unset_think_shape="tags")]) as server:
        (workdir / "llmbench.yaml").write_text(f"targets:\n  - id: ollama/evil\n    host: {server.url}\n")
        summary = cli.run_json("run", "-s", "mini.yaml")
        models = json.loads(cli("models", "--json").stdout)
    return summary, models


def test_models_describes_configured_ollama_targets(hostile_run):
    _, models = hostile_run
    assert models[0]["target"] == "ollama/evil"
    assert models[0]["status"] == "ready"
    assert len(models[0]["digest"]) == 64 and models[0]["quantization"] == "Q4_K_M"


def test_runs_lists_the_run(hostile_run, cli):
    summary, _ = hostile_run
    rows = json.loads(cli("runs", "--json").stdout)
    assert rows[0]["run_id"] == summary["run_id"] and rows[0]["ok"] == 3 and rows[0]["errors"] == 0


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_has_one_row_per_call_with_the_documented_fields(hostile_run, cli, workdir, fmt):
    summary, _ = hostile_run
    out = workdir / f"out.{fmt}"
    cli("export", summary["run_id"][:10], "--format", fmt, "-o", str(out))
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.read_text())))
    else:
        import pandas as pd

        rows = pd.read_parquet(out).to_dict("records")
    assert len(rows) == 3
    assert list(rows[0].keys()) == FIELDS
    for name in [
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
        "prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "latency_s",
        "ttft_s",
        "tokens_per_s",
        "done_reason",
        "cost_usd",
        "error",
        "started_at",
    ]:
        assert name in rows[0]
    assert {r["run_id"] for r in rows} == {summary["run_id"]}
    if fmt == "csv":
        # Formula injection: a cell that starts with '=' is prefixed so spreadsheets show it as text.
        assert all(not r["answer"].startswith(("=", "+", "-", "@")) for r in rows)
    else:
        assert {r["answer"] for r in rows} == {HOSTILE}


def test_report_is_offline_and_escapes_model_output(hostile_run, workdir):
    summary, _ = hostile_run
    html = (workdir / "reports" / f"{summary['run_id']}.html").read_text()
    assert (workdir / "reports" / "latest.html").read_text() == html
    assert "<script>alert(1)</script>" not in html
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html  # escaped in the JSON data block
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert "Content-Security-Policy" in html
    # No external resource of any kind: every src/href is inline or absent.
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html)
    # Only our own inline script, plus one inert JSON data block (answers are rendered from it by textContent).
    assert html.count("<script>") == 1 and html.count("<script") == 2
    assert html.count('<script type="application/json" id="data">') == 1
