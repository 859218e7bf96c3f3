"""Plain, slow, obviously-correct reference for the MBG/NBD and BG/BB models
(rule CLV4), independent of custseg's code: numpy and scipy only.

* MBG/NBD: Batislam, Denizel and Filiztekin (2007), "Empirical validation and
  comparison of models for customer base analysis", IJRM 24(3), with the
  erratum of Wagner and Hoppe (2008), in the form of ``lifetimes``'
  ``ModifiedBetaGeoFitter``: BG/NBD where a customer may also drop out at
  time 0.
* BG/BB: Fader, Hardie and Shang (2010), "Customer-Base Analysis in a
  Discrete-Time Noncontractual Setting", Marketing Science 29(6): the
  likelihood (eq. 5), E[X(n)] (eq. 7), P(X(n) = x) (eq. 8), P(alive at n + 1)
  (eq. 11) and the conditional expectation (eq. 13), in their closed forms,
  with ``scipy.special.betaln`` / ``gammaln`` term by term.

Fits minimise ``-(sum of weighted LL) / N + penalizer * sum(params^2)`` over
the log parameters with the Nelder-Mead-then-BFGS search of
``reference_btyd._minimise`` (several starts), not the product's optimiser.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence

import numpy as np
from scipy.special import betaln, gammaln, hyp2f1, logsumexp
from scipy.stats import nbinom

sys.path.insert(0, os.path.dirname(__file__))

from reference_btyd import Fit, _minimise  # noqa: E402

MBG_NAMES = ("r", "alpha", "a", "b")
BB_NAMES = ("alpha", "beta", "gamma", "delta")


def _params(params, names) -> tuple[float, ...]:
    if isinstance(params, dict):
        return tuple(float(params[k]) for k in names)
    return tuple(float(v) for v in params)


# --------------------------------------------------------------------------- #
# MBG/NBD                                                                      #
# --------------------------------------------------------------------------- #
def mbg_loglik_customer(params, x: int, tx: float, T: float) -> float:
    """One customer's MBG/NBD log-likelihood, with ``math``: ln of
    B(a, b+x+1)/B(a, b) Gamma(r+x) alpha^r / Gamma(r)
    [(alpha+T)^-(r+x) + a/(b+x) (alpha+tx)^-(r+x)]."""
    r, alpha, a, b = _params(params, MBG_NAMES)
    a1 = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    a2 = math.lgamma(a + b) + math.lgamma(b + x + 1) - math.lgamma(b) - math.lgamma(a + b + x + 1)
    alive = -(r + x) * math.log(alpha + T)
    gone = math.log(a) - math.log(b + x) - (r + x) * math.log(alpha + tx)
    hi, lo = max(alive, gone), min(alive, gone)
    return a1 + a2 + hi + math.log1p(math.exp(lo - hi))


def mbg_loglik(params, x, tx, T) -> np.ndarray:
    """Per-customer MBG/NBD log-likelihoods (vectorised, the same terms)."""
    r, alpha, a, b = _params(params, MBG_NAMES)
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
    alive = -(r + x) * np.log(alpha + T)
    gone = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
    return a1 + a2 + np.logaddexp(alive, gone)


def fit_mbgnbd(x, tx, T, penalizer: float = 0.0) -> Fit:
    """MBG/NBD by maximum likelihood (objective above)."""
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    n = len(x)

    def objective(theta):
        with np.errstate(all="ignore"):
            ll = mbg_loglik(np.exp(theta), x, tx, T).sum()
        if not np.isfinite(ll):
            return 1e300
        return -ll / n + penalizer * float(np.sum(np.exp(theta) ** 2))

    scale = max(float(np.mean(T)), 1e-3)
    starts = [np.zeros(4), np.log([0.5, scale / 4, 0.5, 2.0]), np.log([1.0, scale, 2.0, 5.0])]
    theta = _minimise(objective, starts)
    params = np.exp(theta)
    return Fit(MBG_NAMES, params, mbg_loglik(params, x, tx, T).sum(), objective(theta), n)


def mbg_p_alive(params, x: float, tx: float, T: float) -> float:
    """1 / (1 + a/(b+x) ((alpha+T)/(alpha+tx))^(r+x)), for x = 0 too."""
    r, alpha, a, b = _params(params, MBG_NAMES)
    return 1.0 / (1.0 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))


def mbg_conditional_expected(params, t: float, x: float, tx: float, T: float) -> float:
    """E[Y(t) | x, tx, T] (Wagner and Hoppe 2008; lifetimes):
    (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)] / (1 + odds)."""
    r, alpha, a, b = _params(params, MBG_NAMES)
    z = t / (alpha + T + t)
    hyp = float(hyp2f1(r + x, b + x + 1, a + b + x, z))
    num = (a + b + x) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    return num * mbg_p_alive(params, x, tx, T)


def mbg_expected_population(params, t: float) -> float:
    """E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]."""
    r, alpha, a, b = _params(params, MBG_NAMES)
    hyp = float(hyp2f1(r, b + 1, a + b, t / (alpha + t)))
    return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)


def mbg_pmf(params, t: float, n_max: int) -> np.ndarray:
    """P(X(t) = x), x = 0..n_max: B(a, b+x+1)/B(a, b) NB(x) + B(a+1, b+x)/B(a, b) P(NB >= x),
    NB ~ negative binomial(r, alpha/(alpha+t)) (scipy.stats.nbinom, tail by its sf)."""
    r, alpha, a, b = _params(params, MBG_NAMES)
    q = alpha / (alpha + t)
    xs = np.arange(n_max + 1)
    nb = nbinom.pmf(xs, r, q)
    tail = nbinom.sf(xs - 1, r, q)  # P(N >= x) = P(N > x - 1)
    alive = np.exp(betaln(a, b + xs + 1) - betaln(a, b))
    gone = np.exp(betaln(a + 1, b + xs) - betaln(a, b))
    return alive * nb + gone * tail


# --------------------------------------------------------------------------- #
# BG/BB                                                                        #
# --------------------------------------------------------------------------- #
def _bb_terms(params, x: int, tx: int, n: int) -> list[float]:
    """The logs of the terms of the BG/BB likelihood (eq. 5): "alive through
    n", then "gone after tx + i" for i = 0..n - tx - 1."""
    al, be, ga, de = _params(params, BB_NAMES)
    c = betaln(al, be) + betaln(ga, de)
    terms = [betaln(al + x, be + n - x) + betaln(ga, de + n) - c]
    for i in range(int(n - tx)):
        terms.append(betaln(al + x, be + tx - x + i) + betaln(ga + 1, de + tx + i) - c)
    return terms


