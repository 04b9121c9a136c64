"""The send key's life in examples/modules/managed-smtp, as an operator lives it (issue 12 cases
1, 3, 5 and 6; issue 13 item 2): adopted instances, a subaccount terminated or a key revoked by
hand, imports without the module's adoption inputs, a moved secret, and Secret Manager failing
while a key is being stored.

Every case ends one of two ways: `terraform plan -detailed-exitcode` exits 2 and one apply brings
the instance back (checked: the apply converges, the next plan is empty, and the secret the
`email_smtp` output names holds a live key with only `smtp/inject`, owned by the instance's
subaccount: SparkPost answers 403 to a REST call with it, not 401); or a clear error whose advice
is then followed, and works.
"""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import requests

from .harness import ROOT, changes
from .sparkpost_world import SparkPostWorld

ADDR = "module.smtp.sparkpost_subaccount.this"
DOMAIN_ADDR = "module.smtp.sparkpost_sending_domain.custom"
SECRET_ID = "SPARKPOST_SMTP_API_KEY"


def secret_of(project: str) -> str:
    return f"projects/{project}/secrets/{SECRET_ID}"


def module_config(sp: SparkPostWorld, customer: str, project: str, extra: str = "", tail: str = "") -> None:
    shutil.copytree(ROOT / "examples" / "modules", sp.tf.workdir.parent / "modules", dirs_exist_ok=True)
    sp.write(f'''
module "smtp" {{
  source         = "../modules/managed-smtp"
  customer       = "{customer}"
  secret_project = "{project}"
  {extra}
}}
output "smtp" {{ value = module.smtp }}
{tail}''')


def import_block(sub_id: int) -> str:
    return f'import {{\n  to = {ADDR}\n  id = "{sub_id}"\n}}\n'


def old_script(sp: SparkPostWorld, customer: str, project: str) -> tuple[int, str]:
    """What the old sync script did per instance: a subaccount with an smtp/inject key made in
    the same call, and that key added to the instance's secret."""
    r = sp.api("POST", "/subaccounts", key=sp.operator_key, json={
        "name": f"cloud-{customer}", "setup_api_key": True,
        "key_label": f"cloud-{customer} SMTP", "key_grants": ["smtp/inject"],
    })
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    sp.secret_manager.create_secret(secret_of(project))
    sp.secret_manager.add_version(secret_of(project), res["key"])
    return int(res["subaccount_id"]), res["key"]


def smtp_output(sp: SparkPostWorld) -> dict[str, Any]:
    return json.loads(sp.tf.run("output", "-json", "smtp").stdout)


def rest_status(sp: SparkPostWorld, key: str) -> int:
    """What SparkPost answers a REST call made with `key`: 401 for a revoked or unknown key, 403
    for a live key without the grant (a send key has only smtp/inject)."""
    return requests.get(f"{sp.emulator.url}/api/v1/account", headers={"Authorization": key}, timeout=30).status_code


def key_record(sp: SparkPostWorld, key: str) -> dict[str, Any] | None:
    """The emulator's record of a key (its id, grants and owner), found by the key itself."""
    with sp.emulator.store.lock:
        found = sp.emulator.store.key_for_secret(key)
        return None if found is None else {"id": found.id, "grants": list(found.grants),
                                           "subaccount_id": found.subaccount_id}


def secret_payload(sp: SparkPostWorld, version_name: str) -> str:
    secret, _, number = version_name.rpartition("/versions/")
    [v] = [v for v in sp.secret_manager.versions(secret) if str(v.number) == number]
    assert v.state == "ENABLED" and v.text
    return v.text


