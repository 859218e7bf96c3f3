"""Command line: ``custseg demo``, ``custseg cv INPUT... -o OUT``, ``custseg rfm INPUT... -o OUT``
and ``custseg clv INPUT... -o OUT`` (API: command line).

Bad input gives a one-line error on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2


def _periods(args: argparse.Namespace) -> Any:
    import custseg as cs

    if args.boundaries:
        return cs.Periods.from_boundaries([b.strip() for b in args.boundaries.split(",")])
    if args.anchor:
        months = {"annual": 12, "semiannual": 6, "quarterly": 3, "monthly": 1}[args.period]
        return cs.Periods(months=months, anchor=args.anchor)
    if args.period == "monthly":
        return cs.Periods.monthly()
    return getattr(cs.Periods, args.period)(start_month=args.start_month)


def _expand(inputs: list[str]) -> list[str]:
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


def _format_of(path: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".arrow", ".ipc", ".feather"):
        return "ipc"
    return "parquet"


def open_input(inputs: list[str], fmt: str | None = None, delimiter: str = ",") -> Any:
    """A pyarrow dataset over Parquet, CSV or Arrow IPC files, folders or globs.

    The dataset is read as a stream of record batches."""
    import pyarrow.csv as pcsv
    import pyarrow.dataset as ds

    files = _expand(inputs)
    kind = _format_of(files[0], fmt)
    if kind == "csv":
        sep = "\t" if files[0].endswith(".tsv") and delimiter == "," else delimiter
        return ds.dataset(
            files, format=ds.CsvFileFormat(parse_options=pcsv.ParseOptions(delimiter=sep))
        )
    return ds.dataset(files, format=kind)


def write_output(table: Any, out: str) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    kind = _format_of(out, None)
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


def _print_summary(cv: Any, report: Any, seconds: float) -> None:
    import custseg as cs

    s = cs.segment_summary(cv)
    print(f"{'cv_group':<9} {'cv_segment':<10} {'customers':>10} {'cust %':>7} {'monetary %':>10}")
    for row in s.to_pylist():
        print(
            f"{row['cv_group']:<9} {row['cv_segment']:<10} {row['customers']:>10,} "
            f"{100 * row['customer_share']:>6.1f}% {100 * row['monetary_share']:>9.1f}%"
        )
    print(_report_line(report, seconds))


def _months(text: str) -> tuple[int, ...]:
    import custseg as cs

    try:
        return tuple(int(m) for m in text.split(","))
    except ValueError:
        raise cs.ConfigError(
            f"--sales-months must be months 1 to 12 separated by commas, got {text!r} (rule CV5)"
        ) from None


def _cv_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return dict(
        **_common_kwargs(args),
        periods=_periods(args),
        sales_only=args.sales_only,
        sales_months=_months(args.sales_months),
        sales_lookback=args.sales_lookback,
    )


def cmd_demo(args: argparse.Namespace) -> int:
    import custseg as cs

    t = time.perf_counter()
    tx = cs.datasets.synthetic(customers=args.customers, years=args.years, seed=args.seed)
    print(
        f"synthetic data: {tx.num_rows:,} transaction lines of {args.customers:,} customers "
        f"over {args.years} years ({time.perf_counter() - t:.2f} s)"
    )
    periods = cs.Periods.semiannual(start_month=1)
    t = time.perf_counter()
    cv, report = cs.customer_value(tx, periods=periods, as_of="2026-01-01", return_report=True)
    seconds = time.perf_counter() - t
    print("Customer Value segmentation at 2026-01-01 (seasons from January and July):\n")
    _print_summary(cv, report, seconds)
    write_output(cv, args.output)
    print(f"\nsegments written to {os.path.abspath(args.output)}")
    return 0


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


def _open_data(args: argparse.Namespace) -> Any:
    """The input files as a pyarrow dataset, or a stream with a progress line on a terminal."""
    data = open_input(args.inputs, args.format, args.delimiter)
    columns = [c for c in (args.customer, args.date, args.amount, args.order) if c]
    if sys.stderr.isatty() and not args.quiet and all(c in data.schema.names for c in columns):
        data = with_progress(
            data, columns, sys.stderr
        )  # a progress line on a terminal, none in logs
    return data


def _common_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The options that ``cv``, ``rfm`` and ``clv`` share (columns, I2, I3, I4, memory)."""
    return dict(
        customer=args.customer,
        date=args.date,
        amount=args.amount,
        order=args.order,
        as_of=args.as_of,
        on_invalid=args.on_invalid,
        count_zero_days=args.count_zero_days,
        memory_limit=None if args.memory_limit.lower() == "none" else args.memory_limit,
        spill_dir=args.spill_dir,
        return_report=True,
    )


