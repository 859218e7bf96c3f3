"""Customer Value, RFM and CLV of every customer from one pass over the rows
(issue 4)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from custseg._engine import Periods, run, run_options
from custseg._options import ClvOptions, CvOptions, RfmOptions
from custseg.clv import clv_cuts as _clv_cuts
from custseg.rfm import rules_records


def segment(
    data: Any = None,
    *,
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order: Any = None,
    as_of: Any = None,
    periods: Periods | None = None,
    what: str | Sequence[str] = ("cv", "rfm", "clv"),
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
    tiers: Sequence[float] | None = None,
) -> Any:
    """Several segmentations in one pass: one row per customer with the columns
    of :func:`custseg.customer_value` (``what`` holds ``"cv"``),
    :func:`custseg.rfm` (``"rfm"``) and :func:`custseg.clv` (``"clv"``), in
    that order. The rows are read, checked and grouped once, so all three cost
    well under three calls. Options are those of the three functions (the
    RFM's ``monetary`` is ``"sum"`` or ``"mean"``); with CV and RFM together
    the RFM monetary column is named ``rfm_monetary``. Cut points: ``cuts``
    are Customer Value's (CV6), ``clv_cuts`` the CLV tiers' (CLV2, default
    ``(0.2, 0.8)``; ``tiers=`` is its deprecated old name).

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=5_000, years=3, seed=1)
        >>> s = cs.segment(tx, as_of="2026-01-01")
        >>> [c for c in s.column_names if c.endswith(("segment", "tier"))]
        ['cv_segment', 'rfm_segment', 'clv_tier']
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
        what=[what] if isinstance(what, str) else list(what),
        **segment_options(
            sales_only=sales_only,
            sales_months=sales_months,
            sales_lookback=sales_lookback,
            cuts=cuts,
            monetary_periods=monetary_periods,
            bins=bins,
            monetary=monetary,
            segments=segments,
            lifetime_years=lifetime_years,
            clv_cuts=_clv_cuts(clv_cuts, tiers, "clv_cuts"),
            value_threshold=value_threshold,
            loyalty_threshold=loyalty_threshold,
            tenure_threshold=tenure_threshold,
        ),
        return_report=return_report,
        log_as="segment",
    )


def segment_options(
    *,
    sales_only: bool,
    sales_months: Sequence[int],
    sales_lookback: int,
    cuts: Sequence[float],
    monetary_periods: int,
    bins: int,
    monetary: str,
    segments: Any,
    lifetime_years: float | None,
    clv_cuts: Sequence[float],
    value_threshold: float | None,
    loyalty_threshold: float | None,
    tenure_threshold: float | None,
) -> dict[str, Any]:
    """The options of the three segmentations as the core takes them
    (``cv=``, ``rfm=``, ``clv=``)."""
    return {
        "cv": CvOptions(
            sales_only=bool(sales_only),
            sales_months=tuple(sales_months),
            sales_lookback=sales_lookback,
            cuts=tuple(cuts),
            monetary_periods=monetary_periods,
        ),
        "rfm": RfmOptions(bins=bins, monetary=monetary, segments=rules_records(segments)),
        "clv": ClvOptions(
            lifetime_years=lifetime_years,
            cuts=tuple(clv_cuts),
            value_threshold=value_threshold,
            loyalty_threshold=loyalty_threshold,
            tenure_threshold=tenure_threshold,
        ),
    }
