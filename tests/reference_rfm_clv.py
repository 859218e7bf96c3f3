"""Plain, slow, obviously-correct reference for RFM and the simple CLV.

This module is the executable reading of ``docs/rules.md`` sections 3
and 4 (rules R1-R3 and CLV1-CLV3) that ``tests/test_rfm_clv_properties.py``
compares the product against.  It reuses ``tests/reference.py`` for the money
rule (I6, :func:`reference.money`) and the period calendars (P1,
:class:`reference.RegularPeriods` / :class:`reference.BoundaryPeriods`); the
rest is dicts and loops over the rows, with money as integer millionths.

Rows are tuples ``(customer, day, amount[, order_id])`` exactly as in
``tests/reference.py``.

Float results are computed with the same float operations, in the same order,
as the product documents (so the property tests can compare with ``==``):

* money as a float: ``float(millionths) / 1e6``;
* mean monetary / aov: ``(float(net) / 1e6) / float(events)``;
* tenure_years: ``float(days) / 365.25``; purchases_per_year:
  ``float(events) / max(tenure_years, 1.0)``;
* clv: ``(aov * purchases_per_year) * lifetime_years``;
* the default lifetime: the spec says ``1 / churn`` with ``churn = churned /
  base``; the product computes ``base / churned`` in one float division, which
  is the correctly rounded value of the exact ratio (``1 / (churned / base)``
  rounds twice and may differ in the last bit), so this reference does the same;
* shares ``g / N`` as one float division; the midpoint median of an even count
  as ``(lo + hi) / 2.0``.

Choices the spec leaves open:

* I3: the default ``as_of`` is the day after the latest day in the data; rows
  with ``day >= as_of`` are ignored entirely.
* CLV1: with no customer at all the result is empty (no default lifetime is
  needed, so none is computed and nothing is raised).
"""

from __future__ import annotations

import datetime
import math
import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from reference import RegularPeriods, money  # noqa: E402

__all__ = [
    "CLV_QUADRANTS",
    "CLV_TIERS",
    "DEFAULT_RULES",
    "RFM_COLUMNS",
    "CLV_COLUMNS",
    "clv",
    "normalise_rules",
    "rfm",
]

# R3: the default rules table of the spec (the R package ``rfm``), written out
# from the spec, not taken from the product: (segment, r_lo, r_hi, f_lo, f_hi,
# m_lo, m_hi).
DEFAULT_RULES: tuple[tuple[str, int, int, int, int, int, int], ...] = (
    ("Champions", 5, 5, 5, 5, 5, 5),
    ("Potential Loyalist", 3, 5, 3, 5, 2, 5),
    ("Loyal Customers", 2, 4, 2, 4, 2, 4),
    ("Promising", 3, 4, 1, 3, 3, 5),
    ("New Customers", 4, 5, 1, 3, 1, 5),
    ("Can't Lose Them", 1, 2, 3, 4, 4, 5),
    ("At Risk", 1, 2, 2, 5, 4, 5),
    ("Need Attention", 1, 3, 3, 5, 3, 5),
    ("About To Sleep", 2, 3, 1, 3, 1, 4),
    ("Lost", 1, 1, 1, 5, 1, 5),
)
OTHERS = "Others"

# The result columns after the customer column, in order.
RFM_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_cell",
    "rfm_segment",
)
CLV_COLUMNS = (
    "aov",
    "purchases_per_year",
    "tenure_years",
    "lifetime_years",
    "clv",
    "clv_tier",
    "loyalty",
    "value_loyalty",
    "tenure_quadrant",
)
CLV_TIERS = ("high", "medium", "low")
CLV_QUADRANTS = (
    "high value / high loyalty",
    "high value / low loyalty",
    "low value / high loyalty",
    "low value / low loyalty",
)
CLV_TENURE_QUADRANTS = (
    "high value / long tenure",
    "high value / short tenure",
    "low value / long tenure",
    "low value / short tenure",
)

