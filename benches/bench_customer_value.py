#!/usr/bin/env python3
"""Benchmark: custseg.customer_value against the same CV rules in polars, DuckDB and pandas.

    python benches/bench_customer_value.py [--rows 1M,10M] [--ids int,str]
        [--contenders custseg,polars,duckdb,pandas] [--order grouped|shuffled|by-date]
        [--repeat 3] [--threads N] [--pandas-max-rows 10M] [--json out.json]

Every contender gets the same input: ``custseg.datasets.synthetic(customers=..., years=4,
seed=42, ids=...)``, a pyarrow Table (customer_id int64 or string, date date32, amount
float64) with the customer count calibrated to the requested number of rows, its rows
grouped per customer in date order as generated (``--order``: ``shuffled`` or ``by-date``
give the same rows in another order; custseg reads grouped and sorted input fastest, the
others do not care). The rules are
the defaults of ``custseg.customer_value`` (docs/rules.md sections 0-2): semiannual periods
(P1), as_of = 2026-01-01 (I3), purchase events = positive customer-days (I2), monetary
window of 2 periods (CV3), cuts 0.05/0.25/0.50 (CV6). The contenders are in
``cv_contenders.py``.

Each (rows, ids, contender) runs in a fresh subprocess, so the peak memory is that of one
contender. The subprocess:

1. generates the data (deterministic) and records its RSS after loading;
2. correctness gate: runs the contender once (untimed, it also serves as warm-up) and, for
   every contender but custseg, runs custseg on the same data and compares the two results
   (sorted by customer; every column; monetary as exact integer millionths; dates). A
   mismatch aborts the whole benchmark with a diff;
3. frees the check's results, resets the kernel's peak-RSS mark (Linux
   ``/proc/self/clear_refs``) so that the check's custseg run does not count, then runs the
   contender ``--repeat`` times and reports the best wall time (``time.perf_counter``) and
   the peak RSS of the process (``getrusage(RUSAGE_SELF).ru_maxrss``: the resident input
   plus the contender's working memory).

The timed call is the whole contender from the Arrow table to its result frame (for pandas
and polars the conversion from Arrow is included; custseg and DuckDB read Arrow directly).
By default everyone uses all cores (pandas is single-threaded by nature); ``--threads N``
sets POLARS_MAX_THREADS, RAYON_NUM_THREADS, DuckDB ``SET threads`` and custseg ``threads=``.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from id_forms import ID_FORMS  # noqa: E402


def contenders() -> Any:
    """The pandas/polars/DuckDB versions of the rules (``cv_contenders.py``, next to this
    file), imported when needed: the other benchmarks import this module for its process and
    memory helpers, some of them from environments without pyarrow (bench_btyd's lifetimes)."""
    import cv_contenders

    return cv_contenders


ALL_CONTENDERS = ("custseg", "polars", "duckdb", "pandas")
# Customers giving about the requested number of rows with years=4, seed=42 (measured:
# ~9.7 rows per customer, growing slightly with size). Other sizes use ROWS_PER_CUSTOMER.
CALIBRATION = {
    100_000: 10_440,
    1_000_000: 102_800,
    10_000_000: 1_024_000,
    100_000_000: 10_270_000,
}
ROWS_PER_CUSTOMER = 9.75
ROWS_PER_CUSTOMER_8_YEARS = 12.9
YEARS, SEED = 4, 42
EXIT_MISMATCH = 3
GIB = 1024**3


# ---------------------------------------------------------------------------
# Sizes and data
# ---------------------------------------------------------------------------
def parse_rows(text: str) -> int:
    """'100k', '1M', '2.5M', '1G' or a plain number of rows."""
    t = text.strip().lower().replace("_", "")
    mult = {"k": 10**3, "m": 10**6, "g": 10**9}.get(t[-1:], 1)
    if mult != 1:
        t = t[:-1]
    return int(round(float(t) * mult))


def rows_label(rows: int) -> str:
    for unit, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if rows >= size and rows % size == 0:
            return f"{rows // size}{unit}"
    return str(rows)


def customers_for(rows: int) -> int:
    return CALIBRATION.get(rows) or max(1, round(rows / ROWS_PER_CUSTOMER))


def customers_over(rows: int, years: int) -> int:
    """The customers of about ``rows`` rows over ``years`` (4 and 8 calibrated)."""
    if years == 8:  # measured: 12.9 rows per customer over 8 years (seed 42)
        return max(1, round(rows / ROWS_PER_CUSTOMER_8_YEARS))
    return max(1, round(customers_for(rows) * YEARS / years))


ORDERS = ("grouped", "shuffled", "by-date")


def load(rows: int, ids: str, order: str = "grouped", years: int = YEARS) -> Any:
    """The synthetic table; ``order``: as generated (``grouped``: each customer's rows
    together, in date order, customers by id), ``shuffled`` (a fixed random permutation)
    or ``by-date`` (a transaction log: sorted by date, customers by id within a day).
    Over other ``years`` than the calibrated 4, fewer customers (8 years: calibrated
    too; others: proportionally, about ``rows`` rows, not exactly)."""
    import custseg
    import id_forms

    customers = customers_over(rows, years)
    made = "str" if ids == "str" else "int"
    table = custseg.datasets.synthetic(customers=customers, years=years, seed=SEED, ids=made)
    table = id_forms.with_id_form(table, ids)
    if order == "shuffled":
        import numpy as np

        perm = np.random.default_rng(SEED).permutation(table.num_rows)
        table = table.take(perm)
    elif order == "by-date":
        table = table.sort_by([("date", "ascending")])  # stable: customers by id within a day
    return table


# ---------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------
def rss_kib() -> int:
    """Current resident set size (KiB) from /proc; the peak when /proc is missing."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return peak_kib()


def peak_kib() -> int:
    """Peak resident set size of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def release_memory() -> None:
    """Frees what Python, glibc malloc and Arrow's memory pool can give back to the
    OS: without the pool's, the memory a correctness check sorted and compared in stays
    resident (the allocator's cache) under the peak of the timed calls that follow."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()


def reset_peak() -> bool:
    """Resets the peak RSS mark (Linux >= 4.0: writing 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------
# Contenders and the correctness gate
# ---------------------------------------------------------------------------
def run_contender(name: str, table: Any, threads: int | None) -> Any:
    cv = contenders()
    if name == "custseg":
        import custseg

        return custseg.customer_value(
            table, as_of=cv.AS_OF, periods=custseg.Periods.semiannual(), threads=threads
        )
    if name == "polars":
        return cv.cv_polars(table)  # threads: POLARS_MAX_THREADS, set before polars loads
    if name == "duckdb":
        return cv.cv_duckdb(table, threads=threads)
    if name == "pandas":
        return cv.cv_pandas(table)
    raise ValueError(f"unknown contender {name!r}")


def canonical(result: Any) -> Any:
    """A result as a pyarrow Table with comparable types, sorted by customer.

    Strings (plain, large, view, dictionary) become large_string, integers int64, dates
    date32 and monetary the exact integer number of millionths (I6).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(result, pa.Table):
        table = result
    elif hasattr(result, "to_arrow"):  # polars
        table = result.to_arrow()
    else:  # pandas
        table = pa.Table.from_pandas(result, preserve_index=False)
    cv = contenders()
    missing = [c for c in cv.COLUMNS if c not in table.column_names]
    if missing:
        raise AssertionError(f"result lacks the columns {missing}")
    cols = {}
    for name in cv.COLUMNS:
        col = table[name].combine_chunks()
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()
        t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
            col = col.cast(pa.large_string())
        elif name == "monetary":
            col = pc.round(
                pc.multiply(col.cast(pa.float64()), 1e6), round_mode="half_towards_infinity"
            )
            col = col.cast(pa.int64())
        elif pa.types.is_integer(t):
            col = col.cast(pa.int64())
        elif pa.types.is_timestamp(t) or pa.types.is_date(t):
            col = col.cast(pa.date32())
        cols["monetary_micros" if name == "monetary" else name] = col
    return pa.table(cols).sort_by("customer_id")


def diff(ref: Any, got: Any, limit: int = 10) -> str | None:
    """None when the canonical tables are equal, else a readable account of the differences."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lines = []
    ref_ids, got_ids = ref["customer_id"], got["customer_id"]
    if ref.num_rows != got.num_rows or not ref_ids.equals(got_ids):
        only_ref = ref.filter(pc.invert(pc.is_in(ref_ids, value_set=got_ids)))
        only_got = got.filter(pc.invert(pc.is_in(got_ids, value_set=ref_ids)))
        lines.append(
            f"customers: custseg {ref.num_rows}, contender {got.num_rows}; "
            f"{only_ref.num_rows} only in custseg, {only_got.num_rows} only in the contender"
        )
        for label, t in (("only in custseg", only_ref), ("only in contender", only_got)):
            if t.num_rows:
                lines.append(
                    f"  {label} (first {limit}):\n"
                    f"{t.slice(0, limit).to_pandas().to_string(index=False)}"
                )
        # Compare the customers both have.
        ref = ref.filter(pc.is_in(ref_ids, value_set=got_ids))
        got = got.filter(pc.is_in(got_ids, value_set=ref_ids))
    for name in ref.column_names[1:]:
        a, b = ref[name], got[name]
        if a.type != b.type:
            lines.append(f"column {name}: type {a.type} (custseg) vs {b.type} (contender)")
            continue
        same = pc.fill_null(pc.equal(a, b), pa.scalar(False))
        bad = pc.invert(same)
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
                f"column {name}: {count} of {ref.num_rows} customers differ (first {limit}):\n"
                f"{rows.slice(0, limit).to_pandas().to_string(index=False)}"
            )
    return "\n".join(lines) or None


def worker(args: argparse.Namespace) -> int:
    """One (rows, ids, contender) in this fresh process; writes its result as JSON."""
    name, threads = args.contender, args.threads
    t0 = time.perf_counter()
    table = load(args.rows, args.ids, args.order)
    load_s = time.perf_counter() - t0
    release_memory()
    loaded = rss_kib()

    # Correctness gate (untimed, doubles as warm-up): the contender's first result must
    # equal custseg's on the same data.
    t0 = time.perf_counter()
    first = run_contender(name, table, threads)
    first_s = time.perf_counter() - t0
    result_rows = len(first)
    checked = False
    if name != "custseg":
        got = canonical(first)
        del first
        ref = canonical(run_contender("custseg", table, threads))
        problem = diff(ref, got)
        if problem:
            print(
                f"\nMISMATCH: {name} differs from custseg on rows={rows_label(args.rows)} "
                f"ids={args.ids}\n{problem}",
                file=sys.stderr,
                flush=True,
            )
            return EXIT_MISMATCH
        checked = True
        del got, ref
    else:
        del first
    release_memory()
    peak_reset = reset_peak()

    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = run_contender(name, table, threads)
        times.append(time.perf_counter() - t0)
        del result
    peak = peak_kib()

    info = {
        "rows_label": rows_label(args.rows),
        "rows": table.num_rows,
        "customers": customers_for(args.rows),
        "result_rows": result_rows,
        "ids": args.ids,
        "order": args.order,
        "contender": name,
        "threads": threads,
        "threads_used": threads_used(name, threads),
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


def threads_used(name: str, threads: int | None) -> int | None:
    """The thread count the contender actually runs with (pandas: 1)."""
    if name == "polars":
        import polars

        return polars.thread_pool_size()
    if name == "duckdb":
        import duckdb

        con = duckdb.connect()
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        row = con.execute("SELECT current_setting('threads')").fetchone()
        con.close()
        return int(row[0]) if row else None
    if name == "pandas":
        return 1
    if threads is not None:
        return threads
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu, ram = platform.processor() or platform.machine(), None
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu
            )
        with open("/proc/meminfo") as f:
            ram = next((int(ln.split()[1]) * 1024 for ln in f if ln.startswith("MemTotal")), None)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "ram_bytes": ram,
        "os": platform.platform(),
        "load_average_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
    }


