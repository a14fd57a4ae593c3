"""Cost: dated hosted prices, time-of-day windows, cache and reasoning billing, local costs, budget gate.

Every expected number is worked out by hand in the comment beside it (USD per 1M tokens x tokens / 1e6).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from llmbench.config import load_config
from llmbench.cost import (
    DEFAULT_LOCAL_COST,
    LocalCostModel,
    Pricer,
    PriceTable,
    cost_per_correct,
    estimate_prompt_tokens,
    local_cost_for,
    parse_local_costs,
    parse_prices,
    price_call,
    price_local,
    projection,
    worst_case_usd,
)
from llmbench.errors import ConfigError
from llmbench.records import Completion, TargetSpec

R1 = "deepseek/deepseek-reasoner"
LAUNCH_WEEK = datetime(2025, 1, 28, 12, 0, tzinfo=UTC)  # R1 launch prices, before any discount window


@pytest.fixture
def table() -> PriceTable:
    return PriceTable.load()


@pytest.fixture
def offline_table() -> PriceTable:
    """The bundled table without litellm's map, so results never depend on the installed litellm."""
    return PriceTable.load(use_litellm=False)


# ---------------------------------------------------------------------------------------------------
# The bundled table
# ---------------------------------------------------------------------------------------------------


def test_bundled_table_is_dated_versioned_and_sourced(offline_table: PriceTable) -> None:
    assert offline_table.version == "1"
    assert offline_table.as_of is not None
    assert {R1, "openai/o1", "openai/gpt-4o-mini"} <= set(offline_table.entries)
    for entries in offline_table.entries.values():
        for entry in entries:
            assert entry.source, "every bundled price names its source"
            assert entry.valid_from is not None
    launch = offline_table.entries[R1][0]
    assert (launch.input, launch.input_cached, launch.output) == (0.55, 0.14, 2.19)
    o1 = offline_table.entries["openai/o1"][0]
    assert (o1.input, o1.input_cached, o1.output) == (15.0, 7.5, 60.0)
    mini = offline_table.entries["openai/gpt-4o-mini"][0]
    assert (mini.input, mini.input_cached, mini.output) == (0.15, 0.075, 0.60)


# ---------------------------------------------------------------------------------------------------
# Hosted calls
# ---------------------------------------------------------------------------------------------------


def test_krenn_shaped_comparison_r1_launch_vs_o1(offline_table: PriceTable) -> None:
    """The same usage priced at R1's launch prices and at o1's: about 27x more, driven by output."""
    usage = {"prompt_tokens": 200_000, "completion_tokens": 1_000_000, "reasoning_tokens": 800_000}
    r1 = price_call(offline_table, "r1", "litellm", R1, **usage, cached_tokens=0, at=LAUNCH_WEEK)
    o1 = price_call(offline_table, "o1", "openai", "o1", **usage, cached_tokens=0, at=LAUNCH_WEEK)
    # R1: 200k x 0.55 = $0.11 input, 1M x 2.19 = $2.19 output -> $2.30
    assert r1.source == "table" and r1.price_key == R1 and r1.rate_period is None
    assert r1.input_usd == pytest.approx(0.11)
    assert r1.output_usd == pytest.approx(2.19)
    assert r1.usd == pytest.approx(2.30)
    # o1 (bare name "o1" through the alias): 200k x 15 = $3, 1M x 60 = $60 -> $63
    assert o1.price_key == "openai/o1"
    assert o1.input_usd == pytest.approx(3.0)
    assert o1.output_usd == pytest.approx(60.0)
    assert o1.usd == pytest.approx(63.0)
    assert o1.output_usd / r1.output_usd == pytest.approx(60 / 2.19)  # 27.4x on output
    assert 27 <= o1.output_usd / r1.output_usd < 28
    assert o1.usd / r1.usd == pytest.approx(63 / 2.30)  # 27.4x in total
    # Krenn's $370 with o1 is, at this mix of tokens, about $13.5 with R1: same order as "< $10".
    assert 370 * r1.usd / o1.usd == pytest.approx(13.51, abs=0.01)


