"""sparkpost_subaccount: a SparkPost subaccount, its optional initial send key, and a destroy
that never terminates a customer's subaccount by accident."""

from __future__ import annotations

import logging
import re
from typing import Any

from ..sparkpost import create_once
from ..sparkpost.models import InitialKey
from ..tfplugin.diagnostics import Diagnostics, ResourceError
from ..tfplugin.planmodifiers import UseStateForUnknown
from ..tfplugin.resource import Context, PlanContext, Resource
from ..tfplugin.schema import Attribute, Block, NestedType, Schema, set_of
from ..tfplugin.validators import each, matches, max_len, not_blank, one_of, plain_text
from ..tfplugin.values import Unknown
from . import grants as grant_lists
from . import send_key, send_key_plan, send_key_store, subaccount_create, subaccount_termination
from .common import api_errors, client_of, is_not_found, known, report_marked_create
from .import_ids import parse_subaccount
from .plan_probes import check_ip_pool
from .subaccount_state import InitialKeyValue, SubaccountChanges, subaccount_state
from .validators import ipv4_or_cidr, secret_name

log = logging.getLogger("provider.subaccount")

IP_POOL_PATTERN = r"[A-Za-z0-9_]{0,20}"

DESCRIPTION = """\
A SparkPost subaccount: a separate sending identity under the primary account, with its own
keys, sending domains, suppression list and reports.

SparkPost has **no way to delete a subaccount**. Destroying this resource therefore does what
`on_destroy` says, and only once `deletion_protection` is turned off:

* `terminate` (the default) sets the status to `terminated`. **This is irreversible**: a
  terminated subaccount can never send again, cannot be reactivated, and still shows in lists.
* `suspend` sets the status to `suspended` (read-only, no sending); it can be reactivated.
* `abandon` only removes it from Terraform's state.

`initial_api_key` makes the subaccount's first API key in the same call that creates the
subaccount (`setup_api_key`). It is the only way to make a subaccount's send key with an operator
key that has no API-keys grant. SparkPost shows the key once, at creation: it is kept in
`initial_api_key_secret` (sensitive), or, with `initial_api_key_secret_manager`, written to Google
Secret Manager as a new secret version so that it never enters Terraform state.

**SparkPost does not check `ip_pool`.** It accepts any id of 1 to 20 letters, digits or
underscores, whether or not such a pool exists, and then rejects all of the subaccount's mail
("Minimal validation is done against the value set in the IP pool ID key/field. If a mismatch
error occurs, all attempted messages from that subaccount will be rejected", SparkPost's
subaccount guide). So the provider checks a new or changed `ip_pool` at plan: with a key that may
read IP pools (`ip_pools/view`), an unknown pool is an error; with the usual operator key, which
may not, plan shows a warning and the value goes through unchecked. Check the pool id in the
SparkPost app (Configuration, IP Pools) before applying such a change.

A subaccount terminated outside Terraform is treated as gone and planned for re-creation:
termination is final, so a new subaccount is the only way back to the configured state.

**The send key's life** (`initial_api_key` with `initial_api_key_secret_manager`):

* *Checked on every refresh* (`check_initial_api_key`, default true): the key is read from its
  Secret Manager version and used for one SparkPost request (`GET /api/v1/account`), beside the
  refresh's read of the subaccount (not after it, so it adds no waiting). SparkPost
  answers 401 to a revoked or deleted key and 403 to a live key that may only send over SMTP.
  A dead key (`initial_api_key_status` `revoked`, or `missing` when its version is gone) makes
  the plan replace the subaccount, since with an operator key that cannot manage API keys a
  subaccount's key can only be made with the subaccount. The old subaccount is suspended (not
  terminated) while `deletion_protection` is on, and renamed `NAME (replaced)` to free its name
  for the new one. If the secret's newest version holds another
  live key (one made by hand in SparkPost's app), the plan adopts it in place instead.
* *Adopted after an import*: an imported subaccount has no key in state, so the plan reads the
  secret's newest version, checks the key, and records that version (an in-place update with no
  SparkPost call). A secret with no key fails the plan with what to do.
* *Moved* when `initial_api_key_secret_manager.secret` changes: apply copies the key to the new
  secret (a new version) and records it; the old version is left as it is.
* *Never in state behind a successful apply*: the write of a new key is retried; if it still
  fails, the subaccount just made is terminated (the key dies with it; apply fails, and the next
  apply starts again); if even that fails, the key is kept in state and apply fails with the
  recovery steps.
"""

