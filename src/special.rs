//! Special functions of the BTYD models (rule CLV4). The gamma family comes
//! from `statrs`; the Gauss hypergeometric function, which no well-kept crate
//! offers, is summed here for the one region the models need (0 <= z < 1).

pub use statrs::function::gamma::{digamma, ln_gamma};

/// Most terms summed by a series before it gives up (returns NaN).
const MAX_TERMS: usize = 1_000_000;

/// The Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1, by its
/// plain power series sum_n (a)_n (b)_n / ((c)_n n!) z^n: the oracle the
/// tests check [`hyp2f1_dm1_c_many`] and the BG/NBD expectations against
/// (the models use the transformed series, see `btyd::bg_numerators`).
/// Summation stops once a term no longer changes the sum; NaN when z is
/// outside [0, 1), c is a non-positive integer, or the series has not
/// converged after a million terms.
#[cfg(test)]
pub(crate) fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    if !(0.0..1.0).contains(&z) || (c <= 0.0 && c.fract() == 0.0) {
        return f64::NAN;
    }
    let mut term = 1.0f64;
    let mut sum = 1.0f64;
    for n in 0..MAX_TERMS {
        let n = n as f64;
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        let next = sum + term;
        // A zero term (a or b a non-positive integer: a polynomial) or one below the
        // sum's last bit ends the series; the ratio of later terms tends to z < 1,
        // so after the terms start shrinking the rest is below the same bound.
        if term == 0.0
            || (next == sum
                && ((a + n + 1.0) * (b + n + 1.0) * z).abs() <= ((c + n + 1.0) * (n + 2.0)).abs())
        {
            return next;
        }
        sum = next;
        if !sum.is_finite() {
            return f64::NAN;
        }
    }
    f64::NAN
}

/// c (2F1(a, b - 1; c; z) - 1) / (b - 1) for 0 <= z < 1 and c > -1, by its
/// series sum over n >= 1 of (a)_n (b)_(n-1) / ((c + 1)_(n-1) n!) z^n, which
/// is also its limit at b = 1 and at c = 0.
///
/// The BG/NBD expectations multiply c / (a - 1) by 1 - 2F1(., a - 1; .; z);
/// written with this series they have no cancellation whatever a, and stay
/// finite at c = a + b - 1 = 0. The terms shrink from the start for the
/// BG/NBD arguments (a, b small, c growing with the frequency), so the series
/// converges in a few dozen terms for the usual horizons. NaN when z is
/// outside [0, 1), c <= -1, the series has not converged after a million
/// terms, or its terms cancel so much that fewer than 9 digits of the sum
/// are sure ([`LOST_DIGITS`]: with a large negative a, as at r >> a + b in
/// BG/NBD, the terms alternate and grow far beyond the sum; found by the
/// fuzzer, which had 1e89-sized terms give a sum of -3.5e73).
pub fn hyp2f1_dm1_c(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let mut out = [0.0];
    hyp2f1_dm1_c_many(a, b, c, &[z], &mut out);
    out[0]
}

/// The sum of a series of magnitudes `m` (the sum of its terms' absolute
/// values) carries a rounding error of about `m` times the machine epsilon
/// times the terms added; a sum below `m / LOST_DIGITS` has fewer than 9
/// digits left (10^7 x 2^-52 x a few hundred terms), and is refused.
const LOST_DIGITS: f64 = 1e7;

