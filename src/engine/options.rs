//! What the per-customer pass needs to know of the rules: the calendar (P1,
//! P2), the run's day (I3), what a purchase event is (I2), the monetary window
//! (CV3) and sales-only (CV5).

use chrono::NaiveDate;

use crate::error::{CoreError, Result};
use crate::periods::Periods;

/// Options of the per-customer pass (see the module docs).
#[derive(Debug, Clone)]
pub struct Options {
    pub periods: Periods,
    /// Exclusive day (I3); `None`: the day after the latest day in the data.
    pub as_of: Option<i32>,
    /// A day (or order) whose net total is exactly zero is a purchase event (I2).
    pub count_zero_days: bool,
    /// Window of the monetary value in periods (CV3), >= 1.
    pub monetary_periods: i64,
    pub sales_only: bool,
    /// Months 1..=12 (CV5).
    pub sales_months: Vec<i64>,
    /// Periods counted back for sales-only (CV5), >= 1.
    pub sales_lookback: i64,
}

impl Default for Options {
    /// The defaults of `custseg.customer_value`: seasons from January and July,
    /// `as_of` after the data, a monetary window of 2 periods, sales months
    /// January and July, lookback 4, sales-only off.
    fn default() -> Self {
        Options {
            periods: Periods::regular(6, NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date"))
                .expect("a valid calendar"),
            as_of: None,
            count_zero_days: false,
            monetary_periods: 2,
            sales_only: false,
            sales_months: vec![1, 7],
            sales_lookback: 4,
        }
    }
}

impl Options {
    /// Checks the options that make no sense whatever the data (I4).
    pub fn validate(&self) -> Result<()> {
        if let Some(m) = self.sales_months.iter().find(|m| !(1..=12).contains(*m)) {
            return Err(CoreError::Config(format!(
                "sales_months must be months 1 to 12, got {m} (rule CV5)"
            )));
        }
        if self.sales_only && self.sales_months.is_empty() {
            return Err(CoreError::Config(
                "sales_months is empty while sales_only is on (rule CV5)".into(),
            ));
        }
        if !(1..=10_000).contains(&self.sales_lookback) {
            return Err(CoreError::Config(format!(
                "sales_lookback must be 1 to 10000 periods, got {} (rule CV5)",
                self.sales_lookback
            )));
        }
        if !(1..=10_000).contains(&self.monetary_periods) {
            return Err(CoreError::Config(format!(
                "monetary_periods must be 1 to 10000 periods, got {} (rule CV3)",
                self.monetary_periods
            )));
        }
        Ok(())
    }

    /// The first explicit boundary, before which no day can be placed (P1).
    pub fn earliest_day(&self) -> Option<i32> {
        match &self.periods {
            Periods::Boundaries(b) => b.first().copied(),
            Periods::Regular { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_validated() {
        let o = Options {
            sales_months: vec![13],
            ..Default::default()
        };
        assert!(matches!(o.validate(), Err(CoreError::Config(m)) if m.contains("CV5")));
        let o = Options {
            monetary_periods: 0,
            ..Default::default()
        };
        assert!(matches!(o.validate(), Err(CoreError::Config(m)) if m.contains("CV3")));
        let o = Options {
            sales_only: true,
            sales_months: vec![],
            ..Default::default()
        };
        assert!(matches!(o.validate(), Err(CoreError::Config(m)) if m.contains("CV5")));
        assert!(Options::default().validate().is_ok());
    }
}
