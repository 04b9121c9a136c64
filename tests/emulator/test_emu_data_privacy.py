"""Data-privacy requests (data-privacy.apib): limits, address checks, scope, grant."""

from __future__ import annotations

import pytest

from tests.emulator.emu_helpers import Api, make_subaccount
from provider.emulator.sparkpost import Emulator

DP_KEY = "dd" * 20


@pytest.fixture
def dp(emu: Emulator) -> Api:
    emu.add_key(key=DP_KEY, grants=["data_privacy/manage"], label="privacy")
    return Api(emu.url, DP_KEY)


@pytest.mark.parametrize("kind", ["rtbf", "opt-out"])
def test_request_is_saved_with_its_scope(emu, dp, op, kind):
    sid = make_subaccount(op)
    r = dp.post(f"/data-privacy/{kind}-request", {"recipients": ["a@example.com"], "include_subaccounts": True})
    assert r.status_code == 200 and r.json() == {"results": {"message": "Request saved."}}
    assert dp.post(f"/data-privacy/{kind}-request", {"recipients": ["b@example.com"]},
                   subaccount=sid).status_code == 200
    got = [(q["kind"], q["recipients"], q["scope"]) for q in emu.dump_state()["privacy_requests"]]
    short = "rtbf" if kind == "rtbf" else "opt-out"
    assert got == [(short, ["a@example.com"], "primary_and_subaccounts"),
                   (short, ["b@example.com"], f"subaccount:{sid}")]


def test_documented_errors(emu, dp):
    r = dp.post("/data-privacy/opt-out-request", {"recipients": ["ok@example.com", "not_an_email"]})
    assert (r.status_code, r.json()) == (400, {"errors": [{"message": "invalid email address",
                                                           "recipient": "not_an_email"}]})
    r = dp.post("/data-privacy/rtbf-request", {"recipients": [f"u{i}@example.com" for i in range(1001)]})
    assert r.json() == {"errors": [{"message": "Exceeded maximum number of recipients (1000)"}]}
    assert dp.post("/data-privacy/rtbf-request", {}).status_code == 400
    assert dp.get("/data-privacy/rtbf-request").status_code == 405
    assert emu.dump_state()["privacy_requests"] == []


def test_operator_key_lacks_the_grant(op):
    assert op.post("/data-privacy/rtbf-request", {"recipients": ["a@example.com"]}).status_code == 403
