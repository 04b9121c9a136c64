"""go-plugin's side of the launch: cookie check, socket, TLS, handshake line, lifetime.

Terraform execs the provider with a magic cookie, reads one handshake line from stdout, dials
the unix socket named there, and ends the plugin with GRPCController.Shutdown (or SIGKILL).
The socket lives in a fresh 0700 directory, removed on every way out. With AutoMTLS (Terraform
sets PLUGIN_CLIENT_CERT) the socket is ``mtls.Front``: TLS that requires exactly Terraform's
client certificate, in front of a gRPC server that serves only the front's own connections.
Without it (TF_DISABLE_PLUGIN_TLS=1, or --debug) gRPC listens on the socket itself, and the
directory's mode is the only access control, as with go-plugin.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from typing import Any, Callable

COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
CORE_PROTOCOL = 1
APP_PROTOCOL = 6

NOT_A_COMMAND = (
    "This is a Terraform provider plugin, not a program to run by hand. "
    "Terraform starts it itself: declare it in required_providers and run terraform init.\n"
    "(To debug it, run it with --debug and follow the instructions it prints.)"
)


def check_launch(debug: bool) -> str | None:
    """Why this launch cannot serve, or None when it can."""
    if debug:
        return None
    if os.environ.get(COOKIE_KEY) != COOKIE_VALUE:
        return NOT_A_COMMAND
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", str(APP_PROTOCOL))
    if str(APP_PROTOCOL) not in [v.strip() for v in versions.split(",")]:
        return (
            f"This provider speaks plugin protocol {APP_PROTOCOL}, but Terraform offered {versions}. "
            "Use Terraform 1.0 or newer."
        )
    return None


def handshake_line(socket_path: str, cert_b64: str | None) -> str:
    line = f"{CORE_PROTOCOL}|{APP_PROTOCOL}|unix|{socket_path}|grpc"
    return line + f"|{cert_b64}" if cert_b64 else line


def reattach_json(source_address: str, socket_path: str) -> str:
    return json.dumps(
        {
            source_address: {
                "Protocol": "grpc",
                "ProtocolVersion": APP_PROTOCOL,
                "Pid": os.getpid(),
                "Test": True,
                "Addr": {"Network": "unix", "String": socket_path},
            }
        },
        separators=(",", ":"),
    )


SOCKET_DIR_PREFIX = "tfprovider-"
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _b36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _B36[r] + out
        if not n:
            return out


def _make_socket_dir(tmp: str) -> str:
    """A fresh 0700 directory named tfprovider-PID-XY (PID in base 36, XY random): the PID lets
    a later launch tell a SIGKILLed provider's directory from a live one, and the name is no
    longer than mkdtemp's (unix socket paths are limited to 107 bytes)."""
    tag = _b36(os.getpid())
    for _ in range(100):
        suffix = "".join(_B36[b % 36] for b in os.urandom(2))
        path = os.path.join(tmp, f"{SOCKET_DIR_PREFIX}{tag}-{suffix}")
        try:
            os.mkdir(path, 0o700)  # fails on anything already there, symlinks included
            return path
        except FileExistsError:
            continue
    return tempfile.mkdtemp(prefix=SOCKET_DIR_PREFIX, dir=tmp)


def _alive(pid: int) -> bool:
    """Whether PID runs. A zombie does not: a SIGKILLed launcher whose parent died with it waits
    for an init to reap it, and an init that never reaps (a container's PID 1 that is an ordinary
    program) would keep its directory from ever being swept. Raises OSError on EPERM (a live
    process of another user)."""
    from .zygote import proc_stat  # stdlib only

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    fields = proc_stat(pid)  # None without /proc (or gone meanwhile): kill() said it was there
    return fields is None or fields[:1] != ["Z"]


