#!/usr/bin/env python3
"""Benchmark: custseg.customer_value_history (CV8) against one call, 16 calls, polars and DuckDB.

    python benches/bench_history.py [--rows 10M] [--ids str] [--order by-date,shuffled]
        [--contenders history,one-call,calls,polars,duckdb] [--boundaries 16]
        [--repeat 3] [--threads N] [--json auto|none|FILE]
    python benches/bench_history.py --migration-direct --rows 100M [--source table|stream]

The data is ``bench_customer_value.load(rows, ids, order, years)``:
``custseg.datasets.synthetic`` (``--years`` 8 before 2026-01-01, so that all 16 boundaries
have customers; seed 42; ``--ids str`` gives string ids such as "C0000042", as real systems
write them), its rows sorted by date (``by-date``: a transaction log) or in a
fixed random order (``shuffled``). The boundaries are the last ``--boundaries`` (16)
semiannual period starts (P1, from 2000-01-01) up to the last one on or before the day
after the data's last day, passed to everyone as explicit start and end.

Contenders (each in a fresh process, like ``bench_customer_value.py``):

* ``history``: ``custseg.customer_value_history(tx, start=, end=, periods=semiannual())``;
* ``one-call``: one ``custseg.customer_value(tx, as_of=<last boundary>)`` (the acceptance:
  the history costs at most 3x this);
* ``calls``: one ``custseg.customer_value(tx, as_of=s)`` per boundary, concatenated with a
  ``period_start`` column (what one writes without the history);
* ``polars``, ``duckdb``: the same work written as an expert would
  (``history_contenders.py``), in their fastest form; ``polars/<form>`` and
  ``duckdb/<form>`` pick a form (snapshots, per-boundary, cross-join, interval).

Correctness first: each contender's first (untimed) result is compared with the reference,
boundary by boundary (``bench_customer_value.canonical``/``diff``: every CV7 column, monetary
as exact millionths): the reference is the history, or the 16 calls when this custseg has no
``customer_value_history`` (and the history itself is compared with the 16 calls). A mismatch
aborts the benchmark with a diff. Then the best wall time of ``--repeat`` runs, and the peak
RSS of the timed runs (the peak mark is reset after the check, Linux only).

``--migration-direct``: ``custseg.migration(data=tx, start=, end=, periods=)`` (the counts
straight from the rows, never building the long table) in a fresh process, its time and
peak RSS (``ru_maxrss`` of the child, from ``os.wait4``) next to the rows and customers,
against a process that only loads the data and one that builds the history and then
``migration(hist)`` (skipped when it would not fit in memory); the two migrations must be
equal. ``--source stream`` feeds ``custseg.datasets.synthetic_stream`` instead of a table
(rows grouped per customer as generated; the input is never held whole, so the peak RSS is
the working memory; each run generates the data again and its time includes that).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import bench_customer_value as bcv  # noqa: E402  (next to this file)

CUSTSEG = ("history", "one-call", "calls")
PEERS = ("polars", "duckdb")
DEFAULT_CONTENDERS = "history,one-call,calls,polars,duckdb"
MIGRATION_TASKS = ("load", "migration", "history-migration")
EXIT_MISMATCH = bcv.EXIT_MISMATCH
GIB = bcv.GIB
# Bytes per row of the long history table (pyarrow: date, string id of ~8 characters,
# two dictionary labels, three int64/float64 and two dates), for "does it fit".
HISTORY_ROW_BYTES = 60


def hc() -> Any:
    import history_contenders

    return history_contenders


def has_history() -> bool:
    import custseg

    return hasattr(custseg, "customer_value_history")


# ---------------------------------------------------------------------------
# Boundaries
# ---------------------------------------------------------------------------
def boundaries_for(last_day: dt.date, count: int) -> list[dt.date]:
    """The ``count`` semiannual period starts ending at the last one on or before the day
    after ``last_day`` (the default ``end`` of the history)."""
    after = last_day + dt.timedelta(days=1)
    p = hc().period_index(after.year, after.month)  # the period holding that day
    return [hc().boundary_day(q) for q in range(p - count + 1, p + 1)]


def table_days(table: Any) -> tuple[dt.date, dt.date]:
    import pyarrow.compute as pc

    mm = pc.min_max(table["date"]).as_py()
    return mm["min"], mm["max"]


def split_contender(name: str) -> tuple[str, str | None]:
    """'polars/interval' -> ('polars', 'interval'); 'polars' -> ('polars', default form)."""
    engine, _, form = name.partition("/")
    if engine in PEERS:
        return engine, form or hc().DEFAULT_FORM[engine]
    return engine, None


# ---------------------------------------------------------------------------
# The contenders
# ---------------------------------------------------------------------------
def run_contender(name: str, table: Any, bounds: list[dt.date], threads: int | None) -> Any:
    import custseg

    periods = custseg.Periods.semiannual()
    engine, form = split_contender(name)
    if engine == "history":
        return custseg.customer_value_history(
            table, start=bounds[0], end=bounds[-1], periods=periods, threads=threads
        )
    if engine == "one-call":
        return custseg.customer_value(table, as_of=bounds[-1], periods=periods, threads=threads)
    if engine == "calls":
        return calls(table, bounds, threads)
    if engine == "polars":
        return hc().history("polars", form, table, bounds)  # POLARS_MAX_THREADS: the driver
    if engine == "duckdb":
        return hc().history("duckdb", form, table, bounds, threads=threads)
    raise ValueError(f"unknown contender {name!r}")


def calls(table: Any, bounds: list[dt.date], threads: int | None) -> Any:
    """One customer_value call per boundary, as one long table (period_start first). A
    boundary on or before the first day of the data has no rows (customer_value refuses
    such an as_of: AsOfError), so the loop skips it."""
    import custseg
    import pyarrow as pa

    periods = custseg.Periods.semiannual()
    first_day = table_days(table)[0]
    parts = []
    for b in bounds:
        if b <= first_day:
            continue
        t = custseg.customer_value(table, as_of=b, periods=periods, threads=threads)
        day = pa.repeat(pa.scalar(b, pa.date32()), len(t))
        parts.append(t.add_column(0, "period_start", day))
    return pa.concat_tables(parts)


def to_arrow(result: Any) -> Any:
    import pyarrow as pa

    if isinstance(result, pa.Table):
        return result
    if hasattr(result, "to_arrow"):  # polars
        return result.to_arrow()
    return pa.Table.from_pandas(result, preserve_index=False)


def boundary_slice(table: Any, day: dt.date) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    col = table["period_start"]
    if not pa.types.is_date32(col.type):
        col = col.cast(pa.date32())
    return table.filter(pc.equal(col, pa.scalar(day, pa.date32())))


def compare(ref: Any, got: Any, bounds: list[dt.date], ref_name: str, got_name: str) -> str | None:
    """None when ``got`` has, at every boundary, exactly the rows of ``ref`` (every CV7
    column; monetary as exact millionths), and no rows elsewhere; else the differences."""
    ref, got = to_arrow(ref), to_arrow(got)
    lines = []
    if "period_start" not in got.column_names:
        return f"{got_name} has no period_start column: {got.column_names}"
    rows_in = 0
    for b in bounds:
        r, g = boundary_slice(ref, b), boundary_slice(got, b)
        rows_in += g.num_rows
        problem = bcv.diff(bcv.canonical(r), bcv.canonical(g))
        if problem:
            lines.append(
                f"at period_start {b} ({ref_name} {r.num_rows} rows, {got_name} "
                f"{g.num_rows}):\n{problem}"
            )
    if rows_in != got.num_rows:
        lines.append(f"{got_name} has {got.num_rows - rows_in} rows at other period_start values")
    if lines:
        lines.insert(0, f"('custseg' below = {ref_name}, 'contender' = {got_name})")
    return "\n".join(lines) or None


def order_problems(hist: Any, bounds: list[dt.date]) -> list[str]:
    """The history's contract beyond its rows: period_start a date32, sorted by
    period_start then customer (notes, not a mismatch)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    notes = []
    t = to_arrow(hist)
    if t.column_names[:1] != ["period_start"]:
        notes.append(f"history columns start {t.column_names[:3]}, not period_start")
        return notes
    if not pa.types.is_date32(t["period_start"].type):
        notes.append(f"period_start is {t['period_start'].type}, not date32")
    ps = t["period_start"].cast(pa.date32())
    if t.num_rows > 1 and not pc.all(pc.less_equal(ps[:-1], ps[1:])).as_py():
        notes.append("history not sorted by period_start")
    for b in bounds:
        ids = boundary_slice(t, b)["customer_id"]
        if not ids.equals(ids.take(pc.sort_indices(ids))):
            notes.append(f"history not sorted by customer at {b}")
            break
    return notes


