"""One target on several Ollama hosts: calls spread over every host, each call records who served it."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from pathlib import Path

from tests.conftest import db_rows
from tests.servers.ollama_server import FakeModel, FakeOllama, Reply

DB = Path("results/llmbench.db")


def _suite(workdir: Path, n: int) -> None:
    lines = ["suite: many", "prompts:"]
    for i in range(n):
        lines += [f"  - id: p{i:02d}", f"    prompt: Question number {i}?"]
    (workdir / "many.yaml").write_text("\n".join(lines) + "\n")


def test_calls_spread_over_hosts_with_per_host_concurrency(workdir, cli):
    lock = threading.Lock()
    active: dict[int, int] = {}
    peak: dict[int, int] = {}

    def slow(host_id):
        def respond(request):
            with lock:
                active[host_id] = active.get(host_id, 0) + 1
                peak[host_id] = max(peak.get(host_id, 0), active[host_id])
            time.sleep(0.2)
            with lock:
                active[host_id] -= 1
            return Reply(content="ok")

        return respond

    _suite(workdir, 12)
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                FakeOllama([FakeModel("m", responder=slow(i), digest="d" * 64, unset_think_shape="none")])
            )
            for i in range(3)
        ]
        hosts = ", ".join(s.url for s in servers)
        (workdir / "llmbench.yaml").write_text(
            f"targets:\n  - id: ollama/m\n    hosts: [{hosts}]\n    concurrency: 1\n"
        )
        started = time.monotonic()
        summary = cli.run_json("run", "-s", "many.yaml")
        elapsed = time.monotonic() - started
        counts = [len(s.chat_calls) for s in servers]
    assert summary["ok"] == 12
    assert counts == [4, 4, 4]  # least-busy first: an even spread
    assert peak == {0: 1, 1: 1, 2: 1}  # never more than `concurrency` per host
    assert elapsed < 12 * 0.2  # in parallel, not one after another
    served = {r["host"] for r in db_rows(DB, "SELECT host FROM calls")}
    assert served == {s.url for s in servers}


def test_hosts_serving_different_builds_are_refused_before_any_call(workdir, cli):
    _suite(workdir, 2)
    with (
        FakeOllama([FakeModel("m", digest="a" * 64)]) as one,
        FakeOllama([FakeModel("m", digest="b" * 64)]) as two,
    ):
        (workdir / "llmbench.yaml").write_text(
            f"targets:\n  - id: ollama/m\n    hosts: [{one.url}, {two.url}]\n"
        )
        result = cli("run", "-s", "many.yaml", code=4)
        assert one.chat_calls == [] and two.chat_calls == []
    assert "different builds" in result.stderr
