"""The fast launch (docs/fast-launch.md) with the real terraform and the installed Go launcher.

Lifetime: Terraform killed with SIGKILL mid-apply, and nothing of ours left after a second.
Isolation: two concurrent Terraform runs against two emulators with different credentials.
Fallback: a zygote killed or frozen mid-run, and the run still succeeds, cold.
What a validation launch imports: nothing of the HTTP client, Secret Manager or cryptography.
The switch: TF_SPARKPOST_FAST_LAUNCH=0, and no zygote ever exists.
Every test's harness also checks that no provider process, zygote or socket directory outlives
any terraform command (harness.assert_nothing_left_behind).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

from .harness import Terraform, changes
from .sparkpost_world import SparkPostWorld, make_world

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fast launch is Linux only")

SWITCH = "TF_SPARKPOST_FAST_LAUNCH"


def subaccounts(n: int, prefix: str = "inst") -> str:
    return "".join(f'resource "sparkpost_subaccount" "s{i}" {{\n  name = "{prefix}-{i}"\n}}\n' for i in range(n))


def zygotes_of(tf: Terraform) -> list[int]:
    """PIDs of the zygotes started from this world's Terraform runs (told by their TMPDIR)."""
    mark = f"TMPDIR={tf.tmpdir}".encode()
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"\0--zygote\0" not in f.read():
                    continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark in f.read().split(b"\0"):
                    found.append(int(pid))
        except OSError:
            continue
    return found


def ours(tf: Terraform) -> list[int]:
    """Every live process of ours for this world: launchers and providers (they work in the
    world's directory) and zygotes."""
    pids = set(zygotes_of(tf))
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.readlink(f"/proc/{pid}/cwd") == str(tf.workdir):
                    with open(f"/proc/{pid}/stat") as f:
                        if not f.read().rpartition(")")[2].split()[0] == "Z":
                            pids.add(int(pid))
            except OSError:
                continue
    return sorted(pids)


