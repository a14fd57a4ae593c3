"""What a call cost, what a run may cost, and what a local answer costs in electricity or hardware time.

Hosted prices live in data, never in code: a dated, versioned table (`data/prices.yaml`, US dollars per
1 million tokens) whose entries say when they applied, so the price of R1 at its launch and today's price
can coexist and every call is priced with the rates in force at its own timestamp, time-of-day windows
included (DeepSeek's off-peak hours). A price is looked up, in order, in:

1. the user's overrides (`prices:` in llmbench.yaml, same schema as a table entry, keyed by target name
   or model),
2. the bundled table (its keys and aliases),
3. litellm's bundled `model_cost` map (per-token USD, converted to per 1M; litellm is imported only
   here, lazily, and told to use its local copy so no traffic leaves),
4. nothing: the cost is None and the reason says where it looked.

`PriceTable.describe()` says which table, which sources and which entries were actually used, to be
stored with each run so a report can show where its dollars came from.

Local models (Ollama, embedded llama.cpp) have no price per token: `LocalCostModel` turns wall time into
dollars, either as energy (watts x seconds, at $/kWh) or as a rented-hardware hourly rate, with an
optional "same weights on a hosted API" figure beside it. The default (350 W at $0.20/kWh) is an
assumption, not a measurement, and a report must say so: `LocalCostModel.statement()` is the sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from llmbench.errors import ConfigError, InputError
from llmbench.yamlio import Located, line_of, load_yaml, raise_validation

PER_MILLION = 1_000_000
BUNDLED_PRICES = Path(__file__).parent / "data" / "prices.yaml"
LOOKUP_ORDER = ("override", "table", "litellm")

# The local-cost default: a GPU workstation under load, at a typical household electricity price.
# An assumption, not a measurement: reports state it (LocalCostModel.statement()).
DEFAULT_WATTS = 350.0
DEFAULT_USD_PER_KWH = 0.20

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


# --------------------------------------------------------------------------------------------------
# Schema of a price entry (the bundled table, a user's table, llmbench.yaml `prices:`)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    """The USD-per-1M-token rates in force at one moment; `period` names the time-of-day window."""

    input: float
    input_cached: float
    output: float
    reasoning_output: float
    period: str | None = None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _RateFields(_Strict):
    input: float = Field(ge=0, description="USD per 1M prompt tokens not served from cache (cache miss)")
    input_cached: float | None = Field(default=None, ge=0, description="USD per 1M cached prompt tokens")
    output: float = Field(ge=0, description="USD per 1M completion tokens (reasoning included)")
    reasoning_output: float | None = Field(default=None, ge=0, description="when reasoning is billed apart")

    def _rates(self, period: str | None) -> Rates:
        return Rates(
            input=self.input,
            input_cached=self.input if self.input_cached is None else self.input_cached,
            output=self.output,
            reasoning_output=self.output if self.reasoning_output is None else self.reasoning_output,
            period=period,
        )


def _minutes(value: Any, *, allow_24: bool) -> int:
    """Minutes since midnight of an "HH:MM" time.

    YAML 1.1 reads an unquoted 16:30 as the base-60 integer 990, which is exactly 16:30 in minutes; an
    integer below 60 cannot come from HH:MM (`start: 16`) and is refused rather than misread.
    """
    if isinstance(value, bool):
        raise ValueError('write a time as a quoted "HH:MM" string, e.g. "16:30"')
    if isinstance(value, int):
        if 60 <= value <= (1440 if allow_24 else 1439):
            return value
        raise ValueError('write a time as a quoted "HH:MM" string, e.g. "16:30"')
    if isinstance(value, str):
        match = _HHMM.match(value.strip())
        if match:
            hours, minutes = int(match.group(1)), int(match.group(2))
            total = hours * 60 + minutes
            if minutes < 60 and (total < 1440 or (allow_24 and total == 1440)):
                return total
        raise ValueError(f'"{value}" is not a time of day: write "HH:MM" (00:00 to 23:59)')
    raise ValueError('write a time as a quoted "HH:MM" string, e.g. "16:30"')


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class PricePeriod(_RateFields):
    """A daily window [start, end) with its own rates, in the entry's time zone; it may cross midnight.

    `days` (mon..sun) restricts it to the days on which the window *starts*.
    """

    name: str | None = None
    start: str
    end: str
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, value: Any) -> str:
        return _hhmm(_minutes(value, allow_24=False))

    @field_validator("end", mode="before")
    @classmethod
    def _end(cls, value: Any) -> str:
        return _hhmm(_minutes(value, allow_24=True))

    @model_validator(mode="after")
    def _length(self) -> PricePeriod:
        if self.start == self.end:
            raise ValueError(
                "start and end are equal: a window needs a length (all-day rates are the entry's own)"
            )
        if self.days is not None and not self.days:
            raise ValueError("days is empty: leave it out for every day")
        return self

    @property
    def label(self) -> str:
        return self.name or f"{self.start}-{self.end}"

    def contains(self, local: datetime) -> bool:
        start, end = _minutes(self.start, allow_24=False), _minutes(self.end, allow_24=True)
        now = local.hour * 60 + local.minute
        weekday = local.weekday()
        if start < end:
            inside = start <= now < end
        elif now >= start:  # the evening part of a window crossing midnight
            inside = True
        else:  # the morning part: the window started yesterday
            inside = now < end
            weekday = (weekday - 1) % 7
        return inside and (self.days is None or _DAYS[weekday] in self.days)


def _instant(value: date | datetime | None, *, end: bool) -> datetime | None:
    """A validity bound as a UTC instant: a date starts at 00:00 UTC; a `valid_to` date is inclusive."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    start = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


