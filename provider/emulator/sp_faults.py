"""Fault injection: latency, 429 (with or without Retry-After), 503 and dropped connections.

429s carry NO Retry-After unless asked (`retry_after_fraction` > 0): SparkPost documents
none.  Its API index says only "If you exceed the limits for an API you will receive an
HTTP status code 429 ... wait 1 to 5 seconds after receiving a 429 response before
requesting again. Heavier usage patterns may require a more sophisticated and incremental
backoff strategy" (SparkPost/developers.sparkpost.com content/api/index.apib, "Rate
Limiting"), so by default the client's own backoff is what a test exercises.

`hold` (an extension, for tests) keeps each matching request, after its latency, until the
settings next change (a PUT or DELETE of the faults, or `Emulator.stop()`), at most
MAX_LATENCY_MS: a test can keep a request in flight for exactly as long as it needs, however slow
the machine, where a latency is a guess.

Settings come from CLI flags at start and from `PUT /__emulator/faults` at run time; a
PUT replaces every setting (omitted fields fall back to their defaults).  Random draws
come from one seeded `random.Random`, so a run with a fixed `seed` and a fixed request
order is reproducible.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

DROP_MODES = ("before", "after")
MAX_LATENCY_MS = 600_000  # ten minutes per request is already beyond any client's timeout


@dataclass
class FaultSettings:
    latency_ms: float = 0
    rate_429: float = 0.0
    retry_after_fraction: float = 0.0   # share of 429s that carry Retry-After (none documented)
    retry_after: int = 1                # seconds, the header value
    burst_429: int = 0                  # the next N matching requests get 429
    rate_5xx: float = 0.0
    burst_5xx: int = 0
    drop_rate: float = 0.0
    # Extension: "before" drops without touching state; "after" applies the request and
    # then loses the response (the case that creates orphans on a real API).
    drop_mode: str = "before"
    routes: list[str] | None = None     # resource names ("subaccounts") or route templates
    seed: int | None = None
    # Extension: hold each matching request (after its latency) until the settings change.
    hold: bool = False


@dataclass
class Decision:
    latency_s: float = 0.0
    action: str | None = None           # None | "drop" | "429" | "503"
    retry_after: int | None = None      # header value for a 429, when sent
    drop_after: bool = False            # "drop" only: process the request first
    hold: threading.Event | None = None  # wait for it (set when the settings change) before going on


def parse_settings(data: Any) -> FaultSettings:
    """Validate a control-API body; raise ValueError with a readable message."""
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    known = {f.name for f in fields(FaultSettings)}
    unknown = sorted(set(data) - known)
    if unknown:  # strict here: a typo in a fault name would silently test nothing
        raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
    s = FaultSettings()
    for name in ("rate_429", "retry_after_fraction", "rate_5xx", "drop_rate"):
        if name in data:
            v = data[name]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise ValueError(f"{name} must be a number between 0 and 1")
            setattr(s, name, float(v))
    for name in ("latency_ms",):
        if name in data:
            v = data[name]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= MAX_LATENCY_MS:
                # NaN and Infinity fail the comparison: an endless sleep per request
                raise ValueError(f"{name} must be a number from 0 to {MAX_LATENCY_MS}")
            setattr(s, name, v)
    for name in ("retry_after", "burst_429", "burst_5xx"):
        if name in data:
            v = data[name]
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"{name} must be a non-negative integer")
            setattr(s, name, v)
    if "drop_mode" in data:
        if data["drop_mode"] not in DROP_MODES:
            raise ValueError("drop_mode must be 'before' or 'after'")
        s.drop_mode = data["drop_mode"]
    if "routes" in data:
        r = data["routes"]
        if r is not None and not (isinstance(r, list) and all(isinstance(x, str) for x in r)):
            raise ValueError("routes must be a list of strings or null")
        s.routes = list(r) if r is not None else None
    if "hold" in data:
        if not isinstance(data["hold"], bool):
            raise ValueError("hold must be true or false")
        s.hold = data["hold"]
    if "seed" in data:
        if data["seed"] is not None and (isinstance(data["seed"], bool) or not isinstance(data["seed"], int)):
            raise ValueError("seed must be an integer or null")
        s.seed = data["seed"]
    return s


class FaultInjector:
    """Thread-safe holder of the current settings and the remaining bursts."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._released = threading.Event()  # set when these settings are replaced: held requests go
        self.configure(settings or FaultSettings())

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self._s = settings
            self._rng = random.Random(settings.seed)
            self._released.set()
            self._released = threading.Event()

    def release_held(self) -> None:
        """Let the requests held now go (requests that come later are held again)."""
        with self._lock:
            self._released.set()
            self._released = threading.Event()

    def clear(self) -> None:
        self.configure(FaultSettings())

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self._s)

    def _matches(self, resource: str | None, route: str | None) -> bool:
        routes = self._s.routes
        return routes is None or (resource in routes) or (route in routes)

    def decide(self, resource: str | None, route: str | None) -> Decision:
        with self._lock:
            s = self._s
            if not self._matches(resource, route):
                return Decision()
            d = Decision(latency_s=s.latency_ms / 1000.0, hold=self._released if s.hold else None)
            rng = self._rng
            if s.drop_rate and rng.random() < s.drop_rate:
                d.action, d.drop_after = "drop", s.drop_mode == "after"
            elif s.burst_429 > 0 or (s.rate_429 and rng.random() < s.rate_429):
                if s.burst_429 > 0:
                    s.burst_429 -= 1
                d.action = "429"
                if rng.random() < s.retry_after_fraction:
                    d.retry_after = s.retry_after
            elif s.burst_5xx > 0 or (s.rate_5xx and rng.random() < s.rate_5xx):
                if s.burst_5xx > 0:
                    s.burst_5xx -= 1
                d.action = "503"
            return d