_YEAR_DAYS = 365.25


# --------------------------------------------------------------------------- #
# Section 0: rows used, money and purchase events                              #
# --------------------------------------------------------------------------- #
def _facts(
    rows, as_of: datetime.date | None, order: bool, count_zero_days: bool
) -> tuple[datetime.date | None, dict, dict]:
    """I2, I3, I6: ``(as_of, net, events)``.

    ``net[c]`` = exact sum (millionths) of every amount of c before as_of;
    ``events[c]`` = the list of c's purchase-event days (one entry per event;
    in order mode two orders on one day are two entries).
    """
    rows = list(rows)
    if as_of is None:
        if not rows:
            return None, {}, {}
        as_of = max(r[1] for r in rows) + datetime.timedelta(days=1)
    used = [r for r in rows if r[1] < as_of]

    net: dict = {}
    for r in used:
        net[r[0]] = net.get(r[0], 0) + money(r[2])

    def is_event(total: int) -> bool:
        return total > 0 or (count_zero_days and total == 0)

    events: dict = {}
    if not order:
        day_total: dict = {}
        for r in used:
            key = (r[0], r[1])
            day_total[key] = day_total.get(key, 0) + money(r[2])
        for (cust, day), total in day_total.items():
            if is_event(total):
                events.setdefault(cust, []).append(day)
    else:
        order_total: dict = {}
        order_day: dict = {}
        for r in used:
            key = (r[0], r[3])  # the same order id under two customers: two orders
            order_total[key] = order_total.get(key, 0) + money(r[2])
            order_day[key] = min(order_day.get(key, r[1]), r[1])
        for key, total in order_total.items():
            if is_event(total):
                events.setdefault(key[0], []).append(order_day[key])
    return as_of, net, events


def _to_float(millionths: int) -> float:
    """I6: an exact sum reported as a float (the same operation as the product)."""
    return float(millionths) / 1e6


def _share(g: int, n: int) -> float:
    """CV6 / R2 / CLV2 counting: r = g / N as one float division."""
    return g / n


# --------------------------------------------------------------------------- #
# R3: rules tables                                                             #
# --------------------------------------------------------------------------- #
def _range(value: Any, what: str, name: str) -> tuple[int, int]:
    """R3: a score range from ``(lo, hi)``, ``"lo-hi"`` or one int."""
    if isinstance(value, str):
        lo, sep, hi = value.partition("-")
        return (int(lo), int(hi)) if sep else (int(lo), int(lo))
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    lo, hi = value
    return int(lo), int(hi)


def normalise_rules(rules: Any) -> list[tuple[str, int, int, int, int, int, int]]:
    """R3: a rules table as 7-tuples.

    Accepts ``None`` (the default table), 7-tuples, a list of dicts with keys
    ``segment``, ``r``, ``f``, ``m``, or a pandas DataFrame with those columns.
    """
    if rules is None:
        return list(DEFAULT_RULES)
    if hasattr(rules, "to_dict") and hasattr(rules, "columns"):
        rules = rules.to_dict("records")
    out = []
    for rule in rules:
        if isinstance(rule, dict):
            name = str(rule["segment"])
            r = _range(rule["r"], "r", name)
            f = _range(rule["f"], "f", name)
            m = _range(rule["m"], "m", name)
            out.append((name, *r, *f, *m))
        else:
            name, *bounds = rule
            out.append((str(name), *(int(b) for b in bounds)))
    return out


def check_rules(rules: list, bins: int) -> None:
    """R2 / R3: 2..9 bins; every range within 1..bins with lo <= hi; names
    unique and not ``Others``.  Raises ValueError naming the rule."""
    if not 2 <= bins <= 9:
        raise ValueError(f"R2: bins must be 2..9, got {bins}")
    seen = set()
    for name, *bounds in rules:
        for what, lo, hi in zip("rfm", bounds[0::2], bounds[1::2], strict=True):
            if not 1 <= lo <= hi <= bins:
                raise ValueError(f"R3: rule {name!r} has {what} = {lo}-{hi}, not within 1..{bins}")
        if name == OTHERS or name in seen:
            raise ValueError(f"R3: rule name {name!r} is repeated or reserved")
        seen.add(name)


