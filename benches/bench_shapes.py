#!/usr/bin/env python3
"""Benchmark: custseg against polars, DuckDB and pandas on the shapes users' tables have
(issue 17, item 3): row orders, id forms, order ids, sales-only, and how the data arrives.

    python benches/bench_shapes.py [--what cv,rfm,clv] [--variant plain,sales_only,orders]
        [--input arrow,pandas-arrow,pandas-object,parquet] [--order grouped,by-date,shuffled]
        [--ids int,str,cust,uuid,email] [--rows 1M,10M,100M] [--repeat 5]
        [--contenders custseg,polars,duckdb,pandas] [--threads N] [--pandas-max-rows 10M]
        [--data-dir DIR] [--json out.json]

Every comma-separated option is crossed with the others. Per (rows, ids, order, variant) a
``prepare`` subprocess builds the table once (``bench_customer_value.load``: the synthetic
table of that size, row order and id form, ``id_forms.py``), writes it as Arrow IPC (and
Parquet when ``--input parquet`` is asked) into a temporary folder, and runs custseg on it
in process to make the reference result of each ``--what``. Then every (what, input,
contender) runs in its own fresh subprocess that:

1. reads the table (not timed) and turns it into the input form, still untimed:
   ``arrow`` a pyarrow Table; ``pandas-arrow`` a pandas DataFrame with ``datetime64[ms]``
   dates and string columns as ``pd.ArrowDtype(pa.string())``; ``pandas-object`` the same
   with numpy ``object`` strings (with int ids and no order column the two pandas forms are
   the same frame); ``parquet`` nothing: the contender gets the file's path;
2. correctness gate: runs the contender once (untimed warm-up) and compares its result with
   custseg's reference (sorted by customer, every column: CV monetary as exact millionths,
   RFM/CLV floats to 1e-9 relative, the rest exactly; ``bench_customer_value.diff``,
   ``bench_rfm_clv.compare``). A mismatch aborts the whole benchmark with the diff;
3. resets the peak-RSS mark (``/proc/self/clear_refs``) and times ``--repeat`` calls.

What is timed is the whole call from the input form to the contender's result frame:

* ``arrow`` / ``pandas-*``: ``custseg.customer_value(data, ...)`` (``rfm``, ``clv``);
  polars ``pl.from_arrow`` / ``pl.from_pandas`` then one lazy query; DuckDB scans the Arrow
  table / pandas frame (a view casting the date to DATE) in one SQL query; pandas
  ``to_pandas`` (arrow input only) then vectorised groupbys;
* ``parquet``: the file is read inside the timed call: custseg through its command line,
  ``python -m custseg cv|rfm|clv FILE.parquet -o OUT.parquet -q ...``, the subprocess being
  the timed unit (so it includes the interpreter's start, custseg's import and the CLI's
  parser: ``python -m custseg cv --help`` alone is timed as ``startup_s`` in the JSON and
  printed below the table), its output file read back for the gate; polars
  ``pl.scan_parquet``, DuckDB ``read_parquet(...)``, pandas ``pd.read_parquet``.

Peak RSS is the process's ``ru_maxrss`` over the timed runs (the resident input included);
for the custseg CLI it is the CLI process's own (``wait4``), which holds no input beforehand.

Rules (docs/rules.md): as_of 2026-01-01, semiannual periods from January. ``cv``:
``customer_value`` defaults (cuts 0.05/0.25/0.50, monetary window 2); ``rfm``: 5 bins,
monetary sum, default rules; ``clv``: ``lifetime_years=3``, cuts 0.2/0.8 (as
``bench_rfm_clv.py``). Variants: ``plain``; ``sales_only`` = ``sales_only=True`` (CV5: sales
months January and July, lookback 4 periods; ``customer_value`` only, so rfm/clv are
skipped); ``orders`` = an ``order`` column passed as ``order=`` (I2: a purchase event is an
order with a positive total, on its earliest day). The order ids are invoice-like and
deterministic: each customer-day's positive lines form one invoice
``INV-<year>-<number>`` and its negative lines one credit note ``CRN-<year>-<number>``
(number = day of the year x customers + customer number, zero-padded to 8 digits), so a day
whose returns outweigh its sales still holds a purchase (the invoice). The contenders are in
``shape_contenders.py`` (pandas: CV only; skipped for rfm/clv and printed as such).

``ratio`` = contender best / custseg best on the same (rows, what, variant, input, order,
ids); the summary table gives the fastest of polars/DuckDB / custseg and pandas / custseg.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_customer_value as bcv  # noqa: E402  (next to this file)
import bench_rfm_clv as brc  # noqa: E402
import shape_contenders as sc  # noqa: E402
from id_forms import ID_FORMS  # noqa: E402

WHATS = ("cv", "rfm", "clv")
INPUTS = ("arrow", "pandas-arrow", "pandas-object", "parquet")
CONTENDERS = ("custseg", "polars", "duckdb", "pandas")
CLI_COMMAND = {"cv": "cv", "rfm": "rfm", "clv": "clv"}
MIB = 1024


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def order_ids(table: Any) -> Any:
    """Invoice-like order ids of an int-id table: one invoice (positive lines) and one credit
    note (negative lines) per customer-day, ``INV-2023-00012345`` / ``CRN-2023-00012345``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids, dates = table["customer_id"], table["date"]
    customers = (pc.max(ids).as_py() or 0) + 1
    number = pc.add(pc.multiply(pc.day_of_year(dates).cast(pa.int64()), customers), ids)
    kind = pc.if_else(pc.less(table["amount"], 0), "CRN-", "INV-")
    year = pc.cast(pc.year(dates), pa.string())
    padded = pc.utf8_lpad(pc.cast(number, pa.string()), 8, "0")
    return pc.binary_join_element_wise(kind, year, "-", padded, "")


