"""Billing one hosted call: its tokens by class at the rates in force when it was made."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from llmbench.cost.prices import PER_MILLION, Rates
from llmbench.cost.table import PriceTable, _as_utc


@dataclass(frozen=True)
class CallCost:
    """What one call cost in US dollars, split by token class, with where the price came from.

    `usd` is None when no price is known; `note` then says why. `output_usd` includes reasoning tokens,
    `reasoning_usd` is the part of it they account for. For a local model `source` is energy or
    hardware_hour and `api_equivalent_usd` is what the same tokens would cost on the configured API.
    """

    usd: float | None
    input_usd: float | None = None
    cached_usd: float | None = None
    output_usd: float | None = None
    source: str = "unknown"
    rate_period: str | None = None
    note: str = ""
    price_key: str | None = None
    reasoning_usd: float | None = None
    api_equivalent_usd: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _clamp(value: int | None) -> int:
    return max(int(value or 0), 0)


def _bill(
    rates: Rates, prompt_tokens: int, completion_tokens: int, reasoning_tokens: int, cached_tokens: int
) -> tuple[float, float, float, float]:
    """(input, cached, output, reasoning) dollars; tokens already clamped to consistent values."""
    miss = prompt_tokens - cached_tokens
    input_usd = miss * rates.input / PER_MILLION
    cached_usd = cached_tokens * rates.input_cached / PER_MILLION
    reasoning_usd = reasoning_tokens * rates.reasoning_output / PER_MILLION
    output_usd = (completion_tokens - reasoning_tokens) * rates.output / PER_MILLION + reasoning_usd
    return input_usd, cached_usd, output_usd, reasoning_usd


def _usage(
    prompt_tokens: int | None,
    completion_tokens: int | None,
    reasoning_tokens: int | None,
    cached_tokens: int | None,
) -> tuple[int, int, int, int, list[str]]:
    notes: list[str] = []
    if prompt_tokens is None:
        notes.append("prompt tokens not reported: counted as 0")
    if completion_tokens is None:
        notes.append("completion tokens not reported: counted as 0")
    prompt, completion = _clamp(prompt_tokens), _clamp(completion_tokens)
    cached, reasoning = _clamp(cached_tokens), _clamp(reasoning_tokens)
    if cached > prompt:
        notes.append(f"cached tokens ({cached}) exceed prompt tokens ({prompt}): clamped")
        cached = prompt
    if reasoning > completion:
        notes.append(f"reasoning tokens ({reasoning}) exceed completion tokens ({completion}): clamped")
        reasoning = completion
    return prompt, completion, reasoning, cached, notes


def price_call(
    table: PriceTable,
    target_name: str | None,
    provider: str,
    model: str,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    reasoning_tokens: int | None = None,
    cached_tokens: int | None = None,
    at: datetime | str | None = None,
) -> CallCost:
    """The dollar cost of one hosted call, at the rates in force at `at` (a datetime; naive means UTC).

    Cached prompt tokens are billed at the cache-hit rate, the rest of the prompt at the miss rate;
    completion tokens (which include reasoning tokens, as in OpenAI-style usage) at the output rate,
    their reasoning part at `reasoning_output` where a price says reasoning costs differently.
    """
    if prompt_tokens is None and completion_tokens is None:
        return CallCost(None, source="unknown", note="no token usage reported: cost unknown")
    match, reason = table.find(target_name, provider, model, at)
    if match is None:
        return CallCost(None, source="unknown", note=reason)
    rates = match.entry.rates_at(_as_utc(at))
    prompt, completion, reasoning, cached, notes = _usage(
        prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens
    )
    input_usd, cached_usd, output_usd, reasoning_usd = _bill(rates, prompt, completion, reasoning, cached)
    return CallCost(
        usd=input_usd + cached_usd + output_usd,
        input_usd=input_usd,
        cached_usd=cached_usd,
        output_usd=output_usd,
        source=match.source,
        rate_period=rates.period,
        note="; ".join([reason, *notes]),
        price_key=match.key,
        reasoning_usd=reasoning_usd,
    )
