"""Any OpenAI-compatible chat server through the `openai` client (OpenAI, vLLM, llama.cpp, LM Studio...).

Streaming is used so time-to-first-token is measured; `stream_options.include_usage` brings the usage
block (with reasoning and cached token counts where the server gives them) in the last chunk.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import openai

from llmbench.errors import CallError, TargetUnavailable
from llmbench.providers.base import (
    classify_status,
    estimate_reasoning_tokens,
    merge_reasoning,
    messages_for,
    parse_retry_after,
)
from llmbench.records import Completion, GenerationParams, ModelIdentity, Prompt, TargetSpec

REASONING_FIELDS = ("reasoning_content", "reasoning")


def openai_error(exc: Exception) -> CallError:
    """Classify the openai SDK's exceptions (litellm raises subclasses of the same ones).

    The SDK wraps transport errors only while it sends the request: once a stream has started, a
    dropped connection or a stalled read surfaces as httpx's own exception, and a garbled body or
    event as json's. Those are classified here too, like their wrapped forms.
    """
    if isinstance(exc, CallError):
        return exc
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return CallError("timeout", "the server did not answer in time", retryable=True)
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return CallError("connection", f"connection failed: {type(exc).__name__}: {exc}", retryable=True)
    if isinstance(exc, json.JSONDecodeError):
        return CallError("bad_response", f"malformed JSON from the server: {exc}", retryable=True)
    if isinstance(exc, openai.APIStatusError):
        headers = exc.response.headers if exc.response is not None else {}
        message = f"HTTP {exc.status_code}: {_error_message(exc)}"
        return classify_status(exc.status_code, message, parse_retry_after(headers.get("retry-after")))
    return CallError("bad_response", f"{type(exc).__name__}: {exc}", retryable=False)


def _error_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
    return str(exc.message)[:300]


def extra_field(obj: Any, names: tuple[str, ...]) -> str | None:
    """Read a non-standard field (reasoning_content / reasoning) from an SDK object or dict."""
    if obj is None:
        return None
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is None and not isinstance(obj, dict):
            value = (getattr(obj, "model_extra", None) or {}).get(name)
        if isinstance(value, str):
            return value
    return None


def usage_numbers(usage: Any) -> dict[str, int | None]:
    def get(obj: Any, name: str) -> Any:
        if obj is None:
            return None
        return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)

    return {
        "prompt_tokens": get(usage, "prompt_tokens"),
        "completion_tokens": get(usage, "completion_tokens"),
        "reasoning_tokens": get(get(usage, "completion_tokens_details"), "reasoning_tokens"),
        "cached_tokens": get(get(usage, "prompt_tokens_details"), "cached_tokens"),
    }


def build_completion(
    content: str,
    field_reasoning: str | None,
    usage: dict[str, int | None],
    params: GenerationParams,
    finish_reason: str | None,
    latency: float,
    ttft: float | None,
    served_model: str | None,
    fingerprint: str | None,
    host: str | None,
    raw: dict[str, Any],
) -> Completion:
    answer, reasoning, fmt = merge_reasoning(content, field_reasoning, bool(params.think))
    reasoning_tokens = usage["reasoning_tokens"]
    estimated = False
    if reasoning_tokens is None and reasoning:
        reasoning_tokens = estimate_reasoning_tokens(usage["completion_tokens"], reasoning, answer)
        estimated = reasoning_tokens is not None
    return Completion(
        answer=answer,
        reasoning=reasoning,
        reasoning_format=fmt,
        done_reason=finish_reason,
        prompt_tokens=usage["prompt_tokens"],
        completion_tokens=usage["completion_tokens"],
        reasoning_tokens=reasoning_tokens,
        reasoning_tokens_estimated=estimated,
        cached_tokens=usage["cached_tokens"],
        latency_s=latency,
        ttft_s=ttft,
        served_model=served_model,
        system_fingerprint=fingerprint,
        host=host,
        raw=raw,
    )


class OpenAIProvider:
    def __init__(self, spec: TargetSpec) -> None:
        self.spec = spec
        self.base_url = spec.base_url or "https://api.openai.com/v1"
        # Retries live in the runner (one place, honouring Retry-After), so the SDK's own are off.
        self.client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=spec.api_key or "unset",
            timeout=spec.timeout_s,
            max_retries=0,
        )

    async def describe(self) -> ModelIdentity:
        if not self.spec.api_key:
            raise TargetUnavailable(
                f"target '{self.spec.name}' needs an API key: set ${self.spec.api_key_env} "
                f"(or name another variable with api_key_env in llmbench.yaml)"
            )
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
            provider="openai",
            model=self.spec.model,
            host=self.base_url,
            served_model=served,
        )

    def _request(self, prompt: Prompt, params: GenerationParams) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.spec.model,
            "messages": messages_for(prompt),
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "seed": params.seed,
            "top_p": params.top_p,
        }
        return {k: v for k, v in request.items() if v is not None}

    async def complete(self, prompt: Prompt, params: GenerationParams) -> Completion:
        request = self._request(prompt, params)
        started = time.perf_counter()
        try:
            # The SDK's timeout bounds each read, not the call (a trickling stream never trips it);
            # `timeout` is documented per call, so bound the whole call.
            async with asyncio.timeout(self.spec.timeout_s):
                if not self.spec.stream:
                    response = await self.client.chat.completions.create(**request)
                    choice = _first_choice(response)
                    return build_completion(
                        choice.message.content or "",
                        extra_field(choice.message, REASONING_FIELDS),
                        usage_numbers(response.usage),
                        params,
                        choice.finish_reason,
                        time.perf_counter() - started,
                        None,
                        response.model,
                        response.system_fingerprint,
                        self.base_url,
                        {"id": response.id, "usage": response.usage.model_dump() if response.usage else None},
                    )
                return await self._stream(request, params, started)
        except (openai.OpenAIError, httpx.HTTPError, json.JSONDecodeError, TimeoutError) as exc:
            raise openai_error(exc) from None

    async def _stream(self, request: dict[str, Any], params: GenerationParams, started: float) -> Completion:
        stream = await self.client.chat.completions.create(
            stream=True, stream_options={"include_usage": True}, **request
        )
        content: list[str] = []
        reasoning: list[str] = []
        ttft = None
        usage = None
        finish = served = fingerprint = response_id = None
        events = 0
        async for chunk in stream:
            events += 1
            if chunk is None or isinstance(chunk, str | int | float | list | dict):
                raise _not_a_completion(chunk)  # an event whose JSON is not a chunk object
            response_id = chunk.id or response_id
            served = chunk.model or served
            fingerprint = chunk.system_fingerprint or fingerprint
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in getattr(chunk, "choices", None) or []:
                delta = choice.delta
                piece = extra_field(delta, REASONING_FIELDS)
                if piece:
                    reasoning.append(piece)
                if delta is not None and delta.content:
                    content.append(delta.content)
                if ttft is None and (piece or (delta is not None and delta.content)):
                    ttft = time.perf_counter() - started
                if choice.finish_reason:
                    finish = choice.finish_reason
        latency = time.perf_counter() - started
        if finish is None:
            # Every chat stream ends its last choice with a finish_reason; without one the text so far
            # is a fragment (a cut stream, or no event stream at all), never a complete answer.
            kind = stream.response.headers.get("content-type", "no content type")
            what = f"{events} event(s), no finish_reason" if events else f"no event at all ({kind})"
            raise CallError(
                "bad_response", f"the stream ended before its final chunk ({what})", retryable=True
            )
        return build_completion(
            "".join(content),
            "".join(reasoning) if reasoning else None,
            usage_numbers(usage),
            params,
            finish,
            latency,
            ttft,
            served,
            fingerprint,
            self.base_url,
            {"id": response_id, "usage": usage.model_dump() if usage is not None else None},
        )

    async def close(self) -> None:
        await self.client.close()


def _not_a_completion(response: Any) -> CallError:
    """A 200 whose body is not a chat completion: the SDK hands back the text of a non-JSON body
    (an HTML page from a proxy) and any JSON value as is."""
    preview = response if isinstance(response, str) else json.dumps(response, default=str)
    return CallError(
        "bad_response",
        f"the server's 200 answer is not a chat completion: {' '.join(str(preview).split())[:120]!r}",
        retryable=True,
    )


def _first_choice(response: Any) -> Any:
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise _not_a_completion(response)
    return choices[0]