class PriceEntry(_RateFields):
    """One model's prices over one span of time."""

    periods: list[PricePeriod] = Field(default_factory=list)
    timezone: str = "UTC"
    valid_from: datetime | date | None = None
    valid_to: datetime | date | None = None
    source: str | None = None
    note: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        _zone(value)
        return value

    @model_validator(mode="after")
    def _span(self) -> PriceEntry:
        start, stop = self.starts, self.stops
        if start is not None and stop is not None and stop <= start:
            raise ValueError("valid_to is before valid_from")
        return self

    @property
    def starts(self) -> datetime | None:
        return _instant(self.valid_from, end=False)

    @property
    def stops(self) -> datetime | None:
        return _instant(self.valid_to, end=True)

    def valid_at(self, at: datetime) -> bool:
        start, stop = self.starts, self.stops
        return (start is None or start <= at) and (stop is None or at < stop)

    def span(self) -> str:
        def text(value: date | datetime | None) -> str:
            return "…" if value is None else value.isoformat()

        return f"{text(self.valid_from)} to {text(self.valid_to)}"

    def rates_at(self, at: datetime) -> Rates:
        """The rates in force at `at`: the first window containing it, else the entry's own."""
        if not self.periods:
            return self._rates(None)
        local = at.astimezone(_zone(self.timezone))
        for period in self.periods:
            if period.contains(local):
                return period._rates(period.label)
        return self._rates("standard")

    def all_rates(self) -> list[Rates]:
        return [self._rates("standard" if self.periods else None)] + [p._rates(p.label) for p in self.periods]

    def public_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def _zone(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone '{name}' (use an IANA name such as UTC or Asia/Shanghai)"
        ) from None


class _PriceFile(_Strict):
    version: int | str
    as_of: date
    currency: Literal["USD"] = "USD"
    unit: Literal["per 1M tokens"] = "per 1M tokens"
    aliases: dict[str, str] = Field(default_factory=dict)
    models: dict[str, Any] = Field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Parsing with errors that name file, line and field
# --------------------------------------------------------------------------------------------------


def _located(raw: Mapping[str, Any]) -> Located:
    """`raw` as a Located mapping; a plain dict (pydantic copies the top level) gets its children's lines."""
    if isinstance(raw, Located):
        return raw
    out = Located(raw)
    out.key_lines = {k: v.line for k, v in raw.items() if getattr(v, "line", None)}
    out.line = min(out.key_lines.values(), default=0)
    return out


def _rooted(raw: Mapping[str, Any], prefix: tuple[str, ...]) -> Located:
    """Nest `raw` under `prefix` so that error locations can start at the file's top level."""
    root = _located(raw)
    for key in reversed(prefix):
        parent = Located({key: root})
        parent.key_lines = {key: root.line}
        parent.line = root.line
        root = parent
    return root


