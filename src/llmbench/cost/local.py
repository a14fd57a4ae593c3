"""Local models: wall time as energy or hardware-hour dollars, and the same tokens on a hosted API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from llmbench.cost.bill import CallCost, _bill, _usage
from llmbench.cost.prices import _line, _rooted, _Strict
from llmbench.cost.table import PriceTable, _as_utc
from llmbench.errors import ConfigError, InputError
from llmbench.yamlio import raise_validation

# The local-cost default: a GPU workstation under load, at a typical household electricity price.
# An assumption, not a measurement: reports state it (LocalCostModel.statement()).
DEFAULT_WATTS = 350.0
DEFAULT_USD_PER_KWH = 0.20


class LocalCostModel(_Strict):
    """How a local target's wall time becomes dollars (llmbench.yaml `local_cost:`, per target).

    energy:         watts x seconds / 3.6e6 (kWh) x usd_per_kwh
    hardware_hour:  seconds / 3600 x usd_per_hour (a rented GPU box, or amortised hardware)
    api_equivalent: a price key (e.g. deepseek/deepseek-reasoner) for "the same tokens on a hosted API".
    Writing only `usd_per_hour` selects hardware_hour.
    """

    method: Literal["energy", "hardware_hour"] = "energy"
    watts: float = Field(default=DEFAULT_WATTS, gt=0)
    usd_per_kwh: float = Field(default=DEFAULT_USD_PER_KWH, ge=0)
    usd_per_hour: float | None = Field(default=None, ge=0)
    api_equivalent: str | None = None
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _infer_method(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "method" not in data and data.get("usd_per_hour") is not None:
            return {**data, "method": "hardware_hour"}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> LocalCostModel:
        if self.method == "hardware_hour" and self.usd_per_hour is None:
            raise ValueError("method hardware_hour needs usd_per_hour")
        if self.method == "energy" and self.usd_per_hour is not None:
            raise ValueError("usd_per_hour is for method hardware_hour (energy uses watts and usd_per_kwh)")
        return self

    @property
    def is_default(self) -> bool:
        """True when nothing about the cost itself was configured: the report must state the assumption."""
        return not (self.model_fields_set - {"api_equivalent", "note"})

    def statement(self) -> str:
        """One sentence for a report: how local cost was computed, and whether it is llmbench's default."""
        if self.method == "hardware_hour":
            text = f"local cost = wall time x ${self.usd_per_hour:.2f} per hour of hardware"
        else:
            text = (
                f"local cost = wall time x {self.watts:g} W at ${self.usd_per_kwh:.2f}/kWh (electricity only)"
            )
        if self.is_default:
            text += "; llmbench's default assumption, not a measurement: set local_cost in llmbench.yaml"
        return text

    def describe(self) -> dict[str, Any]:
        out = self.model_dump(mode="json", exclude_none=True)
        out["default"] = self.is_default
        out["statement"] = self.statement()
        return out


DEFAULT_LOCAL_COST = LocalCostModel()


def parse_local_costs(
    raw: Mapping[str, Any] | None,
    file: str | Path = "llmbench.yaml",
    *,
    prefix: tuple[str, ...] = ("local_cost",),
    error: type[InputError] = ConfigError,
) -> dict[str, LocalCostModel]:
    """Validate llmbench.yaml `local_cost:`: {target name | model | "default": LocalCostModel fields}."""
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise error(str(file), getattr(raw, "line", None), ".".join(prefix), "must map target names to costs")
    root = _rooted(raw, prefix)
    out: dict[str, LocalCostModel] = {}
    for key, value in raw.items():
        where = (*prefix, str(key))
        if not isinstance(value, Mapping):
            raise error(
                str(file), _line(root, where), ".".join(where), "must be a mapping (watts, usd_per_kwh…)"
            )
        try:
            out[str(key)] = LocalCostModel.model_validate(dict(value))
        except ValidationError as exc:
            raise_validation(Path(file), root, exc, error, where)
    return out


def local_cost_for(models: Mapping[str, LocalCostModel], target_name: str, model: str) -> LocalCostModel:
    """A target's local cost model: by target name, then model, then "default", then llmbench's default."""
    for key in (target_name, model, "default"):
        if key in models:
            return models[key]
    return DEFAULT_LOCAL_COST


def price_local(
    model: LocalCostModel,
    wall_seconds: float | None,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    table: PriceTable | None = None,
    *,
    reasoning_tokens: int | None = None,
    at: datetime | str | None = None,
) -> CallCost:
    """A local call's cost from its wall time, plus what the same tokens would cost on `api_equivalent`.

    The API figure bills every prompt token at the cache-miss rate (a local run has no provider cache).
    """
    notes = [model.statement()]
    usd: float | None
    if wall_seconds is None or wall_seconds < 0:
        usd = None
        notes.insert(0, "no wall time recorded: local cost unknown")
    elif model.method == "hardware_hour":
        usd = wall_seconds / 3600 * (model.usd_per_hour or 0.0)
    else:
        usd = model.watts * wall_seconds / 3.6e6 * model.usd_per_kwh
    api_usd: float | None = None
    if model.api_equivalent:
        if table is None:
            notes.append(f"api_equivalent '{model.api_equivalent}': no price table given")
        elif prompt_tokens is None and completion_tokens is None:
            notes.append("api_equivalent: no token usage reported")
        else:
            match, reason = table.find_key(model.api_equivalent, at)
            if match is None:
                notes.append(f"api_equivalent: {reason}")
            else:
                rates = match.entry.rates_at(_as_utc(at))
                prompt, completion, reasoning, _, usage_notes = _usage(
                    prompt_tokens, completion_tokens, reasoning_tokens, 0
                )
                api_usd = sum(_bill(rates, prompt, completion, reasoning, 0)[:3])
                period = f", {rates.period} rates" if rates.period else ""
                notes.append(f"api_equivalent: {match.source} price for '{match.key}'{period}")
                notes.extend(usage_notes)
    return CallCost(
        usd=usd,
        source=model.method,
        note="; ".join(notes),
        price_key=model.api_equivalent,
        api_equivalent_usd=api_usd,
    )
