"""Import ids of sending domains: `DOMAIN`, or `SUBACCOUNT_ID/DOMAIN` for a subaccount's (parsed by
`import_ids.parse_domain`)."""

from __future__ import annotations


def import_id(subaccount_id: int | None, domain: str) -> str:
    return f"{subaccount_id}/{domain}" if subaccount_id is not None else domain
