"""Validators of values SparkPost (or Google Secret Manager) gives a meaning: IP allow-lists,
host and domain names, subaccount ids, secret names. The generic ones (lengths, patterns,
choices) are in `provider.tfplugin.validators`."""

from __future__ import annotations

import ipaddress
import re

from ..tfplugin.validators import describe_char

SUBACCOUNT_ID_MAX = 2**31 - 1  # SparkPost's JSON numbers are signed 32-bit


def ipv4_or_cidr(v: str) -> str | None:
    """SparkPost takes IPv4 addresses and IPv4 CIDR blocks only (its own check refuses IPv6)."""
    try:
        net = ipaddress.ip_network(v, strict=False)
    except ValueError:
        return f"{v!r} is not an IPv4 address or CIDR block (like 203.0.113.7 or 10.0.0.0/8)."
    if net.version != 4:
        return f"{v!r} is IPv6; SparkPost accepts only IPv4 addresses and CIDR blocks here."
    if "/" in v and net.with_prefixlen != v and not _host_bits_ok(v):
        return f"{v!r} has host bits set; did you mean {net.with_prefixlen}?"
    return None


def _host_bits_ok(v: str) -> bool:
    try:
        ipaddress.ip_network(v, strict=True)
        return True
    except ValueError:
        return False


# ASCII only: with re.IGNORECASE alone, [a-z] also matches the Kelvin sign (U+212A), which
# lower() turns into "k", so "mail.\u212aelvin.example" would pass and name mail.kelvin.example.
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE | re.ASCII)


def host_name(v: str) -> str | None:
    """A DNS host name in ASCII. Internationalized names must be given in their A-label
    (punycode, `xn--...`) form, which is what DNS and SparkPost hold. The provider does not
    convert a Unicode name itself: IDNA 2003 and 2008 disagree on some characters, and the
    compatibility folding of IDNA 2003 turns lookalikes (the Kelvin sign, fullwidth letters)
    into a different, real ASCII domain."""
    if not v.isascii():
        bad = next(c for c in v if not c.isascii())
        return (f"{ascii(v)} is not an ASCII host name: character {v.index(bad) + 1} is {describe_char(bad)}. "
                "Write an internationalized domain in its A-label (punycode) form, like xn--bcher-kva.example.")
    if len(v) > 253:
        return f"{v!r} is longer than 253 characters, the limit for a DNS name."
    labels = v.rstrip(".").split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return f"{v!r} is not a valid host name (like mail.example.com)."
    if labels[-1].isdigit():
        return f"{v!r} looks like an IP address; a domain name is needed."
    return None


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


def _subaccount_id_text(v: str, low: int) -> str | None:
    if not re.fullmatch(r"0|[1-9][0-9]{0,9}", v) or not low <= int(v) <= SUBACCOUNT_ID_MAX:
        return (f"must be a subaccount id: a whole number from {low} to {SUBACCOUNT_ID_MAX}, written without sign "
                f"or leading zeros (like \"123\"); got {v!r}.")
    return None


def subaccount_id_text(v: str) -> str | None:
    """A subaccount id as SparkPost writes it and sparkpost_subaccount.id holds it: a string.
    "0" is allowed (a sending domain's `subaccount_id = 0` names the primary account)."""
    return _subaccount_id_text(v, 0)


def positive_subaccount_id_text(v: str) -> str | None:
    """A subaccount id, as `subaccount_id_text`, naming a subaccount (never "0"): an API key of
    the primary account has a null `subaccount_id`."""
    return _subaccount_id_text(v, 1)


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
