"""A Python launcher for tests: serve one launch through the zygote (warm.attempt), the way the
frozen release does; exits 99 after printing COLD when the launch would go cold."""

from __future__ import annotations

import sys

from provider.tfplugin import warm

code = warm.attempt(argv=sys.argv[1:], module="provider", switch_env="TF_SPARKPOST_FAST_LAUNCH")
if code is None:
    print("COLD", flush=True)
    sys.exit(99)
sys.exit(code)
