"""The commands run as real processes against the emulator (in this process, on a free port)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from provider.emulator.sparkpost import Emulator

ROOT = Path(__file__).resolve().parents[2]
OPERATOR_KEY = "0123456789abcdef0123456789abcdef01234567"
OPERATOR_GRANTS = ["metrics/view", "subaccount/manage", "sending_domains/manage"]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        e.add_key(key=OPERATOR_KEY, grants=OPERATOR_GRANTS, label="operator")
        yield e


def run(module: str, args: list[str], emu: Emulator | None, *, key: str = OPERATOR_KEY,
        base_url: str | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPARKPOST_")}
    env["SPARKPOST_API_KEY"] = key
    env["SPARKPOST_BASE_URL"] = base_url or (emu.url if emu else "")
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, input=stdin, timeout=120)
