"""The PySpark version of the rules (``benches/spark_sql_rules.py``, the ``spark-sql``
contender of ``benches/bench_spark.py``) equals single-machine custseg.

Every column of ``customer_value``, ``rfm`` and ``clv`` (default options) is compared
sorted by customer: labels, integers and dates exactly, floats bit for bit. Data: small
synthetic tables (int and string ids; ``as_of`` at a period start and mid-period, which
has ``1 NEW`` customers and rows after ``as_of``), and a hand-made table full of ties at
the tier cuts (CV6, R2, CLV2), an even count for the midpoint medians (CLV3), returns,
zero-net days and amounts at exactly half a millionth, negative ones included (I6).
"""

from __future__ import annotations

import datetime as _dt
import random
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

# PySpark 4.x warns that it does not fully support pandas 3 (these tests pass Arrow tables).
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

import custseg  # noqa: E402
from conftest import ROWS  # noqa: E402

BENCHES = Path(__file__).resolve().parent.parent / "benches"
sys.path.insert(0, str(BENCHES))

import bench_spark  # noqa: E402  (canonical, diff: the benchmark's own gate)
import spark_sql_rules as ssr  # noqa: E402

D = _dt.date
CALLS = {"cv": custseg.customer_value, "rfm": custseg.rfm, "clv": custseg.clv}
TASKS = tuple(CALLS)


def spark_result(spark: Any, task: str, tx: pa.Table, as_of: Any) -> pa.Table:
    sdf = spark.createDataFrame(tx)
    return bench_spark.to_arrow(ssr.FUNCTIONS[task](sdf, as_of=as_of))


def assert_same(spark: Any, task: str, tx: pa.Table, as_of: Any) -> pa.Table:
    """custseg's result equals the Spark version's, column types included; returns
    custseg's (canonical) result."""
    columns = ssr.COLUMNS[task]
    ref_raw = CALLS[task](tx, as_of=as_of)
    got_raw = spark_result(spark, task, tx, as_of)
    assert bench_spark.types_of(got_raw, columns) == bench_spark.types_of(ref_raw, columns)
    ref = bench_spark.canonical(ref_raw, columns)
    problem = bench_spark.diff(ref, bench_spark.canonical(got_raw, columns))
    assert problem is None, f"{task} as of {as_of}:\n{problem}"
    return ref


def test_rules_tables_and_labels_are_custsegs() -> None:
    core = custseg._core
    assert ssr.RULES == tuple(tuple(r) for r in core.RFM_RULES)
    assert ssr.CLV_TIERS == tuple(core.CLV_TIERS)
    assert {ssr.NEW, ssr.ACT, ssr.COLD, ssr.LOST4, ssr.LOST5} < set(core.CV_GROUPS)
    labels = {label for tiers in ssr.TIER_LABELS.values() for label in tiers}
    assert labels | {"JUNIOR", "NEW", "LOST"} < set(core.CV_SEGMENTS)
    tx = custseg.datasets.synthetic(customers=50, years=2, seed=3)
    for task, call in CALLS.items():
        assert tuple(call(tx).column_names) == ("customer_id", *ssr.COLUMNS[task])


# ---------------------------------------------------------------------------
# Synthetic data
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("as_of", ["2026-01-01", "2025-10-15"])
@pytest.mark.parametrize("task", TASKS)
def test_synthetic_int_ids(spark: Any, task: str, as_of: str) -> None:
    tx = custseg.datasets.synthetic(customers=400, years=4, seed=7)
    ref = assert_same(spark, task, tx, as_of)
    assert ref.num_rows > 300


@pytest.mark.parametrize("task", TASKS)
def test_synthetic_str_ids(spark: Any, task: str) -> None:
    tx = custseg.datasets.synthetic(customers=300, years=4, seed=11, ids="str")
    assert pa.types.is_string(tx.schema.field("customer_id").type) or pa.types.is_large_string(
        tx.schema.field("customer_id").type
    )
    assert_same(spark, task, tx, "2025-10-15")


