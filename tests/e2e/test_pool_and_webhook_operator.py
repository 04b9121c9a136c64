"""The operator's questions for sparkpost_ip_pool and sparkpost_webhook, with the real terraform
against the emulator and a local receiver:

- a change made by hand in SparkPost shows in the next plan (exit 2, the attribute named), and
  one apply puts it back; the plan after it is empty;
- values unknown at plan (from resources made in the same apply) plan and apply; null and empty
  values either mean what the docs say or stop at plan, pointing at the attribute, before any
  request;
- an object deleted by hand is planned for creation, with no error, and one apply makes it again.

What cannot be seen is said in the docs and shown here too: a write-only webhook secret changed
by hand (the provider never knows it after its apply).
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Iterator

import pytest

from tests.webhook_receiver import Receiver

from .harness import changes
from .sparkpost_world import SparkPostWorld

GRANTS = ["webhooks/view", "webhooks/modify", "subaccount/manage", "ip_pools/manage"]
PW_VERSION = "projects/alerts-prod/secrets/RECEIVER_PW/versions/1"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def _key(sp: SparkPostWorld) -> str:
    key = secrets.token_hex(20)
    sp.emulator.add_key(key=key, grants=GRANTS, label="pools and webhooks")
    sp.extra_secrets.append(key)
    sp.tf.env_extra["SPARKPOST_API_KEY"] = key
    return key


def _call(sp: SparkPostWorld, key: str, method: str, path: str, body: Any = None, sub: int | None = None) -> Any:
    r = sp.api(method, path, json=body, key=key, subaccount=sub)
    assert r.status_code in (200, 204), r.text
    return r.json()["results"] if r.status_code == 200 else None


def _heals(sp: SparkPostWorld, expected: dict[str, list[str]], *, says: str = "") -> str:
    """The plan shows exactly `expected` (exit 2), one apply converges, the next plan is empty.
    Returns the plan's text (warnings included)."""
    result, plan = sp.tf.plan()
    text = " ".join(result.stdout.split())
    assert result.returncode == 2 and changes(plan) == expected, (changes(plan), text[-3000:])
    assert says in text, text[-3000:]
    sp.tf.apply()
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
    return text


def _updated_attrs(sp: SparkPostWorld, address: str) -> set[str]:
    """The attributes a fresh plan changes on `address`."""
    _, plan = sp.tf.plan()
    assert plan is not None
    [rc] = [rc for rc in plan["resource_changes"] if rc["address"] == address]
    before, after = rc["change"]["before"] or {}, rc["change"]["after"] or {}
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k) and k in after}


# ---------------------------------------------------------------- IP pools

POOLS = '''
resource "sparkpost_ip_pool" "overflow" {
  name = "Overflow"
}
resource "sparkpost_ip_pool" "dedicated" {
  name                      = "Acme Dedicated"
  signing_domain            = "sign.acme.example"
  auto_warmup_overflow_pool = sparkpost_ip_pool.overflow.id
}
resource "sparkpost_subaccount" "acme" {
  name    = "cloud-acme"
  ip_pool = sparkpost_ip_pool.dedicated.id
}
'''


def test_ip_pool_changed_or_deleted_by_hand(sp: SparkPostWorld) -> None:
    key = _key(sp)
    sp.write(POOLS)
    sp.tf.init()
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0
    pool = "/ip-pools/acme_dedicated"

    # Each setting changed by hand: an in-place update of that attribute, and one apply heals it.
    for body, attr in (({"name": "Renamed"}, "name"),
                       ({"name": "Acme Dedicated", "signing_domain": ""}, "signing_domain"),
                       ({"name": "Acme Dedicated", "fbl_signing_domain": "fbl.acme.example"}, "fbl_signing_domain"),
                       ({"name": "Acme Dedicated", "auto_warmup_overflow_pool": ""}, "auto_warmup_overflow_pool")):
        _call(sp, key, "PUT", pool, body)
        assert _updated_attrs(sp, "sparkpost_ip_pool.dedicated") == {attr}, body
        _heals(sp, {"sparkpost_ip_pool.dedicated": ["update"]})
    got = _call(sp, key, "GET", pool)
    assert (got["name"], got.get("signing_domain"), got.get("fbl_signing_domain"), got.get("auto_warmup_overflow_pool")) \
        == ("Acme Dedicated", "sign.acme.example", None, "overflow")

    # Deleted by hand while a subaccount uses it: made again, and the subaccount gets it back.
    sub = sp.tf.state_resources()["sparkpost_subaccount.acme"]["values"]["id"]
    _call(sp, key, "DELETE", pool)
    assert _call(sp, key, "GET", f"/subaccounts/{sub}").get("ip_pool") in (None, "", "default")
    _heals(sp, {"sparkpost_ip_pool.dedicated": ["create"], "sparkpost_subaccount.acme": ["update"]})
    assert _call(sp, key, "GET", f"/subaccounts/{sub}")["ip_pool"] == "acme_dedicated"

    # The overflow pool deleted by hand: made again, and the pool that overflows to it points at it again.
    _call(sp, key, "DELETE", "/ip-pools/overflow")
    _heals(sp, {"sparkpost_ip_pool.overflow": ["create"], "sparkpost_ip_pool.dedicated": ["update"]})
    assert _call(sp, key, "GET", pool)["auto_warmup_overflow_pool"] == "overflow"


