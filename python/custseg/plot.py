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

MAX_POINTS = 20_000  # scatter plots draw at most this many customers (a fixed subsample)
LABEL_COLUMNS = ("cv_segment", "rfm_segment", "clv_tier")  # segments(by=None) takes the first


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


def rfm_heatmap(result: Any, *, ax: Axes | None = None) -> Axes:
    """The RFM grid: recency score (rows, B on top) by frequency score (columns)
    (R2), each cell colored by the mean monetary value of its customers (R1:
    ``rfm_monetary`` when present, else ``monetary``) and labelled with their
    count; cells without customers are blank (NaN). B is the highest score
    present (5 for an empty result).

    Example:
        >>> import custseg as cs
        >>> r = cs.rfm(cs.datasets.synthetic(customers=500, seed=3), as_of="2026-01-01")
        >>> cs.plot.rfm_heatmap(r).get_images()[0].get_array().shape
        (5, 5)
    """
    table = as_table(result)
    money = _values(table, "rfm_monetary" if "rfm_monetary" in table.column_names else "monetary")
    r, f = _values(table, "r_score"), _values(table, "f_score")
    scores = np.concatenate(
        [r, f, _values(table, "m_score") if "m_score" in table.column_names else f]
    )
    bins = int(np.max(scores[np.isfinite(scores)], initial=0)) or 5
    ok = (r >= 1) & (f >= 1)
    flat = (bins - r[ok]).astype(np.int64) * bins + (f[ok] - 1).astype(np.int64)
    counts = np.bincount(flat, minlength=bins * bins).reshape(bins, bins)
    sums = np.bincount(flat, weights=money[ok], minlength=bins * bins).reshape(bins, bins)
    mean = np.divide(sums, counts, out=np.full(sums.shape, np.nan), where=counts > 0)
    ax = _axes(ax, (7.0, 6.0))
    image = ax.imshow(mean, cmap="viridis", aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="mean monetary")
    for (i, j), n in np.ndenumerate(counts):
        if n:
            color = _ink(image, mean[i, j])
            ax.text(j, i, f"{n:,}", ha="center", va="center", color=color, fontsize=9)
    ax.set_xticks(range(bins), [str(k) for k in range(1, bins + 1)])
    ax.set_yticks(range(bins), [str(k) for k in range(bins, 0, -1)])
    ax.set_xlabel("frequency score F (higher: more purchases)")
    ax.set_ylabel("recency score R (higher: more recent)")
    ax.set_title("RFM: mean monetary per R and F score (text: customers)")
    return ax


