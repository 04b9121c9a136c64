"""The release, as a team consumes it: `scripts/release.py` builds the frozen provider and the Go
launcher that Terraform executes (fast launch: docs/fast-launch.md), signs the
checksums and writes a Provider Network Mirror; a local HTTPS server with a throwaway CA serves
that mirror; `terraform init` installs the provider from it, in a clean HOME with no virtualenv,
no PYTHONPATH and no checkout on the way, and the provider then applies against the emulator,
writing a key to the Secret Manager fake, over HTTPS.

The build (PyInstaller, ~25 s) runs once per session; it is kept in build/release-cache/ under a
hash of everything that goes into it, so a rerun on an unchanged tree reuses it. CI starts clean
and builds.
"""

from __future__ import annotations

import datetime
import hashlib
import http.client
import http.server
import importlib.metadata
import ipaddress
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import signal
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from provider.emulator.secretmanager import SecretManagerFake
from provider.emulator.sparkpost import Emulator

from .harness import ROOT, Terraform
from .sparkpost_world import OPERATOR_GRANTS, PROVIDER_BLOCK
from .test_fast_launch import SWITCH, assert_nothing_left_after, launches_from_log, ours, subaccounts, zygotes_of

RELEASE = ROOT / "scripts" / "release.py"
VERSION = re.search(r'VERSION = "([^"]+)"', (ROOT / "provider" / "version.py").read_text()).group(1)
NAME = "terraform-provider-sparkpost"
PLATFORM = "linux_amd64"
ZIP = f"{NAME}_{VERSION}_{PLATFORM}.zip"
EXE = f"{NAME}_v{VERSION}"  # the Go launcher: the file Terraform executes
FROZEN = "sparkpost-provider"  # the frozen provider beside it (PyInstaller's executable)
SCHEMA_CACHE = f"{FROZEN}.schema-cache.json"  # the launcher answers the first launch from it
SERVED_FROM_CACHE = "GetProviderSchema served from the schema cache"
GO = shutil.which("go")  # the release falls back to the frozen provider as EXE without it
MIRROR_PATH = "registry.terraform.io/sourcegraph/sparkpost"
CACHE = ROOT / "build" / "release-cache"

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine != "x86_64",
    reason="the release test builds and runs the linux_amd64 artifact; other platforms build on their own runners",
)


def run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{argv[:3]} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc


# ---------------------------------------------------------------- the build, once per session


def source_key() -> str:
    """A hash of everything the frozen build is made from: the sources, the build script, the
    interpreter and every installed distribution's version."""
    h = hashlib.sha256(sys.version.encode())
    files = sorted([*ROOT.joinpath("provider").rglob("*.py"), *ROOT.joinpath("provider").rglob("*.proto"), RELEASE,
                    ROOT / "scripts" / "frozen_entry.py", ROOT / "scripts" / "install_provider.py",
                    ROOT / "pyproject.toml", *ROOT.joinpath("go-shim").glob("*.go"), ROOT / "go-shim" / "go.mod"])
    h.update(f"go={GO}".encode())
    for path in files:
        h.update(f"{path.relative_to(ROOT)}\0".encode() + path.read_bytes())
    for dist in sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()):
        h.update(dist.encode())
    return h.hexdigest()[:24]


@pytest.fixture(scope="session")
def built_zip() -> Path:
    key = source_key()
    cached = CACHE / key / ZIP
    if not cached.exists():
        if CACHE.exists():
            shutil.rmtree(CACHE)  # keep one build, not one per tree ever tested
        run([sys.executable, str(RELEASE), "build", "--out", str(cached.parent)], cwd=ROOT)
    return cached


@dataclass
class Release:
    out: Path
    mirror: Path
    gnupghome: Path
    key_id: str


def gpg(home: Path, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, GNUPGHOME=str(home))
    return subprocess.run(["gpg", "--batch", *args], input=data, env=env, capture_output=True)


