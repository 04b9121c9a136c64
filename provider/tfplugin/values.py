"""Terraform values on the wire (msgpack, or JSON in state upgrades) to plain Python and back.

Resources see only dicts, lists, str, int/float/Decimal, bool, None and `Unknown`. Type
constraints use Terraform's JSON type notation: "string", "number", "bool", "dynamic",
["list", T], ["set", T], ["map", T], ["object", {name: T}] (optionally with a third element
listing optional attributes) and ["tuple", [T, ...]]. Sets decode to lists: their order means
nothing, so compare them with `same_set`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgpack

CtyType = Any  # the JSON type notation above

_UNKNOWN_EXT = 0  # cty's plain unknown
_REFINED_EXT = 12  # Terraform 1.6+: unknown with refinements (prefix, not-null, ranges)

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class Unknown:
    """A value not known until apply; test for it with `isinstance(value, Unknown)`. Refinements
    are kept opaque, only to be echoed back."""

    __slots__ = ("refinement",)

    def __init__(self, refinement: bytes | None = None) -> None:
        self.refinement = refinement

    def __repr__(self) -> str:
        return "Unknown(refined)" if self.refinement else "Unknown"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown)

    def __hash__(self) -> int:
        return hash(Unknown)


UNKNOWN = Unknown()


class TypeMismatch(ValueError):
    """A value (on the wire, or from a resource) that does not fit its schema type."""


# ---------------------------------------------------------------- msgpack decoding


def _ext_hook(code: int, data: bytes) -> Any:
    if code == _UNKNOWN_EXT:
        return UNKNOWN
    if code == _REFINED_EXT:
        return Unknown(refinement=data)
    # The wire format: any other extension code is an unknown too (payload ignored).
    return UNKNOWN


def decode_msgpack(data: bytes, ty: CtyType) -> Any:
    """Decode a DynamicValue.msgpack payload of type `ty`."""
    if not data:
        return None
    raw = msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False)
    return _conform(raw, ty, from_json=False)


def decode_json(data: bytes | str, ty: CtyType, *, lenient: bool = False) -> Any:
    """Decode JSON (DynamicValue.json or RawState.json). `lenient` fills missing object
    attributes with null and drops unknown ones, as a state written by an older schema needs.
    Fractions are read as Decimal: a float would turn the 0.1 of the state into another number."""
    if not data:
        return None
    return _conform(json.loads(data, parse_float=Decimal), ty, from_json=True, lenient=lenient)


def conform(raw: Any, ty: CtyType, *, lenient: bool = False) -> Any:
    """Shape an already JSON-decoded value (a dict from state, say) to type `ty`."""
    return _conform(raw, ty, from_json=True, lenient=lenient)


def _number(raw: Any) -> int | float | Decimal:
    if isinstance(raw, bool):
        raise TypeMismatch("expected a number, got a bool")
    if isinstance(raw, (int, float)):
        return raw
    if isinstance(raw, Decimal):  # a JSON fraction
        return int(raw) if raw.is_finite() and raw == raw.to_integral_value() else raw
    if isinstance(raw, str):  # big numbers travel as their decimal text
        try:
            d = Decimal(raw)
        except Exception as exc:  # any parse failure is the same error
            raise TypeMismatch(f"invalid number {raw!r}") from exc
        return int(d) if d == d.to_integral_value() else d
    raise TypeMismatch(f"expected a number, got {type(raw).__name__}")


def _conform(raw: Any, ty: CtyType, *, from_json: bool, lenient: bool = False) -> Any:
    if raw is None or isinstance(raw, Unknown):
        return raw
    if ty == "dynamic":
        if from_json:
            # JSON dynamic values are {"value": V, "type": T}
            if isinstance(raw, dict) and "type" in raw:
                return _conform(raw.get("value"), raw["type"], from_json=True, lenient=lenient)
            return raw
        if not (isinstance(raw, list) and len(raw) == 2):
            raise TypeMismatch("dynamic value is not a [type, value] pair")
        inner_ty = json.loads(raw[0])
        return _conform(raw[1], inner_ty, from_json=from_json, lenient=lenient)
    if ty == "string":
        if isinstance(raw, (bytes, bytearray)):
            return bytes(raw).decode("utf-8")
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
            raise TypeMismatch(f"expected a string, got {type(raw).__name__}")
        return raw if isinstance(raw, str) else str(raw)
    if ty == "number":
        return _number(raw)
    if ty == "bool":
        if not isinstance(raw, bool):
            raise TypeMismatch(f"expected a bool, got {type(raw).__name__}")
        return raw
    if isinstance(ty, list) and ty:
        kind = ty[0]
        if kind in ("list", "set"):
            if not isinstance(raw, list):
                raise TypeMismatch(f"expected a {kind}, got {type(raw).__name__}")
            return [_conform(v, ty[1], from_json=from_json, lenient=lenient) for v in raw]
        if kind == "map":
            if not isinstance(raw, dict):
                raise TypeMismatch(f"expected a map, got {type(raw).__name__}")
            return {str(k): _conform(v, ty[1], from_json=from_json, lenient=lenient) for k, v in raw.items()}
        if kind == "tuple":
            if not isinstance(raw, list) or len(raw) != len(ty[1]):
                raise TypeMismatch("tuple length does not match its type")
            return [_conform(v, t, from_json=from_json, lenient=lenient) for v, t in zip(raw, ty[1], strict=True)]
        if kind == "object":
            if not isinstance(raw, dict):
                raise TypeMismatch(f"expected an object, got {type(raw).__name__}")
            attrs: dict[str, Any] = ty[1]
            if not lenient:
                extra = set(raw) - set(attrs)
                if extra:
                    raise TypeMismatch(f"unexpected attribute {sorted(extra)[0]!r}")
            return {
                name: _conform(raw.get(name), aty, from_json=from_json, lenient=lenient)
                for name, aty in attrs.items()
            }
    raise TypeMismatch(f"unsupported type {ty!r}")


# ---------------------------------------------------------------- msgpack encoding


def _infer_type(value: Any) -> CtyType:
    """The type of a plain value, for attributes typed `dynamic`."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return ["object", {k: _infer_type(v) for k, v in value.items()}]
    if isinstance(value, (list, tuple)):
        return ["tuple", [_infer_type(v) for v in value]]
    if value is None or isinstance(value, Unknown):
        return "dynamic"
    raise TypeMismatch(f"cannot infer a Terraform type for {type(value).__name__}")


