//! Section 4 of the spec: the simple customer lifetime value (CLV1), its
//! 20-60-20 tiers (CLV2), the value/loyalty quadrants (CLV3) and the
//! value/tenure quadrants (CLV3a, seed 004's "CLV against the length of the
//! relationship"), from the facts of the engine's per-customer pass.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array};
use arrow_schema::{DataType, Field};

use crate::engine::{Extra, Segmented};
use crate::error::{CoreError, Result};
use crate::money;
use crate::output::{label_field, labels};
use crate::ranks::{pool_tiers, Pool, Ranks};
use crate::tiers::{check_cuts, ordered, share, tier, unordered};

/// CLV2 tier labels, in category order.
pub const TIERS: [&str; 3] = ["high", "medium", "low"];
/// CLV3 quadrant labels, in category order.
pub const QUADRANTS: [&str; 4] = [
    "high value / high loyalty",
    "high value / low loyalty",
    "low value / high loyalty",
    "low value / low loyalty",
];
/// CLV3a quadrant labels (value x length of the relationship), in category order.
pub const TENURE_QUADRANTS: [&str; 4] = [
    "high value / long tenure",
    "high value / short tenure",
    "low value / long tenure",
    "low value / short tenure",
];
/// Days in a year (CLV1).
pub const YEAR_DAYS: f64 = 365.25;

/// Options of the simple CLV (section 4).
#[derive(Debug, Clone)]
pub struct ClvOptions {
    /// Expected lifetime in years; `None`: 1 / yearly churn (CLV1).
    pub lifetime_years: Option<f64>,
    /// The two cut points of the tiers (CLV2), default (0.2, 0.8).
    pub cuts: Vec<f64>,
    /// CLV at or above which value is high; `None`: the median (CLV3).
    pub value_threshold: Option<f64>,
    /// Loyalty at or above which loyalty is high; `None`: the median (CLV3).
    pub loyalty_threshold: Option<f64>,
    /// Tenure in years at or above which the relationship is long; `None`:
    /// the median tenure (CLV3a).
    pub tenure_threshold: Option<f64>,
}

impl Default for ClvOptions {
    fn default() -> Self {
        ClvOptions {
            lifetime_years: None,
            cuts: vec![0.2, 0.8],
            value_threshold: None,
            loyalty_threshold: None,
            tenure_threshold: None,
        }
    }
}

impl ClvOptions {
    /// Checks the options that make no sense whatever the data.
    pub fn validate(&self) -> Result<()> {
        if let Some(l) = self.lifetime_years {
            if !(l.is_finite() && l > 0.0) {
                return Err(CoreError::Config(format!(
                    "lifetime_years must be a positive number of years, got {l} (rule CLV1)"
                )));
            }
        }
        if self.cuts.len() != 2 {
            return Err(CoreError::Config(format!(
                "the cuts of the clv tiers must be two cut points (high/medium, medium/low), \
                 got {:?} (rule CLV2)",
                self.cuts
            )));
        }
        check_cuts(&self.cuts, "the cuts of the clv tiers", "CLV2")?;
        for (name, t) in [
            ("value_threshold", self.value_threshold),
            ("loyalty_threshold", self.loyalty_threshold),
            ("tenure_threshold", self.tenure_threshold),
        ] {
            if t.is_some_and(|t| !t.is_finite()) {
                return Err(CoreError::Config(format!(
                    "{name} must be a finite number (rule CLV3)"
                )));
            }
        }
        Ok(())
    }
}

/// The CLV output fields after the customer column.
pub fn fields() -> Vec<Field> {
    let f = |name: &str| Field::new(name, DataType::Float64, false);
    vec![
        f("aov"),
        f("purchases_per_year"),
        f("tenure_years"),
        f("lifetime_years"),
        f("clv"),
        label_field("clv_tier", TIERS.len()),
        f("loyalty"),
        label_field("value_loyalty", QUADRANTS.len()),
        label_field("tenure_quadrant", TENURE_QUADRANTS.len()),
    ]
}

