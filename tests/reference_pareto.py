"""A plain, slow reading of the Pareto/NBD model (rule CLV4) in numpy/scipy,
independent of custseg: the tests compare the product with it.

* Log-likelihood: Fader, Hardie and Lee (2005), "A Note on Deriving the
  Pareto/NBD Model and Related Expressions", in its textbook form with
  ``scipy.special.hyp2f1``: for alpha >= beta

      A0 = 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+tx)) / (alpha+tx)^(r+s+x)
         - 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+T)) / (alpha+T)^(r+s+x)

  and for alpha < beta the same with 2F1(r+s+x, r+x; r+s+x+1; (beta-alpha)/(beta+y))
  / (beta+y)^(r+s+x);

      L = Gamma(r+x) alpha^r beta^s / Gamma(r)
          * [1 / ((alpha+T)^(r+x) (beta+T)^s) + s / (r+s+x) * A0]

  (the two terms added in log space, so that large frequencies and T do not
  overflow).
* P(alive) = 1 / (1 + s / (r+s+x) (alpha+T)^(r+x) (beta+T)^s A0).
* E[Y(t) | x, tx, T] = (r+x)(beta+T) / ((alpha+T)(s-1))
  [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive); E[X(t)] = r beta / (alpha (s-1))
  [1 - (beta/(beta+t))^(s-1)].
* P(X(t) = x) twice: the formula of Fader, Hardie and Lee (2006), "Deriving an
  Expression for P(X(t) = x) Under the Pareto/NBD Model", and, independently,
  the integral it comes from (alive to t, or dead at u < t) by
  ``scipy.integrate.quad``.
* Fits: Nelder-Mead over the log parameters (``reference_btyd._minimise``),
  objective ``-(sum LL) / N + penalizer * (r^2 + alpha^2 + s^2 + beta^2)``,
  on the distinct rows weighted by their counts.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
from scipy.integrate import quad
from scipy.special import betaln, gammaln, hyp2f1

sys.path.insert(0, os.path.dirname(__file__))

from reference_btyd import Fit, _minimise  # noqa: E402

NAMES = ("r", "alpha", "s", "beta")


def _p(params) -> tuple[float, float, float, float]:
    """(r, alpha, s, beta) from a tuple or a dict."""
    if isinstance(params, dict):
        return tuple(float(params[k]) for k in NAMES)
    return tuple(float(v) for v in params)


def _a0_terms(params, x, tx, T):
    """ln of the two terms of A0 (at tx and at T), vectorised."""
    r, alpha, s, beta = _p(params)
    a = r + s + x
    if alpha >= beta:
        b, m, d = s + 1, alpha, alpha - beta
    else:
        b, m, d = r + x, beta, beta - alpha
    at_tx = np.log(hyp2f1(a, b, a + 1, d / (m + tx))) - a * np.log(m + tx)
    at_t = np.log(hyp2f1(a, b, a + 1, d / (m + T))) - a * np.log(m + T)
    return at_tx, at_t


def _ln_a0(params, x, tx, T):
    """ln A0 (-inf where tx == T)."""
    at_tx, at_t = _a0_terms(params, x, tx, T)
    with np.errstate(divide="ignore"):
        return at_tx + np.log1p(-np.exp(at_t - at_tx))


def loglik(params, x, tx, T) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihoods (vectorised)."""
    r, alpha, s, beta = _p(params)
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    front = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    dead = np.log(s / (r + s + x)) + _ln_a0(params, x, tx, T)
    return front + np.logaddexp(alive, dead)


def loglik_customer(params, x: int, tx: float, T: float) -> float:
    """One customer's log-likelihood, term by term with ``math`` (and scipy's hyp2f1)."""
    r, alpha, s, beta = _p(params)
    a = r + s + x
    if alpha >= beta:
        f_tx = hyp2f1(a, s + 1, a + 1, (alpha - beta) / (alpha + tx)) / (alpha + tx) ** a
        f_t = hyp2f1(a, s + 1, a + 1, (alpha - beta) / (alpha + T)) / (alpha + T) ** a
    else:
        f_tx = hyp2f1(a, r + x, a + 1, (beta - alpha) / (beta + tx)) / (beta + tx) ** a
        f_t = hyp2f1(a, r + x, a + 1, (beta - alpha) / (beta + T)) / (beta + T) ** a
    a0 = f_tx - f_t
    bracket = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s) + s / a * a0
    return (
        math.lgamma(r + x)
        - math.lgamma(r)
        + r * math.log(alpha)
        + s * math.log(beta)
        + math.log(bracket)
    )


def loglik_quad(params, x: int, tx: float, T: float) -> tuple[float, float]:
    """(the log-likelihood, the log of its part alive at T: P(alive) is the
    exp of their difference) with the dead part as the integral it is, s
    times the integral over tx < u < T of (alpha + u)^-(r+x)
    (beta + u)^-(s+1), by ``scipy.integrate.quad`` on
    pieces that double in length from tx (the integrand, divided by its value
    at tx, falls over a scale of (alpha + tx) / (r + x)): an independent check
    where scipy's hyp2f1 overflows (large frequencies)."""
    r, alpha, s, beta = _p(params)

    def ln_f(u: float) -> float:
        return -(r + x) * math.log(alpha + u) - (s + 1) * math.log(beta + u)

    top = ln_f(tx)
    edges, step = [tx], min(alpha + tx, beta + tx) / (r + x + s + 1)
    while edges[-1] < T:
        edges.append(min(T, edges[-1] + step))
        step *= 2
    dead = sum(
        quad(lambda u: math.exp(ln_f(u) - top), lo, hi, epsabs=0.0, epsrel=1e-13, limit=200)[0]
        for lo, hi in zip(edges[:-1], edges[1:], strict=True)
    )
    alive = -(r + x) * math.log(alpha + T) - s * math.log(beta + T)
    front = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + s * math.log(beta)
    if dead == 0.0:
        return front + alive, alive
    return front + float(np.logaddexp(alive, math.log(s * dead) + top)), front + alive


