"""A tiny scripted HTTP server standing in for SparkPost, and a client wired to it.

Imported by conftest.py (fixtures) and by the test modules (Reply, ok, API_KEY, fast).

Each test scripts replies per (method, path); the server records every request it receives
(method, path with query, headers, body, arrival time) so tests can count attempts and check
headers. Real sockets, real ``requests``: the client is exercised exactly as in production.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest

from provider.sparkpost.client import SparkPostClient

# 40 hex characters like a real key, distinctive enough to grep for in any output.
API_KEY = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7abcd"


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes -> sent as is; None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    # Not answered until the test calls ``Stub.release()`` (or the test ends): a slow answer that
    # cannot arrive before a deadline or a cancel, however slow the machine (read-timeout tests).
    held: bool = False
    # Called in the server's thread when the request has arrived, before the reply's delay or
    # hold: lets a test act (say, cancel) exactly while the request is in flight.
    on_arrival: Callable[[], None] | None = None
    drop: bool = False  # close the connection without answering

    def payload(self) -> tuple[bytes, str | None]:
        if self.body is None:
            return b"", None
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type")
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), self.headers.get("Content-Type", "text/plain")
        return json.dumps(self.body).encode("utf-8"), "application/json"


def ok(results: Any) -> Reply:
    return Reply(200, {"results": results})


@dataclass
class Recorded:
    method: str
    path: str  # includes the query string
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def route(self) -> str:
        return self.path.split("?", 1)[0]

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Stub:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._scripts: dict[tuple[str, str], list[Reply]] = {}
        self.handler: Callable[[Recorded], Reply] | None = None
        self.answered = 0  # requests answered (or dropped) so far
        self.released = threading.Event()  # lets held replies go
        self._lock = threading.Lock()
        self.url = ""

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Replies in order for METHOD PATH (path without query); the last one repeats."""
        self._scripts[(method.upper(), path)] = list(replies)

    def release(self) -> None:
        """Let every held reply (``Reply(held=True)``) be answered, now and from now on."""
        self.released.set()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(1 for r in self.requests
                   if (method is None or r.method == method) and (path is None or r.route == path))

    def reply_for(self, req: Recorded) -> Reply:
        with self._lock:
            self.requests.append(req)
            queue = self._scripts.get((req.method, req.route))
            if queue:
                return queue.pop(0) if len(queue) > 1 else queue[0]
        if self.handler is not None:
            return self.handler(req)
        return Reply(404, {"errors": [{"message": f"no script for {req.method} {req.route}"}]})


def _make_handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like SparkPost behind its load balancer
        disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stalls

        def log_message(self, *args: Any) -> None:  # keep pytest output clean
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            req = Recorded(self.command, self.path, dict(self.headers.items()), body,
                           time.monotonic())
            reply = stub.reply_for(req)
            if reply.on_arrival is not None:
                reply.on_arrival()
            if reply.delay:
                time.sleep(reply.delay)
            if reply.held:
                stub.released.wait()
            try:
                self._answer(reply)
            finally:
                with stub._lock:
                    stub.answered += 1

        def _answer(self, reply: Reply) -> None:
            if reply.drop:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            payload, ctype = reply.payload()
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                if k.lower() != "content-type":
                    self.send_header(k, v)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload and self.command != "HEAD":
                try:
                    self.wfile.write(payload)
                except OSError:  # the client timed out and went away
                    pass

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    return Handler


@pytest.fixture
def stub() -> Iterator[Stub]:
    s = Stub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(s))
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    s.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield s
    finally:
        s.release()
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's HTTP(S)_PROXY must not capture the loopback stub.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def fast(client: SparkPostClient, *, base: float = 0.01, cap: float = 0.05) -> SparkPostClient:
    """Shrink the backoff so retry tests take milliseconds."""
    client.retry_policy = dataclasses.replace(client.retry_policy, backoff_base=base,
                                              backoff_cap=cap)
    return client


@pytest.fixture
def make_client(stub: Stub) -> Iterator[Callable[..., SparkPostClient]]:
    made: list[SparkPostClient] = []

    def factory(**kw: Any) -> SparkPostClient:
        kw.setdefault("base_url", stub.url)
        kw.setdefault("timeout", 2.0)
        kw.setdefault("retry_deadline", 5.0)
        kw.setdefault("max_retries", 5)
        client = fast(SparkPostClient(kw.pop("api_key", API_KEY), **kw))
        made.append(client)
        return client

    yield factory
    for c in made:
        c.close()


@pytest.fixture
def client(make_client: Callable[..., SparkPostClient]) -> SparkPostClient:
    return make_client()