/// The default lifetime, 1 / yearly churn (CLV1), from every customer's facts.
pub(crate) fn default_lifetime<'a>(extras: impl Iterator<Item = &'a Extra>) -> Result<f64> {
    let (mut base, mut stayed) = (0u64, 0u64);
    for x in extras {
        let (b, s) = churn_counts(x.churn);
        base += b;
        stayed += s;
    }
    lifetime_of_counts(base, stayed)
}

/// What one customer's churn bits add to the counts of CLV1's churn: (in the
/// base window, and bought again in the last year).
pub fn churn_counts(churn: u8) -> (u64, u64) {
    (u64::from(churn & 1 != 0), u64::from(churn == 3))
}

/// The default lifetime, 1 / yearly churn (CLV1), from the counts of every
/// customer: `base` bought in [as_of - 730, as_of - 365), `stayed` of them
/// bought again in [as_of - 365, as_of).
pub fn lifetime_of_counts(base: u64, stayed: u64) -> Result<f64> {
    let churned = base.saturating_sub(stayed);
    if base == 0 || churned == 0 {
        let why = if base == 0 {
            "no customer bought between 730 and 366 days before as_of"
        } else {
            "every customer who bought between 730 and 366 days before as_of bought again in the last 365 days (churn 0)"
        };
        return Err(CoreError::Config(format!(
            "the default lifetime (1 / yearly churn) cannot be computed: {why}; pass lifetime_years (rule CLV1)"
        )));
    }
    Ok(base as f64 / churned as f64)
}

/// The midpoint median of the whole pool of [`ordered`] keys, `keys` those at
/// hand (the pool not empty).
fn median(keys: &[i64], pool: Pool, ranks: &dyn Ranks) -> f64 {
    let n = ranks.size(pool, keys);
    if n % 2 == 1 {
        return unordered(ranks.select(pool, keys, &[n / 2])[0]);
    }
    let m = ranks.select(pool, keys, &[n / 2 - 1, n / 2]);
    (unordered(m[0]) + unordered(m[1])) / 2.0
}

/// The median of the pool of `values` (not empty), as a threshold.
fn median_of(values: &[f64], pool: Pool, ranks: &dyn Ranks) -> f64 {
    let keys: Vec<i64> = values.iter().map(|&v| ordered(v)).collect();
    median(&keys, pool, ranks)
}

/// The value, loyalty and tenure thresholds (CLV3, CLV3a): the user's or the
/// medians of all customers (`keys` are the [`ordered`] clv values).
fn thresholds(
    opts: &ClvOptions,
    keys: &[i64],
    [loyalty, tenure]: [&[f64]; 2],
    ranks: &dyn Ranks,
) -> (f64, f64, f64) {
    if ranks.size(Pool::Clv, keys) == 0 {
        return (0.0, 0.0, 0.0);
    }
    let (value_t, (loyal_t, tenure_t)) = rayon::join(
        || {
            opts.value_threshold
                .unwrap_or_else(|| median(keys, Pool::Clv, ranks))
        },
        || {
            rayon::join(
                || {
                    opts.loyalty_threshold
                        .unwrap_or_else(|| median_of(loyalty, Pool::Loyalty, ranks))
                },
                || {
                    opts.tenure_threshold
                        .unwrap_or_else(|| median_of(tenure, Pool::Tenure, ranks))
                },
            )
        },
    );
    (value_t, loyal_t, tenure_t)
}

/// Quadrant codes in the order of [`QUADRANTS`] / [`TENURE_QUADRANTS`]:
/// high value first, then high (long) before low (short) second axis.
fn quadrants(clv: &[f64], value_t: f64, other: &[f64], other_t: f64) -> Vec<i8> {
    clv.iter()
        .zip(other)
        .map(|(&c, &o)| 2 * i8::from(c < value_t) + i8::from(o < other_t))
        .collect()
}

