"""CLV4's discrete-period summary for the BG/BB model (Fader, Hardie and Shang
2010), ``custseg.rfm_summary(..., discrete=True)``, against
``tests/reference_holdout.py``: random tables and boundaries in every unit,
hand-worked examples, the as_of rule and the errors."""

from __future__ import annotations

import datetime
import os
import sys

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

import custseg as cs  # noqa: E402
import reference_holdout as ref  # noqa: E402
from test_calibration_holdout import (  # noqa: E402
    SETTINGS,
    assert_same,
    frame,
    near_a_row,
    records,
    transactions,
)

COLUMNS = ["frequency", "recency", "n_periods", "monetary_value"]
UNITS = ["Y", "Q", "M", "W", "D"]
ONE_DAY = datetime.timedelta(days=1)


def boundaries_around(day: datetime.date, unit: str) -> tuple[datetime.date, datetime.date]:
    """The period boundary on or before ``day`` and the one after it, by walking day by day."""
    before = day
    while not ref.is_boundary(before, unit):
        before -= ONE_DAY
    after = day + ONE_DAY
    while not ref.is_boundary(after, unit):
        after += ONE_DAY
    return before, after


@SETTINGS
@given(data=st.data())
def test_matches_reference(data) -> None:
    """CLV4 / I2 / I3 / I6: equal to the reference exactly (== and types) on
    random tables (rows shuffled) in every unit, count_zero_days both ways,
    every family, as_of a boundary near the rows' days or the default; an
    as_of off a boundary is a ConfigError naming the rule and the nearest
    boundaries."""
    rows = data.draw(transactions())
    unit = data.draw(st.sampled_from(UNITS))
    zero = data.draw(st.booleans())
    family = data.draw(st.sampled_from(["pandas", "arrow", "polars"]))
    kind = data.draw(st.sampled_from(["boundary", "next boundary", "default", "any day"]))
    day = near_a_row(data.draw, rows)
    as_of = {
        "boundary": boundaries_around(day, unit)[0],
        "next boundary": boundaries_around(day, unit)[1],
        "default": None,
        "any day": day,
    }[kind]
    resolved = as_of or max(r[1] for r in rows) + ONE_DAY

    def run() -> object:
        return cs.rfm_summary(
            frame(rows, family), as_of=as_of, unit=unit, discrete=True, count_zero_days=zero
        )

    if resolved <= min(r[1] for r in rows):
        with pytest.raises(cs.AsOfError):
            run()
        return
    if not ref.is_boundary(resolved, unit):
        before, after = boundaries_around(resolved, unit)
        with pytest.raises(cs.ConfigError, match=f"CLV4.*{before} and {after}"):
            run()
        return
    want = ref.discrete_summary(rows, as_of, unit, count_zero_days=zero)
    assert_same(records(run()), want, COLUMNS)


def test_hand_worked_months() -> None:
    """Months to 2025-04-01. Customer 1: first period January; February and March
    are whole periods after it (n_periods 2); March holds an event (frequency 1,
    recency 2); the events after the first (01-20 and 03-10) average (20 + 40) / 2.
    Customer 2 first buys in February: one period after it (March), no event
    there. Customer 3's only purchase day nets to zero: a customer only with
    count_zero_days, first period March, no whole period after it. The rows on
    or after as_of are not used (I3)."""
    df = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 3, 3],
            "date": pd.to_datetime(
                [
                    "2025-01-05",
                    "2025-01-20",
                    "2025-03-10",
                    "2025-03-11",
                    "2025-02-03",
                    "2025-04-02",
                    "2025-03-31",
                    "2025-03-31",
                ]
            ),
            "amount": [10.0, 20.0, 40.0, -50.0, 5.0, 7.0, 17.6, -17.6],
        }
    )
    out, rep = cs.rfm_summary(df, as_of="2025-04-01", unit="M", discrete=True, return_report=True)
    assert records(out) == [
        {"customer_id": 1, "frequency": 1, "recency": 2, "n_periods": 2, "monetary_value": 30.0},
        {"customer_id": 2, "frequency": 0, "recency": 0, "n_periods": 1, "monetary_value": 0.0},
    ]
    assert (rep.rows_after_as_of, rep.customers, rep.customers_without_purchase) == (1, 2, 1)
    out = cs.rfm_summary(df, as_of="2025-04-01", unit="M", discrete=True, count_zero_days=True)
    assert records(out)[2] == {
        "customer_id": 3, "frequency": 0, "recency": 0, "n_periods": 0, "monetary_value": 0.0
    }  # fmt: skip
    assert out.attrs == {"custseg.unit": "M"}
    # In quarters to 2025-04-01 every purchase is in the first quarter: no period
    # after it. In years to 2026-01-01 likewise, and customer 2's 04-02 purchase is a
    # repeat purchase event in its first period: frequency 0, monetary_value 7.
    q = cs.rfm_summary(df, as_of="2025-04-01", unit="Q", discrete=True)
    assert q[COLUMNS].to_numpy().tolist() == [[0, 0, 0, 30.0], [0, 0, 0, 0.0]]
    y = cs.rfm_summary(df, as_of="2026-01-01", unit="Y", discrete=True)
    assert y[COLUMNS].to_numpy().tolist() == [[0, 0, 0, 30.0], [0, 0, 0, 7.0]]


