"""Launch 1 served by the Go launcher from the install-time schema cache (go-shim/server.go).

Each case installs nothing new: the tftest provider is installed once (scripts/install_provider.py,
as `make install` does) into this module's directory. A launch is performed as Terraform performs
it, under a small parent process that plays Terraform (its PID names the zygote, and killing it
is Terraform dying): the cookie, PLUGIN_CLIENT_CERT (P-521, as Terraform makes it), the handshake
line read from stdout, then gRPC over TLS with the client certificate.
"""

from __future__ import annotations

import base64
import datetime
import glob
import json
import os
import signal
import ssl
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from provider.tfplugin.proto import grpc_controller_pb2, grpc_controller_pb2_grpc
from provider.tfplugin.proto import tfplugin6_pb2 as pb
from provider.tfplugin.proto import tfplugin6_pb2_grpc as pb_grpc

from .conftest import GO_MISSING, ROOT, installer

COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fast launch exists on Linux only")

# Plays Terraform: starts the launcher with this process's stdio, prints the launcher's PID on
# stderr (stdout is the launcher's handshake), and waits to be killed.
PARENT = """
import subprocess, sys, time
p = subprocess.Popen([sys.argv[1]])
sys.stderr.write(f"PID {p.pid}\\n"); sys.stderr.flush()
code = p.wait()
sys.stderr.write(f"EXIT {code}\\n"); sys.stderr.flush()
time.sleep(600)
"""


@dataclass
class Pem:
    key: bytes
    cert: bytes


def client_cert(curve: ec.EllipticCurve | None = None) -> Pem:
    key = ec.generate_private_key(curve or ec.SECP521R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"), x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA512())
    )
    return Pem(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
               cert.public_bytes(serialization.Encoding.PEM))


@dataclass
class Installed:
    launcher: Path
    cache: Path


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    import shutil

    if not shutil.which("go"):
        pytest.skip(GO_MISSING)
    base = tmp_path_factory.mktemp("cached")
    code = installer().main(["--plugins-dir", str(base / "plugins"), "--module", "tests.support.testprovider", "--type", "tftest",
                             "--version", "0.0.1", "--pythonpath", str(ROOT), "--quiet"])
    assert code == 0
    [launcher] = glob.glob(str(base / "plugins" / "registry.terraform.io" / "sourcegraph" / "tftest" / "0.0.1" / "*" / "terraform-provider-tftest_v0.0.1"))
    [cache] = glob.glob(str(base / "provider-schema-cache" / "*tftest*.json"))
    # nothing but the launcher in the package directory: Terraform's lock-file hash covers it all
    assert os.listdir(os.path.dirname(launcher)) == ["terraform-provider-tftest_v0.0.1"]
    return Installed(Path(launcher), Path(cache))


