//! The BTYD summary of CLV4: (frequency, recency, T, monetary_value) per
//! customer, from the facts of the engine's per-customer pass.

use std::str::FromStr;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array};
use arrow_schema::{DataType, Field};

use crate::engine::{Extra, Segmented};
use crate::error::{CoreError, Result};
use crate::money;

/// The time unit of the summary: days or weeks (CLV4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Unit {
    Days,
    #[default]
    Weeks,
}

impl Unit {
    /// Days per unit.
    pub fn days(self) -> f64 {
        match self {
            Unit::Days => 1.0,
            Unit::Weeks => 7.0,
        }
    }
}

impl FromStr for Unit {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "D" => Ok(Unit::Days),
            "W" => Ok(Unit::Weeks),
            other => Err(CoreError::Config(format!(
                "unit must be \"D\" (days) or \"W\" (weeks), got {other:?} (CLV4)"
            ))),
        }
    }
}

/// The summary counts purchase events per customer-day (CLV4): an order
/// column makes no summary.
pub fn check_no_orders(has_orders: bool) -> Result<()> {
    if has_orders {
        return Err(CoreError::Config(
            "the BTYD summary counts purchase events per customer-day (CLV4): pass no order column"
                .into(),
        ));
    }
    Ok(())
}

/// The fields of the BTYD summary after the customer column (CLV4).
pub fn summary_fields() -> Vec<Field> {
    vec![
        Field::new("frequency", DataType::Int64, false),
        Field::new("recency", DataType::Float64, false),
        Field::new("T", DataType::Float64, false),
        Field::new("monetary_value", DataType::Float64, false),
    ]
}

/// The BTYD summary columns of CLV4 (facts with extras), time in `unit`s:
/// frequency = purchase events - 1; recency = last - first event day;
/// T = (`as_of` - 1 day) - first event day; monetary_value = net value of the
/// events after the first / frequency (0 without repeat purchases).
pub fn summary_columns(seg: &Segmented, unit: Unit) -> Vec<ArrayRef> {
    let (end, unit) = (seg.as_of - 1, unit.days());
    let frequency = |x: &Extra| i64::from(x.events) - 1;
    vec![
        Arc::new(Int64Array::from(seg.column_x(|_, x| frequency(x)))),
        Arc::new(Float64Array::from(
            seg.column(|f| f64::from(f.last - f.first) / unit),
        )),
        Arc::new(Float64Array::from(
            seg.column(|f| f64::from(end - f.first) / unit),
        )),
        Arc::new(Float64Array::from(seg.column_x(|_, x| {
            match frequency(x) {
                0 => 0.0,
                f => money::to_f64(x.repeat_value) / f as f64,
            }
        }))),
    ]
}
