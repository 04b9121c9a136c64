"""/api/v1/subaccounts: create, list (legacy and cursor-paginated), get, update, summary.

Errors use the Subaccounts API's validation style (message + param + value, D-sub).
There is no DELETE: the router answers it with 405/1102.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import urlencode

from . import sp_errors
from .sp_grants import SUBACCOUNT_GRANTS
from .sp_model import SUBACCOUNT_STATUSES, Store, Subaccount, now_ms
from .sp_router import API_PREFIX, Request, Response, Router
from .sp_validate import is_int, is_uint_text, is_valid_ip_entry

NAME_MAX = 64
IP_POOL_MAX = 20
KEY_LABEL_MAX = 1024  # UNCONFIRMED; the reference suggests capping at 1024
# "ip_pool must be alphanumeric and underscore" (D-sub, Create a Subaccount, 400).  Every
# pattern here ends in \Z, not $: `$` also matches before a final "\n", letting "pool\n" in.
_IP_POOL_RE = re.compile(r"^[A-Za-z0-9_]*\Z")
# Any of these switches the list into paginated mode (D-sub).
_PAGINATION_PARAMS = ("cursor", "per_page", "sort_by", "order", "ip_pool", "status", "name", "ids", "option")
_SORT_KEYS = ("created_at", "updated_at", "id", "name")

Err = tuple[str, str, Any]


def _check_name(body: dict[str, Any], errors: list[Err], required: bool) -> None:
    if "name" not in body or body["name"] is None:
        if required:
            errors.append(("`name` is a required field", "name", None))
        return
    name = body["name"]
    if not isinstance(name, str):
        errors.append(("name must be a string", "name", name))
    elif not name.strip():
        errors.append(("`name` is a required field", "name", name))
    elif len(name) > NAME_MAX:
        # Exact wording UNCONFIRMED; mirrors the documented ip_pool message.
        errors.append((f"name must be {NAME_MAX} characters or less", "name", name))


def _check_ip_pool(body: dict[str, Any], errors: list[Err]) -> None:
    """Length and characters only: an unknown pool is ACCEPTED, as SparkPost does.

    The documented checks are "ip_pool must be 20 characters or less" and "ip_pool must be
    alphanumeric and underscore" (D-sub, Create a Subaccount, 400).  SparkPost's subaccount
    guide: "Minimal validation is done against the value set in the IP pool ID key/field. If
    a mismatch error occurs, all attempted messages from that subaccount will be rejected."
    (support-docs content/docs/user-guide/subaccounts.md, "Default IP Pool Configuration").
    So a typo is stored, and mail is rejected later: the emulator must not look kinder.
    """
    if "ip_pool" not in body or body["ip_pool"] in (None, ""):
        return  # "" (or absent) = no assigned pool
    pool = body["ip_pool"]
    if not isinstance(pool, str):
        errors.append(("ip_pool must be a string", "ip_pool", pool))
    elif len(pool) > IP_POOL_MAX:
        errors.append((f"ip_pool must be {IP_POOL_MAX} characters or less", "ip_pool", pool))
    elif not _IP_POOL_RE.match(pool):
        errors.append(("ip_pool must be alphanumeric and underscore", "ip_pool", pool))


def _check_options(body: dict[str, Any], errors: list[Err]) -> None:
    if "options" not in body or body["options"] is None:
        return
    opts = body["options"]
    if not isinstance(opts, dict):
        errors.append(("options must be an object", "options", opts))
    elif "deliverability" in opts and not isinstance(opts["deliverability"], bool):
        errors.append(("options.deliverability must be a boolean", "options.deliverability",
                       opts["deliverability"]))


def _check_key_fields(body: dict[str, Any], errors: list[Err]) -> None:
    label = body.get("key_label")
    if not isinstance(label, str) or not label.strip():
        errors.append(("`key_label` is a required field", "key_label", None))
    elif len(label) > KEY_LABEL_MAX:
        errors.append((f"key_label must be {KEY_LABEL_MAX} characters or less", "key_label", label))
    grants = body.get("key_grants")
    if grants is None or grants == []:
        errors.append(("`key_grants` is a required field", "key_grants", None))
    elif not isinstance(grants, list) or any(g not in SUBACCOUNT_GRANTS for g in grants):
        supported = ", ".join(f"'{g}'" for g in SUBACCOUNT_GRANTS)
        errors.append((f"Invalid `key_grants value`. Supported values are: {supported}", "key_grants", None))
    if "key_valid_ips" in body and body["key_valid_ips"] is not None:
        ips = body["key_valid_ips"]
        if not isinstance(ips, list):
            errors.append(("`key_valid_ips` must be an Array", "key_valid_ips", None))
        elif not all(is_valid_ip_entry(i) for i in ips):
            errors.append(("`key_valid_ips` must have valid netmask values", "key_valid_ips", None))


def create(req: Request) -> Response:
    body = req.json_object()
    store = req.store
    errors: list[Err] = []
    _check_name(body, errors, required=True)
    setup_key = body.get("setup_api_key", True)
    if not isinstance(setup_key, bool):
        errors.append(("setup_api_key must be a boolean", "setup_api_key", setup_key))
        setup_key = False
    if setup_key:
        _check_key_fields(body, errors)
    with store.lock:
        _check_ip_pool(body, errors)
        _check_options(body, errors)
        if errors:
            raise sp_errors.validation(errors)
        sub = store.new_subaccount(body["name"])
        if body.get("ip_pool"):
            sub.ip_pool = body["ip_pool"]
        if isinstance(body.get("options"), dict) and "deliverability" in body["options"]:
            sub.options["deliverability"] = body["options"]["deliverability"]
        result: dict[str, Any] = {"subaccount_id": sub.id}
        if setup_key:
            # A real subaccount-owned key, manageable later through /api-keys with the header.
            key, secret = store.add_key(secret=None, label=body["key_label"], grants=body["key_grants"],
                                        valid_ips=body.get("key_valid_ips") or [], subaccount_id=sub.id)
            result.update({"key": secret, "label": key.label, "short_key": key.short_key})
        store.persist()
    return Response(200, {"results": result})


def _sub_or_404(store: Store, raw_id: str) -> Subaccount:
    if not is_uint_text(raw_id):
        # The web app notes the API answers 400, not 404, for an invalid id.
        raise sp_errors.validation([("id must be an integer", "id", raw_id)])
    sub = store.subaccounts.get(int(raw_id))
    if sub is None:
        # Real body UNCONFIRMED; the reference suggests the web app's generic 404.
        raise sp_errors.resource_not_found_generic()
    return sub


def get_one(req: Request) -> Response:
    with req.store.lock:
        return Response(200, {"results": _sub_or_404(req.store, req.params["id"]).to_api()})


def summary(req: Request) -> Response:
    with req.store.lock:
        return Response(200, {"results": {"total": len(req.store.subaccounts)}})


def update(req: Request) -> Response:
    body = req.json_object()
    store = req.store
    with store.lock:
        sub = _sub_or_404(store, req.params["id"])
        errors: list[Err] = []
        _check_name(body, errors, required=False)
        status = body.get("status")
        if status is not None and status not in SUBACCOUNT_STATUSES:
            errors.append(("status must be one of: active, suspended, terminated", "status", status))
        _check_ip_pool(body, errors)
        _check_options(body, errors)
        if errors:
            raise sp_errors.validation(errors)
        new_pool = (body["ip_pool"] or None) if "ip_pool" in body else sub.ip_pool
        changes: list[tuple[str, Any]] = []
        if body.get("name") is not None and body["name"] != sub.name:
            changes.append(("name", body["name"]))
        if status is not None and status != sub.status:
            changes.append(("status", status))
        if new_pool != sub.ip_pool:
            changes.append(("ip_pool", body.get("ip_pool")))
        opts = body.get("options") or {}
        if "deliverability" in opts and opts["deliverability"] != sub.options.get("deliverability"):
            changes.append(("options", opts))
        if sub.status == "terminated" and changes:
            # Terminated is one-way (S-subguide: "a permanent status change").  A PUT that
            # changes nothing still succeeds, so a retried terminate is harmless.
            param, value = changes[0]
            raise sp_errors.validation([("Subaccount is terminated and cannot be updated", param, value)])
        for name, value in changes:
            if name == "name":
                sub.name = value
            elif name == "status":
                sub.status = value
            elif name == "ip_pool":
                sub.ip_pool = new_pool
            else:
                sub.options["deliverability"] = value["deliverability"]
        if changes:
            sub.updated_at = now_ms()
            store.persist()
    return Response(200, {"results": {"message": "Successfully updated subaccount information"}})


def _encode_cursor(offset: int) -> str:
    # Opaque to clients, like SparkPost's (`WzIxMCwyMTBd` = base64 of "[210,210]").
    return base64.urlsafe_b64encode(json.dumps([offset, offset]).encode()).decode().rstrip("=")


def _decode_cursor(raw: str) -> int | None:
    if raw == "initial":
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if isinstance(data, list) and data and is_int(data[0]) and data[0] >= 0:
            return int(data[0])
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    return None


def list_all(req: Request) -> Response:
    q = req.query
    store = req.store
    with store.lock:
        subs = sorted(store.subaccounts.values(), key=lambda s: s.id)
        if not any(p in q for p in _PAGINATION_PARAMS):
            return Response(200, {"results": [s.to_api() for s in subs]})  # legacy mode
        errors: list[Err] = []
        per_page_raw = q.get("per_page", "25")
        per_page = int(per_page_raw) if is_uint_text(per_page_raw) else -1
        if not 1 <= per_page <= 100:
            errors.append(("per_page must be an integer between 1 and 100", "per_page", per_page_raw))
        sort_by = q.get("sort_by", "created_at")
        if sort_by not in _SORT_KEYS:
            errors.append((f"sort_by must be one of: {', '.join(_SORT_KEYS)}", "sort_by", sort_by))
        order = q.get("order", "desc")
        if order not in ("asc", "desc"):
            errors.append(("order must be one of: asc, desc", "order", order))
        offset = _decode_cursor(q.get("cursor", "initial"))
        if offset is None:
            errors.append(("cursor is invalid", "cursor", q.get("cursor")))
        if "status" in q and q["status"] not in SUBACCOUNT_STATUSES:
            errors.append(("status must be one of: active, suspended, terminated", "status", q["status"]))
        ids: set[int] | None = None
        if "ids" in q:
            parts = [p.strip() for p in q["ids"].split(",") if p.strip()]
            if not all(is_uint_text(p) for p in parts):
                errors.append(("ids must be a comma-separated list of integers", "ids", q["ids"]))
            else:
                ids = {int(p) for p in parts}
        if errors:
            raise sp_errors.validation(errors)
        assert offset is not None
        if "ip_pool" in q:
            subs = [s for s in subs if (s.ip_pool or "") == q["ip_pool"]]
        if "status" in q:
            subs = [s for s in subs if s.status == q["status"]]
        if "name" in q:
            subs = [s for s in subs if q["name"].lower() in s.name.lower()]
        if ids is not None:
            subs = [s for s in subs if s.id in ids]
        if q.get("option") == "deliverability":
            subs = [s for s in subs if s.options.get("deliverability")]
        subs.sort(key=lambda s: (getattr(s, sort_by), s.id), reverse=(order == "desc"))
        page = subs[offset:offset + per_page]
        out: dict[str, Any] = {"results": [s.to_api() for s in page], "total_count": len(subs), "links": {}}
        if offset + per_page < len(subs):
            # Carry the caller's parameters so following links.next keeps sort and filters.
            params = {k: q[k] for k in _PAGINATION_PARAMS if k in q and k != "cursor"}
            params.update({"cursor": _encode_cursor(offset + per_page), "per_page": str(per_page)})
            out["links"]["next"] = f"{API_PREFIX}/subaccounts?{urlencode(params)}"
        return Response(200, out)


def register(router: Router) -> None:
    base = f"{API_PREFIX}/subaccounts"
    router.add("GET", f"{base}/summary", summary)   # before {id}: literal beats placeholder
    router.add("GET", base, list_all)
    router.add("POST", base, create)
    router.add("GET", f"{base}/{{id}}", get_one)
    router.add("PUT", f"{base}/{{id}}", update)
