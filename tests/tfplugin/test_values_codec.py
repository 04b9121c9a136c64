"""The compiled value codec against the walk it replaced: for a few thousand generated types and
values (nested objects, lists, sets, maps, tuples, dynamic, null, unknown, refined unknown, big
and fractional numbers) and as many wrong values, decoding (msgpack, JSON strict and lenient)
and encoding give the same values, the same bytes and the same errors as the reference below,
which is the codec as it was before it was compiled (a type walked for every value)."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

import msgpack
import pytest

from provider.tfplugin import values
from provider.tfplugin.values import TypeMismatch, Unknown, _ext_hook, _number

CtyType = Any
_UNKNOWN_EXT, _REFINED_EXT = 0, 12
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


# ---------------------------------------------------------------- the reference (the walk as it was)

def ref_conform(raw: Any, ty: CtyType, *, from_json: bool, lenient: bool = False) -> Any:
    if raw is None or isinstance(raw, Unknown):
        return raw
    if ty == "dynamic":
        if from_json:
            # JSON dynamic values are {"value": V, "type": T}
            if isinstance(raw, dict) and "type" in raw:
                return ref_conform(raw.get("value"), raw["type"], from_json=True, lenient=lenient)
            return raw
        if not (isinstance(raw, list) and len(raw) == 2):
            raise TypeMismatch("dynamic value is not a [type, value] pair")
        inner_ty = json.loads(raw[0])
        return ref_conform(raw[1], inner_ty, from_json=from_json, lenient=lenient)
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
            return [ref_conform(v, ty[1], from_json=from_json, lenient=lenient) for v in raw]
        if kind == "map":
            if not isinstance(raw, dict):
                raise TypeMismatch(f"expected a map, got {type(raw).__name__}")
            return {str(k): ref_conform(v, ty[1], from_json=from_json, lenient=lenient) for k, v in raw.items()}
        if kind == "tuple":
            if not isinstance(raw, list) or len(raw) != len(ty[1]):
                raise TypeMismatch("tuple length does not match its type")
            return [ref_conform(v, t, from_json=from_json, lenient=lenient) for v, t in zip(raw, ty[1], strict=True)]
        if kind == "object":
            if not isinstance(raw, dict):
                raise TypeMismatch(f"expected an object, got {type(raw).__name__}")
            attrs: dict[str, Any] = ty[1]
            if not lenient:
                extra = set(raw) - set(attrs)
                if extra:
                    raise TypeMismatch(f"unexpected attribute {sorted(extra)[0]!r}")
            return {
                name: ref_conform(raw.get(name), aty, from_json=from_json, lenient=lenient)
                for name, aty in attrs.items()
            }
    raise TypeMismatch(f"unsupported type {ty!r}")


# ---------------------------------------------------------------- msgpack encoding


def ref_infer_type(value: Any) -> CtyType:
    """The type of a plain value, for attributes typed `dynamic`."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return ["object", {k: ref_infer_type(v) for k, v in value.items()}]
    if isinstance(value, (list, tuple)):
        return ["tuple", [ref_infer_type(v) for v in value]]
    if value is None or isinstance(value, Unknown):
        return "dynamic"
    raise TypeMismatch(f"cannot infer a Terraform type for {type(value).__name__}")


def ref_prepare(value: Any, ty: CtyType) -> Any:
    """Shape a Python value for msgpack according to `ty`."""
    if value is None:
        return None
    if isinstance(value, Unknown):
        if value.refinement is not None:
            return msgpack.ExtType(_REFINED_EXT, value.refinement)
        return msgpack.ExtType(_UNKNOWN_EXT, b"\x00")
    if ty == "dynamic":
        inner = ref_infer_type(value)
        return [json.dumps(inner, separators=(",", ":")).encode(), ref_prepare(value, inner)]
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
        return [ref_prepare(v, ty[1]) for v in value]
    if kind == "map":
        return {k: ref_prepare(v, ty[1]) for k, v in value.items()}
    if kind == "tuple":
        if len(value) != len(ty[1]):
            raise TypeMismatch("tuple length does not match its type")
        return [ref_prepare(v, t) for v, t in zip(value, ty[1], strict=True)]
    if kind == "object":
        if not isinstance(value, dict):
            raise TypeMismatch(f"expected an object, got {type(value).__name__}")
        return {name: ref_prepare(value.get(name), aty) for name, aty in ty[1].items()}
    raise TypeMismatch(f"unsupported type {ty!r}")


