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
from ..sparkpost import create_once
from ..sparkpost.models import InitialKey, Subaccount as SubaccountModel
from ..tfplugin.validators import each, matches, max_len, not_blank, one_of, plain_text
from .common import api_errors, client_of, is_not_found, known, secrets_of
from .import_ids import parse_subaccount
from .validators import ipv4_or_cidr, secret_name

log = logging.getLogger("provider.subaccount")

IP_POOL_PATTERN = r"[A-Za-z0-9_]{1,20}"

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

A subaccount terminated outside Terraform is treated as gone and planned for re-creation:
termination is final, so a new subaccount is the only way back to the configured state.
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
                "ip_pool", "string", optional=True,
                validators=[matches(IP_POOL_PATTERN, "1 to 20 letters, digits or underscores (an IP pool id)")],
                description="The id of the IP pool the subaccount sends from. Unset means any pool.",
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
                    "keeping it in state (needs `secretmanager.versions.add`). If the write fails, the key "
                    "is kept in `initial_api_key_secret` with a warning and the next apply writes it. Null "
                    "(unset): the key is kept in state, in `initial_api_key_secret`."
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

_CONFIG_ONLY = ("deletion_protection", "on_destroy", "initial_api_key")


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
        sm = plan.planned.get("initial_api_key_secret_manager")
        if plan.prior is None:
            if isinstance(sm, dict) and known(plan.config.get("initial_api_key")):
                # Null once in Secret Manager; the key itself only if that write fails.
                sm["version"] = UNKNOWN
            elif not plan.config.get("initial_api_key"):
                plan.planned["initial_api_key_secret"] = None
                plan.planned["initial_api_key_short_key"] = None
            return
        prior_sm = plan.prior.get("initial_api_key_secret_manager") or {}
        if isinstance(sm, dict):
            if plan.prior.get("initial_api_key_secret") and not prior_sm.get("version"):
                # A key the last apply could not write to Secret Manager: write it now.
                sm["version"] = UNKNOWN
                plan.planned["initial_api_key_secret"] = UNKNOWN
            elif sm.get("secret") == prior_sm.get("secret"):
                sm["version"] = prior_sm.get("version")
            else:
                sm["version"] = prior_sm.get("version")  # a new secret name applies to the next key only

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
            "To proceed, set deletion_protection = false (and on_destroy to terminate, suspend or abandon), "
            "apply, then destroy. To keep the subaccount but stop managing it, use `terraform state rm` "
            "or a `removed {}` block.",
        )

    # -- apply

    def create(self, ctx: Context, planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
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
        )
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
        if planned.get("status") == "suspended":
            with api_errors(f"suspend subaccount {sub_id}", state=state):
                client.update_subaccount(sub_id, status="suspended")
        state = self._settle(ctx, sub_id, state)
        if key and config.get("initial_api_key_secret_manager"):
            state = self._store_key(ctx, state, config["initial_api_key_secret_manager"])
        return state

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

    def _store_key(self, ctx: Context, state: dict[str, Any], sm_cfg: dict[str, Any]) -> dict[str, Any]:
        from ..secrets import SecretManagerError

        state = dict(state)
        key = state.get("initial_api_key_secret")
        sm_state = dict(state.get("initial_api_key_secret_manager") or sm_cfg)
        try:
            version = secrets_of(ctx).write(sm_cfg["secret"], key, create=bool(sm_cfg.get("create_secret")))
        except SecretManagerError as err:
            # The subaccount is real and the key exists only here: keep it in state (sensitive)
            # rather than lose it; the next apply retries the write.
            sm_state["version"] = None
            state["initial_api_key_secret_manager"] = sm_state
            ctx.diagnostics.warning(
                "Initial API key kept in state: Secret Manager write failed",
                f"Subaccount {state['id']} and its initial key were created, but writing the key to "
                f"{sm_cfg['secret']} failed: {err.message}\n\nThe key is kept in initial_api_key_secret "
                "(sensitive) so that it is not lost. Fix access to the secret and apply again: the next "
                "apply writes the key to Secret Manager and removes it from state.",
                ["initial_api_key_secret_manager"],
            )
            return state
        sm_state["version"] = version
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
        new = dict(state)
        new.update(fresh)
        # Values SparkPost cannot return keep what state had, or their defaults after import.
        if new.get("deletion_protection") is None:
            new["deletion_protection"] = True
        if new.get("on_destroy") is None:
            new["on_destroy"] = "terminate"
        return new

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
        if sm_cfg and prior.get("initial_api_key_secret") and not (prior.get("initial_api_key_secret_manager") or {}).get("version"):
            state = self._store_key(ctx, state, sm_cfg)
        elif sm_cfg:
            sm_state = dict(sm_cfg)
            sm_state["version"] = (prior.get("initial_api_key_secret_manager") or {}).get("version")
            state["initial_api_key_secret_manager"] = sm_state
        else:
            state["initial_api_key_secret_manager"] = None
        return state

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        if state.get("deletion_protection") is not False:
            raise ResourceError(*self._protected_message(state))
        mode = state.get("on_destroy") or "terminate"
        if mode == "abandon":
            log.info("abandoning subaccount %s: left as it is", state.get("id"))
            return
        sub_id = _parse_id(state["id"])
        status = "terminated" if mode == "terminate" else "suspended"
        try:
            with api_errors(f"{mode} subaccount {sub_id}"):
                client_of(ctx).update_subaccount(sub_id, status=status)
        except ResourceError as err:
            if is_not_found(err):
                return
            raise

    def import_state(self, ctx: Context, import_id: str) -> dict[str, Any]:
        return {"id": str(parse_subaccount(import_id))}

