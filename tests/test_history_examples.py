"""Segments over time (CV8) through the product, on the hand-worked table.

The table, the history, the migration, the performance and the cohort triangle
are worked out by hand in ``tests/test_history_reference_self.py`` (which checks
the reference against the same numbers); here the product must give them, and
clear errors for the calls that make no sense.
"""

from __future__ import annotations

import os
import sys
from datetime import date

import custseg
import pandas as pd
import pytest

sys.path.insert(0, os.path.dirname(__file__))

from test_history_reference_self import (  # noqa: E402
    BOUNDS,
    COHORTS,
    HISTORY,
    MIGRATION,
    PERFORMANCE,
    ROWS,
)

D = date
SEMI = custseg.Periods.semiannual(start_month=1)
P1, P2, P3, P4 = BOUNDS


@pytest.fixture()
def tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in ROWS],
            "date": pd.to_datetime([r[1] for r in ROWS]),
            "amount": [float(r[2]) for r in ROWS],
        }
    )


def _day(v) -> date:
    return pd.Timestamp(v).date()


# ----------------------------------------------------------------------------- history
def test_history_example(tx):
    h = custseg.customer_value_history(tx, periods=SEMI)
    assert list(h.columns) == [
        "period_start",
        "customer_id",
        "cv_group",
        "cv_segment",
        "periods_since_last",
        "purchases",
        "monetary",
        "first_purchase",
        "last_purchase",
    ]
    got = [
        (
            _day(r.period_start),
            r.customer_id,
            str(r.cv_group),
            str(r.cv_segment),
            int(r.periods_since_last),
            int(r.purchases),
            float(r.monetary),
            _day(r.first_purchase),
            _day(r.last_purchase),
        )
        for r in h.itertuples()
    ]
    want = [(s, c, g, seg, k, n, float(m), f, last) for s, c, g, seg, k, n, m, f, last in HISTORY]
    assert got == want
    # the same boundaries given explicitly, as ISO text, and as explicit calendar days
    h2 = custseg.customer_value_history(tx, periods=SEMI, start="2023-03-01", end="2025-03-31")
    pd.testing.assert_frame_equal(h, h2)
    explicit = custseg.Periods.from_boundaries(
        ["2023-01-01", "2023-07-01", "2024-01-01", "2024-07-01", "2025-01-01"]
    )
    h3 = custseg.customer_value_history(tx, periods=explicit)
    pd.testing.assert_frame_equal(h, h3)


def test_history_before_and_after_the_data(tx):
    # 2022-07-01 and 2023-01-01 are before the first day: no rows there; 2025-07-01 and
    # 2026-01-01 are after the last: every customer ages (E appears: 2025-04-01)
    h = custseg.customer_value_history(tx, periods=SEMI, start="2022-05-01", end="2026-01-01")
    starts = sorted({_day(v) for v in h["period_start"]})
    assert starts == [*BOUNDS, D(2025, 7, 1), D(2026, 1, 1)]
    at = h[h["period_start"] == pd.Timestamp("2025-07-01")]
    assert list(at["customer_id"]) == ["A", "B", "C", "D", "E", "F"]
    # A: last purchase 2025-02-01 (age 1 at 2025-07-01): 2 ACT, n = 4, m = 40 + 0 (2024H2)
    a = at[at["customer_id"] == "A"].iloc[0]
    assert (str(a.cv_group), int(a.purchases), float(a.monetary)) == ("2 ACT", 4, 40.0)


def test_history_whose_rows_all_follow_the_last_boundary_reports_its_customers(tx):
    # Every row is after the last boundary: no slice has a row, and the report counts
    # the customers as seen without a purchase, as it does for such customers among
    # others (the Spark history, whose pieces can hold only such customers, found it).
    customers = tx["customer_id"].nunique()
    h, rep = custseg.customer_value_history(
        tx, periods=SEMI, start="2020-01-01", end="2020-07-01", return_report=True
    )
    assert len(h) == 0
    assert (rep.customers_seen, rep.customers_without_purchase, rep.customers) == (
        customers,
        customers,
        0,
    )
    # One customer with an earlier row: the same count of the others.
    early = pd.DataFrame({"customer_id": ["Z"], "date": [pd.Timestamp("2020-03-01")],
                          "amount": [10.0]})  # fmt: skip
    _, rep = custseg.customer_value_history(
        pd.concat([tx, early]), periods=SEMI, start="2020-01-01", end="2020-07-01",
        return_report=True,
    )  # fmt: skip
    assert (rep.customers_seen, rep.customers) == (customers + 1, 1)