def _quadrants(
    result: Any, x_col: str, label_col: str, ax: Axes | None, xlabel: str, title: str
) -> Axes:
    """Scatter of ``x_col`` against ``clv`` colored by the quadrant labels, at
    most MAX_POINTS customers (numpy default_rng(0)), dashed median lines."""
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
    if len(y):
        ax.axhline(float(np.nanmedian(y)), color="0.3", ls="--", lw=1)
        ax.axvline(float(np.nanmedian(x)), color="0.3", ls="--", lw=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("CLV (currency units)")
    ax.set_title(f"{title}; dashed lines: medians")
    ax.legend(title=label_col, markerscale=1.5, fontsize=9)
    return ax


def value_loyalty(result: Any, *, ax: Axes | None = None) -> Axes:
    """The value/loyalty quadrants of a ``clv`` result (CLV3): loyalty (x, the
    share of periods with a purchase) against clv (y, CLV1; symlog when it
    spans more than two decades), colored by ``value_loyalty`` in category
    order, dashed lines at the median clv and loyalty (the default thresholds).
    At most 20,000 customers are drawn (a fixed subsample).

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=500, seed=3)
        >>> ax = cs.plot.value_loyalty(cs.clv(tx, as_of="2026-01-01", lifetime_years=3))
        >>> ax.get_legend().get_texts()[0].get_text()
        'high value / high loyalty'
    """
    axis = "loyalty (% of periods with a purchase)"
    ax = _quadrants(result, "loyalty", "value_loyalty", ax, axis, "Value and loyalty (CLV3)")
    _percent_axis(ax.xaxis, 1.0)
    return ax


def clv_tiers(result: Any, *, ax: Axes | None = None) -> Axes:
    """Share of the customers and of the total clv per ``clv_tier`` (CLV2: high,
    medium, low, left to right; only the tiers with customers), in percent,
    each bar labelled with its percentage.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=500, seed=3)
        >>> ax = cs.plot.clv_tiers(cs.clv(tx, as_of="2026-01-01", lifetime_years=3))
        >>> [t.get_text() for t in ax.get_xticklabels()]
        ['high', 'medium', 'low']
    """
    table = as_table(result)
    codes, cats = _codes(table, "clv_tier")
    present, customers, shares = _shares(codes, len(cats), _values(table, "clv"))
    ax = _axes(ax, (7.0, 5.0))
    x = np.arange(len(present))
    for offset, heights, label in ((-0.2, customers, "% of customers"), (0.2, shares, "% of CLV")):
        bars = ax.bar(x + offset, heights, 0.4, label=label)
        ax.bar_label(bars, labels=[f"{h:.0f}%" for h in heights], padding=2)
    ax.set_xticks(x, [cats[i] for i in present])
    ax.set_ylim(min(0.0, *shares) * 1.15, max([*customers, *shares, 1.0]) * 1.15)
    _percent_axis(ax.yaxis)
    ax.set_xlabel("CLV tier (CLV2)")
    ax.set_ylabel("% of customers / % of total CLV")
    ax.set_title("CLV tiers: share of customers and of total CLV")
    ax.legend()
    return ax


def concentration(
    data: ConcentrationLike | Any, *, value: str = "monetary", ax: Axes | None = None
) -> Axes:
    """The concentration curve: the top x% of the customers (largest ``value``
    first) bring y% of the value, with the diagonal of equal shares (dashed),
    the point at 20% of the customers marked and the Gini coefficient in the
    title. ``data`` is what ``custseg.concentration`` returns (see
    :class:`ConcentrationLike`) or a result with a ``value`` column, passed to
    ``custseg.concentration(data, value=value)``.

    Example:
        >>> import types, numpy as np, custseg as cs
        >>> c = types.SimpleNamespace(curve_x=np.array([0, 0.2, 1]),
        ...     curve_y=np.array([0, 0.6, 1]), gini=0.4, table=None)
        >>> cs.plot.concentration(c).get_title()
        'Concentration of revenue: Gini 0.40'
    """
    if not (hasattr(data, "curve_x") and hasattr(data, "curve_y")):
        import custseg

        data = custseg.concentration(data, value=value)
    x = 100.0 * np.asarray(data.curve_x, dtype=float)
    y = 100.0 * np.asarray(data.curve_y, dtype=float)
    y20 = float(np.interp(20.0, x, y))
    what = "revenue" if value == "monetary" else value
    ax = _axes(ax, (6.5, 6.0))
    ax.plot(x, y, color="C0", lw=2, label="customers, largest value first")
    ax.plot([0, 100], [0, 100], color="0.5", ls="--", lw=1, label="equal shares")
    ax.plot([20, 20, 0], [0, y20, y20], color="C3", ls=":", lw=1)
    ax.plot([20], [y20], "o", color="C3")
    ax.annotate(
        f"top 20% bring {y20:.0f}% of {what}",
        (20, y20),
        xytext=(12, -24),
        textcoords="offset points",
        arrowprops={"arrowstyle": "-", "color": "C3"},
    )
    ax.set(xlim=(0, 100), ylim=(0, 100), xlabel="% of customers (largest value first)")
    ax.set(ylabel=f"% of {what}", title=f"Concentration of {what}: Gini {float(data.gini):.2f}")
    _percent_axis(ax.xaxis)
    _percent_axis(ax.yaxis)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return ax


def profile(
    table: Any, *, segment: str | None = None, by: str | None = None, ax: Axes | None = None
) -> Axes:
    """A ``custseg.profile`` table as a heatmap: segments (rows, in the order of
    the rules, CV7 / R3 / CLV2-CLV3) by the values of ``by`` (columns, in
    category order, else sorted), colored by ``index`` on a diverging scale
    centered at 100 (the average), each cell labelled with its index. Only
    segments and values with customers are drawn; a cell without customers
    is blank (NaN). ``segment``: the first column by default; ``by``: the second.

    Example:
        >>> import pandas as pd, custseg as cs
        >>> t = pd.DataFrame({"cv_segment": pd.Categorical(["GOLD", "GOLD"]),
        ...     "category": ["a", "b"], "customers": [3, 2], "revenue": [10.0, 5.0],
        ...     "revenue_share": [0.6, 0.4], "index": [120.0, 80.0]})
        >>> cs.plot.profile(t).get_images()[0].get_array().shape
        (1, 2)
    """
    t = as_table(table)
    segment = segment or t.column_names[0]
    by = by or t.column_names[1]
    s_codes, s_cats = _codes(t, segment)
    b_codes, b_cats = _codes(t, by)
    index = _values(t, "index")
    ok = (s_codes >= 0) & (b_codes >= 0)
    if "customers" in t.column_names:
        ok &= _values(t, "customers") > 0
    rows, cols = np.unique(s_codes[ok]), np.unique(b_codes[ok])
    ri, ci = np.searchsorted(rows, s_codes[ok]), np.searchsorted(cols, b_codes[ok])
    if np.unique(ri * len(cols) + ci).size < ri.size:
        raise ValueError(f"profile: several rows per {segment} and {by}; pick one by= column")
    grid = np.full((len(rows), len(cols)), np.nan)
    grid[ri, ci] = index[ok]
    from matplotlib.colors import TwoSlopeNorm

    finite = grid[np.isfinite(grid)]
    low = min(float(finite.min()), 99.0) if finite.size else 99.0
    high = max(float(finite.max()), 101.0) if finite.size else 101.0
    ax = _axes(ax, (max(6.0, 2.5 + 0.9 * len(cols)), max(4.0, 1.5 + 0.45 * len(rows))))
    norm = TwoSlopeNorm(vcenter=100.0, vmin=low, vmax=high)
    image = ax.imshow(grid, cmap="RdBu_r", norm=norm, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="index (100 = average)")
    for (i, j), v in np.ndenumerate(grid):
        if np.isfinite(v):
            color = _ink(image, v, diverging=True)
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", color=color, fontsize=9)
    names = [b_cats[c] for c in cols]
    turn = max(map(len, names), default=0) > 8
    ax.set_xticks(
        range(len(cols)), names, rotation=30 if turn else 0, ha="right" if turn else "center"
    )
    ax.set_yticks(range(len(rows)), [s_cats[c] for c in rows])
    ax.set_xlabel(by)
    ax.set_ylabel(segment)
    ax.set_title(f"Revenue index of {by} per {segment} (100 = average)")
    return ax


def clv_tenure(result: Any, *, ax: Axes | None = None) -> Axes:
    """Tenure (x, years since the first purchase, CLV1) against clv (y; symlog
    when it spans more than two decades), colored by ``tenure_quadrant`` (high
    value / long tenure, high value / short tenure, low value / long tenure,
    low value / short tenure; CLV3a, thresholds at the medians by default),
    dashed lines at the median clv and tenure. At most 20,000 customers are drawn.

    Example:
        >>> import custseg as cs
        >>> v = cs.clv(cs.datasets.synthetic(customers=500, seed=3), as_of="2026-01-01",
        ...     lifetime_years=3)
        >>> "tenure_quadrant" not in v.column_names or bool(cs.plot.clv_tenure(v).get_legend())
        True
    """
    axis = "tenure (years since the first purchase)"
    return _quadrants(result, "tenure_years", "tenure_quadrant", ax, axis, "CLV and tenure")