# ---------------------------------------------------------------------------
# Hand-made ties
# ---------------------------------------------------------------------------
# as_of 2025-09-01: P0 = 2025H2 (from 2025-07-01); ages: 2025H1 = 1, 2024H2 = 2, 2024H1 = 3,
# 2023H2 = 4, 2023H1 = 5, 2022H2 = 6 (P2). The churn windows (CLV1): [2023-09-02,
# 2024-09-01) and [2024-09-01, 2025-09-01).
TIES_AS_OF = "2025-09-01"
# Amounts whose product with 1e6 is exactly half a millionth: rounded away from zero (I6).
HALVES = (0.5e-6, -0.5e-6, 2.5e-6, -2.5e-6, 10.0000005, -10.0000005, 0.1234565, -0.1234565)


def ties_rows() -> list[tuple[int, _dt.date, float]]:
    rows: list[tuple[int, _dt.date, float]] = []
    # The documented example (tests/conftest.py): every group, returns, a same-day return.
    rows += [(c, d, float(a)) for c, d, a in ROWS]
    # 2 ACT with n >= 2: these 18 and customers 1 (150) and 2 (30) above, N = 20; tied
    # monetary values on the cuts (CV6): 800 has r = 1/20 = 0.05 (GOLD, not PLATINA), 500
    # has r = 10/20 = 0.5 (BRONZE, not SILVER).
    act = [900, 800, 800, 800, 700, 700, 600, 600, 600, 600]
    act += [500, 500, 400, 400, 300, 300, 100, 30]
    for i, m in enumerate(act):
        day = D(2025, 2, 1 + i % 3)  # a few shared last days: recency ties (R2)
        rows += [(10 + i, day, m - 10.0), (10 + i, D(2024, 10, 10), 10.0)]
        if i % 4 == 0:  # a return on a day of its own, inside the window (CV3)
            rows += [(10 + i, D(2025, 4, 4), -5.0), (10 + i, D(2025, 4, 5), 5.0)]
    # 3 COLD with n >= 2 (8 customers, ties), and JUNIORs of ACT and COLD.
    for i, m in enumerate([300, 300, 200, 200, 200, 100, 50, 50]):
        rows += [(40 + i, D(2024, 8, 1), m / 2), (40 + i, D(2024, 12, 1), m / 2)]
    rows += [(50, D(2025, 1, 15), 70.0), (51, D(2024, 11, 15), 70.0)]
    # 4 LOST (k = 3 or 4; n = 1 too: no JUNIOR there), ties.
    for i, (day, m) in enumerate(
        [(D(2024, 3, 3), 40), (D(2024, 3, 3), 40), (D(2023, 11, 3), 40), (D(2023, 11, 3), 90)]
    ):
        rows += [(60 + i, day, float(m))]
    rows += [(64, D(2023, 12, 24), 20.0), (64, D(2024, 1, 5), 20.0)]
    # 5 LOST (k = 5, 6), NEW (P0 only; one with a return in P0), rows after as_of.
    rows += [(70, D(2023, 2, 2), 15.0), (71, D(2022, 12, 1), 15.0), (71, D(2023, 1, 1), -3.0)]
    rows += [(72, D(2025, 7, 20), 30.0), (73, D(2025, 8, 1), 30.0), (73, D(2025, 8, 2), -8.0)]
    rows += [(74, D(2025, 9, 1), 50.0), (75, D(2026, 1, 1), 50.0)]  # on / after as_of only
    # A zero-net day is no purchase event (I2); a returns-only customer is absent.
    rows += [(76, D(2025, 3, 1), 20.0), (76, D(2025, 3, 1), -20.0), (76, D(2024, 12, 1), 15.0)]
    rows += [(77, D(2025, 2, 2), -40.0)]
    # Half millionths on purchase days (3 COLD): 10 - 0.0000025 is 9999997 millionths.
    for i, a in enumerate(HALVES):
        rows += [(80 + i, D(2024, 10, 1), 10.0), (80 + i, D(2024, 10, 1), a)]
        rows += [(80 + i, D(2024, 4, 1), 10.0)]
    # Amounts that are not whole millionths (random doubles, 7-9 decimals, both signs):
    # every product with 1e6 is rounded (I6) before it is summed. Days before 2024-06-03
    # (ages 3 to 6: 4 or 5 LOST, outside the ACT pool above).
    rng = random.Random(16)
    for i in range(12):
        for _ in range(8):
            a = rng.choice([rng.uniform(-50, 120), round(rng.uniform(-5, 30), rng.randint(7, 9))])
            rows += [(100 + i, D(2022, 9, 1) + _dt.timedelta(days=rng.randrange(640)), a)]
    # Identical customers: tied clv, loyalty and tenure (CLV2, CLV3, CLV3a), and churn:
    # bought in the first window, some again in the second.
    for i in range(7):
        rows += [(90 + i, D(2023, 12, 1), 25.0), (90 + i, D(2024, 2, 1), 25.0)]
        if i < 3:
            rows += [(90 + i, D(2024, 10, 20), 25.0)]
    return rows


