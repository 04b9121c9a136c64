"""Emulator fidelity, second audit: each test pins one documented behaviour the emulator got wrong.

Sources are SparkPost's API reference (SparkPost/developers.sparkpost.com, content/api/*.apib)
and, where it is terse, SparkPost's own web app fixtures (SparkPost/2web2ui).
"""

from __future__ import annotations

import json
from pathlib import Path

import requests

from provider.emulator.sparkpost import Emulator
from tests.emulator.emu_helpers import OPERATOR_GRANTS, OPERATOR_KEY, Api, make_subaccount
from tests.webhook_receiver import Receiver


def _new_domain(api: Api, domain: str, subaccount: int | None = None) -> None:
    r = api.post("/sending-domains", {"domain": domain, "generate_dkim": False}, subaccount=subaccount)
    assert r.status_code == 200, r.text


def test_shared_with_subaccounts_only_on_primary_domains(op: Api) -> None:
    # sending-domains.apib, "Sending Domain Object": shared_with_subaccounts is "Only available to
    # domains belonging to a primary account" (as subaccount_id is only on subaccount domains).
    sid = make_subaccount(op)
    _new_domain(op, "primary.example.com")
    _new_domain(op, "tenant.example.com", subaccount=sid)
    one = op.get("/sending-domains/tenant.example.com", subaccount=sid).json()["results"]
    assert "shared_with_subaccounts" not in one and one["subaccount_id"] == sid
    listed = {d["domain"]: d for d in op.get("/sending-domains").json()["results"]}
    assert "shared_with_subaccounts" not in listed["tenant.example.com"]
    assert listed["primary.example.com"]["shared_with_subaccounts"] is False
    assert "subaccount_id" not in listed["primary.example.com"]
    assert op.get("/sending-domains/primary.example.com").json()["results"]["shared_with_subaccounts"] is False


def test_ip_pool_with_a_trailing_newline_is_not_alphanumeric(op: Api) -> None:
    # subaccounts.apib, Create a Subaccount, 400: "ip_pool must be alphanumeric and underscore".
    # A regex ending in `$` also matches before a final "\n", so the check let one through.
    r = op.post("/subaccounts", {"name": "x", "setup_api_key": False, "ip_pool": "my_pool\n"})
    assert r.status_code == 400, r.text
    assert r.json()["errors"] == [{"message": "ip_pool must be alphanumeric and underscore",
                                   "param": "ip_pool", "value": "my_pool\n"}]
    assert op.get("/subaccounts/summary").json()["results"]["total"] == 0


def test_domain_with_a_trailing_newline_is_refused(op: Api) -> None:
    # S-chg (reference section 4.4): 422/1300 "Error domain name contains invalid characters or
    # spaces for domain: <d>".  The name must not be stored with its newline.
    r = op.post("/sending-domains", {"domain": "example.com\n", "generate_dkim": False})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"] == "1300"
    assert "invalid characters" in r.json()["errors"][0]["description"]
    assert op.get("/sending-domains").json()["results"] == []


def test_dkim_key_id_with_a_trailing_newline_is_refused(op: Api) -> None:
    # sending-domains.apib, "DKIM Key Constraints": "Alphanumeric, hyphen, underscore".
    _new_domain(op, "example.com")
    r = op.post("/sending-domains/example.com/dkim-keys", {"id": "marketing\n", "dkim_key_length": 1024})
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["code"] == "1300"
    assert [k["id"] for k in op.get("/sending-domains/example.com/dkim-keys").json()["results"]] == []


def test_put_dkim_needs_the_whole_key_pair(emu: Emulator, op: Api) -> None:
    # sending-domains.apib, Update a Sending Domain: dkim.private, dkim.public and dkim.selector
    # are each "(string, required)".  A selector alone used to re-point the stored key.
    r = op.post("/sending-domains", {"domain": "mail.example.com", "dkim_key_length": 1024})
    assert r.status_code == 200, r.text
    dkim = r.json()["results"]["dkim"]
    # DNS publishes the stored key under the new selector, so only the missing keys can fail.
    emu.add_dns([{"type": "TXT", "name": "s2._domainkey.mail.example.com",
                  "value": f"v=DKIM1; k=rsa; h=sha256; p={dkim['public']}"}])
    r = op.put("/sending-domains/mail.example.com", {"dkim": {"selector": "s2"}})
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"message": "invalid data format/type",
                                   "description": "Empty keys are not allowed.", "code": "1300"}]
    got = op.get("/sending-domains/mail.example.com").json()["results"]
    assert got["dkim"]["selector"] == dkim["selector"] and got["status"]["dkim_status"] == "unverified"
    r = op.put("/sending-domains/mail.example.com", {"dkim": {"selector": "s2", "public": dkim["public"]}})
    assert r.status_code == 422 and r.json()["errors"][0]["description"] == "Empty keys are not allowed."


RESTRICTED = {"message": "Restricted domain", "code": "7000",
              "description": "Please contact SparkPost support to get this domain authorized for your account."}


