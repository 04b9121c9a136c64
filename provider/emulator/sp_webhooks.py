"""/api/v1/webhooks: event webhooks, with the test batch SparkPost POSTs to the target.

Source: SparkPost/developers.sparkpost.com, content/api/webhooks.apib (D-wh):

* ``POST /v1/webhooks`` ``{name, target, events}`` required; ``active`` (default true),
  ``custom_headers``, ``exception_subaccounts`` ("Must not have duplicate values nor be empty.
  Integer values only. Max size: 10"), ``auth_type`` ``none|basic|oauth2`` (default none),
  ``auth_request_details {url, body}`` ("required when auth_type is oauth2"),
  ``auth_credentials {username (required), password}`` ("required when auth_type is basic").
  200 ``{"results": {"id": "<uuid>", "links": [...]}}``.
* "When a webhook is created, a test POST request is sent to the target URL. If this request
  does not receive an HTTP 200 response, your request to the Webhook API will fail with HTTP
  400 and the webhook will not be created."  The same on PUT when ``target`` changes.  The
  documented failure body is ``{"errors": [{"code": 400, "message": "POST to webhook tokens URL
  failed", "response": {"body", "headers", "status"}}]}`` (the OAuth2 token request); for the
  target itself we answer "POST to webhook target URL failed" in the same shape (wording
  UNCONFIRMED).  The sample batch is ``[{"msys": {}}]`` (Validate a Webhook).  Batches time
  out after 10 seconds ("Batch Information").
* "Webhooks only support standard ports, port 80 for HTTP traffic and port 443 for HTTPS
  traffic."  EMULATOR DEVIATION: a loopback target (127.0.0.0/8, ::1, localhost) may use any
  port, because tests run their receiver on a free port and SparkPost could never reach a
  loopback address anyway.
* ``GET /v1/webhooks``, ``GET/PUT/DELETE /v1/webhooks/{id}`` (DELETE 204),
  ``GET /v1/webhooks/{id}/batch-status`` (always ``[]``: no event batches are delivered),
  ``POST /v1/webhooks/{id}/validate`` (``{"results": {"msg": "Test POST to endpoint succeeded",
  "response": {...}}}``).  GET returns ``auth_credentials`` in clear, as the documented samples
  do (so the emulator keeps them, and its state file holds them: do not persist a state file
  with real passwords).  ``exception_subaccounts`` comes back as strings (the GET sample).
* Scope (D-sub, S-subguide): the ``X-MSYS-SUBACCOUNT`` header at create picks the event source:
  absent = primary and all subaccounts (``subaccount_id`` -1), 0 = primary only, n = subaccount
  n; PUT may move it with ``subaccount_id``.  A request with the header sees only webhooks of
  that source (UNCONFIRMED: the docs do not say how GET filters).
* Validation error bodies are undocumented: classic 400/1200 with a description naming the field.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from . import sp_errors
from .sp_router import API_PREFIX, Request, Response, Router
from .sp_validate import is_uint_text

EVENT_TYPES = frozenset("""
injection delivery policy_rejection delay bounce out_of_band spam_complaint initial_open open click
generation_failure generation_rejection list_unsubscribe link_unsubscribe relay_injection
relay_rejection relay_delivery relay_tempfail relay_permfail amp_open amp_initial_open amp_click
ab_test_completed ab_test_cancelled ingest_success ingest_error sms_status
""".split())
AUTH_TYPES = ("none", "basic", "oauth2")
TARGET_TIMEOUT_S = 10.0  # "Webhooks posting to your endpoint will timeout after 10 seconds."
SAMPLE_BATCH: list[dict[str, Any]] = [{"msys": {}}]
MAX_EXCEPTIONS = 10
BODY_EXCERPT = 512


def _invalid(description: str) -> sp_errors.ApiError:
    return sp_errors.classic(400, "1200", "invalid params", description)


def _not_found() -> sp_errors.ApiError:
    return sp_errors.classic(404, "1600", "resource not found", "Webhook does not exist")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_target(target: Any) -> str:
    if not isinstance(target, str) or not target.strip():
        raise _invalid("target is required and must be an http or https URL")
    parts = urllib.parse.urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid("target must be an http or https URL")
    try:
        port = parts.port
    except ValueError:
        raise _invalid("target has an invalid port") from None
    standard = {"http": 80, "https": 443}[parts.scheme]
    if port not in (None, standard) and not _is_loopback(parts.hostname):
        raise _invalid("Only ports 80 for http and 443 for https can be set")
    return target


def _check_fields(body: dict[str, Any], creating: bool) -> None:
    if creating or "name" in body:
        if not isinstance(body.get("name"), str) or not body["name"].strip():
            raise _invalid("name is required and must be a non-empty string")
    if creating or "target" in body:
        _check_target(body.get("target"))
    if creating or "events" in body:
        events = body.get("events")
        if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
            raise _invalid("events is required and must be a non-empty array of event types")
        unknown = sorted(set(events) - EVENT_TYPES)
        if unknown:
            raise _invalid(f"unknown event type: {unknown[0]}")
    if "active" in body and not isinstance(body["active"], bool):
        raise _invalid("active must be a boolean")
    if "custom_headers" in body and body["custom_headers"] is not None:
        headers = body["custom_headers"]
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise _invalid("custom_headers must be an object of strings")
    if "exception_subaccounts" in body and body["exception_subaccounts"] is not None:
        ex = body["exception_subaccounts"]
        if (not isinstance(ex, list) or (creating and not ex) or len(ex) > MAX_EXCEPTIONS
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in ex)
                or len(set(ex)) != len(ex)):
            raise _invalid("exception_subaccounts must be unique integers, at most 10")
    auth_type = body.get("auth_type", "none" if creating else None)
    if auth_type is not None and auth_type not in AUTH_TYPES:
        raise _invalid("auth_type must be one of none, basic, oauth2")
    if auth_type == "basic":
        creds = body.get("auth_credentials")
        if not isinstance(creds, dict) or not isinstance(creds.get("username"), str) or not creds["username"]:
            raise _invalid("auth_credentials.username is required when auth_type is basic")
        if "password" in creds and not isinstance(creds["password"], str):
            raise _invalid("auth_credentials.password must be a string")
    if auth_type == "oauth2":
        details = body.get("auth_request_details")
        if (not isinstance(details, dict) or not isinstance(details.get("url"), str)
                or not isinstance(details.get("body"), dict)):
            raise _invalid("auth_request_details {url, body} is required when auth_type is oauth2")
    if "subaccount_id" in body and not (isinstance(body["subaccount_id"], int)
                                        and not isinstance(body["subaccount_id"], bool)
                                        and body["subaccount_id"] >= -1):
        raise _invalid("subaccount_id must be an integer (-1 = primary and all subaccounts, 0 = primary)")


def _post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """POST and return (status, headers, body excerpt); status 0 when nothing answered."""
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    # No proxy from the environment: the emulator talks to the target directly.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=TARGET_TIMEOUT_S) as resp:
            return resp.status, dict(resp.headers.items()), resp.read(BODY_EXCERPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        body = err.read(BODY_EXCERPT).decode("utf-8", "replace") if err.fp else ""
        return err.code, dict(err.headers.items()) if err.headers else {}, body
    except (OSError, ValueError) as exc:  # refused, DNS, timeout, TLS
        return 0, {}, f"no response: {exc.__class__.__name__}: {getattr(exc, 'reason', exc)}"


def _failure(message: str, status: int, headers: dict[str, str], body: str) -> sp_errors.ApiError:
    # The documented failure shape: numeric code 400 and the target's response.
    return sp_errors.ApiError(400, {"errors": [{
        "code": 400, "message": message,
        "response": {"status": status, "headers": headers, "body": body}}]})


def send_test_batch(hook: dict[str, Any]) -> dict[str, Any]:
    """POST the sample batch as SparkPost would; return the target's response or raise 400."""
    headers = {"Content-Type": "application/json", "User-Agent": "SparkPost",
               "X-MessageSystems-Batch-ID": uuid.uuid4().hex}
    headers.update(hook.get("custom_headers") or {})
    auth_type = hook.get("auth_type", "none")
    if auth_type == "basic":
        creds = hook.get("auth_credentials") or {}
        pair = f"{creds.get('username', '')}:{creds.get('password', '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    elif auth_type == "oauth2":
        details = hook.get("auth_request_details") or {}
        form = urllib.parse.urlencode({k: str(v) for k, v in (details.get("body") or {}).items()}).encode()
        status, resp_headers, text = _post(str(details.get("url")), form,
                                           {"Content-Type": "application/x-www-form-urlencoded"})
        token = None
        if status == 200:
            try:
                token = json.loads(text).get("access_token")
            except (ValueError, AttributeError):
                token = None
        if not isinstance(token, str) or not token:
            raise _failure("POST to webhook tokens URL failed", status, resp_headers, text)
        headers["Authorization"] = f"Bearer {token}"
    elif hook.get("auth_token"):
        headers["X-MessageSystems-Webhook-Token"] = str(hook["auth_token"])
    status, resp_headers, text = _post(hook["target"], json.dumps(SAMPLE_BATCH).encode(), headers)
    if status != 200:
        raise _failure("POST to webhook target URL failed", status, resp_headers, text)
    return {"status": status, "headers": resp_headers, "body": text}


