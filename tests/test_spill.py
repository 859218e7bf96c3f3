"""Spilling to disk (issue 3: inputs larger than memory) gives exactly the in-memory answer.

``memory_limit=0`` writes the lines to the partitioned spill files after every
input window (every record batch here), so every rule (I2 day and order sums,
CV1-CV6) runs on lines read back from disk. Id layouts that change while lines
are on disk are covered: integer ids that fall batch after batch (ids shift)
and ids that turn sparse (ids are re-hashed and the spilled lines rewritten
into their new partitions), for customers and for orders.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import custseg
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

from test_cv_properties import (  # noqa: E402
    FEWER,
    arrow_records,
    assert_same,
    cases,
    product,
    reference,
    to_frame,
)

SPARSE = 2**40  # far beyond any id range the interner keeps (it re-hashes)


def layout(rows, kind: str):
    """Rows with customer and order ids laid out as `kind`, sorted by customer so
    that later batches bring the new ids: ``plain``; ``falling`` (ids decrease
    batch after batch: the range grows downwards, ids shift); ``sparse`` (the
    upper half of the customers get huge ids: the range gives way to hashing)."""
    n = max(r[0] for r in rows) + 1
    out = []
    for c, d, cents, o in sorted(rows, key=lambda r: r[0]):
        order = c * 5 + o  # orders are per customer: keep them distinct across customers
        if kind == "falling":
            c, order = 1000 - c, 1000 - order
        elif kind == "sparse" and c >= n // 2:
            c, order = c * SPARSE, order * SPARSE
        out.append((c, d, cents, order))
    return out


@FEWER
@given(
    case=cases(),
    chunk=st.integers(1, 9),
    kind=st.sampled_from(["plain", "falling", "sparse"]),
)
def test_spilled_run_equals_in_memory_run_and_reference(case, chunk, kind, tmp_path_factory):
    rows, cfg, string_ids = case
    rows = layout(rows, "plain" if string_ids else kind)
    t = pa.Table.from_pandas(to_frame(rows, string_ids), preserve_index=False)
    t = pa.Table.from_batches(t.to_batches(max_chunksize=chunk), schema=t.schema)
    spill_dir = tmp_path_factory.mktemp("spill")

    memory, mem_report = product(t, cfg, memory_limit=None, return_report=True)
    spilled, report = product(t, cfg, memory_limit=0, spill_dir=spill_dir, return_report=True)

    assert mem_report.bytes_spilled == 0
    assert report.bytes_spilled > 0
    assert spilled.equals(memory), f"\n{spilled}\n!=\n{memory}"
    assert {**vars(report), "bytes_spilled": 0} == vars(mem_report)
    assert_same(
        arrow_records(spilled),
        reference(rows, cfg, string_ids),
        spilled.column("customer_id").to_pylist(),
    )
    assert list(spill_dir.iterdir()) == [], "the spill files are removed after the run"


def test_spill_on_a_larger_table_with_a_small_budget(tmp_path: Path):
    tx = custseg.datasets.synthetic(customers=30_000, years=3, seed=3)
    batches = pa.Table.from_batches(tx.to_batches(max_chunksize=10_000))
    want = custseg.customer_value(tx, as_of="2026-01-01", memory_limit=None)
    got, report = custseg.customer_value(
        batches, as_of="2026-01-01", memory_limit="100kB", spill_dir=tmp_path, return_report=True
    )
    assert got.equals(want)
    # Adjacent same-day lines of a customer share a line: fewer than 16 bytes a row.
    assert 0 < report.bytes_spilled < 16 * tx.num_rows + 64 * 16 * (tx.num_rows // 10_000 + 1)
    assert report.rows_used == tx.num_rows
    assert list(tmp_path.iterdir()) == []


def test_a_missing_spill_folder_is_an_os_error_naming_it(tmp_path: Path):
    tx = custseg.datasets.synthetic(customers=100, years=1)
    missing = tmp_path / "no" / "such"
    with pytest.raises(OSError, match=r"could not spill lines to disk at .*no/such"):
        custseg.customer_value(tx, memory_limit=0, spill_dir=missing)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (123, 123),
        ("4GB", 4 * 10**9),
        ("512 MiB", 512 * 2**20),
        ("1.5g", 1_500_000_000),
        ("10kb", 10_000),
        (None, None),
    ],
)
def test_memory_limit_sizes(value, expected):
    from custseg._memory import memory_limit_bytes

    assert memory_limit_bytes(value) == expected


def test_memory_limit_auto_is_half_of_what_is_available():
    from custseg._memory import available_memory, memory_limit_bytes

    avail = available_memory()
    auto = memory_limit_bytes("auto")
    assert auto is not None and auto > 0
    if avail:
        assert auto == avail // 2 or abs(auto - avail // 2) < 2**30  # memory moves a little


@pytest.mark.parametrize("bad", ["lots", "4XB", -1, 1.5, True, "-3GB"])
def test_bad_memory_limit_is_a_config_error(bad):
    tx = custseg.datasets.synthetic(customers=10, years=1)
    with pytest.raises(custseg.ConfigError, match="memory_limit"):
        custseg.customer_value(tx, memory_limit=bad)


def test_spill_files_are_removed_when_the_run_fails(tmp_path: Path):
    """An invalid row after lines were spilled raises, and leaves nothing on disk."""
    tx = custseg.datasets.synthetic(customers=2_000, years=2, seed=2)
    tx = tx.cast(pa.schema([f.with_nullable(True) for f in tx.schema]))
    bad = pa.table(
        {
            "customer_id": pa.array([1], pa.int64()),
            "date": pa.array([None], pa.date32()),
            "amount": pa.array([1.0]),
        }
    )
    batches = pa.Table.from_batches([*tx.to_batches(max_chunksize=1_000), *bad.to_batches()])
    with pytest.raises(custseg.NullValueError, match=f"row {tx.num_rows}"):
        custseg.customer_value(batches, memory_limit=0, spill_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_rfm_and_clv_spill_too(tmp_path: Path):
    tx = custseg.datasets.synthetic(customers=3_000, years=3, seed=4)
    batches = pa.Table.from_batches(tx.to_batches(max_chunksize=2_000))
    kw = dict(as_of="2026-01-01", lifetime_years=2.0)
    want = custseg.segment(tx, memory_limit=None, **kw)
    got, report = custseg.segment(
        batches, memory_limit=0, spill_dir=tmp_path, return_report=True, **kw
    )
    assert report.bytes_spilled > 0
    assert got.equals(want)
