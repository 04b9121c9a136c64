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
# imported once by the fast-launch zygote, one step per name, after what every launch needs
# (the protocol, the provider's schemas and validators: tfplugin/cli.py; the Go launcher serves
# the gRPC of a warm launch itself): a launch that
# arrives meanwhile is forked between two steps, and its child imports the rest itself. So the
# big imports are cut into steps of 15 ms of CPU or less (requests by its dependencies, Secret
# Manager's client by google-auth's cryptography and proto-plus; a submodule would import its
# whole package first): a plan's third launch, which usually arrives while the zygote is still
# on these, waits for one step, not one package.
# Secret Manager's client is ~0.05 s of CPU that the managed-SMTP module's every plan needs; a
# configuration without it costs the zygote that CPU once per Terraform command, in the
# background. A name that cannot be imported is skipped.
PRELOAD = (
    "provider.secrets",
    "http.client",
    "importlib.metadata",
    "urllib3",
    "charset_normalizer",
    "http.cookiejar",
    "requests",
    "provider.sparkpost.client",
    "grpc._cython.cygrpc",  # gRPC's client, for Secret Manager's (a relayed launch serves no gRPC)
    "grpc",
    "google.api.annotations_pb2",
    "cryptography.hazmat.bindings._rust",
    "cryptography.x509",
    "google.auth.crypt",
    "google.auth.transport.grpc",
    "google.api_core.gapic_v1",
    "google.iam.v1.iam_policy_pb2",
    "proto",
    "google.cloud.secretmanager_v1",
    "google.cloud.secretmanager_v1.services.secret_manager_service.transports.grpc",
)


def main() -> int:
    return run(_load, source_address=SOURCE_ADDRESS, version=VERSION, module="provider", fast_launch_env=FAST_LAUNCH_ENV, preload=PRELOAD)


if __name__ == "__main__":
    sys.exit(main())
