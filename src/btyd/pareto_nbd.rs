//! The Pareto/NBD model (Schmittlein, Morrison and Colombo 1987) of repeat
//! purchases and P(alive) (CLV4): log-likelihood and gradient, fit,
//! predictions, as in Fader, Hardie and Lee (2005), "A Note on Deriving the
//! Pareto/NBD Model and Related Expressions", and their note "Deriving an
//! Expression for P(X(t) = x) Under the Pareto/NBD Model" (2006).
//!
//! While alive a customer buys at rate lambda ~ Gamma(r, alpha); the
//! lifetime is exponential with rate mu ~ Gamma(s, beta). With
//! E(y) = (alpha + y)^-(r+x) (beta + y)^-s and I(y) the integral over
//! u > y of (alpha + u)^-(r+x) (beta + u)^-(s+1), the likelihood of a
//! customer with x repeat purchases, the last at tx, observed for T, is
//!
//!   L = Gamma(r + x) alpha^r beta^s / Gamma(r) [E(T) + s I(tx) - s I(T)]
//!
//! (alive at T, or dead at some time between tx and T). The note's
//! hypergeometric terms are s I(y): with a = r + s + x, after Euler's
//! transformation ([`hyp2f1_1bc`] is G(b, c, z) = 2F1(1, b; c; z)),
//!
//!   alpha >= beta: s I(y) = E(y) s / a G(r + x, a + 1, (alpha - beta) / (alpha + y)),
//!   alpha <  beta: s I(y) = E(y) (alpha + y) / (beta + y) s / a G(s + 1, a + 1, (beta - alpha) / (beta + y)),
//!
//! series of positive terms that shrink at least geometrically for any
//! frequency and T. s I(T) is at most E(T) and at most s I(tx), so the
//! bracket, added in log space, loses nothing to its difference.

use hashbrown::HashMap;
use rayon::prelude::*;

use super::bgnbd::BgRows;
use super::fit::{fit_time_model, TimeModel};
use super::{chunked_sum, finite, per_distinct_row, BgData, Fit};
use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::special::{digamma, hyp2f1_1bc, ln_beta_inc, ln_gamma};

/// Pareto/NBD parameters (r, alpha, s, beta).
pub type PnParams = [f64; 4];

/// The longest distribution [`pn_probability_of_purchases`] hands back
/// (entries 0..=n_max): each entry sums a series of incomplete beta
/// functions, so the time grows with n_max (at this size, 0.03 s at the CDNOW
/// parameters, 3 s where alpha and beta differ a hundredfold, measured on 2 cores).
pub const PN_MAX_PURCHASES: usize = 100_000;

/// The Pareto/NBD parameters as `name=value` pairs for [`finite`] and [`fitted`].
pub(super) fn pn_names(p: &PnParams) -> [(&'static str, f64); 4] {
    [("r", p[0]), ("alpha", p[1]), ("s", p[2]), ("beta", p[3])]
}

pub(super) fn check_pn_params(p: &PnParams) -> Result<()> {
    if p.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(CoreError::Config(format!(
            "Pareto/NBD parameters must be finite and > 0, got r={}, alpha={}, s={}, beta={} (CLV4)",
            p[0], p[1], p[2], p[3]
        )));
    }
    Ok(())
}

/// What the likelihood needs at one time y for a frequency x: l = ln E(y),
/// h = ln(s I(y)) and their gradients with respect to (r, alpha, s, beta).
#[derive(Clone, Copy, Debug)]
pub(super) struct Side {
    pub(super) l: f64,
    pub(super) h: f64,
    pub(super) dl: [f64; 4],
    pub(super) dh: [f64; 4],
}

