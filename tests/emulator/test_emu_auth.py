"""Authentication and the grant matrix (reference sections 1.2, 3.3, 10.1)."""

from __future__ import annotations

import base64

import pytest
import requests

from tests.emulator.emu_helpers import OPERATOR_KEY, Api, make_subaccount

FORBIDDEN = {"errors": [{"message": "Forbidden."}]}


def test_operator_key_can_do_subaccounts_domains_metrics_but_not_api_keys(op):
    sid = make_subaccount(op)
    assert op.get("/subaccounts").status_code == 200
    assert op.put(f"/subaccounts/{sid}", {"name": "renamed"}).status_code == 200
    assert op.post("/sending-domains", {"domain": "mail.example.com", "generate_dkim": False}).status_code == 200
    assert op.post("/sending-domains", {"domain": "sub.example.com", "generate_dkim": False},
                   subaccount=sid).status_code == 200
    assert op.get("/metrics/deliverability", params={"from": "2025-01-01T00:00",
                                                      "metrics": "count_sent"}).status_code == 200
    for method, path, body in [("GET", "/api-keys", None), ("POST", "/api-keys", {"label": "x", "grants": ["smtp/inject"]}),
                               ("GET", "/api-keys/whatever", None), ("DELETE", "/api-keys/whatever", None),
                               ("GET", "/ip-pools", None), ("GET", "/account", None),
                               ("GET", "/tracking-domains", None)]:
        r = op.call(method, path, json=body)
        assert (r.status_code, r.json()) == (403, FORBIDDEN), (method, path)


def test_key_with_api_keys_manage_manages_keys(admin):
    r = admin.post("/api-keys", {"label": "ci", "grants": ["smtp/inject"]})
    assert r.status_code == 200
    key_id = r.json()["results"]["link"]["href"].rsplit("/", 1)[1]
    assert admin.get(f"/api-keys/{key_id}").status_code == 200
    assert admin.put(f"/api-keys/{key_id}", {"label": "ci2", "grants": ["smtp/inject"]}).status_code == 200
    assert admin.delete(f"/api-keys/{key_id}").status_code == 204


def test_view_grant_reads_but_cannot_write(emu):
    emu.add_key(key="1" * 40, grants=["subaccount/view"], label="viewer")
    viewer = Api(emu.url, "1" * 40)
    assert viewer.get("/subaccounts").status_code == 200
    assert viewer.get("/subaccounts/summary").status_code == 200
    r = viewer.post("/subaccounts", {"name": "x", "setup_api_key": False})
    assert (r.status_code, r.json()) == (403, FORBIDDEN)


@pytest.mark.parametrize("authorization", [None, "", "9" * 40, "Bearer " + OPERATOR_KEY,
                                           "Basic !!!notbase64", "Basic " + base64.b64encode(b"nope:").decode()])
