"""`sparkpost_api_key`: an API key of the primary account or of a subaccount.

SparkPost never documented /api-keys (reference section 3); the client (`create_api_key` and
friends) holds the wire details, this module the Terraform behaviour:

* the secret is known only from the create response: it goes to state (`key`, sensitive) or,
  with `secret_manager`, to a new Secret Manager version and never to state;
* a create whose Secret Manager write fails revokes the key again; if the revoke fails too, the
  key is kept in state (error with `state=`) and a later apply writes it to Secret Manager;
* grants of subaccount-owned keys cannot be changed by PUT (the emulator refuses it, as the
  reference suspects of SparkPost), so a change of them replaces the key;
* import by `KEY_ID` or `SUBACCOUNT_ID/KEY_ID` gives a state without `key`, and values only
  the configuration knows (`rotation_trigger`, `secret_manager`) are then recorded in place.
"""

from __future__ import annotations

import copy
from typing import Any

from ..sparkpost.errors import Forbidden, NotFound
from ..tfplugin.diagnostics import Diagnostics, ResourceError
from ..tfplugin.planmodifiers import (
    ReplaceRequest,
    RequiresReplace,
    RequiresReplaceIf,
    RequiresReplaceUnlessNullPrior,
    UseStateForUnknown,
)
from ..tfplugin.resource import Context, PlanContext, Resource
from ..tfplugin.schema import Attribute, Block, NestedType, Schema, set_of
from ..tfplugin.values import UNKNOWN, Unknown, same_set
from ..tfplugin.validators import each, max_len, not_blank, plain_text
from ..sparkpost import create_once
from .common import client_of, inactive_owner
from .validators import ipv4_or_cidr, positive_subaccount_id_text, secret_name
from .grants import check_grants, grant_shape
from .import_ids import parse_api_key
from .plan_probes import check_api_keys_api
from .api_key_calls import (
    api_call, api_fields_differ, known_sub, left_in_inactive_owner, owner_text, sorted_ips, sub_of,
)
from .api_key_create import report_create, undo_create
from .api_key_secret import (
    MISSING, PRESENT, check_beside, lost_secret_warning, sm_pending, version_to_check, write_pending,
    write_secret,
)
from .state_upgrade import subaccount_id_as_text

LABEL_MAX = 1024  # SparkPost's limit is unconfirmed; the reference suggests (and the emulator caps at) 1024


def _some_grant(v: list[Any]) -> str | None:
    return None if v else 'must hold at least one grant, such as "smtp/inject".'


def _owned_by_a_subaccount(r: ReplaceRequest) -> bool:
    """SparkPost refuses new grants on a subaccount's key: a change of them replaces it."""
    return r.prior.get("subaccount_id") is not None


NULL_PRIOR_TEXT = RequiresReplaceUnlessNullPrior().description


def _secret_change_replaces(r: ReplaceRequest) -> bool:
    if r.prior_value is None:
        return False  # after import: only recorded
    # A key that never reached Secret Manager is in state: dropping secret_manager just keeps
    # it there, nothing to rotate.
    return not (r.config.get("secret_manager") is None and sm_pending(r.prior, r.prior.get("secret_manager") or {}))