def assert_instance_sends(sp: SparkPostWorld, project: str) -> tuple[str, str]:
    """The instance's email works: the output names a version of its secret, that version holds
    a live key with only smtp/inject, owned by the instance's subaccount. Returns (version, key)."""
    out = smtp_output(sp)
    version = out["email_smtp"]["password"]
    assert re.fullmatch(re.escape(secret_of(project)) + r"/versions/[1-9][0-9]*", version), version
    assert out["smtp_password_secret_version"] == version
    key = secret_payload(sp, version)
    assert rest_status(sp, key) == 403  # live (not 401), and refused REST: an SMTP-only key
    record = key_record(sp, key)
    assert record is not None
    assert record["grants"] == ["smtp/inject"]
    assert record["subaccount_id"] == int(out["subaccount_id"])
    sub = [s for s in sp.emulator.dump_state()["subaccounts"] if s["id"] == int(out["subaccount_id"])]
    assert sub and sub[0]["status"] == "active"
    state = (sp.tf.workdir / "terraform.tfstate").read_text()
    assert key not in state  # the key never sits in Terraform state
    return version, key


def assert_empty_plan(sp: SparkPostWorld) -> None:
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)


def revoke(sp: SparkPostWorld, key: str) -> None:
    """Delete the key in SparkPost, as an operator does in SparkPost's app (which manages keys
    where the API may not): DELETE /api/v1/api-keys/ID with X-MSYS-SUBACCOUNT, with the emulator's
    API-keys API switched on for that call only."""
    record = key_record(sp, key)
    assert record is not None
    sp.emulator.set_options(api_keys_api=True)
    try:
        r = sp.api("DELETE", f"/api-keys/{record['id']}", subaccount=record["subaccount_id"])
    finally:
        sp.emulator.set_options(api_keys_api=False)
    assert r.status_code == 204, r.text
    assert rest_status(sp, key) == 401


def warnings(result: Any) -> str:
    return result.stdout + result.stderr


# ---------------------------------------------------------------- case 1


def test_adopted_instance_whose_subaccount_is_terminated_gets_a_new_one_with_a_key(sp: SparkPostWorld) -> None:
    project = "cloud-acme-prod"
    sub_id, old_key = old_script(sp, "acme", project)
    module_config(sp, "acme", project, "adopt_existing_key = true", import_block(sub_id))
    sp.tf.init()
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    # the import records the send key's secret version: no SparkPost change
    assert changes(plan) == {ADDR: ["update"]}
    before = sp.emulator.dump_state()
    sp.tf.apply()
    assert sp.emulator.dump_state()["subaccounts"] == before["subaccounts"]
    version, key = assert_instance_sends(sp, project)
    assert key == old_key and version == secret_of(project) + "/versions/1"
    assert_empty_plan(sp)

    assert sp.api("PUT", f"/subaccounts/{sub_id}", json={"status": "terminated"}).status_code == 200
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {ADDR: ["create"]}
    sp.tf.apply()
    version, key = assert_instance_sends(sp, project)
    assert version == secret_of(project) + "/versions/2" and key != old_key
    assert smtp_output(sp)["subaccount_id"] != str(sub_id)
    assert_empty_plan(sp)


# ---------------------------------------------------------------- case 3


