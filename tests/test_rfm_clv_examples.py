"""Hand-worked examples of RFM (R1-R3), the simple CLV (CLV1-CLV3) and the cross
table (CLV5).  Every expected number is worked out by hand in the comments; none
is copied from the product's output."""

from __future__ import annotations

from datetime import date

import custseg
import pandas as pd
import pyarrow as pa
import pytest

D = date


def frame(rows: list[tuple]) -> pd.DataFrame:
    """(customer, day, amount) rows as the usual pandas input."""
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1] for r in rows]),
            "amount": [float(r[2]) for r in rows],
        }
    )


def by_customer(df: pd.DataFrame, column: str) -> dict:
    return {
        c: (v if isinstance(v, str) else v.item() if hasattr(v, "item") else v)
        for c, v in zip(df["customer_id"], df[column].astype(object), strict=True)
    }


# --------------------------------------------------------------------------- RFM
# as_of = 2024-07-01 (exclusive).
#
# cust  day         amount  note
# a     2024-05-01    50
# a     2024-06-01   100    last event 06-01: recency 30, frequency 2, monetary 150
# b     2024-06-01    30    one purchase: recency 30, frequency 1, monetary 30
# c     2024-01-01    10
# c     2024-02-01    10
# c     2024-03-01   200
# c     2024-04-01   -50    a return day: not an event (I2), but monetary moves:
#                           last event 03-01 -> recency 122 (31+30+31+30), frequency 3,
#                           monetary 10 + 10 + 200 - 50 = 170
# d     2024-06-15   -20    only a return: no purchase event -> absent (R1 / I2)
# e     2023-12-01    60
# e     2024-06-20    40
# e     2024-06-20   -40    net 0 that day: not an event -> recency 213
#                           (31 Dec + 31 + 29 + 31 + 30 + 31 + 30), frequency 1, monetary 60
# x     2024-07-01   500    on as_of: ignored (I3)
RFM_ROWS = [
    ("a", D(2024, 5, 1), 50),
    ("a", D(2024, 6, 1), 100),
    ("b", D(2024, 6, 1), 30),
    ("c", D(2024, 1, 1), 10),
    ("c", D(2024, 2, 1), 10),
    ("c", D(2024, 3, 1), 200),
    ("c", D(2024, 4, 1), -50),
    ("d", D(2024, 6, 15), -20),
    ("e", D(2023, 12, 1), 60),
    ("e", D(2024, 6, 20), 40),
    ("e", D(2024, 6, 20), -40),
    ("x", D(2024, 7, 1), 500),
]
AS_OF = "2024-07-01"


def test_r1_values_returns_and_single_purchases():
    """R1 / I2 / I3: recency, frequency and net monetary; a return-only customer is absent."""
    r = custseg.rfm(frame(RFM_ROWS), as_of=AS_OF)
    assert list(r["customer_id"]) == ["a", "b", "c", "e"]
    assert by_customer(r, "recency_days") == {"a": 30, "b": 30, "c": 122, "e": 213}
    assert by_customer(r, "frequency") == {"a": 2, "b": 1, "c": 3, "e": 1}
    assert by_customer(r, "monetary") == {"a": 150.0, "b": 30.0, "c": 170.0, "e": 60.0}


def test_r2_ties_share_a_score_and_r3_default_segments():
    """R2 with N = 4, B = 5, score = 5 - floor(5 g / 4):
    g = 0 -> 5, g = 1 -> 5 - floor(1.25) = 4, g = 2 -> 5 - floor(2.5) = 3, g = 3 -> 5 - 3 = 2.

    R: last days a = b = 06-01 (g = 0, tie: both 5), c 03-01 (g = 2: 3), e 2023-12-01 (g = 3: 2).
    F: c 3 (g 0: 5), a 2 (g 1: 4), b = e = 1 (g 2, tie: both 3).
    M (sum): c 170 (5), a 150 (4), e 60 (3), b 30 (2).
    Cells: a 544, b 532, c 355, e 233.
    R3 default table: a (5,4,4) is not Champions (f 4); Potential Loyalist 3-5/3-5/2-5 holds.
    b (5,3,2): Potential Loyalist (m 2 is in 2-5).  c (3,5,5): Potential Loyalist.
    e (2,3,3): r 2 fails Potential Loyalist; Loyal Customers 2-4/2-4/2-4 holds.
    """
    r = custseg.rfm(frame(RFM_ROWS), as_of=AS_OF)
    assert by_customer(r, "r_score") == {"a": 5, "b": 5, "c": 3, "e": 2}
    assert by_customer(r, "f_score") == {"a": 4, "b": 3, "c": 5, "e": 3}
    assert by_customer(r, "m_score") == {"a": 4, "b": 2, "c": 5, "e": 3}
    assert by_customer(r, "rfm_cell") == {"a": "544", "b": "532", "c": "355", "e": "233"}
    assert by_customer(r, "rfm_segment") == {
        "a": "Potential Loyalist",
        "b": "Potential Loyalist",
        "c": "Potential Loyalist",
        "e": "Loyal Customers",
    }
    cats = list(r["rfm_segment"].cat.categories)
    assert cats[0] == "Champions" and cats[-2:] == ["Lost", "Others"] and len(cats) == 11
    assert r["rfm_segment"].cat.ordered


