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

The modules: ``fake`` (``SecretManagerFake``: lifecycle, test controls), ``service`` (the gRPC
methods), ``store`` (the secrets, their state changes, the state file), ``model`` (the records,
names, payload rules), ``faults`` (injected failures), ``iam`` (the permission each method
checks), ``cli`` (the command line).
"""

from __future__ import annotations

from .cli import main
from .fake import SecretManagerFake
from .faults import FAIL_ENV, parse_fail_spec
from .iam import PERMISSIONS
from .model import MAX_PAYLOAD, VersionInfo, crc32c
from .service import SERVICE

__all__ = [
    "FAIL_ENV",
    "MAX_PAYLOAD",
    "PERMISSIONS",
    "SERVICE",
    "SecretManagerFake",
    "VersionInfo",
    "crc32c",
    "main",
    "parse_fail_spec",
]
