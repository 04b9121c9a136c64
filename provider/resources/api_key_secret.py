"""`sparkpost_api_key` and Secret Manager: when a key held in state still has to be written
there, and writing it (the key exists nowhere else, so the state keeps it until the write
succeeds); and the refresh's check that the version written still holds the key."""

from __future__ import annotations

from typing import Any, Callable

from ..tfplugin.background import Task
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


# ---------------------------------------------------------------- the refresh's check of the secret

PRESENT = "present"  # the recorded version holds a key
MISSING = "missing"  # it holds none any more: destroyed, disabled, or the secret deleted

CHECK_PATH: tuple[PathStep, ...] = ("check_secret",)


def version_to_check(state: dict[str, Any]) -> str | None:
    """The Secret Manager version a refresh checks: the one the provider wrote the key to, unless
    the check is off or the key is still in state (not written yet)."""
    if state.get("check_secret") is False or state.get("key") is not None:
        return None
    sm = state.get("secret_manager")
    version = sm.get("version") if isinstance(sm, dict) else None
    return version if isinstance(version, str) and version else None


def secret_status(ctx: Context | Any, version: str) -> str:
    """PRESENT or MISSING for a recorded version (one Secret Manager read). A version that cannot
    be read for another reason (permission, outage) is an error: the check was asked for."""
    from ..secrets import SecretManagerError
    from .send_key import read_version

    try:
        found = read_version(secrets_of(ctx), version)
    except SecretManagerError as err:
        raise ResourceError(
            "Could not check the API key's Secret Manager version",
            f"{err.message}\n\nThe provider reads the version the key was written to on every refresh, so "
            "that a version destroyed or disabled, or a secret deleted, outside Terraform shows in the plan "
            "(the key is then replaced). Give the identity running Terraform secretmanager.versions.access "
            "on the secret, or set check_secret = false to skip the check.",
            CHECK_PATH,
        ) from err
    return PRESENT if found is not None else MISSING


def check_beside(ctx: Context | Any, state: dict[str, Any]) -> Callable[[], str | None]:
    """The check of `state`'s version started now, beside the refresh's GET of the key; the
    function returned waits for it (None: nothing to check). Never called, it is discarded."""
    version = version_to_check(state)
    if version is None:
        return lambda: None
    return Task(lambda: secret_status(ctx, version), name="api-key-secret-check").result


def lost_secret_warning(key_id: Any, version: Any) -> tuple[str, str]:
    return (
        "API key lost from Secret Manager: the key will be replaced",
        f"Secret Manager version {version}, where the provider wrote API key {key_id}, holds no key any more "
        "(destroyed or disabled, or the secret deleted), and SparkPost never shows a key twice. This plan "
        "replaces the key: apply makes a new one, writes it to the secret as a new version (create_secret "
        "must be true if the secret itself is gone) and revokes the old one. If the version was only "
        "disabled, enabling it again instead keeps the key: the next plan then shows no change.",
    )