def _prepare(value: Any, ty: CtyType) -> Any:
    """Shape a Python value for msgpack according to `ty`."""
    if value is None:
        return None
    if isinstance(value, Unknown):
        if value.refinement is not None:
            return msgpack.ExtType(_REFINED_EXT, value.refinement)
        return msgpack.ExtType(_UNKNOWN_EXT, b"\x00")
    if ty == "dynamic":
        inner = _infer_type(value)
        return [json.dumps(inner, separators=(",", ":")).encode(), _prepare(value, inner)]
    if ty == "string":
        if not isinstance(value, str):
            raise TypeMismatch(f"expected a string, got {type(value).__name__}")
        return value
    if ty == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise TypeMismatch(f"expected a number, got {type(value).__name__}")
        if isinstance(value, int):
            return value if _INT64_MIN <= value <= _INT64_MAX else str(value)
        if isinstance(value, Decimal):
            return str(value)
        return value
    if ty == "bool":
        if not isinstance(value, bool):
            raise TypeMismatch(f"expected a bool, got {type(value).__name__}")
        return value
    kind = ty[0]
    if kind in ("list", "set"):
        return [_prepare(v, ty[1]) for v in value]
    if kind == "map":
        return {k: _prepare(v, ty[1]) for k, v in value.items()}
    if kind == "tuple":
        if len(value) != len(ty[1]):
            raise TypeMismatch("tuple length does not match its type")
        return [_prepare(v, t) for v, t in zip(value, ty[1], strict=True)]
    if kind == "object":
        if not isinstance(value, dict):
            raise TypeMismatch(f"expected an object, got {type(value).__name__}")
        return {name: _prepare(value.get(name), aty) for name, aty in ty[1].items()}
    raise TypeMismatch(f"unsupported type {ty!r}")


def encode_msgpack(value: Any, ty: CtyType) -> bytes:
    packed: bytes = msgpack.packb(_prepare(value, ty), use_bin_type=True)
    return packed


# ---------------------------------------------------------------- comparison helpers


def same_set(a: list[Any] | None, b: list[Any] | None) -> bool:
    """Set equality for decoded set values (lists in any order, elements maybe dicts)."""
    if a is None or b is None:
        return a is b
    if len(a) != len(b):
        return False
    def key(v: Any) -> str:
        return json.dumps(v, sort_keys=True, default=repr)

    return sorted(map(key, a)) == sorted(map(key, b))


def equal(a: Any, b: Any, ty: CtyType) -> bool:
    """Value equality that treats sets as unordered, at any depth."""
    if a is None or b is None or isinstance(a, Unknown) or isinstance(b, Unknown):
        return a == b if not (a is None or b is None) else a is b
    if isinstance(ty, list) and ty:
        kind = ty[0]
        if kind == "set":
            if len(a) != len(b):
                return False
            remaining = list(b)
            for item in a:
                for i, other in enumerate(remaining):
                    if equal(item, other, ty[1]):
                        del remaining[i]
                        break
                else:
                    return False
            return True
        if kind == "list":
            return len(a) == len(b) and all(equal(x, y, ty[1]) for x, y in zip(a, b, strict=True))
        if kind == "tuple":
            return len(a) == len(b) and all(equal(x, y, t) for x, y, t in zip(a, b, ty[1], strict=True))
        if kind == "map":
            return a.keys() == b.keys() and all(equal(a[k], b[k], ty[1]) for k in a)
        if kind == "object":
            return all(equal(a.get(k), b.get(k), t) for k, t in ty[1].items())
    return bool(a == b)
