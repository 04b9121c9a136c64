"""One typed exception hierarchy for everything that can go wrong talking to SparkPost.

The resources above the client catch these classes (``NotFound`` on read means "gone",
``Conflict`` on create means "already exists", ...) and never look at HTTP bodies.

This module is imported by the plugin layer at start-up (to name the exception types), so it
must stay light: stdlib only, and no ``requests`` (reference: "nothing heavy at import time").

SparkPost's error bodies come in several shapes (reference section 1.5); ``parse_error_response``
(in ``error_bodies``) turns every one of them, and bodies that are not JSON at all (proxy HTML
pages, empty bodies, huge bodies), into one exception with the same fields.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

__all__ = [
    "SparkPostError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "Unprocessable",
    "RateLimited",
    "ServerError",
    "TransportError",
    "Cancelled",
    "InvalidResponse",
    "DkimRejected",
    "WebhookTestFailed",
    "error_class_for_status",
]

# What we keep from a server body is bounded: an error from a misbehaving proxy could be megabytes
# of HTML, and error text ends up in Terraform diagnostics and logs.
MAX_FIELD_CHARS = 300
MAX_EXCERPT_CHARS = 300
MAX_ERROR_ENTRIES = 20
# Bodies larger than this are not parsed as JSON (SparkPost's own errors are tiny; this only
# bounds the work spent on a runaway body).
MAX_PARSE_CHARS = 4 * 1024 * 1024
# How many error entries str(err) mentions (validation errors can list several fields).
MAX_ENTRIES_IN_MESSAGE = 3

_REDACTED = "[REDACTED]"


def clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    text = " ".join(text.split())  # collapse newlines/tabs: diagnostics are one-liners
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def as_opt_str(value: Any) -> str | None:
    """SparkPost sends ``code`` as a string ("1600") but also as an int (webhooks: 400)."""
    if value is None:
        return None
    if isinstance(value, bool):  # bool is an int subclass; a boolean code is nonsense, keep text
        return str(value).lower()
    if isinstance(value, (str, int, float)):
        text = clip(str(value))
        return text or None
    # Nested objects (e.g. webhooks' "response") are not a message; keep a compact JSON excerpt.
    try:
        return clip(json.dumps(value, sort_keys=True, default=str))
    except (TypeError, ValueError):
        return clip(repr(value))


def ensure_period(text: str) -> str:
    text = text.rstrip()
    if not text or text[-1] in ".!?…":
        return text
    return text + "."


_E = TypeVar("_E", bound="SparkPostError")


class SparkPostError(Exception):
    """Any failure of a SparkPost API call.

    Attributes (all safe to show: the API key is scrubbed from every text field):
      status       HTTP status, or None when no response was received.
      code         SparkPost's extended error code as a string ("1602"), if any.
      message      the first error's message (always non-empty).
      description  the first error's description, if any.
      param        the offending parameter for validation-style errors, if any.
      method/path  the request, path relative to the API base (``/subaccounts/7``), no query.
      errors       every error entry parsed from the body (dicts with message/description/
                   code/param/value), at most MAX_ERROR_ENTRIES.
      retry_after  seconds from a ``Retry-After`` header, if the server sent one.
      attempts     how many HTTP attempts were made before this error surfaced.
    """

    # Used in the "gave up ..." sentence, e.g. "rate limited (429)".
    kind_label: str = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        description: str | None = None,
        param: str | None = None,
        method: str = "",
        path: str = "",
        errors: list[dict[str, Any]] | None = None,
        body_excerpt: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message or "unknown error"
        self.description = description
        self.param = param
        self.method = method.upper()
        self.path = path
        self.errors: list[dict[str, Any]] = errors if errors is not None else []
        self.body_excerpt = body_excerpt
        self.retry_after = retry_after
        self.attempts = 1
        # Set by the retry loop when it stopped retrying ("gave up after 9 attempts over 120.3 s").
        self.gave_up: str | None = None
        # An extra sentence for the operator, e.g. why a POST was not retried.
        self.hint: str | None = None
        super().__init__(self._render())

    # -- rendering -------------------------------------------------------------------------
    def _detail(self) -> str:
        """The part after the colon: what SparkPost said, at most a few entries."""
        entries = self.errors or [
            {"message": self.message, "description": self.description, "param": self.param,
             "code": self.code}
        ]
        parts = [_describe_entry(e) for e in entries[:MAX_ENTRIES_IN_MESSAGE]]
        text = "; ".join(p for p in parts if p) or self.message
        extra = len(entries) - MAX_ENTRIES_IN_MESSAGE
        if extra > 0:
            text += f" (and {extra} more)"
        return text

    def _headline(self) -> str:
        if self.status is not None:
            return f"SparkPost API error {self.status} on {self.method} {self.path}"
        return f"SparkPost API request {self.method} {self.path} failed"

    def _render(self) -> str:
        detail = self._detail()
        if self.gave_up:
            label = self.kind_label
            if self.status is not None and isinstance(self, (RateLimited, ServerError)):
                label = f"{label} ({self.status})"
            detail = f"{self.gave_up}: {label}: {detail}"
        text = ensure_period(f"{self._headline()}: {detail}")
        if self.hint:
            text += " " + ensure_period(self.hint)
        return text

    def _refresh(self) -> None:
        """Recompute the exception text after the retry loop or redaction changed fields."""
        self.args = (self._render(),)

    def __str__(self) -> str:
        return self._render()

    # -- mutation by the client/retry layer ------------------------------------------------
    def mark_gave_up(self, attempts: int, elapsed: float, why: str | None = None) -> None:
        self.attempts = attempts
        text = f"gave up after {attempts} attempt{'s' if attempts != 1 else ''} over {elapsed:.1f} s"
        if why:
            text += f" ({why})"
        self.gave_up = text
        self._refresh()

    def add_hint(self, hint: str) -> None:
        self.hint = hint if not self.hint else f"{self.hint} {hint}"
        self._refresh()

    def redact(self: _E, secret: str | None) -> _E:
        """Scrub ``secret`` (the API key) from every text field, in place, in every form a
        server could echo it (verbatim, base64, percent-encoded, hex, JSON- or HTML-escaped;
        see ``tfplugin.redact.encoded_forms``).

        A proxy page or a buggy endpoint could echo request headers back; the key must never
        reach a diagnostic, a log line or a test snapshot.
        """
        if not secret:
            return self
        from ..tfplugin.redact import pattern_for  # stdlib only, like this module

        pattern = pattern_for([secret])
        if pattern is None:
            return self

        def scrub(value: Any) -> Any:
            if isinstance(value, str):
                return pattern.sub(_REDACTED, value)
            if isinstance(value, dict):
                return {k: scrub(v) for k, v in value.items()}
            if isinstance(value, list):
                return [scrub(v) for v in value]
            return value

        for attr in ("message", "description", "param", "code", "path", "body_excerpt", "hint",
                     "gave_up"):
            setattr(self, attr, scrub(getattr(self, attr)))
        self.errors = scrub(self.errors)
        self._refresh()
        return self


def _describe_entry(entry: dict[str, Any]) -> str:
    message = entry.get("message") or ""
    description = entry.get("description")
    text = message
    if description and description != message:
        text = f"{ensure_period(message)} {description}" if message else description
    extras = []
    if entry.get("param"):
        extras.append(f"param {entry['param']}")
    if entry.get("code"):
        extras.append(f"code {entry['code']}")
    if extras:
        text = f"{text.rstrip('.')} ({', '.join(extras)})" if text else ", ".join(extras)
    return text


class BadRequest(SparkPostError):
    kind_label = "bad request"


class Unauthorized(SparkPostError):
    kind_label = "unauthorized"


class Forbidden(SparkPostError):
    kind_label = "forbidden"


class NotFound(SparkPostError):
    kind_label = "not found"


class Conflict(SparkPostError):
    kind_label = "conflict"


class Unprocessable(SparkPostError):
    kind_label = "unprocessable"


class RateLimited(SparkPostError):
    kind_label = "rate limited"


class ServerError(SparkPostError):
    kind_label = "server error"


class TransportError(SparkPostError):
    """No HTTP response: DNS, connect, TLS, reset or timeout.

    ``request_sent`` tells the retry layer whether SparkPost may have received (and acted on)
    the request: False only for failures before the request left (connect refused, DNS, connect
    timeout), which makes even a POST safe to retry. ``retryable`` is False for faults that
    retrying cannot fix (TLS certificate errors, invalid URLs).
    """

    kind_label = "connection error"

    def __init__(self, message: str, *, request_sent: bool, retryable: bool = True,
                 method: str = "", path: str = "") -> None:
        self.request_sent = request_sent
        self.retryable = retryable
        # Set by the retry loop when base_url was never reached (refused, DNS, connect timeout)
        # within the short budget for that: the client then stops trying for a while.
        self.unreachable = False
        super().__init__(message, method=method, path=path)


class Cancelled(SparkPostError):
    """The client's cancel_event was set (Terraform sent StopProvider)."""

    kind_label = "cancelled"

    def _headline(self) -> str:
        return f"SparkPost API request {self.method} {self.path} cancelled"


