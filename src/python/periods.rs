//! `custseg.Periods`: the Python face of [`crate::periods::Periods`] (P1, P2).

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::error::CoreError;
use crate::periods::{date_of, day_of, parse_day, Periods};

/// A date given as `datetime.date` (or `datetime`, `pandas.Timestamp`: their
/// calendar day, I1) or an ISO string `"YYYY-MM-DD"`.
pub struct DateArg(pub NaiveDate);

impl<'a, 'py> FromPyObject<'a, 'py> for DateArg {
    type Error = PyErr;
    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(s) = ob.cast::<PyString>() {
            let s = s.to_cow()?;
            return parse_day(&s).and_then(date_of).map(DateArg).ok_or_else(|| {
                CoreError::Periods(format!("{s:?} is not an ISO date (YYYY-MM-DD)")).into()
            });
        }
        Ok(DateArg(ob.extract::<NaiveDate>()?))
    }
}

/// A period calendar (rule P1): periods of `months` whole months starting on
/// `anchor + k * months` for every integer k, or explicit boundary days.
///
/// Examples:
///     >>> import custseg as cs
///     >>> cs.Periods.semiannual(start_month=2)
///     Periods(months=6, anchor=2000-02-01)
///     >>> p = cs.Periods(months=3, anchor="2024-01-15")
///     >>> p.period_start("2024-03-01")
///     datetime.date(2024, 1, 15)
#[pyclass(name = "Periods", module = "custseg", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyPeriods(pub Periods);

#[pymethods]
impl PyPeriods {
    /// Periods of `months` (1, 2, 3, 4, 6 or 12) whole months, one of them
    /// starting on `anchor` (day of the month 1 to 28).
    #[new]
    #[pyo3(signature = (months = 6, anchor = DateArg(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap())))]
    fn new(months: i64, anchor: DateArg) -> PyResult<Self> {
        let months = u32::try_from(months).unwrap_or(0); // 0 is rejected below
        Ok(Self(Periods::regular(months, anchor.0)?))
    }

    /// Years starting on the first day of `start_month`.
    #[staticmethod]
    #[pyo3(signature = (start_month = 1))]
    fn annual(start_month: i64) -> PyResult<Self> {
        Ok(Self(Periods::annual(start_month)?))
    }

    /// Two seasons a year, the first starting on the first day of `start_month`
    /// (a fashion retailer typically uses 2 or 8).
    #[staticmethod]
    #[pyo3(signature = (start_month = 1))]
    fn semiannual(start_month: i64) -> PyResult<Self> {
        Ok(Self(Periods::semiannual(start_month)?))
    }

    /// Quarters, one starting on the first day of `start_month`.
    #[staticmethod]
    #[pyo3(signature = (start_month = 1))]
    fn quarterly(start_month: i64) -> PyResult<Self> {
        Ok(Self(Periods::quarterly(start_month)?))
    }

    /// Calendar months.
    #[staticmethod]
    fn monthly() -> PyResult<Self> {
        Ok(Self(Periods::monthly()?))
    }

    /// Explicit, strictly increasing boundary days: period i is
    /// `[b[i], b[i+1])`, the last one open-ended; data before the first
    /// boundary is an error (or dropped with `on_invalid="drop"`).
    #[staticmethod]
    fn from_boundaries(boundaries: Vec<DateArg>) -> PyResult<Self> {
        Ok(Self(Periods::boundaries(
            boundaries.into_iter().map(|d| day_of(d.0)).collect(),
        )?))
    }

    /// Months per period, or None for explicit boundaries.
    #[getter]
    fn months(&self) -> Option<u32> {
        match &self.0 {
            Periods::Regular { months, .. } => Some(*months),
            Periods::Boundaries(_) => None,
        }
    }

    /// The explicit boundaries, or None for a regular calendar.
    #[getter]
    fn boundaries(&self) -> Option<Vec<NaiveDate>> {
        match &self.0 {
            Periods::Boundaries(b) => Some(b.iter().filter_map(|&d| date_of(d)).collect()),
            Periods::Regular { .. } => None,
        }
    }

    /// The first day of the period that contains `date` (P2).
    fn period_start(&self, date: DateArg) -> PyResult<NaiveDate> {
        self.0
            .period_start(day_of(date.0))
            .and_then(date_of)
            .ok_or_else(|| {
                CoreError::Periods(format!(
                    "{} is not on the calendar {}",
                    date.0,
                    self.0.describe()
                ))
                .into()
            })
    }

    /// The first days of the periods that start in `[start, end]`.
    fn starts(&self, start: DateArg, end: DateArg) -> Vec<NaiveDate> {
        let days = self.0.starts_between(day_of(start.0), day_of(end.0));
        days.into_iter().filter_map(date_of).collect()
    }

    fn __repr__(&self) -> String {
        self.0.describe()
    }
}
