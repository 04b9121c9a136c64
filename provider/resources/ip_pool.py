"""sparkpost_ip_pool: a dedicated IP pool (its name, signing domains and warm-up overflow);
the IPs it holds are read-only (SparkPost assigns them)."""

from __future__ import annotations

import re
from typing import Any, TypedDict

from ..sparkpost import create_once
from ..sparkpost.errors import Conflict, SparkPostError
from ..sparkpost.models import IpPool as IpPoolModel
from ..tfplugin.diagnostics import Diagnostics, ResourceError
from ..tfplugin.planmodifiers import UseStateForUnknown
from ..tfplugin.resource import Context, Resource
from ..tfplugin.schema import Attribute, Block, NestedType, Schema
from ..tfplugin.validators import max_len, not_blank, plain_text
from .import_ids import parse_ip_pool
from .common import api_errors, client_of, is_not_found, known
from .validators import host_name

GRANT = "ip_pools/manage"
POOL_ID_PATTERN = r"[A-Za-z0-9_]{1,20}"
SHARED_POOL = "shared pool"

CAVEAT = """\
**A dedicated pool is only for very high volumes.** New IPs have no reputation: they must be
warmed up, sending a little more each day for weeks (SparkPost's auto warm-up does this, with
`auto_warmup_overflow_pool` taking the traffic the new IPs may not carry yet). Below a steady,
high volume a dedicated IP never builds a reputation, and mail from the shared pool is
delivered better. Most instances should stay on the shared pool."""

GRANT_NOTE = """\
Managing pools needs the `ip_pools/manage` grant (reading them `ip_pools/view`), which the
operator key does not hold: SparkPost answers 403 and the error says so. Use a key with that
grant, for example in a second provider block with an alias. Assigning a pool to a subaccount
(`sparkpost_subaccount.ip_pool`, the managed-smtp module's `ip_pool`) needs only the operator key."""

DESCRIPTION = f"""\
A dedicated IP pool. SparkPost derives the pool's `id` from its name when it is created
(`Marketing IP Pool` becomes `marketing_ip_pool`); a subaccount's `ip_pool` takes that id.
Renaming keeps the id. Destroying the pool moves its IPs to the `default` pool, which itself
cannot be created, changed or deleted.

A setting changed outside Terraform shows in the next plan as an in-place update. A pool deleted
outside Terraform is planned for creation; SparkPost gives it the same id (from the name), and
subaccounts and pools that referenced it by `sparkpost_ip_pool.NAME.id` get it back in the same
apply.

**Interrupted applies.** A pool that exists before the create (one an apply killed after
SparkPost made it left, or one made by hand) stops the create with the import to run:
`terraform import ADDRESS POOL_ID`. A create whose answer was lost (a dropped connection, a read
timeout, a 5xx after SparkPost acted) finds the pool by its name and records it.

{CAVEAT}

{GRANT_NOTE}
"""

_IPS = Attribute(
    "ips",
    nested=NestedType([
        Attribute("external_ip", "string", computed=True, description="The IP address."),
        Attribute("hostname", "string", computed=True, description="Its sending host name."),
        Attribute("auto_warmup_enabled", "bool", computed=True, description="Whether SparkPost is warming it up."),
        Attribute("auto_warmup_stage", "number", computed=True, description="The warm-up stage, when warming up."),
    ], nesting="list"),
    computed=True,
    description="The sending IPs in the pool (read-only: SparkPost assigns IPs to pools).",
)


def _pool_id_for(name: str) -> str:
    """SparkPost's id for a new pool's name (ip-pools.apib: "a unique ID based on the name")."""
    return re.sub(r"[^a-z0-9_]", "_", name.strip().lower())[:20]


def _overflow(v: str) -> str | None:
    if v == SHARED_POOL or re.fullmatch(POOL_ID_PATTERN, v):
        return None
    return f"must be an IP pool id (letters, digits, underscores) or {SHARED_POOL!r}; got {v!r}."


class IpValues(TypedDict):
    """One element of `ips`."""

    external_ip: str
    hostname: str | None
    auto_warmup_enabled: bool
    auto_warmup_stage: int | None


