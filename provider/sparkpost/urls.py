"""The parts of a SparkPost request that come from its arguments: the base URL, percent-encoded
path segments, query values, the ``X-MSYS-SUBACCOUNT`` value, the ``Authorization`` header (an
auth object whose repr never shows the key), and headers safe to log."""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase

API_PREFIX = "/api/v1"
_SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def redact_headers(headers: Mapping[str, str | bytes]) -> dict[str, str | bytes]:
    """Headers safe to log: credentials replaced by a marker."""
    return {k: ("[REDACTED]" if k.lower() in _SENSITIVE_HEADERS else v) for k, v in headers.items()}


class KeyAuth(AuthBase):
    """Sets ``Authorization: <raw key>`` (SparkPost uses no "Bearer" prefix).

    Being a requests auth object (rather than a session header) also stops requests from
    replacing the header with credentials from ~/.netrc, and its repr never shows the key.
    """

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = self._key
        return r

    def __repr__(self) -> str:
        return "<SparkPost API key [REDACTED]>"


def normalise_base_url(base_url: str) -> str:
    """Accept ``https://host``, ``https://host/``, ``https://host/api/v1[/]`` (or a proxy path).

    No path means the public API layout, so ``/api/v1`` is appended; any other path is used as
    given (minus the trailing slash), which also lets a reverse proxy prefix work.
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"base_url must be an absolute http(s) URL such as "
            f"'https://api.sparkpost.com/api/v1', got {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"base_url must not contain a query or fragment: {base_url!r}")
    if "@" in parts.netloc:
        # Credentials in the URL would end up in logs and error texts.
        raise ValueError("base_url must not contain credentials; use the api_key argument")
    path = parts.path.rstrip("/")
    if not path:
        path = API_PREFIX
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def subaccount_header(subaccount: int | None) -> str | None:
    """The X-MSYS-SUBACCOUNT header value; SparkPost requires a number there."""
    if subaccount is None:
        return None
    if isinstance(subaccount, bool) or not isinstance(subaccount, int) or subaccount < 0:
        raise ValueError(f"subaccount must be a non-negative integer or None, got {subaccount!r}")
    return str(subaccount)


def segment(value: str | int, what: str) -> str:
    """One URL path segment, percent-encoded (a domain or id can never change the route)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a string or integer, got {value!r}")
    text = str(value)
    if not text or text.strip() != text or text in (".", ".."):
        raise ValueError(f"invalid {what}: {value!r}")
    return quote(text, safe="")


def query_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Query values as SparkPost expects them: booleans lower-case, lists comma-joined."""
    if not params:
        return None
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple, set, frozenset)):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out or None
