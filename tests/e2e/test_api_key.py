"""sparkpost_api_key with the real terraform against the emulator and the Secret Manager fake.

The provider runs with the admin key (it holds api_keys/manage), except in the test of what our
users' operator key gets (403). Steps are batched into few tests: every terraform command starts
the provider, so each test does as much as it can with one working directory.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .harness import Result, changes
from .sparkpost_world import SparkPostWorld

SECRET = "projects/cloud-inst-1/secrets/SPARKPOST_SMTP_KEY"
# These tests run on an account that has the API-keys API (SparkPost documents key management
# only in its app; the emulator's `api_keys_api` option is off unless asked).
pytestmark = pytest.mark.api_keys_api

ADDR_P = "sparkpost_api_key.primary"
ADDR_S = "sparkpost_api_key.sub"
GET_ONE = "GET /api/v1/api-keys/{id}"
PUT_ONE = "PUT /api/v1/api-keys/{id}"
DELETE_ONE = "DELETE /api/v1/api-keys/{id}"
POST = "POST /api/v1/api-keys"


# ---------------------------------------------------------------- helpers


def as_admin(sp: SparkPostWorld, provider: str = "") -> None:
    """The provider with the admin key (api_keys/manage); `provider` adds settings."""
    sp.tf.env_extra["SPARKPOST_API_KEY"] = sp.admin_key
    sp.tf.write(f'provider "sparkpost" {{\n{provider}\n}}\n', "provider.tf")


def make_subaccount(sp: SparkPostWorld, name: str = "tenant-a") -> int:
    r = sp.api("POST", "/subaccounts", json={"name": name, "setup_api_key": False})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["subaccount_id"])


def emu_keys(sp: SparkPostWorld) -> dict[str, dict[str, Any]]:
    """Every key the emulator holds (no secrets), by id."""
    return {k["id"]: k for k in sp.emulator.dump_state()["keys"]}


# The plan-time probe of the API-keys API (provider/resources/plan_probes.py): a GET of a key id
# no account has, on every planned create. Counted apart from the calls that manage keys.
PROBE_PATH = "/api/v1/api-keys/00000000-0000-4000-8000-000000000000"


def api_key_routes(sp: SparkPostWorld) -> dict[str, int]:
    """API-key calls by route, leaving out the plan's probe."""
    counts: dict[str, int] = {}
    for e in sp.emulator.request_log()["log"]:
        if e["route"] and "/api-keys" in e["route"] and e["path"] != PROBE_PATH:
            counts[e["route"]] = counts.get(e["route"], 0) + 1
    return counts


def probe_statuses(sp: SparkPostWorld) -> list[int | None]:
    return [e["status"] for e in sp.emulator.request_log()["log"] if e["path"] == PROBE_PATH]


def values(sp: SparkPostWorld, addr: str) -> dict[str, Any]:
    return sp.tf.state_resources()[addr]["values"]


def resource_change(plan: dict[str, Any] | None, addr: str) -> dict[str, Any]:
    assert plan is not None
    return next(rc for rc in plan["resource_changes"] if rc["address"] == addr)


def plan_is_empty(sp: SparkPostWorld) -> None:
    result, plan = sp.tf.plan()
    assert result.returncode == 0, (changes(plan), result.stdout[-3000:])