/// [`hyp2f1_dm1_c`] at several z at once (`out[k]` for `zs[k]`): the
/// coefficients, which do not depend on z, are computed once for all.
pub fn hyp2f1_dm1_c_many(a: f64, b: f64, c: f64, zs: &[f64], out: &mut [f64]) {
    assert_eq!(zs.len(), out.len());
    let mut pending = 0usize;
    for (o, &z) in out.iter_mut().zip(zs) {
        if !(0.0..1.0).contains(&z) || c <= -1.0 {
            *o = f64::NAN;
        } else if a == 0.0 || z == 0.0 {
            *o = 0.0;
        } else {
            *o = a * z; // n = 1
            pending += 1;
        }
    }
    if pending == 0 {
        return;
    }
    // Per z: z^n, and whether its sum is final.
    let mut zn: Vec<f64> = zs.to_vec();
    let mut done: Vec<bool> = out.iter().map(|o| o.is_nan() || *o == 0.0).collect();
    // Per z: the sum of the terms' absolute values, for the cancellation check.
    let mut magnitude: Vec<f64> = out.iter().map(|o| o.abs()).collect();
    let mut coef = a; // (a)_n (b)_(n-1) / ((c + 1)_(n-1) n!) at n = 1
    for n in 1..MAX_TERMS {
        let n = n as f64;
        // coef(n + 1) / coef(n) = (a + n)(b + n - 1) / ((c + n)(n + 1))
        let ratio = (a + n) * (b + n - 1.0) / ((c + n) * (n + 1.0));
        coef *= ratio;
        for k in 0..zs.len() {
            if done[k] {
                continue;
            }
            zn[k] *= zs[k];
            let term = coef * zn[k];
            magnitude[k] += term.abs();
            let next = out[k] + term;
            // A zero term (a polynomial) or one below the sum's last bit while the terms
            // shrink ends the series; the ratio of later terms tends to z < 1, so the rest
            // is below the same bound.
            if term == 0.0 || (next == out[k] && (ratio * zs[k]).abs() <= 1.0) {
                done[k] = true;
                pending -= 1;
            } else if !next.is_finite() {
                out[k] = f64::NAN;
                done[k] = true;
                pending -= 1;
            } else {
                out[k] = next;
            }
        }
        if pending == 0 {
            break;
        }
    }
    for ((o, d), m) in out.iter_mut().zip(done).zip(magnitude) {
        if !d || m > LOST_DIGITS * o.abs() {
            *o = f64::NAN;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z
        for z in [0.0001f64, 0.1, 0.5, 0.9, 0.99] {
            let want = -(-z).ln_1p() / z;
            assert!(close(hyp2f1(1.0, 1.0, 2.0, z), want, 1e-13), "z={z}");
        }
        // 2F1(a, b; b; z) = (1 - z)^-a
        for (a, b, z) in [(0.3, 2.5, 0.4), (3.5, 1.2, 0.7), (-0.5, 4.0, 0.95)] {
            let want = (1.0f64 - z).powf(-a);
            let got = hyp2f1(a, b, b, z);
            assert!(close(got, want, 1e-12), "{a} {b} {z}: {got} vs {want}");
        }
        // A polynomial: 2F1(-2, b; c; z) = 1 - 2bz/c + b(b+1)z^2/(c(c+1))
        let (b, c, z) = (1.5f64, 3.25f64, 0.6f64);
        let want = 1.0 - 2.0 * b * z / c + b * (b + 1.0) * z * z / (c * (c + 1.0));
        assert!(close(hyp2f1(-2.0, b, c, z), want, 1e-14));
        assert_eq!(hyp2f1(0.5, 0.5, 1.5, 0.0), 1.0);
    }

    #[test]
    fn dm1_c_is_the_scaled_quotient_and_its_limits() {
        for (a, b, c, z) in [
            (0.7, 2.5, 3.1, 0.4),
            (-0.3, 0.2, 1.7, 0.9),
            (2.0, 5.0, 9.5, 0.6),
        ] {
            let want = c * (hyp2f1(a, b - 1.0, c, z) - 1.0) / (b - 1.0);
            let got = hyp2f1_dm1_c(a, b, c, z);
            assert!(close(got, want, 1e-12), "{a} {b} {c} {z}: {got} vs {want}");
        }
        // b = 1, a = c: c sum z^n / n = -c ln(1 - z)
        for z in [0.1f64, 0.5, 0.95] {
            let got = hyp2f1_dm1_c(2.5, 1.0, 2.5, z);
            assert!(close(got, -2.5 * (-z).ln_1p(), 1e-13), "{got}");
        }
        assert_eq!(hyp2f1_dm1_c(0.0, 3.0, 2.0, 0.5), 0.0);
        // c = 0: the limit of c * 2F1(.; c; .) terms, sum (a)_n (b)_(n-1) / ((n-1)! n!) z^n;
        // with b = 1: sum (a)_n / n! z^n = (1 - z)^-a - 1.
        for z in [0.2f64, 0.7] {
            let got = hyp2f1_dm1_c(1.5, 1.0, 0.0, z);
            assert!(close(got, (1.0 - z).powf(-1.5) - 1.0, 1e-13), "{got}");
        }
    }

    #[test]
    fn many_equals_one_at_a_time() {
        let zs = [0.0, 0.05, 0.3, 0.6, 0.93, 1.0];
        let mut out = [0.0; 6];
        hyp2f1_dm1_c_many(0.4, 0.8, 3.2, &zs, &mut out);
        for (k, &z) in zs.iter().enumerate() {
            let one = hyp2f1_dm1_c(0.4, 0.8, 3.2, z);
            assert!(
                one.to_bits() == out[k].to_bits(),
                "{z}: {one} vs {}",
                out[k]
            );
        }
        assert_eq!(out[0], 0.0);
        assert!(out[5].is_nan());
    }

    #[test]
    fn outside_the_region_is_nan() {
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_nan());
        assert!(hyp2f1(1.0, 1.0, 2.0, -0.1).is_nan());
        assert!(hyp2f1(1.0, 1.0, -1.0, 0.5).is_nan());
    }

    #[test]
    fn gamma_family() {
        assert!(close(ln_gamma(10.0), 362_880f64.ln(), 1e-14));
        // digamma(1) = -Euler's gamma
        assert!(close(digamma(1.0), -0.577_215_664_901_532_9, 1e-13));
    }
}
