"""What sparkpost_sending_domain tells the operator when DNS or SparkPost stands in the way:
each message names the record to publish and the value it must hold, or the command to run."""

from __future__ import annotations

from typing import Any

from ..sparkpost.errors import SparkPostError
from ..tfplugin.diagnostics import ResourceError
from .dns_records import BOUNCE_RECORD_ID, DKIM_RECORD_ID, record_of
from .domain_ids import import_id
from .domain_state import StatusValues

_RECORD_OF_CHECK = {"dkim": DKIM_RECORD_ID, "cname": BOUNCE_RECORD_ID}


def missing_records_detail(state: dict[str, Any], failed: list[str], dns_errors: dict[str, str]) -> str:
    lines = []
    for check in failed:
        rec = record_of(state.get("dns_records"), _RECORD_OF_CHECK[check])
        what = "DKIM" if check == "dkim" else "bounce CNAME"
        status = state["status"].get("dkim_status" if check == "dkim" else "cname_status")
        if rec is None:
            lines.append(f"  - {what}: the domain has no DKIM key to verify (status {status}).")
            continue
        line = f"  - {what} ({status}): publish the {rec['type']} record {rec['name']} with the value: {rec['value']}"
        if dns_errors.get(check):
            line += f"\n    SparkPost said: {dns_errors[check]}"
        lines.append(line)
    return (
        "SparkPost could not verify these DNS records:\n" + "\n".join(lines) + "\n\nPublish them (the values are "
        "also in this resource's dns_records), wait for DNS to propagate, and apply again."
    )


def kept_in_state_note(creating: bool) -> str:
    if not creating:
        return ""
    return (
        "\n\nThe domain was created and is kept in state. Terraform marks an object whose create failed as "
        "tainted, so the next apply would delete and re-create it (with a generated DKIM key, a new key and a "
        "new TXT value). To keep this domain and its key, run `terraform untaint` on this resource, then apply "
        "again once the records are published."
    )


def bounce_refused(state: dict[str, Any], why: str | None, creating: bool) -> ResourceError:
    name = state["domain"].lower()
    rec = record_of(state.get("dns_records"), BOUNCE_RECORD_ID)
    target = rec["value"] if rec else "the region's bounce host"
    detail = (
        f"SparkPost makes a domain the default bounce domain only once its bounce CNAME is verified, and the "
        f"CNAME of {name} is {state['status'].get('cname_status')!r}. Publish:\n"
        f"  - CNAME record {name} with the value: {target}\n"
        + (f"SparkPost said: {why}\n" if why else "")
        + "then apply again (add verify = { wait = true } to wait for DNS to propagate)."
    )
    return ResourceError(
        f"Cannot make {name} the default bounce domain yet",
        detail + kept_in_state_note(creating),
        ["is_default_bounce_domain"],
        state=state,
    )


def dkim_update_refused(planned: dict[str, Any], err: SparkPostError) -> ResourceError:
    name = planned["domain"].lower()
    rec = record_of(planned.get("dns_records"), DKIM_RECORD_ID)
    value = rec.get("value") if rec else None
    publish = f"\n  - TXT record {rec['name']} with the value: {value}" if rec and isinstance(value, str) else ""
    return ResourceError(
        f"SparkPost refused the new DKIM key of {name}",
        f"SparkPost checks a new DKIM key's TXT record in DNS before it accepts it, and the check failed: {err}\n\n"
        f"Publish the new record first, then apply again:{publish}\n\nThe domain keeps its current key meanwhile.",
        ["dkim"],
    )


def already_exists(name: str, sub: int | None, err: SparkPostError, found: bool, owner: int | None) -> ResourceError:
    """409: the domain exists. Say exactly how to import it (`owner` is where a list found it)."""
    if not found:
        return ResourceError(
            f"Sending domain {name} already exists",
            f"SparkPost refused to create it: {err}\n\nIf it belongs to this SparkPost account, import it with "
            f"`terraform import ADDRESS {import_id(sub, name)}`; otherwise it may be registered or verified "
            "by another account, which SparkPost support can release.",
            ["domain"],
        )
    iid = import_id(owner, name)
    where = f"subaccount {owner}" if owner is not None else "the primary account"
    mismatch = ""
    if owner != sub:
        mismatch = (
            f"\n\nIt belongs to {where}, so set subaccount_id = \"{owner}\" in the configuration."
            if owner is not None
            else "\n\nIt belongs to the primary account, so remove subaccount_id from the configuration."
        )
    return ResourceError(
        f"Sending domain {name} already exists in this SparkPost account",
        f"SparkPost already has {name} (in {where}). To manage it with Terraform, import it instead of "
        f"creating it:\n\n  terraform import ADDRESS {iid}\n\nwhere ADDRESS is this resource's address (like "
        f"sparkpost_sending_domain.main), or add an import block and apply:\n\n  import {{\n    to = ADDRESS\n"
        f"    id = \"{iid}\"\n  }}{mismatch}",
        ["domain"],
    )


# SparkPost keeps a suspended or terminated subaccount's assets read-only: "Suspended - ... they
# cannot use create, edit, or delete operations. The subaccount can still view and retrieve
# assets"; "Terminated - this status functions the same as suspended, but implies a permanent
# status change" (SparkPost/support-docs content/docs/user-guide/subaccounts.md, "Subaccount
# Statuses"). A domain name is registered once per account, and moving a domain to another
# subaccount means deleting and re-creating it (same page, "Sending Domain").


