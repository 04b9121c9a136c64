"""The checks that run beside a plan's other API calls instead of before them (issue 17): the
provider's credentials check (started when ConfigureProvider answers, joined by every operation
that needs the provider) and a subaccount's send-key check (beside the refresh's GET of the
subaccount). What they find, and what a plan or apply does about it, is what it was when they
ran in sequence; only the waiting is gone.

The overlap is shown by holding the requests in the emulator until all of them are in flight
together, then read from its request log (arrival and answer of each request); no test here times
anything."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from provider.tfplugin.background import FAILED_SUMMARY

from .sparkpost_world import SparkPostWorld

SECRET = "projects/cloud-acme-prod/secrets/SPARKPOST_SMTP_API_KEY"

TWO = """
resource "sparkpost_subaccount" "a" {
  name = "acme"
}
resource "sparkpost_subaccount" "b" {
  name = "globex"
}
"""

WITH_KEY = f"""
resource "sparkpost_subaccount" "s" {{
  name = "acme"
  initial_api_key = {{
    label  = "acme SMTP"
    grants = ["smtp/inject"]
  }}
  initial_api_key_secret_manager = {{
    secret        = "{SECRET}"
    create_secret = true
  }}
}}
"""


def log(sp: SparkPostWorld) -> list[dict[str, Any]]:
    return list(sp.emulator.request_log()["log"])


def overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Both requests were in flight at one moment (each arrived before the other was answered)."""
    return bool(a["started"] < b["time"] and b["started"] < a["time"])


def summaries(result: Any) -> list[str]:
    return [e["summary"] for e in result.errors()]


def plan_json(sp: SparkPostWorld, *extra: str, env: dict[str, str] | None = None) -> Any:
    return sp.tf.run("plan", "-json", "-input=false", "-detailed-exitcode", *extra, check=False, env=env)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


# ---------------------------------------------------------------- the overlap


def test_a_refresh_overlaps_the_credentials_check_and_the_send_key_check(sp: SparkPostWorld) -> None:
    sp.write(WITH_KEY)
    sp.tf.init()
    sp.tf.apply()
    sub_id = sp.tf.state_resources()["sparkpost_subaccount.s"]["values"]["id"]
    # Every request is held in the emulator until all three are there at once: they can only
    # get there if each was sent while the others were unanswered (a 2.5 s latency was a guess
    # a loaded machine could outlast: the send-key check reads Secret Manager before its GET).
    sp.emulator.set_faults(hold=True)
    sp.emulator.reset_request_log()
    done: list[Any] = []
    plan = threading.Thread(target=lambda: done.append(plan_json(sp)), daemon=True)
    plan.start()
    try:
        deadline = time.monotonic() + 120
        while sp.emulator.request_log()["in_flight_by_route"] != {
                "GET /api/v1/account": 2, "GET /api/v1/subaccounts/{id}": 1}:
            assert plan.is_alive() and time.monotonic() < deadline, \
                (sp.emulator.request_log()["in_flight_by_route"], done and done[0].stdout[-3000:])
            time.sleep(0.05)
    finally:
        sp.emulator.clear_faults()
        plan.join(120)
    [result] = done
    assert result.returncode == 0, result.stdout[-3000:]  # nothing changed: the key is live

    entries = log(sp)
    # Both answered 403 (neither key holds account/view: the key is good all the same); the
    # operator key acts for the primary account, the send key for its subaccount.
    [credentials] = [e for e in entries if e["route"] == "GET /api/v1/account" and e["subaccount"] is None]
    [send_key] = [e for e in entries if e["route"] == "GET /api/v1/account" and e["subaccount"] == int(sub_id)]
    [read] = [e for e in entries if e["path"] == f"/api/v1/subaccounts/{sub_id}"]
    assert len(entries) == 3, entries
    assert credentials["status"] == send_key["status"] == 403 and read["status"] == 200
    # The read started while the credentials check was in flight: ConfigureProvider had
    # answered before its check did. And the send-key check ran beside the read.
    assert overlap(credentials, read), entries
    assert overlap(send_key, read), entries


# ---------------------------------------------------------------- the credentials check


def test_a_wrong_key_fails_a_plan_of_creates_a_refresh_and_an_apply_with_the_same_diagnostic(sp: SparkPostWorld) -> None:
    wrong = {"SPARKPOST_API_KEY": "f" * 40}
    sp.write(TWO)
    sp.tf.init()

    # validate configures no provider: no call, even with a wrong key
    sp.emulator.reset_request_log()
    assert sp.tf.run("validate", env=wrong).returncode == 0
    assert sp.api_calls() == 0

    # a plan of creates only: no resource makes a call, yet the key's check fails it
    result = plan_json(sp, env=wrong)
    assert result.returncode == 1
    assert sorted(summaries(result)) == sorted(["SparkPost rejected the API key", FAILED_SUMMARY])
    [err] = [e for e in result.errors() if e["summary"] == "SparkPost rejected the API key"]
    assert "401" in err["detail"] and "wrong, revoked" in err["detail"]
    assert "In the provider configuration: api_key." in err["detail"]
    assert "f" * 40 not in result.stdout + result.stderr
    assert [(e["route"], e["status"]) for e in log(sp)] == [("GET /api/v1/account", 401)]

    # a refreshing plan: the reads' own 401s are discarded for the check's one error
    sp.tf.apply()
    before = sp.emulator.dump_state()["subaccounts"]
    result = plan_json(sp, env=wrong)
    assert result.returncode == 1
    assert sorted(summaries(result)) == sorted(["SparkPost rejected the API key", FAILED_SUMMARY])
    assert "Could not read" not in result.stdout

    # an apply: the saved plan is good; applied with a wrong key, it changes nothing
    sp.write(TWO.replace('"globex"', '"globex-2"'))
    sp.tf.run("plan", "-input=false", "-out=tfplan")
    sp.emulator.reset_request_log()
    result = sp.tf.run("apply", "-json", "-input=false", "tfplan", check=False, env=wrong)
    assert result.returncode == 1
    assert summaries(result) == ["SparkPost rejected the API key"]
    assert [e["method"] for e in log(sp)] == ["GET"]  # the check alone: no PUT
    assert sp.emulator.dump_state()["subaccounts"] == before
    assert "f" * 40 not in result.stdout + result.stderr


