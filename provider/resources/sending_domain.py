"""sparkpost_sending_domain: a SparkPost sending domain, its DKIM key, the DNS records to
publish for it, and (when asked) its verification.

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

import copy
import time
from typing import Any

from ..sparkpost.errors import BadRequest, Conflict, NotFound, SparkPostError, Unprocessable
from ..tfplugin.diagnostics import Diagnostics, ResourceError
from ..tfplugin.resource import Context, PlanContext, Resource
from ..tfplugin.schema import Attribute, Block, NestedType, Schema
from ..tfplugin.values import UNKNOWN, Unknown, equal
from . import domain_records as dr
from .common import is_not_found, ProviderMeta, api_errors, client_of, known, meta_of

DEFAULT_TIMEOUT = "5m"
DEFAULT_POLL_INTERVAL = "10s"
MAX_POLL_INTERVAL = 120.0

SCHEMA = Schema(
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
                "domain", "string", required=True, requires_replace=True, validators=[dr.sending_domain_name],
                description=(
                    "The sending domain, such as `mail.example.com`. Compared without regard to case: a change of "
                    "case only is recorded, nothing is replaced. A subdomain is best: the bounce CNAME cannot "
                    "coexist with other records at the same name."
                ),
            ),
            Attribute(
                "subaccount_id", "number", optional=True, requires_replace=True, validators=[dr.subaccount_number],
                description=(
                    "The subaccount that owns the domain; calls are made on its behalf (`X-MSYS-SUBACCOUNT`). "
                    "Leave it out for a domain of the primary account. SparkPost cannot move a domain between "
                    "(sub)accounts."
                ),
            ),
            Attribute(
                "tracking_domain", "string", optional=True, validators=[dr.sending_domain_name],
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
                "dkim_key_length", "number", optional=True, computed=True, requires_replace=True,
                replace_ignores_null_prior=True, validators=[dr.dkim_key_length],
                description=(
                    "The length in bits of the DKIM key SparkPost generates at creation: `1024` or `2048` "
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
                            "selector", "string", required=True, validators=[dr.dkim_selector],
                            description="The DKIM selector: the TXT record is published at `SELECTOR._domainkey.DOMAIN`.",
                        ),
                        Attribute(
                            "public_key", "string", required=True, validators=[dr.key_text],
                            description="The RSA public key, base64 DER (PEM armour is accepted and removed).",
                        ),
                        Attribute(
                            "private_key", "string", required=True, write_only=True, sensitive=True,
                            validators=[dr.key_text],
                            description=(
                                "The RSA private key (PKCS#1 or PKCS#8, base64 DER or PEM, no password). "
                                "Write-only (Terraform 1.11 or later): sent to SparkPost, never stored in state "
                                "or plan. SparkPost never returns it, so it is null after import and that never "
                                "forces a change. It can come from an ephemeral value."
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
                            validators=[dr.duration_between(1, 2 * 3600)],
                            description=f"How long to wait, like `90s`, `10m` or `1h` (at most `2h`). Default `{DEFAULT_TIMEOUT}`.",
                        ),
                        Attribute(
                            "poll_interval", "string", optional=True, computed=True, default=DEFAULT_POLL_INTERVAL,
                            validators=[dr.duration_between(1, 10 * 60)],
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
                    "Refresh never verifies: it reads the status SparkPost last recorded.\n\n"
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
            dr.status_attribute(),
            dr.dns_records_attribute(),
        ],
    )
)

_VERIFY_CHECKS = ("dkim", "cname")
_RECORD_OF_CHECK = {"dkim": dr.DKIM_RECORD_ID, "cname": dr.BOUNCE_RECORD_ID}


def _region_for_plan(meta: Any) -> str | None:
    """The region, when the provider configuration is known (else records stay unknown)."""
    if isinstance(meta, ProviderMeta) and meta.client is not None:
        return meta.region
    return None


def _check_ok(check: str, status: dict[str, Any] | None) -> bool:
    status = status or {}
    return status.get("dkim_status") == "valid" if check == "dkim" else dr.bounce_ready(status)


def _sub(value: Any) -> int | None:
    return int(value) if value is not None else None


def _verify_settings(planned: dict[str, Any]) -> dict[str, Any] | None:
    """The verify block with defaults applied; None when absent (or not known yet)."""
    v = planned.get("verify")
    if not isinstance(v, dict):
        return None
    timeout = v.get("timeout") if known(v.get("timeout")) else DEFAULT_TIMEOUT
    interval = v.get("poll_interval") if known(v.get("poll_interval")) else DEFAULT_POLL_INTERVAL
    return {
        "checks": [c for c in _VERIFY_CHECKS if v.get(c) is not False],
        "wait": v.get("wait") is True,
        "timeout": dr.parse_duration(timeout),
        "timeout_text": timeout,
        "interval": dr.parse_duration(interval),
    }


class SendingDomain(Resource):
    type_name = "sparkpost_sending_domain"
    schema = SCHEMA

    # ------------------------------------------------------------ validation and plan

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        dkim = config.get("dkim")
        if dkim is not None and config.get("dkim_key_length") is not None:
            diags.error(
                "Conflicting DKIM settings",
                "dkim_key_length sets the length of a key SparkPost generates; with your own key in dkim there is "
                "nothing to generate. Remove one of them.",
                ["dkim_key_length"],
            )
        if config.get("shared_with_subaccounts") is True and config.get("subaccount_id") is not None:
            diags.error(
                "shared_with_subaccounts is for primary-account domains",
                "SparkPost shares only domains of the primary account with subaccounts; this domain belongs to "
                "subaccount_id. Remove shared_with_subaccounts, or subaccount_id.",
                ["shared_with_subaccounts"],
            )
        verify = config.get("verify")
        if isinstance(verify, dict) and verify.get("dkim") is False and verify.get("cname") is False:
            diags.error(
                "Nothing to verify",
                "verify has both dkim and cname set to false. Enable one of them, or remove the verify block.",
                ["verify"],
            )
        if isinstance(dkim, dict):
            private, public = dkim.get("private_key"), dkim.get("public_key")
            if isinstance(private, str) and isinstance(public, str) and dr.key_der(private) and dr.key_der(public):
                problem = dr.key_pair_problem(private, public)
                if problem:
                    diags.error("Invalid DKIM key pair", f"{problem} SparkPost would refuse it.", ["dkim"])

    def modify_plan(self, p: PlanContext) -> None:
        cfg, planned, prior = p.config, p.planned, p.prior
        domain, sub = planned.get("domain"), planned.get("subaccount_id")
        region = _region_for_plan(p.meta)

        if known(domain) and not isinstance(sub, Unknown):
            planned["id"] = dr.import_id(_sub(sub), domain.lower())
        else:
            planned["id"] = UNKNOWN
        if prior is not None and known(domain) and str(prior.get("domain", "")).lower() == domain.lower():
            self._no_replace(p, "domain")  # a change of case only: recorded, nothing replaced

        brought = cfg.get("dkim")
        if brought is None and prior is not None:
            planned["dkim"] = copy.deepcopy(prior.get("dkim"))  # left out: keep the current key
        self._plan_key_length(p, brought)

        dkim = planned.get("dkim")
        if isinstance(dkim, dict) and known(dkim.get("selector")) and known(dkim.get("public_key")):
            planned["dkim_selector"] = dkim["selector"]
            planned["dkim_public_key"] = dr.normalise_key(dkim["public_key"])
            signing = prior.get("dkim_signing_domain") if prior is not None else None
            planned["dkim_signing_domain"] = signing or (domain.lower() if known(domain) else UNKNOWN)
        elif dkim is None and prior is not None:
            planned["dkim_selector"] = planned["dkim_public_key"] = planned["dkim_signing_domain"] = None
        else:
            planned["dkim_selector"] = planned["dkim_public_key"] = planned["dkim_signing_domain"] = UNKNOWN

        if region is not None and known(domain):
            # Ids, types and the CNAME are known even before a generated key exists, so that
            # `for_each` over the records has known keys on the first apply.
            has_dkim = planned.get("dkim") is not None
            planned["dns_records"] = dr.planned_dns_records(
                domain, region, has_dkim,
                planned["dkim_selector"], planned["dkim_public_key"], planned["dkim_signing_domain"],
            )
        else:
            planned["dns_records"] = UNKNOWN

        if prior is not None:
            planned["status"] = prior.get("status")
            if not equal(planned, prior, self.schema.cty_type):
                planned["status"] = UNKNOWN  # an update may verify, and status is read back after it
        self._plan_warnings(p, brought)

    @staticmethod
    def _no_replace(p: PlanContext, name: str) -> None:
        p.requires_replace[:] = [path for path in p.requires_replace if path != (name,)]

    def _plan_key_length(self, p: PlanContext, brought: Any) -> None:
        planned, prior = p.planned, p.prior
        configured = p.config.get("dkim_key_length")
        prior_len = prior.get("dkim_key_length") if prior is not None else None
        if brought is not None:
            public = brought.get("public_key") if isinstance(brought, dict) else UNKNOWN
            if known(public):
                planned["dkim_key_length"] = dr.key_bits(public) or prior_len or dr.DEFAULT_DKIM_KEY_LENGTH
            else:
                planned["dkim_key_length"] = UNKNOWN
            self._no_replace(p, "dkim_key_length")  # a brought key is changed in place, never regenerated
        elif configured is None:
            planned["dkim_key_length"] = prior_len if prior_len is not None else dr.DEFAULT_DKIM_KEY_LENGTH

    def _plan_warnings(self, p: PlanContext, brought: Any) -> None:
        planned, prior = p.planned, p.prior
        settings = _verify_settings(planned) if not isinstance(planned.get("verify"), Unknown) else None
        prior_status = prior.get("status") if prior is not None else None
        domain = planned.get("domain")
        name = domain.lower() if known(domain) else "the domain"
        region = _region_for_plan(p.meta) or "us"
        target = dr.BOUNCE_CNAME_TARGET[region]

        wants_bounce = planned.get("is_default_bounce_domain") is True and not (
            prior is not None and prior.get("is_default_bounce_domain") is True
        )
        if wants_bounce and not dr.bounce_ready(prior_status):
            waits = settings is not None and settings["wait"] and "cname" in settings["checks"]
            how = (
                f"With verify.wait, apply checks the CNAME first and waits up to {settings['timeout_text']} for it."
                if waits
                else "Apply asks SparkPost to check the CNAME once before setting this; add verify = { wait = true } "
                "to wait for DNS to catch up."
            )
            p.diagnostics.warning(
                "The bounce CNAME is not verified yet",
                f"SparkPost accepts is_default_bounce_domain = true only once the bounce CNAME of {name} is verified "
                f"(its cname_status is {'not known yet' if prior_status is None else repr(prior_status.get('cname_status'))}). "
                f"{how} Apply will fail unless the record below is published and verifies:\n"
                f"  - CNAME record {name} with the value: {target}",
                ["is_default_bounce_domain"],
            )

        if prior is None and brought is None and settings is not None and settings["wait"] and "dkim" in settings["checks"]:
            p.diagnostics.warning(
                "Waiting for a DKIM record that cannot exist yet",
                "SparkPost generates this domain's DKIM key while it is created, so its TXT record can only be "
                "published after this resource exists, and a create that waits for it will time out (leaving the "
                "domain tainted, and a re-create generates a new key). Create it without verify.wait, publish the "
                "records from dns_records, then turn wait on; or bring your own key in dkim, whose record you can "
                "publish beforehand; or set verify.dkim = false to wait for the CNAME only.",
                ["verify", "wait"],
            )

    # ------------------------------------------------------------ CRUD

    def create(self, ctx: Context, planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        client = client_of(ctx)
        domain = planned["domain"]
        name = domain.lower()
        sub = _sub(planned.get("subaccount_id"))
        body: dict[str, Any] = {}
        if planned.get("tracking_domain"):
            body["tracking_domain"] = planned["tracking_domain"]
        if planned.get("shared_with_subaccounts"):
            body["shared_with_subaccounts"] = True
        brought = config.get("dkim")
        if isinstance(brought, dict):
            body["dkim"] = self._dkim_body(brought)
        else:
            body["generate_dkim"] = True
            body["dkim_key_length"] = int(planned.get("dkim_key_length") or dr.DEFAULT_DKIM_KEY_LENGTH)

        def already_made() -> dict[str, Any] | None:
            try:
                got = client.get_sending_domain(name, subaccount=sub)
            except NotFound:
                return None
            return {"domain": name, "dkim": got.get("dkim")}

        try:
            with api_errors(f"create sending domain {name}", ("domain",)):
                try:
                    client.create_sending_domain(name, subaccount=sub, idempotency_check=already_made, **body)
                except Conflict as err:
                    raise self._conflict(ctx, name, sub, err) from err
        except ResourceError as err:
            if isinstance(err.__cause__, SparkPostError) and "dkim" in body and _is_dkim_refusal(err.__cause__):
                err.path = ("dkim",)
            raise

        base = dict(planned, verify=None)  # what state holds if a later step fails
        state = self._fetch(ctx, base, f"read sending domain {name} after creating it", created=True)
        return self._finish(ctx, planned, state, creating=True)

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        client = client_of(ctx)
        name = state["domain"].lower()
        sub = _sub(state.get("subaccount_id"))
        try:
            with api_errors(f"read sending domain {name}"):
                got = client.get_sending_domain(name, subaccount=sub)
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
        sub = _sub(planned.get("subaccount_id"))
        body: dict[str, Any] = {}
        new_td, old_td = planned.get("tracking_domain"), prior.get("tracking_domain")
        if (new_td or "").lower() != (old_td or "").lower():
            body["tracking_domain"] = new_td or ""
        if bool(planned.get("shared_with_subaccounts")) != bool(prior.get("shared_with_subaccounts")):
            body["shared_with_subaccounts"] = bool(planned.get("shared_with_subaccounts"))
        brought = config.get("dkim")
        old = prior.get("dkim") or {}
        if isinstance(brought, dict) and (
            brought.get("selector") != old.get("selector")
            or dr.normalise_key(brought.get("public_key") or "") != dr.normalise_key(old.get("public_key") or "")
        ):
            body["dkim"] = self._dkim_body(brought)
        if prior.get("is_default_bounce_domain") and planned.get("is_default_bounce_domain") is False:
            body["is_default_bounce_domain"] = False

        if body:
            try:
                client.update_sending_domain(name, subaccount=sub, **body)
            except (BadRequest, Unprocessable) as err:
                if "dkim" in body and _is_dkim_refusal(err):
                    raise self._dkim_update_refused(planned, err) from err
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
        return self._finish(ctx, planned, state, creating=False)

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        client = client_of(ctx)
        name = state["domain"].lower()
        try:
            with api_errors(f"delete sending domain {name}"):
                client.delete_sending_domain(name, subaccount=_sub(state.get("subaccount_id")))
        except ResourceError as err:
            if not is_not_found(err):  # already gone is what we wanted
                raise

    def import_state(self, ctx: Context, import_id: str) -> dict[str, Any]:
        try:
            sub, domain = dr.parse_import_id(import_id)
        except ValueError as err:
            raise ResourceError(
                "Invalid import ID for sparkpost_sending_domain",
                f"{err}\n\nUse DOMAIN (like mail.example.com), or SUBACCOUNT_ID/DOMAIN (like 3/mail.example.com) for "
                "a subaccount's domain.",
            ) from err
        # Read fills in the rest; a subaccount's domain imported as DOMAIN gets its subaccount_id from SparkPost.
        return {"id": dr.import_id(sub, domain.lower()), "domain": domain, "subaccount_id": sub}

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _dkim_body(brought: dict[str, Any]) -> dict[str, str]:
        return {
            "private": dr.normalise_key(brought.get("private_key") or ""),
            "public": dr.normalise_key(brought.get("public_key") or ""),
            "selector": brought.get("selector") or "",
        }

    def _fetch(self, ctx: Context, base: dict[str, Any], action: str, created: bool = False) -> dict[str, Any]:
        client = client_of(ctx)
        name = base["domain"].lower()
        partial = self._fallback_state(ctx, base) if created else None
        with api_errors(action, state=partial):
            got = client.get_sending_domain(name, subaccount=_sub(base.get("subaccount_id")))
        return self._state_from(ctx, got, base)

    def _fallback_state(self, ctx: Context, base: dict[str, Any]) -> dict[str, Any]:
        """The domain as far as we know it without a GET, so a created domain is never forgotten."""
        out = {k: (None if isinstance(v, Unknown) else v) for k, v in base.items()}
        out["verify"] = None
        return out

    def _state_from(self, ctx: Context, api: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
        """State from a GET response; `base` (prior state or plan) gives what SparkPost does not return."""
        region = meta_of(ctx).region
        domain = base["domain"]
        sub = api.get("subaccount_id")
        if sub is None:
            sub = base.get("subaccount_id")
        sub = _sub(sub)
        selector, public, signing = dr.dkim_of(api)
        signing = signing or domain.lower()

        dkim = None
        if public:
            old = base.get("dkim") if isinstance(base.get("dkim"), dict) else {}
            old_public = old.get("public_key")
            text = old_public if known(old_public) and dr.normalise_key(old_public) == dr.normalise_key(public) else public
            dkim = {"selector": selector, "public_key": text, "private_key": None}

        key_length = base.get("dkim_key_length")
        if not known(key_length):
            key_length = dr.key_bits(public) or dr.DEFAULT_DKIM_KEY_LENGTH

        tracking = api.get("tracking_domain") or None
        old_tracking = base.get("tracking_domain")
        if tracking and known(old_tracking) and old_tracking.lower() == tracking.lower():
            tracking = old_tracking

        verify = base.get("verify")
        return {
            "id": dr.import_id(sub, domain.lower()),
            "domain": domain,
            "subaccount_id": sub,
            "tracking_domain": tracking,
            "shared_with_subaccounts": bool(api.get("shared_with_subaccounts", False)),
            "dkim_key_length": key_length,
            "dkim": dkim,
            "is_default_bounce_domain": bool(api.get("is_default_bounce_domain", False)),
            "verify": verify if not isinstance(verify, Unknown) else None,
            "dkim_selector": selector,
            "dkim_public_key": public,
            "dkim_signing_domain": signing if public else None,
            "status": dr.status_of(api.get("status")),
            "dns_records": dr.dns_records(domain, region, selector, public, signing),
        }

    def _finish(
        self, ctx: Context, planned: dict[str, Any], state: dict[str, Any], creating: bool
    ) -> dict[str, Any]:
        """Verification and the default-bounce flag: the steps that need the domain to exist.

        `state` is the domain as it is now, with `verify` as the prior state had it: that is what
        a failure leaves in state, so the next plan shows the verification still to do."""
        client = client_of(ctx)
        name = state["domain"].lower()
        sub = _sub(state.get("subaccount_id"))
        settings = _verify_settings(planned)
        wants_bounce = planned.get("is_default_bounce_domain") is True and not state["is_default_bounce_domain"]

        requested = list(settings["checks"]) if settings else []
        checks = list(requested)
        if wants_bounce and "cname" not in checks:
            checks.append("cname")  # SparkPost needs a verified CNAME for this: check it once
        pending = [c for c in checks if not _check_ok(c, state["status"])]
        dns_errors: dict[str, str] = {}
        if pending:
            wait = bool(settings and settings["wait"])
            status, dns_errors = self._verify(ctx, state, pending, wait, settings)
            state = dict(state, status=status)
        failed = [c for c in requested if not _check_ok(c, state["status"])]
        if failed:
            detail = self._missing_records_detail(state, failed, dns_errors)
            if settings and settings["wait"]:
                raise ResourceError(
                    f"Sending domain {name} was not verified within {settings['timeout_text']}",
                    detail + self._kept_in_state_note(creating),
                    ["verify"],
                    state=state,
                )
            ctx.diagnostics.warning(f"Sending domain {name} is not verified yet", detail, ["verify"])

        if wants_bounce:
            if not dr.bounce_ready(state["status"]):
                raise self._bounce_refused(state, dns_errors.get("cname"), creating)
            try:
                client.update_sending_domain(name, subaccount=sub, is_default_bounce_domain=True)
            except (BadRequest, Unprocessable) as err:
                raise self._bounce_refused(state, str(err), creating) from err
            except SparkPostError:
                with api_errors(f"make {name} the default bounce domain", ["is_default_bounce_domain"], state=state):
                    raise
        if pending or wants_bounce:
            state = self._fetch_after(ctx, state)
        state["verify"] = copy.deepcopy(planned.get("verify"))
        return state

    def _fetch_after(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any]:
        name = state["domain"].lower()
        with api_errors(f"read sending domain {name}", state=state):
            got = client_of(ctx).get_sending_domain(name, subaccount=_sub(state.get("subaccount_id")))
        return self._state_from(ctx, got, state)

    def _verify(
        self, ctx: Context, state: dict[str, Any], checks: list[str], wait: bool, settings: dict[str, Any] | None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """POST /verify for the pending checks; with `wait`, again with backoff until they pass."""
        client = client_of(ctx)
        name = state["domain"].lower()
        sub = _sub(state.get("subaccount_id"))
        status = state["status"]
        dns_errors: dict[str, str] = {}
        interval = settings["interval"] if settings else 10.0
        deadline = time.monotonic() + (settings["timeout"] if settings else 0)
        pending = list(checks)
        while True:
            with api_errors(f"verify sending domain {name}", ["verify"], state=dict(state, status=status)):
                got = client.verify_sending_domain(
                    name, subaccount=sub, dkim_verify="dkim" in pending, cname_verify="cname" in pending
                )
            status = dr.status_of(got)
            dns = got.get("dns") if isinstance(got.get("dns"), dict) else {}
            for check in pending:
                err = dns.get(f"{check}_error")
                if err:
                    dns_errors[check] = str(err)
            pending = [c for c in pending if not _check_ok(c, status)]
            remaining = deadline - time.monotonic()
            if not pending or not wait or remaining <= 0:
                return status, dns_errors
            ctx.log.info("sending domain %s: waiting %.0fs for %s", name, min(interval, remaining), ", ".join(pending))
            if ctx.cancelled.wait(min(interval, remaining)):
                raise ResourceError(
                    f"Verification of {name} cancelled",
                    "Terraform was interrupted while waiting for verification.",
                    ["verify"],
                    state=dict(state, status=status),
                )
            interval = min(interval * 1.5, max(MAX_POLL_INTERVAL, settings["interval"] if settings else 0))

    @staticmethod
    def _missing_records_detail(state: dict[str, Any], failed: list[str], dns_errors: dict[str, str]) -> str:
        records = state.get("dns_records") or []
        lines = []
        for check in failed:
            rec = next((r for r in records if r["id"] == _RECORD_OF_CHECK[check]), None)
            what = "DKIM" if check == "dkim" else "bounce CNAME"
            status = state["status"].get("dkim_status" if check == "dkim" else "cname_status")
            if rec is None:
                lines.append(f"  - {what}: the domain has no DKIM key to verify (status {status}).")
                continue
            line = f"  - {what} ({status}): publish the {rec['type']} record {rec['name']} with the value: {rec['value']}"
            if dns_errors.get(check):
                line += f"\n    SparkPost said: {dns_errors[check]}"
            lines.append(line)
        return (
            "SparkPost could not verify these DNS records:\n" + "\n".join(lines) + "\n\nPublish them (the values are "
            "also in this resource's dns_records), wait for DNS to propagate, and apply again."
        )

    @staticmethod
    def _kept_in_state_note(creating: bool) -> str:
        if not creating:
            return ""
        return (
            "\n\nThe domain was created and is kept in state. Terraform marks an object whose create failed as "
            "tainted, so the next apply would delete and re-create it (with a generated DKIM key, a new key and a "
            "new TXT value). To keep this domain and its key, run `terraform untaint` on this resource, then apply "
            "again once the records are published."
        )

    def _bounce_refused(self, state: dict[str, Any], why: str | None, creating: bool) -> ResourceError:
        name = state["domain"].lower()
        rec = next((r for r in state.get("dns_records") or [] if r["id"] == dr.BOUNCE_RECORD_ID), None)
        target = rec["value"] if rec else "the region's bounce host"
        detail = (
            f"SparkPost makes a domain the default bounce domain only once its bounce CNAME is verified, and the "
            f"CNAME of {name} is {state['status'].get('cname_status')!r}. Publish:\n"
            f"  - CNAME record {name} with the value: {target}\n"
            + (f"SparkPost said: {why}\n" if why else "")
            + "then apply again (add verify = { wait = true } to wait for DNS to propagate)."
        )
        return ResourceError(
            f"Cannot make {name} the default bounce domain yet",
            detail + self._kept_in_state_note(creating),
            ["is_default_bounce_domain"],
            state=state,
        )

    def _dkim_update_refused(self, planned: dict[str, Any], err: SparkPostError) -> ResourceError:
        name = planned["domain"].lower()
        rec = next((r for r in planned.get("dns_records") or [] if isinstance(r, dict) and r.get("id") == dr.DKIM_RECORD_ID), None)
        publish = (
            f"\n  - TXT record {rec['name']} with the value: {rec['value']}" if rec and known(rec.get("value")) else ""
        )
        return ResourceError(
            f"SparkPost refused the new DKIM key of {name}",
            f"SparkPost checks a new DKIM key's TXT record in DNS before it accepts it, and the check failed: {err}\n\n"
            f"Publish the new record first, then apply again:{publish}\n\nThe domain keeps its current key meanwhile.",
            ["dkim"],
        )

    def _conflict(self, ctx: Context, name: str, sub: int | None, err: SparkPostError) -> ResourceError:
        """409: the domain exists in this account. Say exactly how to import it."""
        owner: int | None = None
        found = False
        try:
            for item in client_of(ctx).list_sending_domains():
                if str(item.get("domain", "")).lower() == name:
                    found, owner = True, _sub(item.get("subaccount_id"))
                    break
        except SparkPostError:
            pass
        if not found:
            return ResourceError(
                f"Sending domain {name} already exists",
                f"SparkPost refused to create it: {err}\n\nIf it belongs to this SparkPost account, import it with "
                f"`terraform import ADDRESS {dr.import_id(sub, name)}`; otherwise it may be registered or verified "
                "by another account, which SparkPost support can release.",
                ["domain"],
            )
        iid = dr.import_id(owner, name)
        where = f"subaccount {owner}" if owner is not None else "the primary account"
        mismatch = ""
        if owner != sub:
            mismatch = (
                f"\n\nIt belongs to {where}, so set subaccount_id = {owner} in the configuration."
                if owner is not None
                else "\n\nIt belongs to the primary account, so remove subaccount_id from the configuration."
            )
        return ResourceError(
            f"Sending domain {name} already exists in this SparkPost account",
            f"SparkPost already has {name} (in {where}). To manage it with Terraform, import it instead of "
            f"creating it:\n\n  terraform import ADDRESS {iid}\n\nwhere ADDRESS is this resource's address (like "
            f"sparkpost_sending_domain.main), or add an import block and apply:\n\n  import {{\n    to = ADDRESS\n"
            f"    id = \"{iid}\"\n  }}{mismatch}",
            ["domain"],
        )


def _is_dkim_refusal(err: SparkPostError) -> bool:
    text = f"{err.message} {err.description or ''}".lower()
    return err.code == "1404" or "dkim" in text or " key" in text
