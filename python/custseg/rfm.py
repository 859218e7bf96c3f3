"""RFM: recency, frequency and monetary values, scores and named segments
(spec section 3: R1-R3)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from custseg import _core
from custseg._engine import run
from custseg.errors import ConfigError

RuleRow = tuple[str, int, int, int, int, int, int]

DEFAULT_RULES: tuple[RuleRow, ...] = tuple(tuple(r) for r in _core.RFM_RULES)  # type: ignore[misc]
"""The default rules table of R3 (the R package ``rfm``): (segment, r_lo, r_hi,
f_lo, f_hi, m_lo, m_hi), first match wins."""


def _range(value: Any, what: str, i: int) -> tuple[int, int]:
    """A score range from ``(lo, hi)``, ``"lo-hi"`` or one score."""
    try:
        if isinstance(value, str):
            lo, _, hi = value.partition("-")
            return int(lo), int(hi or lo)
        if isinstance(value, int):
            return value, value
        lo, hi = value
        return int(lo), int(hi)
    except (TypeError, ValueError):
        raise ConfigError(
            f"segments: rule {i} has {what} = {value!r}; give a range such as (3, 5) or "
            f"'3-5' (rule R3)"
        ) from None


def rules_table(segments: Any) -> list[RuleRow] | None:
    """The rules as tuples for the core, from a list of dicts or a DataFrame with
    columns ``segment``, ``r``, ``f``, ``m`` (ranges ``(lo, hi)`` or ``"lo-hi"``).

    >>> rules_table([{"segment": "Best", "r": (4, 5), "f": "4-5", "m": 5}])
    [('Best', 4, 5, 4, 5, 5, 5)]
    """
    if segments is None:
        return None
    if hasattr(segments, "to_dicts"):  # polars
        records = segments.to_dicts()
    elif hasattr(segments, "to_dict") and hasattr(segments, "columns"):  # pandas
        records = segments.to_dict("records")
    elif hasattr(segments, "to_pylist"):  # pyarrow
        records = segments.to_pylist()
    else:
        records = list(segments)
    out = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict) or not {"segment", "r", "f", "m"} <= set(rec):
            raise ConfigError(
                f"segments: rule {i} must have the keys segment, r, f, m; got {rec!r} (rule R3)"
            )
        r, f, m = (_range(rec[k], k, i) for k in ("r", "f", "m"))
        out.append((str(rec["segment"]), *r, *f, *m))
    return out


def segment_labels(rules: Sequence[RuleRow] | None) -> tuple[str, ...]:
    """rfm_segment categories in order: the rules' names, then ``Others``."""
    return tuple(r[0] for r in (DEFAULT_RULES if rules is None else rules)) + ("Others",)


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
    rules = rules_table(segments)
    return run(
        data,
        what=["rfm"],
        columns={"customer": customer, "date": date, "amount": amount, "order": order},
        as_of=as_of,
        periods=None,
        labels={"rfm_segment": segment_labels(rules)},
        on_invalid=on_invalid,
        return_report=return_report,
        threads=threads,
        memory_limit=memory_limit,
        spill_dir=spill_dir,
        log_as="rfm",
        count_zero_days=bool(count_zero_days),
        bins=bins,
        rfm_monetary=monetary,
        rules=rules,
    )
