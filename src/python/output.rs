//! Results back to Python: a record batch as a pyarrow Table (the Python layer
//! turns it into the input's family), the run report as a dict (turned into
//! `custseg.Report`).

use arrow_array::RecordBatch;
use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::PyTable;

use crate::engine::Report;
use crate::error::CoreError;
use crate::periods::date_of;

/// `batch` as a pyarrow Table (a failure is ours: building the output).
pub fn table(py: Python<'_>, batch: RecordBatch) -> PyResult<Bound<'_, PyAny>> {
    let building = |e: PyErr| -> PyErr {
        CoreError::Internal(format!("could not build the output: {e}")).into()
    };
    let schema = batch.schema();
    PyTable::try_new(vec![batch], schema)
        .map_err(building)?
        .into_pyarrow(py)
}

/// The report as a dict (turned into `custseg.Report` by the Python layer).
pub fn report_dict<'py>(py: Python<'py>, r: &Report) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("rows_read", r.rows_read)?;
    d.set_item("rows_used", r.rows_used)?;
    d.set_item("rows_after_as_of", r.rows_after_as_of)?;
    d.set_item(
        "rows_dropped",
        r.rows_dropped.clone().into_iter().collect::<Vec<_>>(),
    )?;
    d.set_item("customers_seen", r.customers_seen)?;
    d.set_item("customers_without_purchase", r.customers_without_purchase)?;
    d.set_item("customers", r.customers)?;
    d.set_item("bytes_spilled", r.bytes_spilled)?;
    d.set_item("as_of", r.as_of.and_then(date_of).map(|d: NaiveDate| d))?;
    Ok(d)
}
