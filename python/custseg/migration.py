"""Migration between segments over time (rule CV8): who moved from which
segment at one period start to which at the next, from a history or straight
from the transactions (one boundary at a time, never the long table)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from custseg._engine import Periods
from custseg._frames import family_of, to_family
from custseg._input import as_day
from custseg._snapshots import (
    GONE,
    LABEL,
    NEW,
    HistoryTable,
    Labels,
    by_columns,
    core_snapshots,
    direct_history,
    from_micros,
    micros,
    ordered,
    snapshot,
    used_only,
)
from custseg.errors import ConfigError

_COLUMNS = (
    "from_period",
    "to_period",
    "from_segment",
    "to_segment",
    "customers",
    "share",
    "monetary_from",
    "monetary_to",
)


def migration(
    hist: Any = None,
    *,
    data: Any = None,
    by: str | Sequence[str] = ("cv_group", "cv_segment"),
    frm: Any = None,
    to: Any = None,
    customer: Any = None,
    date: Any = "date",
    amount: Any = "amount",
    order: Any = None,
    start: Any = None,
    end: Any = None,
    periods: Periods | None = None,
    **options: Any,
) -> Any:
    """Customers moving between segments from one period start to the next
    (rule CV8): a long, tidy table.

    Args:
        hist: a history (:func:`custseg.customer_value_history` or
            :func:`custseg.segment_history`), any family. Or pass ``data``.
        data: the transactions instead of a history: the history is computed
            one boundary at a time and only two are held (bounded memory: no
            long table), with ``customer``/``date``/``amount``/``order``,
            ``start``, ``end``, ``periods`` and ``**options`` (those of
            :func:`custseg.segment_history`, e.g. ``sales_only``, ``cuts``,
            ``lifetime_years``, ``threads``).
        by: a label column (``"cv_group"``, ``"rfm_segment"``, ``"clv_tier"``,
            ``"value_loyalty"``, ...) or a tuple of them joined into one label:
            the default tells ``"2 ACT / JUNIOR"`` from ``"3 COLD / JUNIOR"``.
        frm, to: one pair of period starts (``frm < to``); default: every pair
            of consecutive period starts.
        customer: the history's customer column (default: the one after
            ``period_start``), or the transactions' (default ``"customer_id"``).

    Returns:
        Columns ``from_period``, ``to_period``, ``from_segment``,
        ``to_segment``, ``customers``, ``share`` (of the customers of
        ``from_segment`` at ``from_period``), ``monetary_from`` and
        ``monetary_to`` (their CV3 ``monetary`` sums at each end); one row per
        pair and move with customers. Customers who first bought in between
        come from ``"(new)"`` (``monetary_from`` 0). Sorted by period, then
        segments in category order. In the family of ``hist`` (or ``data``).

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=2_000, years=3, seed=1)
        >>> m = cs.migration(data=tx, by="cv_group", start="2025-07-01", end="2026-01-01")
        >>> for r in m.select(["from_segment", "to_segment", "customers"]).to_pylist()[:3]:
        ...     print(r)
        {'from_segment': '(new)', 'to_segment': '2 ACT', 'customers': 473}
        {'from_segment': '2 ACT', 'to_segment': '2 ACT', 'customers': 518}
        {'from_segment': '2 ACT', 'to_segment': '3 COLD', 'customers': 302}
    """
    table = _migration(
        hist, data, by, frm, to, customer, date, amount, order, start, end, periods, options
    )
    return to_family(
        table.drop_columns(["_f", "_t"]), family_of(hist if hist is not None else data)
    )


def _migration(hist: Any, data: Any, by: Any, *args: Any) -> pa.Table:
    """The migration table as Arrow, with the label codes ``_f`` and ``_t`` (category order)."""
    by = by_columns(by)
    parts = [
        _moves(a, b, da, db, labels) for (da, a), (db, b), labels in _pairs(hist, data, by, *args)
    ]
    return used_only(pa.concat_tables(parts), ["from_segment", "to_segment"]) if parts else _empty()


def migration_matrix(
    hist: Any = None,
    *,
    data: Any = None,
    by: str | Sequence[str] = ("cv_group", "cv_segment"),
    frm: Any = None,
    to: Any = None,
    values: str = "customers",
    **kwargs: Any,
) -> Any:
    """One pair of :func:`migration` as a wide from x to table: the column
    ``from_segment`` then one column per to-segment (category order), ``values``
    ``"customers"`` (0 where nobody moved) or ``"share"``. Default pair: the
    last two period starts. Other arguments as in :func:`migration`.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=2_000, years=3, seed=1)
        >>> w = cs.migration_matrix(data=tx, by="cv_group", start="2025-07-01", end="2026-01-01")
        >>> w.column_names
        ['from_segment', '2 ACT', '3 COLD', '4 LOST', '5 LOST']
    """
    if values not in ("customers", "share"):
        raise ConfigError(f'values must be "customers" or "share", got {values!r}')
    if (frm is None) != (to is None):
        raise ConfigError("pass both frm and to, or neither (the last pair)")
    args = [kwargs.pop(k, d) for k, d in _DIRECT_ARGS]
    long = _migration(hist, data, by, frm, to, *args, kwargs)
    if frm is None and long.num_rows:
        last = pc.max(long.column("to_period"))
        long = long.filter(pc.equal(long.column("to_period"), last))
    rows = long.to_pylist()
    froms = list(dict.fromkeys(r["from_segment"] for r in rows))
    tos = list(dict.fromkeys(r["to_segment"] for r in sorted(rows, key=lambda r: r["_t"])))
    cells = {(r["from_segment"], r["to_segment"]): r[values] for r in rows}
    zero = 0 if values == "customers" else 0.0
    table = pa.table(
        {"from_segment": froms, **{t: [cells.get((f, t), zero) for f in froms] for t in tos}}
    )
    return to_family(table, family_of(hist if hist is not None else data))


_DIRECT_ARGS = (
    ("customer", None),
    ("date", "date"),
    ("amount", "amount"),
    ("order", None),
    ("start", None),
    ("end", None),
    ("periods", None),
)


Pair = tuple[tuple[_dt.date, pa.Table], tuple[_dt.date, pa.Table], Labels]


def _pairs(
    hist: Any,
    data: Any,
    by: tuple[str, ...],
    frm: Any,
    to: Any,
    customer: Any,
    date: Any,
    amount: Any,
    order: Any,
    start: Any,
    end: Any,
    periods: Periods | None,
    options: dict[str, Any],
) -> Iterator[Pair]:
    """The snapshot pairs to compare, from a history or from the transactions."""
    if (hist is None) == (data is None):
        raise ConfigError("pass a history (hist) or the transactions (data=), one of them")
    if hist is not None:
        if options or start is not None or end is not None:
            raise ConfigError("start, end and options apply to data=, not to a history")
        yield from _hist_pairs(HistoryTable.of(hist, customer), by, frm, to)
        return
    bounds: dict[str, Any] = {"start": as_day(start, "start"), "end": as_day(end, "end")}
    if frm is not None or to is not None:
        bounds = {"boundaries": [as_day(frm, "frm"), as_day(to, "to")]}
    h = direct_history(
        data,
        columns={
            "customer": customer or "customer_id",
            "date": date,
            "amount": amount,
            "order": order,
        },
        periods=periods,
        by=by,
        options=options,
        **bounds,
    )
    prev = None
    for day, batch in core_snapshots(h, ids=False):
        if batch.num_rows == 0:
            continue  # no customer yet: a history has no rows there either
        snap = (day, snapshot(batch, labels := Labels.of(batch, by), "customer_index"))
        if prev is not None:
            yield prev, snap, labels
        prev = snap


def _hist_pairs(ht: HistoryTable, by: tuple[str, ...], frm: Any, to: Any) -> Iterator[Pair]:
    labels = Labels.of(ht.table, by)
    if (frm is None) != (to is None):
        raise ConfigError("pass both frm and to, or neither (every consecutive pair)")
    if frm is not None:
        a, b = ht.check_period(frm, "frm"), ht.check_period(to, "to")
        if a >= b:
            raise ConfigError(f"frm ({a}) must be before to ({b}) (rule CV8)")
        days = [a, b]
    else:
        days = ht.periods
    full = snapshot(ht.table, labels, ht.key).append_column(
        "period", ht.table.column("period_start")
    )
    # joins on integers: the customer ids (strings, often) encoded once
    full = full.set_column(
        0, "key", pc.dictionary_encode(full.column("key")).combine_chunks().indices
    )
    snaps = [(d, full.filter(pc.equal(full.column("period"), pa.scalar(d)))) for d in days]
    for x, y in zip(snaps, snaps[1:], strict=False):
        yield x, y, labels


def _moves(a: pa.Table, b: pa.Table, da: _dt.date, db: _dt.date, labels: Labels) -> pa.Table:
    """The migration rows of one pair of snapshots."""
    left = pa.table({"key": a.column("key"), "f": a.column("code"), "mf": micros(a["monetary"])})
    right = pa.table({"key": b.column("key"), "t": b.column("code"), "mt": micros(b["monetary"])})
    j = left.join(right, keys="key", join_type="full outer")
    f = pc.fill_null(j.column("f"), -1)  # (new)
    t = pc.fill_null(j.column("t"), 1 << 30)  # (gone), last
    g = (
        pa.table(
            {
                "f": f,
                "t": t,
                "mf": pc.fill_null(j.column("mf"), 0),
                "mt": pc.fill_null(j.column("mt"), 0),
            }
        )
        .group_by(["f", "t"])
        .aggregate([("f", "count"), ("mf", "sum"), ("mt", "sum")])
        .sort_by([("f", "ascending"), ("t", "ascending")])
    )
    sizes = pa.table({"f": f}).group_by("f").aggregate([("f", "count")])
    size = dict(
        zip(sizes.column("f").to_pylist(), sizes.column("f_count").to_pylist(), strict=True)
    )
    names = labels.names
    fcodes, tcodes = g.column("f").to_pylist(), g.column("t").to_pylist()
    counts = g.column("f_count").to_pylist()
    n = g.num_rows
    return pa.table(
        {
            "_f": pa.array(fcodes, pa.int32()),
            "_t": pa.array(tcodes, pa.int32()),
            "from_period": pa.array([da] * n, pa.date32()),
            "to_period": pa.array([db] * n, pa.date32()),
            "from_segment": ordered([c + 1 for c in fcodes], [NEW, *names, GONE]),
            "to_segment": ordered([min(c, len(names)) + 1 for c in tcodes], [NEW, *names, GONE]),
            "customers": pa.array(counts, pa.int64()),
            "share": pa.array(
                [c / size[fc] for c, fc in zip(counts, fcodes, strict=True)], pa.float64()
            ),
            "monetary_from": from_micros(g.column("mf_sum")),
            "monetary_to": from_micros(g.column("mt_sum")),
        }
    )


def _empty() -> pa.Table:
    types = [pa.int32(), pa.int32(), pa.date32(), pa.date32(), LABEL, LABEL, pa.int64()]
    names = ("_f", "_t", *_COLUMNS)
    return pa.schema(list(zip(names, types + [pa.float64()] * 3, strict=False))).empty_table()
