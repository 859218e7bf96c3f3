//! Section 2 of the spec: the Customer Value segmentation. The engine gives
//! every customer's facts (CV1 k, CV3 m, CV4's n, CV5 sales-only; fixed per
//! period, P2, P3); this module holds the rules that turn them into labels:
//! the group (CV2), the segment (CV4), the tiers inside each pool (CV6, with
//! the counting of [`crate::tiers`]) and the output columns (CV7).

use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array};
use arrow_schema::{DataType, Field};
use rayon::prelude::*;

use crate::engine::{Facts, Segmented};
use crate::error::{CoreError, Result};
use crate::money;
use crate::output::{label_field, labels};
use crate::ranks::{pool_tiers, Pool, Ranks};
use crate::tiers::{check_cuts, share, tier};

/// CV2 group labels, in category order (CV7).
pub const GROUPS: [&str; 6] = ["0 SOL", "1 NEW", "2 ACT", "3 COLD", "4 LOST", "5 LOST"];
/// CV4 segment labels, in category order (CV7).
pub const SEGMENTS: [&str; 13] = [
    "PLATINA", "GOLD", "SILVER", "BRONZE", "JUNIOR", "L", "M", "S", "XS", "NEW", "LOST", "ACT",
    "COLD",
];

const SOL: i8 = 0;
const NEW: i8 = 1;
const ACT: i8 = 2;
const COLD: i8 = 3;
const LOST4: i8 = 4;
const LOST5: i8 = 5;

const SEG_PLATINA: i8 = 0;
const SEG_JUNIOR: i8 = 4;
const SEG_L: i8 = 5;
const SEG_NEW: i8 = 9;
const SEG_LOST: i8 = 10;
const SEG_ACT: i8 = 11;
const SEG_COLD: i8 = 12;

/// The tier pools of CV6, in pool order: 2 ACT, 3 COLD, 4 LOST.
const POOLS: usize = 3;
/// Not in a tier pool.
const NO_POOL: i8 = -1;

/// Options of the Customer Value labels (section 2); the options of its facts
/// (calendar, window, sales-only) are the engine's ([`crate::engine::Options`]).
#[derive(Debug, Clone)]
pub struct CvOptions {
    /// Three cut points (CV6).
    pub cuts: Vec<f64>,
}

impl Default for CvOptions {
    /// The default cuts 0.05, 0.25, 0.50.
    fn default() -> Self {
        CvOptions {
            cuts: vec![0.05, 0.25, 0.5],
        }
    }
}

impl CvOptions {
    /// Checks the options that make no sense whatever the data (I4).
    pub fn validate(&self) -> Result<()> {
        if self.cuts.len() != 3 {
            return Err(CoreError::Config(format!(
                "cuts must have three cut points (PLATINA/GOLD/SILVER), got {:?} (rule CV6)",
                self.cuts
            )));
        }
        check_cuts(&self.cuts, "cuts", "CV6")
    }
}

/// A customer's group, its segment before tiers (a pool's first tier) and its
/// tier pool (an index into the pools, or [`NO_POOL`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Class {
    group: i8,
    segment: i8,
    pool: i8,
}

/// CV2 and CV4: the group and segment of a customer from its facts.
fn classify(f: &Facts) -> Class {
    let class = |group, segment, pool| Class {
        group,
        segment,
        pool,
    };
    match f.k {
        0 => class(NEW, SEG_NEW, NO_POOL),
        // CV4 0 SOL: the recency label of the group the customer would otherwise have.
        k if f.sales_only => class(
            SOL,
            [SEG_ACT, SEG_COLD, SEG_LOST][(k.min(3) - 1) as usize],
            NO_POOL,
        ),
        1 if f.n == 1 => class(ACT, SEG_JUNIOR, NO_POOL),
        1 => class(ACT, SEG_PLATINA, 0),
        2 if f.n == 1 => class(COLD, SEG_JUNIOR, NO_POOL),
        2 => class(COLD, SEG_L, 1),
        3 | 4 => class(LOST4, SEG_L, 2),
        _ => class(LOST5, SEG_LOST, NO_POOL),
    }
}

