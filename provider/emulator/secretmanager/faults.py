"""Injected failures: the next calls of a method (or of any) fail with a chosen gRPC status, set
from tests (`fail_next`), the command line (`--fail`) or $SECRETMANAGER_FAKE_FAIL."""

from __future__ import annotations

import dataclasses

import grpc

from .iam import PERMISSIONS, denied

FAIL_ENV = "SECRETMANAGER_FAKE_FAIL"


@dataclasses.dataclass
class Failure:
    method: str | None  # None: any method
    code: grpc.StatusCode
    remaining: int
    message: str | None


class Faults:
    """The queue of injected failures, oldest first. Call with the fake's lock held."""

    def __init__(self) -> None:
        self._failures: list[Failure] = []

    def add(self, method: str | None, code: grpc.StatusCode | str, count: int, message: str | None) -> None:
        if method == "*":
            method = None
        if method is not None and method not in PERMISSIONS:
            raise ValueError(f"unknown method {method!r}; known: {sorted(PERMISSIONS)}")
        self._failures.append(Failure(method, status_code(code), count, message))

    def clear(self) -> None:
        self._failures.clear()

    def take(self, method: str) -> Failure | None:
        """The failure this call of `method` gets, if any (used up after its count)."""
        for failure in self._failures:
            if failure.method in (None, method):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return failure
        return None


def status_code(code: grpc.StatusCode | str) -> grpc.StatusCode:
    if isinstance(code, grpc.StatusCode):
        return code
    try:
        return grpc.StatusCode[code.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown gRPC status code {code!r}") from None


def parse_fail_spec(spec: str) -> tuple[str | None, grpc.StatusCode, int]:
    """Parse ``METHOD:CODE[:COUNT]`` (METHOD ``*`` = any), as used by ``--fail`` and $SECRETMANAGER_FAKE_FAIL."""
    parts = spec.strip().split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise ValueError(f"bad failure spec {spec!r}: want METHOD:CODE[:COUNT], e.g. AddSecretVersion:PERMISSION_DENIED:1")
    method = None if parts[0] == "*" else parts[0]
    if method is not None and method not in PERMISSIONS:
        raise ValueError(f"bad failure spec {spec!r}: unknown method {method!r}")
    count = int(parts[2]) if len(parts) == 3 else 1
    return method, status_code(parts[1]), count


def default_message(code: grpc.StatusCode, method: str, resource: str) -> str:
    """The text of an injected failure given without one: Google's wording where it is known."""
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return denied(method, resource)
    if code == grpc.StatusCode.UNAVAILABLE:
        return "The service is currently unavailable."
    if code == grpc.StatusCode.NOT_FOUND:
        return f"Resource [{resource}] not found."
    return f"Injected {code.name} failure for {method}."
