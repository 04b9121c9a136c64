"""Typed models for the Metrics API's deliverability counts (metrics.apib, D-met).

The client turns each ``/metrics/deliverability/subaccount`` row into a ``SubaccountCounts``;
the rates follow SparkPost's own report formulas (support-docs,
content/docs/reporting/enterprise-metrics-definitions.md, "Report Metrics Definitions"):
bounce, hard, soft and block bounce rates are per *sent* message; the spam complaint rate is
per *accepted* message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from .errors import InvalidResponse

# The counts the deliverability check asks for, in the order it shows them.
CHECK_METRICS: tuple[str, ...] = (
    "count_targeted", "count_sent", "count_accepted", "count_delivered", "count_bounce",
    "count_hard_bounce", "count_soft_bounce", "count_block_bounce", "count_spam_complaint",
)


@dataclass(frozen=True)
class SubaccountCounts:
    subaccount_id: int            # 0 = the primary account
    targeted: int = 0
    sent: int = 0
    accepted: int = 0
    delivered: int = 0
    bounce: int = 0
    hard_bounce: int = 0
    soft_bounce: int = 0
    block_bounce: int = 0
    spam_complaint: int = 0

    @classmethod
    def from_api(cls, row: Any, *, path: str) -> "SubaccountCounts":
        if not isinstance(row, Mapping):
            raise InvalidResponse(f"a metrics row is a {type(row).__name__}, expected an object",
                                  method="GET", path=path)
        values: dict[str, int] = {}
        for name in ("subaccount_id", *CHECK_METRICS):
            raw = row.get(name, 0)
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0:
                raise InvalidResponse(f"metrics row field {name!r} is {raw!r}, expected a count",
                                      method="GET", path=path)
            values[name.removeprefix("count_")] = int(raw)
        if "subaccount_id" not in row:
            raise InvalidResponse("a metrics row has no subaccount_id", method="GET", path=path)
        return cls(**values)

    def rate(self, name: str) -> float | None:
        """A rate in [0, 1]; None when its denominator is zero."""
        numerator = {"bounce": self.bounce, "hard_bounce": self.hard_bounce,
                     "soft_bounce": self.soft_bounce, "block_bounce": self.block_bounce,
                     "spam_complaint": self.spam_complaint}[name]
        denominator = self.accepted if name == "spam_complaint" else self.sent
        return numerator / denominator if denominator else None

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
