"""StopProvider during a slow answer: idempotent requests are abandoned at once, creates are
waited for (abandoning one would leave what SparkPost made unrecorded)."""

from __future__ import annotations

import threading
import time

import pytest
from tests.sparkpost.sparkpost_stub import Reply, ok

from provider.sparkpost import errors as E


def test_cancel_abandons_a_slow_get_in_flight(stub, make_client):
    stub.script("GET", "/api/v1/subaccounts/7", Reply(200, {"results": {"id": 7}}, delay=10.0))
    event = threading.Event()
    client = make_client(cancel_event=event, timeout=10)
    threading.Timer(0.3, event.set).start()
    started = time.monotonic()
    with pytest.raises(E.Cancelled) as info:
        client.get_subaccount(7)
    assert time.monotonic() - started < 5.0  # far from the 10 s answer, even on a loaded machine
    assert str(info.value) == ("SparkPost API request GET /subaccounts/7 cancelled: the provider is stopping; "
                               "the request was abandoned before SparkPost answered.")
    assert stub.count() == 1  # sent once, never retried


def test_cancel_waits_for_a_create_in_flight(stub, make_client):
    stub.script("POST", "/api/v1/subaccounts", Reply(200, {"results": {"subaccount_id": 9}}, delay=1.0))
    event = threading.Event()
    client = make_client(cancel_event=event, timeout=10)
    threading.Timer(0.2, event.set).start()
    started = time.monotonic()
    assert client.create_subaccount("x").id == 9  # the answer is not thrown away
    assert time.monotonic() - started >= 1.0


def test_idempotent_post_is_abandoned_and_answers_still_arrive_normally(stub, make_client):
    stub.script("POST", "/api/v1/sending-domains/d.example/verify", Reply(200, {"results": {}}, delay=3.0))
    stub.script("GET", "/api/v1/account", ok({"customer_id": 1}))
    event = threading.Event()
    client = make_client(cancel_event=event, timeout=10)
    assert client.get_account().customer_id == 1  # uncancelled: as before
    threading.Timer(0.2, event.set).start()
    with pytest.raises(E.Cancelled):
        client.verify_sending_domain("d.example", dkim_verify=True)


def test_errors_of_an_abandonable_request_surface_unchanged(stub, make_client):
    stub.script("GET", "/api/v1/subaccounts/8", Reply(404, {"errors": [{"message": "not found"}]}))
    with pytest.raises(E.NotFound):
        make_client().get_subaccount(8)
    with pytest.raises(E.TransportError) as info:
        make_client(base_url="http://127.0.0.1:9", retry_deadline=0, max_retries=0).get_subaccount(8)
    assert info.value.request_sent is False
