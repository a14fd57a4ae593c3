"""Local servers as they really behave: a host that holds K models and serves P calls per model loads
each model once per run, however many targets share it.

The server is the fake Ollama in scheduler mode (tests/servers/ollama_server.py): it keeps `max_loaded`
models resident, serves `parallel` requests per model, takes `load_s` per load, queues the rest and logs
every load, the way Ollama's own scheduler does.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from contextlib import ExitStack
from pathlib import Path

import pytest

from llmbench.config import load_config
from llmbench.errors import ConfigError
from llmbench.records import Cell, GenerationParams, HostLimits, ModelLoad, Prompt, TargetSpec
from llmbench.schedule import HostScheduler, Job, in_process_limits
from tests.conftest import db_rows
from tests.servers.ollama_server import FakeModel, FakeOllama, Scheduler, plain_responder

DB = Path("results/llmbench.db")
MODELS = ("alpha", "beta", "gamma")


def _models(names=MODELS) -> list[FakeModel]:
    return [
        FakeModel(name, responder=plain_responder, capabilities=["completion"], unset_think_shape="none")
        for name in names
    ]


def _suite(workdir: Path, n: int) -> None:
    lines = ["suite: many", "prompts:"]
    for i in range(n):
        lines += [f"  - id: p{i:02d}", f"    prompt: Question number {i}?"]
    (workdir / "many.yaml").write_text("\n".join(lines) + "\n")


def _config(workdir: Path, targets: list[str], hosts: dict[str, dict] | None = None) -> None:
    text = "targets:\n" + "".join(targets)
    if hosts:
        text += "hosts:\n" + "".join(f"  {url}: {json.dumps(h)}\n" for url, h in hosts.items())
    (workdir / "llmbench.yaml").write_text(text)


def _target(model: str, host: str | None = None, hosts: list[str] | None = None, **extra) -> str:
    text = f"  - id: ollama/{model}\n"
    if host:
        text += f"    host: {host}\n"
    if hosts:
        text += f"    hosts: [{', '.join(hosts)}]\n"
    return text + "".join(f"    {k}: {v}\n" for k, v in extra.items())


def _switches(server: FakeOllama) -> int:
    """How often consecutive answer requests asked for a different model."""
    names = [call.body["model"] for call in server.chat_calls]
    return sum(a != b for a, b in zip(names, names[1:], strict=False))


def test_three_models_on_a_one_model_host_load_once_each(workdir, cli):
    _suite(workdir, 8)
    sched = Scheduler(max_loaded=1, parallel=1, load_s=0.3, answer_s=0.01)
    with FakeOllama(_models(), scheduler=sched) as server:
        _config(workdir, [_target(m, server.url) for m in MODELS])
        summary = cli.run_json("run", "-s", "many.yaml", "--no-report")
        counts = server.load_counts()
        switches = _switches(server)
        unloads = [c.body["model"] for c in server.load_requests if c.body.get("keep_alive") == 0]
    assert summary["ok"] == 24 and summary["loads"] == 3
    assert counts == {f"{m}:latest": 1 for m in MODELS}  # not one load per call
    assert switches == 2  # model-major: alpha's calls, then beta's, then gamma's
    assert unloads == ["alpha", "beta"]  # freed for the next model; the last one stays warm
    rows = db_rows(DB, "SELECT target, load_s FROM loads ORDER BY id")
    assert [r["target"] for r in rows] == [f"ollama/{m}" for m in MODELS]
    assert all(r["load_s"] >= 0.3 for r in rows)  # the warm-up took the load...
    calls = db_rows(DB, "SELECT load_duration_ns, latency_s, ttft_s FROM calls")
    assert all(c["load_duration_ns"] < 0.3e9 for c in calls)  # ...so no call waited for one
    assert all(c["latency_s"] < 0.3 and c["ttft_s"] < 0.3 for c in calls)


def test_the_unscheduled_order_reloads_on_almost_every_call():
    """The double behaves like Ollama: calls that alternate models evict each other (what the old
    prompt-major order did), so the test above can fail."""
    import ollama

    with FakeOllama(_models(), scheduler=Scheduler(load_s=0.01)) as server:
        client = ollama.Client(host=server.url)
        for i in range(6):
            client.chat(model=MODELS[i % 3], messages=[{"role": "user", "content": "hi"}], stream=False)
        assert sum(server.load_counts().values()) == 6
        evicted = [e.evicted for e in server.loads]
    assert evicted == [None, "alpha:latest", "beta:latest", "gamma:latest", "alpha:latest", "beta:latest"]


def test_each_resident_model_keeps_its_parallel_slots_full_never_more(workdir, cli):
    _suite(workdir, 12)
    sched = Scheduler(max_loaded=2, parallel=3, load_s=0.2, answer_s=0.1)
    with FakeOllama(_models(MODELS[:2]), scheduler=sched) as server:
        _config(
            workdir,
            [_target(m, server.url) for m in MODELS[:2]],
            {server.url: {"max_loaded": 2, "parallel": 3}},
        )
        summary = cli.run_json("run", "-s", "many.yaml", "--no-report")
        peaks = dict(server.peak_in_flight)
        loads = list(server.loads)
    assert summary["ok"] == 24
    assert peaks == {"alpha:latest": 3, "beta:latest": 3}  # exactly `parallel` in flight per model
    assert [e.evicted for e in loads] == [None, None]  # both resident together, no swap
    # Ollama loads one model at a time, but beta's load follows alpha's at once, not after alpha's calls.
    assert loads[1].started < loads[0].started + loads[0].seconds + 0.15


def test_slots_follow_the_target_concurrency_when_the_host_declares_none(workdir, cli):
    _suite(workdir, 6)
    with FakeOllama(
        _models(MODELS[:1]), scheduler=Scheduler(parallel=4, load_s=0.05, answer_s=0.1)
    ) as server:
        _config(workdir, [_target("alpha", server.url, concurrency=2)])
        cli.run_json("run", "-s", "many.yaml", "--no-report")
        assert server.peak_in_flight == {"alpha:latest": 2}


def test_two_hosts_run_at_the_same_time_and_neither_loads_a_model_twice(workdir, cli):
    _suite(workdir, 10)
    with ExitStack() as stack:
        servers = [
            stack.enter_context(FakeOllama(_models(), scheduler=Scheduler(load_s=0.2, answer_s=0.02)))
            for _ in range(2)
        ]
        urls = [s.url for s in servers]
        _config(workdir, [_target(m, hosts=urls) for m in MODELS])  # one shared pool of two hosts
        summary = cli.run_json("run", "-s", "many.yaml", "--no-report")
        counts = [s.load_counts() for s in servers]
        served = [len(s.chat_calls) for s in servers]
        first_loads = [s.loads[0].started for s in servers]
    assert summary["ok"] == 30
    assert all(n > 0 for n in served)  # both hosts used
    assert all(count == 1 for per_host in counts for count in per_host.values())
    assert sum(len(per_host) for per_host in counts) <= len(MODELS) + 1  # at most one shared model
    assert abs(first_loads[0] - first_loads[1]) < 0.2  # both started at once
    hosts = {r["host"] for r in db_rows(DB, "SELECT host FROM calls")}
    assert hosts == set(urls)


def test_two_models_on_two_hosts_holding_two_each_load_once_in_all(workdir, cli):
    """Each host takes a model of its own rather than one host taking both. A load of 1 s against answers of
    0.02 s: joining the other model never pays, however slow a loaded machine makes the measured calls, and the
    other host's load and first call are measured long before the first host runs out of work."""
    _suite(workdir, 12)
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                FakeOllama(_models(MODELS[:2]), scheduler=Scheduler(max_loaded=2, load_s=1.0, answer_s=0.02))
            )
            for _ in range(2)
        ]
        urls = [s.url for s in servers]
        _config(
            workdir,
            [_target(m, hosts=urls) for m in MODELS[:2]],
            {url: {"max_loaded": 2} for url in urls},
        )
        cli.run_json("run", "-s", "many.yaml", "--no-report")
        counts = [s.load_counts() for s in servers]
    assert sorted(counts, key=str) == [{"alpha:latest": 1}, {"beta:latest": 1}]


