"""Hostile clients at the emulator's socket: requests no HTTP library sends (broken framing,
numbers that are not JSON, request lines that are not HTTP, clients that stall). Each gets a
SparkPost-shaped JSON error, or its connection closed, and never a traceback, an HTML page, a
read to end of stream or a thread kept forever."""

from __future__ import annotations

import json
import select
import socket
import time

import pytest

from provider.emulator import sp_server
from provider.emulator.sparkpost import Emulator
from tests.emulator.emu_helpers import OPERATOR_KEY


def _exchange(emu: Emulator, data: bytes, wait: float = 5.0) -> tuple[int, dict[str, object], bytes]:
    """Send raw bytes (the write side left open); the status, the JSON body and the raw answer."""
    with socket.create_connection(("127.0.0.1", emu.port), timeout=wait) as s:
        s.sendall(data)
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = s.recv(65536)
            assert chunk, f"closed without an answer: {raw!r}"
            raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        while len(body) < length:
            chunk = s.recv(65536)
            assert chunk, "closed mid-body"
            body += chunk
    status = int(head.split(b" ")[1])
    assert b"application/json" in head.lower(), head
    return status, json.loads(body), raw


def _post(extra_headers: bytes, body: bytes) -> bytes:
    return (b"POST /api/v1/subaccounts HTTP/1.1\r\nHost: x\r\nAuthorization: " + OPERATOR_KEY.encode()
            + b"\r\nContent-Type: application/json\r\n" + extra_headers + b"\r\n" + body)


def _sized(body: bytes) -> bytes:
    return _post(b"Content-Length: %d\r\n" % len(body), body)


@pytest.mark.parametrize("size_line", [b"-1", b"-5", b"+5", b"1_0", b""],
                         ids=["minus-one", "negative", "plus-sign", "underscore", "empty"])
def test_chunk_size_that_is_not_hex_is_400(emu: Emulator, size_line: bytes) -> None:
    """"-1" used to make the emulator read to the end of the stream (unbounded); "-5" closed the
    connection without an answer."""
    status, doc, _ = _exchange(emu, _post(b"Transfer-Encoding: chunked\r\n", size_line + b"\r\n" + b"x" * 100))
    assert status == 400 and doc["errors"]


@pytest.mark.parametrize("length", [b"1_5", b"+15", b"\xd9\xa1\xd9\xa5"], ids=["underscore", "plus", "arabic-digits"])
def test_content_length_that_is_not_ascii_digits_is_400(emu: Emulator, length: bytes) -> None:
    status, doc, _ = _exchange(emu, _post(b"Content-Length: " + length + b"\r\n", b'{"name": "abcdefghijklm"}'))
    assert status == 400 and "Content-Length" in json.dumps(doc)


@pytest.mark.parametrize("body", [b'{"name": NaN}', b'{"name": "x", "ip_pool": Infinity}', b'{"name": -Infinity}',
                                  b"[" * 100_000 + b"]" * 100_000],
                         ids=["nan", "infinity", "minus-infinity", "nested-100000-deep"])
def test_body_that_is_not_json_is_422_and_the_answer_is_json(emu: Emulator, body: bytes) -> None:
    """NaN was accepted and echoed back (`"value": NaN`: the answer itself not JSON); JSON nested
    100,000 deep was a 500 with a traceback on the emulator's stderr."""
    status, doc, raw = _exchange(emu, _sized(body))
    assert status == 422 and doc["errors"][0]["code"] == "1300", doc
    assert b"NaN" not in raw and b"Infinity" not in raw


