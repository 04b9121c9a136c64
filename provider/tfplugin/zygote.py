"""The zygote: one pre-imported provider process per Terraform process, forking one child per launch.

Terraform launches a provider three times per plan and four per apply, one after another, and a
cold Python launch spends ~150 ms importing gRPC, protobuf and the provider. The first launch of
a Terraform process starts one zygote (``--zygote``), detached, bound to that Terraform process.
Later launches (the launcher Terraform exec'd) connect, hand over their stdio, environment,
working directory and umask, and the zygote forks a child that becomes that launch's provider.
The wire protocol is in docs/fast-launch.md; the launcher's side is go-shim/ and ``warm.py``.

Lifetime: the zygote exits when its Terraform process does (pidfd), after ending its children;
each child also ends when its launcher's connection closes (the launcher dies with Terraform).
Isolation: each launch is its own forked process with exactly its launcher's environment; the
zygote itself imports modules and never configures anything, so there is no state to share.
Trust: the socket is a Linux abstract name (nothing left on disk when killed); a connection is
served only when its peer is this user's launcher executable, a child of that Terraform process.
The zygote never starts a thread: ``fork`` copies only the calling one.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from types import FrameType
from typing import Callable, NamedTuple, Sequence

NAME_PREFIX = "tfprovider-zygote"
MAX_REQUEST = 1 << 20  # an environment of a megabyte is already absurd
REQUEST_TIMEOUT_SECONDS = 2.0  # a launcher sends its request at once; anything slower is not one
GO_TIMEOUT_SECONDS = 5.0  # the launcher answers {"pid"} with the go byte at once
LIFELINE_GRACE_SECONDS = 0.3  # after the launcher is gone: clean up, then exit regardless
TERM_GRACE_SECONDS = 0.5  # Terraform gone: children get SIGTERM, then SIGKILL after this
LOAD_WATCH_SECONDS = 0.05  # while a preload stage runs, how often Terraform's pidfd is looked at

Lifeline = Callable[[threading.Event, threading.Event], None]  # (stop, orphaned)
GivenCertificate = tuple[str, str]  # (certificate PEM, private key PEM), made by the launcher
# Serves one launch in a child: with the launcher's relay socket (its gRPC is relayed: relay.py),
# or None (the child serves gRPC itself, with the certificate when the launcher made one).
Launch = Callable[[Lifeline, "GivenCertificate | None", "socket.socket | None"], int]
MAX_PEM = 16384  # a P-256 certificate and key are under 2 KB


class Request(NamedTuple):
    argv: list[str]
    env: dict[str, str]
    cwd: str
    umask: int
    certificate: GivenCertificate | None = None
    relay: bool = False  # the launcher serves gRPC and relays the calls over a 4th fd


class BadRequest(ValueError):
    pass


# ---------------------------------------------------------------- /proc


def proc_stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/PID/stat (state, ppid, ...), or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return raw.rpartition(")")[2].split()  # comm may hold spaces and parentheses


def start_time(pid: int) -> str | None:
    fields = proc_stat(pid)
    return fields[19] if fields and len(fields) > 19 else None  # field 22 of stat


def parent_of(pid: int) -> int | None:
    fields = proc_stat(pid)
    return int(fields[1]) if fields and len(fields) > 1 else None


def executable_of(pid: int) -> str | None:
    try:
        return os.path.realpath(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return None


def socket_name(terraform_pid: int, launcher_id: str) -> str | None:
    """The zygote's abstract socket name for this user, Terraform process and launcher."""
    started = start_time(terraform_pid)
    if started is None:
        return None
    return f"{NAME_PREFIX}.{os.getuid()}.{terraform_pid}.{started}.{launcher_id}"


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end of a unix socket."""
    return struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))


# ---------------------------------------------------------------- requests


def parse_request(payload: bytes) -> Request:
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise BadRequest(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("v") != 1:
        raise BadRequest("not a version 1 request")
    argv, env, cwd, umask = data.get("argv"), data.get("env"), data.get("cwd"), data.get("umask")
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise BadRequest("argv must be a list of strings")
    if not isinstance(env, list) or not all(isinstance(e, str) and "=" in e and "\0" not in e for e in env):
        raise BadRequest("env must be a list of K=V strings")
    if not isinstance(cwd, str) or not cwd.startswith("/") or "\0" in cwd:
        raise BadRequest("cwd must be an absolute path")
    if not isinstance(umask, int) or isinstance(umask, bool) or not 0 <= umask <= 0o777:
        raise BadRequest("umask must be 0..0o777")
    relay = data.get("relay", False)
    if not isinstance(relay, bool):
        raise BadRequest("relay must be true or false")
    environment: dict[str, str] = {}
    for entry in env:
        key, _, value = entry.partition("=")
        if key:
            environment[key] = value
    return Request(argv=list(argv), env=environment, cwd=cwd, umask=umask, certificate=_certificate(data.get("tls")), relay=relay)


def _certificate(tls: object) -> GivenCertificate | None:
    """The launch's AutoMTLS certificate and key, when the launcher made them (go-shim does)."""
    if tls is None:
        return None
    if not isinstance(tls, dict) or set(tls) != {"cert", "key"}:
        raise BadRequest("tls must be {cert, key}")
    cert, key = tls["cert"], tls["key"]
    if (
        not isinstance(cert, str) or not isinstance(key, str)
        or not cert.startswith("-----BEGIN CERTIFICATE-----\n") or not key.startswith("-----BEGIN PRIVATE KEY-----\n")
        or len(cert) + len(key) > MAX_PEM or "\0" in cert + key
    ):
        raise BadRequest("tls must hold a PEM certificate and an unencrypted PKCS#8 PEM key")
    return cert, key


