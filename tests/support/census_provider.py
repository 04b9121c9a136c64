"""The SparkPost provider with a census of what each launch forked by a zygote imports.

For tests/e2e/test_fast_launch.py, installed as a provider of its own (scripts/install_provider.py
--module tests.support.census_provider). Each launch served by a zygote's child appends one JSON
line to the file CENSUS_FILE names in that launch's environment, when it ends: its PID, the
modules the zygote had loaded when it forked the child ("zygote"), the modules the child
imported itself ("own"), whether it served with the certificate its launcher made
("given") or had its calls relayed by the launcher, which then holds the TLS ("relayed"), and whether its garbage collector is on ("gc": the zygote's is off while it loads). The zygote's preload starts with tests.support.census_pause (see there).
"""

from __future__ import annotations

import gc
import json
import os
import sys
from typing import Any

from provider import __main__ as real
from provider.tfplugin import handshake, relay
from provider.tfplugin.cli import run

_at_fork: set[str] = set()


def _forked() -> None:
    _at_fork.clear()
    _at_fork.update(sys.modules)


os.register_at_fork(after_in_child=_forked)
_serve = handshake.serve
_relay_serve = relay.serve


def _write(**facts: Any) -> None:
    path = os.environ.get("CENSUS_FILE")
    if path and _at_fork:
        line = {"pid": os.getpid(), "zygote": sorted(_at_fork), "own": sorted(set(sys.modules) - _at_fork), "gc": gc.isenabled(), **facts}
        with open(path, "a") as f:
            f.write(json.dumps(line) + "\n")


def _census_serve(*args: Any, **kwargs: Any) -> int:
    try:
        return _serve(*args, **kwargs)
    finally:
        _write(given=kwargs.get("given_certificate") is not None, relayed=False)


def _census_relay_serve(*args: Any, **kwargs: Any) -> int:
    try:
        return _relay_serve(*args, **kwargs)
    finally:
        _write(given=False, relayed=True)


handshake.serve = _census_serve
relay.serve = _census_relay_serve

if __name__ == "__main__":
    sys.exit(run(real._load, source_address=real.SOURCE_ADDRESS, version=real.VERSION, module="tests.support.census_provider",
                 fast_launch_env=real.FAST_LAUNCH_ENV, preload=("tests.support.census_pause",) + real.PRELOAD))
