"""The fake's gRPC surface: Secret Manager v1's methods as the official client calls them
(requests and responses are the library's own proto-plus types), each a function of the store
under the fake's lock, with the calls recorded and injected failures answered first."""

from __future__ import annotations

import datetime
import re
import threading
from collections.abc import Callable
from typing import Any

import grpc
from google.cloud.secretmanager_v1 import types as sm

from .faults import Faults, default_message
from .model import PARENT_RE, SECRET_ID, STATES, Abort, Secret, Version
from .store import Store

SERVICE = "google.cloud.secretmanager.v1.SecretManagerService"


class Service:
    """The methods of google.cloud.secretmanager.v1.SecretManagerService over a `Store`."""

    def __init__(
        self,
        store: Store,
        lock: threading.RLock,
        faults: Faults,
        calls: list[tuple[str, str]],
        log: Callable[[str], None] | None,
    ) -> None:
        self._store = store
        self._lock = lock
        self._faults = faults
        self._calls = calls  # the fake's record, appended to here
        self._log = log

    # ----- messages ------------------------------------------------------------------

    def _secret_msg(self, s: Secret) -> sm.Secret:
        return sm.Secret(
            name=s.name,
            replication=sm.Replication.deserialize(s.replication),
            create_time=_ts(s.create_time),
            labels=s.labels,
            etag=f'"{int(s.create_time * 1e6)}"',
        )

    def _version_msg(self, s: Secret, v: Version) -> sm.SecretVersion:
        msg = sm.SecretVersion(
            name=f"{s.name}/versions/{v.number}",
            create_time=_ts(v.create_time),
            state=getattr(sm.SecretVersion.State, v.state),
            client_specified_payload_checksum=v.client_checksum,
            etag=f'"{int(v.create_time * 1e6)}.{STATES.index(v.state)}"',
        )
        if v.destroy_time is not None:
            msg.destroy_time = _ts(v.destroy_time)
        return msg

    # ----- RPC methods: (request) -> response, state lock held ---------------------

    def _rpc_create_secret(self, req: sm.CreateSecretRequest) -> sm.Secret:
        m = PARENT_RE.fullmatch(req.parent)
        if not m:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, f"The provided parent [{req.parent}] does not match the expected format [projects/*]")
        self._store.check_project(m.group(1), "CreateSecret", req.parent)
        if not re.fullmatch(SECRET_ID, req.secret_id):
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, f"Secret ID [{req.secret_id}] must match [a-zA-Z0-9_-]{{1,255}}.")
        replication = req.secret.replication
        if "automatic" not in replication and "user_managed" not in replication:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "Secret.replication is required: set automatic or user_managed.")
        if "user_managed" in replication and not replication.user_managed.replicas:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "Secret.replication.user_managed.replicas must not be empty.")
        secret = self._store.create(m.group(1), req.secret_id, replication, dict(req.secret.labels))
        return self._secret_msg(secret)

    def _rpc_get_secret(self, req: sm.GetSecretRequest) -> sm.Secret:
        return self._secret_msg(self._store.get_secret(req.name, "GetSecret"))

    def _rpc_delete_secret(self, req: sm.DeleteSecretRequest) -> Any:
        secret = self._store.get_secret(req.name, "DeleteSecret")
        del self._store.secrets[secret.name]
        self._store.save()
        return None  # google.protobuf.Empty

    def _rpc_list_secrets(self, req: sm.ListSecretsRequest) -> sm.ListSecretsResponse:
        m = PARENT_RE.fullmatch(req.parent)
        if not m:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, f"The provided parent [{req.parent}] does not match the expected format [projects/*]")
        project = self._store.check_project(m.group(1), "ListSecrets", req.parent)
        prefix = f"projects/{project}/secrets/"
        items = [self._secret_msg(s) for n, s in sorted(self._store.secrets.items()) if n.startswith(prefix)]
        page, token = _paginate(items, req.page_size, req.page_token)
        return sm.ListSecretsResponse(secrets=page, next_page_token=token, total_size=len(items))

    def _rpc_add_secret_version(self, req: sm.AddSecretVersionRequest) -> sm.SecretVersion:
        secret = self._store.get_secret(req.parent, "AddSecretVersion")
        client_crc = req.payload.data_crc32c if "data_crc32c" in req.payload else None
        info = self._store.add(secret, req.payload.data, client_crc)
        return self._version_msg(secret, secret.versions[info.number - 1])

    def _rpc_list_secret_versions(self, req: sm.ListSecretVersionsRequest) -> sm.ListSecretVersionsResponse:
        secret = self._store.get_secret(req.parent, "ListSecretVersions")
        versions = list(reversed(secret.versions))  # newest first, like the real service
        if req.filter:
            m = re.fullmatch(r"\s*state\s*[:=]\s*(ENABLED|DISABLED|DESTROYED)\s*", req.filter)
            if not m:
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT, f"Unsupported filter [{req.filter}] (this fake supports only state:STATE).")
            versions = [v for v in versions if v.state == m.group(1)]
        items = [self._version_msg(secret, v) for v in versions]
        page, token = _paginate(items, req.page_size, req.page_token)
        return sm.ListSecretVersionsResponse(versions=page, next_page_token=token, total_size=len(items))

    def _rpc_get_secret_version(self, req: sm.GetSecretVersionRequest) -> sm.SecretVersion:
        secret, version = self._store.get_version(req.name, allow_latest=True, method="GetSecretVersion")
        return self._version_msg(secret, version)

    def _rpc_access_secret_version(self, req: sm.AccessSecretVersionRequest) -> sm.AccessSecretVersionResponse:
        secret, version = self._store.get_version(req.name, allow_latest=True, method="AccessSecretVersion")
        name = f"{secret.name}/versions/{version.number}"
        if version.state != "ENABLED":
            raise Abort(grpc.StatusCode.FAILED_PRECONDITION, f"Secret Version [{name}] is in {version.state} state.")
        assert version.data is not None and version.crc is not None
        return sm.AccessSecretVersionResponse(
            name=name, payload=sm.SecretPayload(data=version.data, data_crc32c=version.crc)
        )

    def _state_rpc(self, name: str, method: str, target: str) -> sm.SecretVersion:
        # Aliases such as "latest" are only for reads; state changes need a version number.
        secret, version = self._store.get_version(name, allow_latest=False, method=method)
        self._store.transition(secret, version, target)
        return self._version_msg(secret, version)

    def _rpc_disable_secret_version(self, req: sm.DisableSecretVersionRequest) -> sm.SecretVersion:
        return self._state_rpc(req.name, "DisableSecretVersion", "DISABLED")

    def _rpc_enable_secret_version(self, req: sm.EnableSecretVersionRequest) -> sm.SecretVersion:
        return self._state_rpc(req.name, "EnableSecretVersion", "ENABLED")

    def _rpc_destroy_secret_version(self, req: sm.DestroySecretVersionRequest) -> sm.SecretVersion:
        return self._state_rpc(req.name, "DestroySecretVersion", "DESTROYED")

    # ----- gRPC plumbing --------------------------------------------------------------

    def handler(self) -> grpc.GenericRpcHandler:
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
                failure = self._faults.take(method)
                if failure is None:
                    try:
                        return fn(request)
                    except Abort as e:
                        code, message = e.code, e.message
                else:
                    code, message = failure.code, failure.message or default_message(failure.code, method, resource)
            if self._log:
                self._log(f"{method} {resource} -> {code.name}")
            context.abort(code, message)

        return handler


def _ts(t: float | None) -> datetime.datetime | None:
    return None if t is None else datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


def _resource_of(request: Any) -> str:
    for field in ("name", "parent"):
        value = getattr(request, field, None)
        if value:
            return str(value)
    return ""


def _paginate(items: list[Any], page_size: int, page_token: str) -> tuple[list[Any], str]:
    try:
        start = int(page_token) if page_token else 0
    except ValueError:
        raise Abort(grpc.StatusCode.INVALID_ARGUMENT, f"Invalid page token [{page_token}].") from None
    if page_size <= 0:
        return items[start:], ""
    end = start + page_size
    return items[start:end], (str(end) if end < len(items) else "")
