#!/usr/bin/env python3
"""Install the provider's launcher where `terraform init` finds it, with no dev_overrides.

By default it goes into the implied local mirror,
  ~/.terraform.d/plugins/registry.terraform.io/sourcegraph/sparkpost/VERSION/OS_ARCH/,
so configurations say `source = "sourcegraph/sparkpost"` exactly as for a published provider.
`--packed DIR` also writes a packed filesystem mirror (one zip per platform) for a team.

The launcher is a static Go program (go-shim/) that execs this interpreter on `-m provider`;
where Go is absent a POSIX shell launcher with the same exec semantics is written instead.
With the Go launcher, the provider's serialized schema is cached (`--schema-cache`) for the
first launch of each Terraform command, which the launcher answers without Python. The cache
lives outside the provider's package directory: Terraform's lock-file hash covers every file
in that directory, and the cache changes whenever the provider's sources do.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "registry.terraform.io"


def _version() -> str:
    sys.path.insert(0, str(ROOT))
    from provider.version import VERSION

    return VERSION


def target_platform() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{sys.platform if sys.platform != 'linux' else 'linux'}_{arch}"


def build_go_launcher(out: Path, *, python: str, module: str, pkg_file: str, pythonpath: str, env_name: str,
                      schema_cache: str = "") -> bool:
    go = shutil.which("go")
    if not go:
        return False
    ldflags = " ".join(
        f"-X {shlex.quote(f'main.{k}={v}')}"
        for k, v in (("python", python), ("module", module), ("pkgFile", pkg_file), ("pythonPath", pythonpath), ("envName", env_name),
                     ("schemaCache", schema_cache))
    )
    env = dict(os.environ, CGO_ENABLED="0")
    env.setdefault("GOCACHE", str(Path(tempfile.gettempdir()) / "tfprovider-gocache"))
    env.setdefault("GOFLAGS", "-mod=mod")
    result = subprocess.run(
        [go, "build", "-trimpath", "-ldflags", f"-s -w {ldflags}", "-o", str(out), "."],
        cwd=ROOT / "go-shim",
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        print(f"go build failed, falling back to the shell launcher:\n{result.stderr.strip()}", file=sys.stderr)
        return False
    return True


# Run by the provider's interpreter: the provider writes its serialized GetProviderSchema
# response (`--write-schema-cache`), then the sources it was made from are stamped (size, mtime
# in ns): every module it loaded from the module's top-level package and, when that is not
# installed in site-packages (an editable install, or a test provider on --pythonpath), from
# every top-level package loaded from the same directory. A change that can change the schema
# changes one of those files (a new module is only loaded by an edited one). The interpreter is
# stamped too (a rebuilt virtualenv is another provider).
SCHEMA_SNIPPET = r"""
import json, os, runpy, site, sys
module, out = sys.argv[1], sys.argv[2]
sys.argv = [module, "--write-schema-cache", out]
try:
    runpy.run_module(module, run_name="__main__", alter_sys=True)
except SystemExit as e:
    if e.code not in (0, None):
        raise
top = module.split(".")[0]
root = os.path.dirname(os.path.dirname(os.path.abspath(sys.modules[top].__file__)))
site_dirs = {os.path.abspath(d) for d in site.getsitepackages() + [site.getusersitepackages()]}
tops = {top}
if root not in site_dirs:
    for name, mod in list(sys.modules.items()):
        f = getattr(mod, "__file__", None)
        if "." not in name and f and os.path.basename(f) == "__init__.py" and os.path.dirname(os.path.dirname(os.path.abspath(f))) == root:
            tops.add(name)
import importlib.util
main_spec = importlib.util.find_spec(module)
if main_spec is not None and main_spec.submodule_search_locations is not None:
    main_spec = importlib.util.find_spec(module + ".__main__")  # runpy ran it, then unlisted it
paths = [sys.executable] + ([os.path.abspath(main_spec.origin)] if main_spec and main_spec.origin else [])
for name, mod in sorted(sys.modules.items()):
    f = getattr(mod, "__file__", None)
    if name.split(".")[0] in tops and f and f.endswith(".py"):
        paths.append(os.path.abspath(f))
stamps = []
for p in paths:
    st = os.stat(p)
    stamps.append({"path": p, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
print(json.dumps(stamps))
"""


def write_schema_cache(path: Path, *, python: str, module: str, pythonpath: str) -> str | None:
    """Write the schema cache the Go launcher serves launch 1 from; the reason when it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_name(f".{path.name}.schema.tmp")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    try:
        result = subprocess.run([python, "-s", "-P", "-c", SCHEMA_SNIPPET, module, str(raw)], capture_output=True, text=True,
                                env=env, cwd=tempfile.gettempdir(), timeout=120)
        if result.returncode != 0:
            return f"the provider could not write its schema: {result.stderr.strip()[-500:]}"
        stamps = json.loads(result.stdout.strip().splitlines()[-1])
        # The interpreter's path as the launcher was given it (it compares the path, not the real path),
        # stamped as the launcher will stat it: the same file for a virtualenv's python, and the
        # wrapper's own stamp for an interpreter that is a wrapper script (scripts/bench-scale's).
        st = os.stat(python)
        stamps[0].update(path=python, size=st.st_size, mtime_ns=st.st_mtime_ns)
        cache = {"v": 1, "python": python, "module": module, "pythonpath": pythonpath, "files": stamps,
                 "methods": {"/tfplugin6.Provider/GetProviderSchema": base64.b64encode(raw.read_bytes()).decode()}}
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired) as e:
        return f"the schema cache could not be made: {e}"
    finally:
        raw.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(cache))
    os.replace(tmp, path)
    return None


