"""Plan semantics shared by every resource, driven by the schema's flags.

- On create, a computed attribute the configuration leaves null is unknown ("known after
  apply"), unless it has a default.
- On update, such attributes keep their prior value when nothing changes; when something does,
  they become unknown, except those with `UseStateForUnknown` (values fixed at create, like
  ids), which keep their prior value so that re-plans stay empty.
- Write-only attributes are always null in plans and state.
- An attribute with `RequiresReplace` (or `RequiresReplaceIf` whose condition holds) whose
  planned value differs from the prior one is reported for replacement, at any depth of single
  nested attributes.
"""

from __future__ import annotations

import copy
from typing import Any

from .diagnostics import Path
from .planmodifiers import ReplaceRequest, RequiresReplaceIf
from .schema import Attribute, Block, Schema
from .values import UNKNOWN, CtyType, Unknown, equal


def _plan_attrs(
    attrs: list[Attribute], planned: dict[str, Any], config: dict[str, Any] | None, creating: bool
) -> None:
    config = config or {}
    for a in attrs:
        cv = config.get(a.name)
        if a.write_only:
            planned[a.name] = None
            continue
        if a.computed and cv is None:
            if a.default is not None:
                planned[a.name] = copy.deepcopy(a.default)
            elif creating:
                planned[a.name] = UNKNOWN
        value = planned.get(a.name)
        if a.nested is None or value is None or isinstance(value, Unknown) or isinstance(cv, Unknown):
            continue
        # Computed attributes inside configured nested objects follow the same rules.
        nesting = a.nested.nesting
        if nesting == "single" and isinstance(cv, dict):
            _plan_attrs(a.nested.attributes, value, cv, creating)
        elif nesting in ("list", "set") and isinstance(cv, list):
            for i, elem in enumerate(value):
                if isinstance(elem, dict) and i < len(cv) and isinstance(cv[i], dict):
                    _plan_attrs(a.nested.attributes, elem, cv[i], creating or nesting == "set")
        elif nesting == "map" and isinstance(cv, dict):
            for k, elem in value.items():
                if isinstance(elem, dict) and isinstance(cv.get(k), dict):
                    _plan_attrs(a.nested.attributes, elem, cv[k], creating)


def _plan_block(block: Block, planned: dict[str, Any], config: dict[str, Any] | None, creating: bool) -> None:
    _plan_attrs(block.attributes, planned, config, creating)
    config = config or {}
    for nb in block.blocks:
        pv, cv = planned.get(nb.type_name), config.get(nb.type_name)
        if nb.nesting in ("single", "group") and isinstance(pv, dict):
            _plan_block(nb.block, pv, cv if isinstance(cv, dict) else None, creating)
        elif nb.nesting in ("list", "set") and isinstance(pv, list) and isinstance(cv, list):
            for i, elem in enumerate(pv):
                if isinstance(elem, dict) and i < len(cv):
                    _plan_block(nb.block, elem, cv[i], creating or nb.nesting == "set")


def _unknown_changeable_computed(block: Block, planned: dict[str, Any], config: dict[str, Any]) -> None:
    for a in block.attributes:
        if a.computed and not a.use_state_for_unknown and a.default is None and config.get(a.name) is None and not a.write_only:
            planned[a.name] = UNKNOWN


def _value_at(value: Any, path: Path) -> Any:
    for step in path:
        if isinstance(value, Unknown):
            return value  # inside an unknown object every attribute is unknown (as hcl.ApplyPath says)
        if isinstance(value, dict) and isinstance(step, str):
            value = value.get(step)
        else:
            return None
    return value


def _replace_paths(schema: Schema) -> list[tuple[Path, CtyType, list[RequiresReplaceIf]]]:
    """Attributes with a replacement modifier, reachable through single nested attributes:
    path, type and conditions. Worked out once per schema (every plan asks)."""
    memo = schema.__dict__.get("_replace_paths")
    if memo is not None:
        return memo  # type: ignore[no-any-return]
    out: list[tuple[Path, CtyType, list[RequiresReplaceIf]]] = []

    def rec(prefix: Path, attrs: list[Attribute]) -> None:
        for a in attrs:
            path = prefix + (a.name,)
            conditions = a.replace_conditions
            if conditions:
                out.append((path, _type_at(schema.cty_type, path), conditions))
            elif a.nested and a.nested.nesting == "single":
                rec(path, a.nested.attributes)

    rec((), schema.block.attributes)
    schema.__dict__["_replace_paths"] = out  # kept beside the cached cty_type
    return out


def _type_at(ty: CtyType, path: Path) -> CtyType:
    for step in path:
        ty = ty[1][step]
    return ty


def copy_value(value: Any) -> Any:
    """A copy of a decoded value whose dicts and lists can be edited without touching the
    original (what `copy.deepcopy` gives for these values, at a fraction of its cost): strings,
    numbers, booleans and Unknown markers are never changed in place, so they are shared."""
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_value(v) for v in value]
    return value


def plan_change(
    schema: Schema,
    prior: dict[str, Any] | None,
    proposed: dict[str, Any],
    config: dict[str, Any],
) -> tuple[dict[str, Any], list[Path]]:
    """The planned state and the paths that force replacement, before resource hooks."""
    creating = prior is None
    planned = copy_value(proposed)
    _plan_block(schema.block, planned, config, creating)
    if not creating and not equal(planned, prior, schema.cty_type):
        _unknown_changeable_computed(schema.block, planned, config)
    return planned, requires_replace(schema, prior, planned, config)


def requires_replace(
    schema: Schema, prior: dict[str, Any] | None, planned: dict[str, Any], config: dict[str, Any] | None = None
) -> list[Path]:
    if prior is None:
        return []
    out: list[Path] = []
    for path, ty, conditions in _replace_paths(schema):
        before, after = _value_at(prior, path), _value_at(planned, path)
        if equal(before, after, ty):
            continue
        request = ReplaceRequest(path, before, after, prior, config or {})
        if any(m.replaces(request) for m in conditions):
            out.append(path)
    return out


def finalize_applied(schema: Schema, state: dict[str, Any]) -> dict[str, Any]:
    """After apply no unknowns may remain and write-only values are never stored."""

    def clean(value: Any) -> Any:
        if isinstance(value, Unknown):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    out: dict[str, Any] = clean(state)
    _null_write_only(schema.block, out)
    return out


def _objects(value: Any, nesting: str) -> list[dict[str, Any]]:
    """The objects inside a nested attribute's or block's value, whatever its nesting."""
    if nesting in ("single", "group"):
        items = [value]
    elif nesting == "map":
        items = list(value.values()) if isinstance(value, dict) else []
    else:
        items = value if isinstance(value, list) else []
    return [v for v in items if isinstance(v, dict)]


def _null_write_only_attrs(attrs: list[Attribute], obj: dict[str, Any]) -> None:
    for a in attrs:
        if a.write_only:
            obj[a.name] = None
        elif a.nested:
            for elem in _objects(obj.get(a.name), a.nested.nesting):
                _null_write_only_attrs(a.nested.attributes, elem)


def _null_write_only(block: Block, obj: Any) -> None:
    if not isinstance(obj, dict):
        return
    _null_write_only_attrs(block.attributes, obj)
    for nb in block.blocks:
        for elem in _objects(obj.get(nb.type_name), nb.nesting):
            _null_write_only(nb.block, elem)
