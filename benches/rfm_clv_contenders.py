"""RFM and the simple CLV written the way an expert would in polars and DuckDB.

These are the contenders of ``bench_rfm_clv.py``. Each one computes exactly the rules of
``docs/rules.md`` sections 0, 3 and 4 (rule ids cited below) for the configuration the
benchmark uses, and must give the same result as

* ``custseg.rfm(table, as_of=AS_OF)``: 5 bins, monetary = net sum, the default rules table;
* ``custseg.clv(table, as_of=AS_OF, lifetime_years=3.0)``: semiannual periods (January and
  July), tiers 0.2 / 0.8, value and loyalty thresholds at the medians.

Every contender takes the input as a pyarrow Table (``customer_id`` int64 or string, ``date``
date32, ``amount`` float64) and returns a frame of its own family, sorted by customer, with
the columns of ``RFM_COLUMNS`` or ``CLV_COLUMNS``. Labels are plain strings (custseg returns
ordered categoricals). Money is summed exactly as integer millionths (I6), as in
``cv_contenders.py``.
"""

from __future__ import annotations

import datetime as _dt
from fractions import Fraction
from typing import Any

import pyarrow as pa
from cv_contenders import AS_OF, SCALE  # noqa: F401  (AS_OF is re-exported for the benchmark)