/// The Customer Value fields after the customer column (CV7), the CV3 value
/// named `monetary`.
pub fn fields(monetary: &str) -> Vec<Field> {
    vec![
        label_field("cv_group", GROUPS.len()),
        label_field("cv_segment", SEGMENTS.len()),
        Field::new("periods_since_last", DataType::Int32, false),
        Field::new("purchases", DataType::Int64, false),
        Field::new(monetary, DataType::Float64, false),
        Field::new("first_purchase", DataType::Date32, false),
        Field::new("last_purchase", DataType::Date32, false),
    ]
}

/// The Customer Value columns (see [`fields`]) of the customers of `seg`
/// (facts with CV), in key order; the pools' sizes and order statistics from
/// `ranks` (the customers at hand on one machine).
pub(crate) fn columns(
    seg: &Segmented,
    opts: &CvOptions,
    ranks: &dyn Ranks,
) -> Result<Vec<ArrayRef>> {
    let classes = tiered_classes(seg, &opts.cuts, ranks);
    let (group, segment): (Vec<i8>, Vec<i8>) = classes
        .par_iter()
        .with_min_len(1 << 14)
        .map(|c| (c.group, c.segment))
        .unzip();
    drop(classes);
    let mut columns = vec![labels(group, &GROUPS)?, labels(segment, &SEGMENTS)?];
    columns.extend(plain_columns(seg));
    Ok(columns)
}

/// CV7's columns after the labels (periods since the last purchase, purchases,
/// monetary, first and last purchase), in key order, from one read of the
/// facts (five reads took twice the time at 1M customers).
fn plain_columns(seg: &Segmented) -> [ArrayRef; 5] {
    let n = seg.len();
    let (mut k, mut count, mut monetary) = (vec![0i32; n], vec![0i64; n], vec![0f64; n]);
    let (mut first, mut last) = (vec![0i32; n], vec![0i32; n]);
    seg.pieces()
        .into_par_iter()
        .zip(seg.split_like(&mut k))
        .zip(seg.split_like(&mut count))
        .zip(seg.split_like(&mut monetary))
        .zip(seg.split_like(&mut first))
        .zip(seg.split_like(&mut last))
        .for_each(|(((((facts, k), count), monetary), first), last)| {
            for (i, f) in facts.0.iter().enumerate() {
                k[i] = f.k;
                count[i] = i64::from(f.n);
                monetary[i] = money::to_f64(f.monetary);
                first[i] = f.first;
                last[i] = f.last;
            }
        });
    [
        Arc::new(Int32Array::from(k)),
        Arc::new(Int64Array::from(count)),
        Arc::new(Float64Array::from(monetary)),
        Arc::new(Date32Array::from(first)),
        Arc::new(Date32Array::from(last)),
    ]
}

/// CV2, CV4 and CV6: every customer's class, the tier added to the segment of
/// the members of the pools (2 ACT, 3 COLD, 4 LOST), in key order.
///
/// A parallel partition of the customers by pool: each piece classifies and
/// counts its members, the counts give every piece its place in each pool, the
/// members' monetary values are copied there, and the tiers come back the same way.
fn tiered_classes(seg: &Segmented, cuts: &[f64], ranks: &dyn Ranks) -> Vec<Class> {
    let mut classes = vec![Class::default(); seg.len()];
    let pieces = seg.pieces();
    let counts: Vec<[usize; POOLS]> = pieces
        .par_iter()
        .zip(seg.split_like(&mut classes))
        .map(|((facts, _), out)| {
            let mut k = [0; POOLS];
            for (o, f) in out.iter_mut().zip(*facts) {
                *o = classify(f);
                if o.pool != NO_POOL {
                    k[o.pool as usize] += 1;
                }
            }
            k
        })
        .collect();
    let mut totals = [0usize; POOLS];
    let starts: Vec<[usize; POOLS]> = counts
        .iter()
        .map(|k| {
            let at = totals;
            (0..POOLS).for_each(|p| totals[p] += k[p]);
            at
        })
        .collect();
    let mut values = totals.map(|n| vec![0i64; n]);
    let slices = pool_slices(&mut values, &counts);
    pieces
        .par_iter()
        .zip(seg.split_like(&mut classes))
        .zip(slices)
        .for_each(|(((facts, _), classes), dst)| {
            let mut at = [0usize; POOLS];
            for (c, f) in classes.iter().zip(*facts) {
                if c.pool != NO_POOL {
                    let p = c.pool as usize;
                    dst[p][at[p]] = f.monetary;
                    at[p] += 1;
                }
            }
        });
    let tiers: Vec<Vec<u8>> = values
        .par_iter()
        .enumerate()
        .map(|(p, m)| {
            pool_tiers(m, Pool::Cv(p as u8), ranks, cuts.len() as u8 + 1, |g, n| {
                tier(share(g, n), cuts) as u8
            })
        })
        .collect();
    seg.split_like(&mut classes)
        .into_par_iter()
        .zip(starts)
        .for_each(|(classes, mut at)| {
            for c in classes.iter_mut().filter(|c| c.pool != NO_POOL) {
                let p = c.pool as usize;
                c.segment += tiers[p][at[p]] as i8;
                at[p] += 1;
            }
        });
    classes
}

