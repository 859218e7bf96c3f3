"""The stages of a run in pieces on Spark (see ``_spark_run``): the days of
the data, the facts of every customer (and boundary), the CLV1 lifetime, the
tier pools' order statistics and the labels. A snapshot is a history of one
boundary (``_b`` = 0) without the ``period_start`` column."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg import _core
from custseg._spark_select import pool_stats, select
from custseg._spark_task import Task, core_errors, session_zone

REPORT_FIELDS = ("rows_read", "rows_used", "rows_after_as_of", "customers_seen",
                 "customers_without_purchase", "customers", "bytes_spilled")  # fmt: skip
"""The counts of a piece's report, summed over the pieces."""
_REPORT_COLUMNS = ("_r_read", "_r_used", "_r_after", "_r_seen", "_r_without", "_r_customers",
                   "_r_spilled", "_r_lo", "_r_hi", "_r_dropped")  # fmt: skip
_REPORT_TYPES = [pa.int64()] * 7 + [pa.int32(), pa.int32(), pa.string()]
POOLS = 16
"""Pool codes per boundary in a history's keys (code = boundary x 16 + pool)."""

History = tuple[list[int], int | None]
"""A history's boundaries and the last one known before the data is read."""

CACHED: list[Any] = []
"""The facts cached by the runs of this process (``custseg.spark.clear_cache``)."""


def days(sdf: Any, task: Task) -> tuple[int, int] | None:
    """Stage 0: the (earliest, latest) day of the valid rows, None without any."""
    out = sdf.mapInArrow(functools.partial(_days_task, task), "lo int, hi int")
    row = out.agg({"lo": "min", "hi": "max"}).first()
    return None if row["min(lo)"] is None else (row["min(lo)"], row["max(hi)"])


