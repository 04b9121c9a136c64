"""Response shapes: every model parsed from SparkPost's JSON, and every wrong shape an error that
names the request (method and path) and the field, never a wrong value or a traceback."""

from __future__ import annotations

import pytest

from provider.sparkpost import errors as E
from provider.sparkpost.models import (
    ApiKey,
    CreatedApiKey,
    Dkim,
    DomainStatus,
    Fields,
    SendingDomain,
    Subaccount,
    Verification,
    Where,
)
from tests.sparkpost.sparkpost_stub import Reply, ok

SUB = {"id": 7, "name": "tenant", "status": "active", "compliance_status": "active",
       "options": {"deliverability": True}, "ip_pool": ""}


def parse(model, obj):
    return model.parse(Fields(obj, Where("GET", "/x")))


def test_subaccount() -> None:
    assert parse(Subaccount, SUB) == Subaccount(7, "tenant", "active", None, "active", True)


def test_status_from_get_and_from_verify() -> None:
    get = {"ownership_verified": True, "dkim_status": "valid", "cname_status": "pending",
           "mx_status": "unverified", "spf_status": "unverified", "abuse_at_status": "unverified",
           "postmaster_at_status": "unverified", "compliance_status": "valid",
           "verification_mailbox_status": "unverified", "verification_mailbox": "x"}
    status = parse(SendingDomain, {"status": get}).status
    assert status.ownership_verified and status.dkim_status == "valid" and status.cname_status == "pending"
    flattened = dict(get, dns={"dkim_record": "v=DKIM1; ...", "cname_error": "no CNAME"})
    verified = parse(Verification, flattened)
    assert verified.status == status and verified.dns_errors == {"cname": "no CNAME"}
    assert DomainStatus.parse(None) == DomainStatus()


def test_dkim_tolerates_missing_and_empty_fields() -> None:
    assert parse(SendingDomain, {}).dkim is None
    got = parse(SendingDomain, {"dkim": {"selector": "s", "public": "K", "signing_domain": ""}})
    assert got.dkim == Dkim("s", "K", None)


def test_api_key_fields() -> None:
    key = parse(ApiKey, {"id": "k", "label": "L", "grants": ["smtp/inject"], "subaccount_id": 3})
    assert key == ApiKey("k", "L", ["smtp/inject"], [], 3, None)
    created = parse(CreatedApiKey, {"key": "s" * 40, "link": {"href": "/api/v1/api-keys/a%2Fb"}})
    assert created.id == "a/b"


@pytest.mark.parametrize(("model", "obj", "field", "problem"), [
    (Subaccount, [], "results", "is list, expected an object"),
    (Subaccount, dict(SUB, id="7"), "results.id", "is str, expected an integer"),
    (Subaccount, dict(SUB, id=True), "results.id", "is bool, expected an integer"),
    (Subaccount, {"id": 7, "name": "t"}, "results.status", "is missing, expected a string"),
    (Subaccount, dict(SUB, options=[]), "results.options", "is list, expected an object"),
    (ApiKey, {"grants": "smtp/inject"}, "results.grants", "is str, expected an array"),
    (ApiKey, {"grants": [{}]}, "results.grants[0]", "is dict, expected a string"),
    (SendingDomain, {"status": {"dkim_status": 1}}, "results.status.dkim_status",
     "is int, expected a string"),
    (SendingDomain, {"shared_with_subaccounts": "yes"}, "results.shared_with_subaccounts",
     "is str, expected a boolean"),
])
def test_wrong_shapes_name_the_field(model, obj, field, problem) -> None:
    with pytest.raises(E.InvalidResponse) as info:
        parse(model, obj)
    assert str(info.value) == (f"SparkPost API returned an unexpected response on GET /x: "
                               f"the field {field!r} {problem}.")


def test_a_wrong_list_entry_names_method_path_and_index(stub, client) -> None:
    """Issue 13 item 6: this surfaced as "InvalidResponse … on  :" with method and path empty."""
    stub.script("GET", "/api/v1/subaccounts", ok([SUB, dict(SUB, name=None)]))
    with pytest.raises(E.InvalidResponse) as info:
        client.list_subaccounts()
    assert info.value.method == "GET" and info.value.path == "/subaccounts"
    assert "on GET /subaccounts: the field 'results[1].name' is missing" in str(info.value)


def test_a_later_page_names_its_own_path(stub, client) -> None:
    page1 = Reply(200, {"results": [SUB], "links": {"next": "/api/v1/subaccounts?cursor=X"}})
    stub.script("GET", "/api/v1/subaccounts", page1, ok([{"id": "8"}]))
    with pytest.raises(E.InvalidResponse, match=r"on GET /subaccounts: the field 'results\[0\].id'"):
        client.list_subaccounts()


def test_shape_errors_never_show_the_key(stub, make_client) -> None:
    key = "f" * 40
    stub.script("GET", "/api/v1/subaccounts/7", ok(dict(SUB, id=key)))
    with pytest.raises(E.InvalidResponse) as info:
        make_client(api_key=key).get_subaccount(7)
    assert key not in str(info.value) and "results.id" in str(info.value)
