"""/api/v1/api-keys and /api/v1/authenticate/grants.

SparkPost never documented these endpoints (reference section 3); shapes follow the web
app's fixtures.  Decisions where the reference is UNCONFIRMED:
* errors use the validation style of the Subaccounts API (message + param + value);
* `valid_ips` is omitted from key objects when empty, as in the fixtures;
* PUT is a full replace of `label` and `grants` (both required, as SS says);
  `valid_ips` left out keeps the current list; the answer is a message only, so a
  client has to GET to read the key back;
* the grants of a SUBACCOUNT-owned key cannot be changed by PUT (the web app's
  "subaccounts can't edit api key grants"): a PUT with different grants is refused with
  400, the same grants are accepted.  Providers should make such grants ForceNew;
* without X-MSYS-SUBACCOUNT, GET sees primary and subaccount keys but PUT/DELETE only
  reach primary keys (the general header rule of D-sub); send the header to manage a
  subaccount's key.
"""

from __future__ import annotations

from typing import Any

from . import sp_errors
from .sp_grants import PRIMARY_GRANTS, SUBACCOUNT_GRANTS, describe
from .sp_model import ApiKey
from .sp_router import API_PREFIX, Request, Response, Router
from .sp_validate import is_valid_ip_entry

LABEL_MAX = 1024  # UNCONFIRMED, reference suggestion

Err = tuple[str, str, Any]


def _allowed_grants(owner: int | None) -> tuple[str, ...]:
    return SUBACCOUNT_GRANTS if owner is not None else PRIMARY_GRANTS


def _check(body: dict[str, Any], owner: int | None, errors: list[Err]) -> None:
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        errors.append(("`label` is a required field", "label", label))
    elif len(label) > LABEL_MAX:
        errors.append((f"label must be {LABEL_MAX} characters or less", "label", label))
    grants = body.get("grants")
    allowed = _allowed_grants(owner)
    if grants is None or grants == []:
        errors.append(("`grants` is a required field", "grants", grants))
    elif not isinstance(grants, list) or any(g not in allowed for g in grants):
        supported = ", ".join(f"'{g}'" for g in allowed)
        errors.append((f"Invalid `grants` value. Supported values are: {supported}", "grants", grants))
    if body.get("valid_ips") is not None:
        ips = body["valid_ips"]
        if not isinstance(ips, list):
            errors.append(("`valid_ips` must be an Array", "valid_ips", ips))
        elif not all(is_valid_ip_entry(i) for i in ips):
            errors.append(("`valid_ips` must have valid netmask values", "valid_ips", ips))


def create(req: Request) -> Response:
    body = req.json_object()
    owner = req.caller.owner  # the header (or the caller's own subaccount) assigns it for good
    errors: list[Err] = []
    _check(body, owner, errors)
    if errors:
        raise sp_errors.validation(errors)
    store = req.store
    with store.lock:
        key, secret = store.add_key(secret=None, label=body["label"], grants=list(dict.fromkeys(body["grants"])),
                                    valid_ips=[i.strip() for i in body.get("valid_ips") or []],
                                    subaccount_id=owner)
        store.persist()
    return Response(200, {"results": {"key": secret, "short_key": key.short_key, "label": key.label,
                                      "link": {"href": f"{API_PREFIX}/api-keys/{key.id}"}}})


def list_all(req: Request) -> Response:
    grant = req.query.get("grant")
    with req.store.lock:
        keys = [k.to_api() for k in req.store.keys.values()
                if req.caller.can_read(k.subaccount_id) and (grant is None or grant in k.grants)]
    return Response(200, {"results": keys})


def _visible(req: Request, write: bool) -> ApiKey:
    key = req.store.keys.get(req.params["id"])
    if key is None or not (req.caller.can_write(key.subaccount_id) if write
                           else req.caller.can_read(key.subaccount_id)):
        raise sp_errors.resource_not_found_generic()
    return key


def get_one(req: Request) -> Response:
    with req.store.lock:
        return Response(200, {"results": _visible(req, write=False).to_api()})


def update(req: Request) -> Response:
    body = req.json_object()
    with req.store.lock:
        key = _visible(req, write=True)
        errors: list[Err] = []
        _check(body, key.subaccount_id, errors)
        grants = list(dict.fromkeys(body["grants"])) if isinstance(body.get("grants"), list) else None
        if not errors and key.subaccount_id is not None and grants is not None \
                and sorted(grants) != sorted(key.grants):
            errors.append(("grants cannot be changed on a subaccount API key", "grants", body["grants"]))
        if errors:
            raise sp_errors.validation(errors)
        key.label = body["label"]
        key.grants = grants or key.grants
        if body.get("valid_ips") is not None:
            key.valid_ips = [i.strip() for i in body["valid_ips"]]
        req.store.persist()
    return Response(200, {"results": {"message": "Successfully updated API key"}})


def delete(req: Request) -> Response:
    with req.store.lock:
        key = _visible(req, write=True)
        req.store.remove_key(key.id)
        req.store.persist()
    return Response(204)


def grants(req: Request) -> Response:
    role = req.query.get("role")
    # A subaccount key only ever sees the subaccount list.
    names = SUBACCOUNT_GRANTS if role == "subaccount" or req.caller.is_subaccount_key else PRIMARY_GRANTS
    return Response(200, {"results": [describe(g) for g in names]})


def register(router: Router) -> None:
    base = f"{API_PREFIX}/api-keys"
    router.add("GET", base, list_all)
    router.add("POST", base, create)
    router.add("GET", f"{base}/{{id}}", get_one)
    router.add("PUT", f"{base}/{{id}}", update)
    router.add("DELETE", f"{base}/{{id}}", delete)
    router.add("GET", f"{API_PREFIX}/authenticate/grants", grants)
