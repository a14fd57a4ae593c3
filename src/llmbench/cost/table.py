"""The hosted price table: overrides, the bundled dated table, then litellm's cost map, in that order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from llmbench.cost.prices import (
    BUNDLED_PRICES,
    PER_MILLION,
    PriceEntry,
    _entries,
    _line,
    _PriceFile,
    parse_prices,
)
from llmbench.errors import ConfigError
from llmbench.yamlio import load_yaml, raise_validation

LOOKUP_ORDER = ("override", "table", "litellm")


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


def always_local(provider: str | None) -> bool:
    """A provider whose every target is local (Ollama, embedded): priced by energy, never per token."""
    from llmbench.providers.registry import provider_classes

    kind = provider_classes().get((provider or "").lower())
    return kind is not None and kind.always_local


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
