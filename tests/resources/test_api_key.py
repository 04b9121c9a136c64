"""sparkpost_api_key's logic without Terraform: plans, failure handling, import ids, reads.

The end-to-end behaviour (real terraform, emulator, Secret Manager fake) is in
tests/e2e/test_api_key.py; these pin the decisions that are easy to get subtly wrong.
"""

from __future__ import annotations

import re

import threading
from decimal import Decimal
from typing import Any

import pytest

from provider.resources.api_key import ApiKey
from provider.provider import ProviderData
from provider.secrets import SecretManagerError
from provider.sparkpost.errors import Forbidden, NotFound, ServerError
from provider.sparkpost.models import ApiKey as ApiKeyModel, CreatedApiKey, Fields, Where
from provider.tfplugin.diagnostics import Diagnostics, ResourceError
from provider.tfplugin.plan import plan_change
from provider.tfplugin.resource import Context, PlanContext
from provider.tfplugin.values import UNKNOWN, Unknown

SECRET = "projects/cloud-inst-1/secrets/SMTP_KEY"
KEY = "0123456789abcdef0123456789abcdef01234567"


class FakeClient:
    def __init__(self, *, delete_fails: bool = False, forbidden: bool = False) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.delete_fails = delete_fails
        self.forbidden = forbidden
        self.item: dict[str, Any] | None = None

    def create_api_key(self, label: str, grants: list[str], valid_ips: Any, *, subaccount: Any,
                       idempotency_check: Any = None) -> CreatedApiKey:
        # created under a marked label (create_once), relabelled by a PUT afterwards
        assert re.fullmatch(r".* ~tf-[0-9a-f]{12}", label), label
        self.calls.append(("POST", label.rsplit(" ~tf-", 1)[0], grants, valid_ips, subaccount))
        if self.forbidden:
            raise Forbidden("Forbidden.", status=403, method="POST", path="/api-keys")
        return CreatedApiKey(key=KEY, short_key=KEY[:4], label=label, id="k-1")

    def list_api_keys(self, *, subaccount: Any) -> list[ApiKeyModel]:
        return []  # no key made by a lost request

    def delete_api_key(self, key_id: str, *, subaccount: Any) -> None:
        self.calls.append(("DELETE", key_id, subaccount))
        if self.delete_fails:
            raise ServerError("Service unavailable.", status=503, method="DELETE", path=f"/api-keys/{key_id}")

    def update_api_key(self, key_id: str, *, subaccount: Any, **fields: Any) -> None:
        self.calls.append(("PUT", key_id, subaccount, fields))

    def get_api_key(self, key_id: str, *, subaccount: Any) -> ApiKeyModel:
        self.calls.append(("GET", key_id, subaccount))
        if self.item is None:
            raise NotFound("resource not found", status=404, method="GET", path=f"/api-keys/{key_id}")
        return ApiKeyModel.parse(Fields(self.item, Where("GET", f"/api-keys/{key_id}")))  # as the client does


class FakeStore:
    """Secret Manager as resources see it (`SecretStore.write`); a secret named ...FAIL refuses."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bool]] = []

    def write(self, name: str, payload: str, *, create: bool = False) -> str:
        self.calls.append((name, payload, create))
        if name.endswith("FAIL"):
            raise SecretManagerError("permission denied adding a version", name, code="PERMISSION_DENIED")
        return f"{name}/versions/{len(self.calls)}"

    def write_new_key(self, name: str, payload: str, *, create: bool = False) -> str:
        # SecretStore retries transient failures here (tests/test_secrets.py); a refusal is final.
        return self.write(name, payload, create=create)


def ctx(client: FakeClient, store: FakeStore | None = None) -> Context:
    data = ProviderData(client=client, secrets=store or FakeStore())
    return Context(meta=data, diagnostics=Diagnostics(), cancelled=threading.Event())


def config(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": None, "label": "smtp", "grants": ["smtp/inject"], "valid_ips": None, "subaccount_id": None,
        "rotation_trigger": None, "secret_manager": None, "short_key": None, "key": None,
    }
    base.update(overrides)
    return base


def state(**overrides: Any) -> dict[str, Any]:
    return config(**{"id": "k-1", "short_key": KEY[:4], "key": KEY, **overrides})


def plan(prior: dict[str, Any] | None, cfg: dict[str, Any]) -> PlanContext:
    """Plan as the plugin layer does: Terraform's proposed state (config plus prior computed
    values), the shared semantics, then the resource's hook."""
    proposed = dict(cfg)
    if prior is not None:
        for name in ("id", "short_key", "key"):
            proposed[name] = prior[name]
        if isinstance(cfg.get("secret_manager"), dict) and isinstance(prior.get("secret_manager"), dict):
            proposed["secret_manager"] = dict(cfg["secret_manager"], version=prior["secret_manager"]["version"])
    planned, replace = plan_change(ApiKey.schema, prior, proposed, cfg)
    p = PlanContext(prior, cfg, planned, replace, Diagnostics(), {}, None)
    ApiKey().modify_plan(p)
    return p