def test_missing_or_unknown_key_is_401(emu, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    r = requests.get(emu.url + "/api/v1/subaccounts", headers=headers, timeout=5)
    assert r.status_code == 401
    assert r.json()["errors"][0]["message"]


def test_basic_auth_with_key_as_username(emu):
    basic = Api(emu.url, OPERATOR_KEY, basic=True)
    assert basic.get("/subaccounts").status_code == 200
    r = requests.get(emu.url + "/api/v1/subaccounts", auth=(OPERATOR_KEY, ""), timeout=5)
    assert r.status_code == 200


def test_valid_ips_are_enforced_with_401(emu):
    emu.add_key(key="2" * 40, grants=["subaccount/view"], valid_ips=["10.0.0.0/8"])
    emu.add_key(key="3" * 40, grants=["subaccount/view"], valid_ips=["192.168.0.1", "127.0.0.0/8"])
    emu.add_key(key="4" * 40, grants=["subaccount/view"], valid_ips=["127.0.0.1"])
    assert Api(emu.url, "2" * 40).get("/subaccounts").status_code == 401
    assert Api(emu.url, "3" * 40).get("/subaccounts").status_code == 200
    assert Api(emu.url, "4" * 40).get("/subaccounts").status_code == 200


def test_subaccount_key_is_confined_to_its_subaccount(emu, op):
    other = make_subaccount(op, "other")
    res = op.post("/subaccounts", {"name": "tenant", "key_label": "k",
                                   "key_grants": ["sending_domains/manage", "smtp/inject"]}).json()["results"]
    sid, sub_key = res["subaccount_id"], res["key"]
    op.post("/sending-domains", {"domain": "primary.example.com", "generate_dkim": False})
    op.post("/sending-domains", {"domain": "other.example.com", "generate_dkim": False}, subaccount=other)
    sub = Api(emu.url, sub_key)
    # X-MSYS-SUBACCOUNT is overwritten for subaccount keys: the domain lands in `sid`.
    r = sub.post("/sending-domains", {"domain": "mine.example.com", "generate_dkim": False}, subaccount=other)
    assert r.status_code == 200
    assert op.get("/sending-domains/mine.example.com").json()["results"]["subaccount_id"] == sid
    assert [d["domain"] for d in sub.get("/sending-domains").json()["results"]] == ["mine.example.com"]
    assert [d["domain"] for d in sub.get("/sending-domains", subaccount=0).json()["results"]] == ["mine.example.com"]
    assert sub.get("/sending-domains/primary.example.com").status_code == 404
    assert sub.get("/sending-domains/other.example.com", subaccount=other).status_code == 404
    assert sub.delete("/sending-domains/primary.example.com").status_code == 404
    # Primary-only areas are refused whatever the key holds.
    assert sub.get("/subaccounts").status_code == 403
    assert sub.get("/api-keys").status_code == 403


def test_subaccount_key_with_extra_grants_still_cannot_leave_its_scope(emu, op):
    sid = make_subaccount(op, "tenant")
    make_subaccount(op, "other")
    emu.add_key(key="5" * 40, grants=["subaccount/manage", "api_keys/manage", "metrics/view"], subaccount_id=sid)
    sub = Api(emu.url, "5" * 40)
    assert sub.get("/subaccounts").status_code == 403   # no nesting, even with the grant
    keys = sub.get("/api-keys").json()["results"]
    assert {k.get("subaccount_id") for k in keys} == {sid}
    emu.seed_metrics(0, count_sent=100)
    emu.seed_metrics(sid, count_sent=7)
    r = sub.get("/metrics/deliverability", params={"from": "2025-01-01T00:00", "metrics": "count_sent",
                                                    "subaccounts": "0"})
    assert r.json()["results"] == [{"count_sent": 7}]


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", "", "1a", "0x1"])
def test_subaccount_header_must_be_an_integer(op, value):
    r = op.get("/sending-domains", subaccount=value)
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "1200"


def test_subaccount_header_must_name_an_existing_subaccount(op):
    r = op.get("/sending-domains", subaccount=99)
    assert r.status_code == 400
    assert "99" in r.json()["errors"][0]["description"]
    assert op.get("/sending-domains", subaccount=0).status_code == 200


def test_suspended_subaccount_is_read_only(op):
    sid = make_subaccount(op)
    assert op.post("/sending-domains", {"domain": "a.example.com", "generate_dkim": False},
                   subaccount=sid).status_code == 200
    assert op.put(f"/subaccounts/{sid}", {"status": "suspended"}).status_code == 200
    assert op.get("/sending-domains/a.example.com", subaccount=sid).status_code == 200
    r = op.post("/sending-domains", {"domain": "b.example.com", "generate_dkim": False}, subaccount=sid)
    assert (r.status_code, r.json()) == (403, FORBIDDEN)
    assert op.delete("/sending-domains/a.example.com", subaccount=sid).status_code == 403
    assert op.put(f"/subaccounts/{sid}", {"status": "active"}).status_code == 200
    assert op.delete("/sending-domains/a.example.com", subaccount=sid).status_code == 204


def test_authenticate_grants_lists_primary_and_subaccount_sets(op):
    primary = {g["key"] for g in op.get("/authenticate/grants").json()["results"]}
    sub = op.get("/authenticate/grants", params={"role": "subaccount"}).json()["results"]
    assert {"subaccount/manage", "api_keys/manage", "metrics/view", "sending_domains/manage"} <= primary
    assert {g["key"] for g in sub} == {
        "smtp/inject", "sending_domains/manage", "tracking_domains/view", "tracking_domains/manage",
        "message_events/view", "suppression_lists/manage", "transmissions/view", "transmissions/modify",
        "webhooks/view", "webhooks/modify"}  # the reference's list (subaccounts.apib key_grants)
    assert all({"key", "label", "description"} <= set(g) for g in sub)
