"""Creating a webhook once: refuse a create when the webhook an interrupted apply left is
there, and report what `create_once` cleaned up or could not."""

from __future__ import annotations

from ..sparkpost import create_once
from ..sparkpost.models import Webhook as WebhookModel
from ..tfplugin.diagnostics import ResourceError
from ..tfplugin.resource import Context
from .common import api_errors, client_of

GRANT = "webhooks/modify"


def _import_id(hook_id: str, scope: int | None) -> str:
    return hook_id if scope is None else f"{scope}:{hook_id}"


def refuse_a_second(ctx: Context, name: str, target: str, scope: int | None) -> None:
    """Fail, before any create, when a webhook with this name (or the marked name an
    interrupted create left) and this target is already listed in the scope.

    SparkPost allows any number of webhooks of one name (webhooks.apib documents no
    uniqueness), but a second one with the same target posts every event to the receiver
    twice, and no state manages it: the orphan of an interrupted apply (killed after
    SparkPost made it, before Terraform saved state), or a webhook made by hand that was to be
    imported. Failing names it and the ways out; creating a twin would hide it.
    """
    with api_errors(f"create webhook {name!r} (listing the webhooks first)", ("name",), grant=GRANT):
        listed = client_of(ctx).list_webhooks(subaccount=scope)
    prefix = name[: create_once.WEBHOOK_NAME_MAX - create_once.MARKER_LEN]

    def kind(h: WebhookModel) -> str | None:
        if h.target != target or not h.id:
            return None
        if h.name == name:
            return "same name"
        if create_once.unmarked(h.name) == prefix:
            return f"named {h.name!r}: left by an interrupted create"
        return None

    found = [(h, k) for h in listed for k in [kind(h)] if k]
    if not found:
        return
    first = found[0][0]
    assert first.id is not None
    where = {None: "listed without X-MSYS-SUBACCOUNT (every scope)", 0: "of the primary account"}.get(
        scope, f"of subaccount {scope}")
    ids = ", ".join(f"{h.id} ({k})" for h, k in found)
    raise ResourceError(
        f"A webhook named {name!r} with this target already exists",
        f"Webhook(s) {ids}, {where}, already post to {target} under this name. SparkPost allows "
        "duplicate names, but a second webhook would post every event to the target twice, and no "
        "Terraform state manages the first, so none is created. Either:\n"
        f"- it is this resource's (an apply interrupted after SparkPost made it): import it "
        f"(terraform import ADDRESS {_import_id(first.id, scope)}, or an import block), and apply;\n"
        f"- it is an orphan no one wants: delete it (DELETE /api/v1/webhooks/{first.id}"
        + ("" if scope is None else f" with X-MSYS-SUBACCOUNT: {scope}")
        + "; scripts/find-orphans lists orphaned webhooks) and apply again;\n"
        "- it is deliberately another webhook: rename one of them."
        + ("" if scope is not None else
           "\n\nWithout X-MSYS-SUBACCOUNT SparkPost lists the webhooks of every scope, and does not say "
           "whose events each takes: if this one takes a single subaccount's (or the primary account's "
           "only), import it as SUBACCOUNT:ID and set subaccount_id to match, or it is not this resource's."),
        ("name",),
    )