def test_r1_r2_monetary_mean():
    """R1 monetary="mean": net sum / frequency: a 150/2 = 75, b 30, c 170/3 = 56.67, e 60.
    R2 on the means: a (g 0) 5, e (g 1) 4, c (g 2) 3, b (g 3) 2."""
    r = custseg.rfm(frame(RFM_ROWS), as_of=AS_OF, monetary="mean")
    assert by_customer(r, "monetary") == {"a": 75.0, "b": 30.0, "c": 170.0 / 3.0, "e": 60.0}
    assert by_customer(r, "m_score") == {"a": 5, "b": 2, "c": 3, "e": 4}


def test_r2_bins_two_and_nine():
    """R2 with B = 2: score = 2 - floor(2 g / 4): g 0, 1 -> 2; g 2, 3 -> 1.
    R: a, b (g 0) 2; c (g 2) 1; e (g 3) 1.  With B = 9: g 1 -> 9 - floor(2.25) = 7,
    g 2 -> 9 - floor(4.5) = 5, g 3 -> 9 - floor(6.75) = 3; F: c 9, a 7, b = e 5."""
    r2 = custseg.rfm(frame(RFM_ROWS), as_of=AS_OF, bins=2, segments=[])
    assert by_customer(r2, "r_score") == {"a": 2, "b": 2, "c": 1, "e": 1}
    assert set(by_customer(r2, "rfm_segment").values()) == {"Others"}
    r9 = custseg.rfm(frame(RFM_ROWS), as_of=AS_OF, bins=9)
    assert by_customer(r9, "f_score") == {"a": 7, "b": 5, "c": 9, "e": 5}


# Cells of RFM_ROWS (above): a 544, b 532, c 355, e 233.
# Rule 1 "Recent": r 5, any f, any m           -> a, b
# Rule 2 "Rich":   any r, any f, m 4-5         -> a (4) and c (5) hold it, but a already
#                                                  matched rule 1 (first match wins) -> c only
# Rule 3 "Never":  r 1, f 1, m 1               -> nobody
# e (233) matches none -> Others.
CUSTOM_RULES = [
    {"segment": "Recent", "r": (5, 5), "f": "1-5", "m": (1, 5)},
    {"segment": "Rich", "r": "1-5", "f": (1, 5), "m": "4-5"},
    {"segment": "Never", "r": 1, "f": 1, "m": "1-1"},
]
CUSTOM_EXPECTED = {"a": "Recent", "b": "Recent", "c": "Rich", "e": "Others"}


def test_r3_custom_rules_first_match_wins_and_others():
    """R3: a list of dicts, ranges as (lo, hi), "lo-hi" or one int."""
    r = custseg.rfm(frame(RFM_ROWS), as_of=AS_OF, segments=CUSTOM_RULES)
    assert by_customer(r, "rfm_segment") == CUSTOM_EXPECTED
    assert list(r["rfm_segment"].cat.categories) == ["Recent", "Rich", "Never", "Others"]
    assert r["rfm_segment"].cat.ordered


@pytest.mark.parametrize("cells", ["text", "ints"])
def test_r3_custom_rules_as_dataframe(cells):
    """R3: the same rules as a pandas DataFrame (text ranges, or one int per cell)."""
    if cells == "text":
        rules = pd.DataFrame(
            {
                "segment": ["Recent", "Rich", "Never"],
                "r": ["5-5", "1-5", "1"],
                "f": ["1-5", "1-5", "1-1"],
                "m": ["1-5", "4-5", "1-1"],
            }
        )
        expected = CUSTOM_EXPECTED
    else:
        # one score per range: only the exact cells match.  Rule "Cell" (5, 4, 4) is a,
        # "Other cell" (2, 3, 3) is e; b and c fall to Others.
        rules = pd.DataFrame({"segment": ["Cell", "Other cell"], "r": [5, 2], "f": [4, 3]})
        rules["m"] = [4, 3]
        expected = {"a": "Cell", "b": "Others", "c": "Others", "e": "Other cell"}
    r = custseg.rfm(frame(RFM_ROWS), as_of=AS_OF, segments=rules)
    assert by_customer(r, "rfm_segment") == expected


