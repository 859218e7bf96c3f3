#!/usr/bin/env python3
"""Benchmark: custseg.spark against the same rules in PySpark SQL and single-machine custseg.

    python benches/bench_spark.py [--rows 10M] [--order by-date|shuffled|grouped] [--ids int,str]
        [--tasks cv,rfm,clv] [--contenders custseg.spark,spark-sql,custseg] [--repeat 3]
        [--warmup 2] [--cores 2] [--driver-memory 6g] [--conf KEY=VALUE ...] [--data-dir DIR]
        [--out results.json] [--check-only]

Contenders, each given the same Parquet folder and ``as_of`` = 2026-01-01 (the defaults of
the calls otherwise; docs/rules.md):

* ``custseg.spark``: ``custseg.spark.customer_value(sdf, customer=, date=, amount=, as_of=)``
  (``.rfm``, ``.clv``), a PySpark DataFrame. When ``custseg.spark`` does not import, the
  benchmark says so and runs the others;
* ``spark-sql``: the same rules written in PySpark as an expert would
  (``spark_sql_rules.py``: group-bys and window functions, exact integer money, exact ranks);
* ``custseg``: single-machine ``custseg.customer_value`` (``rfm``, ``clv``) on the same
  Parquet files through ``pyarrow.dataset`` (streamed by custseg), ``threads=--cores``.

Data: ``bench_customer_value.load(rows, ids, order)`` (``custseg.datasets.synthetic``, 4 years,
seed 42, ~9.7 rows per customer; ``--order by-date`` by default: a transaction log), written
once as a folder of Parquet files (``--data-dir`` keeps and reuses it; by default a temporary
folder). Every timed run reads the folder: the read is inside the time.

Each (task, contender) runs in a fresh process; a Spark contender starts its own
``local[--cores]`` SparkSession there (session start reported, not timed). In that process:

1. correctness gate (untimed; its time is reported as ``first s``, the cold run): the
   contender's result (``toArrow()``), sorted by customer, must equal single-machine
   custseg's on the same files: every column; integers, labels and dates exactly, floats
   bit for bit (``--rel-tol`` relaxes that). A mismatch stops the benchmark with a diff
   (exit code 3);
2. ``--warmup`` more untimed runs (default 2: the JVM keeps compiling Spark's hot code over
   the first runs; at 1M rows the fifth run is several times faster than the first);
3. the peak-RSS marks of the Python process and of the driver JVM are reset (Linux
   ``/proc/PID/clear_refs``), then ``--repeat`` timed runs. A Spark run is forced to full
   evaluation by writing the result to the ``noop`` sink
   (``df.write.format("noop").mode("overwrite").save()``: every row and column computed,
   nothing collected to the driver); custseg's run returns its Arrow table;
4. measures: best wall time; Spark shuffle bytes written and stages of the run (the Spark
   status REST API of the driver's UI, ``/api/v1/applications/<id>/stages``, after the
   listener bus is drained); peak RSS of the Python process (``ru_maxrss``) and of the driver
   JVM (``VmHWM``), and the peak of their sum with any Python workers of the JVM (psutil,
   sampled every 50 ms).

``--check-only``: only the gate, in one process and one SparkSession, for every task at
``as_of`` 2026-01-01 and 2025-10-15 (mid-period: ``1 NEW`` customers, rows after ``as_of``),
on small data (``--rows`` default 100k there). Exit code 0 when every contender that imports
equals custseg, 3 on a mismatch, 1 on an error.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_customer_value as bcv  # noqa: E402  (next to this file)
import spark_sql_rules as ssr  # noqa: E402

SPARK_API, SQL, SINGLE = "custseg.spark", "spark-sql", "custseg"
ALL_CONTENDERS = (SPARK_API, SQL, SINGLE)
SPARK_CONTENDERS = (SPARK_API, SQL)
TASKS = ("cv", "rfm", "clv")
CALLS = {"cv": "customer_value", "rfm": "rfm", "clv": "clv"}
AS_OF = _dt.date(2026, 1, 1)
CHECK_AS_OFS = (AS_OF, _dt.date(2025, 10, 15))
CUSTOMER, DATE, AMOUNT = "customer_id", "date", "amount"
EXIT_MISMATCH, EXIT_ERROR = bcv.EXIT_MISMATCH, 1
MIB, GIB = 2**20, bcv.GIB


# ---------------------------------------------------------------------------
# Data: one folder of Parquet files per (rows, ids, order)
# ---------------------------------------------------------------------------
def write_parquet(table: Any, folder: Path, files: int) -> None:
    """``table`` as ``files`` Parquet files (row groups of at most 1M rows) in ``folder``,
    written next to it first and renamed, so a folder that exists is complete."""
    import pyarrow.dataset as ds

    per_file = max(1, -(-table.num_rows // files))
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    ds.write_dataset(
        table,
        tmp,
        format="parquet",
        basename_template="part-{i}.parquet",
        max_rows_per_file=per_file,
        max_rows_per_group=min(per_file, 1 << 20),
        min_rows_per_group=min(per_file, 1 << 20),
    )
    tmp.rename(folder)


def parquet_folder(data_dir: Path, rows: int, ids: str, order: str) -> tuple[Path, dict[str, Any]]:
    """The Parquet folder of ``bench_customer_value.load(rows, ids, order)`` in ``data_dir``
    (made when missing) and what it holds."""
    folder = data_dir / f"tx-{bcv.rows_label(rows)}-{ids}-{order}"
    info: dict[str, Any] = {"path": str(folder), "made": False}
    if not folder.exists():
        t0 = time.perf_counter()
        table = bcv.load(rows, ids, order)
        info["generate_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        # About 1.25M rows a file (at least 2): several files for Spark's tasks to share.
        write_parquet(table, folder, max(2, round(table.num_rows / 1_250_000)))
        info["write_s"] = time.perf_counter() - t0
        info["made"] = True
        del table
        bcv.release_memory()
    files = sorted(folder.glob("*.parquet"))
    info["files"] = len(files)
    info["bytes"] = sum(f.stat().st_size for f in files)
    import pyarrow.dataset as ds

    info["rows"] = ds.dataset(folder, format="parquet").count_rows()
    return folder, info


# ---------------------------------------------------------------------------
# Contenders
# ---------------------------------------------------------------------------
def spark_api() -> tuple[Any, str | None]:
    """``custseg.spark`` and None, or None and why it does not import."""
    try:
        import custseg.spark as css
    except Exception as e:  # ImportError, or an error inside the module while it is written
        return None, f"{type(e).__name__}: {e}"
    return css, None


def spark_function(name: str, task: str) -> Any:
    if name == SQL:
        return ssr.FUNCTIONS[task]
    if name == SPARK_API:
        css, why = spark_api()
        if css is None:
            raise ImportError(f"custseg.spark does not import ({why})")
        return getattr(css, CALLS[task])
    raise ValueError(f"not a Spark contender: {name!r}")


def spark_frame(spark: Any, name: str, task: str, folder: Path, as_of: _dt.date) -> Any:
    """The contender's lazy result DataFrame over the Parquet folder (read included)."""
    fn = spark_function(name, task)
    sdf = spark.read.parquet(str(folder))
    return fn(sdf, customer=CUSTOMER, date=DATE, amount=AMOUNT, as_of=as_of)


