"""Customer Value segmentation (spec section 2: CV1-CV7)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from custseg import _core
from custseg._engine import Periods, run, run_options
from custseg._options import CvOptions

CV_GROUPS: tuple[str, ...] = tuple(_core.CV_GROUPS)
"""cv_group categories in order (CV7)."""
CV_SEGMENTS: tuple[str, ...] = tuple(_core.CV_SEGMENTS)
"""cv_segment categories in order (CV7)."""


def customer_value(
    data: Any = None,
    *,
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order: Any = None,
    as_of: Any = None,
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
    """The Customer Value segment of every customer: one row per customer.

    The segmentation is *fixed* (P3): computed at the start of a period, it
    uses only the periods before the current one for customers who bought
    before it. Recency in periods gives the group (CV1, CV2), the monetary
    value of the last ``monetary_periods`` periods counted back from the last
    purchase (CV3) gives the tier inside the group (CV4, CV6).

    Args:
        data: the transactions: a pandas or polars DataFrame, a polars
            LazyFrame, a pyarrow Table / RecordBatchReader / Dataset, a DuckDB
            relation or any object with ``__arrow_c_stream__``. ``None`` when
            the columns are passed one by one as ``customer=``, ``date=``,
            ``amount=`` (numpy arrays, pandas/polars Series, pyarrow arrays).
        customer, date, amount: column names (or the columns themselves).
            Customer ids are integers, strings or categoricals; dates are dates
            or timestamps (a timestamp counts on its calendar day in its own
            zone, I1); amounts are floats, integers or decimals, negative for
            returns, summed exactly to the millionth (I6).
        order: optional order-id column: a purchase event is then an order with
            a positive total instead of a customer-day (I2).
        as_of: the exclusive day of the run (I3): a date, ISO string or
            timestamp. Default: the day after the latest day in the data.
            Meant to be the first day of a period (P2).
        periods: the period calendar (P1); default ``Periods.semiannual()``.
        sales_only: put customers who only bought in sales months in the last
            ``sales_lookback`` periods into ``0 SOL`` (CV5).
        sales_months: months (1-12) of the sales (CV5).
        sales_lookback: periods counted back for sales-only (CV5).
        cuts: three cut points of the tiers, strictly increasing in (0, 1) (CV6).
        monetary_periods: periods in the monetary window (CV3).
        count_zero_days: count a day (or order) with a net total of exactly
            zero as a purchase event (I2).
        on_invalid: ``"raise"`` (default) raises on the first invalid row;
            ``"drop"`` skips invalid rows and counts them in the report (I4).
        return_report: also return a :class:`custseg.Report`.
        threads: number of threads (default: all cores). Results never depend
            on it (I5).
        memory_limit: bytes of transaction lines held in memory before they
            spill to local disk, partitioned by customer: ``"auto"`` (half the
            memory available at the call), a number of bytes, a size such as
            ``"4GB"``, or ``None`` (never spill). A line takes 16 bytes (20
            with ``order``); adjacent rows of one customer and day (and order)
            share a line. Results never depend on it. Besides the lines, a run
            holds the per-customer state, the input batches in flight and,
            while segmenting, one partition (1/64 of the lines) per thread.
        spill_dir: folder for the spill files (a fresh sub-folder, removed
            afterwards); default: the system's temporary folder (``TMPDIR``).

    Returns:
        A frame of the input's family (pandas in, pandas out; polars in, polars
        out; otherwise a pyarrow Table), sorted by customer, with the columns of
        CV7: the customer column (same name and type), ``cv_group`` and
        ``cv_segment`` (ordered categoricals), ``periods_since_last``,
        ``purchases``, ``monetary``, ``first_purchase``, ``last_purchase``.
        With ``return_report=True``, a tuple ``(frame, report)``.

    Raises:
        custseg.CustsegError: a subclass naming the column, row and rule.

    Example:
        >>> import pandas as pd, custseg as cs
        >>> tx = pd.DataFrame({
        ...     "customer_id": [1, 1, 2, 3, 3],
        ...     "date": pd.to_datetime(["2025-03-01", "2025-09-10", "2025-10-01",
        ...                             "2024-03-05", "2024-04-01"]),
        ...     "amount": [40.0, 60.0, 25.0, 10.0, -10.0],
        ... })
        >>> cv = cs.customer_value(tx, as_of="2026-01-01", periods=cs.Periods.semiannual())
        >>> cv[["customer_id", "cv_group", "cv_segment", "periods_since_last", "monetary"]]
           customer_id cv_group cv_segment  periods_since_last  monetary
        0            1    2 ACT    PLATINA                   1     100.0
        1            2    2 ACT     JUNIOR                   1      25.0
        2            3   4 LOST          L                   4       0.0

        Customer 3's return on 2024-04-01 is no purchase (I2), so its last
        purchase is in 2024H1, four periods before P0 = 2026H1 (``4 LOST``),
        and its monetary value over ages 4 and 5 nets to zero (CV3).
    """
    return run(
        data,
        columns={"customer": customer, "date": date, "amount": amount, "order": order},
        options=run_options(
            as_of=as_of,
            count_zero_days=count_zero_days,
            on_invalid=on_invalid,
            threads=threads,
            memory_limit=memory_limit,
            spill_dir=spill_dir,
        ),
        periods=periods,
        what=["cv"],
        cv=CvOptions(
            sales_only=bool(sales_only),
            sales_months=tuple(sales_months),
            sales_lookback=sales_lookback,
            cuts=tuple(cuts),
            monetary_periods=monetary_periods,
        ),
        return_report=return_report,
        log_as="customer_value",
    )
