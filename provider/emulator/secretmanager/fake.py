"""`SecretManagerFake`: the fake's face to tests and the command line. It starts and stops the
gRPC server, injects failures, records calls, and sets up or inspects secrets directly."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent import futures

import grpc
from google.cloud.secretmanager_v1 import types as sm

from .faults import Faults
from .model import VersionInfo
from .service import Service
from .store import Store


class SecretManagerFake:
    """An in-memory Secret Manager served over plaintext gRPC on 127.0.0.1."""

    def __init__(
        self,
        *,
        projects: Iterable[str] | None = None,
        project_numbers: Mapping[str, str] | None = None,
        state_file: str | os.PathLike[str] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        """
        projects: if given, only these projects (ids or numbers) exist; others get PERMISSION_DENIED.
        project_numbers: project id -> number; names are stored and returned with the number, like Google.
        state_file: JSON file loaded at start and rewritten atomically after each change.
        log: called with one line per RPC (method and resource, never payloads).
        """
        self._lock = threading.RLock()
        self._store = Store(projects, project_numbers, os.fspath(state_file) if state_file is not None else None)
        self._log = log
        self._faults = Faults()
        self._calls: list[tuple[str, str]] = []
        self._server: grpc.Server | None = None
        self._address: str | None = None

    # ----- lifecycle -------------------------------------------------------

    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1:port (0 = a free port); returns "127.0.0.1:PORT"."""
        if self._server is not None:
            raise RuntimeError("SecretManagerFake already started")
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="sm-fake"))
        service = Service(self._store, self._lock, self._faults, self._calls, self._log)
        server.add_generic_rpc_handlers((service.handler(),))
        bound = server.add_insecure_port(f"127.0.0.1:{port}")
        if not bound:
            raise RuntimeError(f"could not bind 127.0.0.1:{port}")
        server.start()
        self._server = server
        self._address = f"127.0.0.1:{bound}"
        return self._address

    def stop(self, grace: float | None = None) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop(grace).wait()

    @property
    def address(self) -> str:
        if self._address is None:
            raise RuntimeError("SecretManagerFake not started")
        return self._address

    def env(self) -> dict[str, str]:
        """Environment that points the provider (and tests) at this fake."""
        return {"SECRETMANAGER_EMULATOR_HOST": self.address}

    def __enter__(self) -> SecretManagerFake:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- test controls and inspection ---------------------------------------

    def fail_next(
        self,
        method: str | None = None,
        code: grpc.StatusCode | str = grpc.StatusCode.UNAVAILABLE,
        count: int = 1,
        message: str | None = None,
    ) -> None:
        """Make the next `count` calls of `method` (None or "*": any method) fail with `code`.

        Without a message, PERMISSION_DENIED reads like Google's:
        "Permission 'secretmanager.versions.add' denied on resource 'projects/p/secrets/s' (or it may not exist)."
        """
        with self._lock:
            self._faults.add(method, code, count, message)

    def clear_failures(self) -> None:
        with self._lock:
            self._faults.clear()

    def calls(self) -> list[tuple[str, str]]:
        """(method, resource name) of every RPC received, oldest first."""
        with self._lock:
            return list(self._calls)

    def secrets(self) -> list[str]:
        """Names of the existing secrets, sorted."""
        with self._lock:
            return sorted(self._store.secrets)

    def versions(self, secret_name: str) -> list[VersionInfo]:
        """Versions of a secret, oldest first, with payloads and states. KeyError if no such secret."""
        with self._lock:
            secret = self._store.secrets[self._store.canon_secret_name(secret_name)]
            return [self._store.info(secret, v) for v in secret.versions]

    def create_secret(self, secret_name: str, labels: Mapping[str, str] | None = None) -> str:
        """Create a secret with automatic replication directly (test set-up); returns its name."""
        project, secret_id = self._store.match_secret(secret_name)
        replication = sm.Replication(automatic=sm.Replication.Automatic())
        with self._lock:
            return self._store.create(project, secret_id, replication, dict(labels or {})).name

    def add_version(self, secret_name: str, payload: bytes | str) -> str:
        """Add a version directly (test set-up); returns the version name."""
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        with self._lock:
            secret = self._store.get_secret(secret_name)
            return self._store.add(secret, data, None).name

    def set_state(self, version_name: str, state: str) -> None:
        """Set a version to ENABLED, DISABLED or DESTROYED directly (test set-up)."""
        with self._lock:
            secret, version = self._store.get_version(version_name, allow_latest=True)
            self._store.transition(secret, version, state.upper(), strict=False)

    def reset(self) -> None:
        """Forget all secrets, queued failures and recorded calls."""
        with self._lock:
            self._store.secrets.clear()
            self._faults.clear()
            self._calls.clear()
            self._store.save()