def test_revoked_send_key_shows_in_plan_and_one_apply_replaces_the_subaccount(sp: SparkPostWorld) -> None:
    project = "cloud-globex-prod"
    module_config(sp, "globex", project, 'sending_domain = "mail.globex.example"')
    sp.tf.init()
    sp.tf.apply()
    _, key = assert_instance_sends(sp, project)
    old_sub = smtp_output(sp)["subaccount_id"]

    # what a refresh costs with the check on: one subaccount GET and one request with the key
    # (GET /account; the other one is the provider's credentials check), one Secret Manager read
    sp.emulator.reset_request_log()
    calls_before = len(sp.secret_manager.calls())
    assert_empty_plan(sp)
    routes = sp.by_route()
    sm_reads = [c for c in sp.secret_manager.calls()[calls_before:] if c[0] == "AccessSecretVersion"]
    print(f"\nrefresh with check_send_key: {routes}, Secret Manager reads {len(sm_reads)}")
    assert routes == {"GET /api/v1/subaccounts/{id}": 1, "GET /api/v1/account": 2,
                      "GET /api/v1/sending-domains/{domain}": 1}
    assert len(sm_reads) == 1

    revoke(sp, key)
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    # the custom domain cannot move between subaccounts: it is made again on the new one
    assert changes(plan) == {ADDR: ["delete", "create"], f"{DOMAIN_ADDR}[0]": ["delete", "create"]}
    [rc] = [rc for rc in plan["resource_changes"] if rc["address"] == ADDR]
    assert ["initial_api_key_status"] in rc["change"]["replace_paths"]
    assert rc["change"]["before"]["initial_api_key_status"] == "revoked"
    text = " ".join(warnings(result).split())
    assert "revoked" in text and f"subaccount {old_sub}" in text and "suspended" in text

    sp.tf.apply()
    version, new_key = assert_instance_sends(sp, project)
    assert new_key != key and version == secret_of(project) + "/versions/2"
    assert smtp_output(sp)["subaccount_id"] != old_sub
    # the old subaccount is suspended, not terminated: nothing irreversible happened
    [old] = [s for s in sp.emulator.dump_state()["subaccounts"] if str(s["id"]) == old_sub]
    assert old["status"] == "suspended" and old["name"] == "cloud-globex (replaced)"
    [domain] = sp.emulator.dump_state()["sending_domains"]
    assert domain["domain"] == "mail.globex.example"
    assert str(domain["subaccount_id"]) == smtp_output(sp)["subaccount_id"]
    assert smtp_output(sp)["dns_records"]["dkim"]  # new DKIM records to publish
    assert_empty_plan(sp)


def test_check_send_key_off_costs_no_request_and_does_not_see_a_revoked_key(sp: SparkPostWorld) -> None:
    project = "cloud-hooli-prod"
    module_config(sp, "hooli", project, "check_send_key = false")
    sp.tf.init()
    sp.tf.apply()
    _, key = assert_instance_sends(sp, project)
    sp.emulator.reset_request_log()
    calls_before = len(sp.secret_manager.calls())
    assert_empty_plan(sp)
    print(f"\nrefresh without check_send_key: {sp.by_route()}")
    assert sp.by_route() == {"GET /api/v1/subaccounts/{id}": 1, "GET /api/v1/account": 1}
    assert sp.secret_manager.calls()[calls_before:] == []
    revoke(sp, key)
    assert_empty_plan(sp)  # documented: without the check a revoked key goes unseen

    # turning the check back on finds it, and one apply heals
    module_config(sp, "hooli", project)
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {ADDR: ["delete", "create"]}
    sp.tf.apply()
    assert_instance_sends(sp, project)
    assert_empty_plan(sp)


def test_adopted_instance_whose_key_was_revoked_is_replaced_by_the_import_apply(sp: SparkPostWorld) -> None:
    project = "cloud-gringotts-prod"
    sub_id, old_key = old_script(sp, "gringotts", project)
    revoke(sp, old_key)  # the instance lost its email before anyone adopted it
    module_config(sp, "gringotts", project, "adopt_existing_key = true", import_block(sub_id))
    sp.tf.init()
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {ADDR: ["delete", "create"]}
    assert "revoked" in " ".join(warnings(result).split())
    sp.tf.apply()
    version, key = assert_instance_sends(sp, project)
    assert version == secret_of(project) + "/versions/2"
    [old] = [s for s in sp.emulator.dump_state()["subaccounts"] if s["id"] == sub_id]
    assert old["status"] == "suspended"  # protected: suspended, not terminated
    assert old["name"] == "cloud-gringotts (replaced)"  # its name is the new subaccount's
    assert_empty_plan(sp)


