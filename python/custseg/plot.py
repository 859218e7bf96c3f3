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

from custseg._frames import as_table
from custseg._plot_btyd import frequency_recency_matrix as frequency_recency_matrix
from custseg._plot_btyd import holdout_accuracy as holdout_accuracy
from custseg._plot_btyd import holdout_by_frequency as holdout_by_frequency
from custseg._plot_btyd import period_transactions as period_transactions
from custseg._plot_btyd import tracking_cumulative as tracking_cumulative
from custseg._plot_btyd import tracking_incremental as tracking_incremental
from custseg._plot_history import cohort_triangle as cohort_triangle
from custseg._plot_history import migration_heatmap as migration_heatmap
from custseg._plot_history import segments_over_time as segments_over_time
from custseg._plot_parts import (
    _axes,
    _codes,
    _default_value,
    _ink,
    _percent_axis,
    _quadrants,
    _shares,
    _values,
)
from custseg.errors import ColumnNotFoundError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

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
    ax.legend(loc="best")
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


def value_loyalty(
    result: Any,
    *,
    value_threshold: float | None = None,
    loyalty_threshold: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The value/loyalty quadrants of a ``clv`` result (CLV3): loyalty (x, the
    share of periods with a purchase) against clv (y, CLV1; symlog when it
    spans more than two decades), colored by ``value_loyalty`` in category
    order, dashed lines at the thresholds: the medians (the defaults of
    ``clv``) unless the ones passed to ``clv`` are given here too.
    At most 20,000 customers are drawn (a fixed subsample).

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=500, seed=3)
        >>> ax = cs.plot.value_loyalty(cs.clv(tx, as_of="2026-01-01", lifetime_years=3))
        >>> ax.get_legend().get_texts()[0].get_text()
        'high value / high loyalty'
    """
    axis = "loyalty (% of periods with a purchase)"
    ax = _quadrants(
        result,
        "loyalty",
        "value_loyalty",
        ax,
        axis,
        "Value and loyalty (CLV3)",
        (value_threshold, loyalty_threshold),
    )
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
    data: ConcentrationLike | Any, *, value: str | None = None, ax: Axes | None = None
) -> Axes:
    """The concentration curve: the top x% of the customers (largest ``value``
    first) bring y% of the value, with the diagonal of equal shares (dashed),
    the point at 20% of the customers marked and the Gini coefficient in the
    title. ``data`` is what ``custseg.concentration`` returns (see
    :class:`ConcentrationLike`; its ``value`` names the axes unless ``value``
    is given) or a result with a ``value`` column (default ``monetary``),
    passed to ``custseg.concentration(data, value=value)``.

    Example:
        >>> import types, numpy as np, custseg as cs
        >>> c = types.SimpleNamespace(curve_x=np.array([0, 0.2, 1]),
        ...     curve_y=np.array([0, 0.6, 1]), gini=0.4, table=None)
        >>> cs.plot.concentration(c).get_title()
        'Concentration of revenue: Gini 0.40'
    """
    if not (hasattr(data, "curve_x") and hasattr(data, "curve_y")):
        import custseg

        data = custseg.concentration(data, value=value or "monetary")
    value = value or getattr(data, "value", None) or "monetary"
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


def clv_tenure(
    result: Any,
    *,
    value_threshold: float | None = None,
    tenure_threshold: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Tenure (x, years since the first purchase, CLV1) against clv (y; symlog
    when it spans more than two decades), colored by ``tenure_quadrant`` (high
    value / long tenure, high value / short tenure, low value / long tenure,
    low value / short tenure; CLV3a), dashed lines at the thresholds (the
    medians unless given, as for ``clv``). At most 20,000 customers are drawn.

    Example:
        >>> import custseg as cs
        >>> v = cs.clv(cs.datasets.synthetic(customers=500, seed=3), as_of="2026-01-01",
        ...     lifetime_years=3)
        >>> cs.plot.clv_tenure(v).get_legend().get_title().get_text()
        'tenure_quadrant'
    """
    axis = "tenure (years since the first purchase)"
    return _quadrants(
        result,
        "tenure_years",
        "tenure_quadrant",
        ax,
        axis,
        "CLV and tenure (CLV3a)",
        (value_threshold, tenure_threshold),
    )