def make_table(rows: int, ids: str, order: str, variant: str) -> Any:
    """The synthetic table (``bench_customer_value.load``), with an ``order`` column for the
    ``orders`` variant (numbered from the int ids, then the ids put in their form)."""
    import id_forms
    import pyarrow as pa
    import pyarrow.compute as pc

    if variant != "orders":
        return bcv.load(rows, ids, order)
    table = bcv.load(rows, "int", order)
    table = table.append_column(pa.field(sc.ORDER, pa.string(), nullable=False), order_ids(table))
    if ids == "str":  # synthetic(ids="str") writes C0000042 for customer 42
        text = pc.utf8_lpad(pc.cast(table["customer_id"], pa.string()), 7, "0")
        field = pa.field("customer_id", pa.string(), nullable=False)
        return table.set_column(0, field, pc.binary_join_element_wise("C", text, ""))
    return id_forms.with_id_form(table, ids)


def read_ipc(path: Path) -> Any:
    """The whole table read into memory (not mapped)."""
    import pyarrow as pa

    with pa.OSFile(str(path)) as f:
        return pa.ipc.open_file(f).read_all()


def to_pandas(table: Any, form: str) -> Any:
    """``pandas-arrow``: strings as ``pd.ArrowDtype(pa.string())``; ``pandas-object``: numpy
    object strings; dates ``datetime64[ms]`` in both."""
    import pandas as pd
    import pyarrow as pa

    if form == "pandas-arrow":
        mapper = lambda t: pd.ArrowDtype(pa.string()) if pa.types.is_string(t) else None  # noqa: E731
        return table.to_pandas(date_as_object=False, types_mapper=mapper)
    df = table.to_pandas(date_as_object=False)
    strings = [f.name for f in table.schema if pa.types.is_string(f.type)]
    return df.astype({name: object for name in strings})


def load_input(data_dir: Path, form: str) -> Any:
    if form == "parquet":
        return str(data_dir / "data.parquet")
    table = read_ipc(data_dir / "data.arrow")
    return table if form == "arrow" else to_pandas(table, form)


# ---------------------------------------------------------------------------
# custseg: in process and through the command line
# ---------------------------------------------------------------------------
def custseg_call(what: str, variant: str, data: Any, threads: int | None) -> Any:
    import custseg

    opts: dict[str, Any] = {"as_of": sc.AS_OF, "threads": threads}
    if variant == "orders":
        opts["order"] = sc.ORDER
    if what == "cv":
        semi = custseg.Periods.semiannual()
        return custseg.customer_value(
            data, periods=semi, sales_only=variant == "sales_only", **opts
        )
    if what == "rfm":
        return custseg.rfm(data, **opts)
    return custseg.clv(
        data,
        periods=custseg.Periods.semiannual(),
        lifetime_years=sc.rck.LIFETIME_YEARS,
        cuts=sc.rck.TIERS,
        **opts,
    )


