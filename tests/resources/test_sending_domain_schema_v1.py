"""sparkpost_sending_domain schema version 1 (subaccount_id a string) and the DKIM rules that let
generated configuration (dkim without private_key, beside dkim_key_length) validate."""

from __future__ import annotations

from decimal import Decimal

from provider.resources.sending_domain import SCHEMA, SendingDomain
from provider.tfplugin.diagnostics import Diagnostics

from .test_sending_domain_parts import _pair


def test_schema_version_and_type() -> None:
    assert SCHEMA.version == 1
    assert SCHEMA.block.attribute("subaccount_id").cty_type == "string"


def test_upgrade_from_version_0() -> None:
    r = SendingDomain()
    assert r.upgrade_state(0, {"subaccount_id": 7, "domain": "a.example"})["subaccount_id"] == "7"
    assert r.upgrade_state(0, {"subaccount_id": Decimal("12")})["subaccount_id"] == "12"
    assert r.upgrade_state(0, {"subaccount_id": None})["subaccount_id"] is None
    assert r.upgrade_state(1, {"subaccount_id": "7"})["subaccount_id"] == "7"


def _errors(config: dict) -> list[str]:
    diags = Diagnostics()
    SendingDomain().validate(config, diags)
    return [d.summary for d in diags if d.severity == "error"]


def test_dkim_beside_key_length() -> None:
    private, public = _pair(1024)
    described = {"selector": "s1", "public_key": public, "private_key": None}
    # generated config: the current key described twice, consistently
    assert _errors({"dkim": described, "dkim_key_length": 1024}) == []
    # ...or inconsistently
    assert _errors({"dkim": described, "dkim_key_length": 2048}) == ["Conflicting DKIM settings"]
    # a brought key leaves nothing to generate
    assert _errors({"dkim": dict(described, private_key=private), "dkim_key_length": 1024}) == ["Conflicting DKIM settings"]
    assert _errors({"dkim": dict(described, private_key=private)}) == []