/// [`Side`] at time y (see the module's comment for the two branches).
pub(super) fn side(p: &PnParams, x: f64, y: f64) -> Side {
    let [r, alpha, s, beta] = *p;
    let (ay, by) = (alpha + y, beta + y);
    let (la, lb) = (ay.ln(), by.ln());
    let rx = r + x;
    let a = rx + s;
    let l = -rx * la - s * lb;
    let dl = [-la, -rx / ay, -lb, -s / by];
    let mut h = l + (s / a).ln();
    let mut dh = [dl[0] - 1.0 / a, dl[1], dl[2] + 1.0 / s - 1.0 / a, dl[3]];
    if alpha >= beta {
        // G(r + x, a + 1, z), z = (alpha - beta) / (alpha + y).
        let [g, gb, gc, gz] = hyp2f1_1bc(rx, a + 1.0, (alpha - beta) / ay);
        h += g.ln();
        dh[0] += (gb + gc) / g;
        dh[1] += gz * by / (ay * ay) / g;
        dh[2] += gc / g;
        dh[3] -= gz / ay / g;
    } else {
        // (alpha + y) / (beta + y) G(s + 1, a + 1, w), w = (beta - alpha) / (beta + y).
        let [g, gb, gc, gw] = hyp2f1_1bc(s + 1.0, a + 1.0, (beta - alpha) / by);
        h += g.ln() + la - lb;
        dh[0] += gc / g;
        dh[1] += 1.0 / ay - gw / by / g;
        dh[2] += (gb + gc) / g;
        dh[3] += gw * ay / (by * by) / g - 1.0 / by;
    }
    Side { l, h, dl, dh }
}

/// ln of the bracket E(T) + s I(tx) - s I(T) from the sides at T and at tx,
/// and the shares of its three terms (each term over the bracket): the
/// first is P(alive), and the bracket's gradient is
/// share_0 dl(T) + share_1 dh(tx) - share_2 dh(T).
pub(super) fn bracket(at_t: &Side, at_tx: &Side) -> (f64, [f64; 3]) {
    let m = at_t.l.max(at_tx.h);
    let e = [(at_t.l - m).exp(), (at_tx.h - m).exp(), (at_t.h - m).exp()];
    let sum = e[0] + e[1] - e[2];
    (m + sum.ln(), [e[0] / sum, e[1] / sum, e[2] / sum])
}

/// Distinct pairs (x, y): a row holding each, and per row the index of its own.
#[derive(Clone)]
struct Pairs {
    first: Vec<usize>,
    index: Vec<u32>,
}

impl Pairs {
    /// The pairs of the rows, or `None` when they are more than 3/4 of the rows (no gain).
    fn new(x: &[f64], y: &[f64]) -> Option<Pairs> {
        let mut slot = HashMap::<(u64, u64), u32>::new();
        let mut first = Vec::new();
        let mut index = Vec::with_capacity(x.len());
        for i in 0..x.len() {
            let k = *slot
                .entry((x[i].to_bits(), y[i].to_bits()))
                .or_insert_with(|| {
                    first.push(i);
                    (first.len() - 1) as u32
                });
            index.push(k);
        }
        (first.len() * 4 <= x.len() * 3).then_some(Pairs { first, index })
    }

    /// The sides at every pair, in parallel (each a pure function of its pair: I5).
    fn sides(&self, p: &PnParams, x: &[f64], y: &[f64]) -> Vec<Side> {
        self.first
            .par_iter()
            .map(|&i| side(p, x[i], y[i]))
            .collect()
    }
}

/// The rows of a summary for Pareto/NBD: [`BgRows`] (each distinct row once
/// with its count as weight, sorted: I5) and, when they are fewer, the
/// distinct (x, T) and (x, tx) pairs: each side of the likelihood depends on
/// one pair only, and summaries from daily data repeat them a lot.
pub(super) struct PnRows {
    rows: BgRows,
    at_t: Option<Pairs>,
    at_tx: Option<Pairs>,
}

impl PnRows {
    pub(super) fn new(d: BgData<'_>) -> PnRows {
        let rows = BgRows::new(d);
        PnRows {
            at_t: Pairs::new(&rows.x, &rows.t),
            at_tx: Pairs::new(&rows.x, &rows.tx),
            rows,
        }
    }

