"""Import ids of sending domains: `DOMAIN`, or `SUBACCOUNT_ID/DOMAIN` for a subaccount's."""

from __future__ import annotations

from .validators import sending_domain_name


def import_id(subaccount_id: int | None, domain: str) -> str:
    return f"{subaccount_id}/{domain}" if subaccount_id is not None else domain


def parse_import_id(text: str) -> tuple[int | None, str]:
    """`DOMAIN` or `SUBACCOUNT_ID/DOMAIN`; raises ValueError with a readable message."""
    raw = text.strip()
    sub: int | None = None
    domain = raw
    if "/" in raw:
        head, _, domain = raw.partition("/")
        if not head.isdigit():
            raise ValueError(f"{text!r}: the part before '/' must be a subaccount id (a number).")
        sub = int(head)
    problem = sending_domain_name(domain) if domain else "the domain is missing."
    if problem:
        raise ValueError(f"{text!r}: {problem}")
    return sub, domain
