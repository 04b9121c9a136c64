"""Generic attribute validators (like terraform-plugin-framework-validators).

Each validator gets an attribute's value (never null or unknown: the plugin layer handles
those) and returns an error message, or None when the value is fine. The message is shown at
the attribute's path, after its name. Patterns are ASCII (`re.ASCII`): a digit class matches 0-9
only, never another script's digits.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from .schema import Validator
from .values import Unknown

__all__ = ["max_len", "not_blank", "one_of", "matches", "number_between", "whole_number", "each",
           "plain_text", "describe_char", "parse_duration", "duration_between"]


def max_len(n: int) -> Validator:
    def check(v: str) -> str | None:
        return None if len(v) <= n else f"must be at most {n} characters; this one has {len(v)}."

    return check


def not_blank(v: str) -> str | None:
    return "must not be empty." if not v.strip() else None


def one_of(*allowed: str) -> Validator:
    def check(v: str) -> str | None:
        return None if v in allowed else f"must be one of {', '.join(repr(a) for a in allowed)}; got {v!r}."

    return check


def matches(pattern: str, what: str) -> Validator:
    rx = re.compile(pattern, re.ASCII)

    def check(v: str) -> str | None:
        return None if rx.fullmatch(v) else f"must be {what}; got {v!r}."

    return check


def number_between(low: float, high: float) -> Validator:
    def check(v: Any) -> str | None:
        return None if low <= v <= high else f"must be between {low:g} and {high:g}; got {v}."

    return check


def whole_number(v: Any) -> str | None:
    """Terraform has one number type: an attribute that counts must refuse 1.5, not truncate it."""
    if isinstance(v, bool):
        return f"must be a whole number; got {v}."
    try:
        d = Decimal(str(v))
        whole = d.is_finite() and d == d.to_integral_value()
    except ArithmeticError:
        whole = False
    return None if whole else f"must be a whole number; got {v}."


# Unicode general categories no name or label should hold: controls (Cc: NUL, newline, escape,
# DEL, C1), formats (Cf: zero-width space and joiners, bidirectional overrides, soft hyphen,
# BOM), lone surrogates (Cs), private use (Co) and unassigned code points (Cn). They are
# invisible or change how text around them is shown, so two names that look the same could
# differ, or a name could look like another.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def describe_char(c: str) -> str:
    """U+200B ZERO WIDTH SPACE: how a character is named in error messages."""
    return f"U+{ord(c):04X} {unicodedata.name(c, unicodedata.category(c) + ' character')}"


def plain_text(v: str) -> str | None:
    """Names and labels: printable text, no control, format, surrogate or unassigned code point."""
    if v.isascii() and v.isprintable():  # the usual name: U+0020..U+007E, none of those categories
        return None
    for i, c in enumerate(v):
        if unicodedata.category(c) in _HIDDEN_CATEGORIES:
            return (f"must be printable text; character {i + 1} is {describe_char(c)}, a control or invisible "
                    "character (newlines, tabs, NUL, zero-width and direction marks are not allowed).")
    return None


def each(check: Validator) -> Validator:
    """Apply a per-element validator to a list or set value."""

    def run(values: list[Any]) -> str | None:
        problems = [m for v in values if v is not None and not isinstance(v, Unknown) for m in [check(v)] if m]
        return " ".join(problems) or None

    return run


# ---------------------------------------------------------------- durations

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)", re.ASCII)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go-style durations as Terraform users write them: "30s", "5m", "1h30m", "1.5m"."""
    t = text.strip()
    if not t or _DURATION_PART.sub("", t):
        raise ValueError(f"{text!r} is not a duration like \"30s\", \"5m\" or \"1h30m\".")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(t))


def duration_between(low: float, high: float) -> Validator:
    def check(v: str) -> str | None:
        try:
            seconds = parse_duration(v)
        except ValueError as err:
            return str(err)
        if not low <= seconds <= high:
            return f"must be between {_human(low)} and {_human(high)}; got {v!r}."
        return None

    return check


def _human(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"
