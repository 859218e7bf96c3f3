"""Stubs of the compiled module ``custseg._core`` (checked by mypy.stubtest in the tests)."""

import datetime
from typing import Any, Final

from typing_extensions import final

__version__: Final[str]
BUILD_PROFILE: Final[str]
CV_GROUPS: Final[list[str]]
CV_SEGMENTS: Final[list[str]]
CLV_TIERS: Final[list[str]]
CLV_QUADRANTS: Final[list[str]]
RFM_RULES: Final[list[tuple[str, int, int, int, int, int, int]]]

_DateArg = datetime.date | str

@final
class Periods:
    def __new__(cls, months: int = 6, anchor: _DateArg = ...) -> Periods: ...
    @staticmethod
    def annual(start_month: int = 1) -> Periods: ...
    @staticmethod
    def semiannual(start_month: int = 1) -> Periods: ...
    @staticmethod
    def quarterly(start_month: int = 1) -> Periods: ...
    @staticmethod
    def monthly() -> Periods: ...
    @staticmethod
    def from_boundaries(boundaries: list[_DateArg]) -> Periods: ...
    @property
    def months(self) -> int | None: ...
    @property
    def boundaries(self) -> list[datetime.date] | None: ...
    def period_start(self, date: _DateArg) -> datetime.date: ...
    def starts(self, start: _DateArg, end: _DateArg) -> list[datetime.date]: ...
    def __eq__(self, value: object, /) -> bool: ...

def segment(
    data: Any,
    *,
    customer: str,
    date: str,
    amount: str,
    order: str | None,
    as_of: int | None,
    periods: Periods,
    what: list[str],
    sales_only: bool = False,
    sales_months: list[int] = ...,
    sales_lookback: int = 4,
    cuts: list[float] = ...,
    monetary_periods: int = 2,
    count_zero_days: bool = False,
    bins: int = 5,
    rfm_monetary: str = "sum",
    rules: list[tuple[str, int, int, int, int, int, int]] | None = None,
    lifetime_years: float | None = None,
    tiers: list[float] = ...,
    value_threshold: float | None = None,
    loyalty_threshold: float | None = None,
    unit: str = "W",
    on_invalid: str = "raise",
    threads: int | None = None,
    rows_hint: int | None = None,
    memory_limit: int | None = None,
    spill_dir: str | None = None,
) -> tuple[Any, dict[str, Any]]: ...
def synthetic(
    customers: int,
    years: int,
    seed: int,
    end_day: int,
    string_ids: bool,
    batch_customers: int | None = None,
) -> Any: ...
def _after_fork_in_child() -> None: ...

_Names3 = tuple[str, str, str]
_Names2 = tuple[str, str]

def bgnbd_fit(
    frequency: Any,
    recency: Any,
    t: Any,
    *,
    names: _Names3,
    penalizer: float = 0.0,
    threads: int | None = None,
) -> tuple[list[float], float, bool, int]: ...
def bgnbd_log_likelihood(
    params: list[float], frequency: Any, recency: Any, t: Any, *, names: _Names3
) -> float: ...
def bgnbd_p_alive(
    params: list[float],
    frequency: Any,
    recency: Any,
    t: Any,
    *,
    names: _Names3,
    threads: int | None = None,
) -> Any: ...
def bgnbd_conditional_expected(
    params: list[float],
    frequency: Any,
    recency: Any,
    t: Any,
    *,
    names: _Names3,
    horizon: float,
    threads: int | None = None,
) -> Any: ...
def bgnbd_population_expected(params: list[float], t: float) -> float: ...
def gg_fit(
    frequency: Any,
    monetary_value: Any,
    *,
    names: _Names2,
    penalizer: float = 0.0,
    threads: int | None = None,
) -> tuple[list[float], float, bool, int]: ...
def gg_log_likelihood(
    params: list[float], frequency: Any, monetary_value: Any, *, names: _Names2
) -> float: ...
def gg_expected_spend(
    params: list[float],
    frequency: Any,
    monetary_value: Any,
    *,
    names: _Names2,
    threads: int | None = None,
) -> Any: ...
def predictive_clv(
    bg_params: list[float],
    gg_params: list[float],
    frequency: Any,
    recency: Any,
    t: Any,
    monetary_value: Any,
    *,
    names: tuple[str, str, str, str],
    months: int,
    discount_rate: float,
    units_per_month: float,
    threads: int | None = None,
) -> list[Any]: ...

class CustsegError(ValueError): ...
class ColumnNotFoundError(CustsegError): ...
class InvalidValueError(CustsegError): ...
class UnsupportedTypeError(CustsegError): ...
class NullValueError(CustsegError): ...
class InvalidAmountError(CustsegError): ...
class AmountRangeError(CustsegError): ...
class InvalidDateError(CustsegError): ...
class AsOfError(CustsegError): ...
class PeriodsError(CustsegError): ...
class ConfigError(CustsegError): ...
class InputError(CustsegError): ...
