"""The adversarial corpus runner's counting (tests/adversarial/conftest.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.adversarial.conftest import case_class, count_by_class, format_counts


def rep(nodeid: str, when: str, outcome: str, **extra: Any) -> Any:
    return SimpleNamespace(nodeid=nodeid, when=when, passed=outcome == "passed", failed=outcome == "failed",
                           skipped=outcome == "skipped", **extra)


def test_class_is_the_file_name() -> None:
    assert case_class("tests/adversarial/test_config.py::test_config[a-b]") == "config"
    assert case_class("tests/adversarial/test_import_ids.py::test_x") == "import_ids"
    assert case_class("tests/e2e/test_faults.py::test_x") is None
    assert case_class("tests/adversarial/corpus.py::x") is None


def test_each_case_counted_once_by_its_worst_phase() -> None:
    f = "tests/adversarial/test_config.py::test_config"
    reports = [
        rep(f + "[ok]", "setup", "passed"), rep(f + "[ok]", "call", "passed"), rep(f + "[ok]", "teardown", "passed"),
        rep(f + "[bad]", "setup", "passed"), rep(f + "[bad]", "call", "failed"),
        rep(f + "[td]", "call", "passed"), rep(f + "[td]", "teardown", "failed"),
        rep(f + "[skip]", "setup", "skipped"),
        rep(f + "[xf]", "call", "skipped", wasxfail="known"),
        rep("tests/adversarial/test_faults.py::test_y", "call", "passed"),
        rep("tests/e2e/test_x.py::test_z", "call", "failed"),
    ]
    table = count_by_class(reports)
    assert dict(table["config"]) == {"passed": 1, "failed": 2, "skipped": 2}
    assert dict(table["faults"]) == {"passed": 1}
    assert set(table) == {"config", "faults"}
    lines = format_counts(table)
    assert lines[-1].split() == ["total", "6", "2", "2", "2"]
