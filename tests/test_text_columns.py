"""Dates and amounts written as text, as analysts hold them (issue 14): ISO-8601
dates and date-times in any string layout count on the day as written (I1);
decimal text is read exactly to the millionth (I6); text that does not parse is an
error naming the column, the row and the text, or is dropped and counted (I4)."""

from __future__ import annotations

import datetime as dt
import io

import custseg as cs
import pandas as pd
import pyarrow as pa
import pytest
from conftest import base_table, normalise
from hypothesis import given, settings
from hypothesis import strategies as st

STRINGS = [pa.string(), pa.large_string(), pa.string_view()]


def as_text(t: pa.Table, column: str, texts: list[str], typ: pa.DataType) -> pa.Table:
    i = t.schema.get_field_index(column)
    return t.set_column(i, column, pa.array(texts, pa.string()).cast(typ))


@pytest.mark.parametrize("typ", STRINGS, ids=str)
def test_i1_iso_date_text_equals_the_dates(typ: pa.DataType) -> None:
    base = base_table()
    days = base["date"].to_pylist()
    written = [
        [d.isoformat() for d in days],
        [f"{d.isoformat()}T23:59:59.5+09:00" for d in days],  # its own zone's day
        [f"{d.isoformat()} 00:00:00Z" for d in days],
    ]
    want = normalise(cs.customer_value(base, as_of="2026-01-01"))
    for texts in written:
        t = as_text(base, "date", texts, typ)
        assert normalise(cs.customer_value(t, as_of="2026-01-01")) == want


@pytest.mark.parametrize("typ", STRINGS, ids=str)
def test_i6_decimal_text_equals_the_numbers(typ: pa.DataType) -> None:
    base = base_table()
    texts = [f"{v:.2f}" for v in base["amount"].to_pylist()]
    t = as_text(base, "amount", texts, typ)
    assert normalise(cs.customer_value(t, as_of="2026-01-01")) == normalise(
        cs.customer_value(base, as_of="2026-01-01")
    )


def test_a_csv_read_with_pandas_works_as_it_is() -> None:
    """pandas reads an ISO date column and a text amount column as strings."""
    csv = (
        "customer_id;date;amount\n"
        "1;2025-03-01;40.00\n1;2025-09-10T10:00:00+02:00;60.5\n2;2025-10-01 08:00;25\n"
    )
    df = pd.read_csv(io.StringIO(csv), sep=";", dtype={"amount": str})
    out = cs.customer_value(df, as_of="2026-01-01")
    assert list(out["monetary"]) == [100.5, 25.0]
    assert list(out["last_purchase"].dt.date) == [dt.date(2025, 9, 10), dt.date(2025, 10, 1)]


@pytest.mark.parametrize(
    ("column", "text", "cls", "needles"),
    [
        ("date", "01/02/2025", cs.InvalidDateError, ["01/02/2025", "I1", "ISO-8601"]),
        ("date", "2025-02-30", cs.InvalidDateError, ["2025-02-30", "I1"]),
        ("amount", "12,50", cs.InvalidAmountError, ["12,50", "decimal comma", "I6"]),
        ("amount", "1e3", cs.InvalidAmountError, ["1e3", "I6"]),
        ("amount", "99999999999999", cs.AmountRangeError, ["99999999999999", "I6"]),
    ],
)
def test_text_that_does_not_parse_names_column_row_and_text(column, text, cls, needles) -> None:
    base = base_table()
    if column == "date":
        texts = [d.isoformat() for d in base["date"].to_pylist()]
    else:
        texts = [f"{v:.2f}" for v in base["amount"].to_pylist()]
    texts[3] = text
    t = as_text(base, column, texts, pa.string())
    with pytest.raises(cls) as info:
        cs.customer_value(t, as_of="2026-01-01")
    msg = str(info.value)
    for needle in [f"'{column}'", "row 3", *needles]:
        assert needle in msg, msg
    out, report = cs.customer_value(t, as_of="2026-01-01", on_invalid="drop", return_report=True)
    assert report.rows_dropped_total == 1
    assert report.rows_used == t.num_rows - 1 - report.rows_after_as_of


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 5),
            st.dates(dt.date(2020, 1, 1), dt.date(2025, 12, 31)),
            st.integers(-10_000, 100_000),
            st.sampled_from(["", "T12:00", " 23:59:59.999Z", "T00:30-11:00"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_text_columns_equal_typed_columns(rows) -> None:
    """Any rows: ISO text dates and decimal text amounts give the typed columns' result."""
    typed = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "date": pa.array([r[1] for r in rows], pa.date32()),
            "amount": pa.array([r[2] / 100 for r in rows], pa.float64()),
        }
    )
    text = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "date": [r[1].isoformat() + r[3] for r in rows],
            "amount": [f"{r[2] / 100:.2f}" for r in rows],
        }
    )
    got = cs.segment(text, as_of="2026-01-01", lifetime_years=2.0)
    assert got.equals(cs.segment(typed, as_of="2026-01-01", lifetime_years=2.0))
