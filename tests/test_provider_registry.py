"""The provider registry: every module asks it, and a new provider is one file (or one entry point)."""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import llmbench.providers.registry as registry
from llmbench.config import Config, target_from_cli
from llmbench.providers.base import Provider
from tests.conftest import db_rows

PLUGIN = '''
from llmbench.providers.base import Provider
from llmbench.records import Completion, ModelIdentity


class EchoProvider(Provider):
    """A third-party provider: it answers every prompt with the prompt."""

    name = "echo"
    always_local = True

    async def describe(self):
        return ModelIdentity(target=self.spec.name, provider=self.name, model=self.spec.model, digest="echo-1")

    async def complete(self, prompt, params):
        return Completion(answer=f"{self.spec.model}: {prompt.text}", prompt_tokens=1, completion_tokens=2,
                          latency_s=0.01, done_reason="stop")
'''


def test_every_builtin_provider_declares_what_it_is():
    classes = registry.provider_classes()
    assert set(classes) >= {"ollama", "openai", "litellm", "embedded"}
    assert all(issubclass(kind, Provider) and kind.name == name for name, kind in classes.items())
    for target, local, concurrency, key in [
        ("ollama/deepseek-r1:7b", True, 1, None),
        ("embedded/smollm2", True, 1, None),
        ("openai/gpt-4o-mini", False, 4, "OPENAI_API_KEY"),
        ("deepseek/deepseek-reasoner", False, 4, "DEEPSEEK_API_KEY"),
    ]:
        spec = target_from_cli(target, Config())
        assert (registry.is_local(spec), spec.concurrency, spec.api_key_env) == (local, concurrency, key), (
            target
        )
    assert (
        registry.provider_class("embedded").sample_suites
        and registry.provider_class("ollama").truncates_at_num_ctx
    )


@pytest.fixture
def echo_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "echo_plugin.py").write_text(PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = EntryPoint(name="echo", value="echo_plugin:EchoProvider", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [entry] if group == registry.ENTRY_POINT_GROUP else []
    )
    registry.provider_classes.cache_clear()
    yield
    Provider.registry.pop("echo", None)
    sys.modules.pop("echo_plugin", None)
    registry.provider_classes.cache_clear()


def test_a_provider_from_an_entry_point_runs_end_to_end_with_its_own_defaults(workdir, cli, echo_plugin):
    summary = cli.run_json("run", "-t", "echo/hello", "-s", "mini.yaml", "--no-report")
    assert summary["ok"] == 3
    rows = db_rows(Path("results/llmbench.db"), "SELECT provider, answer, cost_json FROM calls")
    assert {r["provider"] for r in rows} == {"echo"}
    assert all(r["answer"].startswith("hello: ") for r in rows)
    assert all('"energy"' in r["cost_json"] or '"hardware"' in r["cost_json"] for r in rows)  # it said local
    assert target_from_cli("echo/hello", Config()).concurrency == 1


def test_a_broken_plugin_is_reported_and_skipped(monkeypatch, caplog):
    entry = EntryPoint(name="broken", value="no_such_module_xyz:Nope", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [entry])
    registry.provider_classes.cache_clear()
    try:
        assert "openai" in registry.provider_classes()
    finally:
        registry.provider_classes.cache_clear()
    assert "no_such_module_xyz" in caplog.text
