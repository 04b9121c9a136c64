"""The launcher's own Go unit tests (go-shim/*_test.go), run with the Go toolchain when present."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .conftest import GO_MISSING, ROOT


def test_go_unit_tests() -> None:
    go = shutil.which("go")
    if not go:
        pytest.skip(GO_MISSING)
    env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=mod")
    env.setdefault("GOCACHE", str(Path(tempfile.gettempdir()) / "tfprovider-gocache"))
    r = subprocess.run([go, "test", "-count=1", "./..."], cwd=ROOT / "go-shim", env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
    assert "ok" in r.stdout
