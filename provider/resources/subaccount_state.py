"""One mapping from SparkPost's subaccount model to Terraform values, shared by the resource
and the data sources; and the shapes of the resource's nested objects and of the changes it
sends to SparkPost."""

from __future__ import annotations

from typing import TypedDict

from ..sparkpost.models import Subaccount
from ..tfplugin.values import Unknown


class SubaccountValues(TypedDict):
    """The attributes the resource and the data sources show of a subaccount read from SparkPost."""

    id: str
    name: str
    ip_pool: str | None
    status: str  # active, suspended or terminated
    compliance_status: str | None
    deliverability: bool


class InitialKeyValue(TypedDict):
    """`initial_api_key` as configured."""

    label: str
    grants: list[str]
    valid_ips: list[str] | None


class SecretManagerValue(TypedDict):
    """`initial_api_key_secret_manager`: the secret the send key is written to, and the version
    that holds it (unknown in a plan that writes or moves the key; null until written)."""

    secret: str
    create_secret: bool | None
    version: str | Unknown | None


class SubaccountChanges(TypedDict, total=False):
    """What an update or a destroy sends to SparkPost (PUT /subaccounts/{id}): only the fields
    that change; `ip_pool` "" unassigns the pool."""

    name: str
    status: str
    ip_pool: str


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