    /// A copy with time multiplied by `scale` (same rows, pairs and order).
    fn rescaled(&self, scale: f64) -> PnRows {
        PnRows {
            rows: self.rows.rescaled(scale),
            at_t: self.at_t.clone(),
            at_tx: self.at_tx.clone(),
        }
    }

    /// Total log-likelihood of the rows and its gradient with respect to (r, alpha, s, beta).
    pub(super) fn loglik(&self, p: &PnParams) -> (f64, [f64; 4]) {
        let [r, alpha, s, beta] = *p;
        let b = &self.rows;
        // ln Gamma(r + x) - ln Gamma(r) once per distinct frequency; r ln alpha + s ln beta per customer.
        let mut total = [0.0; 5];
        let mut n = 0.0;
        for (&x, &c) in b.distinct.values.iter().zip(&b.distinct.counts) {
            total[0] += c * (ln_gamma(r + x) - ln_gamma(r));
            total[1] += c * (digamma(r + x) - digamma(r));
            n += c;
        }
        total[0] += n * (r * alpha.ln() + s * beta.ln());
        total[1] += n * alpha.ln();
        total[2] += n * r / alpha;
        total[3] += n * beta.ln();
        total[4] += n * s / beta;
        let at_t = self.at_t.as_ref().map(|pr| pr.sides(p, &b.x, &b.t));
        let at_tx = self.at_tx.as_ref().map(|pr| pr.sides(p, &b.x, &b.tx));
        let look = |cache: &Option<Vec<Side>>, pairs: &Option<Pairs>, y: &[f64], i: usize| match (
            cache, pairs,
        ) {
            (Some(c), Some(pr)) => c[pr.index[i] as usize],
            _ => side(p, b.x[i], y[i]),
        };
        let sums = chunked_sum::<5>(b.x.len(), |range| {
            let mut acc = [0.0; 5];
            for i in range {
                let st = look(&at_t, &self.at_t, &b.t, i);
                let sx = look(&at_tx, &self.at_tx, &b.tx, i);
                let (ln_bracket, share) = bracket(&st, &sx);
                let w = b.w[i];
                acc[0] += w * ln_bracket;
                for k in 0..4 {
                    acc[k + 1] +=
                        w * (share[0] * st.dl[k] + share[1] * sx.dh[k] - share[2] * st.dh[k]);
                }
            }
            acc
        });
        let grad = std::array::from_fn(|k| total[k + 1] + sums[k + 1]);
        (total[0] + sums[0], grad)
    }
}

/// Total Pareto/NBD log-likelihood of the rows at `p` (the columns must be
/// checked, [`super::check_bgnbd`]): a finite number, or an error naming the
/// parameters (CLV4).
pub fn pn_log_likelihood(p: &PnParams, d: BgData<'_>) -> Result<f64> {
    check_pn_params(p)?;
    let ll = vec![PnRows::new(d).loglik(p).0];
    Ok(finite(ll, "the log-likelihood", &pn_names(p))?[0])
}

/// Fits the Pareto/NBD model by maximum likelihood (CLV4): BFGS on the log
/// parameters from the analytic gradient ([`minimise`]), time rescaled so
/// that the longest T is 10 (alpha and beta near 1 at the start), the
/// penalty on the parameters in the caller's time unit. The columns must be
/// checked ([`super::check_bgnbd`]).
pub fn fit_pareto_nbd(d: BgData<'_>, penalizer: f64, cancel: &Cancel) -> Result<Fit<4>> {
    let model = TimeModel {
        model: "Pareto/NBD",
        needs_repeat: "the purchase rate and the lifetime of Pareto/NBD cannot be told apart",
        time_params: &[1, 3],
        rows: PnRows::new,
        rescaled: PnRows::rescaled,
        loglik: |p, rows| rows.loglik(p),
        names: pn_names,
    };
    fit_time_model(&model, d, penalizer, cancel)
}

