#!/usr/bin/env python3
"""Benchmark: custseg.rfm and custseg.clv against the same rules in polars and DuckDB, and
custseg.segment (CV + RFM + CLV in one pass) against three separate custseg calls.

    python benches/bench_rfm_clv.py [--rows 1M,10M] [--contenders custseg,polars,duckdb,segment]
        [--repeat 3] [--threads N] [--json out.json]

The data, the process per contender, the correctness gate and the memory measure are those
of ``bench_customer_value.py`` (imported from it): ``custseg.datasets.synthetic(customers=...,
years=4, seed=42)`` with int ids, as_of = 2026-01-01. The rules (docs/rules.md sections 0,
3 and 4):

* RFM: 5 bins, monetary = net sum, the default rules table (``custseg.rfm`` defaults);
* CLV: lifetime_years = 3, semiannual periods from January, tiers 0.2 / 0.8, value and
  loyalty thresholds at the medians (``custseg.clv(lifetime_years=3)``).

The polars and DuckDB contenders are in ``rfm_clv_contenders.py`` (one lazy query, one SQL
query). Before timing, each contender's first (untimed) result is compared with custseg's:
every column, sorted by customer; scores, cells, segments, tiers and quadrants exactly, floats
to 1e-9 relative. A mismatch stops the benchmark with a diff.

``segment`` times ``custseg.segment(what=("cv", "rfm", "clv"))`` (one pass) in one process
and the three calls ``customer_value`` + ``rfm`` + ``clv`` one after the other in another
(``3 calls``: best of ``--repeat`` of the sum); its result is checked equal to the three
calls' columns first. ``ratio`` is a contender's best time / custseg's on the same task and
rows; for ``1 pass`` it is the one-pass time / the three calls' time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_customer_value as bcv  # noqa: E402  (next to this file)
import rfm_clv_contenders as k  # noqa: E402

ALL_CONTENDERS = ("custseg", "polars", "duckdb", "segment")
TASKS = ("rfm", "clv")
ONE_PASS, THREE_CALLS = "1 pass", "3 calls"
WHAT = ("cv", "rfm", "clv")
REL_TOL = 1e-9
COLUMNS = {"rfm": k.RFM_COLUMNS, "clv": k.CLV_COLUMNS}


# ---------------------------------------------------------------------------
# Contenders and the correctness gate
# ---------------------------------------------------------------------------
def run_contender(task: str, name: str, table: Any, threads: int | None) -> Any:
    import custseg

    if task == "rfm":
        if name == "custseg":
            return custseg.rfm(table, as_of=k.AS_OF, threads=threads)
        if name == "polars":
            return k.rfm_polars(table)  # threads: POLARS_MAX_THREADS, set before polars loads
        if name == "duckdb":
            return k.rfm_duckdb(table, threads=threads)
    if task == "clv":
        if name == "custseg":
            return custseg.clv(
                table,
                as_of=k.AS_OF,
                periods=custseg.Periods.semiannual(),
                lifetime_years=k.LIFETIME_YEARS,
                cuts=k.TIERS,
                threads=threads,
            )
        if name == "polars":
            return k.clv_polars(table)
        if name == "duckdb":
            return k.clv_duckdb(table, threads=threads)
    if task == "segment":
        options = dict(as_of=k.AS_OF, periods=custseg.Periods.semiannual(), threads=threads)
        if name == ONE_PASS:
            return custseg.segment(table, what=WHAT, lifetime_years=k.LIFETIME_YEARS, **options)
        if name == THREE_CALLS:
            return (
                custseg.customer_value(table, **options),
                custseg.rfm(table, as_of=k.AS_OF, threads=threads),
                custseg.clv(table, lifetime_years=k.LIFETIME_YEARS, **options),
            )
    raise ValueError(f"unknown contender {name!r} for {task!r}")


def canonical(result: Any, columns: list[str]) -> Any:
    """A result as a pyarrow Table sorted by customer with comparable types: labels as
    large_string, integers int64, dates date32, floats float64."""
    import pyarrow as pa

    table = result.to_arrow() if hasattr(result, "to_arrow") else result
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise AssertionError(f"result lacks the columns {missing}")
    cols = {}
    for name in columns:
        col = table[name].combine_chunks()
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()
        t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
            col = col.cast(pa.large_string())
        elif pa.types.is_integer(t):
            col = col.cast(pa.int64())
        elif pa.types.is_floating(t):
            col = col.cast(pa.float64())
        elif pa.types.is_timestamp(t) or pa.types.is_date(t):
            col = col.cast(pa.date32())
        cols[name] = col
    return pa.table(cols).sort_by("customer_id")


def compare(ref: Any, got: Any, limit: int = 10) -> str | None:
    """None when equal (floats to REL_TOL relative), else a readable account of the diff."""
    import pyarrow as pa
    import pyarrow.compute as pc

    floats = [f.name for f in ref.schema if pa.types.is_floating(f.type)]
    exact = [c for c in ref.column_names if c not in floats]
    problem = bcv.diff(ref.select(exact), got.select(exact), limit)
    if problem or ref.num_rows != got.num_rows:
        return problem or f"customers: custseg {ref.num_rows}, contender {got.num_rows}"
    lines = []
    for name in floats:
        a, b = ref[name], got[name]
        if a.type != b.type:
            lines.append(f"column {name}: type {a.type} (custseg) vs {b.type} (contender)")
            continue
        scale = pc.max_element_wise(pc.abs(a), pc.abs(b))
        close = pc.less_equal(pc.abs(pc.subtract(a, b)), pc.multiply(scale, REL_TOL))
        bad = pc.invert(pc.fill_null(close, pa.scalar(False)))
        count = pc.sum(bad.cast(pa.int64())).as_py() or 0
        if count:
            rows = pa.table(
                {
                    "customer_id": ref["customer_id"].filter(bad),
                    "custseg": a.filter(bad),
                    "contender": b.filter(bad),
                }
            )
            lines.append(
                f"column {name}: {count} of {ref.num_rows} customers differ by more than "
                f"{REL_TOL:g} relative (first {limit}):\n"
                f"{rows.slice(0, limit).to_pandas().to_string(index=False)}"
            )
    return "\n".join(lines) or None


def check(task: str, name: str, first: Any, table: Any, threads: int | None) -> str | None:
    """The gate: the contender's first result against custseg's on the same data."""
    if task == "segment":
        if name == THREE_CALLS:
            return None
        cv, rfm, clv = run_contender(task, THREE_CALLS, table, threads)
        problems = []
        # With CV and RFM together, the RFM monetary column is named rfm_monetary.
        rfm = rfm.rename_columns(
            ["rfm_monetary" if c == "monetary" else c for c in rfm.column_names]
        )
        for part in (cv, rfm, clv):
            cols = part.column_names
            problem = compare(canonical(part, cols), canonical(first, cols))
            if problem:
                problems.append(problem)
        return "\n".join(problems) or None
    ref = canonical(run_contender(task, "custseg", table, threads), COLUMNS[task])
    return compare(ref, canonical(first, COLUMNS[task]))


def worker(args: argparse.Namespace) -> int:
    """One (task, rows, contender) in this fresh process; writes its result as JSON."""
    task, name, threads = args.task, args.contender, args.threads
    t0 = time.perf_counter()
    table = bcv.load(args.rows, "int")
    load_s = time.perf_counter() - t0
    bcv.release_memory()
    loaded = bcv.rss_kib()

    # Correctness gate (untimed, doubles as warm-up).
    t0 = time.perf_counter()
    first = run_contender(task, name, table, threads)
    first_s = time.perf_counter() - t0
    result_rows = len(first[0] if isinstance(first, tuple) else first)
    checked = False
    if name not in ("custseg", THREE_CALLS):
        problem = check(task, name, first, table, threads)
        if problem:
            print(
                f"\nMISMATCH: {task} {name} differs from custseg on "
                f"rows={bcv.rows_label(args.rows)}\n{problem}",
                file=sys.stderr,
                flush=True,
            )
            return bcv.EXIT_MISMATCH
        checked = True
    del first
    bcv.release_memory()
    peak_reset = bcv.reset_peak()

    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = run_contender(task, name, table, threads)
        times.append(time.perf_counter() - t0)
        del result
    peak = bcv.peak_kib()

    info = {
        "task": task,
        "rows_label": bcv.rows_label(args.rows),
        "rows": table.num_rows,
        "customers": bcv.customers_for(args.rows),
        "result_rows": result_rows,
        "contender": name,
        "threads": threads,
        "threads_used": bcv.threads_used(
            "custseg" if name in (ONE_PASS, THREE_CALLS) else name, threads
        ),
        "times_s": times,
        "best_s": min(times),
        "first_s": first_s,
        "load_s": load_s,
        "rss_loaded_kib": loaded,
        "peak_rss_kib": peak,
        "peak_reset_after_check": peak_reset,
        "input_arrow_bytes": table.nbytes,
        "checked_against_custseg": checked,
    }
    Path(args.out).write_text(json.dumps(info))
    return 0


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------
def spawn(task: str, rows: int, name: str, args: argparse.Namespace) -> dict[str, Any]:
    worker_args = ["--task", task, "--rows", str(rows), "--contenders", name]
    what = f"{task} {name} at rows={bcv.rows_label(rows)}"
    return bcv.run_worker(str(Path(__file__).resolve()), worker_args, what, args)


HEADER = f"{'task':<8} {'rows':>6} {'contender':<9} {bcv.MEASURES}"


def row_text(r: dict[str, Any]) -> str:
    return bcv.measures_text(f"{r['task']:<8} {r['rows_label']:>6} {r['contender']:<9}", r)


def plan(names: list[str]) -> list[tuple[str, list[str]]]:
    """(task, contenders) in running order; custseg (the ratio's base) first."""
    head = [n for n in ("custseg", "polars", "duckdb") if n in names]
    if head and head[0] != "custseg":
        head = ["custseg", *head]  # the ratio needs custseg's time
    runs = [(task, head) for task in TASKS] if head else []
    if "segment" in names:
        runs.append(("segment", [THREE_CALLS, ONE_PASS]))
    return runs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", default="1M,10M", help="comma-separated sizes: 100k,1M,10M,100M")
    p.add_argument(
        "--contenders",
        default=",".join(ALL_CONTENDERS),
        help="custseg,polars,duckdb (RFM and CLV each) and segment (1 pass against 3 calls)",
    )
    p.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    p.add_argument("--threads", type=int, default=None, help="threads for everyone (all cores)")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--task", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    if args.worker:
        args.rows, args.contender = int(args.rows), args.contenders
        return worker(args)

    sizes = [bcv.parse_rows(s) for s in args.rows.split(",") if s.strip()]
    names = [s.strip() for s in args.contenders.split(",") if s.strip()]
    for bad in [n for n in names if n not in ALL_CONTENDERS]:
        p.error(f"unknown contender {bad!r} ({', '.join(ALL_CONTENDERS)})")
    runs = plan(names)

    libs = [n for n in names if n in ("polars", "duckdb")]
    mach, vers, command = bcv.print_header(bcv.versions(["custseg", *libs]))
    threads = "all cores" if args.threads is None else f"{args.threads}"
    print(
        f"data: custseg.datasets.synthetic(years={bcv.YEARS}, seed={bcv.SEED}, ids=int), "
        f"as_of {k.AS_OF}; threads: {threads}; best of {args.repeat}; every result checked "
        "equal to custseg first"
    )
    print(
        f"rfm: bins {k.BINS}, monetary sum, default rules; clv: lifetime_years "
        f"{k.LIFETIME_YEARS:g}, semiannual, tiers {k.TIERS[0]}/{k.TIERS[1]}, median thresholds"
    )
    print(
        "ratio = contender best time / custseg best time (segment: 1 pass / 3 calls); "
        "peak RSS = whole process (input + contender) over the timed runs\n"
    )
    print(HEADER, flush=True)

    results = []
    for rows in sizes:
        for task, contenders in runs:
            base = None
            for name in contenders:
                r = spawn(task, rows, name, args)
                r.setdefault("task", task)
                r.setdefault("rows_label", bcv.rows_label(rows))
                r.setdefault("contender", name)
                if name in ("custseg", THREE_CALLS) and "error" not in r:
                    base = r["best_s"]
                if "error" not in r:
                    r["ratio"] = r["best_s"] / base if base else None
                results.append(r)
                print(row_text(r), flush=True)

    for rows in sizes:
        label = bcv.rows_label(rows)
        one = [r for r in results if r["rows_label"] == label and r["contender"] == ONE_PASS]
        if one and one[0].get("ratio") is not None:
            print(
                f"\nsegment(what=cv,rfm,clv) at {label}: {one[0]['ratio']:.2f} x the sum of the "
                "three separate custseg calls"
            )

    if args.json:
        doc = {
            "command": command,
            "machine": mach,
            "versions": vers,
            "config": {
                "rows": sizes,
                "contenders": names,
                "repeat": args.repeat,
                "threads": args.threads,
                "years": bcv.YEARS,
                "seed": bcv.SEED,
                "as_of": k.AS_OF.isoformat(),
                "bins": k.BINS,
                "lifetime_years": k.LIFETIME_YEARS,
                "tiers": list(k.TIERS),
            },
            "results": results,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