def test_cache_hits_are_billed_at_the_cached_rate(offline_table: PriceTable) -> None:
    hit = price_call(offline_table, "r1", "litellm", R1, 10_000, 0, 0, 6_000, LAUNCH_WEEK)
    # 4,000 misses x 0.55 = $0.0022 ; 6,000 hits x 0.14 = $0.00084
    assert hit.input_usd == pytest.approx(0.0022)
    assert hit.cached_usd == pytest.approx(0.00084)
    assert hit.usd == pytest.approx(0.00304)
    miss = price_call(offline_table, "r1", "litellm", R1, 10_000, 0, 0, None, LAUNCH_WEEK)
    assert miss.cached_usd == 0.0
    assert miss.usd == pytest.approx(0.0055)  # 10,000 x 0.55
    # A server reporting more cached tokens than prompt tokens is clamped, and the note says so.
    odd = price_call(offline_table, "r1", "litellm", R1, 100, 0, 0, 500, LAUNCH_WEEK)
    assert odd.usd == pytest.approx(100 * 0.14 / 1e6)
    assert "clamped" in odd.note


def test_reasoning_tokens_are_billed_as_output(offline_table: PriceTable) -> None:
    # completion_tokens include reasoning (OpenAI-style usage): 1,000 x 2.19, whatever part was thinking.
    thinking = price_call(offline_table, "r1", "litellm", R1, 0, 1_000, 900, 0, LAUNCH_WEEK)
    plain = price_call(offline_table, "r1", "litellm", R1, 0, 1_000, 0, 0, LAUNCH_WEEK)
    assert thinking.usd == plain.usd == pytest.approx(0.00219)
    assert thinking.reasoning_usd == pytest.approx(900 * 2.19 / 1e6)
    # Where a price bills reasoning differently: 100 answer tokens x $1 + 900 reasoning tokens x $4.
    custom = offline_table.with_overrides({"thinker": {"input": 0.5, "output": 1.0, "reasoning_output": 4.0}})
    cost = price_call(custom, "thinker", "litellm", "acme/thinker", 0, 1_000, 900, 0, LAUNCH_WEEK)
    assert cost.source == "override"
    assert cost.output_usd == pytest.approx(0.0037)
    assert cost.reasoning_usd == pytest.approx(0.0036)


def test_off_peak_window_crossing_midnight_follows_the_timestamp(offline_table: PriceTable) -> None:
    def at(text: str):
        return price_call(
            offline_table, "r1", "litellm", R1, 1_000, 2_000, 0, 0, datetime.fromisoformat(text)
        )

    # Off-peak 16:30-00:30 UTC: 1,000 x 0.135 + 2,000 x 0.55 = $0.001235
    # Standard:                1,000 x 0.55  + 2,000 x 2.19 = $0.00493
    for evening_or_night in (
        "2025-03-10T16:30:00+00:00",
        "2025-03-10T23:00:00+00:00",
        "2025-03-11T00:15:00+00:00",
    ):
        cost = at(evening_or_night)
        assert cost.rate_period == "off-peak", evening_or_night
        assert cost.usd == pytest.approx(0.001235)
    for daytime in ("2025-03-11T00:30:00+00:00", "2025-03-10T12:00:00+00:00", "2025-03-10T16:29:59+00:00"):
        cost = at(daytime)
        assert cost.rate_period == "standard", daytime
        assert cost.usd == pytest.approx(0.00493)
    # A timestamp in another zone is converted: 08:10 in Beijing is 00:10 UTC, inside the window.
    assert at("2025-03-11T08:10:00+08:00").rate_period == "off-peak"
    # A naive timestamp is taken as UTC.
    assert at("2025-03-10T23:00:00").rate_period == "off-peak"


