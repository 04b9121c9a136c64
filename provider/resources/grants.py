"""SparkPost API-key grant strings, and the plan-time check of a set of grants for a key's owner.

Self-contained on purpose (no provider imports): `sparkpost_api_key.grants` and
`sparkpost_subaccount.initial_api_key.grants` both check their grants with `check_grants`.

Where the lists come from (reference `sparkpost-api.md` section 3.4). SparkPost publishes no
authoritative list of grants an API key may hold, so:

* `SUBACCOUNT_GRANTS`: exactly the API reference's list for subaccount keys. The reference
  (SparkPost/developers.sparkpost.com content/api/subaccounts.apib, Create a Subaccount,
  `key_grants`): "Valid values are: `smtp/inject`, `sending_domains/manage`,
  `tracking_domains/view`, `tracking_domains/manage`, `message_events/view`,
  `suppression_lists/manage`, `transmissions/view`, `transmissions/modify`, `webhooks/view`,
  `webhooks/modify`". SparkPost's own sources disagree with it twice, and the reference wins:
  its subaccount guide (support-docs content/docs/user-guide/subaccounts.md) lists "Templates
  (read/write/preview)" among the permissions of subaccount keys, which the reference's list
  leaves out (so `templates/*` on a subaccount key is an error here, with a note saying why);
  and the same apib's 400 example names only four "Supported values", a stale message the list
  above contradicts.
* `PRIMARY_GRANTS`: the grants confirmed for primary-account keys, then the other grant
  strings SparkPost's web app shows (`/authenticate/grants` fixtures: UNCONFIRMED for keys, but
  a key using them must not be refused by the provider).

Policy, because SparkPost adds grants over time: a grant in neither list is only a *warning*
(SparkPost itself refuses it at apply if it really does not exist); a grant known to be
primary-only on a subaccount key is an *error*, since SparkPost refuses it for certain.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

__all__ = [
    "SUBACCOUNT_GRANTS",
    "PRIMARY_CONFIRMED_GRANTS",
    "PRIMARY_GRANTS",
    "ALL_GRANTS",
    "check_grants",
]

# The API reference's `key_grants` list (subaccounts.apib), in its order.
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

# Listed for subaccount keys by the subaccount guide but not by the API reference.
_GUIDE_ONLY_SUBACCOUNT_GRANTS = frozenset({"templates/view", "templates/modify", "templates/preview"})

# Confirmed for primary-account keys [SS].
PRIMARY_CONFIRMED_GRANTS: tuple[str, ...] = (
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
)

# Seen in SparkPost's web app grant lists; likely assignable to primary keys (UNCONFIRMED).
_PRIMARY_OBSERVED_GRANTS: tuple[str, ...] = (
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

# Every grant a primary-account key may hold, as far as the provider knows.
PRIMARY_GRANTS: tuple[str, ...] = PRIMARY_CONFIRMED_GRANTS + _PRIMARY_OBSERVED_GRANTS

ALL_GRANTS: frozenset[str] = frozenset(PRIMARY_GRANTS) | frozenset(SUBACCOUNT_GRANTS)

# Spellings people get wrong, with what SparkPost calls them.
_RENAMED = {
    "webhooks/manage": "webhooks/modify",  # the 2017 docs' spelling
    "subaccounts/manage": "subaccount/manage",
    "subaccounts/view": "subaccount/view",
}


def _suggestion(grant: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    better = _RENAMED.get(grant)
    if better is None or better not in allowed:
        close = difflib.get_close_matches(grant, allowed, n=1, cutoff=0.8)
        better = close[0] if close else None
    return f' Did you mean "{better}"?' if better else ""


def check_grants(grants: Iterable[str], *, subaccount: bool | None) -> tuple[list[str], list[str]]:
    """Check grant strings for a key owned by a subaccount (True), the primary account (False)
    or an owner not known yet (None: only grants unknown to both lists are reported).

    Returns (errors, warnings), each a list of sentences fit for a diagnostic detail:
    * error: a grant known to be primary-account-only on a subaccount key;
    * warning: a grant in none of the provider's lists (SparkPost may have added it; if not,
      SparkPost refuses it when the key is created or updated).
    Non-string elements (unknown values during plan) are skipped.
    """
    errors: list[str] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for grant in grants:
        if not isinstance(grant, str) or grant in seen:
            continue
        seen.add(grant)
        if subaccount is True:
            if grant in SUBACCOUNT_GRANTS:
                continue
            if grant in _GUIDE_ONLY_SUBACCOUNT_GRANTS:
                errors.append(
                    f'"{grant}" is not a grant SparkPost\'s API reference allows on a subaccount key. Its '
                    "list of valid key_grants (subaccounts.apib) has no templates grants, although the "
                    "subaccount guide mentions templates; the provider follows the reference. Subaccount "
                    "keys may hold: " + ", ".join(SUBACCOUNT_GRANTS) + "."
                )
                continue
            if grant in PRIMARY_GRANTS:
                errors.append(
                    f'"{grant}" is a grant for primary-account keys only: SparkPost refuses it on a '
                    f"subaccount key.{_suggestion(grant, SUBACCOUNT_GRANTS)} Subaccount keys may hold: "
                    + ", ".join(SUBACCOUNT_GRANTS)
                    + "."
                )
                continue
            known: Iterable[str] = SUBACCOUNT_GRANTS
        elif subaccount is False:
            if grant in PRIMARY_GRANTS:
                continue
            known = PRIMARY_GRANTS
        else:
            if grant in ALL_GRANTS:
                continue
            known = sorted(ALL_GRANTS)
        warnings.append(
            f'"{grant}" is not a grant this provider knows.{_suggestion(grant, known)} SparkPost adds '
            "grants from time to time, so it is passed on as written; if SparkPost does not know it "
            "either, it refuses the key at apply."
        )
    return errors, warnings


# Every grant SparkPost has ever named is lowercase ASCII RESOURCE/ACTION (with `_` or `-`).
_GRANT_SHAPE = re.compile(r"[a-z][a-z0-9_-]*/[a-z][a-z0-9_-]*")


def grant_shape(grant: str) -> str | None:
    """A validator for one grant: a string of another shape (spaces around it, capitals, a
    Cyrillic or fullwidth lookalike, a zero-width character) is no grant SparkPost could add
    later, so it is an error at validate rather than the unknown-grant warning and a 400 at apply."""
    if _GRANT_SHAPE.fullmatch(grant):
        return None
    return (f"{ascii(grant)} is not a grant: grants are lowercase ASCII RESOURCE/ACTION, like \"smtp/inject\"."
            f"{_suggestion(grant.strip().lower(), ALL_GRANTS)}")
