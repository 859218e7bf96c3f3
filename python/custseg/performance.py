"""Segment performance and cohorts over time (rule CV8): per period, what
each segment (held fixed during the period, P3) bought; per acquisition
cohort, how many stayed active and what they spent. Both read each
customer's activity between period starts from the core's one pass."""

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
    NEW,
    HistoryTable,
    Labels,
    by_columns,
    core_snapshots,
    date_array,
    direct_history,
    from_micros,
    micros,
    snapshot,
)
from custseg.errors import ConfigError

NONE = "(none)"
"""The segment of cohort customers without a row in the history at the age asked for."""


def segment_performance(
    hist: Any = None,
    data: Any = None,
    *,
    by: str | Sequence[str] = ("cv_group", "cv_segment"),
    customer: Any = None,
    date: Any = "date",
    amount: Any = "amount",
    order: Any = None,
    periods: Periods | None = None,
    start: Any = None,
    end: Any = None,
    **options: Any,
) -> Any:
    """What each segment did in the period it was fixed for (rule CV8).

    Each period starts at a ``period_start`` of the history and runs to the
    next period start of the calendar (so the last one to ``end`` + one
    period). ``hist=None`` computes the history from ``data`` (``start``,
    ``end``, ``**options`` as in :func:`custseg.segment_history`) without
    building it whole. ``periods`` must be the history's calendar.

    Returns:
        One row per period and segment, plus a ``"(new)"`` row per period for
        the customers whose first purchase event (I2) falls in it: columns
        ``period_start``, ``segment``, ``customers``, ``buyers`` (with a
        purchase event in the period), ``buyer_share``, ``revenue`` (their net
        amounts in the period), ``revenue_share`` (of the net amounts of all
        rows in the period), ``revenue_per_customer``. In the family of ``data``.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=2_000, years=3, seed=1)
        >>> p = cs.segment_performance(
        ...     None, tx, by="cv_group", start="2025-07-01", end="2025-07-01"
        ... )
        >>> p.column("segment").to_pylist()
        ['2 ACT', '3 COLD', '4 LOST', '5 LOST', '(new)']
    """
    if data is None:
        raise ConfigError("segment_performance needs the transactions (data) (rule CV8)")
    by = by_columns(by)
    cols = {"date": date, "amount": amount, "order": order}
    if hist is not None:
        if options or start is not None or end is not None:
            raise ConfigError("start, end and options apply when hist is None")
        ht = HistoryTable.of(hist, customer)
        labels = Labels.of(ht.table, by)
        cols["customer"] = customer or ht.key
        h = direct_history(
            data,
            columns=cols,
            periods=periods,
            by=(),
            options={},
            steps=True,
            boundaries=[as_day(d) for d in ht.periods],
            extend=True,
        )
        snaps = [snapshot(ht.rows_at(d), labels, ht.key) for d in ht.periods]
        acts = [b for _, b in core_snapshots(h, ids=True)][1:]
        key = cols["customer"]
    else:
        cols["customer"] = customer or "customer_id"
        h = direct_history(
            data,
            columns=cols,
            periods=periods,
            by=by,
            options=options,
            steps=True,
            start=as_day(start, "start"),
            end=as_day(end, "end"),
            through=True,
        )
        snaps, acts, labels = _direct_snapshots(h, by)
        key = "customer_index"
    days = list(h.bounds)
    parts = [
        _period(days[j], snaps[j], acts[j], key, h.totals[j + 1], labels)
        for j in range(len(days) - 1)
    ]
    return to_family(pa.concat_tables(parts), family_of(data))


def _direct_snapshots(h: Any, by: tuple[str, ...]) -> tuple[list, list, Labels]:
    """The label snapshots and the activity of a core history (ids as indexes)."""
    snaps, acts, labels = [], [], None
    for _, batch in core_snapshots(h, ids=False):
        labels = labels or Labels.of(batch, by)
        snaps.append(snapshot(batch, labels, "customer_index"))
        acts.append(batch)
    return snaps[:-1], acts[1:], labels  # type: ignore[return-value]


