"""Acceptance: every input family gives the same result, and the output follows the input.

The transaction set and its hand-computed result are in ``conftest.py``
(ROWS / EXPECTED).  Each test feeds the same rows in another shape (API.md:
"it accepts what they already hold") and compares the normalised result with
EXPECTED; some tests also check the output family and types (CV7) and that
results do not depend on chunking or threads (I5).
"""

from __future__ import annotations

import datetime as dt
import warnings
from decimal import Decimal
from zoneinfo import ZoneInfo

import custseg as cs
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pds
import pyarrow.parquet as pq
import pytest
from conftest import AS_OF, EXPECTED, EXPECTED_REPORT, OUT_COLUMNS, ROWS, base_table, normalise

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

SEMI = cs.Periods.semiannual(start_month=1)


def run(data=None, **kw):
    kw.setdefault("as_of", AS_OF)
    kw.setdefault("periods", SEMI)
    return cs.customer_value(data, **kw)


def pandas_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": np.array([r[0] for r in ROWS], dtype=np.int64),
            "date": pd.to_datetime([r[1].isoformat() for r in ROWS]),
            "amount": np.array([float(r[2]) for r in ROWS]),
        }
    )


def assert_arrow_labels(table: pa.Table) -> None:
    """CV7 for Arrow output: ordered dictionaries holding exactly the categories."""
    for name, cats in (("cv_group", cs.CV_GROUPS), ("cv_segment", cs.CV_SEGMENTS)):
        typ = table.schema.field(name).type
        assert pa.types.is_dictionary(typ), typ
        assert typ.ordered, f"{name} must be an ordered dictionary"
        assert typ.value_type == pa.string()
        for chunk in table.column(name).chunks:
            assert chunk.dictionary.to_pylist() == list(cats)


def assert_pandas_labels(df: pd.DataFrame) -> None:
    """CV7 for pandas output: ordered Categoricals with exactly the categories."""
    for name, cats in (("cv_group", cs.CV_GROUPS), ("cv_segment", cs.CV_SEGMENTS)):
        dtype = df[name].dtype
        assert isinstance(dtype, pd.CategoricalDtype), dtype
        assert dtype.ordered
        assert list(dtype.categories) == list(cats)


def assert_polars_labels(df) -> None:
    assert df.schema["cv_group"] == pl.Enum(list(cs.CV_GROUPS))
    assert df.schema["cv_segment"] == pl.Enum(list(cs.CV_SEGMENTS))


def assert_sorted_ids(out, customer="customer_id") -> None:
    ids = normalise(out, customer)
    raw = [r[0] for r in ids]
    assert raw == sorted(raw), "CV7: the result is sorted by customer id"


# -------------------- pandas
def test_pandas_numpy_backed_gives_expected_result_and_report():
    df = pandas_frame()
    out, rep = run(df, return_report=True)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["customer_id", *OUT_COLUMNS]
    assert normalise(out) == EXPECTED
    assert out["customer_id"].dtype == np.int64
    assert_pandas_labels(out)
    for key, value in EXPECTED_REPORT.items():
        assert getattr(rep, key) == value, key
    assert isinstance(rep, cs.Report)


def test_pandas_pyarrow_backed_dtypes():
    df = pandas_frame().convert_dtypes(dtype_backend="pyarrow")
    assert str(df["customer_id"].dtype) == "int64[pyarrow]"
    out = run(df)
    assert isinstance(out, pd.DataFrame)
    assert normalise(out) == EXPECTED
    assert_pandas_labels(out)


def test_pandas_pyarrow_backed_customer_dtype_is_kept():
    df = pandas_frame().convert_dtypes(dtype_backend="pyarrow")
    out = run(df)
    assert out["customer_id"].dtype == df["customer_id"].dtype


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_pandas_datetime64_units(unit):
    df = pandas_frame()
    # late in the evening, naive: counts on the day as written (I1)
    df["date"] = (df["date"] + pd.Timedelta(hours=23, minutes=59, seconds=59)).astype(
        f"datetime64[{unit}]"
    )
    assert normalise(run(df)) == EXPECTED


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_numpy_datetime64_columns_one_by_one(unit):
    ids = np.array([r[0] for r in ROWS], dtype=np.int64)
    days = np.array([r[1] for r in ROWS], dtype="datetime64[D]").astype(f"datetime64[{unit}]")
    amounts = np.array([float(r[2]) for r in ROWS])
    out = run(customer=ids, date=days, amount=amounts)
    assert normalise(out) == EXPECTED