def _entries(
    value: Any,
    file: str | Path,
    root: Any,
    prefix: tuple[Any, ...],
    *,
    need_source: bool,
    error: type[InputError],
) -> list[PriceEntry]:
    """One key's value: a single entry or a list of dated entries, checked for overlapping validity."""
    items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
    if not items:
        raise error(str(file), getattr(value, "line", None), ".".join(map(str, prefix)), "no price entries")
    entries: list[tuple[tuple[Any, ...], PriceEntry]] = []
    for index, item in items:
        where = prefix if index is None else (*prefix, index)
        if not isinstance(item, Mapping):
            raise error(
                str(file),
                getattr(item, "line", None) or _line(root, where),
                ".".join(map(str, where)),
                "a price entry must be a mapping with input, output (USD per 1M tokens)…",
            )
        try:
            entry = PriceEntry.model_validate(dict(item))
        except ValidationError as exc:
            raise_validation(Path(file), root, exc, error, where)
        if need_source and not entry.source:
            raise error(
                str(file),
                _line(root, where),
                ".".join(map(str, (*where, "source"))),
                "every entry needs a source",
            )
        entries.append((where, entry))
    entries.sort(key=lambda pair: pair[1].starts or datetime.min.replace(tzinfo=UTC))
    for (_, before), (where, after) in zip(entries, entries[1:], strict=False):
        if before.stops is None or after.starts is None or before.stops > after.starts:
            raise error(
                str(file),
                _line(root, where),
                ".".join(map(str, (*where, "valid_from"))),
                f"validity overlaps another entry ({before.span()}): give the earlier one a valid_to",
            )
    return [entry for _, entry in entries]


def _line(root: Any, loc: tuple[Any, ...]) -> int | None:
    return line_of(root, loc) or None


def parse_prices(
    raw: Mapping[str, Any] | None,
    file: str | Path = "llmbench.yaml",
    *,
    prefix: tuple[str, ...] = ("prices",),
    error: type[InputError] = ConfigError,
) -> dict[str, list[PriceEntry]]:
    """Validate user price overrides (`prices:` of llmbench.yaml): {target name or model: entry | [entries]}."""
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise error(str(file), getattr(raw, "line", None), ".".join(prefix), "must map model names to prices")
    root = _rooted(raw, prefix)
    return {
        str(key): _entries(value, file, root, (*prefix, str(key)), need_source=False, error=error)
        for key, value in raw.items()
    }


# --------------------------------------------------------------------------------------------------
# The table and the lookup
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceMatch:
    """Where a price was found: source (override | table | litellm), the key that matched, the entry."""

    source: str
    key: str
    entry: PriceEntry


def candidate_keys(target_name: str | None, provider: str, model: str) -> list[str]:
    """The names a target may be priced under, most specific first: target name, model, provider/model."""
    keys = [target_name or "", model]
    if provider and provider != "litellm" and not model.startswith(provider + "/"):
        keys.append(f"{provider}/{model}")
    return list(dict.fromkeys(k for k in keys if k))


