"""The command line's files: inputs (Parquet, CSV or Arrow IPC files, folders
or globs) read as one stream that knows which file each row comes from
(:class:`custseg._files.FileStream`), with a progress line on a terminal; RFM
rules tables (R3) read from CSV or JSON. A bad input file (unreadable, or with
columns that disagree with the other files') is a one-line
:class:`custseg.InputError` naming the file and row (issue 18)."""

from __future__ import annotations

import argparse
import contextlib
import csv
import glob
import json
import sys
from pathlib import Path
from typing import Any

from custseg._files import FileStream, cannot_read


def expand(inputs: list[str]) -> list[str]:
    files: list[str] = []
    for item in inputs:
        matches = (
            sorted(glob.glob(item, recursive=True)) if any(c in item for c in "*?[") else [item]
        )
        if not matches:
            raise FileNotFoundError(f"no file matches {item!r}")
        for m in matches:
            p = Path(m)
            if p.is_dir():
                files.extend(
                    str(f)
                    for f in sorted(p.rglob("*"))
                    if f.is_file() and not f.name.startswith((".", "_"))
                )
            elif p.exists():
                files.append(str(p))
            else:
                raise FileNotFoundError(f"input {m!r} does not exist")
    if not files:  # an empty folder, say
        skipped = "names starting with . or _ are skipped"
        raise FileNotFoundError(f"no input files in {', '.join(map(repr, inputs))} ({skipped})")
    return files


def format_of(path: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".arrow", ".ipc", ".feather"):
        return "ipc"
    return "parquet"


def file_format(args: argparse.Namespace, first: str) -> Any:
    """The pyarrow file format of the inputs (``first`` is the first file). CSV:
    ``--decimal`` is the decimal mark of the numbers (``","`` for ``12,50``);
    ``--date-format`` (strftime, e.g. ``%d/%m/%Y``) reads the date column in that
    format (ISO dates need none). A UTF-8 byte-order mark is skipped and a quoted
    delimiter is data, as in any CSV reader (issue 18)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.dataset as ds

    kind = format_of(first, args.format)
    if kind != "csv":
        return kind
    sep = "\t" if first.endswith(".tsv") and args.delimiter == "," else args.delimiter
    convert = pcsv.ConvertOptions(decimal_point=args.decimal)
    if args.date_format:
        convert.timestamp_parsers = [args.date_format]
        convert.column_types = {args.date: pa.timestamp("s")}
    return ds.CsvFileFormat(parse_options=pcsv.ParseOptions(delimiter=sep), convert_options=convert)


def schemas_of(files: list[str], fmt: Any) -> list[Any]:
    """Each file's own schema (its footer; a CSV's first block), so a file that
    cannot be opened is named before any row is read."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    try:
        fragments = list(ds.dataset(files, format=fmt).get_fragments())
    except (pa.ArrowException, OSError):
        fragments = []  # the dataset reads the first file: found below, file by file
    out = []
    for i, path in enumerate(files):
        try:
            out.append(
                fragments[i].physical_schema if fragments else ds.dataset(path, format=fmt).schema
            )
        except (pa.ArrowException, OSError) as e:
            raise cannot_read(path, e, fmt) from e
    return out


def _kind(t: Any, amount: bool) -> str:
    """Types of one kind can be read together, widened as Arrow does (int32 and
    int64; float and decimal amounts). An id never turns into a float."""
    import pyarrow as pa

    t = t.value_type if pa.types.is_dictionary(t) else t
    if pa.types.is_integer(t):
        return "number" if amount else "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "text"
    if pa.types.is_timestamp(t):
        return f"timestamp {t.tz}"  # another zone puts a row on another day (I1)
    return "date" if pa.types.is_date(t) else str(t)


def _agreed_type(name: str, amount: bool, files: list[str], schemas: list[Any], fmt: Any) -> Any:
    """The type of column ``name`` that every file can be read as."""
    import pyarrow as pa

    import custseg as cs

    out, first = pa.null(), ""
    for path, schema in zip(files, schemas, strict=True):
        t = schema.field(name).type
        if not isinstance(fmt, str) and pa.types.is_binary(t):
            raise not_utf8(path, name, fmt)  # a CSV column that is not UTF-8 text
        if pa.types.is_null(t) or t == out:
            continue  # a CSV column with no value in its first block says nothing
        merged = None
        if pa.types.is_null(out):
            merged, first = t, path
        elif _kind(t, amount) == _kind(out, amount):
            with contextlib.suppress(pa.ArrowException):
                both = [pa.schema([(name, out)]), pa.schema([(name, t)])]
                merged = pa.unify_schemas(both, promote_options="permissive").field(0).type
        if merged is None:
            raise cs.InputError(
                f"{path}: column '{name}' is {t}, but {out} in {first}: files read together "
                "need the same column types"
            )
        out = merged
    return out


