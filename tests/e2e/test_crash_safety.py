"""terraform killed (SIGKILL, the whole process group) in the middle of applying 30 instances of
the managed-smtp module. The subaccounts the killed apply made but never recorded are orphans:
the next apply creates every other instance and fails for each instance whose orphan is live,
naming it, instead of creating a twin; scripts/find-orphans reports exactly those orphans; once
they are terminated (the guide's recovery) the apply converges. No key is lost silently: each
one SparkPost issued is in Secret Manager with its subaccount in state, or belongs to an orphan
in the report."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest

from provider.sparkpost.create_once import unmarked

from .harness import ROOT, _processes_in, changes
from .sparkpost_world import SparkPostWorld

INSTANCES = 30
SECRET_ID = "SPARKPOST_SMTP_API_KEY"
API_KEY_SECRET_LINE = 'api_key_secret = "projects/sourcegraph-secrets/secrets/SPARKPOST_API_KEY/versions/latest"'
LATENCY_MS = 400  # slows each create (list, POST, GET) to about 1.2 s, so the kill lands mid-way
# Terraform runs 10 creates at a time: the kill lands while the second ten are between their
# POST and the end of their create (the GET, the Secret Manager write, the state write).
KILL_AFTER_POSTS = 15


def cloud_instances(sp: SparkPostWorld, n: int) -> None:
    work = sp.tf.workdir
    shutil.copytree(ROOT / "examples" / "cloud-instances", work, dirs_exist_ok=True)
    shutil.copytree(ROOT / "examples" / "modules", work.parent / "modules", dirs_exist_ok=True)
    main = (work / "main.tf").read_text()
    assert API_KEY_SECRET_LINE in main
    (work / "main.tf").write_text(main.replace(API_KEY_SECRET_LINE, ""))
    instances = {f"k{i:03d}": {"project": f"cloud-k{i:03d}-prod"} for i in range(n)}
    (work / "terraform.tfvars.json").write_text(json.dumps({"instances": instances}))


def posts_done(sp: SparkPostWorld) -> int:
    return sum(1 for e in sp.emulator.request_log()["log"]
               if e["route"] == "POST /api/v1/subaccounts" and e["status"] == 200)


def find_orphans(sp: SparkPostWorld, key: str, *extra: str) -> dict[str, Any]:
    env = dict(sp.tf.env, SPARKPOST_API_KEY=key)
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "find-orphans"), "--dir", str(sp.tf.workdir),
                           "--json", *extra], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.api_keys_api  # find-orphans lists keys with the admin key: needs the API-keys API
def test_sigkill_mid_apply_then_apply_converges_and_orphans_are_reported(sp: SparkPostWorld) -> None:
    cloud_instances(sp, INSTANCES)
    sp.tf.init()
    sp.emulator.reset_request_log()
    sp.emulator.set_faults(latency_ms=LATENCY_MS)

    # terraform and the providers it starts share a new process group: kill them all at once,
    # as a cancelled CI job or an OOM kill of the runner would.
    out = sp.tf.base / "killed-apply.log"
    with open(out, "w") as log:
        proc = subprocess.Popen([sp.tf.binary, "apply", "-auto-approve", "-input=false", "-no-color"],
                                cwd=sp.tf.workdir, env=sp.tf.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + 120
    while posts_done(sp) < KILL_AFTER_POSTS:
        assert proc.poll() is None, out.read_text()
        assert time.monotonic() < deadline, "the apply made too few subaccounts"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    wait_until(lambda: not _processes_in(sp.tf.workdir), "processes of the killed apply to go")
    # A cold provider dies with the group and leaves its socket directory, which the next launch
    # sweeps (provider/tfplugin/handshake.py; the harness checks after every command). A warm
    # one (a zygote's child, in the zygote's session) outlives the group by its lifeline's
    # grace, removing its own directory: either way nothing of the killed apply is left.
    # Requests in flight at the kill still complete inside SparkPost (the emulator sleeps the
    # latency, then acts): wait for every one of them before judging (a quiet spell of 1.3 s
    # could come too early on a loaded machine).
    sp.settle()
    sp.emulator.clear_faults()
    made_by_killed = {s["id"] for s in sp.emulator.dump_state()["subaccounts"]}
    assert KILL_AFTER_POSTS <= len(made_by_killed) < INSTANCES, "the kill did not land mid-way"

    # The local backend's lock is an fcntl lock, which died with terraform: no -lock=false needed.
    second = sp.tf.apply(check=False)
    said = " ".join((second.stdout + second.stderr).split())
    assert "Error acquiring the state lock" not in said

    state = {int(r["values"]["id"]): r["values"] for r in sp.tf.state_resources().values()
             if r["type"] == "sparkpost_subaccount"}
    dump = sp.emulator.dump_state()
    held = {s["id"]: s for s in dump["subaccounts"]}
    orphans = set(held) - set(state)
    assert set(state) <= set(held)
    assert orphans <= made_by_killed and orphans, "the killed apply left no orphan (state was saved?)"
    # No twin: every instance has one live subaccount, in state or an orphan, never both.
    base = Counter(unmarked(s["name"]) or s["name"] for s in held.values())
    assert set(base.values()) == {1} and len(base) == INSTANCES, base
    # The instances with an orphan failed, naming it; the others were created.
    assert second.returncode == 1 and len(state) == INSTANCES - len(orphans)
    for oid in orphans:
        assert f"{oid} (active" in said, oid
        assert f"A subaccount named '{unmarked(held[oid]['name']) or held[oid]['name']}' already exists" in said

    # scripts/find-orphans with the operator key: exactly the orphans, keys not listable.
    report = find_orphans(sp, sp.operator_key)
    assert {o["id"] for o in report["orphans"]} == orphans
    assert all(o["keys"] is None and "api_keys/manage" in o["keys_note"] for o in report["orphans"])
    assert all(o["interrupted_create"] == (unmarked(held[o["id"]]["name"]) is not None) for o in report["orphans"])
    assert report["orphan_keys"] is None and report["orphan_domains"] == []

    # The guide's recovery: terminate the orphans (their keys die with them), apply again.
    for oid in orphans:
        assert sp.api("PUT", f"/subaccounts/{oid}", json={"status": "terminated"}).status_code == 200
    sp.tf.apply()
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
    state = {int(r["values"]["id"]): r["values"] for r in sp.tf.state_resources().values()
             if r["type"] == "sparkpost_subaccount"}
    assert len(state) == INSTANCES
    dump = sp.emulator.dump_state()
    assert {s["id"] for s in dump["subaccounts"] if s["status"] != "terminated"} == set(state)

    # With a key that may list keys, and the Secret Manager check (the orphans, terminated now,
    # have twins in state): every orphan key is named, and no other key is loose.
    full = find_orphans(sp, sp.admin_key, "--check-secrets", "--include-terminated")
    assert {o["id"] for o in full["orphans"]} == orphans
    assert full["orphan_keys"] == []
    reported_keys = {k["id"]: o["id"] for o in full["orphans"] for k in o["keys"]}
    in_secrets = {v["key_id"] for o in full["orphans"] for s in o.get("secrets", [])
                  for v in s["other_versions"] if v.get("key_id")}

    # No key lost silently: managed ones are in Secret Manager (and state names the version),
    # orphans' are in the report (and in Secret Manager too when the killed apply got that far).
    for k in dump["keys"]:
        sid = k["subaccount_id"]
        if sid is None:
            continue  # the world's operator and admin keys
        if sid in state:
            values = state[sid]
            customer = values["name"].removeprefix("cloud-")
            versions = sp.secret_manager.versions(f"projects/cloud-{customer}-prod/secrets/{SECRET_ID}")
            assert versions[-1].text is not None and versions[-1].text[:4] == k["short_key"]
            assert values["initial_api_key_secret_manager"]["version"] == versions[-1].name
        else:
            assert sid in orphans and reported_keys.get(k["id"]) == sid, k
    # Keys the killed apply stored before the kill are found by --check-secrets.
    for o in full["orphans"]:
        customer = (unmarked(o["name"]) or o["name"]).removeprefix("cloud-")
        secret = f"projects/cloud-{customer}-prod/secrets/{SECRET_ID}"
        stored = len(sp.secret_manager.versions(secret)) > 1 if secret in sp.secret_manager.secrets() else False
        assert stored == any(k["id"] in in_secrets for k in o["keys"]), o


def wait_until(check: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