def test_restricted_domain_is_the_documented_400_7000(emu: Emulator, op: Api) -> None:
    # sending-domains.apib, Create a Sending Domain, first 400 example: code 7000 "Restricted
    # domain".  Which domains SparkPost restricts is not documented, so the test names them.
    emu.add_restricted_domain("Blocked.example")
    for name in ("blocked.example", "mail.BLOCKED.example"):
        r = op.post("/sending-domains", {"domain": name})
        assert r.status_code == 400, r.text
        assert r.json()["errors"] == [RESTRICTED]
    assert op.get("/sending-domains").json()["results"] == []
    _new_domain(op, "notblocked.example")  # a name that merely ends the same way is fine


def test_restricted_domains_through_control_api_seed_and_state(tmp_path: Path) -> None:
    seed = {"restricted_domains": ["seeded.example"],
            "keys": [{"key": OPERATOR_KEY, "label": "operator", "grants": OPERATOR_GRANTS}]}
    state = tmp_path / "state.json"
    with Emulator(state_path=str(state), seed=seed) as emu:
        op = Api(emu.url, OPERATOR_KEY)
        assert op.post("/sending-domains", {"domain": "seeded.example"}).json()["errors"] == [RESTRICTED]
        ctl = emu.url + "/__emulator/restricted-domains"
        assert requests.post(ctl, json={"domains": ["Added.example"]}, timeout=10).json() == {
            "domains": ["seeded.example", "added.example"]}
        assert requests.get(emu.url + "/__emulator/state", timeout=10).json()["restricted_domains"] == [
            "seeded.example", "added.example"]
    with Emulator(state_path=str(state)) as emu:  # the state file keeps them
        op = Api(emu.url, OPERATOR_KEY)
        assert op.post("/sending-domains", {"domain": "x.added.example"}).json()["errors"] == [RESTRICTED]
        ctl = emu.url + "/__emulator/restricted-domains"
        assert requests.put(ctl, json={"domains": ["other.example"]}, timeout=10).json() == {
            "domains": ["other.example"]}
        assert requests.delete(ctl, timeout=10).json() == {"domains": []}
        assert requests.put(ctl, json={"domains": [5]}, timeout=10).status_code == 400
        r = op.post("/sending-domains", {"domain": "added.example", "generate_dkim": False})
        assert r.status_code == 200, r.text


def test_documented_choices_where_the_reference_is_silent(op: Api) -> None:
    # Pins the rows docs/emulator.md adds to "Where the emulator differs from SparkPost, on purpose".
    for name in ("x.com", "t.co", "example.xn--p1ai", "dot.example.com."):
        r = op.post("/sending-domains", {"domain": name, "generate_dkim": False})
        assert r.status_code == 422 and "syntax" in r.json()["errors"][0]["description"], (name, r.text)
    r = op.post("/subaccounts", {"name": "t", "key_label": "k", "key_grants": ["sending_domains/manage"]})
    tenant = Api(op.base, r.json()["results"]["key"])
    r = op.post("/sending-domains", {"domain": "shared.example.com", "generate_dkim": False,
                                     "shared_with_subaccounts": True})
    assert r.status_code == 200, r.text
    assert tenant.get("/sending-domains/shared.example.com").status_code == 404
    assert tenant.get("/sending-domains").json()["results"] == []
    r = op.post("/sending-domains", {"domain": "empty.example.com", "dkim": {}, "dkim_key_length": 1024})
    assert r.status_code == 200 and r.json()["results"]["dkim"]["public"], r.text
    r = op.post("/sending-domains", {"domain": "nokey.example.com", "dkim": {}, "generate_dkim": False})
    assert r.status_code == 200 and "dkim" not in r.json()["results"], r.text


def _strict_json(text: str) -> object:
    """RFC 8259 JSON: Python's parser would also take Infinity and NaN; Go's and JavaScript's would not."""
    def refuse(name: str) -> object:
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_numbers_too_large_for_a_double_are_unparseable_json(emu: Emulator) -> None:
    # index.apib, API Conventions: "Our JSON number type is bounded to a signed 32-bit integer".
    # 1e999 used to parse as infinity and come back in the 400's `value` as `Infinity`.
    headers = {"Authorization": OPERATOR_KEY, "Content-Type": "application/json"}
    for body in (b'{"name": 1e999, "setup_api_key": false}',
                 b'{"name": "x", "setup_api_key": false, "options": {"deliverability": -1e400}}'):
        r = requests.post(emu.url + "/api/v1/subaccounts", data=body, headers=headers, timeout=10)
        assert r.status_code == 422, r.text
        assert _strict_json(r.text) == {"errors": [{"message": "invalid data format/type",
                                                    "description": "Problems parsing request as json",
                                                    "code": "1300"}]}
    r = requests.post(emu.url + "/api/v1/subaccounts", data=b'{"name": 1.5e3, "setup_api_key": false}',
                      headers=headers, timeout=10)
    assert r.status_code == 400 and _strict_json(r.text), r.text  # finite numbers still parse


