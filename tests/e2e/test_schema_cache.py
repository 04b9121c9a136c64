"""The first launch of each Terraform command, answered by the Go launcher from the schema cache
that the install wrote (go-shim/server.go), with the real terraform and the test provider."""

from __future__ import annotations

import re
import shutil

import pytest

from .harness import Terraform, changes

CONFIG = """
terraform {
  required_providers {
    tftest = { source = "sourcegraph/tftest" }
  }
}
provider "tftest" { store = "%s" }
resource "tftest_thing" "a" { name = "cached" }
"""
SERVED = "GetProviderSchema served from the schema cache"
pytestmark = pytest.mark.skipif(not shutil.which("go"), reason="the schema cache is the Go launcher's (Go is not installed)")


def launches(log: str) -> list[list[str]]:
    """The RPCs Terraform made, per provider launch, from its TRACE log (launches follow one
    another in a plan)."""
    out: list[list[str]] = []
    for line in log.splitlines():
        if "provider: plugin started" in line and "terraform-provider-tftest" in line:
            out.append([])
        elif (m := re.search(r"GRPCProvider\.v6: ([A-Za-z]+)$", line.strip())) and out:
            out[-1].append(m.group(1))
    return out


def test_plan_and_apply_with_the_first_launch_from_the_cache(tf: Terraform) -> None:
    tf.write(CONFIG % (tf.base / "store.json"))
    tf.init()
    result, plan = tf.plan(env={"TF_LOG": "trace"})
    assert changes(plan) == {"tftest_thing.a": ["create"]}
    log = result.stderr
    calls = launches(log)
    assert len(calls) == 3, calls
    assert calls[0] == ["GetProviderSchema", "Close"]  # launch 1 asks for nothing else
    assert log.count(SERVED) == 1  # ... and got it from the Go launcher, with no Python
    assert "relayed to the provider" not in log
    assert log.count("warm launch: zygote child") == 2  # launches 2 and 3 went to the zygote
    tf.apply(env={"TF_LOG": "debug"})
    assert SERVED in tf.log[-1].stderr
    assert tf.state_resources()["tftest_thing.a"]["values"]["name"] == "cached"
    assert tf.plan()[0].returncode == 0


def test_the_switch_turns_the_cache_off(tf: Terraform) -> None:
    tf.write(CONFIG % (tf.base / "store.json"))
    tf.init()
    result, plan = tf.plan(env={"TF_LOG": "debug", "TF_SPARKPOST_FAST_LAUNCH": "off"})
    assert changes(plan) == {"tftest_thing.a": ["create"]}
    assert SERVED not in result.stderr and "warm launch" not in result.stderr
