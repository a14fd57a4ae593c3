"""One module per protocol; each turns a prompt into the same `Completion` record.

Heavy clients (openai, litellm, llama_cpp) are imported inside their provider so `llmbench --help` stays
fast. `registry` finds the provider classes; `base.Provider` is what each declares and implements.
"""

from __future__ import annotations

from llmbench.providers.base import Provider
from llmbench.providers.registry import make_provider

__all__ = ["Provider", "make_provider"]
