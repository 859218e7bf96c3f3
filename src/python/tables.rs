//! Bindings of [`crate::tables`]: the cross table of two segmentations (CLV5)
//! and the summary of a segmentation, from category codes (Arrow arrays of
//! uint32, the Python layer's dictionary indices).

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type};
use arrow_array::Array;
use pyo3::prelude::*;
use pyo3_arrow::PyArray;

use crate::error::CoreError;
use crate::tables::{self, Normalize};

/// The values of a uint32 (or float64) array without nulls.
pub(crate) fn values<T: arrow_array::ArrowPrimitiveType>(a: &PyArray) -> PyResult<&[T::Native]> {
    let arr = a.array();
    if arr.data_type() != &T::DATA_TYPE || arr.null_count() > 0 {
        return Err(CoreError::Internal(format!(
            "expected {} values without nulls, got {}",
            T::DATA_TYPE,
            arr.data_type()
        ))
        .into());
    }
    Ok(arr.as_primitive::<T>().values())
}

/// CLV5: the counts (row-major, `na` by `nb`) and, with `normalize`, the shares.
#[pyfunction]
#[pyo3(signature = (a, na, b, nb, normalize=None))]
pub fn crosstab(
    a: PyArray,
    na: usize,
    b: PyArray,
    nb: usize,
    normalize: Option<&str>,
) -> PyResult<(Vec<i64>, Option<Vec<f64>>)> {
    let normalize = normalize.map(str::parse::<Normalize>).transpose()?;
    let (a, b) = (values::<UInt32Type>(&a)?, values::<UInt32Type>(&b)?);
    Ok(tables::crosstab(a, na, b, nb, normalize)?)
}

/// Per combination of the key columns present, in category order: the codes
/// (per key), customers, customer share, the sum of `value` and its share.
type SummaryOut = (Vec<Vec<u32>>, Vec<i64>, Vec<f64>, Vec<f64>, Vec<f64>);

/// The summary of a segmentation (`segment_summary`).
#[pyfunction]
pub fn summary(keys: Vec<(PyArray, usize)>, value: PyArray) -> PyResult<SummaryOut> {
    let codes = keys
        .iter()
        .map(|(a, n)| Ok((values::<UInt32Type>(a)?, *n)))
        .collect::<PyResult<Vec<_>>>()?;
    let s = tables::summary(&codes, values::<Float64Type>(&value)?)?;
    Ok((
        s.codes,
        s.customers,
        s.customer_share,
        s.value,
        s.value_share,
    ))
}
