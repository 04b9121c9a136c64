"""Create a subaccount, an API key or a webhook at most once, whatever the network loses.

SparkPost has no idempotency keys, allows any number of subaccounts (and keys) of the same name,
and cannot delete a subaccount. A create whose response is lost (a dropped connection, a read
timeout, a 5xx from a proxy after SparkPost acted) may or may not have made the object, and a
check by name cannot tell "my lost create" from "another create of the same name" (a twin
resource, another workspace, a create still in flight): when unsure it either adopts the wrong
object or creates again, and under repeated faults creates again and again.

So each create carries a marker of its own: while it is being made, the object's name (a
subaccount) or label (a key) ends in `` ~tf-`` and 12 random hex digits, drawn once per create
and kept across its retries. The marker is what the lost-response check looks for (SparkPost's
subaccount list filters by name; keys are listed and compared): whatever it finds is this
create's and no one else's.

- Subaccount: a lost response whose subaccount exists is adopted (its initial key, shown only
  in the lost response, is gone: the caller reports that); if none exists, the POST is sent
  again. After the create, subaccounts that carry the marker besides the adopted one (a lost
  attempt that SparkPost finished after the check looked) are terminated: they are this
  create's, brand new and unknown to anyone, and their keys die with them.
- API key: a key made by a lost attempt is useless (its secret was in the lost response), so
  the check revokes it and the POST is sent again; after the create, any other key with the
  marker is revoked too.
- Then the object is renamed (relabelled) to its configured name, an idempotent PUT. If that
  fails, the object keeps the marked name, the caller records it in state with that name, and
  the next plan shows the rename.

- Webhook: as a subaccount (adopted when found, the POST sent again when not; other webhooks
  with the marker, made by lost attempts SparkPost finished late, are deleted). A webhook
  holds no secret of its own, so adopting loses nothing.

An apply killed between the POST and the rename leaves an object whose name ends in the
marker: `scripts/find-orphans` reports those as made by an interrupted create.

What SparkPost allows: a subaccount name is a string of at most 64 characters, with no
documented character rule (SparkPost/developers.sparkpost.com content/api/subaccounts.apib,
"Create a subaccount"; its examples hold spaces and apostrophes); its `name` list filter is a
substring match that "may return false positives", so matches are compared here. Key labels
have no documented limit (the emulator caps them at 1024, as the reference suggests). The
marker (17 characters) replaces the end of a name too long to hold both.

Webhooks (content/api/webhooks.apib): `name` is a required string with no documented length
limit or uniqueness (two webhooks may share a name, target and events: a name or a match of
the settings cannot tell a lost create from another webhook, the marker can); GET /webhooks
"Returns a list of all your webhooks", with their names and ids, and has no filter, so it is
listed and compared; the scope is the X-MSYS-SUBACCOUNT header, and the list is asked with
the create's own header, under which the new webhook is always visible. Names are capped at
1024 here (the resource's limit), the marker included. PUT with only `name` renames without
the test batch a new target gets ("If you change the target URL, a test POST request will be
sent").
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .errors import InvalidResponse, NotFound, ServerError, SparkPostError, TransportError
from .models import ApiKey, CreatedApiKey, CreatedSubaccount, InitialKey, WebhookAuth

if TYPE_CHECKING:
    from .client import SparkPostClient

log = logging.getLogger("provider.sparkpost")

MARKER_PREFIX = " ~tf-"
MARKER_RE = re.compile(r" ~tf-[0-9a-f]{12}\Z", re.ASCII)
MARKER_LEN = len(MARKER_PREFIX) + 12
SUBACCOUNT_NAME_MAX = 64
WEBHOOK_NAME_MAX = 1024  # the resource's own limit; SparkPost documents none


def new_marker() -> str:
    return f"{MARKER_PREFIX}{secrets.token_hex(6)}"


def marked(name: str, marker: str, limit: int) -> str:
    """The name while creating: the configured one, shortened if needed, then the marker."""
    return name[: max(0, limit - len(marker))] + marker


def unmarked(name: str) -> str | None:
    """The start of the configured name, when ``name`` carries a create marker; else None."""
    m = MARKER_RE.search(name)
    return name[: m.start()] if m else None


@dataclass
class Outcome:
    """What happened besides the create itself, for the caller's diagnostics."""

    adopted: bool = False  # the response was lost; the object was found by its marker
    removed_twins: list[str] = field(default_factory=list)  # terminated / revoked extra objects
    cleanup_failed: str | None = None  # twins may remain: why they could not be removed
    rename_failed: str | None = None  # the object kept its marked name: why
    marked_name: str = ""


