//! The MBG/NBD model (CLV4): Batislam, Denizel and Filiztekin (2007),
//! "Empirical validation and comparison of models for customer base
//! analysis", with the erratum of Wagner and Hoppe (2008), in the form
//! `lifetimes`' `ModifiedBetaGeoFitter` implements.
//!
//! BG/NBD (Fader, Hardie and Lee 2005) but a customer may also drop out at
//! time 0, before any repeat purchase: while alive they buy at rate
//! lambda ~ Gamma(r, alpha); at time 0 and after each purchase they drop out
//! with probability p ~ Beta(a, b). So a customer without repeat purchases
//! may be dead too (P(alive) < 1 at x = 0), and the likelihood has the
//! dropout term for every x:
//!
//! L = B(a, b + x + 1) / B(a, b) Gamma(r + x) alpha^r / Gamma(r)
//!     [(alpha + T)^-(r+x) + a / (b + x) (alpha + tx)^-(r+x)].
//!
//! Being alive after x purchases takes x + 1 survivals, not x: every BG/NBD
//! expression conditional on being alive holds with b + 1 in place of b,
//! which lets the predictions reuse the stable BG/NBD series
//! ([`bg_numerators`]).

use rayon::prelude::*;

use super::bgnbd::{bg_numerators, per_x_t, BgRows};
use super::fit::{fit_time_model, TimeModel};
use super::{bg_names, chunked_sum, finite, BgData, Distinct, Fit};
use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::special::{digamma, ln_gamma};

/// MBG/NBD parameters (r, alpha, a, b).
pub type MbgParams = [f64; 4];

/// Most purchase counts `mbg_probability_of_purchases` gives at once (a
/// table of a million probabilities is far beyond any use; more would only
/// allocate).
pub const MAX_PMF_TERMS: usize = 1_000_000;

/// Total log-likelihood of the rows and its gradient with respect to (r, alpha, a, b).
///
/// Per row, ln L = A1 + A2 + ln(e^A3 + e^A4) with A1 = ln Gamma(r + x) -
/// ln Gamma(r) + r ln alpha, A2 = ln B(a, b + x + 1) - ln B(a, b),
/// A3 = -(r + x) ln(alpha + T) and A4 = ln a - ln(b + x) - (r + x) ln(alpha + tx):
/// the two branches (alive at T, or dropped out after the last purchase) are
/// added by log-sum-exp, A4 for x = 0 too (the dropout at time 0).
pub(super) fn mbg_loglik(p: &MbgParams, rows: &BgRows) -> (f64, [f64; 4]) {
    let [r, alpha, a, b] = *p;
    let distinct = &rows.distinct;
    // Per distinct frequency: A1 + A2, their gradient, and the constant of A4.
    let per_x: Vec<([f64; 5], f64)> = distinct
        .values
        .iter()
        .map(|&x| {
            let c = ln_gamma(r + x) - ln_gamma(r)
                + r * alpha.ln()
                + ln_gamma(a + b)
                + ln_gamma(b + x + 1.0)
                - ln_gamma(b)
                - ln_gamma(a + b + x + 1.0);
            let dr = digamma(r + x) - digamma(r) + alpha.ln();
            let dalpha = r / alpha;
            let da = digamma(a + b) - digamma(a + b + x + 1.0);
            let db = digamma(a + b) + digamma(b + x + 1.0) - digamma(b) - digamma(a + b + x + 1.0);
            ([c, dr, dalpha, da, db], a.ln() - (b + x).ln())
        })
        .collect();
    let mut total = [0.0; 5];
    for (k, (g, _)) in per_x.iter().enumerate() {
        for (t, v) in total.iter_mut().zip(g) {
            *t += distinct.counts[k] * v;
        }
    }
    // ln(alpha + u) and 1 / (alpha + u) once per distinct T and recency when they are few.
    let table = |d: &Option<Distinct>| -> Option<Vec<(f64, f64)>> {
        d.as_ref().map(|d| {
            d.values
                .iter()
                .map(|&u| ((alpha + u).ln(), 1.0 / (alpha + u)))
                .collect()
        })
    };
    let (at, atx) = (table(&rows.ts), table(&rows.txs));
    let look =
        |tab: &Option<Vec<(f64, f64)>>, d: &Option<Distinct>, u: &[f64], i: usize| match (tab, d) {
            (Some(tab), Some(d)) => tab[d.index[i] as usize],
            _ => ((alpha + u[i]).ln(), 1.0 / (alpha + u[i])),
        };
    let sums = chunked_sum::<5>(rows.x.len(), |range| {
        let mut s = [0.0; 5];
        for i in range {
            let (x, wi) = (rows.x[i], rows.w[i]);
            let rx = r + x;
            let (l_t, i_t) = look(&at, &rows.ts, &rows.t, i);
            let (l_tx, i_tx) = look(&atx, &rows.txs, &rows.tx, i);
            let a3 = -rx * l_t;
            let a4 = per_x[distinct.index[i] as usize].1 - rx * l_tx;
            // log(e^a3 + e^a4) = hi + ln(1 + e^(lo - hi)), and the two branches' weights.
            let e = (a3.min(a4) - a3.max(a4)).exp();
            let (w_hi, w_lo) = (1.0 / (1.0 + e), e / (1.0 + e));
            let (w3, w4) = if a3 >= a4 { (w_hi, w_lo) } else { (w_lo, w_hi) };
            s[0] += wi * (a3.max(a4) + (1.0 + e).ln());
            s[1] -= wi * (w3 * l_t + w4 * l_tx);
            s[2] -= wi * rx * (w3 * i_t + w4 * i_tx);
            s[3] += wi * w4 / a;
            s[4] -= wi * w4 / (b + x);
        }
        s
    });
    let ll = total[0] + sums[0];
    let grad = [
        total[1] + sums[1],
        total[2] + sums[2],
        total[3] + sums[3],
        total[4] + sums[4],
    ];
    (ll, grad)
}

