"""list_subaccounts(name=...) sends SparkPost's name filter (paginated mode, as every list)."""

from __future__ import annotations

from tests.sparkpost.sparkpost_stub import ok


def test_list_subaccounts_by_name_sends_the_filter(stub, client):
    stub.script("GET", "/api/v1/subaccounts", ok([{"id": 1, "name": "cloud-acme", "status": "active"},
                                                  {"id": 2, "name": "cloud-acme-2", "status": "active"}]))
    assert [s.id for s in client.list_subaccounts(name="cloud-acme")] == [1, 2]  # substring: callers compare
    (req,) = stub.requests
    assert req.path == "/api/v1/subaccounts?cursor=initial&per_page=100&name=cloud-acme"
    client.list_subaccounts()
    assert stub.requests[-1].path == "/api/v1/subaccounts?cursor=initial&per_page=100"
