"""Socket plumbing: a threaded stdlib HTTP server that feeds `App.handle`.

One daemon thread per connection (ThreadingHTTPServer), HTTP/1.1 keep-alive, bodies by
Content-Length or chunked.  Request logging to stderr only with verbose=True, and it
only ever prints the method, path and status, never a header.
"""

from __future__ import annotations

import io
import selectors
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping, cast

from . import sp_errors
from .sp_app import App, Outcome, json_outcome

MAX_BODY = 1 << 20  # 1 MiB; SparkPost answers larger bodies with 413
# A connection that sends nothing for this long (idle between keep-alive requests, or stalled
# mid-request) is closed, so that clients that connect and stall cannot pile up threads.
IDLE_SECONDS = 120.0
# A request's headers and body must all arrive within this long of its first byte. The idle
# limit bounds each read only: a client dripping one byte every 100 s would pass every read
# and hold its thread forever.
REQUEST_SECONDS = 120.0


class _DeadlineReader(io.RawIOBase):
    """The socket as the handler reads it: each read waits at most the idle limit, and none
    after the request's deadline (REQUEST_SECONDS from its first byte) has passed."""

    def __init__(self, sock: socket.socket, idle: float) -> None:
        super().__init__()
        self._sock = sock
        self._idle = idle
        self.deadline: float | None = None  # set by the request's first byte

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wait = self._idle
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the request did not arrive within {REQUEST_SECONDS:g} s")
            wait = min(wait, left)
        self._sock.settimeout(wait)
        n = self._sock.recv_into(buffer)
        if n and self.deadline is None:
            self.deadline = time.monotonic() + REQUEST_SECONDS
        return n


class _BodyError(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.status)
        self.outcome = outcome


class EmulatorServer(ThreadingHTTPServer):
    _handle_request_noblock: Callable[[], None]  # socketserver's, not in its type stubs
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        # Created here, not in serve(): stop() may run before the serving thread starts;
        # and before binding, because a failed bind calls server_close().
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = False
        self._stopped = threading.Event()
        super().__init__(address, _Handler)

    def serve(self) -> None:
        """Like serve_forever, but `stop()` wakes the loop at once instead of waiting for
        a poll interval (fixtures start and stop an emulator per test)."""
        try:
            with selectors.DefaultSelector() as sel:
                sel.register(self, selectors.EVENT_READ)
                sel.register(self._wake_r, selectors.EVENT_READ)
                while not self._stopping:
                    for key, _ in sel.select():
                        if self._stopping:
                            break
                        if key.fileobj is self:
                            self._handle_request_noblock()
        finally:
            self._stopped.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        self._stopped.wait(timeout)

    def server_close(self) -> None:
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Client resets and the like: a one-liner in verbose mode, silence otherwise.
        if self.app.verbose:
            exc = sys.exc_info()[1]
            sys.stderr.write(f"sparkpost-emulator: connection error: {exc.__class__.__name__}\n")


class _Handler(BaseHTTPRequestHandler):
    _headers_buffer: list[bytes]  # BaseHTTPRequestHandler's, not in its type stubs
    protocol_version = "HTTP/1.1"
    server_version = "SparkPostEmulator/1"
    sys_version = ""
    server: EmulatorServer
    timeout = IDLE_SECONDS  # StreamRequestHandler sets it on the socket: every read is bounded

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (a request line that is not HTTP, headers too long or too
        many, an unknown method) in SparkPost's JSON shape, not its HTML page."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # set when the request line could not be read
            self.request_version = "HTTP/1.1"  # the status line and headers are always sent
        phrase = message or self.responses.get(code, ("error",))[0]
        self._send(json_outcome(code, sp_errors.message_only(code, phrase).body))

    def handle(self) -> None:
        # Counted from accept to close: once a client is gone and its connections are closed
        # here, nothing it sent can still arrive (tests wait on this after killing a client).
        self.server.app.reqlog.connected()
        try:
            super().handle()
        finally:
            self.server.app.reqlog.disconnected()

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        # Reads go through the deadline (http.server answers a TimeoutError by closing).
        self.rfile.close()  # the socket stays open: makefile() counts its users
        self._reader = _DeadlineReader(self.connection, float(self.timeout or IDLE_SECONDS))
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.deadline = None  # a new request: its deadline starts with its first byte
        super().handle_one_request()

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        if self.server.app.verbose:
            sys.stderr.write("sparkpost-emulator: %s\n" % (format % args))

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        # requestline is "METHOD /path HTTP/1.1": no headers, so no Authorization value.
        self.log_message('"%s" %s', self.requestline, str(code))

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    text = line.split(b";")[0].strip()
                    if not text or text.strip(b"0123456789abcdefABCDEF"):
                        raise ValueError("a chunk size is hex digits")  # not "-1", "+5" or "1_0"
                    size = int(text, 16)
                except ValueError:
                    self.close_connection = True
                    raise _BodyError(json_outcome(400, sp_errors.bad_json().body)) from None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    self.close_connection = True
                    raise _BodyError(json_outcome(413, sp_errors.message_only(413, "Request too large").body))
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            if not raw.strip().isascii() or not raw.strip().isdigit():
                raise ValueError  # int() would take "-1", "+5", "1_0" and other digits than ASCII
            length = int(raw)
        except ValueError:
            self.close_connection = True
            raise _BodyError(json_outcome(400, sp_errors.classic(400, "1200", "invalid params",
                                                                 "Invalid Content-Length").body)) from None
        if length > MAX_BODY:
            self.close_connection = True  # the unread body would poison keep-alive
            raise _BodyError(json_outcome(413, sp_errors.message_only(413, "Request too large").body))
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
            self._reader.deadline = None  # the request has arrived: handling it is not bounded here
            # http.server's Message is a case-insensitive mapping of header names to values.
            headers = cast(Mapping[str, str], self.headers)
            outcome = self.server.app.handle(self.command, self.path, headers, body,
                                             str(self.client_address[0]))
        except _BodyError as err:
            outcome = err.outcome
        if outcome.drop:
            self._drop()
            return
        self._send(outcome)

    def _send(self, outcome: Outcome) -> None:
        self.send_response(outcome.status)
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        if outcome.status != 204:
            self.send_header("Content-Length", str(len(outcome.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # Headers and body leave in ONE write: two small writes on a keep-alive socket
        # meet Nagle + delayed ACK and cost ~40 ms per request.
        self._headers_buffer.append(b"\r\n")
        if outcome.body and outcome.status != 204 and self.command != "HEAD":
            self._headers_buffer.append(outcome.body)
        self.flush_headers()

    def _drop(self) -> None:
        """Close the connection without writing a single byte."""
        self.close_connection = True
        self.log_message('"%s" dropped', self.requestline)
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch
