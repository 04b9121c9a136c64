"""Verification of a sending domain during apply: ask SparkPost to check the DKIM TXT and the
bounce CNAME records, wait for them with backoff when asked to, and make the domain the default
bounce domain once its CNAME passes. Refresh never comes here (it reads status only)."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..sparkpost.errors import BadRequest, SparkPostError, Unprocessable
from ..tfplugin.diagnostics import ResourceError
from ..tfplugin.resource import Context
from ..tfplugin.validators import parse_duration
from . import domain_messages as msg
from .common import api_errors, known
from .domain_ids import subaccount_of
from .domain_state import StatusValues, bounce_ready, status_state

if TYPE_CHECKING:
    from ..sparkpost.client import SparkPostClient

DEFAULT_TIMEOUT = "5m"
DEFAULT_POLL_INTERVAL = "10s"
MAX_POLL_INTERVAL = 120.0
CHECKS = ("dkim", "cname")


@dataclass(frozen=True)
class VerifySettings:
    """The `verify` block with its defaults applied."""

    checks: list[str]
    wait: bool
    timeout: float
    timeout_text: str
    interval: float


def verify_settings(planned: dict[str, Any]) -> VerifySettings | None:
    """The verify block with defaults applied; None when absent (or not known yet)."""
    v = planned.get("verify")
    if not isinstance(v, dict):
        return None
    timeout, interval = v.get("timeout"), v.get("poll_interval")
    if not known(timeout):
        timeout = DEFAULT_TIMEOUT
    if not known(interval):
        interval = DEFAULT_POLL_INTERVAL
    return VerifySettings(
        checks=[c for c in CHECKS if v.get(c) is not False],
        wait=v.get("wait") is True,
        timeout=parse_duration(timeout),
        timeout_text=timeout,
        interval=parse_duration(interval),
    )


def check_ok(check: str, status: StatusValues | None) -> bool:
    status = status or {}
    return status.get("dkim_status") == "valid" if check == "dkim" else bounce_ready(status)


def finish(
    ctx: Context, client: SparkPostClient, planned: dict[str, Any], state: dict[str, Any], creating: bool,
    reread: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """Verification and the default-bounce flag: the steps that need the domain to exist.

    `state` is the domain as it is now, with `verify` as the prior state had it: that is what
    a failure leaves in state, so the next plan shows the verification still to do. `reread`
    reads the domain again into a state once something changed."""
    name = state["domain"].lower()
    sub = subaccount_of(state.get("subaccount_id"))
    settings = verify_settings(planned)
    wants_bounce = planned.get("is_default_bounce_domain") is True and not state["is_default_bounce_domain"]

    requested = list(settings.checks) if settings else []
    checks = list(requested)
    if wants_bounce and "cname" not in checks:
        checks.append("cname")  # SparkPost needs a verified CNAME for this: check it once
    pending = [c for c in checks if not check_ok(c, state["status"])]
    dns_errors: dict[str, str] = {}
    if pending:
        status, dns_errors = _verify(ctx, client, state, pending, settings)
        state = dict(state, status=status)
    failed = [c for c in requested if not check_ok(c, state["status"])]
    if failed:
        detail = msg.missing_records_detail(state, failed, dns_errors)
        if settings and settings.wait:
            raise ResourceError(
                f"Sending domain {name} was not verified within {settings.timeout_text}",
                detail + msg.kept_in_state_note(creating),
                ["verify"],
                state=state,
            )
        ctx.diagnostics.warning(f"Sending domain {name} is not verified yet", detail, ["verify"])

    if wants_bounce:
        if not bounce_ready(state["status"]):
            raise msg.bounce_refused(state, dns_errors.get("cname"), creating)
        try:
            client.update_sending_domain(name, subaccount=sub, is_default_bounce_domain=True)
        except (BadRequest, Unprocessable) as err:
            raise msg.bounce_refused(state, str(err), creating) from err
        except SparkPostError:
            with api_errors(f"make {name} the default bounce domain", ("is_default_bounce_domain",), state=state):
                raise
    if pending or wants_bounce:
        state = reread(state)
    state["verify"] = copy.deepcopy(planned.get("verify"))
    return state


def _verify(
    ctx: Context, client: SparkPostClient, state: dict[str, Any], checks: list[str], settings: VerifySettings | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """POST /verify for the pending checks; with `wait`, again with backoff until they pass."""
    name = state["domain"].lower()
    sub = subaccount_of(state.get("subaccount_id"))
    status = state["status"]
    dns_errors: dict[str, str] = {}
    wait = bool(settings and settings.wait)
    interval = settings.interval if settings else 10.0
    deadline = time.monotonic() + (settings.timeout if settings else 0)
    pending = list(checks)
    while True:
        with api_errors(f"verify sending domain {name}", ("verify",), state=dict(state, status=status)):
            got = client.verify_sending_domain(
                name, subaccount=sub, dkim_verify="dkim" in pending, cname_verify="cname" in pending
            )
        status = status_state(got.status)
        for check in pending:
            if got.dns_errors.get(check):
                dns_errors[check] = got.dns_errors[check]
        pending = [c for c in pending if not check_ok(c, status)]
        remaining = deadline - time.monotonic()
        if not pending or not wait or remaining <= 0:
            return status, dns_errors
        ctx.log.info("sending domain %s: waiting %.0fs for %s", name, min(interval, remaining), ", ".join(pending))
        if ctx.cancelled.wait(min(interval, remaining)):
            raise ResourceError(
                f"Verification of {name} cancelled",
                "Terraform was interrupted while waiting for verification.",
                ["verify"],
                state=dict(state, status=status),
            )
        interval = min(interval * 1.5, max(MAX_POLL_INTERVAL, settings.interval if settings else 0))
