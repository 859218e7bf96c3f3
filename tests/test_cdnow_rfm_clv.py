"""RFM (R1-R3) and simple CLV (CLV1-CLV3) on real data: the CDNOW master file.

The master file (69,659 lines, 23,570 customers, 1997-01-01 .. 1998-06-30) ships with
the package: ``custseg.datasets.cdnow()``.

Every expected figure is computed here, independently, with plain pandas/numpy
groupbys on the raw lines (never by a custseg computation), at ``as_of = 1998-07-01`` (the
day after the data, I3) with the default options:

- purchase events (I2): (customer, day) pairs whose net total is > 0, totals summed in
  whole millionths (I6);
- R1 recency/frequency/monetary, R2 scores with the "strictly better" counting,
  R3 segments with the default rules table (first match wins);
- CLV1 clv with lifetime_years=3 and the default churn-based lifetime, CLV2 tiers,
  CLV3 loyalty and quadrants on half-year periods;
- one ``segment(what=("rfm", "clv"))`` pass equals the two separate calls.
"""

from __future__ import annotations

import custseg as cs
import numpy as np
import pandas as pd
import pytest

AS_OF = pd.Timestamp("1998-07-01")  # the day after the last day of the data (I3)
AS_OF_STR = "1998-07-01"
B = 5  # default bins (R2)
DAYS_PER_YEAR = 365.25  # CLV1

