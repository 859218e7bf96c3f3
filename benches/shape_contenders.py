"""The contenders of ``bench_shapes.py``: CV, RFM and CLV in polars, DuckDB and pandas for
every input form (Arrow table, pandas DataFrame, Parquet file) and the variants
``plain``, ``sales_only`` (CV5) and ``orders`` (I2 with an order column).

They compute the rules of ``docs/rules.md`` with the configuration of the other benchmarks
(``cv_contenders.py``, ``rfm_clv_contenders.py``: as_of 2026-01-01, semiannual periods from
January, CV cuts 0.05 / 0.25 / 0.50, RFM 5 bins and the default rules, CLV lifetime 3 years
and tiers 0.2 / 0.8), whose constants and helpers they import. The DuckDB ``plain`` queries
are those modules' own (``cv_sql``, ``rfm_sql``, ``clv_sql``), run over a view ``tx`` of the
input. Everything else goes through one per-day table per engine:

* ``days`` = (customer_id, date, net, events): the exact net total (I6, millionths) of each
  customer-day before as_of (I3) and its number of purchase events (I2):
  - ``plain``/``sales_only``: 1 when the day's net is positive, else 0;
  - ``orders``: the orders (customer, order id: the same id under two customers is two
    orders) whose total before as_of is positive, counted on the order's earliest day
    before as_of (docs/rules.md, Decisions, "Order mode"); each line's money stays on its
    own day.
* CV (CV1-CV7) from ``days``: per (customer, age) the money, the events, the first and last
  event day and the events in a sales month; ``sales_only`` adds CV5: ``0 SOL`` when the
  customer (not ``1 NEW``) has events of age 1 to 4 and all of them fall in January or July;
  its segment is ``ACT`` / ``COLD`` / ``LOST`` by k, and it is in no tier pool.
* RFM (R1-R3) and CLV (CLV1-CLV3) from ``days``, as in ``rfm_clv_contenders.py`` with the
  events counted from ``days.events`` instead of ``net > 0``.

Input forms (converted inside the call, as a user pays them): a pyarrow Table
(``pl.from_arrow``, DuckDB scans it, ``to_pandas``), a pandas DataFrame (``pl.from_pandas``,
DuckDB scans it, pandas uses it as is), a Parquet file (``pl.scan_parquet``, DuckDB
``read_parquet``, ``pd.read_parquet``). pandas dates are ``datetime64``; polars and DuckDB
take them on their day (I1) with a cast to a date.

pandas has CV only (there is no pandas RFM/CLV contender in the other benchmarks either).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import cv_contenders as cvk
import rfm_clv_contenders as rck
from cv_contenders import (
    ACT,
    AS_OF,
    COLD,
    CUTS,
    LOST4,
    LOST5,
    MONETARY_PERIODS,
    NEW,
    SCALE,
    TIER_LABELS,
    current_period,
    period_index,
)

SOL = "0 SOL"  # CV2
SALES_MONTHS = (1, 7)  # CV5 defaults
SALES_LOOKBACK = 4
ORDER = "order"  # the order-id column of the ``orders`` variant
VARIANTS = ("plain", "sales_only", "orders")


def is_path(data: Any) -> bool:
    return isinstance(data, (str, Path))


# ---------------------------------------------------------------------------
# polars (lazy queries; all cores unless POLARS_MAX_THREADS is set)
# ---------------------------------------------------------------------------
def _lazy(data: Any, orders: bool) -> Any:
    import polars as pl
    import pyarrow as pa

    cols = ["customer_id", "date", "amount", *([ORDER] if orders else [])]
    if is_path(data):
        lf = pl.scan_parquet(data)
    elif isinstance(data, pa.Table):
        lf = pl.from_arrow(data.select(cols)).lazy()
    else:
        lf = pl.from_pandas(data[cols]).lazy()
    return lf.select(cols)


def days_polars(data: Any, orders: bool, as_of: _dt.date = AS_OF) -> Any:
    """I1 + I3 + I6 + I2: (customer_id, date, net, events) per customer-day before as_of."""
    import polars as pl

    c = pl.col
    lines = (
        _lazy(data, orders)
        .with_columns(date=c.date.cast(pl.Date))
        .filter(c.date < as_of)
        .with_columns(
            micros=(c.amount * float(SCALE)).round(0, mode="half_away_from_zero").cast(pl.Int64)
        )
    )
    days = lines.group_by("customer_id", "date").agg(net=c.micros.sum())
    if not orders:
        return days.with_columns(events=(c.net > 0).cast(pl.Int64))
    # I2 order mode: a positive order is one event, on its earliest day before as_of.
    events = (
        lines.group_by("customer_id", ORDER)
        .agg(total=c.micros.sum(), date=c.date.min())
        .filter(c.total > 0)
        .group_by("customer_id", "date")
        .agg(events=pl.len().cast(pl.Int64))
    )
    return days.join(events, on=["customer_id", "date"], how="left").with_columns(
        events=c.events.fill_null(0)
    )


def cv_polars(data: Any, orders: bool, sales_only: bool, as_of: _dt.date = AS_OF) -> Any:
    """CV1-CV7 (+ CV5 when ``sales_only``) as one polars lazy query; a polars DataFrame."""
    import polars as pl

    c = pl.col
    p0 = current_period(as_of)
    days = days_polars(data, orders, as_of).with_columns(
        age=pl.lit(p0, pl.Int32)
        - period_index(c.date.dt.year().cast(pl.Int32), c.date.dt.month().cast(pl.Int32)),
        sale=c.date.dt.month().is_in(SALES_MONTHS),
    )
    event_day = pl.when(c.events > 0).then(c.date)
    ages = days.group_by("customer_id", "age").agg(
        net=c.net.sum(),
        events=c.events.sum(),
        sales=pl.when(c.sale).then(c.events).sum(),  # CV5: events in a sales month
        first=event_day.min(),
        last=event_day.max(),
    )
    hist = (c.age >= 1) & (c.events > 0)  # CV1/P3
    ages = ages.with_columns(k=pl.when(hist).then(c.age).min().over("customer_id"))
    in_window = c.age.is_between(  # CV3
        c.k.fill_null(0), pl.when(c.k.is_null()).then(0).otherwise(c.k + MONETARY_PERIODS - 1)
    )
    lookback = c.age.is_between(1, SALES_LOOKBACK)  # CV5
    cust = (
        ages.group_by("customer_id")
        .agg(
            n=pl.when(c.age >= 1).then(c.events).sum(),
            k=c.k.first(),
            n0=pl.when(c.age == 0).then(c.events).sum(),
            m=pl.when(in_window).then(c.net).sum(),
            e_l=pl.when(lookback).then(c.events).sum(),
            s_l=pl.when(lookback).then(c.sales).sum(),
            first_purchase=c.first.min(),
            last_purchase=c.last.max(),
        )
        .filter((c.n > 0) | (c.n0 > 0))  # CV7
        .with_columns(is_new=c.n == 0, k=c.k.fill_null(0))
    )
    sol = (~c.is_new & (c.e_l > 0) & (c.e_l == c.s_l)) if sales_only else pl.lit(False)
    return _cv_labels_polars(cust.with_columns(sol=sol)).collect()


def _cv_labels_polars(cust: Any) -> Any:
    """CV2 groups (0 SOL first), CV4 segments and pools, CV6 tiers; sorted by customer."""
    import polars as pl

    c = pl.col
    group = pl.when(c.sol).then(pl.lit(SOL)).when(c.is_new).then(pl.lit(NEW))
    group = group.when(c.k == 1).then(pl.lit(ACT)).when(c.k == 2).then(pl.lit(COLD))
    group = group.when(c.k <= 4).then(pl.lit(LOST4)).otherwise(pl.lit(LOST5))
    junior = c.cv_group.is_in([ACT, COLD]) & (c.n == 1)
    pool = pl.when(c.cv_group.is_in([ACT, COLD, LOST4]) & ~c.junior).then(c.cv_group)
    # CV6 with the exact share in integers: r < cut  <=>  g * den < num * N (cuts are x/100).
    g = (c.m.rank("min", descending=True) - 1).over("pool").cast(pl.Int64)
    size = pl.len().over("pool")
    tier = pl.lit(3)
    for t in (2, 1, 0):
        tier = pl.when(g * 100 < round(CUTS[t] * 100) * size).then(t).otherwise(tier)
    recency = pl.when(c.k == 1).then(pl.lit("ACT")).when(c.k == 2).then(pl.lit("COLD"))
    segment = pl.when(c.cv_group == SOL).then(recency.otherwise(pl.lit("LOST")))
    segment = segment.when(c.cv_group == NEW).then(pl.lit("NEW"))
    segment = segment.when(c.cv_group == LOST5).then(pl.lit("LOST"))
    segment = segment.when(c.junior).then(pl.lit("JUNIOR"))
    for grp, labels in TIER_LABELS.items():
        for t, label in enumerate(labels):
            segment = segment.when((c.pool == grp) & (c.tier == t)).then(pl.lit(label))
    return (
        cust.with_columns(cv_group=group)
        .with_columns(junior=junior)
        .with_columns(pool=pool)
        .with_columns(tier=tier)
        .select(
            "customer_id",
            "cv_group",
            cv_segment=segment,
            periods_since_last=c.k,
            purchases=pl.when(c.is_new).then(c.n0).otherwise(c.n),
            monetary=c.m / SCALE,
            first_purchase=c.first_purchase,
            last_purchase=c.last_purchase,
        )
        .sort("customer_id")
    )


def rfm_polars(data: Any, orders: bool, as_of: _dt.date = AS_OF) -> Any:
    """R1-R3 as one polars lazy query (``rfm_clv_contenders.rfm_polars`` on ``days``)."""
    import polars as pl

    c = pl.col

    def score(x: Any) -> Any:  # R2 in exact integers (see rfm_clv_contenders.rfm_polars)
        g = (x.rank("min", descending=True) - 1).cast(pl.Int64)
        return (rck.BINS - (rck.BINS * g) // pl.len()).cast(pl.Int8)

    segment = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    for name, r_lo, r_hi, f_lo, f_hi, m_lo, m_hi in rck.RULES:  # R3: first match wins
        segment = segment.when(
            c.r_score.is_between(r_lo, r_hi)
            & c.f_score.is_between(f_lo, f_hi)
            & c.m_score.is_between(m_lo, m_hi)
        ).then(pl.lit(name))
    out = (
        days_polars(data, orders, as_of)
        .group_by("customer_id")
        .agg(
            last=pl.when(c.events > 0).then(c.date).max(), frequency=c.events.sum(), net=c.net.sum()
        )
        .filter(c.frequency > 0)
        .with_columns(r_score=score(c.last), f_score=score(c.frequency), m_score=score(c.net))
        .select(
            "customer_id",
            recency_days=(pl.lit(as_of) - c.last).dt.total_days().cast(pl.Int32),
            frequency=c.frequency.cast(pl.Int64),
            monetary=c.net / SCALE,
            r_score=c.r_score,
            f_score=c.f_score,
            m_score=c.m_score,
            rfm_cell=pl.concat_str(c.r_score, c.f_score, c.m_score),
            rfm_segment=segment.otherwise(pl.lit(rck.OTHERS)),
        )
        .sort("customer_id")
    )
    return out.collect()


def clv_polars(data: Any, orders: bool, as_of: _dt.date = AS_OF) -> Any:
    """CLV1-CLV3 as one polars lazy query (``rfm_clv_contenders.clv_polars`` on ``days``)."""
    import polars as pl

    c = pl.col
    per_half = (
        days_polars(data, orders, as_of)
        .with_columns(half=rck.half_year(c.date.dt.year().cast(pl.Int32), c.date.dt.month()))
        .group_by("customer_id", "half")
        .agg(
            net=c.net.sum(),
            events=c.events.sum(),
            first=pl.when(c.events > 0).then(c.date).min(),
        )
    )
    cust = (
        per_half.group_by("customer_id")
        .agg(
            net=c.net.sum(),
            events=c.events.sum(),
            first=c.first.min(),
            periods=(c.events > 0).sum(),
            first_half=pl.when(c.events > 0).then(c.half).min(),
        )
        .filter(c.events > 0)
        .with_columns(aov=c.net / SCALE / c.events)
        .with_columns(tenure_years=(pl.lit(as_of) - c.first).dt.total_days() / rck.DAYS_PER_YEAR)
        .with_columns(purchases_per_year=c.events / pl.max_horizontal(c.tenure_years, 1.0))
        .with_columns(clv=c.aov * c.purchases_per_year * rck.LIFETIME_YEARS)
        .with_columns(
            loyalty=c.periods / (rck.last_half_year(as_of) - c.first_half + 1),
            g=(c.clv.rank("min", descending=True) - 1).cast(pl.Int64),
        )
    )
    value = pl.when(c.clv >= c.clv.median()).then(pl.lit("high")).otherwise(pl.lit("low"))
    loyal = pl.when(c.loyalty >= c.loyalty.median()).then(pl.lit("high")).otherwise(pl.lit("low"))
    num, den = rck.CUT_NUM, rck.CUT_DEN
    out = cust.select(
        "customer_id",
        "aov",
        "purchases_per_year",
        "tenure_years",
        lifetime_years=pl.lit(rck.LIFETIME_YEARS),
        clv=c.clv,
        clv_tier=pl.when(c.g * den[0] < num[0] * pl.len())
        .then(pl.lit("high"))
        .when(c.g * den[1] < num[1] * pl.len())
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low")),
        loyalty=c.loyalty,
        value_loyalty=pl.concat_str(value, pl.lit(" value / "), loyal, pl.lit(" loyalty")),
    ).sort("customer_id")
    return out.collect()


# ---------------------------------------------------------------------------
# DuckDB (SQL over a view ``tx`` of the input; all cores unless threads is given)
# ---------------------------------------------------------------------------
def days_sql(orders: bool, as_of: _dt.date = AS_OF) -> str:
    """The CTEs ending in ``days`` (customer_id, date, net, events)."""
    cols = ', "order"' if orders else ""
    head = f"""lines AS (
    -- I3: lines before as_of; I6: round() is half away from zero.
    SELECT customer_id, date, CAST(round(amount * {SCALE}) AS BIGINT) AS micros{cols}
    FROM tx WHERE date < DATE '{as_of.isoformat()}'
), day_net AS (
    SELECT customer_id, date, sum(micros)::BIGINT AS net FROM lines GROUP BY customer_id, date
)"""
    if not orders:
        return head + ", days AS (SELECT *, (net > 0)::BIGINT AS events FROM day_net)"
    return (
        head
        + """, orders AS (
    -- I2 order mode: a positive order is one event, on its earliest day before as_of.
    SELECT customer_id, min(date) AS date FROM lines
    GROUP BY customer_id, "order" HAVING sum(micros) > 0
), order_days AS (
    SELECT customer_id, date, count(*) AS events FROM orders GROUP BY customer_id, date
), days AS (
    SELECT d.customer_id, d.date, d.net, coalesce(o.events, 0)::BIGINT AS events
    FROM day_net d LEFT JOIN order_days o USING (customer_id, date)
)"""
    )


def cv_sql(orders: bool, sales_only: bool, as_of: _dt.date = AS_OF) -> str:
    """CV1-CV7 (+ CV5) over ``days``; ``cv_contenders.cv_sql`` with events counted."""
    p0 = current_period(as_of)
    months = ", ".join(str(m) for m in SALES_MONTHS)
    sol = f"WHEN c.n > 0 AND c.e_l > 0 AND c.e_l = c.s_l THEN '{SOL}' " if sales_only else ""
    return f"""
