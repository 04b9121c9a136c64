"""State upgrades shared by the resources whose schema version 1 made `subaccount_id` a string.

`sparkpost_api_key` and `sparkpost_sending_domain` stored it as a number before version 1; both
now hold it as text, the type of `sparkpost_subaccount.id`, and upgrade old states in place.
"""

from __future__ import annotations

from typing import Any


def subaccount_id_as_text(version: int, state: dict[str, Any]) -> dict[str, Any]:
    """A copy of `state` with a version-0 numeric `subaccount_id` turned into its digits."""
    state = dict(state)
    if version < 1:
        # Version 0 stored subaccount_id as a number (JSON 7, read as int or Decimal).
        sub = state.get("subaccount_id")
        if sub is not None and not isinstance(sub, str):
            state["subaccount_id"] = str(int(sub))
    return state
