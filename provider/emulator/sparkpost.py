"""A local SparkPost REST API emulator: the referee for the provider's tests.

It models SparkPost's DOCUMENTED behaviour (see shared/reference/sparkpost-api.md,
sections 1-4, 8, 10, 11 and Appendix B), not what a client happens to send.

Python use (test fixtures)::

    from provider.emulator.sparkpost import Emulator
    with Emulator(region="us", state_path=None, seed=None) as emu:   # starts on a free port
        key_id = emu.add_key(key="0123...(40 hex)", grants=["subaccount/manage"], label="op")
        requests.get(emu.url + "/api/v1/subaccounts", headers={"Authorization": "0123..."})

    emu = Emulator(); emu.start(port=0); emu.url; emu.stop()

Command line: ``sparkpost-emulator --port 0 --state state.json --seed seed.json``
(see ``python -m provider.emulator --help``).  The first stdout line is
``listening on http://HOST:PORT``.

Keys at start
-------------
The emulator has NO API key unless one is given: by the seed file, by the state file,
by ``emu.add_key`` / ``POST /__emulator/keys``, or (command line only) by the
environment variable ``SPARKPOST_EMULATOR_KEY`` (40 lowercase hex).  That key is a
primary-account key with every primary grant, or with the comma-separated grants of
``SPARKPOST_EMULATOR_KEY_GRANTS`` when that is set.  No key is ever printed or logged.

State
-----
With ``state_path`` the whole account (subaccounts, keys, domains, pools, DNS table,
metric counts, foreign domains) is loaded at start when the file exists and rewritten
atomically after every mutation.  Keys are stored as SHA-256 digests, never in clear.
A seed is applied only when there is no state file yet (first start).  Faults and the
request log are not persisted.

Seed format (JSON object; every list optional)
----------------------------------------------
::

    {
      "keys": [{"key": "<40 hex>", "label": "operator",
                "grants": ["metrics/view", "subaccount/manage", "sending_domains/manage"],
                "valid_ips": ["10.0.0.0/8"],          # optional, IPv4/CIDR, [] = any IP
                "subaccount_id": null,                # optional, a seeded subaccount id
                "id": "<uuid>"}],                     # optional, generated otherwise
      "subaccounts": [{"id": 1, "name": "tenant-a", "status": "active",
                       "compliance_status": "active", "ip_pool": "my_pool",
                       "options": {"deliverability": false}}],   # id optional (sequential)
      "ip_pools": [{"id": "my_pool", "name": "My Pool",          # "default" always exists
                    "fbl_signing_domain": null, "signing_domain": null,
                    "auto_warmup_overflow_pool": null,
                    "ips": [{"external_ip": "192.0.2.10", "hostname": "mta1.example.net",
                             "auto_warmup_enabled": false}]}],
      "sending_domains": [{"domain": "mail.example.com", "subaccount_id": null,
                           "dkim": {"public": "...", "private": "...", "selector": "s1"},
                           "generate_dkim": false,    # true generates a key (dkim_key_length)
                           "status": {"dkim_status": "valid", "ownership_verified": true},
                           "shared_with_subaccounts": false,
                           "is_default_bounce_domain": false, "tracking_domain": null}],
      "tracking_domains": [{"domain": "click.example.com", "subaccount_id": null,
                            "secure": false, "verified": false}],
      "dns": [{"type": "TXT", "name": "s1._domainkey.mail.example.com", "value": "v=DKIM1; ..."},
              {"type": "CNAME", "name": "mail.example.com", "value": "sparkpostmail.com"}],
      "metrics": [{"subaccount_id": 0, "count_sent": 10, "count_delivered": 9},  # every window
                  {"subaccount_id": 1, "ts": "2026-11-30T12:00", "count_sent": 5}],  # dated
      "foreign_domains": ["taken.example.org"],   # owned by another account: 400/7004
      "restricted_domains": ["gmail.com"],         # refused to this account: 400/7000
      "options": {"api_keys_api": false,          # /api/v1/api-keys open to API keys
                  "error_descriptions": true}     # classic bodies keep `description`
    }

Order of application: options, ip_pools, subaccounts, keys, tracking_domains,
sending_domains, dns, metrics, foreign_domains, restricted_domains.  The account options are described in
`sp_model.AccountOptions`; ``Emulator(options=...)``, the CLI flags ``--api-keys-api`` and
``--no-error-descriptions`` and ``PUT /__emulator/options`` set them too.

The control API under ``/__emulator/`` is described in ``sp_control``.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict
from typing import Any, Iterable, cast

from .sp_app import App
from .sp_control import Control, parse_records, state_dump
from .sp_faults import FaultInjector, FaultSettings, parse_settings
from .sp_model import KEY_RE, SeedError, Store, parse_options
from .sp_seed import add_metrics, apply_seed
from .sp_reqlog import RequestLog
from .sp_server import EmulatorServer
from .sp_validate import is_valid_ip_entry

REGIONS = ("us", "eu")

__all__ = ["Emulator", "SeedError", "FaultSettings", "REGIONS"]


class Emulator:
    """One emulated SparkPost account served over HTTP on a background thread."""

    def __init__(self, region: str = "us", state_path: str | None = None,
                 seed: dict[str, Any] | str | None = None, *, host: str = "127.0.0.1",
                 faults: FaultSettings | dict[str, Any] | None = None, verbose: bool = False,
                 options: dict[str, bool] | None = None) -> None:
        if region not in REGIONS:
            raise ValueError(f"region must be one of {', '.join(REGIONS)}")
        self.region = region
        self.host = host
        if state_path and not os.path.isdir(os.path.dirname(os.path.abspath(state_path))):
            raise SeedError(f"directory of state file {state_path} does not exist")
        self.store = Store(state_path)
        if state_path and os.path.exists(state_path):
            self.store.load_file(state_path)
        elif seed is not None:
            if isinstance(seed, str):
                try:
                    with open(seed, encoding="utf-8") as fh:
                        seed = json.load(fh)
                except (OSError, ValueError) as exc:
                    raise SeedError(f"cannot read seed file {seed}: {exc}") from None
            apply_seed(self.store, cast(dict[str, Any], seed))  # apply_seed checks the shape
            with self.store.lock:
                self.store.persist()
        if options:
            self.set_options(**options)
        if isinstance(faults, dict):
            faults = parse_settings(faults)
        self.faults = FaultInjector(faults)
        self.requests = RequestLog()
        self.app = App(self.store, region, self.faults, self.requests, verbose=verbose)
        self.app.control = Control(self)
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self, port: int = 0) -> "Emulator":
        if self._server is not None:
            raise RuntimeError("emulator already started")
        self._server = EmulatorServer((self.host, port), self.app)
        self._thread = threading.Thread(target=self._server.serve, name="sparkpost-emulator", daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self.faults.release_held()
        server.stop()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "Emulator":
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- test helpers ------------------------------------------------------------------
    def create_key(self, *, key: str | None = None, grants: Iterable[str] = (), label: str = "emulator key",
                   valid_ips: Iterable[str] = (), subaccount_id: int | None = None) -> tuple[str, str]:
        """Add an API key out of band; return (key id, secret).  Grants are not checked
        against the grant lists, so tests can build keys the API itself would refuse."""
        if key is not None and not KEY_RE.match(key):
            raise SeedError("key must be 40 lowercase hex characters")
        ips = list(valid_ips)
        if not all(is_valid_ip_entry(i) for i in ips):
            raise SeedError("valid_ips must be IPv4 addresses or CIDRs")
        with self.store.lock:
            if subaccount_id is not None and subaccount_id not in self.store.subaccounts:
                raise SeedError(f"subaccount {subaccount_id} does not exist")
            api_key, secret = self.store.add_key(secret=key, label=label, grants=list(grants),
                                                 valid_ips=ips, subaccount_id=subaccount_id)
            self.store.persist()
        return api_key.id, secret

    def add_key(self, *, key: str, grants: Iterable[str], label: str = "emulator key",
                valid_ips: Iterable[str] = (), subaccount_id: int | None = None) -> str:
        """Add an API key with a known secret; return its id."""
        return self.create_key(key=key, grants=grants, label=label, valid_ips=valid_ips,
                               subaccount_id=subaccount_id)[0]

    def set_dns(self, records: list[dict[str, Any]]) -> None:
        """Replace the DNS table: [{"type": "TXT"|"CNAME"|..., "name": ..., "value": ...}]."""
        parsed = parse_records(records)
        with self.store.lock:
            self.store.dns = parsed
            self.store.persist()

    def add_dns(self, records: list[dict[str, Any]]) -> None:
        parsed = parse_records(records)
        with self.store.lock:
            self.store.dns.extend(parsed)
            self.store.persist()

    def set_faults(self, settings: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """Replace the fault settings (same fields as PUT /__emulator/faults)."""
        self.faults.configure(parse_settings({**(settings or {}), **kwargs}))

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_options(self, **options: bool) -> dict[str, bool]:
        """Change account options (`sp_model.AccountOptions`); omitted ones are kept."""
        try:
            with self.store.lock:
                self.store.options = parse_options(options, self.store.options)
                self.store.persist()
                return asdict(self.store.options)
        except ValueError as exc:
            raise SeedError(str(exc)) from None

    def get_options(self) -> dict[str, bool]:
        with self.store.lock:
            return asdict(self.store.options)

    def seed_metrics(self, subaccount_id: int = 0, ts: str | None = None, **counts: int) -> None:
        """Set deliverability counts for a subaccount (0 = primary); other counts are kept.
        With ``ts`` ("YYYY-MM-DDTHH:MM" UTC) the counts are one dated sample instead (see
        ``sp_metrics``)."""
        with self.store.lock:
            add_metrics(self.store, subaccount_id, {k: int(v) for k, v in counts.items()}, ts)
            self.store.persist()

    def add_foreign_domain(self, domain: str) -> None:
        """Mark a domain (and its subdomains) as owned by another SparkPost account."""
        self.add_listed_domain("foreign_domains", domain)

    def add_restricted_domain(self, domain: str) -> None:
        """Mark a domain (and its subdomains) as one SparkPost refuses to this account (7000)."""
        self.add_listed_domain("restricted_domains", domain)

    def add_listed_domain(self, attr: str, domain: str) -> None:
        """Add a domain to one of the store's domain lists (``foreign_domains``, ``restricted_domains``)."""
        with self.store.lock:
            listed: list[str] = getattr(self.store, attr)
            name = domain.lower().rstrip(".")
            if name not in listed:
                listed.append(name)
            self.store.persist()

    def dump_state(self) -> dict[str, Any]:
        """The same JSON as GET /__emulator/state (no key secrets)."""
        return state_dump(self)

    def request_log(self) -> dict[str, Any]:
        return self.requests.snapshot()

    def reset_request_log(self) -> None:
        self.requests.reset()

    def reset(self) -> None:
        """Forget every object (the implicit `default` IP pool is recreated); account options,
        like faults, are kept."""
        with self.store.lock:
            options = self.store.options
            self.store.clear()
            self.store.options = options
            self.store.persist()