class PoolValues(TypedDict):
    """What the resource and the data source show of a pool read from SparkPost."""

    id: str
    name: str | None
    signing_domain: str | None
    fbl_signing_domain: str | None
    auto_warmup_overflow_pool: str | None
    ips: list[IpValues]


def pool_state(pool: IpPoolModel) -> PoolValues:
    return {
        "id": pool.id,
        "name": pool.name,
        "signing_domain": pool.signing_domain,
        "fbl_signing_domain": pool.fbl_signing_domain,
        "auto_warmup_overflow_pool": pool.auto_warmup_overflow_pool,
        "ips": [{"external_ip": ip.external_ip, "hostname": ip.hostname,
                 "auto_warmup_enabled": ip.auto_warmup_enabled, "auto_warmup_stage": ip.auto_warmup_stage}
                for ip in pool.ips],
    }


def _check_pool_id(raw: Any, path: tuple[str, ...]) -> str:
    text = str(raw).strip()
    if not re.fullmatch(POOL_ID_PATTERN, text):
        raise ResourceError("Invalid IP pool id",
                            f"{text!r} is not an IP pool id (1 to 20 letters, digits or underscores). "
                            "Import a pool by its id, for example: terraform import sparkpost_ip_pool.this marketing_ip_pool",
                            path)
    return text


def _exists(name: str, pool_id: str | None, why: str) -> ResourceError:
    iid = pool_id or _pool_id_for(name)
    return ResourceError(
        f"An IP pool named {name!r} already exists",
        f"{why}\n\nSparkPost derives a pool's id from its name, so a second pool of this name cannot be made. "
        f"If the pool is this resource's (an apply interrupted after SparkPost made it, or a pool made by hand "
        f"to be managed), import it:\n\n  terraform import ADDRESS {iid}\n\n(or an import block with id = "
        f"\"{iid}\"), then apply. Otherwise delete it (DELETE /api/v1/ip-pools/{iid}: its IPs move to the default "
        "pool) or choose another name.",
        ["name"],
    )


def _refuse_existing(ctx: Context, name: str) -> None:
    """Before a create: a pool of this name, or with the id SparkPost would derive from it,
    already exists (an interrupted apply's, or one made by hand). The create would be refused
    anyway; this says which pool to import, and makes a pool of this name found after a lost
    answer certainly this create's."""
    want = _pool_id_for(name)
    with api_errors(f"create IP pool {name!r} (listing the pools first)", ("name",), grant=GRANT):
        pools = client_of(ctx).list_ip_pools()
    for pool in pools:
        if pool.name == name or pool.id == want:
            raise _exists(name, pool.id, f"IP pool {pool.id!r} (named {pool.name!r}) is in SparkPost, and no "
                                         "Terraform state here manages it.")