WITH {days_sql(orders, as_of)}, ages AS (
    SELECT customer_id,
           {p0} - fdiv(12 * year(date) + month(date) - 1 - {cvk.ANCHOR_MONTHS},
                       {cvk.PERIOD_MONTHS})::BIGINT AS age,
           sum(net)::BIGINT AS net,
           sum(events)::BIGINT AS events,
           coalesce(sum(events) FILTER (WHERE month(date) IN ({months})), 0)::BIGINT AS sales,
           min(date) FILTER (WHERE events > 0) AS first_event,
           max(date) FILTER (WHERE events > 0) AS last_event
    FROM days GROUP BY ALL
), cust AS (
    SELECT customer_id,
           coalesce(sum(events) FILTER (WHERE age >= 1), 0)::BIGINT AS n,
           coalesce(min(age) FILTER (WHERE age >= 1 AND events > 0), 0) AS k,
           coalesce(sum(events) FILTER (WHERE age = 0), 0)::BIGINT AS n0,
           coalesce(sum(events) FILTER (WHERE age BETWEEN 1 AND {SALES_LOOKBACK}), 0) AS e_l,
           coalesce(sum(sales) FILTER (WHERE age BETWEEN 1 AND {SALES_LOOKBACK}), 0) AS s_l,
           min(first_event) AS first_purchase,
           max(last_event) AS last_purchase
    FROM ages GROUP BY customer_id
    HAVING sum(events) > 0
), money AS (
    SELECT c.customer_id, sum(a.net)::BIGINT AS m
    FROM cust c JOIN ages a USING (customer_id)
    WHERE a.age BETWEEN c.k AND CASE WHEN c.n = 0 THEN 0 ELSE c.k + {MONETARY_PERIODS - 1} END
    GROUP BY c.customer_id
), grouped AS (
    SELECT c.*, coalesce(money.m, 0) AS m,
           CASE {sol}WHEN c.n = 0 THEN '{NEW}' WHEN c.k = 1 THEN '{ACT}'
                WHEN c.k = 2 THEN '{COLD}' WHEN c.k <= 4 THEN '{LOST4}' ELSE '{LOST5}' END
               AS cv_group
    FROM cust c LEFT JOIN money USING (customer_id)
), pooled AS (
    SELECT *, cv_group IN ('{ACT}', '{COLD}') AND n = 1 AS junior,
           CASE WHEN cv_group IN ('{ACT}', '{COLD}', '{LOST4}')
                     AND NOT (cv_group IN ('{ACT}', '{COLD}') AND n = 1)
                THEN cv_group END AS pool
    FROM grouped
), tiered AS (
    SELECT *, CASE WHEN pool IS NULL THEN NULL
                   ELSE (rank() OVER (PARTITION BY pool ORDER BY m DESC) - 1)
                        / count(*) OVER (PARTITION BY pool) END AS r
    FROM pooled
)
SELECT customer_id, cv_group,
       CASE WHEN cv_group = '{SOL}' THEN (CASE WHEN k = 1 THEN 'ACT' WHEN k = 2 THEN 'COLD'
                                              ELSE 'LOST' END)
            WHEN cv_group = '{NEW}' THEN 'NEW'
            WHEN cv_group = '{LOST5}' THEN 'LOST'
            WHEN junior THEN 'JUNIOR'
            ELSE (CASE WHEN pool = '{ACT}' THEN ['PLATINA', 'GOLD', 'SILVER', 'BRONZE']
                       ELSE ['L', 'M', 'S', 'XS'] END)
                 [CASE WHEN r < {CUTS[0]}::DOUBLE THEN 1 WHEN r < {CUTS[1]}::DOUBLE THEN 2
                       WHEN r < {CUTS[2]}::DOUBLE THEN 3 ELSE 4 END]
       END AS cv_segment,
       k AS periods_since_last,
       CASE WHEN cv_group = '{NEW}' THEN n0 ELSE n END AS purchases,
       m / {SCALE} AS monetary, first_purchase, last_purchase
