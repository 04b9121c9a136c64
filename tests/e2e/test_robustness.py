"""The plugin protocol under stress: ten terraform processes planning at once against one SparkPost;
a provider SIGKILLed in the middle of an RPC; Ctrl-C (StopProvider) during a slow API call."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable

from provider.tfplugin import handshake, zygote

from .harness import Terraform, _processes_in, changes
from .sparkpost_world import PROVIDER_BLOCK, SparkPostWorld

PLANS = 10


def two_subaccounts(prefix: str) -> str:
    return "".join(f"""
resource "sparkpost_subaccount" "s{i}" {{
  name = "{prefix}-{i}"
}}
""" for i in range(2))


def run_all(fns: list[Callable[[], Any]]) -> list[Any]:
    results: list[Any] = [None] * len(fns)

    def run(i: int) -> None:
        try:
            results[i] = fns[i]()
        except BaseException as exc:  # reported by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_ten_concurrent_plans_against_one_emulator(sp: SparkPostWorld, make_tf: Callable[..., Terraform]) -> None:
    worlds = [sp.tf] + [make_tf(**{k: v for k, v in sp.tf.env_extra.items()}) for _ in range(PLANS - 1)]
    for i, tf in enumerate(worlds):
        tf.write(PROVIDER_BLOCK, "versions.tf")
        tf.write(two_subaccounts(f"w{i}"))
    for r in run_all([tf.init for tf in worlds]):
        assert not isinstance(r, BaseException), r
    for r in run_all([tf.apply for tf in worlds]):  # twenty creates at once, ten providers
        assert not isinstance(r, BaseException), r
    subs = sp.emulator.dump_state()["subaccounts"]
    assert sorted(s["name"] for s in subs) == sorted(f"w{i}-{j}" for i in range(PLANS) for j in range(2))

    sp.emulator.reset_request_log()
    results = run_all([lambda tf=tf: tf.plan() for tf in worlds])
    for r in results:
        assert not isinstance(r, BaseException), r
        result, plan = r
        assert result.returncode == 0, changes(plan)
    # Per plan: one credentials check (the plan's ConfigureProvider) and one GET per resource;
    # `terraform show -json` of the plan file configures no provider.
    assert sp.by_route() == {"GET /api/v1/account": PLANS, "GET /api/v1/subaccounts/{id}": 2 * PLANS}


def provider_pids(workdir: Path) -> list[int]:
    """The processes serving Terraform: a cold launch's interpreter, or a zygote's child (the
    launcher Terraform started is the Go binary; the zygote itself works in /)."""
    pids = []
    for line in _processes_in(workdir):
        pid, _, cmd = line.partition(": ")
        try:
            here = os.readlink(f"/proc/{pid}/cwd") == str(workdir)
        except OSError:
            continue
        if "-m provider" in cmd and here:
            pids.append(int(pid))
    return pids


class Output(list[str]):
    """The lines terraform printed so far, read by a thread; ``whole()`` once it has exited."""

    reader: threading.Thread

    def whole(self) -> str:
        # Everything, up to the end of the pipe: the reader may lag behind an exited terraform on
        # a loaded machine (its last lines, the error, were missing once).
        self.reader.join(60)
        return "".join(self)


def start(tf: Terraform, *args: str) -> tuple[subprocess.Popen[str], Output]:
    """terraform in its own process group (as a shell runs it), its output collected."""
    proc = subprocess.Popen([tf.binary, *args], cwd=tf.workdir, env=tf.env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = Output()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    lines.reader = threading.Thread(target=read, daemon=True)
    lines.reader.start()
    return proc, lines


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_provider_sigkilled_mid_rpc_leaves_nothing_behind(sp: SparkPostWorld) -> None:
    sp.write(two_subaccounts("killed"))
    sp.tf.init()
    # Each create's first call (listing subaccounts) is held in the emulator until the faults
    # change: the kill comes while a create is at SparkPost and before any POST, however slow
    # the machine (a 2 s latency left a window a loaded machine could overshoot).
    sp.emulator.set_faults(hold=True, routes=["GET /api/v1/subaccounts"])
    proc, lines = start(sp.tf, "apply", "-auto-approve", "-input=false", "-no-color")
    try:
        wait_for(lambda: "GET /api/v1/subaccounts" in sp.emulator.request_log()["in_flight_by_route"]
                 or proc.poll() is not None, "a create's first request")
        assert proc.poll() is None, "".join(lines)
        wait_for(lambda: any("Creating..." in line for line in lines), "terraform to say so")  # (read by a thread)
        wait_for(lambda: len(provider_pids(sp.tf.workdir)) == 1, "the apply's provider process")
        dirs = sorted(p.name for p in sp.tf.tmpdir.glob("tfprovider-*"))
        # The process that serves Terraform's socket, whose directory this is: a cold launch's
        # Python, or the Go launcher of a relayed warm launch (docs/fast-launch.md).
        (owner,) = {int(d.removeprefix("tfprovider-").partition("-")[0], 36) for d in dirs}
        os.kill(owner, signal.SIGKILL)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = lines.whole()
    assert code == 1, output
    assert "plugin" in output.lower() and "Error" in output, output
    wait_for(lambda: not _processes_in(sp.tf.workdir), "no process left", timeout=10)
    # A SIGKILLed process runs no clean-up and Terraform removes no plugin's directory: the
    # killed provider's socket directory is still there...
    assert sorted(p.name for p in sp.tf.tmpdir.glob("tfprovider-*")) == dirs and len(dirs) == 1
    (stale,) = sp.tf.tmpdir.glob("tfprovider-*")
    with socket.socket(socket.AF_UNIX) as s:
        assert s.connect_ex(str(stale / "plugin.sock")) != 0  # nobody serves there
    # ...until the next launch of the provider, which removes directories of dead providers.
    sp.emulator.clear_faults()
    sp.tf.run("validate", "-no-color")  # the harness asserts nothing is left behind
    assert not stale.exists()
    assert sp.emulator.dump_state()["subaccounts"] == []  # the kill came before any POST


def test_stale_socket_directories_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    """The start-up sweep in handshake.py on its own: only dead providers' directories go."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"tfprovider-{handshake._b36(dead.pid)}-ab"
    stale.mkdir(mode=0o700)
    (stale / "plugin.sock").touch()
    alive_pid = tmp_path / f"tfprovider-{handshake._b36(os.getppid())}-cd"  # a live PID
    alive_pid.mkdir(mode=0o700)
    serving = tmp_path / f"tfprovider-{handshake._b36(dead.pid)}-ef"  # dead PID, live socket
    serving.mkdir(mode=0o700)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(serving / "plugin.sock"))
    listener.listen(1)
    foreign = [tmp_path / "tfprovider-gocache", tmp_path / "tfprovider-p56ie9gb"]  # not our naming
    for d in foreign:
        d.mkdir()
    other_files = tmp_path / f"tfprovider-{handshake._b36(dead.pid)}-gh"
    other_files.mkdir()
    (other_files / "notes.txt").touch()
    try:
        handshake._remove_stale_socket_dirs(str(tmp_path))
    finally:
        listener.close()
    assert not stale.exists()
    assert alive_pid.exists() and serving.exists() and other_files.exists()
    assert all(d.exists() for d in foreign)
    made = Path(handshake._make_socket_dir(str(tmp_path)))
    assert made.name.startswith(f"tfprovider-{handshake._b36(os.getpid())}-") and len(made.name) <= 19
    assert (made.stat().st_mode & 0o777) == 0o700