def _links(hook_id: str) -> list[dict[str, Any]]:
    return [{"href": f"{API_PREFIX}/webhooks/{hook_id}", "rel": "urn.msys.webhooks.webhook",
             "method": ["GET", "PUT"]}]


def _validate_link(hook_id: str) -> dict[str, Any]:
    return {"href": f"{API_PREFIX}/webhooks/{hook_id}/validate", "rel": "urn.msys.webhooks.validate",
            "method": ["POST"]}


def _batches_link(hook_id: str) -> dict[str, Any]:
    return {"href": f"{API_PREFIX}/webhooks/{hook_id}/batch-status", "rel": "urn.msys.webhooks.batches",
            "method": ["GET"]}


def to_api(hook: dict[str, Any], with_id: bool) -> dict[str, Any]:
    """A list item (``with_id``) links to the webhook itself, a single GET to its validate and
    batch-status endpoints: the documented samples of "List all Webhooks" and "Retrieve a
    Webhook" (D-wh)."""
    out: dict[str, Any] = {"id": hook["id"]} if with_id else {}
    out.update({
        "name": hook["name"], "target": hook["target"], "events": list(hook["events"]),
        "exception_subaccounts": [str(i) for i in hook.get("exception_subaccounts") or []],
        "auth_type": hook.get("auth_type", "none"),
        "auth_request_details": dict(hook.get("auth_request_details") or {}),
        "auth_credentials": dict(hook.get("auth_credentials") or {}),
        "auth_token": hook.get("auth_token", ""),
        "custom_headers": dict(hook.get("custom_headers") or {}),
        "active": hook.get("active", True),
        "links": _links(hook["id"]) if with_id else [_validate_link(hook["id"]), _batches_link(hook["id"])],
    })
    if hook.get("last_successful"):
        out["last_successful"] = hook["last_successful"]
    return out