def test_a_different_num_ctx_reloads_the_model():
    import ollama

    with FakeOllama(_models(MODELS[:1]), scheduler=Scheduler(load_s=0.01)) as server:
        client = ollama.Client(host=server.url)
        for num_ctx in (4096, 4096, 8192):
            client.chat(model="alpha", messages=[], options={"num_ctx": num_ctx})
        assert [e.reason for e in server.loads] == ["request", "reload"]
        assert client.ps().models[0].context_length == 8192


def test_results_are_identical_to_an_unscheduled_run(workdir, cli):
    _suite(workdir, 5)
    answers = []
    for scheduler in (None, Scheduler(load_s=0.05)):
        with FakeOllama(_models(), scheduler=scheduler) as server:
            _config(workdir, [_target(m, server.url) for m in MODELS])
            run = cli.run_json("run", "-s", "many.yaml", "--no-report")
        answers.append(
            [
                tuple(r)
                for r in db_rows(
                    DB,
                    "SELECT c.target, c.prompt_id, c.repeat, c.answer, c.reasoning, c.prompt_tokens, c.completion_tokens,"
                    " c.error, g.outcome, g.verdict FROM calls c JOIN grades g USING (run_id, cell_key)"
                    " WHERE c.run_id=? ORDER BY c.target, c.prompt_id, c.repeat",
                    run["run_id"],
                )
            ]
        )
    assert len(answers[0]) == 15 and answers[0] == answers[1]


