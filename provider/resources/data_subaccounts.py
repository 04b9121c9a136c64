"""Data source sparkpost_subaccounts: every subaccount of the account, optionally filtered."""

from __future__ import annotations

from typing import Any

from ..tfplugin.resource import Context, DataSource
from ..tfplugin.schema import Attribute, Block, NestedType, Schema
from ..tfplugin.validators import one_of, plain_text
from .common import api_errors, client_of
from .subaccount_state import subaccount_state


class SubaccountsData(DataSource):
    type_name = "sparkpost_subaccounts"
    schema = Schema(block=Block(
        description="Lists the account's subaccounts (all pages), optionally filtered by name and status.",
        attributes=[
            # plain_text, as subaccount names are: "alpha\n" (a file() read) or a zero-width space
            # matched nothing, silently, and a for_each over the list then made nothing.
            Attribute("name_contains", "string", optional=True, validators=[plain_text],
                      description="Keep only subaccounts whose name contains this text (case-sensitive; printable "
                                  "text, as names are). Null keeps every name."),
            Attribute("status", "string", optional=True, validators=[one_of("active", "suspended", "terminated")],
                      description="Keep only subaccounts with this status. Null keeps every status."),
            Attribute(
                "subaccounts",
                nested=NestedType([
                    Attribute("id", "string", computed=True, description="Numeric id, as a string."),
                    Attribute("name", "string", computed=True, description="Name."),
                    Attribute("ip_pool", "string", computed=True, description="IP pool, if any."),
                    Attribute("status", "string", computed=True, description="Status."),
                    Attribute("compliance_status", "string", computed=True, description="Set by SparkPost."),
                    Attribute("deliverability", "bool", computed=True, description="Deliverability add-on."),
                ], nesting="list"),
                computed=True,
                description="The matching subaccounts, by ascending id.",
            ),
        ],
    ))

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any]:
        with api_errors("list subaccounts"):
            everything = client_of(ctx).list_subaccounts()
        text, status = config.get("name_contains"), config.get("status")
        rows = [subaccount_state(s) for s in everything]
        rows = [r for r in rows if (text is None or text in (r["name"] or "")) and (status is None or r["status"] == status)]
        rows.sort(key=lambda r: int(r["id"]))
        return {"name_contains": text, "status": status, "subaccounts": rows}