def _visible(req: Request, hook: dict[str, Any]) -> bool:
    return req.caller.header is None or hook.get("subaccount_id", -1) == req.caller.header


def _hook_or_404(req: Request) -> dict[str, Any]:
    hook = req.store.webhooks.get(req.params["id"])
    if hook is None or not _visible(req, hook):
        raise _not_found()
    return hook


def _check_exceptions_source(hook: dict[str, Any]) -> None:
    """exception_subaccounts is "only available for webhooks with Primary and All Subaccounts
    event source" (D-wh, Webhooks Object, Create and Update), i.e. subaccount_id -1.  Checked on
    the webhook as it would be after the request, so a PUT that moves the source must also
    empty the list."""
    if hook.get("exception_subaccounts") and hook.get("subaccount_id", -1) != -1:
        raise _invalid("exception_subaccounts is only available for webhooks with Primary and All "
                       "Subaccounts event source")


def _apply(hook: dict[str, Any], body: dict[str, Any]) -> None:
    for k in ("name", "target", "events", "active", "custom_headers", "exception_subaccounts",
              "auth_type", "auth_request_details", "auth_credentials", "auth_token", "subaccount_id"):
        if k in body:
            hook[k] = body[k]
    if hook.get("auth_type") != "basic" and hook.get("auth_type") != "oauth2":
        hook["auth_credentials"] = {}
    if hook.get("auth_type") != "oauth2":
        hook["auth_request_details"] = {}