/// The MBG/NBD parameters as `name=value` pairs for error messages (the BG/NBD names).
fn names(p: &MbgParams) -> [(&'static str, f64); 4] {
    bg_names(p)
}

pub(super) fn check_mbg_params(p: &MbgParams) -> Result<()> {
    if p.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(CoreError::Config(format!(
            "MBG/NBD parameters must be finite and > 0, got r={}, alpha={}, a={}, b={} (CLV4)",
            p[0], p[1], p[2], p[3]
        )));
    }
    Ok(())
}

/// Total MBG/NBD log-likelihood of the rows at `p` (the columns must be
/// checked with [`super::check_bgnbd`]): a finite number, or an error naming
/// the parameters (CLV4).
pub fn mbg_log_likelihood(p: &MbgParams, d: BgData<'_>) -> Result<f64> {
    check_mbg_params(p)?;
    let ll = vec![mbg_loglik(p, &BgRows::new(d)).0];
    Ok(finite(ll, "the log-likelihood", &names(p))?[0])
}

/// Fits the MBG/NBD model by maximum likelihood (CLV4), as [`super::fit_bgnbd`]
/// does BG/NBD: log parameters, BFGS from analytic gradients, identical rows
/// once with their count, time rescaled for the search. The columns must be
/// checked ([`super::check_bgnbd`]).
pub fn fit_mbgnbd(d: BgData<'_>, penalizer: f64, cancel: &Cancel) -> Result<Fit<4>> {
    // Without repeat purchases the likelihood rises towards 1 as a / b grows (every
    // customer dropped out at time 0): no maximum to find.
    let model = TimeModel {
        model: "MBG/NBD",
        needs_repeat: "the MBG/NBD parameters cannot be estimated",
        time_params: &[1],
        rows: BgRows::new,
        rescaled: BgRows::rescaled,
        loglik: mbg_loglik,
        names,
    };
    fit_time_model(&model, d, penalizer, cancel)
}

/// The odds of having dropped out: a / (b + x) ((alpha + T) / (alpha + tx))^(r + x),
/// for x = 0 too (Batislam et al. 2007, appendix A, eq. 5).
fn mbg_odds(p: &MbgParams, x: f64, tx: f64, t_cal: f64) -> f64 {
    let [r, alpha, a, b] = *p;
    a / (b + x) * ((r + x) * ((alpha + t_cal).ln() - (alpha + tx).ln())).exp()
}

