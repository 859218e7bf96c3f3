"""Plain, slow, obviously-correct reference for segments over time (CV8).

This module is the executable reading of rule CV8 of ``docs/rules.md`` and of
the CV8 API notes (the history, the migration between consecutive boundaries,
the performance of each segment in the period that follows a boundary, and the
cohort triangle) that ``tests/test_history_properties.py`` compares the product
against.  It is built on ``tests/reference.py`` (I2, I3, I6, P1-P3, CV1-CV7:
:func:`reference.customer_value`, the calendars and :func:`reference.money`) and
``tests/reference_rfm_clv.py`` (R1-R3, CLV1-CLV3a); it uses only the standard
library, and every step is a direct loop over the rows.

Rows are tuples ``(customer, day, amount[, order_id])`` exactly as in
``tests/reference.py``.  A history is a list of dicts, one per (boundary,
customer), with the keys ``period_start``, ``customer`` and the result columns
of ``reference.customer_value`` (``monetary`` in exact millionths).

Money is exact: every sum is an integer number of millionths (I6), and every
ratio (share, buyer_share, revenue_share, revenue_per_customer, retention) is a
:class:`fractions.Fraction`, or ``None`` where its denominator is 0; the tests
compare the product's floats with these exact values.

The semantics (CV8 API notes):

* Boundaries: every period start s of the calendar with start <= s <= end; the
  default start is the first boundary strictly after the first day of the data,
  the default end the last boundary on or before the last day of the data + 1
  day; no boundary in [start, end] is an error (ValueError).
* History: at each boundary s, ``customer_value(rows, as_of=s)`` (as_of is
  exclusive, I3; P0 is the period starting at s, so there is no ``1 NEW``).  A
  boundary on or before the first day of the data has no rows (nothing is
  before it).
* Migration: per pair of consecutive distinct ``period_start`` values (or the
  one pair ``frm``, ``to``), one row per (from label, to label) with customers;
  a customer absent at ``frm`` comes from ``(new)``, one absent at ``to`` goes to
  ``(gone)`` (possible in order mode: an order whose later lines turn its total
  to zero or less stops being a purchase event, I2).
* Performance and cohorts: purchase events (I2) are those of the whole data
  (as_of = the day after the last day): a customer-day with a net total > 0, or
  an order with a total > 0 (its event day = its earliest day); with
  ``count_zero_days`` a total of exactly 0 is an event too.  An event is "in" a
  period when its day is.

Choices the notes leave open (the reference's reading; a disagreement with the
product on one of them is reported, not bent):

* ``(gone)`` sorts after every label (``(new)`` sorts first).
* A ratio whose denominator is 0 is ``None`` (the product: null or NaN).
* The last explicit boundary's period is open-ended (P1), so its performance
  period has no end.
* Cohorts: only cohorts with at least one customer have rows; with ``by`` the
  rows are sorted by cohort, then segment (label order, ``(none)`` last), then
  period_start.
"""

from __future__ import annotations

import datetime
import os
import sys
from fractions import Fraction
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

import reference_rfm_clv as _rc  # noqa: E402
from reference import (  # noqa: E402
    GROUPS,
    OUT_COLUMNS,
    SEGMENTS,
    BoundaryPeriods,
    RegularPeriods,
    customer_value,
    money,
)

__all__ = [
    "GONE",
    "LABEL_ORDERS",
    "MIGRATION_COLUMNS",
    "NEW",
    "NONE",
    "PERFORMANCE_COLUMNS",
    "boundaries",
    "cohorts",
    "history",
    "migration",
    "next_boundary",
    "period_start",
    "segment_history",
    "segment_performance",
]

NEW = "(new)"
GONE = "(gone)"
NONE = "(none)"

# The category order of every label column a history can hold (CV7, R3, CLV2,
# CLV3, CLV3a).  A column not listed here is ordered by its values.
LABEL_ORDERS: dict[str, tuple] = {
    "cv_group": GROUPS,
    "cv_segment": SEGMENTS,
    "rfm_segment": tuple(_rc.rfm_labels(None)),
    "clv_tier": _rc.CLV_TIERS,
    "value_loyalty": _rc.CLV_QUADRANTS,
    "tenure_quadrant": _rc.CLV_TENURE_QUADRANTS,
}

