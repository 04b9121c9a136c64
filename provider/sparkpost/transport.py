"""Bounds on one HTTP exchange with SparkPost: an overall deadline and a response size cap.

``requests`` applies its timeouts to each socket operation, so a server that sends a byte every
few seconds (slow headers, a slow-loris body) is never timed out, and it reads a body whole, so
an endless body grows the process until it dies. Here each attempt gets:

* a deadline for the whole exchange (connect, send, headers, body): a watchdog thread shuts
  down the attempt's socket when it passes, which ends any blocked read at once;
* a cap on the body, read by streaming: a ``Content-Length`` above the cap is refused before
  reading, and a body (decompressed) that grows past it is cut off.

The session is built here too (pool size, no urllib3 retries, environment read once), so
``client.py`` keeps to SparkPost's API: paths, headers, errors and models.
"""

from __future__ import annotations

import heapq
import itertools
import os
import queue
import socket
import threading
import time
from typing import Any, Callable

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_exceptions
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# Terraform runs up to 10 operations in parallel (-parallelism=10), and each holds at most two
# connections at a time (a subaccount's refresh checks its send key beside its GET; the
# provider's credentials check runs beside the first operations), so 20 pooled connections per
# host means no connection is opened only to be thrown away after one request.
POOL_CONNECTIONS = 10
POOL_MAXSIZE = 20
# SparkPost's largest answers are lists (sending domains with their DKIM public keys, API keys,
# a page of 100 subaccounts): a few MB at the very most. A body past this is not SparkPost's.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
_CHUNK = 64 * 1024


class ResponseTooLarge(Exception):
    def __init__(self, limit: int, declared: int | None = None, status: int | None = None) -> None:
        self.limit = limit
        self.declared = declared
        self.status = status
        super().__init__(f"response larger than {limit} bytes")


class DeadlineExceeded(Exception):
    """The attempt's deadline passed; its socket was shut down."""


class Exchange:
    """One attempt: the connections it used, and whether its deadline expired."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: list[Any] = []
        self.expired = False
        self._finished = False

    def adopt(self, conn: Any) -> None:
        with self._lock:
            self._conns.append(conn)
            if not self.expired:
                return
        _shut(conn)

    def expire(self) -> None:
        """Called by the watchdog at the deadline, or when the request is abandoned."""
        with self._lock:
            if self._finished:
                return  # its connection may already serve another request
            self.expired = True
            conns = list(self._conns)
        for conn in conns:
            _shut(conn)

    def finish(self) -> None:
        with self._lock:
            self._finished = True


def _shut(conn: Any) -> None:
    """Shut the connection's socket down under whoever is blocked on it.

    The plain socket method is called even on an ``SSLSocket``: its own ``shutdown`` drops the
    SSL object that the reading thread is still using."""
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


_current = threading.local()  # the Exchange of the attempt running on this thread


class _TrackedHTTPPool(HTTPConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        exchange = getattr(_current, "exchange", None)
        if exchange is not None:
            exchange.adopt(conn)
        return conn


class _TrackedHTTPSPool(HTTPSConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        exchange = getattr(_current, "exchange", None)
        if exchange is not None:
            exchange.adopt(conn)
        return conn


_POOLS = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}


class _BoundedAdapter(HTTPAdapter):
    """An adapter whose connection pools tell the running Exchange which connection it uses."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


