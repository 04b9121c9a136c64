"""Account, IP pools, tracking domains; Python API details; import hygiene."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import requests

from tests.emulator.emu_helpers import OPERATOR_KEY, Api, make_subaccount
from provider.emulator.sparkpost import Emulator

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_account_is_region_flavoured(emu, admin, eu_emu):
    us = admin.get("/account").json()["results"]
    assert us["country_code"] == "US" and us["status"] == "active" and "options" in us
    eu_emu.add_key(key="e" * 40, grants=["account/view"])
    eu = Api(eu_emu.url, "e" * 40).get("/account", params={"include": "usage"}).json()["results"]
    assert eu["country_code"] == "DE" and "EU" in eu["company_name"] and "usage" in eu


def test_ip_pools(op, admin):
    assert [p["id"] for p in admin.get("/ip-pools").json()["results"]] == ["default"]
    r = admin.post("/ip-pools", {"name": "Marketing IP Pool"})
    assert r.json() == {"results": {"id": "marketing_ip_pool"}}
    assert admin.post("/ip-pools", {"name": "Marketing IP Pool"}).status_code == 409
    assert admin.post("/ip-pools", {"name": "default"}).json() == {"errors": [{"message": "IP Pool default is reserved."}]}
    assert admin.post("/ip-pools", {}).status_code == 400
    got = admin.get("/ip-pools/marketing_ip_pool").json()["results"]
    assert (got["id"], got["name"], got["ips"]) == ("marketing_ip_pool", "Marketing IP Pool", [])
    sid = make_subaccount(op, ip_pool="marketing_ip_pool")
    # PUT needs `name` and echoes the pool's fields (ip-pools.apib, Update an IP Pool).
    assert admin.put("/ip-pools/marketing_ip_pool", {"signing_domain": "s.example.com"}).status_code == 400
    r = admin.put("/ip-pools/marketing_ip_pool", {"name": "Updated", "signing_domain": "s.example.com"})
    assert r.json() == {"results": {"name": "Updated", "signing_domain": "s.example.com", "id": "marketing_ip_pool"}}
    assert admin.delete("/ip-pools/marketing_ip_pool").status_code == 204
    assert admin.delete("/ip-pools/default").status_code == 400
    # What happens to a subaccount naming a deleted pool is undocumented; sp_ip_pools unassigns it.
    assert "ip_pool" not in op.get(f"/subaccounts/{sid}").json()["results"]


def test_ip_pool_rules_from_the_reference(admin):
    assert admin.put("/ip-pools/default", {"name": "D"}).json() == \
        {"errors": [{"message": "IP Pool default is reserved and cannot be updated."}]}
    assert admin.get("/ip-pools/nope").json() == {"errors": [{"message": "IP pool not found."}]}
    r = admin.put("/ip-pools/not_a_real_pool", {"name": "x"})
    assert (r.status_code, r.json()) == (404, {"errors": [{"message": "IP Pool not_a_real_pool does not exist."}]})
    r = admin.delete("/ip-pools/marketing")
    assert (r.status_code, r.json()) == (404, {"errors": [{"message": "IP Pool marketing does not exist."}]})
    r = admin.post("/ip-pools", {"name": "Marketing IP Pool", "auto_warmup_overflow_pool": "overflow_pool"})
    assert (r.status_code, r.json()) == (400, {"errors": [
        {"message": "Auto Warmup Overflow Pool overflow_pool does not exist."}]})
    assert admin.post("/ip-pools", {"name": "overflow_pool"}).status_code == 200
    assert admin.post("/ip-pools", {"name": "marketing", "auto_warmup_overflow_pool": "overflow_pool"}).status_code == 200
    r = admin.post("/ip-pools", {"name": "third", "auto_warmup_overflow_pool": "marketing"})
    assert r.json() == {"errors": [{"message": "marketing has an overflow pool and cannot be an overflow pool"}]}
    r = admin.put("/ip-pools/overflow_pool", {"name": "o", "auto_warmup_overflow_pool": "shared pool"})
    assert r.json() == {"errors": [{"message": "overflow_pool is an overflow pool and cannot have an overflow pool"}]}
    default = next(p for p in admin.get("/ip-pools").json()["results"] if p["id"] == "default")
    assert default == {"id": "default", "name": "Default", "ips": []}


def test_tracking_domains_minimal(emu, op, admin):
    assert admin.post("/tracking-domains", {"domain": "Click.Example.com"}).status_code == 200
    r = admin.post("/tracking-domains", {"domain": "click.example.com"})
    assert (r.status_code, r.json()) == (409, {"errors": [{"message": "The tracking domain already exists"}]})
    r = admin.post("/tracking-domains", {"domain": "baddomain"})
    assert r.status_code == 422
    assert r.json() == {"errors": [{"param": "domain", "message": "domain must be valid", "value": "baddomain"}]}
    assert admin.post("/tracking-domains/click.example.com/verify").status_code == 400
    emu.set_dns([{"type": "CNAME", "name": "click.example.com", "value": "spgo.io"}])
    res = admin.post("/tracking-domains/click.example.com/verify").json()["results"]
    assert res["verified"] is True
    assert admin.put("/tracking-domains/click.example.com", {"default": True}).status_code == 200
    got = admin.get("/tracking-domains/click.example.com").json()["results"]
    assert (got["domain"], got["default"], got["status"]["verified"]) == ("click.example.com", True, True)
    assert admin.delete("/tracking-domains/click.example.com").status_code == 204
    assert admin.get("/tracking-domains").json() == {"results": []}


def test_context_manager_and_start_stop():
    emu = Emulator()
    emu.start(port=0)
    url = emu.url
    assert re.match(r"^http://127\.0\.0\.1:\d+$", url)
    assert requests.get(url + "/__emulator/health", timeout=5).status_code == 200
    emu.stop()
    emu.stop()  # idempotent
    try:
        requests.get(url + "/__emulator/health", timeout=2)
        raise AssertionError("server still answering after stop()")
    except requests.ConnectionError:
        pass


def test_seed_dict_in_python_api():
    seed = {"subaccounts": [{"id": 5, "name": "seeded", "ip_pool": "p1"}],
            "ip_pools": [{"id": "p1", "name": "P1"}],
            "keys": [{"key": OPERATOR_KEY, "grants": ["subaccount/manage", "sending_domains/manage"]}],
            "sending_domains": [{"domain": "seeded.example.com", "subaccount_id": 5,
                                 "status": {"cname_status": "valid"}}],
            "dns": [{"type": "CNAME", "name": "seeded.example.com", "value": "sparkpostmail.com"}]}
    with Emulator(seed=seed) as emu:
        api = Api(emu.url, OPERATOR_KEY)
        assert api.get("/subaccounts/5").json()["results"]["ip_pool"] == "p1"
        assert make_subaccount(api) == 6  # ids continue after the seeded ones
        assert api.put("/sending-domains/seeded.example.com", {"is_default_bounce_domain": True},
                       subaccount=5).status_code == 200


def test_import_is_light_and_self_contained():
    code = ("import sys, provider.emulator.sparkpost, provider.emulator.__main__;"
            "bad=[m for m in sys.modules if m.startswith('provider.') and not m.startswith('provider.emulator')];"
            "print(bad, 'cryptography' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[] False"
    # House rule: nothing under provider/emulator (its subpackages too) imports provider.* outside
    # the emulator, by name or by a relative import that climbs out of it.
    emulator = ROOT / "provider" / "emulator"
    paths = sorted(emulator.rglob("*.py"))
    assert emulator / "secretmanager" / "store.py" in paths
    for path in paths:
        text = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+provider\.(?!emulator)", text, re.M), path
        depth = len(path.relative_to(emulator).parts)  # 1 for provider/emulator/x.py
        assert not re.search(rf"^\s*from\s+\.{{{depth + 1},}}", text, re.M), path


def test_secret_manager_fake_imports_no_provider_code():
    code = ("import sys, provider.emulator.secretmanager, provider.emulator.secretmanager.__main__;"
            "print([m for m in sys.modules if m.startswith('provider.') and not m.startswith('provider.emulator')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