/// The CLV columns (see [`fields`]) of the customers of `seg`, in key order;
/// the pools' sizes and order statistics from `ranks`.
pub(crate) fn columns(
    seg: &Segmented,
    opts: &ClvOptions,
    ranks: &dyn Ranks,
) -> Result<Vec<ArrayRef>> {
    let as_of = seg.as_of;
    let lifetime = match opts.lifetime_years {
        Some(l) => l,
        None if seg.is_empty() => f64::NAN, // no customers: no column values
        None => default_lifetime(seg.extras())?,
    };
    let aov = seg.column_x(|_, x| money::to_f64(x.net) / f64::from(x.events));
    let tenure = seg.column(|r| f64::from(as_of - r.first) / YEAR_DAYS);
    let ppy: Vec<f64> = seg
        .column_x(|_, x| f64::from(x.events))
        .iter()
        .zip(&tenure)
        .map(|(&e, &t)| e / t.max(1.0))
        .collect();
    let clv: Vec<f64> = aov
        .iter()
        .zip(&ppy)
        .map(|(&a, &p)| a * p * lifetime)
        .collect();
    let loyalty = seg.column_x(|_, x| f64::from(x.periods_with_events) / f64::from(x.periods_span));
    let keys: Vec<i64> = clv.iter().map(|&c| ordered(c)).collect();
    // The tiers (CLV2) and the medians (CLV3, CLV3a) are selections: side by side.
    let (tier, (value_t, loyal_t, tenure_t)) = rayon::join(
        || -> Vec<i8> {
            let cuts = &opts.cuts;
            pool_tiers(&keys, Pool::Clv, ranks, cuts.len() as u8 + 1, |g, n| {
                tier(share(g, n), cuts) as u8
            })
            .into_iter()
            .map(|t| t as i8)
            .collect()
        },
        || thresholds(opts, &keys, [&loyalty, &tenure], ranks),
    );
    let quadrant = quadrants(&clv, value_t, &loyalty, loyal_t);
    let tenure_quadrant = quadrants(&clv, value_t, &tenure, tenure_t);
    let n = clv.len();
    Ok(vec![
        Arc::new(Float64Array::from(aov)),
        Arc::new(Float64Array::from(ppy)),
        Arc::new(Float64Array::from(tenure)),
        Arc::new(Float64Array::from(vec![lifetime; n])),
        Arc::new(Float64Array::from(clv)),
        labels(tier, &TIERS)?,
        Arc::new(Float64Array::from(loyalty)),
        labels(quadrant, &QUADRANTS)?,
        labels(tenure_quadrant, &TENURE_QUADRANTS)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(churn: u8) -> Extra {
        Extra {
            churn,
            ..Default::default()
        }
    }

    #[test]
    fn clv1_default_lifetime_is_one_over_churn() {
        // Base: 4 customers active a year ago; 1 of them did not come back: churn 1/4.
        let e = [x(1), x(3), x(3), x(3), x(2), x(0)];
        assert_eq!(default_lifetime(e.iter()).unwrap(), 4.0);
        assert!(default_lifetime([x(3), x(2)].iter())
            .unwrap_err()
            .to_string()
            .contains("lifetime_years"));
        assert!(default_lifetime([x(2)].iter())
            .unwrap_err()
            .to_string()
            .contains("CLV1"));
    }

    #[test]
    fn clv3_median_is_the_midpoint() {
        let m = |v: &[f64]| median_of(v, Pool::Clv, &crate::ranks::Whole);
        assert_eq!(m(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(m(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(m(&[5.0]), 5.0);
        assert_eq!(m(&[-1.5, 2.0, -3.0, 0.5]), -0.5);
    }

    #[test]
    fn options_are_checked() {
        let mut o = ClvOptions::default();
        assert!(o.validate().is_ok());
        o.cuts = vec![0.8, 0.2];
        assert!(o.validate().unwrap_err().to_string().contains("CLV2"));
        o = ClvOptions {
            lifetime_years: Some(0.0),
            ..Default::default()
        };
        assert!(o.validate().unwrap_err().to_string().contains("CLV1"));
    }
}
