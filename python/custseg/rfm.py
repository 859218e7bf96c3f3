"""RFM: recency, frequency and monetary values, scores and named segments
(spec section 3: R1-R3)."""

from __future__ import annotations

import os
from typing import Any

from custseg import _core
from custseg._engine import run, run_options
from custseg._options import RfmOptions

RuleRow = tuple[str, int, int, int, int, int, int]

DEFAULT_RULES: tuple[RuleRow, ...] = tuple(tuple(r) for r in _core.RFM_RULES)  # type: ignore[misc]
"""The default rules table of R3 (the R package ``rfm``): (segment, r_lo, r_hi,
f_lo, f_hi, m_lo, m_hi), first match wins."""


def rules_records(segments: Any) -> list[Any] | None:
    """The rows of a rules table as records for the core, which reads and
    checks them (R3): a list of dicts, or a pandas, polars or pyarrow table
    with the columns ``segment``, ``r``, ``f``, ``m``.

    >>> rules_records([{"segment": "Best", "r": (4, 5), "f": "4-5", "m": 5}])
    [{'segment': 'Best', 'r': (4, 5), 'f': '4-5', 'm': 5}]
    """
    if segments is None:
        return None
    if hasattr(segments, "to_dicts"):  # polars
        return list(segments.to_dicts())
    if hasattr(segments, "to_dict") and hasattr(segments, "columns"):  # pandas
        return list(segments.to_dict("records"))
    if hasattr(segments, "to_pylist"):  # pyarrow
        return list(segments.to_pylist())
    return list(segments)


def rfm(
    data: Any = None,
    *,
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order: Any = None,
    as_of: Any = None,
    bins: int = 5,
    monetary: str = "sum",
    segments: Any = None,
    count_zero_days: bool = False,
    on_invalid: str = "raise",
    return_report: bool = False,
    threads: int | None = None,
    memory_limit: int | str | None = "auto",
    spill_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """RFM values, scores and segment of every customer with a purchase event
    before ``as_of`` (R1-R3): one row per customer, sorted by customer.

    Args:
        data, customer, date, amount, order, as_of, count_zero_days, on_invalid,
            return_report, threads, memory_limit, spill_dir: as in
            :func:`custseg.customer_value` (purchase events: I2; ``as_of``: I3).
        bins: B, the number of scores (2 to 9); higher is better (R2).
        monetary: ``"sum"`` (net sum of all amounts before ``as_of``) or
            ``"mean"`` (that sum per purchase event) (R1).
        segments: the rules table (R3): a list of dicts or a DataFrame with
            ``segment``, ``r``, ``f``, ``m``, each a score range ``(lo, hi)``,
            ``"lo-hi"`` or one score; first match wins, ``Others`` otherwise.
            Default: :data:`DEFAULT_RULES`. A table that does not fit ``bins``
            is a :class:`custseg.ConfigError`.

    Returns:
        ``customer``, ``recency_days`` (``as_of`` - last purchase day),
        ``frequency`` (purchase events), ``monetary``, ``r_score``,
        ``f_score``, ``m_score`` (1..B: B - floor(B r), r = share of customers
        strictly better, ties share a score), ``rfm_cell`` (e.g. ``"545"``),
        ``rfm_segment`` (ordered categorical in table order, ``Others`` last).

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=5_000, years=3, seed=1, output="pandas")
        >>> r = cs.rfm(tx, as_of="2026-01-01")
        >>> list(r.columns)[:5]
        ['customer_id', 'recency_days', 'frequency', 'monetary', 'r_score']
        >>> int(r["r_score"].max()), str(r["rfm_segment"].cat.categories[0])
        (5, 'Champions')
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
        periods=None,
        what=["rfm"],
        rfm=RfmOptions(bins=bins, monetary=monetary, segments=rules_records(segments)),
        return_report=return_report,
        log_as="rfm",
    )
