"""/api/v1/sending-domains: create, list, get, update, delete and verify.

Errors use the classic style (message + description + string code, D-sd / S-chg).
Ownership: a domain belongs to the primary account or to one subaccount (chosen by
X-MSYS-SUBACCOUNT at create).  Names are unique across the whole account (primary and
subaccounts: 409/1602) and across SparkPost (a domain related to one owned by another
account, see `Store.foreign_domains`: 400/7004).  Names are stored lower-case (DNS is
case-insensitive; SparkPost's own behaviour is UNCONFIRMED).

Visibility follows the general header rule: reads without the header see every domain
of the account, writes (PUT, DELETE, verify) without it reach primary domains only.  A
subaccount sees its own domains only, even when the primary shares a domain with it
(`shared_with_subaccounts` is a flag for sending, not for management).
"""

from __future__ import annotations

import secrets
from typing import Any

from . import sp_dkim, sp_errors
from .sp_model import SendingDomain, Store, new_status
from .sp_router import API_PREFIX, Request, Response, Router
from .sp_validate import domain_syntax_error, is_org_related

BOUNCE_CNAME = {"us": "sparkpostmail.com", "eu": "eu.sparkpostmail.com"}
_STATUS_FILTERS = ("dkim_status", "cname_status", "mx_status", "abuse_at_status",
                   "postmaster_at_status", "compliance_status", "spf_status")
_VERIFY_STATUS_ORDER = ("dkim_status", "cname_status", "mx_status", "compliance_status", "spf_status",
                        "abuse_at_status", "postmaster_at_status", "verification_mailbox_status")
_OWNERSHIP_METHODS = ("dkim_status", "cname_status", "mx_status", "abuse_at_status",
                      "postmaster_at_status", "verification_mailbox_status")


def _bad_format(description: str) -> sp_errors.ApiError:
    return sp_errors.classic(422, "1300", "invalid data format/type", description)


def _required(description: str) -> sp_errors.ApiError:
    return sp_errors.classic(422, "1400", "required field is missing", description)


def _not_found(domain: str) -> sp_errors.ApiError:
    # Key order as in the documented body (Appendix B), for byte-level comparisons too.
    return sp_errors.ApiError(404, {"errors": [{"code": "1600", "message": "resource not found",
                                                "description": f"Domain '{domain}' does not exist"}]})


def _check_bool(body: dict[str, Any], name: str) -> None:
    if name in body and body[name] is not None and not isinstance(body[name], bool):
        raise _bad_format(f"'{name}' must be a boolean")


def _refresh_ownership(status: dict[str, Any]) -> None:
    # ownership_verified is true as soon as ANY verification method is valid (D-sd).
    status["ownership_verified"] = any(status.get(k) == "valid" for k in _OWNERSHIP_METHODS)


def _check_tracking(store: Store, name: Any, owner: int | None) -> str | None:
    if name in (None, ""):
        return None
    if not isinstance(name, str):
        raise _bad_format("'tracking_domain' must be a string")
    td = store.tracking_domains.get(name.lower())
    if td is None or td.subaccount_id != owner:  # must belong to the same (sub)account
        raise sp_errors.classic(400, "1200", "invalid params",
                                f"Tracking domain '{name}' is not a registered tracking domain")
    return td.domain


def _check_conflicts(store: Store, domain: str) -> None:
    for restricted in store.restricted_domains:
        if domain == restricted or domain.endswith("." + restricted):
            # The documented answer (D-sd, Create a Sending Domain, first 400 example).  Which
            # domains SparkPost restricts is its own business, so tests choose them.
            raise sp_errors.classic(
                400, "7000", "Restricted domain",
                "Please contact SparkPost support to get this domain authorized for your account.")
    for foreign in store.foreign_domains:
        if is_org_related(domain, foreign):
            raise sp_errors.classic(
                400, "7004", "Domain in use by another account",
                "Please contact SparkPost support to check about this org-domain availability.")
    if domain in store.domains:
        raise sp_errors.classic(409, "1602", "resource conflict", f"Sending Domain <{domain}> already registered")