def fail(message: str) -> int:
    print(f"\nMISMATCH: {message}", file=sys.stderr, flush=True)
    return EXIT_MISMATCH


def worker(args: argparse.Namespace) -> int:
    """One (rows, ids, order, contender) in this fresh process; writes its result as JSON."""
    name, threads = args.contenders, args.threads
    t0 = time.perf_counter()
    table = bcv.load(args.rows, args.ids, args.order, args.years)
    load_s = time.perf_counter() - t0
    first_day, last_day = table_days(table)
    bounds = boundaries_for(last_day, args.boundaries)
    bcv.release_memory()
    loaded = bcv.rss_kib()

    # Correctness gate (untimed; doubles as the warm-up).
    t0 = time.perf_counter()
    first = run_contender(name, table, bounds, threads)
    first_s = time.perf_counter() - t0
    result_rows = len(first)
    engine = split_contender(name)[0]
    notes: list[str] = []
    where = f"rows={bcv.rows_label(args.rows)} ids={args.ids} order={args.order}"
    if engine == "history":
        notes = order_problems(first, bounds)
        ref_name, ref = f"{len(bounds)} calls", calls(table, bounds, threads)
    elif engine in ("calls", "one-call") and not has_history():
        ref_name, ref = "", None  # nothing to check against: the reference itself
    elif has_history():
        ref_name, ref = "history", run_contender("history", table, bounds, threads)
    else:
        ref_name, ref = f"{len(bounds)} calls", calls(table, bounds, threads)
    checked, got = None, None
    if ref is not None:
        if engine == "one-call":
            import pyarrow as pa

            col = pa.repeat(pa.scalar(bounds[-1], pa.date32()), result_rows)
            got = to_arrow(first).add_column(0, "period_start", col)
            problem = compare(ref, got, bounds[-1:], ref_name, name)
        else:
            problem = compare(ref, first, bounds, ref_name, name)
        if problem:
            return fail(f"{name} differs from {ref_name} at {where}\n{problem}")
        checked = ref_name
    del first, ref, got
    bcv.release_memory()
    peak_reset = bcv.reset_peak()

    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = run_contender(name, table, bounds, threads)
        times.append(time.perf_counter() - t0)
        del result
    peak = bcv.peak_kib()

    info = {
        "rows_label": bcv.rows_label(args.rows),
        "rows": table.num_rows,
        "customers": bcv.customers_over(args.rows, args.years),
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "boundaries": [b.isoformat() for b in bounds],
        "boundaries_with_data": sum(b > first_day for b in bounds),
        "result_rows": result_rows,
        "ids": args.ids,
        "order": args.order,
        "contender": name,
        "form": split_contender(name)[1],
        "threads": threads,
        "threads_used": bcv.threads_used(engine if engine in PEERS else "custseg", threads),
        "times_s": times,
        "best_s": min(times),
        "first_s": first_s,
        "load_s": load_s,
        "rss_loaded_kib": loaded,
        "peak_rss_kib": peak,
        "peak_reset_after_check": peak_reset,
        "input_arrow_bytes": table.nbytes,
        "checked_against": checked,
        "notes": notes,
    }
    Path(args.out).write_text(json.dumps(info))
    return 0