@pytest.fixture(scope="session")
def gpg_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A throwaway signing key, as a release manager's keyring would hold one."""
    if not shutil.which("gpg"):
        pytest.fail("gpg is not installed (Debian: gnupg); the release is signed with it", pytrace=False)
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    params = (b"%no-protection\nKey-Type: RSA\nKey-Length: 2048\nKey-Usage: sign\nName-Real: Release Test\n"
              b"Name-Email: release-test@example.invalid\nExpire-Date: 1d\n%commit\n")
    made = gpg(home, "--gen-key", data=params)
    assert made.returncode == 0, made.stderr.decode()
    listed = gpg(home, "--with-colons", "--list-secret-keys").stdout.decode()
    key_id = re.search(r"^fpr:+([0-9A-F]{40}):", listed, re.M).group(1)
    yield home, key_id
    subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=str(home)), capture_output=True)


def assemble(out: Path, built_zip: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built_zip, out / ZIP)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GPG_", "GNUPGHOME"))}
    return run([sys.executable, str(RELEASE), "assemble", "--out", str(out)], cwd=ROOT, env={**clean, **env})


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory, built_zip: Path, gpg_home: tuple[Path, str]) -> Release:
    home, key_id = gpg_home
    out = tmp_path_factory.mktemp("release")
    assemble(out, built_zip, {"GNUPGHOME": str(home), "GPG_KEY_ID": key_id})
    return Release(out, out / "mirror", home, key_id)


# ---------------------------------------------------------------- HTTPS: a throwaway CA


@dataclass
class TLSFiles:
    ca_pem: Path
    cert_pem: Path
    key_pem: Path


def make_tls(directory: Path) -> TLSFiles:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "release test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = TLSFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    files.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    return files


class MirrorServer:
    """HTTPS on 127.0.0.1: the mirror directory as a static host serves it, and under /sparkpost/
    a reverse proxy to the emulator (SparkPost itself is HTTPS only). Records the paths asked."""

    def __init__(self, root: Path, tls: TLSFiles) -> None:
        self.paths: list[str] = []
        self.upstream: str | None = None
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a: object, **kw: object) -> None:
                super().__init__(*a, directory=str(root), **kw)

            def guess_type(self, path: str | os.PathLike[str]) -> str:
                # The registry's documents have no extension (.../versions, .../download/linux/amd64):
                # a static host is told to serve them as JSON.
                return "application/json" if not Path(path).suffix else super().guess_type(path)

            def log_message(self, *args: object) -> None:
                pass

            def _proxy(self) -> None:
                assert server.upstream
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                host, port = server.upstream.split(":")
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path[len("/sparkpost"):], body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            def do_GET(self) -> None:
                server.paths.append(self.path)
                if self.path.startswith("/sparkpost/"):
                    return self._proxy()
                super().do_GET()

            do_POST = do_PUT = do_DELETE = _proxy

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(tls.cert_pem), str(tls.key_pem))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class CleanTerraform(Terraform):
    """Terraform as on a CI runner that has never seen this project: a clean HOME, a PATH of the
    system directories and terraform's own, no virtualenv, no PYTHON* variable, only the network
    mirror in the CLI configuration, and the throwaway CA trusted (Go reads SSL_CERT_FILE)."""

    @property
    def env(self) -> dict[str, str]:
        env = {
            "PATH": f"{Path(self.binary).parent}:/usr/bin:/bin",
            "HOME": str(self.home),
            "TF_CLI_CONFIG_FILE": str(self.cli_config),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "TF_INPUT": "0",
            "TMPDIR": str(self.tmpdir),
            "LANG": "C.UTF-8",
        }
        env.update(self.env_extra)
        return env


@pytest.fixture
def world(tmp_path: Path, terraform_bin: str, release: Release) -> Iterator[tuple[CleanTerraform, MirrorServer, Emulator,
                                                                                  SecretManagerFake, TLSFiles]]:
    tls = make_tls(tmp_path)
    server = MirrorServer(release.mirror, tls)
    emulator = Emulator(region="us")
    emulator.start(0)
    fake = SecretManagerFake()
    fake.start(0)
    server.upstream = emulator.url.split("://", 1)[1]
    key = secrets.token_hex(20)
    emulator.add_key(key=key, grants=OPERATOR_GRANTS, label="operator")
    empty = tmp_path / "no-plugins"
    empty.mkdir()
    tf = CleanTerraform(tmp_path / "tf", terraform_bin, empty, env_extra={
        "SSL_CERT_FILE": str(tls.ca_pem),          # for terraform (Go) fetching from the mirror
        "REQUESTS_CA_BUNDLE": str(tls.ca_pem),     # for the provider calling SparkPost over HTTPS
        "SPARKPOST_API_KEY": key,
        "SPARKPOST_BASE_URL": f"{server.url}/sparkpost/api/v1",
        "SECRETMANAGER_EMULATOR_HOST": fake.address,
    })
    tf.cli_config.write_text(
        f'plugin_cache_dir = "{tf.base / "plugin-cache"}"\n'
        f'provider_installation {{\n  network_mirror {{\n    url = "{server.url}/"\n  }}\n}}\n')
    try:
        yield tf, server, emulator, fake, tls
    finally:
        server.close()
        emulator.stop()
        fake.stop()


