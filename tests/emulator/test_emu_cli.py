"""The `sparkpost-emulator` console script: address line, signals, --state, --seed, bad args."""

from __future__ import annotations

import json
import os
import pathlib
import selectors
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.emulator.emu_helpers import OPERATOR_GRANTS, OPERATOR_KEY, Api

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = pathlib.Path(sys.executable).parent / "sparkpost-emulator"


def _command() -> list[str]:
    if SCRIPT.exists():
        return [str(SCRIPT)]
    found = shutil.which("sparkpost-emulator")
    return [found] if found else [sys.executable, "-m", "provider.emulator"]


class Running:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("SPARKPOST_EMULATOR")}
        full_env.update(env or {})
        self.proc = subprocess.Popen([*_command(), "--port", "0", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, cwd=ROOT, env=full_env)
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=15):
            self.proc.kill()
            raise AssertionError("emulator did not print its address")
        self.first_line = self.proc.stdout.readline()
        assert self.first_line.startswith("listening on http://127.0.0.1:"), self.first_line
        self.url = self.first_line.split("listening on ", 1)[1].strip()

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=10)
        return self.proc.returncode, out, err


def test_state_survives_a_restart(tmp_path):
    state = tmp_path / "state.json"
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"keys": [{"key": OPERATOR_KEY, "label": "operator", "grants": OPERATOR_GRANTS}]}))
    run = Running("--state", str(state), "--seed", str(seed))
    api = Api(run.url, OPERATOR_KEY)
    res = api.post("/subaccounts", {"name": "persisted", "key_label": "k",
                                      "key_grants": ["sending_domains/manage"]}).json()
    sub_key = res["results"]["key"]
    assert api.post("/sending-domains", {"domain": "keep.example.com", "dkim_key_length": 1024}).status_code == 200
    public = api.get("/sending-domains/keep.example.com").json()["results"]["dkim"]["public"]
    rc, out, err = run.stop()
    assert (rc, out, "Traceback" in err) == (0, "", False)
    text = state.read_text()
    assert OPERATOR_KEY not in text and sub_key not in text  # only digests are stored
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

    seed.write_text("{}")  # the seed is ignored once a state file exists
    run = Running("--state", str(state), "--seed", str(seed))
    api = Api(run.url, OPERATOR_KEY)
    assert api.get("/subaccounts/1").json()["results"]["name"] == "persisted"
    assert api.get("/sending-domains/keep.example.com").json()["results"]["dkim"]["public"] == public
    assert Api(run.url, sub_key).get("/sending-domains").status_code == 200  # subaccount key still works
    assert api.post("/subaccounts", {"name": "next", "setup_api_key": False}).json()["results"]["subaccount_id"] == 2
    rc, _, err = run.stop(signal.SIGINT)
    assert rc == 0 and "Traceback" not in err and "KeyboardInterrupt" not in err


def test_no_keys_without_seed_or_env(tmp_path):
    run = Running()
    try:
        assert Api(run.url, OPERATOR_KEY).get("/subaccounts").status_code == 401
        assert requests.get(run.url + "/__emulator/state", timeout=5).json()["keys"] == []
    finally:
        assert run.stop()[0] == 0


def test_env_key_and_flags(tmp_path):
    run = Running("--region", "eu", "--rate-5xx", "1", "--fault-seed", "3",
                  env={"SPARKPOST_EMULATOR_KEY": OPERATOR_KEY,
                       "SPARKPOST_EMULATOR_KEY_GRANTS": "subaccount/view,account/view"})
    try:
        assert Api(run.url, OPERATOR_KEY).get("/subaccounts").status_code == 503
        faults = requests.get(run.url + "/__emulator/faults", timeout=5).json()
        assert (faults["rate_5xx"], faults["seed"]) == (1.0, 3)
        requests.delete(run.url + "/__emulator/faults", timeout=5)
        api = Api(run.url, OPERATOR_KEY)
        assert api.get("/subaccounts").status_code == 200
        assert api.get("/account").json()["results"]["country_code"] == "DE"
        assert api.post("/subaccounts", {"name": "x"}).status_code == 403  # only the env grants
        keys = requests.get(run.url + "/__emulator/state", timeout=5).json()["keys"]
        assert [k["grants"] for k in keys] == [["subaccount/view", "account/view"]]
    finally:
        rc, out, err = run.stop()
    assert rc == 0 and OPERATOR_KEY not in out + err


def test_verbose_logs_requests_without_keys():
    run = Running("--verbose", env={"SPARKPOST_EMULATOR_KEY": OPERATOR_KEY})
    Api(run.url, OPERATOR_KEY).get("/subaccounts")
    Api(run.url, OPERATOR_KEY, basic=True).get("/subaccounts")
    rc, out, err = run.stop()
    assert rc == 0 and out == ""
    assert "GET /api/v1/subaccounts" in err
    assert OPERATOR_KEY not in err and "Basic" not in err


@pytest.mark.parametrize("args", [
    ["--port", "abc"], ["--port", "70000"], ["--region", "mars"], ["--rate-429", "2"],
    ["--drop-rate", "-0.1"], ["--latency-ms", "slow"], ["--no-such-flag"], ["--fault-seed", "x"],
    ["--seed", "/nonexistent/seed.json"], ["--state", "/nonexistent/dir/state.json"],
])
def test_bad_arguments_exit_2_with_one_line(args):
    proc = subprocess.run([*_command(), *args], capture_output=True, text=True, cwd=ROOT, timeout=20,
                          env={k: v for k, v in os.environ.items() if not k.startswith("SPARKPOST_EMULATOR")})
    assert proc.returncode == 2, (args, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sparkpost-emulator: error:"), proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_seed_content_and_bad_env_key_exit_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPARKPOST_EMULATOR")}
    seed = tmp_path / "seed.json"
    for content in ("{not json", json.dumps({"keys": [{"key": "short"}]}), "[]"):
        seed.write_text(content)
        proc = subprocess.run([*_command(), "--seed", str(seed)], capture_output=True, text=True, cwd=ROOT,
                              timeout=20, env=env)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    proc = subprocess.run(_command(), capture_output=True, text=True, cwd=ROOT, timeout=20,
                          env={**env, "SPARKPOST_EMULATOR_KEY": "not-hex"})
    assert proc.returncode == 2 and "SPARKPOST_EMULATOR_KEY" in proc.stderr


def test_corrupt_state_file_exits_2(tmp_path):
    state = tmp_path / "state.json"
    state.write_text('{"subaccounts": [{"nope": 1}]}')
    proc = subprocess.run([*_command(), "--state", str(state)], capture_output=True, text=True, cwd=ROOT, timeout=20)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_port_in_use_is_a_clean_error():
    run = Running()
    try:
        port = run.url.rsplit(":", 1)[1]
        t0 = time.monotonic()
        proc = subprocess.run([*_command(), "--port", port], capture_output=True, text=True, cwd=ROOT, timeout=20)
        assert proc.returncode == 1 and "cannot listen" in proc.stderr and "Traceback" not in proc.stderr
        assert time.monotonic() - t0 < 15
    finally:
        run.stop()
