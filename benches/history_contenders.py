"""The Customer Value history (CV8) written the way an expert would in polars and DuckDB.

These are the peers of ``bench_history.py``. Each computes, for every boundary ``s`` of a
list of semiannual period starts, exactly the rows of
``custseg.customer_value(table, as_of=s, periods=Periods.semiannual())`` (docs/rules.md
sections 0-2, the defaults of ``cv_contenders.py``: anchor 2000-01-01, positive
customer-days are purchase events, monetary window 2, cuts 0.05/0.25/0.50, no sales-only)
and returns one long table sorted by ``period_start`` then customer, with the columns
``period_start`` (date) and the CV7 columns of ``cv_contenders.COLUMNS``. Labels are plain
strings.

At a boundary every day before ``s`` has age >= 1 (P2), so there is no ``1 NEW`` and the
period of a day decides everything: a boundary p (as a period index) sees the periods
< p; k = p - L with L the last period holding a purchase event (CV1); n = the events of
the periods < p; m = the net money of the periods L and L - 1 (CV3). So every form below
starts from one pass over the rows that builds the *customer-periods*: per (customer,
period) the net money, the purchase events and the first/last event day (I2, I6). The
monetary window of an event period does not depend on the boundary either: ``pair`` =
net(L) + net(L - 1), computed once per event period. The forms differ in how they go from
the customer-periods to the (boundary, customer) rows:

* ``snapshots``: ``cv_contenders.cv_polars`` / ``cv_duckdb`` (the single-snapshot query)
  run once per boundary, each from the rows: what an analyst does first.
* ``per-boundary``: the customer-periods once, then one query per boundary over them
  (filter period < p, group by customer, tiers).
* ``cross-join``: one query: the event periods x the boundaries with period < p, one
  group-by per (boundary, customer) (L = max period, m = the ``pair`` of that period).
* ``interval``: one query: each event period decides the boundaries p with
  period < p <= the customer's next event period (a range join, running sums over the
  customer's event periods for n): exactly one input row per output row, no group-by.

Which form is fastest (2 cores, string ids, best of 3-5, another process keeping the
machine busy: load average ~4, so +-50% between runs): at 1M rows ``per-boundary`` and
``interval`` are within the noise of each other for both engines (polars 0.48-1.05 s and
0.84-1.03 s, DuckDB 0.73-1.40 s and 0.96-1.04 s over by-date and shuffled; ``cross-join``
0.75-1.65 s and 0.94-1.46 s; ``snapshots`` 1.05-1.21 s and 1.84-2.81 s); at 10M rows (by-date)
``interval`` is the faster one for both (polars 7.3 s against 10.9 s, DuckDB 12.9 s against
15.0 s). So ``DEFAULT_FORM`` is ``interval`` for both; ``bench_history.py --contenders
polars/<form>,duckdb/<form>`` times any form.

Every form tiers per (boundary, pool) with a window: r = (# strictly greater) / N from
``rank("min", descending) - 1`` over the pool (CV6), as ``cv_contenders`` does.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

import cv_contenders as cvc
import pyarrow as pa
from cv_contenders import (
    ACT,
    ANCHOR_MONTHS,
    COLD,
    COLUMNS,
    CUTS,
    LOST4,
    LOST5,
    MONETARY_PERIODS,
    PERIOD_MONTHS,
    SCALE,
    TIER_LABELS,
    period_index,
)

FORMS = ("snapshots", "per-boundary", "cross-join", "interval")
DEFAULT_FORM = {"polars": "interval", "duckdb": "interval"}
HISTORY_COLUMNS = ["period_start", *COLUMNS]
# This file and bench_history.py assume the semiannual calendar from 2000-01-01 with a
# window of 2 periods (``pair`` = this period and the one before).
assert MONETARY_PERIODS == 2


def boundary_index(day: _dt.date) -> int:
    """P1: the period index of a boundary (a period start: day 1 of month 1 or 7)."""
    assert day.day == 1 and (12 * day.year + day.month - 1 - ANCHOR_MONTHS) % PERIOD_MONTHS == 0
    return period_index(day.year, day.month)


def boundary_day(p: int) -> _dt.date:
    """The first day of the period with index p."""
    months = ANCHOR_MONTHS + p * PERIOD_MONTHS
    return _dt.date(months // 12, months % 12 + 1, 1)


def history(engine: str, form: str, table: pa.Table, boundaries: Sequence[_dt.date], **kw: Any):
    """The history of ``table`` at ``boundaries`` by ``engine`` ("polars" or "duckdb") in
    ``form`` (one of FORMS); polars returns a polars DataFrame, DuckDB a pyarrow Table."""
    fn = {"polars": _POLARS, "duckdb": _DUCKDB}[engine][form]
    return fn(table, list(boundaries), **kw)


# ---------------------------------------------------------------------------
# polars
# ---------------------------------------------------------------------------
def _pl_customer_periods(tx: Any) -> Any:
    """Rows -> customer-periods (lazy): per (customer, period) net, events, first/last
    event day, and ``pair`` = net of this period + net of the period before (CV3)."""
    import polars as pl

    c = pl.col
    cp = (
        # I6: exact integer millionths, half away from zero.
        tx.with_columns(
            micros=(c.amount * float(SCALE)).round(0, mode="half_away_from_zero").cast(pl.Int64)
        )
        # I2: one net total per (customer, day); a positive day is a purchase event.
        .group_by("customer_id", "date")
        .agg(net=c.micros.sum())
        .with_columns(
            period=period_index(c.date.dt.year().cast(pl.Int32), c.date.dt.month().cast(pl.Int32)),
            event=c.net > 0,
        )
        .group_by("customer_id", "period")
        .agg(
            net=c.net.sum(),
            events=c.event.sum().cast(pl.Int64),
            first=pl.when(c.event).then(c.date).min(),
            last=pl.when(c.event).then(c.date).max(),
        )
    )
    # CV3: the window of an event period L is L and L - 1: the net of L - 1 joined back.
    prev = cp.select("customer_id", period=c.period + 1, prev_net=c.net)
    return (
        cp.filter(c.events > 0)
        .join(prev, on=["customer_id", "period"], how="left")
        .select(
            "customer_id",
            "period",
            "events",
            "first",
            "last",
            pair=c.net + c.prev_net.fill_null(0),
        )
    )


def _pl_tiers(per: Any, by: Sequence[str]) -> Any:
    """(boundary, customer) rows with k, n, m, first/last -> the CV columns (CV2, CV4, CV6);
    ``by`` partitions the tier pools (the boundary, or nothing for one boundary)."""
    import polars as pl

    c = pl.col
    group = (
        pl.when(c.k == 1)
        .then(pl.lit(ACT))
        .when(c.k == 2)
        .then(pl.lit(COLD))
        .when(c.k <= 4)
        .then(pl.lit(LOST4))
        .otherwise(pl.lit(LOST5))
    )
    junior = c.cv_group.is_in([ACT, COLD]) & (c.n == 1)
    pool = pl.when(c.cv_group.is_in([ACT, COLD, LOST4]) & ~c.junior).then(c.cv_group)
    keys = [*by, "pool"]
    # CV6: rank "min" descending - 1 = number of pool members with monetary strictly greater.
    r = (c.m.rank("min", descending=True) - 1).over(keys) / pl.len().over(keys)
    tier = pl.when(r < CUTS[0]).then(0).when(r < CUTS[1]).then(1).when(r < CUTS[2]).then(2)
    segment = pl.when(c.cv_group == LOST5).then(pl.lit("LOST"))
    segment = segment.when(c.junior).then(pl.lit("JUNIOR"))
    for g, labels in TIER_LABELS.items():
        for t, label in enumerate(labels):
            segment = segment.when((c.pool == g) & (c.tier == t)).then(pl.lit(label))
    return (
        per.with_columns(cv_group=group)
        .with_columns(junior=junior)
        .with_columns(pool=pool)
        .with_columns(tier=tier.otherwise(3))
        .select(
            "period_start",
            "customer_id",
            "cv_group",
            cv_segment=segment,
            periods_since_last=c.k.cast(pl.Int64),
            purchases=c.n,
            monetary=c.m / SCALE,  # I6: float of the exact sum
            first_purchase=c.first_purchase,
            last_purchase=c.last_purchase,
        )
    )


def _pl_bounds(boundaries: list[_dt.date]) -> Any:
    import polars as pl

    return pl.DataFrame(
        {
            "p": [boundary_index(b) for b in boundaries],
            "period_start": boundaries,
        },
        schema={"p": pl.Int32, "period_start": pl.Date},
    ).lazy()


def _pl_input(table: pa.Table) -> Any:
    import polars as pl

    return pl.from_arrow(table.select(["customer_id", "date", "amount"])).lazy()


def pl_snapshots(table: pa.Table, boundaries: list[_dt.date]) -> Any:
    """One ``cv_contenders.cv_polars`` query per boundary, each from the rows."""
    import polars as pl

    parts = [
        cvc.cv_polars(table, as_of=b).select(pl.lit(b).alias("period_start"), *COLUMNS)
        for b in boundaries
    ]
    return pl.concat(parts, how="vertical_relaxed")


def pl_per_boundary(table: pa.Table, boundaries: list[_dt.date]) -> Any:
    """The customer-periods once, then one lazy query per boundary (collected together)."""
    import polars as pl

    c = pl.col
    ev = _pl_customer_periods(_pl_input(table)).collect().lazy()
    parts = []
    for b in boundaries:
        p = boundary_index(b)
        per = (
            ev.filter(c.period < p)
            .group_by("customer_id")
            .agg(
                n=c.events.sum(),
                last_period=c.period.max(),
                m=c.pair.get(c.period.arg_max()),
                first_purchase=c.first.min(),
                last_purchase=c.last.max(),
            )
            .with_columns(period_start=pl.lit(b), k=pl.lit(p) - c.last_period)
        )
        parts.append(_pl_tiers(per, by=[]).sort("customer_id"))
    return pl.concat(pl.collect_all(parts), how="vertical_relaxed")


def pl_cross_join(table: pa.Table, boundaries: list[_dt.date]) -> Any:
    """One query: event periods x boundaries (period < p), group by (boundary, customer)."""
    import polars as pl

    c = pl.col
    ev = _pl_customer_periods(_pl_input(table))
    per = (
        ev.join(_pl_bounds(boundaries), how="cross")
        .filter(c.period < c.p)
        .group_by("p", "period_start", "customer_id")
        .agg(
            n=c.events.sum(),
            last_period=c.period.max(),
            m=c.pair.get(c.period.arg_max()),
            first_purchase=c.first.min(),
            last_purchase=c.last.max(),
        )
        .with_columns(k=c.p - c.last_period)
    )
    return _pl_tiers(per, by=["period_start"]).sort("period_start", "customer_id").collect()


def pl_interval(table: pa.Table, boundaries: list[_dt.date]) -> Any:
    """One query: each event period L decides the boundaries L < p <= next event period."""
    import polars as pl

    c = pl.col
    far = max(boundary_index(b) for b in boundaries)
    ev = (
        _pl_customer_periods(_pl_input(table))
        .sort("customer_id", "period")
        .with_columns(
            n=c.events.cum_sum().over("customer_id"),  # events up to this period
            next_period=c.period.shift(-1).over("customer_id").fill_null(far),
            first_purchase=c.first.min().over("customer_id"),
        )
    )
    per = ev.join_where(_pl_bounds(boundaries), c.period < c.p, c.p <= c.next_period).select(
        "period_start",
        "customer_id",
        "n",
        k=c.p - c.period,
        m=c.pair,
        first_purchase=c.first_purchase,
        last_purchase=c.last,
    )
    return _pl_tiers(per, by=["period_start"]).sort("period_start", "customer_id").collect()


_POLARS = {
    "snapshots": pl_snapshots,
    "per-boundary": pl_per_boundary,
    "cross-join": pl_cross_join,
    "interval": pl_interval,
}


# ---------------------------------------------------------------------------
# DuckDB
# ---------------------------------------------------------------------------
CUSTOMER_PERIODS_SQL = f"""
WITH days AS (
    -- I6: round() is half away from zero; I2: one net total per (customer, day).
    SELECT customer_id, date, sum(CAST(round(amount * {SCALE}) AS BIGINT))::BIGINT AS net
    FROM tx
    GROUP BY customer_id, date
), cp AS (
    -- P1: the day's period (fdiv: floor division); per (customer, period) the money,
    -- the purchase events and the first/last event day.
    SELECT customer_id,
           fdiv(12 * year(date) + month(date) - 1 - {ANCHOR_MONTHS}, {PERIOD_MONTHS})::INTEGER
               AS period,
           sum(net)::BIGINT AS net,
           count(*) FILTER (WHERE net > 0) AS events,
           min(date) FILTER (WHERE net > 0) AS first_event,
           max(date) FILTER (WHERE net > 0) AS last_event
    FROM days
    GROUP BY ALL
)
-- CV3: the window of an event period L is L and L - 1: pair = net(L) + net(L - 1).
SELECT c.customer_id, c.period, c.events, c.first_event, c.last_event,
       c.net + coalesce(b.net, 0) AS pair
