//! Tests of the MBG/NBD model (CLV4): gradient, hand-worked values, the
//! published CDNOW fit, predictions against the textbook forms.

use super::bgnbd::BgRows;
use super::mbgnbd::*;
use super::{check_bgnbd, BgData, Names};
use crate::cancel::Cancel;
use crate::special::hyp2f1;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

/// The CDNOW sample summary (2,357 customers, weeks, calibration to 1997-09-30).
fn cdnow() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut x, mut tx, mut t) = (vec![], vec![], vec![]);
    for line in include_str!("testdata/cdnow_sample_summary.csv")
        .lines()
        .skip(2)
    {
        let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        x.push(v[0]);
        tx.push(v[1]);
        t.push(v[2]);
    }
    (x, tx, t)
}

#[test]
fn gradient_matches_finite_differences() {
    let x = [0.0, 1.0, 3.0, 2.0, 0.0, 7.0, 3.0];
    let tx = [0.0, 5.0, 20.5, 30.0, 0.0, 38.0, 20.5];
    let t = [10.0, 30.0, 38.0, 39.0, 2.0, 38.5, 38.0];
    let rows = BgRows::new(BgData {
        x: &x,
        tx: &tx,
        t: &t,
    });
    for p in [[0.4, 3.0, 0.7, 2.2], [2.5, 0.3, 4.0, 0.2]] {
        let (_, g) = mbg_loglik(&p, &rows);
        for k in 0..4 {
            let h = 1e-6 * p[k];
            let (mut up, mut dn) = (p, p);
            up[k] += h;
            dn[k] -= h;
            let fd = (mbg_loglik(&up, &rows).0 - mbg_loglik(&dn, &rows).0) / (2.0 * h);
            assert!(close(g[k], fd, 1e-6), "{p:?} param {k}: {} vs {fd}", g[k]);
        }
    }
}

/// One customer by hand: x = 0, T = 10 at r = alpha = a = b = 1:
/// L = B(1, 2) / B(1, 1) [(1 + 10)^-1 + (a / b) 1^-1] = (1/2)(1/11 + 1) = 6/11;
/// and x = 1, tx = 2, T = 5: L = B(1, 3) Gamma(2) [6^-2 + (1/2) 3^-2] = (1/3)(1/36 + 1/18) = 1/36.
#[test]
fn loglik_by_hand() {
    let d = BgData {
        x: &[0.0, 1.0],
        tx: &[0.0, 2.0],
        t: &[10.0, 5.0],
    };
    let ll = mbg_log_likelihood(&[1.0; 4], d).unwrap();
    let want = (6.0f64 / 11.0).ln() + (1.0f64 / 36.0).ln();
    assert!(close(ll, want, 1e-14), "{ll} vs {want}");
}

/// The MBG/NBD fit of the CDNOW sample reproduces the published figures
/// (`lifetimes`' test against BTYDplus: r = 0.525, alpha = 6.183, a = 0.891,
/// b = 1.614, to the 3 decimals given); the log-likelihood there, -9582.136,
/// is from the scipy reference of tests/test_mbgnbd.py.
#[test]
fn cdnow_fit_reproduces_published_parameters() {
    let (x, tx, t) = cdnow();
    check_bgnbd(&x, &tx, &t, &Names::default()).unwrap();
    let d = BgData {
        x: &x,
        tx: &tx,
        t: &t,
    };
    let fit = fit_mbgnbd(d, 0.0, &Cancel::new()).unwrap();
    assert!(fit.converged);
    for (got, want) in fit.params.iter().zip([0.525, 6.183, 0.891, 1.614]) {
        assert!((got - want).abs() <= 5e-4, "{:?}", fit.params);
    }
    assert!(
        (fit.log_likelihood - -9582.1357).abs() < 1e-3,
        "{}",
        fit.log_likelihood
    );
    // The same optimum whatever the row order (I5): reversed rows give the same bits.
    let rev = |v: &[f64]| v.iter().rev().copied().collect::<Vec<f64>>();
    let (rx, rtx, rt) = (rev(&x), rev(&tx), rev(&t));
    let d2 = BgData {
        x: &rx,
        tx: &rtx,
        t: &rt,
    };
    assert_eq!(fit_mbgnbd(d2, 0.0, &Cancel::new()).unwrap(), fit);
    for v in fit.covariance.iter().flatten() {
        assert!(v.is_finite());
    }
}

#[test]
fn p_alive_below_one_without_repeat_purchases() {
    let p = [0.5, 4.0, 0.8, 2.5];
    let d = BgData {
        x: &[0.0, 2.0],
        tx: &[0.0, 10.0],
        t: &[20.0, 20.0],
    };
    let alive = mbg_p_alive(&p, d).unwrap();
    let odds0 = 0.8 / 2.5 * (24.0f64 / 4.0).powf(0.5);
    let odds2 = 0.8 / 4.5 * (24.0f64 / 14.0).powf(2.5);
    assert!(close(alive[0], 1.0 / (1.0 + odds0), 1e-14));
    assert!(close(alive[1], 1.0 / (1.0 + odds2), 1e-14));
}

