"""Hand-worked examples of the Customer Value segmentation (docs/rules.md sections 0-2).

Unless a test says otherwise: semiannual periods starting January 1 and
``as_of = 2026-01-01``, so P0 = 2026H1 and the ages (P2) are

    age 1 = 2025H2 (2025-07-01 .. 2025-12-31)     age 2 = 2025H1
    age 3 = 2024H2                                 age 4 = 2024H1
    age 5 = 2023H2                                 age 9 = 2021H2

Tier rule (CV6): r = (customers in the pool with a strictly greater monetary) / N;
r < 0.05 first tier, r < 0.25 second, r < 0.50 third, else fourth.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

import custseg as cs
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

D = dt.date.fromisoformat
SEMI = cs.Periods.semiannual(start_month=1)
AS_OF = "2026-01-01"


class Row(NamedTuple):
    group: str
    segment: str
    k: int
    n: int
    m: float
    first: dt.date
    last: dt.date


def table(rows, amount_type: pa.DataType | None = None) -> pa.Table:
    return pa.table(
        {
            "customer_id": pa.array([r[0] for r in rows], pa.string()),
            "date": pa.array([D(r[1]) for r in rows], pa.date32()),
            "amount": pa.array([r[2] for r in rows], amount_type or pa.float64()),
        }
    )


def cv(rows, *, report=False, **kw):
    """Segment ``rows`` = [(customer, "YYYY-MM-DD", amount), ...]: {customer: Row}."""
    kw.setdefault("as_of", AS_OF)
    kw.setdefault("periods", SEMI)
    out, rep = cs.customer_value(table(rows), return_report=True, **kw)
    assert out.column(0).to_pylist() == sorted(out.column(0).to_pylist())
    res = {
        r["customer_id"]: Row(
            r["cv_group"],
            r["cv_segment"],
            r["periods_since_last"],
            r["purchases"],
            r["monetary"],
            r["first_purchase"],
            r["last_purchase"],
        )
        for r in out.to_pylist()
    }
    return (res, rep) if report else res


def segments(res, ids):
    return {c: res[c].segment for c in ids}


# -------------------- CV2 NEW
def test_new_customer_first_purchase_in_P0_CV2_CV3():
    """as_of = 2026-03-15 (mid-period): P0 = 2026H1 holds data.
    n1: 2026-01-10 +50, 2026-02-01 +30, 2026-02-20 -10 (a return: no event),
        2026-03-15 +99 (on as_of: skipped, I3).
    -> 1 NEW / NEW, k = 0, n = 2 events in P0, m = 50 + 30 - 10 = 70 (sum in P0)."""
    res, rep = cv(
        [
            ("n1", "2026-01-10", 50),
            ("n1", "2026-02-01", 30),
            ("n1", "2026-02-20", -10),
            ("n1", "2026-03-15", 99),
        ],
        as_of="2026-03-15",
        report=True,
    )
    assert res["n1"] == Row("1 NEW", "NEW", 0, 2, 70.0, D("2026-01-10"), D("2026-02-01"))
    assert rep.rows_after_as_of == 1 and rep.rows_used == 3


def test_new_is_not_for_customers_with_history_P3():
    """Bought in 2025H2 (age 1) and in P0: 2 ACT, not NEW (NEW needs an empty H)."""
    res = cv([("a", "2025-08-01", 10), ("a", "2026-01-05", 10)], as_of="2026-02-01")
    assert res["a"][:4] == ("2 ACT", "JUNIOR", 1, 1)


# -------------------- ACT
def test_act_junior_n_equals_1_CV4():
    """One purchase event in 2025H2 (three lines on one day = one event, I2):
    k = 1, n = 1 -> 2 ACT / JUNIOR, m = 40 + 15 - 5 = 50."""
    res = cv([("j", "2025-10-01", 40), ("j", "2025-10-01", 15), ("j", "2025-10-01", -5)])
    assert res["j"] == Row("2 ACT", "JUNIOR", 1, 1, 50.0, D("2025-10-01"), D("2025-10-01"))


def _act_pool(monetaries):
    """One 2 ACT customer per monetary value m: +(m - 5) in 2025H2 (age 1) and
    +5 in 2025H1 (age 2), so n = 2 and the CV3 window (ages 1..2) sums to m."""
    rows = []
    for i, m in enumerate(monetaries):
        rows += [(f"c{i:02d}", "2025-09-01", m - 5), (f"c{i:02d}", "2025-03-01", 5)]
    return rows


def test_act_tiers_twenty_distinct_CV6():
    """20 customers, m = 100, 200, ..., 2000 (c19 the largest).
    rank 1 (c19): r = 0/20 = 0       -> PLATINA (only the top 1: 1/20 = 0.05 is not < 0.05)
    ranks 2-5:    r = 1/20 .. 4/20 = 0.05 .. 0.20 -> GOLD
    ranks 6-10:   r = 5/20 .. 9/20 = 0.25 .. 0.45 -> SILVER
    ranks 11-20:  r = 0.50 .. 0.95                -> BRONZE
    Two JUNIORs (n = 1) with m = 1e6 and 2e6 are not in the pool: were they, c19 would
    get r = 2/22 = 0.09 -> GOLD."""
    rows = _act_pool([100 * (i + 1) for i in range(20)]) + [
        ("zy", "2025-11-11", 2e6),
        ("zz", "2025-11-11", 1e6),
    ]
    res = cv(rows)
    want = {}
    for i in range(20):
        rank = 20 - i
        want[f"c{i:02d}"] = (
            "PLATINA"
            if rank == 1
            else "GOLD"
            if rank <= 5
            else "SILVER"
            if rank <= 10
            else "BRONZE"
        )
    assert segments(res, want) == want
    assert res["c19"] == Row("2 ACT", "PLATINA", 1, 2, 2000.0, D("2025-03-01"), D("2025-09-01"))
    assert res["zy"][:2] == res["zz"][:2] == ("2 ACT", "JUNIOR")


def test_act_ties_share_a_tier_CV6():
    """N = 20, m = 1000, 900, 800, 700, 600 x3, 500, 400, 300, 100 x10.
    1000: r = 0 -> PLATINA;  900/800/700: r = 1/20, 2/20, 3/20 -> GOLD;
    600 x3: 4 greater, r = 0.20 -> GOLD for all three (by position two would be SILVER);
    500: r = 7/20 = 0.35, 400: 0.40, 300: 0.45 -> SILVER;
    100 x10: r = 10/20 = 0.50 -> BRONZE for all ten."""
    ms = [1000, 900, 800, 700, 600, 600, 600, 500, 400, 300] + [100] * 10
    res = cv(_act_pool(ms))
    got = [res[f"c{i:02d}"].segment for i in range(20)]
    assert got == ["PLATINA"] + ["GOLD"] * 6 + ["SILVER"] * 3 + ["BRONZE"] * 10


def test_act_all_equal_are_all_platina_CV6():
    """Everyone tied: nobody has a greater m, r = 0 for all -> PLATINA."""
    res = cv(_act_pool([50] * 7))
    assert {r.segment for r in res.values()} == {"PLATINA"}


def test_custom_cuts_CV6():
    """cuts = (0.1, 0.5, 0.9), N = 10, m = 10..100:
    r = 0 -> PLATINA; r = 0.1..0.4 -> GOLD; r = 0.5..0.8 -> SILVER; r = 0.9 -> BRONZE."""
    res = cv(_act_pool([10 * (i + 1) for i in range(10)]), cuts=(0.1, 0.5, 0.9))
    got = [res[f"c{i:02d}"].segment for i in range(9, -1, -1)]  # largest first
    assert got == ["PLATINA"] + ["GOLD"] * 4 + ["SILVER"] * 4 + ["BRONZE"]


# -------------------- COLD
def test_cold_junior_and_tiers_CV4_CV6():
    """3 COLD = last purchase in 2025H1 (k = 2).  Ten customers with n = 2:
    +(m - 1) on 2025-04-01 (age 2) and +1 on 2024-10-01 (age 3); window ages 2..3 = m.
    m = 100, 90, ..., 10.  N = 10:
    100: r = 0 -> L;  90, 80: r = 0.1, 0.2 -> M;  70, 60: r = 0.3, 0.4 -> S;
    50..10: r >= 0.5 -> XS.
    The JUNIOR (one purchase 2025-02-02 of 5000) is not in the pool (else 100 would be M)."""
    rows = []
    for i in range(10):
        m = 100 - 10 * i
        rows += [(f"k{i}", "2025-04-01", m - 1), (f"k{i}", "2024-10-01", 1)]
    rows.append(("kj", "2025-02-02", 5000))
    res = cv(rows)
    assert [res[f"k{i}"].segment for i in range(10)] == ["L", "M", "M", "S", "S"] + ["XS"] * 5
    assert res["k0"] == Row("3 COLD", "L", 2, 2, 100.0, D("2024-10-01"), D("2025-04-01"))
    assert res["kj"] == Row("3 COLD", "JUNIOR", 2, 1, 5000.0, D("2025-02-02"), D("2025-02-02"))


# -------------------- 4 LOST / 5 LOST
def test_4_lost_one_pool_k3_and_k4_without_junior_CV2_CV4():
    """k = 3 (last purchase in 2024H2) and k = 4 (2024H1) share one 4 LOST pool,
    and n = 1 customers are in it too (no JUNIOR).  Windows: k = 3 -> ages 3..4,
    k = 4 -> ages 4..5.
      a: k=3, n=1, 2024-08-01 +500                       m = 500  r = 0   -> L
      b: k=4, n=2, 2024-02-01 +300, 2023-09-01 +100      m = 400  r = 0.2 -> M
      c: k=3, n=2, 2024-12-01 +200, 2024-05-01 +100      m = 300  r = 0.4 -> S
      d: k=4, n=1, 2024-06-30 +200                       m = 200  r = 0.6 -> XS
      e: k=3, n=2, 2024-07-01 +60, 2023-01-01 +999 (age 6: outside the window) m = 60 -> XS"""
    rows = [
        ("a", "2024-08-01", 500),
        ("b", "2024-02-01", 300),
        ("b", "2023-09-01", 100),
        ("c", "2024-12-01", 200),
        ("c", "2024-05-01", 100),
        ("d", "2024-06-30", 200),
        ("e", "2024-07-01", 60),
        ("e", "2023-01-01", 999),
    ]
    res = cv(rows)
    assert res["a"] == Row("4 LOST", "L", 3, 1, 500.0, D("2024-08-01"), D("2024-08-01"))
    assert res["b"] == Row("4 LOST", "M", 4, 2, 400.0, D("2023-09-01"), D("2024-02-01"))
    assert res["c"] == Row("4 LOST", "S", 3, 2, 300.0, D("2024-05-01"), D("2024-12-01"))
    assert res["d"] == Row("4 LOST", "XS", 4, 1, 200.0, D("2024-06-30"), D("2024-06-30"))
    assert res["e"] == Row("4 LOST", "XS", 3, 2, 60.0, D("2023-01-01"), D("2024-07-01"))


def test_5_lost_k5_and_k9_CV2():
    """k = 5: last purchase in 2023H2; k = 9: in 2021H2 (4052 - 4043 = 9).
    -> 5 LOST / LOST; m = the window ages k..k+1."""
    rows = [
        ("p", "2023-12-31", 70),
        ("p", "2023-03-01", 30),
        ("p", "2022-12-01", 1000),  # ages 5, 6, 7
        ("q", "2021-07-01", 20),
    ]
    res = cv(rows)
    assert res["p"] == Row("5 LOST", "LOST", 5, 3, 100.0, D("2022-12-01"), D("2023-12-31"))
    assert res["q"] == Row("5 LOST", "LOST", 9, 1, 20.0, D("2021-07-01"), D("2021-07-01"))


# -------------------- P3 fixed segmentation
def test_P0_purchases_do_not_change_group_segment_or_monetary_P3():
    """as_of = 2026-03-01 (mid P0).  x: 2025-08-01 +100, 2025-03-01 +50 (ages 1, 2)
    and 2026-01-15 +1000 in P0.  y: 2025-10-01 +400, 2025-02-01 +100 (m = 500).
    Without P0: pool {x: 150, y: 500}: y r = 0 -> PLATINA, x r = 1/2 -> BRONZE.
    (Counting P0 would give x m = 1150 -> PLATINA.)  x keeps n = 2 (only age >= 1
    events), but last_purchase = 2026-01-15 (P0 included, CV7).
    w: COLD (2025-05-01) who buys in P0 stays 3 COLD with k = 2."""
    rows = [
        ("x", "2025-08-01", 100),
        ("x", "2025-03-01", 50),
        ("x", "2026-01-15", 1000),
        ("y", "2025-10-01", 400),
        ("y", "2025-02-01", 100),
        ("w", "2025-05-01", 10),
        ("w", "2026-02-01", 10),
    ]
    res = cv(rows, as_of="2026-03-01")
    assert res["x"] == Row("2 ACT", "BRONZE", 1, 2, 150.0, D("2025-03-01"), D("2026-01-15"))
    assert res["y"].segment == "PLATINA"
    assert res["w"] == Row("3 COLD", "JUNIOR", 2, 1, 10.0, D("2025-05-01"), D("2026-02-01"))


# -------------------- CV3 window
WINDOW_ROWS = [
    # k = 1: ages 1, 2 (with a return), 3
    ("w1", "2025-10-01", 100),
    ("w1", "2025-04-01", 60),
    ("w1", "2025-05-01", -25),  # a return in age k+1 = 2: lowers m, no event
    ("w1", "2024-10-01", 1000),  # age k+2 = 3
    # k = 2: ages 2, 3, 4
    ("w2", "2025-03-01", 10),
    ("w2", "2024-09-01", 20),
    ("w2", "2024-03-01", 40),
]


@pytest.mark.parametrize(
    "periods,m1,m2",
    [
        (2, 100 + 60 - 25, 10 + 20),  # default: ages k, k+1
        (1, 100, 10),  # age k only
        (3, 100 + 60 - 25 + 1000, 10 + 20 + 40),  # ages k .. k+2
    ],
)
def test_monetary_window_counts_back_from_last_purchase_CV3(periods, m1, m2):
    res = cv(WINDOW_ROWS, monetary_periods=periods)
    assert res["w1"][:5] == ("2 ACT", "PLATINA", 1, 3, float(m1))  # alone in its pool: r = 0
    assert res["w2"][:5] == ("3 COLD", "L", 2, 3, float(m2))


def test_return_in_window_can_make_monetary_negative_CV3():
    """+20 in 2025H2, -50 (return of an older purchase) in 2025H1, +40 in 2024H2:
    n = 2 (the return day is no event), k = 1, m = 20 - 50 = -30."""
    res = cv([("r", "2025-09-01", 20), ("r", "2025-02-01", -50), ("r", "2024-08-01", 40)])
    assert res["r"] == Row("2 ACT", "PLATINA", 1, 2, -30.0, D("2024-08-01"), D("2025-09-01"))


# -------------------- I2 / I6
def test_zero_net_day_is_not_a_purchase_I2_I6():
    """17.60 + 5.67 - 23.27 = 0 exactly (fixed point, I6): not a purchase.
    z0 has only that day: absent, counted in customers_without_purchase.
    z1 also buys +10 on 2025-08-01: n = 1, last = 2025-08-01, m = 10 + 0.
    With count_zero_days=True the zero day is a purchase event: z0 -> 2 ACT JUNIOR, m = 0;
    z1 -> n = 2, last = 2025-11-05."""
    day = [(c, "2025-11-05", a) for c in ("z0", "z1") for a in (17.60, 5.67, -23.27)]
    assert 17.60 + 5.67 - 23.27 != 0  # in binary floating point it is not zero
    rows = day + [("z1", "2025-08-01", 10)]
    res, rep = cv(rows, report=True)
    assert "z0" not in res
    assert rep.customers_without_purchase == 1
    assert res["z1"] == Row("2 ACT", "JUNIOR", 1, 1, 10.0, D("2025-08-01"), D("2025-08-01"))
    res, rep = cv(rows, report=True, count_zero_days=True)
    assert res["z0"] == Row("2 ACT", "JUNIOR", 1, 1, 0.0, D("2025-11-05"), D("2025-11-05"))
    assert res["z1"] == Row("2 ACT", "PLATINA", 1, 2, 10.0, D("2025-08-01"), D("2025-11-05"))
    assert rep.customers_without_purchase == 0


def test_float_noise_is_rounded_to_millionths_I6():
    """0.1 + 0.2 - 0.3 is 5.6e-17 in floats; to the millionth it is exactly 0: no purchase.
    0.0000004 rounds to 0 (no purchase); 0.0000006 rounds to 0.000001 (a purchase)."""
    assert 0.1 + 0.2 - 0.3 > 0
    rows = [
        ("f", "2025-10-01", 0.1),
        ("f", "2025-10-01", 0.2),
        ("f", "2025-10-01", -0.3),
        ("g", "2025-10-01", 0.0000004),
        ("h", "2025-10-01", 0.0000006),
    ]
    res = cv(rows)
    assert set(res) == {"h"}
    assert res["h"].m == pytest.approx(0.000001, abs=1e-12)


def test_decimal_and_float_amounts_agree_I6():
    """The same cents as decimal128(10, 2) and as float64 give identical results."""
    rows = [
        ("d", "2025-10-01", 17.60),
        ("d", "2025-10-01", 5.67),
        ("d", "2025-10-01", -23.27),
        ("d", "2025-03-03", 19.99),
        ("e", "2025-12-12", 0.01),
    ]
    floats = cs.customer_value(table(rows), as_of=AS_OF, periods=SEMI)
    decs = cs.customer_value(
        table([(c, d, Decimal(str(a))) for c, d, a in rows], pa.decimal128(10, 2)),
        as_of=AS_OF,
        periods=SEMI,
    )
    assert floats.equals(decs)
    assert floats.column("monetary").to_pylist() == [19.99, 0.01]


def test_same_day_lines_count_once_I2():
    """Three lines on 2025-09-09 and two on 2025-03-03: n = 2, not 5."""
    rows = [
        ("s", "2025-09-09", 5),
        ("s", "2025-09-09", 6),
        ("s", "2025-09-09", 7),
        ("s", "2025-03-03", 1),
        ("s", "2025-03-03", 2),
    ]
    res = cv(rows)
    assert res["s"] == Row("2 ACT", "PLATINA", 1, 2, 21.0, D("2025-03-03"), D("2025-09-09"))


def test_negative_day_is_not_an_event_but_moves_money_I2():
    """2025-09-01: +30 - 50 = -20 (no event); 2025-04-01 +100 (event).
    H = {2025-04-01}: k = 2 (the negative day does not make the customer ACT),
    n = 1, m = ages 2..3 = 100."""
    res = cv([("n", "2025-09-01", 30), ("n", "2025-09-01", -50), ("n", "2025-04-01", 100)])
    assert res["n"] == Row("3 COLD", "JUNIOR", 2, 1, 100.0, D("2025-04-01"), D("2025-04-01"))


def test_return_only_customer_is_absent_CV2():
    res, rep = cv([("ret", "2025-10-10", -40), ("ok", "2025-10-10", 40)], report=True)
    assert set(res) == {"ok"}
    assert rep.customers_without_purchase == 1
    assert rep.customers == 1


# -------------------- CV5 sales-only
SOL_ROWS = [
    # s1: Jan/Jul only, k = 1 (2025-07-05 age 1, 2025-01-10 age 2)
    ("s1", "2025-07-05", 40),
    ("s1", "2025-01-10", 60),
    # s2: January only, k = 2
    ("s2", "2025-01-20", 30),
    # s3: July 2024, k = 3;  s4: January 2024, k = 4 (age 4 = L: still in the lookback)
    ("s3", "2024-07-10", 30),
    ("s4", "2024-01-15", 30),
    # s5: July 2023 is age 5: no purchase event with age 1..4 -> not SOL: 5 LOST
    ("s5", "2023-07-10", 30),
    # s6: Jan/Jul plus one March purchase within the lookback (age 4) -> normal group
    ("s6", "2025-07-01", 50),
    ("s6", "2024-03-01", 50),
    # s7: Jan/Jul within the lookback, a non-sales purchase at age 5 (outside) -> SOL
    ("s7", "2025-07-31", 10),
    ("s7", "2023-10-01", 10),
    # s8: a return (no event) in September does not break sales-only -> SOL
    ("s8", "2025-07-15", 25),
    ("s8", "2025-09-01", -5),
]


def test_sales_only_groups_CV5():
    res = cv(SOL_ROWS, sales_only=True)
    assert res["s1"][:4] == ("0 SOL", "ACT", 1, 2)
    assert res["s2"][:4] == ("0 SOL", "COLD", 2, 1)
    assert res["s3"][:4] == ("0 SOL", "LOST", 3, 1)
    assert res["s4"][:4] == ("0 SOL", "LOST", 4, 1)
    assert res["s5"][:4] == ("5 LOST", "LOST", 5, 1)
    assert res["s6"][:3] == ("2 ACT", "PLATINA", 1)  # alone in the 2 ACT n >= 2 pool
    assert res["s7"][:4] == ("0 SOL", "ACT", 1, 2)
    assert res["s8"][:4] == ("0 SOL", "ACT", 1, 1)
    assert res["s1"].first == D("2025-01-10") and res["s1"].last == D("2025-07-05")


def test_sales_only_off_by_default_CV5():
    res = cv(SOL_ROWS)
    assert "0 SOL" not in {r.group for r in res.values()}
    # 2 ACT pool (n >= 2): s1 m = 100, s6 m = 50, s7 m = 10 (age 5 outside ages 1..2)
    assert res["s1"][:2] == ("2 ACT", "PLATINA")
    assert res["s6"][:2] == ("2 ACT", "SILVER")  # r = 1/3
    assert res["s7"][:2] == ("2 ACT", "BRONZE")  # r = 2/3
    # 4 LOST pool: s3 (k = 3, m = 30) and s4 (k = 4, m = 30) tie: r = 0 -> L for both
    assert res["s3"][:2] == res["s4"][:2] == ("4 LOST", "L")


def test_sales_only_lookback_and_months_CV5():
    """sales_lookback = 3: s4's only event (age 4) is outside -> not SOL: 4 LOST.
    s6's March purchase (age 4) is outside too, only July 2025 remains -> SOL ACT.
    sales_months = (3, 7): s6 (March + July) is SOL, s1 (January) is not."""
    res = cv(SOL_ROWS, sales_only=True, sales_lookback=3)
    assert res["s4"][0] == "4 LOST"
    assert res["s6"][:2] == ("0 SOL", "ACT")
    res = cv(SOL_ROWS, sales_only=True, sales_months=(3, 7))
    assert res["s6"][:2] == ("0 SOL", "ACT")
    assert res["s1"][0] == "2 ACT"


def test_sol_customers_leave_the_tier_pool_CV4_CV5():
    """2 ACT pool: big (Jan/Jul only, m = 1000) and a1..a4 (m = 400, 300, 200, 100,
    buying in May and October).
    Without sales-only, N = 5: big r=0 PLATINA; a1 1/5 GOLD; a2 2/5 SILVER; a3, a4 BRONZE.
    With sales-only big is 0 SOL / ACT and N = 4: a1 r=0 PLATINA; a2 1/4 = 0.25 SILVER;
    a3 2/4 BRONZE; a4 3/4 BRONZE."""
    rows = [("big", "2025-07-10", 900), ("big", "2025-01-10", 100)]
    for name, m in (("a1", 400), ("a2", 300), ("a3", 200), ("a4", 100)):
        rows += [(name, "2025-10-10", m - 10), (name, "2025-05-05", 10)]
    ids = ["big", "a1", "a2", "a3", "a4"]
    assert segments(cv(rows), ids) == dict(
        zip(ids, ["PLATINA", "GOLD", "SILVER", "BRONZE", "BRONZE"], strict=True)
    )
    res = cv(rows, sales_only=True)
    assert segments(res, ids) == dict(
        zip(ids, ["ACT", "PLATINA", "SILVER", "BRONZE", "BRONZE"], strict=True)
    )
    assert res["big"].group == "0 SOL"


def test_new_customer_in_january_is_not_sol_CV5():
    """A first purchase in P0 in January: H is empty, no event with age 1..L -> 1 NEW."""
    res = cv([("nj", "2026-01-10", 10)], as_of="2026-02-01", sales_only=True)
    assert res["nj"][:2] == ("1 NEW", "NEW")


# -------------------- calendars (P1, P2)
def test_explicit_boundaries_P1_P2():
    """Irregular seasons: [2024-01-01, 2024-03-01, 2024-09-01, 2025-01-01, 2025-03-01,
    2025-09-01, 2026-01-01): periods of 2, 6, 4, 2, 6, 4 months; P0 starts 2026-01-01.
      x: 2025-12-31 (age 1)                      -> 2 ACT JUNIOR
      y: 2025-09-01 (age 1) + 2025-08-31 (age 2) -> 2 ACT, n = 2, m = 3 + 4 = 7
      z: 2025-02-28 (age 3, period 2025-01-01..)  -> 4 LOST L (alone in its pool)
      w: 2025-03-01 (age 2: the boundary day opens the new period) -> 3 COLD JUNIOR"""
    p = cs.Periods.from_boundaries(
        [
            "2024-01-01",
            "2024-03-01",
            "2024-09-01",
            "2025-01-01",
            "2025-03-01",
            "2025-09-01",
            "2026-01-01",
        ]
    )
    assert p.period_start("2025-08-31") == D("2025-03-01")
    assert p.period_start("2025-09-01") == D("2025-09-01")
    rows = [
        ("x", "2025-12-31", 1),
        ("y", "2025-09-01", 3),
        ("y", "2025-08-31", 4),
        ("z", "2025-02-28", 5),
        ("w", "2025-03-01", 6),
    ]
    res = cv(rows, periods=p)
    assert res["x"][:4] == ("2 ACT", "JUNIOR", 1, 1)
    assert res["y"][:5] == ("2 ACT", "PLATINA", 1, 2, 7.0)
    assert res["z"][:4] == ("4 LOST", "L", 3, 1)
    assert res["w"][:4] == ("3 COLD", "JUNIOR", 2, 1)


def test_quarterly_with_anchor_on_the_15th_P1():
    """Periods(months=3, anchor=2025-01-15), as_of = 2026-01-15: P0 = [2026-01-15, 2026-04-15).
    age 1 = [2025-10-15, 2026-01-15), age 2 = [2025-07-15, 2025-10-15), age 3 = [04-15, 07-15)."""
    p = cs.Periods(months=3, anchor="2025-01-15")
    assert p.months == 3
    assert p.period_start("2026-01-14") == D("2025-10-15")
    assert p.period_start("2026-01-15") == D("2026-01-15")
    rows = [
        ("a", "2026-01-14", 1),
        ("b", "2025-10-14", 1),
        ("c", "2025-07-14", 1),
        ("d", "2025-10-15", 1),
    ]
    res = cv(rows, periods=p, as_of="2026-01-15")
    assert {c: r.k for c, r in res.items()} == {"a": 1, "b": 2, "c": 3, "d": 1}
    assert res["c"][0] == "4 LOST"


def test_monthly_with_anchor_on_the_15th_P1():
    """Periods(months=1, anchor 15th), as_of = 2026-01-15.  Periods start on the 15th:
    2026-01-14, 2025-12-15 -> age 1; 2025-12-14 -> age 2; 2025-10-14 -> [09-15, 10-15) age 4;
    2025-08-14 -> [07-15, 08-15) age 6 -> 5 LOST."""
    p = cs.Periods(months=1, anchor="2025-03-15")
    rows = [
        ("a", "2026-01-14", 1),
        ("b", "2025-12-15", 1),
        ("c", "2025-12-14", 1),
        ("d", "2025-10-14", 1),
        ("e", "2025-08-14", 1),
    ]
    res = cv(rows, periods=p, as_of="2026-01-15")
    assert {c: (r.group, r.k) for c, r in res.items()} == {
        "a": ("2 ACT", 1),
        "b": ("2 ACT", 1),
        "c": ("3 COLD", 2),
        "d": ("4 LOST", 4),
        "e": ("5 LOST", 6),
    }
    assert cs.Periods.monthly().period_start("2026-01-31") == D("2026-01-01")


def test_annual_calendars_P1_P2():
    """Periods(months=12, anchor=2020-06-15), as_of = 2026-01-01: P0 = [2025-06-15, 2026-06-15).
    2025-06-14 -> age 1 (ACT); 2025-06-15 -> P0 (NEW for a first purchase).
    annual(start_month=4), as_of 2026-04-01: 2026-03-31 -> age 1, 2025-03-31 -> age 2."""
    p = cs.Periods(months=12, anchor="2020-06-15")
    res = cv([("a", "2025-06-14", 1), ("b", "2025-06-15", 1)], periods=p)
    assert res["a"][:3] == ("2 ACT", "JUNIOR", 1)
    assert res["b"][:3] == ("1 NEW", "NEW", 0)
    p = cs.Periods.annual(start_month=4)
    res = cv([("a", "2026-03-31", 1), ("b", "2025-03-31", 1)], periods=p, as_of="2026-04-01")
    assert (res["a"].k, res["b"].k) == (1, 2)


def test_semiannual_fashion_seasons_start_month_2_P1():
    """semiannual(start_month=2): seasons Feb-Jul and Aug-Jan; as_of 2026-02-01.
    2026-01-31 and 2025-08-01 -> age 1; 2025-07-31 -> age 2."""
    p = cs.Periods.semiannual(start_month=2)
    assert p.starts("2025-01-01", "2026-03-01") == [
        D("2025-02-01"),
        D("2025-08-01"),
        D("2026-02-01"),
    ]
    res = cv(
        [("a", "2026-01-31", 1), ("b", "2025-08-01", 1), ("c", "2025-07-31", 1)],
        periods=p,
        as_of="2026-02-01",
    )
    assert {c: r.k for c, r in res.items()} == {"a": 1, "b": 1, "c": 2}


# -------------------- as_of (I3)
def test_default_as_of_is_the_day_after_the_last_day_I3():
    """Latest day 2025-12-20 -> as_of 2025-12-21 (P0 = 2025H2 holds data).
    u: 2025-05-01 (age 1) + 2025-12-20 (P0) -> 2 ACT JUNIOR, n = 1, last = 2025-12-20.
    v: only 2025-12-20 -> 1 NEW."""
    rows = [("u", "2025-05-01", 10), ("u", "2025-12-20", 10), ("v", "2025-12-20", 5)]
    out, rep = cs.customer_value(table(rows), periods=SEMI, return_report=True)
    assert rep.as_of == D("2025-12-21")
    assert rep.rows_after_as_of == 0 and rep.rows_used == 3
    explicit = cs.customer_value(table(rows), periods=SEMI, as_of="2025-12-21")
    assert out.equals(explicit)
    res = cv(rows, as_of="2025-12-21")
    assert res["u"] == Row("2 ACT", "JUNIOR", 1, 1, 10.0, D("2025-05-01"), D("2025-12-20"))
    assert res["v"][:2] == ("1 NEW", "NEW")


def test_rows_on_or_after_as_of_are_counted_I3():
    """as_of = 2026-01-01 is exclusive: the rows on 2026-01-01 and later are skipped."""
    rows = [
        ("a", "2025-12-31", 1),
        ("a", "2026-01-01", 1),
        ("b", "2026-01-01", 1),
        ("a", "2027-05-05", 1),
    ]
    res, rep = cv(rows, report=True)
    assert set(res) == {"a"}
    assert rep.rows_after_as_of == 3
    assert rep.rows_used == 1
    assert rep.as_of == D("2026-01-01")


@pytest.mark.parametrize(
    "as_of",
    [
        dt.date(2026, 1, 1),
        dt.datetime(2026, 1, 1, 23, 59),
        pd.Timestamp("2026-01-01 18:00"),
        np.datetime64("2026-01-01T06:00"),
        "2026-01-01",
    ],
    ids=["date", "datetime", "Timestamp", "datetime64", "iso"],
)
def test_as_of_accepts_dates_and_timestamps_at_their_day_I3(as_of):
    rows = [("a", "2025-12-31", 1), ("a", "2026-01-01", 1)]
    res, rep = cv(rows, as_of=as_of, report=True)
    assert rep.as_of == D("2026-01-01")
    assert rep.rows_after_as_of == 1
    assert res["a"][:3] == ("2 ACT", "JUNIOR", 1)
