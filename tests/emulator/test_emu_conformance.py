"""Documented example responses (reference Appendix B and sections 2-4): exact shapes."""

from __future__ import annotations

import re

from tests.emulator.emu_helpers import Api, make_subaccount

HEX40 = re.compile(r"^[0-9a-f]{40}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MS_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_subaccount_create_with_key_returns_documented_fields_and_a_real_key(emu, op):
    r = op.post("/subaccounts", {"name": "tenant-a", "key_label": "tf-key",
                                 "key_grants": ["smtp/inject", "sending_domains/manage"]})
    assert r.status_code == 200
    res = r.json()["results"]
    assert set(res) == {"subaccount_id", "key", "label", "short_key"}
    assert res["subaccount_id"] == 1  # sequential from 1
    assert HEX40.match(res["key"]) and res["short_key"] == res["key"][:4] and res["label"] == "tf-key"
    # The key is real: it authenticates and acts inside its subaccount.
    sub_api = Api(emu.url, res["key"])
    assert sub_api.get("/sending-domains").status_code == 200
    state_keys = [k for k in emu.dump_state()["keys"] if k["subaccount_id"] == 1]
    assert [(k["label"], k["short_key"], k["grants"]) for k in state_keys] == \
        [("tf-key", res["short_key"], ["smtp/inject", "sending_domains/manage"])]


def test_subaccount_create_without_key_returns_only_the_id(op):
    r = op.post("/subaccounts", {"name": "tenant-a", "setup_api_key": False})
    assert r.status_code == 200
    assert r.json() == {"results": {"subaccount_id": 1}}


def test_subaccount_get_update_summary_shapes(op):
    sid = make_subaccount(op, "tenant-a")
    r = op.get(f"/subaccounts/{sid}")
    assert r.status_code == 200
    assert r.json() == {"results": {"id": sid, "name": "tenant-a", "status": "active",
                                    "compliance_status": "active", "options": {"deliverability": False}}}
    r = op.put(f"/subaccounts/{sid}", {"name": "Joes Garage", "ip_pool": "default",
                                       "options": {"deliverability": True}})
    assert r.status_code == 200
    assert r.json() == {"results": {"message": "Successfully updated subaccount information"}}
    assert op.get(f"/subaccounts/{sid}").json()["results"] == {
        "id": sid, "name": "Joes Garage", "status": "active", "compliance_status": "active",
        "ip_pool": "default", "options": {"deliverability": True}}
    assert op.get("/subaccounts/summary").json() == {"results": {"total": 1}}
    # Legacy (unpaginated) list: just results, no total_count/links.
    assert op.get("/subaccounts").json() == {"results": [op.get(f"/subaccounts/{sid}").json()["results"]]}


def test_api_key_create_and_get_shapes(admin):
    r = admin.post("/api-keys", {"label": "ci", "grants": ["smtp/inject"], "valid_ips": ["10.0.0.0/8"]})
    assert r.status_code == 200
    res = r.json()["results"]
    assert set(res) == {"key", "short_key", "label", "link"}
    assert HEX40.match(res["key"]) and res["short_key"] == res["key"][:4] and res["label"] == "ci"
    href = res["link"]["href"]
    assert href.startswith("/api/v1/api-keys/")
    key_id = href.rsplit("/", 1)[1]
    assert UUID.match(key_id)
    got = admin.get(f"/api-keys/{key_id}").json()["results"]
    assert set(got) == {"id", "label", "short_key", "grants", "valid_ips", "created_at"}
    assert got["id"] == key_id and got["grants"] == ["smtp/inject"] and got["valid_ips"] == ["10.0.0.0/8"]
    assert MS_TS.match(got["created_at"])
    assert "key" not in got  # the secret is shown only at create


def test_sending_domain_create_shape_and_selector(op):
    r = op.post("/sending-domains", {"domain": "mail.example.com", "dkim_key_length": 1024})
    assert r.status_code == 200
    res = r.json()["results"]
    assert set(res) == {"message", "domain", "dkim"}
    assert res["message"] == "Successfully Created domain." and res["domain"] == "mail.example.com"
    assert set(res["dkim"]) == {"public", "selector", "signing_domain", "headers"}
    assert res["dkim"]["public"].startswith("MIGfMA0G")  # 1024-bit SubjectPublicKeyInfo
    assert re.match(r"^scph\d{4}$", res["dkim"]["selector"])
    assert res["dkim"]["signing_domain"] == "mail.example.com"
    assert res["dkim"]["headers"] == "from:to:subject:date"


def test_sending_domain_default_key_is_2048_bits(op):
    res = op.post("/sending-domains", {"domain": "big.example.com"}).json()["results"]
    assert res["dkim"]["public"].startswith("MIIBIjAN")  # 2048-bit SubjectPublicKeyInfo


def test_sending_domain_conflict_and_not_found_bodies_are_verbatim(op):
    assert op.post("/sending-domains", {"domain": "mail.example.com", "generate_dkim": False}).status_code == 200
    r = op.post("/sending-domains", {"domain": "mail.example.com"})
    assert r.status_code == 409
    assert r.json() == {"errors": [{"message": "resource conflict",
                                    "description": "Sending Domain <mail.example.com> already registered",
                                    "code": "1602"}]}
    r = op.get("/sending-domains/nope.example.com")
    assert r.status_code == 404
    assert r.json() == {"errors": [{"code": "1600", "message": "resource not found",
                                    "description": "Domain 'nope.example.com' does not exist"}]}


def test_sending_domain_get_omits_domain_and_list_items_omit_dkim(op):
    op.post("/sending-domains", {"domain": "mail.example.com", "dkim_key_length": 1024})
    got = op.get("/sending-domains/mail.example.com").json()["results"]
    assert "domain" not in got
    assert set(got) == {"status", "dkim", "shared_with_subaccounts", "is_default_bounce_domain", "creation_time"}
    assert "private" not in got["dkim"]
    assert got["status"] == {"ownership_verified": False, "spf_status": "unverified",
                             "abuse_at_status": "unverified", "dkim_status": "unverified",
                             "cname_status": "unverified", "mx_status": "unverified",
                             "compliance_status": "valid", "postmaster_at_status": "unverified",
                             "verification_mailbox_status": "unverified"}
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", got["creation_time"])
    items = op.get("/sending-domains").json()["results"]
    assert [i["domain"] for i in items] == ["mail.example.com"]
    assert "dkim" not in items[0]


def test_verify_with_missing_record_matches_the_reference(op):
    pub = op.post("/sending-domains", {"domain": "mail.example.com", "dkim_key_length": 1024}) \
        .json()["results"]["dkim"]["public"]
    r = op.post("/sending-domains/mail.example.com/verify", {"dkim_verify": True})
    assert r.status_code == 200
    res = r.json()["results"]
    assert list(res) == ["ownership_verified", "dns", "dkim_status", "cname_status", "mx_status",
                         "compliance_status", "spf_status", "abuse_at_status", "postmaster_at_status",
                         "verification_mailbox_status"]
    assert res["ownership_verified"] is False and res["dkim_status"] == "invalid"
    # D-sd's verify example: "dkim_record": "k=rsa; h=sha256; p=MIGf..." (no v=DKIM1)
    assert res["dns"]["dkim_record"] == f"k=rsa; h=sha256; p={pub}"
    assert res["dns"]["dkim_error"].startswith("DNS record not found")
    assert res["cname_status"] == "unverified" and res["compliance_status"] == "valid"


def test_default_bounce_before_cname_is_the_documented_422(op):
    op.post("/sending-domains", {"domain": "mail.example.com", "generate_dkim": False})
    r = op.put("/sending-domains/mail.example.com", {"is_default_bounce_domain": True})
    assert r.status_code == 422
    assert r.json() == {"errors": [{
        "message": "invalid data format/type",
        "description": "Domain must have cname_status 'valid' or mx_status 'valid' in order to set "
                       "'is_default_bounce_domain' to true",
        "code": "1300"}]}


def test_sending_domain_update_and_delete_shapes(op):
    op.post("/sending-domains", {"domain": "mail.example.com", "generate_dkim": False})
    r = op.put("/sending-domains/mail.example.com", {"shared_with_subaccounts": True})
    assert r.status_code == 200
    assert r.json() == {"results": {"message": "Successfully Updated Domain.", "domain": "mail.example.com"}}
    r = op.delete("/sending-domains/mail.example.com")
    assert r.status_code == 204 and r.content == b""
    assert op.delete("/sending-domains/mail.example.com").status_code == 404
