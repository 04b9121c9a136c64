"""Importing a subaccount that was terminated: the error says so (not Terraform's generic
"Cannot import non-existent remote object"), and its advice works when followed."""

from __future__ import annotations

from .harness import changes
from .sparkpost_world import SparkPostWorld

CONFIG = """
resource "sparkpost_subaccount" "acme" {
  name = "cloud-acme"
}
"""
IMPORT = '\nimport {\n  to = sparkpost_subaccount.acme\n  id = "%d"\n}\n'


def test_import_of_a_terminated_subaccount_says_it_is_terminated(sp: SparkPostWorld) -> None:
    made = sp.api("POST", "/subaccounts", json={"name": "cloud-acme", "setup_api_key": False})
    sub = int(made.json()["results"]["subaccount_id"])
    assert sp.api("PUT", f"/subaccounts/{sub}", json={"status": "terminated"}).status_code == 200
    sp.write(CONFIG)
    sp.tf.init()

    cli = sp.tf.run("import", "-no-color", "sparkpost_subaccount.acme", str(sub), check=False)
    assert cli.returncode == 1
    text = " ".join(cli.stderr.split())
    assert f"Subaccount {sub} is terminated" in text
    assert "non-existent" not in text
    assert "a new subaccount" in text

    sp.write(CONFIG + IMPORT % sub)
    block = sp.tf.plan_json()
    assert block.returncode == 1
    [error] = block.errors()
    assert error["summary"] == f"Subaccount {sub} is terminated"

    # following the advice: no import; apply makes a new subaccount
    sp.write(CONFIG)
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan) == {"sparkpost_subaccount.acme": ["create"]}
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0
    new = sp.tf.state_resources()["sparkpost_subaccount.acme"]["values"]
    assert int(new["id"]) != sub and new["status"] == "active"
