"""Socket class: only the holder of the key behind PLUGIN_CLIENT_CERT is served (AutoMTLS).

One provider (the test provider ``tftest``, launched as Terraform launches it, with a P-521
client certificate as Terraform makes) serves the whole module; each case is a hostile or a
rightful client of its plugin socket or of the private gRPC socket behind it, and the last
case checks the provider is still alive and serving. A real `terraform plan` through the
same check runs in tests/e2e/test_plugin_lifecycle.py (TLS on and off).
"""

from __future__ import annotations

import base64
import datetime
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provider.tfplugin import handshake
from provider.tfplugin.proto import grpc_controller_pb2, grpc_controller_pb2_grpc
from provider.tfplugin.proto import tfplugin6_pb2 as pb
from provider.tfplugin.proto import tfplugin6_pb2_grpc as pb_grpc

ROOT = Path(__file__).resolve().parents[2]
LINUX = sys.platform.startswith("linux")
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # + empty SETTINGS


@dataclass
class Pem:
    key: bytes
    cert: bytes


def make_cert(curve: ec.EllipticCurve | None = None, *, cn: str = "localhost", days: float = 1, ca: bool = True,
              signer: Pem | None = None) -> Pem:
    """A certificate shaped like go-plugin's client certificate (P-521, ECDSA-SHA512, CA, both EKUs)."""
    key = ec.generate_private_key(curve or ec.SECP521R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_key: Any = key
    issuer_name = name
    if signer is not None:
        issuer_key = serialization.load_pem_private_key(signer.key, None)
        issuer_name = x509.load_pem_x509_certificate(signer.cert).subject
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30) + (datetime.timedelta(days=days) if days < 0 else datetime.timedelta()))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(issuer_key, hashes.SHA512())
    )
    return Pem(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
               cert.public_bytes(serialization.Encoding.PEM))


@dataclass
class Launched:
    proc: subprocess.Popen[str]
    socket_path: str
    server_pem: bytes
    client: Pem  # the certificate Terraform would hold: PLUGIN_CLIENT_CERT and its key
    tmp: Path

    def private_names(self) -> list[str]:
        """The provider's abstract sockets, as any process can list them in /proc/net/unix."""
        prefix = f"@tfprovider-{self.proc.pid}-"
        with open("/proc/net/unix") as f:
            return sorted({line.split()[-1][1:] for line in f if line.split()[-1].startswith(prefix)})


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    tmp = tmp_path_factory.mktemp("socket")
    client = make_cert()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    env.update(PYTHONPATH=str(ROOT), TMPDIR=str(tmp), PLUGIN_CLIENT_CERT=client.cert.decode(), PLUGIN_PROTOCOL_VERSIONS="6",
               **{handshake.COOKIE_KEY: handshake.COOKIE_VALUE})
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.testprovider"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline().strip()
        fields = line.split("|")
        assert len(fields) == 6, f"no AutoMTLS handshake line: {line!r}"
        der = base64.b64decode(fields[5] + "=" * (-len(fields[5]) % 4))
        server_pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        yield Launched(proc, fields[3], server_pem, client, tmp)
    finally:
        if proc.poll() is None:  # the provider this module started, by its own handle
            proc.kill()
        proc.wait(10)
        for f in (proc.stdout, proc.stderr):
            if f:
                f.close()


def key_files(tmp: Path, pem: Pem) -> tuple[str, str]:
    d = tmp / f"client-{os.urandom(4).hex()}"
    d.mkdir()
    (d / "key.pem").write_bytes(pem.key)
    (d / "cert.pem").write_bytes(pem.cert)
    return str(d / "cert.pem"), str(d / "key.pem")


