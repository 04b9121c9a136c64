"""Run a script with the project's virtualenv, whichever Python started it.

The scripts are executable (`scripts/bench-scale`), and their shebang finds the system Python,
which does not have the provider installed: re-exec with `.venv/bin/python` when it exists,
else say how to make it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def ensure_project_python() -> None:
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if python.exists():
        os.execv(str(python), [str(python), sys.argv[0], *sys.argv[1:]])
    print(f"{Path(sys.argv[0]).name}: the project's virtualenv is missing; run `make install` first "
          "(or `make bench` for the benchmarks).", file=sys.stderr)
    raise SystemExit(2)