def test_hand_worked_weeks_and_days() -> None:
    """ISO weeks from Monday, to Monday 2025-01-20: a purchase on Sunday
    2025-01-05 and on Monday 2025-01-06 are in two weeks (frequency 1, recency
    1), and two weeks follow the first (n_periods 2). In days to 2025-01-08:
    frequency 1, recency 1, n_periods 2 (01-06 and 01-07)."""
    df = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "date": pd.to_datetime(["2025-01-05", "2025-01-06"]),
            "amount": [1.0, 2.0],
        }
    )
    w = cs.rfm_summary(df, as_of="2025-01-20", unit="W", discrete=True)
    assert w[COLUMNS].iloc[0].tolist() == [1, 1, 2, 2.0]
    d = cs.rfm_summary(df, as_of="2025-01-08", unit="D", discrete=True)
    assert d[COLUMNS].iloc[0].tolist() == [1, 1, 2, 2.0]
    assert [str(t) for t in d.dtypes] == ["int64", "int64", "int64", "int64", "float64"]


@pytest.mark.parametrize(
    ("unit", "as_of", "nearest"),
    [
        ("Y", "2025-03-01", "2025-01-01 and 2026-01-01"),
        ("Q", "2025-02-01", "2025-01-01 and 2025-04-01"),
        ("M", "2025-03-15", "2025-03-01 and 2025-04-01"),
        ("W", "2025-03-05", "2025-03-03 and 2025-03-10"),
    ],
)
def test_as_of_off_a_boundary_is_an_error(unit, as_of, nearest) -> None:
    df = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2024-06-01"]), "amount": [1.0]})
    with pytest.raises(cs.ConfigError, match=f"as_of {as_of} is not .*CLV4.*{nearest}"):
        cs.rfm_summary(df, as_of=as_of, unit=unit, discrete=True)


def test_units_need_discrete_and_the_continuous_summary_is_unchanged() -> None:
    """ "Y", "Q", "M" without discrete=True are errors saying so; an unknown unit
    is an error in either mode; discrete=False is today's summary."""
    df = pd.DataFrame(
        {"customer_id": [1, 1], "date": pd.to_datetime(["2025-01-01", "2025-01-15"]),
         "amount": [1.0, 2.0]}
    )  # fmt: skip
    for unit in ["Y", "Q", "M"]:
        with pytest.raises(cs.ConfigError, match="pass discrete=True"):
            cs.rfm_summary(df, as_of="2025-02-01", unit=unit)
    with pytest.raises(cs.ConfigError, match='"Y", "Q", "M", "W" or "D"'):
        cs.rfm_summary(df, as_of="2025-02-01", unit="H", discrete=True)
    with pytest.raises(cs.ConfigError, match="unit must be"):
        cs.rfm_summary(df, as_of="2025-02-01", unit=None, discrete=True)  # type: ignore[arg-type]
    plain = cs.rfm_summary(df, as_of="2025-02-03", unit="W")
    assert list(plain.columns) == ["customer_id", "frequency", "recency", "T", "monetary_value"]
    assert plain[["recency", "T"]].iloc[0].tolist() == [2.0, 32 / 7]
