"""Sending domains: verification against the DNS table, bounce rules, ownership (section 4)."""

from __future__ import annotations

import pytest

from tests.emulator.emu_helpers import Api, OPERATOR_KEY, make_subaccount, rsa_pair


def _create(api: Api, domain: str, **kw):
    body = {"domain": domain, "dkim_key_length": 1024, **kw.pop("body", {})}
    r = api.post("/sending-domains", body, **kw)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _txt(dkim):
    return {"type": "TXT", "name": f"{dkim['selector']}._domainkey.{dkim['signing_domain']}",
            "value": f"v=DKIM1; k=rsa; h=sha256; p={dkim['public']}"}


def test_dkim_verify_valid(emu, op):
    dkim = _create(op, "mail.example.com")["dkim"]
    emu.set_dns([_txt(dkim)])
    res = op.post("/sending-domains/mail.example.com/verify", {"dkim_verify": True}).json()["results"]
    assert res["dkim_status"] == "valid" and res["ownership_verified"] is True
    assert res["dns"] == {"dkim_record": f"k=rsa; h=sha256; p={dkim['public']}"}  # D-sd verify example
    status = op.get("/sending-domains/mail.example.com").json()["results"]["status"]
    assert status["dkim_status"] == "valid" and status["ownership_verified"] is True
    assert [d["domain"] for d in op.get("/sending-domains", params={"ownership_verified": "true"})
            .json()["results"]] == ["mail.example.com"]


def test_dkim_verify_2048_key_split_across_txt_strings(emu, op):
    r = op.post("/sending-domains", {"domain": "big.example.com"})
    dkim = r.json()["results"]["dkim"]
    value = f"v=DKIM1; k=rsa; h=sha256; p={dkim['public']}"
    chunks = " ".join(f'"{value[i:i + 255]}"' for i in range(0, len(value), 255))
    assert len(value) > 255
    emu.set_dns([{"type": "TXT", "name": f"{dkim['selector']}._domainkey.big.example.com", "value": chunks}])
    res = op.post("/sending-domains/big.example.com/verify", {"dkim_verify": True}).json()["results"]
    assert res["dkim_status"] == "valid"


@pytest.mark.parametrize("value,fragment", [
    ("v=DKIM1; k=rsa; h=sha256; p=MIGfMA0GCSqWRONG", "does not match"),
    ("v=DKIM1; k=rsa; h=sha256", "missing a p= tag"),
])
def test_dkim_verify_invalid(emu, op, value, fragment):
    dkim = _create(op, "mail.example.com")["dkim"]
    emu.set_dns([{"type": "TXT", "name": f"{dkim['selector']}._domainkey.mail.example.com", "value": value}])
    res = op.post("/sending-domains/mail.example.com/verify", {"dkim_verify": True}).json()["results"]
    assert res["dkim_status"] == "invalid" and res["ownership_verified"] is False
    assert fragment in res["dns"]["dkim_error"]


def test_txt_at_wrong_host_does_not_count(emu, op):
    dkim = _create(op, "mail.example.com")["dkim"]
    emu.set_dns([{**_txt(dkim), "name": "mail.example.com"}])
    res = op.post("/sending-domains/mail.example.com/verify", {"dkim_verify": True}).json()["results"]
    assert res["dkim_status"] == "invalid"


def test_cname_verify_us(emu, op):
    _create(op, "bounce.example.com", body={"generate_dkim": False})
    emu.set_dns([{"type": "CNAME", "name": "bounce.example.com", "value": "eu.sparkpostmail.com"}])
    res = op.post("/sending-domains/bounce.example.com/verify", {"cname_verify": True}).json()["results"]
    assert res["cname_status"] == "invalid" and "cname_error" in res["dns"]
    assert res["dns"]["cname_record"] == "sparkpostmail.com"
    emu.set_dns([{"type": "CNAME", "name": "bounce.example.com.", "value": "sparkpostmail.com."}])
    res = op.post("/sending-domains/bounce.example.com/verify", {"cname_verify": True}).json()["results"]
    assert res["cname_status"] == "valid" and res["ownership_verified"] is True
    assert "cname_error" not in res["dns"]


