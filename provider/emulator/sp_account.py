"""GET /account: the account object, flavoured by region."""

from __future__ import annotations

from typing import Any

from .sp_model import now_ms
from .sp_router import API_PREFIX, Request, Response, Router

# ---- account -----------------------------------------------------------------------------
# The fields of the Account object and of the documented GET /account answer
# (SparkPost/developers.sparkpost.com content/api/account.apib): customer_id, company_name,
# country_code, anniversary_date, created, updated, status, status_updated,
# status_reason_category ("Empty string by default"), tfa_required, service_level
# ("Default: standard"), subscription {name, code, plan_volume, effective_date, self_serve,
# type}, support {phone, online}, options {...}; `usage` only with `include=usage` ("Usage
# data is not available for Enterprise accounts"), each period {used, limit, start, end}
# plus `timestamp` and `sandbox` {used, limit}.  `pending_subscription` and
# `pending_cancellation` appear only when something is pending: never here.
_ACCOUNT = {
    "us": {"customer_id": 100001, "company_name": "SparkPost Emulator", "country_code": "US"},
    "eu": {"customer_id": 200001, "company_name": "SparkPost Emulator EU", "country_code": "DE"},
}
_EPOCH = "2020-01-01T00:00:00.000Z"


def account(req: Request) -> Response:
    base = _ACCOUNT[req.region]
    out: dict[str, Any] = {
        **base,
        "anniversary_date": "2027-01-01T00:00:00.000Z",
        "created": _EPOCH,
        "updated": _EPOCH,
        "status": "active",
        "status_updated": _EPOCH,
        "status_reason_category": "",
        "tfa_required": False,
        "service_level": "standard",
        "subscription": {"name": "Emulated Plan", "code": "emulator", "plan_volume": 100000,
                         "effective_date": _EPOCH, "self_serve": True, "type": "default"},
        "support": {"phone": False, "online": True},
        # "rest_tracking_default ... `true` by default", "initial_open_pixel_tracking ...
        # `true` by default" (account.apib); the others are plain booleans.
        "options": {"smtp_tracking_default": False, "rest_tracking_default": True,
                    "transactional_unsub": False, "transactional_default": False,
                    "initial_open_pixel_tracking": True, "click_tracking": True, "inline_seeds": True},
    }
    if "usage" in req.query.get("include", "").split(","):
        now = now_ms()
        out["usage"] = {"timestamp": now,
                        "day": {"used": 0, "limit": 10000, "start": now, "end": now},
                        "month": {"used": 0, "limit": 100000, "start": now, "end": now},
                        "sandbox": {"used": 0, "limit": 5}}
    return Response(200, {"results": out})


def register(router: Router) -> None:
    router.add("GET", f"{API_PREFIX}/account", account)