def ref_encode(value: Any, ty: CtyType) -> bytes:
    packed: bytes = msgpack.packb(ref_prepare(value, ty), use_bin_type=True)
    return packed


# ---------------------------------------------------------------- generated types and values

NAMES = ["id", "name", "tags", "nested", "x", "secret", "ratio", "on"]


def gen_type(rng: random.Random, depth: int = 0) -> CtyType:
    prims = ["string", "number", "bool", "dynamic"]
    if depth >= 3 or rng.random() < 0.35:
        return rng.choice(prims)
    kind = rng.choice(["list", "set", "map", "object", "object", "tuple"])
    if kind in ("list", "set", "map"):
        return [kind, gen_type(rng, depth + 1)]
    if kind == "tuple":
        return ["tuple", [gen_type(rng, depth + 1) for _ in range(rng.randint(0, 3))]]
    attrs = {n: gen_type(rng, depth + 1) for n in rng.sample(NAMES, rng.randint(0, 4))}
    return ["object", attrs] if rng.random() < 0.8 else ["object", attrs, sorted(attrs)[:1]]


def unknown(rng: random.Random) -> Unknown:
    return Unknown(refinement=msgpack.packb({1: True, 2: "pre"})) if rng.random() < 0.4 else Unknown()


def gen_number(rng: random.Random) -> Any:
    return rng.choice([0, -7, 42, 2**63 - 1, -(2**63), 2**70, -(2**64) - 3, 1.5, -0.25, Decimal("0.1"),
                       Decimal("123456789012345678901234567890.5"), Decimal("7")])


def gen_value(rng: random.Random, ty: CtyType, depth: int = 0, json_safe: bool = False) -> Any:
    """A Python value of type `ty` (null and unknown anywhere, unless json_safe: JSON has no unknown)."""
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.14 and not json_safe:
        return unknown(rng)
    if ty == "string":
        return rng.choice(["", "a", "cloud-c0001", "ünïcødé ✓", "x" * 40])
    if ty == "number":
        n = gen_number(rng)
        return float(n) if json_safe and isinstance(n, Decimal) else n
    if ty == "bool":
        return rng.random() < 0.5
    if ty == "dynamic":
        inner = gen_type(rng, 2)
        if inner == "dynamic":
            inner = "string"
        v = gen_value(rng, inner, depth + 1, json_safe)
        return v if not isinstance(v, Unknown) else "known"
    kind = ty[0]
    if kind in ("list", "set"):
        return [gen_value(rng, ty[1], depth + 1, json_safe) for _ in range(rng.randint(0, 3))]
    if kind == "map":
        return {f"k{i}": gen_value(rng, ty[1], depth + 1, json_safe) for i in range(rng.randint(0, 3))}
    if kind == "tuple":
        return [gen_value(rng, t, depth + 1, json_safe) for t in ty[1]]
    return {n: gen_value(rng, t, depth + 1, json_safe) for n, t in ty[1].items() if rng.random() < 0.9}


WRONG = [True, 3, 2.5, "text", b"bytes", [1, "a"], {"z": 1}, {"unexpected": "x"}, ["only-one"],
         ["not-json", 1], Decimal("1.5"), "12abc", object()]


