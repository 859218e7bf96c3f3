"""Plain, slow, obviously-correct reference of the BTYD model checks (CLV4).

The executable reading of ``custseg.model_checks`` for ``tests/test_model_checks.py``:
loops over customers and rows, the BG/NBD formulas of Fader, Hardie and Lee
(2005) from :mod:`reference_btyd` and scipy, never custseg.

* :func:`bgnbd_pmf`: P(X(t) = x), eq. (8), with ``scipy.special.betaln`` and the
  negative binomial of ``scipy.stats.nbinom`` (its pmf and survival function).
* :func:`period_transactions`, :func:`holdout_by_frequency`,
  :func:`frequency_recency_matrix`, :func:`holdout_accuracy`: the tables as
  lists of dicts, one customer at a time.
* :func:`tracking`: from the transaction rows themselves: exact day totals
  (I6), purchase events (I2), each customer's first event, the cohort with a
  first event on or before the calibration end, repeat events per period.
"""

from __future__ import annotations

import datetime
import math
import os
import sys
from collections.abc import Iterable, Sequence

from scipy.special import betaln
from scipy.stats import nbinom

sys.path.insert(0, os.path.dirname(__file__))

import reference_btyd as rb  # noqa: E402
from reference import money  # noqa: E402

__all__ = [
    "bgnbd_pmf",
    "frequency_recency_matrix",
    "holdout_accuracy",
    "holdout_by_frequency",
    "period_transactions",
    "tracking",
]


def bgnbd_pmf(params: Sequence[float], t: float, x: int) -> float:
    """P(X(t) = x) of BG/NBD (Fader, Hardie & Lee 2005, eq. 8):

    B(a, b+x)/B(a, b) NB(x) + [x > 0] B(a+1, b+x-1)/B(a, b) P(NB >= x),

    NB the negative binomial of r and p = alpha / (alpha + t) (scipy's nbinom(n=r, p))."""
    r, alpha, a, b = params
    if t == 0:
        return 1.0 if x == 0 else 0.0
    p = alpha / (alpha + t)
    first = math.exp(betaln(a, b + x) - betaln(a, b)) * float(nbinom.pmf(x, r, p))
    if x == 0:
        return first
    tail = float(nbinom.sf(x - 1, r, p))  # P(NB > x - 1)
    return first + math.exp(betaln(a + 1, b + x - 1) - betaln(a, b)) * tail


def period_transactions(params, frequency, T, max_frequency: int) -> list[dict]:
    """Customers per repeat purchases, observed and expected (sum of P(X(T_i) = x)),
    the last row the rest; one customer at a time."""
    rows = [{"observed": 0, "expected": 0.0} for _ in range(max_frequency + 1)]
    for x, t in zip(frequency, T, strict=True):
        rows[min(int(x), max_frequency)]["observed"] += 1
        probs = [bgnbd_pmf(params, float(t), k) for k in range(max_frequency)]
        for k, pk in enumerate(probs):
            rows[k]["expected"] += pk
        rows[max_frequency]["expected"] += 1.0 - sum(probs)
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    return [{"frequency": lab, **row} for lab, row in zip(labels, rows, strict=True)]


def _predicted(params, ch) -> list[float]:
    return [
        rb.conditional_expected_purchases(params, float(d), int(x), float(tx), float(t))
        for x, tx, t, d in zip(
            ch["frequency"], ch["recency"], ch["T"], ch["duration_holdout"], strict=True
        )
    ]


def holdout_by_frequency(params, ch, max_frequency: int) -> list[dict]:
    """Per calibration frequency (the last row max+): customers, mean holdout
    purchases, mean E[Y(duration_holdout) | x, tx, T]; groups without customers left out."""
    groups: dict[int, list[tuple[float, float]]] = {}
    for x, got, want in zip(
        ch["frequency"], ch["frequency_holdout"], _predicted(params, ch), strict=True
    ):
        groups.setdefault(min(int(x), max_frequency), []).append((float(got), want))
    out = []
    for k in sorted(groups):
        g = groups[k]
        out.append(
            {
                "frequency": str(k) if k < max_frequency else f"{max_frequency}+",
                "customers": len(g),
                "actual": sum(a for a, _ in g) / len(g),
                "expected": sum(e for _, e in g) / len(g),
            }
        )
    return out