@pytest.mark.parametrize("request_bytes,status", [
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n", 400),  # TLS to a plain port
    (b"GET /api/v1/account HTTP/9.9\r\n\r\n", 505),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET /api/v1/account HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    (b"GET /api/v1/account HTTP/1.1\r\n" + b"".join(b"X%d: v\r\n" % i for i in range(200)) + b"\r\n", 431),
    (b"BREW /api/v1/account HTTP/1.1\r\nHost: x\r\n\r\n", 501),
], ids=["tls-hello", "http-9.9", "request-line-70-KB", "header-70-KB", "200-headers", "unknown-method"])
def test_request_http_cannot_parse_gets_sparkposts_json_not_html(emu: Emulator, request_bytes: bytes,
                                                                 status: int) -> None:
    got, doc, raw = _exchange(emu, request_bytes)
    assert got == status and doc["errors"][0]["message"], raw[:300]
    assert b"<html" not in raw.lower()


def test_a_stalled_client_is_disconnected(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that connects and sends half a request, then nothing, no longer keeps its thread
    forever (IDLE_SECONDS; shortened here)."""
    assert sp_server._Handler.timeout == sp_server.IDLE_SECONDS <= 300  # http.server's default: None
    monkeypatch.setattr(sp_server._Handler, "timeout", 0.5)
    # Without the idle limit the emulator would wait for the rest forever: the recv would time
    # out (raising) instead of seeing the connection closed. (No tighter bound: a loaded machine
    # may take seconds to notice the 0.5 s idle spell.)
    with socket.create_connection(("127.0.0.1", emu.port), timeout=60) as s:
        s.sendall(b"GET /api/v1/acc")
        assert s.recv(1024) == b""  # closed by the emulator


@pytest.mark.parametrize("head,drip", [
    (b"", b"GET /api/v1/account HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: a\r\n" * 20),
    (_post(b"Content-Length: 200\r\n", b""), b"{" + b" " * 199),
], ids=["headers", "body"])
def test_a_client_that_drips_bytes_is_cut_off_at_the_request_deadline(
        emu: Emulator, monkeypatch: pytest.MonkeyPatch, head: bytes, drip: bytes) -> None:
    """One byte at a time, each well within the idle limit: every read got a byte in time, so
    the connection (and its thread) was held for as long as the client kept dripping. Now the
    whole request (headers and body) must arrive within REQUEST_SECONDS of its first byte."""
    assert sp_server.REQUEST_SECONDS <= 300
    monkeypatch.setattr(sp_server._Handler, "timeout", 1.0)  # each byte comes well within it
    monkeypatch.setattr(sp_server, "REQUEST_SECONDS", 1.5)
    with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as s:
        started = time.monotonic()
        s.sendall(head)
        closed_after = None
        for i in range(len(drip)):
            try:
                s.sendall(drip[i:i + 1])
            except OSError:  # reset: closed
                closed_after = time.monotonic() - started
                break
            readable, _, _ = select.select([s], [], [], 0.3)
            if readable:
                try:
                    got = s.recv(1024)
                except OSError:
                    got = b""
                assert got == b"", got  # no answer: the connection is closed
                closed_after = time.monotonic() - started
                break
        assert closed_after is not None, "the dripping client was never cut off"
        # cut at the 1.5 s request deadline, not at the end of a drip that takes at least
        # 0.3 s a byte (over a minute): a loaded machine cannot make the one look like the other
        assert 1.0 <= closed_after < 30, closed_after


@pytest.mark.parametrize("body,phrase", [
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),  # was a closed connection, no answer
    (b'{"rate_429": NaN}', "not valid JSON"),
    (b'{"latency_ms": 1e400}', "latency_ms must be a number from 0 to 600000"),  # was Infinity: endless sleeps
    (b'{"latency_ms": 1e12}', "latency_ms must be a number from 0 to 600000"),
], ids=["nested-100000-deep", "nan", "infinite-latency", "latency-of-31-years"])
def test_control_api_refuses_what_would_hang_or_break_it(emu: Emulator, body: bytes, phrase: str) -> None:
    request = (b"PUT /__emulator/faults HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body)) + body
    status, doc, raw = _exchange(emu, request)
    assert status == 400 and phrase in str(doc["error"]), doc
    assert b"Infinity" not in raw and b"NaN" not in raw