# --------------------------------------------------------------------------- #
# R1-R3: RFM                                                                   #
# --------------------------------------------------------------------------- #
def _score(g: int, n: int, bins: int) -> int:
    """R2: score = B - floor(B * r), r = g / N (float multiply, then floor)."""
    return bins - math.floor(bins * _share(g, n))


def rfm(
    rows,
    as_of: datetime.date | None = None,
    bins: int = 5,
    monetary: str = "sum",
    rules: Any = None,
    order: bool = False,
    count_zero_days: bool = False,
) -> dict:
    """R1-R3 on ``rows``: ``{customer: {column: value}}``, sorted by customer.

    ``monetary`` is the float (sum or mean); scores are ints; ``rfm_cell`` and
    ``rfm_segment`` are strings.  A bad configuration raises ValueError.
    """
    if monetary not in ("sum", "mean"):
        raise ValueError(f"R1: monetary must be 'sum' or 'mean', got {monetary!r}")
    table = normalise_rules(rules)
    check_rules(table, bins)
    as_of, net, events = _facts(rows, as_of, order, count_zero_days)
    customers = sorted(events)
    n = len(customers)

    # R1: values per customer.
    last = {c: max(events[c]) for c in customers}
    freq = {c: len(events[c]) for c in customers}
    if monetary == "sum":
        m_value = {c: _to_float(net[c]) for c in customers}
        m_key = {c: net[c] for c in customers}  # R2: the exact integer sum
    else:
        m_value = {c: _to_float(net[c]) / float(freq[c]) for c in customers}
        m_key = m_value  # R2: the float mean

    out = {}
    for c in customers:
        # R2: g = customers strictly better.
        g_r = sum(1 for o in customers if last[o] > last[c])
        g_f = sum(1 for o in customers if freq[o] > freq[c])
        g_m = sum(1 for o in customers if m_key[o] > m_key[c])
        r, f, m = _score(g_r, n, bins), _score(g_f, n, bins), _score(g_m, n, bins)
        # R3: first rule whose inclusive ranges hold (r, f, m), else Others.
        segment = OTHERS
        for name, r_lo, r_hi, f_lo, f_hi, m_lo, m_hi in table:
            if r_lo <= r <= r_hi and f_lo <= f <= f_hi and m_lo <= m <= m_hi:
                segment = name
                break
        out[c] = {
            "recency_days": (as_of - last[c]).days,
            "frequency": freq[c],
            "monetary": m_value[c],
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "rfm_cell": f"{r}{f}{m}",
            "rfm_segment": segment,
        }
    return out


def rfm_labels(rules: Any = None) -> list[str]:
    """R3: the rfm_segment categories in order: the rules' names, then Others."""
    return [r[0] for r in normalise_rules(rules)] + [OTHERS]