FROM cp c LEFT JOIN cp b ON b.customer_id = c.customer_id AND b.period = c.period - 1
WHERE c.events > 0
"""


def _sql_tiers(per: str, by: str) -> str:
    """The CV columns from a relation ``per`` (period_start, customer_id, k, n, m,
    first_purchase, last_purchase); ``by``: the extra partition of the tier pools."""
    part = f"{by}, pool" if by else "pool"
    return f"""
grouped AS (
    -- CV2: group from k (no NEW at a boundary: every day before it has age >= 1).
    SELECT *, CASE WHEN k = 1 THEN '{ACT}' WHEN k = 2 THEN '{COLD}'
                   WHEN k <= 4 THEN '{LOST4}' ELSE '{LOST5}' END AS cv_group
    FROM {per}
), pooled AS (
    -- CV4: JUNIOR = ACT/COLD with n = 1; pools: ACT/COLD with n >= 2, all of 4 LOST.
    SELECT *, cv_group IN ('{ACT}', '{COLD}') AND n = 1 AS junior,
           CASE WHEN cv_group IN ('{ACT}', '{COLD}', '{LOST4}')
                     AND NOT (cv_group IN ('{ACT}', '{COLD}') AND n = 1)
                THEN cv_group END AS pool
    FROM grouped
), tiered AS (
    -- CV6: rank() - 1 over m descending = number of pool members with m strictly greater.
    SELECT *,
           CASE WHEN pool IS NULL THEN NULL
                ELSE (rank() OVER (PARTITION BY {part} ORDER BY m DESC) - 1)
                     / count(*) OVER (PARTITION BY {part}) END AS r
    FROM pooled
)
SELECT period_start, customer_id, cv_group,
       CASE WHEN cv_group = '{LOST5}' THEN 'LOST'
            WHEN junior THEN 'JUNIOR'
            ELSE (CASE WHEN pool = '{ACT}' THEN ['PLATINA', 'GOLD', 'SILVER', 'BRONZE']
                       ELSE ['L', 'M', 'S', 'XS'] END)
                 [CASE WHEN r < {CUTS[0]}::DOUBLE THEN 1 WHEN r < {CUTS[1]}::DOUBLE THEN 2
                       WHEN r < {CUTS[2]}::DOUBLE THEN 3 ELSE 4 END]
       END AS cv_segment,
       k::BIGINT AS periods_since_last,
       n::BIGINT AS purchases,
       m / {SCALE} AS monetary,  -- I6: float of the exact sum
       first_purchase, last_purchase
