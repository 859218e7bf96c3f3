//! Section 3 of the spec: RFM values (R1), scores (R2) and named segments (R3),
//! from the facts of the engine's per-customer pass.

use std::str::FromStr;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int32Array, Int64Array};
use arrow_array::{Int8Array, StringArray};
use arrow_schema::{DataType, Field};
use rayon::prelude::*;

use crate::engine::Segmented;
use crate::error::{CoreError, Result};
use crate::money;
use crate::output::{label_field, labels};
use crate::ranks::{pool_tiers, Pool, Ranks};
use crate::tiers::{ordered, share, tiers_by, tiers_by_counting};

/// The segment of customers no rule matches (R3).
pub const OTHERS: &str = "Others";

/// One named segment of the rules table: inclusive score ranges (R3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfmRule {
    pub name: String,
    pub r: (u8, u8),
    pub f: (u8, u8),
    pub m: (u8, u8),
}

/// A score range of the rules table as a user writes it (R3): `"3-5"`, one
/// score (`5` or `"5"`), or a pair `(3, 5)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScoreRange {
    Text(String),
    One(i64),
    Pair(i64, i64),
    /// Anything else, as written (`repr`): never a range.
    Invalid(String),
}

impl std::fmt::Display for ScoreRange {
    /// As Python writes the value: `'3-5'`, `5`, `(3, 5)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScoreRange::Text(t) => write!(f, "'{t}'"),
            ScoreRange::One(x) => write!(f, "{x}"),
            ScoreRange::Pair(lo, hi) => write!(f, "({lo}, {hi})"),
            ScoreRange::Invalid(shown) => write!(f, "{shown}"),
        }
    }
}

impl RfmRule {
    /// Rule `i` of a rules table from its name and the three ranges as
    /// written (R3); [`RfmOptions::validate`] checks them against the bins.
    pub fn parse(i: usize, name: String, [r, f, m]: [ScoreRange; 3]) -> Result<RfmRule> {
        let range = |what: &str, v: ScoreRange| -> Result<(u8, u8)> {
            let bad = || {
                CoreError::Config(format!(
                    "segments: rule {i} has {what} = {v}; give a range such as (3, 5) or '3-5' \
                     (rule R3)"
                ))
            };
            let (lo, hi) = match &v {
                ScoreRange::One(x) => (*x, *x),
                ScoreRange::Pair(lo, hi) => (*lo, *hi),
                ScoreRange::Invalid(_) => return Err(bad()),
                ScoreRange::Text(t) => {
                    let (lo, hi) = t.split_once('-').unwrap_or((t, t));
                    let int = |s: &str| s.trim().parse::<i64>().map_err(|_| bad());
                    (int(lo)?, int(hi)?)
                }
            };
            match (u8::try_from(lo), u8::try_from(hi)) {
                (Ok(lo), Ok(hi)) => Ok((lo, hi)),
                _ => Err(CoreError::Config(format!(
                    "segments: rule {i} ({name:?}) has {what} range {lo}-{hi}, which holds no \
                     score (rule R3)"
                ))),
            }
        };
        let (r, f, m) = (range("r", r)?, range("f", f)?, range("m", m)?);
        Ok(RfmRule { name, r, f, m })
    }
}

/// R1's monetary value: the net sum of every amount before `as_of`, or that
/// sum per purchase event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Monetary {
    #[default]
    Sum,
    Mean,
}

impl FromStr for Monetary {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "sum" => Ok(Monetary::Sum),
            "mean" => Ok(Monetary::Mean),
            other => Err(CoreError::Config(format!(
                "monetary must be \"sum\" or \"mean\", got {other:?} (rule R1)"
            ))),
        }
    }
}