def p_alive(params, x: int, tx: float, T: float) -> float:
    """P(alive | x, tx, T) = 1 / (1 + s / (r+s+x) (alpha+T)^(r+x) (beta+T)^s A0)."""
    r, alpha, s, beta = _p(params)
    ln_a0 = float(_ln_a0(params, float(x), float(tx), float(T)))
    ln_odds = math.log(s / (r + s + x)) + (r + x) * math.log(alpha + T) + s * math.log(beta + T)
    return math.exp(-float(np.logaddexp(0.0, ln_odds + ln_a0)))  # 1 / (1 + odds), no overflow


def conditional_expected_purchases(params, t: float, x: int, tx: float, T: float) -> float:
    """E[Y(t) | x, tx, T] (Schmittlein, Morrison and Colombo 1987)."""
    r, alpha, s, beta = _p(params)
    grow = 1 - ((beta + T) / (beta + T + t)) ** (s - 1)
    return (r + x) * (beta + T) / ((alpha + T) * (s - 1)) * grow * p_alive(params, x, tx, T)


def expected_purchases_population(params, t: float) -> float:
    """E[X(t)] = r beta / (alpha (s-1)) [1 - (beta / (beta + t))^(s-1)]."""
    r, alpha, s, beta = _p(params)
    return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))


def _ln_nb(r: float, alpha: float, x: int, u: float) -> float:
    """ln of the negative binomial P(x purchases by u | alive), Gamma(r, alpha) rates."""
    return (
        gammaln(r + x)
        - gammaln(r)
        - gammaln(x + 1)
        + r * math.log(alpha / (alpha + u))
        + (x * math.log(u / (alpha + u)) if x > 0 else 0.0)
    )


def probability_of_purchases_quad(params, t: float, x: int) -> float:
    """P(X(t) = x) as the integral it is: NB_x(t) (beta/(beta+t))^s + the
    integral over 0 < u < t of NB_x(u) s / beta (beta / (beta + u))^(s+1),
    by ``scipy.integrate.quad``."""
    r, alpha, s, beta = _p(params)
    alive = math.exp(_ln_nb(r, alpha, x, t) + s * math.log(beta / (beta + t)))

    def dead(u: float) -> float:
        if u == 0.0:
            return math.exp(_ln_nb(r, alpha, x, 0.0)) * s / beta if x == 0 else 0.0
        return math.exp(_ln_nb(r, alpha, x, u) + (s + 1) * math.log(beta / (beta + u))) * s / beta

    value, _ = quad(dead, 0.0, t, epsabs=0.0, epsrel=1e-13, limit=500)
    return alive + value


def probability_of_purchases_fhl(params, t: float, x: int) -> float:
    """P(X(t) = x) by the closed form of Fader, Hardie and Lee (2006)."""
    r, alpha, s, beta = _p(params)
    first = math.exp(_ln_nb(r, alpha, x, t) + s * math.log(beta / (beta + t)))
    c = r + s + x + 1
    if alpha >= beta:
        b, m, d = s + 1, alpha, alpha - beta
    else:
        b, m, d = r + x, beta, beta - alpha
    b1 = hyp2f1(r + s, b, c, d / m) / m ** (r + s)
    b2 = 0.0
    for i in range(x + 1):
        coef = math.exp(gammaln(r + s + i) - gammaln(r + s) - gammaln(i + 1)) * t**i
        b2 += coef * hyp2f1(r + s + i, b, c, d / (m + t)) / (m + t) ** (r + s + i)
    front = math.exp(r * math.log(alpha) + s * math.log(beta) + betaln(r + x, s + 1) - betaln(r, s))
    return first + front * (b1 - b2)


def unique_rows(x, tx, T) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (x, tx, T) rows and how often each occurs."""
    rows = np.column_stack([np.asarray(v, dtype=float) for v in (x, tx, T)])
    uniq, counts = np.unique(rows, axis=0, return_counts=True)
    return uniq[:, 0], uniq[:, 1], uniq[:, 2], counts.astype(float)


def fit(x, tx, T, penalizer: float = 0.0, starts=None) -> Fit:
    """CLV4: Pareto/NBD by maximum likelihood (Nelder-Mead on the log
    parameters, restarted, polished by BFGS; ``reference_btyd._minimise``)."""
    ux, utx, uT, w = unique_rows(x, tx, T)
    n = float(w.sum())

    def objective(theta):
        with np.errstate(all="ignore"):
            ll = float((w * loglik(np.exp(theta), ux, utx, uT)).sum())
        if not np.isfinite(ll):
            return 1e300
        return -ll / n + penalizer * float(np.sum(np.exp(theta) ** 2))

    if starts is None:
        scale = max(float(np.mean(uT)), 1e-3)
        starts = [np.log([0.5, scale / 4, 0.5, scale / 4]), np.log([1.0, scale, 1.0, scale])]
    theta = _minimise(objective, starts)
    params = np.exp(theta)
    ll = float((w * loglik(params, ux, utx, uT)).sum())
    return Fit(NAMES, params, ll, objective(theta), int(n))
