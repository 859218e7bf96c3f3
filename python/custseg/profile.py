"""What each segment buys and through which channel (rule A1; seeds 002/003:
"analyse the behaviour per segment: which products, which channels"),
computed in the core in one pass over the transaction rows."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from custseg import _core
from custseg._files import naming_the_file
from custseg._frames import as_table, categories, labels, to_family
from custseg._input import as_day, prepare
from custseg._signals import sigterm_cleans_up
from custseg.errors import ColumnNotFoundError, ConfigError

logger = logging.getLogger("custseg")

_METRICS = ("customers", "customer_share", "revenue", "revenue_share", "index")


@dataclass(frozen=True)
class ProfileReport:
    """What a profile read and left out (``return_report=True``; also logged).

    Attributes:
        rows_read: rows of the transaction data.
        rows_used: valid rows before ``as_of`` of segmented customers: profiled.
        rows_after_as_of: valid rows on or after ``as_of``, not profiled (I3).
        rows_dropped: invalid rows skipped with ``on_invalid="drop"`` (I4).
        rows_without_segment: valid rows before ``as_of`` of customers missing
            from the segments, not profiled; ``customers_without_segment`` of
            them, with ``revenue_without_segment``.
        segment_customers: customers in the segments;
            ``segment_customers_without_rows`` of them had no profiled row.
    """

    rows_read: int
    rows_used: int
    rows_after_as_of: int
    rows_dropped: dict[str, int] = field(default_factory=dict)
    rows_without_segment: int = 0
    customers_without_segment: int = 0
    revenue_without_segment: float = 0.0
    segment_customers: int = 0
    segment_customers_without_rows: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.__dict__.items())


def _segment_codes(
    seg: pa.Table, names: list[str]
) -> tuple[np.ndarray, list[list[Any]], list[np.ndarray]]:
    """One code per customer for the combination of the segment columns
    (category order), the categories of each column, and per combination code
    the code of each column."""
    codes, cats = [], []
    for name in names:
        column = seg.column(name)
        if column.null_count:
            raise ConfigError(
                f"the segment column '{name}' has {column.null_count} missing labels (rule A1)"
            )
        c, values = categories(column)
        codes.append(np.asarray(c, dtype=np.int64))
        cats.append(values.to_pylist())
    combined = np.zeros(seg.num_rows, dtype=np.int64)
    for c, values in zip(codes, cats, strict=True):
        combined = combined * len(values) + c
    present, inverse = np.unique(combined, return_inverse=True)
    parts = []
    for values in reversed(cats):
        parts.append(present % len(values))
        present = present // len(values)
    return inverse.astype(np.uint32), cats, parts[::-1]


def profile(
    segments: Any,
    data: Any,
    *,
    by: str | Sequence[str],
    segment: str | Sequence[str] = "cv_segment",
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    as_of: Any = None,
    on_invalid: str = "raise",
    threads: int | None = None,
    return_report: bool = False,
) -> Any:
    """What each segment buys (rule A1): for each segment and each value of the
    ``by`` column(s) (product category, channel, country...), the customers of
    the segment with a line in that value, the net revenue, its share of the
    segment's revenue and the index against all segmented customers.

    One pass over ``data`` in the core: dates and amounts are read as the
    segmentations read them (I1, I4, I6), each row is joined on the customer to
    its segment, money is summed exactly.

    Args:
        segments: one row per customer with the ``customer`` and ``segment``
            columns: a result of :func:`custseg.customer_value`,
            :func:`custseg.rfm`, :func:`custseg.clv` or :func:`custseg.segment`.
        data: the transaction lines (pandas, polars, Arrow, DuckDB...) with the
            ``customer``, ``date``, ``amount`` and ``by`` columns.
        by: a column name, or several (their combinations).
        segment: the label column(s) of ``segments``; for Customer Value,
            ``("cv_group", "cv_segment")`` tells ``3 COLD / L`` from ``4 LOST / L``.
        customer, date, amount: column names (the same customer column name in
            both tables, with the same kind of ids).
        as_of: only rows before this day (I3) count: pass the segmentation's
            ``as_of``, or filter ``data`` to the window to study. Default: all rows.
        on_invalid: ``"raise"`` or ``"drop"`` invalid rows (I4).
        threads: threads of the core (default: all cores).
        return_report: also return a :class:`ProfileReport`.

    Returns:
        One row per segment present (category order) and ``by`` value met
        among the profiled rows (categories in their order, other values
        sorted, null last), every pair present even without customers: the
        segment column(s), the ``by`` column(s), ``customers``,
        ``customer_share`` (of the segment's customers), ``revenue``,
        ``revenue_share`` (of the segment's revenue; null when that is 0) and
        ``index`` = 100 x revenue_share / the value's share of all profiled
        revenue (above 100: the segment buys more of it than average). In the
        family of ``data``.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=3_000, years=3, seed=5, extra_columns=True)
        >>> cv = cs.customer_value(tx, as_of="2026-01-01")
        >>> p = cs.profile(cv, tx, by="channel", as_of="2026-01-01")
        >>> p.column_names[:4]
        ['cv_segment', 'channel', 'customers', 'customer_share']
        >>> p.column_names[4:]
        ['revenue', 'revenue_share', 'index']
    """
    by_names = [by] if isinstance(by, str) else list(by)
    seg_names = [segment] if isinstance(segment, str) else list(segment)
    clash = set(by_names) & (set(seg_names) | set(_METRICS))
    if clash:
        raise ConfigError(
            f"by column(s) {sorted(clash)} clash with the profile's own columns (rule A1)"
        )
    seg = as_table(segments)
    for name, role in [(customer, "customer"), *((s, "segment") for s in seg_names)]:
        if name not in seg.column_names:
            raise ColumnNotFoundError(
                f"column '{name}' ({role}) not found in the segments (rule A1); "
                f"available columns: {', '.join(seg.column_names)}"
            )
    codes, cats, parts = _segment_codes(seg, seg_names)
    roles = {"customer": customer, "date": date, "amount": amount}
    roles.update({f"by {i}": b for i, b in enumerate(by_names)})
    stream, family, _, _ = prepare(data, roles)
    with sigterm_cleans_up(), naming_the_file(stream):  # issue 18
        table, report = _core.profile(
            stream,
            (seg.column(customer).combine_chunks(), pa.array(codes, pa.uint32())),
            columns=(customer, date, amount),
            by=by_names,
            categories=len(parts[0]),
            as_of=as_day(as_of),
            on_invalid=on_invalid,
            threads=threads,
        )
    out = _labelled(table, seg_names, cats, parts, by_names)
    rep = ProfileReport(**{**report, "rows_dropped": dict(report["rows_dropped"])})
    logger.info("profile: %s", rep)
    result = to_family(out, family)
    return (result, rep) if return_report else result


def _labelled(
    table: pa.Table,
    seg_names: list[str],
    cats: list[list[Any]],
    parts: list[np.ndarray],
    by: list[str],
) -> pa.Table:
    """The core's table with the segment codes as label columns and string
    ``by`` values as ordered categories in the table's order."""
    combo = table.column("segment").to_numpy()
    columns: dict[str, Any] = {
        name: labels(part[combo].tolist(), values)
        for name, values, part in zip(seg_names, cats, parts, strict=True)
    }
    for name in by:
        values = table.column(name).combine_chunks()
        if pa.types.is_string(values.type):
            # Categories in order of first appearance: the core's output order.
            coded = values.dictionary_encode()
            values = pa.DictionaryArray.from_arrays(coded.indices, coded.dictionary, ordered=True)
        columns[name] = values
    for name in _METRICS:
        columns[name] = table.column(name)
    return pa.table(columns)