def mutate(rng: random.Random, value: Any) -> Any:
    """`value` with one element somewhere replaced by a value of another kind, or an object
    given an extra attribute."""
    if isinstance(value, dict) and value and rng.random() < 0.7:
        k = rng.choice(list(value))
        if rng.random() < 0.2:
            return {**value, "surplus": 1}
        return {**value, k: mutate(rng, value[k])}
    if isinstance(value, list) and value and rng.random() < 0.7:
        i = rng.randrange(len(value))
        return value[:i] + [mutate(rng, value[i])] + value[i + 1:]
    return rng.choice(WRONG)


def to_wire(value: Any, ty: CtyType) -> Any:
    """The msgpack-level structure Terraform would send for `value` (dynamic as [type, value])."""
    if value is None or isinstance(value, Unknown):
        return msgpack.ExtType(12 if isinstance(value, Unknown) and value.refinement else 0,
                               value.refinement or b"\x00") if isinstance(value, Unknown) else None
    return msgpack.unpackb(ref_encode(value, ty), raw=False, strict_map_key=False)


def canon(v: Any) -> Any:
    """A comparable form that tells apart what == does not (1 vs 1.0 vs True, unknown refinements)."""
    if isinstance(v, dict):
        return ("dict", [(k, canon(x)) for k, x in v.items()])
    if isinstance(v, list):
        return ("list", [canon(x) for x in v])
    if isinstance(v, Unknown):
        return ("unknown", v.refinement)
    return (type(v).__name__, v if not isinstance(v, object) or isinstance(v, (str, int, float, bytes, Decimal, bool)) or v is None else repr(v))


def outcome(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return ("ok", canon(fn(*args, **kwargs)))
    except Exception as exc:  # the error itself is what is compared
        return ("error", type(exc).__name__, str(exc))


CASES = 1500


@pytest.mark.parametrize("seed", range(4))
def test_msgpack_decoding_matches_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    errors = 0
    for _ in range(CASES):
        ty = gen_type(rng)
        wire = to_wire(gen_value(rng, ty), ty)
        if rng.random() < 0.4:
            wire = mutate(rng, wire)
        try:
            data = msgpack.packb(wire, use_bin_type=True)
        except TypeError:  # object(): not encodable on the wire
            continue
        raw = msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False)
        expected = outcome(ref_conform, raw, ty, from_json=False)
        assert outcome(values.decode_msgpack, data, ty) == expected, (ty, wire)
        errors += expected[0] == "error"
    assert errors > CASES // 10  # the wrong values were really exercised


@pytest.mark.parametrize("lenient", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_json_decoding_matches_the_reference(seed: int, lenient: bool) -> None:
    rng = random.Random(100 + seed)
    for _ in range(CASES):
        ty = gen_type(rng)
        raw = json.loads(json.dumps(json_form(gen_value(rng, ty, json_safe=True), ty), default=str), parse_float=Decimal)
        if rng.random() < 0.4:
            raw = mutate(rng, raw)
            if any(isinstance(x, (bytes, object)) and not isinstance(x, (str, int, float, Decimal, bool, list, dict))
                   for x in walk(raw)):
                continue
        text = json.dumps(raw, default=str)
        expected = outcome(ref_conform, json.loads(text, parse_float=Decimal), ty, from_json=True, lenient=lenient)
        got = outcome(values.decode_json, text, ty, lenient=lenient)
        assert outcome(values.conform, json.loads(text, parse_float=Decimal), ty, lenient=lenient) == got
        if got != expected and expected[0] == "error" and malformed_dynamic_type(raw):
            # A state whose dynamic value carries a broken type notation: refused either way;
            # the compiled codec names the notation instead of whatever the walk tripped on.
            assert got[:2] == ("error", "TypeMismatch"), (ty, text, got)
            continue
        assert got == expected, (ty, text)


def json_form(value: Any, ty: CtyType) -> Any:
    """`value` as state JSON holds it: dynamic values as {"value": V, "type": T}."""
    if value is None:
        return None
    if ty == "dynamic":
        return {"value": value, "type": ref_infer_type(value)}
    if isinstance(ty, list) and ty[0] in ("list", "set"):
        return [json_form(v, ty[1]) for v in value]
    if isinstance(ty, list) and ty[0] == "map":
        return {k: json_form(v, ty[1]) for k, v in value.items()}
    if isinstance(ty, list) and ty[0] == "tuple":
        return [json_form(v, t) for v, t in zip(value, ty[1], strict=True)]
    if isinstance(ty, list) and ty[0] == "object":
        return {k: json_form(value[k], t) for k, t in ty[1].items() if k in value}
    return value


def well_formed(ty: Any) -> bool:
    if ty in ("string", "number", "bool", "dynamic"):
        return True
    if not (isinstance(ty, list) and len(ty) >= 2):
        return False
    if ty[0] in ("list", "set", "map"):
        return well_formed(ty[1])
    if ty[0] == "tuple":
        return isinstance(ty[1], list) and all(well_formed(t) for t in ty[1])
    return ty[0] == "object" and isinstance(ty[1], dict) and all(well_formed(t) for t in ty[1].values())


def malformed_dynamic_type(raw: Any) -> bool:
    return any(isinstance(x, dict) and "type" in x and not well_formed(x["type"]) for x in walk(raw))


def walk(v: Any) -> Any:
    yield v
    if isinstance(v, dict):
        for x in v.values():
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)