# ----------------------------------------------------------------------------- migration
def test_migration_example(tx):
    h = custseg.customer_value_history(tx, periods=SEMI)
    m = custseg.migration(h)
    assert list(m.columns) == [
        "from_period",
        "to_period",
        "from_segment",
        "to_segment",
        "customers",
        "share",
        "monetary_from",
        "monetary_to",
    ]
    got = [
        (
            _day(r.from_period),
            _day(r.to_period),
            r.from_segment,
            r.to_segment,
            int(r.customers),
            float(r.share),
            float(r.monetary_from),
            float(r.monetary_to),
        )
        for r in m.itertuples()
    ]
    want = [
        (a, b, f, t, n, float(sh), float(mf), float(mt)) for a, b, f, t, n, sh, mf, mt in MIGRATION
    ]
    assert got == want
    # the same from the transactions
    pd.testing.assert_frame_equal(custseg.migration(data=tx, periods=SEMI), m)


def test_migration_frm_to_and_by_group(tx):
    h = custseg.customer_value_history(tx, periods=SEMI)
    m = custseg.migration(h, frm="2024-01-01", to="2025-01-01")
    assert [(r.from_segment, r.to_segment, r.customers, r.share) for r in m.itertuples()] == [
        ("(new)", "2 ACT / JUNIOR", 1, 0.5),
        ("(new)", "3 COLD / JUNIOR", 1, 0.5),
        ("2 ACT / PLATINA", "3 COLD / L", 1, 1.0),
        ("2 ACT / JUNIOR", "3 COLD / S", 1, 1.0),
        ("3 COLD / JUNIOR", "3 COLD / XS", 1, 1.0),
    ]
    g = custseg.migration(h, by="cv_group", frm=P1, to=P2)
    assert [
        (r.from_segment, r.to_segment, r.customers, r.share, r.monetary_from, r.monetary_to)
        for r in g.itertuples()
    ] == [
        ("(new)", "2 ACT", 1, 1.0, 0.0, 30.0),
        ("2 ACT", "2 ACT", 1, 0.5, 100.0, 150.0),
        ("2 ACT", "3 COLD", 1, 0.5, 20.0, 20.0),
    ]


def test_migration_matrix_example(tx):
    h = custseg.customer_value_history(tx, periods=SEMI)
    mx = custseg.migration_matrix(h)  # the last pair: 2024-07-01 -> 2025-01-01
    tos = ["2 ACT / JUNIOR", "3 COLD / JUNIOR", "3 COLD / L", "3 COLD / S", "3 COLD / XS"]
    assert list(mx.columns) == ["from_segment", *tos]
    assert list(mx["from_segment"].astype(str)) == [
        "(new)",
        "2 ACT / PLATINA",
        "2 ACT / SILVER",
        "2 ACT / BRONZE",
        "2 ACT / JUNIOR",
    ]
    assert mx[tos].to_numpy().tolist() == [
        [1, 0, 0, 0, 0],
        [0, 0, 1, 0, 0],
        [0, 0, 0, 1, 0],
        [0, 0, 0, 0, 1],
        [0, 1, 0, 0, 0],
    ]


def test_migration_gone_in_order_mode():
    # I2 order mode: X's order 1 is +10 (2023-03-01) and -20 (2023-09-01): an event at
    # 2023-07-01 (total so far 10), none at 2024-01-01 (total -10): X is gone.
    tx = pd.DataFrame(
        {
            "customer_id": ["X", "X", "Y", "Y"],
            "date": pd.to_datetime(["2023-03-01", "2023-09-01", "2023-03-01", "2023-09-01"]),
            "amount": [10.0, -20.0, 5.0, 5.0],
            "order_id": [1, 1, 7, 8],
        }
    )
    h = custseg.customer_value_history(
        tx, order="order_id", periods=SEMI, start="2023-07-01", end="2024-01-01"
    )
    assert [(_day(s), c) for s, c in zip(h["period_start"], h["customer_id"], strict=True)] == [
        (P1, "X"),
        (P1, "Y"),
        (P2, "Y"),
    ]
    m = custseg.migration(h, by="cv_segment")
    assert [(r.from_segment, r.to_segment, r.customers, r.share) for r in m.itertuples()] == [
        ("JUNIOR", "PLATINA", 1, 0.5),
        ("JUNIOR", "(gone)", 1, 0.5),
    ]