def sm(version: Any = None, **extra: Any) -> dict[str, Any]:
    return {"secret": SECRET, "create_secret": None, "version": version, **extra}


# ---------------------------------------------------------------- plans


def test_create_with_secret_manager_plans_no_key() -> None:
    p = plan(None, config(secret_manager=sm()))
    assert p.planned["key"] is None and isinstance(p.planned["secret_manager"]["version"], Unknown)
    assert isinstance(plan(None, config()).planned["key"], Unknown)


def test_grants_replace_subaccount_keys_only() -> None:
    more = ["smtp/inject", "message_events/view"]
    assert plan(state(subaccount_id="3"), config(subaccount_id="3", grants=more)).requires_replace == [("grants",)]
    assert plan(state(subaccount_id="3"), config(subaccount_id="3", grants=[UNKNOWN])).requires_replace == [("grants",)]
    p = plan(state(grants=["metrics/view"]), config(grants=["metrics/view", "usage/view"]))
    assert p.requires_replace == [] and p.planned["key"] == KEY  # stable across an update
    assert plan(state(subaccount_id="3"), config(subaccount_id="3", label="x")).requires_replace == []


def test_values_missing_after_import_are_recorded_without_replacement() -> None:
    imported = state(key=None)
    p = plan(imported, config(rotation_trigger="2026", secret_manager=sm()))
    assert p.requires_replace == []
    assert p.planned["secret_manager"]["version"] is None  # nothing to write: the secret is unknown
    assert plan(state(rotation_trigger="a"), config(rotation_trigger="b")).requires_replace == [("rotation_trigger",)]
    moved = plan(state(key=None, secret_manager=sm("v1")), config(secret_manager=sm(secret=SECRET + "2")))
    assert moved.requires_replace == [("secret_manager", "secret")]


def test_a_key_in_state_is_planned_into_secret_manager() -> None:
    for prior in (state(), state(secret_manager=sm())):  # added later / left by a failed create
        p = plan(prior, config(secret_manager=sm()))
        assert p.requires_replace == []
        assert p.planned["key"] is None and isinstance(p.planned["secret_manager"]["version"], Unknown)
    # dropping secret_manager before the key got there keeps the key in state: no rotation
    p = plan(state(secret_manager=sm()), config())
    assert p.requires_replace == [] and p.planned["key"] == KEY
    # once written, removing it replaces the key (its secret never was in state)
    assert plan(state(key=None, secret_manager=sm("v")), config()).requires_replace == [("secret_manager", "secret")]


def test_unknown_grant_warns_when_sent_only() -> None:
    p = plan(None, config(grants=["metrics/view", "new/grant"]))
    assert [d.summary for d in p.diagnostics] == ["Unknown API key grant"] and p.diagnostics[0].path == ("grants",)
    p = plan(state(grants=["metrics/view", "new/grant"]), config(grants=["metrics/view", "new/grant"], label="x"))
    assert list(p.diagnostics) == []


def test_validate_refuses_primary_grants_on_subaccount_keys_when_the_owner_is_known() -> None:
    diags = Diagnostics()
    ApiKey().validate(config(subaccount_id="4", grants=["smtp/inject", "metrics/view"]), diags)
    assert [(d.severity, d.path) for d in diags] == [("error", ("grants",))]
    for cfg in (config(subaccount_id=UNKNOWN, grants=["metrics/view"]), config(grants=["metrics/view"])):
        diags = Diagnostics()
        ApiKey().validate(cfg, diags)
        assert list(diags) == []