def test_send_key_version_destroyed_in_secret_manager_replaces_the_subaccount(sp: SparkPostWorld) -> None:
    project = "cloud-ollivander-prod"
    module_config(sp, "ollivander", project)
    sp.tf.init()
    sp.tf.apply()
    version, _ = assert_instance_sends(sp, project)
    sp.secret_manager.set_state(version, "DESTROYED")  # the key is gone: SparkPost never shows it again
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {ADDR: ["delete", "create"]}
    [rc] = [rc for rc in plan["resource_changes"] if rc["address"] == ADDR]
    assert rc["change"]["before"]["initial_api_key_status"] == "missing"
    sp.tf.apply()
    new_version, _ = assert_instance_sends(sp, project)
    assert new_version == secret_of(project) + "/versions/2"
    assert_empty_plan(sp)


def test_key_replaced_by_hand_is_adopted_in_place(sp: SparkPostWorld) -> None:
    project = "cloud-flourish-prod"
    module_config(sp, "flourish", project)
    sp.tf.init()
    sp.tf.apply()
    _, key = assert_instance_sends(sp, project)
    sub = int(smtp_output(sp)["subaccount_id"])
    # in SparkPost's app: revoke the key, make another smtp/inject key, store it as a new version
    revoke(sp, key)
    sp.emulator.set_options(api_keys_api=True)
    try:
        r = sp.api("POST", "/api-keys", subaccount=sub, json={"label": "by hand", "grants": ["smtp/inject"]})
    finally:
        sp.emulator.set_options(api_keys_api=False)
    assert r.status_code == 200, r.text
    by_hand = r.json()["results"]["key"]
    sp.secret_manager.add_version(secret_of(project), by_hand)
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {ADDR: ["update"]}  # no replacement: the subaccount has a live key
    assert "adopting it" in " ".join(warnings(result).split())
    sp.tf.apply()
    version, now = assert_instance_sends(sp, project)
    assert now == by_hand and version == secret_of(project) + "/versions/2"
    assert smtp_output(sp)["subaccount_id"] == str(sub)
    assert_empty_plan(sp)


# ---------------------------------------------------------------- case 5


def test_import_without_adopt_existing_key_keeps_the_password(sp: SparkPostWorld) -> None:
    project = "cloud-initech-prod"
    sub_id, old_key = old_script(sp, "initech", project)
    module_config(sp, "initech", project, "", import_block(sub_id))
    sp.tf.init()
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {ADDR: ["update"]}
    # the plan already knows where the password is: never null
    smtp_after = plan["output_changes"]["smtp"]["after"]
    assert smtp_after["email_smtp"]["password"] == secret_of(project) + "/versions/1"
    sp.tf.apply()
    _, key = assert_instance_sends(sp, project)
    assert key == old_key
    assert_empty_plan(sp)


def test_import_without_ip_pool_keeps_the_pool_and_config_can_still_change_it(sp: SparkPostWorld) -> None:
    project = "cloud-umbrella-prod"
    sub_id, _ = old_script(sp, "umbrella", project)
    for pool in ("dedicated_pool", "other_pool"):
        assert sp.api("POST", "/ip-pools", json={"name": pool}).status_code == 200
    assert sp.api("PUT", f"/subaccounts/{sub_id}", json={"ip_pool": "dedicated_pool"}).status_code == 200
    module_config(sp, "umbrella", project, "", import_block(sub_id))
    sp.tf.init()
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    [rc] = [rc for rc in plan["resource_changes"] if rc["address"] == ADDR]
    assert rc["change"]["after"]["ip_pool"] == "dedicated_pool"
    sp.tf.apply()
    assert_instance_sends(sp, project)
    pool = lambda: [s.get("ip_pool") for s in sp.emulator.dump_state()["subaccounts"] if s["id"] == sub_id][0]  # noqa: E731
    assert pool() == "dedicated_pool"
    assert_empty_plan(sp)

    # a pool changed by hand later is drift, put back to the adopted one
    assert sp.api("PUT", f"/subaccounts/{sub_id}", json={"ip_pool": "other_pool"}).status_code == 200
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan) == {ADDR: ["update"]}
    sp.tf.apply()
    assert pool() == "dedicated_pool"
    # the configuration still decides when it says something: "" removes the pool
    module_config(sp, "umbrella", project, 'ip_pool = ""', import_block(sub_id))
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan) == {ADDR: ["update"]}
    sp.tf.apply()
    assert not pool()
    assert_empty_plan(sp)
    assert_instance_sends(sp, project)


