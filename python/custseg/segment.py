"""Customer Value, RFM and CLV of every customer from one pass over the rows
(issue 4), and the cross table of two segmentations (CLV5)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from custseg._engine import CLV_LABELS, CV_LABELS, run
from custseg.errors import ConfigError
from custseg.rfm import rules_table, segment_labels


def segment(
    data: Any = None,
    *,
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order: Any = None,
    as_of: Any = None,
    periods: Any = None,
    what: Sequence[str] = ("cv", "rfm", "clv"),
    sales_only: bool = False,
    sales_months: Sequence[int] = (1, 7),
    sales_lookback: int = 4,
    cuts: Sequence[float] = (0.05, 0.25, 0.50),
    monetary_periods: int = 2,
    bins: int = 5,
    monetary: str = "sum",
    segments: Any = None,
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
    """Several segmentations in one pass: one row per customer with the columns
    of :func:`custseg.customer_value` (``what`` holds ``"cv"``),
    :func:`custseg.rfm` (``"rfm"``) and :func:`custseg.clv` (``"clv"``), in
    that order. The rows are read, checked and grouped once, so all three cost
    well under three calls. Options are those of the three functions (the
    RFM's ``monetary`` is ``"sum"`` or ``"mean"``); with CV and RFM together
    the RFM monetary column is named ``rfm_monetary``.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=5_000, years=3, seed=1)
        >>> s = cs.segment(tx, as_of="2026-01-01")
        >>> [c for c in s.column_names if c.endswith(("segment", "tier"))]
        ['cv_segment', 'rfm_segment', 'clv_tier']
    """
    what = [what] if isinstance(what, str) else list(what)
    unknown = [w for w in what if w not in ("cv", "rfm", "clv")]
    if unknown or not what:
        raise ConfigError(f'what must hold some of "cv", "rfm", "clv", got {what!r}')
    rules = rules_table(segments)
    labels: dict[str, Sequence[str]] = {}
    if "cv" in what:
        labels.update(CV_LABELS)
    if "rfm" in what:
        labels["rfm_segment"] = segment_labels(rules)
    if "clv" in what:
        labels.update(CLV_LABELS)
    return run(
        data,
        what=what,
        columns={"customer": customer, "date": date, "amount": amount, "order": order},
        as_of=as_of,
        periods=periods,
        labels=labels,
        on_invalid=on_invalid,
        return_report=return_report,
        threads=threads,
        memory_limit=memory_limit,
        spill_dir=spill_dir,
        log_as="segment",
        sales_only=bool(sales_only),
        sales_months=list(sales_months),
        sales_lookback=sales_lookback,
        cuts=list(cuts),
        monetary_periods=monetary_periods,
        count_zero_days=bool(count_zero_days),
        bins=bins,
        rfm_monetary=monetary,
        rules=rules,
        lifetime_years=lifetime_years,
        tiers=list(tiers),
        value_threshold=value_threshold,
        loyalty_threshold=loyalty_threshold,
    )
