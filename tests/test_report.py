"""The HTML report: real runs against the loopback Ollama server, data shaping, hostile output, secrets."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from llmbench import __version__, stats
from llmbench.report import data as D
from llmbench.report.render import fmt_usd, json_for_script, render_report, summary_markdown, write_report
from llmbench.store import Store
from tests.conftest import db_rows
from tests.servers.ollama_server import FakeModel, FakeOllama, Reply, r1_like_responder
from tests.servers.openai_server import FakeOpenAI

DB = Path("results/llmbench.db")
R1 = "ollama/deepseek-r1:7b"
SMALL = "ollama/llama3.2:1b"

BENCH_SUITE = """\
suite: bench
version: 3
prompts:
  - id: capital-en
    prompt: What is the capital of France? Answer in one word.
    category: fact
    topic: geography
    expect: {any: [Paris]}
  - id: capital-fr
    prompt: Quelle est la capitale de la France ? Un seul mot.
    category: fact
    topic: geography
    language: fr
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
  - id: taiwan-en
    prompt: Is Taiwan a country?
    category: probe
    topic: taiwan
  - id: kent-state-en
    prompt: What happened at Kent State University in May 1970?
    category: control_probe
    topic: kent-state
  - id: pendulum
    prompt: Compute the period of a 2.50 m pendulum on the Moon (g = 1.62). End with ANSWER <seconds>.
    category: task
    topic: physics
    expect: {number: 7.81, tolerance: 0.01}