def _tz_times(tz: str, special: dict[int, dt.time]) -> list[dt.datetime]:
    """Each row at noon local time, except the rows in ``special``."""
    z = ZoneInfo(tz)
    return [
        dt.datetime.combine(r[1], special.get(i, dt.time(12, 0)), tzinfo=z)
        for i, r in enumerate(ROWS)
    ]


# Row 11 is customer 6's only P0 purchase on 2025-08-31 and row 6 customer 3's
# purchase on 2025-06-30 (last day of 2025H1); row 5 is customer 2's P0 row on
# 2025-07-01 (first day of 2025H2).
NY_SPECIAL = {11: dt.time(22, 30), 6: dt.time(22, 30)}  # UTC: 2025-09-01 / 2025-07-01
AMS_SPECIAL = {5: dt.time(0, 30)}  # UTC: 2025-06-30 22:30


@pytest.mark.parametrize(
    "tz,special", [("America/New_York", NY_SPECIAL), ("Europe/Amsterdam", AMS_SPECIAL)]
)
def test_pandas_tz_aware_counts_on_local_calendar_day_I1(tz, special):
    df = pandas_frame()
    df["date"] = pd.to_datetime(_tz_times(tz, special)).tz_convert(tz)
    assert str(df["date"].dt.tz) == tz
    # the special rows fall on another UTC day
    for i in special:
        assert df["date"].iloc[i].tz_convert("UTC").date() != ROWS[i][1]
    out, rep = run(df, return_report=True)
    assert normalise(out) == EXPECTED
    assert rep.rows_after_as_of == 2


def test_tz_aware_local_day_explicit_I1():
    """I1 explicitly: 2025-08-31 22:30 in New York is 2025-09-01 02:30 UTC.  On
    its own calendar day it is before as_of = 2025-09-01 (a P0 purchase: NEW);
    counted in UTC it would be skipped and the customer absent.  2025-06-30
    22:30 New York (2025-07-01 UTC) is in 2025H1: ACT, not NEW."""
    z = ZoneInfo("America/New_York")
    t = pa.table(
        {
            "customer_id": pa.array([1, 2], pa.int64()),
            "date": pa.array(
                [
                    dt.datetime(2025, 8, 31, 22, 30, tzinfo=z),
                    dt.datetime(2025, 6, 30, 22, 30, tzinfo=z),
                ],
                pa.timestamp("us", tz="America/New_York"),
            ),
            "amount": pa.array([10.0, 20.0]),
        }
    )
    out, rep = run(t, return_report=True)
    got = {r[0]: r[1:] for r in normalise(out)}
    assert got[1][:3] == ("1 NEW", "NEW", 0)
    assert got[1][5] == got[1][6] == dt.date(2025, 8, 31)
    assert got[2][:3] == ("2 ACT", "JUNIOR", 1)
    assert got[2][5] == dt.date(2025, 6, 30)
    assert rep.rows_after_as_of == 0
    # Amsterdam: 2025-09-01 00:30 local (2025-08-31 22:30 UTC) is on as_of: skipped (I3)
    z = ZoneInfo("Europe/Amsterdam")
    t = pa.table(
        {
            "customer_id": pa.array([1, 1], pa.int64()),
            "date": pa.array(
                [dt.datetime(2025, 9, 1, 0, 30, tzinfo=z), dt.datetime(2025, 3, 1, 12, tzinfo=z)],
                pa.timestamp("ms", tz="Europe/Amsterdam"),
            ),
            "amount": pa.array([10.0, 20.0]),
        }
    )
    out, rep = run(t, return_report=True)
    assert normalise(out) == [
        (1, "2 ACT", "JUNIOR", 1, 1, 20.0, dt.date(2025, 3, 1), dt.date(2025, 3, 1))
    ]
    assert rep.rows_after_as_of == 1