def tls_client(l: Launched, client: Pem | None, **ctx_opts: Any) -> ssl.SSLSocket:
    """A TLS connection to plugin.sock with Python's ssl (which can sign with P-521 keys)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=l.server_pem.decode())
    ctx.set_alpn_protocols(["h2"])
    for k, v in ctx_opts.items():
        setattr(ctx, k, v)
    if client is not None:
        ctx.load_cert_chain(*key_files(l.tmp, client))
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw.settimeout(10)
    raw.connect(l.socket_path)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def served_over_tls(l: Launched, client: Pem | None, **ctx_opts: Any) -> bool:
    """True when the server speaks HTTP/2 to this client (answers the preface with SETTINGS).

    In TLS 1.3 the client's handshake ends before the server has checked its certificate, so
    a refusal shows as an alert or EOF on the first read, not in wrap_socket."""
    try:
        with tls_client(l, client, **ctx_opts) as t:
            t.sendall(H2_PREFACE)
            frame = t.recv(9)
            return len(frame) == 9 and frame[3] == 0x4  # a SETTINGS frame from the gRPC server
    except (ssl.SSLError, OSError):
        return False


def rpc_over_tls(l: Launched, client: Pem) -> str:
    creds = grpc.ssl_channel_credentials(root_certificates=l.server_pem, private_key=client.key, certificate_chain=client.cert)
    with grpc.secure_channel(f"unix:{l.socket_path}", creds, options=[("grpc.ssl_target_name_override", "localhost")]) as ch:
        try:
            meta = pb_grpc.ProviderStub(ch).GetMetadata(pb.GetMetadata.Request(), timeout=10)
            return "served:" + ",".join(r.type_name for r in meta.resources)
        except grpc.RpcError as e:
            return f"refused:{e.code().name}"


def private_rpcs(address: str) -> dict[str, str]:
    """Every kind of RPC, sent in plain HTTP/2 to the private gRPC socket."""
    out: dict[str, str] = {}
    calls: dict[str, Callable[[grpc.Channel], Any]] = {
        "GetMetadata": lambda ch: pb_grpc.ProviderStub(ch).GetMetadata(pb.GetMetadata.Request(), timeout=10),
        "GetProviderSchema": lambda ch: pb_grpc.ProviderStub(ch).GetProviderSchema(pb.GetProviderSchema.Request(), timeout=10),
        "ConfigureProvider": lambda ch: pb_grpc.ProviderStub(ch).ConfigureProvider(pb.ConfigureProvider.Request(), timeout=10),
        "Shutdown": lambda ch: grpc_controller_pb2_grpc.GRPCControllerStub(ch).Shutdown(grpc_controller_pb2.Empty(), timeout=10),
        "Health": lambda ch: ch.unary_unary("/grpc.health.v1.Health/Check")(b"", timeout=10),
    }
    with grpc.insecure_channel(address) as ch:
        for name, call in calls.items():
            try:
                call(ch)
                out[name] = "served"
            except grpc.RpcError as e:
                out[name] = e.code().name
    return out


def splice_from_abstract(bind_name: str | None, target: str) -> tuple[str, Callable[[], None]]:
    """A local front door that splices to the private socket from a socket bound to bind_name:
    how a process would present a chosen peer address to gRPC."""
    front = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    front_name = f"adv-front-{os.urandom(6).hex()}"
    front.bind("\0" + front_name)
    front.listen(4)
    front.settimeout(15)
    stop = threading.Event()

    def pump(a: socket.socket, b: socket.socket) -> None:
        try:
            while not stop.is_set() and (d := a.recv(65536)):
                b.sendall(d)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve() -> None:
        try:
            conn, _ = front.accept()
        except OSError:
            return
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if bind_name:
            up.bind("\0" + bind_name)
        up.connect("\0" + target)
        threading.Thread(target=pump, args=(conn, up), daemon=True).start()
        threading.Thread(target=pump, args=(up, conn), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()

    def close() -> None:
        stop.set()
        front.close()

    return f"unix-abstract:{front_name}", close


# ---------------------------------------------------------------- the cases


def forged_copy(original: Pem) -> Pem:
    """Terraform's certificate rebuilt field for field (subject, serial, dates, extensions) around
    another key and self-signed with it: everything but the key matches."""
    cert = x509.load_pem_x509_certificate(original.cert)
    key = ec.generate_private_key(ec.SECP521R1())
    builder = (x509.CertificateBuilder().subject_name(cert.subject).issuer_name(cert.issuer).public_key(key.public_key())
               .serial_number(cert.serial_number).not_valid_before(cert.not_valid_before_utc).not_valid_after(cert.not_valid_after_utc))
    for ext in cert.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    forged = builder.sign(key, hashes.SHA512())
    return Pem(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
               forged.public_bytes(serialization.Encoding.PEM))


def wrong_same_subject() -> Pem:
    return make_cert()  # same subject, SAN and extensions as Terraform's: only the key differs


CLIENTS: dict[str, Callable[[Launched], Pem | None]] = {
    "no-certificate": lambda l: None,
    "wrong-certificate-p521": lambda l: wrong_same_subject(),
    "wrong-certificate-p256": lambda l: make_cert(ec.SECP256R1()),
    "wrong-certificate-p384": lambda l: make_cert(ec.SECP384R1()),
    "copy-of-terraforms-certificate-with-another-key": lambda l: forged_copy(l.client),
    "issued-by-an-unknown-ca": lambda l: make_cert(signer=make_cert()),
    "terraforms-certificate-expired-copy": lambda l: make_cert(days=-1),
}


@pytest.mark.parametrize("name", list(CLIENTS))
def test_tls_client_refused(launched: Launched, name: str) -> None:
    assert not served_over_tls(launched, CLIENTS[name](launched))


@pytest.mark.parametrize("name", ["wrong-certificate-p521", "wrong-certificate-p256", "no-certificate"])
def test_grpc_client_refused(launched: Launched, name: str) -> None:
    client = CLIENTS[name](launched)
    if client is None:
        with grpc.secure_channel(f"unix:{launched.socket_path}", grpc.ssl_channel_credentials(root_certificates=launched.server_pem),
                                 options=[("grpc.ssl_target_name_override", "localhost")]) as ch:
            with pytest.raises(grpc.RpcError) as e:
                pb_grpc.ProviderStub(ch).GetMetadata(pb.GetMetadata.Request(), timeout=10)
            assert e.value.code() == grpc.StatusCode.UNAVAILABLE
        return
    assert rpc_over_tls(launched, client) == "refused:UNAVAILABLE"


def test_right_certificate_served_by_ssl(launched: Launched) -> None:
    assert served_over_tls(launched, launched.client)


def test_right_certificate_served_by_grpc(launched: Launched) -> None:
    assert rpc_over_tls(launched, launched.client) == "served:tftest_thing"


def test_right_certificate_tls12_only(launched: Launched) -> None:
    assert served_over_tls(launched, launched.client, maximum_version=ssl.TLSVersion.TLSv1_2)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls11_refused(launched: Launched) -> None:
    ctx_opts = {"minimum_version": ssl.TLSVersion.MINIMUM_SUPPORTED, "maximum_version": ssl.TLSVersion.TLSv1_1}
    assert not served_over_tls(launched, launched.client, **ctx_opts)


def test_plaintext_http2_refused(launched: Launched) -> None:
    with grpc.insecure_channel(f"unix:{launched.socket_path}") as ch:
        with pytest.raises(grpc.RpcError) as e:
            pb_grpc.ProviderStub(ch).GetMetadata(pb.GetMetadata.Request(), timeout=10)
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize("payload", [b"", b"\x00" * 4096, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", os.urandom(70000)],
                         ids=["close-at-once", "zeros", "http1", "random-70k"])
def test_garbage_then_the_rightful_client_is_served(launched: Launched, payload: bytes) -> None:
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw.settimeout(10)
    raw.connect(launched.socket_path)
    try:
        raw.sendall(payload)
        raw.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := raw.recv(65536):
            got += chunk
            assert len(got) < 1 << 16  # an alert at most, never a stream of data
    except OSError:
        pass
    finally:
        raw.close()
    assert rpc_over_tls(launched, launched.client) == "served:tftest_thing"


def test_silent_connections_do_not_block_terraform(launched: Launched) -> None:
    silent = []
    try:
        for _ in range(5):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(launched.socket_path)
            silent.append(s)
        assert rpc_over_tls(launched, launched.client) == "served:tftest_thing"
    finally:
        for s in silent:
            s.close()


@pytest.mark.skipif(not LINUX, reason="the private socket is a Linux abstract socket; elsewhere it is a path in the 0700 directory")
def test_private_socket_is_found_and_refuses_every_rpc(launched: Launched) -> None:
    names = launched.private_names()
    assert names, "the private gRPC socket was not found in /proc/net/unix"
    for name in names:
        assert private_rpcs(f"unix-abstract:{name}") == dict.fromkeys(
            ["GetMetadata", "GetProviderSchema", "ConfigureProvider", "Shutdown", "Health"], "UNAUTHENTICATED")
    assert launched.proc.poll() is None  # the Shutdown above did not stop it


@pytest.mark.skipif(not LINUX, reason="abstract socket names are Linux only")
def test_private_socket_from_a_chosen_abstract_name_refused(launched: Launched) -> None:
    target = launched.private_names()[0]
    # a name of the front end's form, but not one it bound
    address, close = splice_from_abstract(f"tfprovider-c-{os.urandom(12).hex()}", target)
    try:
        assert private_rpcs(address)["GetMetadata"] == "UNAUTHENTICATED"
    finally:
        close()


@pytest.mark.skipif(not LINUX, reason="abstract socket names are Linux only")
def test_a_released_splice_name_is_not_served(launched: Launched) -> None:
    """Read the peer name of a live splice, wait until it is released, bind it, and call."""
    before = set(_client_names())
    with tls_client(launched, launched.client) as t:
        t.sendall(H2_PREFACE)
        t.recv(9)
        deadline = time.monotonic() + 60  # (waits, not bounds: a loaded machine may take seconds)
        while not (live := set(_client_names()) - before) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live, "the splice's bound name was not seen"
        # while the splice lives, nobody else can bind its name
        taken = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with pytest.raises(OSError):
            taken.bind("\0" + next(iter(live)))
        taken.close()
    name = next(iter(live))
    deadline = time.monotonic() + 60
    while name in _client_names() and time.monotonic() < deadline:
        time.sleep(0.05)
    address, close = splice_from_abstract(name, launched.private_names()[0])
    try:
        assert private_rpcs(address)["GetMetadata"] == "UNAUTHENTICATED"
    finally:
        close()


def _client_names() -> list[str]:
    with open("/proc/net/unix") as f:
        return [line.split()[-1][1:] for line in f if line.split()[-1].startswith("@tfprovider-c-")]


def test_socket_directory_is_private_and_holds_only_the_socket(launched: Launched) -> None:
    d = os.path.dirname(launched.socket_path)
    assert os.stat(d).st_mode & 0o777 == 0o700
    assert os.listdir(d) == ["plugin.sock"]  # the key file used to load ssl is gone


def test_still_alive_and_serving_after_everything(launched: Launched) -> None:
    assert launched.proc.poll() is None
    assert rpc_over_tls(launched, launched.client) == "served:tftest_thing"
