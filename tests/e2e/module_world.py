"""The managed-smtp module for several instances, the way operators' configurations call it
(for_each over a map in terraform.tfvars.json), and checks that an instance's mail works."""

from __future__ import annotations

import json
import shutil
from typing import Any

from .harness import ROOT
from .sparkpost_world import SparkPostWorld

INSTANCES_CONFIG = """
variable "instances" {
  type = map(object({
    project             = string
    sending_domain      = optional(string)
    suspended           = optional(bool, false)
    deletion_protection = optional(bool, true)
    on_destroy          = optional(string, "terminate")
  }))
}

module "smtp" {
  source   = "../modules/managed-smtp"
  for_each = var.instances

  customer            = each.key
  secret_project      = each.value.project
  sending_domain      = each.value.sending_domain
  suspended           = each.value.suspended
  deletion_protection = each.value.deletion_protection
  on_destroy          = each.value.on_destroy
}

output "smtp" {
  value = module.smtp
}
"""


def use_instances_config(sp: SparkPostWorld, extra: str = "") -> None:
    shutil.copytree(ROOT / "examples" / "modules", sp.tf.workdir.parent / "modules", dirs_exist_ok=True)
    sp.write(INSTANCES_CONFIG + extra)


def set_instances(sp: SparkPostWorld, instances: dict[str, dict[str, Any]]) -> None:
    (sp.tf.workdir / "terraform.tfvars.json").write_text(json.dumps({"instances": instances}, indent=2))


def outputs(sp: SparkPostWorld) -> dict[str, Any]:
    return {k: v["value"] for k, v in json.loads(sp.tf.run("output", "-json").stdout).items()}


def subaccounts(sp: SparkPostWorld) -> dict[int, dict[str, Any]]:
    return {int(s["id"]): s for s in sp.emulator.dump_state()["subaccounts"]}


def assert_mail_works(sp: SparkPostWorld, smtp: dict[str, Any]) -> None:
    """The instance's SMTP password names a secret version holding a live key of the instance's
    subaccount whose only grant is smtp/inject: SparkPost takes it (a REST call gets 403 for the
    missing grant, not 401 for a dead key) and the subaccount is active."""
    version_name = smtp["email_smtp"]["password"]
    secret, _, version = version_name.rpartition("/versions/")
    versions = [v for v in sp.secret_manager.versions(secret) if v.state == "ENABLED"]
    chosen = versions[-1] if version == "latest" else next(v for v in versions if str(v.number) == version)
    key = chosen.text
    assert key
    assert sp.api("GET", "/sending-domains", key=key).status_code == 403  # accepted, lacks the grant
    sub = int(smtp["subaccount_id"])
    assert subaccounts(sp)[sub]["status"] == "active"
    keys = [k for k in sp.emulator.dump_state()["keys"] if k["subaccount_id"] == sub]  # as SparkPost's app shows them
    assert [k["grants"] for k in keys if k["short_key"] == key[:4]] == [["smtp/inject"]]
