"""SparkPost's error bodies, whatever their shape (reference section 1.5: ``errors`` as a list,
one object, a field -> messages map, a bare top-level object), and bodies that are not JSON at
all (proxy HTML pages, empty bodies, huge bodies), turned into one typed exception from
``errors`` with the same fields. Stdlib only, like ``errors``: the plugin layer imports it at
start-up through the client."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from .errors import (
    MAX_ERROR_ENTRIES,
    MAX_EXCERPT_CHARS,
    MAX_PARSE_CHARS,
    SparkPostError,
    as_opt_str,
    clip,
    ensure_period,
    error_class_for_status,
)

__all__ = ["parse_error_response"]


_TAG_RE = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def _text_excerpt(body: str, content_type: str | None) -> str:
    """A readable, bounded excerpt of a non-JSON body (HTML tags stripped)."""
    text = body
    looks_html = "html" in (content_type or "").lower() or text.lstrip()[:1] == "<"
    if looks_html:
        text = html.unescape(_TAG_RE.sub(" ", text))
    return clip(text, MAX_EXCERPT_CHARS)


def _entry(raw: Any) -> dict[str, Any] | None:
    """Normalise one element of ``errors`` into {message, description, code, param, value}."""
    if isinstance(raw, str):
        return {"message": clip(raw)} if raw.strip() else None
    if not isinstance(raw, dict):
        text = as_opt_str(raw)
        return {"message": text} if text else None
    entry: dict[str, Any] = {}
    message = as_opt_str(raw.get("message")) or as_opt_str(raw.get("error"))
    description = as_opt_str(raw.get("description"))
    if message:
        entry["message"] = message
    if description:
        entry["description"] = description
    code = as_opt_str(raw.get("code"))
    if code:
        entry["code"] = code
    param = as_opt_str(raw.get("param"))
    if param:
        entry["param"] = param
    if "value" in raw:
        entry["value"] = as_opt_str(raw.get("value"))
    # Extra fields (template "part"/"line", data-privacy "recipient", webhook "response"):
    # kept, bounded, for whoever wants them.
    for key, value in raw.items():
        if key not in ("message", "error", "description", "code", "param", "value") and \
                len(entry) < 12:
            entry[str(key)[:50]] = as_opt_str(value)
    if "message" not in entry:
        if description:
            entry["message"] = description
            del entry["description"]
        else:
            # e.g. {"field": "name", "reason": "too long"}: say something useful anyway
            fields = ", ".join(f"{k}={v}" for k, v in entry.items() if v)
            if not fields:
                return None
            entry["message"] = clip(fields)
    return entry


def _entries_from_json(doc: Any) -> list[dict[str, Any]]:
    """Every shape seen in the wild, reduced to a list of entries (possibly empty)."""
    if isinstance(doc, dict):
        errors = doc.get("errors", doc.get("error"))
        if isinstance(errors, list):
            raw_items: list[Any] = errors
        elif isinstance(errors, dict):
            if any(k in errors for k in ("message", "description", "code")):
                raw_items = [errors]  # a single error object instead of a list
            else:
                # {"errors": {"name": ["is too long"], "ip_pool": "bad"}}: field -> messages
                raw_items = []
                for field, value in errors.items():
                    values = value if isinstance(value, list) else [value]
                    for v in values:
                        msg = as_opt_str(v.get("message") if isinstance(v, dict) else v)
                        raw_items.append({"message": f"{field}: {msg}" if msg else str(field),
                                          "param": field})
        elif errors is not None:
            raw_items = [errors]
        elif any(k in doc for k in ("message", "description", "code")):
            raw_items = [doc]  # a bare top-level error object
        else:
            raw_items = []
    elif isinstance(doc, list):
        raw_items = doc
    elif isinstance(doc, str):
        raw_items = [doc]
    else:
        raw_items = []
    entries = []
    for raw in raw_items[:MAX_ERROR_ENTRIES]:
        entry = _entry(raw)
        if entry:
            entries.append(entry)
    return entries


def parse_error_response(
    status: int,
    body: str,
    content_type: str | None = None,
    *,
    method: str,
    path: str,
    reason: str | None = None,
    retry_after: float | None = None,
) -> SparkPostError:
    """Build the typed exception for a non-2xx response, whatever its body looks like."""
    cls = error_class_for_status(status)
    entries: list[dict[str, Any]] = []
    excerpt: str | None = None
    stripped = body.strip()
    is_json = False
    if stripped:
        parsed: Any = None
        if len(stripped) <= MAX_PARSE_CHARS:
            try:
                parsed = json.loads(stripped)
                is_json = True
            except (ValueError, RecursionError):  # RecursionError: nested too deeply
                is_json = False
        if is_json:
            entries = _entries_from_json(parsed)
            if not entries:
                excerpt = clip(stripped, MAX_EXCERPT_CHARS)
        else:
            excerpt = _text_excerpt(stripped, content_type)

    if entries:
        first = entries[0]
        message = first["message"]
        kwargs: dict[str, Any] = {
            "code": first.get("code"),
            "description": first.get("description"),
            "param": first.get("param"),
        }
    else:
        phrase = reason or _DEFAULT_REASONS.get(status) or "error"
        if excerpt:
            if is_json:
                kind = "Unrecognised JSON"
            elif len(stripped) > MAX_PARSE_CHARS:
                kind = "Oversized"
            else:
                kind = "Non-JSON"
            ctype = f" ({content_type.split(';')[0].strip()})" if content_type else ""
            message = ensure_period(phrase)
            description: str | None = f"{kind} response body{ctype}: {excerpt}"
        else:
            message = ensure_period(phrase)
            description = "Empty response body" if not stripped else None
        kwargs = {"code": None, "description": description, "param": None}
        entries = []
    return cls(message, method=method, path=path, status=status, errors=entries,
               body_excerpt=excerpt, retry_after=retry_after, **kwargs)


# Used when a response has no usable body; SparkPost's own wording where it has one.
_DEFAULT_REASONS: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    420: "Sending limit exceeded",
    422: "Unprocessable Entity",
    429: "Too many requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
