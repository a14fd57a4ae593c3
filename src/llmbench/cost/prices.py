"""A hosted price entry: USD per 1M tokens, the dates it applied, its time-of-day windows; parsing a price
file with errors that name file, line and field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from llmbench.errors import ConfigError, InputError
from llmbench.yamlio import Located, line_of, raise_validation

PER_MILLION = 1_000_000
BUNDLED_PRICES = Path(__file__).parent.parent / "data" / "prices.yaml"

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
