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
    fn cuts_are_checked() {
        assert!(check_cuts(&[0.05, 0.25, 0.5], "cuts", "CV6").is_ok());
        assert!(check_cuts(&[0.25, 0.05, 0.5], "cuts", "CV6").is_err());
        assert!(check_cuts(&[0.0, 0.25, 0.5], "cuts", "CV6").is_err());
        assert!(check_cuts(&[0.05, 0.25, 1.0], "cuts", "CV6").is_err());
        assert!(check_cuts(&[0.05, 0.05, 0.5], "cuts", "CV6").is_err());
    }
}
