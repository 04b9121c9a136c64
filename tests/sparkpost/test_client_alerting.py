"""The client's IP pool, webhook, metrics and data-privacy calls against a scripted server:
typed models, the webhook test-batch refusal as WebhookTestFailed, credentials dropped from
models, malformed answers as InvalidResponse naming the field."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from provider.sparkpost import errors as E
from provider.sparkpost.models import WebhookAuth
from tests.sparkpost.sparkpost_stub import Reply, ok


def test_ip_pool_model_with_ips(stub, make_client):
    stub.script("GET", "/api/v1/ip-pools/marketing", ok({
        "id": "marketing", "name": "Marketing", "fbl_signing_domain": "sparkpostmail.com",
        "ips": [{"external_ip": "54.244.54.135", "hostname": "mta472a.sparkpostmail.com",
                 "auto_warmup_enabled": True, "auto_warmup_stage": 5},
                {"external_ip": "54.244.54.137", "hostname": "mta474a.sparkpostmail.com",
                 "auto_warmup_enabled": False}],
        "signing_domain": "example.com", "auto_warmup_overflow_pool": "overflow_pool"}))
    pool = make_client().get_ip_pool("marketing")
    assert (pool.id, pool.name, pool.signing_domain, pool.auto_warmup_overflow_pool) == \
        ("marketing", "Marketing", "example.com", "overflow_pool")
    assert [(ip.external_ip, ip.auto_warmup_stage) for ip in pool.ips] == [("54.244.54.135", 5), ("54.244.54.137", None)]


def test_ip_pool_malformed_ips_name_the_field(stub, make_client):
    stub.script("GET", "/api/v1/ip-pools/p", ok({"id": "p", "ips": [{"hostname": "x"}]}))
    with pytest.raises(E.InvalidResponse, match=r"results\.ips\[0\]\.external_ip"):
        make_client().get_ip_pool("p")


def test_update_ip_pool_sends_name_and_empty_strings_to_remove(stub, make_client):
    stub.script("PUT", "/api/v1/ip-pools/p", ok({"id": "p"}))
    make_client().update_ip_pool("p", name="P", signing_domain=None, fbl_signing_domain="f.example.com",
                                 auto_warmup_overflow_pool=None)
    assert json.loads(stub.requests[-1].body) == {"name": "P", "signing_domain": "", "fbl_signing_domain": "f.example.com",
                                                  "auto_warmup_overflow_pool": ""}


def test_webhook_test_batch_refusal_is_typed(stub, make_client):
    body = {"errors": [{"code": 400, "message": "POST to webhook target URL failed",
                        "response": {"body": "Bad Gateway", "headers": {"content-type": "text/plain"}, "status": 502}}]}
    stub.script("POST", "/api/v1/webhooks", Reply(400, body))
    with pytest.raises(E.WebhookTestFailed) as caught:
        make_client().create_webhook(name="n", target="https://t.example.com", events=["bounce"], active=True)
    assert caught.value.target_status == 502 and not caught.value.token_request
    assert isinstance(caught.value, E.BadRequest)
    stub.script("POST", "/api/v1/webhooks", Reply(400, {"errors": [{"message": "name is required"}]}))
    with pytest.raises(E.BadRequest) as plain:
        make_client().create_webhook(name="", target="https://t.example.com", events=["bounce"], active=True)
    assert not isinstance(plain.value, E.WebhookTestFailed)


def test_webhook_auth_body_and_scope_header(stub, make_client):
    stub.script("POST", "/api/v1/webhooks", ok({"id": "w1", "links": []}))
    hook_id = make_client().create_webhook(
        name="n", target="https://t.example.com", events=["bounce"], active=False, subaccount=0,
        auth=WebhookAuth("oauth2", token_url="https://t.example.com/token", client_id="c", client_secret="s3"))
    req = stub.requests[-1]
    assert hook_id == "w1" and req.headers["X-MSYS-SUBACCOUNT"] == "0"
    sent = json.loads(req.body)
    assert sent["auth_type"] == "oauth2" and sent["active"] is False
    assert sent["auth_request_details"] == {"url": "https://t.example.com/token", "body": {
        "client_id": "c", "client_secret": "s3", "grant_type": "client_credentials"}}


def test_webhook_model_drops_credentials(stub, make_client):
    stub.script("GET", "/api/v1/webhooks/w1", ok({
        "name": "n", "target": "https://t.example.com", "events": ["bounce"], "active": True,
        "exception_subaccounts": ["123"], "auth_type": "basic",
        "auth_credentials": {"username": "u", "password": "hunter2"}, "auth_request_details": {},
        "auth_token": "", "custom_headers": {"x-api-key": "abcd"}}))
    hook = make_client().get_webhook("w1")
    assert (hook.auth_type, hook.auth_username, hook.exception_subaccounts) == ("basic", "u", ["123"])
    assert "hunter2" not in repr(hook)
    assert hook.secret_sha256 == hashlib.sha256(b"hunter2").hexdigest()  # to tell a changed one, not the secret


@pytest.mark.parametrize("auth, expected", [
    ({"auth_type": "oauth2", "auth_request_details": {"url": "https://t.example.com/token",
                                                      "body": {"client_id": "c", "client_secret": "s3"}}}, "s3"),
    ({"auth_type": "basic", "auth_credentials": {"username": "u"}}, None),  # no password returned: nothing to compare
    ({"auth_type": "none", "auth_credentials": {"username": "u", "password": "left"}}, None),
])
def test_webhook_model_secret_digest(stub, make_client, auth, expected):
    stub.script("GET", "/api/v1/webhooks/w1", ok({
        "name": "n", "target": "https://t.example.com", "events": ["bounce"], **auth}))
    hook = make_client().get_webhook("w1")
    assert hook.secret_sha256 == (hashlib.sha256(expected.encode()).hexdigest() if expected else None)


def test_metrics_query_parameters_and_bad_rows(stub, make_client):
    stub.script("GET", "/api/v1/metrics/deliverability/subaccount",
                ok([{"subaccount_id": 7, "count_sent": 10, "count_bounce": 1}]),
                ok([{"subaccount_id": 7, "count_sent": "ten"}]))
    client = make_client()
    start = dt.datetime(2026, 11, 30, 8, 5, 33, tzinfo=dt.timezone.utc)
    [row] = client.deliverability_by_subaccount(start=start, end=start + dt.timedelta(hours=1), subaccounts=[7])
    assert (row.subaccount_id, row.sent, row.rate("bounce"), row.rate("spam_complaint")) == (7, 10, 0.1, None)
    q = parse_qs(urlsplit(stub.requests[-1].path).query)
    assert q["from"] == ["2026-11-30T08:05"] and q["to"] == ["2026-11-30T09:05"] and q["subaccounts"] == ["7"]
    assert q["limit"] == ["10000"] and "count_spam_complaint" in q["metrics"][0]
    with pytest.raises(E.InvalidResponse, match="count_sent"):
        client.deliverability_by_subaccount(start=start, subaccounts=[7])


def test_data_privacy_request(stub, make_client):
    stub.script("POST", "/api/v1/data-privacy/rtbf-request", ok({"message": "Request saved."}))
    client = make_client()
    assert client.data_privacy_request("rtbf", ["a@example.com"], include_subaccounts=True) == "Request saved."
    assert json.loads(stub.requests[-1].body) == {"recipients": ["a@example.com"], "include_subaccounts": True}
    with pytest.raises(ValueError):
        client.data_privacy_request("forget", ["a@example.com"])
    with pytest.raises(ValueError):
        client.data_privacy_request("rtbf", ["a@example.com"] * 1001)