def test_import_whose_secret_holds_no_key_fails_at_plan_and_the_advice_works(sp: SparkPostWorld) -> None:
    project = "cloud-soylent-prod"
    sub_id, old_key = old_script(sp, "soylent", project)
    # the instance's configuration names the wrong project: its secret does not exist
    module_config(sp, "soylent", "cloud-soylent-test", "", import_block(sub_id))
    sp.tf.init()
    result = sp.tf.plan_json()
    assert result.returncode == 1
    [err] = result.errors()
    assert err["summary"] == "Imported subaccount has no send key in its secret"
    detail = " ".join(err["detail"].split())
    assert str(sub_id) in detail and secret_of("cloud-soylent-test") in detail
    assert "secret_project" in detail and "terraform state rm" in detail
    assert sp.emulator.dump_state()["subaccounts"][0]["status"] == "active"  # nothing touched

    # advice 1: name the secret that holds the key
    module_config(sp, "soylent", project, "", import_block(sub_id))
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan) == {ADDR: ["update"]}
    sp.tf.apply()
    _, key = assert_instance_sends(sp, project)
    assert key == old_key
    assert_empty_plan(sp)


def test_import_whose_key_is_lost_follows_the_advice_to_a_new_subaccount(sp: SparkPostWorld) -> None:
    project = "cloud-wonka-prod"
    sub_id, _ = old_script(sp, "wonka", project)
    [v] = sp.secret_manager.versions(secret_of(project))
    sp.secret_manager.set_state(v.name, "DESTROYED")  # the key is gone for good
    module_config(sp, "wonka", project, "", import_block(sub_id))
    sp.tf.init()
    result = sp.tf.plan_json()
    assert result.returncode == 1
    [err] = result.errors()
    detail = " ".join(err["detail"].split())
    assert "terraform state rm" in detail
    # advice 2: the key is lost, so free the old subaccount's name, leave it out, and let apply
    # make a new one
    put = re.search(r"PUT /api/v1/subaccounts/(\d+) with (\{.*?\})", detail)
    assert put and put.group(1) == str(sub_id), detail
    body = json.loads(put.group(2))
    assert body == {"status": "suspended", "name": "cloud-wonka (replaced)"}
    assert sp.api("PUT", f"/subaccounts/{sub_id}", json=body, key=sp.operator_key).status_code == 200
    module_config(sp, "wonka", project)  # no import block
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan) == {ADDR: ["create"]}
    sp.tf.apply()
    assert_instance_sends(sp, project)
    assert_empty_plan(sp)


# ---------------------------------------------------------------- case 6


def test_changing_secret_project_moves_the_key(sp: SparkPostWorld) -> None:
    module_config(sp, "vandelay", "cloud-vandelay-old")
    sp.tf.init()
    sp.tf.apply()
    _, key = assert_instance_sends(sp, "cloud-vandelay-old")
    sub = smtp_output(sp)["subaccount_id"]

    module_config(sp, "vandelay", "cloud-vandelay-new")
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {ADDR: ["update"]}
    sp.tf.apply()
    version, moved = assert_instance_sends(sp, "cloud-vandelay-new")
    assert moved == key and version == secret_of("cloud-vandelay-new") + "/versions/1"
    assert smtp_output(sp)["subaccount_id"] == sub  # same subaccount, same key
    assert_empty_plan(sp)