def bb_loglik_customer(params, x: int, tx: int, n: int) -> float:
    """One customer's BG/BB log-likelihood (log-sum-exp of the terms)."""
    return float(logsumexp(_bb_terms(params, x, tx, n)))


def bb_loglik(params, x, tx, n, w=None) -> float:
    """Total weighted BG/BB log-likelihood (weights None: 1 each)."""
    w = np.ones(len(x)) if w is None else np.asarray(w, dtype=float)
    memo: dict = {}
    total = 0.0
    for xi, ti, ni, wi in zip(x, tx, n, w, strict=True):
        key = (int(xi), int(ti), int(ni))
        if key not in memo:
            memo[key] = bb_loglik_customer(params, *key)
        total += wi * memo[key]
    return total


def fit_bgbb(x, tx, n, w=None, penalizer: float = 0.0) -> Fit:
    """BG/BB by maximum likelihood: N = sum of the weights."""
    x, tx, n = (np.asarray(v, dtype=float) for v in (x, tx, n))
    w = np.ones(len(x)) if w is None else np.asarray(w, dtype=float)
    big_n = float(w.sum())

    def objective(theta):
        with np.errstate(all="ignore"):
            ll = bb_loglik(np.exp(theta), x, tx, n, w)
        if not np.isfinite(ll):
            return 1e300
        return -ll / big_n + penalizer * float(np.sum(np.exp(theta) ** 2))

    starts = [np.zeros(4), np.log([0.5, 2.0, 0.5, 2.0]), np.log([2.0, 1.0, 2.0, 1.0])]
    theta = _minimise(objective, starts)
    params = np.exp(theta)
    return Fit(BB_NAMES, params, bb_loglik(params, x, tx, n, w), objective(theta), int(big_n))


