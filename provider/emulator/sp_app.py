"""The request pipeline, independent of sockets: faults, auth, scope, grants, body, handler.

Order of checks for /api/v1 requests (first failure wins):
  faults (latency, drop, 429, 503) -> prefix (404/1101) -> authentication (401) ->
  X-MSYS-SUBACCOUNT (400) -> route (404/1101, 405/1102) -> grants (403) ->
  API-keys gate (403) -> body Content-Type and JSON (415/1700, 422/1300, 400/1305) ->
  suspended scope (403) -> handler.

Then, when the account option ``error_descriptions`` is off, every classic error body has
its ``description`` folded into ``message`` (see `sp_model.AccountOptions`).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import parse_qsl, unquote

from . import (sp_account, sp_api_keys, sp_dkim_keys, sp_errors, sp_sending_domains, sp_subaccounts,
               sp_tracking_domains)
from . import sp_data_privacy, sp_ip_pools, sp_metrics, sp_webhooks
from .sp_faults import MAX_LATENCY_MS, FaultInjector
from .sp_grants import PRIMARY_ONLY_RESOURCES, accepted_grants
from .sp_model import ApiKey, Store
from .sp_reqlog import RequestLog
from .sp_router import API_PREFIX, Caller, Request, Response, Router
from .sp_validate import ip_allowed, is_uint_text

CONTROL_PREFIX = "/__emulator"
_WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
# Resources whose objects belong to a subaccount: a suspended/terminated subaccount is
# read-only (S-subguide: "no create/edit/delete; can still view").
_SCOPED_RESOURCES = frozenset({"sending-domains", "tracking-domains", "api-keys", "webhooks"})


@dataclass
class Outcome:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def json_outcome(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Outcome:
    out = Outcome(status=status, headers=dict(headers or {}))
    if status != 204 and body is not None:
        out.body = json.dumps(body).encode()
        out.headers["Content-Type"] = "application/json"
    return out


def build_router() -> Router:
    router = Router()
    for module in (sp_subaccounts, sp_api_keys, sp_sending_domains, sp_dkim_keys, sp_tracking_domains, sp_account,
                   sp_ip_pools, sp_metrics, sp_webhooks, sp_data_privacy):
        module.register(router)
    return router


def key_from_authorization(value: str | None) -> str | None:
    """`Authorization: <raw key>` or `Basic base64(<key>:)` (D-idx).  No Bearer scheme."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return value


def _resource_of(path: str) -> str | None:
    if not path.startswith(API_PREFIX + "/"):
        return None
    return path[len(API_PREFIX) + 1:].split("/")[0] or None


def _is_json_type(content_type: str) -> bool:
    mime = content_type.split(";")[0].strip().lower()
    return mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))


