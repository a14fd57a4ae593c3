"""Render one self-contained, offline HTML file (and a short markdown summary).

Safety: jinja2 autoescapes every value; the only markup not escaped by jinja2 is built here from our own
strings (SVG charts, whose every label goes through `escape`) and the per-call data, which is JSON with `<`,
`>`, `&`, U+2028 and U+2029 written as \\u escapes so that no model output can close its `<script>` element.
The page's script inserts model text with `textContent` only, and the Content-Security-Policy allows exactly
the one inline script and the one style sheet of the page (by their sha256), and no network at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import secrets
import zlib
from collections import Counter, deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from llmbench import __version__
from llmbench.files import atomic_path
from llmbench.identity import TargetIdentity
from llmbench.report import data as D
from llmbench.store import Store

# --------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------


def fmt_pct(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    if 0 < value < 0.005 and digits == 0:
        return "<1%"
    if 0.995 < value < 1 and digits == 0:
        return ">99%"
    return f"{100 * value:.{digits}f}%"


def fmt_usd(value: float | None, unpriced: str = "unpriced") -> str:
    if value is None:
        return unpriced
    if value == 0:
        return "$0"
    if abs(value) >= 100:
        return f"${value:,.0f}"
    if abs(value) >= 0.995:
        return f"${value:,.2f}"
    digits = min(10, max(2, 1 - math.floor(math.log10(abs(value)))))
    return f"${value:.{digits}f}"


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 100:
        return f"{value:.2f} s"
    return f"{value:,.0f} s"


def fmt_num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, int | float) else str(value)


def fmt_int(value: int | None) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def fmt_value(value: Any, kind: str) -> str:
    return {
        "pct": fmt_pct,
        "usd": lambda v: fmt_usd(v, "–"),
        "sec": fmt_seconds,
        "num": fmt_num,
        "int": fmt_int,
    }[kind](value)


def fmt_delta(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "="
    sign = "+" if value > 0 else "−"
    if kind == "pct":
        return f"{sign}{abs(value) * 100:.0f} pts"
    return sign + fmt_value(abs(value), kind)


def _label(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------------------------------
# Inline SVG (built here; every text goes through `escape`)
# --------------------------------------------------------------------------------------------------

INK, MUTED, GRID = "#1d2330", "#5b6475", "#d5dae3"


def interval_glyph(rate: D.Rate, colour: str = "#3355aa") -> Markup:
    """A 96×14 bar: the 0–100% track, the 95% interval as a band, the value as a tick."""
    interval, value = rate.interval, rate.value
    if interval is None or value is None:
        return Markup("")
    w = 96
    low, high = interval
    x = lambda v: 2 + v * (w - 4)  # noqa: E731
    return Markup(
        f'<svg class="glyph" width="{w}" height="14" viewBox="0 0 {w} 14" role="img" aria-hidden="true">'
        f'<rect x="2" y="6" width="{w - 4}" height="2" fill="{GRID}"/>'
        f'<rect x="{x(low):.1f}" y="3" width="{max(1.5, x(high) - x(low)):.1f}" height="8" rx="2" '
        f'fill="{colour}" fill-opacity="0.28"/>'
        f'<rect x="{x(value) - 1:.1f}" y="1" width="2.4" height="12" fill="{colour}"/></svg>'
    )


@dataclass
class Bar:
    label: str
    value: float | None
    text: str
    note: str = ""
    whisker: tuple[float, float] | None = None
    title: str = ""


def bar_chart(
    bars: list[Bar],
    colour: str,
    axis_label: str,
    empty_text: str = "no data",
    label_w: int = 230,
    bar_w: int = 330,
    text_w: int = 230,
) -> Markup:
    """Horizontal bars, one per target, with the value written at the end of each bar (print-friendly)."""
    row_h = 40 if any(b.note for b in bars) else 30
    top = 26
    notes = max([len(_label(b.note, 120)) for b in bars] + [0])
    width = max(label_w + bar_w + text_w, int(label_w + notes * 6.3) + 10)
    label_chars = max(12, label_w // 7)
    height = top + row_h * len(bars) + 8
    peak = max(
        [b.value for b in bars if b.value is not None] + [b.whisker[1] for b in bars if b.whisker] + [0.0]
    )
    scale = (bar_w - 10) / peak if peak > 0 else 0
    out = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(axis_label)}">',
        f'<text x="{label_w}" y="14" font-size="11" fill="{MUTED}">{escape(axis_label)}</text>',
        f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{height - 4}" stroke="{GRID}"/>',
    ]
    for i, b in enumerate(bars):
        y = top + i * row_h
        out.append(f"<g><title>{escape(b.title or b.label)}</title>")
        out.append(
            f'<text x="{label_w - 8}" y="{y + 18}" font-size="12.5" text-anchor="end" fill="{INK}">'
            f"{escape(_label(b.label, label_chars))}</text>"
        )
        end = label_w
        if b.value is not None:
            length = max(1.5, b.value * scale) if b.value > 0 else 0
            out.append(
                f'<rect x="{label_w}" y="{y + 6}" width="{length:.1f}" height="16" rx="2" fill="{colour}"/>'
            )
            end = label_w + length
        if b.whisker:
            lo, hi = (label_w + v * scale for v in b.whisker)
            out.append(
                f'<path d="M{lo:.1f} {y + 14}H{hi:.1f}M{lo:.1f} {y + 9}V{y + 19}M{hi:.1f} {y + 9}V{y + 19}" '
                f'stroke="{INK}" stroke-width="1.2" fill="none"/>'
            )
            end = max(end, hi)
        style = "" if b.value is not None else ' font-style="italic"'
        out.append(
            f'<text x="{end + 8:.1f}" y="{y + 18}" font-size="12.5" font-weight="600" fill="{INK}"{style}>'
            f"{escape(b.text if b.value is not None else (b.text or empty_text))}</text>"
        )
        if b.note:
            out.append(
                f'<text x="{label_w}" y="{y + 34}" font-size="11" fill="{MUTED}">{escape(_label(b.note, 120))}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


SOURCE_NOTES = {
    "energy": "electricity estimate",
    "table": "list price",
    "override": "your price",
    "litellm": "litellm list price",
}


def cost_chart(stats: list[D.TargetStats]) -> tuple[Markup, str]:
    """Krenn's shape: what the cost-suite tasks cost each target, and that cost projected to 1,000 tasks."""
    if not stats:
        return Markup(""), ""
    with_tasks = any(s.tasks for s in stats)
    n = D.PROJECTED_TASKS
    bars = []
    for s in stats:
        count = s.tasks if with_tasks else s.calls
        spent = s.task_cost if with_tasks else s.total_cost
        per = spent.per(count)
        projected = per * n if per is not None else None
        notes = []
        if spent.usd is not None:
            if with_tasks and s.task_prompts and s.task_prompts != count:
                what = f"{count} task calls ({s.task_prompts} tasks, repeated)"
            else:
                what = f"{count} {'task' if with_tasks else 'call'}{'s' if count != 1 else ''}"
            notes.append(f"{fmt_usd(spent.usd)} for the {what}")
            if with_tasks and s.tasks_graded:
                solved = s.tasks_correct
                notes.append(
                    f"{solved}/{s.tasks_graded} checkable tasks solved"
                    + (f", {fmt_usd(spent.usd / solved)} per solved task" if solved else "")
                )
            if spent.unpriced:
                notes.append(f"{spent.unpriced} call{'s' if spent.unpriced != 1 else ''} unpriced")
            source = SOURCE_NOTES.get(s.cost_source or "", s.cost_source or "")
            if source:
                notes.append(source)
        bars.append(
            Bar(
                label=s.target,
                value=projected,
                text=(
                    f"{fmt_usd(projected)} per {n:,} {'tasks' if with_tasks else 'calls'}"
                    if projected is not None
                    else ("unpriced" if count else "not run")
                ),
                note=" · ".join(notes)
                if notes
                else ("no price known for this model" if count else "no calls"),
                title=s.target,
            )
        )
    caption = (
        f"Cost of the cost-suite tasks per target, projected to {n:,} tasks (mean cost per task × {n:,})."
        if with_tasks
        else f"No cost-suite tasks in this run: mean cost per call across all prompts, projected to {n:,} calls."
    )
    priced = [b.value for b in bars if b.value]
    if len(priced) >= 2 and min(priced) > 0:
        caption += f" The dearest costs {max(priced) / min(priced):,.0f}× the cheapest."
    return bar_chart(bars, "#2e7d5b", f"USD per {n:,} {'tasks' if with_tasks else 'calls'}"), caption


