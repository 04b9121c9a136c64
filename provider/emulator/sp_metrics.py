"""/api/v1/metrics/deliverability: the summary and the by-subaccount aggregation.

Source: SparkPost/developers.sparkpost.com, content/api/metrics.apib (D-met):

* ``GET /v1/metrics/deliverability{?from,to,delimiter,...,subaccounts,precision,metrics,timezone}``
  answers ``{"results": [{<metric>: n, ...}], "links": [...]}``;
  ``GET /v1/metrics/deliverability/subaccount{?...,limit,order_by}`` answers one row per
  subaccount, ``{"results": [{<metric>: n, ..., "subaccount_id": 0}, ...]}`` ("primary account
  events will be returned grouped by the subaccount_id field containing the value `0`").
* ``from`` is required, ``to`` defaults to now, both "Datetime in format of `YYYY-MM-DDTHH:MM`".
  ``metrics`` is required, a delimited list (``delimiter`` defaults to ``,``).
* ``precision`` (``1min`` default, ``5min``, ``15min``, ``hour``, ``day``) bounds the window:
  24 hours for the minute precisions ("Max time window" table; 48 hours for ``15min``), 31 days
  for ``hour``, no maximum for ``day``.  Whether SparkPost refuses a too-wide window when
  ``precision`` is omitted is not documented, so the emulator enforces the maximum only for an
  explicit ``precision`` (lenient where the reference is silent).  Error bodies for these
  checks are undocumented (reference 6: "likely 400 with 1200/1401"); we use classic 1200/1401.
* ``limit`` "between 1 and 10000, inclusive" (default 1000) and ``order_by`` ("Metric by which
  to order results") apply to the grouped endpoint; there is no cursor: a client that needs
  more rows narrows ``subaccounts=`` and asks again.
* ``X-MSYS-SUBACCOUNT`` is ignored; ``subaccounts=`` selects (D-sub, D-met).  A subaccount key
  still sees only its own traffic.
* Data is kept 6 months ("Data retention").

Seeded counts come in two kinds (see ``sp_model``): undated counts, which fall in every
window (the original seeding, handy for tests that do not care about time), and dated samples
(``ts`` = ``YYYY-MM-DDTHH:MM`` UTC), which count only when ``from <= ts < to``.
"""

from __future__ import annotations

import datetime as _dt

from . import sp_errors
from .sp_router import API_PREFIX, Request, Response, Router
from .sp_validate import is_uint_text

METRIC_NAMES = frozenset("""
count_targeted count_injected count_sent count_accepted count_delivered count_delivered_first
count_delivered_subsequent count_rendered count_nonprefetched_rendered count_initial_rendered
count_nonprefetched_initial_rendered count_unique_rendered count_nonprefetched_unique_rendered
count_unique_initial_rendered count_nonprefetched_unique_initial_rendered
count_unique_confirmed_opened count_nonprefetched_unique_confirmed_opened count_clicked
count_unique_clicked count_bounce count_hard_bounce count_soft_bounce count_block_bounce
count_admin_bounce count_undetermined_bounce count_rejected count_policy_rejection
count_generation_failed count_generation_rejection count_inband_bounce count_outofband_bounce
count_delayed count_delayed_first total_msg_volume count_spam_complaint total_delivery_time_first
total_delivery_time_subsequent count_unsubscribe count_inbox_panel count_spam_panel count_inbox_seed
count_spam_seed count_inbox_seed_private count_spam_seed_private count_inbox_seed_virtual
count_spam_seed_virtual count_moved_to_inbox count_moved_to_spam
""".split())

# precision -> maximum window (None = no maximum), from the "Precision Parameter" table.
PRECISIONS: dict[str, _dt.timedelta | None] = {
    "1min": _dt.timedelta(hours=24),
    "5min": _dt.timedelta(hours=24),
    "15min": _dt.timedelta(hours=48),
    "hour": _dt.timedelta(days=31),
    "day": None,
}
LIMIT_MAX = 10_000
LIMIT_DEFAULT = 1000
TIME_FORMAT = "%Y-%m-%dT%H:%M"


def parse_time(text: str) -> _dt.datetime | None:
    """``YYYY-MM-DDTHH:MM`` (UTC; seconds tolerated) -> aware datetime, or None."""
    for fmt in (TIME_FORMAT, "%Y-%m-%dT%H:%M:%S"):
        try:
            return _dt.datetime.strptime(text.strip(), fmt).replace(tzinfo=_dt.timezone.utc)
        except ValueError:
            continue
    return None


