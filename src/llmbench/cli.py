"""The `llmbench` command: parses options, calls the library, prints. Errors become messages and exit
codes here and only here (see errors.py and the README's exit-code table)."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from llmbench import __version__
from llmbench.errors import EXIT_ALL_FAILED, EXIT_BUDGET, EXIT_INTERRUPTED, EXIT_SOME_FAILED, LlmbenchError
from llmbench.vocab import CATEGORIES

app = typer.Typer(
    name="llmbench",
    help="Compare local (Ollama, llama.cpp) and hosted LLMs on facts, censorship and cost; spot drift.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="llmbench.yaml to use (default: ./llmbench.yaml if present)."),
]
ResultsOpt = Annotated[
    Path | None, typer.Option("--results", help="Results database (default: results/llmbench.db).")
]


def _terminal_safe(text: str) -> str:
    """Model output printed to a terminal must not drive it: strip escape and control sequences."""
    text = re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-_]", "", text)
    return "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32 and not 0x7F <= ord(ch) < 0xA0)


def _say(message: str) -> None:
    print(_terminal_safe(message), file=sys.stderr, flush=True)
    logging.getLogger("llmbench").info(message)


def _say_warnings(message: str) -> None:
    """--quiet silences progress, not warnings: a cron mail must still say why a result is weak."""
    if message.startswith("warning:"):
        _say(message)


def _log_to(path: Path) -> None:
    """Append llmbench's messages, progress lines and warnings to a file, with timestamps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("llmbench")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _fail(exc: LlmbenchError) -> None:
    _say(f"error: {exc}")
    raise typer.Exit(exc.exit_code)