def speed_charts(stats: list[D.TargetStats]) -> tuple[Markup, Markup]:
    tps = [
        Bar(
            s.target,
            s.tokens_per_s,
            f"{fmt_num(s.tokens_per_s)} tok/s",
            whisker=s.tokens_per_s_iqr,
            title=f"{s.target}: median {fmt_num(s.tokens_per_s)} tokens/s"
            + (
                f", interquartile {fmt_num(s.tokens_per_s_iqr[0])}–{fmt_num(s.tokens_per_s_iqr[1])}"
                if s.tokens_per_s_iqr
                else ""
            ),
        )
        for s in stats
    ]
    ttft = [
        Bar(
            s.target,
            s.ttft_s,
            fmt_seconds(s.ttft_s),
            whisker=s.ttft_iqr,
            title=f"{s.target}: median time to first token {fmt_seconds(s.ttft_s)}",
        )
        for s in stats
    ]
    return (
        bar_chart(
            tps,
            "#3366bb",
            "median tokens/s (whisker: interquartile range)",
            "not measured",
            label_w=200,
            bar_w=260,
            text_w=110,
        ),
        bar_chart(
            ttft,
            "#c77d12",
            "median time to first token (whisker: interquartile range)",
            "not measured",
            label_w=200,
            bar_w=260,
            text_w=110,
        ),
    )