def _as_utc(at: datetime | str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if isinstance(at, str):
        at = datetime.fromisoformat(at.strip())
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class PriceTable:
    """Hosted prices: user overrides, then the dated table, then litellm's map.

    Build it with `PriceTable.load()` (the bundled table) and `with_overrides()`; every successful lookup
    is remembered so `describe()` can list the entries a run actually used.
    """

    def __init__(
        self,
        entries: Mapping[str, list[PriceEntry]],
        *,
        version: str,
        as_of: date | None,
        aliases: Mapping[str, str] | None = None,
        overrides: Mapping[str, list[PriceEntry]] | None = None,
        file: str | None = None,
        overrides_file: str | None = None,
        use_litellm: bool = True,
    ) -> None:
        self.entries = dict(entries)
        self.version = str(version)
        self.as_of = as_of
        self.aliases = dict(aliases or {})
        self.overrides = dict(overrides or {})
        self.file = file
        self.overrides_file = overrides_file
        self.use_litellm = use_litellm
        self._used: dict[str, dict[str, Any]] = {}
        self._unpriced: dict[str, str] = {}
        self._litellm_map: dict[str, Any] | None = None
        self._litellm_version: str | None = None
        self._litellm_error: str | None = None

    # -- construction ------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        overrides: Mapping[str, Any] | None = None,
        overrides_file: str | Path = "llmbench.yaml",
        use_litellm: bool = True,
    ) -> PriceTable:
        """Read a price table (default: the bundled one) and apply user overrides."""
        file = Path(path) if path is not None else BUNDLED_PRICES
        data = load_yaml(file, ConfigError)
        if not isinstance(data, Mapping):
            raise ConfigError(str(file), getattr(data, "line", None), None, "a price table must be a mapping")
        try:
            parsed = _PriceFile.model_validate(dict(data))
        except ValidationError as exc:
            raise_validation(file, data, exc, ConfigError)
        entries = {
            key: _entries(value, file, data, ("models", key), need_source=True, error=ConfigError)
            for key, value in parsed.models.items()
        }
        for alias, key in parsed.aliases.items():
            if key not in entries:
                raise ConfigError(
                    str(file), _line(data, ("aliases", alias)), f"aliases.{alias}", f"no model '{key}'"
                )
        table = cls(
            entries,
            version=str(parsed.version),
            as_of=parsed.as_of,
            aliases=parsed.aliases,
            file="bundled" if path is None else str(file),
            use_litellm=use_litellm,
        )
        return table.with_overrides(overrides, overrides_file) if overrides else table

    def with_overrides(
        self, overrides: Mapping[str, Any] | None, file: str | Path = "llmbench.yaml"
    ) -> PriceTable:
        """A copy of this table with user prices (raw llmbench.yaml `prices:` or parsed entries) on top."""
        parsed: dict[str, list[PriceEntry]] = {}
        if overrides:
            if all(
                isinstance(v, list) and all(isinstance(e, PriceEntry) for e in v) for v in overrides.values()
            ):
                parsed = {str(k): list(v) for k, v in overrides.items()}
            else:
                parsed = parse_prices(overrides, file)
        return PriceTable(
            self.entries,
            version=self.version,
            as_of=self.as_of,
            aliases=self.aliases,
            overrides={**self.overrides, **parsed},
            file=self.file,
            overrides_file=str(file) if parsed else self.overrides_file,
            use_litellm=self.use_litellm,
        )

    # -- lookup ------------------------------------------------------------------------------------

    def find(
        self,
        target_name: str | None,
        provider: str,
        model: str,
        at: datetime | str | None = None,
        *,
        record: bool = True,
    ) -> tuple[PriceMatch | None, str]:
        """The price in force at `at`, and a sentence saying where it came from or why there is none."""
        when = _as_utc(at)
        provider = (provider or "").lower()
        keys = candidate_keys(target_name, provider, model)
        misses: list[str] = []

        match = self._dated(self.overrides, keys, when, "override", misses)
        if match is None and always_local(provider):
            reason = (
                f"local model ({provider}): priced by energy or hardware time, not per token"
                " (add it under prices: to price it per token)"
            )
            return None, reason
        if match is None:
            table_keys = [self.aliases.get(k, k) for k in keys]
            match = self._dated(self.entries, table_keys, when, "table", misses)
        if match is None:
            match = self._litellm(provider, model, keys, misses)
        if match is None:
            looked = f"overrides, price table v{self.version}" + (
                ", litellm's map" if self.use_litellm else ""
            )
            names = ", ".join(f"'{k}'" for k in keys)
            reason = f"no price for {names} at {when:%Y-%m-%d %H:%M} UTC (looked in {looked})"
            if misses:
                reason += "; " + "; ".join(misses)
            if record:
                self._unpriced[model] = reason
            return None, reason
        if record:
            ident = f"{match.source}:{match.key}:{match.entry.span()}"
            self._used.setdefault(
                ident, {"found_in": match.source, "key": match.key, "entry": match.entry.public_dict()}
            )
        return match, f"{match.source} price for '{match.key}'"

    def find_key(self, key: str, at: datetime | str | None = None) -> tuple[PriceMatch | None, str]:
        """Look up a price by its key alone (an `api_equivalent` such as deepseek/deepseek-reasoner)."""
        provider = key.split("/", 1)[0] if "/" in key else ""
        return self.find(None, "" if always_local(provider) else provider, key, at)

    @staticmethod
    def _dated(
        source: Mapping[str, list[PriceEntry]],
        keys: Iterable[str],
        when: datetime,
        name: str,
        misses: list[str],
    ) -> PriceMatch | None:
        for key in keys:
            entries = source.get(key)
            if not entries:
                continue
            for entry in entries:
                if entry.valid_at(when):
                    return PriceMatch(name, key, entry)
            spans = ", ".join(e.span() for e in entries)
            misses.append(f"{name} '{key}' has prices only for {spans}")
        return None

    def _litellm(self, provider: str, model: str, keys: list[str], misses: list[str]) -> PriceMatch | None:
        if not self.use_litellm:
            return None
        cost_map = self._litellm_cost_map()
        if cost_map is None:
            misses.append(f"litellm's map unavailable ({self._litellm_error})")
            return None
        # Never the user's target name (not a litellm model name); the model, then provider/model.
        tried = [k for k in keys if k == model or k == f"{provider}/{model}"]
        if "/" in model:  # anthropic/claude-x -> claude-x, when litellm files it under that provider
            prefix, bare = model.split("/", 1)
            info = cost_map.get(bare)
            if isinstance(info, Mapping) and info.get("litellm_provider") == prefix:
                tried.append(bare)
        for key in tried:
            info = cost_map.get(key)
            if not isinstance(info, Mapping) or key == "sample_spec":
                continue
            entry = _entry_from_litellm(info, self._litellm_version)
            if entry is not None:
                return PriceMatch("litellm", key, entry)
        return None

    def _litellm_cost_map(self) -> dict[str, Any] | None:
        if self._litellm_map is None and self._litellm_error is None:
            try:
                from llmbench.providers.litellm_ import _version, import_litellm

                self._litellm_map = dict(import_litellm().model_cost)
                self._litellm_version = _version()
            except Exception as exc:  # litellm missing or broken: fall through to "unknown"
                self._litellm_error = f"{type(exc).__name__}: {exc}"
        return self._litellm_map

    # -- provenance --------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable provenance of the prices used so far, to store with a run."""
        sources = sorted({u["found_in"] for u in self._used.values()}, key=LOOKUP_ORDER.index)
        out: dict[str, Any] = {
            "version": self.version,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "file": self.file,
            "currency": "USD",
            "unit": "per 1M tokens",
            "lookup_order": list(LOOKUP_ORDER) if self.use_litellm else list(LOOKUP_ORDER[:2]),
            "overrides_file": self.overrides_file,
            "override_keys": sorted(self.overrides),
            "sources_used": sources,
            "used": list(self._used.values()),
            "unpriced": dict(self._unpriced),
        }
        if "litellm" in sources:
            out["litellm_version"] = self._litellm_version
        return out