fn check_horizon(t: f64) -> Result<()> {
    if !(t.is_finite() && t >= 0.0) {
        return Err(CoreError::Config(format!(
            "t must be a finite number >= 0, got {t} (CLV4)"
        )));
    }
    Ok(())
}

/// P(alive) of one customer: E(T) over the bracket (Fader, Hardie and Lee 2005), in [0, 1].
pub(super) fn pn_alive_one(p: &PnParams, x: f64, tx: f64, t_cal: f64) -> f64 {
    let (_, share) = bracket(&side(p, x, t_cal), &side(p, x, tx));
    share[0].min(1.0)
}

/// P(alive) of each customer at the end of the calibration period (CLV4).
pub fn pn_p_alive(p: &PnParams, d: BgData<'_>) -> Result<Vec<f64>> {
    check_pn_params(p)?;
    let alive = per_distinct_row(d.x, d.tx, d.t, |x, tx, t| pn_alive_one(p, x, tx, t));
    finite(alive, "P(alive)", &pn_names(p))
}

/// (1 - (1 + u)^-(s - 1)) / (s - 1), and its limit ln(1 + u) at s = 1, with
/// expm1 and ln_1p: no cancellation near s = 1 or for a short horizon.
fn lifetime_factor(s: f64, u: f64) -> f64 {
    let l = u.ln_1p();
    if s == 1.0 {
        l
    } else {
        -(-(s - 1.0) * l).exp_m1() / (s - 1.0)
    }
}

/// E[Y(t) | x, tx, T] of one customer (Schmittlein, Morrison and Colombo 1987):
/// (r + x)(beta + T) / ((alpha + T)(s - 1)) [1 - ((beta + T) / (beta + T + t))^(s-1)] P(alive).
pub(super) fn pn_conditional_one(p: &PnParams, x: f64, tx: f64, t_cal: f64, t: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    let rate = (r + x) * (beta + t_cal) / (alpha + t_cal);
    rate * lifetime_factor(s, t / (beta + t_cal)) * pn_alive_one(p, x, tx, t_cal)
}

/// E[Y(t) | x, tx, T]: expected purchases of each customer in the next `t` time units (CLV4).
pub fn pn_conditional_expected(p: &PnParams, d: BgData<'_>, t: f64) -> Result<Vec<f64>> {
    check_pn_params(p)?;
    check_horizon(t)?;
    let expected = per_distinct_row(d.x, d.tx, d.t, |x, tx, tc| {
        pn_conditional_one(p, x, tx, tc, t)
    });
    finite(
        expected,
        "the conditional expected purchases",
        &[&pn_names(p)[..], &[("t", t)]].concat(),
    )
}

/// E[X(t)]: expected purchases of a new customer in `t` time units (Fader,
/// Hardie and Lee 2005): r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s-1)] (CLV4).
pub fn pn_population_expected(p: &PnParams, t: f64) -> Result<f64> {
    check_pn_params(p)?;
    check_horizon(t)?;
    let [r, alpha, s, beta] = *p;
    let e = vec![r * beta / alpha * lifetime_factor(s, t / beta)];
    Ok(finite(
        e,
        "the expected purchases of a new customer",
        &[&pn_names(p)[..], &[("t", t)]].concat(),
    )?[0])
}

/// Most terms of the series of P(X(t) = x): they shrink at least like q^k,
/// so a million covers q = 1 - beta / alpha (or 1 - alpha / beta) up to
/// about 1 - 4e-5; past it the entry is NaN, then an error naming the
/// parameters.
const SUM_TERMS: u32 = 1_000_000;

