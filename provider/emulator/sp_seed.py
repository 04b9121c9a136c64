"""Seeding the emulator: a seed document (format in the `provider.emulator.sparkpost` docstring)
loaded into a `Store`, the DNS records of the test-controlled DNS table, and metric counts. A bad
document is a `SeedError` that says what is wrong."""

from __future__ import annotations

import re
from typing import Any

from . import sp_dkim
from .sp_model import (
    KEY_RE,
    SUBACCOUNT_STATUSES,
    IpPool,
    SeedError,
    SendingDomain,
    Store,
    Subaccount,
    TrackingDomain,
    new_status,
    parse_options,
)
from .sp_validate import is_int, is_str_list, is_valid_ip_entry

DNS_TYPES = ("TXT", "CNAME", "MX", "A", "AAAA")


def parse_dns_records(data: Any) -> list[dict[str, Any]]:
    """Accept {"records": [...]}, a bare list, or one record object; raise ValueError."""
    if isinstance(data, dict) and "records" in data:
        data = data["records"]
    elif isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValueError('expected {"records": [{"type", "name", "value"}, ...]}')
    out = []
    for r in data:
        if not isinstance(r, dict) or not isinstance(r.get("name"), str) or not isinstance(r.get("type"), str):
            raise ValueError("each DNS record needs string 'type' and 'name'")
        rtype = r["type"].upper()
        if rtype not in DNS_TYPES:
            raise ValueError(f"DNS record type must be one of {', '.join(DNS_TYPES)}")
        value = r.get("value")
        if not (isinstance(value, str) or (rtype == "TXT" and is_str_list(value))):
            raise ValueError("DNS record 'value' must be a string (or a list of strings for TXT)")
        out.append({"type": rtype, "name": r["name"], "value": value})
    return out


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise SeedError(f"invalid seed: {what}")


_SEED_LISTS = ("ip_pools", "subaccounts", "keys", "tracking_domains", "sending_domains", "dns", "metrics",
               "foreign_domains", "restricted_domains")


def apply_seed(store: Store, seed: dict[str, Any]) -> None:
    """Load a seed document (format in the `provider.emulator.sparkpost` docstring)."""
    _need(isinstance(seed, dict), "the document must be a JSON object")
    if "options" in seed:
        try:
            store.options = parse_options(seed["options"], store.options)
        except ValueError as exc:
            raise SeedError(f"invalid seed: {exc}") from None
    for name in _SEED_LISTS:
        _need(isinstance(seed.get(name, []), list), f"'{name}' must be a list")
    try:
        _apply_seed(store, seed)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        if isinstance(exc, SeedError):
            raise
        raise SeedError(f"invalid seed: {exc.__class__.__name__}: {exc}") from None


def _apply_seed(store: Store, seed: dict[str, Any]) -> None:
    for p in seed.get("ip_pools", []):
        _need(isinstance(p, dict) and isinstance(p.get("id"), str) and isinstance(p.get("name", ""), str),
              "ip_pools[] needs a string id (and name)")
        ips = p.get("ips", [])
        _need(isinstance(ips, list) and all(isinstance(i, dict) and isinstance(i.get("external_ip"), str)
                                            for i in ips), "ip_pools[].ips entries need an external_ip")
        store.ip_pools[p["id"]] = IpPool(
            id=p["id"], name=str(p.get("name", p["id"])),
            fbl_signing_domain=p.get("fbl_signing_domain") or None,
            signing_domain=p.get("signing_domain") or None,
            auto_warmup_overflow_pool=p.get("auto_warmup_overflow_pool") or None,
            ips=[{"external_ip": i["external_ip"], "hostname": str(i.get("hostname", "")),
                  "auto_warmup_enabled": bool(i.get("auto_warmup_enabled", False)),
                  **({"auto_warmup_stage": int(i["auto_warmup_stage"])} if "auto_warmup_stage" in i else {})}
                 for i in ips])
    for s in seed.get("subaccounts", []):
        _need(isinstance(s, dict) and isinstance(s.get("name"), str), "subaccounts[] needs a name")
        sid = s.get("id", store.next_subaccount_id)
        _need(is_int(sid) and sid > 0 and sid not in store.subaccounts, f"bad or duplicate subaccount id {sid!r}")
        status = s.get("status", "active")
        _need(status in SUBACCOUNT_STATUSES, f"bad subaccount status {status!r}")
        store.subaccounts[sid] = Subaccount(
            id=sid, name=s["name"], status=status,
            compliance_status=str(s.get("compliance_status", "active")),
            ip_pool=s.get("ip_pool") or None,
            options={"deliverability": bool((s.get("options") or {}).get("deliverability", False))})
        store.next_subaccount_id = max(store.next_subaccount_id, sid + 1)
    for k in seed.get("keys", []):
        _need(isinstance(k, dict), "keys[] entries must be objects")
        secret = k.get("key")
        _need(isinstance(secret, str) and bool(KEY_RE.match(secret)),
              "keys[].key must be 40 lowercase hex characters")
        grants = k.get("grants", [])
        _need(is_str_list(grants), "keys[].grants must be a list of strings")
        ips = k.get("valid_ips", [])
        _need(is_str_list(ips) and all(is_valid_ip_entry(i) for i in ips),
              "keys[].valid_ips must be IPv4/CIDR strings")
        sid = k.get("subaccount_id")
        _need(sid is None or sid in store.subaccounts, f"keys[].subaccount_id {sid!r} is not a seeded subaccount")
        store.add_key(secret=secret, label=str(k.get("label", "seeded key")), grants=grants,
                      valid_ips=ips, subaccount_id=sid, key_id=k.get("id"))
    for t in seed.get("tracking_domains", []):
        _need(isinstance(t, dict) and isinstance(t.get("domain"), str), "tracking_domains[] needs a domain")
        _need(t.get("subaccount_id") is None or t["subaccount_id"] in store.subaccounts,
              f"tracking domain {t['domain']}: unknown subaccount_id {t.get('subaccount_id')!r}")
        store.tracking_domains[t["domain"].lower()] = TrackingDomain(
            domain=t["domain"].lower(), subaccount_id=t.get("subaccount_id"),
            secure=bool(t.get("secure", False)), verified=bool(t.get("verified", False)))
    for d in seed.get("sending_domains", []):
        _seed_domain(store, d)
    try:
        store.dns.extend(parse_dns_records(seed.get("dns", [])))
    except ValueError as exc:
        raise SeedError(f"invalid seed: {exc}") from None
    for m in seed.get("metrics", []):
        _need(isinstance(m, dict), "metrics[] entries must be objects")
        m = dict(m)
        sid = int(m.pop("subaccount_id", 0))
        ts = m.pop("ts", None)
        add_metrics(store, sid, {k: int(v) for k, v in m.items()}, ts)
    for f in seed.get("foreign_domains", []):
        _need(isinstance(f, str), "foreign_domains[] must be strings")
        store.foreign_domains.append(f.lower())
    for r in seed.get("restricted_domains", []):
        _need(isinstance(r, str), "restricted_domains[] must be strings")
        store.restricted_domains.append(r.lower().rstrip("."))


