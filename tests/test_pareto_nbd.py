"""The Pareto/NBD model (rule CLV4): ``custseg.ParetoNBD`` against
``tests/reference_pareto.py`` (the textbook formulas with scipy, fits by
Nelder-Mead) and against the published CDNOW figures.

CDNOW sample, calibration to 1997-09-30 (``as_of="1997-10-01"``), weeks,
``count_zero_days=True``: Fader, Hardie and Lee (2005, "A Note on Deriving the
Pareto/NBD Model and Related Expressions") give r = 0.553, alpha = 10.578,
s = 0.606, beta = 11.669 and LL -9595.0; the reference and the product both
find r = 0.553277, alpha = 10.5777, s = 0.606240, beta = 11.6687,
LL -9594.9762.

* ``test_reference_*`` use the reference alone (custseg only loads the data).
* every other test calls custseg.
"""

from __future__ import annotations

import math
import os
import re
import sys
from decimal import Decimal, getcontext
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

import reference_pareto as ref  # noqa: E402

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RTOL = 1e-8  # predictions: product vs reference
PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
COLUMNS = ["frequency", "recency", "T"]


@pytest.fixture(scope="module")
def cs() -> Any:
    import custseg

    return custseg


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    import custseg

    return custseg.rfm_summary(
        custseg.datasets.cdnow("sample", output="pandas"),
        as_of="1997-10-01",
        unit="W",
        count_zero_days=True,
    )


