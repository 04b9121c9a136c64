"""Every error body variant of reference section 1.5 (and worse) -> the right typed exception.

Driven through the stub server, so status, headers and body take the real path through the
client; ``max_retries=0`` keeps retryable statuses (429/5xx) to a single attempt here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from provider.sparkpost import errors as E
from provider.sparkpost.error_bodies import parse_error_response
from tests.sparkpost.sparkpost_stub import API_KEY, Reply, ok

CASES: list[tuple[str, Reply, type[E.SparkPostError], dict[str, Any], str]] = [
    (
        "classic message+description+code",
        Reply(404, {"errors": [{"code": "1600", "message": "resource not found",
                                "description": "Domain 'nope.example.com' does not exist"}]}),
        E.NotFound,
        {"status": 404, "code": "1600", "message": "resource not found",
         "description": "Domain 'nope.example.com' does not exist", "param": None},
        "SparkPost API error 404 on GET /thing: resource not found. "
        "Domain 'nope.example.com' does not exist (code 1600).",
    ),
    (
        "message only (403 Forbidden.)",
        Reply(403, {"errors": [{"message": "Forbidden."}]}),
        E.Forbidden,
        {"status": 403, "code": None, "message": "Forbidden.", "description": None},
        "SparkPost API error 403 on GET /thing: Forbidden.",
    ),
    (
        "validation style param+value, several entries",
        Reply(400, {"errors": [
            {"message": "ip_pool must be 20 characters or less", "param": "ip_pool",
             "value": "an_ip_pool_name_that_is_too_long"},
            {"message": "`name` is a required field", "param": "name", "value": None}]}),
        E.BadRequest,
        {"status": 400, "code": None, "param": "ip_pool",
         "message": "ip_pool must be 20 characters or less"},
        "SparkPost API error 400 on GET /thing: ip_pool must be 20 characters or less "
        "(param ip_pool); `name` is a required field (param name).",
    ),
    (
        "numeric code with nested response (webhooks)",
        Reply(400, {"errors": [{"message": "Target failed", "code": 400,
                                "response": {"status": 500, "body": "oops"}}]}),
        E.BadRequest,
        {"code": "400", "message": "Target failed"},
        "SparkPost API error 400 on GET /thing: Target failed (code 400).",
    ),
    (
        "extra fields part/line (templates)",
        Reply(422, {"errors": [{"message": "substitution language error", "code": "3000",
                                "description": "bad token", "part": "html", "line": 4}]}),
        E.Unprocessable,
        {"code": "3000", "description": "bad token"},
        "SparkPost API error 422 on GET /thing: substitution language error. bad token "
        "(code 3000).",
    ),
    (
        "errors is a single object",
        Reply(409, {"errors": {"message": "resource conflict", "code": 1602}}),
        E.Conflict,
        {"code": "1602", "message": "resource conflict"},
        "SparkPost API error 409 on GET /thing: resource conflict (code 1602).",
    ),
    (
        "errors is a field -> messages map",
        Reply(422, {"errors": {"name": ["is too long"], "ip_pool": "bad"}}),
        E.Unprocessable,
        {"message": "name: is too long", "param": "name"},
        "SparkPost API error 422 on GET /thing: name: is too long (param name); "
        "ip_pool: bad (param ip_pool).",
    ),
    (
        "errors is a plain string",
        Reply(400, {"errors": "something broke"}),
        E.BadRequest,
        {"message": "something broke"},
        "SparkPost API error 400 on GET /thing: something broke.",
    ),
    (
        "top-level message, no errors member",
        Reply(401, {"message": "Unauthorized.", "code": "1303"}),
        E.Unauthorized,
        {"message": "Unauthorized.", "code": "1303"},
        "SparkPost API error 401 on GET /thing: Unauthorized (code 1303).",
    ),
    (
        "entry with description only",
        Reply(422, {"errors": [{"description": "field 'domain' is required"}]}),
        E.Unprocessable,
        {"message": "field 'domain' is required", "description": None},
        "SparkPost API error 422 on GET /thing: field 'domain' is required.",
    ),
    (
        "HTML proxy page",
        Reply(502, "<html><head><title>502</title><style>p{}</style></head>"
                   "<body><h1>502 Bad Gateway</h1><p>nginx &amp; friends</p></body></html>",
              headers={"Content-Type": "text/html; charset=utf-8"}),
        E.ServerError,
        {"status": 502, "message": "Bad Gateway.", "code": None},
        "SparkPost API error 502 on GET /thing: Bad Gateway. Non-JSON response body "
        "(text/html): 502 502 Bad Gateway nginx & friends.",
    ),
    (
        "empty body",
        Reply(401, None),
        E.Unauthorized,
        {"status": 401, "message": "Unauthorized.", "description": "Empty response body"},
        "SparkPost API error 401 on GET /thing: Unauthorized. Empty response body.",
    ),
    (
        "JSON without any error information",
        Reply(500, {"oops": True}),
        E.ServerError,
        {"message": "Internal Server Error."},
        'SparkPost API error 500 on GET /thing: Internal Server Error. Unrecognised JSON '
        'response body (application/json): {"oops": true}.',
    ),
    (
        "rate limited",
        Reply(429, {"errors": [{"message": "Too many requests"}]}),
        E.RateLimited,
        {"status": 429, "message": "Too many requests"},
        "SparkPost API error 429 on GET /thing: Too many requests.",
    ),
    (
        "503 with SparkPost's observed message",
        Reply(503, {"errors": [{"message": "Unable to contact authorization service."}]}),
        E.ServerError,
        {"status": 503},
        "SparkPost API error 503 on GET /thing: Unable to contact authorization service.",
    ),
    (
        "405 stays the base class",
        Reply(405, {"errors": [{"message": "invalid http method", "code": "1102",
                                "description": "DELETE is not supported"}]}),
        E.SparkPostError,
        {"status": 405, "code": "1102"},
        "SparkPost API error 405 on GET /thing: invalid http method. DELETE is not supported "
        "(code 1102).",
    ),
    (
        "420 sending limit",
        Reply(420, {"errors": [{"message": "Unable to create a new subaccount - usage "
                                           "exceeded."}]}),
        E.SparkPostError,
        {"status": 420},
        "SparkPost API error 420 on GET /thing: Unable to create a new subaccount - usage "
        "exceeded.",
    ),
]


@pytest.mark.parametrize("reply,cls,fields,text", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_error_variants(stub, make_client, reply, cls, fields, text):
    stub.script("GET", "/api/v1/thing", reply)
    client = make_client(max_retries=0)
    with pytest.raises(E.SparkPostError) as info:
        client.request("GET", "/thing")
    err = info.value
    assert type(err) is cls
    for name, value in fields.items():
        assert getattr(err, name) == value, name
    assert err.method == "GET" and err.path == "/thing"
    assert str(err) == text
    assert err.args == (text,)
    assert stub.count() == 1


def test_extra_fields_kept_in_errors(stub, client):
    stub.script("POST", "/api/v1/thing",
                Reply(400, {"errors": [{"message": "bad", "recipient": "a@b.c", "part": "text",
                                        "line": 3}]}))
    with pytest.raises(E.BadRequest) as info:
        client.request("POST", "/thing", json={})
    assert info.value.errors[0]["recipient"] == "a@b.c"
    assert info.value.errors[0]["line"] == "3"


def test_huge_html_body_is_truncated(stub, make_client):
    page = "<html><body>" + ("<p>lorem ipsum dolor sit amet</p>" * 40_000) + "</body></html>"
    assert len(page) > 1_000_000
    stub.script("GET", "/api/v1/thing", Reply(503, page, headers={"Content-Type": "text/html"}))
    with pytest.raises(E.ServerError) as info:
        make_client(max_retries=0).request("GET", "/thing")
    err = info.value
    assert len(str(err)) < 600
    assert err.body_excerpt is not None and len(err.body_excerpt) <= E.MAX_EXCERPT_CHARS
    assert "lorem ipsum" in str(err)


def test_huge_json_error_list_is_bounded(stub, make_client):
    body = {"errors": [{"message": "m" * 5000, "description": f"d{i}"} for i in range(200)]}
    stub.script("GET", "/api/v1/thing", Reply(400, body))
    with pytest.raises(E.BadRequest) as info:
        make_client(max_retries=0).request("GET", "/thing")
    err = info.value
    assert len(err.errors) == E.MAX_ERROR_ENTRIES
    assert len(err.message) <= E.MAX_FIELD_CHARS
    assert str(err).endswith(f"(and {E.MAX_ERROR_ENTRIES - E.MAX_ENTRIES_IN_MESSAGE} more).")
    assert len(str(err)) < 2000


def test_non_utf8_body(stub, make_client):
    stub.script("GET", "/api/v1/thing",
                Reply(500, b"\xff\xfe broken \x80", headers={"Content-Type": "text/plain"}))
    with pytest.raises(E.ServerError) as info:
        make_client(max_retries=0).request("GET", "/thing")
    assert "broken" in str(info.value)


def test_key_echoed_by_a_proxy_is_redacted(stub, make_client):
    stub.script("GET", "/api/v1/thing",
                Reply(400, {"errors": [{"message": f"bad header Authorization: {API_KEY}",
                                        "description": f"key={API_KEY}", "param": API_KEY}]}))
    with pytest.raises(E.BadRequest) as info:
        make_client(max_retries=0).request("GET", "/thing")
    err = info.value
    for text in (str(err), repr(err), err.message, err.description, err.param,
                 json.dumps(err.errors)):
        assert API_KEY not in text
    assert "[REDACTED]" in str(err)


# -- 2xx that are not what SparkPost documents ---------------------------------------------

INVALID_2XX = [
    ("html on 200", Reply(200, "<html>hello</html>", headers={"Content-Type": "text/html"}),
     "the response body is not JSON (text/html)"),
    ("plain text", Reply(200, "OK"), "the response body is not JSON (text/plain)"),
    ("truncated JSON", Reply(200, '{"results": {"id": 1', headers={"Content-Type":
                                                                   "application/json"}),
     "not JSON"),
    ("no results", Reply(200, {"data": []}), "has no 'results' member"),
    ("a bare list", Reply(200, [1, 2]), "has no 'results' member"),
    ("results is a string", Reply(200, {"results": "yes"}), "'results' is a str"),
    ("results is null", Reply(200, {"results": None}), "'results' is a NoneType"),
    ("empty 200", Reply(200, None), "the response body is empty"),
]


@pytest.mark.parametrize("reply,needle", [c[1:] for c in INVALID_2XX],
                         ids=[c[0] for c in INVALID_2XX])
def test_invalid_success_bodies(stub, client, reply, needle):
    stub.script("GET", "/api/v1/thing", reply)
    with pytest.raises(E.InvalidResponse) as info:
        client.request("GET", "/thing")
    assert info.value.status == 200
    assert needle in str(info.value)
    assert str(info.value).startswith("SparkPost API returned an unexpected response 200 on "
                                      "GET /thing: ")
    assert stub.count() == 1  # not retried: the answer will not change


def test_typed_method_checks_results_type(stub, client):
    stub.script("GET", "/api/v1/sending-domains", ok({"not": "a list"}))
    with pytest.raises(E.InvalidResponse, match="expected an array"):
        client.list_sending_domains()
    stub.script("GET", "/api/v1/subaccounts/3", ok([1]))
    with pytest.raises(E.InvalidResponse, match="expected an object"):
        client.get_subaccount(3)


def test_success_shapes(stub, client):
    stub.script("GET", "/api/v1/a", ok({"x": 1}))
    stub.script("GET", "/api/v1/b", ok([{"y": 2}]))
    stub.script("DELETE", "/api/v1/c", Reply(204))
    stub.script("DELETE", "/api/v1/d", Reply(200, None))
    assert client.request("GET", "/a") == {"x": 1}
    assert client.request("GET", "/b") == [{"y": 2}]
    assert client.request("DELETE", "/c") is None
    assert client.request("DELETE", "/d") is None


# -- rendering rules, no HTTP --------------------------------------------------------------

def test_error_class_for_status():
    assert E.error_class_for_status(400) is E.BadRequest
    assert E.error_class_for_status(599) is E.ServerError
    assert E.error_class_for_status(418) is E.SparkPostError
    assert issubclass(E.Cancelled, E.SparkPostError)
    assert issubclass(E.TransportError, E.SparkPostError)


def test_gave_up_and_hint_rendering():
    err = parse_error_response(429, '{"errors":[{"message":"Too many requests"}]}',
                               method="get", path="/subaccounts")
    err.mark_gave_up(9, 120.04, "retry deadline 120 s exhausted")
    assert str(err) == ("SparkPost API error 429 on GET /subaccounts: gave up after 9 attempts "
                        "over 120.0 s (retry deadline 120 s exhausted): rate limited (429): "
                        "Too many requests.")
    err.add_hint("Check your plan")
    assert str(err).endswith("Too many requests. Check your plan.")
    assert err.args == (str(err),)


def test_transport_and_cancel_rendering():
    t = E.TransportError("could not connect to SparkPost: [Errno 111] Connection refused",
                         request_sent=False, method="POST", path="/subaccounts")
    assert t.status is None
    assert str(t) == ("SparkPost API request POST /subaccounts failed: could not connect to "
                      "SparkPost: [Errno 111] Connection refused.")
    c = E.Cancelled("the provider is stopping", method="GET", path="/x")
    assert str(c) == "SparkPost API request GET /x cancelled: the provider is stopping."
