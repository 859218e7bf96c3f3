//! Bindings of the Pareto/NBD model of [`crate::btyd`] (CLV4): fit,
//! log-likelihood, P(alive), expectations and P(X(t) = x). The summary
//! columns arrive and are checked as for BG/NBD ([`super::btyd::Bg`]).

use pyo3::prelude::*;
use pyo3_arrow::PyArray;

use super::btyd::{fit_out, out, Bg, FitOut};
use crate::btyd::{self, PnParams};
use crate::python::runtime::run;

/// Fits Pareto/NBD: (params (r, alpha, s, beta), log-likelihood, converged, iterations, covariance).
#[pyfunction]
#[pyo3(signature = (frequency, recency, t, *, names, penalizer=0.0, threads=None))]
pub fn pareto_fit(
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
        let f = btyd::fit_pareto_nbd(bg.data(), penalizer, cancel)?;
        Ok(fit_out(f))
    })
}

/// Total Pareto/NBD log-likelihood of the rows at `params`.
#[pyfunction]
#[pyo3(signature = (params, frequency, recency, t, *, names))]
pub fn pareto_log_likelihood(
    params: PnParams,
    frequency: PyArray,
    recency: PyArray,
    t: PyArray,
    names: (String, String, String),
) -> PyResult<f64> {
    let bg = Bg::new(&frequency, &recency, &t, names)?;
    bg.check()?;
    Ok(btyd::pn_log_likelihood(&params, bg.data())?)
}

/// P(alive) per row.
#[pyfunction]
#[pyo3(signature = (params, frequency, recency, t, *, names, threads=None))]
pub fn pareto_p_alive<'py>(
    py: Python<'py>,
    params: PnParams,
    frequency: PyArray,
    recency: PyArray,
    t: PyArray,
    names: (String, String, String),
    threads: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let bg = Bg::new(&frequency, &recency, &t, names)?;
    let v = run(py, threads, |_| {
        bg.check()?;
        btyd::pn_p_alive(&params, bg.data())
    })?;
    out(py, v)
}

/// E[Y(horizon) | frequency, recency, T] per row.
#[pyfunction]
#[pyo3(signature = (params, frequency, recency, t, *, names, horizon, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn pareto_conditional_expected<'py>(
    py: Python<'py>,
    params: PnParams,
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
        btyd::pn_conditional_expected(&params, bg.data(), horizon)
    })?;
    out(py, v)
}

/// E[X(t)] of a new customer.
#[pyfunction]
pub fn pareto_population_expected(params: PnParams, t: f64) -> PyResult<f64> {
    Ok(btyd::pn_population_expected(&params, t)?)
}

/// P(X(t) = x) for x = 0..=n_max (Fader, Hardie and Lee 2006).
#[pyfunction]
#[pyo3(signature = (params, t, n_max, *, threads=None))]
pub fn pareto_probability_of_purchases(
    py: Python<'_>,
    params: PnParams,
    t: f64,
    n_max: usize,
    threads: Option<i64>,
) -> PyResult<Vec<f64>> {
    run(py, threads, |cancel| {
        btyd::pn_probability_of_purchases(&params, t, n_max, cancel)
    })
}
