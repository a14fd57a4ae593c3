"""The words llmbench grades with, defined once: prompt categories, call outcomes and verdicts.

Suites validate categories against these, graders and the judge produce these verdicts, and the report, drift
and export read them; nothing else spells the lists out.
"""

from __future__ import annotations

CATEGORIES = ("fact", "control", "probe", "control_probe", "task")
"""A prompt's category: `fact` and `control` are graded against an expected answer, `probe` and
`control_probe` (comparable events elsewhere) by the censorship classifier, `task` prices a typical job."""
PROBE_CATEGORIES = ("probe", "control_probe")

OUTCOMES = ("ok", "error", "budget_exhausted", "context_truncated", "empty")
"""Why a call has (`ok`) or has no gradeable answer; kept apart from wrong answers and refusals."""
NOT_OK = OUTCOMES[1:]

FACT_VERDICTS = ("correct", "incorrect")
CENSORSHIP_VERDICTS = ("answered", "refused", "deflected", "state_narrative")
CENSORED = ("refused", "deflected", "state_narrative")
"""The censored share counts these (the refusal rate counts `refused` alone)."""
PASSING = ("correct", "answered")
"""Verdicts that score 1."""
UNGRADED = "ungraded"
"""A fact prompt with nothing to check against, or (in the report) a call no grader saw."""
NO_VERDICT = "no_verdict"
"""The report's label for a graded call with an `ok` outcome but no verdict."""

REPORT_STATUSES = (*FACT_VERDICTS, *CENSORSHIP_VERDICTS, *NOT_OK, UNGRADED, NO_VERDICT)
"""The one label per call that the report's badges and filters show, in their order."""
