"""Results in the caller's family (API: pandas in, pandas out; polars in,
polars out; Arrow otherwise): the one conversion path of every result:
segmentations, the BTYD summary and predictions, segment summaries, cross
tables. Label columns come from the core as ordered Arrow dictionaries; they
become ordered pandas ``Categorical``s and polars ``Enum``s, every category in
the order of the rules (CV7)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

Family = Literal["pandas", "polars", "arrow"]


def is_a(obj: Any, module: str, *names: str) -> bool:
    """isinstance against a class of an optional library, without importing it."""
    mod = sys.modules.get(module)
    return mod is not None and any(isinstance(obj, getattr(mod, n)) for n in names)


def family_of(obj: Any) -> Family:
    """The family of a frame, series or array: pandas, polars, or Arrow (anything else)."""
    if is_a(obj, "pandas", "DataFrame", "Series", "Index"):
        return "pandas"
    if is_a(obj, "polars", "DataFrame", "LazyFrame", "Series"):
        return "polars"
    return "arrow"


def arrow_table(obj: Any) -> pa.Table:
    """A pyarrow Table, RecordBatch or Arrow stream (``__arrow_c_stream__``) as a
    Table, without ``pa.table``: that asks first whether ``obj`` is a pandas
    DataFrame, and so imports pandas (0.2-0.5 s) in a process that has none."""
    if isinstance(obj, pa.Table):
        return obj
    if isinstance(obj, pa.RecordBatch):
        return pa.Table.from_batches([obj])
    from_stream = getattr(pa.RecordBatchReader, "from_stream", None)  # pyarrow >= 15
    if from_stream is not None and hasattr(obj, "__arrow_c_stream__"):
        return from_stream(obj).read_all()
    return pa.table(obj)


def as_table(frame: Any) -> pa.Table:
    """A result frame of any family as a pyarrow Table (labels as dictionaries)."""
    if is_a(frame, "pandas", "DataFrame"):
        return pa.Table.from_pandas(frame, preserve_index=False)
    if is_a(frame, "polars", "DataFrame"):
        return frame.to_arrow()
    if is_a(frame, "polars", "LazyFrame"):
        return frame.collect().to_arrow()
    return arrow_table(frame)


def as_array(values: Any) -> pa.Array:
    """One column (pandas/polars Series, Arrow array, anything numpy takes) as Arrow."""
    if is_a(values, "pandas", "Series", "Index"):
        return pa.Array.from_pandas(values)
    if is_a(values, "polars", "Series"):
        values = values.to_arrow()
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    import numpy as np

    return pa.array(np.asarray(values))


def categories(column: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """The category codes (uint32) and the categories of a label column: in
    category order for a dictionary (every category, used or not), else the
    sorted distinct values."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(arr.type):
        return arr.indices.cast(pa.uint32()), arr.dictionary
    cats = pc.unique(arr).sort() if not pa.types.is_boolean(arr.type) else pa.array([False, True])
    return pc.index_in(arr, value_set=cats).cast(pa.uint32()), cats


def labels(codes: Sequence[int], names: Sequence[Any]) -> pa.DictionaryArray:
    """An ordered label column of ``codes`` into ``names`` (every name a category)."""
    dictionary = pa.array([str(n) for n in names], pa.string())
    index = pa.int8() if len(names) <= 127 else pa.int16()
    return pa.DictionaryArray.from_arrays(pa.array(codes, index), dictionary, ordered=True)


def _label_categories(table: pa.Table) -> dict[str, list[str]]:
    """The ordered dictionary columns of ``table`` and their categories."""
    out = {}
    for field in table.schema:
        if pa.types.is_dictionary(field.type) and field.type.ordered:
            out[field.name] = table.column(field.name).combine_chunks().dictionary.to_pylist()
    return out


def to_family(
    table: pa.Table,
    family: Family,
    *,
    dtypes: Mapping[str, Any] | None = None,
    index: str | None = None,
    columns_name: str | None = None,
) -> Any:
    """``table`` in ``family``: ordered labels as pandas ordered ``Categorical``
    or polars ``Enum``; ``dtypes`` restores pandas dtypes of input columns
    (CV7); ``index`` makes that column the pandas index (other families keep
    it as the first column), ``columns_name`` names the pandas column axis."""
    if family == "arrow":
        return table
    if family == "pandas":
        df = table.to_pandas(date_as_object=False)
        for name, dtype in (dtypes or {}).items():
            if dtype is not None and df[name].dtype != dtype:
                df[name] = df[name].astype(dtype)
        if index is not None:
            df = df.set_index(index)
        if columns_name is not None:
            df.columns.name = columns_name
        return df
    import polars as pl

    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    enums = _label_categories(table)
    return df.with_columns([pl.col(n).cast(pl.Enum(c)) for n, c in enums.items()])


def vector(values: pa.Array, family: Family, name: str, index: Any = None) -> Any:
    """A per-row result in ``family``: a pandas Series (on ``index``), a polars
    Series, or the Arrow array."""
    if family == "pandas":
        import pandas as pd

        return pd.Series(values.to_numpy(zero_copy_only=False), index=index, name=name)
    if family == "polars":
        import polars as pl

        return pl.Series(name, values)
    return values


def with_columns(frame: Any, columns: Mapping[str, pa.Array]) -> Any:
    """``frame`` (pandas, polars or a pyarrow Table) with ``columns`` added,
    replaced when present, in its own family (a pandas frame keeps its index)."""
    if is_a(frame, "pandas", "DataFrame"):
        out = frame.copy()
        for name, values in columns.items():
            out[name] = values.to_numpy(zero_copy_only=False)
        return out
    if is_a(frame, "polars", "DataFrame"):
        import polars as pl

        return frame.with_columns([pl.Series(n, v) for n, v in columns.items()])
    out = frame
    for name, values in columns.items():
        if name in out.column_names:
            out = out.set_column(out.column_names.index(name), name, values)
        else:
            out = out.append_column(name, values)
    return out


def with_meta(frame: Any, key: str, value: str) -> Any:
    """``frame`` carrying ``key: value``: in the Arrow schema's metadata or the
    pandas ``attrs``; a polars frame has no place for it and is returned as is."""
    if isinstance(frame, pa.Table):
        return frame.replace_schema_metadata({**(frame.schema.metadata or {}), key: value})
    if is_a(frame, "pandas", "DataFrame"):
        frame.attrs[key] = value
    return frame


def meta(frame: Any, key: str) -> str | None:
    """The value ``frame`` carries under ``key`` (see :func:`with_meta`), if any."""
    if isinstance(frame, pa.Table):
        value = (frame.schema.metadata or {}).get(key.encode())
        return value.decode() if value else None
    attrs = getattr(frame, "attrs", None)
    if isinstance(attrs, dict) and attrs.get(key):
        return str(attrs[key])
    return None
