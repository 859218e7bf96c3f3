"""The BG/BB model (rule CLV4): ``cs.BetaGeoBetaBinom`` against
``tests/reference_family.py`` (a plain numpy/scipy reading of Fader, Hardie
and Shang 2010, "Customer-Base Analysis in a Discrete-Time Noncontractual
Setting": the likelihood term by term, the predictions in the paper's closed
forms) and against the paper's published fit of the donations data
(``cs.datasets.donations()``: 11,104 first-time donors of 1995, six yearly
opportunities): alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783,
log-likelihood -33,225.6. The reference here reaches alpha = 1.20352,
beta = 0.749716, gamma = 0.656718, delta = 2.78344, log-likelihood -33,225.58.
"""

from __future__ import annotations

import math
import os
import re
import sys
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

import reference_family as ref  # noqa: E402

try:  # the reference tests must run while the extension is being rebuilt
    import custseg as _custseg
except ImportError as exc:  # pragma: no cover - only while the build is broken
    _custseg = None
    _IMPORT_ERROR: Exception | None = exc
else:
    _IMPORT_ERROR = None

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RTOL = 1e-8
PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
COLUMNS = ["frequency", "recency", "n_periods"]


@pytest.fixture(scope="module")
def cs() -> Any:
    """custseg, or a failure (not a skip) saying why it cannot be imported."""
    if _custseg is None:
        pytest.fail(f"custseg cannot be imported: {_IMPORT_ERROR!r}")
    return _custseg


def read_donations() -> pd.DataFrame:
    """The donations summary as shipped with the tests' copy of the data
    (src/btyd/testdata, column ``periods``), read with pandas alone."""
    path = os.path.join(os.path.dirname(__file__), "..", "src", "btyd", "testdata")
    s = pd.read_csv(os.path.join(path, "donations.csv"))
    return s.rename(columns={"periods": "n_periods"})


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    s = read_donations()
    assert len(s) == 22 and int(s["weights"].sum()) == 11_104
    assert int((s["frequency"] * s["weights"]).sum()) == 24_615
    return s


def _cols(s: pd.DataFrame, weights: bool = True) -> list[np.ndarray]:
    cols = [s[c].to_numpy(dtype=float) for c in COLUMNS]
    return [*cols, s["weights"].to_numpy(dtype=float)] if weights else cols


@pytest.fixture(scope="module")
def ref_fit(donations: pd.DataFrame) -> Any:
    return ref.fit_bgbb(*_cols(donations))


@pytest.fixture(scope="module")
def bb(cs, donations: pd.DataFrame) -> Any:
    return cs.BetaGeoBetaBinom().fit(donations, weights="weights")


def rel_close(got: dict, want: dict, rtol: float) -> list[str]:
    return [
        f"{k}: got {got[k]!r}, want {want[k]!r}"
        for k in want
        if not math.isclose(got[k], want[k], rel_tol=rtol)
    ]


# ============================================================== reference alone
def test_reference_donations_published(ref_fit) -> None:
    """The reference fit of the donations data gives the published parameters
    within 1% and the log-likelihood -33,225.6 within 0.05."""
    assert rel_close(ref_fit.params, PUBLISHED, 0.01) == []
    assert abs(ref_fit.log_likelihood - -33_225.6) < 0.05


def test_reference_hand_worked() -> None:
    """By hand at alpha = beta = gamma = delta = 1: x = 0, n = 1 has
    L = B(1, 2) B(1, 2) + B(1, 1) B(2, 1) = 3/4; x = 1, t_x = 1, n = 2 has
    L = B(2, 2) B(1, 3) + B(2, 1) B(2, 2) = 5/36; P(X(1) = 1) = B(2, 1) B(1, 2) = 1/4."""
    one = (1.0, 1.0, 1.0, 1.0)
    assert ref.bb_loglik_customer(one, 0, 0, 1) == pytest.approx(math.log(3 / 4), rel=1e-15)
    assert ref.bb_loglik_customer(one, 1, 1, 2) == pytest.approx(math.log(5 / 36), rel=1e-14)
    np.testing.assert_allclose(ref.bb_pmf(one, 1, 1), [3 / 4, 1 / 4], rtol=1e-14)