DESCRIPTION = """\
An API key of the SparkPost account, or of one of its subaccounts (`subaccount_id`).

**The secret.** SparkPost shows a key only once, in the response that creates it. Without
`secret_manager` it is kept in Terraform state as `key` (sensitive). With `secret_manager`, it is
written to a Google Secret Manager secret as a new version and never enters Terraform state;
`secret_manager.version` records the version written, and every refresh reads it back
(`check_secret`): a version destroyed or disabled, or the secret deleted, outside Terraform
leaves a key nobody can use, and the plan replaces it (`secret_status` `missing`). An imported
key has no `key`.

**Rotation.** Any change of `rotation_trigger` replaces the key. Set it from, for example, a
`time_rotating` resource, and add `lifecycle { create_before_destroy = true }` so that the new key
exists (and, with `secret_manager`, is the secret's newest version) before the old one is revoked.

**A suspended or terminated subaccount** is read-only in SparkPost: its keys can be neither
changed nor revoked. Destroying or replacing such a key (after its subaccount was terminated by
hand and is re-created, say) leaves it in SparkPost with a warning, and Terraform stops managing it.

**Availability: most accounts cannot use this resource.** SparkPost documents API keys as made
in its app: its API reference has no API-keys endpoint ("Create and manage your API Keys in the
app"), and its subaccount guide says "Additional subaccount API keys must be created using the
app". Only some accounts may call `/api/v1/api-keys`, and then only with a key holding
`api_keys/manage`, which the usual operator key (`metrics/view`, `subaccount/manage`,
`sending_domains/manage`) lacks. Before creating a key the provider asks SparkPost, at plan,
whether the API answers (one `GET /api/v1/api-keys/<id that does not exist>`); on a 403 the plan
stops with what to do instead, before anything is created. To give a new subaccount its sending
key on such an account, use the `initial_api_key` argument of `sparkpost_subaccount`, which goes
through the documented subaccounts API (in the managed-smtp module, `key_via_api_key_resource =
false`, the default).

**Wire assumptions.** SparkPost does not document its API-key endpoints. This resource follows
what SparkPost's own web app sends and receives, and may need changes if SparkPost differs:

* `POST /api/v1/api-keys` with `label`, `grants` and `valid_ips` creates a key (with
  `X-MSYS-SUBACCOUNT`, permanently owned by that subaccount) and answers with the secret `key`, its
  `short_key` (first four characters) and `link.href`, whose last segment is the key's id (the
  provider falls back to listing keys when the link is missing);
* `GET`, `PUT` and `DELETE /api/v1/api-keys/{id}` read, update and revoke it, with
  `X-MSYS-SUBACCOUNT` for a subaccount's key; `PUT` takes `label`, `grants` and `valid_ips`
  together; `valid_ips` is left out of responses when empty;
* the grants of a subaccount's key cannot be changed (SparkPost's app says so), so changing them
  replaces the key; the label and allowed IPs change in place for every key.
"""


