"""The plugin layer through every lifecycle step, with the real terraform and the test provider."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .harness import Terraform, changes

HEADER = """
terraform {
  required_providers {
    tftest = { source = "sourcegraph/tftest" }
  }
}
provider "tftest" { store = "%s" }
"""


def config(tf: Terraform, body: str) -> None:
    tf.write(HEADER % (tf.base / "store.json"), "provider.tf")
    tf.write(body)


def store(tf: Terraform) -> dict[str, Any]:
    return json.loads((tf.base / "store.json").read_text())


def edit_store(tf: Terraform, obj_id: str, **fields: Any) -> None:
    data = store(tf)
    if fields.get("_delete"):
        del data[obj_id]
    else:
        data[obj_id].update(fields)
    (tf.base / "store.json").write_text(json.dumps(data))


THING = """
resource "terraform_data" "src" { input = "abc" }
resource "tftest_thing" "a" {
  name     = "hello"
  tags     = ["b", "a", "c"]
  zone     = "z1"
  settings = { mode = "fast", region = "r1" }
  rules    = [{ port = 80 }, { port = 443, proto = "udp" }]
  secret   = "very-secret-value-123"
  token    = "write-only-token-456"
  big      = 123456789012345678901234567890
  extra    = { x = 1, y = ["a"] }
}
resource "tftest_thing" "b" {
  name = "pre-${terraform_data.src.output}"
}
"""


def apply_thing(tf: Terraform) -> dict[str, Any]:
    config(tf, THING)
    tf.init()
    tf.apply()
    return tf.state_resources()["tftest_thing.a"]["values"]


def test_init_writes_lock_file(tf: Terraform) -> None:
    config(tf, THING)
    tf.init()
    lock = (tf.workdir / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/sourcegraph/tftest"' in lock
    assert "h1:" in lock


def test_apply_then_replan_is_empty(tf: Terraform) -> None:
    values = apply_thing(tf)
    assert values["name"] == "hello"
    assert sorted(values["tags"]) == ["a", "b", "c"]
    assert values["size"] == 1  # default
    assert values["rules"] == [{"port": 80, "proto": "tcp"}, {"port": 443, "proto": "udp"}]
    assert values["token"] is None and values["token_seen"] is True  # write-only: used, never stored
    assert values["big"] == 123456789012345678901234567890
    assert values["extra"] == {"x": 1, "y": ["a"]}
    assert tf.state_resources()["tftest_thing.b"]["values"]["name"] == "pre-abc"  # was a refined unknown
    state_text = (tf.workdir / "terraform.tfstate").read_text()
    assert "write-only-token-456" not in state_text
    result, plan = tf.plan()
    assert result.returncode == 0, changes(plan)


def test_unknown_and_refined_unknown_inputs_plan(tf: Terraform) -> None:
    config(tf, THING)
    tf.init()
    _, plan = tf.plan()
    after_unknown = {rc["address"]: rc["change"]["after_unknown"] for rc in plan["resource_changes"]}
    assert after_unknown["tftest_thing.b"]["name"] is True  # "pre-" + unknown stays unknown
    assert after_unknown["tftest_thing.a"]["id"] is True
    assert after_unknown["tftest_thing.a"].get("name") is not True


def test_drift_is_detected_and_fixed(tf: Terraform) -> None:
    values = apply_thing(tf)
    edit_store(tf, values["id"], name="renamed-outside")
    result, plan = tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {"tftest_thing.a": ["update"]}
    tf.apply()
    assert store(tf)[values["id"]]["name"] == "hello"
    assert tf.plan()[0].returncode == 0


def test_requires_replace_top_level_and_nested(tf: Terraform) -> None:
    apply_thing(tf)
    config(tf, THING.replace('zone     = "z1"', 'zone     = "z2"'))
    _, plan = tf.plan()
    assert changes(plan)["tftest_thing.a"] == ["delete", "create"]
    rc = next(r for r in plan["resource_changes"] if r["address"] == "tftest_thing.a")
    assert rc["change"]["replace_paths"] == [["zone"]]
    config(tf, THING.replace('region = "r1"', 'region = "r2"'))
    _, plan = tf.plan()
    rc = next(r for r in plan["resource_changes"] if r["address"] == "tftest_thing.a")
    assert rc["change"]["replace_paths"] == [["settings", "region"]]


def test_nested_update_in_place(tf: Terraform) -> None:
    values = apply_thing(tf)
    config(tf, THING.replace('mode = "fast"', 'mode = "slow"').replace("{ port = 80 }", "{ port = 8080 }"))
    result, plan = tf.plan()
    assert changes(plan) == {"tftest_thing.a": ["update"]}
    rc = next(r for r in plan["resource_changes"] if r["address"] == "tftest_thing.a")
    assert rc["change"]["after_unknown"].get("revision") is True  # changes on update
    assert rc["change"]["after"]["id"] == values["id"]  # stable: kept from state
    tf.apply()
    after = tf.state_resources()["tftest_thing.a"]["values"]
    assert after["settings"]["mode"] == "slow" and after["rules"][0]["port"] == 8080
    assert after["revision"] == 2
    assert tf.plan()[0].returncode == 0


def test_out_of_band_delete_recreates(tf: Terraform) -> None:
    values = apply_thing(tf)
    edit_store(tf, values["id"], _delete=True)
    _, plan = tf.plan()
    assert changes(plan) == {"tftest_thing.a": ["create"]}
    tf.apply()
    assert tf.state_resources()["tftest_thing.a"]["values"]["id"] != values["id"]


def test_terraform_import_then_empty_plan(tf: Terraform) -> None:
    values = apply_thing(tf)
    (tf.workdir / "terraform.tfstate").unlink()
    tf.run("import", "-no-color", "tftest_thing.a", values["id"])
    assert tf.state_resources()["tftest_thing.a"]["values"]["name"] == "hello"
    _, plan = tf.plan()
    # b is gone from state too; a imported matches its configuration except the write-only token
    assert "tftest_thing.a" not in changes(plan) or changes(plan)["tftest_thing.a"] == ["update"]
    assert changes(plan).get("tftest_thing.b") == ["create"]


def test_import_block_with_generated_config(tf: Terraform) -> None:
    values = apply_thing(tf)
    # a second configuration, pointed at the first one's store
    other = Terraform(tf.base / "other", tf.binary, tf.plugins_src)
    other.write(HEADER % (tf.base / "store.json"), "provider.tf")
    other.write(f'import {{\n  to = tftest_thing.imported\n  id = "{values["id"]}"\n}}\n')
    other.init()
    other.run("plan", "-no-color", "-input=false", "-generate-config-out=generated.tf")
    generated = (other.workdir / "generated.tf").read_text()
    assert 'resource "tftest_thing" "imported"' in generated
    assert '"hello"' in generated
    other.apply()
    assert other.state_resources()["tftest_thing.imported"]["values"]["id"] == values["id"]


def test_destroy_removes_everything(tf: Terraform) -> None:
    apply_thing(tf)
    tf.destroy()
    assert store(tf) == {}
    assert tf.state_resources() == {}


def test_validator_error_points_at_attribute(tf: Terraform) -> None:
    config(tf, 'resource "tftest_thing" "a" {\n  name = "this-name-is-far-too-long-for-it"\n}\n')
    tf.init()
    result = tf.plan_json()
    assert result.returncode == 1
    [err] = result.errors()
    assert err["summary"] == "Invalid value for name"
    assert "at most 20 characters" in err["detail"]
    assert err["range"]["start"]["line"] == 2  # Terraform underlines the attribute's line
    assert not (tf.base / "store.json").exists()  # nothing was created


def test_validate_hook_error_at_validate(tf: Terraform) -> None:
    config(tf, 'resource "tftest_thing" "a" {\n  name = "x"\n  behaviour = "invalid"\n}\n')
    tf.init()
    result = tf.run("validate", "-json", check=False)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    [err] = report["diagnostics"]
    assert err["summary"] == "Behaviour refused" and err["range"]["start"]["line"] == 3


def test_resource_error_with_path_and_exception_are_readable(tf: Terraform) -> None:
    config(tf, 'resource "tftest_thing" "a" {\n  name = "x"\n  behaviour = "error-at-name"\n}\n')
    tf.init()
    result = tf.run("apply", "-auto-approve", "-json", check=False)
    assert result.returncode == 1
    [err] = result.errors()
    assert err["summary"] == "The API refused the name" and err["range"]["start"]["line"] == 2

    config(tf, 'resource "tftest_thing" "a" {\n  name = "x"\n  secret = "hush-hush-1234"\n  behaviour = "raise"\n}\n')
    result = tf.run("apply", "-auto-approve", "-json", check=False)
    assert result.returncode == 1
    [err] = result.errors()
    assert err["summary"] == "Unexpected error while applying tftest_thing"
    assert "RuntimeError: something broke inside the resource" in err["detail"]
    assert "Traceback" not in err["detail"]  # only with TF_LOG=debug
    assert "hush-hush-1234" not in result.stdout + result.stderr  # sensitive values are scrubbed
    assert "panic" not in result.stderr.lower()

    result = tf.run("apply", "-auto-approve", "-json", check=False, env={"TF_LOG_PROVIDER": "DEBUG"})
    [err] = result.errors()
    assert "Traceback" in err["detail"]
    assert "hush-hush-1234" not in result.stdout + result.stderr


@pytest.mark.parametrize("tls", ["on", "off"])
def test_tls_on_and_off(make_tf: Any, tls: str) -> None:
    tf = make_tf(**({"TF_DISABLE_PLUGIN_TLS": "1"} if tls == "off" else {}))
    config(tf, 'resource "tftest_thing" "a" { name = "tls" }\n')
    tf.init()
    tf.apply()
    assert tf.plan()[0].returncode == 0
    tf.destroy()


def test_private_state_round_trips(tf: Terraform) -> None:
    values = apply_thing(tf)
    tf.plan()
    assert store(tf)[values["id"]]["last_private"] == {"etag": "e1"}


def test_state_upgrade_from_schema_version_0(tf: Terraform) -> None:
    apply_thing(tf)
    path = tf.workdir / "terraform.tfstate"
    state = json.loads(path.read_text())
    for res in state["resources"]:
        if res["type"] == "tftest_thing":
            for inst in res["instances"]:
                inst["schema_version"] = 0
                inst["attributes"]["title"] = inst["attributes"].pop("name")
    path.write_text(json.dumps(state))
    result, plan = tf.plan()
    assert result.returncode == 0, changes(plan)
    tf.apply("-refresh-only")  # plans never write state; this stores the upgraded one
    assert json.loads(path.read_text())["resources"][1]["instances"][0]["schema_version"] == 1
    assert tf.state_resources()["tftest_thing.a"]["values"]["name"] == "hello"


def test_data_source_reads(tf: Terraform) -> None:
    config(tf, THING + '\ndata "tftest_things" "h" {\n  prefix = "hel"\n  depends_on = [tftest_thing.a]\n}\n'
               'output "names" { value = data.tftest_things.h.names }\n')
    tf.init()
    tf.apply()
    out = json.loads(tf.run("output", "-json").stdout)
    assert out["names"]["value"] == ["hello"]


def test_provider_run_by_hand_says_what_it_is(plugins_dir: Path) -> None:
    import subprocess

    [launcher] = list(plugins_dir.glob("registry.terraform.io/sourcegraph/tftest/*/*/terraform-provider-*"))
    proc = subprocess.run([str(launcher)], capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1
    assert "Terraform provider plugin" in proc.stderr
    assert "Traceback" not in proc.stderr
