"""Faults class: lost responses, 5xx, 429 and dropped connections around creates. Whatever the
faults, a create makes at most one live object (issue 13 item 4).

Most cases drive the provider's create path (provider/sparkpost/create_once.py, through the real
client) against the emulator with its fault injection (`PUT /__emulator/faults`): "after" drops
make SparkPost act and then lose the answer, the case that made twins and lost keys. Then they
count what SparkPost holds. The last cases drive `terraform apply` itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import pytest

from provider.emulator.sparkpost import Emulator
from provider.sparkpost import create_once
from provider.sparkpost.client import SparkPostClient
from provider.sparkpost.errors import SparkPostError
from provider.sparkpost.models import InitialKey, WebhookAuth
from tests.e2e.harness import Terraform
from tests.e2e.sparkpost_world import ADMIN_GRANTS, PROVIDER_BLOCK, make_world

KEY = "c0" * 20
SUB_POST = "POST /api/v1/subaccounts"
KEY_POST = "POST /api/v1/api-keys"
SUB_PUT = "PUT /api/v1/subaccounts/{id}"
KEY_PUT = "PUT /api/v1/api-keys/{id}"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    emulator = Emulator(region="us", state_path=None, seed=None, options={"api_keys_api": True})
    emulator.start(port=0)
    emulator.add_key(key=KEY, grants=ADMIN_GRANTS, label="admin")
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def client(emu: Emulator) -> Iterator[SparkPostClient]:
    emu.reset()
    emu.add_key(key=KEY, grants=ADMIN_GRANTS, label="admin")
    emu.clear_faults()
    with SparkPostClient(KEY, base_url=emu.url, timeout=5, retry_deadline=20, max_retries=8) as c:
        c.retry_policy = type(c.retry_policy)(max_retries=8, deadline=20, backoff_base=0.01, backoff_cap=0.05)
        yield c
    emu.clear_faults()


def subaccounts(emu: Emulator, *, live: bool = True) -> list[dict[str, Any]]:
    return [s for s in emu.dump_state()["subaccounts"] if not live or s["status"] != "terminated"]


def user_keys(emu: Emulator) -> list[dict[str, Any]]:
    return [k for k in emu.dump_state()["keys"] if k["label"] != "admin"]


@dataclass(frozen=True)
class Fault:
    id: str
    settings: dict[str, Any]
    succeeds: bool = True  # False: every attempt fails, so the create must fail and leave nothing
    resent: bool = True  # the fault hits the first POST: it is sent again (or its object adopted)
    extra: dict[str, Any] = field(default_factory=dict)


def faults_for(route: str) -> list[Fault]:
    return [
        Fault("answer-lost-every-time", {"drop_rate": 1.0, "drop_mode": "after", "routes": [route]},
              succeeds=route == SUB_POST),  # a lost key is revoked each time, so no key ever results
        *[Fault(f"answer-lost-half-seed-{seed}", {"drop_rate": 0.5, "drop_mode": "after", "routes": [route],
                                                  "seed": seed}) for seed in (1, 3, 4, 7, 8, 9)],
        Fault("connection-dropped-before", {"drop_rate": 0.6, "drop_mode": "before", "routes": [route], "seed": 4}),
        Fault("503-burst", {"burst_5xx": 3, "routes": [route]}),
        Fault("503-always", {"rate_5xx": 1.0, "routes": [route]}, succeeds=False),
        Fault("429-burst", {"burst_429": 4, "routes": [route]}),
        Fault("everything-flaky", {"drop_rate": 0.3, "drop_mode": "after", "rate_429": 0.2, "rate_5xx": 0.2,
                                   "seed": 11}, resent=False),
        Fault("lists-flaky-answers-lost", {"drop_rate": 0.5, "drop_mode": "after", "seed": 12,
                                           "routes": [route, "GET /api/v1/subaccounts", "GET /api/v1/api-keys"]},
              resent=False),
    ]


@pytest.mark.parametrize("fault", faults_for(SUB_POST), ids=lambda f: f"subaccount-{f.id}")
def test_subaccount_create_makes_at_most_one(fault: Fault, client: SparkPostClient, emu: Emulator) -> None:
    emu.set_faults(fault.settings)
    emu.reset_request_log()
    adopted = False
    try:
        created, outcome = create_once.create_subaccount(client, "cloud-acme", ip_pool=None, initial_key=None)
        adopted = outcome.adopted  # the answer was lost and the subaccount found by its marker
    except SparkPostError:
        created = None
    emu.clear_faults()
    posts = emu.request_log()["by_route"].get(SUB_POST, 0)
    assert not fault.resent or posts > 1 or adopted, "the fault did not happen"
    live = subaccounts(emu)
    if fault.succeeds:
        assert created is not None, "the create failed"
        assert [(s["id"], s["name"]) for s in live] == [(created.id, "cloud-acme")], live
    else:
        assert created is None and live == [], live
    assert not [s for s in subaccounts(emu, live=False) if create_once.unmarked(s["name"]) and s["status"] != "terminated"]


@pytest.mark.parametrize("fault", faults_for(KEY_POST), ids=lambda f: f"api-key-{f.id}")
def test_api_key_create_leaves_at_most_one_live_key(fault: Fault, client: SparkPostClient, emu: Emulator) -> None:
    emu.set_faults(fault.settings)
    emu.reset_request_log()
    try:
        created, outcome = create_once.create_api_key(client, "smtp", ["smtp/inject"], None, subaccount=None,
                                                      label_max=1024)
    except SparkPostError:
        created = None
    emu.clear_faults()
    assert not fault.resent or emu.request_log()["by_route"].get(KEY_POST, 0) > 1, "the fault did not happen"
    keys = user_keys(emu)
    if fault.succeeds:
        assert created is not None and created.key, "the create failed"
        # exactly one key, the one whose secret the caller holds, under its final label
        assert [(k["id"], k["label"], k["short_key"]) for k in keys] == [(created.id, "smtp", created.key[:4])], keys
    else:
        assert created is None and keys == [], keys


def test_subaccount_answer_lost_with_initial_key_adopts_and_says_so(client: SparkPostClient, emu: Emulator) -> None:
    emu.set_faults({"drop_rate": 1.0, "drop_mode": "after", "routes": [SUB_POST]})
    created, outcome = create_once.create_subaccount(client, "cloud-keyed", ip_pool=None,
                                                     initial_key=InitialKey("smtp", ["smtp/inject"]))
    emu.clear_faults()
    assert outcome.adopted and created.key is None  # the resource reports the lost key
    assert [s["name"] for s in subaccounts(emu)] == ["cloud-keyed"]


def test_rename_that_fails_leaves_the_marked_name_for_the_next_apply(client: SparkPostClient, emu: Emulator) -> None:
    emu.set_faults({"rate_5xx": 1.0, "routes": [SUB_PUT]})
    created, outcome = create_once.create_subaccount(client, "cloud-rename", ip_pool=None, initial_key=None)
    emu.clear_faults()
    assert outcome.rename_failed and create_once.unmarked(outcome.marked_name) == "cloud-rename"
    assert [s["name"] for s in subaccounts(emu)] == [outcome.marked_name]


def test_long_names_keep_their_marker_within_64_characters(client: SparkPostClient, emu: Emulator) -> None:
    name = "n" * 64
    emu.set_faults({"rate_5xx": 1.0, "routes": [SUB_PUT]})  # keep the marked name to look at it
    _, outcome = create_once.create_subaccount(client, name, ip_pool=None, initial_key=None)
    emu.clear_faults()
    assert len(outcome.marked_name) == 64 and create_once.unmarked(outcome.marked_name) == name[:47]


def test_two_creates_of_one_name_under_lost_answers_make_exactly_two(client: SparkPostClient, emu: Emulator) -> None:
    """The probe's case: two resources of the same name, answers lost; the old name check,
    unsure which new subaccount was whose, created more (18 subaccounts)."""
    emu.set_faults({"drop_rate": 0.5, "drop_mode": "after", "routes": [SUB_POST], "seed": 3})
    results: list[Any] = []

    def make() -> None:
        with SparkPostClient(KEY, base_url=emu.url, timeout=5, retry_deadline=20) as c:
            c.retry_policy = type(c.retry_policy)(max_retries=8, deadline=20, backoff_base=0.01, backoff_cap=0.05)
            results.append(create_once.create_subaccount(c, "cloud-twin", ip_pool=None, initial_key=None)[0].id)

    threads = [threading.Thread(target=make) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    emu.clear_faults()
    live = subaccounts(emu)
    assert sorted(s["id"] for s in live) == sorted(results) and len(set(results)) == 2, live
    assert {s["name"] for s in live} == {"cloud-twin"}


# ---------------------------------------------------------------- through terraform


@pytest.fixture
def admin_world(make_tf: Callable[..., Terraform]) -> Iterator[Any]:
    world, close = make_world(make_tf, grants=ADMIN_GRANTS, api_keys_api=True)
    try:
        yield world
    finally:
        close()


def test_terraform_api_keys_under_lost_answers_end_in_state_and_nowhere_else(admin_world: Any) -> None:
    """The probe's case: five sparkpost_api_key creates under faults; five live keys ended in
    neither state nor Secret Manager."""
    sp = admin_world
    sp.tf.write(PROVIDER_BLOCK, "versions.tf")
    sp.tf.write("".join(
        f'resource "sparkpost_api_key" "k{i}" {{\n  label = "smtp {i}"\n  grants = ["smtp/inject"]\n'
        f'  secret_manager = {{\n    secret = "projects/my-project/secrets/k{i}"\n    create_secret = true\n  }}\n}}\n'
        for i in range(5)))
    sp.tf.init()
    sp.emulator.set_faults({"drop_rate": 0.5, "drop_mode": "after", "routes": [KEY_POST], "seed": 4})
    sp.emulator.reset_request_log()
    sp.tf.apply()
    sp.emulator.clear_faults()
    routes = sp.by_route()
    # answers were lost: keys were made, revoked and made again
    assert routes.get(KEY_POST, 0) > 5 and routes.get("DELETE /api/v1/api-keys/{id}", 0) >= 1, routes
    state = {r["values"]["id"]: r["values"] for r in sp.tf.state_resources().values()}
    live = {k["id"]: k for k in sp.emulator.dump_state()["keys"] if k["label"] not in ("operator", "admin")}
    assert set(live) == set(state) and len(state) == 5, (live, state)
    assert sorted(k["label"] for k in live.values()) == [f"smtp {i}" for i in range(5)]
    for values in state.values():
        version = sp.secret_manager.versions(values["secret_manager"]["secret"])[-1]
        assert version.text and version.text[:4] == live[values["id"]]["short_key"]
    assert sp.tf.plan()[0].returncode == 0


def test_terraform_two_same_name_subaccounts_under_lost_answers(admin_world: Any) -> None:
    """Two resources of one name, answers lost: each resource ends with at most one subaccount,
    and every live subaccount of that name is in state (a second create that finds the first
    one done fails instead of making a twin)."""
    sp = admin_world
    sp.tf.write(PROVIDER_BLOCK, "versions.tf")
    sp.tf.write("".join(f'resource "sparkpost_subaccount" "s{i}" {{\n  name = "same-name"\n}}\n' for i in range(2)))
    sp.tf.init()
    sp.emulator.set_faults({"drop_rate": 0.5, "drop_mode": "after", "routes": [SUB_POST], "seed": 9})
    sp.emulator.reset_request_log()
    result = sp.tf.apply(check=False)
    sp.emulator.clear_faults()
    # (seed 9's first draw, 0.46, loses the first POST's answer: its subaccount is found by marker)
    state = {r["values"]["id"] for r in sp.tf.state_resources().values()}
    live = {str(s["id"]) for s in sp.emulator.dump_state()["subaccounts"] if s["status"] != "terminated"}
    assert live == state and 1 <= len(live) <= 2, (live, state, result.stdout[-3000:])
    if len(live) == 1:
        assert "A subaccount named 'same-name' already exists" in result.stdout + result.stderr


def test_find_orphans_lists_keys_and_domains_an_interrupted_apply_left(admin_world: Any) -> None:
    """What an interrupted apply leaves besides subaccounts: a key still under its marked label,
    a twin of a managed key, a domain no state manages; and only those."""
    import json
    import subprocess
    import sys

    from tests.e2e.harness import ROOT

    sp = admin_world
    sp.tf.write(PROVIDER_BLOCK, "versions.tf")
    sp.tf.write('resource "sparkpost_api_key" "k" {\n  label = "ci"\n  grants = ["metrics/view"]\n}\n'
                'resource "sparkpost_sending_domain" "d" {\n  domain = "mail.managed.example"\n}\n')
    sp.tf.init()
    sp.tf.apply()
    made = {}
    for label in ("ci ~tf-0123456789ab", "ci", "by hand"):
        r = sp.api("POST", "/api-keys", json={"label": label, "grants": ["metrics/view"]})
        assert r.status_code == 200, r.text
        made[label] = r.json()["results"]["short_key"]
    sub = sp.api("POST", "/subaccounts", json={"name": "half ~tf-00000000abcd", "setup_api_key": False})
    sub_id = sub.json()["results"]["subaccount_id"]
    assert sp.api("POST", "/sending-domains", json={"domain": "mail.orphan.example"}).status_code == 200

    env = dict(sp.tf.env, SPARKPOST_API_KEY=sp.admin_key)
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "find-orphans"), "--dir", str(sp.tf.workdir),
                           "--json", "--detailed-exitcode"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    keys = {k["short_key"]: k for k in report["orphan_keys"]}
    assert set(keys) == {made["ci ~tf-0123456789ab"], made["ci"]}, report["orphan_keys"]
    assert "interrupted create" in keys[made["ci ~tf-0123456789ab"]]["why"]
    assert "twin of a managed sparkpost_api_key" in keys[made["ci"]]["why"]
    assert report["other_unmanaged_keys"] >= 1  # "by hand", the world's operator and admin keys
    assert [d["domain"] for d in report["orphan_domains"]] == ["mail.orphan.example"]
    assert [(o["id"], o["interrupted_create"]) for o in report["orphans"]] == [(sub_id, True)]
    # the text report says the same
    text = subprocess.run([sys.executable, str(ROOT / "scripts" / "find-orphans"), "--dir", str(sp.tf.workdir)],
                          capture_output=True, text=True, env=env, timeout=120).stdout
    assert "made by an interrupted create" in text and "mail.orphan.example" in text and "2 API key(s)" in text


# ---------------------------------------------------------------- a success whose body cannot be read


class _ManglingProxy:
    """Forwards to the emulator (which acts) and replaces the body of one route's successful answer:
    SparkPost made the object, and what came back is no answer the client can read."""

    def __init__(self, upstream: str, route: str, body: bytes | Callable[[bytes], bytes]) -> None:
        import http.server

        import requests

        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                up = requests.request(self.command, upstream + self.path, data=data, headers=headers, timeout=10)
                out = up.content
                if f"{self.command} {self.path.split('?')[0]}" == route and up.status_code == 200:
                    out = body(out) if callable(body) else body
                    proxy.mangled += 1
                self.send_response(up.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.mangled = 0
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


UNREADABLE = {
    "truncated-json": b'{"results": {"subaccount_id": 1',
    "not-json": b"<html>OK</html>",
    "no-results": b'{"errors": [{"message": "something went wrong"}]}',
    "wrong-shape": b'{"results": {"subaccount_id": "seven", "id": "seven"}}',
    "nested-too-deep": b'{"results": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "id-negative": b'{"results": {"subaccount_id": -5}}',
    "id-beyond-2-31": b'{"results": {"subaccount_id": 1099511627776}}',
}


@pytest.mark.parametrize("body", list(UNREADABLE), ids=list(UNREADABLE))
def test_subaccount_made_but_its_answer_unreadable_is_found_not_forgotten(
        body: str, client: SparkPostClient, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 200 whose body cannot be read (not JSON, the wrong shape, an error body): SparkPost made
    the subaccount. It is found by its marker and returned, never left for no state to hold."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    proxy = _ManglingProxy(emu.url, SUB_POST, UNREADABLE[body])
    try:
        with SparkPostClient(KEY, base_url=proxy.url, timeout=5, retry_deadline=20, max_retries=8) as c:
            c.retry_policy = client.retry_policy
            created, outcome = create_once.create_subaccount(c, "cloud-garbled", ip_pool=None, initial_key=None)
    finally:
        proxy.httpd.shutdown()
    assert proxy.mangled == 1 and outcome.adopted
    assert [(s["id"], s["name"]) for s in subaccounts(emu)] == [(created.id, "cloud-garbled")]


UNUSABLE_KEY_ANSWERS = {
    "truncated-json": UNREADABLE["truncated-json"],
    # ids no URL can carry: they were a ValueError at the relabel, after the key was made
    "href-dot-dot": b'{"results": {"key": "ab' + b"0" * 38 + b'", "short_key": "ab00", "label": "x",'
                    b' "link": {"href": "/api/v1/api-keys/%2e%2e"}}}',
    "id-with-spaces": b'{"results": {"key": "ab' + b"0" * 38 + b'", "id": " k-1 "}}',
}


@pytest.mark.parametrize("body", list(UNUSABLE_KEY_ANSWERS), ids=list(UNUSABLE_KEY_ANSWERS))
def test_api_key_made_but_its_answer_unreadable_is_revoked(
        body: str, client: SparkPostClient, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key's secret was in the unreadable answer: the key is useless and is revoked."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    proxy = _ManglingProxy(emu.url, KEY_POST, UNUSABLE_KEY_ANSWERS[body])
    try:
        with SparkPostClient(KEY, base_url=proxy.url, timeout=5, retry_deadline=20, max_retries=8) as c:
            c.retry_policy = client.retry_policy
            with pytest.raises(SparkPostError):
                create_once.create_api_key(c, "smtp", ["smtp/inject"], None, subaccount=None, label_max=1024)
    finally:
        proxy.httpd.shutdown()
    assert proxy.mangled == 1 and user_keys(emu) == []


def test_create_answered_with_another_subaccount_id_never_touches_that_one(
        client: SparkPostClient, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """POST /subaccounts answered with the id of another, existing subaccount (a proxy's cache, a
    server bug): that one was renamed to this create's name (taken over) and the new one
    terminated as a twin. The subaccount with the create's marker is kept; the other is untouched."""
    other = create_once.create_subaccount(client, "someone-else", ip_pool=None, initial_key=None)[0].id
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    answer = b'{"results": {"subaccount_id": %d, "key": "ab%s", "label": "x"}}' % (other, b"0" * 38)
    proxy = _ManglingProxy(emu.url, SUB_POST, answer)
    try:
        with SparkPostClient(KEY, base_url=proxy.url, timeout=5, retry_deadline=20, max_retries=8) as c:
            c.retry_policy = client.retry_policy
            created, outcome = create_once.create_subaccount(
                c, "cloud-mine", ip_pool=None, initial_key=InitialKey("smtp", ["smtp/inject"]))
    finally:
        proxy.httpd.shutdown()
    assert proxy.mangled == 1 and outcome.adopted and created.id != other
    assert created.key is None  # the answer's key is not trusted: reported as lost
    live = {s["id"]: s["name"] for s in subaccounts(emu)}
    assert live == {other: "someone-else", created.id: "cloud-mine"}, live


