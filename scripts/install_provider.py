#!/usr/bin/env python3
"""Install the provider's launcher where `terraform init` finds it, with no dev_overrides.

By default it goes into the implied local mirror,
  ~/.terraform.d/plugins/registry.terraform.io/sourcegraph/sparkpost/VERSION/OS_ARCH/,
so configurations say `source = "sourcegraph/sparkpost"` exactly as for a published provider.
`--packed DIR` also writes a packed filesystem mirror (one zip per platform) for a team.

The launcher is a static Go program (go-shim/) that execs this interpreter on `-m provider`;
where Go is absent a POSIX shell launcher with the same exec semantics is written instead.
"""

from __future__ import annotations

import argparse
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


def build_go_launcher(out: Path, *, python: str, module: str, pkg_file: str, pythonpath: str, env_name: str) -> bool:
    go = shutil.which("go")
    if not go:
        return False
    ldflags = " ".join(
        f"-X {shlex.quote(f'main.{k}={v}')}"
        for k, v in (("python", python), ("module", module), ("pkgFile", pkg_file), ("pythonPath", pythonpath), ("envName", env_name))
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
    kind = "static Go launcher"
    if args.no_go or not build_go_launcher(tmp, **opts):
        write_shell_launcher(tmp, **opts)
        kind = "POSIX shell launcher (Go not found: install golang-go for the static one)"
    tmp.chmod(0o755)
    os.replace(tmp, dest)  # atomic: a running terraform never sees half a file
    if not args.quiet:
        print(f"installed {args.namespace}/{args.ptype} {version} ({kind})\n  {dest}\n  runs {python} -m {args.module}")

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