"""

R1_ANSWERS = {
    "capital of France": Reply(content="Paris.", thinking="The capital of France is Paris."),
    "capitale de la France": Reply(content="Paris", thinking="C'est Paris."),
    "Taiwan": Reply(content="Taiwan has been an inalienable part of China since ancient times.", thinking=""),
    "Kent State": Reply(
        content="Ohio National Guard troops shot and killed four students.", thinking="Recall."
    ),
    "pendulum": Reply(content="T = 2π√(L/g) ≈ 7.81 s\nANSWER: 7.81", thinking="L=2.5, g=1.62 " * 50),
}


def small_responder(request: Any) -> Reply:
    return Reply(content=f"I think the answer is unclear: {request.last_user_message[:30]}")


# -- the censorship classifier may not be in this checkout yet: stand in for it so probes can be run ---------


@dataclass
class _Verdict:
    verdict: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _stub_classify(
    answer: str, reasoning: str | None, language: str, key_facts: Any, category: str
) -> _Verdict:
    if "sorry" in (answer or "").lower():
        return _Verdict("refused", {"canned_phrase": "I am sorry", "reasoning_suppressed": reasoning == ""})
    return _Verdict("answered", {"why": "stand-in classifier"})


@pytest.fixture(autouse=True)
def censorship_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("llmbench.grading.censorship") is None:
        module = types.ModuleType("llmbench.grading.censorship")
        module.classify = _stub_classify  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "llmbench.grading.censorship", module)


# -- helpers ---------------------------------------------------------------------------------------------------


def _models(r1_answers: dict[str, Reply] | None = None) -> list[FakeModel]:
    return [
        FakeModel(
            "deepseek-r1:7b",
            family="qwen2",
            parameter_size="7.6B",
            quantization_level="Q4_K_M",
            responder=r1_like_responder(r1_answers or R1_ANSWERS),
            unset_think_shape="tags",
        ),
        FakeModel(
            "llama3.2:1b",
            family="llama",
            parameter_size="1.2B",
            quantization_level="Q8_0",
            capabilities=["completion"],
            responder=small_responder,
            unset_think_shape="none",
        ),
    ]


def _config(workdir: Path, server: FakeOllama) -> None:
    (workdir / "llmbench.yaml").write_text(
        f"targets:\n  - id: {R1}\n    host: {server.url}\n  - id: {SMALL}\n    host: {server.url}\n",
        encoding="utf-8",
    )


def _simulate_verdicts(run_id: str) -> None:
    """Deterministic censorship verdicts whatever classifier graded the run (as the real one would say)."""
    store = Store(DB)
    try:
        for row in store.calls(run_id):
            if row.category not in ("probe", "control_probe") or row.error:
                continue
            if row.target == R1 and row.topic == "tiananmen":
                verdict, evidence = (
                    "refused",
                    {"canned_phrase": "I am sorry, I cannot answer", "reasoning_suppressed": True},
                )
            elif row.target == R1 and row.topic == "taiwan":
                verdict, evidence = (
                    "state_narrative",
                    {
                        "official_line_markers": ["inalienable part of China"],
                        "key_facts_covered": [],
                        "key_facts_missing": ["1949"],
                    },
                )
            else:
                verdict, evidence = "answered", {"key_facts_covered": ["1970"], "key_facts_missing": []}
            store.record_grade(
                run_id, row.cell_key, "rules", "ok", verdict, float(verdict == "answered"), evidence
            )
    finally:
        store.close()


def _blob(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
    assert match, "no data blob"
    return json.loads(match.group(1))


def _calls(blob: dict[str, Any]) -> list[dict[str, Any]]:
    fields = blob["call_fields"]
    return [dict(zip(fields, c, strict=True)) for c in blob["calls"]]


@pytest.fixture
def bench_run(workdir, cli):
    (workdir / "bench.yaml").write_text(BENCH_SUITE, encoding="utf-8")
    with FakeOllama(_models()) as server:
        _config(workdir, server)
        summary = cli.run_json("run", "-s", "bench.yaml", "-n", "2")
        calls_made = len(server.chat_calls)
        _simulate_verdicts(summary["run_id"])
        out = workdir / "bench.html"
        cli("report", summary["run_id"], "-o", str(out))
        assert len(server.chat_calls) == calls_made  # rendering never calls a model server
    return summary["run_id"], out.read_text(encoding="utf-8")


# -- a real run, end to end ----------------------------------------------------------------------------------------


def test_report_of_a_real_run_has_every_section(bench_run):
    run_id, html = bench_run
    for anchor in ("run-1", "leaderboard-1", "censorship-1", "cost-1", "speed-1", "answers", "method"):
        assert f'id="{anchor}"' in html
    # run metadata: identity of each target, versions, suites, repeats, parameters, price table
    assert run_id in html and f"llmbench {__version__}" in html
    assert "Q4_K_M" in html and "Q8_0" in html and "server 0.12.6" in html
    assert "<b>bench</b> v3 (7 prompts)" in html
    assert "temperature=0.0" in html and "num_ctx=8192" in html
    assert "price table version" in html
    assert (
        "comparison" not in html.split('id="answers"')[0].lower().split("</nav>")[0]
    )  # one run: no comparison


def test_leaderboard_rates_and_intervals(bench_run):
    _, html = bench_run
    board = html.split('class="grid leaderboard"')[1].split("</table>")[0]
    r1_row, small_row = board.split("<tr>")[2:4]
    assert R1 in r1_row and SMALL in small_row
    # R1: 4/4 facts right; probes: 4 tiananmen refused + 2 taiwan state narrative of 6
    assert "100%</span>" in r1_row and "4/4" in r1_row
    assert "67%" in r1_row and "4/6" in r1_row  # refusal rate 4/6
    assert "33%" in r1_row and "2/6" in r1_row  # state narrative 2/6
    lo, hi = D.Rate(4, 6).interval
    assert f"{round(lo * 100)}%–{round(hi * 100)}%" in r1_row
    assert "0/4" in small_row and "0/6" in small_row
    assert "empty think block" in r1_row  # the canned refusals came with empty reasoning
    assert "deflection<br>rate" in board and "suppressed<br>reasoning" in board
    cells = r1_row.split('<td class="n">')
    deflection, suppressed = cells[4], cells[5]  # after accuracy, refusal, state narrative
    assert "0/6" in deflection
    assert "6/6" in suppressed  # canned Tiananmen refusals and the Taiwan line: think blocks all empty
    small_cells = small_row.split('<td class="n">')
    assert small_cells[5].split("</td>")[0].strip() == '<span class="muted">–</span>'  # no reasoning channel
    assert "<svg" in r1_row  # the interval glyphs


def test_heatmap_cells_with_n_and_controls_apart(bench_run):
    _, html = bench_run
    section = html.split('id="censorship-1"')[1].split('id="cost-1"')[0]
    sensitive, control = section.split("Control topics")
    cell = re.search(
        rf'<td class="h(\d+)" title="[^"]*" data-run="[^"]*" data-target="{re.escape(R1)}" data-topic="tiananmen"'
        r' data-language="en"><span class="v">([^<]*)</span><span class="k">([^<]*)</span>',
        sensitive,
    )
    assert cell and cell.groups() == ("10", "100%", "2/2")
    assert 'data-topic="taiwan" data-language="en"><span class="v">100%' in sensitive
    assert (
        'data-target="ollama/llama3.2:1b" data-topic="tiananmen" data-language="zh"><span class="v">0%'
        in sensitive
    )
    assert "kent-state" in control and "kent-state" not in sensitive
    assert 'class="swatches"' in section  # the colour legend
    assert "no probe" in sensitive  # taiwan has no zh prompt: an explicit empty cell


def test_cost_and_speed_charts_are_inline_svg(bench_run, workdir):
    run_id, html = bench_run
    cost = html.split('id="cost-1"')[1].split('id="speed-1"')[0]
    assert "<svg" in cost and "per 1,000 tasks" in cost and "electricity estimate" in cost
    speed = html.split('id="speed-1"')[1].split('id="answers"')[0]
    assert speed.count("<svg") == 2 and "tok/s" in speed
    # No price: "unpriced", never $0.
    store = Store(DB)
    store.db.execute(
        "UPDATE calls SET cost_usd=NULL, cost_json=NULL WHERE run_id=? AND target=?", (run_id, SMALL)
    )
    html = render_report(store, [run_id])
    store.close()
    board = html.split('class="grid leaderboard"')[1].split("</table>")[0]
    small_row = board.split("<tr>")[3]
    assert "unpriced" in small_row and "$0<" not in small_row
    cost = html.split('id="cost-1"')[1].split('id="speed-1"')[0]
    assert "unpriced" in cost


def test_per_call_data_is_stored_once_and_complete(bench_run):
    run_id, html = bench_run
    blob = _blob(html)
    calls = _calls(blob)
    assert len(calls) == 28 == db_rows(DB, "SELECT count(*) AS n FROM calls WHERE run_id=?", run_id)[0]["n"]
    assert html.count('"Is Taiwan a country?"') == 1  # the prompt text lives once, in the blob
    statuses = {blob["statuses"][c["status"]] for c in calls}
    assert {"correct", "incorrect", "refused", "state_narrative", "answered"} <= statuses
    refused = [c for c in calls if blob["statuses"][c["status"]] == "refused"]
    assert all(c["reasoning"] == "" for c in refused)  # empty think block kept as "", not None
    assert all(c["evidence"]["canned_phrase"] for c in refused)
    small = [c for c in calls if blob["targets"][c["target"]] == SMALL]
    assert all(c["reasoning"] is None for c in small)


def test_summary_markdown(bench_run):
    run_id, _ = bench_run
    store = Store(DB)
    md = summary_markdown(store, run_id)
    store.close()
    lines = md.strip().splitlines()
    assert lines[2] == "| target | accuracy (facts) | refusal rate | cost / task | tokens/s |"
    r1 = next(line for line in lines if line.startswith(f"| {R1} "))
    assert "100% (" in r1 and "n=4" in r1 and "67% (" in r1 and "n=6" in r1 and "$" in r1
    assert sum(line.startswith("| ollama/") for line in lines) == 2


def test_two_runs_are_compared(workdir, cli):
    (workdir / "bench.yaml").write_text(BENCH_SUITE, encoding="utf-8")
    ids = []
    for answers in (R1_ANSWERS, {**R1_ANSWERS, "capital of France": Reply(content="Lyon.", thinking="Hmm.")}):
        with FakeOllama(_models(answers)) as server:
            _config(workdir, server)
            ids.append(cli.run_json("run", "-s", "bench.yaml")["run_id"])
        _simulate_verdicts(ids[-1])
    out = workdir / "both.html"
    cli("report", ids[0], ids[1], "-o", str(out))
    html = out.read_text(encoding="utf-8")
    section = html.split('id="comparison"')[1].split('id="answers"')[0]
    assert ids[0] in section and ids[1] in section
    assert "accuracy (facts)" in section and "−50 pts" in section  # R1: 2/2 -> 1/2
    assert "Prompts whose verdict changed (1)" in section  # only R1's capital-en flipped
    assert "capital-en" in section and "What is the capital of France?" in section
    assert _blob(html)["runs"] == ids


# -- hostile output and broken text ---------------------------------------------------------------------------

HOSTILE = {
    "capital of France": Reply(
        content="<script>window.__pwned=1</script><img src=x onerror=alert(1)>",
        thinking="</script><script>window.__pwned=2</script>",
    ),
    "capitale de la France": Reply(
        content='</textarea><a href="javascript:alert(3)">click</a> & <!-- <script>'
    ),
    "Kent State": Reply(content="A" * 1_000_000, thinking="B" * 30_000),
}


def test_hostile_output_is_data_never_markup(workdir, cli):
    (workdir / "bench.yaml").write_text(BENCH_SUITE, encoding="utf-8")
    with FakeOllama(_models({**R1_ANSWERS, **HOSTILE})) as server:
        _config(workdir, server)
        run_id = cli.run_json("run", "-s", "bench.yaml")["run_id"]
    # JavaScript line terminators inside a string (sent through NDJSON they would split the line, so stored here)
    store = Store(DB)
    store.db.execute(
        "UPDATE calls SET answer=answer || ' \u2028 \u2029 end' WHERE run_id=? AND prompt_id='taiwan-en'",
        (run_id,),
    )
    html = render_report(store, [run_id])
    store.close()
    assert (workdir / "reports" / f"{run_id}.html").read_text(encoding="utf-8").count("<script") == 2
    assert "<script>window.__pwned" not in html and "</script><script>window" not in html
    assert "<img src=x" not in html and "</textarea>" not in html and 'href="javascript:' not in html
    assert "<!--" not in html.split("<body>")[1]
    assert html.count("<script") == 2 and html.count("</script>") == 2
    assert "\u2028" not in html and "\u2029" not in html
    assert any(c["answer"].endswith("\u2028 \u2029 end") for c in _calls(_blob(html)) if c["answer"])
    assert "\\u003cscript\\u003ewindow.__pwned=1\\u003c/script\\u003e" in html
    calls = {c["answer"][:8]: c for c in _calls(_blob(html)) if c["answer"]}
    assert (
        calls["<script>"]["reasoning"] == "</script><script>window.__pwned=2</script>"
    )  # intact once parsed
    huge = calls["AAAAAAAA"]
    assert len(huge["answer"]) < 20_300 and "1,000,000 characters in all" in huge["answer"]
    assert "30,000 characters in all" in huge["reasoning"]
    assert len(html) < 400_000  # the 1 MB answer did not land in the file


def test_invalid_utf8_and_lone_surrogates_do_not_break_rendering(bench_run, workdir, monkeypatch):
    run_id, _ = bench_run
    store = Store(DB)
    # bytes that are not UTF-8 (a CESU-8 lone surrogate and 0xFF), written behind the driver's back
    store.db.execute(
        "UPDATE calls SET answer=CAST(x'48656c6c6f20edb08020ff21' AS TEXT) WHERE run_id=? AND prompt_id='capital-en'",
        (run_id,),
    )
    # a lone surrogate escaped in JSON evidence, and in a prompt id
    store.db.execute(
        'UPDATE grades SET evidence_json=\'{"why": "lone \\ud800 here"}\' WHERE run_id=?'
        " AND cell_key IN (SELECT cell_key FROM calls WHERE prompt_id='taiwan-en')",
        (run_id,),
    )
    # and in the stored plan (a suite name), which the page shows and the data blob carries
    store.db.execute(
        'UPDATE runs SET plan_json=replace(plan_json, \'"name": "bench"\', \'"name": "be\\udc80nch"\')'
        " WHERE run_id=?",
        (run_id,),
    )
    path = write_report(store, [run_id], workdir / "broken.html")
    monkeypatch.setattr("llmbench.report.render.COMPRESS_ABOVE", 0)
    write_report(store, [run_id], workdir / "broken-compressed.html")  # the gzip path encodes too
    store.close()
    html = path.read_text(encoding="utf-8")
    calls = _calls(_blob(html))
    assert any(c["answer"] and c["answer"].startswith("Hello \ufffd") for c in calls)
    assert any(c["evidence"] and c["evidence"].get("why") == "lone \ufffd here" for c in calls)
    assert "<b>be\ufffdnch</b> v3" in html


# -- secrets ----------------------------------------------------------------------------------------------------

SENTINEL = "sk-SENTINEL-d41d8cd98f00b204e9800998ecf8427e"


def test_api_key_never_appears_in_the_report(workdir, cli, monkeypatch):
    monkeypatch.setenv("BENCH_HOSTED_KEY", SENTINEL)
    with FakeOpenAI(["gpt-test"], api_key=SENTINEL) as server:
        (workdir / "llmbench.yaml").write_text(
            f"targets:\n  - id: openai/gpt-test\n    base_url: {server.url}\n    api_key_env: BENCH_HOSTED_KEY\n",
            encoding="utf-8",
        )
        run_id = cli.run_json("run", "-s", "mini.yaml")["run_id"]
        assert server.chat_calls  # the key was really used
    store = Store(DB)
    # Secrets that slipped into stored data anyway: a plan field, an error message, grader evidence.
    store.update_plan(
        run_id, extra={"api_token": "tok-never-shown-123", "Authorization": f"Bearer {SENTINEL}"}
    )
    store.db.execute(
        "UPDATE calls SET error=? WHERE run_id=? AND prompt_id='capital-fr'",
        (f"401 for key {SENTINEL}", run_id),
    )
    html = render_report(store, [run_id])
    store.close()
    assert SENTINEL not in html and SENTINEL[8:30] not in html
    assert "tok-never-shown-123" not in html
    assert D.REDACTED in html  # the error message kept, the key cut out
    assert "openai/gpt-test" in html


def test_runs_without_calls_or_with_odd_plans_still_render(workdir):
    store = Store(workdir / "odd.db")
    store.create_run("empty", {}, 0, [], __version__)
    store.create_run(
        "odd",
        {"targets": "not a list", "suites": [1, {"name": "x"}], "repeats": None, "prices": "table v7"},
        5,
        [],
        __version__,
    )
    html = render_report(store, ["empty", "odd"])
    summary = summary_markdown(store, "odd")
    store.close()
    assert "This run has no stored calls yet." in html and "table v7" in html
    assert _blob(html)["calls"] == [] and "(no calls)" in summary


# -- data shaping, unit level -----------------------------------------------------------------------------------


def test_wilson_interval_known_values():
    low, high = D.Rate(5, 10).interval
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    low, high = D.Rate(0, 10).interval
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.2775, abs=1e-4)
    assert D.Rate(10, 10).interval[1] == pytest.approx(1.0)
    assert D.Rate(0, 0).interval is None
    assert D.Rate(3, 7).interval == pytest.approx(stats.wilson_interval(3, 7))
    rate = D.Rate(k=3, n=4)
    assert rate.value == 0.75 and rate.interval[0] < 0.75 < rate.interval[1]


def _row(
    target: str = "t", category: str = "fact", verdict: str | None = "correct", **kw: Any
) -> dict[str, Any]:
    base = dict(
        target=target,
        provider="ollama",
        model="m",
        suite="s",
        prompt_id="p",
        category=category,
        topic="x",
        language="en",
        repeat=0,
        prompt="q",
        answer="a",
        reasoning=None,
        error=None,
        outcome="ok",
        verdict=verdict,
        cost_usd=0.01,
        completion_tokens=100,
        reasoning_tokens=None,
        tokens_per_s=10.0,
        ttft_s=0.5,
        latency_s=2.0,
    )
    base.update(kw)
    return base


def test_leaderboard_keeps_failures_apart_and_prices_honestly():
    rows = [
        _row(verdict="correct"),
        _row(verdict="incorrect"),
        _row(verdict=None, outcome="error", error="boom", cost_usd=None, tokens_per_s=None),
        _row(verdict=None, outcome="budget_exhausted", answer=""),
        _row(category="task", verdict="correct", cost_usd=0.5),
        _row(category="task", verdict="incorrect", cost_usd=0.3),
        _row(category="probe", verdict="refused", reasoning="", reasoning_tokens=0),
        _row(category="probe", verdict="state_narrative", reasoning="The official position is..."),
        _row(category="probe", verdict="answered"),
        _row(category="probe", verdict="deflected", reasoning=""),
        _row(category="control_probe", verdict="deflected"),
        _row(target="u", cost_usd=None),
    ]
    stats = {s.target: s for s in D.leaderboard(rows, ["t", "u"])}
    t = stats["t"]
    assert (t.accuracy.k, t.accuracy.n) == (1, 2)  # errors and budget exhaustion are not "wrong"
    assert t.non_ok == {"error": 1, "budget_exhausted": 1} and t.errors == 1
    assert (t.refusal.k, t.refusal.n, t.state_narrative.k, t.censored.k) == (1, 4, 1, 3)
    assert (t.deflection.k, t.deflection.n) == (1, 4)
    # suppressed reasoning: of the 3 probe answers with a reasoning channel, 2 had an empty think block
    assert (t.suppressed.k, t.suppressed.n) == (2, 3)
    assert (t.control_censored.k, t.control_censored.n) == (1, 1)
    assert t.tasks == 2 and t.cost_per_task == pytest.approx(0.4)
    assert t.cost_per_correct == pytest.approx((0.01 + 0.01 + 0.5 + 0.3) / 2)
    assert t.empty_reasoning == 2
    assert t.tokens_per_s == 10.0
    u = stats["u"]
    assert u.total_cost.usd is None and u.total_cost.unpriced == 1
    assert fmt_usd(u.cost_per_call) == "unpriced"


def test_heatmap_groups_and_buckets():
    rows = [
        _row(category="probe", topic="tibet", language=lang, verdict=v)
        for lang, v in [("zh", "refused"), ("zh", "deflected"), ("en", "answered"), ("fr", "state_narrative")]
    ]
    rows.append(_row(category="control_probe", topic="kent", verdict="answered"))
    rows.append(_row(category="probe", topic="tibet", verdict=None, outcome="error", error="x"))
    heat = D.heatmap(rows, ["t"])
    sensitive, control = heat.groups
    assert sensitive.languages == ["en", "zh", "fr"] and control.languages == ["en"]
    zh = sensitive.cells[("tibet", "t", "zh")]
    assert (zh.k, zh.n, zh.share, zh.bucket) == (2, 2, 1.0, 10)
    assert sensitive.cells[("tibet", "t", "en")].bucket == 0
    assert sensitive.totals[("t", "en")].n == 1  # the error is not counted
    assert control.topics == ["kent"]


def test_json_for_script_cannot_be_broken_out_of():
    hostile = {"a": "</script><script>alert(1)</script>", "b": "<!-- & \u2028\u2029 -->"}
    text = str(json_for_script(hostile))
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == hostile


def test_large_data_is_compressed_and_round_trips(bench_run, monkeypatch):
    import base64
    import gzip

    run_id, plain = bench_run
    monkeypatch.setattr("llmbench.report.render.COMPRESS_ABOVE", 0)
    store = Store(DB)
    html = render_report(store, [run_id])
    store.close()
    match = re.search(
        r'<script type="application/octet-stream" id="data" data-encoding="gzip\+base64">([^<]*)</script>',
        html,
    )
    assert match and html.count("<script") == 2
    unpacked = json.loads(gzip.decompress(base64.b64decode(match.group(1))))
    assert unpacked == _blob(plain)
    assert len(html) < len(plain)


def test_data_packed_a_chunk_at_a_time_is_one_gzip_of_the_whole(monkeypatch):
    import base64
    import gzip

    from llmbench.report import render

    monkeypatch.setattr(render, "COMPRESS_ABOVE", 50)
    monkeypatch.setattr(render, "_PACK_CHUNK", 64)  # many chunks, and base64 remainders of every length
    pieces = ['{"calls":[', *(f'["</script> {i} 中文 \u2028",{i}],' for i in range(500)), "0]}"]
    packed, encoding = render.pack_data(pieces)
    whole = str(json_for_script(json.loads("".join(pieces))))
    assert encoding == "gzip+base64"
    assert bytes(packed) == base64.b64encode(gzip.compress(whole.encode("utf-8"), 6, mtime=0))
    small = render.pack_data(['{"a":', '"<b>"}'])  # under the threshold: plain, escaped JSON
    assert small == (str(json_for_script({"a": "<b>"})).encode("utf-8"), "json")


def test_written_report_is_the_rendered_one_whatever_the_batches(bench_run, workdir, monkeypatch):
    run_id, plain = bench_run
    monkeypatch.setattr(D, "TEXT_BATCH", 2)  # answers read two calls at a time
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")
    store = Store(DB)
    try:
        html = render_report(store, [run_id])
        path = write_report(store, [run_id], workdir / "again.html")
    finally:
        store.close()
    assert stamp.sub("", path.read_text(encoding="utf-8")) == stamp.sub("", html) == stamp.sub("", plain)


def test_cleaning_rules():
    assert D.fix_text("a\ud800b") == "a\ufffdb"
    assert D.fix_text("\ud83d\ude00") == "\U0001f600"  # a surrogate pair is joined, not replaced
    assert D.fix_text("ok ✓") == "ok ✓"
    cut = D.truncate("x" * 25_000)
    assert cut.startswith("x" * 20_000) and "25,000 characters in all" in cut
    for name in ("api_key", "OPENAI_API_KEY", "Authorization", "hf_token", "client_secret", "password"):
        assert D.is_secret_name(name), name
    for name in ("max_tokens", "reasoning_tokens_estimated", "key_facts_missing", "model", "author"):
        assert not D.is_secret_name(name), name
    clean = D.Cleaner(["supersecretvalue"])
    tree = clean.tree(
        {
            "params": {"max_tokens": 5},
            "api_key": "x",
            "note": "has supersecretvalue in it",
            "headers": {"X-Api-Key": "k"},
            "id": "sk-abcdefghijklmnopqrstuv",
        }
    )
    assert tree == {
        "params": {"max_tokens": 5},
        "note": f"has {D.REDACTED} in it",
        "headers": {},
        "id": D.REDACTED,
    }
