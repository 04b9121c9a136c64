"""One mapping from SparkPost's sending-domain model to Terraform values, shared by the
resource and the data source: the attributes both show, and the `status` object."""

from __future__ import annotations

from typing import TypedDict

from ..sparkpost.models import DomainStatus, SendingDomain
from ..tfplugin.schema import Attribute, NestedType
from .dkim_keys import key_bits
from .dns_records import DnsRecord, dns_records
from .domain_ids import import_id

# The `status` object: STATUS_FIELDS' names, each a bool (ownership_verified) or a text or null.
StatusValues = dict[str, str | bool | None]


class DomainValues(TypedDict):
    """What the resource and the data source both show of a domain read from SparkPost."""

    id: str
    domain: str
    subaccount_id: str | None
    tracking_domain: str | None
    shared_with_subaccounts: bool
    is_default_bounce_domain: bool
    dkim_selector: str | None
    dkim_public_key: str | None
    dkim_signing_domain: str | None
    dkim_key_length: int | None
    status: StatusValues
    dns_records: list[DnsRecord]

STATUS_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("ownership_verified", "bool",
     "True once any verification method succeeded (DKIM, bounce CNAME, MX or a mailbox). "
     "SparkPost sends mail from the domain only when this is true and `compliance_status` is `valid`."),
    ("dkim_status", "string",
     "DKIM TXT record check: `unverified`, `pending`, `invalid` or `valid`. `valid` means mail is DKIM-signed."),
    ("cname_status", "string",
     "Bounce CNAME check: `unverified`, `pending`, `invalid` or `valid`. `valid` lets the domain be a bounce "
     "(Return-Path) domain."),
    ("mx_status", "string", "MX check (SparkPost Enterprise only): `unverified`, `pending`, `invalid` or `valid`."),
    ("spf_status", "string", "Deprecated by SparkPost; always `unverified` in practice."),
    ("abuse_at_status", "string", "Verification by email to abuse@ the domain."),
    ("postmaster_at_status", "string", "Verification by email to postmaster@ the domain."),
    ("compliance_status", "string", "SparkPost's compliance review: `valid`, `pending` or `blocked`."),
    ("verification_mailbox_status", "string", "Verification by email to a chosen mailbox of the domain."),
)


def status_attribute() -> Attribute:
    return Attribute(
        "status",
        computed=True,
        nested=NestedType([Attribute(name, ty, computed=True, description=doc) for name, ty, doc in STATUS_FIELDS]),
        description=(
            "The domain's verification status as SparkPost last reported it. Refreshed on every plan "
            "(one GET, never a verification request); a change here is recorded in state and never makes "
            "a plan non-empty by itself."
        ),
    )


def status_state(status: DomainStatus) -> StatusValues:
    return {name: getattr(status, name) for name, _, _ in STATUS_FIELDS}


def bounce_ready(status: StatusValues | None) -> bool:
    """A `status` value (from state or plan): may the domain be the default bounce domain?"""
    status = status or {}
    return status.get("cname_status") == "valid" or status.get("mx_status") == "valid"


def domain_state(got: SendingDomain, *, domain: str, subaccount_id: int | None, region: str) -> DomainValues:
    """What the resource and the data source both show of a domain read from SparkPost.

    `domain` is the name as configured (SparkPost's GET omits it); `subaccount_id` the owner the
    request was made for, when SparkPost does not name one."""
    name = domain.lower()
    sub = got.subaccount_id if got.subaccount_id is not None else subaccount_id
    selector = got.dkim.selector if got.dkim else None
    public = got.dkim.public if got.dkim else None
    signing = (got.dkim.signing_domain if got.dkim else None) or name
    return {
        "id": import_id(sub, name),
        "domain": domain,
        "subaccount_id": str(sub) if sub is not None else None,  # the type of sparkpost_subaccount.id
        "tracking_domain": got.tracking_domain,
        "shared_with_subaccounts": got.shared_with_subaccounts,
        "is_default_bounce_domain": got.is_default_bounce_domain,
        "dkim_selector": selector,
        "dkim_public_key": public,
        "dkim_signing_domain": signing if public else None,
        "dkim_key_length": key_bits(public),
        "status": status_state(got.status),
        "dns_records": dns_records(name, region, selector, public, signing),
    }