def _per_million(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(f"{value * PER_MILLION:.12g}")  # 2.8e-07 * 1e6 -> 0.28, not 0.27999999999999997


def _entry_from_litellm(info: Mapping[str, Any], version: str | None) -> PriceEntry | None:
    """A litellm `model_cost` record (USD per token) as a price entry (USD per 1M tokens)."""
    read = _per_million
    input_cost, output_cost = read(info.get("input_cost_per_token")), read(info.get("output_cost_per_token"))
    if input_cost is None or output_cost is None:
        return None
    cached = read(info.get("cache_read_input_token_cost"))
    if cached is None:
        cached = read(info.get("input_cost_per_token_cache_hit"))
    return PriceEntry(
        input=input_cost,
        input_cached=cached,
        output=output_cost,
        reasoning_output=read(info.get("output_cost_per_reasoning_token")),
        source=f"litellm model_cost map (litellm {version or 'unknown version'}), not checked by llmbench",
    )


# --------------------------------------------------------------------------------------------------
# Pricing one hosted call
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Local models: energy or hardware time
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# One object for the runner: price a Completion of a TargetSpec
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Budget gate and summary helpers
# --------------------------------------------------------------------------------------------------


def always_local(provider: str | None) -> bool:
    """A provider whose every target is local (Ollama, embedded): priced by energy, never per token."""
    from llmbench.providers.registry import provider_classes

    kind = provider_classes().get((provider or "").lower())
    return kind is not None and kind.always_local


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
