"""sparkpost-smtp-check against the emulator: healthy, warning, critical, could not check;
thresholds, minimum volume, time window, names, pagination and rate limits."""

from __future__ import annotations

import datetime as dt
import json
import socket

from provider.emulator.sparkpost import Emulator

from .conftest import OPERATOR_KEY, run

CHECK = "provider.commands.smtp_check"


def _ago(**delta: int) -> str:
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


def _subs(emu: Emulator, *names: str) -> list[int]:
    with emu.store.lock:
        return [emu.store.new_subaccount(n).id for n in names]


def _traffic(emu: Emulator, sid: int, sent: int, bounce: int = 0, hard: int = 0, block: int = 0,
             spam: int = 0, ts: str | None = None) -> None:
    emu.seed_metrics(sid, ts=ts or _ago(hours=1), count_targeted=sent, count_sent=sent,
                     count_accepted=sent - bounce, count_delivered=sent - bounce, count_bounce=bounce,
                     count_hard_bounce=hard, count_soft_bounce=bounce - hard - block,
                     count_block_bounce=block, count_spam_complaint=spam)


def _json(proc) -> dict:
    return json.loads(proc.stdout)


def test_healthy_instances_exit_0_with_a_table(emu):
    acme, globex = _subs(emu, "cloud-acme", "cloud-globex")
    _traffic(emu, acme, 1000, bounce=10, hard=2)
    _traffic(emu, globex, 500, bounce=5)
    p = run(CHECK, [], emu)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[1].split()[:3] == ["INSTANCE", "SUBACCOUNT", "TARGETED"]
    assert lines[2].split()[:3] == ["acme", str(acme), "1000"] and "1.00%" in lines[2]
    assert lines[3].split()[0] == "globex" and lines[-1].startswith("Overall: OK")


def test_warning_bounce_rate_exits_1(emu):
    [sid] = _subs(emu, "cloud-acme")
    _traffic(emu, sid, 1000, bounce=60, hard=10)  # 6% bounce: above the 5% warning
    p = run(CHECK, ["--format", "json"], emu)
    assert p.returncode == 1, p.stderr
    doc = _json(p)
    assert doc["status"] == "warning" and doc["exit_code"] == 1
    [inst] = doc["instances"]
    assert inst["instance"] == "acme" and inst["status"] == "warning"
    assert inst["rates"]["bounce"] == 0.06 and inst["counts"]["sent"] == 1000
    assert inst["reasons"] == ["bounce rate 6.00% >= warning 5%"]


def test_critical_spam_complaints_exit_2_and_thresholds_are_flags(emu):
    ok, bad = _subs(emu, "cloud-ok", "cloud-bad")
    _traffic(emu, ok, 1000)
    _traffic(emu, bad, 1000, spam=4)  # 0.4% of accepted: above 0.3% critical
    p = run(CHECK, ["--format", "json"], emu)
    assert p.returncode == 2
    assert {i["instance"]: i["status"] for i in _json(p)["instances"]} == {"ok": "ok", "bad": "critical"}
    # The same data with looser thresholds is only a warning, and with looser still healthy.
    assert run(CHECK, ["--spam-complaint", "0.2,1"], emu).returncode == 1
    assert run(CHECK, ["--spam-complaint", "1,2"], emu).returncode == 0


def test_low_volume_is_not_judged(emu):
    [sid] = _subs(emu, "cloud-tiny")
    _traffic(emu, sid, 20, bounce=10, hard=10)  # 50% bounces, but only 20 messages
    p = run(CHECK, ["--format", "json"], emu)
    assert p.returncode == 0
    assert "below the minimum volume 100" in _json(p)["instances"][0]["reasons"][0]
    assert run(CHECK, ["--min-volume", "10"], emu).returncode == 2


def test_time_window(emu):
    [sid] = _subs(emu, "cloud-acme")
    _traffic(emu, sid, 1000, ts=_ago(hours=1))
    _traffic(emu, sid, 1000, bounce=500, hard=500, ts=_ago(days=3))  # a bad day, three days ago
    assert run(CHECK, [], emu).returncode == 0            # last 24 hours: healthy
    assert run(CHECK, ["--window", "7d"], emu).returncode == 2
    for huge in ("9999999999d", "99999999d", "3661d"):  # the first two overflowed a timedelta: a traceback
        p = run(CHECK, ["--window", huge], emu)
        assert p.returncode == 3 and "Traceback" not in p.stderr and "longer than 3660d" in p.stderr, p.stderr


