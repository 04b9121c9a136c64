"""What the commands share: the SparkPost connection flags, the key, and argument errors that
exit with the command's own "could not run" code instead of argparse's 2."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from ..sparkpost.client import SparkPostClient


class UsageError(Exception):
    """Bad command-line input: one line for stderr, exit with the command's error code."""


class Parser(argparse.ArgumentParser):
    """argparse that raises UsageError: argparse's own exit code 2 means "critical" to a
    monitoring system reading the check's exit status."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("SparkPost connection")
    group.add_argument("--api-key-secret", metavar="VERSION",
                       help="a Secret Manager version holding the API key "
                            "(projects/P/secrets/S/versions/V); default: the SPARKPOST_API_KEY "
                            "environment variable")
    group.add_argument("--region", choices=("us", "eu"), default=None,
                       help="SparkPost region (default: SPARKPOST_REGION, else us)")
    group.add_argument("--base-url", default=None,
                       help="API base URL, e.g. an emulator (default: SPARKPOST_BASE_URL)")
    group.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    group.add_argument("--retry-deadline", type=float, default=60.0,
                       help="seconds to keep retrying 429s, 5xx and connection faults (default 60)")


def make_client(args: argparse.Namespace, user_agent: str) -> "SparkPostClient":
    """A client from the flags and environment; UsageError for a missing or unusable key."""
    key = None
    if args.api_key_secret:
        from ..secrets import SecretManagerError, SecretStore

        try:
            key = SecretStore().read(args.api_key_secret).strip()
        except SecretManagerError as err:
            raise UsageError(f"cannot read the API key from Secret Manager: {err.message}") from None
    else:
        key = os.environ.get("SPARKPOST_API_KEY") or None
    if not key:
        raise UsageError("no SparkPost API key: set SPARKPOST_API_KEY or pass --api-key-secret")
    region = args.region or os.environ.get("SPARKPOST_REGION") or "us"
    if region not in ("us", "eu"):
        raise UsageError(f"SPARKPOST_REGION must be us or eu, got {region!r}")
    from ..sparkpost.client import SparkPostClient

    try:
        return SparkPostClient(key, region=region,
                               base_url=args.base_url or os.environ.get("SPARKPOST_BASE_URL") or None,
                               timeout=args.timeout, retry_deadline=args.retry_deadline,
                               user_agent=user_agent)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def fail(prog: str, message: str, code: int) -> int:
    sys.stderr.write(f"{prog}: {message}\n")
    return code
