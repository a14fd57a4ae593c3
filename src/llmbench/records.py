"""The record types that cross every boundary: targets, prompts, cells, completions, stored calls and grades.

Data flows one way (config -> plan -> runner -> provider -> record -> store -> report) and these
dataclasses are what travels. Nothing downstream of a provider ever sees a client object or a raw dict, and
nothing downstream of the store reads a database row: it reads a `CallRecord`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any


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
    local: bool | None = None  # as configured (`local:`); None: the provider decides from the address
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
class HostLimits:
    """What one model server can hold (`hosts:` in llmbench.yaml): how many models stay resident at once
    (Ollama's OLLAMA_MAX_LOADED_MODELS, as far as memory allows) and how many calls one resident model
    serves at once (OLLAMA_NUM_PARALLEL; None: each target's `concurrency`). `unload`: free a model once
    its calls are done and another model is still to run there, so the next one loads at once."""

    max_loaded: int = 1
    parallel: int | None = None
    unload: bool = True


@dataclass(frozen=True)
class ModelLoad:
    """One model load before a target's first measured call: wall seconds (the warm-up request, or the
    weights read in-process) and the server's own `load_duration` when it reports one."""

    seconds: float
    server_ns: int | None = None


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


def _column(*, export: bool = True, view: bool = True) -> Any:
    """A `CallRecord` field's roles: `export`, a field of `llmbench export`; `view`, read for every call by the
    report's views (the bulky text is read a batch at a time instead)."""
    return field(metadata={"export": export, "view": view})


# Not frozen: a frozen dataclass sets each of these ~45 fields through object.__setattr__, which would be most
# of what building a row costs on the runner's per-call path. Treat a record read from the store as read-only.
@dataclass(slots=True)
class CallRecord:
    """One finished call as the results database holds it: a row of its `calls` table.

    This class is the table's column list: the store's INSERT, the export's fields and the report's columns
    are derived from its fields, in this order (the exported ones are the README's "Export fields").
    Failed calls have `error` set and no answer; `answer is None` only for them.
    """

    run_id: str = _column(view=False)
    target: str = _column()
    provider: str = _column()
    model: str = _column()
    model_digest: str | None = _column()
    suite: str = _column()
    prompt_id: str = _column()
    category: str | None = _column()
    topic: str | None = _column()
    language: str | None = _column()
    repeat: int = _column()
    prompt: str = _column()
    answer: str | None = _column(view=False)
    reasoning: str | None = _column(view=False)
    reasoning_format: str | None = _column()
    prompt_tokens: int | None = _column()
    completion_tokens: int | None = _column()
    reasoning_tokens: int | None = _column()
    reasoning_tokens_estimated: bool | None = _column()
    cached_tokens: int | None = _column(view=False)
    latency_s: float | None = _column()
    ttft_s: float | None = _column()
    tokens_per_s: float | None = _column()
    total_duration_ns: int | None = _column(view=False)
    load_duration_ns: int | None = _column(view=False)
    prompt_eval_duration_ns: int | None = _column(view=False)
    eval_duration_ns: int | None = _column(view=False)
    done_reason: str | None = _column()
    served_model: str | None = _column()
    system_fingerprint: str | None = _column()
    host: str | None = _column()
    cost_usd: float | None = _column()
    error: str | None = _column()
    error_kind: str | None = _column()
    attempts: int = _column(view=False)
    started_at: str = _column(view=False)
    finished_at: str = _column(view=False)
    cell_key: str = _column(view=False)
    system: str | None = _column(export=False)
    params_json: str = _column(export=False, view=False)
    eval_count: int | None = _column(export=False, view=False)
    cost_json: str | None = _column(export=False)
    raw_json: str | None = _column(export=False, view=False)
    id: int | None = field(default=None, metadata={"export": False, "view": True})
    """The row's id, given by the database (None until stored); not written."""

    @property
    def num_ctx(self) -> Any:
        """The context window the call was made with (from its stored parameters), None when unknown."""
        try:
            return json.loads(self.params_json).get("num_ctx")
        except (TypeError, ValueError, AttributeError):
            return None


CALL_FIELDS = tuple(f.name for f in fields(CallRecord))
"""Every field, in order: what a `SELECT` of a whole call reads."""
CALL_COLUMNS = CALL_FIELDS[:-1]
"""The columns a stored call writes (all but the database's own row id)."""
EXPORTED_CALL_FIELDS = tuple(f.name for f in fields(CallRecord) if f.metadata["export"])
VIEW_CALL_FIELDS = tuple(f.name for f in fields(CallRecord) if f.metadata["view"])


@dataclass(slots=True)
class VerdictPair:
    """One call two graders both gave a verdict (the rules and an LLM judge): where the call sits, the two
    verdicts, and the reason the second grader gave (its evidence's `reason`, "" when none)."""

    call_id: int
    target: str
    prompt_id: str
    topic: str | None
    language: str | None
    verdict_a: str
    verdict_b: str
    reason_b: str


@dataclass(slots=True)
class AnsweredCall:
    """What comparing two runs reads of an answered call: its numbers, what answered it and its rule verdict;
    the reasoning's length, not its text. Every field but `reasoning_len` and `verdict` is a `CallRecord`
    field of the same name."""

    target: str
    suite: str
    prompt_id: str
    topic: str | None
    repeat: int
    answer: str | None
    reasoning_len: int | None
    completion_tokens: int | None
    cost_usd: float | None
    tokens_per_s: float | None
    served_model: str | None
    system_fingerprint: str | None
    verdict: str | None


RULE_GRADER = "rules"
"""The grader name of the rule grades (an LLM judge's are `judge:<target>`)."""


@dataclass
class Grade:
    """One grader's word on one call: an outcome (see `vocab.OUTCOMES`) and, when the call produced an answer,
    a verdict with its evidence."""

    outcome: str
    verdict: str | None = None  # vocab.FACT_VERDICTS (facts) or vocab.CENSORSHIP_VERDICTS (probes)
    score: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    grader: str = RULE_GRADER
