"""Render one offline HTML file. Everything model-made is escaped by jinja2's autoescape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from llmbench import __version__
from llmbench.report.data import side_by_side, summarise
from llmbench.store import Store


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("llmbench", "report/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v, d=2: "–" if v is None else f"{v:,.{d}f}"
    env.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.1f}%"
    env.filters["usd"] = lambda v: "–" if v is None else (f"${v:,.4f}" if v < 1 else f"${v:,.2f}")
    return env


def render_report(store: Store, run_ids: list[str]) -> str:
    runs = {r.run_id: r for r in store.runs()}
    sections = []
    for run_id in run_ids:
        rows = list(store.calls(run_id))
        identities = store.identities(run_id)
        sections.append({
            "run": runs[run_id],
            "summaries": summarise(rows, identities),
            "prompts": side_by_side(rows),
            "targets": sorted({r["target"] for r in rows}),
        })
    return _env().get_template("report.html.j2").render(
        sections=sections,
        version=__version__,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_report(store: Store, run_ids: list[str], path: Path) -> Path:
    html = render_report(store, run_ids)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)  # atomic: a reader never sees half a report
    return path
