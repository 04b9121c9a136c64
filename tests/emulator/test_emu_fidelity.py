"""Rules taken from SparkPost's API reference (issue 14): DKIM key length, the DKIM-keys
endpoints, GET /account's fields, error bodies with and without `description`, account
options in seeds, state files and on the command line."""

from __future__ import annotations

import json

import pytest
import requests

from tests.emulator.emu_helpers import ADMIN_KEY, OPERATOR_KEY, Api, make_subaccount, rsa_pair
from provider.emulator.sparkpost import Emulator, SeedError
from tests.emulator.test_emu_cli import Running


# ---- DKIM key length: 1024-4096 (sending-domains.apib "DKIM Key Constraints") -----------------
@pytest.mark.parametrize("bits", [1024, 4096])
def test_dkim_key_length_bounds_are_accepted(op, bits):
    r = op.post("/sending-domains", {"domain": f"k{bits}.example.com", "dkim_key_length": bits})
    assert r.status_code == 200, r.text
    keys = op.get(f"/sending-domains/k{bits}.example.com/dkim-keys").json()["results"]
    assert keys[0]["dkim_key_length"] == bits


def test_dkim_key_length_is_ignored_without_generation(op):
    # "This option only applies if `generate_dkim` is true" (sending-domains.apib)
    r = op.post("/sending-domains", {"domain": "k.example.com", "generate_dkim": False, "dkim_key_length": 512})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("bits", [512, 1023, 4097, 8192, "2048", True, 2048.5])
def test_dkim_key_length_out_of_range_is_422_1300(op, bits):
    r = op.post("/sending-domains", {"domain": "k.example.com", "dkim_key_length": bits})
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["code"] == "1300" and "between 1024 and 4096" in err["description"]


def test_generated_key_has_the_requested_length(op):
    pub = op.post("/sending-domains", {"domain": "k.example.com", "dkim_key_length": 1536}) \
        .json()["results"]["dkim"]["public"]
    keys = op.get("/sending-domains/k.example.com/dkim-keys").json()
    assert keys["results"][0]["dkim_key_length"] == 1536 and keys["results"][0]["public"] == pub


# ---- /sending-domains/{domain}/dkim-keys -----------------------------------------------------
def test_dkim_keys_lifecycle(emu, op):
    op.post("/sending-domains", {"domain": "mail.example.com", "dkim_key_length": 1024})
    listed = op.get("/sending-domains/mail.example.com/dkim-keys").json()
    assert listed["total_count"] == 1
    default = listed["results"][0]
    assert (default["id"], default["is_default"], default["dkim_status"]) == ("default", True, "unverified")
    assert "created_at" not in default and "dns" not in default

    r = op.post("/sending-domains/mail.example.com/dkim-keys",
                {"id": "marketing", "signing_domain": "mkt.example.com", "dkim_key_length": 1024})
    assert r.status_code == 200, r.text
    key = r.json()["results"]
    assert key["dkim_status"] == "unverified" and key["is_default"] is False and key["dkim_key_length"] == 1024
    assert key["dns"] == {"dkim_record": f"{key['selector']}._domainkey.mkt.example.com",
                          "dkim_value": f"v=DKIM1; k=rsa; h=sha256; p={key['public']}"}
    assert {"created_at", "updated_at", "headers"} <= set(key)

    listed = op.get("/sending-domains/mail.example.com/dkim-keys").json()
    assert [k["id"] for k in listed["results"]] == ["default", "marketing"] and listed["total_count"] == 2

    v = op.post("/sending-domains/mail.example.com/dkim-keys/marketing/verify", {}).json()["results"]
    assert v["dkim_status"] == "invalid" and v["dns"]["dkim_error"].startswith("DNS record not found")
    emu.add_dns([{"type": "TXT", "name": key["dns"]["dkim_record"], "value": key["dns"]["dkim_value"]}])
    v = op.post("/sending-domains/mail.example.com/dkim-keys/marketing/verify", {}).json()["results"]
    assert v == {"id": "marketing", "dkim_status": "valid", "dns": key["dns"]}

    # Only `headers`: status kept.  `signing_domain`: reset to unverified.
    u = op.put("/sending-domains/mail.example.com/dkim-keys/marketing", {"headers": "from:to"}).json()["results"]
    assert (u["message"], u["headers"], u["dkim_status"]) == ("Successfully updated DKIM key.", "from:to", "valid")
    u = op.put("/sending-domains/mail.example.com/dkim-keys/marketing",
               {"signing_domain": "other.example.com"}).json()["results"]
    assert u["dkim_status"] == "unverified"
    assert op.delete("/sending-domains/mail.example.com/dkim-keys/marketing").status_code == 204
    r = op.get("/sending-domains/mail.example.com/dkim-keys/marketing")
    assert (r.status_code, r.json()) == (404, {"errors": [{"code": "1600", "message": "resource not found",
                                                           "description": "DKIM key 'marketing' does not exist"}]})


