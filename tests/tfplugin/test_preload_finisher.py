"""A configured warm launch finishes its zygote's preload in the background (cli.preload_finisher).

Launches that only validate are never configured and load nothing more; a launch that reads,
plans or applies starts loading, as ConfigureProvider arrives, what its zygote had not loaded
when it forked, in a thread, so that the imports overlap its first API round trips.
"""

from __future__ import annotations

import threading
from pathlib import Path

from provider.tfplugin import values
from provider.tfplugin.cli import preload_finisher
from provider.tfplugin.proto import tfplugin6_pb2 as pb
from provider.tfplugin.server import ProviderServicer
from tests.support.testprovider.provider import THING_SCHEMA, TestProvider


def config(tmp_path: Path) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=values.encode_msgpack({"store": str(tmp_path / "store.json")}, TestProvider.schema.cty_type))


def test_configure_calls_on_configure_once_and_validation_never(tmp_path: Path) -> None:
    calls: list[str] = []
    srv = ProviderServicer(TestProvider(), threading.Event(), on_configure=lambda: calls.append(threading.current_thread().name))
    srv.ValidateProviderConfig(pb.ValidateProviderConfig.Request(config=config(tmp_path)), None)
    thing = {a.name: None for a in THING_SCHEMA.block.attributes}
    srv.ValidateResourceConfig(pb.ValidateResourceConfig.Request(
        type_name="tftest_thing", config=pb.DynamicValue(msgpack=values.encode_msgpack(thing, THING_SCHEMA.cty_type))), None)
    assert calls == []
    resp = srv.ConfigureProvider(pb.ConfigureProvider.Request(config=config(tmp_path)), None)
    assert not resp.diagnostics
    assert calls == [threading.current_thread().name]  # called in the RPC, which does not wait for the loading
    srv.ConfigureProvider(pb.ConfigureProvider.Request(config=config(tmp_path)), None)
    assert len(calls) == 1


def test_the_rest_loads_in_order_in_a_background_thread_without_holding_up_the_caller() -> None:
    release = threading.Event()
    done = threading.Event()
    seen: list[tuple[str, str]] = []

    def first() -> None:
        seen.append(("first", threading.current_thread().name))
        assert release.wait(10)

    def second() -> None:
        seen.append(("second", threading.current_thread().name))
        done.set()

    preload_finisher([first, second])()
    assert not done.is_set()  # start() returned while the first stage still runs
    release.set()
    assert done.wait(10)
    assert seen == [("first", "preload"), ("second", "preload")]


def test_a_failing_stage_ends_the_loading_quietly(capfd: object) -> None:
    ran: list[str] = []
    finished = threading.Event()

    def broken() -> None:
        ran.append("broken")
        finished.set()
        raise ImportError("no such module")

    def never() -> None:
        ran.append("never")

    preload_finisher([broken, never])()
    assert finished.wait(10)
    for t in threading.enumerate():
        if t.name == "preload":
            t.join(10)
    assert ran == ["broken"]
    out, err = capfd.readouterr()  # type: ignore[attr-defined]
    assert "Traceback" not in err and "ImportError" not in err


def test_nothing_left_to_load_starts_no_thread() -> None:
    before = {t.ident for t in threading.enumerate()}
    preload_finisher([])()
    assert not [t for t in threading.enumerate() if t.ident not in before and t.name == "preload"]
