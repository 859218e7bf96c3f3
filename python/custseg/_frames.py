"""Input and output families (API: accept what users hold, return the same family).

Inputs become an Arrow C stream (PyCapsule interface) holding only the needed
columns; numeric columns cross into Rust without a copy. Outputs come back as a
pyarrow Table and are turned into pandas, polars or Arrow to match the input.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from custseg.errors import ConfigError, UnsupportedTypeError

Family = Literal["pandas", "polars", "arrow"]

_EPOCH = _dt.date(1970, 1, 1)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def _is(obj: Any, module: str, *names: str) -> bool:
    """isinstance against a class of an optional library, without importing it."""
    mod = sys.modules.get(module)
    return mod is not None and any(isinstance(obj, getattr(mod, n)) for n in names)


def as_day(value: Any, what: str = "as_of") -> int | None:
    """A calendar day (I3) as days since 1970-01-01: a date, an ISO string, a
    datetime/Timestamp (its calendar day, in its own zone: I1) or numpy datetime64."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            if not _ISO.match(text):
                raise ValueError
            value = (
                _dt.date.fromisoformat(text)
                if len(text) == 10
                else _dt.datetime.fromisoformat(text)
            )
        except ValueError:
            raise ConfigError(
                f"{what} {value!r} is not an ISO date (YYYY-MM-DD) or timestamp (rule I3)"
            ) from None
    if _is(value, "numpy", "datetime64"):
        import numpy as np

        return int(value.astype("datetime64[D]").astype(np.int64))
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return (value - _EPOCH).days
    raise ConfigError(
        f"{what} must be a date, an ISO string or a timestamp, got {value!r} (rule I3)"
    )


def _columns_of(data: Any) -> list[str] | None:
    names = getattr(data, "column_names", None)  # pyarrow, DuckDB
    if names is not None:
        return [str(c) for c in names]
    try:
        return [str(c) for c in data.columns]  # pandas, polars
    except Exception:  # noqa: BLE001 - any object without a column list
        return None