class Launch:
    def __init__(self, launcher: Path, tmp: Path, *, client: Pem | None = None, **env: str) -> None:
        self.tmp = tmp / "tmp"
        self.tmp.mkdir(exist_ok=True)
        self.client = client or client_cert()
        full = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_", "PYTHON"))}
        full.update(TF_PLUGIN_MAGIC_COOKIE=COOKIE, PLUGIN_PROTOCOL_VERSIONS="5,6", PLUGIN_CLIENT_CERT=self.client.cert.decode(),
                    TMPDIR=str(self.tmp), TF_LOG="trace")
        full.update(env)
        full = {k: v for k, v in full.items() if v != ""}
        self.log = tmp / "stderr.txt"
        self.errf = open(self.log, "w")
        self.parent = subprocess.Popen([sys.executable, "-c", PARENT, str(launcher)], env=full, cwd=tmp, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=self.errf, text=True)
        try:
            self.line = self._readline(60)
            self.pid = self._wait_pid()
            fields = self.line.split("|")
            assert fields[:3] == ["1", "6", "unix"] and fields[4] == "grpc" and len(fields) == 6, self.line + self.stderr()
            self.socket_path = fields[3]
            self.cert_b64 = fields[5]
            self.server_cert = x509.load_der_x509_certificate(base64.b64decode(fields[5] + "=" * (-len(fields[5]) % 4)))
        except BaseException:
            self.close()  # never leave the parent (and so the launch) behind
            raise

    def _readline(self, timeout: float) -> str:
        import threading

        got: list[str] = []
        assert self.parent.stdout
        t = threading.Thread(target=lambda: got.append(self.parent.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        t.start()
        t.join(timeout)
        if not got:
            self.parent.kill()
            raise AssertionError(f"no handshake line within {timeout}s\n{self.stderr()[-3000:]}")
        return got[0].strip()

    def _wait_pid(self) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for line in self.log.read_text().splitlines():
                if line.startswith("PID "):
                    return int(line.split()[1])
            time.sleep(0.01)
        raise AssertionError("no launcher PID")

    def stderr(self) -> str:
        return self.log.read_text()

    def exit_code(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.stderr().splitlines():
                if line.startswith("EXIT "):
                    return int(line.split()[1])
            time.sleep(0.02)
        raise AssertionError("the launcher did not exit\n" + self.stderr()[-3000:])

    def served_by_go(self) -> bool:
        return os.path.realpath(f"/proc/{self.pid}/exe") == os.path.realpath(self.parent.args[3])  # type: ignore[index]

    def channel(self, client: Pem | None = None) -> grpc.Channel:
        c = client or self.client
        creds = grpc.ssl_channel_credentials(root_certificates=self.server_cert.public_bytes(serialization.Encoding.PEM),
                                             private_key=c.key, certificate_chain=c.cert)
        return grpc.secure_channel(f"unix:{self.socket_path}", creds, options=[("grpc.ssl_target_name_override", "localhost")])

    def close(self) -> None:
        if self.parent.poll() is None:  # the parent this test started, by handle; the launcher dies with it
            self.parent.kill()
        self.parent.wait(10)
        if self.parent.stdout:
            self.parent.stdout.close()
        self.errf.close()


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def children_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry))
            except OSError:
                pass
    return out


def listening_as_zygote(pid: int) -> bool:
    """PID listens on a zygote's name (an abstract socket "@tfprovider-zygote.…"): it is ready."""
    try:
        fds = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    except OSError:
        return False
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()  # Num RefCount Protocol Flags Type St Inode Path
        if (len(fields) >= 8 and fields[7].startswith("@tfprovider-zygote.") and fields[3] == "00010000"
                and f"socket:[{fields[6]}]" in fds):
            return True
    return False


def wait_until(check: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return bool(check())


@pytest.fixture
def launches(tmp_path: Path) -> Iterator[Any]:
    made: list[Launch] = []

    def make(launcher: Path, **kw: Any) -> Launch:
        l = Launch(launcher, tmp_path / f"l{len(made)}", **kw) if (tmp_path / f"l{len(made)}").mkdir() is None else None
        assert l
        made.append(l)
        return l

    yield make
    for l in made:
        l.close()


def raw_schema(ch: grpc.Channel) -> bytes:
    call = ch.unary_unary("/tfplugin6.Provider/GetProviderSchema", request_serializer=None, response_deserializer=None)
    return bytes(call(b"", timeout=20))


def shutdown(ch: grpc.Channel) -> None:
    grpc_controller_pb2_grpc.GRPCControllerStub(ch).Shutdown(grpc_controller_pb2.Empty(), timeout=10)


# ---------------------------------------------------------------- the cached launch


def test_schema_served_from_the_cache_without_python(installed: Installed, launches: Any) -> None:
    l = launches(installed.launcher)
    assert l.served_by_go()
    socket_dir = os.path.dirname(l.socket_path)
    # named as handshake.py names its own (the sweep of dead providers' directories covers it)
    assert os.path.basename(socket_dir) .startswith(f"tfprovider-{base36(l.pid)}-") and len(os.path.basename(socket_dir).split("-")[2]) == 2
    assert oct(os.stat(socket_dir).st_mode & 0o777) == oct(0o700) and os.listdir(socket_dir) == ["plugin.sock"]
    cached = json.loads(installed.cache.read_text())["methods"]["/tfplugin6.Provider/GetProviderSchema"]
    with l.channel() as ch:
        got = raw_schema(ch)
        assert got == base64.b64decode(cached)
        schema = pb.GetProviderSchema.Response.FromString(got)
        assert "tftest_thing" in schema.resource_schemas
        health = ch.unary_unary("/grpc.health.v1.Health/Check", request_serializer=None, response_deserializer=None)(b"", timeout=10)
        assert bytes(health) == b"\x08\x01"
        assert [p for p in children_of(l.pid) if os.getsid(p) == os.getsid(l.pid)] == []  # no Python behind it
        shutdown(ch)
    assert l.exit_code() == 0
    assert not os.path.exists(socket_dir)
    assert "GetProviderSchema served from the schema cache" in l.stderr()
    assert "relayed to the provider" not in l.stderr()


def base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def test_certificate_is_shaped_like_the_providers(installed: Installed, launches: Any) -> None:
    l = launches(installed.launcher)
    assert "=" not in l.cert_b64  # go-plugin reads it with RawStdEncoding
    cert = l.server_cert
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"), x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    assert cert.subject == cert.issuer == name
    pub = cert.public_key()
    assert isinstance(pub, ec.EllipticCurvePublicKey) and pub.curve.name == "secp256r1"
    pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    ext = {e.oid: e for e in cert.extensions}
    assert ext[ExtensionOID.SUBJECT_ALTERNATIVE_NAME].value.get_values_for_type(x509.DNSName) == ["localhost"]
    bc = ext[ExtensionOID.BASIC_CONSTRAINTS]
    assert bc.critical and bc.value.ca and bc.value.path_length is None
    ku = ext[ExtensionOID.KEY_USAGE]
    assert ku.critical and ku.value.digital_signature and ku.value.key_encipherment and ku.value.key_agreement and ku.value.key_cert_sign
    assert not ku.value.crl_sign and not ku.value.content_commitment
    assert list(ext[ExtensionOID.EXTENDED_KEY_USAGE].value) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    other = launches(installed.launcher)
    assert other.server_cert.serial_number != cert.serial_number  # a fresh key pair per launch


def test_only_terraforms_certificate_is_served(installed: Installed, launches: Any) -> None:
    l = launches(installed.launcher)
    for client in (None, client_cert(), client_cert(ec.SECP256R1())):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=l.server_cert.public_bytes(serialization.Encoding.PEM).decode())
        ctx.set_alpn_protocols(["h2"])
        if client:
            key = l.tmp / "k.pem"
            key.write_bytes(client.cert + client.key)
            ctx.load_cert_chain(str(key))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(l.socket_path)
        with pytest.raises((ssl.SSLError, OSError)):
            t = ctx.wrap_socket(s, server_hostname="localhost")
            t.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            assert t.recv(100) == b""  # TLS 1.3: the refusal comes after the client's handshake
            raise OSError("closed")
        s.close()
    with l.channel() as ch:  # still serving the rightful client
        assert raw_schema(ch)
        shutdown(ch)
    assert l.exit_code() == 0


def test_other_calls_are_relayed_to_a_python_provider(installed: Installed, launches: Any) -> None:
    l = launches(installed.launcher)
    socket_dir = os.path.dirname(l.socket_path)
    with l.channel() as ch:
        stub = pb_grpc.ProviderStub(ch)
        meta = stub.GetMetadata(pb.GetMetadata.Request(), timeout=60)  # first: starts the provider
        assert [r.type_name for r in meta.resources] == ["tftest_thing"]
        config = pb.DynamicValue(json=json.dumps({"store": str(l.tmp / "store.json")}).encode())
        validated = stub.ValidateProviderConfig(pb.ValidateProviderConfig.Request(config=config), timeout=30)
        assert list(validated.diagnostics) == []
        bad = stub.ValidateResourceConfig(pb.ValidateResourceConfig.Request(
            type_name="tftest_thing", config=pb.DynamicValue(json=b'{"name": "this-name-is-far-too-long-for-it"}')), timeout=30)
        assert [d.summary for d in bad.diagnostics] == ["Invalid value for name"]  # the provider's own answer
        with pytest.raises(grpc.RpcError) as err:  # a gRPC error status travels back as it is
            ch.unary_unary("/tfplugin6.Provider/NoSuchCall", request_serializer=None, response_deserializer=None)(b"", timeout=30)
        assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert raw_schema(ch) == base64.b64decode(json.loads(installed.cache.read_text())["methods"]["/tfplugin6.Provider/GetProviderSchema"])
        upstream_dirs = [d for d in glob.glob(str(l.tmp / "tfprovider-*")) if d != socket_dir]
        assert len(upstream_dirs) == 1  # the Python provider's own socket directory
        shutdown(ch)
    assert l.exit_code() == 0
    assert wait_until(lambda: glob.glob(str(l.tmp / "tfprovider-*")) == []), "a socket directory outlived the launch"
    assert "/tfplugin6.Provider/GetMetadata: relayed to the provider" in l.stderr()


@pytest.mark.parametrize("via", ["zygote", "cold"])
def test_terraform_killed_ends_the_launch_and_its_provider(installed: Installed, launches: Any, via: str) -> None:
    """The provider behind the cache is a zygote's child, or (no zygote) the launcher's own
    child; either way, Terraform's death ends the launch, the provider and both directories."""
    l = launches(installed.launcher)
    # the zygote the launch started: the launcher's child in a session of its own
    assert wait_until(lambda: [p for p in children_of(l.pid) if os.getsid(p) != os.getsid(l.pid)] != [])
    [zygote] = [p for p in children_of(l.pid) if os.getsid(p) != os.getsid(l.pid)]
    if via == "cold":
        os.kill(zygote, signal.SIGKILL)
        assert wait_until(lambda: not alive(zygote))
    else:
        # it has imported everything and bound its name (was: a 1.5 s sleep, after which a loaded
        # machine could still be importing, and the launch went cold)
        assert wait_until(lambda: listening_as_zygote(zygote), 60), "the zygote never bound its name"
    with l.channel() as ch:
        pb_grpc.ProviderStub(ch).GetMetadata(pb.GetMetadata.Request(), timeout=60)
    dirs = glob.glob(str(l.tmp / "tfprovider-*"))
    assert len(dirs) == 2
    provider_pids = [int(os.path.basename(d).split("-")[1], 36) for d in dirs]
    [upstream] = [p for p in provider_pids if p != l.pid]
    assert (upstream in children_of(l.pid)) == (via == "cold")
    l.parent.kill()
    l.parent.wait(30)
    # (waits: that they go within a second is the fast-launch e2e tests' bound)
    assert wait_until(lambda: not any(alive(p) for p in provider_pids)), "a provider process outlived Terraform"
    assert wait_until(lambda: glob.glob(str(l.tmp / "tfprovider-*")) == []), "a socket directory outlived Terraform"


# ---------------------------------------------------------------- when the cache is not used


def test_a_stale_cache_is_not_served(installed: Installed, launches: Any, tmp_path: Path) -> None:
    original = installed.cache.read_text()
    cache = json.loads(original)
    cache["files"][-1]["mtime_ns"] += 1  # as if that source file had been edited since the install
    try:
        installed.cache.write_text(json.dumps(cache))
        l = launches(installed.launcher)
        assert not l.served_by_go()  # the launcher exec'd Python: a cold launch
        assert "the schema cache is stale" in l.stderr()
    finally:
        installed.cache.write_text(original)


def test_a_cache_for_another_interpreter_is_not_served(installed: Installed, launches: Any) -> None:
    original = installed.cache.read_text()
    cache = json.loads(original)
    cache["python"] = "/elsewhere/bin/python3"
    try:
        installed.cache.write_text(json.dumps(cache))
        l = launches(installed.launcher)
        assert not l.served_by_go()
        assert "made for another interpreter" in l.stderr()
    finally:
        installed.cache.write_text(original)


@pytest.mark.parametrize("env", [{"TF_SPARKPOST_FAST_LAUNCH": "off"}, {"PLUGIN_CLIENT_CERT": ""}])
def test_no_cached_launch(installed: Installed, launches: Any, env: dict[str, str]) -> None:
    if "PLUGIN_CLIENT_CERT" in env:
        # TLS disabled: a five-field handshake, from Python
        launcher_env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_", "PYTHON"))}
        launcher_env.update(TF_PLUGIN_MAGIC_COOKIE=COOKIE, PLUGIN_PROTOCOL_VERSIONS="6")
        p = subprocess.Popen([str(installed.launcher)], env=launcher_env, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        try:
            assert p.stdout
            line = p.stdout.readline().decode().strip()
            assert len(line.split("|")) == 5
            assert os.path.realpath(f"/proc/{p.pid}/exe") != str(installed.launcher.resolve()) or p.poll() is not None
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
        return
    l = launches(installed.launcher, **env)
    assert not l.served_by_go()


# Plays a Terraform that dies as the launch prints its handshake: the launcher's stdout is a
# socket whose reader is gone (poll says POLLHUP, not POLLERR: the launch gets as far as the
# handshake line, as when Terraform is killed at that moment). Prints the launcher's exit code.
DIES_AT_THE_HANDSHAKE = """
import socket, subprocess, sys
ours, theirs = socket.socketpair()
ours.close()
p = subprocess.Popen([sys.argv[1]], stdout=theirs, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
theirs.close()
print(p.wait(30), flush=True)
"""


def test_a_handshake_nobody_reads_still_removes_the_socket_directory(installed: Installed, tmp_path: Path) -> None:
    """Terraform killed while the launch writes its handshake line: the write fails (EPIPE), and
    the launch cleans up as on every other way out. Go's default for a broken stdout is to die
    by SIGPIPE on the spot, which left the socket directory behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_", "PYTHON"))}
    env.update(TF_PLUGIN_MAGIC_COOKIE=COOKIE, PLUGIN_PROTOCOL_VERSIONS="6", PLUGIN_CLIENT_CERT=client_cert().cert.decode(),
               TMPDIR=str(tmp))
    run = subprocess.run([sys.executable, "-c", DIES_AT_THE_HANDSHAKE, str(installed.launcher)], env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.stdout.strip() == "1", run.stdout + run.stderr  # an exit, not death by SIGPIPE (-13)
    assert glob.glob(str(tmp / "tfprovider-*")) == []