def create(req: Request) -> Response:
    body = req.json_object()
    store = req.store
    owner = req.caller.owner
    raw = body.get("domain")
    if raw is None or raw == "":
        raise _required("field 'domain' is required")
    if not isinstance(raw, str):
        raise _bad_format("'domain' must be a string")
    problem = domain_syntax_error(raw)
    if problem:
        raise _bad_format(problem)
    domain = raw.lower()
    for name in ("generate_dkim", "shared_with_subaccounts", "is_default_bounce_domain"):
        _check_bool(body, name)
    if body.get("is_default_bounce_domain"):
        raise _bad_format("'is_default_bounce_domain' cannot be set to true at the time of domain creation")
    if body.get("shared_with_subaccounts") and owner is not None:
        raise sp_errors.classic(422, "1301", "invalid combination of fields",
                                "'shared_with_subaccounts' can only be set on primary account domains")
    supplied = body.get("dkim")
    if supplied is not None and not isinstance(supplied, dict):
        raise _bad_format("'dkim' must be an object")
    key_length = body.get("dkim_key_length", sp_dkim.DEFAULT_KEY_LENGTH)
    # "This option only applies if `generate_dkim` is true" (D-sd): checked only then.
    generating = supplied is None and body.get("generate_dkim", True) is not False
    if generating and not sp_dkim.key_length_ok(key_length):
        raise _bad_format(f"'dkim_key_length' must be between {sp_dkim.MIN_KEY_LENGTH} and "
                          f"{sp_dkim.MAX_KEY_LENGTH}")
    key_length = int(key_length)
    with store.lock:  # cheap checks first, so a doomed request never pays for RSA
        tracking = _check_tracking(store, body.get("tracking_domain"), owner)
        _check_conflicts(store, domain)
    dkim: dict[str, str] | None = None
    if supplied:
        problem = sp_dkim.check_supplied(supplied)
        if problem:
            raise _bad_format(problem)
        dkim = {"private": sp_dkim.normalise_key_text(supplied["private"]),
                "public": sp_dkim.normalise_key_text(supplied["public"]),
                "selector": supplied["selector"]}
    elif body.get("generate_dkim", True):
        private, public = sp_dkim.generate_keypair(key_length)  # outside the lock: slow-ish
        dkim = {"private": private, "public": public, "selector": sp_dkim.default_selector()}
    if dkim is not None:
        signing = supplied.get("signing_domain") if supplied else None
        dkim["signing_domain"] = signing if isinstance(signing, str) and signing else domain
        headers = supplied.get("headers") if supplied else None
        dkim["headers"] = headers if isinstance(headers, str) and headers else sp_dkim.DEFAULT_HEADERS
    with store.lock:
        _check_conflicts(store, domain)  # again: another request may have won meanwhile
        store.domains[domain] = SendingDomain(
            domain=domain, subaccount_id=owner, tracking_domain=tracking, dkim=dkim,
            shared_with_subaccounts=bool(body.get("shared_with_subaccounts", False)),
            status=new_status())
        store.persist()
        result: dict[str, Any] = {"message": "Successfully Created domain.", "domain": domain}
        public_dkim = store.domains[domain].public_dkim()
        if public_dkim:
            result["dkim"] = public_dkim
    return Response(200, {"results": result})


def _find(req: Request, write: bool) -> SendingDomain:
    name = req.params["domain"].lower()
    d = req.store.domains.get(name)
    if d is None or not (req.caller.can_write(d.subaccount_id) if write else req.caller.can_read(d.subaccount_id)):
        raise _not_found(req.params["domain"])
    return d


