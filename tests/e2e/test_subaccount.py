"""sparkpost_subaccount, its data sources and the provider block, with the real terraform against
the emulator, using only our users' operator key (metrics, subaccounts, sending domains)."""

from __future__ import annotations

import json
import re

import grpc

from .harness import changes
from .sparkpost_world import SparkPostWorld

SECRET = "projects/cloud-inst-1/secrets/SPARKPOST_SMTP_KEY"

THREE = f"""
resource "sparkpost_subaccount" "stored" {{
  name = "acme"
  initial_api_key = {{
    label  = "acme smtp"
    grants = ["smtp/inject"]
  }}
  initial_api_key_secret_manager = {{
    secret        = "{SECRET}"
    create_secret = true
  }}
}}
resource "sparkpost_subaccount" "in_state" {{
  name = "globex"
  initial_api_key = {{
    label     = "globex smtp"
    grants    = ["smtp/inject"]
    valid_ips = ["10.0.0.0/8", "203.0.113.7"]
  }}
}}
resource "sparkpost_subaccount" "bare" {{
  name = "initech"
}}
"""


def subaccount(sp: SparkPostWorld, sub_id: str) -> dict:
    r = sp.api("GET", f"/subaccounts/{sub_id}")
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_create_with_and_without_initial_key_then_empty_plan(sp: SparkPostWorld) -> None:
    sp.write(THREE)
    sp.tf.init()
    sp.tf.apply()
    res = sp.tf.state_resources()
    stored = res["sparkpost_subaccount.stored"]["values"]
    in_state = res["sparkpost_subaccount.in_state"]["values"]
    bare = res["sparkpost_subaccount.bare"]["values"]

    assert re.fullmatch(r"\d+", stored["id"])
    assert subaccount(sp, stored["id"])["name"] == "acme"
    assert stored["status"] == "active" and stored["deletion_protection"] is True
    assert stored["compliance_status"]
    # the key went to Secret Manager, not to state
    assert stored["initial_api_key_secret"] is None
    version = stored["initial_api_key_secret_manager"]["version"]
    assert version.startswith(SECRET + "/versions/")
    [v] = sp.secret_manager.versions(SECRET)
    key = v.text
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    assert stored["initial_api_key_short_key"] == key[:4]
    assert key not in (sp.tf.workdir / "terraform.tfstate").read_text()
    # the key in state is marked sensitive
    assert re.fullmatch(r"[0-9a-f]{40}", in_state["initial_api_key_secret"])
    sensitive = res["sparkpost_subaccount.in_state"]["sensitive_values"]
    assert sensitive.get("initial_api_key_secret") is True
    assert bare["initial_api_key_secret"] is None and bare["initial_api_key_short_key"] is None
    # the subaccount key is confined to its subaccount and really has the grant asked for
    keys = [k for k in sp.emulator.dump_state()["keys"] if k["subaccount_id"] == int(stored["id"])]
    assert [k["grants"] for k in keys] == [["smtp/inject"]]

    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
    # refresh: one GET per subaccount (plus one credentials check), no list
    sp.emulator.reset_request_log()
    sp.tf.plan()
    routes = sp.by_route()
    assert routes.get("GET /api/v1/subaccounts/{id}") == 3
    assert "GET /api/v1/subaccounts" not in routes


def test_drift_in_place_and_termination_recreates(sp: SparkPostWorld) -> None:
    sp.write('resource "sparkpost_subaccount" "s" {\n  name = "umbrella"\n}\n')
    sp.tf.init()
    sp.tf.apply()
    sub_id = sp.tf.state_resources()["sparkpost_subaccount.s"]["values"]["id"]
    assert sp.api("POST", "/ip-pools", json={"name": "shared_pool"}).status_code == 200

    for change in ({"name": "umbrella-renamed"}, {"ip_pool": "shared_pool"}, {"status": "suspended"}):
        assert sp.api("PUT", f"/subaccounts/{sub_id}", json=change).status_code == 200
        result, plan = sp.tf.plan()
        assert result.returncode == 2
        assert changes(plan) == {"sparkpost_subaccount.s": ["update"]}, change
        sp.tf.apply()
        now = subaccount(sp, sub_id)
        assert now["name"] == "umbrella" and now["status"] == "active" and not now.get("ip_pool")
        assert sp.tf.plan()[0].returncode == 0

    assert sp.api("PUT", f"/subaccounts/{sub_id}", json={"status": "terminated"}).status_code == 200
    _, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_subaccount.s": ["create"]}


