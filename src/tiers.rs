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
/// number of values strictly greater (CV6), in linear time.
///
/// `g / N < c` holds exactly for `g < G`, `G` the smallest count with
/// `share(G, N) >= c`; and `g(v) < G` holds exactly for `v >=` the `G`-th
/// largest value. So one selection per cut finds the smallest value of each
/// tier, and each value is compared with those.
pub fn tiers_of<T: Ord + Copy + Send + Sync>(values: &[T], cuts: &[f64]) -> Vec<u8> {
    let n = values.len();
    if n == 0 {
        return Vec::new();
    }
    let mut work = values.to_vec();
    // Per cut: the smallest value inside it, or None when every value is (G >= N).
    let floors: Vec<Option<T>> = cuts
        .iter()
        .map(|&c| {
            let mut g = ((c * n as f64) as usize).min(n);
            while g > 0 && share(g as u64 - 1, n) >= c {
                g -= 1;
            }
            while g < n && share(g as u64, n) < c {
                g += 1;
            }
            if g >= n {
                return None;
            }
            // g >= 1: share(0, n) = 0 < c.
            let (_, v, _) = work.select_nth_unstable_by(g - 1, |a, b| b.cmp(a));
            Some(*v)
        })
        .collect();
    values
        .par_iter()
        .map(|v| {
            floors
                .iter()
                .position(|f| f.is_none_or(|f| *v >= f))
                .unwrap_or(cuts.len()) as u8
        })
        .collect()
}

/// r = (members strictly greater) / N, as in CV6.
#[inline]
pub fn share(greater: u64, n: usize) -> f64 {
    greater as f64 / n as f64
}

/// The tier (0-based) of share `r`: the first i with r < cuts[i], else `cuts.len()`.
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
    fn cuts_are_checked() {
        assert!(check_cuts(&[0.05, 0.25, 0.5], "cuts", "CV6").is_ok());
        assert!(check_cuts(&[0.25, 0.05, 0.5], "cuts", "CV6").is_err());
        assert!(check_cuts(&[0.0, 0.25, 0.5], "cuts", "CV6").is_err());
        assert!(check_cuts(&[0.05, 0.25, 1.0], "cuts", "CV6").is_err());
        assert!(check_cuts(&[0.05, 0.05, 0.5], "cuts", "CV6").is_err());
    }
}
