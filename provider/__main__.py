"""`python -m provider`: serve the SparkPost provider to Terraform."""

from __future__ import annotations

import sys

from .tfplugin.cli import run
from .tfplugin.resource import Provider
from .version import VERSION

SOURCE_ADDRESS = "registry.terraform.io/sourcegraph/sparkpost"


def _load() -> "type[Provider]":
    from .provider import SparkPostProvider

    return SparkPostProvider


def main() -> int:
    return run(_load, source_address=SOURCE_ADDRESS, version=VERSION)


if __name__ == "__main__":
    sys.exit(main())
