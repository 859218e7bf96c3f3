//! Tests of the Pareto/NBD model (CLV4): the special functions against
//! scipy, gradients against finite differences, hand-worked values, the
//! CDNOW fit of Fader, Hardie and Lee, extreme rows, P(X(t) = x).

use super::pareto_nbd::*;
use super::*;
use crate::cancel::Cancel;
use crate::special::{hyp2f1_1bc, ln_beta_inc};

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

fn data<'a>(x: &'a [f64], tx: &'a [f64], t: &'a [f64]) -> BgData<'a> {
    BgData { x, tx, t }
}

/// (b, c, z, 2F1(1, b; c; z)) from scipy.special.hyp2f1 1.17.1, computed once;
/// a 40-digit series (Python's decimal) agrees with every value within 3e-14.
const HYP2F1_SCIPY: [(f64, f64, f64, f64); 11] = [
    (0.5, 2.1, 0.3, 1.084197383190574),
    (1.553, 2.159, 0.05, 1.0374839872307358),
    (500.55, 502.16, 0.09, 1.0985528251180616),
    (1.606, 502.16, 0.55, 1.0017640316110903),
    (0.3, 1.9, 0.7, 1.1740875994640487),
    (2.5, 4.0, 0.95, 3.5192199865873515),
    (500.55, 502.16, 0.99, 78.21207211863803),
    (1.606, 3.5, 0.999, 2.7612947358053432),
    (0.05, 1.2, 0.9999, 1.2454863257169897),
    (30.0, 31.7, 0.6, 2.3203771962177284),
    (30.0, 31.7, 0.61, 2.372846701748388),
];

#[test]
fn hyp2f1_1bc_equals_scipy_on_both_sides_of_the_switch() {
    for (b, c, z, want) in HYP2F1_SCIPY {
        let got = hyp2f1_1bc(b, c, z)[0];
        assert!(close(got, want, 1e-12), "{b} {c} {z}: {got} vs {want}");
    }
    // At z = 0: 1, and dF/dz = b / c.
    assert_eq!(hyp2f1_1bc(0.7, 2.0, 0.0), [1.0, 0.0, 0.0, 0.35]);
    // Continuous where the series hands over to the continued fraction.
    let (lo, hi) = (hyp2f1_1bc(3.3, 4.1, 0.6), hyp2f1_1bc(3.3, 4.1, 0.6 + 1e-12));
    for k in 0..4 {
        assert!(close(hi[k], lo[k], 1e-9), "{k}: {lo:?} {hi:?}");
    }
    for bad in [
        hyp2f1_1bc(2.0, 1.5, 0.3),
        hyp2f1_1bc(0.0, 1.5, 0.3),
        hyp2f1_1bc(1.0, 2.0, 1.0),
        hyp2f1_1bc(1.0, 2.0, -0.1),
        hyp2f1_1bc(1.0, f64::INFINITY, 0.5),
    ] {
        assert!(bad.iter().all(|v| v.is_nan()), "{bad:?}");
    }
}

/// The derivatives of 2F1(1, b; c; z) equal central differences of its value, on both methods.
#[test]
fn hyp2f1_1bc_derivatives_match_finite_differences() {
    for (b, c, z) in [
        (0.5, 2.1, 0.3),
        (500.55, 502.16, 0.09),
        (1.606, 502.16, 0.55),
        (2.5, 4.0, 0.95),
        (500.55, 502.16, 0.99),
        (0.05, 1.2, 0.999),
        (30.0, 31.7, 0.7),
    ] {
        let g = hyp2f1_1bc(b, c, z);
        let at = [b, c, z];
        for k in 0..3 {
            let h = if k == 2 {
                1e-4 * (1.0 - z)
            } else {
                1e-6 * at[k]
            };
            let (mut up, mut dn) = (at, at);
            up[k] += h;
            dn[k] -= h;
            let fd = (hyp2f1_1bc(up[0], up[1], up[2])[0] - hyp2f1_1bc(dn[0], dn[1], dn[2])[0])
                / (2.0 * h);
            let scale = fd.abs().max(1e-3 * g[0]);
            assert!(
                (g[k + 1] - fd).abs() <= 1e-6 * scale,
                "{b} {c} {z} d{k}: {} vs {fd}",
                g[k + 1]
            );
        }
    }
}

