"""The SparkPost REST client: the one place in the provider that speaks HTTP.

It alone knows the base URLs, the headers (``Authorization``, ``User-Agent``,
``X-MSYS-SUBACCOUNT``), timeouts, retries (``retry.py``), pagination, error shapes
(``errors.py``) and response shapes (``models.py``). Resources above it call typed methods, get
typed models and catch typed exceptions.

Importing this module imports ``requests``; the plugin layer therefore imports it lazily
(``provider.sparkpost.SparkPostClient`` resolves on first use).
"""

from __future__ import annotations

import json as jsonlib
import logging
import random
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping, Sequence, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests import exceptions as rexc
from requests.auth import AuthBase

from ..version import VERSION
from .deliverability import CHECK_METRICS, SubaccountCounts
from .errors import (
    BadRequest,
    Cancelled,
    DkimRejected,
    Forbidden,
    InvalidResponse,
    SparkPostError,
    TransportError,
    Unauthorized,
    Unprocessable,
    WebhookTestFailed,
    parse_error_response,
)
from .models import (
    Account,
    ApiKey,
    CreatedApiKey,
    CreatedSubaccount,
    DkimKey,
    Fields,
    InitialKey,
    CreatedWebhook,
    IpPool,
    SendingDomain,
    Webhook,
    WebhookAuth,
    Subaccount,
    Verification,
    Where,
    parse_list,
)
from .retry import IDEMPOTENT_METHODS, RetryPolicy, call_with_retries, parse_retry_after
from .transport import (
    MAX_RESPONSE_BYTES,
    DeadlineExceeded,
    Exchange,
    ResponseTooLarge,
    Watchdog,
    bounded_exchange,
    make_session,
)

__all__ = ["SparkPostClient", "REGION_BASE_URLS", "DEFAULT_USER_AGENT"]

log = logging.getLogger("provider.sparkpost")
T = TypeVar("T")

REGION_BASE_URLS: dict[str, str] = {
    "us": "https://api.sparkpost.com/api/v1",
    "eu": "https://api.eu.sparkpost.com/api/v1",
}
API_PREFIX = "/api/v1"
DEFAULT_USER_AGENT = f"terraform-provider-sparkpost/{VERSION}"

# A dead host should fail fast (and be retried); a slow SparkPost response may legitimately
# take longer, so only the connect phase is capped below the read timeout.
CONNECT_TIMEOUT_CAP = 10.0
# Subaccount lists are fetched 100 at a time (the documented maximum); the page cap only
# guards against a server that keeps returning links.next forever.
SUBACCOUNT_PAGE_SIZE = 100
MAX_PAGES = 10_000
# The Metrics API answers at most `limit` rows (1..10000, metrics.apib) and has no cursor;
# subaccount ids go in batches small enough to keep the URL short.
METRICS_LIMIT = 10_000
METRICS_ID_BATCH = 200
DATA_PRIVACY_KINDS = ("rtbf", "opt-out")
DATA_PRIVACY_MAX_RECIPIENTS = 1000  # data-privacy.apib: "Array of email addresses (max 1000)"
READ_TIMEOUT_SLACK = 1.0
# After base_url could not be reached, how long later calls fail at once without trying.
UNREACHABLE_MEMORY_SECONDS = 30.0
# How often a request waiting for SparkPost's answer checks the cancel event (StopProvider).
CANCEL_POLL_SECONDS = 0.1

_SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def _redact_headers(headers: Mapping[str, str | bytes]) -> dict[str, str | bytes]:
    """Headers safe to log: credentials replaced by a marker."""
    return {k: ("[REDACTED]" if k.lower() in _SENSITIVE_HEADERS else v) for k, v in headers.items()}


class _KeyAuth(AuthBase):
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


def _normalise_base_url(base_url: str) -> str:
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


def _check_subaccount(subaccount: int | None) -> str | None:
    """The X-MSYS-SUBACCOUNT header value; SparkPost requires a number there."""
    if subaccount is None:
        return None
    if isinstance(subaccount, bool) or not isinstance(subaccount, int) or subaccount < 0:
        raise ValueError(f"subaccount must be a non-negative integer or None, got {subaccount!r}")
    return str(subaccount)