# --------------------------------------------------------------------------------------------------
# Page model
# --------------------------------------------------------------------------------------------------


@dataclass
class RunView:
    label: str
    run_id: str
    meta: dict[str, Any]
    plan: dict[str, Any]
    targets: list[dict[str, Any]]
    stats: list[D.TargetStats]
    heat: D.Heatmap
    cost_svg: Markup
    cost_caption: str
    tps_svg: Markup
    ttft_svg: Markup
    calls: list[dict[str, Any]] = field(repr=False, default_factory=list)
    prices: dict[str, Any] = field(default_factory=dict)
    local_costs: list[str] = field(default_factory=list)
    suites: list[dict[str, Any]] = field(default_factory=list)
    identities: dict[str, TargetIdentity] = field(repr=False, default_factory=dict)
    judges: list[D.JudgeView] = field(default_factory=list)


def _most_common(values: list[Any]) -> Any:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else None


def _target_rows(
    meta: dict[str, Any],
    plan: dict[str, Any],
    calls: list[dict[str, Any]],
    order: list[str],
    clean: D.Cleaner,
) -> list[dict[str, Any]]:
    specs = {t.get("name"): t for t in plan.get("targets") or [] if isinstance(t, dict)}
    rows = []
    for name in order:
        stored = meta["identities"].get(name) or {}
        spec = clean.tree(specs.get(name) or stored.get("spec") or {})
        ident = clean.tree(stored.get("identity") or {})
        mine = [c for c in calls if c["target"] == name]
        params = spec.get("params") if isinstance(spec.get("params"), dict) else {}
        rows.append(
            {
                "name": name,
                "provider": spec.get("provider")
                or stored.get("provider")
                or (mine[0]["provider"] if mine else ""),
                "model": spec.get("model") or stored.get("model") or (mine[0]["model"] if mine else ""),
                "digest": ident.get("digest") or _most_common([c.get("model_digest") for c in mine]),
                "quantization": ident.get("quantization"),
                "size": " ".join(str(x) for x in (ident.get("family"), ident.get("parameter_size")) if x),
                "context_length": ident.get("context_length"),
                "served_model": ident.get("served_model")
                or _most_common([c.get("served_model") for c in mine]),
                "fingerprint": ident.get("system_fingerprint")
                or _most_common([c.get("system_fingerprint") for c in mine]),
                "host": ident.get("host")
                or _most_common([c.get("host") for c in mine])
                or spec.get("base_url"),
                "server_version": ident.get("server_version"),
                "loads": meta["loads"].get(name),
                "params": {k: v for k, v in params.items() if v is not None},
            }
        )
    return rows


