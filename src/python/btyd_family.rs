//! Bindings of the other count models of [`crate::btyd`] (CLV4): MBG/NBD
//! (Batislam, Denizel and Filiztekin 2007) on the BG/NBD summary columns, and
//! BG/BB (Fader, Hardie and Shang 2010) on a discrete-time summary. Columns
//! arrive as Arrow float64 arrays (the Python layer casts them); results go
//! back as pyarrow arrays.

use arrow_array::Float64Array;
use pyo3::prelude::*;
use pyo3_arrow::PyArray;

use super::btyd::{column, fit_out, out, same_length, Bg, FitOut};
use crate::btyd::{self, BbData, BbNames, BbParams, MbgParams};
use crate::error::CoreError;
use crate::python::runtime::run;

/// Fits MBG/NBD: (params (r, alpha, a, b), log-likelihood, converged, iterations, covariance).
#[pyfunction]
#[pyo3(signature = (frequency, recency, t, *, names, penalizer=0.0, threads=None))]
pub fn mbgnbd_fit(
    py: Python<'_>,
    frequency: PyArray,
    recency: PyArray,
    t: PyArray,
    names: (String, String, String),
    penalizer: f64,
    threads: Option<i64>,
) -> PyResult<FitOut<4>> {
    let bg = Bg::new(&frequency, &recency, &t, names)?;
    run(py, threads, |cancel| {
        bg.check()?;
        Ok(fit_out(btyd::fit_mbgnbd(bg.data(), penalizer, cancel)?))
    })
}

/// Total MBG/NBD log-likelihood of the rows at `params`.
#[pyfunction]
#[pyo3(signature = (params, frequency, recency, t, *, names))]
pub fn mbgnbd_log_likelihood(
    params: MbgParams,
    frequency: PyArray,
    recency: PyArray,
    t: PyArray,
    names: (String, String, String),
) -> PyResult<f64> {
    let bg = Bg::new(&frequency, &recency, &t, names)?;
    bg.check()?;
    Ok(btyd::mbg_log_likelihood(&params, bg.data())?)
}

/// MBG/NBD P(alive) per row.
#[pyfunction]
#[pyo3(signature = (params, frequency, recency, t, *, names, threads=None))]
pub fn mbgnbd_p_alive<'py>(
    py: Python<'py>,
    params: MbgParams,
    frequency: PyArray,
    recency: PyArray,
    t: PyArray,
    names: (String, String, String),
    threads: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let bg = Bg::new(&frequency, &recency, &t, names)?;
    let v = run(py, threads, |_| {
        bg.check()?;
        btyd::mbg_p_alive(&params, bg.data())
    })?;
    out(py, v)
}

/// MBG/NBD E[Y(horizon) | frequency, recency, T] per row.
#[pyfunction]
#[pyo3(signature = (params, frequency, recency, t, *, names, horizon, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn mbgnbd_conditional_expected<'py>(
    py: Python<'py>,
    params: MbgParams,
    frequency: PyArray,
    recency: PyArray,
    t: PyArray,
    names: (String, String, String),
    horizon: f64,
    threads: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let bg = Bg::new(&frequency, &recency, &t, names)?;
    let v = run(py, threads, |_| {
        bg.check()?;
        btyd::mbg_conditional_expected(&params, bg.data(), horizon)
    })?;
    out(py, v)
}

/// MBG/NBD E[X(t)] of a new customer.
#[pyfunction]
pub fn mbgnbd_population_expected(params: MbgParams, t: f64) -> PyResult<f64> {
    Ok(btyd::mbg_population_expected(&params, t)?)
}

/// MBG/NBD P(X(t) = x) for x = 0..=n_max.
#[pyfunction]
pub fn mbgnbd_probability_of_purchases(
    params: MbgParams,
    t: f64,
    n_max: usize,
) -> PyResult<Vec<f64>> {
    Ok(btyd::mbg_probability_of_purchases(&params, t, n_max)?)
}

/// The BG/BB columns (x, t_x, n and the optional weights), checked (CLV4).
struct Bb {
    x: Float64Array,
    tx: Float64Array,
    n: Float64Array,
    w: Option<Float64Array>,
}