def _segment(value: str | int, what: str) -> str:
    """One URL path segment, percent-encoded (a domain or id can never change the route)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a string or integer, got {value!r}")
    text = str(value)
    if not text or text.strip() != text or text in (".", ".."):
        raise ValueError(f"invalid {what}: {value!r}")
    return quote(text, safe="")


def _query_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
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


def _short_reason(exc: BaseException) -> str:
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


def _transport_error(exc: rexc.RequestException, method: str, path: str,
                     read_timeout: float) -> TransportError:
    """Classify a requests failure: was the request possibly received by SparkPost?"""
    reason = _short_reason(exc)
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


class SparkPostClient:
    """A thread-safe client for SparkPost's REST API (one per configured provider).

    Every attempt has a connect timeout and a deadline for the whole exchange (``timeout``),
    its body is capped (``max_response_bytes``), it is retried per ``retry.py`` within
    ``retry_deadline`` seconds and ``max_retries`` retries, and aborts with ``Cancelled`` when
    ``cancel_event`` is set. ``subaccount`` arguments become ``X-MSYS-SUBACCOUNT``.

    ``user_agent``, if given, is appended after ``terraform-provider-sparkpost/VERSION`` (for
    example ``Terraform/1.9.5``), so SparkPost always sees who is calling.
    """

    def __init__(
        self,
        api_key: str,
        *,
        region: str = "us",
        base_url: str | None = None,
        timeout: float = 30.0,
        retry_deadline: float = 120.0,
        max_retries: int = 8,
        user_agent: str | None = None,
        cancel_event: threading.Event | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("api_key must be a non-empty string")
        key = api_key.strip()  # keys read from files or secrets often end with a newline
        if any(ch.isspace() or ord(ch) < 32 for ch in key):
            # Never echo the key: say what is wrong with it only.
            raise ValueError("api_key contains whitespace or control characters")
        if region not in REGION_BASE_URLS:
            raise ValueError(f"region must be one of {sorted(REGION_BASE_URLS)}, got {region!r}")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if retry_deadline < 0 or max_retries < 0:
            raise ValueError("retry_deadline and max_retries must not be negative")

        self._api_key = key
        self.region = region
        self.base_url = _normalise_base_url(base_url) if base_url else REGION_BASE_URLS[region]
        self.timeout = float(timeout)
        self.user_agent = DEFAULT_USER_AGENT + (f" {user_agent.strip()}" if user_agent else "")
        self.cancel_event = cancel_event or threading.Event()
        # Public so tests (and a future provider option) can tune the backoff.
        self.retry_policy = RetryPolicy(max_retries=max_retries, deadline=float(retry_deadline))
        self._rng = random.Random()

        base = urlsplit(self.base_url)
        self._origin = (base.scheme, base.netloc)
        self._base_path = base.path

        # Bounds of one attempt (transport.py): the whole exchange within ``timeout`` seconds,
        # the body within ``max_response_bytes``.
        self.max_response_bytes = MAX_RESPONSE_BYTES
        self._watchdog = Watchdog()
        # Set when an attempt to reach base_url gave up without ever connecting: later calls
        # fail at once for UNREACHABLE_MEMORY_SECONDS instead of each paying the retries again.
        self._unreachable: tuple[float, TransportError] | None = None
        self._unreachable_lock = threading.Lock()

        session = make_session(self.base_url)
        session.auth = _KeyAuth(key)
        session.headers.update({"User-Agent": self.user_agent, "Accept": "application/json"})
        self._session = session

    # -- lifecycle -----------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"SparkPostClient(base_url={self.base_url!r}, region={self.region!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "SparkPostClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _timeouts(self) -> tuple[float, float]:
        # The whole-exchange deadline (transport.py) is ``timeout``; the per-read timeout is a
        # little longer so that the deadline, with its clearer message, is what ends a slow answer.
        return (min(self.timeout, CONNECT_TIMEOUT_CAP), self.timeout + READ_TIMEOUT_SLACK)

    # -- the one HTTP path ---------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        subaccount: int | None = None,
        idempotent: bool | None = None,
        idempotency_check: Callable[[], Any] | None = None,
    ) -> Any:
        """Call ``path`` (relative to the API base, e.g. ``/subaccounts/7``); return ``results``.

        Returns None for 204 No Content. ``idempotent`` overrides the method's default (POSTs
        are not idempotent); ``idempotency_check`` is described in ``retry.py``.
        """
        return self._call(method, path, json=json, params=params, subaccount=subaccount,
                          idempotent=idempotent, idempotency_check=idempotency_check)

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        subaccount: int | None = None,
        url: str | None = None,
        expect: tuple[type, ...] = (dict, list),
        envelope: bool = False,
        lenient: bool = False,
        idempotent: bool | None = None,
        idempotency_check: Callable[[], Any] | None = None,
        auth_key: str | None = None,
    ) -> Any:
        method = method.upper()
        if url is None:
            if not isinstance(path, str) or not path.startswith("/") or "//" in path \
                    or "://" in path:
                # Absolute URLs would let a caller send the key to another host.
                raise ValueError(f"path must be relative to the API base, like '/subaccounts': "
                                 f"{path!r}")
            url = self.base_url + path
        headers: dict[str, str] = {}
        sub = _check_subaccount(subaccount)
        if sub is not None:
            headers["X-MSYS-SUBACCOUNT"] = sub
        body: bytes | None = None
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        query = _query_params(params)
        err_path = path.split("?", 1)[0]
        abandonable = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS

        def attempt() -> Any:
            return self._attempt(method, url, err_path, headers, query, body,
                                 expect=expect, envelope=envelope, lenient=lenient,
                                 abandonable=abandonable, auth_key=auth_key)

        self._fail_if_unreachable(method, err_path)
        try:
            return call_with_retries(
                attempt, policy=self.retry_policy, method=method, path=err_path,
                idempotent=idempotent, idempotency_check=idempotency_check,
                cancel_event=self.cancel_event, rng=self._rng)
        except SparkPostError as err:
            if isinstance(err, TransportError) and err.unreachable:
                with self._unreachable_lock:
                    self._unreachable = (time.monotonic(), err)
            raise err.redact(auth_key).redact(self._api_key) if auth_key else err.redact(self._api_key) from err.__cause__

    def _fail_if_unreachable(self, method: str, path: str) -> None:
        """Fail at once while base_url is known to be unreachable (see ``retry.py``)."""
        with self._unreachable_lock:
            latched = self._unreachable
            if latched and time.monotonic() - latched[0] >= UNREACHABLE_MEMORY_SECONDS:
                self._unreachable = latched = None
        if latched is None:
            return
        ago = time.monotonic() - latched[0]
        raise TransportError(
            f"not sent: {self.base_url} could not be reached {ago:.0f} s ago "
            f"({latched[1].message}); requests fail at once for {UNREACHABLE_MEMORY_SECONDS:g} s "
            "after that instead of each retrying", request_sent=False, retryable=False,
            method=method, path=path).redact(self._api_key)

    def _attempt(self, method: str, url: str, path: str, headers: dict[str, str],
                 query: dict[str, str] | None, body: bytes | None, *, expect: tuple[type, ...],
                 envelope: bool, lenient: bool, abandonable: bool = False,
                 auth_key: str | None = None) -> Any:
        """One HTTP exchange: the parsed result, or a typed error (redacted) raised."""
        if log.isEnabledFor(logging.DEBUG):
            # The key is added by _KeyAuth later; show that the header is sent, never its value.
            shown = _redact_headers({**self._session.headers, **headers, "Authorization": ""})
            log.debug("SparkPost request %s %s params=%s headers=%s", method, path, query, shown)
        started = time.monotonic()
        exchange = Exchange()

        def send() -> tuple[requests.Response, bytes]:
            return bounded_exchange(
                self._session, self._watchdog, self.timeout, self.max_response_bytes,
                lambda session: session.request(method, url, params=query, data=body, headers=headers,
                                                timeout=self._timeouts, allow_redirects=False,
                                                auth=_KeyAuth(auth_key) if auth_key else None,
                                                stream=True),
                exchange)

        try:
            resp, raw = self._send_abandonable(send, exchange, method, path) if abandonable else send()
        except rexc.RequestException as exc:
            err = _transport_error(exc, method, path, self.timeout)
            log.debug("SparkPost %s %s failed after %.0f ms: %s", method, path,
                      (time.monotonic() - started) * 1000, err.kind_label)
            raise err.redact(self._api_key) from exc
        except DeadlineExceeded:
            log.debug("SparkPost %s %s: no complete response within %g s", method, path, self.timeout)
            err = TransportError(
                f"no complete response within {self.timeout:g} s (request_timeout: the whole "
                "exchange, headers and body, must fit in it)", request_sent=True, method=method, path=path)
            err.kind_label = "deadline"
            raise err from None
        except ResponseTooLarge as exc:
            size = f" (Content-Length {exc.declared})" if exc.declared is not None else ""
            raise InvalidResponse(
                f"the response is larger than {exc.limit // (1024 * 1024)} MiB{size}; stopped reading "
                "(no SparkPost answer is this large)", status=exc.status, method=method, path=path) from None
        status = resp.status_code
        log.debug("SparkPost %s %s -> %d in %.0f ms", method, path, status,
                  (time.monotonic() - started) * 1000)
        text = raw.decode(resp.encoding or "utf-8", errors="replace") if raw else ""

        if not 200 <= status < 300:
            api_err = parse_error_response(
                status, text, resp.headers.get("Content-Type"), method=method, path=path,
                reason=resp.reason or None,
                retry_after=parse_retry_after(resp.headers.get("Retry-After")))
            raise api_err.redact(self._api_key)
        return self._parse_success(status, text, resp.headers.get("Content-Type"), method,
                                   path, expect=expect, envelope=envelope, lenient=lenient)

    def _send_abandonable(self, send: Callable[[], tuple[requests.Response, bytes]], exchange: Exchange,
                          method: str, path: str) -> tuple[requests.Response, bytes]:
        """``send()`` in a daemon thread, abandoned if the cancel event is set before it returns.

        ``requests`` cannot interrupt a blocking read, so without this a StopProvider (Ctrl-C)
        would wait for a slow answer up to the read timeout. Only idempotent requests are
        abandoned: repeating them later converges. A create (non-idempotent POST) is waited for,
        because abandoning it would leave what SparkPost makes unrecorded in state (an orphan).
        The abandoned thread ends with its request, or with the process.
        """
        box: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                box["response"] = send()
            except BaseException as exc:  # re-raised in the caller's thread
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name="sparkpost-request", daemon=True).start()
        while not done.wait(CANCEL_POLL_SECONDS):
            if self.cancel_event.is_set():
                exchange.expire()  # the abandoned thread ends now, not at the deadline
                log.info("SparkPost %s %s: abandoned in flight, the provider is stopping", method, path)
                raise Cancelled("the provider is stopping; the request was abandoned before SparkPost "
                                "answered", method=method, path=path)
        if "error" in box:
            raise box["error"]
        result: tuple[requests.Response, bytes] = box["response"]
        return result

    def _parse_success(self, status: int, text: str, content_type: str | None, method: str,
                       path: str, *, expect: tuple[type, ...], envelope: bool,
                       lenient: bool) -> Any:
        def invalid(detail: str) -> InvalidResponse:
            return InvalidResponse(detail, status=status, method=method, path=path).redact(
                self._api_key)

        if status == 204 or not text.strip():
            if status == 204 or method == "DELETE" or lenient:
                return None
            raise invalid("the response body is empty; expected a JSON object with 'results'")
        try:
            doc = jsonlib.loads(text)
        except ValueError:
            ctype = (content_type or "no content type").split(";")[0].strip()
            excerpt = " ".join(text[:120].split())
            raise invalid(f"the response body is not JSON ({ctype}): {excerpt!r}") from None
        if not isinstance(doc, dict) or "results" not in doc:
            if lenient and isinstance(doc, dict):
                return doc if envelope else {}
            raise invalid("the JSON response has no 'results' member")
        results = doc["results"]
        if not isinstance(results, expect):
            names = " or ".join("object" if t is dict else "array" for t in expect)
            raise invalid(f"'results' is a {type(results).__name__}, expected an {names}")
        return doc if envelope else results

    # -- pagination ----------------------------------------------------------------------
    def _resolve_next(self, link: str) -> tuple[str, str]:
        """Absolute URL and error path for a ``links.next`` value (usually ``/api/v1/...``)."""
        parts = urlsplit(link)
        if parts.scheme or parts.netloc:
            if (parts.scheme, parts.netloc) != self._origin:
                # Following it would hand the API key to another host.
                raise InvalidResponse(f"links.next points to another host: {parts.netloc!r}",
                                      method="GET", path="/subaccounts")
        path = parts.path
        base = self._base_path
        if not path.startswith("/"):
            path = f"{base}/{path}"
        elif not path.startswith(base + "/"):
            if base.endswith(API_PREFIX) and path.startswith(API_PREFIX + "/"):
                path = base[: -len(API_PREFIX)] + path  # a proxy prefix in base_url
            else:
                path = base + path
        url = urlunsplit((self._origin[0], self._origin[1], path, parts.query, ""))
        return url, path[len(base):]

    @staticmethod
    def _next_link(doc: Mapping[str, Any]) -> str | None:
        links = doc.get("links")
        if isinstance(links, dict):
            nxt = links.get("next")
            return nxt if isinstance(nxt, str) and nxt else None
        if isinstance(links, list):  # older SparkPost style: [{"href": ..., "rel": "next"}]
            for item in links:
                if isinstance(item, dict) and item.get("rel") == "next" and item.get("href"):
                    return str(item["href"])
        return None

    def iter_pages(self, path: str, *, params: Mapping[str, Any] | None = None,
                   subaccount: int | None = None) -> Iterator[tuple[str, list[Any]]]:
        """Yield each page's path and ``results`` list, following ``links.next`` to the end."""
        doc = self._call("GET", path, params=params, subaccount=subaccount, expect=(list,),
                         envelope=True)
        seen: set[str] = set()
        page_path = path
        for _ in range(MAX_PAGES):
            yield page_path, doc["results"]
            nxt = self._next_link(doc)
            if not nxt:
                return
            url, page_path = self._resolve_next(nxt)
            if url in seen:
                raise InvalidResponse("pagination loop: links.next repeats a page",
                                      method="GET", path=path)
            seen.add(url)
            doc = self._call("GET", page_path, url=url, subaccount=subaccount, expect=(list,),
                             envelope=True)
        raise InvalidResponse(f"more than {MAX_PAGES} pages", method="GET", path=path)

    # -- typed calls -----------------------------------------------------------------------
    def _one(self, method: str, path: str, parse: Callable[[Fields], T], **kw: Any) -> T:
        """One call whose ``results`` object becomes a model (shape errors name the field)."""
        try:
            return parse(Fields(self._call(method, path, expect=(dict,), **kw), Where(method, path)))
        except InvalidResponse as err:
            raise err.redact(self._api_key) from None

    def _many(self, path: str, parse: Callable[[Fields], T], **kw: Any) -> list[T]:
        try:
            return parse_list(self._call("GET", path, expect=(list,), **kw), Where("GET", path), parse)
        except InvalidResponse as err:
            raise err.redact(self._api_key) from None

    # -- subaccounts ---------------------------------------------------------------------
    def create_subaccount(
        self,
        name: str,
        *,
        ip_pool: str | None = None,
        initial_key: InitialKey | None = None,
        idempotency_check: Callable[[], dict[str, Any] | None] | None = None,
    ) -> CreatedSubaccount:
        """POST /subaccounts; with ``initial_key``, the subaccount's first key is made with it.

        ``setup_api_key`` is always sent (SparkPost defaults it to true); the ``key_*`` fields
        only with it. Not retried on 5xx/read timeouts (a duplicate subaccount cannot be
        deleted) unless ``idempotency_check`` is given; see ``retry.py``. The check returns
        ``{"subaccount_id": ID}`` for a subaccount the lost request made, or None.
        """
        body: dict[str, Any] = {"name": name, "setup_api_key": initial_key is not None}
        if ip_pool is not None:
            body["ip_pool"] = ip_pool
        if initial_key is not None:
            body["key_label"] = initial_key.label
            body["key_grants"] = list(initial_key.grants)
            if initial_key.valid_ips is not None:
                body["key_valid_ips"] = list(initial_key.valid_ips)
        return self._one("POST", "/subaccounts", CreatedSubaccount.parse, json=body,
                         idempotency_check=idempotency_check)

    def get_subaccount(self, id: int) -> Subaccount:
        return self._one("GET", f"/subaccounts/{_segment(_int_id(id), 'subaccount id')}",
                         Subaccount.parse)

    def iter_subaccounts(self, *, per_page: int = SUBACCOUNT_PAGE_SIZE,
                         name: str | None = None) -> Iterator[Subaccount]:
        """Every subaccount, page by page (``cursor=initial`` switches on pagination).

        ``name`` is SparkPost's filter: a substring match that "may return false positives", so
        callers wanting one name still compare names themselves.
        """
        for page_path, page in self.iter_pages("/subaccounts",
                                               params={"cursor": "initial", "per_page": per_page,
                                                       "name": name}):
            try:
                yield from parse_list(page, Where("GET", page_path), Subaccount.parse)
            except InvalidResponse as err:
                raise err.redact(self._api_key) from None

    def list_subaccounts(self, *, name: str | None = None) -> list[Subaccount]:
        return list(self.iter_subaccounts(name=name))

    def update_subaccount(self, id: int, *, name: str | None = None, status: str | None = None,
                          ip_pool: str | None = None) -> None:
        """PUT /subaccounts/{id} with only the given fields; ``ip_pool=""`` unassigns the pool."""
        body = {k: v for k, v in (("name", name), ("status", status), ("ip_pool", ip_pool))
                if v is not None}
        self._call("PUT", f"/subaccounts/{_segment(_int_id(id), 'subaccount id')}", json=body,
                   expect=(dict,))

    # -- API keys ------------------------------------------------------------------------
    # SparkPost never documented /api-keys (reference section 3). What this client assumes,
    # from SparkPost's own web app and community clients:
    #   * paths: POST/GET /api-keys, GET/PUT/DELETE /api-keys/{id}; ``?grant=`` filters lists;
    #   * ``X-MSYS-SUBACCOUNT`` scopes every call to a subaccount's keys, and a key created with
    #     it belongs to that subaccount permanently;
    #   * the create response has no ``id``: it is the last path segment of
    #     ``results.link.href`` (``/api/v1/api-keys/<id>``); if that is missing we list the keys
    #     and match on ``short_key`` + ``label``;
    #   * PUT's response shape is unknown (any JSON object is accepted);
    #     DELETE answers 204 or an empty 200.
    # Keep these details here; resources see only the methods below.
    def create_api_key(
        self,
        label: str,
        grants: list[str],
        valid_ips: list[str] | None = None,
        *,
        subaccount: int | None = None,
        idempotency_check: Callable[[], dict[str, Any] | None] | None = None,
    ) -> CreatedApiKey:
        """POST /api-keys. The result's ``id`` is None only if SparkPost returned no usable link
        and no unique list match."""
        body: dict[str, Any] = {"label": label, "grants": list(grants)}
        if valid_ips is not None:
            body["valid_ips"] = list(valid_ips)
        created = self._one("POST", "/api-keys", CreatedApiKey.parse, json=body,
                            subaccount=subaccount, idempotency_check=idempotency_check)
        if created.id:
            return created
        key_id = self._find_api_key_id(created.short_key, created.label or label, subaccount)
        return replace(created, id=key_id)

    def _find_api_key_id(self, short_key: str | None, label: str,
                         subaccount: int | None) -> str | None:
        if not short_key:
            return None
        matches = [k for k in self.list_api_keys(subaccount=subaccount)
                   if k.short_key == short_key and k.label == label]
        if len(matches) == 1 and matches[0].id:
            return matches[0].id
        log.warning("SparkPost POST /api-keys: no link.href in the response and %d keys match "
                    "the new key's short_key and label; its id is unknown", len(matches))
        return None

    def get_api_key(self, id: str, *, subaccount: int | None = None) -> ApiKey:
        return self._one("GET", f"/api-keys/{_segment(id, 'API key id')}", ApiKey.parse,
                         subaccount=subaccount)

    def list_api_keys(self, *, subaccount: int | None = None,
                      grant: str | None = None) -> list[ApiKey]:
        return self._many("/api-keys", ApiKey.parse, params={"grant": grant},
                          subaccount=subaccount)

    def update_api_key(self, id: str, *, label: str, grants: list[str],
                       valid_ips: list[str] | None = None,
                       subaccount: int | None = None) -> None:
        """PUT /api-keys/{id}. SparkPost reportedly wants ``label`` and ``grants`` every time;
        ``valid_ips=[]`` clears the list (left out, SparkPost keeps it)."""
        body: dict[str, Any] = {"label": label, "grants": list(grants)}
        if valid_ips is not None:
            body["valid_ips"] = list(valid_ips)
        self._call("PUT", f"/api-keys/{_segment(id, 'API key id')}", json=body,
                   subaccount=subaccount, expect=(dict, list), lenient=True)

    def delete_api_key(self, id: str, *, subaccount: int | None = None) -> None:
        self._call("DELETE", f"/api-keys/{_segment(id, 'API key id')}", subaccount=subaccount,
                   lenient=True)

    # -- sending domains -----------------------------------------------------------------
    def create_sending_domain(
        self,
        domain: str,
        *,
        subaccount: int | None = None,
        tracking_domain: str | None = None,
        shared_with_subaccounts: bool = False,
        dkim: DkimKey | None = None,
        generate_dkim_length: int | None = None,
        idempotency_check: Callable[[], dict[str, Any] | None] | None = None,
    ) -> None:
        """POST /sending-domains, with the user's DKIM key (``dkim``) or asking SparkPost to
        generate one of ``generate_dkim_length`` bits. Raises ``DkimRejected`` when SparkPost
        refuses the key."""
        _segment(domain, "domain")  # same validation as the other domain calls
        body: dict[str, Any] = {"domain": domain}
        if tracking_domain:
            body["tracking_domain"] = tracking_domain
        if shared_with_subaccounts:
            body["shared_with_subaccounts"] = True
        if dkim is not None:
            body["dkim"] = _dkim_body(dkim)
        elif generate_dkim_length is not None:
            body["generate_dkim"] = True
            body["dkim_key_length"] = generate_dkim_length
        with _dkim_refusals(dkim is not None):
            self._call("POST", "/sending-domains", json=body, subaccount=subaccount,
                       expect=(dict,), idempotency_check=idempotency_check)

    def get_sending_domain(self, domain: str, *, subaccount: int | None = None) -> SendingDomain:
        """GET /sending-domains/{domain}; SparkPost omits ``domain`` from this object."""
        return self._one("GET", f"/sending-domains/{_segment(domain, 'domain')}",
                         SendingDomain.parse, subaccount=subaccount)

    def list_sending_domains(self, *, subaccount: int | None = None,
                             **filters: str | bool) -> list[SendingDomain]:
        """GET /sending-domains; filters such as ``ownership_verified=True`` become query params."""
        return self._many("/sending-domains", SendingDomain.parse, params=filters,
                          subaccount=subaccount)

    def update_sending_domain(
        self,
        domain: str,
        *,
        subaccount: int | None = None,
        tracking_domain: str | None = None,
        shared_with_subaccounts: bool | None = None,
        dkim: DkimKey | None = None,
        is_default_bounce_domain: bool | None = None,
    ) -> None:
        """PUT /sending-domains/{domain} with the given fields only (``tracking_domain=""``
        unlinks). Raises ``DkimRejected`` when SparkPost refuses a new DKIM key."""
        body: dict[str, Any] = {}
        if tracking_domain is not None:
            body["tracking_domain"] = tracking_domain
        if shared_with_subaccounts is not None:
            body["shared_with_subaccounts"] = shared_with_subaccounts
        if dkim is not None:
            body["dkim"] = _dkim_body(dkim)
        if is_default_bounce_domain is not None:
            body["is_default_bounce_domain"] = is_default_bounce_domain
        with _dkim_refusals(dkim is not None):
            self._call("PUT", f"/sending-domains/{_segment(domain, 'domain')}", json=body,
                       subaccount=subaccount, expect=(dict,))

    def delete_sending_domain(self, domain: str, *, subaccount: int | None = None) -> None:
        self._call("DELETE", f"/sending-domains/{_segment(domain, 'domain')}",
                   subaccount=subaccount)

    def verify_sending_domain(self, domain: str, *, subaccount: int | None = None,
                              dkim_verify: bool = False,
                              cname_verify: bool = False) -> Verification:
        """POST .../verify: the new status, and DNS's complaint per record.

        DKIM and CNAME checks only read DNS, so this POST is safe to retry on 5xx/timeouts
        (mailbox verifications, which send email, are deliberately not offered here).
        """
        body = {"dkim_verify": bool(dkim_verify), "cname_verify": bool(cname_verify)}
        return self._one("POST", f"/sending-domains/{_segment(domain, 'domain')}/verify",
                         Verification.parse, json=body, subaccount=subaccount, idempotent=True)

    # -- account and lookups -------------------------------------------------------------
    def get_account(self) -> Account:
        return self._one("GET", "/account", Account.parse)

    def check_key(self, key: str) -> bool:
        """Whether SparkPost accepts ``key``, another key than the client's (a subaccount's send
        key): one ``GET /account`` made with it. 401 (revoked, deleted or unknown) is False; 403
        (a key without the account grant, such as an SMTP-only send key) or 200 is True. 429,
        5xx and connection faults are retried as for any read."""
        key = key.strip() if isinstance(key, str) else ""
        if not key or any(ch.isspace() or ord(ch) < 32 for ch in key):
            return False  # no SparkPost key looks like this: it could not authenticate
        try:
            self._call("GET", "/account", expect=(dict,), auth_key=key)
        except Unauthorized:
            return False
        except Forbidden:
            return True
        return True

    # -- IP pools (ip-pools.apib; the ip_pools/view|manage grants, primary account only) -----
    def get_ip_pool(self, pool_id: str) -> IpPool:
        return self._one("GET", f"/ip-pools/{_segment(pool_id, 'IP pool id')}", IpPool.parse)

    def create_ip_pool(self, name: str, *, signing_domain: str | None = None,
                       fbl_signing_domain: str | None = None,
                       auto_warmup_overflow_pool: str | None = None) -> str:
        """POST /ip-pools -> the new pool's id, which SparkPost derives from the name. Not
        retried on 5xx/read timeouts: a second POST would answer "already exists"."""
        body = {"name": name, **_present(signing_domain=signing_domain,
                                         fbl_signing_domain=fbl_signing_domain,
                                         auto_warmup_overflow_pool=auto_warmup_overflow_pool)}
        result = self._call("POST", "/ip-pools", json=body, expect=(dict,))
        pool_id = result.get("id")
        if not isinstance(pool_id, str) or not pool_id:
            raise InvalidResponse("the field 'results.id' is missing, expected a string",
                                  method="POST", path="/ip-pools").redact(self._api_key)
        return pool_id

    def update_ip_pool(self, pool_id: str, *, name: str, signing_domain: str | None,
                       fbl_signing_domain: str | None,
                       auto_warmup_overflow_pool: str | None) -> None:
        """PUT /ip-pools/{id}: ``name`` is required there; None sends "" (removes the value)."""
        body = {"name": name, "signing_domain": signing_domain or "",
                "fbl_signing_domain": fbl_signing_domain or "",
                "auto_warmup_overflow_pool": auto_warmup_overflow_pool or ""}
        self._call("PUT", f"/ip-pools/{_segment(pool_id, 'IP pool id')}", json=body,
                   expect=(dict,))

    def delete_ip_pool(self, pool_id: str) -> None:
        self._call("DELETE", f"/ip-pools/{_segment(pool_id, 'IP pool id')}")

    # -- webhooks (webhooks.apib; the webhooks/view|modify grants) ---------------------------
    # ``subaccount`` is the event source as X-MSYS-SUBACCOUNT gives it: None = the primary
    # account and every subaccount, 0 = the primary account only, n = subaccount n.
    def create_webhook(self, *, name: str, target: str, events: Sequence[str], active: bool,
                       custom_headers: Mapping[str, str] | None = None,
                       exception_subaccounts: Sequence[int] | None = None,
                       auth: WebhookAuth | None = None, subaccount: int | None = None) -> str:
        """POST /webhooks -> the id. SparkPost first POSTs a test batch to ``target`` and refuses
        the webhook (``WebhookTestFailed``) unless the target answers 200."""
        body: dict[str, Any] = {"name": name, "target": target, "events": list(events),
                                "active": bool(active)}
        if custom_headers:
            body["custom_headers"] = dict(custom_headers)
        if exception_subaccounts:
            body["exception_subaccounts"] = list(exception_subaccounts)
        body.update(_webhook_auth_body(auth or WebhookAuth("none")))
        with _webhook_test_failures():
            return self._one("POST", "/webhooks", CreatedWebhook.parse, json=body,
                             subaccount=subaccount).id

    def get_webhook(self, webhook_id: str, *, subaccount: int | None = None) -> Webhook:
        return self._one("GET", f"/webhooks/{_segment(webhook_id, 'webhook id')}", Webhook.parse,
                         subaccount=subaccount)

    def list_webhooks(self, *, subaccount: int | None = None) -> list[Webhook]:
        return self._many("/webhooks", Webhook.parse, subaccount=subaccount)

    def update_webhook(self, webhook_id: str, *, subaccount: int | None = None,
                       name: str | None = None, target: str | None = None,
                       events: Sequence[str] | None = None, active: bool | None = None,
                       custom_headers: Mapping[str, str] | None = None,
                       exception_subaccounts: Sequence[int] | None = None,
                       auth: WebhookAuth | None = None) -> None:
        """PUT /webhooks/{id} with the given fields only; a new ``target`` gets a test batch
        first (``WebhookTestFailed`` unless it answers 200)."""
        body: dict[str, Any] = _present(name=name, target=target, active=active)
        if events is not None:
            body["events"] = list(events)
        if custom_headers is not None:
            body["custom_headers"] = dict(custom_headers)
        if exception_subaccounts is not None:
            body["exception_subaccounts"] = list(exception_subaccounts)
        if auth is not None:
            body.update(_webhook_auth_body(auth))
        with _webhook_test_failures():
            self._call("PUT", f"/webhooks/{_segment(webhook_id, 'webhook id')}", json=body,
                       subaccount=subaccount, expect=(dict,))

    def delete_webhook(self, webhook_id: str, *, subaccount: int | None = None) -> None:
        self._call("DELETE", f"/webhooks/{_segment(webhook_id, 'webhook id')}",
                   subaccount=subaccount)

    # -- metrics (read-only: the operator key's metrics/view grant) ------------------------
    def deliverability_by_subaccount(
        self,
        *,
        start: datetime,
        end: datetime | None = None,
        subaccounts: Sequence[int] | None = None,
    ) -> list[SubaccountCounts]:
        """GET /metrics/deliverability/subaccount over ``[start, end)`` (UTC), one row per
        subaccount with traffic (0 = the primary account).

        The endpoint has no cursor: it returns at most ``limit`` (<= 10000) rows. So ids are
        asked for in batches of ``METRICS_ID_BATCH`` (which also keeps URLs short), and when an
        unfiltered query comes back full, the subaccount list (cursor-paginated) supplies the
        ids to batch over. 429s are retried by the usual policy (``retry.py``).
        """
        params: dict[str, Any] = {"from": _metrics_time(start), "metrics": list(CHECK_METRICS),
                                  "timezone": "UTC", "limit": METRICS_LIMIT}
        if end is not None:
            params["to"] = _metrics_time(end)
        path = "/metrics/deliverability/subaccount"
        if subaccounts is None:
            rows = self._call("GET", path, params=params, expect=(list,))
            if len(rows) < METRICS_LIMIT:
                return [SubaccountCounts.from_api(r, path=path) for r in rows]
            ids = [0, *(s.id for s in self.iter_subaccounts())]
        else:
            ids = sorted({_int_id(i) for i in subaccounts})
        out: list[SubaccountCounts] = []
        for i in range(0, len(ids), METRICS_ID_BATCH):
            batch = ids[i:i + METRICS_ID_BATCH]
            rows = self._call("GET", path, params={**params, "subaccounts": batch}, expect=(list,))
            out.extend(SubaccountCounts.from_api(r, path=path) for r in rows)
        return out

    # -- data privacy (an action: the data_privacy/manage grant) ---------------------------
    def data_privacy_request(self, kind: str, recipients: Sequence[str], *,
                             subaccount: int | None = None,
                             include_subaccounts: bool = False) -> str:
        """POST /data-privacy/{rtbf,opt-out}-request for at most 1000 recipients; returns
        SparkPost's message ("Request saved."). Repeating a request is harmless, so it is
        retried like an idempotent call."""
        if kind not in DATA_PRIVACY_KINDS:
            raise ValueError(f"kind must be one of {', '.join(DATA_PRIVACY_KINDS)}, got {kind!r}")
        if not recipients or len(recipients) > DATA_PRIVACY_MAX_RECIPIENTS:
            raise ValueError(f"between 1 and {DATA_PRIVACY_MAX_RECIPIENTS} recipients per request")
        body: dict[str, Any] = {"recipients": list(recipients)}
        if subaccount is None:
            body["include_subaccounts"] = bool(include_subaccounts)
        result = self._call("POST", f"/data-privacy/{kind}-request", json=body,
                            subaccount=subaccount, expect=(dict,), idempotent=True)
        message = result.get("message")
        return message if isinstance(message, str) else "Request saved."


