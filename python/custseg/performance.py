"""Segment performance over time (rule CV8): per period, what each segment
(held fixed during the period, P3) bought, from each customer's activity
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
    LABEL,
    NEW,
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
        rows, labels, key, last_day = _over_history(
            hist, data, by, cols, customer, periods, start, end, options
        )
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
            extend=True,
        )
        rows, labels = _direct_rows(h, by)
        key, last_day = "customer_index", h.days[1] if h.days else None
    parts = [
        _period(day, snap, act, key, total, labels)
        for day, snap, act, total in rows
        # periods that start at a boundary with customers and hold data (CV8 decisions)
        if snap.num_rows and last_day is not None and day <= last_day
    ]
    table = used_only(pa.concat_tables(parts), ["segment"]) if parts else _no_rows()
    return to_family(table, family_of(data))


Rows = list[tuple[_dt.date, pa.Table, pa.Table, float]]
"""Per period: its start, the labels there, the activity at its end, the net of all its rows."""

_RUN_OPTIONS = ("count_zero_days", "on_invalid", "threads", "memory_limit", "spill_dir")


def _direct_rows(h: Any, by: tuple[str, ...]) -> tuple[Rows, Labels]:
    """The periods of a core history: labels at each boundary, activity at the next."""
    batches = [b for _, b in core_snapshots(h, ids=False)]
    labels = Labels.of(batches[0], by)
    acts = [_activity(h, j, b, "customer_index") for j, b in enumerate(batches)]
    rows = [
        (day, snapshot(batches[j], labels, "customer_index"), acts[j + 1], h.totals[j + 1])
        for j, day in enumerate(h.bounds[:-1])
    ]
    return rows, labels


def _over_history(
    hist: Any,
    data: Any,
    by: tuple[str, ...],
    cols: dict[str, Any],
    customer: Any,
    periods: Any,
    start: Any,
    end: Any,
    options: dict[str, Any],
) -> tuple[Rows, Labels, str, Any]:
    """The periods of a history: its labels at each period start, the activity
    from the core at the calendar's next period start (the period's end)."""
    other = sorted(set(options) - set(_RUN_OPTIONS))
    if other or start is not None or end is not None:
        shown = ", ".join(other or ["start/end"])
        raise ConfigError(f"{shown}: the history decides them; pass them when hist is None")
    ht = HistoryTable.of(hist, customer)
    labels = Labels.of(ht.table, by)
    if not ht.periods:  # no customer at any period start: nothing to measure
        return [], labels, customer or ht.key, None
    cols["customer"] = customer or ht.key
    ends = [_next_start(periods, d) for d in ht.periods]
    h = direct_history(
        data,
        columns=cols,
        periods=periods,
        by=(),
        options=options,
        steps=True,
        boundaries=[as_day(d) for d in sorted(set(ht.periods) | {e for e in ends if e})],
        # the last period of explicit boundaries (no next start) ends after the data
        extend=ends[-1] is None,
    )
    key = cols["customer"]
    batches = {d: _activity(h, j, b, key) for j, (d, b) in enumerate(core_snapshots(h, ids=True))}
    totals = dict(zip(h.bounds, h.totals, strict=True))
    ends = [e or h.bounds[-1] for e in ends]
    rows = [
        (d, snapshot(ht.rows_at(d), labels, ht.key), batches[e], totals[e])
        for d, e in zip(ht.periods, ends, strict=True)
    ]
    return rows, labels, cols["customer"], h.days[1] if h.days else None


def _activity(h: Any, j: int, batch: pa.Table, key: str) -> pa.Table:
    """Boundary ``j``'s activity since the previous one: the customers with
    facts there (``batch``) and those without (``h.strays``: no purchase event
    before it, e.g. an order cancelled by its later lines), who are never new."""
    cols = [key, "step_purchases", "step_net", "first_purchase"]
    have = batch.select(cols)
    strays = h.strays(j, ids=key != "customer_index")
    if strays.num_rows == 0:
        return have
    strays = pa.table(
        {
            key: plain(strays.column(0)).cast(have.schema.field(key).type),
            "step_purchases": strays.column("step_purchases"),
            "step_net": strays.column("step_net"),
            "first_purchase": pa.nulls(strays.num_rows, pa.date32()),
        }
    )
    return pa.concat_tables([have.cast(strays.schema), strays])


def _next_start(periods: Any, day: _dt.date) -> _dt.date | None:
    """The calendar's first period start after ``day`` (``None`` after the last
    of explicit boundaries)."""
    periods = Periods.semiannual() if periods is None else periods
    explicit = periods.boundaries
    if explicit is not None:
        return next((b for b in explicit if b > day), None)
    return periods.starts(day + _dt.timedelta(days=1), day + _dt.timedelta(days=372))[0]


def _no_rows() -> pa.Table:
    """The columns of segment_performance, no row."""
    types = [pa.date32(), LABEL, pa.int64(), pa.int64()] + [pa.float64()] * 4
    return pa.schema(list(zip(_PERFORMANCE, types, strict=True))).empty_table()


_PERFORMANCE = (
    "period_start",
    "segment",
    "customers",
    "buyers",
    "buyer_share",
    "revenue",
    "revenue_share",
    "revenue_per_customer",
)


def _period(
    day: _dt.date, snap: pa.Table, act: pa.Table, key: str, total: float, labels: Labels
) -> pa.Table:
    """The rows of the period starting on ``day``: labels at its start (``snap``),
    activity at its end (``act``: step_purchases, step_net, first_purchase)."""
    a = pa.table(
        {
            "key": plain(act.column(key)),
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
    codes = g.column("code").to_pylist()
    names = ordered(codes + [len(labels.names)], [*labels.names, NEW])
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
