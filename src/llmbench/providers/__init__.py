"""One module per protocol; each turns a prompt into the same `Completion` record.

Heavy clients (litellm, llama_cpp) are imported inside their provider so `llmbench --help` stays fast.
"""

from __future__ import annotations

from llmbench.providers.base import Provider
from llmbench.records import TargetSpec


def make_provider(spec: TargetSpec) -> Provider:
    if spec.provider == "ollama":
        from llmbench.providers.ollama import MultiHostOllama, OllamaProvider

        return MultiHostOllama(spec) if len(spec.hosts) > 1 else OllamaProvider(spec)
    if spec.provider == "openai":
        from llmbench.providers.openai_compat import OpenAIProvider

        return OpenAIProvider(spec)
    if spec.provider == "litellm":
        from llmbench.providers.litellm_ import LitellmProvider

        return LitellmProvider(spec)
    if spec.provider == "embedded":
        from llmbench.providers.embedded import EmbeddedProvider

        return EmbeddedProvider(spec)
    raise ValueError(f"unknown provider {spec.provider!r}")
