"""The provider relies on nothing SparkPost does not promise (issue 14), end to end.

* No API-keys API on the account (SparkPost's default as documented: keys are made in its
  app): `sparkpost_api_key` and the module's `key_via_api_key_resource` path fail at plan with
  an error that says what to do, before anything is created.
* An unknown `ip_pool` is accepted by SparkPost: the provider checks it where the key may
  read IP pools (an error at plan), and warns loudly where it may not (the operator key).
* DKIM key length 1024-4096, as the reference documents.
"""

from __future__ import annotations

import shutil

from .harness import ROOT, Result
from .sparkpost_world import SparkPostWorld


def error_text(result: Result) -> str:
    return " ".join((result.stdout + result.stderr).split())


def mutations(sp: SparkPostWorld) -> list[str]:
    return [e["route"] or e["path"] for e in sp.emulator.request_log()["log"] if e["method"] != "GET"]


KEY = '''
resource "sparkpost_api_key" "ci" {
  label  = "ci"
  grants = ["metrics/view"]
}
'''


def test_api_key_resource_without_the_api_keys_api_fails_at_plan(sp: SparkPostWorld) -> None:
    sp.tf.env_extra["SPARKPOST_API_KEY"] = sp.admin_key  # holds api_keys/manage: the gate is the account's
    sp.write(KEY)
    sp.tf.init()
    sp.emulator.reset_request_log()
    result, _ = sp.tf.plan(check=False)
    assert result.returncode == 1
    text = error_text(result)
    assert "API-keys API" in text and "app" in text
    assert "initial_api_key" in text and "key_via_api_key_resource" in text
    assert mutations(sp) == []
    # the same configuration plans once the account has the API
    sp.emulator.set_options(api_keys_api=True)
    result, _ = sp.tf.plan()
    assert result.returncode == 2


def test_module_api_key_path_without_the_api_keys_api_fails_before_creating_anything(sp: SparkPostWorld) -> None:
    sp.tf.env_extra["SPARKPOST_API_KEY"] = sp.admin_key
    shutil.copytree(ROOT / "examples" / "modules", sp.tf.workdir.parent / "modules", dirs_exist_ok=True)
    sp.write('''
module "b" {
  source                   = "../modules/managed-smtp"
  customer                 = "globex"
  secret_project           = "cloud-globex-prod"
  key_via_api_key_resource = true
}
''')
    sp.tf.init()
    sp.emulator.reset_request_log()
    result = sp.tf.apply(check=False)
    assert result.returncode == 1
    text = error_text(result)
    assert "API-keys API" in text and "key_via_api_key_resource = false" in text
    assert mutations(sp) == [] and sp.emulator.dump_state()["subaccounts"] == []


POOL = '''
resource "sparkpost_subaccount" "t" {
  name    = "tenant"
  ip_pool = "%s"
}
'''


def test_unknown_ip_pool_warns_with_the_operator_key_and_is_refused_where_pools_are_readable(
        sp: SparkPostWorld) -> None:
    sp.write(POOL % "dedicatd_pool")  # a typo SparkPost would accept
    sp.tf.init()
    result = sp.tf.plan_json()
    assert result.returncode == 2, result.stdout[-3000:]
    [warning] = [d for d in result.diagnostics() if d["severity"] == "warning"]
    assert warning["address"] == "sparkpost_subaccount.t"
    assert "dedicatd_pool" in warning["detail"] and "rejected" in warning["detail"]
    assert "ip_pools/view" in warning["detail"]
    sp.tf.apply()  # SparkPost accepts it, and so does the provider (with the warning)
    assert [s.get("ip_pool") for s in sp.emulator.dump_state()["subaccounts"]] == ["dedicatd_pool"]

    # with a key that may read IP pools the typo is caught at plan
    sp.tf.env_extra["SPARKPOST_API_KEY"] = sp.admin_key
    assert sp.api("POST", "/ip-pools", json={"name": "dedicated_pool"}).status_code == 200
    sp.write(POOL % "dedicatd_pool2")
    result = sp.tf.plan_json()
    assert result.returncode == 1
    [error] = result.errors()
    assert error["address"] == "sparkpost_subaccount.t" and "dedicatd_pool2" in error["detail"]
    assert "404" in error["detail"] and "not its name" in error["detail"]
    sp.write(POOL % "dedicated_pool")
    result = sp.tf.plan_json()
    assert result.returncode == 2
    assert [d for d in result.diagnostics() if d["severity"] == "warning"] == []


DKIM = '''
resource "sparkpost_sending_domain" "d" {
  domain          = "%s.example.com"
  dkim_key_length = %d
}
'''


def test_dkim_key_length_follows_the_reference(sp: SparkPostWorld) -> None:
    sp.write(DKIM % ("small", 512) + DKIM.replace('"d"', '"e"') % ("huge", 8192))
    sp.tf.init()
    result = sp.tf.run("validate", "-json", check=False)
    assert result.returncode == 1
    text = error_text(result)
    assert text.count("between 1024 and 4096") == 2
    sp.write(DKIM % ("mid", 3072))
    sp.tf.apply()
    state = sp.tf.state_resources()["sparkpost_sending_domain.d"]["values"]
    assert state["dkim_key_length"] == 3072