/// ln of sum over k >= 0 of (s + 1)_k / k! q^k exp(term(k)) (`term` is
/// called with k = 0, 1, 2, ... in turn), where term(k + 1) <= term(k) +
/// ln(shrink): stopped once the rest, below the last term times R / (1 - R)
/// with R = (s + 1 + k) / (k + 1) q shrink the bound on the next ratio, is
/// below 1e-17 of the sum. NaN if it does not end.
fn weighted_sum(s: f64, q: f64, shrink: f64, mut term: impl FnMut(f64) -> f64) -> f64 {
    let first = term(0.0);
    let (mut sum, mut ln_w) = (1.0f64, 0.0f64);
    for k in 1..SUM_TERMS {
        let k = f64::from(k);
        ln_w += ((s + k) / k).ln() + q.ln();
        let t = (ln_w + term(k) - first).exp();
        sum += t;
        let ratio = (s + 1.0 + k) / (k + 1.0) * q * shrink;
        if !sum.is_finite() {
            break;
        }
        if ratio < 1.0 && t * ratio / (1.0 - ratio) <= 1e-17 * sum {
            return first + sum.ln();
        }
    }
    f64::NAN
}

/// ln(e^u + e^v).
fn ln_add(u: f64, v: f64) -> f64 {
    let (hi, lo) = if u >= v { (u, v) } else { (v, u) };
    hi + (lo - hi).exp().ln_1p()
}

/// What P(X(t) = x) needs for every x at one (parameters, t): t, rho = t / (alpha + t),
/// 1 - rho, their logs, and for alpha < beta the table of ln B(rho; a, r + s) it reads.
struct Horizon {
    t: f64,
    rho: f64,
    rest: f64,
    ln_rho: f64,
    ln_rest: f64,
    /// ln B(rho; a, r + s) at a = 1, 2, ... (alpha < beta only).
    table: Vec<f64>,
}

impl Horizon {
    /// For alpha < beta the terms of x read B(rho; x + 1 + k, r + s) for k up to where
    /// the bound of [`weighted_sum`] ends the sum of the first term alone; the table is
    /// filled downward from its top by B(a) = (a + b) / a B(a + 1) + rho^a (1 - rho)^b / a
    /// (positive terms: no cancellation; the upward recurrence subtracts).
    fn new(p: &PnParams, t: f64, n_max: usize) -> Horizon {
        let [r, alpha, s, beta] = *p;
        let (rho, rest) = (t / (alpha + t), alpha / (alpha + t));
        let (ln_rho, ln_rest) = (rho.ln(), rest.ln());
        let mut table = Vec::new();
        if alpha < beta {
            let q = (beta - alpha) / beta * rho;
            let (mut k, mut ln_bound) = (0.0f64, 0.0f64);
            loop {
                let ratio = (s + 1.0 + k) / (k + 1.0) * q;
                if (ratio < 1.0 && ln_bound + (ratio / (1.0 - ratio)).ln() < -40.0)
                    || k >= f64::from(SUM_TERMS)
                {
                    break;
                }
                ln_bound += ratio.ln();
                k += 1.0;
            }
            let b = r + s;
            let top = n_max + k as usize + 2;
            table = vec![0.0; top];
            table[top - 1] = ln_beta_inc(top as f64, b, rho, rest);
            for i in (0..top - 1).rev() {
                let a = (i + 1) as f64;
                table[i] = ln_add(
                    ((a + b) / a).ln() + table[i + 1],
                    a * ln_rho + b * ln_rest - a.ln(),
                );
            }
        }
        Horizon {
            t,
            rho,
            rest,
            ln_rho,
            ln_rest,
            table,
        }
    }
}

