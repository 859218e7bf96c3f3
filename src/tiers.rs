//! Rule CV6 (shared by R2 and CLV2): tiers from the share of a pool that is
//! strictly better. Ties share a tier and nothing depends on order (I5).

use rayon::prelude::*;

/// For each value, the number of values in `values` strictly greater than it:
/// one parallel sort, then a linear walk (ties get the count of their first).
pub fn count_strictly_greater<T: Ord + Copy + Send + Sync>(values: &[T]) -> Vec<u64> {
    let mut pairs: Vec<(T, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (v, i as u32))
        .collect();
    pairs.par_sort_unstable_by(|a, b| b.0.cmp(&a.0));
    let mut out = vec![0u64; values.len()];
    let mut greater = 0;
    for (pos, &(v, i)) in pairs.iter().enumerate() {
        if pos > 0 && pairs[pos - 1].0 != v {
            greater = pos as u64;
        }
        out[i as usize] = greater;
    }
    out
}

/// The tier of every value of a pool: `tier(share(g, N), cuts)` with `g` the
/// number of values strictly greater (CV6, CLV2), in linear time.
pub fn tiers_of<T: Ord + Copy + Send + Sync>(values: &[T], cuts: &[f64]) -> Vec<u8> {
    let n = values.len();
    tiers_by(values, cuts.len() as u8 + 1, |g| {
        tier(share(g, n), cuts) as u8
    })
}

