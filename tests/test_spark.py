"""custseg.spark gives the rows of the one-machine call, bit for bit (I5, issue 16),
whatever the partitions, the Arrow batch size (customers split across batches and
across core calls), the row order and adaptive query execution; and the same report,
the same errors (a CustsegError on the driver naming the column).

Every comparison is against the one-machine call on the same rows: labels as strings,
every other column exactly (floats bit for bit), sorted by customer.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import random
from collections.abc import Iterator
from typing import Any

import custseg as cs
import custseg.spark as css
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

# PySpark 4.x warns that it does not fully support pandas 3 (these tests pass Arrow tables).
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

D = _dt.date
ALL = ["cv", "rfm", "clv"]


@contextlib.contextmanager
def conf(spark: Any, **values: Any) -> Iterator[None]:
    """Spark settings for one block (``maxRecordsPerBatch``, AQE), restored after."""
    keys = {
        "batch": "spark.sql.execution.arrow.maxRecordsPerBatch",
        "aqe": "spark.sql.adaptive.enabled",
    }
    old = {k: spark.conf.get(keys[k]) for k in values}
    for k, v in values.items():
        spark.conf.set(keys[k], str(v).lower())
    try:
        yield
    finally:
        for k, v in old.items():
            spark.conf.set(keys[k], v)


def plain(t: pa.Table, key: str) -> pa.Table:
    """Labels as strings, sorted by customer, no metadata."""
    cols = [c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in t.columns]
    return pa.table(dict(zip(t.column_names, cols, strict=True))).sort_by(key)


def assert_same(got: Any, want: pa.Table, key: str = "customer_id") -> None:
    g, w = plain(got.toArrow(), key), plain(want, key)
    assert g.column_names == w.column_names
    assert g.num_rows == w.num_rows
    for name in w.column_names:
        a, b = g.column(name).to_pylist(), w.column(name).to_pylist()
        bad = [(i, x, y) for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        assert not bad, f"{name}: {bad[:5]}"


def both(spark: Any, fn: str, tx: pa.Table, **kw: Any) -> tuple[Any, Any, Any, Any]:
    """The Spark call and the one-machine call, each with its report."""
    spark_kw = {k: kw.pop(k) for k in ("partitions", "rows_per_call") if k in kw}
    sdf = spark.createDataFrame(tx)
    out, rep = getattr(css, fn)(sdf, return_report=True, **spark_kw, **kw)
    want, wrep = getattr(cs, fn)(tx, return_report=True, **kw)
    return out, rep, want, wrep


def transactions(seed: int, customers: int, rows: int, ids: str = "int") -> pa.Table:
    """Rows in no order: a few years of purchases, returns, zero days, ties of money."""
    r = random.Random(seed)
    start = D(2021, 1, 1).toordinal()
    cust = [r.randrange(customers) for _ in range(rows)]
    return pa.table(
        {
            "customer_id": [f"CUST-{c:07d}" for c in cust] if ids == "str" else cust,
            "date": [D.fromordinal(start + r.randrange(3 * 365)) for _ in range(rows)],
            "amount": [
                r.choice([10.0, 10.0, 25.5, -5.0, 0.0, r.randrange(1, 20000) / 100])
                for _ in range(rows)
            ],
        }
    )


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 10**6),
    partitions=st.sampled_from([1, 2, 7]),
    batch=st.sampled_from([1, 3, 10000]),
    ids=st.sampled_from(["int", "str"]),
    aqe=st.booleans(),
)
def test_segment_equals_one_machine(
    spark: Any, seed: int, partitions: int, batch: int, ids: str, aqe: bool
) -> None:
    tx = transactions(seed, customers=40, rows=300, ids=ids)
    with conf(spark, batch=batch, aqe=aqe):
        out, rep, want, wrep = both(
            spark,
            "segment",
            tx,
            as_of="2023-07-01",
            what=ALL,
            partitions=partitions,
            rows_per_call=50,
        )
        assert_same(out, want)
    assert rep == wrep


@pytest.mark.parametrize("fn", ["customer_value", "rfm", "clv", "rfm_summary"])
def test_each_call_with_the_default_as_of(spark: Any, fn: str) -> None:
    """as_of from the whole data (I3) and the CLV1 lifetime from every customer."""
    tx = transactions(3, customers=60, rows=500)
    with conf(spark, batch=7):
        out, rep, want, wrep = both(spark, fn, tx, partitions=3, rows_per_call=20)
        assert_same(out, want)
    assert rep == wrep and rep.as_of == D(2023, 12, 31)


def test_options_pass_through(spark: Any) -> None:
    """Sales-only (CV5), the cuts, monetary windows, zero days, RFM mean, CLV thresholds."""
    tx = transactions(11, customers=50, rows=400)
    opts = dict(sales_only=True, sales_months=(1, 7, 12), cuts=(0.1, 0.3, 0.6), monetary_periods=3,
                count_zero_days=True, bins=5, monetary="mean", clv_cuts=(0.3, 0.7),
                loyalty_threshold=0.5, periods=cs.Periods.quarterly(2))  # fmt: skip
    out, rep, want, wrep = both(spark, "segment", tx, as_of="2023-05-01", partitions=2, **opts)
    assert_same(out, want)
    assert rep == wrep


def test_order_ids(spark: Any) -> None:
    """With an order column a purchase event is an order (I2)."""
    tx = transactions(5, customers=30, rows=300)
    orders = [f"INV-{i // 2:06d}" for i in range(tx.num_rows)]
    tx = tx.append_column("order_id", pa.array(orders))
    out, rep, want, wrep = both(
        spark, "segment", tx, order="order_id", as_of="2023-07-01", lifetime_years=2.0
    )
    assert_same(out, want)
    assert rep == wrep


def test_ties_at_the_cut_points(spark: Any) -> None:
    """Twenty customers of equal money: ties share a tier (CV6, R2, CLV2), the
    medians are midpoints of an even count (CLV3)."""
    rows = [(c, D(2023, 1 + c % 6, 1 + c % 5), 10.0 if c < 20 else float(c)) for c in range(40)]
    tx = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        }
    )
    with conf(spark, batch=1):
        out, rep, want, wrep = both(spark, "segment", tx, as_of="2023-07-01", partitions=7,
                                    rows_per_call=3, lifetime_years=3.0)  # fmt: skip
        assert_same(out, want)


def test_one_customer(spark: Any) -> None:
    tx = pa.table({"customer_id": [7, 7, 7], "date": [D(2022, 3, 1), D(2022, 9, 1), D(2023, 2, 1)],
                   "amount": [5.0, 6.0, 7.0]})  # fmt: skip
    out, rep, want, wrep = both(spark, "segment", tx, as_of="2023-07-01", lifetime_years=2.0)
    assert_same(out, want)
    assert rep == wrep


def test_empty_input(spark: Any) -> None:
    schema = pa.schema(
        [("customer_id", pa.int64()), ("date", pa.date32()), ("amount", pa.float64())]
    )
    tx = pa.Table.from_batches([], schema)
    out, rep, want, wrep = both(spark, "customer_value", tx)
    assert out.count() == 0 and want.num_rows == 0
    assert out.columns == want.column_names
    assert rep == wrep


def test_nulls_dropped_are_reported(spark: Any) -> None:
    tx = transactions(2, customers=30, rows=200)
    amounts = tx.column("amount").to_pylist()
    cust = tx.column("customer_id").to_pylist()
    amounts[5], amounts[17], cust[9] = None, float("nan"), None
    tx = tx.set_column(2, "amount", pa.array(amounts)).set_column(0, "customer_id", pa.array(cust))
    out, rep, want, wrep = both(spark, "segment", tx, as_of="2023-07-01", on_invalid="drop")
    assert_same(out, want)
    assert rep == wrep and rep.rows_dropped_total == 3


def test_a_null_raises_on_the_driver_naming_the_column(spark: Any) -> None:
    tx = transactions(2, customers=30, rows=200)
    amounts = tx.column("amount").to_pylist()
    amounts[5] = None
    tx = tx.set_column(2, "amount", pa.array(amounts))
    with pytest.raises(cs.errors.NullValueError, match="amount") as e:
        css.customer_value(spark.createDataFrame(tx), as_of="2023-07-01")
    with pytest.raises(cs.errors.NullValueError, match="amount") as e1:
        cs.customer_value(tx, as_of="2023-07-01")
    assert str(e1.value).split(" row ")[0] == str(e.value).split(" row ")[0]


def test_bad_options_and_columns_fail_before_any_job(spark: Any) -> None:
    sdf = spark.createDataFrame(transactions(1, customers=5, rows=20))
    with pytest.raises(cs.errors.ColumnNotFoundError, match="amount_eur"):
        css.customer_value(sdf, amount="amount_eur")
    with pytest.raises(cs.errors.ConfigError, match="CV6"):
        css.customer_value(sdf, cuts=(0.5, 0.2, 0.9))
    with pytest.raises(cs.errors.AsOfError):
        css.customer_value(sdf, as_of="2000-01-01")
    with pytest.raises(TypeError, match="PySpark DataFrame"):
        css.customer_value(transactions(1, customers=5, rows=20))
    with pytest.raises(ValueError, match="partitions"):
        css.customer_value(sdf, partitions=0)


def test_the_default_lifetime_error_is_the_same(spark: Any) -> None:
    """CLV1: no customer in the base window: the same error as on one machine."""
    tx = pa.table(
        {"customer_id": [1, 2], "date": [D(2023, 3, 1), D(2023, 4, 1)], "amount": [5.0, 6.0]}
    )
    with pytest.raises(cs.errors.ConfigError, match="CLV1") as e:
        css.clv(spark.createDataFrame(tx))
    with pytest.raises(cs.errors.ConfigError, match="CLV1") as e1:
        cs.clv(tx)
    assert str(e.value) == str(e1.value)


@pytest.mark.parametrize("collect", [0, 1 << 16])
def test_radix_selection_equals_sorting(spark: Any, monkeypatch: Any, collect: int) -> None:
    """The exact order statistics of _spark_select, level by level (collect 0) or
    with small buckets collected, on keys of every width: days, money, the
    whole int64 range (ordered float keys), ties."""
    from custseg import _spark_select

    monkeypatch.setattr(_spark_select, "COLLECT", collect)
    r = random.Random(5)
    pools = {
        0: [r.randrange(18000, 20000) for _ in range(500)],
        1: [r.randrange(-(10**10), 10**12) for _ in range(700)],
        2: [r.choice([-(2**63), 2**63 - 1, 0, -1, 1]) for _ in range(50)]
        + [r.randrange(-(2**63), 2**63) for _ in range(300)],
        3: [42] * 9,
    }
    rows = [(p, k) for p, ks in pools.items() for k in ks]
    r.shuffle(rows)
    keys = spark.createDataFrame(rows, "pool tinyint, key bigint").repartition(3)
    stats = _spark_select.pool_stats(keys)
    wanted = [(p, i) for p, ks in pools.items() for i in sorted({0, len(ks) // 2, len(ks) - 1, 3})]
    got = _spark_select.select(keys, wanted, stats)
    assert sorted(got) == sorted((p, i, sorted(pools[p])[i]) for p, i in wanted)


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 10**6),
    batch=st.sampled_from([1, 10000]),
    ids=st.sampled_from(["int", "str"]),
)
# A piece holding only a customer whose rows follow the last boundary counted it as
# not seen (the report's customers_seen 39 against 40).
@example(seed=1836, batch=10000, ids="str")
def test_customer_value_history_equals_one_machine(
    spark: Any, seed: int, batch: int, ids: str
) -> None:
    """CV8: every boundary's rows equal the one-machine history (and so
    customer_value as of each boundary), from one pass."""
    tx = transactions(seed, customers=40, rows=300, ids=ids)
    with conf(spark, batch=batch):
        sdf = spark.createDataFrame(tx)
        out, rep = css.customer_value_history(
            sdf, start="2022-01-01", return_report=True, rows_per_call=40
        )
        want, wrep = cs.customer_value_history(tx, start="2022-01-01", return_report=True)
        got = plain(out.toArrow(), "customer_id").sort_by(
            [("period_start", "ascending"), ("customer_id", "ascending")]
        )
        assert (
            plain(want, "customer_id")
            .sort_by([("period_start", "ascending"), ("customer_id", "ascending")])
            .equals(got)
        )
    assert rep == wrep


def test_segment_history_with_the_default_lifetime(spark: Any) -> None:
    """Each boundary's CLV1 lifetime from its own churn counts."""
    tx = transactions(8, customers=50, rows=600)
    out, rep = css.segment_history(spark.createDataFrame(tx), start="2023-01-01", end="2024-01-01",
                                   return_report=True)  # fmt: skip
    want, wrep = cs.segment_history(tx, start="2023-01-01", end="2024-01-01", return_report=True)
    key = [("period_start", "ascending"), ("customer_id", "ascending")]
    assert (
        plain(want, "customer_id")
        .sort_by(key)
        .equals(plain(out.toArrow(), "customer_id").sort_by(key))
    )
    assert rep == wrep


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo"])
def test_timestamps_count_on_their_day_in_the_session_zone(spark: Any, zone: str) -> None:
    """I1: a Spark timestamp arrives in the session time zone and counts on its
    calendar day there, as a zoned timestamp does on one machine."""
    late = _dt.datetime(2023, 6, 30, 23, 30, tzinfo=_dt.timezone.utc)
    tx = pa.table(
        {
            "customer_id": [1, 1, 2],
            "date": pa.array(
                [late, late - _dt.timedelta(days=40), late - _dt.timedelta(days=3)],
                pa.timestamp("us", tz="UTC"),
            ),  # fmt: skip
            "amount": [10.0, 20.0, 5.0],
        }
    )
    old = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", zone)
    try:
        out, rep = css.rfm(spark.createDataFrame(tx), as_of="2023-07-01", return_report=True)
        zoned = tx.set_column(1, "date", tx.column("date").cast(pa.timestamp("us", tz=zone)))
        want, wrep = cs.rfm(zoned, as_of="2023-07-01", return_report=True)
        assert_same(out, want)
    finally:
        spark.conf.set("spark.sql.session.timeZone", old)
    assert rep == wrep
    assert rep.rows_after_as_of == (1 if zone == "Asia/Tokyo" else 0)


def test_clear_cache_frees_the_facts_and_the_result_stays_the_same(spark: Any) -> None:
    css.clear_cache()
    tx = transactions(4, customers=20, rows=100)
    out = css.customer_value(spark.createDataFrame(tx), as_of="2023-07-01")
    before = plain(out.toArrow(), "customer_id")
    assert css.clear_cache() == 1
    assert plain(out.toArrow(), "customer_id").equals(before)  # recomputed from the rows
    assert css.clear_cache() == 0
