//! The BG/BB model (CLV4) of Fader, Hardie and Shang (2010), "Customer-Base
//! Analysis in a Discrete-Time Noncontractual Setting", Marketing Science
//! 29(6): transactions at discrete opportunities (a yearly appeal, an annual
//! event). While alive a customer transacts at each opportunity with
//! probability p ~ Beta(alpha, beta); before each opportunity after the
//! first they drop out with probability theta ~ Beta(gamma, delta).
//!
//! A customer's summary is x (repeat transactions in the n opportunities
//! after the first), t_x (the opportunity of the last, 0 when x = 0) and n.
//! Their likelihood (the paper's eq. 5) sums the branch "alive through all n"
//! and the branches "alive through t_x + i, then gone" (i = 0..n - t_x - 1):
//!
//! L = B(alpha + x, beta + n - x) / B(alpha, beta) B(gamma, delta + n) / B(gamma, delta)
//!   + sum_i B(alpha + x, beta + t_x - x + i) / B(alpha, beta) B(gamma + 1, delta + t_x + i) / B(gamma, delta).
//!
//! All terms are added in log space (log-sum-exp); successive branches
//! differ by known ratios, so each costs one logarithm, and its digamma
//! values follow by psi(y + 1) = psi(y) + 1 / y.

use rayon::prelude::*;

use super::fit::{covariance, minimise};
use super::{check_penalizer, chunked_sum, finite, fitted, invalid, Fit};
use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::special::{digamma, ln_gamma};

/// BG/BB parameters (alpha, beta, gamma, delta).
pub type BbParams = [f64; 4];

/// Most transaction opportunities a summary row or a horizon may have: the
/// likelihood and the predictions cost one step per opportunity (ten million
/// daily opportunities are 27,000 years).
pub const MAX_OPPORTUNITIES: f64 = 1e7;

/// Most steps (opportunities times purchase counts) one call of
/// [`bb_probability_of_purchases`] may take.
const MAX_PMF_STEPS: f64 = 1e9;

/// The BG/BB summary columns, borrowed: x, t_x, n and, optionally, how many
/// customers each row stands for.
#[derive(Clone, Copy)]
pub struct BbData<'a> {
    pub x: &'a [f64],
    pub tx: &'a [f64],
    pub n: &'a [f64],
    pub w: Option<&'a [f64]>,
}

/// The names of the BG/BB summary columns, for error messages.
#[derive(Debug, Clone)]
pub struct BbNames {
    pub frequency: String,
    pub recency: String,
    pub n_periods: String,
    pub weights: String,
}

impl Default for BbNames {
    fn default() -> Self {
        BbNames {
            frequency: "frequency".into(),
            recency: "recency".into(),
            n_periods: "n_periods".into(),
            weights: "weights".into(),
        }
    }
}

/// A finite whole number >= 0 (a count).
fn whole(v: f64) -> bool {
    v.is_finite() && v >= 0.0 && v.fract() == 0.0
}

/// Checks the BG/BB columns (CLV4): x, t_x, n and the weights are whole
/// numbers, at least 0; n is at most [`MAX_OPPORTUNITIES`]; x <= t_x <= n (x
/// transactions need x opportunities up to the last); t_x = 0 when x = 0.
/// The first bad row is named with its column.
pub fn check_bgbb(d: BbData<'_>, names: &BbNames) -> Result<()> {
    for i in 0..d.x.len() {
        let (x, tx, n) = (d.x[i], d.tx[i], d.n[i]);
        if !whole(x) {
            let why =
                format!("frequency is {x}; it must be a whole number of repeat transactions >= 0");
            return Err(invalid(&names.frequency, i, why));
        }
        if !whole(n) || n > MAX_OPPORTUNITIES {
            let why = format!(
                "n_periods is {n}; it must be a whole number of transaction opportunities, 0 to {MAX_OPPORTUNITIES}"
            );
            return Err(invalid(&names.n_periods, i, why));
        }
        if !whole(tx) {
            let why = format!("recency is {tx}; it must be the whole number of the opportunity of the last transaction (0 without one)");
            return Err(invalid(&names.recency, i, why));
        }
        if tx > n {
            let why = format!(
                "recency {tx} is greater than n_periods {n} ('{}'): the last transaction cannot come after the last opportunity",
                names.n_periods
            );
            return Err(invalid(&names.recency, i, why));
        }
        if x == 0.0 && tx > 0.0 {
            let why = format!("recency is {tx} for a customer without repeat transactions; it must be 0 when frequency is 0");
            return Err(invalid(&names.recency, i, why));
        }
        if x > tx {
            let why = format!(
                "frequency {x} is greater than recency {tx} ('{}'): x transactions take at least x opportunities up to the last one",
                names.recency
            );
            return Err(invalid(&names.frequency, i, why));
        }
        if let Some(w) = d.w.filter(|w| !whole(w[i])) {
            let why = format!(
                "weights is {}; it must be a whole number of customers >= 0",
                w[i]
            );
            return Err(invalid(&names.weights, i, why));
        }
    }
    Ok(())
}

