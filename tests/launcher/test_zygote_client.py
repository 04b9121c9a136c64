"""The Go launcher's side of the zygote protocol (v1), against a fake zygote written here.

The fake binds the abstract name the launcher computes (uid, Terraform's PID and start time, the
launcher's real path), checks what it receives (payload, the three fds) and answers as the spec
says. Its "child" is a real process of this test, so forwarded signals can be observed.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from .conftest import ROOT

COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
LINUX = sys.platform.startswith("linux")
pytestmark = pytest.mark.skipif(not LINUX, reason="the fast launch exists on Linux only (abstract sockets, /proc)")


def start_time(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[19]  # field 22


def zygote_name(launcher: Path, tfpid: int) -> str:
    lid = hashlib.sha256(os.path.realpath(launcher).encode()).hexdigest()[:16]
    return f"tfprovider-zygote.{os.getuid()}.{tfpid}.{start_time(tfpid)}.{lid}"


def launcher_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_", "PYTHON"))}
    env.update(TF_PLUGIN_MAGIC_COOKIE=COOKIE, PLUGIN_PROTOCOL_VERSIONS="6", PYTHONPATH="/from/the/user/shell")
    env.update(extra)
    return env


class FakeZygote:
    """Accepts connections on the zygote's name; `behave(conn, request, fds)` answers each."""

    def __init__(self, name: str, behave: Callable[["FakeZygote", socket.socket, dict[str, Any], list[int]], None]) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind("\0" + name)
        self.sock.listen(4)
        self.behave = behave
        self.requests: list[tuple[dict[str, Any], list[str]]] = []  # payload, what fds 0-2 point at
        self.connections = 0
        self.lifeline_closed = threading.Event()
        self.went = threading.Event()  # the go byte came: the launcher's signal handling is in place
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 8)
            while len(msg) < 4 or len(msg) < 4 + struct.unpack(">I", msg[:4])[0]:
                chunk = conn.recv(1 << 20)
                if not chunk:
                    break
                msg += chunk
            request = json.loads(msg[4:])
            self.requests.append((request, [os.readlink(f"/proc/self/fd/{fd}") for fd in fds]))
            try:
                self.behave(self, conn, request, fds)
            finally:
                for fd in fds:
                    os.close(fd)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept, which frees the name
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)


def wait_for_go(conn: socket.socket, z: "FakeZygote | None" = None) -> None:
    assert conn.recv(1) == b"g"
    if z is not None:
        z.went.set()


def watch_lifeline(z: FakeZygote, conn: socket.socket) -> None:
    conn.settimeout(None)
    while conn.recv(1):
        pass
    z.lifeline_closed.set()


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:  # only what this test started, by handle
        if p.poll() is None:
            p.kill()
            p.wait(5)


def launch(launcher: Path, procs: list[subprocess.Popen[bytes]], env: dict[str, str], **kw: Any) -> subprocess.Popen[bytes]:
    p = subprocess.Popen([str(launcher)], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, **kw)
    procs.append(p)
    return p


SIGNAL_RECORDER = """
import signal, sys, time
out = sys.argv[1]
def note(sig, _):
    with open(out, "a") as f:
        f.write(signal.Signals(sig).name + "\\n")
for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGINT):
    signal.signal(s, note)
open(out, "a").close()
while True:
    time.sleep(0.05)
"""


def recorder(tmp_path: Path, procs: list[subprocess.Popen[bytes]]) -> tuple[subprocess.Popen[bytes], Path]:
    out = tmp_path / "signals.txt"
    p = subprocess.Popen([sys.executable, "-c", SIGNAL_RECORDER, str(out)])
    procs.append(p)
    deadline = time.monotonic() + 60  # a wait for an interpreter to start, on a loaded machine
    while not out.exists():
        assert time.monotonic() < deadline, "signal recorder did not start"
        time.sleep(0.02)
    return p, out


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


# ---------------------------------------------------------------- warm launches


