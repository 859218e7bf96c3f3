//! Binding of CLV4's two other BTYD summaries: the discrete-period summary of
//! the BG/BB model ([`crate::btyd::discrete_summary`]) and the
//! calibration/holdout table ([`crate::btyd::calibration_holdout`]). The
//! options arrive as for `segment` (see [`crate::python::segment`]) and are
//! parsed there; `what` is empty.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::input::AnyRecordBatch;

use crate::btyd::{self, Period, Unit};
use crate::cancel::Cancel;
use crate::engine::{Options, Report};
use crate::error::{CoreError, Result};
use crate::ingest::{ingest, Ingested};
use crate::python::output::{report_dict, table};
use crate::python::periods::PyPeriods;
use crate::python::segment::{options, ClvArgs, ColumnArgs, CvArgs, RfmArgs, RunArgs};

/// The discrete-period summary (unit "Y", "Q", "M", "W" or "D") of every
/// customer of `data`; see `custseg.rfm_summary(discrete=True)`. Returns a
/// pyarrow Table and the report as a dict.
#[pyfunction]
#[pyo3(signature = (data, *, columns, run, periods, what, cv, rfm, clv, unit))]
#[allow(clippy::too_many_arguments)]
pub fn discrete_summary<'py>(
    py: Python<'py>,
    data: AnyRecordBatch,
    columns: ColumnArgs,
    run: RunArgs,
    periods: PyRef<'py, PyPeriods>,
    what: Vec<String>,
    cv: CvArgs,
    rfm: RfmArgs<'py>,
    clv: ClvArgs,
    unit: String,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
    let period: Period = unit.parse()?;
    let args = (columns, run, periods, what, cv, rfm, clv);
    summary_run(py, data, args, |ing, name, opts, cancel| {
        btyd::discrete_summary(ing, name, opts, period, cancel)
    })
}

/// The calibration/holdout table (unit "D" or "W") of every customer of
/// `data` with a purchase event before `cut` (the day after the calibration
/// end), `run.as_of` the day after the observation end; see
/// `custseg.calibration_holdout`. Returns a pyarrow Table and the report.
#[pyfunction]
#[pyo3(signature = (data, *, columns, run, periods, what, cv, rfm, clv, unit, cut))]
#[allow(clippy::too_many_arguments)]
pub fn calibration_holdout<'py>(
    py: Python<'py>,
    data: AnyRecordBatch,
    columns: ColumnArgs,
    run: RunArgs,
    periods: PyRef<'py, PyPeriods>,
    what: Vec<String>,
    cv: CvArgs,
    rfm: RfmArgs<'py>,
    clv: ClvArgs,
    unit: String,
    cut: i32,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
    let unit: Unit = unit.parse()?;
    let args = (columns, run, periods, what, cv, rfm, clv);
    summary_run(py, data, args, |ing, name, opts, cancel| {
        btyd::calibration_holdout(ing, name, opts, unit, cut, cancel)
    })
}

/// The arguments every run takes, as for `segment`.
type RunArgsOf<'py> = (
    ColumnArgs,
    RunArgs,
    PyRef<'py, PyPeriods>,
    Vec<String>,
    CvArgs,
    RfmArgs<'py>,
    ClvArgs,
);

/// Ingests `data` with the run's options and hands it to `summary`, without
/// the GIL: the table and report dict.
fn summary_run<'py>(
    py: Python<'py>,
    data: AnyRecordBatch,
    (columns, run, periods, what, cv, rfm, clv): RunArgsOf<'py>,
    summary: impl FnOnce(Ingested, &str, &Options, &Cancel) -> Result<(arrow_array::RecordBatch, Report)>
        + Send,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
    let (opts, _, names, ingest_opts) = options(columns, &run, &periods, &what, cv, rfm, clv)?;
    let reader = data
        .into_reader()
        .map_err(|e| CoreError::Input(e.to_string()))?;
    let (batch, report) = crate::python::runtime::run(py, run.threads, |cancel| {
        let schema = reader.schema();
        let ing = ingest(reader, &schema, &names, &ingest_opts, cancel)?;
        summary(ing, &names.customer, &opts, cancel)
    })?;
    Ok((table(py, batch)?, report_dict(py, &report)?))
}
