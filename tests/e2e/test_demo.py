"""`make demo` works from a clean HOME: it installs, applies three instances, shows an empty
re-plan and the drift plan, and stops everything it started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .harness import ROOT, _processes_in, outside_env


def test_demo_runs_end_to_end(tmp_path: Path, terraform_bin: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = outside_env(terraform_bin)
    env["HOME"] = str(home)
    demo_dir = tmp_path / "demo"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--dir", str(demo_dir)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    out = proc.stdout
    assert "noreply+acme@cloud.sourcegraph.com" in out
    assert "host smtp.sparkpostmail.com:587  user SMTP_Injection  auth PLAIN" in out
    assert "password from projects/cloud-acme-prod/secrets/" in out
    assert "no changes: the infrastructure matches the configuration" in out
    assert "exit code 2: drift detected" in out
    assert "Demo complete." in out
    # it ends with the deliverability check over the three instances, one per verdict
    table = out[out.index("sparkpost-smtp-check over the demo's instances"):]
    rows = {line.split()[1]: line.split()[-1] for line in table.splitlines()
            if line.strip().startswith("│ ") and line.split()[1] in ("acme", "globex", "initech")}
    assert rows == {"acme": "OK", "globex": "WARNING", "initech": "CRITICAL"}
    assert "exit code 2: critical" in out
    # installed where terraform init finds it, with no dev_overrides
    assert list(home.glob(".terraform.d/plugins/registry.terraform.io/sourcegraph/sparkpost/*/*/terraform-provider-sparkpost_v*"))
    assert (demo_dir / "examples" / "cloud-instances" / ".terraform.lock.hcl").exists()
    # the servers it started are gone
    assert not _processes_in(demo_dir)
    leftovers = subprocess.run(["pgrep", "-f", str(demo_dir)], capture_output=True, text=True).stdout.split()
    assert leftovers == []
