"""The plots of segments over time (CV8) of :mod:`custseg.plot`: migration,
segments per period start, the cohort triangle (matplotlib imported to draw)."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg._frames import as_table
from custseg._plot_parts import _axes, _column, _percent_axis, _values
from custseg._snapshots import GONE, NEW, HistoryTable, Labels, by_columns
from custseg.errors import ColumnNotFoundError, ConfigError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MEASURES = ("customers", "customer_share", "revenue", "revenue_share")
COHORT_VALUES = ("retention", "active", "revenue", "revenue_per_customer")
NEW_COLOR = "0.65"  # the color of "(new)": no category


def migration_heatmap(
    hist_or_migration: Any,
    *,
    frm: Any = None,
    to: Any = None,
    by: str | tuple[str, ...] = ("cv_group", "cv_segment"),
    values: str = "share",
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """The migration between two period starts (CV8) as a heatmap: from-segment
    (rows, ``"(new)"`` first, then category order) by to-segment (columns),
    each cell colored and labelled by ``values``: ``"share"`` (of the
    from-segment's customers, in percent; a row adds up to 100%) or
    ``"customers"``. Cells nobody moved through are blank.

    ``hist_or_migration``: a history (:func:`custseg.customer_value_history`,
    passed to :func:`custseg.migration_matrix` with ``by``), a tidy
    :func:`custseg.migration` table or a :func:`custseg.migration_matrix`
    (with ``values="customers"`` any ``values`` can be drawn). ``frm``/``to``:
    the pair of period starts, by default the last one.

    Example:
        >>> import custseg as cs
        >>> h = cs.customer_value_history(cs.datasets.synthetic(customers=500, seed=3))
        >>> ax = cs.plot.migration_heatmap(h, by="cv_group")
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['(new)', '2 ACT', '3 COLD', '4 LOST', '5 LOST']
    """
    if values not in ("customers", "share"):
        raise ConfigError(f'values must be "customers" or "share", got {values!r}')
    rows, cols, grid, pair = _migration_grid(as_table(hist_or_migration), frm, to, by, values)
    shown = np.where(grid != 0, grid, np.nan)
    ax = _axes(ax, (max(6.0, 3.0 + 0.65 * len(cols)), max(4.0, 1.8 + 0.42 * len(rows))))
    share = values == "share"
    top = 1.0 if share else max(float(np.nanmax(grid, initial=0.0)), 1.0)
    image = ax.imshow(shown, cmap="Blues", vmin=0.0, vmax=top, aspect="auto")
    bar = ax.figure.colorbar(image, ax=ax, label="share of the from-segment" if share else values)
    if share:
        _percent_axis(bar.ax.yaxis, 1.0)
    small = 8 if len(cols) > 8 else 9
    for (i, j), v in np.ndenumerate(grid):
        if v != 0:
            text = _pct(v) if share else f"{int(v):,}"
            color = _ink(image, v)
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=small)
    turn = max(map(len, cols), default=0) > 7
    ax.set_xticks(
        range(len(cols)), cols, rotation=40 if turn else 0, ha="right" if turn else "center"
    )
    ax.set_yticks(range(len(rows)), rows)
    frm_s, to_s = ("" if d is None else _day_text(d) for d in pair)
    ax.set_xlabel(f"to: segment at {to_s}" if to_s else "to-segment")
    ax.set_ylabel(f"from: segment at {frm_s}" if frm_s else "from-segment")
    what = "share of each from-segment" if share else "customers"
    between = f" {frm_s} → {to_s}" if frm_s and to_s else ""
    ax.set_title(title or f"Migration{between} ({what})")
    return ax


def segments_over_time(
    hist: Any,
    data: Any = None,
    *,
    by: str | tuple[str, ...] = "cv_group",
    measure: str | None = None,
    kind: str = "bar",
    ax: Axes | None = None,
    title: str | None = None,
    **options: Any,
) -> Axes:
    """The segments at every period start of a history (CV8), stacked per
    period start (first category at the bottom; the legend lists the layers
    top to bottom). Each label keeps its color across calls: ``C<k>`` for the
    k-th category of one label column; for a tuple, the first column's color,
    lighter down the second column's categories; ``"(new)"`` grey.

    ``measure``: ``"customers"`` (default without ``data``),
    ``"customer_share"`` (in percent of the period start's customers),
    ``"revenue"`` or ``"revenue_share"`` (default with ``data``: the share of
    all net revenue of the period, in percent, from
    :func:`custseg.segment_performance` with ``**options``, e.g.
    ``periods=`` the history's calendar; customers who first bought during
    the period are the ``"(new)"`` layer; periods without any transaction,
    such as the one after the data ends, are left out). ``kind``: ``"bar"``
    or ``"area"``.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=500, seed=3)
        >>> ax = cs.plot.segments_over_time(cs.customer_value_history(tx))
        >>> [t.get_text() for t in ax.get_legend().get_texts()]
        ['5 LOST', '4 LOST', '3 COLD', '2 ACT']
    """
    measure = measure or ("customers" if data is None else "revenue_share")
    if measure not in MEASURES:
        raise ConfigError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
    if kind not in ("bar", "area"):
        raise ConfigError(f'kind must be "bar" or "area", got {kind!r}')
    ht = HistoryTable.of(hist, options.get("customer"))
    labels = Labels.of(ht.table, by_columns(by))
    names, colors = labels.names, _colors(labels)
    if measure.startswith("revenue"):
        if data is None:
            raise ConfigError(f"measure={measure!r} needs the transactions (data)")
        import custseg

        perf = as_table(custseg.segment_performance(ht.table, data, by=by, **options))
        days, stack, layers = _performance_stack(perf, measure, names)
    else:
        days, stack, layers = _count_stack(ht, labels, measure == "customer_share")
    ax = _axes(ax, (max(8.0, 4.5 + 0.6 * len(days)), 5.0))
    x = np.arange(len(days))
    low, high = np.zeros(len(days)), np.zeros(len(days))
    handles = []
    for k, heights in zip(layers, stack, strict=True):
        label = names[k] if k >= 0 else NEW
        color = colors[k] if k >= 0 else NEW_COLOR
        if kind == "area":
            handles.append(ax.fill_between(x, high, high + heights, color=color, label=label))
            high = high + heights
            continue
        base = np.where(heights >= 0, high, low)
        handles.append(ax.bar(x, heights, 0.8, bottom=base, color=color, label=label))
        high, low = high + np.maximum(heights, 0), low + np.minimum(heights, 0)
    text = [_day_text(d, short=True) for d in days]
    ax.set_xticks(x, text, rotation=45 if len(days) > 6 else 0)
    ax.set_xlabel("period start")
    unit = {"customers": "customers", "customer_share": "% of customers"}
    ax.set_ylabel(unit.get(measure, f"{'% of ' * (measure != 'revenue')}net revenue in the period"))
    if measure.endswith("share"):
        _percent_axis(ax.yaxis)
    small = 8 if len(handles) > 8 else 9
    where = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": small}
    ax.legend(handles=handles[::-1], title=" / ".join(labels.by), **where)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title or f"{' / '.join(labels.by)} per period start: {measure.replace('_', ' ')}")
    return ax


def cohort_triangle(
    cohorts_table: Any,
    *,
    value: str = "retention",
    segment: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """The cohort triangle of a :func:`custseg.cohorts` table (CV8): one row per
    acquisition cohort (oldest on top, labelled with its size), one column per
    age in periods (0: the cohort's own period), each cell colored and
    labelled with ``value``: ``"retention"`` (percent of the cohort active in
    the period), ``"active"``, ``"revenue"`` or ``"revenue_per_customer"``
    (of the cohort's customers). The colors are scaled on ages 1 and up (age
    0, the purchases that made the cohort, takes the top color). A table with
    a ``segment`` column (``cohorts(by=...)``) is drawn for one ``segment``,
    or for all segments together when None.

    Example:
        >>> import custseg as cs
        >>> c = cs.cohorts(cs.datasets.synthetic(customers=500, seed=3))
        >>> cs.plot.cohort_triangle(c).get_images()[0].get_array().shape
        (6, 6)
    """
    if value not in COHORT_VALUES:
        raise ConfigError(f"value must be one of {', '.join(COHORT_VALUES)}, got {value!r}")
    t = as_table(cohorts_table)
    needed = ("customers", "active") + (("revenue",) if value.startswith("revenue") else ())
    for name in ("cohort", "age", *needed):
        _column(t, name)
    keep = np.ones(t.num_rows, dtype=bool)
    if segment is not None:
        seg = np.asarray(_column(t, "segment").cast(pa.string()).to_pylist(), dtype=object)
        if segment not in set(seg):
            shown = ", ".join(dict.fromkeys(seg))
            raise ConfigError(f"segment {segment!r} is not in the table (segments: {shown})")
        keep = seg == segment
    days = np.asarray(pc.cast(t.column("cohort"), pa.date32()).to_pylist(), dtype="datetime64[D]")
    starts = np.unique(days[keep])
    row = np.searchsorted(starts, days[keep])
    age = _values(t, "age")[keep].astype(np.int64)
    shape = (len(starts), int(age.max(initial=0)) + 1)
    cells = {}
    for name in needed:
        cells[name] = np.zeros(shape)
        np.add.at(cells[name], (row, age), _values(t, name)[keep])
    seen = np.zeros(shape, dtype=bool)
    seen[row, age] = True  # a cell of the triangle
    size = cells["customers"].max(axis=1, initial=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if value == "retention":
            grid = cells["active"] / cells["customers"]
        elif value == "revenue_per_customer":
            grid = cells["revenue"] / cells["customers"]
        else:
            grid = cells[value]
    grid = np.where(seen, grid, np.nan)
    later = grid[:, 1:][np.isfinite(grid[:, 1:])]
    ref = later if later.size else grid[np.isfinite(grid)]
    vmax = float(ref.max()) if ref.size else 1.0
    vmin = min(0.0, float(ref.min())) if ref.size else 0.0
    ax = _axes(ax, (max(6.0, 2.8 + 0.62 * shape[1]), max(3.5, 1.6 + 0.42 * shape[0])))
    image = ax.imshow(grid, cmap="YlGnBu", vmin=vmin, vmax=max(vmax, vmin + 1e-9), aspect="auto")
    bar = ax.figure.colorbar(image, ax=ax, label=value.replace("_", " "))
    if value == "retention":
        _percent_axis(bar.ax.yaxis, 1.0)
    for (i, j), v in np.ndenumerate(grid):
        if np.isfinite(v):
            text = _pct(v) if value == "retention" else f"{v:,.0f}"
            color = _ink(image, v)
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=8)
    ax.set_xticks(range(shape[1]), [str(a) for a in range(shape[1])])
    names = [
        f"{_day_text(d, True)} (n={n:,.0f})" for d, n in zip(starts.tolist(), size, strict=True)
    ]
    ax.set_yticks(range(len(starts)), names)
    ax.set_xlabel("age (periods since the cohort's first period)")
    ax.set_ylabel("cohort (period of the first purchase)")
    what = "retention (% of the cohort active)" if value == "retention" else value.replace("_", " ")
    ax.set_title(title or f"Cohorts: {what} by age" + (f", {segment}" if segment else ""))
    return ax


def _ink(image: Any, v: float) -> str:
    """A text color readable on the cell color of ``v`` (light to dark colormaps)."""
    return "white" if float(np.clip(image.norm(v), 0, 1)) > 0.6 else "black"


def _pct(v: float) -> str:
    """A share as the percent text of the heatmaps: whole percents, one decimal under 1%."""
    p = 100.0 * float(v)
    if p == 0 or abs(p) >= 1:
        return f"{p:.0f}%"
    return f"{p:.1f}%" if abs(p) >= 0.1 else "<0.1%"


def _day_text(day: Any, short: bool = False) -> str:
    d = day if isinstance(day, _dt.date) else _dt.date.fromisoformat(str(day)[:10])
    return f"{d:%Y-%m}" if short and d.day == 1 else d.isoformat()


def _colors(labels: Labels) -> list[Any]:
    """One color per label, the same whatever the data: ``C<k>`` for the k-th
    category of the first column, mixed with white by the rest's code."""
    from matplotlib.colors import to_rgb

    rest = int(np.prod([len(c) for c in labels.categories[1:]], dtype=np.int64))
    out: list[Any] = []
    for code in range(len(labels.names)):
        base, shade = divmod(code, rest)
        rgb = np.array(to_rgb(f"C{base % 10}"))
        out.append(tuple(rgb + (1.0 - rgb) * 0.16 * (shade % 5)) if rest > 1 else f"C{base % 10}")
    return out


def _count_stack(
    ht: HistoryTable, labels: Labels, share: bool
) -> tuple[list[Any], list[np.ndarray], list[int]]:
    """Customers (or their share, in percent) per period start and label."""
    codes = np.asarray(labels.codes(ht.table), dtype=np.int64)
    when = np.searchsorted(
        np.array(ht.periods, dtype="datetime64[D]"),
        np.asarray(ht.table.column("period_start").to_pylist(), dtype="datetime64[D]"),
    )
    n = len(labels.names)
    counts = np.zeros((len(ht.periods), n))
    np.add.at(counts, (when, codes), 1.0)
    if share:
        counts = 100.0 * counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    layers = [k for k in range(n) if counts[:, k].any()]
    return list(ht.periods), [counts[:, k] for k in layers], layers


def _performance_stack(
    perf: pa.Table, measure: str, names: list[str]
) -> tuple[list[Any], list[np.ndarray], list[int]]:
    """Revenue (or its share, in percent) per period and label of a performance table."""
    days_all = pc.cast(perf.column("period_start"), pa.date32()).to_pylist()
    revenue = _values(perf, "revenue")
    active = {d for d, r in zip(days_all, revenue, strict=True) if r != 0}
    days = sorted(active)
    index = {name: k for k, name in enumerate(names)} | {NEW: -1}
    segs = [str(s) for s in perf.column("segment").to_pylist()]
    y = revenue if measure == "revenue" else 100.0 * np.nan_to_num(_values(perf, "revenue_share"))
    table: dict[int, np.ndarray] = {}
    for d, s, v in zip(days_all, segs, y, strict=True):
        if d in active:
            table.setdefault(index[s], np.zeros(len(days)))[days.index(d)] += v
    layers = sorted((k for k in table if table[k].any()), key=lambda k: (k < 0, k))  # new on top
    return days, [table[k] for k in layers], layers


def _migration_grid(
    t: pa.Table, frm: Any, to: Any, by: Any, values: str
) -> tuple[list[str], list[str], np.ndarray, tuple[Any, Any]]:
    """Rows, columns, cells and the pair of period starts of a migration heatmap."""
    names = t.column_names
    if "period_start" in names:  # a history
        import custseg

        periods = HistoryTable.of(t, None).periods
        if frm is None and to is None:
            if len(periods) < 2:
                raise ConfigError("the history has fewer than two period starts: no migration")
            frm, to = periods[-2], periods[-1]
        wide = as_table(custseg.migration_matrix(t, by=by, frm=frm, to=to, values=values))
        return _wide(wide, values) + ((frm, to),)
    if "from_segment" in names and "to_segment" in names:
        t = _pair(t, frm, to)
        frs = [str(s) for s in t.column("from_segment").to_pylist()]
        tos = [str(s) for s in t.column("to_segment").to_pylist()]
        rows = list(dict.fromkeys(frs))
        chains = [[r for r in rows if r != NEW]]  # each chain in label order
        chains += [[s for f, s in zip(frs, tos, strict=True) if f == r] for r in rows]
        cols = [c for c in _merge(chains) if c in tos and c != GONE] + [GONE] * (GONE in tos)
        grid = np.zeros((len(rows), len(cols)))
        for f, s, v in zip(frs, tos, _values(t, values), strict=True):
            grid[rows.index(f), cols.index(s)] += v
        pair = (t.column("from_period")[0].as_py(), t.column("to_period")[0].as_py())
        return rows, cols, grid, pair
    if names[:1] == ["from_segment"]:  # a migration_matrix: the pair only when given
        return _wide(t, values) + ((frm, to),)
    raise ColumnNotFoundError(
        "migration_heatmap takes a history (period_start), a migration table "
        f"(from_segment, to_segment) or a migration_matrix; got columns {', '.join(names)}"
    )


def _wide(t: pa.Table, values: str) -> tuple[list[str], list[str], np.ndarray]:
    """A wide from x to table as rows, columns and cells (shares from counts)."""
    rows = [str(s) for s in t.column("from_segment").to_pylist()]
    cols = t.column_names[1:]
    grid = np.column_stack([_values(t, c) for c in cols]) if cols else np.zeros((len(rows), 0))
    counts = all(pa.types.is_integer(t.schema.field(c).type) for c in cols)
    if values == "share" and counts:
        grid = grid / np.maximum(grid.sum(axis=1, keepdims=True), 1.0)
    elif values == "customers" and not counts:
        raise ConfigError("this migration_matrix holds shares: draw it with values='share'")
    return rows, cols, grid


def _pair(t: pa.Table, frm: Any, to: Any) -> pa.Table:
    """The rows of one pair of period starts of a tidy migration table (default: the last)."""
    for name in ("from_period", "to_period"):
        t = t.set_column(t.column_names.index(name), name, pc.cast(_column(t, name), pa.date32()))
    if (frm is None) != (to is None):
        raise ConfigError("pass both frm and to, or neither (the last pair)")
    days = (t.column("from_period").to_pylist(), t.column("to_period").to_pylist())
    pairs = sorted(set(zip(*days, strict=True)))
    if not pairs:
        raise ConfigError("the migration table is empty: nothing to draw")
    if frm is None:
        want = pairs[-1]
    else:
        want = tuple(_dt.date.fromisoformat(str(d)[:10]) for d in (frm, to))
    if want not in pairs:
        shown = ", ".join(f"{a} → {b}" for a, b in pairs)
        raise ConfigError(f"no migration {want[0]} → {want[1]} in the table (pairs: {shown})")
    a, b = (pa.scalar(d, pa.date32()) for d in want)
    return t.filter(
        pc.and_(pc.equal(t.column("from_period"), a), pc.equal(t.column("to_period"), b))
    )


def _merge(chains: list[list[str]]) -> list[str]:
    """The labels of the chains in one order that keeps the order of each
    chain (first appearance breaks ties)."""
    seen = list(dict.fromkeys(s for c in chains for s in c))
    pairs = {(a, b) for c in chains for a, b in zip(c, c[1:], strict=False)}
    out: list[str] = []
    while len(out) < len(seen):
        left = [s for s in seen if s not in out]
        out.append(next((s for s in left if all(a in out for a, b in pairs if b == s)), left[0]))
    return out
