"""Segment tables for a first look at a result (customers and monetary share)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from custseg._frames import finish


def _to_arrow(frame: Any) -> tuple[pa.Table, str]:
    mods = type(frame).__module__
    if mods.startswith("pandas"):
        return pa.Table.from_pandas(frame, preserve_index=False), "pandas"
    if mods.startswith("polars"):
        return frame.to_arrow(), "polars"
    return pa.table(frame), "arrow"


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
    keys = list(by)
    # Group on the category codes so the rows come out in category order.
    codes = {k: pc.dictionary_encode(table[k]).combine_chunks() if not pa.types.is_dictionary(table[k].type) else table[k].combine_chunks() for k in keys}
    work = pa.table({**{f"_{k}": codes[k].indices for k in keys}, "monetary": table["monetary"]})
    g = work.group_by([f"_{k}" for k in keys]).aggregate([("monetary", "count"), ("monetary", "sum")])
    g = g.sort_by([(f"_{k}", "ascending") for k in keys])
    n = max(table.num_rows, 1)
    total = pc.sum(table["monetary"]).as_py() or 0.0
    out = {}
    labels = {}
    for k in keys:
        dictionary = codes[k].dictionary
        typ = pa.dictionary(pa.int8(), pa.string(), ordered=True)
        idx = g[f"_{k}"].combine_chunks().cast(pa.int8())
        out[k] = pa.DictionaryArray.from_arrays(idx, dictionary.cast(pa.string()), ordered=True).cast(typ)
        labels[k] = dictionary.to_pylist()
    out["customers"] = g["monetary_count"]
    out["customer_share"] = pc.divide(pc.cast(g["monetary_count"], pa.float64()), float(n))
    out["monetary"] = g["monetary_sum"]
    out["monetary_share"] = pc.divide(g["monetary_sum"], total) if total else pc.multiply(g["monetary_sum"], 0.0)
    return finish(pa.table(out), family, labels)  # type: ignore[arg-type]
