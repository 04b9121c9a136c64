"""Data source sparkpost_subaccount: the lookup by name is exact, and its error says which
subaccount differs only by case or surrounding spaces (a fake client)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from provider.provider import ProviderData
from provider.resources.data_subaccount import SubaccountData
from provider.sparkpost.models import Subaccount as SubaccountModel
from provider.tfplugin.diagnostics import Diagnostics, ResourceError
from provider.tfplugin.resource import Context


class FakeClient:
    """SparkPost's name filter: a case-insensitive substring match."""

    def __init__(self, *names: str) -> None:
        self.subs = [SubaccountModel(id=i, name=n, status="active", compliance_status="active")
                     for i, n in enumerate(names, 1)]
        self.lists: list[str | None] = []

    def list_subaccounts(self, *, name: str | None = None) -> list[SubaccountModel]:
        self.lists.append(name)
        return [s for s in self.subs if name is None or name.lower() in s.name.lower()]


def read(client: FakeClient, name: str) -> dict[str, Any]:
    meta = ProviderData(client=client)  # type: ignore[arg-type]
    ctx = Context(meta=meta, diagnostics=Diagnostics(), cancelled=threading.Event())
    return SubaccountData().read(ctx, {"id": None, "name": name})


def test_exact_name_is_found_with_one_request() -> None:
    client = FakeClient("acme", "acme-2")
    assert read(client, "acme")["id"] == "1" and client.lists == ["acme"]


@pytest.mark.parametrize("typed", ["acme ", " acme", "ACME", "Acme\u00a0", "\uff41\uff43\uff4d\uff45", "ACM\uff25 "])
def test_a_name_differing_by_case_or_spaces_is_named_in_the_error(typed: str) -> None:
    client = FakeClient("acme", "acme-2", "other")
    with pytest.raises(ResourceError) as caught:
        read(client, typed)
    assert caught.value.summary == "No such subaccount" and caught.value.path == ("name",)
    assert caught.value.detail == (f"No subaccount is named {typed!r}. Names are compared exactly, case and "
                                   "spaces included: subaccount 1 is named 'acme'.")


def test_no_near_name_no_hint() -> None:
    with pytest.raises(ResourceError) as caught:
        read(FakeClient("acme"), "globex")
    assert caught.value.detail == "No subaccount is named 'globex'."
