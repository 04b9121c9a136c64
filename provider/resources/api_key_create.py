"""What a create of `sparkpost_api_key` reports beyond the new key: what `create_once` did about
requests whose answers were lost, and a key whose Secret Manager write failed (revoked again,
or kept in state when the revoke fails too)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from ..sparkpost import create_once
from ..sparkpost.errors import NotFound
from ..tfplugin.diagnostics import ResourceError
from ..tfplugin.resource import Context
from .api_key_calls import api_call, owner_text, sub_of
from .api_key_secret import SM_PATH

if TYPE_CHECKING:
    from ..secrets import SecretManagerError


def report_create(ctx: Context, outcome: create_once.Outcome, sub: int | None) -> None:
    if outcome.removed_twins:
        ctx.diagnostics.warning(
            "API keys made by lost requests were revoked",
            f"SparkPost made key(s) {', '.join(outcome.removed_twins)} for {owner_text(sub)} but their answers (the only "
            "place SparkPost shows a key) were lost; they were revoked, and one key was created and kept.",
            ["label"],
        )
    if outcome.cleanup_failed:
        ctx.diagnostics.warning(
            "Could not check for keys made by lost requests",
            f"{outcome.cleanup_failed}. scripts/find-orphans lists any such key (its label ends in ' ~tf-' and 12 "
            "hex digits); revoke it.",
            ["label"],
        )
    if outcome.rename_failed:
        ctx.diagnostics.warning(
            "API key created under its temporary label",
            f"The key was created as {outcome.marked_name!r} and relabelling it failed: {outcome.rename_failed}. "
            "State records that label; the next plan shows the change and the next apply makes it.",
            ["label"],
        )


def undo_create(client: Any, state: dict[str, Any], err: "SecretManagerError") -> NoReturn:
    """The key exists but is not where it should be: revoke it, or keep it in state."""
    key_id, sub = state["id"], sub_of(state)
    what = f"the new API key {key_id} (short key {state['short_key']}, {owner_text(sub)})"
    try:
        with api_call(f"revoke {what}"):
            try:
                client.delete_api_key(key_id, subaccount=sub)
            except NotFound:
                pass  # gone already
    except ResourceError as revoke:
        raise ResourceError(
            "Could not write the API key to Secret Manager, nor revoke it",
            f"SparkPost created {what}, but writing it to Secret Manager failed: {err.message}\n\n"
            f"Revoking the key then failed too: {revoke.detail.splitlines()[0] if revoke.detail else revoke.summary}\n\n"
            "So that the key is not lost, Terraform state keeps it for now (attribute key, "
            "sensitive), and Terraform marks the resource tainted. To finish, fix the Secret "
            "Manager problem, then either:\n"
            "- run `terraform untaint` on this resource and apply: the key in state is written to "
            "Secret Manager and removed from state; or\n"
            "- just apply: the tainted key is revoked and replaced by a new one, written to "
            "Secret Manager.",
            SM_PATH,
            state=state,
        ) from err
    raise ResourceError(
        "Could not write the API key to Secret Manager",
        f"{err.message}\n\nThe API key SparkPost had just created ({key_id}) was revoked again, so "
        "nothing was created and no key is left behind. Fix the problem (the secret's name, IAM "
        "permissions, or set create_secret = true) and apply again.",
        SM_PATH,
    ) from err
