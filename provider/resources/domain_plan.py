"""sparkpost_sending_domain's configuration checks and plan: the id, the DKIM values (a key kept,
brought, described or generated, and its length), the DNS records to publish, the status, and
the checks and warnings that need the prior state or SparkPost (a terminated owner, a bounce
domain not yet verified)."""

from __future__ import annotations

import copy
from typing import Any

from ..tfplugin.diagnostics import Diagnostics
from ..tfplugin.resource import PlanContext
from ..tfplugin.values import UNKNOWN, CtyType, Unknown, equal
from . import domain_messages as msg
from .common import known, owner_status
from .dkim_keys import DEFAULT_DKIM_KEY_LENGTH, key_bits, key_der, key_pair_problem, normalise_key
from .dns_records import BOUNCE_CNAME_TARGET, planned_dns_records
from .domain_ids import import_id, same_owner, subaccount_of
from .domain_state import bounce_ready
from .domain_verify import verify_settings


def validate(config: dict[str, Any], diags: Diagnostics) -> None:
    dkim = config.get("dkim")
    length = config.get("dkim_key_length")
    if isinstance(dkim, dict) and known(length):
        # With a private key, dkim brings a key and there is nothing to generate. Without one, dkim
        # only describes the current key (as `terraform plan -generate-config-out` writes it), and
        # dkim_key_length may describe it too, as long as the two agree.
        public = dkim.get("public_key")
        bits = key_bits(public) if isinstance(public, str) and key_der(public) else None
        if dkim.get("private_key") is not None:
            diags.error(
                "Conflicting DKIM settings",
                "dkim_key_length sets the length of a key SparkPost generates; with your own key in dkim there is "
                "nothing to generate. Remove one of them.",
                ["dkim_key_length"],
            )
        elif bits is not None and bits != length:
            diags.error(
                "Conflicting DKIM settings",
                f"dkim_key_length is {int(length)}, but the public key in dkim is {bits} bits long. Remove "
                "dkim_key_length (it reports the key's length), or make it match.",
                ["dkim_key_length"],
            )
    if config.get("shared_with_subaccounts") is True and not same_owner(config.get("subaccount_id"), None):
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
        if isinstance(private, str) and isinstance(public, str) and key_der(private) and key_der(public):
            problem = key_pair_problem(private, public)
            if problem:
                diags.error("Invalid DKIM key pair", f"{problem} SparkPost would refuse it.", ["dkim"])


def modify_plan(p: PlanContext, cty_type: CtyType) -> None:
    """The sending domain's plan after the shared semantics: id, DKIM values, DNS records,
    status, and the checks and warnings that need the prior state or the API."""
    cfg, planned, prior = p.config, p.planned, p.prior
    domain, sub = planned.get("domain"), planned.get("subaccount_id")
    region = _region_for_plan(p.meta)

    if known(domain) and not isinstance(sub, Unknown):
        planned["id"] = import_id(subaccount_of(sub), domain.lower())
    else:
        planned["id"] = UNKNOWN

    if prior is not None and not same_owner(planned.get("subaccount_id"), prior.get("subaccount_id")):
        _check_owner_not_terminated(p, prior)

    brought = cfg.get("dkim")
    if brought is None and prior is not None:
        planned["dkim"] = copy.deepcopy(prior.get("dkim"))  # left out: keep the current key
    elif isinstance(brought, dict) and brought.get("private_key") is None:
        _check_described_key(p, brought)
    _plan_key_length(p, brought)

    dkim = planned.get("dkim")
    if isinstance(dkim, dict) and known(dkim.get("selector")) and known(dkim.get("public_key")):
        planned["dkim_selector"] = dkim["selector"]
        planned["dkim_public_key"] = normalise_key(dkim["public_key"])
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
        planned["dns_records"] = planned_dns_records(
            domain, region, has_dkim,
            planned["dkim_selector"], planned["dkim_public_key"], planned["dkim_signing_domain"],
        )
    else:
        planned["dns_records"] = UNKNOWN

    if prior is not None:
        planned["status"] = prior.get("status")
        if not equal(planned, prior, cty_type):
            planned["status"] = UNKNOWN  # an update may verify, and status is read back after it
    _plan_warnings(p, brought)


