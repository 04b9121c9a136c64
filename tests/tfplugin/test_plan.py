"""Plan semantics shared by every resource: unknowns, defaults, stability, replacement, apply cleanup."""

from __future__ import annotations

from typing import Any

from provider.tfplugin.diagnostics import Key
from provider.tfplugin.plan import finalize_applied, plan_change, requires_replace
from provider.tfplugin.schema import Attribute, Block, NestedBlock, NestedType, Schema, set_of
from provider.tfplugin.planmodifiers import RequiresReplace, RequiresReplaceUnlessNullPrior, UseStateForUnknown
from provider.tfplugin.values import UNKNOWN, Unknown

SCHEMA = Schema(
    Block(
        attributes=[
            Attribute("id", "string", computed=True, plan_modifiers=[UseStateForUnknown()]),
            Attribute("name", "string", required=True),
            Attribute("size", "number", optional=True, computed=True, default=1),
            Attribute("flag", "bool", optional=True, computed=True, default=False),
            Attribute("tags", set_of("string"), optional=True),
            Attribute("zone", "string", optional=True, plan_modifiers=[RequiresReplace()]),
            Attribute("region", "string", optional=True, plan_modifiers=[RequiresReplaceUnlessNullPrior()]),
            Attribute(
                "settings",
                nested=NestedType(
                    [
                        Attribute("mode", "string", optional=True),
                        Attribute("where", "string", optional=True, plan_modifiers=[RequiresReplace()]),
                        Attribute("lazy", "string", optional=True, plan_modifiers=[RequiresReplaceUnlessNullPrior()]),
                        Attribute("level", "number", optional=True, computed=True, default=5),
                        Attribute("pin", "string", optional=True, write_only=True),
                    ]
                ),
                optional=True,
            ),
            Attribute(
                "rules",
                nested=NestedType(
                    [
                        Attribute("port", "number", required=True),
                        Attribute("proto", "string", optional=True, computed=True, default="tcp"),
                        Attribute("rule_id", "string", computed=True),
                        Attribute("secret", "string", optional=True, write_only=True),
                    ],
                    nesting="list",
                ),
                optional=True,
            ),
            Attribute("token", "string", optional=True, write_only=True),
            Attribute("revision", "number", computed=True),
            Attribute("etag", "string", computed=True),
            Attribute("created_at", "string", computed=True, plan_modifiers=[UseStateForUnknown()]),
            Attribute("label", "string", optional=True, computed=True),
        ]
    )
)
NAMES = [a.name for a in SCHEMA.block.attributes]


def obj(**kw: Any) -> dict[str, Any]:
    """A full object of SCHEMA: every attribute present, null unless given."""
    out = {n: None for n in NAMES}
    out.update(kw)
    return out


def settings(**kw: Any) -> dict[str, Any]:
    out = {"mode": None, "where": None, "lazy": None, "level": None, "pin": None}
    out.update(kw)
    return out


def rule(**kw: Any) -> dict[str, Any]:
    out = {"port": None, "proto": None, "rule_id": None, "secret": None}
    out.update(kw)
    return out


PRIOR = obj(
    id="abc",
    name="n1",
    size=1,
    flag=False,
    tags=["a", "b"],
    zone="z1",
    settings=settings(mode="m", where="w1", level=5),
    rules=[rule(port=80, proto="tcp", rule_id="r1")],
    revision=3,
    etag="e3",
    created_at="2026-01-01",
    label="lbl",
)


def proposed_from(prior: dict[str, Any] | None, config: dict[str, Any]) -> dict[str, Any]:
    """Terraform's ProposedNewState at top level: config values, prior values for computed nulls."""
    out = dict(config)
    for a in SCHEMA.block.attributes:
        if a.computed and config.get(a.name) is None:
            out[a.name] = prior.get(a.name) if prior else None
    return out


# ---------------------------------------------------------------- create


