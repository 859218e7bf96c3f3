//! Results back to Python: a record batch as a pyarrow Table (the Python layer
//! turns it into the input's family), the run report as a dict (turned into
//! `custseg.Report`).

use arrow_array::RecordBatch;
use chrono::NaiveDate;
use pyo3::intern;
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
    pyarrow_table(py, PyTable::try_new(vec![batch], schema).map_err(building)?)
}

/// `table` as a pyarrow Table, read from its Arrow stream.
///
/// Not `PyTable::into_pyarrow`: that calls `pyarrow.table(...)`, which first
/// asks whether its argument is a pandas DataFrame and so imports pandas
/// (0.4-0.5 s here) in a process that has none: the first call of every
/// Airflow task, CLI run or script on Arrow or polars data paid it.
/// `RecordBatchReader.from_stream` (pyarrow 15) reads the same stream without
/// that question; older pyarrow falls back to `pyarrow.table`.
pub fn pyarrow_table(py: Python<'_>, table: PyTable) -> PyResult<Bound<'_, PyAny>> {
    let pyarrow = py.import(intern!(py, "pyarrow"))?;
    let reader = pyarrow.getattr(intern!(py, "RecordBatchReader"))?;
    match reader.getattr(intern!(py, "from_stream")) {
        Ok(from_stream) => from_stream
            .call1((table.into_pyobject(py)?,))?
            .call_method0(intern!(py, "read_all")),
        Err(_) => table.into_pyarrow(py),
    }
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
