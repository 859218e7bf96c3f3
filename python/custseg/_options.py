"""The typed options the Python layer hands to the core (``_core.segment``),
one dataclass per concern; the core reads them attribute by attribute and
parses and checks every value (rule ids in its messages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Columns:
    """The names of the input columns."""

    customer: str
    date: str
    amount: str
    order: str | None = None


@dataclass(frozen=True)
class RunOptions:
    """How a run reads its input and where it works: ``as_of`` (I3) as days
    since 1970-01-01, purchase events (I2), invalid rows (I4), threads, memory
    (issue 3)."""

    as_of: int | None = None
    count_zero_days: bool = False
    on_invalid: str = "raise"
    threads: int | None = None
    rows_hint: int | None = None
    memory_limit: int | None = None
    spill_dir: str | None = None


@dataclass(frozen=True)
class CvOptions:
    """Customer Value (section 2): sales-only (CV5), cuts (CV6), window (CV3)."""

    sales_only: bool = False
    sales_months: tuple[int, ...] = (1, 7)
    sales_lookback: int = 4
    cuts: tuple[float, ...] = (0.05, 0.25, 0.50)
    monetary_periods: int = 2


@dataclass(frozen=True)
class RfmOptions:
    """RFM (section 3): bins (R2), monetary (R1), the rules table as records (R3)."""

    bins: int = 5
    monetary: str = "sum"
    segments: list[Any] | None = None


@dataclass(frozen=True)
class ClvOptions:
    """Simple CLV (CLV1-CLV3a): lifetime, tier cuts, quadrant thresholds."""

    lifetime_years: float | None = None
    cuts: tuple[float, ...] = (0.2, 0.8)
    value_threshold: float | None = None
    loyalty_threshold: float | None = None
    tenure_threshold: float | None = None