class InvalidResponse(SparkPostError):
    """A success status whose body is not what the endpoint documents (not JSON, no results)."""

    kind_label = "invalid response"

    def _headline(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        return f"SparkPost API returned an unexpected response{status} on {self.method} {self.path}"


class DkimRejected(SparkPostError):
    """SparkPost refused a DKIM key we sent (400/422 naming the key, or code 1404): its TXT
    record is not in DNS yet, or the pair is not one SparkPost accepts."""

    kind_label = "DKIM key rejected"

    @classmethod
    def from_error(cls, err: SparkPostError) -> "DkimRejected":
        new = cls.__new__(cls)
        new.__dict__.update(err.__dict__)
        new._refresh()
        return new


_STATUS_CLASSES: dict[int, type[SparkPostError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
    429: RateLimited,
}


def error_class_for_status(status: int) -> type[SparkPostError]:
    """Other statuses (405, 413, 415, 420, ...) stay plain ``SparkPostError``."""
    if 500 <= status <= 599:
        return ServerError
    return _STATUS_CLASSES.get(status, SparkPostError)


class WebhookTestFailed(BadRequest):
    """SparkPost refused a webhook because its test batch (or the OAuth2 token request before
    it) did not get an HTTP 200 from the target (webhooks.apib, "Create a Webhook").

    ``target_status`` is the status the target answered (0 or None: no answer at all);
    ``token_request`` is true when the OAuth2 token URL, not the target, failed."""

    kind_label = "webhook target test failed"
    target_status: int | None = None
    token_request: bool = False

    @classmethod
    def from_error(cls, err: SparkPostError) -> "WebhookTestFailed | None":
        entry = next((e for e in err.errors if e.get("response")), None)
        if entry is None:
            return None
        new = cls.__new__(cls)
        new.__dict__.update(err.__dict__)
        found = re.search(r'"status":\s*(\d+)', str(entry.get("response")))
        new.target_status = int(found.group(1)) if found else None
        new.token_request = "token" in str(entry.get("message", "")).lower()
        new._refresh()
        return new