MIGRATION_COLUMNS = (
    "from_period",
    "to_period",
    "from_segment",
    "to_segment",
    "customers",
    "share",
    "monetary_from",
    "monetary_to",
)
PERFORMANCE_COLUMNS = (
    "period_start",
    "segment",
    "customers",
    "buyers",
    "buyer_share",
    "revenue",
    "revenue_share",
    "revenue_per_customer",
)
COHORT_COLUMNS = (
    "cohort",
    "period_start",
    "age",
    "customers",
    "active",
    "retention",
    "revenue",
)

_DAY = datetime.timedelta(days=1)


# --------------------------------------------------------------------------- #
# P1: boundaries of a calendar                                                 #
# --------------------------------------------------------------------------- #
def period_start(periods, i: int) -> datetime.date | None:
    """P1: the first day of period i (None past the last explicit boundary)."""
    if isinstance(periods, RegularPeriods):
        return periods.start(i)
    if 0 <= i < len(periods.boundaries):
        return periods.boundaries[i]
    return None


def next_boundary(periods, d: datetime.date) -> datetime.date | None:
    """P1: the first boundary strictly after d (None: the last explicit period is
    open-ended)."""
    if isinstance(periods, RegularPeriods):
        return periods.start(periods.index(d) + 1)
    later = [b for b in periods.boundaries if b > d]
    return later[0] if later else None


def _boundaries_between(periods, a: datetime.date, b: datetime.date) -> list[datetime.date]:
    """P1: every boundary s with a <= s <= b, ascending."""
    if isinstance(periods, BoundaryPeriods):
        return [s for s in periods.boundaries if a <= s <= b]
    out = []
    i = periods.index(a)  # the period holding a: its start is <= a
    while True:
        s = periods.start(i)
        if s > b:
            return out
        if s >= a:
            out.append(s)
        i += 1


def _all_boundaries_near(periods, lo: datetime.date, hi: datetime.date) -> list[datetime.date]:
    """Every boundary in [lo - one period, hi + one period] (enough for the defaults)."""
    if isinstance(periods, BoundaryPeriods):
        return list(periods.boundaries)
    return [periods.start(i) for i in range(periods.index(lo) - 1, periods.index(hi) + 2)]


def boundaries(
    periods,
    start: datetime.date | None,
    end: datetime.date | None,
    lo: datetime.date,
    hi: datetime.date,
) -> list[datetime.date]:
    """CV8: the boundaries of a history, ascending.

    ``lo`` / ``hi`` are the first and last days of the data.  The default start
    is the first boundary strictly after ``lo``; the default end is the last
    boundary on or before ``hi + 1 day``.  No boundary in [start, end]:
    ValueError naming start and end.
    """
    near = _all_boundaries_near(periods, lo, hi)
    if start is None:
        after = [s for s in near if s > lo]
        start = after[0] if after else None
    if end is None:
        before = [s for s in near if s <= hi + _DAY]
        end = before[-1] if before else None
    if start is None or end is None or start > end:
        raise ValueError(f"CV8: no period boundary between start={start} and end={end}")
    out = _boundaries_between(periods, start, end)
    if not out:
        raise ValueError(f"CV8: no period boundary between start={start} and end={end}")
    return out


# --------------------------------------------------------------------------- #
# CV8: the history                                                             #
# --------------------------------------------------------------------------- #
def history(rows, periods, bounds, **cv_options) -> list[dict]:
    """CV8: ``customer_value(rows, as_of=s)`` at every boundary s, stacked.

    One dict per (s, customer), sorted by period_start then customer, with
    ``period_start``, ``customer`` and the CV7 columns (monetary in millionths).
    """
    rows = list(rows)
    out = []
    for s in sorted(bounds):
        result = customer_value(rows, as_of=s, periods=periods, **cv_options)
        for cust, rec in result.items():  # sorted by customer (CV7)
            out.append({"period_start": s, "customer": cust, **rec})
    return out


