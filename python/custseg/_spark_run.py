"""A run in pieces on Spark: the stages of ``src/distributed.rs`` as Spark jobs
(issue 16). Every number comes out of the Rust core, so the rows equal the
one-machine call's, bit for bit (I5):

0. (``as_of`` not given, or a history) the valid rows' earliest and latest
   day, per task, through the core's ingestion; the driver resolves ``as_of``
   (I3) or the history's boundaries (CV8) as one machine would.
1. ``repartition`` by customer, ``sortWithinPartitions``, ``mapInArrow``: the
   core's facts of each task's customers (a customer is carried over Arrow
   batch boundaries, so all its rows meet in one core call), as of ``as_of``
   or of every boundary of a history (one pass), with one report row per core
   call. Cached: one row per customer (and boundary).
2. The tier pools' keys (what the rules rank), counted per pool (and
   boundary) in Spark; the values at the ranks the rules need are found
   exactly by a radix selection of counts aggregated in Spark (not
   ``percentile_approx``); the CLV1 default lifetime from churn counts.
3. ``mapInArrow`` again: the core's labels of the facts, with the pools'
   sizes and those values broadcast.

This module holds the entry points (a snapshot, a history); the stages are in
``_spark_stages``, what a task needs in ``_spark_task``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any

import pyarrow as pa

from custseg import _core
from custseg import _spark_stages as stages
from custseg._engine import Periods, _core_args
from custseg._options import RunOptions
from custseg._spark_task import EPOCH, Task, driver_errors, periods_spec, session_zone
from custseg.report import Report


def run(
    sdf: Any,
    *,
    columns: dict[str, Any],
    options: RunOptions,
    periods: Periods | None,
    what: Any,
    cv: Any = None,
    rfm: Any = None,
    clv: Any = None,
    summary: str | None = None,
    partitions: int | None = None,
    rows_per_call: int = 1 << 20,
) -> tuple[Any, Report]:
    """The segmentations of ``what`` of the transactions of ``sdf`` as of
    ``options.as_of`` as a PySpark DataFrame (labels as strings), and the
    run's report."""
    with driver_errors():
        sdf, task = _prepare(
            sdf, columns, options, periods, what, cv, rfm, clv, summary, rows_per_call
        )
        as_of = options.as_of
        if as_of is None:
            as_of = _core.resolve_as_of(None, stages.days(sdf, task))
        facts, report, days = stages.facts(sdf, task.as_of(as_of or 0), partitions, None)
        if as_of is not None:
            _core.resolve_as_of(options.as_of, days)  # I3: some row before as_of
        report["as_of"] = None if as_of is None else EPOCH + _dt.timedelta(as_of)
        out = stages.labels(
            facts, [task.as_of(as_of or 0)], report["customers"], period_start=False
        )
    return out, Report._from_core(report)


def run_history(
    sdf: Any,
    *,
    columns: dict[str, Any],
    options: RunOptions,
    periods: Periods | None,
    what: Any,
    start: int | None,
    end: int | None,
    partitions: int | None = None,
    rows_per_call: int = 1 << 20,
    **segmentations: Any,
) -> tuple[Any, Report]:
    """The history of ``what`` (CV8) from ``start`` to ``end`` (days, or None
    for the defaults) as a PySpark DataFrame, ``period_start`` first, and the
    report (as of the last boundary)."""
    cv, rfm, clv = (segmentations.get(k) for k in ("cv", "rfm", "clv"))
    with driver_errors():
        sdf, task = _prepare(
            sdf, columns, options, periods, what, cv, rfm, clv, None, rows_per_call
        )
        days = stages.days(sdf, task)
        bounds, last = _core.history_bounds(
            args=task.as_of(None).core_args(), start=start, end=end, days=days
        )
        facts, report, _ = stages.facts(sdf, task.as_of(None), partitions, (bounds, last))
        report["as_of"] = EPOCH + _dt.timedelta(bounds[-1])
        customers = report["customers"]
        out = stages.labels(facts, [task.as_of(b) for b in bounds], customers, period_start=True)
    return out, Report._from_core(report)


def _prepare(
    sdf: Any,
    columns: dict[str, Any],
    options: RunOptions,
    periods: Periods | None,
    what: Any,
    cv: Any,
    rfm: Any,
    clv: Any,
    summary: str | None,
    rows_per_call: int,
) -> tuple[Any, Task]:
    """The columns of ``sdf`` a run reads, and its task; the options, columns
    and types checked as one machine checks them, before any Spark job."""
    from pyspark.sql.pandas.types import to_arrow_schema

    if type(sdf).__module__.startswith("pyspark.sql.connect"):
        raise TypeError(
            "custseg.spark needs a classic SparkSession (it reads the session's "
            "SparkContext); Spark Connect DataFrames are not supported yet"
        )
    for role, name in columns.items():
        if name is not None and not isinstance(name, str):
            raise TypeError(f"on Spark, {role}= must be a column name, got {type(name).__name__}")
    schema = to_arrow_schema(sdf.schema, timezone=session_zone(sdf))
    args = _core_args(None, columns, options, periods, what, cv, rfm, clv)
    args["run"] = dataclasses.replace(args["run"], threads=options.threads or 1)
    spec = periods_spec(args.pop("periods"))
    c = columns["customer"]
    customer = schema.field(c).type if c in schema.names else pa.null()
    task = Task({**args, "summary": summary}, spec, c, customer, rows_per_call)
    _check_options(task)
    _core.piece_days(pa.Table.from_batches([], schema), args=task.core_args())  # columns, types
    return sdf.select(*[n for n in columns.values() if n is not None]), task


def _check_options(task: Task) -> None:
    """The options checked as one machine checks them (the lifetime a
    placeholder when it is to be computed: CLV1)."""
    t = task.as_of(0)
    clv = t.args["clv"]
    if clv.lifetime_years is None:
        t = t.replace(clv=dataclasses.replace(clv, lifetime_years=1.0))
    _core.pieces_wanted({}, args=t.core_args())
