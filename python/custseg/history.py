"""Segments over time (rule CV8): the segmentation as of every period start of
a range, from one pass over the rows, as one long table."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from custseg import _engine
from custseg._engine import Periods, run_history, run_options
from custseg._frames import to_family
from custseg._input import as_day
from custseg.clv import clv_cuts as _clv_cuts
from custseg.report import Report
from custseg.segment import segment_options


def customer_value_history(
    data: Any = None,
    *,
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order: Any = None,
    start: Any = None,
    end: Any = None,
    periods: Periods | None = None,
    sales_only: bool = False,
    sales_months: Sequence[int] = (1, 7),
    sales_lookback: int = 4,
    cuts: Sequence[float] = (0.05, 0.25, 0.50),
    monetary_periods: int = 2,
    count_zero_days: bool = False,
    on_invalid: str = "raise",
    return_report: bool = False,
    threads: int | None = None,
    memory_limit: int | str | None = "auto",
    spill_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """The Customer Value segmentation as of every period start from ``start``
    to ``end`` (rule CV8): a long table, one row per boundary and customer.

    The segmentation is fixed for a period (P3), so computing it at each
    period start makes segments comparable over time: migration
    (:func:`custseg.migration`), segment performance
    (:func:`custseg.segment_performance`), cohorts (:func:`custseg.cohorts`).
    The rows are read once and each customer's timeline is walked once for all
    boundaries: the cost grows with the rows plus customers x boundaries.

    Args:
        data, customer, date, amount, order: the transactions, as in
            :func:`custseg.customer_value`.
        start, end: dates (date, ISO string or timestamp); the history holds
            every period start ``s`` of the calendar with ``start <= s <=
            end``. Default: from the first period start after the first day of
            the data to the last one on or before the day after its last day
            (only whole periods). A boundary before the first row gives no
            rows (a single call refuses such an ``as_of``).
        periods: the calendar (P1); default ``Periods.semiannual()``.
        sales_only, sales_months, sales_lookback, cuts, monetary_periods,
        count_zero_days, on_invalid, threads, memory_limit, spill_dir: as in
            :func:`custseg.customer_value`.
        return_report: also return the :class:`custseg.Report` (as of the
            last boundary; ``rows_after_as_of`` counts the rows on or after it
            when ``end`` is given, and is 0 otherwise).

    Returns:
        A frame of the input's family: ``period_start`` then exactly the
        columns of :func:`custseg.customer_value`; for each boundary ``s``
        exactly the rows of ``customer_value(data, as_of=s, ...)``; sorted by
        ``period_start``, then customer.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=2_000, years=3, seed=1)
        >>> h = cs.customer_value_history(tx, start="2025-01-01", end="2026-01-01")
        >>> h.column_names[:4]
        ['period_start', 'customer_id', 'cv_group', 'cv_segment']
        >>> counts = h.group_by("period_start").aggregate([("customer_id", "count")])
        >>> counts.sort_by("period_start").column("customer_id_count").to_pylist()
        [1164, 1507, 1980]
    """
    return segment_history(
        data,
        customer=customer,
        date=date,
        amount=amount,
        order=order,
        what=("cv",),
        start=start,
        end=end,
        periods=periods,
        sales_only=sales_only,
        sales_months=sales_months,
        sales_lookback=sales_lookback,
        cuts=cuts,
        monetary_periods=monetary_periods,
        count_zero_days=count_zero_days,
        on_invalid=on_invalid,
        return_report=return_report,
        threads=threads,
        memory_limit=memory_limit,
        spill_dir=spill_dir,
    )


def segment_history(
    data: Any = None,
    *,
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order: Any = None,
    what: str | Sequence[str] = ("cv", "rfm", "clv"),
    start: Any = None,
    end: Any = None,
    periods: Periods | None = None,
    sales_only: bool = False,
    sales_months: Sequence[int] = (1, 7),
    sales_lookback: int = 4,
    cuts: Sequence[float] = (0.05, 0.25, 0.50),
    monetary_periods: int = 2,
    bins: int = 5,
    monetary: str = "sum",
    segments: Any = None,
    lifetime_years: float | None = None,
    clv_cuts: Sequence[float] | None = None,
    value_threshold: float | None = None,
    loyalty_threshold: float | None = None,
    tenure_threshold: float | None = None,
    count_zero_days: bool = False,
    on_invalid: str = "raise",
    return_report: bool = False,
    threads: int | None = None,
    memory_limit: int | str | None = "auto",
    spill_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """:func:`custseg.segment` as of every period start from ``start`` to
    ``end`` (rule CV8): ``period_start`` then the columns of
    ``segment(data, as_of=s, what=what, ...)`` for each boundary ``s``, from
    one pass over the rows. Options as in :func:`custseg.segment` and
    :func:`customer_value_history`. RFM scores and CLV tiers are computed among
    the customers of each boundary. CLV's default lifetime (CLV1) needs two
    years of data before every boundary; pass ``lifetime_years`` otherwise.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=2_000, years=4, seed=1)
        >>> h = cs.segment_history(tx, start="2025-01-01", end="2026-01-01", lifetime_years=3)
        >>> [c for c in h.column_names if c.endswith(("segment", "tier"))]
        ['cv_segment', 'rfm_segment', 'clv_tier']
    """
    return _history(
        data,
        what=(what,) if isinstance(what, str) else tuple(what),
        columns={"customer": customer, "date": date, "amount": amount, "order": order},
        options=dict(
            count_zero_days=count_zero_days,
            on_invalid=on_invalid,
            threads=threads,
            memory_limit=memory_limit,
            spill_dir=spill_dir,
        ),
        periods=periods,
        start=start,
        end=end,
        segmentations=segment_options(
            sales_only=sales_only,
            sales_months=sales_months,
            sales_lookback=sales_lookback,
            cuts=cuts,
            monetary_periods=monetary_periods,
            bins=bins,
            monetary=monetary,
            segments=segments,
            lifetime_years=lifetime_years,
            clv_cuts=_clv_cuts(clv_cuts, None, "clv_cuts"),
            value_threshold=value_threshold,
            loyalty_threshold=loyalty_threshold,
            tenure_threshold=tenure_threshold,
        ),
        return_report=return_report,
    )


def _history(
    data: Any,
    *,
    what: Sequence[str],
    columns: dict[str, Any],
    options: dict[str, Any],
    periods: Periods | None,
    start: Any,
    end: Any,
    segmentations: dict[str, Any],
    return_report: bool,
) -> Any:
    """The long history table in the input's family (and the report); a
    PySpark DataFrame for one (``custseg.spark``)."""
    args = dict(
        columns=columns,
        options=run_options(as_of=None, **options),
        periods=periods,
        what=what,
        start=as_day(start, "start"),
        end=as_day(end, "end"),
        **segmentations,
    )
    if _engine.is_spark(data):
        if _engine.SPARK_HISTORY_RUNNER is None:
            raise TypeError(_engine.SPARK_MISSING)
        out, rep = _engine.SPARK_HISTORY_RUNNER(data, **args)
    else:
        h, family, names, customer_dtype = run_history(data, **args)
        table = pa.concat_tables([h.batch(j, release=True) for j in range(len(h))])
        rep = Report._from_core(h.report())
        out = to_family(table, family, dtypes={names["customer"]: customer_dtype})
    rep._log("customer_value_history" if tuple(what) == ("cv",) else "segment_history")
    return (out, rep) if return_report else out