/// P(alive) of each customer at the end of the calibration: 1 / (1 + odds) (CLV4).
pub fn mbg_p_alive(p: &MbgParams, d: BgData<'_>) -> Result<Vec<f64>> {
    check_mbg_params(p)?;
    let alive = (0..d.x.len())
        .into_par_iter()
        .map(|i| 1.0 / (1.0 + mbg_odds(p, d.x[i], d.tx[i], d.t[i])))
        .collect();
    finite(alive, "P(alive)", &names(p))
}

/// The BG/NBD parameters whose conditional expressions are MBG/NBD's: b + 1
/// (alive after x purchases is x + 1 survivals, the posterior of p is Beta(a, b + x + 1)).
fn shifted(p: &MbgParams) -> MbgParams {
    [p[0], p[1], p[2], p[3] + 1.0]
}

fn check_t(t: f64) -> Result<()> {
    if !(t.is_finite() && t >= 0.0) {
        return Err(CoreError::Config(format!(
            "t must be a finite number >= 0, got {t} (CLV4)"
        )));
    }
    Ok(())
}

/// E[Y(t) | x, tx, T] of each customer (CLV4):
/// (a + b + x) / (a - 1) [1 - ((alpha + T) / (alpha + T + t))^(r + x)
/// 2F1(r + x, b + x + 1; a + b + x; t / (alpha + T + t))] / (1 + odds),
/// the BG/NBD numerator at b + 1 ([`bg_numerators`], Euler's transformation:
/// no cancellation near a = 1, fast for large frequencies).
pub fn mbg_conditional_expected(p: &MbgParams, d: BgData<'_>, t: f64) -> Result<Vec<f64>> {
    check_mbg_params(p)?;
    check_t(t)?;
    let q = shifted(p);
    let (nums, group) = per_x_t(d, |x, tc| {
        let mut n = [0.0];
        bg_numerators(&q, x, tc, &[t], &mut n);
        n[0]
    });
    let expected = (0..d.x.len())
        .into_par_iter()
        .map(|i| nums[group[i] as usize] / (1.0 + mbg_odds(p, d.x[i], d.tx[i], d.t[i])))
        .collect();
    finite(
        expected,
        "the conditional expected purchases",
        &[&names(p)[..], &[("t", t)]].concat(),
    )
}

/// E[X(t)]: expected repeat purchases of a new customer in `t` time units (CLV4):
/// b / (a - 1) [1 - (alpha / (alpha + t))^r 2F1(r, b + 1; a + b; t / (alpha + t))],
/// which is b / (a + b) (alive after time 0) times the BG/NBD numerator at b + 1, x = T = 0.
pub fn mbg_population_expected(p: &MbgParams, t: f64) -> Result<f64> {
    check_mbg_params(p)?;
    check_t(t)?;
    let [_, _, a, b] = *p;
    let mut n = [0.0];
    bg_numerators(&shifted(p), 0.0, 0.0, &[t], &mut n);
    let e = vec![b / (a + b) * n[0]];
    Ok(finite(
        e,
        "the expected purchases of a new customer",
        &[&names(p)[..], &[("t", t)]].concat(),
    )?[0])
}

