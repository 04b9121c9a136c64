"""IP pools (ip-pools.apib): documented messages, overflow rules, seeded IPs, grants."""

from __future__ import annotations

from tests.emulator.emu_helpers import OPERATOR_KEY, Api, make_subaccount
from provider.emulator.sparkpost import Emulator


def test_documented_errors_and_overflow_rules(admin):
    assert admin.post("/ip-pools", {"name": "Overflow"}).status_code == 200
    r = admin.post("/ip-pools", {"name": "Main", "auto_warmup_overflow_pool": "nope"})
    assert r.json() == {"errors": [{"message": "Auto Warmup Overflow Pool nope does not exist."}]}
    assert admin.post("/ip-pools", {"name": "Main", "auto_warmup_overflow_pool": "overflow",
                                    "fbl_signing_domain": "fbl.example.com"}).status_code == 200
    r = admin.post("/ip-pools", {"name": "Third", "auto_warmup_overflow_pool": "main"})
    assert r.json() == {"errors": [{"message": "main has an overflow pool and cannot be an overflow pool"}]}
    r = admin.put("/ip-pools/overflow", {"name": "Overflow", "auto_warmup_overflow_pool": "shared pool"})
    assert r.json() == {"errors": [{"message": "overflow is an overflow pool and cannot have an overflow pool"}]}
    assert admin.get("/ip-pools/nope").json() == {"errors": [{"message": "IP pool not found."}]}
    assert admin.put("/ip-pools/nope", {"name": "x"}).json() == {"errors": [{"message": "IP Pool nope does not exist."}]}
    assert admin.put("/ip-pools/default", {"name": "x"}).json() == {
        "errors": [{"message": "IP Pool default is reserved and cannot be updated."}]}
    assert admin.delete("/ip-pools/nope").status_code == 404
    r = admin.put("/ip-pools/main", {"name": "Main 2", "fbl_signing_domain": ""})
    assert r.status_code == 200 and "fbl_signing_domain" not in r.json()["results"]


def test_seeded_ips_move_to_default_on_delete(admin):
    seed = {"ip_pools": [{"id": "dedicated", "name": "Dedicated", "ips": [
        {"external_ip": "192.0.2.10", "hostname": "mta1.example.net", "auto_warmup_enabled": True,
         "auto_warmup_stage": 3}]}],
        "keys": [{"key": OPERATOR_KEY, "grants": ["ip_pools/manage", "subaccount/manage"]}],
        "subaccounts": [{"id": 3, "name": "big", "ip_pool": "dedicated"}]}
    with Emulator(seed=seed) as emu:
        api = Api(emu.url, OPERATOR_KEY)
        pool = api.get("/ip-pools/dedicated").json()["results"]
        assert pool["ips"] == [{"external_ip": "192.0.2.10", "hostname": "mta1.example.net",
                                "auto_warmup_enabled": True, "auto_warmup_stage": 3}]
        assert api.delete("/ip-pools/dedicated").status_code == 204
        assert api.get("/ip-pools/default").json()["results"]["ips"][0]["external_ip"] == "192.0.2.10"
        assert "ip_pool" not in api.get("/subaccounts/3").json()["results"]


def test_operator_key_lacks_the_ip_pools_grant(emu, op):
    assert op.get("/ip-pools").status_code == 403
    assert op.post("/ip-pools", {"name": "x"}).status_code == 403
    sid = make_subaccount(op)
    emu.add_key(key="ff" * 20, grants=["ip_pools/manage"], subaccount_id=sid)
    assert Api(emu.url, "ff" * 20).get("/ip-pools").status_code == 403  # primary-only resource
