"""The command line every provider built on this layer shares: serve, --debug, --version."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import TYPE_CHECKING, Callable

from .resource import Provider

if TYPE_CHECKING:
    from .server import ProviderServicer

USAGE = """usage: {prog} [--debug | --version | --help]

A Terraform provider plugin. Terraform starts it; people do not.
  --debug    serve without Terraform's launch and print TF_REATTACH_PROVIDERS for attaching
  --version  print the version and exit
"""


def run(load_provider: Callable[[], type[Provider]], *, source_address: str, version: str, argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    prog = source_address.rsplit("/", 1)[-1]
    if any(a in ("-h", "--help") for a in args):
        print(USAGE.format(prog=f"terraform-provider-{prog}"))
        return 0
    if "--version" in args:
        print(f"terraform-provider-{prog} {version}")
        return 0
    unknown = [a for a in args if a != "--debug"]
    if unknown:
        print(f"unknown argument {unknown[0]!r}\n" + USAGE.format(prog=f"terraform-provider-{prog}"), file=sys.stderr)
        return 2
    debug = "--debug" in args

    from . import handshake

    problem = handshake.check_launch(debug)
    if problem:
        print(problem, file=sys.stderr)
        return 1

    from . import logs

    logs.setup(prog)

    def make_servicer(cancelled: threading.Event) -> "ProviderServicer":
        from .server import ProviderServicer

        return ProviderServicer(load_provider()(), cancelled)

    code = handshake.serve(make_servicer, source_address=source_address, debug=debug)
    # Everything is cleaned up by now. Skip the interpreter's shutdown, which joins gRPC's
    # worker threads: Terraform waits for the process to exit, three launches per plan.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
