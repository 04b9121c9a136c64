"""The typed client methods end to end against the local SparkPost emulator.

The emulator is the referee (modelled on the reference, not on this client): these tests
check that the client's wire assumptions agree with it. The control API (``/__emulator/...``)
is driven with plain ``requests``: it is test plumbing, not SparkPost traffic.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator

import pytest
import requests

from provider.emulator.sparkpost import Emulator
from provider.sparkpost import errors as E
from provider.sparkpost.client import SparkPostClient
from provider.sparkpost.models import DkimKey, InitialKey
from tests.emulator.emu_helpers import rsa_pair
from tests.sparkpost.sparkpost_stub import fast

ADMIN_KEY = "a1" * 20
# The operator key of ARCHITECTURE.md: metrics read-only, subaccounts and sending domains.
OPERATOR_KEY = "0b" * 20
OPERATOR_GRANTS = ["metrics/view", "subaccount/manage", "sending_domains/manage"]
ADMIN_GRANTS = OPERATOR_GRANTS + ["api_keys/manage"]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    # An account with the API-keys API (off by default): the client tests drive /api-keys.
    emulator = Emulator(region="us", state_path=None, seed=None, options={"api_keys_api": True})
    emulator.start(port=0)
    emulator.add_key(key=ADMIN_KEY, grants=ADMIN_GRANTS, label="admin")
    emulator.add_key(key=OPERATOR_KEY, grants=OPERATOR_GRANTS, label="operator")
    try:
        yield emulator
    finally:
        emulator.stop()


def control(emu: Emulator, method: str, what: str, body: Any = None) -> Any:
    root = emu.url.rstrip("/")
    if root.endswith("/api/v1"):
        root = root[: -len("/api/v1")]
    resp = requests.request(method, f"{root}/__emulator/{what}", json=body, timeout=5)
    resp.raise_for_status()
    return resp.json() if resp.content else None


@pytest.fixture(autouse=True)
def _clean_faults_and_log(emu: Emulator) -> Iterator[None]:
    control(emu, "DELETE", "faults")
    control(emu, "DELETE", "requests")
    yield
    control(emu, "DELETE", "faults")


def api_log(emu: Emulator, method: str | None = None, suffix: str = "") -> list[dict[str, Any]]:
    return [e for e in control(emu, "GET", "requests")["log"]
            if (method is None or e["method"] == method)
            and e["path"].split("?")[0].endswith(suffix)]


@pytest.fixture
def admin(emu: Emulator) -> Iterator[SparkPostClient]:
    with SparkPostClient(ADMIN_KEY, base_url=emu.url, timeout=5, retry_deadline=10) as c:
        yield fast(c)


@pytest.fixture
def operator(emu: Emulator) -> Iterator[SparkPostClient]:
    with SparkPostClient(OPERATOR_KEY, base_url=emu.url, timeout=5, retry_deadline=10) as c:
        yield fast(c)


def test_subaccount_lifecycle_with_initial_key(emu, operator):
    created = operator.create_subaccount("tenant-lifecycle",
                                         initial_key=InitialKey("send", ["smtp/inject"]))
    sid = created.id
    assert isinstance(sid, int)
    assert created.key and len(created.key) == 40 and created.short_key == created.key[:4]
    assert created.label == "send"

    got = operator.get_subaccount(sid)
    assert got.id == sid and got.name == "tenant-lifecycle" and got.status == "active"

    assert sid in [s.id for s in operator.list_subaccounts()]

    operator.update_subaccount(sid, name="tenant-renamed", status="suspended")
    got = operator.get_subaccount(sid)
    assert got.name == "tenant-renamed" and got.status == "suspended"

    with pytest.raises(E.NotFound):
        operator.get_subaccount(987_654)


def test_subaccount_without_key(operator):
    created = operator.create_subaccount("tenant-nokey")
    assert created.key is None
    assert operator.get_subaccount(created.id).name == "tenant-nokey"


def test_subaccount_validation_error_is_typed(operator):
    with pytest.raises(E.BadRequest) as info:
        operator.create_subaccount("x" * 65)
    assert info.value.param == "name"
    assert str(info.value).startswith("SparkPost API error 400 on POST /subaccounts: ")


def test_list_subaccounts_follows_pages(emu, operator):
    ids = {operator.create_subaccount(f"tenant-page-{i}").id for i in range(5)}
    control(emu, "DELETE", "requests")
    listed = list(operator.iter_subaccounts(per_page=2))
    assert ids <= {s.id for s in listed}
    assert len(listed) == len({s.id for s in listed})  # no page repeated
    pages = api_log(emu, "GET", "/subaccounts")
    assert len(pages) == -(-len(listed) // 2)  # ceil: one request per page of two


def test_api_keys_with_a_key_holding_api_keys_manage(emu, admin, operator):
    sid = operator.create_subaccount("tenant-keys").id
    created = admin.create_api_key("ci-send", ["smtp/inject"], ["10.0.0.0/8"], subaccount=sid)
    key_id = created.id
    assert key_id and created.label == "ci-send" and created.key and len(created.key) == 40

    got = admin.get_api_key(key_id, subaccount=sid)
    assert got.id == key_id and got.grants == ["smtp/inject"]
    assert got.valid_ips == ["10.0.0.0/8"] and got.subaccount_id == sid

    assert key_id in [k.id for k in admin.list_api_keys(subaccount=sid, grant="smtp/inject")]
    assert key_id not in [k.id for k in admin.list_api_keys(subaccount=sid,
                                                               grant="metrics/view")]

    admin.update_api_key(key_id, subaccount=sid, label="ci-send-2", grants=["smtp/inject"])
    assert admin.get_api_key(key_id, subaccount=sid).label == "ci-send-2"

    assert admin.delete_api_key(key_id, subaccount=sid) is None
    with pytest.raises(E.NotFound):
        admin.get_api_key(key_id, subaccount=sid)
    with pytest.raises(E.NotFound):
        admin.delete_api_key(key_id, subaccount=sid)


def test_operator_key_gets_403_on_api_keys_at_once(emu, operator):
    with pytest.raises(E.Forbidden) as info:
        operator.list_api_keys()
    assert str(info.value) == "SparkPost API error 403 on GET /api-keys: Forbidden."
    with pytest.raises(E.Forbidden):
        operator.create_api_key("nope", ["smtp/inject"])
    assert len(api_log(emu, suffix="/api-keys")) == 2  # one each: a 403 is never retried


def test_sending_domain_lifecycle(emu, operator):
    sid = operator.create_subaccount("tenant-domains").id
    domain = "mail.tenant-domains.example.com"
    assert operator.create_sending_domain(domain, subaccount=sid, generate_dkim_length=1024) is None

    got = operator.get_sending_domain(domain, subaccount=sid)
    assert got.dkim is not None and got.dkim.selector and got.dkim.public
    assert got.status.ownership_verified is False

    assert domain in [d.domain for d in operator.list_sending_domains(subaccount=sid)]

    with pytest.raises(E.Conflict) as info:
        operator.create_sending_domain(domain, subaccount=sid)
    assert info.value.code == "1602"

    verified = operator.verify_sending_domain(domain, subaccount=sid, dkim_verify=True)
    assert verified.status.dkim_status in ("invalid", "unverified")  # no DNS record published
    assert verified.status.ownership_verified is False

    assert operator.delete_sending_domain(domain, subaccount=sid) is None
    with pytest.raises(E.NotFound) as info:
        operator.get_sending_domain(domain, subaccount=sid)
    assert info.value.code == "1600"
    with pytest.raises(E.NotFound):
        operator.delete_sending_domain(domain, subaccount=sid)


def test_subaccount_key_from_setup_works(emu, operator):
    created = operator.create_subaccount("tenant-own-key",
                                         initial_key=InitialKey("own", ["sending_domains/manage"]))
    assert created.key is not None
    with SparkPostClient(created.key, base_url=emu.url, timeout=5) as own:
        assert own.list_sending_domains() == []


def test_429_burst_absorbed(emu, operator):
    sid = operator.create_subaccount("tenant-429").id
    control(emu, "PUT", "faults", {"burst_429": 3, "retry_after_fraction": 0})
    control(emu, "DELETE", "requests")
    assert operator.get_subaccount(sid).id == sid
    entries = api_log(emu, "GET", f"/subaccounts/{sid}")
    assert [e["status"] for e in entries] == [429, 429, 429, 200]


def test_429_with_retry_after_is_honoured(emu, operator):
    control(emu, "PUT", "faults", {"burst_429": 1, "retry_after_fraction": 1, "retry_after": 1})
    started = time.monotonic()
    operator.list_sending_domains()
    assert time.monotonic() - started >= 0.95
    assert [e["status"] for e in api_log(emu, "GET", "/sending-domains")] == [429, 200]


def test_create_is_not_repeated_on_a_5xx(emu, operator):
    control(emu, "PUT", "faults", {"rate_5xx": 1.0})
    with pytest.raises(E.ServerError) as info:
        operator.create_subaccount("tenant-5xx")
    assert "Not retried" in str(info.value)
    assert len(api_log(emu, "POST", "/subaccounts")) == 1


def test_no_key_in_emulator_errors(emu, operator):
    bad = SparkPostClient("f" * 40, base_url=emu.url, timeout=5)
    with pytest.raises(E.Unauthorized) as info:
        bad.get_account()
    assert "f" * 40 not in str(info.value)
    assert OPERATOR_KEY not in repr(operator)


def test_check_key_tells_a_live_send_key_from_a_revoked_one(emu, operator, admin):
    created = operator.create_subaccount("tenant-checked", initial_key=InitialKey("send", ["smtp/inject"]))
    assert created.key
    control(emu, "DELETE", "requests")
    assert operator.check_key(created.key) is True  # 403 on REST: live, SMTP only
    [entry] = api_log(emu)
    assert entry["status"] == 403  # one request, made with the send key
    assert admin.check_key(OPERATOR_KEY) is True  # a key that may read the account: live too
    key_id = [k.id for k in admin.list_api_keys(subaccount=created.id)][0]
    admin.delete_api_key(key_id, subaccount=created.id)
    assert operator.check_key(created.key) is False  # 401: revoked
    assert operator.check_key("ff" * 20) is False  # never existed
    assert operator.check_key(" \n") is False  # cannot authenticate: no request
    assert operator.check_key(OPERATOR_KEY) is True  # the client's own key is untouched


def test_one_client_shared_by_threads_sends_each_request_with_its_own_key(emu, operator, admin):
    """The provider shares one client (one requests Session) between Terraform's parallel
    operations, and a refresh checks a send key beside its GET of the subaccount: requests made
    with different keys at the same time must each carry their own key, and their answers come
    back to the right caller."""
    live = [operator.create_subaccount(f"tenant-threads-{i}", initial_key=InitialKey("send", ["smtp/inject"]))
            for i in range(4)]
    revoked = operator.create_subaccount("tenant-threads-revoked", initial_key=InitialKey("send", ["smtp/inject"]))
    key_id = [k.id for k in admin.list_api_keys(subaccount=revoked.id)][0]
    admin.delete_api_key(key_id, subaccount=revoked.id)
    # Held in the emulator until several are in flight together (a 30 ms latency left that to
    # how fast threads start on a loaded machine).
    control(emu, "PUT", "faults", {"hold": True})
    control(emu, "DELETE", "requests")
    jobs: list[tuple[str, Any]] = []
    for sub in live:
        jobs += [("live", sub.key), ("revoked", revoked.key), ("get", sub.id)]
    jobs *= 3
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        kind, arg = jobs[i]
        results[i] = operator.get_subaccount(arg).id if kind == "get" else operator.check_key(arg)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 60
        while control(emu, "GET", "requests")["in_flight"] < 4:
            assert time.monotonic() < deadline, "the requests never were in flight together"
            time.sleep(0.01)
    finally:
        control(emu, "DELETE", "faults")
    for t in threads:
        t.join(60)
    assert results == [True if kind == "live" else False if kind == "revoked" else arg for kind, arg in jobs]
    log = [e for e in control(emu, "GET", "requests")["log"]]
    assert len(log) == len(jobs)
    # who SparkPost saw: each send key acts for its own subaccount, the operator key for the primary
    live_ids = {sub.id for sub in live}
    assert sorted(e["subaccount"] for e in log if e["path"] == "/api/v1/account" and e["status"] == 403) == \
        sorted(sub.id for sub in live for _ in range(3))
    assert all(e["subaccount"] is None for e in log if e["status"] in (200, 401))
    assert {int(e["path"].rsplit("/", 1)[1]) for e in log if e["status"] == 200} == live_ids
    assert any(a["started"] < b["started"] < a["time"] for a in log for b in log), "no two requests overlapped"


def test_restricted_domain_is_a_bad_request_not_a_dkim_refusal(emu, operator):
    # sending-domains.apib, Create a Sending Domain: 400/7000 "Restricted domain".  Even with
    # a DKIM pair in the body, the refusal is about the domain: the client must not blame the key.
    control(emu, "PUT", "restricted-domains", {"domains": ["restricted.example"]})
    try:
        private, public = rsa_pair(1024)
        for key in (None, DkimKey(selector="s1", public=public, private=private)):
            with pytest.raises(E.BadRequest) as info:
                operator.create_sending_domain("mail.restricted.example", dkim=key)
            assert not isinstance(info.value, E.DkimRejected)
            assert info.value.code == "7000"
    finally:
        control(emu, "DELETE", "restricted-domains")
