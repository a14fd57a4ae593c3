"""Error types. Each carries what the CLI needs to print one clear paragraph and pick an exit code.

Exit codes are decided here, in one place, and documented in the README.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_UNAVAILABLE = 4
EXIT_ALL_FAILED = 5
EXIT_BUDGET = 6
EXIT_BUSY = 7
EXIT_DRIFT = 10
EXIT_INTERRUPTED = 130


class LlmbenchError(Exception):
    """Base of every error the CLI turns into a message (never a traceback)."""

    exit_code = EXIT_CONFIG


class InputError(LlmbenchError):
    """A file the user wrote is wrong: names the file, line and field."""

    exit_code = EXIT_CONFIG

    def __init__(self, file: str, line: int | None, field: str | None, message: str) -> None:
        self.file, self.line, self.field, self.message = str(file), line, field, message
        where = self.file + (f", line {line}" if line else "")
        what = f"field '{field}': " if field else ""
        super().__init__(f"{where}: {what}{message}")


class ConfigError(InputError):
    """llmbench.yaml or a command-line target is invalid."""


class SuiteError(InputError):
    """A prompt suite or fact sheet is invalid."""


class UsageError(LlmbenchError):
    """The command line asks for something impossible (unknown run id, unknown suite...)."""

    exit_code = EXIT_USAGE


class TargetUnavailable(LlmbenchError):
    """A target cannot be used at all: server down, model not installed, key missing."""

    exit_code = EXIT_UNAVAILABLE


class StoreError(LlmbenchError):
    """The results database cannot be opened or is not an llmbench database."""

    exit_code = EXIT_CONFIG


class BudgetExceeded(LlmbenchError):
    exit_code = EXIT_BUDGET


class StoreBusy(LlmbenchError):
    """Another run holds the database's write lock."""

    exit_code = EXIT_BUSY


class CallError(Exception):
    """One call failed. `kind` classifies it for the store and decides whether a retry may help."""

    def __init__(self, kind: str, message: str, *, retryable: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after
        self.attempts = 0  # set by the retry loop: how many times the call was made
