"""Work that runs beside an RPC's own work instead of before it.

Each API round trip an RPC makes in sequence is paid in full on Terraform's critical path. Two
tools let independent calls overlap:

* `Task`: a function run in a daemon thread. `result()` waits for it and returns its value or
  raises its exception in the caller's thread, so the caller sees exactly what a direct call
  would have given; a task whose result is never asked for is dropped, exception and all (it
  never prints a traceback).
* `ConfigureCheck`: the part of a provider's configuration that need not hold ConfigureProvider
  (a credentials check over the network, say; see `resource.Configured`). It starts when
  ConfigureProvider answers; every later RPC that needs the configured provider joins it
  (`join`) and fails with its errors if it failed.

Threads are daemons (a check that hangs never keeps the process alive) and run in a copy of the
caller's `contextvars` context, so whatever the caller's context holds (log fields, redaction,
cancellation scopes) holds there too. Cancellation itself is the work's business: the functions
given here are expected to watch the provider's cancel event (the SparkPost client does).
"""

from __future__ import annotations

import contextvars
import threading
from typing import Callable, Generic, TypeVar

from .diagnostics import Diagnostic, Diagnostics, Path

T = TypeVar("T")

# How long a join waits, once Terraform has asked the provider to stop, for a check that has not
# finished: the check's own requests watch the cancel event and end within a fraction of this.
STOP_GRACE_SECONDS = 2.0
_POLL_SECONDS = 0.1

FAILED_SUMMARY = "Provider configuration failed"
FAILED_DETAIL = (
    "This operation needs the configured provider, and the check of the provider's configuration "
    "failed: its error is reported once, for the first operation that needed the provider. Fix the "
    "provider configuration and run again."
)
STOPPED_SUMMARY = "Provider stopped"
STOPPED_DETAIL = (
    "Terraform asked the provider to stop before the check of its configuration finished, so this "
    "operation was not carried out."
)


class Task(Generic[T]):
    """`fn()` started now in a daemon thread; `result()` is its value or its exception."""

    def __init__(self, fn: Callable[[], T], name: str = "background") -> None:
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        context = contextvars.copy_context()
        threading.Thread(target=context.run, args=(self._run, fn), name=name, daemon=True).start()

    def _run(self, fn: Callable[[], T]) -> None:
        try:
            self._value = fn()
        except BaseException as exc:  # handed to result(), in the caller's thread
            self._error = exc
        finally:
            self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def result(self) -> T:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set when no error


def _path_text(path: Path) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, str):
            out += f".{step}" if out else step
        else:
            out += f'["{step.key}"]'
    return out


def _for_another_rpc(d: Diagnostic) -> Diagnostic:
    """A diagnostic of the provider block, reported on a resource's RPC. Terraform resolves an
    attribute path against the configuration of the RPC's own resource, so the path would point
    at the wrong block: it is named in the detail instead."""
    if not d.path:
        return d
    where = f"(In the provider configuration: {_path_text(d.path)}.)"
    return Diagnostic(d.severity, d.summary, f"{d.detail}\n\n{where}" if d.detail else where, None)


class ConfigureCheck:
    """A provider configuration check running in the background, and its outcome for the RPCs
    that need the configured provider.

    `check(diags)` adds its findings to `diags`; an exception it raises becomes an error through
    `on_exception(diags, what, exc)` (the servicer's: a readable diagnostic, never a traceback
    unless debugging). The first RPC that joins gets every diagnostic the check made; if the
    check failed, every later one gets a short error that points to that one, so a plan of many
    resources fails everywhere but shows the reason once. Thread-safe: RPCs join concurrently.
    """

    def __init__(
        self,
        check: Callable[[Diagnostics], None],
        cancelled: threading.Event,
        on_exception: Callable[[Diagnostics, str, BaseException], None],
    ) -> None:
        self._cancelled = cancelled
        self._lock = threading.Lock()
        self._reported = False

        def run() -> Diagnostics:
            diags = Diagnostics()
            try:
                check(diags)
            except Exception as exc:
                on_exception(diags, "checking the provider configuration", exc)
            return diags

        self._task: Task[Diagnostics] = Task(run, name="configure-check")

    def done(self) -> bool:
        return self._task.done()

    def join(self) -> Diagnostics:
        """Wait for the check; what this RPC must report. The RPC must fail (answer with these
        diagnostics alone, none of its own) when they hold an error."""
        if not self._wait():
            out = Diagnostics()
            out.error(STOPPED_SUMMARY, STOPPED_DETAIL)
            return out
        found = self._task.result()  # never raises: run() catches what check() raises
        with self._lock:
            first = not self._reported
            self._reported = True
        if first:
            return Diagnostics(_for_another_rpc(d) for d in found)
        out = Diagnostics()
        if found.has_errors:
            out.error(FAILED_SUMMARY, FAILED_DETAIL)
        return out

    def _wait(self) -> bool:
        """False when the provider is stopping and the check did not finish within the grace."""
        while not self._task.wait(_POLL_SECONDS):
            if self._cancelled.is_set():
                return self._task.wait(STOP_GRACE_SECONDS)
        return True
