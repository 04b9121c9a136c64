"""Counts of API requests per route template, for tests that assert call patterns.

Only method, path, route template, status, acting subaccount and times are kept (`started`:
when the request arrived, before any injected latency; `time`: when it was answered): never a
header, so an Authorization value can never end up here. The two times let a test see which
requests were in flight together.

A request is logged when it is answered; `arrived` counts requests when they arrive (before any
injected latency) and `in_flight` (`in_flight_by_route`) those arrived and not yet answered, so a
test can wait for a request to be at the emulator, or for nothing to be left in flight, instead of
sleeping. `connections` counts open client connections (of the API and the control API): once a
killed client's connections are closed, nothing it sent can still arrive.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

MAX_LOG = 10_000  # bounded: long benchmark runs must not grow memory without limit


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()  # live: a reset does not forget requests in flight
        self._connections = 0  # open client connections (live, like in_flight)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._total = 0
            self._arrived = 0
            self._by_route: Counter[str] = Counter()
            self._log: deque[dict[str, Any]] = deque(maxlen=MAX_LOG)

    def connected(self) -> None:
        with self._lock:
            self._connections += 1

    def disconnected(self) -> None:
        with self._lock:
            self._connections -= 1

    def arrive(self, method: str, route: str | None) -> str:
        key = route or f"{method} (unmatched)"
        with self._lock:
            self._arrived += 1
            self._in_flight[key] += 1
        return key

    def leave(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] -= 1
            if not self._in_flight[key]:
                del self._in_flight[key]

    def record(self, method: str, path: str, route: str | None, status: int | None,
               subaccount: int | None, started: float | None = None) -> None:
        key = route or f"{method} (unmatched)"
        now = time.time()
        with self._lock:
            self._total += 1
            self._by_route[key] += 1
            self._log.append({"method": method, "path": path, "route": route, "status": status,
                              "subaccount": subaccount, "started": now if started is None else started,
                              "time": now})

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"total": self._total, "arrived": self._arrived, "in_flight": sum(self._in_flight.values()),
                    "in_flight_by_route": dict(self._in_flight), "connections": self._connections,
                    "by_route": dict(self._by_route),
                    "log": list(self._log)}
