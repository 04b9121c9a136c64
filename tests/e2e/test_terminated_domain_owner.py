"""An instance whose subaccount was terminated by hand while it owned the instance's custom
sending domain.

SparkPost keeps a terminated subaccount's assets, read-only: its domains can be neither deleted
nor changed, by the subaccount or by the primary account on its behalf (SparkPost/support-docs
content/docs/user-guide/subaccounts.md, "Subaccount Statuses": terminated "functions the same as
suspended", which "cannot use create, edit, or delete operations"), and a domain name is
registered once per account (409 "already registered"; moving a domain between subaccounts means
deleting and re-creating it, same page, "Sending Domain"). So the new subaccount cannot get the
domain back: no apply can fix that. What the provider must do: stop at plan, before anything
changes, saying what is wrong with the domain (never "the key lacks the grant", never "import
it"), with advice that works when followed; and where the plan cannot know (the domain was
removed from state), fail the create the same way.
"""

from __future__ import annotations

from .harness import changes
from .module_world import assert_mail_works, outputs, set_instances, subaccounts, use_instances_config
from .sparkpost_world import SparkPostWorld

DOMAIN = "mail.acme.example"
ACME = {"project": "cloud-acme-prod", "sending_domain": DOMAIN}
SUB_ADDR = 'module.smtp["acme"].sparkpost_subaccount.this'
DOMAIN_ADDR = 'module.smtp["acme"].sparkpost_sending_domain.custom[0]'


def _error_text(result) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(f"{e.get('summary')}\n{e.get('detail')}" for e in result.errors())


def _terminated_instance(sp: SparkPostWorld) -> int:
    use_instances_config(sp)
    set_instances(sp, {"acme": ACME})
    sp.tf.init()
    sp.tf.apply()
    old = int(outputs(sp)["smtp"]["acme"]["subaccount_id"])
    assert sp.api("PUT", f"/subaccounts/{old}", json={"status": "terminated"}).status_code == 200
    return old


def test_plan_stops_with_advice_that_works(sp: SparkPostWorld) -> None:
    old = _terminated_instance(sp)

    # The plan would re-create the subaccount and move the domain to it, which SparkPost refuses:
    # the plan says so before anything changes (an apply that failed half-way would leave the
    # module's outputs pointing at the dead key).
    planned = sp.tf.plan_json()
    assert planned.returncode == 1
    [error] = planned.errors()
    assert error["summary"] == f"Sending domain {DOMAIN} cannot follow its terminated subaccount"
    detail = " ".join(error["detail"].split())
    assert f"registered to subaccount {old}, which is terminated" in detail
    assert "lacks the grant" not in detail and "terraform import" not in detail
    assert "sending_domain" in detail and "SparkPost support" in detail
    assert [s["status"] for s in subaccounts(sp).values()] == ["terminated"]  # nothing changed

    # following the advice: another sending domain; one apply heals the instance
    set_instances(sp, {"acme": dict(ACME, sending_domain="mail2.acme.example")})
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {SUB_ADDR: ["create"], DOMAIN_ADDR: ["delete", "create"]}
    applied = sp.tf.apply()
    assert f"Sending domain {DOMAIN} left in terminated subaccount {old}" in applied.stdout
    assert sp.tf.plan()[0].returncode == 0
    smtp = outputs(sp)["smtp"]["acme"]
    new = int(smtp["subaccount_id"])
    assert new != old and smtp["email_smtp"]["password"].endswith("/versions/2")
    assert_mail_works(sp, smtp)
    owners = {d["domain"]: d.get("subaccount_id") for d in sp.emulator.dump_state()["sending_domains"]}
    assert owners == {DOMAIN: old, "mail2.acme.example": new}


def test_without_the_custom_domain_the_instance_heals(sp: SparkPostWorld) -> None:
    """The advice's other branch: remove the domain from the instance."""
    old = _terminated_instance(sp)
    set_instances(sp, {"acme": {"project": ACME["project"]}})
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {SUB_ADDR: ["create"], DOMAIN_ADDR: ["delete"]}
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0
    smtp = outputs(sp)["smtp"]["acme"]
    assert int(smtp["subaccount_id"]) != old and smtp["dns_records"] == {}
    assert_mail_works(sp, smtp)


def test_after_state_rm_the_create_error_does_not_send_the_operator_to_import(sp: SparkPostWorld) -> None:
    old = _terminated_instance(sp)
    sp.tf.run("state", "rm", "-no-color", DOMAIN_ADDR)
    applied = sp.tf.apply(check=False)
    assert applied.returncode == 1
    text = " ".join(applied.stderr.split())
    assert f"Sending domain {DOMAIN} belongs to terminated subaccount {old}" in text
    assert f"registered to subaccount {old}, which is terminated" in text
    assert "lacks the grant" not in text
    assert "terraform import" not in text and "subaccount_id =" not in text

    # the other way the advice offers: SparkPost support deletes the old domain, then apply
    with sp.emulator.store.lock:
        del sp.emulator.store.domains[DOMAIN]
    sp.tf.apply()
    assert sp.tf.plan()[0].returncode == 0
    [domain] = sp.emulator.dump_state()["sending_domains"]
    smtp = outputs(sp)["smtp"]["acme"]
    assert domain["domain"] == DOMAIN and domain["subaccount_id"] == int(smtp["subaccount_id"])
    assert subaccounts(sp)[old]["status"] == "terminated"
    assert_mail_works(sp, smtp)