def test_pandas_string_ids():
    df = pandas_frame()
    df["customer_id"] = [f"c{r[0]}" for r in ROWS]
    out = run(df)
    assert normalise(out, id_map=lambda s: int(s[1:])) == EXPECTED
    assert out["customer_id"].dtype == df["customer_id"].dtype
    assert_pandas_labels(out)


def test_pandas_categorical_ids():
    df = pandas_frame()
    df["customer_id"] = pd.Categorical([f"c{r[0]}" for r in ROWS])
    out = run(df)
    assert normalise(out, id_map=lambda s: int(s[1:])) == EXPECTED
    assert isinstance(out["customer_id"].dtype, pd.CategoricalDtype)
    assert_sorted_ids(out)


def test_pandas_int32_ids_and_renamed_columns():
    df = pandas_frame().rename(
        columns={"customer_id": "klant", "date": "datum", "amount": "bedrag"}
    )
    df["klant"] = df["klant"].astype(np.int32)
    out = run(df, customer="klant", date="datum", amount="bedrag")
    assert normalise(out, customer="klant") == EXPECTED
    assert out["klant"].dtype == np.int32


def test_pandas_series_one_by_one():
    df = pandas_frame()
    out = run(customer=df["customer_id"], date=df["date"], amount=df["amount"])
    assert isinstance(out, pd.DataFrame)
    assert normalise(out) == EXPECTED
    assert_pandas_labels(out)


def test_pyarrow_arrays_one_by_one():
    t = base_table()
    out = run(
        customer=t["customer_id"].combine_chunks(),
        date=t["date"].combine_chunks(),
        amount=t["amount"],
    )
    assert isinstance(out, pa.Table)
    assert normalise(out) == EXPECTED


# -------------------- polars
def test_polars_dataframe():
    df = pl.from_arrow(base_table())
    out = run(df)
    assert isinstance(out, pl.DataFrame)
    assert normalise(out) == EXPECTED
    assert_polars_labels(out)
    assert out.schema["customer_id"] == pl.Int64


def test_polars_lazyframe():
    lf = pl.from_arrow(base_table()).lazy()
    out = run(lf)
    assert isinstance(out, pl.DataFrame)
    assert normalise(out) == EXPECTED
    assert_polars_labels(out)


def test_polars_lazyframe_emits_no_warning():
    lf = pl.from_arrow(base_table()).lazy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(lf)
    assert [str(w.message) for w in caught] == []


def test_polars_string_ids():
    df = pl.from_arrow(base_table()).with_columns(
        pl.format("c{}", pl.col("customer_id")).alias("customer_id")
    )
    out = run(df)
    assert out.schema["customer_id"] == pl.String
    assert normalise(out, id_map=lambda s: int(s[1:])) == EXPECTED


# -------------------- Arrow
def test_pyarrow_table(base):
    out, rep = run(base, return_report=True)
    assert isinstance(out, pa.Table)
    assert normalise(out) == EXPECTED
    assert_arrow_labels(out)
    assert out.schema.field("customer_id").type == pa.int64()
    assert rep.rows_read == 16 and rep.rows_after_as_of == 2


def test_pyarrow_record_batch_reader(base):
    reader = pa.RecordBatchReader.from_batches(base.schema, base.to_batches(max_chunksize=5))
    out = run(reader)
    assert isinstance(out, pa.Table)
    assert normalise(out) == EXPECTED
    assert_arrow_labels(out)


def test_pyarrow_in_memory_dataset(base):
    out = run(pds.dataset(base))
    assert isinstance(out, pa.Table)
    assert normalise(out) == EXPECTED


