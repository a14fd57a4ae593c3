"""The Pricer facade the runner uses, and the budget gate: the most a call can cost before it is made."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from llmbench.cost.bill import CallCost, price_call
from llmbench.cost.local import LocalCostModel, local_cost_for, parse_local_costs, price_local
from llmbench.cost.prices import PER_MILLION
from llmbench.cost.table import PriceTable, always_local


class Pricer:
    """Prices completions of targets: hosted ones per token, local ones by wall time.

    A target is local when its provider says so (Ollama, embedded, an OpenAI-compatible server on a
    loopback or private address, or `local: true`), or when `local_cost:` names it. Calling
    the object returns dollars only (the `price(target, completion)` callable the judge accepts).
    """

    def __init__(self, table: PriceTable, local: Mapping[str, LocalCostModel] | None = None) -> None:
        self.table = table
        self.local = dict(local or {})
        self._local_used: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_config(
        cls,
        prices: Mapping[str, Any] | None = None,
        local_cost: Mapping[str, Any] | None = None,
        file: str | Path = "llmbench.yaml",
        *,
        table_path: str | Path | None = None,
        use_litellm: bool = True,
    ) -> Pricer:
        table = PriceTable.load(table_path, overrides=prices, overrides_file=file, use_litellm=use_litellm)
        return cls(table, parse_local_costs(local_cost, file))

    def is_local(self, target: Any) -> bool:
        from llmbench.providers.registry import is_local

        return is_local(target) or target.name in self.local or target.model in self.local

    def cost(self, target: Any, completion: Any, at: datetime | str | None = None) -> CallCost:
        """`target` a TargetSpec, `completion` a Completion; `at` when the call was made (default: now)."""
        if self.is_local(target):
            model = local_cost_for(self.local, target.name, target.model)
            self._local_used[target.name] = model.describe()
            return price_local(
                model,
                _wall_seconds(completion),
                completion.prompt_tokens,
                completion.completion_tokens,
                self.table,
                reasoning_tokens=completion.reasoning_tokens,
                at=at,
            )
        return price_call(
            self.table,
            target.name,
            target.provider,
            target.model,
            completion.prompt_tokens,
            completion.completion_tokens,
            completion.reasoning_tokens,
            completion.cached_tokens,
            at,
        )

    def worst_case(
        self, target: Any, prompt_text_chars: int, max_tokens: int, at: datetime | str | None = None
    ) -> float | None:
        """`worst_case_usd` for a TargetSpec; a local target (see `is_local`) spends 0.0 of an API budget."""
        if self.is_local(target):
            return 0.0
        return worst_case_usd(
            self.table, target.name, target.provider, target.model, prompt_text_chars, max_tokens, at
        )

    def __call__(self, target: Any, completion: Any, at: datetime | str | None = None) -> float | None:
        return self.cost(target, completion, at).usd

    def describe(self) -> dict[str, Any]:
        return {"prices": self.table.describe(), "local": dict(self._local_used)}


def _wall_seconds(completion: Any) -> float | None:
    """The server's own request time when it reports one (Ollama total_duration), else client wall time.

    The model-load time is left out: it is a one-off of the server, not of the call (a cold first call
    would otherwise look several times dearer than the identical second one, and show up as drift).
    """
    if getattr(completion, "total_duration_ns", None):
        load = getattr(completion, "load_duration_ns", None) or 0
        return max(completion.total_duration_ns - load, 0) / 1e9
    return getattr(completion, "latency_s", None)


def estimate_prompt_tokens(prompt_text_chars: int) -> int:
    """A deliberately high token count for a prompt: one token per 3 characters (CJK runs dense) + 16."""
    return math.ceil(max(prompt_text_chars, 0) / 3) + 16


def worst_case_usd(
    table: PriceTable,
    target_name: str | None,
    provider: str,
    model: str,
    prompt_text_chars: int,
    max_tokens: int,
    at: datetime | str | None = None,
) -> float | None:
    """The most one call can cost, before it is made: None when no price is known.

    Prompt tokens are over-estimated (`estimate_prompt_tokens`), all billed at the cache-miss rate, the
    whole `max_tokens` budget at the dearer of output and reasoning rates, and the dearest time-of-day
    window of the entry in force at `at`. Local providers spend nothing against an API budget: 0.0.
    """
    if always_local(provider):
        return 0.0
    match, _ = table.find(target_name, provider, model, at, record=False)
    if match is None:
        return None
    prompt = estimate_prompt_tokens(prompt_text_chars)
    budget = max(int(max_tokens or 0), 0)
    return max(
        (prompt * r.input + budget * max(r.output, r.reasoning_output)) / PER_MILLION
        for r in match.entry.all_rates()
    )


def projection(cost_per_task_usd: float, n_tasks: int) -> float:
    """What `n_tasks` tasks cost at `cost_per_task_usd` each."""
    return cost_per_task_usd * n_tasks


def cost_per_correct(total_usd: float | None, n_correct: int) -> float | None:
    """Dollars per correct answer; None when nothing was correct or the total is unknown."""
    if total_usd is None or n_correct <= 0:
        return None
    return total_usd / n_correct
