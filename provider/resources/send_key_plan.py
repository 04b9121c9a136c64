"""What a plan makes of a subaccount's send key (`initial_api_key` with
`initial_api_key_secret_manager`): the Secret Manager version to record, a key left in state to
write, a key to adopt (an imported subaccount's, or one replaced by hand), a move to another
secret, and the replacement of the subaccount when its key is dead."""

from __future__ import annotations

from typing import Any, cast

from ..tfplugin.resource import PlanContext
from ..tfplugin.values import UNKNOWN
from . import send_key
from .common import client_of, known, secrets_of
from .subaccount_state import SecretManagerValue

# Private plan data: this replacement is for a dead send key (the destroy half suspends).
REPLACING_DEAD_KEY = "replacing_dead_key"


def plan_create(planned: dict[str, Any], config: dict[str, Any]) -> None:
    """A new subaccount: its key's values are known after apply, or null without a key."""
    sm = planned.get("initial_api_key_secret_manager")
    key_cfg = config.get("initial_api_key")
    if isinstance(sm, dict) and known(key_cfg):
        # Null once in Secret Manager; the key itself only if that write fails.
        sm["version"] = UNKNOWN
    elif not key_cfg:
        planned["initial_api_key_secret"] = None
        planned["initial_api_key_short_key"] = None
    planned["initial_api_key_status"] = UNKNOWN if key_cfg else None


def plan_update(plan: PlanContext, prior: dict[str, Any]) -> None:
    """An existing subaccount (`prior`, the refreshed state): keep the recorded key, or write,
    adopt, move or replace it."""
    planned, config = plan.planned, plan.config
    sm = planned.get("initial_api_key_secret_manager")
    key_cfg = config.get("initial_api_key")
    checking = planned.get("check_initial_api_key") is not False
    status = prior.get("initial_api_key_status")
    planned["initial_api_key_status"] = status if checking else None
    prior_sm = prior.get("initial_api_key_secret_manager") or {}
    if not isinstance(sm, dict):
        return
    sm["version"] = prior_sm.get("version")
    if not known(key_cfg):
        return
    if checking and prior.get("check_initial_api_key") is False:
        # The check was just turned on: the refresh did not check, so check now.
        status = send_key.check_recorded(plan.meta, dict(prior, check_initial_api_key=True))
        planned["initial_api_key_status"] = status
        prior = dict(prior, initial_api_key_status=status)
    if prior.get("initial_api_key_secret") and not prior_sm.get("version"):
        # A key the last apply could not write to Secret Manager: write it now.
        sm["version"] = UNKNOWN
        planned["initial_api_key_secret"] = UNKNOWN
        plan.diagnostics.warning(
            "The send key is in Terraform state",
            "initial_api_key_secret holds the subaccount's key, which belongs in Secret Manager: this apply "
            "writes it to the secret and removes it from state. Then delete the older copies of the state "
            "(terraform.tfstate.backup, or your backend's older state versions). If this plan replaces the "
            "subaccount instead (Terraform marked it tainted when the apply that made it failed), stop: run "
            "`terraform untaint` on it and plan again, or the key is thrown away.",
            ["initial_api_key_secret"],
        )
        return
    if not isinstance(sm.get("secret"), str):
        return
    if checking and status in send_key.DEAD:
        _plan_dead_key(plan, cast(SecretManagerValue, sm), prior)
    elif not prior_sm.get("version") and not prior.get("initial_api_key_secret"):
        _plan_adoption(plan, cast(SecretManagerValue, sm), prior)
    elif prior_sm.get("version") and sm["secret"] != prior_sm.get("secret"):
        sm["version"] = UNKNOWN  # moved at apply: read from the old secret, written to the new one


def _plan_dead_key(plan: PlanContext, sm: SecretManagerValue, prior: dict[str, Any]) -> None:
    """The recorded key is revoked or gone: adopt a live key the secret's newest version holds
    (made by hand), or replace the subaccount, the only way to a new key."""
    prior_version = (prior.get("initial_api_key_secret_manager") or {}).get("version")
    found = send_key.latest_in(client_of(plan.meta), secrets_of(plan.meta), sm["secret"])
    if found is not None and found.status == send_key.LIVE and found.version != prior_version:
        sm["version"] = found.version
        plan.planned["initial_api_key_status"] = send_key.LIVE
        plan.diagnostics.warning(
            "Send key replaced by hand: adopting it",
            f"The recorded send key ({prior_version}) is {prior.get('initial_api_key_status')}, and the "
            f"secret's newest version {found.version} holds a key SparkPost accepts: this apply records that "
            "version, and the SMTP password output names it.",
            ["initial_api_key_secret_manager"],
        )
        return
    _plan_replacement(plan, prior, str(prior.get("initial_api_key_status")), prior_version)


def _plan_replacement(plan: PlanContext, prior: dict[str, Any], status: str, version: str | None) -> None:
    plan.planned["initial_api_key_status"] = UNKNOWN
    plan.requires_replace.append(("initial_api_key_status",))
    plan.private[REPLACING_DEAD_KEY] = True
    protected = plan.planned.get("deletion_protection") is not False
    plan.diagnostics.warning(*plan_warning_replace(
        prior.get("id"), status, version, str(prior.get("on_destroy") or "terminate"), protected))


def _plan_adoption(plan: PlanContext, sm: SecretManagerValue, prior: dict[str, Any]) -> None:
    """A subaccount with no key in state (imported, or made without one): adopt the key its
    secret's newest version holds, checked with SparkPost, or say what to do."""
    secret = sm["secret"]
    found = send_key.latest_in(client_of(plan.meta), secrets_of(plan.meta), secret)
    if found is None:
        plan.diagnostics.error(
            "Imported subaccount has no send key in its secret",
            f"Subaccount {prior.get('id')} ({prior.get('name')!r}) has no send key known to Terraform (it was "
            f"imported, or made without initial_api_key), so the plan adopts the key its secret holds, and "
            f"{secret} holds none (no such secret, or its newest version is disabled or destroyed). SparkPost "
            "shows a key only once, and the operator key cannot make one for an existing subaccount. Either:\n"
            "- the key is in another secret: point the configuration at it (in the managed-smtp module: "
            "secret_project and secret_id), or add it as a new version of this secret "
            f"(`gcloud secrets versions add {secret.split('/')[3]} --project={secret.split('/')[1]} --data-file=FILE`); or\n"
            "- the key is lost: stop adopting this subaccount, and free its name. In SparkPost, suspend "
            f"subaccount {prior.get('id')} and rename it (PUT /api/v1/subaccounts/{prior.get('id')} with "
            f"{{\"status\": \"suspended\", \"name\": \"{send_key.replaced_name(str(prior.get('name')))}\"}}), or "
            "terminate it; then remove its import block (or, if it is already in state, run `terraform state "
            f"rm` on this resource) and apply: a new subaccount of the same name is made with a new key in "
            f"{secret}.",
            ["initial_api_key_secret_manager", "secret"],
        )
        return
    if found.status == send_key.REVOKED:
        sm["version"] = found.version
        _plan_replacement(plan, prior, send_key.REVOKED, found.version)
        return
    sm["version"] = found.version
    plan.planned["initial_api_key_status"] = (
        send_key.LIVE if plan.planned.get("check_initial_api_key") is not False else None)


def plan_warning_replace(sub_id: Any, status: str, version: str | None, on_destroy: str, protected: bool) -> tuple[str, str]:
    """The plan's explanation of a replacement forced by a dead send key."""
    if status == send_key.REVOKED:
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