/// (a, b, x, ln B(x; a, b)) from scipy (log(betainc) + betaln), computed once.
const LN_BETA_INC_SCIPY: [(f64, f64, f64, f64); 8] = [
    (1.0, 1.16, 0.3, -1.2306794139681827),
    (3.0, 1.16, 0.8, -1.9241544911904116),
    (51.0, 1.16, 0.2, -86.04809621995385),
    (501.0, 5.0, 0.9, -68.13959089034762),
    (2.0, 40.0, 0.01, -10.160119504933355),
    (11.0, 0.7, 0.999, -1.4554797532673256),
    (0.5, 0.5, 0.5, 0.4515827052894549),
    (200.0, 300.0, 0.41, -338.36926963648835),
];

#[test]
fn ln_beta_inc_equals_scipy() {
    for (a, b, x, want) in LN_BETA_INC_SCIPY {
        let got = ln_beta_inc(a, b, x, 1.0 - x);
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{a} {b} {x}: {got} vs {want}"
        );
    }
    assert_eq!(ln_beta_inc(2.0, 3.0, 0.0, 1.0), f64::NEG_INFINITY);
    // B(1; a, b) = B(a, b): B(2, 3) = 1 / 12.
    assert!(close(
        ln_beta_inc(2.0, 3.0, 1.0, 0.0),
        (1.0f64 / 12.0).ln(),
        1e-14
    ));
    assert!(ln_beta_inc(0.0, 3.0, 0.5, 0.5).is_nan());
}

/// Rows that take both branches of the likelihood, x = 0 and large, tx = 0,
/// tx = T and tx near T, repeated rows (weights), a wide range of T.
fn grad_rows() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let x = vec![0.0, 1.0, 3.0, 2.0, 0.0, 7.0, 40.0, 2.0, 3.0, 1.0];
    let tx = vec![0.0, 5.0, 20.5, 30.0, 0.0, 38.0, 0.5, 39.0, 20.5, 0.0];
    let t = vec![10.0, 30.0, 38.0, 39.0, 2.0, 38.5, 300.0, 39.0, 38.0, 0.5];
    (x, tx, t)
}

/// Finite differences of the log-likelihood agree with the analytic gradient
/// for alpha > beta (the series and the continued fraction), alpha < beta, alpha = beta.
#[test]
fn gradient_matches_finite_differences() {
    let (x, tx, t) = grad_rows();
    let rows = PnRows::new(data(&x, &tx, &t));
    for p in [
        [0.55, 10.6, 0.61, 11.7],
        [0.55, 12.6, 0.61, 1.7],
        [0.55, 400.0, 0.61, 0.5],
        [1.3, 0.4, 2.5, 300.0],
        [0.8, 3.0, 1.0, 3.0],
        [2.0, 5.0, 0.05, 4.0],
    ] {
        let (_, g) = rows.loglik(&p);
        for k in 0..4 {
            let h = 1e-6 * p[k];
            let (mut up, mut dn) = (p, p);
            up[k] += h;
            dn[k] -= h;
            let fd = (rows.loglik(&up).0 - rows.loglik(&dn).0) / (2.0 * h);
            assert!(
                (g[k] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
                "{p:?} param {k}: {} vs {fd}",
                g[k]
            );
        }
    }
}

/// One customer by hand: r = s = alpha = beta = 1, x = 0, tx = 0, T = 1:
/// E(T) = 1/4, s I(y) = (1 + y)^-2 / 2, the bracket 1/4 + 1/2 - 1/8 = 5/8;
/// P(alive) = (1/4) / (5/8) = 0.4; E[Y(1)] at s = 1: (1)(2)/(2) ln(3/2) 0.4;
/// E[X(1)] at s = 2: r beta / (alpha (s - 1)) (1 - 1/2) = 1/2.
#[test]
fn hand_worked_values() {
    let one = [1.0, 1.0, 1.0, 1.0];
    let d = data(&[0.0], &[0.0], &[1.0]);
    let ll = pn_log_likelihood(&one, d).unwrap();
    assert!(close(ll, (5.0f64 / 8.0).ln(), 1e-14), "{ll}");
    let alive = pn_p_alive(&one, d).unwrap();
    assert!(close(alive[0], 0.4, 1e-14), "{alive:?}");
    let e = pn_conditional_expected(&one, d, 1.0).unwrap();
    assert!(close(e[0], 0.4 * 1.5f64.ln(), 1e-14), "{e:?}");
    // Continuous through s = 1 (the textbook form divides by s - 1).
    for s in [1.0 - 1e-9, 1.0 + 1e-9] {
        let near = pn_conditional_expected(&[1.0, 1.0, s, 1.0], d, 1.0).unwrap();
        assert!(close(near[0], e[0], 1e-8), "{near:?}");
    }
    let pop = pn_population_expected(&[1.0, 1.0, 2.0, 1.0], 1.0).unwrap();
    assert!(close(pop, 0.5, 1e-14), "{pop}");
    assert_eq!(pn_population_expected(&one, 0.0).unwrap(), 0.0);
    // Bad parameters and horizons are errors, not NaN.
    assert!(pn_p_alive(&[1.0, -1.0, 1.0, 1.0], d).is_err());
    assert!(pn_conditional_expected(&one, d, f64::NAN).is_err());
}

fn cdnow() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut x, mut tx, mut t) = (vec![], vec![], vec![]);
    let text = include_str!("testdata/cdnow_sample_summary.csv");
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let v: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
        x.push(v[0]);
        tx.push(v[1]);
        t.push(v[2]);
    }
    (x, tx, t)
}