/// Every piece's slices of the pools' value vectors, in piece order (piece
/// `i` holds `counts[i][p]` values of pool `p`).
fn pool_slices<'a>(
    values: &'a mut [Vec<i64>; POOLS],
    counts: &[[usize; POOLS]],
) -> Vec<[&'a mut [i64]; POOLS]> {
    let mut slices = Vec::with_capacity(counts.len());
    let [a, b, c] = values;
    let mut rest: [&mut [i64]; POOLS] = [&mut a[..], &mut b[..], &mut c[..]];
    for k in counts {
        let [ra, rb, rc] = rest;
        let (ha, ta) = ra.split_at_mut(k[0]);
        let (hb, tb) = rb.split_at_mut(k[1]);
        let (hc, tc) = rc.split_at_mut(k[2]);
        slices.push([ha, hb, hc]);
        rest = [ta, tb, tc];
    }
    slices
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(k: i32, n: u32, sales_only: bool) -> Facts {
        Facts {
            k,
            n,
            sales_only,
            ..Facts::default()
        }
    }

    #[test]
    fn cv2_cv4_classes() {
        let label = |f: Facts| {
            let c = classify(&f);
            (
                GROUPS[c.group as usize],
                SEGMENTS[c.segment as usize],
                c.pool,
            )
        };
        assert_eq!(label(facts(0, 3, false)), ("1 NEW", "NEW", NO_POOL));
        assert_eq!(label(facts(1, 1, false)), ("2 ACT", "JUNIOR", NO_POOL));
        assert_eq!(label(facts(1, 2, false)), ("2 ACT", "PLATINA", 0));
        assert_eq!(label(facts(2, 1, false)), ("3 COLD", "JUNIOR", NO_POOL));
        assert_eq!(label(facts(2, 5, false)), ("3 COLD", "L", 1));
        // 4 LOST has no JUNIOR: one purchase is tiered too.
        assert_eq!(label(facts(3, 1, false)), ("4 LOST", "L", 2));
        assert_eq!(label(facts(4, 2, false)), ("4 LOST", "L", 2));
        assert_eq!(label(facts(5, 2, false)), ("5 LOST", "LOST", NO_POOL));
        assert_eq!(label(facts(1, 1, true)), ("0 SOL", "ACT", NO_POOL));
        assert_eq!(label(facts(2, 4, true)), ("0 SOL", "COLD", NO_POOL));
        assert_eq!(label(facts(4, 4, true)), ("0 SOL", "LOST", NO_POOL));
    }

    #[test]
    fn cuts_are_validated() {
        let bad = CvOptions {
            cuts: vec![0.5, 0.25, 0.05],
        };
        assert!(matches!(bad.validate(), Err(CoreError::Config(m)) if m.contains("CV6")));
        let two = CvOptions {
            cuts: vec![0.1, 0.2],
        };
        assert!(matches!(two.validate(), Err(CoreError::Config(m)) if m.contains("three")));
    }
}
