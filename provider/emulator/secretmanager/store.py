"""The fake's state: secrets and their versions by canonical name, the state changes Google
allows, and the JSON file that keeps them across restarts. Every method expects the fake's lock
to be held; a refusal is an `Abort` carrying the gRPC status Google answers with."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Iterable, Mapping

import grpc
from google.cloud.secretmanager_v1 import types as sm

from .iam import denied
from .model import MAX_PAYLOAD, SECRET_RE, STATES, VERSION_RE, Abort, Secret, Version, VersionInfo, crc32c


class Store:
    """The secrets of the projects the fake serves."""

    def __init__(
        self,
        projects: Iterable[str] | None,
        project_numbers: Mapping[str, str] | None,
        state_file: str | None,
    ) -> None:
        self._numbers = dict(project_numbers or {})
        self._projects = None if projects is None else {self.canon_project(p) for p in projects}
        self._state_file = state_file
        self.secrets: dict[str, Secret] = {}
        if self._state_file and os.path.exists(self._state_file):
            self.load()

    # ----- names -----------------------------------------------------------------

    def canon_project(self, project: str) -> str:
        return self._numbers.get(project, project)

    def check_project(self, project: str, method: str, resource: str) -> str:
        canon = self.canon_project(project)
        if self._projects is not None and canon not in self._projects:
            raise Abort(grpc.StatusCode.PERMISSION_DENIED, denied(method, resource))
        return canon

    def match_secret(self, name: str) -> tuple[str, str]:
        m = SECRET_RE.fullmatch(name)
        if not m:
            raise Abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"The provided Secret name [{name}] does not match the expected format [projects/*/secrets/*]",
            )
        return m.group(1), m.group(2)

    def canon_secret_name(self, name: str) -> str:
        project, secret_id = self.match_secret(name)
        return f"projects/{self.canon_project(project)}/secrets/{secret_id}"

    # ----- state logic -------------------------------------------------------------

    def get_secret(self, name: str, method: str = "GetSecret") -> Secret:
        project, secret_id = self.match_secret(name)
        project = self.check_project(project, method, name)
        canon = f"projects/{project}/secrets/{secret_id}"
        secret = self.secrets.get(canon)
        if secret is None:
            raise Abort(grpc.StatusCode.NOT_FOUND, f"Secret [{canon}] not found.")
        return secret

    def get_version(self, name: str, *, allow_latest: bool, method: str = "GetSecretVersion") -> tuple[Secret, Version]:
        m = VERSION_RE.fullmatch(name)
        if not m or (m.group(3) == "latest" and not allow_latest):
            raise Abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"The provided Secret Version ID [{name}] does not match the expected format "
                f"[projects/*/secrets/*/versions/{{number{'|latest' if allow_latest else ''}}}]",
            )
        project, secret_id, ref = m.groups()
        project = self.check_project(project, method, name)
        canon_secret = f"projects/{project}/secrets/{secret_id}"
        secret = self.secrets.get(canon_secret)
        if secret is None:
            raise Abort(grpc.StatusCode.NOT_FOUND, f"Secret [{canon_secret}] not found.")
        if ref == "latest":
            # The alias is the newest version whatever its state: no fallback to older enabled ones.
            if not secret.versions:
                raise Abort(grpc.StatusCode.NOT_FOUND, f"Secret [{canon_secret}] not found or has no versions.")
            return secret, secret.versions[-1]
        number = int(ref)
        if number > len(secret.versions):
            raise Abort(grpc.StatusCode.NOT_FOUND, f"Secret Version [{canon_secret}/versions/{number}] not found.")
        return secret, secret.versions[number - 1]

    def create(self, project: str, secret_id: str, replication: sm.Replication, labels: dict[str, str]) -> Secret:
        canon = f"projects/{self.canon_project(project)}/secrets/{secret_id}"
        if canon in self.secrets:
            raise Abort(grpc.StatusCode.ALREADY_EXISTS, f"Secret [{canon}] already exists.")
        secret = Secret(canon, time.time(), sm.Replication.serialize(replication), labels)
        self.secrets[canon] = secret
        self.save()
        return secret

    def add(self, secret: Secret, data: bytes, client_crc: int | None) -> VersionInfo:
        if not data:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "Secret Payload cannot be empty.")
        if len(data) > MAX_PAYLOAD:
            raise Abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"Secret Payload cannot be larger than {MAX_PAYLOAD} bytes (got {len(data)}).",
            )
        crc = crc32c(data)
        if client_crc is not None and (client_crc & 0xFFFFFFFF) != crc:
            raise Abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "Checksum mismatch: the payload data_crc32c does not match the data; data corrupted in transit.",
            )
        version = Version(len(secret.versions) + 1, data, crc, "ENABLED", time.time(), None, client_crc is not None)
        secret.versions.append(version)
        self.save()
        return self.info(secret, version)

    def transition(self, secret: Secret, version: Version, target: str, *, strict: bool = True) -> None:
        if target not in STATES:
            raise ValueError(f"state must be one of {STATES}, not {target!r}")
        name = f"{secret.name}/versions/{version.number}"
        if version.state == "DESTROYED":
            # A destroyed version is gone for good: it can be neither enabled, disabled nor destroyed again.
            if strict:
                raise Abort(grpc.StatusCode.FAILED_PRECONDITION, f"Secret Version [{name}] is in DESTROYED state.")
            if target != "DESTROYED":
                raise ValueError(f"{name} is destroyed; its payload is gone and it cannot become {target}")
        version.state = target
        if target == "DESTROYED":
            version.data = None
            version.crc = None
            version.destroy_time = time.time()
        self.save()

    def info(self, secret: Secret, v: Version) -> VersionInfo:
        return VersionInfo(f"{secret.name}/versions/{v.number}", v.number, v.state, v.data, v.crc, v.client_checksum)

    # ----- persistence ---------------------------------------------------------------

    def save(self) -> None:
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
                for s in self.secrets.values()
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

    def load(self) -> None:
        assert self._state_file
        with open(self._state_file) as f:
            doc = json.load(f)
        for s in doc.get("secrets", []):
            versions = [
                Version(**{**v, "data": None if v["data"] is None else base64.b64decode(v["data"])})
                for v in s["versions"]
            ]
            self.secrets[s["name"]] = Secret(
                s["name"], s["create_time"], base64.b64decode(s["replication"]), dict(s["labels"]), versions
            )