/// The CDNOW sample (2,357 customers, weeks): Fader, Hardie and Lee's
/// r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL -9595.0, each within 1%.
#[test]
fn cdnow_fit_reproduces_the_published_figures() {
    let (x, tx, t) = cdnow();
    assert_eq!(x.len(), 2357);
    let d = data(&x, &tx, &t);
    let fit = fit_pareto_nbd(d, 0.0, &Cancel::new()).unwrap();
    assert!(fit.converged, "{fit:?}");
    for (got, want) in fit.params.iter().zip([0.553, 10.578, 0.606, 11.669]) {
        assert!(close(*got, want, 0.01), "{:?}", fit.params);
    }
    assert!(
        close(fit.log_likelihood, -9595.0, 0.01),
        "{}",
        fit.log_likelihood
    );
    assert!(
        (fit.log_likelihood - -9595.0).abs() < 0.1,
        "{}",
        fit.log_likelihood
    );
    // An optimum: every parameter 1% away lowers the log-likelihood.
    for k in 0..4 {
        for f in [0.99, 1.01] {
            let mut q = fit.params;
            q[k] *= f;
            assert!(pn_log_likelihood(&q, d).unwrap() < fit.log_likelihood);
        }
    }
    // The covariance is positive definite (standard errors exist).
    assert!(
        (0..4).all(|k| fit.covariance[k][k] > 0.0),
        "{:?}",
        fit.covariance
    );
}

/// I5: the same rows in another order, and every row twice, give the same
/// log-likelihood (bit for bit) and twice it.
#[test]
fn row_order_and_weights() {
    let (x, tx, t) = cdnow();
    let p = [0.55, 10.58, 0.61, 11.67];
    let base = pn_log_likelihood(&p, data(&x, &tx, &t)).unwrap();
    let rev = |v: &[f64]| v.iter().rev().copied().collect::<Vec<f64>>();
    let back = pn_log_likelihood(&p, data(&rev(&x), &rev(&tx), &rev(&t))).unwrap();
    assert_eq!(base.to_bits(), back.to_bits());
    let twice = |v: &[f64]| [v, v].concat();
    let double = pn_log_likelihood(&p, data(&twice(&x), &twice(&tx), &twice(&t))).unwrap();
    assert!(close(double, 2.0 * base, 1e-13), "{double} {base}");
}

/// Extreme rows (x = 500, T = 5000 weeks, tx near 0 and near T) on both
/// branches, far from alpha = beta too: finite values, P(alive) in [0, 1],
/// falling as tx moves away from T.
#[test]
fn extreme_rows_are_finite() {
    let x = [500.0, 500.0, 500.0, 500.0, 0.0, 1.0];
    let tx = [1e-3, 2500.0, 4999.999, 5000.0, 0.0, 1e-9];
    let t = [5000.0; 6];
    let d = data(&x, &tx, &t);
    for p in [
        [0.55, 10.58, 0.61, 11.67],
        [0.55, 400.0, 0.61, 0.05],
        [0.55, 0.05, 0.61, 400.0],
        [20.0, 1.0, 0.01, 1.0],
    ] {
        let ll = pn_log_likelihood(&p, d).unwrap();
        assert!(ll.is_finite(), "{p:?}");
        let alive = pn_p_alive(&p, d).unwrap();
        assert!(
            alive.iter().all(|a| (0.0..=1.0).contains(a)),
            "{p:?} {alive:?}"
        );
        assert!(alive[0] <= alive[1] && alive[1] <= alive[2] && alive[2] <= alive[3]);
        let e = pn_conditional_expected(&p, d, 52.0).unwrap();
        assert!(e.iter().all(|v| v.is_finite() && *v >= 0.0), "{p:?} {e:?}");
        let (_, g) = PnRows::new(d).loglik(&p);
        assert!(g.iter().all(|v| v.is_finite()), "{p:?} {g:?}");
        // tx = T: no time to have died unseen, P(alive) = E(T) / E(T) = 1.
        assert_eq!(alive[3], 1.0);
    }
}

