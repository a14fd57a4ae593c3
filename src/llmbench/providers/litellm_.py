"""Every other provider (DeepSeek, Anthropic, Gemini, Mistral, vLLM...) through litellm.

litellm is imported here only: it takes seconds to import and, unless told otherwise, downloads its
price map at import time. We point it at its bundled copy so no traffic leaves except to the provider.

litellm rewrites streams: it turns a server's `[DONE]` into a `stop` finish and, when the server sends
no usage, counts tokens with its own tokenizer. So the raw chunks are watched on their way into
litellm's stream wrapper (`ServerSaid`), and only what the server itself sent is stored: a stream cut
before its final chunk is an error, not an empty answer, and no litellm estimate passes for a count.
After a call abandoned mid-answer (a timeout), litellm's pooled clients are dropped: it would otherwise
give the next call the abandoned call's response.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from llmbench.errors import TargetUnavailable
from llmbench.providers.base import is_local_address
from llmbench.providers.openai_core import OpenAICompatible, ServerSaid
from llmbench.records import ModelIdentity, TargetSpec

# Keys litellm looks for, per provider prefix; used to say "key missing" before any call.
KEY_ENV = {
    "deepseek": "DEEPSEEK_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "fireworks_ai": "FIREWORKS_API_KEY",
    "xai": "XAI_API_KEY",
    "cohere": "COHERE_API_KEY",
}
# litellm providers that default to a server on this machine when no base_url is given.
LOCAL_BY_DEFAULT = ("ollama", "ollama_chat")


def import_litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


class LitellmProvider(OpenAICompatible):
    name = "litellm"

    @classmethod
    def default_key_env(cls, model: str) -> str | None:
        return KEY_ENV.get(model.split("/", 1)[0])

    @classmethod
    def is_local(cls, spec: TargetSpec) -> bool:
        if spec.local is not None or spec.base_url:
            return super().is_local(spec)
        return spec.model.split("/", 1)[0] in LOCAL_BY_DEFAULT

    def __init__(self, spec: TargetSpec) -> None:
        super().__init__(spec)
        self.litellm = import_litellm()

    async def describe(self) -> ModelIdentity:
        if self.spec.api_key is None and not self.local:
            if self.spec.api_key_env:
                missing = [self.spec.api_key_env]
            else:
                missing = self.litellm.validate_environment(self.spec.model).get("missing_keys") or []
            if missing:
                raise TargetUnavailable(
                    f"target '{self.spec.name}' needs an API key: set ${' / $'.join(missing)}"
                )
        if self.local and self.spec.base_url and is_local_address(self.spec.base_url):
            identity = await self.describe_local(self.spec.base_url, self.spec.model.split("/", 1)[-1])
        else:
            identity = ModelIdentity(
                target=self.spec.name, provider=self.name, model=self.spec.model, host=self.spec.base_url
            )
        identity.extra["litellm_version"] = _version()
        return identity

    def request(self, prompt: Any, params: Any) -> dict[str, Any]:
        request = super().request(prompt, params)
        request.update(timeout=self.spec.timeout_s, num_retries=0)
        if self.spec.api_key:
            request["api_key"] = self.spec.api_key
        if self.spec.base_url:
            request["api_base"] = self.spec.base_url
        return request

    async def _open_stream(self, request: dict[str, Any]) -> tuple[AsyncIterator[Any], ServerSaid | None]:
        stream = await self.litellm.acompletion(
            stream=True, stream_options={"include_usage": True}, **request
        )
        said = ServerSaid()
        creator = stream.chunk_creator  # every raw chunk from the provider passes through it

        def watched(chunk: Any) -> Any:
            _note(said, chunk)
            return creator(chunk=chunk)

        stream.chunk_creator = watched
        return stream, said

    async def _send_once(self, request: dict[str, Any]) -> Any:
        return await self.litellm.acompletion(**request)

    def _drop_connections(self) -> None:
        # litellm pools its clients and, after a call is cancelled mid-stream, hands the connection with
        # the abandoned response to the next call: that call would get the other prompt's answer.
        self.litellm.in_memory_llm_clients_cache.flush_cache()


def _note(said: ServerSaid, chunk: Any) -> None:
    """Record a finish reason or usage only when a provider chunk carries it.

    litellm's own `[DONE]` marker is a GenericStreamingChunk with `is_finished` but no text, usage or
    tool call: that one is not the server saying it finished."""
    get = chunk.get if isinstance(chunk, dict) else lambda name, default=None: getattr(chunk, name, default)
    if get("usage") is not None:
        said.usage = True
    choices = get("choices")
    if choices:
        for choice in choices:
            reason = (
                choice.get("finish_reason")
                if isinstance(choice, dict)
                else getattr(choice, "finish_reason", None)
            )
            said.finished = said.finished or bool(reason)
    elif get("is_finished") and (get("text") or get("usage") or get("tool_use")):
        said.finished = True


def _version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("litellm")
    except PackageNotFoundError:
        return None