FROM tiered
"""


def _bounds_sql(boundaries: list[_dt.date]) -> str:
    rows = ", ".join(f"({boundary_index(b)}, DATE '{b.isoformat()}')" for b in boundaries)
    return f"bounds(p, period_start) AS (VALUES {rows})"


def _connect(table: pa.Table, threads: int | None) -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # it would print to the terminal
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    con.register("tx", table.select(["customer_id", "date", "amount"]))
    return con


def db_snapshots(
    table: pa.Table, boundaries: list[_dt.date], threads: int | None = None
) -> pa.Table:
    """One ``cv_contenders.cv_duckdb`` query per boundary, each from the rows."""
    parts = []
    for b in boundaries:
        t = cvc.cv_duckdb(table, as_of=b, threads=threads)
        col = pa.array([b] * t.num_rows, pa.date32())
        parts.append(t.select(COLUMNS).add_column(0, "period_start", col))
    return pa.concat_tables(parts, promote_options="permissive")


def db_per_boundary(
    table: pa.Table, boundaries: list[_dt.date], threads: int | None = None
) -> pa.Table:
    """The customer-periods once (a temporary table), then one query per boundary."""
    con = _connect(table, threads)
    try:
        con.execute(f"CREATE TEMP TABLE ev AS {CUSTOMER_PERIODS_SQL}")
        parts = []
        for b in boundaries:
            p = boundary_index(b)
            per = f"""(
                SELECT DATE '{b.isoformat()}' AS period_start, customer_id,
                       {p} - max(period) AS k, sum(events) AS n, arg_max(pair, period) AS m,
                       min(first_event) AS first_purchase, max(last_event) AS last_purchase
                FROM ev WHERE period < {p} GROUP BY customer_id)"""
            sql = f"WITH {_sql_tiers(per, '')} ORDER BY customer_id"
            parts.append(con.sql(sql).to_arrow_table())
        return pa.concat_tables(parts, promote_options="permissive")
    finally:
        con.close()


def db_cross_join(
    table: pa.Table, boundaries: list[_dt.date], threads: int | None = None
) -> pa.Table:
    """One query: event periods x boundaries (period < p), group by (boundary, customer)."""
    sql = f"""
