"""The fast-launch zygote, driven through the Python launcher (warm.py) as the frozen release does.

The pytest process plays Terraform (the zygote binds to its PID) except where Terraform is
killed: there tests/support/fake_terraform.py plays it. Every launch is a real process that
prints a real handshake line, and every RPC goes over the real socket.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from provider.tfplugin import handshake, warm, zygote

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fast launch is Linux only (abstract sockets, pidfd)")

SUPPORT = Path(__file__).resolve().parent.parent / "support"
CLIENT = str(SUPPORT / "warm_client.py")
FAKE_TERRAFORM = str(SUPPORT / "fake_terraform.py")
PY = sys.executable
SWITCH = "TF_SPARKPOST_FAST_LAUNCH"


def launch_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    env.update(TF_PLUGIN_MAGIC_COOKIE=handshake.COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS="6", TMPDIR=str(tmp))
    env.update(extra)
    return env


def zygote_name(terraform_pid: int | None = None) -> str:
    name = zygote.socket_name(terraform_pid or os.getpid(), warm.launcher_id(PY))
    assert name
    return name


def zygote_pid(name: str) -> int | None:
    """The PID of the zygote bound to NAME (from SO_PEERCRED), or None when there is none."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect("\0" + name)
        return zygote.peer_credentials(sock)[0]
    except OSError:
        return None
    finally:
        sock.close()