def versions(contenders: list[str]) -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for pkg in ["custseg", "pyarrow", "numpy", *[c for c in contenders if c != "custseg"]]:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "missing"
    return out


def print_header(vers: dict[str, str]) -> tuple[dict[str, Any], dict[str, str], str]:
    """Prints the command, the machine and the library versions of a benchmark run;
    returns the machine, the versions and the command line."""
    mach = machine()
    command = shlex.join([sys.executable, *sys.argv])
    ram = f"{mach['ram_bytes'] / GIB:.1f} GiB" if mach["ram_bytes"] else "?"
    print(f"command: {command}")
    print(
        f"machine: nproc={mach['nproc']} (usable {mach['usable_cpus']}), cpu={mach['cpu']}, "
        f"RAM={ram}, {mach['os']}, Python {mach['python']}, "
        f"load average (1 min) at start {mach['load_average_1m']}"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    return mach, vers, command


def run_worker(
    script: str, worker_args: list[str], what: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Runs ``script --worker *worker_args`` in a fresh process (threads set from
    ``args``) and returns the result it writes; exits the whole benchmark when the
    worker reports a mismatch (``what`` names it)."""
    env = dict(os.environ)
    if args.threads is not None:
        env["POLARS_MAX_THREADS"] = str(args.threads)
        env["RAYON_NUM_THREADS"] = str(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench_") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, script, "--worker", *worker_args]
        cmd += ["--repeat", str(args.repeat), "--out", str(out)]
        if args.threads is not None:
            cmd += ["--threads", str(args.threads)]
        proc = subprocess.run(cmd, env=env)
        if proc.returncode == EXIT_MISMATCH:
            sys.exit(
                f"\nABORTED: {what} does not match custseg (diff above); no timings are "
                "reported for a wrong result."
            )
        if proc.returncode != 0 or not out.exists():
            why = "killed (out of memory?)" if proc.returncode in (-9, 137) else "failed"
            return {"error": f"{why}: exit code {proc.returncode}"}
        return json.loads(out.read_text())


def spawn(rows: int, ids: str, name: str, args: argparse.Namespace) -> dict[str, Any]:
    worker_args = ["--rows", str(rows), "--ids", ids, "--contenders", name, "--order", args.order]
    what = f"{name} at rows={rows_label(rows)} ids={ids}"
    return run_worker(str(Path(__file__).resolve()), worker_args, what, args)


MEASURES = (
    f"{'best s':>8} {'Mrows/s':>8} {'peak RSS GiB':>12} {'load RSS GiB':>12} "
    f"{'input GiB':>9} {'ratio':>7}"
)
HEADER = f"{'rows':>6} {'ids':>5} {'contender':<9} {MEASURES}"


def measures_text(head: str, r: dict[str, Any]) -> str:
    """One result line: ``head`` then the measures of ``r`` (or its error)."""
    if "error" in r:
        return f"{head} {r['error']}"
    ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else "-"
    return (
        f"{head} {r['best_s']:>8.3f} {r['rows'] / r['best_s'] / 1e6:>8.1f} "
        f"{r['peak_rss_kib'] / 2**20:>12.2f} {r['rss_loaded_kib'] / 2**20:>12.2f} "
        f"{r['input_arrow_bytes'] / GIB:>9.3f} {ratio:>7}"
    )


def row_text(r: dict[str, Any]) -> str:
    return measures_text(f"{r['rows_label']:>6} {r['ids']:>5} {r['contender']:<9}", r)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", default="1M,10M", help="comma-separated sizes: 100k,1M,10M,100M")
    p.add_argument(
        "--ids",
        default="int,str",
        help="comma-separated: int, str (C0000042), cust (CUST-0012345), uuid, email (id_forms.py)",
    )
    p.add_argument("--contenders", default=",".join(ALL_CONTENDERS))
    p.add_argument(
        "--order",
        default="grouped",
        choices=ORDERS,
        help="row order of the input: grouped per customer (as generated), shuffled, by-date",
    )
    p.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    p.add_argument("--threads", type=int, default=None, help="threads for everyone (all cores)")
    p.add_argument(
        "--pandas-max-rows", default="10M", help="skip pandas above this size (memory, time)"
    )
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    if args.worker:
        args.rows, args.contender = int(args.rows), args.contenders
        return worker(args)

    sizes = [parse_rows(s) for s in args.rows.split(",") if s.strip()]
    id_kinds = [s.strip() for s in args.ids.split(",") if s.strip()]
    names = [s.strip() for s in args.contenders.split(",") if s.strip()]
    for bad in [i for i in id_kinds if i not in ID_FORMS]:
        p.error(f"unknown --ids {bad!r} ({', '.join(ID_FORMS)})")
    for bad in [n for n in names if n not in ALL_CONTENDERS]:
        p.error(f"unknown contender {bad!r} ({', '.join(ALL_CONTENDERS)})")
    # custseg first: the ratio column divides by its time.
    names = sorted(dict.fromkeys(names), key=ALL_CONTENDERS.index)
    pandas_max = parse_rows(args.pandas_max_rows)

    mach, vers, command = print_header(versions(names))
    threads = "all cores" if args.threads is None else f"{args.threads}"
    print(
        f"data: custseg.datasets.synthetic(years={YEARS}, seed={SEED}), rows {args.order}; "
        f"threads: {threads} "
        f"(pandas: 1); best of {args.repeat}; every result checked equal to custseg first"
    )
    print(
        "ratio = contender best time / custseg best time; peak RSS = whole process "
        "(input + contender) over the timed runs\n"
    )
    print(HEADER, flush=True)

    results, skipped = [], []
    for rows in sizes:
        for ids in id_kinds:
            base = None
            for name in names:
                if name == "pandas" and rows > pandas_max:
                    note = (
                        f"pandas skipped at rows={rows_label(rows)} ids={ids}: above "
                        f"--pandas-max-rows {rows_label(pandas_max)} (too slow / too much memory)"
                    )
                    skipped.append(note)
                    print(f"{rows_label(rows):>6} {ids:>5} {name:<9} skipped (see below)")
                    continue
                r = spawn(rows, ids, name, args)
                r.setdefault("rows_label", rows_label(rows))
                r.setdefault("ids", ids)
                r.setdefault("contender", name)
                if name == "custseg" and "error" not in r:
                    base = r["best_s"]
                if "error" not in r:
                    r["ratio"] = r["best_s"] / base if base else None
                results.append(r)
                print(row_text(r), flush=True)
    for note in skipped:
        print(note)

    if args.json:
        doc = {
            "command": command,
            "machine": mach,
            "versions": vers,
            "config": {
                "rows": sizes,
                "ids": id_kinds,
                "contenders": names,
                "repeat": args.repeat,
                "threads": args.threads,
                "pandas_max_rows": pandas_max,
                "years": YEARS,
                "seed": SEED,
                "order": args.order,
                "as_of": contenders().AS_OF.isoformat(),
            },
            "results": results,
            "skipped": skipped,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
