"""A local fake of Google Secret Manager v1, for tests.

It is a referee: it implements the service from Google's documented behaviour
and must not import the provider code it is judging (nothing from ``provider.``
outside ``provider.emulator``).  The official ``google-cloud-secret-manager``
client talks to it over plaintext gRPC on loopback, through the library's own
proto-plus message types, so what the fake accepts is byte-for-byte what the
real client sends.

Semantics kept from the real service (they are the ones a caller can get wrong):

* names ``projects/P/secrets/S`` and ``projects/P/secrets/S/versions/N``, N from 1;
  malformed names give INVALID_ARGUMENT;
* ``versions/latest`` resolves to the newest version whatever its state, so a
  disabled or destroyed newest version makes AccessSecretVersion fail with
  FAILED_PRECONDITION (it does not fall back to an older enabled version);
* ListSecretVersions lists newest first;
* payloads carry ``data_crc32c`` on access; a checksum sent on add is verified
  (mismatch: INVALID_ARGUMENT "data corrupted");
* NOT_FOUND names the missing resource, a duplicate CreateSecret gives
  ALREADY_EXISTS, CreateSecret without a replication policy is INVALID_ARGUMENT;
* optional ``project_numbers`` makes returned names use the project number, as
  Google does (``projects/my-proj/...`` comes back as ``projects/1234/...``).

Python use::

    with SecretManagerFake() as fake:          # starts on 127.0.0.1:<free port>
        os.environ["SECRETMANAGER_EMULATOR_HOST"] = fake.address
        fake.fail_next("AddSecretVersion", grpc.StatusCode.PERMISSION_DENIED)
        ...
        fake.versions("projects/p/secrets/s")  # -> [VersionInfo, ...]

Command line: ``python -m provider.emulator.secretmanager --port 0`` prints
``listening on 127.0.0.1:PORT`` and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import datetime
import json
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent import futures
from typing import Any

import grpc
from google.cloud.secretmanager_v1 import types as sm

SERVICE = "google.cloud.secretmanager.v1.SecretManagerService"
FAIL_ENV = "SECRETMANAGER_FAKE_FAIL"
MAX_PAYLOAD = 64 * 1024  # the documented payload limit

# Google's identifier rules.  Kept here, not shared with provider/secrets.py,
# so that a mistake in the provider's validation is not mirrored by the referee.
_PROJECT = r"(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]+)"
_SECRET_ID = r"[A-Za-z0-9_-]{1,255}"
_PARENT_RE = re.compile(rf"projects/({_PROJECT})")
_SECRET_RE = re.compile(rf"projects/({_PROJECT})/secrets/({_SECRET_ID})")
_VERSION_RE = re.compile(rf"projects/({_PROJECT})/secrets/({_SECRET_ID})/versions/([1-9][0-9]*|latest)")

# IAM permission checked by each method, used for Google-like PERMISSION_DENIED texts.
PERMISSIONS: dict[str, str] = {
    "ListSecrets": "secretmanager.secrets.list",
    "CreateSecret": "secretmanager.secrets.create",
    "GetSecret": "secretmanager.secrets.get",
    "DeleteSecret": "secretmanager.secrets.delete",
    "AddSecretVersion": "secretmanager.versions.add",
    "ListSecretVersions": "secretmanager.versions.list",
    "GetSecretVersion": "secretmanager.versions.get",
    "AccessSecretVersion": "secretmanager.versions.access",
    "DisableSecretVersion": "secretmanager.versions.disable",
    "EnableSecretVersion": "secretmanager.versions.enable",
    "DestroySecretVersion": "secretmanager.versions.destroy",
}

_STATES = ("ENABLED", "DISABLED", "DESTROYED")


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum Secret Manager uses; pure Python is fast enough for 64 KiB."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


@dataclasses.dataclass(frozen=True)
class VersionInfo:
    """What the fake holds for one secret version (payload is None once destroyed)."""

    name: str
    number: int
    state: str  # "ENABLED" | "DISABLED" | "DESTROYED"
    payload: bytes | None
    crc32c: int | None
    client_checksum: bool  # whether AddSecretVersion carried data_crc32c

    @property
    def text(self) -> str | None:
        return None if self.payload is None else self.payload.decode("utf-8")


@dataclasses.dataclass
class _Version:
    number: int
    data: bytes | None
    crc: int | None
    state: str
    create_time: float
    destroy_time: float | None = None
    client_checksum: bool = False


@dataclasses.dataclass
class _Secret:
    name: str
    create_time: float
    replication: bytes  # serialized sm.Replication, echoed back as given
    labels: dict[str, str]
    versions: list[_Version] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Failure:
    method: str | None  # None: any method
    code: grpc.StatusCode
    remaining: int
    message: str | None


class _Abort(Exception):
    """Raised inside the state logic; turned into a gRPC status by the handler wrapper."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _ts(t: float | None) -> datetime.datetime | None:
    return None if t is None else datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


