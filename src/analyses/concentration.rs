//! A2, the concentration of value on the best customers (seed 002: "20% of
//! the customers brought 60% of the revenue"): the share of the total held
//! by the top shares of customers, the Gini coefficient, and the
//! concentration curve (customers from the largest value down) for a plot.

use std::str::FromStr;

use arrow_array::{Array, Float64Array};
use rayon::prelude::*;

use crate::error::{CoreError, Result};

/// What to do with a negative value (a customer whose returns exceed the
/// purchases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Negative {
    /// Raise an error naming the row.
    #[default]
    Raise,
    /// Count the customer with a value of 0.
    Zero,
}

impl FromStr for Negative {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "raise" => Ok(Negative::Raise),
            "zero" => Ok(Negative::Zero),
            _ => Err(CoreError::Config(format!(
                "negative must be \"raise\" or \"zero\", got {s:?} (rule A2)"
            ))),
        }
    }
}

/// The result of [`concentration`].
#[derive(Debug, Clone, PartialEq)]
pub struct Concentration {
    /// Customers (values) and the sum of their values.
    pub n: u64,
    pub total: f64,
    /// Per top share asked for: the customers it holds (ceil(share x n)) and
    /// their share of the total.
    pub customers: Vec<u64>,
    pub value_share: Vec<f64>,
    pub gini: f64,
    /// The curve from (0, 0) to (1, 1): share of customers from the largest
    /// value down, and their share of the total.
    pub curve_x: Vec<f64>,
    pub curve_y: Vec<f64>,
}

/// A2 on `values` (one per customer), for the shares `top` (each in (0, 1])
/// and a curve of about `points` points (`None`: one per customer).
pub fn concentration(
    values: &Float64Array,
    column: &str,
    top: &[f64],
    points: Option<usize>,
    negative: Negative,
) -> Result<Concentration> {
    if let Some(t) = top
        .iter()
        .find(|t| !(t.is_finite() && **t > 0.0 && **t <= 1.0))
    {
        return Err(CoreError::Config(format!(
            "top must hold shares of customers above 0 and at most 1, got {t} (rule A2)"
        )));
    }
    if points == Some(0) {
        return Err(CoreError::Config(
            "points must be at least 1 (rule A2)".into(),
        ));
    }
    let mut sorted = checked(values, column, negative)?;
    let n = sorted.len();
    if n == 0 {
        return Err(CoreError::Config(format!(
            "'{column}' holds no values (rule A2)"
        )));
    }
    sorted.par_sort_unstable_by(|a, b| b.total_cmp(a));
    let tops: Vec<usize> = top.iter().map(|&t| top_count(t, n)).collect();
    let curve: Vec<usize> = match points {
        Some(p) if p < n => {
            let mut ks: Vec<usize> = (0..=p)
                .map(|j| ((j as f64 * n as f64) / p as f64).round() as usize)
                .collect();
            ks.dedup();
            ks
        }
        _ => (0..=n).collect(),
    };
    let scan = Scan::run(&sorted, &tops, &curve);
    if scan.total == 0.0 {
        return Err(CoreError::Config(format!(
            "the values of '{column}' sum to 0: no share can be computed (rule A2)"
        )));
    }
    let share = |s: f64| s / scan.total;
    Ok(Concentration {
        n: n as u64,
        total: scan.total,
        customers: tops.iter().map(|&k| k as u64).collect(),
        value_share: scan.at_tops.iter().map(|&s| share(s)).collect(),
        // G = 2/N sum_{m=1..N} Y_m - (N + 1)/N, Y_m the share of the m largest.
        gini: 2.0 * share(scan.sum_of_prefixes) / n as f64 - (n as f64 + 1.0) / n as f64,
        curve_x: curve.iter().map(|&k| k as f64 / n as f64).collect(),
        curve_y: scan.at_curve.iter().map(|&s| share(s)).collect(),
    })
}

/// ceil(t x n), where a product within 1e-9 of a whole number is that
/// number (0.1 x 30 is 3 customers, not 4), and at least 1 customer.
pub fn top_count(t: f64, n: usize) -> usize {
    let x = t * n as f64;
    let k = if (x - x.round()).abs() <= 1e-9 * x.max(1.0) {
        x.round()
    } else {
        x.ceil()
    };
    (k as usize).clamp(1, n)
}

/// The values, checked: finite, not null, and not negative unless
/// `negative` says to count them as 0.
fn checked(values: &Float64Array, column: &str, negative: Negative) -> Result<Vec<f64>> {
    let bad = |row: usize, what: String| {
        Err(CoreError::InvalidValue {
            column: column.to_string(),
            row: row as u64,
            reason: what,
            rule: "A2",
        })
    };
    if let Some(row) = values
        .logical_nulls()
        .and_then(|n| n.iter().position(|v| !v))
    {
        return bad(
            row,
            "null: a customer without a value; drop or fill it".into(),
        );
    }
    let v = values.values();
    if let Some(row) = v.iter().position(|x| !x.is_finite()) {
        return bad(row, format!("{} is not a finite number", v[row]));
    }
    match negative {
        Negative::Raise => match v.iter().position(|&x| x < 0.0) {
            Some(row) => bad(
                row,
                format!(
                    "{} is negative (returns above purchases); concentration needs values of 0 or more: pass negative=\"zero\" to count such customers as 0, or leave them out",
                    v[row]
                ),
            ),
            None => Ok(v.to_vec()),
        },
        Negative::Zero => Ok(v.iter().map(|&x| x.max(0.0)).collect()),
    }
}

