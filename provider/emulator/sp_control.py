"""The out-of-band control API under /__emulator/ (a path SparkPost never uses).

No authentication, never counted in the request log, never subject to faults.  Errors
are `{"error": "<text>"}` with 400/404/405/409.  Contract:

  GET|PUT|DELETE  /__emulator/faults        fault settings (PUT replaces all of them)
  GET|PUT         /__emulator/options       account options {api_keys_api, error_descriptions}
                                            (PUT changes the ones given; sp_model.AccountOptions)
  GET|DELETE      /__emulator/requests      request counters and log
  GET|PUT|POST|DELETE /__emulator/dns       DNS table; PUT replaces, POST adds
  POST            /__emulator/keys          {key?, label, grants, valid_ips, subaccount_id} -> {id, key}
  GET|POST|DELETE /__emulator/metrics       deliverability counts per subaccount (0 = primary);
                                            a row with "ts" is a dated sample (sp_metrics)
  GET             /__emulator/state         every object, without key secrets
  POST            /__emulator/reset         forget every object (faults and log are kept)
  GET|PUT|POST|DELETE /__emulator/foreign-domains   domains owned by other accounts (7004)
  GET|PUT|POST|DELETE /__emulator/restricted-domains   domains SparkPost will not take (7000)
  GET             /__emulator/health        {"ok": true, "region": ...}
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Callable

from .sp_faults import parse_settings
from .sp_model import KEY_RE, SeedError
from .sp_seed import parse_dns_records
from .sp_validate import is_int, is_str_list, is_valid_ip_entry

if TYPE_CHECKING:
    from .sp_app import Outcome
    from .sparkpost import Emulator

class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_records(data: Any) -> list[dict[str, Any]]:
    try:
        return parse_dns_records(data)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None


def parse_domains(data: Any) -> list[str]:
    if isinstance(data, dict):
        data = data.get("domains")
    if not is_str_list(data):
        raise ControlError(400, "expected {\"domains\": [\"example.com\", ...]}")
    return [d.lower().rstrip(".") for d in data]


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: answers echoing them are not JSON either


class Control:
    def __init__(self, emulator: "Emulator") -> None:
        self.emu = emulator
        self.routes: dict[str, dict[str, Callable[[Any, dict[str, str]], Any]]] = {
            "faults": {"GET": self.faults_get, "PUT": self.faults_put, "DELETE": self.faults_delete},
            "requests": {"GET": self.requests_get, "DELETE": self.requests_delete},
            "options": {"GET": lambda _b, _q: self.emu.get_options(), "PUT": self.options_put},
            "dns": {"GET": self.dns_get, "PUT": self.dns_put, "POST": self.dns_post, "DELETE": self.dns_delete},
            "keys": {"POST": self.keys_post},
            "metrics": {"GET": self.metrics_get, "POST": self.metrics_post, "DELETE": self.metrics_delete},
            "state": {"GET": self.state_get},
            "reset": {"POST": self.reset_post},
            "foreign-domains": self._domain_list("foreign_domains"),
            "restricted-domains": self._domain_list("restricted_domains"),
            "health": {"GET": lambda _b, _q: {"ok": True, "region": self.emu.region}},
        }

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> "Outcome":
        from .sp_app import json_outcome
        name = path[len("/__emulator"):].strip("/")
        methods = self.routes.get(name)
        try:
            if methods is None:
                raise ControlError(404, f"unknown emulator control path {path}")
            handler = methods.get(method)
            if handler is None:
                raise ControlError(405, f"{method} not supported on {path}; use {', '.join(methods)}")
            try:
                data = json.loads(body.decode("utf-8"), parse_constant=_not_json) if body.strip() else None
            except (UnicodeDecodeError, ValueError, RecursionError):  # Recursion: nested too deeply
                raise ControlError(400, "body is not valid JSON") from None
            return json_outcome(200, handler(data, query))
        except ControlError as err:
            return json_outcome(err.status, {"error": str(err)})

    # ---- faults ------------------------------------------------------------------------
    def faults_get(self, _body: Any, _q: dict[str, str]) -> Any:
        return self.emu.faults.snapshot()

    def faults_put(self, body: Any, _q: dict[str, str]) -> Any:
        try:
            settings = parse_settings(body if body is not None else {})
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        self.emu.faults.configure(settings)
        return self.emu.faults.snapshot()

    def faults_delete(self, _body: Any, _q: dict[str, str]) -> Any:
        self.emu.faults.clear()
        return self.emu.faults.snapshot()

    def options_put(self, body: Any, _q: dict[str, str]) -> Any:
        if not isinstance(body, dict):
            raise ControlError(400, "body must be a JSON object, e.g. {\"api_keys_api\": true}")
        try:
            return self.emu.set_options(**body)
        except SeedError as exc:
            raise ControlError(400, str(exc)) from None

    # ---- request log -------------------------------------------------------------------
    def requests_get(self, _body: Any, _q: dict[str, str]) -> Any:
        return self.emu.requests.snapshot()

    def requests_delete(self, _body: Any, _q: dict[str, str]) -> Any:
        self.emu.requests.reset()
        return self.emu.requests.snapshot()

    # ---- DNS ---------------------------------------------------------------------------
    def dns_get(self, _body: Any, _q: dict[str, str]) -> Any:
        with self.emu.store.lock:
            return {"records": list(self.emu.store.dns)}

    def dns_put(self, body: Any, _q: dict[str, str]) -> Any:
        self.emu.set_dns(parse_records(body))
        return self.dns_get(None, _q)

    def dns_post(self, body: Any, _q: dict[str, str]) -> Any:
        self.emu.add_dns(parse_records(body))
        return self.dns_get(None, _q)

    def dns_delete(self, _body: Any, _q: dict[str, str]) -> Any:
        self.emu.set_dns([])
        return {"records": []}

    # ---- keys --------------------------------------------------------------------------
    def keys_post(self, body: Any, _q: dict[str, str]) -> Any:
        if not isinstance(body, dict):
            raise ControlError(400, "body must be a JSON object")
        secret = body.get("key")
        if secret is not None and not (isinstance(secret, str) and KEY_RE.match(secret)):
            raise ControlError(400, "key must be 40 lowercase hex characters")
        grants = body.get("grants", [])
        if not is_str_list(grants):
            raise ControlError(400, "grants must be a list of strings")
        ips = body.get("valid_ips") or []
        if not is_str_list(ips) or not all(is_valid_ip_entry(i) for i in ips):
            raise ControlError(400, "valid_ips must be a list of IPv4 addresses or CIDRs")
        sid = body.get("subaccount_id")
        if sid is not None and not is_int(sid):
            raise ControlError(400, "subaccount_id must be an integer or null")
        label = body.get("label", "emulator key")
        if not isinstance(label, str):
            raise ControlError(400, "label must be a string")
        try:
            key_id, secret = self.emu.create_key(key=secret, grants=grants, label=label, valid_ips=ips,
                                                 subaccount_id=sid or None)
        except SeedError as exc:
            raise ControlError(409 if "exists" in str(exc) else 400, str(exc)) from None
        return {"id": key_id, "key": secret}

    # ---- metrics -----------------------------------------------------------------------
    def metrics_get(self, _body: Any, _q: dict[str, str]) -> Any:
        with self.emu.store.lock:
            return {"metrics": [{"subaccount_id": sid, **c} for sid, c in self.emu.store.metrics.items()]
                    + [{"subaccount_id": m["subaccount_id"], "ts": m["ts"], **m["counts"]}
                       for m in self.emu.store.metric_samples]}

    def metrics_post(self, body: Any, _q: dict[str, str]) -> Any:
        rows = body if isinstance(body, list) else [body]
        for row in rows:
            if not isinstance(row, dict):
                raise ControlError(400, "body must be an object (or a list of objects)")
            counts = {k: v for k, v in row.items() if k not in ("subaccount_id", "ts")}
            sid = row.get("subaccount_id", 0)
            if not is_int(sid) or sid < 0 or not all(is_int(v) for v in counts.values()):
                raise ControlError(400, "subaccount_id and every count must be integers")
            try:
                self.emu.seed_metrics(sid, ts=row.get("ts"), **counts)
            except SeedError as exc:
                raise ControlError(400, str(exc)) from None
        return self.metrics_get(None, _q)

    def metrics_delete(self, _body: Any, _q: dict[str, str]) -> Any:
        with self.emu.store.lock:
            self.emu.store.metrics.clear()
            self.emu.store.metric_samples.clear()
            self.emu.store.persist()
        return {"metrics": []}

    # ---- state -------------------------------------------------------------------------
    def state_get(self, _body: Any, _q: dict[str, str]) -> Any:
        return self.emu.dump_state()

    def reset_post(self, _body: Any, _q: dict[str, str]) -> Any:
        self.emu.reset()
        return self.emu.dump_state()

    # ---- foreign and restricted domains ------------------------------------------------
    def _domain_list(self, attr: str) -> dict[str, Callable[[Any, dict[str, str]], Any]]:
        """GET, PUT (replace), POST (add) and DELETE (empty) of one of the store's domain lists."""

        def get(_body: Any, _q: dict[str, str]) -> Any:
            with self.emu.store.lock:
                return {"domains": list(getattr(self.emu.store, attr))}

        def put(body: Any, q: dict[str, str]) -> Any:
            domains = parse_domains(body)
            with self.emu.store.lock:
                setattr(self.emu.store, attr, domains)
                self.emu.store.persist()
            return get(None, q)

        def post(body: Any, q: dict[str, str]) -> Any:
            for d in parse_domains(body):
                self.emu.add_listed_domain(attr, d)
            return get(None, q)

        return {"GET": get, "PUT": put, "POST": post, "DELETE": lambda _b, q: put({"domains": []}, q)}


