"""The adversarial corpus: hostile input of every class, one file per class.

Cases live in ``tests/adversarial/test_<class>.py`` (config, import_ids, responses, faults,
socket, ...). Each case is one pytest item (parametrize), so the counts below are counts of
cases. At the end of the run this prints, per class, how many cases passed, failed and were
skipped, and the total: the figure issue 13's "Done when" asks for.

Fixtures: the end-to-end ones (``make_tf``, ``tf``, ``sp``, ``sp_eu``) and, for corpora that
share one emulator and one initialised Terraform between cases, ``shared_world`` (module
scope; see ``corpus.py``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import make_tf, sp, sp_eu, tf  # noqa: F401 - fixtures shared with tests/e2e
from tests.e2e.harness import Terraform
from tests.e2e.sparkpost_world import SparkPostWorld

HERE = "tests/adversarial/"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in str(item.fspath).replace("\\", "/") and "terraform_bin" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def shared_world(
    tmp_path_factory: pytest.TempPathFactory, terraform_bin: str, plugins_dir: Path
) -> Iterator[SparkPostWorld]:
    """One emulator, Secret Manager fake and Terraform for a whole module of cases (cheap cases
    share one `terraform init`). The secret-leak scan runs over everything at the end."""
    from tests.e2e.leak_scan import scan
    from tests.e2e.sparkpost_world import make_world

    base = tmp_path_factory.mktemp("adversarial")
    counter = iter(range(1000))

    def make(**env: str) -> Terraform:
        return Terraform(base / f"tf{next(counter)}", terraform_bin, plugins_dir, env_extra=dict(env))

    world, close = make_world(make)
    try:
        yield world
        leaks = scan(world, extra_secrets=world.extra_secrets)
        assert not leaks, "secrets leaked:\n" + "\n".join(leaks)
    finally:
        close()


# ---------------------------------------------------------------- the counts


def case_class(nodeid: str) -> str | None:
    """'tests/adversarial/test_config.py::test_x[y]' -> 'config'; None outside the corpus."""
    path = nodeid.split("::", 1)[0].replace("\\", "/")
    if not path.startswith(HERE):
        return None
    name = path[len(HERE):]
    if "/" in name or not name.startswith("test_") or not name.endswith(".py"):
        return None
    return name[len("test_"):-len(".py")]


def outcomes(reports: list[Any]) -> dict[str, str]:
    """nodeid -> passed | failed | skipped, from every phase's report of a case: a failure in
    setup, call or teardown fails the case; an xfail counts as skipped, an xpass as failed."""
    result: dict[str, str] = {}
    rank = {"passed": 0, "skipped": 1, "failed": 2}
    for rep in reports:
        nodeid = getattr(rep, "nodeid", None)
        when = getattr(rep, "when", None)
        if not nodeid or when is None:
            continue
        if hasattr(rep, "wasxfail"):
            outcome = "failed" if rep.passed and when == "call" else "skipped"
        elif rep.failed:
            outcome = "failed"
        elif rep.skipped:
            outcome = "skipped"
        elif when == "call":
            outcome = "passed"
        else:
            continue  # a passing setup or teardown says nothing on its own
        if nodeid not in result or rank[outcome] > rank[result[nodeid]]:
            result[nodeid] = outcome
    return result


def count_by_class(reports: list[Any]) -> dict[str, Counter[str]]:
    table: dict[str, Counter[str]] = {}
    for nodeid, outcome in outcomes(reports).items():
        cls = case_class(nodeid)
        if cls is not None:
            table.setdefault(cls, Counter())[outcome] += 1
    return table


def format_counts(table: dict[str, Counter[str]]) -> list[str]:
    total: Counter[str] = Counter()
    lines = [f"{'class':<14}{'cases':>7}{'passed':>8}{'failed':>8}{'skipped':>9}"]
    for cls in sorted(table):
        c = table[cls]
        total.update(c)
        lines.append(f"{cls:<14}{sum(c.values()):>7}{c['passed']:>8}{c['failed']:>8}{c['skipped']:>9}")
    lines.append(f"{'total':<14}{sum(total.values()):>7}{total['passed']:>8}{total['failed']:>8}{total['skipped']:>9}")
    return lines


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    reports = [r for key in terminalreporter.stats for r in terminalreporter.stats[key] if hasattr(r, "nodeid")]
    table = count_by_class(reports)
    if not table:
        return
    terminalreporter.write_sep("=", "adversarial corpus: cases per class")
    for line in format_counts(table):
        terminalreporter.write_line(line)

