"""Data source sparkpost_ip_pool: one IP pool by id, with the IPs it holds."""

from __future__ import annotations

from typing import Any

from ..sparkpost.errors import SparkPostError
from ..tfplugin.diagnostics import ResourceError
from ..tfplugin.resource import Context, DataSource
from ..tfplugin.schema import Attribute, Block, Schema
from ..tfplugin.validators import matches
from .common import api_errors, client_of, is_not_found
from .ip_pool import _IPS, CAVEAT, POOL_ID_PATTERN, pool_state

GRANT = "ip_pools/view or ip_pools/manage"


class IpPoolData(DataSource):
    type_name = "sparkpost_ip_pool"
    schema = Schema(block=Block(
        description=(
            "Looks up one IP pool by id (`default` included): its name, signing domains, warm-up overflow "
            "pool and IPs. Needs the `ip_pools/view` or `ip_pools/manage` grant, which the operator key "
            "does not hold.\n\n" + CAVEAT),
        attributes=[
            Attribute("id", "string", required=True,
                      validators=[matches(POOL_ID_PATTERN, "an IP pool id (1 to 20 letters, digits or underscores)")],
                      description="The pool's id, for example `default` or `marketing_ip_pool`."),
            Attribute("name", "string", computed=True, description="The pool's name."),
            Attribute("signing_domain", "string", computed=True, description="The DKIM signing domain, if any."),
            Attribute("fbl_signing_domain", "string", computed=True, description="The FBL signing domain, if any."),
            Attribute("auto_warmup_overflow_pool", "string", computed=True,
                      description="The overflow pool during auto warm-up, if any."),
            _IPS,
        ],
    ))

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any]:
        client = client_of(ctx)
        try:
            with api_errors(f"read IP pool {config['id']}", ("id",), grant=GRANT):
                return dict(pool_state(client.get_ip_pool(config["id"])))
        except ResourceError as err:
            if is_not_found(err):
                err.detail += _near(client, config["id"])
            raise


def _near(client: Any, pool_id: str) -> str:
    """Pools whose id differs from POOL_ID only by case ("Marketing" for "marketing", the id
    SparkPost derived from the name), said after the 404. One list request, on the error path
    only; nothing when the pools cannot be listed."""
    try:
        pools = client.list_ip_pools()
    except SparkPostError:
        return ""
    near = [p.id for p in pools if p.id.casefold() == pool_id.casefold() and p.id != pool_id]
    return f"\n\nIds are compared exactly, case included: there is a pool {near[0]!r}." if near else ""
