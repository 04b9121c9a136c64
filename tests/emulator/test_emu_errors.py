"""Per-endpoint error styles, body handling, paths (reference sections 1.3-1.6)."""

from __future__ import annotations

import pytest
import requests

from tests.emulator.emu_helpers import OPERATOR_KEY, Api, make_subaccount


def _raw(emu, method, path, data=None, content_type=None):
    headers = {"Authorization": OPERATOR_KEY}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.request(method, emu.url + path, data=data, headers=headers, timeout=5)


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_non_json_content_type_is_415_code_1700(emu, ctype):
    r = _raw(emu, "POST", "/api/v1/subaccounts", data='{"name":"x","setup_api_key":false}', content_type=ctype)
    assert r.status_code == 415
    err = r.json()["errors"][0]
    assert err["code"] == "1700" and err["message"] and "description" in err
    assert emu.dump_state()["subaccounts"] == []


def test_missing_content_type_with_a_body_is_415(emu):
    r = _raw(emu, "POST", "/api/v1/subaccounts", data=b'{"name":"x"}')
    assert r.status_code == 415


def test_json_with_charset_is_accepted(emu):
    r = _raw(emu, "POST", "/api/v1/subaccounts", data='{"name":"x","setup_api_key":false}',
             content_type="application/json; charset=utf-8")
    assert r.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/subaccounts", "/api/v1/sending-domains", "/api/v1/sending-domains/x.com"])
def test_malformed_json_is_422_with_sparkposts_error(emu, path):
    # support-docs Changes-to-API-HTTP-Responses-and-Error-Codes, "Response invalid json":
    # "Current 422" with exactly this body.
    r = _raw(emu, "POST" if path.count("/") == 3 else "PUT", path, data='{"name": ', content_type="application/json")
    assert r.status_code == 422
    assert r.json() == {"errors": [{"message": "invalid data format/type",
                                    "description": "Problems parsing request as json", "code": "1300"}]}