# ---------------------------------------------------------------- subaccounts


def create_subaccount(
    client: "SparkPostClient", name: str, *, ip_pool: str | None, initial_key: InitialKey | None
) -> tuple[CreatedSubaccount, Outcome]:
    marker = new_marker()
    outcome = Outcome(marked_name=marked(name, marker, SUBACCOUNT_NAME_MAX))

    def mine() -> list[int]:
        found = client.list_subaccounts(name=marker.strip())
        return sorted(s.id for s in found if (s.name or "").endswith(marker) and s.status != "terminated")

    def check() -> dict[str, Any] | None:
        ids = mine()
        outcome.adopted = bool(ids)
        return {"subaccount_id": ids[0]} if ids else None

    try:
        created = client.create_subaccount(
            outcome.marked_name, ip_pool=ip_pool, initial_key=initial_key, idempotency_check=check
        )
    except SparkPostError as err:
        created = CreatedSubaccount(id=_made_anyway(err, mine, "subaccount")[0])
        outcome.adopted = True
    try:
        ids = mine()
        if ids and created.id not in ids:
            # The answer names a subaccount that does not carry this create's marker: another
            # object (a proxy's cache, a server bug). Renaming it would take over someone else's
            # subaccount, and the one this create made would be terminated as a twin. Keep the
            # marked one; the answer's key is not trusted either (reported as lost).
            log.warning("SparkPost POST /subaccounts answered with subaccount %s, which does not carry "
                        "the create's marker; keeping subaccount %s, which does", created.id, ids[0])
            outcome.adopted = True
            created = CreatedSubaccount(id=ids[0])
        for twin in (i for i in ids if i != created.id):
            client.update_subaccount(twin, status="terminated")
            outcome.removed_twins.append(str(twin))
            log.info("terminated subaccount %s: a second subaccount made by the same create", twin)
    except SparkPostError as err:
        outcome.cleanup_failed = str(err)
    try:
        client.update_subaccount(created.id, name=name)
    except SparkPostError as err:
        outcome.rename_failed = str(err)
    return created, outcome


# ---------------------------------------------------------------- API keys


def create_api_key(
    client: "SparkPostClient", label: str, grants: list[str], valid_ips: list[str] | None, *,
    subaccount: int | None, label_max: int,
) -> tuple[CreatedApiKey, Outcome]:
    marker = new_marker()
    outcome = Outcome(marked_name=marked(label, marker, label_max))

    def revoke_mine(keep: str | None = None, listed: list[ApiKey] | None = None) -> None:
        for k in listed if listed is not None else client.list_api_keys(subaccount=subaccount):
            if k.id and k.id != keep and (k.label or "").endswith(marker):
                try:
                    client.delete_api_key(k.id, subaccount=k.subaccount_id if k.subaccount_id else subaccount)
                except NotFound:
                    pass
                outcome.removed_twins.append(k.id)
                log.info("revoked API key %s: made by a create whose response was lost", k.id)

    def check() -> None:
        # A key made by a lost attempt cannot be used (its secret was in the lost response):
        # revoke it, and let the POST be sent again.
        revoke_mine()
        return None

    try:
        created = client.create_api_key(outcome.marked_name, grants, valid_ips, subaccount=subaccount,
                                        idempotency_check=check)
    except SparkPostError as err:
        if not ambiguous(err):
            raise  # refused (4xx) or never sent: SparkPost made nothing
        try:
            revoke_mine()
        except SparkPostError as again:
            err.add_hint(f"A key labelled {outcome.marked_name!r} may exist and could not be revoked "
                         f"({again}); scripts/find-orphans lists it.")
        raise
    mismatch: InvalidResponse | None = None  # raised when the answer is for another key
    try:
        listed = client.list_api_keys(subaccount=subaccount)
        ours = [k for k in listed if k.id and (k.label or "").endswith(marker)]
        if created.id and ours and created.id not in {k.id for k in ours}:
            # The answer names a key that does not carry this create's marker: another key
            # (a proxy's cache, a server bug), whose label and grants the relabel would
            # overwrite. The marked key whose short_key is the answer's is the one made.
            same = [k for k in ours if created.short_key and k.short_key == created.short_key]
            if len(same) != 1:
                text = (f"the answer names API key {created.id!r}, which is not the key this create "
                        f"made (labelled {outcome.marked_name!r})")
                try:
                    revoke_mine(listed=listed)
                    text += "; that key was revoked"
                except SparkPostError as again:
                    text += f"; revoking that key failed ({again}): scripts/find-orphans lists it"
                mismatch = InvalidResponse(text, method="POST", path="/api-keys")
                raise mismatch
            log.warning("SparkPost POST /api-keys answered with key %s, which does not carry the create's "
                        "marker; keeping key %s, which does", created.id, same[0].id)
            created = replace(created, id=same[0].id)
        revoke_mine(keep=created.id, listed=listed)
    except SparkPostError as err:
        if err is mismatch:
            raise
        outcome.cleanup_failed = str(err)
    if created.id:
        try:
            client.update_api_key(created.id, label=label, grants=grants, valid_ips=valid_ips,
                                  subaccount=subaccount)
        except SparkPostError as err:
            outcome.rename_failed = str(err)
    else:
        outcome.rename_failed = "the new key's id is unknown"
    return created, outcome


