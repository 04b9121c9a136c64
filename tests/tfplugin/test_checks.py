"""checks.register_sensitive: exactly the values of sensitive attributes are registered for
scrubbing, at any depth of nested attributes (its walk is worked out once per schema)."""

from __future__ import annotations

import uuid

import pytest

from provider.tfplugin import redact
from provider.tfplugin.checks import register_sensitive
from provider.tfplugin.schema import Attribute, Block, NestedType, Schema
from provider.tfplugin.values import UNKNOWN


def secret() -> str:
    return f"s3cret-{uuid.uuid4().hex}"


def scrubbed(text: str) -> bool:
    return redact.scrub(text) != text


@pytest.mark.parametrize("nesting", ["single", "list", "set", "map"])
def test_sensitive_attribute_inside_a_plain_nested_attribute(nesting: str) -> None:
    inner = NestedType([Attribute("key", "string", optional=True, sensitive=True),
                        Attribute("label", "string", optional=True)], nesting=nesting)  # type: ignore[arg-type]
    schema = Schema(Block(attributes=[Attribute("id", "string", computed=True),
                                      Attribute("outer", nested=NestedType([Attribute("item", nested=inner, optional=True)]),
                                                optional=True)]))
    key, label, ident = secret(), secret(), secret()
    obj = {"key": key, "label": label}
    item = obj if nesting == "single" else {"a": obj} if nesting == "map" else [obj, None]
    register_sensitive(schema, {"id": ident, "outer": {"item": item}})
    assert scrubbed(key)
    assert not scrubbed(label) and not scrubbed(ident)


def test_a_sensitive_nested_attribute_registers_every_string_beneath() -> None:
    inner = NestedType([Attribute("k", "string", optional=True), Attribute("tags", ["list", "string"], optional=True)],
                       nesting="list")
    schema = Schema(Block(attributes=[Attribute("creds", nested=inner, optional=True, sensitive=True),
                                      Attribute("name", "string", optional=True)]))
    k, tag, name = secret(), secret(), secret()
    register_sensitive(schema, {"creds": [{"k": k, "tags": [tag]}], "name": name})
    assert scrubbed(k) and scrubbed(tag)
    assert not scrubbed(name)


def test_null_unknown_and_non_object_values_are_walked_safely() -> None:
    schema = Schema(Block(attributes=[Attribute("token", "string", optional=True, sensitive=True),
                                      Attribute("n", nested=NestedType([Attribute("t", "string", optional=True, sensitive=True)]),
                                                optional=True)]))
    for value in (None, UNKNOWN, {"token": None, "n": None}, {"token": UNKNOWN, "n": UNKNOWN}, {"n": {"t": UNKNOWN}}):
        register_sensitive(schema, value)
    t = secret()
    register_sensitive(schema, {"token": None, "n": {"t": t}})
    assert scrubbed(t)


def test_a_schema_without_sensitive_attributes_registers_nothing() -> None:
    schema = Schema(Block(attributes=[Attribute("name", "string", optional=True),
                                      Attribute("n", nested=NestedType([Attribute("t", "string", optional=True)]), optional=True)]))
    name, t = secret(), secret()
    register_sensitive(schema, {"name": name, "n": {"t": t}})
    assert not scrubbed(name) and not scrubbed(t)