# --------------------------------------------------------------------------- #
# CLV1-CLV3: simple CLV                                                        #
# --------------------------------------------------------------------------- #
def _median(values: list[float]) -> float:
    """CLV3: the midpoint median (middle value, or mean of the two middle ones)."""
    v = sorted(values)
    n = len(v)
    if n % 2 == 1:
        return v[n // 2]
    return (v[n // 2 - 1] + v[n // 2]) / 2.0


def default_lifetime(events: dict, as_of: datetime.date) -> float:
    """CLV1: 1 / yearly churn, computed as base / churned (see module docstring).

    base = customers with an event on d, as_of - 730 <= d < as_of - 365;
    churned = those of the base with no event on d, as_of - 365 <= d < as_of.
    """
    year_ago = as_of - datetime.timedelta(days=365)
    two_years_ago = as_of - datetime.timedelta(days=730)
    base = [c for c, days in events.items() if any(two_years_ago <= d < year_ago for d in days)]
    churned = [c for c in base if not any(year_ago <= d < as_of for d in events[c])]
    if not base or not churned:
        raise ValueError(
            "CLV1: the default lifetime cannot be computed (base "
            f"{len(base)}, churned {len(churned)}); pass lifetime_years"
        )
    return len(base) / len(churned)


def clv(
    rows,
    as_of: datetime.date | None = None,
    periods: Any = None,
    lifetime_years: float | None = None,
    tiers: tuple[float, float] = (0.2, 0.8),
    value_threshold: float | None = None,
    loyalty_threshold: float | None = None,
    tenure_threshold: float | None = None,
    order: bool = False,
    count_zero_days: bool = False,
) -> dict:
    """CLV1-CLV3a on ``rows``: ``{customer: {column: value}}``, sorted by customer.

    ``periods`` is a reference calendar with ``index(day)`` (default: the
    semiannual one anchored at 2000-01-01).  The default lifetime that cannot
    be computed raises ValueError (CLV1).
    """
    if periods is None:
        periods = RegularPeriods(6, datetime.date(2000, 1, 1))
    as_of, net, events = _facts(rows, as_of, order, count_zero_days)
    customers = sorted(events)
    if not customers:
        return {}
    lifetime = float(lifetime_years) if lifetime_years is not None else None
    if lifetime is None:
        lifetime = default_lifetime(events, as_of)

    info: dict = {}
    for c in customers:
        n_events = len(events[c])
        first = min(events[c])
        aov = _to_float(net[c]) / float(n_events)  # CLV1
        tenure = float((as_of - first).days) / _YEAR_DAYS
        ppy = float(n_events) / max(tenure, 1.0)
        value = aov * ppy * lifetime
        # CLV3: distinct periods with an event / periods from the first event's
        # to the one holding as_of - 1 day.
        with_events = len({periods.index(d) for d in events[c]})
        span = periods.index(as_of - datetime.timedelta(days=1)) - periods.index(first) + 1
        info[c] = {
            "aov": aov,
            "purchases_per_year": ppy,
            "tenure_years": tenure,
            "lifetime_years": lifetime,
            "clv": value,
            "loyalty": float(with_events) / float(span),
        }

    n = len(customers)
    value_t = (
        value_threshold
        if value_threshold is not None
        else _median([info[c]["clv"] for c in customers])
    )
    loyal_t = (
        loyalty_threshold
        if loyalty_threshold is not None
        else _median([info[c]["loyalty"] for c in customers])
    )
    # CLV3a: the relationship is long from the median tenure_years.
    tenure_t = (
        tenure_threshold
        if tenure_threshold is not None
        else _median([info[c]["tenure_years"] for c in customers])
    )
    out = {}
    for c in customers:
        rec = info[c]
        # CLV2: r = customers with a strictly higher clv / N.
        g = sum(1 for o in customers if info[o]["clv"] > rec["clv"])
        r = _share(g, n)
        tier = "high" if r < tiers[0] else "medium" if r < tiers[1] else "low"
        high_value = rec["clv"] >= value_t
        high_loyalty = rec["loyalty"] >= loyal_t
        quadrant = (
            f"{'high' if high_value else 'low'} value / {'high' if high_loyalty else 'low'} loyalty"
        )
        out[c] = {
            "aov": rec["aov"],
            "purchases_per_year": rec["purchases_per_year"],
            "tenure_years": rec["tenure_years"],
            "lifetime_years": rec["lifetime_years"],
            "clv": rec["clv"],
            "clv_tier": tier,
            "loyalty": rec["loyalty"],
            "value_loyalty": quadrant,
            "tenure_quadrant": (
                f"{'high' if high_value else 'low'} value / "
                f"{'long' if rec['tenure_years'] >= tenure_t else 'short'} tenure"
            ),
        }
    return out
