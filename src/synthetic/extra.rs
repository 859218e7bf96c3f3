//! The optional `channel` and `category` columns of the synthetic table, so that
//! profiling segments by what they buy and where has something true to find: a
//! customer's mix depends on the value of its lines (higher-value customers buy
//! more online and more premium goods). Derived from the generated lines by
//! hashing, so the other columns stay exactly those of [`super::generate`]; a
//! shopping day (customer, day) is one channel and one main category.

use super::{splitmix64, SyntheticColumns, CUSTOMER_SIGMA, LINE_MEDIAN_CENTS};

/// Channel labels, in category order.
pub const CHANNELS: [&str; 3] = ["store", "web", "app"];
/// Category labels, in category order.
pub const CATEGORIES: [&str; 5] = ["basics", "fashion", "shoes", "accessories", "premium"];

/// The channel and category code of every line of `cols` (rows grouped by customer).
pub fn extra_columns(cols: &SyntheticColumns, seed: u64) -> (Vec<i8>, Vec<i8>) {
    let n = cols.customer.len();
    let (mut channel, mut category) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut start = 0;
    while start < n {
        let c = cols.customer[start];
        let end = start + cols.customer[start..].partition_point(|&x| x == c);
        let v = value_position(&cols.amount_cents[start..end]);
        for i in start..end {
            let key =
                splitmix64(seed ^ splitmix64(c as u64) ^ (cols.day[i] as u64).rotate_left(32));
            channel.push(pick(unit(splitmix64(key ^ 1)), &channel_weights(v)));
            category.push(pick(unit(splitmix64(key ^ 2)), &category_weights(v)));
        }
        start = end;
    }
    (channel, category)
}

/// Where a customer's mean purchase line lies on the value scale, 0 (a low
/// spender, e^-1 of the median line) to 1 (e^+1 of it).
fn value_position(cents: &[i64]) -> f64 {
    let positive: Vec<f64> = cents
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| c as f64)
        .collect();
    if positive.is_empty() {
        return 0.0;
    }
    let mean = positive.iter().sum::<f64>() / positive.len() as f64;
    ((mean / LINE_MEDIAN_CENTS).ln() / (2.0 * CUSTOMER_SIGMA) + 0.5).clamp(0.0, 1.0)
}

/// Store, web, app: more online at higher value.
fn channel_weights(v: f64) -> [f64; 3] {
    [0.65 - 0.35 * v, 0.25 + 0.15 * v, 0.10 + 0.20 * v]
}

/// Basics, fashion, shoes, accessories, premium: more premium at higher value.
fn category_weights(v: f64) -> [f64; 5] {
    [
        0.40 - 0.30 * v,
        0.30,
        0.15,
        0.10 + 0.10 * v,
        0.05 + 0.20 * v,
    ]
}

/// A uniform number in [0, 1) from 64 random bits.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The index `u` falls into with these weights (summing to 1).
fn pick(u: f64, weights: &[f64]) -> i8 {
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return i as i8;
        }
    }
    (weights.len() - 1) as i8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{generate, SyntheticOptions};

    #[test]
    fn weights_are_distributions() {
        for v in [0.0, 0.3, 1.0] {
            assert!((channel_weights(v).iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!((category_weights(v).iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn the_mix_follows_value_and_a_day_is_one_channel() {
        let cols = generate(&SyntheticOptions::default());
        let (channel, category) = extra_columns(&cols, 42);
        assert_eq!(channel.len(), cols.customer.len());
        for i in 1..cols.customer.len() {
            if (cols.customer[i], cols.day[i]) == (cols.customer[i - 1], cols.day[i - 1]) {
                assert_eq!((channel[i], category[i]), (channel[i - 1], category[i - 1]));
            }
        }
        // Lines of costly purchases are more often premium than cheap ones.
        let share = |pred: &dyn Fn(i64) -> bool| {
            let rows: Vec<usize> = (0..channel.len())
                .filter(|&i| pred(cols.amount_cents[i]))
                .collect();
            rows.iter().filter(|&&i| category[i] == 4).count() as f64 / rows.len() as f64
        };
        assert!(share(&|c| c > 10_000) > share(&|c| (1..1_000).contains(&c)) + 0.05);
        assert_eq!(
            extra_columns(&cols, 42),
            (channel, category),
            "deterministic"
        );
    }
}
