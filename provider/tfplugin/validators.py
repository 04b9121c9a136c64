"""Generic attribute validators (like terraform-plugin-framework-validators).

Each validator gets an attribute's value (never null or unknown: the plugin layer skips those)
and returns an error message, or None when the value is fine. The message is shown at the
attribute's path, after its name.
"""

from __future__ import annotations

import re
from typing import Any

from .schema import Validator
from .values import Unknown

__all__ = ["max_len", "not_blank", "one_of", "matches", "number_between", "each",
           "parse_duration", "duration_between"]


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
    rx = re.compile(pattern)

    def check(v: str) -> str | None:
        return None if rx.fullmatch(v) else f"must be {what}; got {v!r}."

    return check


def number_between(low: float, high: float) -> Validator:
    def check(v: Any) -> str | None:
        return None if low <= v <= high else f"must be between {low:g} and {high:g}; got {v}."

    return check


def each(check: Validator) -> Validator:
    """Apply a per-element validator to a list or set value."""

    def run(values: list[Any]) -> str | None:
        problems = [m for v in values if v is not None and not isinstance(v, Unknown) for m in [check(v)] if m]
        return " ".join(problems) or None

    return run


# ---------------------------------------------------------------- durations

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
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