def _version(value: bool) -> None:
    if value:
        print(f"llmbench {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """llmbench: is the cheap open model as good, what does it refuse to say, what does a task cost?"""


def _config(path: Path | None):
    from llmbench.config import load_config

    return load_config(path)


def _results_path(results: Path | None, config_path: Path | None) -> Path:
    return results or _config(config_path).results


@app.command()
def run(
    config: ConfigOpt = None,
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            "-t",
            help="provider/model, repeatable: ollama/deepseek-r1:7b, openai/gpt-4o-mini, "
            "deepseek/deepseek-reasoner, embedded/smollm2, or a target name from llmbench.yaml.",
        ),
    ] = None,
    suite: Annotated[
        list[str] | None,
        typer.Option("--suite", "-s", help="Suite name in prompts/ or a YAML path; repeatable."),
    ] = None,
    repeats: Annotated[
        int | None, typer.Option("--repeats", "-n", min=1, help="Times each prompt is asked.")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=0,
            help="At most N prompts per suite: whole questions (in all their languages), spread over topics (0: all).",
        ),
    ] = None,
    results: ResultsOpt = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the HTML report here.")] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not write an HTML report.")] = False,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Finish run RUN_ID: only missing or failed calls are made.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    log_file: Annotated[
        Path | None, typer.Option("--log-file", help="Also append progress and warnings to this file (cron).")
    ] = None,
    wait_lock: Annotated[
        float, typer.Option("--wait-lock", min=0, help="Seconds to wait if another run holds the database.")
    ] = 0.0,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost",
            min=0,
            help="Refuse (before any call) a run whose worst case exceeds this many "
            "USD; stop starting calls before crossing it.",
        ),
    ] = None,
) -> None:
    """Run suites against targets; store every call; write the HTML report."""
    from llmbench.pipeline import RunOptions, run_benchmark

    if log_file:
        _log_to(log_file)
    try:
        cfg = _config(config)
        opts = RunOptions(
            config=cfg,
            targets=target or [],
            suites=suite or [],
            repeats=repeats,
            limit=limit,
            results=results,
            report=report,
            no_report=no_report,
            resume=resume,
            progress=not quiet,
            argv=sys.argv[1:],
            wait_lock=wait_lock,
            max_cost=max_cost,
        )
        result = run_benchmark(opts, say=_say_warnings if quiet else _say)
    except LlmbenchError as exc:
        _fail(exc)
    summary = result.summary
    if as_json:
        print(
            json.dumps(
                {
                    "run_id": summary.run_id,
                    "status": "interrupted"
                    if summary.interrupted
                    else ("finished" if not summary.failed else "incomplete"),
                    "planned": summary.planned,
                    "skipped": summary.skipped,
                    "ok": summary.ok,
                    "failed": summary.failed,
                    "errors": dict(summary.errors),
                    "elapsed_s": round(summary.elapsed_s, 3),
                    "cost_usd": round(summary.cost_usd, 6),
                    "budget_skipped": summary.budget_skipped,
                    "loads": summary.loads,
                    "load_s": round(summary.load_s, 3),
                    "targets": [t.name for t in result.targets],
                    "results": str(result.results),
                    "report": str(result.report) if result.report else None,
                },
                ensure_ascii=False,
            )
        )
    else:
        print(summary.run_id)
    if not quiet:
        _say(
            f"{summary.ok} answered, {summary.failed} failed, {summary.skipped} already done"
            f" in {summary.elapsed_s:.1f} s"
            + (f" ({summary.loads} model load(s), {summary.load_s:.1f} s)" if summary.loads else "")
            + f". Results: {result.results}"
        )
        if summary.errors:
            _say("errors by kind: " + ", ".join(f"{k}={v}" for k, v in summary.errors.items()))
    if summary.interrupted:
        _say(
            f"interrupted: every finished call is saved; finish with `llmbench run --resume {summary.run_id}`"
        )
    if result.report and not quiet:
        _say(_how_to_open(result.report))
    if summary.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if summary.budget_skipped:
        raise typer.Exit(EXIT_BUDGET)
    if summary.failed:
        raise typer.Exit(EXIT_ALL_FAILED if summary.ok == 0 and summary.skipped == 0 else EXIT_SOME_FAILED)


def _how_to_open(report: Path) -> str:
    """The closing line of `run`: where the report is and the command that opens it, or serves it (a
    machine reached over ssh has no browser)."""
    import shlex

    opener = {"darwin": "open", "win32": "start"}.get(sys.platform, "xdg-open")
    folder = shlex.quote(str(report.parent))
    return (
        f"Report: {report}. Open it: {opener} {shlex.quote(str(report))}  or serve it: "
        f"python -m http.server -d {folder} 8000  and browse http://127.0.0.1:8000/{report.name}"
    )


@app.command()
def models(
    config: ConfigOpt = None,
    target: Annotated[
        list[str] | None, typer.Option("--target", "-t", help="Describe these targets.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """What each configured or discovered target is (digest, family, size, quantization, key set...)."""
    import asyncio

    from llmbench.inspect_targets import describe_targets

    try:
        cfg = _config(config)
        rows = asyncio.run(describe_targets(cfg, target or []))
    except LlmbenchError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "target",
        "provider",
        "status",
        "digest",
        "family",
        "size",
        "quant",
        "capabilities",
        "last load",
        "notes",
    )
    for row in rows:
        table.add_row(
            row["target"],
            row["provider"],
            row["status"],
            (row.get("digest") or "")[:12],
            row.get("family") or "",
            row.get("parameter_size") or "",
            row.get("quantization") or "",
            ",".join(row.get("capabilities") or []),
            f"{row['last_load_s']:.1f} s" if "last_load_s" in row else "",
            row.get("note") or "",
        )
    Console().print(table)


@app.command()
def suites(
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Suites available and their prompt counts (by category and language)."""
    from collections import Counter

    from llmbench.suites import available_suites, load_suite

    try:
        cfg = _config(config)
        loaded = [load_suite(path) for path in available_suites(cfg.prompts_dir)]
    except LlmbenchError as exc:
        _fail(exc)
    rows = [
        {
            "suite": s.name,
            "version": s.version,
            "prompts": len(s.prompts),
            "path": str(s.path),
            "languages": dict(Counter(p.language for p in s.prompts)),
            "categories": dict(Counter(p.category for p in s.prompts)),
            "description": s.description,
        }
        for s in loaded
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        langs = ", ".join(f"{k} {v}" for k, v in sorted(row["languages"].items()))
        cats = ", ".join(f"{k} {v}" for k, v in sorted(row["categories"].items()))
        print(
            f"{row['suite']:<14} {row['prompts']:>5} prompts  v{row['version']}  [{langs}]  [{cats}]  {row['path']}"
        )


@app.command()
def runs(
    config: ConfigOpt = None,
    results: ResultsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Runs in the results database: id, date, targets, suites, counts, errors."""
    from llmbench.store import Store

    try:
        with Store(_results_path(results, config), create=False) as store:
            infos = store.runs()
    except LlmbenchError as exc:
        _fail(exc)
    rows = [
        {
            "run_id": r.run_id,
            "created_at": r.created_at,
            "status": r.status,
            "targets": r.targets,
            "suites": [s["name"] for s in r.plan.get("suites", [])],
            "planned": r.planned,
            "ok": r.ok,
            "errors": r.errors,
        }
        for r in infos
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        print(
            f"{r['run_id']}  {r['created_at'][:19]}  {r['status']:<11} ok={r['ok']}/{r['planned']} "
            f"errors={r['errors']}  targets={','.join(r['targets'])}  suites={','.join(r['suites'])}"
        )


@app.command()
def export(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix or 'latest' works).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl, csv or parquet.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    config: ConfigOpt = None,
    results: ResultsOpt = None,
) -> None:
    """Export one row per call (fields listed in the README)."""
    from llmbench.errors import UsageError
    from llmbench.export import FORMATS
    from llmbench.export import export as do_export
    from llmbench.store import Store

    try:
        if fmt not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
        if fmt == "parquet" and output is None:
            raise UsageError("parquet is binary: give -o PATH")
        with Store(_results_path(results, config), create=False) as store:
            count = do_export(store, store.resolve_run_id(run_id), fmt, output)
    except LlmbenchError as exc:
        _fail(exc)
    if output:
        _say(f"{count} rows written to {output}")


@app.command()
def report(
    run_ids: Annotated[list[str] | None, typer.Argument(help="Run id(s); 'latest' works.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="HTML file to write.")] = None,
    history: Annotated[
        int | None, typer.Option("--history", min=2, help="Compare the last N runs (a history view).")
    ] = None,
    config: ConfigOpt = None,
    results: ResultsOpt = None,
) -> None:
    """Render the HTML report of stored runs (never calls a model); several runs are compared."""
    from llmbench.errors import UsageError
    from llmbench.report.render import write_report
    from llmbench.store import Store

    try:
        cfg = _config(config)
        if not history and not run_ids:
            raise UsageError("give RUN_ID(s) or --history N")
        with Store(results or cfg.results, create=False) as store:
            if history:
                ids = [r.run_id for r in store.runs()][-history:]
            else:
                ids = [store.resolve_run_id(r) for r in run_ids or []]
            path = write_report(store, ids, output or cfg.reports / f"{'_'.join(ids)}.html")
    except LlmbenchError as exc:
        _fail(exc)
    print(path)


@app.command()
def drift(
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline", help="Baseline run (default: the previous run sharing a target with the candidate)."
        ),
    ] = None,
    candidate: Annotated[
        str | None, typer.Option("--candidate", help="Candidate run (default: latest).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Baseline: the first run on or after this date (YYYY-MM-DD)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json or md.")] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help="Exit 10 when drift is found (for cron and CI).")
    ] = False,
    similarity: Annotated[
        float, typer.Option("--similarity", help="Answers less similar than this (0-1) count as changed.")
    ] = 0.6,
    relative: Annotated[
        float,
        typer.Option(
            "--threshold",
            help="Relative change in tokens, cost, speed, reasoning length that counts (0.25 = 25%).",
        ),
    ] = 0.25,
    alpha: Annotated[float, typer.Option("--alpha", help="Significance level for rate changes.")] = 0.05,
    config: ConfigOpt = None,
    results: ResultsOpt = None,
) -> None:
    """Compare two runs: flips, changed answers, rate changes with significance, model-identity changes."""
    from llmbench.drift import Thresholds, compare_runs, pick_runs
    from llmbench.drift_text import render_json, render_text
    from llmbench.errors import EXIT_DRIFT, UsageError
    from llmbench.notify import notify
    from llmbench.store import Store

    fmt = "json" if as_json else fmt
    try:
        if fmt not in ("text", "json", "md"):
            raise UsageError("--format must be text, json or md")
        cfg = _config(config)
        with Store(results or cfg.results, create=False) as store:
            base, cand = pick_runs(store, baseline, candidate, since)
            report = compare_runs(
                store, base, cand, Thresholds(similarity=similarity, relative=relative, alpha=alpha)
            )
    except LlmbenchError as exc:
        _fail(exc)
    print(render_json(report) if fmt == "json" else render_text(report, markdown=fmt == "md"))
    if report.drift:
        for problem in notify(cfg.notify, render_json(report)):
            _say(f"warning: {problem}")
        if fail_on_drift:
            raise typer.Exit(EXIT_DRIFT)


@app.command()
def grade(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix or 'latest' works).")],
    config: ConfigOpt = None,
    results: ResultsOpt = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not re-render the report.")] = False,
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge",
            help="Also grade with this target as LLM judge (e.g. openai/gpt-4o-mini); "
            "calls already judged by it are not sent again.",
        ),
    ] = None,
) -> None:
    """Re-grade the stored answers of a run (rules: no model is called) and re-render its report."""
    import asyncio

    from llmbench.config import target_from_cli
    from llmbench.grading import regrade_run
    from llmbench.pipeline import write_reports
    from llmbench.store import Store

    try:
        cfg = _config(config)
        with Store(results or cfg.results, create=False) as store:
            rid = store.resolve_run_id(run_id)
            out: dict = {"run_id": rid, "grades": regrade_run(store, rid)}
            if judge:
                from llmbench.cost import Pricer
                from llmbench.grading.judge import judge_run

                pricer = Pricer.from_config(cfg.prices, cfg.local_cost, str(cfg.path or "llmbench.yaml"))
                out["judge"] = asyncio.run(judge_run(store, rid, target_from_cli(judge, cfg), price=pricer))
            report_path = None if no_report else write_reports(store, rid, None, cfg.reports, latest=False)
            out["report"] = str(report_path) if report_path else None
    except LlmbenchError as exc:
        _fail(exc)
    print(json.dumps(out, ensure_ascii=False))


@app.command()
def summary(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix or 'latest' works).")] = "latest",
    fmt: Annotated[str, typer.Option("--format", "-f", help="md (a table to paste in a chat or PR).")] = "md",
    config: ConfigOpt = None,
    results: ResultsOpt = None,
) -> None:
    """A short markdown table per target: accuracy, refusal rate, cost per task, tokens/s."""
    from llmbench.errors import UsageError
    from llmbench.report.render import summary_markdown
    from llmbench.store import Store

    try:
        if fmt != "md":
            raise UsageError("--format must be md")
        cfg = _config(config)
        with Store(results or cfg.results, create=False) as store:
            text = summary_markdown(store, store.resolve_run_id(run_id))
    except LlmbenchError as exc:
        _fail(exc)
    print(_terminal_safe(text))


@app.command("import")
def import_(
    source: Annotated[Path, typer.Argument(help="A .csv, .tsv or .jsonl prompt list.")],
    name: Annotated[str | None, typer.Option("--name", help="Suite name (default: the file's stem).")] = None,
    prompt_column: Annotated[
        str, typer.Option("--prompt-column", help="Column with the prompt text.")
    ] = "prompt",
    topic_column: Annotated[
        str | None,
        typer.Option("--topic-column", help="Column with the topic (promptfoo's CCP set: subject)."),
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Column with a stable prompt id.")
    ] = None,
    language_column: Annotated[str | None, typer.Option("--language-column")] = None,
    answer_column: Annotated[
        str | None, typer.Option("--answer-column", help="Column with the accepted answer (e.g. SimpleQA).")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help=f"{', '.join(CATEGORIES[:-1])} or {CATEGORIES[-1]}.")
    ] = None,
    language: Annotated[str, typer.Option("--language", help="Language when no column gives it.")] = "en",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: prompts/NAME.yaml")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing suite file.")] = False,
) -> None:
    """Turn a CSV/JSONL prompt list into a YAML suite (e.g. promptfoo's CCP-sensitive-prompts)."""
    from llmbench.suites import ColumnsModel, suite_yaml_from_table

    suite_name = name or source.stem
    target = output or Path("prompts") / f"{suite_name}.yaml"
    try:
        if target.exists() and not force:
            from llmbench.errors import UsageError

            raise UsageError(f"{target} exists (use --force to overwrite)")
        if topic_column is None and source.suffix.lower() != ".jsonl":
            import csv

            with source.open(encoding="utf-8-sig") as handle:
                header = next(csv.reader(handle), [])
            topic_column = "subject" if "subject" in header else None
        columns = ColumnsModel(
            prompt=prompt_column,
            id=id_column,
            topic=topic_column,
            language=language_column,
            answer=answer_column,
        )
        defaults = {"language": language, **({"category": category} if category else {})}
        text = suite_yaml_from_table(source, suite_name, columns, defaults)
    except LlmbenchError as exc:
        _fail(exc)
    except OSError as exc:
        _say(f"error: {source}: {exc.strerror}")
        raise typer.Exit(3) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(target)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter config.")] = Path("llmbench.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter llmbench.yaml."""
    from llmbench.config import STARTER_CONFIG

    if path.exists() and not force:
        _say(f"error: {path} exists (use --force to overwrite)")
        raise typer.Exit(2)
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    print(path)


def main() -> None:
    """Entry point: an unexpected exception is one line, not a traceback that could carry a secret."""
    import os

    try:
        app()
    except Exception as exc:  # a bug: say so plainly; LLMBENCH_DEBUG=1 shows the traceback
        if os.environ.get("LLMBENCH_DEBUG"):
            raise
        _say(f"internal error: {type(exc).__name__} (set LLMBENCH_DEBUG=1 for the traceback and report it)")
        sys.exit(70)


if __name__ == "__main__":
    main()