def columns(s: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(s[c].to_numpy(float) for c in COLUMNS)


@pytest.fixture(scope="module")
def ref_fit(cdnow: pd.DataFrame) -> Any:
    return ref.fit(*columns(cdnow))


@pytest.fixture(scope="module")
def fitted(cs, cdnow: pd.DataFrame) -> Any:
    return cs.ParetoNBD().fit(cdnow)


def rel_close(got: dict, want: dict, rtol: float) -> list[str]:
    return [
        f"{k}: got {got[k]!r}, want {want[k]!r}"
        for k in want
        if not math.isclose(got[k], want[k], rel_tol=rtol)
    ]


def hyp2f1_decimal(a: float, b: float, c: float, z: float) -> float:
    """Gauss's series in 40-digit decimal arithmetic (positive terms here)."""
    getcontext().prec = 40
    a_, b_, c_, z_ = (Decimal(repr(v)) for v in (a, b, c, z))
    term = total = Decimal(1)
    n = 0
    while True:
        term = term * (a_ + n) * (b_ + n) / ((c_ + n) * (n + 1)) * z_
        total += term
        n += 1
        if term < total * Decimal(10) ** -30 and (a_ + n) * (b_ + n) * z_ < (c_ + n) * (n + 1):
            return float(total)


# ============================================================== reference alone
def test_reference_cdnow_published(ref_fit) -> None:
    """The reference fit reproduces Fader, Hardie and Lee's CDNOW figures (1%)."""
    assert rel_close(ref_fit.params, PUBLISHED, 0.01) == []
    assert abs(ref_fit.log_likelihood - -9595.0) < 0.05
    want = {"r": 0.553277, "alpha": 10.5777, "s": 0.606240, "beta": 11.6687}
    assert rel_close(ref_fit.params, want, 1e-5) == []


def test_reference_fit_is_stationary(cdnow, ref_fit) -> None:
    """The reference optimum is one: every one-parameter step of 1e-4 (log)
    lowers the LL, and the central-difference gradient is ~0."""
    x, tx, t = columns(cdnow)

    def ll(theta: np.ndarray) -> float:
        return float(ref.loglik(np.exp(theta), x, tx, t).sum())

    theta = np.log(list(ref_fit.params.values()))
    base = ll(theta)
    for i in range(4):
        for h in (1e-4, -1e-4):
            step = theta.copy()
            step[i] += h
            assert ll(step) < base
        e = np.zeros(4)
        e[i] = 1e-5
        assert abs((ll(theta + e) - ll(theta - e)) / 2e-5) < 1e-3


def test_reference_loglik_forms_agree() -> None:
    """The vectorised LL (log space) equals the term-by-term ``math`` one on
    both branches; by hand, r = s = alpha = beta = 1, x = 0, T = 1 gives
    ln(1/4 + 1/2 - 1/8) = ln(5/8)."""
    rng = np.random.default_rng(5)
    for params in [(0.5, 4.0, 0.7, 2.5), (1.5, 3.0, 0.4, 9.0), (0.9, 2.0, 1.2, 2.0)]:
        x = rng.integers(0, 20, 100)
        T = rng.uniform(0.1, 60, 100)
        tx = np.where(x > 0, T * rng.uniform(0, 1, 100), 0.0)
        vec = ref.loglik(params, x, tx, T)
        for i in range(100):
            want = ref.loglik_customer(params, int(x[i]), float(tx[i]), float(T[i]))
            assert vec[i] == pytest.approx(want, rel=1e-11)
    assert ref.loglik_customer((1, 1, 1, 1), 0, 0.0, 1.0) == pytest.approx(math.log(5 / 8))


def test_reference_pmf_closed_form_equals_integral() -> None:
    """Fader, Hardie and Lee's closed form of P(X(t) = x) equals the integral
    it comes from (scipy's quad), on both branches; entries add up to 1."""
    for params in [(0.55, 10.58, 0.61, 11.67), (0.55, 12.0, 0.61, 3.0), (1.2, 3.0, 2.5, 40.0)]:
        for t in (1.0, 39.0, 300.0):
            for x in range(6):
                a = ref.probability_of_purchases_fhl(params, t, x)
                b = ref.probability_of_purchases_quad(params, t, x)
                assert a == pytest.approx(b, rel=1e-9), (params, t, x)
    total = sum(ref.probability_of_purchases_quad((1.2, 3.0, 2.5, 40.0), 5.0, x) for x in range(80))
    assert total == pytest.approx(1.0, abs=1e-10)


# Rows far out: x = 500, T = 5000 weeks, tx near 0 and near T, on both branches.
EXTREME_PARAMS = [
    (0.55, 10.58, 0.61, 11.67),
    (0.55, 40.0, 0.61, 2.0),
    (0.55, 2.0, 0.61, 40.0),
    (20.0, 1.0, 0.05, 1.3),
]
EXTREME_ROWS = [(500, 1e-3, 5000.0), (500, 2500.0, 5000.0), (500, 4999.0, 5000.0), (0, 0.0, 5000.0)]


def test_reference_extreme_rows_two_ways() -> None:
    """On the extreme rows scipy's hyp2f1, as the reference uses it, equals a
    40-digit series wherever it is finite (it overflows for x = 500 on the
    alpha < beta branch near tx = 0), and there the log-likelihood and
    P(alive) from it equal those from the integral by quad."""
    finite = 0
    for r, alpha, s, beta in EXTREME_PARAMS:
        for x, tx, t in EXTREME_ROWS:
            a = r + s + x
            b, m, d = (s + 1, alpha, alpha - beta) if alpha >= beta else (r + x, beta, beta - alpha)
            values = [float(ref.hyp2f1(a, b, a + 1, d / (m + y))) for y in (tx, t)]
            if not all(math.isfinite(v) for v in values):
                continue
            finite += 1
            for y, v in zip((tx, t), values, strict=True):
                assert v == pytest.approx(hyp2f1_decimal(a, b, a + 1, d / (m + y)), rel=1e-12)
            params = (r, alpha, s, beta)
            ll, alive_ll = ref.loglik_quad(params, x, tx, t)
            cols = [np.array([v], float) for v in (x, tx, t)]
            assert ll == pytest.approx(float(ref.loglik(params, *cols)[0]), rel=1e-10)
            assert math.exp(alive_ll - ll) == pytest.approx(ref.p_alive(params, x, tx, t), rel=1e-9)
    assert finite >= 12


# ================================================================ CDNOW product
def test_cdnow_fit(fitted, ref_fit) -> None:
    """CLV4: ParetoNBD on CDNOW gives the published figures (1%) and the
    reference optimum (parameters 1e-4 relative, LL within 1e-6)."""
    assert list(fitted.params) == ["r", "alpha", "s", "beta"]
    assert rel_close(fitted.params, PUBLISHED, 0.01) == []
    assert abs(fitted.log_likelihood - -9595.0) < 0.05
    assert fitted.converged is True
    assert isinstance(fitted.iterations, int) and fitted.iterations > 0
    assert fitted.unit == "W"
    assert rel_close(fitted.params, ref_fit.params, 1e-4) == []
    assert abs(fitted.log_likelihood - ref_fit.log_likelihood) < 1e-6


def test_cdnow_predictions_equal_reference(cs, cdnow, ref_fit) -> None:
    """At the reference optimum on all 2,357 rows: log_likelihood_of (1e-9),
    p_alive and 39-week conditional expectations (1e-8) equal the reference."""
    m = cs.ParetoNBD.from_params(**ref_fit.params)
    x, tx, t = columns(cdnow)
    assert m.log_likelihood_of(cdnow) == pytest.approx(ref_fit.log_likelihood, rel=1e-9)
    rows = list(zip(x.astype(int), tx, t, strict=True))
    alive = m.p_alive(cdnow)
    assert alive.index.equals(cdnow.index)
    np.testing.assert_allclose(
        alive.to_numpy(), [ref.p_alive(ref_fit.params, *row) for row in rows], rtol=RTOL
    )
    want = [ref.conditional_expected_purchases(ref_fit.params, 39.0, *row) for row in rows]
    got = m.conditional_expected_purchases(39.0, cdnow).to_numpy()
    np.testing.assert_allclose(got, want, rtol=RTOL)


def test_extreme_rows_equal_reference(cs) -> None:
    """x = 500, T = 5000 weeks, tx near 0 and near T, on both branches: a
    finite log-likelihood equal to the reference by quad (1e-9), P(alive) in
    [0, 1] and equal to it (1e-8, where it is not below 1e-300), finite
    expectations."""
    s = pd.DataFrame(EXTREME_ROWS, columns=COLUMNS)
    for params in EXTREME_PARAMS:
        m = cs.ParetoNBD.from_params(**dict(zip(ref.NAMES, params, strict=True)))
        alive = m.p_alive(s).to_numpy()
        assert ((alive >= 0) & (alive <= 1)).all(), alive
        for i, row in enumerate(EXTREME_ROWS):
            got = m.log_likelihood_of(s.iloc[[i]])
            ll, alive_ll = ref.loglik_quad(params, *row)
            assert math.isfinite(got)
            assert got == pytest.approx(ll, rel=1e-9), (params, row)
            want = math.exp(alive_ll - ll)
            if want > 1e-300:
                assert alive[i] == pytest.approx(want, rel=1e-8), (params, row)
        e = m.conditional_expected_purchases(52.0, s).to_numpy()
        assert np.isfinite(e).all() and (e >= 0).all()


# ================================================= properties (from_params)
PARAMS = st.fixed_dictionaries(
    {
        "r": st.floats(0.05, 5.0),
        "alpha": st.floats(0.5, 50.0),
        "s": st.one_of(st.floats(0.05, 0.95), st.floats(1.05, 5.0)),
        "beta": st.floats(0.5, 50.0),
    }
)


@st.composite
def summaries(draw) -> pd.DataFrame:
    """A valid summary: x in 0..40, T in [0, 100], 0 <= tx <= T (tx = 0 when
    x = 0), a shuffled integer index."""
    n = draw(st.integers(1, 20))
    rows = []
    for _ in range(n):
        x = draw(st.one_of(st.just(0), st.integers(1, 5), st.integers(0, 40)))
        T = draw(st.floats(0.0, 100.0))
        tx = 0.0 if x == 0 else T * draw(st.floats(0.0, 1.0))
        rows.append((x, tx, T))
    index = draw(st.permutations(range(100, 100 + n)))
    s = pd.DataFrame(rows, columns=COLUMNS, index=pd.Index(index, name="cust"))
    s["frequency"] = s["frequency"].astype("int64")
    return s


@SETTINGS
@given(p=PARAMS, s=summaries())
def test_log_likelihood_of_matches_reference(cs, p, s) -> None:
    """CLV4: log_likelihood_of at random parameters equals the reference sum
    to 1e-9 of the sum of |per-row LL|."""
    per = [ref.loglik_customer(p, *row) for row in s.itertuples(index=False)]
    got = cs.ParetoNBD.from_params(**p).log_likelihood_of(s)
    assert abs(got - math.fsum(per)) <= 1e-9 * math.fsum(map(abs, per)) + 1e-12, (got, per)


@SETTINGS
@given(p=PARAMS, s=summaries(), seed=st.integers(0, 2**32 - 1))
def test_row_order_threads_and_repeats(cs, p, s, seed) -> None:
    """I5: the rows shuffled, on one thread, give the same log-likelihood bit
    for bit and the same per-row predictions; every row twice gives twice the
    log-likelihood (repeated rows are weights)."""
    m, one = cs.ParetoNBD.from_params(**p), cs.ParetoNBD.from_params(**p)
    one.threads = 1
    shuffled = s.sample(frac=1.0, random_state=seed % 2**32)
    assert one.log_likelihood_of(shuffled) == m.log_likelihood_of(s)
    pd.testing.assert_series_equal(one.p_alive(shuffled).loc[s.index], m.p_alive(s))
    twice = pd.concat([s, s])
    assert m.log_likelihood_of(twice) == pytest.approx(2 * m.log_likelihood_of(s), rel=1e-12)


def test_hand_worked_values(cs) -> None:
    """By hand, r = s = alpha = beta = 1, x = 0, tx = 0, T = 1: E(T) = 1/4,
    s I(y) = (1 + y)^-2 / 2, the bracket 1/4 + 1/2 - 1/8 = 5/8, so LL = ln(5/8)
    and P(alive) = (1/4) / (5/8) = 0.4; E[Y(1)] at s = 1 is
    (r + x)(beta + T)/(alpha + T) ln(1 + 1/2) P(alive) = 0.4 ln 1.5; E[X(1)]
    at s = 2 is r beta / (alpha (s - 1)) (1 - 1/2) = 1/2; a customer seen at
    T = tx is alive for sure."""
    s = pd.DataFrame({"frequency": [0, 3], "recency": [0.0, 2.0], "T": [1.0, 2.0]})
    m = cs.ParetoNBD.from_params(r=1.0, alpha=1.0, s=1.0, beta=1.0)
    assert m.log_likelihood_of(s.iloc[[0]]) == pytest.approx(math.log(5 / 8), rel=1e-14)
    np.testing.assert_allclose(m.p_alive(s).to_numpy(), [0.4, 1.0], rtol=1e-14)
    e = m.conditional_expected_purchases(1.0, s.iloc[[0]]).to_numpy()
    np.testing.assert_allclose(e, [0.4 * math.log(1.5)], rtol=1e-14)
    two = cs.ParetoNBD.from_params(r=1.0, alpha=1.0, s=2.0, beta=1.0)
    assert two.expected_purchases_population(1.0) == pytest.approx(0.5, rel=1e-14)
    assert two.expected_purchases_population(0) == 0.0


@SETTINGS
@given(p=PARAMS, s=summaries(), t=st.floats(0.5, 200.0))
def test_predictions_match_reference(cs, p, s, t) -> None:
    """CLV4: p_alive (in [0, 1]), conditional_expected_purchases,
    expected_purchases and expected_purchases_population equal the reference
    to 1e-8 (pandas: the summary's index is kept)."""
    m = cs.ParetoNBD.from_params(**p)
    rows = list(s.itertuples(index=False))
    alive = m.p_alive(s)
    assert alive.index.equals(s.index)
    assert ((alive >= 0) & (alive <= 1)).all()
    np.testing.assert_allclose(alive.to_numpy(), [ref.p_alive(p, *r) for r in rows], rtol=RTOL)
    cep = m.conditional_expected_purchases(t, s)
    want = [ref.conditional_expected_purchases(p, t, *r) for r in rows]
    np.testing.assert_allclose(cep.to_numpy(), want, rtol=RTOL)
    both = m.expected_purchases(t, s)
    assert list(both.columns) == [*COLUMNS, "expected_purchases", "p_alive"]
    np.testing.assert_array_equal(both["expected_purchases"].to_numpy(), cep.to_numpy())
    np.testing.assert_array_equal(both["p_alive"].to_numpy(), alive.to_numpy())
    pop = m.expected_purchases_population(t)
    assert pop == pytest.approx(ref.expected_purchases_population(p, t), rel=RTOL)


@settings(max_examples=25, deadline=None)
@given(p=PARAMS, t=st.floats(0.1, 300.0))
def test_probability_of_purchases_matches_integral(cs, p, t) -> None:
    """CLV4: P(X(t) = x) for x = 0..6 equals the integral it is (scipy's quad)
    to 1e-8; the last entry is P(X(t) = n_max) itself, not a tail."""
    got = cs.ParetoNBD.from_params(**p).probability_of_purchases(t, 6)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (7,)
    want = [ref.probability_of_purchases_quad(p, t, x) for x in range(7)]
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-300)