SCHEMA = Schema(
    # Version 1: subaccount_id became a string (it was a number), the type of sparkpost_subaccount.id
    # and of sparkpost_sending_domain.subaccount_id.
    version=1,
    block=Block(
        description=DESCRIPTION,
        attributes=[
            Attribute(
                "id", "string", computed=True, plan_modifiers=[UseStateForUnknown()],
                description="The key's id at SparkPost (an opaque string, not the secret).",
            ),
            Attribute(
                "label", "string", required=True, validators=[not_blank, max_len(LABEL_MAX), plain_text],
                description=f"The key's name in SparkPost, up to {LABEL_MAX} characters. Changed in place.",
            ),
            Attribute(
                "grants", set_of("string"), required=True, validators=[_some_grant, each(grant_shape)],
                plan_modifiers=[RequiresReplaceIf(_owned_by_a_subaccount, "")],  # the description says it
                description=(
                    "What the key may do, such as `smtp/inject` (send over SMTP) or "
                    "`transmissions/modify`: lowercase ASCII `RESOURCE/ACTION` (anything else, like a capital, a "
                    "space or a lookalike letter, is an error at validate). Checked at plan against the grants the provider knows for "
                    "the key's owner: a grant only primary-account keys may hold is an error on a "
                    "subaccount's key, and a grant in neither list is a warning (SparkPost adds grants "
                    "from time to time; it refuses ones it does not know at apply). Changed in place on "
                    "primary-account keys; SparkPost does not let the grants of a subaccount's key "
                    "change, so on those a change replaces the key."
                ),
            ),
            Attribute(
                "valid_ips", set_of("string"), optional=True, validators=[each(ipv4_or_cidr)],
                description=(
                    "IPv4 addresses and CIDR blocks (like `203.0.113.7` or `10.0.0.0/8`) the key may be "
                    "used from, for REST and SMTP alike; SparkPost refuses the key (401) from anywhere "
                    "else. IPv6 is not accepted by SparkPost. Null or empty: any address. Changed in place."
                ),
            ),
            Attribute(
                "subaccount_id", "string", optional=True, plan_modifiers=[RequiresReplace()],
                validators=[positive_subaccount_id_text],
                description=(
                    "The id of the subaccount that owns the key, as `sparkpost_subaccount.id` gives it "
                    "(a string of digits, like `\"123\"`; a number in the configuration is converted); "
                    "null for a key of the primary account. SparkPost makes this assignment permanent, so a "
                    "change replaces the key. Before version 1 of this resource's schema it was a number: "
                    "states written then are upgraded in place, with no change planned."
                ),
            ),
            Attribute(
                "rotation_trigger", "string", optional=True, plan_modifiers=[RequiresReplaceUnlessNullPrior()],
                description=(
                    "Any value; every change of it replaces the key with a new one (rotation), e.g. "
                    "`time_rotating.send_key.id`. Use with `lifecycle { create_before_destroy = true }` "
                    "so the new key exists before the old one is revoked. When the state holds no value "
                    "(after import), setting one only records it, without rotating. Null (unset): the key is "
                    "never rotated by Terraform."
                ),
            ),
            Attribute(
                "secret_manager",
                nested=NestedType(
                    [
                        Attribute(
                            "secret", "string", required=True, validators=[secret_name],
                            plan_modifiers=[RequiresReplaceIf(_secret_change_replaces, NULL_PRIOR_TEXT)],
                            description=(
                                "The secret, as `projects/PROJECT/secrets/SECRET`. Each new key (at create "
                                "and at every replacement) is added to it as a new version, so "
                                "`versions/latest` is always the current key. Needs "
                                "`secretmanager.versions.add` on the secret. Changing it replaces the key."
                            ),
                        ),
                        Attribute(
                            "create_secret", "bool", optional=True,
                            description=(
                                "Create the secret (automatic replication) if it does not exist; needs "
                                "`secretmanager.secrets.create` on the project. Default false."
                            ),
                        ),
                        Attribute(
                            "version", "string", computed=True,
                            description=(
                                "The version written, like `projects/PROJECT/secrets/SECRET/versions/3`. "
                                "Null for an imported key (the provider never knew its secret)."
                            ),
                        ),
                    ]
                ),
                optional=True,
                description=(
                    "Write the key to Google Secret Manager instead of keeping it in Terraform state "
                    "(uses Application Default Credentials). If the write fails at create, the new key is "
                    "revoked again and the apply fails; if the revoke fails too, the key is kept in state "
                    "(`key`, tainted), and the next apply either replaces it or, after `terraform untaint`, "
                    "writes it to the secret and drops it from state. Adding this to a key whose `key` is in state "
                    "writes that key to the secret and removes it from state, without rotating. Removing "
                    "it replaces the key (the old one's secret was never in state). Destroying the key "
                    "revokes it and leaves the secret's versions as they are."
                ),
            ),
            Attribute(
                "check_secret", "bool", optional=True,
                description=(
                    "With `secret_manager`: read the version the key was written to on every refresh "
                    "(one Secret Manager read; needs `secretmanager.versions.access` on the secret), so that "
                    "a version destroyed or disabled, or the secret deleted, outside Terraform shows in the "
                    "plan as a replacement of the key (SparkPost never shows a key twice: a new one is made "
                    "and written as a new version). Null (unset) means true; false skips the check, and a "
                    "lost key then goes unseen."
                ),
            ),
            Attribute(
                "secret_status", "string", computed=True,
                description=(
                    "What the last refresh found in the version the key was written to: `present`, or "
                    "`missing` (destroyed, disabled, or the secret deleted: the plan replaces the key). Null "
                    "when not checked: no `secret_manager`, `check_secret = false`, or an imported key."
                ),
            ),
            Attribute(
                "short_key", "string", computed=True, plan_modifiers=[UseStateForUnknown()],
                description="The first four characters of the key, as SparkPost shows them; not secret.",
            ),
            Attribute(
                "key", "string", computed=True, sensitive=True, plan_modifiers=[UseStateForUnknown()],
                description=(
                    "The API key itself (the value for SparkPost's `Authorization` header or the SMTP "
                    "password). Known only from the apply that creates the key: null when `secret_manager` "
                    "is set (the key is then in Secret Manager only) and null after import."
                ),
            ),
        ],
    )
)


# ---------------------------------------------------------------- the resource


