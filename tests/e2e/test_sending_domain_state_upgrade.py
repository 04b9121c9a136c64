"""sparkpost_sending_domain.subaccount_id is a string, as sparkpost_subaccount.id is. A state
written by the provider when it was a number (schema version 0) is upgraded in place: nothing is
replaced, the plan is empty, and the state records the string.

The fixture state was written by the provider before the change (`terraform apply` of the
configuration below, importing the seeded subaccount and domain); the seed recreates what it
describes in the emulator.
"""

from __future__ import annotations

import json
import shutil

from provider.emulator.sp_seed import apply_seed

from .harness import ROOT, changes
from .sparkpost_world import SparkPostWorld

FIXTURES = ROOT / "tests" / "e2e" / "fixtures"
CONFIG = """
resource "sparkpost_subaccount" "acme" {
  name = "cloud-acme"
}
resource "sparkpost_sending_domain" "mail" {
  domain        = "mail.acme.example"
  subaccount_id = %s
}
"""


def _old_world(sp: SparkPostWorld) -> dict:
    seed = json.loads((FIXTURES / "subaccount_id_number_v0.seed.json").read_text())
    sp.extra_secrets.append(seed["sending_domains"][0]["dkim"]["private"])
    with sp.emulator.store.lock:
        apply_seed(sp.emulator.store, seed)
    shutil.copy(FIXTURES / "subaccount_id_number_v0.tfstate", sp.tf.workdir / "terraform.tfstate")
    old = json.loads((sp.tf.workdir / "terraform.tfstate").read_text())
    [domain] = [r for r in old["resources"] if r["type"] == "sparkpost_sending_domain"]
    assert domain["instances"][0]["schema_version"] == 0
    assert domain["instances"][0]["attributes"]["subaccount_id"] == 7  # a number, as the old version wrote it
    return old


def _domain_in_state(sp: SparkPostWorld) -> dict:
    state = json.loads((sp.tf.workdir / "terraform.tfstate").read_text())
    [domain] = [r for r in state["resources"] if r["type"] == "sparkpost_sending_domain"]
    return domain["instances"][0]  # type: ignore[no-any-return]


def test_state_written_with_a_number_is_upgraded_without_changes(sp: SparkPostWorld) -> None:
    _old_world(sp)
    sp.write(CONFIG % "sparkpost_subaccount.acme.id")
    sp.tf.init()
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
    sp.tf.apply()  # nothing to do; the refreshed, upgraded state is written
    upgraded = _domain_in_state(sp)
    assert upgraded["schema_version"] == 1
    assert upgraded["attributes"]["subaccount_id"] == "7"
    assert upgraded["attributes"]["id"] == "7/mail.acme.example"
    assert sp.tf.plan()[0].returncode == 0
    # the subaccount's id flows into the domain with no conversion at all
    shown = sp.tf.state_resources()
    assert shown["sparkpost_sending_domain.mail"]["values"]["subaccount_id"] == shown["sparkpost_subaccount.acme"]["values"]["id"]


def test_a_literal_number_in_the_configuration_still_works(sp: SparkPostWorld) -> None:
    _old_world(sp)
    sp.write(CONFIG % "7")
    sp.tf.init()
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
    sp.write(CONFIG % '"07"')  # not a subaccount id as SparkPost writes it: stopped at plan
    bad = sp.tf.plan_json()
    assert bad.returncode == 1
    assert any("subaccount_id" in json.dumps(e) for e in bad.errors()), bad.errors()
