"""Data source sparkpost_ip_pool: a 404 for an id that differs from a pool's only by case says
which pool exists (a fake client)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from provider.provider import ProviderData
from provider.resources.data_ip_pool import IpPoolData
from provider.sparkpost.errors import Forbidden, NotFound
from provider.sparkpost.models import IpPool
from provider.tfplugin.diagnostics import Diagnostics, ResourceError
from provider.tfplugin.resource import Context


class FakeClient:
    def __init__(self, *ids: str, listable: bool = True) -> None:
        self.pools = [IpPool(id=i, name=i) for i in ids]
        self.listable = listable

    def get_ip_pool(self, pool_id: str) -> IpPool:
        for p in self.pools:
            if p.id == pool_id:
                return p
        raise NotFound("IP pool not found", status=404, method="GET", path=f"/ip-pools/{pool_id}")

    def list_ip_pools(self) -> list[IpPool]:
        if not self.listable:
            raise Forbidden("forbidden", status=403)
        return list(self.pools)


def read(client: FakeClient, pool_id: str) -> dict[str, Any]:
    ctx = Context(meta=ProviderData(client=client), diagnostics=Diagnostics(),  # type: ignore[arg-type]
                  cancelled=threading.Event())
    return IpPoolData().read(ctx, {"id": pool_id})


def test_an_id_differing_by_case_names_the_pool() -> None:
    with pytest.raises(ResourceError) as caught:
        read(FakeClient("default", "marketing_pool"), "Marketing_Pool")
    assert caught.value.summary == "Could not read IP pool Marketing_Pool" and caught.value.path == ("id",)
    assert caught.value.detail.endswith("Ids are compared exactly, case included: there is a pool 'marketing_pool'.")


@pytest.mark.parametrize("client", [FakeClient("default", "other"), FakeClient("marketing_pool", listable=False)])
def test_no_near_id_or_no_list_no_hint(client: FakeClient) -> None:
    with pytest.raises(ResourceError) as caught:
        read(client, "Marketing_Pool")
    assert "IP pool not found" in caught.value.detail and "compared exactly" not in caught.value.detail


def test_found_pool_is_read_with_one_request() -> None:
    assert read(FakeClient("marketing_pool"), "marketing_pool")["id"] == "marketing_pool"
