"""The relay's Python end (provider/tfplugin/relay.py): calls in, answers out, over a socketpair,
driven here as the Go launcher drives it (go-shim/relay.go), with the real protocol messages."""

from __future__ import annotations

import socket
import struct
import threading
from typing import Any, Iterator

import pytest

from provider.tfplugin import relay
from provider.tfplugin.proto import tfplugin6_pb2 as pb
from provider.tfplugin.server import ProviderServicer
from provider.provider import SparkPostProvider

SERVICE = pb.DESCRIPTOR.services_by_name["Provider"]


def send_call(sock: socket.socket, call_id: int, method: str, body: bytes) -> None:
    name = method.encode()
    sock.sendall(relay.CALL.pack(len(body), call_id, len(name)) + name + body)


def read_answer(sock: socket.socket) -> tuple[int, int, str, bytes]:
    def exactly(n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            assert chunk, "the relay closed its end"
            buf += chunk
        return buf

    length, call_id, status, mlen = relay.ANSWER.unpack(exactly(relay.ANSWER.size))
    rest = exactly(mlen + length)
    return call_id, status, rest[:mlen].decode(), rest[mlen:]


class Served:
    def __init__(self, servicer: Any) -> None:
        self.ours, theirs = socket.socketpair()
        self.ended = threading.Event()
        self.code: int | None = None
        self.ours.settimeout(10)

        def run() -> None:
            self.code = relay.serve(theirs, relay.methods_of(servicer, SERVICE), self.ended)
            theirs.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.ours.close()
        self.thread.join(5)


@pytest.fixture
def served() -> Iterator[Served]:
    s = Served(ProviderServicer(SparkPostProvider(), threading.Event()))
    yield s
    s.close()


def test_a_call_is_answered_with_the_servicers_framed_response(served: Served) -> None:
    send_call(served.ours, 7, "/tfplugin6.Provider/GetProviderSchema", relay.frame(pb.GetProviderSchema.Request().SerializeToString()))
    call_id, status, message, body = read_answer(served.ours)
    assert (call_id, status, message) == (7, 0, "")
    [raw] = list(relay.unframe(body))
    schema = pb.GetProviderSchema.Response.FromString(raw)
    assert "sparkpost_subaccount" in schema.resource_schemas


def test_a_validation_diagnostic_travels_back_on_the_attribute() -> None:
    from provider.tfplugin import values
    from tests.support.testprovider.provider import THING_SCHEMA, TestProvider

    config = {a.name: None for a in THING_SCHEMA.block.attributes}  # name is required: null is an error
    request = pb.ValidateResourceConfig.Request(
        type_name="tftest_thing", config=pb.DynamicValue(msgpack=values.encode_msgpack(config, THING_SCHEMA.cty_type))
    )
    s = Served(ProviderServicer(TestProvider(), threading.Event()))
    try:
        send_call(s.ours, 1, "/tfplugin6.Provider/ValidateResourceConfig", relay.frame(request.SerializeToString()))
        _, status, _, body = read_answer(s.ours)
    finally:
        s.close()
    assert status == 0
    response = pb.ValidateResourceConfig.Response.FromString(next(relay.unframe(body)))
    [diag] = [d for d in response.diagnostics if d.severity == pb.Diagnostic.ERROR]
    assert diag.summary == "Missing value for name"
    assert diag.attribute.steps[0].attribute_name == "name"


def test_an_unknown_method_is_unimplemented_and_the_relay_keeps_serving(served: Served) -> None:
    send_call(served.ours, 1, "/tfplugin6.Provider/NoSuchThing", relay.frame(b""))
    assert read_answer(served.ours)[:2] == (1, relay.UNIMPLEMENTED)
    send_call(served.ours, 2, "/tfplugin6.Provider/GetMetadata", relay.frame(b""))
    assert read_answer(served.ours)[:2] == (2, 0)


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"\x01\x00\x00\x00\x00", "compressed"),
        (b"\x00\x00\x00\x00\x09abc", "cut"),
        (b"\x00\x00", "cut"),
        (b"", "0 messages"),
        (relay.frame(b"") * 2, "2 messages"),
        (relay.frame(b"\xff\xff\xff"), "cannot read the request"),
    ],
)
def test_a_malformed_request_is_an_internal_error_not_a_crash(served: Served, body: bytes, problem: str) -> None:
    send_call(served.ours, 3, "/tfplugin6.Provider/GetMetadata", body)
    call_id, status, message, out = read_answer(served.ours)
    assert (call_id, status, out) == (3, relay.INTERNAL, b"")
    assert problem in message
    send_call(served.ours, 4, "/tfplugin6.Provider/GetMetadata", relay.frame(b""))
    assert read_answer(served.ours)[:2] == (4, 0)


