"""Checks of values before resources see them: sensitive values registered for scrubbing, null
where a value is needed, and the schema's validators, each error at its attribute's path."""

from __future__ import annotations

from typing import Any

from . import diagnostics as diag_mod
from . import redact, values
from .diagnostics import Diagnostics
from .resource import DataSource, Provider, Resource
from .schema import Attribute, Schema


# What register_sensitive walks, per attribute that is sensitive or holds one: (name, whole
# value secret?, nesting, the same for the nested attributes). Worked out once per schema: most
# attributes hold no secret, and each RPC registers up to three values.
_SensitivePlan = list[tuple[str, bool, str, "_SensitivePlan"]]


def _sensitive_plan(attrs: list[Attribute]) -> _SensitivePlan:
    out: _SensitivePlan = []
    for a in attrs:
        if a.sensitive:
            out.append((a.name, True, "", []))  # every string beneath is registered
        elif a.nested:
            inner = _sensitive_plan(a.nested.attributes)
            if inner:
                out.append((a.name, False, a.nested.nesting, inner))
    return out


def register_sensitive(schema: Schema, value: Any) -> None:
    """Remember sensitive values so that no log line or diagnostic can show them."""
    plan: _SensitivePlan | None = schema.__dict__.get("_sensitive_plan")
    if plan is None:
        plan = schema.__dict__["_sensitive_plan"] = _sensitive_plan(schema.block.attributes)

    def rec(entries: _SensitivePlan, obj: Any) -> None:
        if not isinstance(obj, dict):
            return
        for name, secret, nesting, inner in entries:
            v = obj.get(name)
            if secret:
                _register_all(v)
            elif v is not None:
                elems = v if isinstance(v, list) else list(v.values()) if nesting == "map" else [v]
                for e in elems:
                    rec(inner, e)

    if plan:
        rec(plan, value)


def _register_all(v: Any) -> None:
    if isinstance(v, str):
        redact.register(v)
    elif isinstance(v, dict):
        for x in v.values():
            _register_all(x)
    elif isinstance(v, list):
        for x in v:
            _register_all(x)


def run_validators(schema: Schema, config: Any, diags: Diagnostics) -> bool:
    """Null checks, then per-attribute validators, errors at the attribute. False when a null
    stood where a value is needed (the object's own checks then do not run: they may rely on
    every required value being there).

    Null is bad input unless the schema says what it means. A required attribute written as
    null (`name = null`, `{ secret = null }`, a variable that is null) is an error: Terraform
    itself lets an explicit null through, and inside a nested object that is where a missing
    value hides. An optional attribute's null means "not set" (Terraform sends the same null
    for both), and its description says what that means. An element of a list, set or map is
    never null. Validators themselves never see null or unknown values.

    Terraform (1.11) underlines a diagnostic path only through blocks: a path into a nested
    attribute's object lands on the resource's first line. So errors inside nested attributes
    point at the outermost nested attribute and name the full path in their summary.
    """
    complete = True

    def dotted(path: tuple[Any, ...]) -> str:
        out = ""
        for step in path:
            out += f"[{step}]" if isinstance(step, int) else f'["{step.key}"]' if isinstance(step, diag_mod.Key) else f".{step}"
        return out.lstrip(".")

    def null_elements(a: Attribute, v: Any) -> list[str]:
        """Where a collection holds null: "[2]", '["k"]', or "an element" for sets."""
        # The collection kind, read off the declaration (a nested type's wire type is its
        # nesting around an object) rather than built as a wire type for every value.
        kind = a.nested.nesting if a.nested else a.type[0] if isinstance(a.type, list) and a.type else None
        if kind not in ("list", "set", "map"):
            return []
        if isinstance(v, dict):
            if None not in v.values():
                return []
            items = list(v.items())
        elif isinstance(v, list):
            if None not in v:
                return []
            items = list(enumerate(v))
        else:
            return []
        return [("an element" if kind == "set" else f'["{k}"]' if kind == "map" else f"[{k}]")
                for k, e in items if e is None]

    def check(attrs: list[Attribute], obj: Any, prefix: tuple[Any, ...], anchor: tuple[Any, ...] | None) -> None:
        nonlocal complete
        if not isinstance(obj, dict):
            return
        for a in attrs:
            v = obj.get(a.name)
            if v is None:
                if a.required:
                    path = prefix + (a.name,)
                    complete = False
                    diags.error(
                        f"Missing value for {dotted(path)}",
                        f"{dotted(path)} is required and may not be null. Give it a value (a variable "
                        "or expression that is null counts as no value).",
                        anchor or path,
                    )
                continue
            if isinstance(v, values.Unknown):
                continue
            path = prefix + (a.name,)
            nulls = null_elements(a, v)
            if nulls:
                complete = False
                diags.error(
                    f"Null element in {dotted(path)}",
                    f"{dotted(path)} holds null at {', '.join(nulls)}; its elements may not be null.",
                    anchor or path,
                )
                continue
            for validator in a.validators:
                message = validator(v)
                if message:
                    diags.error(f"Invalid value for {dotted(path)}", message, anchor or path)
            if a.nested:
                inner_anchor = anchor or path
                if a.nested.nesting == "single":
                    check(a.nested.attributes, v, path, inner_anchor)
                elif a.nested.nesting == "list":
                    for i, e in enumerate(v):
                        check(a.nested.attributes, e, path + (i,), inner_anchor)
                elif a.nested.nesting == "map":
                    for k, e in v.items():
                        check(a.nested.attributes, e, path + (diag_mod.Key(k),), inner_anchor)
                else:  # set elements have no stable path: name the set
                    for e in v:
                        check(a.nested.attributes, e, path, inner_anchor)

    check(schema.block.attributes, config, (), None)
    return complete


def check_config(target: Provider | Resource | DataSource, config: Any, diags: Diagnostics) -> bool:
    """The schema's checks, then the object's own; True when the configuration is valid.

    Run by the Validate* RPCs, and again before ConfigureProvider and ReadDataSource: a value
    known only at plan (a variable) reaches those without Terraform validating it first (a data
    source's config is read at plan without another ValidateDataResourceConfig).
    """
    before = len(diags)
    if run_validators(target.schema, config, diags):
        target.validate(config or {}, diags)
    return not any(d.severity == "error" for d in diags[before:])
