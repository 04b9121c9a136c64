"""Typed SparkPost objects, parsed and checked where the JSON arrives (the client).

Resources see these models only, never SparkPost's JSON. A response whose shape is wrong (a
proxy page, an API change) raises ``InvalidResponse`` naming the request's method and path and
the field that is wrong (``results[3].id``), instead of a wrong value reaching Terraform state.

What each field means, and where SparkPost documents it: ``docs/`` and the reference notes
cited in the client. Only the fields the provider uses are modelled.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar
from urllib.parse import unquote, urlsplit

from .errors import InvalidResponse

T = TypeVar("T")
SUBACCOUNT_ID_MAX = 2**31 - 1  # the range import IDs and state ids take (resources/subaccount.py)
MAX_ID_CHARS = 1024  # API key, webhook and IP pool ids are UUIDs or short names

# ---------------------------------------------------------------- parsing helpers


class Where:
    """The request a JSON value came from, and the field being read: what an error names."""

    def __init__(self, method: str, path: str, field: str = "results") -> None:
        self.method, self.path, self.field = method, path, field

    def at(self, name: str | int) -> "Where":
        sub = f"{self.field}[{name}]" if isinstance(name, int) else f"{self.field}.{name}"
        return Where(self.method, self.path, sub)

    def invalid(self, problem: str) -> InvalidResponse:
        return InvalidResponse(f"the field {self.field!r} {problem}", method=self.method,
                               path=self.path)


def _type_name(kind: type) -> str:
    return {dict: "an object", list: "an array", str: "a string", int: "an integer",
            bool: "a boolean"}.get(kind, kind.__name__)


class Fields:
    """Checked access to one JSON object's members."""

    def __init__(self, obj: Any, where: Where) -> None:
        if not isinstance(obj, dict):
            got = "null" if obj is None else type(obj).__name__
            raise where.invalid(f"is {got}, expected an object")
        self._obj: dict[str, Any] = obj
        self.where = where

    def _get(self, name: str, kind: type, required: bool) -> Any:
        value = self._obj.get(name)
        if value is None:
            if required:
                raise self.where.at(name).invalid(f"is missing, expected {_type_name(kind)}")
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.where.at(name).invalid(
                f"is {type(value).__name__}, expected {_type_name(kind)}")
        return value

    def text(self, name: str) -> str:
        value: str = self._get(name, str, True)
        return value

    def opt_text(self, name: str) -> str | None:
        value: str | None = self._get(name, str, False)
        return value

    def integer(self, name: str) -> int:
        value: int = self._get(name, int, True)
        return value

    def opt_integer(self, name: str) -> int | None:
        value: int | None = self._get(name, int, False)
        return value

    def subaccount_id(self, name: str) -> int:
        """A subaccount's own id: 1 to 2^31-1, as the provider accepts it everywhere else (an
        id out of range would be recorded in state and then refused at every later read)."""
        value = self.integer(name)
        if not 1 <= value <= SUBACCOUNT_ID_MAX:
            raise self.where.at(name).invalid(
                f"is {str(value)[:40]}, expected a subaccount id (1 to {SUBACCOUNT_ID_MAX})")
        return value

    def ident(self, value: str | None, name: str) -> str | None:
        """An object id the provider will put in a URL path later: one it cannot (empty, ".",
        "..", spaces around it, control characters) is an invalid response here, naming the
        field, rather than a ValueError at the next call, after the object was made."""
        if value is None:
            return None
        if not value or value.strip() != value or value in (".", "..") or len(value) > MAX_ID_CHARS \
                or any(ord(c) < 32 or c == "\x7f" for c in value):
            raise self.where.at(name).invalid(f"is {value[:40]!r}, not an id that can name an object")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value: bool | None = self._get(name, bool, False)
        return default if value is None else value

    def texts(self, name: str, *, required: bool = True) -> list[str]:
        """A list of strings (numbers are SparkPost being loose: kept as their text)."""
        items: list[Any] | None = self._get(name, list, required)
        out = []
        for i, item in enumerate(items or []):
            if not isinstance(item, (str, int)) or isinstance(item, bool):
                raise self.where.at(name).at(i).invalid(
                    f"is {type(item).__name__}, expected a string")
            out.append(str(item))
        return out

    def obj(self, name: str) -> "Fields | None":
        value = self._get(name, dict, False)
        return None if value is None else Fields(value, self.where.at(name))

    def raw(self, name: str) -> Any:
        return self._obj.get(name)


