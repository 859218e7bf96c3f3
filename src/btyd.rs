//! Predictive CLV (rule CLV4): the BG/NBD model of purchase counts and
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

use std::sync::{Arc, Mutex};

use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::BFGS;
use arrow_array::{ArrayRef, Float64Array, Int64Array};
use arrow_schema::{DataType, Field};
use rayon::prelude::*;

use crate::cancel::Cancel;
use crate::customer_value::{Extra, Segmented};
use crate::error::{CoreError, Result};
use crate::money;
use crate::special::{digamma, hyp2f1_dm1_c_many, ln_gamma};

/// Customers per chunk of the parallel sums (fixed, so sums do not depend on threads).
const CHUNK: usize = 1 << 13;
/// Gradient norm (of the mean negative log-likelihood, on log parameters) below
/// which a fit counts as converged.
const CONVERGED_GRAD: f64 = 1e-6;

/// The fields of the BTYD summary after the customer column (CLV4).
pub fn summary_fields() -> Vec<Field> {
    vec![
        Field::new("frequency", DataType::Int64, false),
        Field::new("recency", DataType::Float64, false),
        Field::new("T", DataType::Float64, false),
        Field::new("monetary_value", DataType::Float64, false),
    ]
}

/// The BTYD summary columns of CLV4, time in units of `unit` days:
/// frequency = purchase events - 1; recency = last - first event day;
/// T = (`as_of` - 1 day) - first event day; monetary_value = net value of the
/// events after the first / frequency (0 without repeat purchases).
pub(crate) fn summary_columns(seg: &Segmented, unit: f64) -> Vec<ArrayRef> {
    let end = seg.as_of - 1;
    let frequency = |x: &Extra| i64::from(x.events) - 1;
    vec![
        Arc::new(Int64Array::from(seg.column_x(|_, x| frequency(x)))),
        Arc::new(Float64Array::from(
            seg.column(|r| f64::from(r.last - r.first) / unit),
        )),
        Arc::new(Float64Array::from(
            seg.column(|r| f64::from(end - r.first) / unit),
        )),
        Arc::new(Float64Array::from(seg.column_x(|_, x| {
            match frequency(x) {
                0 => 0.0,
                f => money::to_f64(x.repeat_value) / f as f64,
            }
        }))),
    ]
}

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

fn invalid(column: &str, row: usize, reason: String) -> CoreError {
    CoreError::InvalidValue {
        column: column.to_string(),
        row: row as u64,
        reason,
    }
}

/// Checks a frequency column: finite whole numbers >= 0 (CLV4).
fn check_frequency(x: &[f64], names: &Names) -> Result<()> {
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
    pub iterations: u64,
}

/// The distinct values of a column (in the order they first appear) and, per
/// row, the index of its own.
#[derive(Clone)]
struct Distinct {
    values: Vec<f64>,
    counts: Vec<f64>,
    index: Vec<u32>,
}

impl Distinct {
    /// Over rows of weight `w` (1 each when `None`).
    fn new(x: &[f64], w: Option<&[f64]>) -> Distinct {
        Distinct::at_most(x, w, usize::MAX).expect("no limit")
    }

