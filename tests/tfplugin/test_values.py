"""The value codec: what Terraform puts in DynamicValue.msgpack / .json, and what we send back."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgpack
import pytest

from provider.tfplugin import values
from provider.tfplugin.values import UNKNOWN, Unknown, TypeMismatch, decode_json, decode_msgpack, encode_msgpack

UNK = msgpack.ExtType(0, b"\x00")  # cty's plain unknown, as Terraform sends it


def refined(**refinements: Any) -> msgpack.ExtType:
    """A refined unknown (ext 12) with the integer-keyed refinement map as payload."""
    keys = {"not_null": 1, "prefix": 2, "lower": 3, "upper": 4, "min_len": 5, "max_len": 6}
    return msgpack.ExtType(12, msgpack.packb({keys[k]: v for k, v in refinements.items()}))


def pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def roundtrip(value: Any, ty: Any) -> Any:
    return decode_msgpack(encode_msgpack(value, ty), ty)


# ---------------------------------------------------------------- primitives


@pytest.mark.parametrize(
    "value, ty",
    [
        ("hello", "string"),
        ("", "string"),
        ("ünïcødé ✓", "string"),
        (0, "number"),
        (-17, "number"),
        (2**63 - 1, "number"),
        (-(2**63), "number"),
        (1.5, "number"),
        (True, "bool"),
        (False, "bool"),
    ],
)
def test_primitive_round_trip(value: Any, ty: str) -> None:
    out = roundtrip(value, ty)
    assert out == value and type(out) is type(value)


@pytest.mark.parametrize("big", [2**63, 2**70, -(2**63) - 1, -(10**40), 10**100])
def test_big_ints_travel_as_decimal_strings(big: int) -> None:
    wire = encode_msgpack(big, "number")
    assert msgpack.unpackb(wire) == str(big)  # beyond int64: the decimal text, as cty does
    assert decode_msgpack(wire, "number") == big
    assert isinstance(decode_msgpack(wire, "number"), int)


def test_int64_bounds_stay_integers_on_the_wire() -> None:
    assert msgpack.unpackb(encode_msgpack(2**63 - 1, "number")) == 2**63 - 1
    assert msgpack.unpackb(encode_msgpack(-(2**63), "number")) == -(2**63)


@pytest.mark.parametrize("text", ["0.1", "3.14159265358979323846264338327950288", "-1e-30", "123456789012345678901234.5"])
def test_decimal_fractions_travel_as_strings_without_loss(text: str) -> None:
    # Terraform sends numbers a float64 cannot hold exactly as their decimal text.
    decoded = decode_msgpack(pack(text), "number")
    assert isinstance(decoded, Decimal) and decoded == Decimal(text)
    wire = encode_msgpack(decoded, "number")
    assert Decimal(msgpack.unpackb(wire)) == Decimal(text)
    assert roundtrip(decoded, "number") == Decimal(text)


def test_integral_decimal_text_decodes_to_int() -> None:
    assert decode_msgpack(pack("42"), "number") == 42
    assert isinstance(decode_msgpack(pack("42"), "number"), int)
    assert decode_msgpack(pack("1E+3"), "number") == 1000


def test_float_on_the_wire_decodes_to_float() -> None:
    assert decode_msgpack(msgpack.packb(0.25), "number") == 0.25


def test_empty_payload_is_null() -> None:
    assert decode_msgpack(b"", "string") is None
    assert decode_json(b"", "string") is None


# ---------------------------------------------------------------- collections and structural types

OBJ = ["object", {"a": "string", "n": "number", "tags": ["set", "string"]}]


@pytest.mark.parametrize(
    "value, ty",
    [
        (["a", "b", "a"], ["list", "string"]),
        ([], ["list", "number"]),
        (["x", "y"], ["set", "string"]),
        ({"k1": 1, "k2": 2}, ["map", "number"]),
        ({}, ["map", "string"]),
        ({"a": "s", "n": 3, "tags": ["t"]}, OBJ),
        (["s", 1, True], ["tuple", ["string", "number", "bool"]]),
        ([{"a": "x", "n": 1, "tags": []}], ["list", OBJ]),
        ({"m": {"inner": [1, 2]}}, ["map", ["map", ["list", "number"]]]),
    ],
)
def test_structural_round_trip(value: Any, ty: Any) -> None:
    assert roundtrip(value, ty) == value


def test_object_with_optional_attrs_type() -> None:
    ty = ["object", {"a": "string", "b": "number"}, ["b"]]  # third element: optional attributes
    assert roundtrip({"a": "x", "b": None}, ty) == {"a": "x", "b": None}
    # An absent attribute on the wire decodes as null, and is sent back as an explicit nil.
    assert decode_msgpack(pack({"a": "x"}), ty) == {"a": "x", "b": None}
    assert msgpack.unpackb(encode_msgpack({"a": "x"}, ty)) == {"a": "x", "b": None}


def test_object_encoding_always_carries_every_attribute() -> None:
    wire = msgpack.unpackb(encode_msgpack({"a": "s"}, OBJ))
    assert wire == {"a": "s", "n": None, "tags": None}


# ---------------------------------------------------------------- dynamic


@pytest.mark.parametrize(
    "value, inner",
    [
        ("text", "string"),
        (7, "number"),
        (True, "bool"),
        ({"x": 1, "y": "z"}, ["object", {"x": "number", "y": "string"}]),
        ([1, "a"], ["tuple", ["number", "string"]]),
    ],
)
def test_dynamic_is_a_type_json_value_pair(value: Any, inner: Any) -> None:
    wire = msgpack.unpackb(encode_msgpack(value, "dynamic"), raw=False)
    assert isinstance(wire, list) and len(wire) == 2
    assert json.loads(wire[0]) == inner  # the type travels as msgpack bin holding compact JSON
    assert roundtrip(value, "dynamic") == value


def test_dynamic_from_terraform_bytes() -> None:
    # As Terraform sends `extra = { a = ["x"] }`: the type as bin, then the value.
    raw = pack([json.dumps(["object", {"a": ["list", "string"]}]).encode(), {"a": ["x"]}])
    assert decode_msgpack(raw, "dynamic") == {"a": ["x"]}
    # a set inside a dynamic value decodes to a list too
    raw = pack([b'["set","number"]', [3, 1]])
    assert decode_msgpack(raw, "dynamic") == [3, 1]


def test_dynamic_with_null_or_unknown_inner_value() -> None:
    assert decode_msgpack(pack([b'"string"', None]), "dynamic") is None
    assert decode_msgpack(pack([b'"string"', UNK]), "dynamic") == UNKNOWN
    assert decode_msgpack(pack(UNK), "dynamic") == UNKNOWN  # unknown of unknown type
    assert decode_msgpack(pack(None), "dynamic") is None
    assert msgpack.unpackb(encode_msgpack(None, "dynamic")) is None


def test_dynamic_malformed_pair_is_refused() -> None:
    with pytest.raises(TypeMismatch):
        decode_msgpack(pack(["only one"]), "dynamic")
    with pytest.raises(TypeMismatch):
        decode_msgpack(pack("plain"), "dynamic")


# ---------------------------------------------------------------- null and unknown at any depth

DEEP = [
    "object",
    {
        "name": "string",
        "obj": ["object", {"inner": ["object", {"leaf": "string", "n": "number"}]}],
        "items": ["list", ["object", {"v": "string"}]],
        "tags": ["set", "string"],
        "labels": ["map", "string"],
    },
]


def test_unknown_and_null_at_every_depth_decoding_handmade_bytes() -> None:
    raw = pack(
        {
            "name": UNK,
            "obj": {"inner": {"leaf": UNK, "n": None}},
            "items": [{"v": UNK}, {"v": None}, UNK],
            "tags": ["a", UNK],
            "labels": {"k": UNK, "j": None},
        }
    )
    out = decode_msgpack(raw, DEEP)
    assert out["name"] is UNKNOWN or isinstance(out["name"], Unknown)
    assert isinstance(out["obj"]["inner"]["leaf"], Unknown) and out["obj"]["inner"]["n"] is None
    assert isinstance(out["items"][0]["v"], Unknown) and out["items"][1]["v"] is None
    assert isinstance(out["items"][2], Unknown)
    assert out["tags"][0] == "a" and isinstance(out["tags"][1], Unknown)
    assert isinstance(out["labels"]["k"], Unknown) and out["labels"]["j"] is None
    # and back again: unknowns become ext 0, nulls nil, at the same places
    again = msgpack.unpackb(encode_msgpack(out, DEEP))
    assert again["name"] == msgpack.ExtType(0, b"\x00")
    assert again["obj"]["inner"] == {"leaf": msgpack.ExtType(0, b"\x00"), "n": None}
    assert again["items"][2] == msgpack.ExtType(0, b"\x00")
    assert again["labels"] == {"k": msgpack.ExtType(0, b"\x00"), "j": None}


@pytest.mark.parametrize("ty", ["string", "number", "bool", ["list", "string"], ["set", "number"], ["map", "bool"], OBJ, "dynamic"])
def test_whole_value_null_or_unknown(ty: Any) -> None:
    assert decode_msgpack(pack(None), ty) is None
    assert isinstance(decode_msgpack(pack(UNK), ty), Unknown)
    assert roundtrip(None, ty) is None
    assert isinstance(roundtrip(UNKNOWN, ty), Unknown)


def test_unknown_ext_payload_is_ignored() -> None:
    assert isinstance(decode_msgpack(pack(msgpack.ExtType(0, b"")), "string"), Unknown)
    assert isinstance(decode_msgpack(pack(msgpack.ExtType(0, b"\x01\x02\x03")), "string"), Unknown)


def test_any_other_extension_code_is_an_unknown_too() -> None:
    # object-wire-format.md: "treat *any* MessagePack extension code as representing an
    # unknown value"; future protocol versions may define new codes.
    out = decode_msgpack(pack({"a": msgpack.ExtType(7, b"\x00"), "n": 1, "tags": None}), OBJ)
    assert isinstance(out["a"], Unknown)
    assert out["n"] == 1


# ---------------------------------------------------------------- refined unknowns


@pytest.mark.parametrize(
    "ext, ty",
    [
        (refined(not_null=True, prefix="pre-"), "string"),
        (refined(lower=[1, True], upper=[10, False]), "number"),
        (refined(not_null=True, min_len=1, max_len=3), ["list", "string"]),
    ],
)
def test_refined_unknown_decodes_as_unknown_and_keeps_its_payload(ext: msgpack.ExtType, ty: Any) -> None:
    out = decode_msgpack(pack(ext), ty)
    assert isinstance(out, Unknown)
    assert out == UNKNOWN  # an unknown is an unknown, refined or not
    assert out.refinement == ext.data
    assert "refined" in repr(out)
    # re-encoded as ext 12 with exactly the same payload
    assert msgpack.unpackb(encode_msgpack(out, ty)) == msgpack.ExtType(12, ext.data)


def test_refined_unknown_nested_in_object_is_echoed_back() -> None:
    ext = refined(prefix="pre-")
    raw = pack({"name": "n", "obj": {"inner": {"leaf": ext, "n": 1}}, "items": [], "tags": [ext], "labels": None})
    out = decode_msgpack(raw, DEEP)
    assert isinstance(out["obj"]["inner"]["leaf"], Unknown)
    assert msgpack.unpackb(encode_msgpack(out, DEEP))["obj"]["inner"]["leaf"] == ext
    assert msgpack.unpackb(encode_msgpack(out, DEEP))["tags"] == [ext]


def test_plain_unknown_never_encodes_as_ext_12() -> None:
    assert msgpack.unpackb(encode_msgpack(UNKNOWN, "string")) == msgpack.ExtType(0, b"\x00")
    assert repr(UNKNOWN) == "Unknown"


# ---------------------------------------------------------------- JSON (DynamicValue.json and RawState.json)


def test_json_decoding_matches_msgpack_decoding() -> None:
    doc = {"a": "s", "n": 12345678901234567890123, "tags": ["x", "y"]}
    assert decode_json(json.dumps(doc), OBJ) == doc
    assert decode_json(json.dumps(doc).encode(), OBJ) == doc


def test_json_dynamic_is_type_and_value() -> None:
    text = json.dumps({"value": {"k": ["v"]}, "type": ["object", {"k": ["list", "string"]}]})
    assert decode_json(text, "dynamic") == {"k": ["v"]}


def test_json_fractional_numbers_keep_their_precision() -> None:
    # State stores 0.1 as the JSON number 0.1. It must go back to Terraform as the number 0.1,
    # i.e. as the decimal text cty sends itself, not as the float64 0.1000000000000000055...
    out = decode_json('{"a": null, "n": 0.1, "tags": null}', OBJ)
    assert out["n"] == Decimal("0.1")
    assert msgpack.unpackb(encode_msgpack(out, OBJ))["n"] == "0.1"
    assert decode_json('{"a": null, "n": 2.0, "tags": null}', OBJ)["n"] == 2


def test_json_strict_refuses_unknown_attributes_and_fills_missing_with_null() -> None:
    with pytest.raises(TypeMismatch, match="unexpected attribute 'zzz'"):
        decode_json('{"a": "x", "zzz": 1}', OBJ)
    assert decode_json('{"a": "x"}', OBJ) == {"a": "x", "n": None, "tags": None}


def test_json_lenient_fills_missing_and_drops_unknown_at_depth() -> None:
    ty = ["object", {"a": "string", "sub": ["list", ["object", {"x": "number", "y": "string"}]]}]
    raw = {"a": "x", "removed_attr": True, "sub": [{"x": 1, "gone": "g"}, {}]}
    out = decode_json(json.dumps(raw), ty, lenient=True)
    assert out == {"a": "x", "sub": [{"x": 1, "y": None}, {"x": None, "y": None}]}


# ---------------------------------------------------------------- wrong types


@pytest.mark.parametrize(
    "wire, ty",
    [
        (True, "number"),
        ("not a number", "number"),
        ([1], "number"),
        ("true", "bool"),
        (1, "bool"),
        (True, "string"),
        ({"a": 1}, "string"),
        ({"a": 1}, ["list", "string"]),
        ("x", ["set", "string"]),
        (["x"], ["map", "string"]),
        (["x"], OBJ),
        (["a", "b"], ["tuple", ["string"]]),
        ({"a": "s", "n": 1, "tags": None, "extra": 1}, OBJ),
        ("x", ["frobnicate", "string"]),
        ("x", "nonsense"),
    ],
)
def test_decoding_wrong_types_raises_the_module_error(wire: Any, ty: Any) -> None:
    with pytest.raises(TypeMismatch):
        decode_msgpack(pack(wire), ty)
    assert issubclass(TypeMismatch, ValueError)


@pytest.mark.parametrize(
    "value, ty",
    [
        (1, "string"),
        ("1", "number"),
        (True, "number"),
        ("true", "bool"),
        ("x", OBJ),
        ("x", "nonsense"),
        (object(), "dynamic"),
    ],
)
def test_encoding_wrong_types_raises_the_module_error(value: Any, ty: Any) -> None:
    with pytest.raises(TypeMismatch):
        encode_msgpack(value, ty)


def test_unsupported_msgpack_is_not_silently_accepted() -> None:
    with pytest.raises(TypeMismatch):
        decode_msgpack(pack({"k": [1, 2]}), ["map", "number"])


def test_numbers_are_accepted_for_strings_like_cty_conversion() -> None:
    assert decode_msgpack(pack(5), "string") == "5"
    assert decode_msgpack(pack(b"bytes"), "string") == "bytes"


# ---------------------------------------------------------------- equal and same_set


def test_same_set_ignores_order_only() -> None:
    assert values.same_set(["a", "b"], ["b", "a"])
    assert values.same_set([{"x": 1}, {"x": 2}], [{"x": 2}, {"x": 1}])
    assert not values.same_set(["a", "b"], ["a", "a"])
    assert not values.same_set(["a"], ["a", "b"])
    assert values.same_set(None, None)
    assert not values.same_set(None, [])
    assert not values.same_set([], None)
    assert values.same_set([], [])


def test_equal_treats_sets_as_unordered_at_depth() -> None:
    ty = ["list", ["object", {"tags": ["set", "string"], "sub": ["set", ["object", {"ids": ["set", "number"]}]]}]]
    a = [{"tags": ["a", "b"], "sub": [{"ids": [1, 2]}, {"ids": [3]}]}]
    b = [{"tags": ["b", "a"], "sub": [{"ids": [3]}, {"ids": [2, 1]}]}]
    assert values.equal(a, b, ty)
    c = [{"tags": ["b", "a"], "sub": [{"ids": [3]}, {"ids": [2, 4]}]}]
    assert not values.equal(a, c, ty)


def test_equal_lists_and_tuples_keep_order() -> None:
    assert values.equal([1, 2], [1, 2], ["list", "number"])
    assert not values.equal([1, 2], [2, 1], ["list", "number"])
    assert not values.equal([1, 2], [1], ["list", "number"])
    assert not values.equal(["a", 1], [1, "a"], ["tuple", ["string", "number"]])


def test_equal_sets_with_duplicates_and_lengths() -> None:
    assert not values.equal(["a", "a"], ["a", "b"], ["set", "string"])
    assert not values.equal(["a"], ["a", "a"], ["set", "string"])


def test_equal_maps_and_objects() -> None:
    assert values.equal({"k": ["b", "a"]}, {"k": ["a", "b"]}, ["map", ["set", "string"]])
    assert not values.equal({"k": 1}, {"k": 1, "j": 2}, ["map", "number"])
    assert values.equal({"a": "x"}, {"a": "x", "n": None, "tags": None}, OBJ)  # absent == null
    assert not values.equal({"a": "x"}, {"a": "y"}, OBJ)


def test_equal_null_and_unknown() -> None:
    assert values.equal(None, None, "string")
    assert not values.equal(None, "", "string")
    assert not values.equal([], None, ["list", "string"])
    assert values.equal(UNKNOWN, Unknown(b"\x81\x01\xc3"), "string")
    assert not values.equal(UNKNOWN, None, "string")
    assert not values.equal("x", UNKNOWN, "string")
    assert not values.equal(UNKNOWN, "x", "string")
    assert values.equal(1, 1.0, "number")
    assert values.equal(Decimal("0.5"), 0.5, "number")
