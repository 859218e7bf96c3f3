"""Hand-worked examples that check the CV8 reference (``tests/reference_history.py``).

These run without the compiled package.  Every expected value is worked out in
the comments from docs/rules.md (I2, I3, I6, P1-P3, CV1-CV8) and the CV8 API
notes.

The calendar is semiannual from January (``RegularPeriods(6, 2024-01-01)``):
2023H1 = index -2 (2023-01-01), 2023H2 = -1 (2023-07-01), 2024H1 = 0,
2024H2 = 1, 2025H1 = 2 (2025-01-01).

======  ==========  =======  ====================================================
cust    day         amount   note
======  ==========  =======  ====================================================
A       2023-02-10    100    the first day of the data (2023H1)
A       2023-09-05     50    2023H2
A       2024-03-01     80    2024H1
A       2025-02-01     40    2025H1
B       2023-08-20     30    2023H2
B       2024-05-05     20    2024H1
B       2024-05-06     -5    2024H1, a return alone on its day: no event (I2)
C       2024-02-02     70    2024H1
C       2025-03-03     10    2025H1
D       2024-09-09     25    2024H2
E       2025-01-15    -10    2025H1, a return only: no event
E       2025-04-01     15    2025H1, the last day of the data
F       2023-03-15     20    2023H1
F       2024-04-04     30    2024H1
======  ==========  =======  ====================================================

Default boundaries: the first boundary strictly after 2023-02-10 is 2023-07-01;
the last on or before 2025-04-02 is 2025-01-01: four boundaries, 2023-07-01,
2024-01-01, 2024-07-01, 2025-01-01.

The history (at s the age of a day is index(s) - index(day); P0 is the period
from s, so no ``1 NEW``):

* s = 2023-07-01 (P0 = 2023H2): A: one event, age 1 -> 2 ACT JUNIOR, m = ages
  1..2 = 100.  F: one event, age 1 -> 2 ACT JUNIOR, m = 20.
* s = 2024-01-01 (P0 = 2024H1): A: events of ages 2 and 1 -> k = 1, n = 2,
  m = 100 + 50 = 150.  B: one event of age 1 -> 2 ACT JUNIOR, m = 30.  F: one
  event of age 2 -> 3 COLD JUNIOR, m = ages 2..3 = 20.  2 ACT pool (n >= 2) =
  {A: 150}: r = 0 -> PLATINA.
* s = 2024-07-01 (P0 = 2024H2): A: ages 3, 2, 1 -> k = 1, n = 3, m = ages 1..2
  = 80 + 50 = 130.  B: ages 2, 1 (05-05 nets 20; 05-06 nets -5, no event) ->
  k = 1, n = 2, m = 30 + 20 - 5 = 45.  C: age 1 -> JUNIOR, m = 70.  F: ages 3
  and 1 -> k = 1, n = 2, m = ages 1..2 = 30.  Pool {A: 130, B: 45, F: 30},
  N = 3: A r = 0 -> PLATINA; B r = 1/3 < 0.5 -> SILVER; F r = 2/3 -> BRONZE.
* s = 2025-01-01 (P0 = 2025H1): A: ages 4, 3, 2 -> k = 2, n = 3, 3 COLD, m =
  ages 2..3 = 80 + 50 = 130.  B: ages 3, 2 -> 3 COLD, n = 2, m = 30 + 15 = 45.
  C: age 2 -> 3 COLD JUNIOR, m = 70.  D: age 1 -> 2 ACT JUNIOR, m = 25.  F: ages
  4, 2 -> 3 COLD, n = 2, m = ages 2..3 = 30.  3 COLD pool {A: 130, B: 45,
  F: 30}: A -> L, B r = 1/3 -> S, F r = 2/3 -> XS.  E's rows are all after s.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from fractions import Fraction

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import reference_history as rh  # noqa: E402
from reference import BoundaryPeriods, RegularPeriods  # noqa: E402

D = date
M = 1_000_000  # one currency unit in millionths
SEMI = RegularPeriods(6, D(2024, 1, 1))

ROWS = [
    ("A", D(2023, 2, 10), 100),
    ("A", D(2023, 9, 5), 50),
    ("A", D(2024, 3, 1), 80),
    ("A", D(2025, 2, 1), 40),
    ("B", D(2023, 8, 20), 30),
    ("B", D(2024, 5, 5), 20),
    ("B", D(2024, 5, 6), -5),
    ("C", D(2024, 2, 2), 70),
    ("C", D(2025, 3, 3), 10),
    ("D", D(2024, 9, 9), 25),
    ("E", D(2025, 1, 15), -10),
    ("E", D(2025, 4, 1), 15),
    ("F", D(2023, 3, 15), 20),
    ("F", D(2024, 4, 4), 30),
]
FIRST_DAY, LAST_DAY = D(2023, 2, 10), D(2025, 4, 1)
BOUNDS = [D(2023, 7, 1), D(2024, 1, 1), D(2024, 7, 1), D(2025, 1, 1)]

# (period_start, customer, cv_group, cv_segment, k, n, m, first, last)
HISTORY = [
    (D(2023, 7, 1), "A", "2 ACT", "JUNIOR", 1, 1, 100, D(2023, 2, 10), D(2023, 2, 10)),
    (D(2023, 7, 1), "F", "2 ACT", "JUNIOR", 1, 1, 20, D(2023, 3, 15), D(2023, 3, 15)),
    (D(2024, 1, 1), "A", "2 ACT", "PLATINA", 1, 2, 150, D(2023, 2, 10), D(2023, 9, 5)),
    (D(2024, 1, 1), "B", "2 ACT", "JUNIOR", 1, 1, 30, D(2023, 8, 20), D(2023, 8, 20)),
    (D(2024, 1, 1), "F", "3 COLD", "JUNIOR", 2, 1, 20, D(2023, 3, 15), D(2023, 3, 15)),
    (D(2024, 7, 1), "A", "2 ACT", "PLATINA", 1, 3, 130, D(2023, 2, 10), D(2024, 3, 1)),
    (D(2024, 7, 1), "B", "2 ACT", "SILVER", 1, 2, 45, D(2023, 8, 20), D(2024, 5, 5)),
    (D(2024, 7, 1), "C", "2 ACT", "JUNIOR", 1, 1, 70, D(2024, 2, 2), D(2024, 2, 2)),
    (D(2024, 7, 1), "F", "2 ACT", "BRONZE", 1, 2, 30, D(2023, 3, 15), D(2024, 4, 4)),
    (D(2025, 1, 1), "A", "3 COLD", "L", 2, 3, 130, D(2023, 2, 10), D(2024, 3, 1)),
    (D(2025, 1, 1), "B", "3 COLD", "S", 2, 2, 45, D(2023, 8, 20), D(2024, 5, 5)),
    (D(2025, 1, 1), "C", "3 COLD", "JUNIOR", 2, 1, 70, D(2024, 2, 2), D(2024, 2, 2)),
    (D(2025, 1, 1), "D", "2 ACT", "JUNIOR", 1, 1, 25, D(2024, 9, 9), D(2024, 9, 9)),
    (D(2025, 1, 1), "F", "3 COLD", "XS", 2, 2, 30, D(2023, 3, 15), D(2024, 4, 4)),
]

# Migration, consecutive pairs, by (cv_group, cv_segment):
#   2023-07-01 -> 2024-01-01: B is new (2 ACT JUNIOR, 0 -> 30); A 2 ACT JUNIOR ->
#     2 ACT PLATINA (100 -> 150); F 2 ACT JUNIOR -> 3 COLD JUNIOR (20 -> 20).  Two
#     customers were 2 ACT / JUNIOR at 2023-07-01, so A's and F's shares are 1/2.
#   2024-01-01 -> 2024-07-01: C new (-> JUNIOR, 70); A PLATINA -> PLATINA (150 -> 130);
#     B JUNIOR -> SILVER (30 -> 45); F 3 COLD JUNIOR -> 2 ACT BRONZE (20 -> 30).
#   2024-07-01 -> 2025-01-01: D new (-> 2 ACT JUNIOR, 25); A PLATINA -> 3 COLD L;
#     B SILVER -> 3 COLD S; F BRONZE -> 3 COLD XS; C JUNIOR -> 3 COLD JUNIOR.
# Order: (new) first, then the from labels by (group index, segment index):
#   2 ACT / PLATINA (2, 0) < 2 ACT / SILVER (2, 2) < 2 ACT / BRONZE (2, 3) <
#   2 ACT / JUNIOR (2, 4) < 3 COLD / JUNIOR (3, 4); to labels likewise.
P1, P2, P3, P4 = BOUNDS
J, PL = "2 ACT / JUNIOR", "2 ACT / PLATINA"
MIGRATION = [
    # (from, to, from_segment, to_segment, customers, share, monetary_from, monetary_to)
    (P1, P2, "(new)", J, 1, Fraction(1), 0, 30),
    (P1, P2, J, PL, 1, Fraction(1, 2), 100, 150),
    (P1, P2, J, "3 COLD / JUNIOR", 1, Fraction(1, 2), 20, 20),
    (P2, P3, "(new)", J, 1, Fraction(1), 0, 70),
    (P2, P3, PL, PL, 1, Fraction(1), 150, 130),
    (P2, P3, J, "2 ACT / SILVER", 1, Fraction(1), 30, 45),
    (P2, P3, "3 COLD / JUNIOR", "2 ACT / BRONZE", 1, Fraction(1), 20, 30),
    (P3, P4, "(new)", J, 1, Fraction(1), 0, 25),
    (P3, P4, PL, "3 COLD / L", 1, Fraction(1), 130, 130),
    (P3, P4, "2 ACT / SILVER", "3 COLD / S", 1, Fraction(1), 45, 45),
    (P3, P4, "2 ACT / BRONZE", "3 COLD / XS", 1, Fraction(1), 30, 30),
    (P3, P4, J, "3 COLD / JUNIOR", 1, Fraction(1), 70, 70),
]

# Performance by (cv_group, cv_segment); the period of s runs to the next boundary.
#   s = 2023-07-01 .. 2024-01-01: rows A 50 (09-05), B 30 (08-20): total 80.
#     2 ACT / JUNIOR = {A, F}: buyers {A}, revenue 50, share 50/80 = 5/8, per customer 25.
#     (new) = {B} (first event 2023-08-20): revenue 30, share 3/8.
#   s = 2024-01-01 .. 2024-07-01: A 80, B 20 - 5, C 70, F 30: total 195.
#     2 ACT / PLATINA {A}: 80 (16/39); 2 ACT / JUNIOR {B}: 15 (1/13);
#     3 COLD / JUNIOR {F}: 30 (2/13); (new) {C}: 70 (14/39).
#   s = 2024-07-01 .. 2025-01-01: D 25 only: total 25.  PLATINA {A}, SILVER {B},
#     BRONZE {F}, JUNIOR {C}: no buyer, 0; (new) {D}: 25, share 1.
#   s = 2025-01-01 .. 2025-07-01 (the last runs to end + one period): E -10, A 40,
#     C 10, E 15: total 55.  2 ACT / JUNIOR {D}: 0; 3 COLD / JUNIOR {C}: 10 (2/11);
#     3 COLD / L {A}: 40 (8/11); 3 COLD / S {B}: 0; 3 COLD / XS {F}: 0;
#     (new) {E} (first event 2025-04-01): 15 - 10 = 5 (1/11).
PERFORMANCE = [
    # (period_start, segment, customers, buyers, revenue, total of the period)
    (P1, J, 2, 1, 50, 80),
    (P1, "(new)", 1, 1, 30, 80),
    (P2, PL, 1, 1, 80, 195),
    (P2, J, 1, 1, 15, 195),
    (P2, "3 COLD / JUNIOR", 1, 1, 30, 195),
    (P2, "(new)", 1, 1, 70, 195),
    (P3, PL, 1, 0, 0, 25),
    (P3, "2 ACT / SILVER", 1, 0, 0, 25),
    (P3, "2 ACT / BRONZE", 1, 0, 0, 25),
    (P3, J, 1, 0, 0, 25),
    (P3, "(new)", 1, 1, 25, 25),
    (P4, J, 1, 0, 0, 55),
    (P4, "3 COLD / JUNIOR", 1, 1, 10, 55),
    (P4, "3 COLD / L", 1, 1, 40, 55),
    (P4, "3 COLD / S", 1, 0, 0, 55),
    (P4, "3 COLD / XS", 1, 0, 0, 55),
    (P4, "(new)", 1, 1, 5, 55),
]

# Cohorts (default start / end: the periods of 2023-02-10 .. 2025-04-01, 2023H1 to
# 2025H1).  First events: A 2023-02-10 and F 2023-03-15 (2023H1), B 2023-08-20
# (2023H2), C 2024-02-02 (2024H1), D 2024-09-09 (2024H2), E 2025-04-01 (2025H1).
# Events per period: A 2023H1, 2023H2, 2024H1, 2025H1; B 2023H2, 2024H1; C 2024H1,
# 2025H1; D 2024H2; E 2025H1; F 2023H1, 2024H1.
C0, C1, C2, C3, C4 = D(2023, 1, 1), D(2023, 7, 1), D(2024, 1, 1), D(2024, 7, 1), D(2025, 1, 1)
COHORTS = [
    # (cohort, period_start, age, customers, active, revenue)
    (C0, C0, 0, 2, 2, 120),  # A 100 + F 20
    (C0, C1, 1, 2, 1, 50),  # A
    (C0, C2, 2, 2, 2, 110),  # A 80 + F 30
    (C0, C3, 3, 2, 0, 0),
    (C0, C4, 4, 2, 1, 40),  # A
    (C1, C1, 0, 1, 1, 30),  # B
    (C1, C2, 1, 1, 1, 15),  # B 20 - 5
    (C1, C3, 2, 1, 0, 0),
    (C1, C4, 3, 1, 0, 0),
    (C2, C2, 0, 1, 1, 70),  # C
    (C2, C3, 1, 1, 0, 0),
    (C2, C4, 2, 1, 1, 10),
    (C3, C3, 0, 1, 1, 25),  # D
    (C3, C4, 1, 1, 0, 0),
    (C4, C4, 0, 1, 1, 5),  # E: 15 - 10 (the return counts, though no event)
]


def full_history():
    return rh.history(ROWS, SEMI, BOUNDS)


# ----------------------------------------------------------------------------- boundaries
def test_default_boundaries():
    assert rh.boundaries(SEMI, None, None, FIRST_DAY, LAST_DAY) == BOUNDS


def test_boundaries_edges():
    # the first day on a boundary: the default start is the NEXT boundary (strictly after)
    assert rh.boundaries(SEMI, None, None, D(2023, 7, 1), D(2023, 12, 31)) == [D(2024, 1, 1)]
    # the last day the day before a boundary: last day + 1 is that boundary
    assert rh.boundaries(SEMI, None, None, D(2023, 2, 1), D(2023, 12, 31)) == [
        D(2023, 7, 1),
        D(2024, 1, 1),
    ]
    # start / end need not be boundaries; both inclusive
    assert rh.boundaries(SEMI, D(2023, 6, 30), D(2024, 1, 1), FIRST_DAY, LAST_DAY) == [
        D(2023, 7, 1),
        D(2024, 1, 1),
    ]
    # start before the data and end after it
    assert rh.boundaries(SEMI, D(2022, 3, 1), D(2026, 1, 1), FIRST_DAY, LAST_DAY) == [
        D(2022, 7, 1),
        D(2023, 1, 1),
        *BOUNDS,
        D(2025, 7, 1),
        D(2026, 1, 1),
    ]
    # quarterly from February 15
    q = RegularPeriods(3, D(2024, 2, 15))
    assert rh.boundaries(q, None, None, D(2024, 2, 15), D(2024, 8, 14)) == [
        D(2024, 5, 15),
        D(2024, 8, 15),
    ]
    # explicit boundaries
    b = BoundaryPeriods([D(2023, 1, 1), D(2023, 4, 1), D(2023, 10, 1), D(2024, 3, 1)])
    assert rh.boundaries(b, None, None, D(2023, 1, 1), D(2030, 1, 1)) == [
        D(2023, 4, 1),
        D(2023, 10, 1),
        D(2024, 3, 1),
    ]
    assert rh.boundaries(b, D(2023, 1, 1), D(2023, 4, 1), D(2023, 1, 1), D(2030, 1, 1)) == [
        D(2023, 1, 1),
        D(2023, 4, 1),
    ]


def test_no_boundary_is_an_error():
    with pytest.raises(ValueError, match="start"):
        rh.boundaries(SEMI, D(2023, 3, 1), D(2023, 6, 30), FIRST_DAY, LAST_DAY)
    with pytest.raises(ValueError, match="start"):
        rh.boundaries(SEMI, D(2024, 3, 1), D(2023, 3, 1), FIRST_DAY, LAST_DAY)
    # data within one period: no boundary after the first day and up to the last + 1
    with pytest.raises(ValueError):
        rh.boundaries(SEMI, None, None, D(2024, 2, 1), D(2024, 5, 1))


# ----------------------------------------------------------------------------- history
def test_history_rows():
    got = full_history()
    want = [
        {
            "period_start": s,
            "customer": c,
            "cv_group": g,
            "cv_segment": seg,
            "periods_since_last": k,
            "purchases": n,
            "monetary": m * M,
            "first_purchase": first,
            "last_purchase": last,
        }
        for s, c, g, seg, k, n, m, first, last in HISTORY
    ]
    assert got == want


def test_history_before_the_data_is_empty():
    # boundaries on or before the first day have nothing before them
    h = rh.history(ROWS, SEMI, [D(2022, 7, 1), D(2023, 1, 1), D(2023, 7, 1)])
    assert {r["period_start"] for r in h} == {D(2023, 7, 1)}
    assert len(h) == 2


def test_segment_history_columns():
    h = rh.segment_history(ROWS, SEMI, BOUNDS, clv_options={"lifetime_years": 2.0})
    assert len(h) == len(HISTORY)
    row = h[0]
    assert list(row)[:3] == ["period_start", "customer", "cv_group"]
    assert "rfm_monetary" in row and "clv_tier" in row
    assert row["monetary"] == 100 * M  # CV3 at 2023-07-01
    assert row["rfm_monetary"] == 100.0  # R1: all money before 2023-07-01
    # the default lifetime cannot be computed at 2023-07-01 (nobody bought 1-2 years
    # before): an error of the whole history
    with pytest.raises(ValueError, match="lifetime"):
        rh.segment_history(ROWS, SEMI, BOUNDS)


# ----------------------------------------------------------------------------- migration
def test_migration_consecutive_pairs():
    got = rh.migration(full_history())
    want = [
        dict(zip(rh.MIGRATION_COLUMNS, (a, b, f, t, n, sh, mf * M, mt * M), strict=True))
        for a, b, f, t, n, sh, mf, mt in MIGRATION
    ]
    assert got == want


def test_migration_by_group():
    got = rh.migration(full_history(), by="cv_group", frm=P1, to=P2)
    # B new -> 2 ACT; A 2 ACT -> 2 ACT; F 2 ACT -> 3 COLD; two were 2 ACT at P1
    assert [(r["from_segment"], r["to_segment"], r["customers"], r["share"]) for r in got] == [
        ("(new)", "2 ACT", 1, 1),
        ("2 ACT", "2 ACT", 1, Fraction(1, 2)),
        ("2 ACT", "3 COLD", 1, Fraction(1, 2)),
    ]
    assert [(r["monetary_from"], r["monetary_to"]) for r in got] == [
        (0, 30 * M),
        (100 * M, 150 * M),
        (20 * M, 20 * M),
    ]


def test_migration_frm_to_skips_boundaries():
    # 2024-01-01 -> 2025-01-01: C and D are new (2 of them: shares 1/2)
    got = rh.migration(full_history(), frm=P2, to=P4)
    assert [
        (r["from_segment"], r["to_segment"], r["customers"], r["share"], r["monetary_to"])
        for r in got
    ] == [
        ("(new)", "2 ACT / JUNIOR", 1, Fraction(1, 2), 25 * M),
        ("(new)", "3 COLD / JUNIOR", 1, Fraction(1, 2), 70 * M),
        ("2 ACT / PLATINA", "3 COLD / L", 1, 1, 130 * M),
        ("2 ACT / JUNIOR", "3 COLD / S", 1, 1, 45 * M),
        ("3 COLD / JUNIOR", "3 COLD / XS", 1, 1, 30 * M),
    ]
    assert {(r["from_period"], r["to_period"]) for r in got} == {(P2, P4)}


def test_migration_bad_pairs():
    h = full_history()
    with pytest.raises(ValueError):
        rh.migration(h, frm=P2, to=P1)  # frm must be before to
    with pytest.raises(ValueError):
        rh.migration(h, frm=P1, to=D(2024, 2, 1))  # not a period start of the history
    with pytest.raises(ValueError):
        rh.migration(h, by="nope")


def test_migration_gone_in_order_mode():
    # I2 order mode: order 1 of X is +10 on 2023-03-01 and -20 on 2023-09-01.  At
    # 2023-07-01 its total so far is 10 > 0: a purchase event (X is 2 ACT JUNIOR);
    # at 2024-01-01 its total is -10: no event, X is gone.  Y buys in both periods.
    rows = [
        ("X", D(2023, 3, 1), 10, 1),
        ("X", D(2023, 9, 1), -20, 1),
        ("Y", D(2023, 3, 1), 5, 7),
        ("Y", D(2023, 9, 1), 5, 8),
    ]
    h = rh.history(rows, SEMI, [P1, P2], order=True)
    assert [(r["period_start"], r["customer"]) for r in h] == [(P1, "X"), (P1, "Y"), (P2, "Y")]
    got = rh.migration(h, by="cv_segment")
    # from JUNIOR (two customers): Y -> PLATINA (n = 2, alone in its pool), X -> (gone)
    assert [
        (r["from_segment"], r["to_segment"], r["customers"], r["share"], r["monetary_to"])
        for r in got
    ] == [
        ("JUNIOR", "PLATINA", 1, Fraction(1, 2), 10 * M),
        ("JUNIOR", "(gone)", 1, Fraction(1, 2), 0),
    ]


# ----------------------------------------------------------------------------- performance
def test_segment_performance():
    got = rh.segment_performance(full_history(), ROWS, SEMI)
    want = [
        {
            "period_start": s,
            "segment": seg,
            "customers": n,
            "buyers": b,
            "buyer_share": Fraction(b, n),
            "revenue": rev * M,
            "revenue_share": Fraction(rev, total),
            "revenue_per_customer": Fraction(rev, n),
        }
        for s, seg, n, b, rev, total in PERFORMANCE
    ]
    assert got == want
    # the shares of a period add up to 1 (every row belongs to a customer of the
    # history or to a new customer: here yes)
    for s in BOUNDS:
        assert sum(r["revenue_share"] for r in got if r["period_start"] == s) == 1
    # two spot checks, by hand
    assert got[0]["revenue_share"] == Fraction(5, 8) and got[0]["buyer_share"] == Fraction(1, 2)
    assert got[0]["revenue_per_customer"] == 25


def test_segment_performance_by_group_and_empty_new():
    # only the first two boundaries, by group
    h = [r for r in full_history() if r["period_start"] in (P1, P2)]
    got = rh.segment_performance(h, ROWS, SEMI, by="cv_group")
    assert [(r["period_start"], r["segment"], r["customers"], r["revenue"]) for r in got] == [
        (P1, "2 ACT", 2, 50 * M),
        (P1, "(new)", 1, 30 * M),
        (P2, "2 ACT", 2, 95 * M),  # A 80 + B 15
        (P2, "3 COLD", 1, 30 * M),
        (P2, "(new)", 1, 70 * M),
    ]
    # a period without new customers and without money: undefined ratios are None
    quiet = [("A", D(2023, 2, 10), 100), ("A", D(2024, 3, 1), 10)]
    h = rh.history(quiet, SEMI, [P1])
    got = rh.segment_performance(h, quiet, SEMI)
    assert got == [
        {
            "period_start": P1,
            "segment": "2 ACT / JUNIOR",
            "customers": 1,
            "buyers": 0,
            "buyer_share": 0,
            "revenue": 0,
            "revenue_share": None,
            "revenue_per_customer": 0,
        },
        {
            "period_start": P1,
            "segment": "(new)",
            "customers": 0,
            "buyers": 0,
            "buyer_share": None,
            "revenue": 0,
            "revenue_share": None,
            "revenue_per_customer": None,
        },
    ]


def test_events_order_mode_and_zero_days():
    rows = [
        ("A", D(2024, 1, 5), 10, 1),
        ("A", D(2024, 1, 3), -10, 1),  # order 1 totals 0
        ("A", D(2024, 2, 1), 5, 2),
        ("A", D(2024, 2, 1), -5, 3),  # day 2024-02-01 nets 0; order 2 is +5
    ]
    assert rh.events(rows) == {"A": [D(2024, 1, 5)]}  # days: 01-03 -10, 01-05 +10, 02-01 0
    # with count_zero_days the day nets of exactly 0 (02-01) is an event; 01-03 nets -10
    assert rh.events(rows, count_zero_days=True) == {"A": [D(2024, 1, 5), D(2024, 2, 1)]}
    assert rh.events(rows, order=True) == {"A": [D(2024, 2, 1)]}
    # order 1 totals exactly 0: with count_zero_days an event on its earliest day
    assert sorted(rh.events(rows, order=True, count_zero_days=True)["A"]) == [
        D(2024, 1, 3),
        D(2024, 2, 1),
    ]


# ----------------------------------------------------------------------------- cohorts
def test_cohort_triangle():
    got = rh.cohorts(ROWS, SEMI)
    want = [
        {
            "cohort": c,
            "period_start": s,
            "age": age,
            "customers": n,
            "active": a,
            "retention": Fraction(a, n),
            "revenue": rev * M,
        }
        for c, s, age, n, a, rev in COHORTS
    ]
    assert got == want


def test_cohorts_start_end():
    # start in 2023H2: the 2023H1 cohort (A, F) is left out; end in 2024H1: two periods
    got = rh.cohorts(ROWS, SEMI, start=D(2023, 8, 1), end=D(2024, 6, 30))
    assert [(r["cohort"], r["period_start"], r["customers"], r["active"]) for r in got] == [
        (C1, C1, 1, 1),
        (C1, C2, 1, 1),
        (C2, C2, 1, 1),
    ]


def test_cohorts_by_segment():
    h = full_history()
    # at_age = 1: the label at the end of the cohort's own period.  2023H1 -> at
    # 2023-07-01 A and F are 2 ACT JUNIOR; B (2023H2) at 2024-01-01, C (2024H1) at
    # 2024-07-01, D (2024H2) at 2025-01-01: JUNIOR too; E (2025H1): 2025-07-01 is
    # not in the history -> (none).
    got = rh.cohorts(ROWS, SEMI, by=("cv_group", "cv_segment"), hist_rows=h)
    assert [(r["cohort"], r["segment"], r["customers"]) for r in got if r["age"] == 0] == [
        (C0, J, 2),
        (C1, J, 1),
        (C2, J, 1),
        (C3, J, 1),
        (C4, "(none)", 1),
    ]
    assert list(got[0]) == ["cohort", "segment", *rh.COHORT_COLUMNS[1:]]
    # at_age = 2: the 2023H1 cohort splits at 2024-01-01 into A (2 ACT PLATINA) and
    # F (3 COLD JUNIOR); PLATINA sorts first (group 2 before group 3)
    got = rh.cohorts(ROWS, SEMI, by=("cv_group", "cv_segment"), hist_rows=h, at_age=2)
    c0 = [
        (r["segment"], r["age"], r["customers"], r["active"], r["revenue"])
        for r in got
        if r["cohort"] == C0
    ]
    assert c0 == [
        (PL, 0, 1, 1, 100 * M),
        (PL, 1, 1, 1, 50 * M),
        (PL, 2, 1, 1, 80 * M),
        (PL, 3, 1, 0, 0),
        (PL, 4, 1, 1, 40 * M),
        ("3 COLD / JUNIOR", 0, 1, 1, 20 * M),
        ("3 COLD / JUNIOR", 1, 1, 0, 0),
        ("3 COLD / JUNIOR", 2, 1, 1, 30 * M),
        ("3 COLD / JUNIOR", 3, 1, 0, 0),
        ("3 COLD / JUNIOR", 4, 1, 0, 0),
    ]
    by_cohort = {r["cohort"]: r["segment"] for r in got if r["age"] == 0 and r["cohort"] != C0}
    assert by_cohort == {C1: "2 ACT / SILVER", C2: "3 COLD / JUNIOR", C3: "(none)", C4: "(none)"}