def wait_ready(name: str, timeout: float = 60.0) -> int:
    """Wait until the zygote has finished importing (it accepts, and drops us: we are not a
    launcher); returns its PID."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect("\0" + name)
            pid = zygote.peer_credentials(sock)[0]
            sock.settimeout(timeout)
            assert sock.recv(1) == b""  # dropped without a reply
            return pid
        except ConnectionRefusedError:
            time.sleep(0.05)
        finally:
            sock.close()
    raise AssertionError("no zygote came up")


def alive(pid: int) -> bool:
    fields = zygote.proc_stat(pid)
    return fields is not None and fields[0] != "Z"


def gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.02)
    return not any(alive(p) for p in pids)


def kill_zygote(name: str) -> None:
    pid = zygote_pid(name)
    if pid:
        os.kill(pid, signal.SIGKILL)
        gone_within([pid], 5)


@pytest.fixture
def zygote_up(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A ready zygote for this test's 'Terraform' (the pytest process), started the way a
    launcher starts it: by a first launch that found none and went cold."""
    name = zygote_name()
    kill_zygote(name)  # one left by an earlier test of this process
    first = subprocess.run([PY, CLIENT], env=launch_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert first.returncode == 99 and first.stdout.strip() == "COLD", first.stderr
    pid = wait_ready(name)
    yield name, pid
    kill_zygote(name)


class Launch:
    """One warm launch: the launcher process, its handshake line and the serving child."""

    def __init__(self, tmp: Path, cwd: Path | None = None, umask: int = 0o022, **env: str) -> None:
        self.proc = subprocess.Popen(
            [PY, CLIENT], env=launch_env(tmp, **env), cwd=cwd, umask=umask,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        self.line = self.proc.stdout.readline().strip()
        assert self.line.startswith("1|6|unix|"), (self.line, self.proc.stderr.read() if self.proc.poll() is not None else "")
        self.socket_path = self.line.split("|")[3]
        self.socket_dir = os.path.dirname(self.socket_path)
        tag = os.path.basename(self.socket_dir)[len("tfprovider-"):].split("-")[0]
        self.child = int(tag, 36)  # the socket directory is named after the serving process

    def channel(self) -> Any:
        import grpc

        return grpc.insecure_channel(f"unix:{self.socket_path}")

    def schema(self) -> Any:
        from provider.tfplugin.proto import tfplugin6_pb2 as pb
        from provider.tfplugin.proto import tfplugin6_pb2_grpc as pb_grpc

        with self.channel() as ch:
            return pb_grpc.ProviderStub(ch).GetProviderSchema(pb.GetProviderSchema.Request(), timeout=30)

    def shutdown(self) -> int:
        from provider.tfplugin.proto import grpc_controller_pb2, grpc_controller_pb2_grpc

        with self.channel() as ch:
            grpc_controller_pb2_grpc.GRPCControllerStub(ch).Shutdown(grpc_controller_pb2.Empty(), timeout=30)
        return self.proc.wait(timeout=30)

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def test_a_warm_launch_serves_terraform_and_relays_the_exit_code(zygote_up: tuple[str, int], tmp_path: Path) -> None:
    name, zpid = zygote_up
    launch = Launch(tmp_path)
    try:
        assert launch.child not in (launch.proc.pid, zpid)  # served by a child of the zygote
        assert zygote.parent_of(launch.child) == zpid
        schema = launch.schema()
        assert "sparkpost_subaccount" in schema.resource_schemas
        assert schema.server_capabilities.get_provider_schema_optional
        assert launch.shutdown() == 0
        assert not os.path.exists(launch.socket_dir)
        assert gone_within([launch.child], 30)  # a wait: the 1 s promises are the tests named so
        assert alive(zpid)  # ready for the next launch
    finally:
        launch.kill()


def test_each_launch_runs_with_its_own_environment_directory_and_umask(zygote_up: tuple[str, int], tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b, a / "work", b / "work"):
        d.mkdir(exist_ok=True)
    from provider.tfplugin.tls import make_certificate

    client_cert = make_certificate()[1].decode()
    plain = Launch(a, cwd=a / "work", umask=0o022)
    tls = Launch(b, cwd=b / "work", umask=0o077, PLUGIN_CLIENT_CERT=client_cert)  # concurrently with the first
    try:
        assert plain.child != tls.child
        assert plain.socket_path.startswith(str(a) + "/") and tls.socket_path.startswith(str(b) + "/")  # TMPDIR
        assert len(plain.line.split("|")) == 5 and len(tls.line.split("|")) == 6  # AutoMTLS only where asked
        assert os.readlink(f"/proc/{plain.child}/cwd") == str(a / "work")
        assert os.readlink(f"/proc/{tls.child}/cwd") == str(b / "work")
        umasks = {}
        for launch in (plain, tls):
            status = Path(f"/proc/{launch.child}/status").read_text()
            umasks[launch.child] = int(next(x for x in status.splitlines() if x.startswith("Umask:")).split()[1], 8)
        assert umasks == {plain.child: 0o022, tls.child: 0o077}
        assert "sparkpost_subaccount" in plain.schema().resource_schemas
        assert plain.shutdown() == 0
        tls.proc.send_signal(signal.SIGTERM)
        assert tls.proc.wait(timeout=10) == 0
    finally:
        plain.kill()
        tls.kill()


def test_sigterm_reaches_the_provider_and_sigint_does_not(zygote_up: tuple[str, int], tmp_path: Path) -> None:
    launch = Launch(tmp_path)
    try:
        launch.proc.send_signal(signal.SIGINT)  # Ctrl-C: Terraform stops providers by RPC
        time.sleep(0.3)
        assert launch.proc.poll() is None
        launch.schema()
        launch.proc.send_signal(signal.SIGTERM)
        assert launch.proc.wait(timeout=10) == 0  # forwarded; the provider's clean way out
        assert not os.path.exists(launch.socket_dir)
        assert gone_within([launch.child], 30)  # a wait: the 1 s promises are the tests named so
    finally:
        launch.kill()


def test_a_killed_launcher_ends_its_provider_within_a_second(zygote_up: tuple[str, int], tmp_path: Path) -> None:
    _, zpid = zygote_up
    launch = Launch(tmp_path)
    try:
        launch.proc.kill()
        assert gone_within([launch.child], 1.0)
        assert not os.path.exists(launch.socket_dir)
        assert alive(zpid)
    finally:
        launch.kill()


def test_terraform_killed_leaves_nothing_of_ours_after_a_second(tmp_path: Path) -> None:
    fake = subprocess.Popen([PY, FAKE_TERRAFORM, "2"], env=launch_env(tmp_path), stdout=subprocess.PIPE, text=True)
    try:
        assert fake.stdout is not None
        first = fake.stdout.readline().split(" ", 2)
        assert first[2].strip() == "COLD"
        second = fake.stdout.readline().split(" ", 2)
        launcher, line = int(second[1]), second[2].strip()
        assert line.startswith("1|6|unix|"), line
        socket_dir = os.path.dirname(line.split("|")[3])
        child = int(os.path.basename(socket_dir)[len("tfprovider-"):].split("-")[0], 36)
        zpid = zygote_pid(zygote_name(fake.pid))
        assert zpid and alive(launcher) and alive(child)
        fake.kill()  # kill -9 Terraform
        fake.wait()
        assert gone_within([launcher, child, zpid], 1.0), [p for p in (launcher, child, zpid) if alive(p)]
        assert not os.path.exists(socket_dir)
    finally:
        if fake.poll() is None:
            fake.kill()


def test_the_child_reports_its_exit_code_while_the_zygote_is_busy(zygote_up: tuple[str, int], tmp_path: Path) -> None:
    """The zygote reaps only between two imports (or when idle): the child tells the launcher its
    exit code itself, so a launch ends as soon as its provider does, whatever the zygote does."""
    _, zpid = zygote_up
    launch = Launch(tmp_path)
    os.kill(zpid, signal.SIGSTOP)  # as busy as a zygote gets
    try:
        assert launch.shutdown() == 0
        assert gone_within([launch.child], 30)  # a wait: the 1 s promises are the tests named so
    finally:
        os.kill(zpid, signal.SIGCONT)
        launch.kill()
    assert alive(zpid)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV])
