//! The Gamma-Gamma model (Fader, Hardie and Lee 2005, "RFM and CLV") of the
//! spend per purchase (CLV4): log-likelihood and gradient, fit, expected spend.

use rayon::prelude::*;

use super::fit::{covariance, minimise};
use super::{
    check_penalizer, chunked_sum, finite, fitted, gg_names, weighted_unique, Distinct, Fit,
};
use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::special::{digamma, ln_gamma};

/// Gamma-Gamma parameters (p, q, v).
pub type GgParams = [f64; 3];

/// The repeat rows (frequency > 0) of a Gamma-Gamma fit, each distinct
/// (x, m) once with its count, sorted (sums independent of row order, I5).
#[derive(Clone)]
pub(super) struct GgRows {
    pub(super) x: Vec<f64>,
    m: Vec<f64>,
    ln_m: Vec<f64>,
    w: Vec<f64>,
    distinct: Distinct,
}

impl GgRows {
    /// The repeat rows of the columns.
    pub(super) fn new(x: &[f64], m: &[f64]) -> GgRows {
        let (rows, w) = weighted_unique(
            x.iter()
                .zip(m)
                .filter(|(&f, _)| f > 0.0)
                .map(|(&f, &v)| [f, v]),
        );
        let x: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        let m: Vec<f64> = rows.iter().map(|r| r[1]).collect();
        GgRows {
            ln_m: m.iter().map(|v| v.ln()).collect(),
            distinct: Distinct::new(&x, Some(&w)),
            x,
            m,
            w,
        }
    }

    pub(super) fn customers(&self) -> f64 {
        self.w.iter().sum()
    }

    /// The same rows with money multiplied by `scale`.
    fn rescaled(mut self, scale: f64) -> GgRows {
        self.m.iter_mut().for_each(|v| *v *= scale);
        self.ln_m = self.m.iter().map(|v| v.ln()).collect();
        self
    }
}

/// Total Gamma-Gamma log-likelihood of the rows and its gradient with respect to (p, q, v).
pub(super) fn gg_loglik(params: &GgParams, rows: &GgRows) -> (f64, [f64; 3]) {
    let [p, q, v] = *params;
    let d = &rows.distinct;
    let mut total = [0.0; 3];
    let lq = ln_gamma(q);
    let dq = digamma(q);
    for (k, &xv) in d.values.iter().enumerate() {
        let px = p * xv;
        let n = d.counts[k];
        total[0] += n * (ln_gamma(px + q) - ln_gamma(px) - lq + px * xv.ln());
        total[1] += n * xv * (digamma(px + q) - digamma(px) + xv.ln());
        total[2] += n * (digamma(px + q) - dq);
    }
    let lv = v.ln();
    let sums = chunked_sum::<4>(rows.x.len(), |range| {
        let mut s = [0.0; 4];
        for i in range {
            let (xv, mv, lm, wi) = (rows.x[i], rows.m[i], rows.ln_m[i], rows.w[i]);
            let px = p * xv;
            let u = xv * mv + v;
            let lu = u.ln();
            s[0] += wi * (q * lv + (px - 1.0) * lm - (px + q) * lu);
            s[1] += wi * xv * (lm - lu);
            s[2] += wi * (lv - lu);
            s[3] += wi * (q / v - (px + q) / u);
        }
        s
    });
    (
        total[0] + sums[0],
        [total[1] + sums[1], total[2] + sums[2], sums[3]],
    )
}

/// Total Gamma-Gamma log-likelihood of the repeat rows at `params` (the columns must be checked).
/// A finite number, or an error naming the parameters (CLV4).
pub fn gg_log_likelihood(params: &GgParams, x: &[f64], m: &[f64]) -> Result<f64> {
    check_gg_positive(params)?;
    let ll = vec![gg_loglik(params, &GgRows::new(x, m)).0];
    Ok(finite(ll, "the log-likelihood", &gg_names(params))?[0])
}

/// Fits the Gamma-Gamma model on the repeat customers (CLV4). The columns must be checked ([`check_gamma_gamma`]).
pub fn fit_gamma_gamma(x: &[f64], m: &[f64], penalizer: f64, cancel: &Cancel) -> Result<Fit<3>> {
    check_penalizer(penalizer)?;
    let rows = GgRows::new(x, m);
    let n = rows.customers();
    if n == 0.0 {
        return Err(CoreError::Config(
            "no customer has a repeat purchase (frequency > 0): the Gamma-Gamma model has nothing to fit (CLV4)".into(),
        ));
    }
    // Money in units of the mean spend for the search (v near 1 at the start); the
    // mean is summed over the sorted rows, so it does not depend on the row order (I5).
    let sum: f64 = rows.m.iter().zip(&rows.w).map(|(m, w)| m * w).sum();
    let scale = n / sum;
    let scaled = rows.clone().rescaled(scale);
    let loglik = |p: &[f64; 3]| gg_loglik(p, &scaled);
    // The penalty uses v in the caller's money unit (v / scale).
    let weights = [1.0, 1.0, 1.0 / scale];
    let (mut params, converged, iterations) =
        minimise(&loglik, n as usize, penalizer, weights, cancel)?;
    params[2] /= scale;
    fitted("Gamma-Gamma", &gg_names(&params))?;
    drop(scaled);
    let log_likelihood = gg_loglik(&params, &rows).0;
    Ok(Fit {
        params,
        log_likelihood,
        converged: converged && log_likelihood.is_finite(),
        iterations,
        covariance: covariance(|p| gg_loglik(p, &rows).1, &params),
    })
}

/// The Gamma-Gamma parameters are finite and > 0 (the likelihood needs no more).
fn check_gg_positive(p: &GgParams) -> Result<()> {
    if p.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(CoreError::Config(format!(
            "Gamma-Gamma parameters must be finite and > 0, got p={}, q={}, v={} (CLV4)",
            p[0], p[1], p[2]
        )));
    }
    Ok(())
}

/// [`check_gg_positive`], and q > 1 for the expected spend.
pub(super) fn check_gg_params(p: &GgParams) -> Result<()> {
    check_gg_positive(p)?;
    if p[1] <= 1.0 {
        return Err(CoreError::Config(format!(
            "the Gamma-Gamma expected spend needs q > 1 (the population mean p v / (q - 1) is infinite otherwise), got q={} (CLV4)",
            p[1]
        )));
    }
    Ok(())
}

/// Expected spend per purchase of each customer: p (v + x m) / (p x + q - 1);
/// p v / (q - 1), the population mean, for customers without repeat purchases (CLV4).
pub fn gg_expected_spend(params: &GgParams, x: &[f64], m: &[f64]) -> Result<Vec<f64>> {
    check_gg_params(params)?;
    let [p, q, v] = *params;
    let spend = (0..x.len())
        .into_par_iter()
        .map(|i| {
            let xv = x[i];
            let xm = if xv > 0.0 { xv * m[i] } else { 0.0 };
            p * (v + xm) / (p * xv + q - 1.0)
        })
        .collect();
    finite(spend, "the expected spend", &gg_names(params))
}
