"""go-plugin's side of the launch: the handshake, the cookie check, TLS, and the process's lifetime.

The subprocess tests run the test-only provider (`python -m tests.support.testprovider`) the way
Terraform does, and talk to it with the generated gRPC stubs.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID, SignatureAlgorithmOID

from provider.tfplugin import handshake, tls

ROOT = Path(__file__).resolve().parents[2]
COOKIE = {handshake.COOKIE_KEY: handshake.COOKIE_VALUE, "PLUGIN_PROTOCOL_VERSIONS": "5,6"}
FRIENDLY = "This is a Terraform provider plugin, not a program to run by hand."


# ---------------------------------------------------------------- pure functions


def test_handshake_line_without_cert() -> None:
    assert handshake.handshake_line("/tmp/d/plugin.sock", None) == "1|6|unix|/tmp/d/plugin.sock|grpc"
    assert handshake.handshake_line("/tmp/d/plugin.sock", "") == "1|6|unix|/tmp/d/plugin.sock|grpc"


def test_handshake_line_with_cert() -> None:
    assert handshake.handshake_line("/s", "MIIBabc") == "1|6|unix|/s|grpc|MIIBabc"


@pytest.fixture
def no_launch_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv(handshake.COOKIE_KEY, raising=False)
    monkeypatch.delenv("PLUGIN_PROTOCOL_VERSIONS", raising=False)
    return monkeypatch


def test_check_launch_without_cookie_is_the_friendly_sentence(no_launch_env: pytest.MonkeyPatch) -> None:
    assert handshake.check_launch(False) == handshake.NOT_A_COMMAND
    assert handshake.NOT_A_COMMAND.startswith(FRIENDLY)
    no_launch_env.setenv(handshake.COOKIE_KEY, "wrong")
    assert handshake.check_launch(False) == handshake.NOT_A_COMMAND


def test_check_launch_with_cookie(no_launch_env: pytest.MonkeyPatch) -> None:
    no_launch_env.setenv(handshake.COOKIE_KEY, handshake.COOKIE_VALUE)
    assert handshake.check_launch(False) is None  # no versions offered: 6 assumed
    for ok in ("6", "5,6", "6,5", " 5 , 6 "):
        no_launch_env.setenv("PLUGIN_PROTOCOL_VERSIONS", ok)
        assert handshake.check_launch(False) is None, ok


@pytest.mark.parametrize("versions", ["5", "4,5", "7", "16", ""])
def test_check_launch_wrong_protocol_versions(no_launch_env: pytest.MonkeyPatch, versions: str) -> None:
    no_launch_env.setenv(handshake.COOKIE_KEY, handshake.COOKIE_VALUE)
    no_launch_env.setenv("PLUGIN_PROTOCOL_VERSIONS", versions)
    problem = handshake.check_launch(False)
    assert problem is not None
    assert "speaks plugin protocol 6" in problem and f"offered {versions}" in problem


def test_check_launch_debug_needs_nothing(no_launch_env: pytest.MonkeyPatch) -> None:
    assert handshake.check_launch(True) is None
    no_launch_env.setenv("PLUGIN_PROTOCOL_VERSIONS", "5")
    assert handshake.check_launch(True) is None


def test_reattach_json_shape() -> None:
    doc = json.loads(handshake.reattach_json("registry.terraform.io/sourcegraph/tftest", "/tmp/x/plugin.sock"))
    assert doc == {
        "registry.terraform.io/sourcegraph/tftest": {
            "Protocol": "grpc",
            "ProtocolVersion": 6,
            "Pid": os.getpid(),
            "Test": True,
            "Addr": {"Network": "unix", "String": "/tmp/x/plugin.sock"},
        }
    }
    assert " " not in handshake.reattach_json("a", "/b")  # compact: pasted into a shell variable


# ---------------------------------------------------------------- certificates


def check_certificate(key_pem: bytes, cert_pem: bytes, b64: str) -> x509.Certificate:
    assert "=" not in b64  # go-plugin reads it with RawStdEncoding
    assert "\n" not in b64 and "|" not in b64
    der = base64.b64decode(b64 + "=" * (-len(b64) % 4), validate=True)
    cert = x509.load_der_x509_certificate(der)
    assert cert == x509.load_pem_x509_certificate(cert_pem)
    assert cert.public_bytes(Encoding.DER) == der
    pub = cert.public_key()
    assert isinstance(pub, ec.EllipticCurvePublicKey) and pub.curve.name == "secp256r1"
    # self-signed with ECDSA-SHA256, by the key in key_pem
    assert cert.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    key = load_pem_private_key(key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert key.public_key().public_numbers() == pub.public_numbers()
    assert key_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")  # PKCS#8
    return cert


def test_make_certificate_200_times() -> None:
    seen = set()
    for _ in range(200):
        cert = check_certificate(*tls.make_certificate())
        seen.add(cert.serial_number)
        assert 0 < cert.serial_number < 2**159
    assert len(seen) == 200  # a fresh certificate each launch


def _children() -> set[int]:
    """This process's child processes, zombies included (waitpid(-1) could reap other tests')."""
    me, found = os.getpid(), set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                found.add(int(entry))
    return found


def test_certificate_made_in_a_forked_child() -> None:
    before = _children()
    results = [tls.start_certificate() for _ in range(5)]  # five children at once
    assert len(_children() - before) == 5
    serials = {check_certificate(*result()).serial_number for result in results}
    assert len(serials) == 5
    assert _children() - before == set()  # every child was reaped: no zombie left behind


def _in_child_only(parent: int, child_behaviour: Any) -> Any:
    real = tls.make_certificate

    def make(password: bytes | None = None) -> Any:
        return child_behaviour() if os.getpid() != parent else real(password)

    return make


@pytest.mark.parametrize("behaviour", ["raises", "hangs", "exits"])
def test_a_failing_child_falls_back_to_this_process(monkeypatch: pytest.MonkeyPatch, behaviour: str) -> None:
    def raises() -> Any:
        raise RuntimeError("no certificate for you")

    def hangs() -> Any:
        time.sleep(60)

    def exits() -> Any:
        os._exit(0)  # a clean exit that wrote nothing

    monkeypatch.setattr(tls, "make_certificate", _in_child_only(os.getpid(), {"raises": raises, "hangs": hangs, "exits": exits}[behaviour]))
    monkeypatch.setattr(tls, "CHILD_TIMEOUT_SECONDS", 0.5)
    before = _children()
    started = time.monotonic()
    check_certificate(*tls.start_certificate()())
    # not the hanging child's 60 s: given up at its 0.5 s timeout (the margin is for the
    # certificate then made here, on a loaded machine)
    assert time.monotonic() - started < 30
    assert _children() - before == set()


def test_without_fork_the_certificate_is_made_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise OSError("fork not allowed")

    monkeypatch.setattr(os, "fork", no_fork)
    check_certificate(*tls.start_certificate()())


def test_certificate_fields() -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = check_certificate(*tls.make_certificate())
    assert cert.version == x509.Version.v3
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"), x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    assert cert.subject == cert.issuer == name
    assert cert.not_valid_before_utc <= now <= cert.not_valid_after_utc
    assert cert.not_valid_after_utc - cert.not_valid_before_utc < datetime.timedelta(days=2)
    ext = {e.oid: e for e in cert.extensions}
    assert set(ext) == {ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE,
                        ExtensionOID.EXTENDED_KEY_USAGE}
    san = ext[ExtensionOID.SUBJECT_ALTERNATIVE_NAME]
    assert san.value.get_values_for_type(x509.DNSName) == ["localhost"] and not san.critical
    bc = ext[ExtensionOID.BASIC_CONSTRAINTS]
    assert bc.critical and bc.value.ca and bc.value.path_length is None
    ku = ext[ExtensionOID.KEY_USAGE]
    assert ku.critical
    assert ku.value == x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=True, data_encipherment=False,
        key_agreement=True, key_cert_sign=True, crl_sign=False, encipher_only=False, decipher_only=False,
    )
    eku = ext[ExtensionOID.EXTENDED_KEY_USAGE]
    assert list(eku.value) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH] and not eku.critical


def test_some_certificates_would_have_needed_padding() -> None:
    # Proves the test above meant something: DER lengths vary, so unstripped base64 would
    # sometimes end in "=" (and the handshake would then fail at random in go-plugin).
    lengths = {len(base64.b64decode(b + "=" * (-len(b) % 4))) % 3 for _, _, b in (tls.make_certificate() for _ in range(60))}
    assert lengths - {0}


# ---------------------------------------------------------------- the real process


def provider_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


class Launched:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc

    def readline(self, timeout: float = 15.0) -> str:
        out: list[str] = []
        t = threading.Thread(target=lambda: out.append(self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(timeout)
        if not out:
            raise AssertionError(f"no line from the provider within {timeout}s")
        return out[0].rstrip("\n")

    def wait(self, timeout: float = 10.0) -> int:
        return self.proc.wait(timeout)


@pytest.fixture
def launch() -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str]) -> Launched:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.testprovider", *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )
        started.append(proc)
        return Launched(proc)

    yield start
    for proc in started:  # only the processes this test started, by their own handle
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        for f in (proc.stdout, proc.stderr):
            if f:
                f.close()


def run_provider(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.support.testprovider", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )


def test_run_by_hand_says_what_it_is() -> None:
    r = run_provider(env=provider_env())
    assert r.returncode == 1
    assert r.stdout == ""
    assert FRIENDLY in r.stderr and "--debug" in r.stderr
    assert "Traceback" not in r.stderr


def test_wrong_protocol_version_exits_1() -> None:
    r = run_provider(env=provider_env(**{handshake.COOKIE_KEY: handshake.COOKIE_VALUE, "PLUGIN_PROTOCOL_VERSIONS": "5"}))
    assert r.returncode == 1 and r.stdout == ""
    assert "speaks plugin protocol 6" in r.stderr and "Traceback" not in r.stderr


def test_version_and_bad_arguments() -> None:
    r = run_provider("--version", env=provider_env())
    assert (r.returncode, r.stdout.strip()) == (0, "terraform-provider-tftest 0.0.1")
    r = run_provider("--help", env=provider_env())
    assert r.returncode == 0 and "--debug" in r.stdout
    r = run_provider("--frobnicate", env=provider_env(**COOKIE))
    assert r.returncode == 2
    assert "unknown argument '--frobnicate'" in r.stderr and "usage:" in r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr


def parse_handshake(line: str) -> list[str]:
    fields = line.split("|")
    assert fields[:3] == ["1", "6", "unix"] and fields[4] == "grpc", line
    assert os.path.isabs(fields[3]) and fields[3].endswith("/plugin.sock")
    return fields


def assert_private_socket(path: str) -> None:
    socket_dir = os.path.dirname(path)
    assert stat.S_IMODE(os.stat(socket_dir).st_mode) == 0o700
    assert os.stat(socket_dir).st_uid == os.getuid()
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    assert os.listdir(socket_dir) == ["plugin.sock"]


def test_tls_handshake_then_sigterm(launch: Any) -> None:
    client_key_pem, client_pem_bytes, _ = tls.make_certificate()
    client_pem = client_pem_bytes.decode()
    p = launch(env=provider_env(**COOKIE, PLUGIN_CLIENT_CERT=client_pem))
    fields = parse_handshake(p.readline())
    assert len(fields) == 6
    cert_b64 = fields[5]
    assert "=" not in cert_b64
    cert = x509.load_der_x509_certificate(base64.b64decode(cert_b64 + "=" * (-len(cert_b64) % 4)))
    assert cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value.get_values_for_type(x509.DNSName) == ["localhost"]
    socket_path = fields[3]
    assert_private_socket(socket_path)

    # A TLS client that trusts exactly the handshake's certificate and presents the client
    # certificate of PLUGIN_CLIENT_CERT gets answers (tests/adversarial/test_socket.py: others do not).
    import grpc

    from provider.tfplugin.proto import tfplugin6_pb2 as pb
    from provider.tfplugin.proto import tfplugin6_pb2_grpc as pb_grpc

    creds = grpc.ssl_channel_credentials(
        root_certificates=cert.public_bytes(Encoding.PEM), private_key=client_key_pem, certificate_chain=client_pem_bytes
    )
    with grpc.secure_channel(f"unix:{socket_path}", creds, options=[("grpc.ssl_target_name_override", "localhost")]) as ch:
        meta = pb_grpc.ProviderStub(ch).GetMetadata(pb.GetMetadata.Request(), timeout=10)
    assert [r.type_name for r in meta.resources] == ["tftest_thing"]

    p.proc.send_signal(signal.SIGTERM)
    assert p.wait() == 0
    assert not os.path.exists(os.path.dirname(socket_path))
    assert "Traceback" not in p.proc.stderr.read()


def test_sigterm_right_after_the_handshake_still_cleans_up(launch: Any) -> None:
    # The signal goes out the instant the line is read (a raw read, no buffering); before the
    # handler was installed ahead of the handshake this failed about one launch in three.
    for _ in range(8):
        p = launch(env=provider_env(**COOKIE))
        line = os.read(p.proc.stdout.fileno(), 4096).decode()
        p.proc.send_signal(signal.SIGTERM)
        socket_path = parse_handshake(line.strip())[3]
        assert p.wait() == 0
        assert not os.path.exists(os.path.dirname(socket_path))


def test_insecure_serve_grpc_calls_and_shutdown(launch: Any) -> None:
    import grpc

    from provider.tfplugin.proto import grpc_controller_pb2, grpc_controller_pb2_grpc
    from provider.tfplugin.proto import tfplugin6_pb2 as pb
    from provider.tfplugin.proto import tfplugin6_pb2_grpc as pb_grpc

    p = launch(env=provider_env(**COOKIE))  # no PLUGIN_CLIENT_CERT, as with TF_DISABLE_PLUGIN_TLS=1
    fields = parse_handshake(p.readline())
    assert len(fields) == 5  # no certificate: Terraform would panic on one
    socket_path = fields[3]
    assert_private_socket(socket_path)
    with grpc.insecure_channel(f"unix:{socket_path}") as ch:
        stub = pb_grpc.ProviderStub(ch)
        meta = stub.GetMetadata(pb.GetMetadata.Request(), timeout=10)
        assert [r.type_name for r in meta.resources] == ["tftest_thing"]
        assert [d.type_name for d in meta.data_sources] == ["tftest_things"]
        assert meta.server_capabilities.get_provider_schema_optional
        schema = stub.GetProviderSchema(pb.GetProviderSchema.Request(), timeout=10)
        assert schema.resource_schemas["tftest_thing"].version == 1
        assert {a.name for a in schema.provider.block.attributes} == {"store"}
        assert not schema.diagnostics
        # go-plugin's health check answers SERVING
        health = ch.unary_unary("/grpc.health.v1.Health/Check", request_serializer=None, response_deserializer=None)
        assert health(b"", timeout=10) == b"\x08\x01"
        grpc_controller_pb2_grpc.GRPCControllerStub(ch).Shutdown(grpc_controller_pb2.Empty(), timeout=10)
    assert p.wait() == 0
    assert not os.path.exists(os.path.dirname(socket_path))


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has exited
    except FileNotFoundError:
        return True


def test_provider_exits_when_its_parent_dies(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # The parent shell starts the provider, waits for its handshake, then exits without a word.
    script = (
        f"{sys.executable} -m tests.support.testprovider >{out} 2>{tmp_path / 'err'} </dev/null & echo $!; "
        f"i=0; while [ ! -s {out} ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done"
    )
    sh = subprocess.run(["sh", "-c", script], cwd=ROOT, env=provider_env(**COOKIE), capture_output=True, text=True, timeout=90)
    pid = int(sh.stdout.strip())
    try:
        socket_path = parse_handshake(out.read_text().strip())[3]
        deadline = time.monotonic() + 30  # a wait: that it goes soon is the fast-launch e2e tests' 1 s bound
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(pid), "the provider outlived its parent"
        deadline = time.monotonic() + 2
        while os.path.exists(os.path.dirname(socket_path)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(os.path.dirname(socket_path))
    finally:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)  # the provider this test started


# A launch whose Terraform goes while it is stuck (here: building its servicer for 30 s; in life,
# imports on a loaded machine or a handler that will not return). ``watch`` is how a launch is
# told its Terraform is gone.
STUCK_WHEN_TERRAFORM_GOES = r"""
import sys, time
from provider.tfplugin import handshake

