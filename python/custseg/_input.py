"""Inputs as users hold them (API: pandas, polars, Arrow, DuckDB, any Arrow
stream, or the columns one by one) turned into an Arrow C stream holding only
the needed columns: it crosses into Rust through the PyCapsule interface,
numeric columns without a copy. Also the one reading of dates given as
options (``as_of``, I3)."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import numpy as np
import pyarrow as pa

from custseg._files import FileStream
from custseg._frames import Family, arrow_table, family_of, is_a
from custseg.errors import ColumnNotFoundError, ConfigError, UnsupportedTypeError

_EPOCH = _dt.date(1970, 1, 1)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


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
    if is_a(value, "numpy", "datetime64"):
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


# What converting a pandas column can raise: pyarrow's errors, and from object
# columns Python's own (an int of 2**63 or more: OverflowError; a zoned
# Timestamp whose local day is before year 1: NotImplementedError). Found by
# the API fuzz harness (issue 18); each becomes an error naming the column.
_CONVERSION_ERRORS = (
    pa.ArrowInvalid,
    pa.ArrowTypeError,
    pa.ArrowNotImplementedError,
    OverflowError,
    NotImplementedError,
)


def from_pandas_column(s: Any) -> pa.Array:
    """One pandas column as Arrow. NaN in a numpy float column stays NaN (an
    invalid amount, I4) instead of becoming null as in ``Table.from_pandas``;
    numpy numeric columns are not copied. A column that cannot be converted is
    an UnsupportedTypeError naming it (I4)."""
    try:
        if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f":
            return pa.array(s.to_numpy(), from_pandas=False)
        return pa.Array.from_pandas(s)
    except _CONVERSION_ERRORS as e:
        raise UnsupportedTypeError(
            f"column '{s.name}' cannot be read as Arrow: {e} (rule I4)"
        ) from None


def _from_arrays(arrays: dict[str, Any]) -> tuple[pa.Table, Family]:
    """Columns passed one by one (numpy arrays, pandas/polars Series, pyarrow arrays)."""
    family: Family = "arrow"
    cols = {}
    for name, a in arrays.items():
        if is_a(a, "pandas", "Series", "Index"):
            family = "pandas"
            cols[name] = from_pandas_column(a)
        elif is_a(a, "polars", "Series"):
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
    if data is not None and is_a(data, "pandas", "DataFrame") and out_names["customer"] in data:
        column = data[out_names["customer"]]
    dtype = column.dtype if is_a(column, "pandas", "Series", "Index") else None
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
    wanted = list(dict.fromkeys(c for c in names.values() if c is not None))
    if is_a(data, "polars", "LazyFrame"):
        present = list(data.collect_schema().names())
        if not all(c in present for c in wanted):
            return _names_only(present), "polars", names
        return data.select(wanted).collect(), "polars", names
    present = _columns_of(data)
    if present is not None and not all(c in present for c in wanted):
        # A configured column is missing: the core names it and lists the others.
        return _names_only(present), family_of(data), names

    if is_a(data, "pandas", "DataFrame"):
        sub = data[wanted]
        table = pa.table({str(c): from_pandas_column(sub[c]) for c in sub.columns})
        return table, "pandas", names
    if is_a(data, "polars", "DataFrame"):
        return data.select(wanted), "polars", names
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return data.select(wanted), "arrow", names
    if is_a(data, "pyarrow.dataset", "Dataset"):
        cols = wanted if all(c in data.schema.names for c in wanted) else None
        return _dataset_stream(data, cols), "arrow", names
    if is_a(data, "duckdb", "DuckDBPyRelation"):
        return data.select(*[f'"{c}"' for c in wanted]), "arrow", names
    if hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__"):
        return data, "arrow", names
    raise UnsupportedTypeError(
        f"cannot read {type(data).__module__}.{type(data).__name__}: pass a pandas or polars "
        "DataFrame, a polars LazyFrame, a pyarrow Table/RecordBatchReader/Dataset, a DuckDB "
        "relation, any object with __arrow_c_stream__, or the columns one by one"
    )


def _dataset_stream(data: Any, columns: list[str] | None) -> Any:
    """A pyarrow dataset's needed columns (all when one is missing); a dataset of
    files as a FileStream, so that a file that cannot be read is named (issue 18)."""
    import pyarrow.dataset as ds

    if isinstance(data, ds.FileSystemDataset):
        return FileStream(data, columns)
    return data.scanner(columns=columns).to_reader()


def _names_only(columns: list[str]) -> pa.Table:
    """An empty table with just these column names, so that a missing column is
    reported (ColumnNotFoundError, listing them) whatever the other columns hold."""
    return pa.table({c: pa.nulls(0) for c in columns})


def rows_hint(stream: Any) -> int | None:
    """The number of rows of an in-memory input or of files whose metadata holds it,
    so the core reserves memory once."""
    if isinstance(stream, pa.Table):
        return stream.num_rows
    if isinstance(stream, FileStream):
        return stream.rows()
    if is_a(stream, "polars", "DataFrame"):
        return int(stream.height)
    return None


def _default(role: str) -> str:
    return {"customer": "customer_id"}.get(role, role)


def summary_frame(s: Any) -> Any:
    """pandas and polars frames as they are; anything else Arrow as a pyarrow Table."""
    if is_a(s, "pandas", "DataFrame") or is_a(s, "polars", "DataFrame"):
        return s
    if is_a(s, "polars", "LazyFrame"):
        return s.collect()
    if isinstance(s, pa.Table):
        return s
    if isinstance(s, pa.RecordBatch) or hasattr(s, "__arrow_c_stream__"):
        return arrow_table(s)
    raise TypeError(
        "the summary must be a pandas or polars DataFrame, a pyarrow Table or an Arrow "
        f"stream (for example the result of custseg.rfm_summary), got {type(s).__name__}"
    )


def number_column(frame: Any, name: str, role: str, where: str, rule: str) -> pa.Array:
    """One numeric column of ``frame`` (pandas, polars or a pyarrow Table) as a
    float64 Arrow array, nulls kept for the core to name."""
    columns = (
        [str(c) for c in frame.columns] if not isinstance(frame, pa.Table) else frame.column_names
    )
    if name not in columns:
        raise ColumnNotFoundError(
            f"column '{name}' ({role}) not found in {where} (rule {rule}); "
            f"available columns: {', '.join(columns)}"
        )
    if isinstance(frame, pa.Table):
        col: Any = frame.column(name)
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    elif is_a(frame, "pandas", "DataFrame"):
        col = from_pandas_column(frame[name])
    else:
        col = frame[name].to_arrow()
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
    if pa.types.is_dictionary(col.type) or not (
        pa.types.is_integer(col.type)
        or pa.types.is_floating(col.type)
        or pa.types.is_decimal(col.type)
        or pa.types.is_null(col.type)
    ):
        raise UnsupportedTypeError(
            f"column '{name}' ({role}) has unsupported type {col.type} (rule I4); accepted: numbers"
        )
    return col.cast(pa.float64())
