"""Command line: ``custseg demo``, ``custseg cv INPUT... -o OUT``, ``custseg rfm INPUT... -o OUT``,
``custseg clv INPUT... -o OUT``, ``custseg history INPUT... -o OUT`` and ``custseg migration
INPUT... -o OUT`` (API: command line).

Bad input, a bad input file included, gives a one-line error on stderr and
exit code 2 (``-v`` adds the exception chain); Ctrl-C exits with 130 and
SIGTERM with 143, through the same clean path: spill files removed, an earlier
output left as it was, no partial output (issue 18).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

from custseg._cli_history import add_commands as _add_history_commands
from custseg._cli_io import explain, open_data, read_segments, with_progress
from custseg._cli_report import (
    print_clv_summary,
    print_cv_summary,
    print_rfm_summary,
    write_output,
)

__all__ = ["main", "parser", "with_progress"]

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler stopping the job) raised as an interrupt, so it takes
    Ctrl-C's clean path: the core cancels the run and removes its spill files,
    and the output's temporary file is removed (issue 18)."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` while the command runs (in the main
    thread only, where Python runs signal handlers); the old handler after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


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


def _months(text: str) -> tuple[int, ...]:
    import custseg as cs

    try:
        return tuple(int(m) for m in text.split(","))
    except ValueError:
        raise cs.ConfigError(
            f"--sales-months must be months 1 to 12 separated by commas, got {text!r} (rule CV5)"
        ) from None


def _cv_kwargs(args: argparse.Namespace, as_of: bool = True) -> dict[str, Any]:
    return dict(
        **_common_kwargs(args, as_of),
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
    print_cv_summary(cv, report, seconds)
    write_output(cv, args.output)
    print(f"\nsegments written to {os.path.abspath(args.output)}")
    return 0


def _common_kwargs(args: argparse.Namespace, as_of: bool = True) -> dict[str, Any]:
    """The options that ``cv``, ``rfm`` and ``clv`` share (columns, I2, I3, I4, memory)."""
    return dict(
        customer=args.customer,
        date=args.date,
        amount=args.amount,
        order=args.order,
        **({"as_of": args.as_of} if as_of else {}),
        on_invalid=args.on_invalid,
        count_zero_days=args.count_zero_days,
        memory_limit=None if args.memory_limit.lower() == "none" else args.memory_limit,
        spill_dir=args.spill_dir,
        threads=args.threads,
        return_report=True,
    )


def cmd_cv(args: argparse.Namespace) -> int:
    import custseg as cs

    data = open_data(args)
    t = time.perf_counter()
    cv, report = cs.customer_value(data, **_cv_kwargs(args))
    seconds = time.perf_counter() - t
    write_output(cv, args.output)
    if not args.quiet:
        print_cv_summary(cv, report, seconds)
        print(f"written to {os.path.abspath(args.output)}")
    return 0


def _rfm_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return dict(
        **_common_kwargs(args),
        bins=args.bins,
        monetary=args.monetary,
        segments=read_segments(args.segments) if args.segments else None,
    )


def cmd_rfm(args: argparse.Namespace) -> int:
    import custseg as cs

    kwargs = _rfm_kwargs(args)
    data = open_data(args)
    t = time.perf_counter()
    result, report = cs.rfm(data, **kwargs)
    seconds = time.perf_counter() - t
    write_output(result, args.output)
    if not args.quiet:
        print_rfm_summary(result, report, seconds, args.monetary)
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


def _clv_cuts(args: argparse.Namespace) -> tuple[float, ...]:
    """The CLV2 cut points of --cuts, or of --tiers, its deprecated old name."""
    import custseg as cs

    if args.tiers is not None and args.cuts is not None:
        raise cs.ConfigError("pass --cuts or the deprecated --tiers, not both (rule CLV2)")
    if args.tiers is not None:
        return _floats(args.tiers, "--tiers", "CLV2")
    return _floats(args.cuts or "0.2,0.8", "--cuts", "CLV2")


def _clv_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return dict(
        **_common_kwargs(args),
        periods=_periods(args),
        lifetime_years=args.lifetime_years,
        cuts=_clv_cuts(args),
        value_threshold=args.value_threshold,
        loyalty_threshold=args.loyalty_threshold,
        tenure_threshold=args.tenure_threshold,
    )


def cmd_clv(args: argparse.Namespace) -> int:
    import custseg as cs

    kwargs = _clv_kwargs(args)
    data = open_data(args)
    t = time.perf_counter()
    result, report = cs.clv(data, **kwargs)
    seconds = time.perf_counter() - t
    write_output(result, args.output)
    if not args.quiet:
        print_clv_summary(result, report, seconds, args.lifetime_years is not None)
        print(f"written to {os.path.abspath(args.output)}")
    return 0


def _add_columns(p: argparse.ArgumentParser, as_of: bool = True) -> None:
    p.add_argument("inputs", nargs="+", help="Parquet, CSV or Arrow IPC files, folders or globs")
    p.add_argument("-o", "--output", required=True, help="output file: .parquet, .csv or .arrow")
    p.add_argument(
        "--format",
        choices=["parquet", "csv", "ipc"],
        help="input format (default: from the suffix)",
    )
    p.add_argument("--delimiter", default=",", help="CSV delimiter (default ',')")
    p.add_argument(
        "--decimal", default=".", help="CSV decimal mark, e.g. ',' for 12,50 (default '.')"
    )
    p.add_argument(
        "--date-format",
        default=None,
        help="CSV date format, e.g. %%d/%%m/%%Y (default: ISO dates and date-times)",
    )
    p.add_argument(
        "--customer", default="customer_id", help="customer column (default customer_id)"
    )
    p.add_argument("--date", default="date", help="date column (default date)")
    p.add_argument("--amount", default="amount", help="amount column (default amount)")
    p.add_argument("--order", default=None, help="optional order-id column (I2)")
    if as_of:
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
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads of the run (default: all cores; results never depend on it, I5)",
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
    _add_cv(c)
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
    v.add_argument(
        "--cuts", default=None, help="two cut points of clv_tier (CLV2; default 0.2,0.8)"
    )
    v.add_argument("--tiers", default=None, help="deprecated: the old name of --cuts")
    v.add_argument(
        "--value-threshold", type=float, default=None, help="high value from this clv (CLV3)"
    )
    v.add_argument(
        "--loyalty-threshold",
        type=float,
        default=None,
        help="high loyalty from this loyalty (CLV3; default: the medians)",
    )
    v.add_argument(
        "--tenure-threshold",
        type=float,
        default=None,
        help="long relationship from this tenure in years (CLV3a; default: the median)",
    )
    v.set_defaults(func=cmd_clv)
    _add_history_commands(sub, _add_columns, _add_cv)
    return ap


def _add_cv(p: argparse.ArgumentParser) -> None:
    """The options of the Customer Value segmentation (P1, CV5)."""
    _add_periods(p)
    p.add_argument("--sales-only", action="store_true", help="put sales-only buyers in 0 SOL (CV5)")
    p.add_argument("--sales-months", default="1,7", help="sales months, e.g. 1,7 (CV5)")
    p.add_argument("--sales-lookback", type=int, default=4, help="periods counted back (CV5)")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s"
    )
    import pyarrow as pa

    import custseg as cs

    with _sigterm_as_interrupt():
        try:
            if args.command in ("history", "migration"):
                return int(args.func(args, _cv_kwargs(args, as_of=False)))
            return int(args.func(args))
        except (cs.CustsegError, pa.ArrowException, OSError) as e:
            message, detail = explain(args, e)
            first, *more = message.splitlines() or [""]  # one line, whatever pyarrow says
            print(f"custseg: error: {first}" + (" (more with -v)" if more else ""), file=sys.stderr)
            if args.verbose:  # the chain (pyarrow's own error, say) for a bug report
                traceback.print_exception(detail, file=sys.stderr)
            return EXIT_BAD_INPUT
        except Terminated:
            print("custseg: terminated", file=sys.stderr)
            return EXIT_TERMINATED
        except KeyboardInterrupt:
            print("custseg: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