def _invalid(description: str) -> sp_errors.ApiError:
    return sp_errors.classic(400, "1200", "invalid params", description)


class Query:
    """A validated metrics query: names, subaccount ids in scope (0 = primary), window."""

    def __init__(self, req: Request) -> None:
        q = req.query
        for required in ("from", "metrics"):
            if not q.get(required):
                raise sp_errors.classic(400, "1401", "required parameter missing", f"'{required}' is required")
        delimiter = q.get("delimiter", ",") or ","
        self.names = [m.strip() for m in q["metrics"].split(delimiter) if m.strip()]
        unknown = [m for m in self.names if m not in METRIC_NAMES]
        if unknown:
            raise _invalid(f"Unsupported metric: {unknown[0]}")
        start = parse_time(q["from"])
        if start is None:
            raise _invalid("'from' must be a datetime in the format YYYY-MM-DDTHH:MM")
        now = _dt.datetime.now(_dt.timezone.utc)
        end = parse_time(q["to"]) if q.get("to") else now
        if end is None:
            raise _invalid("'to' must be a datetime in the format YYYY-MM-DDTHH:MM")
        if start >= end:
            raise _invalid("'from' must be before 'to'")
        precision = q.get("precision")
        if precision is not None:
            if precision not in PRECISIONS:
                raise _invalid(f"'precision' must be one of {', '.join(PRECISIONS)}")
            widest = PRECISIONS[precision]
            if widest is not None and end - start > widest:
                raise _invalid(f"the time window is too wide for precision '{precision}'")
        self.start, self.end = start, end
        if req.caller.is_subaccount_key:
            self.scope = [req.caller.key.subaccount_id or 0]
        else:
            with req.store.lock:
                self.scope = [0, *sorted(req.store.subaccounts)]
            if "subaccounts" in q:
                parts = [p.strip() for p in q["subaccounts"].split(delimiter) if p.strip()]
                if not all(is_uint_text(p) for p in parts):
                    raise _invalid("'subaccounts' must be a list of integers")
                self.scope = sorted({int(p) for p in parts})

    def counts(self, req: Request, sid: int) -> dict[str, int] | None:
        """This subaccount's totals in the window (None: no traffic at all in it)."""
        store = req.store
        rows: list[dict[str, int]] = []
        if sid in store.metrics:
            rows.append(store.metrics[sid])
        for sample in store.metric_samples:
            if sample["subaccount_id"] != sid:
                continue
            ts = parse_time(sample["ts"])
            if ts is not None and self.start <= ts < self.end:
                rows.append(sample["counts"])
        if not rows:
            return None
        return {m: sum(r.get(m, 0) for r in rows) for m in self.names}


def summary(req: Request) -> Response:
    query = Query(req)
    with req.store.lock:
        per_sub = [query.counts(req, sid) for sid in query.scope]
    totals = {m: sum(c.get(m, 0) for c in per_sub if c) for m in query.names}
    return Response(200, {"results": [totals], "links": [
        {"href": f"{API_PREFIX}/metrics/deliverability", "rel": "deliverability", "method": "GET"}]})


def by_subaccount(req: Request) -> Response:
    query = Query(req)
    raw_limit = req.query.get("limit", str(LIMIT_DEFAULT))
    if not is_uint_text(raw_limit) or not 1 <= int(raw_limit) <= LIMIT_MAX:
        raise _invalid(f"'limit' must be an integer between 1 and {LIMIT_MAX}")
    order_by = req.query.get("order_by")
    if order_by is not None and order_by not in query.names:
        raise _invalid("'order_by' must be one of the requested metrics")
    with req.store.lock:
        rows = []
        for sid in query.scope:
            counts = query.counts(req, sid)
            if counts is not None:  # a subaccount without traffic has no row
                rows.append({**counts, "subaccount_id": sid})
    if order_by is not None:
        rows.sort(key=lambda r: r[order_by], reverse=True)
    return Response(200, {"results": rows[:int(raw_limit)]})


def register(router: Router) -> None:
    router.add("GET", f"{API_PREFIX}/metrics/deliverability", summary)
    router.add("GET", f"{API_PREFIX}/metrics/deliverability/subaccount", by_subaccount)