def test_names_from_terraform_output_include_silent_instances(emu, tmp_path):
    acme, globex, other = _subs(emu, "cloud-acme", "cloud-globex", "someone-else")
    _traffic(emu, acme, 1000, bounce=120, hard=60)
    _traffic(emu, other, 1000, bounce=900)  # not in the output: not checked
    output = {"smtp": {"sensitive": False, "type": ["map", "object"], "value": {
        "acme": {"subaccount_id": str(acme), "default_sender": "noreply+acme@cloud.sourcegraph.com"},
        "globex": {"subaccount_id": str(globex), "default_sender": "noreply+globex@cloud.sourcegraph.com"}}}}
    path = tmp_path / "out.json"
    path.write_text(json.dumps(output))
    p = run(CHECK, ["--terraform-output", str(path), "--format", "json"], emu)
    assert p.returncode == 2, p.stderr
    got = {i["instance"]: (i["subaccount_id"], i["status"], i["counts"]["sent"]) for i in _json(p)["instances"]}
    assert got == {"acme": (acme, "critical", 1000), "globex": (globex, "ok", 0)}
    single = {"subaccount_id": {"sensitive": False, "type": "string", "value": str(globex)}}
    p = run(CHECK, ["--terraform-output", "-", "--format", "json"], emu, stdin=json.dumps(single))
    assert p.returncode == 0 and _json(p)["instances"][0]["subaccount_id"] == globex


def test_could_not_check_exits_3(emu, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    p = run(CHECK, ["--retry-deadline", "1"], None, base_url=dead)
    assert p.returncode == 3 and "could not check" in p.stderr and "Traceback" not in p.stderr
    emu.add_key(key="ab" * 20, grants=["subaccount/manage"])
    p = run(CHECK, [], emu, key="ab" * 20)
    assert p.returncode == 3 and "metrics/view" in p.stderr
    p = run(CHECK, ["--bounce", "9,1"], emu)  # bad thresholds: 3, never argparse's 2
    assert p.returncode == 3 and "WARNING <= CRITICAL" in p.stderr
    (tmp_path / "bad.json").write_text("[]")
    assert run(CHECK, ["--terraform-output", str(tmp_path / "bad.json")], emu).returncode == 3
    p = run(CHECK, [], emu, key="")
    assert p.returncode == 3 and "SPARKPOST_API_KEY" in p.stderr
    assert OPERATOR_KEY not in p.stderr + p.stdout


def test_pagination_and_rate_limits(tmp_path):
    seed = {"keys": [{"key": OPERATOR_KEY, "grants": ["metrics/view", "subaccount/manage"]}],
            "subaccounts": [{"id": i, "name": f"cloud-c{i:03d}"} for i in range(1, 251)],
            "metrics": [{"subaccount_id": i, "count_sent": 200, "count_accepted": 200} for i in range(1, 251)]}
    with Emulator(seed=seed) as emu:
        emu.set_faults(burst_429=2, retry_after=1)  # the first two requests are rate limited
        p = run(CHECK, ["--format", "json"], emu)
        assert p.returncode == 0, p.stderr
        assert len(_json(p)["instances"]) == 250
        log = emu.request_log()
        assert log["by_route"]["GET /api/v1/subaccounts"] >= 3   # 100 per page: followed links.next
        assert sum(1 for e in log["log"] if e["status"] == 429) == 2
        # 250 ids from terraform output: metrics asked for in batches of 200 ids.
        emu.reset_request_log()
        out = {"smtp": {"value": {f"c{i:03d}": {"subaccount_id": str(i)} for i in range(1, 251)}}}
        (tmp_path / "o.json").write_text(json.dumps(out))
        assert run(CHECK, ["--terraform-output", str(tmp_path / "o.json")], emu).returncode == 0
        assert emu.request_log()["by_route"]["GET /api/v1/metrics/deliverability/subaccount"] == 2


def test_names_from_terraform_dir_runs_terraform_output(emu, tmp_path):
    [sid] = _subs(emu, "cloud-acme")
    _traffic(emu, sid, 1000, bounce=200, hard=150)
    state = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "test", "resources": [],
             "outputs": {"smtp": {"value": {"acme": {"subaccount_id": str(sid)}},
                                  "type": ["object", {"acme": ["object", {"subaccount_id": "string"}]}]}}}
    (tmp_path / "terraform.tfstate").write_text(json.dumps(state))
    p = run(CHECK, ["--terraform-dir", str(tmp_path), "--format", "json"], emu)
    assert p.returncode == 2, p.stderr
    assert [(i["instance"], i["status"]) for i in _json(p)["instances"]] == [("acme", "critical")]
    p = run(CHECK, ["--terraform-dir", str(tmp_path / "missing")], emu)
    assert p.returncode == 3 and "terraform output" in p.stderr


def test_key_from_secret_manager(emu, monkeypatch):
    from provider.emulator.secretmanager import SecretManagerFake
    from provider.secrets import SecretStore

    fake = SecretManagerFake()
    fake.start(0)
    try:
        monkeypatch.setenv("SECRETMANAGER_EMULATOR_HOST", fake.address)
        version = SecretStore().write("projects/sourcegraph-secrets/secrets/SPARKPOST_API_KEY", OPERATOR_KEY + "\n",
                                      create=True)
        [sid] = _subs(emu, "cloud-acme")
        _traffic(emu, sid, 1000)
        p = run(CHECK, ["--api-key-secret", version], emu, key="")  # no SPARKPOST_API_KEY: the secret is used
        assert p.returncode == 0, p.stderr
        p = run(CHECK, ["--api-key-secret", "projects/sourcegraph-secrets/secrets/NOPE/versions/1"], emu, key="")
        assert p.returncode == 3 and "cannot read the API key from Secret Manager" in p.stderr
        assert OPERATOR_KEY not in p.stderr
    finally:
        fake.stop()
