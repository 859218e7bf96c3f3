"""The one call into the core shared by every segmentation: input families,
column names, ``as_of``, the report and the output family (API.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from custseg import _core
from custseg._frames import as_day, finish, prepare, rows_hint
from custseg._memory import memory_limit_bytes
from custseg.report import Report

CV_LABELS: dict[str, tuple[str, ...]] = {
    "cv_group": tuple(_core.CV_GROUPS),
    "cv_segment": tuple(_core.CV_SEGMENTS),
}
CLV_LABELS: dict[str, tuple[str, ...]] = {
    "clv_tier": tuple(_core.CLV_TIERS),
    "value_loyalty": tuple(_core.CLV_QUADRANTS),
}


def run(
    data: Any,
    *,
    what: Sequence[str],
    columns: Mapping[str, Any],
    as_of: Any,
    periods: Any,
    labels: Mapping[str, Sequence[str]],
    on_invalid: str,
    return_report: bool,
    threads: int | None,
    memory_limit: Any,
    spill_dir: Any,
    log_as: str,
    **options: Any,
) -> Any:
    """Runs ``_core.segment`` over ``data`` and returns the frame (and report)."""
    periods = _core.Periods.semiannual() if periods is None else periods
    if not isinstance(periods, _core.Periods):
        raise TypeError(f"periods must be a custseg.Periods, got {type(periods).__name__}")
    stream, family, names, customer_dtype = prepare(data, dict(columns))
    table, report = _core.segment(
        stream,
        customer=names["customer"],
        date=names["date"],
        amount=names["amount"],
        order=names["order"],
        as_of=as_day(as_of),
        periods=periods,
        what=list(what),
        on_invalid=on_invalid,
        threads=threads,
        rows_hint=rows_hint(stream),
        memory_limit=memory_limit_bytes(memory_limit),
        spill_dir=None if spill_dir is None else os.fspath(spill_dir),
        **options,
    )
    rep = Report._from_core(report)
    rep._log(log_as)
    out = finish(table, family, labels, {names["customer"]: customer_dtype})
    return (out, rep) if return_report else out
