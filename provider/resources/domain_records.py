"""What the sending-domain resource and data source share: the DNS records a domain needs,
the status object, DKIM key text, import ids and verification durations.

Pure functions and schema pieces only (no HTTP): `cryptography` is imported inside the two
functions that parse keys, so importing this module stays cheap.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ..tfplugin.schema import Attribute, NestedType
from ..tfplugin.values import UNKNOWN, Unknown
from .common import host_name

# The bounce CNAME target per region (reference section 4.7).
BOUNCE_CNAME_TARGET = {"us": "sparkpostmail.com", "eu": "eu.sparkpostmail.com"}

# Stable ids of the records in `dns_records`: they never depend on the record's value, so
# `for_each = { for r in x.dns_records : r.id => r }` keeps its keys when a key rotates.
DKIM_RECORD_ID = "dkim"
BOUNCE_RECORD_ID = "bounce_cname"

DKIM_PURPOSE = "DKIM signing and ownership verification"
BOUNCE_PURPOSE = "bounce (Return-Path) domain"

DKIM_KEY_LENGTHS = (1024, 2048)
DEFAULT_DKIM_KEY_LENGTH = 2048

STATUS_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("ownership_verified", "bool",
     "True once any verification method succeeded (DKIM, bounce CNAME, MX or a mailbox). "
     "SparkPost sends mail from the domain only when this is true and `compliance_status` is `valid`."),
    ("dkim_status", "string",
     "DKIM TXT record check: `unverified`, `pending`, `invalid` or `valid`. `valid` means mail is DKIM-signed."),
    ("cname_status", "string",
     "Bounce CNAME check: `unverified`, `pending`, `invalid` or `valid`. `valid` lets the domain be a bounce "
     "(Return-Path) domain."),
    ("mx_status", "string", "MX check (SparkPost Enterprise only): `unverified`, `pending`, `invalid` or `valid`."),
    ("spf_status", "string", "Deprecated by SparkPost; always `unverified` in practice."),
    ("abuse_at_status", "string", "Verification by email to abuse@ the domain."),
    ("postmaster_at_status", "string", "Verification by email to postmaster@ the domain."),
    ("compliance_status", "string", "SparkPost's compliance review: `valid`, `pending` or `blocked`."),
    ("verification_mailbox_status", "string", "Verification by email to a chosen mailbox of the domain."),
)
_STATUS_DEFAULTS: dict[str, Any] = {"ownership_verified": False}


# ---------------------------------------------------------------- schema pieces


def status_attribute() -> Attribute:
    return Attribute(
        "status",
        computed=True,
        nested=NestedType([Attribute(name, ty, computed=True, description=doc) for name, ty, doc in STATUS_FIELDS]),
        description=(
            "The domain's verification status as SparkPost last reported it. Refreshed on every plan "
            "(one GET, never a verification request); a change here is recorded in state and never makes "
            "a plan non-empty by itself."
        ),
    )


def dns_records_attribute() -> Attribute:
    return Attribute(
        "dns_records",
        computed=True,
        nested=NestedType(
            [
                Attribute("id", "string", computed=True, description=(
                    f"A stable key for `for_each`: `{DKIM_RECORD_ID}` or `{BOUNCE_RECORD_ID}`. It does not change "
                    "when the record's value does.")),
                Attribute("type", "string", computed=True, description="The DNS record type: `TXT` or `CNAME`."),
                Attribute("name", "string", computed=True, description=(
                    "The fully qualified record name, without a trailing dot (for example "
                    "`scph0125._domainkey.mail.example.com`).")),
                Attribute("value", "string", computed=True, description=(
                    "The record value. A DKIM TXT value of a 2048-bit key is about 400 characters: DNS "
                    "providers that do not split long TXT values themselves need it cut into quoted strings "
                    "of at most 255 characters.")),
                Attribute("purpose", "string", computed=True, description=(
                    "What the record is for, in words: DKIM signing and ownership, or the bounce domain.")),
            ],
            nesting="set",
        ),
        description=(
            "The DNS records to publish for this domain, as a set of objects with a stable `id`, made for "
            "`for_each` into a DNS provider:\n\n"
            f"- `{DKIM_RECORD_ID}`: TXT at `SELECTOR._domainkey.DOMAIN` with `v=DKIM1; k=rsa; h=sha256; p=PUBLIC_KEY` "
            "(proves ownership and enables DKIM signing);\n"
            f"- `{BOUNCE_RECORD_ID}`: CNAME from the domain to `sparkpostmail.com` (`eu.sparkpostmail.com` in the "
            "EU region), which makes it a bounce domain. A CNAME cannot share a name with other records, so use a "
            "subdomain such as `mail.example.com` for the sending domain.\n\n"
            "The ids, types and the CNAME are known at plan time, so `for_each` keys are known on the first apply. "
            "The DKIM record's name and value are known at plan time too when you bring the key; with a generated "
            "key they are known after the domain is created."
        ),
    )


# ---------------------------------------------------------------- validators


def sending_domain_name(v: str) -> str | None:
    problem = host_name(v)
    if problem:
        return problem
    if v.endswith("."):
        return f"{v!r}: give the domain without the trailing dot."
    tld = v.rsplit(".", 1)[-1]
    if not re.fullmatch(r"[A-Za-z]{2,63}", tld):
        return f"{v!r} is not a valid sending domain: it must end in a top-level domain of letters (like .com)."
    return None


def dkim_key_length(v: Any) -> str | None:
    return None if v in DKIM_KEY_LENGTHS else f"must be 1024 or 2048 (bits); got {v}."


_SELECTOR_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})")


def dkim_selector(v: str) -> str | None:
    if _SELECTOR_RE.fullmatch(v):
        return None
    return (f"{v!r} is not a valid DKIM selector: 1 to 63 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.")


def key_text(v: str) -> str | None:
    if key_der(v) is None:
        return "must be a base64 DER key (PEM armour and line breaks are accepted), with no password."
    return None


def subaccount_number(v: Any) -> str | None:
    if isinstance(v, bool) or int(v) != v or v < 0:
        return f"must be a whole, non-negative subaccount id; got {v}."
    return None


# ---------------------------------------------------------------- durations

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go-style durations as Terraform users write them: "30s", "5m", "1h30m", "1.5m"."""
    t = text.strip()
    if not t or _DURATION_PART.sub("", t):
        raise ValueError(f"{text!r} is not a duration like \"30s\", \"5m\" or \"1h30m\".")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(t))


