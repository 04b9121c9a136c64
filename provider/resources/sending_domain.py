"""sparkpost_sending_domain: a SparkPost sending domain, its DKIM key, the DNS records to
publish for it, and (when asked) its verification. This module holds the schema and CRUD; the
configuration checks and the plan are in domain_plan.py.

Design notes (see also the descriptions below, which become the docs):
- `dkim` is optional *and computed*: left out, SparkPost generates the key and `dkim` records it;
  given, it is the user's key (`private_key` is write-only, so it never reaches state or plan).
  Being computed is what makes an import with a matching configuration plan nothing, whichever
  way the key was made.
- Verification is an apply-time action asked for with `verify`; refresh is exactly one GET and
  never verifies. Status changes are recorded by refresh and never make a plan non-empty.
- SparkPost's GET omits `domain`, so the domain always comes from state.
"""

from __future__ import annotations

from typing import Any

from ..sparkpost.errors import Conflict, DkimRejected, Forbidden, NotFound, SparkPostError
from ..sparkpost.models import DkimKey, SendingDomain as SendingDomainModel
from ..tfplugin.diagnostics import Diagnostics, ResourceError
from ..tfplugin.planmodifiers import ReplaceRequest, RequiresReplaceIf
from ..tfplugin.resource import Context, PlanContext, Resource
from ..tfplugin.schema import Attribute, Block, NestedType, Schema
from ..tfplugin.validators import duration_between
from ..tfplugin.values import Unknown
from . import domain_messages as msg
from . import domain_plan
from .common import api_errors, client_of, is_not_found, known, meta_of, owner_status
from .dkim_keys import (
    DEFAULT_DKIM_KEY_LENGTH,
    dkim_key_length,
    dkim_selector,
    key_text,
    normalise_key,
)
from .dns_records import dns_records_attribute
from .domain_ids import import_id, same_owner, subaccount_of
from .import_ids import parse_domain
from .domain_state import domain_state, status_attribute
from .domain_verify import DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, finish
from .state_upgrade import subaccount_id_as_text
from .validators import sending_domain_name, subaccount_id_text


def _not_case_only(r: ReplaceRequest) -> bool:
    """The domain is compared without regard to case: a change of case only is recorded."""
    before, after = r.prior_value, r.planned_value
    return not (isinstance(before, str) and isinstance(after, str) and before.lower() == after.lower())


def _other_owner(r: ReplaceRequest) -> bool:
    """SparkPost cannot move a domain between (sub)accounts; null and "0" both name the primary
    account, so writing one for the other (as an import by `0/DOMAIN` does) only records it."""
    return not same_owner(r.prior_value, r.planned_value)


def _regenerates(r: ReplaceRequest) -> bool:
    """A new length means a new generated key; a brought key is changed in place, and a state
    without a length (after import) only records it."""
    return r.prior_value is not None and r.config.get("dkim") is None


