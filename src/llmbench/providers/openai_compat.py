"""Any OpenAI-compatible chat server through the `openai` client (OpenAI, vLLM, llama.cpp, LM Studio,
Ollama's `/v1`...). The protocol itself is handled in `openai_core`; this module only sends.

Streaming is used so time-to-first-token is measured; `stream_options.include_usage` brings the usage
block (with reasoning and cached token counts where the server gives them) in the last chunk.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from llmbench.errors import TargetUnavailable
from llmbench.providers.openai_core import OpenAICompatible, ServerSaid, not_a_completion
from llmbench.records import ModelIdentity, TargetSpec

OPENAI_URL = "https://api.openai.com/v1"


class OpenAIProvider(OpenAICompatible):
    name = "openai"
    key_env = "OPENAI_API_KEY"

    @classmethod
    def default_base_url(cls) -> str | None:
        return os.environ.get("OPENAI_BASE_URL") or None

    def __init__(self, spec: TargetSpec) -> None:
        super().__init__(spec)
        import openai  # ~1 s to import: only when an OpenAI-protocol target is used

        self.base_url = spec.base_url or OPENAI_URL
        # Retries live in one policy (providers.retry, honouring Retry-After), so the SDK's own are off.
        # Local servers mostly take no key, but the SDK wants one.
        self.client = openai.AsyncOpenAI(
            base_url=self.base_url, api_key=spec.api_key or "unset", timeout=spec.timeout_s, max_retries=0
        )

    @property
    def host(self) -> str | None:
        return self.base_url

    async def describe(self) -> ModelIdentity:
        import openai

        if (missing := self.needs_key()) is not None:
            raise missing
        if self.local:
            return await self.describe_local(self.base_url, self.spec.model)
        served = None
        try:
            model = await self.client.models.retrieve(self.spec.model)
            served = getattr(model, "id", None)
        except openai.AuthenticationError:
            raise TargetUnavailable(
                f"{self.base_url} rejected the key in ${self.spec.api_key_env} (401)"
            ) from None
        except openai.APIConnectionError:
            raise TargetUnavailable(f"no OpenAI-compatible server answers at {self.base_url}") from None
        except openai.APIStatusError:
            pass  # Many compatible servers have no /models/{id}; the first call will tell.
        return ModelIdentity(
            target=self.spec.name,
            provider=self.name,
            model=self.spec.model,
            host=self.base_url,
            served_model=served,
        )

    async def _open_stream(self, request: dict[str, Any]) -> tuple[AsyncIterator[Any], ServerSaid | None]:
        stream = await self.client.chat.completions.create(
            stream=True, stream_options={"include_usage": True}, **request
        )
        if not hasattr(stream, "__aiter__"):
            raise not_a_completion(stream)
        return stream, None  # the SDK passes the server's chunks through as sent

    async def _send_once(self, request: dict[str, Any]) -> Any:
        return await self.client.chat.completions.create(**request)

    async def close(self) -> None:
        await self.client.close()
