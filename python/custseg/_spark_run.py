"""A run in pieces on Spark: the stages of ``src/distributed.rs`` as Spark jobs
(issue 16). Every number comes out of the Rust core, so the rows equal the
one-machine call's, bit for bit (I5):

0. (``as_of`` not given) the valid rows' latest day, per task, through the
   core's ingestion; the driver resolves ``as_of`` as one machine would (I3).
1. ``repartition`` by customer, ``sortWithinPartitions``, ``mapInArrow``: the
   core's facts of each task's customers (a customer is carried over Arrow
   batch boundaries, so all its rows meet in one core call), with one report
   row per core call. Cached: one row per customer.
2. The tier pools' keys (what the rules rank), counted per pool in Spark; the
   values at the ranks the rules need are found exactly by a radix selection
   of bucket counts aggregated in Spark (not ``percentile_approx``).
3. ``mapInArrow`` again: the core's labels of the facts, with the pools' sizes
   and those values broadcast.

The CLV1 default lifetime comes from the churn counts of all customers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import functools
import json
import re
import types
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg import _core, errors
from custseg._engine import Periods, _core_args
from custseg._options import RunOptions
from custseg.report import Report

REPORT_FIELDS = ("rows_read", "rows_used", "rows_after_as_of", "customers_seen",
                 "customers_without_purchase", "customers", "bytes_spilled")  # fmt: skip
"""The counts of a piece's report, summed over the pieces."""

_ERROR = re.compile(r"custseg-error\[(\w+)\]: ([^\n]*)")
ROW_NOTE = " (on Spark, row numbers count within one task's rows, grouped by customer)"


@dataclasses.dataclass(frozen=True)
class Task:
    """What a Spark task needs to call the core: the core's keyword arguments
    (the calendar as a picklable spec) and the Arrow types of the output."""

    args: dict[str, Any]
    periods: tuple[Any, ...]
    customer: str
    customer_type: pa.DataType
    rows_per_call: int

    def core_args(self) -> types.SimpleNamespace:
        """The options of every stage of the core (``_core.piece_*``)."""
        return types.SimpleNamespace(**self.args, periods=periods_of(self.periods))


def periods_spec(p: Periods) -> tuple[Any, ...]:
    """A picklable spec of a calendar (P1): its boundaries, or its length
    and one boundary (any boundary anchors it)."""
    if p.boundaries is not None:
        return ("boundaries", tuple(p.boundaries))
    return ("months", p.months, p.period_start(_dt.date(2000, 1, 1)))


def periods_of(spec: tuple[Any, ...]) -> Periods:
    if spec[0] == "boundaries":
        return Periods.from_boundaries(list(spec[1]))
    return Periods(spec[1], spec[2])


def is_spark(data: Any) -> bool:
    """True for a PySpark DataFrame (classic or Spark Connect)."""
    mod = type(data).__module__
    return mod.startswith("pyspark.sql") and type(data).__name__ == "DataFrame"


@contextlib.contextmanager
def core_errors() -> Iterator[None]:
    """Inside a Spark task: a custseg error travels to the driver as text."""
    try:
        yield
    except (errors.CustsegError, errors.InternalError) as e:
        raise RuntimeError(f"custseg-error[{type(e).__name__}]: {e}") from None


@contextlib.contextmanager
def driver_errors() -> Iterator[None]:
    """On the driver: a task's custseg error is raised again as its own class."""
    try:
        yield
    except errors.CustsegError:
        raise
    except Exception as e:
        m = _ERROR.search(str(e))
        if m is None:
            raise
        cls = getattr(errors, m.group(1), errors.InternalError)
        msg = m.group(2) + (ROW_NOTE if " row " in m.group(2) else "")
        raise cls(msg) from None


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
    """The segmentations of ``what`` of the transactions of ``sdf`` as a
    PySpark DataFrame (labels as strings), and the run's report."""
    names = _names(sdf, columns)
    schema = _arrow_schema(sdf)
    args = _core_args(None, names, options, periods, what, cv, rfm, clv)
    args["run"] = dataclasses.replace(args["run"], threads=options.threads or 1)
    spec = periods_spec(args.pop("periods"))
    customer = (
        schema.field(names["customer"]).type if names["customer"] in schema.names else pa.null()
    )
    task = Task({**args, "summary": summary}, spec, names["customer"], customer, rows_per_call)
    with driver_errors():
        _check_options(task)
        _core.piece_days(pa.Table.from_batches([], schema), args=task.core_args())  # columns, types
        sdf = sdf.select(*[c for c in names.values() if c is not None])
        return _stages(sdf, task, options.as_of, partitions)


def _stages(
    sdf: Any, task: Task, requested: int | None, partitions: int | None
) -> tuple[Any, Report]:
    """Stages 0-3 (see the module's docstring)."""
    as_of = requested if requested is not None else _default_as_of(sdf, task)
    task = _with_as_of(task, 0 if as_of is None else as_of)
    facts = _facts(sdf, task, partitions)
    report, days = _report(facts)
    if as_of is not None:
        _core.resolve_as_of(requested, days)  # I3: some row before as_of
    facts = facts.where("_r_read IS NULL").drop(*_REPORT_COLUMNS)
    task = _with_lifetime(task, facts, report["customers"])
    out = _labels(facts, task)
    report["as_of"] = None if as_of is None else _dt.date(1970, 1, 1) + _dt.timedelta(as_of)
    return out, Report._from_core(report)


