"""Small validators shared by the endpoint modules (pure functions, no state)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

# The web app's ipRegex accepts dotted-quad IPv4 with an optional /0-32 prefix and
# nothing else; the server message for anything else is "must have valid netmask
# values" (D-sub).  IPv6 is therefore REJECTED (reference section 3.2: the UI regex
# does not accept it; server-side IPv6 support is UNCONFIRMED).
_IPV4_RE = re.compile(r"^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})(?:/([0-9]{1,2}))?\Z")


def is_valid_ip_entry(value: Any) -> bool:
    """True for an IPv4 address or IPv4 CIDR (host bits may be set, as the UI allows)."""
    if not isinstance(value, str):
        return False
    m = _IPV4_RE.match(value.strip())
    if not m:
        return False
    octets = [int(g) for g in m.groups()[:4]]
    if any(o > 255 for o in octets):
        return False
    prefix = m.group(5)
    return prefix is None or 0 <= int(prefix) <= 32


def ip_allowed(client_ip: str, valid_ips: list[str]) -> bool:
    """Empty list = any IP.  An IPv6 caller never matches an IPv4 list."""
    if not valid_ips:
        return True
    try:
        addr = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped  # dual-stack sockets report IPv4 callers as ::ffff:a.b.c.d
    for entry in valid_ips:
        try:
            if addr in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


# The web app's domainRegex (reference section 4.4).
# \Z, not $: `$` also matches before a final "\n", and "example.com\n" is no domain name.
_DOMAIN_RE = re.compile(r"^(?!://)([a-z0-9-]+\.)*[a-z0-9][a-z0-9-]+\.[a-z]{2,63}\Z", re.IGNORECASE)
_DOMAIN_CHARS_RE = re.compile(r"^[A-Za-z0-9.-]+\Z")


def domain_syntax_error(domain: str) -> str | None:
    """The S-chg description for an invalid sending-domain name, or None when valid."""
    if not _DOMAIN_CHARS_RE.match(domain):
        return f"Error domain name contains invalid characters or spaces for domain: {domain}"
    if "." not in domain:
        return f"Error domain name contains no '.'(s) for domain: '{domain}'"
    if len(domain) < 4:
        return f"Error domain name length too short for domain: {domain}"
    labels = domain.split(".")
    if (len(domain) > 253 or any(not lab or len(lab) > 63 for lab in labels)
            or any(lab.startswith("-") or lab.endswith("-") for lab in labels)
            or not _DOMAIN_RE.match(domain)):
        return f"Error validating domain name syntax for domain: '{domain}'"
    return None


def is_org_related(a: str, b: str) -> bool:
    """True when one domain equals the other or is a subdomain of it."""
    return a == b or a.endswith("." + b) or b.endswith("." + a)


_UINT_RE = re.compile(r"[0-9]{1,10}")


def is_uint_text(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts '²', which int() then rejects."""
    return bool(_UINT_RE.fullmatch(text))


def is_int(value: Any) -> bool:
    # bool is an int subclass in Python but not a JSON integer.
    return isinstance(value, int) and not isinstance(value, bool)


def is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
