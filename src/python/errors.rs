//! The Python exception classes and the one conversion from [`CoreError`]
//! (house style: one error type mapped variant by variant).

use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::error::CoreError;

create_exception!(
    custseg,
    CustsegError,
    PyValueError,
    "Base class of every custseg error (a ValueError)."
);
create_exception!(
    custseg,
    ColumnNotFoundError,
    CustsegError,
    "A configured column is not in the input (I4)."
);
create_exception!(
    custseg,
    UnsupportedTypeError,
    CustsegError,
    "A column has a type the rules do not accept (I4)."
);
create_exception!(
    custseg,
    NullValueError,
    CustsegError,
    "A null customer, date, amount or order (I4)."
);
create_exception!(
    custseg,
    InvalidAmountError,
    CustsegError,
    "A NaN or infinite amount (I4)."
);
create_exception!(
    custseg,
    AmountRangeError,
    CustsegError,
    "An amount or a sum outside the fixed-point range (I6)."
);
create_exception!(
    custseg,
    InvalidDateError,
    CustsegError,
    "A date that cannot be placed on the calendar (I1, P1)."
);
create_exception!(
    custseg,
    AsOfError,
    CustsegError,
    "An as_of that makes no sense for the data (I3)."
);
create_exception!(
    custseg,
    PeriodsError,
    CustsegError,
    "A period calendar that makes no sense (P1)."
);
create_exception!(
    custseg,
    ConfigError,
    CustsegError,
    "An option that makes no sense (cuts, sales months, ...)."
);
create_exception!(
    custseg,
    InvalidValueError,
    CustsegError,
    "An impossible value in a BTYD summary column: recency > T, a negative frequency, a non-positive spend (CLV4)."
);
create_exception!(
    custseg,
    InputError,
    CustsegError,
    "The input could not be read."
);

create_exception!(
    custseg,
    InternalError,
    PyRuntimeError,
    "A bug in custseg itself, never a problem of the input: please report it."
);

impl From<CoreError> for PyErr {
    fn from(e: CoreError) -> PyErr {
        let msg = e.to_string();
        match e {
            CoreError::ColumnNotFound { .. } => ColumnNotFoundError::new_err(msg),
            CoreError::UnsupportedType { .. } => UnsupportedTypeError::new_err(msg),
            CoreError::NullValue { .. } | CoreError::NullSummaryValue { .. } => {
                NullValueError::new_err(msg)
            }
            CoreError::NonFiniteAmount { .. } | CoreError::AmountText { .. } => {
                InvalidAmountError::new_err(msg)
            }
            CoreError::AmountOutOfRange { .. } | CoreError::SumOverflow { .. } => {
                AmountRangeError::new_err(msg)
            }
            CoreError::InvalidDate { .. } => InvalidDateError::new_err(msg),
            CoreError::AsOf(_) => AsOfError::new_err(msg),
            CoreError::Periods(_) => PeriodsError::new_err(msg),
            CoreError::Config(_) => ConfigError::new_err(msg),
            CoreError::Input(_) => InputError::new_err(msg),
            CoreError::InvalidValue { .. } => InvalidValueError::new_err(msg),
            // A full or missing disk is the environment's, not the data's: an OSError.
            CoreError::Spill { .. } => PyOSError::new_err(msg),
            CoreError::Cancelled => PyKeyboardInterrupt::new_err("custseg run interrupted"),
            CoreError::Internal(_) => InternalError::new_err(msg),
        }
    }
}

/// Adds every exception class to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CustsegError", py.get_type::<CustsegError>())?;
    m.add("ColumnNotFoundError", py.get_type::<ColumnNotFoundError>())?;
    m.add(
        "UnsupportedTypeError",
        py.get_type::<UnsupportedTypeError>(),
    )?;
    m.add("NullValueError", py.get_type::<NullValueError>())?;
    m.add("InvalidAmountError", py.get_type::<InvalidAmountError>())?;
    m.add("AmountRangeError", py.get_type::<AmountRangeError>())?;
    m.add("InvalidDateError", py.get_type::<InvalidDateError>())?;
    m.add("AsOfError", py.get_type::<AsOfError>())?;
    m.add("PeriodsError", py.get_type::<PeriodsError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("InvalidValueError", py.get_type::<InvalidValueError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}