FROM tiered ORDER BY customer_id
"""


def rfm_sql(orders: bool, as_of: _dt.date = AS_OF) -> str:
    """``rfm_clv_contenders.rfm_sql`` with the events counted from ``days``."""
    if not orders:
        return rck.rfm_sql(as_of)
    plain = rck.rfm_sql(as_of)
    cust = plain[plain.index(", scored AS (") :]
    return f"""
WITH {days_sql(orders, as_of)}, cust AS (
    SELECT customer_id,
           max(date) FILTER (WHERE events > 0) AS last,
           sum(events)::BIGINT AS frequency,
           sum(net)::BIGINT AS net
    FROM days GROUP BY customer_id HAVING sum(events) > 0
){cust}"""


def clv_sql(orders: bool, as_of: _dt.date = AS_OF) -> str:
    """``rfm_clv_contenders.clv_sql`` with the events counted from ``days``."""
    if not orders:
        return rck.clv_sql(as_of)
    plain = rck.clv_sql(as_of)
    rest = plain[plain.index(", cust AS (") :]
    return f"""
WITH {days_sql(orders, as_of)}, halves AS (
    SELECT customer_id, year(date) * 2 + (month(date) >= 7)::INTEGER AS half,
           sum(net)::BIGINT AS net, sum(events)::BIGINT AS events,
           min(date) FILTER (WHERE events > 0) AS first
    FROM days GROUP BY ALL
){rest}"""


def run_duckdb(sql: str, data: Any, orders: bool, threads: int | None = None) -> Any:
    """``sql`` over a view ``tx`` of ``data`` (Arrow table, pandas frame or Parquet path)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        if is_path(data):
            source = "read_parquet('" + str(data).replace("'", "''") + "')"
        else:
            con.register("src", data)
            source = "src"
        cols = ', "order"' if orders else ""
        con.execute(
            "CREATE VIEW tx AS SELECT customer_id, CAST(date AS DATE) AS date, amount"
            f"{cols} FROM {source}"
        )
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def duckdb_query(what: str, orders: bool, sales_only: bool) -> str:
    if what == "cv":
        return cvk.cv_sql() if not (orders or sales_only) else cv_sql(orders, sales_only)
    return rfm_sql(orders) if what == "rfm" else clv_sql(orders)


