"""What `sparkpost_api_key`'s calls to SparkPost share: errors with a 403 explained, the key's
owner as SparkPost's header takes it, and whether SparkPost's copy of a key must change."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from ..sparkpost.errors import Forbidden
from ..tfplugin.diagnostics import PathStep, ResourceError
from ..tfplugin.values import same_set
from .common import api_errors
from .plan_probes import API_KEYS_UNAVAILABLE_DETAIL
from .validators import positive_subaccount_id_text

FORBIDDEN_DETAIL = API_KEYS_UNAVAILABLE_DETAIL  # 403: no api_keys/manage, or no API-keys API


@contextmanager
def api_call(action: str, path: tuple[PathStep, ...] | None = None, *, state: dict[str, Any] | None = None) -> Iterator[None]:
    """`api_errors`, with a 403 explained for what it almost always means here."""
    with api_errors(action, path, state=state):
        try:
            yield
        except Forbidden as err:
            raise ResourceError(
                f"Could not {action}: the provider's API key may not manage API keys",
                f"{err}\n\n{FORBIDDEN_DETAIL}",
                path,
                state=state,
            ) from err


def sub_of(values: dict[str, Any]) -> int | None:
    """The owner as SparkPost's header takes it; `subaccount_id` is held as a string."""
    sub = values.get("subaccount_id")
    return None if sub is None else int(sub)


def known_sub(value: Any) -> int | None:
    """The owner named by a configuration value, when it is known and valid (else None)."""
    if isinstance(value, str) and positive_subaccount_id_text(value) is None:
        return int(value)
    return None


def owner_text(sub: int | None) -> str:
    return f"subaccount {sub}" if sub is not None else "the primary account"


def left_in_inactive_owner(key_id: str, sub: int, status: str) -> tuple[str, str]:
    """Destroy-time warning: SparkPost refused to revoke the key of an inactive subaccount."""
    why = ("A terminated subaccount never sends again, so the key can never be used." if status == "terminated"
           else f"It cannot be used while subaccount {sub} is suspended; if the subaccount is reactivated, "
                "revoke the key then (in the SparkPost app).")
    return (
        f"API key {key_id} left in {status} subaccount {sub}",
        f"SparkPost makes a {status} subaccount read-only: its API keys can be neither revoked nor changed, by "
        f"the subaccount or on its behalf. The key therefore stays in SparkPost and Terraform no longer manages "
        f"it. {why}",
    )


def sorted_ips(values: dict[str, Any]) -> list[str]:
    return sorted(values.get("valid_ips") or [])


def api_fields_differ(prior: dict[str, Any], planned: dict[str, Any]) -> bool:
    """Whether SparkPost's copy must change (null and empty valid_ips are the same to it)."""
    return (
        prior.get("label") != planned.get("label")
        or not same_set(prior.get("grants") or [], planned.get("grants") or [])
        or sorted_ips(prior) != sorted_ips(planned)
    )