def _check_options(task: Task) -> None:
    """The options checked as one machine checks them, before any Spark job
    (the lifetime a placeholder when it is to be computed: CLV1)."""
    t = _with_as_of(task, 0)
    clv = t.args["clv"]
    if clv.lifetime_years is None:
        t = dataclasses.replace(
            t, args={**t.args, "clv": dataclasses.replace(clv, lifetime_years=1.0)}
        )
    _core.pieces_wanted({}, args=t.core_args())


def _names(sdf: Any, columns: dict[str, Any]) -> dict[str, Any]:
    for role, name in columns.items():
        if name is not None and not isinstance(name, str):
            raise TypeError(f"on Spark, {role}= must be a column name, got {type(name).__name__}")
    return dict(columns)


def _arrow_schema(sdf: Any) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(sdf.schema)


def _with_as_of(task: Task, as_of: int) -> Task:
    run = dataclasses.replace(task.args["run"], as_of=as_of)
    return dataclasses.replace(task, args={**task.args, "run": run})


def _default_as_of(sdf: Any, task: Task) -> int | None:
    """Stage 0: the day after the latest valid day (I3), or None without any."""
    days = sdf.mapInArrow(functools.partial(_days_task, task), "lo int, hi int")
    row = days.agg({"lo": "min", "hi": "max"}).first()
    lo, hi = row["min(lo)"], row["max(hi)"]
    return _core.resolve_as_of(None, None if lo is None else (lo, hi))


