"""The BTYD summary of rule CLV4 from transactions: (frequency, recency, T,
monetary_value) per customer, computed by the core's one pass; its time unit
travels with the frame for :func:`custseg.predictive_clv`."""

from __future__ import annotations

import os
from typing import Any

from custseg._engine import run, run_options
from custseg._frames import meta, with_meta
from custseg.errors import ConfigError

UNIT_KEY = "custseg.unit"
"""The key of the time unit in the summary's metadata (Arrow schema metadata, pandas attrs)."""


def rfm_summary(
    data: Any = None,
    *,
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    as_of: Any = None,
    unit: str = "W",
    count_zero_days: bool = False,
    on_invalid: str = "raise",
    return_report: bool = False,
    threads: int | None = None,
    memory_limit: int | str | None = "auto",
    spill_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """The BTYD summary of every customer with a purchase event before
    ``as_of`` (CLV4): one row per customer, sorted by customer.

    - ``frequency``: purchase events - 1 (repeat purchases; a purchase event
      is a customer-day with a positive net total, I2);
    - ``recency``: last purchase day - first purchase day;
    - ``T``: (``as_of`` - 1 day) - first purchase day;
    - ``monetary_value``: mean net value of the repeat purchase events (the
      events after the first), 0.0 without repeat purchases.

    Time is in days (``unit="D"``) or weeks (``unit="W"``, days / 7). The
    unit is kept with the result (Arrow schema metadata, pandas ``attrs``)
    for :func:`predictive_clv`.

    Args:
        data, customer, date, amount, as_of, count_zero_days, on_invalid,
            return_report, threads, memory_limit, spill_dir: as in
            :func:`custseg.customer_value`. ``count_zero_days=True`` makes
            zero-total days purchase events, as in the classic CDNOW analyses.
        unit: ``"W"`` (weeks, default) or ``"D"`` (days).

    Returns:
        The customer column, ``frequency`` (int64), ``recency``, ``T``,
        ``monetary_value`` (float64), in the input's family.

    Example:
        >>> import custseg as cs
        >>> import pandas as pd
        >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2],
        ...     "date": pd.to_datetime(["2025-01-01", "2025-01-15", "2025-01-29", "2025-01-08"]),
        ...     "amount": [10.0, 20.0, 40.0, 5.0]})
        >>> cs.rfm_summary(tx, as_of="2025-03-06")
           customer_id  frequency  recency    T  monetary_value
        0            1          2      4.0  9.0            30.0
        1            2          0      0.0  8.0             0.0
    """
    result = run(
        data,
        columns={"customer": customer, "date": date, "amount": amount, "order": None},
        options=run_options(
            as_of=as_of,
            count_zero_days=count_zero_days,
            on_invalid=on_invalid,
            threads=threads,
            memory_limit=memory_limit,
            spill_dir=spill_dir,
        ),
        periods=None,
        what=[],
        summary=_unit(unit),
        return_report=return_report,
        log_as="rfm_summary",
    )
    out, rep = result if return_report else (result, None)
    out = with_meta(out, UNIT_KEY, unit)
    return (out, rep) if return_report else out


def _unit(unit: Any) -> str:
    """The time unit, checked before the run: the core's message for a missing
    one would be about segmentations (found by the API fuzz harness)."""
    if not isinstance(unit, str):
        raise ConfigError(f'unit must be "W" (weeks) or "D" (days), got {unit!r} (CLV4)')
    return unit


def unit_of(s: Any) -> str | None:
    """The time unit a summary carries (see :func:`rfm_summary`), if any."""
    return meta(s, UNIT_KEY)
