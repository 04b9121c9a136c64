"""Emulator fidelity, second audit: each test pins one documented behaviour the emulator got wrong.

Sources are SparkPost's API reference (SparkPost/developers.sparkpost.com, content/api/*.apib)
and, where it is terse, SparkPost's own web app fixtures (SparkPost/2web2ui).
"""

from __future__ import annotations

from tests.emulator.emu_helpers import Api, make_subaccount


def _new_domain(api: Api, domain: str, subaccount: int | None = None) -> None:
    r = api.post("/sending-domains", {"domain": domain, "generate_dkim": False}, subaccount=subaccount)
    assert r.status_code == 200, r.text


def test_shared_with_subaccounts_only_on_primary_domains(op: Api) -> None:
    # sending-domains.apib, "Sending Domain Object": shared_with_subaccounts is "Only available to
    # domains belonging to a primary account" (as subaccount_id is only on subaccount domains).
    sid = make_subaccount(op)
    _new_domain(op, "primary.example.com")
    _new_domain(op, "tenant.example.com", subaccount=sid)
    one = op.get("/sending-domains/tenant.example.com", subaccount=sid).json()["results"]
    assert "shared_with_subaccounts" not in one and one["subaccount_id"] == sid
    listed = {d["domain"]: d for d in op.get("/sending-domains").json()["results"]}
    assert "shared_with_subaccounts" not in listed["tenant.example.com"]
    assert listed["primary.example.com"]["shared_with_subaccounts"] is False
    assert "subaccount_id" not in listed["primary.example.com"]
    assert op.get("/sending-domains/primary.example.com").json()["results"]["shared_with_subaccounts"] is False

