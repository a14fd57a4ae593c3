"""Every other hosted provider (DeepSeek, Anthropic, Gemini, Mistral...) through litellm.

litellm is imported here only: it takes seconds to import and, unless told otherwise, downloads its
price map at import time. We point it at its bundled copy so no traffic leaves except to the provider.
"""

from __future__ import annotations

import os
import time
from typing import Any

from llmbench.errors import TargetUnavailable
from llmbench.providers.base import messages_for
from llmbench.providers.openai_compat import (
    REASONING_FIELDS,
    build_completion,
    extra_field,
    openai_error,
    usage_numbers,
)
from llmbench.records import Completion, GenerationParams, ModelIdentity, Prompt, TargetSpec


def import_litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


class LitellmProvider:
    def __init__(self, spec: TargetSpec) -> None:
        self.spec = spec
        self.litellm = import_litellm()

    async def describe(self) -> ModelIdentity:
        if self.spec.api_key is None:
            if self.spec.api_key_env:
                missing = [self.spec.api_key_env]
            else:
                missing = self.litellm.validate_environment(self.spec.model).get("missing_keys") or []
            if missing:
                raise TargetUnavailable(
                    f"target '{self.spec.name}' needs an API key: set ${' / $'.join(missing)}"
                )
        return ModelIdentity(
            target=self.spec.name,
            provider="litellm",
            model=self.spec.model,
            host=self.spec.base_url,
            extra={"litellm_version": _version()},
        )

    async def complete(self, prompt: Prompt, params: GenerationParams) -> Completion:
        request: dict[str, Any] = {
            "model": self.spec.model,
            "messages": messages_for(prompt),
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "seed": params.seed,
            "top_p": params.top_p,
            "timeout": self.spec.timeout_s,
            "num_retries": 0,
            "api_key": self.spec.api_key,
            "api_base": self.spec.base_url,
        }
        request = {k: v for k, v in request.items() if v is not None}
        if params.think is not None and params.think is not False:
            request["reasoning_effort"] = params.think if isinstance(params.think, str) else "medium"
        started = time.perf_counter()
        try:
            if not self.spec.stream:
                response = await self.litellm.acompletion(**request)
                choice = response.choices[0]
                return build_completion(
                    choice.message.content or "",
                    extra_field(choice.message, REASONING_FIELDS),
                    usage_numbers(getattr(response, "usage", None)),
                    params,
                    choice.finish_reason,
                    time.perf_counter() - started,
                    None,
                    response.model,
                    getattr(response, "system_fingerprint", None),
                    self.spec.base_url,
                    {"id": response.id},
                )
            return await self._stream(request, params, started)
        except Exception as exc:  # litellm maps provider errors onto openai's exception classes
            raise openai_error(exc) from None

    async def _stream(self, request: dict[str, Any], params: GenerationParams, started: float) -> Completion:
        stream = await self.litellm.acompletion(
            stream=True, stream_options={"include_usage": True}, **request
        )
        content: list[str] = []
        reasoning: list[str] = []
        ttft = usage = finish = served = fingerprint = response_id = None
        async for chunk in stream:
            response_id = getattr(chunk, "id", None) or response_id
            served = getattr(chunk, "model", None) or served
            fingerprint = getattr(chunk, "system_fingerprint", None) or fingerprint
            if getattr(chunk, "usage", None) is not None:
                usage = chunk.usage
            for choice in chunk.choices or []:
                delta = choice.delta
                piece = extra_field(delta, REASONING_FIELDS)
                if piece:
                    reasoning.append(piece)
                text = getattr(delta, "content", None) if delta is not None else None
                if text:
                    content.append(text)
                if ttft is None and (piece or text):
                    ttft = time.perf_counter() - started
                if choice.finish_reason:
                    finish = choice.finish_reason
        return build_completion(
            "".join(content),
            "".join(reasoning) if reasoning else None,
            usage_numbers(usage),
            params,
            finish,
            time.perf_counter() - started,
            ttft,
            served,
            fingerprint,
            self.spec.base_url,
            {"id": response_id},
        )

    async def close(self) -> None:
        return None


def _version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("litellm")
    except PackageNotFoundError:
        return None
