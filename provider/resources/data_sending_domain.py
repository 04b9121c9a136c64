"""data.sparkpost_sending_domain: an existing sending domain's DKIM key, status and the DNS
records to publish, for DNS modules that do not own the domain."""

from __future__ import annotations

from typing import Any

from ..tfplugin.resource import Context, DataSource
from ..tfplugin.diagnostics import ResourceError
from ..tfplugin.schema import Attribute, Block, Schema
from .common import api_errors, client_of, is_not_found, meta_of
from .dns_records import dns_records_attribute
from .domain_state import domain_state, status_attribute
from .validators import sending_domain_name, subaccount_id_text

SCHEMA = Schema(
    block=Block(
        description=(
            "Reads an existing SparkPost sending domain: its DKIM key, its verification status and the DNS "
            "records to publish for it (`dns_records`, a set with stable ids for `for_each`). Made for DNS "
            "modules that publish the records of a domain managed elsewhere. Reading never asks SparkPost to "
            "verify anything."
        ),
        attributes=[
            Attribute("id", "string", computed=True,
                      description="The domain, prefixed with `SUBACCOUNT_ID/` when a subaccount owns it."),
            Attribute("domain", "string", required=True, validators=[sending_domain_name],
                      description="The sending domain to read, such as `mail.example.com`."),
            Attribute(
                "subaccount_id", "string", optional=True, computed=True, validators=[subaccount_id_text],
                description=(
                    "The id of the subaccount that owns the domain (a string, like `sparkpost_subaccount.id`). "
                    "Optional: without it the domain is looked up across the primary account and every subaccount, "
                    "and this reports the owner."
                ),
            ),
            Attribute("tracking_domain", "string", computed=True,
                      description="The linked tracking domain, or null."),
            Attribute("shared_with_subaccounts", "bool", computed=True,
                      description="Whether subaccounts may send from this primary-account domain."),
            Attribute("is_default_bounce_domain", "bool", computed=True,
                      description="Whether this is the default bounce domain of its (sub)account."),
            Attribute("dkim_selector", "string", computed=True, description="The DKIM selector."),
            Attribute("dkim_public_key", "string", computed=True,
                      description="The public DKIM key, base64 DER, as published after `p=`."),
            Attribute("dkim_signing_domain", "string", computed=True,
                      description="The domain DKIM signatures name (`d=`)."),
            Attribute("dkim_key_length", "number", computed=True,
                      description="The length in bits of the DKIM key."),
            status_attribute(),
            dns_records_attribute(),
        ],
    )
)


class SendingDomainData(DataSource):
    type_name = "sparkpost_sending_domain"
    schema = SCHEMA

    def read(self, ctx: Context, config: dict[str, Any]) -> dict[str, Any]:
        client = client_of(ctx)
        region = meta_of(ctx).region
        domain = config["domain"]
        name = domain.lower()
        sub = int(config["subaccount_id"]) if config.get("subaccount_id") is not None else None
        try:
            with api_errors(f"read sending domain {name}", ("domain",)):
                got = client.get_sending_domain(name, subaccount=sub)
        except ResourceError as err:
            if is_not_found(err):
                where = f"subaccount {sub}" if sub is not None else "this SparkPost account or its subaccounts"
                raise ResourceError(
                    f"Sending domain {name} not found",
                    f"SparkPost has no sending domain {name} in {where}. Check the name"
                    + (" and subaccount_id" if sub is not None else "")
                    + ", and the provider's region.",
                    ["domain"],
                ) from err
            raise
        return dict(domain_state(got, domain=domain, subaccount_id=sub, region=region))
