"""What a local OpenAI-compatible server can tell about the model behind a name.

Asked once per run, before any call, so drift can tell a model swapped behind the same name:

* `GET /v1/models` (every server): the served ids; vLLM adds `root` (the weights it loaded) and
  `max_model_len`, llama.cpp adds `meta` (parameter count, size, training context).
* llama.cpp's `GET /props`: the model path, build, context size and slots. When the path is a file
  on this machine, its GGUF header (architecture, size label, quantization) and sha256 are read too.
* Ollama's own `GET /api/version` and `/api/tags` behind its `/v1`: version and digest.
* LM Studio's `GET /api/v0/models/{id}`: architecture, quantization, context length.

Where the server tells nothing but the name (llama-cpp-python's server), `extra["identity_note"]`
says so, and the run prints it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from llmbench.errors import TargetUnavailable
from llmbench.records import ModelIdentity, TargetSpec

PROBE_TIMEOUT_S = 5.0
NAME_ONLY = (
    "the server reports only the model's name: a different model served under the same name would go "
    "unnoticed by drift"
)


async def describe_local_server(
    spec: TargetSpec, provider: str, base_url: str, served_name: str
) -> ModelIdentity:
    """`served_name`: the model as the server knows it (litellm's `hosted_vllm/x` is `x` there)."""
    base = base_url.rstrip("/")
    root = base[: -len("/v1")] if base.endswith("/v1") else base
    headers = {"Authorization": f"Bearer {spec.api_key}"} if spec.api_key else {}
    identity = ModelIdentity(target=spec.name, provider=provider, model=spec.model, host=base_url)
    async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S, headers=headers) as http:
        entry = await _served_entry(http, base, spec, served_name)
        identity.served_model = entry.get("id")
        sources = ["/v1/models"]
        _from_models_entry(identity, entry)
        props, version, lmstudio = await asyncio.gather(
            _get_json(http, f"{root}/props"),
            _get_json(http, f"{root}/api/version"),
            _get_json(http, f"{root}/api/v0/models/{served_name}"),
        )
        if isinstance(props, dict) and ("model_path" in props or "default_generation_settings" in props):
            sources.append("/props")
            _from_llamacpp_props(identity, props, base_url)
        if isinstance(version, dict) and isinstance(version.get("version"), str):
            sources.append("/api/tags")
            await _from_ollama(identity, http, root, version["version"], served_name)
        if isinstance(lmstudio, dict) and lmstudio.get("id") == served_name:
            sources.append("/api/v0/models")
            _from_lmstudio(identity, lmstudio)
    identity.extra["identity_sources"] = sources
    if not (identity.digest or identity.quantization or identity.parameter_size or identity.family):
        identity.extra["identity_note"] = NAME_ONLY
    return identity


async def _get_json(http: httpx.AsyncClient, url: str) -> Any:
    try:
        response = await http.get(url)
        return response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


async def _served_entry(http: httpx.AsyncClient, base: str, spec: TargetSpec, name: str) -> dict[str, Any]:
    try:
        response = await http.get(f"{base}/models")
    except httpx.HTTPError as exc:
        raise TargetUnavailable(
            f"no OpenAI-compatible server answers at {base} ({type(exc).__name__}); start it or fix base_url"
        ) from None
    if response.status_code in (401, 403):
        hint = f"${spec.api_key_env}" if spec.api_key_env else "the key"
        raise TargetUnavailable(f"{base} rejected {hint} ({response.status_code})")
    try:
        data = response.json().get("data") if response.status_code == 200 else None
    except (ValueError, AttributeError):
        data = None
    if not isinstance(data, list):
        return {}  # a server without /models: the first call will tell
    entries = [e for e in data if isinstance(e, dict)]
    for entry in entries:
        if entry.get("id") == name:
            return entry
    served = [str(e.get("id")) for e in entries]
    if len(entries) == 1 and Path(served[0]).name == name:
        return entries[0]  # llama.cpp names its one model by the file's path
    # Some servers (llama.cpp, llama-cpp-python) answer whatever name is asked with the model they
    # have: results filed under a name that is not what answered would be wrong, so stop here.
    raise TargetUnavailable(
        f"{base} does not serve '{name}' (it serves: {', '.join(served) or 'nothing'}); "
        f"name the model as the server does"
    )


def _from_models_entry(identity: ModelIdentity, entry: dict[str, Any]) -> None:
    for key in ("owned_by", "root", "max_model_len"):
        if entry.get(key) is not None:
            identity.extra[key] = entry[key]
    if isinstance(entry.get("max_model_len"), int):
        identity.context_length = entry["max_model_len"]
    meta = entry.get("meta")
    if isinstance(meta, dict):  # llama.cpp
        identity.extra["meta"] = {k: v for k, v in meta.items() if isinstance(v, int | float | str)}
        if isinstance(meta.get("n_ctx_train"), int):
            identity.context_length = meta["n_ctx_train"]


def _from_llamacpp_props(identity: ModelIdentity, props: dict[str, Any], base_url: str) -> None:
    settings = props.get("default_generation_settings") or {}
    identity.server_version = f"llama.cpp {props['build_info']}" if props.get("build_info") else None
    identity.format = "gguf"
    path = props.get("model_path")
    for key in ("model_path", "total_slots", "model_alias"):
        if props.get(key) is not None:
            identity.extra[key] = props[key]
    if isinstance(settings, dict) and isinstance(settings.get("n_ctx"), int):
        identity.extra["n_ctx"] = settings["n_ctx"]
    host = urlsplit(base_url).hostname or ""
    if isinstance(path, str) and host in ("localhost", "127.0.0.1", "::1") and Path(path).is_file():
        from llmbench.providers.embedded import _has_identity, _quantization, cached_digest, gguf_metadata

        try:
            meta = gguf_metadata(Path(path), _has_identity)
        except TargetUnavailable:
            return
        architecture = meta.get("general.architecture")
        identity.family = architecture
        identity.parameter_size = meta.get("general.size_label")
        identity.quantization = _quantization(Path(path).name, meta)
        identity.digest = cached_digest(Path(path))


async def _from_ollama(
    identity: ModelIdentity, http: httpx.AsyncClient, root: str, version: str, model: str
) -> None:
    identity.server_version = version
    tags = await _get_json(http, f"{root}/api/tags")
    for entry in (tags or {}).get("models") or []:
        name = entry.get("model") or entry.get("name") or ""
        if name == model or name == f"{model}:latest":
            details = entry.get("details") or {}
            identity.digest = entry.get("digest")
            identity.family = details.get("family")
            identity.parameter_size = details.get("parameter_size")
            identity.quantization = details.get("quantization_level")
            identity.format = details.get("format")


def _from_lmstudio(identity: ModelIdentity, info: dict[str, Any]) -> None:
    identity.family = info.get("arch")
    identity.quantization = info.get("quantization")
    identity.format = info.get("compatibility_type")
    if isinstance(info.get("max_context_length"), int):
        identity.context_length = info["max_context_length"]
    for key in ("publisher", "type", "state"):
        if info.get(key) is not None:
            identity.extra[key] = info[key]