def assert_nothing_left_after(proc: "subprocess.Popen[bytes]", tf: Terraform) -> None:
    """Terraform (PROC) was just killed: none of our processes outlives it by more than a second,
    and every provider saw it go and removed its socket directory."""
    proc.wait(timeout=60)
    ended_at = time.monotonic()
    while ours(tf) and time.monotonic() - ended_at < 5:
        time.sleep(0.02)
    took = time.monotonic() - ended_at
    assert not ours(tf), ours(tf)
    assert took <= 1.0, f"our processes outlived Terraform by {took:.2f} s"
    deadline = time.monotonic() + 2
    while list(tf.tmpdir.glob("tfprovider-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not list(tf.tmpdir.glob("tfprovider-*"))


def launches_from_log(log: str) -> tuple[int, int]:
    """(launches, warm launches) in a Terraform trace log: go-plugin logs each process it
    starts, and the Go launcher says on stderr (which Terraform logs) when a zygote serves it."""
    started = len(re.findall(r"plugin started: path=\S*terraform-provider-sparkpost", log))
    warm = len(re.findall(r"terraform-provider launcher: \[?\w*\]? ?warm launch: zygote child \d+", log))
    return started, warm


def log_since(tf: Terraform, offset: int) -> str:
    with open(tf.env_extra["TF_LOG_PATH"], "rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


def test_a_plan_is_served_by_warm_launches_after_the_first(sp: SparkPostWorld) -> None:
    sp.write(subaccounts(2))
    sp.tf.init()
    sp.tf.apply()
    offset = Path(sp.tf.env_extra["TF_LOG_PATH"]).stat().st_size
    result = sp.tf.run("plan", "-input=false", "-no-color", "-detailed-exitcode")
    assert result.returncode == 0
    launches, warm = launches_from_log(log_since(sp.tf, offset))
    assert launches == 3, launches
    # The first launch of a terraform command starts the zygote; the later ones are its children
    # (the second may still find it importing and go cold after waiting).
    assert warm >= 1
    assert not zygotes_of(sp.tf)  # ended with terraform


def test_the_switch_turns_every_fast_path_off(sp: SparkPostWorld) -> None:
    sp.write(subaccounts(2))
    sp.tf.init()
    seen: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.extend(zygotes_of(sp.tf))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        sp.tf.apply(env={SWITCH: "0"})
        result = sp.tf.run("plan", "-input=false", "-no-color", "-detailed-exitcode", env={SWITCH: "off"})
    finally:
        stop.set()
        watcher.join()
    assert result.returncode == 0
    assert not seen
    launches, warm = launches_from_log(log_since(sp.tf, 0))
    assert launches == 7 and warm == 0  # apply 4, plan 3: every one cold


def test_two_concurrent_runs_with_different_credentials_never_share(make_tf: Callable[..., Terraform], request: pytest.FixtureRequest) -> None:
    a, close_a = make_world(make_tf)
    b, close_b = make_world(make_tf)
    try:
        a.write(subaccounts(4, "alpha"))
        b.write(subaccounts(4, "beta"))
        a.tf.init()
        b.tf.init()
        errors: list[BaseException] = []

        def run(world: SparkPostWorld) -> None:
            try:
                world.tf.apply()
                result, plan = world.tf.plan()
                assert result.returncode == 0 and not changes(plan)
            except BaseException as exc:  # re-raised in the test's thread
                errors.append(exc)

        for _ in range(2):  # apply, then a refreshing plan that must be empty, both concurrently
            threads = [threading.Thread(target=run, args=(w,)) for w in (a, b)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors, errors
        names_a = sorted(s["name"] for s in a.api("GET", "/subaccounts").json()["results"])
        names_b = sorted(s["name"] for s in b.api("GET", "/subaccounts").json()["results"])
        assert names_a == [f"alpha-{i}" for i in range(4)]
        assert names_b == [f"beta-{i}" for i in range(4)]
        # Each emulator knows only its own operator key: one request with the other's would be a 401.
        for world in (a, b):
            log = world.emulator.request_log()["log"]
            assert log and all(e["status"] != 401 for e in log)
    finally:
        close_a()
        close_b()


@pytest.mark.parametrize("fast", ["on", "0"])
@pytest.mark.parametrize("how", ["kill -9", "Ctrl-C"])
def test_terraform_ended_mid_apply_leaves_nothing_of_ours_after_a_second(sp: SparkPostWorld, how: str, fast: str) -> None:
    """Terraform SIGKILLed, or interrupted as a terminal does (SIGINT to its process group:
    Terraform stops its providers and exits), with the fast launch on and off."""
    sp.write(subaccounts(6))
    sp.tf.init()
    # Every subaccount request is held in the emulator until the faults change: the apply is
    # mid-flight, its creates at SparkPost, for as long as the test needs (a 1.5 s latency and a
    # 0.5 s sleep were a guess a loaded machine could miss).
    sp.emulator.set_faults(hold=True, routes=["subaccounts"])
    proc = subprocess.Popen([sp.tf.binary, "apply", "-auto-approve", "-input=false", "-no-color"],
                            cwd=sp.tf.workdir, env=dict(sp.tf.env, **{SWITCH: fast}), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not any("/subaccounts" in r for r in sp.emulator.request_log()["in_flight_by_route"]):
            assert time.monotonic() < deadline and proc.poll() is None, "no create reached SparkPost"
            time.sleep(0.05)
        before = ours(sp.tf)
        assert len(before) >= (3 if fast == "on" else 2), before  # (a zygote,) a launcher, its provider
        assert bool(zygotes_of(sp.tf)) == (fast == "on")
        if how == "kill -9":
            proc.send_signal(signal.SIGKILL)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        assert_nothing_left_after(proc, sp.tf)
    finally:
        if proc.poll() is None:
            proc.kill()
        sp.emulator.clear_faults()


@pytest.mark.parametrize("how", ["killed", "frozen"])
def test_a_broken_zygote_falls_back_to_cold_launches(sp: SparkPostWorld, how: str) -> None:
    sp.write(subaccounts(2))
    sp.tf.init()
    stop = threading.Event()
    hit: dict[int, float] = {}

    def sabotage() -> None:
        """Kill each zygote as soon as it is up, or freeze it (it accepts and never answers: the
        launcher waits 3 s, then goes cold) and kill it 4 s later, so that no frozen zygote
        outlives a command (the harness checks that after each one)."""
        while not stop.is_set():
            for pid in zygotes_of(sp.tf):
                if pid not in hit:
                    os.kill(pid, signal.SIGKILL if how == "killed" else signal.SIGSTOP)
                    hit[pid] = time.monotonic()
                elif time.monotonic() - hit[pid] > 4:
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    saboteur = threading.Thread(target=sabotage, daemon=True)
    saboteur.start()
    try:
        sp.tf.apply()
        result, plan = sp.tf.plan()
    finally:
        stop.set()
        saboteur.join()
        for pid in hit:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    assert hit, "no zygote to sabotage"
    assert result.returncode == 0 and not changes(plan)
    assert len(sp.api("GET", "/subaccounts").json()["results"]) == 2


HEAVY = ("cryptography", "requests", "urllib3", "google.cloud", "google.auth", "google.api_core",
         "provider.sparkpost.client", "provider.tfplugin.tls")


def test_a_validation_launch_imports_only_what_validation_needs(terraform_bin: str, tmp_path: Path) -> None:
    """`terraform validate`: launch 1 is the Go launcher's (cached schema); launch 2 validates,
    forked by the zygote before the zygote loaded the HTTP client, Secret Manager's client or
    cryptography (tests/support/census_pause.py holds the zygote there until that launch
    waits). The Go launcher serves the launch's gRPC and relays the calls to the child, real
    Terraform is served, and the child imports none of those modules itself."""
    root = Path(__file__).resolve().parents[2]
    plugins = tmp_path / "plugins"
    subprocess.run([sys.executable, str(root / "scripts" / "install_provider.py"), "--plugins-dir", str(plugins),
                    "--module", "tests.support.census_provider", "--pythonpath", str(root), "--quiet"], check=True, cwd=root)
    census = tmp_path / "census.jsonl"
    tf = Terraform(tmp_path / "tf", terraform_bin, plugins, env_extra={"CENSUS_FILE": str(census), "CENSUS_PAUSE": "1"})
    tf.write('terraform {\n  required_providers {\n    sparkpost = { source = "sourcegraph/sparkpost" }\n  }\n}\n'
             'provider "sparkpost" {}\n' + subaccounts(1))
    tf.init()
    census.unlink(missing_ok=True)
    tf.run("validate", "-no-color")
    [launch] = [json.loads(line) for line in census.read_text().splitlines()]
    assert launch["relayed"], "the Go launcher did not serve the launch's gRPC itself"
    assert not launch["given"], "a relayed launch needs no certificate of its own"
    assert launch["gc"], "the child runs with the collector the zygote turned off while loading"
    zygote, own = set(launch["zygote"]), set(launch["own"])
    assert "provider.tfplugin.server" in zygote  # forked by the zygote once it had loaded the provider
    assert "grpc" not in zygote | own  # the launcher served the gRPC
    heavy = sorted(m for m in zygote | own if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY)))
    assert not heavy, heavy


RELAY_SWITCH = "TFPLUGIN_RELAY"


@pytest.mark.parametrize("relay", ["on", "0"])
def test_warm_launches_are_relayed_by_the_launcher_unless_switched_off(sp: SparkPostWorld, relay: str) -> None:
    """With AutoMTLS the Go launcher serves a warm launch's gRPC and relays the calls to the
    zygote's child (docs/fast-launch.md, "The relay"); TFPLUGIN_RELAY=0 hands the child the
    launcher's stdio instead, and it serves gRPC itself. Both plan and apply the same."""
    sp.write(subaccounts(2))
    sp.tf.init()
    sp.tf.apply(env={RELAY_SWITCH: relay})
    offset = Path(sp.tf.env_extra["TF_LOG_PATH"]).stat().st_size
    result = sp.tf.run("plan", "-input=false", "-no-color", "-detailed-exitcode", env={RELAY_SWITCH: relay})
    assert result.returncode == 0, result.stdout + result.stderr
    log = log_since(sp.tf, offset)
    launches, warm = launches_from_log(log)
    relayed = len(re.findall(r"warm launch: zygote child \d+, its calls relayed", log))
    assert warm >= 1
    assert relayed == (warm if relay == "on" else 0)


def test_a_relayed_child_killed_mid_call_fails_the_run_and_leaves_nothing(sp: SparkPostWorld) -> None:
    """The zygote's child behind a relayed launch dies while Terraform waits on its reads: the
    calls in flight are answered UNAVAILABLE, the launcher exits, Terraform reports the error
    and returns; the harness then checks that nothing of ours is left."""
    sp.write(subaccounts(2))
    sp.tf.init()
    sp.tf.apply()
    # Each subaccount read is held in the emulator until the faults change: the refresh is
    # mid-call for as long as the test needs (a 3 s latency and a 1 s sleep could miss it).
    sp.emulator.set_faults(hold=True, routes=["GET /api/v1/subaccounts/{id}"])
    sp.emulator.reset_request_log()

    def reads_in_flight() -> int:
        return int(sp.emulator.request_log()["in_flight_by_route"].get("GET /api/v1/subaccounts/{id}", 0))

    offset = Path(sp.tf.env_extra["TF_LOG_PATH"]).stat().st_size
    proc = subprocess.Popen([sp.tf.binary, "plan", "-input=false", "-no-color"], cwd=sp.tf.workdir, env=sp.tf.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        children: list[int] = []
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            zygotes = set(zygotes_of(sp.tf))
            children = [p for p in zygotes if parent_pid(p) in zygotes and "GRPCProvider.v6: ConfigureProvider" in log_since(sp.tf, offset)]
            if children and reads_in_flight():  # a read is at SparkPost, held there
                break
            time.sleep(0.05)
        assert children, "no zygote child serving the refresh"
        assert reads_in_flight(), "no read in flight"
        assert not [e for e in sp.emulator.request_log()["log"] if e["route"] == "GET /api/v1/subaccounts/{id}"]
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        sp.emulator.clear_faults()
    assert proc.returncode == 1
    assert "Error" in err and ("Unavailable" in err or "plugin" in err), err


def parent_pid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rpartition(")")[2].split()[1])
    except OSError:
        return None


@pytest.mark.parametrize("moment", [0.3, 0.6, 1.0])
def test_terraform_killed_at_a_moment_of_a_plan_leaves_nothing_of_ours_after_a_second(sp: SparkPostWorld, moment: float) -> None:
    """kill -9 at some moment of a refreshing plan: while launch 1 prints its handshake or is
    served from the schema cache, while the zygote is still loading, while a relayed launch
    refreshes. Every process of ours ends within a second, and no socket directory is left."""
    sp.write(subaccounts(3))
    sp.tf.init()
    sp.tf.apply()
    sp.emulator.set_faults(latency_ms=400)
    proc = subprocess.Popen([sp.tf.binary, "plan", "-input=false", "-no-color"], cwd=sp.tf.workdir, env=dict(sp.tf.env, **{SWITCH: "on"}),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(moment)
        proc.send_signal(signal.SIGKILL)
        assert_nothing_left_after(proc, sp.tf)
    finally:
        if proc.poll() is None:
            proc.kill()
        sp.emulator.set_faults(latency_ms=0)
