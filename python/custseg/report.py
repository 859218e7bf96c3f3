"""What a run did: rows used, skipped, dropped, customers (API: every run reports)."""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("custseg")


@dataclass(frozen=True)
class Report:
    """The account of one run, returned with ``return_report=True`` and logged
    on the ``custseg`` logger at INFO level.

    Attributes:
        rows_read: rows in the input.
        rows_used: valid rows with a day before ``as_of`` (I3).
        rows_after_as_of: valid rows on or after ``as_of``, skipped (I3).
        rows_dropped: invalid rows skipped with ``on_invalid="drop"``, by reason (I4).
        customers_seen: distinct customers among the valid rows.
        customers_without_purchase: of those, customers with no purchase event
            before ``as_of``: not in the result (CV2).
        customers: rows of the result.
        as_of: the exclusive day used (I3).
        bytes_spilled: bytes of transaction lines written to spill files
            (0 when everything stayed within ``memory_limit``).
    """

    rows_read: int
    rows_used: int
    rows_after_as_of: int
    rows_dropped: dict[str, int] = field(default_factory=dict)
    customers_seen: int = 0
    customers_without_purchase: int = 0
    customers: int = 0
    as_of: _dt.date | None = None
    bytes_spilled: int = 0

    @classmethod
    def _from_core(cls, d: dict[str, Any]) -> Report:
        return cls(**{**d, "rows_dropped": dict(d["rows_dropped"])})

    @property
    def rows_dropped_total(self) -> int:
        """All rows skipped as invalid."""
        return sum(self.rows_dropped.values())

    def __str__(self) -> str:
        dropped = ", ".join(f"{k}={v}" for k, v in self.rows_dropped.items()) or "none"
        return (
            f"as_of={self.as_of} rows_read={self.rows_read} rows_used={self.rows_used} "
            f"rows_after_as_of={self.rows_after_as_of} rows_dropped={dropped} "
            f"customers={self.customers} customers_without_purchase="
            f"{self.customers_without_purchase}"
            + (f" bytes_spilled={self.bytes_spilled}" if self.bytes_spilled else "")
        )

    def _log(self, what: str) -> None:
        logger.info("%s: %s", what, self)
        if self.rows_dropped:
            logger.warning(
                "%s: dropped %d invalid rows (%s)",
                what,
                self.rows_dropped_total,
                ", ".join(f"{k}={v}" for k, v in self.rows_dropped.items()),
            )
