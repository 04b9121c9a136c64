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
from typing import Any, Callable

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
    return _decoder(ty, False, False)(raw)


def decode_json(data: bytes | str, ty: CtyType, *, lenient: bool = False) -> Any:
    """Decode JSON (DynamicValue.json or RawState.json). `lenient` fills missing object
    attributes with null and drops unknown ones, as a state written by an older schema needs.
    Fractions are read as Decimal: a float would turn the 0.1 of the state into another number."""
    if not data:
        return None
    return _decoder(ty, True, lenient)(json.loads(data, parse_float=Decimal))


def conform(raw: Any, ty: CtyType, *, lenient: bool = False) -> Any:
    """Shape an already JSON-decoded value (a dict from state, say) to type `ty`."""
    return _decoder(ty, True, lenient)(raw)


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


# ---------------------------------------------------------------- compiled codecs
#
# Every RPC decodes and encodes whole objects of its resource's type. Walking the type notation
# for each value (comparing "dynamic", "string", ... at every node) cost more than the values
# themselves, so each type is turned once into a tree of closures, one per node, that only
# check and convert. Compiled codecs are kept per type object (the schemas' types live as long
# as the process) and, for the inner types of dynamic values received, per type text.

Codec = Callable[[Any], Any]

_CACHE_MAX = 4096  # type objects; beyond this (types made per call) codecs are compiled, not kept
_decoders: dict[tuple[int, bool, bool], tuple[CtyType, Codec]] = {}
_encoders: dict[int, tuple[CtyType, Codec]] = {}
_by_text: dict[tuple[str | bytes, bool], Codec] = {}  # decoders of dynamic values' inner types


def _decoder(ty: CtyType, from_json: bool, lenient: bool) -> Codec:
    key = (id(ty), from_json, lenient)
    hit = _decoders.get(key)
    if hit is not None and hit[0] is ty:  # the cache holds `ty`, so its id is not reused
        return hit[1]
    codec = _compile_decoder(ty, from_json, lenient)
    if len(_decoders) < _CACHE_MAX:
        _decoders[key] = (ty, codec)
    return codec


def _unsupported(ty: CtyType) -> Codec:
    """A codec for a type notation this module does not know: it refuses every value but null
    and unknown (the type is only looked at when a value needs it)."""

    def refuse(raw: Any) -> Any:
        if raw is None or isinstance(raw, Unknown):
            return raw
        raise TypeMismatch(f"unsupported type {ty!r}")

    return refuse


def _decode_string(raw: Any) -> Any:
    if type(raw) is str:  # the common case first
        return raw
    if raw is None or isinstance(raw, Unknown):
        return raw
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw).decode("utf-8")
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise TypeMismatch(f"expected a string, got {type(raw).__name__}")
    return raw if isinstance(raw, str) else str(raw)


def _decode_number(raw: Any) -> Any:
    if raw is None or isinstance(raw, Unknown):
        return raw
    return _number(raw)


def _decode_bool(raw: Any) -> Any:
    if raw is True or raw is False or raw is None or isinstance(raw, Unknown):
        return raw
    raise TypeMismatch(f"expected a bool, got {type(raw).__name__}")


# Exact Python types a primitive's codec returns unchanged (objects skip the call for them).
_DECODED_AS_IS: dict[str, frozenset[type]] = {"string": frozenset({str}), "number": frozenset({int, float}),
                                              "bool": frozenset({bool})}
_ENCODED_AS_IS: dict[str, frozenset[type]] = {"string": frozenset({str}), "number": frozenset({float}),
                                              "bool": frozenset({bool})}

_NONE_AS_IS: frozenset[type] = frozenset()


def _as_is(table: dict[str, frozenset[type]], ty: CtyType) -> frozenset[type]:
    return table.get(ty, _NONE_AS_IS) if isinstance(ty, str) else _NONE_AS_IS


def _compile_decoder(ty: CtyType, from_json: bool, lenient: bool) -> Codec:
    if ty == "string":
        return _decode_string
    if ty == "number":
        return _decode_number
    if ty == "bool":
        return _decode_bool
    if ty == "dynamic":
        return _dynamic_json_decoder(lenient) if from_json else _dynamic_msgpack_decoder(lenient)
    if not (isinstance(ty, list) and len(ty) >= 2):
        return _unsupported(ty)
    kind = ty[0]
    if kind in ("list", "set"):
        elem = _decoder(ty[1], from_json, lenient)
        expected = f"expected a {kind}, got "

        def sequence(raw: Any) -> Any:
            if isinstance(raw, list):
                return [elem(v) for v in raw]
            if raw is None or isinstance(raw, Unknown):
                return raw
            raise TypeMismatch(expected + type(raw).__name__)

        return sequence
    if kind == "map":
        value = _decoder(ty[1], from_json, lenient)

        def mapping(raw: Any) -> Any:
            if isinstance(raw, dict):
                return {str(k): value(v) for k, v in raw.items()}
            if raw is None or isinstance(raw, Unknown):
                return raw
            raise TypeMismatch(f"expected a map, got {type(raw).__name__}")

        return mapping
    if kind == "tuple" and isinstance(ty[1], (list, tuple)):
        elems = [_decoder(t, from_json, lenient) for t in ty[1]]
        n = len(elems)

        def tuple_(raw: Any) -> Any:
            if raw is None or isinstance(raw, Unknown):
                return raw
            if not isinstance(raw, list) or len(raw) != n:
                raise TypeMismatch("tuple length does not match its type")
            return [dec(v) for v, dec in zip(raw, elems, strict=True)]

        return tuple_
    if kind == "object" and isinstance(ty[1], dict):
        # Null, and a primitive value of its own type, pass as they are: no call per attribute.
        attrs = [(name, _decoder(aty, from_json, lenient), _as_is(_DECODED_AS_IS, aty))
                 for name, aty in ty[1].items()]
        names = ty[1].keys()

        def object_(raw: Any) -> Any:
            if isinstance(raw, dict):
                if not lenient:
                    extra = raw.keys() - names
                    if extra:
                        raise TypeMismatch(f"unexpected attribute {sorted(extra)[0]!r}")
                get = raw.get
                return {name: v if (v := get(name)) is None or type(v) in as_is else dec(v)
                        for name, dec, as_is in attrs}
            if raw is None or isinstance(raw, Unknown):
                return raw
            raise TypeMismatch(f"expected an object, got {type(raw).__name__}")

        return object_
    return _unsupported(ty)


