"""Customer Value, RFM and the simple CLV written in PySpark as an expert would (issue 16).

The rules of ``docs/rules.md`` (rule ids cited below) for the defaults of the single-machine
calls, as PySpark DataFrame code (window functions, group-bys, no Python UDFs, nothing
approximate); each function returns a lazy PySpark DataFrame with the columns of

* :func:`customer_value`: ``custseg.customer_value(tx, as_of=...)``: semiannual periods from
  January (P1), monetary window of 2 periods (CV3), cuts 0.05 / 0.25 / 0.50 (CV6), no
  sales-only (CV5);
* :func:`rfm`: ``custseg.rfm(tx, as_of=...)``: 5 bins (R2), monetary = net sum (R1), the
  default rules table (R3);
* :func:`clv`: ``custseg.clv(tx, as_of=...)``: lifetime 1 / yearly churn unless given
  (CLV1), tiers 0.2 / 0.8 (CLV2), value, loyalty (semiannual periods) and tenure thresholds
  at the medians (CLV3, CLV3a).

Input: a DataFrame with a customer column (long, int or string), a date column (DateType)
and an amount column (double; integer columns are cast to double, exactly). ``as_of`` (a
``datetime.date`` or an ISO ``YYYY-MM-DD`` string) is required and exclusive (I3). The input
is taken as valid (I4 is custseg's job: a null amount would be skipped by ``sum`` here, a NaN
amount fails the cast to long under ANSI mode). Labels are plain strings (custseg returns
ordered categoricals); the rows come in no particular order (sort by the customer column for
custseg's order: a global sort is a job of its own).

Numbers are bit for bit those of custseg:

* I6: each amount becomes ``round(amount * 1e6)`` as a long: the double product, rounded
  half away from zero (Spark's ``round(x, 0)`` on a double is HALF_UP, away from zero, as
  custseg rounds; tests/test_spark_sql_rules.py checks exact halves of both signs and
  random amounts); sums are long sums (ANSI mode, Spark 4's default, raises on overflow
  as custseg does); a sum shown as money is ``micros / 1e6`` (one double division,
  custseg's ``money::to_f64``);
* CV6 / R2 / CLV2: r = (rank() - 1) / N, a double division of two integers compared with
  ``<`` to the cut as a double literal (``F.lit(0.05)``, never a decimal literal);
  R2's score is ``B - least(floor(B * r), B - 1)`` as in ``src/rfm.rs``;
* CLV1: ``aov = (net / 1e6) / events``, ``tenure_years = days / 365.25``,
  ``purchases_per_year = events / greatest(tenure_years, 1.0)``,
  ``clv = aov * purchases_per_year * lifetime_years`` (left to right), the default lifetime
  ``base / churned`` (two counts, one division), loyalty = periods / span;
* CLV3, CLV3a: the midpoint median is ``(a + b) / 2`` of the two middle values, as custseg
  computes it (``src/clv.rs``), with a and b picked exactly by ``percentile_disc(0.5)`` in
  ascending and in descending order (for an odd count both are the middle value, and
  ``(a + a) / 2 == a``). Spark's ``median`` / ``percentile(x, 0.5)`` is not used: it
  interpolates as ``a + 0.5 * (b - a)``, which differs from ``(a + b) / 2`` in the last bit
  for about half of all pairs (measured on Spark 4.3), and a customer's value equal to a
  threshold off by one bit would change quadrant.

Plan (the shuffles): the rows before ``as_of`` are hash-partitioned by customer once
(``repartition``); every later group-by keyed by the customer and something else (day,
period) and every window partitioned by the customer is satisfied by that partitioning, so
the per-customer work needs no further exchange. The tier pools (CV6) and the RFM / CLV
ranks are rank() windows (ORDER BY the value, descending): rank() - 1 is exactly the
number of members strictly greater, ties share it. RFM and CLV rank over all customers,
so those windows run in one partition (Spark warns "No Partition Defined for Window
operation"); the CV pools are partitioned by pool.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

# ---------------------------------------------------------------------------
# The configuration (custseg's defaults) and the labels
# ---------------------------------------------------------------------------
SCALE = 1_000_000  # I6: millionths
START_MONTH = 1  # P1: semiannual from January (anchor day 1): January-June, July-December
MONETARY_PERIODS = 2  # CV3: ages k .. k + 1
CUTS = (0.05, 0.25, 0.50)  # CV6
BINS = 5  # R2
CLV_CUTS = (0.2, 0.8)  # CLV2
DAYS_PER_YEAR = 365.25  # CLV1
CHURN_DAYS = (730, 365)  # CLV1: the yearly churn compares [as_of-730, as_of-365) and after

NEW, ACT, COLD, LOST4, LOST5 = "1 NEW", "2 ACT", "3 COLD", "4 LOST", "5 LOST"  # CV2
TIER_LABELS = {  # CV4: the tiers of each pool, first tier first
    ACT: ("PLATINA", "GOLD", "SILVER", "BRONZE"),
    COLD: ("L", "M", "S", "XS"),
    LOST4: ("L", "M", "S", "XS"),
}
# R3: the default rules table (segment, r_lo, r_hi, f_lo, f_hi, m_lo, m_hi); first match wins.
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
CLV_TIERS = ("high", "medium", "low")  # CLV2

# The output columns after the customer column (custseg's, in its order).
CV_COLUMNS = (
    "cv_group",
    "cv_segment",
    "periods_since_last",
    "purchases",
    "monetary",
    "first_purchase",
    "last_purchase",
)
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

_C = "_customer"  # the customer column inside the plans (renamed back at the end)


def as_day(as_of: Any) -> _dt.date:
    """I3: ``as_of`` as a calendar day (a date, a datetime on its day, or ISO text)."""
    if isinstance(as_of, _dt.datetime):
        return as_of.date()
    if isinstance(as_of, _dt.date):
        return as_of
    if isinstance(as_of, str):
        return _dt.date.fromisoformat(as_of[:10])
    raise TypeError(f"as_of must be a date or an ISO date string, got {as_of!r}")


def period_of(day: _dt.date) -> int:
    """P1: index of the semiannual period holding a day (2 per year; anchor January 1)."""
    months = 12 * day.year + day.month - START_MONTH
    return months // 6


def _period(day: Any) -> Any:
    """P1 as a column: ``(12 * year + month - START_MONTH) div 6`` (never negative here)."""
    from pyspark.sql import functions as F

    return F.floor((F.year(day) * 12 + F.month(day) - START_MONTH) / F.lit(6)).cast("int")


def _days(sdf: Any, customer: str, date: str, amount: str, as_of: _dt.date) -> Any:
    """I3 + I6 + I2: the net total (millionths) of every (customer, day) before ``as_of``,
    hash-partitioned by customer (the one shuffle of the per-customer work)."""
    from pyspark.sql import functions as F

    micros = F.round(F.col(amount).cast("double") * F.lit(float(SCALE))).cast("long")  # I6
    return (
        sdf.where(F.col(date) < F.lit(as_of))  # I3 (pushed into the Parquet scan)
        .select(F.col(customer).alias(_C), F.col(date).alias("day"), micros.alias("micros"))
        .repartition(_C)
        .groupBy(_C, "day")
        .agg(F.sum("micros").alias("net"))  # I2: a day with net > 0 is a purchase event
    )


def _strictly_greater(value: str, pool: Any = None) -> Any:
    """CV6 / R2 / CLV2: the members of the pool (all rows when ``pool`` is None) with a
    strictly greater ``value``: rank() - 1 over the value, descending (ties share it)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.orderBy(F.col(value).desc()) if pool is None else Window.partitionBy(pool)
    if pool is not None:
        w = w.orderBy(F.col(value).desc())
    return F.rank().over(w) - 1


