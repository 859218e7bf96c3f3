"""The BTYD summary of rule CLV4 from transactions: (frequency, recency, T,
monetary_value) per customer, computed by the core's one pass; its time unit
travels with the frame for :func:`custseg.predictive_clv`. With
``discrete=True``, the discrete-period summary of the BG/BB model."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from custseg import _core
from custseg._engine import _core_args, is_spark, options_named, run, run_options
from custseg._files import naming_the_file
from custseg._frames import meta, to_family, with_meta
from custseg._input import prepare
from custseg._options import RunOptions
from custseg._signals import sigterm_cleans_up
from custseg.errors import ConfigError
from custseg.report import Report

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
    discrete: bool = False,
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

    With ``discrete=True``, the discrete-period summary of the BG/BB model
    (Fader, Hardie and Shang 2010), counted in calendar periods: ``unit``
    ``"Y"`` (years), ``"Q"`` (quarters from January), ``"M"`` (months),
    ``"W"`` (ISO weeks, from Monday) or ``"D"`` (days); ``as_of`` (or its
    default, the day after the latest day) must be a period boundary (the
    first day of a year, quarter or month; a Monday), else a
    :class:`ConfigError` naming the nearest boundaries. Columns:

    - ``frequency``: periods after the period of the first purchase event
      that hold a purchase event;
    - ``recency``: the number of the last such period counted from the
      first-purchase period (1..n_periods; 0 when frequency is 0);
    - ``n_periods``: whole periods after the first-purchase period and
      before ``as_of`` (the purchase opportunities);
    - ``monetary_value``: as above, the mean net value of the purchase
      events (customer-days) after the first, so it may be positive with
      ``frequency`` 0 (several purchase days in the first period).

    Args:
        data, customer, date, amount, as_of, count_zero_days, on_invalid,
            return_report, threads, memory_limit, spill_dir: as in
            :func:`custseg.customer_value`. ``count_zero_days=True`` makes
            zero-total days purchase events, as in the classic CDNOW analyses.
        unit: ``"W"`` (weeks, default) or ``"D"`` (days); with ``discrete``
            also ``"Y"``, ``"Q"``, ``"M"``.
        discrete: the discrete-period summary (above) instead of the
            continuous one.

    Returns:
        The customer column, ``frequency`` (int64), ``recency``, ``T``,
        ``monetary_value`` (float64), in the input's family; with
        ``discrete``, the customer column, ``frequency``, ``recency``,
        ``n_periods`` (int64) and ``monetary_value`` (float64).

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
        >>> cs.rfm_summary(tx, as_of="2025-03-03", unit="W", discrete=True)
           customer_id  frequency  recency  n_periods  monetary_value
        0            1          2        4          8            30.0
        1            2          0        0          7             0.0
    """
    if discrete:
        options = run_options(
            as_of=as_of,
            count_zero_days=count_zero_days,
            on_invalid=on_invalid,
            threads=threads,
            memory_limit=memory_limit,
            spill_dir=spill_dir,
        )
        return core_summary(
            _core.discrete_summary,
            data,
            columns={"customer": customer, "date": date, "amount": amount},
            options=options,
            unit=_unit(unit),
            return_report=return_report,
            log_as="rfm_summary",
        )
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


def core_summary(
    summary: Callable[..., Any],
    data: Any,
    *,
    columns: dict[str, Any],
    options: RunOptions,
    unit: str,
    return_report: bool,
    log_as: str,
    **more: Any,
) -> Any:
    """Runs one of the core's BTYD summaries (``_core.discrete_summary``,
    ``_core.calibration_holdout``) over ``data`` as :func:`custseg._engine.run`
    runs a segmentation: the frame in the input's family carrying ``unit``
    (and the report)."""
    if is_spark(data):
        raise TypeError(
            f"{log_as} takes pandas, polars or Arrow data (or a file), not a PySpark "
            "DataFrame: collect the rows it needs first"
        )
    stream, family, names, customer_dtype = prepare(data, {**columns, "order": None})
    with sigterm_cleans_up(), naming_the_file(stream), options_named():
        args = _core_args(stream, names, options, None, [], None, None, None)
        table, report = summary(stream, **args, unit=unit, **more)
    rep = Report._from_core(report)
    rep._log(log_as)
    out = to_family(table, family, dtypes={names["customer"]: customer_dtype})
    out = with_meta(out, UNIT_KEY, unit)
    return (out, rep) if return_report else out


def unit_of(s: Any) -> str | None:
    """The time unit a summary carries (see :func:`rfm_summary`), if any."""
    return meta(s, UNIT_KEY)