def _run_view(store: Store, run_id: str, label: str, clean: D.Cleaner) -> RunView:
    meta = D.read_run_meta(store, run_id)
    plan = clean.tree(meta["plan"]) if isinstance(meta["plan"], dict) else {}
    calls = D.read_calls(store, run_id, clean)
    order = D.target_order(plan, calls)
    stats = D.leaderboard(calls, order)
    cost_svg, cost_caption = cost_chart(stats)
    tps_svg, ttft_svg = speed_charts(stats)
    cost_desc = plan.get("cost") if isinstance(plan.get("cost"), dict) else {}
    prices = plan.get("prices") or cost_desc.get("prices") or {}
    local = cost_desc.get("local") if isinstance(cost_desc.get("local"), dict) else {}
    said = {
        name: str(v["statement"]) for name, v in local.items() if isinstance(v, dict) and v.get("statement")
    }
    if len(set(said.values())) == 1:
        statements = list(set(said.values()))
    else:  # different cost models per target: say which is which
        statements = [f"{name}: {statement}" for name, statement in sorted(said.items())]
    public_meta = {
        k: clean.text(v) if isinstance(v, str) else v
        for k, v in meta.items()
        if k in ("created_at", "finished_at", "status", "llmbench_version", "planned", "hostname")
    }
    return RunView(
        label=label,
        run_id=clean.text(run_id) or "",
        meta=public_meta,
        plan=plan,
        targets=_target_rows(meta, plan, calls, order, clean),
        identities=store.target_identities(run_id),
        stats=stats,
        heat=D.heatmap(calls, order),
        cost_svg=cost_svg,
        cost_caption=cost_caption,
        tps_svg=tps_svg,
        ttft_svg=ttft_svg,
        calls=calls,
        prices=clean.tree(prices) if isinstance(prices, dict) else {"description": clean.text(prices)},
        local_costs=[clean.text(s) or "" for s in statements],
        suites=[clean.tree(x) for x in _as_list(plan.get("suites")) if isinstance(x, dict)],
        judges=D.judge_views(store, run_id, clean),
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _when(value: str | None) -> str:
    """'2026-11-23T10:31:00.955Z' -> '2026-11-23 10:31:00 UTC' (anything unparseable is shown as stored)."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return str(value or "–")
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if moment.tzinfo is not None else "")


def _duration(start: str | None, end: str | None) -> str:
    try:
        a = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        b = datetime.fromisoformat(str(end).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return ""
    seconds = (b - a).total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


_SCRIPT_ESCAPES = (
    ("&", "\\u0026"),
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _script_safe(text: str) -> str:
    for char, escaped in _SCRIPT_ESCAPES:
        if char in text:  # (each replace copies the whole text: skip the ones that are not needed)
            text = text.replace(char, escaped)
    return text


def json_for_script(value: Any) -> Markup:
    """JSON that is safe inside <script type="application/json">: no `<`, `>`, `&`, U+2028/2029 left raw."""
    return Markup(_script_safe(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)))


COMPRESS_ABOVE = 1_000_000
"""Per-call data larger than this many bytes of JSON goes in the page gzip-compressed (base64), which the page
unpacks with the browser's own DecompressionStream: a 1,000-call report stays well under 2 MB and a 20,000-call
one opens quickly. Smaller data stays plain, readable JSON."""

_PACK_CHUNK = 1 << 20
"""Characters of JSON handed to zlib at a time: few calls, and little text held before it is compressed."""


def data_block(value: Any) -> tuple[Markup, str]:
    """The page's data element content and its encoding ("json" or "gzip+base64")."""
    content, encoding = pack_data(
        [json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)]
    )
    return Markup(content.decode("utf-8")), encoding


