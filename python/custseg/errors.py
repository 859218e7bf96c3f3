"""Exception classes of custseg (rule I4).

Every error is a :class:`CustsegError`, itself a :class:`ValueError`; the
message names the column, the first offending row (0-based, counted over the
whole input) and the rule of the specification it breaks.

=========================  =====================================================
class                      raised for
=========================  =====================================================
``ColumnNotFoundError``    a configured column is not in the input (I4)
``UnsupportedTypeError``   a column type the rules do not accept (I4)
``NullValueError``         a null customer, date, amount or order (I4)
``InvalidAmountError``     a NaN or infinite amount (I4)
``AmountRangeError``       an amount or sum beyond the fixed-point range (I6)
``InvalidDateError``       a date off the calendar or before the first boundary
``AsOfError``              an ``as_of`` before all data (I3)
``PeriodsError``           a period calendar that makes no sense (P1)
``InvalidValueError``      an impossible per-customer value: a BTYD summary row
                           with recency > T (CLV4), a negative value to share (A2)
``ConfigError``            other options: cuts, sales months, windows, ...
``InputError``             the input stream could not be read
=========================  =====================================================

A bug in custseg itself raises :class:`InternalError` (a ``RuntimeError``,
not a ``CustsegError``): the input is not at fault, and the message asks for a
report.
"""

from custseg._core import (
    AmountRangeError,
    AsOfError,
    ColumnNotFoundError,
    ConfigError,
    CustsegError,
    InputError,
    InternalError,
    InvalidAmountError,
    InvalidDateError,
    InvalidValueError,
    NullValueError,
    PeriodsError,
    UnsupportedTypeError,
)

__all__ = [
    "AmountRangeError",
    "AsOfError",
    "ColumnNotFoundError",
    "ConfigError",
    "CustsegError",
    "InputError",
    "InternalError",
    "InvalidAmountError",
    "InvalidDateError",
    "InvalidValueError",
    "NullValueError",
    "PeriodsError",
    "UnsupportedTypeError",
]
