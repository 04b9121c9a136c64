"""tfplugin.background and the servicer's hook: a configuration check that runs after
ConfigureProvider has answered, joined by every RPC that needs the configured provider."""

from __future__ import annotations

import contextvars
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from provider.tfplugin import background
from provider.tfplugin.background import ConfigureCheck, Task
from provider.tfplugin.diagnostics import Diagnostics
from provider.tfplugin.proto import tfplugin6_pb2 as pb
from provider.tfplugin.resource import Configured
from provider.tfplugin.server import ProviderServicer, _exception_diag
from tests.support.testprovider.provider import THING_SCHEMA, TestProvider
from tests.tfplugin.test_server import apply, dv, plan, thing, undv

THING_TY = THING_SCHEMA.cty_type
WAIT = 10.0  # generous: only ever reached when something is broken
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


@pytest.fixture(autouse=True)
def quiet_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_LOG", raising=False)
    monkeypatch.delenv("TF_LOG_PROVIDER", raising=False)


class CheckedProvider(TestProvider):
    """The test provider, whose configuration check is whatever the test sets."""

    def __init__(self, check: Callable[[Diagnostics], None] | None) -> None:
        self.check = check

    def configure(self, config: dict[str, Any], diags: Diagnostics, cancelled: threading.Event) -> Any:
        meta = super().configure(config, diags, cancelled)
        return Configured(meta, self.check)


def configured(tmp_path: Path, check: Callable[[Diagnostics], None] | None) -> tuple[ProviderServicer, Any]:
    s = ProviderServicer(CheckedProvider(check), threading.Event())
    resp = s.ConfigureProvider(pb.ConfigureProvider.Request(
        config=dv({"store": str(tmp_path / "store.json")}, TestProvider.schema.cty_type)), None)
    return s, resp


def wrong_key(diags: Diagnostics) -> None:
    diags.error("Key rejected", "The key is wrong.", ["api_key"])


def made(tmp_path: Path, name: str = "n") -> dict[str, Any]:
    """A thing created through a provider without a check; its state."""
    s, _ = configured(tmp_path, None)
    cfg = thing(name=name)
    return dict(undv(apply(s, None, plan(s, None, cfg).planned_state, cfg).new_state, THING_TY))


def summaries(resp: Any) -> list[str]:
    return [d.summary for d in resp.diagnostics if d.severity == pb.Diagnostic.ERROR]


def stored(tmp_path: Path) -> str:
    f = tmp_path / "store.json"
    return f.read_text() if f.exists() else ""


# ---------------------------------------------------------------- Task


def test_task_returns_its_value_and_raises_its_error_in_the_caller() -> None:
    assert Task(lambda: 42).result() == 42

    def boom() -> None:
        raise ValueError("from the thread")

    with pytest.raises(ValueError, match="from the thread"):
        Task(boom).result()


def test_a_discarded_task_never_reports_its_exception(capfd: pytest.CaptureFixture[str]) -> None:
    hooked: list[Any] = []
    old = threading.excepthook
    threading.excepthook = hooked.append
    try:
        def boom() -> None:
            raise RuntimeError("nobody asked")

        t = Task(boom)
        assert t.wait(WAIT)
    finally:
        threading.excepthook = old
    assert hooked == []
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "nobody asked" not in out + err


def test_a_task_runs_in_a_copy_of_the_callers_context() -> None:
    token = REQUEST_ID.set("rpc-7")
    try:
        task = Task(REQUEST_ID.get)
    finally:
        REQUEST_ID.reset(token)
    assert task.result() == "rpc-7"


def test_a_task_thread_is_a_daemon() -> None:
    release = threading.Event()
    daemons: list[bool] = []
    Task(lambda: (daemons.append(threading.current_thread().daemon), release.wait(WAIT)))
    try:
        deadline = time.monotonic() + WAIT
        while not daemons and time.monotonic() < deadline:
            time.sleep(0.01)
        assert daemons == [True]
    finally:
        release.set()