# ---------------------------------------------------------------------------
# pandas (CV only; single-threaded)
# ---------------------------------------------------------------------------
def _frame_pandas(data: Any, orders: bool) -> Any:
    import pandas as pd
    import pyarrow as pa

    cols = ["customer_id", "date", "amount", *([ORDER] if orders else [])]
    if is_path(data):
        return pd.read_parquet(data, columns=cols, to_pandas_kwargs={"date_as_object": False})
    if isinstance(data, pa.Table):
        return data.select(cols).to_pandas(date_as_object=False)
    return data[cols]


def days_pandas(data: Any, orders: bool, as_of: _dt.date = AS_OF) -> Any:
    """(customer_id, date, net, events) per customer-day before as_of."""
    import pandas as pd

    df = _frame_pandas(data, orders)
    df = df[df["date"] < pd.Timestamp(as_of)]
    df = df.assign(micros=cvk._micros_numpy(df["amount"].to_numpy()))
    keys = ["customer_id", "date"]
    days = df.groupby(keys, sort=False)["micros"].sum().reset_index(name="net")
    if not orders:
        return days.assign(events=(days["net"].to_numpy() > 0).astype("int64"))
    per_order = df.groupby(["customer_id", ORDER], sort=False).agg(
        total=("micros", "sum"), date=("date", "min")
    )
    positive = per_order[per_order["total"] > 0]
    events = positive.groupby(keys, sort=False).size().reset_index(name="events")
    days = days.merge(events, on=keys, how="left")
    return days.assign(events=days["events"].fillna(0).astype("int64"))


