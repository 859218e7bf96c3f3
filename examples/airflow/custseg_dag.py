"""Customer Value segments of a Parquet folder of transactions, at every period start.

An Airflow 3 DAG (TaskFlow API, ``airflow.sdk``) that runs on January 1 and
July 1, the period starts of custseg's default semiannual calendar (rule P1),
with catchup off. It shows the two ways to run custseg from Airflow, as two
independent tasks; a real deployment keeps one of them:

- ``customer_value_cli``: the ``custseg cv`` command line in a ``@task.bash``
  task. A non-zero exit fails the task: 2 for bad input (a missing or empty
  folder, a missing column, an invalid row), 130 when interrupted.
- ``customer_value_api``: ``custseg.customer_value`` on a
  ``pyarrow.dataset`` of the folder in a ``@task`` task. It returns the run's
  ``custseg.Report`` as a JSON dict, which Airflow pushes to XCom.

Both segment at the period start of the run (the data interval end of a
scheduled run; for a manual run, the start of the period holding it), and
write ``<output_dir>/<cli|api>/as_of=<YYYY-MM-DD>/part-0.parquet`` to a hidden
temporary file first and rename it into place: readers never see half a
file, and a retry or re-run overwrites the same path (idempotent).

Settings are DAG params, which a run conf can override. The folders default
to environment variables where the DAG file is parsed; the machine's settings
are null by default, and the task then reads the worker's own environment
variable when it runs, since they depend on the worker:

==============  ======================  ==========================================
param           environment variable    meaning
==============  ======================  ==========================================
input_dir       CUSTSEG_INPUT_DIR       folder of Parquet files of transactions
output_dir      CUSTSEG_OUTPUT_DIR      folder the segments are written under
threads         CUSTSEG_THREADS         threads of one task (else: its cores)
memory_limit    CUSTSEG_MEMORY_LIMIT    bytes of lines held before spilling
                                        (else: auto)
spill_dir       CUSTSEG_SPILL_DIR       folder of the spill files (else: TMPDIR)
==============  ======================  ==========================================

Fork safety and threads. custseg computes on a rayon thread pool in Rust.
Threads do not survive ``fork()``, and Airflow forks: the LocalExecutor's and
Celery's workers are forked processes, and Airflow 3 forks each task's process
from its supervisor, so a task may start in a child of a process that imported
and used custseg. ``import custseg`` registers ``os.register_at_fork``: a
forked child then builds a pool of its own for each call instead of using the
parent's dead one, and does not hang. The command line task starts a fresh
Python process, so it is safe either way.

By default a call uses every core of the machine, and a worker runs several
tasks at once (``parallelism`` of the LocalExecutor, ``worker_concurrency``
of Celery): set ``CUSTSEG_THREADS`` on each worker to the cores of one slot
(cores / slots), so tasks don't fight over the cores. The API task passes it
as ``threads=`` (and caps pyarrow's scan threads with it); the CLI task
passes ``--threads`` and sets ``OMP_NUM_THREADS`` (which caps pyarrow's
threads) for the process. The result does not depend on the thread count (I5).

Memory: ``memory_limit="auto"`` is half the memory available on the machine
when the call starts, which several tasks of one worker all count as theirs;
on a shared worker set ``CUSTSEG_MEMORY_LIMIT`` to a slot's share (e.g.
``4GB``) and ``CUSTSEG_SPILL_DIR`` to a local disk with room for the data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task

# custseg's default calendar, Periods.semiannual(start_month=1): periods start
# on January 1 and July 1 (P1). The schedule and as_of both follow it.
PERIOD_START_MONTHS = (1, 7)
TIMEZONE = os.environ.get("CUSTSEG_TIMEZONE", "UTC")
CRON = f"0 0 1 {','.join(map(str, PERIOD_START_MONTHS))} *"


PARAMS = {
    "input_dir": Param(
        os.environ.get("CUSTSEG_INPUT_DIR", "/data/custseg/transactions"),
        type="string",
        description="Folder of Parquet files of transactions (customer_id, date, amount)",
    ),
    "output_dir": Param(
        os.environ.get("CUSTSEG_OUTPUT_DIR", "/data/custseg/segments"),
        type="string",
        description="Folder the segments are written under",
    ),
    "threads": Param(
        None,
        type=["null", "integer"],
        minimum=1,
        description="Threads of one task, the cores of a worker slot "
        "(null: the worker's CUSTSEG_THREADS, else the task's cores)",
    ),
    "memory_limit": Param(
        None,
        type=["null", "string"],
        description="Bytes of transaction lines held before spilling: 4GB, auto or none "
        "(null: the worker's CUSTSEG_MEMORY_LIMIT, else auto)",
    ),
    "spill_dir": Param(
        None,
        type=["null", "string"],
        description="Folder of the spill files "
        "(null: the worker's CUSTSEG_SPILL_DIR, else the temporary folder)",
    ),
}


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """What one task run reads, writes and uses, from the run's params and dates."""

    input_dir: str
    output_dir: str
    as_of: dt.date
    threads: int
    memory_limit: str
    spill_dir: str | None

    def output(self, style: str) -> Path:
        """One file per style and period start (a hive partition): re-runs overwrite it."""
        return Path(self.output_dir) / style / f"as_of={self.as_of}" / "part-0.parquet"