def parse_list(items: Any, where: Where, parse: Callable[[Fields], T]) -> list[T]:
    """Each entry of a ``results`` array, its errors naming ``results[i].field``."""
    if not isinstance(items, list):
        raise where.invalid(f"is {type(items).__name__}, expected an array")
    return [parse(Fields(item, where.at(i))) for i, item in enumerate(items)]


# ---------------------------------------------------------------- account


@dataclass(frozen=True)
class Account:
    """GET /account: only what the provider reads (the call proves the key works)."""

    customer_id: int | None

    @classmethod
    def parse(cls, f: Fields) -> "Account":
        return cls(customer_id=f.opt_integer("customer_id"))


# ---------------------------------------------------------------- subaccounts


@dataclass(frozen=True)
class Subaccount:
    """A subaccount as GET /subaccounts[/{id}] returns it."""

    id: int
    name: str
    status: str  # active, suspended or terminated
    ip_pool: str | None = None
    compliance_status: str | None = None
    deliverability: bool = False

    @classmethod
    def parse(cls, f: Fields) -> "Subaccount":
        options = f.obj("options")
        return cls(
            id=f.subaccount_id("id"),
            name=f.text("name"),
            status=f.text("status"),
            ip_pool=f.opt_text("ip_pool") or None,
            compliance_status=f.opt_text("compliance_status"),
            deliverability=options.flag("deliverability") if options else False,
        )


@dataclass(frozen=True)
class CreatedSubaccount:
    """POST /subaccounts: the new id and, with ``setup_api_key``, the key shown only once."""

    id: int
    key: str | None = None
    short_key: str | None = None
    label: str | None = None

    @classmethod
    def parse(cls, f: Fields) -> "CreatedSubaccount":
        return cls(id=f.subaccount_id("subaccount_id"), key=f.opt_text("key") or None,
                   short_key=f.opt_text("short_key"), label=f.opt_text("label"))


@dataclass(frozen=True)
class InitialKey:
    """The first API key made together with a subaccount (``setup_api_key``)."""

    label: str
    grants: list[str]
    valid_ips: list[str] | None = None


# ---------------------------------------------------------------- API keys


@dataclass(frozen=True)
class ApiKey:
    """An API key as GET /api-keys[/{id}] returns it (never the secret)."""

    id: str | None
    label: str | None
    grants: list[str]
    valid_ips: list[str] = field(default_factory=list)  # SparkPost leaves an empty list out
    subaccount_id: int | None = None
    short_key: str | None = None

    @classmethod
    def parse(cls, f: Fields) -> "ApiKey":
        key_id = f.raw("id")
        if key_id is not None and (isinstance(key_id, bool) or not isinstance(key_id, (str, int))):
            raise f.where.at("id").invalid(f"is {type(key_id).__name__}, expected a string")
        return cls(
            id=f.ident(str(key_id) if key_id is not None else None, "id"),
            label=f.opt_text("label"),
            grants=f.texts("grants"),
            valid_ips=f.texts("valid_ips", required=False),
            subaccount_id=f.opt_integer("subaccount_id"),
            short_key=f.opt_text("short_key"),
        )


@dataclass(frozen=True)
class CreatedApiKey:
    """POST /api-keys: the secret (shown once) and the new key's id.

    ``id`` comes from ``link.href`` (SparkPost's create response has no ``id``); the client
    fills it from a list match when the link is missing, and it is None only when that fails.
    """

    id: str | None
    key: str | None
    short_key: str | None
    label: str | None

    @classmethod
    def parse(cls, f: Fields) -> "CreatedApiKey":
        link = f.obj("link")
        key_id = f.ident(f.opt_text("id"), "id") or (
            link.ident(_id_from_href(link.opt_text("href")), "href") if link else None)
        return cls(id=key_id, key=f.opt_text("key") or None, short_key=f.opt_text("short_key"),
                   label=f.opt_text("label"))