def segment_history(
    rows,
    periods,
    bounds,
    what=("cv", "rfm", "clv"),
    cv_options: dict | None = None,
    rfm_options: dict | None = None,
    clv_options: dict | None = None,
    order: bool = False,
    count_zero_days: bool = False,
) -> list[dict]:
    """CV8 for ``segment``: CV7, R1-R3 and CLV1-CLV3a columns at every boundary.

    With CV and RFM together, RFM's monetary is ``rfm_monetary``.  A ValueError
    at any boundary (CLV1: no default lifetime) is raised.
    """
    rows = list(rows)
    common = {"order": order, "count_zero_days": count_zero_days}
    out = []
    for s in sorted(bounds):
        parts: list[dict] = []
        if "cv" in what:
            parts.append(
                customer_value(rows, as_of=s, periods=periods, **common, **(cv_options or {}))
            )
        if "rfm" in what:
            r = _rc.rfm(rows, as_of=s, **common, **(rfm_options or {}))
            if "cv" in what:
                r = {
                    c: {("rfm_monetary" if k == "monetary" else k): v for k, v in rec.items()}
                    for c, rec in r.items()
                }
            parts.append(r)
        if "clv" in what:
            parts.append(_rc.clv(rows, as_of=s, periods=periods, **common, **(clv_options or {})))
        customers = sorted(parts[0]) if parts else []
        for p in parts:
            assert sorted(p) == customers, "every segmentation has the same customers (I2)"
        for c in customers:
            row = {"period_start": s, "customer": c}
            for p in parts:
                row.update(p[c])
            out.append(row)
    return out


# --------------------------------------------------------------------------- #
# Labels                                                                       #
# --------------------------------------------------------------------------- #
def _by(by) -> tuple[str, ...]:
    return (by,) if isinstance(by, str) else tuple(by)


def label(row: dict, by) -> str:
    """CV8: the label of a history row: the by columns joined with " / "."""
    return " / ".join(str(row[c]) for c in _by(by))


def _label_key(row: dict, by, orders: dict) -> tuple:
    """Label order: by the category index of each by column, lexicographically."""
    key = []
    for c in _by(by):
        v = row[c]
        order = orders.get(c)
        key.append((order.index(v), "") if order is not None and v in order else (10**6, v))
    return tuple(key)


def _sorter(hist_rows, by, orders: dict):
    """``(new)`` first, then the labels in category order, then ``(gone)`` / ``(none)``."""
    keys: dict[str, tuple] = {}
    for r in hist_rows:
        keys.setdefault(label(r, by), (1, _label_key(r, by, orders)))

    def key(lab: str) -> tuple:
        if lab == NEW:
            return (0,)
        if lab in (GONE, NONE):
            return (2, lab)
        return keys[lab]

    return key


def _ratio(num: int, den: int) -> Fraction | None:
    return None if den == 0 else Fraction(num, den)


# --------------------------------------------------------------------------- #
# CV8: migration                                                               #
# --------------------------------------------------------------------------- #
def migration(
    hist_rows,
    by=("cv_group", "cv_segment"),
    frm: datetime.date | None = None,
    to: datetime.date | None = None,
    orders: dict | None = None,
) -> list[dict]:
    """CV8: the migration table of a history (see the module docstring).

    share = customers / customers of from_segment at from_period (for ``(new)``:
    / new customers of the pair); monetary_from / monetary_to in millionths.
    ``frm`` and ``to`` (both or neither) must be period_start values, frm < to.
    """
    hist_rows = list(hist_rows)
    orders = {**LABEL_ORDERS, **(orders or {})}
    for c in _by(by):
        if hist_rows and c not in hist_rows[0]:
            raise ValueError(f"CV8: column {c!r} is not in the history")
    starts = sorted({r["period_start"] for r in hist_rows})
    if frm is None and to is None:
        pairs = list(zip(starts, starts[1:], strict=False))
    else:
        if frm is None or to is None or not frm < to or frm not in starts or to not in starts:
            raise ValueError(f"CV8: frm={frm} and to={to} must be period starts of the history")
        pairs = [(frm, to)]
    key = _sorter(hist_rows, by, orders)

    out = []
    for a, b in pairs:
        at_a = {r["customer"]: r for r in hist_rows if r["period_start"] == a}
        at_b = {r["customer"]: r for r in hist_rows if r["period_start"] == b}
        cells: dict[tuple[str, str], list[int]] = {}  # -> [customers, money_from, money_to]
        for c in set(at_a) | set(at_b):
            f = label(at_a[c], by) if c in at_a else NEW
            t = label(at_b[c], by) if c in at_b else GONE
            cell = cells.setdefault((f, t), [0, 0, 0])
            cell[0] += 1
            cell[1] += at_a[c]["monetary"] if c in at_a else 0
            cell[2] += at_b[c]["monetary"] if c in at_b else 0
        from_size: dict[str, int] = {}
        for r in at_a.values():
            from_size[label(r, by)] = from_size.get(label(r, by), 0) + 1
        from_size[NEW] = sum(1 for c in at_b if c not in at_a)
        for f, t in sorted(cells, key=lambda ft: (key(ft[0]), key(ft[1]))):
            n, m_from, m_to = cells[(f, t)]
            out.append(
                {
                    "from_period": a,
                    "to_period": b,
                    "from_segment": f,
                    "to_segment": t,
                    "customers": n,
                    "share": Fraction(n, from_size[f]),
                    "monetary_from": m_from,
                    "monetary_to": m_to,
                }
            )
    return out