def _days_task(task: Task, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    lo, hi = None, None
    with core_errors():
        for b in batches:
            d = _core.piece_days(b, args=task.core_args())
            if d is not None:
                lo = d[0] if lo is None else min(lo, d[0])
                hi = d[1] if hi is None else max(hi, d[1])
    yield pa.record_batch([pa.array([lo], pa.int32()), pa.array([hi], pa.int32())], ["lo", "hi"])


def facts(
    sdf: Any, task: Task, partitions: int | None, history: History | None
) -> tuple[Any, dict[str, Any], tuple[int, int] | None]:
    """Stage 1: the facts of every customer (as of every boundary of
    ``history``), cached; the run's report (the pieces' summed); the days."""
    from pyspark import StorageLevel
    from pyspark.sql.pandas.types import from_arrow_schema

    c = task.customer
    # Default: as many partitions as the input has, and a task per core at least.
    parts = partitions or max(
        sdf.sparkSession.sparkContext.defaultParallelism, sdf.rdd.getNumPartitions()
    )
    grouped = sdf.repartition(parts, c).sortWithinPartitions(c)
    schema = _facts_schema(task, sdf, history)
    fn = functools.partial(_facts_task, task, schema, history)
    out = grouped.mapInArrow(fn, from_arrow_schema(schema)).persist(StorageLevel.MEMORY_AND_DISK)
    CACHED.append(out)
    report, valid = _report(out)
    return out.where("_r_read IS NULL").drop(*_REPORT_COLUMNS), report, valid


def _piece(
    t: pa.Table, task: Task, history: History | None
) -> tuple[pa.Table, dict[str, Any], Any]:
    if history is None:
        return _core.piece_facts(t, args=task.core_args())
    bounds, last = history
    return _core.piece_history_facts(t, args=task.core_args(), bounds=bounds, last_known=last)


def _facts_schema(task: Task, sdf: Any, history: History | None) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    empty = pa.Table.from_batches([], to_arrow_schema(sdf.schema, timezone=session_zone(sdf)))
    out, _, _ = _piece(empty, task, history)
    fields = [f.with_nullable(True) for f in out.schema]
    fields[0] = fields[0].with_type(task.customer_type)
    report = zip(_REPORT_COLUMNS, _REPORT_TYPES, strict=True)
    return pa.schema(fields + [pa.field(n, t) for n, t in report])


def _facts_task(
    task: Task, schema: pa.Schema, history: History | None, batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """Calls the core on runs of whole customers of about ``rows_per_call``
    rows: the rows of the last customer of a run wait for the next batch."""
    held: list[pa.RecordBatch] = []
    rows = 0
    for b in batches:
        held.append(b)
        rows += b.num_rows
        if rows >= task.rows_per_call:
            head, tail = split_last_customer(pa.Table.from_batches(held), task.customer)
            if head.num_rows:
                yield from _facts_of(head, task, schema, history)
            held, rows = tail.to_batches(), tail.num_rows
    if held:
        yield from _facts_of(pa.Table.from_batches(held), task, schema, history)


def split_last_customer(t: pa.Table, customer: str) -> tuple[pa.Table, pa.Table]:
    """The rows before the last customer's, and the last customer's (the rows
    are sorted by customer, so its rows are the table's tail)."""
    col = t.column(customer)
    last = col[len(col) - 1]
    same = pc.is_null(col) if not last.is_valid else pc.fill_null(pc.equal(col, last), False)
    same = same.to_numpy(zero_copy_only=False)
    start = 0 if same.all() else len(same) - int(np.argmin(same[::-1]))
    return t.slice(0, start), t.slice(start)


def _facts_of(
    t: pa.Table, task: Task, schema: pa.Schema, history: History | None
) -> Iterator[pa.RecordBatch]:
    with core_errors():
        out, report, valid = _piece(t, task, history)
    n, width = out.num_rows, out.num_columns
    cols = [out.column(0).cast(task.customer_type)] + out.columns[1:]
    cols += [pa.nulls(n, ty) for ty in _REPORT_TYPES]
    yield from pa.Table.from_arrays(cols, schema=schema).to_batches()
    lo, hi = valid if valid is not None else (None, None)
    counts = [report[k] for k in REPORT_FIELDS] + [lo, hi, json.dumps(report["rows_dropped"])]
    row = [pa.nulls(1, f.type) for f in schema][:width]
    row += [pa.array([v], ty) for v, ty in zip(counts, _REPORT_TYPES, strict=True)]
    yield pa.record_batch(row, schema=schema)


def _report(out: Any) -> tuple[dict[str, Any], tuple[int, int] | None]:
    """The run's report: the pieces' reports summed; and the valid days."""
    rows = out.where("_r_read IS NOT NULL").select(*_REPORT_COLUMNS).collect()
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


def with_lifetimes(facts: Any, tasks: list[Task], customers: int) -> list[Task]:
    """CLV1: each boundary's default lifetime from the churn counts of its
    customers (NaN without customers, as on one machine)."""
    clv = tasks[0].args["clv"]
    if "clv" not in tasks[0].args["what"] or clv.lifetime_years is not None:
        return tasks
    counts: dict[int, list[int]] = {}
    for r in facts.groupBy("_b", "_churn").count().collect() if customers else []:
        b, s = _core.churn_counts(r["_churn"])
        c = counts.setdefault(r["_b"], [0, 0])
        c[0], c[1] = c[0] + b * r["count"], c[1] + s * r["count"]
    out = []
    for j, t in enumerate(tasks):
        life = _core.default_lifetime(*counts[j]) if j in counts else float("nan")
        out.append(t.replace(clv=dataclasses.replace(clv, lifetime_years=life)))
    return out


def labels(facts: Any, tasks: list[Task], customers: int, period_start: bool) -> Any:
    """Stages 2 and 3: per boundary the pools' sizes and values at the wanted
    ranks, then the labels of every customer (``period_start`` first for a
    history)."""
    from pyspark import StorageLevel
    from pyspark.sql.pandas.types import from_arrow_schema

    tasks = with_lifetimes(facts, tasks, customers)
    sizes: dict[int, dict[int, int]] = {j: {} for j in range(len(tasks))}
    at: dict[int, list[tuple[int, int, int]]] = {j: [] for j in range(len(tasks))}
    if set(tasks[0].args["what"]) & {"cv", "rfm", "clv"} and customers:
        keys = facts.mapInArrow(functools.partial(_keys_task, tasks), "pool int, key bigint")
        keys = keys.persist(StorageLevel.MEMORY_AND_DISK)
        stats = pool_stats(keys)
        for code, s in stats.items():
            sizes[code // POOLS][code % POOLS] = s[0]
        wanted = [(j * POOLS + p, r) for j, t in enumerate(tasks)
                  for p, r in _core.pieces_wanted(sizes[j], args=t.core_args())]  # fmt: skip
        for code, rank, value in select(keys, wanted, stats):
            at[code // POOLS].append((code % POOLS, rank, value))
        keys.unpersist()
    schema = _labels_schema(tasks[0], facts, period_start)
    fn = functools.partial(_labels_task, tasks, sizes, at, schema, period_start)
    return facts.mapInArrow(fn, from_arrow_schema(schema))


def _by_boundary(b: pa.RecordBatch) -> Iterator[tuple[int, pa.Table]]:
    """The rows of a table of facts per boundary index (``_b``)."""
    t = pa.Table.from_batches([b])
    for j in pc.unique(t.column("_b")).to_pylist():
        yield j, t.filter(pc.equal(t.column("_b"), j))


def _keys_task(tasks: list[Task], batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    with core_errors():
        for b in batches:
            for j, t in _by_boundary(b):
                k = _core.piece_keys(t, args=tasks[j].core_args())
                code = pc.add(k.column("pool").cast(pa.int32()), pa.scalar(j * POOLS, pa.int32()))
                yield pa.record_batch(
                    [code.combine_chunks(), k.column("key").combine_chunks()], ["pool", "key"]
                )


def _labels_schema(task: Task, facts: Any, period_start: bool) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    empty = pa.Table.from_batches([], to_arrow_schema(facts.schema))
    out = _core.piece_labels(empty, sizes={}, at=[], args=task.core_args())
    fields = [_plain(f) for f in out.schema]
    return pa.schema(([pa.field("period_start", pa.date32())] if period_start else []) + fields)


def _plain(f: pa.Field) -> pa.Field:
    """Labels as strings (Spark has no categoricals); every field nullable."""
    t = pa.string() if pa.types.is_dictionary(f.type) else f.type
    return pa.field(f.name, t, nullable=True)


def _labels_task(tasks: list[Task], sizes: dict[int, dict[int, int]], at: dict[int, list[Any]],
                 schema: pa.Schema, period_start: bool,
                 batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:  # fmt: skip
    with core_errors():
        for b in batches:
            for j, t in _by_boundary(b):
                out = _core.piece_labels(t, sizes=sizes[j], at=at[j], args=tasks[j].core_args())
                cols = out.columns
                if period_start:
                    day = tasks[j].args["run"].as_of
                    cols = [pa.array(np.full(out.num_rows, day, np.int32)).cast(pa.date32()), *cols]
                cols = [c.cast(f.type) for c, f in zip(cols, schema, strict=True)]
                yield from pa.Table.from_arrays(cols, schema=schema).to_batches()
