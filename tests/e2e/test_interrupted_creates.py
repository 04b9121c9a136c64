"""Webhooks, IP pools and sending domains when a create's answer is lost, or terraform is killed
mid-apply (SIGKILL of the whole process group), with the real terraform against the emulator:
at most one object per resource instance. A lost answer converges in the same apply (the object
SparkPost made is found and recorded, never made twice); a kill leaves objects no state holds,
and the next apply fails for each, naming the import that adopts it, instead of making a twin.
After the imports one apply converges and the next plan is empty."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from typing import Any, Callable, Iterator

import pytest

from tests.webhook_receiver import Receiver

from .harness import ROOT, _processes_in, changes
from .sparkpost_world import SparkPostWorld

HOOK_GRANTS = ["webhooks/view", "webhooks/modify", "ip_pools/manage", "sending_domains/manage", "subaccount/manage"]
POSTS = ["POST /api/v1/webhooks", "POST /api/v1/ip-pools", "POST /api/v1/sending-domains"]
# The first request each create makes once SparkPost has made its object (the webhook's rename,
# the pool's and the domain's read back); nothing before a create's POST uses these routes.
AFTER_CREATE = ["PUT /api/v1/webhooks/{id}", "GET /api/v1/ip-pools/{id}", "GET /api/v1/sending-domains/{domain}"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def _key(sp: SparkPostWorld) -> str:
    key = secrets.token_hex(20)
    sp.emulator.add_key(key=key, grants=HOOK_GRANTS, label="hooks and pools")
    sp.extra_secrets.append(key)
    sp.tf.env_extra["SPARKPOST_API_KEY"] = key
    return key


def _config(url: str) -> str:
    return f'''
resource "sparkpost_webhook" "alerts" {{
  name          = "acme alerts"
  target        = "{url}/acme"
  subaccount_id = "0"
  events        = ["bounce", "spam_complaint"]
}}
resource "sparkpost_ip_pool" "dedicated" {{
  name = "Acme Dedicated"
}}
resource "sparkpost_sending_domain" "mail" {{
  domain = "mail.acme.example.com"
}}
'''


def _hooks(sp: SparkPostWorld) -> list[dict[str, Any]]:
    return list(sp.emulator.dump_state()["webhooks"])


def _pools(sp: SparkPostWorld) -> list[dict[str, Any]]:
    return [p for p in sp.emulator.dump_state()["ip_pools"] if p["id"] != "default"]


def _domains(sp: SparkPostWorld) -> list[dict[str, Any]]:
    return list(sp.emulator.dump_state()["sending_domains"])


def _assert_one_each_in_state(sp: SparkPostWorld) -> None:
    res = sp.tf.state_resources()
    (hook,) = _hooks(sp)
    assert hook["name"] == "acme alerts" and hook["subaccount_id"] == 0
    assert res["sparkpost_webhook.alerts"]["values"]["id"] == hook["id"]
    assert res["sparkpost_webhook.alerts"]["values"]["name"] == "acme alerts"
    (pool,) = _pools(sp)
    assert res["sparkpost_ip_pool.dedicated"]["values"]["id"] == pool["id"] == "acme_dedicated"
    (domain,) = _domains(sp)
    assert domain["domain"] == "mail.acme.example.com"
    assert res["sparkpost_sending_domain.mail"]["values"]["id"] == "mail.acme.example.com"


def test_lost_create_answers_converge_in_one_apply(sp: SparkPostWorld, receiver: Receiver) -> None:
    """SparkPost makes each object and the answer is lost (the connection drops after it acted):
    the same apply finds each one (the webhook by its create's marker, the pool by its name, the
    domain by its name), records it, and makes no second one."""
    _key(sp)
    sp.write(_config(receiver.url))
    sp.tf.init()
    sp.emulator.set_faults(drop_rate=1.0, drop_mode="after", routes=POSTS)
    result = sp.tf.apply(check=False)
    sp.emulator.clear_faults()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _assert_one_each_in_state(sp)
    assert len(receiver.batches()) == 1  # one test batch: the POST was not sent again
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)


def _wait(cond: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    end = time.monotonic() + limit
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_sigkill_mid_apply_then_apply_names_the_imports_and_converges(sp: SparkPostWorld, receiver: Receiver) -> None:
    """terraform is killed once SparkPost has made all three objects and before the provider
    returned (each create's first request after its POST is held, so each is still reading back or
    renaming): no state
    holds them. The next apply fails for each, naming the import; after the imports one apply
    converges, with exactly one of each."""
    key = _key(sp)
    sp.write(_config(receiver.url))
    sp.tf.init()
    # Held from the start, not switched on once a first object appears: a switch raced the other
    # creates' first requests on a loaded machine, and a create could finish before the kill.
    # They are held until the faults change (not for 10 s): no create can return before all three
    # objects exist, however slow the machine.
    sp.emulator.set_faults(hold=True, routes=AFTER_CREATE)
    out = sp.tf.base / "killed-apply.log"
    with open(out, "w") as log:
        proc = subprocess.Popen([sp.tf.binary, "apply", "-auto-approve", "-input=false", "-no-color"],
                                cwd=sp.tf.workdir, env=sp.tf.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    _wait(lambda: bool(_hooks(sp) and _pools(sp) and _domains(sp)) or proc.poll() is not None, "the creates")
    assert proc.poll() is None, out.read_text()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _wait(lambda: not _processes_in(sp.tf.workdir), "the killed apply's processes to go")
    sp.emulator.clear_faults()  # the held requests go on
    # Requests in flight at the kill still complete: wait for every one of them, and for the
    # killed processes' connections to close (not a quiet spell, which only guessed).
    sp.settle()
    # (read directly: `terraform show` starts no provider, which would sweep the killed one's socket directory)
    saved = sp.tf.workdir / "terraform.tfstate"
    text = saved.read_text() if saved.exists() else ""  # (empty: the kill came as terraform opened it)
    recorded = [r["type"] for r in (json.loads(text).get("resources", []) if text.strip() else [])
                if r.get("instances")]
    assert recorded == [], f"the killed apply saved {recorded}"
    (hook,), (pool,), (domain,) = _hooks(sp), _pools(sp), _domains(sp)

    second = sp.tf.apply(check=False)
    said = " ".join((second.stdout + second.stderr).split())
    assert second.returncode == 1
    assert "A webhook named 'acme alerts' with this target already exists" in said
    assert f"terraform import ADDRESS 0:{hook['id']}" in said
    assert "An IP pool named 'Acme Dedicated' already exists" in said
    assert "terraform import ADDRESS acme_dedicated" in said
    assert "Sending domain mail.acme.example.com already exists in this SparkPost account" in said
    assert "terraform import ADDRESS mail.acme.example.com" in said
    assert (len(_hooks(sp)), len(_pools(sp)), len(_domains(sp))) == (1, 1, 1)  # no twin

    # scripts/find-orphans lists all three.
    proc_fo = subprocess.run([sys.executable, str(ROOT / "scripts" / "find-orphans"), "--dir", str(sp.tf.workdir),
                              "--json"], capture_output=True, text=True, env=dict(sp.tf.env, SPARKPOST_API_KEY=key),
                             timeout=120)
    assert proc_fo.returncode == 0, proc_fo.stderr
    report = json.loads(proc_fo.stdout)
    assert [h["id"] for h in report["orphan_webhooks"]] == [hook["id"]]
    assert [p["id"] for p in report["orphan_ip_pools"]] == ["acme_dedicated"]
    assert [d["domain"] for d in report["orphan_domains"]] == ["mail.acme.example.com"]

    # The guide's recovery: import what the errors name, then apply.
    for address, iid in (("sparkpost_webhook.alerts", f"0:{hook['id']}"), ("sparkpost_ip_pool.dedicated", pool["id"]),
                         ("sparkpost_sending_domain.mail", domain["domain"])):
        sp.tf.run("import", "-no-color", address, iid)
    sp.tf.apply()
    _assert_one_each_in_state(sp)
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