@pytest.mark.parametrize(
    "bins, segments, words",
    [
        # the default table has 5-5 ranges: it does not fit 4 bins; the first rule is named
        (4, None, ["Champions", "R3"]),
        (5, [{"segment": "Wide", "r": "1-6", "f": "1-5", "m": "1-5"}], ["Wide", "R3"]),
        (5, [{"segment": "Zero", "r": (0, 2), "f": 1, "m": 1}], ["Zero", "R3"]),
        (5, [{"segment": "Upside down", "r": "4-2", "f": 1, "m": 1}], ["Upside down", "R3"]),
        (5, [{"segment": "Others", "r": 1, "f": 1, "m": 1}], ["Others", "R3"]),
        (
            5,
            [
                {"segment": "Twice", "r": 1, "f": 1, "m": 1},
                {"segment": "Twice", "r": 2, "f": 2, "m": 2},
            ],
            ["Twice", "R3"],
        ),
        (1, [], ["bins", "R2"]),
        (10, [], ["bins", "R2"]),
        (1, None, ["bins"]),
        (10, None, ["bins"]),
    ],
)
def test_r2_r3_bad_configuration_is_config_error(bins, segments, words):
    """R2: bins must be 2..9; R3: a rule outside 1..bins, lo > hi, a repeated name or
    the name Others is a ConfigError naming the rule."""
    with pytest.raises(custseg.ConfigError) as err:
        custseg.rfm(frame(RFM_ROWS), as_of=AS_OF, bins=bins, segments=segments)
    assert isinstance(err.value, ValueError)
    for w in words:
        assert w in str(err.value), str(err.value)


# --------------------------------------------------------------------------- CLV1 lifetime
# as_of = 2024-01-01: as_of - 730 = 2022-01-01, as_of - 365 = 2023-01-01.
# base window [2022-01-01, 2023-01-01), recent window [2023-01-01, 2024-01-01).
#
# cust  days                       base?                 came back?
# 1     2022-06-01, 2023-06-01     yes                   yes
# 2     2022-03-01, 2023-09-01     yes                   yes
# 3     2022-12-31, 2023-01-01     yes (12-31 < 01-01)   yes (2023-01-01 is in the window)
# 4     2022-01-01                 yes (as_of - 730)     no  -> churned
# 5     2023-05-01                 no                    -
# 6     2021-12-31                 no (as_of - 731)      -
# base 4, churned 1: churn 1/4, lifetime 4.0 years.
CHURN_ROWS = [
    (1, D(2022, 6, 1), 10),
    (1, D(2023, 6, 1), 10),
    (2, D(2022, 3, 1), 10),
    (2, D(2023, 9, 1), 10),
    (3, D(2022, 12, 31), 10),
    (3, D(2023, 1, 1), 10),
    (4, D(2022, 1, 1), 100),
    (5, D(2023, 5, 1), 50),
    (6, D(2021, 12, 31), 10),
]


def test_clv1_default_lifetime_is_one_over_churn():
    """CLV1: lifetime = 1 / (1/4) = 4.0; clv = aov * purchases_per_year * lifetime.

    Customer 4: aov 100, tenure 730 / 365.25 years (> 1), ppy = 1 / (730 / 365.25),
    clv = 100 * ppy * 4.  Customer 5: tenure 245 days < 1 year, so ppy = 1 / 1 = 1,
    clv = 50 * 1 * 4 = 200.
    """
    v = custseg.clv(frame(CHURN_ROWS), as_of="2024-01-01")
    assert set(by_customer(v, "lifetime_years").values()) == {4.0}
    tenure4 = 730 / 365.25
    assert by_customer(v, "tenure_years")[4] == tenure4
    assert by_customer(v, "purchases_per_year")[4] == 1.0 / tenure4
    assert by_customer(v, "clv")[4] == 100.0 * (1.0 / tenure4) * 4.0
    assert by_customer(v, "tenure_years")[5] == 245 / 365.25
    assert by_customer(v, "purchases_per_year")[5] == 1.0
    assert by_customer(v, "aov")[5] == 50.0
    assert by_customer(v, "clv")[5] == 200.0


