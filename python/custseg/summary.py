"""Segment tables for a first look at a result (customers and monetary share)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from custseg._frames import finish


def _to_arrow(frame: Any) -> tuple[pa.Table, Any]:
    module = type(frame).__module__
    if module.startswith("pandas"):
        return pa.Table.from_pandas(frame, preserve_index=False), "pandas"
    if module.startswith("polars"):
        return frame.to_arrow(), "polars"
    return pa.table(frame), "arrow"


def _codes(column: pa.ChunkedArray) -> pa.DictionaryArray:
    """The column as one dictionary array (label columns already are)."""
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    arr = column.combine_chunks()
    return pa.DictionaryArray.from_arrays(arr.indices, arr.dictionary.cast(pa.string()))


def segment_summary(cv: Any, by: tuple[str, ...] = ("cv_group", "cv_segment")) -> Any:
    """Customers and monetary value per segment of a ``customer_value`` result.

    Columns: the ``by`` columns, ``customers``, ``customer_share``, ``monetary``
    (sum of the CV3 monetary values) and ``monetary_share``; one row per
    segment present, in category order. Same family as ``cv``.

    Example:
        >>> import custseg as cs
        >>> cv = cs.customer_value(cs.datasets.synthetic(customers=500, seed=3))
        >>> cs.segment_summary(cv).column_names
        ['cv_group', 'cv_segment', 'customers', 'customer_share', 'monetary', 'monetary_share']
    """
    table, family = _to_arrow(cv)
    codes = {k: _codes(table[k]) for k in by}
    # Group on the category codes so that rows come out in category order.
    work = pa.table({**{k: codes[k].indices for k in by}, "monetary": table["monetary"]})
    g = work.group_by(list(by)).aggregate([("monetary", "count"), ("monetary", "sum")])
    g = g.sort_by([(k, "ascending") for k in by])
    total = pc.sum(table["monetary"]).as_py() or 0.0
    out: dict[str, Any] = {}
    for k in by:
        out[k] = pa.DictionaryArray.from_arrays(g[k].combine_chunks(), codes[k].dictionary)
    count = pc.cast(g["monetary_count"], pa.float64())
    out["customers"] = g["monetary_count"]
    out["customer_share"] = pc.divide(count, float(max(table.num_rows, 1)))
    out["monetary"] = g["monetary_sum"]
    out["monetary_share"] = pc.divide(g["monetary_sum"], total if total else float("nan"))
    labels = {k: codes[k].dictionary.to_pylist() for k in by}
    return finish(pa.table(out), family, labels)