def test_pyarrow_parquet_dataset_of_several_files(base, tmp_path):
    for i, start in enumerate(range(0, base.num_rows, 6)):
        pq.write_table(base.slice(start, 6), tmp_path / f"part{i}.parquet")
    out = run(pds.dataset(tmp_path, format="parquet"))
    assert isinstance(out, pa.Table)
    assert normalise(out) == EXPECTED
    assert_arrow_labels(out)


def test_duckdb_relation_from_arrow(base):
    con = duckdb.connect()
    rel = con.from_arrow(base)
    out = run(rel)
    assert isinstance(out, pa.Table)
    assert normalise(out) == EXPECTED
    assert_arrow_labels(out)


def test_duckdb_sql_relation(base):
    con = duckdb.connect()
    con.register("tx", base)
    rel = con.sql("SELECT customer_id, date, amount, 'x' AS other FROM tx")
    out = run(rel)
    assert normalise(out) == EXPECTED


class StreamOnly:
    """An object with nothing but the Arrow PyCapsule stream protocol."""

    def __init__(self, table: pa.Table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


def test_custom_object_with_only_arrow_c_stream(base):
    out = run(StreamOnly(base))
    assert isinstance(out, pa.Table)
    assert normalise(out) == EXPECTED
    assert_arrow_labels(out)


# -------------------- Arrow types
DATE_TYPES = [
    pa.date32(),
    pa.date64(),
    pa.timestamp("s"),
    pa.timestamp("ms"),
    pa.timestamp("us"),
    pa.timestamp("ns"),
    pa.timestamp("s", tz="UTC"),
    pa.timestamp("ns", tz="America/New_York"),
    pa.timestamp("us", tz="Asia/Kolkata"),
    pa.timestamp("ms", tz="+05:30"),
]


@pytest.mark.parametrize("typ", DATE_TYPES, ids=str)
def test_arrow_date_types(typ):
    if pa.types.is_timestamp(typ):
        if typ.tz is None:
            values = [dt.datetime.combine(r[1], dt.time(23, 59, 59)) for r in ROWS]
        else:
            tz = (
                dt.timezone(dt.timedelta(hours=5, minutes=30))
                if typ.tz == "+05:30"
                else ZoneInfo(typ.tz)
            )
            # just after local midnight: a different UTC day east of UTC
            values = [dt.datetime.combine(r[1], dt.time(0, 15), tzinfo=tz) for r in ROWS]
        dates = pa.array(values, typ)
    else:
        dates = pa.array([r[1] for r in ROWS], pa.date32()).cast(typ)
    out = run(base_table(dates=dates))
    assert normalise(out) == EXPECTED


AMOUNT_TYPES = [
    pa.float32(),
    pa.float64(),
    pa.int16(),
    pa.int32(),
    pa.int64(),
    pa.decimal128(12, 2),
    pa.decimal128(38, 6),
    pa.decimal128(10, 0),
]


@pytest.mark.parametrize("typ", AMOUNT_TYPES, ids=str)
def test_arrow_amount_types(typ):
    if pa.types.is_decimal(typ):
        amounts = pa.array([Decimal(r[2]) for r in ROWS], typ)
    else:
        amounts = pa.array([r[2] for r in ROWS], typ)
    out = run(base_table(amounts=amounts))
    assert normalise(out) == EXPECTED
    assert out.schema.field("monetary").type == pa.float64()


def test_decimal_amounts_with_cents():
    """I6: decimal amounts are exact: 17.60 + 5.67 - 23.27 = 0 is no purchase."""
    t = pa.table(
        {
            "customer_id": pa.array([1, 1, 1, 1], pa.int64()),
            "date": pa.array([dt.date(2025, 3, 1)] * 3 + [dt.date(2025, 4, 1)], pa.date32()),
            "amount": pa.array(
                [Decimal("17.60"), Decimal("5.67"), Decimal("-23.27"), Decimal("0.10")],
                pa.decimal128(9, 2),
            ),
        }
    )
    out = run(t)
    assert normalise(out) == [
        (1, "2 ACT", "JUNIOR", 1, 1, 0.1, dt.date(2025, 4, 1), dt.date(2025, 4, 1))
    ]


SIGNED = [pa.int8(), pa.int16(), pa.int32(), pa.int64()]
UNSIGNED = [pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()]


@pytest.mark.parametrize("typ", SIGNED, ids=str)
def test_arrow_signed_integer_ids(typ):
    # ids 1..8 -> -4..3: negative ids sort before positive ones
    ids = pa.array([r[0] - 5 for r in ROWS], typ)
    out = run(base_table(ids=ids))
    assert out.schema.field("customer_id").type == typ
    assert normalise(out, id_map=lambda v: v + 5) == EXPECTED
    assert_sorted_ids(out)


@pytest.mark.parametrize("typ", UNSIGNED, ids=str)
def test_arrow_unsigned_integer_ids(typ):
    offset = {8: 200, 16: 65000, 32: 2**32 - 20, 64: 2**63 + 5}[typ.bit_width]
    ids = pa.array([r[0] + offset for r in ROWS], typ)
    out = run(base_table(ids=ids))
    assert out.schema.field("customer_id").type == typ
    assert normalise(out, id_map=lambda v: v - offset) == EXPECTED
    assert_sorted_ids(out)


def test_uint64_ids_on_both_sides_of_2_63():
    """uint64 ids above 2**63 must not wrap to negative numbers (sorting, identity)."""
    big = 2**64 - 1
    ids = pa.array(
        [
            {1: 0, 2: 1, 3: 2**63 - 1, 4: 2**63, 5: 2**63 + 1, 6: big - 1, 7: big - 2, 8: big}[r[0]]
            for r in ROWS
        ],
        pa.uint64(),
    )
    out = run(base_table(ids=ids))
    got = [r[0] for r in normalise(out)]
    assert got == [0, 1, 2**63 - 1, 2**63, 2**63 + 1, big - 1, big]


STRING_TYPES = [pa.string(), pa.large_string(), pa.string_view()]


@pytest.mark.parametrize("typ", STRING_TYPES, ids=str)
def test_arrow_string_ids(typ):
    ids = pa.array([f"c{r[0]}" for r in ROWS], pa.string()).cast(typ)
    out = run(base_table(ids=ids))
    assert out.schema.field("customer_id").type == typ
    assert normalise(out, id_map=lambda s: int(s[1:])) == EXPECTED


@pytest.mark.parametrize(
    "index_type,values",
    [
        (pa.int32(), "string"),
        (pa.int8(), "string"),
        (pa.int16(), "int64"),
        (pa.int32(), "large_string"),
    ],
)
def test_arrow_dictionary_ids(index_type, values):
    if values == "int64":
        dictionary = pa.array([8, 7, 6, 5, 4, 3, 2, 1], pa.int64())  # deliberately not sorted
        to_int = int
    else:
        dictionary = pa.array([f"c{i}" for i in (8, 7, 6, 5, 4, 3, 2, 1)], getattr(pa, values)())
        to_int = lambda s: int(s[1:])  # noqa: E731
    indices = pa.array([8 - r[0] for r in ROWS], index_type)
    ids = pa.DictionaryArray.from_arrays(indices, dictionary)
    out = run(base_table(ids=ids))
    assert pa.types.is_dictionary(out.schema.field("customer_id").type)
    assert out.schema.field("customer_id").type.value_type == dictionary.type
    assert normalise(out, id_map=to_int) == EXPECTED
    assert_sorted_ids(out)


def test_dictionary_ids_differing_per_batch():
    """Two batches whose dictionaries differ (same id, different index) are one customer."""
    base = base_table()
    half = base.num_rows // 2
    batches = []
    for part in (base.slice(0, half), base.slice(half)):
        strs = pa.array([f"c{v}" for v in part["customer_id"].to_pylist()])
        batches.append(
            pa.record_batch(
                [
                    strs.dictionary_encode(),
                    part["date"].combine_chunks(),
                    part["amount"].combine_chunks(),
                ],
                names=["customer_id", "date", "amount"],
            )
        )
    # the dictionaries differ, so the batches must be given as a stream with a common type
    reader = pa.RecordBatchReader.from_batches(batches[0].schema, batches)
    out = run(reader)
    assert normalise(out, id_map=lambda s: int(s[1:])) == EXPECTED


# -------------------- empty, chunks, threads, order
def test_empty_table_gives_empty_result_with_schema():
    empty = base_table().slice(0, 0)
    out, rep = run(empty, return_report=True)
    assert isinstance(out, pa.Table)
    assert out.num_rows == 0
    assert out.column_names == ["customer_id", *OUT_COLUMNS]
    assert out.schema.field("customer_id").type == pa.int64()
    assert_arrow_labels(out)
    assert rep.rows_read == 0 and rep.customers == 0


def test_empty_pandas_and_polars_give_empty_frames():
    df = pandas_frame().iloc[:0]
    out = run(df)
    assert isinstance(out, pd.DataFrame) and len(out) == 0
    assert list(out.columns) == ["customer_id", *OUT_COLUMNS]
    assert_pandas_labels(out)
    pout = run(pl.from_arrow(base_table().slice(0, 0)))
    assert isinstance(pout, pl.DataFrame) and pout.height == 0
    assert_polars_labels(pout)


def test_threads_do_not_change_the_result_I5(base):
    one = run(base, threads=1)
    default = run(base)
    four = run(base, threads=4)
    assert one.equals(default) and four.equals(default)
    assert normalise(one) == EXPECTED


def test_many_batches_and_row_order_do_not_change_the_result_I5(base):
    single = run(base)
    one_row = pa.Table.from_batches(base.to_batches(max_chunksize=1))
    assert len(one_row.to_batches()) == base.num_rows
    assert run(one_row).equals(single)
    # a stream with empty batches in between
    batches = []
    for b in base.to_batches(max_chunksize=3):
        batches += [b.slice(0, 0), b]
    batches.append(pa.RecordBatch.from_pylist([], schema=base.schema))
    reader = pa.RecordBatchReader.from_batches(base.schema, batches)
    assert run(reader).equals(single)
    # reversed rows
    rev = base.take(pa.array(list(range(base.num_rows))[::-1]))
    assert run(rev).equals(single)


def _with_orders(orders: list) -> pa.Table:
    return base_table().append_column("order_id", pa.array(orders))


# one order per line, except customer 4's two same-day lines (one order, net 60)
ORDERS_INT = [101, 102, 103, 201, 202, 203, 301, 401, 401, 402, 501, 601, 602, 701, 801, 802]


@pytest.mark.parametrize("as_str", [False, True], ids=["int", "str"])
def test_order_column_mode_I2(as_str):
    orders = [f"o{o}" for o in ORDERS_INT] if as_str else ORDERS_INT
    out = run(_with_orders(orders), order="order_id")
    assert normalise(out) == EXPECTED


@pytest.mark.parametrize("as_str", [False, True], ids=["int", "str"])
def test_order_mode_two_orders_on_one_day_are_two_purchases_I2(as_str):
    """Customer 3's 2025-06-30 purchase split over two orders (4 + 6) is two
    purchase events in order mode (n=2), one in day mode.  With n=2 customer 3
    joins the 2 ACT pool {1: 150, 2: 30, 3: 10}, N = 3:
    1: r = 0 -> PLATINA; 2: r = 1/3 -> SILVER; 3: r = 2/3 -> BRONZE (CV6)."""
    rows = base_table()
    i3 = [r[0] for r in ROWS].index(3)
    extra = pa.table(
        {
            "customer_id": pa.array([3], pa.int64()),
            "date": pa.array([ROWS[i3][1]], pa.date32()),
            "amount": pa.array([6.0]),
        }
    )
    amounts = rows["amount"].to_pylist()
    amounts[i3] = 4.0
    t = pa.concat_tables([rows.set_column(2, "amount", pa.array(amounts)), extra])
    orders = ORDERS_INT + [399]
    if as_str:
        orders = [f"o{o}" for o in orders]
    t = t.append_column("order_id", pa.array(orders))
    got = {r[0]: r[1:] for r in normalise(run(t, order="order_id"))}
    assert got[1][:2] == ("2 ACT", "PLATINA")
    assert got[2][:2] == ("2 ACT", "SILVER")
    assert got[3] == ("2 ACT", "BRONZE", 1, 2, 10.0, dt.date(2025, 6, 30), dt.date(2025, 6, 30))
    # day mode: still one purchase event, JUNIOR
    day = {r[0]: r[1:] for r in normalise(run(t.drop_columns(["order_id"])))}
    assert day[3][:4] == ("2 ACT", "JUNIOR", 1, 1)


def test_file_row_counts_reach_the_core_as_a_reserve_hint(tmp_path):
    """Parquet and Arrow IPC files say their row count in their metadata: the core is
    told it (``rows_hint``) and reserves the lines' memory once, as for a table in
    memory (issue 17: a 10M-row Parquet file's append took 4-8x longer without); a
    small CSV file, its lines less the header. The answer is the same."""
    import pyarrow.csv as pcsv
    import pyarrow.feather as feather
    from custseg._files import FileStream
    from custseg._input import rows_hint

    table = base_table()
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), tmp_path / "a.parquet")
    pq.write_table(table.slice(half), tmp_path / "b.parquet")
    feather.write_feather(table, tmp_path / "t.arrow")
    pcsv.write_csv(table, tmp_path / "t.csv")

    parquet = pds.dataset([str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")])
    assert rows_hint(FileStream(parquet, None)) == table.num_rows
    ipc = pds.dataset(str(tmp_path / "t.arrow"), format="ipc")
    assert rows_hint(FileStream(ipc, None)) == table.num_rows
    csv = pds.dataset(str(tmp_path / "t.csv"), format="csv")
    assert rows_hint(FileStream(csv, None)) == table.num_rows
    assert rows_hint(table.to_reader()) is None  # a stream of unknown length

    expected = normalise(run(table))
    assert normalise(run(parquet)) == expected
    assert normalise(run(ipc)) == expected
    assert normalise(run(csv)) == expected


def test_large_csv_files_rows_are_estimated_from_the_first_mib(tmp_path):
    """CSV files larger than the sample: the lines of the first file's first MiB
    scaled to the files' total size (within a few percent for rows of even width);
    compressed files give no estimate (their bytes are not lines)."""
    import gzip

    import pyarrow.csv as pcsv
    from custseg._files import CSV_SAMPLE, FileStream

    n = 120_000
    rng = np.random.default_rng(3)
    table = pa.table(
        {
            "customer_id": pa.array([f"CUST-{i:07d}" for i in rng.integers(0, 10**6, n)]),
            "date": pa.array(rng.integers(18_000, 19_000, n).astype("datetime64[D]")),
            "amount": pa.array(np.round(rng.uniform(1, 500, n), 2)),
        }
    )
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    pcsv.write_csv(table, paths[0])
    pcsv.write_csv(table.slice(0, n // 3), paths[1])
    assert paths[0].stat().st_size > 2 * CSV_SAMPLE  # an estimate, not a count
    estimate = FileStream(pds.dataset([str(p) for p in paths], format="csv"), None).rows()
    assert estimate is not None and abs(estimate - (n + n // 3)) < 0.03 * n

    zipped = tmp_path / "c.csv.gz"
    zipped.write_bytes(gzip.compress(paths[1].read_bytes()))
    assert FileStream(pds.dataset(str(zipped), format="csv"), None).rows() is None


def test_a_file_whose_metadata_cannot_be_read_gives_no_hint(tmp_path):
    """A truncated Parquet file: no hint (the read that follows names the file)."""
    from custseg._files import FileStream

    path = tmp_path / "t.parquet"
    pq.write_table(base_table(), path)
    dataset = pds.dataset(str(path))
    path.write_bytes(path.read_bytes()[:-20])
    assert FileStream(dataset, None).rows() is None
    with pytest.raises(cs.InputError, match="t.parquet"):
        run(dataset)
