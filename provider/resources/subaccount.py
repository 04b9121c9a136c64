"""sparkpost_subaccount: a SparkPost subaccount, its optional initial send key, and a destroy
that never terminates a customer's subaccount by accident."""

from __future__ import annotations

import logging
import re
from typing import Any

from ..tfplugin.diagnostics import Diagnostics, ResourceError
from ..tfplugin.planmodifiers import UseStateForUnknown
from ..tfplugin.resource import Context, PlanContext, Resource
from ..tfplugin.schema import Attribute, Block, NestedType, Schema, set_of
from ..tfplugin.values import UNKNOWN, Unknown
from . import grants as grant_lists
from . import send_key
from ..sparkpost import create_once
from .plan_probes import check_ip_pool
from ..sparkpost.models import InitialKey, Subaccount as SubaccountModel
from ..tfplugin.validators import each, matches, max_len, not_blank, one_of, plain_text
from .common import api_errors, client_of, is_not_found, known, secrets_of
from .import_ids import parse_subaccount
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
  Secret Manager version and used for one SparkPost request (`GET /api/v1/account`). SparkPost
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
                    "nothing. Set it to false and apply before a destroy."
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
_IMPORTED = "imported"
# Private plan data: this replacement is for a dead send key (the destroy half suspends).
_REPLACING_DEAD_KEY = "replacing_dead_key"


def _parse_id(raw: Any, path: tuple[str, ...] = ("id",)) -> int:
    text = str(raw).strip()
    if not re.fullmatch(r"[1-9][0-9]{0,9}", text):
        raise ResourceError("Invalid subaccount id", f"{text!r} is not a subaccount id. {_IMPORT_HINT}", path)
    return int(text)


