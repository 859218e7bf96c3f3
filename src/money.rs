//! Rule I6: amounts are money, rounded to the nearest millionth and summed as
//! fixed-point integers, so sums are exact and independent of order.

/// Millionths in one unit of money.
pub const SCALE: i64 = 1_000_000;

/// Converts a float amount to millionths, rounding half away from zero.
///
/// `None` when the value is not finite or does not fit in an `i64`.
#[inline]
pub fn from_f64(x: f64) -> Option<i64> {
    let (m, ok) = from_f64_parts(x);
    ok.then_some(m)
}

/// [`from_f64`] without a branch, for loops over a column: the millionths
/// (meaningless when not valid) and whether `x` is valid.
#[inline]
pub fn from_f64_parts(x: f64) -> (i64, bool) {
    let y = x * SCALE as f64;
    // 2^63 is exactly representable; anything that rounds to it or beyond does not fit.
    // NaN and the infinities are outside too.
    let ok = (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&y);
    (round_half_away(y), ok)
}

/// [`from_f64_parts`] of every value of `xs` into `out` (of the same length);
/// returns whether every value was valid. On x86-64 CPUs with AVX-512 (DQ)
/// the loop is compiled for those instructions too, and picked at run time:
/// they convert eight floats to integers at a time.
pub fn from_f64_slice(out: &mut [i64], xs: &[f64]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
    {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { from_f64_slice_avx512(out, xs) };
    }
    from_f64_slice_any(out, xs)
}

