"""Removing an instance, as docs/guides/decommissioning.md says: suspend, wait, terminate; a
protected instance removed from for_each fails at plan with advice that works (put it back with
the protection off; or `terraform state rm` to keep it), and the send key's secret is kept."""

from __future__ import annotations

from .harness import changes
from .module_world import assert_mail_works, outputs, set_instances, subaccounts, use_instances_config
from .sparkpost_world import SparkPostWorld

ACME = {"project": "cloud-acme-prod", "sending_domain": "mail.acme.example"}
GLOBEX = {"project": "cloud-globex-prod"}
INITECH = {"project": "cloud-initech-prod"}
SECRET = "projects/{}/secrets/SPARKPOST_SMTP_API_KEY"


def test_suspend_wait_terminate(sp: SparkPostWorld) -> None:
    use_instances_config(sp)
    set_instances(sp, {"acme": ACME, "globex": GLOBEX})
    sp.tf.init()
    sp.tf.apply()
    smtp = outputs(sp)["smtp"]
    acme_id = int(smtp["acme"]["subaccount_id"])
    assert_mail_works(sp, smtp["acme"])

    # 1. suspend: one in-place update, reversible
    set_instances(sp, {"acme": dict(ACME, suspended=True), "globex": GLOBEX})
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {'module.smtp["acme"].sparkpost_subaccount.this': ["update"]}
    sp.tf.apply()
    assert subaccounts(sp)[acme_id]["status"] == "suspended"
    assert sp.tf.plan()[0].returncode == 0  # 2. waiting: nothing to do

    # 3. terminate: protection off (recorded only, no API call), then remove the instance
    set_instances(sp, {"acme": dict(ACME, suspended=True, deletion_protection=False), "globex": GLOBEX})
    sp.emulator.reset_request_log()
    sp.tf.apply()
    assert not [r for r in sp.by_route() if not r.startswith("GET ")]
    set_instances(sp, {"globex": GLOBEX})
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {'module.smtp["acme"].sparkpost_subaccount.this': ["delete"],
                             'module.smtp["acme"].sparkpost_sending_domain.custom[0]': ["delete"]}
    applied = sp.tf.apply()
    assert subaccounts(sp)[acme_id]["status"] == "terminated"
    # the suspended subaccount's domain could not be deleted: said, and left in SparkPost
    assert "mail.acme.example" in applied.stdout and "read-only" in applied.stdout
    assert [d["domain"] for d in sp.emulator.dump_state()["sending_domains"]] == ["mail.acme.example"]
    assert sp.tf.plan()[0].returncode == 0
    assert_mail_works(sp, outputs(sp)["smtp"]["globex"])  # the other instance is untouched

    # the send key's secret is the instance's: kept, its version still enabled
    [version] = sp.secret_manager.versions(SECRET.format("cloud-acme-prod"))
    assert version.state == "ENABLED"


def test_removing_a_protected_instance_fails_with_advice_that_works(sp: SparkPostWorld) -> None:
    use_instances_config(sp)
    set_instances(sp, {"globex": GLOBEX, "initech": INITECH})
    sp.tf.init()
    sp.tf.apply()
    ids = {k: int(v["subaccount_id"]) for k, v in outputs(sp)["smtp"].items()}

    set_instances(sp, {"initech": INITECH})
    result = sp.tf.plan_json()
    assert result.returncode == 1
    [error] = result.errors()
    assert error["summary"] == "Subaccount is protected from destruction"
    advice = error["detail"]
    assert "put it back" in advice and "deletion_protection = false" in advice
    assert "terraform state rm" in advice
    assert "module instance" in advice  # says where a removed {} block does not work
    assert subaccounts(sp)[ids["globex"]]["status"] == "active"  # nothing changed

    # Terraform indeed rejects a removed {} block for a module instance key
    use_instances_config(sp, 'removed {\n  from = module.smtp["globex"]\n  lifecycle {\n    destroy = false\n  }\n}\n')
    rejected = sp.tf.plan_json()
    assert rejected.returncode == 1
    assert [e["summary"] for e in rejected.errors()] == ["Module instance keys not allowed"]
    use_instances_config(sp)

    # following the advice: put it back with the protection off, apply, remove it, apply
    set_instances(sp, {"globex": dict(GLOBEX, deletion_protection=False), "initech": INITECH})
    sp.tf.apply()
    set_instances(sp, {"initech": INITECH})
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {'module.smtp["globex"].sparkpost_subaccount.this': ["delete"]}
    sp.tf.apply()
    assert subaccounts(sp)[ids["globex"]]["status"] == "terminated"
    assert sp.tf.plan()[0].returncode == 0

    # the other way out it offers: keep the subaccount, stop managing it
    set_instances(sp, {})
    assert sp.tf.plan_json().returncode == 1
    sp.tf.run("state", "rm", "-no-color", 'module.smtp["initech"]')
    result, plan = sp.tf.plan()
    assert changes(plan) == {}  # only the root output changes: nothing to destroy
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0
    assert subaccounts(sp)[ids["initech"]]["status"] == "active"
