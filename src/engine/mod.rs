//! The engine: the one per-customer pass that every segmentation shares.
//!
//! ```text
//! Ingested lines ──► group (per partition, in parallel) ──► walk (per customer)
//!   (store: runs      group.rs: lines before as_of,         walk.rs: Facts, Extra
//!    or hashed,       grouped by customer (I3)              over the timeline
//!    maybe spilled)                                          of timeline.rs (I2)
//!                                  ──► Segmented (facts in customer key order, I5)
//!                                  ──► rule modules: customer_value, rfm, clv, btyd
//! ```
//!
//! [`run`] resolves the run's `as_of` (I3), passes over the partitions
//! ([`pass`]) and fills the [`Report`]. For each customer the walk computes
//! the facts the call asks for ([`Need`]) in one walk over its day timeline:
//! the lines as they are when they are one per day in day order (the fast
//! layout), else its lines summed per day and per order ([`CustomerDays`],
//! the general layout); both layouts feed the same rule code, so each rule
//! (CV1, CV3, CV5, the purchase counts, CLV1's churn, CLV3's loyalty counts,
//! CLV4's repeat value) is written once, in [`walk`]. The rule modules turn
//! the facts into labels, tiers and columns; they import the engine, never
//! each other.

mod group;
mod history;
mod options;
mod pass;
mod report;
mod segmented;
mod timeline;
mod walk;

pub use group::{group_part, group_runs};
pub use history::{Between, HistoryNeed};
pub use options::Options;
pub use report::{resolve_as_of, resolve_as_of_days, Report};
pub use segmented::Segmented;
pub use timeline::{is_purchase, CustomerDays, Day, DayTotal};
pub use walk::{Extra, Facts, Holdout, Need, Step};

use crate::cancel::Cancel;
use crate::error::Result;
use crate::ingest::Ingested;
use crate::keys::{KeyOrder, Keys};

/// Resolves `as_of`, runs the per-customer pass (as `need` says) and fills the
/// report; returns the facts in key order, the report and the customer keys
/// (for the output column).
pub fn run(
    ing: Ingested,
    opts: &Options,
    need: Need,
    cancel: &Cancel,
) -> Result<(Segmented, Report, Keys)> {
    run_split(ing, opts, need, None, cancel)
}

/// CLV4's calibration/holdout run: [`run`] whose facts are those of the days
/// before `cut` (the calibration end, exclusive) and whose [`Holdout`] facts
/// are those of the days from `cut` to `as_of` (the observation end,
/// exclusive), from the same one pass. Customers without a purchase event
/// before `cut` are not in the result (the report counts them among those
/// without a purchase).
pub fn run_holdout(
    ing: Ingested,
    opts: &Options,
    need: Need,
    cut: i32,
    cancel: &Cancel,
) -> Result<(Segmented, Report, Keys)> {
    run_split(ing, opts, need, Some(cut), cancel)
}

/// [`run`], split at `cut` when given ([`run_holdout`]).
fn run_split(
    ing: Ingested,
    opts: &Options,
    need: Need,
    cut: Option<i32>,
    cancel: &Cancel,
) -> Result<(Segmented, Report, Keys)> {
    opts.validate()?;
    let mut report = Report::of_ingestion(&ing, opts.as_of)?;
    let seg = match (report.as_of, ing.days) {
        (Some(as_of), Some((lo, hi))) => {
            let mut walker = walk::Walker::new(opts, lo, as_of)?;
            if let Some(cut) = cut {
                walker = walker.with_holdout(cut);
            }
            let (seg, seen) = pass::pass(ing.lines, &ing.customers, &walker, need, hi, cancel)?;
            report.customers_seen = seen;
            seg
        }
        _ => Segmented::default(), // an empty input gives an empty result (I4)
    };
    report.customers = seg.len() as u64;
    report.customers_without_purchase = report.customers_seen - report.customers;
    Ok((seg, report, ing.customers))
}

/// [`run`] over one piece of a run in pieces (`custseg.spark`): every line
/// of each of its customers, `as_of` the whole run's (given; the pieces
/// together are checked against it, I3). Returns the facts of the customers
/// with a purchase event before it, in key order, the piece's report and keys.
pub fn run_piece(
    ing: Ingested,
    opts: &Options,
    need: Need,
    cancel: &Cancel,
) -> Result<(Segmented, Report, Keys)> {
    opts.validate()?;
    let as_of = opts.as_of.ok_or_else(|| {
        crate::error::CoreError::Internal("a piece of a run needs the run's as_of".into())
    })?;
    let mut report = Report::of_piece(&ing, as_of)?;
    let seg = match ing.days {
        Some((lo, hi)) if lo < as_of => {
            let walker = walk::Walker::new(opts, lo, as_of)?;
            let (seg, seen) = pass::pass(ing.lines, &ing.customers, &walker, need, hi, cancel)?;
            report.customers_seen = seen;
            seg
        }
        // Every line on or after as_of: the customers are seen, none has a purchase.
        Some(_) => {
            report.customers_seen = ing.customers.len() as u64;
            Segmented::default()
        }
        None => Segmented::default(),
    };
    report.customers = seg.len() as u64;
    report.customers_without_purchase = report.customers_seen - report.customers;
    Ok((seg, report, ing.customers))
}

/// What [`run_history`] gives: per boundary the facts in key order, what
/// happened from the previous boundary to it besides (all lines before the
/// first: [`Between`]), the report (as of the last boundary), the keys, and
/// their key order when ids do not rank by themselves.
pub struct HistoryRun {
    pub segs: Vec<Segmented>,
    pub between: Vec<Between>,
    pub report: Report,
    pub keys: Keys,
    pub order: Option<KeyOrder>,
}

/// CV8: the facts (as `need` says) as of every boundary of `bounds` (period
/// starts, ascending), from one pass ([`HistoryRun`]).
pub fn run_history(
    ing: Ingested,
    opts: &Options,
    need: HistoryNeed,
    bounds: &[i32],
    cancel: &Cancel,
) -> Result<HistoryRun> {
    opts.validate()?;
    let last = *bounds.last().ok_or_else(|| {
        crate::error::CoreError::Config("a history needs one boundary at least (rule CV8)".into())
    })?;
    let mut report = Report::of_history(&ing, last);
    let (segs, between, order) = match ing.days {
        Some((lo, hi)) if last > lo => {
            let h = history::HistoryWalker::new(opts, lo, bounds)?;
            let passed = history::pass(ing.lines, &ing.customers, &h, need, hi, cancel)?;
            report.customers_seen = passed.seen;
            (passed.segs, passed.between, passed.order)
        }
        // No line before the last boundary: every slice is empty (I4). The
        // customers are seen, none has a purchase: as the pass counts a customer
        // whose lines are all after the last boundary, and as `run_piece` does
        // (a piece of a Spark history can hold only such customers).
        days => {
            if days.is_some() {
                report.customers_seen = ing.customers.len() as u64;
            }
            (
                bounds.iter().map(|_| Segmented::default()).collect(),
                bounds.iter().map(|_| Between::default()).collect(),
                None,
            )
        }
    };
    report.customers = segs.last().map_or(0, |s| s.len() as u64);
    report.customers_without_purchase = report.customers_seen.saturating_sub(report.customers);
    Ok(HistoryRun {
        segs,
        between,
        report,
        keys: ing.customers,
        order,
    })
}