# ---------------------------------------------------------------- ConfigureProvider answers first


def test_configure_answers_while_the_check_is_still_running(tmp_path: Path) -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow(diags: Diagnostics) -> None:
        started.set()
        release.wait(WAIT)
        finished.set()

    s, resp = configured(tmp_path, slow)
    try:
        assert not resp.diagnostics
        assert started.wait(WAIT), "the check was not started"
        assert not finished.is_set() and s.configure_check is not None and not s.configure_check.done()
    finally:
        release.set()
    assert not summaries(plan(s, None, thing(name="n")))  # joins the check, which passed
    assert finished.is_set()


def test_read_runs_beside_the_check(tmp_path: Path) -> None:
    """The check waits until the resource's read has started: had the read waited for the check,
    neither would finish (the check gives up after WAIT and fails)."""
    state = made(tmp_path)
    read_started = threading.Event()
    s, _ = configured(tmp_path, lambda d: None if read_started.wait(WAIT) else d.error("Read never started"))
    resource = s.resources["tftest_thing"]
    real_read = resource.read

    def read(ctx: Any, st: dict[str, Any]) -> Any:
        read_started.set()
        return real_read(ctx, st)

    resource.read = read  # type: ignore[method-assign]
    r = s.ReadResource(pb.ReadResource.Request(type_name="tftest_thing", current_state=dv(state, THING_TY)), None)
    assert not r.diagnostics
    assert undv(r.new_state, THING_TY)["id"] == state["id"]


def test_a_passing_check_changes_nothing_and_its_warnings_show_once(tmp_path: Path) -> None:
    s, resp = configured(tmp_path, lambda d: d.warning("Key expires soon", "Rotate it.", ["api_key"]))
    assert not resp.diagnostics
    first = plan(s, None, thing(name="a"))
    second = plan(s, None, thing(name="b"))
    assert [(d.severity, d.summary) for d in first.diagnostics] == [(pb.Diagnostic.WARNING, "Key expires soon")]
    assert not second.diagnostics
    assert undv(second.planned_state, THING_TY)["name"] == "b"


def test_no_check_no_thread(tmp_path: Path) -> None:
    s, resp = configured(tmp_path, None)
    assert not resp.diagnostics and s.configure_check is None


# ---------------------------------------------------------------- a failed check fails every RPC that needs the provider


def test_a_failed_check_fails_the_first_rpc_with_its_diagnostic_and_every_later_one(tmp_path: Path) -> None:
    state = made(tmp_path)
    s, resp = configured(tmp_path, wrong_key)
    assert not resp.diagnostics  # ConfigureProvider itself did not wait

    first = s.ReadResource(pb.ReadResource.Request(type_name="tftest_thing", current_state=dv(state, THING_TY)), None)
    [d] = first.diagnostics
    assert (d.severity, d.summary) == (pb.Diagnostic.ERROR, "Key rejected")
    # The provider block's attribute path would be resolved against the resource: it moves to the text.
    assert not d.HasField("attribute")
    assert d.detail == "The key is wrong.\n\n(In the provider configuration: api_key.)"
    assert first.new_state == dv(state, THING_TY)  # state left as it was

    ty = s.data_sources["tftest_things"].schema.cty_type
    later = [
        plan(s, None, thing(name="n")),
        plan(s, state, None),  # a destroy plan
        s.ImportResourceState(pb.ImportResourceState.Request(type_name="tftest_thing", id=state["id"]), None),
        s.ReadDataSource(pb.ReadDataSource.Request(type_name="tftest_things", config=dv({"prefix": None, "names": None}, ty)), None),
        s.ReadResource(pb.ReadResource.Request(type_name="tftest_thing", current_state=dv(state, THING_TY)), None),
    ]
    for r in later:
        assert summaries(r) == [background.FAILED_SUMMARY], r
        assert len(r.diagnostics) == 1
    assert not later[0].HasField("planned_state") and not later[2].imported_resources
    assert not later[3].HasField("state")