def test_protection_and_on_destroy_modes(sp: SparkPostWorld) -> None:
    body = "".join(
        f'resource "sparkpost_subaccount" "{m}" {{\n  name = "{m}"\n%s}}\n' for m in ("terminate", "suspend", "abandon")
    )
    sp.write(body % ("", "", ""))
    sp.tf.init()
    sp.tf.apply()
    ids = {m: sp.tf.state_resources()[f"sparkpost_subaccount.{m}"]["values"]["id"] for m in ("terminate", "suspend", "abandon")}

    result = sp.tf.run("destroy", "-auto-approve", "-json", check=False)
    assert result.returncode == 1
    errs = result.errors()
    assert {e["summary"] for e in errs} == {"Subaccount is protected from destruction"}
    assert any("deletion_protection = true" in e["detail"] and f"id {ids['terminate']}" in e["detail"] for e in errs)
    assert all(subaccount(sp, i)["status"] == "active" for i in ids.values())

    settings = {m: f'  deletion_protection = false\n  on_destroy = "{m}"\n' for m in ids}
    sp.write("".join(f'resource "sparkpost_subaccount" "{m}" {{\n  name = "{m}"\n{settings[m]}}}\n' for m in ids))
    sp.tf.apply()
    sp.tf.destroy()
    assert subaccount(sp, ids["terminate"])["status"] == "terminated"
    assert subaccount(sp, ids["suspend"])["status"] == "suspended"
    assert subaccount(sp, ids["abandon"])["status"] == "active"
    assert sp.tf.state_resources() == {}


def _old_script_subaccount(sp: SparkPostWorld, name: str) -> str:
    """Made the way the old sync script did: setup_api_key with an smtp/inject key."""
    r = sp.api("POST", "/subaccounts", json={
        "name": name, "setup_api_key": True, "key_label": f"{name} smtp", "key_grants": ["smtp/inject"],
    }, key=sp.operator_key)
    assert r.status_code == 200, r.text
    return str(r.json()["results"]["subaccount_id"])


def test_import_cli_and_import_block_without_replacement(sp: SparkPostWorld) -> None:
    first = _old_script_subaccount(sp, "hooli")
    second = _old_script_subaccount(sp, "pied-piper")
    sp.write('resource "sparkpost_subaccount" "hooli" {\n  name = "hooli"\n}\n')
    sp.tf.init()
    sp.tf.run("import", "-no-color", "sparkpost_subaccount.hooli", first)
    values = sp.tf.state_resources()["sparkpost_subaccount.hooli"]["values"]
    assert values["initial_api_key_secret"] is None and values["deletion_protection"] is True
    assert sp.tf.plan()[0].returncode == 0

    # with an initial_api_key block the API cannot return: recorded in place, never a replacement
    sp.write('resource "sparkpost_subaccount" "hooli" {\n  name = "hooli"\n'
             '  initial_api_key = {\n    label = "hooli smtp"\n    grants = ["smtp/inject"]\n  }\n}\n')
    _, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_subaccount.hooli": ["update"]}
    sp.emulator.reset_request_log()
    sp.tf.apply()
    assert "PUT /api/v1/subaccounts/{id}" not in sp.by_route()  # nothing to tell SparkPost
    assert sp.tf.plan()[0].returncode == 0

    # import {} with generated configuration
    sp.tf.write(f'import {{\n  to = sparkpost_subaccount.piper\n  id = "{second}"\n}}\n', "import.tf")
    sp.tf.run("plan", "-no-color", "-input=false", "-generate-config-out=generated.tf")
    generated = (sp.tf.workdir / "generated.tf").read_text()
    assert 'name                = "pied-piper"' in generated or '"pied-piper"' in generated
    sp.tf.apply()
    _, plan = sp.tf.plan()
    assert changes(plan) == {}
    assert sp.tf.state_resources()["sparkpost_subaccount.piper"]["values"]["id"] == second
    assert subaccount(sp, second)["status"] == "active"


