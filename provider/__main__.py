"""`python -m provider`: serve the SparkPost provider to Terraform."""

from __future__ import annotations

import sys

from .tfplugin.cli import run
from .tfplugin.resource import Provider
from .version import VERSION

SOURCE_ADDRESS = "registry.terraform.io/sourcegraph/sparkpost"
FAST_LAUNCH_ENV = "TF_SPARKPOST_FAST_LAUNCH"  # 0/off/false/no: every launch is a cold one


def _load() -> "type[Provider]":
    from .provider import SparkPostProvider

    return SparkPostProvider


# What launches import on their way (ConfigureProvider, the first request, Secret Manager),
# imported once by the fast-launch zygote, one module per step: a launch that arrives meanwhile
# is forked between two steps. Secret Manager's client is ~0.2 s of imports that the
# managed-SMTP module's every plan needs; a configuration without it costs the zygote that CPU
# once per Terraform command, in the background.
PRELOAD = (
    "provider.secrets",
    "provider.sparkpost.client",
    "google.api.annotations_pb2",
    "google.auth.transport.grpc",
    "google.api_core.gapic_v1",
    "google.iam.v1.iam_policy_pb2",
    "google.cloud.secretmanager_v1",
    "google.cloud.secretmanager_v1.services.secret_manager_service.transports.grpc",
)


def main() -> int:
    return run(_load, source_address=SOURCE_ADDRESS, version=VERSION, module="provider", fast_launch_env=FAST_LAUNCH_ENV, preload=PRELOAD)


if __name__ == "__main__":
    sys.exit(main())
