"""The managed-smtp module's `enabled` input: managed SMTP off for one instance suspends its
subaccount and nulls email_smtp (bring your own SMTP); on again reactivates the same
subaccount and key (configured back explicitly)."""

from __future__ import annotations

import json
import shutil

from .harness import ROOT, changes
from .sparkpost_world import SparkPostWorld

CONFIG = '''
module "acme" {
  source              = "../modules/managed-smtp"
  customer            = "acme"
  secret_project      = "cloud-acme-prod"
  enabled             = %s
}
output "acme" { value = module.acme }
'''


def _outputs(sp: SparkPostWorld) -> dict:
    return json.loads(sp.tf.run("output", "-json").stdout)["acme"]["value"]


def test_enabled_off_suspends_and_nulls_email_smtp_on_reactivates(sp: SparkPostWorld) -> None:
    shutil.copytree(ROOT / "examples" / "modules", sp.tf.workdir.parent / "modules", dirs_exist_ok=True)
    sp.write(CONFIG % "true")
    sp.tf.init()
    sp.tf.apply()
    before = _outputs(sp)
    sid = int(before["subaccount_id"])
    assert before["email_smtp"]["password"].endswith("/versions/1")

    sp.write(CONFIG % "false")
    result, plan = sp.tf.plan()
    assert changes(plan) == {"module.acme.sparkpost_subaccount.this": ["update"]}  # no replacement
    sp.tf.apply()
    off = _outputs(sp)
    assert off["email_smtp"] is None
    assert off["subaccount_id"] == before["subaccount_id"]
    assert off["smtp_password_secret_version"] == before["smtp_password_secret_version"]
    assert sp.api("GET", f"/subaccounts/{sid}").json()["results"]["status"] == "suspended"
    keys_before = sp.emulator.dump_state()["keys"]
    assert [k["subaccount_id"] for k in keys_before if k.get("subaccount_id") == sid] == [sid]  # the key stays
    assert sp.tf.plan()[0].returncode == 0  # the suspension is configuration, not drift

    sp.write(CONFIG % "true")
    sp.tf.apply()
    on = _outputs(sp)
    assert on["email_smtp"] == before["email_smtp"]  # the same key's secret version
    assert sp.api("GET", f"/subaccounts/{sid}").json()["results"]["status"] == "active"
    assert sp.emulator.dump_state()["keys"] == keys_before
    [version] = sp.secret_manager.versions("projects/cloud-acme-prod/secrets/SPARKPOST_SMTP_API_KEY")
    assert version.text  # still the one key written at creation


def test_enabled_null_means_the_default_and_a_string_is_refused(sp: SparkPostWorld) -> None:
    shutil.copytree(ROOT / "examples" / "modules", sp.tf.workdir.parent / "modules", dirs_exist_ok=True)
    sp.write(CONFIG % '"maybe"')
    sp.tf.init()
    result = sp.tf.run("plan", "-no-color", check=False)
    assert result.returncode == 1 and "enabled" in result.stderr
    assert sp.api_calls() == 0
    sp.write(CONFIG % "null")  # nullable = false: null takes the default, managed SMTP on
    sp.tf.apply()
    assert _outputs(sp)["email_smtp"]["username"] == "SMTP_Injection"


def test_every_input_with_a_default_takes_it_when_null(sp: SparkPostWorld) -> None:
    """An operator's `for_each` passes `optional(bool)` or `optional(string)` fields as null for
    the instances that do not set them: null is the input's default, never an error deep in the
    module ("argument must not be null") nor the opposite of the default (create_secret)."""
    shutil.copytree(ROOT / "examples" / "modules", sp.tf.workdir.parent / "modules", dirs_exist_ok=True)
    nulls = "\n".join(f"  {name} = null" for name in (
        "region", "secret_id", "create_secret", "key_via_api_key_resource", "adopt_existing_key",
        "check_send_key", "deletion_protection", "suspended", "on_destroy"))
    sp.write(CONFIG.replace("  enabled             = %s\n", nulls + "\n"))
    sp.tf.init()
    sp.tf.apply()
    out = _outputs(sp)
    assert out["email_smtp"]["host"] == "smtp.sparkpostmail.com"  # region "us"
    assert out["email_smtp"]["password"] == "projects/cloud-acme-prod/secrets/SPARKPOST_SMTP_API_KEY/versions/1"
    sub = sp.tf.state_resources()["module.acme.sparkpost_subaccount.this"]["values"]
    assert (sub["status"], sub["deletion_protection"], sub["on_destroy"], sub["check_initial_api_key"]) == \
        ("active", True, "terminate", True)
    assert sub["initial_api_key_secret_manager"]["create_secret"] is True
    assert sp.tf.plan()[0].returncode == 0
