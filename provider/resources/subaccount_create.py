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