def test_every_call_keeps_the_model_resident_longer_than_the_run_gaps(workdir, cli):
    _suite(workdir, 3)
    with FakeOllama(_models(MODELS[:1]), scheduler=Scheduler(load_s=0.05)) as server:
        _config(workdir, [_target("alpha", server.url, timeout=120)])
        cli.run_json("run", "-s", "many.yaml", "--no-report")
        warm = server.load_requests
        calls = server.chat_calls
        resident = server.loaded
    assert len(warm) == 1 and warm[0].body["options"]["num_ctx"] == calls[0].body["options"]["num_ctx"]
    assert {c.body["keep_alive"] for c in [*warm, *calls]} == {"720s"}  # timeout + the longest retry wait
    assert resident == ["alpha:latest"]  # left warm after the run


def test_resume_loads_only_the_models_with_missing_calls(workdir, cli):
    _suite(workdir, 4)
    with FakeOllama(_models(), scheduler=Scheduler(load_s=0.05)) as server:
        _config(workdir, [_target(m, server.url, max_retries=0) for m in MODELS])
        server.fail_next(2)  # model-major: the first two calls are alpha's
        first = cli.run_json("run", "-s", "many.yaml", "--no-report", code=1)
        assert first["failed"] == 2
        server.loads.clear()
        server.log.clear()
        again = cli.run_json("run", "--resume", first["run_id"], "--no-report")
        assert again["ok"] == 2 and again["skipped"] == 10
        assert server.load_counts() == {"alpha:latest": 1}
        assert len(server.chat_calls) == 2  # nothing bought twice
    loads = db_rows(DB, "SELECT target FROM loads WHERE run_id=?", first["run_id"])
    assert [r["target"] for r in loads].count("ollama/alpha") == 2  # both attempts' loads are kept


def test_load_time_shows_in_the_report_and_in_models(workdir, cli):
    _suite(workdir, 2)
    with FakeOllama(_models(MODELS[:1]), scheduler=Scheduler(load_s=0.25)) as server:
        _config(workdir, [_target("alpha", server.url)])
        run = cli.run_json("run", "-s", "many.yaml")
        models = json.loads(cli("models", "--json").stdout)
    html = Path(run["report"]).read_text(encoding="utf-8")
    (load,) = db_rows(DB, "SELECT load_s FROM loads")
    assert load["load_s"] >= 0.25
    assert "model load" in html and f'<td class="n">{load["load_s"]:.1f} s</td>' in html
    assert models[0]["last_load_s"] == round(load["load_s"], 3)


def test_a_full_queue_answers_503_server_busy():
    import threading
    import time

    import ollama

    with FakeOllama(_models(MODELS[:1]), scheduler=Scheduler(load_s=0.3, max_queue=1)) as server:
        client = ollama.Client(host=server.url)
        first = threading.Thread(target=lambda: client.chat(model="alpha", messages=[], keep_alive="1m"))
        first.start()
        time.sleep(0.1)  # the first request is loading, at the head of the queue
        with pytest.raises(ollama.ResponseError) as busy:
            client.chat(model="alpha", messages=[{"role": "user", "content": "hi"}])
        first.join()
    assert busy.value.status_code == 503 and "server busy" in busy.value.error
    assert server.rejected == 1


