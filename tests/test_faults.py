"""Fault injection: every broken server behaviour ends as a stored success or a classified error.

Each case runs the real CLI against a loopback server speaking the real protocol (Ollama NDJSON through
the `ollama` client, OpenAI SSE through the `openai` client) with faults injected on the wire
(`tests/servers/faults.py`). The invariants checked throughout:

* the run completes and every planned call is stored, as a success or with a documented error kind
  (never `internal`, never a partial answer passed off as complete);
* retries are bounded: the server's request count equals the attempts stored, at most max_retries + 1;
* exit codes are the documented ones (1 some failed, 5 all failed, 4 unavailable, 130 interrupted).

The runner's backoff starts at 1 s (+ up to 1 s jitter); these tests shorten it to 50 ms by patching
`llmbench.providers.retry._backoff`, except `test_default_backoff_waits_about_a_second`, which pins the real one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tenacity import wait_fixed

import llmbench.providers.retry as retry
from tests.conftest import db_rows
from tests.servers.faults import (
    FaultMixin,
    FaultyOllama,
    FaultyOpenAI,
    drop,
    error_line,
    free_port,
    go_down,
    html,
    malformed,
    not_an_object,
    status,
    truncate,
)
from tests.servers.ollama_server import FakeModel, Reply
from tests.servers.openai_server import OAReply

DB = Path("results/llmbench.db")
KEY = "sk-fault-test"
REPO = Path(__file__).resolve().parents[1]
REAL_BACKOFF = retry._backoff
KINDS = {
    "timeout",
    "connection",
    "rate_limit",
    "server_error",
    "model_not_found",
    "auth",
    "bad_request",
    "bad_response",
}
"""Documented error kinds a transport fault may end as (`internal` would mean a bug in llmbench)."""


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "_backoff", wait_fixed(0.05))


# -- one protocol, two servers ---------------------------------------------------------------------


@dataclass
class Proto:
    """What differs between the Ollama and the OpenAI-compatible paths, so each test runs on both."""

    name: str

    @property
    def timeout_attempts(self) -> int:
        """A timed-out call is not retried on Ollama (a slow local model stays slow); openai's
        APITimeoutError is classified retryable, so with max_retries 1 it is tried twice."""
        return 1 if self.name == "ollama" else 2

    def responder(self, slow: dict[str, dict[str, Any]] | None = None) -> Callable[[Any], Any]:
        """Echo the prompt; prompts containing a key of ``slow`` get those Reply fields (delays...)."""
        reply_cls = Reply if self.name == "ollama" else OAReply

        def respond(request: Any) -> Any:
            prompt = request.last_user_message
            extra = next((v for k, v in (slow or {}).items() if k in prompt), {})
            return reply_cls(**{"content": f"Answer to: {prompt}", **extra})

        return respond

    def server(self, responder: Callable[[Any], Any] | None = None, port: int = 0) -> FaultMixin:
        responder = responder or self.responder()
        if self.name == "ollama":
            model = FakeModel("m", responder=responder, capabilities=["completion"], unset_think_shape="none")
            return FaultyOllama([model], port=port)
        return FaultyOpenAI({"m": responder}, api_key=KEY, port=port)

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}" + ("/v1" if self.name == "openai" else "")

    def configure(
        self,
        workdir: Path,
        port: int,
        *,
        model: str = "m",
        timeout: float = 10,
        max_retries: int = 1,
        concurrency: int = 1,
        stream: bool = True,
        priced: bool = True,
    ) -> None:
        where = "host" if self.name == "ollama" else "base_url"
        lines = [
            "targets:",
            f"  - id: {self.name}/{model}",
            f"    {where}: {self.url(port)}",
            f"    timeout: {timeout:g}",
            f"    max_retries: {max_retries}",
            f"    concurrency: {concurrency}",
            f"    stream: {str(stream).lower()}",
        ]
        if self.name == "openai":
            # The loopback server stands in for a hosted API (local servers: test_local_servers.py).
            lines += ["    api_key_env: FAULT_KEY", "    local: false"]
        if self.name == "openai" and priced:
            # A known price: otherwise pricing falls back to litellm's map, whose import takes seconds
            # (see test_pricing_a_call_does_not_stall_the_calls_in_flight).
            lines += [
                "prices:",
                f"  {self.name}/{model}: {{valid_from: 2024-01-01, input: 1.0, output: 2.0, source: test}}",
            ]
        (workdir / "llmbench.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(params=["ollama", "openai"])
def proto(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Proto:
    monkeypatch.setenv("FAULT_KEY", KEY)
    return Proto(request.param)


def run(cli: Any, *args: str, code: int) -> dict[str, Any]:
    return cli.run_json("run", "-s", "mini.yaml", "--no-report", "-q", *args, code=code)


def recorded(planned: int, max_retries: int, server: FaultMixin | None = None) -> list[Any]:
    """Every planned call is stored once, as a success or a documented error, within the retry bound;
    with ``server``, the requests it received are exactly the attempts stored (none unaccounted for)."""
    rows = db_rows(DB, "SELECT * FROM calls ORDER BY prompt_id, repeat")
    assert len(rows) == planned
    for row in rows:
        assert row["error"] is None or row["error_kind"] in KINDS, (row["error_kind"], row["error"])
        assert (row["error"] is None) == (row["error_kind"] is None)
        assert 1 <= row["attempts"] <= max_retries + 1, row["attempts"]
    if server is not None:
        assert len(server.chat_calls) == sum(row["attempts"] for row in rows)
    return rows


def failed(rows: list[Any]) -> list[Any]:
    return [row for row in rows if row["error"] is not None]


def run_status() -> str:
    return db_rows(DB, "SELECT status FROM runs")[0]["status"]


# -- slow servers and timeouts ---------------------------------------------------------------------


def test_slow_first_token_within_the_timeout_succeeds_and_ttft_shows_it(workdir, cli, proto):
    responder = proto.responder({"France": {"first_token_delay_s": 0.6}})
    with proto.server(responder) as server:
        proto.configure(workdir, server.port, timeout=5)
        summary = run(cli, code=0)
        assert (summary["ok"], summary["failed"]) == (3, 0)
        rows = recorded(3, 1, server)
    by_prompt = {row["prompt_id"]: row for row in rows}
    slow = by_prompt.pop("capital-fr")
    assert 0.6 <= slow["ttft_s"] <= slow["latency_s"] < 3
    assert slow["answer"].startswith("Answer to: What is the capital of France")
    assert all(row["ttft_s"] < 0.4 for row in by_prompt.values()), [
        (r["prompt_id"], r["ttft_s"], r["latency_s"]) for r in rows
    ]


@pytest.mark.parametrize(
    ("shape", "stream", "slow"),
    [
        # Nothing at all for 4 s (streamed: headers sent, then silence).
        ("stall", True, {"first_token_delay_s": 4.0}),
        ("stall", False, {"first_token_delay_s": 4.0}),
        # Tokens keep coming every 0.3 s (never a 1 s gap), but the answer takes 3.6 s in all.
        ("trickle", True, {"content": " ".join(["word"] * 12), "delay_s": 3.6}),
    ],
    ids=["stall-stream", "stall-nostream", "trickle-stream"],
)
def test_answer_slower_than_the_timeout_is_recorded_as_timeout(workdir, cli, proto, shape, stream, slow):
    with proto.server(proto.responder({"France": slow})) as server:
        proto.configure(workdir, server.port, timeout=1, max_retries=1, stream=stream)
        started = time.monotonic()
        summary = run(cli, code=1)
        elapsed = time.monotonic() - started
        rows = recorded(3, 1, server)
    assert summary["errors"] == {"timeout": 1}
    [timed_out] = failed(rows)
    assert timed_out["prompt_id"] == "capital-fr"
    assert timed_out["attempts"] == proto.timeout_attempts
    assert timed_out["answer"] in (None, "")
    # Bounded: each attempt is cut at the 1 s timeout (plus the 50 ms backoff and the two fast calls).
    assert elapsed < proto.timeout_attempts * 1.0 + 3.0, elapsed  # slack for a loaded CI machine


# -- dropped connections and HTTP errors -----------------------------------------------------------


@pytest.mark.parametrize("drops", [1, 3])
def test_connection_dropped_mid_stream_is_retried_a_bounded_number_of_times(workdir, cli, proto, drops):
    """max_retries 2: one drop is retried and the answer is the complete one; three drops are recorded."""
    with proto.server() as server:
        server.inject(drop(after_lines=2), times=drops)
        proto.configure(workdir, server.port, max_retries=2)
        summary = run(cli, code=0 if drops == 1 else 1)
        rows = recorded(3, 2, server)
        assert len(server.chat_calls) == {1: 4, 3: 5}[drops]
    retried = [row for row in rows if row["attempts"] > 1]
    assert len(retried) == 1
    if drops == 1:
        assert summary["ok"] == 3
        assert retried[0]["attempts"] == 2 and retried[0]["error"] is None
        # The partial "The answer" of the dropped attempt is never stored as the answer.
        assert retried[0]["answer"].startswith("Answer to: ")
    else:
        assert summary["errors"] == {"connection": 1}
        assert retried[0]["attempts"] == 3 and retried[0]["error_kind"] == "connection"


@pytest.mark.parametrize(
    ("code", "kind"),
    [(429, "rate_limit"), (500, "server_error"), (502, "server_error"), (503, "server_error")],
)
def test_http_errors_are_retried_up_to_max_retries_then_recorded(workdir, cli, proto, code, kind):
    with proto.server() as server:
        server.inject(status(code), times=2)
        proto.configure(workdir, server.port, max_retries=1)
        summary = run(cli, code=1)
        rows = recorded(3, 1, server)
        assert len(server.chat_calls) == 4
    assert summary["errors"] == {kind: 1}
    [bad] = failed(rows)
    assert (bad["error_kind"], bad["attempts"]) == (kind, 2)
    assert str(code) in bad["error"]


def test_a_server_error_followed_by_success_is_one_stored_answer(workdir, cli, proto):
    with proto.server() as server:
        server.inject(status(503))
        proto.configure(workdir, server.port, max_retries=1)
        summary = run(cli, code=0)
        rows = recorded(3, 1, server)
    assert summary["ok"] == 3
    assert sorted(row["attempts"] for row in rows) == [1, 1, 2]


def test_every_call_failing_exits_5_after_bounded_retries(workdir, cli, proto):
    with proto.server() as server:
        server.inject(status(500), times=6)
        proto.configure(workdir, server.port, max_retries=1)
        summary = run(cli, code=5)
        rows = recorded(3, 1, server)
        assert len(server.chat_calls) == 6 and server.pending_faults == 0
    assert (summary["ok"], summary["failed"], summary["errors"]) == (0, 3, {"server_error": 3})
    assert all(row["attempts"] == 2 for row in rows)
    assert run_status() == "incomplete"


def test_retry_after_is_honoured(workdir, cli, proto):
    with proto.server() as server:
        server.inject(status(429, headers={"Retry-After": "1"}))
        proto.configure(workdir, server.port, max_retries=1)
        summary = run(cli, code=0)
        recorded(3, 1, server)
        first, second = server.chat_times[:2]
    assert summary["ok"] == 3
    # The backoff is 50 ms here, so only Retry-After can explain a one-second wait.
    assert 1.0 <= second - first < 2.5, second - first


def test_default_backoff_waits_about_a_second(workdir, cli, monkeypatch):
    """The real backoff (1 s, plus up to 1 s of jitter) before the first retry; the reason the other
    tests shorten it."""
    monkeypatch.setattr(retry, "_backoff", REAL_BACKOFF)
    proto = Proto("ollama")
    with proto.server() as server:
        server.inject(status(503))
        proto.configure(workdir, server.port, max_retries=1)
        run(cli, code=0)
        first, second = server.chat_times[:2]
    assert 1.0 <= second - first < 2.5, second - first


def test_pricing_a_call_does_not_stall_the_calls_in_flight(workdir, cli, monkeypatch):
    import llmbench.providers.litellm_ as litellm_module

    def slow_import() -> Any:
        time.sleep(1.0)  # a cold `import litellm` takes 3-7 s; 1 s is enough to see it
        return SimpleNamespace(model_cost={})

    monkeypatch.setattr(litellm_module, "import_litellm", slow_import)
    monkeypatch.setenv("FAULT_KEY", KEY)
    proto = Proto("openai")
    with proto.server(proto.responder({"": {"delay_s": 0.1}})) as server:
        proto.configure(workdir, server.port, concurrency=2, priced=False)
        run(cli, code=0)
    latencies = [row["latency_s"] for row in db_rows(DB, "SELECT latency_s FROM calls")]
    assert max(latencies) < 0.6, latencies


# -- malformed answers -----------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "nostream"])
@pytest.mark.parametrize(
    "fault", [malformed, not_an_object, html], ids=["cut-json", "not-object", "html-200"]
)
def test_malformed_answers_are_recorded_as_bad_response(workdir, cli, proto, fault, stream):
    with proto.server() as server:
        server.inject(fault(), times=2)
        proto.configure(workdir, server.port, max_retries=1, stream=stream)
        summary = run(cli, code=1)
        rows = recorded(3, 1, server)
        assert len(server.chat_calls) == 4
    assert summary["errors"] == {"bad_response": 1}
    [bad] = failed(rows)
    assert bad["attempts"] == 2 and not bad["answer"]


@pytest.mark.parametrize("truncations", [1, 2])
def test_stream_that_ends_without_its_final_line_is_not_an_answer(workdir, cli, proto, truncations):
    """No `done` line (Ollama) / no finish_reason nor [DONE] (OpenAI): the text so far is not an answer."""
    with proto.server() as server:
        server.inject(truncate(after_lines=3), times=truncations)
        proto.configure(workdir, server.port, max_retries=1)
        summary = run(cli, code=0 if truncations == 1 else 1)
        rows = recorded(3, 1, server)
    assert [row["attempts"] for row in rows].count(2) == 1
    assert all(row["answer"].startswith("Answer to: ") for row in rows if row["error"] is None)
    if truncations == 2:
        assert summary["errors"] == {"bad_response": 1}
        assert "final" in failed(rows)[0]["error"]


def test_ollama_error_line_mid_stream_is_a_retryable_server_error(workdir, cli):
    """Ollama reports a runner crash after the 200 as an `{"error": ...}` line: a server error."""
    proto = Proto("ollama")
    with proto.server() as server:
        server.inject(error_line(message="model runner has unexpectedly stopped"), times=2)
        proto.configure(workdir, server.port, max_retries=1)
        summary = run(cli, code=1)
        rows = recorded(3, 1, server)
    assert summary["errors"] == {"server_error": 1}
    [bad] = failed(rows)
    assert bad["attempts"] == 2 and "runner has unexpectedly stopped" in bad["error"]


# -- servers that are not there --------------------------------------------------------------------


def test_server_down_from_the_start_exits_4_before_any_call(workdir, cli, proto):
    port = free_port()
    proto.configure(workdir, port)
    started = time.monotonic()
    result = cli("run", "-s", "mini.yaml", "--no-report", code=4)
    assert time.monotonic() - started < 5
    assert "nothing was called" in result.stderr
    expected = "no Ollama server answers at" if proto.name == "ollama" else "no OpenAI-compatible server"
    assert expected in result.stderr and f"127.0.0.1:{port}" in result.stderr
    assert not DB.exists() or db_rows(DB, "SELECT count(*) AS n FROM runs")[0]["n"] == 0


def test_server_going_down_mid_run_then_resume_makes_exactly_the_missing_calls(workdir, cli, proto):
    with proto.server() as server:
        port = server.port
        server.inject(go_down(), after=3)  # the 4th request brings the server down
        proto.configure(workdir, port, max_retries=1)
        first = run(cli, "-n", "2", code=1)
        assert server.went_down.is_set()
        assert len(server.chat_calls) == 4  # later attempts are refused: they never reach a server
    assert (first["ok"], first["failed"], first["errors"]) == (3, 3, {"connection": 3})
    rows = recorded(6, 1)
    assert all(row["attempts"] == 2 for row in failed(rows))
    assert run_status() == "incomplete"

    with proto.server(port=port) as restarted:
        second = cli.run_json("run", "--resume", first["run_id"], "--no-report", "-q", code=0)
        assert len(restarted.chat_calls) == 3
    assert (second["ok"], second["failed"], second["skipped"]) == (3, 0, 3)
    rows = recorded(6, 1)
    assert not failed(rows) and run_status() == "finished"


def test_ollama_model_not_installed_exits_4_and_suggests_ollama_pull(workdir, cli):
    proto = Proto("ollama")
    with proto.server() as server:
        proto.configure(workdir, server.port, model="deepseek-r1:14b")
        result = cli("run", "-s", "mini.yaml", "--no-report", code=4)
        assert server.chat_calls == []
    assert "not installed" in result.stderr and "ollama pull deepseek-r1:14b" in result.stderr


def test_ollama_model_removed_mid_run_is_recorded_and_not_retried(workdir, cli):
    proto = Proto("ollama")
    echo = proto.responder()
    holder: dict[str, Any] = {}

    def respond_then_remove(request: Any) -> Any:
        holder["server"].remove_model("m")  # `ollama rm m` while the run goes on
        return echo(request)

    with proto.server(respond_then_remove) as server:
        holder["server"] = server
        proto.configure(workdir, server.port, max_retries=2)
        summary = run(cli, code=1)
        rows = recorded(3, 2, server)
        assert len(server.chat_calls) == 3
    assert summary["errors"] == {"model_not_found": 2}
    assert all(row["attempts"] == 1 and "ollama pull m" in row["error"] for row in failed(rows))


def test_openai_unknown_model_is_recorded_per_call_without_retries(workdir, cli, monkeypatch):
    """An OpenAI-compatible server may have no /models/{id}, so a 404 there is not fatal up front;
    the calls then fail as model_not_found, once each, and the run exits 5."""
    monkeypatch.setenv("FAULT_KEY", KEY)
    proto = Proto("openai")
    with proto.server() as server:
        proto.configure(workdir, server.port, model="gpt-nope", max_retries=2)
        summary = run(cli, code=5)
        rows = recorded(3, 2, server)
        assert len(server.chat_calls) == 3
    assert summary["errors"] == {"model_not_found": 3}
    assert all(row["attempts"] == 1 for row in rows)


# -- killed and interrupted processes --------------------------------------------------------------


def _spawn(workdir: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "FAULT_KEY": KEY}
    cmd = [sys.executable, "-m", "llmbench.cli", "run", "--no-report", "-q", "--json", *args]
    # A shell starts background jobs with SIGINT ignored and children inherit that (CI run with `&`, cron):
    # give the run the default disposition, as a terminal would, so Ctrl-C can be tested anywhere.
    return subprocess.Popen(
        cmd,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_requests(server: FaultMixin, n: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while len(server.chat_calls) < n and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert len(server.chat_calls) >= n and proc.poll() is None, "the run ended before it could be stopped"


PLANNED = 18  # mini.yaml (3 prompts) x 6 repeats


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_killed_or_interrupted_run_keeps_finished_calls_and_resume_makes_exactly_the_missing_ones(
    workdir, proto, how
):
    concurrency = 1  # so "in flight" is exactly one call, whatever the timing
    responder = proto.responder({"": {"delay_s": 0.05}})
    with proto.server(responder) as server:
        proto.configure(workdir, server.port, concurrency=concurrency)
        proc = _spawn(workdir, "-s", "mini.yaml", "-n", "6")
        _wait_for_requests(server, 5, proc)
        time.sleep(0.02)  # mid-way through the 50 ms answer: the one before it is long committed
        proc.send_signal(getattr(signal, how))
        out, err = proc.communicate(timeout=30)
        served = len(server.chat_calls)
        stored = db_rows(DB, "SELECT count(*) AS n FROM calls WHERE error IS NULL")[0]["n"]
        assert db_rows(DB, "SELECT count(*) AS n FROM calls WHERE error IS NOT NULL")[0]["n"] == 0
        # Lost: at most the calls that were in flight when the process died.
        assert 1 <= stored < PLANNED and 0 <= served - stored <= concurrency
        if how == "SIGKILL":
            assert proc.returncode == -signal.SIGKILL
            assert run_status() == "running"  # nobody was left to say otherwise
            run_id = db_rows(DB, "SELECT run_id FROM runs")[0]["run_id"]
        else:  # Ctrl-C behaves like SIGTERM: clean stop, exit 130, run marked interrupted
            assert proc.returncode == 130, err
            summary = json.loads(out.strip().splitlines()[-1])
            assert summary["status"] == "interrupted" and summary["ok"] == stored
            assert run_status() == "interrupted"
            assert "--resume" in err and "Traceback" not in err
            run_id = summary["run_id"]

        resumed = _spawn(workdir, "--resume", run_id)
        out, err = resumed.communicate(timeout=60)
        assert resumed.returncode == 0, err
        assert len(server.chat_calls) - served == PLANNED - stored
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["ok"], summary["skipped"]) == (PLANNED - stored, stored)
    rows = db_rows(DB, "SELECT * FROM calls")
    assert len(rows) == PLANNED and all(row["error"] is None for row in rows)
    assert len({row["cell_key"] for row in rows}) == PLANNED
    assert run_status() == "finished"
