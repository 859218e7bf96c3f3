"""CLV4's calibration/holdout table (``custseg.calibration_holdout``) against
``tests/reference_holdout.py``: random tables, hand-worked examples, the
calibration columns against ``rfm_summary`` at ``calibration_end`` + 1 day,
the report, the errors, and the CDNOW sample's 39-week holdout (1,882 repeat
purchase days, the figure in tests/test_btyd.py's docstring)."""

from __future__ import annotations

import datetime
import os
import sys
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

import custseg as cs  # noqa: E402
import reference_holdout as ref  # noqa: E402

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CAL_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
HOLD_COLUMNS = ["frequency_holdout", "monetary_value_holdout", "duration_holdout"]
END = datetime.date(2024, 12, 31)
CENTS = st.one_of(
    st.integers(-5000, 20000),
    st.sampled_from([0, 0, 1000, 2000, 550, -1000, 1760, 567, -2327]),
)


@st.composite
def transactions(draw) -> list[tuple]:
    """Rows (customer, day, amount) of 1-8 customers over ~2 years: same-day
    lines, zero amounts, returns (some cancelling a purchase exactly: I2 zero
    days), int or string ids, in a random order."""
    n_customers = draw(st.integers(1, 8))
    string_ids = draw(st.booleans())
    hot = draw(st.lists(st.integers(0, 700), min_size=1, max_size=5))
    lines = draw(
        st.lists(
            st.tuples(
                st.integers(0, 7), st.integers(0, 9), st.integers(0, 700), CENTS, st.integers(0, 5)
            ),
            min_size=1,
            max_size=50,
        )
    )
    rows = []
    for c, h, own, cents, ret in lines:
        c = c % n_customers
        d = END - datetime.timedelta(days=own if h >= 5 else hot[h % len(hot)])
        cust = f"c{c:02d}" if string_ids else c * 7 - 20
        rows.append((cust, d, cents / 100))
        if cents > 0 and ret < 2:  # an exact return, same day or the day after
            rows.append((cust, d + datetime.timedelta(days=ret), -cents / 100))
    return draw(st.permutations(rows))


def near_a_row(draw, rows: list[tuple]) -> datetime.date:
    """A day on, just before or just after a row's day (the boundaries that
    matter), or anywhere around the rows."""
    days = [r[1] for r in rows]
    if draw(st.booleans()):
        return draw(st.sampled_from(days)) + datetime.timedelta(days=draw(st.integers(-1, 1)))
    lo, hi = min(days), max(days)
    return lo + datetime.timedelta(days=draw(st.integers(-5, (hi - lo).days + 5)))


def frame(rows: list[tuple], family: str) -> Any:
    df = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1] for r in rows]),
            "amount": [r[2] for r in rows],
        }
    )
    if family == "arrow":
        return pa.Table.from_pandas(df, preserve_index=False)
    if family == "polars":
        pl = pytest.importorskip("polars")
        return pl.from_pandas(df)
    return df


def records(out: Any) -> list[dict]:
    if isinstance(out, pd.DataFrame):
        return pa.Table.from_pandas(out, preserve_index=False).to_pylist()
    if isinstance(out, pa.Table):
        return out.to_pylist()
    return out.to_arrow().to_pylist()


def assert_same(got: list[dict], want: dict, columns: list[str]) -> None:
    """The product's records equal the reference's, == and types too, in customer order."""
    ids = [g["customer_id"] for g in got]
    assert ids == list(want), f"customers: got {ids}, want {list(want)}"
    for g in got:
        assert list(g) == ["customer_id", *columns]
        w = want[g["customer_id"]]
        for col in columns:
            assert g[col] == w[col] and type(g[col]) is type(w[col]), (
                f"customer {g['customer_id']!r}, {col}: got {g[col]!r}, want {w[col]!r}"
            )


