"""Small read-mostly APIs: account, IP pools and deliverability metrics."""

from __future__ import annotations

import re
from typing import Any

from . import sp_errors
from .sp_model import IpPool
from .sp_router import API_PREFIX, Request, Response, Router
from .sp_validate import is_uint_text

# ---- account -----------------------------------------------------------------------------
_ACCOUNT = {
    "us": {"customer_id": 100001, "company_name": "SparkPost Emulator", "country_code": "US"},
    "eu": {"customer_id": 200001, "company_name": "SparkPost Emulator EU", "country_code": "DE"},
}


def account(req: Request) -> Response:
    base = _ACCOUNT[req.region]
    out: dict[str, Any] = {
        **base,
        "status": "active",
        "status_reason": "",
        "subscription": {"code": "emulator", "name": "Emulated Plan", "type": "default",
                         "self_serve": True, "plan_volume": 100000},
        "options": {"smtp_tracking_default": False, "rest_tracking_default": True,
                    "transactional_unsub": False, "transactional_default": False,
                    "initial_open_pixel_tracking": False, "click_tracking": True, "inline_seeds": False},
    }
    if "usage" in req.query.get("include", "").split(","):
        out["usage"] = {"day": {"used": 0, "limit": 10000}, "month": {"used": 0, "limit": 100000}}
    return Response(200, {"results": out})


# ---- IP pools (message-only errors, D-ipp) ---------------------------------------------------
def _pool_not_found() -> sp_errors.ApiError:
    return sp_errors.message_only(404, "IP pool not found.")


def pools_list(req: Request) -> Response:
    with req.store.lock:
        return Response(200, {"results": [p.to_api() for p in req.store.ip_pools.values()]})


def pool_get(req: Request) -> Response:
    with req.store.lock:
        pool = req.store.ip_pools.get(req.params["id"])
        if pool is None:
            raise _pool_not_found()
        return Response(200, {"results": pool.to_api()})


def _pool_fields(body: dict[str, Any], pool: IpPool) -> None:
    for k in ("signing_domain", "fbl_signing_domain", "auto_warmup_overflow_pool"):
        if k in body:
            if body[k] is not None and not isinstance(body[k], str):
                raise sp_errors.message_only(400, f"{k} must be a string")
            setattr(pool, k, body[k] or None)


def pool_create(req: Request) -> Response:
    body = req.json_object()
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise sp_errors.message_only(400, "name is required")
    pool_id = re.sub(r"[^a-z0-9_]", "_", name.strip().lower())[:20]  # id derived from the name
    with req.store.lock:
        if pool_id == "default":
            raise sp_errors.message_only(400, "IP Pool default is reserved.")
        if pool_id in req.store.ip_pools:
            raise sp_errors.message_only(409, f"IP Pool {pool_id} already exists.")
        pool = IpPool(id=pool_id, name=name)
        _pool_fields(body, pool)
        req.store.ip_pools[pool_id] = pool
        req.store.persist()
    return Response(200, {"results": {"id": pool_id}})


def pool_update(req: Request) -> Response:
    body = req.json_object()
    with req.store.lock:
        pool = req.store.ip_pools.get(req.params["id"])
        if pool is None:
            raise _pool_not_found()
        if isinstance(body.get("name"), str) and body["name"].strip():
            pool.name = body["name"]
        _pool_fields(body, pool)
        req.store.persist()
    return Response(200, {"results": {"id": pool.id}})


def pool_delete(req: Request) -> Response:
    with req.store.lock:
        if req.params["id"] == "default":
            raise sp_errors.message_only(400, "IP Pool default is reserved.")
        if req.params["id"] not in req.store.ip_pools:
            raise _pool_not_found()
        del req.store.ip_pools[req.params["id"]]
        # UNCONFIRMED: we unassign the pool from subaccounts that referenced it.
        for sub in req.store.subaccounts.values():
            if sub.ip_pool == req.params["id"]:
                sub.ip_pool = None
        req.store.persist()
    return Response(204)


