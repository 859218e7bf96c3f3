"""Summaries drawn from each BTYD count model (rule CLV4), for the benchmarks of
``bench_btyd_family.py``: the data a model describes, so every fit has an
interior optimum and the contenders can be checked to reach the same one.

Times are in weeks with whole days (T a whole number of days, the last purchase
on the day its time falls in), as every summary of dated transactions is: rows
repeat, as they do in real data. numpy only (the lifetimes environment imports
this module too).
"""

from __future__ import annotations

from typing import Any

T_DAYS = (7, 546)  # a customer's age: one week to 78 weeks
MAX_PERIODS = 20  # BG/BB: opportunities observed, 1..20

TRUTH = {
    # CDNOW (Fader, Hardie and Lee 2005)
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    # CDNOW (Fader, Hardie and Lee 2005, Pareto/NBD)
    "pareto": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    # BG/NBD's CDNOW figures, with MBG/NBD's dropout at time 0 as well
    "mbgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    # the donations data (Fader, Hardie and Shang 2010)
    "bgbb": {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783},
}


def _ages(rng: Any, n: int) -> Any:
    return rng.integers(T_DAYS[0], T_DAYS[1], endpoint=True, size=n) / 7.0


def _last_purchase(rng: Any, x: Any, events: Any, window: Any, T: Any) -> Any:
    """The time of the x-th of ``events`` uniform purchase times in [0, window],
    on the day it falls in (at least day 1, at most T); 0 when x = 0."""
    import numpy as np

    rep = x > 0
    recency = np.zeros(len(x))
    recency[rep] = window[rep] * rng.beta(x[rep], events[rep] - x[rep] + 1)
    return np.minimum(np.ceil(recency * 7), np.round(T * 7)) / 7.0 * rep


def bgnbd(n: int, seed: int, *, dropout_at_zero: bool = False) -> dict[str, Any]:
    """BG/NBD (or MBG/NBD with ``dropout_at_zero``): Poisson purchases at rate
    lambda ~ Gamma(r, alpha); after each repeat purchase (and, for MBG/NBD, at
    the first one too) the customer drops out with probability p ~ Beta(a, b)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    p = TRUTH["mbgnbd" if dropout_at_zero else "bgnbd"]
    T = _ages(rng, n)
    lam = rng.gamma(p["r"], 1.0 / p["alpha"], n)
    drop = rng.beta(p["a"], p["b"], n)
    lifetime = rng.geometric(drop) - (1 if dropout_at_zero else 0)
    events = rng.poisson(lam * T)
    x = np.minimum(lifetime, events).astype(np.int64)
    return {"frequency": x, "recency": _last_purchase(rng, x, events, T, T), "T": T}


def pareto(n: int, seed: int) -> dict[str, Any]:
    """Pareto/NBD: Poisson purchases at rate lambda ~ Gamma(r, alpha) during an
    exponential lifetime of rate mu ~ Gamma(s, beta)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    p = TRUTH["pareto"]
    T = _ages(rng, n)
    lam = rng.gamma(p["r"], 1.0 / p["alpha"], n)
    mu = rng.gamma(p["s"], 1.0 / p["beta"], n)
    window = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * window).astype(np.int64)
    return {"frequency": x, "recency": _last_purchase(rng, x, x, window, T), "T": T}


def bgbb(n: int, seed: int) -> dict[str, Any]:
    """BG/BB: in each of n opportunities an active customer transacts with
    probability p ~ Beta(alpha, beta); before each opportunity it stays active
    with probability 1 - theta, theta ~ Beta(gamma, delta)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    q = TRUTH["bgbb"]
    periods = rng.integers(1, MAX_PERIODS, endpoint=True, size=n)
    p = rng.beta(q["alpha"], q["beta"], n)
    theta = rng.beta(q["gamma"], q["delta"], n)
    active = np.minimum(rng.geometric(theta) - 1, periods)  # opportunities while active
    k = np.arange(1, MAX_PERIODS + 1)
    x = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    for lo in range(0, n, 1 << 20):  # a million customers x 20 draws at a time
        hi = min(n, lo + (1 << 20))
        draws = rng.random((hi - lo, MAX_PERIODS)) < p[lo:hi, None]
        buys = draws & (k[None, :] <= active[lo:hi, None])
        x[lo:hi] = buys.sum(axis=1)
        last[lo:hi] = np.where(x[lo:hi] > 0, MAX_PERIODS - np.argmax(buys[:, ::-1], axis=1), 0)
    return {"frequency": x, "recency": last, "n_periods": periods}


def simulate(model: str, n: int, seed: int = 42) -> dict[str, Any]:
    """The summary of ``n`` customers drawn from ``model`` with ``TRUTH[model]``."""
    if model == "bgbb":
        return bgbb(n, seed)
    if model == "pareto":
        return pareto(n, seed)
    return bgnbd(n, seed, dropout_at_zero=model == "mbgnbd")
