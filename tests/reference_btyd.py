"""Plain, slow, obviously-correct reference for predictive CLV (rule CLV4).

This module is the executable reading of ``docs/rules.md`` rule CLV4
(with I2, I3 and I6 for the summary) as the issue-5 API states it: the
(frequency, recency, T, monetary_value) summary, the BG/NBD model of Fader,
Hardie and Lee (2005), the Gamma-Gamma spend model, and the discounted CLV
over a horizon.  ``tests/test_btyd.py`` compares the product against it.

It uses the standard library, numpy and scipy only (never custseg).  Money and
purchase events reuse :func:`reference.money` (I6); the summary is a direct loop
over the rows.  Fits minimise the documented objective over the log-parameters
with scipy (Nelder-Mead with very tight tolerances, restarted from its own
answer until it stops moving, from several starting points), so the optimum is
an independent one, not a copy of the product's optimiser.

Conventions (the product documents the same):

* I3: ``as_of`` is exclusive; the default is the day after the latest day.
* I2: a purchase event is a (customer, day) whose exact net total is > 0, or
  >= 0 with ``count_zero_days``.
* CLV4: frequency = events - 1; recency = last event day - first event day;
  T = (as_of - 1 day) - first event day; in unit "D" as ``float(days)``, in
  unit "W" as ``days / 7.0``.  monetary_value = ``(float(sum) / 1e6) /
  float(frequency)`` where ``sum`` is the exact sum in millionths of the net
  day totals of the events other than the first; 0.0 when frequency == 0.
* Objectives: ``-(sum LL) / N + penalizer * (sum of squared params)``.
"""

from __future__ import annotations

import datetime
import math
import os
import sys
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

sys.path.insert(0, os.path.dirname(__file__))

from reference import money  # noqa: E402

__all__ = [
    "BG_NAMES",
    "GG_NAMES",
    "MONTH_DAYS",
    "bgnbd_loglik",
    "bgnbd_loglik_customer",
    "conditional_expected_purchases",
    "expected_purchases_population",
    "expected_spend",
    "fit_bgnbd",
    "fit_gg",
    "gg_loglik",
    "gg_loglik_customer",
    "hyp2f1_series",
    "month_in_units",
    "p_alive",
    "predictive_clv",
    "summary",
]

BG_NAMES = ("r", "alpha", "a", "b")
GG_NAMES = ("p", "q", "v")
MONTH_DAYS = 365.25 / 12  # CLV4 (custseg): a calendar-average month, 30.4375 days
SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


def _bg(params) -> tuple[float, float, float, float]:
    """(r, alpha, a, b) from a tuple or a dict."""
    if isinstance(params, dict):
        return tuple(float(params[k]) for k in BG_NAMES)
    return tuple(float(v) for v in params)


def _gg(params) -> tuple[float, float, float]:
    """(p, q, v) from a tuple or a dict."""
    if isinstance(params, dict):
        return tuple(float(params[k]) for k in GG_NAMES)
    return tuple(float(v) for v in params)


# --------------------------------------------------------------------------- #
# CLV4 summary (I2, I3, I6)                                                    #
# --------------------------------------------------------------------------- #
def _in_unit(days: int, unit: str) -> float:
    """CLV4: a day count in the model's unit ("D": days, "W": days / 7.0)."""
    if unit == "D":
        return float(days)
    if unit == "W":
        return days / 7.0
    raise ValueError(f"CLV4: unit must be 'D' or 'W', got {unit!r}")