def test_attribute_validators() -> None:
    attrs = {a.name: a for a in ApiKey.schema.block.attributes}
    sub = attrs["subaccount_id"].validators[0]
    for bad in ("0", "2.5", "-3", "07", " 7", "+7", "1e3", "٣", "2147483648", ""):
        problem = sub(bad)
        assert problem and problem.startswith("must be a subaccount id: a whole number from 1 to 2147483647"), bad
    assert sub("12") is None and sub("2147483647") is None
    assert "IPv6" in attrs["valid_ips"].validators[0](["10.0.0.0/8", "::1"])
    assert attrs["grants"].validators[0]([])
    assert all(a.description for _, a in ApiKey.schema.walk())


# ---------------------------------------------------------------- apply


@pytest.fixture
def writes() -> FakeStore:
    return FakeStore()


def test_create_writes_the_key_to_secret_manager(writes: FakeStore) -> None:
    client = FakeClient()
    planned = plan(None, config(secret_manager=sm(create_secret=True), valid_ips=["10.0.0.0/8"])).planned
    out = ApiKey().create(ctx(client, writes), planned, planned)
    assert out["key"] is None and out["secret_manager"]["version"] == f"{SECRET}/versions/1"
    assert writes.calls == [(SECRET, KEY, True)]
    assert client.calls == [("POST", "smtp", ["smtp/inject"], ["10.0.0.0/8"], None),
                            ("PUT", "k-1", None, {"label": "smtp", "grants": ["smtp/inject"], "valid_ips": ["10.0.0.0/8"]})]


def test_failed_write_revokes_the_key(writes: FakeStore) -> None:
    client = FakeClient()
    planned = plan(None, config(subaccount_id="5", secret_manager=sm(secret=SECRET + "FAIL"))).planned
    with pytest.raises(ResourceError) as info:
        ApiKey().create(ctx(client, writes), planned, planned)
    assert info.value.state is None and "was revoked again" in info.value.detail
    assert info.value.path == ("secret_manager",)
    assert client.calls[-1] == ("DELETE", "k-1", 5)
    assert KEY not in info.value.detail


def test_failed_write_and_revoke_keep_the_key_in_state(writes: FakeStore) -> None:
    client = FakeClient(delete_fails=True)
    planned = plan(None, config(secret_manager=sm(secret=SECRET + "FAIL"))).planned
    with pytest.raises(ResourceError) as info:
        ApiKey().create(ctx(client, writes), planned, planned)
    kept = info.value.state
    assert kept is not None and kept["key"] == KEY and kept["id"] == "k-1"
    assert kept["secret_manager"]["version"] is None
    assert "nor revoke" in info.value.summary and "untaint" in info.value.detail and KEY not in info.value.detail

    # the next apply (untainted): an update that writes it and drops it from state, no API call
    p = plan(kept, config(secret_manager=sm()))
    out = ApiKey().update(ctx(client, writes), kept, p.planned, p.config)
    assert out["key"] is None and out["secret_manager"]["version"] == f"{SECRET}/versions/2"
    assert writes.calls[-1] == (SECRET, KEY, False)
    assert [c[0] for c in client.calls] == ["POST", "PUT", "DELETE"]  # created, relabelled, revoked


def test_update_write_failure_keeps_the_update_and_the_key(writes: FakeStore) -> None:
    client = FakeClient()
    prior = state()
    p = plan(prior, config(label="renamed", secret_manager=sm(secret=SECRET + "FAIL")))
    with pytest.raises(ResourceError) as info:
        ApiKey().update(ctx(client, writes), prior, p.planned, p.config)
    assert info.value.state is not None and info.value.state["key"] == KEY and info.value.state["label"] == "renamed"
    assert client.calls[0][0] == "PUT"


def test_update_sends_everything_and_records_config_only_values_silently() -> None:
    client = FakeClient()
    prior = state(valid_ips=["10.0.0.0/8"])
    p = plan(prior, config(label="new"))
    ApiKey().update(ctx(client), prior, p.planned, p.config)
    assert client.calls == [("PUT", "k-1", None, {"label": "new", "grants": ["smtp/inject"], "valid_ips": []})]
    client.calls.clear()
    p = plan(state(key=None), config(rotation_trigger="x", valid_ips=[]))
    out = ApiKey().update(ctx(client), state(key=None), p.planned, p.config)
    assert client.calls == [] and out["rotation_trigger"] == "x"