def test_a_zombie_launchs_directory_is_swept(tmp_path: Path) -> None:
    """A launcher SIGKILLed with its Terraform is a zombie until an init reaps it, and a
    container's PID 1 may never reap: its PID still answers kill(0), but its directory goes."""
    zombie = subprocess.Popen(["true"])
    deadline = time.monotonic() + 30
    while (zygote.proc_stat(zombie.pid) or ["?"])[0] != "Z":  # exited, not yet waited for
        assert time.monotonic() < deadline, "the child did not exit"
        time.sleep(0.01)
    stale = tmp_path / f"tfprovider-{handshake._b36(zombie.pid)}-zz"
    stale.mkdir(mode=0o700)
    (stale / "plugin.sock").touch()
    try:
        os.kill(zombie.pid, 0)  # what the sweep used to take for a live owner
        handshake._remove_stale_socket_dirs(str(tmp_path))
    finally:
        zombie.wait()
    assert not stale.exists()


def test_the_sweep_follows_no_symlink_and_spares_other_users(tmp_path: Path) -> None:
    """A symlink with the sweep's naming to a directory of ours that looks like a dead launch's,
    and (as root) another user's dead launch: nothing of either is removed."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    tag = f"tfprovider-{handshake._b36(dead.pid)}"
    victim = tmp_path / "victim"
    victim.mkdir(mode=0o700)
    (victim / "plugin.sock").touch()
    link = tmp_path / f"{tag}-ij"
    link.symlink_to(victim)
    kept = [victim / "plugin.sock", link]
    if os.getuid() == 0:
        theirs = tmp_path / f"{tag}-kl"
        theirs.mkdir(mode=0o700)
        (theirs / "plugin.sock").touch()
        os.chown(theirs, 65534, 65534)
        kept.append(theirs / "plugin.sock")
    handshake._remove_stale_socket_dirs(str(tmp_path))
    assert all(os.path.lexists(p) for p in kept)


# The provider may spend 600 s on one request here and SparkPost's answer is held until the test
# ends: terraform stops within STOP_LIMIT_S only if the provider abandons the request on Ctrl-C.
STOP_LIMIT_S = 60


def test_ctrl_c_during_a_slow_api_call_stops_promptly(sp: SparkPostWorld) -> None:
    sp.tf.write(PROVIDER_BLOCK + 'provider "sparkpost" {\n  skip_credentials_validation = true\n'
                '  request_timeout = 600\n}\n', "versions.tf")
    sp.tf.write(two_subaccounts("slow"))
    sp.tf.init()
    # Every API request is held in the emulator until the faults change: Ctrl-C comes once a
    # create's first request is there (was: 0.5 s after "Creating...", which a loaded machine
    # could overshoot or undershoot), and terraform must stop without its answer.
    sp.emulator.set_faults(hold=True)
    proc, lines = start(sp.tf, "apply", "-auto-approve", "-input=false", "-no-color")
    try:
        wait_for(lambda: sp.emulator.request_log()["in_flight"] >= 1 or proc.poll() is not None,
                 "a create's first request")
        assert proc.poll() is None, "".join(lines)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
        sent = time.monotonic()
        try:
            code = proc.wait(timeout=STOP_LIMIT_S)
        except subprocess.TimeoutExpired:
            raise AssertionError("terraform waited for SparkPost's answer after Ctrl-C\n" + "".join(lines)) from None
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = lines.whole()
    print(f"terraform exited {took:.2f} s after Ctrl-C, its request still held in the emulator")
    assert code == 1, output
    assert "Interrupt received" in output or "Stopping operation" in output, output
    sp.tf.assert_nothing_left_behind()
    sp.emulator.clear_faults()
    assert sp.emulator.dump_state()["subaccounts"] == []  # stopped before any POST was sent