class IpPool(Resource):
    type_name = "sparkpost_ip_pool"
    schema = Schema(block=Block(description=DESCRIPTION, attributes=[
        Attribute("id", "string", computed=True, plan_modifiers=[UseStateForUnknown()],
                  description="The pool's id, derived by SparkPost from the name at creation; subaccounts reference it."),
        Attribute("name", "string", required=True, validators=[not_blank, max_len(64), plain_text],
                  description=("The pool's name, printable text (no control, zero-width or direction characters). "
                               "Changing it renames the pool in place (the id stays).")),
        Attribute("signing_domain", "string", optional=True, validators=[host_name],
                  description="The DKIM-verified signing domain for mail sent from the pool. Null: none."),
        Attribute("fbl_signing_domain", "string", optional=True, validators=[host_name],
                  description="The feedback-loop signing domain, used only for mailbox providers that require DKIM for FBL. Null: none."),
        Attribute("auto_warmup_overflow_pool", "string", optional=True, validators=[_overflow],
                  description=("The pool that takes the overflow while this pool's IPs warm up: another pool's id, "
                               "or `shared pool` (SparkPost's shared pool, where the account has access). A pool "
                               "that has an overflow pool cannot itself be one. Null: no overflow pool.")),
        _IPS,
    ]))

    def validate(self, config: dict[str, Any], diags: Diagnostics) -> None:
        name = config.get("name")
        if known(name) and isinstance(name, str) and _pool_id_for(name) == "default":
            diags.error("Reserved IP pool name", "SparkPost reserves the pool id `default` (every account has it); "
                        "choose another name.", ["name"])
        elif known(name) and isinstance(name, str) and name.strip() and not _pool_id_for(name).strip("_"):
            # (a blank name is not_blank's error already: one diagnostic is enough)
            diags.error("IP pool name without a letter or digit",
                        f"SparkPost derives the pool's id from its name (letters and digits, other characters "
                        f"becoming underscores), and {name!r} has none to derive it from: give the name an ASCII letter "
                        "or digit.", ["name"])

    def create(self, ctx: Context, planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        client = client_of(ctx)
        name = planned["name"]
        _refuse_existing(ctx, name)

        def made() -> dict[str, Any] | None:
            # After a lost answer: the pool of this name, which the check above showed did not
            # exist before the POST, is the one it made (SparkPost derives ids from names, so
            # a second POST could only answer "already exists").
            found = [p.id for p in client.list_ip_pools() if p.name == name]
            return {"id": found[0]} if found else None

        with api_errors(f"create IP pool {name!r}", grant=GRANT):
            try:
                pool_id = client.create_ip_pool(
                    name, signing_domain=planned.get("signing_domain"),
                    fbl_signing_domain=planned.get("fbl_signing_domain"),
                    auto_warmup_overflow_pool=planned.get("auto_warmup_overflow_pool"),
                    idempotency_check=made)
            except Conflict as err:
                raise _exists(name, None, str(err)) from err
            except SparkPostError as err:
                # A success whose body could not be read, or every attempt lost: look once more.
                if not create_once.ambiguous(err):
                    raise
                try:
                    found = made()
                except SparkPostError as again:
                    err.add_hint(f"Whether SparkPost made the pool is unknown (listing failed: {again}); the "
                                 f"next apply finds it if it did, and says how to import it.")
                    raise err from None
                if found is None:
                    raise
                pool_id = found["id"]
        state = {**planned, "id": pool_id}
        with api_errors(f"read IP pool {pool_id} after creating it", state={**state, "ips": []}, grant=GRANT):
            fresh = pool_state(client.get_ip_pool(pool_id))
        state["ips"] = fresh["ips"]
        return state

    def read(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any] | None:
        pool_id = _check_pool_id(state.get("id"), ("id",))
        try:
            with api_errors(f"read IP pool {pool_id}", grant=GRANT):
                return dict(pool_state(client_of(ctx).get_ip_pool(pool_id)))
        except ResourceError as err:
            if is_not_found(err):
                return None
            raise

    def update(self, ctx: Context, prior: dict[str, Any], planned: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        pool_id = prior["id"]
        with api_errors(f"update IP pool {pool_id}", state=prior, grant=GRANT):
            client_of(ctx).update_ip_pool(
                pool_id, name=planned["name"], signing_domain=planned.get("signing_domain"),
                fbl_signing_domain=planned.get("fbl_signing_domain"),
                auto_warmup_overflow_pool=planned.get("auto_warmup_overflow_pool"))
        return {**planned, "id": pool_id, "ips": prior.get("ips") or []}

    def delete(self, ctx: Context, state: dict[str, Any]) -> None:
        try:
            with api_errors(f"delete IP pool {state['id']}", grant=GRANT):
                client_of(ctx).delete_ip_pool(state["id"])
        except ResourceError as err:
            if not is_not_found(err):
                raise

    def import_state(self, ctx: Context, import_id: str) -> dict[str, Any]:
        pool_id = parse_ip_pool(import_id)
        if pool_id == "default":
            raise ResourceError("The default IP pool cannot be managed",
                                "SparkPost reserves `default`: it cannot be changed or deleted, so it is not a "
                                "resource. Read it with the sparkpost_ip_pool data source instead.")
        return {"id": pool_id}