def _item(d: SendingDomain, with_domain: bool, with_dkim: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if with_domain:
        out["domain"] = d.domain
    if d.tracking_domain:
        out["tracking_domain"] = d.tracking_domain
    out["status"] = dict(d.status)
    if d.verification_mailbox:
        out["status"]["verification_mailbox"] = d.verification_mailbox
    if with_dkim and d.dkim:
        out["dkim"] = d.public_dkim()
    if d.subaccount_id is None:
        # "shared_with_subaccounts ... Only available to domains belonging to a primary
        # account", the mirror of "subaccount_id ... Only available to domains belonging to a
        # subaccount" (D-sd, "Sending Domain Object").  The web app's fixtures agree: every
        # subaccount-owned item lacks the field (SparkPost/2web2ui cypress/fixtures/
        # sending-domains/200.get.multiple-results.json, "with-a-subaccount.com").
        out["shared_with_subaccounts"] = d.shared_with_subaccounts
    out["is_default_bounce_domain"] = d.is_default_bounce_domain
    out["creation_time"] = d.creation_time
    if d.subaccount_id is not None:
        out["subaccount_id"] = d.subaccount_id
    return out


def get_one(req: Request) -> Response:
    with req.store.lock:
        # "the full sending domain object, except the `domain` field" (D-sd)
        return Response(200, {"results": _item(_find(req, write=False), with_domain=False, with_dkim=True)})


def list_all(req: Request) -> Response:
    q = req.query
    with req.store.lock:
        items = []
        for d in req.store.domains.values():
            if not req.caller.can_read(d.subaccount_id):
                continue
            if "ownership_verified" in q and \
                    str(d.status["ownership_verified"]).lower() != q["ownership_verified"].lower():
                continue
            if "is_default_bounce_domain" in q and \
                    str(d.is_default_bounce_domain).lower() != q["is_default_bounce_domain"].lower():
                continue
            if any(f in q and d.status.get(f) != q[f] for f in _STATUS_FILTERS):
                continue
            items.append(_item(d, with_domain=True, with_dkim=False))  # list items omit dkim
    return Response(200, {"results": items})


def _dkim_dns_error(store: Store, dkim: dict[str, str]) -> str | None:
    host = f"{dkim['selector']}._domainkey.{dkim.get('signing_domain')}"
    return sp_dkim.check_txt(store.dns_lookup("TXT", host), dkim["public"])


def update(req: Request) -> Response:
    body = req.json_object()
    store = req.store
    with store.lock:
        d = _find(req, write=True)
        fields = [f for f in ("tracking_domain", "is_default_bounce_domain", "shared_with_subaccounts", "dkim")
                  if f in body]
        if not fields:
            raise _bad_format("No valid input fields detected")
        for name in ("is_default_bounce_domain", "shared_with_subaccounts"):
            _check_bool(body, name)
        tracking = _check_tracking(store, body["tracking_domain"], d.subaccount_id) \
            if "tracking_domain" in body else d.tracking_domain
        if body.get("shared_with_subaccounts") and d.subaccount_id is not None:
            raise sp_errors.classic(422, "1301", "invalid combination of fields",
                                    "'shared_with_subaccounts' can only be set on primary account domains")
        new_dkim = _updated_dkim(store, d, body["dkim"]) if "dkim" in body else None
        if body.get("is_default_bounce_domain") and not (
                d.status["cname_status"] == "valid" or d.status["mx_status"] == "valid"):
            raise _bad_format("Domain must have cname_status 'valid' or mx_status 'valid' in order to set "
                              "'is_default_bounce_domain' to true")
        # Everything validated: apply atomically.
        d.tracking_domain = tracking
        if body.get("shared_with_subaccounts") is not None:
            d.shared_with_subaccounts = body["shared_with_subaccounts"]
        if new_dkim is not None:
            d.dkim = new_dkim
            d.status["dkim_status"] = "valid"  # it was DNS-verified before being applied
            _refresh_ownership(d.status)
        if body.get("is_default_bounce_domain") is not None:
            if body["is_default_bounce_domain"]:
                # One default bounce domain per (sub)account: the previous one loses it.
                for other in store.domains.values():
                    if other.subaccount_id == d.subaccount_id:
                        other.is_default_bounce_domain = False
            d.is_default_bounce_domain = body["is_default_bounce_domain"]
        store.persist()
    return Response(200, {"results": {"message": "Successfully Updated Domain.", "domain": d.domain}})


def _updated_dkim(store: Store, d: SendingDomain, given: Any) -> dict[str, str]:
    """Validate a PUT dkim object and DNS-verify it; the update fails if DNS disagrees (D-sd)."""
    if not isinstance(given, dict):
        raise _bad_format("'dkim' must be an object")
    selector = given.get("selector")
    if not isinstance(selector, str) or not selector:
        raise _required("field 'dkim.selector' is required")
    current = d.dkim or {}
    # "private (string, required)", "public (string, required)", "selector (string,
    # required)" (D-sd, Update a Sending Domain, dkim): a PUT never reuses the stored pair,
    # so a selector-only object is refused like a partial one on create (S-chg wording).
    problem = sp_dkim.check_supplied(given)
    if problem:
        raise _bad_format(problem)
    private, public = sp_dkim.normalise_key_text(given["private"]), sp_dkim.normalise_key_text(given["public"])
    signing = given.get("signing_domain", current.get("signing_domain") or d.domain)
    if not isinstance(signing, str):
        raise _bad_format("'dkim.signing_domain' must be a string")
    headers = given.get("headers") or current.get("headers") or sp_dkim.DEFAULT_HEADERS
    new = {"private": private, "public": public, "selector": selector,
           "signing_domain": signing or d.domain,  # "" removes it: back to the domain itself
           "headers": headers if isinstance(headers, str) else sp_dkim.DEFAULT_HEADERS}
    problem = _dkim_dns_error(store, new)
    if problem:
        raise sp_errors.classic(400, "1404", "request to remote endpoint failed",
                                f"Unable to verify DKIM record of {d.domain}. {problem}")
    return new


def delete(req: Request) -> Response:
    with req.store.lock:
        d = _find(req, write=True)
        del req.store.domains[d.domain]
        req.store.dkim_keys.pop(d.domain, None)  # its additional DKIM keys go with it
        req.store.persist()
    return Response(204)


_VERIFY_FIELDS = ("dkim_verify", "cname_verify", "spf_verify", "postmaster_at_verify", "abuse_at_verify",
                  "verification_mailbox_verify", "postmaster_at_token", "abuse_at_token",
                  "verification_mailbox_token")


def verify(req: Request) -> Response:
    body = req.json_object()
    store = req.store
    with store.lock:
        d = _find(req, write=True)
        for name in _VERIFY_FIELDS:
            if name.endswith("_verify"):
                _check_bool(body, name)
            elif name in body and body[name] is not None and not isinstance(body[name], str):
                raise _bad_format(f"'{name}' must be a string")
        if not any(body.get(f) for f in _VERIFY_FIELDS):
            raise _required("Error no fields specified for verification")
        if body.get("verification_mailbox_verify"):
            mailbox = body.get("verification_mailbox")
            if not isinstance(mailbox, str) or not mailbox:
                raise _required("verification_mailbox field required to verify mailbox")
            if mailbox.lower() in ("postmaster", "abuse"):
                raise _bad_format("verification_mailbox field cannot be 'postmaster' or 'abuse'")
        status = d.status
        dns: dict[str, str] = {}
        if body.get("dkim_verify"):
            if d.dkim and d.dkim.get("public"):
                # The documented verify answer: "dkim_record": "k=rsa; h=sha256; p=MIGf..." (the
                # TXT value, without v=DKIM1; D-sd "Verify a Sending Domain").
                dns["dkim_record"] = f"k=rsa; h=sha256; p={d.dkim['public']}"
                problem = _dkim_dns_error(store, d.dkim)
            else:
                problem = "No DKIM key is configured for this domain"
            status["dkim_status"] = "invalid" if problem else "valid"
            if problem:
                dns["dkim_error"] = problem
        if body.get("cname_verify"):
            target = BOUNCE_CNAME[req.region]
            dns["cname_record"] = target
            found = [str(v).lower().rstrip(".") for v in store.dns_lookup("CNAME", d.domain)]
            if target in found:
                status["cname_status"] = "valid"
            else:
                status["cname_status"] = "invalid"
                dns["cname_error"] = (f"CNAME record for {d.domain} points to {found[0]}, expected {target}"
                                      if found else "DNS record not found")
        # Mailbox methods: "send" a token (visible in /__emulator/state) and accept it back.
        # Right after the request the status is still `unverified`: the documented answer
        # to {"verification_mailbox_verify": true, ...} shows
        # "verification_mailbox_status": "unverified" (D-sd "Initiate anyone@ email").
        # A new request replaces the token: "If the link in the previously sent message
        # is clicked it won't verify domain ownership" (same section).
        for prefix in ("postmaster_at", "abuse_at", "verification_mailbox"):
            if body.get(f"{prefix}_verify"):
                d.mailbox_tokens[prefix] = secrets.token_hex(8)
                if prefix == "verification_mailbox":
                    d.verification_mailbox = body["verification_mailbox"]
            token = body.get(f"{prefix}_token")
            if isinstance(token, str) and token:
                ok = d.mailbox_tokens.get(prefix) == token
                status[f"{prefix}_status"] = "valid" if ok else "invalid"
        _refresh_ownership(status)
        store.persist()
        result: dict[str, Any] = {"ownership_verified": status["ownership_verified"]}
        if body.get("dkim_verify") or body.get("cname_verify"):
            result["dns"] = dns
        for k in _VERIFY_STATUS_ORDER:
            result[k] = status[k]
        if d.verification_mailbox:
            result["verification_mailbox"] = d.verification_mailbox
    return Response(200, {"results": result})


def register(router: Router) -> None:
    base = f"{API_PREFIX}/sending-domains"
    router.add("GET", base, list_all)
    router.add("POST", base, create)
    router.add("GET", f"{base}/{{domain}}", get_one)
    router.add("PUT", f"{base}/{{domain}}", update)
    router.add("DELETE", f"{base}/{{domain}}", delete)
    router.add("POST", f"{base}/{{domain}}/verify", verify)