def test_deleting_a_tracking_domain_unlinks_it(op: Api, admin: Api) -> None:
    # Pins a docs/emulator.md row (undocumented by SparkPost): the link goes with the domain.
    assert admin.post("/tracking-domains", {"domain": "click.example.com"}).status_code == 200
    r = op.post("/sending-domains", {"domain": "m.example.com", "generate_dkim": False,
                                     "tracking_domain": "click.example.com"})
    assert r.status_code == 200, r.text
    assert admin.delete("/tracking-domains/click.example.com").status_code == 204
    assert "tracking_domain" not in op.get("/sending-domains/m.example.com").json()["results"]


def test_exception_subaccounts_only_for_the_all_accounts_source(emu: Emulator, op: Api) -> None:
    # webhooks.apib, Create and Update a Webhook: exception_subaccounts is "only available for
    # webhooks with Primary and All Subaccounts event source" (no X-MSYS-SUBACCOUNT, or -1).
    emu.add_key(key="ab" * 20, grants=["webhooks/view", "webhooks/modify"], label="webhooks")
    hooks = Api(emu.url, "ab" * 20)
    sid = make_subaccount(op)
    with Receiver() as target:
        body = {"name": "alerts", "target": target.url + "/hook", "events": ["bounce"],
                "exception_subaccounts": [sid]}
        for scope in (0, sid):
            r = hooks.post("/webhooks", body, subaccount=scope)
            assert r.status_code == 400, r.text
            assert r.json()["errors"][0]["code"] == "1200"
            assert "exception_subaccounts" in r.json()["errors"][0]["description"]
        assert target.batches() == []  # refused before the test batch
        hook_id = hooks.post("/webhooks", body).json()["results"]["id"]  # every account: fine
        r = hooks.put(f"/webhooks/{hook_id}", {"subaccount_id": 0})  # moving keeps the list: refused
        assert r.status_code == 400, r.text
        assert hooks.get(f"/webhooks/{hook_id}").json()["results"]["exception_subaccounts"] == [str(sid)]
        r = hooks.put(f"/webhooks/{hook_id}", {"subaccount_id": 0, "exception_subaccounts": []})
        assert r.status_code == 200, r.text
        assert hooks.get(f"/webhooks/{hook_id}", subaccount=0).json()["results"]["exception_subaccounts"] == []


def test_webhook_links_and_batch_status_follow_the_samples(emu: Emulator, op: Api) -> None:
    # webhooks.apib: list items link to the webhook ("urn.msys.webhooks.webhook", GET and PUT);
    # "Retrieve a Webhook" links to validate and batch-status; "Update a Webhook" to validate;
    # "Retrieve Batch Status Information" is GET /v1/webhooks/{id}/batch-status{?limit}.
    emu.add_key(key="ab" * 20, grants=["webhooks/view", "webhooks/modify"], label="webhooks")
    hooks = Api(emu.url, "ab" * 20)
    with Receiver() as target:
        body = {"name": "alerts", "target": target.url + "/hook", "events": ["bounce"]}
        hook_id = hooks.post("/webhooks", body).json()["results"]["id"]
        base = f"/api/v1/webhooks/{hook_id}"
        validate = {"href": f"{base}/validate", "rel": "urn.msys.webhooks.validate", "method": ["POST"]}
        batches = {"href": f"{base}/batch-status", "rel": "urn.msys.webhooks.batches", "method": ["GET"]}
        listed = hooks.get("/webhooks").json()["results"]
        assert listed[0]["links"] == [{"href": base, "rel": "urn.msys.webhooks.webhook", "method": ["GET", "PUT"]}]
        assert hooks.get(f"/webhooks/{hook_id}").json()["results"]["links"] == [validate, batches]
        assert hooks.put(f"/webhooks/{hook_id}", {"name": "renamed"}).json()["results"]["links"] == [validate]
        assert hooks.get(f"/webhooks/{hook_id}/batch-status").json() == {"results": []}
        assert hooks.get(f"/webhooks/{hook_id}/batch-status", params={"limit": "10"}).status_code == 200
        assert hooks.get(f"/webhooks/{hook_id}/batch-status", params={"limit": "x"}).status_code == 400
        assert hooks.get("/webhooks/nope/batch-status").status_code == 404


def test_tracking_domain_with_a_malformed_name_is_400_before_404(admin: Api) -> None:
    # tracking-domains.apib, Retrieve / Update / Delete a Tracking Domain: 400
    # {"param": "domain", "message": "domain must be valid", "value": "baddomain"}; 404 is for a
    # well-formed name that is not there.
    bad = [{"param": "domain", "message": "domain must be valid", "value": "baddomain"}]
    for r in (admin.get("/tracking-domains/baddomain"),
              admin.put("/tracking-domains/baddomain", {"secure": True}),
              admin.delete("/tracking-domains/baddomain")):
        assert r.status_code == 400, r.text
        assert r.json() == {"errors": bad}
    missing = admin.get("/tracking-domains/click.example.com")
    assert (missing.status_code, missing.json()) == (404, {"errors": [{"message": "resource not found"}]})
