"""Plain, slow, obviously-correct reference for two more summaries of rule
CLV4: the calibration/holdout table and the discrete-period summary of the
BG/BB model (Fader, Hardie and Shang 2010).

Loops over the rows with exact money (:func:`reference.money`, I6), as
``tests/reference_btyd.py`` does; the standard library only, never custseg.

Conventions (the product documents the same):

* I2: a purchase event is a (customer, day) whose exact net total is > 0, or
  >= 0 with ``count_zero_days``.
* Calibration/holdout (lifetimes' ``calibration_and_holdout_data``, both ends
  inclusive): customers with a purchase event on or before
  ``calibration_end``; frequency = calibration events - 1, recency = last -
  first calibration event day, T = calibration_end - first event day (in unit
  "D" as ``float(days)``, in "W" as ``days / 7.0``), monetary_value =
  ``(float(sum) / 1e6) / float(frequency)`` over the events after the first
  (0.0 without); frequency_holdout = events with calibration_end < day <=
  observation_end; monetary_value_holdout = ``(float(sum) / 1e6) /
  float(n)`` of their exact day totals (0.0 without); duration_holdout =
  (observation_end - calibration_end) in the unit.
* Discrete periods: "Y" calendar years, "Q" quarters from January, "M"
  months, "W" ISO weeks (from Monday), "D" days; ``as_of`` (exclusive; by
  default the day after the latest day) must be the first day of a period.
  For customers with a purchase event before ``as_of``, in periods counted
  from the first event's: frequency = periods after it holding an event,
  recency = the last such period's number (0 without), n_periods = the
  periods after it that end on or before ``as_of`` - 1 day;
  monetary_value as in the continuous summary (events, not periods).
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Iterable

sys.path.insert(0, os.path.dirname(__file__))

from reference import money  # noqa: E402

ONE_DAY = datetime.timedelta(days=1)


def _events(rows: list[tuple], lo: datetime.date | None, hi: datetime.date, zero: bool) -> dict:
    """I2: ``{customer: [(day, exact total), ...]}`` of the purchase events on
    days ``lo <= day < hi`` (``lo`` None: from the first), days ascending."""
    totals: dict = {}
    for r in rows:
        if (lo is None or r[1] >= lo) and r[1] < hi:
            totals[(r[0], r[1])] = totals.get((r[0], r[1]), 0) + money(r[2])
    out: dict = {}
    for (cust, day), total in sorted(totals.items()):
        if total > 0 or (zero and total == 0):
            out.setdefault(cust, []).append((day, total))
    return out


def _in_unit(days: int, unit: str) -> float:
    if unit == "D":
        return float(days)
    if unit == "W":
        return days / 7.0
    raise ValueError(f"unit must be D or W, got {unit!r}")


def _mean(totals: list[int]) -> float:
    """The mean of exact millionths, as CLV4 writes it (0.0 for none)."""
    return (float(sum(totals)) / 1e6) / float(len(totals)) if totals else 0.0


def calibration_holdout(
    rows: Iterable[tuple],
    calibration_end: datetime.date,
    observation_end: datetime.date,
    unit: str = "W",
    count_zero_days: bool = False,
) -> dict:
    """``{customer: {column: value}}`` sorted by customer (see the module docs)."""
    if not calibration_end < observation_end:
        raise ValueError("calibration_end must be before observation_end")
    rows = list(rows)
    cal = _events(rows, None, calibration_end + ONE_DAY, count_zero_days)
    hold = _events(rows, calibration_end + ONE_DAY, observation_end + ONE_DAY, count_zero_days)
    duration = _in_unit((observation_end - calibration_end).days, unit)
    out = {}
    for cust in sorted(cal):
        ev = cal[cust]
        first, last = ev[0][0], ev[-1][0]
        held = [total for _, total in hold.get(cust, [])]
        out[cust] = {
            "frequency": len(ev) - 1,
            "recency": _in_unit((last - first).days, unit),
            "T": _in_unit((calibration_end - first).days, unit),
            "monetary_value": _mean([total for _, total in ev[1:]]),
            "frequency_holdout": len(held),
            "monetary_value_holdout": _mean(held),
            "duration_holdout": duration,
        }
    return out


def period_of(day: datetime.date, unit: str) -> int:
    """The number of the period holding ``day`` (consecutive periods have
    consecutive numbers)."""
    if unit == "Y":
        return day.year
    if unit == "Q":
        return day.year * 4 + (day.month - 1) // 3
    if unit == "M":
        return day.year * 12 + day.month - 1
    if unit == "W":
        return (day.toordinal() - day.weekday()) // 7  # the Monday's ordinal / 7
    if unit == "D":
        return day.toordinal()
    raise ValueError(f"unit must be Y, Q, M, W or D, got {unit!r}")


def is_boundary(day: datetime.date, unit: str) -> bool:
    """Whether ``day`` is the first day of its period."""
    return period_of(day - ONE_DAY, unit) != period_of(day, unit)


def discrete_summary(
    rows: Iterable[tuple],
    as_of: datetime.date | None,
    unit: str,
    count_zero_days: bool = False,
) -> dict:
    """``{customer: {"frequency", "recency", "n_periods", "monetary_value"}}``
    sorted by customer (see the module docs); ValueError off a boundary."""
    rows = list(rows)
    if as_of is None:
        if not rows:
            return {}
        as_of = max(r[1] for r in rows) + ONE_DAY
    if not is_boundary(as_of, unit):
        raise ValueError(f"as_of {as_of} is not a {unit} boundary")
    events = _events(rows, None, as_of, count_zero_days)
    last_period = period_of(as_of - ONE_DAY, unit)
    out = {}
    for cust in sorted(events):
        ev = events[cust]
        first = period_of(ev[0][0], unit)
        later = sorted({period_of(day, unit) for day, _ in ev} - {first})
        out[cust] = {
            "frequency": len(later),
            "recency": later[-1] - first if later else 0,
            "n_periods": last_period - first,
            "monetary_value": _mean([total for _, total in ev[1:]]),
        }
    return out
