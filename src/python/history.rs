//! Binding of [`crate::history`] (CV8): `_core.history` runs the pass and
//! returns a `History` whose boundaries are turned into pyarrow tables one at
//! a time (the whole long table, or a stream of compact ones that are freed
//! as they are read).

use std::sync::Mutex;

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::input::AnyRecordBatch;

use crate::error::CoreError;
use crate::history::{history, Activity, Bounds, History};
use crate::ingest::ingest;
use crate::periods::date_of;
use crate::python::output::{report_dict, table};
use crate::python::periods::PyPeriods;
use crate::python::segment::{options, ClvArgs, ColumnArgs, CvArgs, RfmArgs, RunArgs};

/// A segmentation as of every boundary of a range (CV8), held by the core.
#[pyclass(name = "History", module = "custseg._core", frozen)]
pub struct PyHistory {
    inner: Mutex<History>,
    threads: Option<i64>,
}

#[pymethods]
impl PyHistory {
    /// The boundaries (period starts), ascending.
    #[getter]
    fn bounds(&self) -> PyResult<Vec<NaiveDate>> {
        let h = self.lock()?;
        Ok(h.bounds.iter().filter_map(|&d| date_of(d)).collect())
    }

    /// The net money of all rows from the previous boundary to each one (all
    /// rows before the first).
    #[getter]
    fn totals(&self) -> PyResult<Vec<f64>> {
        Ok(self.lock()?.totals.clone())
    }

    /// The first and last days of the data (`None` when empty).
    #[getter]
    fn days(&self) -> PyResult<Option<(NaiveDate, NaiveDate)>> {
        let h = self.lock()?;
        Ok(h.days.and_then(|(a, b)| Some((date_of(a)?, date_of(b)?))))
    }

    /// The number of distinct customers (the range of `customer_index`).
    #[getter]
    fn customers(&self) -> PyResult<usize> {
        Ok(self.lock()?.customers())
    }

    /// The run's report, as of the last boundary, as a dict.
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        report_dict(py, &self.lock()?.report)
    }

    fn __len__(&self) -> PyResult<usize> {
        Ok(self.lock()?.bounds.len())
    }

    /// The rows as of boundary `j` as a pyarrow Table: `period_start`, the
    /// customer column (or `customer_index` when not `ids`), the columns of
    /// the segmentations (and of the steps, when asked for); with `release`
    /// the boundary's facts are freed.
    #[pyo3(signature = (j, *, ids = true, release = false))]
    fn batch<'py>(
        &self,
        py: Python<'py>,
        j: usize,
        ids: bool,
        release: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let batch = crate::python::runtime::run(py, self.threads, |_| {
            let mut h = self
                .inner
                .lock()
                .map_err(|_| CoreError::Internal("a history's lock was poisoned".into()))?;
            h.batch(j, ids, release)
        })?;
        table(py, batch)
    }

    /// The activity since the previous boundary of the customers without a
    /// purchase event before boundary `j` (see `batch`): a pyarrow Table of
    /// the customer column (or `customer_index`), `step_purchases`, `step_net`.
    #[pyo3(signature = (j, *, ids = true))]
    fn strays<'py>(&self, py: Python<'py>, j: usize, ids: bool) -> PyResult<Bound<'py, PyAny>> {
        let batch = self.lock()?.strays(j, ids)?;
        table(py, batch)
    }
}

impl PyHistory {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, History>> {
        self.inner
            .lock()
            .map_err(|_| CoreError::Internal("a history's lock was poisoned".into()).into())
    }
}

/// The history of `what` over `data` (see `custseg.segment_history`): at every
/// period start from `start` to `end` (days; defaults from the data; see
/// [`Bounds::Range`] for `through` and `extend`), or at the explicit period
/// starts `boundaries` (and the one after the last when `extend`); with
/// `steps`, each customer's activity since the previous boundary too.
#[pyfunction(name = "history")]
#[pyo3(signature = (data, *, columns, run, periods, what, cv, rfm, clv, start=None, end=None, through=false, boundaries=None, extend=false, steps=false, orders_as_of_each=true))]
#[allow(clippy::too_many_arguments)]
pub fn history_py<'py>(
    py: Python<'py>,
    data: AnyRecordBatch,
    columns: ColumnArgs,
    run: RunArgs,
    periods: PyRef<'py, PyPeriods>,
    what: Vec<String>,
    cv: CvArgs,
    rfm: RfmArgs<'py>,
    clv: ClvArgs,
    start: Option<i32>,
    end: Option<i32>,
    through: bool,
    boundaries: Option<Vec<i32>>,
    extend: bool,
    steps: bool,
    orders_as_of_each: bool,
) -> PyResult<PyHistory> {
    let bounds = match boundaries {
        Some(days) => Bounds::Days { days, extend },
        None => Bounds::Range {
            start,
            end,
            through,
            extend,
        },
    };
    let (opts, choice, names, mut ingest_opts) =
        options(columns, &run, &periods, &what, cv, rfm, clv)?;
    // The report counts the rows on or after the last boundary when it is known now (I3).
    ingest_opts.as_of = bounds.last_known(&opts.periods);
    let reader = data
        .into_reader()
        .map_err(|e| CoreError::Input(e.to_string()))?;
    let h = crate::python::runtime::run(py, run.threads, |cancel| {
        let schema = reader.schema();
        let ing = ingest(reader, &schema, &names, &ingest_opts, cancel)?;
        let activity = Activity {
            steps,
            orders_as_of_each,
        };
        history(
            ing,
            &names.customer,
            &opts,
            &choice,
            &bounds,
            activity,
            cancel,
        )
    })?;
    Ok(PyHistory {
        inner: Mutex::new(h),
        threads: run.threads,
    })
}
