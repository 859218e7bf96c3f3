//! The BG/NBD model (Fader, Hardie and Lee 2005) of repeat purchases and
//! P(alive) (CLV4): log-likelihood and gradient, fit, predictions.

use rayon::prelude::*;

use super::fit::{fit_time_model, TimeModel};
use super::{bg_names, chunked_sum, finite, weighted_unique, Distinct, Fit};
use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::special::{digamma, hyp2f1_dm1_c_many, ln_gamma};

/// BG/NBD parameters (r, alpha, a, b).
pub type BgParams = [f64; 4];

/// The BG/NBD summary columns, borrowed.
#[derive(Clone, Copy)]
pub struct BgData<'a> {
    pub x: &'a [f64],
    pub tx: &'a [f64],
    pub t: &'a [f64],
}

/// Total log-likelihood of the rows and its gradient with respect to (r, alpha, a, b).
pub(super) fn bg_loglik(p: &BgParams, rows: &BgRows) -> (f64, [f64; 4]) {
    let [r, alpha, a, b] = *p;
    let distinct = &rows.distinct;
    // Per distinct frequency: A1 + A2, their gradient, and the constant of A4.
    let per_x: Vec<([f64; 5], f64)> = distinct
        .values
        .iter()
        .map(|&x| {
            let c =
                ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) + ln_gamma(b + x)
                    - ln_gamma(b)
                    - ln_gamma(a + b + x);
            let dr = digamma(r + x) - digamma(r) + alpha.ln();
            let dalpha = r / alpha;
            let da = digamma(a + b) - digamma(a + b + x);
            let db = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x);
            let a4 = if x > 0.0 {
                a.ln() - (b + x - 1.0).ln()
            } else {
                f64::NAN
            };
            ([c, dr, dalpha, da, db], a4)
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
            let x = rows.x[i];
            let wi = rows.w[i];
            let rx = r + x;
            let (l_t, i_t) = look(&at, &rows.ts, &rows.t, i);
            let a3 = -rx * l_t;
            if x == 0.0 {
                s[0] += wi * a3;
                s[1] -= wi * l_t;
                s[2] -= wi * rx * i_t;
                continue;
            }
            let (l_tx, i_tx) = look(&atx, &rows.txs, &rows.tx, i);
            let a4 = per_x[distinct.index[i] as usize].1 - rx * l_tx;
            // log(e^a3 + e^a4) = hi + ln(1 + e^(lo - hi)), and the two branches' weights.
            let e = (a3.min(a4) - a3.max(a4)).exp();
            let (w_hi, w_lo) = (1.0 / (1.0 + e), e / (1.0 + e));
            let (w3, w4) = if a3 >= a4 { (w_hi, w_lo) } else { (w_lo, w_hi) };
            // ln(1 + e), not ln_1p (several times slower in glibc): e <= 1 and the result is
            // added to a3.max(a4), so the absolute error stays at the last bit of that sum.
            s[0] += wi * (a3.max(a4) + (1.0 + e).ln());
            s[1] -= wi * (w3 * l_t + w4 * l_tx);
            s[2] -= wi * rx * (w3 * i_t + w4 * i_tx);
            s[3] += wi * w4 / a;
            s[4] -= wi * w4 / (b + x - 1.0);
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

/// The rows of a BG/NBD summary, each distinct one once with its count as
/// weight, sorted: fewer terms (summaries from daily data repeat a lot) and
/// sums that do not depend on the row order (I5).
pub(super) struct BgRows {
    pub(super) x: Vec<f64>,
    pub(super) tx: Vec<f64>,
    pub(super) t: Vec<f64>,
    pub(super) w: Vec<f64>,
    /// The distinct frequencies, and the index of each row's.
    pub(super) distinct: Distinct,
    /// The distinct T and recencies when they are few (from daily data): then
    /// ln(alpha + u) is computed once per value, not per row.
    pub(super) ts: Option<Distinct>,
    pub(super) txs: Option<Distinct>,
}

impl BgRows {
    /// The rows of `d`.
    pub(super) fn new(d: BgData<'_>) -> BgRows {
        let (rows, w) = weighted_unique((0..d.x.len()).map(|i| [d.x[i], d.tx[i], d.t[i]]));
        let x: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        let tx: Vec<f64> = rows.iter().map(|r| r[1]).collect();
        let t: Vec<f64> = rows.iter().map(|r| r[2]).collect();
        let limit = x.len() / 8;
        BgRows {
            distinct: Distinct::new(&x, Some(&w)),
            ts: Distinct::at_most(&t, None, limit),
            txs: Distinct::at_most(&tx, None, limit),
            x,
            tx,
            t,
            w,
        }
    }

    /// A copy with time multiplied by `scale` (same rows, weights and order).
    pub(super) fn rescaled(&self, scale: f64) -> BgRows {
        let times = |d: &Option<Distinct>| {
            d.as_ref().map(|d| Distinct {
                values: d.values.iter().map(|v| v * scale).collect(),
                ..d.clone()
            })
        };
        BgRows {
            x: self.x.clone(),
            tx: self.tx.iter().map(|v| v * scale).collect(),
            t: self.t.iter().map(|v| v * scale).collect(),
            w: self.w.clone(),
            distinct: self.distinct.clone(),
            ts: times(&self.ts),
            txs: times(&self.txs),
        }
    }

    pub(super) fn loglik(&self, p: &BgParams) -> (f64, [f64; 4]) {
        bg_loglik(p, self)
    }
}

/// Total BG/NBD log-likelihood of the rows at `p` (the columns must be
/// checked): a finite number, or an error naming the parameters (CLV4).
pub fn bg_log_likelihood(p: &BgParams, d: BgData<'_>) -> Result<f64> {
    check_bg_params(p)?;
    let ll = vec![BgRows::new(d).loglik(p).0];
    Ok(finite(ll, "the log-likelihood", &bg_names(p))?[0])
}

/// Fits the BG/NBD model by maximum likelihood (CLV4). The columns must be checked ([`check_bgnbd`]).
pub fn fit_bgnbd(d: BgData<'_>, penalizer: f64, cancel: &Cancel) -> Result<Fit<4>> {
    let model = TimeModel {
        model: "BG/NBD",
        needs_repeat: "the dropout parameters a and b of BG/NBD cannot be estimated",
        time_params: &[1],
        rows: BgRows::new,
        rescaled: BgRows::rescaled,
        loglik: bg_loglik,
        names: bg_names,
    };
    fit_time_model(&model, d, penalizer, cancel)
}

pub(super) fn check_bg_params(p: &BgParams) -> Result<()> {
    if p.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(CoreError::Config(format!(
            "BG/NBD parameters must be finite and > 0, got r={}, alpha={}, a={}, b={} (CLV4)",
            p[0], p[1], p[2], p[3]
        )));
    }
    Ok(())
}