def duration_between(low: float, high: float):  # type: ignore[no-untyped-def]
    def check(v: str) -> str | None:
        try:
            seconds = parse_duration(v)
        except ValueError as err:
            return str(err)
        if not low <= seconds <= high:
            return f"must be between {_human(low)} and {_human(high)}; got {v!r}."
        return None

    return check


def _human(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


# ---------------------------------------------------------------- DKIM keys


def normalise_key(text: str) -> str:
    """Bare base64, the form SparkPost stores and echoes back (PEM armour and spaces removed)."""
    return re.sub(r"\s+", "", re.sub(r"-----[A-Z0-9 ]+-----", "", text))


def key_der(text: str) -> bytes | None:
    body = normalise_key(text)
    if not body:
        return None
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def _load_public(text: str) -> Any | None:
    der = key_der(text)
    if der is None:
        return None
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_der_public_key(der)  # SubjectPublicKeyInfo
    except Exception:  # noqa: BLE001 - any parse failure means "not a key we know"
        pass
    try:  # a bare PKCS#1 RSAPublicKey
        pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(der) + b"-----END RSA PUBLIC KEY-----\n"
        return serialization.load_pem_public_key(pem)
    except Exception:  # noqa: BLE001
        return None


def key_bits(public: str | None) -> int | None:
    """The RSA key length of a public key, or None when it cannot be read."""
    if not public:
        return None
    key = _load_public(public)
    return getattr(key, "key_size", None)


def key_pair_problem(private: str, public: str) -> str | None:
    """Why a brought key pair would be refused by SparkPost, or None when it looks right."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    der = key_der(private)
    try:
        priv = serialization.load_der_private_key(der, password=None) if der else None  # PKCS#1 or PKCS#8
    except Exception:  # noqa: BLE001
        priv = None
    if not isinstance(priv, rsa.RSAPrivateKey):
        return "The private key is not an unencrypted RSA key in PKCS#1 or PKCS#8 form."
    pub = _load_public(public)
    if not isinstance(pub, rsa.RSAPublicKey):
        return "The public key is not an RSA public key."
    if priv.public_key().public_numbers() != pub.public_numbers():
        return "The private and public keys do not belong together."
    return None


# ---------------------------------------------------------------- records and status


def dkim_record_name(selector: str, signing_domain: str) -> str:
    return f"{selector}._domainkey.{signing_domain}".lower()


def dkim_record_value(public: str) -> str:
    return f"v=DKIM1; k=rsa; h=sha256; p={normalise_key(public)}"


def dns_records(
    domain: str, region: str, selector: str | None, public: str | None, signing_domain: str | None = None
) -> list[dict[str, str]]:
    """The records to publish: the DKIM TXT (when the domain has a key) and the bounce CNAME."""
    domain = domain.lower()
    out: list[dict[str, str]] = []
    if selector and public:
        out.append({
            "id": DKIM_RECORD_ID,
            "type": "TXT",
            "name": dkim_record_name(selector, signing_domain or domain),
            "value": dkim_record_value(public),
            "purpose": DKIM_PURPOSE,
        })
    out.append({
        "id": BOUNCE_RECORD_ID,
        "type": "CNAME",
        "name": domain,
        "value": BOUNCE_CNAME_TARGET[region],
        "purpose": "bounce (Return-Path) domain",
    })
    return out


def planned_dns_records(
    domain: str, region: str, has_dkim: bool, selector: Any, public: Any, signing_domain: Any
) -> list[dict[str, Any]]:
    """`dns_records` for a plan: the DKIM record's name and value stay unknown until the key is
    known, but its id, type and purpose (and the whole CNAME record) are known already."""
    parts = (selector, public, signing_domain)
    if has_dkim and all(isinstance(p, str) and p for p in parts):
        return dns_records(domain, region, selector, public, signing_domain)
    records = dns_records(domain, region, None, None)
    if has_dkim or any(isinstance(p, Unknown) for p in parts):
        records.insert(0, {
            "id": DKIM_RECORD_ID, "type": "TXT", "name": UNKNOWN, "value": UNKNOWN,
            "purpose": DKIM_PURPOSE,
        })
    return records


def status_of(raw: dict[str, Any] | None) -> dict[str, Any]:
    """The status object from a GET (`results.status`) or a verify response (flattened fields)."""
    raw = raw or {}
    out: dict[str, Any] = {}
    for name, ty, _ in STATUS_FIELDS:
        value = raw.get(name, _STATUS_DEFAULTS.get(name))
        if ty == "bool":
            out[name] = bool(value)
        else:
            out[name] = value if isinstance(value, str) else None
    return out


def dkim_of(api: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(selector, public key, signing domain) of a GET or create response; None when absent."""
    dkim = api.get("dkim") if isinstance(api.get("dkim"), dict) else {}
    selector = dkim.get("selector") or None
    public = dkim.get("public") or None
    signing = dkim.get("signing_domain") or None  # absent, or "" in older responses
    return selector, public, signing


def bounce_ready(status: dict[str, Any] | None) -> bool:
    """SparkPost lets a domain be the default bounce domain once its CNAME (or MX) is valid."""
    status = status or {}
    return status.get("cname_status") == "valid" or status.get("mx_status") == "valid"


def record_instructions(records: list[dict[str, str]], ids: list[str]) -> str:
    """One line per record to publish, naming it and the value it must hold."""
    lines = []
    for r in sorted(records, key=lambda r: r["id"]):
        if r["id"] in ids:
            lines.append(f"  - {r['type']} record {r['name']} with the value: {r['value']}")
    return "\n".join(lines)


# ---------------------------------------------------------------- ids


def import_id(subaccount_id: int | None, domain: str) -> str:
    return f"{subaccount_id}/{domain}" if subaccount_id is not None else domain


def parse_import_id(text: str) -> tuple[int | None, str]:
    """`DOMAIN` or `SUBACCOUNT_ID/DOMAIN`; raises ValueError with a readable message."""
    raw = text.strip()
    sub: int | None = None
    domain = raw
    if "/" in raw:
        head, _, domain = raw.partition("/")
        if not head.isdigit():
            raise ValueError(f"{text!r}: the part before '/' must be a subaccount id (a number).")
        sub = int(head)
    problem = sending_domain_name(domain) if domain else "the domain is missing."
    if problem:
        raise ValueError(f"{text!r}: {problem}")
    return sub, domain
