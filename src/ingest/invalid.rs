//! Rule I4 on the input side: the columns asked for must exist with a type
//! the rules accept, and an invalid row (null, NaN, out of range) raises an
//! error naming the column, the first bad row and the rule, or is skipped and
//! counted by reason with `on_invalid="drop"`.

use std::str::FromStr;

use arrow_array::Array;
use arrow_schema::{DataType, Schema};

use super::ColumnNames;
use crate::error::{CoreError, Result};

/// What to do with an invalid row (rule I4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnInvalid {
    /// Raise an error naming the column, the first bad row and the rule.
    #[default]
    Raise,
    /// Skip the row and count it by reason in the report.
    Drop,
}

impl FromStr for OnInvalid {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "raise" => Ok(OnInvalid::Raise),
            "drop" => Ok(OnInvalid::Drop),
            _ => Err(CoreError::Config(format!(
                "on_invalid must be \"raise\" or \"drop\", got {s:?} (rule I4)"
            ))),
        }
    }
}

/// Why a row is invalid; the names appear in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    NullCustomer,
    NullDate,
    NullAmount,
    NullOrder,
    NonFiniteAmount,
    AmountOutOfRange,
    DateOutOfRange,
    BeforeFirstPeriod,
    /// A date written as text that is not ISO-8601 (I1).
    UnparsableDate,
    /// An amount written as text that is not a decimal number (I6).
    UnparsableAmount,
}

impl Reason {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Reason::NullCustomer => "null_customer",
            Reason::NullDate => "null_date",
            Reason::NullAmount => "null_amount",
            Reason::NullOrder => "null_order",
            Reason::NonFiniteAmount => "non_finite_amount",
            Reason::AmountOutOfRange => "amount_out_of_range",
            Reason::DateOutOfRange => "date_out_of_range",
            Reason::BeforeFirstPeriod => "before_first_period",
            Reason::UnparsableDate => "unparsable_date",
            Reason::UnparsableAmount => "unparsable_amount",
        }
    }
}

pub(super) const CUSTOMER_TYPES: &str = "integers, strings, or dictionaries of those";
pub(super) const DATE_TYPES: &str =
    "date32, date64, timestamp of any unit with or without time zone, ISO-8601 strings";
pub(super) const AMOUNT_TYPES: &str = "floats, integers, decimals, decimal strings";

/// A per-window list of bad rows (local index, reason), in row order per column.
pub(super) type Bad = Vec<(usize, Reason)>;

pub(super) fn find_column(schema: &Schema, name: &str, role: &'static str) -> Result<usize> {
    schema
        .index_of(name)
        .map_err(|_| CoreError::ColumnNotFound {
            column: name.to_string(),
            role,
            available: schema
                .fields()
                .iter()
                .map(|f| format!("'{}'", f.name()))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

pub(super) fn unsupported(
    name: &str,
    role: &'static str,
    dt: &DataType,
    accepted: &'static str,
) -> CoreError {
    CoreError::UnsupportedType {
        column: name.to_string(),
        role,
        dtype: dt.to_string(),
        accepted,
    }
}

/// The amount of a row as text, for messages.
pub(super) fn amount_text(amounts: &dyn Array, i: usize) -> String {
    arrow_cast::display::ArrayFormatter::try_new(amounts, &Default::default())
        .map(|f| f.value(i).to_string())
        .unwrap_or_default()
}

/// The error for an invalid row; `local` is its index in `dates`' batch,
/// `value` its amount and `raw_date` its date as written.
pub(super) fn row_error(
    names: &ColumnNames,
    reason: Reason,
    row: u64,
    value: String,
    dates: &dyn Array,
    local: usize,
    raw_date: String,
) -> CoreError {
    let null = |column: &str, role| CoreError::NullValue {
        column: column.to_string(),
        role,
        row,
    };
    match reason {
        Reason::NullCustomer => null(&names.customer, "customer"),
        Reason::NullDate => null(&names.date, "date"),
        Reason::NullAmount => null(&names.amount, "amount"),
        Reason::NullOrder => null(names.order.as_deref().unwrap_or(""), "order"),
        Reason::NonFiniteAmount => CoreError::NonFiniteAmount { column: names.amount.clone(), row, value },
        Reason::AmountOutOfRange => CoreError::AmountOutOfRange { column: names.amount.clone(), row, value },
        Reason::UnparsableAmount => CoreError::AmountText { column: names.amount.clone(), row, value },
        Reason::UnparsableDate => CoreError::InvalidDate {
            column: names.date.clone(),
            row,
            reason: format!(
                "{raw_date} is not an ISO-8601 date (YYYY-MM-DD, or a date-time such as \
                 2024-03-01T14:30:00+01:00); parse other formats first (the command line: \
                 --date-format)"
            ),
            rule: "I1",
        },
        Reason::DateOutOfRange => CoreError::InvalidDate {
            column: names.date.clone(),
            row,
            reason: format!(
                "{raw_date} is outside the supported days 0001-01-01 to 9999-12-31"
            ),
            rule: "I1",
        },
        Reason::BeforeFirstPeriod => CoreError::InvalidDate {
            column: names.date.clone(),
            row,
            reason: format!(
                "{} is before the first period boundary; add an earlier boundary or pass on_invalid=\"drop\"",
                arrow_cast::display::ArrayFormatter::try_new(dates, &Default::default())
                    .map(|f| f.value(local).to_string())
                    .unwrap_or_default()
            ),
            rule: "P1",
        },
    }
}
