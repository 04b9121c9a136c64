"""sparkpost_ip_pool and its data source with the real terraform against the emulator: create,
a subaccount referencing the pool, import, drift, bad input, and the operator key's missing grant."""

from __future__ import annotations

from .harness import changes
from .sparkpost_world import SparkPostWorld

POOL = '''
resource "sparkpost_ip_pool" "dedicated" {
  name                      = "Acme Dedicated"
  fbl_signing_domain        = "fbl.example.com"
  auto_warmup_overflow_pool = "shared pool"
}
resource "sparkpost_subaccount" "acme" {
  name    = "cloud-acme"
  ip_pool = sparkpost_ip_pool.dedicated.id
}
data "sparkpost_ip_pool" "default" {
  id = "default"
}
output "default_ips" { value = data.sparkpost_ip_pool.default.ips }
'''


def _admin(sp: SparkPostWorld) -> None:
    sp.tf.env_extra["SPARKPOST_API_KEY"] = sp.admin_key  # ip_pools/manage: the operator key lacks it


def test_create_reference_import_and_drift(sp: SparkPostWorld) -> None:
    _admin(sp)
    sp.emulator.store.ip_pools["default"].ips.append(
        {"external_ip": "192.0.2.10", "hostname": "mta1.example.net", "auto_warmup_enabled": False})
    sp.write(POOL)
    sp.tf.init()
    sp.tf.apply()
    res = sp.tf.state_resources()
    pool = res["sparkpost_ip_pool.dedicated"]["values"]
    assert pool["id"] == "acme_dedicated" and pool["ips"] == []
    sub = res["sparkpost_subaccount.acme"]["values"]
    assert sp.api("GET", f"/subaccounts/{sub['id']}").json()["results"]["ip_pool"] == "acme_dedicated"
    api = sp.api("GET", "/ip-pools/acme_dedicated").json()["results"]
    assert (api["name"], api["fbl_signing_domain"], api["auto_warmup_overflow_pool"]) == \
        ("Acme Dedicated", "fbl.example.com", "shared pool")
    out = sp.tf.run("output", "-json", "default_ips").stdout
    assert "192.0.2.10" in out and "mta1.example.net" in out
    assert sp.tf.plan()[0].returncode == 0

    # Drift: renamed, and the FBL domain removed, outside Terraform -> one in-place update.
    assert sp.api("PUT", "/ip-pools/acme_dedicated", json={"name": "renamed", "fbl_signing_domain": ""}).status_code == 200
    _, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_ip_pool.dedicated": ["update"]}
    sp.tf.apply()
    assert sp.api("GET", "/ip-pools/acme_dedicated").json()["results"]["name"] == "Acme Dedicated"

    # Import: forget the pool, import it by id, and the next plan is empty.
    sp.tf.run("state", "rm", "sparkpost_ip_pool.dedicated")
    sp.tf.run("import", "-no-color", "sparkpost_ip_pool.dedicated", "acme_dedicated")
    assert sp.tf.plan()[0].returncode == 0

    # Deleted outside Terraform: planned for creation again (the subaccount lost its pool too).
    assert sp.api("DELETE", "/ip-pools/acme_dedicated").status_code == 204
    _, plan = sp.tf.plan()
    assert changes(plan)["sparkpost_ip_pool.dedicated"] == ["create"]


def test_bad_input_is_refused_at_plan(sp: SparkPostWorld) -> None:
    _admin(sp)
    sp.write('''
resource "sparkpost_ip_pool" "a" {
  name = "Default"
}
resource "sparkpost_ip_pool" "b" {
  name                      = "b"
  auto_warmup_overflow_pool = "no such pool!"
  signing_domain            = "not a domain"
}
''')
    sp.tf.init()
    result = sp.tf.plan_json()
    assert result.returncode == 1
    errors = {(e["summary"], tuple(s.get("value") for s in e.get("address_path", []) or [])) for e in result.errors()}
    text = " ".join(e["summary"] + " " + e.get("detail", "") for e in result.errors())
    assert "Reserved IP pool name" in text and "shared pool" in text and "not a domain" in text, errors
    assert sp.api_calls() == 0
    sp.write('resource "sparkpost_ip_pool" "x" {\n  name = "x"\n}\n')
    result = sp.tf.run("import", "-no-color", "sparkpost_ip_pool.x", "default", check=False)
    assert result.returncode == 1 and "default IP pool cannot be managed" in result.stderr
    result = sp.tf.run("import", "-no-color", "sparkpost_ip_pool.x", "bad id!", check=False)
    assert result.returncode == 1 and "Invalid import ID for sparkpost_ip_pool" in result.stderr


def test_operator_key_lacks_the_grant(sp: SparkPostWorld) -> None:
    sp.write('resource "sparkpost_ip_pool" "p" {\n  name = "p"\n}\n')
    sp.tf.init()
    result = sp.tf.apply(check=False)
    assert result.returncode == 1
    assert "Could not create IP pool 'p'" in result.stderr
    assert "lacks the ip_pools/manage grant" in " ".join(result.stderr.split())
    assert sp.api("GET", "/ip-pools").json()["results"][0]["id"] == "default"
    assert len(sp.api("GET", "/ip-pools").json()["results"]) == 1