BINS = 5  # R2
LIFETIME_YEARS = 3.0  # CLV1 (given: the benchmark does not time the churn estimate)
TIERS = (0.2, 0.8)  # CLV2
# CLV2 cuts as fractions num / den (1/5, 4/5), for exact integer comparisons.
CUT_NUM, CUT_DEN = zip(
    *((f.numerator, f.denominator) for f in (Fraction(t).limit_denominator() for t in TIERS)),
    strict=True,
)
DAYS_PER_YEAR = 365.25  # CLV1
# R3: the default rules table (segment, r_lo, r_hi, f_lo, f_hi, m_lo, m_hi), first match wins.
RULES: tuple[tuple[str, int, int, int, int, int, int], ...] = (
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
RFM_COLUMNS = [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_cell",
    "rfm_segment",
]
CLV_COLUMNS = [
    "customer_id",
    "aov",
    "purchases_per_year",
    "tenure_years",
    "lifetime_years",
    "clv",
    "clv_tier",
    "loyalty",
    "value_loyalty",
]


def half_year(year: Any, month: Any) -> Any:
    """CLV3 / P1: index of the half-year (January-June, July-December) holding a day."""
    return year * 2 + (month >= 7)


def last_half_year(as_of: _dt.date) -> int:
    """CLV3: index of the period of the last day before as_of."""
    day = as_of - _dt.timedelta(days=1)
    return half_year(day.year, day.month)


# ---------------------------------------------------------------------------
# polars (one lazy query each; all cores unless POLARS_MAX_THREADS is set)
# ---------------------------------------------------------------------------
def _days_polars(table: pa.Table, as_of: _dt.date) -> Any:
    """I3 + I6 + I2: one exact net total (millionths) per (customer, day) before as_of."""
    import polars as pl

    c = pl.col
    return (
        pl.from_arrow(table.select(["customer_id", "date", "amount"]))
        .lazy()
        .filter(c.date < as_of)
        .with_columns(
            micros=(c.amount * float(SCALE)).round(0, mode="half_away_from_zero").cast(pl.Int64)
        )
        .group_by("customer_id", "date")
        .agg(net=c.micros.sum())
    )


def rfm_polars(table: pa.Table, as_of: _dt.date = AS_OF) -> Any:
    """R1-R3 as one polars lazy query; returns a polars DataFrame."""
    import polars as pl

    c = pl.col

    def score(x: Any) -> Any:
        # R2: g = customers strictly better = rank "min" descending - 1; B - floor(B * (g / N)),
        # as the exact integer (B * g) // N: polars divides by a scalar such as pl.len() by
        # multiplying with its reciprocal, which is not exact (5 * (7008 / 17520) gives
        # 1.9999999999999998, floor 1 instead of 2). The two agree for any N below 2**50.
        g = (x.rank("min", descending=True) - 1).cast(pl.Int64)
        return (BINS - (BINS * g) // pl.len()).cast(pl.Int8)

    segment = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    for name, r_lo, r_hi, f_lo, f_hi, m_lo, m_hi in RULES:  # R3: first match wins
        segment = segment.when(
            c.r_score.is_between(r_lo, r_hi)
            & c.f_score.is_between(f_lo, f_hi)
            & c.m_score.is_between(m_lo, m_hi)
        ).then(pl.lit(name))
    event_day = pl.when(c.net > 0).then(c.date)  # I2: a positive day is a purchase event
    out = (
        _days_polars(table, as_of)
        .group_by("customer_id")
        .agg(last=event_day.max(), frequency=(c.net > 0).sum(), net=c.net.sum())
        .filter(c.frequency > 0)  # customers with a purchase event before as_of
        .with_columns(r_score=score(c.last), f_score=score(c.frequency), m_score=score(c.net))
        .select(
            "customer_id",
            recency_days=(pl.lit(as_of) - c.last).dt.total_days().cast(pl.Int32),  # R1
            frequency=c.frequency.cast(pl.Int64),
            monetary=c.net / SCALE,  # R1: net sum of all amounts before as_of
            r_score=c.r_score,
            f_score=c.f_score,
            m_score=c.m_score,
            rfm_cell=pl.concat_str(c.r_score, c.f_score, c.m_score),  # R3
            rfm_segment=segment.otherwise(pl.lit(OTHERS)),
        )
        .sort("customer_id")
    )
    return out.collect()


def clv_polars(table: pa.Table, as_of: _dt.date = AS_OF) -> Any:
    """CLV1-CLV3 as one polars lazy query; returns a polars DataFrame."""
    import polars as pl

    c = pl.col
    event = c.net > 0  # I2
    per_half = (
        _days_polars(table, as_of)
        .with_columns(half=half_year(c.date.dt.year().cast(pl.Int32), c.date.dt.month()))
        .group_by("customer_id", "half")
        .agg(net=c.net.sum(), events=event.sum(), first=pl.when(event).then(c.date).min())
    )
    cust = (
        per_half.group_by("customer_id")
        .agg(
            net=c.net.sum(),
            events=c.events.sum(),
            first=c.first.min(),
            periods=(c.events > 0).sum(),  # CLV3: periods holding a purchase event
            first_half=pl.when(c.events > 0).then(c.half).min(),
        )
        .filter(c.events > 0)
        .with_columns(aov=c.net / SCALE / c.events)  # CLV1
        .with_columns(tenure_years=(pl.lit(as_of) - c.first).dt.total_days() / DAYS_PER_YEAR)
        .with_columns(purchases_per_year=c.events / pl.max_horizontal(c.tenure_years, 1.0))
        .with_columns(clv=c.aov * c.purchases_per_year * LIFETIME_YEARS)
        .with_columns(
            loyalty=c.periods / (last_half_year(as_of) - c.first_half + 1),
            g=(c.clv.rank("min", descending=True) - 1).cast(pl.Int64),  # CLV2
        )
    )
    value = pl.when(c.clv >= c.clv.median()).then(pl.lit("high")).otherwise(pl.lit("low"))
    loyal = pl.when(c.loyalty >= c.loyalty.median()).then(pl.lit("high")).otherwise(pl.lit("low"))
    out = cust.select(
        "customer_id",
        "aov",
        "purchases_per_year",
        "tenure_years",
        lifetime_years=pl.lit(LIFETIME_YEARS),
        clv=c.clv,
        # CLV2: r = g / N < cut, compared exactly in integers (see rfm_polars on g / pl.len()).
        clv_tier=pl.when(c.g * CUT_DEN[0] < CUT_NUM[0] * pl.len())
        .then(pl.lit("high"))
        .when(c.g * CUT_DEN[1] < CUT_NUM[1] * pl.len())
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low")),
        loyalty=c.loyalty,
        value_loyalty=pl.concat_str(value, pl.lit(" value / "), loyal, pl.lit(" loyalty")),
    ).sort("customer_id")
    return out.collect()


# ---------------------------------------------------------------------------
# DuckDB (one SQL query each over the Arrow table; all cores unless threads is given)
# ---------------------------------------------------------------------------
def _days_sql(as_of: _dt.date) -> str:
    return f"""days AS (
    -- I3: days before as_of; I6: round() is half away from zero; I2: net per customer-day.
    SELECT customer_id, date, sum(CAST(round(amount * {SCALE}) AS BIGINT))::BIGINT AS net
    FROM tx
    WHERE date < DATE '{as_of.isoformat()}'
    GROUP BY customer_id, date
)"""


def rfm_sql(as_of: _dt.date = AS_OF) -> str:
    """The DuckDB RFM query over a table (or Arrow table) named ``tx``."""

    def score(order: str) -> str:
        # R2: rank() - 1 = customers strictly better; B - floor(B * (g / N)), / is a double.
        return (
            f"({BINS} - floor({BINS} * ((rank() OVER (ORDER BY {order}) - 1)"
            f" / count(*) OVER ())))::TINYINT"
        )

    rules = "\n".join(
        f"            WHEN r_score BETWEEN {r_lo} AND {r_hi} AND f_score BETWEEN {f_lo} AND {f_hi}"
        f" AND m_score BETWEEN {m_lo} AND {m_hi} THEN '{name.replace(chr(39), chr(39) * 2)}'"
        for name, r_lo, r_hi, f_lo, f_hi, m_lo, m_hi in RULES
    )
    return f"""
WITH {_days_sql(as_of)}, cust AS (
    -- R1: last purchase event, events, net sum of all amounts before as_of.
    SELECT customer_id,
           max(date) FILTER (WHERE net > 0) AS last,
           count(*) FILTER (WHERE net > 0) AS frequency,
           sum(net)::BIGINT AS net
    FROM days
    GROUP BY customer_id
    HAVING count(*) FILTER (WHERE net > 0) > 0
), scored AS (
    SELECT *, {score("last DESC")} AS r_score, {score("frequency DESC")} AS f_score,
           {score("net DESC")} AS m_score
    FROM cust
)
SELECT customer_id,
       (DATE '{as_of.isoformat()}' - last)::INTEGER AS recency_days,
       frequency,
       net / {SCALE} AS monetary,
       r_score, f_score, m_score,
       r_score::VARCHAR || f_score::VARCHAR || m_score::VARCHAR AS rfm_cell,  -- R3
       CASE
{rules}
            ELSE '{OTHERS}'
       END AS rfm_segment
FROM scored
ORDER BY customer_id
"""


def clv_sql(as_of: _dt.date = AS_OF) -> str:
    """The DuckDB CLV query over a table (or Arrow table) named ``tx``."""
    return f"""
WITH {_days_sql(as_of)}, halves AS (
    -- CLV3: per (customer, half-year): money, events, first event day.
    SELECT customer_id, year(date) * 2 + (month(date) >= 7)::INTEGER AS half,
           sum(net)::BIGINT AS net,
           count(*) FILTER (WHERE net > 0) AS events,
           min(date) FILTER (WHERE net > 0) AS first
    FROM days
    GROUP BY ALL
), cust AS (
    SELECT customer_id, sum(net)::BIGINT AS net, sum(events)::BIGINT AS events,
           min(first) AS first,
           count(*) FILTER (WHERE events > 0) AS periods,
           min(half) FILTER (WHERE events > 0) AS first_half
    FROM halves
    GROUP BY customer_id
    HAVING sum(events) > 0
), clv1 AS (
    -- CLV1: aov, tenure, purchases per year (tenure at least one year), clv.
    SELECT customer_id, events, periods, first_half,
           net / {SCALE} / events AS aov,
           (DATE '{as_of.isoformat()}' - first) / {DAYS_PER_YEAR}::DOUBLE AS tenure_years
    FROM cust
), clv2 AS (
    SELECT *, events / greatest(tenure_years, 1.0::DOUBLE) AS purchases_per_year FROM clv1
), clv3 AS (
    SELECT *, aov * purchases_per_year * {LIFETIME_YEARS}::DOUBLE AS clv,
           periods / ({last_half_year(as_of)} - first_half + 1) AS loyalty
    FROM clv2
), ranked AS (
    -- CLV2: r = customers with a strictly higher clv / N; CLV3: medians.
    SELECT *, (rank() OVER (ORDER BY clv DESC) - 1) / count(*) OVER () AS r,
           median(clv) OVER () AS clv_median, median(loyalty) OVER () AS loyalty_median
    FROM clv3
)
SELECT customer_id, aov, purchases_per_year, tenure_years,
       {LIFETIME_YEARS}::DOUBLE AS lifetime_years, clv,
       CASE WHEN r < {TIERS[0]}::DOUBLE THEN 'high' WHEN r < {TIERS[1]}::DOUBLE THEN 'medium'
            ELSE 'low' END
           AS clv_tier,
       loyalty,
       CASE WHEN clv >= clv_median THEN 'high' ELSE 'low' END || ' value / '
           || CASE WHEN loyalty >= loyalty_median THEN 'high' ELSE 'low' END || ' loyalty'
           AS value_loyalty
FROM ranked
ORDER BY customer_id
"""


def _duckdb(sql: str, table: pa.Table, threads: int | None) -> pa.Table:
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # it would print to the terminal
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        con.register("tx", table.select(["customer_id", "date", "amount"]))
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def rfm_duckdb(table: pa.Table, as_of: _dt.date = AS_OF, threads: int | None = None) -> pa.Table:
    """R1-R3 as one DuckDB SQL query over the Arrow table; returns a pyarrow Table."""
    return _duckdb(rfm_sql(as_of), table, threads)


def clv_duckdb(table: pa.Table, as_of: _dt.date = AS_OF, threads: int | None = None) -> pa.Table:
    """CLV1-CLV3 as one DuckDB SQL query over the Arrow table; returns a pyarrow Table."""
    return _duckdb(clv_sql(as_of), table, threads)