def run_single(task: str, folder: Path, as_of: _dt.date, cores: int) -> Any:
    """Single-machine custseg on the Parquet folder (a pyarrow Dataset, streamed)."""
    import custseg
    import pyarrow.dataset as ds

    data = ds.dataset(str(folder), format="parquet")
    fn = getattr(custseg, CALLS[task])
    return fn(data, customer=CUSTOMER, date=DATE, amount=AMOUNT, as_of=as_of, threads=cores)


def to_arrow(sdf: Any) -> Any:
    """A Spark DataFrame as a pyarrow Table (``toArrow``, PySpark >= 4.0)."""
    if hasattr(sdf, "toArrow"):
        return sdf.toArrow()
    import pyarrow as pa

    return pa.Table.from_pandas(sdf.toPandas(), preserve_index=False)


def force(sdf: Any) -> None:
    """Full evaluation of every row and column, nothing collected: the noop sink."""
    sdf.write.format("noop").mode("overwrite").save()


def start_spark(cores: int, driver_memory: str, confs: list[str], ui: bool = True) -> Any:
    """A fresh local[cores] SparkSession (this process's first)."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    if shutil.which("java") is None:
        raise RuntimeError(
            "Spark needs a Java runtime (Java 17) on PATH: install one, e.g. "
            "`apt install openjdk-17-jre-headless`"
        )
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("custseg-bench-spark")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "true" if ui else "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    for kv in confs:
        key, _, value = kv.partition("=")
        builder = builder.config(key.strip(), value.strip())
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# ---------------------------------------------------------------------------
# The correctness gate
# ---------------------------------------------------------------------------
def canonical(table: Any, columns: tuple[str, ...]) -> Any:
    """A result as a pyarrow Table sorted by customer, with comparable types: labels and ids
    as large_string when text, integers int64, dates date32, floats float64."""
    import pyarrow as pa

    missing = [c for c in (CUSTOMER, *columns) if c not in table.column_names]
    if missing:
        raise AssertionError(f"the result lacks the columns {missing}: {table.column_names}")
    cols = {}
    for name in (CUSTOMER, *columns):
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
    return pa.table(cols).sort_by(CUSTOMER)


def types_of(table: Any, columns: tuple[str, ...]) -> dict[str, str]:
    """The raw column types (labels decoded), to show where a contender's types differ."""
    import pyarrow as pa

    out = {}
    for name in (CUSTOMER, *columns):
        t = table.schema.field(name).type
        out[name] = str(t.value_type if pa.types.is_dictionary(t) else t)
    return out


