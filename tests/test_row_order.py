"""I5: the row order of the input never changes the result.

The reader has fast paths for input sorted or grouped by customer (the lines
stay in runs, with no scatter; string ids in increasing byte order get their
rank as id, with no hashing; a long sorted prefix stays a sorted front when a
key comes out of order). These tests run them at sizes where they engage
(parallel chunks of 2^16 rows, windows of 2^22 rows, a front of 2^20 keys) and
compare each with the same rows shuffled, which takes the general path
(hashed ids and partitions) that the property tests check against the
reference.
"""

from __future__ import annotations

import custseg
import numpy as np
import pyarrow as pa
import pytest


def shuffled(t: pa.Table, seed: int = 7) -> pa.Table:
    return t.take(np.random.default_rng(seed).permutation(t.num_rows))


def segment(t: pa.Table) -> pa.Table:
    return custseg.customer_value(t, as_of="2026-01-01")


@pytest.mark.parametrize("ids", ["int", "str"])
def test_grouped_by_date_and_shuffled_orders_agree(ids: str) -> None:
    t = custseg.datasets.synthetic(customers=60_000, years=4, seed=3, ids=ids)
    want = segment(t)
    assert want.num_rows > 50_000
    assert segment(shuffled(t)).equals(want)
    assert segment(t.sort_by([("date", "ascending")])).equals(want)
    # Batches of 1000 rows: runs cut by batches continue.
    assert segment(pa.Table.from_batches(t.to_batches(max_chunksize=1000))).equals(want)


def test_a_long_sorted_prefix_then_keys_out_of_order() -> None:
    """Over 2^20 customers with string ids in byte order, then rows out of order: a
    customer of the prefix coming back, new keys inside and outside its range."""
    t = custseg.datasets.synthetic(customers=1_100_000, years=1, seed=5, ids="str")
    ids = t.column("customer_id").to_pylist()
    assert ids == sorted(ids) and len(set(ids)) > 2**20
    late = pa.table(
        {
            "customer_id": [ids[10], "C0000003x", "A-first", "Z-last", ids[10], "C0000003x"],
            "date": pa.array([t.column("date")[0].as_py()] * 6, pa.date32()),
            "amount": [10.0, 20.0, 30.0, 40.0, 5.0, 1.0],
        },
        schema=t.schema,
    )
    both = pa.concat_tables([t, late])
    got = segment(both)
    assert got.equals(segment(shuffled(both)))
    out = got.column("customer_id").to_pylist()
    assert out == sorted(out)
    assert {"C0000003x", "A-first", "Z-last"} <= set(out)
