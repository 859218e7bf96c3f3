//! Binding of [`crate::synthetic::generate`]: the synthetic table as Arrow.

use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;
use rayon::prelude::*;

use crate::error::CoreError;
use crate::python::run::run;
use crate::synthetic::{generate, SyntheticOptions};

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
    let batch = run(py, None, |cancel| {
        cancel.check()?;
        let cols = generate(&SyntheticOptions {
            customers,
            years,
            seed,
            end_day,
        });
        let ids: ArrayRef = if string_ids {
            Arc::new(StringArray::from_iter_values(
                cols.customer.iter().map(|c| format!("C{c:07}")),
            ))
        } else {
            Arc::new(Int64Array::from(cols.customer))
        };
        let amounts: Vec<f64> = cols
            .amount_cents
            .par_iter()
            .map(|&c| c as f64 / 100.0)
            .collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("customer_id", ids.data_type().clone(), false),
            Field::new("date", DataType::Date32, false),
            Field::new("amount", DataType::Float64, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            ids,
            Arc::new(Date32Array::from(cols.day)),
            Arc::new(Float64Array::from(amounts)),
        ];
        RecordBatch::try_new(schema, columns).map_err(CoreError::from)
    })?;
    let schema = batch.schema();
    PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
}
