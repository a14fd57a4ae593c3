"""The retry policy, in one place: bounded, exponential backoff with jitter, Retry-After honoured.

Providers say what an error means (`Provider.retry_decision`); this loop applies it. The runner and
the LLM judge both call `complete_with_retries`, so neither imports the other.
"""

from __future__ import annotations

import os

from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt, wait_exponential_jitter

from llmbench.errors import CallError
from llmbench.providers.base import Provider
from llmbench.records import Completion, GenerationParams, Prompt

# First retry after ~1 s (plus jitter), doubling up to a minute. LLMBENCH_RETRY_BACKOFF_S scales it
# (tests and impatient users); Retry-After from the server always wins when longer.
_INITIAL_BACKOFF_S = float(os.environ.get("LLMBENCH_RETRY_BACKOFF_S", "1.0"))
_backoff = wait_exponential_jitter(initial=_INITIAL_BACKOFF_S, max=60.0, jitter=_INITIAL_BACKOFF_S)


def _wait(state: RetryCallState) -> float:
    """Exponential backoff with jitter, but never sooner than the server's Retry-After."""
    exc = state.outcome.exception() if state.outcome else None
    retry_after = getattr(exc, "retry_after", None) or 0.0
    return max(_backoff(state), min(retry_after, 300.0))


async def complete_with_retries(
    provider: Provider, prompt: Prompt, params: GenerationParams, max_retries: int
) -> tuple[Completion, int]:
    """One call with the retry policy; returns the completion and the attempts made. Any failure comes
    out as a CallError carrying `attempts`."""

    def worth_retrying(state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        return isinstance(exc, CallError) and provider.retry_decision(exc, state.attempt_number).retry

    attempts = 1
    try:
        try:
            # Most calls succeed at once: the first attempt skips the retry machinery altogether.
            return await provider.complete(prompt, params), attempts
        except CallError as exc:
            if max_retries <= 0 or not provider.retry_decision(exc, 1).retry:
                raise
            first_error: CallError | None = exc
        # Tenacity takes over from the failed first attempt: replaying its error as attempt 1 gives the
        # same waits (backoff and Retry-After) as if tenacity had made it.
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(max_retries + 1), wait=_wait, retry=worth_retrying, reraise=True
        ):
            with attempt:
                if first_error is not None:
                    replay, first_error = first_error, None
                    raise replay
                attempts += 1
                completion = await provider.complete(prompt, params)
    except CallError as exc:
        exc.attempts = attempts
        raise
    except Exception as exc:  # an unexpected provider bug must not kill the run
        error = CallError("internal", f"{type(exc).__name__}: {exc}")
        error.attempts = attempts
        raise error from None
    return completion, attempts