def _invalid(description):
    return {"errors": [{"message": "invalid params", "description": description, "code": "1300"}]}


def test_dkim_keys_documented_errors(op):
    op.post("/sending-domains", {"domain": "mail.example.com", "generate_dkim": False})
    base = "/sending-domains/mail.example.com/dkim-keys"
    r = op.post(base, {})
    assert (r.status_code, r.json()) == (422, {"errors": [{"message": "required field is missing",
                                                          "description": "id is required", "code": "1400"}]})
    assert op.post(base, {"id": "default"}).json() == _invalid("Key ID 'default' is reserved")
    assert op.post(base, {"id": "k", "selector": "s"}).json() == \
        _invalid("When providing custom keys, private, public, and selector must all be specified")
    for bad_id in ("-x", "x" * 65, "a b"):
        assert op.post(base, {"id": bad_id}).status_code == 400, bad_id
    assert op.post(base, {"id": "k", "dkim_key_length": 512}).status_code == 400
    private, public = rsa_pair()
    r = op.post(base, {"id": "k", "private": private, "public": public, "selector": "s1"})
    assert r.status_code == 200 and r.json()["results"]["selector"] == "s1"
    assert op.post(base, {"id": "k", "private": private, "public": public, "selector": "s1"}).json() == \
        _invalid("Key ID 'k' already exists")
    assert op.put(f"{base}/k", {"id": "other"}).json() == _invalid("Field 'id' is immutable")
    assert op.put(f"{base}/default", {"headers": "from"}).json() == \
        _invalid("Cannot update default key via this endpoint. Use /sending-domains/{domain} instead.")
    assert op.delete(f"{base}/default").json() == _invalid("Cannot delete default key")
    assert op.post(f"{base}/default/verify", {}).status_code == 400
    r = op.get("/sending-domains/nope.example.com/dkim-keys")
    assert (r.status_code, r.json()["errors"][0]["description"]) == (404, "Domain 'nope.example.com' does not exist")


def test_dkim_keys_follow_the_domain_owner_and_go_with_the_domain(op):
    sid = make_subaccount(op)
    op.post("/sending-domains", {"domain": "s.example.com", "generate_dkim": False}, subaccount=sid)
    base = "/sending-domains/s.example.com/dkim-keys"
    assert op.post(base, {"id": "k", "dkim_key_length": 1024}).status_code == 404  # primary cannot reach it
    assert op.post(base, {"id": "k", "dkim_key_length": 1024}, subaccount=sid).status_code == 200
    assert op.delete("/sending-domains/s.example.com", subaccount=sid).status_code == 204
    op.post("/sending-domains", {"domain": "s.example.com", "generate_dkim": False}, subaccount=sid)
    assert op.get(base, subaccount=sid).json() == {"results": [], "total_count": 0}


