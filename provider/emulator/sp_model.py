"""The emulator's objects, their JSON (de)serialisation and atomic persistence (seeding is in
sp_seed.py).

One `Store` holds one SparkPost account (primary + subaccounts) and the test-controlled
world around it (DNS table, metric counts, domains owned by *other* accounts).  Every
access goes through `Store.lock`; handlers mutate under the lock and then call
`Store.persist()`, which rewrites the state file atomically.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import secrets
import tempfile
import threading
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

STATE_VERSION = 1
KEY_RE = re.compile(r"^[0-9a-f]{40}\Z")
SUBACCOUNT_STATUSES = ("active", "suspended", "terminated")


class SeedError(ValueError):
    """A seed or state file that cannot be used; the message is one human line."""


def now_ms() -> str:
    """API-key timestamps: ISO-8601 with milliseconds and Z (UI fixtures)."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now_z() -> str:
    """DKIM-key timestamps: `2025-01-25T14:00:00Z` (D-sd DKIM key object)."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_offset() -> str:
    """Sending-domain timestamps: `2017-08-03T22:25:37+00:00` (UI fixtures)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def hash_key(secret: str) -> str:
    # Secrets are never stored, only their digest: state files and dumps stay key-free.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_hex(20)  # 40 lowercase hex, like every documented key


def new_status() -> dict[str, Any]:
    # New domains start unverified; compliance `valid` (the current docs; `pending` was
    # removed from the docs in 2023).
    return {
        "ownership_verified": False,
        "spf_status": "unverified",
        "abuse_at_status": "unverified",
        "dkim_status": "unverified",
        "cname_status": "unverified",
        "mx_status": "unverified",
        "compliance_status": "valid",
        "postmaster_at_status": "unverified",
        "verification_mailbox_status": "unverified",
    }


@dataclass
class Subaccount:
    id: int
    name: str
    status: str = "active"
    compliance_status: str = "active"
    ip_pool: str | None = None
    options: dict[str, Any] = field(default_factory=lambda: {"deliverability": False})
    created_at: str = field(default_factory=now_ms)
    updated_at: str = field(default_factory=now_ms)

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "status": self.status,
                               "compliance_status": self.compliance_status}
        if self.ip_pool:  # absent when unset (D-sub list sample, GO fixture)
            out["ip_pool"] = self.ip_pool
        out["options"] = dict(self.options)
        return out


@dataclass
class ApiKey:
    id: str
    key_sha256: str
    short_key: str
    label: str
    grants: list[str]
    valid_ips: list[str] = field(default_factory=list)
    subaccount_id: int | None = None
    created_at: str = field(default_factory=now_ms)

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label": self.label, "short_key": self.short_key,
                               "grants": list(self.grants)}
        if self.valid_ips:  # the UI fixtures omit it when empty (UNCONFIRMED)
            out["valid_ips"] = list(self.valid_ips)
        if self.subaccount_id is not None:
            out["subaccount_id"] = self.subaccount_id
        out["created_at"] = self.created_at
        return out


@dataclass
class SendingDomain:
    domain: str
    subaccount_id: int | None = None
    tracking_domain: str | None = None
    # {public, private, selector, signing_domain, headers}; `private` never leaves the emulator.
    dkim: dict[str, str] | None = None
    shared_with_subaccounts: bool = False
    is_default_bounce_domain: bool = False
    creation_time: str = field(default_factory=now_offset)
    status: dict[str, Any] = field(default_factory=new_status)
    verification_mailbox: str | None = None
    # Tokens "mailed" by mailbox verification; exposed only through /__emulator/state.
    mailbox_tokens: dict[str, str] = field(default_factory=dict)

    def public_dkim(self) -> dict[str, str] | None:
        if not self.dkim:
            return None
        return {k: self.dkim[k] for k in ("signing_domain", "public", "selector", "headers") if k in self.dkim}


@dataclass
class TrackingDomain:
    domain: str
    subaccount_id: int | None = None
    secure: bool = False
    default: bool = False
    verified: bool = False
    cname_status: str = "unverified"
    compliance_status: str = "valid"

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "domain": self.domain, "port": 443 if self.secure else 80, "secure": self.secure,
            "default": self.default,
            "status": {"verified": self.verified, "cname_status": self.cname_status,
                       "compliance_status": self.compliance_status},
        }
        if self.subaccount_id is not None:
            out["subaccount_id"] = self.subaccount_id
        return out


@dataclass
class DkimKey:
    """An additional DKIM key of a sending domain (D-sd, "DKIM Keys", 2026)."""
    id: str
    signing_domain: str
    public: str
    private: str
    selector: str
    headers: str
    dkim_status: str = "unverified"
    created_at: str = field(default_factory=now_z)
    updated_at: str = field(default_factory=now_z)