    /// As [`Distinct::new`], or `None` once there are more than `limit`
    /// distinct values (a table that would not pay off).
    fn at_most(x: &[f64], w: Option<&[f64]>, limit: usize) -> Option<Distinct> {
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
fn chunked_sum<const W: usize>(
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
fn weighted_unique<const K: usize>(
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

// ---------------------------------------------------------------- BG/NBD

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
fn bg_loglik(p: &BgParams, rows: &BgRows) -> (f64, [f64; 4]) {
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
struct BgRows {
    x: Vec<f64>,
    tx: Vec<f64>,
    t: Vec<f64>,
    w: Vec<f64>,
    /// The distinct frequencies, and the index of each row's.
    distinct: Distinct,
    /// The distinct T and recencies when they are few (from daily data): then
    /// ln(alpha + u) is computed once per value, not per row.
    ts: Option<Distinct>,
    txs: Option<Distinct>,
}

impl BgRows {
    /// The rows of `d`.
    fn new(d: BgData<'_>) -> BgRows {
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
    fn rescaled(&self, scale: f64) -> BgRows {
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

    fn loglik(&self, p: &BgParams) -> (f64, [f64; 4]) {
        bg_loglik(p, self)
    }
}

/// Total BG/NBD log-likelihood of the rows at `p` (the columns must be checked).
pub fn bg_log_likelihood(p: &BgParams, d: BgData<'_>) -> f64 {
    BgRows::new(d).loglik(p).0
}

/// An evaluated point: (log parameters, cost, gradient).
type Evaluated = (Vec<f64>, f64, Vec<f64>);

/// The best point seen by any evaluation of a search: (cost, log parameters).
type Best = Mutex<Option<(f64, Vec<f64>)>>;

/// The objective on log parameters: mean negative log-likelihood plus the
/// penalty `penalizer * sum((w_k theta_k)^2)` (the `lifetimes` convention,
/// `w` undoing the search's rescaling), with a one-entry cache since the
/// line search asks for cost and gradient apart.
struct Objective<'a, const N: usize, F: Fn(&[f64; N]) -> (f64, [f64; N])> {
    loglik: &'a F,
    n: f64,
    penalizer: f64,
    weights: [f64; N],
    cancel: &'a Cancel,
    best: &'a Best,
    cache: Mutex<Option<Evaluated>>,
}

impl<const N: usize, F: Fn(&[f64; N]) -> (f64, [f64; N])> Objective<'_, N, F> {
    fn eval(&self, phi: &[f64]) -> std::result::Result<(f64, Vec<f64>), ArgminError> {
        if let Some((p, c, g)) = self.cache.lock().unwrap().as_ref() {
            if p.as_slice() == phi {
                return Ok((*c, g.clone()));
            }
        }
        if self.cancel.check().is_err() {
            return Err(ArgminError::msg("interrupted"));
        }
        let mut theta = [0.0; N];
        for (t, &f) in theta.iter_mut().zip(phi) {
            *t = f.exp();
        }
        let (ll, g) = (self.loglik)(&theta);
        let w2 = |k: usize| self.weights[k] * self.weights[k];
        let pen: f64 = (0..N).map(|k| w2(k) * theta[k] * theta[k]).sum::<f64>() * self.penalizer;
        let mut cost = -ll / self.n + pen;
        let mut grad: Vec<f64> = (0..N)
            .map(|k| theta[k] * (-g[k] / self.n + 2.0 * self.penalizer * w2(k) * theta[k]))
            .collect();
        if !cost.is_finite() || grad.iter().any(|v| !v.is_finite()) {
            // Off the model's domain numerically: a wall the line search backs away from.
            cost = f64::INFINITY;
            grad.iter_mut().for_each(|v| *v = 0.0);
        } else {
            let mut best = self.best.lock().unwrap();
            if best.as_ref().is_none_or(|b| cost < b.0) {
                *best = Some((cost, phi.to_vec()));
            }
        }
        *self.cache.lock().unwrap() = Some((phi.to_vec(), cost, grad.clone()));
        Ok((cost, grad))
    }
}

impl<const N: usize, F: Fn(&[f64; N]) -> (f64, [f64; N])> CostFunction for Objective<'_, N, F> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, phi: &Self::Param) -> std::result::Result<f64, ArgminError> {
        Ok(self.eval(phi)?.0)
    }
}

impl<const N: usize, F: Fn(&[f64; N]) -> (f64, [f64; N])> Gradient for Objective<'_, N, F> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, phi: &Self::Param) -> std::result::Result<Vec<f64>, ArgminError> {
        Ok(self.eval(phi)?.1)
    }
}

/// Maximises the penalised log-likelihood `loglik` (natural parameters) over
/// log parameters from 0 (every parameter 1): BFGS runs, each restarted from
/// the best point seen with a fresh inverse Hessian, until the gradient norm
/// is below [`CONVERGED_GRAD`] (at most 5 runs). Returns the natural
/// parameters, whether it converged and the iterations used.
fn minimise<const N: usize, F: Fn(&[f64; N]) -> (f64, [f64; N]) + Sync>(
    loglik: &F,
    n: usize,
    penalizer: f64,
    weights: [f64; N],
    cancel: &Cancel,
) -> Result<([f64; N], bool, u64)> {
    let best: Best = Mutex::new(None);
    let objective = || Objective {
        loglik,
        n: n as f64,
        penalizer,
        weights,
        cancel,
        best: &best,
        cache: Mutex::new(None),
    };
    let mut phi = vec![0.0; N];
    let mut iterations = 0;
    let mut converged = false;
    for _ in 0..5 {
        let eye: Vec<Vec<f64>> = (0..N)
            .map(|i| (0..N).map(|j| f64::from(u8::from(i == j))).collect())
            .collect();
        let solver = BFGS::new(MoreThuenteLineSearch::new())
            .with_tolerance_grad(CONVERGED_GRAD * 1e-1)
            .and_then(|s| s.with_tolerance_cost(1e-14))
            .map_err(|e| CoreError::Config(format!("optimiser: {e}")))?;
        let start = phi.clone();
        let res = Executor::new(objective(), solver)
            .configure(|s| s.param(start).inv_hessian(eye).max_iters(500))
            .run();
        cancel.check()?;
        // A line search that cannot improve ends a run with an error; the best point seen
        // and the gradient check below say where it stands.
        if let Ok(r) = &res {
            iterations += r.state().get_iter();
        }
        let Some((_, at)) = best.lock().unwrap().clone() else {
            break; // nothing finite was ever seen
        };
        phi = at;
        let (c, g) = objective()
            .eval(&phi)
            .map_err(|e| CoreError::Config(format!("optimiser: {e}")))?;
        converged = c.is_finite() && g.iter().map(|v| v * v).sum::<f64>().sqrt() < CONVERGED_GRAD;
        if converged {
            break;
        }
    }
    let mut theta = [0.0; N];
    for (t, f) in theta.iter_mut().zip(&phi) {
        *t = f.exp();
    }
    Ok((theta, converged, iterations))
}

fn check_penalizer(penalizer: f64) -> Result<()> {
    if !(penalizer.is_finite() && penalizer >= 0.0) {
        return Err(CoreError::Config(format!(
            "penalizer must be a finite number >= 0, got {penalizer} (CLV4)"
        )));
    }
    Ok(())
}

/// Fits the BG/NBD model by maximum likelihood (CLV4). The columns must be checked ([`check_bgnbd`]).
pub fn fit_bgnbd(d: BgData<'_>, penalizer: f64, cancel: &Cancel) -> Result<Fit<4>> {
    check_penalizer(penalizer)?;
    if d.x.is_empty() {
        return Err(CoreError::Config(
            "the summary has no rows: nothing to fit (CLV4)".into(),
        ));
    }
    if !d.x.iter().any(|&x| x > 0.0) {
        return Err(CoreError::Config(
            "no customer has a repeat purchase (frequency > 0): the dropout parameters a and b of BG/NBD cannot be estimated (CLV4)".into(),
        ));
    }
    // Time in units of a tenth of the longest T, as `lifetimes` does: alpha near 1 at the start.
    let t_max = d.t.iter().copied().fold(0.0, f64::max);
    let scale = if t_max > 0.0 { 10.0 / t_max } else { 1.0 };
    let rows = BgRows::new(d);
    let scaled = rows.rescaled(scale);
    let loglik = |p: &[f64; 4]| scaled.loglik(p);
    // The penalty is on the parameters in the caller's time unit: alpha / scale.
    let weights = [1.0, 1.0 / scale, 1.0, 1.0];
    let (mut params, converged, iterations) =
        minimise(&loglik, d.x.len(), penalizer, weights, cancel)?;
    params[1] /= scale;
    drop(scaled);
    let log_likelihood = rows.loglik(&params).0;
    Ok(Fit {
        params,
        log_likelihood,
        converged: converged && log_likelihood.is_finite(),
        iterations,
    })
}

fn check_bg_params(p: &BgParams) -> Result<()> {
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
    Ok((0..d.x.len())
        .into_par_iter()
        .map(|i| 1.0 / (1.0 + bg_odds(p, d.x[i], d.tx[i], d.t[i])))
        .collect())
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
fn bg_conditional_one(p: &BgParams, x: f64, tx: f64, t_cal: f64, t: f64) -> f64 {
    let mut out = [0.0];
    bg_numerators(p, x, t_cal, &[t], &mut out);
    out[0] / (1.0 + bg_odds(p, x, tx, t_cal))
}

/// The odds of having dropped out: 0 when x = 0, else a / (b + x - 1) ((alpha + T) / (alpha + tx))^(r + x).
fn bg_odds(p: &BgParams, x: f64, tx: f64, t_cal: f64) -> f64 {
    let [r, alpha, a, b] = *p;
    if x == 0.0 {
        return 0.0;
    }
    a / (b + x - 1.0) * ((r + x) * ((alpha + t_cal).ln() - (alpha + tx).ln())).exp()
}

/// The numerator of E[Y(t) | x, tx, T] (see [`bg_conditional_one`]) at
/// several horizons: it depends on x and T only, and the series
/// coefficients are shared by the horizons ([`hyp2f1_dm1_c_many`]).
fn bg_numerators(p: &BgParams, x: f64, t_cal: f64, ts: &[f64], out: &mut [f64]) {
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
            *o = -c * q - (eps * l).exp() * *o;
        }
    }
}

