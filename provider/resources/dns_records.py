"""The DNS records a sending domain needs (its DKIM TXT and the bounce CNAME), as the
`dns_records` set with stable ids that both the resource and the data source show."""

from __future__ import annotations

from typing import Any, TypedDict

from ..tfplugin.schema import Attribute, NestedType
from ..tfplugin.values import UNKNOWN, Unknown
from .dkim_keys import normalise_key

# The bounce CNAME target per region (reference section 4.7).
BOUNCE_CNAME_TARGET = {"us": "sparkpostmail.com", "eu": "eu.sparkpostmail.com"}

# Stable ids of the records in `dns_records`: they never depend on the record's value, so
# `for_each = { for r in x.dns_records : r.id => r }` keeps its keys when a key rotates.
DKIM_RECORD_ID = "dkim"
BOUNCE_RECORD_ID = "bounce_cname"

DKIM_PURPOSE = "DKIM signing and ownership verification"
BOUNCE_PURPOSE = "bounce (Return-Path) domain"


class DnsRecord(TypedDict):
    """One element of `dns_records`. In a plan, a DKIM record's name and value may be unknown
    until the key is known."""

    id: str
    type: str
    name: str | Unknown
    value: str | Unknown
    purpose: str


def dns_records_attribute() -> Attribute:
    return Attribute(
        "dns_records",
        computed=True,
        nested=NestedType(
            [
                Attribute("id", "string", computed=True, description=(
                    f"A stable key for `for_each`: `{DKIM_RECORD_ID}` or `{BOUNCE_RECORD_ID}`. It does not change "
                    "when the record's value does.")),
                Attribute("type", "string", computed=True, description="The DNS record type: `TXT` or `CNAME`."),
                Attribute("name", "string", computed=True, description=(
                    "The fully qualified record name, without a trailing dot (for example "
                    "`scph0125._domainkey.mail.example.com`).")),
                Attribute("value", "string", computed=True, description=(
                    "The record value. A DKIM TXT value of a 2048-bit key is about 400 characters: DNS "
                    "providers that do not split long TXT values themselves need it cut into quoted strings "
                    "of at most 255 characters.")),
                Attribute("purpose", "string", computed=True, description=(
                    "What the record is for, in words: DKIM signing and ownership, or the bounce domain.")),
            ],
            nesting="set",
        ),
        description=(
            "The DNS records to publish for this domain, as a set of objects with a stable `id`, made for "
            "`for_each` into a DNS provider:\n\n"
            f"- `{DKIM_RECORD_ID}`: TXT at `SELECTOR._domainkey.DOMAIN` with `v=DKIM1; k=rsa; h=sha256; p=PUBLIC_KEY` "
            "(proves ownership and enables DKIM signing);\n"
            f"- `{BOUNCE_RECORD_ID}`: CNAME from the domain to `sparkpostmail.com` (`eu.sparkpostmail.com` in the "
            "EU region), which makes it a bounce domain. A CNAME cannot share a name with other records, so use a "
            "subdomain such as `mail.example.com` for the sending domain.\n\n"
            "The ids, types and the CNAME are known at plan time, so `for_each` keys are known on the first apply. "
            "The DKIM record's name and value are known at plan time too when you bring the key; with a generated "
            "key they are known after the domain is created."
        ),
    )


def dkim_record_name(selector: str, signing_domain: str) -> str:
    return f"{selector}._domainkey.{signing_domain}".lower()


def dkim_record_value(public: str) -> str:
    return f"v=DKIM1; k=rsa; h=sha256; p={normalise_key(public)}"


def dns_records(
    domain: str, region: str, selector: str | None, public: str | None, signing_domain: str | None = None
) -> list[DnsRecord]:
    """The records to publish: the DKIM TXT (when the domain has a key) and the bounce CNAME."""
    domain = domain.lower()
    out: list[DnsRecord] = []
    if selector and public:
        out.append({
            "id": DKIM_RECORD_ID,
            "type": "TXT",
            "name": dkim_record_name(selector, signing_domain or domain),
            "value": dkim_record_value(public),
            "purpose": DKIM_PURPOSE,
        })
    out.append({
        "id": BOUNCE_RECORD_ID,
        "type": "CNAME",
        "name": domain,
        "value": BOUNCE_CNAME_TARGET[region],
        "purpose": BOUNCE_PURPOSE,
    })
    return out


def planned_dns_records(
    domain: str, region: str, has_dkim: bool, selector: Any, public: Any, signing_domain: Any
) -> list[DnsRecord]:
    """`dns_records` for a plan: the DKIM record's name and value stay unknown until the key is
    known, but its id, type and purpose (and the whole CNAME record) are known already."""
    parts = (selector, public, signing_domain)
    if has_dkim and all(isinstance(p, str) and p for p in parts):
        return dns_records(domain, region, selector, public, signing_domain)
    records = dns_records(domain, region, None, None)
    if has_dkim or any(isinstance(p, Unknown) for p in parts):
        records.insert(0, {
            "id": DKIM_RECORD_ID, "type": "TXT", "name": UNKNOWN, "value": UNKNOWN,
            "purpose": DKIM_PURPOSE,
        })
    return records


def record_of(records: Any, record_id: str) -> dict[str, Any] | None:
    """The record with this id in a `dns_records` value (state or plan), if there is one."""
    return next((r for r in records or [] if isinstance(r, dict) and r.get("id") == record_id), None)