def _report_line(report: Any, seconds: float) -> str:
    spilled = (
        f", {report.bytes_spilled / 1e9:.2f} GB spilled to disk" if report.bytes_spilled else ""
    )
    return (
        f"{report.customers:,} customers from {report.rows_used:,} rows "
        f"(as_of {report.as_of}, {seconds:.2f} s{spilled})"
    )


def cmd_cv(args: argparse.Namespace) -> int:
    import custseg as cs

    data = _open_data(args)
    t = time.perf_counter()
    cv, report = cs.customer_value(data, **_cv_kwargs(args))
    seconds = time.perf_counter() - t
    write_output(cv, args.output)
    if not args.quiet:
        _print_summary(cv, report, seconds)
        print(f"written to {os.path.abspath(args.output)}")
    return 0


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


def _rfm_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return dict(
        **_common_kwargs(args),
        bins=args.bins,
        monetary=args.monetary,
        segments=read_segments(args.segments) if args.segments else None,
    )


def _share_table(labels: Any, title: str, columns: list[tuple[str, Any]]) -> list[str]:
    """Lines of a small table: one row per label present (category order), the customer
    count and share, then a share column per (name, values) in ``columns``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = labels.combine_chunks() if hasattr(labels, "combine_chunks") else labels
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
    names = col.dictionary.cast(pa.string()).to_pylist()
    codes = col.indices.to_numpy(zero_copy_only=False)
    n = max(len(codes), 1)
    width = max([len(title), *(len(x) for x in names)])
    head = f"{title:<{width}} {'customers':>10} {'cust %':>7}"
    head += "".join(f" {name:>{max(len(name), 8)}}" for name, _ in columns)
    lines = [head]
    totals = [float(values.sum()) for _, values in columns]
    for code, name in enumerate(names):
        mask = codes == code
        count = int(mask.sum())
        if not count:
            continue
        line = f"{name:<{width}} {count:>10,} {100 * count / n:>6.1f}%"
        for (label, values), total in zip(columns, totals, strict=True):
            share = 100 * float(values[mask].sum()) / total if total else float("nan")
            line += f" {share:>{max(len(label), 8) - 1}.1f}%"
        lines.append(line)
    return lines


def _print_rfm_summary(result: Any, report: Any, seconds: float, monetary: str) -> None:
    revenue = result["monetary"].to_numpy()
    if monetary == "mean":  # R1: the mean per purchase event, times the events
        revenue = revenue * result["frequency"].to_numpy()
    for line in _share_table(result["rfm_segment"], "rfm_segment", [("revenue %", revenue)]):
        print(line)
    print(_report_line(report, seconds))


def cmd_rfm(args: argparse.Namespace) -> int:
    import custseg as cs

    kwargs = _rfm_kwargs(args)
    data = _open_data(args)
    t = time.perf_counter()
    result, report = cs.rfm(data, **kwargs)
    seconds = time.perf_counter() - t
    write_output(result, args.output)
    if not args.quiet:
        _print_rfm_summary(result, report, seconds, args.monetary)
        print(f"written to {os.path.abspath(args.output)}")
    return 0


def _floats(text: str, option: str, rule: str) -> tuple[float, ...]:
    import custseg as cs

    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise cs.ConfigError(
            f"{option} must be numbers separated by commas, got {text!r} (rule {rule})"
        ) from None


def _clv_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return dict(
        **_common_kwargs(args),
        periods=_periods(args),
        lifetime_years=args.lifetime_years,
        tiers=_floats(args.tiers, "--tiers", "CLV2"),
        value_threshold=args.value_threshold,
        loyalty_threshold=args.loyalty_threshold,
    )


def _print_clv_summary(result: Any, report: Any, seconds: float, given: bool) -> None:
    import numpy as np

    aov = result["aov"].to_numpy()
    per_year = result["purchases_per_year"].to_numpy()
    tenure = result["tenure_years"].to_numpy()
    # CLV1: events = purchases_per_year x max(tenure_years, 1); revenue = aov x events.
    revenue = aov * np.rint(per_year * np.maximum(tenure, 1.0))
    clv = result["clv"].to_numpy()
    for line in _share_table(
        result["clv_tier"], "clv_tier", [("revenue %", revenue), ("clv %", clv)]
    ):
        print(line)
    if result.num_rows:
        lifetime = result["lifetime_years"][0].as_py()
        how = "given" if given else "1 / yearly churn"
        print(f"lifetime_years {lifetime:.3g} ({how})")
    print(_report_line(report, seconds))


def cmd_clv(args: argparse.Namespace) -> int:
    import custseg as cs

    kwargs = _clv_kwargs(args)
    data = _open_data(args)
    t = time.perf_counter()
    result, report = cs.clv(data, **kwargs)
    seconds = time.perf_counter() - t
    write_output(result, args.output)
    if not args.quiet:
        _print_clv_summary(result, report, seconds, args.lifetime_years is not None)
        print(f"written to {os.path.abspath(args.output)}")
    return 0


def _add_columns(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", help="Parquet, CSV or Arrow IPC files, folders or globs")
    p.add_argument("-o", "--output", required=True, help="output file: .parquet, .csv or .arrow")
    p.add_argument(
        "--format",
        choices=["parquet", "csv", "ipc"],
        help="input format (default: from the suffix)",
    )
    p.add_argument("--delimiter", default=",", help="CSV delimiter (default ',')")
    p.add_argument(
        "--customer", default="customer_id", help="customer column (default customer_id)"
    )
    p.add_argument("--date", default="date", help="date column (default date)")
    p.add_argument("--amount", default="amount", help="amount column (default amount)")
    p.add_argument("--order", default=None, help="optional order-id column (I2)")
    p.add_argument(
        "--as-of", default=None, help="exclusive day YYYY-MM-DD (default: day after the data)"
    )
    p.add_argument("--on-invalid", choices=["raise", "drop"], default="raise")
    p.add_argument(
        "--count-zero-days", action="store_true", help="zero-total days are purchases (I2)"
    )
    p.add_argument(
        "--memory-limit",
        default="auto",
        help="bytes of transaction lines kept in memory before spilling to disk, e.g. 4GB "
        "(default auto: half the available memory; none: never spill)",
    )
    p.add_argument(
        "--spill-dir", default=None, help="folder for spill files (default: the temp folder)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def _add_periods(p: argparse.ArgumentParser, what: str = "periods (P1)") -> None:
    p.add_argument(
        "--period",
        choices=["annual", "semiannual", "quarterly", "monthly"],
        default="semiannual",
        help=f"{what}; default semiannual",
    )
    p.add_argument("--start-month", type=int, default=1, help="first month of a period (P1)")
    p.add_argument("--anchor", default=None, help="anchor day YYYY-MM-DD instead of --start-month")
    p.add_argument(
        "--boundaries", default=None, help="explicit boundaries: YYYY-MM-DD,YYYY-MM-DD,..."
    )


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="custseg", description="Customer segmentation of transaction tables"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="log the run reports")
    sub = ap.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="segment a synthetic customer base and write the result")
    d.add_argument("--customers", type=int, default=200_000)
    d.add_argument("--years", type=int, default=4)
    d.add_argument("--seed", type=int, default=42)
    d.add_argument("-o", "--output", default="custseg_demo_segments.parquet")
    d.set_defaults(func=cmd_demo)

    c = sub.add_parser("cv", help="Customer Value segmentation (spec section 2)")
    _add_columns(c)
    _add_periods(c)
    c.add_argument("--sales-only", action="store_true", help="put sales-only buyers in 0 SOL (CV5)")
    c.add_argument("--sales-months", default="1,7", help="sales months, e.g. 1,7 (CV5)")
    c.add_argument("--sales-lookback", type=int, default=4, help="periods counted back (CV5)")
    c.set_defaults(func=cmd_cv)

    r = sub.add_parser("rfm", help="RFM scores and segments (spec section 3)")
    _add_columns(r)
    r.add_argument("--bins", type=int, default=5, help="number of scores, 2 to 9 (R2)")
    r.add_argument(
        "--monetary",
        choices=["sum", "mean"],
        default="sum",
        help="net sum before as_of, or that sum per purchase event (R1)",
    )
    r.add_argument(
        "--segments",
        default=None,
        metavar="FILE",
        help="rules table (R3): CSV with columns segment,r,f,m or a JSON list of objects with "
        "those keys; r, f, m are score ranges such as 3-5; first match wins",
    )
    r.set_defaults(func=cmd_rfm)

    v = sub.add_parser("clv", help="simple customer lifetime value and tiers (spec section 4)")
    _add_columns(v)
    _add_periods(v, "calendar of the loyalty measure (CLV3)")
    v.add_argument(
        "--lifetime-years",
        type=float,
        default=None,
        help="expected lifetime (default: 1 / yearly churn, CLV1)",
    )
    v.add_argument("--tiers", default="0.2,0.8", help="two cut points of clv_tier (CLV2)")
    v.add_argument(
        "--value-threshold", type=float, default=None, help="high value from this clv (CLV3)"
    )
    v.add_argument(
        "--loyalty-threshold",
        type=float,
        default=None,
        help="high loyalty from this loyalty (CLV3; default: the medians)",
    )
    v.set_defaults(func=cmd_clv)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s"
    )
    import pyarrow as pa

    import custseg as cs

    try:
        return int(args.func(args))
    except (cs.CustsegError, FileNotFoundError, pa.ArrowException, OSError) as e:
        print(f"custseg: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("custseg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
