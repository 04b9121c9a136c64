"""/api/v1/data-privacy: requests to be forgotten and opt-out requests.

Source: SparkPost/developers.sparkpost.com, content/api/data-privacy.apib (D-dp):

* ``POST /v1/data-privacy/rtbf-request`` and ``POST /v1/data-privacy/opt-out-request`` with
  ``{"recipients": [...] (required, "max 1000"), "include_subaccounts": bool}``;
  ``include_subaccounts`` "Only applies if X-MSYS-SUBACCOUNT header is not set".
* 200 ``{"results": {"message": "Request saved."}}``; 400
  ``{"errors": [{"message": "Exceeded maximum number of recipients (1000)"}]}`` and
  ``{"errors": [{"message": "invalid email address", "recipient": "not_an_email"}]}``.
* Requests "will be completed within 30 days": there is no GET.  The emulator records each
  request (kind, recipients, scope) for tests, visible in ``GET /__emulator/state``.
* The grant is ``data_privacy/manage`` (reference 10.1); subaccount keys cannot hold it.
  Other error bodies (missing or non-list ``recipients``) are undocumented: message-only 400,
  like the documented ones.
"""

from __future__ import annotations

import re
from typing import Any

from . import sp_errors
from .sp_model import now_ms
from .sp_router import API_PREFIX, Request, Response, Router

MAX_RECIPIENTS = 1000
# Deliberately simple: one @, something before it, a dot-bearing domain after it.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")


def _handler(kind: str) -> Any:
    def handle(req: Request) -> Response:
        body = req.json_object()
        recipients = body.get("recipients")
        if not isinstance(recipients, list) or not recipients:
            raise sp_errors.message_only(400, "recipients is required and must be a non-empty array")
        if len(recipients) > MAX_RECIPIENTS:
            raise sp_errors.message_only(400, f"Exceeded maximum number of recipients ({MAX_RECIPIENTS})")
        for r in recipients:
            if not isinstance(r, str) or not _EMAIL_RE.match(r):
                raise sp_errors.ApiError(400, {"errors": [{"message": "invalid email address",
                                                           "recipient": r}]})
        include = body.get("include_subaccounts", False)
        if not isinstance(include, bool):
            raise sp_errors.message_only(400, "include_subaccounts must be a boolean")
        header = req.caller.header
        # The header wins; include_subaccounts only counts without it (D-dp).
        scope = "primary_and_subaccounts" if header is None and include else (
            "primary" if not header else f"subaccount:{header}")
        with req.store.lock:
            req.store.privacy_requests.append({"kind": kind, "recipients": list(recipients),
                                               "scope": scope, "received_at": now_ms()})
            req.store.persist()
        return Response(200, {"results": {"message": "Request saved."}})
    return handle


def register(router: Router) -> None:
    router.add("POST", f"{API_PREFIX}/data-privacy/rtbf-request", _handler("rtbf"))
    router.add("POST", f"{API_PREFIX}/data-privacy/opt-out-request", _handler("opt-out"))