def needs_go_launcher() -> None:
    if not GO:
        pytest.skip("Go is not installed (Debian: golang-go; .ci/run installs it): the release was built without its Go launcher")


def installed_launcher(tf: Terraform) -> Path:
    return (tf.workdir / ".terraform" / "providers" / MIRROR_PATH / VERSION / PLATFORM / EXE).resolve()


def lock_hashes(lock_text: str, source: str = "registry.terraform.io/sourcegraph/sparkpost") -> tuple[str, list[str]]:
    block = re.search(rf'provider "{re.escape(source)}" \{{(.*?)\n\}}', lock_text, re.S)
    assert block, lock_text
    version = re.search(r'version\s*=\s*"([^"]+)"', block.group(1)).group(1)
    return version, re.findall(r'"((?:h1|zh):[^"]+)"', block.group(1))


# ---------------------------------------------------------------- tests


def test_zip_holds_the_go_launcher_and_the_frozen_provider_at_its_root(built_zip: Path) -> None:
    with zipfile.ZipFile(built_zip) as zf:
        infos = zf.infolist()
        launcher = zf.read(EXE)
    names = [i.filename for i in infos]
    root = sorted(n for n in names if "/" not in n)
    for i in infos:
        if i.filename in root:
            assert (i.external_attr >> 16) & 0o777 == (0o644 if i.filename == SCHEMA_CACHE else 0o755), i.filename
    assert all("/" not in n or n.startswith("_internal/") for n in names)
    # Terraform executes the first root file, in name order, named `terraform-provider-TYPE`
    # followed by nothing, "_" or "." (internal/providercache/dir.go): the launcher must be the only one.
    assert [n for n in root if n.startswith(f"{NAME}")] == [EXE]
    if GO:
        assert root == [FROZEN, SCHEMA_CACHE, EXE]
        assert b"\xff Go buildinf:" in launcher  # the Go launcher, not the frozen bootloader
        with zipfile.ZipFile(built_zip) as zf:
            cache = json.loads(zf.read(SCHEMA_CACHE))
        assert cache["python"] == FROZEN and cache["methods"]["/tfplugin6.Provider/GetProviderSchema"]
    else:
        assert root == [EXE]
    # No directory entries: Terraform hashes the unpacked folder's files and the zip's entries
    # alike (h1:), so the two agree only when the zip holds files alone.
    assert not [n for n in names if n.endswith("/")]
    # What the provider needs beyond its own code, each of them reached by the apply below.
    for needed in ("_internal/grpc/_cython/cygrpc.", "_internal/google/_upb/_message.", "_internal/msgpack/",
                   "_internal/cryptography/hazmat/bindings/_rust.", "_internal/certifi/cacert.pem",
                   "_internal/google/cloud/secretmanager_v1/", "_internal/provider/tfplugin/proto/tfplugin6_pb2",
                   "_internal/libpython3"):
        assert any(n.startswith(needed) for n in names), needed
    # The emulator is the tests' referee, never part of the provider.
    assert not [n for n in names if n.startswith("_internal/provider/emulator")]


def test_nothing_in_the_artifact_names_the_checkout_or_its_virtualenv(built_zip: Path) -> None:
    needles = {str(ROOT).encode(), sys.prefix.encode()}
    with zipfile.ZipFile(built_zip) as zf:
        found = [(info.filename, n.decode()) for info in zf.infolist() for n in needles if n in zf.read(info)]
    assert not found