_IMPORT_HINT = "Import a subaccount by its numeric id, for example: terraform import sparkpost_subaccount.this 123"


def _validate_grants(values: list[str]) -> str | None:
    # The subaccounts API checks key_grants against its documented list and refuses anything
    # else, so here an unknown grant is an error (sparkpost_api_key only warns).
    unknown = sorted(g for g in values if isinstance(g, str) and g not in grant_lists.SUBACCOUNT_GRANTS)
    if not unknown:
        return None
    return (
        f"{', '.join(repr(g) for g in unknown)} cannot be given to a subaccount's initial key. "
        f"SparkPost accepts: {', '.join(grant_lists.SUBACCOUNT_GRANTS)}."
    )


SCHEMA = Schema(
    block=Block(
        description=DESCRIPTION,
        attributes=[
            Attribute("id", "string", computed=True, plan_modifiers=[UseStateForUnknown()], description="The subaccount's numeric id, as a string."),
            Attribute(
                "name", "string", required=True, validators=[not_blank, max_len(64), plain_text],
                description=("The subaccount's name, at most 64 characters of printable text (no control, "
                             "zero-width or direction characters). Renaming updates it in place."),
            ),
            Attribute(
                "ip_pool", "string", optional=True, computed=True,
                validators=[matches(IP_POOL_PATTERN, 'an IP pool id (1 to 20 letters, digits or underscores), or "" for none')],
                description=(
                    "The id of the IP pool the subaccount sends from; `\"\"` for none. Unset: none for a subaccount "
                    "Terraform creates, and for an imported one the pool it had when imported (adoption keeps "
                    "it; a pool changed by hand later is drift, put back). SparkPost does not check that the pool exists and rejects all of the subaccount's "
                    "mail if it does not; the provider checks a new or changed pool at plan where its key may read "
                    "IP pools, and warns where it may not (see above)."
                ),
            ),
            Attribute(
                "status", "string", optional=True, computed=True, default="active",
                validators=[one_of("active", "suspended")],
                description="`active` (the default) or `suspended`. A suspension made outside Terraform shows as drift.",
            ),
            Attribute(
                "deletion_protection", "bool", optional=True, computed=True, default=True,
                description=(
                    "While true (the default), destroying this resource fails with an error and changes "
                    "nothing. Set it to false and apply before a destroy. A replacement asked with `-replace` "
                    "or `lifecycle { replace_triggered_by }` is refused at plan too; a tainted subaccount, which "
                    "Terraform plans as a new one, is refused only at apply, after the resources that depend on "
                    "it are destroyed: `terraform untaint` it first."
                ),
            ),
            Attribute(
                "on_destroy", "string", optional=True, computed=True, default="terminate",
                validators=[one_of("terminate", "suspend", "abandon")],
                description=(
                    "What destroying does once protection is off: `terminate` (default; irreversible), "
                    "`suspend`, or `abandon` (forget it, leave it as it is)."
                ),
            ),
            Attribute(
                "initial_api_key",
                nested=NestedType([
                    Attribute("label", "string", required=True, validators=[not_blank, max_len(1024), plain_text],
                              description="The key's label (printable text)."),
                    Attribute("grants", set_of("string"), required=True, validators=[_validate_grants],
                              description="Grants of the key, from SparkPost's subaccount list (e.g. `smtp/inject`)."),
                    Attribute("valid_ips", set_of("string"), optional=True, validators=[each(ipv4_or_cidr)],
                              description="IPv4 addresses or CIDR blocks the key may be used from. Unset means any."),
                ]),
                optional=True,
                description=(
                    "The subaccount's first API key, made together with the subaccount. Used only at "
                    "creation: changing it later only records the new value (make further keys with "
                    "`sparkpost_api_key`). Null after import, and never a reason to replace."
                ),
            ),
            Attribute(
                "initial_api_key_secret", "string", computed=True, sensitive=True, plan_modifiers=[UseStateForUnknown()],
                description=(
                    "The initial key, known only from creation (SparkPost shows it once). Null after import "
                    "and when `initial_api_key_secret_manager` is set."
                ),
            ),
            Attribute(
                "initial_api_key_short_key", "string", computed=True, plan_modifiers=[UseStateForUnknown()],
                description="The first four characters of the initial key, as SparkPost shows them.",
            ),
            Attribute(
                "initial_api_key_secret_manager",
                nested=NestedType([
                    Attribute("secret", "string", required=True, validators=[secret_name],
                              description="The secret to add a version to: `projects/PROJECT/secrets/SECRET`."),
                    Attribute("create_secret", "bool", optional=True,
                              description="Create the secret (automatic replication) if it does not exist. Default false."),
                    Attribute("version", "string", computed=True,
                              description="The secret version holding the key: `projects/P/secrets/S/versions/N`."),
                ]),
                optional=True,
                description=(
                    "Write the initial key to Google Secret Manager as a new secret version instead of "
                    "keeping it in state (needs `secretmanager.versions.add`, and `secretmanager.versions.access` "
                    "for the check, adoption and moves). Writes are retried; if the key still cannot be written, "
                    "the new subaccount is terminated and apply fails (no key anywhere; apply again), or, if "
                    "that fails too, the key is kept in `initial_api_key_secret` and apply fails with the recovery "
                    "steps. After an import, the plan adopts the key the secret's newest version holds. Changing "
                    "`secret` moves the key there at apply. Null (unset): the key is kept in state, in "
                    "`initial_api_key_secret`."
                ),
            ),
            Attribute(
                "check_initial_api_key", "bool", optional=True, computed=True, default=True,
                description=(
                    "Check the initial key on every refresh (default true): read it from its Secret Manager "
                    "version (or state) and make one SparkPost request with it (`GET /api/v1/account`), so that "
                    "a key revoked or deleted in SparkPost shows in the plan as a replacement of the subaccount. "
                    "Costs one Secret Manager read and one SparkPost request per refresh, and needs "
                    "`secretmanager.versions.access` on the secret. With false, a dead key goes unseen."
                ),
            ),
            Attribute(
                "initial_api_key_status", "string", computed=True, plan_modifiers=[UseStateForUnknown()],
                description=(
                    "What the last check found: `live` (SparkPost accepts the key), `revoked` (SparkPost "
                    "refuses it: revoked or deleted), `missing` (its Secret Manager version is gone); null when "
                    "not checked. `revoked` and `missing` plan a replacement of the subaccount."
                ),
            ),
            # Set by SparkPost, refreshed on every read; an update of other fields leaves them be,
            # so plans keep the refreshed value instead of showing "known after apply".
            Attribute("compliance_status", "string", computed=True, plan_modifiers=[UseStateForUnknown()],
                      description="Set by SparkPost (e.g. `active`); not settable."),
            Attribute("deliverability", "bool", computed=True, plan_modifiers=[UseStateForUnknown()],
                      description="Whether the Deliverability add-on is enabled for the subaccount."),
        ],
    )
)