# ============================================================== donations product
def test_donations_fit(bb, ref_fit) -> None:
    """CLV4: BetaGeoBetaBinom on the donations data (weights="weights") gives
    the published parameters within 1%, the log-likelihood -33,225.6 within
    0.05, and the reference optimum (1e-4 relative, LL within 1e-6)."""
    assert bb.converged is True
    assert isinstance(bb.iterations, int) and bb.iterations > 0
    assert list(bb.params) == ["alpha", "beta", "gamma", "delta"]
    assert rel_close(bb.params, PUBLISHED, 0.01) == []
    assert abs(bb.log_likelihood - -33_225.6) < 0.05
    assert rel_close(bb.params, ref_fit.params, 1e-4) == []
    assert abs(bb.log_likelihood - ref_fit.log_likelihood) < 1e-6


def test_weights_are_repeated_rows(cs, donations, bb) -> None:
    """Weights are customers: the 11,104 donors one row each (no weights
    column), shuffled, give the same fit to the last bit (identical rows are
    added once with their count, in a fixed order: I5), and the same
    log-likelihood."""
    rows = donations.loc[donations.index.repeat(donations["weights"])].drop(columns="weights")
    rows = rows.sample(frac=1.0, random_state=1).reset_index(drop=True)
    assert len(rows) == 11_104
    each = cs.BetaGeoBetaBinom(threads=1).fit(rows)
    assert each.params == bb.params and each.log_likelihood == bb.log_likelihood
    assert each.log_likelihood_of(rows) == bb.log_likelihood_of(donations) == bb.log_likelihood


def test_donations_predictions_equal_reference(cs, donations, ref_fit) -> None:
    """At the reference optimum on the 22 patterns: P(alive at 2002), the
    expected donations 2002-2006 (n* = 5), E[X(n)] and P(X(6) = x) equal the
    paper's closed forms to 1e-8; the weighted log-likelihood to 1e-9. A
    donor who gave in all six years is alive through them for sure (the
    likelihood has that branch only), so P(alive) is the chance of surviving
    one more: (delta + 6) / (gamma + delta + 6)."""
    m = cs.BetaGeoBetaBinom.from_params(**ref_fit.params)
    rows = list(zip(*(donations[c] for c in COLUMNS), strict=True))
    alive = m.p_alive(donations).to_numpy()
    np.testing.assert_allclose(alive, [ref.bb_p_alive(ref_fit.params, *r) for r in rows], rtol=RTOL)
    al, be, ga, de = (ref_fit.params[k] for k in ref.BB_NAMES)
    assert alive[-1] == pytest.approx((de + 6) / (ga + de + 6), rel=1e-12)
    cep = m.conditional_expected_purchases(5, donations).to_numpy()
    want = [ref.bb_conditional_expected(ref_fit.params, 5, *r) for r in rows]
    np.testing.assert_allclose(cep, want, rtol=RTOL)
    got = m.log_likelihood_of(donations, weights="weights")
    assert got == pytest.approx(ref_fit.log_likelihood, rel=1e-9)
    for n in (1, 6, 11):
        pop = ref.bb_expected_population(ref_fit.params, n)
        assert m.expected_purchases_population(n) == pytest.approx(pop, rel=RTOL)
    np.testing.assert_allclose(
        m.probability_of_purchases(6, 8), ref.bb_pmf(ref_fit.params, 6, 8), rtol=RTOL
    )


def test_standard_errors_equal_numerical_hessian(bb, donations) -> None:
    """The standard errors are the square roots of the diagonal of the inverse of
    minus the Hessian of the reference weighted log-likelihood (central
    differences of the log-likelihood with a Richardson step), within 1e-3."""
    x, tx, n, w = _cols(donations)
    theta = np.array([bb.params[k] for k in ref.BB_NAMES])
    hess = ref.numerical_hessian(lambda p: ref.bb_loglik(p, x, tx, n, w), theta)
    cov = np.linalg.inv(-hess)
    want = {k: math.sqrt(cov[i, i]) for i, k in enumerate(ref.BB_NAMES)}
    assert rel_close(bb.standard_errors, want, 1e-3) == []
    table = bb.summary_table()
    assert list(table.index) == list(ref.BB_NAMES)


