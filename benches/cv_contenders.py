"""The Customer Value segmentation written the way an expert would in pandas, polars and DuckDB.

These are the contenders of ``bench_customer_value.py``. Each one computes exactly
the rules of ``docs/rules.md`` sections 0-2 (rule ids cited below) for the
defaults that the benchmark uses, and must give the same result as
``custseg.customer_value(table, as_of=AS_OF, periods=Periods.semiannual())``:

* periods: semiannual, anchored 2000-01-01 (P1); ``as_of`` = 2026-01-01, exclusive (I3);
* purchase events are customer-days with a positive net total (I2, ``count_zero_days=False``);
* monetary window of 2 periods (CV3), tier cuts 0.05 / 0.25 / 0.50 (CV6), sales-only off (CV5).

Every contender takes the input as a pyarrow Table (``customer_id`` int64 or string,
``date`` date32, ``amount`` float64) and returns a frame of its own family, sorted by
customer, with the CV7 columns: ``customer_id``, ``cv_group``, ``cv_segment``,
``periods_since_last``, ``purchases``, ``monetary``, ``first_purchase``,
``last_purchase``. Labels are plain strings (custseg returns ordered categoricals).

They all follow the same plan, vectorised, without Python loops over rows or customers:

1. I3 + I6: keep rows with ``date < as_of``; amounts to integer millionths.
2. I2: net total per (customer, day); a day with net > 0 is a purchase event.
3. P1 + P2: age of each day = index(P0) - index(period of the day).
4. Per (customer, age): net money, number of events, first and last event day.
5. CV1 + P3: per customer n = events with age >= 1, k = their smallest age; NEW (CV2)
   when there are none but there are events in P0 (age 0).
6. CV3: m = money of the ages k and k+1 (age 0 for NEW), summed from the per-age table
   (k broadcast to the customer's age rows with a window / transform, or joined back).
7. CV2 + CV4 + CV6: group from k, tier pools, r = (# strictly greater) / N, labels.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pyarrow as pa

# ---------------------------------------------------------------------------
# The configuration shared by every contender (the custseg defaults, P1/CV3/CV6).
# ---------------------------------------------------------------------------
AS_OF = _dt.date(2026, 1, 1)  # I3: exclusive; the first day of the current period P0 (P2)
ANCHOR_MONTHS = 2000 * 12  # P1: anchor 2000-01-01, as months since year 0 (day 1: months only)
PERIOD_MONTHS = 6  # P1: semiannual
MONETARY_PERIODS = 2  # CV3: window of ages k .. k + 1
CUTS = (0.05, 0.25, 0.50)  # CV6
SCALE = 1_000_000  # I6: millionths


def period_index(year: Any, month: Any) -> Any:
    """P1: index of the period holding a day (anchor day 1, so only the month counts)."""
    return (12 * year + month - 1 - ANCHOR_MONTHS) // PERIOD_MONTHS


def current_period(as_of: _dt.date) -> int:
    """P2: index of P0, the period holding the day as_of (52 for 2026-01-01)."""
    return period_index(as_of.year, as_of.month)


# CV2 group labels and CV4 tier labels (first tier first) per tier pool.
NEW, ACT, COLD, LOST4, LOST5 = "1 NEW", "2 ACT", "3 COLD", "4 LOST", "5 LOST"
TIER_LABELS = {
    ACT: ("PLATINA", "GOLD", "SILVER", "BRONZE"),
    COLD: ("L", "M", "S", "XS"),
    LOST4: ("L", "M", "S", "XS"),
}
COLUMNS = [
    "customer_id",
    "cv_group",
    "cv_segment",
    "periods_since_last",
    "purchases",
    "monetary",
    "first_purchase",
    "last_purchase",
]

CONTENDERS = ("pandas", "polars", "duckdb")


# ---------------------------------------------------------------------------
# pandas (single-threaded by nature; numpy for the element-wise steps)
# ---------------------------------------------------------------------------
def _micros_numpy(amount: np.ndarray) -> np.ndarray:
    """I6: ``round(amount * 1e6)`` half away from zero, exactly like custseg (Rust ``f64::round``).

    ``np.rint`` rounds half to even, and ``trunc(p + 0.5)`` is off for p = 0.49999999999999994,
    so split off the fraction (exact for |p| < 2**52) and compare it with 0.5.
    """
    p = amount * float(SCALE)
    a = np.abs(p)
    whole = np.floor(a)
    whole += (a - whole) >= 0.5
    return np.copysign(whole, p).astype(np.int64)


def cv_pandas(table: pa.Table, as_of: _dt.date = AS_OF) -> Any:
    """CV1-CV7 in pandas: vectorised groupbys, no Python loops; returns a pandas DataFrame."""
    import pandas as pd

    p0 = current_period(as_of)

    df = table.select(["customer_id", "date", "amount"]).to_pandas(date_as_object=False)
    # 1. I3: only days before as_of; I6: exact integer millionths.
    df = df[df["date"] < pd.Timestamp(as_of)]
    df = df.assign(micros=_micros_numpy(df["amount"].to_numpy()))

    # 2. I2: one net total per (customer, day); a positive day is a purchase event.
    days = df.groupby(["customer_id", "date"], sort=False)["micros"].sum().reset_index(name="net")
    event = days["net"].to_numpy() > 0

    # 3. P1/P2: months since 1970-01 straight from datetime64 (year*12 + month - 1 - 1970*12).
    months = days["date"].to_numpy().astype("datetime64[M]").astype(np.int64) + 1970 * 12
    days["age"] = p0 - (months - ANCHOR_MONTHS) // PERIOD_MONTHS
    days["events"] = event.astype(np.int64)
    days["event_day"] = days["date"].where(event)  # NaT on days that are not purchases

    # 4. Per (customer, age): money, events and first/last event day.
    ages = (
        days.groupby(["customer_id", "age"], sort=False)
        .agg(
            net=("net", "sum"),
            events=("events", "sum"),
            first=("event_day", "min"),
            last=("event_day", "max"),
        )
        .reset_index()
    )

    # 5. CV1/P3: H = events with age >= 1; k = smallest age in H, broadcast to every age
    # row of the customer with a groupby-transform (NaN when H is empty).
    age, events = ages["age"], ages["events"]
    ages["h_age"] = age.where((age >= 1) & (events > 0))  # NaN outside H
    ages["k"] = ages.groupby("customer_id", sort=False)["h_age"].transform("min")
    # 6. CV3: m = money of ages k .. k+1; for NEW (k NaN: H empty) age 0 only.
    lo, hi = ages["k"].fillna(0), (ages["k"] + MONETARY_PERIODS - 1).fillna(0)
    ages["m"] = ages["net"].where((age >= lo) & (age <= hi), 0)
    ages["h_events"] = events.where(age >= 1, 0)  # n = |H|
    ages["p0_events"] = events.where(age == 0, 0)  # events in P0
    cust = ages.groupby("customer_id", sort=True).agg(
        n=("h_events", "sum"),
        k=("k", "min"),
        n0=("p0_events", "sum"),
        m=("m", "sum"),
        first_purchase=("first", "min"),
        last_purchase=("last", "max"),
    )
    # CV2/CV7: customers without any purchase event before as_of are not in the result.
    cust = cust[(cust["n"] > 0) | (cust["n0"] > 0)]
    is_new = (cust["n"] == 0).to_numpy()  # CV2 1 NEW: H empty, events in P0
    k = cust["k"].fillna(0).to_numpy().astype(np.int64)  # CV1: k = 0 for an empty H
    m = cust["m"].to_numpy()

    # 7. CV2: group from k; CV4: pools (ACT/COLD with n >= 2, all 4 LOST); CV6: tiers.
    n = cust["n"].to_numpy()
    group = np.select(
        [is_new, k == 1, k == 2, k <= 4], [NEW, ACT, COLD, LOST4], default=LOST5
    ).astype(object)
    junior = ((group == ACT) | (group == COLD)) & (n == 1)
    pool = np.where(
        np.isin(group, [ACT, COLD, LOST4]) & ~junior, group, None
    )  # None: not in a pool
    by_pool = pd.DataFrame({"pool": pool, "m": m}).groupby("pool", sort=False)["m"]
    # CV6: rank "min" descending - 1 = number of pool members with monetary strictly greater.
    greater = by_pool.rank(method="min", ascending=False).to_numpy() - 1
    r = greater / by_pool.transform("size").to_numpy()
    tier = np.select([r < CUTS[0], r < CUTS[1], r < CUTS[2]], [0, 1, 2], default=3)
    segment = np.select(
        [group == NEW, group == LOST5, junior]
        + [(pool == g) & (tier == t) for g in TIER_LABELS for t in range(4)],
        ["NEW", "LOST", "JUNIOR"] + [label for g in TIER_LABELS for label in TIER_LABELS[g]],
        default="?",
    )

    return pd.DataFrame(
        {
            "customer_id": cust.index.to_numpy(),
            "cv_group": group,
            "cv_segment": segment,
            "periods_since_last": k,
            "purchases": np.where(is_new, cust["n0"].to_numpy(), n),  # CV7: NEW counts P0
            "monetary": m / SCALE,  # I6: float of the exact sum
            "first_purchase": cust["first_purchase"].to_numpy(),
            "last_purchase": cust["last_purchase"].to_numpy(),
        }
    )


# ---------------------------------------------------------------------------
# polars (one lazy query; all cores unless POLARS_MAX_THREADS is set)
# ---------------------------------------------------------------------------
def cv_polars(table: pa.Table, as_of: _dt.date = AS_OF, engine: str = "auto") -> Any:
    """CV1-CV7 as one polars lazy query; returns a polars DataFrame."""
    import polars as pl

    p0 = current_period(as_of)

    c = pl.col
    tx = pl.from_arrow(table.select(["customer_id", "date", "amount"])).lazy()

    days = (
        # 1. I3: only days before as_of; I6: exact integer millionths, half away from zero.
        tx.filter(c.date < as_of)
        .with_columns(
            micros=(c.amount * float(SCALE)).round(0, mode="half_away_from_zero").cast(pl.Int64)
        )
        # 2. I2: one net total per (customer, day); a positive day is a purchase event.
        .group_by("customer_id", "date")
        .agg(net=c.micros.sum())
        # 3. P1/P2: age of the day's period.
        .with_columns(
            age=pl.lit(p0, pl.Int32)
            - period_index(c.date.dt.year().cast(pl.Int32), c.date.dt.month().cast(pl.Int32)),
            event=c.net > 0,
        )
    )
    # 4. Per (customer, age): money, events and first/last event day. Conditional
    # aggregates are plain aggregates of when/then columns (null where the condition
    # fails): much faster than expr.filter(...) inside agg.
    event_day = pl.when(c.event).then(c.date)
    ages = days.group_by("customer_id", "age").agg(
        net=c.net.sum(),
        events=c.event.sum(),
        first=event_day.min(),
        last=event_day.max(),
    )
    # 5. CV1/P3: H = events with age >= 1; k = smallest age in H, on every age row of the
    # customer (a window: no self-join, so the plan above runs once). Null when H is empty.
    hist = (c.age >= 1) & (c.events > 0)
    ages = ages.with_columns(k=pl.when(hist).then(c.age).min().over("customer_id"))
    # 6. CV3: the monetary window is ages k .. k+1; for NEW (k null: H empty) age 0 only.
    in_window = c.age.is_between(
        c.k.fill_null(0), pl.when(c.k.is_null()).then(0).otherwise(c.k + MONETARY_PERIODS - 1)
    )
    cust = (
        ages.group_by("customer_id")
        .agg(
            n=pl.when(c.age >= 1).then(c.events).sum(),  # n = |H|
            k=c.k.first(),
            n0=pl.when(c.age == 0).then(c.events).sum(),  # events in P0
            m=pl.when(in_window).then(c.net).sum(),
            first_purchase=c.first.min(),
            last_purchase=c.last.max(),
        )
        # CV2/CV7: customers without any purchase event before as_of are not in the result.
        .filter((c.n > 0) | (c.n0 > 0))
        .with_columns(is_new=c.n == 0, k=c.k.fill_null(0))  # CV2 1 NEW; CV1 k = 0 for empty H
    )
    # 7. CV2 groups; CV4 JUNIOR and tier pools (ACT/COLD with n >= 2, all of 4 LOST).
    group = (
        pl.when(c.is_new)
        .then(pl.lit(NEW))
        .when(c.k == 1)
        .then(pl.lit(ACT))
        .when(c.k == 2)
        .then(pl.lit(COLD))
        .when(c.k <= 4)
        .then(pl.lit(LOST4))
        .otherwise(pl.lit(LOST5))
    )
    junior = c.cv_group.is_in([ACT, COLD]) & (c.n == 1)
    pool = pl.when(c.cv_group.is_in([ACT, COLD, LOST4]) & ~c.junior).then(c.cv_group)
    # CV6: rank "min" descending - 1 = number of pool members with monetary strictly greater.
    r = (c.m.rank("min", descending=True) - 1).over("pool") / pl.len().over("pool")
    tier = pl.when(r < CUTS[0]).then(0).when(r < CUTS[1]).then(1).when(r < CUTS[2]).then(2)
    segment = pl.when(c.cv_group == NEW).then(pl.lit("NEW"))
    segment = segment.when(c.cv_group == LOST5).then(pl.lit("LOST"))
    segment = segment.when(c.junior).then(pl.lit("JUNIOR"))
    for g, labels in TIER_LABELS.items():
        for t, label in enumerate(labels):
            segment = segment.when((c.pool == g) & (c.tier == t)).then(pl.lit(label))
    out = (
        cust.with_columns(cv_group=group)
        .with_columns(junior=junior)
        .with_columns(pool=pool)
        .with_columns(tier=tier.otherwise(3))
        .select(
            "customer_id",
            "cv_group",
            cv_segment=segment,
            periods_since_last=c.k,
            purchases=pl.when(c.is_new).then(c.n0).otherwise(c.n),  # CV7: NEW counts P0
            monetary=c.m / SCALE,  # I6: float of the exact sum
            first_purchase=c.first_purchase,
            last_purchase=c.last_purchase,
        )
        .sort("customer_id")
    )
    return out.collect(engine=engine)


# ---------------------------------------------------------------------------
# DuckDB (one SQL query over the Arrow table; all cores unless threads is given)
# ---------------------------------------------------------------------------
def cv_sql(as_of: _dt.date = AS_OF) -> str:
    """The DuckDB query over a table (or Arrow table) named ``tx``."""
    p0 = current_period(as_of)
    return f"""