def test_cname_verify_eu_target(eu_emu):
    api = Api(eu_emu.url, OPERATOR_KEY)
    _create(api, "bounce.example.eu", body={"generate_dkim": False})
    eu_emu.set_dns([{"type": "CNAME", "name": "bounce.example.eu", "value": "sparkpostmail.com"}])
    res = api.post("/sending-domains/bounce.example.eu/verify", {"cname_verify": True}).json()["results"]
    assert res["cname_status"] == "invalid"
    eu_emu.set_dns([{"type": "CNAME", "name": "bounce.example.eu", "value": "eu.sparkpostmail.com"}])
    res = api.post("/sending-domains/bounce.example.eu/verify", {"cname_verify": True}).json()["results"]
    assert res["cname_status"] == "valid" and res["dns"]["cname_record"] == "eu.sparkpostmail.com"


def test_verify_requires_a_field(op):
    _create(op, "mail.example.com", body={"generate_dkim": False})
    r = op.post("/sending-domains/mail.example.com/verify", {"dkim_verify": False})
    assert r.status_code == 422
    assert r.json()["errors"][0] == {"message": "required field is missing",
                                     "description": "Error no fields specified for verification", "code": "1400"}
    assert op.post("/sending-domains/nope.example.com/verify", {"dkim_verify": True}).status_code == 404