def make_session(base_url: str) -> requests.Session:
    session = requests.Session()
    # Retries are ours (retry.py): urllib3 must not retry behind our back, a POST included.
    adapter = _BoundedAdapter(pool_connections=POOL_CONNECTIONS, pool_maxsize=POOL_MAXSIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # requests re-reads the environment (proxies, NO_PROXY, CA bundle, ~/.netrc) on every
    # request, a third of its CPU per call; every request goes to one origin, so read the
    # proxies and the CA bundle once here and tell requests not to look again.
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if ca_bundle:
        session.verify = ca_bundle
    return session


_COMPACT_AFTER = 256  # finished exchanges kept in the watchdog's heap before a clean-up


class RequestThreads:
    """Daemon threads that run requests a caller may abandon (``http.py``), kept for the next
    one: starting a thread per request cost more CPU (~0.2 ms) than the request's own Python.

    A thread takes one task at a time; a thread whose request was abandoned finishes it before
    it takes another, and a new thread is started whenever none is idle, so a task never waits
    for another's. At most ``IDLE_MAX`` idle threads are kept; ``close`` ends the idle ones."""

    IDLE_MAX = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Callable[[], None] | None]] = []
        self._closed = False

    def run(self, task: Callable[[], None]) -> None:
        """Run ``task`` (which must not raise: it records its own outcome) in another thread."""
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), name="sparkpost-request", daemon=True).start()
        inbox.put(task)

    def _serve(self, inbox: queue.SimpleQueue[Callable[[], None] | None]) -> None:
        while True:
            task = inbox.get()
            if task is None:
                return
            task()
            with self._lock:
                if self._closed or len(self._idle) >= self.IDLE_MAX:
                    return
                self._idle.append(inbox)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for inbox in idle:
            inbox.put(None)


class Watchdog:
    """One daemon thread that expires exchanges at their deadlines (started on first use)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Exchange]] = []
        self._cancelled: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, exchange: Exchange, seconds: float) -> int:
        ident = next(self._ids)
        when = time.monotonic() + seconds
        with self._cond:
            # The thread sleeps until the earliest deadline in the heap (cancelled or not), so
            # it needs waking only for an earlier one: with one timeout for every request, that
            # is almost never, and a request costs no thread switch here.
            sooner = not self._heap or when < self._heap[0][0]
            heapq.heappush(self._heap, (when, ident, exchange))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sparkpost-deadlines", daemon=True)
                self._thread.start()
            elif sooner:
                self._cond.notify()
        return ident

    def unwatch(self, ident: int) -> None:
        with self._cond:
            self._cancelled.add(ident)
            if len(self._cancelled) > _COMPACT_AFTER:
                # Finished exchanges wait in the heap until the thread next wakes (up to a
                # timeout later): drop them in one pass rather than let them pile up. The head
                # can only move later, so the thread's current wait stays right.
                self._heap = [e for e in self._heap if e[1] not in self._cancelled]
                heapq.heapify(self._heap)
                self._cancelled.clear()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][1] in self._cancelled:
                    self._cancelled.discard(heapq.heappop(self._heap)[1])
                if not self._heap:
                    self._cond.wait()
                    continue
                when, ident, exchange = self._heap[0]
                left = when - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._heap)
                self._cancelled.discard(ident)
            exchange.expire()


def bounded_exchange(
    session: requests.Session,
    watchdog: Watchdog,
    deadline: float,
    max_bytes: int,
    send: Callable[[requests.Session], requests.Response],
    exchange: Exchange | None = None,
) -> tuple[requests.Response, bytes]:
    """Run ``send`` (which must pass ``stream=True``) and read the body, all within ``deadline``
    seconds and ``max_bytes`` of body. Raises ``DeadlineExceeded``, ``ResponseTooLarge`` or
    what ``requests`` raises."""
    exchange = exchange or Exchange()
    _current.exchange = exchange
    ident = watchdog.watch(exchange, deadline)
    resp: requests.Response | None = None
    try:
        try:
            resp = send(session)
            declared = resp.headers.get("Content-Length")
            if declared and declared.strip().isdigit() and int(declared) > max_bytes:
                raise ResponseTooLarge(max_bytes, int(declared), resp.status_code)
            chunks = []
            total = 0
            for chunk in resp.iter_content(_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise ResponseTooLarge(max_bytes, None, resp.status_code)
                chunks.append(chunk)
            return resp, b"".join(chunks)
        except (requests.RequestException, urllib3_exceptions.HTTPError, OSError, ValueError) as exc:
            if exchange.expired:
                raise DeadlineExceeded() from exc
            if isinstance(exc, requests.RequestException):
                raise
            raise requests.ConnectionError(exc) from exc  # a read error requests did not wrap
    finally:
        exchange.finish()
        watchdog.unwatch(ident)
        _current.exchange = None
        if resp is not None:
            resp.close()  # closes a connection left mid-body; a body read to its end is pooled already