def _terminated_owner_detail(name: str, owner: int) -> str:
    return (
        f"SparkPost has {name} registered to subaccount {owner}, which is terminated. SparkPost keeps a terminated "
        f"subaccount's sending domains read-only for good: {name} can be neither deleted nor moved, and it cannot "
        "be imported into another subaccount. SparkPost registers a domain name once per account, so it cannot be "
        "created again while it is there.\n\nTo go on, either:\n"
        "  - use another sending domain here (another subdomain, say; with the managed-smtp module, change "
        "sending_domain), or remove this resource (with the module: sending_domain = null), and apply; or\n"
        f"  - ask SparkPost support to delete {name} from terminated subaccount {owner}, then apply again."
    )


def cannot_follow_terminated_owner(name: str, owner: int) -> tuple[str, str]:
    """Plan-time error: the domain would move from its terminated subaccount to another one."""
    return (
        f"Sending domain {name} cannot follow its terminated subaccount",
        _terminated_owner_detail(name, owner)
        + "\n\nNothing has been changed. Once this resource no longer asks for it, the plan goes ahead (with the "
        "managed-smtp module: a new subaccount and send key for the instance).",
    )


def registered_to_inactive_owner(name: str, owner: int, status: str) -> ResourceError:
    """409 at create, and the name is held by a suspended or terminated subaccount."""
    if status == "terminated":
        return ResourceError(
            f"Sending domain {name} belongs to terminated subaccount {owner}",
            _terminated_owner_detail(name, owner),
            ["domain"],
        )
    return ResourceError(
        f"Sending domain {name} belongs to suspended subaccount {owner}",
        f"SparkPost has {name} registered to subaccount {owner}, which is suspended: its domains are read-only "
        f"(they can be neither deleted nor moved). Reactivate subaccount {owner}, then import the domain "
        f"(`terraform import ADDRESS {import_id(owner, name)}`, with subaccount_id = \"{owner}\") or delete it in "
        "SparkPost, and apply again.",
        ["domain"],
    )


def left_in_inactive_owner(name: str, owner: int, status: str) -> tuple[str, str]:
    """Destroy-time warning: SparkPost refused to delete the domain of an inactive subaccount."""
    why = (
        "A terminated subaccount never sends again, and SparkPost registers a domain name once per account: no "
        f"other subaccount can have {name} while it is there. Only SparkPost support can delete it."
        if status == "terminated"
        else f"If subaccount {owner} is reactivated, delete the domain then, or import it again."
    )
    return (
        f"Sending domain {name} left in {status} subaccount {owner}",
        f"SparkPost makes a {status} subaccount read-only: its sending domains can be neither deleted nor changed, "
        f"by the subaccount or on its behalf. {name} therefore stays in SparkPost, registered to subaccount {owner}, "
        f"and Terraform no longer manages it. {why}",
    )


def inactive_owner_refused_update(name: str, owner: int, status: str, err: SparkPostError) -> ResourceError:
    if status == "suspended":
        advice = f"Reactivate subaccount {owner} (status = \"active\"), then apply again."
    else:
        advice = _terminated_owner_detail(name, owner)
    return ResourceError(
        f"Cannot update sending domain {name}: subaccount {owner} is {status}",
        f"SparkPost makes a {status} subaccount's domains read-only, and refused the change ({err}). {advice}",
    )


def private_key_needed(*, creating: bool) -> tuple[str, str]:
    """dkim without private_key, where a key would have to be sent."""
    what = "create the domain with this key" if creating else "change the domain's key to this one"
    return (
        "dkim.private_key is needed",
        f"dkim has no private_key, so it can only describe the domain's current key; to {what}, SparkPost needs "
        "the private half too. Set dkim.private_key (from an ephemeral value it never reaches state), or remove the "
        "dkim block: an existing domain keeps its key, a new one gets a key generated by SparkPost.",
    )


def bounce_not_verified_warning(name: str, prior_status: StatusValues | None, target: str,
                                wait_timeout: str | None) -> tuple[str, str]:
    """Plan-time warning: is_default_bounce_domain asked for before the CNAME is verified."""
    how = (
        f"With verify.wait, apply checks the CNAME first and waits up to {wait_timeout} for it."
        if wait_timeout is not None
        else "Apply asks SparkPost to check the CNAME once before setting this; add verify = { wait = true } "
        "to wait for DNS to catch up."
    )
    status = "not known yet" if prior_status is None else repr(prior_status.get("cname_status"))
    return (
        "The bounce CNAME is not verified yet",
        f"SparkPost accepts is_default_bounce_domain = true only once the bounce CNAME of {name} is verified "
        f"(its cname_status is {status}). "
        f"{how} Apply will fail unless the record below is published and verifies:\n"
        f"  - CNAME record {name} with the value: {target}",
    )


DKIM_WAIT_AT_CREATE = (
    "Waiting for a DKIM record that cannot exist yet",
    "SparkPost generates this domain's DKIM key while it is created, so its TXT record can only be "
    "published after this resource exists, and a create that waits for it will time out (leaving the "
    "domain tainted, and a re-create generates a new key). Create it without verify.wait, publish the "
    "records from dns_records, then turn wait on; or bring your own key in dkim, whose record you can "
    "publish beforehand; or set verify.dkim = false to wait for the CNAME only.",
)