SCHEMA = Schema(
    # Version 1: subaccount_id became a string (it was a number), the type of sparkpost_subaccount.id.
    version=1,
    block=Block(
        description=(
            "A SparkPost sending domain: the domain your mail is sent from, with its DKIM key.\n\n"
            "SparkPost generates the DKIM key unless you bring one in `dkim`. `dns_records` lists the records "
            "to publish (a DKIM TXT record and the bounce CNAME) as a set with stable ids, ready for `for_each` "
            "into a DNS provider. Set `verify` to have apply ask SparkPost to check those records, and "
            "`verify.wait` to wait until they pass.\n\n"
            "A domain SparkPost has not seen verified within two weeks of creation is removed by SparkPost; "
            "Terraform then plans to create it again.\n\n"
            "Import with `DOMAIN`, or `SUBACCOUNT_ID/DOMAIN` for a subaccount's domain."
        ),
        attributes=[
            Attribute(
                "id", "string", computed=True,
                description="The import ID: the domain, prefixed with `SUBACCOUNT_ID/` when a subaccount owns it.",
            ),
            Attribute(
                "domain", "string", required=True, validators=[sending_domain_name],
                plan_modifiers=[RequiresReplaceIf(_not_case_only, "Changing this forces a new resource.")],
                description=(
                    "The sending domain, such as `mail.example.com`. Compared without regard to case: a change of "
                    "case only is recorded, nothing is replaced. A subdomain is best: the bounce CNAME cannot "
                    "coexist with other records at the same name."
                ),
            ),
            Attribute(
                "subaccount_id", "string", optional=True,
                plan_modifiers=[RequiresReplaceIf(_other_owner, (
                    "Changing the owner forces a new resource; null and `\"0\"` both name the primary account, "
                    "so changing one for the other only records it."))],
                validators=[subaccount_id_text],
                description=(
                    "The id of the subaccount that owns the domain (a string, like `sparkpost_subaccount.id`); calls "
                    "are made on its behalf (`X-MSYS-SUBACCOUNT`). Leave it out for a domain of the primary account. "
                    "SparkPost cannot move a domain between (sub)accounts. A domain of a suspended or terminated "
                    "subaccount is read-only in SparkPost: it can be neither changed nor deleted."
                ),
            ),
            Attribute(
                "tracking_domain", "string", optional=True, validators=[sending_domain_name],
                description=(
                    "A tracking domain (for open and click tracking) of the same (sub)account to link to this "
                    "domain. Leave it out for none."
                ),
            ),
            Attribute(
                "shared_with_subaccounts", "bool", optional=True, computed=True, default=False,
                description=(
                    "Whether subaccounts may send from this primary-account domain. Default `false`. Not allowed "
                    "with `subaccount_id`."
                ),
            ),
            Attribute(
                "dkim_key_length", "number", optional=True, computed=True, validators=[dkim_key_length],
                plan_modifiers=[RequiresReplaceIf(_regenerates, "")],  # the description says when
                description=(
                    "The length in bits of the DKIM key SparkPost generates at creation, from `1024` to `4096` "
                    "(default `2048`). Setting a value other than the current key's length replaces the domain "
                    "(with a new key). Not allowed with `dkim`; when you bring a key, this reports its length. "
                    "Left out, it keeps the current key's length, so importing an older 1024-bit domain plans "
                    "no change."
                ),
            ),
            Attribute(
                "dkim",
                optional=True,
                computed=True,
                nested=NestedType(
                    [
                        Attribute(
                            "selector", "string", required=True, validators=[dkim_selector],
                            description="The DKIM selector: the TXT record is published at `SELECTOR._domainkey.DOMAIN`.",
                        ),
                        Attribute(
                            "public_key", "string", required=True, validators=[key_text],
                            description="The RSA public key, base64 DER (PEM armour is accepted and removed).",
                        ),
                        Attribute(
                            "private_key", "string", optional=True, write_only=True, sensitive=True,
                            validators=[key_text],
                            description=(
                                "The RSA private key (PKCS#1 or PKCS#8, base64 DER or PEM, no password). "
                                "Write-only (Terraform 1.11 or later): sent to SparkPost, never stored in state "
                                "or plan. It can come from an ephemeral value. Needed to bring a key (at creation, "
                                "or to change the key). Null means the block only describes the domain's current "
                                "key, as after an import or in configuration written by `terraform plan "
                                "-generate-config-out`: SparkPost never returns a private key, so null never "
                                "forces a change, but a new domain or a new key with a null private_key is an "
                                "error at plan."
                            ),
                        ),
                    ]
                ),
                description=(
                    "Bring your own DKIM key instead of letting SparkPost generate one. Left out, it shows the "
                    "current key (without the private half). Changing the key updates the domain in place, but "
                    "SparkPost checks the new TXT record in DNS before it accepts the change: publish the new "
                    "record (its name and value are in the error, and in `dns_records` at plan time) first. "
                    "Removing the block keeps the current key."
                ),
            ),
            Attribute(
                "is_default_bounce_domain", "bool", optional=True, computed=True, default=False,
                description=(
                    "Make this the default bounce (Return-Path) domain of its (sub)account. SparkPost accepts this "
                    "only once the bounce CNAME is verified: apply asks SparkPost to check the CNAME first (and "
                    "waits for it with `verify.wait`), and fails with the record to publish if it is not valid. "
                    "Default `false`."
                ),
            ),
            Attribute(
                "verify",
                optional=True,
                nested=NestedType(
                    [
                        Attribute("dkim", "bool", optional=True, computed=True, default=True,
                                  description="Check the DKIM TXT record. Default `true`."),
                        Attribute("cname", "bool", optional=True, computed=True, default=True,
                                  description="Check the bounce CNAME record. Default `true`."),
                        Attribute(
                            "wait", "bool", optional=True, computed=True, default=False,
                            description=(
                                "Wait until every check passes, re-checking with backoff, and fail after "
                                "`timeout` naming each record that is missing and the value it must hold. "
                                "Without it apply checks once and only warns. Default `false`."
                            ),
                        ),
                        Attribute(
                            "timeout", "string", optional=True, computed=True, default=DEFAULT_TIMEOUT,
                            validators=[duration_between(1, 2 * 3600)],
                            description=f"How long to wait, like `90s`, `10m` or `1h` (at most `2h`). Default `{DEFAULT_TIMEOUT}`.",
                        ),
                        Attribute(
                            "poll_interval", "string", optional=True, computed=True, default=DEFAULT_POLL_INTERVAL,
                            validators=[duration_between(1, 10 * 60)],
                            description=(
                                "The first pause between checks; later pauses grow by half each time, up to two "
                                f"minutes. Default `{DEFAULT_POLL_INTERVAL}`."
                            ),
                        ),
                    ]
                ),
                description=(
                    "Ask SparkPost to verify the domain's DNS records during apply: at creation, and at any update "
                    "while a requested check is not yet valid (adding or changing this block is such an update). "
                    "Refresh never verifies: it reads the status SparkPost last recorded. Null (unset): apply "
                    "never asks SparkPost to verify.\n\n"
                    "Records fed from `dns_records` into a DNS provider are published *after* this resource is "
                    "created, so a create that waits cannot see them: with a generated key, create without "
                    "`wait` and add it (or apply again) once the records exist; a key you bring gives records you "
                    "can publish beforehand. A create that fails leaves the domain in state marked tainted "
                    "(Terraform re-creates tainted objects); `terraform untaint` keeps it."
                ),
            ),
            Attribute("dkim_selector", "string", computed=True,
                      description="The selector of the domain's DKIM key (generated ones look like `scph0125`)."),
            Attribute("dkim_public_key", "string", computed=True,
                      description="The public half of the domain's DKIM key, base64 DER, as published in DNS after `p=`."),
            Attribute("dkim_signing_domain", "string", computed=True,
                      description="The domain DKIM signatures name (`d=`): the sending domain itself."),
            status_attribute(),
            dns_records_attribute(),
        ],
    )
)