def diff(ref: Any, got: Any, rel_tol: float = 0.0, limit: int = 8) -> str | None:
    """None when the canonical tables are equal, else an account of the differences. Floats
    are compared bit for bit (``rel_tol`` 0) or to ``rel_tol`` relative."""
    import pyarrow as pa
    import pyarrow.compute as pc

    floats = [f.name for f in ref.schema if pa.types.is_floating(f.type)]
    exact = [c for c in ref.column_names if c not in floats]
    problem = bcv.diff(ref.select(exact), got.select(exact), limit)
    if problem or ref.num_rows != got.num_rows:
        return problem or f"customers: custseg {ref.num_rows}, contender {got.num_rows}"
    lines = []
    for name in floats:
        a, b = ref[name].combine_chunks(), got[name].combine_chunks()
        if a.type != b.type:
            lines.append(f"column {name}: type {a.type} (custseg) vs {b.type} (contender)")
            continue
        if rel_tol == 0:
            same = pc.equal(a.view(pa.int64()), b.view(pa.int64()))  # the bits
        else:
            scale = pc.max_element_wise(pc.abs(a), pc.abs(b))
            same = pc.less_equal(pc.abs(pc.subtract(a, b)), pc.multiply(scale, rel_tol))
        bad = pc.invert(pc.fill_null(same, pa.scalar(False)))
        count = pc.sum(bad.cast(pa.int64())).as_py() or 0
        if count:
            show = [
                f"  {c!r}: custseg {x!r} contender {y!r} (diff {y - x:.3g})"
                for c, x, y in zip(
                    ref[CUSTOMER].filter(bad).to_pylist()[:limit],
                    a.filter(bad).to_pylist()[:limit],
                    b.filter(bad).to_pylist()[:limit],
                    strict=True,
                )
            ]
            what = "bit for bit" if rel_tol == 0 else f"to {rel_tol:g} relative"
            lines.append(
                f"column {name}: {count} of {ref.num_rows} customers differ {what} "
                f"(first {limit}):\n" + "\n".join(show)
            )
    return "\n".join(lines) or None


