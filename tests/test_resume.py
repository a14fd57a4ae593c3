"""Resume never re-buys a finished call: interrupted and failed runs complete exactly what is missing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import db_rows
from tests.servers.ollama_server import FakeModel, FakeOllama, Reply

DB = Path("results/llmbench.db")


def _slow(request):
    return Reply(content=f"Answer to: {request.last_user_message}", delay_s=0.15)


def _config(workdir: Path, url: str, **extra: str) -> None:
    lines = ["targets:", "  - id: ollama/slow", f"    host: {url}"] + [
        f"    {k}: {v}" for k, v in extra.items()
    ]
    (workdir / "llmbench.yaml").write_text("\n".join(lines) + "\n")


def test_failed_calls_are_retried_on_resume_and_finished_ones_are_not(workdir, cli):
    with FakeOllama([FakeModel("slow", responder=_slow, unset_think_shape="none")]) as server:
        _config(workdir, server.url, max_retries="0")
        server.fail_next(1, 500)
        first = cli.run_json("run", "-s", "mini.yaml", "-n", "2", code=1)
        assert (first["ok"], first["failed"]) == (5, 1)
        assert len(server.chat_calls) == 6
        second = cli.run_json("run", "--resume", first["run_id"])
        assert second["run_id"] == first["run_id"]
        assert (second["ok"], second["failed"], second["skipped"]) == (1, 0, 5)
        assert len(server.chat_calls) == 7
        third = cli.run_json("run", "--resume", first["run_id"])
        assert (third["ok"], third["skipped"]) == (0, 6)
        assert len(server.chat_calls) == 7
    rows = db_rows(DB, "SELECT * FROM calls")
    assert len(rows) == 6 and all(r["error"] is None for r in rows)
    assert db_rows(DB, "SELECT status FROM runs")[0]["status"] == "finished"


def test_sigterm_keeps_finished_calls_and_resume_makes_exactly_the_missing_ones(workdir):
    """A real process, a real signal: every call the server answered is either stored or re-asked once."""
    with FakeOllama([FakeModel("slow", responder=_slow, unset_think_shape="none")]) as server:
        _config(workdir, server.url)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
        cmd = [sys.executable, "-m", "llmbench.cli", "run", "-s", "mini.yaml", "-n", "10", "--json"]
        proc = subprocess.Popen(
            cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 30
        while len(server.chat_calls) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        summary = json.loads(out.strip().splitlines()[-1])
        assert summary["status"] == "interrupted"
        stored = db_rows(DB, "SELECT count(*) AS n FROM calls")[0]["n"]
        assert 7 <= stored < 30  # the 8th request may still have been in flight
        assert db_rows(DB, "SELECT status FROM runs")[0]["status"] == "interrupted"
        served_before = len(server.chat_calls)
        # At most the call in flight is lost.
        assert served_before - stored <= 1
        resumed = subprocess.run(
            [sys.executable, "-m", "llmbench.cli", "run", "--resume", summary["run_id"], "--json"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert resumed.returncode == 0, resumed.stderr
        assert len(server.chat_calls) - served_before == 30 - stored
    assert db_rows(DB, "SELECT count(*) AS n FROM calls")[0]["n"] == 30
    assert db_rows(DB, "SELECT status FROM runs")[0]["status"] == "finished"


def test_resume_refuses_new_targets(workdir, cli):
    with FakeOllama([FakeModel("slow", unset_think_shape="none")]) as server:
        _config(workdir, server.url)
        first = cli.run_json("run", "-s", "mini.yaml")
        result = cli("run", "--resume", first["run_id"], "-t", "ollama/other", code=2)
    assert "--resume reuses" in result.stderr


def test_unknown_run_id_is_a_usage_error(workdir, cli):
    with FakeOllama([FakeModel("slow", unset_think_shape="none")]) as server:
        _config(workdir, server.url)
        cli.run_json("run", "-s", "mini.yaml")
    result = cli("run", "--resume", "nope", code=2)
    assert "no run 'nope'" in result.stderr
