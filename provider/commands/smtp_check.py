"""`sparkpost-smtp-check`: deliverability per Cloud instance, for a cron job or a monitor.

It needs only the operator key's `metrics/view` grant (plus `subaccount/view|manage` when it
names instances from subaccount names). One query, `GET /metrics/deliverability/subaccount`
over the window, gives targeted, sent, accepted, delivered, bounce (all, hard, soft, block) and
spam complaint counts per subaccount (metrics.apib). Rates use SparkPost's report formulas:
bounce rates per sent message, the spam complaint rate per accepted message
(support-docs, reporting/enterprise-metrics-definitions.md).

Exit status: 0 healthy, 1 warning, 2 critical, 3 could not check (bad arguments, no key,
SparkPost unreachable or refusing, an unusable answer). Rates are judged only at or above
`--min-volume` sent messages: a handful of messages says nothing about reputation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from .cli import Parser, UsageError, add_connection_flags, fail, make_client

if TYPE_CHECKING:
    from ..sparkpost.client import SparkPostClient
    from ..sparkpost.deliverability import SubaccountCounts

PROG = "sparkpost-smtp-check"
OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_NAMES = {OK: "ok", WARNING: "warning", CRITICAL: "critical", UNKNOWN: "unknown"}

# Defaults, in percent. Bounce rates follow common ESP guidance (a total bounce rate above ~5%
# hurts reputation, ~10% gets accounts reviewed); spam complaints follow the mailbox providers'
# bulk-sender limits (keep below 0.1%, never reach 0.3%).
DEFAULTS: dict[str, tuple[float, float]] = {
    "bounce": (5.0, 10.0),
    "hard_bounce": (2.0, 5.0),
    "block_bounce": (2.0, 5.0),
    "spam_complaint": (0.1, 0.3),
}
DEFAULT_MIN_VOLUME = 100
LABELS = {"bounce": "bounce", "hard_bounce": "hard bounce", "block_bounce": "block bounce",
          "spam_complaint": "spam complaint"}


@dataclass
class Instance:
    name: str
    subaccount_id: int
    counts: "SubaccountCounts"
    status: int = OK
    reasons: list[str] = field(default_factory=list)

    def judge(self, thresholds: dict[str, tuple[float, float]], min_volume: int) -> None:
        if self.counts.sent < min_volume:
            self.reasons.append(f"{self.counts.sent} sent, below the minimum volume {min_volume}: rates not judged")
            return
        for name, (warn, crit) in thresholds.items():
            rate = self.counts.rate(name)
            if rate is None:
                continue
            pct = rate * 100
            if pct >= crit:
                self.status = max(self.status, CRITICAL)
                self.reasons.append(f"{LABELS[name]} rate {pct:.2f}% >= critical {crit:g}%")
            elif pct >= warn:
                self.status = max(self.status, WARNING)
                self.reasons.append(f"{LABELS[name]} rate {pct:.2f}% >= warning {warn:g}%")

    def as_json(self) -> dict[str, Any]:
        counts = self.counts.as_dict()
        counts.pop("subaccount_id")
        rates = {name: (None if self.counts.rate(name) is None else round(self.counts.rate(name) or 0.0, 6))
                 for name in ("bounce", "hard_bounce", "soft_bounce", "block_bounce", "spam_complaint")}
        return {"instance": self.name, "subaccount_id": self.subaccount_id, "status": STATUS_NAMES[self.status],
                "counts": counts, "rates": rates, "reasons": self.reasons}


# ---- arguments ---------------------------------------------------------------------------
MAX_WINDOW_DAYS = 3660  # ten years: far beyond what SparkPost keeps, far within a datetime
def _duration(text: str) -> dt.timedelta:
    m = re.fullmatch(r"\s*(\d+)\s*([mhd])\s*", text)
    if not m or int(m.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30m, 24h or 7d")
    n, unit = int(m.group(1)), m.group(2)
    minutes = n * {"m": 1, "h": 60, "d": 1440}[unit]
    if minutes > MAX_WINDOW_DAYS * 1440:
        # "9999999999d" overflowed timedelta (a traceback); SparkPost keeps 6 months anyway.
        raise argparse.ArgumentTypeError(f"{text!r} is longer than {MAX_WINDOW_DAYS}d (SparkPost keeps 6 months of metrics)")
    return dt.timedelta(minutes=minutes)


def _pair(text: str) -> tuple[float, float]:
    m = re.fullmatch(r"\s*([0-9.]+)\s*[,:/]\s*([0-9.]+)\s*", text)
    try:
        warn, crit = (float(m.group(1)), float(m.group(2))) if m else (None, None)
    except ValueError:
        warn = crit = None
    if warn is None or crit is None or not 0 <= warn <= crit <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not WARNING,CRITICAL percentages with WARNING <= CRITICAL")
    return warn, crit


def build_parser() -> Parser:
    p = Parser(prog=PROG, description=(
        "Check each Cloud instance's SparkPost deliverability (bounce and spam complaint rates) "
        "over a time window. Exit 0 healthy, 1 warning, 2 critical, 3 could not check."))
    p.add_argument("--window", type=_duration, default=dt.timedelta(hours=24),
                   help="how far back to look, e.g. 1h, 24h, 7d (default 24h; SparkPost keeps 6 months)")
    p.add_argument("--min-volume", type=int, default=DEFAULT_MIN_VOLUME,
                   help=f"judge rates only for instances with at least this many sent messages (default {DEFAULT_MIN_VOLUME})")
    for name, (warn, crit) in DEFAULTS.items():
        p.add_argument(f"--{name.replace('_', '-')}", type=_pair, default=(warn, crit), metavar="WARN,CRIT",
                       help=f"{LABELS[name]} rate thresholds in percent (default {warn:g},{crit:g})")
    names = p.add_argument_group("instance names (default: subaccount names, minus --name-prefix)")
    names.add_argument("--terraform-output", metavar="FILE",
                       help="JSON from `terraform output -json` ('-' for stdin); checks those instances only")
    names.add_argument("--terraform-dir", metavar="DIR",
                       help="run `terraform output -json` in DIR; checks those instances only")
    names.add_argument("--name-prefix", default="cloud-",
                       help="stripped from subaccount names to get instance names (default cloud-)")
    names.add_argument("--include-primary", action="store_true",
                       help="also check the primary account's own traffic (subaccount 0)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output (default table)")
    add_connection_flags(p)
    return p


# ---- instance names -------------------------------------------------------------------------
def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    return None


def names_from_terraform_output(doc: Any, default_name: str = "instance") -> dict[int, str]:
    """Subaccount id -> instance name, from `terraform output -json`.

    Any object with a `subaccount_id` (the managed-smtp module's output, or a map of them keyed
    by instance, as in examples/cloud-instances) is named by the key it sits under; a root
    output `subaccount_id` (one module per root) is named `default_name`.
    """
    if not isinstance(doc, dict):
        raise UsageError("the terraform output is not a JSON object (use `terraform output -json`)")
    found: dict[int, str] = {}

    def walk(value: Any, name: str) -> None:
        if isinstance(value, dict):
            sid = _as_id(value.get("subaccount_id"))
            if sid is not None:
                found[sid] = name
            for key, child in value.items():
                if isinstance(child, (dict, list)):
                    walk(child, str(key))
        elif isinstance(value, list):
            for child in value:
                walk(child, name)

    for out_name, out in doc.items():
        if not isinstance(out, dict) or "value" not in out:
            raise UsageError(f"output {out_name!r} has no value: is this `terraform output -json`?")
        sid = _as_id(out["value"]) if out_name == "subaccount_id" else None
        if sid is not None:
            found[sid] = default_name
        else:
            walk(out["value"], out_name)
    if not found:
        raise UsageError("no subaccount_id found in the terraform output")
    return found


def _read_terraform_output(args: argparse.Namespace) -> tuple[Any, str]:
    if args.terraform_output:
        try:
            text = sys.stdin.read() if args.terraform_output == "-" else open(args.terraform_output, encoding="utf-8").read()
        except OSError as exc:
            raise UsageError(f"cannot read {args.terraform_output}: {exc.strerror}") from None
        default = os.path.basename(os.path.dirname(os.path.abspath(args.terraform_output))) or "instance"
    else:
        try:
            proc = subprocess.run(["terraform", "output", "-json"], cwd=args.terraform_dir,
                                  capture_output=True, text=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UsageError(f"cannot run terraform output in {args.terraform_dir}: {exc}") from None
        if proc.returncode != 0:
            raise UsageError(f"terraform output failed in {args.terraform_dir}: "
                             f"{' '.join(proc.stderr.split())[:300]}")
        text = proc.stdout
        default = os.path.basename(os.path.abspath(args.terraform_dir)) or "instance"
    try:
        return json.loads(text), default
    except ValueError:
        raise UsageError("the terraform output is not JSON (use `terraform output -json`)") from None


def names_from_subaccounts(client: "SparkPostClient", prefix: str) -> dict[int, str]:
    """Subaccount id -> instance name from the (paginated) subaccount list."""
    out: dict[int, str] = {}
    for sub in client.iter_subaccounts():
        if sub.status != "terminated":
            out[sub.id] = sub.name[len(prefix):] if prefix and sub.name.startswith(prefix) else sub.name
    return out


# ---- output -----------------------------------------------------------------------------------
def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.2f}%"


def render_table(instances: Sequence[Instance], start: dt.datetime, end: dt.datetime, overall: int) -> str:
    head = ("INSTANCE", "SUBACCOUNT", "TARGETED", "ACCEPTED", "DELIVERED", "BOUNCE", "HARD", "SOFT",
            "BLOCK", "SPAM", "STATUS")
    rows = [head]
    for i in instances:
        c = i.counts
        rows.append((i.name, str(i.subaccount_id), str(c.targeted), str(c.accepted), str(c.delivered),
                     _pct(c.rate("bounce")), _pct(c.rate("hard_bounce")), _pct(c.rate("soft_bounce")),
                     _pct(c.rate("block_bounce")), f"{c.spam_complaint} ({_pct(c.rate('spam_complaint'))})",
                     STATUS_NAMES[i.status].upper()))
    widths = [max(len(r[k]) for r in rows) for k in range(len(head))]
    lines = [f"Deliverability {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"]
    lines += ["  ".join(cell.ljust(w) if k in (0, 10) else cell.rjust(w) for k, (cell, w) in enumerate(zip(r, widths, strict=True))).rstrip()
              for r in rows]
    for i in instances:
        for reason in i.reasons:
            lines.append(f"  {i.name}: {reason}")
    lines.append(f"Overall: {STATUS_NAMES[overall].upper()} ({len(instances)} instances)")
    return "\n".join(lines)


# ---- main ----------------------------------------------------------------------------------------
def check(args: argparse.Namespace, now: dt.datetime | None = None) -> tuple[int, list[Instance], dt.datetime, dt.datetime]:
    from ..sparkpost.deliverability import SubaccountCounts

    if args.min_volume < 0:
        raise UsageError("--min-volume must not be negative")
    if args.terraform_output and args.terraform_dir:
        raise UsageError("give --terraform-output or --terraform-dir, not both")
    end = (now or dt.datetime.now(dt.timezone.utc)).replace(second=0, microsecond=0)
    start = end - args.window
    names: dict[int, str] | None = None
    if args.terraform_output or args.terraform_dir:
        doc, default = _read_terraform_output(args)
        names = names_from_terraform_output(doc, default)
    thresholds = {name: getattr(args, name) for name in DEFAULTS}
    with make_client(args, user_agent=PROG) as client:
        if names is None:
            rows = client.deliverability_by_subaccount(start=start, end=end)
            names = names_from_subaccounts(client, args.name_prefix)
            wanted = {r.subaccount_id for r in rows if r.subaccount_id in names}
        else:
            rows = client.deliverability_by_subaccount(start=start, end=end, subaccounts=sorted(names))
            wanted = set(names)  # instances without traffic are reported too
    if args.include_primary:
        names[0] = "(primary account)"
        wanted.add(0)
    by_id = {r.subaccount_id: r for r in rows}
    instances = [Instance(names[sid], sid, by_id.get(sid) or SubaccountCounts(subaccount_id=sid))
                 for sid in sorted(wanted, key=lambda s: (names[s], s))]
    for inst in instances:
        inst.judge(thresholds, args.min_volume)
    overall = max((i.status for i in instances), default=OK)
    return overall, instances, start, end


def main(argv: Sequence[str] | None = None) -> int:
    from ..sparkpost.errors import SparkPostError

    try:
        args = build_parser().parse_args(argv)
        overall, instances, start, end = check(args)
    except UsageError as exc:
        return fail(PROG, str(exc), UNKNOWN)
    except SparkPostError as exc:
        hint = " (the key needs the metrics/view grant)" if getattr(exc, "status", None) == 403 else ""
        return fail(PROG, f"could not check: {exc}{hint}", UNKNOWN)
    if args.format == "json":
        print(json.dumps({"status": STATUS_NAMES[overall], "exit_code": overall,
                          "window": {"from": start.strftime("%Y-%m-%dT%H:%MZ"), "to": end.strftime("%Y-%m-%dT%H:%MZ")},
                          "min_volume": args.min_volume,
                          "thresholds_percent": {n: {"warning": getattr(args, n)[0], "critical": getattr(args, n)[1]}
                                                 for n in DEFAULTS},
                          "instances": [i.as_json() for i in instances]}, indent=2))
    else:
        print(render_table(instances, start, end, overall))
    return overall


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
