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
pub fn tiers_of(values: &[i64], cuts: &[f64]) -> Vec<u8> {
    let n = values.len();
    tiers_by(values, cuts.len() as u8 + 1, |g| {
        tier(share(g, n), cuts) as u8
    })
}

/// The tier of every value of a pool, `tier_of(g)` with `g` the number of
/// values strictly greater, for any `tier_of` that does not decrease as `g`
/// grows and stays below `tiers` (CV6, R2, CLV2 share this).
pub fn tiers_by(values: &[i64], tiers: u8, tier_of: impl Fn(u64) -> u8 + Sync) -> Vec<u8> {
    tiers_given(values, values.len(), tiers, tier_of, |r| {
        select_ranks(values, r)
    })
}

/// [`tiers_by`] for `values` that may be only some of a pool of `n` members,
/// `select(ranks)` giving the whole pool's values at ascending ranks
/// ([`crate::ranks`]).
///
/// Linear time: tier `>= t` holds exactly for `g >= G_t`, `G_t` the smallest
/// count with `tier_of(G_t) >= t`; and `g(v) >= G_t` holds exactly for `v <`
/// the `G_t`-th largest value. One selection finds all those values at once,
/// and each value is compared with them. Ties share a tier (I5).
pub fn tiers_given(
    values: &[i64],
    n: usize,
    tiers: u8,
    tier_of: impl Fn(u64) -> u8 + Sync,
    select: impl FnOnce(&[usize]) -> Vec<i64>,
) -> Vec<u8> {
    if n == 0 {
        return Vec::new();
    }
    // Per boundary t = 1..tiers, the smallest g in 0..=n with tier_of(g) >= t, by
    // bisection (tier_of is monotone); n when no g reaches t.
    let gs: Vec<usize> = (1..tiers)
        .map(|t| {
            let (mut lo, mut hi) = (0usize, n);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if tier_of(mid as u64) >= t {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            lo
        })
        .collect();
    // The G-th largest value sits at ascending rank n - G.
    let mut ranks: Vec<usize> = gs
        .iter()
        .filter(|&&g| 0 < g && g < n)
        .map(|&g| n - g)
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    let at = if ranks.is_empty() {
        Vec::new()
    } else {
        select(&ranks)
    };
    let bounds: Vec<Bound> = gs
        .iter()
        .map(|&g| match g {
            0 => Bound::All,
            g if g >= n => Bound::None,
            g => Bound::Below(at[ranks.binary_search(&(n - g)).expect("a selected rank")]),
        })
        .collect();
    values
        .par_iter()
        .with_min_len(1 << 14)
        .map(|&v| {
            bounds
                .iter()
                .map(|b| match *b {
                    Bound::All => 1,
                    Bound::None => 0,
                    Bound::Below(x) => u8::from(v < x),
                })
                .sum::<u8>()
        })
        .collect()
}

/// The values of `values` at the ascending ranks `ranks` (0-based, sorted,
/// each `< values.len()`): what `sorted[r]` would give for each rank, without
/// sorting. A most-significant-digit radix selection, 16 bits a level: one
/// histogram of the values' offsets from the minimum finds the bucket of every
/// rank, and only the values of those buckets go on to the next level. Linear
/// in the values; the medians of CLV3 and the tier bounds of CV6, R2 and CLV2
/// use it.
pub fn select_ranks(values: &[i64], ranks: &[usize]) -> Vec<i64> {
    debug_assert!(ranks.windows(2).all(|w| w[0] <= w[1]));
    debug_assert!(ranks.last().is_none_or(|&r| r < values.len()));
    if ranks.is_empty() {
        return Vec::new();
    }
    // As unsigned keys of the same order.
    let flip = |v: i64| (v as u64) ^ (1 << 63);
    let keys: Vec<u64> = values
        .par_iter()
        .with_min_len(1 << 14)
        .map(|&v| flip(v))
        .collect();
    select_keys(keys, ranks)
        .into_iter()
        .map(|k| (k ^ (1 << 63)) as i64)
        .collect()
}

/// [`select_ranks`] on unsigned keys (consumed).
fn select_keys(mut keys: Vec<u64>, ranks: &[usize]) -> Vec<u64> {
    const BITS: u32 = 16;
    const SMALL: usize = 1 << 12;
    let n = keys.len();
    if n <= SMALL {
        keys.sort_unstable();
        return ranks.iter().map(|&r| keys[r]).collect();
    }
    let chunk = (n / (4 * rayon::current_num_threads())).max(1 << 15);
    let (lo, hi) = min_max(&keys, chunk, (u64::MAX, 0));
    if lo == hi {
        return vec![lo; ranks.len()];
    }
    let span = hi - lo;
    let shift = (64 - span.leading_zeros()).saturating_sub(BITS);
    let buckets = (span >> shift) as usize + 1;
    let bucket = |k: u64| ((k - lo) >> shift) as usize;
    let counts = keys
        .par_chunks(chunk)
        .map(|c| {
            let mut h = vec![0u32; buckets];
            c.iter().for_each(|&k| h[bucket(k)] += 1);
            h
        })
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        })
        .expect("keys are not empty");
    // Each rank's bucket, and its rank inside the bucket.
    let mut below = 0usize; // keys in the buckets before `b`
    let mut b = 0usize;
    let mut wanted: Vec<(usize, usize, usize)> = Vec::with_capacity(ranks.len()); // (bucket, first key of the bucket, rank)
    for &r in ranks {
        while below + counts[b] as usize <= r {
            below += counts[b] as usize;
            b += 1;
        }
        wanted.push((b, below, r));
    }
    if shift == 0 {
        // A bucket holds one key value.
        return wanted.iter().map(|&(b, ..)| lo + b as u64).collect();
    }
    // The keys of the wanted buckets, gathered once, then selected among.
    let mut distinct: Vec<usize> = wanted.iter().map(|w| w.0).collect();
    distinct.dedup();
    if distinct.len() >= usize::from(u8::MAX) {
        // Very many ranks: sorting is as good.
        keys.par_sort_unstable();
        return ranks.iter().map(|&r| keys[r]).collect();
    }
    let mut slot = vec![u8::MAX; buckets];
    for (i, &b) in distinct.iter().enumerate() {
        slot[b] = i as u8;
    }
    drop(counts);
    let gathered: Vec<Vec<Vec<u64>>> = keys
        .par_chunks(chunk)
        .map(|c| {
            let mut out = vec![Vec::new(); distinct.len()];
            for &k in c {
                let s = slot[bucket(k)];
                if s != u8::MAX {
                    out[usize::from(s)].push(k);
                }
            }
            out
        })
        .collect();
    drop(keys);
    let mut out = Vec::with_capacity(ranks.len());
    for (i, &b) in distinct.iter().enumerate() {
        let sub: Vec<u64> = gathered.iter().flat_map(|g| g[i].iter().copied()).collect();
        let inside: Vec<usize> = wanted
            .iter()
            .filter(|w| w.0 == b)
            .map(|&(_, first, r)| r - first)
            .collect();
        out.extend(select_keys(sub, &inside));
    }
    out
}