def bb_p_alive(params, x: int, tx: int, n: int) -> float:
    """P(alive at n + 1 | x, tx, n) (eq. 11):
    B(alpha+x, beta+n-x)/B(alpha, beta) B(gamma, delta+n+1)/B(gamma, delta) / L."""
    al, be, ga, de = _params(params, BB_NAMES)
    log = betaln(al + x, be + n - x) - betaln(al, be) + betaln(ga, de + n + 1) - betaln(ga, de)
    return math.exp(log - bb_loglik_customer(params, x, tx, n))


def bb_conditional_expected(params, n_star: int, x: int, tx: int, n: int) -> float:
    """E[X(n, n + n*) | x, tx, n] (eq. 13): 1/L B(alpha+x+1, beta+n-x)/B(alpha, beta)
    delta/(gamma-1) Gamma(gamma+delta)/Gamma(1+delta)
    [Gamma(1+delta+n)/Gamma(gamma+delta+n) - Gamma(1+delta+n+n*)/Gamma(gamma+delta+n+n*)]."""
    al, be, ga, de = _params(params, BB_NAMES)
    p1 = math.exp(
        betaln(al + x + 1, be + n - x) - betaln(al, be) - bb_loglik_customer(params, x, tx, n)
    )
    p3 = de / (ga - 1) * math.exp(gammaln(ga + de) - gammaln(1 + de))
    p4 = math.exp(gammaln(1 + de + n) - gammaln(ga + de + n))
    p5 = math.exp(gammaln(1 + de + n + n_star) - gammaln(ga + de + n + n_star))
    return p1 * p3 * (p4 - p5)


def bb_expected_population(params, n: int) -> float:
    """E[X(n)] (eq. 7): alpha/(alpha+beta) delta/(gamma-1)
    [1 - Gamma(gamma+delta) Gamma(1+delta+n) / (Gamma(gamma+delta+n) Gamma(1+delta))]."""
    al, be, ga, de = _params(params, BB_NAMES)
    g = math.exp(gammaln(ga + de) + gammaln(1 + de + n) - gammaln(ga + de + n) - gammaln(1 + de))
    return al / (al + be) * de / (ga - 1) * (1 - g)


def bb_pmf(params, n: int, n_max: int) -> np.ndarray:
    """P(X(n) = x), x = 0..n_max (eq. 8): C(n, x) B(alpha+x, beta+n-x)/B(alpha, beta)
    B(gamma, delta+n)/B(gamma, delta) + sum_{i=x}^{n-1} C(i, x) B(alpha+x, beta+i-x)/B(alpha, beta)
    B(gamma+1, delta+i)/B(gamma, delta); 0 for x > n."""
    al, be, ga, de = _params(params, BB_NAMES)
    c = betaln(al, be) + betaln(ga, de)

    def ln_choose(m, k):
        return gammaln(m + 1) - gammaln(k + 1) - gammaln(m - k + 1)

    out = np.zeros(n_max + 1)
    for x in range(min(n_max, n) + 1):
        terms = [ln_choose(n, x) + betaln(al + x, be + n - x) + betaln(ga, de + n) - c]
        for i in range(x, n):
            terms.append(ln_choose(i, x) + betaln(al + x, be + i - x) + betaln(ga + 1, de + i) - c)
        out[x] = math.exp(logsumexp(terms))
    return out


def numerical_hessian(f, theta: Sequence[float], rel: float = 1e-3) -> np.ndarray:
    """The Hessian of ``f`` at ``theta`` from central differences of ``f``
    itself, with one Richardson step (steps h and 2h, error of order h^4):
    (4 D(h) - D(2h)) / 3 for each second difference D."""
    theta = np.asarray(theta, dtype=float)
    k = len(theta)

    def second(i: int, j: int, h: np.ndarray) -> float:
        def at(si: int, sj: int) -> float:
            p = theta.copy()
            p[i] += si * h[i]
            p[j] += sj * h[j]
            return f(p)

        if i == j:
            p_up, p_dn = theta.copy(), theta.copy()
            p_up[i] += h[i]
            p_dn[i] -= h[i]
            return (f(p_up) - 2 * f(theta) + f(p_dn)) / h[i] ** 2
        return (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i] * h[j])

    h = rel * np.abs(theta)
    out = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            out[i, j] = out[j, i] = (4 * second(i, j, h) - second(i, j, 2 * h)) / 3
    return out
