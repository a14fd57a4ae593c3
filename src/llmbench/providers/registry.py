"""Which provider class serves a target: built-in modules of this package, plus third-party classes
registered under the `llmbench.providers` entry-point group (in the manner of llm's plugins).

Every other module asks here (`provider_class`, `is_local`, `make_provider`) instead of testing provider
names, so a new provider is one new module in `llmbench/providers/` declaring its own facts. Provider
modules import their heavy client (openai, litellm, llama_cpp) only when used, so finding them is cheap.
"""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil
from importlib.metadata import entry_points

from llmbench.errors import ConfigError
from llmbench.providers.base import Provider
from llmbench.records import TargetSpec

ENTRY_POINT_GROUP = "llmbench.providers"
FALLBACK = "litellm"  # `deepseek/...`, `anthropic/...`: any prefix no provider claims goes to litellm

log = logging.getLogger("llmbench")


@functools.cache
def provider_classes() -> dict[str, type[Provider]]:
    """name -> class, for every provider module of this package and every entry point."""
    import llmbench.providers as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()  # defining a Provider subclass with a `name` registers it
        except Exception as exc:  # a broken plugin must not stop llmbench: say so and go on
            log.warning("provider plugin %s could not be loaded: %s", entry.value, exc)
    return dict(Provider.registry)


def provider_class(name: str) -> type[Provider]:
    classes = provider_classes()
    if name not in classes:
        raise ConfigError(
            "llmbench.yaml",
            None,
            "provider",
            f"unknown provider '{name}' (known: {', '.join(sorted(classes))})",
        )
    return classes[name]


def is_local(spec: TargetSpec) -> bool:
    return provider_class(spec.provider).is_local(spec)


def make_provider(spec: TargetSpec) -> Provider:
    return provider_class(spec.provider).create(spec)
