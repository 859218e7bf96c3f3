"""CLV4's calibration/holdout table: the BTYD summary of a calibration period
and each customer's purchases in the holdout period after it, from one pass
over the rows, to check a fitted model against what happened."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from typing import Any

from custseg import _core
from custseg._engine import run_options
from custseg._input import as_day
from custseg.btyd_summary import core_summary
from custseg.errors import ConfigError

_LAST_DAY = (_dt.date.max - _dt.date(1970, 1, 1)).days
"""The last calendar day (9999-12-31) in days since 1970-01-01."""


def calibration_holdout(
    data: Any = None,
    *,
    calibration_end: Any,
    observation_end: Any,
    unit: str = "W",
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    count_zero_days: bool = False,
    on_invalid: str = "raise",
    return_report: bool = False,
    threads: int | None = None,
    memory_limit: int | str | None = "auto",
    spill_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """CLV4's calibration/holdout table: one row per customer with a purchase
    event on or before ``calibration_end``, sorted by customer.

    - the customer column, ``frequency``, ``recency``, ``T``,
      ``monetary_value``: exactly :func:`rfm_summary` with ``as_of`` =
      ``calibration_end`` + 1 day (so :class:`BetaGeo` and
      :class:`GammaGamma` fit on it directly);
    - ``frequency_holdout``: purchase events (customer-days with a positive
      net total, I2; zero too with ``count_zero_days``) after
      ``calibration_end`` and on or before ``observation_end``;
    - ``monetary_value_holdout``: the mean net value of those events (0.0
      without any);
    - ``duration_holdout``: ``observation_end - calibration_end`` in the unit
      (days, or days / 7 for weeks), the same on every row.

    Both ends are inclusive, as in lifetimes' ``calibration_and_holdout_data``
    (``calibration_period_end``, ``observation_period_end``); lifetimes names
    the calibration columns ``frequency_cal``, ``recency_cal``, ``T_cal``,
    ``monetary_value_cal``, here they keep :func:`rfm_summary`'s names, and
    lifetimes counts every holdout day with a transaction where this counts
    the purchase events of I2 (days that net to a return are none).

    Customers whose first purchase event is in the holdout are not in the
    table: the report counts them among ``customers_without_purchase``.
    The one pass reads the rows up to ``observation_end``: the report's
    ``as_of`` is ``observation_end`` + 1 day and its ``rows_after_as_of``
    the rows after ``observation_end`` (I3).

    Args:
        data, customer, date, amount, count_zero_days, on_invalid,
            return_report, threads, memory_limit, spill_dir: as in
            :func:`rfm_summary`.
        calibration_end: the last day of the calibration period (a date, an
            ISO string, a datetime or numpy/pandas timestamp, as ``as_of``).
        observation_end: the last day of the holdout period, after
            ``calibration_end``.
        unit: ``"W"`` (weeks, default) or ``"D"`` (days).

    Returns:
        The customer column, ``frequency`` (int64), ``recency``, ``T``,
        ``monetary_value`` (float64), ``frequency_holdout`` (int64),
        ``monetary_value_holdout``, ``duration_holdout`` (float64), in the
        input's family, carrying ``unit`` as :func:`rfm_summary` does.

    Raises:
        ConfigError: ``calibration_end`` not before ``observation_end``, a
            missing or unreadable date, a unit other than "D" and "W", an
            order column.
        AsOfError: no row on or before ``calibration_end``.

    Example:
        >>> import custseg as cs
        >>> import pandas as pd
        >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2],
        ...     "date": pd.to_datetime(["2025-01-01", "2025-01-15", "2025-02-05",
        ...                             "2025-02-12", "2025-02-01"]),
        ...     "amount": [10.0, 20.0, 30.0, 50.0, 5.0]})
        >>> out = cs.calibration_holdout(tx, calibration_end="2025-01-28",
        ...     observation_end="2025-02-25", unit="D")
        >>> out.to_dict("records")  # customer 2's first purchase is in the holdout
        [{'customer_id': 1, 'frequency': 1, 'recency': 14.0, 'T': 27.0, 'monetary_value': 20.0, \
'frequency_holdout': 2, 'monetary_value_holdout': 40.0, 'duration_holdout': 28.0}]
    """
    cal, end = _day(calibration_end, "calibration_end"), _day(observation_end, "observation_end")
    if cal >= end:
        raise ConfigError(
            f"calibration_end ({calibration_end}) must be before observation_end "
            f"({observation_end}) (CLV4)"
        )
    if end >= _LAST_DAY:
        raise ConfigError(
            f"observation_end ({observation_end}) must be before {_dt.date.max}: the run "
            "ends the day after it (I3)"
        )
    if not isinstance(unit, str):
        raise ConfigError(f'unit must be "W" (weeks) or "D" (days), got {unit!r} (CLV4)')
    options = run_options(
        as_of=None,
        count_zero_days=count_zero_days,
        on_invalid=on_invalid,
        threads=threads,
        memory_limit=memory_limit,
        spill_dir=spill_dir,
    )
    return core_summary(
        _core.calibration_holdout,
        data,
        columns={"customer": customer, "date": date, "amount": amount},
        options=dataclasses.replace(options, as_of=end + 1),  # exclusive (I3)
        unit=unit,
        return_report=return_report,
        log_as="calibration_holdout",
        cut=cal + 1,
    )


def _day(value: Any, what: str) -> int:
    """A required calendar day (I3's readings of ``as_of``), as days since 1970-01-01."""
    day = as_day(value, what)
    if day is None:
        raise ConfigError(f"{what} is required: the last day of its period (CLV4)")
    return day