def ties_table() -> pa.Table:
    rows = ties_rows()
    return pa.table(
        {
            "customer_id": pa.array([r[0] for r in rows], pa.int64()),
            "date": pa.array([r[1] for r in rows], pa.date32()),
            "amount": pa.array([float(r[2]) for r in rows], pa.float64()),
        }
    )


def test_hand_made_ties_data_has_the_cases() -> None:
    """The hand-made table holds what it is for (checked on custseg's results)."""
    for a in HALVES:
        p = a * 1e6
        assert abs(p - int(p)) == 0.5, a
    tx = ties_table()
    cv = bench_spark.canonical(custseg.customer_value(tx, as_of=TIES_AS_OF), ssr.CV_COLUMNS)
    seg = dict(zip(cv["customer_id"].to_pylist(), cv["cv_segment"].to_pylist(), strict=True))
    assert [seg[i] for i in (10, 11, 12, 13, 20, 21)] == ["PLATINA"] + ["GOLD"] * 3 + ["BRONZE"] * 2
    groups = set(cv["cv_group"].to_pylist())
    assert groups == {"1 NEW", "2 ACT", "3 COLD", "4 LOST", "5 LOST"}
    money = dict(zip(cv["customer_id"].to_pylist(), cv["monetary"].to_pylist(), strict=True))
    assert money[83] == 19.999997  # 10 + 10 - 0.0000025: -2.5 millionths round to -3
    assert 74 not in seg and 75 not in seg and 77 not in seg
    clv = bench_spark.canonical(custseg.clv(tx, as_of=TIES_AS_OF), ssr.CLV_COLUMNS)
    assert clv.num_rows % 2 == 0  # the midpoint of two middle values (CLV3)
    values = clv["clv"].to_pylist()
    assert len(set(values)) < len(values)  # ties


@pytest.mark.parametrize("task", TASKS)
def test_hand_made_ties(spark: Any, task: str) -> None:
    assert_same(spark, task, ties_table(), TIES_AS_OF)


def test_clv_without_a_churn_base_fails_like_custseg(spark: Any) -> None:
    """CLV1: no customer bought 366-730 days before as_of: custseg raises a ConfigError
    asking for lifetime_years; the Spark query fails with the same request."""
    tx = ties_table().filter(pa.compute.less(ties_table()["customer_id"], 4))
    as_of = "2025-09-01"
    tx = tx.filter(pa.compute.greater_equal(tx["date"], pa.scalar(D(2024, 9, 1), pa.date32())))
    with pytest.raises(custseg.ConfigError, match="lifetime_years"):
        custseg.clv(tx, as_of=as_of)
    with pytest.raises(Exception, match="lifetime_years"):
        spark_result(spark, "clv", tx, as_of)
    ref = assert_same(spark, "cv", tx, as_of)  # the same rows are fine for CV
    assert ref.num_rows == 3