def summary(
    rows: Iterable[tuple],
    as_of: datetime.date | None = None,
    unit: str = "W",
    count_zero_days: bool = False,
) -> dict:
    """CLV4 summary of ``rows`` of (customer, day, amount[, ...]).

    Returns ``{customer: {"frequency": int, "recency": float, "T": float,
    "monetary_value": float}}`` sorted by customer, one entry per customer with
    at least one purchase event before ``as_of``.
    """
    rows = list(rows)
    _in_unit(0, unit)  # validate the unit even for empty input
    # I3: as_of is exclusive; default is the day after the latest day.
    if as_of is None:
        if not rows:
            return {}
        as_of = max(r[1] for r in rows) + datetime.timedelta(days=1)
    used = [r for r in rows if r[1] < as_of]

    # I6 + I2: exact net total per (customer, day).
    day_total: dict = {}
    for r in used:
        key = (r[0], r[1])
        day_total[key] = day_total.get(key, 0) + money(r[2])

    # I2: purchase events (day, net total) per customer.
    events: dict = {}
    for (cust, day), total in day_total.items():
        if total > 0 or (count_zero_days and total == 0):
            events.setdefault(cust, []).append((day, total))

    last_day = as_of - datetime.timedelta(days=1)
    out = {}
    for cust in sorted(events):
        ev = sorted(events[cust])
        first, last = ev[0][0], ev[-1][0]
        frequency = len(ev) - 1
        repeat_sum = sum(total for _, total in ev[1:])  # exact millionths
        if frequency > 0:
            monetary = (float(repeat_sum) / 1e6) / float(frequency)
        else:
            monetary = 0.0
        out[cust] = {
            "frequency": frequency,
            "recency": _in_unit((last - first).days, unit),
            "T": _in_unit((last_day - first).days, unit),
            "monetary_value": monetary,
        }
    return out


# --------------------------------------------------------------------------- #
# CLV4: BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6)                #
# --------------------------------------------------------------------------- #
def bgnbd_loglik_customer(params: Sequence[float], x: int, tx: float, T: float) -> float:
    """One customer's BG/NBD log-likelihood, term by term with ``math``.

    ``params``: (r, alpha, a, b) or a dict with those keys (as everywhere here)."""
    r, alpha, a, b = _bg(params)
    a1 = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    a2 = math.lgamma(a + b) + math.lgamma(b + x) - math.lgamma(b) - math.lgamma(a + b + x)
    a3 = -(r + x) * math.log(alpha + T)
    if x > 0:
        a4 = math.log(a) - math.log(b + x - 1) - (r + x) * math.log(alpha + tx)
        hi, lo = max(a3, a4), min(a3, a4)
        return a1 + a2 + hi + math.log1p(math.exp(lo - hi))  # ln(e^A3 + e^A4)
    return a1 + a2 + a3


def bgnbd_loglik(params: Sequence[float], x, tx, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihoods (vectorised; same terms as above).

    ``bgnbd_loglik(...).sum()`` is the total log-likelihood.
    """
    r, alpha, a, b = _bg(params)
    x = np.asarray(x, dtype=float)
    tx = np.asarray(tx, dtype=float)
    T = np.asarray(T, dtype=float)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    rep = x > 0
    # A4 only where x > 0 (b + x - 1 may be <= 0 when x == 0)
    bx1 = np.where(rep, b + x - 1, 1.0)
    a4 = np.log(a) - np.log(bx1) - (r + x) * np.log(alpha + tx)
    both = np.logaddexp(a3, a4)
    return a1 + a2 + np.where(rep, both, a3)


# --------------------------------------------------------------------------- #
# CLV4: Gamma-Gamma log-likelihood                                             #
# --------------------------------------------------------------------------- #
def gg_loglik_customer(params: Sequence[float], x: int, m: float) -> float:
    """One repeat customer's Gamma-Gamma log-likelihood (x > 0, m > 0)."""
    p, q, v = _gg(params)
    px = p * x
    return (
        math.lgamma(px + q)
        - math.lgamma(px)
        - math.lgamma(q)
        + q * math.log(v)
        + (px - 1) * math.log(m)
        + px * math.log(x)
        - (px + q) * math.log(x * m + v)
    )


def gg_loglik(params: Sequence[float], x, m) -> np.ndarray:
    """Per-row Gamma-Gamma log-likelihoods (vectorised); rows must have x > 0."""
    p, q, v = _gg(params)
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(x * m + v)
    )


