"""What every SparkPost resource shares: the configured client, API errors turned into
diagnostics, and validators that stop bad input before any API call."""

from __future__ import annotations

import ipaddress
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

from ..sparkpost.errors import Forbidden, InvalidResponse, NotFound, SparkPostError, Unauthorized
from ..tfplugin.diagnostics import PathStep, ResourceError
from ..tfplugin.resource import Context
from ..tfplugin.values import Unknown

if TYPE_CHECKING:
    from ..sparkpost.client import SparkPostClient


@dataclass
class ProviderMeta:
    """What ConfigureProvider hands to every resource."""

    client: "SparkPostClient | None"
    region: str = "us"
    # Set when the provider block depends on values known only after apply.
    unknown_reason: str | None = None
    api_key_source: str = "api_key"  # the attribute credential errors point at
    extra: dict[str, Any] = field(default_factory=dict)


def meta_of(ctx: Context | Any) -> ProviderMeta:
    meta = ctx.meta if isinstance(ctx, Context) else ctx
    if not isinstance(meta, ProviderMeta) or meta.client is None:
        reason = getattr(meta, "unknown_reason", None) or "the provider was not configured"
        raise ResourceError(
            "SparkPost provider not configured yet",
            f"This step needs the SparkPost API, but {reason}. Apply the resources the provider "
            "configuration depends on first (for example with -target), then run again.",
        )
    return meta


def client_of(ctx: Context | Any) -> "SparkPostClient":
    client = meta_of(ctx).client
    assert client is not None
    return client


def known(value: Any) -> bool:
    return value is not None and not isinstance(value, Unknown)


@contextmanager
def api_errors(action: str, path: tuple[PathStep, ...] | None = None, *, state: dict[str, Any] | None = None) -> Iterator[None]:
    """Turn a SparkPost API failure into one readable diagnostic about `action`."""
    try:
        yield
    except SparkPostError as err:
        detail = str(err)
        if isinstance(err, Unauthorized):
            detail += (
                "\n\nSparkPost rejected the API key (401): it is wrong, revoked, for the other region, or "
                "used from an IP address outside its allowed list. Check the provider's api_key "
                "(or SPARKPOST_API_KEY / api_key_secret) and region."
            )
        elif isinstance(err, Forbidden):
            detail += (
                "\n\nThe API key is valid but lacks the grant this call needs (403). Give the key the "
                "grant in SparkPost, or use a key that has it."
            )
        raise ResourceError(f"Could not {action}", detail, path, state=state) from err


def is_not_found(err: BaseException) -> bool:
    """The API said the object does not exist (directly, or behind `api_errors`' wrapping)."""
    return isinstance(err, NotFound) or isinstance(err.__cause__, NotFound)


def api_field(obj: Any, name: str, kind: type | tuple[type, ...], what: str, *, required: bool = True) -> Any:
    """A field of an API response, checked: a proxy or an API change must give a clear error
    (raised as InvalidResponse, so `api_errors` names the operation), not a wrong value in state."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(obj, dict):
        raise InvalidResponse(f"expected {what} as a JSON object, got {type(obj).__name__}")
    value = obj.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        got = type(value).__name__ if value is not None else "missing"
        raise InvalidResponse(f"the field {name!r} of {what} is {got}, not {' or '.join(k.__name__ for k in kinds)}")
    return value


# ---------------------------------------------------------------- validators
# Each returns an error message or None; the plugin layer skips null and unknown values.


def max_len(n: int):  # type: ignore[no-untyped-def]
    def check(v: str) -> str | None:
        return None if len(v) <= n else f"must be at most {n} characters; this one has {len(v)}."

    return check


def not_blank(v: str) -> str | None:
    return "must not be empty." if not v.strip() else None


def one_of(*allowed: str):  # type: ignore[no-untyped-def]
    def check(v: str) -> str | None:
        return None if v in allowed else f"must be one of {', '.join(repr(a) for a in allowed)}; got {v!r}."

    return check


def matches(pattern: str, what: str):  # type: ignore[no-untyped-def]
    rx = re.compile(pattern)

    def check(v: str) -> str | None:
        return None if rx.fullmatch(v) else f"must be {what}; got {v!r}."

    return check


def number_between(low: float, high: float):  # type: ignore[no-untyped-def]
    def check(v: Any) -> str | None:
        return None if low <= v <= high else f"must be between {low:g} and {high:g}; got {v}."

    return check


def ipv4_or_cidr(v: str) -> str | None:
    """SparkPost takes IPv4 addresses and IPv4 CIDR blocks only (its own check refuses IPv6)."""
    try:
        net = ipaddress.ip_network(v, strict=False)
    except ValueError:
        return f"{v!r} is not an IPv4 address or CIDR block (like 203.0.113.7 or 10.0.0.0/8)."
    if net.version != 4:
        return f"{v!r} is IPv6; SparkPost accepts only IPv4 addresses and CIDR blocks here."
    if "/" in v and ipaddress.ip_network(v, strict=False).with_prefixlen != v and not _host_bits_ok(v):
        return f"{v!r} has host bits set; did you mean {net.with_prefixlen}?"
    return None


def _host_bits_ok(v: str) -> bool:
    try:
        ipaddress.ip_network(v, strict=True)
        return True
    except ValueError:
        return False


def each(check):  # type: ignore[no-untyped-def]
    """Apply a per-element validator to a list or set value."""

    def run(values: list[Any]) -> str | None:
        problems = [m for v in values if v is not None and not isinstance(v, Unknown) for m in [check(v)] if m]
        return " ".join(problems) or None

    return run


_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE)


def host_name(v: str) -> str | None:
    if len(v) > 253:
        return f"{v!r} is longer than 253 characters, the limit for a DNS name."
    labels = v.rstrip(".").split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return f"{v!r} is not a valid host name (like mail.example.com)."
    if labels[-1].isdigit():
        return f"{v!r} looks like an IP address; a domain name is needed."
    return None


def secret_name(v: str) -> str | None:
    from ..secrets import SecretManagerError, parse_secret_name

    try:
        parse_secret_name(v)
    except SecretManagerError as err:
        return f"{err.message} Expected projects/PROJECT/secrets/SECRET."
    return None


def secret_version_name(v: str) -> str | None:
    from ..secrets import SecretManagerError, parse_version_name

    try:
        parse_version_name(v)
    except SecretManagerError as err:
        return f"{err.message} Expected projects/PROJECT/secrets/SECRET/versions/VERSION (a number or latest)."
    return None
