"""The leak scan itself: it must find a secret where one leaks, and accept it where Terraform
marks it sensitive (otherwise every SparkPost e2e test's clean scan would mean nothing)."""

from __future__ import annotations

import json

from .leak_scan import scan
from .sparkpost_world import SparkPostWorld


def test_scan_finds_leaks_and_accepts_sensitive_state(sp: SparkPostWorld) -> None:
    sp.write('resource "sparkpost_subaccount" "s" {\n  name = "leaky"\n'
             '  initial_api_key = {\n    label = "k"\n    grants = ["smtp/inject"]\n  }\n}\n')
    sp.tf.init()
    sp.tf.apply()
    shown = sp.tf.run("show", "-json")
    key = json.loads(shown.stdout)["values"]["root_module"]["resources"][0]["values"]["initial_api_key_secret"]
    assert len(key) == 40
    assert key in (sp.tf.workdir / "terraform.tfstate").read_text()  # there, marked sensitive
    assert key in shown.stdout
    assert scan(sp) == []  # sensitive-marked state and show output are fine

    (sp.tf.base / "artefact.txt").write_text(f"debug dump: {key}\n")
    assert scan(sp) == ["artefact.txt: contains a secret (" + key[:4] + "…, 40 chars)"]
    (sp.tf.base / "artefact.txt").unlink()

    trace = (sp.tf.base / "terraform-trace.log").read_text()
    assert "sparkpost" in trace.lower()  # the provider's trace output is really scanned
    (sp.tf.base / "terraform-trace.log").write_text(trace + f"\nAuthorization: {sp.operator_key}\n")
    assert scan(sp) == ["terraform-trace.log: contains a secret (" + sp.operator_key[:4] + "…, 40 chars)"]
    (sp.tf.base / "terraform-trace.log").write_text(trace)