def _remove_stale_socket_dirs(tmp: str) -> None:
    """Remove socket directories left by providers that were SIGKILLed (no way out runs then,
    and Terraform does not clean up after its plugins). A directory is stale only when it has
    our naming (tfprovider-PID-XY) and owner, holds nothing but the socket, its PID is gone,
    and nothing answers on its socket (a live provider in another PID namespace sharing this
    TMPDIR still answers). Anything else is left alone."""
    try:
        names = [n for n in os.listdir(tmp) if n.startswith(SOCKET_DIR_PREFIX)]
    except OSError:
        return
    uid = os.getuid()
    for name in names:
        tag, sep, suffix = name[len(SOCKET_DIR_PREFIX):].partition("-")
        if not sep or len(suffix) != 2 or not 0 < len(tag) <= 6 or not set(tag + suffix) <= set(_B36):
            continue
        path = os.path.join(tmp, name)
        try:
            st = os.lstat(path)
            if st.st_uid != uid or not os.path.isdir(path) or os.path.islink(path):
                continue
            if not all(n in ("plugin.sock", "grpc.sock", "server.pem") or n.startswith("tfprovider-c-") for n in os.listdir(path)):
                continue
            pid = int(tag, 36)
            if pid != os.getpid() and _alive(pid):  # ours would be a dead namesake's: none made yet
                continue  # the owner lives (or its PID was reused): leave it be
        except OSError:
            continue  # EPERM (a live process of another user), or gone already
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(0.2)
            sock.connect(os.path.join(path, "plugin.sock"))
            continue  # someone still serves there
        except OSError:
            pass
        finally:
            sock.close()
        shutil.rmtree(path, ignore_errors=True)


# How long the way out may take once Terraform is gone (nobody is left to answer) before the
# process removes its socket directory and exits regardless: the lifetime promise is 1 s.
ORPHAN_GRACE_SECONDS = 0.3
_PARENT_POLL_SECONDS = 0.1  # where pidfd_open is missing (Linux < 5.3, other systems)


def _watch_parent(stop: threading.Event, orphaned: threading.Event) -> None:
    """Exit when Terraform goes away without telling us (killed, crashed): told at once by a
    pidfd where there is one, by polling the parent PID elsewhere."""
    parent = os.getppid()
    pidfd = -1
    if hasattr(os, "pidfd_open") and parent > 1:
        try:
            pidfd = os.pidfd_open(parent)
        except OSError:
            pidfd = -1
    try:
        if pidfd >= 0 and os.getppid() == parent:  # not re-parented before the pidfd was opened
            import select

            while not stop.is_set():
                if select.select([pidfd], [], [], 0.5)[0]:
                    break
        else:
            while not stop.wait(_PARENT_POLL_SECONDS):
                if os.getppid() != parent:
                    break
        if not stop.is_set():
            orphaned.set()
            stop.set()
    finally:
        if pidfd >= 0:
            os.close(pidfd)


def _exit_when_orphaned(orphaned: threading.Event, socket_dir: list[str]) -> None:
    """Once Terraform is gone, give the way out ORPHAN_GRACE_SECONDS to finish, then remove the
    socket directory and exit: a launch still importing, or stuck in a handler, must not
    outlive Terraform."""
    orphaned.wait()
    threading.Event().wait(ORPHAN_GRACE_SECONDS)
    for path in socket_dir:
        shutil.rmtree(path, ignore_errors=True)
    os._exit(1)


