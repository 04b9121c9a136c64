"""Retries with exponential backoff and full jitter, bounded by a deadline and a count.

The loop works on the typed errors of ``errors.py`` only, so it knows nothing of ``requests``
and is easy to test. What is retried:

* ``RateLimited`` (429): always, for every method. SparkPost rejected the request before
  processing it, so even a POST cannot have taken effect.
* ``TransportError`` with ``request_sent=False`` (DNS failure, connection refused, connect
  timeout): always. The request never left this process.
* ``ServerError`` 500/502/503/504 and ``TransportError`` with ``request_sent=True`` (read
  timeout, connection reset after sending): these are *ambiguous*, SparkPost may have acted.
  - idempotent requests (GET, HEAD, PUT, DELETE, or a POST the caller declares idempotent,
    such as a DKIM/CNAME verify check): retried.
  - other POSTs (creates): NOT retried, because a create whose response was lost would be
    repeated and make a duplicate subaccount or API key (SparkPost has no idempotency keys,
    and subaccount names need not be unique). If the caller passes ``idempotency_check``, a
    callable that looks for the object the POST would have created, the loop calls it after
    the backoff sleep: a non-None return value is taken as the call's result (the first
    attempt did succeed); None means "not created", and the POST is sent again.
* anything else (400, 401, 403, 404, 409, 422, other statuses, TLS errors): surfaces at once.

Waiting honours ``Retry-After`` (seconds or HTTP date, parsed by the client) up to
``max_retry_after`` seconds per wait (a longer one is capped, with a warning, and the error says
so if the loop gives up), never starts an attempt after the deadline, and sleeps on the cancel
event so StopProvider aborts promptly.

Two kinds of failure get a budget of their own, smaller than the deadline:

* never connecting (refused, DNS, connect timeout): ``connect_retries`` retries within
  ``connect_deadline`` seconds. An endpoint that refuses connections is misconfigured or down;
  it is not worth the whole retry budget. The error is marked ``unreachable`` and the client
  then fails later calls at once for a while (``client.py``), instead of each resource retrying.
* an attempt that ran out of its whole-exchange deadline (slow headers, a slow body) or got no
  byte within the read timeout: ``slow_retries`` retries, so a server trickling bytes costs at
  most (1 + slow_retries) request timeouts, not the whole deadline.

A DELETE that gets 404 after an earlier ambiguous attempt returns None (success): the earlier
attempt most likely deleted the object, and "already gone" is what the caller wanted.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Callable, TypeGuard, TypeVar

from .errors import (
    Cancelled,
    NotFound,
    RateLimited,
    ServerError,
    SparkPostError,
    TransportError,
)

__all__ = ["RetryPolicy", "parse_retry_after", "call_with_retries", "IDEMPOTENT_METHODS",
           "RETRYABLE_STATUSES"]

log = logging.getLogger("provider.sparkpost")

T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Tests shrink ``backoff_base`` to keep the suite fast.

    SparkPost's guidance for 429 is "wait 1 to 5 seconds" with incremental backoff; with a
    1 s base, the expected waits are 0.5, 1, 2, 4, 8, 10, 10, 10 s (full jitter, 20 s cap),
    so 8 retries fit comfortably inside the 120 s deadline.
    """

    max_retries: int = 8
    deadline: float = 120.0
    backoff_base: float = 1.0
    backoff_cap: float = 20.0
    max_retry_after: float = 60.0
    connect_retries: int = 2
    connect_deadline: float = 5.0
    slow_retries: int = 1

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**n)] for the n-th retry (0-based)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** min(retry_number, 30)))
        return rng.uniform(0.0, ceiling)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds to wait: delta-seconds or an HTTP date. None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds < 0:  # NaN or negative: ignore the header
            return None
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


def _decision(err: SparkPostError, idempotent: bool, has_check: bool) -> str:
    """'retry', 'check' (ask idempotency_check, then retry) or 'surface'."""
    if isinstance(err, RateLimited):
        return "retry"
    if isinstance(err, TransportError):
        if not err.retryable:
            return "surface"
        if not err.request_sent:
            return "retry"
    elif not (isinstance(err, ServerError) and err.status in RETRYABLE_STATUSES):
        return "surface"
    # Ambiguous: the server may have processed the request.
    if idempotent:
        return "retry"
    return "check" if has_check else "surface"


# Beyond 10^10 s (three centuries; an HTTP date in 2099 is below it), a wait is said as "more
# than 10^10": a Retry-After of 1e400 (infinity once parsed, which read "inf s") or 1e30 has no
# useful digits, only the fact that it is far beyond any retry budget.
SAID_SECONDS_MAX = 10.0**10


