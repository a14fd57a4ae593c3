"""Tell someone when drift is found: run a command (JSON on stdin) and/or POST the JSON to a URL.

Only the URL the user configured is contacted. A failing hook is reported but never hides the drift
itself: the exit code still says "drift found".
"""

from __future__ import annotations

import os
import shlex
import subprocess
from typing import Any


def notify(settings: Any, payload_json: str) -> list[str]:
    """Returns problems (empty when every configured hook succeeded)."""
    problems: list[str] = []
    if settings is None:
        return problems
    if settings.command:
        try:
            done = subprocess.run(
                shlex.split(settings.command),
                input=payload_json,
                text=True,
                capture_output=True,
                timeout=settings.timeout,
                env={**os.environ, "LLMBENCH_DRIFT": "1"},
                check=False,
            )
            if done.returncode != 0:
                problems.append(f"notify command exited {done.returncode}: {done.stderr.strip()[:200]}")
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems.append(f"notify command failed: {exc}")
    if settings.url:
        import httpx

        try:
            response = httpx.post(
                settings.url,
                content=payload_json,
                timeout=settings.timeout,
                headers={"Content-Type": "application/json", "User-Agent": "llmbench"},
            )
            if response.status_code >= 400:
                problems.append(f"notify URL answered HTTP {response.status_code}")
        except httpx.HTTPError as exc:
            problems.append(f"notify URL failed: {type(exc).__name__}")
    return problems
