"""The record types that cross every boundary: targets, prompts, cells and completions.

Data flows one way (config -> plan -> runner -> provider -> record -> store -> report) and these
dataclasses are what travels. Nothing downstream of a provider ever sees a client object or a raw dict.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

HOSTED_PROVIDERS_NEED_KEY = True


@dataclass(frozen=True)
class GenerationParams:
    """Sampling and budget settings sent with every call of a target.

    `max_tokens` is the answer budget (Ollama `num_predict`); reasoning spends it too, which is why an
    empty answer with `done_reason=length` is labelled "budget spent in thinking" rather than a refusal.
    """

    temperature: float | None = 0.0
    seed: int | None = 42
    max_tokens: int | None = 4096
    num_ctx: int | None = 8192
    top_p: float | None = None
    think: bool | str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_json(self) -> str:
        return _params_json(self)


@functools.lru_cache(maxsize=256)
def _params_json(params: GenerationParams) -> str:
    """A plan has a handful of distinct parameter sets (equal ones hash alike) across thousands of calls."""
    return json.dumps(params.as_dict())


@dataclass(frozen=True)
class TargetSpec:
    """One model behind one provider, as the user named it (`ollama/deepseek-r1:7b`)."""

    name: str
    provider: str  # ollama | openai | litellm | embedded
    model: str
    base_url: str | None = None
    hosts: tuple[str, ...] = ()
    api_key_env: str | None = None
    api_key: str | None = field(default=None, repr=False, compare=False)
    concurrency: int = 1
    timeout_s: float = 600.0
    max_retries: int = 4
    stream: bool = True
    params: GenerationParams = field(default_factory=GenerationParams)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def public_dict(self) -> dict[str, Any]:
        """Everything about the target except secrets: safe to store, export and render."""
        data = asdict(self)
        data.pop("api_key", None)
        data["api_key_set"] = self.api_key is not None
        return data


@dataclass(frozen=True)
class Prompt:
    """One prompt of a suite, with what grading needs to judge its answer."""

    id: str
    suite: str
    text: str
    category: str = ""
    topic: str = ""
    language: str = "en"
    system: str | None = None
    max_tokens: int | None = None
    expect: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    source_file: str = ""
    source_line: int = 0

    def content_hash(self) -> str:
        payload = json.dumps([self.system, self.text], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Cell:
    """One call to make: a target, a prompt and a repeat number, with a stable key.

    The key hashes everything that changes what is bought (target identity, suite, prompt id and text,
    parameters, repeat) so that `--resume` can tell a finished call from a missing one.
    """

    target: TargetSpec
    prompt: Prompt
    repeat: int
    params: GenerationParams

    @functools.cached_property
    def key(self) -> str:
        payload = json.dumps(
            {
                "target": [self.target.provider, self.target.model, self.target.base_url],
                "suite": self.prompt.suite,
                "prompt": self.prompt.id,
                "text": self.prompt.content_hash(),
                "params": self.params.as_dict(),
                "repeat": self.repeat,
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:24]


@dataclass
class ModelIdentity:
    """What exactly answered: enough to tell "the model changed" from "the behaviour changed"."""

    target: str
    provider: str
    model: str
    digest: str | None = None
    family: str | None = None
    families: list[str] | None = None
    parameter_size: str | None = None
    quantization: str | None = None
    format: str | None = None
    capabilities: list[str] | None = None
    context_length: int | None = None
    server_version: str | None = None
    host: str | None = None
    served_model: str | None = None
    system_fingerprint: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Completion:
    """One answer, normalised whatever the provider sent.

    `reasoning` is None when no reasoning was seen at all and "" when a think block was present but empty:
    the difference is the "suppressed reasoning" signal of a censored R1 answer.
    Durations are kept in the unit the server used (Ollama: nanoseconds) so the store equals what was served.
    """

    answer: str
    reasoning: str | None = None
    reasoning_format: str = "none"  # field | tags | bare_close | none
    done_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    reasoning_tokens_estimated: bool = False
    cached_tokens: int | None = None
    total_duration_ns: int | None = None
    load_duration_ns: int | None = None
    prompt_eval_duration_ns: int | None = None
    eval_duration_ns: int | None = None
    eval_count: int | None = None  # tokens timed by eval_duration_ns when not all completion tokens are
    latency_s: float | None = None
    ttft_s: float | None = None
    served_model: str | None = None
    system_fingerprint: str | None = None
    host: str | None = None
    cost_usd: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def tokens_per_s(self) -> float | None:
        """Generation speed: server-measured when the server reports eval time, else wall-clock."""
        timed = self.eval_count if self.eval_count is not None else self.completion_tokens
        if timed and self.eval_duration_ns:
            return timed / (self.eval_duration_ns / 1e9)
        if self.completion_tokens and self.latency_s:
            generation_s = self.latency_s - (self.ttft_s or 0.0)
            if generation_s > 0:
                return self.completion_tokens / generation_s
        return None
