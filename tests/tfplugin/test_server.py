"""The gRPC servicer, called directly with protobuf messages (no network)."""

from __future__ import annotations

import json
import threading
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import msgpack
import pytest
from google.protobuf.message_factory import GetMessageClass

from provider.tfplugin import values
from provider.tfplugin.diagnostics import Diagnostics, ResourceError
from provider.tfplugin.proto import tfplugin6_pb2 as pb
from provider.tfplugin.resource import Context, DataSource, PlanContext, Provider, Resource
from provider.tfplugin.schema import Attribute, Block, NestedType, Schema
from provider.tfplugin.server import ProviderServicer
from tests.support.testprovider.provider import THING_SCHEMA, TestProvider

THING_TY = THING_SCHEMA.cty_type


def dv(value: Any, ty: Any) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=values.encode_msgpack(value, ty))


def undv(msg: pb.DynamicValue, ty: Any) -> Any:
    return values.decode_msgpack(msg.msgpack, ty)


def errors(resp: Any) -> list[Any]:
    return [d for d in resp.diagnostics if d.severity == pb.Diagnostic.ERROR]


def thing(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {a.name: None for a in THING_SCHEMA.block.attributes}
    out.update(kw)
    return out


@pytest.fixture(autouse=True)
def quiet_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_LOG", raising=False)
    monkeypatch.delenv("TF_LOG_PROVIDER", raising=False)


@pytest.fixture
def srv(tmp_path: Path) -> ProviderServicer:
    s = ProviderServicer(TestProvider(), threading.Event())
    resp = s.ConfigureProvider(
        pb.ConfigureProvider.Request(config=dv({"store": str(tmp_path / "store.json")}, TestProvider.schema.cty_type)), None
    )
    assert not resp.diagnostics
    return s


def plan(srv: ProviderServicer, prior: Any, config: Any, private: bytes = b"", type_name: str = "tftest_thing", ty: Any = THING_TY) -> Any:
    proposed = None
    if config is not None:
        proposed = dict(config)
        if prior is not None:  # Terraform's proposal: prior values for computed nulls
            for a in THING_SCHEMA.block.attributes:
                if a.computed and config.get(a.name) is None:
                    proposed[a.name] = prior[a.name]
    return srv.PlanResourceChange(
        pb.PlanResourceChange.Request(
            type_name=type_name, prior_state=dv(prior, ty), proposed_new_state=dv(proposed, ty),
            config=dv(config, ty), prior_private=private,
        ),
        None,
    )


def apply(srv: ProviderServicer, prior: Any, planned_msg: pb.DynamicValue, config: Any, private: bytes = b"", type_name: str = "tftest_thing", ty: Any = THING_TY) -> Any:
    return srv.ApplyResourceChange(
        pb.ApplyResourceChange.Request(
            type_name=type_name, prior_state=dv(prior, ty), planned_state=planned_msg, config=dv(config, ty), planned_private=private,
        ),
        None,
    )


# ---------------------------------------------------------------- metadata and schema


def test_get_metadata(srv: ProviderServicer) -> None:
    resp = srv.GetMetadata(pb.GetMetadata.Request(), None)
    assert [r.type_name for r in resp.resources] == ["tftest_thing"]
    assert [d.type_name for d in resp.data_sources] == ["tftest_things"]
    caps = resp.server_capabilities
    assert caps.plan_destroy and caps.get_provider_schema_optional
    assert caps.move_resource_state  # tftest_thing declares move_from
    assert not resp.diagnostics


def test_move_capability_follows_resources() -> None:
    class P(Provider):
        name = "p"
        schema = Schema(Block())
        resources = [type("R", (Resource,), {"type_name": "p_r", "schema": Schema(Block())})]

    resp = ProviderServicer(P(), threading.Event()).GetMetadata(pb.GetMetadata.Request(), None)
    assert not resp.server_capabilities.move_resource_state


def test_get_provider_schema(srv: ProviderServicer) -> None:
    resp = srv.GetProviderSchema(pb.GetProviderSchema.Request(), None)
    assert not resp.diagnostics
    store = resp.provider.block.attributes[0]
    assert store.name == "store" and store.required and json.loads(store.type) == "string"
    thing_schema = resp.resource_schemas["tftest_thing"]
    assert thing_schema.version == 1
    attrs = {a.name: a for a in thing_schema.block.attributes}
    assert attrs["secret"].sensitive and attrs["token"].write_only and attrs["old"].deprecated
    assert attrs["settings"].nested_type.nesting == pb.Schema.Object.SINGLE
    assert attrs["rules"].nested_type.nesting == pb.Schema.Object.LIST
    assert set(resp.data_source_schemas) == {"tftest_things"}
    assert resp.server_capabilities.plan_destroy
    assert srv.GetProviderSchema(pb.GetProviderSchema.Request(), None) is resp  # built once


# ---------------------------------------------------------------- every RPC answers, none raises

IMPLEMENTED = {
    "GetMetadata", "GetProviderSchema", "ValidateProviderConfig", "ValidateResourceConfig", "ValidateDataResourceConfig",
    "UpgradeResourceState", "ConfigureProvider", "ReadResource", "PlanResourceChange", "ApplyResourceChange",
    "ImportResourceState", "MoveResourceState", "ReadDataSource", "StopProvider",
}
EMPTY_ANSWER = {"GetResourceIdentitySchemas", "GetFunctions"}
METHODS = list(pb.DESCRIPTOR.services_by_name["Provider"].methods)


def call(srv: ProviderServicer, method: Any, request: Any) -> list[Any]:
    handler = getattr(srv, method.name)
    result = handler(iter([request]) if method.client_streaming else request, None)
    return list(result) if method.server_streaming else [result]


def error_texts(msg: Any) -> list[str]:
    fields = msg.DESCRIPTOR.fields_by_name
    diags: list[Any] = []
    if "diagnostics" in fields:
        diags = list(msg.diagnostics)
    elif "diagnostic" in fields:
        diags = list(msg.diagnostic)
    elif "completed" in fields:
        diags = list(msg.completed.diagnostics)
    elif "error" in fields:
        return [msg.error.text] if msg.error.text else []
    return [f"{d.summary}: {d.detail}" for d in diags if d.severity == pb.Diagnostic.ERROR]


@pytest.mark.parametrize("method", [m for m in METHODS if m.name not in IMPLEMENTED | EMPTY_ANSWER], ids=lambda m: m.name)
def test_unimplemented_rpcs_answer_not_supported(srv: ProviderServicer, method: Any) -> None:
    responses = call(srv, method, GetMessageClass(method.input_type)())
    assert len(responses) == 1
    (resp,) = responses
    assert type(resp).DESCRIPTOR.full_name == method.output_type.full_name
    texts = error_texts(resp)
    assert len(texts) == 1, resp
    assert "not support" in texts[0].lower() and method.name in texts[0]
    assert f"The {srv.provider.name} provider" in texts[0]  # the provider's name, not one baked in


@pytest.mark.parametrize("name", sorted(EMPTY_ANSWER))
def test_identity_schemas_and_functions_are_empty(srv: ProviderServicer, name: str) -> None:
    method = pb.DESCRIPTOR.services_by_name["Provider"].methods_by_name[name]
    (resp,) = call(srv, method, GetMessageClass(method.input_type)())
    assert resp == GetMessageClass(method.output_type)()


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_every_rpc_survives_an_empty_request(srv: ProviderServicer, method: Any) -> None:
    # An empty request names no type: a diagnostic at most, never an exception.
    responses = call(srv, method, GetMessageClass(method.input_type)())
    for resp in responses:
        assert type(resp).DESCRIPTOR.full_name == method.output_type.full_name
        for text in error_texts(resp):
            assert "Traceback" not in text


def test_unknown_resource_type(srv: ProviderServicer) -> None:
    resp = plan(srv, None, thing(name="x"), type_name="tftest_nope")
    assert [e.summary for e in errors(resp)] == ["Unknown resource type"]
    resp = srv.ReadDataSource(pb.ReadDataSource.Request(type_name="tftest_nope"), None)
    assert [e.summary for e in errors(resp)] == ["Unknown data source"]


# ---------------------------------------------------------------- validation


def test_validators_and_validate_hook(srv: ProviderServicer) -> None:
    cfg = thing(name="a" * 25, behaviour="invalid")
    resp = srv.ValidateResourceConfig(pb.ValidateResourceConfig.Request(type_name="tftest_thing", config=dv(cfg, THING_TY)), None)
    by_summary = {e.summary: e for e in errors(resp)}
    assert set(by_summary) == {"Invalid value for name", "Behaviour refused"}
    assert "at most 20 characters" in by_summary["Invalid value for name"].detail
    assert by_summary["Invalid value for name"].attribute.steps[0].attribute_name == "name"
    # unknown values are not validated
    cfg = thing(name=values.UNKNOWN)
    resp = srv.ValidateResourceConfig(pb.ValidateResourceConfig.Request(type_name="tftest_thing", config=dv(cfg, THING_TY)), None)
    assert not resp.diagnostics


def validate_thing(srv: ProviderServicer, **kw: Any) -> list[Any]:
    resp = srv.ValidateResourceConfig(
        pb.ValidateResourceConfig.Request(type_name="tftest_thing", config=dv(thing(**kw), THING_TY)), None
    )
    return errors(resp)


def steps(diag: Any) -> list[Any]:
    return [s.attribute_name or s.element_key_int or s.element_key_string for s in diag.attribute.steps]


def test_null_required_attribute_is_an_error_at_its_path(srv: ProviderServicer) -> None:
    (e,) = validate_thing(srv, name=None)
    assert e.summary == "Missing value for name"
    assert "may not be null" in e.detail
    assert steps(e) == ["name"]


def test_null_required_attribute_inside_a_nested_object(srv: ProviderServicer) -> None:
    (e,) = validate_thing(srv, name="a", rules=[{"port": 1, "proto": None}, {"port": None, "proto": "udp"}])
    # the path of a nested attribute's error anchors at the outermost attribute and the summary
    # names the whole path (Terraform underlines paths into nested attributes only that far)
    assert e.summary == "Missing value for rules[1].port"
    assert steps(e) == ["rules"]


def test_null_optional_attributes_mean_not_set(srv: ProviderServicer) -> None:
    assert validate_thing(srv, name="a", settings={"mode": None, "level": None, "region": None}) == []
    assert validate_thing(srv, name="a", settings=None, rules=None, tags=None) == []


def test_null_collection_elements_are_errors(srv: ProviderServicer) -> None:
    (e,) = validate_thing(srv, name="a", tags=["x", None])
    assert e.summary == "Null element in tags"
    assert "an element" in e.detail
    (e,) = validate_thing(srv, name="a", rules=[{"port": 1, "proto": None}, None])
    assert e.summary == "Null element in rules" and "[1]" in e.detail


def test_own_checks_do_not_run_on_a_config_missing_required_values(srv: ProviderServicer) -> None:
    # the resource's validate hook may rely on required values being there
    summaries = [e.summary for e in validate_thing(srv, name=None, behaviour="invalid")]
    assert summaries == ["Missing value for name"]
    summaries = [e.summary for e in validate_thing(srv, name="a", behaviour="invalid")]
    assert summaries == ["Behaviour refused"]


def test_configure_with_unknown_store(srv: ProviderServicer) -> None:
    resp = srv.ConfigureProvider(pb.ConfigureProvider.Request(config=dv({"store": values.UNKNOWN}, TestProvider.schema.cty_type)), None)
    assert [e.summary for e in errors(resp)] == ["Store unknown"]


# ---------------------------------------------------------------- exceptions become diagnostics


def test_exception_in_resource_code_is_a_readable_scrubbed_diagnostic(srv: ProviderServicer) -> None:
    secret = f"hunter2-{uuid.uuid4().hex}"  # never seen by this process before
    cfg = thing(name="n", behaviour="raise", secret=secret)
    p = plan(srv, None, cfg)
    assert not errors(p)
    resp = apply(srv, None, p.planned_state, cfg)
    (err,) = errors(resp)
    assert err.summary == "Unexpected error while applying tftest_thing"
    assert err.detail.startswith("RuntimeError: something broke inside the resource (secret=(redacted))")
    assert "Traceback" not in err.detail and "TF_LOG=debug" in err.detail
    assert secret not in str(resp)
    assert undv(resp.new_state, THING_TY) is None  # nothing was created


def test_traceback_only_with_debug_logging(srv: ProviderServicer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_LOG_PROVIDER", "DEBUG")
    secret = f"hunter2-{uuid.uuid4().hex}"
    cfg = thing(name="n", behaviour="raise", secret=secret)
    resp = apply(srv, None, plan(srv, None, cfg).planned_state, cfg)
    (err,) = errors(resp)
    assert "Traceback (most recent call last)" in err.detail and "in _behave" in err.detail
    assert secret not in err.detail and "(redacted)" in err.detail


def test_resource_error_keeps_its_path(srv: ProviderServicer) -> None:
    cfg = thing(name="n", behaviour="error-at-name")
    resp = apply(srv, None, plan(srv, None, cfg).planned_state, cfg)
    (err,) = errors(resp)
    assert (err.summary, err.detail) == ("The API refused the name", "it says the name is taken")
    assert [s.attribute_name for s in err.attribute.steps] == ["name"]


# A tiny provider for the paths tftest does not take.

CALLS: list[tuple[str, Any]] = []
PARTIAL_SCHEMA = Schema(
    Block(
        attributes=[
            Attribute("id", "string", computed=True),
            Attribute("name", "string", required=True),
            Attribute("status", "string", computed=True),
            Attribute("pw", "string", optional=True, write_only=True),
            Attribute("key", "string", optional=True, sensitive=True),
        ]
    )
)


class Partial(Resource):
    type_name = "tiny_partial"
    schema = PARTIAL_SCHEMA

    def create(self, ctx: Context, planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        made = dict(planned, id="made-1", status=values.UNKNOWN, pw=config.get("pw"))
        raise ResourceError("Half done", "created, then tagging failed", state=made)

    def plan_destroy(self, prior: dict[str, Any], diags: Diagnostics) -> None:
        CALLS.append(("plan_destroy", prior))
        if prior.get("name") == "protected":
            diags.error("Protected", "this one may not be destroyed")

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        CALLS.append(("delete", state))


class Lookup(DataSource):
    type_name = "tiny_lookup"
    schema = Schema(Block(attributes=[Attribute("password", "string", required=True, sensitive=True),
                                      Attribute("out", "string", computed=True)]))

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any]:
        raise ConnectionError(f"login refused for password {config['password']}")


class Tiny(Provider):
    name = "tiny"
    schema = Schema(Block())
    resources: ClassVar[list[type[Resource]]] = [Partial]
    data_sources: ClassVar[list[type[DataSource]]] = [Lookup]


@pytest.fixture
def tiny() -> ProviderServicer:
    CALLS.clear()
    return ProviderServicer(Tiny(), threading.Event())


def test_resource_error_with_state_keeps_the_partial_object(tiny: ProviderServicer) -> None:
    ty = PARTIAL_SCHEMA.cty_type
    cfg = {"id": None, "name": "n", "status": None, "pw": "write-only-pw", "key": None}
    resp = apply(tiny, None, dv(dict(cfg, id=values.UNKNOWN, status=values.UNKNOWN, pw=None), ty), cfg, type_name="tiny_partial", ty=ty)
    (err,) = errors(resp)
    assert (err.summary, err.detail) == ("Half done", "created, then tagging failed")
    # Terraform records what exists, finalized: no unknowns, no write-only values.
    assert undv(resp.new_state, ty) == {"id": "made-1", "name": "n", "status": None, "pw": None, "key": None}


def test_plan_destroy_is_called_on_the_destroy_path(tiny: ProviderServicer) -> None:
    ty = PARTIAL_SCHEMA.cty_type
    prior = {"id": "i", "name": "keep-me", "status": "ok", "pw": None, "key": None}
    resp = plan(tiny, prior, None, type_name="tiny_partial", ty=ty)
    assert not resp.diagnostics
    assert undv(resp.planned_state, ty) is None
    assert resp.planned_state.msgpack == b"\xc0"  # an explicit msgpack nil
    assert CALLS == [("plan_destroy", prior)]
    resp = plan(tiny, dict(prior, name="protected"), None, type_name="tiny_partial", ty=ty)
    assert [e.summary for e in errors(resp)] == ["Protected"]
    # destroy-and-nothing: no prior, no proposed
    CALLS.clear()
    resp = plan(tiny, None, None, type_name="tiny_partial", ty=ty)
    assert not resp.diagnostics and CALLS == []


def test_apply_destroy_calls_delete(tiny: ProviderServicer) -> None:
    ty = PARTIAL_SCHEMA.cty_type
    prior = {"id": "i", "name": "n", "status": "ok", "pw": None, "key": None}
    resp = apply(tiny, prior, dv(None, ty), None, type_name="tiny_partial", ty=ty)
    assert not resp.diagnostics
    assert undv(resp.new_state, ty) is None
    assert CALLS == [("delete", prior)]


def test_data_source_exception_never_shows_a_sensitive_config_value(tiny: ProviderServicer) -> None:
    secret = f"pa55-{uuid.uuid4().hex}"
    ty = Lookup.schema.cty_type
    resp = tiny.ReadDataSource(pb.ReadDataSource.Request(type_name="tiny_lookup", config=dv({"password": secret, "out": None}, ty)), None)
    (err,) = errors(resp)
    assert err.summary == "Unexpected error while reading data source tiny_lookup"
    assert "ConnectionError: login refused for password (redacted)" in err.detail
    assert secret not in str(resp)


def test_sensitive_values_in_resource_state_are_registered(tiny: ProviderServicer) -> None:
    ty = PARTIAL_SCHEMA.cty_type
    secret = f"key-{uuid.uuid4().hex}"
    prior = {"id": "i", "name": "n", "status": "ok", "pw": None, "key": secret}

    class Boom(Exception):
        pass

    def read(ctx: Context, state: dict[str, Any]) -> dict[str, Any]:
        raise Boom(f"the server echoed {state['key']}")

    tiny.resources["tiny_partial"].read = read
    resp = tiny.ReadResource(pb.ReadResource.Request(type_name="tiny_partial", current_state=dv(prior, ty)), None)
    (err,) = errors(resp)
    assert secret not in err.detail and "(redacted)" in err.detail
    assert undv(resp.new_state, ty) == prior  # the state is left as it was


# ---------------------------------------------------------------- state upgrade and move


def upgrade(srv: ProviderServicer, version: int, raw: Any = None, flatmap: dict[str, str] | None = None) -> Any:
    raw_state = pb.RawState(json=json.dumps(raw).encode() if raw is not None else b"", flatmap=flatmap or {})
    return srv.UpgradeResourceState(pb.UpgradeResourceState.Request(type_name="tftest_thing", version=version, raw_state=raw_state), None)


def test_upgrade_from_version_0_renames_title(srv: ProviderServicer) -> None:
    resp = upgrade(srv, 0, {"id": "abc", "title": "old-name", "size": 2, "dropped_long_ago": True})
    assert not resp.diagnostics
    assert undv(resp.upgraded_state, THING_TY) == thing(id="abc", name="old-name", size=2)


def test_upgrade_at_current_version_normalises_only(srv: ProviderServicer) -> None:
    state = thing(id="abc", name="n", size=1, tags=["a"], settings={"mode": "m", "level": 0.1, "region": None}, big=2**80)
    resp = upgrade(srv, 1, state)
    assert not resp.diagnostics
    out = undv(resp.upgraded_state, THING_TY)
    # 0.1 goes back exactly as cty sends it (decimal text), not as the float64 nearest to it
    assert msgpack.unpackb(resp.upgraded_state.msgpack)["settings"]["level"] == "0.1"
    assert out == dict(state, settings=dict(state["settings"], level=Decimal("0.1")))


def test_upgrade_from_a_newer_version_is_an_error(srv: ProviderServicer) -> None:
    resp = upgrade(srv, 2, thing(id="abc", name="n"))
    (err,) = errors(resp)
    assert err.summary == "State written by a newer provider"
    assert "schema version 2" in err.detail and "up to 1" in err.detail


def test_upgrade_flatmap_only_is_an_error(srv: ProviderServicer) -> None:
    resp = upgrade(srv, 0, flatmap={"id": "abc", "name": "n"})
    (err,) = errors(resp)
    assert err.summary == "State too old to upgrade" and "flatmap" in err.detail
    assert undv(resp.upgraded_state, THING_TY) is None


def test_move_from_an_undeclared_type_is_an_error(srv: ProviderServicer) -> None:
    req = pb.MoveResourceState.Request(
        source_type_name="aws_instance", target_type_name="tftest_thing", source_state=pb.RawState(json=b'{"id":"x"}'),
        source_private=b'{"k":1}',
    )
    resp = srv.MoveResourceState(req, None)
    (err,) = errors(resp)
    assert err.summary == "Move not supported" and "aws_instance" in err.detail
    assert not resp.target_state.msgpack


def test_move_from_a_declared_type_reaches_the_resource(srv: ProviderServicer) -> None:
    req = pb.MoveResourceState.Request(
        source_type_name="terraform_data", target_type_name="tftest_thing", source_state=pb.RawState(json=b'{"id":"x"}')
    )
    resp = srv.MoveResourceState(req, None)
    assert [e.summary for e in errors(resp)] == ["Not movable"]  # tftest's move_state refuses


# ---------------------------------------------------------------- private state, read, import


def test_private_state_round_trips_plan_apply_read(srv: ProviderServicer, tmp_path: Path) -> None:
    cfg = thing(name="n1", tags=["b", "a"], settings={"mode": "m", "level": 2, "region": "eu"})
    p = plan(srv, None, cfg, private=b"")
    assert not errors(p)
    planned = undv(p.planned_state, THING_TY)
    assert isinstance(planned["id"], values.Unknown) and planned["size"] == 1
    assert p.planned_private == b""
    a = apply(srv, None, p.planned_state, cfg, private=p.planned_private)
    assert not a.diagnostics
    assert json.loads(a.private) == {"etag": "e1"}
    state = undv(a.new_state, THING_TY)
    assert state["id"] and state["revision"] == 1 and state["token"] is None
    r = srv.ReadResource(pb.ReadResource.Request(type_name="tftest_thing", current_state=a.new_state, private=a.private), None)
    assert not r.diagnostics
    assert json.loads(r.private) == {"etag": "e1"}
    assert undv(r.new_state, THING_TY) == state
    store = json.loads((tmp_path / "store.json").read_text())
    assert store[state["id"]]["last_private"] == {"etag": "e1"}  # the resource saw it on read
    # a no-op re-plan carries the private state on, and plans no change
    p2 = plan(srv, state, dict(cfg, tags=["a", "b"]), private=r.private)
    assert json.loads(p2.planned_private) == {"etag": "e1"}
    assert values.equal(undv(p2.planned_state, THING_TY), state, THING_TY)  # tags: a set
    assert not p2.requires_replace


def test_plan_replace_paths_reach_terraform(srv: ProviderServicer) -> None:
    cfg = thing(name="n", zone="z1", settings={"mode": None, "level": None, "region": "eu"})
    a = apply(srv, None, plan(srv, None, cfg).planned_state, cfg)
    state = undv(a.new_state, THING_TY)
    p = plan(srv, state, dict(cfg, zone="z2", settings={"mode": None, "level": None, "region": "us"}))
    paths = sorted(tuple(s.attribute_name for s in rp.steps) for rp in p.requires_replace)
    assert paths == [("settings", "region"), ("zone",)]


def test_read_of_a_vanished_object_is_null(srv: ProviderServicer) -> None:
    gone = thing(id="nope", name="n")
    r = srv.ReadResource(pb.ReadResource.Request(type_name="tftest_thing", current_state=dv(gone, THING_TY)), None)
    assert not r.diagnostics
    assert undv(r.new_state, THING_TY) is None


def test_import(srv: ProviderServicer) -> None:
    cfg = thing(name="n")
    state = undv(apply(srv, None, plan(srv, None, cfg).planned_state, cfg).new_state, THING_TY)
    resp = srv.ImportResourceState(pb.ImportResourceState.Request(type_name="tftest_thing", id=state["id"]), None)
    assert not resp.diagnostics
    (imp,) = resp.imported_resources
    assert imp.type_name == "tftest_thing"
    assert undv(imp.state, THING_TY) == thing(id=state["id"])
    resp = srv.ImportResourceState(pb.ImportResourceState.Request(type_name="tftest_thing", id="missing"), None)
    assert [e.summary for e in errors(resp)] == ["Cannot import"]
    assert not resp.imported_resources


def test_data_source_read(srv: ProviderServicer) -> None:
    for name in ("alpha", "beta", "alps"):
        cfg = thing(name=name)
        apply(srv, None, plan(srv, None, cfg).planned_state, cfg)
    ty = srv.data_sources["tftest_things"].schema.cty_type
    resp = srv.ReadDataSource(pb.ReadDataSource.Request(type_name="tftest_things", config=dv({"prefix": "al", "names": None}, ty)), None)
    assert not resp.diagnostics
    assert undv(resp.state, ty) == {"prefix": "al", "names": ["alpha", "alps"]}


def test_modify_plan_warning(srv: ProviderServicer) -> None:
    p = plan(srv, None, thing(name="n", behaviour="plan-warning"))
    assert [(d.severity, d.summary) for d in p.diagnostics] == [(pb.Diagnostic.WARNING, "A plan warning")]


# ---------------------------------------------------------------- stop


def test_stop_provider_sets_the_cancel_event(srv: ProviderServicer) -> None:
    assert not srv.cancelled.is_set()
    resp = srv.StopProvider(pb.StopProvider.Request(), None)
    assert resp.Error == ""
    assert srv.cancelled.is_set()


def test_cancel_event_reaches_resource_code() -> None:
    seen: list[bool] = []

    class R(Resource):
        type_name = "c_r"
        schema = Schema(Block(attributes=[Attribute("id", "string", computed=True)]))

        def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
            seen.append(ctx.cancelled.is_set())
            return state

    class P(Provider):
        name = "c"
        schema = Schema(Block())
        resources = [R]

    s = ProviderServicer(P(), threading.Event())
    req = pb.ReadResource.Request(type_name="c_r", current_state=dv({"id": "x"}, R.schema.cty_type))
    s.ReadResource(req, None)
    s.StopProvider(pb.StopProvider.Request(), None)
    s.ReadResource(req, None)
    assert seen == [False, True]


def test_nested_sensitive_values_are_registered_from_plan() -> None:
    inner = NestedType([Attribute("k", "string", optional=True)], nesting="list")
    schema = Schema(Block(attributes=[Attribute("creds", nested=inner, optional=True, sensitive=True)]))

    class R(Resource):
        type_name = "n_r"

        def modify_plan(self, plan: PlanContext) -> None:
            raise ValueError(f"cannot use {plan.config['creds'][0]['k']}")

    R.schema = schema

    class P(Provider):
        name = "n"
        schema = Schema(Block())
        resources = [R]

    secret = f"nested-{uuid.uuid4().hex}"
    s = ProviderServicer(P(), threading.Event())
    val = {"creds": [{"k": secret}]}
    ty = schema.cty_type
    resp = s.PlanResourceChange(
        pb.PlanResourceChange.Request(type_name="n_r", prior_state=dv(None, ty), proposed_new_state=dv(val, ty), config=dv(val, ty)), None
    )
    (err,) = errors(resp)
    assert err.summary == "Unexpected error while planning n_r"
    assert secret not in err.detail and "(redacted)" in err.detail
