"""What every provider shares: the typed base class, its retry decisions, reasoning extraction and
error classification.

A provider class declares what it is (`name`, local or hosted, default concurrency and timeout, key
variable, pricing kind) as class attributes and methods; `llmbench.providers.registry` finds every
subclass, and every other module asks the registry. Adding a provider is one new module here (or a
third-party package exposing its class in the `llmbench.providers` entry-point group).
"""

from __future__ import annotations

import ipaddress
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from llmbench.errors import CallError
from llmbench.records import Completion, GenerationParams, ModelIdentity, Prompt, TargetSpec

_OPEN = "<think>"
_CLOSE = "</think>"
_LEADING_OPEN = re.compile(r"^\s*<think>", re.IGNORECASE)

LOCAL_CONCURRENCY = 1  # one local GPU or CPU mostly queues extra calls (and some servers cut streams)
HOSTED_CONCURRENCY = 4  # hosted APIs serve a few calls in flight without complaint
LOCAL_TIMEOUT_S = 900.0  # a first model load or a long think on a local machine can take minutes
HOSTED_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class RetryDecision:
    """What a failed attempt means for the next one: the runner's retry loop applies it."""

    retry: bool
    why: str = ""


class Provider(ABC):
    """One protocol. Subclasses set `name` and implement describe() and complete()."""

    name: ClassVar[str] = ""  # the prefix of target ids: `ollama/...`; empty for abstract bases
    key_env: ClassVar[str | None] = None  # where the key is read from unless `api_key_env` says otherwise
    always_local: ClassVar[bool] = False  # served on the user's own machine whatever the address
    sample_suites: ClassVar[bool] = False  # a tiny default model: run a quick sample unless told otherwise
    truncates_at_num_ctx: ClassVar[bool] = False  # cuts prompts longer than num_ctx without an error

    registry: ClassVar[dict[str, type[Provider]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            Provider.registry[cls.name] = cls

    def __init__(self, spec: TargetSpec) -> None:
        self.spec = spec
        self.local = type(self).is_local(spec)

    # -- what the class declares (asked through the registry, before any instance exists) ----------

    @classmethod
    def is_local(cls, spec: TargetSpec) -> bool:
        """Local targets get local defaults: concurrency 1, no retry of timeouts, energy cost."""
        if spec.local is not None:
            return spec.local
        return cls.always_local or is_local_address(spec.base_url)

    @classmethod
    def default_key_env(cls, model: str) -> str | None:
        return cls.key_env

    @classmethod
    def default_base_url(cls) -> str | None:
        return None

    @classmethod
    def default_concurrency(cls, local: bool) -> int:
        return LOCAL_CONCURRENCY if local else HOSTED_CONCURRENCY

    @classmethod
    def default_timeout_s(cls, local: bool) -> float:
        return LOCAL_TIMEOUT_S if local else HOSTED_TIMEOUT_S

    @classmethod
    def pricing(cls, local: bool) -> Literal["energy", "tokens"]:
        """Local calls cost electricity or hardware time; hosted ones are billed per token."""
        return "energy" if local else "tokens"

    @classmethod
    def create(cls, spec: TargetSpec) -> Provider:
        return cls(spec)

    # -- the protocol ---------------------------------------------------------------------------------

    @abstractmethod
    async def describe(self) -> ModelIdentity:
        """Identify the model (digest, size, served version...) or raise TargetUnavailable."""

    async def prepare(self) -> None:
        """Get ready before a run's first call (load weights...): nothing by default."""
        return None

    @abstractmethod
    async def complete(self, prompt: Prompt, params: GenerationParams) -> Completion:
        """Make one call; raise CallError on failure."""

    async def close(self) -> None:
        return None

    def retry_decision(self, error: CallError, attempt: int) -> RetryDecision:
        """Whether attempt number `attempt` failing with `error` is worth another one."""
        if not error.retryable:
            return RetryDecision(False, "not a transient error")
        if error.kind == "timeout" and self.local:
            return RetryDecision(False, "a slow local model stays slow")
        if error.kind == "interrupted" and attempt >= 2:
            # The provider serialises its own calls after the first interruption; a second one means
            # something else keeps hitting the server, and regenerating again would only pay again.
            return RetryDecision(False, "interrupted again")
        return RetryDecision(True)


def is_local_address(url: str | None) -> bool:
    """A URL on loopback, a private network or link-local (`localhost`, 127.0.0.1, 10.x, 192.168.x...)."""
    if not url:
        return False
    host = (urlsplit(url if "://" in url else f"http://{url}").hostname or "").lower()
    if host in ("localhost", "host.docker.internal") or host.endswith((".local", ".localhost", ".lan")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


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
