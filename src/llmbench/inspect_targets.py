"""`llmbench models`: what each configured or discovered target is, without making any chat call.

Hosted targets are not contacted at all (no traffic, no cost): we only say whether their key is set.
Local ones (Ollama, embedded, OpenAI-compatible servers on this machine or network) are described.
"""

from __future__ import annotations

from typing import Any

from llmbench.config import Config, ollama_host, target_from_cli
from llmbench.errors import TargetUnavailable
from llmbench.providers import make_provider
from llmbench.providers.registry import is_local
from llmbench.records import TargetSpec


async def _targets(cfg: Config, names: list[str]) -> list[TargetSpec]:
    if names:
        return [target_from_cli(n, cfg) for n in names]
    if cfg.targets:
        return list(cfg.targets)
    from llmbench.providers.embedded import installed_models
    from llmbench.providers.ollama import discover_models

    found = await discover_models(ollama_host()) or []
    targets = [target_from_cli(f"ollama/{m}", cfg) for m in found]
    targets += [target_from_cli(f"embedded/{name}", cfg) for name in installed_models()]
    return targets


async def describe_targets(cfg: Config, names: list[str]) -> list[dict[str, Any]]:
    rows = []
    targets = await _targets(cfg, names)
    if not targets:
        rows.append(
            {
                "target": "-",
                "provider": "ollama",
                "status": "none",
                "note": f"no Ollama server at {ollama_host()} and no target configured",
            }
        )
    for spec in targets:
        row: dict[str, Any] = {"target": spec.name, "provider": spec.provider, "model": spec.model}
        if not is_local(spec):
            row["status"] = "key set" if spec.api_key else "key missing"
            row["note"] = f"${spec.api_key_env}" if spec.api_key_env else ""
            row["host"] = spec.base_url
            rows.append(row)
            continue
        provider = None
        try:
            provider = make_provider(spec)
            identity = await provider.describe()
            row.update({k: v for k, v in identity.as_dict().items() if v is not None and k != "extra"})
            row["status"] = "ready"
            if identity.extra.get("identity_note"):
                row["note"] = identity.extra["identity_note"]
        except TargetUnavailable as exc:
            row["status"] = "unavailable"
            row["note"] = str(exc)
        finally:
            if provider is not None:
                await provider.close()
        rows.append(row)
    _add_last_loads(rows, cfg)
    return rows


def _add_last_loads(rows: list[dict[str, Any]], cfg: Config) -> None:
    """How long each local model last took to load in a run (from the results database, when there is
    one): what the next run will spend on loads before its first measured call."""
    if not cfg.results.exists():
        return
    from llmbench.errors import StoreError
    from llmbench.store import Store

    try:
        store = Store(cfg.results, create=False)
    except StoreError:
        return
    try:
        last = store.last_loads([row["target"] for row in rows])
    finally:
        store.close()
    for row in rows:
        load = last.get(row["target"])
        if load is not None:
            row["last_load_s"] = round(load.load_s, 3)
            row["last_load_at"] = load.started_at
