"""Retry behaviour against the stub server: what is retried, how often, how long, and why not."""

from __future__ import annotations

import itertools
import logging
import random
import re
import socket
import threading
import time
from email.utils import formatdate

import pytest

from provider.sparkpost import errors as E
from provider.sparkpost.models import DomainStatus, InitialKey
from provider.sparkpost.retry import RetryPolicy, call_with_retries, parse_retry_after
from tests.sparkpost.sparkpost_stub import Reply, ok

TOO_MANY = Reply(429, {"errors": [{"message": "Too many requests"}]})
SUB_1 = {"id": 1, "name": "tenant", "status": "active"}


def gaps(stub) -> list[float]:
    times = [r.at for r in stub.requests]
    return [b - a for a, b in itertools.pairwise(times)]


# -- 429 ------------------------------------------------------------------------------------

def test_429_burst_absorbed_without_retry_after(stub, client):
    stub.script("GET", "/api/v1/subaccounts/1", TOO_MANY, TOO_MANY, TOO_MANY, ok(SUB_1))
    assert client.get_subaccount(1).id == 1
    assert stub.count() == 4


def test_429_burst_absorbed_with_retry_after_honoured(stub, client):
    limited = Reply(429, {"errors": [{"message": "Too many requests"}]},
                    headers={"Retry-After": "0.3"})
    stub.script("GET", "/api/v1/subaccounts/1", limited, limited, ok(SUB_1))
    assert client.get_subaccount(1).id == 1
    assert stub.count() == 3
    assert all(g >= 0.29 for g in gaps(stub)), gaps(stub)  # backoff alone is <= 0.05 s


def test_post_is_retried_on_429(stub, client):
    # A 429 means SparkPost refused the request before processing it: safe for a create.
    stub.script("POST", "/api/v1/subaccounts", TOO_MANY, ok({"subaccount_id": 7}))
    assert client.create_subaccount("tenant").id == 7
    assert stub.count("POST") == 2


def test_429_storm_gives_up_at_the_deadline(stub, make_client):
    stub.script("GET", "/api/v1/subaccounts/1", TOO_MANY)
    client = make_client(retry_deadline=1.0, max_retries=10_000)
    started = time.monotonic()
    with pytest.raises(E.RateLimited) as info:
        client.get_subaccount(1)
    elapsed = time.monotonic() - started
    # At the 1 s deadline, not at max_retries (10,000 attempts would take minutes of backoff);
    # the last attempt, after the deadline's last sleep, may take a while on a loaded machine.
    assert 0.9 <= elapsed < 30, elapsed
    err = info.value
    assert err.attempts == stub.count() > 5
    said = re.match(r"SparkPost API error 429 on GET /subaccounts/1: gave up after (\d+) attempts over ([\d.]+) s ",
                    str(err))
    assert said and int(said[1]) == err.attempts, str(err)
    assert 0.95 <= float(said[2]) <= elapsed + 0.05, str(err)  # the time it really spent, past the deadline
    assert "(retry deadline 1 s exhausted): rate limited (429): Too many requests." in str(err)


def test_retry_after_beyond_the_deadline_gives_up_at_once(stub, make_client):
    stub.script("GET", "/api/v1/x", Reply(429, None, headers={"Retry-After": "30"}))
    client = make_client(retry_deadline=2.0)
    started = time.monotonic()
    with pytest.raises(E.RateLimited, match="Retry-After 30 s is beyond the retry deadline 2 s"):
        client.request("GET", "/x")
    assert time.monotonic() - started < 5  # not the 30 s Retry-After
    assert stub.count() == 1


def test_max_retries_bounds_the_attempts(stub, make_client):
    stub.script("GET", "/api/v1/x", Reply(503, None))
    with pytest.raises(E.ServerError, match=r"gave up after 3 attempts over .* \(max_retries 2 "
                                            r"reached\): server error \(503\)"):
        make_client(max_retries=2).request("GET", "/x")
    assert stub.count() == 3


# -- 4xx surface at once ---------------------------------------------------------------------

@pytest.mark.parametrize("status,cls", [(400, E.BadRequest), (401, E.Unauthorized),
                                        (403, E.Forbidden), (404, E.NotFound),
                                        (409, E.Conflict), (422, E.Unprocessable)])
def test_4xx_surfaces_without_retry(stub, client, status, cls):
    stub.script("GET", "/api/v1/api-keys", Reply(status, {"errors": [{"message": "Forbidden."}]}))
    started = time.monotonic()
    with pytest.raises(cls) as info:
        client.list_api_keys()
    assert stub.count() == 1
    assert info.value.attempts == 1
    assert time.monotonic() - started < 2  # no backoff sleeps
    if status == 403:
        assert str(info.value) == "SparkPost API error 403 on GET /api-keys: Forbidden."


# -- 5xx --------------------------------------------------------------------------------------