def serve(
    make_servicer: Callable[[threading.Event], Any],
    *,
    source_address: str,
    debug: bool = False,
    watch: Callable[[threading.Event, threading.Event], None] | None = None,
    given_certificate: tuple[str, str] | None = None,
) -> int:
    """Serve until told to stop; returns the exit code. ``watch(stop, orphaned)`` sets both
    when the launch's owner is gone (default: the parent process changed; a zygote's child is
    told by its launcher's connection closing); nobody is left to answer then, so the server
    stops without a grace period. ``given_certificate`` (certificate PEM, key PEM) is the
    AutoMTLS certificate the launcher made for this launch (a zygote's child); without it, or
    when it cannot be loaded, the launch makes its own."""
    problem = check_launch(debug)
    if problem:
        print(problem, file=sys.stderr)
        return 1

    client_cert = os.environ.get("PLUGIN_CLIENT_CERT", "").strip()
    auto_mtls = bool(client_cert) and not debug
    certificate = None
    tls_context: Any = None
    cert_b64 = None
    key_password = os.urandom(32).hex().encode()  # encrypts the key on its way into ``ssl``
    if auto_mtls and given_certificate is not None:
        import ssl

        from . import mtls

        try:
            tls_context, cert_b64 = mtls.given_context(*given_certificate, client_cert)
        except (OSError, ValueError, ssl.SSLError):
            tls_context = cert_b64 = None  # not loadable here: make our own, as a cold launch does
    if auto_mtls and tls_context is None:
        from .tls import start_certificate

        certificate = start_certificate(key_password)  # forks: before gRPC starts any thread

    parent = os.getppid()
    stop = threading.Event()
    orphaned = threading.Event()
    cancelled = threading.Event()
    made_dirs: list[str] = []  # the socket directory, once made: the orphan guard removes it
    if not debug:
        # Watched from before the heavy imports: under load they take seconds, and Terraform
        # may be killed meanwhile.
        threading.Thread(target=watch or _watch_parent, args=(stop, orphaned), daemon=True).start()
        threading.Thread(target=_exit_when_orphaned, args=(orphaned, made_dirs), daemon=True).start()

    import grpc  # the heavy imports wait until the cookie said Terraform is the caller
    from concurrent import futures

    from . import services

    # Before the directory exists: a SIGTERM arriving as soon as the handshake is read must
    # still clean up, not kill the process with the directory left behind.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    tmp = tempfile.gettempdir()
    _remove_stale_socket_dirs(tmp)
    socket_dir = _make_socket_dir(tmp)  # mode 0700 by construction
    made_dirs.append(socket_dir)
    socket_path = os.path.join(socket_dir, "plugin.sock")
    server = None
    listener = None
    try:
        gate = None
        interceptors = []
        if auto_mtls:
            from . import mtls

            gate = mtls.PeerGate(socket_dir)
            interceptors.append(mtls.gate_interceptor(gate))
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="rpc"),
            interceptors=interceptors,
            options=[("grpc.max_receive_message_length", 256 << 20), ("grpc.max_send_message_length", 256 << 20)],
        )
        services.register(server, make_servicer(cancelled), stop)
        if auto_mtls and gate is not None:
            if certificate is not None:
                key_pem, cert_pem, cert_b64 = certificate()
                tls_context = mtls.server_context(cert_pem, key_pem, key_password, client_cert, socket_dir)
            grpc_address, private = mtls.private_address(socket_dir)
            if not server.add_insecure_port(grpc_address):
                raise OSError(f"cannot listen on {grpc_address}")
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(socket_path)
            listener.listen(16)
            mtls.Front(listener, tls_context, private, gate).start()
        else:
            # TF_DISABLE_PLUGIN_TLS=1: Terraform sends no certificate and panics if we send one.
            server.add_insecure_port(f"unix:{socket_path}")
        server.start()

        if debug:
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            print(
                "Provider started in debug mode. To attach Terraform, run in another shell:\n\n"
                f"\tTF_REATTACH_PROVIDERS='{reattach_json(source_address, socket_path)}'\n\n"
                "Press Ctrl-C to stop the provider.",
                flush=True,
            )
        else:
            # Ctrl-C reaches the whole process group; Terraform itself decides what to stop
            # (StopProvider, then Shutdown), as go-plugin servers do.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            sys.stdout.write(handshake_line(socket_path, cert_b64) + "\n")
            sys.stdout.flush()
        while not stop.wait(0.5):  # a timed wait lets signal handlers run promptly
            pass
        if os.getppid() != parent:
            # The SIGTERM came from the launcher's death (PR_SET_PDEATHSIG): Terraform is gone.
            orphaned.set()
        cancelled.set()
        if listener is not None:
            listener.close()
        if orphaned.is_set():
            server.stop(grace=0)  # nobody is left to answer: no waiting for handlers
            return 0
        server.stop(grace=1).wait(2)
        return 0
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)
