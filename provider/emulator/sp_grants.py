"""Grant strings and the route -> grant table (reference sections 3.4 and 10.1)."""

from __future__ import annotations

# Grants valid for subaccount keys, exactly the API reference's list: "Valid values are:
# `smtp/inject`, `sending_domains/manage`, `tracking_domains/view`, `tracking_domains/manage`,
# `message_events/view`, `suppression_lists/manage`, `transmissions/view`,
# `transmissions/modify`, `webhooks/view`, `webhooks/modify`" (SparkPost/
# developers.sparkpost.com content/api/subaccounts.apib, Create a Subaccount, key_grants).
#
# SparkPost's own sources disagree in two places, and the reference wins here:
# * the subaccount guide lists "Templates (read/write/preview)" among the "permissions
#   supported for subaccount API keys" (support-docs content/docs/user-guide/subaccounts.md),
#   which would be templates/view, templates/modify, templates/preview: not in the
#   reference's list, so refused;
# * the same apib's own 400 example says "Supported values are: 'smtp/inject',
#   'sending_domains/manage', 'message_events/view', 'suppression_lists/manage'" (four
#   grants): a stale message, contradicted by the list above, so all ten are accepted.
SUBACCOUNT_GRANTS: tuple[str, ...] = (
    "smtp/inject",
    "sending_domains/manage",
    "tracking_domains/view",
    "tracking_domains/manage",
    "message_events/view",
    "suppression_lists/manage",
    "transmissions/view",
    "transmissions/modify",
    "webhooks/view",
    "webhooks/modify",
)

# Primary-account keys: the SS-confirmed list, then the grant strings seen in the web
# app's /authenticate/grants fixtures (UNCONFIRMED for keys; the reference says to
# accept the union so that a faithful client is never refused by the fake).
PRIMARY_GRANTS: tuple[str, ...] = (
    "metrics/view",
    "message_events/view",
    "webhooks/view",
    "webhooks/modify",
    "templates/view",
    "templates/modify",
    "templates/preview",
    "transmissions/view",
    "transmissions/modify",
    "smtp/inject",
    "tracking_domains/view",
    "tracking_domains/manage",
    "sending_domains/manage",
    "suppression_lists/manage",
    "ab-testing/manage",
    "data_privacy/manage",
    "recipient_lists/manage",
    "inbound_domains/manage",
    "relay_webhooks/view",
    "relay_webhooks/modify",
    "sending_domains/view",
    "account/view",
    "account/manage",
    "usage/view",
    "subaccount/view",
    "subaccount/manage",
    "ip_pools/view",
    "ip_pools/manage",
    "api_keys/manage",
    "grants/view",
    "users/manage",
    "users/self-manage",
    "users/token-manage",
    "billing/manage",
    "alerts/manage",
    "alerts/view",
    "signals/view",
    "signals/manage",
    "messaging-tools/manage",
    "engagement-recency/manage",
    "recipient-validation/preview",
    "recipient-validation/manage",
    "support/manage",
    "events/ingest",
    "inbox-placement/manage",
    "scim/manage",
)

_READ = ("GET", "HEAD")

# resource -> (grants accepted for reads, grants accepted for writes).  Any one grant of
# the tuple is enough.  An empty tuple means "authenticated is enough".
_TABLE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sending-domains": (("sending_domains/manage",), ("sending_domains/manage",)),
    "tracking-domains": (("tracking_domains/view", "tracking_domains/manage"), ("tracking_domains/manage",)),
    "subaccounts": (("subaccount/view", "subaccount/manage"), ("subaccount/manage",)),
    "api-keys": (("api_keys/manage",), ("api_keys/manage",)),
    "metrics": (("metrics/view",), ("metrics/view",)),
    "ip-pools": (("ip_pools/view", "ip_pools/manage"), ("ip_pools/manage",)),
    "account": (("account/view", "account/manage"), ("account/manage",)),
    "webhooks": (("webhooks/view", "webhooks/modify"), ("webhooks/modify",)),
    "data-privacy": (("data_privacy/manage",), ("data_privacy/manage",)),
    # Listing grants is a harmless read the web app does for every key form; no grant.
    "authenticate": ((), ()),
}

# Subaccounts cannot be nested and have no IP pool or account administration, so a
# subaccount-owned key is refused these resources whatever grants it carries.
PRIMARY_ONLY_RESOURCES = frozenset({"subaccounts", "ip-pools", "account"})


def accepted_grants(resource: str, method: str) -> tuple[str, ...]:
    """Grants of which the caller needs at least one (empty = none needed)."""
    reads, writes = _TABLE.get(resource, ((), ()))
    return reads if method in _READ else writes


def describe(grant: str) -> dict[str, str]:
    """A grant object as /authenticate/grants returns it (`key`, `label`, `description`)."""
    area, _, verb = grant.partition("/")
    pretty = area.replace("_", " ").replace("-", " ").title()
    level = {"view": "Read-only", "manage": "Read/Write", "modify": "Read/Write",
             "inject": "Send", "preview": "Preview"}.get(verb, verb.title())
    return {"key": grant, "label": f"{pretty}: {level}", "description": f"{pretty} ({verb})"}
