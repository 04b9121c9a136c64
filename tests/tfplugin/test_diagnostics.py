"""Diagnostics and attribute paths to and from protobuf."""

from __future__ import annotations

from typing import Any

import pytest

from provider.tfplugin.diagnostics import Diagnostic, Diagnostics, Key, Path, PathStep, ResourceError, path_to_proto, to_proto
from provider.tfplugin.proto import tfplugin6_pb2 as pb


def path_from_proto(msg: Any) -> Path:
    """Read a path back, to check what path_to_proto wrote."""
    out: list[PathStep] = []
    for step in msg.steps:
        which = step.WhichOneof("selector")
        if which == "attribute_name":
            out.append(step.attribute_name)
        elif which == "element_key_string":
            out.append(Key(step.element_key_string))
        else:
            out.append(step.element_key_int)
    return tuple(out)


@pytest.mark.parametrize(
    "path",
    [
        ("name",),
        ("settings", "region"),
        ("rules", 0, "port"),
        ("rules", 12345, "port"),
        ("labels", Key("env"), "value"),
        ("labels", Key(""), "x"),
        ("m", Key("0")),  # a map key that looks like an index stays a key
        (),
    ],
)
def test_path_round_trip(path: tuple) -> None:
    msg = path_to_proto(path, pb)
    assert isinstance(msg, pb.AttributePath)
    assert path_from_proto(msg) == path
    assert path_from_proto(pb.AttributePath.FromString(msg.SerializeToString())) == path


def test_path_steps_use_the_right_selectors() -> None:
    msg = path_to_proto(("a", 3, Key("k")), pb)
    assert [s.WhichOneof("selector") for s in msg.steps] == ["attribute_name", "element_key_int", "element_key_string"]
    assert msg.steps[0].attribute_name == "a"
    assert msg.steps[1].element_key_int == 3
    assert msg.steps[2].element_key_string == "k"


def test_to_proto_severities_and_fields() -> None:
    diags = Diagnostics()
    diags.error("Bad thing", "details here", ["name"])
    diags.warning("Careful", "a warning", ("rules", 1, "port"))
    diags.error("No path")
    out = to_proto(diags, pb)
    assert [d.severity for d in out] == [pb.Diagnostic.ERROR, pb.Diagnostic.WARNING, pb.Diagnostic.ERROR]
    assert (out[0].summary, out[0].detail) == ("Bad thing", "details here")
    assert path_from_proto(out[0].attribute) == ("name",)
    assert path_from_proto(out[1].attribute) == ("rules", 1, "port")
    assert not out[2].HasField("attribute")


def test_has_errors() -> None:
    diags = Diagnostics()
    assert not diags.has_errors
    diags.warning("w")
    assert not diags.has_errors
    diags.error("e")
    assert diags.has_errors
    assert diags[0] == Diagnostic("warning", "w", "", None)


def test_paths_are_stored_as_tuples() -> None:
    diags = Diagnostics()
    diags.error("e", path=iter(["a", 1]))
    assert diags[0].path == ("a", 1)


def test_resource_error_carries_everything() -> None:
    err = ResourceError("Refused", "because", ["name"], state={"id": "x"})
    assert str(err) == "Refused"
    assert (err.summary, err.detail, err.path, err.state) == ("Refused", "because", ("name",), {"id": "x"})
    plain = ResourceError("Only a summary")
    assert plain.detail == "" and plain.path is None and plain.state is None
