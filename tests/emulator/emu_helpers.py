"""Helpers shared by the emulator tests (a uniquely named module: importable from tests)."""

from __future__ import annotations

import base64
from typing import Any

import requests

# The operator key our users run Terraform with: exactly these three grants.
OPERATOR_KEY = "0123456789abcdef0123456789abcdef01234567"
OPERATOR_GRANTS = ["metrics/view", "subaccount/manage", "sending_domains/manage"]
ADMIN_KEY = "fedcba9876543210fedcba9876543210fedcba98"
ADMIN_GRANTS = ["api_keys/manage", "subaccount/view", "sending_domains/manage", "tracking_domains/manage",
                "ip_pools/manage", "account/view", "metrics/view"]


class Api:
    """A tiny client: base URL + one key, optional X-MSYS-SUBACCOUNT, JSON in and out."""

    def __init__(self, base: str, key: str | None, basic: bool = False) -> None:
        self.base = base
        self.key = key
        self.basic = basic
        self.session = requests.Session()

    def headers(self, subaccount: Any = None, extra: dict[str, str] | None = None) -> dict[str, str]:
        h: dict[str, str] = {}
        if self.key is not None:
            h["Authorization"] = ("Basic " + base64.b64encode(f"{self.key}:".encode()).decode()
                                  if self.basic else self.key)
        if subaccount is not None:
            h["X-MSYS-SUBACCOUNT"] = str(subaccount)
        h.update(extra or {})
        return h

    def call(self, method: str, path: str, json: Any = None, subaccount: Any = None,
             headers: dict[str, str] | None = None, **kw: Any) -> requests.Response:
        return self.session.request(method, self.base + "/api/v1" + path, json=json,
                                    headers=self.headers(subaccount, headers), timeout=10, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.call("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.call("PUT", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.call("DELETE", path, **kw)


def make_subaccount(api: Api, name: str = "tenant-a", **extra: Any) -> int:
    body = {"name": name, "setup_api_key": False, **extra}
    r = api.post("/subaccounts", body)
    assert r.status_code == 200, r.text
    return r.json()["results"]["subaccount_id"]


def rsa_pair(bits: int = 1024) -> tuple[str, str]:
    """(private PKCS#8 base64, public SPKI base64) for supplied-DKIM tests."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    k = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    priv = k.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())
    pub = k.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(priv).decode(), base64.b64encode(pub).decode()