/// P(X(t) = x) of a new customer (Fader, Hardie and Lee 2006):
///
///   NB_x(t) (beta / (beta + t))^s + s alpha^r beta^s Gamma(r + x) / (Gamma(r) x!) K_x,
///
/// NB_x(t) the negative binomial Gamma(r + x) / (Gamma(r) x!) (alpha / (alpha + t))^r
/// (t / (alpha + t))^x (alive throughout), K_x the integral over 0 < u < t of
/// u^x (alpha + u)^-(r+x) (beta + u)^-(s+1) (dead at u). The note writes K_x as
/// its integral to infinity (a 2F1 at 1 - beta / alpha or 1 - alpha / beta)
/// minus the rest, which cancels for small t; with v = u / (alpha + u) and
/// rho = t / (alpha + t) the same series come out with incomplete beta
/// functions ([`ln_beta_inc`]) in place of complete ones, all terms positive:
///
///   alpha >= beta: K_x = alpha^-(r+s) sum_k (s+1)_k / k! q^k B(rho; x + 1, r + s + k), q = 1 - beta / alpha,
///   alpha <  beta: K_x = alpha^(1-r) beta^-(s+1) sum_k (s+1)_k / k! w^k B(rho; x + 1 + k, r + s), w = 1 - alpha / beta.
///
/// Along k the first runs upward, B(a, b + 1) = b / (a + b) B(a, b) + rho^a (1 - rho)^b / (a + b),
/// the second reads [`Horizon`]'s table: positive terms both.
fn pn_probability_one(p: &PnParams, h: &Horizon, x: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    let ln_c = ln_gamma(r + x) - ln_gamma(r) - ln_gamma(x + 1.0);
    let ln_nb = ln_c + r * h.ln_rest + if x > 0.0 { x * h.ln_rho } else { 0.0 };
    let alive = (ln_nb - s * (h.t / beta).ln_1p()).exp();
    let a = x + 1.0;
    let (ln_front, ln_sum) = if alpha >= beta {
        let q = (alpha - beta) / alpha;
        let mut last = f64::NAN;
        let sum = weighted_sum(s, q, 1.0, |k| {
            let b = r + s + k;
            last = if k == 0.0 {
                ln_beta_inc(a, b, h.rho, h.rest)
            } else {
                let b0 = b - 1.0;
                ln_add(
                    (b0 / (a + b0)).ln() + last,
                    a * h.ln_rho + b0 * h.ln_rest - (a + b0).ln(),
                )
            };
            last
        });
        (s * (beta / alpha).ln(), sum)
    } else {
        let w = (beta - alpha) / beta;
        let sum = weighted_sum(s, w, h.rho, |k| {
            let i = x as usize + k as usize;
            match h.table.get(i) {
                Some(&v) => v,
                None => ln_beta_inc(a + k, r + s, h.rho, h.rest),
            }
        });
        ((alpha / beta).ln(), sum)
    };
    alive + (s.ln() + ln_c + ln_front + ln_sum).exp()
}

/// P(X(t) = x) for x = 0..=n_max: the probability that a new customer makes
/// exactly x repeat purchases in the first `t` time units (the last entry is
/// P(X(t) = n_max), not a tail), under Pareto/NBD (Fader, Hardie and Lee
/// 2006; CLV4). A finite number per entry, or an error naming the
/// parameters; `cancel` is checked once per entry.
pub fn pn_probability_of_purchases(
    p: &PnParams,
    t: f64,
    n_max: usize,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    check_pn_params(p)?;
    check_horizon(t)?;
    if n_max > PN_MAX_PURCHASES {
        return Err(CoreError::Config(format!(
            "n_max is {n_max}; the Pareto/NBD distribution is computed for at most \
             {PN_MAX_PURCHASES} purchases (CLV4)"
        )));
    }
    if t == 0.0 {
        let mut out = vec![0.0; n_max + 1];
        out[0] = 1.0; // nothing can happen in no time
        return Ok(out);
    }
    let h = Horizon::new(p, t, n_max);
    let probs = (0..=n_max)
        .into_par_iter()
        .map(|x| {
            cancel.check()?;
            Ok(pn_probability_one(p, &h, x as f64))
        })
        .collect::<Result<Vec<f64>>>()?;
    finite(
        probs,
        "P(X(t) = x)",
        &[&pn_names(p)[..], &[("t", t)]].concat(),
    )
}
