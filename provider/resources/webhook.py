"""sparkpost_webhook: an event webhook that pushes SparkPost's events (bounces, spam
complaints, ...) to a receiver, for the account, the primary account only, or one subaccount.
Credentials for the receiver never reach state: write-only, or read from Secret Manager."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from ..sparkpost import create_once
from ..sparkpost.errors import Forbidden, NotFound, WebhookTestFailed
from ..sparkpost.models import Webhook as WebhookModel, WebhookAuth
from ..tfplugin.diagnostics import Diagnostics, ResourceError
from ..tfplugin.planmodifiers import RequiresReplace, UseStateForUnknown
from ..tfplugin.resource import Context, PlanContext, Resource
from ..tfplugin.schema import Attribute, Block, Schema, map_of, set_of
from ..tfplugin.validators import describe_char, each, matches, max_len, not_blank, one_of, plain_text
from . import webhook_create
from .import_ids import parse_webhook
from .common import api_errors, client_of, inactive_owner, is_not_found, known, report_marked_create, secrets_of
from .validators import secret_version_name

GRANT = "webhooks/modify"
# webhooks.apib's event types (the authoritative list is GET /webhooks/events/documentation).
EVENT_TYPES = (
    "injection", "delivery", "policy_rejection", "delay", "bounce", "out_of_band", "spam_complaint",
    "initial_open", "open", "click", "generation_failure", "generation_rejection", "list_unsubscribe",
    "link_unsubscribe", "relay_injection", "relay_rejection", "relay_delivery", "relay_tempfail",
    "relay_permfail", "amp_open", "amp_initial_open", "amp_click", "ab_test_completed",
    "ab_test_cancelled", "ingest_success", "ingest_error", "sms_status",
)
_AUTH_FIELDS = ("auth_type", "auth_username", "auth_token_url", "auth_client_id",
                "auth_secret_secret_manager", "auth_secret_version")

DESCRIPTION = """\
An event webhook: SparkPost POSTs batches of events (for alerting: `bounce`, `spam_complaint`,
`policy_rejection`, `out_of_band`, ...) to `target`.

**SparkPost tests the target first.** On create, and whenever `target` changes, SparkPost sends
the target a test batch (`[{"msys": {}}]`) and refuses the webhook unless the target answers
HTTP 200; the error says what the target answered. Only ports 80 (http) and 443 (https) are
accepted.