def cv_pandas(data: Any, orders: bool, sales_only: bool, as_of: _dt.date = AS_OF) -> Any:
    """CV1-CV7 (+ CV5) in pandas (``cv_contenders.cv_pandas`` on ``days``)."""
    import numpy as np
    import pandas as pd

    p0 = current_period(as_of)
    days = days_pandas(data, orders, as_of)
    months = days["date"].to_numpy().astype("datetime64[M]").astype(np.int64) + 1970 * 12
    days["age"] = p0 - (months - cvk.ANCHOR_MONTHS) // cvk.PERIOD_MONTHS
    days["event_day"] = days["date"].where(days["events"] > 0)
    days["sales"] = days["events"].where(np.isin(months % 12 + 1, SALES_MONTHS), 0)
    ages = (
        days.groupby(["customer_id", "age"], sort=False)
        .agg(
            net=("net", "sum"),
            events=("events", "sum"),
            sales=("sales", "sum"),
            first=("event_day", "min"),
            last=("event_day", "max"),
        )
        .reset_index()
    )
    age, events = ages["age"], ages["events"]
    ages["h_age"] = age.where((age >= 1) & (events > 0))
    ages["k"] = ages.groupby("customer_id", sort=False)["h_age"].transform("min")
    lo, hi = ages["k"].fillna(0), (ages["k"] + MONETARY_PERIODS - 1).fillna(0)
    lookback = (age >= 1) & (age <= SALES_LOOKBACK)
    ages = ages.assign(
        m=ages["net"].where((age >= lo) & (age <= hi), 0),
        h_events=events.where(age >= 1, 0),
        p0_events=events.where(age == 0, 0),
        e_l=events.where(lookback, 0),
        s_l=ages["sales"].where(lookback, 0),
    )
    cust = ages.groupby("customer_id", sort=True).agg(
        n=("h_events", "sum"),
        k=("k", "min"),
        n0=("p0_events", "sum"),
        m=("m", "sum"),
        e_l=("e_l", "sum"),
        s_l=("s_l", "sum"),
        first_purchase=("first", "min"),
        last_purchase=("last", "max"),
    )
    cust = cust[(cust["n"] > 0) | (cust["n0"] > 0)]
    return _cv_labels_pandas(cust, sales_only, pd)


