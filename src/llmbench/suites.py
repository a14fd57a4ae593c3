"""Load and validate prompt suites (YAML) and the fact sheets the factual suite is generated from.

A suite is looked up by name in the prompts folder (`--prompts-dir`, config `prompts_dir`, ./prompts, then
the checkout's bundled prompts/) or given as a path. Every error names the file, line and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from llmbench.errors import SuiteError, UsageError
from llmbench.records import Prompt
from llmbench.vocab import CATEGORIES
from llmbench.yamlio import Located, load_yaml, raise_validation

BUNDLED_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ExpectModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    any: list[str] = Field(default_factory=list)
    all: list[str] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)
    number: float | None = None
    tolerance: float | None = Field(default=None, ge=0)
    unit: str | None = None

    @field_validator("any", "all", "none", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else value


class PromptModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    prompt: str = Field(min_length=1)
    system: str | None = None
    category: str = ""
    topic: str = ""
    language: str = "en"
    max_tokens: int | None = Field(default=None, gt=0)
    expect: ExpectModel | None = None
    key_facts: list[list[str]] = Field(default_factory=list)
    task: str | None = None
    fact: str | None = None
    tags: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("ids use letters, digits, '.', '_' and '-' and start with a letter or digit")
        return value

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value and value not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}")
        return value

    @field_validator("key_facts", mode="before")
    @classmethod
    def _facts(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [[str(x) for x in v] if isinstance(v, list) else [str(v)] for v in value]
        return value


class ColumnsModel(BaseModel):
    """Which column of a CSV/JSONL prompt list holds what (promptfoo's CCP set: prompt + subject)."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = "prompt"
    id: str | None = None
    topic: str | None = None
    language: str | None = None
    category: str | None = None
    answer: str | None = None
    system: str | None = None


class SuiteModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suite: str | None = None
    version: int | str = 1
    description: str = ""
    defaults: dict[str, Any] = Field(default_factory=dict)
    facts: str | None = None
    source: str | None = None
    columns: ColumnsModel | None = None
    prompts: list[dict[str, Any]] = Field(default_factory=list)


class FactModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    claim: str
    kind: str = "text"
    value: Any = None
    accepted: list[str] = Field(default_factory=list)
    unit: str | None = None
    tolerance: float | None = Field(default=None, ge=0)
    sources: list[dict[str, Any]] = Field(default_factory=list)
    disagreement: str | None = None
    questions: dict[str, str] = Field(default_factory=dict)

    @field_validator("accepted", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else value


class FactSheetModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sheet: str
    about: str = ""
    facts: list[FactModel] = Field(default_factory=list)


@dataclass
class Suite:
    name: str
    path: Path
    version: str
    description: str
    prompts: list[Prompt]


def suite_dirs(prompts_dir: Path | None) -> list[Path]:
    dirs = [prompts_dir] if prompts_dir else []
    dirs += [Path("prompts"), BUNDLED_PROMPTS]
    unique: list[Path] = []
    for d in dirs:
        if d.is_dir() and d.resolve() not in [u.resolve() for u in unique]:
            unique.append(d)
    return unique


def find_suite(name: str, prompts_dir: Path | None = None) -> Path:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    for folder in suite_dirs(prompts_dir):
        for ext in (".yaml", ".yml"):
            path = folder / f"{name}{ext}"
            if path.exists():
                return path
    available = ", ".join(sorted(p.stem for d in suite_dirs(prompts_dir) for p in d.glob("*.y*ml")))
    raise UsageError(f"unknown suite '{name}' (available: {available or 'none'}; or give a path to a .yaml)")


def available_suites(prompts_dir: Path | None = None) -> list[Path]:
    seen: dict[str, Path] = {}
    for folder in suite_dirs(prompts_dir):
        for path in sorted(folder.glob("*.y*ml")):
            seen.setdefault(path.stem, path)
    return list(seen.values())


def load_suite(path: Path) -> Suite:
    data = load_yaml(path, SuiteError)
    if not isinstance(data, Located):
        raise SuiteError(
            str(path), getattr(data, "line", 1), None, "a suite must be a mapping with 'prompts'"
        )
    try:
        raw = SuiteModel.model_validate(data)
    except ValidationError as exc:
        raise_validation(path, data, exc, SuiteError)
    name = raw.suite or path.stem
    prompts: list[Prompt] = []
    if raw.facts:
        prompts += _prompts_from_fact_sheets(path.parent / raw.facts, name, raw.defaults)
    if raw.source:
        prompts += prompts_from_table(
            path.parent / raw.source, name, raw.columns or ColumnsModel(), raw.defaults
        )
    located_prompts = data.get("prompts") or []
    for index, item in enumerate(located_prompts):
        if not isinstance(item, Located):
            raise SuiteError(
                str(path),
                located_prompts.item_lines[index],
                f"prompts.{index}",
                "each prompt must be a mapping",
            )
        merged = Located({**raw.defaults, **item})
        merged.key_lines = {**{k: data.key_lines.get("defaults", 0) for k in raw.defaults}, **item.key_lines}
        merged.line = item.line
        try:
            model = PromptModel.model_validate(merged)
        except ValidationError as exc:
            raise_validation(path, data, exc, SuiteError, prefix=("prompts", index))
        prompts.append(_prompt_from_model(model, name, path, item.line))
    if not prompts:
        raise SuiteError(str(path), data.line, "prompts", "the suite has no prompts")
    seen: dict[str, int] = {}
    for prompt in prompts:
        if prompt.id in seen:
            raise SuiteError(
                str(path),
                prompt.source_line,
                "id",
                f"duplicate prompt id '{prompt.id}' (first defined at line {seen[prompt.id]})",
            )
        seen[prompt.id] = prompt.source_line
    return Suite(name=name, path=path, version=str(raw.version), description=raw.description, prompts=prompts)


def _prompt_from_model(model: PromptModel, suite: str, path: Path, line: int) -> Prompt:
    expect = model.expect.model_dump(exclude_defaults=True) if model.expect else {}
    meta = {k: v for k, v in (("task", model.task), ("fact", model.fact)) if v}
    if model.key_facts:
        meta["key_facts"] = model.key_facts
    if model.tags:
        meta["tags"] = model.tags
    return Prompt(
        id=model.id,
        suite=suite,
        text=model.prompt,
        category=model.category,
        topic=model.topic,
        language=model.language,
        system=model.system,
        max_tokens=model.max_tokens,
        expect=expect,
        meta=meta,
        source_file=str(path),
        source_line=line,
    )


def load_fact_sheet(path: Path) -> tuple[FactSheetModel, Located]:
    data = load_yaml(path, SuiteError)
    if not isinstance(data, Located):
        raise SuiteError(str(path), 1, None, "a fact sheet must be a mapping with 'sheet' and 'facts'")
    try:
        return FactSheetModel.model_validate(data), data
    except ValidationError as exc:
        raise_validation(path, data, exc, SuiteError)


def _prompts_from_fact_sheets(folder: Path, suite: str, defaults: dict[str, Any]) -> list[Prompt]:
    """Every fact's questions become prompts, graded against the fact's value and accepted variants."""
    if not folder.is_dir():
        raise SuiteError(str(folder), None, "facts", "fact-sheet folder not found")
    prompts: list[Prompt] = []
    for path in sorted(folder.glob("*.y*ml")):
        sheet, data = load_fact_sheet(path)
        for index, fact in enumerate(sheet.facts):
            line = data["facts"].item_lines[index]
            expect: dict[str, Any] = {}
            if fact.kind == "number" and fact.value is not None:
                try:
                    expect["number"] = float(fact.value)
                except (TypeError, ValueError):
                    raise SuiteError(
                        str(path), line, f"facts.{index}.value", "a number fact needs a number"
                    ) from None
                expect["tolerance"] = fact.tolerance or 0.0
                if fact.unit:
                    expect["unit"] = fact.unit
            accepted = list(fact.accepted) or ([str(fact.value)] if fact.value is not None else [])
            if accepted:
                expect["any"] = accepted
            if not fact.questions:
                raise SuiteError(
                    str(path), line, f"facts.{index}.questions", "a fact needs at least one question"
                )
            for language, question in fact.questions.items():
                prompts.append(
                    Prompt(
                        id=f"{sheet.sheet}.{fact.id}-{language}",
                        suite=suite,
                        text=question,
                        category=defaults.get("category", "fact"),
                        topic=f"{sheet.sheet}.{fact.id}",
                        language=language,
                        max_tokens=defaults.get("max_tokens"),
                        expect=expect,
                        meta={"fact": f"{path.name}#{fact.id}", "claim": fact.claim},
                        source_file=str(path),
                        source_line=line,
                    )
                )
    return prompts


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug[:40] or "item"


def _table_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs from a CSV (header row) or JSONL file."""
    import csv
    import json

    if not path.exists():
        raise SuiteError(str(path), None, "source", "prompt list not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SuiteError(str(path), None, None, f"not UTF-8 text ({exc.reason})") from None
    rows: list[tuple[int, dict[str, Any]]] = []
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SuiteError(str(path), number, None, f"invalid JSON: {exc.msg}") from None
            if not isinstance(item, dict):
                raise SuiteError(str(path), number, None, "each line must be a JSON object")
            rows.append((number, item))
        return rows
    if path.suffix.lower() not in (".csv", ".tsv"):
        raise SuiteError(str(path), None, "source", "prompt lists are .csv, .tsv or .jsonl files")
    reader = csv.DictReader(text.splitlines(), delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
    for row in reader:
        rows.append((reader.line_num, row))
    return rows


def prompts_from_table(
    path: Path, suite: str, columns: ColumnsModel, defaults: dict[str, Any]
) -> list[Prompt]:
    """Prompts from a CSV/JSONL list; errors name the file, the line and the column."""
    rows = _table_rows(path)
    if not rows:
        raise SuiteError(str(path), None, "source", "the prompt list is empty")
    header = set(rows[0][1])
    for field_name, column in columns.model_dump().items():
        if column and column not in header:
            raise SuiteError(
                str(path),
                1,
                f"columns.{field_name}",
                f"no column '{column}' (columns: {', '.join(sorted(map(str, header)))})",
            )
    prompts: list[Prompt] = []
    per_topic: dict[str, int] = {}
    for line, row in rows:

        def cell(name: str | None, row: dict[str, Any] = row) -> str | None:
            if not name:
                return None
            value = row.get(name)
            return None if value is None else str(value).strip()

        text = cell(columns.prompt)
        if not text:
            raise SuiteError(str(path), line, columns.prompt, "empty prompt")
        topic = cell(columns.topic) or defaults.get("topic", "")
        if columns.id and cell(columns.id):
            prompt_id = cell(columns.id)
        else:
            per_topic[topic] = per_topic.get(topic, 0) + 1
            prompt_id = f"{_slug(topic) if topic else 'row'}-{per_topic[topic]:04d}"
        if not ID_PATTERN.match(prompt_id):
            prompt_id = _slug(prompt_id)
        answer = cell(columns.answer)
        category = cell(columns.category) or defaults.get("category", "fact" if answer else "probe")
        if category not in CATEGORIES:
            raise SuiteError(
                str(path), line, columns.category, f"category must be one of {', '.join(CATEGORIES)}"
            )
        prompts.append(
            Prompt(
                id=prompt_id,
                suite=suite,
                text=text,
                category=category,
                topic=topic,
                language=cell(columns.language) or defaults.get("language", "en"),
                system=cell(columns.system) or defaults.get("system"),
                max_tokens=defaults.get("max_tokens"),
                expect={"any": [answer]} if answer else {},
                meta={"source_row": line},
                source_file=str(path),
                source_line=line,
            )
        )
    return prompts


def suite_yaml_from_table(path: Path, name: str, columns: ColumnsModel, defaults: dict[str, Any]) -> str:
    """Render an imported prompt list as a self-contained YAML suite (what `llmbench import` writes)."""
    import yaml

    prompts = prompts_from_table(path, name, columns, defaults)
    items = []
    for p in prompts:
        item: dict[str, Any] = {"id": p.id, "prompt": p.text, "category": p.category}
        if p.topic:
            item["topic"] = p.topic
        item["language"] = p.language
        if p.system:
            item["system"] = p.system
        if p.expect:
            item["expect"] = p.expect
        items.append(item)
    document = {
        "suite": name,
        "version": 1,
        "description": f"Imported from {path.name} ({len(items)} prompts).",
        "prompts": items,
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110)
