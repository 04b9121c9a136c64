"""Schema declarations: constructor checks, the derived cty type, and the protobuf Schema."""

from __future__ import annotations

import json

import pytest

from provider.tfplugin.proto import tfplugin6_pb2 as pb
from provider.tfplugin.schema import Attribute, Block, NestedBlock, NestedType, Schema, list_of, map_of, set_of, to_proto


def attr_by_name(block: pb.Schema.Block, name: str) -> pb.Schema.Attribute:
    return next(a for a in block.attributes if a.name == name)


# ---------------------------------------------------------------- constructor checks


def test_attribute_needs_a_flag() -> None:
    with pytest.raises(TypeError, match="required, optional or computed"):
        Attribute("x", "string")


def test_default_needs_computed() -> None:
    with pytest.raises(TypeError, match="default needs computed"):
        Attribute("x", "string", optional=True, default="d")
    Attribute("x", "string", optional=True, computed=True, default="d")  # fine
    Attribute("x", "bool", optional=True, computed=True, default=False)  # falsy defaults count


def test_exactly_one_of_type_or_nested() -> None:
    nested = NestedType([Attribute("a", "string", optional=True)])
    with pytest.raises(TypeError, match="exactly one of type or nested"):
        Attribute("x", "string", optional=True, nested=nested)
    with pytest.raises(TypeError, match="exactly one of type or nested"):
        Attribute("x", optional=True)


def test_type_helpers() -> None:
    assert list_of("string") == ["list", "string"]
    assert set_of("number") == ["set", "number"]
    assert map_of(["list", "bool"]) == ["map", ["list", "bool"]]


# ---------------------------------------------------------------- cty types

INNER = [Attribute("a", "string", optional=True), Attribute("n", "number", computed=True)]
INNER_OBJ = ["object", {"a": "string", "n": "number"}]


@pytest.mark.parametrize(
    "nesting, expected",
    [("single", INNER_OBJ), ("list", ["list", INNER_OBJ]), ("set", ["set", INNER_OBJ]), ("map", ["map", INNER_OBJ])],
)
def test_nested_attribute_cty_type(nesting: str, expected: object) -> None:
    a = Attribute("x", nested=NestedType(INNER, nesting=nesting), optional=True)
    assert a.cty_type == expected
    assert a.nested is not None and a.nested.object_type == INNER_OBJ
    assert a.nested.attribute("n").computed


def test_block_cty_type_with_every_nesting() -> None:
    inner = Block(attributes=[Attribute("v", "string", optional=True)])
    obj = ["object", {"v": "string"}]
    schema = Schema(
        Block(
            attributes=[Attribute("id", "string", computed=True), Attribute("tags", set_of("string"), optional=True)],
            blocks=[
                NestedBlock("one", inner, nesting="single"),
                NestedBlock("many", inner, nesting="list"),
                NestedBlock("bag", inner, nesting="set"),
                NestedBlock("named", inner, nesting="map"),
                NestedBlock("grp", inner, nesting="group"),
            ],
        )
    )
    assert schema.cty_type == [
        "object",
        {
            "id": "string",
            "tags": ["set", "string"],
            "one": obj,
            "many": ["list", obj],
            "bag": ["set", obj],
            "named": ["map", obj],
            "grp": obj,
        },
    ]
    assert schema.block.block("many") is not None and schema.block.block("nope") is None
    assert schema.block.attribute("id") is not None and schema.block.attribute("nope") is None


def test_walk_yields_nested_paths() -> None:
    schema = Schema(
        Block(
            attributes=[Attribute("top", nested=NestedType(INNER, nesting="list"), optional=True)],
            blocks=[NestedBlock("blk", Block(attributes=[Attribute("b", "string", optional=True)]))],
        )
    )
    assert [p for p, _ in schema.walk()] == [("top",), ("top", "a"), ("top", "n"), ("blk", "b")]


# ---------------------------------------------------------------- to_proto


