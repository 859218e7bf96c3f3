//! Tables of labels: the cross table of two segmentations of the same
//! customers (CLV5: are the RFM Champions also the most valuable by CLV?) and
//! the summary of a segmentation (customers and a value per segment). Labels
//! arrive as category codes (the Python layer dictionary-encodes them).

use std::str::FromStr;

use crate::error::{CoreError, Result};

/// How a cross table is normalised (CLV5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalize {
    /// Shares of all customers.
    All,
    /// Shares within each row (each label of the first column sums to 1).
    Index,
    /// Shares within each column.
    Columns,
}

impl FromStr for Normalize {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "all" => Ok(Normalize::All),
            "index" => Ok(Normalize::Index),
            "columns" => Ok(Normalize::Columns),
            other => Err(CoreError::Config(format!(
                "normalize must be one of (None, 'all', 'index', 'columns'), got {other:?} (CLV5)"
            ))),
        }
    }
}

/// Checks that every code is below the number of categories.
fn check_codes(codes: &[u32], categories: usize, what: &str) -> Result<()> {
    match codes.iter().find(|&&c| c as usize >= categories) {
        Some(c) => Err(CoreError::Internal(format!(
            "{what}: code {c} of {categories} categories"
        ))),
        None => Ok(()),
    }
}

/// CLV5: customers per pair of categories, `na` rows (the categories of `a`)
/// by `nb` columns (those of `b`), row-major: counts, or shares when
/// `normalize` says (an empty row or column gives shares of 0).
pub fn crosstab(
    a: &[u32],
    na: usize,
    b: &[u32],
    nb: usize,
    normalize: Option<Normalize>,
) -> Result<(Vec<i64>, Option<Vec<f64>>)> {
    if a.len() != b.len() {
        return Err(CoreError::Config(format!(
            "crosstab: a has {} values and b has {} (rule CLV5)",
            a.len(),
            b.len()
        )));
    }
    check_codes(a, na, "crosstab a")?;
    check_codes(b, nb, "crosstab b")?;
    let mut counts = vec![0i64; na * nb];
    for (&x, &y) in a.iter().zip(b) {
        counts[x as usize * nb + y as usize] += 1;
    }
    let Some(how) = normalize else {
        return Ok((counts, None));
    };
    let total = |cells: &mut dyn Iterator<Item = i64>| cells.sum::<i64>().max(1) as f64;
    let rows: Vec<f64> = (0..na)
        .map(|i| total(&mut counts[i * nb..(i + 1) * nb].iter().copied()))
        .collect();
    let cols: Vec<f64> = (0..nb)
        .map(|j| total(&mut (0..na).map(|i| counts[i * nb + j])))
        .collect();
    let all = total(&mut counts.iter().copied());
    let shares = (0..na * nb)
        .map(|k| {
            let denominator = match how {
                Normalize::All => all,
                Normalize::Index => rows[k / nb],
                Normalize::Columns => cols[k % nb],
            };
            counts[k] as f64 / denominator
        })
        .collect();
    Ok((counts, Some(shares)))
}

/// The summary of a segmentation: one entry per combination of categories
/// present, in category order.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Per key column, the code of each combination.
    pub codes: Vec<Vec<u32>>,
    pub customers: Vec<i64>,
    /// Customers / all customers.
    pub customer_share: Vec<f64>,
    /// The sum of the value column (summed in row order).
    pub value: Vec<f64>,
    /// The sum / the sum over all customers (NaN when that is 0).
    pub value_share: Vec<f64>,
}

/// Customers and the sum of `values` per combination of the key columns
/// (`(codes, categories)` each), in category order.
pub fn summary(keys: &[(&[u32], usize)], values: &[f64]) -> Result<Summary> {
    let n = values.len();
    let mut cells = 1usize;
    for (i, (codes, categories)) in keys.iter().enumerate() {
        if codes.len() != n {
            return Err(CoreError::Internal(format!(
                "summary: key {i} has another length"
            )));
        }
        check_codes(codes, *categories, "summary")?;
        cells = cells
            .checked_mul(*categories)
            .filter(|&c| c <= 1 << 24)
            .ok_or_else(|| CoreError::Config("summary: too many combinations of labels".into()))?;
    }
    let cell = |row: usize| {
        keys.iter()
            .fold(0, |at, (codes, k)| at * k + codes[row] as usize)
    };
    let (mut counts, mut sums) = (vec![0i64; cells], vec![0f64; cells]);
    for (row, &v) in values.iter().enumerate() {
        let c = cell(row);
        counts[c] += 1;
        sums[c] += v;
    }
    let total: f64 = values.iter().sum();
    let mut out = Summary {
        codes: vec![Vec::new(); keys.len()],
        customers: Vec::new(),
        customer_share: Vec::new(),
        value: Vec::new(),
        value_share: Vec::new(),
    };
    for c in (0..cells).filter(|&c| counts[c] > 0) {
        let mut rest = c;
        for (i, (_, k)) in keys.iter().enumerate().rev() {
            out.codes[i].push((rest % k) as u32);
            rest /= k;
        }
        out.customers.push(counts[c]);
        out.customer_share.push(counts[c] as f64 / n.max(1) as f64);
        out.value.push(sums[c]);
        out.value_share
            .push(sums[c] / if total != 0.0 { total } else { f64::NAN });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clv5_counts_and_shares() {
        // a: x y x x; b (high medium low): high low low high.
        let (a, b) = ([0, 1, 0, 0], [0, 2, 2, 0]);
        let (counts, none) = crosstab(&a, 2, &b, 3, None).unwrap();
        assert_eq!((counts.as_slice(), none), (&[2, 0, 1, 0, 0, 1][..], None));
        let share = |how| crosstab(&a, 2, &b, 3, Some(how)).unwrap().1.unwrap();
        assert_eq!(share(Normalize::All), [0.5, 0.0, 0.25, 0.0, 0.0, 0.25]);
        assert_eq!(
            share(Normalize::Index),
            [2.0 / 3.0, 0.0, 1.0 / 3.0, 0.0, 0.0, 1.0]
        );
        assert_eq!(share(Normalize::Columns), [1.0, 0.0, 0.5, 0.0, 0.0, 0.5]);
        assert!("rows"
            .parse::<Normalize>()
            .unwrap_err()
            .to_string()
            .contains("normalize"));
        assert!(crosstab(&a, 2, &b[..3], 3, None).is_err());
    }

    #[test]
    fn summary_per_combination_in_category_order() {
        let g = [2u32, 0, 2, 1];
        let s = [1u32, 0, 1, 0];
        let v = [10.0, 5.0, 20.0, -5.0];
        let out = summary(&[(&g, 3), (&s, 2)], &v).unwrap();
        assert_eq!(out.codes, vec![vec![0, 1, 2], vec![0, 0, 1]]);
        assert_eq!(out.customers, [1, 1, 2]);
        assert_eq!(out.customer_share, [0.25, 0.25, 0.5]);
        assert_eq!(out.value, [5.0, -5.0, 30.0]);
        assert_eq!(out.value_share, [5.0 / 30.0, -5.0 / 30.0, 1.0]);
        let zero = summary(&[(&[0u32][..], 1)], &[0.0]).unwrap();
        assert!(zero.value_share[0].is_nan());
    }
}