@pytest.mark.parametrize("short_key_matches", [True, False], ids=["short-key-matches", "short-key-differs"])
def test_key_create_answered_with_another_keys_id_never_touches_that_key(
        short_key_matches: bool, client: SparkPostClient, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """POST /api-keys answered with another key's id: that key was relabelled and given this
    create's grants (the operator's key narrowed to smtp/inject, say), and the key just made was
    revoked as a twin. Now the other key is untouched; the made key is kept when the answer's
    short_key names it, else revoked and the create fails."""
    import json as jsonlib

    other, _ = create_once.create_api_key(client, "someone-else", ["metrics/view"], None, subaccount=None,
                                          label_max=1024)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    def another_id(body: bytes) -> bytes:  # the real answer, naming the other key
        doc = jsonlib.loads(body)
        doc["results"]["link"] = {"href": f"/api/v1/api-keys/{other.id}"}
        doc["results"].pop("id", None)
        if not short_key_matches:
            doc["results"]["short_key"] = "zzzz"
        return jsonlib.dumps(doc).encode()

    proxy = _ManglingProxy(emu.url, KEY_POST, another_id)
    try:
        with SparkPostClient(KEY, base_url=proxy.url, timeout=5, retry_deadline=20, max_retries=8) as c:
            c.retry_policy = client.retry_policy
            if short_key_matches:
                created, _ = create_once.create_api_key(c, "smtp", ["smtp/inject"], None, subaccount=None,
                                                        label_max=1024)
            else:
                with pytest.raises(SparkPostError, match="not the key this create made"):
                    create_once.create_api_key(c, "smtp", ["smtp/inject"], None, subaccount=None, label_max=1024)
    finally:
        proxy.httpd.shutdown()
    assert proxy.mangled == 1
    keys = {k["id"]: (k["label"], k["grants"]) for k in user_keys(emu)}
    assert keys[other.id] == ("someone-else", ["metrics/view"])  # untouched
    if short_key_matches:
        assert created.id != other.id and keys[created.id] == ("smtp", ["smtp/inject"]) and len(keys) == 2
    else:
        assert list(keys) == [other.id]


# ---------------------------------------------------------------- webhooks

HOOK_KEY = "d1" * 20
HOOK_POST = "POST /api/v1/webhooks"
HOOK_PUT = "PUT /api/v1/webhooks/{id}"


@pytest.fixture
def hooks(client: SparkPostClient, emu: Emulator) -> Iterator[tuple[SparkPostClient, str]]:
    """A client whose key may manage webhooks, and a receiver URL that answers the test batch."""
    from tests.webhook_receiver import Receiver

    emu.add_key(key=HOOK_KEY, grants=["webhooks/view", "webhooks/modify"], label="hooks")
    with Receiver() as receiver, SparkPostClient(HOOK_KEY, base_url=emu.url, timeout=5, retry_deadline=20,
                                                 max_retries=8) as c:
        c.retry_policy = client.retry_policy
        yield c, receiver.url + "/hook"


def _make_hook(c: SparkPostClient, target: str, name: str = "alerts",
               scope: int | None = 0) -> tuple[str, create_once.Outcome]:
    return create_once.create_webhook(c, name, target=target, events=["bounce"], active=True, custom_headers=None,
                                      exception_subaccounts=None, auth=WebhookAuth("none"), subaccount=scope)


def webhooks(emu: Emulator) -> list[dict[str, Any]]:
    return list(emu.dump_state()["webhooks"])


def hook_faults() -> list[Fault]:
    return [
        Fault("answer-lost-every-time", {"drop_rate": 1.0, "drop_mode": "after", "routes": [HOOK_POST]}),
        *[Fault(f"answer-lost-half-seed-{seed}", {"drop_rate": 0.5, "drop_mode": "after", "routes": [HOOK_POST],
                                                  "seed": seed}) for seed in (1, 3, 4, 7)],
        Fault("connection-dropped-before", {"drop_rate": 0.6, "drop_mode": "before", "routes": [HOOK_POST], "seed": 4}),
        Fault("503-burst", {"burst_5xx": 3, "routes": [HOOK_POST]}),
        Fault("503-always", {"rate_5xx": 1.0, "routes": [HOOK_POST]}, succeeds=False),
        Fault("lists-flaky-answers-lost", {"drop_rate": 0.5, "drop_mode": "after", "seed": 12,
                                           "routes": [HOOK_POST, "GET /api/v1/webhooks"]}, resent=False),
    ]


@pytest.mark.parametrize("fault", hook_faults(), ids=lambda f: f"webhook-{f.id}")
def test_webhook_create_makes_at_most_one(fault: Fault, hooks: tuple[SparkPostClient, str], emu: Emulator) -> None:
    """A POST /webhooks whose answer is lost used to fail with the webhook made and no state for
    it; a retry then made a second. Now: exactly one, under its name, and the id returned."""
    c, target = hooks
    emu.set_faults(fault.settings)
    emu.reset_request_log()
    adopted = False
    hook_id: str | None
    try:
        hook_id, outcome = _make_hook(c, target)
        adopted = outcome.adopted
    except SparkPostError:
        hook_id = None
    emu.clear_faults()
    posts = emu.request_log()["by_route"].get(HOOK_POST, 0)
    assert not fault.resent or posts > 1 or adopted, "the fault did not happen"
    live = webhooks(emu)
    if fault.succeeds:
        assert hook_id is not None, "the create failed"
        assert [(h["id"], h["name"], h["subaccount_id"]) for h in live] == [(hook_id, "alerts", 0)], live
    else:
        assert hook_id is None and live == [], live


def test_webhook_rename_that_fails_keeps_the_marked_name(hooks: tuple[SparkPostClient, str], emu: Emulator) -> None:
    c, target = hooks
    emu.set_faults({"rate_5xx": 1.0, "routes": [HOOK_PUT]})
    hook_id, outcome = _make_hook(c, target, name="n" * 1024)
    emu.clear_faults()
    assert outcome.rename_failed and len(outcome.marked_name) == 1024
    assert create_once.unmarked(outcome.marked_name) == "n" * (1024 - create_once.MARKER_LEN)
    assert [(h["id"], h["name"]) for h in webhooks(emu)] == [(hook_id, outcome.marked_name)]


@pytest.mark.parametrize("body", ["truncated-json", "not-json", "no-results"])
def test_webhook_made_but_its_answer_unreadable_is_found_not_forgotten(
        body: str, hooks: tuple[SparkPostClient, str], emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    c, target = hooks
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    proxy = _ManglingProxy(emu.url, HOOK_POST, UNREADABLE[body])
    try:
        with SparkPostClient(HOOK_KEY, base_url=proxy.url, timeout=5, retry_deadline=20, max_retries=8) as pc:
            pc.retry_policy = c.retry_policy
            hook_id, outcome = _make_hook(pc, target, scope=None)
    finally:
        proxy.httpd.shutdown()
    assert proxy.mangled == 1 and outcome.adopted
    assert [(h["id"], h["name"]) for h in webhooks(emu)] == [(hook_id, "alerts")]


def test_webhook_create_answered_with_another_webhooks_id_never_touches_it(
        hooks: tuple[SparkPostClient, str], emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    c, target = hooks
    other, _ = _make_hook(c, target, name="someone-else", scope=None)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    proxy = _ManglingProxy(emu.url, HOOK_POST, b'{"results": {"id": "%s"}}' % other.encode())
    try:
        with SparkPostClient(HOOK_KEY, base_url=proxy.url, timeout=5, retry_deadline=20, max_retries=8) as pc:
            pc.retry_policy = c.retry_policy
            hook_id, outcome = _make_hook(pc, target, name="mine", scope=None)
    finally:
        proxy.httpd.shutdown()
    assert proxy.mangled == 1 and outcome.adopted and hook_id != other
    assert {h["id"]: h["name"] for h in webhooks(emu)} == {other: "someone-else", hook_id: "mine"}