def _cv_labels_pandas(cust: Any, sales_only: bool, pd: Any) -> Any:
    """CV2 (0 SOL first), CV4, CV6 from the per-customer table."""
    import numpy as np

    n, m = cust["n"].to_numpy(), cust["m"].to_numpy()
    is_new = n == 0
    k = cust["k"].fillna(0).to_numpy().astype(np.int64)
    e_l, s_l = cust["e_l"].to_numpy(), cust["s_l"].to_numpy()
    sol = (~is_new & (e_l > 0) & (e_l == s_l)) if sales_only else np.zeros(len(n), bool)
    group = np.select(
        [sol, is_new, k == 1, k == 2, k <= 4], [SOL, NEW, ACT, COLD, LOST4], default=LOST5
    ).astype(object)
    junior = ((group == ACT) | (group == COLD)) & (n == 1)
    pool = np.where(np.isin(group, [ACT, COLD, LOST4]) & ~junior, group, None)
    by_pool = pd.DataFrame({"pool": pool, "m": m}).groupby("pool", sort=False)["m"]
    greater = by_pool.rank(method="min", ascending=False).to_numpy() - 1
    r = greater / by_pool.transform("size").to_numpy()
    tier = np.select([r < CUTS[0], r < CUTS[1], r < CUTS[2]], [0, 1, 2], default=3)
    recency = np.select([k == 1, k == 2], ["ACT", "COLD"], default="LOST")
    segment = np.select(
        [group == SOL, group == NEW, group == LOST5, junior]
        + [(pool == g) & (tier == t) for g in TIER_LABELS for t in range(4)],
        [recency, "NEW", "LOST", "JUNIOR"]
        + [label for g in TIER_LABELS for label in TIER_LABELS[g]],
        default="?",
    )
    return pd.DataFrame(
        {
            "customer_id": cust.index.to_numpy(),
            "cv_group": group,
            "cv_segment": segment,
            "periods_since_last": k,
            "purchases": np.where(is_new, cust["n0"].to_numpy(), n),
            "monetary": m / SCALE,
            "first_purchase": cust["first_purchase"].to_numpy(),
            "last_purchase": cust["last_purchase"].to_numpy(),
        }
    )


# ---------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------
def supported(what: str, variant: str, contender: str) -> str | None:
    """None when ``contender`` implements (what, variant), else why not."""
    if variant == "sales_only" and what != "cv":
        return "sales_only (CV5) is an option of customer_value only"
    if contender == "pandas" and what != "cv":
        return "no pandas RFM/CLV contender"
    return None


def run(what: str, variant: str, contender: str, data: Any, threads: int | None) -> Any:
    """One contender's whole call on ``data`` (Arrow table, pandas frame or Parquet path)."""
    orders, sales_only = variant == "orders", variant == "sales_only"
    if contender == "polars":  # threads: POLARS_MAX_THREADS, set before polars loads
        if what == "cv":
            return cv_polars(data, orders, sales_only)
        return (rfm_polars if what == "rfm" else clv_polars)(data, orders)
    if contender == "duckdb":
        return run_duckdb(duckdb_query(what, orders, sales_only), data, orders, threads)
    if contender == "pandas" and what == "cv":
        return cv_pandas(data, orders, sales_only)
    raise ValueError(f"no contender {contender!r} for {what} {variant}")