def test_bad_input_is_stopped_before_any_api_call(sp: SparkPostWorld) -> None:
    cases = {
        'name = "%s"' % ("x" * 65): ("name", "at most 64 characters"),
        'name = "ok"\n  status = "terminated"': ("status", "must be one of"),
        'name = "ok"\n  ip_pool = "bad pool!"': ("ip_pool", "letters, digits or underscores"),
        'name = "ok"\n  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject", "not/a-grant"]\n  }': ("initial_api_key", "not/a-grant"),
        'name = "ok"\n  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject"]\n    valid_ips = ["10.0.0.0/33"]\n  }': ("initial_api_key", "IPv4"),
        'name = "ok"\n  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject"]\n    valid_ips = ["2001:db8::/32"]\n  }': ("initial_api_key", "IPv6"),
        'name = "ok"\n  initial_api_key_secret_manager = { secret = "projects/x" }': ("initial_api_key_secret_manager", "projects/PROJECT/secrets/SECRET"),
    }
    sp.write('resource "sparkpost_subaccount" "s" {\n  name = "ok"\n}\n')
    sp.tf.init()
    sp.emulator.reset_request_log()
    for body, (attr, text) in cases.items():
        sp.write('resource "sparkpost_subaccount" "s" {\n  %s\n}\n' % body)
        result = sp.tf.plan_json()
        assert result.returncode == 1, body
        errs = result.errors()
        assert errs, body
        assert any(text in (e.get("detail", "") + e["summary"]) for e in errs), (body, errs)
        snippet = errs[0].get("snippet", {}).get("code", "")
        assert attr in snippet or attr in errs[0]["summary"], (body, errs[0])
    assert sp.api_calls() == 0


def test_provider_configuration_errors_point_at_the_attribute(sp: SparkPostWorld) -> None:
    sp.write('resource "sparkpost_subaccount" "s" {\n  name = "ok"\n}\n')
    sp.tf.init()
    result = sp.tf.run("plan", "-json", "-input=false", check=False, env={"SPARKPOST_API_KEY": ""})
    # Terraform adds its own "Invalid provider configuration" when there is no provider block
    assert "Missing SparkPost API key" in [e["summary"] for e in result.errors()]

    result = sp.tf.run("plan", "-json", "-input=false", check=False, env={"SPARKPOST_API_KEY": "f" * 40})
    assert [e["summary"] for e in result.errors()].count("SparkPost rejected the API key") == 1
    assert "f" * 40 not in result.stdout + result.stderr

    sp.tf.write('provider "sparkpost" {\n  api_key = "a"\n  api_key_secret = "projects/my-project/secrets/k/versions/latest"\n}\n', "provider.tf")
    result = sp.tf.run("validate", "-json", check=False)
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["diagnostics"][0]["summary"] == "Conflicting credentials"
    assert report["diagnostics"][0]["range"]["start"]["line"] == 3


def test_api_key_from_secret_manager(sp: SparkPostWorld) -> None:
    name = "projects/sourcegraph-secrets/secrets/SPARKPOST_API_KEY"
    sp.secret_manager.create_secret(name)
    sp.secret_manager.add_version(name, sp.operator_key + "\n")
    sp.tf.write(f'provider "sparkpost" {{\n  api_key_secret = "{name}/versions/latest"\n}}\n', "provider.tf")
    sp.write('resource "sparkpost_subaccount" "s" {\n  name = "from-secret"\n}\n')
    sp.tf.init()
    sp.tf.apply(env={"SPARKPOST_API_KEY": ""})
    assert sp.tf.state_resources()["sparkpost_subaccount.s"]["values"]["name"] == "from-secret"

    sp.tf.write('provider "sparkpost" {\n  api_key_secret = "projects/sourcegraph-secrets/secrets/MISSING/versions/latest"\n}\n', "provider.tf")
    result = sp.tf.run("plan", "-json", check=False, env={"SPARKPOST_API_KEY": ""})
    [err] = result.errors()
    assert err["summary"] == "Cannot read the SparkPost API key from Secret Manager"
    assert err["range"]["start"]["line"] == 2
    assert "MISSING" in err["detail"]