/// Evaluates `f(x, T)` once per distinct (x, T) of `d` (few: x is a count and
/// T, from dated transactions, a whole number of days), in parallel; returns
/// the values and, per row, the index of its own. The values do not depend
/// on the row order (I5).
fn per_x_t<V: Send>(d: BgData<'_>, f: impl Fn(f64, f64) -> V + Sync) -> (Vec<V>, Vec<u32>) {
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
    Ok((0..d.x.len())
        .into_par_iter()
        .map(|i| nums[group[i] as usize] / (1.0 + bg_odds(p, d.x[i], d.tx[i], d.t[i])))
        .collect())
}

/// E[X(t)]: expected purchases of a new customer in `t` time units (CLV4).
pub fn bg_population_expected(p: &BgParams, t: f64) -> Result<f64> {
    check_bg_params(p)?;
    check_t(t, "t")?;
    Ok(bg_conditional_one(p, 0.0, 0.0, 0.0, t))
}

// ---------------------------------------------------------------- Gamma-Gamma

/// Gamma-Gamma parameters (p, q, v).
pub type GgParams = [f64; 3];

/// The repeat rows (frequency > 0) of a Gamma-Gamma fit, each distinct
/// (x, m) once with its count, sorted (sums independent of row order, I5).
#[derive(Clone)]
struct GgRows {
    x: Vec<f64>,
    m: Vec<f64>,
    ln_m: Vec<f64>,
    w: Vec<f64>,
    distinct: Distinct,
}

