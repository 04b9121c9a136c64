"""The command line every provider built on this layer shares: serve, --debug, --version.

Two arguments are for the launcher and install, never for people: ``--zygote NAME PID LAUNCHER``
runs the fast-launch zygote for one Terraform process (zygote.py), and ``--write-schema-cache
PATH`` writes the serialized GetProviderSchema response the Go launcher answers launch 1 with.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING, Callable, NoReturn, Sequence

from .resource import Provider

if TYPE_CHECKING:
    import socket

    from .server import ProviderServicer
    from .zygote import GivenCertificate, Lifeline

# Set by the Go launcher on a cold exec of a frozen provider: it has tried the zygote already.
GO_LAUNCHER_ENV = "TFPLUGIN_GO_LAUNCHER"

USAGE = """usage: {prog} [--debug | --version | --help]

A Terraform provider plugin. Terraform starts it; people do not.
  --debug    serve without Terraform's launch and print TF_REATTACH_PROVIDERS for attaching
  --version  print the version and exit
"""


def run(
    load_provider: Callable[[], type[Provider]],
    *,
    source_address: str,
    version: str,
    argv: list[str] | None = None,
    module: str | None = None,
    fast_launch_env: str | None = None,
    preload: Sequence[str] = (),
) -> int:
    """Serve the provider. ``module`` (run with -m) and ``fast_launch_env`` (the switch that
    turns fast launches off) enable warm launches through a zygote where the launcher is
    Python (the frozen release); ``preload`` names modules a launch will need, which the
    zygote imports in that order."""
    go_launched = os.environ.pop(GO_LAUNCHER_ENV, None) == "1"  # first: never seen by a launch
    args = sys.argv[1:] if argv is None else argv
    prog = source_address.rsplit("/", 1)[-1]
    if any(a in ("-h", "--help") for a in args):
        print(USAGE.format(prog=f"terraform-provider-{prog}"))
        return 0
    if "--version" in args:
        print(f"terraform-provider-{prog} {version}")
        return 0
    if args[:1] == ["--zygote"] and len(args) == 4 and args[2].isdigit():
        return _zygote(load_provider, preload, prog, source_address, name=args[1], terraform_pid=int(args[2]), launcher=args[3])
    if args[:1] == ["--write-schema-cache"] and len(args) == 2:
        return _write_schema_cache(load_provider, args[1])
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
    if not debug and module and fast_launch_env and getattr(sys, "frozen", False) and not go_launched:
        from . import warm  # the Go launcher does this itself; a frozen provider is its own launcher

        code = warm.attempt(argv=args, module=module, switch_env=fast_launch_env)
        if code is not None:
            os._exit(code)
    _launch(load_provider, prog, source_address, debug)


def _launch(load_provider: Callable[[], type[Provider]], prog: str, source_address: str, debug: bool) -> NoReturn:
    """One cold launch; exits the process when Terraform is done."""
    code = _serve_launch(load_provider, prog, source_address, debug)
    # Everything is cleaned up by now. Skip the interpreter's shutdown, which joins gRPC's
    # worker threads: Terraform waits for the process to exit, three launches per plan.
    os._exit(code)


def _serve_launch(
    load_provider: Callable[[], type[Provider]],
    prog: str,
    source_address: str,
    debug: bool,
    watch: "Lifeline | None" = None,
    certificate: "GivenCertificate | None" = None,
) -> int:
    """Serve one launch, cold or in a zygote's child, until Terraform is done; the exit code.
    Logs and stdio are flushed: the caller only has to exit."""
    from . import handshake, logs

    logs.setup(prog)  # serve() checks the launch again: a zygote child has the launcher's environment

    def make_servicer(cancelled: threading.Event) -> "ProviderServicer":
        from .server import ProviderServicer

        return ProviderServicer(load_provider()(), cancelled)

    code = handshake.serve(make_servicer, source_address=source_address, debug=debug, watch=watch, given_certificate=certificate)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _serve_relayed(load_provider: Callable[[], type[Provider]], prog: str, link: "socket.socket", watch: "Lifeline") -> int:
    """Serve one warm launch whose gRPC the Go launcher serves, over its relay socket (relay.py);
    the exit code. The launcher closing the socket (Shutdown, or its death) ends the launch."""
    from . import handshake, logs, relay
    from .proto import tfplugin6_pb2 as pb
    from .server import ProviderServicer

    logs.setup(prog)
    problem = handshake.check_launch(False)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    ended = threading.Event()
    orphaned = threading.Event()
    threading.Thread(target=watch, args=(ended, orphaned), daemon=True).start()
    servicer = ProviderServicer(load_provider()(), ended)
    code = relay.serve(link, relay.methods_of(servicer, pb.DESCRIPTOR.services_by_name["Provider"]), ended)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _zygote(
    load_provider: Callable[[], type[Provider]],
    preload: Sequence[str],
    prog: str,
    source_address: str,
    *,
    name: str,
    terraform_pid: int,
    launcher: str,
) -> int:
    from . import handshake, zygote

    if handshake.check_launch(False):
        return 1  # only a launcher Terraform started may start a zygote

    # The Go launcher makes each launch's AutoMTLS certificate and sends it with the request: its
    # zygote's children never make one with ``cryptography``. A Python launcher (this very
    # executable: the frozen release built without Go) sends none; its children make their own,
    # with the module loaded here once.
    python_launcher = os.path.realpath(launcher) == os.path.realpath(sys.executable)

    def load_every_launchs_needs() -> None:
        """What every launch needs before its handshake, in one step: a launch forked halfway
        would only import the rest itself (the same time, and twice the CPU) before it could
        print its handshake. The Go launcher serves a warm launch's gRPC itself and relays the
        calls (relay.py): its children need the protocol and the provider, not gRPC."""
        from . import logs, relay, server  # noqa: F401

        load_provider()
        if python_launcher:
            load_grpc()

    def load_grpc() -> None:
        """What a launch that serves gRPC itself needs: one whose launcher does not relay
        (a Python launcher; Terraform without AutoMTLS; the relay switched off), or the
        provider the Go launcher starts behind the schema cache."""
        import grpc  # noqa: F401
        from concurrent import futures  # noqa: F401

        from . import mtls, services  # noqa: F401

        mtls.warm_up()
        if python_launcher:
            from . import tls

            tls.preload()

    def importer(name: str) -> Callable[[], object]:
        def load() -> None:
            try:
                importlib.import_module(name)
            except Exception:  # a missing optional module: a launch that needs it says so itself
                pass

        return load

    # Then, one step each, what only some launches need: a launch that arrives meanwhile is
    # forked between two steps, prints its handshake and starts serving while this goes on.
    stages: list[Callable[[], object]] = [load_every_launchs_needs] + [importer(name) for name in preload]
    if not python_launcher:
        stages.append(load_grpc)  # last: a relayed launch never needs it

    def launch(watch: "Lifeline", certificate: "GivenCertificate | None", link: "socket.socket | None") -> int:
        if link is not None:
            return _serve_relayed(load_provider, prog, link, watch)
        return _serve_launch(load_provider, prog, source_address, False, watch=watch, certificate=certificate)

    return zygote.serve(name, terraform_pid, launcher, preload=stages, launch=launch)


def _write_schema_cache(load_provider: Callable[[], type[Provider]], path: str) -> int:
    """Write the serialized GetProviderSchema response to PATH (atomically)."""
    from .proto import tfplugin6_pb2 as pb
    from .server import ProviderServicer

    servicer = ProviderServicer(load_provider()(), threading.Event())
    data = servicer.GetProviderSchema(pb.GetProviderSchema.Request(), None).SerializeToString()
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return 0