/// P(alive) of each customer: 1 / (1 + odds), with odds 0 when x = 0, else
/// a / (b + x - 1) ((alpha + T) / (alpha + tx))^(r + x).
pub fn bg_p_alive(p: &BgParams, d: BgData<'_>) -> Result<Vec<f64>> {
    check_bg_params(p)?;
    let alive = (0..d.x.len())
        .into_par_iter()
        .map(|i| 1.0 / (1.0 + bg_odds(p, d.x[i], d.tx[i], d.t[i])))
        .collect();
    finite(alive, "P(alive)", &bg_names(p))
}

/// E[Y(t) | x, tx, T]: expected purchases in the next `t` time units.
///
/// With z = t / (alpha + T + t) and c = a + b + x - 1, Euler's transformation
/// turns the textbook numerator c / (a - 1) [1 - (1 - z)^(r+x) 2F1(r+x, b+x; c; z)]
/// into c / (a - 1) [1 - (1 - z)^(a-1) 2F1(A, a - 1; c; z)], A = a + b - 1 - r,
/// whose series converges fast even for large frequencies; with
/// 2F1(A, a - 1; c; z) = 1 + (a - 1) G / c ([`hyp2f1_dm1_c`] is G) it is
/// -c expm1((a - 1) L) / (a - 1) - (1 - z)^(a-1) G, L = ln(1 - z): no
/// cancellation near a = 1, the limit at a = 1, and finite at c = 0.
pub(super) fn bg_conditional_one(p: &BgParams, x: f64, tx: f64, t_cal: f64, t: f64) -> f64 {
    let mut out = [0.0];
    bg_numerators(p, x, t_cal, &[t], &mut out);
    out[0] / (1.0 + bg_odds(p, x, tx, t_cal))
}

