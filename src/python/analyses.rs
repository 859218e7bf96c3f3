//! Bindings of [`crate::analyses`]: the profile of what each segment buys
//! (A1), the concentration of value (A2) and the playbook (A3). Each call is
//! a pure function of its arguments; the profile and the concentration run
//! without the GIL ([`runtime::run`]).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt32Type;
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, UInt32Array};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::input::AnyRecordBatch;
use pyo3_arrow::PyArray;

use crate::analyses::concentration::{concentration as concentrate, Negative};
use crate::analyses::playbook::{entries, key_columns, Kind, Lang};
use crate::analyses::profile::{
    profile as run_profile, Profile, ProfileOptions, ProfileReport, Segments,
};
use crate::error::CoreError;
use crate::ingest::{ColumnNames, OnInvalid};
use crate::python::output::table;
use crate::python::runtime;
use crate::python::tables::values;

/// A1: the profile of `data` (columns `(customer, date, amount)` and `by`)
/// against `segments` = (customer ids, segment codes < `categories`). Returns
/// a pyarrow Table (`segment` as codes) and the report as a dict. The two
/// limits choose the fast paths (tests compare them with the plain ones).
#[pyfunction]
#[pyo3(signature = (data, segments, *, columns, by, categories, as_of=None, on_invalid="raise", threads=None, bits_limit=64, cells_limit=65536, dense_ids=true))]
#[allow(clippy::too_many_arguments)]
pub fn profile<'py>(
    py: Python<'py>,
    data: AnyRecordBatch,
    segments: (PyArray, PyArray),
    columns: (String, String, String),
    by: Vec<String>,
    categories: usize,
    as_of: Option<i32>,
    on_invalid: &str,
    threads: Option<i64>,
    bits_limit: usize,
    cells_limit: usize,
    dense_ids: bool,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
    let opts = ProfileOptions {
        as_of,
        on_invalid: on_invalid.parse::<OnInvalid>()?,
        bits_limit,
        cells_limit,
        dense_ids,
    };
    let names = ColumnNames {
        customer: columns.0,
        date: columns.1,
        amount: columns.2,
        order: None,
    };
    let codes = values::<UInt32Type>(&segments.1)?;
    let customers = segments.0.array().clone();
    let reader = data
        .into_reader()
        .map_err(|e| CoreError::Input(e.to_string()))?;
    let p = runtime::run(py, threads, |cancel| {
        let schema = reader.schema();
        let s = Segments {
            customers: customers.as_ref(),
            codes,
            categories,
        };
        run_profile(reader, &schema, &names, &by, s, &opts, cancel)
    })?;
    let report = profile_report(py, &p.report)?;
    Ok((table(py, profile_batch(p, &by)?)?, report))
}

/// The profile's rows as a record batch.
fn profile_batch(p: Profile, by: &[String]) -> PyResult<RecordBatch> {
    let mut cols: Vec<(String, ArrayRef)> =
        vec![("segment".into(), Arc::new(UInt32Array::from(p.segment)))];
    cols.extend(by.iter().cloned().zip(p.by));
    let f = |v: Vec<f64>| -> ArrayRef { Arc::new(Float64Array::from(v)) };
    let customers = p.customers.iter().map(|&c| c as i64).collect::<Vec<_>>();
    cols.push(("customers".into(), Arc::new(Int64Array::from(customers))));
    cols.push(("customer_share".into(), f(p.customer_share)));
    cols.push(("revenue".into(), f(p.revenue)));
    cols.push((
        "revenue_share".into(),
        Arc::new(Float64Array::from(p.revenue_share)),
    ));
    cols.push(("index".into(), Arc::new(Float64Array::from(p.index))));
    RecordBatch::try_from_iter(cols).map_err(|e| CoreError::building(e).into())
}

fn profile_report<'py>(py: Python<'py>, r: &ProfileReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("rows_read", r.rows_read)?;
    d.set_item("rows_used", r.rows_used)?;
    d.set_item("rows_after_as_of", r.rows_after_as_of)?;
    d.set_item(
        "rows_dropped",
        r.rows_dropped.clone().into_iter().collect::<Vec<_>>(),
    )?;
    d.set_item("rows_without_segment", r.rows_without_segment)?;
    d.set_item("customers_without_segment", r.customers_without_segment)?;
    d.set_item("revenue_without_segment", r.revenue_without_segment)?;
    d.set_item("segment_customers", r.segment_customers)?;
    d.set_item(
        "segment_customers_without_rows",
        r.segment_customers_without_rows,
    )?;
    Ok(d)
}

/// What [`concentration`] returns: n, total, customers per top share, their
/// value shares, the Gini coefficient, and the curve as a pyarrow Table.
type ConcentrationOut<'py> = (u64, f64, Vec<u64>, Vec<f64>, f64, Bound<'py, PyAny>);

/// A2 on a float64 array (one value per customer).
#[pyfunction]
#[pyo3(signature = (values, *, column, top, points=Some(1000), negative="raise"))]
pub fn concentration<'py>(
    py: Python<'py>,
    values: PyArray,
    column: String,
    top: Vec<f64>,
    points: Option<usize>,
    negative: &str,
) -> PyResult<ConcentrationOut<'py>> {
    let negative = negative.parse::<Negative>()?;
    let array = values.array().clone();
    let Some(v) = array.as_primitive_opt::<arrow_array::types::Float64Type>() else {
        return Err(CoreError::Internal(format!(
            "concentration: float64 values expected, got {}",
            array.data_type()
        ))
        .into());
    };
    let c = runtime::run(py, None, |_| {
        concentrate(v, &column, &top, points, negative)
    })?;
    let curve = RecordBatch::try_from_iter([
        (
            "customer_share",
            Arc::new(Float64Array::from(c.curve_x)) as ArrayRef,
        ),
        (
            "value_share",
            Arc::new(Float64Array::from(c.curve_y)) as ArrayRef,
        ),
    ])
    .map_err(CoreError::building)?;
    Ok((
        c.n,
        c.total,
        c.customers,
        c.value_share,
        c.gini,
        table(py, curve)?,
    ))
}

/// What [`playbook`] returns: the key columns, then per entry its labels,
/// goal, actions and source.
type PlaybookOut = (
    Vec<String>,
    Vec<Vec<String>>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

/// A3: the playbook of `kind` in `lang`.
#[pyfunction]
pub fn playbook(kind: &str, lang: &str) -> PyResult<PlaybookOut> {
    let (kind, lang) = (kind.parse::<Kind>()?, lang.parse::<Lang>()?);
    let es = entries(kind);
    let s = |x: &str| x.to_string();
    Ok((
        key_columns(kind).iter().map(|c| s(c)).collect(),
        es.iter()
            .map(|e| e.labels.iter().map(|l| s(l)).collect())
            .collect(),
        es.iter().map(|e| s(e.goal(lang))).collect(),
        es.iter().map(|e| s(e.actions(lang))).collect(),
        es.iter().map(|e| s(e.source)).collect(),
    ))
}