def _id_from_href(href: str | None) -> str | None:
    """``/api/v1/api-keys/<id>`` -> ``<id>``."""
    if not href or not href.strip():
        return None
    segments = [s for s in urlsplit(href.strip()).path.split("/") if s]
    if len(segments) < 2 or segments[-2] != "api-keys":
        return None
    return unquote(segments[-1]) or None


# ---------------------------------------------------------------- sending domains

# The status fields of a sending domain, in the order the provider shows them.
STATUS_BOOL_FIELDS = ("ownership_verified",)
STATUS_TEXT_FIELDS = ("dkim_status", "cname_status", "mx_status", "spf_status", "abuse_at_status",
                      "postmaster_at_status", "compliance_status", "verification_mailbox_status")


@dataclass(frozen=True)
class DomainStatus:
    """A sending domain's verification status (``results.status`` of a GET, or the flattened
    fields of a verify response). Text fields are ``unverified``, ``pending``, ``invalid`` or
    ``valid`` (``compliance_status``: ``valid``, ``pending`` or ``blocked``), or None."""

    ownership_verified: bool = False
    dkim_status: str | None = None
    cname_status: str | None = None
    mx_status: str | None = None
    spf_status: str | None = None
    abuse_at_status: str | None = None
    postmaster_at_status: str | None = None
    compliance_status: str | None = None
    verification_mailbox_status: str | None = None

    @classmethod
    def parse(cls, f: Fields | None) -> "DomainStatus":
        if f is None:
            return cls()
        return cls(f.flag("ownership_verified"),
                   *(f.opt_text(name) for name in STATUS_TEXT_FIELDS))


@dataclass(frozen=True)
class Dkim:
    """A domain's DKIM key as SparkPost shows it (never the private half)."""

    selector: str
    public: str
    signing_domain: str | None = None  # absent, or "" in older responses

    @classmethod
    def parse(cls, f: Fields | None) -> "Dkim | None":
        if f is None:
            return None
        selector, public = f.opt_text("selector"), f.opt_text("public")
        if not selector or not public:
            return None
        return cls(selector, public, f.opt_text("signing_domain") or None)


@dataclass(frozen=True)
class DkimKey:
    """A DKIM key pair brought by the user (create or update), in SparkPost's bare base64."""

    selector: str
    public: str
    private: str


@dataclass(frozen=True)
class SendingDomain:
    """A sending domain as GET /sending-domains[/{domain}] returns it.

    SparkPost's GET of one domain omits ``domain``: it is None there.
    """

    domain: str | None
    subaccount_id: int | None = None
    tracking_domain: str | None = None
    shared_with_subaccounts: bool = False
    is_default_bounce_domain: bool = False
    dkim: Dkim | None = None
    status: DomainStatus = field(default_factory=DomainStatus)

    @classmethod
    def parse(cls, f: Fields) -> "SendingDomain":
        return cls(
            domain=f.opt_text("domain"),
            subaccount_id=f.opt_integer("subaccount_id"),
            tracking_domain=f.opt_text("tracking_domain") or None,
            shared_with_subaccounts=f.flag("shared_with_subaccounts"),
            is_default_bounce_domain=f.flag("is_default_bounce_domain"),
            dkim=Dkim.parse(f.obj("dkim")),
            status=DomainStatus.parse(f.obj("status")),
        )


@dataclass(frozen=True)
class Verification:
    """POST /sending-domains/{domain}/verify: the new status, and what DNS said per check."""

    status: DomainStatus
    dns_errors: dict[str, str]  # "dkim"/"cname" -> SparkPost's message about the record

    @classmethod
    def parse(cls, f: Fields) -> "Verification":
        dns = f.obj("dns")
        errors: dict[str, str] = {}
        if dns is not None:
            for check in ("dkim", "cname"):
                text = dns.raw(f"{check}_error")
                if text:
                    errors[check] = str(text)
        return cls(DomainStatus.parse(f), errors)


# ---------------------------------------------------------------- lookups


