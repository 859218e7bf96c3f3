//! The binding layer (the `python` feature): every `use pyo3` of the crate
//! lives under this module (house style, practice 1). Each file binds one
//! part of the core: [`segment`] the segmentations, [`history`] their history (CV8), [`analyses`] the
//! profile, concentration and playbook, [`btyd`], [`btyd_count`] and [`btyd_family`] the BTYD models, [`distributed`] the stages of a run in pieces (Spark),
//! [`periods`] the calendars, [`tables`] the label tables, [`synthetic`] the
//! generator; [`errors`] maps the core's errors to exception classes,
//! [`runtime`] runs the core without the GIL, [`output`] hands results back.

pub mod analyses;
pub mod btyd;
pub mod btyd_count;
pub mod btyd_family;
pub mod distributed;
pub mod errors;
pub mod history;
pub mod output;
pub mod periods;
pub mod runtime;
pub mod segment;
pub mod summary;
pub mod synthetic;
pub mod tables;

use pyo3::prelude::*;

/// The compiled module `custseg._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "BUILD_PROFILE",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    )?;
    m.add("CV_GROUPS", crate::customer_value::GROUPS.to_vec())?;
    m.add("CV_SEGMENTS", crate::customer_value::SEGMENTS.to_vec())?;
    m.add_class::<periods::PyPeriods>()?;
    m.add("RFM_RULES", rfm_rules())?;
    m.add("CLV_TIERS", crate::clv::TIERS.to_vec())?;
    m.add("CLV_QUADRANTS", crate::clv::QUADRANTS.to_vec())?;
    m.add(
        "CLV_TENURE_QUADRANTS",
        crate::clv::TENURE_QUADRANTS.to_vec(),
    )?;
    m.add_function(wrap_pyfunction!(segment::segment_py, m)?)?;
    m.add_function(wrap_pyfunction!(history::history_py, m)?)?;
    m.add_class::<history::PyHistory>()?;
    m.add_function(wrap_pyfunction!(synthetic::synthetic_py, m)?)?;
    m.add_function(wrap_pyfunction!(distributed::piece_days, m)?)?;
    m.add_function(wrap_pyfunction!(distributed::piece_facts, m)?)?;
    m.add_function(wrap_pyfunction!(distributed::piece_history_facts, m)?)?;
    m.add_function(wrap_pyfunction!(distributed::history_bounds, m)?)?;
    m.add_function(wrap_pyfunction!(distributed::piece_keys, m)?)?;
    m.add_function(wrap_pyfunction!(distributed::piece_labels, m)?)?;
    m.add_function(wrap_pyfunction!(distributed::pieces_wanted, m)?)?;
    m.add_function(wrap_pyfunction!(distributed::resolve_as_of, m)?)?;
    m.add_function(wrap_pyfunction!(distributed::default_lifetime, m)?)?;
    m.add_function(wrap_pyfunction!(distributed::churn_counts, m)?)?;
    m.add_function(wrap_pyfunction!(tables::crosstab, m)?)?;
    m.add_function(wrap_pyfunction!(tables::summary, m)?)?;
    m.add_function(wrap_pyfunction!(analyses::profile, m)?)?;
    m.add_function(wrap_pyfunction!(analyses::concentration, m)?)?;
    m.add_function(wrap_pyfunction!(analyses::playbook, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_count::bgnbd_fit, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_count::bgnbd_log_likelihood, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_count::bgnbd_p_alive, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_count::bgnbd_conditional_expected, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_count::bgnbd_population_expected, m)?)?;
    m.add_function(wrap_pyfunction!(
        btyd_count::bgnbd_probability_of_purchases,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(btyd_count::mbgnbd_fit, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_count::mbgnbd_log_likelihood, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_count::mbgnbd_p_alive, m)?)?;
    m.add_function(wrap_pyfunction!(
        btyd_count::mbgnbd_conditional_expected,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(btyd_count::mbgnbd_population_expected, m)?)?;
    m.add_function(wrap_pyfunction!(
        btyd_count::mbgnbd_probability_of_purchases,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(btyd_count::pareto_fit, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_count::pareto_log_likelihood, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_count::pareto_p_alive, m)?)?;
    m.add_function(wrap_pyfunction!(
        btyd_count::pareto_conditional_expected,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(btyd_count::pareto_population_expected, m)?)?;
    m.add_function(wrap_pyfunction!(
        btyd_count::pareto_probability_of_purchases,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(btyd::gg_fit, m)?)?;
    m.add_function(wrap_pyfunction!(btyd::gg_log_likelihood, m)?)?;
    m.add_function(wrap_pyfunction!(btyd::gg_expected_spend, m)?)?;
    m.add_function(wrap_pyfunction!(btyd::predictive_clv, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_family::bgbb_fit, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_family::bgbb_log_likelihood, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_family::bgbb_p_alive, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_family::bgbb_conditional_expected, m)?)?;
    m.add_function(wrap_pyfunction!(btyd_family::bgbb_population_expected, m)?)?;
    m.add_function(wrap_pyfunction!(
        btyd_family::bgbb_probability_of_purchases,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(summary::discrete_summary, m)?)?;
    m.add_function(wrap_pyfunction!(summary::calibration_holdout, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_after_fork_in_child, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_internal_error_for_tests, m)?)?;
    errors::register(m)?;
    Ok(())
}

/// The default RFM rules table (R3) as (name, r_lo, r_hi, f_lo, f_hi, m_lo, m_hi).
fn rfm_rules() -> Vec<(String, u8, u8, u8, u8, u8, u8)> {
    crate::rfm::default_rules()
        .into_iter()
        .map(|r| (r.name, r.r.0, r.r.1, r.f.0, r.f.1, r.m.0, r.m.1))
        .collect()
}
