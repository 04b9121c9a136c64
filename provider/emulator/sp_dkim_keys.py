"""/api/v1/sending-domains/{domain}/dkim-keys: additional DKIM keys of a sending domain.

Modelled on SparkPost/developers.sparkpost.com content/api/sending-domains.apib, section
"DKIM Keys" (added 2026).  What the reference says and this module does:

* "Each sending domain can have up to 256 additional DKIM keys. The "default" key is
  managed via the standard Sending Domain endpoints above."
* Key ids: "1-64 characters, alphanumeric plus hyphen/underscore, must start with
  alphanumeric"; `default` is reserved; `id` is immutable.
* "Key length range | 1024-4096 bits", "Default key length | 2048 bits".
* List: "The default key is always first in the list and does not have `created_at` or
  `updated_at` fields. The `dns` object is not included in list responses", plus
  `total_count`.
* `dns.dkim_record` is the record NAME here ("Full DNS record name"), `dns.dkim_value` the
  TXT value `v=DKIM1; k=rsa; h=sha256; p={public_key}`; `dkim_error` only in verify answers.
* PUT: "Changing `signing_domain` or key fields resets `dkim_status` to `unverified`"; the
  answer carries `message` "Successfully updated DKIM key." and the key.
* Errors, all classic with string codes: 400/1300 "invalid params" for an existing or
  reserved id, partial key fields, the default key on PUT/DELETE/verify and a changed id;
  404/1600 "resource not found" for an unknown domain or key; 422/1400 "id is required".

Undocumented, chosen here: the wording for a malformed id, a key length out of range and the
257th key (400/1300 "invalid params" like their documented siblings); an unreadable
supplied key gets the sending-domain create's descriptions (S-chg).
"""

from __future__ import annotations

import re
from typing import Any

from . import sp_dkim, sp_errors
from .sp_model import DkimKey, SendingDomain, Store, now_z
from .sp_router import API_PREFIX, Request, Response, Router

MAX_KEYS = 256
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")
_KEY_FIELDS = ("private", "public", "selector")


def _invalid(description: str) -> sp_errors.ApiError:
    return sp_errors.classic(400, "1300", "invalid params", description)


def _not_found(description: str) -> sp_errors.ApiError:
    return sp_errors.ApiError(404, {"errors": [{"code": "1600", "message": "resource not found",
                                                "description": description}]})


def _domain(req: Request, write: bool) -> SendingDomain:
    d = req.store.domains.get(req.params["domain"].lower())
    if d is None or not (req.caller.can_write(d.subaccount_id) if write else req.caller.can_read(d.subaccount_id)):
        raise _not_found(f"Domain '{req.params['domain']}' does not exist")
    return d


def _dns(selector: str, signing_domain: str, public: str) -> dict[str, str]:
    return {"dkim_record": f"{selector}._domainkey.{signing_domain}",
            "dkim_value": sp_dkim.expected_txt(public)}


def _default_item(d: SendingDomain, with_dns: bool) -> dict[str, Any] | None:
    if not d.dkim or not d.dkim.get("public"):
        return None
    signing = d.dkim.get("signing_domain") or d.domain
    out: dict[str, Any] = {"id": "default", "signing_domain": signing, "public": d.dkim["public"],
                           "selector": d.dkim["selector"], "headers": d.dkim.get("headers") or sp_dkim.DEFAULT_HEADERS,
                           "dkim_status": d.status["dkim_status"], "is_default": True,
                           "dkim_key_length": sp_dkim.key_bits(d.dkim["public"])}
    if with_dns:
        out["dns"] = _dns(d.dkim["selector"], signing, d.dkim["public"])
    return out


def _item(k: DkimKey, with_dns: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": k.id, "signing_domain": k.signing_domain, "public": k.public,
                           "selector": k.selector, "headers": k.headers, "dkim_status": k.dkim_status,
                           "is_default": False, "dkim_key_length": sp_dkim.key_bits(k.public),
                           "created_at": k.created_at, "updated_at": k.updated_at}
    if with_dns:
        out["dns"] = _dns(k.selector, k.signing_domain, k.public)
    return out


def _keys(store: Store, d: SendingDomain) -> dict[str, DkimKey]:
    return store.dkim_keys.setdefault(d.domain, {})


def _supplied(body: dict[str, Any]) -> tuple[str, str, str] | None:
    """(private, public, selector) when all three are given; None when none is; else 400."""
    given = [f for f in _KEY_FIELDS if body.get(f) not in (None, "")]
    if not given:
        return None
    if len(given) != len(_KEY_FIELDS):
        raise _invalid("When providing custom keys, private, public, and selector must all be specified")
    problem = sp_dkim.check_supplied({f: body[f] for f in _KEY_FIELDS})
    if problem:
        raise _invalid(problem)
    return (sp_dkim.normalise_key_text(body["private"]), sp_dkim.normalise_key_text(body["public"]),
            body["selector"])


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(f"'{name}' must be a string")
    return value


def list_keys(req: Request) -> Response:
    with req.store.lock:
        d = _domain(req, write=False)
        items = [i for i in [_default_item(d, with_dns=False)] if i]
        items += [_item(k, with_dns=False) for k in _keys(req.store, d).values()]
    return Response(200, {"results": items, "total_count": len(items)})


