//! The one error type of the core (house style: one `thiserror` enum, mapped
//! variant by variant onto Python exception classes in `python/errors.rs`).
//!
//! Every message names the column, the first offending row (0-based, counted
//! over the whole input in stream order) and the rule of `docs/rules.md` it
//! breaks. A bug of custseg's own is an [`CoreError::Internal`], never an
//! input error; an Arrow error says which step failed ([`CoreError::reading`],
//! [`CoreError::building`]).

use thiserror::Error;

/// Result alias of the core.
pub type Result<T> = std::result::Result<T, CoreError>;

/// Everything that can go wrong in the core.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoreError {
    /// A configured column is not in the input (rule I4).
    #[error("column '{column}' ({role}) not found in the input (rule I4); available columns: {available}")]
    ColumnNotFound {
        column: String,
        role: &'static str,
        available: String,
    },

    /// A column has a type the rules do not accept (rule I4, table of section 0).
    #[error(
        "column '{column}' ({role}) has unsupported type {dtype} (rule I4); accepted: {accepted}"
    )]
    UnsupportedType {
        column: String,
        role: &'static str,
        dtype: String,
        accepted: &'static str,
    },

    /// A null value in a BTYD summary column (rules I4, CLV4).
    #[error("column '{column}' ({role}) is null at row {row} (rules I4, CLV4); drop or fill such rows before fitting")]
    NullSummaryValue {
        column: String,
        role: &'static str,
        row: u64,
    },

    /// A null customer, date, amount or order (rule I4).
    #[error("column '{column}' ({role}) is null at row {row} (rule I4); pass on_invalid=\"drop\" to skip such rows")]
    NullValue {
        column: String,
        role: &'static str,
        row: u64,
    },

    /// A NaN or infinite amount (rule I4).
    #[error("column '{column}' (amount) is {value} at row {row} (rule I4: amounts must be finite); pass on_invalid=\"drop\" to skip such rows")]
    NonFiniteAmount {
        column: String,
        row: u64,
        value: String,
    },

    /// An amount written as text that is not a decimal number (rules I4, I6).
    #[error("column '{column}' (amount) is {value:?} at row {row}, which is not a decimal number (rules I4, I6): write amounts like 12.50, with a decimal point and no thousands separator{}", if value.contains(',') { " (for a decimal comma, read the file with one, e.g. the command line's --decimal ,)" } else { "" })]
    AmountText {
        column: String,
        row: u64,
        value: String,
    },

    /// An amount that does not fit the fixed-point range (rule I6).
    #[error("column '{column}' (amount) is {value} at row {row}, outside the fixed-point range of about +/-9.2e12 (rule I6)")]
    AmountOutOfRange {
        column: String,
        row: u64,
        value: String,
    },

    /// A per-customer sum that leaves the fixed-point range (rule I6).
    #[error("the sum of amounts of customer {customer} overflows the fixed-point range of about +/-9.2e12 (rule I6)")]
    SumOverflow { customer: String },

    /// A date that cannot be placed on the calendar (rules I1, P1).
    #[error("column '{column}' (date) at row {row}: {reason} (rule {rule})")]
    InvalidDate {
        column: String,
        row: u64,
        reason: String,
        rule: &'static str,
    },

    /// An impossible value in a per-customer column (a BTYD summary, CLV4;
    /// the values of a concentration, A2).
    #[error("column '{column}' at row {row}: {reason} (rule {rule})")]
    InvalidValue {
        column: String,
        row: u64,
        reason: String,
        rule: &'static str,
    },

    /// `as_of` makes no sense for the data (rule I3).
    #[error("{0} (rule I3)")]
    AsOf(String),

    /// A period calendar that makes no sense (rule P1).
    #[error("{0} (rule P1)")]
    Periods(String),

    /// Any other option that makes no sense; the message names the option and rule.
    #[error("{0}")]
    Config(String),

    /// The input stream could not be read.
    #[error("could not read the input: {0}")]
    Input(String),

    /// Lines could not be written to or read from the spill folder (issue 3).
    #[error("could not spill lines to disk at {path}: {message}; free disk space, pass spill_dir= (CLI --spill-dir) on a larger disk, or raise memory_limit")]
    Spill { path: String, message: String },

    /// The run was interrupted (Ctrl-C).
    #[error("interrupted")]
    Cancelled,

    /// A bug of custseg's own (an invariant broken, an output that cannot be
    /// built): never the input's fault.
    #[error("custseg internal error (please report it, with the call that raised it): {0}")]
    Internal(String),
}

impl CoreError {
    /// An Arrow error met while reading the input (a batch of the stream, a
    /// column cast to the type the rules read).
    pub fn reading(e: arrow_schema::ArrowError) -> Self {
        CoreError::Input(e.to_string())
    }

    /// An Arrow error met while building the output: a bug, since the output
    /// is made of values the core computed.
    pub fn building(e: arrow_schema::ArrowError) -> Self {
        CoreError::Internal(format!("could not build the output: {e}"))
    }
}
