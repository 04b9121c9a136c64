"""A hostile HTTP server on 127.0.0.1 for the transport's cases: each connection is handed to a
behaviour that writes raw bytes (slowly, endlessly, wrongly). Every loop is bounded (a byte
budget and a time budget) and the server stops itself after LIFETIME seconds, so nothing
outlives the test even if the client under test never hangs up."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

LIFETIME = 60.0  # the server closes itself after this, whatever happens
BEHAVIOUR_BUDGET = 20.0  # one connection's behaviour never runs longer than this


@dataclass
class Conn:
    sock: socket.socket
    started: float = field(default_factory=time.monotonic)
    sent: int = 0
    request: bytes = b""

    def alive(self) -> bool:
        return time.monotonic() - self.started < BEHAVIOUR_BUDGET

    def send(self, data: bytes) -> bool:
        """False once the client has gone (or the budget is spent)."""
        if not self.alive():
            return False
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        self.sent += len(data)
        return True

    def trickle(self, data: bytes, every: float) -> bool:
        for i in range(len(data)):
            if not self.send(data[i:i + 1]):
                return False
            time.sleep(every)
        return True


Behaviour = Callable[[Conn], None]


class HostileServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.connections: list[Conn] = []
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(32)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        ends = time.monotonic() + LIFETIME
        while not self._stop.is_set() and time.monotonic() < ends:
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            conn = Conn(sock)
            with self._lock:
                self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()
        self._listener.close()

    def _serve(self, conn: Conn) -> None:
        try:
            conn.sock.settimeout(5)
            try:
                while b"\r\n\r\n" not in conn.request and len(conn.request) < 1 << 16:
                    chunk = conn.sock.recv(65536)
                    if not chunk:
                        break
                    conn.request += chunk
            except OSError:
                return
            self.behaviour(conn)
        finally:
            try:
                conn.sock.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.connections)


# ---------------------------------------------------------------- behaviours


def head(status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def slow_headers(conn: Conn) -> None:
    conn.trickle(head(Content_Type="application/json", Content_Length="20") + b'{"results": {}}     ', 0.05)


def silent(conn: Conn) -> None:
    while conn.alive():
        try:
            if not conn.sock.recv(1024):  # returns when the client hangs up
                return
        except socket.timeout:
            continue
        except OSError:
            return


def slow_body(conn: Conn) -> None:
    if conn.send(head(Content_Type="application/json", Content_Length="4000")):
        conn.trickle(b'{"results": {"a": "' + b"x" * 3970 + b'"}}', 0.05)


def slow_chunked(conn: Conn) -> None:
    if conn.send(head(Content_Type="application/json", Transfer_Encoding="chunked")):
        while conn.alive() and conn.send(b"1\r\n \r\n"):
            time.sleep(0.05)


def endless_chunked(conn: Conn, status: str = "200 OK") -> None:
    block = b"x" * 65536
    frame = b"%x\r\n" % len(block) + block + b"\r\n"
    if conn.send(head(status, Content_Type="application/json", Transfer_Encoding="chunked")):
        while conn.send(frame):
            pass


def endless_error_body(conn: Conn) -> None:
    endless_chunked(conn, "500 Internal Server Error")


def endless_until_close(conn: Conn) -> None:
    """No length, no chunking: the body is whatever comes until the connection closes."""
    if conn.send(head(Content_Type="application/json", Connection="close")):
        block = b"[" * 65536
        while conn.send(block):
            pass


def huge_content_length(conn: Conn) -> None:
    if conn.send(head(Content_Type="application/json", Content_Length=str(10 * 1024**3))):
        conn.send(b'{"results": ')  # then nothing more: the client must not wait for 10 GB


def gzip_bomb(conn: Conn) -> None:
    import zlib

    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip wrapper
    body = comp.compress(b"\0" * (64 * 1024 * 1024)) + comp.flush()  # ~64 KB -> 64 MB
    conn.send(head(Content_Type="application/json", Content_Encoding="gzip", Content_Length=str(len(body))) + body)


def endless_continue(conn: Conn) -> None:
    """1xx interim responses forever: http.client skips them, one after another."""
    while conn.send(b"HTTP/1.1 100 Continue\r\n\r\n"):
        time.sleep(0.001)


def endless_header_line(conn: Conn) -> None:
    if conn.send(b"HTTP/1.1 200 OK\r\nX-Long: "):
        while conn.send(b"a" * 65536):
            pass


def endless_headers(conn: Conn) -> None:
    if conn.send(b"HTTP/1.1 200 OK\r\n"):
        i = 0
        while conn.send(b"X-H%d: v\r\n" % i):
            i += 1


def short_body(conn: Conn) -> None:
    conn.send(head(Content_Type="application/json", Content_Length="500") + b'{"results": {"a": 1')


def reset_mid_body(conn: Conn) -> None:
    import struct

    conn.send(head(Content_Type="application/json", Content_Length="500") + b'{"results": [')
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST on close


def close_at_once(conn: Conn) -> None:
    pass


def garbage_status(conn: Conn) -> None:
    conn.send(b"SPARKPOST IS GREAT\r\n\r\n")


def rate_limited(retry_after: str) -> Behaviour:
    def behave(conn: Conn) -> None:
        body = b'{"errors": [{"message": "Too many requests"}]}'
        conn.send(head("429 Too Many Requests", Content_Type="application/json", Retry_After=retry_after,
                       Content_Length=str(len(body))) + body)

    return behave


def json_of_size(size: int) -> Behaviour:
    def behave(conn: Conn) -> None:
        pad = size - len(b'{"results": {"a": ""}}')
        body = b'{"results": {"a": "' + b"x" * pad + b'"}}'
        conn.send(head(Content_Type="application/json", Content_Length=str(len(body))) + body)

    return behave


def reply(status: str, body: bytes, content_type: str = "application/json", **headers: str) -> Behaviour:
    """One complete answer, whatever it holds; then the connection is held until the client hangs
    up (closing with the request body unread would reset it, and cut the answer short)."""
    def behave(conn: Conn) -> None:
        if conn.send(head(status, Content_Type=content_type, Content_Length=str(len(body)), Connection="close",
                          **headers) + body):
            silent(conn)

    return behave


def deeply_nested(status: str = "200 OK") -> Behaviour:
    """Valid JSON nested 100,000 deep: well under the size cap, beyond any parser's recursion."""
    return reply(status, b'{"results": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