def read_request(conn: socket.socket) -> tuple[list[int], Request]:
    """The launcher's three stdio descriptors (and, for a relayed launch, its relay socket) and
    its request; closes the fds when it fails."""
    msg, fds, flags, _ = socket.recv_fds(conn, 65536, 4)
    try:
        if flags & socket.MSG_CTRUNC or len(fds) not in (3, 4):
            raise BadRequest(f"expected 3 or 4 file descriptors, got {len(fds)}")
        if len(msg) < 4:
            msg += _read_exactly(conn, 4 - len(msg))
        (length,) = struct.unpack(">I", msg[:4])
        if length > MAX_REQUEST:
            raise BadRequest(f"request of {length} bytes")
        body = msg[4:]
        if len(body) > length:
            raise BadRequest("more bytes than announced")
        body += _read_exactly(conn, length - len(body))
        request = parse_request(body)
        if len(fds) != (4 if request.relay else 3):
            raise BadRequest(f"expected {4 if request.relay else 3} file descriptors, got {len(fds)}")
        if request.relay and not _is_unix_stream(fds[3]):
            raise BadRequest("the relay descriptor is not a unix stream socket")
        return fds, request
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def _is_unix_stream(fd: int) -> bool:
    try:
        sock = socket.socket(fileno=fd)
    except OSError:
        return False
    try:
        return sock.family == socket.AF_UNIX and sock.type == socket.SOCK_STREAM
    finally:
        sock.detach()


def _read_exactly(conn: socket.socket, n: int) -> bytes:
    chunks = []
    while n > 0:
        chunk = conn.recv(min(n, 65536))
        if not chunk:
            raise BadRequest("connection closed mid-request")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------- the zygote


