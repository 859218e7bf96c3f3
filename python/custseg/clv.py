"""Simple customer lifetime value, 20-60-20 tiers, value/loyalty and
value/tenure quadrants (spec section 4: CLV1-CLV3a)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

from custseg import _core
from custseg._engine import Periods, run, run_options
from custseg._options import ClvOptions
from custseg.errors import ConfigError

CLV_TIERS: tuple[str, ...] = tuple(_core.CLV_TIERS)
"""clv_tier categories in order (CLV2)."""
CLV_QUADRANTS: tuple[str, ...] = tuple(_core.CLV_QUADRANTS)
"""value_loyalty categories in order (CLV3)."""
CLV_TENURE_QUADRANTS: tuple[str, ...] = tuple(_core.CLV_TENURE_QUADRANTS)
"""tenure_quadrant categories in order (CLV3a)."""


def clv_cuts(
    cuts: Sequence[float] | None, tiers: Sequence[float] | None, name: str = "cuts"
) -> tuple[float, ...]:
    """The CLV2 cut points from ``cuts``, or from the deprecated ``tiers``
    (with a ``DeprecationWarning``); both given is a ConfigError."""
    if tiers is None:
        return tuple((0.2, 0.8) if cuts is None else cuts)
    if cuts is not None:
        raise ConfigError(f"pass {name}= or the deprecated tiers=, not both (rule CLV2)")
    warnings.warn(
        f"tiers= is deprecated: pass the CLV2 cut points as {name}= (same values)",
        DeprecationWarning,
        stacklevel=3,
    )
    return tuple(tiers)


def clv(
    data: Any = None,
    *,
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order: Any = None,
    as_of: Any = None,
    periods: Periods | None = None,
    lifetime_years: float | None = None,
    cuts: Sequence[float] | None = None,
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
    """The simple CLV of every customer with a purchase event before ``as_of``
    (CLV1-CLV3a): one row per customer, sorted by customer.

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
        cuts: two cut points of ``clv_tier`` (CLV2), default ``(0.2, 0.8)``:
            r < 0.2 ``high``, r < 0.8 ``medium``, else ``low``, r = share of
            customers with a strictly higher clv.
        value_threshold, loyalty_threshold: clv and loyalty at or above which a
            customer is "high" (CLV3); default: the medians.
        tenure_threshold: tenure in years at or above which the relationship
            is "long" (CLV3a); default: the median ``tenure_years``.
        tiers: the old name of ``cuts``; works, with a ``DeprecationWarning``.

    Returns:
        ``customer``, ``aov``, ``purchases_per_year``, ``tenure_years``,
        ``lifetime_years``, ``clv``, ``clv_tier`` (ordered categorical),
        ``loyalty`` (periods with a purchase / periods since the first
        purchase's, CLV3), ``value_loyalty`` (ordered categorical) and
        ``tenure_quadrant`` (clv high/low x tenure long/short, ordered
        categorical, CLV3a: seed 004's quadrant map of CLV against the
        length of the relationship).

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=5_000, years=3, seed=1)
        >>> v = cs.clv(tx, as_of="2026-01-01")
        >>> v.column_names[-5:]
        ['clv', 'clv_tier', 'loyalty', 'value_loyalty', 'tenure_quadrant']
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
        what=["clv"],
        clv=ClvOptions(
            lifetime_years=lifetime_years,
            cuts=clv_cuts(cuts, tiers),
            value_threshold=value_threshold,
            loyalty_threshold=loyalty_threshold,
            tenure_threshold=tenure_threshold,
        ),
        return_report=return_report,
        log_as="clv",
    )
