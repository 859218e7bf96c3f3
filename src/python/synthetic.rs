//! Binding of [`crate::synthetic`]: the synthetic table as Arrow.

use pyo3::prelude::*;
use pyo3_arrow::{PyRecordBatchReader, PyTable};

use crate::python::runtime::run;
use crate::synthetic::{record_batch, schema, stream, Shape, SyntheticOptions};

/// The synthetic transaction table: `customer_id`, `date`, `amount` (and
/// `channel`, `category` with `extra_columns`); a pyarrow Table, or with
/// `batch_customers` a RecordBatchReader that generates that many customers
/// per batch when read (never the whole table at once).
#[pyfunction(name = "synthetic")]
#[pyo3(signature = (customers, years, seed, end_day, string_ids, batch_customers=None,
    extra_columns=false))]
#[allow(clippy::too_many_arguments)]
pub fn synthetic_py(
    py: Python<'_>,
    customers: usize,
    years: u32,
    seed: u64,
    end_day: i32,
    string_ids: bool,
    batch_customers: Option<usize>,
    extra_columns: bool,
) -> PyResult<Bound<'_, PyAny>> {
    let shape = Shape {
        string_ids,
        extra_columns,
    };
    let opts = SyntheticOptions {
        customers,
        years,
        seed,
        end_day,
    };
    if let Some(n) = batch_customers {
        let batches = stream(&opts, shape, n).map(Ok);
        let reader = arrow_array::RecordBatchIterator::new(batches, schema(shape));
        return PyRecordBatchReader::new(Box::new(reader)).into_pyarrow(py);
    }
    let batch = run(py, None, |cancel| {
        cancel.check()?;
        Ok(record_batch(&opts, shape))
    })?;
    let schema = batch.schema();
    PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
}
