//! Binding of [`crate::synthetic`]: the synthetic table as Arrow.

use pyo3::prelude::*;
use pyo3_arrow::{PyRecordBatchReader, PyTable};

use crate::python::errors::ConfigError;
use crate::python::output::pyarrow_table;
use crate::python::runtime::run;
use crate::synthetic::{record_batch, schema, stream, stream_by_date, Shape, SyntheticOptions};

/// The synthetic transaction table: `customer_id`, `date`, `amount` (and
/// `channel`, `category` with `extra_columns`); a pyarrow Table, or with
/// `batch_customers` a RecordBatchReader that generates that many customers
/// per batch when read (never the whole table at once). With `order =
/// "by-date"` always a RecordBatchReader of the rows ordered by date (stably),
/// generated a window of about `window_rows` rows at a time, in batches of at
/// most `batch_rows` rows (`batch_customers` does not apply).
#[pyfunction(name = "synthetic")]
#[pyo3(signature = (customers, years, seed, end_day, string_ids, batch_customers=None,
    extra_columns=false, *, order="grouped", window_rows=16_000_000, batch_rows=1_000_000))]
#[allow(clippy::too_many_arguments)]
pub fn synthetic_py<'py>(
    py: Python<'py>,
    customers: usize,
    years: u32,
    seed: u64,
    end_day: i32,
    string_ids: bool,
    batch_customers: Option<usize>,
    extra_columns: bool,
    order: &str,
    window_rows: usize,
    batch_rows: usize,
) -> PyResult<Bound<'py, PyAny>> {
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
    let by_date = match order {
        "grouped" => false,
        "by-date" => true,
        _ => {
            return Err(ConfigError::new_err(format!(
                "order must be \"grouped\" or \"by-date\", got {order:?}"
            )))
        }
    };
    if by_date {
        let batches = stream_by_date(&opts, shape, window_rows, batch_rows).map(Ok);
        let reader = arrow_array::RecordBatchIterator::new(batches, schema(shape));
        return PyRecordBatchReader::new(Box::new(reader)).into_pyarrow(py);
    }
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
    pyarrow_table(py, PyTable::try_new(vec![batch], schema)?)
}
