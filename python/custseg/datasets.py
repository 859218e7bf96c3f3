"""Built-in data: a synthetic retail transaction table made in Rust.

Example:
    >>> import custseg as cs
    >>> tx = cs.datasets.synthetic(customers=1_000, years=2, seed=7)
    >>> tx.column_names
    ['customer_id', 'date', 'amount']
"""

from __future__ import annotations

from typing import Any, Literal

from custseg import _core
from custseg._frames import as_day


def synthetic(
    customers: int = 10_000,
    years: int = 3,
    seed: int = 42,
    *,
    end: Any = "2026-01-01",
    ids: Literal["int", "str"] = "int",
    output: Literal["arrow", "pandas", "polars"] = "arrow",
) -> Any:
    """A synthetic transaction table: ``customer_id``, ``date`` (date32),
    ``amount`` (float64, two decimals).

    Customers are acquired over the ``years`` before ``end`` (exclusive) with
    growth, churn after a random active life (many one-time buyers), buy at
    heterogeneous rates with seasonality (December, and sales peaks in January
    and July), spend heavy-tailed amounts, return goods (some days are returned
    whole, netting to zero) and buy several lines on some days. Deterministic
    for given arguments, whatever the thread count. Rows are grouped per
    customer, in date order within a customer.

    Args:
        customers: number of customers (about 2.5-3 rows per customer-year).
        years: years of history before ``end``.
        seed: random seed.
        end: exclusive last day (a date or ISO string).
        ids: ``"int"`` for int64 ids, ``"str"`` for string ids such as ``"C0000042"``.
        output: ``"arrow"`` (a pyarrow Table), ``"pandas"`` or ``"polars"``.
    """
    end_day = as_day(end, "end")
    assert end_day is not None
    table = _core.synthetic(customers, years, seed, end_day, ids == "str")
    if output == "pandas":
        return table.to_pandas(date_as_object=False)
    if output == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table
