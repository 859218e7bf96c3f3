"""The plots of the BTYD model checks (CLV4) of :mod:`custseg.plot`, one per
table of :mod:`custseg.model_checks`, after the plots of ``lifetimes`` and of
Fader, Hardie and Lee (2005). matplotlib is imported to draw, and its
absence is an ImportError saying how to install it."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from custseg._frames import as_table, meta
from custseg._plot_parts import _axes, _column, _values
from custseg.errors import ConfigError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

UNIT_NAMES = {"W": "weeks", "D": "days"}


def _matplotlib() -> None:
    """matplotlib, or an ImportError that says how to get it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as e:
        raise ImportError(
            "custseg.plot draws with matplotlib, which is not installed: "
            "pip install 'custseg[plot]' (or pip install matplotlib)"
        ) from e


def _labels(table: pa.Table, column: str) -> list[str]:
    return [str(v) for v in _column(table, column).to_pylist()]


def period_transactions(result: Any, *, ax: Axes | None = None) -> Axes:
    """Customers per number of repeat purchases in the calibration period,
    observed (``observed``) against the model (``expected``), as grouped bars:
    the table of :func:`custseg.period_transactions` (lifetimes'
    ``plot_period_transactions``).

    Example:
        >>> import custseg as cs, pandas as pd
        >>> s = pd.DataFrame({"frequency": [0, 1, 3], "recency": [0.0, 4, 9], "T": [10.0] * 3})
        >>> bg = cs.BetaGeo.from_params(r=0.25, alpha=4.0, a=0.8, b=2.5)
        >>> len(cs.plot.period_transactions(cs.period_transactions(bg, s)).patches)
        16
    """
    _matplotlib()
    table = as_table(result)
    names = _labels(table, "frequency")
    observed, expected = _values(table, "observed"), _values(table, "expected")
    ax = _axes(ax, (max(6.0, 1.5 + 0.7 * len(names)), 4.5))
    x = np.arange(len(names))
    ax.bar(x - 0.2, observed, 0.4, label="actual", color="C0")
    ax.bar(x + 0.2, expected, 0.4, label="model", color="C1")
    ax.set_xticks(x, names)
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("customers")
    ax.set_title("Frequency of repeat transactions: actual and model")
    ax.grid(axis="y", alpha=0.3)
    ax.legend()
    return ax


def holdout_by_frequency(result: Any, *, ax: Axes | None = None) -> Axes:
    """Mean purchases in the holdout per calibration frequency, actual and
    predicted, as two lines: the table of :func:`custseg.holdout_by_frequency`
    (lifetimes' ``plot_calibration_purchases_vs_holdout_purchases``).

    Example:
        >>> import custseg as cs, pandas as pd
        >>> t = pd.DataFrame({"frequency": ["0", "1+"], "customers": [5, 2],
        ...                   "actual": [0.2, 1.5], "expected": [0.3, 1.2]})
        >>> len(cs.plot.holdout_by_frequency(t).get_lines())
        2
    """
    _matplotlib()
    table = as_table(result)
    names = _labels(table, "frequency")
    ax = _axes(ax, (max(6.0, 1.5 + 0.7 * len(names)), 4.5))
    x = np.arange(len(names))
    ax.plot(x, _values(table, "actual"), "o-", color="C0", label="actual")
    ax.plot(x, _values(table, "expected"), "s--", color="C1", label="model")
    ax.set_xticks(x, names)
    ax.set_xlabel("purchases in the calibration period")
    ax.set_ylabel("mean purchases in the holdout period")
    ax.set_title("Holdout purchases per calibration frequency: actual and model")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def tracking_cumulative(result: Any, *, ax: Axes | None = None) -> Axes:
    """Cumulative repeat transactions of the cohort per period, actual and
    expected, with a dashed vertical line at the end of the calibration: the
    tracking plot of Fader, Hardie and Lee (2005, figure 3), of the table of
    :func:`custseg.tracking`.

    Example:
        >>> import custseg as cs, pandas as pd
        >>> t = pd.DataFrame({"period": [1, 2, 3], "holdout": [False, False, True],
        ...     "actual_cumulative": [1, 3, 4], "expected_cumulative": [1.2, 2.5, 3.9]})
        >>> len(cs.plot.tracking_cumulative(t).get_lines())
        3
    """
    return _tracking(result, "_cumulative", "Cumulative repeat transactions", ax)


def tracking_incremental(result: Any, *, ax: Axes | None = None) -> Axes:
    """Repeat transactions of the cohort in each period, actual and expected,
    with a dashed vertical line at the end of the calibration (Fader, Hardie
    and Lee 2005, figure 2), of the table of :func:`custseg.tracking`.

    Example:
        >>> import custseg as cs, pandas as pd
        >>> t = pd.DataFrame({"period": [1, 2, 3], "holdout": [False, False, True],
        ...     "actual": [1, 2, 1], "expected": [1.2, 1.3, 1.4]})
        >>> len(cs.plot.tracking_incremental(t).get_lines())
        3
    """
    return _tracking(result, "", "Repeat transactions per period", ax)


