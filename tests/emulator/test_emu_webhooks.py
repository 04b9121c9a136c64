"""Webhooks: the test batch to the target, auth styles, scope, grants (webhooks.apib)."""

from __future__ import annotations

import base64
import json
from typing import Iterator

import pytest

from tests.emulator.emu_helpers import OPERATOR_KEY, Api, make_subaccount
from provider.emulator.sparkpost import Emulator
from tests.webhook_receiver import TOKEN, Receiver

HOOK_KEY = "ab" * 20
HOOK_GRANTS = ["webhooks/view", "webhooks/modify", "subaccount/manage"]


@pytest.fixture
def hooks(emu: Emulator) -> Api:
    emu.add_key(key=HOOK_KEY, grants=HOOK_GRANTS, label="webhooks")
    return Api(emu.url, HOOK_KEY)


@pytest.fixture
def target() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def _body(url: str, **extra: object) -> dict[str, object]:
    return {"name": "alerts", "target": url + "/hook", "events": ["bounce", "spam_complaint"], **extra}


def test_create_sends_the_sample_batch_and_get_returns_the_documented_shape(hooks, target):
    r = hooks.post("/webhooks", _body(target.url, custom_headers={"x-api-key": "abcd"},
                                      exception_subaccounts=[7]))
    assert r.status_code == 200, r.text
    hook_id = r.json()["results"]["id"]
    assert r.json()["results"]["links"][0]["href"] == f"/api/v1/webhooks/{hook_id}"
    [batch] = target.batches()
    assert json.loads(batch["body"]) == [{"msys": {}}]
    assert batch["headers"]["x-api-key"] == "abcd" and "x-messagesystems-batch-id" in batch["headers"]
    got = hooks.get(f"/webhooks/{hook_id}").json()["results"]
    assert got["name"] == "alerts" and got["active"] is True and got["auth_type"] == "none"
    assert got["events"] == ["bounce", "spam_complaint"] and got["exception_subaccounts"] == ["7"]
    assert [h["id"] for h in hooks.get("/webhooks").json()["results"]] == [hook_id]


def test_target_not_answering_200_refuses_the_webhook(hooks, target):
    target.status = 502
    r = hooks.post("/webhooks", _body(target.url))
    assert r.status_code == 400
    err = r.json()["errors"][0]
    assert err["code"] == 400 and err["message"] == "POST to webhook target URL failed"
    assert err["response"]["status"] == 502
    assert hooks.get("/webhooks").json()["results"] == []


def test_unreachable_target_is_refused(hooks, target):
    url = target.url
    target.close()
    r = hooks.post("/webhooks", _body(url))
    assert r.status_code == 400 and r.json()["errors"][0]["response"]["status"] == 0


def test_basic_and_oauth2_authentication(hooks, target):
    r = hooks.post("/webhooks", _body(target.url, auth_type="basic",
                                      auth_credentials={"username": "u", "password": "p4ss"}))
    assert r.status_code == 200, r.text
    assert target.batches()[-1]["headers"]["authorization"] == "Basic " + base64.b64encode(b"u:p4ss").decode()
    # GET shows credentials in clear, as the documented samples do.
    got = hooks.get(f"/webhooks/{r.json()['results']['id']}").json()["results"]
    assert got["auth_credentials"] == {"username": "u", "password": "p4ss"}
    r = hooks.post("/webhooks", _body(target.url, auth_type="oauth2", auth_request_details={
        "url": target.url + "/token", "body": {"client_id": "c", "client_secret": "s"}}))
    assert r.status_code == 200, r.text
    assert target.batches()[-1]["headers"]["authorization"] == f"Bearer {TOKEN}"
    target.token_status = 401
    r = hooks.post("/webhooks", _body(target.url, auth_type="oauth2", auth_request_details={
        "url": target.url + "/token", "body": {"client_id": "c"}}))
    assert r.status_code == 400 and r.json()["errors"][0]["message"] == "POST to webhook tokens URL failed"