class _Gzip64:
    """gzip (as `gzip.compress(data, 6, mtime=0)`, byte for byte) then base64, a chunk at a time, in a worker
    thread: zlib lets go of the GIL while it compresses, so one chunk is compressed while the next is
    written, and neither the whole JSON text nor a second copy of the result is ever held."""

    def __init__(self) -> None:
        self._zlib = zlib.compressobj(6, zlib.DEFLATED, 31)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmbench-report-gzip")
        self._pending: deque[Future[None]] = deque()
        self._encoded = bytearray()
        self._rest = b""  # base64 takes 3 bytes at a time: what is left over waits for the next chunk

    def add(self, raw: bytes, last: bool = False) -> None:
        while len(self._pending) >= 2:  # bounds what waits to be compressed
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(self._pack, raw, last))

    def _pack(self, raw: bytes, last: bool) -> None:
        packed = self._rest + self._zlib.compress(raw) + (self._zlib.flush() if last else b"")
        cut = len(packed) - len(packed) % 3
        self._encoded += base64.b64encode(packed[:cut])
        self._rest = packed[cut:]

    def finish(self) -> bytearray:
        self.add(b"", last=True)
        while self._pending:
            self._pending.popleft().result()
        self._encoded += base64.b64encode(self._rest)
        return self._encoded

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def pack_data(pieces: Iterable[str]) -> tuple[bytes | bytearray, str]:
    """The data element's content (UTF-8; ASCII when compressed) and its encoding, for JSON text that comes
    a piece at a time (`D.blob_json`): the pieces are escaped for the script element and, once they add up
    to more than COMPRESS_ABOVE characters, compressed as they come, so that the whole JSON text never
    exists."""
    pieces = iter(pieces)
    held: list[str] = []
    size = 0
    for piece in pieces:
        held.append(_script_safe(piece))
        size += len(held[-1])
        if size > COMPRESS_ABOVE:  # characters: close enough to bytes for a threshold
            break
    else:
        return D.fix_text("".join(held)).encode("utf-8"), "json"
    packer = _Gzip64()
    try:
        for piece in pieces:
            if size >= _PACK_CHUNK:
                packer.add("".join(held).encode("utf-8", "replace"))
                held, size = [], 0
            held.append(_script_safe(piece))
            size += len(held[-1])
        packer.add("".join(held).encode("utf-8", "replace"))
        del held
        return packer.finish(), "gzip+base64"
    finally:
        packer.close()


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _asset(name: str) -> str:
    return resources.files("llmbench.report").joinpath("templates", name).read_text(encoding="utf-8")


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("llmbench", "report/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=fmt_pct,
        usd=fmt_usd,
        sec=fmt_seconds,
        num=fmt_num,
        int=fmt_int,
        glyph=interval_glyph,
        value=fmt_value,
        delta=fmt_delta,
        duration=_duration,
        when=_when,
    )
    return env


def _cleaner(store: Store, run_ids: list[str]) -> D.Cleaner:
    """Redacts the values of secret-looking environment variables and of every target's `api_key_env`."""
    names = []
    for run_id in run_ids:
        try:
            plan = store.run_plan(run_id)
        except Exception:  # noqa: BLE001 - read_run_meta reports a missing or broken run properly
            continue
        targets = plan.get("targets") if isinstance(plan, dict) else None
        names += [t.get("api_key_env") for t in targets or [] if isinstance(t, dict)]
    return D.Cleaner(D.env_secrets(n for n in names if isinstance(n, str)))


def render_report(store: Store, run_ids: list[str]) -> str:
    """The whole report as one HTML string. Reads the database only (never calls a model server)."""
    before, data, after = _render_parts(store, run_ids)
    text = data.decode("utf-8")
    del data  # (one copy of the data at a time)
    return "".join((before, text, after))