impl GgRows {
    /// The repeat rows of the columns.
    fn new(x: &[f64], m: &[f64]) -> GgRows {
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

    fn customers(&self) -> f64 {
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
fn gg_loglik(params: &GgParams, rows: &GgRows) -> (f64, [f64; 3]) {
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
pub fn gg_log_likelihood(params: &GgParams, x: &[f64], m: &[f64]) -> f64 {
    gg_loglik(params, &GgRows::new(x, m)).0
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
    drop(scaled);
    let log_likelihood = gg_loglik(&params, &rows).0;
    Ok(Fit {
        params,
        log_likelihood,
        converged: converged && log_likelihood.is_finite(),
        iterations,
    })
}

fn check_gg_params(p: &GgParams) -> Result<()> {
    if p.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(CoreError::Config(format!(
            "Gamma-Gamma parameters must be finite and > 0, got p={}, q={}, v={} (CLV4)",
            p[0], p[1], p[2]
        )));
    }
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
    Ok((0..x.len())
        .into_par_iter()
        .map(|i| {
            let xv = x[i];
            let xm = if xv > 0.0 { xv * m[i] } else { 0.0 };
            p * (v + xm) / (p * xv + q - 1.0)
        })
        .collect())
}

/// Predictive CLV per customer over `months` months (CLV4):
/// sum over month i of spend * (E[Y(i f)] - E[Y((i - 1) f)]) / (1 + rate)^i,
/// with f time units per month.
pub struct Clv {
    pub expected_purchases: Vec<f64>,
    pub p_alive: Vec<f64>,
    pub expected_spend: Vec<f64>,
    pub clv: Vec<f64>,
}

/// See [`Clv`]. The columns must be checked for both models.
pub fn predictive_clv(
    bg: &BgParams,
    gg: &GgParams,
    d: BgData<'_>,
    m: &[f64],
    months: u32,
    rate: f64,
    units_per_month: f64,
) -> Result<Clv> {
    check_bg_params(bg)?;
    let expected_spend = gg_expected_spend(gg, d.x, m)?;
    if !(rate.is_finite() && rate > -1.0) {
        return Err(CoreError::Config(format!(
            "discount_rate must be a finite monthly rate > -1, got {rate} (CLV4)"
        )));
    }
    if !(units_per_month.is_finite() && units_per_month > 0.0) {
        return Err(CoreError::Config(format!(
            "the time units per month must be > 0, got {units_per_month} (CLV4)"
        )));
    }
    let p_alive = bg_p_alive(bg, d)?;
    // Per distinct (x, T): the numerators of the purchases over the horizon and of the
    // discounted purchases sum_i (E[Y(i f)] - E[Y((i - 1) f)]) / (1 + rate)^i; per row
    // they are divided by 1 + the row's dropout odds, and the latter multiplied by its spend.
    let ts: Vec<f64> = (1..=months)
        .map(|k| f64::from(k) * units_per_month)
        .collect();
    let discount: Vec<f64> = (1..=months)
        .map(|k| (1.0 + rate).powi(-(k as i32)))
        .collect();
    let (nums, group) = per_x_t(d, |x, tc| {
        let mut e = vec![0.0; ts.len()];
        bg_numerators(bg, x, tc, &ts, &mut e);
        let mut prev = 0.0;
        let mut discounted = 0.0;
        for (ek, dk) in e.iter().zip(&discount) {
            discounted += (ek - prev) * dk;
            prev = *ek;
        }
        (prev, discounted)
    });
    let rows: Vec<(f64, f64)> = (0..d.x.len())
        .into_par_iter()
        .map(|i| {
            let (e, disc) = nums[group[i] as usize];
            let alive = 1.0 + bg_odds(bg, d.x[i], d.tx[i], d.t[i]);
            (e / alive, expected_spend[i] * (disc / alive))
        })
        .collect();
    let (expected_purchases, clv) = rows.into_iter().unzip();
    Ok(Clv {
        expected_purchases,
        p_alive,
        expected_spend,
        clv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    /// Finite differences of the log-likelihood agree with the analytic gradient.
    #[test]
    fn bg_gradient_matches_finite_differences() {
        let x = [0.0, 1.0, 3.0, 2.0, 0.0, 7.0];
        let tx = [0.0, 5.0, 20.5, 30.0, 0.0, 38.0];
        let t = [10.0, 30.0, 38.0, 39.0, 2.0, 38.5];
        let d = BgData {
            x: &x,
            tx: &tx,
            t: &t,
        };
        let p = [0.4, 3.0, 0.7, 2.2];
        let rows = BgRows::new(d);
        let (_, g) = rows.loglik(&p);
        for k in 0..4 {
            let h = 1e-6 * p[k];
            let (mut up, mut dn) = (p, p);
            up[k] += h;
            dn[k] -= h;
            let fd = (rows.loglik(&up).0 - rows.loglik(&dn).0) / (2.0 * h);
            assert!(close(g[k], fd, 1e-6), "param {k}: {} vs {fd}", g[k]);
        }
    }

    #[test]
    fn gg_gradient_matches_finite_differences() {
        // A repeated row (weight 2) and a non-repeat row (left out).
        let x = [1.0, 2.0, 5.0, 1.0, 2.0, 0.0];
        let m = [10.0, 35.5, 20.0, 100.0, 35.5, 0.0];
        let rows = GgRows::new(&x, &m);
        assert_eq!(rows.customers(), 5.0);
        assert_eq!(rows.x.len(), 4);
        let p = [6.0, 3.5, 15.0];
        let (_, g) = gg_loglik(&p, &rows);
        for k in 0..3 {
            let h = 1e-6 * p[k];
            let (mut up, mut dn) = (p, p);
            up[k] += h;
            dn[k] -= h;
            let fd = (gg_loglik(&up, &rows).0 - gg_loglik(&dn, &rows).0) / (2.0 * h);
            assert!(close(g[k], fd, 1e-6), "param {k}: {} vs {fd}", g[k]);
        }
    }

    /// One customer by hand: x = 0, T = 10, r = 1, alpha = 1, a = 1, b = 1 gives
    /// LL = A1 + A2 + A3 = 0 + 0 - ln(11).
    #[test]
    fn bg_loglik_by_hand() {
        let d = BgData {
            x: &[0.0],
            tx: &[0.0],
            t: &[10.0],
        };
        let ll = bg_log_likelihood(&[1.0, 1.0, 1.0, 1.0], d);
        assert!(close(ll, -(11f64.ln()), 1e-14), "{ll}");
    }

    #[test]
    fn p_alive_and_expectations_by_hand() {
        let p = [0.5, 4.0, 0.8, 2.5];
        let d = BgData {
            x: &[0.0, 2.0],
            tx: &[0.0, 10.0],
            t: &[20.0, 20.0],
        };
        let alive = bg_p_alive(&p, d).unwrap();
        assert_eq!(alive[0], 1.0);
        let odds = 0.8 / (2.5 + 1.0) * ((24.0f64 / 14.0).powf(2.5));
        assert!(close(alive[1], 1.0 / (1.0 + odds), 1e-14));
        assert_eq!(bg_population_expected(&p, 0.0).unwrap(), 0.0);
        // E[X(t)] grows with t and is below the Poisson bound t * r / alpha.
        let e1 = bg_population_expected(&p, 10.0).unwrap();
        let e2 = bg_population_expected(&p, 20.0).unwrap();
        assert!(0.0 < e1 && e1 < e2 && e2 < 20.0 * 0.5 / 4.0, "{e1} {e2}");
    }

    /// The expectation is continuous through a = 1 (the textbook form divides by a - 1).
    #[test]
    fn conditional_expectation_at_a_equal_one() {
        let at = |a: f64| bg_conditional_one(&[0.5, 4.0, a, 2.5], 2.0, 10.0, 20.0, 15.0);
        let (lo, one, hi) = (at(1.0 - 1e-6), at(1.0), at(1.0 + 1e-6));
        assert!(one.is_finite() && one > 0.0);
        assert!(
            close(lo, one, 1e-5) && close(hi, one, 1e-5),
            "{lo} {one} {hi}"
        );
        // Against the textbook form with the plain series away from a = 1.
        let (r, alpha, a, b, x, tx, tc, t): (f64, f64, f64, f64, f64, f64, f64, f64) =
            (0.5, 4.0, 0.8, 2.5, 2.0, 10.0, 20.0, 15.0);
        let z = t / (alpha + tc + t);
        let num = (a + b + x - 1.0) / (a - 1.0)
            * (1.0
                - ((alpha + tc) / (alpha + tc + t)).powf(r + x)
                    * crate::special::hyp2f1(r + x, b + x, a + b + x - 1.0, z));
        let den = 1.0 + a / (b + x - 1.0) * ((alpha + tc) / (alpha + tx)).powf(r + x);
        let got = bg_conditional_one(&[r, alpha, a, b], x, tx, tc, t);
        assert!(close(got, num / den, 1e-11), "{got} vs {}", num / den);
    }

    #[test]
    fn errors_name_column_and_row() {
        let names = Names::default();
        let e = check_bgnbd(&[1.0, 2.0], &[1.0, 5.0], &[2.0, 4.0], &names).unwrap_err();
        assert!(
            matches!(&e, CoreError::InvalidValue { column, row: 1, .. } if column == "recency"),
            "{e}"
        );
        let e = check_bgnbd(&[-1.0], &[0.0], &[1.0], &names).unwrap_err();
        assert!(
            matches!(&e, CoreError::InvalidValue { column, row: 0, .. } if column == "frequency")
        );
        let e = check_gamma_gamma(&[0.0, 1.0], &[0.0, 0.0], &names).unwrap_err();
        assert!(
            matches!(&e, CoreError::InvalidValue { column, row: 1, .. } if column == "monetary_value"),
            "{e}"
        );
        assert!(e.to_string().contains("CLV4"));
    }

    /// Simulated from the BG/NBD story: the fit finds parameters near the truth.
    #[test]
    fn fit_recovers_simulated_parameters() {
        use rand::{Rng, SeedableRng};
        use rand_distr::{Beta, Distribution, Exp, Gamma};
        let (r, alpha, a, b) = (0.5f64, 5.0f64, 0.8f64, 2.5f64);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let n = 20_000;
        let (mut x, mut tx, mut t) = (vec![], vec![], vec![]);
        for _ in 0..n {
            let lambda = Gamma::new(r, 1.0 / alpha).unwrap().sample(&mut rng);
            let pd = Beta::new(a, b).unwrap().sample(&mut rng);
            let big_t = 40.0 - rng.random_range(0.0..12.0);
            let (mut now, mut k, mut last) = (0.0, 0.0, 0.0);
            loop {
                now += Exp::new(lambda).unwrap().sample(&mut rng);
                if now > big_t {
                    break;
                }
                k += 1.0;
                last = now;
                if rng.random::<f64>() < pd {
                    break;
                }
            }
            x.push(k);
            tx.push(last);
            t.push(big_t);
        }
        let d = BgData {
            x: &x,
            tx: &tx,
            t: &t,
        };
        check_bgnbd(&x, &tx, &t, &Names::default()).unwrap();
        let fit = fit_bgnbd(d, 0.0, &Cancel::new()).unwrap();
        assert!(fit.converged);
        for (got, want) in fit.params.iter().zip([r, alpha, a, b]) {
            assert!(close(*got, want, 0.25), "{:?}", fit.params);
        }
        // The optimum: the log-likelihood is lower a little away from it.
        for k in 0..4 {
            let mut q = fit.params;
            q[k] *= 1.01;
            assert!(bg_log_likelihood(&q, d) < fit.log_likelihood);
        }
    }
}