# ====================================================================== properties
@SETTINGS
@given(data=st.data())
def test_matches_reference(data) -> None:
    """CLV4 / I2 / I3 / I6: the table equals the reference exactly on random
    tables (rows shuffled), ends on, before or after rows' days, units D and W,
    count_zero_days both ways, every family; no row on or before
    calibration_end is an AsOfError."""
    rows = data.draw(transactions())
    cal = near_a_row(data.draw, rows)
    obs = cal + datetime.timedelta(days=data.draw(st.integers(1, 400)))
    unit = data.draw(st.sampled_from(["D", "W"]))
    zero = data.draw(st.booleans())
    family = data.draw(st.sampled_from(["pandas", "arrow", "polars"]))
    as_text = data.draw(st.booleans())

    def run() -> Any:
        return cs.calibration_holdout(
            frame(rows, family),
            calibration_end=cal.isoformat() if as_text else cal,
            observation_end=obs.isoformat() if as_text else obs,
            unit=unit,
            count_zero_days=zero,
        )

    if cal < min(r[1] for r in rows):
        with pytest.raises(cs.AsOfError, match="calibration_end"):
            run()
        return
    want = ref.calibration_holdout(rows, cal, obs, unit=unit, count_zero_days=zero)
    assert_same(records(run()), want, CAL_COLUMNS + HOLD_COLUMNS)


@SETTINGS
@given(data=st.data())
def test_calibration_columns_are_rfm_summary_at_calibration_end_plus_one(data) -> None:
    """The calibration columns are exactly ``rfm_summary(as_of=calibration_end +
    1 day)`` (same customers, same values and types, same unit carried), in
    pandas as the models read it; the threads do not change the table (I5)."""
    rows = data.draw(transactions())
    cal = max(near_a_row(data.draw, rows), min(r[1] for r in rows))
    obs = cal + datetime.timedelta(days=data.draw(st.integers(1, 100)))
    unit = data.draw(st.sampled_from(["D", "W"]))
    zero = data.draw(st.booleans())
    df = frame(rows, "pandas")
    out = cs.calibration_holdout(
        df, calibration_end=cal, observation_end=obs, unit=unit, count_zero_days=zero
    )
    s = cs.rfm_summary(df, as_of=cal + datetime.timedelta(days=1), unit=unit, count_zero_days=zero)
    pd.testing.assert_frame_equal(out[list(s.columns)], s)
    assert out.attrs == s.attrs == {"custseg.unit": unit}
    one = cs.calibration_holdout(
        df, calibration_end=cal, observation_end=obs, unit=unit, count_zero_days=zero, threads=1
    )
    pd.testing.assert_frame_equal(one, out)


# ======================================================================= by hand
HAND = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 4],
        "date": pd.to_datetime(
            [
                "2025-01-01",  # 1: first purchase (10)
                "2025-01-15",  # 1: 20
                "2025-01-28",  # 1: the calibration end: 30 in the calibration
                "2025-01-29",  # 1: the first holdout day: a zero day
                "2025-02-12",  # 1: 50
                "2025-02-25",  # 1: the observation end: 70
                "2025-01-20",  # 2: 5
                "2025-02-26",  # 2: after the observation end: skipped (I3)
                "2025-02-01",  # 3: first purchase in the holdout: not in the table
                "2025-01-10",  # 3: a return only before it
                "2025-03-01",  # 4: after the observation end only
            ]
        ),
        "amount": [10.0, 20.0, 30.0, 0.0, 50.0, 70.0, 5.0, 9.0, 8.0, -4.0, 1.0],
    }
)


