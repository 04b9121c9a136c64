"""Small read-mostly APIs: the account (IP pools: sp_ip_pools; metrics: sp_metrics)."""

from __future__ import annotations

from typing import Any

from .sp_router import API_PREFIX, Request, Response, Router

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


def register(router: Router) -> None:
    router.add("GET", f"{API_PREFIX}/account", account)
