"""What migration, segment performance and cohorts (CV8) read: snapshots of a
history, one per period start, each a small Arrow table ``key`` (the
customer), ``code`` (the label), ``monetary``; from a history table the user
holds, or streamed from the core one boundary at a time (the direct forms,
which never build the long table)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg._frames import as_table, categories
from custseg.errors import ColumnNotFoundError, ConfigError

NEW = "(new)"
"""The from-segment of customers absent at the first period start of a pair."""
GONE = "(gone)"
"""The to-segment of customers absent at the second one (not in a full history)."""


def by_columns(by: str | Sequence[str]) -> tuple[str, ...]:
    """``by`` as a tuple of label column names (CV8)."""
    cols = (by,) if isinstance(by, str) else tuple(by)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise ConfigError(f"by must be a label column name or a tuple of them, got {by!r}")
    return cols


@dataclass
class Labels:
    """The labels of ``by``: every combination of the columns' categories, in
    category order (the first column most significant), joined with " / "."""

    by: tuple[str, ...]
    categories: list[list[str]]

    @property
    def names(self) -> list[str]:
        out = [""]
        for cats in self.categories:
            out = [f"{o} / {c}" if o else str(c) for o in out for c in cats]
        return out

    def codes(self, table: pa.Table) -> pa.Array:
        """The combined label code (int32) of every row of ``table``."""
        code = np.zeros(table.num_rows, dtype=np.int64)
        for name, cats in zip(self.by, self.categories, strict=False):
            idx, own = categories(table.column(name))
            if [str(c) for c in own.to_pylist()] != cats:  # categories in another order
                idx = pc.index_in(table.column(name).cast(pa.string()), pa.array(cats))
            code = code * len(cats) + np.asarray(idx.fill_null(0), dtype=np.int64)
        return pa.array(code.astype(np.int32))

    @classmethod
    def of(cls, table: pa.Table, by: tuple[str, ...]) -> Labels:
        missing = [c for c in by if c not in table.column_names]
        if missing:
            raise ColumnNotFoundError(
                f"by names {missing[0]!r}, not a column of the history "
                f"(its columns: {', '.join(table.column_names)}) (rule CV8)"
            )
        return cls(by, [_categories(table.column(n), n) for n in by])


def _canonical() -> dict[str, list[str]]:
    """The categories of custseg's label columns, in the order of the rules."""
    import custseg as cs

    rfm = [r["segment"] if isinstance(r, dict) else r[0] for r in cs.RFM_RULES] + ["Others"]
    return {
        "cv_group": list(cs.CV_GROUPS),
        "cv_segment": list(cs.CV_SEGMENTS),
        "clv_tier": list(cs.CLV_TIERS),
        "value_loyalty": list(cs.CLV_QUADRANTS),
        "tenure_quadrant": list(cs.CLV_TENURE_QUADRANTS),
        "rfm_segment": rfm,
    }


