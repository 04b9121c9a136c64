"""The tftest provider: `tftest_thing` (a resource) and `tftest_things` (a data source)."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

from provider.tfplugin.diagnostics import Diagnostics, ResourceError
from provider.tfplugin.resource import Context, DataSource, PlanContext, Provider, Resource
from provider.tfplugin.schema import Attribute, Block, NestedType, Schema, list_of, set_of
from provider.tfplugin.planmodifiers import RequiresReplace, UseStateForUnknown
from provider.tfplugin.values import Unknown


class Store:
    """A JSON file of objects, locked across the provider's processes."""

    def __init__(self, path: str) -> None:
        self.path = path

    @contextmanager
    def objects(self) -> Iterator[dict[str, Any]]:
        with open(self.path + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data: dict[str, Any] = {}
            if os.path.exists(self.path):
                with open(self.path) as f:
                    data = json.load(f)
            yield data
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(data, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)


def _max_len(n: int):
    return lambda v: None if len(v) <= n else f"must be at most {n} characters, got {len(v)}"


THING_SCHEMA = Schema(
    version=1,
    block=Block(
        description="A thing kept in the test store.",
        attributes=[
            Attribute("id", "string", computed=True, plan_modifiers=[UseStateForUnknown()], description="The id."),
            Attribute("name", "string", required=True, validators=[_max_len(20)], description="The name."),
            Attribute("size", "number", optional=True, computed=True, default=1, description="A number."),
            Attribute("tags", set_of("string"), optional=True, description="A set."),
            Attribute("zone", "string", optional=True, plan_modifiers=[RequiresReplace()], description="Forces replacement."),
            Attribute(
                "settings",
                nested=NestedType(
                    [
                        Attribute("mode", "string", optional=True),
                        Attribute("level", "number", optional=True),
                        Attribute("region", "string", optional=True, plan_modifiers=[RequiresReplace()]),
                    ]
                ),
                optional=True,
                description="A single nested attribute.",
            ),
            Attribute(
                "rules",
                nested=NestedType(
                    [
                        Attribute("port", "number", required=True),
                        Attribute("proto", "string", optional=True, computed=True, default="tcp"),
                    ],
                    nesting="list",
                ),
                optional=True,
            ),
            Attribute("secret", "string", optional=True, sensitive=True),
            Attribute("token", "string", optional=True, write_only=True),
            Attribute("big", "number", optional=True),
            Attribute("extra", "dynamic", optional=True),
            Attribute("behaviour", "string", optional=True),
            Attribute("created_at", "string", computed=True, plan_modifiers=[UseStateForUnknown()]),
            Attribute("revision", "number", computed=True),
            Attribute("token_seen", "bool", computed=True),
            Attribute("old", "string", optional=True, deprecated="use name"),
        ],
    ),
)

_CONFIG_FIELDS = ("name", "size", "tags", "zone", "settings", "rules", "secret", "big", "extra", "behaviour", "old")


class Thing(Resource):
    type_name = "tftest_thing"
    schema = THING_SCHEMA
    move_from = ("terraform_data",)

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        if config.get("behaviour") == "invalid":
            diags.error("Behaviour refused", "behaviour = \"invalid\" is refused at validate", ["behaviour"])

    def modify_plan(self, plan: PlanContext) -> None:
        if plan.config.get("behaviour") == "plan-warning":
            plan.diagnostics.warning("A plan warning", "from modify_plan", ["behaviour"])

    def _store(self, ctx: Context) -> Store:
        return Store(ctx.meta["store"])

    def _state(self, obj: dict[str, Any]) -> dict[str, Any]:
        state = {k: obj.get(k) for k in _CONFIG_FIELDS}
        state.update(id=obj["id"], created_at=obj["created_at"], revision=obj["revision"], token_seen=obj["token_seen"])
        return state

    def _behave(self, config: dict[str, Any]) -> None:
        b = config.get("behaviour")
        if b == "raise":
            raise RuntimeError(f"something broke inside the resource (secret={config.get('secret')})")
        if b == "error-at-name":
            raise ResourceError("The API refused the name", "it says the name is taken", ["name"])

    def create(self, ctx: Context, planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        self._behave(config)
        obj = {k: planned.get(k) for k in _CONFIG_FIELDS}
        obj.update(id=uuid.uuid4().hex[:12], created_at="2026-01-01T00:00:00Z", revision=1,
                   token_seen=config.get("token") is not None, etag="e1")
        with self._store(ctx).objects() as objects:
            objects[obj["id"]] = obj
        ctx.private["etag"] = obj["etag"]
        return self._state(obj)

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        with self._store(ctx).objects() as objects:
            obj = objects.get(state["id"])
            if obj is None:
                return None
            obj["last_private"] = ctx.private  # lets tests see private state round-trip
        return self._state(obj)

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        self._behave(config)
        with self._store(ctx).objects() as objects:
            obj = objects.get(prior["id"])
            if obj is None:
                raise ResourceError("Thing vanished", f"{prior['id']} is gone")
            obj.update({k: planned.get(k) for k in _CONFIG_FIELDS})
            obj["revision"] += 1
            obj["token_seen"] = config.get("token") is not None
        return self._state(obj)

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        with self._store(ctx).objects() as objects:
            objects.pop(state["id"], None)

    def import_state(self, ctx: Context, import_id: str) -> dict[str, Any]:
        with self._store(ctx).objects() as objects:
            if import_id not in objects:
                raise ResourceError("Cannot import", f"no thing with id {import_id!r}")
        return {"id": import_id}

    def upgrade_state(self, version: int, state: dict[str, Any]) -> dict[str, Any]:
        if version == 0 and "title" in state:  # v0 called the name "title"
            state = dict(state)
            state["name"] = state.pop("title")
        return state

    def move_state(self, source_type: str, source_version: int, state: dict[str, Any]) -> dict[str, Any]:
        raise ResourceError("Not movable", "tftest_thing takes no state from terraform_data in tests")


class Things(DataSource):
    type_name = "tftest_things"
    schema = Schema(
        block=Block(
            attributes=[
                Attribute("prefix", "string", optional=True),
                Attribute("names", list_of("string"), computed=True),
            ]
        )
    )

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any]:
        prefix = config.get("prefix") or ""
        with Store(ctx.meta["store"]).objects() as objects:
            names = sorted(o["name"] for o in objects.values() if o["name"].startswith(prefix))
        return {"prefix": config.get("prefix"), "names": names}


class TestProvider(Provider):
    name = "tftest"
    schema = Schema(block=Block(attributes=[Attribute("store", "string", required=True, description="Path of the JSON store.")]))
    resources = [Thing]
    data_sources = [Things]

    def configure(self, config: dict[str, Any], diags: Diagnostics, cancelled: threading.Event) -> Any:
        if isinstance(config.get("store"), Unknown):
            diags.error("Store unknown", "store must be known at plan time", ["store"])
            return None
        return {"store": config["store"]}