@dataclass(frozen=True)
class SendingIp:
    """A dedicated IP in a pool (ip-pools.apib: external_ip, hostname, auto_warmup_*)."""

    external_ip: str
    hostname: str | None = None
    auto_warmup_enabled: bool = False
    auto_warmup_stage: int | None = None

    @classmethod
    def parse(cls, f: Fields) -> "SendingIp":
        return cls(external_ip=f.text("external_ip"), hostname=f.opt_text("hostname"),
                   auto_warmup_enabled=f.flag("auto_warmup_enabled"),
                   auto_warmup_stage=f.opt_integer("auto_warmup_stage"))


@dataclass(frozen=True)
class IpPool:
    """An IP pool as GET /ip-pools[/{id}] returns it (ip-pools.apib, "IP Pool Object")."""

    id: str
    name: str | None = None
    signing_domain: str | None = None
    fbl_signing_domain: str | None = None
    auto_warmup_overflow_pool: str | None = None
    ips: list[SendingIp] = field(default_factory=list)

    @classmethod
    def parse(cls, f: Fields) -> "IpPool":
        ips = f.raw("ips")
        return cls(id=f.ident(f.text("id"), "id") or "", name=f.opt_text("name"),
                   signing_domain=f.opt_text("signing_domain") or None,
                   fbl_signing_domain=f.opt_text("fbl_signing_domain") or None,
                   auto_warmup_overflow_pool=f.opt_text("auto_warmup_overflow_pool") or None,
                   ips=[] if ips is None else parse_list(ips, f.where.at("ips"), SendingIp.parse))


# ---------------------------------------------------------------- webhooks


@dataclass(frozen=True)
class WebhookAuth:
    """What the provider sends to authenticate a webhook's batches (never read back)."""

    type: str                          # none, basic or oauth2
    username: str | None = None        # basic
    password: str | None = None        # basic
    token_url: str | None = None       # oauth2
    client_id: str | None = None       # oauth2
    client_secret: str | None = None   # oauth2


@dataclass(frozen=True)
class Webhook:
    """A webhook as GET /webhooks[/{id}] returns it (webhooks.apib). Credentials SparkPost
    returns (the basic password, OAuth2 client secret and access token) are dropped here: only
    the non-secret parts of the authentication are modelled, and `secret_sha256`, the SHA-256 of
    the password (basic) or client secret (oauth2) SparkPost returns, so that a secret changed
    outside Terraform can be told from the configured one without keeping it (None: none
    returned). webhooks.apib's samples return them: the Webhooks Object's
    `auth_credentials.password`, and Retrieve a Webhook's `auth_request_details.body.client_secret`."""

    id: str | None
    name: str
    target: str
    events: list[str]
    active: bool = True
    custom_headers: dict[str, str] = field(default_factory=dict)
    exception_subaccounts: list[str] = field(default_factory=list)
    auth_type: str = "none"
    auth_username: str | None = None
    auth_token_url: str | None = None
    auth_client_id: str | None = None
    secret_sha256: str | None = None

    @classmethod
    def parse(cls, f: Fields) -> "Webhook":
        headers = f.obj("custom_headers")
        creds = f.obj("auth_credentials")
        details = f.obj("auth_request_details")
        body = details.obj("body") if details else None
        return cls(
            id=f.ident(f.opt_text("id"), "id"),
            name=f.text("name"),
            target=f.text("target"),
            events=f.texts("events"),
            active=f.flag("active", True),
            custom_headers={k: str(v) for k, v in (headers._obj if headers else {}).items()},
            exception_subaccounts=f.texts("exception_subaccounts", required=False),
            auth_type=f.opt_text("auth_type") or "none",
            auth_username=creds.opt_text("username") if creds else None,
            auth_token_url=details.opt_text("url") if details else None,
            auth_client_id=body.opt_text("client_id") if body else None,
            secret_sha256=_sha256(
                (creds.opt_text("password") if creds else None) if f.opt_text("auth_type") == "basic"
                else (body.opt_text("client_secret") if body else None) if f.opt_text("auth_type") == "oauth2"
                else None),
        )


def _sha256(secret: str | None) -> str | None:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest() if secret else None


@dataclass(frozen=True)
class CreatedWebhook:
    id: str

    @classmethod
    def parse(cls, f: Fields) -> "CreatedWebhook":
        return cls(id=f.ident(f.text("id"), "id") or "")
