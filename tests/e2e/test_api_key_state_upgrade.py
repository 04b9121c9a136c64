"""sparkpost_api_key.subaccount_id is a string, as sparkpost_subaccount.id and
sparkpost_sending_domain.subaccount_id are. A state written by the provider when it was a number
(schema version 0) is upgraded in place: nothing is replaced, the plan is empty, and the state
records the string.

The fixture states were written by the provider before the change (schema version 0), each by a
`terraform apply` against the emulator with the API-keys API:
- `api_key_subaccount_id_number_v0`: the configuration `RESOURCES` below, importing the seeded
  subaccount 7, its key and a key of the primary account;
- `module_api_key_subaccount_id_number_v0`: the managed-smtp module with
  `key_via_api_key_resource = true` (`MODULE` below), applied from nothing; the seed holds what
  that apply made (the subaccount, its key, and the key's secret version in Secret Manager).
Each seed recreates in the emulator (and the Secret Manager fake) what its state describes.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from provider.emulator.sp_seed import apply_seed

from .harness import ROOT, changes
from .module_world import assert_mail_works, outputs
from .sparkpost_world import SparkPostWorld

pytestmark = pytest.mark.api_keys_api  # the resource needs an account with the API-keys API

FIXTURES = ROOT / "tests" / "e2e" / "fixtures"
SUB_KEY = "3f6e1c0a-7d2b-4e5f-9a81-0c4d2b6e7f10"
RESOURCES = """
resource "sparkpost_subaccount" "acme" {
  name = "cloud-acme"
}
resource "sparkpost_api_key" "smtp" {
  label         = "acme smtp"
  subaccount_id = %s
  grants        = ["smtp/inject"]
}
resource "sparkpost_api_key" "ci_metrics" {
  label     = "ci metrics reader"
  grants    = ["metrics/view"]
  valid_ips = ["203.0.113.0/24"]
}
"""
MODULE = """
module "globex" {
  source                   = "../modules/managed-smtp"
  customer                 = "globex"
  secret_project           = "cloud-globex-prod"
  key_via_api_key_resource = true
}
output "globex" { value = module.globex }
"""


def _old_world(sp: SparkPostWorld, name: str) -> dict[str, Any]:
    """The emulator and Secret Manager as the old provider left them, and its state file."""
    seed = json.loads((FIXTURES / f"{name}.seed.json").read_text())
    sp.extra_secrets.extend(k["key"] for k in seed["keys"])
    for secret, payloads in seed.pop("secret_manager", {}).items():
        sp.secret_manager.create_secret(secret)
        for payload in payloads:
            sp.secret_manager.add_version(secret, payload)
    with sp.emulator.store.lock:
        apply_seed(sp.emulator.store, seed)
    shutil.copy(FIXTURES / f"{name}.tfstate", sp.tf.workdir / "terraform.tfstate")
    sp.tf.env_extra["SPARKPOST_API_KEY"] = sp.admin_key  # api_keys/manage
    old = json.loads((sp.tf.workdir / "terraform.tfstate").read_text())
    keys = _keys_in(old)
    assert keys and all(k["schema_version"] == 0 for k in keys.values())
    return keys


def _keys_in(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The sparkpost_api_key instances of a state file, by name."""
    return {r["name"]: r["instances"][0] for r in state["resources"] if r["type"] == "sparkpost_api_key"}


def _keys_now(sp: SparkPostWorld) -> dict[str, dict[str, Any]]:
    return _keys_in(json.loads((sp.tf.workdir / "terraform.tfstate").read_text()))


def test_state_written_with_a_number_is_upgraded_without_changes(sp: SparkPostWorld) -> None:
    old = _old_world(sp, "api_key_subaccount_id_number_v0")
    assert old["smtp"]["attributes"]["subaccount_id"] == 7  # a number, as the old version wrote it
    assert old["ci_metrics"]["attributes"]["subaccount_id"] is None
    sp.write(RESOURCES % "sparkpost_subaccount.acme.id")
    sp.tf.init()
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
    sp.tf.apply()  # nothing to do; the refreshed, upgraded state is written
    upgraded = _keys_now(sp)
    assert {n: (i["schema_version"], i["attributes"]["subaccount_id"]) for n, i in upgraded.items()} == {
        "smtp": (1, "7"), "ci_metrics": (1, None)}
    for name in ("smtp", "ci_metrics"):  # nothing else moved: same key, same id
        assert upgraded[name]["attributes"]["id"] == old[name]["attributes"]["id"]
    assert sp.tf.plan()[0].returncode == 0
    # the subaccount's id flows into the key with no conversion at all
    shown = sp.tf.state_resources()
    assert shown["sparkpost_api_key.smtp"]["values"]["subaccount_id"] == shown["sparkpost_subaccount.acme"]["values"]["id"]

    # import IDs are unchanged: SUBACCOUNT_ID/KEY_ID gives the same state again
    sp.tf.run("state", "rm", "sparkpost_api_key.smtp")
    sp.tf.run("import", "-no-color", "sparkpost_api_key.smtp", f"7/{SUB_KEY}")
    assert _keys_now(sp)["smtp"]["attributes"]["subaccount_id"] == "7"
    assert sp.tf.plan()[0].returncode == 0


def test_a_literal_number_still_works_and_the_text_is_checked(sp: SparkPostWorld) -> None:
    _old_world(sp, "api_key_subaccount_id_number_v0")
    sp.write(RESOURCES % "7")
    sp.tf.init()
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
    for bad in ('"07"', '"0"', "0", "1.5", '"-7"', '" 7"', '"2147483648"'):
        sp.write(RESOURCES % bad)  # not a subaccount id as SparkPost writes it: stopped at plan
        stopped = sp.tf.plan_json()
        assert stopped.returncode == 1, bad
        [error] = stopped.errors()
        assert "must be a subaccount id: a whole number from 1 to 2147483647" in error["detail"], (bad, error)
        assert error["snippet"]["code"].strip().startswith("subaccount_id"), (bad, error)
    assert sp.by_route().get("POST /api/v1/api-keys") is None  # nothing was sent


def test_module_state_written_with_a_number_plans_empty(sp: SparkPostWorld) -> None:
    old = _old_world(sp, "module_api_key_subaccount_id_number_v0")
    assert old["send"]["attributes"]["subaccount_id"] == 1
    shutil.copytree(ROOT / "examples" / "modules", sp.tf.workdir.parent / "modules", dirs_exist_ok=True)
    sp.write(MODULE)
    sp.tf.init()
    before = outputs(sp)["globex"]
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
    sp.tf.apply()
    [send] = _keys_now(sp).values()
    assert send["schema_version"] == 1 and send["attributes"]["subaccount_id"] == "1"
    assert send["attributes"]["id"] == old["send"]["attributes"]["id"]
    after = outputs(sp)["globex"]
    assert after == before  # the same subaccount, key and secret version
    assert after["email_smtp"]["password"] == "projects/cloud-globex-prod/secrets/SPARKPOST_SMTP_API_KEY/versions/1"
    assert_mail_works(sp, after)
    assert sp.tf.plan()[0].returncode == 0