def _pool_size(pool: Any = None) -> Any:
    """N of CV6 / R2 / CLV2: the rows of the pool (all rows when ``pool`` is None)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    return F.count(F.lit(1)).over(
        Window.partitionBy() if pool is None else Window.partitionBy(pool)
    )


def _median(value: str) -> Any:
    """CLV3: the midpoint median of a column over all rows, ``(a + b) / 2`` of the lower and
    upper middle values (each picked exactly by ``percentile_disc``, no interpolation)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    everyone = Window.partitionBy()
    lo = F.expr(f"percentile_disc(0.5) WITHIN GROUP (ORDER BY `{value}`)").over(everyone)
    hi = F.expr(f"percentile_disc(0.5) WITHIN GROUP (ORDER BY `{value}` DESC)").over(everyone)
    return (lo + hi) / F.lit(2.0)


# ---------------------------------------------------------------------------
# Customer Value (CV1-CV7)
# ---------------------------------------------------------------------------
def customer_value(
    sdf: Any,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    as_of: Any,
) -> Any:
    """CV1-CV7 with custseg's defaults; the columns of ``custseg.customer_value``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    c = F.col
    day = as_day(as_of)
    p0 = period_of(day)  # P2: the current period
    event = c("net") > 0  # I2
    # P1/P2: per (customer, age): money, purchase events, first and last event day.
    ages = (
        _days(sdf, customer, date, amount, day)
        .withColumn("age", F.lit(p0) - _period(c("day")))
        .groupBy(_C, "age")
        .agg(
            F.sum("net").alias("net"),
            F.count_if(event).alias("events"),
            F.min(F.when(event, c("day"))).alias("first"),
            F.max(F.when(event, c("day"))).alias("last"),
        )
        # CV1/P3: H = the events of age >= 1; k = their smallest age, on every age row of
        # the customer (a window over the customer's partition: no join, no exchange).
        .withColumn(
            "k",
            F.min(F.when((c("age") >= 1) & (c("events") > 0), c("age"))).over(
                Window.partitionBy(_C)
            ),
        )
    )
    # CV3: m = the money of ages k .. k+1; for NEW (k null: H empty) the money of P0.
    lo = F.coalesce(c("k"), F.lit(0))
    hi = F.coalesce(c("k") + (MONETARY_PERIODS - 1), F.lit(0))
    cust = (
        ages.groupBy(_C)
        .agg(
            F.sum(F.when(c("age") >= 1, c("events")).otherwise(0)).alias("n"),  # n = |H|
            F.sum(F.when(c("age") == 0, c("events")).otherwise(0)).alias("n0"),  # P0 events
            F.coalesce(F.min("k"), F.lit(0)).alias("k"),  # CV1: 0 when H is empty
            F.sum(F.when(c("age").between(lo, hi), c("net")).otherwise(0)).alias("m"),
            F.min("first").alias("first_purchase"),
            F.max("last").alias("last_purchase"),
        )
        # CV7: customers without a purchase event before as_of are not in the result.
        .where((c("n") > 0) | (c("n0") > 0))
    )
    # CV2: the group from k; NEW when H is empty (and there are events in P0).
    group = (
        F.when(c("n") == 0, F.lit(NEW))
        .when(c("k") == 1, F.lit(ACT))
        .when(c("k") == 2, F.lit(COLD))
        .when(c("k") <= 4, F.lit(LOST4))
        .otherwise(F.lit(LOST5))
    )
    # CV4: JUNIOR = ACT or COLD with n = 1; the pools: ACT and COLD with n >= 2, all 4 LOST.
    junior = c("cv_group").isin(ACT, COLD) & (c("n") == 1)
    pool = F.when(c("cv_group").isin(ACT, COLD, LOST4) & ~junior, c("cv_group"))
    # CV6: r = (pool members with m strictly greater) / N, compared with < to each cut.
    r = _strictly_greater("m", "pool") / _pool_size("pool")
    tier = (
        F.when(r < F.lit(CUTS[0]), 0)
        .when(r < F.lit(CUTS[1]), 1)
        .when(r < F.lit(CUTS[2]), 2)
        .otherwise(3)
    )
    segment = F.when(c("cv_group") == NEW, F.lit("NEW"))
    segment = segment.when(c("cv_group") == LOST5, F.lit("LOST"))
    segment = segment.when(c("pool").isNull(), F.lit("JUNIOR"))
    for g, labels in TIER_LABELS.items():
        for t, label in enumerate(labels):
            segment = segment.when((c("pool") == g) & (c("tier") == t), F.lit(label))
    return (
        cust.withColumn("cv_group", group)
        .withColumn("pool", pool)
        .withColumn("tier", F.when(c("pool").isNotNull(), tier))
        .select(
            c(_C).alias(customer),
            c("cv_group"),
            segment.alias("cv_segment"),
            c("k").cast("int").alias("periods_since_last"),
            F.when(c("n") == 0, c("n0")).otherwise(c("n")).alias("purchases"),  # CV7
            (c("m") / F.lit(float(SCALE))).alias("monetary"),  # I6: exact sum as a float
            c("first_purchase"),
            c("last_purchase"),
        )
    )


# ---------------------------------------------------------------------------
# RFM (R1-R3)
# ---------------------------------------------------------------------------
def _score(value: str) -> Any:
    """R2: B - floor(B * r), r = (customers strictly better) / N, at most B - 1 below B."""
    from pyspark.sql import functions as F

    r = _strictly_greater(value) / _pool_size()
    return (F.lit(BINS) - F.least(F.floor(F.lit(float(BINS)) * r), F.lit(BINS - 1))).cast("tinyint")


def rfm(
    sdf: Any,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    as_of: Any,
) -> Any:
    """R1-R3 with custseg's defaults; the columns of ``custseg.rfm``."""
    from pyspark.sql import functions as F

    c = F.col
    day = as_day(as_of)
    event = c("net") > 0  # I2
    segment = F.when(F.lit(False), F.lit(None).cast("string"))
    for name, r_lo, r_hi, f_lo, f_hi, m_lo, m_hi in RULES:  # R3: first match wins
        segment = segment.when(
            c("r_score").between(r_lo, r_hi)
            & c("f_score").between(f_lo, f_hi)
            & c("m_score").between(m_lo, m_hi),
            F.lit(name),
        )
    return (
        _days(sdf, customer, date, amount, day)
        .groupBy(_C)
        .agg(
            F.max(F.when(event, c("day"))).alias("last"),  # R1: the last purchase day
            F.count_if(event).alias("frequency"),  # R1: purchase events
            F.sum("net").alias("net"),  # R1: every amount before as_of
        )
        .where(c("frequency") > 0)  # customers with a purchase event (Decisions)
        # R2: a later last purchase, more events, more money are better.
        .withColumn("r_score", _score("last"))
        .withColumn("f_score", _score("frequency"))
        .withColumn("m_score", _score("net"))
        .select(
            c(_C).alias(customer),
            F.datediff(F.lit(day), c("last")).alias("recency_days"),
            c("frequency"),
            (c("net") / F.lit(float(SCALE))).alias("monetary"),
            c("r_score"),
            c("f_score"),
            c("m_score"),
            F.concat(  # R3: the three digits
                c("r_score").cast("string"),
                c("f_score").cast("string"),
                c("m_score").cast("string"),
            ).alias("rfm_cell"),
            segment.otherwise(F.lit(OTHERS)).alias("rfm_segment"),
        )
    )


