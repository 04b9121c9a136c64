"""Drive the real `terraform` binary the way a user does, one isolated world per test.

Each `Terraform` has its own HOME (with the provider installed in the implied local mirror, as
`make install` does), CLI config, plugin cache and TMPDIR; commands run with TF_IN_AUTOMATION=1
and CHECKPOINT_DISABLE=1, and after every command the harness checks that no provider process
or plugin socket directory was left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_MISSING = (
    "The terraform binary was not found on PATH. The end-to-end tests drive the real Terraform "
    "(1.5 or newer): install it (https://developer.hashicorp.com/terraform/install) and run again."
)


def outside_env(terraform_bin: str | None = None) -> dict[str, str]:
    """This process's environment without the Terraform, SparkPost and Secret Manager settings a
    developer's shell may hold; with ``terraform_bin``, its directory first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "SPARKPOST_", "SECRETMANAGER_"))}
    if terraform_bin:
        env["PATH"] = f"{Path(terraform_bin).parent}:{env.get('PATH', '')}"
    return env


def terraform_binary() -> str | None:
    return os.environ.get("TERRAFORM") or shutil.which("terraform")


def install_providers(plugins_dir: Path) -> None:
    """Install the SparkPost provider and the test-only tftest provider, as `make install` does."""
    py = sys.executable
    script = str(ROOT / "scripts" / "install_provider.py")
    subprocess.run([py, script, "--plugins-dir", str(plugins_dir), "--quiet"], check=True, cwd=ROOT)
    subprocess.run(
        [py, script, "--plugins-dir", str(plugins_dir), "--module", "tests.support.testprovider", "--type", "tftest",
         "--version", "0.0.1", "--pythonpath", str(ROOT), "--quiet"],
        check=True,
        cwd=ROOT,
    )


class TerraformFailed(AssertionError):
    pass


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict[str, Any]]:
        out = []
        for line in self.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def diagnostics(self) -> list[dict[str, Any]]:
        """Diagnostics from a `-json` run."""
        return [e["diagnostic"] for e in self.json_lines() if e.get("type") == "diagnostic"]

    def errors(self) -> list[dict[str, Any]]:
        return [d for d in self.diagnostics() if d.get("severity") == "error"]


@dataclass
class Terraform:
    base: Path
    binary: str
    plugins_src: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    log: list[Result] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.home = self.base / "home"
        self.workdir = self.base / "work"
        self.tmpdir = self.base / "tmp"
        for d in (self.home, self.workdir, self.tmpdir, self.base / "plugin-cache"):
            d.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.plugins_src, self.home / ".terraform.d" / "plugins", dirs_exist_ok=True, symlinks=True)
        self.cli_config = self.base / "terraformrc"
        self.cli_config.write_text(f'plugin_cache_dir = "{self.base / "plugin-cache"}"\n')

    @property
    def env(self) -> dict[str, str]:
        env = outside_env()
        env.update(
            HOME=str(self.home),
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            TF_IN_AUTOMATION="1",
            CHECKPOINT_DISABLE="1",
            TF_INPUT="0",
            TMPDIR=str(self.tmpdir),
        )
        env.update(self.env_extra)
        return env

    def write(self, text: str, name: str = "main.tf") -> None:
        (self.workdir / name).write_text(text)

    def run(self, *args: str, check: bool = True, env: dict[str, str] | None = None, timeout: float = 600) -> Result:
        full_env = self.env
        if env:
            full_env.update(env)
        proc = subprocess.run(
            [self.binary, *args], cwd=self.workdir, env=full_env, capture_output=True, text=True, timeout=timeout
        )
        result = Result(list(args), proc.returncode, proc.stdout, proc.stderr)
        self.log.append(result)
        self.assert_nothing_left_behind()
        if check and proc.returncode != 0:
            raise TerraformFailed(
                f"terraform {' '.join(args)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}"
            )
        return result

    # -- the usual commands

    def init(self) -> Result:
        return self.run("init", "-input=false", "-no-color")

    def apply(self, *extra: str, check: bool = True, env: dict[str, str] | None = None) -> Result:
        return self.run("apply", "-auto-approve", "-input=false", "-no-color", *extra, check=check, env=env)

    def destroy(self, *extra: str, check: bool = True, env: dict[str, str] | None = None) -> Result:
        return self.run("destroy", "-auto-approve", "-input=false", "-no-color", *extra, check=check, env=env)

    def plan(self, *extra: str, check: bool = True, env: dict[str, str] | None = None) -> tuple[Result, dict[str, Any] | None]:
        """Plan into a file and return it as `terraform show -json` sees it."""
        planfile = self.workdir / "tfplan"
        planfile.unlink(missing_ok=True)
        result = self.run("plan", "-input=false", "-no-color", "-detailed-exitcode", f"-out={planfile}", *extra,
                          check=False, env=env)
        if check and result.returncode not in (0, 2):
            raise TerraformFailed(f"plan failed ({result.returncode})\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
        if not planfile.exists():
            return result, None
        shown = self.run("show", "-json", str(planfile))
        return result, json.loads(shown.stdout)

    def plan_json(self, *extra: str) -> Result:
        """`terraform plan -json`: the machine-readable event stream (diagnostics with ranges)."""
        return self.run("plan", "-input=false", "-json", "-detailed-exitcode", *extra, check=False)

    def show(self) -> dict[str, Any]:
        return json.loads(self.run("show", "-json").stdout)

    def state_resources(self) -> dict[str, dict[str, Any]]:
        """Managed resources in state by address, with their attribute values."""
        state = self.show()
        out: dict[str, dict[str, Any]] = {}

        def walk(module: dict[str, Any]) -> None:
            for r in module.get("resources", []):
                out[r["address"]] = r
            for child in module.get("child_modules", []):
                walk(child)

        walk(state.get("values", {}).get("root_module", {}))
        return out

    def assert_nothing_left_behind(self) -> None:
        """No plugin socket directory and no provider process may outlive a command."""
        deadline = time.monotonic() + 5
        while True:
            dirs = sorted(p.name for p in self.tmpdir.glob("tfprovider-*"))
            procs = _processes_in(self.workdir)
            if not dirs and not procs:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"left behind: socket dirs {dirs}, processes {procs}")
            time.sleep(0.1)


def changes(plan: dict[str, Any] | None) -> dict[str, list[str]]:
    """Resource address -> actions, for the resources a plan would change."""
    if not plan:
        return {}
    return {
        rc["address"]: rc["change"]["actions"]
        for rc in plan.get("resource_changes", [])
        if rc["change"]["actions"] != ["no-op"] and rc["change"]["actions"] != ["read"]
    }


def _processes_in(workdir: Path) -> list[str]:
    """Processes whose working directory is this test's (the providers Terraform started), and
    fast-launch zygotes started from it (a zygote works in /, so it is told by its TMPDIR)."""
    found = []
    target = str(workdir)
    tmpdir = f"TMPDIR={workdir.parent / 'tmp'}".encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                raw = f.read()
            if os.readlink(f"/proc/{pid}/cwd") != target:
                if b"\0--zygote\0" not in raw:
                    continue
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if tmpdir not in f.read().split(b"\0"):
                        continue
            cmd = raw.replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    continue  # a zombie already exited; its parent just has not reaped it
        except OSError:
            continue
        found.append(f"{pid}: {cmd.strip()}")
    return found