# --------------------------------------------------------------------------- #
# I2 over the whole data                                                       #
# --------------------------------------------------------------------------- #
def events(rows, order: bool = False, count_zero_days: bool = False) -> dict:
    """I2 over every row: ``{customer: [event day, ...]}`` (one entry per event).

    Day mode: a (customer, day) with net total > 0 (>= 0 with count_zero_days).
    Order mode: a (customer, order id) with total > 0 (or == 0), on the earliest
    day of its lines.
    """
    out: dict = {}
    totals: dict = {}
    first_day: dict = {}
    for r in rows:
        key = (r[0], r[3]) if order else (r[0], r[1])
        totals[key] = totals.get(key, 0) + money(r[2])
        first_day[key] = min(first_day.get(key, r[1]), r[1])
    for key, total in totals.items():
        if total > 0 or (count_zero_days and total == 0):
            out.setdefault(key[0], []).append(first_day[key])
    return out


def _in(d: datetime.date, a: datetime.date, b: datetime.date | None) -> bool:
    return a <= d and (b is None or d < b)


# --------------------------------------------------------------------------- #
# CV8: segment performance                                                     #
# --------------------------------------------------------------------------- #
def segment_performance(
    hist_rows,
    rows,
    periods,
    by=("cv_group", "cv_segment"),
    count_zero_days: bool = False,
    order: bool = False,
    orders: dict | None = None,
) -> list[dict]:
    """CV8: per period_start s of the history and per label present at s, the
    customers, buyers (a purchase event in [s, next)), their revenue in
    [s, next) and its share of the revenue of every row in [s, next); plus one
    ``(new)`` row per s: the customers whose first purchase event is in
    [s, next).  ``next`` is the first calendar boundary after s.  Periods that
    start after the last day of the rows are left out (docs/rules.md, CV8).
    Revenue in millionths; ratios as Fractions (None over 0)."""
    hist_rows = list(hist_rows)
    rows = list(rows)
    orders = {**LABEL_ORDERS, **(orders or {})}
    for c in _by(by):
        if hist_rows and c not in hist_rows[0]:
            raise ValueError(f"CV8: column {c!r} is not in the history")
    ev = events(rows, order, count_zero_days)
    first = {c: min(days) for c, days in ev.items()}
    key = _sorter(hist_rows, by, orders)

    out = []
    last_day = max((r[1] for r in rows), default=None)
    for s in sorted({r["period_start"] for r in hist_rows}):
        if last_day is None or s > last_day:
            continue  # CV8 decision: a period that starts after the data is left out
        nxt = next_boundary(periods, s)
        total = 0
        net: dict = {}
        for r in rows:
            if _in(r[1], s, nxt):
                total += money(r[2])
                net[r[0]] = net.get(r[0], 0) + money(r[2])
        buyers = {c for c, days in ev.items() if any(_in(d, s, nxt) for d in days)}
        members: dict[str, list] = {}
        for r in hist_rows:
            if r["period_start"] == s:
                members.setdefault(label(r, by), []).append(r["customer"])
        new = [c for c, d in first.items() if _in(d, s, nxt)]
        groups = [(lab, members[lab]) for lab in sorted(members, key=key)] + [(NEW, new)]
        for lab, custs in groups:
            n = len(custs)
            b = sum(1 for c in custs if c in buyers)
            revenue = sum(net.get(c, 0) for c in custs)
            out.append(
                {
                    "period_start": s,
                    "segment": lab,
                    "customers": n,
                    "buyers": b,
                    "buyer_share": _ratio(b, n),
                    "revenue": revenue,
                    "revenue_share": _ratio(revenue, total),
                    "revenue_per_customer": _ratio(revenue, n * 1_000_000),
                }
            )
    return out


