//! Tests of the BTYD models: gradients, hand-worked values, fits.

use super::bgnbd::*;
use super::gamma_gamma::*;
use super::*;
use crate::cancel::Cancel;

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
    let ll = bg_log_likelihood(&[1.0, 1.0, 1.0, 1.0], d).unwrap();
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
    assert!(matches!(&e, CoreError::InvalidValue { column, row: 0, .. } if column == "frequency"));
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
        assert!(bg_log_likelihood(&q, d).unwrap() < fit.log_likelihood);
    }
}

/// The covariance of a Gaussian log-likelihood -(theta - mu)' A (theta - mu) / 2
/// is A^-1 exactly (the differences of a linear gradient are exact); a
/// gradient without curvature gives NaN, not a wrong number.
#[test]
fn covariance_inverts_the_information() {
    let a = [[4.0, 1.0, 0.5], [1.0, 3.0, 0.25], [0.5, 0.25, 2.0]];
    let mu = [1.0, 2.0, 3.0];
    let grad = |t: &[f64; 3]| -> [f64; 3] {
        std::array::from_fn(|i| -(0..3).map(|j| a[i][j] * (t[j] - mu[j])).sum::<f64>())
    };
    let cov = super::fit::covariance(grad, &[1.5, 2.5, 2.0]);
    for (i, row) in cov.iter().enumerate() {
        for j in 0..3 {
            let prod: f64 = row.iter().zip(&a).map(|(c, a_k)| c * a_k[j]).sum();
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((prod - want).abs() < 1e-9, "({i},{j}): {prod}");
        }
    }
    let flat = super::fit::covariance(|_: &[f64; 2]| [0.0, 0.0], &[1.0, 1.0]);
    assert!(flat.iter().flatten().all(|v| v.is_nan()));
}

/// The BG/NBD fit on the CDNOW sample (weeks, testdata) carries the standard
/// errors lifetimes prints for it: r 0.01256, alpha 0.3782, a 0.1857, b 0.7054.
#[test]
fn bg_fit_standard_errors_on_cdnow() {
    let text = include_str!("testdata/cdnow_sample_summary.csv");
    let mut cols = [Vec::new(), Vec::new(), Vec::new()];
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        for (c, v) in cols.iter_mut().zip(line.split(',')) {
            c.push(v.parse::<f64>().unwrap());
        }
    }
    let d = BgData {
        x: &cols[0],
        tx: &cols[1],
        t: &cols[2],
    };
    let f = fit_bgnbd(d, 0.0, &Cancel::new()).unwrap();
    let se: Vec<f64> = (0..4).map(|k| f.covariance[k][k].sqrt()).collect();
    for (got, want) in se.iter().zip([0.01256, 0.3782, 0.1857, 0.7054]) {
        assert!(close(*got, want, 1e-3), "{se:?}");
    }
}

/// A summary the model does not describe (frequencies uniform on 0..19,
/// recency uniform in (0, T)): the likelihood rises toward a and b -> infinity
/// together. The fit stops at the edge, not converged, after a few hundred
/// evaluations, not thousands of iterations (it took minutes at 200k rows).
#[test]
fn bg_fit_stops_at_the_edge_of_the_parameter_space() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
    let n = 20_000;
    let t: Vec<f64> = (0..n).map(|_| rng.random_range(1.0..100.0)).collect();
    let x: Vec<f64> = (0..n)
        .map(|_| f64::from(rng.random_range(0..20u8)))
        .collect();
    let tx: Vec<f64> = (0..n)
        .map(|i| {
            if x[i] > 0.0 {
                rng.random_range(0.0..1.0) * t[i]
            } else {
                0.0
            }
        })
        .collect();
    let d = BgData {
        x: &x,
        tx: &tx,
        t: &t,
    };
    let f = fit_bgnbd(d, 0.0, &Cancel::new()).unwrap();
    assert!(!f.converged);
    assert!(f.params[2] > 1e5 && f.params[3] > 1e5, "{:?}", f.params);
    assert!(f.iterations < 1000, "{}", f.iterations);
    assert!(f.log_likelihood.is_finite());
}

/// Once per distinct row or once per row, the values are those of the row:
/// a summary with repeats (the table) and one without (the fallback).
#[test]
fn per_distinct_row_equals_per_row() {
    let f = |x: f64, tx: f64, t: f64| x * 1e6 + tx * 1e3 + t;
    let repeats = (
        [1.0, 2.0, 1.0, 1.0, 2.0],
        [3.0, 4.0, 3.0, 3.0, 4.0],
        [5.0, 6.0, 5.0, 7.0, 6.0],
    );
    let distinct = ([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [9.0, 9.0, 9.0]);
    for (x, tx, t) in [
        (&repeats.0[..], &repeats.1[..], &repeats.2[..]),
        (&distinct.0[..], &distinct.1[..], &distinct.2[..]),
    ] {
        let want: Vec<f64> = (0..x.len()).map(|i| f(x[i], tx[i], t[i])).collect();
        assert_eq!(per_distinct_row(x, tx, t, f), want);
    }
}