def test_secret_manager_failure_terminates_the_new_subaccount_and_apply_again_works(sp: SparkPostWorld) -> None:
    sp.write(f'''
resource "sparkpost_subaccount" "s" {{
  name = "soylent"
  initial_api_key = {{
    label  = "soylent smtp"
    grants = ["smtp/inject"]
  }}
  initial_api_key_secret_manager = {{ secret = "{SECRET}" }}
}}
''')
    sp.secret_manager.create_secret(SECRET)
    sp.secret_manager.fail_next("AddSecretVersion", grpc.StatusCode.PERMISSION_DENIED, count=10)
    sp.tf.init()
    result = sp.tf.apply(check=False)
    assert result.returncode == 1  # never exit 0 while the key is anywhere but Secret Manager
    out = " ".join(result.stdout.split() + result.stderr.split())
    assert "Could not write the new send key to Secret Manager" in out
    assert "secretmanager.versions.add" in out and "was terminated" in out
    assert "sparkpost_subaccount.s" not in sp.tf.state_resources()  # no key in state
    [made] = sp.emulator.dump_state()["subaccounts"]
    assert made["status"] == "terminated"

    sp.secret_manager.clear_failures()
    _, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_subaccount.s": ["create"]}
    sp.tf.apply()
    values = sp.tf.state_resources()["sparkpost_subaccount.s"]["values"]
    assert values["initial_api_key_secret"] is None
    assert values["initial_api_key_secret_manager"]["version"].startswith(SECRET + "/versions/")
    assert values["initial_api_key_status"] == "live"
    assert sp.tf.plan()[0].returncode == 0


def test_data_sources(sp: SparkPostWorld) -> None:
    a = _old_script_subaccount(sp, "tenant-a")
    _old_script_subaccount(sp, "tenant-b")
    _old_script_subaccount(sp, "twin")
    _old_script_subaccount(sp, "twin")
    sp.write(f'''
data "sparkpost_subaccount" "by_id" {{ id = "{a}" }}
data "sparkpost_subaccount" "by_name" {{ name = "tenant-b" }}
data "sparkpost_subaccounts" "tenants" {{ name_contains = "tenant-" }}
output "by_id" {{ value = data.sparkpost_subaccount.by_id.name }}
output "by_name" {{ value = data.sparkpost_subaccount.by_name.id }}
output "tenants" {{ value = [for s in data.sparkpost_subaccounts.tenants.subaccounts : s.name] }}
''')
    sp.tf.init()
    sp.tf.apply()
    out = json.loads(sp.tf.run("output", "-json").stdout)
    assert out["by_id"]["value"] == "tenant-a"
    assert out["by_name"]["value"] != a
    assert out["tenants"]["value"] == ["tenant-a", "tenant-b"]

    sp.write('data "sparkpost_subaccount" "twin" {\n  name = "twin"\n}\n')
    result = sp.tf.plan_json()
    [err] = result.errors()
    assert err["summary"] == "Ambiguous subaccount name"


def test_provider_configuration_known_only_at_apply(sp: SparkPostWorld) -> None:
    # The endpoint comes from a resource created in the same run: unknown while planning.
    sp.tf.write(f'''
resource "terraform_data" "endpoint" {{
  input = "{sp.emulator.url}"
}}
provider "sparkpost" {{
  base_url = terraform_data.endpoint.output
}}
''', "provider.tf")
    sp.write('resource "sparkpost_subaccount" "s" {\n  name = "late-config"\n}\n')
    sp.tf.init()
    result, plan = sp.tf.plan(env={"SPARKPOST_BASE_URL": ""})
    assert result.returncode == 2
    assert changes(plan) == {"terraform_data.endpoint": ["create"], "sparkpost_subaccount.s": ["create"]}
    assert sp.api_calls() == 0  # nothing could be called yet, and nothing failed
    sp.tf.apply(env={"SPARKPOST_BASE_URL": ""})
    assert sp.tf.state_resources()["sparkpost_subaccount.s"]["values"]["name"] == "late-config"
    assert sp.tf.plan(env={"SPARKPOST_BASE_URL": ""})[0].returncode == 0


