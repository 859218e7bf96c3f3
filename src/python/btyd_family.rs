//! Bindings of the BG/BB model of [`crate::btyd`] (Fader, Hardie and Shang
//! 2010; CLV4) on a discrete-time summary; the count models on (frequency,
//! recency, T) are in [`super::btyd_count`]. Columns arrive as Arrow float64
//! arrays (the Python layer casts them); results go back as pyarrow arrays.

use arrow_array::Float64Array;
use pyo3::prelude::*;
use pyo3_arrow::PyArray;

use super::btyd::{column, run_column, run_fit, same_length, FitOut};
use crate::btyd::{self, BbData, BbNames, BbParams};
use crate::error::Result;

/// The BG/BB columns (x, t_x, n and the optional weights), checked (CLV4).
struct Bb {
    x: Float64Array,
    tx: Float64Array,
    n: Float64Array,
    w: Option<Float64Array>,
}

/// The names of the BG/BB columns as Python passes them (weights: its column or None).
type BbColumnNames = (String, String, String, Option<String>);

impl Bb {
    /// `names`: of the frequency, recency, n_periods and weights columns.
    fn new(
        frequency: &PyArray,
        recency: &PyArray,
        n_periods: &PyArray,
        weights: Option<&PyArray>,
        names: BbColumnNames,
    ) -> Result<Bb> {
        let names = BbNames {
            frequency: names.0,
            recency: names.1,
            n_periods: names.2,
            weights: names.3.unwrap_or_else(|| "weights".into()),
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
    let bb = Bb::new(&frequency, &recency, &n_periods, weights.as_ref(), names)?;
    run_fit(py, threads, |cancel| {
        btyd::fit_bgbb(bb.data(), penalizer, cancel)
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
    let bb = Bb::new(&frequency, &recency, &n_periods, weights.as_ref(), names)?;
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
    let bb = Bb::new(&frequency, &recency, &n_periods, None, names)?;
    run_column(py, threads, |_| btyd::bb_p_alive(&params, bb.data()))
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
    let bb = Bb::new(&frequency, &recency, &n_periods, None, names)?;
    run_column(py, threads, |_| {
        btyd::bb_conditional_expected(&params, bb.data(), n_star)
    })
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
