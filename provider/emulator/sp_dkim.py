"""DKIM keys: generation, validation of supplied pairs, and the DNS TXT check.

`cryptography` is imported inside the functions on purpose: the emulator must be light
at import, and RSA work only happens when a request asks for it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import re
from typing import Any

DEFAULT_HEADERS = "from:to:subject:date"
# "Key length range | 1024-4096 bits" and "dkim_key_length ... Must be between 1024 and 4096"
# (SparkPost/developers.sparkpost.com content/api/sending-domains.apib, "DKIM Key
# Constraints" and "Create a DKIM Key").  The sending-domain create documents the same field
# ("Size, in bits, of the DKIM private key to be generated ... Default: 2048") without a
# range of its own; the emulator applies the one range to both.
MIN_KEY_LENGTH = 1024
MAX_KEY_LENGTH = 4096
DEFAULT_KEY_LENGTH = 2048  # "New sending domains default to a 2048-bit key" (same file)


def key_length_ok(value: Any) -> bool:
    """An integer number of bits within the documented range (JSON booleans are not numbers)."""
    return isinstance(value, int) and not isinstance(value, bool) and MIN_KEY_LENGTH <= value <= MAX_KEY_LENGTH


def key_bits(public: str) -> int | None:
    """The RSA modulus size of a stored public key (the DKIM-key API's `dkim_key_length` is
    "Derived from the public key on each read")."""
    pub = _load_public(public)
    try:
        return int(pub.key_size) if pub is not None else None
    except AttributeError:
        return None

_SELECTOR_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})\Z")


def default_selector(now: _dt.datetime | None = None) -> str:
    """`scph` + MMYY of creation, the pattern seen in every generated selector."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return f"scph{now.month:02d}{now.year % 100:02d}"


def generate_keypair(bits: int) -> tuple[str, str]:
    """A fresh RSA pair as (private PKCS#1 DER base64, public SubjectPublicKeyInfo DER base64)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_der = key.private_bytes(serialization.Encoding.DER,
                                    serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
    public_der = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(private_der).decode(), base64.b64encode(public_der).decode()


def _der_from_text(text: str) -> bytes | None:
    """Accept PEM or bare base64 (the docs' examples use base64 without PEM headers)."""
    body = re.sub(r"-----[A-Z0-9 ]+-----", "", text)
    body = re.sub(r"\s+", "", body)
    if not body:
        return None
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def _load_private(text: str) -> Any | None:
    from cryptography.hazmat.primitives import serialization
    der = _der_from_text(text)
    if der is None:
        return None
    try:
        return serialization.load_der_private_key(der, password=None)  # PKCS#1 or PKCS#8
    except (ValueError, TypeError, Exception):  # any parse failure means "invalid"
        return None


def _load_public(text: str) -> Any | None:
    from cryptography.hazmat.primitives import serialization
    der = _der_from_text(text)
    if der is None:
        return None
    try:
        return serialization.load_der_public_key(der)  # SubjectPublicKeyInfo
    except (ValueError, TypeError, Exception):
        pass
    try:
        # Bare PKCS#1 RSAPublicKey, wrapped as PEM so cryptography can read it.
        pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(der) + b"-----END RSA PUBLIC KEY-----\n"
        return serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, Exception):
        return None


def check_supplied(dkim: dict[str, Any]) -> str | None:
    """Validate a supplied {private, public, selector}; return the S-chg description or None."""
    private, public, selector = dkim.get("private"), dkim.get("public"), dkim.get("selector")
    if not (isinstance(private, str) and isinstance(public, str) and isinstance(selector, str)):
        return "Empty keys are not allowed."
    if not private.strip() or not public.strip():
        return "Empty keys are not allowed."
    if not selector:
        return "Error: DKIM selector length is zero."
    if not _SELECTOR_RE.match(selector):
        return f"Error: DKIM selector '{selector}' contains invalid characters."
    priv = _load_private(private)
    if priv is None:
        return "Private key does not seem valid. Please use another key pair."
    pub = _load_public(public)
    if pub is None:
        return "Public key does not seem valid. Please use another key pair."
    try:
        if priv.public_key().public_numbers() != pub.public_numbers():
            return "Private and public DKIM keys do not match."
    except AttributeError:  # not RSA
        return "Private key does not seem valid. Please use another key pair."
    return None


def normalise_key_text(text: str) -> str:
    """Store keys as bare base64, the form SparkPost echoes back."""
    body = re.sub(r"-----[A-Z0-9 ]+-----", "", text)
    return re.sub(r"\s+", "", body)


def expected_txt(public: str) -> str:
    """The TXT value the user must publish (reference section 4.7)."""
    return f"v=DKIM1; k=rsa; h=sha256; p={public}"


def join_txt(value: Any) -> str:
    """A TXT value may be a list of strings or `"a" "b"` quoted chunks (keys > 1024 bits)."""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    text = str(value)
    chunks = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
    return "".join(chunks) if chunks else text


def check_txt(values: list[Any], public: str) -> str | None:
    """None when one of the TXT values at the DKIM host carries our key, else the error text."""
    if not values:
        return "DNS record not found. Please add the TXT record and try again."
    last = "DNS record not found. Please add the TXT record and try again."
    for raw in values:
        tags: dict[str, str] = {}
        for part in join_txt(raw).split(";"):
            name, sep, val = part.partition("=")
            if sep:
                tags[name.strip().lower()] = re.sub(r"\s+", "", val)
        if "v" in tags and tags["v"] != "DKIM1":
            last = f"DNS DKIM query error: unsupported version 'v={tags['v']}'"
        elif "p" not in tags:
            last = "DNS DKIM query error: 'v=DKIM1;' is missing a p= tag"
        elif tags.get("k", "rsa") != "rsa":
            last = "DNS DKIM query error: k= must be rsa"
        elif "h" in tags and "sha256" not in tags["h"].split(":"):
            last = "DNS DKIM query error: h= must include sha256"
        elif tags["p"] != public:
            last = "DNS DKIM query error: public key in DNS does not match the domain's DKIM key"
        else:
            return None
    return last