def check(
    spark: Any, name: str, task: str, folder: Path, as_of: _dt.date, cores: int, rel_tol: float
) -> tuple[str | None, dict[str, Any]]:
    """The gate for one Spark contender: (the differences or None, facts of the check)."""
    columns = ssr.COLUMNS[task]
    t0 = time.perf_counter()
    got_raw = to_arrow(spark_frame(spark, name, task, folder, as_of))
    first_s = time.perf_counter() - t0
    ref_raw = run_single(task, folder, as_of, cores)
    ref, got = canonical(ref_raw, columns), canonical(got_raw, columns)
    facts = {
        "first_s": first_s,
        "result_rows": got_raw.num_rows,
        "types": types_of(got_raw, columns),
        "custseg_types": types_of(ref_raw, columns),
    }
    return diff(ref, got, rel_tol), facts


# ---------------------------------------------------------------------------
# Measures: memory (Python + JVM + its workers) and Spark shuffle bytes
# ---------------------------------------------------------------------------
def hwm_kib(pid: int) -> int | None:
    """Peak resident set (VmHWM, KiB) of a process, from /proc."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_hwm(pid: int) -> bool:
    """Resets a process's peak-RSS mark (Linux: 5 to /proc/PID/clear_refs; our own child)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Meter:
    """Peak RSS of this process, of the driver JVM and of the sum of both with the JVM's
    child processes (Python workers), the sum sampled every ``interval`` seconds."""

    def __init__(self, jvm_pid: int | None, interval: float = 0.05) -> None:
        self.jvm_pid, self.interval = jvm_pid, interval
        self.peak_sum_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sum_kib(self) -> int | None:
        try:
            import psutil
        except ImportError:
            return None
        total = 0
        try:
            procs = [psutil.Process()]
            if self.jvm_pid is not None:
                jvm = psutil.Process(self.jvm_pid)
                procs += [jvm, *jvm.children(recursive=True)]
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            return None
        return total // 1024

    def _run(self) -> None:
        while not self._stop.is_set():
            kib = self._sum_kib()
            if kib is None:
                return
            self.peak_sum_kib = max(self.peak_sum_kib, kib)
            self.samples += 1
            self._stop.wait(self.interval)

    def start(self) -> bool:
        """Resets the peak marks and starts sampling; whether the resets worked."""
        ok = bcv.reset_peak()
        if self.jvm_pid is not None:
            ok = reset_hwm(self.jvm_pid) and ok
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return ok

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        last = self._sum_kib()
        if last is not None:
            self.peak_sum_kib = max(self.peak_sum_kib, last)
        py = bcv.peak_kib()
        jvm = hwm_kib(self.jvm_pid) if self.jvm_pid is not None else None
        return {
            "peak_python_kib": py,
            "peak_jvm_kib": jvm,
            "peak_sum_sampled_kib": self.peak_sum_kib or None,
            "samples": self.samples,
        }


def conf_value(spark: Any, key: str) -> str | None:
    """A Spark setting as the session has it (its default when not set)."""
    try:
        return str(spark.conf.get(key))
    except Exception:
        try:
            return str(spark.sparkContext.getConf().get(key))
        except Exception:
            return None


def jvm_pid(spark: Any) -> int | None:
    try:
        return int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    except Exception:
        return None