def test_create_marks_computed_unknown_applies_defaults_and_nulls_write_only() -> None:
    config = obj(name="n1", token="s3cr3t-token", settings=settings(mode="m", pin="1234"), rules=[rule(port=80, secret="x")])
    planned, replace = plan_change(SCHEMA, None, proposed_from(None, config), config)
    assert replace == []
    assert planned["name"] == "n1"
    for name in ("id", "revision", "etag", "created_at", "label"):
        assert isinstance(planned[name], Unknown), name  # stable ones too: nothing to keep yet
    assert planned["size"] == 1 and planned["flag"] is False  # defaults, falsy ones included
    assert planned["token"] is None  # write-only: never in a plan
    assert planned["settings"] == settings(mode="m", level=5)  # nested default, nested write-only nulled
    assert planned["rules"] == [rule(port=80, proto="tcp", rule_id=UNKNOWN)]
    assert planned["zone"] is None and planned["tags"] is None


def test_create_keeps_configured_computed_values() -> None:
    config = obj(name="n", size=7, flag=True, label="mine", rules=[rule(port=1, proto="udp")])
    planned, _ = plan_change(SCHEMA, None, proposed_from(None, config), config)
    assert (planned["size"], planned["flag"], planned["label"]) == (7, True, "mine")
    assert planned["rules"][0]["proto"] == "udp"


def test_plan_does_not_mutate_its_inputs() -> None:
    config = obj(name="n", settings=settings(mode="m"))
    proposed = proposed_from(None, config)
    snapshot = repr(proposed)
    plan_change(SCHEMA, None, proposed, config)
    assert repr(proposed) == snapshot


def test_default_values_are_copies() -> None:
    sch = Schema(Block(attributes=[Attribute("l", ["list", "string"], optional=True, computed=True, default=["a"])]))
    planned, _ = plan_change(sch, None, {"l": None}, {"l": None})
    planned["l"].append("mutated")
    again, _ = plan_change(sch, None, {"l": None}, {"l": None})
    assert again["l"] == ["a"]


# ---------------------------------------------------------------- update


def config_of(state: dict[str, Any]) -> dict[str, Any]:
    """The configuration that produced PRIOR."""
    c = obj(name=state["name"], tags=state["tags"], zone=state["zone"])
    c["settings"] = settings(mode=state["settings"]["mode"], where=state["settings"]["where"])
    c["rules"] = [rule(port=r["port"]) for r in state["rules"]]
    return c


