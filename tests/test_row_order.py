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
import pyarrow.compute as pc
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


@pytest.mark.parametrize("mark", ["", "!"])
def test_a_long_sorted_prefix_then_keys_out_of_order(mark: str) -> None:
    """Over 2^20 customers with string ids in byte order, then rows out of order: a
    customer of the prefix coming back, new keys inside and outside its range.
    With a mark after the ids they are kept as a sorted front; as they are
    (numbered), a range of numbers, then hashed strings from the first key of
    another form."""
    t = custseg.datasets.synthetic(customers=1_100_000, years=1, seed=5, ids="str")
    if mark:
        t = _with_suffix(t, mark)
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


def _with_suffix(t: pa.Table, suffix: str) -> pa.Table:
    """The table with every customer id followed by ``suffix``: ids that are no
    longer numbered (a prefix and digits), so they take the string paths. A
    suffix below every byte of the ids keeps their order (I5): a key before
    a longer key it starts stays before it."""
    ids = pc.binary_join_element_wise(t.column("customer_id"), suffix, "")
    return t.set_column(0, t.schema.field(0), ids)


def _without_suffix(t: pa.Table, suffix: str) -> pa.Table:
    ids = pc.replace_substring(t.column("customer_id"), suffix, "")
    return t.set_column(0, t.schema.field(0), ids)


@pytest.mark.parametrize("order", ["grouped", "by-date", "shuffled"])
def test_numbered_ids_equal_the_string_paths(order: str) -> None:
    """Numbered ids ("C0000042": one prefix, a fixed number of digits) intern as
    a range of numbers; the same ids with a mark after them take the sorted and
    hashed string paths. Both give the same table (the mark taken off again)."""
    t = custseg.datasets.synthetic(customers=60_000, years=4, seed=11, ids="str")
    if order == "by-date":
        t = t.sort_by([("date", "ascending")])
    elif order == "shuffled":
        t = shuffled(t)
    t = pa.Table.from_batches(t.to_batches(max_chunksize=200_000))
    got = segment(t)
    plain = _without_suffix(segment(_with_suffix(t, "!")), "!")
    assert got.num_rows > 50_000
    assert got.equals(plain)


@pytest.mark.parametrize("order", ["grouped", "by-date", "shuffled"])
def test_numbered_ids_that_outgrow_their_padding_equal_the_string_paths(order: str) -> None:
    """A counter past its padding ("C0042" ... "C9999", then "C10000" ... "C59999", as
    the benchmark's 10.27M customers outgrow "C0000042"): the keys stay numbered, but
    byte order is no longer numeric order ("C10000" < "C9999"); the rows come out in
    byte order all the same, as the string paths give them."""
    t = custseg.datasets.synthetic(customers=60_000, years=4, seed=17, ids="int")
    number = pc.cast(t.column("customer_id"), pa.string())
    ids = pc.binary_join_element_wise("C", pc.utf8_lpad(number, 4, "0"), "")
    t = t.set_column(0, pa.field("customer_id", pa.string(), nullable=False), ids)
    if order == "by-date":
        t = t.sort_by([("date", "ascending")])
    elif order == "shuffled":
        t = shuffled(t)
    first = t.column("customer_id")[0].as_py()
    assert len(first) == 5 or order == "shuffled", first
    got = segment(t)
    plain = _without_suffix(segment(_with_suffix(t, "!")), "!")
    out = got.column("customer_id").to_pylist()
    assert got.num_rows > 50_000 and out == sorted(out)
    assert any(len(c) > 5 for c in out) and any(len(c) == 5 for c in out)
    assert got.equals(plain)
    rfm = custseg.rfm(t, as_of="2026-01-01")
    assert rfm.equals(_without_suffix(custseg.rfm(_with_suffix(t, "!"), as_of="2026-01-01"), "!"))


@pytest.mark.parametrize("spill", [False, True])
def test_a_late_key_of_another_form_turns_numbered_ids_hashed(spill: bool, tmp_path) -> None:
    """Keys of another form after many numbered ones, in a later window (lines
    held, in memory or spilled): the ids held are interned again as strings, and
    the result is that of the string paths. The numbered rows come as one batch
    of over 2^20 rows, which the reader takes as a window of its own (smaller
    batches are gathered into windows of 2^20 rows)."""
    t = custseg.datasets.synthetic(customers=130_000, years=4, seed=13, ids="str")
    t = t.sort_by([("date", "ascending")]).combine_chunks()
    assert t.num_rows > 2**20
    day = t.column("date")[t.num_rows - 1].as_py()
    late = pa.table(
        {
            "customer_id": ["GUEST", t.column("customer_id")[5].as_py(), "C12", "C00000077"],
            "date": pa.array([day] * 4, pa.date32()),
            "amount": [10.0, 20.0, 30.0, 40.0],
        },
        schema=t.schema,
    )
    both = pa.Table.from_batches([*t.to_batches(), *late.to_batches()])
    assert both.to_batches()[0].num_rows == t.num_rows
    kw = {"memory_limit": 0, "spill_dir": tmp_path} if spill else {}
    got = custseg.customer_value(both, as_of="2026-01-01", **kw)
    plain = _without_suffix(
        custseg.customer_value(_with_suffix(both, "!"), as_of="2026-01-01"), "!"
    )
    assert got.equals(plain)
    assert {"GUEST", "C12", "C00000077"} <= set(got.column("customer_id").to_pylist())
