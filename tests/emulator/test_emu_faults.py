"""Fault injection through the control API: 429, 503, dropped connections, latency."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.emulator.emu_helpers import OPERATOR_KEY, make_subaccount


def _faults(emu, method="PUT", body=None):
    r = requests.request(method, emu.url + "/__emulator/faults", json=body, timeout=5)
    return r


def _get(emu, path="/api/v1/subaccounts"):
    return requests.get(emu.url + path, headers={"Authorization": OPERATOR_KEY}, timeout=10)


def test_burst_429_with_retry_after(emu):
    assert _faults(emu, body={"burst_429": 2, "retry_after": 3, "retry_after_fraction": 1}).status_code == 200
    for _ in range(2):
        r = _get(emu)
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "3"
        assert r.json() == {"errors": [{"message": "Too many requests"}]}
    assert _get(emu).status_code == 200
    assert _faults(emu, "GET").json()["burst_429"] == 0


def test_burst_429_without_retry_after(emu):
    _faults(emu, body={"burst_429": 1, "retry_after_fraction": 0})
    r = _get(emu)
    assert r.status_code == 429 and "Retry-After" not in r.headers


def test_retry_after_fraction_is_a_share_of_429s(emu):
    _faults(emu, body={"rate_429": 1.0, "retry_after_fraction": 0.5, "seed": 7})
    with_header = sum("Retry-After" in _get(emu).headers for _ in range(40))
    assert 8 <= with_header <= 32


def test_rate_429_can_target_routes(emu, op, admin):
    _faults(emu, body={"rate_429": 1.0, "routes": ["api-keys"]})
    assert op.get("/subaccounts").status_code == 200
    assert admin.get("/api-keys").status_code == 429
    _faults(emu, body={"burst_5xx": 5, "routes": ["GET /api/v1/subaccounts/{id}"]})
    sid = make_subaccount(op)
    assert op.get(f"/subaccounts/{sid}").status_code == 503
    assert op.get("/subaccounts").status_code == 200


def test_5xx_is_503_with_documented_body(emu, op):
    _faults(emu, body={"burst_5xx": 1})
    r = op.post("/subaccounts", {"name": "x", "setup_api_key": False})
    assert r.status_code == 503
    assert r.json() == {"errors": [{"message": "Unable to contact authorization service."}]}
    assert emu.dump_state()["subaccounts"] == []  # the failed request changed nothing
    _faults(emu, body={"rate_5xx": 1.0})
    assert _get(emu).status_code == 503


def test_drop_closes_the_connection_without_a_response(emu, op):
    _faults(emu, body={"drop_rate": 1.0})
    with pytest.raises(requests.ConnectionError):
        op.post("/subaccounts", {"name": "dropped", "setup_api_key": False})
    assert emu.dump_state()["subaccounts"] == []
    log = emu.request_log()["log"]
    assert log[-1]["status"] is None and log[-1]["route"] == "POST /api/v1/subaccounts"


def _wait_in_flight(emu, n: int) -> None:
    deadline = time.monotonic() + 60
    while emu.request_log()["in_flight"] < n:
        assert time.monotonic() < deadline, emu.request_log()["in_flight"]
        time.sleep(0.01)


def test_hold_keeps_requests_in_flight_until_the_faults_change(emu):
    _faults(emu, body={"hold": True, "routes": ["GET /api/v1/sending-domains"]})
    with ThreadPoolExecutor(max_workers=2) as pool:
        held = pool.submit(_get, emu, "/api/v1/sending-domains")
        _wait_in_flight(emu, 1)
        log = emu.request_log()
        assert (log["arrived"], log["in_flight"], log["total"]) == (1, 1, 0)  # logged once answered
        assert log["in_flight_by_route"] == {"GET /api/v1/sending-domains": 1}
        assert _get(emu).status_code == 200  # another route is not held
        emu.reset_request_log()  # a reset forgets the history, not what is in flight
        assert (emu.request_log()["arrived"], emu.request_log()["in_flight"]) == (0, 1)
        assert not held.done()
        _faults(emu, method="DELETE")
        assert held.result(timeout=60).status_code == 200
    log = emu.request_log()
    assert (log["arrived"], log["in_flight"], log["total"], log["in_flight_by_route"]) == (0, 0, 1, {})


def _wait_connections(emu, cond) -> None:
    deadline = time.monotonic() + 60
    while not cond(emu.request_log()["connections"]):
        assert time.monotonic() < deadline, emu.request_log()["connections"]
        time.sleep(0.01)


def test_connections_count_open_client_connections(emu):
    _wait_connections(emu, lambda n: n == 0)  # (the fixture's own calls have closed)
    with socket.create_connection(("127.0.0.1", emu.port), timeout=30) as s:
        _wait_connections(emu, lambda n: n == 1)
        # a request sent just before the client goes is still handled, and the count drops after
        s.sendall(b"GET /api/v1/subaccounts HTTP/1.1\r\nHost: x\r\nAuthorization: " + OPERATOR_KEY.encode() + b"\r\n\r\n")
    _wait_connections(emu, lambda n: n == 0)
    log = emu.request_log()
    assert (log["arrived"], log["in_flight"], log["total"]) == (1, 0, 1)


def test_hold_is_released_by_a_put_and_by_stop(emu):
    _faults(emu, body={"hold": True})
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(_get, emu)
        _wait_in_flight(emu, 1)
        _faults(emu, body={"hold": True})  # new settings: the held request goes; later ones wait
        assert first.result(timeout=60).status_code == 200
        second = pool.submit(_get, emu)
        _wait_in_flight(emu, 1)
        emu.faults.release_held()  # what Emulator.stop() does first
        assert second.result(timeout=60).status_code == 200


def test_drop_after_applies_the_request_then_loses_the_answer(emu, op):
    _faults(emu, body={"drop_rate": 1.0, "drop_mode": "after"})
    with pytest.raises(requests.ConnectionError):
        op.post("/subaccounts", {"name": "orphan", "setup_api_key": False})
    assert [s["name"] for s in emu.dump_state()["subaccounts"]] == ["orphan"]


def test_latency_does_not_serialise_concurrent_requests(emu):
    # Ten requests held at once: a server that handled them one at a time would never have them
    # all in flight together (no wall-clock bound: which a loaded machine could miss).
    _faults(emu, body={"latency_ms": 300, "hold": True})
    with ThreadPoolExecutor(max_workers=10) as pool:
        started = time.monotonic()
        futures = [pool.submit(lambda: (_get(emu).status_code, time.monotonic() - started)) for _ in range(10)]
        _wait_in_flight(emu, 10)
        _faults(emu, method="DELETE")
        results = [f.result(timeout=60) for f in futures]
    assert [s for s, _ in results] == [200] * 10
    assert all(t >= 0.3 for _, t in results)  # each waited out its latency


def test_put_replaces_delete_clears_get_reports(emu):
    r = _faults(emu, body={"latency_ms": 5, "rate_429": 0.2, "routes": ["subaccounts"], "seed": 1})
    assert r.json()["rate_429"] == 0.2 and r.json()["routes"] == ["subaccounts"]
    r = _faults(emu, body={"rate_5xx": 0.05})
    assert (r.json()["rate_429"], r.json()["latency_ms"], r.json()["routes"], r.json()["rate_5xx"]) == \
        (0.0, 0, None, 0.05)
    cleared = _faults(emu, "DELETE").json()
    assert cleared == _faults(emu, "GET").json()
    assert (cleared["rate_5xx"], cleared["burst_429"], cleared["drop_rate"]) == (0.0, 0, 0.0)
    assert set(cleared) >= {"latency_ms", "rate_429", "retry_after_fraction", "retry_after", "burst_429",
                            "rate_5xx", "burst_5xx", "drop_rate", "routes", "seed", "hold"}


@pytest.mark.parametrize("body", [{"rate_429": 2}, {"burst_429": -1}, {"latency_ms": "slow"}, {"hold": 1},
                                  {"routes": "subaccounts"}, {"rate_428": 0.5}, {"drop_mode": "sometimes"}, [1]])
def test_bad_fault_settings_are_400(emu, body):
    r = _faults(emu, body=body)
    assert r.status_code == 400 and r.json()["error"]


def test_control_api_is_never_faulted_or_counted(emu):
    _faults(emu, body={"rate_5xx": 1.0, "drop_rate": 0.0})
    for _ in range(3):
        assert requests.get(emu.url + "/__emulator/requests", timeout=5).status_code == 200
    assert emu.request_log()["total"] == 0


def test_fault_seed_makes_runs_reproducible(emu):
    def run():
        _faults(emu, body={"rate_429": 0.5, "seed": 42})
        return [_get(emu).status_code for _ in range(20)]
    first, second = run(), run()
    assert first == second and {200, 429} == set(first)


def test_429_has_no_retry_after_by_default(emu):
    # SparkPost documents no Retry-After (index.apib "Rate Limiting"): not sent unless asked.
    _faults(emu, body={"burst_429": 3, "retry_after": 2})
    for _ in range(3):
        r = _get(emu)
        assert r.status_code == 429 and "Retry-After" not in r.headers


def test_python_api_set_faults(emu):
    emu.set_faults(burst_429=1, retry_after=2, retry_after_fraction=1.0)
    r = _get(emu)
    assert (r.status_code, r.headers.get("Retry-After")) == (429, "2")
    emu.clear_faults()
    assert _get(emu).status_code == 200
