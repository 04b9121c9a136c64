"""/api/v1/tracking-domains, minimal: enough for the sending-domain `tracking_domain` link.

Errors follow D-td: message-only bodies, validation style for a bad domain.
"""

from __future__ import annotations

from typing import Any

from . import sp_errors
from .sp_model import TrackingDomain
from .sp_router import API_PREFIX, Request, Response, Router
from .sp_validate import domain_syntax_error, is_uint_text

CNAME_TARGET = {"us": ("spgo.io", "v2.spgo.io"), "eu": ("eu.spgo.io", "eu.v2.spgo.io")}


def _not_found() -> sp_errors.ApiError:
    return sp_errors.message_only(404, "resource not found")


def create(req: Request) -> Response:
    body = req.json_object()
    raw = body.get("domain")
    if not isinstance(raw, str) or domain_syntax_error(raw):
        raise sp_errors.validation([("domain must be valid", "domain", raw)], status=422)
    if "secure" in body and not isinstance(body["secure"], bool):
        raise sp_errors.validation([("secure must be a boolean", "secure", body["secure"])], status=422)
    domain = raw.lower()  # "case-insensitive" (D-td)
    with req.store.lock:
        if domain in req.store.tracking_domains:
            raise sp_errors.message_only(409, "The tracking domain already exists")
        # A subaccount can only be assigned at creation, through the header (D-td).
        req.store.tracking_domains[domain] = TrackingDomain(domain=domain, subaccount_id=req.caller.owner,
                                                            secure=bool(body.get("secure", False)))
        req.store.persist()
    return Response(200, {"results": {"domain": domain}})


def _invalid_name(name: str) -> sp_errors.ApiError:
    return sp_errors.validation([("domain must be valid", "domain", name)], status=400)


def _find_named(req: Request, write: bool) -> TrackingDomain:
    """Retrieve, Update and Delete document a 400 for a malformed name before the 404 (D-td:
    `{"param": "domain", "message": "domain must be valid", "value": "baddomain"}`)."""
    if domain_syntax_error(req.params["domain"]):
        raise _invalid_name(req.params["domain"])
    return _find(req, write)


def _find(req: Request, write: bool) -> TrackingDomain:
    td = req.store.tracking_domains.get(req.params["domain"].lower())
    allowed = req.caller.can_write if write else req.caller.can_read
    if td is None or not allowed(td.subaccount_id):
        raise _not_found()
    return td


def list_all(req: Request) -> Response:
    q = req.query
    subs: set[int | None] | None = None
    if "subaccounts" in q:
        parts = [p.strip() for p in q["subaccounts"].split(",")]
        subs = {None if p == "0" else int(p) for p in parts if is_uint_text(p)}
    with req.store.lock:
        items = [td.to_api() for td in req.store.tracking_domains.values()
                 if req.caller.can_read(td.subaccount_id)
                 and (subs is None or td.subaccount_id in subs)
                 and ("default" not in q or str(td.default).lower() == q["default"].lower())]
    return Response(200, {"results": items})


def get_one(req: Request) -> Response:
    with req.store.lock:
        return Response(200, {"results": _find_named(req, write=False).to_api()})


def update(req: Request) -> Response:
    body = req.json_object()
    with req.store.lock:
        td = _find_named(req, write=True)
        for name in ("secure", "default"):
            if name in body and not isinstance(body[name], bool):
                raise sp_errors.validation([(f"{name} must be a boolean", name, body[name])], status=422)
        if body.get("default") and not td.verified:
            raise sp_errors.message_only(422, f"Tracking domain '{td.domain}' unverified.")
        if "secure" in body:
            td.secure = body["secure"]
        if body.get("default"):
            for other in req.store.tracking_domains.values():
                if other.subaccount_id == td.subaccount_id:
                    other.default = False
        if "default" in body:
            td.default = body["default"]
        req.store.persist()
        return Response(200, {"results": {"domain": td.domain}})


def delete(req: Request) -> Response:
    with req.store.lock:
        td = _find_named(req, write=True)
        del req.store.tracking_domains[td.domain]
        # UNCONFIRMED what SparkPost does with linked sending domains; we unlink them.
        for d in req.store.domains.values():
            if d.tracking_domain == td.domain:
                d.tracking_domain = None
        req.store.persist()
    return Response(204)


def verify(req: Request) -> Response:
    with req.store.lock:
        td = _find(req, write=True)
        found = [str(v).lower().rstrip(".") for v in req.store.dns_lookup("CNAME", td.domain)]
        td.verified = any(f in CNAME_TARGET[req.region] for f in found)
        td.cname_status = "valid" if td.verified else "invalid"
        req.store.persist()
        if not td.verified:
            # The documented failure (D-td, Verify a Tracking Domain, 400): "HTTP request to
            # https://example.domain.com:443 failed.  Please verify that your redirect is
            # functioning and that your SSL certificate is valid."  (Here the redirect "works"
            # when the CNAME points at the region's spgo.io target.)
            scheme, port = ("https", 443) if td.secure else ("http", 80)
            raise sp_errors.message_only(400, f"HTTP request to {scheme}://{td.domain}:{port} failed.  Please "
                                              "verify that your redirect is functioning and that your SSL "
                                              "certificate is valid.")
        result: dict[str, Any] = {"verified": True, "cname_status": td.cname_status,
                                  "compliance_status": td.compliance_status}
        return Response(200, {"results": result})


def register(router: Router) -> None:
    base = f"{API_PREFIX}/tracking-domains"
    router.add("GET", base, list_all)
    router.add("POST", base, create)
    router.add("GET", f"{base}/{{domain}}", get_one)
    router.add("PUT", f"{base}/{{domain}}", update)
    router.add("DELETE", f"{base}/{{domain}}", delete)
    router.add("POST", f"{base}/{{domain}}/verify", verify)
