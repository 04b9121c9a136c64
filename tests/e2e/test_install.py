"""Installation paths other than the default: a packed filesystem mirror for a team, the POSIX
launcher where Go is absent, and the launcher's own errors."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from .harness import ROOT, Terraform

CONFIG = ('terraform {\n  required_providers {\n    tftest = { source = "sourcegraph/tftest" }\n  }\n}\n'
          'provider "tftest" { store = "%s" }\nresource "tftest_thing" "a" { name = "x" }\n')


def install(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "install_provider.py"), "--module", "tests.support.testprovider",
                    "--type", "tftest", "--version", "0.0.1", "--pythonpath", str(ROOT), "--quiet", *args],
                   check=True, cwd=ROOT)


def test_packed_filesystem_mirror(tmp_path: Path, terraform_bin: str) -> None:
    packed = tmp_path / "mirror"
    install("--plugins-dir", str(tmp_path / "unused"), "--packed", str(packed))
    [zpath] = list(packed.glob("registry.terraform.io/sourcegraph/tftest/terraform-provider-tftest_0.0.1_*.zip"))
    with zipfile.ZipFile(zpath) as zf:
        [info] = zf.infolist()
        assert info.filename == "terraform-provider-tftest_v0.0.1"
        assert (info.external_attr >> 16) & 0o777 == 0o755
    empty_plugins = tmp_path / "no-plugins"
    empty_plugins.mkdir()
    tf = Terraform(tmp_path / "w", terraform_bin, empty_plugins)
    tf.cli_config.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{packed}"\n  }}\n}}\n')
    tf.write(CONFIG % (tmp_path / "store.json"))
    tf.init()
    assert "sourcegraph/tftest" in (tf.workdir / ".terraform.lock.hcl").read_text()
    tf.apply()
    assert tf.plan()[0].returncode == 0


def test_posix_launcher_without_go(tmp_path: Path, terraform_bin: str) -> None:
    plugins = tmp_path / "plugins"
    install("--plugins-dir", str(plugins), "--no-go")
    [launcher] = list(plugins.glob("registry.terraform.io/sourcegraph/tftest/0.0.1/*/terraform-provider-tftest_v0.0.1"))
    assert launcher.read_text().startswith("#!/bin/sh")
    assert "exec " in launcher.read_text()
    tf = Terraform(tmp_path / "w", terraform_bin, plugins)
    tf.write(CONFIG % (tmp_path / "store.json"))
    tf.init()
    tf.apply()
    assert tf.plan()[0].returncode == 0  # the harness also checks that nothing is left running


def test_launcher_says_clearly_when_python_is_missing(tmp_path: Path) -> None:
    for no_go in (False, True):
        plugins = tmp_path / f"plugins-{no_go}"
        install("--plugins-dir", str(plugins), *(["--no-go"] if no_go else []))
        [launcher] = list(plugins.glob("registry.terraform.io/sourcegraph/tftest/0.0.1/*/terraform-provider-tftest_v0.0.1"))
        env = dict(os.environ, TF_TFTEST_PYTHON="/nonexistent/python3")
        proc = subprocess.run([str(launcher)], capture_output=True, text=True, env=env, timeout=30)
        assert proc.returncode != 0
        assert "/nonexistent/python3" in proc.stderr and "missing" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1  # one clear sentence
