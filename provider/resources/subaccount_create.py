"""Creating a subaccount once: refuse a create when a live subaccount already has the name,
report what `create_once` cleaned up or could not, and fill the computed values the create
response lacks."""

from __future__ import annotations

from typing import Any

from ..sparkpost import create_once
from ..tfplugin.diagnostics import ResourceError
from ..tfplugin.resource import Context
from .common import api_errors, client_of
from .subaccount_state import subaccount_state


def refuse_a_second(ctx: Context, name: str) -> None:
    """Fail, before any create, when a live subaccount already has this name.

    SparkPost allows duplicate names, but here a second subaccount for one instance is a
    second live send key that no state manages: the orphan of an interrupted apply (kill
    -9 after SparkPost made it, before Terraform saved state), or an old subaccount that was
    to be imported. Creating a twin with a warning (exit 0) hides it; failing names it and
    the ways out (docs/guides/recovering-from-an-interrupted-apply.md says why).
    """
    client = client_of(ctx)
    # One request however many subaccounts there are: SparkPost's name filter is a
    # substring match, and the prefix also finds the marked name an interrupted create
    # left (compared exactly here).
    prefix = name[: create_once.SUBACCOUNT_NAME_MAX - len(create_once.new_marker())]
    with api_errors(f"list subaccounts named {name!r} before creating it", ("name",)):
        listed = client.list_subaccounts(name=prefix)
    same = [s for s in listed if s.status != "terminated" and s.name == name]
    interrupted = [s for s in listed if s.status != "terminated" and create_once.unmarked(s.name or "") == prefix]
    if not same and not interrupted:
        return
    found = [f"{s.id} ({s.status})" for s in same] + [
        f"{s.id} ({s.status}, named {s.name!r}: left by an interrupted create)" for s in interrupted]
    first = (same or interrupted)[0].id
    raise ResourceError(
        f"A subaccount named {name!r} already exists",
        f"Subaccount(s) {', '.join(found)} already carry this name. SparkPost allows duplicate names, but a "
        "second subaccount for one instance would be a second live send key that no Terraform state "
        "manages, so none is created. Either:\n"
        f"- it is this resource's: import it (terraform import ADDRESS {first}, or an import block);\n"
        "- it is an orphan of an interrupted apply: terminate it (scripts/find-orphans lists orphans; see "
        "the guide \"Recovering from an interrupted apply\") and apply again;\n"
        "- it is deliberately another subaccount: rename one of them.",
        ("name",),
    )


def report(ctx: Context, sub_id: int, outcome: create_once.Outcome) -> None:
    if outcome.removed_twins:
        ctx.diagnostics.warning(
            "Extra subaccounts terminated",
            f"A create request whose answer was lost was finished by SparkPost after the provider had "
            f"looked for it and sent the request again: subaccount(s) {', '.join(outcome.removed_twins)}, "
            f"made by this create and known to no one, were terminated. Subaccount {sub_id} is the one kept.",
            ("name",),
        )
    if outcome.cleanup_failed:
        ctx.diagnostics.warning(
            "Could not check for extra subaccounts",
            f"Subaccount {sub_id} was created, but looking for a second one made by a lost request failed: "
            f"{outcome.cleanup_failed}. scripts/find-orphans lists any (their names end in ' ~tf-' and 12 "
            "hex digits).",
            ("name",),
        )
    if outcome.rename_failed:
        ctx.diagnostics.warning(
            "Subaccount created under its temporary name",
            f"Subaccount {sub_id} was created as {outcome.marked_name!r} (the marker finds it if the response "
            f"is lost), and renaming it failed: {outcome.rename_failed}. State records that name; the next "
            "plan shows the rename and the next apply makes it.",
            ("name",),
        )


def settle(ctx: Context, sub_id: int, state: dict[str, Any]) -> dict[str, Any]:
    """Fill computed values from a GET (the create response carries only the id). Best
    effort: the subaccount exists either way, and a failed create would taint it."""
    state = dict(state)
    try:
        with api_errors(f"read subaccount {sub_id} after creating it"):
            fresh = subaccount_state(client_of(ctx).get_subaccount(sub_id))
    except ResourceError as err:
        ctx.diagnostics.warning(err.summary, f"{err.detail}\n\nThe next refresh fills compliance_status.")
        state.update(compliance_status=None, deliverability=None)
        return state
    state.update(compliance_status=fresh["compliance_status"], deliverability=fresh["deliverability"])
    return state