WITH ev AS ({CUSTOMER_PERIODS_SQL}), {_bounds_sql(boundaries)},
per AS (
    SELECT b.period_start, e.customer_id, b.p - max(e.period) AS k, sum(e.events) AS n,
           arg_max(e.pair, e.period) AS m,
           min(e.first_event) AS first_purchase, max(e.last_event) AS last_purchase
    FROM ev e JOIN bounds b ON e.period < b.p
    GROUP BY b.p, b.period_start, e.customer_id
), {_sql_tiers("per", "period_start")}
ORDER BY period_start, customer_id
"""
    con = _connect(table, threads)
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def db_interval(
    table: pa.Table, boundaries: list[_dt.date], threads: int | None = None
) -> pa.Table:
    """One query: each event period L decides the boundaries L < p <= next event period."""
    far = max(boundary_index(b) for b in boundaries)
    sql = f"""
WITH ev AS ({CUSTOMER_PERIODS_SQL}), {_bounds_sql(boundaries)},
runs AS (
    SELECT *,
           sum(events) OVER w AS n,
           coalesce(lead(period) OVER w, {far}) AS next_period,
           first_value(first_event) OVER w AS first_purchase  -- the earliest event period
    FROM ev
    WINDOW w AS (PARTITION BY customer_id ORDER BY period)
), per AS (
    SELECT b.period_start, r.customer_id, b.p - r.period AS k, r.n, r.pair AS m,
           r.first_purchase, r.last_event AS last_purchase
    FROM runs r JOIN bounds b ON r.period < b.p AND b.p <= r.next_period
), {_sql_tiers("per", "period_start")}
ORDER BY period_start, customer_id
"""
    con = _connect(table, threads)
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


_DUCKDB = {
    "snapshots": db_snapshots,
    "per-boundary": db_per_boundary,
    "cross-join": db_cross_join,
    "interval": db_interval,
}
