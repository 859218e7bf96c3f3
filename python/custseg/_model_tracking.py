"""The tracking check of :mod:`custseg.model_checks` (CLV4): actual against
expected repeat transactions period by period (Fader, Hardie and Lee 2005,
"Counting Your Customers the Easy Way", figures 2 and 3), and the check of a
model every model check starts with."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np
import pyarrow as pa

from custseg._engine import Periods, is_spark
from custseg._frames import as_table, family_of, is_a, to_family, with_meta
from custseg._input import as_day
from custseg._snapshots import core_snapshots, direct_history
from custseg.btyd_summary import UNIT_KEY, rfm_summary
from custseg.errors import AsOfError, ConfigError

CALIBRATION_END_KEY = "custseg.calibration_end"
"""The key of the tracking table's calibration end (Arrow schema metadata, pandas attrs)."""

UNIT_DAYS = {"W": 7, "D": 1}
"""Days per time unit of the BTYD summaries (CLV4)."""

_EPOCH = _dt.date(1970, 1, 1)


def check_model(model: Any, *methods: str) -> None:
    """A count model (BetaGeo, ParetoNBD, ModifiedBetaGeo, ...) with parameters
    and the prediction ``methods`` a check calls, or a clear error."""
    name = type(model).__name__
    missing = [m for m in methods if not callable(getattr(model, m, None))]
    if missing:
        raise TypeError(
            f"model must be a count model such as custseg.BetaGeo; a {name} has no "
            f"{missing[0]}() (CLV4)"
        )
    if getattr(model, "params", None) is None:
        raise ConfigError(
            f"the {name} model has no parameters yet: call .fit(summary) or build it with "
            f"{name}.from_params(...) before checking it (CLV4)"
        )


def tracking(
    model: Any,
    data: Any = None,
    *,
    calibration_end: Any,
    observation_end: Any,
    unit: str | None = None,
    customer: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    count_zero_days: bool = False,
) -> Any:
    """Actual against expected repeat transactions per time unit, the
    tracking plot of Fader, Hardie and Lee (2005, figures 2 and 3) as a table
    (CLV4).

    The cohort is the customers with a purchase event (I2: a day with a net
    total > 0, or >= 0 with ``count_zero_days``, as in
    :func:`custseg.rfm_summary`) on or before ``calibration_end``; customers
    whose first purchase is later are left out. Period k (k = 1, 2, ...)
    holds the days ``[first + (k - 1) u, first + k u)``, ``first`` being the
    first purchase event of the data and ``u`` the unit (7 days for weeks,
    1 for days); the last period ends with ``observation_end`` (both dates
    are inclusive, as in lifetimes' ``calibration_and_holdout_data``).

    - ``actual``: the cohort's purchase events in the period after each
      customer's first (repeat transactions);
    - ``expected``: the increase in the period of sum over the cohort of
      E[X(t_i)], the model's expected repeat purchases of a customer
      ``t_i`` units after the first purchase, t_i = (the period's last day -
      the customer's first purchase day) / u (so that at ``calibration_end``
      t_i is the customer's T). Customers are grouped by first purchase day:
      E[X] is evaluated once per day of age.
    - ``actual_cumulative``, ``expected_cumulative``: their running sums.

    Args:
        model: a fitted count model (``BetaGeo``, ...): it must offer
            ``expected_purchases_population(t)``.
        data, customer, date, amount, count_zero_days: the transactions, as
            in :func:`custseg.rfm_summary`. They are read twice (the first
            purchase of the data, then the periods): a one-shot Arrow stream
            is first read into memory.
        calibration_end, observation_end: the last days of the calibration
            period and of the observation, ``calibration_end <
            observation_end``.
        unit: ``"W"`` or ``"D"``; by default the unit of the summary the
            model was fitted on.

    Returns:
        One row per period, in the family of ``data``: ``period`` (1, 2,
        ...), ``period_start``, ``holdout`` (True for the periods that start
        after ``calibration_end``: the marker of the calibration's end, also
        kept as ISO text under ``"custseg.calibration_end"`` in the Arrow
        schema metadata or pandas ``attrs``, with the unit under
        ``"custseg.unit"``), ``actual``, ``expected``, ``actual_cumulative``,
        ``expected_cumulative``. The cost is two passes over the data plus
        customers x periods.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.cdnow("sample")
        >>> s = cs.rfm_summary(tx, as_of="1997-10-01", unit="W", count_zero_days=True)
        >>> bg = cs.BetaGeo().fit(s)
        >>> t = cs.tracking(bg, tx, calibration_end="1997-09-30",
        ...                 observation_end="1998-06-30", count_zero_days=True)
        >>> t.num_rows, t["actual_cumulative"][-1].as_py()
        (78, 4339)
    """
    check_model(model, "expected_purchases_population")
    cal, obs = (
        as_day(calibration_end, "calibration_end"),
        as_day(observation_end, "observation_end"),
    )
    if cal is None or obs is None:
        raise ConfigError("tracking needs calibration_end and observation_end (CLV4)")
    if cal >= obs:
        raise ConfigError(
            f"calibration_end ({_date(cal)}) must be before observation_end ({_date(obs)}) (CLV4)"
        )
    unit = unit or model.unit
    if unit not in UNIT_DAYS:
        raise ConfigError(
            f'unit must be "W" (weeks) or "D" (days), got {unit!r}: pass unit= when the model '
            "was not fitted on a custseg summary (CLV4)"
        )
    step = UNIT_DAYS[unit]
    data = _rereadable(data)
    columns = {"customer": customer, "date": date, "amount": amount}
    first_days = _first_days(data, columns, cal, count_zero_days)
    first = int(first_days.min())
    ends = list(range(first + step, obs + 1, step))
    if not ends or ends[-1] != obs + 1:
        ends.append(obs + 1)  # a last, shorter period through observation_end
    actual = _actual(data, columns, ends, first, cal, count_zero_days)
    expected = _expected(model, first_days, ends, first, step)
    starts = [first + step * k for k in range(len(ends))]
    table = pa.table(
        {
            "period": pa.array(np.arange(1, len(ends) + 1), pa.int64()),
            "period_start": pa.array(starts, pa.int32()).cast(pa.date32()),
            "holdout": pa.array([s > cal for s in starts]),
            "actual": pa.array(actual, pa.int64()),
            "expected": pa.array(np.diff(expected, prepend=0.0)),
            "actual_cumulative": pa.array(np.cumsum(actual), pa.int64()),
            "expected_cumulative": pa.array(expected),
        }
    )
    out = to_family(table, family_of(customer if data is None else data))  # as rfm_summary
    return with_meta(with_meta(out, CALIBRATION_END_KEY, _date(cal).isoformat()), UNIT_KEY, unit)