def create(req: Request) -> Response:
    body = req.json_object()
    _check_fields(body, creating=True)
    hook: dict[str, Any] = {"id": str(uuid.uuid4()), "active": True, "auth_type": "none",
                            "subaccount_id": -1 if req.caller.header is None else req.caller.header}
    _apply(hook, {k: v for k, v in body.items() if k != "subaccount_id"})
    if hook["auth_type"] == "oauth2":
        hook["auth_credentials"] = {}
    _check_exceptions_source(hook)
    send_test_batch(hook)  # outside the store lock: the target may take up to 10 s
    with req.store.lock:
        req.store.webhooks[hook["id"]] = hook
        req.store.persist()
    return Response(200, {"results": {"id": hook["id"], "links": _links(hook["id"])}})


def list_all(req: Request) -> Response:
    with req.store.lock:
        hooks = [to_api(h, with_id=True) for h in req.store.webhooks.values() if _visible(req, h)]
    return Response(200, {"results": hooks})


def get_one(req: Request) -> Response:
    with req.store.lock:
        return Response(200, {"results": to_api(_hook_or_404(req), with_id=False)})


def update(req: Request) -> Response:
    body = req.json_object()
    _check_fields(body, creating=False)
    with req.store.lock:
        current = dict(_hook_or_404(req))
    changed = dict(current)
    _apply(changed, body)
    _check_exceptions_source(changed)
    if changed["target"] != current["target"]:
        send_test_batch(changed)
    with req.store.lock:
        if req.params["id"] not in req.store.webhooks:
            raise _not_found()
        req.store.webhooks[req.params["id"]] = changed
        req.store.persist()
    # The documented PUT answer links to validate only (D-wh, Update a Webhook).
    return Response(200, {"results": {"id": changed["id"], "links": [_validate_link(changed["id"])]}})


def delete(req: Request) -> Response:
    with req.store.lock:
        _hook_or_404(req)
        del req.store.webhooks[req.params["id"]]
        req.store.persist()
    return Response(204)


def validate(req: Request) -> Response:
    with req.store.lock:
        hook = dict(_hook_or_404(req))
    response = send_test_batch(hook)
    return Response(200, {"results": {"msg": "Test POST to endpoint succeeded", "response": response}})


def batch_status(req: Request) -> Response:
    """GET /v1/webhooks/{id}/batch-status{?limit} (D-wh, Retrieve Batch Status Information).
    The emulator delivers no event batches (only the test POSTs of create, update and
    validate, which are not batches), so the list is always empty."""
    limit = req.query.get("limit", "1000")
    if not is_uint_text(limit) or int(limit) < 1:
        raise _invalid("limit must be a positive integer")
    with req.store.lock:
        _hook_or_404(req)
    return Response(200, {"results": []})


def register(router: Router) -> None:
    base = f"{API_PREFIX}/webhooks"
    router.add("GET", base, list_all)
    router.add("POST", base, create)
    router.add("GET", f"{base}/{{id}}", get_one)
    router.add("PUT", f"{base}/{{id}}", update)
    router.add("DELETE", f"{base}/{{id}}", delete)
    router.add("POST", f"{base}/{{id}}/validate", validate)
    router.add("GET", f"{base}/{{id}}/batch-status", batch_status)