class ApiKey(Resource):
    type_name = "sparkpost_api_key"
    schema = SCHEMA

    # -- plan

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        grants = config.get("grants")
        sub = config.get("subaccount_id")
        if grants is None or isinstance(grants, Unknown) or sub is None or isinstance(sub, Unknown):
            return
        # A primary-only grant on a subaccount's key. An owner not known yet (a subaccount made
        # in the same apply) is checked when Terraform validates the final configuration at
        # apply, before any call.
        errors, _ = check_grants(grants, subaccount=True)
        for text in errors:
            diags.error("Grant not allowed on a subaccount's key", text, ["grants"])

    @staticmethod
    def _warn_unknown_grants(plan: PlanContext) -> None:
        """Grants the provider does not know: a warning when they are about to be sent, not on
        every plan of a key that already has them."""
        grants = plan.planned.get("grants")
        if not isinstance(grants, list):
            return
        if plan.prior is not None and same_set(grants, plan.prior.get("grants")):
            return
        sub = plan.planned.get("subaccount_id")
        owner = None if isinstance(sub, Unknown) else sub is not None
        _, warnings = check_grants(grants, subaccount=owner)
        for text in warnings:
            plan.diagnostics.warning("Unknown API key grant", text, ["grants"])

    def modify_plan(self, plan: PlanContext) -> None:
        if plan.prior is None:
            check_api_keys_api(plan.meta, known_sub(plan.config.get("subaccount_id")), plan.diagnostics)
        self._warn_unknown_grants(plan)
        planned, prior = plan.planned, plan.prior
        sm = planned.get("secret_manager")
        checking = planned.get("check_secret") is not False
        if prior is None:
            if sm is not None and not isinstance(sm, Unknown):
                planned["key"] = None  # it goes to Secret Manager, never to state
            planned["secret_status"] = UNKNOWN if sm is not None and checking else None
            return

        if plan.requires_replace:
            return
        if self._plan_lost_secret(plan, checking):
            return
        planned["secret_status"] = prior.get("secret_status") if checking else None
        if isinstance(planned.get("check_secret"), Unknown):
            planned["secret_status"] = UNKNOWN  # whether it is checked is known at apply only
        if isinstance(sm, dict) and sm_pending(prior, sm):
            planned["key"] = None
            planned["secret_manager"] = dict(sm, version=UNKNOWN)
            planned["secret_status"] = UNKNOWN if checking else None
        elif isinstance(sm, Unknown) and prior.get("key") is not None:
            planned["key"] = UNKNOWN  # known at apply: moved to Secret Manager or not

    @staticmethod
    def _plan_lost_secret(plan: PlanContext, checking: bool) -> bool:
        """The refresh found the key's Secret Manager version empty: the key exists only in
        SparkPost, which never shows it again, so the only way back to a usable key is a new one."""
        prior, sm = plan.prior or {}, plan.planned.get("secret_manager")
        prior_sm = prior.get("secret_manager")
        if not (checking and prior.get("secret_status") == MISSING and isinstance(sm, dict)
                and isinstance(prior_sm, dict) and sm.get("secret") == prior_sm.get("secret")):
            return False  # a change of secret replaces the key anyway
        plan.planned["secret_status"] = UNKNOWN
        plan.requires_replace.append(("secret_status",))
        plan.diagnostics.warning(*lost_secret_warning(prior.get("id"), prior_sm.get("version")))
        return True

    # -- apply

    def create(self, ctx: Context, planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        client = client_of(ctx)
        sub = sub_of(planned)
        label = planned["label"]
        ips = planned.get("valid_ips")
        # Created under a marked label, so that a key made by a request whose answer was lost
        # is found and revoked before the request is sent again; then relabelled (see
        # provider/sparkpost/create_once.py).
        with api_call(f"create the API key {label!r} for {owner_text(sub)}"):
            result, outcome = create_once.create_api_key(
                client, label, sorted(planned["grants"]), sorted(ips) if ips is not None else None,
                subaccount=sub, label_max=LABEL_MAX,
            )
        report_create(ctx, outcome, sub)
        secret = result.key
        ctx.register_secret(secret)
        key_id = result.id
        short_key = result.short_key or (secret[:4] if secret else None)
        if not key_id:
            raise ResourceError(
                "SparkPost did not say which id the new API key has",
                f"SparkPost created the API key {label!r} (short key {short_key}) for {owner_text(sub)} but "
                "its response had no usable link.href, and listing the keys found no single match. "
                "Terraform cannot manage a key without its id: revoke it in SparkPost's app, then apply again.",
            )
        state = copy.deepcopy(planned)
        state.update(id=str(key_id), short_key=short_key, key=secret)
        if outcome.rename_failed:
            state["label"] = outcome.marked_name  # what SparkPost holds: the next plan relabels it
        sm = planned.get("secret_manager")
        if isinstance(sm, dict):
            state["secret_manager"] = dict(sm, version=None)
        if not secret:
            raise ResourceError(
                "SparkPost returned no key",
                f"SparkPost created the API key {key_id} but did not return the key itself, so it cannot "
                "be used. It is kept in state and marked tainted: the next apply replaces it.",
                state=state,
            )
        if isinstance(sm, dict):
            from ..secrets import SecretManagerError

            try:
                version = write_secret(ctx, sm, secret)
            except SecretManagerError as err:
                undo_create(client, state, err)
            state["secret_manager"]["version"] = version
            state["key"] = None
        if isinstance(state.get("secret_status"), Unknown):  # a known planned value must stay as planned
            state["secret_status"] = PRESENT if version_to_check(state) else None
        return state

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        client = client_of(ctx)
        sub = sub_of(state)
        new = dict(state)
        secret_status = check_beside(ctx, state)  # beside the GET; discarded if the key is gone
        with api_call(f"read the API key {state['id']} of {owner_text(sub)}"):
            try:
                item = client.get_api_key(state["id"], subaccount=sub)
            except NotFound:
                return None  # revoked outside Terraform: the next plan creates it again
        new["secret_status"] = secret_status()
        if item.label is not None:
            new["label"] = item.label
        new["grants"] = list(item.grants)
        # SparkPost leaves empty valid_ips out: keep the configuration's [] as it was.
        new["valid_ips"] = list(item.valid_ips) if item.valid_ips else ([] if state.get("valid_ips") == [] else None)
        # A key's owner never changes; SparkPost may leave it out when the header was sent.
        owner = item.subaccount_id if item.subaccount_id is not None else sub
        new["subaccount_id"] = str(owner) if owner else None  # 0 would name the primary account
        new["short_key"] = item.short_key or state.get("short_key")
        return new

    def update(
        self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        state = copy.deepcopy(planned)
        for name in ("id", "short_key"):
            state[name] = prior.get(name)
        state["key"] = prior.get("key")
        sub = sub_of(prior)
        if api_fields_differ(prior, planned):
            client = client_of(ctx)
            with api_call(f"update the API key {prior['id']} of {owner_text(sub)}"):
                client.update_api_key(
                    prior["id"],
                    subaccount=sub,
                    label=planned["label"],
                    grants=sorted(planned["grants"]),
                    valid_ips=sorted_ips(planned),  # [] clears: SparkPost keeps the list when it is left out
                )
        sm = planned.get("secret_manager")
        if sm_pending(prior, sm):
            assert isinstance(sm, dict)
            write_pending(ctx, sm, prior["key"], state)
        elif isinstance(sm, dict) and isinstance(sm.get("version"), Unknown):
            state["secret_manager"] = dict(sm, version=None)
        if isinstance(state.get("secret_status"), Unknown):  # a known planned value must stay as planned
            state["secret_status"] = PRESENT if version_to_check(state) else None
        return state

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        client = client_of(ctx)
        sub = sub_of(state)
        with api_call(f"revoke the API key {state['id']} of {owner_text(sub)}"):
            try:
                client.delete_api_key(state["id"], subaccount=sub)
            except NotFound:
                pass  # already revoked
            except Forbidden:
                # A suspended or terminated subaccount (terminated by hand, say, and now being
                # re-created) is read-only: the key cannot be revoked, and only leaving it lets
                # the apply go on.
                status = inactive_owner(client, sub)
                if sub is None or status is None:
                    raise
                ctx.diagnostics.warning(*left_in_inactive_owner(state["id"], sub, status))

    def upgrade_state(self, version: int, state: dict[str, Any]) -> dict[str, Any]:
        return subaccount_id_as_text(version, state)

    def import_state(self, ctx: Context, import_id: str) -> dict[str, Any]:
        sub, key_id = parse_api_key(import_id)
        return {"id": key_id, "subaccount_id": str(sub) if sub is not None else None}
