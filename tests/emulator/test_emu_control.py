"""The /__emulator/ control API: request log, DNS, keys, metrics, state, reset."""

from __future__ import annotations

import json
import re

import requests

from tests.emulator.emu_helpers import ADMIN_KEY, OPERATOR_KEY, Api, make_subaccount


def _ctl(emu, method, path, body=None):
    return requests.request(method, emu.url + "/__emulator/" + path, json=body, timeout=5)


def test_request_log_counts_route_templates_and_resets(emu, op):
    sid = make_subaccount(op)
    op.get(f"/subaccounts/{sid}")
    op.get(f"/subaccounts/{sid}/")
    op.post("/sending-domains", {"domain": "a.example.com", "generate_dkim": False}, subaccount=sid)
    op.get("/sending-domains/a.example.com")
    op.get("/nothing")
    _ctl(emu, "GET", "state")  # control calls are not counted
    log = _ctl(emu, "GET", "requests").json()
    assert log["total"] == 6
    assert log["by_route"] == {
        "POST /api/v1/subaccounts": 1,
        "GET /api/v1/subaccounts/{id}": 2,
        "POST /api/v1/sending-domains": 1,
        "GET /api/v1/sending-domains/{domain}": 1,
        "GET (unmatched)": 1,
    }
    entry = log["log"][3]
    assert set(entry) == {"method", "path", "route", "status", "subaccount", "started", "time"}
    assert (entry["method"], entry["path"], entry["route"], entry["status"], entry["subaccount"]) == \
        ("POST", "/api/v1/sending-domains", "POST /api/v1/sending-domains", 200, sid)
    assert isinstance(entry["time"], float) and isinstance(entry["started"], float)
    assert entry["started"] <= entry["time"]
    assert OPERATOR_KEY not in json.dumps(log) and "Authorization" not in json.dumps(log)
    assert _ctl(emu, "DELETE", "requests").json()["total"] == 0
    log = emu.request_log()
    assert isinstance(log.pop("connections"), int)  # live: the calls above may still be closing
    assert log == {"total": 0, "arrived": 0, "in_flight": 0, "in_flight_by_route": {}, "by_route": {}, "log": []}


def test_dns_table_control(emu):
    rec = {"type": "TXT", "name": "s._domainkey.a.example.com", "value": "v=DKIM1; p=x"}
    assert _ctl(emu, "PUT", "dns", {"records": [rec]}).json() == {"records": [rec]}
    cname = {"type": "cname", "name": "a.example.com", "value": "sparkpostmail.com"}
    got = _ctl(emu, "POST", "dns", {"records": [cname]}).json()["records"]
    assert got == [rec, {**cname, "type": "CNAME"}]
    assert _ctl(emu, "GET", "dns").json()["records"] == got
    assert _ctl(emu, "PUT", "dns", {"records": []}).json() == {"records": []}
    _ctl(emu, "POST", "dns", rec)  # a bare record is accepted too
    assert _ctl(emu, "DELETE", "dns").json() == {"records": []}
    for bad in ({"records": [{"type": "SRV", "name": "x", "value": "y"}]}, {"records": [{"name": "x"}]},
                {"records": "nope"}):
        assert _ctl(emu, "PUT", "dns", bad).status_code == 400


def test_keys_control(emu, op):
    sid = make_subaccount(op)
    r = _ctl(emu, "POST", "keys", {"label": "gen", "grants": ["subaccount/view"]})
    assert r.status_code == 200 and set(r.json()) == {"id", "key"}
    assert re.match(r"^[0-9a-f]{40}$", r.json()["key"])
    assert Api(emu.url, r.json()["key"]).get("/subaccounts").status_code == 200
    given = "ab" * 20
    r = _ctl(emu, "POST", "keys", {"key": given, "label": "sub", "grants": ["sending_domains/manage"],
                                   "valid_ips": ["127.0.0.1"], "subaccount_id": sid})
    assert r.json()["key"] == given
    state_key = next(k for k in emu.dump_state()["keys"] if k["id"] == r.json()["id"])
    assert (state_key["subaccount_id"], state_key["valid_ips"], state_key["short_key"]) == (sid, ["127.0.0.1"], "abab")
    assert _ctl(emu, "POST", "keys", {"key": given, "grants": []}).status_code == 409
    assert _ctl(emu, "POST", "keys", {"key": "XYZ", "grants": []}).status_code == 400
    assert _ctl(emu, "POST", "keys", {"grants": [], "subaccount_id": 99}).status_code == 400
    assert _ctl(emu, "POST", "keys", {"grants": [], "valid_ips": ["::1"]}).status_code == 400


