"""The managed-smtp module applied through a faulty SparkPost: 429s (with and without Retry-After),
5xx and dropped connections. Apply completes, SparkPost holds exactly what state says, every key
SparkPost issued is in Secret Manager, and the next plan is empty. A 429 storm longer than the
retry deadline fails clearly, and the next apply converges without duplicates."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections import Counter
from typing import Any

from provider.emulator.sp_faults import FaultInjector, parse_settings

from .harness import ROOT, changes
from .sparkpost_world import SparkPostWorld

INSTANCES = 50
SECRET_ID = "SPARKPOST_SMTP_API_KEY"
API_KEY_SECRET_LINE = 'api_key_secret = "projects/sourcegraph-secrets/secrets/SPARKPOST_API_KEY/versions/latest"'

FAULTS = {"rate_429": 0.20, "retry_after_fraction": 0.5, "retry_after": 1, "rate_5xx": 0.05, "drop_rate": 0.02}
# A response lost after SparkPost applied the request ("after") is recoverable for reads: they
# are retried. For POST /subaccounts it is not: SparkPost shows a subaccount's initial key only
# in that response (see test_lost_create_response_...). So the "after" phases fault the reads.
READ_ROUTES = ["GET /api/v1/account", "GET /api/v1/subaccounts", "GET /api/v1/subaccounts/{id}"]


def cloud_instances(sp: SparkPostWorld, instances: dict[str, dict[str, Any]], provider_extra: str = "") -> None:
    """examples/cloud-instances in the test world: the operator key from the environment."""
    work = sp.tf.workdir
    shutil.copytree(ROOT / "examples" / "cloud-instances", work, dirs_exist_ok=True)
    shutil.copytree(ROOT / "examples" / "modules", work.parent / "modules", dirs_exist_ok=True)
    main = (work / "main.tf").read_text()
    assert API_KEY_SECRET_LINE in main
    (work / "main.tf").write_text(main.replace(API_KEY_SECRET_LINE, provider_extra))
    (work / "terraform.tfvars.json").write_text(json.dumps({"instances": instances}))


def customers(n: int, prefix: str = "f") -> dict[str, dict[str, Any]]:
    return {f"{prefix}{i:03d}": {"project": f"cloud-{prefix}{i:03d}-prod"} for i in range(n)}


def subaccounts_in_state(sp: SparkPostWorld) -> dict[int, dict[str, Any]]:
    return {int(r["values"]["id"]): r["values"] for a, r in sp.tf.state_resources().items()
            if r["type"] == "sparkpost_subaccount"}


def assert_emulator_matches_state(sp: SparkPostWorld, preseeded: set[int], expected: int) -> dict[int, dict[str, Any]]:
    """SparkPost holds exactly the subaccounts state holds, no name twice, and every key it
    issued for them is the one Secret Manager holds."""
    state = subaccounts_in_state(sp)
    dump = sp.emulator.dump_state()
    made = {s["id"]: s for s in dump["subaccounts"] if s["id"] not in preseeded}
    assert set(made) == set(state), (sorted(set(made) - set(state)), sorted(set(state) - set(made)))
    assert len(state) == expected
    names = Counter(s["name"] for s in made.values())
    assert [n for n, c in names.items() if c > 1] == []
    for sid, s in made.items():
        assert s["name"] == state[sid]["name"] and s["status"] == "active"
    keys: dict[int, list[dict[str, Any]]] = {}
    for k in dump["keys"]:
        if k["subaccount_id"] in made:
            keys.setdefault(k["subaccount_id"], []).append(k)
    for sid, values in state.items():
        issued = keys.get(sid, [])
        assert len(issued) == 1, (sid, issued)  # one initial key per subaccount, none lost or doubled
        customer = values["name"].removeprefix("cloud-")
        versions = sp.secret_manager.versions(f"projects/cloud-{customer}-prod/secrets/{SECRET_ID}")
        assert len(versions) == 1 and versions[-1].text is not None  # written once, retries or not
        assert versions[-1].text[:4] == issued[0]["short_key"] == values["initial_api_key_short_key"]
        assert values["initial_api_key_secret"] is None  # in Secret Manager, not in state
        assert values["initial_api_key_secret_manager"]["version"] == versions[-1].name
    return state


def seed_dropping(settings: dict[str, Any], position: int) -> int:
    """A fault seed whose dice drop the position-th matching request (0-based) and none before.

    The emulator draws its dice from one seeded generator, in request order, so the n-th
    request of a phase meets a decision fixed by the seed alone."""
    for seed in range(100_000):
        dice = FaultInjector(parse_settings(dict(settings, seed=seed)))
        actions = [dice.decide("subaccounts", READ_ROUTES[2]).action for _ in range(position + 1)]
        if actions[-1] == "drop" and "drop" not in actions[:-1]:
            return seed
    raise AssertionError("no seed found")


class FaultSchedule:
    """Switches the emulator between drop modes every `per_phase` requests while an apply runs:
    "before" (the request never took effect) on every route, and "after" (applied, answer lost)
    on the read routes. Each phase gets a fresh seed; the first phase of each mode gets one
    that drops its third request, so that every run exercises both modes (at 2%, the dice
    alone would leave a mode out of many runs)."""

    def __init__(self, sp: SparkPostWorld, per_phase: int = 20) -> None:
        self.sp = sp
        self.per_phase = per_phase
        self.phases = Counter[str]()
        self.switches: list[tuple[float, str]] = []
        self.before = dict(FAULTS, drop_mode="before")
        self.after = dict(FAULTS, drop_mode="after", routes=READ_ROUTES)
        self.first_seeds = {"before": seed_dropping(self.before, 2), "after": seed_dropping(self.after, 2)}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _switch(self, phase: int) -> None:
        # One phase in four loses answers: "after" spares the POSTs, so the full rates hold
        # on every route for three quarters of the run.
        mode = "after" if phase % 4 == 1 else "before"
        settings = self.before if mode == "before" else self.after
        seed = self.first_seeds[mode] if phase < 2 else 1000 + phase
        self.sp.emulator.set_faults(dict(settings, seed=seed))
        self.phases[mode] += 1
        self.switches.append((time.time(), mode))

    def drops_by_mode(self) -> Counter[str]:
        """Dropped requests (logged without a status) by the drop mode in force when logged."""
        out = Counter[str]()
        for entry in self.sp.emulator.request_log()["log"]:
            if entry["status"] is None:
                mode = [m for t, m in self.switches if t <= entry["time"]]
                out[mode[-1] if mode else "?"] += 1
        return out

    def _run(self) -> None:
        phase, next_switch = 0, self.per_phase
        self._switch(phase)
        while not self._stop.wait(0.02):
            if self.sp.api_calls() >= next_switch:
                phase += 1
                next_switch += self.per_phase
                self._switch(phase)

    def __enter__(self) -> "FaultSchedule":
        self.sp.emulator.reset_request_log()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sp.emulator.clear_faults()


def faults_seen(sp: SparkPostWorld) -> Counter[str]:
    """Outcomes by kind; a dropped request is logged with no status (drop_mode "before") or
    with the status it would have had (drop_mode "after") - told apart by the route."""
    seen = Counter[str]()
    for entry in sp.emulator.request_log()["log"]:
        status = entry["status"]
        if status is None:
            seen["drop"] += 1
        else:
            seen["429" if status == 429 else "5xx" if status >= 500 else "ok"] += 1
    return seen


def test_apply_50_instances_through_429s_5xx_and_dropped_connections(sp: SparkPostWorld) -> None:
    # The provider's default retries (max_retries 8, retry_timeout 300 s, backoff from 1 s with
    # full jitter, Retry-After honoured) carry this without tuning.
    legacy = sp.api("POST", "/subaccounts", key=sp.operator_key, json={"name": "legacy-marketing", "setup_api_key": False})
    assert legacy.status_code == 200
    preseeded = {s["id"] for s in sp.emulator.dump_state()["subaccounts"]}
    cloud_instances(sp, customers(INSTANCES))
    sp.tf.init()
    sp.emulator.reset_request_log()

    with FaultSchedule(sp) as schedule:
        sp.tf.apply()
    seen, drops = faults_seen(sp), schedule.drops_by_mode()
    # The faults really happened, in both drop modes.
    assert seen["429"] >= 10 and seen["5xx"] >= 1, seen
    assert drops["before"] >= 1 and drops["after"] >= 1, (drops, schedule.phases)
    posts = sp.by_route().get("POST /api/v1/subaccounts", 0)
    assert posts > INSTANCES, "no POST /subaccounts was faulted and re-sent"

    assert_emulator_matches_state(sp, preseeded, INSTANCES)
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)


def test_lost_create_response_adopts_the_subaccount_and_says_the_key_is_lost(sp: SparkPostWorld) -> None:
    """The one fault no retry can heal: SparkPost created the subaccount and its key, and the
    response carrying the key was lost. The provider adopts the subaccount (no twin), keeps it in
    state, and says so; the key it never saw is accounted for by name in the diagnostic."""
    cloud_instances(sp, customers(1, prefix="lost"))
    sp.tf.init()
    sp.emulator.set_faults(drop_rate=1.0, drop_mode="after", routes=["POST /api/v1/subaccounts"])
    result = sp.tf.apply(check=False)
    sp.emulator.clear_faults()
    assert result.returncode == 1
    assert "Subaccount created, but its initial key was lost" in result.stdout + result.stderr
    dump = sp.emulator.dump_state()
    (sub,) = dump["subaccounts"]  # adopted, not made twice
    assert sub["name"] == "cloud-lost000"
    assert f"SparkPost created subaccount {sub['id']}" in re.sub(r"\s+", " ", result.stdout + result.stderr)
    (key,) = [k for k in dump["keys"] if k["subaccount_id"] == sub["id"]]
    assert sp.secret_manager.secrets() == []  # nothing to store: the key was never seen
    state = subaccounts_in_state(sp)
    assert set(state) == {sub["id"]}
    assert state[sub["id"]]["initial_api_key_short_key"] is None
    # Terraform taints a resource whose create failed: the next plan proposes a replacement
    # (which deletion_protection then refuses at apply). The operator chooses: `terraform
    # untaint` to keep the keyless subaccount, or unprotect it to terminate it and start afresh.
    result, plan = sp.tf.plan()
    assert result.returncode == 2
    assert changes(plan) == {'module.managed_smtp["lost000"].sparkpost_subaccount.this': ["delete", "create"]}


def test_429_storm_longer_than_the_retry_deadline_fails_clearly_then_converges(sp: SparkPostWorld) -> None:
    cloud_instances(sp, customers(4, prefix="storm"), provider_extra="retry_timeout = 3")
    sp.tf.init()
    sp.emulator.set_faults(rate_429=1.0, retry_after_fraction=0.5, retry_after=1)
    result = sp.tf.apply(check=False)
    assert result.returncode == 1
    text = re.sub(r"\s+", " ", result.stdout + result.stderr)
    assert re.search(r"gave up after \d+ attempts over [0-9.]+ s \([^)]*\): rate limited \(429\)", text), text[-3000:]
    assert "retry deadline 3 s" in text
    assert sp.emulator.dump_state()["subaccounts"] == []  # 429s never take effect

    sp.emulator.clear_faults()
    sp.tf.apply()
    assert_emulator_matches_state(sp, set(), 4)
    result, plan = sp.tf.plan()
    assert result.returncode == 0, changes(plan)