def test_attribute_flags_to_proto() -> None:
    schema = Schema(
        Block(
            description="The block.",
            attributes=[
                Attribute("req", "string", required=True, description="Required **one**."),
                Attribute("opt", "number", optional=True),
                Attribute("comp", "bool", computed=True),
                Attribute("oc", list_of("string"), optional=True, computed=True),
                Attribute("sec", "string", optional=True, sensitive=True),
                Attribute("wo", "string", optional=True, write_only=True),
                Attribute("old", "string", optional=True, deprecated="Use req instead."),
            ],
        ),
        version=3,
    )
    msg = to_proto(schema)
    assert isinstance(msg, pb.Schema)
    assert msg.version == 3
    assert msg.block.description == "The block."
    assert msg.block.description_kind == pb.StringKind.MARKDOWN
    req = attr_by_name(msg.block, "req")
    assert (req.required, req.optional, req.computed) == (True, False, False)
    assert req.description == "Required **one**." and req.description_kind == pb.StringKind.MARKDOWN
    assert json.loads(req.type) == "string"
    assert json.loads(attr_by_name(msg.block, "opt").type) == "number"
    assert attr_by_name(msg.block, "opt").optional and not attr_by_name(msg.block, "opt").computed
    assert attr_by_name(msg.block, "comp").computed and not attr_by_name(msg.block, "comp").optional
    oc = attr_by_name(msg.block, "oc")
    assert oc.optional and oc.computed and json.loads(oc.type) == ["list", "string"]
    assert oc.type == b'["list","string"]'  # compact JSON, as Terraform writes it
    assert attr_by_name(msg.block, "sec").sensitive and not attr_by_name(msg.block, "opt").sensitive
    assert attr_by_name(msg.block, "wo").write_only and not attr_by_name(msg.block, "sec").write_only
    old = attr_by_name(msg.block, "old")
    assert old.deprecated and old.deprecation_message == "Use req instead."
    assert not req.deprecated and req.deprecation_message == ""


@pytest.mark.parametrize(
    "nesting, pb_nesting",
    [
        ("single", pb.Schema.Object.SINGLE),
        ("list", pb.Schema.Object.LIST),
        ("set", pb.Schema.Object.SET),
        ("map", pb.Schema.Object.MAP),
    ],
)
def test_nested_attributes_to_proto(nesting: str, pb_nesting: int) -> None:
    deeper = Attribute("deep", nested=NestedType([Attribute("z", "string", required=True)]), optional=True)
    a = Attribute("x", nested=NestedType(INNER + [deeper], nesting=nesting), optional=True, sensitive=True)
    msg = to_proto(Schema(Block(attributes=[a])))
    x = msg.block.attributes[0]
    assert x.type == b""  # nested attributes carry nested_type, never type
    assert x.HasField("nested_type") and x.sensitive and x.optional
    assert x.nested_type.nesting == pb_nesting
    assert [i.name for i in x.nested_type.attributes] == ["a", "n", "deep"]
    assert x.nested_type.attributes[1].computed
    deep = x.nested_type.attributes[2]
    assert deep.nested_type.nesting == pb.Schema.Object.SINGLE
    assert deep.nested_type.attributes[0].required and json.loads(deep.nested_type.attributes[0].type) == "string"


@pytest.mark.parametrize(
    "nesting, pb_nesting",
    [
        ("single", pb.Schema.NestedBlock.SINGLE),
        ("list", pb.Schema.NestedBlock.LIST),
        ("set", pb.Schema.NestedBlock.SET),
        ("map", pb.Schema.NestedBlock.MAP),
        ("group", pb.Schema.NestedBlock.GROUP),
    ],
)
def test_blocks_to_proto(nesting: str, pb_nesting: int) -> None:
    inner = Block(
        attributes=[Attribute("v", "string", optional=True)],
        blocks=[NestedBlock("sub", Block(attributes=[Attribute("w", "number", required=True)]), nesting="list", max_items=2)],
        description="inner block",
        deprecated=True,
    )
    msg = to_proto(Schema(Block(blocks=[NestedBlock("thing", inner, nesting=nesting, min_items=1, max_items=4)])))
    (nb,) = msg.block.block_types
    assert nb.type_name == "thing" and nb.nesting == pb_nesting
    assert (nb.min_items, nb.max_items) == (1, 4)
    assert nb.block.description == "inner block" and nb.block.deprecated
    assert nb.block.attributes[0].name == "v"
    (sub,) = nb.block.block_types
    assert sub.type_name == "sub" and sub.nesting == pb.Schema.NestedBlock.LIST and sub.max_items == 2
    assert sub.block.attributes[0].required


def test_default_schema_version_and_empty_block() -> None:
    msg = to_proto(Schema(Block()))
    assert msg.version == 0
    assert list(msg.block.attributes) == [] and list(msg.block.block_types) == []
    assert not msg.block.deprecated


def test_proto_serialises_and_parses_back() -> None:
    a = Attribute("x", nested=NestedType(INNER, nesting="map"), optional=True)
    msg = to_proto(Schema(Block(attributes=[a]), version=2))
    again = pb.Schema.FromString(msg.SerializeToString())
    assert again == msg