def test_ip_pool_unknown_and_null_values(sp: SparkPostWorld) -> None:
    _key(sp)
    sp.write('''
resource "terraform_data" "later" {
  input = "acme"
}
resource "sparkpost_ip_pool" "p" {
  name               = "Pool ${terraform_data.later.output}"
  signing_domain     = "${terraform_data.later.output}.example.com"
  fbl_signing_domain = null
}
''')
    sp.tf.init()
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and changes(plan)["sparkpost_ip_pool.p"] == ["create"]
    sp.tf.apply()
    values = sp.tf.state_resources()["sparkpost_ip_pool.p"]["values"]
    assert (values["id"], values["signing_domain"], values["fbl_signing_domain"]) == ("pool_acme", "acme.example.com", None)
    assert sp.tf.plan()[0].returncode == 0

    # A name SparkPost can derive no id from, and null where a value is required: stopped at plan.
    for body, summary in (('name = "!!!"', "IP pool name without a letter or digit"),
                          ("name = null", "Missing value for name")):
        sp.write(f'resource "sparkpost_ip_pool" "q" {{\n  {body}\n}}\n')
        before = sp.api_calls()
        stopped = sp.tf.plan_json()
        assert stopped.returncode == 1, body
        [error] = stopped.errors()
        assert error["summary"] == summary and error["address"] == "sparkpost_ip_pool.q", error
        assert sp.api_calls() == before  # nothing was asked of SparkPost


# ---------------------------------------------------------------- webhooks


def _hook_config(url: str, *, sm: bool = False) -> str:
    secret = (f'auth_secret_secret_manager = "{PW_VERSION}"' if sm
              else 'auth_secret_wo             = var.pw\n  auth_secret_version        = "1"')
    return f'''
variable "pw" {{
  type      = string
  sensitive = true
  ephemeral = true
  default   = null
}}
resource "sparkpost_subaccount" "acme" {{
  name = "cloud-acme"
}}
resource "sparkpost_webhook" "acme" {{
  name                       = "acme alerts"
  target                     = "{url}/acme"
  subaccount_id              = sparkpost_subaccount.acme.id
  events                     = ["bounce", "spam_complaint"]
  custom_headers             = {{ "x-team" = "cloud" }}
  auth_type                  = "basic"
  auth_username              = "sparkpost"
  {secret}
}}
resource "sparkpost_webhook" "all" {{
  name                  = "every account"
  target                = "{url}/all"
  events                = ["bounce"]
  exception_subaccounts = [sparkpost_subaccount.acme.id]
}}
'''