# --------------------------------------------------------------------------- #
# CLV4: maximum likelihood                                                     #
# --------------------------------------------------------------------------- #
class Fit:
    """The result of a reference fit."""

    def __init__(self, names, params, loglik, objective, n):
        self.params = dict(zip(names, (float(p) for p in params), strict=True))
        self.log_likelihood = float(loglik)  # total, unpenalised
        self.objective = float(objective)
        self.n = n

    def __repr__(self) -> str:
        ps = ", ".join(f"{k}={v:.6g}" for k, v in self.params.items())
        return f"Fit({ps}, log_likelihood={self.log_likelihood:.6f}, n={self.n})"


def _minimise(objective, starts) -> np.ndarray:
    """The best minimum over ``starts`` (log-parameters): Nelder-Mead with very
    tight tolerances, restarted from its own answer until the objective stops
    improving, then a BFGS polish kept only when it improves the objective."""
    best_x, best_f = None, math.inf
    # fatol is near the float noise of an objective of order 1-10 (1e-14): a
    # tighter one is never met and Nelder-Mead would run to maxfev.
    opts = {"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20_000, "maxfev": 40_000}
    for x0 in starts:
        x = np.asarray(x0, dtype=float)
        f = objective(x)
        for _ in range(10):
            res = minimize(objective, x, method="Nelder-Mead", options=opts)
            improved = res.fun < f - 1e-15
            x, f = res.x, res.fun
            if not improved:
                break
        if f < best_f:
            best_x, best_f = x, f
    res = minimize(objective, best_x, method="BFGS", options={"gtol": 1e-12})
    if np.isfinite(res.fun) and res.fun < best_f:
        best_x = res.x
    return best_x


def _penalty(theta: np.ndarray, penalizer: float) -> float:
    return penalizer * float(np.sum(np.exp(theta) ** 2))


def fit_bgnbd(x, tx, T, penalizer: float = 0.0, starts=None) -> Fit:
    """CLV4: BG/NBD by maximum likelihood.

    Minimises ``-(sum LL)/N + penalizer * (r^2 + alpha^2 + a^2 + b^2)`` over the
    log-parameters.  ``log_likelihood`` is the total unpenalised LL at the optimum.
    """
    x = np.asarray(x, dtype=float)
    tx = np.asarray(tx, dtype=float)
    T = np.asarray(T, dtype=float)
    n = len(x)

    def objective(theta):
        with np.errstate(all="ignore"):
            ll = bgnbd_loglik(np.exp(theta), x, tx, T).sum()
        if not np.isfinite(ll):
            return 1e300
        return -ll / n + _penalty(theta, penalizer)

    if starts is None:
        scale = max(float(np.mean(T)), 1e-3)
        starts = [
            np.zeros(4),
            np.log([0.5, scale / 4, 0.5, 2.0]),
            np.log([1.0, scale, 2.0, 5.0]),
        ]
    theta = _minimise(objective, starts)
    params = np.exp(theta)
    ll = bgnbd_loglik(params, x, tx, T).sum()
    return Fit(BG_NAMES, params, ll, objective(theta), n)


def fit_gg(x, m, penalizer: float = 0.0, starts=None) -> Fit:
    """CLV4: Gamma-Gamma by maximum likelihood on the rows with x > 0.

    Minimises ``-(sum LL)/N + penalizer * (p^2 + q^2 + v^2)`` (N = repeat rows).
    """
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    keep = x > 0
    x, m = x[keep], m[keep]
    if np.any(m <= 0):
        raise ValueError("CLV4: monetary_value must be > 0 on rows with frequency > 0")
    n = len(x)

    def objective(theta):
        with np.errstate(all="ignore"):
            ll = gg_loglik(np.exp(theta), x, m).sum()
        if not np.isfinite(ll):
            return 1e300
        return -ll / n + _penalty(theta, penalizer)

    if starts is None:
        mean = max(float(np.mean(m)), 1e-3)
        starts = [np.zeros(3), np.log([2.0, 3.0, mean]), np.log([5.0, 2.0, 2 * mean])]
    theta = _minimise(objective, starts)
    params = np.exp(theta)
    ll = gg_loglik(params, x, m).sum()
    return Fit(GG_NAMES, params, ll, objective(theta), n)


# --------------------------------------------------------------------------- #
# CLV4: predictions                                                            #
# --------------------------------------------------------------------------- #
def hyp2f1_series(a: float, b: float, c: float, z: float, max_terms: int = 1_000_000) -> float:
    """Gauss's series sum_k (a)_k (b)_k / ((c)_k k!) z^k, summed plainly (|z| < 1).

    Used only to check ``scipy.special.hyp2f1`` over the parameter ranges the tests draw.
    """
    term, terms = 1.0, [1.0]
    for k in range(max_terms):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        terms.append(term)
        if abs(term) < 1e-18 * abs(math.fsum(terms)) and k > 5:
            break
    else:
        raise ArithmeticError("hyp2f1_series did not converge")
    return math.fsum(terms)


def p_alive(params, x: int, tx: float, T: float) -> float:
    """CLV4: P(alive | x, tx, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+tx))^(r+x))."""
    r, alpha, a, b = _bg(params)
    if x == 0:
        return 1.0
    return 1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def conditional_expected_purchases(params, t: float, x: int, tx: float, T: float) -> float:
    """CLV4: E[Y(t) | x, tx, T] (Fader, Hardie & Lee 2005, eq. 10)."""
    r, alpha, a, b = _bg(params)
    z = t / (alpha + T + t)
    hyp = float(hyp2f1(r + x, b + x, a + b + x - 1, z))
    first = (a + b + x - 1) / (a - 1)
    second = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    denom = 1.0
    if x > 0:
        denom += a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    return first * second / denom


def expected_purchases_population(params, t: float) -> float:
    """CLV4: E[X(t)] for a new customer (Fader, Hardie & Lee 2005, eq. 9)."""
    r, alpha, a, b = _bg(params)
    hyp = float(hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    return (a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r * hyp)


def expected_spend(params, x: int, m: float) -> float:
    """CLV4: E[M | x, m] = p (v + x m) / (p x + q - 1); x == 0: p v / (q - 1)."""
    p, q, v = _gg(params)
    if x == 0:
        return p * v / (q - 1)
    return (p * (v + x * m)) / (p * x + q - 1)


def month_in_units(unit: str) -> float:
    """CLV4 (custseg): a month (365.25 / 12 days) in the model's unit."""
    if unit == "D":
        return MONTH_DAYS
    if unit == "W":
        return MONTH_DAYS / 7
    raise ValueError(f"CLV4: unit must be 'D' or 'W', got {unit!r}")


def predictive_clv(
    bg_params,
    gg_params,
    x: int,
    tx: float,
    T: float,
    m: float,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    unit: str = "W",
) -> dict:
    """CLV4: the discounted CLV of one customer over ``horizon_months`` months.

    clv = sum_{i=1..H} spend * (E[Y(i f)] - E[Y((i-1) f)]) / (1 + d)^i, f = one
    month in the unit.  Returns the four columns the product adds.
    """
    f = month_in_units(unit)
    spend = expected_spend(gg_params, x, m)
    total = 0.0
    prev = conditional_expected_purchases(bg_params, 0.0, x, tx, T)
    for i in range(1, horizon_months + 1):
        cur = conditional_expected_purchases(bg_params, i * f, x, tx, T)
        total += spend * (cur - prev) / (1 + discount_rate) ** i
        prev = cur
    return {
        "expected_purchases": conditional_expected_purchases(
            bg_params, horizon_months * f, x, tx, T
        ),
        "p_alive": p_alive(bg_params, x, tx, T),
        "expected_spend": spend,
        "clv": total,
    }