def _present(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _webhook_auth_body(auth: WebhookAuth) -> dict[str, Any]:
    if auth.type == "basic":
        creds = {"username": auth.username or ""}
        if auth.password is not None:
            creds["password"] = auth.password
        return {"auth_type": "basic", "auth_credentials": creds, "auth_request_details": {}}
    if auth.type == "oauth2":
        return {"auth_type": "oauth2", "auth_credentials": {},
                "auth_request_details": {"url": auth.token_url or "", "body": {
                    "client_id": auth.client_id or "", "client_secret": auth.client_secret or "",
                    "grant_type": "client_credentials"}}}
    return {"auth_type": "none", "auth_credentials": {}, "auth_request_details": {}}


@contextmanager
def _webhook_test_failures() -> Iterator[None]:
    """SparkPost's 400 with a ``response`` (its test batch, or the OAuth2 token request, did not
    get a 200) becomes ``WebhookTestFailed``."""
    try:
        yield
    except BadRequest as err:
        failed = WebhookTestFailed.from_error(err)
        if failed is not None:
            raise failed from err
        raise


def _metrics_time(value: datetime) -> str:
    """The Metrics API's ``YYYY-MM-DDTHH:MM``, in UTC (naive datetimes are taken as UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M")


def _int_id(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"subaccount id must be a non-negative integer, got {value!r}")
    return value


def _dkim_body(key: DkimKey) -> dict[str, str]:
    return {"private": key.private, "public": key.public, "selector": key.selector}


def _is_dkim_refusal(err: SparkPostError) -> bool:
    """SparkPost's answer to a DKIM key it will not take: code 1404, or words about the key."""
    text = f"{err.message} {err.description or ''}".lower()
    return err.code == "1404" or "dkim" in text or " key" in text


@contextmanager
def _dkim_refusals(sent_dkim: bool) -> Iterator[None]:
    """A 400/422 about the DKIM key we sent becomes ``DkimRejected``."""
    try:
        yield
    except (BadRequest, Unprocessable) as err:
        if sent_dkim and _is_dkim_refusal(err):
            raise DkimRejected.from_error(err) from err
        raise