def _days_task(task: Task, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    lo, hi = None, None
    with core_errors():
        for b in batches:
            d = _core.piece_days(b, args=task.core_args())
            if d is not None:
                lo = d[0] if lo is None else min(lo, d[0])
                hi = d[1] if hi is None else max(hi, d[1])
    yield pa.record_batch([pa.array([lo], pa.int32()), pa.array([hi], pa.int32())], ["lo", "hi"])


_REPORT_COLUMNS = ("_r_read", "_r_used", "_r_after", "_r_seen", "_r_without", "_r_customers",
                   "_r_spilled", "_r_lo", "_r_hi", "_r_dropped")  # fmt: skip
_REPORT_TYPES = [pa.int64()] * 7 + [pa.int32(), pa.int32(), pa.string()]


def _facts(sdf: Any, task: Task, partitions: int | None) -> Any:
    """Stage 1: the facts of every customer, and one report row per core call."""
    from pyspark import StorageLevel
    from pyspark.sql.pandas.types import from_arrow_schema

    c = task.customer
    # Default: as many partitions as the input has, and a task per core at least.
    parts = partitions or max(
        sdf.sparkSession.sparkContext.defaultParallelism, sdf.rdd.getNumPartitions()
    )
    grouped = sdf.repartition(parts, c)
    grouped = grouped.sortWithinPartitions(c)
    schema = _facts_schema(task)
    facts = grouped.mapInArrow(
        functools.partial(_facts_task, task, schema), from_arrow_schema(schema)
    )
    return facts.persist(StorageLevel.MEMORY_AND_DISK)


def _facts_schema(task: Task) -> pa.Schema:
    empty = pa.Table.from_batches([], pa.schema([(task.customer, task.customer_type)]))
    names = task.args["columns"]
    empty = empty.append_column(names.date, pa.array([], pa.date32()))
    empty = empty.append_column(names.amount, pa.array([], pa.float64()))
    if names.order is not None:
        empty = empty.append_column(names.order, pa.array([], pa.string()))
    facts, _, _ = _core.piece_facts(empty, args=task.core_args())
    fields = [f.with_nullable(True) for f in facts.schema]
    fields[0] = fields[0].with_type(task.customer_type)
    report = zip(_REPORT_COLUMNS, _REPORT_TYPES, strict=True)
    return pa.schema(fields + [pa.field(n, t) for n, t in report])


def _facts_task(
    task: Task, schema: pa.Schema, batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """Calls the core on runs of whole customers of about ``rows_per_call``
    rows: the rows of the last customer of a run wait for the next batch."""
    held: list[pa.RecordBatch] = []
    rows = 0
    for b in batches:
        held.append(b)
        rows += b.num_rows
        if rows >= task.rows_per_call:
            head, tail = _split_last_customer(pa.Table.from_batches(held), task.customer)
            if head.num_rows:
                yield from _facts_of(head, task, schema)
            held, rows = tail.to_batches(), tail.num_rows
    if held:
        yield from _facts_of(pa.Table.from_batches(held), task, schema)


def _split_last_customer(t: pa.Table, customer: str) -> tuple[pa.Table, pa.Table]:
    """The rows before the last customer's, and the last customer's (the rows
    are sorted by customer, so its rows are the table's tail)."""
    col = t.column(customer)
    last = col[len(col) - 1]
    same = pc.is_null(col) if not last.is_valid else pc.fill_null(pc.equal(col, last), False)
    same = same.to_numpy(zero_copy_only=False)
    start = 0 if same.all() else len(same) - int(np.argmin(same[::-1]))
    return t.slice(0, start), t.slice(start)


def _facts_of(t: pa.Table, task: Task, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    with core_errors():
        facts, report, days = _core.piece_facts(t, args=task.core_args())
    n = facts.num_rows
    cols = [facts.column(0).cast(task.customer_type)] + facts.columns[1:]
    cols += [pa.nulls(n, ty) for ty in _REPORT_TYPES]
    yield from pa.Table.from_arrays(cols, schema=schema).to_batches()
    lo, hi = days if days is not None else (None, None)
    counts = [report[k] for k in REPORT_FIELDS] + [lo, hi, json.dumps(report["rows_dropped"])]
    row = [pa.nulls(1, f.type) for f in schema][: facts.num_columns]
    row += [pa.array([v], ty) for v, ty in zip(counts, _REPORT_TYPES, strict=True)]
    yield pa.record_batch(row, schema=schema)


def _report(facts: Any) -> tuple[dict[str, Any], tuple[int, int] | None]:
    """The run's report: the pieces' reports summed; and the valid days."""
    rows = facts.where("_r_read IS NOT NULL").select(*_REPORT_COLUMNS).collect()
    counts = zip(REPORT_FIELDS, _REPORT_COLUMNS[: len(REPORT_FIELDS)], strict=True)
    report: dict[str, Any] = {k: sum(r[c] for r in rows) for k, c in counts}
    dropped: dict[str, int] = {}
    for r in rows:
        for reason, n in dict(json.loads(r["_r_dropped"])).items():
            dropped[reason] = dropped.get(reason, 0) + n
    report["rows_dropped"] = dropped
    los = [r["_r_lo"] for r in rows if r["_r_lo"] is not None]
    his = [r["_r_hi"] for r in rows if r["_r_hi"] is not None]
    return report, ((min(los), max(his)) if los else None)


def _with_lifetime(task: Task, facts: Any, customers: int) -> Task:
    """CLV1: the default lifetime from the churn counts of every customer."""
    clv = task.args["clv"]
    if "clv" not in task.args["what"] or clv.lifetime_years is not None:
        return task
    if customers == 0:
        lifetime = float("nan")  # no customers: no column values, as on one machine
    else:
        base = stayed = 0
        for r in facts.groupBy("_churn").count().collect():
            b, s = _core.churn_counts(r["_churn"])
            base, stayed = base + b * r["count"], stayed + s * r["count"]
        lifetime = _core.default_lifetime(base, stayed)
    clv = dataclasses.replace(clv, lifetime_years=lifetime)
    return dataclasses.replace(task, args={**task.args, "clv": clv})


def _labels(facts: Any, task: Task) -> Any:
    """Stages 2 and 3: the pools' sizes and values at the wanted ranks, then
    the labels of every customer."""
    from pyspark.sql.pandas.types import from_arrow_schema

    from custseg._spark_select import pool_stats, select

    sizes: dict[int, int] = {}
    at: list[tuple[int, int, int]] = []
    if set(task.args["what"]) & {"cv", "rfm", "clv"}:
        from pyspark import StorageLevel

        keys = facts.mapInArrow(functools.partial(_keys_task, task), "pool tinyint, key bigint")
        keys = keys.persist(StorageLevel.MEMORY_AND_DISK)
        stats = pool_stats(keys)
        sizes = {p: s[0] for p, s in stats.items()}
        wanted = _core.pieces_wanted(sizes, args=task.core_args())
        at = select(keys, wanted, stats)
        keys.unpersist()
    schema = _labels_schema(task, facts, sizes, at)
    fn = functools.partial(_labels_task, task, sizes, at, schema)
    return facts.mapInArrow(fn, from_arrow_schema(schema))


def _keys_task(task: Task, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    with core_errors():
        for b in batches:
            yield from _core.piece_keys(b, args=task.core_args()).to_batches()


def _labels_schema(task: Task, facts: Any, sizes: dict[int, int], at: list[Any]) -> pa.Schema:
    from custseg._spark_select import arrow_schema_of

    empty = pa.Table.from_batches([], arrow_schema_of(facts))
    out = _core.piece_labels(empty, sizes=sizes, at=at, args=task.core_args())
    return pa.schema([_plain(f) for f in out.schema])


def _plain(f: pa.Field) -> pa.Field:
    """Labels as strings (Spark has no categoricals); every field nullable."""
    t = pa.string() if pa.types.is_dictionary(f.type) else f.type
    return pa.field(f.name, t, nullable=True)


def _labels_task(task: Task, sizes: dict[int, int], at: list[Any], schema: pa.Schema,
                 batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:  # fmt: skip
    with core_errors():
        for b in batches:
            out = _core.piece_labels(b, sizes=sizes, at=at, args=task.core_args())
            cols = [c.cast(f.type) for c, f in zip(out.columns, schema, strict=True)]
            yield from pa.Table.from_arrays(cols, schema=schema).to_batches()