def test_no_library_path_of_the_build_machine(built_zip: Path, tmp_path: Path) -> None:
    """A pyenv or custom-built Python bakes its lib directory into its libraries' RUNPATH; the
    release strips it, so the loader never looks into a Python of the runner's."""
    with zipfile.ZipFile(built_zip) as zf:
        zf.extractall(tmp_path)
    outside = []
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.read_bytes()[:4] == b"\x7fELF":
            dynamic = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True).stdout
            outside += [f"{path.name}: {line.split()[-1]}" for line in dynamic.splitlines()
                        if line.split()[:1] in (["RPATH"], ["RUNPATH"]) and not line.split()[-1].startswith("$ORIGIN")]
    assert not outside, outside[:5]


def test_the_frozen_provider_runs_with_an_empty_environment(built_zip: Path, tmp_path: Path) -> None:
    """No PATH, no HOME, nothing: the executable needs only its own folder; through the launcher
    too, reached through a symbolic link (it finds the provider beside its real path)."""
    with zipfile.ZipFile(built_zip) as zf:
        for info in zf.infolist():
            Path(zf.extract(info, tmp_path / "pkg")).chmod((info.external_attr >> 16) & 0o777)
    (tmp_path / "link").symlink_to(tmp_path / "pkg" / EXE)
    for exe in (str(tmp_path / "pkg" / EXE), str(tmp_path / "link"), *([str(tmp_path / "pkg" / FROZEN)] if GO else [])):
        version = subprocess.run([exe, "--version"], env={}, cwd="/", capture_output=True, text=True, timeout=60)
        assert (version.returncode, version.stdout.strip()) == (0, f"{NAME} {VERSION}"), version.stderr
        by_hand = subprocess.run([exe], env={}, cwd="/", capture_output=True, text=True, timeout=60)
        assert by_hand.returncode == 1 and "not a program to run by hand" in by_hand.stderr
        assert "Traceback" not in by_hand.stderr


