"""API keys (reference section 3; undocumented by SparkPost, modelled on the web app).

The `emu` fixture is an account with the API-keys API enabled (the `api_keys_api` option);
the gate itself, off by default, is tested at the end of the file.
"""

from __future__ import annotations

import pytest

from tests.emulator.emu_helpers import ADMIN_KEY, Api, make_subaccount


def _create(api: Api, body, **kw):
    r = api.post("/api-keys", body, **kw)
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    return res["link"]["href"].rsplit("/", 1)[1], res["key"]


def test_list_without_header_includes_subaccount_keys(emu, op, admin):
    s1 = make_subaccount(op, "one")
    s2 = make_subaccount(op, "two")
    primary_id, _ = _create(admin, {"label": "primary", "grants": ["smtp/inject"]})
    k1, _ = _create(admin, {"label": "k1", "grants": ["smtp/inject"]}, subaccount=s1)
    k2, _ = _create(admin, {"label": "k2", "grants": ["webhooks/view"]}, subaccount=s2)
    everything = {k["id"]: k for k in admin.get("/api-keys").json()["results"]}
    assert {primary_id, k1, k2} <= set(everything)
    assert everything[k1]["subaccount_id"] == s1 and everything[k2]["subaccount_id"] == s2
    assert "subaccount_id" not in everything[primary_id]
    primary_only = {k["id"] for k in admin.get("/api-keys", subaccount=0).json()["results"]}
    assert primary_id in primary_only and not primary_only & {k1, k2}
    assert [k["id"] for k in admin.get("/api-keys", subaccount=s1).json()["results"]] == [k1]
    assert admin.get(f"/api-keys/{k1}").status_code == 200            # GET without header sees it
    assert admin.get(f"/api-keys/{k1}", subaccount=s2).status_code == 404
    # No secret in any listing.
    assert all("key" not in k for k in everything.values())


def test_grant_filter(admin):
    a, _ = _create(admin, {"label": "a", "grants": ["smtp/inject", "metrics/view"]})
    b, _ = _create(admin, {"label": "b", "grants": ["metrics/view"]})
    ids = {k["id"] for k in admin.get("/api-keys", params={"grant": "smtp/inject"}).json()["results"]}
    assert a in ids and b not in ids


def test_subaccount_keys_only_take_subaccount_grants(op, admin):
    sid = make_subaccount(op)
    r = admin.post("/api-keys", {"label": "x", "grants": ["metrics/view"]}, subaccount=sid)
    assert r.status_code == 400 and r.json()["errors"][0]["param"] == "grants"
    r = admin.post("/api-keys", {"label": "x", "grants": ["subaccount/manage"]})
    assert r.status_code == 200  # fine on the primary account


def test_valid_ips_rules(admin):
    assert admin.post("/api-keys", {"label": "v4", "grants": ["smtp/inject"],
                                    "valid_ips": ["10.0.0.0/8", "192.168.0.7"]}).status_code == 200
    for bad in (["::1"], ["fe80::/10"], "10.0.0.1", ["10.0.0.0/40"]):
        r = admin.post("/api-keys", {"label": "x", "grants": ["smtp/inject"], "valid_ips": bad})
        assert r.status_code == 400, bad
        assert r.json()["errors"][0]["param"] == "valid_ips"


def test_created_key_authenticates_with_its_grants(emu, admin):
    _, secret = _create(admin, {"label": "viewer", "grants": ["subaccount/view"]})
    fresh = Api(emu.url, secret)
    assert fresh.get("/subaccounts").status_code == 200
    assert fresh.get("/sending-domains").status_code == 403


def test_update_primary_key(emu, admin):
    key_id, secret = _create(admin, {"label": "old", "grants": ["smtp/inject"], "valid_ips": ["10.0.0.0/8"]})
    r = admin.put(f"/api-keys/{key_id}", {"label": "new", "grants": ["subaccount/view"], "valid_ips": []})
    assert r.status_code == 200 and "message" in r.json()["results"]
    got = admin.get(f"/api-keys/{key_id}").json()["results"]
    assert (got["label"], got["grants"], got.get("valid_ips")) == ("new", ["subaccount/view"], None)
    assert Api(emu.url, secret).get("/subaccounts").status_code == 200  # new grant is live
    # PUT is a full replace: label and grants are required.
    r = admin.put(f"/api-keys/{key_id}", {"label": "only-label"})
    assert r.status_code == 400 and r.json()["errors"][0]["param"] == "grants"


