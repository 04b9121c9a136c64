"""Schemas, written once per resource: attributes, nested attributes, blocks and their flags.

The same declaration gives the wire type (for the value codec), the protobuf Schema for
GetProviderSchema, plan behaviour (defaults, requires-replace, values kept from state) and the
generated docs. Nothing here imports protobuf until `to_proto` is called.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterator, Literal

from .planmodifiers import PlanModifier, RequiresReplaceIf, UseStateForUnknown
from .values import CtyType

Nesting = Literal["single", "list", "set", "map", "group"]

# A validator gets the attribute's value (never Unknown or None: the plugin layer rejects a
# null required value, and a null collection element, before validators run) and returns an
# error message, or None when the value is fine. An optional attribute's null means "not set":
# its description says what that means.
Validator = Callable[[Any], "str | None"]


def list_of(t: CtyType) -> CtyType:
    return ["list", t]


def set_of(t: CtyType) -> CtyType:
    return ["set", t]


def map_of(t: CtyType) -> CtyType:
    return ["map", t]


@dataclass
class Attribute:
    name: str
    type: CtyType | None = None  # None when `nested` gives the type
    description: str = ""
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    write_only: bool = False
    deprecated: str | None = None  # the deprecation message
    default: Any = None  # applied when the configuration leaves it null (needs computed)
    nested: "NestedType | None" = None
    validators: list[Validator] = field(default_factory=list)
    # What plans do beyond the shared semantics: UseStateForUnknown, RequiresReplace(If), ...
    plan_modifiers: list[PlanModifier] = field(default_factory=list)

    def __post_init__(self) -> None:
        if (self.type is None) == (self.nested is None):
            raise TypeError(f"attribute {self.name!r}: give exactly one of type or nested")
        if not (self.required or self.optional or self.computed):
            raise TypeError(f"attribute {self.name!r}: required, optional or computed")
        if self.default is not None and not self.computed:
            raise TypeError(f"attribute {self.name!r}: a default needs computed=True")

    @property
    def cty_type(self) -> CtyType:
        return self.nested.cty_type if self.nested else self.type

    @property
    def use_state_for_unknown(self) -> bool:
        return any(isinstance(m, UseStateForUnknown) for m in self.plan_modifiers)

    @property
    def replace_conditions(self) -> list[RequiresReplaceIf]:
        return [m for m in self.plan_modifiers if isinstance(m, RequiresReplaceIf)]


@dataclass
class NestedType:
    """A nested attribute's object type (protocol 6 nested attributes)."""

    attributes: list[Attribute]
    nesting: Literal["single", "list", "set", "map"] = "single"

    @property
    def object_type(self) -> CtyType:
        return ["object", {a.name: a.cty_type for a in self.attributes}]

    @property
    def cty_type(self) -> CtyType:
        obj = self.object_type
        return obj if self.nesting == "single" else [self.nesting, obj]

    def attribute(self, name: str) -> Attribute:
        return next(a for a in self.attributes if a.name == name)


@dataclass
class Block:
    attributes: list[Attribute] = field(default_factory=list)
    blocks: list["NestedBlock"] = field(default_factory=list)
    description: str = ""
    deprecated: bool = False

    @property
    def cty_type(self) -> CtyType:
        types: dict[str, CtyType] = {a.name: a.cty_type for a in self.attributes}
        for b in self.blocks:
            types[b.type_name] = b.cty_type
        return ["object", types]

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)

    def block(self, name: str) -> "NestedBlock | None":
        return next((b for b in self.blocks if b.type_name == name), None)


@dataclass
class NestedBlock:
    type_name: str
    block: Block
    nesting: Nesting = "list"
    min_items: int = 0
    max_items: int = 0

    @property
    def cty_type(self) -> CtyType:
        obj = self.block.cty_type
        return obj if self.nesting in ("single", "group") else [self.nesting, obj]


@dataclass
class Schema:
    block: Block
    version: int = 0

    @cached_property
    def cty_type(self) -> CtyType:
        # Computed once: every RPC decodes and encodes with it (schemas are not changed after
        # declaration).
        return self.block.cty_type

    def walk(self) -> Iterator[tuple[tuple[str, ...], Attribute]]:
        """Every attribute with its path of names, nested ones included."""

        def rec(prefix: tuple[str, ...], attrs: list[Attribute]) -> Iterator[tuple[tuple[str, ...], Attribute]]:
            for a in attrs:
                yield prefix + (a.name,), a
                if a.nested:
                    yield from rec(prefix + (a.name,), a.nested.attributes)

        def rec_block(prefix: tuple[str, ...], block: Block) -> Iterator[tuple[tuple[str, ...], Attribute]]:
            yield from rec(prefix, block.attributes)
            for b in block.blocks:
                yield from rec_block(prefix + (b.type_name,), b.block)

        yield from rec_block((), self.block)


# ---------------------------------------------------------------- to protobuf


def _kind(pb: Any) -> int:
    return int(pb.StringKind.MARKDOWN)


def _attr_to_proto(a: Attribute, pb: Any) -> Any:
    msg = pb.Schema.Attribute(
        name=a.name,
        description=a.description,
        description_kind=_kind(pb),
        required=a.required,
        optional=a.optional,
        computed=a.computed,
        sensitive=a.sensitive,
        write_only=a.write_only,
        deprecated=a.deprecated is not None,
        deprecation_message=a.deprecated or "",
    )
    if a.nested:
        nesting = {
            "single": pb.Schema.Object.SINGLE,
            "list": pb.Schema.Object.LIST,
            "set": pb.Schema.Object.SET,
            "map": pb.Schema.Object.MAP,
        }[a.nested.nesting]
        msg.nested_type.CopyFrom(
            pb.Schema.Object(attributes=[_attr_to_proto(x, pb) for x in a.nested.attributes], nesting=nesting)
        )
    else:
        msg.type = json.dumps(a.type, separators=(",", ":")).encode()
    return msg


def _block_to_proto(b: Block, pb: Any) -> Any:
    nesting = {
        "single": pb.Schema.NestedBlock.SINGLE,
        "list": pb.Schema.NestedBlock.LIST,
        "set": pb.Schema.NestedBlock.SET,
        "map": pb.Schema.NestedBlock.MAP,
        "group": pb.Schema.NestedBlock.GROUP,
    }
    return pb.Schema.Block(
        attributes=[_attr_to_proto(a, pb) for a in b.attributes],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=nb.type_name,
                block=_block_to_proto(nb.block, pb),
                nesting=nesting[nb.nesting],
                min_items=nb.min_items,
                max_items=nb.max_items,
            )
            for nb in b.blocks
        ],
        description=b.description,
        description_kind=_kind(pb),
        deprecated=b.deprecated,
    )


def to_proto(schema: Schema) -> Any:
    from .proto import tfplugin6_pb2 as pb

    return pb.Schema(version=schema.version, block=_block_to_proto(schema.block, pb))