def test_a_run_with_no_instance_has_nothing_to_wait_for_the_check(sp: SparkPostWorld) -> None:
    """The documented boundary (docs/index.md): Terraform configures the provider for a resource
    of count 0 but asks nothing of it, so no operation reports the check's failure; nothing is
    done with the wrong key either."""
    sp.write('resource "sparkpost_subaccount" "a" {\n  count = 0\n  name  = "acme"\n}\n')
    sp.tf.init()
    sp.emulator.reset_request_log()
    result = plan_json(sp, env={"SPARKPOST_API_KEY": "f" * 40})
    assert result.returncode == 0 and not result.errors()
    # the check's request, if the provider was not stopped before it went out
    assert [(e["route"], e["status"]) for e in log(sp)] in ([], [("GET /api/v1/account", 401)])
    assert "f" * 40 not in result.stdout + result.stderr


def test_an_unreachable_endpoint_fails_a_refresh_once_at_the_provider(sp: SparkPostWorld) -> None:
    sp.write(TWO)
    sp.tf.init()
    sp.tf.apply()
    result = plan_json(sp, env={"SPARKPOST_BASE_URL": f"http://127.0.0.1:{closed_port()}"})
    assert result.returncode == 1
    assert sorted(summaries(result)) == sorted(["Cannot reach SparkPost", FAILED_SUMMARY])
    [err] = [e for e in result.errors() if e["summary"] == "Cannot reach SparkPost"]
    assert "Connection refused" in err["detail"] and "SPARKPOST_BASE_URL" in err["detail"]
    assert "Traceback" not in result.stdout + result.stderr


def test_skip_credentials_validation_makes_no_check(sp: SparkPostWorld) -> None:
    sp.write(TWO)
    sp.tf.write('provider "sparkpost" {\n  skip_credentials_validation = true\n}\n', "provider.tf")
    sp.tf.init()
    sp.emulator.reset_request_log()
    result = plan_json(sp, env={"SPARKPOST_API_KEY": "f" * 40})
    assert result.returncode == 2 and not result.errors()  # creates: nothing calls SparkPost
    assert sp.api_calls() == 0

    sp.tf.apply()
    sp.emulator.reset_request_log()
    assert plan_json(sp).returncode == 0
    assert "GET /api/v1/account" not in sp.by_route()
    # a wrong key is then found by the first call that needs it, the refresh's reads
    result = plan_json(sp, env={"SPARKPOST_API_KEY": "f" * 40})
    assert result.returncode == 1
    assert set(summaries(result)) == {"Could not read subaccount " + i for i in _ids(sp)}


def _ids(sp: SparkPostWorld) -> set[str]:
    return {r["values"]["id"] for r in sp.tf.state_resources().values()}


# ---------------------------------------------------------------- the send-key check beside the read


def test_the_send_key_check_of_a_gone_subaccount_is_discarded(sp: SparkPostWorld) -> None:
    """Deleted (404) or terminated: the refresh plans a new subaccount, as it did before the
    check ran beside the read; the check's failure (Secret Manager refusing to read the key)
    is not reported."""
    sp.write(WITH_KEY)
    sp.tf.init()
    sp.tf.apply()
    sub_id = int(sp.tf.state_resources()["sparkpost_subaccount.s"]["values"]["id"])
    sp.secret_manager.fail_next("AccessSecretVersion", "PERMISSION_DENIED", count=100)

    # the check's failure is real: with the subaccount there, the refresh reports it
    result = plan_json(sp)
    assert result.returncode == 1
    assert summaries(result) == ["Could not read the subaccount's send key from Secret Manager"]

    assert sp.api("PUT", f"/subaccounts/{sub_id}", json={"status": "terminated"}).status_code == 200
    result = plan_json(sp)
    assert result.returncode == 2 and not result.diagnostics(), result.diagnostics()

    with sp.emulator.store.lock:
        del sp.emulator.store.subaccounts[sub_id]
        sp.emulator.store.persist()
    assert sp.api("GET", f"/subaccounts/{sub_id}").status_code == 404
    result = plan_json(sp)
    assert result.returncode == 2 and not result.diagnostics(), result.diagnostics()
    assert any(c.get("change", {}).get("action") == "create" for c in result.json_lines() if c.get("type") == "planned_change")