@pytest.mark.parametrize("patch, fragment", [
    ({"target": "ftp://x.example.com/"}, "http or https"),
    ({"target": "http://hooks.example.com:8080/x"}, "ports 80"),
    ({"events": []}, "events"),
    ({"events": ["nope"]}, "unknown event type"),
    ({"name": ""}, "name"),
    ({"active": "yes"}, "active"),
    ({"auth_type": "digest"}, "auth_type"),
    ({"auth_type": "basic"}, "username"),
    ({"auth_type": "oauth2"}, "auth_request_details"),
    ({"exception_subaccounts": [1, 1]}, "exception_subaccounts"),
    ({"exception_subaccounts": list(range(11))}, "exception_subaccounts"),
])
def test_bad_input_is_refused_before_any_post(hooks, target, patch, fragment):
    r = hooks.post("/webhooks", _body(target.url, **patch))
    assert r.status_code == 400 and fragment in r.json()["errors"][0]["description"]
    assert target.batches() == []


def test_update_retests_only_a_new_target_and_delete(hooks, target):
    hook_id = hooks.post("/webhooks", _body(target.url)).json()["results"]["id"]
    assert hooks.put(f"/webhooks/{hook_id}", {"active": False}).status_code == 200
    assert len(target.batches()) == 1
    target.status = 500
    r = hooks.put(f"/webhooks/{hook_id}", {"target": target.url + "/other"})
    assert r.status_code == 400
    assert hooks.get(f"/webhooks/{hook_id}").json()["results"]["target"] == target.url + "/hook"
    target.status = 200
    assert hooks.put(f"/webhooks/{hook_id}", {"target": target.url + "/other"}).status_code == 200
    v = hooks.post(f"/webhooks/{hook_id}/validate")
    assert v.json()["results"]["msg"] == "Test POST to endpoint succeeded"
    assert hooks.delete(f"/webhooks/{hook_id}").status_code == 204
    assert hooks.get(f"/webhooks/{hook_id}").status_code == 404


def test_subaccount_scope_from_the_header(emu, hooks, target, op):
    sid = make_subaccount(op)
    everyone = hooks.post("/webhooks", _body(target.url)).json()["results"]["id"]
    scoped = hooks.post("/webhooks", _body(target.url), subaccount=sid).json()["results"]["id"]
    assert {h["id"] for h in hooks.get("/webhooks").json()["results"]} == {everyone, scoped}
    assert [h["id"] for h in hooks.get("/webhooks", subaccount=sid).json()["results"]] == [scoped]
    assert hooks.get(f"/webhooks/{everyone}", subaccount=sid).status_code == 404


def test_operator_key_lacks_the_webhooks_grant(emu, target):
    op = Api(emu.url, OPERATOR_KEY)
    assert op.get("/webhooks").status_code == 403
    assert op.post("/webhooks", _body(target.url)).status_code == 403
    assert target.batches() == []
    emu.add_key(key="cd" * 20, grants=["webhooks/view"])
    viewer = Api(emu.url, "cd" * 20)
    assert viewer.get("/webhooks").status_code == 200
    assert viewer.post("/webhooks", _body(target.url)).status_code == 403


def test_subaccount_key_is_scoped_and_suspended_subaccount_is_read_only(emu, hooks, target, op):
    sid = make_subaccount(op)
    emu.add_key(key="5e" * 20, grants=["webhooks/view", "webhooks/modify"], subaccount_id=sid)
    sub = Api(emu.url, "5e" * 20)
    own = sub.post("/webhooks", _body(target.url)).json()["results"]["id"]
    account_wide = hooks.post("/webhooks", _body(target.url)).json()["results"]["id"]
    assert [h["id"] for h in sub.get("/webhooks").json()["results"]] == [own]  # the key's scope is forced
    assert sub.get(f"/webhooks/{account_wide}").status_code == 404
    assert op.put(f"/subaccounts/{sid}", {"status": "suspended"}).status_code == 200
    assert sub.put(f"/webhooks/{own}", {"active": False}).status_code == 403
    assert sub.get(f"/webhooks/{own}").status_code == 200  # still readable