def cli_command(what: str, variant: str, src: str, out: str, threads: int | None) -> list[str]:
    """``python -m custseg`` with the options of :func:`custseg_call`."""
    cmd = [sys.executable, "-m", "custseg", CLI_COMMAND[what], src, "-o", out, "-q"]
    cmd += ["--as-of", sc.AS_OF.isoformat()]
    if variant == "orders":
        cmd += ["--order", sc.ORDER]
    if variant == "sales_only":
        cmd += ["--sales-only"]
    if what == "clv":
        cuts = ",".join(str(t) for t in sc.rck.TIERS)
        cmd += ["--period", "semiannual", "--lifetime-years", str(sc.rck.LIFETIME_YEARS)]
        cmd += ["--cuts", cuts]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    return cmd


def timed_process(cmd: list[str], quiet: bool = False) -> tuple[float, int]:
    """Runs ``cmd``; its wall time (s) and its own peak RSS (KiB, from ``wait4``)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL if quiet else None)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
    return seconds, usage.ru_maxrss


def run_custseg(what: str, variant: str, data: Any, threads: int | None, out: Path) -> Any:
    """custseg on ``data``: in process, or through the CLI for a Parquet path (its output
    read back)."""
    if not sc.is_path(data):
        return custseg_call(what, variant, data, threads)
    import pyarrow.parquet as pq

    timed_process(cli_command(what, variant, str(data), str(out), threads))
    return pq.read_table(out)


# ---------------------------------------------------------------------------
# The correctness gate
# ---------------------------------------------------------------------------
def canonical(what: str, result: Any) -> Any:
    import pyarrow as pa

    if what == "cv":
        return bcv.canonical(result)
    if not isinstance(result, pa.Table) and not hasattr(result, "to_arrow"):  # pandas
        result = pa.Table.from_pandas(result, preserve_index=False)
    return brc.canonical(result, brc.COLUMNS[what])


def compare(what: str, ref: Any, got: Any) -> str | None:
    return bcv.diff(ref, got) if what == "cv" else brc.compare(ref, got)


def write_ipc(table: Any, path: Path) -> None:
    import pyarrow as pa

    with pa.OSFile(str(path), "wb") as f, pa.ipc.new_file(f, table.schema) as w:
        w.write_table(table)


def prepare(args: argparse.Namespace) -> int:
    """The data of one (rows, ids, order, variant) and custseg's reference results."""
    import pyarrow.parquet as pq

    data_dir = Path(args.data_dir)
    t0 = time.perf_counter()
    table = make_table(args.rows, args.ids, args.order, args.variant)
    load_s = time.perf_counter() - t0
    write_ipc(table, data_dir / "data.arrow")
    if "parquet" in args.input.split(","):
        pq.write_table(table, data_dir / "data.parquet")
    for what in args.what.split(","):
        ref = canonical(what, custseg_call(what, args.variant, table, args.threads))
        write_ipc(ref, data_dir / f"ref_{what}.arrow")
    info = {
        "rows": table.num_rows,
        "customers": bcv.customers_for(args.rows),
        "input_arrow_bytes": table.nbytes,
        "load_s": load_s,
    }
    Path(args.out).write_text(json.dumps(info))
    return 0


# ---------------------------------------------------------------------------
# The worker: one (what, variant, input, contender) in a fresh process
# ---------------------------------------------------------------------------
def call(args: argparse.Namespace, data: Any, out: Path) -> Any:
    if args.contender == "custseg":
        return run_custseg(args.what, args.variant, data, args.threads, out)
    return sc.run(args.what, args.variant, args.contender, data, args.threads)