/// The distinct (x, t_x, n) of a summary with their total weights (rows of
/// weight 0 left out), sorted by their values' bits: identical rows are added
/// once, in an order that does not depend on the input's (I5). The weights
/// are whole numbers, so their sums are exact whatever the order.
pub(super) struct BbRows {
    pub(super) x: Vec<f64>,
    pub(super) tx: Vec<f64>,
    pub(super) n: Vec<f64>,
    pub(super) w: Vec<f64>,
}

impl BbRows {
    pub(super) fn new(d: BbData<'_>) -> BbRows {
        let mut keys: Vec<([u64; 3], f64)> = (0..d.x.len())
            .map(|i| {
                let key = [d.x[i], d.tx[i], d.n[i]].map(f64::to_bits);
                (key, d.w.map_or(1.0, |w| w[i]))
            })
            .filter(|(_, w)| *w > 0.0)
            .collect();
        keys.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut rows = BbRows {
            x: vec![],
            tx: vec![],
            n: vec![],
            w: vec![],
        };
        for run in keys.chunk_by(|a, b| a.0 == b.0) {
            let [x, tx, n] = run[0].0.map(f64::from_bits);
            rows.x.push(x);
            rows.tx.push(tx);
            rows.n.push(n);
            rows.w.push(run.iter().map(|r| r.1).sum());
        }
        rows
    }