def test_probability_of_purchases_adds_up(cs, fitted) -> None:
    """The entries add up to 1 and their mean is E[X(t)] once n_max is large;
    small t: the far entries keep their relative precision (the closed form's
    difference would cancel); t = 0: all mass at 0."""
    p = fitted.probability_of_purchases(39.0, 3_000)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    mean = float((np.arange(len(p)) * p).sum())
    assert mean == pytest.approx(fitted.expected_purchases_population(39.0), rel=1e-10)
    tiny = fitted.probability_of_purchases(0.05, 12)
    want = [ref.probability_of_purchases_quad(fitted.params, 0.05, x) for x in range(13)]
    np.testing.assert_allclose(tiny, want, rtol=1e-8)
    assert tiny[-1] < 1e-20
    assert list(fitted.probability_of_purchases(0, 3)) == [1.0, 0.0, 0.0, 0.0]


# ======================================================================= fitting
def test_fit_does_not_depend_on_row_order_or_threads(cs, cdnow, fitted) -> None:
    """I5: the same summary reversed, on one thread, gives bit-identical results."""
    rev = cdnow.iloc[::-1].reset_index(drop=True)
    m = cs.ParetoNBD(threads=1).fit(rev)
    assert m.params == fitted.params
    assert m.log_likelihood == fitted.log_likelihood


