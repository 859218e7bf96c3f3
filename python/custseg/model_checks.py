"""Model checks of the BTYD count models (rule CLV4): the tables analysts
look at before they trust a forecast, each in the family of the table it is
given (pandas in, pandas out; polars in, polars out; Arrow otherwise), each
drawn by a function of the same name in :mod:`custseg.plot`.

- :func:`period_transactions`: customers per number of repeat purchases in
  the calibration period, observed against the model's distribution;
- :func:`holdout_by_frequency`: mean holdout purchases per calibration
  frequency, actual against the conditional expectation;
- :func:`tracking`: repeat transactions per week of a cohort, actual against
  expected, through calibration and holdout;
- :func:`frequency_recency_matrix`: expected purchases or P(alive) on a grid
  of frequency and recency;
- :func:`holdout_accuracy`: the error of the per-customer holdout forecast,
  overall and by decile of the forecast.

They work with every count model of custseg (``BetaGeo``, ``ParetoNBD``,
``ModifiedBetaGeo``): they call only ``probability_of_purchases``,
``conditional_expected_purchases``, ``p_alive`` and
``expected_purchases_population``. The calibration/holdout table has the
columns of :func:`custseg.calibration_holdout`: the summary columns the model
was fitted with, ``frequency_holdout`` and ``duration_holdout``.

Every sum is exactly rounded (``math.fsum``) over rows grouped in a fixed
order, so the tables do not depend on the order of the rows (I5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from custseg._frames import Family, as_table, family_of, to_family, with_meta
from custseg._input import number_column, summary_frame
from custseg._model_tracking import check_model, tracking
from custseg.errors import ConfigError, InvalidValueError, NullValueError

__all__ = [
    "frequency_recency_matrix",
    "holdout_accuracy",
    "holdout_by_frequency",
    "period_transactions",
    "tracking",
]

WHAT_KEY = "custseg.what"
"""The key of what a frequency/recency matrix holds (Arrow metadata, pandas attrs)."""


def period_transactions(model: Any, s: Any, *, max_frequency: int = 7) -> Any:
    """Customers per number of repeat purchases in the calibration period,
    observed against expected (the check of lifetimes'
    ``plot_period_transactions``; Fader, Hardie and Lee 2005, figure 1).

    A model fitted with a weights column (:class:`custseg.BetaGeoBetaBinom`)
    counts each row of ``s`` as that many customers.

    ``expected`` for x purchases is the sum over the customers of
    P(X(T_i) = x), the model's probability of x repeat purchases in the
    customer's own T (``model.probability_of_purchases``, evaluated once per
    distinct T); the last row is the tail, 1 - the others per customer, so
    that ``expected`` adds up to the number of customers.

    Args:
        model: a fitted count model (its column names are the summary's).
        s: the summary the model was fitted on (or any summary).
        max_frequency: the first count grouped in the tail row, >= 1.

    Returns:
        ``frequency`` (text: ``"0"``, ..., ``"6"``, ``"7+"``), ``observed``
        (customers), ``expected``, in the family of ``s``.

    Example:
        >>> import custseg as cs, pandas as pd
        >>> s = pd.DataFrame({"frequency": [0, 0, 1, 3], "recency": [0.0, 0, 4, 9],
        ...                   "T": [10.0, 10, 10, 10]})
        >>> bg = cs.BetaGeo.from_params(r=0.25, alpha=4.0, a=0.8, b=2.5)
        >>> t = cs.period_transactions(bg, s, max_frequency=2)
        >>> t["frequency"].tolist(), t["observed"].tolist()
        (['0', '1', '2+'], [2, 1, 1])
        >>> round(float(t["expected"].sum()), 12)
        4.0
    """
    check_model(model, "probability_of_purchases", "p_alive")
    top = _whole(max_frequency, "max_frequency", 1)
    frame = summary_frame(s)
    model.p_alive(frame)  # the rows checked as the model checks them (CLV4)
    fcol, _, tcol = _names(model)
    x = _values(frame, fcol, "frequency")
    t = _values(frame, tcol, "T")
    group = np.minimum(x, top).astype(np.int64)
    # A summary with a weights column (BG/BB's patterns: customers per row) counts each
    # row that many times, as the model's fit did.
    w_name = getattr(model, "_weights", None)
    w = np.ones(len(x)) if w_name is None else _values(frame, w_name, "weights")
    observed = np.rint(np.bincount(group, weights=w, minlength=top + 1)).astype(np.int64)
    ages, where = np.unique(t, return_inverse=True)
    counts = np.bincount(where, weights=w)
    terms = np.zeros((len(ages), top + 1))
    for i, (age, n) in enumerate(zip(ages.tolist(), counts.tolist(), strict=True)):
        p = np.asarray(model.probability_of_purchases(age, top - 1), dtype=float)
        terms[i, :top] = n * p
        terms[i, top] = n * max(1.0 - math.fsum(p.tolist()), 0.0)
    expected = [math.fsum(terms[:, k].tolist()) for k in range(top + 1)]
    table = pa.table(
        {
            "frequency": _labels(top),
            "observed": pa.array(observed, pa.int64()),
            "expected": pa.array(expected, pa.float64()),
        }
    )
    return to_family(table, family_of(frame))


def holdout_by_frequency(
    model: Any,
    ch: Any,
    *,
    max_frequency: int = 7,
    frequency_holdout: str = "frequency_holdout",
    duration_holdout: str = "duration_holdout",
) -> Any:
    """Mean holdout purchases per calibration frequency, actual against the
    model's conditional expectation over the holdout (the check of lifetimes'
    ``plot_calibration_purchases_vs_holdout_purchases``; Fader, Hardie and
    Lee 2005, figure 4).

    Args:
        model: a fitted count model (fitted on the calibration columns).
        ch: a calibration/holdout table (:func:`custseg.calibration_holdout`).
        max_frequency: the first calibration frequency grouped in the last row.
        frequency_holdout, duration_holdout: the holdout columns' names.

    Returns:
        One row per calibration frequency 0 .. ``max_frequency - 1`` and
        ``"max_frequency+"`` that has customers: ``frequency`` (text),
        ``customers``, ``actual`` (mean ``frequency_holdout``), ``expected``
        (mean E[Y(duration_holdout) | frequency, recency, T]), in the family
        of ``ch``.
    """
    frame, x, actual, predicted = _holdout(model, ch, frequency_holdout, duration_holdout)
    top = _whole(max_frequency, "max_frequency", 1)
    group = np.minimum(x, top).astype(np.int64)
    keys, sums = _group_sums(group, [actual, predicted])
    n = sums[0]
    table = pa.table(
        {
            "frequency": _labels(top).take(pa.array(keys)),
            "customers": pa.array(n, pa.int64()),
            "actual": pa.array(sums[1] / n),
            "expected": pa.array(sums[2] / n),
        }
    )
    return to_family(table, family_of(frame))


def frequency_recency_matrix(
    model: Any,
    *,
    T: float,
    max_frequency: int | None = None,
    max_recency: int | None = None,
    what: str = "expected",
    t: float = 1,
    output: Family = "arrow",
) -> Any:
    """Expected purchases in the next ``t`` time units (``what="expected"``)
    or P(alive) (``what="p_alive"``) of a customer of age ``T`` for every
    frequency 0..``max_frequency`` and recency 0..``max_recency`` (whole
    units): the matrices of lifetimes' ``plot_frequency_recency_matrix`` and
    ``plot_probability_alive_matrix`` as a tidy table.

    Args:
        T: the customers' age (time units since the first purchase).
        max_frequency: the largest frequency of the grid (default: T rounded
            down, at least 1: one purchase per unit).
        max_recency: the largest recency, at most T (default: T rounded down).
        what: ``"expected"`` or ``"p_alive"``.
        t: the horizon of ``what="expected"``.
        output: the family of the result: ``"arrow"``, ``"pandas"`` or ``"polars"``.

    Returns:
        ``frequency`` (int64), ``recency`` (float64), ``value`` (float64),
        frequency-major; ``what`` is kept under ``"custseg.what"`` in the
        Arrow schema metadata or pandas ``attrs``.

    Example:
        >>> import custseg as cs
        >>> bg = cs.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> m = cs.frequency_recency_matrix(bg, T=39, max_frequency=2, max_recency=3,
        ...                                 what="p_alive")
        >>> m.num_rows, round(m["value"][-1].as_py(), 3)
        (12, 0.076)
    """
    check_model(model, "conditional_expected_purchases", "p_alive")
    if what not in ("expected", "p_alive"):
        raise ConfigError(f'what must be "expected" or "p_alive", got {what!r} (CLV4)')
    if output not in ("arrow", "pandas", "polars"):
        raise ConfigError(f'output must be "arrow", "pandas" or "polars", got {output!r}')
    age = _number(T, "T")
    top_f = _whole(max(int(age), 1) if max_frequency is None else max_frequency, "max_frequency")
    top_r = _whole(int(age) if max_recency is None else max_recency, "max_recency")
    if top_r > age:
        raise ConfigError(f"max_recency ({top_r}) must be at most T ({age}): recency <= T (CLV4)")
    x = np.repeat(np.arange(top_f + 1, dtype=np.float64), top_r + 1)
    tx = np.tile(np.arange(top_r + 1, dtype=np.float64), top_f + 1)
    fcol, rcol, tcol = _names(model)
    grid = pa.table({fcol: x, rcol: tx, tcol: np.full(len(x), age)})
    if what == "expected":
        value = model.conditional_expected_purchases(_number(t, "t"), grid)
    else:
        value = model.p_alive(grid)
    table = pa.table(
        {"frequency": pa.array(x.astype(np.int64)), "recency": tx, "value": _floats(value)}
    )
    return with_meta(to_family(table, output), WHAT_KEY, what)


def holdout_accuracy(
    model: Any,
    ch: Any,
    *,
    by_decile: bool = True,
    frequency_holdout: str = "frequency_holdout",
    duration_holdout: str = "duration_holdout",
) -> Any:
    """The error of the per-customer holdout forecast: predicted =
    E[Y(duration_holdout) | frequency, recency, T], actual = ``frequency_holdout``.

    Deciles of the predicted purchases, decile 1 the highest, counted as in
    CV6: decile = 1 + floor(10 r), r = (customers with a strictly higher
    prediction) / customers; ties share a decile, so a decile may be empty
    (and left out).

    Returns:
        ``decile`` (text: ``"all"``, then ``"1"`` .. ``"10"`` with
        ``by_decile``), ``customers``, ``predicted`` and ``actual`` (means),
        ``mae`` (mean absolute error), ``rmse`` (root mean squared error),
        ``bias`` (mean predicted - actual), in the family of ``ch``.
    """
    frame, _, actual, predicted = _holdout(model, ch, frequency_holdout, duration_holdout)
    n = len(actual)
    if n == 0:
        raise ConfigError("the calibration/holdout table has no rows: nothing to measure (CLV4)")
    err = predicted - actual
    values = [predicted, actual, np.abs(err), err * err, err]
    group = np.zeros(n, dtype=np.int64)
    if by_decile:
        ordered = np.sort(predicted)
        higher = n - np.searchsorted(ordered, predicted, side="right")
        group = 1 + (10 * higher) // n
    keys, sums = _group_sums(group, values)
    total = [np.array([math.fsum(v.tolist())]) for v in values]
    if by_decile:
        keys = np.concatenate([[0], keys])
        sums = [np.concatenate([[float(n)], sums[0]])] + [
            np.concatenate([tot, s]) for tot, s in zip(total, sums[1:], strict=True)
        ]
    else:
        sums = [np.array([float(n)])] + total
    count = sums[0]
    table = pa.table(
        {
            "decile": pa.array(["all" if k == 0 else str(k) for k in keys.tolist()]),
            "customers": pa.array(count, pa.int64()),
            "predicted": pa.array(sums[1] / count),
            "actual": pa.array(sums[2] / count),
            "mae": pa.array(sums[3] / count),
            "rmse": pa.array(np.sqrt(sums[4] / count)),
            "bias": pa.array(sums[5] / count),
        }
    )
    return to_family(table, family_of(frame))


# ------------------------------------------------------------------ helpers


def _names(model: Any) -> tuple[str, str, str]:
    """The summary column names the model reads: frequency, recency, T."""
    cols = tuple(getattr(model, "_columns", ("frequency", "recency", "T")))
    return cols[0], cols[1], cols[2]


def _labels(top: int) -> pa.Array:
    """The frequency labels "0" .. "top-1" and "top+"."""
    return pa.array([str(k) for k in range(top)] + [f"{top}+"], pa.string())


def _whole(value: Any, what: str, least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ConfigError(f"{what} must be a whole number >= {least}, got {value!r} (CLV4)")
    return int(value)


def _number(value: Any, what: str) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{what} must be a finite number >= 0, got {value!r} (CLV4)")
    return float(value)


def _floats(values: Any) -> np.ndarray:
    """A prediction of any family as a float64 numpy array."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


