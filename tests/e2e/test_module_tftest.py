"""The managed-smtp module's own `terraform test` suites (examples/modules/managed-smtp/tests),
run by the real terraform: the mocked one without any API, the emulator one with the real
provider against the emulator and the Secret Manager fake. After the emulator suite, nothing
may be left behind: its subaccount terminated, its domain deleted."""

from __future__ import annotations

import re
import shutil

from .harness import ROOT, Result
from .sparkpost_world import SparkPostWorld

MODULE = ROOT / "examples" / "modules" / "managed-smtp"


def _module_copy(sp: SparkPostWorld) -> None:
    """terraform test runs in the module's directory: a copy, so the repository gets no .terraform."""
    target = sp.tf.workdir / "managed-smtp"
    shutil.copytree(MODULE, target, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    sp.tf.workdir = target


def _summary(result: Result) -> tuple[int, int]:
    found = re.search(r"(\d+) passed, (\d+) failed", result.stdout)
    assert found, result.stdout + result.stderr
    return int(found.group(1)), int(found.group(2))


def test_mocked_suite_passes_without_any_api_call(sp: SparkPostWorld) -> None:
    _module_copy(sp)
    sp.tf.init()
    sp.emulator.reset_request_log()
    result = sp.tf.run("test", "-no-color", "-filter=tests/mocked.tftest.hcl")
    assert _summary(result) == (3, 0)
    assert sp.api_calls() == 0  # mocked: SparkPost was never called


def test_emulator_suite_passes_and_tears_everything_down(sp: SparkPostWorld) -> None:
    _module_copy(sp)
    sp.tf.init()
    result = sp.tf.run("test", "-no-color", "-filter=tests/emulator.tftest.hcl")
    assert _summary(result) == (3, 0)
    assert "left the following resources in state" not in result.stdout + result.stderr
    state = sp.emulator.dump_state()
    assert [(s["name"], s["status"]) for s in state["subaccounts"]] == [("cloud-tftest", "terminated")]
    assert state["sending_domains"] == []
    # The send key's secret is the instance's: the teardown never touches it.
    [version] = sp.secret_manager.versions("projects/cloud-tftest-prod/secrets/SPARKPOST_SMTP_API_KEY")
    assert version.text


def test_protected_subaccount_makes_the_teardown_fail_loudly(sp: SparkPostWorld) -> None:
    """Without deletion_protection = false, the teardown cannot destroy the subaccount: the run
    itself passes, but terraform test must exit non-zero and name what it left behind."""
    _module_copy(sp)
    suite = (sp.tf.workdir / "tests" / "emulator.tftest.hcl").read_text()
    protected = suite.replace("  deletion_protection = false\n", "").replace(
        suite[suite.index('run "suspend_keeps_everything"'):], "")
    (sp.tf.workdir / "tests" / "protected.tftest.hcl").write_text(protected)
    sp.tf.init()
    result = sp.tf.run("test", "-no-color", "-filter=tests/protected.tftest.hcl", check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "Subaccount is protected from destruction" in out
    assert "sparkpost_subaccount.this" in out  # terraform names what it left behind
    assert [s["status"] for s in sp.emulator.dump_state()["subaccounts"]] == ["active"]
