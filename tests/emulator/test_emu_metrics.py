"""Deliverability metrics (metrics.apib): time windows, precision, grouping, limit, seeding."""

from __future__ import annotations

import datetime as dt

import requests

from tests.emulator.emu_helpers import Api, make_subaccount

FMT = "%Y-%m-%dT%H:%M"


def _ago(**delta: int) -> str:
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(**delta)).strftime(FMT)


def test_dated_samples_count_only_inside_the_window(emu, op):
    sid = make_subaccount(op)
    emu.seed_metrics(sid, ts=_ago(hours=2), count_targeted=10, count_hard_bounce=1)
    emu.seed_metrics(sid, ts=_ago(days=3), count_targeted=1000, count_hard_bounce=900)
    emu.seed_metrics(0, count_targeted=5)  # undated: in every window
    q = {"metrics": "count_targeted,count_hard_bounce"}
    day = op.get("/metrics/deliverability/subaccount", params={**q, "from": _ago(hours=24)}).json()["results"]
    assert sorted(day, key=lambda r: r["subaccount_id"]) == [
        {"count_targeted": 5, "count_hard_bounce": 0, "subaccount_id": 0},
        {"count_targeted": 10, "count_hard_bounce": 1, "subaccount_id": sid}]
    week = op.get("/metrics/deliverability", params={**q, "from": _ago(days=7)}).json()["results"]
    assert week == [{"count_targeted": 1015, "count_hard_bounce": 901}]
    old = op.get("/metrics/deliverability", params={**q, "from": _ago(days=7), "to": _ago(days=2)}).json()
    assert old["results"] == [{"count_targeted": 1005, "count_hard_bounce": 900}]


def test_window_and_parameter_validation(op):
    base = {"metrics": "count_sent"}
    assert op.get("/metrics/deliverability", params={**base, "from": "yesterday"}).status_code == 400
    assert op.get("/metrics/deliverability", params={**base, "from": _ago(hours=1), "to": _ago(hours=2)}).status_code == 400
    # precision bounds the window: 1min up to 24 h, hour up to 31 days, day unbounded
    assert op.get("/metrics/deliverability", params={**base, "from": _ago(hours=30), "precision": "1min"}).status_code == 400
    assert op.get("/metrics/deliverability", params={**base, "from": _ago(hours=30), "precision": "hour"}).status_code == 200
    assert op.get("/metrics/deliverability", params={**base, "from": _ago(days=40), "precision": "hour"}).status_code == 400
    assert op.get("/metrics/deliverability", params={**base, "from": _ago(days=40), "precision": "day"}).status_code == 200
    assert op.get("/metrics/deliverability", params={**base, "from": _ago(hours=1), "precision": "year"}).status_code == 400
    sub = "/metrics/deliverability/subaccount"
    assert op.get(sub, params={**base, "from": _ago(hours=1), "limit": "0"}).status_code == 400
    assert op.get(sub, params={**base, "from": _ago(hours=1), "limit": "10001"}).status_code == 400
    assert op.get(sub, params={**base, "from": _ago(hours=1), "order_by": "count_bounce"}).status_code == 400


def test_limit_order_by_and_subaccount_filter(emu, op):
    ids = [make_subaccount(op, f"t{i}") for i in range(4)]
    for n, sid in enumerate(ids):
        emu.seed_metrics(sid, count_targeted=(n + 1) * 10)
    q = {"metrics": "count_targeted", "from": _ago(hours=1)}
    rows = op.get("/metrics/deliverability/subaccount", params={**q, "order_by": "count_targeted", "limit": "2"}).json()["results"]
    assert [r["subaccount_id"] for r in rows] == [ids[3], ids[2]]
    rows = op.get("/metrics/deliverability/subaccount", params={**q, "subaccounts": f"{ids[0]},{ids[1]}"}).json()["results"]
    assert sorted(r["subaccount_id"] for r in rows) == ids[:2]


def test_control_api_seeds_dated_rows(emu, op):
    r = requests.post(emu.url + "/__emulator/metrics", json={"subaccount_id": 0, "ts": _ago(minutes=5),
                                                             "count_targeted": 3}, timeout=5)
    assert r.status_code == 200 and r.json()["metrics"][0]["ts"]
    bad = requests.post(emu.url + "/__emulator/metrics", json={"ts": "later", "count_targeted": 3}, timeout=5)
    assert bad.status_code == 400
    got = op.get("/metrics/deliverability", params={"metrics": "count_targeted", "from": _ago(hours=1)})
    assert got.json()["results"] == [{"count_targeted": 3}]


def test_metrics_need_the_grant(emu):
    emu.add_key(key="ee" * 20, grants=["subaccount/manage"])
    assert Api(emu.url, "ee" * 20).get("/metrics/deliverability", params={
        "metrics": "count_sent", "from": _ago(hours=1)}).status_code == 403