def _values(frame: Any, name: str, role: str) -> np.ndarray:
    """A summary column as float64 (its values checked by the model)."""
    return _floats(number_column(frame, name, role, "the summary", "CLV4"))


def _holdout_column(frame: Any, name: str, counts: bool) -> np.ndarray:
    """``frequency_holdout`` (whole numbers >= 0) or ``duration_holdout``
    (finite >= 0): the values, or an error naming the column and row."""
    arr = number_column(frame, name, name, "the calibration/holdout table", "CLV4")
    if arr.null_count:
        row = int(np.flatnonzero(np.asarray(arr.is_null()))[0])
        raise NullValueError(f"column '{name}' is null at row {row} (rule CLV4)")
    v = _floats(arr)
    bad = ~np.isfinite(v) | (v < 0) | ((v != np.floor(v)) if counts else False)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        need = "a whole number of purchases >= 0" if counts else "a finite duration >= 0"
        raise InvalidValueError(
            f"column '{name}' is {v[row]} at row {row}; it must be {need} (rule CLV4)"
        )
    return v


def _holdout(
    model: Any, ch: Any, holdout: str, duration: str
) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """The frame, calibration frequency, actual and predicted holdout purchases."""
    check_model(model, "conditional_expected_purchases")
    frame = summary_frame(ch)
    actual = _holdout_column(frame, holdout, counts=True)
    span = _holdout_column(frame, duration, counts=False)
    table = as_table(frame)
    predicted = np.zeros(len(actual))
    for d in np.unique(span).tolist():  # one duration for a calibration_holdout table
        rows = np.flatnonzero(span == d)
        part = table if len(rows) == len(span) else table.take(pa.array(rows))
        predicted[rows] = _floats(model.conditional_expected_purchases(d, part))
    x = _values(frame, _names(model)[0], "frequency")
    return frame, x, actual, predicted


def _group_sums(
    group: np.ndarray, values: Sequence[np.ndarray]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The groups present (ascending) and, per group, the count and the
    exactly rounded sums of each of ``values`` (independent of the row order)."""
    order = np.argsort(group, kind="stable")
    keys, first = np.unique(group[order], return_index=True)
    bounds = [*first.tolist(), len(group)]
    count = np.diff(bounds).astype(np.float64)
    sums = [count]
    for v in values:
        sv = v[order]
        sums.append(
            np.array(
                [math.fsum(sv[a:b].tolist()) for a, b in zip(bounds, bounds[1:], strict=False)]
            )
        )
    return keys, sums
