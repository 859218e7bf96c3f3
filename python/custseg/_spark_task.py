"""What a Spark task of a run in pieces needs (see ``_spark_run``): the
core's options in a picklable :class:`Task`, and custseg's errors carried
from the tasks to the driver as their own classes."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import re
import types
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from custseg import _core, errors

Periods = _core.Periods

_ERROR = re.compile(r"custseg-error\[(\w+)\]: ([^\n]*)")
ROW_NOTE = " (on Spark, row numbers count within one task's rows, grouped by customer)"
EPOCH = _dt.date(1970, 1, 1)


@dataclasses.dataclass(frozen=True)
class Task:
    """What a Spark task needs to call the core: the core's options (the
    calendar as a picklable spec), the customer column and its Arrow type,
    and the rows of one core call (about)."""

    args: dict[str, Any]
    periods: tuple[Any, ...]
    customer: str
    customer_type: pa.DataType
    rows_per_call: int

    def core_args(self) -> types.SimpleNamespace:
        """The options of every stage of the core (``_core.piece_*``)."""
        return types.SimpleNamespace(**self.args, periods=periods_of(self.periods))

    def replace(self, **args: Any) -> Task:
        """This task with some of the core's options replaced."""
        return dataclasses.replace(self, args={**self.args, **args})

    def as_of(self, day: int | None) -> Task:
        """This task with the run's ``as_of`` (days since 1970-01-01)."""
        return self.replace(run=dataclasses.replace(self.args["run"], as_of=day))


def periods_spec(p: Periods) -> tuple[Any, ...]:
    """A picklable spec of a calendar (P1): its boundaries, or its length
    and one boundary (any boundary anchors it)."""
    if p.boundaries is not None:
        return ("boundaries", tuple(p.boundaries))
    return ("months", p.months, p.period_start(_dt.date(2000, 1, 1)))


def periods_of(spec: tuple[Any, ...]) -> Periods:
    if spec[0] == "boundaries":
        return Periods.from_boundaries(list(spec[1]))
    return Periods(spec[1], spec[2])


def session_zone(sdf: Any) -> str:
    """The session time zone: a Spark timestamp arrives in a task in it, and
    counts on its calendar day there (I1)."""
    return str(sdf.sparkSession.conf.get("spark.sql.session.timeZone"))


@contextlib.contextmanager
def core_errors() -> Iterator[None]:
    """Inside a Spark task: a custseg error travels to the driver as text."""
    try:
        yield
    except (errors.CustsegError, errors.InternalError) as e:
        raise RuntimeError(f"custseg-error[{type(e).__name__}]: {e}") from None


@contextlib.contextmanager
def driver_errors() -> Iterator[None]:
    """On the driver: a task's custseg error is raised again as its own class."""
    try:
        yield
    except errors.CustsegError:
        raise
    except Exception as e:
        m = _ERROR.search(str(e))
        if m is None:
            raise
        cls = getattr(errors, m.group(1), errors.InternalError)
        msg = m.group(2) + (ROW_NOTE if " row " in m.group(2) else "")
        raise cls(msg) from None