class Zygote:
    def __init__(self, listener: socket.socket, terraform_pid: int, terraform_fd: int, launcher: str, launch: Launch) -> None:
        self.listener = listener
        self.terraform_pid = terraform_pid
        self.terraform_fd = terraform_fd
        self.launcher = launcher
        self.launch = launch
        self.children: dict[int, tuple[int, socket.socket]] = {}  # pid -> (pidfd, connection)

    def serve_pending(self) -> bool:
        """Between preload stages: reap the children that ended (a child killed by a signal
        cannot report its own exit), and fork for launches already waiting (their child imports
        what is not loaded yet, on the other core, while this process goes on loading). False
        when Terraform is gone: the children were ended, and the zygote must exit now."""
        ready = select.select([self.terraform_fd] + [fd for fd, _ in self.children.values()], [], [], 0)[0]
        if self.terraform_fd in ready:
            self._end_children()
            return False
        self._reap_ready(ready)
        while select.select([self.listener.fileno()], [], [], 0)[0] and self._accept():
            pass
        return True

    def load(self, stage: Callable[[], object]) -> None:
        """Run one preload stage while watching Terraform. A stage takes up to most of a second
        on a busy machine (the first one: the protocol and the provider), and Terraform's death
        must end this process and its children within half of one. A timer signal looks at the
        pidfd meanwhile (no thread: ``fork`` copies only the calling one); the stage's system
        calls are restarted after it."""

        def check(_signum: int, _frame: FrameType | None) -> None:
            if select.select([self.terraform_fd], [], [], 0)[0]:
                self._end_children()
                os._exit(0)

        previous = signal.signal(signal.SIGALRM, check)
        signal.siginterrupt(signal.SIGALRM, False)
        signal.setitimer(signal.ITIMER_REAL, LOAD_WATCH_SECONDS, LOAD_WATCH_SECONDS)
        try:
            stage()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def _reap_ready(self, ready: list[int]) -> None:
        for pid, (fd, conn) in list(self.children.items()):
            if fd in ready:
                self._reap(pid, fd, conn)

    def run(self) -> int:
        while True:
            watched = [self.listener.fileno(), self.terraform_fd] + [fd for fd, _ in self.children.values()]
            try:
                ready, _, _ = select.select(watched, [], [], 1.0)
            except InterruptedError:
                continue
            if self.terraform_fd in ready or start_time(self.terraform_pid) is None:
                self._end_children()
                return 0
            self._reap_ready(ready)
            if self.listener.fileno() in ready:
                self._accept()

    def _accept(self) -> bool:
        """Serve one waiting connection; False when none could be accepted."""
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return False
        try:
            pid, uid, _ = peer_credentials(conn)
            if uid != os.getuid() or parent_of(pid) != self.terraform_pid or executable_of(pid) != self.launcher:
                conn.close()  # not our launcher, or not launched by our Terraform
                return True  # accepted, and dealt with
            conn.settimeout(REQUEST_TIMEOUT_SECONDS)
            fds, request = read_request(conn)
        except (OSError, BadRequest, ValueError) as exc:
            _reply(conn, {"error": str(exc)[:200]})
            conn.close()
            return True  # accepted, and dealt with
        try:
            # Everything imported so far goes to the collector's permanent generation: a child's
            # full collection then never walks (and so never copies, page by page) the ~50,000
            # objects it shares with this process. Measured: one such collection took 29 ms of
            # a warm launch's CPU (CPython's advice for fork without exec: gc.freeze docs).
            gc.freeze()
            child = os.fork()
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            _reply(conn, {"error": f"fork: {exc}"})
            conn.close()
            return True  # accepted, and dealt with
        if child == 0:
            code = 1
            try:
                keep = {conn.fileno(), *fds}
                code = become_launch(conn, fds, request, self._fds_to_close(keep), self.launch)
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)
        try:
            pidfd = os.pidfd_open(child)
        except OSError:
            pidfd = -1
        if pidfd < 0 or not _reply(conn, {"pid": child}):
            os.kill(child, signal.SIGKILL)  # it waits for the go byte: it has done nothing yet
            os.waitpid(child, 0)
            if pidfd >= 0:
                os.close(pidfd)
            conn.close()
            return True  # accepted, and dealt with
        self.children[child] = (pidfd, conn)
        return True

    def _fds_to_close(self, keep: set[int]) -> list[int]:
        fds = [self.listener.fileno(), self.terraform_fd]
        for fd, conn in self.children.values():
            fds += [fd, conn.fileno()]
        return [fd for fd in fds if fd not in keep]

    def _reap(self, pid: int, pidfd: int, conn: socket.socket) -> None:
        """Report a child's end; its launcher has already left when the child reported its own
        exit code (then this reply goes nowhere), else it learns it here (a death by signal)."""
        try:
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            code = 1
        os.close(pidfd)
        del self.children[pid]
        _reply(conn, {"exit": code if code >= 0 else 128 - code})
        conn.close()

    def _end_children(self) -> None:
        for pid in self.children:
            _kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + TERM_GRACE_SECONDS
        while self.children and time.monotonic() < deadline:
            fds = [fd for fd, _ in self.children.values()]
            ready, _, _ = select.select(fds, [], [], max(0.0, deadline - time.monotonic()))
            for pid, (fd, conn) in list(self.children.items()):
                if fd in ready:
                    self._reap(pid, fd, conn)
        for pid, (fd, conn) in list(self.children.items()):
            _kill(pid, signal.SIGKILL)
            self._reap(pid, fd, conn)


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _reply(conn: socket.socket, message: dict[str, object]) -> bool:
    try:
        conn.sendall(json.dumps(message).encode() + b"\n")
        return True
    except OSError:
        return False