def write_shell_launcher(out: Path, *, python: str, module: str, pkg_file: str, pythonpath: str, env_name: str) -> None:
    pp = f"PYTHONPATH={shlex.quote(pythonpath)}\nexport PYTHONPATH\n" if pythonpath else "unset PYTHONPATH\n"
    out.write_text(
        f"""#!/bin/sh
# terraform-provider launcher (POSIX fallback; `make install` with Go builds a static one).
# It execs Python so that Terraform's signals reach the provider and nothing is left behind.
py="${{{env_name}:-{python}}}"
if [ ! -x "$py" ]; then
  echo "terraform-provider-sparkpost launcher: Python interpreter $py is missing; run 'make install' again or set {env_name}." >&2
  exit 1
fi
if [ -z "${{{env_name}:-}}" ] && [ ! -e {shlex.quote(pkg_file)} ]; then
  echo "terraform-provider-sparkpost launcher: the provider package is not installed for $py; run 'make install' again." >&2
  exit 1
fi
unset PYTHONHOME
{pp}exec "$py" -s -P -m {module} "$@"
"""
    )
    out.chmod(0o755)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plugins-dir", default=str(Path.home() / ".terraform.d" / "plugins"),
                        help="implied local mirror directory (default: %(default)s)")
    parser.add_argument("--packed", metavar="DIR", help="also write a packed filesystem_mirror zip into DIR")
    parser.add_argument("--python", default=sys.executable, help="interpreter the launcher runs (default: this one)")
    parser.add_argument("--module", default="provider", help="module run with -m (default: %(default)s)")
    parser.add_argument("--namespace", default="sourcegraph")
    parser.add_argument("--type", default="sparkpost", dest="ptype")
    parser.add_argument("--version", default=None, help="provider version (default: provider.version.VERSION)")
    parser.add_argument("--pythonpath", default="", help="extra import path for the launcher (tests only)")
    parser.add_argument("--no-go", action="store_true", help="write the POSIX shell launcher even if Go is present")
    parser.add_argument("--schema-cache", metavar="PATH",
                        help="where the Go launcher's schema cache goes (default: PLUGINS_DIR/../provider-schema-cache/...)")
    parser.add_argument("--no-schema-cache", action="store_true", help="no schema cache: every first launch starts Python")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    version = args.version or _version()
    python = os.path.abspath(args.python)
    if not os.access(python, os.X_OK):
        parser.error(f"--python {python} is not an executable interpreter")
    found = subprocess.run(
        [python, "-c", f"import importlib.util as u, sys; s = u.find_spec({args.module.split('.')[0]!r}); print(s.origin if s else '')"],
        capture_output=True, text=True, cwd=tempfile.gettempdir(),
        env=dict(os.environ, PYTHONPATH=args.pythonpath) if args.pythonpath else None,
    )
    pkg_file = found.stdout.strip()
    if not pkg_file:
        parser.error(f"module {args.module!r} is not importable by {python}; run `pip install -e .` first")

    plat = target_platform()
    binary = f"terraform-provider-{args.ptype}_v{version}"
    dest_dir = Path(args.plugins_dir) / HOST / args.namespace / args.ptype / version / plat
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / binary
    tmp = dest_dir / f".{binary}.tmp"
    opts = dict(python=python, module=args.module, pkg_file=pkg_file, pythonpath=args.pythonpath,
                env_name=f"TF_{args.ptype.upper()}_PYTHON")
    cache = None
    if not args.no_schema_cache:
        cache = Path(args.schema_cache).resolve() if args.schema_cache else (
            Path(args.plugins_dir).resolve().parent / "provider-schema-cache" / f"{HOST}-{args.namespace}-{args.ptype}-{version}-{plat}.json")
    kind = "static Go launcher"
    if args.no_go or not build_go_launcher(tmp, **opts, schema_cache=str(cache or "")):
        write_shell_launcher(tmp, **opts)
        kind = "POSIX shell launcher (Go not found: install golang-go for the static one)"
        cache = None
    if cache:
        problem = write_schema_cache(cache, python=python, module=args.module, pythonpath=args.pythonpath)
        if problem:
            print(f"schema cache not written (the first launch of each command starts Python): {problem}", file=sys.stderr)
            cache.unlink(missing_ok=True)  # an older one must not outlive the install it described
            cache = None
    tmp.chmod(0o755)
    os.replace(tmp, dest)  # atomic: a running terraform never sees half a file
    if not args.quiet:
        print(f"installed {args.namespace}/{args.ptype} {version} ({kind})\n  {dest}\n  runs {python} -m {args.module}")
        if cache:
            print(f"  schema cache for the first launch: {cache}")

    if args.packed:
        zdir = Path(args.packed) / HOST / args.namespace / args.ptype
        zdir.mkdir(parents=True, exist_ok=True)
        zpath = zdir / f"terraform-provider-{args.ptype}_{version}_{plat}.zip"
        info = zipfile.ZipInfo(binary, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = (0o100755 << 16)  # executable inside the zip, as Terraform expects
        info.compress_type = zipfile.ZIP_DEFLATED
        with zipfile.ZipFile(zpath, "w") as zf:
            zf.writestr(info, dest.read_bytes())
        if not args.quiet:
            print(f"packed mirror: {zpath}\n  use it with provider_installation {{ filesystem_mirror {{ path = \"{Path(args.packed).resolve()}\" }} }}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