def test_moving_the_key_when_the_old_secret_cannot_be_read_fails_and_then_works(sp: SparkPostWorld) -> None:
    module_config(sp, "kramerica", "cloud-kramerica-old")
    sp.tf.init()
    sp.tf.apply()
    _, key = assert_instance_sends(sp, "cloud-kramerica-old")
    module_config(sp, "kramerica", "cloud-kramerica-new")
    sp.secret_manager.fail_next("AccessSecretVersion", "PERMISSION_DENIED", count=100)
    result = sp.tf.apply(check=False)
    assert result.returncode == 1
    text = " ".join((result.stdout + result.stderr).split())
    assert "secretmanager.versions.access" in text and "cloud-kramerica-old" in text
    assert smtp_output(sp)["email_smtp"]["password"].startswith(secret_of("cloud-kramerica-old"))
    sp.secret_manager.clear_failures()
    sp.tf.apply()
    _, moved = assert_instance_sends(sp, "cloud-kramerica-new")
    assert moved == key
    assert_empty_plan(sp)


# ---------------------------------------------------------------- issue 13 item 2


def test_secret_manager_write_is_retried(sp: SparkPostWorld) -> None:
    project = "cloud-dunder-prod"
    module_config(sp, "dunder", project)
    sp.tf.init()
    sp.secret_manager.fail_next("AddSecretVersion", "UNAVAILABLE", count=6)
    sp.tf.apply()
    assert_instance_sends(sp, project)
    assert_empty_plan(sp)


def test_secret_manager_write_failing_leaves_no_key_anywhere_and_apply_again_works(sp: SparkPostWorld) -> None:
    project = "cloud-sterling-prod"
    module_config(sp, "sterling", project)
    sp.tf.init()
    sp.secret_manager.fail_next("AddSecretVersion", "PERMISSION_DENIED", count=100)
    result = sp.tf.apply(check=False)
    assert result.returncode == 1
    text = " ".join((result.stdout + result.stderr).split())
    assert "secretmanager.versions.add" in text and "terminated" in text
    assert ADDR not in sp.tf.state_resources()
    [made] = sp.emulator.dump_state()["subaccounts"]
    assert made["status"] == "terminated"  # the key died with it: it is nowhere
    for name in ("terraform.tfstate", "terraform.tfstate.backup"):
        path = sp.tf.workdir / name
        assert not path.exists() or "initial_api_key_secret\": \"" not in path.read_text()

    sp.secret_manager.clear_failures()
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan) == {ADDR: ["create"]}
    sp.tf.apply()
    assert_instance_sends(sp, project)
    assert_empty_plan(sp)


def test_key_kept_in_state_is_an_error_and_the_recovery_steps_work(sp: SparkPostWorld) -> None:
    project = "cloud-pendant-prod"
    module_config(sp, "pendant", project)
    sp.tf.write('provider "sparkpost" {\n  max_retries = 1\n}\n', "provider.tf")
    sp.tf.init()
    # Secret Manager refuses the write, and SparkPost refuses to terminate the new subaccount
    sp.secret_manager.fail_next("AddSecretVersion", "PERMISSION_DENIED", count=100)
    sp.emulator.set_faults(burst_5xx=100, routes=["PUT /api/v1/subaccounts/{id}"])
    result = sp.tf.apply(check=False)
    assert result.returncode == 1  # never exit 0 with a key in state
    detail = " ".join((result.stdout + result.stderr).split())
    assert "kept in Terraform state" in detail
    assert "terraform untaint" in detail and f"with {ADDR}" in detail  # Terraform names the resource
    values = sp.tf.state_resources()[ADDR]["values"]
    assert re.fullmatch(r"[0-9a-f]{40}", values["initial_api_key_secret"])

    # the recovery steps, as the error gives them
    sp.secret_manager.clear_failures()
    sp.emulator.clear_faults()
    sp.tf.run("untaint", ADDR)
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan) == {ADDR: ["update"]}
    sp.tf.apply()
    assert sp.tf.state_resources()[ADDR]["values"]["initial_api_key_secret"] is None
    _, key = assert_instance_sends(sp, project)
    assert_empty_plan(sp)
    # what the docs say of the backup: it holds the state before the last apply, key included,
    # until it is removed
    backup = sp.tf.workdir / "terraform.tfstate.backup"
    assert key in backup.read_text()
    backup.unlink()
    assert key not in (sp.tf.workdir / "terraform.tfstate").read_text()