def state_dump(emu: "Emulator") -> dict[str, Any]:
    """Every object, for orphan checks.  Key secrets (and their digests) are left out."""
    s = emu.store
    with s.lock:
        keys = []
        for k in s.keys.values():
            item = asdict(k)
            item.pop("key_sha256")
            keys.append(item)
        domains = []
        for d in s.domains.values():
            item = asdict(d)
            if item["dkim"]:
                item["dkim"] = d.public_dkim()
            domains.append(item)
        return {
            "region": emu.region,
            "subaccounts": [{**sub.to_api(), "created_at": sub.created_at, "updated_at": sub.updated_at}
                            for sub in s.subaccounts.values()],
            "keys": keys,
            "sending_domains": domains,
            "tracking_domains": [t.to_api() for t in s.tracking_domains.values()],
            "ip_pools": [p.to_api() for p in s.ip_pools.values()],
            "dns": list(s.dns),
            "metrics": [{"subaccount_id": sid, **c} for sid, c in s.metrics.items()],
            "webhooks": [{k: v for k, v in w.items() if k != "auth_credentials"} for w in s.webhooks.values()],
            "privacy_requests": list(s.privacy_requests),
            "foreign_domains": list(s.foreign_domains),
            "restricted_domains": list(s.restricted_domains),
            "dkim_keys": {dom: [{k: v for k, v in asdict(key).items() if k != "private"} for key in keys.values()]
                          for dom, keys in s.dkim_keys.items()},
            "options": asdict(s.options),
        }
