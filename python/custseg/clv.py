"""Simple customer lifetime value, 20-60-20 tiers and value/loyalty quadrants
(spec section 4: CLV1-CLV3)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from custseg._engine import CLV_LABELS, run

CLV_TIERS: tuple[str, ...] = CLV_LABELS["clv_tier"]
"""clv_tier categories in order (CLV2)."""
CLV_QUADRANTS: tuple[str, ...] = CLV_LABELS["value_loyalty"]
"""value_loyalty categories in order (CLV3)."""


def clv(
    data: Any = None,
    *,
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order: Any = None,
    as_of: Any = None,
    periods: Any = None,
    lifetime_years: float | None = None,
    tiers: Sequence[float] = (0.2, 0.8),
    value_threshold: float | None = None,
    loyalty_threshold: float | None = None,
    count_zero_days: bool = False,
    on_invalid: str = "raise",
    return_report: bool = False,
    threads: int | None = None,
    memory_limit: int | str | None = "auto",
    spill_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """The simple CLV of every customer with a purchase event before ``as_of``
    (CLV1-CLV3): one row per customer, sorted by customer.

    clv = aov x purchases_per_year x lifetime_years, with aov = net sum before
    ``as_of`` / purchase events, tenure_years = (``as_of`` - first purchase) /
    365.25 and purchases_per_year = events / max(tenure_years, 1) (CLV1).

    Args:
        data, customer, date, amount, order, as_of, count_zero_days, on_invalid,
            return_report, threads, memory_limit, spill_dir: as in
            :func:`custseg.customer_value`.
        periods: the calendar of the loyalty measure (CLV3); default
            ``Periods.semiannual()``.
        lifetime_years: expected lifetime; default 1 / yearly churn, the share
            of customers who bought 366-730 days before ``as_of`` and not in the
            last 365 days (a :class:`custseg.ConfigError` asks for it when that
            cannot be computed).
        tiers: two cut points of ``clv_tier`` (CLV2): r < 0.2 ``high``,
            r < 0.8 ``medium``, else ``low``, r = share of customers with a
            strictly higher clv.
        value_threshold, loyalty_threshold: clv and loyalty at or above which a
            customer is "high" (CLV3); default: the medians.

    Returns:
        ``customer``, ``aov``, ``purchases_per_year``, ``tenure_years``,
        ``lifetime_years``, ``clv``, ``clv_tier`` (ordered categorical),
        ``loyalty`` (periods with a purchase / periods since the first
        purchase's, CLV3), ``value_loyalty`` (ordered categorical).

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=5_000, years=3, seed=1)
        >>> v = cs.clv(tx, as_of="2026-01-01")
        >>> v.column_names[-4:]
        ['clv', 'clv_tier', 'loyalty', 'value_loyalty']
    """
    return run(
        data,
        what=["clv"],
        columns={"customer": customer, "date": date, "amount": amount, "order": order},
        as_of=as_of,
        periods=periods,
        labels=CLV_LABELS,
        on_invalid=on_invalid,
        return_report=return_report,
        threads=threads,
        memory_limit=memory_limit,
        spill_dir=spill_dir,
        log_as="clv",
        count_zero_days=bool(count_zero_days),
        lifetime_years=lifetime_years,
        tiers=list(tiers),
        value_threshold=value_threshold,
        loyalty_threshold=loyalty_threshold,
    )