# ---------------------------------------------------------------------------
# --migration-direct
# ---------------------------------------------------------------------------
def migration_data(args: argparse.Namespace) -> tuple[Any, list[dt.date], dict[str, Any]]:
    """The input of a migration task (a table, or a fresh stream) and the boundaries."""
    import custseg

    if args.source == "stream":
        data = custseg.datasets.synthetic_stream(
            customers=bcv.customers_over(args.rows, args.years),
            years=args.years,
            seed=bcv.SEED,
            ids=args.ids,
        )
        # synthetic's end is 2026-01-01 (exclusive): the data's last day is 2025-12-31.
        return data, boundaries_for(dt.date(2025, 12, 31), args.boundaries), {}
    table = bcv.load(args.rows, args.ids, args.order, args.years)
    first_day, last_day = table_days(table)
    facts = {
        "rows": table.num_rows,
        "input_arrow_bytes": table.nbytes,
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
    }
    return table, boundaries_for(last_day, args.boundaries), facts


def canonical_migration(m: Any) -> Any:
    import pyarrow as pa

    t = to_arrow(m)
    cols = {}
    for name in t.column_names:
        col = t[name].combine_chunks()
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()
        if pa.types.is_string(col.type) or pa.types.is_string_view(col.type):
            col = col.cast(pa.large_string())
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.date32())
        cols[name] = col
    keys = [
        ("from_period", "ascending"),
        ("from_segment", "ascending"),
        ("to_segment", "ascending"),
    ]
    return pa.table(cols).sort_by(keys)


