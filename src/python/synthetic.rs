//! Binding of [`crate::synthetic`]: the synthetic table as Arrow.

use pyo3::prelude::*;
use pyo3_arrow::{PyRecordBatchReader, PyTable};

use crate::python::runtime::run;
use crate::synthetic::{record_batch, schema, stream, SyntheticOptions};

/// The synthetic transaction table: `customer_id`, `date`, `amount`; a
/// pyarrow Table, or with `batch_customers` a RecordBatchReader that generates
/// that many customers per batch when read (never the whole table at once).
#[pyfunction(name = "synthetic")]
#[pyo3(signature = (customers, years, seed, end_day, string_ids, batch_customers=None))]
pub fn synthetic_py(
    py: Python<'_>,
    customers: usize,
    years: u32,
    seed: u64,
    end_day: i32,
    string_ids: bool,
    batch_customers: Option<usize>,
) -> PyResult<Bound<'_, PyAny>> {
    let opts = SyntheticOptions {
        customers,
        years,
        seed,
        end_day,
    };
    if let Some(n) = batch_customers {
        let batches = stream(&opts, string_ids, n).map(Ok);
        let reader = arrow_array::RecordBatchIterator::new(batches, schema(string_ids));
        return PyRecordBatchReader::new(Box::new(reader)).into_pyarrow(py);
    }
    let batch = run(py, None, |cancel| {
        cancel.check()?;
        Ok(record_batch(&opts, string_ids))
    })?;
    let schema = batch.schema();
    PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
}