def test_without_go_the_frozen_provider_is_the_executable_and_the_build_says_so(
        built_zip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A build machine without Go: `build` ships today's layout (the frozen provider is the file
    Terraform executes, its own launcher) and says so. PyInstaller's output is taken from the
    built zip, less its launcher; the rest of `build` runs, its smoke test of the executable too."""
    needs_go_launcher()
    import importlib.util

    spec = importlib.util.spec_from_file_location("release_script", RELEASE)
    assert spec and spec.loader
    release_script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(release_script)
    frozen = tmp_path / "dist" / FROZEN
    with zipfile.ZipFile(built_zip) as zf:
        for info in zf.infolist():
            if info.filename not in (EXE, SCHEMA_CACHE):
                Path(zf.extract(info, frozen)).chmod((info.external_attr >> 16) & 0o777)
    real_which = shutil.which
    monkeypatch.setattr(release_script.shutil, "which", lambda name, **kw: None if name == "go" else real_which(name, **kw))
    monkeypatch.setattr(release_script, "freeze", lambda ver, work: frozen)
    dest = release_script.build(tmp_path / "out", work=tmp_path / "work")
    assert "Go not found" in capsys.readouterr().err
    with zipfile.ZipFile(dest) as zf:
        root = sorted(n for n in zf.namelist() if "/" not in n)
        executable = zf.read(EXE)
    assert root == [EXE]
    assert b"\xff Go buildinf:" not in executable and executable == (frozen / EXE).read_bytes()


def test_checksums_signature_and_manifest(release: Release) -> None:
    sums = release.out / f"{NAME}_{VERSION}_SHA256SUMS"
    lines = sums.read_text().splitlines()
    listed = {name: digest for digest, name in (line.split("  ") for line in lines)}
    assert set(listed) == {ZIP, f"{NAME}_{VERSION}_manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256((release.out / name).read_bytes()).hexdigest() == digest
    manifest = json.loads((release.out / f"{NAME}_{VERSION}_manifest.json").read_text())
    assert manifest == json.loads((ROOT / "terraform-registry-manifest.json").read_text())
    assert manifest["metadata"]["protocol_versions"] == ["6.0"]

    # The detached signature verifies with the published public key alone, in a fresh keyring.
    sig = sums.with_name(sums.name + ".sig")
    key_asc = release.out / f"{NAME}_{VERSION}_signing-key.asc"
    verifier = release.out.parent / "verifier-gnupg"
    verifier.mkdir(mode=0o700, exist_ok=True)
    assert gpg(verifier, "--import", str(key_asc)).returncode == 0
    good = gpg(verifier, "--status-fd", "1", "--verify", str(sig), str(sums))
    assert good.returncode == 0 and f"VALIDSIG {release.key_id}".encode() in good.stdout, good.stderr.decode()
    assert not sig.read_bytes().startswith(b"-----BEGIN")  # binary, as the registry expects
    tampered = release.out.parent / "tampered-SHA256SUMS"
    tampered.write_text(sums.read_text().replace(lines[0][:8], "00000000", 1))
    assert gpg(verifier, "--verify", str(sig), str(tampered)).returncode != 0
    subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=str(verifier)), capture_output=True)


def test_signing_from_an_armoured_key_in_the_environment(tmp_path: Path, built_zip: Path,
                                                         gpg_home: tuple[Path, str]) -> None:
    home, key_id = gpg_home
    armoured = gpg(home, "--armor", "--export-secret-keys", key_id).stdout.decode()
    assert armoured.startswith("-----BEGIN PGP PRIVATE KEY BLOCK-----")
    done = assemble(tmp_path / "out", built_zip, {"GPG_PRIVATE_KEY": armoured, "GNUPGHOME": str(tmp_path / "absent")})
    sig = tmp_path / "out" / f"{NAME}_{VERSION}_SHA256SUMS.sig"
    assert sig.exists() and key_id in done.stdout
    assert gpg(home, "--verify", str(sig), str(sig.with_suffix(""))).returncode == 0


def test_signing_with_a_passphrase_protected_key(tmp_path: Path, built_zip: Path) -> None:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    passphrase = secrets.token_hex(8)
    params = (f"Key-Type: RSA\nKey-Length: 2048\nKey-Usage: sign\nName-Real: Protected\nPassphrase: {passphrase}\n"
              "Expire-Date: 1d\n%commit\n").encode()
    try:
        assert gpg(home, "--pinentry-mode", "loopback", "--gen-key", data=params).returncode == 0
        armoured = gpg(home, "--pinentry-mode", "loopback", "--passphrase", passphrase, "--armor",
                       "--export-secret-keys").stdout.decode()
        assert "PRIVATE KEY BLOCK" in armoured
        out = tmp_path / "out"
        out.mkdir()
        shutil.copyfile(built_zip, out / ZIP)
        # Without the passphrase: a clear failure, never a prompt (no terminal on a runner).
        without = subprocess.run([sys.executable, str(RELEASE), "assemble", "--out", str(out)], cwd=ROOT,
                                 env={**os.environ, "GPG_PRIVATE_KEY": armoured}, capture_output=True, text=True,
                                 stdin=subprocess.DEVNULL, timeout=120)
        assert without.returncode != 0 and "could not sign" in without.stderr
        done = assemble(out, built_zip, {"GPG_PRIVATE_KEY": armoured, "GPG_PASSPHRASE": passphrase})
        sig = out / f"{NAME}_{VERSION}_SHA256SUMS.sig"
        assert sig.exists() and passphrase not in done.stdout + done.stderr
        assert gpg(home, "--verify", str(sig), str(sig.with_suffix(""))).returncode == 0
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=str(home)), capture_output=True)


def test_without_a_key_the_release_says_it_is_unsigned(tmp_path: Path, built_zip: Path) -> None:
    done = assemble(tmp_path / "out", built_zip, {})
    assert "NOT signed" in done.stderr and "GPG_PRIVATE_KEY" in done.stderr
    assert not list((tmp_path / "out").glob("*.sig"))
    assert (tmp_path / "out" / f"{NAME}_{VERSION}_SHA256SUMS").exists()


def test_mirror_index_and_version_documents(release: Release, built_zip: Path) -> None:
    base = release.mirror / MIRROR_PATH
    assert json.loads((base / "index.json").read_text()) == {"versions": {VERSION: {}}}
    archives = json.loads((base / f"{VERSION}.json").read_text())["archives"]
    assert list(archives) == [PLATFORM]
    entry = archives[PLATFORM]
    assert entry["url"] == ZIP and (base / ZIP).read_bytes() == built_zip.read_bytes()
    assert f"zh:{hashlib.sha256(built_zip.read_bytes()).hexdigest()}" in entry["hashes"]
    assert [h for h in entry["hashes"] if h.startswith("h1:")]


def test_mirror_index_keeps_the_versions_already_published(tmp_path: Path, built_zip: Path) -> None:
    index = tmp_path / "out" / "mirror" / MIRROR_PATH / "index.json"
    index.parent.mkdir(parents=True)
    index.write_text('{"versions": {"0.0.9": {}}}')
    assemble(tmp_path / "out", built_zip, {})
    assert json.loads(index.read_text()) == {"versions": {"0.0.9": {}, VERSION: {}}}


def test_terraform_installs_the_release_from_an_https_network_mirror_and_applies(world, release: Release) -> None:
    tf, server, emulator, fake, _ = world
    secret = "projects/cloud-inst-1/secrets/SPARKPOST_SMTP_KEY"
    tf.write(PROVIDER_BLOCK, "versions.tf")
    tf.write(f"""