def test_warm_launch_payload_fds_and_exit_code(fake_launcher: Path, procs: list[Any], tmp_path: Path) -> None:
    def behave(z: FakeZygote, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        conn.sendall(b'{"pid": %d}\n' % os.getpid())
        wait_for_go(conn)
        os.write(fds[1], b"handshake line from the child\n")
        os.write(fds[2], b"log line from the child\n")
        conn.sendall(b'{"exit": 7}\n')

    z = FakeZygote(zygote_name(fake_launcher, os.getpid()), behave)
    try:
        workdir = tmp_path / "work"
        workdir.mkdir()
        p = launch(fake_launcher, procs, launcher_env(SOME_SECRET="s3cret"), cwd=workdir,
                   preexec_fn=lambda: os.umask(0o027))
        out, err = p.communicate(timeout=30)
    finally:
        z.close()
    assert p.returncode == 7, err
    assert out == b"handshake line from the child\n"  # the child wrote on the launcher's own stdout
    assert b"log line from the child\n" in err
    [(request, stdio)] = z.requests
    assert set(request) == {"v", "argv", "env", "cwd", "umask"}
    assert request["v"] == 1 and request["argv"] == [] and request["cwd"] == str(workdir) and request["umask"] == 0o027
    env = dict(kv.split("=", 1) for kv in request["env"])
    assert env["SOME_SECRET"] == "s3cret" and env["TF_PLUGIN_MAGIC_COOKIE"] == COOKIE
    assert env["PYTHONPATH"] == str(ROOT)  # the user's filtered out, the launcher's own added
    assert [kv for kv in request["env"] if kv.startswith("PYTHONPATH=")] == [f"PYTHONPATH={ROOT}"]
    assert stdio[0] == "/dev/null" and stdio[1].startswith("pipe:") and stdio[2].startswith("pipe:")


def test_signals_forwarded_sigint_ignored(fake_launcher: Path, procs: list[Any], tmp_path: Path) -> None:
    child, signals = recorder(tmp_path, procs)
    released = threading.Event()

    def behave(z: FakeZygote, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        conn.sendall(b'{"pid": %d}\n' % child.pid)
        wait_for_go(conn, z)
        released.wait(30)
        conn.sendall(b'{"exit": 143}\n')

    z = FakeZygote(zygote_name(fake_launcher, os.getpid()), behave)
    try:
        p = launch(fake_launcher, procs, launcher_env())
        assert z.went.wait(30)  # sent once SIGINT is ignored and the others are caught
        p.send_signal(signal.SIGINT)
        for sig in (signal.SIGHUP, signal.SIGQUIT, signal.SIGTERM):
            p.send_signal(sig)
        assert wait_until(lambda: sorted(signals.read_text().split()) == ["SIGHUP", "SIGQUIT", "SIGTERM"]), signals.read_text()
        assert p.poll() is None  # SIGINT (and the forwarded ones) did not end the launcher
        released.set()
        assert p.wait(30) == 143
    finally:
        z.close()
    assert "SIGINT" not in signals.read_text()


PARENT = """
import subprocess, sys
sys.stdin.readline()  # the test binds the fake zygote (it needs this PID) first
p = subprocess.Popen([sys.argv[1]])
print(p.pid, flush=True)
p.wait()
"""


def test_launcher_exits_when_terraform_is_killed(fake_launcher: Path, procs: list[Any], tmp_path: Path) -> None:
    """The launcher's parent (Terraform) dies by SIGKILL: the launcher exits at once, and its
    closed connection tells the zygote's child (the lifeline)."""

    def behave(z: FakeZygote, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        conn.sendall(b'{"pid": %d}\n' % os.getpid())
        wait_for_go(conn)
        watch_lifeline(z, conn)

    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(fake_launcher)], env=launcher_env(),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    procs.append(parent)  # type: ignore[arg-type]
    z = FakeZygote(zygote_name(fake_launcher, parent.pid), behave)
    try:
        assert parent.stdin and parent.stdout
        parent.stdin.write("go\n")
        parent.stdin.flush()
        launcher_pid = int(parent.stdout.readline())
        assert wait_until(lambda: len(z.requests) == 1)
        time.sleep(0.3)
        assert alive(launcher_pid)
        killed = time.monotonic()
        parent.kill()
        parent.wait(30)
        # (waits: how soon is printed; the 1 s bound is the fast-launch e2e tests')
        assert wait_until(lambda: not alive(launcher_pid), 30), "the launcher outlived Terraform"
        gone_after = time.monotonic() - killed
        assert z.lifeline_closed.wait(30)
    finally:
        z.close()
    print(f"launcher gone {gone_after * 1000:.0f} ms after its parent was killed")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


# ---------------------------------------------------------------- fallbacks


@pytest.mark.parametrize("answer", ["error", "timeout", "eof"])
def test_zygote_failures_fall_back_cold(fake_launcher: Path, procs: list[Any], answer: str) -> None:
    def behave(z: FakeZygote, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        if answer == "error":
            conn.sendall(b'{"error": "cannot fork"}\n')
        elif answer == "timeout":
            conn.settimeout(None)
            conn.recv(1)  # silent until the launcher gives up and closes
            z.lifeline_closed.set()

    z = FakeZygote(zygote_name(fake_launcher, os.getpid()), behave)
    try:
        p = launch(fake_launcher, procs, launcher_env(FAKE_MARK="fell-back", FAKE_COLD_EXIT="3", TF_LOG="debug"))
        out, err = p.communicate(timeout=30)
    finally:
        z.close()
    assert (p.returncode, out) == (3, b"COLD fell-back\n"), err
    assert len(z.requests) == 1
    assert b"cold launch" in err  # said only because TF_LOG is set
    if answer == "timeout":
        assert z.lifeline_closed.wait(5)


def test_fallback_is_silent_without_tf_log(fake_launcher: Path, procs: list[Any]) -> None:
    z = FakeZygote(zygote_name(fake_launcher, os.getpid()), lambda z, c, r, f: c.sendall(b'{"error": "x"}\n'))
    try:
        p = launch(fake_launcher, procs, launcher_env())
        out, err = p.communicate(timeout=30)
    finally:
        z.close()
    assert (p.returncode, out, err) == (0, b"COLD \n", b"")


@pytest.mark.parametrize("relayed", [False, True])
def test_zygote_of_another_user_gets_nothing(fake_launcher: Path, procs: list[Any], tmp_path: Path, relayed: bool) -> None:
    """A socket bound by another uid under the zygote's name: the launcher checks SO_PEERCRED
    and goes cold without sending a byte (the environment holds credentials), whether it would
    hand the child its stdio or relay its calls (AutoMTLS asked for)."""
    if os.getuid() != 0:
        pytest.skip("binding as another user needs root (setuid)")
    name = zygote_name(fake_launcher, os.getpid())
    received = tmp_path / "received"
    other = """
import os, socket, sys
os.setgid(65534); os.setuid(65534)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\\0" + sys.argv[1]); s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
c.settimeout(5)
data = b""
try:
    while chunk := c.recv(65536):
        data += chunk
except OSError:
    pass
print(len(data), flush=True)
"""
    thief = subprocess.Popen([sys.executable, "-c", other, name], stdout=subprocess.PIPE, text=True, cwd="/")
    procs.append(thief)  # type: ignore[arg-type]
    assert thief.stdout and thief.stdout.readline().strip() == "ready"
    extra = {"PLUGIN_CLIENT_CERT": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"} if relayed else {}
    p = launch(fake_launcher, procs, launcher_env(SOME_SECRET="s3cret", FAKE_MARK="cold", **extra))
    out, err = p.communicate(timeout=30)
    assert (p.returncode, out) == (0, b"COLD cold\n"), err
    received.write_text(thief.stdout.readline())
    thief.wait(10)
    assert received.read_text().strip() == "0"  # connected, then closed: not a byte sent


def test_no_zygote_starts_one_detached_and_goes_cold(fake_launcher: Path, procs: list[Any], tmp_path: Path) -> None:
    record = tmp_path / "zygote.jsonl"
    p = launch(fake_launcher, procs, launcher_env(FAKE_RECORD=str(record), FAKE_MARK="first"))
    out, err = p.communicate(timeout=30)
    assert (p.returncode, out, err) == (0, b"COLD first\n", b"")
    assert wait_until(lambda: record.exists() and record.read_text().endswith("\n"))
    [seen] = [json.loads(line) for line in record.read_text().splitlines()]
    assert seen["argv"] == ["--zygote", zygote_name(fake_launcher, os.getpid()), str(os.getpid()), os.path.realpath(fake_launcher)]
    assert seen["sid_is_pid"] is True  # its own session: Terraform's Ctrl-C does not reach it
    assert seen["stdio"] == ["/dev/null"] * 3
    assert seen["cookie"] == COOKIE and seen["pythonpath"] == str(ROOT)


def test_switch_off_and_arguments_go_cold_without_zygote(fake_launcher: Path, procs: list[Any], tmp_path: Path) -> None:
    record = tmp_path / "zygote.jsonl"
    z = FakeZygote(zygote_name(fake_launcher, os.getpid()), lambda z, c, r, f: c.sendall(b'{"error": "x"}\n'))
    try:
        for value in ("0", "off", "FALSE", "No"):
            p = launch(fake_launcher, procs, launcher_env(TF_SPARKPOST_FAST_LAUNCH=value, FAKE_RECORD=str(record)))
            assert p.communicate(timeout=30)[0] == b"COLD \n"
        no_cookie = launcher_env(FAKE_RECORD=str(record))
        del no_cookie["TF_PLUGIN_MAGIC_COOKIE"]
        p = launch(fake_launcher, procs, no_cookie)  # run by hand: starts nothing
        assert p.communicate(timeout=30)[0] == b"COLD \n"
    finally:
        z.close()
    assert z.connections == 0 and not record.exists()



TWO_LAUNCHES = """
import os, subprocess, sys
for mark in ("first", "second"):  # back to back, as Terraform launches
    subprocess.run([sys.argv[1]], env=dict(os.environ, FAKE_MARK=mark))
"""


def test_a_launch_waits_for_a_zygote_that_is_starting(fake_launcher: Path, tmp_path: Path) -> None:
    """Terraform's second launch often comes before the zygote the first one started has bound
    its name: it finds the starting marker (the socket the zygote inherited) and waits for the
    zygote instead of starting another or taking itself for the first launch."""
    record = tmp_path / "record.jsonl"
    r = subprocess.run([sys.executable, "-c", TWO_LAUNCHES, str(fake_launcher)], capture_output=True, text=True, timeout=60,
                       env=launcher_env(FAKE_RECORD=str(record), FAKE_ZYGOTE_SERVE="0.5"))
    assert r.stdout == "COLD first\nCOLD second\n", r.stderr
    assert wait_until(lambda: '"served"' in record.read_text())
    seen = [json.loads(line) for line in record.read_text().splitlines()]
    spawned = [s for s in seen if "argv" in s]
    assert len(spawned) == 1  # the second launch started no zygote of its own
    assert spawned[0]["fd3"].startswith("socket:")  # the marker, held by the zygote
    assert {"served": "second"} in seen  # the second launch waited for it and asked it


def test_a_zygote_that_dies_while_starting_is_not_waited_for(fake_launcher: Path, tmp_path: Path) -> None:
    record = tmp_path / "record.jsonl"
    r = subprocess.run([sys.executable, "-c", TWO_LAUNCHES, str(fake_launcher)], capture_output=True, text=True, timeout=60,
                       env=launcher_env(FAKE_RECORD=str(record)))  # the "zygote" exits at once
    assert r.stdout == "COLD first\nCOLD second\n", r.stderr
    # so the second launch started one again (which records on its own time)
    assert wait_until(lambda: len(record.read_text().splitlines()) == 2), record.read_text()


def test_a_starting_marker_of_another_user_is_not_waited_for(fake_launcher: Path, procs: list[Any], tmp_path: Path) -> None:
    """Another user binds the "starting" name first (it is predictable: uid, Terraform's PID and
    start time, the launcher's path). That may turn the fast path off for this Terraform
    process, as a squatted zygote name does; it must not make every launch wait for a zygote
    that will never come (it waited 2 s per launch)."""
    if os.getuid() != 0:
        pytest.skip("binding as another user needs root (setuid)")
    marker = zygote_name(fake_launcher, os.getpid()).replace("tfprovider-zygote.", "tfprovider-zygote-starting.", 1)
    other = """
import os, socket, sys, time
os.setgid(65534); os.setuid(65534)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\\0" + sys.argv[1]); s.listen(64)
print("ready", flush=True)
time.sleep(60)
"""
    squatter = subprocess.Popen([sys.executable, "-c", other, marker], stdout=subprocess.PIPE, text=True, cwd="/")
    procs.append(squatter)  # type: ignore[arg-type]
    assert squatter.stdout and squatter.stdout.readline().strip() == "ready"
    record = tmp_path / "zygote.jsonl"
    # The launcher says (at TF_LOG=debug) when it waits for a starting zygote: that it did not
    # is read from its log, not from a time a loaded machine could exceed.
    p = launch(fake_launcher, procs, launcher_env(FAKE_MARK="cold", FAKE_RECORD=str(record), TF_LOG="debug"))
    out, err = p.communicate(timeout=60)
    assert (p.returncode, out) == (0, b"COLD cold\n"), err
    assert b"the zygote is starting: waiting" not in err, err  # not for another user's marker


def test_a_starting_marker_of_our_own_is_waited_for_until_it_goes(fake_launcher: Path, procs: list[Any]) -> None:
    """The counterpart of the test above: our own marker is waited for (and the launcher says so
    at TF_LOG=debug), until the zygote that holds it dies while starting."""
    marker = zygote_name(fake_launcher, os.getpid()).replace("tfprovider-zygote.", "tfprovider-zygote-starting.", 1)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind("\0" + marker)
        s.listen(64)
        s.settimeout(60)
        p = launch(fake_launcher, procs, launcher_env(FAKE_MARK="cold", TF_LOG="debug"))
        conn, _ = s.accept()  # the launch looks at the marker: ours, so it waits for the zygote
        conn.close()
    # the marker is gone (its zygote died): the wait ends, and the launch goes cold
    out, err = p.communicate(timeout=60)
    assert (p.returncode, out) == (0, b"COLD cold\n"), err
    assert b"the zygote is starting: waiting" in err, err


ORPHANED = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER: orphans come to us, not to init
launcher = sys.argv[1]
terraform = os.fork()
if terraform == 0:  # plays Terraform: starts the launcher on a pipe, and is killed at once
    me = os.getpid()
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(r)
        while os.getppid() == me:
            time.sleep(0.001)  # until Terraform is gone (we are the subreaper's now)
        os.dup2(w, 1)
        os.execv(launcher, [launcher])
    os._exit(0)  # SIGKILLed, as far as the launch can tell: its pipe closed, its child orphaned
os.waitpid(terraform, 0)
while True:  # reap the orphans until the test ends us
    try:
        pid, status = os.wait()
        print("REAPED", pid, os.waitstatus_to_exitcode(status), flush=True)
    except ChildProcessError:
        time.sleep(0.05)
"""


@pytest.mark.parametrize("fast", ["on", "0"])
def test_a_launch_orphaned_before_it_starts_starts_no_zygote(fake_launcher: Path, procs: list[Any], tmp_path: Path, fast: str) -> None:
    """Terraform killed between its fork of the launcher and the launcher's first look at its
    parent: the launcher's parent is then init (or a subreaper), which never ends. A zygote
    started for it would never end either. Terraform's end of the launcher's stdout is closed
    by then: the launcher exits at once."""
    record, cold = tmp_path / "zygote.jsonl", tmp_path / "cold"
    reaper = subprocess.Popen([sys.executable, "-c", ORPHANED, str(fake_launcher)],
                              env=launcher_env(FAKE_RECORD=str(record), FAKE_COLD_RECORD=str(cold), TF_SPARKPOST_FAST_LAUNCH=fast), stdout=subprocess.PIPE, text=True)
    procs.append(reaper)  # type: ignore[arg-type]
    assert reaper.stdout is not None
    line = reaper.stdout.readline()  # the launch ended at once: nobody is left to serve
    assert line.split()[::2] == ["REAPED", "1"], line
    time.sleep(0.5)
    assert not record.exists(), record.read_text()
    assert not cold.exists()  # not even cold: it would import for most of a second, then fail