def test_mailbox_verification_round_trip(emu, op):
    _create(op, "mail.example.com", body={"generate_dkim": False})
    res = op.post("/sending-domains/mail.example.com/verify", {"postmaster_at_verify": True}).json()["results"]
    # Still `unverified` right after the request (D-sd "Initiate anyone@ email" example).
    assert res["postmaster_at_status"] == "unverified" and "dns" not in res
    token = next(d for d in emu.dump_state()["sending_domains"])["mailbox_tokens"]["postmaster_at"]
    res = op.post("/sending-domains/mail.example.com/verify", {"postmaster_at_token": "wrong"}).json()["results"]
    assert res["postmaster_at_status"] == "invalid"
    res = op.post("/sending-domains/mail.example.com/verify", {"postmaster_at_token": token}).json()["results"]
    assert res["postmaster_at_status"] == "valid" and res["ownership_verified"] is True
    r = op.post("/sending-domains/mail.example.com/verify",
                {"verification_mailbox_verify": True, "verification_mailbox": "abuse"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "1300"


def _cname_valid(emu, op, domain, subaccount=None):
    emu.add_dns([{"type": "CNAME", "name": domain, "value": "sparkpostmail.com"}])
    r = op.post(f"/sending-domains/{domain}/verify", {"cname_verify": True}, subaccount=subaccount)
    assert r.json()["results"]["cname_status"] == "valid"


def test_default_bounce_domain_rules(emu, op):
    sid = make_subaccount(op)
    for d in ("a.example.com", "b.example.com"):
        _create(op, d, body={"generate_dkim": False})
        _cname_valid(emu, op, d)
    _create(op, "s.example.com", body={"generate_dkim": False}, subaccount=sid)
    _cname_valid(emu, op, "s.example.com", subaccount=sid)
    assert op.put("/sending-domains/a.example.com", {"is_default_bounce_domain": True}).status_code == 200
    assert op.put("/sending-domains/s.example.com", {"is_default_bounce_domain": True},
                  subaccount=sid).status_code == 200
    assert op.put("/sending-domains/b.example.com", {"is_default_bounce_domain": True}).status_code == 200
    flags = {d["domain"]: d["is_default_bounce_domain"] for d in op.get("/sending-domains").json()["results"]}
    # One default per (sub)account: b replaced a; the subaccount keeps its own.
    assert flags == {"a.example.com": False, "b.example.com": True, "s.example.com": True}
    assert [d["domain"] for d in op.get("/sending-domains", params={"is_default_bounce_domain": "true"},
                                        subaccount=0).json()["results"]] == ["b.example.com"]


def test_default_bounce_domain_not_accepted_on_create(op):
    r = op.post("/sending-domains", {"domain": "a.example.com", "is_default_bounce_domain": True})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "1300"
    assert op.post("/sending-domains", {"domain": "a.example.com", "is_default_bounce_domain": False,
                                        "generate_dkim": False}).status_code == 200


def test_supplied_dkim_keys(emu, op):
    private, public = rsa_pair()
    res = _create(op, "own.example.com", body={"dkim": {"private": private, "public": public, "selector": "s1"}})
    assert res["dkim"] == {"public": public, "selector": "s1", "signing_domain": "own.example.com",
                           "headers": "from:to:subject:date"}
    other_private, _ = rsa_pair()
    r = op.post("/sending-domains", {"domain": "bad.example.com",
                                     "dkim": {"private": other_private, "public": public, "selector": "s1"}})
    assert r.status_code == 422 and r.json()["errors"][0]["description"] == "Private and public DKIM keys do not match."
    r = op.post("/sending-domains", {"domain": "bad.example.com",
                                     "dkim": {"private": "bm90IGEga2V5", "public": public, "selector": "s1"}})
    assert r.json()["errors"][0]["description"].startswith("Private key does not seem valid")
    r = op.post("/sending-domains", {"domain": "bad.example.com", "dkim": {"private": private, "selector": "s1"}})
    assert r.status_code == 422 and r.json()["errors"][0]["description"] == "Empty keys are not allowed."
    r = op.post("/sending-domains", {"domain": "bad.example.com",
                                     "dkim": {"private": private, "public": public, "selector": ""}})
    assert r.json()["errors"][0]["description"] == "Error: DKIM selector length is zero."
    assert "bad.example.com" not in {d["domain"] for d in emu.dump_state()["sending_domains"]}


def test_generate_dkim_false_and_bad_key_length(op):
    res = _create(op, "nokey.example.com", body={"generate_dkim": False})
    assert "dkim" not in res
    assert "dkim" not in op.get("/sending-domains/nokey.example.com").json()["results"]
    r = op.post("/sending-domains", {"domain": "x.example.com", "dkim_key_length": 512})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "1300"


def test_put_dkim_is_dns_verified_first(emu, op):
    old = _create(op, "rot.example.com")["dkim"]
    private, public = rsa_pair()
    new = {"private": private, "public": public, "selector": "rot2"}
    r = op.put("/sending-domains/rot.example.com", {"dkim": new})
    assert r.status_code == 400
    err = r.json()["errors"][0]
    assert err["code"] == "1404" and err["message"] == "request to remote endpoint failed"
    assert err["description"].startswith("Unable to verify DKIM record of rot.example.com.")
    assert op.get("/sending-domains/rot.example.com").json()["results"]["dkim"]["selector"] == old["selector"]
    emu.set_dns([{"type": "TXT", "name": "rot2._domainkey.rot.example.com",
                  "value": f"v=DKIM1; k=rsa; h=sha256; p={public}"}])
    assert op.put("/sending-domains/rot.example.com", {"dkim": new}).status_code == 200
    got = op.get("/sending-domains/rot.example.com").json()["results"]
    assert (got["dkim"]["selector"], got["dkim"]["public"], got["status"]["dkim_status"]) == ("rot2", public, "valid")


def test_put_validation(op):
    _create(op, "mail.example.com", body={"generate_dkim": False})
    r = op.put("/sending-domains/mail.example.com", {"unknown": 1})
    assert r.status_code == 422
    assert r.json()["errors"][0]["description"] == "No valid input fields detected"
    assert op.put("/sending-domains/nope.example.com", {"shared_with_subaccounts": True}).status_code == 404


@pytest.mark.parametrize("domain,fragment", [
    ("hello", "contains no '.'(s)"),
    ("bad domain.com", "invalid characters or spaces"),
    ("under_score.com", "invalid characters or spaces"),
    ("-lead.example.com", "Error validating domain name syntax"),
    ("example.c", "Error validating domain name syntax"),
])
def test_domain_syntax_errors(op, domain, fragment):
    r = op.post("/sending-domains", {"domain": domain})
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["code"] == "1300" and fragment in err["description"]


def test_domain_required(op):
    r = op.post("/sending-domains", {})
    assert r.status_code == 422
    assert r.json()["errors"][0] == {"message": "required field is missing",
                                     "description": "field 'domain' is required", "code": "1400"}


def test_names_are_unique_across_the_account_and_foreign_domains_are_7004(emu, op):
    sid = make_subaccount(op)
    _create(op, "mine.example.com", body={"generate_dkim": False}, subaccount=sid)
    r = op.post("/sending-domains", {"domain": "MINE.example.com", "generate_dkim": False})
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "1602"
    emu.add_foreign_domain("taken.org")
    for name in ("taken.org", "mail.taken.org"):
        r = op.post("/sending-domains", {"domain": name})
        assert r.status_code == 400
        assert r.json()["errors"][0] == {
            "message": "Domain in use by another account",
            "description": "Please contact SparkPost support to check about this org-domain availability.",
            "code": "7004"}
    # A subdomain of one of our own domains is fine.
    _create(op, "deep.mine.example.com", body={"generate_dkim": False})


def test_subaccount_ownership_via_header(op):
    sid = make_subaccount(op)
    _create(op, "sub.example.com", body={"generate_dkim": False}, subaccount=sid)
    assert op.get("/sending-domains/sub.example.com", subaccount=sid).json()["results"]["subaccount_id"] == sid
    assert op.get("/sending-domains/sub.example.com").status_code == 200        # read without header
    assert op.get("/sending-domains/sub.example.com", subaccount=0).status_code == 404
    assert op.put("/sending-domains/sub.example.com", {"tracking_domain": ""}).status_code == 404
    assert op.delete("/sending-domains/sub.example.com").status_code == 404     # writes need the header
    listed = op.get("/sending-domains").json()["results"]
    assert [(d["domain"], d.get("subaccount_id")) for d in listed] == [("sub.example.com", sid)]
    assert op.get("/sending-domains", subaccount=0).json()["results"] == []
    assert op.delete("/sending-domains/sub.example.com", subaccount=sid).status_code == 204


def test_shared_with_subaccounts_is_primary_only(op):
    sid = make_subaccount(op)
    r = op.post("/sending-domains", {"domain": "s.example.com", "shared_with_subaccounts": True,
                                     "generate_dkim": False}, subaccount=sid)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "1301"
    _create(op, "p.example.com", body={"generate_dkim": False, "shared_with_subaccounts": True})
    assert op.get("/sending-domains/p.example.com").json()["results"]["shared_with_subaccounts"] is True
    assert op.put("/sending-domains/p.example.com", {"shared_with_subaccounts": False}).status_code == 200
    assert op.get("/sending-domains/p.example.com").json()["results"]["shared_with_subaccounts"] is False


def test_tracking_domain_link(emu, op, admin):
    r = op.post("/sending-domains", {"domain": "m.example.com", "tracking_domain": "click.example.com"})
    assert r.status_code == 400
    assert r.json()["errors"][0] == {"message": "invalid params", "code": "1200",
                                     "description": "Tracking domain 'click.example.com' is not a registered "
                                                    "tracking domain"}
    assert admin.post("/tracking-domains", {"domain": "click.example.com"}).json() == \
        {"results": {"domain": "click.example.com"}}
    _create(op, "m.example.com", body={"generate_dkim": False, "tracking_domain": "click.example.com"})
    assert op.get("/sending-domains/m.example.com").json()["results"]["tracking_domain"] == "click.example.com"
    assert op.put("/sending-domains/m.example.com", {"tracking_domain": ""}).status_code == 200
    assert "tracking_domain" not in op.get("/sending-domains/m.example.com").json()["results"]
    # A subaccount cannot link the primary's tracking domain.
    sid = make_subaccount(op)
    r = op.post("/sending-domains", {"domain": "s.example.com", "tracking_domain": "click.example.com"},
                subaccount=sid)
    assert r.status_code == 400


def test_list_filters(emu, op):
    a = _create(op, "a.example.com")["dkim"]
    _create(op, "b.example.com", body={"generate_dkim": False})
    emu.set_dns([_txt(a)])
    op.post("/sending-domains/a.example.com/verify", {"dkim_verify": True})
    op.post("/sending-domains/b.example.com/verify", {"cname_verify": True})

    def names(**params):
        return [d["domain"] for d in op.get("/sending-domains", params=params).json()["results"]]

    assert names(dkim_status="valid") == ["a.example.com"]
    assert names(cname_status="invalid") == ["b.example.com"]
    assert names(ownership_verified="false") == ["b.example.com"]
    assert names(compliance_status="valid") == ["a.example.com", "b.example.com"]
    assert names(mx_status="valid") == []
