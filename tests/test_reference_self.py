"""Hand-worked examples that check the reference implementation itself.

These run without the compiled package.  Every expected value is worked out in
the comments from the rules in docs/rules.md (I2, I3, I6, P1-P3, CV1-CV7).

Unless stated otherwise the calendar is semiannual from January
(``RegularPeriods(6, 2024-01-01)``): ... 2023H1 = index -2, 2023H2 = -1,
2024H1 = 0, 2024H2 = 1 ...  With ``as_of = 2024-07-01`` P0 = 2024H2 (index 1), so
age 1 = 2024H1, age 2 = 2023H2, age 3 = 2023H1, age 4 = 2022H2, age 5 = 2022H1.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from decimal import Decimal

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from reference import BoundaryPeriods, RegularPeriods, customer_value, money  # noqa: E402

SEMI = RegularPeriods(6, date(2024, 1, 1))
AS_OF = date(2024, 7, 1)
M = 1_000_000  # one currency unit in millionths


def cv(rows, **kw):
    kw.setdefault("periods", SEMI)
    kw.setdefault("as_of", AS_OF)
    return customer_value(rows, **kw)


# ----------------------------------------------------------------------------- I6
def test_money():
    assert money(2) == 2 * M
    assert money(-3) == -3 * M
    assert money(17.60) == 17_600_000
    assert money(0.1) + money(0.2) == money(0.3)  # 100000 + 200000 == 300000
    # 2.675 * 1e6 == 2675000.0 exactly in binary -> 2675000
    assert money(2.675) == 2_675_000
    # -0.0000005 * 1e6 == -0.5 exactly -> half away from zero -> -1
    assert money(-0.0000005) == -1
    # 1.0000005 * 1e6 == 1000000.50000000012 -> 1000001
    assert money(1.0000005) == 1_000_001
    assert money(Decimal("1.2345675")) == 1_234_568  # half up at the 7th place
    assert money(Decimal("-1.2345675")) == -1_234_568  # half away from zero
    assert money(Decimal("12.5")) == 12_500_000


# ----------------------------------------------------------------------------- P1
def test_regular_periods_index():
    p = RegularPeriods(3, date(2024, 2, 15))
    # monthnum difference, minus 1 when the day is before the 15th, floor / 3
    assert p.index(date(2024, 2, 15)) == 0  # (0 - 0) // 3
    assert p.index(date(2024, 2, 14)) == -1  # (0 - 1) // 3
    assert p.index(date(2024, 5, 14)) == 0  # (3 - 1) // 3
    assert p.index(date(2024, 5, 15)) == 1  # (3 - 0) // 3
    assert p.index(date(2023, 11, 15)) == -1  # (-3 - 0) // 3
    assert p.index(date(2023, 11, 14)) == -2  # (-3 - 1) // 3
    assert SEMI.index(date(2024, 7, 1)) == 1
    assert SEMI.index(date(2024, 6, 30)) == 0
    assert SEMI.index(date(2021, 5, 5)) == -6  # (-36 + 4) // 6 = -32 // 6
    with pytest.raises(ValueError):
        RegularPeriods(5, date(2024, 1, 1))
    with pytest.raises(ValueError):
        RegularPeriods(6, date(2024, 1, 29))


def test_boundary_periods_index():
    p = BoundaryPeriods([date(2024, 1, 1), date(2024, 2, 5), date(2024, 5, 1), date(2024, 6, 10)])
    assert p.index(date(2024, 1, 1)) == 0
    assert p.index(date(2024, 2, 4)) == 0
    assert p.index(date(2024, 2, 5)) == 1
    assert p.index(date(2024, 6, 9)) == 2
    assert p.index(date(2030, 1, 1)) == 3  # last period is open-ended
    with pytest.raises(ValueError):
        p.index(date(2023, 12, 31))


def test_boundary_periods_segmentation():
    p = BoundaryPeriods([date(2024, 1, 1), date(2024, 2, 5), date(2024, 5, 1), date(2024, 6, 10)])
    as_of = date(2024, 6, 15)  # P0 = index 3
    rows = [
        ("a", date(2024, 5, 30), 10.0),  # index 2 -> age 1
        ("a", date(2024, 2, 4), 5.0),  # index 0 -> age 3
        ("b", date(2024, 2, 5), 7.0),  # index 1 -> age 2
        ("b", date(2024, 6, 12), 1.0),  # index 3 -> age 0 (P3: ignored for b)
    ]
    r = customer_value(rows, periods=p, as_of=as_of)
    # a: k = 1, n = 2, window ages 1..2 -> 10 (the 5 is age 3)
    assert r["a"]["cv_group"] == "2 ACT"
    assert r["a"]["purchases"] == 2
    assert r["a"]["monetary"] == 10 * M
    assert r["a"]["cv_segment"] == "PLATINA"  # alone in its pool: r = 0 / 1
    # b: k = 2, n = 1 -> JUNIOR; window ages 2..3 -> 7
    assert r["b"]["cv_group"] == "3 COLD"
    assert r["b"]["cv_segment"] == "JUNIOR"
    assert r["b"]["monetary"] == 7 * M
    assert r["b"]["last_purchase"] == date(2024, 6, 12)
    # a day before the first boundary is an error
    with pytest.raises(ValueError):
        customer_value([("c", date(2023, 12, 31), 1.0)], periods=p, as_of=as_of)


# ----------------------------------------------------------------------------- CV6
def _act(cust, amount_each):
    """Two purchases, 2023H2 (age 2) and 2024H1 (age 1): 2 ACT with n = 2."""
    return [(cust, date(2023, 9, 1), amount_each), (cust, date(2024, 3, 1), amount_each)]


def test_tier_ties():
    # monetary (window ages 1..2): A = B = 100, C = 50, D = 10; pool N = 4
    rows = _act("A", 50.0) + _act("B", 50.0) + _act("C", 25.0) + _act("D", 5.0)
    r = cv(rows)
    assert [r[c]["monetary"] for c in "ABCD"] == [100 * M, 100 * M, 50 * M, 10 * M]
    # default cuts (0.05, 0.25, 0.50):
    #   A, B: 0 greater -> r = 0    < 0.05 -> PLATINA (tie shares the tier)
    #   C:    2 greater -> r = 0.5, not < 0.5 -> BRONZE
    #   D:    3 greater -> r = 0.75 -> BRONZE
    assert [r[c]["cv_segment"] for c in "ABCD"] == ["PLATINA", "PLATINA", "BRONZE", "BRONZE"]
    # cuts (0.3, 0.6, 0.9): C: 0.5 < 0.6 -> GOLD; D: 0.75 < 0.9 -> SILVER
    r = cv(rows, cuts=(0.3, 0.6, 0.9))
    assert [r[c]["cv_segment"] for c in "ABCD"] == ["PLATINA", "PLATINA", "GOLD", "SILVER"]


def test_junior_not_in_pool():
    # J has n = 1 (2 ACT, JUNIOR) and a huge amount; it must not push P down.
    rows = _act("P", 1.0) + [("J", date(2024, 2, 1), 1000.0)]
    r = cv(rows)
    assert r["J"]["cv_segment"] == "JUNIOR"
    assert r["J"]["purchases"] == 1
    assert r["P"]["cv_segment"] == "PLATINA"  # pool = {P}: r = 0


# ----------------------------------------------------------------------------- I2 / I6
def test_return_cancels_day():
    # 17.60 + 5.67 - 23.27 = 0 exactly in millionths (in floats it is 3.6e-15)
    rows = [
        ("x", date(2024, 3, 5), 17.60),
        ("x", date(2024, 3, 5), 5.67),
        ("x", date(2024, 3, 5), -23.27),
    ]
    assert cv(rows) == {}  # net 0 is not a purchase -> x is absent
    r = cv(rows, count_zero_days=True)
    # with count_zero_days the day counts: k = 1, n = 1 -> 2 ACT JUNIOR, m = 0
    assert r["x"]["cv_group"] == "2 ACT"
    assert r["x"]["cv_segment"] == "JUNIOR"
    assert r["x"]["monetary"] == 0
    # a later real purchase: the zero day moves no recency/count
    rows2 = rows + [("x", date(2023, 10, 1), 3.0)]
    r = cv(rows2)
    assert r["x"]["periods_since_last"] == 2  # only the 2023H2 day is a purchase
    assert r["x"]["first_purchase"] == r["x"]["last_purchase"] == date(2023, 10, 1)
    # window ages 2..3: only the 3.0 (the zero day is age 1, outside)
    assert r["x"]["monetary"] == 3 * M


def test_negative_day_is_not_a_purchase():
    rows = [("y", date(2024, 2, 1), -5.0), ("y", date(2023, 8, 1), 20.0)]
    r = cv(rows)
    # only 2023H2 is a purchase: k = 2, 3 COLD, n = 1 -> JUNIOR; window ages 2..3 = 20
    assert r["y"]["cv_group"] == "3 COLD"
    assert r["y"]["cv_segment"] == "JUNIOR"
    assert r["y"]["monetary"] == 20 * M


# ----------------------------------------------------------------------------- P3 / NEW
def test_p0_purchases_do_not_change_existing_customer():
    as_of = date(2024, 9, 15)  # mid-period: P0 = 2024H2 still
    base = _act("c", 10.0)
    with_p0 = base + [("c", date(2024, 8, 1), 500.0)]
    r0 = cv(base, as_of=as_of)["c"]
    r1 = cv(with_p0, as_of=as_of)["c"]
    # group, segment, k, n, m are identical; only last_purchase (P0 included) moves
    for key in ("cv_group", "cv_segment", "periods_since_last", "purchases", "monetary"):
        assert r0[key] == r1[key]
    assert r1["cv_group"] == "2 ACT" and r1["purchases"] == 2 and r1["monetary"] == 20 * M
    assert r0["last_purchase"] == date(2024, 3, 1)
    assert r1["last_purchase"] == date(2024, 8, 1)


def test_new_customer():
    as_of = date(2024, 9, 15)
    rows = [
        ("n", date(2024, 8, 1), 50.0),
        ("n", date(2024, 8, 10), -20.0),  # a return in P0: money, not a purchase
        ("n", date(2024, 9, 1), 10.0),
        ("n", date(2024, 9, 15), 999.0),  # on as_of: ignored (I3)
    ]
    r = cv(rows, as_of=as_of, sales_only=True, sales_months=(8, 9))
    # H empty, 2 events in P0 -> NEW (never SOL), m = 50 - 20 + 10 = 40
    assert r["n"] == {
        "cv_group": "1 NEW",
        "cv_segment": "NEW",
        "periods_since_last": 0,
        "purchases": 2,
        "monetary": 40 * M,
        "first_purchase": date(2024, 8, 1),
        "last_purchase": date(2024, 9, 1),
    }


def test_default_as_of():
    # latest day 2024-06-30 -> as_of 2024-07-01 -> P0 = 2024H2, 2024H1 is age 1
    rows = [("a", date(2024, 6, 30), 1.0)]
    r = customer_value(rows, periods=SEMI)
    assert r["a"]["cv_group"] == "2 ACT"
    # latest day 2024-07-01 -> as_of 2024-07-02 -> P0 = 2024H2 holds the row -> NEW
    rows = [("a", date(2024, 7, 1), 1.0)]
    assert customer_value(rows, periods=SEMI)["a"]["cv_group"] == "1 NEW"


# ----------------------------------------------------------------------------- CV2 LOST
def test_4_lost_k3_k4_and_5_lost():
    rows = [
        # L3: 2023-03-10 (age 3) 100 and 2022-12-01 (age 4) 40 -> k = 3, m(ages 3..4) = 140
        ("L3", date(2023, 3, 10), 100.0),
        ("L3", date(2022, 12, 1), 40.0),
        # L4: 2022-08-01 (age 4) 30 and 2022-03-01 (age 5) 20 -> k = 4, m(ages 4..5) = 50
        ("L4", date(2022, 8, 1), 30.0),
        ("L4", date(2022, 3, 1), 20.0),
        # L3b: one purchase 2023-02-02 (age 3) 10 -> k = 3, m = 10 (no JUNIOR in 4 LOST)
        ("L3b", date(2023, 2, 2), 10.0),
        # L7: 2021-05-05 is index -6 -> age 7 -> 5 LOST; m(ages 7..8) = 5 + 2
        ("L7", date(2021, 5, 5), 5.0),
        ("L7", date(2020, 8, 8), 2.0),  # index -7 -> age 8
        ("L7", date(2020, 3, 3), 1000.0),  # index -8 -> age 9, outside the window
    ]
    r = cv(rows)
    assert r["L3"]["periods_since_last"] == 3 and r["L3"]["monetary"] == 140 * M
    assert r["L4"]["periods_since_last"] == 4 and r["L4"]["monetary"] == 50 * M
    assert r["L3b"]["monetary"] == 10 * M and r["L3b"]["purchases"] == 1
    for c in ("L3", "L4", "L3b"):
        assert r[c]["cv_group"] == "4 LOST"
    # pool {140, 50, 10}, N = 3: 140 r = 0 -> L; 50 r = 1/3 -> S; 10 r = 2/3 -> XS
    assert r["L3"]["cv_segment"] == "L"
    assert r["L4"]["cv_segment"] == "S"
    assert r["L3b"]["cv_segment"] == "XS"
    assert r["L7"]["cv_group"] == "5 LOST" and r["L7"]["cv_segment"] == "LOST"
    assert r["L7"]["periods_since_last"] == 7
    assert r["L7"]["purchases"] == 3
    assert r["L7"]["monetary"] == 7 * M
    assert r["L7"]["first_purchase"] == date(2020, 3, 3)


# ----------------------------------------------------------------------------- CV3
def test_monetary_window_with_return():
    rows = [
        ("w", date(2024, 3, 1), 100.0),  # age 1, purchase
        ("w", date(2024, 4, 1), -30.0),  # age 1, a return (not a purchase, but money)
        ("w", date(2023, 10, 1), 50.0),  # age 2
        ("w", date(2023, 5, 1), 999.0),  # age 3
    ]
    # k = 1, n = 3
    assert cv(rows)["w"]["monetary"] == (100 - 30 + 50) * M  # ages 1..2
    assert cv(rows, monetary_periods=1)["w"]["monetary"] == (100 - 30) * M  # age 1
    assert cv(rows, monetary_periods=3)["w"]["monetary"] == (100 - 30 + 50 + 999) * M
    assert cv(rows)["w"]["purchases"] == 3


# ----------------------------------------------------------------------------- CV5
def test_sales_only():
    rows = [
        # S: purchases in January and July only -> 0 SOL, k = 1 -> ACT
        ("S", date(2024, 1, 10), 10.0),
        ("S", date(2023, 7, 20), 10.0),
        ("S", date(2024, 3, 1), -4.0),  # a return in March is not a purchase event
        # T: one August purchase in the lookback -> not SOL -> 2 ACT (n = 2)
        ("T", date(2024, 1, 10), 10.0),
        ("T", date(2023, 8, 1), 10.0),
        # U: only purchase at age 5 (2022-01-15, index -4) -> outside lookback 4
        ("U", date(2022, 1, 15), 10.0),
        # V: k = 2 with a July purchase -> SOL COLD
        ("V", date(2023, 7, 1), 3.0),
        # W: k = 3, January -> SOL LOST
        ("W", date(2023, 1, 31), 3.0),
    ]
    r = cv(rows, sales_only=True)
    assert (r["S"]["cv_group"], r["S"]["cv_segment"]) == ("0 SOL", "ACT")
    assert r["S"]["monetary"] == 16 * M and r["S"]["purchases"] == 2
    assert (r["T"]["cv_group"], r["T"]["cv_segment"]) == ("2 ACT", "PLATINA")  # pool {T}
    assert (r["U"]["cv_group"], r["U"]["cv_segment"]) == ("5 LOST", "LOST")
    assert (r["V"]["cv_group"], r["V"]["cv_segment"]) == ("0 SOL", "COLD")
    assert (r["W"]["cv_group"], r["W"]["cv_segment"]) == ("0 SOL", "LOST")
    # lookback 5 reaches U's January purchase -> SOL LOST
    r5 = cv(rows, sales_only=True, sales_lookback=5)
    assert (r5["U"]["cv_group"], r5["U"]["cv_segment"]) == ("0 SOL", "LOST")
    # off by default
    r0 = cv(rows)
    assert r0["S"]["cv_group"] == "2 ACT" and r0["W"]["cv_group"] == "4 LOST"


def test_sol_excluded_from_pool():
    # Without SOL: pool {S: 100, T: 10} -> T has r = 0.5 -> BRONZE.
    # With SOL (S only buys in January/July): pool {T} -> T is PLATINA.
    rows = _act("T", 5.0) + [("S", date(2024, 1, 5), 50.0), ("S", date(2023, 7, 5), 50.0)]
    assert cv(rows)["T"]["cv_segment"] == "BRONZE"
    assert cv(rows, sales_only=True)["T"]["cv_segment"] == "PLATINA"


# ----------------------------------------------------------------------------- I2 orders
def test_order_mode():
    rows = [
        # order 1 of a spans two days: total 30 > 0 -> one event on its earliest day
        ("a", date(2024, 2, 1), 20.0, 1),
        ("a", date(2023, 12, 30), 10.0, 1),
        # order 2 of a: a purchase and its full return -> total 0 -> no event
        ("a", date(2024, 3, 1), 7.5, 2),
        ("a", date(2024, 3, 2), -7.5, 2),
        # order 3 of a, same day as order 1's first line: a second event
        ("a", date(2024, 2, 1), 1.0, 3),
        # b also has an order 1: a different order
        ("b", date(2023, 9, 9), 4.0, 1),
    ]
    r = cv(rows, order=True)
    # a: events = order 1 (2023-12-30, age 2) and order 3 (2024-02-01, age 1)
    assert r["a"]["purchases"] == 2
    assert r["a"]["periods_since_last"] == 1
    assert r["a"]["first_purchase"] == date(2023, 12, 30)
    assert r["a"]["last_purchase"] == date(2024, 2, 1)
    # m over ages 1..2 = 20 + 10 + 7.5 - 7.5 + 1 = 31
    assert r["a"]["monetary"] == 31 * M
    assert r["b"]["purchases"] == 1 and r["b"]["cv_segment"] == "JUNIOR"
    # with count_zero_days, order 2 is an event on 2024-03-01
    rz = cv(rows, order=True, count_zero_days=True)
    assert rz["a"]["purchases"] == 3
    assert rz["a"]["last_purchase"] == date(2024, 3, 1)


def test_order_lines_after_as_of_ignored():
    rows = [
        ("a", date(2024, 6, 30), 5.0, 1),
        ("a", date(2024, 7, 1), -5.0, 1),  # on as_of: ignored, so the order stays positive
    ]
    r = cv(rows, order=True)
    assert r["a"]["purchases"] == 1 and r["a"]["monetary"] == 5 * M


def test_row_order_does_not_matter():
    rows = (
        _act("A", 50.0)
        + _act("B", 50.0)
        + _act("C", 25.0)
        + [("C", date(2024, 4, 4), -3.0), ("D", date(2021, 1, 1), 2.0)]
    )
    assert cv(rows) == cv(list(reversed(rows)))