# ---- metrics -----------------------------------------------------------------------------
METRIC_NAMES = frozenset("""
count_targeted count_injected count_sent count_accepted count_delivered count_delivered_first
count_delivered_subsequent count_rendered count_nonprefetched_rendered count_initial_rendered
count_nonprefetched_initial_rendered count_unique_rendered count_nonprefetched_unique_rendered
count_unique_initial_rendered count_nonprefetched_unique_initial_rendered
count_unique_confirmed_opened count_nonprefetched_unique_confirmed_opened count_clicked
count_unique_clicked count_bounce count_hard_bounce count_soft_bounce count_block_bounce
count_admin_bounce count_undetermined_bounce count_rejected count_policy_rejection
count_generation_failed count_generation_rejection count_inband_bounce count_outofband_bounce
count_delayed count_delayed_first total_msg_volume count_spam_complaint total_delivery_time_first
total_delivery_time_subsequent count_unsubscribe count_inbox_panel count_spam_panel count_inbox_seed
count_spam_seed count_inbox_seed_private count_spam_seed_private count_inbox_seed_virtual
count_spam_seed_virtual count_moved_to_inbox count_moved_to_spam
""".split())


def _metrics_query(req: Request) -> tuple[list[str], list[int]]:
    """Validate the query; return (metric names, subaccount ids in scope; 0 = primary)."""
    q = req.query
    for required in ("from", "metrics"):
        if not q.get(required):
            raise sp_errors.classic(400, "1401", "required parameter missing", f"'{required}' is required")
    delimiter = q.get("delimiter", ",") or ","
    names = [m.strip() for m in q["metrics"].split(delimiter) if m.strip()]
    unknown = [m for m in names if m not in METRIC_NAMES]
    if unknown:
        raise sp_errors.classic(400, "1200", "invalid params", f"Unsupported metric: {unknown[0]}")
    # X-MSYS-SUBACCOUNT is ignored here; `subaccounts=` selects (D-sub, D-met).  A
    # subaccount key still only ever sees its own traffic.
    if req.caller.is_subaccount_key:
        return names, [req.caller.key.subaccount_id or 0]
    with req.store.lock:
        scope = [0, *sorted(req.store.subaccounts)]
    if "subaccounts" in q:
        parts = [p.strip() for p in q["subaccounts"].split(delimiter) if p.strip()]
        if not all(is_uint_text(p) for p in parts):
            raise sp_errors.classic(400, "1200", "invalid params", "'subaccounts' must be a list of integers")
        scope = [int(p) for p in parts]
    return names, scope


def metrics_summary(req: Request) -> Response:
    names, scope = _metrics_query(req)
    with req.store.lock:
        totals = {m: sum(req.store.metrics.get(sid, {}).get(m, 0) for sid in scope) for m in names}
    return Response(200, {"results": [totals], "links": [
        {"href": f"{API_PREFIX}/metrics/deliverability", "rel": "deliverability", "method": "GET"}]})


def metrics_by_subaccount(req: Request) -> Response:
    names, scope = _metrics_query(req)
    with req.store.lock:
        rows = [{**{m: req.store.metrics[sid].get(m, 0) for m in names}, "subaccount_id": sid}
                for sid in scope if sid in req.store.metrics]
    return Response(200, {"results": rows})


def register(router: Router) -> None:
    router.add("GET", f"{API_PREFIX}/account", account)
    base = f"{API_PREFIX}/ip-pools"
    router.add("GET", base, pools_list)
    router.add("POST", base, pool_create)
    router.add("GET", f"{base}/{{id}}", pool_get)
    router.add("PUT", f"{base}/{{id}}", pool_update)
    router.add("DELETE", f"{base}/{{id}}", pool_delete)
    router.add("GET", f"{API_PREFIX}/metrics/deliverability", metrics_summary)
    router.add("GET", f"{API_PREFIX}/metrics/deliverability/subaccount", metrics_by_subaccount)