import threading
entered = threading.Event()

def terraform_goes(stop, orphaned):
    entered.wait()  # Terraform goes once the launch is stuck (not after 0.5 s: it might not be yet)
    orphaned.set()
    stop.set()

def stuck(cancelled):
    print("stuck", flush=True)
    entered.set()
    time.sleep(600)

sys.exit(handshake.serve(stuck, source_address="x", watch=terraform_goes))
"""


def test_a_launch_stuck_when_terraform_goes_still_exits_at_once_and_removes_its_directory(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", STUCK_WHEN_TERRAFORM_GOES], cwd=ROOT, env=provider_env(TMPDIR=str(tmp_path), **COOKIE),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=120)  # far below the stuck build's 600 s
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (proc.returncode, out) == (1, "stuck\n"), err
    assert not list(tmp_path.glob("tfprovider-*")), "the socket directory was left behind"


def test_an_orphaned_launch_is_told_at_once_by_its_parents_pidfd(tmp_path: Path) -> None:
    """The parent is watched through a pidfd where there is one: told at its death, not at a poll."""
    if not hasattr(os, "pidfd_open"):
        pytest.skip("no pidfd_open here: the parent is polled every 0.1 s instead")
    watcher = r"""
import os, sys, threading, time
from provider.tfplugin import handshake
handshake._PARENT_POLL_SECONDS = 60  # a poll would not tell us within the test's bound
stop, orphaned = threading.Event(), threading.Event()
threading.Thread(target=handshake._watch_parent, args=(stop, orphaned), daemon=True).start()
print("watching", flush=True)
orphaned.wait(30)
print(f"{orphaned.is_set()} {stop.is_set()}", flush=True)
"""
    (tmp_path / "watcher.py").write_text(watcher)
    out = tmp_path / "out"
    script = f"{sys.executable} {tmp_path / 'watcher.py'} >{out} 2>&1 </dev/null & i=0; while [ ! -s {out} ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done"
    subprocess.run(["sh", "-c", script], cwd=ROOT, env=provider_env(), timeout=90, check=True)
    # (the answer is in the line, not in the time: a poll, 60 s away, would leave orphaned unset
    # when the watcher's 30 s wait ends, and it would print "False False")
    deadline = time.monotonic() + 60
    while out.read_text().count("\n") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert out.read_text().splitlines() == ["watching", "True True"]


def test_debug_mode_prints_reattach_json_and_stops_on_sigint(launch: Any) -> None:
    import grpc

    from provider.tfplugin.proto import tfplugin6_pb2 as pb
    from provider.tfplugin.proto import tfplugin6_pb2_grpc as pb_grpc

    p = launch("--debug", env=provider_env())  # no cookie: debug mode needs none
    lines = [p.readline()]
    while "TF_REATTACH_PROVIDERS=" not in lines[-1]:
        lines.append(p.readline())
    assert lines[0].startswith("Provider started in debug mode")
    raw = lines[-1].split("TF_REATTACH_PROVIDERS=", 1)[1].strip()
    assert raw[0] == raw[-1] == "'"
    doc = json.loads(raw[1:-1])
    entry = doc["registry.terraform.io/sourcegraph/tftest"]
    assert entry["Pid"] == p.proc.pid and entry["Protocol"] == "grpc" and entry["ProtocolVersion"] == 6
    socket_path = entry["Addr"]["String"]
    assert entry["Addr"]["Network"] == "unix"
    assert_private_socket(socket_path)
    with grpc.insecure_channel(f"unix:{socket_path}") as ch:  # debug mode serves without TLS
        meta = pb_grpc.ProviderStub(ch).GetMetadata(pb.GetMetadata.Request(), timeout=10)
    assert meta.resources[0].type_name == "tftest_thing"
    p.proc.send_signal(signal.SIGINT)
    assert p.wait() == 0
    assert not os.path.exists(os.path.dirname(socket_path))


def test_sigint_is_ignored_when_terraform_launched_it(launch: Any) -> None:
    # Ctrl-C reaches the whole process group; Terraform decides (StopProvider, Shutdown).
    p = launch(env=provider_env(**COOKIE))
    socket_path = parse_handshake(p.readline())[3]
    p.proc.send_signal(signal.SIGINT)
    with pytest.raises(subprocess.TimeoutExpired):
        p.wait(0.8)
    assert os.path.exists(socket_path)
    p.proc.send_signal(signal.SIGTERM)
    assert p.wait() == 0
