"""The command line's files: inputs (Parquet, CSV or Arrow IPC files, folders
or globs) read as a stream, with a progress line on a terminal; outputs
written by suffix; RFM rules tables (R3) read from CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import glob
import json
import sys
import time
from pathlib import Path
from typing import Any


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
    if not files:
        raise FileNotFoundError("no input files")
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


def open_input(
    inputs: list[str],
    fmt: str | None = None,
    delimiter: str = ",",
    *,
    decimal: str = ".",
    date_format: str | None = None,
    date_column: str | None = None,
) -> Any:
    """A pyarrow dataset over Parquet, CSV or Arrow IPC files, folders or globs, read as
    a stream of record batches. CSV: ``decimal`` is the decimal mark of the numbers
    (``","`` for ``12,50``); ``date_format`` (strftime, e.g. ``%d/%m/%Y``) reads
    ``date_column`` in that format (ISO dates need none: they are read as they are)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.dataset as ds

    files = expand(inputs)
    kind = format_of(files[0], fmt)
    if kind != "csv":
        return ds.dataset(files, format=kind)
    sep = "\t" if files[0].endswith(".tsv") and delimiter == "," else delimiter
    convert = pcsv.ConvertOptions(decimal_point=decimal)
    if date_format:
        convert.timestamp_parsers = [date_format]
        if date_column:
            convert.column_types = {date_column: pa.timestamp("s")}
    csv_format = ds.CsvFileFormat(
        parse_options=pcsv.ParseOptions(delimiter=sep), convert_options=convert
    )
    return ds.dataset(files, format=csv_format)


def write_output(table: Any, out: str) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    kind = format_of(out, None)
    if kind == "csv":
        plain = table
        for i, f in enumerate(table.schema):
            if str(f.type).startswith("dictionary"):
                plain = plain.set_column(i, f.name, table.column(i).cast("string"))
        pcsv.write_csv(plain, out)
    elif kind == "ipc":
        feather.write_feather(table, out)
    else:
        pq.write_table(table, out)


def with_progress(dataset: Any, columns: list[str], out: Any, every: float = 0.25) -> Any:
    """A stream over the needed ``columns`` of a pyarrow dataset that shows the
    rows read so far on ``out`` (a terminal), at most every ``every`` seconds."""
    import pyarrow as pa

    scanner = dataset.scanner(columns=columns)

    def batches() -> Any:
        done, last = 0, 0.0
        for batch in scanner.to_batches():
            done += batch.num_rows
            if time.monotonic() - last > every:
                out.write(f"\rcustseg: {done:,} rows read")
                out.flush()
                last = time.monotonic()
            yield batch
        out.write(f"\rcustseg: {done:,} rows read\n")
        out.flush()

    return pa.RecordBatchReader.from_batches(scanner.projected_schema, batches())


def open_data(args: argparse.Namespace) -> Any:
    """The input files as a pyarrow dataset, or a stream with a progress line on a terminal."""
    data = open_input(
        args.inputs,
        args.format,
        args.delimiter,
        decimal=args.decimal,
        date_format=args.date_format,
        date_column=args.date,
    )
    columns = [c for c in (args.customer, args.date, args.amount, args.order) if c]
    if sys.stderr.isatty() and not args.quiet and all(c in data.schema.names for c in columns):
        data = with_progress(
            data, columns, sys.stderr
        )  # a progress line on a terminal, none in logs
    return data


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

    with open(path, encoding="utf-8-sig", newline="") as f:
        text = f.read()
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
