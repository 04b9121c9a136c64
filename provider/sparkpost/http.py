"""HTTP to SparkPost: base URLs and headers (``Authorization``, ``User-Agent``,
``X-MSYS-SUBACCOUNT``; built in ``urls.py``), deadlines and size caps (``transport.py``),
retries (``retry.py``), failures (``failures.py``), cancellation, pagination, error bodies
(``error_bodies.py``, ``errors.py``) and the ``results`` envelope.
``client.py`` builds SparkPost's endpoints on it.

Importing this module imports ``requests``; the plugin layer therefore imports it lazily
(``provider.sparkpost.SparkPostClient`` resolves on first use).
"""

from __future__ import annotations

import json as jsonlib
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from requests import exceptions as rexc

from ..version import VERSION
from .error_bodies import parse_error_response
from .errors import (
    Cancelled,
    InvalidResponse,
    SparkPostError,
    TransportError,
)
from .failures import transport_error
from .models import (
    Fields,
    Where,
    parse_list,
)
from .retry import IDEMPOTENT_METHODS, RetryPolicy, call_with_retries, parse_retry_after
from .transport import (
    MAX_RESPONSE_BYTES,
    DeadlineExceeded,
    Exchange,
    RequestThreads,
    ResponseTooLarge,
    Watchdog,
    bounded_exchange,
    make_session,
)
from .urls import API_PREFIX, KeyAuth, normalise_base_url, query_params, redact_headers, subaccount_header

__all__ = ["SparkPostHttp", "REGION_BASE_URLS", "DEFAULT_USER_AGENT"]

log = logging.getLogger("provider.sparkpost")
T = TypeVar("T")
_Self = TypeVar("_Self", bound="SparkPostHttp")

REGION_BASE_URLS: dict[str, str] = {
    "us": "https://api.sparkpost.com/api/v1",
    "eu": "https://api.eu.sparkpost.com/api/v1",
}
DEFAULT_USER_AGENT = f"terraform-provider-sparkpost/{VERSION}"

# A dead host should fail fast (and be retried); a slow SparkPost response may legitimately
# take longer, so only the connect phase is capped below the read timeout.
CONNECT_TIMEOUT_CAP = 10.0
# Guards against a server that keeps returning links.next forever.
MAX_PAGES = 10_000
READ_TIMEOUT_SLACK = 1.0
# After base_url could not be reached, how long later calls fail at once without trying.
UNREACHABLE_MEMORY_SECONDS = 30.0
# SparkPost's keys are 40 hex characters; anything much longer is not a key (see __init__).
MAX_KEY_CHARS = 256
# How often a request waiting for SparkPost's answer checks the cancel event (StopProvider).
CANCEL_POLL_SECONDS = 0.1

def _decode(raw: bytes, charset: str | None) -> str:
    """The body as text, in the charset its Content-Type names; one Python does not know
    (``charset=x-bogus``) is read as UTF-8, JSON's own encoding, rather than fail the call."""
    try:
        return raw.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


# How much of an error body under a success status is read for its message.
MAX_EXCERPT = 64 * 1024


def _redirect_hint(location: str | None) -> str:
    """What a 3xx means here: never followed, so that the API key goes nowhere else."""
    where = ""
    if location:
        parts = urlsplit(location.strip())
        host = parts.netloc.rpartition("@")[2]  # never userinfo
        where = f" to {host[:100]!r}" if host else " to another path"
    return (f"SparkPost answered with a redirect{where}, which the provider does not follow (the API "
            "key is never sent anywhere but base_url): check base_url (https, the /api/v1 path, the region).")


@dataclass(frozen=True)
class StatusOnly:
    """What ``_call`` returns for an answer whose status the caller asked for as such
    (``statuses``): the status alone, the body neither parsed nor kept."""

    status: int