def stage_totals(spark: Any) -> dict[str, int] | None:
    """Shuffle bytes written and stages so far in this application (Spark's status REST
    API), after the listener bus has delivered every event; None when not available."""
    sc = spark.sparkContext
    try:
        sc._jsc.sc().listenerBus().waitUntilEmpty()
    except Exception:
        time.sleep(0.5)
    url = sc.uiWebUrl
    if not url:
        return None
    api = f"{url}/api/v1/applications/{sc.applicationId}/stages"
    try:
        with urllib.request.urlopen(api, timeout=30) as r:
            stages = json.load(r)
    except (OSError, ValueError):
        return None
    return {
        "shuffle_write_bytes": sum(int(s.get("shuffleWriteBytes", 0)) for s in stages),
        "shuffle_read_bytes": sum(int(s.get("shuffleReadBytes", 0)) for s in stages),
        "spill_bytes": sum(int(s.get("diskBytesSpilled", 0)) for s in stages),
        "stages": sum(1 for s in stages if s.get("status") == "COMPLETE"),
    }


def delta(after: dict[str, int] | None, before: dict[str, int] | None) -> dict[str, int] | None:
    if after is None or before is None:
        return None
    return {k: after[k] - before.get(k, 0) for k in after}


# ---------------------------------------------------------------------------
# Worker: one (task, contender) in a fresh process
# ---------------------------------------------------------------------------
def worker(args: argparse.Namespace) -> int:
    task, name, folder, cores = args.task, args.contenders, Path(args.folder), args.cores
    info: dict[str, Any] = {"task": task, "contender": name, "cores": cores}
    spark, pid = None, None
    if name in SPARK_CONTENDERS:
        t0 = time.perf_counter()
        spark = start_spark(cores, args.driver_memory, args.conf)
        info["session_s"] = time.perf_counter() - t0
        info["spark_version"] = spark.version
        pid = jvm_pid(spark)
        info["jvm_max_heap_bytes"] = int(
            spark.sparkContext._jvm.java.lang.Runtime.getRuntime().maxMemory()
        )
        info["spark_conf"] = {
            k: conf_value(spark, k)
            for k in (
                "spark.sql.shuffle.partitions",
                "spark.sql.adaptive.enabled",
                "spark.sql.ansi.enabled",
                "spark.driver.memory",
            )
        }
        # Correctness gate (untimed, warm-up).
        problem, facts = check(spark, name, task, folder, AS_OF, cores, args.rel_tol)
        info.update(facts)
        if problem:
            print(
                f"\nMISMATCH: {task} {name} differs from custseg on {folder.name}\n{problem}",
                file=sys.stderr,
                flush=True,
            )
            return EXIT_MISMATCH
        info["checked_against_custseg"] = True
    else:
        t0 = time.perf_counter()
        first = run_single(task, folder, AS_OF, cores)
        info["first_s"] = time.perf_counter() - t0
        info["result_rows"] = first.num_rows
        info["checked_against_custseg"] = None  # it is the reference
        del first
    # More untimed runs: the JVM compiles Spark's hot code over the first runs (at 1M rows
    # a run is several times faster after a few runs), and a steady state is what is timed.
    t0 = time.perf_counter()
    for _ in range(args.warmup):
        if spark is not None:
            force(spark_frame(spark, name, task, folder, AS_OF))
        else:
            run_single(task, folder, AS_OF, cores)
    info["warmup_s"] = time.perf_counter() - t0
    bcv.release_memory()

    meter = Meter(pid)
    info["peak_reset"] = meter.start()
    times, runs = [], []
    for _ in range(args.repeat):
        before = stage_totals(spark) if spark is not None else None
        t0 = time.perf_counter()
        if spark is not None:
            force(spark_frame(spark, name, task, folder, AS_OF))
        else:
            result = run_single(task, folder, AS_OF, cores)
            del result
        times.append(time.perf_counter() - t0)
        if spark is not None:
            runs.append(delta(stage_totals(spark), before))
    info.update(meter.stop())
    best = min(range(len(times)), key=times.__getitem__)
    info.update(
        times_s=times,
        best_s=times[best],
        spark_runs=runs or None,
        shuffle=runs[best] if runs else None,
    )
    Path(args.result_file).write_text(json.dumps(info))
    if spark is not None:
        spark.stop()
    return 0


