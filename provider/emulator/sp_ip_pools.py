"""/api/v1/ip-pools: dedicated IP pools (message-only error bodies).

Source: SparkPost/developers.sparkpost.com, content/api/ip-pools.apib (D-ipp):

* Object ``{id, name, signing_domain, fbl_signing_domain, ips[{external_ip, hostname,
  auto_warmup_enabled, auto_warmup_stage}], auto_warmup_overflow_pool}``; ``id`` is
  "Auto-generated when created" and "based on the name" (``Marketing IP Pool`` ->
  ``marketing_ip_pool``).  Only seeds put IPs in a pool here (assigning IPs is the Sending IPs
  API, not modelled).
* ``POST /v1/ip-pools`` ``{name (required), signing_domain, fbl_signing_domain,
  auto_warmup_overflow_pool}`` -> 200 ``{"results": {"id": ...}}``; 400 "Auto Warmup Overflow
  Pool overflow_pool does not exist." and "overflow_pool has an overflow pool and cannot be an
  overflow pool".  ``shared pool`` is an accepted overflow value ("overflow to the SparkPost
  Shared Pool").
* ``GET /v1/ip-pools/{id}`` -> 404 "IP pool not found.".
* ``PUT /v1/ip-pools/{id}``: ``name`` required; ``signing_domain`` / ``fbl_signing_domain``
  "To remove it, set it to an empty string."; 400 "IP Pool default is reserved and cannot be
  updated.", "overflow_pool is an overflow pool and cannot have an overflow pool"; 404 "IP Pool
  not_a_real_pool does not exist."; 200 answers the pool without ``ips``.
* ``DELETE /v1/ip-pools/{id}`` -> 204; "moves all sending IPs in that pool to the default
  pool"; 400 "IP Pool default is reserved."; 404 "IP Pool marketing does not exist.".
* Undocumented, chosen here: a second pool whose id the name would repeat is 409 "IP Pool <id>
  already exists."; subaccounts assigned to a deleted pool lose the assignment (UNCONFIRMED).
"""

from __future__ import annotations

import re
from typing import Any

from . import sp_errors
from .sp_model import IpPool, Store
from .sp_router import API_PREFIX, Request, Response, Router

SHARED_POOL = "shared pool"
ID_MAX = 20  # a subaccount's ip_pool is at most 20 characters (D-sub)


def _not_found_get() -> sp_errors.ApiError:
    return sp_errors.message_only(404, "IP pool not found.")


def _does_not_exist(pool_id: str) -> sp_errors.ApiError:
    return sp_errors.message_only(404, f"IP Pool {pool_id} does not exist.")


def pool_id_for(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", name.strip().lower())[:ID_MAX]


def _check_overflow(store: Store, pool_id: str, overflow: str | None) -> None:
    if not overflow:
        return
    if any(p.auto_warmup_overflow_pool == pool_id for p in store.ip_pools.values() if p.id != pool_id):
        raise sp_errors.message_only(400, f"{pool_id} is an overflow pool and cannot have an overflow pool")
    if overflow == SHARED_POOL:
        return
    target = store.ip_pools.get(overflow)
    if target is None or overflow == pool_id:
        raise sp_errors.message_only(400, f"Auto Warmup Overflow Pool {overflow} does not exist.")
    if target.auto_warmup_overflow_pool:
        raise sp_errors.message_only(400, f"{overflow} has an overflow pool and cannot be an overflow pool")


def _fields(body: dict[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for k in ("signing_domain", "fbl_signing_domain", "auto_warmup_overflow_pool"):
        if k in body:
            if body[k] is not None and not isinstance(body[k], str):
                raise sp_errors.message_only(400, f"{k} must be a string")
            out[k] = body[k] or None  # "" removes it
    return out


def _name(body: dict[str, Any]) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise sp_errors.message_only(400, "name is required")
    return name


def pools_list(req: Request) -> Response:
    with req.store.lock:
        return Response(200, {"results": [p.to_api() for p in req.store.ip_pools.values()]})


def pool_get(req: Request) -> Response:
    with req.store.lock:
        pool = req.store.ip_pools.get(req.params["id"])
        if pool is None:
            raise _not_found_get()
        return Response(200, {"results": pool.to_api()})


def pool_create(req: Request) -> Response:
    body = req.json_object()
    name = _name(body)
    fields = _fields(body)
    pool_id = pool_id_for(name)
    if not pool_id.strip("_"):
        raise sp_errors.message_only(400, "name must contain a letter or digit")
    with req.store.lock:
        if pool_id == "default":
            raise sp_errors.message_only(400, "IP Pool default is reserved.")
        if pool_id in req.store.ip_pools:
            raise sp_errors.message_only(409, f"IP Pool {pool_id} already exists.")
        _check_overflow(req.store, pool_id, fields.get("auto_warmup_overflow_pool"))
        pool = IpPool(id=pool_id, name=name)
        for k, v in fields.items():
            setattr(pool, k, v)
        req.store.ip_pools[pool_id] = pool
        req.store.persist()
    return Response(200, {"results": {"id": pool_id}})


def pool_update(req: Request) -> Response:
    body = req.json_object()
    pool_id = req.params["id"]
    with req.store.lock:
        if pool_id == "default":
            raise sp_errors.message_only(400, "IP Pool default is reserved and cannot be updated.")
        pool = req.store.ip_pools.get(pool_id)
        if pool is None:
            raise _does_not_exist(pool_id)
        name = _name(body)
        fields = _fields(body)
        if "auto_warmup_overflow_pool" in fields:
            _check_overflow(req.store, pool_id, fields["auto_warmup_overflow_pool"])
        pool.name = name
        for k, v in fields.items():
            setattr(pool, k, v)
        req.store.persist()
        out = {k: v for k, v in pool.to_api().items() if k != "ips"}
    return Response(200, {"results": out})


def pool_delete(req: Request) -> Response:
    pool_id = req.params["id"]
    with req.store.lock:
        if pool_id == "default":
            raise sp_errors.message_only(400, "IP Pool default is reserved.")
        pool = req.store.ip_pools.get(pool_id)
        if pool is None:
            raise _does_not_exist(pool_id)
        req.store.ip_pools["default"].ips.extend(pool.ips)  # its IPs move to the default pool
        del req.store.ip_pools[pool_id]
        for other in req.store.ip_pools.values():
            if other.auto_warmup_overflow_pool == pool_id:
                other.auto_warmup_overflow_pool = None
        for sub in req.store.subaccounts.values():
            if sub.ip_pool == pool_id:
                sub.ip_pool = None
        req.store.persist()
    return Response(204)


def register(router: Router) -> None:
    base = f"{API_PREFIX}/ip-pools"
    router.add("GET", base, pools_list)
    router.add("POST", base, pool_create)
    router.add("GET", f"{base}/{{id}}", pool_get)
    router.add("PUT", f"{base}/{{id}}", pool_update)
    router.add("DELETE", f"{base}/{{id}}", pool_delete)