_CONFIG_ONLY = ("deletion_protection", "on_destroy", "initial_api_key", "check_initial_api_key")
# Private state: the IP pool an imported subaccount had (kept while ip_pool is unset).
_ADOPTED_POOL = "adopted_ip_pool"
# Set by the plan of an existing subaccount that deletion_protection guards. Terraform plans a
# replacement (-replace, replace_triggered_by) by asking again with no prior state and this
# plan's private data: the marker is then the only sign that the plan destroys a protected
# subaccount, which must be refused before its dependents are destroyed at apply.
_PROTECTED_PRIOR = "protected_prior"
_IMPORTED = "imported"


def _parse_id(raw: Any, path: tuple[str, ...] = ("id",)) -> int:
    text = str(raw).strip()
    if not re.fullmatch(r"[1-9][0-9]{0,9}", text):
        raise ResourceError("Invalid subaccount id", f"{text!r} is not a subaccount id. {_IMPORT_HINT}", path)
    return int(text)


class Subaccount(Resource):
    type_name = "sparkpost_subaccount"
    schema = SCHEMA

    # -- plan

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        if known(config.get("initial_api_key_secret_manager")) and not known(config.get("initial_api_key")) \
                and not isinstance(config.get("initial_api_key"), Unknown):
            diags.warning(
                "Nothing to store in Secret Manager",
                "initial_api_key_secret_manager is set but initial_api_key is not, so no key will be made or stored.",
                ["initial_api_key_secret_manager"],
            )

    def modify_plan(self, plan: PlanContext) -> None:
        self._check_ip_pool(plan)
        planned, config, prior = plan.planned, plan.config, plan.prior
        if prior is None:
            protected = plan.private.pop(_PROTECTED_PRIOR, None)
            if isinstance(protected, dict) and not plan.private.get(send_key_plan.REPLACING_DEAD_KEY):
                plan.diagnostics.error(*subaccount_termination.protected_replacement_message(protected))
                return
            send_key_plan.plan_create(planned, config)
            if config.get("ip_pool") is None:
                planned["ip_pool"] = None
            return
        # ip_pool unset: none, or the pool an imported subaccount had (kept, not removed).
        if config.get("ip_pool") is None:
            planned["ip_pool"] = plan.private.get(_ADOPTED_POOL) if _ADOPTED_POOL in plan.private else None
        send_key_plan.plan_update(plan, prior)
        if prior.get("deletion_protection") is not False:
            plan.private[_PROTECTED_PRIOR] = {k: prior.get(k) for k in ("id", "name", "on_destroy")}
        else:
            plan.private.pop(_PROTECTED_PRIOR, None)

    @staticmethod
    def _check_ip_pool(plan: PlanContext) -> None:
        """SparkPost does not check that the pool exists (see plan_probes): check it here, once
        per new or changed value."""
        pool = plan.config.get("ip_pool")
        if not isinstance(pool, str) or not pool:
            return
        if plan.prior is not None and (plan.prior.get("ip_pool") or None) == pool:
            return
        check_ip_pool(plan.meta, pool, plan.diagnostics, ["ip_pool"])

    def plan_destroy(self, prior: dict[str, Any], diags: Diagnostics) -> None:
        if prior.get("deletion_protection") is not False:
            diags.error(*subaccount_termination.protected_message(prior))

    # -- apply

    def create(self, ctx: Context, planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        ctx.private.clear()  # a new subaccount: nothing adopted, no replacement under way
        client = client_of(ctx)
        key_cfg: InitialKeyValue | None = config.get("initial_api_key")
        name = planned["name"]
        subaccount_create.refuse_a_second(ctx, name)
        initial_key = InitialKey(
            label=key_cfg["label"],
            grants=sorted(key_cfg["grants"]),
            valid_ips=sorted(key_cfg.get("valid_ips") or []),
        ) if key_cfg else None
        # Created under a marked name, found by it if the response is lost, then renamed: see
        # provider/sparkpost/create_once.py.
        with api_errors(f"create subaccount {name!r}"):
            created, outcome = create_once.create_subaccount(
                client, name, ip_pool=planned.get("ip_pool"), initial_key=initial_key)
        report_marked_create(ctx, "subaccount", "terminated", created.id, outcome)
        sub_id = created.id
        key = created.key
        ctx.register_secret(key)
        state = dict(planned)
        state.update(
            id=str(sub_id),
            initial_api_key_secret=key,
            initial_api_key_short_key=created.short_key,
            initial_api_key_status=send_key.LIVE if key and planned.get("check_initial_api_key") is not False else None,
        )
        if isinstance(state.get("initial_api_key_secret_manager"), dict):
            state["initial_api_key_secret_manager"] = dict(state["initial_api_key_secret_manager"], version=None)
        if outcome.rename_failed:
            state["name"] = outcome.marked_name  # what SparkPost holds: the next plan renames it
        if key_cfg and not key:
            raise ResourceError(
                "Subaccount created, but its initial key was lost",
                f"SparkPost created subaccount {sub_id} but the response carrying its API key was lost in "
                "transit, and SparkPost never shows a key twice. The subaccount is recorded in state. "
                "Make a new key for it in the SparkPost app (or with sparkpost_api_key) and delete the lost one.",
                state=subaccount_create.settle(ctx, sub_id, state),
            )
        if key and config.get("initial_api_key_secret_manager"):
            # Before anything else can fail: the key exists nowhere but here.
            try:
                state = send_key_store.store_new_key(ctx, sub_id, state, config["initial_api_key_secret_manager"])
            except ResourceError as err:
                if err.state is not None:  # kept in state: record it whole
                    err.state = subaccount_create.settle(ctx, sub_id, err.state)
                raise
        if planned.get("status") == "suspended":
            with api_errors(f"suspend subaccount {sub_id}", state=state):
                client.update_subaccount(sub_id, status="suspended")
        return subaccount_create.settle(ctx, sub_id, state)

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        sub_id = _parse_id(state.get("id"))
        # The send key's check needs nothing the GET returns: it runs beside it, and is
        # discarded (its error too) when the subaccount turns out gone or terminated.
        key_status = send_key.check_recorded_beside(ctx, state)
        try:
            with api_errors(f"read subaccount {sub_id}"):
                fresh = subaccount_state(client_of(ctx).get_subaccount(sub_id))
        except ResourceError as err:
            if is_not_found(err):
                return None
            raise
        if fresh["status"] == subaccount_termination.TERMINATED:
            log.info("subaccount %s is terminated: planning re-creation", sub_id)
            return None
        if ctx.private.pop(_IMPORTED, False):
            ctx.private[_ADOPTED_POOL] = fresh["ip_pool"]  # adoption keeps the pool it has
        new = dict(state)
        new.update(fresh)
        if fresh["ip_pool"] is None and state.get("ip_pool") == "":
            new["ip_pool"] = ""  # "no pool", as configured
        # Values SparkPost cannot return keep what state had, or their defaults after import.
        if new.get("deletion_protection") is None:
            new["deletion_protection"] = True
        if new.get("on_destroy") is None:
            new["on_destroy"] = "terminate"
        if new.get("check_initial_api_key") is None:
            new["check_initial_api_key"] = True
        new["initial_api_key_status"] = key_status()
        return new

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        ctx.private.pop(_PROTECTED_PRIOR, None)  # a plan-time marker only, never kept in state
        client = client_of(ctx)
        sub_id = _parse_id(prior["id"])
        changes: SubaccountChanges = {}
        if planned.get("name") != prior.get("name"):
            changes["name"] = planned["name"]
        if planned.get("status") != prior.get("status"):
            changes["status"] = planned["status"]
        if (planned.get("ip_pool") or None) != (prior.get("ip_pool") or None):
            changes["ip_pool"] = planned.get("ip_pool") or ""  # an empty string unassigns the pool
        state = dict(prior)
        for f in _CONFIG_ONLY:
            state[f] = planned.get(f)
        state["initial_api_key_secret_manager"] = prior.get("initial_api_key_secret_manager")
        if changes:
            with api_errors(f"update subaccount {sub_id}", state=state):
                client.update_subaccount(sub_id, **changes)
            state.update(changes)
        state["ip_pool"] = planned.get("ip_pool")
        status = planned.get("initial_api_key_status")
        state = send_key_store.record_on_update(ctx, prior, planned, config, state)
        if isinstance(status, Unknown):
            status = send_key.check_recorded(ctx, state)  # the check was just turned on
        state["initial_api_key_status"] = status
        return state

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        replacing = bool(ctx.private.get(send_key_plan.REPLACING_DEAD_KEY)) \
            or state.get("initial_api_key_status") in send_key.DEAD
        mode, fields = subaccount_termination.destroy_request(state, replacing)
        sub_id = _parse_id(state["id"])
        if not fields:
            log.info("abandoning subaccount %s: left as it is", state.get("id"))
            return
        try:
            with api_errors(f"{mode} subaccount {sub_id}"):
                client_of(ctx).update_subaccount(sub_id, **fields)
        except ResourceError as err:
            if is_not_found(err):
                return
            raise

    def import_state(self, ctx: Context, import_id: str) -> dict[str, Any]:
        ctx.private[_IMPORTED] = True  # the read that follows records the pool it has
        sub_id = parse_subaccount(import_id)
        subaccount_termination.refuse_terminated_import(ctx, sub_id)
        return {"id": str(sub_id)}