@pytest.mark.parametrize(
    "drop, why",
    [
        # without customer 4 the base (1, 2, 3) all came back: churn 0
        ({4}, "churn 0"),
        # only customers 5 and 6: nobody bought 366-730 days before as_of
        ({1, 2, 3, 4}, "no customer"),
    ],
)
def test_clv1_default_lifetime_cannot_be_computed(drop, why):
    """CLV1: churn 0 or an empty base is a ConfigError asking for lifetime_years;
    with lifetime_years given the same data work."""
    rows = [r for r in CHURN_ROWS if r[0] not in drop]
    with pytest.raises(custseg.ConfigError) as err:
        custseg.clv(frame(rows), as_of="2024-01-01")
    msg = str(err.value)
    assert "lifetime_years" in msg and "CLV1" in msg, msg
    v = custseg.clv(frame(rows), as_of="2024-01-01", lifetime_years=2.5)
    assert set(by_customer(v, "lifetime_years").values()) == {2.5}


# --------------------------------------------------------------------------- CLV3 loyalty
# Semiannual periods (Jan 1 / Jul 1), as_of = 2024-07-01, as_of - 1 day = 2024-06-30 (2024H1).
# lifetime_years = 1.
#
# cust  events (amount)                           periods span        with events  loyalty
# A     2023-02-01 (10), 2023-03-01 (10),         2023H1..2024H1 = 3  2023H1, 2024H1  2/3
#       2024-02-01 (40)
# B     2023-08-01 (30), 2024-01-15 (30)          2023H2..2024H1 = 2  2               1
# C     2022-01-10 (500)                          2022H1..2024H1 = 5  1               1/5
# D     2024-06-30 (5)                            2024H1 = 1          1               1
#
# CLV1: A aov 60/3 = 20, tenure 516 days (> 1 year), ppy = 3 / (516/365.25), clv = 42.47
#       B aov 30, tenure 335 days -> ppy 2, clv 60
#       C aov 500, tenure 903 days, ppy = 1 / (903/365.25), clv = 202.24
#       D aov 5, tenure 1 day -> ppy 1, clv 5
# Default thresholds (midpoint medians of 4 values):
#   clv sorted 5, 42.47, 60, 202.24       -> (42.47 + 60) / 2 = 51.24
#   loyalty sorted 0.2, 0.667, 1, 1       -> (0.667 + 1) / 2 = 0.833
#   A low value / low loyalty, B high / high, C high / low, D low / high.
# Explicit value_threshold = 60, loyalty_threshold = 0.2 ("at or above" is high):
#   A low / high, B high / high (60 >= 60), C high / high (0.2 >= 0.2), D low / high.
# CLV2 (N = 4): C g 0 -> r 0 high; B r .25, A r .5, D r .75 -> medium (all < 0.8).
LOYAL_ROWS = [
    ("A", D(2023, 2, 1), 10),
    ("A", D(2023, 3, 1), 10),
    ("A", D(2024, 2, 1), 40),
    ("B", D(2023, 8, 1), 30),
    ("B", D(2024, 1, 15), 30),
    ("C", D(2022, 1, 10), 500),
    ("D", D(2024, 6, 30), 5),
]


def test_clv1_clv3_loyalty_and_default_quadrants():
    """CLV3: loyalty per customer and the quadrants against the median thresholds."""
    v = custseg.clv(frame(LOYAL_ROWS), as_of=AS_OF, lifetime_years=1.0)
    assert by_customer(v, "loyalty") == {"A": 2 / 3, "B": 1.0, "C": 1 / 5, "D": 1.0}
    assert by_customer(v, "aov") == {"A": 20.0, "B": 30.0, "C": 500.0, "D": 5.0}
    clv = by_customer(v, "clv")
    assert clv["A"] == 20.0 * (3.0 / (516 / 365.25)) * 1.0
    assert clv["B"] == 60.0 and clv["D"] == 5.0
    assert clv["C"] == 500.0 * (1.0 / (903 / 365.25)) * 1.0
    assert by_customer(v, "value_loyalty") == {
        "A": "low value / low loyalty",
        "B": "high value / high loyalty",
        "C": "high value / low loyalty",
        "D": "low value / high loyalty",
    }
    assert by_customer(v, "clv_tier") == {"A": "medium", "B": "medium", "C": "high", "D": "medium"}
    assert list(v["value_loyalty"].cat.categories) == [
        "high value / high loyalty",
        "high value / low loyalty",
        "low value / high loyalty",
        "low value / low loyalty",
    ]