resource "sparkpost_subaccount" "s" {{
  name = "released"
  initial_api_key = {{
    label  = "released smtp"
    grants = ["smtp/inject"]
  }}
  initial_api_key_secret_manager = {{
    secret        = "{secret}"
    create_secret = true
  }}
}}
""")
    init = tf.init()
    assert f"Installed sourcegraph/sparkpost v{VERSION}" in init.stdout, init.stdout
    base = f"/{MIRROR_PATH}"
    assert f"{base}/index.json" in server.paths and f"{base}/{VERSION}.json" in server.paths
    assert f"{base}/{ZIP}" in server.paths

    # The lock file holds the hash Terraform computed itself from the unpacked package, and it is
    # the h1: the mirror announced (so the mirror's h1: is right, and the zip and the folder agree).
    version, hashes = lock_hashes((tf.workdir / ".terraform.lock.hcl").read_text())
    announced = json.loads((release.mirror / MIRROR_PATH / f"{VERSION}.json").read_text())["archives"][PLATFORM]["hashes"]
    assert version == VERSION
    assert [h for h in hashes if h.startswith("h1:")] == [h for h in announced if h.startswith("h1:")]
    installed = list((tf.workdir / ".terraform" / "providers" / MIRROR_PATH / VERSION / PLATFORM).iterdir())
    assert sorted(p.name for p in installed) == ["_internal", *([FROZEN, SCHEMA_CACHE] if GO else []), EXE]

    # The frozen provider applies: AutoMTLS (the certificate child), gRPC, msgpack, HTTPS to
    # SparkPost through requests, and the lazily imported Secret Manager client.
    tf.apply()
    [sub] = requests.get(f"{emulator.url}/api/v1/subaccounts", headers={"Authorization": tf.env_extra["SPARKPOST_API_KEY"]},
                         timeout=30).json()["results"]
    assert sub["name"] == "released"
    assert any(p.startswith("/sparkpost/api/v1/subaccounts") for p in server.paths)  # over HTTPS
    [version_info] = fake.versions(secret)
    assert re.fullmatch(r"[0-9a-f]{40}", version_info.text or "")
    result, _ = tf.plan()
    assert result.returncode == 0, result.stdout  # no changes


def test_providers_lock_records_the_h1_hash_of_each_platform_asked(world, release: Release) -> None:
    tf, server, *_ = world
    tf.write(PROVIDER_BLOCK, "versions.tf")
    tf.run("providers", "lock", f"-net-mirror={server.url}/", f"-platform={PLATFORM}")
    _, hashes = lock_hashes((tf.workdir / ".terraform.lock.hcl").read_text())
    announced = json.loads((release.mirror / MIRROR_PATH / f"{VERSION}.json").read_text())["archives"][PLATFORM]["hashes"]
    # Terraform downloads each platform's zip, checks it against the mirror's hashes and records
    # the h1: it computes itself. A mirror is not signed, so its zh: hashes are checked, not
    # recorded (zh: lines come only from a signed registry): one h1: per platform asked.
    assert hashes == [h for h in announced if h.startswith("h1:")]


def test_the_frozen_provider_touches_no_python_outside_itself(world, tmp_path: Path) -> None:
    """Under strace, a whole plan and apply: no file of the checkout, of its virtualenv or of any
    Python installation is opened, stat'ed or executed by the provider or its children (the
    launcher, the zygote and the zygote's children included)."""
    strace = shutil.which("strace")
    if not strace:
        pytest.skip("strace is not installed (Debian: strace; .ci/run installs it): the file-access check needs it")
    tf, *_ = world
    tf.write(PROVIDER_BLOCK, "versions.tf")
    tf.write('resource "sparkpost_subaccount" "s" {\n  name = "traced"\n}\n')
    tf.init()
    probe = subprocess.run([strace, "-f", "-o", "/dev/null", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"strace cannot trace here: {probe.stderr.strip()[:200]}")
    log = tmp_path / "strace.log"
    traced = tf.binary
    tf.binary = strace
    try:
        tf.run("-f", "-qq", "-e", "trace=%file,%process", "-o", str(log), traced, "apply", "-auto-approve",
               "-input=false", "-no-color")
    finally:
        tf.binary = traced
    text = log.read_text()
    assert EXE in text  # the provider really ran under the trace
    if GO:  # the launcher ran the frozen provider, cold and as the zygote, both under the trace
        assert re.search(rf'execve\("[^"]*/{FROZEN}", \[[^\]]*\]', text)
        assert re.search(rf'execve\("[^"]*/{FROZEN}", \[[^\]]*"--zygote"', text)
    forbidden = {str(ROOT), os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix), "/usr/lib/python3",
                 "/usr/local/lib/python3"}
    touched = sorted({m for m in re.findall(r'"(/[^"]*)"', text) if any(m == f or m.startswith(f.rstrip("/") + "/") for f in forbidden)})
    assert not touched, touched[:20]


