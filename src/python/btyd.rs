//! Bindings of [`crate::btyd`] (CLV4): what every BTYD binding shares (the
//! checked columns, the runs without the GIL that hand back a fit or a
//! column), the Gamma-Gamma fit and predictions, and predictive CLV. The
//! count models on (frequency, recency, T) are bound in [`super::btyd_count`],
//! BG/BB in [`super::btyd_family`]. Columns arrive as Arrow float64 arrays
//! (the Python layer casts them); results go back as pyarrow arrays.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, Float64Array};
use arrow_schema::DataType;
use pyo3::prelude::*;
use pyo3_arrow::PyArray;

use crate::btyd::{self, BgData, BgParams, GgParams, Names};
use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::python::runtime::run;

/// A float64 column without nulls, or the error naming it (I4).
pub(super) fn column(a: &PyArray, name: &str, role: &'static str) -> Result<Float64Array> {
    let arr = a.array();
    if arr.data_type() != &DataType::Float64 {
        return Err(CoreError::UnsupportedType {
            column: name.to_string(),
            role,
            dtype: arr.data_type().to_string(),
            accepted: "numbers (cast to float64)",
        });
    }
    if let Some(nulls) = arr.nulls().filter(|n| n.null_count() > 0) {
        let row = nulls.iter().position(|v| !v).unwrap_or(0);
        return Err(CoreError::NullSummaryValue {
            column: name.to_string(),
            role,
            row: row as u64,
        });
    }
    Ok(arr.as_primitive::<Float64Type>().clone())
}

pub(super) fn same_length(cols: &[&Float64Array]) -> Result<()> {
    if cols.windows(2).any(|w| w[0].len() != w[1].len()) {
        return Err(CoreError::Config(
            "the summary columns must have the same length".into(),
        ));
    }
    Ok(())
}

pub(super) fn out(py: Python<'_>, v: Vec<f64>) -> PyResult<Bound<'_, PyAny>> {
    let array = PyArray::from_array_ref(Arc::new(Float64Array::from(v)));
    py.import("pyarrow")?.getattr("array")?.call1((array,))
}

/// Runs `f` as [`run`] does (without the GIL, on `threads` threads) and hands
/// its value per row back as a pyarrow array.
pub(super) fn run_column<'py>(
    py: Python<'py>,
    threads: Option<i64>,
    f: impl FnOnce(&Cancel) -> Result<Vec<f64>> + Send,
) -> PyResult<Bound<'py, PyAny>> {
    let v = run(py, threads, f)?;
    out(py, v)
}

/// Runs the fit `f` as [`run`] does and hands back its fields ([`fit_out`]).
pub(super) fn run_fit<const N: usize>(
    py: Python<'_>,
    threads: Option<i64>,
    f: impl FnOnce(&Cancel) -> Result<btyd::Fit<N>> + Send,
) -> PyResult<FitOut<N>> {
    run(py, threads, |cancel| f(cancel).map(fit_out))
}

/// The names of the frequency, recency and T columns as Python passes them.
pub(super) type BgColumnNames = (String, String, String);

/// The three BG/NBD columns, checked (CLV4), and their names.
pub(super) struct Bg {
    x: Float64Array,
    tx: Float64Array,
    t: Float64Array,
    names: Names,
}

impl Bg {
    pub(super) fn new(
        frequency: &PyArray,
        recency: &PyArray,
        t: &PyArray,
        names: BgColumnNames,
    ) -> Result<Bg> {
        let names = Names {
            frequency: names.0,
            recency: names.1,
            t: names.2,
            ..Default::default()
        };
        let x = column(frequency, &names.frequency, "frequency")?;
        let tx = column(recency, &names.recency, "recency")?;
        let t = column(t, &names.t, "T")?;
        same_length(&[&x, &tx, &t])?;
        Ok(Bg { x, tx, t, names })
    }
    /// The columns, once checked ([`btyd::check_bgnbd`]): a model's data.
    pub(super) fn checked(&self) -> Result<BgData<'_>> {
        let d = BgData {
            x: self.x.values(),
            tx: self.tx.values(),
            t: self.t.values(),
        };
        btyd::check_bgnbd(d.x, d.tx, d.t, &self.names)?;
        Ok(d)
    }
}