def test_a_failed_check_stops_apply_before_it_changes_anything(tmp_path: Path) -> None:
    ok, _ = configured(tmp_path, None)
    cfg = thing(name="n")
    planned = plan(ok, None, cfg).planned_state
    before = stored(tmp_path)
    called: list[str] = []

    s, _ = configured(tmp_path, wrong_key)
    real_create = s.resources["tftest_thing"].create

    def create(*a: Any) -> Any:
        called.append("create")
        return real_create(*a)

    s.resources["tftest_thing"].create = create  # type: ignore[method-assign]
    r = apply(s, None, planned, cfg)
    assert summaries(r) == ["Key rejected"]
    assert undv(r.new_state, THING_TY) is None  # the prior state of a create: nothing recorded
    assert called == [] and stored(tmp_path) == before


def test_concurrent_rpcs_all_fail_and_the_reason_shows_once(tmp_path: Path) -> None:
    release = threading.Event()

    def slow_wrong_key(diags: Diagnostics) -> None:
        release.wait(WAIT)
        wrong_key(diags)

    s, _ = configured(tmp_path, slow_wrong_key)
    results: list[Any] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        r = plan(s, None, thing(name=f"n{i}"))
        with lock:
            results.append(r)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.05)  # let them all reach the join
    release.set()
    for t in threads:
        t.join(WAIT)
    assert len(results) == 8
    firsts = [r for r in results if summaries(r) == ["Key rejected"]]
    others = [r for r in results if summaries(r) == [background.FAILED_SUMMARY]]
    assert len(firsts) == 1 and len(others) == 7


def test_an_exception_in_the_check_is_a_diagnostic_without_a_traceback(tmp_path: Path) -> None:
    def broken(diags: Diagnostics) -> None:
        raise KeyError("no such setting")

    s, resp = configured(tmp_path, broken)
    assert not resp.diagnostics
    r = plan(s, None, thing(name="n"))
    [d] = r.diagnostics
    assert d.summary == "Unexpected error while checking the provider configuration"
    assert "KeyError" in d.detail and "Traceback" not in d.detail and "TF_LOG=debug" in d.detail


def test_a_stop_during_a_hanging_check_fails_the_waiting_rpc_soon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "STOP_GRACE_SECONDS", 0.2)
    release = threading.Event()
    s, _ = configured(tmp_path, lambda d: None if release.wait(WAIT) else None)  # ignores the cancel event
    try:
        threading.Timer(0.2, lambda: s.StopProvider(pb.StopProvider.Request(), None)).start()
        r = plan(s, None, thing(name="n"))
        assert summaries(r) == [background.STOPPED_SUMMARY]
        assert not s.configure_check.done()  # type: ignore[union-attr]  # it hangs on: the RPC did not
    finally:
        release.set()


def test_a_check_that_ends_on_stop_lets_the_rpc_answer_as_it_would(tmp_path: Path) -> None:
    """The usual case: the check watches the cancel event and ends without an error, as the
    SparkPost credentials check does when its request is cancelled."""
    cancelled = threading.Event()
    s = ProviderServicer(CheckedProvider(lambda d: None if cancelled.wait(WAIT) else d.error("not stopped")), cancelled)
    s.ConfigureProvider(pb.ConfigureProvider.Request(
        config=dv({"store": str(tmp_path / "store.json")}, TestProvider.schema.cty_type)), None)
    s.StopProvider(pb.StopProvider.Request(), None)
    assert not summaries(plan(s, None, thing(name="n")))


def test_configure_check_runs_in_the_context_of_configure(tmp_path: Path) -> None:
    seen: list[str] = []
    token = REQUEST_ID.set("configure")
    try:
        check = ConfigureCheck(lambda d: seen.append(REQUEST_ID.get()), threading.Event(), _exception_diag)
    finally:
        REQUEST_ID.reset(token)
    assert not check.join() and seen == ["configure"]
