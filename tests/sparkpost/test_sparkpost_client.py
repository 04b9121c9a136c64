"""The client's wire behaviour: URLs, headers, typed methods, pagination, secrecy."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from provider.sparkpost import errors as E
from provider.sparkpost.client import SparkPostClient
from provider.sparkpost.models import (
    Account,
    CreatedSubaccount,
    DomainStatus,
    InitialKey,
    SendingDomain,
    Subaccount,
    Verification,
)
from provider.version import VERSION
from tests.sparkpost.sparkpost_stub import API_KEY, Reply, ok

# -- construction ---------------------------------------------------------------------------


@pytest.mark.parametrize("region,expected", [("us", "https://api.sparkpost.com/api/v1"),
                                             ("eu", "https://api.eu.sparkpost.com/api/v1")])
def test_region_base_urls(region, expected):
    assert SparkPostClient(API_KEY, region=region).base_url == expected


@pytest.mark.parametrize("given,expected", [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v1"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/api/v1"),
    ("https://api.eu.sparkpost.com/api/v1", "https://api.eu.sparkpost.com/api/v1"),
    ("https://api.eu.sparkpost.com/api/v1/", "https://api.eu.sparkpost.com/api/v1"),
    ("https://acme.api.e.sparkpost.com/api/v1", "https://acme.api.e.sparkpost.com/api/v1"),
    ("https://proxy.internal/sparkpost/api/v1/", "https://proxy.internal/sparkpost/api/v1"),
])
def test_base_url_normalised_and_overrides_region(given, expected):
    assert SparkPostClient(API_KEY, region="eu", base_url=given).base_url == expected


@pytest.mark.parametrize("bad", ["api.sparkpost.com", "ftp://x", "https://", "http://h/?a=1",
                                 "https://user:pw@h"])
def test_bad_base_url(bad):
    with pytest.raises(ValueError):
        SparkPostClient(API_KEY, base_url=bad)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="region"):
        SparkPostClient(API_KEY, region="apac")
    with pytest.raises(ValueError):
        SparkPostClient("")
    with pytest.raises(ValueError) as info:
        SparkPostClient(API_KEY[:20] + " " + API_KEY[20:])
    assert API_KEY[:20] not in str(info.value)
    with pytest.raises(ValueError):
        SparkPostClient(API_KEY, timeout=0)


def test_a_key_far_longer_than_sparkposts_is_refused_without_echo():
    """A Secret Manager version may hold 64 KiB: such a "key" cost ~10 s of CPU per error (its
    forms scrubbed from each error text), and a 1 MiB one ~4 minutes."""
    long_key = "ab" * 32 * 1024
    with pytest.raises(ValueError, match="65536 characters long; a SparkPost API key has 40") as info:
        SparkPostClient(long_key)
    assert "abab" not in str(info.value)
    SparkPostClient("a" * 256)  # generous, but bounded


def test_check_key_refuses_a_key_far_longer_than_sparkposts_without_a_request(stub, client):
    assert client.check_key("5e4d" * 16 * 1024) is False
    assert stub.requests == []


def test_repr_hides_the_key():
    c = SparkPostClient(API_KEY)
    assert repr(c) == "SparkPostClient(base_url='https://api.sparkpost.com/api/v1', region='us')"
    assert API_KEY not in repr(c.__dict__.get("_session").auth)


def test_pool_and_timeouts():
    c = SparkPostClient(API_KEY)
    adapter = c._session.get_adapter("https://api.sparkpost.com/api/v1")
    assert adapter._pool_maxsize >= 10 and adapter._pool_connections >= 10
    assert adapter.max_retries.total == 0  # our retry loop is the only one
    assert c._timeouts == (10.0, 31.0)  # the whole-exchange deadline (30 s) ends a slow answer first
    assert SparkPostClient(API_KEY, timeout=2).timeout == 2.0
    assert SparkPostClient(API_KEY, timeout=2)._timeouts == (2.0, 3.0)


def test_every_call_has_a_timeout(stub, client, monkeypatch):
    seen = []
    real = client._session.request

    def spy(*a, **kw):
        seen.append(kw.get("timeout"))
        return real(*a, **kw)

    monkeypatch.setattr(client._session, "request", spy)
    stub.script("GET", "/api/v1/x", ok({}))
    client.request("GET", "/x")
    assert seen == [(2.0, 3.0)]


def test_trailing_newline_on_the_key_is_stripped(stub, make_client):
    stub.script("GET", "/api/v1/account", ok({}))
    make_client(api_key=API_KEY + "\n").get_account()
    assert stub.requests[0].headers["Authorization"] == API_KEY


def test_importing_the_package_does_not_import_requests():
    code = ("import sys, provider.sparkpost, provider.sparkpost.errors, provider.sparkpost.retry;"
            "assert 'requests' not in sys.modules, 'requests was imported';"
            "from provider.sparkpost import SparkPostClient;"
            "assert 'requests' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- headers --------------------------------------------------------------------------------


def test_headers(stub, make_client):
    stub.script("GET", "/api/v1/account", ok({"company_name": "x"}))
    stub.script("POST", "/api/v1/sending-domains", ok({"domain": "a.example.com"}))
    client = make_client()
    client.get_account()
    client.create_sending_domain("a.example.com", subaccount=5)
    get, post = stub.requests
    assert get.headers["Authorization"] == API_KEY  # raw key, no "Bearer"
    assert get.headers["User-Agent"] == f"terraform-provider-sparkpost/{VERSION}"
    assert get.headers["Accept"] == "application/json"
    assert "X-MSYS-SUBACCOUNT" not in get.headers
    assert post.headers["X-MSYS-SUBACCOUNT"] == "5"
    assert post.headers["Content-Type"] == "application/json"
    assert post.json() == {"domain": "a.example.com"}


def test_user_agent_suffix_and_subaccount_zero(stub, make_client):
    stub.script("GET", "/api/v1/sending-domains", ok([]))
    client = make_client(user_agent="Terraform/1.9.5")
    client.list_sending_domains(subaccount=0)
    req = stub.requests[0]
    assert req.headers["User-Agent"] == f"terraform-provider-sparkpost/{VERSION} Terraform/1.9.5"
    assert req.headers["X-MSYS-SUBACCOUNT"] == "0"  # 0 = primary account only, sent as such


@pytest.mark.parametrize("bad", ["5", True, -1, 1.5, [1]])
def test_bad_subaccount_rejected_before_any_request(stub, client, bad):
    with pytest.raises(ValueError, match="subaccount"):
        client.get_sending_domain("a.example.com", subaccount=bad)
    with pytest.raises(ValueError):
        client.request("GET", "/x", subaccount=bad)
    assert stub.count() == 0


# -- paths ----------------------------------------------------------------------------------


def test_path_segments_are_url_encoded(stub, client):
    stub.handler = lambda req: ok({"grants": []})
    client.get_sending_domain("we ird/dom?ain#.com")
    client.get_api_key("id with/slash", subaccount=3)
    assert stub.requests[0].path == "/api/v1/sending-domains/we%20ird%2Fdom%3Fain%23.com"
    assert stub.requests[1].path == "/api/v1/api-keys/id%20with%2Fslash"


@pytest.mark.parametrize("bad", ["", "..", ".", " a.com"])
def test_bad_domains_rejected(stub, client, bad):
    with pytest.raises(ValueError):
        client.get_sending_domain(bad)
    assert stub.count() == 0


@pytest.mark.parametrize("bad", ["7", 1.0, True, -3])
def test_bad_subaccount_ids_rejected(client, bad):
    with pytest.raises(ValueError):
        client.get_subaccount(bad)


@pytest.mark.parametrize("bad", ["subaccounts", "http://evil.example/api/v1/x", "//evil/x"])
def test_request_rejects_non_relative_paths(client, bad):
    with pytest.raises(ValueError):
        client.request("GET", bad)


def test_query_params(stub, client):
    stub.handler = lambda req: ok([])
    client.list_sending_domains(ownership_verified=True, dkim_status="valid")
    client.list_api_keys(grant="smtp/inject")
    qs = [parse_qs(urlsplit(r.path).query) for r in stub.requests]
    assert qs[0] == {"ownership_verified": ["true"], "dkim_status": ["valid"]}
    assert qs[1] == {"grant": ["smtp/inject"]}
    assert [r.route for r in stub.requests] == ["/api/v1/sending-domains", "/api/v1/api-keys"]


# -- typed methods --------------------------------------------------------------------------


def test_subaccount_methods(stub, client):
    stub.script("POST", "/api/v1/subaccounts",
                ok({"subaccount_id": 3, "key": "k" * 40, "label": "send", "short_key": "kkkk"}))
    stub.script("GET", "/api/v1/subaccounts/3", ok({"id": 3, "name": "tenant-a", "status": "active"}))
    stub.script("PUT", "/api/v1/subaccounts/3",
                ok({"message": "Successfully updated subaccount information"}))
    created = client.create_subaccount("tenant-a", ip_pool="pool_1",
                                       initial_key=InitialKey("send", ["smtp/inject"], ["10.0.0.0/8"]))
    assert created == CreatedSubaccount(id=3, key="k" * 40, short_key="kkkk", label="send")
    assert client.get_subaccount(3) == Subaccount(id=3, name="tenant-a", status="active")
    client.update_subaccount(3, status="suspended", ip_pool="")
    post, _, put = stub.requests
    assert post.json() == {"name": "tenant-a", "setup_api_key": True, "ip_pool": "pool_1",
                           "key_label": "send", "key_grants": ["smtp/inject"],
                           "key_valid_ips": ["10.0.0.0/8"]}
    assert put.json() == {"status": "suspended", "ip_pool": ""}


def test_create_subaccount_without_key_sends_no_key_fields(stub, client):
    stub.script("POST", "/api/v1/subaccounts", ok({"subaccount_id": 4}))
    client.create_subaccount("t")
    assert stub.requests[0].json() == {"name": "t", "setup_api_key": False}


def test_api_key_methods(stub, client):
    href = "/api/v1/api-keys/5f0c1d2e-0000-4000-8000-000000000001"
    stub.script("POST", "/api/v1/api-keys",
                ok({"key": "89ab" + "0" * 36, "short_key": "89ab", "label": "ci",
                    "link": {"href": href}}))
    key_path = "/api/v1/api-keys/5f0c1d2e-0000-4000-8000-000000000001"
    stub.script("GET", key_path, ok({"id": "5f0c", "label": "ci", "grants": ["smtp/inject"]}))
    stub.script("PUT", key_path, Reply(200, {}))  # shape unconfirmed: tolerated
    stub.script("DELETE", key_path, Reply(204))
    created = client.create_api_key("ci", ["smtp/inject"], ["10.0.0.0/8"], subaccount=1)
    assert created.id == "5f0c1d2e-0000-4000-8000-000000000001"
    assert created.key and created.key.startswith("89ab")
    assert client.get_api_key(created.id, subaccount=1).label == "ci"
    assert client.update_api_key(created.id, subaccount=1, label="ci2",
                                 grants=["smtp/inject"]) is None
    assert client.delete_api_key(created.id, subaccount=1) is None
    assert stub.requests[0].json() == {"label": "ci", "grants": ["smtp/inject"],
                                       "valid_ips": ["10.0.0.0/8"]}
    assert stub.requests[2].json() == {"label": "ci2", "grants": ["smtp/inject"]}
    assert all(r.headers["X-MSYS-SUBACCOUNT"] == "1" for r in stub.requests)


def test_api_key_id_falls_back_to_list_match(stub, client):
    stub.script("POST", "/api/v1/api-keys",
                ok({"key": "abcd" + "1" * 36, "short_key": "abcd", "label": "ci"}))
    stub.script("GET", "/api/v1/api-keys", ok([
        {"id": "other", "short_key": "abcd", "label": "not-ci", "grants": []},
        {"id": "the-one", "short_key": "abcd", "label": "ci", "grants": []},
        {"id": "x", "short_key": "ffff", "label": "ci", "grants": []}]))
    created = client.create_api_key("ci", ["smtp/inject"], subaccount=2)
    assert created.id == "the-one"
    assert stub.requests[1].headers["X-MSYS-SUBACCOUNT"] == "2"


def test_api_key_id_unknown_when_ambiguous(stub, client):
    stub.script("POST", "/api/v1/api-keys", ok({"key": "a" * 40, "short_key": "aaaa",
                                                "label": "ci", "link": {"href": ""}}))
    stub.script("GET", "/api/v1/api-keys", ok([{"id": "1", "short_key": "aaaa", "label": "ci", "grants": []},
                                               {"id": "2", "short_key": "aaaa", "label": "ci", "grants": []}]))
    assert client.create_api_key("ci", ["smtp/inject"]).id is None


def test_sending_domain_methods(stub, client):
    d = "/api/v1/sending-domains/mail.example.com"
    stub.script("POST", "/api/v1/sending-domains",
                ok({"message": "Successfully Created domain.", "domain": "mail.example.com",
                    "dkim": {"selector": "scph0125"}}))
    stub.script("GET", d, ok({"status": {"ownership_verified": False}}))
    stub.script("PUT", d, ok({"message": "Successfully Updated Domain."}))
    stub.script("POST", d + "/verify",
                ok({"dkim_status": "invalid", "dns": {"dkim_error": "no TXT record"}}))
    stub.script("DELETE", d, Reply(204))
    stub.script("GET", "/api/v1/sending-domains", ok([{"domain": "mail.example.com"}]))
    assert client.create_sending_domain("mail.example.com", subaccount=3,
                                        generate_dkim_length=2048) is None
    assert client.get_sending_domain("mail.example.com", subaccount=3) == SendingDomain(domain=None)
    client.update_sending_domain("mail.example.com", subaccount=3, tracking_domain="")
    verified = client.verify_sending_domain("mail.example.com", subaccount=3, dkim_verify=True)
    assert verified == Verification(DomainStatus(dkim_status="invalid"), {"dkim": "no TXT record"})
    assert client.list_sending_domains(subaccount=3) == [SendingDomain(domain="mail.example.com")]
    assert client.delete_sending_domain("mail.example.com", subaccount=3) is None
    bodies = [r.json() for r in stub.requests]
    assert bodies[0] == {"domain": "mail.example.com", "generate_dkim": True, "dkim_key_length": 2048}
    assert bodies[2] == {"tracking_domain": ""}
    assert bodies[3] == {"dkim_verify": True, "cname_verify": False}


def test_account(stub, client):
    stub.script("GET", "/api/v1/account", ok({"customer_id": 1}))
    assert client.get_account() == Account(customer_id=1)


# -- pagination -----------------------------------------------------------------------------


def sub(i: int) -> dict:
    return {"id": i, "name": f"tenant-{i}", "status": "active"}


def all_pages(client) -> list:
    """Pagination alone, whatever the entries are."""
    return [item for _, page in client.iter_pages("/subaccounts", params={"cursor": "initial"})
            for item in page]


def test_list_subaccounts_follows_links_next(stub, client):
    pages = {
        "initial": ([sub(1), sub(2)], "/api/v1/subaccounts?cursor=P2&per_page=100"),
        "P2": ([sub(3), sub(4)], "/api/v1/subaccounts?cursor=P3&per_page=100"),
        "P3": ([sub(5)], None),
    }

    def handler(req):
        q = parse_qs(urlsplit(req.path).query)
        items, nxt = pages[q["cursor"][0]]
        body = {"results": items, "total_count": 5}
        if nxt:
            body["links"] = {"next": nxt}
        return Reply(200, body)

    stub.handler = handler
    assert [s.id for s in client.list_subaccounts()] == [1, 2, 3, 4, 5]
    assert [r.path for r in stub.requests] == [
        "/api/v1/subaccounts?cursor=initial&per_page=100",
        "/api/v1/subaccounts?cursor=P2&per_page=100",
        "/api/v1/subaccounts?cursor=P3&per_page=100",
    ]


def test_pagination_page_failure_is_retried(stub, client):
    # page 1 has a next link; page 2 first fails, then succeeds
    page1 = Reply(200, {"results": [sub(1)], "links": {"next": "/api/v1/subaccounts?cursor=X"}})
    stub.script("GET", "/api/v1/subaccounts", page1, Reply(503, None), ok([sub(2)]))
    assert [s.id for s in client.list_subaccounts()] == [1, 2]
    assert stub.count() == 3


def test_unpaginated_list_response(stub, client):
    stub.script("GET", "/api/v1/subaccounts", ok([sub(1), sub(2)]))
    assert [s.id for s in client.list_subaccounts()] == [1, 2]


def test_links_next_variants(stub, client):
    # next without the /api/v1 prefix, and the older list-of-links style
    stub.handler = lambda req: {
        "initial": Reply(200, {"results": [1], "links": {"next": "/subaccounts?cursor=b"}}),
        "b": Reply(200, {"results": [2], "links": [{"rel": "next",
                                                     "href": "/api/v1/subaccounts?cursor=c"}]}),
        "c": Reply(200, {"results": [3], "links": {}}),
    }[parse_qs(urlsplit(req.path).query)["cursor"][0]]
    assert all_pages(client) == [1, 2, 3]
    assert all(r.route == "/api/v1/subaccounts" for r in stub.requests)


def test_links_next_to_another_host_is_refused(stub, client):
    stub.script("GET", "/api/v1/subaccounts",
                Reply(200, {"results": [1], "links": {"next": "https://evil.example/api/v1/s"}}))
    with pytest.raises(E.InvalidResponse, match="another host"):
        all_pages(client)
    assert stub.count() == 1


def test_pagination_loop_detected(stub, client):
    stub.script("GET", "/api/v1/subaccounts",
                Reply(200, {"results": [1], "links": {"next": "/api/v1/subaccounts?cursor=z"}}))
    with pytest.raises(E.InvalidResponse, match="pagination loop"):
        all_pages(client)


# -- secrecy --------------------------------------------------------------------------------


def test_api_key_never_in_errors_or_logs(stub, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    stub.script("GET", "/api/v1/a", Reply(401, None))
    stub.script("GET", "/api/v1/b", Reply(429, {"errors": [{"message": "slow down"}]}))
    stub.script("GET", "/api/v1/c", Reply(200, f"<html>{API_KEY}</html>"))
    stub.script("POST", "/api/v1/d", Reply(500, f"echo Authorization: {API_KEY}"))
    stub.script("GET", "/api/v1/e", Reply(200, {"results": {}}, held=True))
    client = make_client(max_retries=2, timeout=0.2)
    errors = []
    for method, path in [("GET", "/a"), ("GET", "/b"), ("GET", "/c"), ("POST", "/d"),
                         ("GET", "/e")]:
        with pytest.raises(E.SparkPostError) as info:
            client.request(method, path, json={"x": 1} if method == "POST" else None)
        errors.append(info.value)
    event = threading.Event()
    event.set()
    with pytest.raises(E.Cancelled) as info:
        make_client(cancel_event=event).request("GET", "/a")
    errors.append(info.value)

    for err in errors:
        for text in (str(err), repr(err), str(err.args), str(err.__cause__ or ""),
                     str(err.__dict__)):
            assert API_KEY not in text
    assert API_KEY not in caplog.text
    assert API_KEY not in repr(client)
    # the debug log shows the header is sent, but redacted
    assert "'Authorization': '[REDACTED]'" in caplog.text
    assert any("retry" in r.getMessage() for r in caplog.records
               if r.name == "provider.sparkpost")


SEND_KEY = "5e4d" * 10


@pytest.mark.parametrize("status, live", [(401, False), (403, True), (200, True)])
def test_check_key_verdicts_are_one_request_made_with_the_key(stub, client, status, live):
    body = ok({"customer_id": 1}).body if status == 200 else {"errors": [{"message": f"no ({SEND_KEY})"}]}
    stub.script("GET", "/api/v1/account", Reply(status, body))
    assert client.check_key(SEND_KEY) is live
    [req] = stub.requests  # a verdict: never retried
    assert req.headers["Authorization"] == SEND_KEY


def test_check_key_retries_what_any_read_retries_and_raises_other_errors(stub, client):
    stub.script("GET", "/api/v1/account", Reply(429, {"errors": [{"message": "slow down"}]}),
                Reply(503, {"errors": [{"message": "busy"}]}), Reply(401, {"errors": [{"message": "no"}]}))
    assert client.check_key(SEND_KEY) is False
    assert stub.count("GET", "/api/v1/account") == 3

    stub.requests.clear()
    stub.script("GET", "/api/v1/account", Reply(404, {"errors": [{"message": f"gone {SEND_KEY}"}]}))
    with pytest.raises(E.NotFound) as info:
        client.check_key(SEND_KEY)
    assert SEND_KEY not in str(info.value) and API_KEY not in str(info.value)