def _from_pandas_column(s: Any) -> pa.Array:
    """One pandas column as Arrow. NaN in a numpy float column stays NaN (an
    invalid amount, I4) instead of becoming null as in ``Table.from_pandas``;
    numpy numeric columns are not copied."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f":
        return pa.array(s.to_numpy(), from_pandas=False)
    return pa.Array.from_pandas(s)


def _from_arrays(arrays: dict[str, Any]) -> tuple[pa.Table, Family]:
    """Columns passed one by one (numpy arrays, pandas/polars Series, pyarrow arrays)."""
    family: Family = "arrow"
    cols = {}
    for name, a in arrays.items():
        if _is(a, "pandas", "Series", "Index"):
            family = "pandas"
            cols[name] = _from_pandas_column(a)
        elif _is(a, "polars", "Series"):
            family = "polars"
            cols[name] = pa.chunked_array(a.to_arrow())
        elif isinstance(a, (pa.Array, pa.ChunkedArray)):
            cols[name] = a
        else:
            try:
                cols[name] = pa.array(a)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as e:
                raise UnsupportedTypeError(
                    f"column '{name}' cannot be read as Arrow: {e} (rule I4)"
                ) from None
    lengths = {len(c) for c in cols.values()}
    if len(lengths) > 1:
        sizes = {k: len(v) for k, v in cols.items()}
        raise ConfigError(f"the columns passed one by one differ in length: {sizes}")
    return pa.table(cols), family


def prepare(data: Any, names: dict[str, Any]) -> tuple[Any, Family, dict[str, str | None], Any]:
    """Turns any supported input into (Arrow stream object, family, column names,
    pandas dtype of the customer column or None).

    The pandas dtype lets the output keep the input's customer type exactly
    (CV7), e.g. ``int64[pyarrow]`` or a categorical.
    """
    stream, family, out_names = _prepare(data, names)
    column = names.get("customer") if data is None else None
    if data is not None and _is(data, "pandas", "DataFrame") and out_names["customer"] in data:
        column = data[out_names["customer"]]
    dtype = column.dtype if _is(column, "pandas", "Series", "Index") else None
    return stream, family, out_names, dtype


def _prepare(data: Any, names: dict[str, Any]) -> tuple[Any, Family, dict[str, str | None]]:
    """Turns any supported input into (Arrow stream object, family, column names).

    ``names`` maps each role (customer, date, amount, order) to a column name,
    or, when ``data`` is None, to the column itself.
    """
    if data is None:
        arrays = {}
        out_names: dict[str, str | None] = {}
        for role, col in names.items():
            if col is None:
                out_names[role] = None
                continue
            if isinstance(col, str):
                raise ConfigError(f"{role}={col!r} names a column but no data was passed")
            name = getattr(col, "name", None)
            name = name if isinstance(name, str) and name and name not in arrays else _default(role)
            arrays[name] = col
            out_names[role] = name
        if any(out_names[r] is None for r in ("customer", "date", "amount")):
            raise ConfigError("pass data, or the customer, date and amount columns one by one")
        table, family = _from_arrays(arrays)
        return table, family, out_names

    for role, col in names.items():
        if col is not None and not isinstance(col, str):
            raise ConfigError(
                f"{role} must be a column name when data is given, got {type(col).__name__}"
            )
    wanted = [c for c in names.values() if c is not None]
    if _is(data, "polars", "LazyFrame"):
        present = list(data.collect_schema().names())
        if not all(c in present for c in wanted):
            return _names_only(present), "polars", names
        return data.select(wanted).collect(), "polars", names
    present = _columns_of(data)
    if present is not None and not all(c in present for c in wanted):
        # A configured column is missing: the core names it and lists the others.
        return _names_only(present), _family_of(data), names

    if _is(data, "pandas", "DataFrame"):
        sub = data[wanted]
        try:
            table = pa.table({str(c): _from_pandas_column(sub[c]) for c in sub.columns})
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
            raise UnsupportedTypeError(f"a column cannot be read as Arrow: {e} (rule I4)") from None
        return table, "pandas", names
    if _is(data, "polars", "DataFrame"):
        return data.select(wanted), "polars", names
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return data.select(wanted), "arrow", names
    if _is(data, "pyarrow.dataset", "Dataset"):
        cols = wanted if all(c in data.schema.names for c in wanted) else None
        return data.scanner(columns=cols).to_reader(), "arrow", names
    if _is(data, "duckdb", "DuckDBPyRelation"):
        return data.select(*[f'"{c}"' for c in wanted]), "arrow", names
    if hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__"):
        return data, "arrow", names
    raise UnsupportedTypeError(
        f"cannot read {type(data).__module__}.{type(data).__name__}: pass a pandas or polars "
        "DataFrame, a polars LazyFrame, a pyarrow Table/RecordBatchReader/Dataset, a DuckDB "
        "relation, any object with __arrow_c_stream__, or the columns one by one"
    )


def _family_of(data: Any) -> Family:
    if _is(data, "pandas", "DataFrame"):
        return "pandas"
    if _is(data, "polars", "DataFrame", "LazyFrame"):
        return "polars"
    return "arrow"


def _names_only(columns: list[str]) -> pa.Table:
    """An empty table with just these column names, so that a missing column is
    reported (ColumnNotFoundError, listing them) whatever the other columns hold."""
    return pa.table({c: pa.nulls(0) for c in columns})


def rows_hint(stream: Any) -> int | None:
    """The number of rows of an in-memory input, so the core reserves memory once."""
    if isinstance(stream, pa.Table):
        return stream.num_rows
    if _is(stream, "polars", "DataFrame"):
        return int(stream.height)
    return None


def _default(role: str) -> str:
    return {"customer": "customer_id"}.get(role, role)


def _ordered(table: pa.Table, labels: Mapping[str, Sequence[str]]) -> pa.Table:
    """Label columns as ordered dictionaries with every category, in spec order (CV7)."""
    for name, categories in labels.items():
        i = table.schema.get_field_index(name)
        col = table.column(i)
        dictionary = pa.array(list(categories), pa.string())
        index = pa.int8() if len(categories) <= 127 else pa.int16()
        typ = pa.dictionary(index, pa.string(), ordered=True)
        chunks = [
            pa.DictionaryArray.from_arrays(c.indices.cast(index), dictionary, ordered=True)
            for c in col.chunks
        ]
        for c in col.chunks:
            if c.dictionary.to_pylist() != list(categories):
                raise AssertionError(f"internal: categories of {name} differ from {categories}")
        table = table.set_column(
            i, pa.field(name, typ, nullable=False), pa.chunked_array(chunks, typ)
        )
    return table


def finish(
    table: pa.Table,
    family: Family,
    labels: Mapping[str, Sequence[str]],
    pandas_dtypes: Mapping[str, Any] | None = None,
) -> Any:
    """The result in the input's family, with ordered categoricals for the labels:
    pandas ordered ``Categorical``, polars ``Enum``, Arrow ordered dictionary.
    ``pandas_dtypes`` restores input dtypes of pandas columns (CV7)."""
    table = _ordered(table, labels)
    if family == "arrow":
        return table
    if family == "pandas":
        df = table.to_pandas(date_as_object=False)
        for name, dtype in (pandas_dtypes or {}).items():
            if dtype is not None and df[name].dtype != dtype:
                df[name] = df[name].astype(dtype)
        return df
    import polars as pl

    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    return df.with_columns([pl.col(n).cast(pl.Enum(list(c))) for n, c in labels.items()])