def test_repeated_rows_are_weights(cs, cdnow, fitted) -> None:
    """Every customer twice: the same optimum, twice the log-likelihood,
    standard errors divided by sqrt(2)."""
    two = cs.ParetoNBD().fit(pd.concat([cdnow, cdnow], ignore_index=True))
    assert rel_close(two.params, fitted.params, 1e-6) == []
    assert two.log_likelihood == pytest.approx(2 * fitted.log_likelihood, rel=1e-12)
    se = {k: v / math.sqrt(2) for k, v in fitted.standard_errors.items()}
    assert rel_close(two.standard_errors, se, 1e-3) == []


def test_penalizer_matches_reference(cs, cdnow, fitted) -> None:
    """lifetimes' convention: with penalizer 0.001 the product minimises
    -(sum LL)/N + 0.001 sum(params^2) where the reference does (1e-4); alpha
    and beta shrink."""
    pen = 1e-3
    got = cs.ParetoNBD(penalizer=pen).fit(cdnow)
    want = ref.fit(*columns(cdnow), penalizer=pen)
    assert got.converged is True
    assert rel_close(got.params, want.params, 1e-4) == []
    assert got.params["alpha"] < fitted.params["alpha"]
    assert got.params["beta"] < fitted.params["beta"]
    assert got.log_likelihood < fitted.log_likelihood


