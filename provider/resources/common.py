"""What every SparkPost resource shares: the configured client, and API errors turned into
diagnostics."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, TypeGuard

from ..sparkpost.errors import Forbidden, NotFound, SparkPostError, Unauthorized
from ..tfplugin.diagnostics import PathStep, ResourceError
from ..tfplugin.resource import Context
from ..tfplugin.values import Unknown

if TYPE_CHECKING:
    from ..provider import ProviderData
    from ..sparkpost import create_once
    from ..secrets import SecretStore
    from ..sparkpost.client import SparkPostClient


def meta_of(ctx: Context | Any) -> "ProviderData":
    from ..provider import ProviderData  # the provider module imports the resources

    meta = ctx.meta if isinstance(ctx, Context) else ctx
    if not isinstance(meta, ProviderData) or meta.client is None:
        reason = getattr(meta, "unknown_reason", None) or "the provider was not configured"
        raise ResourceError(
            "SparkPost provider not configured yet",
            f"This step needs the SparkPost API, but {reason}. Apply the resources the provider "
            "configuration depends on first (for example with -target), then run again.",
        )
    return meta


def client_of(ctx: Context | Any) -> "SparkPostClient":
    client = meta_of(ctx).client
    assert client is not None
    return client


def secrets_of(ctx: Context | Any) -> "SecretStore":
    """The configured provider's Secret Manager store (a fake one in tests)."""
    meta = ctx.meta if isinstance(ctx, Context) else ctx
    store: SecretStore | None = getattr(meta, "secrets", None)
    if store is None:
        from ..secrets import SecretStore

        store = SecretStore()
    return store


def known(value: Any) -> TypeGuard[Any]:
    """Neither null nor unknown: a value the configuration or state really holds."""
    return value is not None and not isinstance(value, Unknown)


@contextmanager
def api_errors(action: str, path: tuple[PathStep, ...] | None = None, *, state: dict[str, Any] | None = None,
               grant: str | None = None) -> Iterator[None]:
    """Turn a SparkPost API failure into one readable diagnostic about `action`. `grant` names
    what the call needs, for the 403 text (resources the operator key is not meant for)."""
    try:
        yield
    except SparkPostError as err:
        detail = str(err)
        if isinstance(err, Unauthorized):
            detail += (
                "\n\nSparkPost rejected the API key (401): it is wrong, revoked, for the other region, or "
                "used from an IP address outside its allowed list. Check the provider's api_key "
                "(or SPARKPOST_API_KEY / api_key_secret) and region."
            )
        elif isinstance(err, Forbidden) and grant:
            detail += (
                f"\n\nThe API key lacks the {grant} grant (403). The operator key Terraform normally runs "
                "with holds only metrics/view, subaccount/manage and sending_domains/manage, so it cannot "
                f"manage this: use a key with {grant} (for example a second provider block with an alias)."
            )
        elif isinstance(err, Forbidden):
            detail += (
                "\n\nThe API key is valid but lacks the grant this call needs (403). Give the key the "
                "grant in SparkPost, or use a key that has it."
            )
        raise ResourceError(f"Could not {action}", detail, path, state=state) from err


def is_not_found(err: BaseException) -> bool:
    """The API said the object does not exist (directly, or behind `api_errors`' wrapping)."""
    return isinstance(err, NotFound) or isinstance(err.__cause__, NotFound)


def owner_status(client: Any, sub: int | None) -> str | None:
    """The status of subaccount SUB, which owns an object SparkPost refused to change (403) or
    that a plan moves away from it; None when not known (or SUB is the primary account)."""
    if not sub or client is None:
        return None
    try:
        return str(client.get_subaccount(sub).status)
    except SparkPostError:
        return None


def inactive_owner(client: Any, sub: int | None) -> str | None:
    """`suspended` or `terminated` when subaccount SUB is one: SparkPost makes such a subaccount
    read-only (its objects can be neither changed nor deleted: 403); else None."""
    status = owner_status(client, sub)
    return status if status in ("suspended", "terminated") else None


def report_marked_create(ctx: Context, kind: str, removed: str, made_id: object, outcome: "create_once.Outcome") -> None:
    """Warnings for what a create under a marker (create_once) cleaned up or could not: KIND is
    the object ("subaccount", "webhook"), REMOVED what was done to twins ("terminated")."""
    noun = kind.capitalize()
    if outcome.removed_twins:
        ctx.diagnostics.warning(
            f"Extra {kind}s {removed}",
            f"A create request whose answer was lost was finished by SparkPost after the provider had "
            f"looked for it and sent the request again: {kind}(s) {', '.join(outcome.removed_twins)}, "
            f"made by this create and known to no one, were {removed}. {noun} {made_id} is the one kept.",
            ("name",),
        )
    if outcome.cleanup_failed:
        ctx.diagnostics.warning(
            f"Could not check for extra {kind}s",
            f"{noun} {made_id} was created, but looking for a second one made by a lost request failed: "
            f"{outcome.cleanup_failed}. scripts/find-orphans lists any (their names end in ' ~tf-' and 12 "
            "hex digits).",
            ("name",),
        )
    if outcome.rename_failed:
        ctx.diagnostics.warning(
            f"{noun} created under its temporary name",
            f"{noun} {made_id} was created as {outcome.marked_name!r} (the marker finds it if the response "
            f"is lost), and renaming it failed: {outcome.rename_failed}. State records that name; the next "
            "plan shows the rename and the next apply makes it.",
            ("name",),
        )
