"""Responses class, from the transport's side: sizes, timing and broken HTTP from a hostile
server on 127.0.0.1 (tests/adversarial/hostile_http.py), against the real SparkPost client.

Every case ends in a typed error whose text names the method and the path, within a bounded
number of attempts (never the whole retry budget for a server that trickles bytes or sends an
endless body), with the body read by streaming under the cap. The figures are shrunk for speed
(a 0.5 s request deadline, a 1 MiB cap); the defaults are 30 s and 32 MiB. The end-to-end
cases (the unreachable base_url at the provider block) are at the end.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import socket
import time
from typing import Any, Callable, Iterator

import pytest

from provider.sparkpost import errors as E
from provider.sparkpost.client import SparkPostClient

from . import hostile_http as H

API_KEY = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7abcd"
CAP = 1024 * 1024
DEADLINE = 0.5


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def serve() -> Iterator[Callable[[H.Behaviour], H.HostileServer]]:
    servers: list[H.HostileServer] = []

    def start(behaviour: H.Behaviour) -> H.HostileServer:
        servers.append(H.HostileServer(behaviour))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def client_for(server: H.HostileServer, **kw: Any) -> SparkPostClient:
    c = SparkPostClient(API_KEY, base_url=server.url, timeout=kw.pop("timeout", DEADLINE),
                        retry_deadline=kw.pop("retry_deadline", 20), max_retries=kw.pop("max_retries", 4))
    c.max_response_bytes = CAP
    c.retry_policy = dataclasses.replace(c.retry_policy, backoff_base=0.01, backoff_cap=0.05, **kw)
    return c


def call(c: SparkPostClient, method: str) -> Any:
    if method == "GET":
        return c.get_subaccount(7)
    if method == "PUT":
        return c.update_subaccount(7, name="x")
    return c.create_subaccount("x")


PATH = {"GET": "/subaccounts/7", "PUT": "/subaccounts/7", "POST": "/subaccounts"}


def check_error(err: E.SparkPostError, method: str, *phrases: str) -> None:
    text = str(err)
    assert f"{method} {PATH[method]}" in text, text
    for p in phrases:
        assert p in text, f"{p!r} not in {text!r}"
    assert "Traceback" not in text and API_KEY not in text
    assert len(text) < 2000


# ---------------------------------------------------------------- timing: the whole-exchange deadline

SLOW = {
    "slow-headers": H.slow_headers,
    "silent-after-request": H.silent,
    "slow-loris-body": H.slow_body,
    "slow-chunked-endless": H.slow_chunked,
    "endless-100-continue": H.endless_continue,
}


@pytest.mark.parametrize("method", ["GET", "PUT", "POST"])
@pytest.mark.parametrize("name", list(SLOW))
def test_slow_server_hits_the_deadline(serve: Any, name: str, method: str) -> None:
    server = serve(SLOW[name])
    c = client_for(server)
    with pytest.raises(E.TransportError) as info:
        call(c, method)
    err = info.value
    check_error(err, method, f"no complete response within {DEADLINE:g} s")
    if method == "POST":
        # a create whose answer never completed may have happened: not resent blindly
        assert server.count == 1 and err.attempts == 1 and "Not retried" in str(err)
    else:
        # a server that slow gets one more try, not the whole retry budget (4 retries, 20 s)
        assert server.count == 2 and err.attempts == 2
        assert "gave up after 2 attempts" in str(err) and "retried only 1 time" in str(err)


# ---------------------------------------------------------------- sizes: the body cap, read by streaming

TOO_BIG = {
    "endless-chunked-body": H.endless_chunked,
    "endless-body-until-close": H.endless_until_close,
    "endless-error-body-500": H.endless_error_body,
    "content-length-10-GB": H.huge_content_length,
    "gzip-bomb-64-MB": H.gzip_bomb,
}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", list(TOO_BIG))
def test_oversized_body_is_cut_off_and_not_retried(serve: Any, name: str, method: str) -> None:
    server = serve(TOO_BIG[name])
    c = client_for(server, timeout=10)  # the cap, not the deadline, must end these
    with pytest.raises(E.InvalidResponse) as info:
        call(c, method)
    check_error(info.value, method, "larger than 1 MiB", "stopped reading")
    assert server.count == 1 and info.value.attempts == 1
    time.sleep(0.3)  # let the server notice the hang-up
    # streamed: the client hung up near the cap, it did not swallow the stream
    assert all(conn.sent < 8 * CAP for conn in server.connections), [conn.sent for conn in server.connections]


@pytest.mark.parametrize("size", [CAP - 1024, CAP // 2], ids=["just-under-the-cap", "half-the-cap"])
def test_large_body_under_the_cap_is_read(serve: Any, size: int) -> None:
    server = serve(H.json_of_size(size))
    c = client_for(server, timeout=10)
    c.get_account()  # parsed without error


# ---------------------------------------------------------------- broken HTTP

BROKEN = {
    "endless-header-line": (H.endless_header_line, ""),
    "endless-headers": (H.endless_headers, ""),
    "short-body-then-close": (H.short_body, ""),
    "reset-mid-body": (H.reset_mid_body, ""),
    "close-without-answer": (H.close_at_once, ""),
    "not-http": (H.garbage_status, ""),
}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_http_is_a_clear_bounded_error(serve: Any, name: str, method: str) -> None:
    behaviour, phrase = BROKEN[name]
    server = serve(behaviour)
    c = client_for(server, timeout=5)
    with pytest.raises(E.SparkPostError) as info:
        call(c, method)
    check_error(info.value, method, phrase)
    assert info.value.attempts <= 5  # max_retries 4: bounded, and POSTs are not resent blindly
    if method == "POST":
        assert info.value.attempts == 1


# ---------------------------------------------------------------- bodies no parser should trust

ODD_BODIES = {
    "nested-too-deep-200": (H.deeply_nested(), E.InvalidResponse, "nested too deeply"),
    "nested-too-deep-500": (H.deeply_nested("500 Internal Server Error"), E.ServerError, "500"),
    "nested-too-deep-400": (H.deeply_nested("400 Bad Request"), E.BadRequest, "400"),
    "unknown-charset-200": (H.reply("200 OK", b'{"results": {"id": 7, "name": "x"}}',
                                    "application/json; charset=x-bogus"), E.InvalidResponse, "is missing"),
    "unknown-charset-400": (H.reply("400 Bad Request", b'{"errors": [{"message": "bad name"}]}',
                                    "application/json; charset=x-bogus"), E.BadRequest, "bad name"),
}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", list(ODD_BODIES))
def test_odd_body_is_a_typed_error(serve: Any, name: str, method: str) -> None:
    """JSON nested beyond the parser's recursion, a charset Python does not know: a typed error
    naming the call (they were a RecursionError or LookupError: "Unexpected error" in Terraform)."""
    behaviour, kind, phrase = ODD_BODIES[name]
    c = client_for(serve(behaviour), max_retries=1)
    with pytest.raises(kind) as info:
        call(c, method)
    check_error(info.value, method, phrase)


def test_answer_for_another_subaccount_is_refused(serve: Any) -> None:
    """GET /subaccounts/7 answered with subaccount 8 would move the resource in state onto 8
    (and a destroy would terminate it)."""
    body = b'{"results": {"id": 8, "name": "other", "status": "active"}}'
    c = client_for(serve(H.reply("200 OK", body)))
    with pytest.raises(E.InvalidResponse) as info:
        c.get_subaccount(7)
    check_error(info.value, "GET", "'results.id' is '8'", "another object", "'7'")


@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "307 Temporary Redirect",
                                    "308 Permanent Redirect"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_redirect_to_another_host_is_not_followed_and_says_why(serve: Any, status: str, method: str) -> None:
    elsewhere = serve(H.reply("200 OK", b'{"results": {}}'))
    server = serve(H.reply(status, b"", Location=f"http://user:pw@localhost:{elsewhere.port}/api/v1/x"))
    c = client_for(server)
    with pytest.raises(E.SparkPostError) as info:
        call(c, method)
    check_error(info.value, method, status.split()[0], f"redirect to 'localhost:{elsewhere.port}'",
                "does not follow", "check base_url")
    assert "pw" not in str(info.value)
    assert server.count == 1 and elsewhere.count == 0  # never sent, so the key went nowhere else


def test_error_body_under_200_says_what_it_said(serve: Any) -> None:
    body = b'{"errors": [{"message": "Upstream quota exhausted", "code": "1902"}]}'
    c = client_for(serve(H.reply("200 OK", body)))
    with pytest.raises(E.InvalidResponse) as info:
        c.get_subaccount(7)
    check_error(info.value, "GET", "no 'results' member", "error body under status 200: Upstream quota exhausted")


# ---------------------------------------------------------------- Retry-After: capped, and said


@pytest.mark.parametrize("retry_after", ["290", "86400", "Wed, 21 Oct 2099 07:28:00 GMT"],
                         ids=["290-seconds", "one-day", "http-date-2099"])
def test_long_retry_after_is_capped_and_said(serve: Any, retry_after: str, caplog: pytest.LogCaptureFixture) -> None:
    server = serve(H.rate_limited(retry_after))
    c = client_for(server, max_retries=2, max_retry_after=0.2)
    caplog.set_level(logging.INFO, logger="provider.sparkpost")
    with pytest.raises(E.RateLimited) as info:
        c.get_subaccount(7)
    err = info.value
    assert server.count == 3 and err.attempts == 3  # it did retry, after the capped wait
    check_error(err, "GET", "gave up after 3 attempts", "(Retry-After); the provider waited at most 0.2 s per retry")
    assert re.search(r"asked to wait \d+ s", str(err))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "Retry-After" in r.getMessage()]
    assert warnings and "capped at 0.2 s" in warnings[0].getMessage()


@pytest.mark.parametrize("retry_after", ["1e400", "1e30", "Infinity"])
def test_absurd_retry_after_is_capped_and_said_sanely(serve: Any, retry_after: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """1e400 parses as infinity: the wait was capped, but the error said "asked to wait inf s"
    (and 1e30, thirty-one digits)."""
    server = serve(H.rate_limited(retry_after))
    c = client_for(server, max_retries=1, max_retry_after=0.2)
    caplog.set_level(logging.INFO, logger="provider.sparkpost")
    with pytest.raises(E.RateLimited) as info:
        c.get_subaccount(7)
    said = str(info.value) + " ".join(r.getMessage() for r in caplog.records)
    assert server.count == 2  # it did retry, after the capped wait
    assert "asked to wait more than 10^10 s (Retry-After)" in str(info.value), str(info.value)
    assert "inf" not in said.lower().replace("info", "") and not re.search(r"\d{12}", said), said


def test_retry_after_beyond_the_retry_deadline_gives_up_at_once(serve: Any) -> None:
    server = serve(H.rate_limited("290"))
    c = client_for(server, retry_deadline=0.1, max_retry_after=60)
    with pytest.raises(E.RateLimited) as info:
        c.get_subaccount(7)
    assert server.count == 1
    check_error(info.value, "GET", "Retry-After 290 s is beyond the retry deadline")


def test_default_policy_caps_retry_after_at_a_minute() -> None:
    assert SparkPostClient(API_KEY).retry_policy.max_retry_after == 60


# ---------------------------------------------------------------- unreachable base_url


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("method", ["GET", "PUT", "POST"])
def test_refused_connection_gets_a_small_budget_then_later_calls_fail_at_once(method: str) -> None:
    c = SparkPostClient(API_KEY, base_url=f"http://127.0.0.1:{closed_port()}", max_retries=8, retry_deadline=300)
    c.retry_policy = dataclasses.replace(c.retry_policy, backoff_base=0.01, backoff_cap=0.05)
    with pytest.raises(E.TransportError) as info:
        call(c, method)
    err = info.value
    assert err.unreachable and err.attempts == 3  # not 9 attempts over 300 s
    check_error(err, method, "Connection refused", "not the whole retry budget")
    for again in ("GET", "PUT", "POST"):
        with pytest.raises(E.TransportError) as info2:
            call(c, again)
        check_error(info2.value, again, "not sent", "could not be reached")
        assert info2.value.attempts == 1


def test_unresolvable_host_is_unreachable() -> None:
    c = SparkPostClient(API_KEY, base_url="http://sparkpost.invalid", max_retries=8)
    c.retry_policy = dataclasses.replace(c.retry_policy, backoff_base=0.01, backoff_cap=0.05)
    with pytest.raises(E.TransportError) as info:
        c.get_account()
    assert info.value.unreachable and info.value.attempts <= 3


# ---------------------------------------------------------------- end to end: the provider block


def _provider_hcl(base_url: str, extra: str = "") -> str:
    return ('terraform {\n  required_providers {\n    sparkpost = { source = "sourcegraph/sparkpost" }\n  }\n}\n'
            f'provider "sparkpost" {{\n  base_url = "{base_url}"\n{extra}}}\n'
            + "".join(f'resource "sparkpost_subaccount" "s{i}" {{\n  name = "s{i}"\n}}\n' for i in range(5)))


def test_unreachable_base_url_fails_at_the_provider_block_once(make_tf: Any) -> None:
    tf = make_tf(SPARKPOST_API_KEY="b" * 40)
    tf.write(_provider_hcl(f"http://127.0.0.1:{closed_port()}"))
    tf.init()
    started = time.monotonic()
    result = tf.run("plan", "-no-color", "-input=false", check=False)
    took = time.monotonic() - started
    out = result.stdout + result.stderr
    print(f"plan against a refused base_url failed after {took:.1f} s")
    assert result.returncode == 1, out
    assert out.count("Cannot reach SparkPost") == 1, out  # at the provider, not per resource
    assert "base_url" in out and "Connection refused" in out and "not the whole retry budget" in out
    assert "Traceback" not in out and "b" * 40 not in out


def test_unreachable_base_url_without_the_check_is_not_retried_per_resource(make_tf: Any) -> None:
    tf = make_tf(SPARKPOST_API_KEY="b" * 40)
    tf.write(_provider_hcl(f"http://127.0.0.1:{closed_port()}", "  skip_credentials_validation = true\n"))
    tf.write('import {\n  to = sparkpost_subaccount.s0\n  id = "1"\n}\n'
             'import {\n  to = sparkpost_subaccount.s1\n  id = "2"\n}\nimport {\n  to = sparkpost_subaccount.s2\n  id = "3"\n}\n',
             "imports.tf")
    tf.init()
    started = time.monotonic()
    result = tf.run("plan", "-no-color", "-input=false", "-parallelism=1", check=False)
    took = time.monotonic() - started
    out = result.stdout + result.stderr
    print(f"plan of 3 imports against a refused base_url (no credentials check) failed after {took:.1f} s")
    assert result.returncode == 1, out
    # at most the first import pays the connect retries; the others say at once why they fail
    assert out.count("not the whole retry budget") <= 1 and "could not be reached" in out, out
    assert "Traceback" not in out


def test_hostile_slow_server_plan_is_bounded(make_tf: Any, serve: Any) -> None:
    """A slow-loris body behind the provider block: the plan fails with the deadline's error."""
    server = serve(H.slow_body)
    tf = make_tf(SPARKPOST_API_KEY="b" * 40)
    tf.write(_provider_hcl(server.url, "  request_timeout = 1\n"))
    tf.init()
    result = tf.run("plan", "-no-color", "-input=false", check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "no complete response within 1 s" in out and "GET /account" in out, out
    assert server.count == 2  # one retry for a server that slow
    assert "Traceback" not in out




@pytest.mark.parametrize("behaviour,phrase", [
    (H.deeply_nested(), "nested too deeply"),
    (H.reply("200 OK", b'{"results": []}', "application/json; charset=x-bogus"), None),
], ids=["nested-too-deep", "unknown-charset"])
def test_odd_bodies_through_terraform_are_no_unexpected_error(make_tf: Any, serve: Any, behaviour: H.Behaviour,
                                                              phrase: str | None) -> None:
    """Every request answered so: the plan fails (or passes) with SparkPost's error, never
    "Unexpected error" (they were a RecursionError and a LookupError)."""
    server = serve(behaviour)
    tf = make_tf(SPARKPOST_API_KEY="b" * 40)
    tf.write(_provider_hcl(server.url, "  max_retries = 0\n") + 'data "sparkpost_subaccounts" "all" {}\n')
    tf.init()
    result = tf.run("plan", "-no-color", "-input=false", check=False)
    out = result.stdout + result.stderr
    assert "Unexpected error" not in out and "Traceback" not in out, out[-3000:]
    if phrase:
        assert result.returncode == 1 and phrase in " ".join(out.split()) and "GET /subaccounts" in out, out[-3000:]
    else:
        assert result.returncode == 0, out[-3000:]
