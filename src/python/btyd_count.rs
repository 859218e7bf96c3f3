//! Bindings of the three count models of [`crate::btyd`] on the (frequency,
//! recency, T) summary (CLV4): BG/NBD, MBG/NBD (Batislam, Denizel and
//! Filiztekin 2007) and Pareto/NBD. They share their Python functions, one
//! model to a prefix: one macro, `count_model!`, writes the six of a model
//! from its core functions. The columns arrive and are checked as
//! [`super::btyd::Bg`] does; the work runs without the GIL and stops at
//! Ctrl-C ([`crate::python::runtime::run`]), but for the log-likelihood and
//! the population expectation (one number each).

use pyo3::prelude::*;
use pyo3_arrow::PyArray;

use super::btyd::{run_column, run_fit, Bg, BgColumnNames, FitOut};
use crate::btyd::{self, BgParams, MbgParams, PnParams};
use crate::cancel::Cancel;
use crate::error::Result;
use crate::python::runtime::run;

/// Writes the six Python functions of one count model: `fit`,
/// `log_likelihood`, `p_alive`, `conditional_expected`, `population_expected`
/// and `probability_of_purchases`, each `name = core function`; the last is
/// any `fn(&params, t, n_max, &Cancel) -> Result<Vec<f64>>` (a closure where
/// the core function takes no cancel). `model` and the parameter names
/// (`params: Type = "r, alpha, ..."`) and the source of the distribution
/// (`pmf_source`) go into the doc comments, Python's docstrings.
macro_rules! count_model {
    (
        model: $model:literal,
        params: $P:ty = $names:literal,
        pmf_source: $source:literal,
        fit: $fit:ident = $core_fit:path,
        log_likelihood: $ll:ident = $core_ll:path,
        p_alive: $p_alive:ident = $core_p_alive:path,
        conditional_expected: $cond:ident = $core_cond:path,
        population_expected: $pop:ident = $core_pop:path,
        probability_of_purchases: $pmf:ident = $core_pmf:expr $(,)?
    ) => {
        #[doc = concat!("Fits ", $model, ": (params (", $names,
                                    "), log-likelihood, converged, iterations, covariance).")]
        #[pyfunction]
        #[pyo3(signature = (frequency, recency, t, *, names, penalizer=0.0, threads=None))]
        pub fn $fit(
            py: Python<'_>,
            frequency: PyArray,
            recency: PyArray,
            t: PyArray,
            names: BgColumnNames,
            penalizer: f64,
            threads: Option<i64>,
        ) -> PyResult<FitOut<4>> {
            let bg = Bg::new(&frequency, &recency, &t, names)?;
            run_fit(py, threads, |cancel| {
                $core_fit(bg.checked()?, penalizer, cancel)
            })
        }

        #[doc = concat!("Total ", $model, " log-likelihood of the rows at `params`.")]
        #[pyfunction]
        #[pyo3(signature = (params, frequency, recency, t, *, names))]
        pub fn $ll(
            params: $P,
            frequency: PyArray,
            recency: PyArray,
            t: PyArray,
            names: BgColumnNames,
        ) -> PyResult<f64> {
            let bg = Bg::new(&frequency, &recency, &t, names)?;
            Ok($core_ll(&params, bg.checked()?)?)
        }

        #[doc = concat!($model, " P(alive) per row.")]
        #[pyfunction]
        #[pyo3(signature = (params, frequency, recency, t, *, names, threads=None))]
        pub fn $p_alive<'py>(
            py: Python<'py>,
            params: $P,
            frequency: PyArray,
            recency: PyArray,
            t: PyArray,
            names: BgColumnNames,
            threads: Option<i64>,
        ) -> PyResult<Bound<'py, PyAny>> {
            let bg = Bg::new(&frequency, &recency, &t, names)?;
            run_column(py, threads, |_| $core_p_alive(&params, bg.checked()?))
        }

        #[doc = concat!($model, " E[Y(horizon) | frequency, recency, T] per row.")]
        #[pyfunction]
        #[pyo3(signature = (params, frequency, recency, t, *, names, horizon, threads=None))]
        #[allow(clippy::too_many_arguments)]
        pub fn $cond<'py>(
            py: Python<'py>,
            params: $P,
            frequency: PyArray,
            recency: PyArray,
            t: PyArray,
            names: BgColumnNames,
            horizon: f64,
            threads: Option<i64>,
        ) -> PyResult<Bound<'py, PyAny>> {
            let bg = Bg::new(&frequency, &recency, &t, names)?;
            run_column(py, threads, |_| $core_cond(&params, bg.checked()?, horizon))
        }

        #[doc = concat!($model, " E[X(t)] of a new customer.")]
        #[pyfunction]
        pub fn $pop(params: $P, t: f64) -> PyResult<f64> {
            Ok($core_pop(&params, t)?)
        }

        #[doc = concat!($model, " P(X(t) = x) for x = 0..=n_max (", $source, ").")]
        #[pyfunction]
        #[pyo3(signature = (params, t, n_max, *, threads=None))]
        pub fn $pmf(
            py: Python<'_>,
            params: $P,
            t: f64,
            n_max: usize,
            threads: Option<i64>,
        ) -> PyResult<Vec<f64>> {
            let pmf: fn(&$P, f64, usize, &Cancel) -> Result<Vec<f64>> = $core_pmf;
            run(py, threads, |cancel| pmf(&params, t, n_max, cancel))
        }
    };
}

count_model! {
    model: "BG/NBD",
    params: BgParams = "r, alpha, a, b",
    pmf_source: "Fader, Hardie and Lee 2005, eq. 8",
    fit: bgnbd_fit = btyd::fit_bgnbd,
    log_likelihood: bgnbd_log_likelihood = btyd::bg_log_likelihood,
    p_alive: bgnbd_p_alive = btyd::bg_p_alive,
    conditional_expected: bgnbd_conditional_expected = btyd::bg_conditional_expected,
    population_expected: bgnbd_population_expected = btyd::bg_population_expected,
    probability_of_purchases: bgnbd_probability_of_purchases =
        |p, t, n_max, _| btyd::bg_probability_of_purchases(p, t, n_max),
}

count_model! {
    model: "MBG/NBD",
    params: MbgParams = "r, alpha, a, b",
    pmf_source: "Batislam, Denizel and Filiztekin 2007",
    fit: mbgnbd_fit = btyd::fit_mbgnbd,
    log_likelihood: mbgnbd_log_likelihood = btyd::mbg_log_likelihood,
    p_alive: mbgnbd_p_alive = btyd::mbg_p_alive,
    conditional_expected: mbgnbd_conditional_expected = btyd::mbg_conditional_expected,
    population_expected: mbgnbd_population_expected = btyd::mbg_population_expected,
    probability_of_purchases: mbgnbd_probability_of_purchases =
        |p, t, n_max, _| btyd::mbg_probability_of_purchases(p, t, n_max),
}

count_model! {
    model: "Pareto/NBD",
    params: PnParams = "r, alpha, s, beta",
    pmf_source: "Fader, Hardie and Lee 2006",
    fit: pareto_fit = btyd::fit_pareto_nbd,
    log_likelihood: pareto_log_likelihood = btyd::pn_log_likelihood,
    p_alive: pareto_p_alive = btyd::pn_p_alive,
    conditional_expected: pareto_conditional_expected = btyd::pn_conditional_expected,
    population_expected: pareto_population_expected = btyd::pn_population_expected,
    probability_of_purchases: pareto_probability_of_purchases = btyd::pn_probability_of_purchases,
}