@dataclass
class AccountOptions:
    """Per-account switches for behaviour SparkPost varies by account or by date.

    * ``api_keys_api``: whether ``/api/v1/api-keys`` answers API-key callers at all.  Off by
      default: SparkPost documents no API-keys endpoint (no ``api-keys.apib`` in
      SparkPost/developers.sparkpost.com), its API index says "Create and manage your API
      Keys in the [app]" (content/api/index.apib, Authentication) and its subaccount guide
      says "Additional subaccount API keys must be created using the app"
      (SparkPost/support-docs content/docs/user-guide/subaccounts.md).  Accounts where the
      endpoint is enabled exist (the web app and a community gem call it), so tests that
      manage keys turn it on.  When off, every /api-keys request is 403, the status the API
      index gives for "See if your SparkPost plan includes the resource you are requesting".
    * ``error_descriptions``: classic error bodies carry ``description`` (true, what every
      current example in content/api/*.apib shows) or fold it into ``message`` as announced in
      support-docs content/docs/tech-resources/api-error-response-changes.md ("The
      `description` field will no longer be returned in error responses, in favor of the
      `message` field"; "The HTTP status code and the extended `code` field in responses will
      not be changed").
    """
    api_keys_api: bool = False
    error_descriptions: bool = True


OPTION_NAMES = ("api_keys_api", "error_descriptions")


def parse_options(data: Any, base: "AccountOptions | None" = None) -> AccountOptions:
    """Validate {"api_keys_api": bool, "error_descriptions": bool}; omitted fields keep `base`."""
    if not isinstance(data, dict):
        raise ValueError("options must be a JSON object")
    unknown = sorted(set(data) - set(OPTION_NAMES))
    if unknown:
        raise ValueError(f"unknown option(s): {', '.join(unknown)}; known: {', '.join(OPTION_NAMES)}")
    out = AccountOptions(**asdict(base)) if base else AccountOptions()
    for name in OPTION_NAMES:
        if name in data:
            if not isinstance(data[name], bool):
                raise ValueError(f"option {name} must be true or false")
            setattr(out, name, data[name])
    return out