/// One scan down the sorted values: compensated running sums read at the
/// counts asked for.
struct Scan {
    total: f64,
    at_tops: Vec<f64>,
    at_curve: Vec<f64>,
    /// The sum over m of the sum of the m largest values (for the Gini).
    sum_of_prefixes: f64,
}

impl Scan {
    fn run(sorted: &[f64], tops: &[usize], curve: &[usize]) -> Scan {
        let mut prefix = Neumaier::default();
        let mut prefixes = Neumaier::default();
        let mut at = vec![0.0; sorted.len() + 1];
        let mut wanted = vec![false; sorted.len() + 1];
        tops.iter().chain(curve).for_each(|&k| wanted[k] = true);
        for (m, &x) in sorted.iter().enumerate() {
            prefix.add(x);
            prefixes.add(prefix.value());
            if wanted[m + 1] {
                at[m + 1] = prefix.value();
            }
        }
        Scan {
            total: prefix.value(),
            at_tops: tops.iter().map(|&k| at[k]).collect(),
            at_curve: curve.iter().map(|&k| at[k]).collect(),
            sum_of_prefixes: prefixes.value(),
        }
    }
}

/// Neumaier's compensated sum: the order of the values is fixed (sorted), so
/// the result is the same whatever the order of the input rows.
#[derive(Default)]
struct Neumaier {
    sum: f64,
    carry: f64,
}

impl Neumaier {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        self.carry += if self.sum.abs() >= x.abs() {
            (self.sum - t) + x
        } else {
            (x - t) + self.sum
        };
        self.sum = t;
    }

    fn value(&self) -> f64 {
        self.sum + self.carry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &[f64], top: &[f64]) -> Concentration {
        concentration(
            &Float64Array::from(v.to_vec()),
            "m",
            top,
            None,
            Negative::Raise,
        )
        .unwrap()
    }

    #[test]
    fn a2_top_shares_gini_and_curve_by_hand() {
        // 10 customers: 60, 20, then eight of 2.5: the top 20% hold 80/100.
        let mut v = vec![2.5; 8];
        v.extend([20.0, 60.0]);
        let c = run(&v, &[0.1, 0.2, 0.5, 1.0]);
        assert_eq!(c.customers, vec![1, 2, 5, 10]);
        assert_eq!(c.value_share, vec![0.6, 0.8, 0.875, 1.0]);
        assert_eq!(c.curve_x.len(), 11);
        assert_eq!((c.curve_x[0], c.curve_y[0], c.curve_y[10]), (0.0, 0.0, 1.0));
        // sum of Y_m = .6+.8+.825+.85+.875+.9+.925+.95+.975+1 = 8.7
        assert!(
            (c.gini - (2.0 * 8.7 / 10.0 - 1.1)).abs() < 1e-12,
            "{}",
            c.gini
        );
    }

    #[test]
    fn a2_equal_values_have_no_concentration_and_one_holder_all() {
        assert!(run(&[5.0; 7], &[0.2]).gini.abs() < 1e-12);
        let c = run(&[0.0, 0.0, 0.0, 9.0], &[0.25]);
        assert_eq!(c.value_share, vec![1.0]);
        assert!((c.gini - 0.75).abs() < 1e-12);
    }

    #[test]
    fn a2_top_counts_round_up_but_not_on_float_noise() {
        assert_eq!(top_count(0.1, 30), 3);
        assert_eq!(top_count(0.2, 7), 2);
        assert_eq!(top_count(0.01, 50), 1);
        assert_eq!(top_count(1.0, 3), 3);
    }

    #[test]
    fn a2_bad_values_name_the_row() {
        let e = concentration(
            &Float64Array::from(vec![1.0, -2.0]),
            "m",
            &[0.2],
            None,
            Negative::Raise,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("row 1") && e.contains("negative"), "{e}");
        let z = concentration(
            &Float64Array::from(vec![1.0, -2.0]),
            "m",
            &[0.5],
            None,
            Negative::Zero,
        )
        .unwrap();
        assert_eq!(z.value_share, vec![1.0]);
        let e = concentration(
            &Float64Array::from(vec![Some(1.0), None]),
            "m",
            &[0.2],
            None,
            Negative::Raise,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("row 1") && e.contains("null"), "{e}");
        assert!(concentration(
            &Float64Array::from(vec![0.0]),
            "m",
            &[0.2],
            None,
            Negative::Raise
        )
        .is_err());
        assert!(concentration(
            &Float64Array::from(vec![1.0]),
            "m",
            &[1.5],
            None,
            Negative::Raise
        )
        .is_err());
    }

    #[test]
    fn a2_a_thinned_curve_keeps_its_ends_and_exact_points() {
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        let full = run(&v, &[0.2]);
        let c = concentration(
            &Float64Array::from(v),
            "m",
            &[0.2],
            Some(10),
            Negative::Raise,
        )
        .unwrap();
        assert_eq!(c.curve_x.len(), 11);
        assert_eq!((c.curve_x[10], c.curve_y[10]), (1.0, 1.0));
        assert_eq!(c.curve_y[2], full.curve_y[200]);
        assert_eq!(c.gini, full.gini);
    }
}