def period_start(when: dt.datetime) -> dt.date:
    """The start of the period holding ``when``: ``when`` itself for a scheduled run."""
    day = pendulum.instance(when).in_timezone(TIMEZONE).date()
    starts = [dt.date(day.year - 1, PERIOD_START_MONTHS[-1], 1)]  # for days before the first
    starts += [dt.date(day.year, m, 1) for m in PERIOD_START_MONTHS]
    return max(d for d in starts if d <= day)


def task_threads() -> int:
    """The worker's CUSTSEG_THREADS, else the cores this process may use (not the
    machine's: a slot pinned to some cores gets those)."""
    if os.environ.get("CUSTSEG_THREADS"):
        return int(os.environ["CUSTSEG_THREADS"])
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_settings() -> RunSettings:
    context = get_current_context()
    params = context["params"]
    # A manual Airflow 3 run may have no logical date: fall back to run_after.
    when = (
        context.get("data_interval_end")
        or context.get("logical_date")
        or context["dag_run"].run_after
    )
    return RunSettings(
        input_dir=params["input_dir"],
        output_dir=params["output_dir"],
        as_of=period_start(when),
        threads=params["threads"] or task_threads(),
        memory_limit=params["memory_limit"] or os.environ.get("CUSTSEG_MEMORY_LIMIT", "auto"),
        spill_dir=params["spill_dir"] or os.environ.get("CUSTSEG_SPILL_DIR") or None,
    )


def cli_command(s: RunSettings) -> str:
    """The bash script of the CLI task: custseg writes a hidden temporary file
    (pyarrow readers skip names starting with a dot), then ``mv`` renames it."""
    out = s.output("cli")
    python = os.environ.get("CUSTSEG_PYTHON", sys.executable)
    options = [
        f"--as-of={s.as_of}",
        "--period=semiannual",
        f"--start-month={PERIOD_START_MONTHS[0]}",
        f"--memory-limit={s.memory_limit}",
        f"--threads={s.threads}",
        *([f"--spill-dir={s.spill_dir}"] if s.spill_dir else []),
    ]
    q = shlex.quote
    return "\n".join(
        [
            "set -euo pipefail",
            f"mkdir -p {q(str(out.parent))}",
            f"tmp={q(str(out.parent))}/.part-0.$$.parquet; trap 'rm -f \"$tmp\"' EXIT",
            # pyarrow's own thread pool (reading the files) reads this.
            f"export OMP_NUM_THREADS={s.threads}",
            f'{q(python)} -m custseg cv {q(s.input_dir)} -o "$tmp" {shlex.join(options)}',
            f'mv -f "$tmp" {q(str(out))}',
            f"echo {q(str(out))}",  # the last line is the task's XCom: the file written
        ]
    )


def report_dict(report: Any) -> dict[str, Any]:
    """A custseg.Report as plain JSON values, for XCom."""
    d = dataclasses.asdict(report)
    d["as_of"] = report.as_of.isoformat() if report.as_of else None
    return d


def write_parquet_atomically(table: Any, path: Path) -> None:
    """Write to a hidden temporary file beside ``path``, then rename: a reader sees
    the old file or the new one, never half of one."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.parquet")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# Every non-zero exit fails the task (by default exit 99 would skip it instead).
@task.bash(skip_on_exit_code=None)
def customer_value_cli() -> str:
    """Segments with the ``custseg cv`` command line; a non-zero exit fails the task."""
    return cli_command(run_settings())


@task
def customer_value_api() -> dict[str, Any]:
    """Segments with the Python API; the run report goes to XCom."""
    # Imported here, not at the top: the DAG processor parses this file often.
    import custseg
    import pyarrow as pa
    import pyarrow.dataset as ds

    s = run_settings()
    pa.set_cpu_count(s.threads)  # the scan's threads: within the slot too
    data = ds.dataset(s.input_dir, format="parquet")
    if not data.files:  # say so, as the CLI does, rather than "column not found"
        raise FileNotFoundError(f"no input files in {s.input_dir}")
    cv, report = custseg.customer_value(
        data,
        as_of=s.as_of,
        periods=custseg.Periods.semiannual(start_month=PERIOD_START_MONTHS[0]),
        threads=s.threads,
        memory_limit=None if s.memory_limit.lower() == "none" else s.memory_limit,
        spill_dir=s.spill_dir,
        return_report=True,
    )
    out = s.output("api")
    write_parquet_atomically(cv, out)
    return {"output": str(out), **report_dict(report)}


@dag(
    dag_id="custseg_customer_value",
    schedule=CronTriggerTimetable(CRON, timezone=TIMEZONE),
    start_date=pendulum.datetime(2025, 1, 1, tz=TIMEZONE),
    catchup=False,
    params=PARAMS,
    tags=["custseg"],
    doc_md=__doc__,
)
def custseg_customer_value() -> None:
    customer_value_cli()
    customer_value_api()


customer_value_dag = custseg_customer_value()