/// The tier of every value of a pool, `tier_of(g)` with `g` the number of
/// values strictly greater, for any `tier_of` that does not decrease as `g`
/// grows and stays below `tiers` (CV6, R2, CLV2 share this).
///
/// Linear time: tier `>= t` holds exactly for `g >= G_t`, `G_t` the smallest
/// count with `tier_of(G_t) >= t`; and `g(v) >= G_t` holds exactly for `v <`
/// the `G_t`-th largest value. One selection per tier boundary finds those
/// values, and each value is compared with them. Ties share a tier (I5).
pub fn tiers_by<T: Ord + Copy + Send + Sync>(
    values: &[T],
    tiers: u8,
    tier_of: impl Fn(u64) -> u8 + Sync,
) -> Vec<u8> {
    let n = values.len();
    if n == 0 {
        return Vec::new();
    }
    let mut work = values.to_vec();
    // With many threads a parallel sort beats the (serial) selections.
    let sorted = rayon::current_num_threads() >= 4 && n >= 1 << 16;
    if sorted {
        work.par_sort_unstable_by(|a, b| b.cmp(a));
    }
    // Per boundary t = 1..tiers: which values have a tier of t or more.
    let bounds: Vec<Bound<T>> = (1..tiers)
        .map(|t| {
            // The smallest g in 0..n with tier_of(g) >= t, by bisection (tier_of is monotone).
            let (mut lo, mut hi) = (0usize, n);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if tier_of(mid as u64) >= t {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            match lo {
                0 => Bound::All,
                g if g >= n => Bound::None,
                g if sorted => Bound::Below(work[g - 1]),
                g => {
                    let (_, v, _) = work.select_nth_unstable_by(g - 1, |a, b| b.cmp(a));
                    Bound::Below(*v)
                }
            }
        })
        .collect();
    values
        .par_iter()
        .map(|v| {
            bounds
                .iter()
                .filter(|b| match b {
                    Bound::All => true,
                    Bound::None => false,
                    Bound::Below(x) => v < x,
                })
                .count() as u8
        })
        .collect()
}

/// [`tiers_by`] for integers in a narrow range (days, counts), by counting:
/// O(values + range). `None` when the range is wider than `max_range`.
pub fn tiers_by_counting(
    values: &[i64],
    max_range: u64,
    tier_of: impl Fn(u64) -> u8,
) -> Option<Vec<u8>> {
    let (&lo, &hi) = (values.iter().min()?, values.iter().max()?);
    let range = (hi as i128 - lo as i128) as u64;
    if range > max_range {
        return None;
    }
    let mut counts = vec![0u64; range as usize + 1];
    for &v in values {
        counts[(v - lo) as usize] += 1;
    }
    // counts[i] becomes the tier of the value lo + i: g = values strictly greater.
    let mut greater = 0;
    let mut tier = vec![0u8; counts.len()];
    for i in (0..counts.len()).rev() {
        tier[i] = tier_of(greater);
        greater += counts[i];
    }
    Some(values.iter().map(|&v| tier[(v - lo) as usize]).collect())
}

/// Which values reach a tier (see [`tiers_by`]).
enum Bound<T> {
    All,
    None,
    /// The values strictly below this one.
    Below(T),
}

/// A finite `f64` as an integer of the same order, to rank floats (R2, CLV2).
pub fn ordered(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    b ^ (((b >> 63) as u64) >> 1) as i64
}

/// r = (members strictly greater) / N, as in CV6.
#[inline]
pub fn share(greater: u64, n: usize) -> f64 {
    greater as f64 / n as f64
}

/// The tier (0-based) of share `r`: the first i with r < `cuts[i]`, else `cuts.len()`.
#[inline]
pub fn tier(r: f64, cuts: &[f64]) -> usize {
    cuts.iter().position(|&c| r < c).unwrap_or(cuts.len())
}

/// Checks that cut points are strictly increasing inside (0, 1).
pub fn check_cuts(cuts: &[f64], what: &str, rule: &str) -> crate::error::Result<()> {
    let inside = cuts.iter().all(|&c| c > 0.0 && c < 1.0);
    let increasing = cuts.windows(2).all(|w| w[0] < w[1]);
    if cuts.is_empty() || !inside || !increasing {
        return Err(crate::error::CoreError::Config(format!(
            "{what} must be strictly increasing and inside (0, 1), got {cuts:?} (rule {rule})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cv6_ties_share_a_tier() {
        let v = [10, 50, 50, 20, 5];
        assert_eq!(count_strictly_greater(&v), vec![3, 0, 0, 2, 4]);
        let cuts = [0.05, 0.25, 0.5];
        let tiers: Vec<usize> = count_strictly_greater(&v)
            .iter()
            .map(|&g| tier(share(g, 5), &cuts))
            .collect();
        // r: 0.6, 0, 0, 0.4, 0.8
        assert_eq!(tiers, vec![3, 0, 0, 2, 3]);
    }

    #[test]
    fn cv6_boundaries_are_strict() {
        // 20 members, all distinct: the top one has r = 0 < 0.05; the second r = 0.05 is not < 0.05.
        let v: Vec<i64> = (0..20).rev().collect();
        let g = count_strictly_greater(&v);
        let cuts = [0.05, 0.25, 0.5];
        assert_eq!(tier(share(g[0], 20), &cuts), 0);
        assert_eq!(tier(share(g[1], 20), &cuts), 1);
        assert_eq!(tier(share(g[5], 20), &cuts), 2);
        assert_eq!(tier(share(g[10], 20), &cuts), 3);
    }

    #[test]
    fn tiers_of_equals_the_counting_definition() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let cut_sets: [&[f64]; 4] = [
            &[0.05, 0.25, 0.5],
            &[0.2, 0.8],
            &[0.1, 1.0 / 3.0, 0.5, 2.0 / 3.0, 0.9],
            &[0.999_999],
        ];
        for round in 0..400 {
            let n = rng.random_range(1..60);
            let spread = [1, 3, 10, 1000][round % 4];
            let v: Vec<i64> = (0..n).map(|_| rng.random_range(0..spread)).collect();
            for cuts in cut_sets {
                let want: Vec<u8> = count_strictly_greater(&v)
                    .iter()
                    .map(|&g| tier(share(g, n), cuts) as u8)
                    .collect();
                assert_eq!(tiers_of(&v, cuts), want, "values {v:?} cuts {cuts:?}");
            }
        }
        assert!(tiers_of::<i64>(&[], &[0.5]).is_empty());
    }

    #[test]
    fn sorted_bounds_equal_selected_bounds() {
        // 4+ threads and 2^16+ values sort instead of selecting: the same tiers.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
        let v: Vec<i64> = (0..100_000).map(|_| rng.random_range(0..5000)).collect();
        let cuts = [0.05, 0.25, 0.5];
        let with = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads);
            pool.build().unwrap().install(|| tiers_of(&v, &cuts))
        };
        let want: Vec<u8> = count_strictly_greater(&v)
            .iter()
            .map(|&g| tier(share(g, v.len()), &cuts) as u8)
            .collect();
        assert_eq!(with(1), want);
        assert_eq!(with(4), want);
    }

    #[test]
    fn ordered_floats_keep_their_order() {
        let xs = [-1e300, -2.5, -1.0, -0.0, 0.0, 1e-300, 3.0, 1e300];
        for w in xs.windows(2) {
            assert!(ordered(w[0]) <= ordered(w[1]), "{w:?}");
        }
        assert!(ordered(-2.5) < ordered(-1.0) && ordered(1.0) < ordered(1.5));
    }

    #[test]
    fn counting_equals_selection() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        for _ in 0..200 {
            let n = rng.random_range(1..80);
            let v: Vec<i64> = (0..n).map(|_| rng.random_range(-5..40)).collect();
            let f = |g: u64| (7.0 * share(g, n)).floor() as u8;
            assert_eq!(tiers_by_counting(&v, 1000, f), Some(tiers_by(&v, 7, f)));
        }
        assert_eq!(tiers_by_counting(&[0, 1 << 40], 1000, |_| 0), None);
    }

    #[test]
    fn r2_scores_by_tiers_by() {
        // score = B - floor(B r): B = 5, values 10 > 8 = 8 > 3 > 1 > 0.
        let v = [3, 10, 8, 0, 8, 1];
        let n = v.len();
        let t = tiers_by(&v, 5, |g| (5.0 * share(g, n)).floor() as u8);
        let scores: Vec<u8> = t.iter().map(|t| 5 - t).collect();
        // g: 3, 0, 1, 5, 1, 4 -> floor(5 g / 6): 2, 0, 0, 4, 0, 3
        assert_eq!(scores, vec![3, 5, 5, 1, 5, 2]);
    }

    #[test]
    fn cuts_are_checked() {
        assert!(check_cuts(&[0.05, 0.25, 0.5], "cuts", "CV6").is_ok());
        assert!(check_cuts(&[0.25, 0.05, 0.5], "cuts", "CV6").is_err());
        assert!(check_cuts(&[0.0, 0.25, 0.5], "cuts", "CV6").is_err());
        assert!(check_cuts(&[0.05, 0.25, 1.0], "cuts", "CV6").is_err());
        assert!(check_cuts(&[0.05, 0.05, 0.5], "cuts", "CV6").is_err());
    }
}