def test_a_child_killed_by_a_signal_is_relayed_as_128_plus_the_signal(zygote_up: tuple[str, int], tmp_path: Path, sig: int) -> None:
    """A child that dies by a signal says nothing: the zygote's report is the launcher's exit code."""
    launch = Launch(tmp_path)
    try:
        os.kill(launch.child, sig)
        assert launch.proc.wait(timeout=10) == 128 + sig
    finally:
        launch.kill()


def test_the_zygote_reports_a_child_that_died_while_it_was_loading() -> None:
    """serve_pending (between two preload modules) reaps too: a launch whose child was killed
    learns it after the module being imported, not after all of them."""
    child = os.fork()
    if child == 0:
        os.kill(os.getpid(), signal.SIGKILL)
        os._exit(0)  # never reached
    ours, launchers = socket.socketpair()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("")  # an autobound abstract name nobody connects to
    listener.listen(1)
    pidfd = os.pidfd_open(child)
    terraform = os.pidfd_open(os.getpid())
    try:
        z = zygote.Zygote(listener, os.getpid(), terraform, PY, lambda *_: 0)
        z.children[child] = (pidfd, ours)
        deadline = time.monotonic() + 10
        while z.children and time.monotonic() < deadline:
            z.serve_pending()
            time.sleep(0.01)
        assert not z.children
        launchers.settimeout(5)
        assert json.loads(launchers.recv(100)) == {"exit": 128 + signal.SIGKILL}
    finally:
        for sock in (launchers, listener):
            sock.close()
        os.close(terraform)


GIVEN_CLIENT = r"""
import json, os, socket, struct, sys
name, tls_file = sys.argv[1], sys.argv[2]
with open(tls_file) as f:
    tls = json.load(f)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("\0" + name)
env = [f"{k}={v}" for k, v in os.environ.items()]
payload = json.dumps({"v": 1, "argv": [], "env": env, "cwd": os.getcwd(), "umask": 18, "tls": tls}).encode()
data = struct.pack(">I", len(payload)) + payload
sent = socket.send_fds(s, [data[:65536]], [0, 1, 2])
s.sendall(data[sent:])
replies = s.makefile("rb")
assert "pid" in json.loads(replies.readline())
s.sendall(b"g")
for line in replies:
    message = json.loads(line)
    if "exit" in message:
        os._exit(message["exit"])
os._exit(1)
"""


def _client_pair() -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM) of a P-521 client certificate, as Terraform makes it."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP521R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA512())
    )
    pem = serialization.Encoding.PEM
    return key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), cert.public_bytes(pem)