def test_hand_worked() -> None:
    """Calibration to 2025-01-28, observation to 2025-02-25, in days. Customer 1:
    events 01-01, 01-15, 01-28 (frequency 2, recency 27, T 27, (20 + 30) / 2 =
    25); holdout 02-12 (50) and 02-25 (70): 2 events worth 60 on average; the
    zero day 01-29 is one more with count_zero_days: 3 events, 120 / 3 = 40.
    Customer 2: 01-20 only (T 8); its 02-26 row is after the observation end.
    Customer 3 first buys in the holdout, customer 4 after it: not in the table.
    The holdout lasts 28 days (4 weeks)."""
    out = cs.calibration_holdout(
        HAND, calibration_end="2025-01-28", observation_end="2025-02-25", unit="D"
    )
    assert records(out) == [
        {"customer_id": 1, "frequency": 2, "recency": 27.0, "T": 27.0, "monetary_value": 25.0,
         "frequency_holdout": 2, "monetary_value_holdout": 60.0, "duration_holdout": 28.0},
        {"customer_id": 2, "frequency": 0, "recency": 0.0, "T": 8.0, "monetary_value": 0.0,
         "frequency_holdout": 0, "monetary_value_holdout": 0.0, "duration_holdout": 28.0},
    ]  # fmt: skip
    out, rep = cs.calibration_holdout(
        HAND,
        calibration_end=datetime.date(2025, 1, 28),
        observation_end=datetime.date(2025, 2, 25),
        unit="W",
        count_zero_days=True,
        return_report=True,
    )
    got = records(out)
    assert [g["customer_id"] for g in got] == [1, 2]
    assert (got[0]["frequency_holdout"], got[0]["monetary_value_holdout"]) == (3, 40.0)
    assert (got[0]["T"], got[0]["duration_holdout"]) == (27 / 7, 4.0)
    # The report: as_of is the day after the observation end; the rows after it are
    # counted (I3); customers 3 (first purchase in the holdout) and 4 (none before
    # the observation end) are among those without a purchase.
    assert rep.as_of == datetime.date(2025, 2, 26)
    assert (rep.rows_read, rep.rows_used, rep.rows_after_as_of) == (11, 9, 2)
    assert (rep.customers_seen, rep.customers, rep.customers_without_purchase) == (4, 2, 2)


def test_dates_in_every_form_give_the_same_table() -> None:
    """calibration_end and observation_end read as as_of does (I3): ISO text,
    date, datetime, numpy datetime64, pandas Timestamp."""
    forms = [
        ("2025-01-28", "2025-02-25"),
        (datetime.date(2025, 1, 28), datetime.date(2025, 2, 25)),
        (datetime.datetime(2025, 1, 28, 23, 59), datetime.datetime(2025, 2, 25, 0, 1)),
        (np.datetime64("2025-01-28"), np.datetime64("2025-02-25T12:00")),
        (pd.Timestamp("2025-01-28"), pd.Timestamp("2025-02-25")),
    ]
    tables = [cs.calibration_holdout(HAND, calibration_end=c, observation_end=o) for c, o in forms]
    for t in tables[1:]:
        pd.testing.assert_frame_equal(t, tables[0])
    assert tables[0]["duration_holdout"].tolist() == [4.0, 4.0]


def test_columns_as_arrays_and_empty_input() -> None:
    """``data=None`` with the columns as arrays, as every call takes them; an
    empty input gives an empty table with the eight columns (I4)."""
    out = cs.calibration_holdout(
        customer=HAND["customer_id"].to_numpy(),
        date=HAND["date"].to_numpy(),
        amount=HAND["amount"].to_numpy(),
        calibration_end="2025-01-28",
        observation_end="2025-02-25",
    )
    assert len(out) == 2
    empty = cs.calibration_holdout(
        pa.Table.from_pandas(HAND.iloc[:0], preserve_index=False),
        calibration_end="2025-01-28",
        observation_end="2025-02-25",
    )
    assert empty.num_rows == 0
    assert empty.column_names == ["customer_id", *CAL_COLUMNS, *HOLD_COLUMNS]
    assert [str(t) for t in empty.schema.types[1:]] == [
        "int64", "double", "double", "double", "int64", "double", "double"
    ]  # fmt: skip


