"""Named plan modifiers on attributes, as terraform-plugin-framework has them.

An attribute lists what its plan does beyond the shared semantics (`plan.py`):

- `UseStateForUnknown()`: a computed value fixed once set (an id, a key shown only at create)
  keeps its prior value in later plans instead of becoming "known after apply".
- `RequiresReplace()`: a change of the value replaces the resource.
- `RequiresReplaceIf(condition, description)`: the same, only when `condition` says so, e.g.
  not for a change of case only; `RequiresReplaceUnlessNullPrior()`: not when the prior state
  holds no value (after import).

Each modifier has a `description` that the docs generator adds to the attribute's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .diagnostics import Path

__all__ = ["PlanModifier", "UseStateForUnknown", "RequiresReplace", "RequiresReplaceIf",
           "RequiresReplaceUnlessNullPrior", "ReplaceRequest"]


@dataclass(frozen=True)
class ReplaceRequest:
    """What a replacement condition sees: the attribute's values and the whole objects."""

    path: Path
    prior_value: Any
    planned_value: Any
    prior: dict[str, Any]  # the prior state
    config: dict[str, Any]  # the configuration


class PlanModifier:
    """Base of the modifiers; `description` is shown in the generated docs (empty: nothing)."""

    description: str = ""


@dataclass(frozen=True)
class UseStateForUnknown(PlanModifier):
    description: str = ""  # an implementation detail of plans: the docs say nothing


@dataclass(frozen=True)
class RequiresReplaceIf(PlanModifier):
    condition: Callable[[ReplaceRequest], bool]
    description: str

    def replaces(self, request: ReplaceRequest) -> bool:
        return self.condition(request)


def _always(request: ReplaceRequest) -> bool:
    return True


class RequiresReplace(RequiresReplaceIf):
    def __init__(self) -> None:
        super().__init__(_always, "Changing this forces a new resource.")


def _prior_not_null(request: ReplaceRequest) -> bool:
    return request.prior_value is not None


class RequiresReplaceUnlessNullPrior(RequiresReplaceIf):
    """Replace, except where the prior state holds no value: after an import, for values an API
    cannot return, setting one only records it."""

    def __init__(self) -> None:
        super().__init__(
            _prior_not_null,
            "Changing this forces a new resource (except setting it where the state holds none, as after "
            "import: that is only recorded).",
        )