/// The least and greatest of `values`, chunks of `chunk` in parallel;
/// `empty` (the greatest and least possible values) when there are none.
fn min_max<T: Copy + Ord + Send + Sync>(values: &[T], chunk: usize, empty: (T, T)) -> (T, T) {
    let both = |x: (T, T), y: (T, T)| (x.0.min(y.0), x.1.max(y.1));
    values
        .par_chunks(chunk)
        .map(|c| c.iter().fold(empty, |m, &v| both(m, (v, v))))
        .reduce(|| empty, both)
}

/// [`tiers_by`] for integers in a narrow range (days, counts), by counting:
/// O(values + range), in parallel. `None` when the range is wider than
/// `max_range`.
pub fn tiers_by_counting(
    values: &[i64],
    max_range: u64,
    tier_of: impl Fn(u64) -> u8,
) -> Option<Vec<u8>> {
    const CH: usize = 1 << 16;
    let (lo, hi) = min_max(values, CH, (i64::MAX, i64::MIN));
    if lo > hi {
        return None; // no values
    }
    let range = (hi as i128 - lo as i128) as u64;
    if range > max_range {
        return None;
    }
    let len = range as usize + 1;
    let count = |c: &[i64]| {
        let mut counts = vec![0u64; len];
        c.iter().for_each(|&v| counts[(v - lo) as usize] += 1);
        counts
    };
    // Per-chunk counts where they are small next to the chunk.
    let counts = if len <= CH / 4 {
        values
            .par_chunks(CH)
            .map(count)
            .reduce_with(|mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            })
            .expect("values are not empty")
    } else {
        count(values)
    };
    // The tier of the value lo + i: g = values strictly greater.
    let mut greater = 0;
    let mut tier = vec![0u8; len];
    for i in (0..len).rev() {
        tier[i] = tier_of(greater);
        greater += counts[i];
    }
    Some(
        values
            .par_iter()
            .with_min_len(CH)
            .map(|&v| tier[(v - lo) as usize])
            .collect(),
    )
}

