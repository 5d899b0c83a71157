"""The retry policy: one predicate decides, a tenacity value waits and stops.

Kept apart from the client so that the policy can be read (and replaced) on its
own: ``Client(..., retry=...)`` takes any tenacity ``Retrying``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from .errors import TransportError
from .lean_http import LeanResponse

MAX_RETRY_AFTER = 60.0


def should_retry(exc: BaseException) -> bool:
    """The one retry decision: only failures that left us without a usable answer.

    Connection errors, timeouts, HTTP 429 and 5xx and answers that are not
    complete JSON are retried (they arrive as :class:`TransportError`). A JSON
    ``{"error": ...}`` is the provider's final word and is not; nor is a
    redirect or a bad URL (:class:`ConfigError`).
    """
    return isinstance(exc, TransportError)


def _finite_wait(value: object) -> float | None:
    """A wait in seconds, capped; None for anything that is not a finite number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return min(float(value), MAX_RETRY_AFTER)


class wait_retry_after:
    """Wait what the server asked for (Retry-After), else the fallback backoff."""

    def __init__(self, fallback: Callable[[RetryCallState], float]) -> None:
        self.fallback = fallback

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = _finite_wait(getattr(exc, "retry_after", None))
        return asked if asked is not None else self.fallback(state)


def default_retry(
    *, attempts: int = 6, max_delay: float = 120.0, sleep: Callable[[float], None] = time.sleep
) -> Retrying:
    """The default retry policy: exponential backoff with jitter, capped in tries and time.

    Example:
        >>> policy = default_retry(attempts=3, sleep=lambda s: None)
        >>> policy.stop.stops[0].max_attempt_number
        3
    """
    return Retrying(
        stop=stop_after_attempt(attempts) | stop_after_delay(max_delay),
        wait=wait_retry_after(wait_exponential_jitter(multiplier=0.5, max=20.0, jitter=1.0)),
        retry=retry_if_exception(should_retry),
        reraise=True,
        sleep=sleep,
    )


def retry_after_of(response: requests.Response | LeanResponse) -> float | None:
    """Retry-After in seconds; NaN, infinite, negative or an HTTP date → None (back off)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return _finite_wait(float(value)) if value else None
    except ValueError:
        return None
