"""A subaccount's send key after its creation: where it lives (a Secret Manager version),
whether SparkPost still accepts it, and the key an imported subaccount's secret holds. Writing it
(a new key, a key left in state, a move to another secret) is in send_key_store.py; what the plan
makes of it in send_key_plan.py.

With the operator key's grants (metrics, subaccounts, sending domains) a subaccount's keys can
be neither listed nor made after the subaccount exists. So the key is checked by using it: a
request made with a revoked or deleted key is refused with 401, while a live key that may only
send over SMTP is refused with 403 (SparkPost's API index: 401 "Unauthorized" for a bad key,
403 "Forbidden" for a key without the grant; reference notes §1.4, §10.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..tfplugin.background import Task
from ..tfplugin.diagnostics import PathStep, ResourceError
from ..tfplugin.resource import Context
from .common import api_errors, client_of, secrets_of

if TYPE_CHECKING:
    from ..secrets import SecretStore
    from ..sparkpost.client import SparkPostClient

LIVE = "live"  # SparkPost accepts the key (403 or 200 on a REST call)
REVOKED = "revoked"  # SparkPost refuses it (401): deleted or revoked
MISSING = "missing"  # its Secret Manager version is gone: destroyed, disabled, or no secret
DEAD = (REVOKED, MISSING)

# Secret Manager answers that mean "no key is there", as opposed to "cannot look".
_ABSENT_CODES = frozenset({"NOT_FOUND", "FAILED_PRECONDITION"})

# What `check_recorded` reads of a subaccount's state: configuration and what the provider
# recorded, none of it returned by SparkPost's GET of the subaccount, so a refresh can check the
# key while that GET is in flight (`check_recorded_beside`).
CHECK_INPUTS = ("check_initial_api_key", "initial_api_key_secret", "initial_api_key_secret_manager")

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


def check_recorded(ctx: Context | Any, state: dict[str, Any]) -> str | None:
    """The refresh's check of the key a subaccount's state records: one Secret Manager read
    (unless the key is in state) and one SparkPost request made with the key. None when the
    check is off or there is no key to check."""
    if state.get("check_initial_api_key") is False:
        return None
    client = client_of(ctx)
    if state.get("initial_api_key_secret"):
        return key_status(client, state["initial_api_key_secret"])
    version = (state.get("initial_api_key_secret_manager") or {}).get("version")
    if not version:
        return None
    return status_of_version(client, secrets_of(ctx), version)


def check_recorded_beside(ctx: Context | Any, state: dict[str, Any]) -> Callable[[], str | None]:
    """`check_recorded(ctx, state)` started now in the background, beside the caller's own
    requests (a refresh's GET of the subaccount): the function returned waits for it and returns
    its status or raises its error, as the direct call would have. A caller that never calls it
    discards the check, error and all (the refresh of a subaccount that is gone).
    Only `CHECK_INPUTS` are read from `state`, copied now."""
    inputs = {name: state.get(name) for name in CHECK_INPUTS}
    if inputs["check_initial_api_key"] is False or not (
            inputs["initial_api_key_secret"] or (inputs["initial_api_key_secret_manager"] or {}).get("version")):
        return lambda: None  # nothing to check: no request, no thread
    return Task(lambda: check_recorded(ctx, inputs), name="send-key-check").result


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


REPLACED_SUFFIX = " (replaced)"
NAME_MAX = 64  # SparkPost's subaccount name limit


def replaced_name(name: str) -> str:
    """The name a subaccount replaced for a dead send key takes, which frees its own."""
    if name.endswith(REPLACED_SUFFIX):
        return name
    return name[: NAME_MAX - len(REPLACED_SUFFIX)] + REPLACED_SUFFIX
