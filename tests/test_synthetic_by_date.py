"""The synthetic table as a transaction log (issue 17): ``synthetic_stream(order="by-date")``
gives exactly the rows of ``synthetic`` sorted by date with a stable sort (within a day by
customer id, a customer's lines of a day as generated), generated window by window while read.
"""

from __future__ import annotations

import datetime as dt
import time

import custseg as cs
import pyarrow as pa
import pytest


@pytest.mark.parametrize(
    ("customers", "years", "seed", "ids", "extra", "window_rows", "batch_rows"),
    [
        (3_000, 3, 42, "int", False, 10_000, 4_000),
        (2_345, 2, 7, "str", False, 5_000, 100_000),
        (1_500, 4, 1, "int", True, 3_000, 2_500),
        (20_000, 1, 3, "str", True, 30_000, 7_777),  # past the sample the windows are cut by
        (800, 10, 11, "int", False, 1, 1_000),  # a window a day
        (1, 2, 5, "int", False, 16_000_000, 1),
    ],
)
def test_the_stream_is_the_table_sorted_by_date(
    customers, years, seed, ids, extra, window_rows, batch_rows
):
    kw = dict(customers=customers, years=years, seed=seed, ids=ids, extra_columns=extra)
    reader = cs.datasets.synthetic_stream(
        **kw, order="by-date", window_rows=window_rows, batch_rows=batch_rows
    )
    assert isinstance(reader, pa.RecordBatchReader)
    batches = list(reader)
    assert all(0 < b.num_rows <= batch_rows for b in batches)
    want = cs.datasets.synthetic(**kw).sort_by([("date", "ascending")])
    got = pa.concat_tables([pa.Table.from_batches([b]) for b in batches])
    assert got.schema == want.schema
    assert got.equals(want)
    if want.num_rows > 2 * window_rows:
        assert len(batches) > 2


def test_the_order_is_stable_within_a_day():
    """Within a day by customer id; a customer's purchase lines before its returns."""
    t = cs.datasets.synthetic_stream(customers=5_000, order="by-date", window_rows=8_000).read_all()
    rows = list(zip(t["date"].to_pylist(), t["customer_id"].to_pylist(), strict=True))
    assert rows == sorted(rows)
    assert len({d for d, _ in rows}) > 300


def test_it_is_a_stream():
    """The first batch of a billion-row log comes at once: only its window is generated."""
    reader = cs.datasets.synthetic_stream(
        customers=100_000_000, years=10, order="by-date", window_rows=20_000, batch_rows=5_000
    )
    t = time.perf_counter()
    first = reader.read_next_batch()
    assert time.perf_counter() - t < 30
    assert first.num_rows == 5_000
    assert set(first["date"].to_pylist()) == {dt.date(2016, 1, 1)}


def test_a_segmentation_over_the_log_equals_the_one_over_the_table():
    kw = dict(customers=6_000, years=3, seed=9, ids="str")
    log = cs.datasets.synthetic_stream(**kw, order="by-date", window_rows=10_000, batch_rows=3_000)
    got = cs.customer_value(log, memory_limit=0)
    assert got.equals(cs.customer_value(cs.datasets.synthetic(**kw)))


def test_grouped_is_the_default_and_bad_options_are_refused():
    kw = dict(customers=2_000, batch_customers=500)
    grouped = cs.datasets.synthetic_stream(**kw, order="grouped").read_all()
    assert grouped.equals(cs.datasets.synthetic_stream(**kw).read_all())
    assert grouped.equals(cs.datasets.synthetic(customers=2_000))
    with pytest.raises(cs.ConfigError, match='order must be "grouped" or "by-date"'):
        cs.datasets.synthetic_stream(customers=10, order="by_date")  # type: ignore[arg-type]
    for name in ("window_rows", "batch_rows"):
        with pytest.raises(cs.ConfigError, match=name):
            cs.datasets.synthetic_stream(customers=10, order="by-date", **{name: 0})
    with pytest.raises(cs.ConfigError, match='order must be "grouped" or "by-date"'):
        cs._core.synthetic(10, 1, 1, 0, False, order="shuffled")
    empty = cs.datasets.synthetic_stream(customers=0, order="by-date").read_all()
    assert empty.num_rows == 0
    assert empty.schema == cs.datasets.synthetic(customers=0).schema