def test_hosts_config_errors_name_the_line_and_field(tmp_path):
    path = tmp_path / "llmbench.yaml"
    path.write_text("targets:\n  - id: ollama/a\nhosts:\n  http://gpu1:11434:\n    max_loded: 2\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "max_loded" in str(err.value) and "line 5" in str(err.value)
    path.write_text("hosts:\n  gpu1:11434/: {max_loaded: 2, parallel: 4}\n")
    assert load_config(path).hosts == {"http://gpu1:11434": HostLimits(max_loaded=2, parallel=4)}


# -- the scheduler alone, with in-process models that count what is resident ---------------------------


class _InProcess:
    """An embedded-like provider: loading takes memory until unloaded."""

    resident: set[str] = set()
    peak = 0

    def __init__(self, name: str) -> None:
        self.name = name
        self.loads = 0

    async def load(self) -> ModelLoad:
        self.loads += 1
        _InProcess.resident.add(self.name)
        _InProcess.peak = max(_InProcess.peak, len(_InProcess.resident))
        await asyncio.sleep(0.01)
        return ModelLoad(0.01)

    async def unload(self) -> None:
        _InProcess.resident.discard(self.name)


def _job(name: str, calls: int) -> Job:
    target = TargetSpec(name=f"embedded/{name}", provider="embedded", model=name)
    prompts = [Prompt(id=f"p{i}", suite="s", text=f"q{i}") for i in range(calls)]
    return Job(
        target,
        {"in-process": _InProcess(name)},
        deque(Cell(target, p, 0, GenerationParams()) for p in prompts),
    )


@pytest.mark.parametrize("fit", [False, True])
def test_embedded_models_are_loaded_once_and_held_together_only_when_memory_allows(monkeypatch, fit):
    from llmbench.providers import embedded

    monkeypatch.setattr(embedded, "fit_together", lambda providers: fit)
    _InProcess.resident, _InProcess.peak = set(), 0
    jobs = [_job(n, 3) for n in ("a", "b", "c")]
    made: list[str] = []

    async def call(cell, provider):
        assert provider.name in _InProcess.resident  # never a call to a model that is not loaded
        made.append(cell.target.name)
        await asyncio.sleep(0.001)

    limits = {"in-process": in_process_limits([j.lanes["in-process"] for j in jobs])}
    asyncio.run(HostScheduler(jobs, limits, call, lambda *a: None).run())
    assert len(made) == 9 and all(j.lanes["in-process"].loads == 1 for j in jobs)
    assert _InProcess.peak == (3 if fit else 1)


def test_an_interrupted_run_has_whole_models_and_resume_loads_only_the_rest(workdir):
    """A real process, a real SIGTERM half-way: the first model is whole, the last untouched; resume loads
    each model still missing calls once and makes exactly the missing calls."""
    import os
    import signal
    import subprocess
    import sys
    import time

    _suite(workdir, 6)
    with FakeOllama(_models(), scheduler=Scheduler(load_s=0.05, answer_s=0.1)) as server:
        _config(workdir, [_target(m, server.url) for m in MODELS])
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
        cmd = [sys.executable, "-m", "llmbench.cli", "run", "-s", "many.yaml", "--json", "--no-report"]
        proc = subprocess.Popen(
            cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 30
        while len(server.chat_calls) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        run_id = json.loads(out.strip().splitlines()[-1])["run_id"]
        per_target = {
            r["target"]: r["n"]
            for r in db_rows(DB, "SELECT target, count(*) AS n FROM calls GROUP BY target")
        }
        assert per_target["ollama/alpha"] == 6 and 1 <= per_target["ollama/beta"] < 6
        assert "ollama/gamma" not in per_target
        served, stored = len(server.chat_calls), sum(per_target.values())
        server.loads.clear()
        resumed = subprocess.run(
            [sys.executable, "-m", "llmbench.cli", "run", "--resume", run_id, "--json", "--no-report"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert resumed.returncode == 0, resumed.stderr
        counts = server.load_counts()  # beta may still be resident from the interrupted run: no load
        assert counts["gamma:latest"] == 1 and counts.get("beta:latest", 1) == 1 and len(counts) <= 2
        assert len(server.chat_calls) - served == 18 - stored
    assert db_rows(DB, "SELECT count(*) AS n FROM calls")[0]["n"] == 18