def _secs(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds > SAID_SECONDS_MAX:
        return "more than 10^10"
    return f"{seconds:.0f}" if seconds >= 10 else f"{seconds:g}"


def _never_connected(err: SparkPostError) -> TypeGuard[TransportError]:
    return isinstance(err, TransportError) and err.retryable and not err.request_sent


def _too_slow(err: SparkPostError) -> bool:
    return isinstance(err, TransportError) and err.kind_label in ("deadline", "read timeout")


def _is_ambiguous(err: SparkPostError) -> bool:
    if isinstance(err, TransportError):
        return err.request_sent
    return isinstance(err, ServerError)


def call_with_retries(
    attempt: Callable[[], T],
    *,
    policy: RetryPolicy,
    method: str,
    path: str,
    idempotent: bool | None = None,
    idempotency_check: Callable[[], Any] | None = None,
    cancel_event: threading.Event | None = None,
    rng: random.Random | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> T | Any:
    """Run ``attempt`` until it returns, or raise the last typed error with the story told.

    ``attempt`` performs one HTTP exchange and raises a ``SparkPostError`` on failure.
    """
    method = method.upper()
    if idempotent is None:
        idempotent = method in IDEMPOTENT_METHODS
    rng = rng or random.Random()
    event = cancel_event or threading.Event()
    start = clock()
    attempts = 0
    ambiguous_before = False
    connect_failures = 0
    slow_failures = 0
    capped: str | None = None  # "Retry-After 290 s was capped at 60 s", once it happened

    def cancelled() -> Cancelled:
        err = Cancelled("the provider is stopping", method=method, path=path)
        err.attempts = attempts
        return err

    while True:
        if event.is_set():
            raise cancelled()
        attempts += 1
        try:
            return attempt()
        except SparkPostError as err:
            err.attempts = attempts
            if (ambiguous_before and method == "DELETE" and isinstance(err, NotFound)):
                log.info("SparkPost %s %s: 404 after an earlier attempt may have succeeded; "
                         "treating the object as deleted", method, path)
                return None
            decision = _decision(err, idempotent, idempotency_check is not None)
            if capped:
                err.add_hint(f"{capped}.")
            if decision == "surface":
                if _is_ambiguous(err) and not idempotent:
                    err.add_hint(f"Not retried: {method} is not idempotent and SparkPost may "
                                 "have applied it; check before running it again.")
                raise
            ambiguous_before = ambiguous_before or _is_ambiguous(err)

            elapsed = clock() - start
            remaining = policy.deadline - elapsed
            retry_number = attempts - 1
            if _never_connected(err):
                connect_failures += 1
                if connect_failures > policy.connect_retries or elapsed >= policy.connect_deadline:
                    err.unreachable = True
                    err.mark_gave_up(attempts, elapsed, "a configured endpoint that cannot be "
                                     f"reached gets {policy.connect_retries} retries within "
                                     f"{policy.connect_deadline:g} s, not the whole retry budget")
                    log.info("SparkPost %s %s: giving up: %s", method, path, err.gave_up)
                    raise
            if _too_slow(err):
                slow_failures += 1
                if slow_failures > policy.slow_retries:
                    err.mark_gave_up(attempts, elapsed, f"{slow_failures} attempts ran out of "
                                     "time; a server that slow is retried only "
                                     f"{policy.slow_retries} time(s)")
                    log.info("SparkPost %s %s: giving up: %s", method, path, err.gave_up)
                    raise
            if retry_number >= policy.max_retries:
                if attempts == 1:
                    raise  # retries are switched off: nothing was "given up"
                err.mark_gave_up(attempts, elapsed, f"max_retries {policy.max_retries} reached")
                log.info("SparkPost %s %s: giving up: %s", method, path, err.gave_up)
                raise
            if remaining <= 0:
                err.mark_gave_up(attempts, elapsed,
                                 f"retry deadline {policy.deadline:g} s exhausted")
                log.info("SparkPost %s %s: giving up: %s", method, path, err.gave_up)
                raise
            delay = policy.backoff(retry_number, rng)
            if err.retry_after is not None:
                wait = err.retry_after
                if wait > policy.max_retry_after:
                    wait = policy.max_retry_after
                    capped = (f"SparkPost asked to wait {_secs(err.retry_after)} s (Retry-After); the "
                              f"provider waited at most {policy.max_retry_after:g} s per retry")
                    log.warning("SparkPost %s %s: Retry-After %s s capped at %g s", method, path,
                                _secs(err.retry_after), policy.max_retry_after)
                if wait > remaining:
                    # Retrying before the server said so would only earn another 429.
                    err.mark_gave_up(
                        attempts, elapsed,
                        f"Retry-After {_secs(err.retry_after)} s is beyond the retry deadline "
                        f"{policy.deadline:g} s")
                    log.info("SparkPost %s %s: giving up: %s", method, path, err.gave_up)
                    raise
                delay = max(delay, wait)
            delay = min(delay, remaining)
            log.info("SparkPost %s %s: %s (%s); retry %d/%d in %.2f s", method, path,
                     err.kind_label, err.status if err.status is not None else "no response",
                     retry_number + 1, policy.max_retries, delay)
            if event.wait(delay):
                raise cancelled() from err

            if decision == "check":
                assert idempotency_check is not None
                log.info("SparkPost %s %s: outcome unknown; checking whether it took effect",
                         method, path)
                found = idempotency_check()
                if found is not None:
                    log.info("SparkPost %s %s: the earlier attempt took effect; not resending",
                             method, path)
                    return found