/// Which values reach a tier (see [`tiers_by`]).
enum Bound {
    All,
    None,
    /// The values strictly below this one.
    Below(i64),
}

/// A finite `f64` as an integer of the same order, to rank floats (R2, CLV2).
pub fn ordered(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    b ^ (((b >> 63) as u64) >> 1) as i64
}

/// The `f64` of an [`ordered`] key (the mapping is its own inverse on the bits).
pub fn unordered(k: i64) -> f64 {
    f64::from_bits(ordered(f64::from_bits(k as u64)) as u64)
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
        assert!(tiers_of(&[], &[0.5]).is_empty());
    }

    #[test]
    fn tiers_do_not_depend_on_the_thread_count() {
        // I5: 100k values (radix levels, parallel histograms) on 1 and 4 threads.
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
    fn select_ranks_equals_sorting() {
        // Sizes below and above the sorting threshold; narrow, wide, signed, tied and
        // skewed values (one huge outlier leaves nearly all keys in one bucket: more levels).
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
        for round in 0..48 {
            let n = [1, 7, 4096, 4097, 20_000, 150_000][round % 6];
            let v: Vec<i64> = match round / 6 {
                0 => (0..n).map(|_| rng.random_range(0..10)).collect(),
                1 => (0..n).map(|_| rng.random_range(0..1 << 20)).collect(),
                2 => (0..n).map(|_| rng.random()).collect(),
                3 => (0..n)
                    .map(|_| rng.random_range(-1_000_000..1_000_000))
                    .collect(),
                4 => (0..n)
                    .map(|i| {
                        if i == 0 {
                            i64::MAX
                        } else {
                            rng.random_range(0..1000)
                        }
                    })
                    .collect(),
                5 => (0..n)
                    .map(|i| {
                        if i % 2 == 0 {
                            i64::MIN
                        } else {
                            rng.random_range(0..3)
                        }
                    })
                    .collect(),
                6 => (0..n).map(|_| 42).collect(),
                _ => (0..n)
                    .map(|_| ordered(rng.random_range(-1e6..1e9)))
                    .collect(),
            };
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let mut ranks: Vec<usize> = (0..9).map(|_| rng.random_range(0..n)).collect();
            ranks.extend([0, n - 1, n / 2]);
            ranks.sort_unstable();
            let want: Vec<i64> = ranks.iter().map(|&r| sorted[r]).collect();
            assert_eq!(select_ranks(&v, &ranks), want, "round {round}, n {n}");
            // Many ranks at once take the sorting way out: the same values.
            let all: Vec<usize> = (0..n).step_by(n.div_ceil(300).max(1)).collect();
            let want: Vec<i64> = all.iter().map(|&r| sorted[r]).collect();
            assert_eq!(select_ranks(&v, &all), want, "round {round}, many ranks");
        }
        assert!(select_ranks(&[3, 1], &[]).is_empty());
    }

    #[test]
    fn ordered_floats_keep_their_order() {
        let xs = [-1e300, -2.5, -1.0, -0.0, 0.0, 1e-300, 3.0, 1e300];
        for w in xs.windows(2) {
            assert!(ordered(w[0]) <= ordered(w[1]), "{w:?}");
        }
        assert!(ordered(-2.5) < ordered(-1.0) && ordered(1.0) < ordered(1.5));
        for x in xs {
            assert_eq!(unordered(ordered(x)).to_bits(), x.to_bits());
        }
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