def _date(day: int) -> _dt.date:
    return _EPOCH + _dt.timedelta(days=day)


def _rereadable(data: Any) -> Any:
    """``data`` as an input that can be read twice: a one-shot Arrow stream
    (a RecordBatchReader, any other ``__arrow_c_stream__`` object) is read
    into a Table; frames, tables, datasets and DuckDB relations are re-read."""
    if is_spark(data):
        raise TypeError("tracking reads the transactions in this process: collect them first")
    kept = (
        data is None
        or isinstance(data, (pa.Table, pa.RecordBatch))
        or is_a(data, "pandas", "DataFrame")
        or is_a(data, "polars", "DataFrame", "LazyFrame")
        or is_a(data, "pyarrow.dataset", "Dataset")
        or is_a(data, "duckdb", "DuckDBPyRelation")
    )
    if not kept and hasattr(data, "__arrow_c_stream__"):
        return pa.table(data)
    return data


def _first_days(data: Any, columns: dict[str, Any], cal: int, zero: bool) -> np.ndarray:
    """The first purchase day (days since 1970-01-01) of each customer of the
    cohort: the summary of :func:`custseg.rfm_summary` through ``cal`` in
    days, whose T is ``cal`` - the first purchase day."""
    none = (
        f"no customer has a purchase event on or before calibration_end ({_date(cal)}): "
        "there is no cohort to track (CLV4)"
    )
    try:
        s = rfm_summary(data, **columns, as_of=_date(cal + 1), unit="D", count_zero_days=zero)
    except AsOfError as e:  # the data starts after calibration_end
        raise ConfigError(none) from e
    s = as_table(s)
    if s.num_rows == 0:
        raise ConfigError(none)
    return cal - np.asarray(s.column("T").to_numpy(), dtype=np.int64)


def _actual(
    data: Any, columns: dict[str, Any], ends: list[int], first: int, cal: int, zero: bool
) -> np.ndarray:
    """The cohort's repeat purchase events per period, from the core's history
    with each customer's activity between the period ends (one pass, CV8's
    machinery)."""
    # The calendar opens long before the data: lines before the first purchase
    # (returns, zero days) fall in the first step instead of being refused.
    periods = Periods.from_boundaries([_dt.date(1, 1, 1)] + [_date(e) for e in ends])
    h = direct_history(
        data,
        columns={**columns, "order": None},
        periods=periods,
        by=(),
        options={"count_zero_days": zero},
        steps=True,
        boundaries=ends,
    )
    actual = np.zeros(len(ends), dtype=np.int64)
    start = first
    for j, (_, batch) in enumerate(core_snapshots(h, ids=False)):
        fp = batch.column("first_purchase").cast(pa.int32()).to_numpy(zero_copy_only=False)
        fp = np.asarray(fp, dtype=np.int64)
        mine = fp <= cal
        events = np.asarray(batch.column("step_purchases").to_numpy(), dtype=np.int64)
        # the first purchase event of a customer acquired in this period is not a repeat
        actual[j] = int(events[mine].sum()) - int(np.count_nonzero(mine & (fp >= start)))
        start = ends[j]
    return actual


def _expected(model: Any, cohort: np.ndarray, ends: list[int], first: int, step: int) -> np.ndarray:
    """Sum over the cohort of E[X((the period's last day - first purchase day) / u)]
    at the end of each period: once per first purchase day and per day of age."""
    days, counts = np.unique(cohort, return_counts=True)
    span = ends[-1] - 1 - first
    per_age = np.array([model.expected_purchases_population(m / step) for m in range(span + 1)])
    out = np.zeros(len(ends))
    for k, end in enumerate(ends):
        alive = days <= end - 1
        terms = counts[alive] * per_age[end - 1 - days[alive]]
        out[k] = math.fsum(terms.tolist())
    return out