def test_clv3_explicit_thresholds_are_inclusive():
    """CLV3: clv >= value_threshold and loyalty >= loyalty_threshold are "high"."""
    v = custseg.clv(
        frame(LOYAL_ROWS),
        as_of=AS_OF,
        lifetime_years=1.0,
        value_threshold=60.0,
        loyalty_threshold=0.2,
    )
    assert by_customer(v, "value_loyalty") == {
        "A": "low value / high loyalty",
        "B": "high value / high loyalty",
        "C": "high value / high loyalty",
        "D": "low value / high loyalty",
    }


# CLV3a on the same rows: tenures A 516, B 335, C 903, D 1 days; the median
# tenure is (335 + 516) / 2 = 425.5 days, so A and C are long, B and D short.
# Value as above (median 51.24): A low, B high, C high, D low.
def test_clv3a_tenure_quadrants_default_and_explicit():
    """CLV3a: clv high/low x tenure long/short, medians unless given (inclusive)."""
    v = custseg.clv(frame(LOYAL_ROWS), as_of=AS_OF, lifetime_years=1.0)
    assert by_customer(v, "tenure_quadrant") == {
        "A": "low value / long tenure",
        "B": "high value / short tenure",
        "C": "high value / long tenure",
        "D": "low value / short tenure",
    }
    assert list(v["tenure_quadrant"].cat.categories) == [
        "high value / long tenure",
        "high value / short tenure",
        "low value / long tenure",
        "low value / short tenure",
    ]
    # B's tenure exactly at the threshold is long; D (1 day) stays short.
    v = custseg.clv(
        frame(LOYAL_ROWS), as_of=AS_OF, lifetime_years=1.0, tenure_threshold=335 / 365.25
    )
    assert by_customer(v, "tenure_quadrant")["B"] == "high value / long tenure"
    assert by_customer(v, "tenure_quadrant")["D"] == "low value / short tenure"


# --------------------------------------------------------------------------- CLV2 tiers
def test_clv2_tiers_20_60_20_on_ten_customers():
    """CLV2: ten customers, one purchase each on 2024-06-01 of 10, 20, ..., 100; with
    lifetime 1 and tenure < 1 year clv = amount.  r = g / 10: 100 (r 0) and 90 (r .1) are
    high; 80 (r .2, not < .2) .. 30 (r .7) medium; 20 (r .8, not < .8) and 10 low."""
    rows = [(i, D(2024, 6, 1), 10 * i) for i in range(1, 11)]
    v = custseg.clv(frame(rows), as_of=AS_OF, lifetime_years=1.0)
    assert by_customer(v, "clv") == {i: 10.0 * i for i in range(1, 11)}
    tiers = by_customer(v, "clv_tier")
    assert tiers == {i: "high" if i >= 9 else "low" if i <= 2 else "medium" for i in range(1, 11)}
    assert list(v["clv_tier"].cat.categories) == ["high", "medium", "low"]
    assert v["clv_tier"].cat.ordered
    # custom cuts (0.5, 0.9): r < .5 (100..60) high, r < .9 (50..20) medium, 10 low
    v = custseg.clv(frame(rows), as_of=AS_OF, lifetime_years=1.0, cuts=(0.5, 0.9))
    tiers = by_customer(v, "clv_tier")
    assert tiers == {i: "high" if i >= 6 else "low" if i == 1 else "medium" for i in range(1, 11)}


def test_clv2_the_old_name_tiers_still_works_with_a_deprecation_warning():
    """CLV2's cut points are ``cuts`` everywhere (``clv_cuts`` in segment); the old
    ``tiers=`` gives the same result with a DeprecationWarning; both at once is an error."""
    rows = [(i, D(2024, 6, 1), 10 * i) for i in range(1, 11)]
    want = custseg.clv(frame(rows), as_of=AS_OF, lifetime_years=1.0, cuts=(0.5, 0.9))
    with pytest.warns(DeprecationWarning, match="cuts="):
        old = custseg.clv(frame(rows), as_of=AS_OF, lifetime_years=1.0, tiers=(0.5, 0.9))
    pd.testing.assert_frame_equal(old, want)
    seg = custseg.segment(
        frame(rows), as_of=AS_OF, what="clv", lifetime_years=1.0, clv_cuts=(0.5, 0.9)
    )
    pd.testing.assert_frame_equal(seg, want)
    with pytest.warns(DeprecationWarning, match="clv_cuts="):
        old = custseg.segment(
            frame(rows), as_of=AS_OF, what="clv", lifetime_years=1.0, tiers=(0.5, 0.9)
        )
    pd.testing.assert_frame_equal(old, want)
    with pytest.raises(custseg.ConfigError, match="not both"):
        custseg.clv(frame(rows), as_of=AS_OF, lifetime_years=1.0, cuts=(0.5, 0.9), tiers=(0.5,))


