//! What a run did (API: "every run reports what it did"), and the run's
//! `as_of` (I3) resolved against the data.

use std::collections::BTreeMap;

use crate::error::{CoreError, Result};
use crate::ingest::{min_max_day, Ingested};
use crate::periods::fmt_day;

/// What a run did: rows read, used, after `as_of`, dropped by reason;
/// customers seen, without a purchase, in the result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_after_as_of: u64,
    pub rows_dropped: BTreeMap<&'static str, u64>,
    pub customers_seen: u64,
    pub customers_without_purchase: u64,
    pub customers: u64,
    pub as_of: Option<i32>,
    /// Bytes of lines written to spill files (0: everything stayed in memory).
    pub bytes_spilled: u64,
}

impl Report {
    /// The report of the ingestion, before the pass counts the customers.
    pub(super) fn of_ingestion(ing: &Ingested, requested: Option<i32>) -> Result<Report> {
        let as_of = resolve_as_of(requested, ing)?;
        let after = rows_after_as_of(requested, ing)?;
        Ok(Report {
            rows_read: ing.rows_read,
            rows_used: ing.rows_valid - after,
            rows_after_as_of: after,
            rows_dropped: ing.dropped.clone(),
            bytes_spilled: ing.lines.spilled_bytes(),
            as_of,
            ..Default::default()
        })
    }
}

impl Report {
    /// The report of a history's ingestion (CV8), as of its last boundary:
    /// the rows on or after it are counted when the ingestion was given it.
    pub(super) fn of_history(ing: &Ingested, last: i32) -> Report {
        let after = match ing.rows_on_or_after {
            Some((a, n)) if a == last => n,
            _ => 0,
        };
        Report {
            rows_read: ing.rows_read,
            rows_used: ing.rows_valid - after,
            rows_after_as_of: after,
            rows_dropped: ing.dropped.clone(),
            bytes_spilled: ing.lines.spilled_bytes(),
            as_of: Some(last),
            ..Default::default()
        }
    }
}

impl Report {
    /// The report of one piece of a run in pieces (`custseg.spark`): its
    /// `as_of` is the whole run's, so no row of the piece need be before it.
    pub(super) fn of_piece(ing: &Ingested, as_of: i32) -> Result<Report> {
        let after = rows_after_as_of(Some(as_of), ing)?;
        Ok(Report {
            rows_read: ing.rows_read,
            rows_used: ing.rows_valid - after,
            rows_after_as_of: after,
            rows_dropped: ing.dropped.clone(),
            bytes_spilled: ing.lines.spilled_bytes(),
            as_of: Some(as_of),
            ..Default::default()
        })
    }
}

/// Resolves `as_of` (I3) against the data: by default the day after the
/// latest day; an explicit one must leave some row before it.
pub fn resolve_as_of(requested: Option<i32>, ing: &Ingested) -> Result<Option<i32>> {
    resolve_as_of_days(requested, ing.days)
}

/// [`resolve_as_of`] against the (earliest, latest) day of the valid rows,
/// `None` without any (a run in pieces counts them over every piece).
pub fn resolve_as_of_days(requested: Option<i32>, days: Option<(i32, i32)>) -> Result<Option<i32>> {
    let Some((min, max)) = days else {
        return Ok(requested);
    };
    match requested {
        None => match Some(max) {
            Some(d) if d >= min_max_day().1 => Err(CoreError::AsOf(format!(
                "the latest day in the data is {}: pass an explicit as_of",
                fmt_day(d)
            ))),
            d => Ok(d.map(|d| d + 1)),
        },
        Some(a) if a <= min => Err(CoreError::AsOf(format!(
            "as_of {} is on or before the earliest day in the data ({}): no row is before it",
            fmt_day(a),
            fmt_day(min)
        ))),
        Some(a) => Ok(Some(a)),
    }
}

/// Valid rows on or after the run's `as_of`, counted by the ingestion.
fn rows_after_as_of(requested: Option<i32>, ing: &Ingested) -> Result<u64> {
    match (requested, ing.rows_on_or_after) {
        (None, _) => Ok(0), // the default as_of is after every row
        (Some(a), Some((b, n))) if a == b => Ok(n),
        (Some(_), _) => Err(CoreError::Internal(
            "the ingestion must be given the run's as_of (IngestOptions::as_of)".into(),
        )),
    }
}