def test_subaccount_key_grants_cannot_change(op, admin):
    sid = make_subaccount(op)
    key_id, _ = _create(admin, {"label": "k", "grants": ["smtp/inject"]}, subaccount=sid)
    # Writes without the header reach primary keys only.
    assert admin.put(f"/api-keys/{key_id}", {"label": "k2", "grants": ["smtp/inject"]}).status_code == 404
    r = admin.put(f"/api-keys/{key_id}", {"label": "k2", "grants": ["smtp/inject", "webhooks/view"]},
                  subaccount=sid)
    assert r.status_code == 400 and r.json()["errors"][0]["param"] == "grants"
    r = admin.put(f"/api-keys/{key_id}", {"label": "k2", "grants": ["smtp/inject"], "valid_ips": ["10.1.1.1"]},
                  subaccount=sid)
    assert r.status_code == 200
    got = admin.get(f"/api-keys/{key_id}", subaccount=sid).json()["results"]
    assert (got["label"], got["grants"], got["valid_ips"], got["subaccount_id"]) == \
        ("k2", ["smtp/inject"], ["10.1.1.1"], sid)


def test_delete_key(emu, op, admin):
    key_id, secret = _create(admin, {"label": "gone", "grants": ["subaccount/view"]})
    assert admin.delete(f"/api-keys/{key_id}").status_code == 204
    assert admin.get(f"/api-keys/{key_id}").status_code == 404
    assert admin.delete(f"/api-keys/{key_id}").status_code == 404
    assert Api(emu.url, secret).get("/subaccounts").status_code == 401
    sid = make_subaccount(op)
    sub_key, _ = _create(admin, {"label": "s", "grants": ["smtp/inject"]}, subaccount=sid)
    assert admin.delete(f"/api-keys/{sub_key}").status_code == 404       # needs the header
    assert admin.delete(f"/api-keys/{sub_key}", subaccount=sid).status_code == 204


def test_subaccount_setup_key_is_manageable_through_api_keys(op, admin):
    res = op.post("/subaccounts", {"name": "t", "key_label": "initial", "key_grants": ["smtp/inject"]}).json()
    sid, short = res["results"]["subaccount_id"], res["results"]["short_key"]
    keys = admin.get("/api-keys", subaccount=sid).json()["results"]
    assert [(k["label"], k["short_key"], k["subaccount_id"]) for k in keys] == [("initial", short, sid)]


@pytest.mark.parametrize("method, path", [("GET", "/api-keys"), ("POST", "/api-keys"),
                                          ("GET", "/api-keys/x"), ("PUT", "/api-keys/x"),
                                          ("DELETE", "/api-keys/x")])
def test_gate_off_answers_403_to_every_api_keys_call(emu, admin, method, path):
    emu.set_options(api_keys_api=False)
    r = admin.call(method, path, json={"label": "k", "grants": ["smtp/inject"]})
    assert (r.status_code, r.json()) == (403, {"errors": [{"message": "Forbidden."}]})


def test_gate_is_off_by_default_and_switchable_by_control_api():
    import requests
    from provider.emulator.sparkpost import Emulator
    with Emulator() as e:
        e.add_key(key=ADMIN_KEY, grants=["api_keys/manage"], label="admin")
        api = Api(e.url, ADMIN_KEY)
        assert api.get("/api-keys").status_code == 403
        r = requests.put(e.url + "/__emulator/options", json={"api_keys_api": True}, timeout=10)
        assert r.json() == {"api_keys_api": True, "error_descriptions": True}
        assert api.get("/api-keys").status_code == 200
        assert requests.get(e.url + "/__emulator/options", timeout=10).json()["api_keys_api"] is True
        bad = requests.put(e.url + "/__emulator/options", json={"api_keys_api": "yes"}, timeout=10)
        assert bad.status_code == 400 and "true or false" in bad.json()["error"]
        bad = requests.put(e.url + "/__emulator/options", json={"api_key_api": True}, timeout=10)
        assert bad.status_code == 400 and "unknown option" in bad.json()["error"]