# ----------------------------------------------------------------------------- performance
def test_segment_performance_example(tx):
    h = custseg.customer_value_history(tx, periods=SEMI)
    p = custseg.segment_performance(h, tx, periods=SEMI)
    assert list(p.columns) == [
        "period_start",
        "segment",
        "customers",
        "buyers",
        "buyer_share",
        "revenue",
        "revenue_share",
        "revenue_per_customer",
    ]
    got = [
        (
            _day(r.period_start),
            r.segment,
            int(r.customers),
            int(r.buyers),
            float(r.revenue),
        )
        for r in p.itertuples()
    ]
    assert got == [(s, seg, n, b, float(rev)) for s, seg, n, b, rev, _ in PERFORMANCE]
    for r, (_, _, n, b, rev, total) in zip(p.itertuples(), PERFORMANCE, strict=True):
        assert r.buyer_share == pytest.approx(b / n, rel=1e-12)
        assert r.revenue_share == pytest.approx(rev / total, rel=1e-12)
        assert r.revenue_per_customer == pytest.approx(rev / n, rel=1e-12)
    # the first period: 2 ACT / JUNIOR = {A, F}, A bought 50 of the 80
    first = p.iloc[0]
    assert (first.segment, first.buyer_share, first.revenue_share) == ("2 ACT / JUNIOR", 0.5, 0.625)
    # the same from the transactions
    pd.testing.assert_frame_equal(custseg.segment_performance(None, tx, periods=SEMI), p)


# ----------------------------------------------------------------------------- cohorts
def test_cohorts_example(tx):
    c = custseg.cohorts(tx, periods=SEMI)
    assert list(c.columns) == [
        "cohort",
        "period_start",
        "age",
        "customers",
        "active",
        "retention",
        "revenue",
    ]
    got = [
        (
            _day(r.cohort),
            _day(r.period_start),
            int(r.age),
            int(r.customers),
            int(r.active),
            float(r.revenue),
        )
        for r in c.itertuples()
    ]
    assert got == [(co, s, age, n, a, float(rev)) for co, s, age, n, a, rev in COHORTS]
    assert list(c["retention"]) == [a / n for _, _, _, n, a, _ in COHORTS]


def test_cohorts_by_segment_example(tx):
    h = custseg.customer_value_history(tx, periods=SEMI)
    c = custseg.cohorts(tx, periods=SEMI, by=("cv_group", "cv_segment"), history=h, at_age=2)
    assert list(c.columns)[:3] == ["cohort", "segment", "period_start"]
    age0 = [(_day(r.cohort), r.segment, int(r.customers)) for r in c.itertuples() if r.age == 0]
    assert age0 == [
        (D(2023, 1, 1), "2 ACT / PLATINA", 1),  # A at 2024-01-01
        (D(2023, 1, 1), "3 COLD / JUNIOR", 1),  # F at 2024-01-01
        (D(2023, 7, 1), "2 ACT / SILVER", 1),  # B at 2024-07-01
        (D(2024, 1, 1), "3 COLD / JUNIOR", 1),  # C at 2025-01-01
        (D(2024, 7, 1), "(none)", 1),  # D: 2025-07-01 is not in the history
        (D(2025, 1, 1), "(none)", 1),  # E
    ]


# ----------------------------------------------------------------------------- errors
def test_no_boundary_in_range(tx):
    with pytest.raises(custseg.ConfigError, match="start") as e:
        custseg.customer_value_history(tx, periods=SEMI, start="2023-03-01", end="2023-06-30")
    assert "2023-03-01" in str(e.value) and "2023-06-30" in str(e.value)
    with pytest.raises(custseg.ConfigError, match="start"):
        custseg.segment_history(
            tx, periods=SEMI, start="2024-02-01", end="2024-03-01", lifetime_years=2.0
        )
    with pytest.raises(custseg.ConfigError, match="start"):
        custseg.migration(data=tx, periods=SEMI, start="2024-02-01", end="2024-03-01")
    # data inside one period: no default boundary at all
    one = tx[tx["customer_id"] == "D"].iloc[:1]
    with pytest.raises(custseg.ConfigError):
        custseg.customer_value_history(one, periods=SEMI)


def test_frm_to_not_in_history(tx):
    h = custseg.customer_value_history(tx, periods=SEMI)
    with pytest.raises(custseg.CustsegError, match="2024-02-01"):
        custseg.migration(h, frm="2023-07-01", to="2024-02-01")
    with pytest.raises(custseg.CustsegError, match="2022-07-01"):
        custseg.migration(h, frm="2022-07-01", to="2024-01-01")
    with pytest.raises(custseg.CustsegError):
        custseg.migration(h, frm="2024-07-01", to="2024-01-01")  # frm after to
    with pytest.raises(custseg.CustsegError):
        custseg.migration_matrix(h, frm="2023-07-01", to="2024-02-01")


def test_by_missing_column(tx):
    h = custseg.customer_value_history(tx, periods=SEMI)
    with pytest.raises(custseg.CustsegError, match="rfm_segment"):
        custseg.migration(h, by="rfm_segment")
    with pytest.raises(custseg.CustsegError, match="nope"):
        custseg.migration(h, by=("cv_group", "nope"))
    with pytest.raises(custseg.CustsegError, match="nope"):
        custseg.segment_performance(h, tx, periods=SEMI, by="nope")
    with pytest.raises(custseg.CustsegError, match="nope"):
        custseg.cohorts(tx, periods=SEMI, by="nope", history=h)


