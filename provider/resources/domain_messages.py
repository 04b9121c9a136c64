"""What sparkpost_sending_domain tells the operator when DNS or SparkPost stands in the way:
each message names the record to publish and the value it must hold, or the command to run."""

from __future__ import annotations

from typing import Any

from ..sparkpost.errors import SparkPostError
from ..tfplugin.diagnostics import ResourceError
from .dns_records import BOUNCE_RECORD_ID, DKIM_RECORD_ID, record_of
from .domain_ids import import_id

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
            f"\n\nIt belongs to {where}, so set subaccount_id = {owner} in the configuration."
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


def bounce_not_verified_warning(name: str, prior_status: dict[str, Any] | None, target: str,
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
