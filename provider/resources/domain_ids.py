"""Import ids of sending domains: `DOMAIN`, or `SUBACCOUNT_ID/DOMAIN` for a subaccount's (parsed by
`import_ids.parse_domain`); and the owning subaccount's id as the API takes it."""

from __future__ import annotations

from typing import Any


def import_id(subaccount_id: int | None, domain: str) -> str:
    return f"{subaccount_id}/{domain}" if subaccount_id is not None else domain


def subaccount_of(value: Any) -> int | None:
    """`subaccount_id` (a string since schema version 1) as the API takes it; None: the primary account."""
    return int(value) if value is not None else None


def same_owner(a: Any, b: Any) -> bool:
    """Whether two `subaccount_id` values name the same owner: null and "0" both name the primary
    account (`X-MSYS-SUBACCOUNT: 0` is the primary account only)."""
    return (None if a == "0" else a) == (None if b == "0" else b)