@pytest.mark.parametrize("pair", ["matching", "mismatched"])
def test_a_launch_serves_with_the_certificate_its_launcher_made(zygote_up: tuple[str, int], tmp_path: Path, pair: str) -> None:
    """The Go launcher makes each launch's certificate and sends it with the request: the child
    serves with it (the handshake line carries it), still requires Terraform's client
    certificate, and writes no key anywhere. A pair that is not one is not served: the child
    makes its own certificate, as a cold launch does."""
    import base64
    import ssl as ssl_module

    import grpc

    from provider.tfplugin.proto import grpc_controller_pb2, grpc_controller_pb2_grpc
    from provider.tfplugin.proto import tfplugin6_pb2 as pb
    from provider.tfplugin.proto import tfplugin6_pb2_grpc as pb_grpc
    from provider.tfplugin.tls import make_certificate

    name, _ = zygote_up
    key_pem, cert_pem, _ = make_certificate()
    if pair == "mismatched":
        key_pem = make_certificate()[0]
    tls_file = tmp_path / "tls.json"
    tls_file.write_text(json.dumps({"cert": cert_pem.decode(), "key": key_pem.decode()}))
    client_key, client_cert = _client_pair()
    sockets = tmp_path / "sockets"
    sockets.mkdir()
    proc = subprocess.Popen([PY, "-c", GIVEN_CLIENT, name, str(tls_file)], env=launch_env(sockets, PLUGIN_CLIENT_CERT=client_cert.decode()),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        fields = line.split("|")
        assert fields[:3] == ["1", "6", "unix"] and len(fields) == 6, (line, proc.stderr.read() if proc.poll() is not None else "")
        given = base64.b64encode(ssl_module.PEM_cert_to_DER_cert(cert_pem.decode())).decode().rstrip("=")
        assert (fields[5] == given) == (pair == "matching")
        # Nothing but the socket in the socket directory: no key file (the given key is loaded
        # from memory; on Linux, so is the key a child makes itself).
        assert os.listdir(os.path.dirname(fields[3])) == ["plugin.sock"]
        served = ssl_module.DER_cert_to_PEM_cert(base64.b64decode(fields[5] + "=" * (-len(fields[5]) % 4))).encode()

        def channel(key: bytes | None, cert: bytes | None) -> Any:
            creds = grpc.ssl_channel_credentials(root_certificates=served, private_key=key, certificate_chain=cert)
            return grpc.secure_channel(f"unix:{fields[3]}", creds, options=[("grpc.ssl_target_name_override", "localhost")])

        with channel(None, None) as ch:  # no client certificate: refused
            with pytest.raises(grpc.RpcError):
                pb_grpc.ProviderStub(ch).GetProviderSchema(pb.GetProviderSchema.Request(), timeout=10)
        with channel(client_key, client_cert) as ch:
            assert "sparkpost_subaccount" in pb_grpc.ProviderStub(ch).GetProviderSchema(pb.GetProviderSchema.Request(), timeout=30).resource_schemas
            grpc_controller_pb2_grpc.GRPCControllerStub(ch).Shutdown(grpc_controller_pb2.Empty(), timeout=30)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_the_switch_turns_the_fast_launch_off(tmp_path: Path) -> None:
    name = zygote_name()
    kill_zygote(name)
    for value in ("0", "off", "FALSE", "no"):
        run = subprocess.run([PY, CLIENT], env=launch_env(tmp_path, **{SWITCH: value}), capture_output=True, text=True, timeout=60)
        assert run.returncode == 99
    time.sleep(0.5)
    assert zygote_pid(name) is None  # none was started


def test_the_switch_off_goes_cold_even_with_a_zygote_up(zygote_up: tuple[str, int], tmp_path: Path) -> None:
    run = subprocess.run([PY, CLIENT], env=launch_env(tmp_path, **{SWITCH: "off"}), capture_output=True, text=True, timeout=60)
    assert run.returncode == 99 and run.stdout.strip() == "COLD"


def test_a_launch_without_the_cookie_is_refused_by_the_child(zygote_up: tuple[str, int], tmp_path: Path) -> None:
    env = launch_env(tmp_path)
    del env["TF_PLUGIN_MAGIC_COOKIE"]
    run = subprocess.run([PY, CLIENT], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "not a program to run by hand" in run.stderr
    assert "1|6|" not in run.stdout


RAW_CLIENT = r"""
import json, os, socket, struct, sys
name, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("\0" + name)
payload = json.dumps({"v": 1, "argv": [], "env": ["A=B"], "cwd": "/", "umask": 18}).encode()
if mode == "bad-json":
    payload = b"{nope"
if mode == "bad-cwd":
    payload = json.dumps({"v": 1, "argv": [], "env": ["A=B"], "cwd": "relative", "umask": 18}).encode()
data = struct.pack(">I", len(payload)) + payload
if mode == "huge":
    data = struct.pack(">I", 1 << 30)
fds = [0, 1] if mode == "two-fds" else [0, 1, 2]
try:
    socket.send_fds(s, [data], fds)
    s.settimeout(10)
    print(s.recv(4096).decode().strip() or "CLOSED")
except (BrokenPipeError, ConnectionResetError):
    print("CLOSED")  # dropped before it could even send
"""


@pytest.mark.parametrize("mode", ["bad-json", "bad-cwd", "huge", "two-fds"])
def test_a_malformed_request_is_answered_with_an_error_and_the_zygote_keeps_serving(zygote_up: tuple[str, int], tmp_path: Path, mode: str) -> None:
    name, zpid = zygote_up
    run = subprocess.run([PY, "-c", RAW_CLIENT, name, mode], capture_output=True, text=True, timeout=30)
    reply = json.loads(run.stdout)
    assert "error" in reply and "pid" not in reply
    assert alive(zpid)
    launch = Launch(tmp_path)
    try:
        assert launch.shutdown() == 0
    finally:
        launch.kill()


def test_a_process_that_terraform_did_not_start_is_not_served(zygote_up: tuple[str, int], tmp_path: Path) -> None:
    """A grandchild of 'Terraform' (its parent is a shell, not Terraform) is dropped unanswered."""
    name, zpid = zygote_up
    run = subprocess.run(["/bin/sh", "-c", f'"{PY}" -c "$0" "$1" ok; true', RAW_CLIENT, name], capture_output=True, text=True, timeout=30)
    assert run.stdout.strip() == "CLOSED", run.stderr
    assert alive(zpid)


def test_a_second_zygote_for_the_same_terraform_exits_at_once(zygote_up: tuple[str, int], tmp_path: Path) -> None:
    name, zpid = zygote_up
    run = subprocess.run([PY, "-m", "provider", "--zygote", name, str(os.getpid()), PY], env=launch_env(tmp_path), capture_output=True, timeout=30)
    assert run.returncode == 0
    assert zygote_pid(name) == zpid


def test_a_zygote_for_a_reused_pid_or_a_malformed_name_does_not_serve(tmp_path: Path) -> None:
    fields = zygote_name().split(".")
    stale = ".".join(fields[:3] + [str(int(fields[3]) + 1)] + fields[4:])  # another start time
    run = subprocess.run([PY, "-m", "provider", "--zygote", stale, str(os.getpid()), PY], env=launch_env(tmp_path), capture_output=True, timeout=30)
    assert run.returncode == 0 and zygote_pid(stale) is None
    run = subprocess.run([PY, "-m", "provider", "--zygote", "x.y", str(os.getpid()), PY], env=launch_env(tmp_path), capture_output=True, timeout=30)
    assert run.returncode == 2
    env = launch_env(tmp_path)
    del env["TF_PLUGIN_MAGIC_COOKIE"]
    run = subprocess.run([PY, "-m", "provider", "--zygote", zygote_name(), str(os.getpid()), PY], env=env, capture_output=True, timeout=30)
    assert run.returncode == 1  # only a launch Terraform started may start one


@pytest.mark.parametrize(
    "payload, problem",
    [
        (b"[]", "version 1"),
        (b'{"v": 2}', "version 1"),
        (b'{"v": 1, "argv": [1], "env": [], "cwd": "/", "umask": 0}', "argv"),
        (b'{"v": 1, "argv": [], "env": ["NOEQUALS"], "cwd": "/", "umask": 0}', "env"),
        (b'{"v": 1, "argv": [], "env": [], "cwd": "/", "umask": 4096}', "umask"),
        (b'{"v": 1, "argv": [], "env": [], "cwd": "/", "umask": true}', "umask"),
        (b'{"v": 1, "argv": [], "env": [], "cwd": "/a\\u0000b", "umask": 0}', "cwd"),
        (b'{"v": 1, "argv": [], "env": [], "cwd": "/", "umask": 0, "tls": "x"}', "tls"),
        (b'{"v": 1, "argv": [], "env": [], "cwd": "/", "umask": 0, "tls": {"cert": "x", "key": "y"}}', "tls"),
        (b'{"v": 1, "argv": [], "env": [], "cwd": "/", "umask": 0, "tls": {"cert": "-----BEGIN CERTIFICATE-----\\n"}}', "tls"),
        (b'{"v": 1, "argv": [], "env": [], "cwd": "/", "umask": 0, "tls": {"cert": "-----BEGIN CERTIFICATE-----\\n", '
         b'"key": "-----BEGIN ENCRYPTED PRIVATE KEY-----\\n"}}', "tls"),
        (b'{"v": 1, "argv": [], "env": [], "cwd": "/", "umask": 0, "relay": 1}', "relay"),
        (b'{"v": 1, "argv": [], "env": [], "cwd": "/", "umask": 0, "relay": "yes"}', "relay"),
    ],
)
def test_parse_request_refuses_what_is_not_a_launch(payload: bytes, problem: str) -> None:
    with pytest.raises(zygote.BadRequest, match=problem):
        zygote.parse_request(payload)


def test_parse_request_keeps_values_with_equals_signs() -> None:
    request = zygote.parse_request(json.dumps({"v": 1, "argv": [], "env": ["A=b=c", "EMPTY="], "cwd": "/x", "umask": 0o027}).encode())
    assert request.env == {"A": "b=c", "EMPTY": ""} and request.umask == 0o027 and request.cwd == "/x"


def test_the_request_length_prefix_and_fds_travel_in_one_message() -> None:
    """read_request against a socketpair: a payload longer than the first message still arrives."""
    left, right = socket.socketpair()
    payload = json.dumps({"v": 1, "argv": [], "env": [f"K{i}=" + "v" * 100 for i in range(2000)], "cwd": "/", "umask": 18}).encode()
    data = struct.pack(">I", len(payload)) + payload
    sent = socket.send_fds(left, [data[:4096]], [0, 1, 2])
    import threading

    threading.Thread(target=left.sendall, args=(data[sent:],), daemon=True).start()
    fds, request = zygote.read_request(right)
    try:
        assert len(fds) == 3 and len(request.env) == 2000
    finally:
        for fd in fds:
            os.close(fd)
        left.close()
        right.close()


@pytest.mark.parametrize(
    "relay, fourth, problem",
    [
        (True, None, "expected 4 file descriptors, got 3"),
        (False, "socket", "expected 3 file descriptors, got 4"),
        (True, "pipe", "not a unix stream socket"),
        (True, "socket", None),
    ],
)
def test_a_relayed_launch_comes_with_its_relay_socket_and_nothing_else(relay: bool, fourth: str | None, problem: str | None) -> None:
    """The Go launcher's relay socket is the 4th fd, only with "relay": true, and it must be a
    unix stream socket: anything else is refused, and every received fd is closed."""
    left, right = socket.socketpair()
    extra: list[int] = []
    keep: list[object] = []
    if fourth == "socket":
        a, b = socket.socketpair()
        keep += [a, b]
        extra = [b.fileno()]
    elif fourth == "pipe":
        r, w = os.pipe()
        keep += [r, w]
        extra = [r]
    payload = json.dumps({"v": 1, "argv": [], "env": [], "cwd": "/", "umask": 18, "relay": relay}).encode()
    socket.send_fds(left, [struct.pack(">I", len(payload)) + payload], [0, 1, 2, *extra])
    before = set(os.listdir("/proc/self/fd"))
    try:
        if problem:
            with pytest.raises(zygote.BadRequest, match=problem):
                zygote.read_request(right)
            assert set(os.listdir("/proc/self/fd")) <= before  # the received fds were closed
        else:
            fds, request = zygote.read_request(right)
            assert request.relay and len(fds) == 4
            for fd in fds:
                os.close(fd)
    finally:
        left.close()
        right.close()
        for k in keep:
            k.close() if isinstance(k, socket.socket) else os.close(k)  # type: ignore[arg-type]


MARKER_CHECK = r"""
import os, socket, sys
from provider.tfplugin import zygote
name = "tfprovider-zygote.0.1.2.abc"
results = []
for kind in ("marker", "other-socket", "pipe"):
    os.dup2(os.open(os.devnull, os.O_RDONLY), 3)  # keep fd 3 taken while the socket is made
    if kind == "pipe":
        r, w = os.pipe()
        os.dup2(r, 3)
    else:
        s = socket.socket(socket.AF_UNIX)
        s.bind("\0" + (name.replace("zygote.", "zygote-starting.", 1) if kind == "marker" else "someone-else-%d" % os.getpid()))
        s.listen(1)
        os.dup2(s.fileno(), 3)
        s.close()
    zygote.release_start_marker(name)
    try:
        os.fstat(3)
        results.append(kind + ":open")
    except OSError:
        results.append(kind + ":closed")
print(" ".join(results))
"""


def test_the_go_launchers_starting_marker_is_closed_once_the_name_is_bound() -> None:
    """Only the marker for this zygote's own name goes; any other fd 3 is left alone."""
    run = subprocess.run([PY, "-c", MARKER_CHECK], capture_output=True, text=True, timeout=30)
    assert run.stdout.split() == ["marker:closed", "other-socket:open", "pipe:open"], run.stderr


ORPHANED_LAUNCHER = r"""
import os, sys
from provider.tfplugin import warm
r, w = os.pipe()
os.close(r)  # Terraform died: nobody reads our stdout, and our parent is someone else
os.dup2(w, 1)
started = []
code = warm.attempt(argv=[], module="provider", switch_env="TF_SPARKPOST_FAST_LAUNCH",
                    start=lambda *a: started.append(a))
print(f"{code} {len(started)}", file=sys.stderr)
"""


def test_a_launch_whose_terraform_is_gone_starts_no_zygote(tmp_path: Path) -> None:
    """Terraform killed before the launcher looked at its parent: that parent is init or a
    subreaper, and a zygote started for it would never end. Terraform's end of our stdout is
    closed by then: the launch goes cold and starts nothing."""
    run = subprocess.run([PY, "-c", ORPHANED_LAUNCHER], env=launch_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert run.stderr.strip().splitlines()[-1] == "None 0", run.stderr
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        assert warm.reader_gone(null) is False
    finally:
        os.close(null)


SLOW_LOADING_ZYGOTE = r"""
import sys, time
from provider.tfplugin import zygote
terraform = int(sys.argv[1])
name = zygote.socket_name(terraform, "0123456789abcdef")
print(name, flush=True)
sys.exit(zygote.serve(name, terraform, "/nonexistent", preload=[lambda: time.sleep(10)], launch=lambda *_: 0))
"""


def test_terraform_killed_while_the_zygote_loads_ends_it_within_a_second(tmp_path: Path) -> None:
    """A preload stage takes most of a second on a busy machine (the first: the protocol and the
    provider). Terraform killed meanwhile: the zygote ends as fast as when it is idle, not
    after the stage."""
    terraform = subprocess.Popen(["sleep", "60"])
    z = subprocess.Popen([PY, "-c", SLOW_LOADING_ZYGOTE, str(terraform.pid)], env=launch_env(tmp_path), stdout=subprocess.PIPE, text=True)
    try:
        assert z.stdout is not None
        name = z.stdout.readline().strip()
        deadline = time.monotonic() + 30
        while zygote_pid(name) is None:  # bound: it is in its stage now
            assert time.monotonic() < deadline and z.poll() is None, "the zygote did not come up"
            time.sleep(0.01)
        time.sleep(0.2)
        terraform.kill()
        terraform.wait()
        killed = time.monotonic()
        assert z.wait(timeout=15) == 0
        took = time.monotonic() - killed
        assert took < 1.0, f"the zygote outlived Terraform by {took:.2f} s"  # not the stage's 10 s
    finally:
        for p in (terraform, z):
            if p.poll() is None:
                p.kill()
                p.wait()


FLOOD = r"""
import json, os, socket, struct, sys
name, n, who = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if who == "other":
    os.setgid(65534); os.setuid(65534)
payload = json.dumps({"v": 1, "argv": [], "env": ["SECRET=x"], "cwd": "/", "umask": 18}).encode()
answers = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect("\0" + name)
        socket.send_fds(s, [struct.pack(">I", len(payload)) + payload], [0, 1, 2, 0, 1, 2] if i % 2 else [0, 1, 2])
        answers.append(s.recv(200).decode().strip())
    except OSError:
        answers.append("")
    finally:
        s.close()
print(json.dumps(answers))
"""


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.parametrize("who", ["other", "same"])
def test_a_flood_of_connections_gets_nothing_and_leaks_no_descriptor(zygote_up: tuple[str, int], tmp_path: Path, who: str) -> None:
    """Another user's process connecting thousands of times with the descriptors and request of a
    launch is dropped unanswered; the launcher's own, sending six descriptors instead of three,
    is refused (and forked children that never get the go byte end). Either way the zygote
    keeps no descriptor it was sent, and serves the next launch."""
    if who == "other" and os.getuid() != 0:
        pytest.skip("connecting as another user needs root (setuid)")
    name, zpid = zygote_up
    before = fd_count(zpid)
    n = 3000 if who == "other" else 40
    run = subprocess.run([PY, "-c", FLOOD, name, str(n), who], capture_output=True, text=True, timeout=300, cwd="/")
    answers = json.loads(run.stdout)
    assert len(answers) == n, run.stderr
    if who == "other":
        assert set(answers) == {""}  # not a byte: no fork, no error message
    else:
        assert all('"pid"' in a for a in answers[0::2]) and all('"error"' in a for a in answers[1::2])
    assert alive(zpid)
    deadline = time.monotonic() + 10
    while fd_count(zpid) != before and time.monotonic() < deadline:  # the unstarted children are reaped
        time.sleep(0.05)
    assert fd_count(zpid) == before, os.listdir(f"/proc/{zpid}/fd")
    launch = Launch(tmp_path)
    try:
        assert launch.shutdown() == 0
    finally:
        launch.kill()


SQUATTER = r"""
import os, socket, sys
os.setgid(65534); os.setuid(65534)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1]); s.listen(8)
print("ready", flush=True)
c, _ = s.accept()
c.settimeout(5)
got = 0
try:
    while chunk := c.recv(65536):
        got += len(chunk)
except OSError:
    pass
print(got, flush=True)
"""


def test_the_python_launcher_sends_nothing_to_another_users_zygote(tmp_path: Path) -> None:
    """Another user binds the zygote's (predictable) name first: the Python launcher checks the
    socket's owner before it sends its environment, and goes cold."""
    if os.getuid() != 0:
        pytest.skip("binding as another user needs root (setuid)")
    name = zygote_name()
    kill_zygote(name)
    squatter = subprocess.Popen([PY, "-c", SQUATTER, name], stdout=subprocess.PIPE, text=True, cwd="/")
    try:
        assert squatter.stdout is not None and squatter.stdout.readline().strip() == "ready"
        run = subprocess.run([PY, CLIENT], env=launch_env(tmp_path, SPARKPOST_API_KEY="s3cret"), capture_output=True, text=True, timeout=60)
        assert run.returncode == 99 and run.stdout.strip() == "COLD", run.stderr
        assert squatter.stdout.readline().strip() == "0"  # connected, then closed: not a byte
    finally:
        squatter.kill()
        squatter.wait()