# --------------------------------------------------------------------------- CLV5 crosstab
# a = seg:  x, y, x, x        b = tier (categories high, medium, low): high, low, low, high
# counts:        high medium low        index (rows):     high  medium  low
#           x     2     0     1                      x    2/3    0     1/3
#           y     0     0     1                      y     0     0      1
# columns: high: x 2/2 = 1, y 0; low: x 1/2, y 1/2.   all: x 2/4, 0, 1/4; y 0, 0, 1/4.
SEG = ["x", "y", "x", "x"]
TIER = ["high", "low", "low", "high"]
TIER_CATS = ["high", "medium", "low"]
EXPECTED_CT = {
    None: {"x": [2, 0, 1], "y": [0, 0, 1]},
    "index": {"x": [2 / 3, 0.0, 1 / 3], "y": [0.0, 0.0, 1.0]},
    "all": {"x": [0.5, 0.0, 0.25], "y": [0.0, 0.0, 0.25]},
    # the empty "medium" column is left out of the comparison (0/0)
    "columns": {"x": [1.0, None, 0.5], "y": [0.0, None, 0.5]},
}


def _inputs(family: str):
    if family == "pandas":
        a = pd.Series(SEG, name="seg")
        b = pd.Series(pd.Categorical(TIER, categories=TIER_CATS, ordered=True), name="tier")
        return a, b
    if family == "polars":
        pl = pytest.importorskip("polars")
        return pl.Series("seg", SEG), pl.Series("tier", TIER, dtype=pl.Enum(TIER_CATS))
    indices = pa.array([TIER_CATS.index(t) for t in TIER], pa.int8())
    return pa.array(SEG), pa.DictionaryArray.from_arrays(indices, pa.array(TIER_CATS))


def _table(out, family: str) -> dict:
    """{row label: [values in TIER_CATS order]}, and checks the shape of the result."""
    if family == "pandas":
        assert isinstance(out, pd.DataFrame)
        assert list(out.columns) == TIER_CATS
        return {str(k): [float(out.loc[k, c]) for c in TIER_CATS] for k in out.index}
    if family == "polars":
        assert type(out).__module__.startswith("polars")
        d = out.to_dict(as_series=False)
    else:
        assert isinstance(out, pa.Table)
        d = out.to_pydict()
    first = next(iter(d))
    assert list(d)[1:] == TIER_CATS
    return {k: [float(d[c][i]) for c in TIER_CATS] for i, k in enumerate(d[first])}


@pytest.mark.parametrize("family", ["pandas", "polars", "arrow"])
@pytest.mark.parametrize("normalize", [None, "index", "columns", "all"])
def test_clv5_crosstab_counts_and_shares(family, normalize):
    """CLV5: counts and shares; every category of a categorical appears, in order."""
    a, b = _inputs(family)
    got = _table(custseg.crosstab(a, b, normalize=normalize), family)
    want = EXPECTED_CT[normalize]
    assert sorted(got) == ["x", "y"]
    for label, values in want.items():
        for g, w in zip(got[label], values, strict=True):
            if w is not None:
                assert g == pytest.approx(w, rel=1e-15, abs=0.0), (label, got, want)


def test_clv5_crosstab_of_rfm_and_clv():
    """CLV5 on real results: rfm_segment x clv_tier of LOYAL_ROWS counts each customer once."""
    s = custseg.segment(frame(LOYAL_ROWS), as_of=AS_OF, lifetime_years=1.0, what=("rfm", "clv"))
    ct = custseg.crosstab(s["rfm_segment"], s["clv_tier"])
    assert int(ct.to_numpy().sum()) == 4
    # tiers from test_clv1_clv3_loyalty_and_default_quadrants: 1 high (C), 3 medium
    assert list(ct.sum(axis=0)) == [1, 3, 0]


def test_clv5_bad_normalize_is_config_error():
    a, b = _inputs("pandas")
    with pytest.raises(custseg.ConfigError, match="normalize"):
        custseg.crosstab(a, b, normalize="rows")