def spawn(task: str, name: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Runs one worker in a fresh process; exits the benchmark on a mismatch."""
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.cores))
    with tempfile.TemporaryDirectory(prefix="bench_spark_") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker"]
        cmd += ["--task", task, "--contenders", name, "--folder", str(folder)]
        cmd += ["--repeat", str(args.repeat), "--warmup", str(args.warmup)]
        cmd += ["--cores", str(args.cores)]
        cmd += ["--driver-memory", args.driver_memory, "--rel-tol", repr(args.rel_tol)]
        cmd += ["--result-file", str(out)]
        for kv in args.conf:
            cmd += ["--conf", kv]
        proc = subprocess.run(cmd, env=env)
        if proc.returncode == EXIT_MISMATCH:
            sys.exit(
                f"\nABORTED: {task} {name} does not match custseg on {folder.name} (diff "
                "above); no timings are reported for a wrong result."
            )
        if proc.returncode != 0 or not out.exists():
            why = "killed (out of memory?)" if proc.returncode in (-9, 137) else "failed"
            return {"error": f"{why}: exit code {proc.returncode}"}
        return json.loads(out.read_text())


# ---------------------------------------------------------------------------
# --check-only: the gate on small data, one process, one session
# ---------------------------------------------------------------------------
def check_only(args: argparse.Namespace, sizes: list[int], id_kinds: list[str]) -> int:
    names = [n for n in args.contender_list if n in SPARK_CONTENDERS]
    css, why = spark_api()
    if SPARK_API in names and css is None:
        print(f"{SPARK_API}: does not import ({why}); not checked")
        names.remove(SPARK_API)
    if not names:
        print("nothing to check: no Spark contender")
        return EXIT_ERROR
    t0 = time.perf_counter()
    spark = start_spark(args.cores, args.driver_memory, args.conf, ui=False)
    started = time.perf_counter() - t0
    print(f"SparkSession local[{args.cores}] (Spark {spark.version}) in {started:.1f} s")
    status = 0
    with tempfile.TemporaryDirectory(prefix="bench_spark_data_") as tmp:
        data_dir = Path(args.data_dir) if args.data_dir else Path(tmp)
        for rows in sizes:
            for ids in id_kinds:
                folder, info = parquet_folder(data_dir, rows, ids, args.order)
                for task in args.task_list:
                    for as_of in CHECK_AS_OFS:
                        for name in names:
                            head = (
                                f"check {task:<3} {bcv.rows_label(rows):>5} {ids:>3} "
                                f"{args.order} as_of {as_of} {name:<13}"
                            )
                            try:
                                problem, facts = check(
                                    spark, name, task, folder, as_of, args.cores, args.rel_tol
                                )
                            except Exception as e:
                                print(f"{head} ERROR {type(e).__name__}: {e}", flush=True)
                                status = max(status, EXIT_ERROR)
                                continue
                            if problem:
                                print(f"{head} MISMATCH\n{problem}", flush=True)
                                status = EXIT_MISMATCH
                            else:
                                print(
                                    f"{head} ok ({facts['result_rows']} customers, "
                                    f"{info['rows']} rows)",
                                    flush=True,
                                )
                            if facts["types"] != facts["custseg_types"]:
                                other = {
                                    k: f"{v} (custseg {facts['custseg_types'][k]})"
                                    for k, v in facts["types"].items()
                                    if v != facts["custseg_types"][k]
                                }
                                print(f"  note: other column types (compared as values): {other}")
    spark.stop()
    print("all equal" if status == 0 else f"exit code {status}")
    return status


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------
def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for pkg in ("custseg", "pyspark", "pyarrow", "numpy", "psutil"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "missing"
    try:
        r = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=60)
        out["java"] = (r.stderr or r.stdout).splitlines()[0].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        out["java"] = "missing"
    return out


HEADER = (
    f"{'task':<4} {'rows':>5} {'ids':>3} {'contender':<13} {'best s':>8} {'Mrows/s':>7} "
    f"{'shuffle MiB':>11} {'stages':>6} {'peak GiB':>8} {'JVM GiB':>7} {'py GiB':>6} "
    f"{'first s':>7} {'session s':>9}"
)


def row_text(r: dict[str, Any]) -> str:
    head = f"{r['task']:<4} {r['rows_label']:>5} {r['ids']:>3} {r['contender']:<13}"
    if "error" in r:
        return f"{head} {r['error']}"
    sh = r.get("shuffle") or {}

    def gib(kib: Any) -> str:
        return f"{kib / 2**20:.2f}" if kib else "-"

    shuffle = f"{sh['shuffle_write_bytes'] / MIB:.1f}" if sh else "-"
    stages = str(sh.get("stages", "-")) if sh else "-"
    session = f"{r['session_s']:.1f}" if r.get("session_s") is not None else "-"
    total = r.get("peak_sum_sampled_kib") or r.get("peak_python_kib")
    return (
        f"{head} {r['best_s']:>8.3f} {r['rows'] / r['best_s'] / 1e6:>7.2f} {shuffle:>11} "
        f"{stages:>6} {gib(total):>8} {gib(r.get('peak_jvm_kib')):>7} "
        f"{gib(r.get('peak_python_kib')):>6} {r['first_s']:>7.2f} {session:>9}"
    )


def ratio_lines(results: list[dict[str, Any]]) -> list[str]:
    """Per (task, rows, ids): spark-sql / custseg.spark, custseg.spark / custseg, spark-sql /
    custseg (best times)."""
    best: dict[tuple[str, str, str], dict[str, float]] = {}
    for r in results:
        if "error" not in r:
            best.setdefault((r["task"], r["rows_label"], r["ids"]), {})[r["contender"]] = r[
                "best_s"
            ]

    def ratio(b: dict[str, float], a: str, c: str) -> str:
        return f"{b[a] / b[c]:.2f}" if a in b and c in b else "n/a"

    return [
        f"{task:<4} {rows:>5} {ids:>3}   spark-sql / custseg.spark {ratio(b, SQL, SPARK_API):>6}"
        f"   custseg.spark / custseg {ratio(b, SPARK_API, SINGLE):>6}"
        f"   spark-sql / custseg {ratio(b, SQL, SINGLE):>6}"
        for (task, rows, ids), b in best.items()
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--rows", default=None, help="comma-separated sizes (default 10M; 100k with --check-only)"
    )
    p.add_argument("--ids", default="int", help="comma-separated: int,str")
    p.add_argument("--order", default="by-date", choices=bcv.ORDERS, help="row order of the files")
    p.add_argument("--tasks", default=",".join(TASKS), help="comma-separated: cv,rfm,clv")
    p.add_argument("--contenders", default=",".join(ALL_CONTENDERS))
    p.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    p.add_argument("--warmup", type=int, default=2, help="untimed runs after the check")
    p.add_argument("--cores", type=int, default=2, help="local[N] and custseg threads")
    p.add_argument("--driver-memory", default="6g", help="spark.driver.memory (local mode: all)")
    p.add_argument("--conf", action="append", default=[], help="extra Spark conf KEY=VALUE")
    p.add_argument("--data-dir", default=None, help="keep (and reuse) the Parquet folders here")
    p.add_argument("--rel-tol", type=float, default=0.0, help="float tolerance (0: bit for bit)")
    p.add_argument("--out", default=None, help="also write the results to this JSON file")
    p.add_argument("--check-only", action="store_true", help="only the correctness gate")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--task", default=None, help=argparse.SUPPRESS)
    p.add_argument("--folder", default=None, help=argparse.SUPPRESS)
    p.add_argument("--result-file", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.warmup < 0:
        p.error("--warmup must be at least 0")
    if args.cores < 1:
        p.error("--cores must be at least 1")
    if args.worker:
        return worker(args)

    sizes = [
        bcv.parse_rows(s)
        for s in (args.rows or ("100k" if args.check_only else "10M")).split(",")
        if s.strip()
    ]
    id_kinds = [s.strip() for s in args.ids.split(",") if s.strip()]
    args.task_list = [s.strip() for s in args.tasks.split(",") if s.strip()]
    args.contender_list = [s.strip() for s in args.contenders.split(",") if s.strip()]
    for bad in [i for i in id_kinds if i not in ("int", "str")]:
        p.error(f"unknown --ids {bad!r} (int, str)")
    for bad in [t for t in args.task_list if t not in TASKS]:
        p.error(f"unknown task {bad!r} ({', '.join(TASKS)})")
    for bad in [n for n in args.contender_list if n not in ALL_CONTENDERS]:
        p.error(f"unknown contender {bad!r} ({', '.join(ALL_CONTENDERS)})")
    args.contender_list = sorted(dict.fromkeys(args.contender_list), key=ALL_CONTENDERS.index)

    vers = versions()
    mach, _, command = bcv.print_header(vers)
    if args.check_only:
        return check_only(args, sizes, id_kinds)

    names = list(args.contender_list)
    notes = []
    css, why = spark_api()
    if SPARK_API in names and css is None:
        note = f"{SPARK_API} does not import ({why}): not run; its ratios are n/a"
        notes.append(note)
        print(note)
        names.remove(SPARK_API)
    print(
        f"data: bench_customer_value.load (custseg.datasets.synthetic, years={bcv.YEARS}, "
        f"seed={bcv.SEED}), rows {args.order}, as Parquet files read inside every timed run; "
        f"as_of {AS_OF}; local[{args.cores}] / threads={args.cores}; best of {args.repeat}; "
        "every result checked equal to custseg first (floats bit for bit"
        + ("" if args.rel_tol == 0 else f", here to {args.rel_tol:g}")
        + ")"
    )
    print(
        "Spark runs end in the noop sink; peak GiB = sampled sum of Python + driver JVM + "
        "its Python workers over the timed runs; JVM / py = their own peaks (VmHWM, ru_maxrss)\n"
    )
    print(HEADER, flush=True)

    results: list[dict[str, Any]] = []
    data: list[dict[str, Any]] = []
    tmp = None if args.data_dir else tempfile.TemporaryDirectory(prefix="bench_spark_data_")
    data_dir = Path(args.data_dir) if args.data_dir else Path(tmp.name)  # type: ignore[union-attr]
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        for rows in sizes:
            for ids in id_kinds:
                folder, info = parquet_folder(data_dir, rows, ids, args.order)
                info.update(rows_label=bcv.rows_label(rows), ids=ids, order=args.order)
                data.append(info)
                for task in args.task_list:
                    for name in names:
                        r = spawn(task, name, folder, args)
                        r.update(
                            task=task,
                            contender=name,
                            rows=info["rows"],
                            rows_label=bcv.rows_label(rows),
                            ids=ids,
                            order=args.order,
                        )
                        results.append(r)
                        print(row_text(r), flush=True)
    finally:
        if tmp is not None:
            tmp.cleanup()
    print()
    for line in ratio_lines(results):
        print(line)
    for note in notes:
        print(note)

    if args.out:
        doc = {
            "command": command,
            "machine": mach,
            "versions": vers,
            "config": {
                "rows": sizes,
                "ids": id_kinds,
                "order": args.order,
                "tasks": args.task_list,
                "contenders": args.contender_list,
                "repeat": args.repeat,
                "warmup": args.warmup,
                "cores": args.cores,
                "driver_memory": args.driver_memory,
                "conf": args.conf,
                "as_of": AS_OF.isoformat(),
                "years": bcv.YEARS,
                "seed": bcv.SEED,
                "rel_tol": args.rel_tol,
                "force": "noop sink",
            },
            "data": data,
            "results": results,
            "ratios": ratio_lines(results),
            "notes": notes,
        }
        Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"\nwrote {args.out}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