def not_utf8(path: str, name: str, fmt: Any) -> Exception:
    """The error of a CSV column that is not UTF-8 text (Latin-1, say), at its
    first such row (read again to find it: an error path)."""
    import pyarrow.dataset as ds

    import custseg as cs

    fix = "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
    row = 0
    for batch in ds.dataset(path, format=fmt).to_batches(columns=[name]):
        for k, value in enumerate(batch.column(0).to_pylist()):
            try:
                _ = value is None or value.decode("utf-8")
            except UnicodeDecodeError:
                return cs.InputError(
                    f"cannot read {path}: column '{name}' at row {row + k} (line {row + k + 2}) "
                    f"is not UTF-8 text: {value!r}; {fix}"
                )
        row += batch.num_rows
    return cs.InputError(f"cannot read {path}: column '{name}' is not UTF-8 text; {fix}")


def agreed_schema(
    files: list[str], schemas: list[Any], roles: dict[str, str | None], fmt: Any
) -> Any:
    """The schema of the needed columns (``roles``: role to column name) that every
    file is read with; None when one is in no file (the core names it and lists the
    others). Files read together must hold the same needed columns, with types of
    one kind (see ``_kind``); a set of CSV files with only headers is an error,
    since the columns have no type (issue 18)."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    import custseg as cs

    fields: list[tuple[str, Any]] = []
    for role, name in roles.items():
        if name is None or name in dict(fields):
            continue  # no order column; one column in two roles
        lacking = [f for f, s in zip(files, schemas, strict=True) if name not in s.names]
        if len(lacking) == len(files):
            return None
        if lacking:
            having = next(f for f, s in zip(files, schemas, strict=True) if name in s.names)
            raise cs.InputError(
                f"{lacking[0]} has no column '{name}' ({role}), which {having} has: files "
                "read together need the same columns"
            )
        fields.append((name, _agreed_type(name, role == "amount", files, schemas, fmt)))
    schema = pa.schema(fields)
    untyped = any(pa.types.is_null(t) for t in schema.types)  # CSV columns without values
    if untyped and not ds.dataset(files, format=fmt).count_rows():
        only = f"{files[0]} has" if len(files) == 1 else f"the {len(files)} files have"
        raise cs.InputError(f"no rows to read: {only} only a header")
    return schema


def with_progress(dataset: Any, columns: list[str], out: Any, every: float = 0.25) -> Any:
    """A stream of ``columns`` of a dataset, with the rows read so far on ``out``."""
    return FileStream(dataset, columns, progress=out, every=every).reader()


def open_data(args: argparse.Namespace) -> Any:
    """The input files as one stream of the needed columns (a progress line on a
    terminal); the stream is kept as ``args.input_stream`` for main to explain errors.
    It is the FileStream itself, not its reader, so that the core learns the row
    count of Parquet and IPC files from their metadata (``rows_hint``)."""
    import pyarrow.dataset as ds

    files = expand(args.inputs)
    fmt = file_format(args, files[0])
    roles = {"customer": args.customer, "date": args.date, "amount": args.amount}
    schema = agreed_schema(files, schemas_of(files, fmt), {**roles, "order": args.order}, fmt)
    dataset = ds.dataset(files, format=fmt, schema=schema)
    if schema is None:
        return dataset  # a column in no file: the core names it and lists the others
    show = sys.stderr if sys.stderr.isatty() and not args.quiet else None  # none in logs
    args.input_stream = FileStream(dataset, schema.names, progress=show)
    return args.input_stream


def explain(args: argparse.Namespace, error: BaseException) -> tuple[str, BaseException]:
    """The one-line message of ``error`` and the exception ``-v`` shows in full."""
    stream = getattr(args, "input_stream", None)
    return stream.explain(error) if stream is not None else (str(error), error)


def read_segments(path: str) -> list[dict[str, Any]]:
    """An RFM rules table (R3) from a CSV file with the columns ``segment,r,f,m`` or a JSON
    file holding a list of objects with those keys; ``r``, ``f``, ``m`` are ranges such as
    ``"3-5"`` (or one score). The rows keep the file's order (first match wins).

    Raises:
        custseg.ConfigError: the file cannot be parsed or lacks a column / key.
    """
    import custseg as cs

    def bad(why: str) -> cs.ConfigError:
        return cs.ConfigError(f"--segments {path}: {why} (rule R3)")

    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise bad(f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    if Path(path).suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as e:
            raise bad(f"not valid JSON ({e})") from None
        if isinstance(records, dict) and isinstance(records.get("segments"), list):
            records = records["segments"]
        if not isinstance(records, list):
            raise bad("give a JSON list of objects with the keys segment, r, f, m")
    else:
        reader = csv.DictReader(text.splitlines())
        header = [(h or "").strip() for h in reader.fieldnames or []]
        missing = [k for k in ("segment", "r", "f", "m") if k not in header]
        if missing:
            raise bad(f"the columns segment, r, f, m are needed; missing {', '.join(missing)}")
        reader.fieldnames = header
        records = [
            {k: (v or "").strip() for k, v in row.items() if k in ("segment", "r", "f", "m")}
            for row in reader
            if any((v or "").strip() for v in row.values() if isinstance(v, str))
        ]
    if not records:
        raise bad("no rules in the file")
    for i, rec in enumerate(records):
        if not isinstance(rec, dict) or not {"segment", "r", "f", "m"} <= set(rec):
            raise bad(f"rule {i} must have segment, r, f, m; got {rec!r}")
    return records
