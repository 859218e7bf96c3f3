"""Acceptance: bad input (rule I4, I3, I6, P1 and the option rules) gives a clear error.

Every error is a ``custseg.CustsegError`` (a ``ValueError``) whose message names
the column, the first offending row (0-based, counted over the whole stream)
and the rule it breaks.  ``on_invalid="drop"`` skips invalid rows and counts
them by reason.  No input crashes the interpreter (hypothesis garbage test).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from decimal import Decimal

import custseg as cs
import custseg.errors
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401
import pytest
from conftest import AS_OF, EXPECTED, ROWS, base_table, normalise
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

pl = pytest.importorskip("polars")

SEMI = cs.Periods.semiannual(start_month=1)
ERROR_CLASSES = [
    "CustsegError",
    "ColumnNotFoundError",
    "UnsupportedTypeError",
    "NullValueError",
    "InvalidAmountError",
    "AmountRangeError",
    "InvalidDateError",
    "AsOfError",
    "PeriodsError",
    "ConfigError",
    "InputError",
]


def run(data=None, **kw):
    kw.setdefault("as_of", AS_OF)
    kw.setdefault("periods", SEMI)
    return cs.customer_value(data, **kw)


def expect(cls, fn, *fragments: str) -> str:
    """``fn()`` raises ``cls`` (a CustsegError and ValueError) whose message holds
    every fragment; returns the message."""
    with pytest.raises(cls) as info:
        fn()
    err = info.value
    assert isinstance(err, cs.CustsegError)
    assert isinstance(err, ValueError)
    msg = str(err)
    for frag in fragments:
        assert frag in msg, f"{frag!r} not in {msg!r}"
    return msg


def with_values(role: str, values: list, typ: pa.DataType | None = None) -> pa.Table:
    arr = pa.array(values, typ)
    return base_table(**{{"customer": "ids", "date": "dates", "amount": "amounts"}[role]: arr})


def column(role: str) -> list:
    i = {"customer": 0, "date": 1, "amount": 2}[role]
    return [r[i] if role != "amount" else float(r[i]) for r in ROWS]


ARROW_TYPE = {"customer": pa.int64(), "date": pa.date32(), "amount": pa.float64()}
COLUMN = {"customer": "customer_id", "date": "date", "amount": "amount"}


# -------------------- classes
@pytest.mark.parametrize("name", ERROR_CLASSES)
def test_error_classes_exported_and_subclass_of_base(name):
    cls = getattr(cs, name)
    assert getattr(custseg.errors, name) is cls
    assert issubclass(cls, cs.CustsegError)
    assert issubclass(cls, ValueError)
    assert name in cs.__all__ and name in custseg.errors.__all__


def test_internal_errors_are_their_own_class_and_ask_for_a_report():
    """A bug of custseg's own (a panic in the worker, an internal error of the core)
    reaches the user as InternalError, a RuntimeError, never as an input error."""
    assert issubclass(cs.InternalError, RuntimeError)
    assert not issubclass(cs.InternalError, cs.CustsegError)
    assert "InternalError" in cs.__all__ and custseg.errors.InternalError is cs.InternalError
    for kind in ("panic", "internal"):
        with pytest.raises(cs.InternalError, match="please report") as info:
            cs._core._internal_error_for_tests(kind)
        assert not isinstance(info.value, ValueError)


# -------------------- missing column
@pytest.mark.parametrize("role", ["customer", "date", "amount", "order"])
@pytest.mark.parametrize("family", ["arrow", "pandas", "polars", "lazy"])
def test_missing_column_lists_available_columns_I4(role, family):
    t = base_table()
    data = {
        "arrow": lambda: t,
        "pandas": lambda: t.to_pandas(),
        "polars": lambda: pl.from_arrow(t),
        "lazy": lambda: pl.from_arrow(t).lazy(),
    }[family]()
    msg = expect(cs.ColumnNotFoundError, lambda: run(data, **{role: "nope"}), "'nope'", "I4")
    for available in ("customer_id", "date", "amount"):
        assert available in msg.split("nope", 1)[1]


# -------------------- nulls
@pytest.mark.parametrize("role", ["customer", "date", "amount"])
def test_null_value_names_column_and_first_row_I4(role):
    values = column(role)
    values[3] = None
    values[5] = None
    msg = expect(
        cs.NullValueError,
        lambda: run(with_values(role, values, ARROW_TYPE[role])),
        f"'{COLUMN[role]}'",
        "row 3",
        "I4",
    )
    assert "row 5" not in msg


def test_null_order_names_column_and_first_row_I4():
    orders = list(range(100, 100 + len(ROWS)))
    orders[3] = None
    orders[5] = None
    t = base_table().append_column("order_id", pa.array(orders, pa.int64()))
    expect(cs.NullValueError, lambda: run(t, order="order_id"), "'order_id'", "row 3", "I4")


@pytest.mark.parametrize("role", ["customer", "date", "amount"])
def test_null_row_index_counts_over_the_whole_stream_I4(role):
    """Batch 1 holds 16 clean rows (and an empty batch), batch 2 a null at its
    row 2 and 4: the first bad row is 16 + 2 = 18."""
    clean = base_table().to_batches()[0]
    values = column(role)
    values[2] = None
    values[4] = None
    dirty = with_values(role, values, ARROW_TYPE[role]).to_batches()[0]
    reader = pa.RecordBatchReader.from_batches(clean.schema, [clean, clean.slice(0, 0), dirty])
    expect(cs.NullValueError, lambda: run(reader), f"'{COLUMN[role]}'", "row 18", "I4")


def test_null_in_pandas_input_names_row():
    df = base_table().to_pandas()
    df.loc[3, "amount"] = None  # NaN in a numpy float column: missing
    with pytest.raises(cs.CustsegError) as info:
        run(df)
    assert "'amount'" in str(info.value) and "row 3" in str(info.value) and "I4" in str(info.value)


# -------------------- amounts
@pytest.mark.parametrize("bad,shown", [(math.nan, "NaN"), (math.inf, "inf"), (-math.inf, "-inf")])
@pytest.mark.parametrize("typ", [pa.float64(), pa.float32()], ids=str)
def test_non_finite_amount_I4(bad, shown, typ):
    values = column("amount")
    values[4] = bad
    values[7] = bad
    msg = expect(
        cs.InvalidAmountError,
        lambda: run(with_values("amount", values, typ)),
        "'amount'",
        "row 4",
        "I4",
    )
    assert shown.lower() in msg.lower()


def test_amounts_as_text_that_is_no_number_name_the_row_I4():
    """Amounts written as decimal text are read (tests/test_text_columns.py); text
    that is no decimal number is an InvalidAmountError naming column, row and text."""
    values = [str(v) for v in column("amount")]
    values[2] = "12 EUR"
    t = with_values("amount", values)
    expect(cs.InvalidAmountError, lambda: run(t), "'amount'", "row 2", "12 EUR", "I6")
    df = base_table().to_pandas()
    df["amount"] = df["amount"].astype(str)
    assert normalise(run(df)) == normalise(run(base_table()))


@pytest.mark.parametrize("kind", ["int64", "int32", "float"])
def test_dates_as_numbers_are_unsupported_I4(kind):
    if kind == "float":
        t = with_values("date", [float(i) for i in range(len(ROWS))])
    else:
        t = with_values("date", [20250101 + i for i in range(len(ROWS))], getattr(pa, kind)())
    expect(cs.UnsupportedTypeError, lambda: run(t), "'date'", "I4")


@pytest.mark.parametrize(
    "typ", [pa.float64(), pa.bool_(), pa.binary(), pa.list_(pa.int64())], ids=str
)
def test_unsupported_customer_types_I4(typ):
    n = len(ROWS)
    values = {
        "double": [1.0] * n,
        "bool": [True] * n,
        "binary": [b"x"] * n,
    }.get(str(typ), [[1]] * n)
    t = with_values("customer", values, typ)
    expect(cs.UnsupportedTypeError, lambda: run(t), "'customer_id'", "I4")


@pytest.mark.parametrize(
    "value,typ",
    [
        (1e13, pa.float64()),
        (-1e13, pa.float64()),
        (10**13, pa.int64()),
        (2**63 - 1, pa.int64()),
        (2**64 - 1, pa.uint64()),
        (Decimal("10000000000000.00"), pa.decimal128(20, 2)),
    ],
    ids=["1e13", "-1e13", "int 1e13", "int64 max", "uint64 max", "decimal 1e13"],
)
def test_amount_out_of_fixed_point_range_I6(value, typ):
    values = column("amount")
    if isinstance(value, Decimal):
        values = [Decimal(int(v)) for v in values]
    elif pa.types.is_integer(typ):
        values = [abs(int(v)) if pa.types.is_unsigned_integer(typ) else int(v) for v in values]
    values[6] = value
    expect(
        cs.AmountRangeError,
        lambda: run(with_values("amount", values, typ)),
        "'amount'",
        "row 6",
        "I6",
    )


def test_amount_just_inside_the_range_is_fine_I6():
    """9e12 fits the fixed-point range (|x| * 1e6 < 2**63 ~ 9.22e18)."""
    t = pa.table(
        {
            "customer_id": [1],
            "date": pa.array([dt.date(2025, 1, 2)], pa.date32()),
            "amount": [9.0e12],
        }
    )
    assert normalise(run(t))[0][5] == 9.0e12


@pytest.mark.parametrize("ids", [[7, 7, 7, 8], ["x", "x", "x", "y"]], ids=["int", "str"])
def test_sum_overflow_names_the_customer_I6(ids):
    """Three rows of 9e12 each fit, their sum (2.7e13) does not."""
    t = pa.table(
        {
            "customer_id": ids,
            "date": pa.array(
                [
                    dt.date(2025, 1, 2),
                    dt.date(2025, 2, 2),
                    dt.date(2025, 3, 2),
                    dt.date(2025, 1, 2),
                ],
                pa.date32(),
            ),
            "amount": [9e12, 9e12, 9e12, 1.0],
        }
    )
    msg = expect(cs.AmountRangeError, lambda: run(t), "I6")
    assert re.search(r"customer '?x'?|customer 7\b", msg), msg


# -------------------- as_of
def test_as_of_before_all_data_I3():
    expect(cs.AsOfError, lambda: run(base_table(), as_of="2020-01-01"), "I3")
    # as_of on the earliest day: no row is before it either
    expect(cs.AsOfError, lambda: run(base_table(), as_of="2023-05-01"), "I3")


@pytest.mark.parametrize("bad", ["yesterday", "2025-13-01", "", 20250101])
def test_as_of_not_a_date_I3(bad):
    expect(cs.ConfigError, lambda: run(base_table(), as_of=bad), "as_of", "I3")


# -------------------- periods (P1)
@pytest.mark.parametrize(
    "make,fragment",
    [
        (lambda: cs.Periods(months=5, anchor="2024-01-01"), "months"),
        (lambda: cs.Periods(months=0, anchor="2024-01-01"), "months"),
        (lambda: cs.Periods(months=24, anchor="2024-01-01"), "months"),
        (lambda: cs.Periods(months=6, anchor="2024-01-29"), "anchor"),
        (lambda: cs.Periods(months=6, anchor="2024-02-30"), "2024-02-30"),
        (lambda: cs.Periods.annual(start_month=13), "start_month"),
        (lambda: cs.Periods.semiannual(start_month=0), "start_month"),
        (lambda: cs.Periods.quarterly(start_month=13), "start_month"),
        (lambda: cs.Periods.from_boundaries(["2024-01-01", "2023-01-01"]), "increasing"),
        (lambda: cs.Periods.from_boundaries(["2024-01-01", "2024-01-01"]), "increasing"),
        (lambda: cs.Periods.from_boundaries([]), "boundar"),
        (lambda: cs.Periods.from_boundaries(["2024-01-01", "later"]), "later"),
    ],
    ids=[
        "months=5",
        "months=0",
        "months=24",
        "anchor day 29",
        "anchor 02-30",
        "annual 13",
        "semiannual 0",
        "quarterly 13",
        "boundaries decreasing",
        "boundaries equal",
        "no boundaries",
        "boundary not a date",
    ],
)
def test_bad_period_config_P1(make, fragment):
    expect(cs.PeriodsError, make, fragment, "P1")


@pytest.mark.parametrize(
    "make",
    [lambda: cs.Periods(months=-6, anchor="2024-01-01"), lambda: cs.Periods.annual(start_month=-1)],
    ids=["months=-6", "start_month=-1"],
)
def test_negative_period_config_is_periods_error_P1(make):
    expect(cs.PeriodsError, make, "P1")


def test_data_before_first_boundary_P1():
    """ROWS row 10 (2023-05-01) is the first row before the first boundary 2024-01-01."""
    p = cs.Periods.from_boundaries(["2024-01-01", "2024-07-01", "2025-01-01", "2025-07-01"])
    msg = expect(
        cs.InvalidDateError, lambda: run(base_table(), periods=p), "'date'", "row 10", "P1"
    )
    assert "2023-05-01" in msg
    out, rep = run(base_table(), periods=p, on_invalid="drop", return_report=True)
    assert rep.rows_dropped == {"before_first_period": 2}  # rows 10 and 15


@pytest.mark.parametrize(
    "typ,value",
    [
        (pa.date32(), 2**31 - 1),
        (pa.date32(), -(2**31)),
        (pa.timestamp("s"), 2**62),
        (pa.date64(), -(2**62)),
    ],
    ids=["date32 max", "date32 min", "timestamp s huge", "date64 huge"],
)
def test_date_off_the_calendar_I1(typ, value):
    raw = [0] * len(ROWS)
    base_days = [(r[1] - dt.date(1970, 1, 1)).days for r in ROWS]
    scale = {"date32[day]": 1, "timestamp[s]": 86400, "date64[ms]": 86_400_000}[str(typ)]
    raw = [d * scale for d in base_days]
    raw[9] = value
    storage = pa.int32() if typ == pa.date32() else pa.int64()
    t = base_table(dates=pa.array(raw, storage).cast(typ))
    expect(cs.InvalidDateError, lambda: run(t), "'date'", "row 9")
    out, rep = run(t, on_invalid="drop", return_report=True)
    assert rep.rows_dropped == {"date_out_of_range": 1}


# -------------------- options
@pytest.mark.parametrize(
    "kw,cls,fragments",
    [
        (dict(cuts=(0.25, 0.05, 0.5)), cs.ConfigError, ("cuts", "CV6")),
        (dict(cuts=(0.05, 0.05, 0.5)), cs.ConfigError, ("cuts", "CV6")),
        (dict(cuts=(0.0, 0.25, 0.5)), cs.ConfigError, ("cuts", "CV6")),
        (dict(cuts=(0.05, 0.25, 1.0)), cs.ConfigError, ("cuts", "CV6")),
        (dict(cuts=(-0.1, 0.25, 0.5)), cs.ConfigError, ("cuts", "CV6")),
        (dict(cuts=(math.nan, 0.25, 0.5)), cs.ConfigError, ("cuts", "CV6")),
        (dict(cuts=(0.05, 0.25)), cs.ConfigError, ("cuts", "CV6")),
        (dict(cuts=(0.05, 0.25, 0.5, 0.75)), cs.ConfigError, ("cuts", "CV6")),
        (dict(sales_only=True, sales_months=(0, 7)), cs.ConfigError, ("sales_months", "CV5")),
        (dict(sales_only=True, sales_months=(1, 13)), cs.ConfigError, ("sales_months", "CV5")),
        (dict(sales_only=True, sales_lookback=0), cs.ConfigError, ("sales_lookback", "CV5")),
        (dict(monetary_periods=0), cs.ConfigError, ("monetary_periods", "CV3")),
        (dict(monetary_periods=-1), cs.ConfigError, ("monetary_periods", "CV3")),
        (dict(on_invalid="ignore"), cs.ConfigError, ("on_invalid", "I4")),
        (dict(threads=0), cs.ConfigError, ("threads",)),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else "",
)
def test_bad_options(kw, cls, fragments):
    expect(cls, lambda: run(base_table(), **kw), *fragments)


def test_negative_threads_is_config_error():
    expect(cs.ConfigError, lambda: run(base_table(), threads=-1), "threads")


# -------------------- drop mode
def test_on_invalid_drop_counts_by_reason_I4():
    """Six invalid rows appended to the clean ROWS: 2 null ids, 1 null date,
    1 NaN, 1 inf, 1 out of range (and one null amount): the result is that of
    the clean rows and each reason is counted."""
    extra = [
        (None, dt.date(2025, 1, 5), 1.0),
        (None, dt.date(2025, 2, 5), 2.0),
        (1, None, 3.0),  # would be a purchase of customer 1
        (2, dt.date(2025, 3, 5), math.nan),
        (3, dt.date(2025, 3, 5), math.inf),
        (3, dt.date(2025, 4, 5), 1e13),
        (3, dt.date(2025, 4, 6), None),
    ]
    rows = [(r[0], r[1], float(r[2])) for r in ROWS] + extra
    order = [5, 16, 0, 19, 9, 21, 3, 18, 11, 22, 1, 20, 17, 2, 4, 6, 7, 8, 10, 12, 13, 14, 15]
    assert sorted(order) == list(range(len(rows)))
    rows = [rows[i] for i in order]  # invalid rows scattered
    t = pa.table(
        {
            "customer_id": pa.array([r[0] for r in rows], pa.int64()),
            "date": pa.array([r[1] for r in rows], pa.date32()),
            "amount": pa.array([r[2] for r in rows], pa.float64()),
        }
    )
    out, rep = run(t, on_invalid="drop", return_report=True)
    assert normalise(out) == EXPECTED
    assert rep.rows_dropped == {
        "null_customer": 2,
        "null_date": 1,
        "null_amount": 1,
        "non_finite_amount": 2,
        "amount_out_of_range": 1,
    }
    assert rep.rows_read == 23
    assert rep.rows_used == 14
    assert rep.rows_after_as_of == 2
    assert rep.rows_dropped_total == 7
    # raise mode names the first invalid row in stream order: row 1 (null id)
    expect(cs.NullValueError, lambda: run(t), "row 1", "'customer_id'")


def test_on_invalid_drop_null_order():
    orders = list(range(100, 100 + len(ROWS))) + [None]
    t = pa.concat_tables(
        [
            base_table(),
            pa.table(
                {
                    "customer_id": pa.array([9], pa.int64()),
                    "date": pa.array([dt.date(2025, 1, 1)], pa.date32()),
                    "amount": [5.0],
                }
            ),
        ]
    ).append_column("order_id", pa.array(orders, pa.int64()))
    out, rep = run(t, order="order_id", on_invalid="drop", return_report=True)
    # customers 1..8 each have one order per line except customer 4 with two lines on
    # one day; here every line is its own order: customer 4's -20 order is a return
    got = {r[0]: r[1:] for r in normalise(out)}
    assert 9 not in got
    assert got[4][:4] == ("3 COLD", "L", 2, 2)
    assert rep.rows_dropped == {"null_order": 1}


def test_dropped_rows_do_not_make_customers_I4():
    t = pa.table(
        {
            "customer_id": pa.array([1, 2, 3], pa.int64()),
            "date": pa.array([dt.date(2025, 1, 1), dt.date(2025, 1, 1), None], pa.date32()),
            "amount": [1.0, math.nan, 1.0],
        }
    )
    out, rep = run(t, on_invalid="drop", return_report=True)
    assert [r[0] for r in normalise(out)] == [1]
    assert rep.customers_seen == 1
    assert rep.customers_without_purchase == 0


@pytest.mark.parametrize("on_invalid", ["raise", "drop"])
def test_all_null_dictionary_ids_I4(on_invalid):
    """pd.Categorical([None, None]) or dictionary_encode() of all-null strings gives a
    dictionary array with no values: a null customer at row 0 (I4), never a panic."""
    ids = pa.array([None, None], pa.string()).dictionary_encode()
    assert len(ids.dictionary) == 0
    t = pa.table(
        {
            "customer_id": ids,
            "date": pa.array([dt.date(2025, 1, 1)] * 2, pa.date32()),
            "amount": [1.0, 2.0],
        }
    )
    if on_invalid == "raise":
        expect(cs.NullValueError, lambda: run(t), "'customer_id'", "row 0", "I4")
    else:
        out, rep = run(t, on_invalid="drop", return_report=True)
        assert out.num_rows == 0
        assert rep.rows_dropped == {"null_customer": 2}


@pytest.mark.parametrize("rows", ["ab", ""], ids=["stream with rows", "only empty batch"])
def test_batch_with_empty_dictionary_I4_I5(rows):
    """A zero-row batch may carry an empty dictionary (RecordBatch.from_pylist([]),
    filtered scans): it must not change the result (I5), let alone panic (I4)."""
    schema = pa.schema(
        [
            ("customer_id", pa.dictionary(pa.int32(), pa.string())),
            ("date", pa.date32()),
            ("amount", pa.float64()),
        ]
    )
    empty = pa.RecordBatch.from_pylist([], schema=schema)
    assert len(empty.column(0).dictionary) == 0
    batches = [empty] + [
        pa.RecordBatch.from_pylist(
            [{"customer_id": c, "date": dt.date(2025, 1, 1), "amount": 1.0}], schema=schema
        )
        for c in rows
    ]
    out = run(pa.RecordBatchReader.from_batches(schema, batches))
    assert [r[0] for r in normalise(out)] == list(rows)


@pytest.mark.parametrize(
    "latest", [dt.date(9999, 12, 31), -719_164], ids=["9999-12-31", "0000-12-30"]
)
def test_default_as_of_outside_python_dates_I3(latest):
    """9999-12-31 (a common 'open end' sentinel) is a valid date32; the default
    as_of would be 10000-01-01, which Python's date cannot hold (likewise the
    year 0).  Whatever the product chooses, it must be a CustsegError (I4)."""
    days = (
        pa.array([latest], pa.date32())
        if isinstance(latest, dt.date)
        else pa.array([latest], pa.int32()).cast(pa.date32())
    )
    t = pa.table({"customer_id": [1], "date": days, "amount": [2.0]})
    try:
        run(t, as_of=None)
    except cs.CustsegError as e:
        assert "date" in str(e) or "as_of" in str(e)


def test_far_dates_with_explicit_as_of_are_fine_I3():
    t = pa.table(
        {
            "customer_id": [1, 1],
            "date": pa.array([dt.date(2022, 1, 8), dt.date(9999, 12, 31)], pa.date32()),
            "amount": [1.0, 2.0],
        }
    )
    out, rep = run(t, as_of="2025-01-01", return_report=True)
    assert rep.rows_after_as_of == 1
    assert normalise(out) == [
        (1, "5 LOST", "LOST", 6, 1, 1.0, dt.date(2022, 1, 8), dt.date(2022, 1, 8))
    ]


# -------------------- garbage never crashes
_EPOCH = dt.date(1970, 1, 1)
_I64 = (-(2**63), 2**63 - 1)

_TYPES = [
    pa.int8(),
    pa.int16(),
    pa.int32(),
    pa.int64(),
    pa.uint8(),
    pa.uint32(),
    pa.uint64(),
    pa.float16(),
    pa.float32(),
    pa.float64(),
    pa.bool_(),
    pa.string(),
    pa.large_string(),
    pa.string_view(),
    pa.binary(),
    pa.date32(),
    pa.date64(),
    pa.timestamp("s"),
    pa.timestamp("ns"),
    pa.timestamp("ms", tz="America/New_York"),
    pa.timestamp("us", tz="UTC"),
    pa.decimal128(12, 2),
    pa.decimal128(38, 0),
    pa.null(),
    pa.dictionary(pa.int8(), pa.string()),
    pa.dictionary(pa.int32(), pa.int64()),
    pa.list_(pa.int32()),
    pa.time32("s"),
    pa.duration("s"),
]


_SPARE = {"string": "spare", "int64": 0}


def _values(draw, typ: pa.DataType, n: int) -> pa.Array:
    nulls = st.none() if draw(st.booleans()) else st.nothing()

    def ints(lo, hi):
        edge = st.sampled_from([lo, hi, 0, -1 if lo < 0 else 1])
        return st.lists(st.one_of(st.integers(lo, hi), edge, nulls), min_size=n, max_size=n)

    if pa.types.is_null(typ):
        return pa.nulls(n)
    if pa.types.is_dictionary(typ):
        # dictionaries hold one spare, unused entry (as pandas categoricals with an
        # unused category do); the empty dictionary is test_all_null_dictionary_ids
        inner = _values(draw, typ.value_type, n)
        spare = _values(draw, typ.value_type, 1).fill_null(
            pa.scalar(_SPARE[str(typ.value_type)], typ.value_type)
        )
        dictionary = pa.concat_arrays([spare, inner.drop_null()]).unique()
        indices = pa.compute.index_in(inner, dictionary).cast(typ.index_type)
        return pa.DictionaryArray.from_arrays(indices, dictionary)
    if pa.types.is_integer(typ):
        info = (
            (0, 2**typ.bit_width - 1)
            if pa.types.is_unsigned_integer(typ)
            else (-(2 ** (typ.bit_width - 1)), 2 ** (typ.bit_width - 1) - 1)
        )
        return pa.array(draw(ints(*info)), typ)
    if pa.types.is_floating(typ):
        floats = st.one_of(
            st.floats(allow_nan=True, allow_infinity=True, width=min(typ.bit_width, 64)),
            st.sampled_from([0.0, -0.0, 1e13, -9.2e12, 9.2e12, 1e-7, 0.0000005]),
            nulls,
        )
        vals = draw(st.lists(floats, min_size=n, max_size=n))
        if typ == pa.float16():
            import numpy as np

            with np.errstate(all="ignore"):
                return pa.array(
                    np.array([np.nan if v is None else v for v in vals], dtype=np.float16)
                )
        return pa.array(vals, typ)
    if pa.types.is_boolean(typ):
        return pa.array(
            draw(st.lists(st.one_of(st.booleans(), nulls), min_size=n, max_size=n)), typ
        )
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        vals = draw(
            st.lists(
                st.one_of(st.text(max_size=5), st.sampled_from(["", "2025-01-01", "NaN"]), nulls),
                min_size=n,
                max_size=n,
            )
        )
        return pa.array(vals, pa.string()).cast(typ)
    if pa.types.is_binary(typ):
        return pa.array(
            draw(st.lists(st.one_of(st.binary(max_size=4), nulls), min_size=n, max_size=n)), typ
        )
    if pa.types.is_date32(typ) or pa.types.is_time32(typ):
        # around the data's years, plus the extremes of the storage type
        vals = draw(
            st.lists(
                st.one_of(st.integers(19000, 20600), st.integers(-(2**31), 2**31 - 1), nulls),
                min_size=n,
                max_size=n,
            )
        )
        if pa.types.is_time32(typ):
            vals = [None if v is None else v % 86400 for v in vals]
        return pa.array(vals, pa.int32()).cast(typ)
    if pa.types.is_date64(typ) or pa.types.is_timestamp(typ) or pa.types.is_duration(typ):
        per_day = {
            "date64": 86_400_000,
            "s": 86_400,
            "ms": 86_400_000,
            "us": 86_400_000_000,
            "ns": 86_400_000_000_000,
        }
        scale = per_day["date64" if pa.types.is_date64(typ) else typ.unit]
        near = st.integers(19000, 20600).map(lambda d: d * scale + 3600 * (scale // 86400) * 23)
        vals = draw(st.lists(st.one_of(near, st.integers(*_I64), nulls), min_size=n, max_size=n))
        return pa.array(vals, pa.int64()).cast(typ)
    if pa.types.is_decimal(typ):
        q = Decimal(1).scaleb(-typ.scale)
        big = 10 ** (typ.precision - typ.scale) - 1
        vals = draw(
            st.lists(
                st.one_of(
                    st.decimals(-big, big, places=typ.scale, allow_nan=False, allow_infinity=False),
                    nulls,
                ),
                min_size=n,
                max_size=n,
            )
        )
        ctx = decimal.Context(prec=80)
        return pa.array([None if v is None else ctx.quantize(v, q) for v in vals], typ)
    if pa.types.is_list(typ):
        return pa.array(
            draw(
                st.lists(
                    st.one_of(st.lists(st.integers(-5, 5), max_size=2), nulls),
                    min_size=n,
                    max_size=n,
                )
            ),
            typ,
        )
    raise AssertionError(typ)


@st.composite
def garbage(draw):
    n = draw(st.integers(0, 12))
    # mostly plausible types, sometimes anything
    plausible = {
        "customer_id": [
            pa.int64(),
            pa.uint64(),
            pa.string(),
            pa.dictionary(pa.int32(), pa.string()),
            pa.int8(),
        ],
        "date": [
            pa.date32(),
            pa.timestamp("ns"),
            pa.timestamp("ms", tz="America/New_York"),
            pa.date64(),
        ],
        "amount": [pa.float64(), pa.int64(), pa.decimal128(12, 2), pa.float32()],
    }
    cols = {}
    for name, usual in plausible.items():
        typ = (
            draw(st.sampled_from(usual))
            if draw(st.integers(0, 3))
            else draw(st.sampled_from(_TYPES))
        )
        cols[name] = _values(draw, typ, n)
    full = pa.record_batch(list(cols.values()), names=list(cols))
    # split into batches, some of them empty (an empty dictionary has its own
    # test, test_batch_with_empty_dictionary)
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    reader_batches, last = [], 0
    for c in cuts + [n]:
        reader_batches.append(full.slice(last, c - last))
        last = c
    as_ofs = [None, "2025-01-01", "1970-01-01", "2200-01-01"]
    kw = dict(
        as_of=draw(st.sampled_from(as_ofs)),
        on_invalid=draw(st.sampled_from(["raise", "drop"])),
        sales_only=draw(st.booleans()),
        count_zero_days=draw(st.booleans()),
        monetary_periods=draw(st.integers(1, 3)),
        periods=draw(
            st.sampled_from(
                [
                    SEMI,
                    cs.Periods.monthly(),
                    cs.Periods(months=3, anchor="2024-02-15"),
                    cs.Periods.from_boundaries(["2024-01-01", "2025-01-01"]),
                ]
            )
        ),
    )
    if draw(st.booleans()):
        kw["order"] = "amount" if draw(st.booleans()) else "customer_id"
    return reader_batches, kw


@settings(
    max_examples=int(__import__("os").environ.get("GARBAGE_N", 100)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(garbage())
def test_garbage_never_crashes_I4(case):
    batches, kw = case
    data = pa.RecordBatchReader.from_batches(batches[0].schema, batches)
    try:
        out = cs.customer_value(data, **kw)
    except cs.CustsegError as e:
        event(type(e).__name__)
        return
    event("ok")
    assert isinstance(out, pa.Table)
    assert out.column_names[0] == "customer_id"


def test_pandas_object_column_of_mixed_garbage_is_an_error():
    df = pd.DataFrame(
        {"customer_id": [1, "a", 2.5], "date": ["x", None, 3], "amount": [1, "b", None]}
    )
    with pytest.raises(cs.CustsegError):
        run(df)


def test_missing_column_is_reported_whatever_the_other_columns_hold():
    """I4: a column that Arrow cannot read must not hide the missing one."""
    df = pd.DataFrame(
        {"customer_id": [1], "date": pd.to_datetime(["2025-01-01"]), "weird": [object()]}
    )
    with pytest.raises(cs.ColumnNotFoundError, match=r"'amount'.*'weird'"):
        cs.customer_value(df)


@pytest.mark.parametrize(
    "call, option, value",
    [
        (cs.rfm, "bins", 2.5),
        (cs.customer_value, "on_invalid", None),
        (cs.customer_value, "threads", "2"),
        (cs.clv, "lifetime_years", "x"),
    ],
)
def test_an_option_of_the_wrong_type_is_named(call, option, value):
    """Found by the API fuzz harness (issue 18): pyo3's "failed to extract field
    RfmArgs.bins" becomes "option bins: <why>"."""
    tx = cs.datasets.synthetic(customers=50, years=2, seed=1)
    with pytest.raises(TypeError, match=rf"^option {option}: "):
        call(tx, **{option: value})