def test_terraform_installs_the_release_from_a_static_registry_with_its_signature(tmp_path: Path, terraform_bin: str,
                                                                                 release: Release) -> None:
    """The Provider Registry Protocol as static files on a host of its own: Terraform checks the
    signature of SHA256SUMS against the published key, and records every platform's zh: hash."""
    tls = make_tls(tmp_path)
    server = MirrorServer(release.out / "registry", tls)
    try:
        source = f"localhost:{server.httpd.server_address[1]}/sourcegraph/sparkpost"
        empty = tmp_path / "no-plugins"
        empty.mkdir()
        tf = CleanTerraform(tmp_path / "tf", terraform_bin, empty, env_extra={"SSL_CERT_FILE": str(tls.ca_pem)})
        tf.cli_config.write_text("")  # direct installation from the source's own host
        tf.write(f'terraform {{\n  required_providers {{\n    sparkpost = {{ source = "{source}" }}\n  }}\n}}\n'
                 'provider "sparkpost" {\n  api_key = "unused"\n}\n')
        init = tf.init()
        long_id = release.key_id[-16:]
        assert f"self-signed, key ID {long_id}" in init.stdout, init.stdout
        assert "/.well-known/terraform.json" in server.paths
        _, hashes = lock_hashes((tf.workdir / ".terraform.lock.hcl").read_text(), source)
        sha = hashlib.sha256((release.out / ZIP).read_bytes()).hexdigest()
        announced = json.loads((release.mirror / MIRROR_PATH / f"{VERSION}.json").read_text())["archives"][PLATFORM]["hashes"]
        assert f"zh:{sha}" in hashes  # from the signed SHA256SUMS: every platform it lists
        assert [h for h in hashes if h.startswith("h1:")] == [h for h in announced if h.startswith("h1:")]
        tf.run("validate", "-no-color")  # the installed provider runs (its schema)
    finally:
        server.close()


# ---------------------------------------------------------------- the fast launch, released


def watch_zygotes(tf: Terraform) -> tuple[dict[int, list[str]], threading.Event, threading.Thread]:
    """Every zygote of this world seen while the watch runs: its command line."""
    seen: dict[int, list[str]] = {}
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for pid in zygotes_of(tf):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        seen.setdefault(pid, [a.decode() for a in f.read().split(b"\0")[:-1]])
                except OSError:
                    pass
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return seen, stop, thread


