//! Predictive CLV (rule CLV4): the BTYD summary ([`summary`]), the BG/NBD model of purchase counts and
//! P(alive) (Fader, Hardie and Lee 2005) and the Gamma-Gamma model of spend
//! per purchase (Fader, Hardie and Lee 2005, "RFM and CLV"), fitted by
//! maximum likelihood on the (frequency, recency, T, monetary_value) summary.
//!
//! - Log-likelihoods in a stable form: the terms that depend on the frequency
//!   only (the gamma functions) are computed once per distinct frequency,
//!   the two branches of the BG/NBD likelihood are added by log-sum-exp.
//! - Parameters are optimised on the log scale (always positive) with BFGS
//!   and a More-Thuente line search (`argmin`), from analytic gradients; time
//!   (and money for Gamma-Gamma) is rescaled for the search, which moves the
//!   log-likelihood by a constant only, and the optimum is scaled back.
//! - Sums run in fixed chunks added in a fixed order: the fit does not depend
//!   on the number of threads (I5).

mod bgnbd;
mod clv;
mod fit;
mod gamma_gamma;
mod summary;
#[cfg(test)]
mod tests;

pub use bgnbd::{
    bg_conditional_expected, bg_log_likelihood, bg_p_alive, bg_population_expected, fit_bgnbd,
    BgData, BgParams,
};
pub use clv::{known_unit, predictive_clv, Clv, DAYS_PER_MONTH};
pub use gamma_gamma::{fit_gamma_gamma, gg_expected_spend, gg_log_likelihood, GgParams};
pub use summary::{check_no_orders, summary_columns, summary_fields, Unit};
mod bgnbd_pmf;
pub use bgnbd_pmf::{bg_probability_of_purchases, MAX_PURCHASES};
pub use summary::{calibration_holdout, discrete_fields, discrete_summary, Period};
mod bgbb;
#[cfg(test)]
mod bgbb_tests;
mod mbgnbd;
#[cfg(test)]
mod mbgnbd_tests;
pub use bgbb::{
    bb_conditional_expected, bb_log_likelihood, bb_p_alive, bb_population_expected,
    bb_probability_of_purchases, check_bgbb, fit_bgbb, BbData, BbNames, BbParams,
};
pub use mbgnbd::{
    fit_mbgnbd, mbg_conditional_expected, mbg_log_likelihood, mbg_p_alive, mbg_population_expected,
    mbg_probability_of_purchases, MbgParams,
};

use rayon::prelude::*;

use crate::error::{CoreError, Result};

/// Customers per chunk of the parallel sums (fixed, so sums do not depend on threads).
pub(super) const CHUNK: usize = 1 << 13;
/// Gradient norm (of the mean negative log-likelihood, on log parameters) below
/// which a fit counts as converged.
pub(super) const CONVERGED_GRAD: f64 = 1e-6;

/// The names of the summary columns, for error messages.
#[derive(Debug, Clone)]
pub struct Names {
    pub frequency: String,
    pub recency: String,
    pub t: String,
    pub monetary_value: String,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            frequency: "frequency".into(),
            recency: "recency".into(),
            t: "T".into(),
            monetary_value: "monetary_value".into(),
        }
    }
}

pub(super) fn invalid(column: &str, row: usize, reason: String) -> CoreError {
    CoreError::InvalidValue {
        column: column.to_string(),
        row: row as u64,
        reason,
        rule: "CLV4",
    }
}

/// CLV4: a prediction is a number or a clear error, never NaN handed back as
/// a result. The series behind BG/NBD's expectations can fail at extreme
/// parameters (terms that overflow before they shrink; found by the fuzzer
/// at r = 2568, alpha = a = b = 1): the first row whose `what` is not finite
/// is named with the parameters. `params` are `name=value` pairs.
pub(super) fn finite(values: Vec<f64>, what: &str, params: &[(&str, f64)]) -> Result<Vec<f64>> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(values),
        Some(i) => Err(CoreError::Config(format!(
            "{what} of row {i} is {} at {}: the model cannot be evaluated at these parameters \
             (outside the range where its series converge); refit with a penalizer or check the \
             parameters (CLV4)",
            values[i],
            pairs(params)
        ))),
    }
}