#[inline(always)]
fn from_f64_slice_any(out: &mut [i64], xs: &[f64]) -> bool {
    let mut all_ok = true;
    for (o, &x) in out.iter_mut().zip(xs) {
        let (m, ok) = from_f64_parts(x);
        *o = m;
        all_ok &= ok;
    }
    all_ok
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn from_f64_slice_avx512(out: &mut [i64], xs: &[f64]) -> bool {
    from_f64_slice_any(out, xs)
}

/// `y.round() as i64` for `|y| < 2^63`, without a call into libm (baseline
/// x86-64 has no rounding instruction) and without a branch: below 2^52 the
/// fraction `y - trunc(y)` is exact; from 2^52 on every float is an integer,
/// so the fraction is 0. Outside the range the result is meaningless (never UB).
#[inline]
fn round_half_away(y: f64) -> i64 {
    let t = y as i64; // truncates towards zero
    let frac = y - t as f64;
    t.wrapping_add(i64::from(frac >= 0.5))
        .wrapping_sub(i64::from(frac <= -0.5))
}

/// Converts an integer amount (whole units) to millionths.
#[inline]
pub fn from_i64(x: i64) -> Option<i64> {
    x.checked_mul(SCALE)
}

/// Converts an unsigned integer amount to millionths.
#[inline]
pub fn from_u64(x: u64) -> Option<i64> {
    i64::try_from(x).ok().and_then(from_i64)
}

/// Converts a decimal (`value * 10^-scale`) to millionths, rounding half away from zero.
#[inline]
pub fn from_decimal(value: i128, scale: i8) -> Option<i64> {
    let v = if scale <= 6 {
        let f = 10i128.checked_pow((6 - scale as i32) as u32)?;
        value.checked_mul(f)?
    } else {
        let f = 10i128.checked_pow((scale as i32 - 6) as u32)?;
        let q = value / f;
        let r = value % f;
        if r.abs() * 2 >= f {
            q + value.signum()
        } else {
            q
        }
    };
    i64::try_from(v).ok()
}

/// A per-customer sum (of a day, an order, a window) that left the
/// fixed-point range (I6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

/// I6's overflow rule, the one place it is written: an exact sum (computed in
/// 128 bits, whatever the order of its terms) back in the fixed-point range,
/// or [`Overflow`]. Only the total must fit, never a partial sum.
#[inline]
pub fn fit(sum: i128) -> Result<i64, Overflow> {
    i64::try_from(sum).map_err(|_| Overflow)
}

/// Millionths back to a float, for reporting (CV7).
#[inline]
pub fn to_f64(m: i64) -> f64 {
    m as f64 / SCALE as f64
}

/// A sum of millionths over many customers (which may leave the i64 range)
/// back to a float, rounded as [`to_f64`] rounds.
#[inline]
pub fn wide_to_f64(m: i128) -> f64 {
    m as f64 / SCALE as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i6_slice_conversion_equals_one_at_a_time() {
        // The run-time picked loop (AVX-512 where the CPU has it) gives the millionths and
        // the validity of from_f64_parts, edge values included.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(9);
        let edges = [
            0.0,
            -0.0,
            0.5e-6,
            -0.5e-6,
            1.5e-6,
            -2.5e-6,
            17.60,
            -23.27,
            9.2e12,
            -9.2e12,
            9_223_372_036_854.775,
            9_223_372_036_855.0,
            -9_223_372_036_854.775,
            -9_223_372_036_855.0,
            1e300,
            -1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            4_503_599_627.370_496,
        ];
        for n in [0, 1, 7, 8, 9, 64, 1000] {
            let mut xs: Vec<f64> = (0..n)
                .map(|_| match rng.random_range(0..3) {
                    0 => f64::from(rng.random_range(-100_000..100_000)) / 100.0,
                    1 => rng.random_range(-1e13..1e13),
                    _ => edges[rng.random_range(0..edges.len())],
                })
                .collect();
            for valid_only in [false, true] {
                if valid_only {
                    xs.retain(|&x| from_f64(x).is_some());
                }
                let mut out = vec![0; xs.len()];
                let all_ok = from_f64_slice(&mut out, &xs);
                for (&x, &m) in xs.iter().zip(&out) {
                    let (want, ok) = from_f64_parts(x);
                    if ok {
                        assert_eq!(m, want, "{x}");
                    }
                }
                assert_eq!(all_ok, xs.iter().all(|&x| from_f64_parts(x).1), "n {n}");
            }
        }
    }

    #[test]
    fn i6_cents_cancel_exactly() {
        let s = from_f64(17.60).unwrap() + from_f64(5.67).unwrap() + from_f64(-23.27).unwrap();
        assert_eq!(s, 0);
        assert_ne!(17.60 + 5.67 - 23.27, 0.0, "floats would not cancel");
    }

    #[test]
    fn i6_rounds_half_away_from_zero() {
        assert_eq!(from_f64(0.0000005), Some(1));
        assert_eq!(from_f64(-0.0000005), Some(-1));
        assert_eq!(from_f64(1.2345674), Some(1_234_567));
        assert_eq!(from_decimal(15, 7), Some(2));
        assert_eq!(from_decimal(-15, 7), Some(-2));
        assert_eq!(from_decimal(14, 7), Some(1));
        assert_eq!(from_decimal(1234, 2), Some(12_340_000));
    }

    #[test]
    fn rounding_equals_f64_round() {
        use rand::{Rng, SeedableRng};
        let edge = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            0.499_999_999_999_999_94,
            -0.499_999_999_999_999_94,
            4_503_599_627_370_495.5,
            -4_503_599_627_370_495.5,
            4_503_599_627_370_497.0,
            9.2e18,
            -9_223_372_036_854_775_808.0,
        ];
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        let random = (0..100_000).map(|i| {
            let scale = 10f64.powi(i % 19);
            (rng.random::<f64>() - 0.5) * scale
        });
        for y in edge.into_iter().chain(random) {
            assert_eq!(round_half_away(y), y.round() as i64, "{y}");
        }
    }

    #[test]
    fn i6_range() {
        assert_eq!(from_f64(f64::NAN), None);
        assert_eq!(from_f64(f64::INFINITY), None);
        assert_eq!(from_f64(9.3e12), None);
        assert!(from_f64(9.2e12).is_some());
        assert_eq!(from_i64(10_000_000_000_000), None);
        assert_eq!(from_u64(u64::MAX), None);
        assert_eq!(from_decimal(i128::MAX, 0), None);
    }
}
