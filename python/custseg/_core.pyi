"""Stubs of the compiled module ``custseg._core`` (checked by mypy.stubtest in the tests)."""

import datetime
from typing import Any, Final

from typing_extensions import final

from custseg._options import ClvOptions, Columns, CvOptions, RfmOptions, RunOptions

__version__: Final[str]
BUILD_PROFILE: Final[str]
CV_GROUPS: Final[list[str]]
CV_SEGMENTS: Final[list[str]]
CLV_TIERS: Final[list[str]]
CLV_QUADRANTS: Final[list[str]]
CLV_TENURE_QUADRANTS: Final[list[str]]
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
    columns: Columns,
    run: RunOptions,
    periods: Periods,
    what: list[str],
    cv: CvOptions,
    rfm: RfmOptions,
    clv: ClvOptions,
    summary: str | None = None,
) -> tuple[Any, dict[str, Any]]: ...
def history(
    data: Any,
    *,
    columns: Columns,
    run: RunOptions,
    periods: Periods,
    what: list[str],
    cv: CvOptions,
    rfm: RfmOptions,
    clv: ClvOptions,
    start: int | None = None,
    end: int | None = None,
    through: bool = False,
    boundaries: list[int] | None = None,
    extend: bool = False,
    steps: bool = False,
    orders_as_of_each: bool = True,
) -> History: ...

@final
class History:
    @property
    def bounds(self) -> list[datetime.date]: ...
    @property
    def totals(self) -> list[float]: ...
    @property
    def days(self) -> tuple[datetime.date, datetime.date] | None: ...
    @property
    def customers(self) -> int: ...
    def report(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...
    def batch(self, j: int, *, ids: bool = True, release: bool = False) -> Any: ...
    def strays(self, j: int, *, ids: bool = True) -> Any: ...

def piece_days(data: Any, *, args: Any) -> tuple[int, int] | None: ...
def piece_facts(data: Any, *, args: Any) -> tuple[Any, dict[str, Any], tuple[int, int] | None]: ...
def piece_history_facts(
    data: Any, *, args: Any, bounds: list[int], last_known: int | None
) -> tuple[Any, dict[str, Any], tuple[int, int] | None]: ...
def history_bounds(
    *, args: Any, start: int | None, end: int | None, days: tuple[int, int] | None
) -> tuple[list[int], int | None]: ...
def piece_keys(facts: Any, *, args: Any) -> Any: ...
def pieces_wanted(sizes: dict[int, int], *, args: Any) -> list[tuple[int, int]]: ...
def piece_labels(
    facts: Any, *, sizes: dict[int, int], at: list[tuple[int, int, int]], args: Any
) -> Any: ...
def resolve_as_of(requested: int | None, days: tuple[int, int] | None) -> int | None: ...
def default_lifetime(base: int, stayed: int) -> float: ...
def churn_counts(churn: int) -> tuple[int, int]: ...
def crosstab(
    a: Any, na: int, b: Any, nb: int, normalize: str | None = None
) -> tuple[list[int], list[float] | None]: ...
def summary(
    keys: list[tuple[Any, int]], value: Any
) -> tuple[list[list[int]], list[int], list[float], list[float], list[float]]: ...
def profile(
    data: Any,
    segments: tuple[Any, Any],
    *,
    columns: tuple[str, str, str],
    by: list[str],
    categories: int,
    as_of: int | None = None,
    on_invalid: str = "raise",
    threads: int | None = None,
    bits_limit: int = 64,
    cells_limit: int = 65536,
    dense_ids: bool = True,
) -> tuple[Any, dict[str, Any]]: ...
def concentration(
    values: Any,
    *,
    column: str,
    top: list[float],
    points: int | None = ...,
    negative: str = "raise",
) -> tuple[int, float, list[int], list[float], float, Any]: ...
def playbook(
    kind: str, lang: str
) -> tuple[list[str], list[list[str]], list[str], list[str], list[str]]: ...
def synthetic(
    customers: int,
    years: int,
    seed: int,
    end_day: int,
    string_ids: bool,
    batch_customers: int | None = None,
    extra_columns: bool = False,
    *,
    order: str = "grouped",
    window_rows: int = 16_000_000,
    batch_rows: int = 1_000_000,
) -> Any: ...
def _after_fork_in_child() -> None: ...
def _internal_error_for_tests(kind: str) -> None: ...

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
) -> tuple[list[float], float, bool, int, list[list[float]]]: ...
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
def bgnbd_probability_of_purchases(
    params: list[float], t: float, n_max: int, *, threads: int | None = None
) -> list[float]: ...
def gg_fit(
    frequency: Any,
    monetary_value: Any,
    *,
    names: _Names2,
    penalizer: float = 0.0,
    threads: int | None = None,
) -> tuple[list[float], float, bool, int, list[list[float]]]: ...
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
    unit: str | None,
    threads: int | None = None,
) -> list[Any]: ...
def discrete_summary(
    data: Any,
    *,
    columns: Columns,
    run: RunOptions,
    periods: Periods,
    what: list[str],
    cv: CvOptions,
    rfm: RfmOptions,
    clv: ClvOptions,
    unit: str,
) -> tuple[Any, dict[str, Any]]: ...
def calibration_holdout(
    data: Any,
    *,
    columns: Columns,
    run: RunOptions,
    periods: Periods,
    what: list[str],
    cv: CvOptions,
    rfm: RfmOptions,
    clv: ClvOptions,
    unit: str,
    cut: int,
) -> tuple[Any, dict[str, Any]]: ...