def create(req: Request) -> Response:
    body = req.json_object()
    with req.store.lock:
        d = _domain(req, write=True)
    key_id = body.get("id")
    if key_id in (None, ""):
        raise sp_errors.classic(422, "1400", "required field is missing", "id is required")
    if not isinstance(key_id, str) or not _ID_RE.match(key_id):
        raise _invalid(f"Key ID '{key_id}' is invalid: 1-64 characters, alphanumeric plus hyphen/underscore, "
                       "starting with an alphanumeric character")
    if key_id == "default":
        raise _invalid("Key ID 'default' is reserved")
    signing = _text(body, "signing_domain") or d.domain
    headers = _text(body, "headers") or sp_dkim.DEFAULT_HEADERS
    supplied = _supplied(body)
    bits = body.get("dkim_key_length", sp_dkim.DEFAULT_KEY_LENGTH)
    if supplied is None and not sp_dkim.key_length_ok(bits):
        raise _invalid(f"dkim_key_length must be between {sp_dkim.MIN_KEY_LENGTH} and {sp_dkim.MAX_KEY_LENGTH}")
    with req.store.lock:  # cheap conflict checks before paying for RSA
        keys = _keys(req.store, d)
        if key_id in keys:
            raise _invalid(f"Key ID '{key_id}' already exists")
        if len(keys) >= MAX_KEYS:
            raise _invalid(f"A sending domain can have at most {MAX_KEYS} additional DKIM keys")
    if supplied is None:
        private, public = sp_dkim.generate_keypair(int(bits))
        selector = sp_dkim.default_selector()
    else:
        private, public, selector = supplied
    with req.store.lock:
        keys = _keys(req.store, d)
        if key_id in keys:  # again: a concurrent create may have won meanwhile
            raise _invalid(f"Key ID '{key_id}' already exists")
        key = DkimKey(id=key_id, signing_domain=signing, public=public, private=private, selector=selector,
                      headers=headers)
        keys[key_id] = key
        req.store.persist()
        return Response(200, {"results": _item(key, with_dns=True)})


def _key(req: Request, d: SendingDomain, action: str) -> DkimKey:
    key_id = req.params["key_id"]
    if key_id == "default" and action:
        raise _invalid(action)
    key = _keys(req.store, d).get(key_id)
    if key is None:
        raise _not_found(f"DKIM key '{key_id}' does not exist")
    return key


def get_one(req: Request) -> Response:
    with req.store.lock:
        d = _domain(req, write=False)
        if req.params["key_id"] == "default":
            item = _default_item(d, with_dns=True)
            if item is None:
                raise _not_found("DKIM key 'default' does not exist")
            return Response(200, {"results": item})
        return Response(200, {"results": _item(_key(req, d, ""), with_dns=True)})


def update(req: Request) -> Response:
    body = req.json_object()
    with req.store.lock:
        d = _domain(req, write=True)
        key = _key(req, d, "Cannot update default key via this endpoint. Use /sending-domains/{domain} instead.")
        if "id" in body and body["id"] != key.id:
            raise _invalid("Field 'id' is immutable")
        signing = _text(body, "signing_domain")
        headers = _text(body, "headers")
        supplied = _supplied(body)
        reset = False
        if signing is not None and signing != key.signing_domain:
            key.signing_domain = signing or d.domain
            reset = True
        if headers:
            key.headers = headers
        if supplied is not None:
            key.private, key.public, key.selector = supplied
            reset = True
        if reset:
            key.dkim_status = "unverified"
        key.updated_at = now_z()
        req.store.persist()
        return Response(200, {"results": {"message": "Successfully updated DKIM key.", **_item(key, with_dns=True)}})


def delete(req: Request) -> Response:
    with req.store.lock:
        d = _domain(req, write=True)
        key = _key(req, d, "Cannot delete default key")
        del _keys(req.store, d)[key.id]
        req.store.persist()
    return Response(204)


def verify(req: Request) -> Response:
    with req.store.lock:
        d = _domain(req, write=True)
        key = _key(req, d, "Cannot verify default key via this endpoint. "
                           "Use /sending-domains/{domain}/verify with dkim_verify: true instead.")
        host = f"{key.selector}._domainkey.{key.signing_domain}"
        problem = sp_dkim.check_txt(req.store.dns_lookup("TXT", host), key.public)
        key.dkim_status = "invalid" if problem else "valid"
        req.store.persist()
        dns = _dns(key.selector, key.signing_domain, key.public)
        if problem:
            dns["dkim_error"] = problem
        return Response(200, {"results": {"id": key.id, "dkim_status": key.dkim_status, "dns": dns}})


def register(router: Router) -> None:
    base = f"{API_PREFIX}/sending-domains/{{domain}}/dkim-keys"
    router.add("GET", base, list_keys)
    router.add("POST", base, create)
    router.add("GET", f"{base}/{{key_id}}", get_one)
    router.add("PUT", f"{base}/{{key_id}}", update)
    router.add("DELETE", f"{base}/{{key_id}}", delete)
    router.add("POST", f"{base}/{{key_id}}/verify", verify)
