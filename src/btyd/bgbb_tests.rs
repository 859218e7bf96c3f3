//! Tests of the BG/BB model (CLV4): gradient, hand-worked values, the
//! published donations fit, predictions against the paper's closed forms.

use super::bgbb::*;
use crate::cancel::Cancel;
use crate::error::CoreError;
use crate::special::ln_gamma;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

fn beta(a: f64, b: f64) -> f64 {
    (ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)).exp()
}

/// The donations summary: 22 rows (x, t_x, n = 6, donors).
fn donations() -> [Vec<f64>; 4] {
    let mut cols: [Vec<f64>; 4] = Default::default();
    for line in include_str!("testdata/donations.csv").lines().skip(1) {
        for (c, v) in cols.iter_mut().zip(line.split(',')) {
            c.push(v.parse().unwrap());
        }
    }
    cols
}

fn data<'a>(c: &'a [Vec<f64>; 4]) -> BbData<'a> {
    BbData {
        x: &c[0],
        tx: &c[1],
        n: &c[2],
        w: Some(&c[3]),
    }
}

#[test]
fn gradient_matches_finite_differences() {
    let x = [0.0, 1.0, 3.0, 2.0, 0.0, 7.0, 5.0];
    let tx = [0.0, 5.0, 3.0, 30.0, 0.0, 8.0, 40.0];
    let n = [10.0, 30.0, 38.0, 39.0, 2.0, 8.0, 200.0];
    let w = [1.0, 2.0, 1.0, 5.0, 1.0, 1.0, 3.0];
    let rows = BbRows::new(BbData {
        x: &x,
        tx: &tx,
        n: &n,
        w: Some(&w),
    });
    for p in [
        [1.2, 0.75, 0.66, 2.8],
        [0.3, 4.0, 3.0, 0.2],
        [5.0, 1.0, 1.0, 1.0],
    ] {
        let (_, g) = bb_loglik(&p, &rows);
        for k in 0..4 {
            let h = 1e-6 * p[k];
            let (mut up, mut dn) = (p, p);
            up[k] += h;
            dn[k] -= h;
            let fd = (bb_loglik(&up, &rows).0 - bb_loglik(&dn, &rows).0) / (2.0 * h);
            assert!(close(g[k], fd, 1e-6), "{p:?} param {k}: {} vs {fd}", g[k]);
        }
    }
}

/// By hand at alpha = beta = gamma = delta = 1: x = 0, n = 1 gives
/// L = B(1, 2) B(1, 2) + B(1, 1) B(2, 1) = 1/4 + 1/2 = 3/4; x = 1, t_x = 1,
/// n = 2 gives L = B(2, 2) B(1, 3) + B(2, 1) B(2, 2) = 1/18 + 1/12 = 5/36.
#[test]
fn loglik_by_hand() {
    let d = BbData {
        x: &[0.0, 1.0],
        tx: &[0.0, 1.0],
        n: &[1.0, 2.0],
        w: Some(&[2.0, 1.0]),
    };
    let ll = bb_log_likelihood(&[1.0; 4], d).unwrap();
    let want = 2.0 * (0.75f64).ln() + (5.0f64 / 36.0).ln();
    assert!(close(ll, want, 1e-14), "{ll} vs {want}");
}

/// The published maximum-likelihood fit of the donations data (Fader,
/// Hardie and Shang 2010): alpha = 1.204, beta = 0.750, gamma = 0.657,
/// delta = 2.783 (each within 1%), log-likelihood -33,225.6.
#[test]
fn donations_fit_reproduces_published_parameters() {
    let c = donations();
    check_bgbb(data(&c), &BbNames::default()).unwrap();
    let fit = fit_bgbb(data(&c), 0.0, &Cancel::new()).unwrap();
    assert!(fit.converged);
    for (got, want) in fit.params.iter().zip([1.204, 0.750, 0.657, 2.783]) {
        assert!(close(*got, want, 0.01), "{:?}", fit.params);
    }
    assert!(
        (fit.log_likelihood - -33_225.6).abs() < 0.05,
        "{}",
        fit.log_likelihood
    );
    // Weights are repeated rows: a row split in two, or the rows in another order,
    // give the same bits.
    let mut split = c.clone();
    for col in split.iter_mut() {
        col.reverse();
    }
    let last = split[3].len() - 1;
    split[3][last] -= 1000.0;
    for (k, col) in split.iter_mut().enumerate() {
        let v = col[last];
        col.push(if k == 3 { 1000.0 } else { v });
    }
    assert_eq!(fit_bgbb(data(&split), 0.0, &Cancel::new()).unwrap(), fit);
}

