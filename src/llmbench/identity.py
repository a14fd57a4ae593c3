"""Did the model behind a target change between two runs? One answer, for drift, the report and its history.

A run knows the model behind a target from two sources: what the server said when the run started (the
`ModelIdentity` stored with the run's targets: digest, quantization, size, family, server version) and what its
answered calls reported (a hosted API names the dated snapshot and the backend fingerprint in every response).
`TargetIdentity` holds both, field by field, and `identity_changes` compares two of them under one rule:

    a field has changed only when both runs know it and the values differ. A field one run does not know (the
    server did not say, or no answered call reported it) is not evidence of a change.

So a dropped `/api/version` is not "model updated", and neither is a server that starts naming its backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

IDENTITY_FIELDS = (
    "digest",
    "quantization",
    "parameter_size",
    "family",
    "server_version",
    "served_model",
    "system_fingerprint",
)


@dataclass(frozen=True)
class TargetIdentity:
    """What one run knew of the model behind one target; None or () is "unknown".

    `served_model` and `system_fingerprint` are the distinct values the run's answered calls reported (sorted),
    or, when none reported one, the value the server gave when the run started.
    """

    digest: str | None = None
    quantization: str | None = None
    parameter_size: str | None = None
    family: str | None = None
    server_version: str | None = None
    served_model: tuple[str, ...] = ()
    system_fingerprint: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        described: Mapping[str, Any] | None,
        served: Iterable[str | None] = (),
        fingerprints: Iterable[str | None] = (),
    ) -> TargetIdentity:
        """From the stored `ModelIdentity` (as a mapping; None when the target was never described) and what
        the answered calls reported."""
        said = described or {}

        def distinct(values: Iterable[str | None], fallback: Any) -> tuple[str, ...]:
            found = tuple(sorted({str(v) for v in values if v}))
            return found or ((str(fallback),) if fallback else ())

        return cls(
            digest=said.get("digest") or None,
            quantization=said.get("quantization") or None,
            parameter_size=said.get("parameter_size") or None,
            family=said.get("family") or None,
            server_version=said.get("server_version") or None,
            served_model=distinct(served, said.get("served_model")),
            system_fingerprint=distinct(fingerprints, said.get("system_fingerprint")),
        )


def _shown(value: Any) -> Any:
    """One value as itself, several as a list (what drift's JSON and the report print)."""
    if isinstance(value, tuple):
        return value[0] if len(value) == 1 else list(value)
    return value


def identity_changes(
    before: TargetIdentity | None, after: TargetIdentity | None
) -> dict[str, dict[str, Any]]:
    """The fields that changed from `before` to `after`, under the rule of this module's docstring:
    `{field: {"before": ..., "after": ...}}`, empty when it is the same model (or one side is unknown)."""
    if before is None or after is None:
        return {}
    changed = {}
    for name in IDENTITY_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old and new and old != new:
            changed[name] = {"before": _shown(old), "after": _shown(new)}
    return changed