def test_webhook_changed_by_hand(sp: SparkPostWorld, receiver: Receiver) -> None:
    key = _key(sp)
    password = "pw-" + secrets.token_hex(8)
    sp.extra_secrets.extend([password, "changed-by-hand"])
    sp.secret_manager.create_secret(PW_VERSION.rsplit("/versions/", 1)[0])
    sp.secret_manager.add_version(PW_VERSION.rsplit("/versions/", 1)[0], password)
    sp.write(_hook_config(receiver.url, sm=True))
    sp.tf.init()
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0
    res = sp.tf.state_resources()
    sub = int(res["sparkpost_subaccount.acme"]["values"]["id"])
    hook, every = res["sparkpost_webhook.acme"]["values"]["id"], res["sparkpost_webhook.all"]["values"]["id"]
    path = f"/webhooks/{hook}"

    # Every setting SparkPost returns, changed by hand: an in-place update naming it, healed by one apply.
    for body, attrs in (
        ({"name": "renamed", "active": False}, {"name", "active"}),
        ({"events": ["delivery"]}, {"events"}),
        ({"target": f"{receiver.url}/elsewhere"}, {"target"}),
        ({"custom_headers": {"x-team": "someone-else"}}, {"custom_headers"}),
        ({"auth_type": "none"}, {"auth_type", "auth_username"}),
        ({"auth_type": "basic", "auth_credentials": {"username": "intruder", "password": password}}, {"auth_username"}),
    ):
        _call(sp, key, "PUT", path, body, sub)
        assert _updated_attrs(sp, "sparkpost_webhook.acme") == attrs, body
        _heals(sp, {"sparkpost_webhook.acme": ["update"]})
    got = _call(sp, key, "GET", path, sub=sub)
    assert (got["name"], got["active"], got["events"], got["target"], got["custom_headers"], got["auth_credentials"]) == (
        "acme alerts", True, ["bounce", "spam_complaint"], f"{receiver.url}/acme", {"x-team": "cloud"},
        {"username": "sparkpost", "password": password})

    # The password changed by hand: seen by comparing with the Secret Manager version (one read per
    # refresh); the plan sends it again.
    _call(sp, key, "PUT", path, {"auth_type": "basic", "auth_credentials": {"username": "sparkpost", "password": "changed-by-hand"}}, sub)
    text = _heals(sp, {"sparkpost_webhook.acme": ["update"]}, says="The webhook's password was changed outside Terraform")
    assert "changed-by-hand" not in text and password not in text
    assert _call(sp, key, "GET", path, sub=sub)["auth_credentials"]["password"] == password

    # exception_subaccounts of the account-wide webhook cleared by hand.
    _call(sp, key, "PUT", f"/webhooks/{every}", {"exception_subaccounts": []})
    _heals(sp, {"sparkpost_webhook.all": ["update"]})
    assert _call(sp, key, "GET", f"/webhooks/{every}")["exception_subaccounts"] == [str(sub)]

    # Moved to another scope by hand (to the primary account only): a replacement, not a second
    # webhook beside the moved one.
    _call(sp, key, "PUT", path, {"subaccount_id": 0}, sub)
    _heals(sp, {"sparkpost_webhook.acme": ["delete", "create"]}, says="Webhook moved outside Terraform")
    assert _call(sp, key, "GET", "/webhooks", sub=0) == []
    [moved_back] = _call(sp, key, "GET", "/webhooks", sub=sub)
    assert moved_back["id"] == sp.tf.state_resources()["sparkpost_webhook.acme"]["values"]["id"] != hook
    assert len(_call(sp, key, "GET", "/webhooks")) == 2  # this one and the account-wide one

    # Deleted by hand: planned for creation, no error; one apply makes it again.
    hook = moved_back["id"]
    _call(sp, key, "DELETE", f"/webhooks/{hook}", sub=sub)
    _heals(sp, {"sparkpost_webhook.acme": ["create"]})
    [again] = _call(sp, key, "GET", "/webhooks", sub=sub)
    assert again["auth_credentials"] == {"username": "sparkpost", "password": password}


def test_webhook_write_only_secret_changed_by_hand_is_not_seen(sp: SparkPostWorld, receiver: Receiver) -> None:
    """As the docs say: a write-only secret is not known after its apply, so a change of it in
    SparkPost shows no drift; changing auth_secret_version sends it again."""
    key = _key(sp)
    password = "pw-" + secrets.token_hex(8)
    sp.extra_secrets.extend([password, "changed-by-hand"])
    sp.tf.env_extra["TF_VAR_pw"] = password
    sp.write(_hook_config(receiver.url))
    sp.tf.init()
    sp.tf.apply()
    res = sp.tf.state_resources()
    sub = int(res["sparkpost_subaccount.acme"]["values"]["id"])
    path = f"/webhooks/{res['sparkpost_webhook.acme']['values']['id']}"
    _call(sp, key, "PUT", path, {"auth_type": "basic", "auth_credentials": {"username": "sparkpost", "password": "changed-by-hand"}}, sub)
    assert sp.tf.plan()[0].returncode == 0
    sp.write(_hook_config(receiver.url).replace('auth_secret_version        = "1"', 'auth_secret_version        = "2"'))
    _heals(sp, {"sparkpost_webhook.acme": ["update"]})
    assert _call(sp, key, "GET", path, sub=sub)["auth_credentials"]["password"] == password


