"""Acceptance tests against the real SparkPost API: opt-in, never run by default.

They need TF_ACC=1 and SPARKPOST_API_KEY (and SPARKPOST_REGION=eu for an EU account). They only
read, except the sending-domain test, which also needs SPARKPOST_ACC_DOMAIN (a domain you own
that SparkPost may register) and deletes what it creates. Nothing here makes a subaccount: a
subaccount can never be deleted.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

ENABLED = os.environ.get("TF_ACC") == "1" and bool(os.environ.get("SPARKPOST_API_KEY"))
pytestmark = pytest.mark.skipif(
    not ENABLED,
    reason="acceptance tests against the real SparkPost API are opt-in: set TF_ACC=1 and SPARKPOST_API_KEY",
)

VERSIONS = 'terraform {\n  required_providers {\n    sparkpost = { source = "sourcegraph/sparkpost" }\n  }\n}\n'


def _real_env() -> dict[str, str]:
    env = {"SPARKPOST_API_KEY": os.environ.get("SPARKPOST_API_KEY", "")}
    for name in ("SPARKPOST_REGION", "SPARKPOST_BASE_URL"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


def test_real_subaccounts_data_source(make_tf: Any) -> None:
    tf = make_tf(**_real_env())
    tf.write(VERSIONS + 'data "sparkpost_subaccounts" "all" {}\n'
             'output "count" { value = length(data.sparkpost_subaccounts.all.subaccounts) }\n')
    tf.init()
    tf.apply()
    assert json.loads(tf.run("output", "-json").stdout)["count"]["value"] >= 0


def test_real_sending_domain_lifecycle(make_tf: Any) -> None:
    if not os.environ.get("SPARKPOST_ACC_DOMAIN"):
        pytest.skip("set SPARKPOST_ACC_DOMAIN to a domain SparkPost may register (and delete)")
    tf = make_tf(**_real_env())
    domain = os.environ["SPARKPOST_ACC_DOMAIN"]
    tf.write(VERSIONS + f'resource "sparkpost_sending_domain" "d" {{\n  domain = "{domain}"\n}}\n')
    tf.init()
    tf.apply()
    values = tf.state_resources()["sparkpost_sending_domain.d"]["values"]
    assert {r["id"] for r in values["dns_records"]} == {"dkim", "bounce_cname"}
    assert tf.plan()[0].returncode == 0
    tf.destroy()
