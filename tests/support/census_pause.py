"""Imported by the census provider's zygote (tests/support/census_provider.py) right after it has
loaded what a validation launch needs and before the rest of its preload: with CENSUS_PAUSE set,
it holds the zygote here until a launch is waiting (or Terraform is gone, or 10 s passed). That
launch is then forked with only the validation launch's modules loaded, as on a busy machine
where it arrives before the zygote has imported the rest."""

from __future__ import annotations

import os
import select
import socket
import sys


def _pause() -> None:
    if not os.environ.get("CENSUS_PAUSE") or "--zygote" not in sys.argv:
        return
    terraform = os.pidfd_open(int(sys.argv[sys.argv.index("--zygote") + 2]))
    for fd in map(int, os.listdir("/proc/self/fd")):
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        with sock:
            try:
                name = sock.getsockname() if sock.family == socket.AF_UNIX else ""
            except OSError:
                continue
            if isinstance(name, bytes) and name.startswith(b"\0tfprovider-zygote."):
                select.select([sock, terraform], [], [], 10.0)
                break
    os.close(terraform)


_pause()
