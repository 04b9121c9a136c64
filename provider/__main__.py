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


def _preload() -> None:
    """What a launch imports on its way (ConfigureProvider and the first request), imported once
    in the fast-launch zygote. Secret Manager's client is left out: a quarter of a second of
    imports that only some configurations use; those launches import it as a cold one would."""
    from . import secrets  # noqa: F401
    from .sparkpost import client, errors, http  # noqa: F401


def main() -> int:
    return run(_load, source_address=SOURCE_ADDRESS, version=VERSION, module="provider", fast_launch_env=FAST_LAUNCH_ENV, preload=_preload)


if __name__ == "__main__":
    sys.exit(main())