def test_5xx_retried_on_get(stub, client):
    stub.script("GET", "/api/v1/sending-domains/a.example.com",
                Reply(500, None), Reply(502, "<html>bad gateway</html>"), Reply(503, None),
                Reply(504, None), ok({"status": {}}))
    assert client.get_sending_domain("a.example.com").status == DomainStatus()
    assert stub.count() == 5


def test_5xx_retried_on_put_and_delete(stub, client):
    stub.script("PUT", "/api/v1/subaccounts/4", Reply(503, None), ok({"message": "ok"}))
    stub.script("DELETE", "/api/v1/sending-domains/a.example.com", Reply(500, None), Reply(204))
    assert client.update_subaccount(4, status="active") is None
    assert client.delete_sending_domain("a.example.com") is None
    assert stub.count("PUT") == 2 and stub.count("DELETE") == 2


def test_delete_404_after_ambiguous_attempt_is_success(stub, client):
    # The first DELETE may have gone through before the 502: "already gone" is success.
    stub.script("DELETE", "/api/v1/sending-domains/a.example.com", Reply(502, None),
                Reply(404, {"errors": [{"message": "resource not found", "code": "1600"}]}))
    assert client.delete_sending_domain("a.example.com") is None
    assert stub.count() == 2


def test_delete_404_on_first_attempt_is_not_found(stub, client):
    stub.script("DELETE", "/api/v1/sending-domains/a.example.com",
                Reply(404, {"errors": [{"message": "resource not found", "code": "1600"}]}))
    with pytest.raises(E.NotFound):
        client.delete_sending_domain("a.example.com")


def test_post_not_duplicated_on_5xx(stub, client):
    stub.script("POST", "/api/v1/subaccounts", Reply(500, None), ok({"subaccount_id": 9}))
    with pytest.raises(E.ServerError) as info:
        client.create_subaccount("tenant", initial_key=InitialKey("k", ["smtp/inject"]))
    assert stub.count("POST") == 1
    assert "Not retried: POST is not idempotent and SparkPost may have applied it" in str(info.value)


def test_post_5xx_with_idempotency_check_finding_the_object(stub, client):
    stub.script("POST", "/api/v1/subaccounts", Reply(503, None), ok({"subaccount_id": 9}))
    calls = []

    def check():
        calls.append(1)
        return {"subaccount_id": 5}  # found: the first POST did create it

    assert client.create_subaccount("tenant", idempotency_check=check).id == 5
    assert stub.count("POST") == 1 and calls == [1]


def test_post_5xx_with_idempotency_check_not_finding_it_resends(stub, client):
    stub.script("POST", "/api/v1/sending-domains", Reply(502, None),
                ok({"message": "Successfully Created domain.", "domain": "a.example.com"}))
    assert client.create_sending_domain("a.example.com", idempotency_check=lambda: None) is None
    assert stub.count("POST") == 2


def test_verify_post_is_retried_because_it_only_reads_dns(stub, client):
    stub.script("POST", "/api/v1/sending-domains/a.example.com/verify", Reply(503, None),
                ok({"dkim_status": "valid"}))
    assert client.verify_sending_domain("a.example.com", dkim_verify=True).status.dkim_status == "valid"
    assert stub.count() == 2


# -- transport faults -------------------------------------------------------------------------

def test_read_timeout_retried_on_get(stub, make_client):
    # The first answer is held until the test ends: it cannot arrive before the 0.3 s deadline
    # however late the watchdog thread wakes on a loaded machine (a 5 s delay once did).
    stub.script("GET", "/api/v1/x", Reply(200, {"results": {}}, held=True), ok({"n": 2}))
    client = make_client(timeout=0.3, retry_deadline=60.0)
    assert client.request("GET", "/x") == {"n": 2}
    assert stub.count() == 2
    assert stub.answered == 1  # the second; the first is still held


def test_read_timeout_not_retried_on_post(stub, make_client):
    stub.script("POST", "/api/v1/api-keys", Reply(200, {"results": {}}, held=True))
    client = make_client(timeout=0.3)
    with pytest.raises(E.TransportError) as info:
        client.create_api_key("k", ["smtp/inject"])
    err = info.value
    assert err.request_sent is True and err.status is None
    assert "no complete response within 0.3 s (request_timeout" in str(err)
    assert "Not retried" in str(err)
    assert stub.count() == 1 and stub.answered == 0


def test_dropped_connection_retried_on_get_not_on_post(stub, client):
    stub.script("GET", "/api/v1/x", Reply(drop=True), ok({"n": 1}))
    assert client.request("GET", "/x") == {"n": 1}
    assert stub.count("GET") == 2
    stub.script("POST", "/api/v1/subaccounts", Reply(drop=True), ok({"subaccount_id": 1}))
    with pytest.raises(E.TransportError, match="connection lost before a response arrived"):
        client.create_subaccount("t")
    assert stub.count("POST") == 1


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connect() is refused
    return port


