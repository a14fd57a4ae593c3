"""Ollama's native `/api/chat` through the official `ollama` client.

Native rather than `/v1`: only the native API takes `think` and `num_ctx` and reports the server's own
token counts and nanosecond timings, which is what makes local numbers comparable run to run.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

import httpx
import ollama

from llmbench.errors import CallError, TargetUnavailable
from llmbench.providers.base import (
    Provider,
    classify_status,
    merge_reasoning,
    messages_for,
    parse_retry_after,
    split_think,
)
from llmbench.records import Completion, GenerationParams, ModelIdentity, ModelLoad, Prompt, TargetSpec

PULL_HINT = "install it with `ollama pull {model}` (llmbench never pulls models by itself)"

# The `ollama` client drops response headers when it raises ResponseError, so an httpx response hook
# notes Retry-After here. A context variable is per task: concurrent calls never see each other's.
_retry_after: ContextVar[float | None] = ContextVar("llmbench_ollama_retry_after", default=None)


async def _note_retry_after(response: httpx.Response) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        _retry_after.set(parse_retry_after(response.headers.get("retry-after")))


# httpx splits streamed lines the way str.splitlines() does, so a raw U+0085 (NEL), U+2028 or U+2029 inside
# an answer would cut a JSON line in two (Go's encoder escapes the last two, not NEL). Inside NDJSON they can
# only sit in strings, where the escaped form means the same: rewrite them before httpx sees the bytes.
_LINE_BREAKERS = [(ch.encode(), f"\\u{ord(ch):04x}".encode()) for ch in "\x85\u2028\u2029"]


class _EscapedLines(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self.inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        held = b""  # the start of a multi-byte character cut by a chunk boundary
        async for chunk in self.inner:
            chunk = held + chunk
            cut = _incomplete_tail(chunk)
            chunk, held = chunk[: len(chunk) - cut], chunk[len(chunk) - cut :]
            for raw, escaped in _LINE_BREAKERS:
                if raw in chunk:
                    chunk = chunk.replace(raw, escaped)
            yield chunk
        if held:
            yield held

    async def aclose(self) -> None:
        await self.inner.aclose()


def _incomplete_tail(chunk: bytes) -> int:
    """How many bytes at the end start a UTF-8 character whose remaining bytes are in the next chunk."""
    for back in range(1, min(3, len(chunk)) + 1):
        byte = chunk[-back]
        if byte & 0xC0 != 0x80:  # a lead byte (or ASCII): does its sequence run past the end?
            need = 2 if byte & 0xE0 == 0xC0 else 3 if byte & 0xF0 == 0xE0 else 4 if byte & 0xF8 == 0xF0 else 1
            return back if need > back else 0
    return 0


class _SafeLinesTransport(httpx.AsyncHTTPTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        headers = response.headers
        if (
            "ndjson" in headers.get("content-type", "")
            and headers.get("content-encoding", "identity") == "identity"
        ):
            response.stream = _EscapedLines(response.stream)  # type: ignore[arg-type]
        return response


def _same_model(a: str, b: str) -> bool:
    """`deepseek-r1` and `deepseek-r1:latest` name the same model, as in Ollama itself."""

    def norm(name: str) -> str:
        return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"

    return norm(a) == norm(b)


def keep_alive_for(spec: TargetSpec) -> str:
    """How long Ollama keeps the model resident after each request: longer than any gap inside the run
    (one call's timeout plus the longest retry wait), so a model is never evicted between two of its own
    calls; sent with the warm-up and every call (a request without it resets Ollama's timer to 5 min)."""
    return f"{int(spec.timeout_s + 600)}s"


class OllamaProvider(Provider):
    name = "ollama"
    always_local = True  # even on a remote GPU box: it is the user's hardware, priced by energy
    truncates_at_num_ctx = True  # Ollama cuts a prompt longer than num_ctx without an error

    @classmethod
    def default_base_url(cls) -> str | None:
        from llmbench.config import ollama_host

        return ollama_host()

    @classmethod
    def create(cls, spec: TargetSpec) -> Provider:
        return MultiHostOllama(spec) if len(spec.hosts) > 1 else cls(spec)

    def __init__(self, spec: TargetSpec, host: str | None = None) -> None:
        super().__init__(spec)
        self.host = (host or spec.base_url or (spec.hosts[0] if spec.hosts else "")).rstrip("/")
        # The client has no default timeout; a hung request could last hours. Connecting is quick or never.
        timeout = httpx.Timeout(spec.timeout_s, connect=min(10.0, spec.timeout_s))
        self.client = ollama.AsyncClient(
            host=self.host,
            timeout=timeout,
            event_hooks={"response": [_note_retry_after]},
            transport=_SafeLinesTransport(),
        )

    async def describe(self) -> ModelIdentity:
        try:
            listing = await self.client.list()
        except (ConnectionError, httpx.HTTPError) as exc:
            raise TargetUnavailable(
                f"no Ollama server answers at {self.host} ({type(exc).__name__}). Start it with `ollama serve`"
                " or set OLLAMA_HOST."
            ) from None
        except ollama.ResponseError as exc:
            raise TargetUnavailable(
                f"Ollama at {self.host} answered /api/tags with {exc.status_code}"
            ) from None
        entry = next((m for m in listing.models if _same_model(m.model or "", self.spec.model)), None)
        if entry is None:
            installed = ", ".join(m.model or "?" for m in listing.models) or "none"
            raise TargetUnavailable(
                f"model '{self.spec.model}' is not installed on {self.host} (installed: {installed}); "
                + PULL_HINT.format(model=self.spec.model)
            )
        try:
            show = await self.client.show(self.spec.model)
        except ollama.ResponseError as exc:
            raise TargetUnavailable(f"Ollama could not describe '{self.spec.model}': {exc.error}") from None
        details = show.details or entry.details
        info: dict[str, Any] = dict(show.modelinfo or {})
        context_length = next((v for k, v in info.items() if k.endswith(".context_length")), None)
        return ModelIdentity(
            target=self.spec.name,
            provider="ollama",
            model=self.spec.model,
            digest=entry.digest,
            family=details.family if details else None,
            families=list(details.families) if details and details.families else None,
            parameter_size=details.parameter_size if details else None,
            quantization=details.quantization_level if details else None,
            format=details.format if details else None,
            capabilities=list(show.capabilities) if show.capabilities else None,
            context_length=int(context_length) if context_length else None,
            server_version=await self.server_version(),
            host=self.host,
            extra={"size": entry.size, "modified_at": str(entry.modified_at) if entry.modified_at else None},
        )

    async def server_version(self) -> str | None:
        # The chat client's own connection pool: no second client, no second TLS set-up.
        for _ in range(2):
            try:
                response = await self.client._client.get("/api/version", timeout=10.0)
                return response.json().get("version")
            except httpx.TransportError:
                continue  # a pooled connection the server had just closed: the second try opens a new one
            except (httpx.HTTPError, ValueError, AttributeError):
                return None
        return None

    def _options(self, prompt: Prompt | None, params: GenerationParams) -> dict[str, Any]:
        options = {
            "temperature": params.temperature,
            "seed": params.seed,
            "num_predict": params.max_tokens,
            "num_ctx": params.num_ctx,
            "top_p": params.top_p,
        }
        return {k: v for k, v in options.items() if v is not None}

    async def complete(self, prompt: Prompt, params: GenerationParams) -> Completion:
        kwargs: dict[str, Any] = {
            "model": self.spec.model,
            "messages": messages_for(prompt),
            "options": self._options(prompt, params),
        }
        if params.think is not None:
            kwargs["think"] = params.think
        kwargs["keep_alive"] = keep_alive_for(self.spec)
        started = time.perf_counter()
        _retry_after.set(None)
        try:
            # httpx's timeout bounds each read, not the call: a server that trickles a token every
            # few seconds would never time out. `timeout` is documented per call, so bound it all.
            async with asyncio.timeout(self.spec.timeout_s):
                if self.spec.stream:
                    return await self._stream(kwargs, params, started)
                response = await self.client.chat(stream=False, **kwargs)
            latency = time.perf_counter() - started
            return self._completion(
                response,
                response.message.content or "",
                response.message.thinking,
                params,
                latency,
                None,
                None,
            )
        except ollama.ResponseError as exc:
            if exc.status_code == 404:
                error = CallError(
                    "model_not_found", f"{exc.error}; " + PULL_HINT.format(model=self.spec.model)
                )
            elif exc.status_code < 100:
                # An `{"error": ...}` line inside a 200 stream (the client gives it status -1): the
                # model runner failed after the answer had started, a server-side failure.
                error = CallError("server_error", f"Ollama failed mid-answer: {exc.error}", retryable=True)
            else:
                error = classify_status(
                    exc.status_code, f"Ollama {exc.status_code}: {exc.error}", _retry_after.get()
                )
            raise error from None
        except (TimeoutError, httpx.TimeoutException):
            raise CallError("timeout", f"no complete answer within {self.spec.timeout_s:g} s") from None
        except (ConnectionError, httpx.TransportError) as exc:
            raise CallError(
                "connection", f"connection to {self.host} failed: {exc}", retryable=True
            ) from None
        except (json.JSONDecodeError, ValueError, TypeError, KeyError, AttributeError) as exc:
            # AttributeError: a line that is JSON but not an object (`null`, `[]`) breaks the client.
            raise CallError(
                "bad_response", f"malformed response from Ollama: {exc}", retryable=True
            ) from None

    async def _stream(self, kwargs: dict[str, Any], params: GenerationParams, started: float) -> Completion:
        content_parts: list[str] = []
        thinking_parts: list[str] = []
        ttft: float | None = None
        final = None
        async for chunk in await self.client.chat(stream=True, **kwargs):
            message = chunk.message
            if message is not None:
                if message.thinking:
                    thinking_parts.append(message.thinking)
                if message.content:
                    content_parts.append(message.content)
                if ttft is None and (message.thinking or message.content):
                    ttft = time.perf_counter() - started
            if chunk.done:
                final = chunk
        latency = time.perf_counter() - started
        if final is None:
            raise CallError("bad_response", "the stream ended before its final (done) line", retryable=True)
        content = "".join(content_parts)
        thinking = "".join(thinking_parts) if thinking_parts else None
        # Ollama streams one token per line: count the lines that carried reasoning.
        _, _, _, answer_offset = split_think(content)
        reasoning_lines = len(thinking_parts)
        position = 0
        for part in content_parts:
            if position < answer_offset:
                reasoning_lines += 1
            position += len(part)
        return self._completion(final, content, thinking, params, latency, ttft, reasoning_lines)

    def _completion(
        self,
        final: ollama.ChatResponse,
        content: str,
        thinking: str | None,
        params: GenerationParams,
        latency: float,
        ttft: float | None,
        reasoning_lines: int | None,
    ) -> Completion:
        answer, reasoning, fmt = merge_reasoning(content, thinking, bool(params.think))
        raw = final.model_dump(exclude={"message"}, mode="json")
        reasoning_tokens = None
        if reasoning is not None:
            if reasoning_lines is not None:
                reasoning_tokens = min(reasoning_lines, final.eval_count or reasoning_lines)
            elif final.eval_count is not None:
                total = len(reasoning) + len(answer)
                reasoning_tokens = round(final.eval_count * len(reasoning) / total) if total else 0
        return Completion(
            answer=answer,
            reasoning=reasoning,
            reasoning_format=fmt,
            done_reason=final.done_reason,
            prompt_tokens=final.prompt_eval_count,
            completion_tokens=final.eval_count,
            reasoning_tokens=reasoning_tokens,
            reasoning_tokens_estimated=reasoning_tokens is not None,
            total_duration_ns=final.total_duration,
            load_duration_ns=final.load_duration,
            prompt_eval_duration_ns=final.prompt_eval_duration,
            eval_duration_ns=final.eval_duration,
            latency_s=latency,
            ttft_s=ttft,
            served_model=final.model,
            host=self.host,
            raw=raw,
        )

    async def load(self) -> ModelLoad:
        """Warm the model before its first measured call: an empty chat makes Ollama load it (with the
        calls' own options: a different num_ctx would reload it on the first call)."""
        started = time.perf_counter()
        await self._empty_chat(keep_alive_for(self.spec), self._options(None, self.spec.params))
        return ModelLoad(seconds=time.perf_counter() - started)

    async def unload(self) -> None:
        """Free the model now (`keep_alive: 0`), so the next model on this host loads without waiting."""
        await self._empty_chat(0, None)

    async def _empty_chat(self, keep_alive: str | int, options: dict[str, Any] | None) -> None:
        try:
            async with asyncio.timeout(self.spec.timeout_s):
                await self.client.chat(
                    model=self.spec.model, messages=[], keep_alive=keep_alive, options=options, stream=False
                )
        except ollama.ResponseError as exc:
            raise CallError("load_failed", f"Ollama {exc.status_code}: {exc.error}") from None
        except (TimeoutError, ConnectionError, httpx.HTTPError) as exc:
            raise CallError("load_failed", f"{self.host}: {type(exc).__name__} {exc}") from None

    async def close(self) -> None:
        inner = getattr(self.client, "_client", None)
        if inner is not None:
            await inner.aclose()


async def discover_models(host: str, timeout: float = 3.0) -> list[str] | None:
    """Names of the models installed on an Ollama server, or None when nothing answers there."""
    client = ollama.AsyncClient(host=host, timeout=timeout)
    try:
        listing = await client.list()
        return [m.model for m in listing.models if m.model]
    except (ConnectionError, httpx.HTTPError, ollama.ResponseError, ValueError):
        return None
    finally:
        await client._client.aclose()


class MultiHostOllama(Provider):
    """One target served by several Ollama hosts (`hosts: [...]`). A run schedules its `members` host by
    host (llmbench.schedule); a lone caller (the LLM judge) gets each call sent to the host with the fewest
    calls in flight, so every host's slots stay busy.

    A small pool of our own rather than litellm's Router: the native API (think, num_ctx, nanosecond
    timings) is kept, and the choice costs a dict lookup per call.
    """

    def __init__(self, spec: TargetSpec) -> None:
        super().__init__(spec)
        self.members = [OllamaProvider(spec, host=host) for host in spec.hosts]
        self.in_flight = {m.host: 0 for m in self.members}
        self._next = 0

    async def describe(self) -> ModelIdentity:
        identities = await asyncio.gather(*(member.describe() for member in self.members))
        digests = {i.host: i.digest for i in identities}
        if len(set(digests.values())) > 1:
            raise TargetUnavailable(
                f"the hosts of '{self.spec.name}' serve different builds of {self.spec.model}: "
                + ", ".join(f"{h} {d[:12] if d else '?'}" for h, d in digests.items())
                + "; pull the same model everywhere so results stay comparable"
            )
        first = identities[0]
        first.host = ", ".join(m.host for m in self.members)
        first.extra["hosts"] = {i.host: {"server_version": i.server_version} for i in identities}
        return first

    def _pick(self) -> OllamaProvider:
        lowest = min(self.in_flight.values())
        candidates = [m for m in self.members if self.in_flight[m.host] == lowest]
        member = candidates[self._next % len(candidates)]
        self._next += 1
        return member

    async def complete(self, prompt: Prompt, params: GenerationParams) -> Completion:
        member = self._pick()
        self.in_flight[member.host] += 1
        try:
            return await member.complete(prompt, params)
        finally:
            self.in_flight[member.host] -= 1

    async def close(self) -> None:
        for member in self.members:
            await member.close()
