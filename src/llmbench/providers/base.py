"""What every provider shares: the interface, reasoning extraction and error classification."""

from __future__ import annotations

import re
from typing import Protocol

from llmbench.errors import CallError
from llmbench.records import Completion, GenerationParams, ModelIdentity, Prompt, TargetSpec

_OPEN = "<think>"
_CLOSE = "</think>"
_LEADING_OPEN = re.compile(r"^\s*<think>", re.IGNORECASE)


class Provider(Protocol):
    spec: TargetSpec

    async def describe(self) -> ModelIdentity:
        """Identify the model (digest, size, served version...) or raise TargetUnavailable."""

    async def complete(self, prompt: Prompt, params: GenerationParams) -> Completion:
        """Make one call; raise CallError on failure."""

    async def close(self) -> None: ...


def messages_for(prompt: Prompt) -> list[dict[str, str]]:
    messages = []
    if prompt.system:
        messages.append({"role": "system", "content": prompt.system})
    messages.append({"role": "user", "content": prompt.text})
    return messages


def split_think(content: str) -> tuple[str, str | None, str, int]:
    """Separate reasoning from the answer in a text that may carry it inline.

    Returns (answer, reasoning, format, offset) where format is `tags` (`<think>…</think>answer`),
    `bare_close` (`…</think>answer`: R1 templates put the opening tag in the prompt) or `none`, and
    offset is where the answer starts in `content`. An empty think block gives reasoning "" (not None):
    that is the suppressed-reasoning signal of a censored R1 answer.
    """
    close = content.find(_CLOSE)
    if close == -1:
        match = _LEADING_OPEN.match(content)
        if match:  # Budget ran out inside the think block: everything is reasoning.
            return "", content[match.end() :].strip(), "tags", len(content)
        return content.strip(), None, "none", 0
    end = close + len(_CLOSE)
    head = content[:close]
    match = _LEADING_OPEN.match(head)
    if match:
        return content[end:].strip(), head[match.end() :].strip(), "tags", end
    return content[end:].strip(), head.strip(), "bare_close", end


def merge_reasoning(
    content: str, field_reasoning: str | None, think_requested: bool
) -> tuple[str, str | None, str]:
    """Combine a provider's separate reasoning field with any inline think block in the content."""
    answer, inline, fmt, _ = split_think(content)
    if field_reasoning:
        reasoning = (
            field_reasoning.strip() if inline is None else f"{field_reasoning.strip()}\n{inline}".strip()
        )
        return answer, reasoning, "field"
    if inline is not None:
        return answer, inline, fmt
    if think_requested:
        # Asked for reasoning, got none: keep "" so it counts as suppressed, not as "no reasoning model".
        return answer, "", "field"
    return answer, None, "none"


def estimate_reasoning_tokens(
    completion_tokens: int | None, reasoning: str | None, answer: str
) -> int | None:
    """Split a total token count by character share when the server gives no separate count."""
    if completion_tokens is None or reasoning is None:
        return None
    total_chars = len(reasoning) + len(answer)
    if total_chars == 0:
        return 0
    return round(completion_tokens * len(reasoning) / total_chars)


def classify_status(status: int, message: str, retry_after: float | None = None) -> CallError:
    """HTTP status -> CallError: 429 and 5xx are worth retrying, 4xx are not."""
    if status == 429:
        return CallError("rate_limit", message, retryable=True, retry_after=retry_after)
    if status in (408, 409) or status >= 500:
        return CallError("server_error", message, retryable=True, retry_after=retry_after)
    if status == 404:
        return CallError("model_not_found", message)
    if status in (401, 403):
        return CallError("auth", message)
    return CallError("bad_request", message)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None
