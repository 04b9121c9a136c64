"""StopProvider during a slow answer: idempotent requests are abandoned at once, creates are
waited for (abandoning one would leave what SparkPost made unrecorded)."""

from __future__ import annotations

import threading
import time

import pytest
from tests.sparkpost.sparkpost_stub import Reply, ok

from provider.sparkpost import errors as E


def test_cancel_abandons_a_slow_get_in_flight(stub, make_client):
    # StopProvider comes once the GET has reached SparkPost, whose answer is held until the test
    # ends: a Timer could fire before the request was sent, or after a slow answer, on a loaded
    # machine.
    event = threading.Event()
    stub.script("GET", "/api/v1/subaccounts/7", Reply(200, {"results": {"id": 7}}, held=True, on_arrival=event.set))
    client = make_client(cancel_event=event, timeout=10)
    with pytest.raises(E.Cancelled) as info:
        client.get_subaccount(7)
    # (not the 10 s deadline's way: that one ends "the provider is stopping." after a retry)
    assert str(info.value) == ("SparkPost API request GET /subaccounts/7 cancelled: the provider is stopping; "
                               "the request was abandoned before SparkPost answered.")
    assert stub.count() == 1  # sent once, never retried
    assert stub.answered == 0  # given up while SparkPost had not answered


def test_cancel_waits_for_a_create_in_flight(stub, make_client):
    # The cancel comes while the POST is at SparkPost, a second before its answer.
    event = threading.Event()
    stub.script("POST", "/api/v1/subaccounts",
                Reply(200, {"results": {"subaccount_id": 9}}, delay=1.0, on_arrival=event.set))
    client = make_client(cancel_event=event, timeout=10)
    started = time.monotonic()
    assert client.create_subaccount("x").id == 9  # the answer is not thrown away
    assert event.is_set() and stub.answered == 1
    assert time.monotonic() - started >= 1.0


def test_idempotent_post_is_abandoned_and_answers_still_arrive_normally(stub, make_client):
    event = threading.Event()
    stub.script("POST", "/api/v1/sending-domains/d.example/verify",
                Reply(200, {"results": {}}, held=True, on_arrival=event.set))
    stub.script("GET", "/api/v1/account", ok({"customer_id": 1}))
    client = make_client(cancel_event=event, timeout=10)
    assert client.get_account().customer_id == 1  # uncancelled: as before
    with pytest.raises(E.Cancelled, match="abandoned before SparkPost answered"):
        client.verify_sending_domain("d.example", dkim_verify=True)
    assert stub.count("POST") == 1 and stub.answered == 1  # the GET's answer only


def test_errors_of_an_abandonable_request_surface_unchanged(stub, make_client):
    stub.script("GET", "/api/v1/subaccounts/8", Reply(404, {"errors": [{"message": "not found"}]}))
    with pytest.raises(E.NotFound):
        make_client().get_subaccount(8)
    with pytest.raises(E.TransportError) as info:
        make_client(base_url="http://127.0.0.1:9", retry_deadline=0, max_retries=0).get_subaccount(8)
    assert info.value.request_sent is False
