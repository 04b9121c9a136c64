"""Import IDs of every resource, parsed strictly, and the error a malformed one gets.

An import ID is read exactly as written: ASCII digits only (never another script's digits,
which Python's int() and str.isdigit() accept), no surrounding or inner spaces, no empty or
extra parts. A malformed ID is refused before any API call with "Invalid import ID for TYPE",
the ID as given (escaped, and shortened when long) and the forms expected.
"""

from __future__ import annotations

import re
from typing import Callable

from ..tfplugin.diagnostics import ResourceError
from .validators import SUBACCOUNT_ID_MAX, sending_domain_name

_SUBACCOUNT_ID = re.compile(r"[1-9][0-9]{0,9}", re.ASCII)
# Key ids SparkPost shows: UUIDs, and shorter words in its examples ("123id"). No dot, no slash,
# so an id can never name another path ("..") when it becomes a URL segment.
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,128}", re.ASCII)
_POOL_ID = re.compile(r"[A-Za-z0-9_]{1,20}", re.ASCII)  # SparkPost derives it from the pool's name
_WEBHOOK_ID = re.compile(r"[A-Za-z0-9-]{1,64}", re.ASCII)  # UUIDs

SUBACCOUNT_FORMS = "SUBACCOUNT_ID: the subaccount's numeric id, like 123."
API_KEY_FORMS = ("KEY_ID for a key of the primary account, or SUBACCOUNT_ID/KEY_ID for a subaccount's key, like "
                 "12/5f0c1d2e-0000-4000-8000-000000000001 (letters, digits, '-' and '_'). Ids are listed by "
                 "SparkPost's GET /api/v1/api-keys; they are not the key itself.")
IP_POOL_FORMS = ("POOL_ID: the pool's id (1 to 20 letters, digits or underscores), like marketing_ip_pool; "
                 "SparkPost derives it from the name when the pool is made.")
WEBHOOK_FORMS = ("WEBHOOK_ID for a webhook of every account, or SUBACCOUNT_ID:WEBHOOK_ID for a webhook of one "
                 "subaccount (0:WEBHOOK_ID for the primary account only), like 12affc24-f183-11e3-9234-3c15c2c818c2 "
                 "or 3:12affc24-f183-11e3-9234-3c15c2c818c2.")
DOMAIN_FORMS = ("DOMAIN for a domain of the primary account, like mail.example.com, or SUBACCOUNT_ID/DOMAIN for a "
                "subaccount's domain, like 3/mail.example.com.")


def shown(text: str, limit: int = 80) -> str:
    """The ID as an error shows it: escaped (control and non-ASCII characters visible) and
    shortened when long."""
    if len(text) <= limit:
        return ascii(text)
    return f"{ascii(text[:limit])}... ({len(text)} characters)"


def invalid(type_name: str, text: str, problem: str, forms: str) -> ResourceError:
    return ResourceError(f"Invalid import ID for {type_name}", f"{shown(text)}: {problem}\n\nExpected {forms}")


def subaccount_id(text: str, *, zero: bool = False) -> int:
    """A subaccount id written in an import ID; ValueError says what is wrong. ``zero``: 0 is
    allowed (a sending domain's `subaccount_id = 0` names the primary account)."""
    low = 0 if zero else 1
    if not text:
        raise ValueError("the subaccount id is missing.")
    if not (_SUBACCOUNT_ID.fullmatch(text) or (zero and text == "0")) or int(text) > SUBACCOUNT_ID_MAX:
        raise ValueError(f"{shown(text)} is not a subaccount id (a whole number from {low} to "
                         f"{SUBACCOUNT_ID_MAX}, in ASCII digits, without spaces, signs or leading zeros).")
    return int(text)


def parse_subaccount(text: str) -> int:
    try:
        return subaccount_id(text)
    except ValueError as err:
        raise invalid("sparkpost_subaccount", text, str(err), SUBACCOUNT_FORMS) from None


def _owned(text: str, sep: str, type_name: str, forms: str, *, zero: bool,
           problem_of: Callable[[str], str | None]) -> tuple[int | None, str]:
    """`ID` or `SUBACCOUNT_ID<sep>ID`: the subaccount (None without one) and the ID, which
    PROBLEM_OF checks (None when fine)."""
    parts = text.split(sep)
    try:
        if len(parts) > 2:
            raise ValueError(f"too many {sep!r}.")
        sub = subaccount_id(parts[0], zero=zero) if len(parts) == 2 else None
        problem = problem_of(parts[-1])
        if problem:
            raise ValueError(problem)
    except ValueError as err:
        raise invalid(type_name, text, str(err), forms) from None
    return sub, parts[-1]


def _id_problem(pattern: re.Pattern[str], what: str) -> Callable[[str], str | None]:
    def problem(value: str) -> str | None:
        if pattern.fullmatch(value):
            return None
        return f"the {what} is " + ("missing." if not value else f"{shown(value)}, which is not a {what}.")

    return problem


def parse_api_key(text: str) -> tuple[int | None, str]:
    """`KEY_ID` or `SUBACCOUNT_ID/KEY_ID`."""
    return _owned(text, "/", "sparkpost_api_key", API_KEY_FORMS, zero=False, problem_of=_id_problem(_KEY_ID, "key id"))


def parse_domain(text: str) -> tuple[int | None, str]:
    """`DOMAIN` or `SUBACCOUNT_ID/DOMAIN`."""
    return _owned(text, "/", "sparkpost_sending_domain", DOMAIN_FORMS, zero=True,
                  problem_of=lambda d: sending_domain_name(d) if d else "the domain is missing.")


def parse_ip_pool(text: str) -> str:
    """`POOL_ID`."""
    if not _POOL_ID.fullmatch(text):
        problem = "the pool id is missing." if not text else "not an IP pool id."
        raise invalid("sparkpost_ip_pool", text, problem, IP_POOL_FORMS)
    return text


def parse_webhook(text: str) -> tuple[int | None, str]:
    """`WEBHOOK_ID` or `SUBACCOUNT_ID:WEBHOOK_ID` (0: the primary account only)."""
    return _owned(text, ":", "sparkpost_webhook", WEBHOOK_FORMS, zero=True,
                  problem_of=_id_problem(_WEBHOOK_ID, "webhook id"))