def _render_parts(store: Store, run_ids: list[str]) -> tuple[str, bytes | bytearray, str]:
    """The page before its data, the data element's content (UTF-8 bytes) and the page after it:
    `write_report` writes them one after the other, never a joined copy of the page, nor an encoded one."""
    # One read transaction: the calls read for the views and their texts, read later, are the same calls
    # even while a run is writing to the database.
    with store.transaction():
        clean = _cleaner(store, run_ids)
        labels = [chr(ord("A") + i) if i < 26 else f"R{i + 1}" for i in range(len(run_ids))]
        runs = [_run_view(store, run_id, label, clean) for run_id, label in zip(run_ids, labels, strict=True)]

        targets: list[str] = []
        for r in runs:
            targets += [s.target for s in r.stats if s.target not in targets]
        comparisons = [
            D.compare(runs[0].run_id, runs[0].stats, runs[0].calls, r.run_id, r.stats, r.calls)
            for r in runs[1:]
        ]
        for comparison, r in zip(comparisons, runs[1:], strict=True):
            comparison.identity_changes = D.model_changes(runs[0].identities, r.identities, clean)
        n_calls = sum(len(r.calls) for r in runs)
        pieces = D.blob_json(
            [(r.run_id, r.calls, D.call_texts(store, [c["id"] for c in r.calls], clean)) for r in runs],
            targets,
        )
        for r in runs:
            r.calls = []  # the page model is all the template needs; the data keeps its own reference
        data_bytes, encoding = pack_data(pieces)
        del pieces
    script, style = _asset("report.js"), _asset("report.css")
    csp = (
        f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    marker = f"@@llmbench-data-{secrets.token_hex(16)}@@"  # where the data goes: nothing else can say this
    page = (
        _env()
        .get_template("report.html.j2")
        .render(
            runs=runs,
            comparisons=comparisons,
            labels={r.run_id: r.label for r in runs},
            multi=len(runs) > 1,
            version=__version__,
            generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            data_json=Markup(marker),
            data_encoding=encoding,
            script=Markup(script),
            style=Markup(style),
            csp=csp,
            n_calls=n_calls,
            projected=D.PROJECTED_TASKS,
        )
    )
    before, after = page.split(marker)
    del page
    # Every piece was cleaned already; this is the last guard before the file is written as UTF-8 (the data
    # was encoded as UTF-8 already, with any lone surrogate replaced).
    before, after = (D.fix_text(p) if _SURROGATE.search(p) else p for p in (before, after))
    return before, data_bytes, after


def write_report(store: Store, run_ids: list[str], path: Path, *also: Path) -> Path:
    """Render once and write to `path` (and any `also` paths, e.g. reports/latest.html)."""
    before, data, after = _render_parts(store, run_ids)
    for target in (path, *also):
        # atomic: a reader never sees half a report
        with atomic_path(target) as partial, open(partial, "w", encoding="utf-8") as handle:
            handle.write(before)
            handle.flush()
            handle.buffer.write(data)  # UTF-8 already
            handle.write(after)
    return path


# --------------------------------------------------------------------------------------------------
# Markdown summary (`llmbench summary RUN_ID --format md`)
# --------------------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "'")


def summary_markdown(store: Store, run_id: str) -> str:
    """A short markdown table per target: accuracy, refusal rate, cost per task, tokens/s."""
    clean = _cleaner(store, [run_id])
    meta = D.read_run_meta(store, run_id)
    plan = clean.tree(meta["plan"]) if isinstance(meta["plan"], dict) else {}
    calls = D.read_calls(store, run_id, clean)
    stats = D.leaderboard(calls, D.target_order(plan, calls))

    def rate(r: D.Rate) -> str:
        if not r.n:
            return "–"
        low, high = r.interval or (0.0, 0.0)
        return f"{fmt_pct(r.value)} ({fmt_pct(low)}–{fmt_pct(high)}, n={r.n})"

    lines = [
        f"**llmbench run `{_md_cell(run_id)}`** · {meta.get('status')} · {len(calls)} calls",
        "",
        "| target | accuracy (facts) | refusal rate | cost / task | tokens/s |",
        "|---|---|---|---|---|",
    ]
    for s in stats:
        cost = s.cost_per_task if s.tasks else s.cost_per_call
        cost_text = fmt_usd(cost) + ("" if s.tasks or cost is None else " (per call)")
        lines.append(
            f"| {_md_cell(s.target)} | {rate(s.accuracy)} | {rate(s.refusal)} | {cost_text} | "
            f"{fmt_num(s.tokens_per_s)} |"
        )
    if not stats:
        lines.append("| (no calls) | – | – | – | – |")
    return "\n".join(lines) + "\n"
