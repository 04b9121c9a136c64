"""Each module's README lists its inputs and outputs as generated from variables.tf and
outputs.tf by scripts/gen_module_readme.py, and is never stale."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gen_module_readme.py"
MODULE = ROOT / "examples" / "modules" / "managed-smtp"


def _script():
    spec = importlib.util.spec_from_file_location("gen_module_readme", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_module_readme"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_module_readmes_are_up_to_date() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"run `make docs` and commit the module READMEs:\n{proc.stdout}{proc.stderr}"


def test_every_input_and_output_is_read_with_its_description() -> None:
    variables, outputs = _script().read_module(MODULE)
    declared_vars = re.findall(r'^variable\s+"([^"]+)"', (MODULE / "variables.tf").read_text(), re.MULTILINE)
    declared_outs = re.findall(r'^output\s+"([^"]+)"', (MODULE / "outputs.tf").read_text(), re.MULTILINE)
    assert [v.name for v in variables] == declared_vars
    assert [o.name for o in outputs] == declared_outs
    assert all(v.description and v.type for v in variables)
    assert all(o.description for o in outputs)
    readme = (MODULE / "README.md").read_text()
    for item in variables + outputs:
        assert f"| `{item.name}` | {item.description.replace('|', chr(92) + '|')}" in readme
    required = {v.name for v in variables if v.default is None}
    assert required == {"customer", "secret_project"}


def test_stale_table_is_reported(tmp_path: Path) -> None:
    gen = _script()
    readme, current, wanted = gen.updated_readme(MODULE)
    assert current == wanted
    variables, outputs = gen.read_module(MODULE)
    assert gen.render(variables[1:], outputs) != gen.render(variables, outputs)
