"""Subaccounts: validation, pagination, status rules (reference section 2)."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import pytest

from tests.emulator.emu_helpers import make_subaccount


def _errors(r):
    assert r.status_code == 400, r.text
    return r.json()["errors"]


def test_create_validation_messages(op):
    errs = _errors(op.post("/subaccounts", {}))
    assert {"message": "`name` is a required field", "param": "name", "value": None} in errs
    assert {"message": "`key_label` is a required field", "param": "key_label", "value": None} in errs
    assert {"message": "`key_grants` is a required field", "param": "key_grants", "value": None} in errs
    errs = _errors(op.post("/subaccounts", {"name": "n" * 65, "setup_api_key": False}))
    assert errs == [{"message": "name must be 64 characters or less", "param": "name", "value": "n" * 65}]
    assert op.post("/subaccounts", {"name": "n" * 64, "setup_api_key": False}).status_code == 200
    errs = _errors(op.post("/subaccounts", {"name": "x", "setup_api_key": False, "ip_pool": "$invalid chars"}))
    assert errs == [{"message": "ip_pool must be alphanumeric and underscore", "param": "ip_pool",
                     "value": "$invalid chars"}]
    assert op.get("/subaccounts/summary").json()["results"]["total"] == 1  # failed creates left nothing


def test_unknown_ip_pool_is_accepted_as_sparkpost_does(op):
    # Only length and characters are checked ("Minimal validation is done against the value
    # set in the IP pool ID", support-docs user-guide/subaccounts.md).
    r = op.post("/subaccounts", {"name": "x", "setup_api_key": False, "ip_pool": "missing_pool"})
    assert r.status_code == 200, r.text
    sid = r.json()["results"]["subaccount_id"]
    assert op.get(f"/subaccounts/{sid}").json()["results"]["ip_pool"] == "missing_pool"
    assert op.put(f"/subaccounts/{sid}", {"ip_pool": "typo_pool"}).status_code == 200
    assert op.get(f"/subaccounts/{sid}").json()["results"]["ip_pool"] == "typo_pool"


def test_key_grants_and_valid_ips_validation(op):
    errs = _errors(op.post("/subaccounts", {"name": "x", "key_label": "k", "key_grants": ["metrics/view"]}))
    assert errs[0]["param"] == "key_grants"
    assert errs[0]["message"].startswith("Invalid `key_grants value`. Supported values are: 'smtp/inject'")
    errs = _errors(op.post("/subaccounts", {"name": "x", "key_label": "k", "key_grants": ["smtp/inject"],
                                            "key_valid_ips": "10.0.0.1"}))
    assert errs == [{"message": "`key_valid_ips` must be an Array", "param": "key_valid_ips", "value": None}]
    for bad in (["::1"], ["2001:db8::/32"], ["10.0.0.0/33"], ["300.1.1.1"], ["not-an-ip"]):
        errs = _errors(op.post("/subaccounts", {"name": "x", "key_label": "k", "key_grants": ["smtp/inject"],
                                                "key_valid_ips": bad}))
        assert errs[0]["message"] == "`key_valid_ips` must have valid netmask values", bad
    r = op.post("/subaccounts", {"name": "x", "key_label": "k", "key_grants": ["smtp/inject", "webhooks/modify"],
                                 "key_valid_ips": ["10.0.0.0/8", "192.168.1.1"]})
    assert r.status_code == 200
    # The subaccount guide lists templates for subaccount keys, the reference's key_grants
    # list does not: the reference wins.
    for grant in ("templates/view", "templates/modify", "templates/preview"):
        errs = _errors(op.post("/subaccounts", {"name": "x", "key_label": "k", "key_grants": ["smtp/inject", grant]}))
        assert errs[0]["param"] == "key_grants", grant


def test_ip_pool_assign_and_unassign(emu, op):
    assert [p["id"] for p in emu.dump_state()["ip_pools"]] == ["default"]  # implicit pool
    sid = make_subaccount(op, ip_pool="default")
    assert op.get(f"/subaccounts/{sid}").json()["results"]["ip_pool"] == "default"
    assert op.put(f"/subaccounts/{sid}", {"ip_pool": ""}).status_code == 200
    assert "ip_pool" not in op.get(f"/subaccounts/{sid}").json()["results"]
    errs = _errors(op.put(f"/subaccounts/{sid}", {"ip_pool": "an_ip_pool_name_that_is_too_long"}))
    assert errs == [{"message": "ip_pool must be 20 characters or less", "param": "ip_pool",
                     "value": "an_ip_pool_name_that_is_too_long"}]


def test_partial_update_keeps_other_fields(op):
    sid = make_subaccount(op, "keep-me", options={"deliverability": True})
    assert op.put(f"/subaccounts/{sid}", {"status": "suspended"}).status_code == 200
    got = op.get(f"/subaccounts/{sid}").json()["results"]
    assert (got["name"], got["status"], got["options"]) == ("keep-me", "suspended", {"deliverability": True})
    errs = _errors(op.put(f"/subaccounts/{sid}", {"status": "deleted"}))
    assert errs[0]["param"] == "status"


def test_terminated_is_final(op):
    sid = make_subaccount(op, "doomed")
    assert op.put(f"/subaccounts/{sid}", {"status": "terminated"}).status_code == 200
    for change in ({"status": "active"}, {"status": "suspended"}, {"name": "revived"}, {"ip_pool": "default"},
                   {"options": {"deliverability": True}}):
        r = op.put(f"/subaccounts/{sid}", change)
        assert r.status_code == 400, change
        assert set(r.json()["errors"][0]) == {"message", "param", "value"}
    # A retried terminate changes nothing and succeeds (safe for a retried destroy).
    assert op.put(f"/subaccounts/{sid}", {"status": "terminated"}).status_code == 200
    got = op.get(f"/subaccounts/{sid}").json()["results"]
    assert (got["name"], got["status"]) == ("doomed", "terminated")
    assert [s["id"] for s in op.get("/subaccounts").json()["results"]] == [sid]  # still listed


def test_get_invalid_and_unknown_ids(op):
    assert op.get("/subaccounts/abc").status_code == 400
    r = op.get("/subaccounts/999")
    assert (r.status_code, r.json()) == (404, {"errors": [{"message": "Resource could not be found"}]})
    assert op.put("/subaccounts/999", {"name": "x"}).status_code == 404


def test_pagination_follows_links_next(op):
    ids = [make_subaccount(op, f"tenant-{i}") for i in range(7)]
    seen, pages = [], 0
    url = "/subaccounts?cursor=initial&per_page=3&sort_by=id&order=asc"
    while url:
        body = op.get(url).json()
        pages += 1
        assert body["total_count"] == 7
        assert len(body["results"]) <= 3
        seen += [s["id"] for s in body["results"]]
        nxt = body.get("links", {}).get("next")
        if nxt:
            assert nxt.startswith("/api/v1/subaccounts?")
            cursor = parse_qs(urlparse(nxt).query)["cursor"][0]
            assert cursor not in ("initial",) and base64.urlsafe_b64decode(cursor + "==")  # opaque base64
            url = nxt[len("/api/v1"):]
        else:
            url = None
    assert (seen, pages) == (ids, 3)


def test_pagination_defaults_to_created_at_desc_and_per_page_25(op):
    ids = [make_subaccount(op, f"t{i}") for i in range(30)]
    body = op.get("/subaccounts", params={"cursor": "initial"}).json()
    assert body["total_count"] == 30
    assert [s["id"] for s in body["results"]] == list(reversed(ids))[:25]
    assert "next" in body["links"]


def test_any_filter_switches_to_paginated_mode(op):
    make_subaccount(op, "Joe's Garage")
    make_subaccount(op, "Other")
    body = op.get("/subaccounts", params={"name": "garage"}).json()
    assert body["total_count"] == 1 and body["results"][0]["name"] == "Joe's Garage"
    body = op.get("/subaccounts", params={"ids": "2"}).json()
    assert [s["id"] for s in body["results"]] == [2]
    body = op.get("/subaccounts", params={"status": "active"}).json()
    assert body["total_count"] == 2


@pytest.mark.parametrize("params", [{"per_page": "101"}, {"per_page": "0"}, {"sort_by": "colour"},
                                    {"order": "sideways"}, {"cursor": "garbage!"}, {"status": "zombie"}])
def test_bad_pagination_parameters_are_400(op, params):
    errs = _errors(op.get("/subaccounts", params=params))
    assert set(errs[0]) == {"message", "param", "value"}


def test_per_page_100_is_allowed(op):
    make_subaccount(op)
    assert op.get("/subaccounts", params={"per_page": "100"}).status_code == 200