@dataclass
class IpPool:
    id: str
    name: str
    signing_domain: str | None = None
    fbl_signing_domain: str | None = None
    auto_warmup_overflow_pool: str | None = None
    # Sending IPs {external_ip, hostname, auto_warmup_enabled, auto_warmup_stage?} (D-ipp);
    # only seeds put IPs here: the API assigns them through /sending-ips, not modelled.
    ips: list[dict[str, Any]] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "ips": [dict(i) for i in self.ips]}
        for k in ("signing_domain", "fbl_signing_domain", "auto_warmup_overflow_pool"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        return out


def default_pool() -> IpPool:
    # Every SparkPost account has the reserved `default` pool.
    return IpPool(id="default", name="Default")


class Store:
    """All objects of the emulated account.  Callers hold `lock` around any access."""

    def __init__(self, state_path: str | None = None) -> None:
        self.lock = threading.RLock()
        self.state_path = state_path
        self.clear()

    def clear(self) -> None:
        self.subaccounts: dict[int, Subaccount] = {}
        self.keys: dict[str, ApiKey] = {}                 # by id
        self.key_index: dict[str, str] = {}               # sha256(secret) -> id
        self.domains: dict[str, SendingDomain] = {}       # by lower-case name
        self.tracking_domains: dict[str, TrackingDomain] = {}
        self.ip_pools: dict[str, IpPool] = {"default": default_pool()}
        self.dns: list[dict[str, Any]] = []
        self.metrics: dict[int, dict[str, int]] = {}      # subaccount id (0 = primary) -> counts
        # Dated counts {subaccount_id, ts "YYYY-MM-DDTHH:MM", counts}: only in windows holding ts.
        self.metric_samples: list[dict[str, Any]] = []
        self.webhooks: dict[str, dict[str, Any]] = {}     # by id; the API object (sp_webhooks)
        self.privacy_requests: list[dict[str, Any]] = []  # data-privacy requests received
        self.foreign_domains: list[str] = []              # owned by *other* SparkPost accounts
        self.restricted_domains: list[str] = []           # SparkPost refuses them: 400/7000
        self.next_subaccount_id = 1
        # Extra DKIM keys per sending domain (D-sd "DKIM Keys"): domain -> key id -> key.
        self.dkim_keys: dict[str, dict[str, DkimKey]] = {}
        # Account switches (see `AccountOptions`); kept by `clear()` only through `reset()`.
        self.options = AccountOptions()

    # ---- keys -------------------------------------------------------------------------
    def add_key(self, *, secret: str | None, label: str, grants: list[str],
                valid_ips: list[str] | None = None, subaccount_id: int | None = None,
                key_id: str | None = None) -> tuple[ApiKey, str]:
        secret = secret or new_secret()
        digest = hash_key(secret)
        if digest in self.key_index:
            raise SeedError("an API key with that secret already exists")
        key = ApiKey(id=key_id or str(uuid.uuid4()), key_sha256=digest, short_key=secret[:4],
                     label=label, grants=list(grants), valid_ips=list(valid_ips or []),
                     subaccount_id=subaccount_id)
        self.keys[key.id] = key
        self.key_index[digest] = key.id
        return key, secret

    def remove_key(self, key_id: str) -> None:
        key = self.keys.pop(key_id)
        self.key_index.pop(key.key_sha256, None)

    def key_for_secret(self, secret: str) -> ApiKey | None:
        key_id = self.key_index.get(hash_key(secret))
        return self.keys.get(key_id) if key_id else None

    def new_subaccount(self, name: str) -> Subaccount:
        sub = Subaccount(id=self.next_subaccount_id, name=name)
        self.subaccounts[sub.id] = sub
        self.next_subaccount_id += 1
        return sub

    def dns_lookup(self, rtype: str, name: str) -> list[Any]:
        name = name.lower().rstrip(".")
        return [r["value"] for r in self.dns
                if r["type"].upper() == rtype and str(r["name"]).lower().rstrip(".") == name]

    # ---- persistence ------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "next_subaccount_id": self.next_subaccount_id,
            "subaccounts": [asdict(s) for s in self.subaccounts.values()],
            "keys": [asdict(k) for k in self.keys.values()],
            "sending_domains": [asdict(d) for d in self.domains.values()],
            "tracking_domains": [asdict(t) for t in self.tracking_domains.values()],
            "ip_pools": [asdict(p) for p in self.ip_pools.values()],
            "dns": list(self.dns),
            "metrics": [{"subaccount_id": sid, **counts} for sid, counts in self.metrics.items()],
            "metric_samples": list(self.metric_samples),
            "webhooks": list(self.webhooks.values()),
            "privacy_requests": list(self.privacy_requests),
            "foreign_domains": list(self.foreign_domains),
            "restricted_domains": list(self.restricted_domains),
            "dkim_keys": {d: [asdict(k) for k in keys.values()] for d, keys in self.dkim_keys.items()},
            "options": asdict(self.options),
        }

    def load_json(self, data: dict[str, Any]) -> None:
        try:
            self.clear()
            self.next_subaccount_id = int(data.get("next_subaccount_id", 1))
            for s in data.get("subaccounts", []):
                self.subaccounts[s["id"]] = Subaccount(**s)
            for k in data.get("keys", []):
                key = ApiKey(**k)
                self.keys[key.id] = key
                self.key_index[key.key_sha256] = key.id
            for d in data.get("sending_domains", []):
                self.domains[d["domain"]] = SendingDomain(**d)
            for t in data.get("tracking_domains", []):
                self.tracking_domains[t["domain"]] = TrackingDomain(**t)
            for p in data.get("ip_pools", []):
                self.ip_pools[p["id"]] = IpPool(**p)
            self.dns = [dict(r) for r in data.get("dns", [])]
            for m in data.get("metrics", []):
                m = dict(m)
                self.metrics[int(m.pop("subaccount_id"))] = {k: int(v) for k, v in m.items()}
            self.metric_samples = [dict(m) for m in data.get("metric_samples", [])]
            self.webhooks = {w["id"]: dict(w) for w in data.get("webhooks", [])}
            self.privacy_requests = [dict(r) for r in data.get("privacy_requests", [])]
            self.foreign_domains = [str(d) for d in data.get("foreign_domains", [])]
            self.restricted_domains = [str(d) for d in data.get("restricted_domains", [])]
            for dom, keys in (data.get("dkim_keys") or {}).items():
                self.dkim_keys[dom] = {k["id"]: DkimKey(**k) for k in keys}
            self.options = parse_options(data.get("options") or {})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self.clear()
            raise SeedError(f"malformed state: {exc.__class__.__name__}: {exc}") from None

    def persist(self) -> None:
        """Write the state file atomically (temp file in the same dir + os.replace)."""
        if not self.state_path:
            return
        path = os.path.abspath(self.state_path)
        directory = os.path.dirname(path)
        fd, tmp = tempfile.mkstemp(prefix=".sparkpost-emulator-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.to_json(), fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def load_file(self, path: str) -> None:
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            raise SeedError(f"cannot read state file {path}: {exc}") from None
        if not isinstance(data, dict):
            raise SeedError(f"state file {path} is not a JSON object")
        self.load_json(data)