def occurrences(doc: Any, needle: str, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths in a JSON document whose value is or contains `needle` (keys included)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if needle in str(k):
                found.append(path + (k, "<key>"))
            found.extend(occurrences(v, needle, path + (k,)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found.extend(occurrences(v, needle, path + (i,)))
    elif isinstance(doc, str) and needle in doc:
        found.append(path)
    return found


def assert_only_in_sensitive_key(doc: dict[str, Any], secret: str, what: str) -> int:
    """Every occurrence of `secret` is an API key resource's `key` attribute, which the same
    document marks sensitive. Returns the number of occurrences."""
    paths = occurrences(doc, secret)
    for p in paths:
        assert p[-1] == "key", f"{what}: the key appears at {p}"
        container = doc
        for step in p[:-2]:
            container = container[step]
        # state values -> sibling sensitive_values; plan before/after -> before/after_sensitive
        parent_name = p[-2]
        marker = {"values": "sensitive_values", "before": "before_sensitive", "after": "after_sensitive",
                  "attributes": "sensitive_attributes"}.get(parent_name)
        assert marker is not None, f"{what}: the key appears at {p}, not in resource values"
        sens = container.get(marker)
        if marker == "sensitive_attributes":  # raw state file: a list of paths
            assert any(json.dumps(s).find('"key"') >= 0 for s in sens), f"{what}: {p} not marked sensitive"
        else:
            assert isinstance(sens, dict) and sens.get("key") is True, f"{what}: {p} not marked sensitive ({sens})"
    return len(paths)


# ---------------------------------------------------------------- configurations


def two_keys(sub: int, *, label: str = "ci", ips: str = '["10.0.0.0/8"]',
             grants: str = '["metrics/view", "transmissions/modify"]', sub_grants: str = '["smtp/inject"]',
             trigger: str | None = None) -> str:
    """A primary-account key and a subaccount's key."""
    rotation = f'  rotation_trigger = "{trigger}"\n  lifecycle {{\n    create_before_destroy = true\n  }}\n' if trigger else ""
    return f"""
resource "sparkpost_api_key" "primary" {{
  label     = "{label}"
  grants    = {grants}
  valid_ips = {ips}
{rotation}}}
resource "sparkpost_api_key" "sub" {{
  label         = "{label} smtp"
  subaccount_id = {sub}
  grants        = {sub_grants}
}}
"""


# ---------------------------------------------------------------- tests


def test_primary_and_subaccount_keys_drift_update_rotation(sp: SparkPostWorld) -> None:
    sub = make_subaccount(sp)
    as_admin(sp)
    sp.write(two_keys(sub))
    sp.tf.init()
    sp.tf.apply()

    p, s = values(sp, ADDR_P), values(sp, ADDR_S)
    keys = emu_keys(sp)
    assert keys[p["id"]]["label"] == "ci" and keys[p["id"]]["subaccount_id"] is None
    assert sorted(keys[p["id"]]["grants"]) == ["metrics/view", "transmissions/modify"]
    assert keys[p["id"]]["valid_ips"] == ["10.0.0.0/8"]
    assert keys[s["id"]]["subaccount_id"] == sub and keys[s["id"]]["grants"] == ["smtp/inject"]
    assert s["subaccount_id"] == str(sub) and p["subaccount_id"] is None  # a string, as sparkpost_subaccount.id
    for v in (p, s):
        assert re.fullmatch(r"[0-9a-f]{40}", v["key"]) and v["short_key"] == v["key"][:4]
    # the key in state is the real one: SparkPost accepts it (403: no grant for the route, not 401)
    assert sp.api("GET", "/sending-domains", key=s["key"]).status_code == 403
    assert sp.api("GET", "/sending-domains", key="0" * 40).status_code == 401

    # a refresh reads each key with exactly one GET, the subaccount's with its header
    sp.emulator.reset_request_log()
    plan_is_empty(sp)
    assert api_key_routes(sp) == {GET_ONE: 2}
    subs = sorted((e["path"].rsplit("/", 1)[-1], e["subaccount"]) for e in sp.emulator.request_log()["log"]
                  if e["route"] == GET_ONE)
    assert subs == sorted([(p["id"], None), (s["id"], sub)])

    # drift: label, grants and valid_ips changed by hand; the subaccount's key revoked
    r = sp.api("PUT", f"/api-keys/{p['id']}",
               json={"label": "renamed", "grants": ["metrics/view"], "valid_ips": ["192.0.2.1"]})
    assert r.status_code == 200, r.text
    assert sp.api("DELETE", f"/api-keys/{s['id']}", subaccount=sub).status_code == 204
    _, plan = sp.tf.plan()
    assert changes(plan) == {ADDR_P: ["update"], ADDR_S: ["create"]}
    before = resource_change(plan, ADDR_P)["change"]["before"]
    assert before["label"] == "renamed" and before["grants"] == ["metrics/view"] and before["valid_ips"] == ["192.0.2.1"]
    sp.tf.apply()
    keys = emu_keys(sp)
    assert keys[p["id"]]["label"] == "ci" and keys[p["id"]]["valid_ips"] == ["10.0.0.0/8"]
    assert sorted(keys[p["id"]]["grants"]) == ["metrics/view", "transmissions/modify"]
    s2 = values(sp, ADDR_S)
    assert s2["id"] != s["id"] and s2["id"] in keys and s["id"] not in keys
    assert values(sp, ADDR_P)["key"] == p["key"]  # unchanged by an update
    plan_is_empty(sp)

    # in place: label and valid_ips (cleared: SparkPost keeps a list that is left out)
    sp.write(two_keys(sub, label="deploy", ips="null"))
    _, plan = sp.tf.plan()
    assert changes(plan) == {ADDR_P: ["update"], ADDR_S: ["update"]}
    sp.emulator.reset_request_log()
    sp.tf.apply()
    assert api_key_routes(sp) == {GET_ONE: 2, PUT_ONE: 2}
    keys = emu_keys(sp)
    assert keys[p["id"]]["label"] == "deploy" and keys[p["id"]]["valid_ips"] == []
    assert keys[s2["id"]]["label"] == "deploy smtp"
    plan_is_empty(sp)

    # grants: in place on a primary key, a replacement on a subaccount's key (SparkPost refuses)
    final = dict(label="deploy", ips="null", grants='["metrics/view"]', sub_grants='["smtp/inject", "message_events/view"]')
    sp.write(two_keys(sub, **final))
    _, plan = sp.tf.plan()
    assert changes(plan) == {ADDR_P: ["update"], ADDR_S: ["delete", "create"]}
    assert resource_change(plan, ADDR_S)["change"]["replace_paths"] == [["grants"]]
    sp.tf.apply()
    keys = emu_keys(sp)
    s3 = values(sp, ADDR_S)
    assert keys[p["id"]]["grants"] == ["metrics/view"]
    assert s3["id"] != s2["id"] and s2["id"] not in keys
    assert sorted(keys[s3["id"]]["grants"]) == ["message_events/view", "smtp/inject"]

    # rotation: a new rotation_trigger value makes a new key before the old one goes
    sp.write(two_keys(sub, **final, trigger="2026-01"))
    sp.tf.apply()  # the first value is recorded (the prior state held none), no rotation
    assert values(sp, ADDR_P)["id"] == p["id"]
    sp.write(two_keys(sub, **final, trigger="2026-02"))
    _, plan = sp.tf.plan()
    assert changes(plan) == {ADDR_P: ["create", "delete"]}
    assert resource_change(plan, ADDR_P)["change"]["replace_paths"] == [["rotation_trigger"]]
    sp.tf.apply()
    p2 = values(sp, ADDR_P)
    keys = emu_keys(sp)
    assert p2["id"] != p["id"] and p["id"] not in keys and p2["id"] in keys
    assert p2["key"] != p["key"] and p2["rotation_trigger"] == "2026-02"
    plan_is_empty(sp)

    sp.tf.destroy()
    assert sorted(k["label"] for k in emu_keys(sp).values()) == ["admin", "operator"]


SM_KEYS = f"""
resource "sparkpost_api_key" "smtp" {{
  label            = "smtp"
  subaccount_id    = SUB
  grants           = ["smtp/inject"]
  rotation_trigger = "r1"
  secret_manager = {{
    secret        = "{SECRET}"
    create_secret = true
  }}
  lifecycle {{
    create_before_destroy = true
  }}
}}
resource "sparkpost_api_key" "moved" {{
  label  = "moved"
  grants = ["metrics/view"]
}}
"""
MOVED_SECRET = "projects/cloud-inst-1/secrets/MOVED_KEY"


def test_secret_manager_key_never_in_state_rotation_and_move_in(sp: SparkPostWorld) -> None:
    sub = make_subaccount(sp)
    as_admin(sp)
    sp.write(SM_KEYS.replace("SUB", str(sub)))
    sp.tf.init()
    trace_log = sp.tf.base / "apply-trace.log"
    traced = sp.tf.run("apply", "-auto-approve", "-input=false", "-no-color",
                       env={"TF_LOG": "trace", "TF_LOG_PATH": str(trace_log)})

    smtp, moved = values(sp, "sparkpost_api_key.smtp"), values(sp, "sparkpost_api_key.moved")
    [v1] = sp.secret_manager.versions(SECRET)
    payload = v1.text
    assert payload and re.fullmatch(r"[0-9a-f]{40}", payload)
    assert smtp["key"] is None and smtp["secret_manager"]["version"] == f"{SECRET}/versions/1"
    assert smtp["short_key"] == payload[:4] and emu_keys(sp)[smtp["id"]]["subaccount_id"] == sub
    assert sp.api("GET", "/sending-domains", key=payload).status_code == 403  # a valid key (401 otherwise)
    in_state = moved["key"]
    assert re.fullmatch(r"[0-9a-f]{40}", in_state)

    # the Secret Manager key appears nowhere; the other key only as sensitive `key` values
    state_text = (sp.tf.workdir / "terraform.tfstate").read_text()
    logs = traced.stdout + traced.stderr + trace_log.read_text()
    assert "SparkPost POST /api-keys -> 200" in logs  # the provider's own debug lines are in it
    for text, what in ((state_text, "state file"), (logs, "TF_LOG=trace output"), (json.dumps(sp.tf.show()), "show -json")):
        assert payload not in text, f"the Secret Manager key is in the {what}"
    assert in_state not in logs, "the key is in the TF_LOG=trace output"
    assert assert_only_in_sensitive_key(json.loads(state_text), in_state, "state file") == 1
    assert assert_only_in_sensitive_key(sp.tf.show(), in_state, "show -json") == 1
    plan_is_empty(sp)

    # rotation: the new key is the secret's next version, the old key is revoked
    sp.write(SM_KEYS.replace("SUB", str(sub)).replace('"r1"', '"r2"'))
    _, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_api_key.smtp": ["create", "delete"]}
    sp.tf.apply()
    smtp2 = values(sp, "sparkpost_api_key.smtp")
    versions = sp.secret_manager.versions(SECRET)
    assert [v.number for v in versions] == [1, 2] and versions[1].text != payload
    assert smtp2["secret_manager"]["version"] == f"{SECRET}/versions/2" and smtp2["key"] is None
    keys = emu_keys(sp)
    assert smtp["id"] not in keys and smtp2["id"] in keys and smtp2["short_key"] == versions[1].text[:4]

    # a key kept in state moves into Secret Manager in place: same key, written, dropped from state
    sp.write(SM_KEYS.replace("SUB", str(sub)).replace('"r1"', '"r2"').replace(
        'grants = ["metrics/view"]\n',
        f'grants = ["metrics/view"]\n  secret_manager = {{\n    secret = "{MOVED_SECRET}"\n    create_secret = true\n  }}\n'))
    _, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_api_key.moved": ["update"]}
    rc = resource_change(plan, "sparkpost_api_key.moved")["change"]
    assert rc["after"]["key"] is None and rc["after_unknown"]["secret_manager"]["version"] is True
    assert assert_only_in_sensitive_key(plan, in_state, "plan JSON") >= 1  # prior state and `before`
    sp.emulator.reset_request_log()
    sp.tf.apply()
    assert api_key_routes(sp) == {GET_ONE: 2}  # SparkPost is not told anything
    moved2 = values(sp, "sparkpost_api_key.moved")
    assert moved2["id"] == moved["id"] and moved2["key"] is None
    assert moved2["secret_manager"]["version"] == f"{MOVED_SECRET}/versions/1"
    assert [v.text for v in sp.secret_manager.versions(MOVED_SECRET)] == [in_state]
    assert in_state not in (sp.tf.workdir / "terraform.tfstate").read_text()
    plan_is_empty(sp)


FAILING = f"""
resource "sparkpost_api_key" "a" {{
  label  = "stored"
  grants = ["smtp/inject"]
  secret_manager = {{
    secret = "{SECRET}"
  }}
}}
"""


def error_text(result: Result) -> str:
    return " ".join((result.stdout + result.stderr).split())


def test_secret_manager_write_failures_revoke_or_keep_the_key(sp: SparkPostWorld) -> None:
    sp.secret_manager.create_secret(SECRET)
    as_admin(sp, "  max_retries = 0")  # a failing DELETE fails at once
    sp.write(FAILING)
    sp.tf.init()

    # 1. the write fails: the new key is revoked again, nothing is created
    sp.secret_manager.fail_next("AddSecretVersion", "PERMISSION_DENIED")
    sp.emulator.reset_request_log()
    result = sp.tf.apply(check=False)
    assert result.returncode == 1
    text = error_text(result)
    assert "Could not write the API key to Secret Manager" in text and "was revoked again" in text
    assert "secretmanager.versions.add" in text
    # created under its marked label, checked for keys of lost requests, relabelled, revoked
    assert api_key_routes(sp) == {POST: 1, "GET /api/v1/api-keys": 1, PUT_ONE: 1, DELETE_ONE: 1}
    assert not [k for k in emu_keys(sp).values() if k["label"] == "stored"]
    assert sp.tf.state_resources() == {}
    assert sp.secret_manager.versions(SECRET) == []

    # 2. the write fails and so does the revoke: the key is kept in state (tainted, as Terraform
    #    does with every half-done create); the next apply replaces it, into Secret Manager
    kept = double_failure(sp, "sparkpost_api_key.a")
    _, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_api_key.a": ["delete", "create"]}
    sp.tf.apply()
    done = values(sp, "sparkpost_api_key.a")
    keys = emu_keys(sp)
    assert done["id"] != kept["id"] and kept["id"] not in keys and done["id"] in keys  # the kept key revoked
    assert done["key"] is None and done["secret_manager"]["version"] == f"{SECRET}/versions/1"
    [v1] = sp.secret_manager.versions(SECRET)
    assert v1.text != kept["key"] and v1.text[:4] == done["short_key"]

    # 3. the same, then `terraform untaint`: the next apply writes the key in state to Secret
    #    Manager and drops it from state, in place
    sp.write(FAILING + FAILING.replace('"a"', '"b"').replace('"stored"', '"stored b"'))
    kept = double_failure(sp, "sparkpost_api_key.b")
    sp.tf.run("untaint", "-no-color", "sparkpost_api_key.b")
    _, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_api_key.b": ["update"]}
    sp.tf.apply()
    done = values(sp, "sparkpost_api_key.b")
    assert done["id"] == kept["id"] and done["key"] is None
    assert done["secret_manager"]["version"] == f"{SECRET}/versions/2"
    assert sp.secret_manager.versions(SECRET)[1].text == kept["key"]
    assert kept["key"] not in (sp.tf.workdir / "terraform.tfstate").read_text()
    plan_is_empty(sp)


def double_failure(sp: SparkPostWorld, addr: str) -> dict[str, Any]:
    """Apply with the Secret Manager write and the revoking DELETE both failing."""
    sp.secret_manager.fail_next("AddSecretVersion", "PERMISSION_DENIED")
    sp.emulator.set_faults(burst_5xx=5, routes=[DELETE_ONE])
    result = sp.tf.apply(check=False)
    sp.emulator.clear_faults()
    assert result.returncode == 1
    text = error_text(result)
    assert "nor revoke it" in text and "terraform untaint" in text
    res = sp.tf.state_resources()[addr]
    kept = res["values"]
    assert re.fullmatch(r"[0-9a-f]{40}", kept["key"]) and kept["secret_manager"]["version"] is None
    assert res["sensitive_values"]["key"] is True and kept["key"] not in text
    assert kept["id"] in emu_keys(sp)
    return kept


IMPORTED = """
resource "sparkpost_api_key" "primary" {
  label     = "old script"
  grants    = ["metrics/view", "sending_domains/manage"]
  valid_ips = ["10.1.0.0/16"]
}
resource "sparkpost_api_key" "sub" {
  label         = "old smtp"
  subaccount_id = SUB
  grants        = ["smtp/inject"]
}
import {
  to = sparkpost_api_key.sub
  id = "SUB/SID"
}
"""


def test_import_both_forms_without_replacement(sp: SparkPostWorld) -> None:
    sub = make_subaccount(sp)
    r = sp.api("POST", "/api-keys", json={"label": "old script", "grants": ["metrics/view", "sending_domains/manage"],
                                          "valid_ips": ["10.1.0.0/16"]})
    pid = r.json()["results"]["link"]["href"].rsplit("/", 1)[-1]
    r = sp.api("POST", "/api-keys", json={"label": "old smtp", "grants": ["smtp/inject"]}, subaccount=sub)
    sid = r.json()["results"]["link"]["href"].rsplit("/", 1)[-1]
    as_admin(sp)
    config = IMPORTED.replace("SUB/SID", f"{sub}/{sid}").replace("SUB", str(sub))
    sp.write(config)
    sp.tf.init()

    bad = sp.tf.run("import", "-no-color", ADDR_P, f"{sub}/x/{pid}", check=False)
    assert bad.returncode == 1
    assert "Invalid import ID for sparkpost_api_key" in error_text(bad) and "SUBACCOUNT_ID/KEY_ID" in error_text(bad)

    sp.tf.run("import", "-no-color", ADDR_P, pid)  # KEY_ID
    _, plan = sp.tf.plan()  # SUBACCOUNT_ID/KEY_ID, by the import block
    assert changes(plan) == {}
    assert resource_change(plan, ADDR_S)["change"]["importing"]["id"] == f"{sub}/{sid}"
    sp.tf.apply()
    p, s = values(sp, ADDR_P), values(sp, ADDR_S)
    assert p["id"] == pid and p["key"] is None and p["subaccount_id"] is None and p["valid_ips"] == ["10.1.0.0/16"]
    assert s["id"] == sid and s["key"] is None and s["subaccount_id"] == str(sub) and s["short_key"]
    plan_is_empty(sp)

    # values only the configuration knows are recorded in place: no replacement, no API call
    sp.write(config.replace('"old script"\n', f'"old script"\n  rotation_trigger = "2026"\n'
                            f'  secret_manager = {{\n    secret = "{SECRET}"\n    create_secret = true\n  }}\n')
             .replace('"old smtp"\n', '"old smtp"\n  rotation_trigger = "2026"\n'))
    _, plan = sp.tf.plan()
    assert changes(plan) == {ADDR_P: ["update"], ADDR_S: ["update"]}
    sp.emulator.reset_request_log()
    sp.tf.apply()
    assert api_key_routes(sp) == {GET_ONE: 2}
    assert sp.secret_manager.secrets() == []  # an imported key's secret is unknown: nothing to write
    p2 = values(sp, ADDR_P)
    assert p2["id"] == pid and p2["rotation_trigger"] == "2026" and p2["secret_manager"]["version"] is None
    plan_is_empty(sp)


BAD_INPUT = """
resource "sparkpost_api_key" "ipv6" {
  label     = "a"
  grants    = ["metrics/view"]
  valid_ips = ["10.0.0.1", "2001:db8::/32"]
}
resource "sparkpost_api_key" "primary_only" {
  label         = "b"
  subaccount_id = 7
  grants        = ["smtp/inject", "metrics/view"]
}
resource "sparkpost_api_key" "bad_secret" {
  label  = "c"
  grants = ["smtp/inject"]
  secret_manager = {
    secret = "projects/cloud-inst-1/SPARKPOST_SMTP_KEY"
  }
}
resource "sparkpost_api_key" "blank" {
  label  = "   "
  grants = ["smtp/inject"]
}
"""
NEW_GRANT = """
resource "sparkpost_api_key" "new_grant" {
  label  = "d"
  grants = ["metrics/view", "inbox-tracker/manage"]
}
"""


def line_of(config: str, name: str, attr: str) -> int:
    lines = config.splitlines()
    start = next(i for i, line in enumerate(lines) if f'"sparkpost_api_key" "{name}"' in line)
    return next(i for i in range(start, len(lines)) if lines[i].strip().startswith(attr)) + 1


def test_bad_input_at_plan_and_the_operator_key_403(sp: SparkPostWorld) -> None:
    sp.write(BAD_INPUT)
    sp.tf.init()
    sp.emulator.reset_request_log()
    result = sp.tf.plan_json()
    assert result.returncode == 1
    found = {(e["address"], e["summary"], e["range"]["start"]["line"]) for e in result.errors()}
    assert found == {
        ("sparkpost_api_key.ipv6", "Invalid value for valid_ips", line_of(BAD_INPUT, "ipv6", "valid_ips")),
        ("sparkpost_api_key.primary_only", "Grant not allowed on a subaccount's key",
         line_of(BAD_INPUT, "primary_only", "grants")),
        # Terraform underlines nested attributes at the outermost one; the summary names the path
        ("sparkpost_api_key.bad_secret", "Invalid value for secret_manager.secret",
         line_of(BAD_INPUT, "bad_secret", "secret_manager")),
        ("sparkpost_api_key.blank", "Invalid value for label", line_of(BAD_INPUT, "blank", "label")),
    }
    details = {e["address"]: e["detail"] for e in result.errors()}
    assert "'2001:db8::/32' is IPv6; SparkPost accepts only IPv4" in details["sparkpost_api_key.ipv6"]
    assert '"metrics/view" is a grant for primary-account keys only' in details["sparkpost_api_key.primary_only"]
    assert "projects/PROJECT/secrets/SECRET" in details["sparkpost_api_key.bad_secret"]
    assert api_key_routes(sp) == {}  # stopped before any API call

    # an owner known only at apply is checked then, still before any key is created (plan only
    # asks whether the API-keys API answers: GET_ONE with an id that does not exist)
    as_admin(sp)
    sub = make_subaccount(sp)
    sp.write(f'''
resource "terraform_data" "sub" {{
  input = {sub}
}}
resource "sparkpost_api_key" "later" {{
  label         = "e"
  subaccount_id = terraform_data.sub.output
  grants        = ["smtp/inject", "metrics/view"]
}}
''')
    result = sp.tf.apply(check=False)
    assert result.returncode == 1 and "Grant not allowed on a subaccount's key" in error_text(result)
    assert api_key_routes(sp) == {} and set(probe_statuses(sp)) == {404}  # only the plan's probe

    # a grant the provider does not know: a warning naming it (SparkPost adds grants), once
    sp.emulator.reset_request_log()
    sp.write(NEW_GRANT)
    result = sp.tf.plan_json()
    assert result.returncode == 2
    [warning] = [d for d in result.diagnostics() if d["severity"] == "warning"]
    assert warning["address"] == "sparkpost_api_key.new_grant" and '"inbox-tracker/manage"' in warning["detail"]
    assert warning["range"]["start"]["line"] == line_of(NEW_GRANT, "new_grant", "grants")
    assert api_key_routes(sp) == {} and probe_statuses(sp) == [404]

    # our users' operator key has no api_keys/manage: plan says so, and what to use instead,
    # before anything is created
    sp.tf.env_extra["SPARKPOST_API_KEY"] = sp.operator_key
    sp.emulator.reset_request_log()
    result = sp.tf.apply(check=False)
    assert result.returncode == 1
    text = error_text(result)
    assert "SparkPost does not let this provider manage API keys" in text
    assert "api_keys/manage" in text and "initial_api_key" in text and "sparkpost_subaccount" in text
    assert api_key_routes(sp) == {} and probe_statuses(sp) == [403]
    assert not [a for a in sp.tf.state_resources() if a.startswith("sparkpost_api_key.")]


def test_subaccount_terminated_by_hand_its_key_is_left_and_one_apply_converges(sp: SparkPostWorld) -> None:
    """SparkPost makes a terminated subaccount read-only: its keys cannot be revoked (403). The
    plan re-creates the subaccount and replaces its key; the apply leaves the old key with a
    warning instead of failing on every apply, and the next plan is empty."""
    as_admin(sp)
    sp.write("""
resource "sparkpost_subaccount" "t" {
  name = "tenant-t"
}
resource "sparkpost_api_key" "send" {
  label         = "smtp"
  subaccount_id = sparkpost_subaccount.t.id
  grants        = ["smtp/inject"]
}
""")
    sp.tf.init()
    sp.tf.apply()
    old_sub = values(sp, "sparkpost_subaccount.t")["id"]
    old_key = values(sp, "sparkpost_api_key.send")["id"]
    assert sp.api("PUT", f"/subaccounts/{old_sub}", json={"status": "terminated"}).status_code == 200
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {"sparkpost_subaccount.t": ["create"], "sparkpost_api_key.send": ["delete", "create"]}
    result = sp.tf.apply()
    text = " ".join(result.stdout.split())
    assert f"Warning: API key {old_key} left in terminated subaccount {old_sub}" in text, text[-3000:]
    new_sub = values(sp, "sparkpost_subaccount.t")["id"]
    new_key = values(sp, "sparkpost_api_key.send")
    assert new_sub != old_sub and new_key["subaccount_id"] == new_sub
    keys = emu_keys(sp)
    assert keys[old_key]["subaccount_id"] == int(old_sub)  # left where SparkPost keeps it
    assert keys[new_key["id"]]["subaccount_id"] == int(new_sub)
    plan_is_empty(sp)


LOST_SECRET = "projects/cloud-inst-9/secrets/SEND_KEY"


def lost_secret_config(check: str = "") -> str:
    return f"""
resource "sparkpost_api_key" "send" {{
  label  = "send"
  grants = ["smtp/inject"]
  secret_manager = {{
    secret        = "{LOST_SECRET}"
    create_secret = true
  }}
  {check}
}}
"""


def delete_secret_by_hand(sp: SparkPostWorld, name: str) -> None:
    """`gcloud secrets delete`: through the fake's gRPC API, as a person's client would."""
    import grpc
    from google.cloud import secretmanager_v1
    from google.cloud.secretmanager_v1.services.secret_manager_service.transports import (
        SecretManagerServiceGrpcTransport,
    )

    with grpc.insecure_channel(sp.secret_manager.address) as channel:
        client = secretmanager_v1.SecretManagerServiceClient(
            transport=SecretManagerServiceGrpcTransport(channel=channel))
        client.delete_secret(name=name)


def assert_lost_key_replaced(sp: SparkPostWorld, old: dict[str, Any], version: int) -> dict[str, Any]:
    """The plan replaces the key for its lost version, and apply writes a new one there."""
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan) == {"sparkpost_api_key.send": ["delete", "create"]}
    rc = resource_change(plan, "sparkpost_api_key.send")
    assert ["secret_status"] in rc["change"]["replace_paths"] and rc["change"]["before"]["secret_status"] == "missing"
    text = " ".join(result.stdout.split())
    assert "API key lost from Secret Manager" in text and old["secret_manager"]["version"] in text
    sp.tf.apply()
    new = values(sp, "sparkpost_api_key.send")
    assert new["secret_manager"]["version"] == f"{LOST_SECRET}/versions/{version}"
    assert new["secret_status"] == "present" and new["id"] != old["id"]
    keys = emu_keys(sp)
    assert old["id"] not in keys and new["id"] in keys  # the old key, unusable by anyone, is revoked
    [latest] = [v for v in sp.secret_manager.versions(LOST_SECRET) if v.number == version]
    assert sp.api("GET", "/sending-domains", key=latest.text).status_code == 403  # a live key (401 otherwise)
    plan_is_empty(sp)
    return new


def test_secret_manager_version_lost_by_hand_replaces_the_key(sp: SparkPostWorld) -> None:
    as_admin(sp)
    sp.write(lost_secret_config())
    sp.tf.init()
    sp.tf.apply()
    first = values(sp, "sparkpost_api_key.send")
    assert first["secret_status"] == "present" and first["check_secret"] is None
    plan_is_empty(sp)

    # Disabled by hand: the plan replaces the key; enabled again, the key is kept.
    sp.secret_manager.set_state(first["secret_manager"]["version"], "DISABLED")
    result, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_api_key.send": ["delete", "create"]}
    sp.secret_manager.set_state(first["secret_manager"]["version"], "ENABLED")
    plan_is_empty(sp)

    # Destroyed by hand: one apply makes a new key, written as the next version.
    sp.secret_manager.set_state(first["secret_manager"]["version"], "DESTROYED")
    second = assert_lost_key_replaced(sp, first, 2)

    # The whole secret deleted by hand: made again (create_secret), the new key its version 1.
    delete_secret_by_hand(sp, LOST_SECRET)
    third = assert_lost_key_replaced(sp, second, 1)

    # check_secret = false: no read, and a lost version goes unseen, as documented.
    sp.write(lost_secret_config("check_secret = false"))
    sp.tf.apply()
    assert values(sp, "sparkpost_api_key.send")["secret_status"] is None
    sp.secret_manager.set_state(third["secret_manager"]["version"], "DESTROYED")
    calls = len(sp.secret_manager.calls())
    plan_is_empty(sp)
    assert [c for c in sp.secret_manager.calls()[calls:] if c[0] == "AccessSecretVersion"] == []
