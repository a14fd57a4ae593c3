"""Keys never reach artefacts; cron runs log plain lines (no progress-bar escapes) to a file."""

from __future__ import annotations

import json
import sqlite3

from tests.servers.openai_server import FakeOpenAI, OAReply

SENTINEL = "sk-SENTINEL-7f3a9c-do-not-leak"


def _echo_key(request):
    # A hostile or buggy server that quotes the key back in an error and in an answer.
    return OAReply(status=400, error_body={"error": {"message": f"bad request for key {SENTINEL}"}})


def test_a_sentinel_key_appears_in_no_artefact(workdir, cli, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    with FakeOpenAI({"good": None, "leaky": _echo_key}, api_key=SENTINEL) as server:
        (workdir / "llmbench.yaml").write_text(
            f"targets:\n  - id: openai/good\n    base_url: {server.url}\n  - id: openai/leaky\n    base_url: {server.url}\n"
        )
        run = cli("run", "-s", "mini.yaml", "--json", "--log-file", "logs/run.log", code=1)
        summary = json.loads(run.stdout.strip().splitlines()[-1])
        outputs = [run.stdout, run.stderr]
        for fmt in ("jsonl", "csv"):
            outputs.append(cli("export", summary["run_id"], "-f", fmt).stdout)
        cli("export", summary["run_id"], "-f", "parquet", "-o", "out.parquet")
        outputs.append(cli("runs", "--json").stdout)
        outputs.append(cli("models", "--json").stdout)
        outputs.append(cli("report", summary["run_id"], "-o", "r.html").stdout)
    assert summary["errors"] == {"bad_request": 3}
    files = [p for p in workdir.rglob("*") if p.is_file() and p.suffix != ".yaml"]
    assert any(p.name == "run.log" for p in files) and any(p.suffix == ".html" for p in files)
    for path in files:
        assert SENTINEL.encode() not in path.read_bytes(), path
    for text in outputs:
        assert SENTINEL not in text
    db = sqlite3.connect(workdir / "results" / "llmbench.db")
    errors = [r[0] for r in db.execute("SELECT error FROM calls WHERE error IS NOT NULL")]
    assert errors and all("***" in e for e in errors)  # redacted, not dropped


def test_cron_output_is_plain_lines_and_goes_to_the_log_file(workdir, cli):
    with FakeOpenAI({"m": lambda r: OAReply(content="Paris")}, api_key="k") as server:
        (workdir / "llmbench.yaml").write_text(
            f"targets:\n  - id: openai/m\n    base_url: {server.url}\n    api_key_env: K\n"
        )
        import os

        os.environ["K"] = "k"
        try:
            result = cli("run", "-s", "mini.yaml", "--log-file", "logs/cron.log")
        finally:
            del os.environ["K"]
    assert "\x1b[" not in result.stderr  # no terminal escapes when not a TTY
    assert "progress 3/3 failed=0" in result.stderr
    log = (workdir / "logs" / "cron.log").read_text()
    assert "progress 3/3 failed=0" in log and "Run " in log
