"""custseg on Spark (issue 16): the same calls, the same options and the same
rows, bit for bit (I5), for transactions in a PySpark DataFrame too large for
one machine. Each function takes a PySpark DataFrame and every option of the
one-machine function of the same name, and returns a PySpark DataFrame with
the same columns (labels as strings: Spark has no categoricals); with
``return_report=True`` also the run's :class:`custseg.Report`.

How it runs (see ``docs/spark.md``): the rows are repartitioned by customer
and each Spark task calls the Rust core on whole customers (``mapInArrow``);
the tier thresholds (CV6, R2, CLV2) and the medians (CLV3) need every
customer, so they are found exactly from counts aggregated in Spark and
broadcast back; the CLV1 default lifetime and ``as_of`` are computed from the
whole data. ``customer_value_history`` and ``segment_history`` (CV8) walk each
customer once for every boundary the same way. ``threads`` is the threads of
each task's core call (default 1: Spark runs a task per core). The facts (one
row per customer) stay cached for the returned DataFrame to read;
:func:`clear_cache` frees them.

Spark-only options: ``partitions`` (the number of partitions of the
repartition by customer; default: the input's, and one per core at least)
and ``rows_per_call`` (rows a task hands the core at once, about;
bounds a task's memory).

Example (``spark`` a SparkSession; ``examples/spark_cdnow.py`` runs one on
the bundled CDNOW data, and its test checks it)::

    import custseg.spark as css
    sdf = spark.read.parquet("transactions/")
    segments, report = css.customer_value(sdf, as_of="2026-01-01", return_report=True)
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

import custseg as _cs
from custseg import _engine, _spark_run, _spark_stages

__all__ = [
    "clear_cache",
    "customer_value",
    "rfm",
    "clv",
    "segment",
    "rfm_summary",
    "customer_value_history",
    "segment_history",
]

_settings: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "custseg_spark", default=None
)


def _runner(sdf: Any, **kwargs: Any) -> Any:
    return _spark_run.run(sdf, **kwargs, **(_settings.get() or {}))


def _history_runner(sdf: Any, **kwargs: Any) -> Any:
    return _spark_run.run_history(sdf, **kwargs, **(_settings.get() or {}))


_engine.SPARK_RUNNER = _runner
_engine.SPARK_HISTORY_RUNNER = _history_runner


def _on_spark(single: Callable[..., Any]) -> Callable[..., Any]:
    """The Spark form of a one-machine call: same options, plus ``partitions``
    and ``rows_per_call``."""

    @functools.wraps(single)
    def call(
        sdf: Any, *, partitions: int | None = None, rows_per_call: int = 1 << 20, **options: Any
    ) -> Any:
        if not _engine.is_spark(sdf):
            got = type(sdf).__name__
            raise TypeError(f"custseg.spark.{single.__name__} takes a PySpark DataFrame, got {got}")
        if partitions is not None and (not isinstance(partitions, int) or partitions < 1):
            raise ValueError(f"partitions must be a whole number >= 1, got {partitions!r}")
        if not isinstance(rows_per_call, int) or rows_per_call < 1:
            raise ValueError(f"rows_per_call must be a whole number >= 1, got {rows_per_call!r}")
        token = _settings.set({"partitions": partitions, "rows_per_call": rows_per_call})
        try:
            return single(sdf, **options)
        finally:
            _settings.reset(token)

    name = single.__name__
    call.__doc__ = f"{name} of a PySpark DataFrame: see custseg.{name} and custseg.spark."
    return call


customer_value = _on_spark(_cs.customer_value)
rfm = _on_spark(_cs.rfm)
clv = _on_spark(_cs.clv)
segment = _on_spark(_cs.segment)
rfm_summary = _on_spark(_cs.rfm_summary)
customer_value_history = _on_spark(_cs.customer_value_history)
segment_history = _on_spark(_cs.segment_history)


def clear_cache() -> int:
    """Frees the facts (one row per customer, and boundary for a history) that
    the calls of this process cached in Spark; returns how many it freed.
    A returned DataFrame reads them until then: after this call, evaluating
    it again recomputes them from the transactions (the same rows).
    """
    freed = len(_spark_stages.CACHED)
    for facts in _spark_stages.CACHED:
        facts.unpersist()
    _spark_stages.CACHED.clear()
    return freed