    /// The customers the rows stand for.
    pub(super) fn customers(&self) -> f64 {
        self.w.iter().sum()
    }
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// What every row's likelihood shares at given parameters.
struct Consts {
    /// ln B(alpha, beta) + ln B(gamma, delta), the denominators.
    c0: f64,
    /// The gradient of -c0, and psi / ln Gamma of gamma and gamma + 1.
    dc: [f64; 4],
    lg_g: f64,
    lg_g1: f64,
    dg_g: f64,
    dg_g1: f64,
}

impl Consts {
    fn new(p: &BbParams) -> Consts {
        let [alpha, beta, gamma, delta] = *p;
        let (dab, dgd) = (digamma(alpha + beta), digamma(gamma + delta));
        Consts {
            c0: ln_beta(alpha, beta) + ln_beta(gamma, delta),
            dc: [
                dab - digamma(alpha),
                dab - digamma(beta),
                dgd - digamma(gamma),
                dgd - digamma(delta),
            ],
            lg_g: ln_gamma(gamma),
            lg_g1: ln_gamma(gamma + 1.0),
            dg_g: digamma(gamma),
            dg_g1: digamma(gamma) + 1.0 / gamma,
        }
    }
}

/// One row's ln L, the log of its first branch (alive through all n) and the
/// gradient of ln L with respect to (alpha, beta, gamma, delta) (CLV4).
///
/// The branches "gone after t_x + i" shrink as i grows (each is the one before
/// times (beta + t_x - x + i) / (alpha + beta + t_x + i) and
/// (delta + t_x + i) / (gamma + delta + 1 + t_x + i), both below 1), so the
/// largest term is the first or the second, and the sum stops once the
/// branches left cannot reach the sum's last digit. The gradient of each
/// branch is the digamma differences of its beta functions; ln L's is their
/// mean weighted by the branches' shares.
fn row_loglik(p: &BbParams, k: &Consts, x: f64, tx: f64, n: f64) -> (f64, f64, [f64; 4]) {
    let [alpha, beta, gamma, delta] = *p;
    let lg_ax = ln_gamma(alpha + x);
    let (dabn, dgdn) = (digamma(alpha + beta + n), digamma(gamma + delta + n));
    let l0 =
        lg_ax + ln_gamma(beta + n - x) - ln_gamma(alpha + beta + n) + k.lg_g + ln_gamma(delta + n)
            - ln_gamma(gamma + delta + n)
            - k.c0;
    let g0 = [
        -dabn,
        digamma(beta + n - x) - dabn,
        k.dg_g - dgdn,
        digamma(delta + n) - dgdn,
    ];
    // Sum of e^(l - m) over the branches and of e^(l - m) times their gradients.
    let (mut m, mut s, mut g) = (l0, 1.0, g0);
    let terms = (n - tx) as u64;
    if terms > 0 {
        let mut y = [
            beta + tx - x,
            alpha + beta + tx,
            delta + tx,
            gamma + delta + 1.0 + tx,
        ];
        let mut l = lg_ax + ln_gamma(y[0]) - ln_gamma(y[1]) + k.lg_g1 + ln_gamma(y[2])
            - ln_gamma(y[3])
            - k.c0;
        let mut dg = y.map(digamma);
        if l > m {
            let e = (m - l).exp();
            s *= e;
            g.iter_mut().for_each(|v| *v *= e);
            m = l;
        }
        for i in 0..terms {
            let e = (l - m).exp();
            s += e;
            g[0] -= e * dg[1];
            g[1] += e * (dg[0] - dg[1]);
            g[2] += e * (k.dg_g1 - dg[3]);
            g[3] += e * (dg[2] - dg[3]);
            // The rest, each below this branch, cannot reach the sum's last digit.
            if e * (terms - i) as f64 <= 1e-17 * s {
                break;
            }
            l += (y[0] / y[1] * (y[2] / y[3])).ln();
            for (d, yv) in dg.iter_mut().zip(y.iter_mut()) {
                *d += 1.0 / *yv;
                *yv += 1.0;
            }
        }
    }
    let grad = [
        g[0] / s + digamma(alpha + x) + k.dc[0],
        g[1] / s + k.dc[1],
        g[2] / s + k.dc[2],
        g[3] / s + k.dc[3],
    ];
    (m + s.ln(), l0, grad)
}

/// Total log-likelihood of the rows (each times its weight) and its gradient.
pub(super) fn bb_loglik(p: &BbParams, rows: &BbRows) -> (f64, [f64; 4]) {
    let k = Consts::new(p);
    let s = chunked_sum::<5>(rows.x.len(), |range| {
        let mut s = [0.0; 5];
        for i in range {
            let (ll, _, g) = row_loglik(p, &k, rows.x[i], rows.tx[i], rows.n[i]);
            let w = rows.w[i];
            s[0] += w * ll;
            for (t, v) in s[1..].iter_mut().zip(g) {
                *t += w * v;
            }
        }
        s
    });
    (s[0], [s[1], s[2], s[3], s[4]])
}

/// The BG/BB parameters as `name=value` pairs for [`finite`].
fn names(p: &BbParams) -> [(&'static str, f64); 4] {
    [
        ("alpha", p[0]),
        ("beta", p[1]),
        ("gamma", p[2]),
        ("delta", p[3]),
    ]
}

fn check_bb_params(p: &BbParams) -> Result<()> {
    if p.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(CoreError::Config(format!(
            "BG/BB parameters must be finite and > 0, got alpha={}, beta={}, gamma={}, delta={} (CLV4)",
            p[0], p[1], p[2], p[3]
        )));
    }
    Ok(())
}

/// Total BG/BB log-likelihood of the rows at `p`, each row counted its
/// weight times (the columns must be checked with [`check_bgbb`]): a finite
/// number, or an error naming the parameters (CLV4).
pub fn bb_log_likelihood(p: &BbParams, d: BbData<'_>) -> Result<f64> {
    check_bb_params(p)?;
    let ll = vec![bb_loglik(p, &BbRows::new(d)).0];
    Ok(finite(ll, "the log-likelihood", &names(p))?[0])
}

/// Fits the BG/BB model by maximum likelihood (CLV4): log parameters, BFGS
/// from the analytic gradient, each distinct row once with its weight. The
/// objective is the mean negative log-likelihood over the customers (the sum
/// of the weights) plus `penalizer` times the sum of the squared parameters.
/// The columns must be checked ([`check_bgbb`]).
pub fn fit_bgbb(d: BbData<'_>, penalizer: f64, cancel: &Cancel) -> Result<Fit<4>> {
    check_penalizer(penalizer)?;
    let rows = BbRows::new(d);
    let customers = rows.customers();
    if customers == 0.0 {
        return Err(CoreError::Config(
            "the summary has no customers (no rows, or all weights 0): nothing to fit (CLV4)"
                .into(),
        ));
    }
    if !rows.x.iter().any(|&x| x > 0.0) {
        return Err(CoreError::Config(
            "no customer has a repeat transaction (frequency > 0): the BG/BB parameters cannot be estimated (CLV4)".into(),
        ));
    }
    let loglik = |p: &[f64; 4]| bb_loglik(p, &rows);
    let (params, converged, iterations) =
        minimise(&loglik, customers as usize, penalizer, [1.0; 4], cancel)?;
    fitted("BG/BB", &names(&params))?;
    let log_likelihood = bb_loglik(&params, &rows).0;
    Ok(Fit {
        params,
        log_likelihood,
        converged: converged && log_likelihood.is_finite(),
        iterations,
        covariance: covariance(|p| bb_loglik(p, &rows).1, &params),
    })
}

/// Evaluates `f(x, t_x, n)` once per distinct row of `d`, in parallel, and
/// hands each row its value (the same whatever the row order, I5).
fn per_row(d: BbData<'_>, f: impl Fn(f64, f64, f64) -> f64 + Sync) -> Vec<f64> {
    let mut index = hashbrown::HashMap::<[u64; 3], u32>::new();
    let mut keys: Vec<[f64; 3]> = Vec::new();
    let group: Vec<u32> = (0..d.x.len())
        .map(|i| {
            let row = [d.x[i], d.tx[i], d.n[i]];
            *index.entry(row.map(f64::to_bits)).or_insert_with(|| {
                keys.push(row);
                (keys.len() - 1) as u32
            })
        })
        .collect();
    let values: Vec<f64> = keys.par_iter().map(|r| f(r[0], r[1], r[2])).collect();
    group.iter().map(|&g| values[g as usize]).collect()
}

/// P(alive at opportunity n + 1 | x, t_x, n) of each customer (the paper's
/// eq. 11): the branch "alive through n" over L, times the chance of
/// surviving one more, B(gamma, delta + n + 1) / B(gamma, delta + n) =
/// (delta + n) / (gamma + delta + n) (CLV4).
pub fn bb_p_alive(p: &BbParams, d: BbData<'_>) -> Result<Vec<f64>> {
    check_bb_params(p)?;
    let k = Consts::new(p);
    let [_, _, gamma, delta] = *p;
    let alive = per_row(d, |x, tx, n| {
        let (ll, l0, _) = row_loglik(p, &k, x, tx, n);
        // l0 <= ll: one of the branches of L; at most 1 whatever the rounding.
        ((l0 - ll).exp() * (delta + n) / (gamma + delta + n)).min(1.0)
    });
    finite(alive, "P(alive)", &names(p))
}

/// A count of opportunities (n, n*) is a whole number, 0 to [`MAX_OPPORTUNITIES`].
fn check_count(v: f64, what: &str) -> Result<()> {
    if !(whole(v) && v <= MAX_OPPORTUNITIES) {
        return Err(CoreError::Config(format!(
            "{what} must be a whole number of transaction opportunities, 0 to {MAX_OPPORTUNITIES}, got {v} (CLV4)"
        )));
    }
    Ok(())
}

/// V(n, k) = sum over j = 1..k of prod over i < j of (delta + n + i) / (gamma + delta + n + i):
/// the expected opportunities alive among the next k of a customer alive at n
/// (E[(1 - theta)^j] ratios of beta functions). Summed directly: exact at
/// gamma = 1 where the paper's closed form, delta / (gamma - 1) times a
/// difference of gamma-function ratios, is 0 / 0, and without its
/// cancellation near there. `k` is checked (at most [`MAX_OPPORTUNITIES`]).
fn alive_opportunities(p: &BbParams, n: f64, k: f64) -> f64 {
    let [_, _, gamma, delta] = *p;
    let (mut prod, mut sum) = (1.0, 0.0);
    for i in 0..k as u64 {
        let y = delta + n + i as f64;
        prod *= y / (gamma + y);
        sum += prod;
    }
    sum
}

/// E[X(n, n + n*) | x, t_x, n]: expected transactions of each customer in the
/// next `n_star` opportunities (the paper's eq. 13): P(alive at n | data)
/// times E[p | x, n] = (alpha + x) / (alpha + beta + n) times
/// V(n, n*) ([`alive_opportunities`]), all in log space up to V (CLV4).
pub fn bb_conditional_expected(p: &BbParams, d: BbData<'_>, n_star: f64) -> Result<Vec<f64>> {
    check_bb_params(p)?;
    check_count(n_star, "n_star")?;
    let k = Consts::new(p);
    let [alpha, beta, ..] = *p;
    let expected = per_row(d, |x, tx, n| {
        let (ll, l0, _) = row_loglik(p, &k, x, tx, n);
        let v = alive_opportunities(p, n, n_star);
        (l0 - ll + ((alpha + x) / (alpha + beta + n)).ln()).exp() * v
    });
    finite(
        expected,
        "the conditional expected purchases",
        &[&names(p)[..], &[("n_star", n_star)]].concat(),
    )
}

/// E[X(n)]: expected transactions of a new customer in their first `n`
/// opportunities (the paper's eq. 7): alpha / (alpha + beta) V(0, n) (CLV4).
pub fn bb_population_expected(p: &BbParams, n: f64) -> Result<f64> {
    check_bb_params(p)?;
    check_count(n, "n")?;
    let [alpha, beta, ..] = *p;
    let e = vec![alpha / (alpha + beta) * alive_opportunities(p, 0.0, n)];
    Ok(finite(
        e,
        "the expected purchases of a new customer",
        &[&names(p)[..], &[("n", n)]].concat(),
    )?[0])
}

/// Adds e^l to the sum s e^m, keeping m the largest exponent seen.
fn log_add(m: &mut f64, s: &mut f64, l: f64) {
    if l > *m {
        *s = *s * (*m - l).exp() + 1.0;
        *m = l;
    } else {
        *s += (l - *m).exp();
    }
}

fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// P(X(n) = x) for x = 0..=n_max: the probability that a new customer makes
/// exactly x transactions in their first `n` opportunities (the paper's
/// eq. 8, CLV4): alive through all n with x of n, or gone after opportunity
/// i (i = x..n - 1) with x of i,
///
/// C(n, x) B(alpha + x, beta + n - x) / B(alpha, beta) B(gamma, delta + n) / B(gamma, delta)
/// + sum_i C(i, x) B(alpha + x, beta + i - x) / B(alpha, beta) B(gamma + 1, delta + i) / B(gamma, delta),
///
/// 0 for x > n. Each sum in log space (log-sum-exp), its terms by their ratios.
pub fn bb_probability_of_purchases(p: &BbParams, n: f64, n_max: usize) -> Result<Vec<f64>> {
    check_bb_params(p)?;
    check_count(n, "n")?;
    let steps = (n_max.min(n as usize) as f64 + 1.0) * n;
    if steps > MAX_PMF_STEPS {
        return Err(CoreError::Config(format!(
            "the probabilities of 0 to {n_max} transactions in {n} opportunities take {steps} steps, more than {MAX_PMF_STEPS}: ask for fewer (CLV4)"
        )));
    }
    let [alpha, beta, gamma, delta] = *p;
    let c0 = ln_beta(alpha, beta) + ln_beta(gamma, delta);
    let pmf = (0..=n_max)
        .into_par_iter()
        .map(|xi| {
            let x = xi as f64;
            if x > n {
                return 0.0;
            }
            let (mut m, mut s) = (f64::NEG_INFINITY, 0.0);
            log_add(
                &mut m,
                &mut s,
                ln_choose(n, x) + ln_beta(alpha + x, beta + n - x) + ln_beta(gamma, delta + n) - c0,
            );
            let mut l = ln_beta(alpha + x, beta) + ln_beta(gamma + 1.0, delta + x) - c0; // i = x
            for i in xi..n as usize {
                log_add(&mut m, &mut s, l);
                let i = i as f64;
                l += ((i + 1.0) / (i + 1.0 - x)
                    * ((beta + i - x) / (alpha + beta + i))
                    * ((delta + i) / (gamma + delta + 1.0 + i)))
                    .ln();
            }
            // A probability: kept at most 1 against the last bit's rounding (n = 0
            // is exp(0 +- rounding)).
            (m + s.ln()).exp().min(1.0)
        })
        .collect();
    finite(
        pmf,
        "the probability of purchases",
        &[&names(p)[..], &[("n", n)]].concat(),
    )
}
