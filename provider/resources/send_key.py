"""A subaccount's send key after its creation: where it lives (a Secret Manager version),
whether SparkPost still accepts it, the key an imported subaccount's secret holds, moving it to
another secret, and storing a new one so that it never reaches Terraform state.

With the operator key's grants (metrics, subaccounts, sending domains) a subaccount's keys can
be neither listed nor made after the subaccount exists. So the key is checked by using it: a
request made with a revoked or deleted key is refused with 401, while a live key that may only
send over SMTP is refused with 403 (SparkPost's API index: 401 "Unauthorized" for a bad key,
403 "Forbidden" for a key without the grant; reference notes §1.4, §10.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..tfplugin.diagnostics import PathStep, ResourceError
from .common import api_errors

if TYPE_CHECKING:
    from ..secrets import SecretManagerError, SecretStore
    from ..sparkpost.client import SparkPostClient

LIVE = "live"  # SparkPost accepts the key (403 or 200 on a REST call)
REVOKED = "revoked"  # SparkPost refuses it (401): deleted or revoked
MISSING = "missing"  # its Secret Manager version is gone: destroyed, disabled, or no secret
DEAD = (REVOKED, MISSING)

# Secret Manager answers that mean "no key is there", as opposed to "cannot look".
_ABSENT_CODES = frozenset({"NOT_FOUND", "FAILED_PRECONDITION"})

CHECK_PATH: tuple[PathStep, ...] = ("check_initial_api_key",)
SM_PATH: tuple[PathStep, ...] = ("initial_api_key_secret_manager",)


@dataclass(frozen=True)
class KeyFound:
    version: str  # projects/P/secrets/S/versions/N
    status: str  # LIVE or REVOKED


def register_secret(value: str | None) -> None:
    from ..tfplugin.redact import register

    register(value)


def key_status(client: "SparkPostClient", key: str) -> str:
    """LIVE or REVOKED, from one request made with the key itself."""
    register_secret(key)
    with api_errors("check the subaccount's send key with SparkPost"):
        return LIVE if client.check_key(key) else REVOKED


def read_version(store: "SecretStore", version: str) -> tuple[str, str] | None:
    """(version number name, key) of a version, or None when Secret Manager holds nothing there.
    Other failures (permissions, outages) raise SecretManagerError."""
    from ..secrets import SecretManagerError

    try:
        name, key = store.access(version)
    except SecretManagerError as err:
        if err.code in _ABSENT_CODES:
            return None
        raise
    register_secret(key)
    return name, key.strip()


def status_of_version(client: "SparkPostClient", store: "SecretStore", version: str) -> str:
    """MISSING, REVOKED or LIVE for the key a recorded version holds (a refresh's check)."""
    found = _read_for_check(store, version)
    if found is None:
        return MISSING
    return key_status(client, found[1])


def latest_in(client: "SparkPostClient", store: "SecretStore", secret: str) -> KeyFound | None:
    """The key the secret's newest version holds, checked; None when the secret holds none."""
    found = _read_for_check(store, f"{secret}/versions/latest")
    if found is None:
        return None
    return KeyFound(found[0], key_status(client, found[1]))


def _read_for_check(store: "SecretStore", version: str) -> tuple[str, str] | None:
    from ..secrets import SecretManagerError

    try:
        return read_version(store, version)
    except SecretManagerError as err:
        raise ResourceError(
            "Could not read the subaccount's send key from Secret Manager",
            f"{err.message}\n\nThe provider reads the send key to check with SparkPost that it still works "
            "(one Secret Manager read and one SparkPost request per refresh). Give the identity running "
            "Terraform secretmanager.versions.access on the secret, or set check_initial_api_key = false "
            "(check_send_key = false in the managed-smtp module) to skip the check: a key revoked in "
            "SparkPost then goes unseen until mail fails.",
            CHECK_PATH,
        ) from err


def move(store: "SecretStore", version: str, secret: str, create: bool) -> str:
    """Copy the key of `version` into `secret` as a new version; return the new version."""
    from ..secrets import SecretManagerError

    try:
        found = read_version(store, version)
    except SecretManagerError as err:
        raise ResourceError(
            "Could not move the send key: the old secret cannot be read",
            f"Moving the subaccount's send key to {secret} needs to read it from {version}: {err.message}\n\n"
            "Nothing was changed: the SMTP password still names the old version. Give the identity running "
            f"Terraform secretmanager.versions.access on the old secret and apply again.",
            SM_PATH,
        ) from err
    if found is None:
        raise ResourceError(
            "Could not move the send key: the old version is gone",
            f"Moving the subaccount's send key to {secret} needs to read it from {version}, and Secret "
            "Manager holds no key there any more (destroyed, disabled or deleted). SparkPost shows a key "
            "only once, so it cannot be recovered: enable the version again if it is only disabled, then "
            "apply again; if it is destroyed, run `terraform apply -refresh-only` so the check records "
            "the key as missing, and the next plan replaces the subaccount to get a new key.",
            SM_PATH,
        )
    try:
        return store.write_new_key(secret, found[1], create=create)
    except SecretManagerError as err:
        raise ResourceError(
            "Could not move the send key: writing the new secret failed",
            f"{err.message}\n\nNothing was changed: the SMTP password still names {version}. Fix the "
            "problem and apply again.",
            SM_PATH,
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


REPLACED_SUFFIX = " (replaced)"
NAME_MAX = 64  # SparkPost's subaccount name limit


def replaced_name(name: str) -> str:
    """The name a subaccount replaced for a dead send key takes, which frees its own."""
    if name.endswith(REPLACED_SUFFIX):
        return name
    return name[: NAME_MAX - len(REPLACED_SUFFIX)] + REPLACED_SUFFIX


def plan_warning_replace(sub_id: Any, status: str, version: str | None, on_destroy: str, protected: bool) -> tuple[str, str]:
    """The plan's explanation of a replacement forced by a dead send key."""
    if status == REVOKED:
        what = (f"The send key in {version} no longer works: SparkPost refused a request made with it "
                "(401), so it was revoked or deleted.")
    else:
        what = (f"The send key's Secret Manager version {version} holds no key any more (destroyed, "
                "disabled or deleted), and SparkPost never shows a key twice.")
    renamed = "renamed with the suffix \"(replaced)\" so that the new subaccount can take its name"
    if on_destroy == "abandon":
        old = f"subaccount {sub_id} is left as it is (on_destroy = abandon), only {renamed}"
    elif protected or on_destroy == "suspend":
        old = (f"subaccount {sub_id} is suspended, not terminated{' (deletion_protection is on)' if protected else ''}, "
               f"and {renamed}: it stops sending, keeps its data, and can be reactivated")
    else:
        old = f"subaccount {sub_id} is terminated (on_destroy = terminate, deletion_protection off)"
    return (
        "Send key dead: the subaccount will be replaced",
        f"{what} With the operator key's grants SparkPost makes a subaccount's key only when it creates "
        f"the subaccount, so this plan replaces it: apply creates a new subaccount of the same name with a "
        f"new send key, written as a new version of the secret (the SMTP password output then names it), "
        f"and {old}. Sending domains owned by subaccount {sub_id} stay with it and must be made again "
        "for the new one (new DKIM records to publish); its suppression list and reports stay with it "
        "too. If the key was replaced by hand instead, add it as a new version of the secret: the next "
        "plan adopts it in place.",
    )