# --------------------------------------------------------------------------- #
# CV8: cohorts                                                                 #
# --------------------------------------------------------------------------- #
def cohorts(
    rows,
    periods,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    count_zero_days: bool = False,
    order: bool = False,
    by: Any = None,
    hist_rows=None,
    at_age: int = 1,
    orders: dict | None = None,
) -> list[dict]:
    """CV8: the cohort triangle.

    Periods from the one holding ``start`` (default: the first day of the data)
    to the one holding ``end`` (default: the last day).  A customer's cohort is
    the period of its first purchase event over all data; customers whose first
    event is outside those periods are left out.  One row per (cohort, period)
    from the cohort's period to the last: age, customers (cohort size), active
    (a purchase event in the period), retention (Fraction), revenue (millionths,
    the cohort customers' rows in the period).  With ``by``: each cohort split
    by the label of ``hist_rows`` at the boundary ``at_age`` periods after the
    cohort's start (``(none)`` without a row there), a column ``segment``.
    """
    rows = list(rows)
    if not rows:
        return []
    lo = start if start is not None else min(r[1] for r in rows)
    hi = end if end is not None else max(r[1] for r in rows)
    i0, i1 = periods.index(lo), periods.index(hi)
    ev = events(rows, order, count_zero_days)
    cohort_of = {}
    for c, days in ev.items():
        ci = periods.index(min(days))
        if i0 <= ci <= i1:
            cohort_of[c] = ci

    # the label of each cohort customer (CV8 with by)
    seg_of = {c: None for c in cohort_of}
    key = None
    if by is not None:
        hist_rows = list(hist_rows or [])
        key = _sorter(hist_rows, by, {**LABEL_ORDERS, **(orders or {})})
        at = {(r["period_start"], r["customer"]): r for r in hist_rows}
        for c, ci in cohort_of.items():
            s = period_start(periods, ci + at_age)
            r = at.get((s, c))
            seg_of[c] = label(r, by) if r is not None else NONE

    # net money per (customer, period) and active (customer, period)
    net: dict = {}
    for r in rows:
        if r[0] in cohort_of:
            i = periods.index(r[1])
            net[(r[0], i)] = net.get((r[0], i), 0) + money(r[2])
    active = {(c, periods.index(d)) for c in cohort_of for d in ev[c]}

    groups: dict = {}
    for c, ci in cohort_of.items():
        groups.setdefault((ci, seg_of[c]), []).append(c)

    def group_key(g):
        ci, seg = g
        return (ci, key(seg) if key is not None else ())

    out = []
    for ci, seg in sorted(groups, key=group_key):
        custs = groups[(ci, seg)]
        n = len(custs)
        for i in range(ci, i1 + 1):
            a = sum(1 for c in custs if (c, i) in active)
            row = {"cohort": period_start(periods, ci)}
            if by is not None:
                row["segment"] = seg
            row.update(
                {
                    "period_start": period_start(periods, i),
                    "age": i - ci,
                    "customers": n,
                    "active": a,
                    "retention": Fraction(a, n),
                    "revenue": sum(net.get((c, i), 0) for c in custs),
                }
            )
            out.append(row)
    return out


def cv_columns() -> tuple[str, ...]:
    """CV7: the history's columns after period_start and the customer."""
    return OUT_COLUMNS
