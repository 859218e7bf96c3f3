"""Plots of segmentation results, drawn with matplotlib (imported only when a
function is called, never by ``import custseg``).

Every function takes a result in any family (pandas, polars, Arrow), draws on
``ax`` (a new figure of a readable size when None) and returns that Axes.
Labels keep the order of the rules (CV7, R3, CLV2, CLV3); nothing global
changes (no style, no rcParams).

Example:
    >>> import custseg as cs
    >>> cv = cs.customer_value(cs.datasets.synthetic(customers=500, seed=3), as_of="2026-01-01")
    >>> cs.plot.segments(cv).get_xlabel()
    '% of customers / % of value'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg._frames import as_table, categories
from custseg.errors import ColumnNotFoundError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.image import AxesImage

MAX_POINTS = 20_000
"""Scatter plots draw at most this many customers (a fixed random subsample)."""
LABEL_COLUMNS = ("cv_segment", "rfm_segment", "clv_tier")
"""The label columns :func:`segments` looks for, in this order."""


class ConcentrationLike(Protocol):
    """What ``custseg.concentration`` returns: the concentration curve (cumulative
    share of customers, largest value first, and cumulative share of the value,
    both from 0 to 1), the Gini coefficient and a table with the columns
    ``top_share``, ``customers``, ``value_share``."""

    curve_x: Any
    curve_y: Any
    gini: float
    table: Any


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new figure of ``size`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _require(table: pa.Table, column: str) -> None:
    if column not in table.column_names:
        raise ColumnNotFoundError(
            f"column {column!r} is not in the result (columns: {', '.join(table.column_names)})"
        )


def _codes(table: pa.Table, column: str) -> tuple[np.ndarray, list[str]]:
    """The category codes of a label column (-1 for a null) and its categories,
    in category order (the order of the rules for a custseg label)."""
    _require(table, column)
    codes, cats = categories(table[column])
    filled = pc.fill_null(codes.cast(pa.int64()), -1)
    return np.asarray(filled.to_numpy(zero_copy_only=False)), [str(c) for c in cats.to_pylist()]


def _values(table: pa.Table, column: str) -> np.ndarray:
    """A numeric column as float64 (NaN for a null)."""
    _require(table, column)
    return np.asarray(table[column].cast(pa.float64()).to_numpy(), dtype=float)


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
    t = float(image.norm(v))
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


def segments(
    result: Any, *, by: str | None = None, value: str | None = None, ax: Axes | None = None
) -> Axes:
    """Share of the customers and of the value per segment, as grouped horizontal
    bars in percent, the segments top to bottom in the order of the rules (CV7
    for ``cv_segment``, R3 for ``rfm_segment``, CLV2 for ``clv_tier``); only
    the segments with customers are drawn.

    ``by``: the label column, by default the first present of ``cv_segment``,
    ``rfm_segment``, ``clv_tier``. ``value``: the money column, by default
    ``monetary`` (``rfm_monetary`` for ``rfm_segment`` when present, as in a
    ``segment()`` result; ``clv`` when there is no monetary column).

    Example:
        >>> import custseg as cs
        >>> r = cs.rfm(cs.datasets.synthetic(customers=500, seed=3), as_of="2026-01-01")
        >>> ax = cs.plot.segments(r)
        >>> ax.get_yticklabels()[0].get_text()
        'Champions'
    """
    table = as_table(result)
    names = table.column_names
    if by is None:
        by = next((c for c in LABEL_COLUMNS if c in names), None)
        if by is None:
            raise ColumnNotFoundError(f"no label column: pass by= (one of {LABEL_COLUMNS})")
    value = value or _default_value(by, names)
    codes, cats = _codes(table, by)
    present, customers, shares = _shares(codes, len(cats), _values(table, value))
    ax = _axes(ax, (8.0, 1.6 + 0.45 * max(len(present), 2)))
    y = np.arange(len(present))
    ax.barh(y - 0.2, customers, 0.4, label="% of customers", color="C0")
    ax.barh(y + 0.2, shares, 0.4, label=f"% of {value}", color="C1")
    ax.set_yticks(y, [cats[i] for i in present])
    ax.invert_yaxis()
    _percent_axis(ax.xaxis)
    ax.set_xlabel("% of customers / % of value")
    ax.set_ylabel(by)
    ax.set_title(f"{by}: share of customers and of {value}")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right")
    return ax
