"""How well the censorship rules agree with people: accuracy per language and recall per class, with 95 %
Wilson intervals, on a labelled set of answers.

    python -m llmbench.grading.evaluate tests/data/censorship_test.yaml [--misses] [--json]

A labelled set is YAML: `items:`, each with `id`, `prompt_id` (a prompt of the suite, `prompts/censorship.yaml`
unless `--suite` says otherwise: its key facts are looked up there), `language`, `answer`, `reasoning`
(a string, "" for an empty think block, null for none) and `label` (answered | refused | deflected |
state_narrative). An item may carry its own `key_facts` (lists of alternatives) instead of its prompt's.
Other fields (`source`, `note`, `style`...) are provenance and ignored here. The key facts are those
`llmbench grade` uses: the prompt's, less any the question itself gives away.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmbench.errors import InputError
from llmbench.grading.censorship import classify
from llmbench.stats import rate
from llmbench.vocab import CENSORED
from llmbench.vocab import CENSORSHIP_VERDICTS as VERDICTS
from llmbench.yamlio import load_yaml

REPO = Path(__file__).resolve().parents[3]
DEFAULT_SUITE = REPO / "prompts" / "censorship.yaml"
LANGUAGES = ("en", "zh", "fr")
REQUIRED = ("id", "prompt_id", "language", "answer", "label")


@dataclass(frozen=True)
class Outcome:
    id: str
    language: str
    label: str
    predicted: str
    why: str


def load_labelled(path: Path, prompt_ids: set[str] | None = None) -> list[dict[str, Any]]:
    """The items of a labelled set, checked: a bad item names the file, its line and the field."""
    data = load_yaml(path)
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise InputError(
            str(path), getattr(data, "line", None), "items", "expected a non-empty list of answers"
        )
    seen: set[str] = set()
    for number, item in enumerate(items):
        line = item.line if hasattr(item, "line") else items.item_lines[number]
        if not isinstance(item, dict):
            raise InputError(str(path), line, f"items.{number}", "expected a mapping")
        for key in REQUIRED:
            if item.get(key) is None:
                raise InputError(str(path), line, f"items.{number}.{key}", "missing")
        where = item.key_lines
        if item["label"] not in VERDICTS:
            raise InputError(
                str(path),
                where["label"],
                f"items.{number}.label",
                f"{item['label']!r} is not one of {VERDICTS}",
            )
        facts = item.get("key_facts")
        if facts is not None and not (
            isinstance(facts, list)
            and all(isinstance(f, list) and all(isinstance(a, str) for a in f) for f in facts)
        ):
            raise InputError(
                str(path), where["key_facts"], f"items.{number}.key_facts", "expected lists of text"
            )
        if item.get("reasoning") is not None and not isinstance(item["reasoning"], str):
            raise InputError(
                str(path), where["reasoning"], f"items.{number}.reasoning", "expected text or null"
            )
        if prompt_ids is not None and item["prompt_id"] not in prompt_ids:
            raise InputError(
                str(path), where["prompt_id"], f"items.{number}.prompt_id", f"no prompt {item['prompt_id']!r}"
            )
        if item["id"] in seen:
            raise InputError(str(path), where["id"], f"items.{number}.id", f"duplicate id {item['id']!r}")
        seen.add(item["id"])
    return items


def grade_items(items: list[dict[str, Any]], suite: Path = DEFAULT_SUITE) -> list[Outcome]:
    """The rules' verdict on every item, with the prompt's key facts as `llmbench grade` would use them."""
    from llmbench.grading import facts_not_in_question
    from llmbench.suites import load_suite

    prompts = {p.id: p for p in load_suite(suite).prompts}
    outcomes = []
    for item in items:
        prompt = prompts[item["prompt_id"]]
        facts, _ = facts_not_in_question(
            item.get("key_facts") or prompt.meta.get("key_facts", []), prompt.text
        )
        verdict = classify(item["answer"], item.get("reasoning"), item["language"], facts, prompt.category)
        outcomes.append(
            Outcome(item["id"], item["language"], item["label"], verdict.verdict, verdict.evidence["why"])
        )
    return outcomes


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    """Accuracy overall and per language, recall and precision per class (Wilson intervals), confusions."""
    right = sum(o.label == o.predicted for o in outcomes)
    by_language = {
        language: rate(sum(o.label == o.predicted for o in subset), len(subset))
        for language in sorted({o.language for o in outcomes}, key=lambda x: (x not in LANGUAGES, x))
        for subset in [[o for o in outcomes if o.language == language]]
    }
    recall = {}
    precision = {}
    for verdict in VERDICTS:
        support = [o for o in outcomes if o.label == verdict]
        predicted = [o for o in outcomes if o.predicted == verdict]
        recall[verdict] = rate(sum(o.predicted == verdict for o in support), len(support))
        precision[verdict] = rate(sum(o.label == verdict for o in predicted), len(predicted))
    binary = sum((o.label in CENSORED) == (o.predicted in CENSORED) for o in outcomes)
    confusion = Counter((o.label, o.predicted) for o in outcomes if o.label != o.predicted)
    return {
        "n": len(outcomes),
        "accuracy": rate(right, len(outcomes)),
        "censored_or_answered": rate(binary, len(outcomes)),
        "by_language": by_language,
        "recall": recall,
        "precision": precision,
        "confusion": {f"{a} -> {b}": n for (a, b), n in sorted(confusion.items())},
    }


def _pct(r: dict[str, Any]) -> str:
    if r["rate"] is None:
        return "—"
    return f"{r['rate']:.1%} [{r['low']:.1%}, {r['high']:.1%}] (n={r['n']})"


def render(summary: dict[str, Any], outcomes: list[Outcome], misses: bool) -> str:
    lines = [
        f"censorship rules on {summary['n']} labelled answers",
        f"accuracy (four classes)      {_pct(summary['accuracy'])}",
        f"censored or answered         {_pct(summary['censored_or_answered'])}",
        "",
        "accuracy by language (95 % Wilson interval)",
    ]
    lines += [f"  {language:<4}{_pct(r)}" for language, r in summary["by_language"].items()]
    lines += ["", f"{'class':<18}{'recall':<36}precision"]
    for verdict in VERDICTS:
        lines.append(
            f"  {verdict:<16}{_pct(summary['recall'][verdict]):<36}{_pct(summary['precision'][verdict])}"
        )
    if summary["confusion"]:
        lines += [
            "",
            "errors (label -> predicted): " + ", ".join(f"{k} x{n}" for k, n in summary["confusion"].items()),
        ]
    if misses:
        lines += [""] + [
            f"  {o.id}: {o.label} -> {o.predicted} ({o.why})" for o in outcomes if o.label != o.predicted
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labelled", type=Path, nargs="+", help="labelled YAML set(s)")
    parser.add_argument("--suite", type=Path, default=DEFAULT_SUITE, help="the suite the items answer")
    parser.add_argument(
        "--misses", action="store_true", help="list every answer the rules got wrong, and why"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    from llmbench.suites import load_suite

    prompt_ids = {p.id for p in load_suite(args.suite).prompts}
    try:
        items = [item for path in args.labelled for item in load_labelled(path, prompt_ids)]
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    outcomes = grade_items(items, args.suite)
    summary = summarise(outcomes)
    print(json.dumps(summary, indent=2) if args.json else render(summary, outcomes, args.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
