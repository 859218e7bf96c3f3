#!/usr/bin/env python3
"""Benchmark: Customer Value over a generated stream larger than memory (issue 3).

    python benches/bench_stream.py [--rows 1G] [--memory-limit 2GB] [--spill-dir DIR]
        [--order grouped|by-date] [--batch-customers 100000] [--window-rows 16000000]
        [--history] [--years 4] [--threads N] [--json out.json]

The input is ``custseg.datasets.synthetic_stream`` (the synthetic table of
``bench_customer_value.py``: years=4, seed=42, int ids, ~9.75 rows per customer),
generated batch by batch while custseg reads it: the table is never held in memory.
``--order grouped`` (default) streams it grouped per customer, ``--batch-customers``
customers a batch; ``--order by-date`` as a transaction log ordered by date, in which
every customer is everywhere (the hard case for spilling), generated a window of about
``--window-rows`` rows at a time (every window generates the customers again: larger
windows take less time and more memory), in batches of at most 1M rows.
Two fresh subprocesses:

1. ``generate``: reads the stream to the end and throws every batch away, so the
   generator's own time and memory are known;
2. ``segment``: ``custseg.customer_value(stream, memory_limit=..., spill_dir=...)``;
   with ``--history``, ``custseg.customer_value_history`` instead (CV8), over the
   semiannual period starts from the first one after the data's first day to its end
   (2026-01-01).

Each prints wall time, rows per second and the process's peak RSS
(``ru_maxrss``); ``segment`` also prints the report (rows, customers, bytes
spilled). ``segment`` minus ``generate`` is custseg's share of the time. Exactness
of spilled runs against in-memory runs is checked by ``tests/test_spill.py``, and
at a size that fits in memory by ``--check`` (the same stream, memory_limit=None).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from typing import Any

ROWS_PER_CUSTOMER = 9.75
GIB = 1024**3


def parse_rows(text: str) -> int:
    t = text.strip().lower().replace("_", "")
    mult = {"k": 10**3, "m": 10**6, "g": 10**9}.get(t[-1:], 1)
    return int(float(t[:-1] if mult != 1 else t) * mult)


def peak_gib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * (1 if sys.platform == "darwin" else 1024) / GIB


def stream(args: argparse.Namespace) -> Any:
    import custseg as cs

    customers = int(parse_rows(args.rows) / ROWS_PER_CUSTOMER)
    return cs.datasets.synthetic_stream(
        customers=customers,
        years=args.years,
        seed=42,
        batch_customers=args.batch_customers,
        order=args.order,
        window_rows=args.window_rows,
    )


def history_span(years: int) -> dict[str, str]:
    """The boundaries of ``--history``: the data cover ``years`` calendar years before
    2026-01-01, so the first semiannual start with rows before it is July 1 of the first."""
    return {"start": f"{2026 - years}-07-01", "end": "2026-01-01"}


def worker(args: argparse.Namespace) -> dict[str, Any]:
    import custseg as cs

    t = time.perf_counter()
    out: dict[str, Any] = {"mode": args.worker, "order": args.order, "history": args.history}
    if args.worker == "generate":
        rows = sum(b.num_rows for b in stream(args))
    else:
        limit = None if args.memory_limit.lower() == "none" else args.memory_limit
        run = dict(memory_limit=limit, spill_dir=args.spill_dir, threads=args.threads)
        if args.history:
            span = history_span(args.years)
            cv, rep = cs.customer_value_history(
                stream(args),
                periods=cs.Periods.semiannual(),
                **span,
                **run,
                return_report=True,
            )
            out.update(boundaries=[span["start"], span["end"]], history_rows=cv.num_rows)
        else:
            cv, rep = cs.customer_value(stream(args), as_of="2026-01-01", **run, return_report=True)
        rows = rep.rows_read
        out.update(
            customers=rep.customers,
            bytes_spilled=rep.bytes_spilled,
            output_gib=cv.nbytes / GIB,
        )
        out["seconds"] = time.perf_counter() - t
        if args.check:
            if args.history:
                same = cs.customer_value_history(
                    stream(args),
                    periods=cs.Periods.semiannual(),
                    **history_span(args.years),
                    memory_limit=None,
                    threads=args.threads,
                )
            else:
                same = cs.customer_value(
                    stream(args), as_of="2026-01-01", memory_limit=None, threads=args.threads
                )
            out["equal_to_in_memory"] = bool(same.equals(cv))
    out.setdefault("seconds", time.perf_counter() - t)
    out.update(rows=rows, peak_rss_gib=peak_gib())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="1G")
    ap.add_argument("--years", type=int, default=4)
    ap.add_argument("--order", choices=["grouped", "by-date"], default="grouped")
    ap.add_argument("--batch-customers", type=int, default=100_000, help="--order grouped")
    ap.add_argument("--window-rows", type=int, default=16_000_000, help="--order by-date")
    ap.add_argument("--history", action="store_true", help="customer_value_history (CV8)")
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--spill-dir", default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--check", action="store_true", help="also compare with an in-memory run")
    ap.add_argument("--json", default=None)
    ap.add_argument("--worker", choices=["generate", "segment"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"python {platform.python_version()}"
    )
    layout = (
        f"{args.batch_customers:,} customers per batch"
        if args.order == "grouped"
        else f"windows of ~{args.window_rows:,} rows"
    )
    what = "customer_value_history (semiannual)" if args.history else "customer_value"
    print(
        f"stream: {args.rows} rows (synthetic, years={args.years}, order {args.order}, "
        f"{layout}); {what}; memory_limit={args.memory_limit}"
    )
    results = []
    for mode in ("generate", "segment"):
        cmd = [sys.executable, __file__, *(argv or sys.argv[1:]), "--worker", mode]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        r = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(r)
        extra = ""
        if mode == "segment":
            extra = (
                f"  customers {r['customers']:,}, spilled {r['bytes_spilled'] / 1e9:.2f} GB, "
                f"result {r['output_gib']:.2f} GiB"
            )
            if "history_rows" in r:
                extra += f", {r['history_rows']:,} history rows"
            if "equal_to_in_memory" in r:
                extra += f", equal to in-memory run: {r['equal_to_in_memory']}"
        print(
            f"{mode:<9} {r['rows']:>14,} rows {r['seconds']:>8.1f} s "
            f"{r['rows'] / r['seconds'] / 1e6:>7.1f} Mrows/s  peak RSS {r['peak_rss_gib']:.2f} GiB"
            + extra
        )
    gen, seg = results
    print(f"custseg's share (segment - generate): {seg['seconds'] - gen['seconds']:.1f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
