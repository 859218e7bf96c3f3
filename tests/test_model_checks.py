"""The BTYD model checks (CLV4, ``custseg.model_checks`` and their plots)
against ``tests/reference_checks.py``: a plain reading of each table, one
customer (or row) at a time, with the BG/NBD formulas of Fader, Hardie and Lee
(2005) from ``tests/reference_btyd.py`` and scipy.

* ``BetaGeo.probability_of_purchases`` (eq. 8) against scipy's betaln and
  negative binomial, on drawn parameters; it adds up to 1 and its mean is E[X(t)].
* every table against the reference on small drawn data (hypothesis) and on
  the CDNOW sample (2,357 customers, weeks, calibration to 1997-09-30,
  ``count_zero_days=True``) with the fitted BetaGeo: the expected customers of
  ``period_transactions`` add up to 2,357; the 39-week holdout holds 1,882
  repeat purchases, of which the model's conditional expectation predicts
  1,653.4 (tests/test_btyd.py); the tracking table counts 2,457 calibration
  and 1,882 holdout repeat transactions of the cohort.
* the tables do not depend on the row order (I5) and come back in the input's family;
* bad input is a clear error; every plot draws headless and holds what it shows.
"""

from __future__ import annotations

import datetime
import math
import os
import sys
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

import reference_btyd as rb  # noqa: E402
import reference_checks as ref  # noqa: E402

try:  # the reference tests must run while the extension is being rebuilt
    import custseg as _custseg
except ImportError as exc:  # pragma: no cover - only while the build is broken
    _custseg = None
    _IMPORT_ERROR: Exception | None = exc
else:
    _IMPORT_ERROR = None

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RTOL = 1e-8  # predictions: product vs reference (as tests/test_btyd.py)
CAL_END = datetime.date(1997, 9, 30)
OBS_END = datetime.date(1998, 6, 30)
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # published


@pytest.fixture(scope="module")
def cs() -> Any:
    """custseg, or a failure (not a skip) saying why it cannot be imported."""
    if _custseg is None:
        pytest.fail(f"custseg cannot be imported: {_IMPORT_ERROR!r}")
    return _custseg


def params_of(model: Any) -> list[float]:
    return [model.params[k] for k in ("r", "alpha", "a", "b")]


# ====================================================================== data
@pytest.fixture(scope="module")
def tx(cs) -> pd.DataFrame:
    df = cs.datasets.cdnow("sample", output="pandas")
    return df[["customer_id", "date", "amount"]]


@pytest.fixture(scope="module")
def summary(cs, tx) -> pd.DataFrame:
    return cs.rfm_summary(tx, as_of="1997-10-01", unit="W", count_zero_days=True)


@pytest.fixture(scope="module")
def bg(cs, summary) -> Any:
    return cs.BetaGeo().fit(summary)