def migration_worker(args: argparse.Namespace) -> int:
    """One --migration-direct task in this fresh process (the parent measures its RSS)."""
    import custseg

    periods = custseg.Periods.semiannual()
    t0 = time.perf_counter()
    data, bounds, info = migration_data(args)
    info["load_s"] = time.perf_counter() - t0
    info["rss_loaded_kib"] = bcv.rss_kib()
    info["boundaries"] = [b.isoformat() for b in bounds]
    span = {"start": bounds[0], "end": bounds[-1], "periods": periods, "threads": args.threads}
    times, result = [], None
    for i in range(args.repeat if args.task != "load" else 0):
        if i and args.source == "stream":
            data = migration_data(args)[0]  # a stream is read once
        t0 = time.perf_counter()
        if args.task == "migration":
            result = custseg.migration(data=data, **span)
        else:
            hist = custseg.customer_value_history(data, **span)
            info["history_rows"] = len(hist)
            info["history_arrow_bytes"] = to_arrow(hist).nbytes
            result = custseg.migration(hist)
            del hist
        times.append(time.perf_counter() - t0)
    if times:
        info.update(times_s=times, best_s=min(times), result_rows=len(result))
    saved = Path(args.save) if args.save else None
    if result is not None and saved is not None:
        import pyarrow.feather as feather

        mine = canonical_migration(result)
        if args.task == "migration":
            feather.write_feather(mine, saved)
        elif saved.exists():
            direct = feather.read_table(saved)
            info["equal_to_direct"] = mine.equals(direct)
            if not mine.equals(direct):
                a, b = direct.to_pandas(), mine.to_pandas()
                both = a.merge(b, how="outer", indicator=True)
                side = {"left_only": "direct only", "right_only": "via history only"}
                odd = both[both["_merge"] != "both"].assign(
                    _merge=lambda d: d["_merge"].astype(str).map(side)
                )
                print(
                    "\nMISMATCH: migration(data=...) differs from migration(history) "
                    f"({len(a)} and {len(b)} rows); the rows of one only (first 30):\n"
                    f"{odd.head(30).to_string(index=False)}",
                    file=sys.stderr,
                )
                Path(args.out).write_text(json.dumps(info))
                return EXIT_MISMATCH
    Path(args.out).write_text(json.dumps(info))
    return 0