def test_webhook_unknown_and_null_values(sp: SparkPostWorld, receiver: Receiver) -> None:
    _key(sp)
    # Every value known only at apply (the subaccount is made in the same apply).
    sp.write(f'''
resource "terraform_data" "later" {{
  input = "x"
}}
resource "sparkpost_subaccount" "acme" {{
  name = "cloud-acme"
}}
resource "sparkpost_webhook" "h" {{
  name           = "h ${{terraform_data.later.output}}"
  target         = "{receiver.url}/${{terraform_data.later.output}}"
  subaccount_id  = sparkpost_subaccount.acme.id
  events         = terraform_data.later.output == "x" ? ["bounce"] : ["delivery"]
  active         = terraform_data.later.output == "x"
  auth_type      = terraform_data.later.output == "x" ? "basic" : "none"
  auth_username  = "u${{terraform_data.later.output}}"
  auth_secret_wo = "pw-${{terraform_data.later.output}}"
  auth_secret_version = terraform_data.later.output
  custom_headers = {{ "x-a" = terraform_data.later.output }}
}}
resource "sparkpost_webhook" "nulls" {{
  name                  = "nulls"
  target                = "{receiver.url}/nulls"
  events                = ["bounce"]
  active                = null
  auth_type             = null
  exception_subaccounts = []
  custom_headers        = {{}}
}}
''')
    sp.tf.init()
    result, plan = sp.tf.plan()
    assert result.returncode == 2 and set(changes(plan)) >= {"sparkpost_webhook.h", "sparkpost_webhook.nulls"}
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0
    values = sp.tf.state_resources()
    h, nulls = values["sparkpost_webhook.h"]["values"], values["sparkpost_webhook.nulls"]["values"]
    assert (h["name"], h["active"], h["auth_type"], h["subaccount_id"]) == (
        "h x", True, "basic", values["sparkpost_subaccount.acme"]["values"]["id"])
    assert (nulls["active"], nulls["auth_type"], nulls["exception_subaccounts"], nulls["custom_headers"]) == (
        True, "none", [], {})
    posted = {p["path"]: p for p in receiver.posts}
    assert posted["/x"]["headers"]["x-a"] == "x"

    # No event at all, and null where a value is required: stopped at plan, before any request.
    for body, summary, attr in (('events = []', "Invalid value for events", "events"),
                                ('events = ["bounce"]\n  name = null', "Missing value for name", "name")):
        sp.write(f'resource "sparkpost_webhook" "bad" {{\n  name = "b"\n  target = "{receiver.url}/b"\n  {body}\n}}\n'
                 .replace('name = "b"\n', "" if "name = null" in body else 'name = "b"\n'))
        before = sp.api_calls()
        stopped = sp.tf.plan_json()
        assert stopped.returncode == 1, body
        [error] = stopped.errors()
        assert error["address"] == "sparkpost_webhook.bad", error
        assert summary in error["summary"] and attr in json.dumps(error), error
        assert sp.api_calls() == before


def test_webhook_of_a_subaccount_terminated_by_hand_is_left_and_one_apply_converges(
        sp: SparkPostWorld, receiver: Receiver) -> None:
    """A terminated subaccount is read-only in SparkPost (its webhooks cannot be deleted, 403).
    The plan re-creates the subaccount and replaces its webhook; the apply leaves the old webhook
    with a warning instead of failing on every apply, and the next plan is empty."""
    key = _key(sp)
    sp.write(f'''
resource "sparkpost_subaccount" "acme" {{
  name = "cloud-acme"
}}
resource "sparkpost_webhook" "acme" {{
  name          = "acme bounces"
  target        = "{receiver.url}"
  events        = ["bounce"]
  subaccount_id = sparkpost_subaccount.acme.id
}}
''')
    sp.tf.init()
    sp.tf.apply()
    res = sp.tf.state_resources()
    old_sub, old_hook = res["sparkpost_subaccount.acme"]["values"]["id"], res["sparkpost_webhook.acme"]["values"]["id"]
    _call(sp, key, "PUT", f"/subaccounts/{old_sub}", {"status": "terminated"})
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {"sparkpost_subaccount.acme": ["create"], "sparkpost_webhook.acme": ["delete", "create"]}
    text = " ".join(sp.tf.apply().stdout.split())
    assert f"Warning: Webhook {old_hook} left in terminated subaccount {old_sub}" in text, text[-3000:]
    res = sp.tf.state_resources()
    new_sub = res["sparkpost_subaccount.acme"]["values"]["id"]
    assert new_sub != old_sub and res["sparkpost_webhook.acme"]["values"]["subaccount_id"] == new_sub
    assert _call(sp, key, "GET", f"/webhooks/{old_hook}", sub=int(old_sub))["name"] == "acme bounces"  # left as it was
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
