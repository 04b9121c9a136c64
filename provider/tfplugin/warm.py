"""The launcher's side of a warm launch, for launchers written in Python (the frozen release).

The Go launcher (go-shim/) does the same in Go; the protocol is in docs/fast-launch.md. This
runs before any heavy import: a warm launch must not pay for what the zygote already loaded.
``attempt`` either serves the whole launch through the zygote and returns its exit code, or
returns None after starting a zygote for the next launches, and the caller goes on cold.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import socket
import struct
import sys
from typing import Callable

from .zygote import NAME_PREFIX, peer_credentials, socket_name

OFF_VALUES = ("0", "off", "false", "no")
PID_TIMEOUT_SECONDS = 3.0  # a zygote still importing answers within this; otherwise go cold
PARENT_POLL_SECONDS = 0.1


def enabled(switch_env: str) -> bool:
    return sys.platform.startswith("linux") and os.environ.get(switch_env, "").strip().lower() not in OFF_VALUES


def launcher_id(executable: str) -> str:
    return hashlib.sha256(os.path.realpath(executable).encode()).hexdigest()[:16]


def _umask() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o22)  # no /proc: read it the racy way, single-threaded here
    os.umask(mask)
    return mask


def reader_gone(fd: int) -> bool:
    """Whether fd is a pipe nobody reads any more (POLLERR on its write end). Terraform reads our
    stdout until it dies, and its death closes that end before the kernel gives us another
    parent: checked after reading our parent, it tells a launch whose Terraform died before it
    looked, whose "Terraform" is then init or a subreaper (a zygote for it would never end)."""
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    try:
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except OSError:
        return False


def zygote_command(executable: str, module: str) -> list[str]:
    if getattr(sys, "frozen", False):
        return [executable]
    return [executable, "-s", "-P", "-m", module]


def start_zygote(name: str, terraform_pid: int, launcher: str, command: list[str]) -> None:
    """Spawn the zygote detached (own session, /dev/null stdio); never wait for it."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
    except OSError:
        return
    try:
        os.posix_spawn(
            command[0],
            command + ["--zygote", name, str(terraform_pid), launcher],
            os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)],
            setsid=True,
        )
    except OSError:
        pass
    finally:
        os.close(null)


def attempt(*, argv: list[str], module: str, switch_env: str, start: Callable[[str, int, str, list[str]], None] = start_zygote) -> int | None:
    """Serve this launch through the zygote: its exit code, or None to launch cold."""
    if not enabled(switch_env):
        return None
    terraform_pid = os.getppid()
    executable = sys.executable
    launcher = os.path.realpath(executable)
    name = socket_name(terraform_pid, launcher_id(executable))
    if name is None or not name.startswith(NAME_PREFIX) or reader_gone(1):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect("\0" + name)
    except OSError:
        sock.close()
        start(name, terraform_pid, launcher, zygote_command(executable, module))
        return None
    try:
        return _launch_through(sock, argv, terraform_pid)
    except OSError:
        return None
    finally:
        sock.close()


def _launch_through(sock: socket.socket, argv: list[str], terraform_pid: int) -> int | None:
    _, uid, _ = peer_credentials(sock)
    if uid != os.getuid():
        return None  # someone else holds the name: never hand them our environment
    payload = json.dumps(
        {"v": 1, "argv": argv, "env": [f"{k}={v}" for k, v in os.environ.items()], "cwd": os.getcwd(), "umask": _umask()}
    ).encode()
    data = struct.pack(">I", len(payload)) + payload
    sent = socket.send_fds(sock, [data[:65536]], [0, 1, 2])
    sock.sendall(data[sent:])
    sock.settimeout(PID_TIMEOUT_SECONDS)
    lines = _Lines(sock)
    reply = lines.next()
    child = reply.get("pid") if reply else None
    if not isinstance(child, int) or child <= 0:
        return None
    sock.sendall(b"g")  # from here on the child owns our stdio: no way back to cold

    def forward(sig: int, _frame: object) -> None:
        try:
            os.kill(child, sig)
        except OSError:
            pass

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, forward)
    sock.settimeout(None)
    while True:
        if os.getppid() != terraform_pid:
            return 1  # Terraform is gone: our closing socket ends the child
        try:
            ready, _, _ = select.select([sock], [], [], PARENT_POLL_SECONDS)
        except InterruptedError:
            continue
        if not ready:
            continue
        message = lines.next()
        if message is None:
            return 1
        code = message.get("exit")
        if isinstance(code, int):
            return code


class _Lines:
    """Newline-delimited JSON objects from a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def next(self) -> dict[str, object] | None:
        while b"\n" not in self.buffer:
            try:
                chunk = self.sock.recv(4096)
            except (OSError, TimeoutError):
                return None
            if not chunk or len(self.buffer) > 65536:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        try:
            message = json.loads(line)
        except ValueError:
            return None
        return message if isinstance(message, dict) else None