# ---- GET /account (account.apib) ---------------------------------------------------------------
def test_account_has_the_documented_fields(admin):
    res = admin.get("/account").json()["results"]
    assert set(res) == {"customer_id", "company_name", "country_code", "anniversary_date", "created", "updated",
                        "status", "status_updated", "status_reason_category", "tfa_required", "service_level",
                        "subscription", "support", "options"}
    assert set(res["subscription"]) == {"name", "code", "plan_volume", "effective_date", "self_serve", "type"}
    assert set(res["support"]) == {"phone", "online"}
    assert res["status_reason_category"] == "" and res["service_level"] == "standard"
    usage = admin.get("/account", params={"include": "usage"}).json()["results"]["usage"]
    assert set(usage) == {"timestamp", "day", "month", "sandbox"}
    assert set(usage["day"]) == set(usage["month"]) == {"used", "limit", "start", "end"}


# ---- error bodies without `description` (api-error-response-changes.md) -----------------------
def test_error_descriptions_can_be_folded_into_message(emu, op):
    before = op.get("/sending-domains/nope.example.com").json()
    assert before["errors"][0]["description"] == "Domain 'nope.example.com' does not exist"
    emu.set_options(error_descriptions=False)
    after = op.get("/sending-domains/nope.example.com")
    assert after.status_code == 404
    assert after.json() == {"errors": [{"code": "1600", "message": "Domain 'nope.example.com' does not exist"}]}
    # Bodies with no description are unchanged (validation style, message-only).
    err = op.post("/subaccounts", {"setup_api_key": False}).json()["errors"][0]
    assert err == {"message": "`name` is a required field", "param": "name", "value": None}


# ---- options: seed, state file, reset, bad values ---------------------------------------------
def test_options_from_seed_survive_state_and_reset(tmp_path):
    state = tmp_path / "state.json"
    seed = {"options": {"api_keys_api": True, "error_descriptions": False},
            "keys": [{"key": ADMIN_KEY, "grants": ["api_keys/manage"]}]}
    with Emulator(state_path=str(state), seed=seed) as e:
        assert Api(e.url, ADMIN_KEY).get("/api-keys").status_code == 200
        e.reset()
        assert e.get_options() == {"api_keys_api": True, "error_descriptions": False}
    assert json.loads(state.read_text())["options"] == {"api_keys_api": True, "error_descriptions": False}
    with Emulator(state_path=str(state)) as e:
        assert e.get_options()["api_keys_api"] is True
    with pytest.raises(SeedError, match="unknown option"):
        Emulator(seed={"options": {"nope": True}})
    with pytest.raises(SeedError, match="true or false"):
        Emulator(options={"api_keys_api": 1})


def test_cli_flags_for_options_and_retry_after():
    run = Running("--api-keys-api", "--no-error-descriptions", "--rate-429", "1", "--retry-after-fraction", "1",
                  "--retry-after", "2", env={"SPARKPOST_EMULATOR_KEY": OPERATOR_KEY})
    try:
        assert requests.get(run.url + "/__emulator/options", timeout=5).json() == \
            {"api_keys_api": True, "error_descriptions": False}
        r = Api(run.url, OPERATOR_KEY).get("/subaccounts")
        assert (r.status_code, r.headers.get("Retry-After")) == (429, "2")
    finally:
        run.stop()
    run = Running(env={"SPARKPOST_EMULATOR_KEY": OPERATOR_KEY})
    try:
        assert requests.get(run.url + "/__emulator/options", timeout=5).json() == \
            {"api_keys_api": False, "error_descriptions": True}
        assert Api(run.url, OPERATOR_KEY).get("/api-keys").status_code == 403
    finally:
        run.stop()


# ---- tracking domains (tracking-domains.apib) ------------------------------------------------
def test_tracking_domain_verify_failure_has_the_documented_text(emu, admin):
    assert admin.post("/tracking-domains", {"domain": "click.example.com", "secure": True}).status_code == 200
    r = admin.post("/tracking-domains/click.example.com/verify")
    assert (r.status_code, r.json()) == (400, {"errors": [{"message": (
        "HTTP request to https://click.example.com:443 failed.  Please verify that your redirect is functioning "
        "and that your SSL certificate is valid.")}]})
    emu.add_dns([{"type": "CNAME", "name": "click.example.com", "value": "v2.spgo.io"}])
    r = admin.post("/tracking-domains/click.example.com/verify")
    assert r.json()["results"]["verified"] is True
