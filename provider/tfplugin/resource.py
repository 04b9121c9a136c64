"""The shape a provider, a resource and a data source take: classes with plain-value methods.

Values are dicts keyed by attribute name holding str, int/float/Decimal, bool, None, lists
(sets too), dicts and `Unknown`. Resources never see protobuf or msgpack.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from .diagnostics import Diagnostics, Path, ResourceError
from .schema import Schema


@dataclass
class Context:
    """What an operation can use besides its values."""

    meta: Any  # whatever Provider.configure returned (None before configuration)
    diagnostics: Diagnostics
    cancelled: threading.Event
    private: dict[str, Any] = field(default_factory=dict)  # provider-only data kept in state
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("provider"))

    def register_secret(self, value: str | None) -> None:
        """Scrub this value from every log line and diagnostic from now on."""
        from .redact import register

        register(value)


@dataclass
class PlanContext:
    """Handed to `Resource.modify_plan` after the shared plan semantics ran."""

    prior: dict[str, Any] | None  # None when creating
    config: dict[str, Any]
    planned: dict[str, Any]  # edit in place
    requires_replace: list[Path]  # add paths to force replacement
    diagnostics: Diagnostics
    private: dict[str, Any]
    meta: Any


class Resource:
    type_name: ClassVar[str]
    schema: ClassVar[Schema]
    # Source resource types a `moved {}` block may change into this one (MoveResourceState).
    move_from: ClassVar[tuple[str, ...]] = ()

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        """Cross-attribute checks beyond the per-attribute validators. Values may be Unknown."""

    def modify_plan(self, plan: PlanContext) -> None:
        """Adjust a plan after the shared semantics (defaults, unknowns, replacement)."""

    def plan_destroy(self, prior: dict[str, Any], diags: Diagnostics) -> None:
        """Object to a planned destroy (add an error) before anything is applied."""

    def create(self, ctx: Context, planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        """The object as it is now, or None when it is gone."""
        raise NotImplementedError

    def update(
        self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any], config: dict[str, Any]
    ) -> dict[str, Any]:
        raise NotImplementedError

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def import_state(self, ctx: Context, import_id: str) -> dict[str, Any]:
        """A partial state from an import id; Terraform then calls `read` to fill it in."""
        raise ResourceError(f"{self.type_name} does not support import")

    def upgrade_state(self, version: int, state: dict[str, Any]) -> dict[str, Any]:
        """Turn a state stored under schema `version` into the current schema's shape."""
        return state

    def move_state(self, source_type: str, source_version: int, state: dict[str, Any]) -> dict[str, Any]:
        raise ResourceError(f"{self.type_name} cannot be moved from {source_type}")


class DataSource:
    type_name: ClassVar[str]
    schema: ClassVar[Schema]

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        """Cross-attribute checks. Values may be Unknown."""

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class Configured:
    """What `Provider.configure` may return instead of the bare meta: the meta, and a check of the
    configuration that need not hold ConfigureProvider (an API call that proves the credentials,
    say). The check starts when ConfigureProvider has answered and runs beside the RPCs that
    follow; each RPC that needs the configured provider (read, plan, apply, import, data source
    read) waits for it before it answers, and fails with the check's errors if it failed, so a
    failed check still fails every plan and apply. `check(diags)` adds its findings to `diags`;
    it runs in another thread (see `background.ConfigureCheck`) and must watch the cancel event."""

    meta: Any
    check: Callable[[Diagnostics], None] | None = None


class Provider:
    """The provider: its configuration schema, its resources, and how to configure itself."""

    name: ClassVar[str]  # the type prefix, e.g. "example" for "example_thing"
    schema: ClassVar[Schema]
    resources: ClassVar[list[type[Resource]]] = []
    data_sources: ClassVar[list[type[DataSource]]] = []

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        """Checks of the provider block; values may be Unknown."""

    def configure(self, config: dict[str, Any], diags: Diagnostics, cancelled: threading.Event) -> Any:
        """Return the object resources receive as `ctx.meta` (an API client, say), or a
        `Configured` holding it and a check to run in the background."""
        return None