def gate(
    args: argparse.Namespace, data: Any, out: Path
) -> tuple[float, int, str | None, int | None]:
    """The untimed first call: its time, its result rows, the diff against the
    reference (None when equal), and the process's peak RSS (KiB) over the call alone
    (the peak mark reset just before; None when the call ran in a child process)."""
    reset = bcv.reset_peak()
    t0 = time.perf_counter()
    first = call(args, data, out)
    first_s = time.perf_counter() - t0
    in_process = not (sc.is_path(data) and args.contender == "custseg")
    first_peak = bcv.peak_kib() if reset and in_process else None
    got = canonical(args.what, first)
    del first
    ref = read_ipc(Path(args.data_dir) / f"ref_{args.what}.arrow")
    return first_s, got.num_rows, compare(args.what, ref, got), first_peak


def timed_runs(args: argparse.Namespace, data: Any, out: Path) -> tuple[list[float], int]:
    """``--repeat`` timed calls; their times and the peak RSS (KiB) over them."""
    times, peak = [], 0
    if sc.is_path(data) and args.contender == "custseg":
        cmd = cli_command(args.what, args.variant, data, str(out), args.threads)
        for _ in range(args.repeat):
            seconds, rss = timed_process(cmd)
            times.append(seconds)
            peak = max(peak, rss)
        return times, peak
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = call(args, data, out)
        times.append(time.perf_counter() - t0)
        del result
    return times, bcv.peak_kib()


def startup_s(what: str, repeat: int) -> float:
    """The best time of ``python -m custseg <what> --help``: the CLI's start, no data."""
    cmd = [sys.executable, "-m", "custseg", CLI_COMMAND[what], "--help"]
    return min(timed_process(cmd, quiet=True)[0] for _ in range(repeat))