def _dkim_key(brought: dict[str, Any]) -> DkimKey:
    return DkimKey(
        selector=brought.get("selector") or "",
        public=normalise_key(brought.get("public_key") or ""),
        private=normalise_key(brought.get("private_key") or ""),
    )


class SendingDomain(Resource):
    type_name = "sparkpost_sending_domain"
    schema = SCHEMA

    # ------------------------------------------------------------ validation and plan

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        domain_plan.validate(config, diags)

    def modify_plan(self, p: PlanContext) -> None:
        domain_plan.modify_plan(p, self.schema.cty_type)

    # ------------------------------------------------------------ CRUD

    def create(self, ctx: Context, planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        client = client_of(ctx)
        name = planned["domain"].lower()
        sub = subaccount_of(planned.get("subaccount_id"))
        brought = config.get("dkim")
        key = _dkim_key(brought) if isinstance(brought, dict) else None

        def already_made() -> dict[str, Any] | None:
            try:
                client.get_sending_domain(name, subaccount=sub)
            except NotFound:
                return None
            return {"domain": name}

        try:
            with api_errors(f"create sending domain {name}", ("domain",)):
                try:
                    client.create_sending_domain(
                        name, subaccount=sub, idempotency_check=already_made,
                        tracking_domain=planned.get("tracking_domain") or None,
                        shared_with_subaccounts=bool(planned.get("shared_with_subaccounts")),
                        dkim=key,
                        generate_dkim_length=None if key else int(planned.get("dkim_key_length") or DEFAULT_DKIM_KEY_LENGTH),
                    )
                except Conflict as err:
                    raise self._conflict(ctx, name, sub, err) from err
        except ResourceError as err:
            if isinstance(err.__cause__, DkimRejected):
                err.path = ("dkim",)
            raise

        base = dict(planned, verify=None)  # what state holds if a later step fails
        # A created domain is never forgotten: if this GET fails, state keeps what the plan knew.
        fallback = dict({k: (None if isinstance(v, Unknown) else v) for k, v in base.items()}, verify=None)
        state = self._fetch(ctx, base, f"read sending domain {name} after creating it", keep=fallback)
        return finish(ctx, client, planned, state, True, lambda s: self._fetch(ctx, s, f"read sending domain {name}", keep=s))

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        name = state["domain"].lower()
        try:
            with api_errors(f"read sending domain {name}"):
                got = client_of(ctx).get_sending_domain(name, subaccount=subaccount_of(state.get("subaccount_id")))
        except ResourceError as err:
            if is_not_found(err):
                return None  # deleted outside Terraform (or expired unverified): plan re-creates it
            raise
        return self._state_from(ctx, got, state)

    def update(
        self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        client = client_of(ctx)
        name = planned["domain"].lower()
        sub = subaccount_of(planned.get("subaccount_id"))
        new_td, old_td = planned.get("tracking_domain"), prior.get("tracking_domain")
        tracking = (new_td or "") if (new_td or "").lower() != (old_td or "").lower() else None
        shared = bool(planned.get("shared_with_subaccounts"))
        brought = config.get("dkim")
        old = prior.get("dkim") or {}
        key = None
        if isinstance(brought, dict) and (
            brought.get("selector") != old.get("selector")
            or normalise_key(brought.get("public_key") or "") != normalise_key(old.get("public_key") or "")
        ):
            key = _dkim_key(brought)
        unbounce = bool(prior.get("is_default_bounce_domain")) and planned.get("is_default_bounce_domain") is False

        share = shared if shared != bool(prior.get("shared_with_subaccounts")) else None
        if tracking is not None or share is not None or key is not None or unbounce:
            try:
                client.update_sending_domain(
                    name, subaccount=sub, tracking_domain=tracking, shared_with_subaccounts=share, dkim=key,
                    is_default_bounce_domain=False if unbounce else None,
                )
            except DkimRejected as err:
                raise msg.dkim_update_refused(planned, err) from err
            except Forbidden as err:
                status = owner_status(client, sub)
                if sub is not None and status in ("suspended", "terminated"):
                    raise msg.inactive_owner_refused_update(name, sub, status, err) from err
                with api_errors(f"update sending domain {name}"):
                    raise
            except NotFound as err:
                raise ResourceError(
                    f"Sending domain {name} no longer exists",
                    f"It was deleted outside Terraform during this run ({err}). Run terraform apply again to re-create it.",
                ) from err
            except SparkPostError:
                with api_errors(f"update sending domain {name}"):
                    raise

        base = dict(planned, verify=prior.get("verify"))
        state = self._fetch(ctx, base, f"read sending domain {name} after updating it")
        return finish(ctx, client, planned, state, False, lambda s: self._fetch(ctx, s, f"read sending domain {name}", keep=s))

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        client = client_of(ctx)
        name = state["domain"].lower()
        sub = subaccount_of(state.get("subaccount_id"))
        try:
            with api_errors(f"delete sending domain {name}"):
                client.delete_sending_domain(name, subaccount=sub)
        except ResourceError as err:
            if is_not_found(err):  # already gone is what we wanted
                return
            status = owner_status(client, sub) if isinstance(err.__cause__, Forbidden) else None
            if sub is None or status not in ("suspended", "terminated"):
                raise
            # SparkPost refuses everyone any change to an inactive subaccount's domains: the domain
            # stays; Terraform can only stop managing it, and says so.
            ctx.diagnostics.warning(*msg.left_in_inactive_owner(name, sub, status))

    def upgrade_state(self, version: int, state: dict[str, Any]) -> dict[str, Any]:
        return subaccount_id_as_text(version, state)

    def import_state(self, ctx: Context, import_id_text: str) -> dict[str, Any]:
        sub, domain = parse_domain(import_id_text)
        # Read fills in the rest; a subaccount's domain imported as DOMAIN gets its subaccount_id from SparkPost.
        # The name as SparkPost keeps it (lowercase): "MAIL.Example.com" typed in the import ID
        # used to stay in state and plan an update of the configuration's "mail.example.com".
        return {"id": import_id(sub, domain.lower()), "domain": domain.lower(),
                "subaccount_id": str(sub) if sub is not None else None}

    # ------------------------------------------------------------ reading back

    def _fetch(self, ctx: Context, base: dict[str, Any], action: str, keep: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET the domain into a state; `keep` is what state holds if the GET fails."""
        name = base["domain"].lower()
        with api_errors(action, state=keep):
            got = client_of(ctx).get_sending_domain(name, subaccount=subaccount_of(base.get("subaccount_id")))
        return self._state_from(ctx, got, base)

    def _state_from(self, ctx: Context, got: SendingDomainModel, base: dict[str, Any]) -> dict[str, Any]:
        """State from a GET; `base` (prior state or plan) gives what SparkPost does not return."""
        out = domain_state(got, domain=base["domain"], subaccount_id=subaccount_of(base.get("subaccount_id")),
                           region=meta_of(ctx).region)
        public = out["dkim_public_key"]
        dkim = None
        if public:
            old = base.get("dkim")
            old_public = old.get("public_key") if isinstance(old, dict) else None
            text = old_public if known(old_public) and normalise_key(old_public) == normalise_key(public) else public
            dkim = {"selector": out["dkim_selector"], "public_key": text, "private_key": None}
        key_length = base.get("dkim_key_length")
        if not known(key_length):
            key_length = out["dkim_key_length"] or DEFAULT_DKIM_KEY_LENGTH
        tracking, old_tracking = out["tracking_domain"], base.get("tracking_domain")
        if tracking and known(old_tracking) and old_tracking.lower() == tracking.lower():
            tracking = old_tracking  # SparkPost's case of the name: recorded as configured
        verify = base.get("verify")
        return {
            **out,
            "tracking_domain": tracking,
            "dkim_key_length": key_length,
            "dkim": dkim,
            "verify": verify if not isinstance(verify, Unknown) else None,
        }

    def _conflict(self, ctx: Context, name: str, sub: int | None, err: SparkPostError) -> ResourceError:
        """409: the domain exists in this account. Say exactly how to import it."""
        owner: int | None = None
        found = False
        try:
            for item in client_of(ctx).list_sending_domains():
                if (item.domain or "").lower() == name:
                    found, owner = True, item.subaccount_id
                    break
        except SparkPostError:
            pass
        if owner is not None:
            status = owner_status(client_of(ctx), owner)
            if status in ("suspended", "terminated"):
                return msg.registered_to_inactive_owner(name, owner, status)
        return msg.already_exists(name, sub, err, found, owner)
