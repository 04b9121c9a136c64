"""A SparkPost world for end-to-end tests: the emulator, the Secret Manager fake, keys, and a
Terraform pointed at them the way a user points the provider at SparkPost."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from provider.emulator.secretmanager import SecretManagerFake
from provider.emulator.sparkpost import Emulator

from .harness import Terraform

# Our users' operator key holds exactly these grants (no api_keys/manage).
OPERATOR_GRANTS = ["metrics/view", "subaccount/manage", "sending_domains/manage"]
ADMIN_GRANTS = OPERATOR_GRANTS + ["api_keys/manage", "account/view", "ip_pools/manage", "tracking_domains/manage"]

PROVIDER_BLOCK = """
terraform {
  required_providers {
    sparkpost = { source = "sourcegraph/sparkpost" }
  }
}
"""


@dataclass
class SparkPostWorld:
    emulator: Emulator
    secret_manager: SecretManagerFake
    tf: Terraform
    operator_key: str
    admin_key: str
    # Secrets a test brings itself (a DKIM private key, say), for the leak scan.
    extra_secrets: list[str] = field(default_factory=list)

    def api(self, method: str, path: str, *, json: Any = None, subaccount: int | None = None,
            key: str | None = None) -> requests.Response:
        """Call the emulator as a person would from outside Terraform (out-of-band changes)."""
        headers = {"Authorization": key or self.admin_key}
        if subaccount is not None:
            headers["X-MSYS-SUBACCOUNT"] = str(subaccount)
        return requests.request(method, f"{self.emulator.url}/api/v1{path}", json=json, headers=headers, timeout=30)

    def write(self, body: str) -> None:
        self.tf.write(PROVIDER_BLOCK, "versions.tf")
        self.tf.write(body)

    def settle(self, limit: float = 120.0) -> None:
        """Once every process that talked to the emulator is gone (a killed apply's): wait until
        their connections are closed and every request they sent has been answered, so that the
        emulator's state is final. Nothing is timed but the limit: a request sent just before a
        kill and still in the socket, or in its injected latency, is waited for however long it
        takes (a quiet spell shorter than a latency, on a loaded machine, judged too early)."""
        deadline = time.monotonic() + limit
        while True:
            log = self.emulator.request_log()
            if log["connections"] == 0 and log["in_flight"] == 0:
                return
            assert time.monotonic() < deadline, f"the emulator did not settle: {log['connections']} " \
                f"connection(s), {log['in_flight_by_route']} in flight"
            time.sleep(0.05)

    def api_calls(self) -> int:
        return int(self.emulator.request_log()["total"])

    def by_route(self) -> dict[str, int]:
        return dict(self.emulator.request_log()["by_route"])


def make_world(make_tf: Any, *, region: str = "us", grants: list[str] | None = None,
               api_keys_api: bool = False) -> tuple[SparkPostWorld, Any]:
    """`api_keys_api`: the account has the API-keys API (an option SparkPost does not document;
    off by default, as in the emulator)."""
    emulator = Emulator(region=region, options={"api_keys_api": api_keys_api})
    emulator.start(0)
    fake = SecretManagerFake()
    fake.start(0)
    operator_key = secrets.token_hex(20)
    admin_key = secrets.token_hex(20)
    emulator.add_key(key=operator_key, grants=grants or OPERATOR_GRANTS, label="operator")
    emulator.add_key(key=admin_key, grants=ADMIN_GRANTS, label="admin")
    tf = make_tf(
        SPARKPOST_API_KEY=operator_key,
        SPARKPOST_BASE_URL=emulator.url,
        SPARKPOST_REGION=region,
        SECRETMANAGER_EMULATOR_HOST=fake.address,
        TF_LOG="trace",
        TF_LOG_PATH="",  # set below, once the world's directory exists
    )
    tf.env_extra["TF_LOG_PATH"] = str(tf.base / "terraform-trace.log")
    world = SparkPostWorld(emulator, fake, tf, operator_key, admin_key)

    def close() -> None:
        emulator.stop()
        fake.stop()

    return world, close