# ---------------------------------------------------------------- webhooks


def create_webhook(
    client: "SparkPostClient", name: str, *, target: str, events: list[str], active: bool,
    custom_headers: dict[str, str] | None, exception_subaccounts: list[int] | None,
    auth: WebhookAuth, subaccount: int | None,
) -> tuple[str, Outcome]:
    """POST /webhooks under the marked name, then rename: the webhook's id and what happened."""
    marker = new_marker()
    outcome = Outcome(marked_name=marked(name, marker, WEBHOOK_NAME_MAX))

    def mine() -> list[str]:
        return sorted(h.id for h in client.list_webhooks(subaccount=subaccount)
                      if h.id and h.name.endswith(marker))

    def check() -> dict[str, Any] | None:
        ids = mine()
        outcome.adopted = bool(ids)
        return {"id": ids[0]} if ids else None

    try:
        hook_id = client.create_webhook(
            name=outcome.marked_name, target=target, events=events, active=active,
            custom_headers=custom_headers, exception_subaccounts=exception_subaccounts, auth=auth,
            subaccount=subaccount, idempotency_check=check)
    except SparkPostError as err:
        hook_id = _made_anyway(err, mine, "webhook")[0]
        outcome.adopted = True
    try:
        ids = mine()
        if ids and hook_id.lower() not in {i.lower() for i in ids}:
            # An answer for another webhook (a proxy's cache, a server bug): renaming it would
            # take it over, and this create's own would be deleted as a twin. Keep the marked one.
            log.warning("SparkPost POST /webhooks answered with webhook %s, which does not carry the "
                        "create's marker; keeping webhook %s, which does", hook_id, ids[0])
            outcome.adopted = True
            hook_id = ids[0]
        for twin in (i for i in ids if i.lower() != hook_id.lower()):
            try:
                client.delete_webhook(twin, subaccount=subaccount)
            except NotFound:
                pass
            outcome.removed_twins.append(twin)
            log.info("deleted webhook %s: a second webhook made by the same create", twin)
    except SparkPostError as err:
        outcome.cleanup_failed = str(err)
    try:
        client.update_webhook(hook_id, name=name, subaccount=subaccount)
    except SparkPostError as err:
        outcome.rename_failed = str(err)
    return hook_id, outcome


def ambiguous(err: SparkPostError) -> bool:
    """Whether a failed request may still have acted: sent, and answered by no verdict of
    SparkPost's (a lost or cut-off answer, a 5xx, or a success whose body cannot be read: not
    JSON, the wrong shape, too large). A 4xx or 429 is a refusal."""
    if isinstance(err, TransportError):
        return err.request_sent
    if isinstance(err, InvalidResponse):
        # A field's shape error carries no status: the answer was a success.
        return err.status is None or not 400 <= err.status < 500
    return isinstance(err, ServerError)


def _made_anyway(err: SparkPostError, mine: Any, what: str) -> list[Any]:
    """After a create failed with ERR: what its attempts made, found by the marker. ERR is
    raised again when the create was refused (4xx, a webhook target that did not answer 200) or
    never sent, so SparkPost made nothing, and when nothing is found."""
    if not ambiguous(err):
        raise err
    ids = _look_again(mine, err, what)
    if not ids:
        raise err
    return ids


def _look_again(mine: Any, err: SparkPostError, what: str) -> list[Any]:
    """After a create failed: what its attempts made (empty when the list fails too)."""
    try:
        return list(mine())
    except SparkPostError as again:
        err.add_hint(f"Whether SparkPost made the {what} is unknown (listing failed: {again}); "
                     f"scripts/find-orphans lists a {what} whose name ends in ' ~tf-' and 12 hex digits.")
        return []