/// The two Gamma-Gamma columns, checked (CLV4).
fn gg_columns(
    frequency: &PyArray,
    monetary_value: &PyArray,
    names: (String, String),
) -> Result<(Float64Array, Float64Array)> {
    let names = Names {
        frequency: names.0,
        monetary_value: names.1,
        ..Default::default()
    };
    let x = column(frequency, &names.frequency, "frequency")?;
    let m = column(monetary_value, &names.monetary_value, "monetary_value")?;
    same_length(&[&x, &m])?;
    btyd::check_gamma_gamma(x.values(), m.values(), &names)?;
    Ok((x, m))
}

/// A fit for Python: (params, log-likelihood, converged, iterations, covariance).
pub(super) type FitOut<const N: usize> = ([f64; N], f64, bool, u64, [[f64; N]; N]);

/// The fields of a fit, in the order Python's `_Model._fitted` takes them.
fn fit_out<const N: usize>(f: btyd::Fit<N>) -> FitOut<N> {
    (
        f.params,
        f.log_likelihood,
        f.converged,
        f.iterations,
        f.covariance,
    )
}

/// Fits Gamma-Gamma on the repeat rows: (params (p, q, v), log-likelihood, converged, iterations).
#[pyfunction]
#[pyo3(signature = (frequency, monetary_value, *, names, penalizer=0.0, threads=None))]
pub fn gg_fit(
    py: Python<'_>,
    frequency: PyArray,
    monetary_value: PyArray,
    names: (String, String),
    penalizer: f64,
    threads: Option<i64>,
) -> PyResult<FitOut<3>> {
    let (x, m) = gg_columns(&frequency, &monetary_value, names)?;
    run_fit(py, threads, |cancel| {
        btyd::fit_gamma_gamma(x.values(), m.values(), penalizer, cancel)
    })
}

/// Total Gamma-Gamma log-likelihood of the repeat rows at `params`.
#[pyfunction]
#[pyo3(signature = (params, frequency, monetary_value, *, names))]
pub fn gg_log_likelihood(
    params: GgParams,
    frequency: PyArray,
    monetary_value: PyArray,
    names: (String, String),
) -> PyResult<f64> {
    let (x, m) = gg_columns(&frequency, &monetary_value, names)?;
    Ok(btyd::gg_log_likelihood(&params, x.values(), m.values())?)
}

/// Expected spend per purchase per row.
#[pyfunction]
#[pyo3(signature = (params, frequency, monetary_value, *, names, threads=None))]
pub fn gg_expected_spend<'py>(
    py: Python<'py>,
    params: GgParams,
    frequency: PyArray,
    monetary_value: PyArray,
    names: (String, String),
    threads: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let (x, m) = gg_columns(&frequency, &monetary_value, names)?;
    run_column(py, threads, |_| {
        btyd::gg_expected_spend(&params, x.values(), m.values())
    })
}

/// Predictive CLV: (expected_purchases, p_alive, expected_spend, clv) per row.
#[pyfunction]
#[pyo3(signature = (bg_params, gg_params, frequency, recency, t, monetary_value, *, names,
    months, discount_rate, unit, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn predictive_clv<'py>(
    py: Python<'py>,
    bg_params: BgParams,
    gg_params: GgParams,
    frequency: PyArray,
    recency: PyArray,
    t: PyArray,
    monetary_value: PyArray,
    names: (String, String, String, String),
    months: i64,
    discount_rate: f64,
    unit: Option<String>,
    threads: Option<i64>,
) -> PyResult<[Bound<'py, PyAny>; 4]> {
    let unit = btyd::known_unit(unit.as_deref())?;
    let bg = Bg::new(
        &frequency,
        &recency,
        &t,
        (names.0.clone(), names.1, names.2),
    )?;
    let (_, m) = gg_columns(&frequency, &monetary_value, (names.0, names.3))?;
    let c = run(py, threads, |_| {
        btyd::predictive_clv(
            &bg_params,
            &gg_params,
            bg.checked()?,
            m.values(),
            months,
            discount_rate,
            unit,
        )
    })?;
    Ok([
        out(py, c.expected_purchases)?,
        out(py, c.p_alive)?,
        out(py, c.expected_spend)?,
        out(py, c.clv)?,
    ])
}