def nested_proposed(prior: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    p = proposed_from(prior, config)
    # Terraform's proposal keeps prior values for computed nulls inside nested objects as well
    p["settings"] = dict(config["settings"], level=prior["settings"]["level"])
    p["rules"] = [dict(c, proto=pr["proto"], rule_id=pr["rule_id"]) for c, pr in zip(config["rules"], prior["rules"], strict=True)]
    return p


def test_update_without_change_keeps_everything() -> None:
    config = config_of(PRIOR)
    proposed = nested_proposed(PRIOR, config)
    planned, replace = plan_change(SCHEMA, PRIOR, proposed, config)
    assert planned == PRIOR
    assert replace == []


def test_update_with_a_change_unknowns_changeable_computed_only() -> None:
    config = config_of(PRIOR)
    config["name"] = "n2"
    planned, replace = plan_change(SCHEMA, PRIOR, nested_proposed(PRIOR, config), config)
    assert replace == []
    assert planned["name"] == "n2"
    assert isinstance(planned["revision"], Unknown) and isinstance(planned["etag"], Unknown)
    assert isinstance(planned["label"], Unknown)  # optional+computed left null in config
    assert planned["id"] == "abc" and planned["created_at"] == "2026-01-01"  # stable: kept
    assert planned["size"] == 1 and planned["flag"] is False  # defaults: known
    assert planned["settings"]["level"] == 5
    assert planned["rules"] == [rule(port=80, proto="tcp", rule_id="r1")]


def test_update_with_configured_computed_value_keeps_it() -> None:
    config = config_of(PRIOR)
    config["label"] = "new label"
    planned, _ = plan_change(SCHEMA, PRIOR, nested_proposed(PRIOR, config), config)
    assert planned["label"] == "new label"
    assert isinstance(planned["revision"], Unknown)


def test_set_reordering_is_not_a_change() -> None:
    config = config_of(PRIOR)
    config["tags"] = ["b", "a"]
    planned, _ = plan_change(SCHEMA, PRIOR, nested_proposed(PRIOR, config), config)
    assert planned["revision"] == 3  # no unknowns: nothing changed


# ---------------------------------------------------------------- requires_replace


def test_requires_replace_top_level() -> None:
    config = config_of(PRIOR)
    config["zone"] = "z2"
    planned, replace = plan_change(SCHEMA, PRIOR, nested_proposed(PRIOR, config), config)
    assert replace == [("zone",)]
    config["zone"] = None  # removing it is a change too
    _, replace = plan_change(SCHEMA, PRIOR, nested_proposed(PRIOR, config), config)
    assert replace == [("zone",)]


def test_requires_replace_inside_single_nested_attribute() -> None:
    config = config_of(PRIOR)
    config["settings"]["where"] = "w2"
    _, replace = plan_change(SCHEMA, PRIOR, nested_proposed(PRIOR, config), config)
    assert replace == [("settings", "where")]
    config["settings"]["where"] = "w1"
    config["settings"]["mode"] = "other"  # a change beside it: in place
    _, replace = plan_change(SCHEMA, PRIOR, nested_proposed(PRIOR, config), config)
    assert replace == []


def test_requires_replace_with_unknown_planned_values() -> None:
    planned = dict(PRIOR, zone=UNKNOWN)
    assert requires_replace(SCHEMA, PRIOR, planned) == [("zone",)]
    planned = dict(PRIOR, settings=dict(PRIOR["settings"], where=Unknown(b"\x81\x02\xa1w")))
    assert requires_replace(SCHEMA, PRIOR, planned) == [("settings", "where")]


def test_requires_replace_when_the_whole_nested_object_is_unknown() -> None:
    # `settings = some_resource.output`: every attribute inside may change, `where` included.
    planned = dict(PRIOR, settings=UNKNOWN)
    assert requires_replace(SCHEMA, PRIOR, planned) == [("settings", "where")]  # PRIOR's lazy is null
    # even where the prior value inside was null, unless that null is flagged as ignorable
    prior = dict(PRIOR, settings=settings(mode="m", where=None, lazy=None))
    assert requires_replace(SCHEMA, prior, planned) == [("settings", "where")]


def test_nested_object_removed_or_added() -> None:
    assert requires_replace(SCHEMA, PRIOR, dict(PRIOR, settings=None)) == [("settings", "where")]
    prior = dict(PRIOR, settings=None)
    assert requires_replace(SCHEMA, prior, dict(PRIOR)) == [("settings", "where")]


def test_null_prior_never_forces_replace_with_the_flag() -> None:
    prior = dict(PRIOR, region=None, zone=None)
    planned = dict(prior, region="r1", zone="z9")
    assert requires_replace(SCHEMA, prior, planned) == [("zone",)]  # zone has no such flag
    prior = dict(PRIOR, settings=settings(where="w1", lazy=None))
    planned = dict(PRIOR, settings=settings(where="w1", lazy="now-set"))
    assert requires_replace(SCHEMA, prior, planned) == []
    planned = dict(prior, region=UNKNOWN)
    assert requires_replace(SCHEMA, prior, planned) == []
    # once known, a change does force replacement
    prior = dict(PRIOR, region="r1")
    assert requires_replace(SCHEMA, prior, dict(prior, region="r2")) == [("region",)]
    assert requires_replace(SCHEMA, prior, dict(prior, region=None)) == [("region",)]


def test_no_replace_on_create() -> None:
    assert requires_replace(SCHEMA, None, obj(zone="z")) == []


# ---------------------------------------------------------------- finalize_applied


def test_finalize_removes_unknowns_at_depth() -> None:
    state = obj(
        id="x",
        revision=UNKNOWN,
        settings=settings(mode=UNKNOWN, level=Unknown(b"\x81\x01\xc3")),
        rules=[rule(port=1, rule_id=UNKNOWN), UNKNOWN],
        tags=["a", UNKNOWN],
    )
    out = finalize_applied(SCHEMA, state)
    assert out["revision"] is None
    assert out["settings"]["mode"] is None and out["settings"]["level"] is None
    assert out["rules"] == [rule(port=1), None]
    assert out["tags"] == ["a", None]
    assert isinstance(state["revision"], Unknown)  # the input is left as it was


def test_finalize_nulls_write_only_at_depth() -> None:
    state = obj(
        token="top-secret-token",
        settings=settings(mode="m", pin="1234"),
        rules=[rule(port=1, secret="r-secret-1"), rule(port=2, secret="r-secret-2")],
    )
    out = finalize_applied(SCHEMA, state)
    assert out["token"] is None
    assert out["settings"]["pin"] is None and out["settings"]["mode"] == "m"
    assert [r["secret"] for r in out["rules"]] == [None, None]
    assert [r["port"] for r in out["rules"]] == [1, 2]


def test_finalize_write_only_in_set_map_nested_attributes_and_blocks() -> None:
    inner = [Attribute("k", "string", optional=True), Attribute("wo", "string", optional=True, write_only=True)]
    sch = Schema(
        Block(
            attributes=[
                Attribute("s", nested=NestedType(inner, nesting="set"), optional=True),
                Attribute("m", nested=NestedType(inner, nesting="map"), optional=True),
            ],
            blocks=[
                NestedBlock("bl", Block(attributes=inner), nesting="list"),
                NestedBlock("bs", Block(attributes=inner), nesting="single"),
                NestedBlock("bm", Block(attributes=inner), nesting="map"),
            ],
        )
    )
    e = {"k": "v", "wo": "leak-me-not"}
    out = finalize_applied(sch, {"s": [dict(e)], "m": {"a": dict(e)}, "bl": [dict(e), dict(e)], "bs": dict(e), "bm": {"x": dict(e)}})
    clean = {"k": "v", "wo": None}
    assert out == {"s": [clean], "m": {"a": clean}, "bl": [clean, clean], "bs": clean, "bm": {"x": clean}}


def test_finalize_leaves_null_nested_values_alone() -> None:
    out = finalize_applied(SCHEMA, obj(name="n"))
    assert out == obj(name="n")


# ---------------------------------------------------------------- nested lists with computed + default


def test_nested_list_elements_get_defaults_and_unknowns() -> None:
    config = obj(name="n", rules=[rule(port=80), rule(port=443, proto="udp"), rule(port=22)])
    planned, _ = plan_change(SCHEMA, None, proposed_from(None, config), config)
    assert [r["proto"] for r in planned["rules"]] == ["tcp", "udp", "tcp"]
    assert all(isinstance(r["rule_id"], Unknown) for r in planned["rules"])


def test_nested_list_on_update_keeps_prior_computed_and_defaults_new_ones() -> None:
    config = config_of(PRIOR)
    config["rules"] = [rule(port=80), rule(port=8080)]
    proposed = proposed_from(PRIOR, config)
    proposed["settings"] = dict(config["settings"], level=5)
    proposed["rules"] = [rule(port=80, proto="tcp", rule_id="r1"), rule(port=8080)]
    planned, _ = plan_change(SCHEMA, PRIOR, proposed, config)
    assert planned["rules"][0] == rule(port=80, proto="tcp", rule_id="r1")
    assert planned["rules"][1]["proto"] == "tcp"  # default inside the new element


def test_nested_set_elements_are_planned_as_new() -> None:
    inner = [Attribute("k", "string", required=True), Attribute("cid", "string", computed=True)]
    sch = Schema(Block(attributes=[Attribute("s", nested=NestedType(inner, nesting="set"), optional=True)]))
    prior = {"s": [{"k": "a", "cid": "1"}]}
    config = {"s": [{"k": "a", "cid": None}, {"k": "b", "cid": None}]}
    planned, _ = plan_change(sch, prior, {"s": [dict(c) for c in config["s"]]}, config)
    assert all(isinstance(e["cid"], Unknown) for e in planned["s"])


def test_nested_map_elements() -> None:
    inner = [Attribute("v", "string", optional=True), Attribute("d", "string", optional=True, computed=True, default="dflt")]
    sch = Schema(Block(attributes=[Attribute("m", nested=NestedType(inner, nesting="map"), optional=True)]))
    config = {"m": {"x": {"v": "1", "d": None}, "y": {"v": "2", "d": "own"}}}
    planned, _ = plan_change(sch, None, {"m": {k: dict(v) for k, v in config["m"].items()}}, config)
    assert planned["m"] == {"x": {"v": "1", "d": "dflt"}, "y": {"v": "2", "d": "own"}}


def test_unknown_nested_config_is_left_alone() -> None:
    config = obj(name="n", settings=UNKNOWN, rules=UNKNOWN)
    planned, _ = plan_change(SCHEMA, None, proposed_from(None, config), config)
    assert isinstance(planned["settings"], Unknown) and isinstance(planned["rules"], Unknown)


def test_blocks_get_defaults_and_unknowns() -> None:
    inner = Block(attributes=[Attribute("v", "string", optional=True), Attribute("c", "string", computed=True),
                              Attribute("d", "number", optional=True, computed=True, default=3)])
    sch = Schema(Block(blocks=[NestedBlock("one", inner, nesting="single"), NestedBlock("many", inner, nesting="list")]))
    e = {"v": "x", "c": None, "d": None}
    config = {"one": dict(e), "many": [dict(e), dict(e)]}
    planned, _ = plan_change(sch, None, {"one": dict(e), "many": [dict(e), dict(e)]}, config)
    assert planned["one"]["d"] == 3 and isinstance(planned["one"]["c"], Unknown)
    assert [m["d"] for m in planned["many"]] == [3, 3]


def test_key_paths_are_hashable_steps() -> None:
    # requires_replace paths are tuples of steps, usable as dict keys / in sets
    assert {("a", 0, Key("k"))} == {("a", 0, Key("k"))}


def test_requires_replace_if_sees_the_values_and_the_configuration() -> None:
    from provider.tfplugin.planmodifiers import ReplaceRequest, RequiresReplaceIf

    seen: list[ReplaceRequest] = []

    def unless_kept(r: ReplaceRequest) -> bool:
        seen.append(r)
        return r.config.get("keep") is not True

    schema = Schema(block=Block(attributes=[
        Attribute("name", "string", optional=True, plan_modifiers=[RequiresReplaceIf(unless_kept, "Sometimes.")]),
        Attribute("keep", "bool", optional=True),
    ]))
    prior = {"name": "a", "keep": None}
    assert requires_replace(schema, prior, {"name": "b", "keep": None}, {"name": "b"}) == [("name",)]
    assert seen[-1] == ReplaceRequest(("name",), "a", "b", prior, {"name": "b"})
    assert requires_replace(schema, prior, {"name": "b", "keep": True}, {"name": "b", "keep": True}) == []
    seen.clear()
    assert requires_replace(schema, prior, dict(prior), {"name": "a"}) == [] and seen == []  # unchanged: not asked


def test_copy_value_is_a_deep_copy_of_decoded_values() -> None:
    import copy

    from provider.tfplugin.plan import copy_value
    from provider.tfplugin.values import Unknown

    original = {"a": [{"b": "x", "c": [1, 2.5]}, None], "d": {"e": UNKNOWN, "f": Unknown(b"\x81\x01\xc3")}, "g": True}
    snapshot = copy.deepcopy(original)
    copied = copy_value(original)
    assert copied == original and copied is not original
    copied["a"][0]["c"].append(3)
    copied["a"][0]["b"] = "y"
    copied["d"]["new"] = 1
    assert original == snapshot
    assert isinstance(copied["d"]["f"], Unknown) and copied["d"]["f"].refinement == b"\x81\x01\xc3"