/// The conditional expectation and E[X(t)] against the textbook forms with
/// the plain hypergeometric series (Batislam et al. 2007; Wagner and Hoppe 2008).
#[test]
fn expectations_equal_the_textbook_forms() {
    for (p, x, tx, tc, t) in [
        ([0.5, 4.0, 0.8, 2.5], 2.0, 10.0, 20.0, 15.0),
        ([0.525, 6.183, 0.891, 1.614], 0.0, 0.0, 38.0, 39.0),
        ([1.3, 2.0, 2.2, 0.6], 5.0, 30.0, 31.0, 52.0),
    ] {
        let [r, alpha, a, b]: [f64; 4] = p;
        let z = t / (alpha + tc + t);
        let num = (a + b + x) / (a - 1.0)
            * (1.0
                - ((alpha + tc) / (alpha + tc + t)).powf(r + x)
                    * hyp2f1(r + x, b + x + 1.0, a + b + x, z));
        let den = 1.0 + a / (b + x) * ((alpha + tc) / (alpha + tx)).powf(r + x);
        let d = BgData {
            x: &[x],
            tx: &[tx],
            t: &[tc],
        };
        let got = mbg_conditional_expected(&p, d, t).unwrap()[0];
        assert!(close(got, num / den, 1e-11), "{got} vs {}", num / den);
        let zt = t / (alpha + t);
        let want =
            b / (a - 1.0) * (1.0 - (alpha / (alpha + t)).powf(r) * hyp2f1(r, b + 1.0, a + b, zt));
        let got = mbg_population_expected(&p, t).unwrap();
        assert!(close(got, want, 1e-11), "{got} vs {want}");
    }
    assert_eq!(
        mbg_population_expected(&[0.5, 4.0, 0.8, 2.5], 0.0).unwrap(),
        0.0
    );
}

/// P(X(t) = x): the probabilities add up to 1 and their mean is E[X(t)]
/// (two facts the formula does not build in), and small x agree with the
/// textbook form with 1 - (finite sum) for the tail.
#[test]
fn probability_of_purchases_is_a_distribution_with_the_right_mean() {
    for (p, t) in [
        ([0.525, 6.183, 0.891, 1.614], 39.0),
        ([2.5, 1.0, 0.7, 3.0], 20.0),
        ([0.3, 10.0, 1.5, 0.8], 500.0),
    ] {
        let pmf = mbg_probability_of_purchases(&p, t, 20_000).unwrap();
        let total: f64 = pmf.iter().sum();
        let mean: f64 = pmf.iter().enumerate().map(|(k, v)| k as f64 * v).sum();
        assert!((total - 1.0).abs() < 1e-12, "{p:?}: {total}");
        let e = mbg_population_expected(&p, t).unwrap();
        assert!(close(mean, e, 1e-9), "{p:?}: mean {mean} vs E[X(t)] {e}");
        let [r, alpha, a, b]: [f64; 4] = p;
        let q = alpha / (alpha + t);
        let nb = |j: f64| {
            (crate::special::ln_gamma(r + j)
                - crate::special::ln_gamma(r)
                - crate::special::ln_gamma(j + 1.0))
            .exp()
                * q.powf(r)
                * (1.0 - q).powf(j)
        };
        let beta = |u: f64, v: f64| {
            (crate::special::ln_gamma(u) + crate::special::ln_gamma(v)
                - crate::special::ln_gamma(u + v))
            .exp()
        };
        for (x, &got) in pmf.iter().enumerate().take(4) {
            let xf = x as f64;
            let lower: f64 = (0..x).map(|j| nb(j as f64)).sum();
            let want = beta(a, b + xf + 1.0) / beta(a, b) * nb(xf)
                + beta(a + 1.0, b + xf) / beta(a, b) * (1.0 - lower);
            assert!(close(got, want, 1e-12), "{p:?} x={x}: {got} vs {want}");
        }
    }
    // t = 0: no purchases for sure.
    let at0 = mbg_probability_of_purchases(&[0.5, 4.0, 0.8, 2.5], 0.0, 3).unwrap();
    assert!(close(at0[0], 1.0, 1e-15) && at0[0] <= 1.0, "{at0:?}");
    assert_eq!(&at0[1..], &[0.0; 3]);
}

#[test]
fn errors_are_clear() {
    let d = BgData {
        x: &[0.0, 0.0],
        tx: &[0.0, 0.0],
        t: &[3.0, 4.0],
    };
    let e = fit_mbgnbd(d, 0.0, &Cancel::new()).unwrap_err().to_string();
    assert!(e.contains("repeat purchase") && e.contains("CLV4"), "{e}");
    let e = mbg_p_alive(&[0.5, -1.0, 0.8, 2.5], d)
        .unwrap_err()
        .to_string();
    assert!(e.contains("alpha=-1"), "{e}");
    let e = mbg_population_expected(&[0.5, 1.0, 0.8, 2.5], f64::NAN).unwrap_err();
    assert!(e.to_string().contains("t must be"), "{e}");
    let e = mbg_probability_of_purchases(&[0.5, 1.0, 0.8, 2.5], 1.0, MAX_PMF_TERMS).unwrap_err();
    assert!(e.to_string().contains("n_max"), "{e}");
}