/// The odds of having dropped out: 0 when x = 0, else a / (b + x - 1) ((alpha + T) / (alpha + tx))^(r + x).
pub(super) fn bg_odds(p: &BgParams, x: f64, tx: f64, t_cal: f64) -> f64 {
    let [r, alpha, a, b] = *p;
    if x == 0.0 {
        return 0.0;
    }
    a / (b + x - 1.0) * ((r + x) * ((alpha + t_cal).ln() - (alpha + tx).ln())).exp()
}

/// The numerator of E[Y(t) | x, tx, T] (see [`bg_conditional_one`]) at
/// several horizons: it depends on x and T only, and the series
/// coefficients are shared by the horizons ([`hyp2f1_dm1_c_many`]).
pub(super) fn bg_numerators(p: &BgParams, x: f64, t_cal: f64, ts: &[f64], out: &mut [f64]) {
    let [r, alpha, a, b] = *p;
    let c = a + b + x - 1.0;
    let eps = a - 1.0;
    let mut zs = [0.0; 16];
    for (ts, out) in ts.chunks(16).zip(out.chunks_mut(16)) {
        let zs = &mut zs[..ts.len()];
        for (z, &t) in zs.iter_mut().zip(ts) {
            *z = t / (alpha + t_cal + t);
        }
        hyp2f1_dm1_c_many(a + b - 1.0 - r, a, c, zs, out);
        for ((o, &z), &t) in out.iter_mut().zip(zs.iter()).zip(ts) {
            if t == 0.0 {
                *o = 0.0;
                continue;
            }
            let l = (-z).ln_1p();
            let q = if eps == 0.0 {
                l
            } else {
                (eps * l).exp_m1() / eps
            };
            let (u, v) = (-c * q, (eps * l).exp() * *o);
            *o = u - v;
            // The numerator is >= 0: below zero by more than rounding, the
            // evaluation failed (NaN, reported by the caller).
            if *o < 0.0 {
                *o = if -*o <= 1e-12 * (u.abs() + v.abs()) {
                    0.0
                } else {
                    f64::NAN
                };
            }
        }
    }
}

/// Evaluates `f(x, T)` once per distinct (x, T) of `d` (few: x is a count and
/// T, from dated transactions, a whole number of days), in parallel; returns
/// the values and, per row, the index of its own. The values do not depend
/// on the row order (I5).
pub(super) fn per_x_t<V: Send>(
    d: BgData<'_>,
    f: impl Fn(f64, f64) -> V + Sync,
) -> (Vec<V>, Vec<u32>) {
    let mut index = hashbrown::HashMap::<(u64, u64), u32>::new();
    let mut keys: Vec<(f64, f64)> = Vec::new();
    let group: Vec<u32> = (0..d.x.len())
        .map(|i| {
            let k = (d.x[i].to_bits(), d.t[i].to_bits());
            *index.entry(k).or_insert_with(|| {
                keys.push((d.x[i], d.t[i]));
                (keys.len() - 1) as u32
            })
        })
        .collect();
    let values = keys.par_iter().map(|&(x, t)| f(x, t)).collect();
    (values, group)
}

fn check_t(t: f64, what: &str) -> Result<()> {
    if !(t.is_finite() && t >= 0.0) {
        return Err(CoreError::Config(format!(
            "{what} must be a finite number >= 0, got {t} (CLV4)"
        )));
    }
    Ok(())
}

/// E[Y(t) | x, tx, T] of each customer (CLV4).
pub fn bg_conditional_expected(p: &BgParams, d: BgData<'_>, t: f64) -> Result<Vec<f64>> {
    check_bg_params(p)?;
    check_t(t, "t")?;
    let (nums, group) = per_x_t(d, |x, tc| {
        let mut n = [0.0];
        bg_numerators(p, x, tc, &[t], &mut n);
        n[0]
    });
    let expected = (0..d.x.len())
        .into_par_iter()
        .map(|i| nums[group[i] as usize] / (1.0 + bg_odds(p, d.x[i], d.tx[i], d.t[i])))
        .collect();
    finite(
        expected,
        "the conditional expected purchases",
        &[&bg_names(p)[..], &[("t", t)]].concat(),
    )
}

/// E[X(t)]: expected purchases of a new customer in `t` time units (CLV4).
pub fn bg_population_expected(p: &BgParams, t: f64) -> Result<f64> {
    check_bg_params(p)?;
    check_t(t, "t")?;
    let e = vec![bg_conditional_one(p, 0.0, 0.0, 0.0, t)];
    Ok(finite(
        e,
        "the expected purchases of a new customer",
        &[&bg_names(p)[..], &[("t", t)]].concat(),
    )?[0])
}
