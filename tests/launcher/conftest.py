"""Fixtures for the Go launcher's tests: a launcher built by the installer's own function."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
GO_MISSING = "Go is not installed (the launcher is built with Go; .ci/run installs golang-go)"


def installer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("install_provider", ROOT / "scripts" / "install_provider.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def fake_launcher(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A launcher whose provider module is tests.launcher.fake_provider."""
    if not shutil.which("go"):
        pytest.skip(GO_MISSING)
    out = tmp_path_factory.mktemp("launcher") / "terraform-provider-fake_v0.0.1"
    ok = installer().build_go_launcher(out, python=sys.executable, module="tests.launcher.fake_provider",
                                       pkg_file="", pythonpath=str(ROOT), env_name="TF_FAKE_PYTHON")
    assert ok, "go build failed"
    return out