/// P(X(t) = x) for x = 0..=n_max: the probability that a new customer makes
/// exactly x repeat purchases in `t` time units (CLV4). Given lambda and p,
/// either the customer is alive after x purchases (x + 1 survivals) and the
/// Poisson count is x, or they dropped out after the x-th (at time 0 when
/// x = 0) and the count reached x:
///
/// P(X(t) = x) = B(a, b + x + 1) / B(a, b) NB(x) + B(a + 1, b + x) / B(a, b) P(N >= x),
///
/// NB the negative binomial mixture of the Poisson counts,
/// Gamma(r + x) / (Gamma(r) x!) q^r (1 - q)^x with q = alpha / (alpha + t)
/// (Batislam et al. 2007; `lifetimes`' `probability_of_n_purchases_up_to_time`).
/// NB in log space; the tail P(N >= x) is 1 - P(N < x) while that is at
/// least one half, else summed upwards (no cancellation).
pub fn mbg_probability_of_purchases(p: &MbgParams, t: f64, n_max: usize) -> Result<Vec<f64>> {
    check_mbg_params(p)?;
    check_t(t)?;
    if n_max >= MAX_PMF_TERMS {
        return Err(CoreError::Config(format!(
            "n_max must be below {MAX_PMF_TERMS}, got {n_max} (CLV4)"
        )));
    }
    let [r, alpha, a, b] = *p;
    let (ln_q, ln_1q) = ((alpha / (alpha + t)).ln(), (t / (alpha + t)).ln());
    let ln_nb = |j: f64| ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + r * ln_q + j * ln_1q;
    let nb: Vec<f64> = (0..=n_max)
        .map(|j| {
            if t == 0.0 {
                f64::from(u8::from(j == 0))
            } else {
                ln_nb(j as f64).exp()
            }
        })
        .collect();
    let upper = nb_upper_tails(&nb, |j| ln_nb(j).exp(), r, t / (alpha + t));
    // B(a, b + x + 1) / B(a, b) and B(a + 1, b + x) / B(a, b) by their ratios in x
    // (products of numbers below 1, no cancellation); the sum of the two branches is
    // a probability, kept at most 1 against the last bit's rounding.
    let (mut alive, mut dropped) = (b / (a + b), a / (a + b));
    let mut pmf = Vec::with_capacity(n_max + 1);
    for k in 0..=n_max {
        let x = k as f64;
        if k > 0 {
            alive *= (b + x) / (a + b + x);
            dropped *= (b + x - 1.0) / (a + b + x);
        }
        pmf.push((alive * nb[k] + dropped * upper[k]).min(1.0));
    }
    finite(
        pmf,
        "the probability of purchases",
        &[&names(p)[..], &[("t", t)]].concat(),
    )
}

/// P(N >= x) for x = 0..nb.len() of a negative binomial count of shape `r`
/// and `1 - q` = `s` whose probabilities up to `nb.len() - 1` are `nb` (and
/// `term(j)` beyond): 1 - P(N < x) where P(N < x) <= 1/2 (no cancellation),
/// else the sum of the terms from x upwards (all positive), the last one's
/// series summed by [`series_tail`].
fn nb_upper_tails(nb: &[f64], term: impl Fn(f64) -> f64, r: f64, s: f64) -> Vec<f64> {
    let n = nb.len();
    let mut lower = vec![0.0; n]; // lower[x] = P(N < x)
    for x in 1..n {
        lower[x] = lower[x - 1] + nb[x - 1];
    }
    let mut upper = vec![0.0; n];
    let last = n - 1;
    upper[last] = if lower[last] <= 0.5 {
        1.0 - lower[last]
    } else {
        series_tail(nb[last], &term, last as f64, r, s)
    };
    for x in (0..last).rev() {
        upper[x] = if lower[x] <= 0.5 {
            1.0 - lower[x]
        } else {
            upper[x + 1] + nb[x]
        };
    }
    upper
}

/// sum_{j >= j0} NB(j), from NB(j0) = `first`: the ratio of successive terms is
/// s (r + j) / (j + 1), which tends to s < 1 from above when r > 1 (decreasing)
/// and from below when r < 1, so the rest after a term is at most
/// term rho / (1 - rho) with rho = max(ratio, s): summing stops once that is
/// below the sum's last digit. NaN if it has not after a million terms.
fn series_tail(first: f64, term: impl Fn(f64) -> f64, j0: f64, r: f64, s: f64) -> f64 {
    if s <= 0.0 {
        return if j0 == 0.0 { 1.0 } else { 0.0 };
    }
    let mut sum = first;
    let mut cur = first;
    for k in 0..1_000_000u32 {
        let j = j0 + f64::from(k);
        let ratio = s * (r + j) / (j + 1.0);
        let rho = ratio.max(s);
        if rho < 1.0 && cur * rho / (1.0 - rho) <= 1e-17 * sum {
            return sum;
        }
        // Every 64 terms from the log-space term itself, not the running product,
        // so the product's rounding does not pile up over long series.
        cur = if k % 64 == 63 {
            term(j + 1.0)
        } else {
            cur * ratio
        };
        sum += cur;
    }
    f64::NAN
}
