from __future__ import annotations

import sys

from provider.tfplugin.cli import run


def _load():
    from .provider import TestProvider

    return TestProvider


if __name__ == "__main__":
    sys.exit(run(_load, source_address="registry.terraform.io/sourcegraph/tftest", version="0.0.1"))
