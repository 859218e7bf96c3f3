//! Maximum likelihood on log parameters: BFGS with a More-Thuente line
//! search (`argmin`), from analytic gradients, restarted from the best point
//! seen until the gradient is small. Shared by every BTYD model.

use std::sync::Mutex;

use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::BFGS;

use super::CONVERGED_GRAD;
use crate::cancel::Cancel;
use crate::error::{CoreError, Result};

/// A best point with a |log parameter| beyond this (e^14 = 1.2e6) ends the fit,
/// not converged: the likelihood still rises toward the edge of the parameter
/// space (a and b of BG/NBD growing together when the dropout probability is
/// the same for all), the data do not identify the parameters, and following
/// the ridge costs thousands of iterations for nothing.
/// (In the rescaled units where the parameters start at 1.)
const EDGE: f64 = 14.0;
/// The gradient norm (of the mean objective, on log parameters) below which a
/// point beyond [`EDGE`] is on such a ridge.
const RIDGE_GRAD: f64 = 1e-3;

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
    /// Evaluations of this objective: the count of a run that ends in an error (no state).
    evaluations: &'a std::sync::atomic::AtomicU64,
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
        self.evaluations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
                // A wild first step of a line search may land far out with a lower cost
                // but a steep slope; a ridge toward the edge is flat.
                let flat = grad.iter().map(|v| v * v).sum::<f64>().sqrt() < RIDGE_GRAD;
                if beyond(phi, EDGE) && flat {
                    return Err(ArgminError::msg("edge")); // the run ends at this best point
                }
            }
        }
        *self.cache.lock().unwrap() = Some((phi.to_vec(), cost, grad.clone()));
        Ok((cost, grad))
    }
}

/// Whether a log parameter of `phi` is beyond `limit` in size.
fn beyond(phi: &[f64], limit: f64) -> bool {
    phi.iter().any(|v| v.abs() > limit)
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
pub(super) fn minimise<const N: usize, F: Fn(&[f64; N]) -> (f64, [f64; N]) + Sync>(
    loglik: &F,
    n: usize,
    penalizer: f64,
    weights: [f64; N],
    cancel: &Cancel,
) -> Result<([f64; N], bool, u64)> {
    let best: Best = Mutex::new(None);
    let evaluations = std::sync::atomic::AtomicU64::new(0);
    let objective = || Objective {
        loglik,
        n: n as f64,
        penalizer,
        weights,
        cancel,
        best: &best,
        cache: Mutex::new(None),
        evaluations: &evaluations,
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
        let evaluated = evaluations.swap(0, std::sync::atomic::Ordering::Relaxed);
        iterations += res.as_ref().map_or(evaluated, |r| r.state().get_iter());
        let Some((_, at)) = best.lock().unwrap().clone() else {
            break; // nothing finite was ever seen
        };
        phi = at;
        if res.as_ref().is_err_and(|e| e.to_string().contains("edge")) {
            break; // converged stays false: the optimum is not inside the parameter space
        }
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

/// The covariance of the maximum-likelihood estimates at `theta`: the inverse
/// of the observed information, minus the Hessian of the summed
/// log-likelihood (CLV4, standard errors). The Hessian is the derivative of
/// the model's analytic gradient `grad` by central differences (h = 1e-4 of
/// each parameter: a truncation error of order h^2 = 1e-8 relative, rounding
/// far below it), made symmetric; not differences of differences of the
/// log-likelihood, whose rounding swamps the curvature on large summaries.
/// 2N gradient evaluations. All NaN when the information is not positive
/// definite (a fit on the edge of the parameter space, or too little data to
/// tell the parameters apart).
pub(crate) fn covariance<const N: usize>(
    grad: impl Fn(&[f64; N]) -> [f64; N],
    theta: &[f64; N],
) -> [[f64; N]; N] {
    let mut info = nalgebra::DMatrix::<f64>::zeros(N, N);
    for k in 0..N {
        let h = 1e-4 * theta[k];
        let (mut up, mut down) = (*theta, *theta);
        up[k] += h;
        down[k] -= h;
        let (gu, gd) = (grad(&up), grad(&down));
        for j in 0..N {
            info[(j, k)] = -(gu[j] - gd[j]) / (2.0 * h);
        }
    }
    let info = (&info + info.transpose()) * 0.5;
    let inverse = info
        .clone()
        .cholesky()
        .map(|c| c.inverse())
        .filter(|m| m.iter().all(|v| v.is_finite()));
    std::array::from_fn(|i| {
        std::array::from_fn(|j| inverse.as_ref().map_or(f64::NAN, |m| m[(i, j)]))
    })
}

/// How a (frequency, recency, T) count model is fitted: its name and
/// parameter names for messages, why it needs a repeat purchase, which of its
/// parameters are in time units, its rows and their log-likelihood.
pub(super) struct TimeModel<'a, R> {
    pub(super) model: &'a str,
    /// Why the parameters cannot be estimated without a repeat purchase.
    pub(super) needs_repeat: &'a str,
    /// The parameters measured in the summary's time unit (rescaled by the search).
    pub(super) time_params: &'a [usize],
    pub(super) rows: fn(super::BgData<'_>) -> R,
    pub(super) rescaled: fn(&R, f64) -> R,
    pub(super) loglik: fn(&[f64; 4], &R) -> (f64, [f64; 4]),
    pub(super) names: fn(&[f64; 4]) -> [(&'static str, f64); 4],
}

/// Fits a count model on (frequency, recency, T) by maximum likelihood
/// (CLV4): BG/NBD, MBG/NBD and Pareto/NBD alike. Time is rescaled so that
/// the longest T is 10 (the time parameters near 1 at the start, as
/// `lifetimes` does), which moves the log-likelihood by a constant only; the
/// penalty is on the parameters in the caller's time unit; the optimum is
/// scaled back and the log-likelihood and covariance computed on the
/// caller's rows. The columns must be checked ([`super::check_bgnbd`]).
pub(super) fn fit_time_model<R: Sync>(
    m: &TimeModel<'_, R>,
    d: super::BgData<'_>,
    penalizer: f64,
    cancel: &Cancel,
) -> Result<super::Fit<4>> {
    super::check_penalizer(penalizer)?;
    if d.x.is_empty() {
        return Err(CoreError::Config(
            "the summary has no rows: nothing to fit (CLV4)".into(),
        ));
    }
    if !d.x.iter().any(|&x| x > 0.0) {
        return Err(CoreError::Config(format!(
            "no customer has a repeat purchase (frequency > 0): {} (CLV4)",
            m.needs_repeat
        )));
    }
    let t_max = d.t.iter().copied().fold(0.0, f64::max);
    let scale = if t_max > 0.0 { 10.0 / t_max } else { 1.0 };
    let rows = (m.rows)(d);
    let scaled = (m.rescaled)(&rows, scale);
    let loglik = |p: &[f64; 4]| (m.loglik)(p, &scaled);
    let mut weights = [1.0; 4];
    for &k in m.time_params {
        weights[k] = 1.0 / scale;
    }
    let (mut params, converged, iterations) =
        minimise(&loglik, d.x.len(), penalizer, weights, cancel)?;
    for &k in m.time_params {
        params[k] /= scale;
    }
    super::fitted(m.model, &(m.names)(&params))?;
    drop(scaled);
    let log_likelihood = (m.loglik)(&params, &rows).0;
    Ok(super::Fit {
        params,
        log_likelihood,
        converged: converged && log_likelihood.is_finite(),
        iterations,
        covariance: covariance(|p| (m.loglik)(p, &rows).1, &params),
    })
}
