"""The cross table of two segmentations of the same customers (CLV5)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg.errors import ConfigError

_NORMALIZE = (None, "all", "index", "columns")


def _as_arrow(values: Any, what: str) -> tuple[pa.Array, str, str]:
    """(Arrow array, family, name) of a pandas/polars Series or Arrow/numpy array."""
    mod = type(values).__module__.split(".")[0]
    name = getattr(values, "name", None) or what
    if mod == "pandas":
        return pa.Array.from_pandas(values), "pandas", str(name)
    if mod == "polars":
        return values.to_arrow(), "polars", str(name)
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks(), "arrow", what
    if isinstance(values, pa.Array):
        return values, "arrow", what
    return pa.array(np.asarray(values)), "arrow", what


def _codes(a: pa.Array, what: str) -> tuple[np.ndarray, list[Any]]:
    """Category codes and categories, in category order for categoricals."""
    if a.null_count:
        raise ConfigError(f"crosstab: {what} has {a.null_count} missing values")
    if pa.types.is_dictionary(a.type):
        return a.indices.to_numpy(zero_copy_only=False).astype(np.int64), a.dictionary.to_pylist()
    cats = pc.unique(a).sort() if not pa.types.is_boolean(a.type) else pa.array([False, True])
    return pc.index_in(a, value_set=cats).to_numpy(zero_copy_only=False).astype(np.int64), (
        cats.to_pylist()
    )


def crosstab(a: Any, b: Any, normalize: str | None = None) -> Any:
    """Counts (or shares) of customers per pair of labels of two segmentations of
    the same customers, e.g. ``crosstab(r["rfm_segment"], v["clv_tier"])``:
    "are the RFM Champions also the most valuable by CLV?" (CLV5).

    Args:
        a, b: two label columns of equal length, row i of both the same
            customer (results of one :func:`custseg.segment` call, or frames
            sorted by customer as every custseg result is): pandas or polars
            Series, pyarrow arrays or anything numpy takes. Categoricals keep
            their category order (every category appears, also when empty).
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
    if normalize not in _NORMALIZE:
        raise ConfigError(f"normalize must be one of {_NORMALIZE}, got {normalize!r}")
    xa, family, name_a = _as_arrow(a, "a")
    xb, _, name_b = _as_arrow(b, "b")
    if len(xa) != len(xb):
        raise ConfigError(f"crosstab: a has {len(xa)} values and b has {len(xb)}")
    ca, cats_a = _codes(xa, name_a)
    cb, cats_b = _codes(xb, name_b)
    counts = np.zeros((len(cats_a), len(cats_b)), dtype=np.int64)
    np.add.at(counts, (ca, cb), 1)
    table: np.ndarray = counts
    if normalize is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            if normalize == "all":
                table = counts / max(counts.sum(), 1)
            elif normalize == "index":
                table = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
            else:
                table = counts / np.maximum(counts.sum(axis=0, keepdims=True), 1)
    labels_b = [str(c) for c in cats_b]
    if family == "pandas":
        import pandas as pd

        index = pd.Index(cats_a, name=name_a)
        return pd.DataFrame(table, index=index, columns=pd.Index(labels_b, name=name_b))
    columns = {name_a: [str(c) for c in cats_a]}
    columns.update({lb: table[:, j].tolist() for j, lb in enumerate(labels_b)})
    if family == "polars":
        import polars as pl

        return pl.DataFrame(columns)
    return pa.table(columns)