def _tracking(result: Any, suffix: str, title: str, ax: Axes | None) -> Axes:
    """Actual and expected ``suffix`` columns against the period, and the line
    at the calibration's end: its day from the table's metadata when it has
    it (in periods from the first period's start), else the start of the
    first holdout period."""
    _matplotlib()
    table = as_table(result)
    period = _values(table, "period")
    unit = meta(result, "custseg.unit")
    ax = _axes(ax, (9.0, 4.5))
    ax.plot(period, _values(table, "actual" + suffix), "-", color="C0", label="actual")
    ax.plot(period, _values(table, "expected" + suffix), "--", color="C1", label="model")
    end = _calibration_end(result, table, unit)
    if end is not None:
        ax.axvline(end, color="0.4", ls=":", lw=1.2, label="end of calibration")
    ax.set_xlabel(f"{UNIT_NAMES.get(unit or '', 'periods')} since the first purchase")
    ax.set_ylabel("repeat transactions")
    ax.set_title(f"{title}: actual and model")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def _calibration_end(result: Any, table: pa.Table, unit: str | None) -> float | None:
    """Where the calibration ends on the period axis (period k ends at k)."""
    day = meta(result, "custseg.calibration_end")
    if day and unit in ("W", "D") and "period_start" in table.column_names:
        start = _column(table, "period_start").cast(pa.date32())[0].as_py()
        step = 7 if unit == "W" else 1
        return ((_dt.date.fromisoformat(day) - start).days + 1) / step
    holdout = np.asarray(_column(table, "holdout").to_pylist(), dtype=bool)
    later = np.flatnonzero(holdout)
    return float(_values(table, "period")[later[0]] - 1) if later.size else None


def frequency_recency_matrix(result: Any, *, ax: Axes | None = None) -> Axes:
    """The table of :func:`custseg.frequency_recency_matrix` as a heatmap:
    frequency (rows, 0 on top) by recency (columns), colored by the value
    (lifetimes' ``plot_frequency_recency_matrix`` and
    ``plot_probability_alive_matrix``).

    Example:
        >>> import custseg as cs
        >>> bg = cs.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> m = cs.frequency_recency_matrix(bg, T=39, max_frequency=5, max_recency=10)
        >>> cs.plot.frequency_recency_matrix(m).get_images()[0].get_array().shape
        (6, 11)
    """
    _matplotlib()
    table = as_table(result)
    freq, rec, value = (_values(table, c) for c in ("frequency", "recency", "value"))
    rows, cols = np.unique(freq), np.unique(rec)
    grid = np.full((len(rows), len(cols)), np.nan)
    ri, ci = np.searchsorted(rows, freq), np.searchsorted(cols, rec)
    if np.unique(ri * len(cols) + ci).size < ri.size:
        raise ConfigError("frequency_recency_matrix: several rows per frequency and recency")
    grid[ri, ci] = value
    what = meta(result, "custseg.what")
    label = {"expected": "expected purchases", "p_alive": "P(alive)"}.get(what or "", "value")
    ax = _axes(ax, (8.0, 6.0))
    image = ax.imshow(grid, cmap="viridis", aspect="auto", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel("recency (time units from the first to the last purchase)")
    ax.set_ylabel("frequency (repeat purchases)")
    ax.set_title(f"{label[0].upper()}{label[1:]} by frequency and recency")
    ax.xaxis.set_major_formatter(_ticks(cols))
    ax.yaxis.set_major_formatter(_ticks(rows))
    return ax


def _ticks(values: np.ndarray) -> Any:
    """Tick labels: the grid's values at the cell indices (integers as such)."""
    from matplotlib.ticker import FuncFormatter

    def label(i: float, _: Any) -> str:
        k = round(i)
        if k != i or not 0 <= k < len(values):
            return ""
        return f"{values[k]:g}"

    return FuncFormatter(label)


def holdout_accuracy(result: Any, *, ax: Axes | None = None) -> Axes:
    """Mean predicted and actual holdout purchases per decile of the
    prediction (decile 1 the highest), as two lines, with the overall MAE,
    RMSE and bias in the title: the table of :func:`custseg.holdout_accuracy`.

    Example:
        >>> import custseg as cs, pandas as pd
        >>> t = pd.DataFrame({"decile": ["all", "1", "2"], "customers": [4, 2, 2],
        ...     "predicted": [1.0, 1.5, 0.5], "actual": [1.0, 2.0, 0.0],
        ...     "mae": [0.5, 0.5, 0.5], "rmse": [0.5] * 3, "bias": [0.0] * 3})
        >>> len(cs.plot.holdout_accuracy(t).get_lines())
        2
    """
    _matplotlib()
    table = as_table(result)
    names = _labels(table, "decile")
    rows = [i for i, n in enumerate(names) if n != "all"]
    if not rows:
        raise ConfigError("holdout_accuracy: no decile rows; compute the table with by_decile=True")
    take = pa.array(rows)
    deciles = np.array([float(names[i]) for i in rows])
    ax = _axes(ax, (7.0, 4.5))
    ax.plot(deciles, _values(table.take(take), "predicted"), "s--", color="C1", label="model")
    ax.plot(deciles, _values(table.take(take), "actual"), "o-", color="C0", label="actual")
    ax.set_xticks(deciles, [names[i] for i in rows])
    ax.set_xlabel("decile of the predicted purchases (1: the highest)")
    ax.set_ylabel("mean purchases in the holdout period")
    overall = names.index("all") if "all" in names else None
    title = "Holdout purchases per decile of the forecast"
    if overall is not None:
        mae, rmse, bias = (float(_values(table, c)[overall]) for c in ("mae", "rmse", "bias"))
        title += f"\nall: MAE {mae:.3g}, RMSE {rmse:.3g}, bias {bias:+.3g}"
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax
