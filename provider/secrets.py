"""Google Secret Manager: read the provider's API key from it, write generated keys to it.

Uses the official ``google-cloud-secret-manager`` client with Application
Default Credentials, as Google's users expect.  When ``SECRETMANAGER_EMULATOR_HOST``
(host:port) is set, the client talks plaintext gRPC to that local fake instead
and needs no Google credentials.

`SecretStore` holds the clients (one per endpoint) and does the reads and writes; the
provider keeps one on its configured data, and tests hand resources a fake with the same
methods instead of patching a process-wide cache. google.* and grpc are imported lazily,
inside the methods that call Google, so a plan that touches no secret does not pay their
import time.

Every failure is a :class:`SecretManagerError`.  Its text names the secret, and
for PERMISSION_DENIED the IAM permission that is missing; it never contains a
payload.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # for type hints only: importing these at run time is what we avoid
    from google.api_core.exceptions import GoogleAPICallError
    from google.cloud.secretmanager_v1 import SecretManagerServiceClient

__all__ = [
    "SecretManagerError",
    "SecretStore",
    "parse_secret_name",
    "parse_version_name",
]

EMULATOR_ENV = "SECRETMANAGER_EMULATOR_HOST"
MAX_PAYLOAD_BYTES = 64 * 1024  # Secret Manager's documented limit

# UNAVAILABLE is transient on Google's side (and while an emulator starts):
# up to _ATTEMPTS calls, sleeping _BACKOFF[i] seconds between them, all within the caller's timeout.
_ATTEMPTS = 4
_BACKOFF = (0.25, 0.5, 1.0)

# Google's identifier rules, checked locally so the provider can report a bad
# name on the attribute at plan time, before any call.
_PROJECT_ID_RE = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_PROJECT_NUMBER_RE = re.compile(r"[0-9]+")
_SECRET_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,255}")
_VERSION_RE = re.compile(r"[1-9][0-9]*|latest")

# What each operation needs, for PERMISSION_DENIED texts: (IAM permission, smallest predefined role).
_PERMISSIONS: dict[str, tuple[str, str]] = {
    "access": ("secretmanager.versions.access", "roles/secretmanager.secretAccessor"),
    "add": ("secretmanager.versions.add", "roles/secretmanager.secretVersionAdder"),
    "create": ("secretmanager.secrets.create", "roles/secretmanager.admin"),
    "destroy": ("secretmanager.versions.destroy", "roles/secretmanager.secretVersionManager"),
    "get": ("secretmanager.versions.get", "roles/secretmanager.viewer"),
}
_VERBS = {
    "access": "reading",
    "add": "adding a version to",
    "create": "creating",
    "destroy": "destroying a version of",
    "get": "reading the metadata of",
}

_ADC_HELP = (
    "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS "
    "to the path of a service account key file"
)


class SecretManagerError(Exception):
    """A Secret Manager failure, with a message fit for a Terraform diagnostic.

    secret_name: the secret (or version) name concerned, as the user wrote it.
    permission: the missing IAM permission, for PERMISSION_DENIED.
    code: the gRPC status name (e.g. "NOT_FOUND"), or None for local checks.
    """

    def __init__(self, message: str, secret_name: str, permission: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.secret_name = secret_name
        self.permission = permission
        self.code = code


# ----- names -------------------------------------------------------------------------


def _check_ids(s: str, project: str, secret_id: str) -> None:
    if not (_PROJECT_ID_RE.fullmatch(project) or _PROJECT_NUMBER_RE.fullmatch(project)):
        raise SecretManagerError(
            f"invalid Secret Manager name {s!r}: {project!r} is neither a project ID (6 to 30 lowercase "
            "letters, digits or hyphens, starting with a letter and not ending with a hyphen) nor a project number",
            s,
        )
    if not _SECRET_ID_RE.fullmatch(secret_id):
        raise SecretManagerError(
            f"invalid Secret Manager name {s!r}: the secret ID {secret_id!r} must be 1 to 255 letters, digits, '-' or '_'",
            s,
        )


def parse_secret_name(s: str) -> tuple[str, str]:
    """Split ``projects/P/secrets/S`` into (P, S); SecretManagerError if malformed."""
    parts = s.split("/") if isinstance(s, str) else []
    if len(parts) == 6 and parts[0] == "projects" and parts[2] == "secrets" and parts[4] == "versions":
        raise SecretManagerError(
            f"invalid Secret Manager secret name {s!r}: this is a version name; expected "
            "projects/PROJECT/secrets/SECRET, without /versions/...",
            str(s),
        )
    if len(parts) != 4 or parts[0] != "projects" or parts[2] != "secrets":
        raise SecretManagerError(
            f"invalid Secret Manager secret name {s!r}: expected projects/PROJECT/secrets/SECRET", str(s)
        )
    _check_ids(s, parts[1], parts[3])
    return parts[1], parts[3]


def parse_version_name(s: str) -> tuple[str, str, str]:
    """Split ``projects/P/secrets/S/versions/V`` into (P, S, V), V a positive integer or ``latest``."""
    parts = s.split("/") if isinstance(s, str) else []
    if len(parts) == 4 and parts[0] == "projects" and parts[2] == "secrets":
        raise SecretManagerError(
            f"invalid Secret Manager version name {s!r}: a version is needed; append /versions/latest "
            "or /versions/NUMBER",
            s,
        )
    if len(parts) != 6 or parts[0] != "projects" or parts[2] != "secrets" or parts[4] != "versions":
        raise SecretManagerError(
            f"invalid Secret Manager version name {s!r}: expected projects/PROJECT/secrets/SECRET/versions/VERSION "
            "(VERSION a number or latest)",
            str(s),
        )
    _check_ids(s, parts[1], parts[3])
    if not _VERSION_RE.fullmatch(parts[5]):
        raise SecretManagerError(
            f"invalid Secret Manager version name {s!r}: the version {parts[5]!r} must be a positive integer or latest",
            s,
        )
    return parts[1], parts[3], parts[5]


# ----- client ---------------------------------------------------------------------------


def _new_client(host: str | None, secret_name: str) -> SecretManagerServiceClient:
    import google.auth.exceptions
    from google.cloud.secretmanager_v1 import SecretManagerServiceClient

    if host is None:
        try:
            return SecretManagerServiceClient()  # Application Default Credentials
        except google.auth.exceptions.DefaultCredentialsError as e:
            raise SecretManagerError(
                f"no Google credentials for Secret Manager (needed for {secret_name!r}): {_ADC_HELP}. ({e})",
                secret_name,
                code="UNAUTHENTICATED",
            ) from None

    if "://" in host or not re.fullmatch(r"\[?[\w.:-]+\]?:[0-9]+", host):
        raise SecretManagerError(f"{EMULATOR_ENV}={host!r} must be host:port, e.g. 127.0.0.1:8085", secret_name)
    import grpc
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.secretmanager_v1.services.secret_manager_service.transports.grpc import (
        SecretManagerServiceGrpcTransport,
    )

    # The emulator is local and plaintext: no TLS, no Google credentials, and no
    # HTTP proxy from the environment in between.  (The transport ignores
    # credentials when given a channel; AnonymousCredentials says so explicitly.)
    channel = grpc.insecure_channel(host, options=[("grpc.enable_http_proxy", 0)])
    transport = SecretManagerServiceGrpcTransport(channel=channel, credentials=AnonymousCredentials())
    return SecretManagerServiceClient(transport=transport)


# ----- calls and errors -------------------------------------------------------------------

_T = TypeVar("_T")


def _call(
    op: str, name: str, fn: Callable[..., _T], request: Any, timeout: float, payload: str | None = None,
    backoff: tuple[float, ...] = _BACKOFF,
) -> _T:
    """Run one RPC with an overall timeout, retrying UNAVAILABLE; failures become SecretManagerError."""
    import google.auth.exceptions
    from google.api_core import exceptions as gexc

    deadline = time.monotonic() + timeout
    last: GoogleAPICallError | None = None
    for attempt in range(_ATTEMPTS):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            # retry=None: the library's own retry for access waits seconds; ours is bounded by `timeout`.
            return fn(request=request, retry=None, timeout=remaining)
        except gexc.ServiceUnavailable as e:
            if "metadata from plugin failed" in str(e.message):
                # grpc reports a credentials refresh failure as UNAVAILABLE; retrying will not help.
                raise SecretManagerError(
                    f"Google credentials could not be used for Secret Manager ({_VERBS[op]} {name!r}): {_ADC_HELP}.",
                    name,
                    code="UNAUTHENTICATED",
                ) from None
            last = e
            if attempt + 1 < _ATTEMPTS:
                time.sleep(max(0.0, min(backoff[min(attempt, len(backoff) - 1)], deadline - time.monotonic())))
        except gexc.GoogleAPICallError as e:
            raise _translate(op, name, e, timeout, payload) from None
        except google.auth.exceptions.GoogleAuthError as e:
            raise SecretManagerError(
                f"Google credentials could not be used for Secret Manager ({_VERBS[op]} {name!r}): {_ADC_HELP}. "
                f"({type(e).__name__})",
                name,
                code="UNAUTHENTICATED",
            ) from None
    if last is None:
        raise SecretManagerError(
            f"Secret Manager timed out after {timeout:g}s {_VERBS[op]} {name!r}", name, code="DEADLINE_EXCEEDED"
        )
    raise _translate(op, name, last, timeout, payload) from None


def _detail(e: GoogleAPICallError, payload: str | None) -> str:
    """The server's message, dropped entirely if it would echo the payload."""
    text = str(e.message or "").strip()
    if payload and payload in text:
        return "(details withheld: they contained the secret value)"
    return text