# ========================================================================= errors
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"calibration_end": "2025-02-25", "observation_end": "2025-02-25"}, cs.ConfigError,
         "calibration_end .* must be before observation_end"),
        ({"calibration_end": "2025-03-01", "observation_end": "2025-02-25"}, cs.ConfigError,
         "must be before observation_end"),
        ({"calibration_end": "2025-13-01", "observation_end": "2025-02-25"}, cs.ConfigError,
         "calibration_end '2025-13-01' is not an ISO date"),
        ({"calibration_end": "2025-01-28", "observation_end": 20250225}, cs.ConfigError,
         "observation_end must be a date"),
        ({"calibration_end": None, "observation_end": "2025-02-25"}, cs.ConfigError,
         "calibration_end is required"),
        ({"calibration_end": "2025-01-28", "observation_end": "9999-12-31"}, cs.ConfigError,
         "observation_end .* must be before 9999-12-31"),
        ({"calibration_end": "2024-12-31", "observation_end": "2025-02-25"}, cs.AsOfError,
         "calibration_end 2024-12-31 is before the earliest day in the data"),
        ({"calibration_end": "2025-01-28", "observation_end": "2025-02-25", "unit": "M"},
         cs.ConfigError, "discrete=True"),
        ({"calibration_end": "2025-01-28", "observation_end": "2025-02-25", "unit": "w"},
         cs.ConfigError, 'unit must be "D"'),
        ({"calibration_end": "2025-01-28", "observation_end": "2025-02-25", "unit": 7},
         cs.ConfigError, 'unit must be "W"'),
        ({"calibration_end": "2025-01-28", "observation_end": "2025-02-25",
          "on_invalid": "ignore"}, cs.ConfigError, "on_invalid"),
        ({"calibration_end": "2025-01-28", "observation_end": "2025-02-25",
          "amount": "price"}, cs.ColumnNotFoundError, "price"),
    ],
)  # fmt: skip
def test_bad_dates_and_options_are_clear_errors(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        cs.calibration_holdout(HAND, **kwargs)


def test_both_ends_are_required() -> None:
    with pytest.raises(TypeError, match="observation_end"):
        cs.calibration_holdout(HAND, calibration_end="2025-01-28")  # type: ignore[call-arg]


def test_invalid_rows_are_refused_or_dropped_as_in_rfm_summary() -> None:
    """I4 as everywhere: a NaN amount raises naming the row; dropped, it is counted."""
    bad = HAND.assign(amount=HAND["amount"].where(HAND.index != 4, np.nan))
    with pytest.raises(cs.InvalidAmountError, match="row 4"):
        cs.calibration_holdout(bad, calibration_end="2025-01-28", observation_end="2025-02-25")
    out, rep = cs.calibration_holdout(
        bad,
        calibration_end="2025-01-28",
        observation_end="2025-02-25",
        on_invalid="drop",
        return_report=True,
    )
    assert rep.rows_dropped_total == 1
    assert out["frequency_holdout"].tolist() == [1, 0]


# ========================================================================== CDNOW
def test_cdnow_holdout() -> None:
    """The CDNOW sample, calibration to 1997-09-30, holdout to 1998-06-30, weeks,
    zero-value days counted: 2,357 customers, 1,882 repeat purchase days in the
    39-week holdout (tests/test_btyd.py); the calibration columns are the
    summary the BG/NBD tests fit."""
    sample = cs.datasets.cdnow("sample", output="pandas")
    out = cs.calibration_holdout(
        sample,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        unit="W",
        count_zero_days=True,
    )
    assert len(out) == 2_357
    assert int(out["frequency_holdout"].sum()) == 1_882
    assert set(out["duration_holdout"]) == {39.0}
    s = cs.rfm_summary(sample, as_of="1997-10-01", unit="W", count_zero_days=True)
    pd.testing.assert_frame_equal(out[list(s.columns)], s)


def test_many_customers_spilled_in_partitions_and_threads(tmp_path) -> None:
    """I5 on a bigger table (3,000 customers, rows in a random order): in memory,
    spilled to partition files (memory_limit=0) and on 1 or 4 threads, the
    table is the reference's; the holdout facts stay with their customers when
    the partitions' facts are put in key order."""
    tx = cs.datasets.synthetic(customers=3_000, years=2, seed=1)
    tx = tx.take(np.random.default_rng(5).permutation(tx.num_rows))
    rows = list(
        zip(
            tx["customer_id"].to_pylist(),
            tx["date"].to_pylist(),
            tx["amount"].to_pylist(),
            strict=True,
        )
    )
    cal, obs = datetime.date(2025, 3, 31), datetime.date(2025, 9, 30)
    want = ref.calibration_holdout(rows, cal, obs, unit="W")
    assert sum(w["frequency_holdout"] > 0 for w in want.values()) > 500
    for options in [
        {"threads": 1, "memory_limit": None},
        {"threads": 4, "memory_limit": 0, "spill_dir": tmp_path},
    ]:
        out, rep = cs.calibration_holdout(
            tx, calibration_end=cal, observation_end=obs, return_report=True, **options
        )
        assert_same(records(out), want, CAL_COLUMNS + HOLD_COLUMNS)
        assert (rep.bytes_spilled > 0) == (options["memory_limit"] == 0)
