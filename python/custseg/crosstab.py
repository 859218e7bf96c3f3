"""The cross table of two segmentations of the same customers (CLV5)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from custseg import _core
from custseg._frames import as_array, categories, family_of, to_family
from custseg.errors import ConfigError


def _name(values: Any, default: str) -> str:
    """The name of a pandas or polars Series, else ``default``."""
    name = getattr(values, "name", None) if family_of(values) != "arrow" else None
    return str(name) if name else default


def crosstab(a: Any, b: Any, normalize: str | None = None) -> Any:
    """Counts (or shares) of customers per pair of labels of two segmentations of
    the same customers, e.g. ``crosstab(r["rfm_segment"], v["clv_tier"])``:
    "are the RFM Champions also the most valuable by CLV?" (CLV5). The
    counting runs in the core.

    Args:
        a, b: two label columns of equal length, row i of both the same
            customer (results of one :func:`custseg.segment` call, or frames
            sorted by customer as every custseg result is): pandas or polars
            Series, pyarrow arrays or anything numpy takes. Categoricals keep
            their category order (every category appears, also when empty);
            other labels are sorted.
        normalize: ``None`` counts; ``"all"`` shares of all customers;
            ``"index"`` shares within each row (each ``a`` label sums to 1);
            ``"columns"`` shares within each column.

    Returns:
        A table with one row per label of ``a`` (first column, named after
        ``a``) and one column per label of ``b``: a pandas DataFrame for
        pandas input (index = ``a``'s labels), a polars DataFrame for polars,
        otherwise a pyarrow Table.

    Example:
        >>> import pandas as pd, custseg as cs
        >>> a = pd.Series(["x", "y", "x"], name="seg")
        >>> b = pd.Categorical(["high", "low", "low"], categories=["high", "low"], ordered=True)
        >>> cs.crosstab(a, pd.Series(b, name="tier"))  # doctest: +NORMALIZE_WHITESPACE
        tier  high  low
        seg
        x        1    1
        y        0    1
    """
    family = family_of(a)
    name_a, name_b = _name(a, "a"), _name(b, "b")
    xa, xb = as_array(a), as_array(b)
    for x, name in ((xa, name_a), (xb, name_b)):
        if x.null_count:
            raise ConfigError(f"crosstab: {name} has {x.null_count} missing values")
    codes_a, cats_a = categories(xa)
    codes_b, cats_b = categories(xb)
    counts, shares = _core.crosstab(codes_a, len(cats_a), codes_b, len(cats_b), normalize)
    cells = counts if shares is None else shares
    nb = len(cats_b)
    columns: dict[str, Any] = {name_a: cats_a}
    for j, label in enumerate(cats_b.to_pylist()):
        columns[str(label)] = pa.array(cells[j::nb])
    return to_family(pa.table(columns), family, index=name_a, columns_name=name_b)