def numerical_information(loglik, theta: np.ndarray, rel: float = 1e-3) -> np.ndarray:
    """Minus the Hessian of ``loglik`` at ``theta``: central second
    differences of the log-likelihood itself with one Richardson step."""
    n = len(theta)

    def second(i: int, j: int, h: np.ndarray) -> float:
        def f(di: float, dj: float) -> float:
            t = theta.copy()
            t[i] += di * h[i]
            t[j] += dj * h[j]
            return loglik(t)

        if i == j:
            return (f(1, 0) - 2 * f(0, 0) + f(-1, 0)) / h[i] ** 2
        return (f(1, 1) - f(1, -1) - f(-1, 1) + f(-1, -1)) / (4 * h[i] * h[j])

    hess = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            coarse, fine = second(i, j, 2 * rel * theta), second(i, j, rel * theta)
            hess[i, j] = hess[j, i] = (4 * fine - coarse) / 3
    return -hess


def test_standard_errors_equal_numerical_hessian(cdnow, fitted) -> None:
    """The standard errors are the square roots of the diagonal of the inverse
    of minus the Hessian of the reference log-likelihood (1e-3)."""
    x, tx, t = columns(cdnow)
    theta = np.array(list(fitted.params.values()))
    info = numerical_information(lambda th: float(ref.loglik(th, x, tx, t).sum()), theta)
    cov = np.linalg.inv(info)
    want = {k: math.sqrt(cov[i, i]) for i, k in enumerate(fitted.params)}
    assert rel_close(fitted.standard_errors, want, 1e-3) == []
    lo, hi = fitted.confidence_intervals()["r"]
    assert lo < fitted.params["r"] < hi