def frequency_recency_matrix(params, T, max_frequency, max_recency, what, t) -> list[dict]:
    """The grid, frequency-major: expected purchases in t, or P(alive), at age T."""
    out = []
    for x in range(max_frequency + 1):
        for tx in range(max_recency + 1):
            if what == "expected":
                v = rb.conditional_expected_purchases(params, t, x, float(tx), T)
            else:
                v = rb.p_alive(params, x, float(tx), T)
            out.append({"frequency": x, "recency": float(tx), "value": v})
    return out


def holdout_accuracy(params, ch) -> list[dict]:
    """MAE, RMSE, bias of the holdout forecast, overall ("all") and per decile:
    decile = 1 + floor(10 * (customers with a strictly higher prediction) / n)."""
    pred = _predicted(params, ch)
    actual = [float(v) for v in ch["frequency_holdout"]]
    n = len(pred)
    decile = [1 + (10 * sum(1 for q in pred if q > p)) // n for p in pred]

    def row(name, idx):
        e = [pred[i] - actual[i] for i in idx]
        m = len(idx)
        return {
            "decile": name,
            "customers": m,
            "predicted": sum(pred[i] for i in idx) / m,
            "actual": sum(actual[i] for i in idx) / m,
            "mae": sum(abs(v) for v in e) / m,
            "rmse": math.sqrt(sum(v * v for v in e) / m),
            "bias": sum(e) / m,
        }

    out = [row("all", list(range(n)))]
    for k in range(1, 11):
        idx = [i for i in range(n) if decile[i] == k]
        if idx:
            out.append(row(str(k), idx))
    return out


def tracking(
    params,
    rows: Iterable[tuple],
    *,
    calibration_end: datetime.date,
    observation_end: datetime.date,
    unit_days: int,
    count_zero_days: bool = False,
) -> list[dict]:
    """Per period of ``unit_days`` days from the first purchase event of the data
    through ``observation_end``: the cohort's (first event <= calibration_end)
    repeat events, and the increase of sum over the cohort of
    E[X((the period's last day - first event day) / unit_days)]."""
    totals: dict = {}
    for customer, day, amount in rows:
        if day <= observation_end:
            totals[(customer, day)] = totals.get((customer, day), 0) + money(amount)
    events: dict = {}
    for (customer, day), total in totals.items():
        if total > 0 or (count_zero_days and total == 0):
            events.setdefault(customer, []).append(day)
    first = {c: min(days) for c, days in events.items()}
    cohort = {c for c, d in first.items() if d <= calibration_end}
    start = min(first[c] for c in cohort)
    n = math.ceil(((observation_end - start).days + 1) / unit_days)
    out = []
    before = 0.0
    cum_actual = 0
    for k in range(n):
        lo = start + datetime.timedelta(days=k * unit_days)
        hi = min(lo + datetime.timedelta(days=unit_days), observation_end + datetime.timedelta(1))
        last = hi - datetime.timedelta(days=1)
        actual = sum(1 for c in cohort for d in events[c] if d != first[c] and lo <= d < hi)
        expected = sum(
            rb.expected_purchases_population(params, (last - first[c]).days / unit_days)
            for c in cohort
            if first[c] <= last
        )
        cum_actual += actual
        out.append(
            {
                "period": k + 1,
                "period_start": lo,
                "holdout": lo > calibration_end,
                "actual": actual,
                "expected": expected - before,
                "actual_cumulative": cum_actual,
                "expected_cumulative": expected,
            }
        )
        before = expected
    return out
