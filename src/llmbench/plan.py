"""Targets x prompts x repeats -> cells, each with a stable key; and the plan's JSON form for the store."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from llmbench.records import Cell, TargetSpec
from llmbench.suites import Suite


@dataclass
class Plan:
    targets: list[TargetSpec]
    suites: list[Suite]
    repeats: int
    cells: list[Cell]

    def to_json(self) -> dict[str, Any]:
        """What `--resume` and reports need to know about the plan; never contains a secret."""
        return {
            "targets": [t.public_dict() for t in self.targets],
            "suites": [
                {"name": s.name, "path": str(s.path), "version": s.version, "prompts": len(s.prompts)}
                for s in self.suites
            ],
            "repeats": self.repeats,
        }


def build_plan(targets: list[TargetSpec], suites: list[Suite], repeats: int) -> Plan:
    """Order cells repeat-major: within a target, whole passes over the suites come first. (The runner
    makes local targets one model after another per host, see llmbench.schedule, so an interrupted run has
    whole models; hosted targets follow this order as it is.)

    A prompt's own `max_tokens` is the budget its author chose; the target's `max_tokens` caps it (a tiny
    embedded model gets a small cap so a zero-setup run takes minutes).
    """
    cells: list[Cell] = []
    for repeat in range(repeats):
        for suite in suites:
            for prompt in suite.prompts:
                for target in targets:
                    cap = target.params.max_tokens
                    budget = (
                        min(x for x in (prompt.max_tokens, cap) if x) if (prompt.max_tokens or cap) else None
                    )
                    cells.append(Cell(target, prompt, repeat, replace(target.params, max_tokens=budget)))
    return Plan(targets=targets, suites=suites, repeats=repeats, cells=cells)