def holdout_table(tx: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    """The calibration/holdout table in plain pandas: the summary, and per
    customer the purchase events (exact day totals >= 0, I2 with zero days)
    from 1997-10-01 through 1998-06-30; duration 39 weeks."""
    later = tx[(tx["date"] > pd.Timestamp(CAL_END)) & (tx["date"] <= pd.Timestamp(OBS_END))]
    micros = np.round(later["amount"].to_numpy() * 1_000_000).astype(np.int64)
    days = later.assign(m=micros).groupby(["customer_id", "date"])["m"].sum()
    events = days[days >= 0].groupby(level="customer_id").size()
    out = s.copy()
    out["frequency_holdout"] = (
        events.reindex(out["customer_id"], fill_value=0).to_numpy().astype(np.int64)
    )
    out["duration_holdout"] = 273 / 7.0
    return out


@pytest.fixture(scope="module")
def ch(tx, summary) -> pd.DataFrame:
    return holdout_table(tx, summary)


@st.composite
def summaries(draw: Any, holdout: bool = False) -> pd.DataFrame:
    """A small BTYD summary in weeks (whole days), optionally with holdout columns."""
    n = draw(st.integers(1, 25))
    rows = []
    for _ in range(n):
        t_days = draw(st.integers(0, 120))
        x = draw(st.integers(0, 9))
        tx_days = 0 if x == 0 else draw(st.integers(0, t_days))
        rows.append((x, tx_days / 7, t_days / 7))
    df = pd.DataFrame(rows, columns=["frequency", "recency", "T"])
    if holdout:
        df["frequency_holdout"] = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
        df["duration_holdout"] = draw(st.sampled_from([4.0, 13.0, 26.0 + 1 / 7]))
    return df


# a away from 1 and a + b away from 1: the reference's textbook expectation divides
# by a - 1 and scipy's hyp2f1 has c = a + b - 1 + x (as tests/test_btyd.py)
bg_params = st.tuples(
    st.floats(0.05, 3.0),
    st.floats(0.5, 30.0),
    st.floats(0.2, 0.95) | st.floats(1.05, 3.0),
    st.floats(0.5, 6.0),
).filter(lambda p: abs(p[2] + p[3] - 1) > 0.05)


def model(cs, p) -> Any:
    return cs.BetaGeo.from_params(r=p[0], alpha=p[1], a=p[2], b=p[3])


def in_family(df: pd.DataFrame, family: str) -> Any:
    if family == "pandas":
        return df
    table = pa.Table.from_pandas(df, preserve_index=False)
    return pl.from_arrow(table) if family == "polars" else table


def as_pandas(obj: Any) -> pd.DataFrame:
    if isinstance(obj, pd.DataFrame):
        return obj.reset_index(drop=True)
    return obj.to_pandas()  # polars or Arrow


def assert_table(got: Any, want: list[dict], rtol: float = RTOL) -> None:
    """Columns of ``want`` equal: text and integers exactly, floats to ``rtol``."""
    g = as_pandas(got)
    w = pd.DataFrame(want)
    assert list(g.columns) == list(w.columns)
    assert len(g) == len(w), (g, w)
    for c in w.columns:
        if w[c].dtype.kind == "f":
            np.testing.assert_allclose(
                g[c].to_numpy(float), w[c].to_numpy(float), rtol=rtol, atol=1e-12, err_msg=c
            )
        else:
            assert g[c].tolist() == w[c].tolist(), c


# ====================================================== P(X(t) = x), eq. (8)
def test_reference_pmf_by_hand() -> None:
    """r = alpha = a = b = 1, t = 1: P(X=0) = 1/2, P(X=1) = 1/2 (1/4 + 1/2) = 3/8."""
    assert ref.bgnbd_pmf([1, 1, 1, 1], 1.0, 0) == pytest.approx(0.5, rel=1e-14)
    assert ref.bgnbd_pmf([1, 1, 1, 1], 1.0, 1) == pytest.approx(0.375, rel=1e-14)


@SETTINGS
# t >= 1e-3: below, alpha / (alpha + t) rounds to 1 in the reference (not in the product)
@given(p=bg_params, t=st.just(0.0) | st.floats(1e-3, 300.0), n_max=st.integers(0, 40))
def test_probability_of_purchases_matches_scipy(cs, p, t, n_max) -> None:
    got = model(cs, p).probability_of_purchases(t, n_max)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (n_max + 1,)
    want = [ref.bgnbd_pmf(p, t, x) for x in range(n_max + 1)]
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-300)


@pytest.mark.parametrize("t", [0.5, 38.86, 78.0, 500.0])
def test_probability_of_purchases_sums_to_one(cs, t) -> None:
    """Over a long range it adds up to 1, and its mean is E[X(t)] (eq. 9, an
    independent formula: the hypergeometric closed form)."""
    bg = cs.BetaGeo.from_params(**CDNOW)
    p = bg.probability_of_purchases(t, 20_000)
    assert math.fsum(p) == pytest.approx(1.0, abs=1e-12)
    mean = math.fsum(np.arange(len(p)) * p)
    assert mean == pytest.approx(
        rb.expected_purchases_population(list(CDNOW.values()), t), rel=1e-9
    )
    assert p[0] == pytest.approx(ref.bgnbd_pmf(list(CDNOW.values()), t, 0), rel=1e-12)