class SparkPostHttp:
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
        if len(key) > MAX_KEY_CHARS:
            # A Secret Manager version may hold 64 KiB: sent in every request's header and
            # scrubbed in every form from every error, such a "key" cost seconds of CPU per error.
            raise ValueError(f"api_key is {len(key)} characters long; a SparkPost API key has 40 "
                             f"(at most {MAX_KEY_CHARS} are accepted): is it the right value?")
        if region not in REGION_BASE_URLS:
            raise ValueError(f"region must be one of {sorted(REGION_BASE_URLS)}, got {region!r}")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if retry_deadline < 0 or max_retries < 0:
            raise ValueError("retry_deadline and max_retries must not be negative")

        self._api_key = key
        self.region = region
        self.base_url = normalise_base_url(base_url) if base_url else REGION_BASE_URLS[region]
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
        self._threads = RequestThreads()
        # Set when an attempt to reach base_url gave up without ever connecting: later calls
        # fail at once for UNREACHABLE_MEMORY_SECONDS instead of each paying the retries again.
        self._unreachable: tuple[float, TransportError] | None = None
        self._unreachable_lock = threading.Lock()

        session = make_session(self.base_url)
        session.auth = KeyAuth(key)
        session.headers.update({"User-Agent": self.user_agent, "Accept": "application/json"})
        self._session = session

    # -- lifecycle -----------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, region={self.region!r})"

    def close(self) -> None:
        self._threads.close()
        self._session.close()

    def __enter__(self: _Self) -> _Self:
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
        statuses: frozenset[int] = frozenset(),
    ) -> Any:
        """``statuses``: error statuses returned as ``StatusOnly`` instead of raised (a yes/no
        question such as "is this key valid?", where building, redacting and catching a typed
        error per answer is wasted work); they are not retried, as no 4xx but 429 is."""
        method = method.upper()
        if url is None:
            if not isinstance(path, str) or not path.startswith("/") or "//" in path \
                    or "://" in path:
                # Absolute URLs would let a caller send the key to another host.
                raise ValueError(f"path must be relative to the API base, like '/subaccounts': "
                                 f"{path!r}")
            url = self.base_url + path
        headers: dict[str, str] = {}
        sub = subaccount_header(subaccount)
        if sub is not None:
            headers["X-MSYS-SUBACCOUNT"] = sub
        body: bytes | None = None
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        query = query_params(params)
        err_path = path.split("?", 1)[0]
        abandonable = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS

        def attempt() -> Any:
            return self._attempt(method, url, err_path, headers, query, body,
                                 expect=expect, envelope=envelope, lenient=lenient,
                                 abandonable=abandonable, auth_key=auth_key, statuses=statuses)

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
                 auth_key: str | None = None, statuses: frozenset[int] = frozenset()) -> Any:
        """One HTTP exchange: the parsed result, or a typed error (redacted) raised."""
        if log.isEnabledFor(logging.DEBUG):
            # The key is added by KeyAuth later; show that the header is sent, never its value.
            shown = redact_headers({**self._session.headers, **headers, "Authorization": ""})
            log.debug("SparkPost request %s %s params=%s headers=%s", method, path, query, shown)
        started = time.monotonic()
        exchange = Exchange()

        def send() -> tuple[requests.Response, bytes]:
            return bounded_exchange(
                self._session, self._watchdog, self.timeout, self.max_response_bytes,
                lambda session: session.request(method, url, params=query, data=body, headers=headers,
                                                timeout=self._timeouts, allow_redirects=False,
                                                auth=KeyAuth(auth_key) if auth_key else None,
                                                stream=True),
                exchange)

        try:
            resp, raw = self._send_abandonable(send, exchange, method, path) if abandonable else send()
        except rexc.RequestException as exc:
            err = transport_error(exc, method, path, self.timeout)
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
        if status in statuses:
            return StatusOnly(status)
        text = _decode(raw, resp.encoding) if raw else ""

        if not 200 <= status < 300:
            api_err = parse_error_response(
                status, text, resp.headers.get("Content-Type"), method=method, path=path,
                reason=resp.reason or None,
                retry_after=parse_retry_after(resp.headers.get("Retry-After")))
            if 300 <= status < 400:
                api_err.add_hint(_redirect_hint(resp.headers.get("Location")))
            raise api_err.redact(self._api_key)
        return self._parse_success(status, text, resp.headers.get("Content-Type"), method,
                                   path, expect=expect, envelope=envelope, lenient=lenient)

    def _send_abandonable(self, send: Callable[[], tuple[requests.Response, bytes]], exchange: Exchange,
                          method: str, path: str) -> tuple[requests.Response, bytes]:
        """``send()`` in another thread (``RequestThreads``), abandoned if the cancel event is set
        before it returns.

        ``requests`` cannot interrupt a blocking read, so without this a StopProvider (Ctrl-C)
        would wait for a slow answer up to the read timeout. Only idempotent requests are
        abandoned: repeating them later converges. A create (non-idempotent POST) is waited for,
        because abandoning it would leave what SparkPost makes unrecorded in state (an orphan).
        The thread of an abandoned request finishes it (at the latest at its deadline: the
        exchange is expired here) before it takes another.
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

        self._threads.run(run)
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
        except (ValueError, RecursionError) as exc:
            ctype = (content_type or "no content type").split(";")[0].strip()
            excerpt = " ".join(text[:120].split())
            why = "is JSON nested too deeply to read" if isinstance(exc, RecursionError) else "is not JSON"
            raise invalid(f"the response body {why} ({ctype}): {excerpt!r}") from None
        if not isinstance(doc, dict) or "results" not in doc:
            if lenient and isinstance(doc, dict):
                return doc if envelope else {}
            said = ""
            if isinstance(doc, dict) and ("errors" in doc or "error" in doc):
                # An error body under a success status (a proxy, a gateway): say what it said.
                said = parse_error_response(status, text[:MAX_EXCERPT], content_type, method=method,
                                            path=path).message
                said = f"; it is an error body under status {status}: {said}"
            raise invalid(f"the JSON response has no 'results' member{said}")
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
