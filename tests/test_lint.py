"""ruff and mypy (strict on provider/) pass, as configured in pyproject.toml.

Both come with the `test` extra; their output is the failure message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff() -> None:
    proc = _run("ruff", "check", "--no-cache", ".")
    assert proc.returncode == 0, f"ruff found problems:\n{proc.stdout}{proc.stderr}"


def test_mypy_strict_on_provider() -> None:
    proc = _run("mypy", "--no-incremental", "--cache-dir=/dev/null", "provider")
    assert proc.returncode == 0, f"mypy found problems:\n{proc.stdout}{proc.stderr}"
