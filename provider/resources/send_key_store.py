"""Writing a subaccount's send key to Google Secret Manager, so that it never stays in Terraform
state: a key just made (and, if it cannot be written, the subaccount terminated so that the key
dies with it), a key an earlier failed write left in state, and a move to another secret."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..tfplugin.diagnostics import ResourceError
from ..tfplugin.resource import Context
from ..tfplugin.values import Unknown
from . import send_key
from .common import api_errors, client_of, secrets_of
from .subaccount_state import SecretManagerValue

if TYPE_CHECKING:
    from ..secrets import SecretManagerError, SecretStore
    from ..sparkpost.client import SparkPostClient


def store_new_key(ctx: Context, sub_id: int, state: dict[str, Any], sm_cfg: SecretManagerValue) -> dict[str, Any]:
    """Write a just-made key to Secret Manager, retrying. If it cannot be written, terminate
    the new subaccount so that the key dies with it and never reaches state; only if that
    fails too, keep the key in state, and fail either way."""
    from ..secrets import SecretManagerError

    key: str = state["initial_api_key_secret"]  # callers check that state holds it
    try:
        return _written(ctx, state, sm_cfg, key)
    except SecretManagerError as err:
        problem = terminate_quietly(client_of(ctx), sub_id)
        if problem is None:
            raise ResourceError(
                "Could not write the new send key to Secret Manager",
                f"{store_failed_detail(sub_id, sm_cfg['secret'], err)}\n\nSo that the key never sits "
                f"in Terraform state, subaccount {sub_id} was terminated at once (it never sent anything, and "
                "its key died with it): nothing was kept. Fix the problem (the secret's name, IAM permission "
                "secretmanager.versions.add, or create_secret = true) and apply again: a new subaccount and "
                "key are made.",
                send_key.SM_PATH,
            ) from err
        raise ResourceError(
            "Send key kept in Terraform state: Secret Manager write failed",
            kept_in_state_detail(
                sub_id, sm_cfg["secret"], err,
                f"Terminating subaccount {sub_id} so that its key would die with it failed too ({problem})."),
            send_key.SM_PATH,
            state=_kept(state, sm_cfg),
        ) from err


def store_key_from_state(ctx: Context, state: dict[str, Any], sm_cfg: SecretManagerValue) -> dict[str, Any]:
    """Move a key that sits in state (an earlier failed write) to Secret Manager."""
    from ..secrets import SecretManagerError

    try:
        return _written(ctx, state, sm_cfg, state["initial_api_key_secret"])
    except SecretManagerError as err:
        raise ResourceError(
            "Send key still in Terraform state: Secret Manager write failed",
            f"Writing subaccount {state['id']}'s send key from state to {sm_cfg['secret']} failed, after "
            f"retries: {err.message}\n\nThe key stays in state (initial_api_key_secret, sensitive) until it "
            "is written. Fix the problem and apply again; then delete the older copies of the state "
            "(terraform.tfstate.backup, or your backend's older state versions).",
            send_key.SM_PATH,
            state=_kept(state, sm_cfg),
        ) from err


def _written(ctx: Context, state: dict[str, Any], sm_cfg: SecretManagerValue, key: str) -> dict[str, Any]:
    """The state once the key is written (retried; SecretManagerError when it still fails): the
    new version recorded, the key itself out of state."""
    version = secrets_of(ctx).write_new_key(sm_cfg["secret"], key, create=bool(sm_cfg.get("create_secret")))
    return dict(state, initial_api_key_secret_manager=dict(sm_cfg, version=version), initial_api_key_secret=None)


def _kept(state: dict[str, Any], sm_cfg: SecretManagerValue) -> dict[str, Any]:
    """The state when the write failed: the key stays in it, and no version is recorded."""
    return dict(state, initial_api_key_secret_manager=dict(sm_cfg, version=None))


def record_on_update(ctx: Context, prior: dict[str, Any], planned: dict[str, Any], config: dict[str, Any],
                     state: dict[str, Any]) -> dict[str, Any]:
    """Update's part: the Secret Manager version the state records, after writing a key left in
    state or moving the key to a changed secret. Returns the new state."""
    sm_cfg = config.get("initial_api_key_secret_manager")
    prior_sm = prior.get("initial_api_key_secret_manager") or {}
    planned_sm = planned.get("initial_api_key_secret_manager") or {}
    if not sm_cfg:
        state["initial_api_key_secret_manager"] = None
    elif prior.get("initial_api_key_secret") and not prior_sm.get("version"):
        state = store_key_from_state(ctx, state, sm_cfg)
    elif isinstance(planned_sm.get("version"), Unknown) and prior_sm.get("version"):
        # secret changed: copy the key there; the old version is left as it is
        version = move(secrets_of(ctx), prior_sm["version"], sm_cfg["secret"], bool(sm_cfg.get("create_secret")))
        state["initial_api_key_secret_manager"] = dict(sm_cfg, version=version)
    else:
        # unchanged, or a version the plan adopted (an import, or a key replaced by hand)
        planned_version = planned_sm.get("version")
        state["initial_api_key_secret_manager"] = dict(
            sm_cfg, version=None if isinstance(planned_version, Unknown) else planned_version)
    return state


def move(store: "SecretStore", version: str, secret: str, create: bool) -> str:
    """Copy the key of `version` into `secret` as a new version; return the new version."""
    from ..secrets import SecretManagerError

    try:
        found = send_key.read_version(store, version)
    except SecretManagerError as err:
        raise ResourceError(
            "Could not move the send key: the old secret cannot be read",
            f"Moving the subaccount's send key to {secret} needs to read it from {version}: {err.message}\n\n"
            "Nothing was changed: the SMTP password still names the old version. Give the identity running "
            f"Terraform secretmanager.versions.access on the old secret and apply again.",
            send_key.SM_PATH,
        ) from err
    if found is None:
        raise ResourceError(
            "Could not move the send key: the old version is gone",
            f"Moving the subaccount's send key to {secret} needs to read it from {version}, and Secret "
            "Manager holds no key there any more (destroyed, disabled or deleted). SparkPost shows a key "
            "only once, so it cannot be recovered: enable the version again if it is only disabled, then "
            "apply again; if it is destroyed, run `terraform apply -refresh-only` so the check records "
            "the key as missing, and the next plan replaces the subaccount to get a new key.",
            send_key.SM_PATH,
        )
    try:
        return store.write_new_key(secret, found[1], create=create)
    except SecretManagerError as err:
        raise ResourceError(
            "Could not move the send key: writing the new secret failed",
            f"{err.message}\n\nNothing was changed: the SMTP password still names {version}. Fix the "
            "problem and apply again.",
            send_key.SM_PATH,
        ) from err


def store_failed_detail(sub_id: int, secret: str, err: "SecretManagerError") -> str:
    return (
        f"SparkPost created subaccount {sub_id} and its send key, but writing the key to {secret} "
        f"failed, after retries: {err.message}"
    )


def kept_in_state_detail(sub_id: int, secret: str, err: "SecretManagerError", why: str) -> str:
    """Recovery steps when the key could not leave Terraform state."""
    return (
        f"{store_failed_detail(sub_id, secret, err)}\n\n{why}\n\n"
        "So that the key is not lost it is kept in Terraform state (initial_api_key_secret, "
        "sensitive), and this apply fails. To recover:\n"
        "1. fix the Secret Manager problem (the error above says which permission or secret);\n"
        "2. run `terraform untaint` on this resource (Terraform marks a failed create tainted, and "
        "replacing it would throw the key away);\n"
        "3. run `terraform apply`: it writes the key to the secret and removes it from state;\n"
        "4. remove the copies of the old state: terraform.tfstate.backup (local state), or the older "
        "state versions your backend keeps (for a GCS bucket with versioning, delete its noncurrent "
        "object versions). See the managed-smtp guide, \"Keys that must not sit in state\"."
    )


def terminate_quietly(client: "SparkPostClient", sub_id: int) -> str | None:
    """Terminate a subaccount made moments ago whose key could not be stored: the key dies with
    it. Returns None on success, or what went wrong."""
    try:
        with api_errors(f"terminate subaccount {sub_id}"):
            client.update_subaccount(sub_id, status="terminated")
    except ResourceError as err:
        return f"{err.summary}: {(err.detail or '').splitlines()[0] if err.detail else ''}".rstrip(": ")
    return None
