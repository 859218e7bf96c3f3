"""Acquisition cohorts (rule CV8): customers by the period of their first
purchase event, followed period by period, from each customer's activity
between period starts (the core's one pass)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg._engine import Periods
from custseg._frames import family_of, to_family
from custseg._input import as_day
from custseg._snapshots import (
    HistoryTable,
    Labels,
    by_columns,
    core_snapshots,
    date_array,
    direct_history,
    from_micros,
    micros,
    ordered,
    plain,
    snapshot,
    used_only,
)
from custseg.errors import ConfigError

NONE = "(none)"
"""The segment of cohort customers without a row in the history at the age asked for."""


def cohorts(
    data: Any = None,
    *,
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order: Any = None,
    periods: Periods | None = None,
    start: Any = None,
    end: Any = None,
    by: str | Sequence[str] | None = None,
    history: Any = None,
    at_age: int = 1,
    count_zero_days: bool = False,
    on_invalid: str = "raise",
    threads: int | None = None,
) -> Any:
    """Acquisition cohorts (rule CV8): customers by the period of their first
    purchase event (I2), followed period by period.

    Periods run from the one holding ``start`` (default: the first day of the
    data) to the one holding ``end`` (default: the last day). Customers whose
    first purchase is before the first period are left out.

    Args:
        by, history, at_age: split each cohort by the customers' label
            (``by``: a column or tuple of columns of ``history``, as in
            :func:`custseg.migration`) at the period start ``at_age`` periods
            after the cohort's start (1: the first segmentation after the
            first purchase); ``"(none)"`` when the history has no row there.

    Returns:
        Columns ``cohort`` (the cohort period's start), ``segment`` (with
        ``by``), ``period_start``, ``age`` (periods since the cohort's start),
        ``customers`` (the cohort's size), ``active`` (with a purchase event
        in the period), ``retention`` (active / customers), ``revenue`` (their
        net amounts in the period); every period from the cohort's own to the
        last. In the family of ``data``.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=2_000, years=3, seed=1)
        >>> c = cs.cohorts(tx, periods=cs.Periods.annual())
        >>> c.column("age").to_pylist()
        [0, 1, 2, 0, 1, 0]
    """
    periods = Periods.semiannual() if periods is None else periods
    s = as_day(start, "start")
    start_day = (
        None
        if s is None
        else as_day(periods.period_start(_dt.date(1970, 1, 1) + _dt.timedelta(days=s)))
    )
    cols = {"customer": customer, "date": date, "amount": amount, "order": order}
    h = direct_history(
        data,
        columns=cols,
        periods=periods,
        by=(),
        steps=True,
        through=True,
        orders_as_of_each=False,  # who was acquired when, over all the data
        options={"count_zero_days": count_zero_days, "on_invalid": on_invalid, "threads": threads},
        start=start_day,
        # through the end of the data and ``end``: an order's purchase event is decided
        # by all its lines (I2); the periods after ``end`` are left out below
        end=as_day(end, "end"),
    )
    bounds = list(h.bounds)
    lo, hi = h.days
    if start_day is None:
        starts, acts = [periods.period_start(lo)] + bounds[:-1], list(range(len(bounds)))
    else:
        starts, acts = bounds[:-1], list(range(1, len(bounds)))
    last = hi if end is None else _dt.date(1970, 1, 1) + _dt.timedelta(days=as_day(end, "end") or 0)
    keep = [i for i, d in enumerate(starts) if d <= last]  # to the period holding it
    segment = _segments(history, by, customer, starts, at_age, periods) if by is not None else None
    batches = dict(core_snapshots(h, ids=segment is not None))
    parts = [_cohort_period(i, starts, batches[bounds[acts[i]]], segment, customer) for i in keep]
    out = pa.concat_tables(parts).sort_by(
        [("cohort", "ascending")]
        + ([("_seg", "ascending")] if segment else [])
        + [("period_start", "ascending")]
    )
    out = used_only(out.drop_columns(["_seg"]), ["segment"] if segment else [])
    return to_family(out, family_of(data))


def _segments(
    history: Any, by: Any, customer: Any, starts: list, at_age: int, periods: Any
) -> dict:
    """Per cohort index: the history's labels at the period start ``at_age``
    periods after the cohort's start (on the calendar), and the label names."""
    if history is None:
        raise ConfigError("by= needs history= (the history whose labels split the cohorts)")
    if not isinstance(at_age, int) or at_age < 0:
        raise ConfigError(f"at_age must be a whole number of periods >= 0, got {at_age!r}")
    ht = HistoryTable.of(history, customer if isinstance(customer, str) else None)
    labels = Labels.of(ht.table, by_columns(by))
    out = {}
    explicit = periods.boundaries
    for i, first in enumerate(starts):
        if explicit is not None:
            ahead = [b for b in explicit if b >= first]
        else:  # whole months of at most 12: at_age + 1 starts within 372 days each
            ahead = periods.starts(first, first + _dt.timedelta(days=372 * (at_age + 1)))
        at = ahead[at_age] if at_age < len(ahead) else None
        rows = ht.rows_at(at) if at in ht.periods else ht.rows_at(_dt.date(1, 1, 1))
        snap = snapshot(rows, labels, ht.key)
        out[i] = (snap, labels.names)
    return out