def _period(
    day: _dt.date, snap: pa.Table, act: pa.Table, key: str, total: float, labels: Labels
) -> pa.Table:
    """The rows of the period starting on ``day``: labels at its start (``snap``),
    activity at its end (``act``: step_purchases, step_net, first_purchase)."""
    a = pa.table(
        {
            "key": act.column(key),
            "bought": pc.greater(act.column("step_purchases"), 0),
            "net": micros(act.column("step_net")),
            "first": act.column("first_purchase").cast(pa.date32()),
        }
    )
    if a.column("key").type != snap.column("key").type:
        a = a.set_column(0, "key", a.column("key").cast(snap.column("key").type))
    j = snap.select(["key", "code"]).join(a, keys="key", join_type="left outer")
    g = (
        pa.table(
            {
                "code": j.column("code"),
                "bought": pc.fill_null(j.column("bought"), False).cast(pa.int64()),
                "net": pc.fill_null(j.column("net"), 0),
            }
        )
        .group_by("code")
        .aggregate([("code", "count"), ("bought", "sum"), ("net", "sum")])
        .sort_by("code")
    )
    new = a.filter(pc.greater_equal(a.column("first"), pa.scalar(day, pa.date32())))
    names = [labels.names[c] for c in g.column("code").to_pylist()] + [NEW]
    customers = g.column("code_count").to_pylist() + [new.num_rows]
    buyers = g.column("bought_sum").to_pylist() + [
        int(pc.sum(new.column("bought").cast(pa.int64())).as_py() or 0)
    ]
    revenue = from_micros(g.column("net_sum")).to_pylist()
    revenue += [(pc.sum(new.column("net")).as_py() or 0) / 1e6]
    n = len(names)
    c, b, r = np.array(customers, float), np.array(buyers, float), np.array(revenue, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pa.table(
            {
                "period_start": date_array([day], n),
                "segment": names,
                "customers": pa.array(customers, pa.int64()),
                "buyers": pa.array(buyers, pa.int64()),
                "buyer_share": np.where(c > 0, b / c, np.nan),
                "revenue": r,
                "revenue_share": r / total if total != 0 else np.full(n, np.nan),
                "revenue_per_customer": np.where(c > 0, r / c, np.nan),
            }
        )


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
        options={"count_zero_days": count_zero_days, "on_invalid": on_invalid, "threads": threads},
        start=start_day,
        end=as_day(end, "end"),
    )
    bounds = list(h.bounds)
    lo, hi = h.days
    if start_day is None:
        starts, acts = [periods.period_start(lo)] + bounds[:-1], list(range(len(bounds)))
    else:
        starts, acts = bounds[:-1], list(range(1, len(bounds)))
    keep = [i for i, d in enumerate(starts) if d <= hi]
    segment = (
        _segments(history, by, customer, starts + bounds[-1:], at_age) if by is not None else None
    )
    batches = dict(core_snapshots(h, ids=segment is not None))
    parts = [_cohort_period(i, starts, batches[bounds[acts[i]]], segment, customer) for i in keep]
    out = pa.concat_tables(parts).sort_by(
        [("cohort", "ascending")]
        + ([("_seg", "ascending")] if segment else [])
        + [("period_start", "ascending")]
    )
    return to_family(out.drop_columns(["_seg"]), family_of(data))


def _segments(history: Any, by: Any, customer: Any, starts: list, at_age: int) -> dict:
    """Per cohort index: (key -> (label code, label)) at ``at_age`` periods after its start."""
    if history is None:
        raise ConfigError("by= needs history= (the history whose labels split the cohorts)")
    if not isinstance(at_age, int) or at_age < 0:
        raise ConfigError(f"at_age must be a whole number of periods >= 0, got {at_age!r}")
    ht = HistoryTable.of(history, customer if isinstance(customer, str) else None)
    labels = Labels.of(ht.table, by_columns(by))
    out = {}
    for i in range(len(starts)):
        at = starts[i + at_age] if i + at_age < len(starts) else None
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
    seg_names: dict[tuple[int, int], str] = {}
    if segment is not None:
        t = _with_segments(t, act.filter(pa.array(inside)), segment, customer, seg_names)
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
        segs = [seg_names.get((int(k), int(s)), NONE) for k, s in zip(c, seg, strict=True)]
        cols = {"cohort": cols.pop("cohort"), "segment": segs, **cols}
    return pa.table(cols)


def _with_segments(
    t: pa.Table, act: pa.Table, segment: dict, customer: Any, names: dict
) -> pa.Table:
    """``t`` with ``_seg``: each customer's label code at its cohort's age asked for."""
    codes = np.full(t.num_rows, 1 << 30, dtype=np.int64)  # (none), last
    cohort = t.column("cohort").to_numpy()
    key = act.column(customer if isinstance(customer, str) else act.column_names[1])
    for k in np.unique(cohort):
        snap, label_names = segment[int(k)]
        rows = np.flatnonzero(cohort == k)
        keys = key.take(pa.array(rows))
        idx = pc.index_in(keys.cast(snap.column("key").type), value_set=snap.column("key"))
        found = np.asarray(idx.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        code = np.asarray(snap.column("code").to_numpy(), dtype=np.int64)
        hit = code[np.maximum(found, 0)] if code.size else np.zeros_like(found)
        codes[rows] = np.where(found >= 0, hit, 1 << 30)
        for cc in np.unique(codes[rows]):
            names[(int(k), int(cc))] = NONE if cc == 1 << 30 else label_names[cc]
    return t.set_column(t.column_names.index("_seg"), "_seg", pa.array(codes))