# ======================================================================== errors
def _bad_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "frequency": [0, 2, 1, 3, 0, 5],
            "recency": [0.0, 10.0, 4.0, 20.0, 0.0, 30.0],
            "T": [5.0, 30.0, 12.0, 25.0, 8.0, 40.0],
        }
    )


@pytest.mark.parametrize(
    ("column", "row", "value"),
    [
        ("recency", 3, 26.0),
        ("frequency", 2, -1),
        ("frequency", 1, 1.5),
        ("T", 4, float("nan")),
        ("recency", 1, float("nan")),
        ("T", 5, float("inf")),
        ("recency", 2, -1.0),
    ],
)
def test_invalid_rows(cs, column: str, row: int, value: float) -> None:
    """CLV4: an impossible row raises InvalidValueError naming the column, the
    row and CLV4, in the fit and in the predictions."""
    s = _bad_frame().astype({"frequency": "float64"})
    s.loc[row, column] = value
    m = cs.ParetoNBD.from_params(r=0.55, alpha=10.0, s=0.6, beta=11.0)
    for call in (
        lambda: cs.ParetoNBD().fit(s),
        lambda: m.log_likelihood_of(s),
        lambda: m.p_alive(s),
        lambda: m.conditional_expected_purchases(10.0, s),
    ):
        with pytest.raises(cs.InvalidValueError) as info:
            call()
        msg = str(info.value)
        assert f"'{column}'" in msg and re.search(rf"\brow {row}\b", msg) and "CLV4" in msg, msg


def test_null_and_other_errors(cs) -> None:
    """A null names its column and row (I4); no repeat purchase, bad t,
    n_max and parameters are ConfigErrors; no standard errors without a fit."""
    t = pa.table({c: _bad_frame()[c].tolist() for c in COLUMNS})
    t = t.set_column(2, "T", pa.array([5.0, 30.0, None, 25.0, 8.0, 40.0]))
    with pytest.raises(cs.NullValueError, match=r"'T'.*row 2|row 2.*'T'"):
        cs.ParetoNBD().fit(t)
    none = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [3.0, 4.0]})
    with pytest.raises(cs.ConfigError, match="repeat purchase"):
        cs.ParetoNBD().fit(none)
    m = cs.ParetoNBD.from_params(r=0.55, alpha=10.0, s=0.6, beta=11.0)
    with pytest.raises(cs.ConfigError, match="not fitted"):
        m.standard_errors  # noqa: B018
    with pytest.raises(cs.ConfigError, match="t must be"):
        m.expected_purchases_population(float("inf"))
    for n_max in (-1, 1.5, True):
        with pytest.raises(cs.ConfigError, match="n_max"):
            m.probability_of_purchases(10.0, n_max)  # type: ignore[arg-type]
    with pytest.raises(cs.ConfigError, match="n_max"):
        m.probability_of_purchases(10.0, 10**6)
    with pytest.raises(cs.ConfigError, match="parameters must be finite"):
        cs.ParetoNBD.from_params(r=0.5, alpha=-1.0, s=0.6, beta=1.0).p_alive(_bad_frame())
    with pytest.raises(cs.ConfigError, match="no parameters yet"):
        cs.ParetoNBD().p_alive(_bad_frame())


@pytest.mark.parametrize("family", ["arrow", "polars"])
def test_families(cs, family: str) -> None:
    """pyarrow in, pyarrow out; polars in, polars out; same numbers as pandas."""
    s = _bad_frame()
    data = pa.Table.from_pandas(s, preserve_index=False)
    if family == "polars":
        data = pytest.importorskip("polars").from_arrow(data)
    m = cs.ParetoNBD.from_params(r=0.55, alpha=10.0, s=0.6, beta=11.0)
    alive = m.p_alive(data)
    both = m.expected_purchases(5.0, data)
    if family == "arrow":
        assert isinstance(alive, pa.Array) and isinstance(both, pa.Table)
    else:
        assert type(both).__module__.startswith("polars")
    np.testing.assert_array_equal(np.asarray(alive), m.p_alive(s).to_numpy())
    np.testing.assert_array_equal(
        np.asarray(both["expected_purchases"]), m.conditional_expected_purchases(5.0, s).to_numpy()
    )