impl Bb {
    /// `names`: frequency, recency, n_periods and weights columns.
    fn new(
        frequency: &PyArray,
        recency: &PyArray,
        n_periods: &PyArray,
        weights: Option<&PyArray>,
        names: (String, String, String, String),
    ) -> Result<Bb, CoreError> {
        let names = BbNames {
            frequency: names.0,
            recency: names.1,
            n_periods: names.2,
            weights: names.3,
        };
        let x = column(frequency, &names.frequency, "frequency")?;
        let tx = column(recency, &names.recency, "recency")?;
        let n = column(n_periods, &names.n_periods, "n_periods")?;
        let w = weights
            .map(|w| column(w, &names.weights, "weights"))
            .transpose()?;
        let mut cols = vec![&x, &tx, &n];
        cols.extend(w.as_ref());
        same_length(&cols)?;
        let bb = Bb { x, tx, n, w };
        btyd::check_bgbb(bb.data(), &names)?;
        Ok(bb)
    }

    fn data(&self) -> BbData<'_> {
        BbData {
            x: self.x.values(),
            tx: self.tx.values(),
            n: self.n.values(),
            w: self.w.as_ref().map(|w| &w.values()[..]),
        }
    }
}

/// The names of the BG/BB columns as Python passes them (weights: its column or None).
type BbColumnNames = (String, String, String, Option<String>);

fn bb_names(names: BbColumnNames) -> (String, String, String, String) {
    (
        names.0,
        names.1,
        names.2,
        names.3.unwrap_or_else(|| "weights".into()),
    )
}

/// Fits BG/BB: (params (alpha, beta, gamma, delta), log-likelihood, converged, iterations, covariance).
#[pyfunction]
#[pyo3(signature = (frequency, recency, n_periods, weights, *, names, penalizer=0.0, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn bgbb_fit(
    py: Python<'_>,
    frequency: PyArray,
    recency: PyArray,
    n_periods: PyArray,
    weights: Option<PyArray>,
    names: BbColumnNames,
    penalizer: f64,
    threads: Option<i64>,
) -> PyResult<FitOut<4>> {
    let bb = Bb::new(
        &frequency,
        &recency,
        &n_periods,
        weights.as_ref(),
        bb_names(names),
    )?;
    run(py, threads, |cancel| {
        Ok(fit_out(btyd::fit_bgbb(bb.data(), penalizer, cancel)?))
    })
}

/// Total BG/BB log-likelihood of the rows (each its weight times) at `params`.
#[pyfunction]
#[pyo3(signature = (params, frequency, recency, n_periods, weights, *, names))]
pub fn bgbb_log_likelihood(
    params: BbParams,
    frequency: PyArray,
    recency: PyArray,
    n_periods: PyArray,
    weights: Option<PyArray>,
    names: BbColumnNames,
) -> PyResult<f64> {
    let bb = Bb::new(
        &frequency,
        &recency,
        &n_periods,
        weights.as_ref(),
        bb_names(names),
    )?;
    Ok(btyd::bb_log_likelihood(&params, bb.data())?)
}

/// BG/BB P(alive at opportunity n + 1) per row.
#[pyfunction]
#[pyo3(signature = (params, frequency, recency, n_periods, *, names, threads=None))]
pub fn bgbb_p_alive<'py>(
    py: Python<'py>,
    params: BbParams,
    frequency: PyArray,
    recency: PyArray,
    n_periods: PyArray,
    names: BbColumnNames,
    threads: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let bb = Bb::new(&frequency, &recency, &n_periods, None, bb_names(names))?;
    let v = run(py, threads, |_| btyd::bb_p_alive(&params, bb.data()))?;
    out(py, v)
}

/// BG/BB expected transactions in the next `n_star` opportunities per row.
#[pyfunction]
#[pyo3(signature = (params, frequency, recency, n_periods, *, names, n_star, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn bgbb_conditional_expected<'py>(
    py: Python<'py>,
    params: BbParams,
    frequency: PyArray,
    recency: PyArray,
    n_periods: PyArray,
    names: BbColumnNames,
    n_star: f64,
    threads: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let bb = Bb::new(&frequency, &recency, &n_periods, None, bb_names(names))?;
    let v = run(py, threads, |_| {
        btyd::bb_conditional_expected(&params, bb.data(), n_star)
    })?;
    out(py, v)
}

/// BG/BB E[X(n)] of a new customer.
#[pyfunction]
pub fn bgbb_population_expected(params: BbParams, n: f64) -> PyResult<f64> {
    Ok(btyd::bb_population_expected(&params, n)?)
}

/// BG/BB P(X(n) = x) for x = 0..=n_max.
#[pyfunction]
pub fn bgbb_probability_of_purchases(params: BbParams, n: f64, n_max: usize) -> PyResult<Vec<f64>> {
    Ok(btyd::bb_probability_of_purchases(&params, n, n_max)?)
}
