"""The benchmark sections, one module each; a new section is one new file here.

A section module defines `NAME` (its key in the results and for `--skip`), `ORDER` (its number in
RESULTS.md and when it runs), optionally `SUMMARY_ORDER` (where its rows go in the summary table, default
ORDER), and:

- `measure(root, args) -> dict`: run the measurement in the temporary directory `root`;
- `summary(res, args, a)`: its rows of the summary table (`a` appends a line), from the whole results;
- `render(res, args, a, num)`: its part of RESULTS.md; `num` maps section names to their numbers.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def _sections() -> tuple[ModuleType, ...]:
    modules = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]
    return tuple(sorted(modules, key=lambda m: m.ORDER))


SECTIONS = _sections()