**Scope.** `subaccount_id` unset: events of the primary account and every subaccount; `"0"`: the
primary account only; a subaccount id: that subaccount only (SparkPost's `X-MSYS-SUBACCOUNT`).

**Credentials never enter state.** With `auth_type = "basic"` the password, and with `"oauth2"`
the client secret, come from `auth_secret_wo` (write-only, Terraform 1.11 or later; it can be an
ephemeral value) or from the Secret Manager version named in `auth_secret_secret_manager`
(read at apply, and at each refresh to check SparkPost's copy). Write-only values are invisible to plans, so to send a new secret change
`auth_secret_version`. After `terraform import` the credentials are unknown to state, so the
first apply sends them once (when configured).

**Changes outside Terraform.** Every setting SparkPost returns (name, target, events, active,
headers, exceptions, authentication type, user name, token URL, client id) shows as drift in the
next plan, and one apply puts it back. The secret itself never enters state: with
`auth_secret_secret_manager`, each refresh reads that version (one Secret Manager read, so the
identity running `terraform plan` needs `secretmanager.versions.access` on it) and compares it
with the one SparkPost returns (its API reference shows webhooks read back with their password or
client secret); a secret changed by hand shows as an update that sends it again (a failed read
is a warning, and the check is skipped). A write-only `auth_secret_wo` is not known
after its apply, so a change of it in SparkPost cannot be seen: change `auth_secret_version` to
send it again. A webhook moved to another scope by hand (a PUT with `subaccount_id`) is planned
for replacement, with a warning: the moved webhook is deleted and a new one is made in the
configured scope. A webhook deleted by hand is planned for creation.

**At most one webhook per resource.** SparkPost allows any number of webhooks of one name
(webhooks.apib documents no uniqueness) and has no idempotency keys, so a create is made under
the name plus a marker of its own (` ~tf-` and 12 hex digits), and renamed once made. When the
answer is lost (a dropped connection, a read timeout, a 5xx after SparkPost acted, a success
whose body cannot be read), the webhook is found by its marker and recorded, never made twice.
Before a create, a webhook already listed in the scope with the same target and the same name
(or the marked name an interrupted create left) stops it, naming the import: an apply killed
after SparkPost made the webhook and before Terraform saved state leaves one that no state
holds, and a second one would post every event to the target twice. Import it (or delete it)
and apply again; `scripts/find-orphans` lists such webhooks. (With `create_before_destroy`, a
replacement that moves a webhook to every account keeps the old one listed while the new one is
made, and is refused the same way: change the name in the same apply.)

**Import** by the webhook's id (`GET /api/v1/webhooks` lists them), or `SUBACCOUNT:ID` for a
webhook of one subaccount (`0:ID` for the primary account only).

**Generated configuration** (`import {}` with `terraform plan -generate-config-out`) validates
and plans only the import, for every kind of webhook, but Terraform never writes sensitive or
write-only values into it, so two things are left for the operator:

* `custom_headers` is written as `null # sensitive`. Null keeps the headers SparkPost has, so the
  import changes nothing; write the headers in to manage them (drift is then shown).
* The password (`basic`) or client secret (`oauth2`) is not there: SparkPost keeps its copy as
  long as the authentication settings stay as they are. Add `auth_secret_secret_manager` (or
  `auth_secret_wo` with `auth_secret_version`) before the webhook must be made again (deleted
  outside Terraform) or its `auth_*` settings change: such a plan stops with "The OAuth2 client
  secret is needed" for `oauth2`, and warns that no password will be sent for `basic`. Adding
  the secret to an imported webhook plans one in-place update that sends it once.

**Grant.** Webhooks need the `webhooks/modify` grant (`webhooks/view` to read), which the
operator key does not hold: SparkPost answers 403 and the error says so. Use a key with it, for
example in a second provider block with an alias.

**A suspended or terminated subaccount** is read-only in SparkPost: its webhooks can be neither
changed nor deleted. Destroying or replacing such a webhook (after its subaccount was terminated
by hand and is re-created, say) leaves it in SparkPost with a warning, and Terraform stops
managing it.
"""


def _target(v: str) -> str | None:
    # Checked before parsing: urlsplit strips surrounding spaces and drops tabs and newlines, so
    # the URL it judged was not the one sent; and a non-ASCII host is its punycode, another host
    # than the one it looks like ("h\u043eoks.example.com").
    for i, c in enumerate(v):
        if not "!" <= c <= "~":
            return (f"must be an ASCII URL without spaces; character {i + 1} is {describe_char(c)}. Write an "
                    "international host name in punycode (xn--...) and percent-encode the rest.")
    parts = urlsplit(v)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"must be an http:// or https:// URL; got {v!r}."
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials (they would sit in state): use auth_type = \"basic\" with auth_username."
    if parts.fragment:
        return "must not have a #fragment."
    return None


def _some_event(v: list[Any]) -> str | None:
    return None if v else "must hold at least one event type (SparkPost refuses a webhook with none), such as \"bounce\"."


def _scope(value: Any) -> int | None:
    """The X-MSYS-SUBACCOUNT value for a subaccount_id attribute (None = every account)."""
    return None if value is None else int(value)


SCHEMA = Schema(block=Block(description=DESCRIPTION, attributes=[
    Attribute("id", "string", computed=True, plan_modifiers=[UseStateForUnknown()], description="The webhook's id (a UUID)."),
    Attribute("name", "string", required=True, validators=[not_blank, max_len(1024), plain_text],
              description="The webhook's name: printable text (no control, zero-width or direction characters)."),
    Attribute("target", "string", required=True, validators=[_target],
              description=("The URL SparkPost POSTs event batches to (port 80 or 443): ASCII without spaces, an "
                           "international host name in punycode. Changing it makes SparkPost test the new target first.")),
    Attribute("events", set_of("string"), required=True, validators=[_some_event, each(one_of(*EVENT_TYPES))],
              description="The event types to send, e.g. `bounce`, `spam_complaint`, `policy_rejection`."),
    Attribute("active", "bool", optional=True, computed=True, default=True,
              description="Whether batches are sent (default true). False pauses the webhook."),
    Attribute("subaccount_id", "string", optional=True, plan_modifiers=[RequiresReplace()],
              validators=[matches(r"0|[1-9][0-9]{0,9}", "a subaccount id, or 0 for the primary account only")],
              description=("Whose events: unset for the primary account and every subaccount, `\"0\"` for the "
                           "primary account only, or a subaccount's id. Changing it replaces the webhook.")),
    Attribute("exception_subaccounts", set_of("string"), optional=True,
              validators=[each(matches(r"[1-9][0-9]{0,9}", "a subaccount id"))],
              description="Subaccounts whose events are left out (at most 10; only when subaccount_id is unset)."),
    Attribute("custom_headers", map_of("string"), optional=True, computed=True, sensitive=True,
              plan_modifiers=[UseStateForUnknown()],
              description=("Extra HTTP headers SparkPost sends with each batch (sensitive: they often carry a token). "
                           "`{}` removes them all. Null: keep the headers the webhook has (none for a new one); "
                           "that is what generated configuration holds, since Terraform never writes sensitive "
                           "values there, and headers changed outside Terraform then show no drift.")),
    Attribute("auth_type", "string", optional=True, computed=True, default="none",
              validators=[one_of("none", "basic", "oauth2")],
              description="How SparkPost authenticates to the target: `none` (default), `basic` or `oauth2`."),
    Attribute("auth_username", "string", optional=True, validators=[not_blank, plain_text],
              description="The basic-authentication user name (auth_type = basic); null otherwise."),
    Attribute("auth_token_url", "string", optional=True, validators=[_target],
              description="The OAuth2 token URL SparkPost asks for an access token (auth_type = oauth2); null otherwise."),
    Attribute("auth_client_id", "string", optional=True, validators=[not_blank, plain_text],
              description="The OAuth2 client id (auth_type = oauth2; null otherwise); SparkPost uses the client-credentials grant."),
    Attribute("auth_secret_wo", "string", optional=True, write_only=True, sensitive=True,
              description=("The basic password or OAuth2 client secret. Write-only: sent to SparkPost, never stored "
                           "in state or plan (Terraform 1.11 or later). Change auth_secret_version to send a new one. Null: no secret sent (or auth_secret_secret_manager).")),
    Attribute("auth_secret_secret_manager", "string", optional=True, validators=[secret_version_name],
              description=("Instead of auth_secret_wo: the Secret Manager version holding the password or client "
                           "secret (`projects/P/secrets/S/versions/N`), read at apply, and at each refresh to check that "
                           "SparkPost still holds it (a change shows as drift). Null: auth_secret_wo, or no secret.")),
    Attribute("auth_secret_version", "string", optional=True,
              description="Any value; changing it sends the credentials again (the write-only secret is invisible to plans). Null: never resent."),
]))


def webhook_state(hook: WebhookModel) -> dict[str, Any]:
    basic, oauth = hook.auth_type == "basic", hook.auth_type == "oauth2"
    return {
        "name": hook.name,
        "target": hook.target,
        "events": sorted(hook.events),
        "active": hook.active,
        "exception_subaccounts": sorted(hook.exception_subaccounts) or None,
        "custom_headers": dict(hook.custom_headers) or None,
        "auth_type": hook.auth_type,
        "auth_username": hook.auth_username if basic else None,
        "auth_token_url": hook.auth_token_url if oauth else None,
        "auth_client_id": hook.auth_client_id if oauth else None,
    }


def _test_failed(err: WebhookTestFailed, target: str) -> str:
    answered = "did not answer at all" if not err.target_status else f"answered HTTP {err.target_status}"
    if err.token_request:
        return (f"SparkPost asked the OAuth2 token URL for an access token before testing {target}, and the "
                f"token URL {answered} (it needs HTTP 200 with a JSON access_token). SparkPost refused the "
                f"webhook. Check auth_token_url, auth_client_id and the client secret.\n\n{err}")
    return (f"SparkPost sent {target} a test batch ([{{\"msys\": {{}}}}]) and the target {answered} instead of "
            "HTTP 200, so SparkPost refused the webhook and nothing was changed. Make the receiver answer 200 to "
            f"a POST (and accept the authentication configured), then apply again.\n\n{err}")


class Webhook(Resource):
    type_name = "sparkpost_webhook"
    schema = SCHEMA

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        auth = config.get("auth_type")
        if not known(auth):
            auth = "none" if config.get("auth_type") is None else None
        if auth is None:
            return
        needs = {"basic": ("auth_username",), "oauth2": ("auth_token_url", "auth_client_id"), "none": ()}[auth]
        for name in needs:
            if config.get(name) is None:
                diags.error(f"{name} is required", f"auth_type = {auth!r} needs {name}.", [name])
        for name in ("auth_username", "auth_token_url", "auth_client_id"):
            if name not in needs and config.get(name) is not None:
                diags.error(f"{name} does not apply", f"{name} is only used with "
                            f"auth_type = {'basic' if name == 'auth_username' else 'oauth2'}; here auth_type is {auth!r}.",
                            [name])
        secret_given = [n for n in ("auth_secret_wo", "auth_secret_secret_manager") if config.get(n) is not None]
        if len(secret_given) > 1:
            diags.error("Two sources for one secret", "Give auth_secret_wo or auth_secret_secret_manager, not both.",
                        ["auth_secret_secret_manager"])
        if auth == "none" and secret_given:
            diags.error("No secret is needed", "auth_type is none: SparkPost sends no credentials to the target.",
                        [secret_given[0]])
        ex = config.get("exception_subaccounts")
        if known(ex) and ex:
            if config.get("subaccount_id") is not None:
                diags.error("exception_subaccounts needs every account",
                            "SparkPost takes exception_subaccounts only for webhooks of the primary account and "
                            "all subaccounts (subaccount_id unset).", ["exception_subaccounts"])
            elif len(ex) > 10:
                diags.error("Too many exception_subaccounts", f"SparkPost takes at most 10; got {len(ex)}.",
                            ["exception_subaccounts"])

    def modify_plan(self, plan: PlanContext) -> None:
        planned, prior, config = plan.planned, plan.prior, plan.config
        creating = prior is None or bool(plan.requires_replace)
        if prior is None and config.get("custom_headers") is None:
            planned["custom_headers"] = None  # kept when null: a new webhook has none
        auth = planned.get("auth_type")
        if auth not in ("basic", "oauth2"):
            return
        if prior is not None and not creating and all(planned.get(n) == prior.get(n) for n in _AUTH_FIELDS):
            return  # SparkPost keeps the credentials it has: nothing is sent
        if any(config.get(n) is not None for n in ("auth_secret_wo", "auth_secret_secret_manager")):
            return
        why = "creates the webhook" if creating else "changes its authentication settings"
        if auth == "oauth2":
            plan.diagnostics.error(
                "The OAuth2 client secret is needed",
                f"This plan {why}, which sends SparkPost the OAuth2 settings with the client secret, and the "
                "configuration has none (imported and generated configurations leave it out: SparkPost keeps its "
                "copy while the settings stay as they are). Add auth_secret_secret_manager, or auth_secret_wo "
                "with auth_secret_version.", ["auth_secret_wo"])
        else:
            plan.diagnostics.warning(
                "No password will be sent",
                f"This plan {why}, which sends SparkPost the basic-authentication settings, and the configuration "
                "has no password: SparkPost will hold none, and a receiver that checks it refuses SparkPost's "
                "batches (a new webhook is then refused: SparkPost's test batch gets no 200). Add "
                "auth_secret_secret_manager, or auth_secret_wo with auth_secret_version.", ["auth_secret_wo"])

    # -- helpers
    def _auth(self, ctx: Context, config: dict[str, Any]) -> WebhookAuth:
        kind = config.get("auth_type") or "none"
        if kind == "none":
            return WebhookAuth("none")
        secret = config.get("auth_secret_wo")
        sm = config.get("auth_secret_secret_manager")
        if secret is None and sm:
            from ..secrets import SecretManagerError

            try:
                secret = secrets_of(ctx).read(sm).strip()
            except SecretManagerError as err:
                raise ResourceError("Cannot read the webhook secret from Secret Manager", err.message,
                                    ["auth_secret_secret_manager"]) from None
        if secret is not None:
            ctx.register_secret(secret)
        if kind == "basic":
            return WebhookAuth("basic", username=config.get("auth_username"), password=secret)
        return WebhookAuth("oauth2", token_url=config.get("auth_token_url"), client_id=config.get("auth_client_id"),
                           client_secret=secret)

    @staticmethod
    def _exceptions(value: Any) -> list[int] | None:
        return None if value is None else sorted(int(v) for v in value)

    def _state(self, planned: dict[str, Any], hook_id: str) -> dict[str, Any]:
        state = {**planned, "id": hook_id, "auth_secret_wo": None}
        state["events"] = sorted(planned["events"])
        return state

    # -- CRUD
    def create(self, ctx: Context, planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        client = client_of(ctx)
        auth = self._auth(ctx, config)
        scope = _scope(planned.get("subaccount_id"))
        # At most one webhook per resource instance: the orphan of an interrupted apply stops
        # the create, and a lost answer is found by the create's marker (create_once).
        webhook_create.refuse_a_second(ctx, planned["name"], planned["target"], scope)
        try:
            with api_errors(f"create webhook {planned['name']!r}", grant=GRANT):
                hook_id, outcome = create_once.create_webhook(
                    client, planned["name"], target=planned["target"], events=sorted(planned["events"]),
                    active=bool(planned.get("active", True)), custom_headers=planned.get("custom_headers"),
                    exception_subaccounts=self._exceptions(planned.get("exception_subaccounts")),
                    auth=auth, subaccount=scope)
        except ResourceError as err:
            if isinstance(err.__cause__, WebhookTestFailed):
                raise ResourceError("SparkPost refused the webhook: the target did not answer 200",
                                    _test_failed(err.__cause__, planned["target"]), ["target"]) from None
            raise
        report_marked_create(ctx, "webhook", "deleted", hook_id, outcome)
        state = self._state(planned, hook_id)
        if outcome.rename_failed:
            state["name"] = outcome.marked_name
        return state

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        new = dict(state)
        try:
            with api_errors(f"read webhook {state.get('id')}", grant="webhooks/view"):
                hook = self._get(ctx, state, new)
        except ResourceError as err:
            if is_not_found(err):
                return None
            raise
        new.update(webhook_state(hook))
        # SparkPost returns no header values we did not send: keep the configured null/{} choice.
        if not new["custom_headers"] and state.get("custom_headers") == {}:
            new["custom_headers"] = {}
        if not new["exception_subaccounts"] and state.get("exception_subaccounts") == []:
            new["exception_subaccounts"] = []
        new["auth_secret_wo"] = None
        self._check_secret(ctx, hook, new)
        return new

    @staticmethod
    def _get(ctx: Context, state: dict[str, Any], new: dict[str, Any]) -> WebhookModel:
        """GET the webhook in the scope state records. A webhook moved to another scope outside
        Terraform (a PUT with subaccount_id) is not found there but is without the header: state
        then records the scope it was found in, so that the plan replaces it (the moved webhook is
        deleted, one is made in the configured scope) instead of making a second webhook."""
        client = client_of(ctx)
        scope = _scope(state.get("subaccount_id"))
        try:
            return client.get_webhook(state["id"], subaccount=scope)
        except NotFound:
            if scope is None:
                raise
            moved = Webhook._find_moved(client, state["id"], scope)
            if moved is None:
                raise
        hook, recorded = moved
        new["subaccount_id"] = recorded
        where = "the primary account only" if recorded == "0" else "every account, or another subaccount"
        ctx.diagnostics.warning(
            "Webhook moved outside Terraform",
            f"Webhook {state['id']} no longer takes the events of subaccount {scope}: it was moved outside "
            f"Terraform and now takes those of {where}. A plan with subaccount_id = \"{scope}\" replaces it: "
            "the moved webhook is deleted and a new one is made for the subaccount (SparkPost tests the "
            "target again).", ["subaccount_id"])
        return hook

    @staticmethod
    def _find_moved(client: Any, hook_id: str, scope: int) -> tuple[WebhookModel, str | None] | None:
        """The webhook and the scope to record: primary only ("0"), or (not found there) every
        account or another subaccount, which SparkPost's GET does not tell apart (without the
        header any scope is seen, and a delete without it reaches the webhook)."""
        for probe, recorded in ((0, "0"), (None, None)):
            if probe == scope:
                continue
            try:
                return client.get_webhook(hook_id, subaccount=probe), recorded
            except NotFound:
                continue
        return None

    @staticmethod
    def _check_secret(ctx: Context, hook: WebhookModel, new: dict[str, Any]) -> None:
        """With the secret in Secret Manager: whether SparkPost holds that one (one Secret Manager
        read per refresh). If not (changed outside Terraform), state forgets the version, as after
        an import, so that the plan shows an update that sends it again. A write-only secret is
        never known after its apply: its changes outside Terraform cannot be seen."""
        version = new.get("auth_secret_secret_manager")
        if not version or hook.auth_type not in ("basic", "oauth2") or hook.secret_sha256 is None:
            return  # nothing to compare with (SparkPost returned no secret)
        from ..secrets import SecretManagerError

        try:
            secret = secrets_of(ctx).read(version).strip()
        except SecretManagerError as err:
            ctx.diagnostics.warning(
                "Could not check the webhook's secret",
                f"{err.message}\n\nWhether SparkPost still holds the secret of {version} is not known; the "
                "rest of the webhook was refreshed.", ["auth_secret_secret_manager"])
            return
        ctx.register_secret(secret)
        if hook.secret_sha256 == hashlib.sha256(secret.encode("utf-8")).hexdigest():
            return
        what = "password" if hook.auth_type == "basic" else "client secret"
        ctx.diagnostics.warning(
            f"The webhook's {what} was changed outside Terraform",
            f"SparkPost holds another {what} than {version} for webhook {new['id']} (changed outside "
            "Terraform). The plan sends it again.", ["auth_secret_secret_manager"])
        new["auth_secret_secret_manager"] = None

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        changed = {k for k in planned if k != "auth_secret_wo" and planned.get(k) != prior.get(k)}
        fields: dict[str, Any] = {}
        for name in ("name", "target", "active"):
            if name in changed:
                fields[name] = planned[name]
        if "events" in changed:
            fields["events"] = sorted(planned["events"])
        if "custom_headers" in changed:
            fields["custom_headers"] = planned.get("custom_headers") or {}
        if "exception_subaccounts" in changed:
            fields["exception_subaccounts"] = self._exceptions(planned.get("exception_subaccounts")) or []
        if changed & set(_AUTH_FIELDS):
            auth = self._auth(ctx, config)
            if auth.type == "oauth2" and not auth.client_secret:
                raise ResourceError("The OAuth2 client secret is missing",
                                    "Changing the OAuth2 settings sends them again, with the client secret: give it in "
                                    "auth_secret_wo or auth_secret_secret_manager.", ["auth_secret_wo"])
            fields["auth"] = auth
        if fields:
            try:
                with api_errors(f"update webhook {prior['id']}", state=prior, grant=GRANT):
                    client_of(ctx).update_webhook(prior["id"], subaccount=_scope(prior.get("subaccount_id")), **fields)
            except ResourceError as err:
                if isinstance(err.__cause__, WebhookTestFailed):
                    raise ResourceError("SparkPost refused the new target: it did not answer 200",
                                        _test_failed(err.__cause__, planned["target"]), ["target"], state=prior) from None
                raise
        return self._state(planned, prior["id"])

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        client = client_of(ctx)
        sub = _scope(state.get("subaccount_id"))
        try:
            with api_errors(f"delete webhook {state['id']}", grant=GRANT):
                client.delete_webhook(state["id"], subaccount=sub)
        except ResourceError as err:
            if is_not_found(err):
                return
            status = inactive_owner(client, sub) if isinstance(err.__cause__, Forbidden) else None
            if sub is None or status is None:
                raise
            # SparkPost makes a suspended or terminated subaccount read-only (a subaccount
            # terminated by hand and now re-created, say): only leaving the webhook lets apply go on.
            ctx.diagnostics.warning(
                f"Webhook {state['id']} left in {status} subaccount {sub}",
                f"SparkPost makes a {status} subaccount read-only: its webhooks can be neither deleted nor changed. "
                f"The webhook therefore stays in SparkPost and Terraform no longer manages it"
                + (". A terminated subaccount sends no more mail, so it has no more events to post."
                   if status == "terminated" else f"; if subaccount {sub} is reactivated, delete it then."),
            )

    def import_state(self, ctx: Context, import_id: str) -> dict[str, Any]:
        sub, webhook_id = parse_webhook(import_id)
        return {"id": webhook_id, "subaccount_id": None if sub is None else str(sub)}