# R3: the default rules table of the R package ``rfm`` as written in docs/rules.md,
# typed here again (not read from custseg): (segment, R range, F range, M range).
RULES = [
    ("Champions", (5, 5), (5, 5), (5, 5)),
    ("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
    ("Loyal Customers", (2, 4), (2, 4), (2, 4)),
    ("Promising", (3, 4), (1, 3), (3, 5)),
    ("New Customers", (4, 5), (1, 3), (1, 5)),
    ("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
    ("At Risk", (1, 2), (2, 5), (4, 5)),
    ("Need Attention", (1, 3), (3, 5), (3, 5)),
    ("About To Sleep", (2, 3), (1, 3), (1, 4)),
    ("Lost", (1, 1), (1, 5), (1, 5)),
]
SEGMENT_ORDER = [r[0] for r in RULES] + ["Others"]
TIERS = ["high", "medium", "low"]
QUADRANTS = [
    "high value / high loyalty",
    "high value / low loyalty",
    "low value / high loyalty",
    "low value / low loyalty",
]

# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    """The raw lines: customer_id (int64), date (datetime64), amount (float64)."""
    df = cs.datasets.cdnow("master", output="pandas")
    # The data set itself, as documented (not a product figure).
    assert len(df) == 69_659
    assert df["customer_id"].nunique() == 23_570
    assert df["date"].min() == pd.Timestamp("1997-01-01")
    assert df["date"].max() == pd.Timestamp("1998-06-30")
    return df[["customer_id", "date", "amount"]]


@pytest.fixture(scope="module")
def days(tx: pd.DataFrame) -> pd.DataFrame:
    """Net total per (customer, day) in whole millionths (I2, I6), rows before as_of (I3)."""
    used = tx[tx["date"] < AS_OF]
    micros = np.round(used["amount"].to_numpy() * 1_000_000).astype(np.int64)
    return (
        used.assign(micros=micros).groupby(["customer_id", "date"], as_index=False)["micros"].sum()
    )


@pytest.fixture(scope="module")
def expected(days: pd.DataFrame) -> pd.DataFrame:
    """Per customer with a purchase event: the R1 values and CLV1 inputs, in pandas."""
    events = days[days["micros"] > 0]  # I2: a day with a positive net total
    ev = events.groupby("customer_id").agg(
        frequency=("date", "size"), first=("date", "min"), last=("date", "max")
    )
    net = days.groupby("customer_id")["micros"].sum()  # R1: all lines, also non-event days
    out = ev.join(net.rename("net_micros"), how="left").sort_index()
    out["recency_days"] = (AS_OF - out["last"]).dt.days
    out["monetary"] = out["net_micros"] / 1_000_000
    return out


@pytest.fixture(scope="module")
def rfm_out(tx: pd.DataFrame) -> pd.DataFrame:
    return cs.rfm(tx, as_of=AS_OF_STR)


@pytest.fixture(scope="module")
def clv3_out(tx: pd.DataFrame) -> pd.DataFrame:
    return cs.clv(tx, as_of=AS_OF_STR, lifetime_years=3)


def strictly_better(values: np.ndarray) -> np.ndarray:
    """g_i = number of customers whose value is strictly greater than values[i] (R2, CV6)."""
    ordered = np.sort(values)
    return len(values) - np.searchsorted(ordered, values, side="right")


def score(values: np.ndarray) -> np.ndarray:
    """R2: B - floor(B g / N), in integers (no float rounding at the cut points)."""
    n = len(values)
    return B - (B * strictly_better(values)) // n


def expected_scores(exp: pd.DataFrame) -> pd.DataFrame:
    # Recency: better = a strictly later last purchase day, i.e. a smaller recency_days.
    return pd.DataFrame(
        {
            "r_score": score(-exp["recency_days"].to_numpy()),
            "f_score": score(exp["frequency"].to_numpy()),
            "m_score": score(exp["net_micros"].to_numpy()),  # exact money (I6)
        },
        index=exp.index,
    )


def first_match(sc: pd.DataFrame) -> pd.Series:
    """R3: the first rule whose three ranges hold the scores, else Others."""
    seg = pd.Series("Others", index=sc.index, dtype=object)
    done = pd.Series(False, index=sc.index)
    for name, (r0, r1), (f0, f1), (m0, m1) in RULES:
        hit = (
            sc["r_score"].between(r0, r1)
            & sc["f_score"].between(f0, f1)
            & sc["m_score"].between(m0, m1)
            & ~done
        )
        seg[hit] = name
        done |= hit
    return seg


def expected_clv(exp: pd.DataFrame, lifetime: float) -> pd.Series:
    """CLV1: aov x purchases_per_year x lifetime_years."""
    aov = exp["monetary"] / exp["frequency"]
    tenure = (AS_OF - exp["first"]).dt.days / DAYS_PER_YEAR
    ppy = exp["frequency"] / np.maximum(tenure, 1.0)
    return aov * ppy * lifetime


def tier_of(clv: np.ndarray) -> np.ndarray:
    """CLV2: r = (customers with a strictly higher clv) / N; < 0.2 high, < 0.8 medium."""
    r = strictly_better(clv) / len(clv)
    return np.where(r < 0.2, "high", np.where(r < 0.8, "medium", "low"))


# ---------------------------------------------------------------------------- RFM


def test_customers_and_r1_values(rfm_out: pd.DataFrame, expected: pd.DataFrame) -> None:
    """I2/R1: one row per customer with a positive-total day, sorted by id; recency,
    frequency (purchase days) and monetary (net sum of all lines) per customer."""
    assert len(rfm_out) == len(expected)
    # 68 of the 23,570 ids bought only zero-value items: no purchase event (I2).
    assert len(expected) < 23_570
    np.testing.assert_array_equal(rfm_out["customer_id"].to_numpy(), expected.index.to_numpy())
    np.testing.assert_array_equal(rfm_out["recency_days"], expected["recency_days"])
    np.testing.assert_array_equal(rfm_out["frequency"], expected["frequency"])
    # I6: the float of the exact millionth sum, so exact equality is expected.
    np.testing.assert_array_equal(rfm_out["monetary"], expected["monetary"])


def test_r2_scores_strictly_better_counting(rfm_out: pd.DataFrame, expected: pd.DataFrame) -> None:
    """R2: score = 5 - floor(5 g / N), g = customers strictly better; ties share."""
    sc = expected_scores(expected)
    for col in ("r_score", "f_score", "m_score"):
        got = rfm_out[col].to_numpy().astype(np.int64)
        want = sc[col].to_numpy()
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, (
            f"{col}: {bad.size} customers differ, first id "
            f"{expected.index[bad[0]]}: got {got[bad[0]]}, expected {want[bad[0]]} (R2)"
        )
    cell = (
        sc["r_score"].astype(str) + sc["f_score"].astype(str) + sc["m_score"].astype(str)
    ).to_numpy()
    np.testing.assert_array_equal(rfm_out["rfm_cell"].astype(str).to_numpy(), cell)


def test_r3_default_segments(rfm_out: pd.DataFrame, expected: pd.DataFrame) -> None:
    """R3: default rules table, first match wins, Others otherwise; per customer and
    per segment size, categories in table order."""
    want = first_match(expected_scores(expected))
    assert list(rfm_out["rfm_segment"].cat.categories) == SEGMENT_ORDER
    got = rfm_out["rfm_segment"].astype(str).to_numpy()
    np.testing.assert_array_equal(got, want.to_numpy())
    sizes_got = rfm_out["rfm_segment"].value_counts().reindex(SEGMENT_ORDER, fill_value=0)
    sizes_want = want.value_counts().reindex(SEGMENT_ORDER, fill_value=0)
    assert sizes_got.to_dict() == sizes_want.to_dict()
    assert sizes_want.sum() == len(expected)


# ---------------------------------------------------------------------------- CLV


def test_clv1_fixed_lifetime(clv3_out: pd.DataFrame, expected: pd.DataFrame) -> None:
    """CLV1 with lifetime_years=3: aov, tenure, purchases per year and clv per customer."""
    np.testing.assert_array_equal(clv3_out["customer_id"].to_numpy(), expected.index.to_numpy())
    assert (clv3_out["lifetime_years"] == 3.0).all()
    aov = (expected["monetary"] / expected["frequency"]).to_numpy()
    tenure = ((AS_OF - expected["first"]).dt.days / DAYS_PER_YEAR).to_numpy()
    np.testing.assert_allclose(clv3_out["aov"], aov, rtol=1e-12)
    np.testing.assert_allclose(clv3_out["tenure_years"], tenure, rtol=1e-12)
    np.testing.assert_allclose(
        clv3_out["purchases_per_year"],
        expected["frequency"].to_numpy() / np.maximum(tenure, 1.0),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        clv3_out["clv"], expected_clv(expected, 3.0).to_numpy(), rtol=1e-12, atol=0
    )


def test_clv2_tiers_and_top_revenue_share(
    tx: pd.DataFrame, clv3_out: pd.DataFrame, rfm_out: pd.DataFrame, expected: pd.DataFrame
) -> None:
    """CLV2: 20-60-20 tiers by strictly-higher counting; the high tier's share of the
    total net revenue."""
    want = tier_of(expected_clv(expected, 3.0).to_numpy())
    assert list(clv3_out["clv_tier"].cat.categories) == TIERS
    got = clv3_out["clv_tier"].astype(str).to_numpy()
    np.testing.assert_array_equal(got, want)
    counts_got = clv3_out["clv_tier"].value_counts().reindex(TIERS).to_dict()
    counts_want = pd.Series(want).value_counts().reindex(TIERS).to_dict()
    assert counts_got == counts_want
    # Ties share a tier, so the high tier has at most 20% of the customers (+ ties).
    assert counts_want["high"] <= 0.2 * len(expected) + 1

    total_micros = int(np.round(tx.loc[tx["date"] < AS_OF, "amount"] * 1_000_000).sum())
    share_want = expected["net_micros"].to_numpy()[want == "high"].sum() / total_micros
    high = (clv3_out["clv_tier"] == "high").to_numpy()
    share_got = rfm_out["monetary"].to_numpy()[high].sum() / tx["amount"].sum()
    assert share_got == pytest.approx(share_want, rel=1e-12)
    # A Pareto-like concentration on CDNOW (sanity of the data, not a product figure).
    assert 0.5 < share_want < 0.8


def test_clv1_default_lifetime_is_one_over_churn(tx: pd.DataFrame, days: pd.DataFrame) -> None:
    """CLV1 default lifetime: base = customers with a purchase day in [as_of-730,
    as_of-365); churned = base customers without one in [as_of-365, as_of);
    lifetime = 1 / (churned / base)."""
    ev = days[days["micros"] > 0]
    lo, mid = AS_OF - pd.Timedelta(days=730), AS_OF - pd.Timedelta(days=365)
    base = set(ev.loc[(ev["date"] >= lo) & (ev["date"] < mid), "customer_id"])
    recent = set(ev.loc[(ev["date"] >= mid) & (ev["date"] < AS_OF), "customer_id"])
    churned = base - recent
    assert base and churned
    lifetime = 1.0 / (len(churned) / len(base))
    out = cs.clv(tx, as_of=AS_OF_STR)
    assert out["lifetime_years"].nunique() == 1
    assert out["lifetime_years"].iloc[0] == pytest.approx(lifetime, rel=1e-12)


def test_clv3_loyalty_and_quadrants(clv3_out: pd.DataFrame, days: pd.DataFrame) -> None:
    """CLV3 on half years (Jan-Jun, Jul-Dec): loyalty = periods with a purchase /
    periods from the first purchase's to the one holding as_of - 1 day; high value iff
    clv >= median clv, high loyalty iff loyalty >= median loyalty."""
    ev = days[days["micros"] > 0]
    half = ev["date"].dt.year * 2 + (ev["date"].dt.month >= 7)
    per = ev.assign(half=half).groupby("customer_id")["half"].agg(["nunique", "min"])
    last_day = AS_OF - pd.Timedelta(days=1)
    current = last_day.year * 2 + int(last_day.month >= 7)
    loyalty = (per["nunique"] / (current - per["min"] + 1)).sort_index()
    np.testing.assert_allclose(clv3_out["loyalty"], loyalty.to_numpy(), rtol=1e-12)

    clv = clv3_out["clv"].to_numpy()  # the values were checked in test_clv1_fixed_lifetime
    hv = clv >= np.median(clv)
    hl = loyalty.to_numpy() >= np.median(loyalty.to_numpy())
    want = np.where(
        hv,
        np.where(hl, QUADRANTS[0], QUADRANTS[1]),
        np.where(hl, QUADRANTS[2], QUADRANTS[3]),
    )
    np.testing.assert_array_equal(clv3_out["value_loyalty"].astype(str).to_numpy(), want)


# -------------------------------------------------------------------- one pass


@pytest.mark.parametrize("lifetime", [None, 3.0], ids=["churn-lifetime", "lifetime-3"])
def test_segment_rfm_clv_equals_separate_calls(tx: pd.DataFrame, lifetime: float | None) -> None:
    """segment(what=("rfm", "clv")) = rfm() and clv() side by side (issue 4)."""
    both = cs.segment(tx, as_of=AS_OF_STR, what=("rfm", "clv"), lifetime_years=lifetime)
    r = cs.rfm(tx, as_of=AS_OF_STR)
    v = cs.clv(tx, as_of=AS_OF_STR, lifetime_years=lifetime)
    want = r.merge(v, on="customer_id", how="inner", validate="one_to_one")
    assert len(want) == len(r) == len(v)
    assert list(both.columns) == list(want.columns)
    pd.testing.assert_frame_equal(both.reset_index(drop=True), want, check_exact=True)


def test_as_of_is_the_default(tx: pd.DataFrame, rfm_out: pd.DataFrame) -> None:
    """I3: the default as_of is the day after the latest day, 1998-07-01 here."""
    assert tx["date"].max() + pd.Timedelta(days=1) == AS_OF
    pd.testing.assert_frame_equal(cs.rfm(tx), rfm_out)
