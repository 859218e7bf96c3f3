"""Standard errors and confidence intervals of the BTYD fits (rule CLV4,
issue 19 item 2), against an independent numerical Hessian.

The product inverts the observed information it computes in Rust from the
model's analytic gradient. The check here is independent of that code path:
minus the Hessian of the reference log-likelihood of ``tests/reference_btyd.py``
(the summed log-likelihood, term by term in numpy/scipy) by central
differences of the log-likelihood itself with one Richardson step, inverted
with numpy. The two must agree to 1e-3 relative.

CDNOW sample, weeks, calibration to 1997-09-30 (``count_zero_days=True``):
``lifetimes`` 0.11 prints the BG/NBD standard errors r 0.0126, alpha 0.3782,
a 0.1857, b 0.7053 for the same fit; the test checks those too.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import reference_btyd as ref  # noqa: E402


def numerical_information(loglik, theta: np.ndarray, rel: float = 1e-3) -> np.ndarray:
    """Minus the Hessian of ``loglik`` at ``theta`` by central second
    differences with one Richardson step (error of order h^4)."""
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
            coarse = second(i, j, 2 * rel * theta)
            fine = second(i, j, rel * theta)
            hess[i, j] = hess[j, i] = (4 * fine - coarse) / 3
    return -hess


def reference_errors(loglik, params: dict[str, float]) -> dict[str, float]:
    theta = np.array(list(params.values()))
    cov = np.linalg.inv(numerical_information(loglik, theta))
    return {k: math.sqrt(cov[i, i]) for i, k in enumerate(params)}


@pytest.fixture(scope="module")
def cs() -> Any:
    import custseg

    return custseg


@pytest.fixture(scope="module")
def cdnow_summary(cs) -> Any:
    return cs.rfm_summary(
        cs.datasets.cdnow("sample", output="pandas"),
        as_of="1997-10-01",
        unit="W",
        count_zero_days=True,
    )


def assert_close(got: dict[str, float], want: dict[str, float], rtol: float) -> None:
    assert got.keys() == want.keys()
    bad = {k: (got[k], want[k]) for k in got if not abs(got[k] - want[k]) <= rtol * abs(want[k])}
    assert not bad, bad


def test_bgnbd_standard_errors_equal_numerical_hessian(cs, cdnow_summary) -> None:
    s = cdnow_summary
    bg = cs.BetaGeo().fit(s)
    x, tx, t = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    want = reference_errors(lambda th: float(ref.bgnbd_loglik(th, x, tx, t).sum()), bg.params)
    assert_close(bg.standard_errors, want, 1e-3)
    # lifetimes 0.11.3 on the same data (its summary table), to its 4 printed digits
    assert_close(
        bg.standard_errors, {"r": 0.01256, "alpha": 0.3782, "a": 0.1857, "b": 0.7054}, 1e-3
    )


def test_gamma_gamma_standard_errors_equal_numerical_hessian(cs, cdnow_summary) -> None:
    s = cdnow_summary
    gg = cs.GammaGamma().fit(s)
    rep = s[s["frequency"] > 0]
    x, m = rep["frequency"].to_numpy(float), rep["monetary_value"].to_numpy(float)
    want = reference_errors(lambda th: float(ref.gg_loglik(th, x, m).sum()), gg.params)
    assert_close(gg.standard_errors, want, 1e-3)


def test_confidence_intervals_are_log_scale_wald(cs, cdnow_summary) -> None:
    """exp(log(theta) +- z se / theta): positive bounds, the estimate their
    geometric mean, wider at a higher level, z = 1.959964 at 95%."""
    bg = cs.BetaGeo().fit(cdnow_summary)
    ci95, ci99 = bg.confidence_intervals(), bg.confidence_intervals(level=0.99)
    se = bg.standard_errors
    for k, v in bg.params.items():
        lo, hi = ci95[k]
        assert 0 < lo < v < hi
        assert math.isclose(math.sqrt(lo * hi), v, rel_tol=1e-12)
        assert math.isclose(math.log(hi / v), 1.959963984540054 * se[k] / v, rel_tol=1e-9)
        assert ci99[k][0] < lo and hi < ci99[k][1]
    table = bg.summary_table()
    assert list(table.columns) == ["estimate", "standard_error", "lower", "upper"]
    assert list(table.index) == ["r", "alpha", "a", "b"]
    assert table.loc["b", "upper"] == ci95["b"][1]


def test_standard_errors_shrink_with_data(cs) -> None:
    """Four copies of every customer: the information is 4 times larger, the
    standard errors half (the same optimum; weights = repeated rows)."""
    import pandas as pd

    s = cs.rfm_summary(
        cs.datasets.synthetic(customers=2_000, years=2, seed=7, output="pandas"),
        as_of="2026-01-01",
        unit="W",
    )
    one = cs.BetaGeo().fit(s)
    four = cs.BetaGeo().fit(pd.concat([s] * 4, ignore_index=True))
    assert_close(four.params, one.params, 1e-5)
    assert_close(four.standard_errors, {k: v / 2 for k, v in one.standard_errors.items()}, 1e-3)


def test_errors_without_a_fit(cs) -> None:
    bg = cs.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(cs.ConfigError, match="not fitted"):
        bg.standard_errors  # noqa: B018
    with pytest.raises(cs.ConfigError, match="no parameters yet"):
        cs.BetaGeo().confidence_intervals()
    fitted = cs.BetaGeo().fit(
        cs.rfm_summary(cs.datasets.synthetic(customers=500, seed=1), as_of="2026-01-01")
    )
    for level in (0, 1, 1.5, -0.1, True, "0.9"):
        with pytest.raises(cs.ConfigError, match="level must be"):
            fitted.confidence_intervals(level=level)  # type: ignore[arg-type]


def test_fit_at_the_edge_warns_and_stops(cs) -> None:
    """A summary the BG/NBD does not describe: the likelihood rises toward
    a, b -> infinity. The fit stops there (fast), not converged, and the
    warning names the parameters that ran off."""
    import pyarrow as pa

    rng = np.random.default_rng(1)
    n = 20_000
    t = rng.uniform(1, 100, n)
    x = rng.integers(0, 20, n).astype(float)
    tx = np.where(x > 0, rng.uniform(0, 1, n) * t, 0.0)
    with pytest.warns(RuntimeWarning, match=r"edge of the parameter space \(.*b="):
        bg = cs.BetaGeo().fit(pa.table({"frequency": x, "recency": tx, "T": t}))
    assert bg.converged is False
    assert bg.params["a"] > 1e4 and bg.params["b"] > 1e5