def spawn_measured(cmd: list[str], env: dict[str, str]) -> tuple[int, int]:
    """Runs ``cmd``; returns its exit code and peak RSS (KiB): ``ru_maxrss`` of that child
    from ``os.wait4`` (``getrusage(RUSAGE_CHILDREN)`` would be the largest of all children)."""
    proc = subprocess.Popen(cmd, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return proc.returncode, peak


def mem_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def migration_direct(
    args: argparse.Namespace, sizes: list[int], id_kinds: list[str], orders: list[str]
) -> list[dict[str, Any]]:
    env = thread_env(args)
    orders = ["grouped"] if args.source == "stream" else orders
    print(
        f"{'rows':>6} {'ids':>4} {'order':<8} {'task':<18} {'best s':>8} {'peak RSS GiB':>12} "
        f"{'customers':>10} {'out rows':>10}  note",
        flush=True,
    )
    results = []
    for rows in sizes:
        for ids in id_kinds:
            for order in orders:
                with tempfile.TemporaryDirectory(prefix="bench_history_") as tmp:
                    saved = str(Path(tmp) / "direct.feather")
                    for task in MIGRATION_TASKS:
                        r = {
                            "rows_label": bcv.rows_label(rows),
                            "ids": ids,
                            "order": order,
                            "task": task,
                            "source": args.source,
                            "customers": bcv.customers_over(rows, args.years),
                        }
                        note = ""
                        if task == "load" and args.source == "stream":
                            continue
                        if task == "history-migration" and not args.history_rss:
                            note = "skipped (--no-history-rss)"
                        elif task == "history-migration":
                            need = (
                                r["customers"] * args.boundaries * HISTORY_ROW_BYTES * 2 + rows * 32
                            )
                            avail = mem_available()
                            if avail is not None and need > 0.8 * avail:
                                note = (
                                    f"skipped: needs ~{need / GIB:.1f} GiB, "
                                    f"{avail / GIB:.1f} GiB available"
                                )
                        if not note:
                            out = Path(tmp) / f"{task}.json"
                            cmd = [
                                sys.executable,
                                str(Path(__file__).resolve()),
                                "--migration-worker",
                                task,
                                "--rows",
                                str(rows),
                                "--ids",
                                ids,
                                "--order",
                                order,
                                "--source",
                                args.source,
                                "--boundaries",
                                str(args.boundaries),
                                "--years",
                                str(args.years),
                                "--repeat",
                                str(args.repeat),
                                "--out",
                                str(out),
                                "--save",
                                saved,
                            ]
                            if args.threads is not None:
                                cmd += ["--threads", str(args.threads)]
                            code, peak = spawn_measured(cmd, env)
                            if code == EXIT_MISMATCH:
                                sys.exit("\nABORTED: the direct migration differs (diff above)")
                            if code != 0 or not out.exists():
                                why = "killed (out of memory?)" if code in (-9, 137) else "failed"
                                note = f"{why}: exit code {code}"
                            else:
                                r.update(json.loads(out.read_text()))
                            r["peak_rss_kib"] = peak
                        r["note"] = note
                        results.append(r)
                        best = f"{r['best_s']:>8.3f}" if "best_s" in r else f"{'-':>8}"
                        peak_gib = (
                            f"{r['peak_rss_kib'] / 2**20:>12.2f}"
                            if "peak_rss_kib" in r
                            else f"{'-':>12}"
                        )
                        out_rows = r.get("history_rows", r.get("result_rows", "-"))
                        if task == "history-migration" and "history_rows" in r:
                            note = note or f"history {r['history_rows']:,} rows"
                        if r.get("equal_to_direct"):
                            note += "; equal to direct"
                        print(
                            f"{r['rows_label']:>6} {ids:>4} {order:<8} {task:<18} {best} "
                            f"{peak_gib} {r['customers']:>10,} {out_rows!s:>10}  {note}",
                            flush=True,
                        )
    return results


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------
def thread_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    if args.threads is not None:
        env["POLARS_MAX_THREADS"] = str(args.threads)
        env["RAYON_NUM_THREADS"] = str(args.threads)
    return env


def spawn(rows: int, ids: str, order: str, name: str, args: argparse.Namespace) -> dict[str, Any]:
    worker_args = [
        "--rows",
        str(rows),
        "--ids",
        ids,
        "--order",
        order,
        "--contenders",
        name,
        "--boundaries",
        str(args.boundaries),
        "--years",
        str(args.years),
    ]
    what = f"{name} at rows={bcv.rows_label(rows)} ids={ids} order={order}"
    return bcv.run_worker(str(Path(__file__).resolve()), worker_args, what, args)


HEADER = (
    f"{'rows':>6} {'ids':>4} {'order':<8} {'contender':<20} {'best s':>8} {'peak RSS GiB':>12} "
    f"{'load RSS GiB':>12} {'out rows':>10} {'x base':>7}"
)


def row_text(r: dict[str, Any]) -> str:
    head = f"{r['rows_label']:>6} {r['ids']:>4} {r['order']:<8} {r['contender']:<20}"
    if "error" in r:
        return f"{head} {r['error']}"
    ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else "-"
    return (
        f"{head} {r['best_s']:>8.3f} {r['peak_rss_kib'] / 2**20:>12.2f} "
        f"{r['rss_loaded_kib'] / 2**20:>12.2f} {r['result_rows']:>10,} {ratio:>7}"
    )


def summary(group: list[dict[str, Any]], base_name: str) -> list[str]:
    """The acceptance ratios of one (rows, ids, order)."""
    ok = {r["contender"]: r for r in group if "error" not in r}
    lines = []
    base = ok.get(base_name)
    if base is None:
        return lines
    head = f"{group[0]['rows_label']} {group[0]['ids']} {group[0]['order']}:"
    if "one-call" in ok and base_name == "history":
        x = base["best_s"] / ok["one-call"]["best_s"]
        lines.append(f"{head} history / one call = {x:.2f}x (target <= 3x)")
    if "calls" in ok and base_name != "calls":
        x = ok["calls"]["best_s"] / base["best_s"]
        calls_made = base["boundaries_with_data"]  # the others have no row before them
        lines.append(f"{head} {calls_made} calls / {base_name} = {x:.2f}x")
    peers = [r for n, r in ok.items() if split_contender(n)[0] in PEERS]
    if peers:
        fastest = min(peers, key=lambda r: r["best_s"])
        x = fastest["best_s"] / base["best_s"]
        lines.append(
            f"{head} fastest peer ({fastest['contender']}) / {base_name} = {x:.1f}x (target >= 20x)"
        )
    return lines


def sanitized_command() -> str:
    """The command line with paths inside the repository made relative to it."""
    import shlex

    def rel(arg: str) -> str:
        try:
            return str(Path(os.path.abspath(arg)).relative_to(REPO)) if arg.startswith("/") else arg
        except ValueError:
            return arg

    return shlex.join(rel(a) for a in [sys.executable, *sys.argv])


def json_path(args: argparse.Namespace, sizes: list[int], nproc: int | None) -> Path | None:
    if args.json == "none":
        return None
    if args.json != "auto":
        return Path(args.json)
    kind = "migration" if args.migration_direct else "history"
    label = "-".join(bcv.rows_label(r) for r in sizes)
    name = f"{dt.date.today().isoformat()}-{nproc}core-{kind}-{label}.json"
    return HERE / "results" / name


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", default="10M", help="comma-separated sizes: 1M,10M,100M")
    p.add_argument("--ids", default="str", help="comma-separated: int,str")
    p.add_argument(
        "--order",
        default="by-date,shuffled",
        help="comma-separated row orders: by-date, shuffled, grouped",
    )
    p.add_argument(
        "--contenders",
        default=DEFAULT_CONTENDERS,
        help="history, one-call, calls, polars[/form], duckdb[/form]; forms: "
        "snapshots, per-boundary, cross-join, interval",
    )
    p.add_argument("--boundaries", type=int, default=16, help="semiannual boundaries (16)")
    p.add_argument(
        "--years",
        type=int,
        default=8,
        help="years of data (8: every one of 16 semiannual boundaries has customers before it; "
        "the rows stay about --rows)",
    )
    p.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    p.add_argument("--threads", type=int, default=None, help="threads for everyone (all cores)")
    p.add_argument(
        "--json",
        default="auto",
        help="auto (benches/results/<date>-<N>core-history-<rows>.json), none, or a file",
    )
    p.add_argument(
        "--migration-direct",
        action="store_true",
        help="time custseg.migration straight from the rows; peak RSS per process",
    )
    p.add_argument(
        "--source",
        default="table",
        choices=("table", "stream"),
        help="--migration-direct input: the loaded table, or synthetic_stream",
    )
    p.add_argument(
        "--no-history-rss",
        dest="history_rss",
        action="store_false",
        help="--migration-direct: skip the history + migration(hist) process",
    )
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--migration-worker",
        choices=MIGRATION_TASKS,
        default=None,
        dest="task",
        help=argparse.SUPPRESS,
    )
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    p.add_argument("--save", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.repeat < 1 or args.boundaries < 1:
        p.error("--repeat and --boundaries must be at least 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    if args.worker:
        args.rows = int(args.rows)
        return worker(args)
    if args.task:
        args.rows = int(args.rows)
        return migration_worker(args)

    sizes = [bcv.parse_rows(s) for s in args.rows.split(",") if s.strip()]
    id_kinds = [s.strip() for s in args.ids.split(",") if s.strip()]
    orders = [s.strip() for s in args.order.split(",") if s.strip()]
    names = list(dict.fromkeys(s.strip() for s in args.contenders.split(",") if s.strip()))
    for bad in [i for i in id_kinds if i not in ("int", "str")]:
        p.error(f"unknown --ids {bad!r} (int, str)")
    for bad in [o for o in orders if o not in bcv.ORDERS]:
        p.error(f"unknown --order {bad!r} ({', '.join(bcv.ORDERS)})")
    for name in names:
        engine, form = split_contender(name)
        if (
            engine not in CUSTSEG + PEERS
            or (form is not None and form not in hc().FORMS)
            or (engine in CUSTSEG and "/" in name)
        ):
            p.error(f"unknown contender {name!r}")

    mach, vers, _ = bcv.print_header(bcv.versions(["polars", "duckdb"]))
    command = sanitized_command()
    history_here = has_history()
    threads = "all cores" if args.threads is None else f"{args.threads}"
    print(
        f"data: bench_customer_value.load (synthetic, years={args.years}, seed={bcv.SEED}); "
        f"{args.boundaries} semiannual boundaries up to the one on or before the day after "
        f"the last day; threads: {threads}; best of {args.repeat}"
    )

    results: list[dict[str, Any]] = []
    lines: list[str] = []
    if args.migration_direct:
        if not hasattr(__import__("custseg"), "migration"):
            sys.exit("this custseg has no migration(): nothing to measure")
        print("peak RSS = ru_maxrss of the task's own process; load = loading the data only\n")
        results = migration_direct(args, sizes, id_kinds, orders)
    else:
        if not history_here:
            names = [n for n in names if n != "history"]
            print(
                "NOTE: this custseg has no customer_value_history: the history is skipped "
                "and the peers are checked against the calls"
            )
        base_name = "history" if "history" in names else "calls"
        # The base first: the ratio column divides by its time.
        names.sort(key=lambda n: n != base_name)
        print(
            f"every result checked equal to the {'history' if history_here else 'calls'} first, "
            f"boundary by boundary; x base = contender best time / {base_name} best time\n"
        )
        print(HEADER, flush=True)
        for rows in sizes:
            for ids in id_kinds:
                for order in orders:
                    group, base = [], None
                    for name in names:
                        r = spawn(rows, ids, order, name, args)
                        r.setdefault("rows_label", bcv.rows_label(rows))
                        r.setdefault("ids", ids)
                        r.setdefault("order", order)
                        r.setdefault("contender", name)
                        if name == base_name and "error" not in r:
                            base = r["best_s"]
                        if "error" not in r:
                            r["ratio"] = r["best_s"] / base if base else None
                        group.append(r)
                        print(row_text(r), flush=True)
                        for note in r.get("notes", []):
                            print(f"       note: {note}")
                    results.extend(group)
                    lines.extend(summary(group, base_name))
        if results and "boundaries" in results[0]:
            r0 = results[0]
            print(
                f"\nboundaries: {r0['boundaries'][0]} .. {r0['boundaries'][-1]} "
                f"({r0['boundaries_with_data']} of {len(r0['boundaries'])} after the first "
                f"day of data, {r0['first_day']})"
            )
        for line in lines:
            print(line)

    path = json_path(args, sizes, mach.get("usable_cpus") or mach.get("nproc"))
    if path is not None:
        doc = {
            "command": command,
            "machine": mach,
            "versions": vers,
            "config": {
                "rows": sizes,
                "ids": id_kinds,
                "orders": orders,
                "contenders": names,
                "peer_forms": hc().DEFAULT_FORM,
                "boundaries": args.boundaries,
                "repeat": args.repeat,
                "threads": args.threads,
                "years": args.years,
                "seed": bcv.SEED,
                "migration_direct": args.migration_direct,
                "source": args.source,
                "custseg_has_history": history_here,
            },
            "results": results,
            "summary": lines,
        }
        path.write_text(json.dumps(doc, indent=2) + "\n")
        shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        print(f"\nwrote {shown}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