def _gcloud_create(secret: str) -> str:
    project, secret_id = secret.split("/")[1], secret.split("/")[3]
    return f"`gcloud secrets create {secret_id} --project={project} --replication-policy=automatic`"


def _translate(op: str, name: str, e: GoogleAPICallError, timeout: float, payload: str | None) -> SecretManagerError:
    code = e.grpc_status_code.name if e.grpc_status_code is not None else f"HTTP {e.code}"
    detail = _detail(e, payload)
    secret = "/".join(name.split("/")[:4])  # the secret, also when `name` is a version
    verb = _VERBS[op]

    if code == "PERMISSION_DENIED":
        permission, role = _PERMISSIONS[op]
        return SecretManagerError(
            f"permission denied {verb} Secret Manager secret {name!r}: the caller needs IAM permission "
            f"{permission!r} on it (for example role {role}), or the secret or project does not exist. "
            f"Google said: {detail}",
            name,
            permission,
            code=code,
        )
    if code == "NOT_FOUND":
        if op in ("add", "create"):
            return SecretManagerError(
                f"Secret Manager secret {secret!r} does not exist. Create it with {_gcloud_create(secret)}, "
                "or set create_secret = true to let the provider create it.",
                name,
                code=code,
            )
        return SecretManagerError(
            f"Secret Manager secret version {name!r} was not found: the secret {secret!r} does not exist or has "
            f"no such version. Create it with {_gcloud_create(secret)} and add a version with "
            f"`gcloud secrets versions add {secret.split('/')[3]} --project={secret.split('/')[1]} --data-file=FILE`. "
            f"Google said: {detail}",
            name,
            code=code,
        )
    if code == "FAILED_PRECONDITION" and op == "access":
        return SecretManagerError(
            f"Secret Manager secret version {name!r} cannot be read: {detail} "
            "Note that `latest` means the newest version even when it is disabled or destroyed: "
            "enable it, add a new version, or name an enabled version number.",
            name,
            code=code,
        )
    if code == "UNAUTHENTICATED":
        return SecretManagerError(
            f"Google rejected the credentials {verb} Secret Manager secret {name!r}: {_ADC_HELP}. Google said: {detail}",
            name,
            code=code,
        )
    if code == "UNAVAILABLE":
        where = f" (emulator at {os.environ[EMULATOR_ENV]})" if os.environ.get(EMULATOR_ENV) else ""
        return SecretManagerError(
            f"Secret Manager is unavailable{where} {verb} {name!r}, after {_ATTEMPTS} attempts: {detail}",
            name,
            code=code,
        )
    if code == "DEADLINE_EXCEEDED":
        return SecretManagerError(f"Secret Manager timed out after {timeout:g}s {verb} {name!r}", name, code=code)
    return SecretManagerError(f"Secret Manager failed {verb} {name!r}: {code}: {detail}", name, code=code)