def add_metrics(store: Store, sid: int, counts: dict[str, int], ts: Any = None) -> None:
    """Seed counts: undated ones replace the named totals (every window sees them); with
    ``ts`` ("YYYY-MM-DDTHH:MM", UTC) they are one dated sample (windows holding ts see it)."""
    if ts is None:
        store.metrics.setdefault(sid, {}).update(counts)
        return
    if not isinstance(ts, str) or not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$", ts):
        raise SeedError("invalid seed: metrics[].ts must be YYYY-MM-DDTHH:MM (UTC)")
    store.metric_samples.append({"subaccount_id": sid, "ts": ts, "counts": counts})


def _seed_domain(store: Store, d: Any) -> None:
    _need(isinstance(d, dict) and isinstance(d.get("domain"), str), "sending_domains[] needs a domain")
    name = d["domain"].lower()
    sid = d.get("subaccount_id")
    _need(sid is None or sid in store.subaccounts, f"sending domain {name}: unknown subaccount_id {sid!r}")
    dkim: dict[str, str] | None = None
    if isinstance(d.get("dkim"), dict):
        given = d["dkim"]
        _need(isinstance(given.get("public"), str) and isinstance(given.get("selector"), str),
              f"sending domain {name}: dkim needs public and selector")
        dkim = {"public": sp_dkim.normalise_key_text(given["public"]), "selector": given["selector"],
                "signing_domain": given.get("signing_domain") or name,
                "headers": given.get("headers") or sp_dkim.DEFAULT_HEADERS}
        if isinstance(given.get("private"), str):
            dkim["private"] = sp_dkim.normalise_key_text(given["private"])
    elif d.get("generate_dkim", False):  # off by default in seeds: keeps start-up fast
        bits = d.get("dkim_key_length", sp_dkim.DEFAULT_KEY_LENGTH)
        _need(sp_dkim.key_length_ok(bits),
              f"sending domain {name}: dkim_key_length must be between {sp_dkim.MIN_KEY_LENGTH} and "
              f"{sp_dkim.MAX_KEY_LENGTH}")
        private, public = sp_dkim.generate_keypair(bits)
        dkim = {"public": public, "private": private, "selector": sp_dkim.default_selector(),
                "signing_domain": name, "headers": sp_dkim.DEFAULT_HEADERS}
    status = new_status()
    status.update({k: v for k, v in (d.get("status") or {}).items() if k in status})
    store.domains[name] = SendingDomain(
        domain=name, subaccount_id=sid, tracking_domain=d.get("tracking_domain"), dkim=dkim,
        shared_with_subaccounts=bool(d.get("shared_with_subaccounts", False)),
        is_default_bounce_domain=bool(d.get("is_default_bounce_domain", False)), status=status)
