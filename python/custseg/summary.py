"""Segment tables for a first look at a result (customers and monetary share),
counted in the core."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from custseg import _core
from custseg._frames import as_table, categories, family_of, labels, to_family


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
    table = as_table(cv)
    keys = [categories(table[k]) for k in by]
    value = table["monetary"].combine_chunks().cast(pa.float64())
    codes, customers, customer_share, monetary, monetary_share = _core.summary(
        [(c, len(cats)) for c, cats in keys], value
    )
    out: dict[str, Any] = {k: labels(codes[i], keys[i][1].to_pylist()) for i, k in enumerate(by)}
    out["customers"] = pa.array(customers, pa.int64())
    out["customer_share"] = pa.array(customer_share, pa.float64())
    out["monetary"] = pa.array(monetary, pa.float64())
    out["monetary_share"] = pa.array(monetary_share, pa.float64())
    return to_family(pa.table(out), family_of(cv))