def _dynamic_msgpack_decoder(lenient: bool) -> Codec:
    def dynamic(raw: Any) -> Any:
        if raw is None or isinstance(raw, Unknown):
            return raw
        if not (isinstance(raw, list) and len(raw) == 2):
            raise TypeMismatch("dynamic value is not a [type, value] pair")
        text = raw[0]
        key = (text, lenient) if isinstance(text, (str, bytes)) else None
        inner = _by_text.get(key) if key is not None else None
        if inner is None:
            inner = _compile_decoder(json.loads(text), False, lenient)
            if key is not None and len(_by_text) < _CACHE_MAX:
                _by_text[key] = inner
        return inner(raw[1])

    return dynamic


def _dynamic_json_decoder(lenient: bool) -> Codec:
    def dynamic(raw: Any) -> Any:
        # JSON dynamic values are {"value": V, "type": T}
        if isinstance(raw, dict) and "type" in raw:
            return _compile_decoder(raw["type"], True, lenient)(raw.get("value"))
        return raw

    return dynamic


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


_PLAIN_UNKNOWN = msgpack.ExtType(_UNKNOWN_EXT, b"\x00")


def _unknown_ext(value: Unknown) -> msgpack.ExtType:
    if value.refinement is not None:
        return msgpack.ExtType(_REFINED_EXT, value.refinement)
    return _PLAIN_UNKNOWN


def _encoder(ty: CtyType) -> Codec:
    hit = _encoders.get(id(ty))
    if hit is not None and hit[0] is ty:
        return hit[1]
    codec = _compile_encoder(ty)
    if len(_encoders) < _CACHE_MAX:
        _encoders[id(ty)] = (ty, codec)
    return codec


def _encode_string(value: Any) -> Any:
    if type(value) is str or value is None:
        return value
    if isinstance(value, Unknown):
        return _unknown_ext(value)
    if not isinstance(value, str):
        raise TypeMismatch(f"expected a string, got {type(value).__name__}")
    return value


def _encode_number(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Unknown):
        return _unknown_ext(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TypeMismatch(f"expected a number, got {type(value).__name__}")
    if isinstance(value, int):
        return value if _INT64_MIN <= value <= _INT64_MAX else str(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _encode_bool(value: Any) -> Any:
    if value is True or value is False or value is None:
        return value
    if isinstance(value, Unknown):
        return _unknown_ext(value)
    raise TypeMismatch(f"expected a bool, got {type(value).__name__}")


def _encode_dynamic(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Unknown):
        return _unknown_ext(value)
    inner = _infer_type(value)  # a type per value: compiled for it, not kept
    return [json.dumps(inner, separators=(",", ":")).encode(), _compile_encoder(inner)(value)]


def _unsupported_encoder(ty: CtyType) -> Codec:
    def refuse(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Unknown):
            return _unknown_ext(value)
        raise TypeMismatch(f"unsupported type {ty!r}")

    return refuse


def _compile_encoder(ty: CtyType) -> Codec:
    """Shape a Python value for msgpack according to `ty` (compiled: see the decoders)."""
    if ty == "string":
        return _encode_string
    if ty == "number":
        return _encode_number
    if ty == "bool":
        return _encode_bool
    if ty == "dynamic":
        return _encode_dynamic
    if not (isinstance(ty, list) and len(ty) >= 2):
        return _unsupported_encoder(ty)
    kind = ty[0]
    if kind in ("list", "set"):
        elem = _encoder(ty[1])

        def sequence(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, Unknown):
                return _unknown_ext(value)
            return [elem(v) for v in value]

        return sequence
    if kind == "map":
        mapped = _encoder(ty[1])

        def mapping(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, Unknown):
                return _unknown_ext(value)
            return {k: mapped(v) for k, v in value.items()}

        return mapping
    if kind == "tuple" and isinstance(ty[1], (list, tuple)):
        elems = [_encoder(t) for t in ty[1]]
        n = len(elems)

        def tuple_(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, Unknown):
                return _unknown_ext(value)
            if len(value) != n:
                raise TypeMismatch("tuple length does not match its type")
            return [enc(v) for v, enc in zip(value, elems, strict=True)]

        return tuple_
    if kind == "object" and isinstance(ty[1], dict):
        attrs = [(name, _encoder(aty), _as_is(_ENCODED_AS_IS, aty)) for name, aty in ty[1].items()]

        def object_(value: Any) -> Any:
            if isinstance(value, dict):
                get = value.get
                return {name: v if (v := get(name)) is None or type(v) in as_is else enc(v)
                        for name, enc, as_is in attrs}
            if value is None:
                return None
            if isinstance(value, Unknown):
                return _unknown_ext(value)
            raise TypeMismatch(f"expected an object, got {type(value).__name__}")

        return object_
    return _unsupported_encoder(ty)


def encode_msgpack(value: Any, ty: CtyType) -> bytes:
    packed: bytes = msgpack.packb(_encoder(ty)(value), use_bin_type=True)
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