/// P(X(t) = x) by Simpson's rule on the integral it is (alive to t, or
/// dead at u < t with x purchases by then), 20,000 panels in u = t v^2.
fn pmf_by_quadrature(p: &PnParams, t: f64, x: f64) -> f64 {
    let [r, alpha, s, beta] = *p;
    let ln_nb = |u: f64| {
        crate::special::ln_gamma(r + x)
            - crate::special::ln_gamma(r)
            - crate::special::ln_gamma(x + 1.0)
            + r * (alpha / (alpha + u)).ln()
            + if x > 0.0 {
                x * (u / (alpha + u)).ln()
            } else {
                0.0
            }
    };
    let alive = (ln_nb(t) + s * (beta / (beta + t)).ln()).exp();
    let f = |v: f64| {
        let u = t * v * v;
        let death = s / beta * (beta / (beta + u)).powf(s + 1.0);
        ln_nb(u).exp() * death * 2.0 * t * v
    };
    let n = 20_000;
    let h = 1.0 / n as f64;
    let mut sum = f(0.0) + f(1.0);
    for i in 1..n {
        sum += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    alive + sum * h / 3.0
}

#[test]
fn probability_of_purchases_is_the_distribution_of_x() {
    for p in [
        [0.55, 10.58, 0.61, 11.67],
        [0.55, 12.0, 0.61, 3.0],
        [1.2, 3.0, 2.5, 40.0],
        [0.8, 5.0, 1.0, 5.0],
    ] {
        for t in [0.5, 39.0, 400.0] {
            let probs = pn_probability_of_purchases(&p, t, 8, &Cancel::new()).unwrap();
            for (x, &got) in probs.iter().enumerate() {
                let want = pmf_by_quadrature(&p, t, x as f64);
                assert!(close(got, want, 1e-8), "{p:?} t={t} x={x}: {got} vs {want}");
            }
            // The entries add up to 1 and their mean is E[X(t)] (n_max large enough).
            // P(X(t) > n) falls like (t / (alpha + t))^n: n = 40 (alpha + t) / alpha leaves < 1e-13.
            let n_max = (40.0 * (p[1] + t) / p[1]) as usize;
            let all = pn_probability_of_purchases(&p, t, n_max, &Cancel::new()).unwrap();
            let total: f64 = all.iter().sum();
            let mean: f64 = all.iter().enumerate().map(|(x, v)| x as f64 * v).sum();
            let e = pn_population_expected(&p, t).unwrap();
            assert!((total - 1.0).abs() < 1e-10, "{p:?} t={t}: {total}");
            assert!(close(mean, e, 1e-8), "{p:?} t={t}: {mean} vs {e}");
        }
    }
    assert_eq!(
        pn_probability_of_purchases(&[1.0; 4], 0.0, 2, &Cancel::new()).unwrap(),
        vec![1.0, 0.0, 0.0]
    );
    assert!(
        pn_probability_of_purchases(&[1.0; 4], 1.0, PN_MAX_PURCHASES + 1, &Cancel::new()).is_err()
    );
}

/// Simulated from the Pareto/NBD story: the fit finds parameters near the truth.
#[test]
fn fit_recovers_simulated_parameters() {
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, Exp, Gamma};
    let (r, alpha, s, beta) = (0.6f64, 8.0f64, 0.8f64, 15.0f64);
    let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
    let (mut x, mut tx, mut t) = (vec![], vec![], vec![]);
    for _ in 0..10_000 {
        let lambda = Gamma::new(r, 1.0 / alpha).unwrap().sample(&mut rng);
        let mu = Gamma::new(s, 1.0 / beta).unwrap().sample(&mut rng);
        let big_t = 52.0 - (rng.random_range(0..365) as f64) / 7.0;
        let death = Exp::new(mu).unwrap().sample(&mut rng).min(big_t);
        let (mut now, mut k, mut last) = (0.0, 0.0, 0.0);
        loop {
            now += Exp::new(lambda).unwrap().sample(&mut rng);
            if now > death {
                break;
            }
            k += 1.0;
            last = now;
        }
        x.push(k);
        tx.push(last);
        t.push(big_t);
    }
    check_bgnbd(&x, &tx, &t, &Names::default()).unwrap();
    let fit = fit_pareto_nbd(data(&x, &tx, &t), 0.0, &Cancel::new()).unwrap();
    assert!(fit.converged);
    for (got, want) in fit.params.iter().zip([r, alpha, s, beta]) {
        assert!(close(*got, want, 0.3), "{:?}", fit.params);
    }
}