class App:
    def __init__(self, store: Store, region: str, faults: FaultInjector, reqlog: RequestLog,
                 verbose: bool = False) -> None:
        self.store = store
        self.region = region
        self.faults = faults
        self.reqlog = reqlog
        self.verbose = verbose
        self.router = build_router()
        self.control: Any = None  # set by the Emulator (avoids an import cycle)

    # ---- entry point -------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes,
               client_ip: str) -> Outcome:
        started = time.time()
        raw_path, _, qs = target.partition("?")
        path = unquote(raw_path)
        query = dict(parse_qsl(qs, keep_blank_values=True))  # repeated params: last one wins
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            outcome: Outcome = self.control.handle(method, path.rstrip("/"), query, body)  # never counted
            return outcome
        path = path.rstrip("/") or "/"  # trailing slashes are ignored (D-idx)
        match = self.router.match(method, path)
        route = f"{method} {match.template}" if match.template else None
        key = self.reqlog.arrive(method, route)  # in flight until answered (or dropped): tests wait on this
        try:
            return self._handle_api(method, path, query, headers, body, client_ip, started, match, route)
        finally:
            self.reqlog.leave(key)

    def _handle_api(self, method: str, path: str, query: dict[str, str], headers: Mapping[str, str],
                    body: bytes, client_ip: str, started: float, match: Any, route: str | None) -> Outcome:
        decision = self.faults.decide(_resource_of(path), route)
        if decision.latency_s > 0:
            time.sleep(decision.latency_s)  # in this request's own thread: others proceed
        if decision.hold is not None:
            decision.hold.wait(MAX_LATENCY_MS / 1000)  # until the fault settings change
        sub_hint = self._header_hint(headers)
        if decision.action == "drop" and not decision.drop_after:
            self.reqlog.record(method, path, route, None, sub_hint, started)
            return Outcome(drop=True)
        if decision.action == "429":
            extra = {} if decision.retry_after is None else {"Retry-After": str(decision.retry_after)}
            err = sp_errors.too_many_requests()
            self.reqlog.record(method, path, route, 429, sub_hint, started)
            return json_outcome(429, err.body, extra)
        if decision.action == "503":
            self.reqlog.record(method, path, route, 503, sub_hint, started)
            return json_outcome(503, sp_errors.service_unavailable().body)
        scope: list[int | None] = [sub_hint]
        try:
            resp = self._api(method, path, query, headers, body, client_ip, match, scope)
            outcome = json_outcome(resp.status, resp.body, resp.headers)
        except sp_errors.ApiError as err:
            outcome = json_outcome(err.status, err.body, err.headers)
        except Exception:  # a bug must never leak a traceback to the client
            sys.stderr.write("sparkpost-emulator: internal error\n" + traceback.format_exc())
            outcome = json_outcome(500, sp_errors.classic(500, "1500", "internal error").body)
        with self.store.lock:
            fold = not self.store.options.error_descriptions
        if fold and outcome.status >= 400 and outcome.body:
            outcome.body = sp_errors.fold_descriptions(outcome.body)
        if decision.action == "drop":  # drop_mode "after": applied, but the answer is lost
            self.reqlog.record(method, path, route, None, scope[0], started)
            return Outcome(drop=True)
        self.reqlog.record(method, path, route, outcome.status, scope[0], started)
        return outcome

    @staticmethod
    def _header_hint(headers: Mapping[str, str]) -> int | None:
        raw = (headers.get("X-MSYS-SUBACCOUNT") or "").strip()
        return int(raw) if is_uint_text(raw) else None

    # ---- /api/v1 ------------------------------------------------------------------------
    def _api(self, method: str, path: str, query: dict[str, str], headers: Mapping[str, str],
             body: bytes, client_ip: str, match: Any, scope: list[int | None]) -> Response:
        if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            raise sp_errors.invalid_uri(path)  # the /api/v1 prefix is mandatory
        key = self._authenticate(headers, client_ip)
        header = self._subaccount_header(headers, key, match.resource)
        scope[0] = header
        if match.template is None:
            raise sp_errors.invalid_uri(path)
        if match.route is None:
            raise sp_errors.method_not_allowed(method, path, match.allowed)
        resource = match.route.resource
        if key.subaccount_id is not None and resource in PRIMARY_ONLY_RESOURCES:
            raise sp_errors.forbidden()
        needed = accepted_grants(resource, method)
        if needed and not any(g in key.grants for g in needed):
            raise sp_errors.forbidden()
        if resource == "api-keys":
            with self.store.lock:
                if not self.store.options.api_keys_api:
                    # The account lacks the API-keys API (see sp_model.AccountOptions): the same
                    # 403 as a missing grant, since SparkPost documents no other answer.
                    raise sp_errors.forbidden()
        parsed = self._parse_body(headers, body)
        if method in _WRITE_METHODS and resource in _SCOPED_RESOURCES and header:
            with self.store.lock:
                sub = self.store.subaccounts.get(header)
                if sub is not None and sub.status != "active":
                    raise sp_errors.forbidden()
        req = Request(method=method, path=path, query=query, body=parsed, params=match.params,
                      caller=Caller(key=key, header=header), client_ip=client_ip,
                      region=self.region, store=self.store)
        response: Response = match.route.handler(req)
        return response

    def _authenticate(self, headers: Mapping[str, str], client_ip: str) -> ApiKey:
        secret = key_from_authorization(headers.get("Authorization"))
        if secret is None:
            raise sp_errors.unauthorized()
        with self.store.lock:
            key = self.store.key_for_secret(secret)
            if key is None or not ip_allowed(client_ip, key.valid_ips):
                # A caller outside valid_ips gets 401 as well (CIVI, BLOG-IP).
                raise sp_errors.unauthorized()
            return key

    def _subaccount_header(self, headers: Mapping[str, str], key: ApiKey, resource: str | None) -> int | None:
        raw = headers.get("X-MSYS-SUBACCOUNT")
        if key.subaccount_id is not None:
            return key.subaccount_id  # a subaccount key's scope "will always be overwritten"
        if raw is None or resource == "metrics":
            return None  # metrics ignore the header entirely; `subaccounts=` selects (D-met)
        raw = raw.strip()
        if not is_uint_text(raw):
            # "optional, but if provided, must be a number" (D-sub); the status is UNCONFIRMED.
            raise sp_errors.classic(400, "1200", "invalid params", "X-MSYS-SUBACCOUNT must be a number")
        value = int(raw)
        with self.store.lock:
            if value != 0 and value not in self.store.subaccounts:
                raise sp_errors.classic(400, "1200", "invalid params", f"Subaccount {value} does not exist")
        return value

    @staticmethod
    def _parse_body(headers: Mapping[str, str], body: bytes) -> Any:
        if not body.strip():
            return None
        content_type = headers.get("Content-Type") or ""
        if not _is_json_type(content_type):
            raise sp_errors.unsupported_media_type(content_type)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise sp_errors.not_utf8() from None
        try:
            # NaN and Infinity are not JSON (RFC 8259), and SparkPost's parser refuses them;
            # Python's would accept them and echo them back in error values, making the answer
            # itself invalid JSON. RecursionError: nested too deeply to parse.
            return json.loads(text, parse_constant=_not_json_constant, parse_float=_finite_float)
        except (ValueError, RecursionError):
            raise sp_errors.bad_json() from None


def _not_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    """A number too large for a double (`1e999`) would parse as infinity and come back in an
    error's `value` as `Infinity`, which is not JSON.  SparkPost bounds its numbers ("Our JSON
    number type is bounded to a signed 32-bit integer", index.apib, API Conventions), so such a
    body is one it cannot parse: the same 422/1300 as NaN."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is out of range")
    return value