def subaccount_state(sub: SubaccountModel) -> dict[str, Any]:
    """What the resource and the data sources show of a subaccount read from SparkPost."""
    return {
        "id": str(sub.id),
        "name": sub.name,
        "ip_pool": sub.ip_pool,
        "status": sub.status,
        "compliance_status": sub.compliance_status,
        "deliverability": sub.deliverability,
    }


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
        sm = planned.get("initial_api_key_secret_manager")
        key_cfg = config.get("initial_api_key")
        if prior is None:
            if isinstance(sm, dict) and known(key_cfg):
                # Null once in Secret Manager; the key itself only if that write fails.
                sm["version"] = UNKNOWN
            elif not key_cfg:
                planned["initial_api_key_secret"] = None
                planned["initial_api_key_short_key"] = None
            planned["initial_api_key_status"] = UNKNOWN if key_cfg else None
            if config.get("ip_pool") is None:
                planned["ip_pool"] = None
            return

        # ip_pool unset: none, or the pool an imported subaccount had (kept, not removed).
        if config.get("ip_pool") is None:
            planned["ip_pool"] = plan.private.get(_ADOPTED_POOL) if _ADOPTED_POOL in plan.private else None

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
            status = self._check_key(plan.meta, dict(prior, check_initial_api_key=True))
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
            self._plan_dead_key(plan, sm, prior)
        elif not prior_sm.get("version") and not prior.get("initial_api_key_secret"):
            self._plan_adoption(plan, sm, prior)
        elif prior_sm.get("version") and sm["secret"] != prior_sm.get("secret"):
            sm["version"] = UNKNOWN  # moved at apply: read from the old secret, written to the new one

    def _plan_dead_key(self, plan: PlanContext, sm: dict[str, Any], prior: dict[str, Any]) -> None:
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
        self._plan_replacement(plan, prior, str(prior.get("initial_api_key_status")), prior_version)

    def _plan_replacement(self, plan: PlanContext, prior: dict[str, Any], status: str, version: str | None) -> None:
        plan.planned["initial_api_key_status"] = UNKNOWN
        plan.requires_replace.append(("initial_api_key_status",))
        plan.private[_REPLACING_DEAD_KEY] = True
        protected = plan.planned.get("deletion_protection") is not False
        plan.diagnostics.warning(*send_key.plan_warning_replace(
            prior.get("id"), status, version, str(prior.get("on_destroy") or "terminate"), protected))

    def _plan_adoption(self, plan: PlanContext, sm: dict[str, Any], prior: dict[str, Any]) -> None:
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
            self._plan_replacement(plan, prior, send_key.REVOKED, found.version)
            return
        sm["version"] = found.version
        plan.planned["initial_api_key_status"] = (
            send_key.LIVE if plan.planned.get("check_initial_api_key") is not False else None)

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
            diags.error(*self._protected_message(prior))

    @staticmethod
    def _protected_message(state: dict[str, Any]) -> tuple[str, str]:
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

    # -- apply

    def create(self, ctx: Context, planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        ctx.private.clear()  # a new subaccount: nothing adopted, no replacement under way
        client = client_of(ctx)
        key_cfg = config.get("initial_api_key")
        name = planned["name"]
        self._refuse_a_second(ctx, name)
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
        self._report(ctx, created.id, outcome)
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
                state=self._settle(ctx, sub_id, state),
            )
        if key and config.get("initial_api_key_secret_manager"):
            # Before anything else can fail: the key exists nowhere but here.
            try:
                state = self._store_new_key(ctx, sub_id, state, config["initial_api_key_secret_manager"])
            except ResourceError as err:
                if err.state is not None:  # kept in state: record it whole
                    err.state = self._settle(ctx, sub_id, err.state)
                raise
        if planned.get("status") == "suspended":
            with api_errors(f"suspend subaccount {sub_id}", state=state):
                client.update_subaccount(sub_id, status="suspended")
        return self._settle(ctx, sub_id, state)

    @staticmethod
    def _refuse_a_second(ctx: Context, name: str) -> None:
        """Fail, before any create, when a live subaccount already has this name.

        SparkPost allows duplicate names, but here a second subaccount for one instance is a
        second live send key that no state manages: the orphan of an interrupted apply (kill
        -9 after SparkPost made it, before Terraform saved state), or an old subaccount that was
        to be imported. Creating a twin with a warning (exit 0) hides it; failing names it and
        the ways out (docs/guides/recovering-from-an-interrupted-apply.md says why).
        """
        client = client_of(ctx)
        # One request however many subaccounts there are: SparkPost's name filter is a
        # substring match, and the prefix also finds the marked name an interrupted create
        # left (compared exactly here).
        prefix = name[: create_once.SUBACCOUNT_NAME_MAX - len(create_once.new_marker())]
        with api_errors(f"list subaccounts named {name!r} before creating it", ("name",)):
            listed = client.list_subaccounts(name=prefix)
        same = [s for s in listed if s.status != "terminated" and s.name == name]
        interrupted = [s for s in listed if s.status != "terminated" and create_once.unmarked(s.name or "") == prefix]
        if not same and not interrupted:
            return
        found = [f"{s.id} ({s.status})" for s in same] + [
            f"{s.id} ({s.status}, named {s.name!r}: left by an interrupted create)" for s in interrupted]
        first = (same or interrupted)[0].id
        raise ResourceError(
            f"A subaccount named {name!r} already exists",
            f"Subaccount(s) {', '.join(found)} already carry this name. SparkPost allows duplicate names, but a "
            "second subaccount for one instance would be a second live send key that no Terraform state "
            "manages, so none is created. Either:\n"
            f"- it is this resource's: import it (terraform import ADDRESS {first}, or an import block);\n"
            "- it is an orphan of an interrupted apply: terminate it (scripts/find-orphans lists orphans; see "
            "the guide \"Recovering from an interrupted apply\") and apply again;\n"
            "- it is deliberately another subaccount: rename one of them.",
            ("name",),
        )

    @staticmethod
    def _report(ctx: Context, sub_id: int, outcome: create_once.Outcome) -> None:
        if outcome.removed_twins:
            ctx.diagnostics.warning(
                "Extra subaccounts terminated",
                f"A create request whose answer was lost was finished by SparkPost after the provider had "
                f"looked for it and sent the request again: subaccount(s) {', '.join(outcome.removed_twins)}, "
                f"made by this create and known to no one, were terminated. Subaccount {sub_id} is the one kept.",
                ("name",),
            )
        if outcome.cleanup_failed:
            ctx.diagnostics.warning(
                "Could not check for extra subaccounts",
                f"Subaccount {sub_id} was created, but looking for a second one made by a lost request failed: "
                f"{outcome.cleanup_failed}. scripts/find-orphans lists any (their names end in ' ~tf-' and 12 "
                "hex digits).",
                ("name",),
            )
        if outcome.rename_failed:
            ctx.diagnostics.warning(
                "Subaccount created under its temporary name",
                f"Subaccount {sub_id} was created as {outcome.marked_name!r} (the marker finds it if the response "
                f"is lost), and renaming it failed: {outcome.rename_failed}. State records that name; the next "
                "plan shows the rename and the next apply makes it.",
                ("name",),
            )

    def _settle(self, ctx: Context, sub_id: int, state: dict[str, Any]) -> dict[str, Any]:
        """Fill computed values from a GET (the create response carries only the id). Best
        effort: the subaccount exists either way, and a failed create would taint it."""
        state = dict(state)
        try:
            with api_errors(f"read subaccount {sub_id} after creating it"):
                fresh = subaccount_state(client_of(ctx).get_subaccount(sub_id))
        except ResourceError as err:
            ctx.diagnostics.warning(err.summary, f"{err.detail}\n\nThe next refresh fills compliance_status.")
            state.update(compliance_status=None, deliverability=None)
            return state
        state.update(compliance_status=fresh["compliance_status"], deliverability=fresh["deliverability"])
        return state

    def _store_new_key(self, ctx: Context, sub_id: int, state: dict[str, Any], sm_cfg: dict[str, Any]) -> dict[str, Any]:
        """Write a just-made key to Secret Manager, retrying. If it cannot be written, terminate
        the new subaccount so that the key dies with it and never reaches state; only if that
        fails too, keep the key in state, and fail either way."""
        from ..secrets import SecretManagerError

        state = dict(state)
        key: str = state["initial_api_key_secret"]  # callers check that state holds it
        sm_state = dict(sm_cfg)
        try:
            sm_state["version"] = secrets_of(ctx).write_new_key(sm_cfg["secret"], key, create=bool(sm_cfg.get("create_secret")))
        except SecretManagerError as err:
            problem = send_key.terminate_quietly(client_of(ctx), sub_id)
            if problem is None:
                raise ResourceError(
                    "Could not write the new send key to Secret Manager",
                    f"{send_key.store_failed_detail(sub_id, sm_cfg['secret'], err)}\n\nSo that the key never sits "
                    f"in Terraform state, subaccount {sub_id} was terminated at once (it never sent anything, and "
                    "its key died with it): nothing was kept. Fix the problem (the secret's name, IAM permission "
                    "secretmanager.versions.add, or create_secret = true) and apply again: a new subaccount and "
                    "key are made.",
                    send_key.SM_PATH,
                ) from err
            sm_state["version"] = None
            state["initial_api_key_secret_manager"] = sm_state
            raise ResourceError(
                "Send key kept in Terraform state: Secret Manager write failed",
                send_key.kept_in_state_detail(
                    sub_id, sm_cfg["secret"], err,
                    f"Terminating subaccount {sub_id} so that its key would die with it failed too ({problem})."),
                send_key.SM_PATH,
                state=state,
            ) from err
        state["initial_api_key_secret_manager"] = sm_state
        state["initial_api_key_secret"] = None
        return state

    def _store_key_from_state(self, ctx: Context, state: dict[str, Any], sm_cfg: dict[str, Any]) -> dict[str, Any]:
        """Move a key that sits in state (an earlier failed write) to Secret Manager."""
        from ..secrets import SecretManagerError

        state = dict(state)
        sm_state = dict(sm_cfg)
        try:
            sm_state["version"] = secrets_of(ctx).write_new_key(
                sm_cfg["secret"], state["initial_api_key_secret"], create=bool(sm_cfg.get("create_secret")))
        except SecretManagerError as err:
            sm_state["version"] = None
            state["initial_api_key_secret_manager"] = sm_state
            raise ResourceError(
                "Send key still in Terraform state: Secret Manager write failed",
                f"Writing subaccount {state['id']}'s send key from state to {sm_cfg['secret']} failed, after "
                f"retries: {err.message}\n\nThe key stays in state (initial_api_key_secret, sensitive) until it "
                "is written. Fix the problem and apply again; then delete the older copies of the state "
                "(terraform.tfstate.backup, or your backend's older state versions).",
                send_key.SM_PATH,
                state=state,
            ) from err
        state["initial_api_key_secret_manager"] = sm_state
        state["initial_api_key_secret"] = None
        return state

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        sub_id = _parse_id(state.get("id"))
        try:
            with api_errors(f"read subaccount {sub_id}"):
                fresh = subaccount_state(client_of(ctx).get_subaccount(sub_id))
        except ResourceError as err:
            if is_not_found(err):
                return None
            raise
        if fresh["status"] == "terminated":
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
        new["initial_api_key_status"] = self._check_key(ctx, new)
        return new

    def _check_key(self, ctx: Context | Any, state: dict[str, Any]) -> str | None:
        """The refresh's check of the send key: one Secret Manager read (unless the key is in
        state) and one SparkPost request made with the key."""
        if state.get("check_initial_api_key") is False:
            return None
        client = client_of(ctx)
        if state.get("initial_api_key_secret"):
            return send_key.key_status(client, state["initial_api_key_secret"])
        version = (state.get("initial_api_key_secret_manager") or {}).get("version")
        if not version:
            return None
        return send_key.status_of_version(client, secrets_of(ctx), version)

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        client = client_of(ctx)
        sub_id = _parse_id(prior["id"])
        changes: dict[str, Any] = {}
        for field in ("name", "status"):
            if planned.get(field) != prior.get(field):
                changes[field] = planned[field]
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
        sm_cfg = config.get("initial_api_key_secret_manager")
        prior_sm = prior.get("initial_api_key_secret_manager") or {}
        planned_sm = planned.get("initial_api_key_secret_manager") or {}
        status = planned.get("initial_api_key_status")
        if not sm_cfg:
            state["initial_api_key_secret_manager"] = None
        elif prior.get("initial_api_key_secret") and not prior_sm.get("version"):
            state = self._store_key_from_state(ctx, state, sm_cfg)
        elif isinstance(planned_sm.get("version"), Unknown) and prior_sm.get("version"):
            # secret changed: copy the key there; the old version is left as it is
            version = send_key.move(secrets_of(ctx), prior_sm["version"], sm_cfg["secret"],
                                    bool(sm_cfg.get("create_secret")))
            state["initial_api_key_secret_manager"] = dict(sm_cfg, version=version)
        else:
            # unchanged, or a version the plan adopted (an import, or a key replaced by hand)
            planned_version = planned_sm.get("version")
            state["initial_api_key_secret_manager"] = dict(
                sm_cfg, version=None if isinstance(planned_version, Unknown) else planned_version)
        if isinstance(status, Unknown):
            status = self._check_key(ctx, state)  # the check was just turned on
        state["initial_api_key_status"] = status
        return state

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        mode = state.get("on_destroy") or "terminate"
        protected = state.get("deletion_protection") is not False
        # The plan replaces this subaccount for a new send key (a destroy plan of a protected
        # subaccount is refused at plan time, so protection on means a replacement).
        replacing = bool(ctx.private.get(_REPLACING_DEAD_KEY)) or state.get("initial_api_key_status") in send_key.DEAD
        if protected and not replacing:
            raise ResourceError(*self._protected_message(state))
        if protected and mode == "terminate":
            mode = "suspend"  # never irreversible while protected: suspending can be undone
        sub_id = _parse_id(state["id"])
        fields: dict[str, Any] = {}
        if mode != "abandon":
            fields["status"] = "terminated" if mode == "terminate" else "suspended"
        if replacing and mode != "terminate" and isinstance(state.get("name"), str):
            # Free the name for the subaccount made in its place (a second live subaccount of the
            # same name is refused at create), and say what happened to this one.
            fields["name"] = send_key.replaced_name(state["name"])
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
        # Read treats a terminated subaccount as gone, which Terraform reports as a "non-existent
        # remote object": say what it is instead. One GET, only at import.
        try:
            with api_errors(f"read subaccount {sub_id} to import it"):
                status = client_of(ctx).get_subaccount(sub_id).status
        except ResourceError as err:
            if is_not_found(err):
                return {"id": str(sub_id)}  # read says it is gone: Terraform's own "non-existent" error
            raise
        if status == "terminated":
            raise ResourceError(
                f"Subaccount {sub_id} is terminated",
                f"Subaccount {sub_id} was terminated: SparkPost keeps terminated subaccounts (they still show in "
                "lists) but they can never send again or be reactivated, so there is nothing to manage. Remove "
                "this import (the import block, or do not run terraform import): apply then creates a new "
                "subaccount for this resource, with its own key.",
            )
        return {"id": str(sub_id)}