def serve(name: str, terraform_pid: int, launcher: str, *, preload: Sequence[Callable[[], object]], launch: Launch) -> int:
    """Run the zygote for one Terraform process; returns the exit code (0 also when not needed)."""
    if not sys.platform.startswith("linux"):
        return 0
    fields = name.split(".")
    if len(fields) != 5 or fields[0] != NAME_PREFIX or fields[1] != str(os.getuid()) or fields[2] != str(terraform_pid):
        print(f"zygote: malformed name {name!r}", file=sys.stderr)
        return 2
    try:
        os.setsid()  # the terminal's Ctrl-C and hang-up are Terraform's business, not ours
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind("\0" + name)
    except OSError:
        return 0  # another zygote serves this Terraform process already
    try:
        terraform_fd = os.pidfd_open(terraform_pid)
    except OSError:
        return 0  # gone already (or a kernel older than 5.3: no fast path there)
    if start_time(terraform_pid) != fields[3]:
        return 0  # the PID was reused: the Terraform process we were started for is gone
    release_start_marker(name)
    listener.listen(64)  # launches queue here while the imports run
    os.chdir("/")  # pin no directory of the user's; each child enters its launch's own
    zygote = Zygote(listener, terraform_pid, terraform_fd, os.path.realpath(launcher), launch)
    # Imports make objects and no garbage: the collector's passes over them while loading cost
    # 5-10% of the zygote's CPU (~15 ms), which the launches it is loading for wait for. Off
    # until everything is loaded; a child forked meanwhile turns it on for itself.
    gc.disable()
    for stage in preload:
        zygote.load(stage)
        if not zygote.serve_pending():
            return 0  # Terraform ended while this was loading
    gc.freeze()  # what was loaded is never garbage: no later pass walks it
    gc.enable()
    return zygote.run()


def release_start_marker(name: str) -> None:
    """Close the Go launcher's "starting" marker (an abstract socket it hands over as fd 3) now
    that NAME is bound: neither this zygote nor its children should keep telling launchers that
    a zygote is on its way (they would wait for one that died)."""
    marker = b"\0" + name.replace(NAME_PREFIX + ".", NAME_PREFIX + "-starting.", 1).encode()
    try:
        sock = socket.socket(fileno=3)
    except OSError:
        return  # no fd 3, or not a socket: started by another launcher
    try:
        if sock.family == socket.AF_UNIX and sock.getsockname() == marker:
            sock.close()
            return
    except OSError:
        pass
    sock.detach()  # not ours to close


# ---------------------------------------------------------------- the child: one launch


def become_launch(conn: socket.socket, fds: list[int], request: Request, close: list[int], launch: Launch) -> int:
    """In the forked child: take over the launcher's stdio and environment, serve, and tell the
    launcher the exit code on the way out. The zygote reports it too, but only once it reaps
    this process, which waits while the zygote imports a module: the launcher (and so
    Terraform, which starts its next launch only after this one exited) would wait with it."""
    for fd in close:
        try:
            os.close(fd)
        except OSError:
            pass
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    gc.enable()  # off in the zygote while it loads
    conn.settimeout(GO_TIMEOUT_SECONDS)
    try:
        if conn.recv(1) != b"g":
            return 1  # the launcher went cold instead: write nothing anywhere
    except OSError:
        return 1
    conn.settimeout(None)
    code = 1
    try:
        code = _serve_as_launch(conn, fds, request, launch)
    finally:
        _reply(conn, {"exit": code})  # the last thing before _exit: nothing of ours runs after it
    return code


def _serve_as_launch(conn: socket.socket, fds: list[int], request: Request, launch: Launch) -> int:
    link = None
    if request.relay:  # the 4th fd: the launcher's relay socket (fds 0-2 are taken: it stays above)
        link = socket.socket(fileno=fds[3])
        fds = fds[:3]
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    import tempfile

    os.environ.clear()
    os.environ.update(request.env)
    tempfile.tempdir = None  # TMPDIR is the launch's, not whatever the zygote saw
    time.tzset()
    os.umask(request.umask)
    try:
        os.chdir(request.cwd)
    except OSError as exc:
        print(f"provider launch: cannot enter the working directory {request.cwd!r}: {exc.strerror}", file=sys.stderr, flush=True)
        return 1
    sys.argv = sys.argv[:1] + request.argv

    def lifeline(stop: threading.Event, orphaned: threading.Event) -> None:
        """The launcher holds the other end; it closes when the launcher (or Terraform) dies."""
        try:
            while conn.recv(64):
                pass
        except OSError:
            pass
        orphaned.set()
        stop.set()
        time.sleep(LIFELINE_GRACE_SECONDS)  # the clean way out removes the socket directory
        os._exit(1)

    return launch(lifeline, request.certificate, link)