def _status_code(code: grpc.StatusCode | str) -> grpc.StatusCode:
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
    return method, _status_code(parts[1]), count


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
        self._numbers = dict(project_numbers or {})
        self._projects = None if projects is None else {self._canon_project(p) for p in projects}
        self._state_file = os.fspath(state_file) if state_file is not None else None
        self._log = log
        self._secrets: dict[str, _Secret] = {}
        self._failures: list[_Failure] = []
        self._calls: list[tuple[str, str]] = []
        self._server: grpc.Server | None = None
        self._address: str | None = None
        if self._state_file and os.path.exists(self._state_file):
            self._load()

    # ----- lifecycle -------------------------------------------------------

    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1:port (0 = a free port); returns "127.0.0.1:PORT"."""
        if self._server is not None:
            raise RuntimeError("SecretManagerFake already started")
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="sm-fake"))
        server.add_generic_rpc_handlers((self._generic_handler(),))
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
        if method == "*":
            method = None
        if method is not None and method not in PERMISSIONS:
            raise ValueError(f"unknown method {method!r}; known: {sorted(PERMISSIONS)}")
        with self._lock:
            self._failures.append(_Failure(method, _status_code(code), count, message))

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def calls(self) -> list[tuple[str, str]]:
        """(method, resource name) of every RPC received, oldest first."""
        with self._lock:
            return list(self._calls)

    def secrets(self) -> list[str]:
        """Names of the existing secrets, sorted."""
        with self._lock:
            return sorted(self._secrets)

    def versions(self, secret_name: str) -> list[VersionInfo]:
        """Versions of a secret, oldest first, with payloads and states. KeyError if no such secret."""
        with self._lock:
            secret = self._secrets[self._canon_secret_name(secret_name)]
            return [self._info(secret, v) for v in secret.versions]

    def create_secret(self, secret_name: str, labels: Mapping[str, str] | None = None) -> str:
        """Create a secret with automatic replication directly (test set-up); returns its name."""
        project, secret_id = self._match_secret(secret_name)
        replication = sm.Replication(automatic=sm.Replication.Automatic())
        with self._lock:
            return self._create(project, secret_id, replication, dict(labels or {})).name

    def add_version(self, secret_name: str, payload: bytes | str) -> str:
        """Add a version directly (test set-up); returns the version name."""
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        with self._lock:
            secret = self._get_secret(secret_name)
            return self._add(secret, data, None).name

    def set_state(self, version_name: str, state: str) -> None:
        """Set a version to ENABLED, DISABLED or DESTROYED directly (test set-up)."""
        with self._lock:
            secret, version = self._get_version(version_name, allow_latest=True)
            self._transition(secret, version, state.upper(), strict=False)

    def reset(self) -> None:
        """Forget all secrets, queued failures and recorded calls."""
        with self._lock:
            self._secrets.clear()
            self._failures.clear()
            self._calls.clear()
            self._save()

    # ----- names -----------------------------------------------------------------

    def _canon_project(self, project: str) -> str:
        return self._numbers.get(project, project)

    def _check_project(self, project: str, method: str, resource: str) -> str:
        canon = self._canon_project(project)
        if self._projects is not None and canon not in self._projects:
            raise _Abort(grpc.StatusCode.PERMISSION_DENIED, _denied(method, resource))
        return canon

    def _match_secret(self, name: str) -> tuple[str, str]:
        m = _SECRET_RE.fullmatch(name)
        if not m:
            raise _Abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"The provided Secret name [{name}] does not match the expected format [projects/*/secrets/*]",
            )
        return m.group(1), m.group(2)

    def _canon_secret_name(self, name: str) -> str:
        project, secret_id = self._match_secret(name)
        return f"projects/{self._canon_project(project)}/secrets/{secret_id}"

    # ----- state logic (call with the lock held) ----------------------------------

    def _get_secret(self, name: str, method: str = "GetSecret") -> _Secret:
        project, secret_id = self._match_secret(name)
        project = self._check_project(project, method, name)
        canon = f"projects/{project}/secrets/{secret_id}"
        secret = self._secrets.get(canon)
        if secret is None:
            raise _Abort(grpc.StatusCode.NOT_FOUND, f"Secret [{canon}] not found.")
        return secret

    def _get_version(self, name: str, *, allow_latest: bool, method: str = "GetSecretVersion") -> tuple[_Secret, _Version]:
        m = _VERSION_RE.fullmatch(name)
        if not m or (m.group(3) == "latest" and not allow_latest):
            raise _Abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"The provided Secret Version ID [{name}] does not match the expected format "
                f"[projects/*/secrets/*/versions/{{number{'|latest' if allow_latest else ''}}}]",
            )
        project, secret_id, ref = m.groups()
        project = self._check_project(project, method, name)
        canon_secret = f"projects/{project}/secrets/{secret_id}"
        secret = self._secrets.get(canon_secret)
        if secret is None:
            raise _Abort(grpc.StatusCode.NOT_FOUND, f"Secret [{canon_secret}] not found.")
        if ref == "latest":
            # The alias is the newest version whatever its state: no fallback to older enabled ones.
            if not secret.versions:
                raise _Abort(grpc.StatusCode.NOT_FOUND, f"Secret [{canon_secret}] not found or has no versions.")
            return secret, secret.versions[-1]
        number = int(ref)
        if number > len(secret.versions):
            raise _Abort(grpc.StatusCode.NOT_FOUND, f"Secret Version [{canon_secret}/versions/{number}] not found.")
        return secret, secret.versions[number - 1]

    def _create(self, project: str, secret_id: str, replication: sm.Replication, labels: dict[str, str]) -> _Secret:
        canon = f"projects/{self._canon_project(project)}/secrets/{secret_id}"
        if canon in self._secrets:
            raise _Abort(grpc.StatusCode.ALREADY_EXISTS, f"Secret [{canon}] already exists.")
        secret = _Secret(canon, time.time(), sm.Replication.serialize(replication), labels)
        self._secrets[canon] = secret
        self._save()
        return secret

    def _add(self, secret: _Secret, data: bytes, client_crc: int | None) -> VersionInfo:
        if not data:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "Secret Payload cannot be empty.")
        if len(data) > MAX_PAYLOAD:
            raise _Abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"Secret Payload cannot be larger than {MAX_PAYLOAD} bytes (got {len(data)}).",
            )
        crc = crc32c(data)
        if client_crc is not None and (client_crc & 0xFFFFFFFF) != crc:
            raise _Abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "Checksum mismatch: the payload data_crc32c does not match the data; data corrupted in transit.",
            )
        version = _Version(len(secret.versions) + 1, data, crc, "ENABLED", time.time(), None, client_crc is not None)
        secret.versions.append(version)
        self._save()
        return self._info(secret, version)

    def _transition(self, secret: _Secret, version: _Version, target: str, *, strict: bool = True) -> None:
        if target not in _STATES:
            raise ValueError(f"state must be one of {_STATES}, not {target!r}")
        name = f"{secret.name}/versions/{version.number}"
        if version.state == "DESTROYED":
            # A destroyed version is gone for good: it can be neither enabled, disabled nor destroyed again.
            if strict:
                raise _Abort(grpc.StatusCode.FAILED_PRECONDITION, f"Secret Version [{name}] is in DESTROYED state.")
            if target != "DESTROYED":
                raise ValueError(f"{name} is destroyed; its payload is gone and it cannot become {target}")
        version.state = target
        if target == "DESTROYED":
            version.data = None
            version.crc = None
            version.destroy_time = time.time()
        self._save()

    def _info(self, secret: _Secret, v: _Version) -> VersionInfo:
        return VersionInfo(f"{secret.name}/versions/{v.number}", v.number, v.state, v.data, v.crc, v.client_checksum)

    def _secret_msg(self, s: _Secret) -> sm.Secret:
        return sm.Secret(
            name=s.name,
            replication=sm.Replication.deserialize(s.replication),
            create_time=_ts(s.create_time),
            labels=s.labels,
            etag=f'"{int(s.create_time * 1e6)}"',
        )

    def _version_msg(self, s: _Secret, v: _Version) -> sm.SecretVersion:
        msg = sm.SecretVersion(
            name=f"{s.name}/versions/{v.number}",
            create_time=_ts(v.create_time),
            state=getattr(sm.SecretVersion.State, v.state),
            client_specified_payload_checksum=v.client_checksum,
            etag=f'"{int(v.create_time * 1e6)}.{_STATES.index(v.state)}"',
        )
        if v.destroy_time is not None:
            msg.destroy_time = _ts(v.destroy_time)
        return msg

    # ----- RPC methods: (request) -> response, state lock held ---------------------

    def _rpc_create_secret(self, req: sm.CreateSecretRequest) -> sm.Secret:
        m = _PARENT_RE.fullmatch(req.parent)
        if not m:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"The provided parent [{req.parent}] does not match the expected format [projects/*]")
        self._check_project(m.group(1), "CreateSecret", req.parent)
        if not re.fullmatch(_SECRET_ID, req.secret_id):
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"Secret ID [{req.secret_id}] must match [a-zA-Z0-9_-]{{1,255}}.")
        replication = req.secret.replication
        if "automatic" not in replication and "user_managed" not in replication:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "Secret.replication is required: set automatic or user_managed.")
        if "user_managed" in replication and not replication.user_managed.replicas:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "Secret.replication.user_managed.replicas must not be empty.")
        secret = self._create(m.group(1), req.secret_id, replication, dict(req.secret.labels))
        return self._secret_msg(secret)

    def _rpc_get_secret(self, req: sm.GetSecretRequest) -> sm.Secret:
        return self._secret_msg(self._get_secret(req.name, "GetSecret"))

    def _rpc_delete_secret(self, req: sm.DeleteSecretRequest) -> Any:
        secret = self._get_secret(req.name, "DeleteSecret")
        del self._secrets[secret.name]
        self._save()
        return None  # google.protobuf.Empty

    def _rpc_list_secrets(self, req: sm.ListSecretsRequest) -> sm.ListSecretsResponse:
        m = _PARENT_RE.fullmatch(req.parent)
        if not m:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"The provided parent [{req.parent}] does not match the expected format [projects/*]")
        project = self._check_project(m.group(1), "ListSecrets", req.parent)
        prefix = f"projects/{project}/secrets/"
        items = [self._secret_msg(s) for n, s in sorted(self._secrets.items()) if n.startswith(prefix)]
        page, token = _paginate(items, req.page_size, req.page_token)
        return sm.ListSecretsResponse(secrets=page, next_page_token=token, total_size=len(items))

    def _rpc_add_secret_version(self, req: sm.AddSecretVersionRequest) -> sm.SecretVersion:
        secret = self._get_secret(req.parent, "AddSecretVersion")
        client_crc = req.payload.data_crc32c if "data_crc32c" in req.payload else None
        info = self._add(secret, req.payload.data, client_crc)
        return self._version_msg(secret, secret.versions[info.number - 1])

    def _rpc_list_secret_versions(self, req: sm.ListSecretVersionsRequest) -> sm.ListSecretVersionsResponse:
        secret = self._get_secret(req.parent, "ListSecretVersions")
        versions = list(reversed(secret.versions))  # newest first, like the real service
        if req.filter:
            m = re.fullmatch(r"\s*state\s*[:=]\s*(ENABLED|DISABLED|DESTROYED)\s*", req.filter)
            if not m:
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"Unsupported filter [{req.filter}] (this fake supports only state:STATE).")
            versions = [v for v in versions if v.state == m.group(1)]
        items = [self._version_msg(secret, v) for v in versions]
        page, token = _paginate(items, req.page_size, req.page_token)
        return sm.ListSecretVersionsResponse(versions=page, next_page_token=token, total_size=len(items))

    def _rpc_get_secret_version(self, req: sm.GetSecretVersionRequest) -> sm.SecretVersion:
        secret, version = self._get_version(req.name, allow_latest=True, method="GetSecretVersion")
        return self._version_msg(secret, version)

    def _rpc_access_secret_version(self, req: sm.AccessSecretVersionRequest) -> sm.AccessSecretVersionResponse:
        secret, version = self._get_version(req.name, allow_latest=True, method="AccessSecretVersion")
        name = f"{secret.name}/versions/{version.number}"
        if version.state != "ENABLED":
            raise _Abort(grpc.StatusCode.FAILED_PRECONDITION, f"Secret Version [{name}] is in {version.state} state.")
        assert version.data is not None and version.crc is not None
        return sm.AccessSecretVersionResponse(
            name=name, payload=sm.SecretPayload(data=version.data, data_crc32c=version.crc)
        )

    def _state_rpc(self, name: str, method: str, target: str) -> sm.SecretVersion:
        # Aliases such as "latest" are only for reads; state changes need a version number.
        secret, version = self._get_version(name, allow_latest=False, method=method)
        self._transition(secret, version, target)
        return self._version_msg(secret, version)

    def _rpc_disable_secret_version(self, req: sm.DisableSecretVersionRequest) -> sm.SecretVersion:
        return self._state_rpc(req.name, "DisableSecretVersion", "DISABLED")

    def _rpc_enable_secret_version(self, req: sm.EnableSecretVersionRequest) -> sm.SecretVersion:
        return self._state_rpc(req.name, "EnableSecretVersion", "ENABLED")

    def _rpc_destroy_secret_version(self, req: sm.DestroySecretVersionRequest) -> sm.SecretVersion:
        return self._state_rpc(req.name, "DestroySecretVersion", "DESTROYED")

    # ----- gRPC plumbing --------------------------------------------------------------

    def _generic_handler(self) -> grpc.GenericRpcHandler:
        from google.protobuf import empty_pb2

        table: dict[str, tuple[Callable[[Any], Any], Any, Callable[[Any], bytes]]] = {
            "CreateSecret": (self._rpc_create_secret, sm.CreateSecretRequest, sm.Secret.serialize),
            "GetSecret": (self._rpc_get_secret, sm.GetSecretRequest, sm.Secret.serialize),
            "DeleteSecret": (self._rpc_delete_secret, sm.DeleteSecretRequest, lambda _: empty_pb2.Empty().SerializeToString()),
            "ListSecrets": (self._rpc_list_secrets, sm.ListSecretsRequest, sm.ListSecretsResponse.serialize),
            "AddSecretVersion": (self._rpc_add_secret_version, sm.AddSecretVersionRequest, sm.SecretVersion.serialize),
            "ListSecretVersions": (self._rpc_list_secret_versions, sm.ListSecretVersionsRequest, sm.ListSecretVersionsResponse.serialize),
            "GetSecretVersion": (self._rpc_get_secret_version, sm.GetSecretVersionRequest, sm.SecretVersion.serialize),
            "AccessSecretVersion": (self._rpc_access_secret_version, sm.AccessSecretVersionRequest, sm.AccessSecretVersionResponse.serialize),
            "DisableSecretVersion": (self._rpc_disable_secret_version, sm.DisableSecretVersionRequest, sm.SecretVersion.serialize),
            "EnableSecretVersion": (self._rpc_enable_secret_version, sm.EnableSecretVersionRequest, sm.SecretVersion.serialize),
            "DestroySecretVersion": (self._rpc_destroy_secret_version, sm.DestroySecretVersionRequest, sm.SecretVersion.serialize),
        }
        handlers = {
            method: grpc.unary_unary_rpc_method_handler(
                self._wrap(method, fn), request_deserializer=req_type.deserialize, response_serializer=serialize
            )
            for method, (fn, req_type, serialize) in table.items()
        }
        return grpc.method_handlers_generic_handler(SERVICE, handlers)

    def _wrap(self, method: str, fn: Callable[[Any], Any]) -> Callable[[Any, grpc.ServicerContext], Any]:
        def handler(request: Any, context: grpc.ServicerContext) -> Any:
            resource = _resource_of(request)
            with self._lock:
                self._calls.append((method, resource))
                if self._log:
                    self._log(f"{method} {resource}")
                failure = self._take_failure(method)
                if failure is None:
                    try:
                        return fn(request)
                    except _Abort as e:
                        code, message = e.code, e.message
                else:
                    code, message = failure.code, failure.message or _default_message(failure.code, method, resource)
            if self._log:
                self._log(f"{method} {resource} -> {code.name}")
            context.abort(code, message)

        return handler

    def _take_failure(self, method: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method in (None, method):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    # ----- persistence ---------------------------------------------------------------

    def _save(self) -> None:
        if not self._state_file:
            return
        doc = {
            "secrets": [
                {
                    "name": s.name,
                    "create_time": s.create_time,
                    "replication": base64.b64encode(s.replication).decode(),
                    "labels": s.labels,
                    "versions": [
                        {
                            **dataclasses.asdict(v),
                            "data": None if v.data is None else base64.b64encode(v.data).decode(),
                        }
                        for v in s.versions
                    ],
                }
                for s in self._secrets.values()
            ]
        }
        # Write a temporary file beside the target and rename it over: a reader never sees half a file.
        directory = os.path.dirname(os.path.abspath(self._state_file))
        fd, tmp = tempfile.mkstemp(prefix=".sm-fake-", dir=directory)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(doc, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._state_file)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _load(self) -> None:
        assert self._state_file
        with open(self._state_file) as f:
            doc = json.load(f)
        for s in doc.get("secrets", []):
            versions = [
                _Version(**{**v, "data": None if v["data"] is None else base64.b64decode(v["data"])})
                for v in s["versions"]
            ]
            self._secrets[s["name"]] = _Secret(
                s["name"], s["create_time"], base64.b64decode(s["replication"]), dict(s["labels"]), versions
            )


def _resource_of(request: Any) -> str:
    for field in ("name", "parent"):
        value = getattr(request, field, None)
        if value:
            return str(value)
    return ""


def _denied(method: str, resource: str) -> str:
    permission = PERMISSIONS.get(method, "secretmanager.secrets.get")
    return f"Permission '{permission}' denied on resource '{resource}' (or it may not exist)."


def _default_message(code: grpc.StatusCode, method: str, resource: str) -> str:
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return _denied(method, resource)
    if code == grpc.StatusCode.UNAVAILABLE:
        return "The service is currently unavailable."
    if code == grpc.StatusCode.NOT_FOUND:
        return f"Resource [{resource}] not found."
    return f"Injected {code.name} failure for {method}."


def _paginate(items: list[Any], page_size: int, page_token: str) -> tuple[list[Any], str]:
    try:
        start = int(page_token) if page_token else 0
    except ValueError:
        raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"Invalid page token [{page_token}].") from None
    if page_size <= 0:
        return items[start:], ""
    end = start + page_size
    return items[start:end], (str(end) if end < len(items) else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m provider.emulator.secretmanager",
        description="Fake Google Secret Manager v1 on plaintext gRPC, 127.0.0.1 only.",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: pick a free one)")
    parser.add_argument("--state", metavar="FILE", help="load and persist secrets in this JSON file")
    parser.add_argument(
        "--fail", metavar="METHOD:CODE[:COUNT]", action="append", default=[],
        help=f"inject failures (repeatable; also ${FAIL_ENV}, comma-separated), METHOD may be *",
    )
    parser.add_argument("--project", action="append", help="allowed project (repeatable; default: any)")
    parser.add_argument("--project-number", metavar="ID=NUMBER", action="append", default=[],
                        help="return names with the project number, like Google")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each RPC to stderr (never payloads)")
    args = parser.parse_args(argv)

    numbers = {}
    for item in args.project_number:
        pid, sep, num = item.partition("=")
        if not sep or not num.isdigit():
            parser.error(f"--project-number wants ID=NUMBER, got {item!r}")
        numbers[pid] = num
    specs = [s for s in os.environ.get(FAIL_ENV, "").split(",") if s.strip()] + args.fail
    try:
        failures = [parse_fail_spec(s) for s in specs]
    except ValueError as e:
        parser.error(str(e))

    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else None
    fake = SecretManagerFake(projects=args.project, project_numbers=numbers, state_file=args.state, log=log)
    for method, code, count in failures:
        fake.fail_next(method, code, count)

    # Handlers go in before the server starts, so a signal sent right after the
    # "listening" line ends the process cleanly rather than with a traceback.
    done = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    address = fake.start(args.port)
    print(f"listening on {address}", flush=True)
    while not done.wait(0.5):  # a timed wait keeps the main thread responsive to signals
        pass
    fake.stop(grace=1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