_Fit = tuple[list[float], float, bool, int, list[list[float]]]
_BbNames = tuple[str, str, str, str | None]

def mbgnbd_fit(
    frequency: Any,
    recency: Any,
    t: Any,
    *,
    names: _Names3,
    penalizer: float = 0.0,
    threads: int | None = None,
) -> _Fit: ...
def mbgnbd_log_likelihood(
    params: list[float], frequency: Any, recency: Any, t: Any, *, names: _Names3
) -> float: ...
def mbgnbd_p_alive(
    params: list[float],
    frequency: Any,
    recency: Any,
    t: Any,
    *,
    names: _Names3,
    threads: int | None = None,
) -> Any: ...
def mbgnbd_conditional_expected(
    params: list[float],
    frequency: Any,
    recency: Any,
    t: Any,
    *,
    names: _Names3,
    horizon: float,
    threads: int | None = None,
) -> Any: ...
def mbgnbd_population_expected(params: list[float], t: float) -> float: ...
def mbgnbd_probability_of_purchases(
    params: list[float], t: float, n_max: int, *, threads: int | None = None
) -> list[float]: ...
def bgbb_fit(
    frequency: Any,
    recency: Any,
    n_periods: Any,
    weights: Any | None,
    *,
    names: _BbNames,
    penalizer: float = 0.0,
    threads: int | None = None,
) -> _Fit: ...
def bgbb_log_likelihood(
    params: list[float],
    frequency: Any,
    recency: Any,
    n_periods: Any,
    weights: Any | None,
    *,
    names: _BbNames,
) -> float: ...
def bgbb_p_alive(
    params: list[float],
    frequency: Any,
    recency: Any,
    n_periods: Any,
    *,
    names: _BbNames,
    threads: int | None = None,
) -> Any: ...
def bgbb_conditional_expected(
    params: list[float],
    frequency: Any,
    recency: Any,
    n_periods: Any,
    *,
    names: _BbNames,
    n_star: float,
    threads: int | None = None,
) -> Any: ...
def bgbb_population_expected(params: list[float], n: float) -> float: ...
def bgbb_probability_of_purchases(params: list[float], n: float, n_max: int) -> list[float]: ...
def pareto_fit(
    frequency: Any,
    recency: Any,
    t: Any,
    *,
    names: _Names3,
    penalizer: float = 0.0,
    threads: int | None = None,
) -> tuple[list[float], float, bool, int, list[list[float]]]: ...
def pareto_log_likelihood(
    params: list[float], frequency: Any, recency: Any, t: Any, *, names: _Names3
) -> float: ...
def pareto_p_alive(
    params: list[float],
    frequency: Any,
    recency: Any,
    t: Any,
    *,
    names: _Names3,
    threads: int | None = None,
) -> Any: ...
def pareto_conditional_expected(
    params: list[float],
    frequency: Any,
    recency: Any,
    t: Any,
    *,
    names: _Names3,
    horizon: float,
    threads: int | None = None,
) -> Any: ...
def pareto_population_expected(params: list[float], t: float) -> float: ...
def pareto_probability_of_purchases(
    params: list[float], t: float, n_max: int, *, threads: int | None = None
) -> list[float]: ...

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
class InternalError(RuntimeError): ...