# ============================================================ model properties
BB_PARAMS = st.fixed_dictionaries(
    {
        "alpha": st.floats(0.05, 20.0),
        "beta": st.floats(0.05, 20.0),
        # gamma away from 1: the reference's closed forms divide by gamma - 1
        "gamma": st.one_of(st.floats(0.05, 0.99), st.floats(1.01, 20.0)),
        "delta": st.floats(0.05, 20.0),
    }
)


@st.composite
def summaries(draw):
    """A valid summary of 1-15 rows: n in 0..60, x <= t_x <= n, t_x = 0 when
    x = 0; whole-number weights 0..5; a shuffled index."""
    k = draw(st.integers(1, 15))
    rows = []
    for _ in range(k):
        n = draw(st.integers(0, 60))
        x = draw(st.integers(0, n))
        tx = 0 if x == 0 else draw(st.integers(x, n))
        rows.append((x, tx, n, draw(st.integers(0, 5))))
    index = draw(st.permutations(range(50, 50 + k)))
    return pd.DataFrame(rows, columns=[*COLUMNS, "w"], index=pd.Index(index, name="who"))


@SETTINGS
@given(p=BB_PARAMS, s=summaries(), n_star=st.integers(0, 40), n_max=st.integers(0, 70))
def test_predictions_match_reference(cs, p, s, n_star, n_max) -> None:
    """CLV4 at random parameters and rows: log_likelihood_of with weights (1e-9
    of the sum of |weighted per-row LL|), p_alive, conditional_expected_purchases,
    expected_purchases, expected_purchases_population and
    probability_of_purchases equal the reference to 1e-8; the index is kept."""
    m = cs.BetaGeoBetaBinom.from_params(**p)
    rows = list(zip(*(s[c] for c in COLUMNS), strict=True))
    per = [w * ref.bb_loglik_customer(p, *r) for r, w in zip(rows, s["w"], strict=True)]
    got = m.log_likelihood_of(s, weights="w")
    assert abs(got - math.fsum(per)) <= 1e-9 * math.fsum(map(abs, per)) + 1e-12
    alive = m.p_alive(s)
    assert isinstance(alive, pd.Series) and alive.index.equals(s.index)
    np.testing.assert_allclose(alive, [ref.bb_p_alive(p, *r) for r in rows], rtol=RTOL)
    cep = m.conditional_expected_purchases(n_star, s)
    want = [ref.bb_conditional_expected(p, n_star, *r) for r in rows]
    np.testing.assert_allclose(cep, want, rtol=RTOL, atol=1e-12)
    both = m.expected_purchases(n_star, s)
    assert list(both.columns) == [*COLUMNS, "w", "expected_purchases", "p_alive"]
    np.testing.assert_array_equal(both["expected_purchases"], cep)
    n = int(s["n_periods"].iloc[0])
    pop = m.expected_purchases_population(n)
    if n == 0:
        assert pop == 0.0  # no opportunity, no purchase (the reference rounds to ~4e-16)
    assert pop == pytest.approx(ref.bb_expected_population(p, n), rel=RTOL, abs=1e-12)
    np.testing.assert_allclose(
        m.probability_of_purchases(n, n_max), ref.bb_pmf(p, n, n_max), rtol=RTOL, atol=1e-300
    )


@SETTINGS
@given(p=BB_PARAMS, s=summaries(), seed=st.integers(0, 2**32 - 1))
def test_weights_are_repeated_rows_property(cs, p, s, seed) -> None:
    """Weights are customers (I5): each row repeated its weight times, in a
    random order, one customer per row, gives the weighted log-likelihood to
    the last bit; so does the weighted summary in another order."""
    m = cs.BetaGeoBetaBinom.from_params(**p)
    want = m.log_likelihood_of(s, weights="w")
    rows = s.loc[s.index.repeat(s["w"])].drop(columns="w")
    rows = rows.sample(frac=1.0, random_state=seed % 2**32)
    assert m.log_likelihood_of(rows) == want
    assert m.log_likelihood_of(s.sample(frac=1.0, random_state=seed), weights="w") == want