def test_neither_history_nor_data():
    with pytest.raises((custseg.CustsegError, TypeError), match="data|hist"):
        custseg.migration()
    with pytest.raises((custseg.CustsegError, TypeError), match="data|hist"):
        custseg.migration_matrix()
    with pytest.raises((custseg.CustsegError, TypeError), match="data|hist"):
        custseg.segment_performance(None, None)
    with pytest.raises((custseg.CustsegError, TypeError), match="data"):
        custseg.customer_value_history()


def test_segment_performance_leaves_out_the_period_after_the_data():
    # The default end is the boundary after the last day (2024-12-31 + 1 = 2025-01-01):
    # its period [2025-01-01, 2025-07-01) holds no row, so segment_performance leaves it
    # out (docs/rules.md, CV8 decisions) although the history has customers there.
    tx = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B"],
            "date": pd.to_datetime(["2024-03-01", "2024-12-31", "2024-08-01"]),
            "amount": [5.0, 7.0, 3.0],
        }
    )
    h = custseg.customer_value_history(tx, periods=SEMI)
    assert sorted({_day(v) for v in h["period_start"]}) == [D(2024, 7, 1), D(2025, 1, 1)]
    p = custseg.segment_performance(h, tx, periods=SEMI)
    rows = [
        (_day(r.period_start), r.segment, r.customers, r.buyers, r.revenue) for r in p.itertuples()
    ]
    assert rows == [
        (D(2024, 7, 1), "2 ACT / JUNIOR", 1, 1, 7.0),  # A bought 7 on 2024-12-31
        (D(2024, 7, 1), "(new)", 1, 1, 3.0),  # B
    ]


def test_segment_performance_revenue_of_a_customer_gone_at_the_next_boundary():
    # I2 order mode: X's order 1 is +10 (2024-01-10) and -10 (2024-02-10).  At 2024-02-01
    # its total so far is 10: X is 2 ACT JUNIOR; at 2024-03-01 it totals 0: X is gone.
    # X's net amounts in [2024-02-01, 2024-03-01) are -10 (CV8: revenue = the segment's
    # net amounts in the period), all of the period's -10: revenue_share 1.
    tx = pd.DataFrame(
        {
            "customer_id": ["X", "X"],
            "date": pd.to_datetime(["2024-01-10", "2024-02-10"]),
            "amount": [10.0, -10.0],
            "order_id": [1, 1],
        }
    )
    monthly = custseg.Periods.monthly()
    h = custseg.customer_value_history(
        tx, order="order_id", periods=monthly, start="2024-02-01", end="2024-02-01"
    )
    p = custseg.segment_performance(h, tx, order="order_id", periods=monthly)
    first = p.iloc[0]
    assert (first.segment, first.customers, first.buyers) == ("2 ACT / JUNIOR", 1, 0)
    assert (first.revenue, first.revenue_share, first.revenue_per_customer) == (-10.0, 1.0, -10.0)


def test_cohorts_of_data_within_one_period():
    # CV8 cohorts need no history boundary: data within one month is one cohort, one row
    tx = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "date": pd.to_datetime(["2024-12-05", "2024-12-20"]),
            "amount": [5.0, 7.0],
        }
    )
    c = custseg.cohorts(tx, periods=custseg.Periods.monthly())
    assert [(_day(r.cohort), r.age, r.customers, r.active, r.revenue) for r in c.itertuples()] == [
        (D(2024, 12, 1), 0, 2, 2, 12.0)
    ]


def test_cohorts_order_mode_over_all_data():
    # CV8: the cohort is the period of the first purchase event over ALL data.  X's only
    # order totals 10 - 10 = 0 over all data: no purchase event (I2), so no cohort;
    # Y's order is one event in January 2024.
    tx = pd.DataFrame(
        {
            "customer_id": ["X", "X", "Y"],
            "date": pd.to_datetime(["2024-01-10", "2024-02-10", "2024-01-20"]),
            "amount": [10.0, -10.0, 4.0],
            "order_id": [1, 1, 2],
        }
    )
    c = custseg.cohorts(tx, order="order_id", periods=custseg.Periods.monthly())
    assert [(_day(r.cohort), r.age, r.customers, r.active, r.revenue) for r in c.itertuples()] == [
        (D(2024, 1, 1), 0, 1, 1, 4.0),
        (D(2024, 1, 1), 1, 1, 0, 0.0),
    ]
