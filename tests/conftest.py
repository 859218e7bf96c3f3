"""Shared fixtures of the acceptance tests: one small hand-computed transaction set.

Semiannual periods starting January 1, ``as_of = 2025-09-01`` so P0 = 2025H2
(2025-07-01 .. 2025-12-31) and the ages (P2) are 2025H1 = 1, 2024H2 = 2,
2024H1 = 3, 2023H2 = 4, 2023H1 = 5.

======  ==========  =======  ==========================================================
cust    day         amount   note
======  ==========  =======  ==========================================================
1       2025-03-10    100    age 1
1       2024-11-05     50    age 2           -> k=1, n=2, m = 100 + 50 = 150 (CV3)
1       2025-10-01    999    on/after as_of: skipped, counted (I3)
2       2025-05-20     30    age 1
2       2024-02-01     20    age 3           -> k=1, n=2, m = ages 1..2 = 30
2       2025-07-01      5    P0, first day   -> ignored for group/segment (P3), but last_purchase
3       2025-06-30     10    age 1, only purchase -> 2 ACT JUNIOR (n=1)
4       2024-09-15     80    age 2
4       2024-09-15    -20    same day: one purchase event of 60 (I2)
4       2024-04-10     40    age 3           -> k=2, n=2, m = 60 + 40 = 100 -> 3 COLD
5       2023-05-01     25    age 5           -> 5 LOST / LOST, m = 25
6       2025-08-31     12    P0 only         -> 1 NEW / NEW, n=1, m=12, k=0
6       2025-11-11     40    after as_of
7       2025-01-10    -15    a return only   -> no purchase event: absent (CV2)
8       2024-03-01     60    age 3
8       2023-10-01     10    age 4           -> k=3, n=2, m = ages 3..4 = 70 -> 4 LOST
======  ==========  =======  ==========================================================

Tier pools (CV6): 2 ACT with n >= 2 = {1: 150, 2: 30}, N = 2: customer 1 has
r = 0/2 = 0 -> PLATINA, customer 2 has r = 1/2 = 0.5 (not < 0.5) -> BRONZE.
3 COLD pool = {4}: r = 0 -> L.  4 LOST pool = {8}: r = 0 -> L.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pyarrow as pa
import pytest
import reference as _reference

D = _dt.date

AS_OF = "2025-09-01"

# (customer, day, amount): every amount is a whole number so that the same
# rows can be typed as floats, integers or decimals.
ROWS: list[tuple[int, _dt.date, int]] = [
    (1, D(2025, 3, 10), 100),
    (1, D(2024, 11, 5), 50),
    (1, D(2025, 10, 1), 999),
    (2, D(2025, 5, 20), 30),
    (2, D(2024, 2, 1), 20),
    (2, D(2025, 7, 1), 5),
    (3, D(2025, 6, 30), 10),
    (4, D(2024, 9, 15), 80),
    (4, D(2024, 9, 15), -20),
    (4, D(2024, 4, 10), 40),
    (5, D(2023, 5, 1), 25),
    (6, D(2025, 8, 31), 12),
    (6, D(2025, 11, 11), 40),
    (7, D(2025, 1, 10), -15),
    (8, D(2024, 3, 1), 60),
    (8, D(2023, 10, 1), 10),
]

# (customer, cv_group, cv_segment, periods_since_last, purchases, monetary,
#  first_purchase, last_purchase), sorted by customer (CV7).
EXPECTED: list[tuple[Any, ...]] = [
    (1, "2 ACT", "PLATINA", 1, 2, 150.0, D(2024, 11, 5), D(2025, 3, 10)),
    (2, "2 ACT", "BRONZE", 1, 2, 30.0, D(2024, 2, 1), D(2025, 7, 1)),
    (3, "2 ACT", "JUNIOR", 1, 1, 10.0, D(2025, 6, 30), D(2025, 6, 30)),
    (4, "3 COLD", "L", 2, 2, 100.0, D(2024, 4, 10), D(2024, 9, 15)),
    (5, "5 LOST", "LOST", 5, 1, 25.0, D(2023, 5, 1), D(2023, 5, 1)),
    (6, "1 NEW", "NEW", 0, 1, 12.0, D(2025, 8, 31), D(2025, 8, 31)),
    (8, "4 LOST", "L", 3, 2, 70.0, D(2023, 10, 1), D(2024, 3, 1)),
]

# What the report of that run must say (I3, I4, CV2).
EXPECTED_REPORT = dict(
    rows_read=16,
    rows_used=14,
    rows_after_as_of=2,
    rows_dropped={},
    customers_without_purchase=1,
    customers=7,
    as_of=D(2025, 9, 1),
)

OUT_COLUMNS = list(_reference.OUT_COLUMNS)


def base_table(ids: Any = None, dates: Any = None, amounts: Any = None, **names: str) -> pa.Table:
    """ROWS as an Arrow table (int64 ids, date32 days, float64 amounts), with any
    column replaced by the given array. ``names`` renames the columns."""
    cols = {
        names.get("customer", "customer_id"): ids
        if ids is not None
        else pa.array([r[0] for r in ROWS], pa.int64()),
        names.get("date", "date"): dates
        if dates is not None
        else pa.array([r[1] for r in ROWS], pa.date32()),
        names.get("amount", "amount"): amounts
        if amounts is not None
        else pa.array([float(r[2]) for r in ROWS], pa.float64()),
    }
    return pa.table(cols)


def _to_arrow(out: Any) -> pa.Table:
    if isinstance(out, pa.Table):
        return out
    mod = type(out).__module__
    if mod.startswith("pandas"):
        return pa.Table.from_pandas(out, preserve_index=False)
    if mod.startswith("polars"):
        return out.to_arrow()
    raise TypeError(f"unexpected output {type(out)!r}")


def _day(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        return v.date()
    return v


def normalise(out: Any, customer: str = "customer_id", id_map: Any = None) -> list[tuple[Any, ...]]:
    """Any output family -> list of tuples shaped like EXPECTED.  ``id_map``
    turns an output id back into the canonical integer id."""
    table = _to_arrow(out)
    assert table.column_names == [customer, *OUT_COLUMNS]
    rows = []
    for rec in table.to_pylist():
        cid = rec[customer]
        if id_map is not None:
            cid = id_map(cid)
        rows.append(
            (
                cid,
                rec["cv_group"],
                rec["cv_segment"],
                rec["periods_since_last"],
                rec["purchases"],
                rec["monetary"],
                _day(rec["first_purchase"]),
                _day(rec["last_purchase"]),
            )
        )
    return rows


def by_customer(out: Any, customer: str = "customer_id") -> dict[Any, tuple[Any, ...]]:
    """Output rows keyed by customer id: {id: (group, segment, k, n, m, first, last)}."""
    return {r[0]: r[1:] for r in normalise(out, customer)}


@pytest.fixture
def base() -> pa.Table:
    return base_table()


@pytest.fixture(scope="session")
def spark() -> Any:
    """The local[2] SparkSession shared by the Spark tests (``tests/spark_session.py``);
    fails with a clear message when no Java runtime is installed."""
    from spark_session import spark_session

    return spark_session()


# Under pytest-xdist with `--dist loadfile` (the test command), each module's tests run on
# one worker, and the Spark modules all on the same one: one local[2] session at a time
# (`--dist loadgroup` with markers would say the same, but does not group under pytest
# 9.2: xdist 3.8 tags node ids through an attribute pytest no longer reads).
SPARK_MODULES = {"test_spark", "test_spark_sql_rules", "test_bench_spark", "test_spark_example"}

try:
    from xdist.scheduler import LoadFileScheduling
except ImportError:  # without pytest-xdist, pytest runs the tests in order, in one process
    pass
else:

    class _SparkTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return "spark" if file.rsplit("/", 1)[-1][:-3] in SPARK_MODULES else file

    def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
        return _SparkTogether(config, log) if config.getvalue("dist") == "loadfile" else None