@SETTINGS
@given(p=BB_PARAMS, n=st.integers(0, 400))
def test_probability_of_purchases_is_a_distribution(cs, p, n) -> None:
    """P(X(n) = x) over x = 0..n adds up to 1 and its mean is E[X(n)] (neither
    is built into the formula); the entries beyond n are 0."""
    m = cs.BetaGeoBetaBinom.from_params(**p)
    pmf = m.probability_of_purchases(n, n + 2)
    assert ((pmf >= 0) & (pmf <= 1)).all() and (pmf[n + 1 :] == 0).all()
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    mean = float(np.dot(np.arange(n + 3), pmf))
    assert mean == pytest.approx(m.expected_purchases_population(n), rel=1e-10, abs=1e-300)


def test_gamma_equal_one_is_continuous(cs) -> None:
    """At gamma = 1 the paper's closed forms are 0 / 0; the product sums the
    series directly: E[X(n)] there is delta alpha / (alpha + beta)
    (psi(1 + delta + n) - psi(1 + delta)), and it is continuous around it."""
    from scipy.special import digamma

    def at(g: float) -> Any:
        return cs.BetaGeoBetaBinom.from_params(alpha=1.2, beta=0.75, gamma=g, delta=2.8)

    want = 2.8 * 1.2 / 1.95 * (digamma(1 + 2.8 + 30) - digamma(1 + 2.8))
    assert at(1.0).expected_purchases_population(30) == pytest.approx(want, rel=1e-12)
    near = ref.bb_expected_population((1.2, 0.75, 1.0 + 1e-4, 2.8), 30)
    assert at(1.0 + 1e-4).expected_purchases_population(30) == pytest.approx(near, rel=1e-8)


def test_row_order_and_threads_do_not_change_the_fit(cs, donations, bb) -> None:
    """I5: the rows in another order, fitted on one thread, give the same bits."""
    shuffled = donations.sample(frac=1.0, random_state=7)
    again = cs.BetaGeoBetaBinom(threads=1).fit(shuffled, weights="weights")
    assert again.params == bb.params and again.log_likelihood == bb.log_likelihood
    assert again.covariance == bb.covariance


def test_penalizer_equals_reference(cs, donations) -> None:
    """With penalizer 0.01 the objective is -(sum LL)/N + 0.01 sum(params^2), N
    the customers (the weights' sum): the product's optimum is the reference's."""
    got = cs.BetaGeoBetaBinom(penalizer=0.01).fit(donations, weights="weights")
    want = ref.fit_bgbb(*_cols(donations), penalizer=0.01)
    assert got.converged is True
    assert rel_close(got.params, want.params, 1e-4) == []


# ====================================================================== by hand
def test_hand_worked_values(cs) -> None:
    """By hand at alpha = beta = gamma = delta = 1: LL = 2 ln(3/4) + ln(5/36)
    for the rows (0, 0, 1) twice and (1, 1, 2); P(alive at 2) of x = 0, n = 1 is
    B(1, 2) B(1, 3) / (3/4) = (1/2)(1/3)(4/3) = 2/9; E[X(1)] = (1/2)(1/2) = 1/4;
    P(X(1) = 1) = 1/4."""
    m = cs.BetaGeoBetaBinom.from_params(alpha=1.0, beta=1.0, gamma=1.0, delta=1.0)
    s = pd.DataFrame({"frequency": [0, 1], "recency": [0, 1], "n_periods": [1, 2], "w": [2, 1]})
    want = 2 * math.log(3 / 4) + math.log(5 / 36)
    assert m.log_likelihood_of(s, weights="w") == pytest.approx(want, rel=1e-14)
    assert m.p_alive(s).iloc[0] == pytest.approx(2 / 9, rel=1e-14)
    assert m.expected_purchases_population(1) == pytest.approx(1 / 4, rel=1e-14)
    assert m.expected_purchases_population(0) == 0.0
    np.testing.assert_allclose(m.probability_of_purchases(1, 2), [3 / 4, 1 / 4, 0.0], rtol=1e-14)


# ======================================================================= errors
def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "frequency": [0, 2, 1, 3, 0, 5],
            "recency": [0, 4, 1, 6, 0, 6],
            "n_periods": [6, 6, 6, 6, 3, 6],
            "weights": [10, 3, 4, 2, 5, 1],
        }
    ).astype("float64")