def test_creating_a_second_subaccount_with_a_taken_name_fails_and_creates_nothing(sp: SparkPostWorld) -> None:
    existing = _old_script_subaccount(sp, "twin-name")
    # an interrupted create's orphan of another name is found by its marker too
    orphan = sp.api("POST", "/subaccounts", json={"name": "other ~tf-0123456789ab", "setup_api_key": False},
                    key=sp.operator_key).json()["results"]["subaccount_id"]
    sp.write('resource "sparkpost_subaccount" "s" {\n  name = "twin-name"\n}\n'
             'resource "sparkpost_subaccount" "o" {\n  name = "other"\n}\n')
    sp.tf.init()
    sp.emulator.reset_request_log()
    result = sp.tf.apply(check=False)
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1
    assert "A subaccount named 'twin-name' already exists" in out
    assert f"terraform import ADDRESS {existing}" in out
    assert "A subaccount named 'other' already exists" in out and "left by an interrupted create" in out
    assert f"{orphan} (active, named 'other ~tf-0123456789ab'" in out
    assert "POST /api/v1/subaccounts" not in sp.by_route()
    assert sp.tf.state_resources() == {}
    # once the orphan is terminated, the apply converges
    assert sp.api("PUT", f"/subaccounts/{orphan}", json={"status": "terminated"}).status_code == 200
    sp.tf.run("import", "-no-color", "sparkpost_subaccount.s", existing)
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0


REPLACED = """
resource "terraform_data" "trigger" {
  input = "%s"
}
resource "sparkpost_subaccount" "s" {
  name = "hooli"
%s  lifecycle {
    replace_triggered_by = [terraform_data.trigger]
  }
}
resource "sparkpost_sending_domain" "d" {
  domain        = "mail.hooli.example"
  subaccount_id = sparkpost_subaccount.s.id
}
"""


def test_replacing_a_protected_subaccount_is_refused_at_plan_and_its_domain_is_kept(sp: SparkPostWorld) -> None:
    """-replace and replace_triggered_by plan a destroy of the subaccount that Terraform asks the
    provider to plan only as a create. It used to pass the plan: apply destroyed the sending
    domain (which depends on the subaccount) and then stopped at the protected subaccount."""
    sp.write(REPLACED % ("one", ""))
    sp.tf.init()
    sp.tf.apply()
    sub_id = sp.tf.state_resources()["sparkpost_subaccount.s"]["values"]["id"]
    sp.emulator.reset_request_log()

    for args, trigger in ((["-replace=sparkpost_subaccount.s"], "one"), ([], "two")):
        sp.write(REPLACED % (trigger, ""))
        result = sp.tf.run("apply", "-auto-approve", "-json", *args, check=False)
        assert result.returncode == 1, result.stdout[-3000:]
        [err] = result.errors()
        assert err["summary"] == "Subaccount is protected from destruction"
        assert "This plan replaces the subaccount" in err["detail"] and f"(id {sub_id})" in err["detail"]
        domains = sp.emulator.dump_state()["sending_domains"]
        assert [(d["domain"], d["subaccount_id"]) for d in domains] == [("mail.hooli.example", int(sub_id))]
        assert subaccount(sp, sub_id)["status"] == "active"
    assert not [r for r in sp.by_route() if r.startswith(("DELETE", "PUT"))]  # nothing destroyed or changed
    assert sp.api_calls() > 0  # the plans did refresh

    # unprotected (an apply of its own, as for a destroy), the same replacement goes through
    sp.write(REPLACED % ("one", "  deletion_protection = false\n"))
    sp.tf.apply()
    sp.tf.apply("-replace=sparkpost_subaccount.s")
    new_id = sp.tf.state_resources()["sparkpost_subaccount.s"]["values"]["id"]
    assert new_id != sub_id and subaccount(sp, sub_id)["status"] == "terminated"
    domains = sp.emulator.dump_state()["sending_domains"]
    assert [(d["domain"], d["subaccount_id"]) for d in domains] == [("mail.hooli.example", int(new_id))]
