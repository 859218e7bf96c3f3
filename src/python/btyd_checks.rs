//! Bindings of what the BTYD model checks need from the core (CLV4): the
//! distribution of the number of repeat purchases, P(X(t) = x).

use pyo3::prelude::*;

use crate::btyd::{self, BgParams};

/// P(X(t) = x) for x = 0..=n_max under BG/NBD (Fader, Hardie and Lee 2005, eq. 8).
#[pyfunction]
pub fn bgnbd_probability_of_purchases(
    params: BgParams,
    t: f64,
    n_max: usize,
) -> PyResult<Vec<f64>> {
    Ok(btyd::bg_probability_of_purchases(&params, t, n_max)?)
}
