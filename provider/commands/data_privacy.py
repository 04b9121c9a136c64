"""`sparkpost-data-privacy`: opt-out and deletion (right to be forgotten) requests for recipients.

SparkPost's Data Privacy API (data-privacy.apib) takes up to 1000 recipients per request, for
the primary account (optionally with every subaccount) or, with `X-MSYS-SUBACCOUNT`, for one
subaccount; requests "will be completed within 30 days" and cannot be read back or undone.
So this is a command, not a Terraform resource, and it is a dry run unless `--send` is given:
it prints what it would send and sends nothing.

Recipients come from arguments and/or `--file` (one address per line; `#` comments and blank
lines ignored; `-` for stdin); duplicates are dropped (case-insensitively), obviously invalid
addresses stop the command before anything is sent. Each request sent gets one log line on
stderr (kind, scope, batch, count, SparkPost's answer); addresses are never logged, only
counted, since the point of the request is to forget them.

Exit status: 0 done (or dry run), 1 a request failed (those before it were sent: the log says
which), 2 bad arguments or input. The key needs the `data_privacy/manage` grant, which the
operator key does not have.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Sequence

from .cli import Parser, UsageError, add_connection_flags, fail, make_client

PROG = "sparkpost-data-privacy"
KINDS = {"opt-out": "opt-out", "delete": "rtbf"}  # command word -> API path word
BATCH = 1000  # "Array of email addresses (max 1000)"
# Deliberately simple: one @, something before it, a dot-bearing domain after it; no spaces or
# control characters anywhere (a NUL in a file means a broken file, not an address).
_EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+\Z")


def _subaccount_id(text: str) -> int:
    """ASCII digits only: int() also reads "１２" (fullwidth) and " 12 " as 12, which the import IDs
    refuse; a request that cannot be undone goes to the subaccount written, or to none."""
    if not re.fullmatch(r"[0-9]{1,10}", text, re.ASCII):
        raise argparse.ArgumentTypeError(f"{text!r} is not a subaccount id (0 or more, in ASCII digits)")
    return int(text)


def build_parser() -> Parser:
    p = Parser(prog=PROG, description=(
        "Send SparkPost Data Privacy requests: opt-out of third-party data use, or delete "
        "(right to be forgotten). A dry run unless --send is given."))
    p.add_argument("kind", choices=sorted(KINDS), help="opt-out, or delete (a request to be forgotten)")
    p.add_argument("recipients", nargs="*", metavar="EMAIL", help="recipient addresses")
    p.add_argument("--file", metavar="PATH", help="more recipients, one per line ('-' for stdin)")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--subaccount", type=_subaccount_id, metavar="ID", help="only this subaccount's data")
    scope.add_argument("--include-subaccounts", action="store_true",
                       help="the primary account and every subaccount (default: the primary account only)")
    p.add_argument("--send", action="store_true", help="really send the requests (default: dry run)")
    add_connection_flags(p)
    return p


def read_recipients(args: argparse.Namespace) -> list[str]:
    raw: list[tuple[str, str]] = [(r, "argument") for r in args.recipients]
    if args.file:
        try:
            text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}") from None
        for n, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if line:
                raw.append((line, f"{args.file} line {n}"))
    seen: set[str] = set()
    out: list[str] = []
    for address, where in raw:
        if not _EMAIL_RE.match(address):
            raise UsageError(f"not an email address ({where}): {address[:80]!r}")
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    if not out:
        raise UsageError("no recipients: give addresses as arguments or with --file")
    return out


def _scope(args: argparse.Namespace) -> str:
    if args.subaccount is not None:
        return f"subaccount {args.subaccount}"
    return "primary account and all subaccounts" if args.include_subaccounts else "primary account only"


def main(argv: Sequence[str] | None = None) -> int:
    from ..sparkpost.errors import SparkPostError

    try:
        # Intermixed: "opt-out --include-subaccounts a@b.com" (a flag between the kind and the
        # addresses) was "unrecognized arguments: a@b.com", the addresses list already closed.
        args = build_parser().parse_intermixed_args(argv)
        if args.subaccount is not None and args.subaccount < 0:
            raise UsageError("--subaccount must be a subaccount id (0 or more)")
        recipients = read_recipients(args)
    except UsageError as exc:
        return fail(PROG, str(exc), 2)
    kind = KINDS[args.kind]
    batches = [recipients[i:i + BATCH] for i in range(0, len(recipients), BATCH)]
    scope = _scope(args)
    if not args.send:
        print(f"DRY RUN: would send {len(batches)} {args.kind} request(s) for {len(recipients)} "
              f"recipient(s), scope: {scope}. Nothing was sent; add --send to send.")
        for n, batch in enumerate(batches, 1):
            print(f"  request {n}: POST /api/v1/data-privacy/{kind}-request, {len(batch)} recipient(s)")
            for address in batch:
                print(f"    {address}")
        return 0
    try:
        client = make_client(args, user_agent=PROG)
    except UsageError as exc:
        return fail(PROG, str(exc), 2)
    sent = 0
    with client:
        for n, batch in enumerate(batches, 1):
            try:
                message = client.data_privacy_request(kind, batch, subaccount=args.subaccount,
                                                      include_subaccounts=args.include_subaccounts)
            except SparkPostError as exc:
                hint = " (the key needs the data_privacy/manage grant)" if getattr(exc, "status", None) == 403 else ""
                sys.stderr.write(f"{PROG}: {args.kind} request {n}/{len(batches)} ({len(batch)} recipients, "
                                 f"{scope}) FAILED: {exc}{hint}\n")
                return fail(PROG, f"{sent} of {len(recipients)} recipients were sent before the failure", 1)
            sent += len(batch)
            sys.stderr.write(f"{PROG}: {args.kind} request {n}/{len(batches)}: {len(batch)} recipients, "
                             f"{scope}: {message}\n")
    print(f"Sent {len(batches)} {args.kind} request(s) for {len(recipients)} recipient(s), scope: {scope}. "
          "SparkPost completes them within 30 days.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
