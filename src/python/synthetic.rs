//! Binding of [`crate::synthetic::record_batch`]: the synthetic table as Arrow.

use pyo3::prelude::*;
use pyo3_arrow::{PyRecordBatchReader, PyTable};

use crate::python::run::run;
use crate::synthetic::{record_batch, schema, stream, SyntheticOptions};

/// The synthetic transaction table: `customer_id`, `date`, `amount`.
#[pyfunction(name = "synthetic")]
pub fn synthetic_py(
    py: Python<'_>,
    customers: usize,
    years: u32,
    seed: u64,
    end_day: i32,
    string_ids: bool,
) -> PyResult<Bound<'_, PyAny>> {
    let opts = SyntheticOptions {
        customers,
        years,
        seed,
        end_day,
    };
    let batch = run(py, None, |cancel| {
        cancel.check()?;
        Ok(record_batch(&opts, string_ids))
    })?;
    let schema = batch.schema();
    PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
}

/// The synthetic table as a record batch reader that generates `batch_customers`
/// customers per batch when read (never the whole table at once).
#[pyfunction(name = "synthetic_stream")]
pub fn synthetic_stream_py(
    py: Python<'_>,
    customers: usize,
    years: u32,
    seed: u64,
    end_day: i32,
    string_ids: bool,
    batch_customers: usize,
) -> PyResult<Bound<'_, PyAny>> {
    let opts = SyntheticOptions {
        customers,
        years,
        seed,
        end_day,
    };
    let batches = stream(&opts, string_ids, batch_customers).map(Ok);
    let reader = arrow_array::RecordBatchIterator::new(batches, schema(string_ids));
    PyRecordBatchReader::new(Box::new(reader)).into_pyarrow(py)
}
