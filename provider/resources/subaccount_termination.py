"""Ending a subaccount, which SparkPost cannot delete: deletion protection (refused at plan and
at apply), what a destroy asks of SparkPost (terminate, suspend or nothing, and a new name when
the subaccount is replaced for a dead send key), and a terminated subaccount, which is gone for
good: a refresh plans its re-creation (in the resource's read) and an import is refused."""

from __future__ import annotations

from typing import Any

from ..tfplugin.diagnostics import ResourceError
from ..tfplugin.resource import Context
from . import send_key
from .common import api_errors, client_of, is_not_found
from .subaccount_state import SubaccountChanges

TERMINATED = "terminated"


def destroy_request(state: dict[str, Any], replacing: bool) -> tuple[str, SubaccountChanges]:
    """What destroying the subaccount in `state` does: (on_destroy's mode, the fields to update;
    none to abandon it). Refused while deletion_protection is on, unless the plan replaces the
    subaccount for a new send key (a destroy plan of a protected subaccount is refused at plan
    time, so protection on means a replacement)."""
    mode = state.get("on_destroy") or "terminate"
    protected = state.get("deletion_protection") is not False
    if protected and not replacing:
        raise ResourceError(*protected_message(state))
    if protected and mode == "terminate":
        mode = "suspend"  # never irreversible while protected: suspending can be undone
    fields: SubaccountChanges = {}
    if mode != "abandon":
        fields["status"] = TERMINATED if mode == "terminate" else "suspended"
    if replacing and mode != "terminate" and isinstance(state.get("name"), str):
        # Free the name for the subaccount made in its place (a second live subaccount of the
        # same name is refused at create), and say what happened to this one.
        fields["name"] = send_key.replaced_name(state["name"])
    return mode, fields


def protected_message(state: dict[str, Any]) -> tuple[str, str]:
    return (
        "Subaccount is protected from destruction",
        f"sparkpost_subaccount {state.get('name')!r} (id {state.get('id')}) has deletion_protection = true, "
        "so Terraform will not destroy it. SparkPost cannot delete subaccounts: destroying one "
        f"would {state.get('on_destroy') or 'terminate'} it (on_destroy), and terminating is irreversible.\n\n"
        "To destroy it: set deletion_protection = false (and on_destroy to terminate, suspend or abandon) "
        "in its configuration, apply, then destroy it or remove it from the configuration and apply. If its "
        "configuration is already gone (removed from a for_each or count, or its module call or module "
        "instance removed), Terraform no longer knows those settings: put it back with deletion_protection = "
        "false, apply, then remove it again and apply (modules such as managed-smtp take deletion_protection "
        "and on_destroy as inputs). In `terraform test`, set deletion_protection = false in the test's "
        "variables so that the teardown can destroy it.\n\n"
        "To keep the subaccount in SparkPost and only stop managing it: `terraform state rm ADDRESS` (the "
        "address of the resource, or of its module instance, like 'module.smtp[\"acme\"]'). A `removed {}` "
        "block with lifecycle { destroy = false } does the same for a resource or a whole module call, but "
        "Terraform rejects one whose `from` names a module instance key.",
    )


def protected_replacement_message(prior: dict[str, Any]) -> tuple[str, str]:
    """The plan error for a replacement Terraform (not the provider) asked for: -replace or
    replace_triggered_by. Refused at plan: at apply, the resources that depend on the subaccount
    (its API keys, sending domains) would be destroyed before the refusal. (A tainted subaccount
    is planned as a plain create, with no prior state or private data: only apply refuses it.)"""
    summary, detail = protected_message(prior)
    return summary, (
        "This plan replaces the subaccount (the -replace option, or lifecycle { replace_triggered_by }), "
        "which destroys it first. To keep it: drop the -replace option or the replace_triggered_by.\n\n" + detail)


def refuse_terminated_import(ctx: Context, sub_id: int) -> None:
    """Read treats a terminated subaccount as gone, which Terraform reports as a "non-existent
    remote object": say what it is instead. One GET, only at import. A subaccount that does not
    exist passes: read then says it is gone (Terraform's own "non-existent" error)."""
    try:
        with api_errors(f"read subaccount {sub_id} to import it"):
            status = client_of(ctx).get_subaccount(sub_id).status
    except ResourceError as err:
        if is_not_found(err):
            return
        raise
    if status == TERMINATED:
        raise ResourceError(
            f"Subaccount {sub_id} is terminated",
            f"Subaccount {sub_id} was terminated: SparkPost keeps terminated subaccounts (they still show in "
            "lists) but they can never send again or be reactivated, so there is nothing to manage. Remove "
            "this import (the import block, or do not run terraform import): apply then creates a new "
            "subaccount for this resource, with its own key.",
        )