def test_connect_refused_is_retried_even_for_post(make_client, caplog):
    client = make_client(base_url=f"http://127.0.0.1:{_closed_port()}", max_retries=3)
    caplog.set_level(logging.INFO, logger="provider.sparkpost")
    with pytest.raises(E.TransportError) as info:
        client.create_subaccount("tenant")
    err = info.value
    assert err.request_sent is False and err.unreachable
    # connect failures have their own small budget (2 retries), below max_retries
    assert err.attempts == 3
    assert str(err).startswith("SparkPost API request POST /subaccounts failed: gave up after 3 "
                               "attempts")
    assert "not the whole retry budget" in str(err)
    assert "could not connect to SparkPost" in str(err)
    assert "Connection refused" in str(err)
    retries = [r for r in caplog.records if "retry" in r.getMessage() and "giving up" not in r.getMessage()]
    assert len(retries) == 2
    # the next call does not try again: it fails at once, saying why
    caplog.clear()
    with pytest.raises(E.TransportError) as again:
        client.get_account()
    assert "not sent" in str(again.value) and "could not be reached" in str(again.value)
    assert "Connection refused" in str(again.value)
    assert not [r for r in caplog.records if "retry" in r.getMessage()]


# -- cancellation -----------------------------------------------------------------------------

class _SetOnRetry(logging.Handler):
    """Sets the event when the client logs that it will retry: it is then going to sleep."""

    def __init__(self, event: threading.Event) -> None:
        super().__init__()
        self.event = event

    def emit(self, record: logging.LogRecord) -> None:
        if "; retry " in record.getMessage():
            self.event.set()


def test_cancel_event_aborts_a_retry_sleep(stub, make_client):
    stub.script("GET", "/api/v1/x", Reply(429, None, headers={"Retry-After": "60"}))
    event = threading.Event()
    client = make_client(cancel_event=event, retry_deadline=120)
    # The cancel comes as the client starts its 60 s sleep (a Timer could fire before the
    # request was even sent on a loaded machine).
    handler = _SetOnRetry(event)
    logger = logging.getLogger("provider.sparkpost")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    started = time.monotonic()
    try:
        with pytest.raises(E.Cancelled) as info:
            client.request("GET", "/x")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert time.monotonic() - started < 30  # not the 60 s Retry-After
    assert str(info.value) == "SparkPost API request GET /x cancelled: the provider is stopping."
    assert isinstance(info.value.__cause__, E.RateLimited)
    assert stub.count() == 1


def test_cancelled_before_the_call_sends_nothing(stub, make_client):
    event = threading.Event()
    event.set()
    with pytest.raises(E.Cancelled):
        make_client(cancel_event=event).list_subaccounts()
    assert stub.count() == 0


# -- the loop and helpers without HTTP -------------------------------------------------------

def test_parse_retry_after():
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-1") is None
    assert parse_retry_after("soon") is None
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 7, usegmt=True), now=now) == pytest.approx(7)
    assert parse_retry_after(formatdate(now - 60, usegmt=True), now=now) == 0.0


def test_http_date_retry_after_end_to_end(stub, client):
    # HTTP dates have one-second resolution: "now + 1 s" means a wait of up to one second.
    date = formatdate(time.time() + 1, usegmt=True)
    stub.script("GET", "/api/v1/x", Reply(429, None, headers={"Retry-After": date}), ok({}))
    assert client.request("GET", "/x") == {}
    assert stub.count() == 2


def test_full_jitter_backoff_bounds():
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=20.0)
    rng = random.Random(1)
    for n, ceiling in [(0, 1.0), (1, 2.0), (3, 8.0), (5, 20.0), (60, 20.0)]:
        samples = [policy.backoff(n, rng) for _ in range(200)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # really spread over the whole range


def test_retry_sleeps_are_jittered_and_growing():
    policy = RetryPolicy(max_retries=6, deadline=100, backoff_base=1.0, backoff_cap=50)
    sleeps: list[float] = []

    class Clock:
        t = 0.0

        def __call__(self) -> float:
            return self.t

    clock = Clock()

    class RecordingEvent(threading.Event):
        def wait(self, timeout=None):
            sleeps.append(timeout)
            clock.t += timeout
            return False

    def attempt():
        raise E.ServerError("boom", status=503, method="GET", path="/x")

    with pytest.raises(E.ServerError, match="gave up after 7 attempts"):
        call_with_retries(attempt, policy=policy, method="GET", path="/x",
                          cancel_event=RecordingEvent(), rng=random.Random(3), clock=clock)
    assert len(sleeps) == 6
    assert all(0 <= s <= 2 ** i for i, s in enumerate(sleeps))


def test_unretryable_transport_error_surfaces():
    calls = []

    def attempt():
        calls.append(1)
        raise E.TransportError("TLS error", request_sent=False, retryable=False, method="GET",
                               path="/x")

    with pytest.raises(E.TransportError):
        call_with_retries(attempt, policy=RetryPolicy(backoff_base=0.001), method="GET",
                          path="/x")
    assert calls == [1]