def test_metrics_seeding_and_queries(emu, op):
    s1 = make_subaccount(op)
    s2 = make_subaccount(op)
    _ctl(emu, "POST", "metrics", {"subaccount_id": 0, "count_sent": 100, "count_bounce": 1})
    _ctl(emu, "POST", "metrics", {"subaccount_id": s1, "count_sent": 10})
    _ctl(emu, "POST", "metrics", {"subaccount_id": s2, "count_sent": 5, "count_bounce": 2})
    q = {"from": "2025-01-01T00:00", "metrics": "count_sent,count_bounce"}
    body = op.get("/metrics/deliverability", params=q).json()
    assert body["results"] == [{"count_sent": 115, "count_bounce": 3}]
    assert body["links"][0]["rel"] == "deliverability"
    assert op.get("/metrics/deliverability", params={**q, "subaccounts": f"{s1},{s2}"}).json()["results"] == \
        [{"count_sent": 15, "count_bounce": 2}]
    assert op.get("/metrics/deliverability", params={**q, "subaccounts": "0"}).json()["results"] == \
        [{"count_sent": 100, "count_bounce": 1}]
    # The header is ignored by metrics (D-sub): still the whole account.
    assert op.get("/metrics/deliverability", params=q, subaccount=s1).json()["results"] == \
        [{"count_sent": 115, "count_bounce": 3}]
    rows = op.get("/metrics/deliverability/subaccount", params=q).json()["results"]
    assert rows == [{"count_sent": 100, "count_bounce": 1, "subaccount_id": 0},
                    {"count_sent": 10, "count_bounce": 0, "subaccount_id": s1},
                    {"count_sent": 5, "count_bounce": 2, "subaccount_id": s2}]
    assert op.get("/metrics/deliverability", params={"metrics": "count_sent"}).status_code == 400
    assert _ctl(emu, "POST", "metrics", {"subaccount_id": "x"}).status_code == 400
    assert _ctl(emu, "DELETE", "metrics").json() == {"metrics": []}


def test_state_dump_has_no_secrets(emu, op, admin):
    res = op.post("/subaccounts", {"name": "t", "key_label": "k", "key_grants": ["smtp/inject"]}).json()["results"]
    created = admin.post("/api-keys", {"label": "c", "grants": ["smtp/inject"]}).json()["results"]["key"]
    op.post("/sending-domains", {"domain": "a.example.com", "dkim_key_length": 1024})
    state = _ctl(emu, "GET", "state").json()
    text = json.dumps(state)
    for secret in (OPERATOR_KEY, ADMIN_KEY, res["key"], created):
        assert secret not in text
    assert "private" not in text and "key_sha256" not in text
    assert {"subaccounts", "keys", "sending_domains"} <= set(state)
    assert all({"id", "short_key", "label", "grants", "subaccount_id"} <= set(k) for k in state["keys"])
    assert [s["name"] for s in state["subaccounts"]] == ["t"]
    assert [d["domain"] for d in state["sending_domains"]] == ["a.example.com"]


def test_reset_clears_objects(emu, op):
    make_subaccount(op)
    emu.set_dns([{"type": "CNAME", "name": "a.example.com", "value": "sparkpostmail.com"}])
    state = _ctl(emu, "POST", "reset").json()
    assert (state["subaccounts"], state["keys"], state["sending_domains"], state["dns"]) == ([], [], [], [])
    assert op.get("/subaccounts").status_code == 401  # no key survives a reset
    # Ids start again from 1.
    emu.add_key(key=OPERATOR_KEY, grants=["subaccount/manage"])
    assert make_subaccount(op) == 1


def test_foreign_domains_and_health(emu, op):
    assert _ctl(emu, "PUT", "foreign-domains", {"domains": ["Other.org"]}).json() == {"domains": ["other.org"]}
    assert op.post("/sending-domains", {"domain": "x.other.org"}).json()["errors"][0]["code"] == "7004"
    assert _ctl(emu, "DELETE", "foreign-domains").json() == {"domains": []}
    assert _ctl(emu, "GET", "health").json() == {"ok": True, "region": "us"}


def test_unknown_control_path_and_method(emu):
    assert _ctl(emu, "GET", "nope").status_code == 404
    assert _ctl(emu, "PATCH", "faults").status_code == 405
    r = requests.put(emu.url + "/__emulator/faults", data="{bad", timeout=5)
    assert r.status_code == 400
