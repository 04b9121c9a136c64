"""`sparkpost_api_key` and Secret Manager: when a key held in state still has to be written
there, and writing it (the key exists nowhere else, so the state keeps it until the write
succeeds)."""

from __future__ import annotations

from typing import Any

from ..tfplugin.diagnostics import PathStep, ResourceError
from ..tfplugin.resource import Context
from .common import secrets_of

# Terraform underlines a path into a nested attribute's object at the resource's first line only,
# so Secret Manager errors point at the attribute itself.
SM_PATH: tuple[PathStep, ...] = ("secret_manager",)


def sm_pending(prior: dict[str, Any], planned_sm: Any) -> bool:
    """State holds a key that the configuration wants in Secret Manager and that is not there
    yet: after a create whose write and revoke both failed, or `secret_manager` added later."""
    if not isinstance(planned_sm, dict) or prior.get("key") is None:
        return False
    prior_sm = prior.get("secret_manager")
    return not isinstance(prior_sm, dict) or prior_sm.get("version") is None


def write_secret(ctx: Context, sm: dict[str, Any], key: str) -> str:
    # The key exists nowhere else: transient Secret Manager failures are retried first.
    return secrets_of(ctx).write_new_key(sm["secret"], key, create=bool(sm.get("create_secret")))


def write_pending(ctx: Context, sm: dict[str, Any], key: str, state: dict[str, Any]) -> None:
    """Write the key held in state to Secret Manager at update: on success `state` records the
    version and drops the key; on failure the error keeps the key in state."""
    from ..secrets import SecretManagerError

    state["secret_manager"] = dict(sm, version=None)
    try:
        version = write_secret(ctx, sm, key)
    except SecretManagerError as err:
        raise ResourceError(
            "Could not write the API key to Secret Manager",
            f"{err.message}\n\nThe key stays in Terraform state (attribute key, sensitive) until it "
            "is written; fix the problem and apply again.",
            SM_PATH,
            state=state,
        ) from err
    state["secret_manager"]["version"] = version
    state["key"] = None