def exe_name(pid: int) -> str:
    try:
        return Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:
        return "?"


def traced(tf: Terraform, tmp_path: Path) -> Path:
    log = tmp_path / "terraform-trace.log"
    tf.env_extra.update(TF_LOG="trace", TF_LOG_PATH=str(log))
    return log


def test_a_plan_with_the_release_is_served_by_warm_launches(world, tmp_path: Path) -> None:
    """The Go launcher serves the release's launches from a zygote of the frozen provider; the
    frozen provider never starts a zygote of its own (its Python warm client stays out)."""
    needs_go_launcher()
    tf, *_ = world
    tf.write(PROVIDER_BLOCK, "versions.tf")
    tf.write(subaccounts(2))
    tf.init()
    tf.apply()
    log = traced(tf, tmp_path)
    seen, stop, watcher = watch_zygotes(tf)
    try:
        result = tf.run("plan", "-input=false", "-no-color", "-detailed-exitcode", check=False)
    finally:
        stop.set()
        watcher.join()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = log.read_text(errors="replace")
    launches, warm = launches_from_log(text)
    assert launches == 3, launches
    assert warm >= 1  # the first launch starts the zygote; the second may find it still importing
    assert text.count(SERVED_FROM_CACHE) == 1  # the first launch: the schema, from the release's cache
    # One zygote (its forked children share its command line): the frozen provider, started by the
    # Go launcher and bound to it (LAUNCHER is the launcher's real path; a zygote of the frozen
    # provider's own Python client would name the frozen provider).
    commands = {tuple(argv) for argv in seen.values()}
    assert len(commands) == 1, commands
    [argv] = commands
    assert Path(argv[0]).name == FROZEN and argv[1] == "--zygote" and argv[-1] == str(installed_launcher(tf)), argv
    assert not zygotes_of(tf)  # ended with terraform


def test_the_switch_makes_every_launch_of_the_release_cold(world, tmp_path: Path) -> None:
    needs_go_launcher()
    tf, *_ = world
    tf.write(PROVIDER_BLOCK, "versions.tf")
    tf.write(subaccounts(2))
    tf.init()
    log = traced(tf, tmp_path)
    seen, stop, watcher = watch_zygotes(tf)
    try:
        tf.apply(env={SWITCH: "0"})
        result = tf.run("plan", "-input=false", "-no-color", "-detailed-exitcode", env={SWITCH: "off"}, check=False)
    finally:
        stop.set()
        watcher.join()
    assert result.returncode == 0, result.stdout[-3000:]
    assert not seen
    text = log.read_text(errors="replace")
    launches, warm = launches_from_log(text)
    assert launches == 7 and warm == 0  # apply 4, plan 3: every one cold
    assert SERVED_FROM_CACHE not in text


def test_terraform_killed_mid_apply_leaves_nothing_of_the_release_after_a_second(world) -> None:
    needs_go_launcher()
    tf, server, emulator, *_ = world
    tf.write(PROVIDER_BLOCK, "versions.tf")
    tf.write(subaccounts(6))
    tf.init()
    # Every subaccount request is held in the emulator until the faults change: the apply is
    # mid-flight, its creates at SparkPost, for as long as the test needs (a 1.5 s latency and a
    # 0.5 s sleep were a guess a loaded machine could miss).
    emulator.set_faults(hold=True, routes=["subaccounts"])
    proc = subprocess.Popen([tf.binary, "apply", "-auto-approve", "-input=false", "-no-color"], cwd=tf.workdir,
                            env=tf.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (zygotes_of(tf) and any("/subaccounts" in r for r in emulator.request_log()["in_flight_by_route"])):
            assert time.monotonic() < deadline and proc.poll() is None, "no create reached SparkPost with a zygote up"
            time.sleep(0.05)
        before = ours(tf)
        names = {exe_name(pid) for pid in before}
        assert len(before) >= 3 and {EXE, FROZEN} <= names, (before, names)  # launcher, zygote, its child
        proc.send_signal(signal.SIGKILL)
        assert_nothing_left_after(proc, tf)
    finally:
        if proc.poll() is None:
            proc.kill()
        emulator.clear_faults()
