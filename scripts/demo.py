#!/usr/bin/env python3
"""`make demo`: the managed-SMTP example applied for three Cloud instances against the local
SparkPost emulator and Secret Manager fake, the way an operator runs it against the real ones.

It installs the provider into the local mirror, starts both servers on free local ports (the
emulator seeded with an operator key holding exactly our users' three grants, stored in the fake
Secret Manager where the example's provider block reads it), runs terraform init and apply,
prints the SMTP settings, shows that the next plan is empty, renames one subaccount outside
Terraform and shows the drift plan, seeds an hour of deliverability metrics and ends with the
deliverability check (`sparkpost-smtp-check`) over the instances, and stops everything it
started, on Ctrl-C and failure too.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OPERATOR_GRANTS = ["metrics/view", "subaccount/manage", "sending_domains/manage"]
OPERATOR_SECRET = "projects/sourcegraph-secrets/secrets/SPARKPOST_API_KEY"
# An hour of traffic per instance for the deliverability check: (sent, bounces, hard bounces,
# spam complaints). acme is healthy, globex bounces too much (warning), initech draws spam
# complaints (critical).
DEMO_TRAFFIC = {"acme": (1200, 12, 3, 0), "globex": (800, 56, 8, 0), "initech": (2000, 30, 6, 9)}
INSTANCES = {
    "acme": {"project": "cloud-acme-prod"},
    "globex": {"project": "cloud-globex-prod", "sending_domain": "mail.globex.example"},
    "initech": {"project": "cloud-initech-prod"},
}

BOLD, DIM, GREEN, YELLOW, RED, RESET = ("\033[1m", "\033[2m", "\033[32m", "\033[33m", "\033[31m", "\033[0m") \
    if sys.stdout.isatty() else ("",) * 6


def step(text: str) -> None:
    print(f"\n{BOLD}==> {text}{RESET}", flush=True)


def note(text: str) -> None:
    print(f"    {text}", flush=True)


class DemoFailed(Exception):
    pass


class Servers:
    """The emulator and the Secret Manager fake, as child processes stopped on every way out."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[subprocess.Popen[str]] = []

    def _start(self, name: str, args: list[str]) -> str:
        log = open(self.workdir / f"{name}.log", "w")
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True, cwd=self.workdir,
                                start_new_session=True)  # our Ctrl-C handling stops it, not the tty
        self.procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise DemoFailed(f"{name} did not start; see {self.workdir / (name + '.log')}")
        return line.removeprefix("listening on ")

    def start(self, operator_key: str) -> tuple[str, str]:
        seed = self.workdir / "emulator-seed.json"
        seed.write_text(json.dumps({"keys": [{"key": operator_key, "label": "operator", "grants": OPERATOR_GRANTS}]}))
        py = sys.executable
        url = self._start("sparkpost-emulator", [py, "-m", "provider.emulator", "--port", "0", "--seed", str(seed),
                                                 "--state", str(self.workdir / "emulator-state.json")])
        sm = self._start("secret-manager", [py, "-m", "provider.emulator.secretmanager", "--port", "0"])
        return url, sm

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()