def test_dated_entries_coexist_and_switch_at_their_boundaries(table: PriceTable) -> None:
    def cost_at(when: datetime):
        return price_call(table, "r1", "litellm", R1, 1_000, 2_000, 0, 0, when)

    # Before the discount existed, 23:00 UTC was full price and the entry has no windows at all.
    before = cost_at(datetime(2025, 2, 10, 23, 0, tzinfo=UTC))
    assert before.rate_period is None and before.usd == pytest.approx(0.00493)
    # The discount starts at 16:30 UTC on 2025-02-26 (valid_to of the launch entry is exclusive).
    assert cost_at(datetime(2025, 2, 26, 16, 29, tzinfo=UTC)).rate_period is None
    assert cost_at(datetime(2025, 2, 26, 16, 31, tzinfo=UTC)).rate_period == "off-peak"
    # After 2025-09-05 16:00 UTC the bundled table has nothing: litellm's map prices it, and says so.
    later = cost_at(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    assert later.source == "litellm"
    # Before R1 existed nothing in the table applies either; the reason names the spans it has.
    offline = PriceTable.load(use_litellm=False)
    early = price_call(offline, "r1", "litellm", R1, 1, 1, 0, 0, datetime(2024, 6, 1, tzinfo=UTC))
    assert early.usd is None
    assert "has prices only for 2025-01-20" in early.note


def test_time_zone_and_weekday_windows(offline_table: PriceTable) -> None:
    """A peak window in Beijing time on weekdays only (the shape of DeepSeek's 2026 pricing)."""
    prices = {
        "v4": {
            "valid_from": "2026-08-16",
            "input": 1.0,
            "output": 2.0,
            "timezone": "Asia/Shanghai",
            "periods": [
                {
                    "name": "peak",
                    "start": "09:00",
                    "end": "12:00",
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "input": 2.0,
                    "output": 4.0,
                },
            ],
        }
    }
    t = offline_table.with_overrides(prices)
    monday_peak = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 Monday in Beijing
    sunday_same_hour = monday_peak - timedelta(days=1)
    assert price_call(t, "v4", "litellm", "acme/v4", 1_000_000, 0, at=monday_peak).usd == pytest.approx(2.0)
    quiet = price_call(t, "v4", "litellm", "acme/v4", 1_000_000, 0, at=sunday_same_hour)
    assert quiet.rate_period == "standard" and quiet.usd == pytest.approx(1.0)


def test_override_precedence(offline_table: PriceTable) -> None:
    t = offline_table.with_overrides(
        {
            R1: {"input": 1.0, "output": 2.0, "source": "my invoice"},
            "my-r1": {"input": 3.0, "output": 4.0},
        }
    )
    # The user's price for the model beats the bundled one...
    by_model = price_call(t, "other-name", "litellm", R1, 1_000_000, 1_000_000, at=LAUNCH_WEEK)
    assert by_model.source == "override" and by_model.usd == pytest.approx(3.0)  # 1 + 2
    # ...and a price keyed by the target's own name beats the one keyed by its model.
    by_name = price_call(t, "my-r1", "litellm", R1, 1_000_000, 1_000_000, at=LAUNCH_WEEK)
    assert by_name.price_key == "my-r1" and by_name.usd == pytest.approx(7.0)  # 3 + 4
    # Without an override, the bundled table.
    assert price_call(offline_table, "x", "litellm", R1, 1, 1, at=LAUNCH_WEEK).source == "table"
    described = t.describe()
    assert described["override_keys"] == [R1, "my-r1"]
    assert described["sources_used"] == ["override"]


def test_litellm_fallback_converts_per_token_prices(table: PriceTable) -> None:
    from llmbench.providers.litellm_ import import_litellm

    cost_map = import_litellm().model_cost
    key = "dashscope/qwen-turbo"  # in litellm's map, with a separate reasoning price; not in our table
    if key not in cost_map or not cost_map[key].get("output_cost_per_reasoning_token"):
        pytest.skip(f"{key} not in this litellm's map")
    info = cost_map[key]
    cost = price_call(table, "qwen", "litellm", key, 1_000_000, 1_000_000, 600_000, 0, LAUNCH_WEEK)
    assert cost.source == "litellm" and cost.price_key == key
    # 1M x input + 400k answer tokens x output + 600k reasoning tokens x reasoning, all per token.
    expected = (
        1_000_000 * info["input_cost_per_token"]
        + 400_000 * info["output_cost_per_token"]
        + 600_000 * info["output_cost_per_reasoning_token"]
    )
    assert cost.usd == pytest.approx(expected)
    assert cost.reasoning_usd == pytest.approx(600_000 * info["output_cost_per_reasoning_token"])
    if info["input_cost_per_token"] == 5e-08:  # litellm 1.106: $0.05 / $0.20 / $0.50 per 1M
        assert cost.usd == pytest.approx(0.05 + 0.08 + 0.30)
    described = table.describe()
    assert "litellm" in described["sources_used"] and described["litellm_version"]
    used = [u for u in described["used"] if u["key"] == key][0]
    assert used["found_in"] == "litellm" and "litellm" in used["entry"]["source"]


def test_litellm_fallback_strips_the_provider_only_when_litellm_agrees(table: PriceTable) -> None:
    from llmbench.providers.litellm_ import import_litellm

    cost_map = import_litellm().model_cost
    bare = "claude-sonnet-4-5"
    if cost_map.get(bare, {}).get("litellm_provider") != "anthropic" or f"anthropic/{bare}" in cost_map:
        pytest.skip("this litellm's map files claude models differently")
    cost = price_call(table, "claude", "litellm", f"anthropic/{bare}", 1_000, 1_000, at=LAUNCH_WEEK)
    assert cost.source == "litellm" and cost.price_key == bare
    assert cost.usd == pytest.approx(
        1_000 * (cost_map[bare]["input_cost_per_token"] + cost_map[bare]["output_cost_per_token"])
    )
    # The same bare name behind another provider is not priced at Anthropic's price.
    resold = price_call(table, "resold", "litellm", f"someproxy/{bare}", 1_000, 1_000, at=LAUNCH_WEEK)
    assert resold.usd is None


def test_unknown_model_has_no_cost_and_a_reason(table: PriceTable) -> None:
    cost = price_call(table, "mystery", "litellm", "nosuchvendor/model-x", 1_000, 1_000, at=LAUNCH_WEEK)
    assert cost.usd is None and cost.source == "unknown"
    assert "no price for" in cost.note and "nosuchvendor/model-x" in cost.note and "litellm" in cost.note
    assert table.describe()["unpriced"]["nosuchvendor/model-x"] == cost.note
    # A local model is never priced per token (litellm lists some Ollama models at $0).
    local = price_call(table, "ollama/deepseek-r1:7b", "ollama", "deepseek-r1:7b", 10, 10, at=LAUNCH_WEEK)
    assert local.usd is None and "local model" in local.note
    # No usage at all: unknown, not $0.
    assert price_call(table, "o1", "openai", "o1", None, None, at=LAUNCH_WEEK).usd is None


def test_describe_is_json_and_lists_entries_used(offline_table: PriceTable) -> None:
    price_call(offline_table, "o1", "openai", "o1", 1, 1, at=LAUNCH_WEEK)
    price_call(offline_table, "o1", "openai", "o1", 2, 2, at=LAUNCH_WEEK)
    described = json.loads(json.dumps(offline_table.describe()))
    assert described["version"] == "1" and described["as_of"] == offline_table.as_of.isoformat()
    assert described["sources_used"] == ["table"]
    assert len(described["used"]) == 1
    assert described["used"][0]["key"] == "openai/o1"
    assert described["used"][0]["entry"]["output"] == 60.0


# ---------------------------------------------------------------------------------------------------
# Local models
# ---------------------------------------------------------------------------------------------------


def test_local_energy_cost_default_is_stated() -> None:
    cost = price_local(DEFAULT_LOCAL_COST, 36.0, 1_000, 3_000)
    # 350 W x 36 s = 12,600 J = 0.0035 kWh x $0.20 = $0.0007
    assert cost.source == "energy"
    assert cost.usd == pytest.approx(0.0007)
    assert DEFAULT_LOCAL_COST.is_default
    assert "default assumption" in cost.note and "350 W" in cost.note
    measured = LocalCostModel(watts=120, usd_per_kwh=0.30)
    # 120 W x 3,600 s = 0.12 kWh x $0.30 = $0.036
    assert price_local(measured, 3600, 0, 0).usd == pytest.approx(0.036)
    assert not measured.is_default and "default" not in measured.statement()


def test_local_hardware_hour_cost_and_api_equivalent(offline_table: PriceTable) -> None:
    rented = LocalCostModel(usd_per_hour=2.5, api_equivalent=R1)  # usd_per_hour alone selects hardware_hour
    assert rented.method == "hardware_hour"
    cost = price_local(rented, 90.0, 1_000, 3_000, offline_table, at=LAUNCH_WEEK)
    # 90 s / 3600 x $2.50 = $0.0625 ; on R1's API: 1,000 x 0.55 + 3,000 x 2.19 = $0.00712
    assert cost.source == "hardware_hour"
    assert cost.usd == pytest.approx(0.0625)
    assert cost.api_equivalent_usd == pytest.approx(0.00712)
    no_time = price_local(rented, None, 1, 1, offline_table, at=LAUNCH_WEEK)
    assert no_time.usd is None and "no wall time" in no_time.note


def test_local_cost_config_lookup_and_errors(tmp_path: Path) -> None:
    models = parse_local_costs({"default": {"watts": 200}, "ollama/deepseek-r1:70b": {"usd_per_hour": 4.0}})
    assert local_cost_for(models, "ollama/deepseek-r1:70b", "deepseek-r1:70b").usd_per_hour == 4.0
    assert local_cost_for(models, "ollama/other", "other").watts == 200
    assert local_cost_for({}, "x", "y") is DEFAULT_LOCAL_COST
    config = tmp_path / "llmbench.yaml"
    config.write_text(
        "local_cost:\n  default:\n    method: hardware_hour\n    watts: 300\n", encoding="utf-8"
    )
    cfg = load_config(config)
    with pytest.raises(ConfigError) as err:
        parse_local_costs(cfg.local_cost, config)
    assert err.value.file == str(config) and err.value.line == 3
    assert err.value.field == "local_cost.default" and "usd_per_hour" in err.value.message


def test_pricer_prices_completions_of_hosted_and_local_targets(offline_table: PriceTable) -> None:
    pricer = Pricer(offline_table, {"llama-box": LocalCostModel(watts=100, usd_per_kwh=0.36)})
    hosted = TargetSpec(name="deepseek/deepseek-reasoner", provider="litellm", model=R1)
    answer = Completion(answer="Paris", prompt_tokens=1_000, completion_tokens=2_000, reasoning_tokens=1_500)
    assert pricer(hosted, answer, LAUNCH_WEEK) == pytest.approx(0.00493)  # 1,000 x 0.55 + 2,000 x 2.19
    ollama = TargetSpec(name="ollama/deepseek-r1:7b", provider="ollama", model="deepseek-r1:7b")
    timed = Completion(answer="Paris", completion_tokens=10, total_duration_ns=36_000_000_000, latency_s=40.0)
    # The server's 36 s, not the client's 40 s: 350 W x 36 s x $0.20/kWh = $0.0007
    assert pricer(ollama, timed) == pytest.approx(0.0007)
    # An OpenAI-protocol server named in local_cost is local too: 100 W x 36 s x $0.36/kWh = $0.00036
    box = TargetSpec(
        name="llama-box", provider="openai", model="r1-distill", base_url="http://localhost:8080/v1"
    )
    assert pricer(box, Completion(answer="x", latency_s=36.0)) == pytest.approx(0.00036)
    assert pricer.worst_case(box, 1_000, 1_000) == 0.0
    described = json.loads(json.dumps(pricer.describe()))
    assert described["local"]["ollama/deepseek-r1:7b"]["default"] is True
    assert described["local"]["llama-box"]["watts"] == 100


# ---------------------------------------------------------------------------------------------------
# Budget gate and summaries
# ---------------------------------------------------------------------------------------------------


def test_worst_case_estimate(offline_table: PriceTable) -> None:
    assert estimate_prompt_tokens(300) == 116  # ceil(300 / 3) + 16
    assert estimate_prompt_tokens(7) == 19  # ceil(7 / 3) + 16: conservative for CJK
    # R1 in March 2025 (off-peak window exists, standard is dearer): 116 x 0.55 + 1,000 x 2.19 = $0.0022538
    at_night = datetime(
        2025, 3, 10, 23, 0, tzinfo=UTC
    )  # the max is taken over all windows, whatever the hour
    assert worst_case_usd(offline_table, "r1", "litellm", R1, 300, 1_000, at_night) == pytest.approx(
        0.0022538
    )
    # A window dearer than the standard rate sets the worst case; reasoning priced higher counts too.
    t = offline_table.with_overrides(
        {
            "peaky": {
                "input": 1.0,
                "output": 2.0,
                "reasoning_output": 3.0,
                "periods": [{"start": "22:00", "end": "02:00", "input": 2.0, "output": 4.0}],
            }
        }
    )
    # standard: 116 x 1 + 1,000 x 3 = 3,116 ; window: 116 x 2 + 1,000 x 4 = 4,232 -> $0.004232
    assert worst_case_usd(t, "peaky", "litellm", "acme/peaky", 300, 1_000, LAUNCH_WEEK) == pytest.approx(
        0.004232
    )
    assert worst_case_usd(offline_table, "x", "litellm", "nosuch/model", 300, 1_000, LAUNCH_WEEK) is None
    assert worst_case_usd(offline_table, "o", "ollama", "deepseek-r1:7b", 300, 1_000, LAUNCH_WEEK) == 0.0
    # worst case >= any actual call with the same budget
    actual = price_call(offline_table, "r1", "litellm", R1, 116, 1_000, 900, 50, LAUNCH_WEEK).usd
    assert actual <= worst_case_usd(offline_table, "r1", "litellm", R1, 300, 1_000, LAUNCH_WEEK)


def test_projection_and_cost_per_correct() -> None:
    assert projection(0.0025, 1_000) == pytest.approx(2.5)
    assert cost_per_correct(2.5, 40) == pytest.approx(0.0625)
    assert cost_per_correct(2.5, 0) is None
    assert cost_per_correct(None, 3) is None
    assert math.isclose(projection(0.0, 10), 0.0)


# ---------------------------------------------------------------------------------------------------
# YAML errors name file, line and field
# ---------------------------------------------------------------------------------------------------


def test_price_table_error_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "version: 2\n"
        "as_of: 2026-11-01\n"
        "models:\n"
        "  acme/model:\n"
        "    - input: 1.0\n"
        "      output: cheap\n"
        "      source: test\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        PriceTable.load(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 6, "models.acme/model.0.output")
    assert f"{path}, line 6" in str(err.value)


def test_price_table_rejects_missing_source_typos_and_overlaps(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "version: 1\nas_of: 2026-11-01\nmodels:\n  m:\n    input: 1\n    output: 2\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="source"):
        PriceTable.load(path)
    path.write_text(
        "version: 1\nas_of: 2026-11-01\nmodels:\n  m:\n    inptu: 1\n    output: 2\n    source: s\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        PriceTable.load(path)
    assert (
        err.value.line == 5
        and err.value.field == "models.m.inptu"
        and "did you mean 'input'" in err.value.message
    )
    path.write_text(
        "version: 1\nas_of: 2026-11-01\nmodels:\n  m:\n"
        "    - {valid_from: 2025-01-01, input: 1, output: 2, source: s}\n"
        "    - {valid_from: 2025-06-01, input: 1, output: 2, source: s}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="overlaps") as err:
        PriceTable.load(path)
    assert err.value.line == 6


def test_llmbench_yaml_price_override_errors_name_line_and_field(tmp_path: Path) -> None:
    config = tmp_path / "llmbench.yaml"
    config.write_text(
        "prices:\n"
        "  deepseek/deepseek-reasoner:\n"
        "    input: 0.28\n"
        "    output: 0.42\n"
        "    periods:\n"
        '      - start: "25:00"\n'
        '        end: "01:00"\n'
        "        input: 0.1\n"
        "        output: 0.2\n",
        encoding="utf-8",
    )
    cfg = load_config(config)
    with pytest.raises(ConfigError) as err:
        PriceTable.load(overrides=cfg.prices, overrides_file=config)
    assert err.value.file == str(config)
    assert err.value.line == 6
    assert err.value.field == "prices.deepseek/deepseek-reasoner.periods.0.start"
    assert "25:00" in err.value.message


def test_unquoted_yaml_times_and_valid_overrides_from_llmbench_yaml(tmp_path: Path) -> None:
    config = tmp_path / "llmbench.yaml"
    # Unquoted 16:30 is read by YAML 1.1 as the number 990 (minutes since midnight): still 16:30.
    config.write_text(
        "prices:\n"
        "  my-r1:\n"
        "    valid_from: 2026-08-16\n"
        "    input: 1\n"
        "    output: 2\n"
        "    periods: [{name: night, start: 16:30, end: '00:30', input: 0.5, output: 1}]\n",
        encoding="utf-8",
    )
    entries = parse_prices(load_config(config).prices, config)
    period = entries["my-r1"][0].periods[0]
    assert (period.start, period.end) == ("16:30", "00:30")
    t = PriceTable.load(overrides=load_config(config).prices, overrides_file=config, use_litellm=False)
    night = datetime(2026, 9, 1, 17, 0, tzinfo=timezone(timedelta(hours=0)))
    assert price_call(t, "my-r1", "litellm", R1, 1_000_000, 0, at=night).usd == pytest.approx(0.5)
    assert t.describe()["overrides_file"] == str(config)
    with pytest.raises(ConfigError, match="HH:MM"):
        parse_prices(
            {"m": {"input": 1, "output": 1, "periods": [{"start": 16, "end": 1, "input": 1, "output": 1}]}}
        )
