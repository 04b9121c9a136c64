"""One mapping from SparkPost's subaccount model to Terraform values, shared by the resource
and the data sources."""

from __future__ import annotations

from typing import TypedDict

from ..sparkpost.models import Subaccount


class SubaccountValues(TypedDict):
    """The attributes the resource and the data sources show of a subaccount read from SparkPost."""

    id: str
    name: str
    ip_pool: str | None
    status: str  # active, suspended or terminated
    compliance_status: str | None
    deliverability: bool


def subaccount_state(sub: Subaccount) -> SubaccountValues:
    """What the resource and the data sources show of a subaccount read from SparkPost."""
    return {
        "id": str(sub.id),
        "name": sub.name,
        "ip_pool": sub.ip_pool,
        "status": sub.status,
        "compliance_status": sub.compliance_status,
        "deliverability": sub.deliverability,
    }
