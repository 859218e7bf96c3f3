"""The data shipped inside the package: the CDNOW transactions (master and sample),
read back with the documented columns, counts and dates, in every family."""

from __future__ import annotations

import datetime as dt

import custseg as cs
import pyarrow as pa
import pytest

COUNTS = {"master": (69_659, 23_570), "sample": (6_919, 2_357)}


@pytest.mark.parametrize("which", ["master", "sample"])
def test_cdnow_has_the_published_rows_and_customers(which: str) -> None:
    t = cs.datasets.cdnow(which)
    assert isinstance(t, pa.Table)
    assert t.schema == pa.schema(
        [
            ("customer_id", pa.int64()),
            ("date", pa.date32()),
            ("quantity", pa.int64()),
            ("amount", pa.float64()),
        ]
    )
    rows, customers = COUNTS[which]
    assert t.num_rows == rows
    assert len(set(t["customer_id"].to_pylist())) == customers
    days = t["date"].to_pylist()
    assert (min(days), max(days)) == (dt.date(1997, 1, 1), dt.date(1998, 6, 30))
    assert min(t["quantity"].to_pylist()) >= 0


def test_cdnow_sample_customers_are_master_customers() -> None:
    """The sample is a tenth of the master's customers, with all their lines."""
    master = cs.datasets.cdnow("master")
    sample = cs.datasets.cdnow("sample")
    ids = set(sample["customer_id"].to_pylist())
    lines = [r for r in master.to_pylist() if r["customer_id"] in ids]
    assert sorted(map(tuple, (r.values() for r in lines))) == sorted(
        map(tuple, (r.values() for r in sample.to_pylist()))
    )


@pytest.mark.parametrize("output", ["pandas", "polars"])
def test_cdnow_in_every_family(output: str) -> None:
    frame = cs.datasets.cdnow("sample", output=output)
    assert type(frame).__module__.split(".")[0] == output
    assert list(frame.columns) == ["customer_id", "date", "quantity", "amount"]
    assert len(frame) == COUNTS["sample"][0]


def test_cdnow_rejects_unknown_names() -> None:
    with pytest.raises(cs.ConfigError, match="master"):
        cs.datasets.cdnow("full")  # type: ignore[arg-type]
    with pytest.raises(cs.ConfigError, match="output"):
        cs.datasets.cdnow(output="excel")  # type: ignore[arg-type]


def test_the_package_holds_its_types_stubs_and_data() -> None:
    """What a user installs: the typing marker, the stubs of the compiled module and
    the bundled data sit next to the modules (the test command tests the wheel)."""
    from pathlib import Path

    here = Path(cs.__file__).parent
    for name in ("py.typed", "_core.pyi", "data/cdnow_master.parquet", "data/cdnow_sample.parquet"):
        assert (here / name).is_file(), name


def test_synthetic_extra_columns_follow_customer_value() -> None:
    """synthetic(extra_columns=True) adds channel and category; the other columns are
    those of the plain table; PLATINA customers buy more premium and more online
    than BRONZE ones (something true for profiling to find)."""
    plain = cs.datasets.synthetic(customers=20_000, years=3, seed=3)
    tx = cs.datasets.synthetic(customers=20_000, years=3, seed=3, extra_columns=True)
    assert tx.column_names == ["customer_id", "date", "amount", "channel", "category"]
    assert tx.select(plain.column_names).equals(plain)
    assert tx["channel"].type.value_type == pa.string() and tx["category"].type.ordered
    df = tx.to_pandas()
    cv = cs.customer_value(tx.select(plain.column_names), as_of="2026-01-01").to_pandas()
    seg = df.merge(cv[["customer_id", "cv_segment"]], on="customer_id")
    seg = seg[seg["amount"] > 0]

    def share(segment: str, column: str, value: str) -> float:
        rows = seg[seg["cv_segment"] == segment]
        return float((rows[column] == value).mean())

    assert share("PLATINA", "category", "premium") > share("BRONZE", "category", "premium") + 0.05
    assert share("PLATINA", "channel", "store") < share("BRONZE", "channel", "store") - 0.05


@pytest.mark.parametrize("output", ["arrow", "pandas", "polars"])
def test_donations_is_the_bgbb_summary(output: str) -> None:
    """cs.datasets.donations(): the 22 patterns of the BG/BB paper's donations data
    (11,104 donors, 24,615 repeat donations, six opportunities each), int64 columns
    frequency, recency, n_periods, weights, in every family; the file is in the
    package (the wheel must hold it, tasks.py WHEEL_MUST_HOLD)."""
    from pathlib import Path

    assert (Path(cs.__file__).parent / "data" / "donations.csv").is_file()
    t = pa.table(cs.datasets.donations(output=output))
    assert t.schema == pa.schema(
        [(c, pa.int64()) for c in ("frequency", "recency", "n_periods", "weights")]
    )
    rows = t.to_pylist()
    assert len(rows) == 22
    assert sum(r["weights"] for r in rows) == 11_104
    assert sum(r["frequency"] * r["weights"] for r in rows) == 24_615
    assert {r["n_periods"] for r in rows} == {6}
    assert all(r["frequency"] <= r["recency"] <= 6 for r in rows if r["frequency"] > 0)
    assert rows[0] == {"frequency": 0, "recency": 0, "n_periods": 6, "weights": 3464}
    with pytest.raises(cs.ConfigError, match="output"):
        cs.datasets.donations(output="excel")  # type: ignore[arg-type]