def _check_owner_not_terminated(p: PlanContext, prior: dict[str, Any]) -> None:
    """A plan that moves a domain to another subaccount (because its subaccount is being
    re-created, say) cannot work when the old one is terminated: SparkPost will neither delete
    the domain there nor register its name again. One GET, only for such plans."""
    client = getattr(p.meta, "client", None)  # None while the provider configuration is unknown
    owner = subaccount_of(prior["subaccount_id"])
    if client is None or owner is None:
        return
    name = str(prior.get("domain", "")).lower()
    domain = p.planned.get("domain")
    if known(domain) and domain.lower() != name:
        return  # another name: the old domain stays behind (the delete says so), the new one is free
    if owner_status(client, owner) != "terminated":
        return
    p.diagnostics.error(*msg.cannot_follow_terminated_owner(name, owner), ["domain"])

def _check_described_key(p: PlanContext, brought: dict[str, Any]) -> None:
    """dkim without private_key only describes the domain's current key (after an import, or as
    generated config writes it): it can neither make a domain nor change its key."""
    prior = p.prior or {}
    current = prior.get("dkim") or {}
    if isinstance(brought.get("selector"), Unknown) or isinstance(brought.get("public_key"), Unknown):
        return
    same = (
        p.prior is not None
        and brought.get("selector") == current.get("selector")
        and known(brought.get("public_key")) and known(current.get("public_key"))
        and normalise_key(brought["public_key"]) == normalise_key(current["public_key"])
    )
    if not same:
        p.diagnostics.error(*msg.private_key_needed(creating=p.prior is None), ["dkim"])

def _plan_key_length(p: PlanContext, brought: Any) -> None:
    planned, prior = p.planned, p.prior
    configured = p.config.get("dkim_key_length")
    prior_len = prior.get("dkim_key_length") if prior is not None else None
    if brought is not None:
        public = brought.get("public_key") if isinstance(brought, dict) else UNKNOWN
        if known(public):
            planned["dkim_key_length"] = key_bits(public) or prior_len or DEFAULT_DKIM_KEY_LENGTH
        else:
            planned["dkim_key_length"] = UNKNOWN
    elif configured is None:
        planned["dkim_key_length"] = prior_len if prior_len is not None else DEFAULT_DKIM_KEY_LENGTH

def _plan_warnings(p: PlanContext, brought: Any) -> None:
    planned, prior = p.planned, p.prior
    settings = verify_settings(planned) if not isinstance(planned.get("verify"), Unknown) else None
    prior_status = prior.get("status") if prior is not None else None
    domain = planned.get("domain")
    name = domain.lower() if known(domain) else "the domain"
    region = _region_for_plan(p.meta) or "us"

    wants_bounce = planned.get("is_default_bounce_domain") is True and not (
        prior is not None and prior.get("is_default_bounce_domain") is True
    )
    if wants_bounce and not bounce_ready(prior_status):
        waits = settings is not None and settings.wait and "cname" in settings.checks
        summary, detail = msg.bounce_not_verified_warning(
            name, prior_status, BOUNCE_CNAME_TARGET[region], settings.timeout_text if waits and settings else None)
        p.diagnostics.warning(summary, detail, ["is_default_bounce_domain"])

    if prior is None and brought is None and settings is not None and settings.wait and "dkim" in settings.checks:
        p.diagnostics.warning(*msg.DKIM_WAIT_AT_CREATE, ["verify", "wait"])


def _region_for_plan(meta: Any) -> str | None:
    """The region, when the provider configuration is known (else records stay unknown)."""
    if getattr(meta, "client", None) is not None:
        return str(meta.region)
    return None