def _categories(column: Any, name: str) -> list[str]:
    """A label column's categories: an ordered dictionary's own; else, for a
    custseg label column whose values all belong to it, the rules' order
    (a frame that lost the order, e.g. through an unordered categorical or
    CSV); else the dictionary's or the sorted values."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    own = [str(c) for c in categories(arr)[1].to_pylist()]
    if pa.types.is_dictionary(arr.type) and arr.type.ordered:
        return own
    rules = _canonical().get(name)
    if rules is not None and set(own) <= set(rules):
        return rules
    return own


def plain(column: Any) -> Any:
    """A key column in a type every Arrow kernel takes (polars hands strings
    over as string views)."""
    if pa.types.is_string_view(column.type):
        return column.cast(pa.large_string())
    return column


def snapshot(table: pa.Table, labels: Labels, key: str) -> pa.Table:
    """The snapshot of the rows of one period start: key, code, monetary."""
    monetary = (
        table.column("monetary").cast(pa.float64())
        if "monetary" in table.column_names
        else pa.array(np.zeros(table.num_rows))
    )
    key_column = plain(table.column(key))
    return pa.table({"key": key_column, "code": labels.codes(table), "monetary": monetary})


@dataclass
class HistoryTable:
    """A history the user holds (any family), read once as Arrow."""

    table: pa.Table
    key: str
    periods: list[_dt.date]

    @classmethod
    def of(cls, hist: Any, customer: str | None) -> HistoryTable:
        t = as_table(hist)
        if "period_start" not in t.column_names:
            raise ColumnNotFoundError(
                "the history has no period_start column: pass the result of "
                "custseg.customer_value_history or segment_history (rule CV8)"
            )
        names = t.column_names
        key = customer or names[names.index("period_start") + 1]
        if key not in names:
            raise ColumnNotFoundError(f"customer={key!r} is not a column of the history")
        t = t.set_column(names.index("period_start"), "period_start", _dates(t))
        periods = sorted(set(pc.unique(t.column("period_start")).to_pylist()))
        return cls(t, key, periods)

    def rows_at(self, period: _dt.date) -> pa.Table:
        return self.table.filter(pc.equal(self.table.column("period_start"), pa.scalar(period)))

    def check_period(self, day: Any, what: str) -> _dt.date:
        from custseg._input import as_day

        d = _dt.date(1970, 1, 1) + _dt.timedelta(days=as_day(day, what) or 0)
        if d not in self.periods:
            shown = ", ".join(p.isoformat() for p in self.periods)
            raise ConfigError(
                f"{what}={d} is not a period_start of the history ({shown}) (rule CV8)"
            )
        return d


def _dates(t: pa.Table) -> pa.Array:
    """The period_start column as date32 (pandas gives timestamps)."""
    col = t.column("period_start")
    return col.cast(pa.date32()) if not pa.types.is_date32(col.type) else col


def core_snapshots(h: Any, *, ids: bool) -> Iterator[tuple[_dt.date, pa.Table]]:
    """The boundaries of a core history, each a table freed in the core once read."""
    for j, day in enumerate(h.bounds):
        batch = h.batch(j, ids=ids, release=True)
        for i, field in enumerate(batch.schema):
            if pa.types.is_string_view(field.type):  # ids of a polars input
                batch = batch.set_column(i, field.name, plain(batch.column(i)))
        yield day, batch


def ordered(codes: Sequence[int], names: Sequence[str]) -> pa.DictionaryArray:
    """An ordered label column of ``codes`` into ``names`` (a categorical in
    pandas, an Enum in polars, in the order of ``names``)."""
    dictionary = pa.array(list(names), pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), dictionary, ordered=True)


def used_only(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """``table`` with its label ``columns`` sharing one dictionary of the
    categories used in any of them, in their order (a combined label has many
    combinations that never occur, e.g. "2 ACT / XS")."""
    if table.num_rows == 0 or not columns:
        return table
    arrays = [table.column(c).combine_chunks() for c in columns]
    names = arrays[0].dictionary.to_pylist()  # every column: the same full dictionary
    used = np.unique(np.concatenate([np.asarray(a.indices) for a in arrays]))
    remap = np.full(len(names), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    kept = [names[u] for u in used]
    for c, a in zip(columns, arrays, strict=True):
        i = table.column_names.index(c)
        table = table.set_column(i, c, ordered(remap[np.asarray(a.indices)].tolist(), kept))
    return table


LABEL = pa.dictionary(pa.int32(), pa.string(), ordered=True)
"""The type of the label columns of migration, performance and cohorts."""


def micros(money: Any) -> pa.Array:
    """Money (floats of exact millionths, I6) as int64 millionths, so that sums
    of many customers stay exact."""
    return pc.round(pc.multiply(money, 1e6)).cast(pa.int64())


def from_micros(total: Any) -> Any:
    """Summed millionths back to money (floats)."""
    return pc.divide(pc.cast(total, pa.float64()), 1e6)


def date_array(days: Sequence[_dt.date], n: int | None = None) -> pa.Array:
    """A date32 column of ``days`` (or one day repeated ``n`` times)."""
    if n is not None:
        return pa.array([days[0]] * n, pa.date32())
    return pa.array(list(days), pa.date32())


_CLV_LABELS = ("clv_tier", "value_loyalty", "tenure_quadrant")
_SEGMENT_DEFAULTS: dict[str, Any] = dict(
    sales_only=False,
    sales_months=(1, 7),
    sales_lookback=4,
    cuts=(0.05, 0.25, 0.50),
    monetary_periods=2,
    bins=5,
    monetary="sum",
    segments=None,
    lifetime_years=None,
    clv_cuts=(0.2, 0.8),
    value_threshold=None,
    loyalty_threshold=None,
    tenure_threshold=None,
)
_RUN_DEFAULTS: dict[str, Any] = dict(
    count_zero_days=False, on_invalid="raise", threads=None, memory_limit="auto", spill_dir=None
)


def direct_history(
    data: Any,
    *,
    columns: dict[str, Any],
    periods: Any,
    by: tuple[str, ...],
    options: dict[str, Any],
    **bounds: Any,
) -> Any:
    """The core history of ``data`` for the direct forms: Customer Value, and
    RFM or CLV when ``by`` names their labels; ``options`` are those of
    :func:`custseg.segment_history` (segmentations and run); ``bounds`` those
    of ``_core.history``."""
    from custseg._engine import run_history, run_options
    from custseg.segment import segment_options

    unknown = set(options) - set(_SEGMENT_DEFAULTS) - set(_RUN_DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown option(s) {', '.join(sorted(unknown))} (rule CV8)")
    seg = {k: options.get(k, v) for k, v in _SEGMENT_DEFAULTS.items()}
    run = {k: options.get(k, v) for k, v in _RUN_DEFAULTS.items()}
    what = ["cv"]
    what += ["rfm"] if any(c.startswith("rfm_") for c in by) else []
    what += ["clv"] if any(c in _CLV_LABELS for c in by) else []
    h, _, _, _ = run_history(
        data,
        columns=columns,
        options=run_options(as_of=None, **run),
        periods=periods,
        what=what,
        **segment_options(**seg),
        **bounds,
    )
    return h