def test_non_object_json_body_is_422(emu):
    r = _raw(emu, "POST", "/api/v1/subaccounts", data="[1,2]", content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "1300"


def test_non_utf8_body_is_400(emu):
    r = _raw(emu, "POST", "/api/v1/subaccounts", data=b'{"name":"\xff"}', content_type="application/json")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "1305"


def test_trailing_slash_is_optional(op):
    sid = make_subaccount(op)
    assert op.get("/subaccounts/").json() == op.get("/subaccounts").json()
    assert op.get(f"/subaccounts/{sid}/").status_code == 200
    assert op.post("/sending-domains/", {"domain": "a.example.com", "generate_dkim": False}).status_code == 200
    assert op.get("/sending-domains/a.example.com/").status_code == 200


def test_unknown_fields_and_query_params_are_ignored(op):
    r = op.post("/subaccounts", {"name": "x", "setup_api_key": False, "frobnicate": [1, {"a": None}]},
                params={"whatever": "1"})
    assert r.status_code == 200
    r = op.post("/sending-domains", {"domain": "a.example.com", "generate_dkim": False, "colour": "blue"})
    assert r.status_code == 200
    r = op.get("/subaccounts", params={"unknown": "yes"})
    assert r.status_code == 200 and "total_count" not in r.json()  # not a pagination parameter


def test_api_prefix_is_mandatory_and_unknown_paths_are_404(emu):
    for path in ("/subaccounts", "/api/v2/subaccounts", "/api/v1/nothing-here", "/"):
        r = _raw(emu, "GET", path)
        assert r.status_code == 404, path
        assert r.json()["errors"][0]["code"] == "1101"


def test_unsupported_method_is_405_code_1102(op):
    sid = make_subaccount(op)
    r = op.delete(f"/subaccounts/{sid}")
    assert r.status_code == 405
    assert r.json() == {"errors": [{"message": "invalid http method",
                                    "description": f"DELETE is not supported on /api/v1/subaccounts/{sid}",
                                    "code": "1102"}]}
    assert set(r.headers["Allow"].replace(" ", "").split(",")) == {"GET", "PUT"}
    assert op.delete("/subaccounts").status_code == 405
    assert op.get(f"/subaccounts/{sid}").json()["results"]["status"] == "active"


def test_error_styles_per_endpoint(emu, op, admin):
    # Subaccounts: validation style, message + param + value, no code.
    err = op.post("/subaccounts", {"ip_pool": "an_ip_pool_name_that_is_too_long", "setup_api_key": False}).json()
    assert {"message": "ip_pool must be 20 characters or less", "param": "ip_pool",
            "value": "an_ip_pool_name_that_is_too_long"} in err["errors"]
    assert all(set(e) == {"message", "param", "value"} for e in err["errors"])
    # Sending domains: classic message + description + string code.
    err = op.post("/sending-domains", {"domain": "hello"}).json()["errors"][0]
    assert err == {"message": "invalid data format/type",
                   "description": "Error domain name contains no '.'(s) for domain: 'hello'", "code": "1300"}
    # IP pools: message only.
    r = admin.get("/ip-pools/nope")
    assert (r.status_code, r.json()) == (404, {"errors": [{"message": "IP pool not found."}]})
    # Tracking domains: message-only 404.
    r = admin.get("/tracking-domains/nope.example.com")
    assert (r.status_code, r.json()) == (404, {"errors": [{"message": "resource not found"}]})
    # 403: message only.
    assert op.get("/api-keys").json() == {"errors": [{"message": "Forbidden."}]}


BAD_BODIES = [
    ("POST", "/subaccounts", {"name": 123}),
    ("POST", "/subaccounts", {"name": None, "key_grants": "smtp/inject", "key_label": 5}),
    ("POST", "/subaccounts", {"name": "x", "key_label": "k", "key_grants": [1, None], "key_valid_ips": "1.2.3.4"}),
    ("POST", "/subaccounts", {"name": "x", "setup_api_key": "yes"}),
    ("POST", "/subaccounts", {"name": "x", "setup_api_key": False, "options": []}),
    ("POST", "/subaccounts", {"name": "x", "setup_api_key": False, "options": {"deliverability": "on"}}),
    ("POST", "/subaccounts", {"name": "x", "setup_api_key": False, "ip_pool": 12}),
    ("PUT", "/subaccounts/1", {"status": 3, "name": ["a"]}),
    ("GET", "/subaccounts?per_page=abc", None),
    ("GET", "/subaccounts?cursor=%%%", None),
    ("GET", "/subaccounts?ids=1,x", None),
    ("POST", "/sending-domains", {"domain": 5}),
    ("POST", "/sending-domains", {"domain": "a.example.com", "dkim": "yes"}),
    ("POST", "/sending-domains", {"domain": "a.example.com", "dkim": {"private": 1, "public": [], "selector": {}}}),
    ("POST", "/sending-domains", {"domain": "a.example.com", "dkim_key_length": "big"}),
    ("POST", "/sending-domains", {"domain": "a.example.com", "generate_dkim": "no"}),
    ("POST", "/sending-domains", {"domain": "a.example.com", "tracking_domain": 7}),
    ("POST", "/sending-domains", {"domain": "x" * 300 + ".com"}),
    ("POST", "/sending-domains", {"domain": "é.example.com"}),
    ("PUT", "/sending-domains/seed.example.com", {"dkim": []}),
    ("PUT", "/sending-domains/seed.example.com", {"dkim": {"selector": 5}}),
    ("PUT", "/sending-domains/seed.example.com", {"is_default_bounce_domain": "true"}),
    ("POST", "/sending-domains/seed.example.com/verify", {"verification_mailbox_verify": True}),
    ("POST", "/sending-domains/seed.example.com/verify", {"dkim_verify": "maybe", "cname_verify": 1}),
    ("GET", "/metrics/deliverability?from=x&metrics=bogus", None),
    ("GET", "/metrics/deliverability?metrics=count_sent", None),
    ("GET", "/metrics/deliverability?from=x&metrics=count_sent&subaccounts=a", None),
]


@pytest.mark.parametrize("method,path,body", BAD_BODIES)
def test_bad_input_never_gives_a_500(emu, op, method, path, body):
    make_subaccount(op)
    op.post("/sending-domains", {"domain": "seed.example.com", "generate_dkim": False})
    r = op.call(method, path, json=body)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.json()["errors"] and "Traceback" not in r.text


def test_oversized_body_is_413(emu):
    r = _raw(emu, "POST", "/api/v1/subaccounts", data=b"{" + b" " * (2 << 20) + b"}", content_type="application/json")
    assert r.status_code == 413


def test_api_key_errors_use_the_validation_style(admin):
    r = admin.post("/api-keys", {"grants": ["not/a-grant"], "valid_ips": ["::1"]})
    assert r.status_code == 400
    params = {e["param"] for e in r.json()["errors"]}
    assert params == {"label", "grants", "valid_ips"}
    assert all(set(e) == {"message", "param", "value"} for e in r.json()["errors"])


def test_api_key_404_body(admin):
    r = admin.get("/api-keys/00000000-0000-4000-8000-000000000000")
    assert (r.status_code, r.json()) == (404, {"errors": [{"message": "Resource could not be found"}]})


def test_basic_and_raw_keys_see_same_data(emu, op):
    make_subaccount(op)
    assert Api(emu.url, OPERATOR_KEY, basic=True).get("/subaccounts").json() == op.get("/subaccounts").json()