/// The default rules table of R3 (the R package `rfm`, 5 bins).
pub fn default_rules() -> Vec<RfmRule> {
    let rule = |name: &str, r, f, m| RfmRule {
        name: name.into(),
        r,
        f,
        m,
    };
    vec![
        rule("Champions", (5, 5), (5, 5), (5, 5)),
        rule("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
        rule("Loyal Customers", (2, 4), (2, 4), (2, 4)),
        rule("Promising", (3, 4), (1, 3), (3, 5)),
        rule("New Customers", (4, 5), (1, 3), (1, 5)),
        rule("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
        rule("At Risk", (1, 2), (2, 5), (4, 5)),
        rule("Need Attention", (1, 3), (3, 5), (3, 5)),
        rule("About To Sleep", (2, 3), (1, 3), (1, 4)),
        rule("Lost", (1, 1), (1, 5), (1, 5)),
    ]
}

/// Options of the RFM segmentation (section 3).
#[derive(Debug, Clone)]
pub struct RfmOptions {
    /// B, the number of scores (R2).
    pub bins: u8,
    /// R1's monetary value: the sum or the mean per purchase event.
    pub monetary: Monetary,
    /// The rules table (R3); first match wins.
    pub rules: Vec<RfmRule>,
}

impl Default for RfmOptions {
    fn default() -> Self {
        RfmOptions {
            bins: 5,
            monetary: Monetary::Sum,
            rules: default_rules(),
        }
    }
}

impl RfmOptions {
    /// Checks the options: 2 to 9 bins (one digit per score in the cell), and
    /// rules whose ranges fit the bins.
    pub fn validate(&self) -> Result<()> {
        if !(2..=9).contains(&self.bins) {
            return Err(CoreError::Config(format!(
                "bins must be 2 to 9, got {} (rule R2)",
                self.bins
            )));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            for (what, (lo, hi)) in [("r", rule.r), ("f", rule.f), ("m", rule.m)] {
                if lo < 1 || lo > hi || hi > self.bins {
                    return Err(CoreError::Config(format!(
                        "segments: rule {i} ({:?}) has {what} range {lo}-{hi}, which does not fit \
                         scores 1 to {} (rule R3)",
                        rule.name, self.bins
                    )));
                }
            }
            if rule.name == OTHERS || self.rules[..i].iter().any(|r| r.name == rule.name) {
                return Err(CoreError::Config(format!(
                    "segments: the name {:?} of rule {i} is repeated or reserved (rule R3)",
                    rule.name
                )));
            }
        }
        if self.rules.len() > 1000 {
            return Err(CoreError::Config(
                "segments: at most 1000 rules (rule R3)".into(),
            ));
        }
        Ok(())
    }

    /// The segment labels in category order: the rules', then `Others`.
    pub fn labels(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.rules.iter().map(|r| r.name.as_str()).collect();
        v.push(OTHERS);
        v
    }
}

/// R2: scores 1..=B, B - floor(B r) with r the share of customers strictly better.
/// On one machine days and counts (R, F) take the counting path: their range
/// is narrow; a piece of a pool ([`Ranks`]) takes the selection path.
fn scores(better: &[i64], bins: u8, pool: Pool, ranks: &dyn Ranks) -> Vec<u8> {
    let b = f64::from(bins);
    let tier_of = |g, n| ((b * share(g, n)).floor() as u8).min(bins - 1);
    let tiers = if ranks.whole() {
        let n = better.len();
        tiers_by_counting(better, 1 << 24, |g| tier_of(g, n))
            .unwrap_or_else(|| tiers_by(better, bins, |g| tier_of(g, n)))
    } else {
        pool_tiers(better, pool, ranks, bins, tier_of)
    };
    tiers.into_iter().map(|t| bins - t).collect()
}

/// The RFM output fields after the customer column (R1-R3), the monetary
/// value named `monetary`.
pub fn fields(monetary: &str, opts: &RfmOptions) -> Vec<Field> {
    vec![
        Field::new("recency_days", DataType::Int32, false),
        Field::new("frequency", DataType::Int64, false),
        Field::new(monetary, DataType::Float64, false),
        Field::new("r_score", DataType::Int8, false),
        Field::new("f_score", DataType::Int8, false),
        Field::new("m_score", DataType::Int8, false),
        Field::new("rfm_cell", DataType::Utf8, false),
        label_field("rfm_segment", opts.labels().len()),
    ]
}

/// The RFM columns (see [`fields`]) of the customers of `seg`, in key order;
/// the pools' sizes and order statistics from `ranks`.
pub(crate) fn columns(
    seg: &Segmented,
    opts: &RfmOptions,
    ranks: &dyn Ranks,
) -> Result<Vec<ArrayRef>> {
    let mut clock = crate::timings::Phases::start();
    let v = values(seg, opts.monetary);
    clock.lap("rfm keys");
    // The monetary scores (selections) while the narrow R and F ones count.
    let (ms, (rs, fs)) = rayon::join(
        || scores(&v.money_key, opts.bins, Pool::RfmM, ranks),
        || {
            (
                scores(&v.last, opts.bins, Pool::RfmR, ranks),
                scores(&v.events, opts.bins, Pool::RfmF, ranks),
            )
        },
    );
    clock.lap("rfm scores");
    let (codes, digits) = codes_and_cells([&rs, &fs, &ms], &segment_of_cells(opts), opts.bins);
    clock.lap("rfm codes digits");
    let offsets = arrow_buffer::OffsetBuffer::from_lengths(std::iter::repeat_n(3, codes.len()));
    let cells = StringArray::try_new(offsets, digits.into(), None).map_err(CoreError::building)?;
    // Scores 1..=9 as they are: the bytes of a u8 vector are those of the i8 column.
    let score = |s: Vec<u8>| -> ArrayRef {
        let len = s.len();
        Arc::new(Int8Array::new(
            arrow_buffer::ScalarBuffer::new(arrow_buffer::Buffer::from_vec(s), 0, len),
            None,
        ))
    };
    Ok(vec![
        Arc::new(Int32Array::from(v.recency)),
        Arc::new(Int64Array::from(v.events)),
        Arc::new(Float64Array::from(v.money)),
        score(rs),
        score(fs),
        score(ms),
        Arc::new(cells),
        labels(codes, &opts.labels())?,
    ])
}

/// R1's values of every customer and the "better" keys of R2 (a later last
/// purchase, more events, more money).
struct Values {
    recency: Vec<i32>,
    last: Vec<i64>,
    events: Vec<i64>,
    money: Vec<f64>,
    money_key: Vec<i64>,
}

/// The [`Values`] of the customers of `seg` (facts with extras), in one parallel pass.
fn values(seg: &Segmented, monetary: Monetary) -> Values {
    let (as_of, mean) = (seg.as_of, monetary == Monetary::Mean);
    let n = seg.len();
    let mut v = Values {
        recency: vec![0; n],
        last: vec![0; n],
        events: vec![0; n],
        money: vec![0.0; n],
        money_key: vec![0; n],
    };
    seg.pieces()
        .into_par_iter()
        .zip(seg.split_like(&mut v.recency))
        .zip(seg.split_like(&mut v.last))
        .zip(seg.split_like(&mut v.events))
        .zip(seg.split_like(&mut v.money))
        .zip(seg.split_like(&mut v.money_key))
        .for_each(|(((((piece, recency), last), events), money), money_key)| {
            let (facts, extras) = piece;
            assert_eq!(extras.len(), facts.len(), "the Extra facts were asked for");
            for (i, (f, x)) in facts.iter().zip(extras).enumerate() {
                let net = money::to_f64(x.net);
                let m = if mean { net / f64::from(x.events) } else { net };
                recency[i] = as_of - f.last;
                last[i] = i64::from(f.last);
                events[i] = i64::from(x.events);
                money[i] = m;
                money_key[i] = if mean { ordered(m) } else { x.net };
            }
        });
    v
}

/// R3: the segment code (rule index, or the rules' count for `Others`) of
/// every score triple, at `((r - 1) * B + f - 1) * B + m - 1`: first match wins.
fn segment_of_cells(opts: &RfmOptions) -> Vec<i16> {
    let b = opts.bins;
    let inside = |v: u8, (lo, hi): (u8, u8)| lo <= v && v <= hi;
    let mut code_of = Vec::with_capacity(usize::from(b).pow(3));
    for r in 1..=b {
        for f in 1..=b {
            for m in 1..=b {
                let rule = opts
                    .rules
                    .iter()
                    .position(|x| inside(r, x.r) && inside(f, x.f) && inside(m, x.m));
                code_of.push(rule.unwrap_or(opts.rules.len()) as i16);
            }
        }
    }
    code_of
}

/// Every customer's segment code (from its cell, [`segment_of_cells`]) and
/// its cell's three ASCII digits, from the R, F, M scores, in one parallel pass.
fn codes_and_cells([rs, fs, ms]: [&[u8]; 3], code_of: &[i16], bins: u8) -> (Vec<i16>, Vec<u8>) {
    const CH: usize = 1 << 14;
    let b = usize::from(bins);
    let n = rs.len();
    let mut codes = vec![0i16; n];
    let mut digits = vec![0u8; 3 * n];
    codes
        .par_chunks_mut(CH)
        .zip(digits.par_chunks_mut(3 * CH))
        .enumerate()
        .for_each(|(c, (codes, digits))| {
            for (j, (code, d)) in codes.iter_mut().zip(digits.chunks_exact_mut(3)).enumerate() {
                let i = c * CH + j;
                let (r, f, m) = (rs[i], fs[i], ms[i]);
                let cell = (usize::from(r - 1) * b + usize::from(f - 1)) * b + usize::from(m - 1);
                *code = code_of[cell];
                d.copy_from_slice(&[b'0' + r, b'0' + f, b'0' + m]);
            }
        });
    (codes, digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r2_scores_count_the_strictly_better() {
        // Five customers, all distinct: scores 5, 4, 3, 2, 1 from best to worst.
        assert_eq!(
            scores(&[50, 40, 30, 20, 10], 5, Pool::RfmM, &crate::ranks::Whole),
            vec![5, 4, 3, 2, 1]
        );
        // Ties share the score of their first: r = 0 for both 9s.
        assert_eq!(
            scores(&[9, 9, 1, 5], 4, Pool::RfmM, &crate::ranks::Whole),
            vec![4, 4, 1, 2]
        );
    }

    #[test]
    fn r3_ranges_as_written() {
        let t = |s: &str| ScoreRange::Text(s.into());
        let rule = RfmRule::parse(0, "x".into(), [t("3-5"), t(" 4 "), ScoreRange::Pair(1, 2)]);
        assert_eq!(
            rule.unwrap(),
            RfmRule {
                name: "x".into(),
                r: (3, 5),
                f: (4, 4),
                m: (1, 2)
            }
        );
        let e = RfmRule::parse(2, "y".into(), [ScoreRange::One(1), t("a-b"), t("1")]);
        let e = e.unwrap_err().to_string();
        assert!(
            e.contains("rule 2 has f = 'a-b'") && e.contains("R3"),
            "{e}"
        );
        let e = RfmRule::parse(0, "z".into(), [ScoreRange::One(-1), t("1"), t("1")]);
        assert!(e.unwrap_err().to_string().contains("R3"));
        assert_eq!("mean".parse::<Monetary>().unwrap(), Monetary::Mean);
        assert!("avg"
            .parse::<Monetary>()
            .unwrap_err()
            .to_string()
            .contains("R1"));
    }

    #[test]
    fn r3_rules_are_checked_against_the_bins() {
        let mut o = RfmOptions::default();
        assert!(o.validate().is_ok());
        o.bins = 4;
        let e = o.validate().unwrap_err().to_string();
        assert!(e.contains("Champions") && e.contains("R3"), "{e}");
        o.rules.clear();
        assert!(o.validate().is_ok());
        o.bins = 1;
        assert!(o.validate().unwrap_err().to_string().contains("R2"));
    }
}
