"""Configuration cases run in batches: many cases, one `terraform plan -json` per batch.

Each case is written to its own file (``case_<n>.tf``) with the word ``CASE`` replaced by a
name unique to it (resource names, variable names, provider aliases), so one plan reports
every case's diagnostics and each diagnostic's range names the file, hence the case.

Two phases, because Terraform stops after the validate walk when it found any error:
- ``validate``: the configuration alone is wrong; the error comes from ValidateResourceConfig
  (or Terraform itself) and the provider is never configured, so the emulator must see no
  request at all.
- ``plan``: the value is known only at plan (a variable, null by default or set by -var):
  Terraform configures the provider (one credentials check, ``GET /api/v1/account``) and
  validates again with the real values; nothing else may reach the API.

A case passes when an error diagnostic in its file has the expected text (summary or detail,
case-insensitive) and points at the attribute: its range covers the line where the attribute's
outermost name is written (Terraform derives the range from the diagnostic's attribute path),
and, for a nested attribute or one absent from the file, its text names it (the full dotted
path, or the attribute in quotes as Terraform's own messages do); and when the batch's output
holds no traceback or panic and the API saw no request it should not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.e2e.sparkpost_world import PROVIDER_BLOCK, SparkPostWorld

ALLOWED_AT_PLAN = {"GET /api/v1/account"}  # the provider's one credentials check


@dataclass(frozen=True)
class ConfigCase:
    id: str
    hcl: str  # blocks, with CASE for names that must be unique
    path: str  # the attribute the error must point at, dotted: "initial_api_key.grants"
    text: str  # the error's summary or detail must contain this (case-insensitive)
    phase: Literal["validate", "plan"] = "validate"
    vars: dict[str, str] = field(default_factory=dict)  # -var NAME=VALUE (names with CASE)


def provider_case(id: str, body: str, path: str, text: str, **kw: Any) -> ConfigCase:
    """A case about the provider block: an aliased provider configuration used by one resource."""
    hcl = (f'provider "sparkpost" {{\n  alias = "CASE"\n{body}}}\n'
           f'resource "sparkpost_subaccount" "CASE" {{\n  provider = sparkpost.CASE\n  name = "ok"\n}}\n')
    return ConfigCase(id, hcl, path, text, **kw)


@dataclass
class Outcome:
    errors: list[dict[str, Any]]
    text: str  # the case's file as written
    problems: list[str] = field(default_factory=list)  # batch-wide failures (API calls, crashes)


def _names(error: dict[str, Any], path: str) -> bool:
    text = error.get("summary", "") + "\n" + error.get("detail", "")
    leaf = path.split(".")[-1]
    return path in text or f'"{leaf}"' in text or ("." not in path and leaf in text)


def _line_of(text: str, name: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*{re.escape(name)}\s*=", line):
            return i
    return None


def check(case: ConfigCase, outcome: Outcome) -> None:
    """Raise AssertionError unless the case's error is there, says the right thing and points
    at the attribute."""
    assert not outcome.problems, "\n".join(outcome.problems)
    assert outcome.errors, f"{case.id}: no error for this configuration\n{outcome.text}"
    outer = re.split(r"[.\[]", case.path)[0]
    line = _line_of(outcome.text, outer)
    seen = []
    for e in outcome.errors:
        said = (e.get("summary", "") + "\n" + e.get("detail", "")).lower()
        rng = e.get("range") or {}
        at = line is None or rng.get("start", {}).get("line", 0) <= line <= rng.get("end", {}).get("line", 0)
        # Terraform derives the range from the diagnostic's attribute path: for a top-level
        # attribute written in the file, the range is the path check. Paths into nested
        # attributes land on the outermost one, and an absent attribute has no line, so
        # those errors must also name it.
        named = (line is not None and "." not in case.path and "[" not in case.path) or _names(e, case.path)
        if case.text.lower() in said and named and at:
            return
        seen.append(f"  {e.get('summary')!r} / {e.get('detail')!r} at lines "
                    f"{rng.get('start', {}).get('line')}-{rng.get('end', {}).get('line')}")
    raise AssertionError(
        f"{case.id}: no error with {case.text!r} naming {case.path!r} at line {line}; got:\n" + "\n".join(seen)
        + f"\n--- {outcome.text}"
    )


def _file(i: int) -> str:
    return f"case_{i:03d}.tf"


@dataclass
class BatchResult:
    outcomes: dict[str, Outcome]  # by case id: the errors whose range lies in its file
    unranged: list[dict[str, Any]]  # errors with no source range (Terraform gives imports none)
    problems: list[str]  # batch-wide: API calls, tracebacks, the wrong exit code


def run_plan(world: SparkPostWorld, cases: list[ConfigCase], phase: str) -> BatchResult:
    """Write the cases, one file each, run one `terraform plan -json`, sort its errors by file."""
    tf = world.tf
    for old in tf.workdir.glob("case_*.tf"):
        old.unlink()
    tf.write(PROVIDER_BLOCK, "versions.tf")
    tf.write("", "main.tf")
    texts: dict[str, str] = {}
    var_args: list[str] = []
    for i, case in enumerate(cases):
        name = f"c{i:03d}"
        text = case.hcl.replace("CASE", name)
        tf.write(text, _file(i))
        texts[case.id] = text
        var_args += [f"-var={k.replace('CASE', name)}={v}" for k, v in case.vars.items()]
    if not (tf.workdir / ".terraform").exists():
        tf.init()
    world.emulator.reset_request_log()
    result = tf.plan_json(*var_args)
    calls = {r: n for r, n in world.by_route().items() if phase == "validate" or r not in ALLOWED_AT_PLAN}
    problems = []
    if calls:
        problems.append(f"API calls made during the {phase} batch: {calls}")
    if "Traceback" in result.stdout + result.stderr or "panic:" in result.stderr:
        problems.append(f"traceback or panic in the {phase} batch:\n{result.stderr[-4000:]}")
    if result.returncode != 1:
        problems.append(f"plan exited {result.returncode}, not 1")
    by_file: dict[str, list[dict[str, Any]]] = {}
    unranged = []
    for e in result.errors():
        fname = (e.get("range") or {}).get("filename")
        if fname:
            by_file.setdefault(fname.rsplit("/", 1)[-1], []).append(e)
        else:
            unranged.append(e)
    outcomes = {c.id: Outcome(by_file.get(_file(i), []), texts[c.id], problems) for i, c in enumerate(cases)}
    return BatchResult(outcomes, unranged, problems)


def run_batch(world: SparkPostWorld, cases: list[ConfigCase], phase: str) -> dict[str, Outcome]:
    """Configuration cases: every error must have a range, which names its case."""
    result = run_plan(world, cases, phase)
    if result.unranged:
        stray = "; ".join(f"{e.get('summary')}: {e.get('detail')}" for e in result.unranged)
        result.problems.append("errors without a range (no case can own them): " + stray)
    return result.outcomes


class Batches:
    """Runs each phase's batch once, on first use, and hands out outcomes by case."""

    def __init__(self, world: SparkPostWorld, cases: list[ConfigCase]) -> None:
        ids = [c.id for c in cases]
        dupes = {i for i in ids if ids.count(i) > 1}
        assert not dupes, f"duplicate case ids: {dupes}"
        self.world = world
        self.cases = cases
        self._results: dict[str, Outcome] = {}

    def outcome(self, case: ConfigCase) -> Outcome:
        if case.id not in self._results:
            phase_cases = [c for c in self.cases if c.phase == case.phase]
            self._results.update(run_batch(self.world, phase_cases, case.phase))
        return self._results[case.id]
