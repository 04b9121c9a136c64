"""scripts/import-existing and scripts/find-orphans given bad arguments or environment: one line
naming the problem and a failing exit status, never a Python traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provider.emulator.sparkpost import Emulator

from .conftest import OPERATOR_KEY, ROOT


def script(name: str, args: list[str], emu: Emulator | None, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SPARKPOST_") and k != "TERRAFORM"}
    clean.update(SPARKPOST_API_KEY=OPERATOR_KEY, SPARKPOST_BASE_URL=emu.url if emu else "http://127.0.0.1:9")
    clean.update(env)
    return subprocess.run([sys.executable, str(ROOT / "scripts" / name), *args], capture_output=True, text=True,
                          cwd=ROOT, env=clean, timeout=120)


@pytest.fixture
def instances(tmp_path: Path) -> Path:
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({"instances": {"acme": {"project": "p"}}}))
    return path


@pytest.mark.parametrize("flag,template,said", [
    ("--name-format", "cloud-{customer}-{region}", "KeyError: 'region'"),
    ("--name-format", "cloud-{customer}{", "Single '{'"),
    ("--module-address", 'module.m["{customer}"]{0}', "IndexError"),
])
def test_import_existing_refuses_a_template_with_other_fields_before_any_call(
        flag: str, template: str, said: str, instances: Path, emu: Emulator) -> None:
    proc = script("import_existing.py", ["--instances", str(instances), flag, template], emu)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{flag} {template!r} is not a template" in proc.stderr and said in proc.stderr
    assert emu.request_log()["total"] == 0  # refused before listing anything


@pytest.mark.parametrize("body", ['[{"instances": {}}]', '"instances"', "null"])
def test_import_existing_refuses_instances_json_that_is_not_an_object(body: str, tmp_path: Path) -> None:
    path = tmp_path / "instances.json"
    path.write_text(body)
    proc = script("import_existing.py", ["--instances", str(path)], None)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert 'expected a JSON object with "instances" in it' in proc.stderr


@pytest.mark.parametrize("args,env,said", [
    (["--base-url", "api.sparkpost.com"], {}, "base_url must be an absolute http(s) URL"),
    ([], {"SPARKPOST_BASE_URL": "", "SPARKPOST_REGION": "EU"}, "region must be one of ['eu', 'us'], got 'EU'"),
])
def test_import_existing_bad_endpoint_settings_are_one_line(args: list[str], env: dict[str, str], said: str,
                                                            instances: Path) -> None:
    proc = script("import_existing.py", ["--instances", str(instances), *args], None, **env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith(f"import-existing: {said}") and len(proc.stderr.strip().splitlines()) == 1


def test_import_existing_write_to_an_unwritable_place_is_an_error_not_a_traceback(
        instances: Path, tmp_path: Path, emu: Emulator) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = script("import_existing.py", ["--instances", str(instances), "--out", str(blocker / "sub"), "--write"], emu)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "import-existing: cannot write the files:" in proc.stderr
    assert json.loads(instances.read_text()) == {"instances": {"acme": {"project": "p"}}}  # untouched


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_find_orphans_dir_that_is_not_a_directory(kind: str, tmp_path: Path) -> None:
    target = tmp_path / "state-dir"
    if kind == "file":
        target.write_text("")
    proc = script("find-orphans", ["--dir", str(target)], None)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip() == f"find-orphans: --dir {target}: not a directory (give a Terraform working directory)"


def test_find_orphans_terraform_that_cannot_run(tmp_path: Path) -> None:
    proc = script("find-orphans", ["--dir", str(tmp_path)], None, TERRAFORM=str(tmp_path / "no-terraform"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith(f"find-orphans: cannot run {tmp_path / 'no-terraform'}:")


@pytest.mark.parametrize("name,args,said", [
    # --instances 0 ran the whole bench, then divided by zero; --sizes "" ran the default 300
    ("bench-scale", ["--instances", "0"], "--instances must be 1 or more"),
    ("bench-scale", ["--instances", "-5"], "--instances must be 1 or more"),
    ("bench-scale", ["--sizes", ""], "--sizes needs at least one number of instances"),
    ("bench-scale", ["--latency-ms", "-1"], "must not be negative"),
    ("bench-startup", ["--release", "/nonexistent/sparkpost.zip"], "--release /nonexistent/sparkpost.zip: no such file"),
    ("bench-startup", ["--launches", "0"], "--launches and --plans must be 1 or more"),
])
def test_bench_scripts_refuse_bad_arguments_before_running(name: str, args: list[str], said: str) -> None:
    proc = script(name, args, None)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert said in proc.stderr and proc.stdout == ""  # nothing was measured


def test_import_existing_escapes_customer_keys_in_the_module_address(tmp_path: Path) -> None:
    """tfvars keys are any strings: a quote, a backslash or a template sequence in one is
    written so that the address names that very key, and imports.tf stays valid HCL."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("import_existing", ROOT / "scripts" / "import_existing.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(mod)
    finally:
        del sys.modules[spec.name]
    from provider.sparkpost.models import Subaccount

    keys = ['a"b', "c${d}", "e%{f}", "g\\h", "plain"]
    report = mod.Report(adopted=[mod.Adoption(k, Subaccount(id=i, name=f"cloud-{k}", status="active",
                                                             compliance_status="active"))
                                 for i, k in enumerate(keys, 1)])
    text = mod.render_imports(report, mod.DEFAULT_MODULE_ADDRESS)
    assert 'to = module.managed_smtp["a\\"b"].sparkpost_subaccount.this' in text
    assert 'to = module.managed_smtp["c$${d}"].sparkpost_subaccount.this' in text
    assert 'to = module.managed_smtp["e%%{f}"].sparkpost_subaccount.this' in text
    assert 'to = module.managed_smtp["g\\\\h"].sparkpost_subaccount.this' in text
    assert 'to = module.managed_smtp["plain"].sparkpost_subaccount.this' in text