def _cohort_period(
    i: int, starts: list, act: pa.Table, segment: dict | None, customer: Any
) -> pa.Table:
    """The cohort rows of period ``i`` (activity ``act`` at its end)."""
    first = act.column("first_purchase").cast(pa.date32())
    first_days = np.asarray(first.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)
    edges = np.array([(d - _dt.date(1970, 1, 1)).days for d in starts], dtype=np.int64)
    cohort = np.searchsorted(edges, first_days, side="right") - 1
    inside = cohort >= 0
    t = pa.table(
        {
            "cohort": cohort[inside],
            "active": np.asarray(
                pc.greater(act.column("step_purchases"), 0).to_numpy(zero_copy_only=False)
            )[inside].astype(np.int64),
            "revenue": np.asarray(micros(act.column("step_net")).to_numpy())[inside],
            "_seg": np.zeros(int(inside.sum()), dtype=np.int64),
        }
    )
    if segment is not None:
        t = _with_segments(t, act.filter(pa.array(inside)), segment, customer)
    g = t.group_by(["cohort", "_seg"]).aggregate(
        [("active", "count"), ("active", "sum"), ("revenue", "sum")]
    )
    c = g.column("cohort").to_numpy()
    n = g.num_rows
    customers = g.column("active_count").to_numpy()
    active = g.column("active_sum").to_numpy()
    cols = {
        "cohort": pa.array([starts[k] for k in c], pa.date32()),
        "period_start": date_array([starts[i]], n),
        "age": pa.array(i - c, pa.int64()),
        "customers": pa.array(customers, pa.int64()),
        "active": pa.array(active, pa.int64()),
        "retention": active / customers,
        "revenue": from_micros(g.column("revenue_sum")),
        "_seg": g.column("_seg"),
    }
    if segment is not None:
        seg = g.column("_seg").to_numpy()
        names = next(iter(segment.values()))[1]
        segs = ordered([min(int(x), len(names)) for x in seg], [*names, NONE])
        cols = {"cohort": cols.pop("cohort"), "segment": segs, **cols}
    return pa.table(cols)


def _with_segments(t: pa.Table, act: pa.Table, segment: dict, customer: Any) -> pa.Table:
    """``t`` with ``_seg``: each customer's label code at its cohort's age asked for."""
    codes = np.full(t.num_rows, 1 << 30, dtype=np.int64)  # (none), last
    cohort = t.column("cohort").to_numpy()
    key = plain(act.column(customer if isinstance(customer, str) else act.column_names[1]))
    for k in np.unique(cohort):
        snap, _ = segment[int(k)]
        rows = np.flatnonzero(cohort == k)
        keys = key.take(pa.array(rows))
        idx = pc.index_in(keys.cast(snap.column("key").type), value_set=snap.column("key"))
        found = np.asarray(idx.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        code = np.asarray(snap.column("code").to_numpy(), dtype=np.int64)
        hit = code[np.maximum(found, 0)] if code.size else np.zeros_like(found)
        codes[rows] = np.where(found >= 0, hit, 1 << 30)
    return t.set_column(t.column_names.index("_seg"), "_seg", pa.array(codes))
