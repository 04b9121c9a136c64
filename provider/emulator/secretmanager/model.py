"""What the fake holds and Google's rules for it: secrets and their versions, resource names,
the payload limit and its CRC-32C checksum, and the error that becomes a gRPC status."""

from __future__ import annotations

import dataclasses
import re

import grpc

MAX_PAYLOAD = 64 * 1024  # the documented payload limit
STATES = ("ENABLED", "DISABLED", "DESTROYED")

# Google's identifier rules.  Kept here, not shared with provider/secrets.py,
# so that a mistake in the provider's validation is not mirrored by the referee.
PROJECT = r"(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]+)"
SECRET_ID = r"[A-Za-z0-9_-]{1,255}"
PARENT_RE = re.compile(rf"projects/({PROJECT})")
SECRET_RE = re.compile(rf"projects/({PROJECT})/secrets/({SECRET_ID})")
VERSION_RE = re.compile(rf"projects/({PROJECT})/secrets/({SECRET_ID})/versions/([1-9][0-9]*|latest)")


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum Secret Manager uses; pure Python is fast enough for 64 KiB.
    provider/secrets.py has its own copy: the referee imports no provider code, so that a wrong
    checksum on one side is caught by the other."""
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
class Version:
    number: int
    data: bytes | None
    crc: int | None
    state: str
    create_time: float
    destroy_time: float | None = None
    client_checksum: bool = False


@dataclasses.dataclass
class Secret:
    name: str
    create_time: float
    replication: bytes  # serialized sm.Replication, echoed back as given
    labels: dict[str, str]
    versions: list[Version] = dataclasses.field(default_factory=list)


class Abort(Exception):
    """Raised inside the state logic; turned into a gRPC status by the handler wrapper."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