@pytest.mark.parametrize("seed", range(4))
def test_encoding_matches_the_reference(seed: int) -> None:
    rng = random.Random(200 + seed)
    errors = 0
    for _ in range(CASES):
        ty = gen_type(rng)
        value = gen_value(rng, ty)
        if rng.random() < 0.4:
            value = mutate(rng, value)
        expected = outcome(ref_encode, value, ty)
        assert outcome(values.encode_msgpack, value, ty) == expected, (ty, value)
        errors += expected[0] == "error"
    assert errors > CASES // 20


@pytest.mark.parametrize("ty", ["strange", ["list"], ["object", "not a dict"], ["frobnicate", "string"], 7])
def test_an_unknown_type_notation_refuses_values_but_passes_null_and_unknown(ty: Any) -> None:
    for payload in (msgpack.packb(None), msgpack.packb(msgpack.ExtType(0, b"\x00"))):
        decoded = values.decode_msgpack(payload, ty)
        assert decoded is None or isinstance(decoded, Unknown)
    with pytest.raises(TypeMismatch, match="unsupported type"):
        values.decode_msgpack(msgpack.packb("x"), ty)
    with pytest.raises(TypeMismatch, match="unsupported type"):
        values.encode_msgpack("x", ty)
    assert values.encode_msgpack(None, ty) == msgpack.packb(None)


def test_a_type_is_compiled_once_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values, "_decoders", {})
    monkeypatch.setattr(values, "_encoders", {})
    ty = ["object", {"a": "string", "b": ["list", ["object", {"c": "number"}]]}]
    assert values._decoder(ty, False, False) is values._decoder(ty, False, False)
    assert values._decoder(ty, True, True) is not values._decoder(ty, False, False)  # lenient JSON differs
    assert values._encoder(ty) is values._encoder(ty)
    # An equal type in another object gets its own codec, and the same results.
    twin = json.loads(json.dumps(ty))
    assert values._decoder(twin, False, False) is not values._decoder(ty, False, False)
    value = {"a": "x", "b": [{"c": 1}, {"c": Decimal("2.5")}]}
    assert values.encode_msgpack(value, twin) == values.encode_msgpack(value, ty)


def test_the_cache_is_bounded_and_codecs_past_it_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values, "_decoders", {})
    monkeypatch.setattr(values, "_CACHE_MAX", 3)
    kept = [["list", "string"] for _ in range(10)]
    for ty in kept:
        assert values.decode_msgpack(msgpack.packb(["a", "b"]), ty) == ["a", "b"]
    assert len(values._decoders) == 3
