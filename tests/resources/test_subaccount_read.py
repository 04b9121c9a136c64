"""sparkpost_subaccount's refresh: the send-key check runs beside the GET of the subaccount, with
the outcomes it had when it ran after it (a fake client; the e2e tests drive the emulator)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from provider.provider import ProviderData
from provider.resources import send_key
from provider.resources.subaccount import Subaccount
from provider.resources.subaccount_state import SubaccountValues
from provider.sparkpost.errors import NotFound, ServerError
from provider.sparkpost.models import Subaccount as SubaccountModel
from provider.tfplugin.diagnostics import Diagnostics, ResourceError
from provider.tfplugin.resource import Context

WAIT = 10.0
KEY = "k" * 40
VERSION = "projects/p/secrets/s/versions/3"


class FakeStore:
    def __init__(self, key: str | None = KEY, fail: bool = False) -> None:
        self.key, self.fail = key, fail

    def access(self, version: str) -> tuple[str, str]:
        from provider.secrets import SecretManagerError

        if self.fail:
            raise SecretManagerError("permission denied", version, code="PERMISSION_DENIED")
        if self.key is None:
            raise SecretManagerError("not found", version, code="NOT_FOUND")
        return VERSION, self.key


class FakeClient:
    """get_subaccount answers only once check_key has started (and the reverse), so a read that
    made them in sequence would wait WAIT seconds and fail."""

    def __init__(self, status: str = "active", get_error: Exception | None = None, live: bool = True,
                 together: bool = True) -> None:
        self.status, self.get_error, self.live, self.together = status, get_error, live, together
        self.get_started, self.check_started = threading.Event(), threading.Event()
        self.threads: dict[str, str] = {}

    def get_subaccount(self, sub_id: int) -> SubaccountModel:
        self.threads["get"] = threading.current_thread().name
        self.get_started.set()
        if self.together and not self.check_started.wait(WAIT):
            raise AssertionError("the send-key check did not run beside the GET")
        if self.get_error is not None:
            raise self.get_error
        return SubaccountModel(id=sub_id, name="acme", status=self.status, compliance_status="active")

    def check_key(self, key: str) -> bool:
        self.threads["check"] = threading.current_thread().name
        self.check_started.set()
        if self.together and not self.get_started.wait(WAIT):
            raise AssertionError("the GET did not run beside the send-key check")
        return self.live


def ctx_for(client: FakeClient, store: FakeStore | None = None) -> Context:
    meta = ProviderData(client=client, secrets=store or FakeStore())  # type: ignore[arg-type]
    return Context(meta=meta, diagnostics=Diagnostics(), cancelled=threading.Event())


def state(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "7", "name": "acme", "ip_pool": None, "status": "active", "deletion_protection": True,
        "on_destroy": "terminate", "initial_api_key": None, "initial_api_key_secret": None,
        "initial_api_key_short_key": "kkkk",
        "initial_api_key_secret_manager": {"secret": "projects/p/secrets/s", "create_secret": None, "version": VERSION},
        "check_initial_api_key": True, "initial_api_key_status": "live",
        "compliance_status": "active", "deliverability": False,
    }
    base.update(kw)
    return base


def test_the_check_reads_nothing_the_get_returns() -> None:
    """Why the check may start before the GET answers."""
    assert set(send_key.CHECK_INPUTS).isdisjoint(SubaccountValues.__required_keys__)


@pytest.mark.parametrize("live, status", [(True, send_key.LIVE), (False, send_key.REVOKED)])
def test_the_check_runs_beside_the_get(live: bool, status: str) -> None:
    client = FakeClient(live=live)
    new = Subaccount().read(ctx_for(client), state())
    assert new is not None and new["initial_api_key_status"] == status and new["name"] == "acme"
    assert client.threads["get"] != client.threads["check"]


def test_a_version_gone_from_secret_manager_is_missing() -> None:
    client = FakeClient(together=False)
    new = Subaccount().read(ctx_for(client, FakeStore(key=None)), state())
    assert new is not None and new["initial_api_key_status"] == send_key.MISSING
    assert "check" not in client.threads  # no key: no SparkPost request


def test_a_key_kept_in_state_is_checked_beside_the_get() -> None:
    client = FakeClient()
    new = Subaccount().read(ctx_for(client), state(initial_api_key_secret=KEY, initial_api_key_secret_manager=None))
    assert new is not None and new["initial_api_key_status"] == send_key.LIVE


@pytest.mark.parametrize("settings", [
    {"check_initial_api_key": False},
    {"initial_api_key_secret_manager": None},  # no key recorded (imported)
])
def test_nothing_to_check_makes_no_request(settings: dict[str, Any]) -> None:
    client = FakeClient(together=False)
    new = Subaccount().read(ctx_for(client), state(**settings))
    assert new is not None and new["initial_api_key_status"] is None
    assert "check" not in client.threads


def test_the_checks_error_is_the_reads_error_when_the_subaccount_is_there() -> None:
    client = FakeClient(together=False)
    with pytest.raises(ResourceError) as info:
        Subaccount().read(ctx_for(client, FakeStore(fail=True)), state())
    assert info.value.summary == "Could not read the subaccount's send key from Secret Manager"
    assert info.value.path == ("check_initial_api_key",)


@pytest.mark.parametrize("client", [
    FakeClient(get_error=NotFound("no such subaccount", status=404, method="GET", path="/subaccounts/7"), together=False),
    FakeClient(status="terminated", together=False),
], ids=["deleted", "terminated"])
def test_a_gone_subaccount_is_gone_and_its_check_is_discarded(client: FakeClient) -> None:
    ctx = ctx_for(client, FakeStore(fail=True))  # the check fails: nobody hears of it
    assert Subaccount().read(ctx, state()) is None
    assert not ctx.diagnostics


def test_a_failed_get_is_the_reads_error_whatever_the_check_found() -> None:
    client = FakeClient(get_error=ServerError("boom", status=500, method="GET", path="/subaccounts/7"), together=False)
    with pytest.raises(ResourceError) as info:
        Subaccount().read(ctx_for(client, FakeStore(fail=True)), state())
    assert info.value.summary == "Could not read subaccount 7"
