"""The report in a real browser (headless Chromium through playwright): offline, filterable, inert to hostile text.

Skipped when playwright or /usr/bin/chromium is missing. Never downloads a browser (`playwright install`
is not used): the system Chromium is driven directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

from tests.servers.ollama_server import FakeOllama, Reply  # noqa: E402
from tests.test_report import (  # noqa: E402
    BENCH_SUITE,
    R1,
    R1_ANSWERS,
    _config,
    _models,
    _simulate_verdicts,
    censorship_classifier,  # noqa: F401 - autouse fixture: probes can be graded without the real classifier
)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no system Chromium at /usr/bin/chromium")

MANY = 130


def _many_suite() -> str:
    lines = ["suite: many", "version: 1", "prompts:"]
    for i in range(MANY):
        lines += [
            f"  - id: q{i:03d}",
            f"    prompt: Quick question number {i}?",
            "    category: control",
            "    topic: filler",
            "    expect: {any: [yes]}",
        ]
    return "\n".join(lines) + "\n"


class Page:
    """A page of the report with every console message, page error, request and dialog recorded."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, java_script_enabled=True)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.context.route("**/*", self._route)
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector("body[data-ready] #answers-table tbody tr")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def assert_clean(self) -> None:
        assert [m for m in self.console if m.startswith(("error", "warning"))] == []
        assert self.errors == []
        assert self.blocked == []
        assert [u for u in self.requests if not u.startswith(("file:", "data:"))] == []
        assert self.dialogs == []

    def rows(self) -> int:
        return self.page.locator("#answers-table tbody tr").count()


@contextmanager
def chromium() -> Iterator[Any]:
    """Started only after the runs: playwright's sync API keeps an event loop running in this thread."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def report(workdir, cli, monkeypatch) -> Path:
    # Exercise the compressed data path (what reports of more than ~1 MB of answers use).
    monkeypatch.setattr("llmbench.report.render.COMPRESS_ABOVE", 0)
    (workdir / "bench.yaml").write_text(BENCH_SUITE, encoding="utf-8")
    (workdir / "many.yaml").write_text(_many_suite(), encoding="utf-8")
    with FakeOllama(_models()) as server:
        _config(workdir, server)
        run_id = cli.run_json("run", "-s", "bench.yaml", "-s", "many.yaml")["run_id"]
    _simulate_verdicts(run_id)
    out = workdir / "report.html"
    cli("report", run_id, "-o", str(out))
    assert 'data-encoding="gzip+base64"' in out.read_text(encoding="utf-8")
    return out


def test_report_in_chromium(report):
    with chromium() as browser:
        _check_report(Page(browser, report))


def _check_report(view: Page) -> None:
    page = view.page
    total = 7 + MANY
    # loads offline and quietly; rows are rendered a page (100) at a time
    assert view.rows() == 100
    assert f"{total} prompts" in page.locator("#count").inner_text()
    more = page.locator("#more")
    assert more.is_visible()
    more.click()
    assert view.rows() == total and not more.is_visible()

    # filters change the visible rows
    page.select_option("#f-suite", label="bench")
    assert view.rows() == 7

    # the screenshot: every section, with the bench suite's answers below
    # (a viewport as tall as the page: answers far off screen are laid out lazily, content-visibility: auto)
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.set_viewport_size({"width": 1400, "height": page.evaluate("document.documentElement.scrollHeight")})
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.select_option("#f-status", label="refused")
    assert view.rows() == 2  # tiananmen en + zh
    page.select_option("#f-target", label=R1)
    assert page.locator("#answers-table thead th").count() == 2  # prompt + the one target
    page.click("#f-reset")
    assert view.rows() == 100
    page.fill("#f-q", "kent state")
    sync_api.expect(page.locator("#answers-table tbody tr")).to_have_count(1)
    page.fill("#f-q", "")
    page.select_option("#f-language", label="zh")
    assert view.rows() == 1

    # reasoning is collapsed until clicked; an empty think block says so
    page.click("#f-reset")
    page.select_option("#f-suite", label="bench")
    page.fill("#f-q", "capital of France")
    sync_api.expect(page.locator("#answers-table tbody tr")).to_have_count(1)
    details = page.locator("details.reasoning").first
    assert not details.evaluate("d => d.open")
    assert page.locator(".reasoning-text").count() == 0
    details.locator("summary").click()
    text = page.locator(".reasoning-text").first
    sync_api.expect(text).to_be_visible()
    assert text.inner_text() == R1_ANSWERS["capital of France"].thinking
    page.fill("#f-q", "")
    page.select_option("#f-status", label="refused")
    assert (
        page.locator("#answers-table .badge.suppressed", has_text="empty reasoning (suppressed)").count() == 2
    )

    # a heatmap cell filters the answers to its target, topic and language
    page.click(f'table.heat td[data-target="{R1}"][data-topic="taiwan"][data-language="en"]')
    assert view.rows() == 1
    # cells fill in just after the row appears: wait for the text rather than read it at once
    sync_api.expect(page.locator("#answers-table tbody")).to_contain_text("state narrative")
    view.assert_clean()


HOSTILE = {
    "capital of France": Reply(
        content='<script>window.__pwned=1</script><img src=x onerror="window.__pwned=3">',
        thinking="</script><script>window.__pwned=2;alert(2)</script>",
    ),
    "capitale de la France": Reply(
        content='</textarea><a href="javascript:window.__pwned=4">click</a><svg onload=alert(5)>'
    ),
    "Kent State": Reply(content='<iframe src="https://example.com/"></iframe>' + "A" * 300_000),
}


def test_hostile_output_does_not_execute(workdir, cli):
    (workdir / "bench.yaml").write_text(BENCH_SUITE, encoding="utf-8")
    with FakeOllama(_models({**R1_ANSWERS, **HOSTILE})) as server:
        _config(workdir, server)
        run_id = cli.run_json("run", "-s", "bench.yaml")["run_id"]
    html = (workdir / "reports" / f"{run_id}.html").read_text(encoding="utf-8")
    assert '<script type="application/json" id="data">' in html  # small: plain JSON
    with chromium() as browser:
        _check_hostile(Page(browser, workdir / "reports" / f"{run_id}.html"))


def _check_hostile(view: Page) -> None:
    page = view.page
    for details in page.locator("details.reasoning").all():
        details.locator("summary").click()
    for link in page.locator("#answers-table a").all():  # there should be none: text is text
        link.click()
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert (
        page.locator(
            "#answers-table img, #answers-table iframe, #answers-table a, #answers-table svg"
        ).count()
        == 0
    )
    sync_api.expect(page.locator("#answers-table tbody")).to_contain_text("<script>window.__pwned=1</script>")
    body = page.locator("#answers-table tbody").inner_text()
    assert "<script>window.__pwned=1</script>" in body and 'href="javascript:' in body
    assert "</script><script>window.__pwned=2;alert(2)</script>" in body
    view.assert_clean()
