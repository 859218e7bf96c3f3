"""Plain, slow, obviously-correct reference for the Customer Value segmentation.

This module is the executable reading of ``docs/rules.md`` sections 0-2
(rules I1-I6, P1-P3, CV1-CV7) that the property tests compare the product
against.  It uses only the standard library (``datetime`` and ``decimal``) and
favours clarity over speed: every step is a direct loop over the rows, and every
function cites the rule ids it implements.

Choices the spec leaves open (they are the product's documented choices):

* I3: the default ``as_of`` is the day after the latest day in the data; rows
  with ``day >= as_of`` are ignored entirely (not money, not events).
* I2, day mode: per (customer, day) the net total is the exact sum of
  ``money(amount)``; the day is a purchase event iff net > 0, or net == 0 when
  ``count_zero_days``.
* I2, order mode: per (customer, order id) the total is the exact sum of its
  lines with ``day < as_of``; the order is a purchase event iff total > 0 (or
  == 0 with ``count_zero_days``).  The event's day is the earliest day among the
  order's (used) lines.  Amounts still count for monetary on each line's own
  day.  The same order id under two customers is two different orders.
* P2: ``P0 = index(as_of)``, ``age(d) = P0 - index(d)``.
* CV3: for k >= 1 the monetary value is the sum of ALL amounts of the customer
  on days whose age lies in ``[k, k + monetary_periods - 1]``; for NEW it is the
  sum of all amounts in P0.
* CV5: NEW customers (empty history) are never SOL.  A SOL customer keeps k, n
  and m as computed for its recency group, but gets group ``0 SOL`` and segment
  ``ACT`` / ``COLD`` / ``LOST`` and is left out of the tier pools.
* CV6: ``r = (#pool members with monetary > m) / N`` as a Python float division.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "GROUPS",
    "SEGMENTS",
    "BoundaryPeriods",
    "RegularPeriods",
    "customer_value",
    "money",
]

# CV7: category orders, exactly as in the spec.
GROUPS = ("0 SOL", "1 NEW", "2 ACT", "3 COLD", "4 LOST", "5 LOST")
SEGMENTS = (
    "PLATINA",
    "GOLD",
    "SILVER",
    "BRONZE",
    "JUNIOR",
    "L",
    "M",
    "S",
    "XS",
    "NEW",
    "LOST",
    "ACT",
    "COLD",
)

# CV4 / CV6: tier labels per group, first tier first.
_TIER_LABELS = {
    "2 ACT": ("PLATINA", "GOLD", "SILVER", "BRONZE"),
    "3 COLD": ("L", "M", "S", "XS"),
    "4 LOST": ("L", "M", "S", "XS"),
}

_MILLION = 1_000_000


# --------------------------------------------------------------------------- #
# I6: money                                                                    #
# --------------------------------------------------------------------------- #

# CV7: the result columns after the customer column, in order.
OUT_COLUMNS = (
    "cv_group",
    "cv_segment",
    "periods_since_last",
    "purchases",
    "monetary",
    "first_purchase",
    "last_purchase",
)


def money(x) -> int:
    """I6: an amount as an integer number of millionths.

    * float: the float product ``x * 1e6`` (computed in binary floating point,
      exactly like Rust's ``(x * 1e6).round()``) rounded half away from zero.
      ``Decimal(float)`` is exact, so the rounding below sees the true product.
    * int: ``x * 1_000_000`` (exact).
    * Decimal: quantized to 6 places, half away from zero, then scaled.
    """
    if isinstance(x, bool):
        raise TypeError("I6: a bool is not an amount")
    if isinstance(x, int):
        return x * _MILLION
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError(f"I4: amount {x!r} is not finite")
        product = x * 1e6
        return int(Decimal(product).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if isinstance(x, Decimal):
        q = x.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        return int(q * _MILLION)
    raise TypeError(f"I6: unsupported amount type {type(x).__name__}")


# --------------------------------------------------------------------------- #
# P1: period calendars                                                         #
# --------------------------------------------------------------------------- #
def _monthnum(d: datetime.date) -> int:
    """Months since year 0: year * 12 + (month - 1)."""
    return d.year * 12 + d.month - 1


class RegularPeriods:
    """P1: periods of ``months`` whole months; boundaries are anchor + j * months.

    ``index(d)`` is the (possibly negative) number of the period holding ``d``,
    with period 0 starting on the anchor.  A day belongs to the period whose
    start is the latest boundary on or before it: counting whole months from the
    anchor, a day of the month before the anchor's day has not yet reached that
    month's boundary, hence the ``- 1``.
    """

    def __init__(self, months: int, anchor: datetime.date):
        if months not in (1, 2, 3, 4, 6, 12):
            raise ValueError(f"P1: period length must be 1, 2, 3, 4, 6 or 12 months, got {months}")
        if not 1 <= anchor.day <= 28:
            raise ValueError(f"P1: anchor day of month must be 1..28, got {anchor.day}")
        self.months = months
        self.anchor = anchor

    def index(self, d: datetime.date) -> int:
        whole_months = _monthnum(d) - _monthnum(self.anchor)
        if d.day < self.anchor.day:
            whole_months -= 1
        return whole_months // self.months  # floor division, also for negatives

    def start(self, i: int) -> datetime.date:
        """First day of period i (used only by the self-tests)."""
        m = _monthnum(self.anchor) + i * self.months
        return datetime.date(m // 12, m % 12 + 1, self.anchor.day)

    def __repr__(self) -> str:
        return f"RegularPeriods(months={self.months}, anchor={self.anchor})"


class BoundaryPeriods:
    """P1 (explicit list): period i = [b_i, b_{i+1}); the last one is open-ended.

    A day before the first boundary belongs to no period: ValueError.
    """

    def __init__(self, boundaries):
        bs = list(boundaries)
        if not bs:
            raise ValueError("P1: at least one boundary is needed")
        for a, b in zip(bs, bs[1:], strict=False):
            if not a < b:
                raise ValueError("P1: boundaries must be strictly increasing")
        self.boundaries = bs

    def index(self, d: datetime.date) -> int:
        if d < self.boundaries[0]:
            raise ValueError(f"P1: day {d} is before the first boundary {self.boundaries[0]}")
        i = 0
        for j, b in enumerate(self.boundaries):
            if b <= d:
                i = j
        return i

    def __repr__(self) -> str:
        return f"BoundaryPeriods({self.boundaries!r})"


# --------------------------------------------------------------------------- #
# CV: customer value                                                           #
# --------------------------------------------------------------------------- #
def _is_event_total(total: int, count_zero_days: bool) -> bool:
    """I2: a net total makes a purchase event when > 0 (or == 0 if counted)."""
    return total > 0 or (count_zero_days and total == 0)


def _tier(m: int, pool: list[int], cuts) -> int:
    """CV6: 0-based tier of monetary m in a pool (list of monetary values)."""
    n_pool = len(pool)
    greater = sum(1 for other in pool if other > m)
    r = greater / n_pool
    if r < cuts[0]:
        return 0
    if r < cuts[1]:
        return 1
    if r < cuts[2]:
        return 2
    return 3


def customer_value(
    rows,
    *,
    as_of: datetime.date | None = None,
    periods,
    order: bool = False,
    sales_only: bool = False,
    sales_months=(1, 7),
    sales_lookback: int = 4,
    cuts=(0.05, 0.25, 0.50),
    monetary_periods: int = 2,
    count_zero_days: bool = False,
) -> dict:
    """CV1-CV7 on ``rows`` of (customer, day, amount[, order_id]).

    Returns ``{customer: {"cv_group", "cv_segment", "periods_since_last",
    "purchases", "monetary" (exact millionths), "first_purchase",
    "last_purchase"}}`` for every customer with a purchase event before as_of.
    """
    rows = list(rows)
    if monetary_periods < 1:
        raise ValueError("CV3: monetary_periods must be >= 1")
    if not (0 < cuts[0] < cuts[1] < cuts[2] < 1):
        raise ValueError("CV6: cuts must be strictly increasing in (0, 1)")

    # I3: as_of is exclusive; default is the day after the latest day.
    if as_of is None:
        if not rows:
            return {}
        as_of = max(r[1] for r in rows) + datetime.timedelta(days=1)
    used = [r for r in rows if r[1] < as_of]

    # P2: P0 is the period holding as_of; age(d) = index(P0) - index(d).
    p0 = periods.index(as_of)

    def age(d: datetime.date) -> int:
        return p0 - periods.index(d)

    # I6: exact fixed-point amounts.  Per customer: list of (day, millionths).
    lines: dict = {}
    for r in used:
        lines.setdefault(r[0], []).append((r[1], money(r[2])))

    # I2: purchase events per customer, as a list of event days.
    events: dict = {}
    if not order:
        day_net: dict = {}
        for r in used:
            key = (r[0], r[1])
            day_net[key] = day_net.get(key, 0) + money(r[2])
        for (cust, day), net in day_net.items():
            if _is_event_total(net, count_zero_days):
                events.setdefault(cust, []).append(day)
    else:
        order_total: dict = {}
        order_day: dict = {}
        for r in used:
            key = (r[0], r[3])  # same order id under two customers = two orders
            order_total[key] = order_total.get(key, 0) + money(r[2])
            order_day[key] = min(order_day.get(key, r[1]), r[1])
        for key, total in order_total.items():
            if _is_event_total(total, count_zero_days):
                events.setdefault(key[0], []).append(order_day[key])

    # CV1-CV5 per customer (before tiers).
    info: dict = {}
    for cust, ev_days in events.items():
        ev_ages = [age(d) for d in ev_days]
        history = [a for a in ev_ages if a >= 1]  # H
        cust_lines = lines[cust]
        rec = {
            "first_purchase": min(ev_days),
            "last_purchase": max(ev_days),
        }
        if not history:
            # CV2 / CV3 / CV7: NEW - H empty, >= 1 event in P0 (here every
            # event has age 0 since all used days are < as_of).
            rec["cv_group"] = "1 NEW"
            rec["cv_segment"] = "NEW"
            rec["periods_since_last"] = 0
            rec["purchases"] = sum(1 for a in ev_ages if a == 0)
            rec["monetary"] = sum(v for d, v in cust_lines if age(d) == 0)
            info[cust] = rec
            continue

        k = min(history)  # CV1
        n = len(history)  # JUNIOR count
        lo, hi = k, k + monetary_periods - 1  # CV3 window
        m = sum(v for d, v in cust_lines if lo <= age(d) <= hi)
        if k == 1:  # CV2
            group = "2 ACT"
        elif k == 2:
            group = "3 COLD"
        elif k in (3, 4):
            group = "4 LOST"
        else:
            group = "5 LOST"

        # CV5: sales-only overrides the recency group.
        sol = False
        if sales_only:
            window_days = [d for d in ev_days if 1 <= age(d) <= sales_lookback]
            sol = bool(window_days) and all(d.month in sales_months for d in window_days)

        rec["periods_since_last"] = k
        rec["purchases"] = n
        rec["monetary"] = m
        rec["_n"] = n
        if sol:
            rec["cv_group"] = "0 SOL"
            rec["cv_segment"] = "ACT" if k == 1 else "COLD" if k == 2 else "LOST"
        else:
            rec["cv_group"] = group
            rec["cv_segment"] = None  # decided below (CV4)
        info[cust] = rec

    # CV4 / CV6: segments; tier pools per group, SOL customers excluded.
    def eligible(rec, group) -> bool:
        if rec["cv_group"] != group:
            return False
        if group in ("2 ACT", "3 COLD"):
            return rec["_n"] >= 2
        return group == "4 LOST"

    pools = {
        g: [rec["monetary"] for rec in info.values() if eligible(rec, g)] for g in _TIER_LABELS
    }
    for rec in info.values():
        g = rec["cv_group"]
        if rec["cv_segment"] is not None:
            pass
        elif g == "5 LOST":
            rec["cv_segment"] = "LOST"
        elif g in ("2 ACT", "3 COLD") and rec["_n"] == 1:
            rec["cv_segment"] = "JUNIOR"
        else:
            rec["cv_segment"] = _TIER_LABELS[g][_tier(rec["monetary"], pools[g], cuts)]
        rec.pop("_n", None)

    return {c: {key: info[c][key] for key in OUT_COLUMNS} for c in sorted(info)}