class Slow:
    """A servicer whose ReadResource (type name N) waits until the test releases call N."""

    def __init__(self) -> None:
        self.entered = {n: threading.Event() for n in "123"}
        self.release = {n: threading.Event() for n in "123"}

    def ReadResource(self, request: Any, context: Any) -> Any:
        self.entered[request.type_name].set()
        self.release[request.type_name].wait(60)
        return pb.ReadResource.Response(private=request.type_name.encode())

    def StopProvider(self, request: Any, context: Any) -> Any:
        raise RuntimeError("boom")


def test_calls_run_at_once_and_are_answered_as_they_finish() -> None:
    # Events, not sleeps of different lengths: which call finishes first is the test's choice,
    # so a loaded machine cannot reorder them (nor a wall-clock bound fail).
    slow = Slow()
    s = Served(slow)
    try:
        for call_id in (1, 2, 3):
            send_call(s.ours, call_id, "/tfplugin6.Provider/ReadResource",
                      relay.frame(pb.ReadResource.Request(type_name=str(call_id)).SerializeToString()))
        # all three are running together: none has been let finish
        assert all(slow.entered[n].wait(30) for n in "123")
        order = []
        for n in "231":
            slow.release[n].set()
            call_id, status, _, body = read_answer(s.ours)
            order.append(call_id)
            assert status == 0
            assert pb.ReadResource.Response.FromString(next(relay.unframe(body))).private == str(call_id).encode()
        assert order == [2, 3, 1]
    finally:
        for event in slow.release.values():
            event.set()
        s.close()


def test_an_exception_in_a_handler_is_answered_as_grpc_does() -> None:
    s = Served(Slow())
    try:
        send_call(s.ours, 9, "/tfplugin6.Provider/StopProvider", relay.frame(b""))
        call_id, status, message, _ = read_answer(s.ours)
        assert (call_id, status) == (9, relay.UNKNOWN) and "boom" in message
    finally:
        s.close()


def test_the_launchers_end_closing_ends_the_launch_and_tells_the_work_in_flight() -> None:
    s = Served(Slow())
    send_call(s.ours, 1, "/tfplugin6.Provider/ReadResource", relay.frame(pb.ReadResource.Request(type_name="300").SerializeToString()))
    s.ours.close()
    s.thread.join(2)
    assert not s.thread.is_alive() and s.code == 0
    assert s.ended.is_set()


def test_an_oversized_call_ends_the_launch_rather_than_allocating_it() -> None:
    s = Served(Slow())
    try:
        s.ours.sendall(relay.CALL.pack(relay.MAX_BODY + 1, 1, 5) + b"/a/b/")
        s.thread.join(2)
        assert not s.thread.is_alive() and s.code == 1
    finally:
        s.close()


def test_a_call_cut_midway_ends_the_launch_quietly() -> None:
    s = Served(Slow())
    s.ours.sendall(relay.CALL.pack(100, 1, 5) + b"/a/b/" + b"x" * 10)
    s.ours.close()
    s.thread.join(2)
    assert not s.thread.is_alive() and s.code == 0


def test_an_answer_larger_than_the_launcher_accepts_is_an_error_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    class Big:
        def ReadResource(self, request: Any, context: Any) -> Any:
            return pb.ReadResource.Response(private=b"x" * 5000)

    monkeypatch.setattr(relay, "MAX_BODY", 1000)
    s = Served(Big())
    try:
        send_call(s.ours, 5, "/tfplugin6.Provider/ReadResource", relay.frame(pb.ReadResource.Request().SerializeToString()))
        call_id, status, message, body = read_answer(s.ours)
        assert (call_id, status, body) == (5, relay.RESOURCE_EXHAUSTED, b"") and "larger" in message
    finally:
        s.close()


def test_the_frames_are_the_ones_the_go_launcher_writes() -> None:
    # go-shim/relay.go: 4-byte body length, 4-byte id, 2-byte method length | 4, 4, 1, 2 back.
    assert relay.CALL.size == 10 and relay.ANSWER.size == 11
    assert relay.CALL.pack(1, 2, 3) == struct.pack(">IIH", 1, 2, 3)
