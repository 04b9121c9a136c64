"""sparkpost_sending_domain and its data source, with the real terraform against the emulator,
using our users' operator key (metrics/view, subaccount/manage, sending_domains/manage).

Each terraform command launches the provider, so every test batches its steps: one
configuration with several domains where it can, plans read back with `terraform show -json`.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from .harness import Result, changes
from .sparkpost_world import SparkPostWorld

GET_ONE = "GET /api/v1/sending-domains/{domain}"
VERIFY = "POST /api/v1/sending-domains/{domain}/verify"
DNS_FOR_EACH = """
resource "terraform_data" "dns" {
  for_each = { for r in sparkpost_sending_domain.%s.dns_records : r.id => r }
  input    = each.value
}
"""


def rsa_pair(bits: int = 1024) -> tuple[str, str]:
    """(private PKCS#8 base64 DER, public SubjectPublicKeyInfo base64 DER), as a user brings them."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(private).decode(), base64.b64encode(public).decode()


def txt(public: str) -> str:
    return f"v=DKIM1; k=rsa; h=sha256; p={public}"


def values(sp: SparkPostWorld, address: str) -> dict[str, Any]:
    return sp.tf.state_resources()[address]["values"]


def records(vals: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in vals["dns_records"]}


def as_dns(recs: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    return [{"type": r["type"], "name": r["name"], "value": r["value"]} for r in recs.values()]


def planned(plan: dict[str, Any], address: str) -> dict[str, Any]:
    return next(rc for rc in plan["resource_changes"] if rc["address"] == address)["change"]


def calls_to(sp: SparkPostWorld, route: str) -> list[dict[str, Any]]:
    return [e for e in sp.emulator.request_log()["log"] if e["route"] == route]


def diagnostics_of(result: Result, severity: str) -> list[dict[str, Any]]:
    return [d for d in result.diagnostics() if d.get("severity") == severity]


def line_of(hcl: str, needle: str) -> int:
    return next(i for i, line in enumerate(hcl.splitlines(), 1) if needle in line)


# ---------------------------------------------------------------- generated DKIM


def test_generated_dkim_records_refresh_and_drift(sp: SparkPostWorld) -> None:
    sp.write(
        """
resource "sparkpost_sending_domain" "d" {
  domain          = "Mail.Example.com"
  dkim_key_length = 1024
}
""" + DNS_FOR_EACH % "d"
    )
    sp.tf.init()
    sp.tf.apply()

    state = sp.tf.state_resources()
    d = state["sparkpost_sending_domain.d"]["values"]
    assert d["id"] == "mail.example.com" and d["domain"] == "Mail.Example.com"
    assert re.fullmatch(r"scph\d{4}", d["dkim_selector"])
    assert d["dkim_key_length"] == 1024 and d["dkim_signing_domain"] == "mail.example.com"
    assert d["dkim"] == {"selector": d["dkim_selector"], "public_key": d["dkim_public_key"], "private_key": None}
    assert d["status"]["dkim_status"] == "unverified" and d["status"]["ownership_verified"] is False
    recs = records(d)
    assert set(recs) == {"dkim", "bounce_cname"}
    assert recs["dkim"] == {
        "id": "dkim", "type": "TXT", "name": f"{d['dkim_selector']}._domainkey.mail.example.com",
        "value": txt(d["dkim_public_key"]), "purpose": "DKIM signing and ownership verification",
    }
    assert recs["bounce_cname"]["type"] == "CNAME"
    assert (recs["bounce_cname"]["name"], recs["bounce_cname"]["value"]) == ("mail.example.com", "sparkpostmail.com")
    # The stable ids are the for_each keys of the stand-in DNS provider.
    assert {a for a in state if a.startswith("terraform_data.dns")} == {
        'terraform_data.dns["dkim"]', 'terraform_data.dns["bounce_cname"]'}
    assert state['terraform_data.dns["dkim"]']["values"]["input"] == recs["dkim"]
    key_len = sp.emulator.dump_state()["sending_domains"]
    assert [x["domain"] for x in key_len] == ["mail.example.com"]

    # Someone verifies the domain outside Terraform: refresh records the new status with exactly
    # one GET and no verify call, and the plan stays empty.
    sp.emulator.set_dns(as_dns(recs))
    assert sp.api("POST", "/sending-domains/mail.example.com/verify",
                  json={"dkim_verify": True, "cname_verify": True}).status_code == 200
    sp.emulator.reset_request_log()
    result, plan = sp.tf.plan()
    assert result.returncode == 0, result.stdout
    assert changes(plan) == {}
    assert len(calls_to(sp, GET_ONE)) == 1 and calls_to(sp, VERIFY) == []
    refreshed = next(r for r in plan["prior_state"]["values"]["root_module"]["resources"]
                     if r["address"] == "sparkpost_sending_domain.d")["values"]
    assert refreshed["status"]["dkim_status"] == "valid" and refreshed["status"]["cname_status"] == "valid"

    # DKIM replaced outside Terraform: the key is computed, so the domain itself plans nothing,
    # but the drift is reported and the DNS record fed from dns_records follows the new key.
    private2, public2 = rsa_pair()
    sp.emulator.add_dns([{"type": "TXT", "name": "rotated._domainkey.mail.example.com", "value": txt(public2)}])
    put = sp.api("PUT", "/sending-domains/mail.example.com",
                 json={"dkim": {"private": private2, "public": public2, "selector": "rotated"}})
    assert put.status_code == 200, put.text
    result, plan = sp.tf.plan()
    assert changes(plan) == {'terraform_data.dns["dkim"]': ["update"]}
    assert "sparkpost_sending_domain.d" in {r["address"] for r in plan["resource_drift"]}
    assert planned(plan, 'terraform_data.dns["dkim"]')["after"]["input"]["name"] == "rotated._domainkey.mail.example.com"

    # Deleted outside Terraform: read sees the 404 and the plan re-creates it.
    assert sp.api("DELETE", "/sending-domains/mail.example.com").status_code == 204
    result, plan = sp.tf.plan()
    assert changes(plan)["sparkpost_sending_domain.d"] == ["create"]


# ---------------------------------------------------------------- brought DKIM


BROUGHT = """
variable "dkim_private_key" {
  type      = string
  sensitive = true
  ephemeral = true
}
resource "sparkpost_sending_domain" "b" {
  domain = "brought.example.com"
  dkim = {
    selector    = "%(selector)s"
    public_key  = "%(public)s"
    private_key = var.dkim_private_key
  }
  is_default_bounce_domain = true
  verify = { wait = true, timeout = "30s", poll_interval = "1s" }
}
"""


def write_brought(sp: SparkPostWorld, selector: str, public: str, private: str) -> None:
    """The private key reaches the write-only attribute through an ephemeral variable."""
    sp.write(BROUGHT % {"selector": selector, "public": public} + DNS_FOR_EACH % "b")
    sp.tf.write(f'dkim_private_key = "{private}"\n', "terraform.tfvars")


def test_brought_dkim_known_at_plan_verified_on_create(sp: SparkPostWorld) -> None:
    private, public = rsa_pair()
    write_brought(sp, "tf1", public, private)
    sp.tf.init()

    # The records are known at plan time: a DNS module can publish them before the domain exists.
    result, plan = sp.tf.plan()
    after = planned(plan, "sparkpost_sending_domain.b")["after"]
    recs = records(after)
    assert recs["dkim"]["name"] == "tf1._domainkey.brought.example.com" and recs["dkim"]["value"] == txt(public)
    assert recs["bounce_cname"]["value"] == "sparkpostmail.com"
    assert after["dkim_public_key"] == public and after["dkim_key_length"] == 1024
    assert private not in json.dumps(plan)  # write-only, from an ephemeral variable: in no plan
    assert sp.api_calls() == 1  # only the provider's key check: plan needed no sending-domain call

    # Published beforehand: create verifies, waits, then makes it the default bounce domain.
    sp.emulator.set_dns(as_dns(recs))
    sp.tf.apply()
    b = values(sp, "sparkpost_sending_domain.b")
    assert b["status"]["dkim_status"] == "valid" and b["status"]["cname_status"] == "valid"
    assert b["is_default_bounce_domain"] is True and b["dkim"]["private_key"] is None
    assert b["verify"] == {"dkim": True, "cname": True, "wait": True, "timeout": "30s", "poll_interval": "1s"}
    assert private not in (sp.tf.workdir / "terraform.tfstate").read_text()
    stored = {d["domain"]: d for d in sp.emulator.dump_state()["sending_domains"]}["brought.example.com"]
    assert stored["dkim"]["selector"] == "tf1" and stored["dkim"]["public"] == public

    # DKIM replaced outside Terraform: the plan puts the user's key back.
    private2, public2 = rsa_pair()
    sp.emulator.add_dns([{"type": "TXT", "name": "other._domainkey.brought.example.com", "value": txt(public2)}])
    assert sp.api("PUT", "/sending-domains/brought.example.com",
                  json={"dkim": {"private": private2, "public": public2, "selector": "other"}}).status_code == 200
    result, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_sending_domain.b": ["update"]}
    change = planned(plan, "sparkpost_sending_domain.b")
    assert change["before"]["dkim"]["selector"] == "other" and change["after"]["dkim"]["selector"] == "tf1"
    assert records(change["after"])["dkim"]["name"] == "tf1._domainkey.brought.example.com"  # known at plan
    sp.emulator.reset_request_log()
    sp.tf.apply()
    put = [e for e in sp.emulator.request_log()["log"] if e["method"] == "PUT"]
    assert len(put) == 1 and calls_to(sp, VERIFY) == []  # dkim and cname still valid: nothing to re-verify
    stored = {d["domain"]: d for d in sp.emulator.dump_state()["sending_domains"]}["brought.example.com"]
    assert stored["dkim"]["selector"] == "tf1"

    # A new key whose TXT record is not published: SparkPost refuses it and the error says what to publish.
    private3, public3 = rsa_pair()
    write_brought(sp, "tf2", public3, private3)
    result = sp.tf.apply("-json", check=False)
    assert result.returncode != 0
    [err] = diagnostics_of(result, "error")
    assert err["summary"] == "SparkPost refused the new DKIM key of brought.example.com"
    assert f"TXT record tf2._domainkey.brought.example.com with the value: {txt(public3)}" in err["detail"]
    assert err["address"] == "sparkpost_sending_domain.b" and private3 not in result.stdout
    assert values(sp, "sparkpost_sending_domain.b")["dkim"]["selector"] == "tf1"  # unchanged


# ---------------------------------------------------------------- verification waits


def test_verification_times_out_then_succeeds_after_publishing(sp: SparkPostWorld) -> None:
    sp.write(
        """
resource "sparkpost_sending_domain" "slow" {
  domain          = "slow.example.com"
  dkim_key_length = 1024
  verify          = { wait = true, timeout = "3s", poll_interval = "1s" }
}
resource "sparkpost_sending_domain" "later" {
  domain          = "later.example.com"
  dkim_key_length = 1024
}
"""
    )
    sp.tf.init()
    result = sp.tf.apply("-json", check=False)
    assert result.returncode != 0
    warning = next(d for d in diagnostics_of(result, "warning") if d["summary"].startswith("Waiting for a DKIM"))
    assert warning["address"] == "sparkpost_sending_domain.slow"
    [err] = diagnostics_of(result, "error")
    assert err["summary"] == "Sending domain slow.example.com was not verified within 3s"

    state = sp.tf.show()["values"]["root_module"]["resources"]
    slow = next(r for r in state if r["address"] == "sparkpost_sending_domain.slow")
    assert slow.get("tainted") is True  # kept in state (not forgotten), marked tainted by Terraform
    recs = records(slow["values"])
    assert f"TXT record {recs['dkim']['name']} with the value: {recs['dkim']['value']}" in err["detail"]
    assert "CNAME record slow.example.com with the value: sparkpostmail.com" in err["detail"]
    assert "DNS record not found" in err["detail"] and "terraform untaint" in err["detail"]
    assert len(calls_to(sp, VERIFY)) >= 2  # it polled
    later = next(r for r in state if r["address"] == "sparkpost_sending_domain.later")["values"]
    assert later["status"]["dkim_status"] == "unverified" and later["verify"] is None

    # The records of `later` are published (values from state); asking for verification is an
    # update that verifies and waits until SparkPost sees them.
    sp.emulator.set_dns(as_dns(records(later)))
    sp.write(
        """
resource "sparkpost_sending_domain" "later" {
  domain          = "later.example.com"
  dkim_key_length = 1024
  verify          = { wait = true, timeout = "30s", poll_interval = "1s" }
}
"""
    )
    sp.tf.apply()
    later = values(sp, "sparkpost_sending_domain.later")
    assert later["status"]["dkim_status"] == "valid" and later["status"]["cname_status"] == "valid"
    assert later["status"]["ownership_verified"] is True
    assert [d["domain"] for d in sp.emulator.dump_state()["sending_domains"]] == ["later.example.com"]
    sp.emulator.reset_request_log()
    result, plan = sp.tf.plan()
    assert changes(plan) == {} and calls_to(sp, VERIFY) == []


# ---------------------------------------------------------------- subaccounts, import, data source


def test_subaccount_domain_import_both_forms_and_data_source(sp: SparkPostWorld) -> None:
    created = sp.api("POST", "/subaccounts", json={"name": "x", "setup_api_key": False})
    sub = created.json()["results"]["subaccount_id"]
    # A domain made outside Terraform in the subaccount, for the data source.
    assert sp.api("POST", "/sending-domains", json={"domain": "oob.example.com", "dkim_key_length": 1024},
                  subaccount=sub).status_code == 200
    config = f"""
resource "sparkpost_sending_domain" "p" {{
  domain          = "primary.example.com"
  dkim_key_length = 1024
}}
resource "sparkpost_sending_domain" "s" {{
  domain          = "sub.example.com"
  subaccount_id   = {sub}
  dkim_key_length = 1024
}}
data "sparkpost_sending_domain" "oob" {{
  domain = "oob.example.com"
}}
"""
    sp.write(config)
    sp.tf.init()
    sp.emulator.reset_request_log()
    sp.tf.apply()
    owners = {d["domain"]: d["subaccount_id"] for d in sp.emulator.dump_state()["sending_domains"]}
    assert owners == {"oob.example.com": sub, "primary.example.com": None, "sub.example.com": sub}
    posts = [e for e in sp.emulator.request_log()["log"] if e["route"] == "POST /api/v1/sending-domains"]
    assert sorted((e["subaccount"] is not None) for e in posts) == [False, True]
    s = values(sp, "sparkpost_sending_domain.s")
    assert s["id"] == f"{sub}/sub.example.com" and s["subaccount_id"] == str(sub)

    data = sp.tf.show()["values"]["root_module"]["resources"]
    oob = next(r for r in data if r["address"] == "data.sparkpost_sending_domain.oob")["values"]
    assert oob["subaccount_id"] == str(sub) and oob["id"] == f"{sub}/oob.example.com"
    assert oob["dkim_key_length"] == 1024 and oob["status"]["dkim_status"] == "unverified"
    assert records(oob)["dkim"]["value"] == txt(oob["dkim_public_key"])
    assert records(oob)["bounce_cname"]["value"] == "sparkpostmail.com"

    # Import in both forms: SUBACCOUNT_ID/DOMAIN on the command line, DOMAIN in an import block.
    sp.tf.run("state", "rm", "sparkpost_sending_domain.p", "sparkpost_sending_domain.s")
    sp.tf.run("import", "-no-color", "sparkpost_sending_domain.s", f"{sub}/sub.example.com")
    sp.write(config + '\nimport {\n  to = sparkpost_sending_domain.p\n  id = "primary.example.com"\n}\n')
    sp.tf.apply()
    result, plan = sp.tf.plan()
    assert result.returncode == 0 and changes(plan) == {}
    assert values(sp, "sparkpost_sending_domain.s")["dkim_key_length"] == 1024  # read from the key itself

    sp.write(config)
    sp.tf.destroy()
    assert [d["domain"] for d in sp.emulator.dump_state()["sending_domains"]] == ["oob.example.com"]


def test_import_subaccount_domain_by_name_and_brought_key(sp: SparkPostWorld) -> None:
    """DOMAIN alone finds a subaccount's domain; a brought key's write-only half, null after
    import, forces nothing."""
    sub = sp.api("POST", "/subaccounts", json={"name": "x", "setup_api_key": False}).json()["results"]["subaccount_id"]
    private, public = rsa_pair()
    made = sp.api("POST", "/sending-domains", subaccount=sub, json={
        "domain": "own.example.com", "dkim": {"private": private, "public": public, "selector": "mine"}})
    assert made.status_code == 200, made.text
    pem = "-----BEGIN PUBLIC KEY-----\\n" + public + "\\n-----END PUBLIC KEY-----\\n"
    sp.write(f"""
import {{
  to = sparkpost_sending_domain.own
  id = "own.example.com"
}}
resource "sparkpost_sending_domain" "own" {{
  domain        = "own.example.com"
  subaccount_id = {sub}
  dkim = {{
    selector    = "mine"
    public_key  = "{pem}"
    private_key = "{private}"
  }}
}}
""")
    sp.tf.init()
    sp.tf.apply()
    own = values(sp, "sparkpost_sending_domain.own")
    assert own["subaccount_id"] == str(sub) and own["dkim"]["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    assert own["dkim_public_key"] == public
    sp.emulator.reset_request_log()
    result, plan = sp.tf.plan()
    assert result.returncode == 0 and changes(plan) == {}
    assert [e["subaccount"] for e in calls_to(sp, GET_ONE)] == [sub]


# ---------------------------------------------------------------- EU


EU = """
resource "sparkpost_sending_domain" "eu" {
  domain          = "%s"
  dkim_key_length = 1024
  %s
}
output "cname" {
  value = one([for r in sparkpost_sending_domain.eu.dns_records : r.value if r.id == "bounce_cname"])
}
"""


def test_eu_bounce_cname_target_and_updates_in_place(sp_eu: SparkPostWorld) -> None:
    sp_eu.write(EU % ("mail.example.eu", ""))
    sp_eu.tf.init()
    result, plan = sp_eu.tf.plan()
    assert plan["planned_values"]["outputs"]["cname"]["value"] == "eu.sparkpostmail.com"  # known at plan
    sp_eu.tf.apply()
    eu = values(sp_eu, "sparkpost_sending_domain.eu")
    assert records(eu)["bounce_cname"]["value"] == "eu.sparkpostmail.com"
    assert records(eu)["dkim"]["name"].endswith("._domainkey.mail.example.eu")

    # A tracking domain linked, and the domain's case changed: an update in place, not a replacement.
    assert sp_eu.api("POST", "/tracking-domains", json={"domain": "click.example.eu"}).status_code == 200
    sp_eu.write(EU % ("Mail.Example.EU", 'tracking_domain = "Click.Example.eu"'))
    result, plan = sp_eu.tf.plan()
    assert changes(plan) == {"sparkpost_sending_domain.eu": ["update"]}
    after = planned(plan, "sparkpost_sending_domain.eu")["after"]
    assert after["dns_records"] == eu["dns_records"] and after["dkim_public_key"] == eu["dkim_public_key"]
    sp_eu.tf.apply()
    stored = sp_eu.emulator.dump_state()["sending_domains"]
    assert [(d["domain"], d["tracking_domain"]) for d in stored] == [("mail.example.eu", "click.example.eu")]
    result, plan = sp_eu.tf.plan()
    assert changes(plan) == {}


# ---------------------------------------------------------------- bad input and refusals


def test_bad_input_is_stopped_at_the_attribute_before_any_api_call(sp: SparkPostWorld) -> None:
    private, public = rsa_pair()
    _, other_public = rsa_pair()
    hcl = f"""
resource "sparkpost_sending_domain" "bad_name" {{
  domain = "not a domain"
}}
resource "sparkpost_sending_domain" "bad_length" {{
  domain          = "ok.example.com"
  dkim_key_length = 512
}}
resource "sparkpost_sending_domain" "both" {{
  domain = "both.example.com"
  dkim   = {{ selector = "s1", public_key = "{public}", private_key = "{private}" }}
  dkim_key_length = 1024
}}
resource "sparkpost_sending_domain" "mismatch" {{
  domain = "mismatch.example.com"
  dkim   = {{ selector = "s1", public_key = "{other_public}", private_key = "{private}" }}
}}
resource "sparkpost_sending_domain" "shared" {{
  domain                  = "shared.example.com"
  subaccount_id           = 1
  shared_with_subaccounts = true
}}
resource "sparkpost_sending_domain" "slow" {{
  domain = "slow.example.com"
  verify = {{ timeout = "forever" }}
}}
"""
    sp.write(hcl)
    sp.tf.init()
    result = sp.tf.plan_json()
    assert result.returncode == 1
    errors = {(e["range"]["start"]["line"], e["summary"]): e for e in result.errors()}
    expect = {
        (line_of(hcl, '"not a domain"'), "Invalid value for domain"),
        (line_of(hcl, "= 512"), "Invalid value for dkim_key_length"),
        (line_of(hcl, "dkim_key_length = 1024"), "Conflicting DKIM settings"),
        (line_of(hcl, f'public_key = "{other_public}"'), "Invalid DKIM key pair"),
        (line_of(hcl, "shared_with_subaccounts = true"), "shared_with_subaccounts is for primary-account domains"),
        (line_of(hcl, '"forever"'), "Invalid value for verify.timeout"),
    }
    assert set(errors) == expect, sorted(errors)
    assert "'not a domain' is not a valid host name" in errors[(line_of(hcl, '"not a domain"'), "Invalid value for domain")]["detail"]
    assert "between 1024 and 4096" in errors[(line_of(hcl, "= 512"), "Invalid value for dkim_key_length")]["detail"]
    # (Terraform's own snippet quotes the HCL line; the provider's texts never carry the key.)
    assert not [e for e in result.errors() if private in e["summary"] + e["detail"]]
    assert not [r for r in sp.by_route() if "sending-domains" in r]


def test_default_bounce_before_verification_and_existing_domain(sp: SparkPostWorld) -> None:
    assert sp.api("POST", "/sending-domains", json={"domain": "taken.example.com"}).status_code == 200
    hcl = """
resource "sparkpost_sending_domain" "bounce" {
  domain                   = "bounce.example.com"
  dkim_key_length          = 1024
  is_default_bounce_domain = true
}
resource "sparkpost_sending_domain" "taken" {
  domain          = "taken.example.com"
  dkim_key_length = 1024
}
"""
    sp.write(hcl)
    sp.tf.init()
    result = sp.tf.plan_json()
    assert result.returncode == 2 and result.errors() == []
    [warning] = diagnostics_of(result, "warning")
    assert warning["summary"] == "The bounce CNAME is not verified yet"
    assert warning["range"]["start"]["line"] == line_of(hcl, "is_default_bounce_domain = true")
    assert "CNAME record bounce.example.com with the value: sparkpostmail.com" in warning["detail"]

    result = sp.tf.apply("-json", check=False)
    errors = {e["address"]: e for e in diagnostics_of(result, "error")}
    bounce = errors["sparkpost_sending_domain.bounce"]
    assert bounce["summary"] == "Cannot make bounce.example.com the default bounce domain yet"
    assert "CNAME record bounce.example.com with the value: sparkpostmail.com" in bounce["detail"]
    assert bounce["range"]["start"]["line"] == line_of(hcl, "is_default_bounce_domain = true")
    taken = errors["sparkpost_sending_domain.taken"]
    assert taken["summary"] == "Sending domain taken.example.com already exists in this SparkPost account"
    assert "terraform import ADDRESS taken.example.com" in taken["detail"]
    assert 'id = "taken.example.com"' in taken["detail"]
    # The created domain is kept (not forgotten), with the flag as SparkPost has it.
    kept = values(sp, "sparkpost_sending_domain.bounce")
    assert kept["is_default_bounce_domain"] is False and kept["dkim_selector"]
    assert len(calls_to(sp, VERIFY)) == 1  # apply checked the CNAME once before giving up


def test_primary_account_written_as_null_or_zero_is_one_owner(sp: SparkPostWorld) -> None:
    """`subaccount_id` null and "0" both name the primary account: an import by `0/DOMAIN` into a
    configuration without subaccount_id (or by DOMAIN into one with "0"), or a configuration
    switching between them, records the value in place. It never replaces the domain, which
    would delete it with its DKIM key and verification."""
    for name in ("a.example.com", "b.example.com"):
        assert sp.api("POST", "/sending-domains", json={"domain": name, "dkim_key_length": 1024}).status_code == 200
    keys = {d["domain"]: d["dkim"]["public"] for d in sp.emulator.dump_state()["sending_domains"]}
    hcl = """
resource "sparkpost_sending_domain" "a" {
  domain = "a.example.com"%s
}
resource "sparkpost_sending_domain" "b" {
  domain = "b.example.com"%s
  shared_with_subaccounts = true
}
"""
    zero = '\n  subaccount_id = "0"'
    imports = ('import {\n  to = sparkpost_sending_domain.a\n  id = "0/a.example.com"\n}\n'
               'import {\n  to = sparkpost_sending_domain.b\n  id = "b.example.com"\n}\n')
    sp.write(hcl % ("", zero) + imports)
    sp.tf.init()
    result, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_sending_domain.a": ["update"], "sparkpost_sending_domain.b": ["update"]}, \
        result.stdout[-3000:]
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0
    assert values(sp, "sparkpost_sending_domain.b")["id"] == "0/b.example.com"

    sp.write(hcl % (zero, ""))  # the other way round
    _, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_sending_domain.a": ["update"], "sparkpost_sending_domain.b": ["update"]}
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0
    assert (values(sp, "sparkpost_sending_domain.a")["id"], values(sp, "sparkpost_sending_domain.b")["id"]) == \
        ("0/a.example.com", "b.example.com")
    now = {d["domain"]: d["dkim"]["public"] for d in sp.emulator.dump_state()["sending_domains"]}
    assert now == keys  # the same domains, with the same DKIM keys


def test_import_id_in_other_case_plans_no_change(sp: SparkPostWorld) -> None:
    """SparkPost keeps domain names lowercase; an import ID typed in capitals records the name as
    SparkPost has it, so the configuration's lowercase name plans nothing."""
    sub = sp.api("POST", "/subaccounts", json={"name": "x", "setup_api_key": False}).json()["results"]["subaccount_id"]
    assert sp.api("POST", "/sending-domains", subaccount=sub, json={"domain": "mail.case.example"}).status_code == 200
    sp.write(f'resource "sparkpost_sending_domain" "d" {{\n  domain        = "mail.case.example"\n'
             f'  subaccount_id = {sub}\n}}\n')
    sp.tf.init()
    sp.tf.run("import", "-no-color", "sparkpost_sending_domain.d", f"{sub}/MAIL.Case.Example")
    got = values(sp, "sparkpost_sending_domain.d")
    assert (got["id"], got["domain"]) == (f"{sub}/mail.case.example", "mail.case.example")
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