def worker(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    out = data_dir / f"out_{args.what}_{args.contender}_{os.getpid()}.parquet"
    data = load_input(data_dir, args.input)
    bcv.release_memory()
    loaded = bcv.rss_kib()
    first_s, result_rows, problem, first_peak = gate(args, data, out)
    if problem:
        print(f"\nMISMATCH: {label(vars(args))} differs from custseg\n{problem}", file=sys.stderr)
        return bcv.EXIT_MISMATCH
    bcv.release_memory()
    peak_reset = bcv.reset_peak()
    before_timed = bcv.rss_kib()
    times, peak = timed_runs(args, data, out)
    cli = sc.is_path(data) and args.contender == "custseg"
    info = {
        "result_rows": result_rows,
        "via": "cli" if cli else "call",
        "times_s": times,
        "best_s": min(times),
        "first_s": first_s,
        "rss_loaded_kib": loaded,
        # The first call's peak: one call in a process that has only loaded the data.
        "first_call_peak_rss_kib": first_peak,
        # The timed calls' peak: what the calls before them left cached is under it.
        "rss_before_timed_kib": before_timed,
        "peak_rss_kib": peak,
        "peak_reset_after_check": peak_reset,
        "threads_used": bcv.threads_used(args.contender, args.threads),
        "checked_against_custseg": True,
        "startup_s": startup_s(args.what, args.repeat) if cli else None,
    }
    Path(args.out).write_text(json.dumps(info))
    return 0


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------
KEYS = ("rows_label", "what", "variant", "input", "order", "ids")
HEADER = (
    "| rows | what | variant | input | order | ids | contender | best s | peak RSS MiB "
    "| first call's peak MiB | ratio |\n"
    "|---:|---|---|---|---|---|---|---:|---:|---:|---:|"
)
SUMMARY_HEADER = (
    "| rows | what | variant | input | order | ids | custseg s | fastest polars/DuckDB "
    "| its s | fastest ÷ custseg | pandas ÷ custseg |\n"
    "|---:|---|---|---|---|---|---:|---|---:|---:|---:|"
)


def label(r: dict[str, Any]) -> str:
    return " ".join(
        f"{k}={r[k]}" for k in ("what", "variant", "input", "order", "ids", "contender")
    )


def row_text(r: dict[str, Any]) -> str:
    head = "| " + " | ".join(str(r[k]) for k in KEYS)
    name = "custseg (CLI)" if r.get("via") == "cli" else r["contender"]
    if "skipped" in r:
        return f"{head} | {name} | skipped: {r['skipped']} | | | |"
    if "error" in r:
        return f"{head} | {name} | {r['error']} | | | |"
    ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else "-"
    first = r.get("first_call_peak_rss_kib")
    first_text = "-" if first is None else f"{first / MIB:.0f}"
    peak = r["peak_rss_kib"] / MIB
    return f"{head} | {name} | {r['best_s']:.3f} | {peak:.0f} | {first_text} | {ratio} |"


def summary_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per combination: custseg's time, the fastest of polars/DuckDB and both ratios."""
    combos: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in results:
        if "best_s" in r:
            combos.setdefault(tuple(r[k] for k in KEYS), {})[r["contender"]] = r["best_s"]
    out = []
    for key, times in combos.items():
        base = times.get("custseg")
        others = sorted((times[n], n) for n in ("polars", "duckdb") if n in times)
        fastest_s, fastest = others[0] if others else (None, None)
        row = dict(zip(KEYS, key, strict=True))
        row.update(custseg_s=base, fastest=fastest, fastest_s=fastest_s)
        row["fastest_ratio"] = fastest_s / base if base and fastest_s else None
        row["pandas_ratio"] = times["pandas"] / base if base and "pandas" in times else None
        out.append(row)
    return out


def summary_text(s: dict[str, Any]) -> str:
    def num(x: float | None, fmt: str) -> str:
        return "-" if x is None else format(x, fmt)

    head = "| " + " | ".join(str(s[k]) for k in KEYS)
    return (
        f"{head} | {num(s['custseg_s'], '.3f')} | {s['fastest'] or '-'} "
        f"| {num(s['fastest_s'], '.3f')} | {num(s['fastest_ratio'], '.2f')} "
        f"| {num(s['pandas_ratio'], '.2f')} |"
    )


def spawn(mode: list[str], combo: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """One worker (``mode``: [] or ["--prepare"]) through ``bench_customer_value.run_worker``
    (fresh process, threads, abort on mismatch)."""
    worker_args = [*mode, "--rows", str(combo["rows"]), "--data-dir", combo["data_dir"]]
    for key in ("ids", "order", "variant", "what", "input"):
        worker_args += [f"--{key}", combo[key]]
    worker_args += ["--contenders", combo.get("contender", "custseg")]
    what = label({**{"contender": "prepare"}, **combo})
    return bcv.run_worker(str(Path(__file__).resolve()), worker_args, what, args)


def skip_reason(combo: dict[str, Any], name: str, pandas_max: int) -> str | None:
    why = sc.supported(combo["what"], combo["variant"], name) if name != "custseg" else None
    if name == "pandas" and combo["rows"] > pandas_max:
        why = why or f"above --pandas-max-rows {bcv.rows_label(pandas_max)}"
    return why


def run_contenders(
    combo: dict[str, Any], names: list[str], args: argparse.Namespace, meta: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every contender of one (rows, what, variant, input, order, ids), custseg first."""
    results, base = [], None
    for name in names:
        r = {**{k: combo[k] for k in KEYS}, "contender": name, **meta}
        why = skip_reason(combo, name, args.pandas_max)
        if why:
            r["skipped"] = why
        else:
            r.update(spawn([], {**combo, "contender": name}, args))
        if name == "custseg" and "best_s" in r:
            base = r["best_s"]
        if "best_s" in r:
            r["ratio"] = r["best_s"] / base if base else None
        results.append(r)
        print(row_text(r), flush=True)
    return results


def run_all(args: argparse.Namespace, opts: dict[str, list[Any]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for rows in opts["rows"]:
        for ids in opts["ids"]:
            for order in opts["order"]:
                for variant in opts["variant"]:
                    results += run_variant(rows, ids, order, variant, args, opts)
    return results


def run_variant(
    rows: int, ids: str, order: str, variant: str, args: argparse.Namespace, opts: dict[str, Any]
) -> list[dict[str, Any]]:
    """Prepares the data of (rows, ids, order, variant) and runs every what x input on it."""
    whats = [w for w in opts["what"] if not (variant == "sales_only" and w != "cv")]
    base = dict(rows=rows, rows_label=bcv.rows_label(rows), ids=ids, order=order, variant=variant)
    results = []
    for what in [w for w in opts["what"] if w not in whats]:
        for form in opts["input"]:
            r = {**base, "what": what, "input": form, "contender": "all"}
            r["skipped"] = "sales_only (CV5) is an option of customer_value only"
            results.append(r)
            print(row_text(r), flush=True)
    if not whats:
        return results
    if args.data_dir:
        Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shapes_", dir=args.data_dir) as tmp:
        combo = {**base, "data_dir": tmp, "what": ",".join(whats)}
        combo["input"] = ",".join(opts["input"])
        meta = spawn(["--prepare"], combo, args)
        if "error" in meta:
            sys.exit(f"preparing the data failed: {meta['error']}")
        for what in whats:
            for form in opts["input"]:
                combo.update(what=what, input=form)
                results += run_contenders(combo, opts["names"], args, meta)
    return results


def split(text: str, allowed: tuple[str, ...], what: str, p: argparse.ArgumentParser) -> list[str]:
    items = [s.strip() for s in text.split(",") if s.strip()]
    for bad in [s for s in items if s not in allowed]:
        p.error(f"unknown {what} {bad!r} ({', '.join(allowed)})")
    return list(dict.fromkeys(items))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--what", default="cv,rfm,clv", help="cv, rfm, clv")
    p.add_argument("--variant", default="plain", help="plain, sales_only, orders")
    p.add_argument("--input", default="arrow", help=", ".join(INPUTS))
    p.add_argument("--order", default="grouped", help="grouped, by-date, shuffled")
    p.add_argument("--ids", default="int", help=", ".join(ID_FORMS))
    p.add_argument("--rows", default="1M", help="comma-separated sizes: 1M,10M,100M")
    p.add_argument("--repeat", type=int, default=5, help="timed runs (best is reported)")
    p.add_argument("--contenders", default=",".join(CONTENDERS))
    p.add_argument("--threads", type=int, default=None, help="threads for everyone (all cores)")
    p.add_argument("--pandas-max-rows", default="10M", help="skip pandas above this size")
    p.add_argument("--data-dir", default=None, help="folder for the temporary data files")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.repeat < 1 or (args.threads is not None and args.threads < 1):
        p.error("--repeat and --threads must be at least 1")
    if args.worker:
        args.rows, args.contender = int(args.rows), args.contenders
        return prepare(args) if args.prepare else worker(args)

    names = split(args.contenders, CONTENDERS, "contender", p)
    opts: dict[str, Any] = {
        "rows": [bcv.parse_rows(s) for s in args.rows.split(",") if s.strip()],
        "what": split(args.what, WHATS, "--what", p),
        "variant": split(args.variant, sc.VARIANTS, "--variant", p),
        "input": split(args.input, INPUTS, "--input", p),
        "order": split(args.order, bcv.ORDERS, "--order", p),
        "ids": split(args.ids, ID_FORMS, "--ids", p),
        "names": sorted(names, key=CONTENDERS.index),  # custseg first: the ratio's base
    }
    args.pandas_max = bcv.parse_rows(args.pandas_max_rows)
    mach, vers, command = bcv.print_header(bcv.versions(opts["names"]))
    print(
        f"as_of {sc.AS_OF}; best of {args.repeat}; threads "
        f"{args.threads or 'all cores'} (pandas 1); every result checked equal to custseg "
        "first; ratio = contender best / custseg best\n"
    )
    print(HEADER, flush=True)
    results = run_all(args, opts)
    summary = summary_rows(results)
    print("\n" + SUMMARY_HEADER)
    for s in summary:
        print(summary_text(s))
    startups = [r["startup_s"] for r in results if r.get("startup_s") is not None]
    if startups:
        print(
            "\ncustseg (CLI) includes the start of Python, custseg's import and the CLI's "
            f"parser: `python -m custseg <cv|rfm|clv> --help` takes {min(startups):.3f} s (best)."
        )
    if args.json:
        config = {k: v for k, v in vars(args).items() if k not in ("worker", "prepare", "out")}
        doc = {
            "command": command,
            "machine": mach,
            "versions": vers,
            "config": {**config, "rows": opts["rows"], "as_of": sc.AS_OF.isoformat()},
            "results": results,
            "summary": summary,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