/// P(alive), the conditional expectation and E[X(n)] against the paper's
/// closed forms (eqs. 7, 11 and 13), computed here from beta and gamma functions.
#[test]
fn predictions_equal_the_closed_forms() {
    let p = [1.204, 0.750, 0.657, 2.783];
    let [a, b, g, d] = p;
    let (x, tx, n, ns) = (3.0, 5.0, 6.0, 4.0);
    let mut l = beta(a + x, b + n - x) / beta(a, b) * beta(g, d + n) / beta(g, d);
    for i in 0..(n - tx) as usize {
        let i = i as f64;
        l += beta(a + x, b + tx - x + i) / beta(a, b) * beta(g + 1.0, d + tx + i) / beta(g, d);
    }
    let row = BbData {
        x: &[x],
        tx: &[tx],
        n: &[n],
        w: None,
    };
    let alive = beta(a + x, b + n - x) / beta(a, b) * beta(g, d + n + 1.0) / beta(g, d) / l;
    assert!(close(bb_p_alive(&p, row).unwrap()[0], alive, 1e-12));
    let gr = |m: f64| (ln_gamma(1.0 + d + m) - ln_gamma(g + d + m)).exp();
    let want = beta(a + x + 1.0, b + n - x) / beta(a, b) * d / (g - 1.0)
        * (ln_gamma(g + d) - ln_gamma(1.0 + d)).exp()
        * (gr(n) - gr(n + ns))
        / l;
    let got = bb_conditional_expected(&p, row, ns).unwrap()[0];
    assert!(close(got, want, 1e-11), "{got} vs {want}");
    let want =
        a / (a + b) * d / (g - 1.0) * (1.0 - (ln_gamma(g + d) - ln_gamma(1.0 + d)).exp() * gr(n));
    let got = bb_population_expected(&p, n).unwrap();
    assert!(close(got, want, 1e-12), "{got} vs {want}");
    assert_eq!(bb_population_expected(&p, 0.0).unwrap(), 0.0);
}

/// Continuous through gamma = 1, where the paper's closed form is 0 / 0; the
/// limit there is delta alpha / (alpha + beta) (psi(1 + delta + n) - psi(1 + delta)).
#[test]
fn expectation_at_gamma_equal_one() {
    let at = |g: f64| bb_population_expected(&[1.2, 0.75, g, 2.8], 30.0).unwrap();
    let one = at(1.0);
    let want = 2.8 * 1.2 / 1.95
        * (crate::special::digamma(1.0 + 2.8 + 30.0) - crate::special::digamma(1.0 + 2.8));
    assert!(close(one, want, 1e-12), "{one} vs {want}");
    assert!(close(at(1.0 + 1e-7), one, 1e-6) && close(at(1.0 - 1e-7), one, 1e-6));
}

/// P(X(n) = x): the probabilities of 0..n add up to 1, beyond n they are 0,
/// their mean is E[X(n)]; a hand-worked case: n = 1 at 1, 1, 1, 1 is
/// P(X = 1) = B(2, 1) B(1, 2) = 1/4.
#[test]
fn probability_of_purchases_is_a_distribution_with_the_right_mean() {
    for (p, n) in [
        ([1.204, 0.750, 0.657, 2.783], 6.0),
        ([0.4, 2.0, 1.0, 0.3], 250.0),
    ] {
        let pmf = bb_probability_of_purchases(&p, n, n as usize + 3).unwrap();
        let total: f64 = pmf.iter().sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        assert_eq!(&pmf[n as usize + 1..], &[0.0; 3]);
        let mean: f64 = pmf.iter().enumerate().map(|(k, v)| k as f64 * v).sum();
        let e = bb_population_expected(&p, n).unwrap();
        assert!(close(mean, e, 1e-11), "{mean} vs {e}");
    }
    let pmf = bb_probability_of_purchases(&[1.0; 4], 1.0, 1).unwrap();
    assert!(
        close(pmf[1], 0.25, 1e-14) && close(pmf[0], 0.75, 1e-14),
        "{pmf:?}"
    );
}

#[test]
fn bad_rows_name_column_and_row() {
    let names = BbNames::default();
    /// x, t_x, n, weights, the column named, the row named.
    type Case<'a> = (&'a [f64], &'a [f64], &'a [f64], &'a [f64], &'a str, u64);
    let cases: [Case; 7] = [
        (
            &[0.0, -1.0],
            &[0.0, 0.0],
            &[6.0, 6.0],
            &[1.0, 1.0],
            "frequency",
            1,
        ),
        (
            &[0.0, 1.5],
            &[0.0, 2.0],
            &[6.0, 6.0],
            &[1.0, 1.0],
            "frequency",
            1,
        ),
        (
            &[1.0, 2.0],
            &[7.0, 2.0],
            &[6.0, 6.0],
            &[1.0, 1.0],
            "recency",
            0,
        ),
        (
            &[0.0, 0.0],
            &[0.0, 3.0],
            &[6.0, 6.0],
            &[1.0, 1.0],
            "recency",
            1,
        ),
        (
            &[3.0, 0.0],
            &[2.0, 0.0],
            &[6.0, 6.0],
            &[1.0, 1.0],
            "frequency",
            0,
        ),
        (
            &[0.0, 0.0],
            &[0.0, 0.0],
            &[6.0, f64::NAN],
            &[1.0, 1.0],
            "n_periods",
            1,
        ),
        (
            &[0.0, 0.0],
            &[0.0, 0.0],
            &[6.0, 6.0],
            &[1.0, 0.5],
            "weights",
            1,
        ),
    ];
    for (x, tx, n, w, col, want_row) in cases {
        let d = BbData {
            x,
            tx,
            n,
            w: Some(w),
        };
        let e = check_bgbb(d, &names).unwrap_err();
        assert!(
            matches!(&e, CoreError::InvalidValue { column, row, .. } if column == col && *row == want_row),
            "{col}: {e}"
        );
        assert!(e.to_string().contains("CLV4"));
    }
    let none = BbData {
        x: &[0.0],
        tx: &[0.0],
        n: &[6.0],
        w: Some(&[3.0]),
    };
    let e = fit_bgbb(none, 0.0, &Cancel::new()).unwrap_err().to_string();
    assert!(e.contains("repeat transaction"), "{e}");
    let e = bb_conditional_expected(&[1.0; 4], none, 2.5)
        .unwrap_err()
        .to_string();
    assert!(e.contains("n_star"), "{e}");
}
