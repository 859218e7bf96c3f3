"""Command line of the segments over time (rule CV8): ``custseg history
INPUT... -o OUT`` and ``custseg migration INPUT... -o OUT``, with the options
of ``custseg cv`` (but ``--as-of``) and ``--start``/``--end``."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

from custseg._cli_io import open_data
from custseg._cli_report import write_output


def add_commands(
    sub: Any,
    add_columns: Callable[..., None],
    add_cv: Callable[[argparse.ArgumentParser], None],
) -> None:
    """The ``history`` and ``migration`` sub-commands."""
    h = sub.add_parser("history", help="Customer Value at every period start of a range (CV8)")
    add_columns(h, as_of=False)
    add_cv(h)
    _add_range(h)
    h.set_defaults(func=cmd_history)

    m = sub.add_parser(
        "migration", help="customers moving between segments from period to period (CV8)"
    )
    add_columns(m, as_of=False)
    add_cv(m)
    _add_range(m)
    m.add_argument(
        "--by",
        default="cv_group,cv_segment",
        help="label column(s) joined into one segment (default cv_group,cv_segment)",
    )
    m.set_defaults(func=cmd_migration)


def _add_range(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--start", default=None, help="first period start YYYY-MM-DD (default: from the data)"
    )
    p.add_argument(
        "--end", default=None, help="last period start YYYY-MM-DD (default: from the data)"
    )


def cmd_history(args: argparse.Namespace, kwargs: dict[str, Any]) -> int:
    import custseg as cs

    data = open_data(args)
    t = time.perf_counter()
    hist, report = cs.customer_value_history(data, start=args.start, end=args.end, **kwargs)
    seconds = time.perf_counter() - t
    write_output(hist, args.output)
    if not args.quiet:
        _print_history(hist, report, seconds)
        print(f"written to {os.path.abspath(args.output)}")
    return 0


def cmd_migration(args: argparse.Namespace, kwargs: dict[str, Any]) -> int:
    import custseg as cs

    kwargs.pop("return_report")
    data = open_data(args)
    by = tuple(b.strip() for b in args.by.split(","))
    t = time.perf_counter()
    moves = cs.migration(data=data, by=by, start=args.start, end=args.end, **kwargs)
    seconds = time.perf_counter() - t
    write_output(moves, args.output)
    if not args.quiet:
        pairs = len(set(moves.column("from_period").to_pylist()))
        print(f"{moves.num_rows:,} moves over {pairs} pairs of period starts in {seconds:.2f} s")
        print(f"written to {os.path.abspath(args.output)}")
    return 0


def _print_history(hist: Any, report: Any, seconds: float) -> None:
    """Customers per period start and group."""
    import pyarrow.compute as pc

    days = sorted(set(hist.column("period_start").to_pylist()))
    groups = hist.column("cv_group").combine_chunks().dictionary.to_pylist()
    print(f"{report.rows_read:,} rows, {len(days)} period starts, {seconds:.2f} s\n")
    print("period_start " + " ".join(f"{g:>8}" for g in groups))
    for d in days:
        rows = hist.filter(pc.equal(hist.column("period_start"), d))
        counts = rows.column("cv_group").combine_chunks().value_counts().to_pylist()
        by = {c["values"]: c["counts"] for c in counts}
        print(f"{d}   " + " ".join(f"{by.get(g, 0):>8,}" for g in groups))