@pytest.mark.parametrize(
    ("column", "row", "value"),
    [
        ("recency", 3, 7.0),  # after the last opportunity
        ("frequency", 2, -1.0),
        ("frequency", 1, 5.0),  # more transactions than opportunities up to the last
        ("recency", 0, 2.0),  # a last transaction without any
        ("n_periods", 4, 2.5),
        ("recency", 1, float("nan")),
        ("weights", 5, 0.5),
        ("weights", 2, -1.0),
    ],
)
def test_invalid_rows_name_column_row_and_rule(cs, column: str, row: int, value: float) -> None:
    """An impossible row raises InvalidValueError naming the column, the row and
    CLV4, in the fit, the log-likelihood and (but for weights) the predictions."""
    s = _frame()
    s.loc[row, column] = value
    m = cs.BetaGeoBetaBinom.from_params(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8)
    calls = [
        lambda: cs.BetaGeoBetaBinom().fit(s, weights="weights"),
        lambda: m.log_likelihood_of(s, weights="weights"),
    ]
    if column != "weights":
        calls += [lambda: m.p_alive(s), lambda: m.conditional_expected_purchases(2, s)]
    for call in calls:
        with pytest.raises(cs.InvalidValueError) as info:
            call()
        msg = str(info.value)
        assert f"'{column}'" in msg and re.search(rf"\brow {row}\b", msg) and "CLV4" in msg, msg


def test_other_errors(cs) -> None:
    """A null names its column and row (I4); missing columns (weights too) are
    named; no repeat transaction cannot be fitted; n_star and n must be whole
    numbers; an unfitted model is a ConfigError."""
    s = _frame()
    cols = {c: s[c].tolist() for c in s.columns}
    cols["n_periods"][3] = None
    with pytest.raises(cs.NullValueError, match=r"'n_periods'.*row 3"):
        cs.BetaGeoBetaBinom().fit(pa.table(cols))
    with pytest.raises(cs.ColumnNotFoundError, match="'n_periods'"):
        cs.BetaGeoBetaBinom().fit(s.drop(columns=["n_periods"]))
    with pytest.raises(cs.ColumnNotFoundError, match="'count'"):
        cs.BetaGeoBetaBinom().fit(s, weights="count")
    with pytest.raises(cs.ConfigError, match="repeat transaction"):
        cs.BetaGeoBetaBinom().fit(s.assign(frequency=0.0, recency=0.0))
    with pytest.raises(cs.ConfigError, match="no customers"):
        cs.BetaGeoBetaBinom().fit(s.assign(weights=0.0), weights="weights")
    m = cs.BetaGeoBetaBinom.from_params(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8)
    with pytest.raises(cs.ConfigError, match="n_star"):
        m.conditional_expected_purchases(2.5, s)
    with pytest.raises(cs.ConfigError, match=r"\bn must"):
        m.expected_purchases_population(-1)
    with pytest.raises(TypeError):
        m.probability_of_purchases("6", 3)  # type: ignore[arg-type]
    with pytest.raises(cs.ConfigError, match="n_max"):
        m.probability_of_purchases(6, -1)
    with pytest.raises(cs.ConfigError, match="no parameters"):
        cs.BetaGeoBetaBinom().p_alive(s)


@pytest.mark.parametrize("family", ["arrow", "polars"])
def test_families(cs, family: str, donations, bb) -> None:
    """Arrow in, Arrow out; polars in, polars out; the same numbers as pandas."""
    data = pa.Table.from_pandas(donations, preserve_index=False)
    if family == "polars":
        data = pytest.importorskip("polars").from_arrow(data)
    alive = bb.p_alive(data)
    both = bb.expected_purchases(5, data)
    if family == "arrow":
        assert isinstance(alive, pa.Array) and isinstance(both, pa.Table)
    else:
        assert type(alive).__module__.startswith("polars")
        assert type(both).__module__.startswith("polars")
    np.testing.assert_array_equal(np.asarray(alive), bb.p_alive(donations).to_numpy())
    assert cs.BetaGeoBetaBinom().fit(data, weights="weights").params == bb.params


def test_the_packaged_data_is_the_papers(cs, donations) -> None:
    """cs.datasets.donations() holds the same 22 patterns as the tests' copy."""
    shipped = cs.datasets.donations(output="pandas")
    pd.testing.assert_frame_equal(shipped, donations.astype("int64"))
