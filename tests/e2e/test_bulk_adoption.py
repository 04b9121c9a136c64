"""scripts/import-existing against 200 subaccounts made the way the old sync script made them,
then terraform with the cloud-instances example: only imports, then an empty plan."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from .harness import ROOT, changes
from .sparkpost_world import SparkPostWorld

COUNT = 200


def old_script(sp: SparkPostWorld, customer: str, project: str) -> int:
    """What the sync script did per instance: subaccount + smtp/inject key + secret."""
    r = sp.api("POST", "/subaccounts", key=sp.operator_key, json={
        "name": f"cloud-{customer}", "setup_api_key": True,
        "key_label": f"cloud-{customer} SMTP", "key_grants": ["smtp/inject"],
    })
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    secret = f"projects/{project}/secrets/SPARKPOST_SMTP_API_KEY"
    sp.secret_manager.create_secret(secret)
    sp.secret_manager.add_version(secret, res["key"])
    return int(res["subaccount_id"])


def run_script(sp: SparkPostWorld, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SPARKPOST_API_KEY=sp.operator_key, SPARKPOST_BASE_URL=sp.emulator.url)
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "import_existing.py"), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_bulk_adoption_of_200_subaccounts(sp: SparkPostWorld) -> None:
    instances = {}
    for i in range(COUNT):
        customer, project = f"cust{i:03d}", f"cloud-cust{i:03d}-prod"
        sub_id = old_script(sp, customer, project)
        instances[customer] = {"project": project}
        if i < 3:  # a few instances have a custom domain, made by hand in the subaccount
            domain = f"mail.cust{i:03d}.example"
            r = sp.api("POST", "/sending-domains", subaccount=sub_id, key=sp.operator_key,
                       json={"domain": domain, "dkim_key_length": 1024})
            assert r.status_code == 200, r.text
            instances[customer]["sending_domain"] = domain
    # one adopted subaccount sends from its own IP pool: adoption must keep it
    assert sp.api("POST", "/ip-pools", json={"name": "dedicated_pool"}).status_code == 200
    assert sp.api("PUT", "/subaccounts/2", json={"ip_pool": "dedicated_pool"}).status_code == 200
    for stray in ("legacy-marketing", "cloud-retired"):
        sp.api("POST", "/subaccounts", key=sp.operator_key, json={"name": stray, "setup_api_key": False})

    work = sp.tf.workdir
    shutil.copytree(ROOT / "examples" / "cloud-instances", work, dirs_exist_ok=True)
    shutil.copytree(ROOT / "examples" / "modules", work.parent / "modules")
    (work / "provider.tf").unlink(missing_ok=True)
    main = (work / "main.tf").read_text()
    # the test world passes the operator key by environment rather than from Secret Manager
    (work / "main.tf").write_text(main.replace(
        'api_key_secret = "projects/sourcegraph-secrets/secrets/SPARKPOST_API_KEY/versions/latest"', ""))
    tfvars = work / "terraform.tfvars.json"
    tfvars.write_text(json.dumps({"instances": instances}))

    dry = run_script(sp, "--instances", str(tfvars))
    assert dry.returncode == 0, dry.stderr
    assert f"Adopt {COUNT} subaccount(s)" in dry.stdout
    assert "legacy-marketing" in dry.stdout and "cloud-retired" in dry.stdout  # reported, left alone
    assert "Dry run: nothing written" in dry.stdout
    # the dry run counts the blocks --write writes: one per subaccount and one per custom domain
    assert f"({COUNT + 3} import blocks: {COUNT} subaccounts, 3 sending domains)" in dry.stdout
    assert not (work / "imports.tf").exists()
    assert json.loads(tfvars.read_text()) == {"instances": instances}

    wrote = run_script(sp, "--instances", str(tfvars), "--write")
    assert wrote.returncode == 0, wrote.stderr
    imports = (work / "imports.tf").read_text()
    assert imports.count("import {") == COUNT + 3
    adopted = json.loads(tfvars.read_text())["instances"]
    assert all(v["adopt_existing_key"] is True for v in adopted.values())
    assert adopted["cust001"]["ip_pool"] == "dedicated_pool"

    before = sp.emulator.dump_state()
    sp.tf.init()
    sp.emulator.reset_request_log()
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    print(f"\nadoption plan of {COUNT} subaccounts: {sp.by_route()}")
    # nothing created or destroyed: each subaccount's update only records its send key's secret
    # version, which the plan found and checked with SparkPost (one GET /account per key)
    assert changes(plan) == {f'module.managed_smtp["{c}"].sparkpost_subaccount.this': ["update"] for c in instances}
    assert sp.by_route().get("GET /api/v1/account", 0) >= COUNT
    importing = [rc for rc in plan["resource_changes"] if rc["change"].get("importing")]
    assert len(importing) == COUNT + 3  # ...and imports
    sp.tf.apply()
    after = sp.emulator.dump_state()
    assert len(after["subaccounts"]) == len(before["subaccounts"])
    assert all(s["status"] == "active" for s in after["subaccounts"])
    assert [s.get("ip_pool") for s in after["subaccounts"] if s["id"] == 2] == ["dedicated_pool"]
    assert len(after["keys"]) == len(before["keys"])  # no new send keys

    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
    smtp = json.loads(sp.tf.run("output", "-json", "smtp").stdout)
    # the version the old script stored, by number
    assert smtp["cust007"]["email_smtp"]["password"] == \
        "projects/cloud-cust007-prod/secrets/SPARKPOST_SMTP_API_KEY/versions/1"
    assert smtp["cust000"]["dns_records"]  # the adopted custom domain's records