# ---------------------------------------------------------------------------
# The simple CLV (CLV1-CLV3a)
# ---------------------------------------------------------------------------
def clv(
    sdf: Any,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    as_of: Any,
    lifetime_years: float | None = None,
) -> Any:
    """CLV1-CLV3a with custseg's defaults; the columns of ``custseg.clv``. Without
    ``lifetime_years`` the lifetime is 1 / yearly churn (base / churned); when that cannot be
    computed the query fails with a message that asks for it (``raise_error``), as custseg
    raises a ConfigError."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    c = F.col
    day = as_day(as_of)
    event = c("net") > 0  # I2
    all_rows = Window.partitionBy()
    w1 = (c("day") >= F.lit(day - _dt.timedelta(days=CHURN_DAYS[0]))) & (
        c("day") < F.lit(day - _dt.timedelta(days=CHURN_DAYS[1]))
    )
    w2 = c("day") >= F.lit(day - _dt.timedelta(days=CHURN_DAYS[1]))
    # Per (customer, period): money, events, first event day, events in the churn windows.
    periods = (
        _days(sdf, customer, date, amount, day)
        .withColumn("period", _period(c("day")))
        .groupBy(_C, "period")
        .agg(
            F.sum("net").alias("net"),
            F.count_if(event).alias("events"),
            F.min(F.when(event, c("day"))).alias("first"),
            F.max(event & w1).alias("w1"),
            F.max(event & w2).alias("w2"),
        )
    )
    cust = (
        periods.groupBy(_C)
        .agg(
            F.sum("net").alias("net"),
            F.sum("events").alias("events"),
            F.min("first").alias("first"),
            F.count_if(c("events") > 0).alias("periods"),  # CLV3: periods with an event
            F.min(F.when(c("events") > 0, c("period"))).alias("first_period"),
            F.max("w1").alias("w1"),
            F.max("w2").alias("w2"),
        )
        .where(c("events") > 0)  # customers with a purchase event (Decisions)
    )
    if lifetime_years is None:
        # CLV1: 1 / yearly churn = base / churned over all customers.
        base = F.count_if(c("w1")).over(all_rows)
        churned = F.count_if(c("w1") & ~c("w2")).over(all_rows)
        why = (
            "the default lifetime (1 / yearly churn) cannot be computed: no customer bought "
            "between 730 and 366 days before as_of, or every one of them bought again in the "
            "last 365 days (churn 0); pass lifetime_years (rule CLV1)"
        )
        lifetime = F.when((base == 0) | (churned == 0), F.raise_error(why))
        lifetime = lifetime.otherwise(base / churned)
    else:
        lifetime = F.lit(float(lifetime_years))
    span = F.lit(period_of(day - _dt.timedelta(days=1))) - c("first_period") + 1  # CLV3
    clv_ = (
        cust.withColumn("aov", (c("net") / F.lit(float(SCALE))) / c("events"))  # CLV1
        .withColumn("tenure_years", F.datediff(F.lit(day), c("first")) / F.lit(DAYS_PER_YEAR))
        .withColumn("purchases_per_year", c("events") / F.greatest(c("tenure_years"), F.lit(1.0)))
        .withColumn("lifetime_years", lifetime)
        .withColumn("clv", c("aov") * c("purchases_per_year") * c("lifetime_years"))
        .withColumn("loyalty", c("periods") / span)
    )
    # CLV2: r = (customers with a strictly higher clv) / N; CLV3/CLV3a: the medians.
    r = _strictly_greater("clv") / _pool_size()
    value = F.when(c("clv") >= _median("clv"), "high").otherwise("low")
    loyal = F.when(c("loyalty") >= _median("loyalty"), "high").otherwise("low")
    long_ = F.when(c("tenure_years") >= _median("tenure_years"), "long")
    return clv_.select(
        c(_C).alias(customer),
        "aov",
        "purchases_per_year",
        "tenure_years",
        "lifetime_years",
        "clv",
        F.when(r < F.lit(CLV_CUTS[0]), CLV_TIERS[0])
        .when(r < F.lit(CLV_CUTS[1]), CLV_TIERS[1])
        .otherwise(CLV_TIERS[2])
        .alias("clv_tier"),
        "loyalty",
        F.concat(value, F.lit(" value / "), loyal, F.lit(" loyalty")).alias("value_loyalty"),
        F.concat(value, F.lit(" value / "), long_.otherwise("short"), F.lit(" tenure")).alias(
            "tenure_quadrant"
        ),
    )


FUNCTIONS = {"cv": customer_value, "rfm": rfm, "clv": clv}
COLUMNS = {"cv": CV_COLUMNS, "rfm": RFM_COLUMNS, "clv": CLV_COLUMNS}