def test_forbidden_explains_the_operator_key() -> None:
    planned = plan(None, config()).planned
    with pytest.raises(ResourceError) as info:
        ApiKey().create(ctx(FakeClient(forbidden=True)), planned, planned)
    assert "may not manage API keys" in info.value.summary
    assert "initial_api_key" in info.value.detail and "sparkpost_subaccount" in info.value.detail


# ---------------------------------------------------------------- read and import


def test_read() -> None:
    client = FakeClient()
    assert ApiKey().read(ctx(client), state(subaccount_id="3")) is None  # 404: gone
    assert client.calls == [("GET", "k-1", 3)]
    client.item = {"id": "k-1", "label": "L", "short_key": "0123", "grants": ["smtp/inject"], "subaccount_id": 3}
    out = ApiKey().read(ctx(client), state(subaccount_id="3", valid_ips=[]))
    assert out is not None and out["label"] == "L" and out["valid_ips"] == [] and out["key"] == KEY
    out = ApiKey().read(ctx(client), {"id": "k-1", "subaccount_id": None})  # after import by KEY_ID
    assert out is not None and out["subaccount_id"] == "3" and out["valid_ips"] is None
    client.item = {"id": "k-1", "label": "L", "grants": "smtp/inject"}  # an API change: a clear error
    with pytest.raises(ResourceError, match="Could not read the API key k-1") as info:
        ApiKey().read(ctx(client), state())
    assert "'results.grants' is str, expected an array" in info.value.detail
    assert "GET /api-keys/k-1" in info.value.detail


@pytest.mark.parametrize(
    "import_id, expected",
    [("abc-1", {"id": "abc-1", "subaccount_id": None}), ("12/abc", {"id": "abc", "subaccount_id": "12"}),
     ("5f0c1d2e-0000-4000-8000-000000000001", {"id": "5f0c1d2e-0000-4000-8000-000000000001", "subaccount_id": None})],
)
def test_import_ids(import_id: str, expected: dict[str, Any]) -> None:
    assert ApiKey().import_state(ctx(FakeClient()), import_id) == expected


@pytest.mark.parametrize("import_id", ["", "a/b/c", "x/abc", "0/abc", "12/", "/abc", "a b", " 12/abc ", "..", "12/.."])
def test_malformed_import_ids(import_id: str) -> None:
    with pytest.raises(ResourceError, match="Invalid import ID for sparkpost_api_key") as info:
        ApiKey().import_state(ctx(FakeClient()), import_id)
    assert "SUBACCOUNT_ID/KEY_ID" in info.value.detail


@pytest.mark.parametrize("stored, upgraded", [(7, "7"), (Decimal(12), "12"), (None, None), ("5", "5")])
def test_version_0_state_gets_a_string_subaccount_id(stored: Any, upgraded: str | None) -> None:
    """Schema version 0 held subaccount_id as a number; version 1 holds sparkpost_subaccount.id's string."""
    assert ApiKey.schema.version == 1
    old = state(subaccount_id=stored)
    new = ApiKey().upgrade_state(0, old)
    assert new == dict(old, subaccount_id=upgraded)
    assert old["subaccount_id"] == stored  # the stored state is not changed in place
    assert ApiKey().upgrade_state(1, new) == new


def test_a_key_lost_from_secret_manager_is_replaced_while_checked() -> None:
    written = state(key=None, secret_manager=sm(SECRET + "/versions/1"), secret_status="missing")
    p = plan(written, config(secret_manager=sm()))
    assert p.requires_replace == [("secret_status",)] and isinstance(p.planned["secret_status"], Unknown)
    [warning] = list(p.diagnostics)
    assert warning.summary.startswith("API key lost from Secret Manager") and SECRET + "/versions/1" in warning.detail
    # not checked: nothing planned (documented: a lost key then goes unseen)
    p = plan(written, config(secret_manager=sm(), check_secret=False))
    assert p.requires_replace == [] and p.planned["secret_status"] is None
    # another secret: replaced for that reason alone, without the lost-key warning
    p = plan(written, config(secret_manager=dict(sm(), secret="projects/p-2/secrets/OTHER")))
    assert p.requires_replace == [("secret_manager", "secret")] and list(p.diagnostics) == []
    # present: kept as it is; whether it is checked unknown until apply: so is the status
    present = dict(written, secret_status="present")
    assert plan(present, config(secret_manager=sm())).planned["secret_status"] == "present"
    assert isinstance(plan(present, config(secret_manager=sm(), check_secret=UNKNOWN)).planned["secret_status"], Unknown)
