"""The one call into the core shared by every segmentation: input families,
column names, ``as_of``, the report and the output family (API.md)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Iterator, Sequence
from typing import Any

from custseg import _core
from custseg._files import naming_the_file
from custseg._frames import Family, to_family
from custseg._input import as_day, prepare, rows_hint
from custseg._memory import memory_limit_bytes
from custseg._options import ClvOptions, Columns, CvOptions, RfmOptions, RunOptions
from custseg._signals import sigterm_cleans_up
from custseg.report import Report

Periods = _core.Periods

SPARK_RUNNER: Any = None
"""The runner of a PySpark DataFrame (``custseg.spark`` sets it on import):
called with ``run``'s arguments, returns (Spark DataFrame, report)."""
SPARK_HISTORY_RUNNER: Any = None
"""The same for a history (CV8), called by ``custseg.history``."""
SPARK_MISSING = "a PySpark DataFrame: call custseg.spark.<function> (pip install 'custseg[spark]')"


_FIELD = re.compile(r"failed to extract field \w+\.(\w+)")


@contextlib.contextmanager
def options_named() -> Iterator[None]:
    """An option of the wrong type names the option: pyo3 says "failed to
    extract field RfmArgs.bins" and puts the reason in ``__cause__`` (found by
    the API fuzz harness, issue 18); this gives "option bins: 'float' object
    cannot be interpreted as an integer"."""
    try:
        yield
    except TypeError as e:
        m = _FIELD.search(str(e))
        if m is None or e.__cause__ is None:
            raise
        raise TypeError(f"option {m.group(1)}: {e.__cause__}") from e


def is_spark(data: Any) -> bool:
    """True for a PySpark DataFrame (classic or Spark Connect)."""
    return type(data).__module__.startswith("pyspark.sql") and type(data).__name__ == "DataFrame"


def run_options(
    *,
    as_of: Any,
    count_zero_days: bool,
    on_invalid: str,
    threads: int | None,
    memory_limit: Any,
    spill_dir: str | os.PathLike[str] | None,
) -> RunOptions:
    """The run options of the public calls' keyword arguments (rows_hint is
    filled in by :func:`run`)."""
    return RunOptions(
        as_of=as_day(as_of),
        count_zero_days=bool(count_zero_days),
        on_invalid=on_invalid,
        threads=threads,
        memory_limit=memory_limit_bytes(memory_limit),
        spill_dir=None if spill_dir is None else os.fspath(spill_dir),
    )


def run(
    data: Any,
    *,
    columns: dict[str, Any],
    options: RunOptions,
    periods: Periods | None,
    what: Sequence[str],
    cv: CvOptions | None = None,
    rfm: RfmOptions | None = None,
    clv: ClvOptions | None = None,
    summary: str | None = None,
    return_report: bool,
    log_as: str,
) -> Any:
    """Runs ``_core.segment`` over ``data`` (``columns`` maps each role to a
    column name, or to the column itself when ``data`` is None) and returns
    the frame in the input's family (and the report)."""
    if type(data).__module__.startswith("pyspark.sql") and type(data).__name__ == "DataFrame":
        if SPARK_RUNNER is None:
            raise TypeError(
                "a PySpark DataFrame: call custseg.spark.<function> (pip install 'custseg[spark]')"
            )
        sdf, rep = SPARK_RUNNER(data, columns=columns, options=options, periods=periods, what=what,
                                cv=cv, rfm=rfm, clv=clv, summary=summary)  # fmt: skip
        rep._log(log_as)
        return (sdf, rep) if return_report else sdf
    stream, family, names, customer_dtype = prepare(data, columns)
    with sigterm_cleans_up(), naming_the_file(stream), options_named():
        table, report = _core.segment(
            stream,
            **_core_args(stream, names, options, periods, what, cv, rfm, clv),
            summary=summary,
        )
    rep = Report._from_core(report)
    rep._log(log_as)
    out = to_family(table, family, dtypes={names["customer"]: customer_dtype})
    return (out, rep) if return_report else out


def _core_args(
    stream: Any,
    names: dict[str, Any],
    options: RunOptions,
    periods: Periods | None,
    what: Sequence[str],
    cv: CvOptions | None,
    rfm: RfmOptions | None,
    clv: ClvOptions | None,
) -> dict[str, Any]:
    """The keyword arguments every core run takes: columns, run options,
    calendar (default semiannual, P1), segmentations and their options."""
    periods = Periods.semiannual() if periods is None else periods
    if not isinstance(periods, Periods):
        raise TypeError(f"periods must be a custseg.Periods, got {type(periods).__name__}")
    return {
        "columns": Columns(
            customer=str(names["customer"]),
            date=str(names["date"]),
            amount=str(names["amount"]),
            order=names["order"],
        ),
        "run": dataclasses.replace(options, rows_hint=rows_hint(stream)),
        "periods": periods,
        "what": list(what),
        "cv": cv or CvOptions(),
        "rfm": rfm or RfmOptions(),
        "clv": clv or ClvOptions(),
    }


def run_history(
    data: Any,
    *,
    columns: dict[str, Any],
    options: RunOptions,
    periods: Periods | None,
    what: Sequence[str],
    cv: CvOptions | None = None,
    rfm: RfmOptions | None = None,
    clv: ClvOptions | None = None,
    **bounds: Any,
) -> tuple[Any, Family, dict[str, Any], Any]:
    """Runs ``_core.history`` over ``data`` (CV8); ``bounds`` are its
    ``start``/``end``/``through`` (days) or ``boundaries``/``extend``, and
    ``steps``. Returns the core's history, the input's family, the column
    names and the pandas dtype of the customer column."""
    stream, family, names, customer_dtype = prepare(data, columns)
    with sigterm_cleans_up(), naming_the_file(stream), options_named():
        h = _core.history(
            stream, **_core_args(stream, names, options, periods, what, cv, rfm, clv), **bounds
        )
    return h, family, names, customer_dtype
