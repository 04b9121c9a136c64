"""A failed ``requests`` exchange as a ``TransportError``: whether SparkPost may have received the
request (which decides whether a non-idempotent call may be retried), whether retrying can help,
and the useful tail of the library's text."""

from __future__ import annotations

from requests import exceptions as rexc

from .errors import TransportError


def short_reason(exc: BaseException) -> str:
    """The useful tail of a requests/urllib3 exception text ("[Errno 111] Connection refused")."""
    inner: BaseException | None = exc
    # requests wraps urllib3's MaxRetryError, which wraps the real cause in .reason
    while inner is not None:
        reason = getattr(inner, "reason", None)
        if isinstance(reason, BaseException):
            inner = reason
            continue
        if inner.args and isinstance(inner.args[0], BaseException):
            inner = inner.args[0]
            continue
        break
    text = str(inner) if inner is not None else str(exc)
    for marker in ("Failed to establish a new connection: ", "Caused by "):
        if marker in text:
            text = text.split(marker, 1)[1]
    if text.startswith(("HTTPConnection", "HTTPSConnection")) and "): " in text:
        text = text.split("): ", 1)[1]
    text = " ".join(text.split())
    return text[:200] or type(exc).__name__


def transport_error(exc: rexc.RequestException, method: str, path: str,
                     read_timeout: float) -> TransportError:
    """Classify a requests failure: was the request possibly received by SparkPost?"""
    reason = short_reason(exc)
    sent = True
    retryable = True
    label = "connection error"
    if isinstance(exc, rexc.ConnectTimeout):
        sent, label = False, "connect timeout"
        text = f"timed out connecting to SparkPost ({reason})"
    elif isinstance(exc, rexc.SSLError):
        sent, retryable, label = False, False, "TLS error"
        text = f"TLS error talking to SparkPost: {reason}"
    elif isinstance(exc, rexc.ProxyError):
        sent = False
        text = f"could not connect through the HTTP proxy: {reason}"
    elif isinstance(exc, rexc.ConnectionError):
        from urllib3.exceptions import ConnectTimeoutError, MaxRetryError  # requests' own dep

        cause = exc.args[0] if exc.args else None
        if isinstance(cause, MaxRetryError) and isinstance(cause.reason, ConnectTimeoutError):
            # NewConnectionError (refused, DNS) subclasses ConnectTimeoutError in urllib3 2.
            sent = False
            text = f"could not connect to SparkPost: {reason}"
        else:
            text = f"connection lost before a response arrived: {reason}"
    elif isinstance(exc, rexc.ReadTimeout):
        label = "read timeout"
        text = f"no response within {read_timeout:g} s (read timeout)"
    elif isinstance(exc, (rexc.InvalidURL, rexc.InvalidHeader, rexc.MissingSchema,
                          rexc.InvalidSchema, rexc.URLRequired)):
        sent, retryable, label = False, False, "invalid request"
        text = f"invalid request: {reason}"
    else:  # ChunkedEncodingError, ContentDecodingError, ...: the response broke mid-way
        text = f"response interrupted: {reason}"
    err = TransportError(text, request_sent=sent, retryable=retryable, method=method, path=path)
    err.kind_label = label
    return err