def terraform(workdir: Path, env: dict[str, str], *args: str, stream: bool = True, ok: tuple[int, ...] = (0,)) -> tuple[int, str]:
    proc = subprocess.Popen(["terraform", *args], cwd=workdir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        out.append(line)
        if stream and line.strip():
            print(f"    {DIM}│{RESET} {line.rstrip()}", flush=True)
    code = proc.wait()
    if code not in ok:
        if not stream:
            print("".join(out[-60:]))
        raise DemoFailed(f"terraform {' '.join(args)} exited {code}")
    return code, "".join(out)


def run(args: argparse.Namespace) -> None:
    if not shutil.which("terraform"):
        raise DemoFailed("terraform is not on PATH: install Terraform 1.5 or newer first")
    base = Path(args.dir).resolve()
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    work = base / "examples" / "cloud-instances"
    shutil.copytree(ROOT / "examples" / "cloud-instances", work)
    shutil.copytree(ROOT / "examples" / "modules", base / "examples" / "modules")
    (work / "terraform.tfvars.json").write_text(json.dumps({"instances": INSTANCES}, indent=2))

    step("Installing the provider into the local mirror (~/.terraform.d/plugins)")
    from scripts.install_provider import main as install

    install([])

    servers = Servers(base)
    try:
        step("Starting the SparkPost emulator and the Secret Manager fake on free local ports")
        operator_key = secrets.token_hex(20)
        url, sm = servers.start(operator_key)
        note(f"SparkPost emulator:  {url}  (operator key grants: {', '.join(OPERATOR_GRANTS)})")
        note(f"Secret Manager fake: {sm}")
        os.environ["SECRETMANAGER_EMULATOR_HOST"] = sm
        from provider.secrets import SecretStore

        SecretStore().write(OPERATOR_SECRET, operator_key, create=True)
        note(f"operator key stored in {OPERATOR_SECRET} (the provider reads it from there)")

        (base / "terraformrc").write_text("# the demo's own CLI configuration: nothing from ~/.terraformrc\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "SPARKPOST_"))}
        env.update(SPARKPOST_BASE_URL=url, SECRETMANAGER_EMULATOR_HOST=sm, TF_IN_AUTOMATION="1",
                   CHECKPOINT_DISABLE="1", TF_INPUT="0", TF_CLI_CONFIG_FILE=str(base / "terraformrc"))

        step(f"terraform init  ({work.relative_to(ROOT) if work.is_relative_to(ROOT) else work})")
        terraform(work, env, "init", "-input=false", "-no-color")

        step(f"terraform apply: managed SMTP for {len(INSTANCES)} instances ({', '.join(INSTANCES)})")
        started = time.monotonic()
        terraform(work, env, "apply", "-auto-approve", "-input=false", "-no-color")
        note(f"{GREEN}applied in {time.monotonic() - started:.1f} s{RESET}")

        step("SMTP settings per instance (site config email.smtp; the password is a Secret Manager version)")
        _, out = terraform(work, env, "output", "-json", "smtp", stream=False)
        smtp: dict[str, Any] = json.loads(out)
        for customer, s in smtp.items():
            e = s["email_smtp"]
            print(f"    {BOLD}{customer}{RESET}  subaccount {s['subaccount_id']}  sender {s['default_sender']}")
            print(f"      host {e['host']}:{e['port']}  user {e['username']}  auth {e['authentication']}")
            print(f"      password from {e['password']}")
            for _rid, r in sorted((s.get("dns_records") or {}).items()):
                print(f"      DNS {r['type']:<5} {r['name']} -> {r['value'][:60]}{'…' if len(r['value']) > 60 else ''}")

        step("terraform plan again: nothing should change")
        code, _ = terraform(work, env, "plan", "-detailed-exitcode", "-input=false", "-no-color", ok=(0, 2), stream=False)
        if code != 0:
            raise DemoFailed("the plan after apply is not empty")
        note(f"{GREEN}no changes: the infrastructure matches the configuration{RESET}")

        step("Someone renames acme's subaccount in SparkPost, outside Terraform")
        import requests

        sub_id = smtp["acme"]["subaccount_id"]
        r = requests.put(f"{url}/api/v1/subaccounts/{sub_id}", json={"name": "renamed-by-hand"},
                         headers={"Authorization": operator_key}, timeout=30)
        r.raise_for_status()
        note(f"PUT /api/v1/subaccounts/{sub_id} {{\"name\": \"renamed-by-hand\"}} -> {r.status_code}")

        step("terraform plan -detailed-exitcode: the drift shows as an in-place update")
        code, out = terraform(work, env, "plan", "-detailed-exitcode", "-input=false", "-no-color", ok=(0, 2))
        if code != 2:
            raise DemoFailed("the drift was not detected")
        note(f"{YELLOW}exit code 2: drift detected{RESET} (a scheduled plan would alert here; apply puts it back)")

        step("Seeding an hour of deliverability metrics into the emulator (POST /__emulator/metrics)")
        hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        for customer, (sent, bounces, hard, spam) in DEMO_TRAFFIC.items():
            row = {"subaccount_id": int(smtp[customer]["subaccount_id"]), "ts": hour_ago,
                   "count_targeted": sent, "count_sent": sent, "count_accepted": sent - bounces,
                   "count_delivered": sent - bounces, "count_bounce": bounces, "count_hard_bounce": hard,
                   "count_soft_bounce": bounces - hard, "count_spam_complaint": spam}
            requests.post(f"{url}/__emulator/metrics", json=row, timeout=30).raise_for_status()
            note(f"{customer}: {sent} sent, {bounces} bounced ({hard} hard), {spam} spam complaints")

        step("sparkpost-smtp-check over the demo's instances (names from terraform output -json)")
        _, tf_out = terraform(work, env, "output", "-json", stream=False)
        check = subprocess.run([sys.executable, "-m", "provider.commands.smtp_check", "--terraform-output", "-"],
                               input=tf_out, capture_output=True, text=True, timeout=300, cwd=ROOT,
                               env={**env, "SPARKPOST_API_KEY": operator_key})
        for line in check.stdout.splitlines():
            print(f"    {DIM}│{RESET} {line}", flush=True)
        if check.returncode not in (0, 1, 2):
            raise DemoFailed(f"the deliverability check could not check: {check.stderr.strip()}")
        verdict = {0: f"{GREEN}healthy", 1: f"{YELLOW}warning", 2: f"{RED}critical"}[check.returncode]
        note(f"exit code {check.returncode}: {verdict}{RESET} (a cron job or monitor alerts on 1 and 2; 3 = could not check)")
        print(f"\n{GREEN}{BOLD}Demo complete.{RESET} Files are in {base}; the servers are stopped.")
    finally:
        servers.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=str(ROOT / ".demo"), help="working directory (default: %(default)s)")
    args = parser.parse_args(argv)

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        run(args)
    except KeyboardInterrupt:
        print(f"\n{RED}interrupted: servers stopped{RESET}", file=sys.stderr)
        return 130
    except DemoFailed as err:
        print(f"\n{RED}demo failed: {err}{RESET}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