def _crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), Secret Manager's end-to-end payload checksum."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _make_crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _make_crc32c_table()


# ----- the store ------------------------------------------------------------------------

# Failures worth another write of a new key: Google's transient codes (`write` already retries
# UNAVAILABLE within one call). A refused permission or a missing secret is not retried.
TRANSIENT_CODES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL", "UNKNOWN", "ABORTED", "RESOURCE_EXHAUSTED"})
KEY_WRITE_BACKOFF = (1.0, 2.0, 4.0, 8.0)  # seconds between the up to 5 writes of a new key


class SecretStore:
    """Google Secret Manager as the provider uses it: read a version, add one, destroy one.

    It keeps one client per endpoint (``SECRETMANAGER_EMULATOR_HOST`` or Google), made on first
    use; ``backoff`` is the pause before each retry of an UNAVAILABLE answer.
    """

    def __init__(self, *, backoff: tuple[float, ...] = _BACKOFF) -> None:
        self._backoff = backoff
        self._lock = threading.Lock()
        self._clients: dict[str | None, SecretManagerServiceClient] = {}

    def __repr__(self) -> str:
        return "SecretStore()"

    def _client(self, secret_name: str) -> SecretManagerServiceClient:
        host = os.environ.get(EMULATOR_ENV) or None
        with self._lock:  # held while building, so concurrent first calls build one client
            client = self._clients.get(host)
            if client is None:
                client = self._clients[host] = _new_client(host, secret_name)
            return client

    def _call(self, op: str, name: str, fn: Callable[..., _T], request: Any, timeout: float,
              payload: str | None = None) -> _T:
        return _call(op, name, fn, request, timeout, payload, self._backoff)

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.transport.close()
            self._clients.clear()

    def read(self, version_name: str, *, timeout: float = 30.0) -> str:
        """Return the payload of ``projects/P/secrets/S/versions/{N|latest}`` as text (UTF-8), exactly as stored."""
        return self.access(version_name, timeout=timeout)[1]

    def access(self, version_name: str, *, timeout: float = 30.0) -> tuple[str, str]:
        """``(version, payload)`` of ``projects/P/secrets/S/versions/{N|latest}``: the version named
        by its number (``latest`` resolved), with the project as the caller wrote it, and the
        payload as text (UTF-8), exactly as stored."""
        project, secret_id, _ = parse_version_name(version_name)
        from google.cloud.secretmanager_v1 import types

        client = self._client(version_name)
        response = self._call(
            "access", version_name, client.access_secret_version, types.AccessSecretVersionRequest(name=version_name), timeout
        )
        data: bytes = response.payload.data
        if len(data) > MAX_PAYLOAD_BYTES:
            # Secret Manager stores no more than this: a larger answer is not its own (and would
            # be registered, scrubbed for and sent as a key, at seconds of CPU per use).
            raise SecretManagerError(
                f"Secret Manager returned {len(data)} bytes for {version_name!r}, more than a secret "
                f"version can hold ({MAX_PAYLOAD_BYTES})", version_name, code="OUT_OF_RANGE")
        # Verify the checksum Google sends, so a corrupted payload is an error rather than a wrong key.
        if "data_crc32c" in response.payload and (response.payload.data_crc32c & 0xFFFFFFFF) != _crc32c(data):
            raise SecretManagerError(
                f"Secret Manager returned corrupted data for {version_name!r} (CRC32C checksum mismatch); retry",
                version_name,
                code="DATA_LOSS",
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretManagerError(
                f"Secret Manager secret version {version_name!r} does not hold UTF-8 text", version_name
            ) from None
        # Google answers with the project number; keep the caller's project id in the name.
        number = str(response.name).rsplit("/", 1)[-1]
        if not _VERSION_RE.fullmatch(number) or number == "latest":
            number = version_name.rsplit("/", 1)[-1]
        return f"projects/{project}/secrets/{secret_id}/versions/{number}", text

    def write(self, secret_name: str, payload: str, *, create: bool = False, timeout: float = 30.0) -> str:
        """Add `payload` as a new version of ``projects/P/secrets/S``; return the version's name.

        With create=True a missing secret is created first, with automatic replication.
        The name returned keeps the project as the caller wrote it (Google answers with
        the project number), so it lines up with the configured secret.
        """
        parse_secret_name(secret_name)
        data = payload.encode("utf-8")
        if not data:
            raise SecretManagerError(f"cannot write an empty value to Secret Manager secret {secret_name!r}", secret_name)
        if len(data) > MAX_PAYLOAD_BYTES:
            raise SecretManagerError(
                f"value for Secret Manager secret {secret_name!r} is {len(data)} bytes; the limit is {MAX_PAYLOAD_BYTES}",
                secret_name,
            )
        from google.cloud.secretmanager_v1 import types

        client = self._client(secret_name)
        deadline = time.monotonic() + timeout
        # The checksum lets Google reject a payload damaged on the way.
        add_request = types.AddSecretVersionRequest(
            parent=secret_name, payload=types.SecretPayload(data=data, data_crc32c=_crc32c(data))
        )

        def add() -> Any:
            return self._call("add", secret_name, client.add_secret_version, add_request, deadline - time.monotonic(), payload)

        # Add first and create only on NOT_FOUND: creating first would need
        # secretmanager.secrets.create even when the secret already exists.
        try:
            version = add()
        except SecretManagerError as e:
            if not (create and e.code == "NOT_FOUND"):
                raise
            project, secret_id = parse_secret_name(secret_name)
            create_request = types.CreateSecretRequest(
                parent=f"projects/{project}",
                secret_id=secret_id,
                secret=types.Secret(replication=types.Replication(automatic=types.Replication.Automatic())),
            )
            try:
                self._call("create", secret_name, client.create_secret, create_request, deadline - time.monotonic(), payload)
            except SecretManagerError as ce:
                if ce.code != "ALREADY_EXISTS":  # created meanwhile by someone else: fine
                    raise
            version = add()
        number = version.name.rsplit("/", 1)[-1]
        return f"{secret_name}/versions/{number}"

    def write_new_key(self, secret_name: str, payload: str, *, create: bool = False,
                      backoff: tuple[float, ...] = KEY_WRITE_BACKOFF) -> str:
        """`write` for a key that exists nowhere else yet (SparkPost shows a key once): transient
        failures are retried, up to ``len(backoff) + 1`` writes over ~15 s. A retried write whose
        first attempt did land leaves two versions holding the same key: harmless."""
        for wait in (*backoff, None):
            try:
                return self.write(secret_name, payload, create=create)
            except SecretManagerError as e:
                if wait is None or e.code not in TRANSIENT_CODES:
                    raise
            time.sleep(wait)
        raise AssertionError("unreachable")

    def destroy(self, version_name: str, *, timeout: float = 30.0) -> None:
        """Destroy ``projects/P/secrets/S/versions/N`` for good.

        Idempotent, as a Terraform delete must be: a version or secret that is
        already gone, or a version already destroyed, is success.
        """
        _, _, version = parse_version_name(version_name)
        if version == "latest":
            # Destroying "whatever is newest now" could hit a version someone else just added.
            raise SecretManagerError(
                f"cannot destroy {version_name!r}: name a version number, not latest", version_name
            )
        from google.cloud.secretmanager_v1 import types

        client = self._client(version_name)
        deadline = time.monotonic() + timeout
        try:
            self._call("destroy", version_name, client.destroy_secret_version,
                  types.DestroySecretVersionRequest(name=version_name), timeout)
        except SecretManagerError as e:
            if e.code == "NOT_FOUND":
                return
            if e.code != "FAILED_PRECONDITION":
                raise
            # FAILED_PRECONDITION is what an already destroyed version gives; check that this is the reason.
            current = self._call("get", version_name, client.get_secret_version,
                            types.GetSecretVersionRequest(name=version_name), max(0.0, deadline - time.monotonic()))
            if current.state != types.SecretVersion.State.DESTROYED:
                raise