/// A fit's parameters, scaled back to the caller's units, are finite and > 0,
/// or the fit is an error naming them: a summary of extreme values (a
/// monetary value of 1e-319, found by the fuzzer) scales them out of range.
pub(super) fn fitted(model: &str, params: &[(&str, f64)]) -> Result<()> {
    if params.iter().all(|(_, v)| v.is_finite() && *v > 0.0) {
        return Ok(());
    }
    Err(CoreError::Config(format!(
        "the {model} fit ended at {}, not finite positive parameters: the summary's values \
         are too small or too large to fit (rescale the time unit or the money) (CLV4)",
        pairs(params)
    )))
}

/// `name=value, ...` for the messages of [`finite`] and [`fitted`].
fn pairs(params: &[(&str, f64)]) -> String {
    let text: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
    text.join(", ")
}

/// The BG/NBD parameters as `name=value` pairs for [`finite`].
pub(super) fn bg_names(p: &BgParams) -> [(&'static str, f64); 4] {
    [("r", p[0]), ("alpha", p[1]), ("a", p[2]), ("b", p[3])]
}

/// The Gamma-Gamma parameters as `name=value` pairs for [`finite`].
pub(super) fn gg_names(p: &GgParams) -> [(&'static str, f64); 3] {
    [("p", p[0]), ("q", p[1]), ("v", p[2])]
}

/// Checks a frequency column: finite whole numbers >= 0 (CLV4).
pub(super) fn check_frequency(x: &[f64], names: &Names) -> Result<()> {
    for (i, &v) in x.iter().enumerate() {
        if !v.is_finite() || v < 0.0 || v.fract() != 0.0 {
            return Err(invalid(
                &names.frequency,
                i,
                format!("frequency is {v}; it must be a whole number of repeat purchases >= 0"),
            ));
        }
    }
    Ok(())
}

/// Checks the BG/NBD columns: frequency a finite whole number >= 0, 0 <= recency <= T, all finite (CLV4).
pub fn check_bgnbd(x: &[f64], tx: &[f64], t: &[f64], names: &Names) -> Result<()> {
    check_frequency(x, names)?;
    for (i, (&r, &tt)) in tx.iter().zip(t).enumerate() {
        if !tt.is_finite() || tt < 0.0 {
            return Err(invalid(
                &names.t,
                i,
                format!("T is {tt}; it must be a finite age >= 0"),
            ));
        }
        if !r.is_finite() || r < 0.0 {
            return Err(invalid(
                &names.recency,
                i,
                format!("recency is {r}; it must be finite and >= 0"),
            ));
        }
        if r > tt {
            return Err(invalid(
                &names.recency,
                i,
                format!(
                    "recency {r} is greater than T {tt} ('{}'): the last purchase cannot come after the end of the calibration period",
                    names.t
                ),
            ));
        }
    }
    Ok(())
}

/// Checks the Gamma-Gamma columns: frequency a finite whole number >= 0; on the
/// rows with frequency > 0, monetary_value finite and > 0 (CLV4).
pub fn check_gamma_gamma(x: &[f64], m: &[f64], names: &Names) -> Result<()> {
    check_frequency(x, names)?;
    for (i, (&f, &v)) in x.iter().zip(m).enumerate() {
        if f > 0.0 && !(v.is_finite() && v > 0.0) {
            return Err(invalid(
                &names.monetary_value,
                i,
                format!(
                    "monetary_value is {v} for a repeat customer (frequency {f}); the Gamma-Gamma model needs a positive mean spend"
                ),
            ));
        }
    }
    Ok(())
}

/// Fitted parameters and how the fit went.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit<const N: usize> {
    pub params: [f64; N],
    /// Total log-likelihood of the fitted rows at `params` (unpenalised).
    pub log_likelihood: f64,
    pub converged: bool,
    /// BFGS iterations used (of a run stopped at the edge of the parameter
    /// space, its likelihood evaluations).
    pub iterations: u64,
    /// The covariance of the estimates: the inverse observed information of
    /// the summed, unpenalised log-likelihood at `params` (all NaN when it is
    /// not positive definite); its diagonal's square roots are the standard errors.
    pub covariance: [[f64; N]; N],
}

/// The distinct values of a column (in the order they first appear) and, per
/// row, the index of its own.
#[derive(Clone)]
pub(super) struct Distinct {
    pub(super) values: Vec<f64>,
    pub(super) counts: Vec<f64>,
    pub(super) index: Vec<u32>,
}

impl Distinct {
    /// Over rows of weight `w` (1 each when `None`).
    pub(super) fn new(x: &[f64], w: Option<&[f64]>) -> Distinct {
        Distinct::at_most(x, w, usize::MAX).expect("no limit")
    }

    /// As [`Distinct::new`], or `None` once there are more than `limit`
    /// distinct values (a table that would not pay off).
    pub(super) fn at_most(x: &[f64], w: Option<&[f64]>, limit: usize) -> Option<Distinct> {
        let mut slot = hashbrown::HashMap::<u64, u32>::new();
        let (mut values, mut counts) = (Vec::new(), Vec::new());
        let mut index = Vec::with_capacity(x.len());
        for (i, &v) in x.iter().enumerate() {
            let k = *slot.entry(v.to_bits()).or_insert_with(|| {
                values.push(v);
                counts.push(0.0);
                (values.len() - 1) as u32
            });
            if values.len() > limit {
                return None;
            }
            counts[k as usize] += w.map_or(1.0, |w| w[i]);
            index.push(k);
        }
        Some(Distinct {
            values,
            counts,
            index,
        })
    }
}

/// Adds per-chunk partial sums of width `W` in a fixed order.
pub(super) fn chunked_sum<const W: usize>(
    n: usize,
    f: impl Fn(std::ops::Range<usize>) -> [f64; W] + Sync,
) -> [f64; W] {
    let parts: Vec<[f64; W]> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| f(c * CHUNK..((c + 1) * CHUNK).min(n)))
        .collect();
    let mut total = [0.0; W];
    for p in parts {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// The distinct rows, sorted by their values' bits (the values are finite
/// and not negative, where that is their numeric order), each with its count:
/// identical rows are added once with their weight (summaries from daily data
/// repeat a lot), in an order that does not depend on the input's (I5).
pub(super) fn weighted_unique<const K: usize>(
    rows: impl Iterator<Item = [f64; K]>,
) -> (Vec<[f64; K]>, Vec<f64>) {
    let mut keys: Vec<[u64; K]> = rows.map(|r| r.map(f64::to_bits)).collect();
    keys.par_sort_unstable();
    let mut out: Vec<[f64; K]> = Vec::new();
    let mut w: Vec<f64> = Vec::new();
    for run in keys.chunk_by(|a, b| a == b) {
        out.push(run[0].map(f64::from_bits));
        w.push(run.len() as f64);
    }
    (out, w)
}

/// `f(x, tx, T)` of every row of a summary, evaluated once per distinct row
/// (in parallel) when rows repeat, as in summaries of dated transactions
/// (about 3 in 10 rows distinct at 1M customers); per row when most rows are
/// distinct (continuous times), where the table would not pay off. The
/// values do not depend on the row order (I5).
pub(super) fn per_distinct_row(
    x: &[f64],
    tx: &[f64],
    t: &[f64],
    f: impl Fn(f64, f64, f64) -> f64 + Sync,
) -> Vec<f64> {
    let n = x.len();
    let mut slot = hashbrown::HashMap::<[u64; 3], u32>::new();
    let mut rows: Vec<[f64; 3]> = Vec::new();
    let mut group: Vec<u32> = Vec::with_capacity(n);
    for i in 0..n {
        let row = [x[i], tx[i], t[i]];
        let k = *slot.entry(row.map(f64::to_bits)).or_insert_with(|| {
            rows.push(row);
            (rows.len() - 1) as u32
        });
        if rows.len() > n / 2 {
            return (0..n)
                .into_par_iter()
                .map(|i| f(x[i], tx[i], t[i]))
                .collect();
        }
        group.push(k);
    }
    let values: Vec<f64> = rows.par_iter().map(|&[x, tx, t]| f(x, tx, t)).collect();
    group.par_iter().map(|&g| values[g as usize]).collect()
}

pub(super) fn check_penalizer(penalizer: f64) -> Result<()> {
    if !(penalizer.is_finite() && penalizer >= 0.0) {
        return Err(CoreError::Config(format!(
            "penalizer must be a finite number >= 0, got {penalizer} (CLV4)"
        )));
    }
    Ok(())
}

mod pareto_nbd;
#[cfg(test)]
mod pareto_nbd_tests;
pub use pareto_nbd::{
    fit_pareto_nbd, pn_conditional_expected, pn_log_likelihood, pn_p_alive, pn_population_expected,
    pn_probability_of_purchases, PnParams, PN_MAX_PURCHASES,
};
