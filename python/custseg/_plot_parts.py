"""The drawing helpers of :mod:`custseg.plot`: axes, label codes, shares, the
quadrant scatter. matplotlib is only imported by the functions that draw."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg._frames import as_table, categories
from custseg.errors import ColumnNotFoundError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.image import AxesImage

MAX_POINTS = 20_000  # scatter plots draw at most this many customers (a fixed subsample)


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new figure of ``size`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _column(table: pa.Table, column: str) -> pa.ChunkedArray:
    """A column of the result; a missing one is a ColumnNotFoundError (I4)."""
    if column not in table.column_names:
        raise ColumnNotFoundError(
            f"column {column!r} is not in the result (columns: {', '.join(table.column_names)})"
        )
    return table[column]


def _codes(table: pa.Table, column: str) -> tuple[np.ndarray, list[str]]:
    """The category codes of a label column (-1 for a null) and its categories,
    in category order (the order of the rules for a custseg label)."""
    codes, cats = categories(_column(table, column))
    filled = pc.fill_null(codes.cast(pa.int64()), -1)
    return np.asarray(filled.to_numpy(zero_copy_only=False)), [str(c) for c in cats.to_pylist()]


def _values(table: pa.Table, column: str) -> np.ndarray:
    """A numeric column as float64 (NaN for a null)."""
    return np.asarray(_column(table, column).cast(pa.float64()).to_numpy(), dtype=float)


def _shares(
    codes: np.ndarray, n: int, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The categories present (codes), their share of the customers and of the
    sum of ``weights``, in percent."""
    ok = codes >= 0
    counts = np.bincount(codes[ok], minlength=n)
    sums = np.bincount(codes[ok], weights=weights[ok], minlength=n)
    present = np.flatnonzero(counts)
    customers = 100.0 * counts[present] / max(int(counts.sum()), 1)
    total = float(sums.sum())
    value = 100.0 * sums[present] / total if total else np.zeros(len(present))
    return present, customers, value


def _ink(image: AxesImage, v: float, diverging: bool = False) -> str:
    """A text color readable on the cell color of ``v``."""
    t = float(np.asarray(image.norm(np.array([v])))[0])
    if diverging:
        return "white" if abs(t - 0.5) > 0.3 else "black"
    return "black" if t > 0.55 else "white"


def _default_value(by: str, names: list[str]) -> str:
    """The money column of :func:`segments`: the RFM sum for RFM segments of a
    ``segment()`` result, else ``monetary``, else the RFM sum, else ``clv``."""
    order = ("rfm_monetary", "monetary") if by == "rfm_segment" else ("monetary", "rfm_monetary")
    return next((c for c in order if c in names), "clv")


def _percent_axis(axis: Any, xmax: float = 100.0) -> None:
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(xmax))


def _quadrants(
    result: Any,
    x_col: str,
    label_col: str,
    ax: Axes | None,
    xlabel: str,
    title: str,
    thresholds: tuple[float | None, float | None],
) -> Axes:
    """Scatter of ``x_col`` against ``clv`` colored by the quadrant labels, at
    most MAX_POINTS customers (numpy default_rng(0)), dashed lines at the
    thresholds (clv, x): the medians unless given."""
    table = as_table(result)
    x, y = _values(table, x_col), _values(table, "clv")
    codes, cats = _codes(table, label_col)
    keep = np.arange(len(y))
    if len(keep) > MAX_POINTS:
        keep = np.sort(np.random.default_rng(0).choice(len(keep), MAX_POINTS, replace=False))
    ax = _axes(ax, (8.0, 6.0))
    spread = np.abs(y[np.isfinite(y) & (y != 0)])
    if spread.size and spread.max() > 100 * spread.min():  # before drawing: autoscale in symlog
        ax.set_yscale("symlog", linthresh=float(min(1.0, spread.min())))
    for k, name in enumerate(cats):
        sel = keep[codes[keep] == k]
        if sel.size:
            ax.scatter(x[sel], y[sel], s=10, alpha=0.6, color=f"C{k}", label=name, linewidths=0)
    value_t, x_t = thresholds
    if len(y):
        ax.axhline(float(np.nanmedian(y)) if value_t is None else value_t, c="0.3", ls="--", lw=1)
        ax.axvline(float(np.nanmedian(x)) if x_t is None else x_t, c="0.3", ls="--", lw=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("CLV (currency units)")
    given = "medians" if thresholds == (None, None) else "thresholds"
    ax.set_title(f"{title}; dashed lines: {given}")
    ax.legend(title=label_col, markerscale=1.5, fontsize=9)
    return ax