def test_probability_of_purchases_hand_worked_and_errors(cs) -> None:
    one = cs.BetaGeo.from_params(r=1, alpha=1, a=1, b=1)
    np.testing.assert_allclose(one.probability_of_purchases(1.0, 1), [0.5, 0.375], rtol=1e-15)
    assert one.probability_of_purchases(0, 2).tolist() == [1.0, 0.0, 0.0]
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(cs.ConfigError, match="n_max"):
            one.probability_of_purchases(1.0, bad)
    with pytest.raises(cs.ConfigError, match="t must be"):
        one.probability_of_purchases(-1.0, 3)
    with pytest.raises(cs.ConfigError, match="t must be"):
        one.probability_of_purchases(float("nan"), 3)
    with pytest.raises(cs.ConfigError, match="no parameters"):
        cs.BetaGeo().probability_of_purchases(1.0, 3)


# ====================================================== period_transactions
@SETTINGS
@given(
    s=summaries(),
    p=bg_params,
    top=st.integers(1, 8),
    family=st.sampled_from(["pandas", "polars", "arrow"]),
)
def test_period_transactions_matches_reference(cs, s, p, top, family) -> None:
    got = cs.period_transactions(model(cs, p), in_family(s, family), max_frequency=top)
    assert type(got) is type(in_family(s, family))
    want = ref.period_transactions(p, s["frequency"], s["T"], top)
    assert_table(got, want)
    assert as_pandas(got)["expected"].sum() == pytest.approx(len(s), rel=1e-12)
    shuffled = s.sample(frac=1.0, random_state=1)
    again = cs.period_transactions(model(cs, p), in_family(shuffled, family), max_frequency=top)
    assert as_pandas(again).equals(as_pandas(got))  # I5: bit for bit


def test_period_transactions_cdnow(cs, bg, summary) -> None:
    t = cs.period_transactions(bg, summary)
    assert t["frequency"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    counts = summary["frequency"].clip(upper=7).value_counts().sort_index()
    assert t["observed"].tolist() == counts.tolist()
    assert t["observed"].tolist()[:2] == [1411, 439]
    assert t["expected"].sum() == pytest.approx(2_357, rel=1e-12)
    want = ref.period_transactions(params_of(bg), summary["frequency"], summary["T"], 7)
    assert_table(t, want)


# ===================================================== holdout_by_frequency
@SETTINGS
@given(
    ch=summaries(holdout=True),
    p=bg_params,
    top=st.integers(1, 8),
    family=st.sampled_from(["pandas", "polars", "arrow"]),
)
def test_holdout_by_frequency_matches_reference(cs, ch, p, top, family) -> None:
    got = cs.holdout_by_frequency(model(cs, p), in_family(ch, family), max_frequency=top)
    assert type(got) is type(in_family(ch, family))
    assert_table(got, ref.holdout_by_frequency(p, ch, top))
    shuffled = ch.sample(frac=1.0, random_state=2)
    again = cs.holdout_by_frequency(model(cs, p), in_family(shuffled, family), max_frequency=top)
    assert as_pandas(again).equals(as_pandas(got))


def test_holdout_by_frequency_cdnow(cs, bg, ch) -> None:
    """1,882 actual holdout purchases; the model's conditional expectation 1,653.4."""
    t = cs.holdout_by_frequency(bg, ch)
    assert int(t["customers"].sum()) == 2_357
    assert (t["customers"] * t["actual"]).sum() == pytest.approx(1_882, abs=1e-9)
    assert (t["customers"] * t["expected"]).sum() == pytest.approx(1653.4, abs=0.5)
    assert_table(t, ref.holdout_by_frequency(params_of(bg), ch, 7))


def test_holdout_checks_on_calibration_holdout(cs, bg, tx, ch) -> None:
    """The same tables from custseg's own calibration/holdout table."""
    made = cs.calibration_holdout(
        tx,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        unit="W",
        count_zero_days=True,
    )
    assert_table(
        cs.holdout_by_frequency(bg, made),
        as_pandas(cs.holdout_by_frequency(bg, ch)).to_dict("records"),
        rtol=1e-12,
    )
    assert_table(
        cs.holdout_accuracy(bg, made),
        as_pandas(cs.holdout_accuracy(bg, ch)).to_dict("records"),
        rtol=1e-12,
    )


def test_several_holdout_durations(cs) -> None:
    """Rows with different durations each get their own horizon."""
    p = list(CDNOW.values())
    ch = pd.DataFrame(
        {
            "frequency": [0, 2, 2, 5],
            "recency": [0.0, 10, 10, 30],
            "T": [39.0, 39, 39, 39],
            "frequency_holdout": [0, 1, 3, 4],
            "duration_holdout": [10.0, 39.0, 5.0, 39.0],
        }
    )
    got = cs.holdout_by_frequency(cs.BetaGeo.from_params(**CDNOW), ch, max_frequency=3)
    assert_table(got, ref.holdout_by_frequency(p, ch, 3))


# ========================================================= holdout_accuracy
@SETTINGS
@given(
    ch=summaries(holdout=True), p=bg_params, family=st.sampled_from(["pandas", "polars", "arrow"])
)
def test_holdout_accuracy_matches_reference(cs, ch, p, family) -> None:
    got = cs.holdout_accuracy(model(cs, p), in_family(ch, family))
    assert type(got) is type(in_family(ch, family))
    assert_table(got, ref.holdout_accuracy(p, ch))
    shuffled = ch.sample(frac=1.0, random_state=3)
    again = cs.holdout_accuracy(model(cs, p), in_family(shuffled, family))
    assert as_pandas(again).equals(as_pandas(got))
    overall = cs.holdout_accuracy(model(cs, p), ch, by_decile=False)
    assert as_pandas(overall).equals(as_pandas(got).iloc[:1])


def test_holdout_accuracy_hand_worked(cs) -> None:
    """Four customers, predictions 2 > 1 = 1 > 0.5 (x = 0 rows share one):
    errors by hand."""
    bg = cs.BetaGeo.from_params(**CDNOW)
    ch = pd.DataFrame(
        {
            "frequency": [0, 0, 3, 8],
            "recency": [0.0, 0, 20, 38],
            "T": [39.0] * 4,
            "frequency_holdout": [1, 0, 2, 5],
            "duration_holdout": [39.0] * 4,
        }
    )
    pred = bg.conditional_expected_purchases(39.0, ch).to_numpy()
    t = cs.holdout_accuracy(bg, ch)
    err = pred - ch["frequency_holdout"].to_numpy()
    first = t.iloc[0]
    assert first["decile"] == "all" and first["customers"] == 4
    assert first["mae"] == pytest.approx(np.abs(err).mean(), rel=1e-14)
    assert first["rmse"] == pytest.approx(math.sqrt((err**2).mean()), rel=1e-14)
    assert first["bias"] == pytest.approx(err.mean(), rel=1e-14, abs=1e-15)
    # deciles: the highest prediction 1; the next 1 + floor(10/4) = 3; the tied x = 0 rows 6
    assert t["decile"].tolist() == ["all", "1", "3", "6"]
    assert t["customers"].tolist() == [4, 1, 1, 2]


def test_holdout_accuracy_cdnow(cs, bg, ch) -> None:
    t = cs.holdout_accuracy(bg, ch)
    assert t["decile"].iloc[0] == "all" and int(t["customers"].iloc[0]) == 2_357
    assert t["actual"].iloc[0] * 2_357 == pytest.approx(1_882, rel=1e-12)
    assert t["predicted"].iloc[0] * 2_357 == pytest.approx(1653.4, abs=0.5)
    assert int(t["customers"].iloc[1:].sum()) == 2_357
    assert_table(t, ref.holdout_accuracy(params_of(bg), ch))


# ================================================= frequency_recency_matrix
@pytest.mark.parametrize("what", ["expected", "p_alive"])
@pytest.mark.parametrize("output", ["arrow", "pandas", "polars"])
def test_frequency_recency_matrix_matches_reference(cs, bg, what, output) -> None:
    got = cs.frequency_recency_matrix(
        bg, T=38.86, max_frequency=12, max_recency=38, what=what, t=4.0, output=output
    )
    want = ref.frequency_recency_matrix(params_of(bg), 38.86, 12, 38, what, 4.0)
    assert_table(got, want)
    assert {"arrow": pa.Table, "pandas": pd.DataFrame, "polars": pl.DataFrame}[output] is type(got)


def test_frequency_recency_matrix_defaults_and_errors(cs, bg) -> None:
    m = cs.frequency_recency_matrix(bg, T=10.5)
    assert m.num_rows == 11 * 11  # frequency 0..10, recency 0..10
    assert (m.schema.metadata or {}).get(b"custseg.what") == b"expected"
    with pytest.raises(cs.ConfigError, match="max_recency"):
        cs.frequency_recency_matrix(bg, T=10.0, max_recency=11)
    with pytest.raises(cs.ConfigError, match="what"):
        cs.frequency_recency_matrix(bg, T=10.0, what="alive")
    with pytest.raises(cs.ConfigError, match="T must be"):
        cs.frequency_recency_matrix(bg, T=-1.0)
    with pytest.raises(cs.ConfigError, match="output"):
        cs.frequency_recency_matrix(bg, T=10.0, output="csv")


# ================================================================= tracking
DAYS = [datetime.date(2024, 1, 1) + datetime.timedelta(days=k) for k in range(40)]


@st.composite
def transactions(draw: Any) -> pd.DataFrame:
    """A few customers' lines on 40 days, with zero and negative days."""
    n = draw(st.integers(1, 30))
    rows = [
        (
            draw(st.integers(1, 6)),
            draw(st.sampled_from(DAYS)),
            draw(st.sampled_from([-5.0, 0.0, 0.1, 0.2, -0.3, 2.5, 10.0])),
        )
        for _ in range(n)
    ]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(
        date=lambda d: pd.to_datetime(d["date"])
    )


def ref_tracking(p, df, cal, obs, unit_days, zero) -> list[dict]:
    rows = [
        (c, d.date(), a)
        for c, d, a in zip(df["customer_id"], df["date"], df["amount"], strict=True)
    ]
    return ref.tracking(
        p, rows, calibration_end=cal, observation_end=obs, unit_days=unit_days, count_zero_days=zero
    )


@SETTINGS
@given(
    df=transactions(),
    cal=st.integers(0, 30),
    span=st.integers(1, 20),
    unit=st.sampled_from(["W", "D"]),
    zero=st.booleans(),
    family=st.sampled_from(["pandas", "polars", "arrow"]),
)
def test_tracking_matches_reference(cs, df, cal, span, unit, zero, family) -> None:
    p = list(CDNOW.values())
    bg = cs.BetaGeo.from_params(**CDNOW)
    cal_d, obs_d = DAYS[cal], DAYS[cal] + datetime.timedelta(days=span)
    data = in_family(df, family)
    try:
        want = ref_tracking(p, df, cal_d, obs_d, 7 if unit == "W" else 1, zero)
    except ValueError:  # no cohort: min() of nothing
        event("no cohort")
        with pytest.raises(cs.ConfigError, match="no customer has a purchase event"):
            cs.tracking(
                bg,
                data,
                calibration_end=cal_d,
                observation_end=obs_d,
                unit=unit,
                count_zero_days=zero,
            )
        return
    got = cs.tracking(
        bg, data, calibration_end=cal_d, observation_end=obs_d, unit=unit, count_zero_days=zero
    )
    assert type(got) is type(data)
    g = as_pandas(got)
    assert [d.date() if hasattr(d, "date") else d for d in g["period_start"]] == [
        w["period_start"] for w in want
    ]
    assert_table(
        g.drop(columns=["period_start"]),
        [{k: v for k, v in w.items() if k != "period_start"} for w in want],
    )
    again = cs.tracking(
        bg,
        in_family(df.sample(frac=1.0, random_state=4), family),
        calibration_end=cal_d,
        observation_end=obs_d,
        unit=unit,
        count_zero_days=zero,
    )
    assert as_pandas(again).equals(g)


def test_tracking_cdnow(cs, bg, tx, summary) -> None:
    """The cohort's 2,457 calibration and 1,882 holdout repeat transactions
    over 78 weeks; the expected cumulative transactions at week 39 are the
    sum of E[X(T_i)] over the calibration summary."""
    t = cs.tracking(
        bg, tx, calibration_end="1997-09-30", observation_end="1998-06-30", count_zero_days=True
    )
    assert isinstance(t, pd.DataFrame) and len(t) == 78
    assert t.attrs == {"custseg.calibration_end": "1997-09-30", "custseg.unit": "W"}
    assert t["holdout"].tolist() == [False] * 39 + [True] * 39
    assert int(t.loc[~t["holdout"], "actual"].sum()) == 2_457
    assert int(t.loc[t["holdout"], "actual"].sum()) == 1_882
    assert int(t["actual_cumulative"].iloc[-1]) == 4_339
    p = params_of(bg)
    at_cal = math.fsum(rb.expected_purchases_population(p, v) for v in summary["T"])
    assert t["expected_cumulative"].iloc[38] == pytest.approx(at_cal, rel=1e-9)
    want = ref_tracking(p, tx, CAL_END, OBS_END, 7, True)
    assert_table(
        t.drop(columns=["period_start"]),
        [{k: v for k, v in w.items() if k != "period_start"} for w in want],
    )
    holdout_expected = t["expected_cumulative"].iloc[-1] - t["expected_cumulative"].iloc[38]
    assert holdout_expected == pytest.approx(1666.65, abs=0.05)


def test_tracking_one_shot_stream_and_columns(cs, bg, tx) -> None:
    """A RecordBatchReader is read once into memory; other column names work."""
    table = pa.Table.from_pandas(
        tx.rename(columns={"customer_id": "who", "date": "d", "amount": "v"}), preserve_index=False
    )
    kwargs = dict(
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        count_zero_days=True,
        customer="who",
        date="d",
        amount="v",
    )
    got = cs.tracking(
        bg, pa.RecordBatchReader.from_batches(table.schema, table.to_batches()), **kwargs
    )
    assert got.equals(cs.tracking(bg, table, **kwargs))
    assert got.schema.metadata[b"custseg.calibration_end"] == b"1997-09-30"
    # the columns one by one: in their family, as rfm_summary
    cols = dict(customer=tx["customer_id"], date=tx["date"], amount=tx["amount"])
    one_by_one = cs.tracking(
        bg,
        None,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        count_zero_days=True,
        **cols,
    )
    assert isinstance(one_by_one, pd.DataFrame)
    assert one_by_one.equals(got.to_pandas(date_as_object=False))


def test_tracking_errors(cs, bg, tx) -> None:
    kw = {"count_zero_days": True}
    with pytest.raises(cs.ConfigError, match="must be before observation_end"):
        cs.tracking(bg, tx, calibration_end="1998-07-01", observation_end="1998-06-30", **kw)
    with pytest.raises(cs.ConfigError, match="must be before observation_end"):
        cs.tracking(bg, tx, calibration_end="1998-06-30", observation_end="1998-06-30", **kw)
    with pytest.raises(cs.ConfigError, match="no customer has a purchase event"):
        cs.tracking(bg, tx, calibration_end="1996-12-31", observation_end="1998-06-30", **kw)
    with pytest.raises(cs.ConfigError, match="ISO date"):
        cs.tracking(bg, tx, calibration_end="30/09/1997", observation_end="1998-06-30")
    with pytest.raises(cs.ConfigError, match="unit"):
        cs.tracking(bg, tx, calibration_end="1997-09-30", observation_end="1998-06-30", unit="M")
    unfit = cs.BetaGeo.from_params(**CDNOW)  # no unit: it was not fitted on a summary
    with pytest.raises(cs.ConfigError, match="pass unit="):
        cs.tracking(unfit, tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    with pytest.raises(cs.ColumnNotFoundError):
        cs.tracking(
            bg, tx, calibration_end="1997-09-30", observation_end="1998-06-30", amount="value"
        )


# ===================================================================== errors
def test_unfitted_and_wrong_models(cs, summary, ch) -> None:
    for call in (
        lambda m: cs.period_transactions(m, summary),
        lambda m: cs.holdout_by_frequency(m, ch),
        lambda m: cs.holdout_accuracy(m, ch),
        lambda m: cs.frequency_recency_matrix(m, T=10.0),
        lambda m: cs.tracking(m, None, calibration_end="1997-09-30", observation_end="1998-06-30"),
    ):
        with pytest.raises(cs.ConfigError, match="no parameters yet"):
            call(cs.BetaGeo())
        with pytest.raises(TypeError, match="count model"):
            call(cs.GammaGamma.from_params(p=6.25, q=3.74, v=15.44))


def test_bad_tables(cs, bg, summary, ch) -> None:
    with pytest.raises(cs.ColumnNotFoundError, match="frequency_holdout"):
        cs.holdout_by_frequency(bg, summary)
    with pytest.raises(cs.ColumnNotFoundError, match="duration_holdout"):
        cs.holdout_accuracy(bg, ch.drop(columns=["duration_holdout"]))
    with pytest.raises(cs.ColumnNotFoundError, match="'T'"):
        cs.period_transactions(bg, summary.drop(columns=["T"]))
    bad = ch.copy()
    bad.loc[5, "frequency_holdout"] = -1
    with pytest.raises(cs.InvalidValueError, match=r"frequency_holdout.*row 5"):
        cs.holdout_by_frequency(bg, bad)
    bad["frequency_holdout"] = bad["frequency_holdout"].astype(float)
    bad.loc[5, "frequency_holdout"] = 1.5
    with pytest.raises(cs.InvalidValueError, match=r"row 5.*whole number"):
        cs.holdout_accuracy(bg, bad)
    bad.loc[5, "frequency_holdout"] = np.nan
    with pytest.raises(cs.InvalidValueError, match=r"row 5"):
        cs.holdout_accuracy(bg, bad)
    nulls = pa.Table.from_pandas(ch, preserve_index=False)
    col = nulls.column("frequency_holdout").to_pylist()
    col[7] = None
    nulls = nulls.set_column(
        nulls.column_names.index("frequency_holdout"),
        "frequency_holdout",
        pa.array(col, pa.int64()),
    )
    with pytest.raises(cs.NullValueError, match=r"frequency_holdout.*row 7"):
        cs.holdout_by_frequency(bg, nulls)
    late = summary.copy()
    late.loc[3, "recency"] = late.loc[3, "T"] + 1
    with pytest.raises(cs.InvalidValueError, match="recency"):
        cs.period_transactions(bg, late)
    with pytest.raises(cs.ConfigError, match="max_frequency"):
        cs.period_transactions(bg, summary, max_frequency=0)
    with pytest.raises(cs.ConfigError, match="max_frequency"):
        cs.holdout_by_frequency(bg, ch, max_frequency=2.5)
    with pytest.raises(cs.ConfigError, match="no rows"):
        cs.holdout_accuracy(bg, ch.iloc[:0])


# ====================================================================== plots
@pytest.fixture(scope="module")
def plt() -> Any:
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as pyplot

    yield pyplot
    pyplot.close("all")


def test_plots_draw_what_the_tables_hold(cs, plt, bg, tx, summary, ch) -> None:
    pt = cs.period_transactions(bg, summary)
    ax = cs.plot.period_transactions(pt)
    assert len(ax.patches) == 2 * 8
    assert [round(b.get_height(), 9) for b in ax.patches[8:]] == [
        round(v, 9) for v in pt["expected"]
    ]
    hf = cs.holdout_by_frequency(bg, ch)
    ax = cs.plot.holdout_by_frequency(hf)
    assert len(ax.get_lines()) == 2
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), hf["actual"].to_numpy())
    tr = cs.tracking(
        bg, tx, calibration_end="1997-09-30", observation_end="1998-06-30", count_zero_days=True
    )
    for draw, col in (
        (cs.plot.tracking_cumulative, "actual_cumulative"),
        (cs.plot.tracking_incremental, "actual"),
    ):
        ax = draw(tr)
        lines = ax.get_lines()
        assert len(lines) == 3  # actual, model, end of calibration
        np.testing.assert_array_equal(lines[0].get_ydata(), tr[col].to_numpy(float))
        assert list(lines[2].get_xdata()) == [39.0, 39.0]
    # without the metadata (polars): the line at the start of the first holdout period
    ax = cs.plot.tracking_cumulative(pl.from_pandas(tr))
    assert list(ax.get_lines()[2].get_xdata()) == [39.0, 39.0]
    m = cs.frequency_recency_matrix(bg, T=38.86, max_frequency=20, max_recency=38, what="p_alive")
    ax = cs.plot.frequency_recency_matrix(m)
    grid = ax.get_images()[0].get_array()
    assert grid.shape == (21, 39)
    assert grid[20, 38] == pytest.approx(m["value"][-1].as_py())
    assert "P(alive)" in ax.get_title()
    ha = cs.holdout_accuracy(bg, ch)
    ax = cs.plot.holdout_accuracy(ha)
    assert len(ax.get_lines()) == 2
    assert len(ax.get_lines()[0].get_xdata()) == len(ha) - 1
    assert "MAE" in ax.get_title()


def test_plots_draw_on_the_given_ax(cs, plt, bg, summary) -> None:
    _, ax = plt.subplots()
    assert cs.plot.period_transactions(cs.period_transactions(bg, summary), ax=ax) is ax


def test_plot_without_matplotlib_says_how_to_install(cs, plt, bg, summary, monkeypatch) -> None:
    pt = cs.period_transactions(bg, summary)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'custseg\[plot\]'"):
        cs.plot.period_transactions(pt)


def test_period_transactions_counts_the_weights_of_a_weighted_fit() -> None:
    """BG/BB on the donations patterns (one row per pattern, ``weights`` donors
    each): the table counts donors, not rows, and equals the table of the
    same data with every row repeated ``weights`` times; 11,104 donors."""
    import custseg as cs

    don = cs.datasets.donations(output="pandas")
    bb = cs.BetaGeoBetaBinom().fit(don, weights="weights")
    t = cs.period_transactions(bb, don, max_frequency=6)
    assert t["observed"].sum() == 11_104
    assert abs(t["expected"].sum() - 11_104) < 1e-6
    long = don.loc[don.index.repeat(don["weights"])].drop(columns="weights")
    plain = cs.BetaGeoBetaBinom.from_params(**bb.params)
    t_long = cs.period_transactions(plain, long, max_frequency=6)
    assert t["observed"].tolist() == t_long["observed"].tolist()
    np.testing.assert_allclose(t["expected"], t_long["expected"], rtol=1e-12)
    # the repeat donations of 1996-2001 (x = 0 .. 6): 3,464 donors never came back
    assert t["observed"].iloc[0] == 3_464