WITH days AS (
    -- I3: only days before as_of; I6: round() is half away from zero on the product.
    -- I2: one net total per (customer, day).
    SELECT customer_id, date, sum(CAST(round(amount * {SCALE}) AS BIGINT))::BIGINT AS net
    FROM tx
    WHERE date < DATE '{as_of.isoformat()}'
    GROUP BY customer_id, date
), ages AS (
    -- P1/P2: age of the day's period; per (customer, age): money, events, first/last event.
    SELECT customer_id,
           -- fdiv: floor division (// truncates towards zero, wrong before the anchor)
           {p0} - fdiv(12 * year(date) + month(date) - 1 - {ANCHOR_MONTHS}, {PERIOD_MONTHS})
               ::BIGINT AS age,
           sum(net)::BIGINT AS net,
           count(*) FILTER (WHERE net > 0) AS events,        -- I2: purchase event
           min(date) FILTER (WHERE net > 0) AS first_event,
           max(date) FILTER (WHERE net > 0) AS last_event
    FROM days
    GROUP BY ALL
), cust AS (
    -- CV1/P3: H = events with age >= 1; n = |H|, k = smallest age in H (0 if H is empty).
    SELECT customer_id,
           coalesce(sum(events) FILTER (WHERE age >= 1), 0)::BIGINT AS n,
           coalesce(min(age) FILTER (WHERE age >= 1 AND events > 0), 0) AS k,
           coalesce(sum(events) FILTER (WHERE age = 0), 0)::BIGINT AS n0,
           min(first_event) AS first_purchase,
           max(last_event) AS last_purchase
    FROM ages
    GROUP BY customer_id
    HAVING sum(events) > 0  -- CV7: customers without a purchase event are absent
), money AS (
    -- CV3: m = money of ages k .. k+1 (NEW: age 0 only), from the per-age sums.
    SELECT c.customer_id, sum(a.net)::BIGINT AS m
    FROM cust c JOIN ages a USING (customer_id)
    WHERE a.age BETWEEN c.k AND CASE WHEN c.n = 0 THEN 0 ELSE c.k + {MONETARY_PERIODS - 1} END
    GROUP BY c.customer_id
), grouped AS (
    -- CV2: group from k; NEW when H is empty and there are events in P0.
    SELECT c.*, coalesce(money.m, 0) AS m,
           CASE WHEN c.n = 0 THEN '{NEW}' WHEN c.k = 1 THEN '{ACT}' WHEN c.k = 2 THEN '{COLD}'
                WHEN c.k <= 4 THEN '{LOST4}' ELSE '{LOST5}' END AS cv_group
    FROM cust c LEFT JOIN money USING (customer_id)
), pooled AS (
    -- CV4: JUNIOR = ACT/COLD with n = 1; pools: ACT/COLD with n >= 2, all of 4 LOST.
    SELECT *,
           cv_group IN ('{ACT}', '{COLD}') AND n = 1 AS junior,
           CASE WHEN cv_group IN ('{ACT}', '{COLD}', '{LOST4}')
                     AND NOT (cv_group IN ('{ACT}', '{COLD}') AND n = 1)
                THEN cv_group END AS pool
    FROM grouped
), tiered AS (
    -- CV6: rank() - 1 over m descending = number of pool members with m strictly greater.
    SELECT *,
           CASE WHEN pool IS NULL THEN NULL
                ELSE (rank() OVER (PARTITION BY pool ORDER BY m DESC) - 1)
                     / count(*) OVER (PARTITION BY pool) END AS r
    FROM pooled
)
SELECT customer_id,
       cv_group,
       CASE WHEN cv_group = '{NEW}' THEN 'NEW'
            WHEN cv_group = '{LOST5}' THEN 'LOST'
            WHEN junior THEN 'JUNIOR'
            ELSE (CASE WHEN pool = '{ACT}' THEN ['PLATINA', 'GOLD', 'SILVER', 'BRONZE']
                       ELSE ['L', 'M', 'S', 'XS'] END)
                 [CASE WHEN r < {CUTS[0]}::DOUBLE THEN 1 WHEN r < {CUTS[1]}::DOUBLE THEN 2
                       WHEN r < {CUTS[2]}::DOUBLE THEN 3 ELSE 4 END]
       END AS cv_segment,
       k AS periods_since_last,
       CASE WHEN cv_group = '{NEW}' THEN n0 ELSE n END AS purchases,  -- CV7: NEW counts P0
       m / {SCALE} AS monetary,  -- I6: float of the exact sum
       first_purchase,
       last_purchase
FROM tiered
ORDER BY customer_id
"""


def cv_duckdb(table: pa.Table, as_of: _dt.date = AS_OF, threads: int | None = None) -> pa.Table:
    """CV1-CV7 as one DuckDB SQL query over the Arrow table; returns a pyarrow Table."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # it would print to the terminal
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        con.register("tx", table.select(["customer_id", "date", "amount"]))
        return con.sql(cv_sql(as_of)).to_arrow_table()
    finally:
        con.close()
