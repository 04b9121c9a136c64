"""Data source sparkpost_subaccount: one subaccount, by id or by exact name."""

from __future__ import annotations

import unicodedata
from typing import Any

from ..tfplugin.diagnostics import Diagnostics, ResourceError
from ..tfplugin.resource import Context, DataSource
from ..tfplugin.schema import Attribute, Block, Schema
from ..tfplugin.values import Unknown
from ..tfplugin.validators import plain_text
from .common import api_errors, client_of
from .validators import positive_subaccount_id_text
from .subaccount_state import subaccount_state

_FIELDS = [
    Attribute("ip_pool", "string", computed=True, description="The IP pool the subaccount sends from, if any."),
    Attribute("status", "string", computed=True, description="`active`, `suspended` or `terminated`."),
    Attribute("compliance_status", "string", computed=True, description="Set by SparkPost."),
    Attribute("deliverability", "bool", computed=True, description="Whether the Deliverability add-on is enabled."),
]


class SubaccountData(DataSource):
    type_name = "sparkpost_subaccount"
    schema = Schema(block=Block(
        description="Looks up one subaccount by `id`, or by exact `name` (an error when several share the name).",
        attributes=[
            Attribute("id", "string", optional=True, computed=True, validators=[positive_subaccount_id_text],
                      description="The subaccount's numeric id. Give this or `name`; null when `name` is given."),
            Attribute("name", "string", optional=True, computed=True, validators=[plain_text],
                      description="The subaccount's exact name. Give this or `id`; null when `id` is given."),
            *_FIELDS,
        ],
    ))

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        given = [k for k in ("id", "name") if config.get(k) is not None]
        if len(given) != 1 and not any(isinstance(config.get(k), Unknown) for k in ("id", "name")):
            diags.error("Give exactly one of id or name", "Look a subaccount up by its id or by its exact name.",
                        [given[-1] if given else "id"])

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any]:
        client = client_of(ctx)
        if config.get("id") is not None:
            with api_errors(f"read subaccount {config['id']}", ("id",)):
                return dict(subaccount_state(client.get_subaccount(int(config["id"]))))
        name = config["name"]
        with api_errors("list subaccounts"):
            # SparkPost's name filter is a substring match: compare exactly here.
            found = [s for s in client.list_subaccounts(name=name) if s.name == name]
        if not found:
            raise ResourceError("No such subaccount", f"No subaccount is named {name!r}.{_near(client, name)}", ["name"])
        if len(found) > 1:
            ids = ", ".join(str(s.id) for s in found)
            raise ResourceError("Ambiguous subaccount name", f"{len(found)} subaccounts are named {name!r} (ids {ids}); look it up by id.", ["name"])
        return dict(subaccount_state(found[0]))


def _loose(name: str) -> str:
    """A name as a person reads it: compatibility forms folded (fullwidth "ａｃｍｅ" is "acme"),
    then surrounding spaces and case ignored."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def _near(client: Any, name: str) -> str:
    """Subaccounts whose name differs from `name` only by case, surrounding spaces or
    compatibility forms (fullwidth letters, ligatures), said in the error: the lookup is exact,
    and "acme " or "ACME" or "ａｃｍｅ" next to "acme" look like a SparkPost fault otherwise. One
    more list request, on the error path only."""
    wanted = _loose(name)
    if not wanted:
        return ""
    with api_errors("list subaccounts"):
        # SparkPost's filter is a case-insensitive substring match: ask with the folded form, so
        # that "ａｃｍｅ" finds "acme".
        near = [s for s in client.list_subaccounts(name=unicodedata.normalize("NFKC", name).strip())
                if _loose(s.name) == wanted]
    if not near:
        return ""
    said = ", ".join(f"subaccount {s.id} is named {s.name!r}" for s in near[:5])
    return f" Names are compared exactly, case and spaces included: {said}."
