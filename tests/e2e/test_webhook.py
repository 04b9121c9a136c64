"""sparkpost_webhook with the real terraform against the emulator and a local receiver: the test
batch, credentials that never reach state (write-only and Secret Manager), scope, import, drift,
a target that does not answer 200, bad input, and the operator key's missing grant."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Iterator

import pytest

from tests.webhook_receiver import Receiver

from .harness import changes
from .sparkpost_world import SparkPostWorld

HOOK_GRANTS = ["webhooks/view", "webhooks/modify", "subaccount/manage"]
PASSWORD = "receiver-pw-" + secrets.token_hex(8)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def _hooks_key(sp: SparkPostWorld) -> None:
    key = secrets.token_hex(20)
    sp.emulator.add_key(key=key, grants=HOOK_GRANTS, label="webhooks")
    sp.extra_secrets.extend([key, PASSWORD])
    sp.tf.env_extra["SPARKPOST_API_KEY"] = key


def _config(url: str, extra: str = "") -> str:
    return f'''
variable "pw" {{
  type      = string
  sensitive = true
  ephemeral = true
}}
resource "sparkpost_subaccount" "acme" {{
  name = "cloud-acme"
}}
resource "sparkpost_webhook" "alerts" {{
  name                = "acme alerts"
  target              = "{url}/acme"
  subaccount_id       = sparkpost_subaccount.acme.id
  events              = ["spam_complaint", "bounce"]
  auth_type           = "basic"
  auth_username       = "sparkpost"
  auth_secret_wo      = var.pw
  auth_secret_version = "1"
  custom_headers      = {{ "x-team" = "cloud" }}
{extra}}}
'''


def test_create_import_drift_and_no_credentials_in_state(sp: SparkPostWorld, receiver: Receiver) -> None:
    _hooks_key(sp)
    sp.tf.env_extra["TF_VAR_pw"] = PASSWORD
    sp.write(_config(receiver.url))
    sp.tf.init()
    sp.tf.apply()
    [batch] = receiver.batches()
    assert json.loads(batch["body"]) == [{"msys": {}}]
    assert batch["headers"]["authorization"] == "Basic " + base64.b64encode(f"sparkpost:{PASSWORD}".encode()).decode()
    assert batch["headers"]["x-team"] == "cloud"
    res = sp.tf.state_resources()
    hook = res["sparkpost_webhook.alerts"]["values"]
    sid = res["sparkpost_subaccount.acme"]["values"]["id"]
    assert hook["auth_secret_wo"] is None and hook["events"] == ["bounce", "spam_complaint"]
    assert PASSWORD not in (sp.tf.workdir / "terraform.tfstate").read_text()
    # scoped to the subaccount: SparkPost lists it only under that subaccount's header
    assert [h["id"] for h in sp.api("GET", "/webhooks", subaccount=int(sid), key=sp.tf.env_extra["SPARKPOST_API_KEY"]).json()["results"]] == [hook["id"]]
    assert sp.tf.plan()[0].returncode == 0

    # Drift: paused and renamed outside Terraform -> one in-place update, which does not re-test the target.
    key = sp.tf.env_extra["SPARKPOST_API_KEY"]
    r = sp.api("PUT", f"/webhooks/{hook['id']}", json={"active": False, "name": "x"}, subaccount=int(sid), key=key)
    assert r.status_code == 200
    _, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_webhook.alerts": ["update"]}
    sp.tf.apply()
    got = sp.api("GET", f"/webhooks/{hook['id']}", subaccount=int(sid), key=key).json()["results"]
    assert (got["active"], got["name"]) == (True, "acme alerts") and len(receiver.batches()) == 1

    # Deleted outside: planned for creation.
    sp.tf.run("state", "rm", "sparkpost_webhook.alerts")
    sp.tf.run("import", "-no-color", "sparkpost_webhook.alerts", f"{sid}:{hook['id']}")
    result, plan = sp.tf.plan()
    # After import the credentials are unknown to state: the next apply sends them once.
    assert changes(plan) == {"sparkpost_webhook.alerts": ["update"]}
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0
    assert sp.api("DELETE", f"/webhooks/{hook['id']}", subaccount=int(sid), key=key).status_code == 204
    _, plan = sp.tf.plan()
    assert changes(plan) == {"sparkpost_webhook.alerts": ["create"]}


def test_target_that_does_not_answer_200_is_refused(sp: SparkPostWorld, receiver: Receiver) -> None:
    _hooks_key(sp)
    sp.tf.env_extra["TF_VAR_pw"] = PASSWORD
    receiver.status = 503
    sp.write(_config(receiver.url))
    sp.tf.init()
    result = sp.tf.apply(check=False)
    text = " ".join(result.stderr.split())
    assert result.returncode == 1
    assert "the target did not answer 200" in text and "answered HTTP 503 instead of HTTP 200" in text
    assert sp.api("GET", "/webhooks", key=sp.tf.env_extra["SPARKPOST_API_KEY"]).json()["results"] == []
    receiver.status = 200
    sp.tf.apply()  # the same configuration goes through once the receiver answers 200
    # A new target that is down: the update is refused and the old target stays.
    dead = Receiver()
    dead_url = dead.url
    dead.close()
    sp.write(_config(dead_url))
    result = sp.tf.apply(check=False)
    assert result.returncode == 1 and "did not answer at all" in " ".join(result.stderr.split())
    [hook] = sp.api("GET", "/webhooks", key=sp.tf.env_extra["SPARKPOST_API_KEY"]).json()["results"]
    assert hook["target"] == receiver.url + "/acme"


def test_secret_from_secret_manager(sp: SparkPostWorld, receiver: Receiver) -> None:
    _hooks_key(sp)
    import os

    from provider.secrets import SecretStore

    os.environ["SECRETMANAGER_EMULATOR_HOST"] = sp.secret_manager.address
    store = SecretStore()
    try:
        version = store.write("projects/alerts-prod/secrets/RECEIVER_PW", PASSWORD, create=True)
    finally:
        store.close()
        del os.environ["SECRETMANAGER_EMULATOR_HOST"]
    sp.write(f'''
resource "sparkpost_webhook" "all" {{
  name                       = "everything"
  target                     = "{receiver.url}/all"
  events                     = ["spam_complaint"]
  auth_type                  = "basic"
  auth_username              = "sparkpost"
  auth_secret_secret_manager = "{version}"
}}
''')
    sp.tf.init()
    sp.tf.apply()
    assert receiver.batches()[0]["headers"]["authorization"].endswith(
        base64.b64encode(f"sparkpost:{PASSWORD}".encode()).decode())
    assert PASSWORD not in (sp.tf.workdir / "terraform.tfstate").read_text()
    assert sp.tf.plan()[0].returncode == 0


def test_bad_input_is_refused_at_plan(sp: SparkPostWorld, receiver: Receiver) -> None:
    _hooks_key(sp)
    sp.write('''
resource "sparkpost_webhook" "a" {
  name   = "a"
  target = "ftp://alerts.example.com/x"
  events = ["bounce", "nope"]
}
resource "sparkpost_webhook" "b" {
  name          = "b"
  target        = "https://user:pw@alerts.example.com/x"
  events        = ["bounce"]
  auth_type     = "oauth2"
  auth_username = "u"
}
resource "sparkpost_webhook" "c" {
  name                  = "c"
  target                = "https://alerts.example.com/x"
  events                = ["bounce"]
  subaccount_id         = "0"
  exception_subaccounts = ["5"]
}
''')
    sp.tf.init()
    result = sp.tf.plan_json()
    assert result.returncode == 1
    text = " ".join((e["summary"] + " " + e.get("detail", "")) for e in result.errors())
    for fragment in ("http:// or https:// URL", "nope", "must not carry credentials", "auth_token_url is required",
                     "auth_username does not apply", "exception_subaccounts needs every account"):
        assert fragment in text, fragment
    assert sp.api_calls() == 0 and receiver.posts == []
    # An OAuth2 webhook to create with no client secret: stopped at plan (an imported one may
    # leave the secret out while its OAuth2 settings stay as they are; see the resource docs).
    sp.write(f'''
resource "sparkpost_webhook" "d" {{
  name           = "d"
  target         = "{receiver.url}/d"
  events         = ["bounce"]
  auth_type      = "oauth2"
  auth_token_url = "{receiver.url}/token"
  auth_client_id = "sparkpost"
}}
''')
    result = sp.tf.plan_json()
    assert result.returncode == 1
    [error] = result.errors()
    assert error["summary"] == "The OAuth2 client secret is needed" and "creates the webhook" in error["detail"]
    assert error["address"] == "sparkpost_webhook.d"
    assert not [c for c in sp.emulator.request_log()["log"] if c["route"] and "webhooks" in c["route"]]
    assert receiver.posts == []
    sp.write('resource "sparkpost_webhook" "x" {\n  name   = "x"\n  target = "https://a.example.com"\n  events = ["bounce"]\n}\n')
    result = sp.tf.run("import", "-no-color", "sparkpost_webhook.x", "not/an id", check=False)
    assert result.returncode == 1 and "Invalid import ID for sparkpost_webhook" in result.stderr


def test_operator_key_lacks_the_webhooks_grant(sp: SparkPostWorld, receiver: Receiver) -> None:
    sp.write(f'''
resource "sparkpost_webhook" "a" {{
  name   = "a"
  target = "{receiver.url}/a"
  events = ["bounce"]
}}
''')
    sp.tf.init()
    result = sp.tf.apply(check=False)
    text = " ".join(result.stderr.split())
    assert result.returncode == 1 and "(403)" in text and "lacks the webhooks/modify grant" in text
    assert receiver.posts == []


def test_oauth2_account_wide_webhook_and_import_by_id(sp: SparkPostWorld, receiver: Receiver) -> None:
    _hooks_key(sp)
    sp.tf.env_extra["TF_VAR_cs"] = PASSWORD
    sp.write(f'''
variable "cs" {{
  type      = string
  sensitive = true
  ephemeral = true
}}
resource "sparkpost_webhook" "all" {{
  name                = "everything"
  target              = "{receiver.url}/all"
  events              = ["spam_complaint"]
  auth_type           = "oauth2"
  auth_token_url      = "{receiver.url}/token"
  auth_client_id      = "sparkpost"
  auth_secret_wo      = var.cs
  auth_secret_version = "1"
}}
''')
    sp.tf.init()
    sp.tf.apply()
    token_request = next(p for p in receiver.posts if p["path"] == "/token")
    assert f"client_secret={PASSWORD}" in token_request["body"] and "grant_type=client_credentials" in token_request["body"]
    assert receiver.batches()[0]["headers"]["authorization"] == "Bearer receiver-access-token"
    hook = sp.tf.state_resources()["sparkpost_webhook.all"]["values"]
    assert hook["subaccount_id"] is None and hook["auth_client_id"] == "sparkpost"
    assert sp.tf.plan()[0].returncode == 0
    sp.tf.run("state", "rm", "sparkpost_webhook.all")
    sp.tf.run("import", "-no-color", "sparkpost_webhook.all", hook["id"])
    imported = sp.tf.state_resources()["sparkpost_webhook.all"]["values"]
    assert (imported["auth_type"], imported["auth_token_url"], imported["subaccount_id"]) == \
        ("oauth2", f"{receiver.url}/token", None)
    # A new client secret: bump auth_secret_version and the credentials are sent again.
    sp.tf.env_extra["TF_VAR_cs"] = PASSWORD + "-2"
    sp.extra_secrets.append(PASSWORD + "-2")
    sp.write((sp.tf.workdir / "main.tf").read_text().replace('auth_secret_version = "1"', 'auth_secret_version = "2"'))
    sp.tf.apply()
    # the update re-sends the OAuth2 details; SparkPost keeps them (the target did not change: no new batch)
    got = sp.api("GET", f"/webhooks/{hook['id']}", key=sp.tf.env_extra["SPARKPOST_API_KEY"]).json()["results"]
    assert got["auth_request_details"]["body"]["client_secret"] == PASSWORD + "-2"
    assert sp.tf.plan()[0].returncode == 0
