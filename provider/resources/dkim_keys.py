"""DKIM key text: the forms users write keys in, SparkPost's bare base64, key lengths, and
whether a brought pair belongs together.

`cryptography` is imported inside the functions that parse keys, so importing this module
stays cheap (Terraform starts the provider three times a plan).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

# "Key length range | 1024-4096 bits", "Default key length | 2048 bits" (SparkPost/
# developers.sparkpost.com content/api/sending-domains.apib, "DKIM Key Constraints"; the create
# field dkim_key_length: "Default: 2048"). 512-bit keys are refused: SparkPost never made them.
DKIM_KEY_MIN = 1024
DKIM_KEY_MAX = 4096
DEFAULT_DKIM_KEY_LENGTH = 2048


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
    except Exception:  # any parse failure means "not a key we know"
        pass
    try:  # a bare PKCS#1 RSAPublicKey
        pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(der) + b"-----END RSA PUBLIC KEY-----\n"
        return serialization.load_pem_public_key(pem)
    except Exception:
        return None


def key_bits(public: str | None) -> int | None:
    """The RSA key length of a public key, or None when it cannot be read."""
    if not public:
        return None
    key = _load_public(public)
    bits = getattr(key, "key_size", None)
    return bits if isinstance(bits, int) else None


def key_pair_problem(private: str, public: str) -> str | None:
    """Why a brought key pair would be refused by SparkPost, or None when it looks right."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    der = key_der(private)
    try:
        priv = serialization.load_der_private_key(der, password=None) if der else None  # PKCS#1 or PKCS#8
    except Exception:
        priv = None
    if not isinstance(priv, rsa.RSAPrivateKey):
        return "The private key is not an unencrypted RSA key in PKCS#1 or PKCS#8 form."
    pub = _load_public(public)
    if not isinstance(pub, rsa.RSAPublicKey):
        return "The public key is not an RSA public key."
    if priv.public_key().public_numbers() != pub.public_numbers():
        return "The private and public keys do not belong together."
    return None


# ---------------------------------------------------------------- validators


def dkim_key_length(v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v) or not DKIM_KEY_MIN <= v <= DKIM_KEY_MAX:
        return (f"must be between {DKIM_KEY_MIN} and {DKIM_KEY_MAX} bits, a whole number (SparkPost's documented "
                f"range; the default is 2048); got {v}.")
    return None


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
