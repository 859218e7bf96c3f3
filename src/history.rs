//! CV8: a segmentation as of every boundary of a range, from one pass over
//! the rows ([`engine::run_history`]); each boundary's columns are those of
//! [`segment`](crate::segment::segment) as of it (the same rule modules, via
//! [`columns_of`]), built one boundary at a time so that a caller can stream
//! them.

use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Float64Array, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Field};

use crate::cancel::Cancel;
use crate::engine::{self, HistoryNeed, Options, Report, Segmented, Step};
use crate::error::{CoreError, Result};
use crate::ingest::Ingested;
use crate::keys::{KeyOrder, Keys};
use crate::money::{to_f64, wide_to_f64};
use crate::output;
use crate::periods::{fmt_day, Periods};
use crate::segment::{columns_of, What};

/// Which boundaries a history runs over (CV8).
#[derive(Debug, Clone)]
pub enum Bounds {
    /// Every period start in `[start, end]`; by default from the first one
    /// after the first day of the data to the last one on or before the day
    /// after its last day; with `extend`, the period start after the last
    /// one too. With `through` instead, `end` and the last day of the data are
    /// covered: the range goes on to the first period start after the later of
    /// them, so that the period holding it has an end; the last period of explicit
    /// boundaries has none, and ends after the data (a day that is no period
    /// start: only the activity before it is meant to be read there).
    Range {
        start: Option<i32>,
        end: Option<i32>,
        through: bool,
        extend: bool,
    },
    /// These period starts (ascending), and the one after the last when `extend`.
    Days { days: Vec<i32>, extend: bool },
}

impl Bounds {
    /// The last boundary when it is known before the data is read (for the
    /// report's count of rows on or after it, I3).
    pub fn last_known(&self, periods: &Periods) -> Option<i32> {
        match self {
            Bounds::Range {
                end, through: true, ..
            } => next_start(periods, (*end)?),
            Bounds::Range {
                end, extend: true, ..
            } => next_start(periods, periods.period_start((*end)?)?),
            Bounds::Range { end, .. } => periods.period_start((*end)?),
            Bounds::Days { days, extend: true } => next_start(periods, *days.last()?),
            Bounds::Days { days, .. } => days.last().copied(),
        }
    }

    /// The boundary days, given the first and last days of the data.
    pub fn resolve(&self, periods: &Periods, days: Option<(i32, i32)>) -> Result<Vec<i32>> {
        match self {
            Bounds::Range {
                start,
                end,
                through,
                extend,
            } => {
                // through: both `end` and the last day of the data are covered
                let covered = match (end, days) {
                    (Some(e), Some(d)) if *through => Some((*e).max(d.1)),
                    _ => end.or(days.map(|d| d.1)),
                };
                let (end, open_end) = match (through, covered) {
                    (true, Some(e)) => match next_start(periods, e) {
                        Some(n) => (Some(n), None),
                        // the open last period: to the end of the data
                        None => (Some(e), Some(e.max(days.map_or(e, |d| d.1)) + 1)),
                    },
                    (true, None) => (None, None),
                    (false, _) => (end.or_else(|| periods.period_start(days?.1 + 1)), None),
                };
                let start = start.or_else(|| next_start(periods, days?.0)).or(open_end);
                let (Some(a), Some(b)) = (start, end) else {
                    return Err(no_boundary("the data is empty".into()));
                };
                let out = periods.starts_between(a, b);
                if out.is_empty() && open_end.is_none() {
                    let why = format!("from {} to {}", fmt_day(a), fmt_day(b));
                    return Err(no_boundary(why));
                }
                let mut out = match out.is_empty() {
                    true => out,
                    false => explicit(periods, &out, *extend, days)?,
                };
                out.extend(open_end.filter(|&e| out.last().is_none_or(|&l| l < e)));
                Ok(out)
            }
            Bounds::Days { days: list, extend } => explicit(periods, list, *extend, days),
        }
    }
}

/// The first period start after `day`.
fn next_start(periods: &Periods, day: i32) -> Option<i32> {
    periods.start(periods.index(day)? + 1)
}

/// The error of a range without a period start.
fn no_boundary(why: String) -> CoreError {
    CoreError::Config(format!(
        "no period boundary to compute a history at ({why}): pass start and end around one (rule CV8)"
    ))
}

/// Explicit boundaries: period starts of the calendar, strictly ascending.
/// With `extend`, the period start after the last; the last period of
/// explicit boundaries has none and ends after the last day of the data
/// (`data`), as the range's `through` does.
fn explicit(
    periods: &Periods,
    days: &[i32],
    extend: bool,
    data: Option<(i32, i32)>,
) -> Result<Vec<i32>> {
    if days.is_empty() {
        return Err(no_boundary("none given".into()));
    }
    if let Some(&d) = days.iter().find(|&&d| periods.period_start(d) != Some(d)) {
        return Err(CoreError::Config(format!(
            "{} is not a period start of {} (rule CV8)",
            fmt_day(d),
            periods.describe()
        )));
    }
    if let Some(w) = days.windows(2).find(|w| w[0] >= w[1]) {
        return Err(CoreError::Config(format!(
            "boundaries must be strictly increasing, got {} then {} (rule CV8)",
            fmt_day(w[0]),
            fmt_day(w[1])
        )));
    }
    let mut out = days.to_vec();
    if extend {
        let last = *days.last().expect("not empty");
        // the open last period ends after the data (or at once, when the data ends before it)
        let open_end = data.map(|d| (d.1 + 1).max(last + 1));
        let next = next_start(periods, last).or(open_end);
        out.push(next.ok_or_else(|| no_boundary("the data is empty".into()))?);
    }
    Ok(out)
}

/// A history: the facts as of every boundary, turned into columns one
/// boundary at a time.
pub struct History {
    segs: Vec<Option<Segmented>>,
    keys: Keys,
    /// The key order of all ids when they do not rank by themselves, and the
    /// keys of all customers in that order once a customer column needed them
    /// ([`Keys::take_by_rank`]).
    order: Option<KeyOrder>,
    sorted_keys: Option<ArrayRef>,
    customer_type: DataType,
    customer_name: String,
    what: What,
    /// The boundaries, ascending.
    pub bounds: Vec<i32>,
    /// The net money of all lines from the previous boundary to each (before
    /// the first: all lines before it).
    pub totals: Vec<f64>,
    /// Per boundary, the activity since the previous one of the customers
    /// without facts there (see [`engine::Between`]).
    strays: Vec<Vec<(u32, Step)>>,
    pub report: Report,
    /// The first and last days of the data.
    pub days: Option<(i32, i32)>,
    steps: bool,
}

/// What a history computes besides the segmentations (see [`HistoryNeed`]).
#[derive(Debug, Clone, Copy)]
pub struct Activity {
    /// Each customer's activity since the previous boundary.
    pub steps: bool,
    pub orders_as_of_each: bool,
}

/// The history of `what` (CV8) at the boundaries `bounds` resolves to, with
/// the `activity` asked for.
pub fn history(
    ing: Ingested,
    customer_name: &str,
    opts: &Options,
    what: &What,
    bounds: &Bounds,
    activity: Activity,
    cancel: &Cancel,
) -> Result<History> {
    what.validate()?;
    if what.summary.is_some() {
        return Err(CoreError::Config(
            "a history holds the segmentations, not the BTYD summary (rule CV8)".into(),
        ));
    }
    let data_days = ing.days;
    let days = bounds.resolve(&opts.periods, data_days)?;
    let customer_type = ing.customer_type.clone();
    let need = HistoryNeed {
        need: what.need(),
        steps: activity.steps,
        orders_as_of_each: activity.orders_as_of_each,
    };
    let engine::HistoryRun {
        segs,
        between,
        report,
        keys,
        order,
    } = engine::run_history(ing, opts, need, &days, cancel)?;
    let totals = between.iter().map(|b| wide_to_f64(b.net)).collect();
    let strays = between.into_iter().map(|b| b.strays).collect();
    Ok(History {
        segs: segs.into_iter().map(Some).collect(),
        keys,
        order,
        sorted_keys: None,
        customer_type,
        customer_name: customer_name.to_string(),
        what: what.clone(),
        bounds: days,
        totals,
        strays,
        report,
        days: data_days,
        steps: activity.steps,
    })
}

impl History {
    /// The rows as of boundary `j`: `period_start`, the customer column (the
    /// input's ids, or their dense `customer_index` when not `ids`), the
    /// columns of the segmentations and, with steps, `step_purchases` and
    /// `step_net` (the activity since the previous boundary). With `release`
    /// the boundary's facts are freed (a later call for it is an error).
    pub fn batch(&mut self, j: usize, ids: bool, release: bool) -> Result<RecordBatch> {
        let gone = || CoreError::Config(format!("boundary {j} of the history is not held"));
        let seg = self.segs.get(j).and_then(Option::as_ref).ok_or_else(gone)?;
        let n = seg.len();
        let mut clock = crate::timings::Phases::start();
        let mut fields = vec![Field::new("period_start", DataType::Date32, false)];
        let mut columns: Vec<ArrayRef> = vec![Arc::new(Date32Array::from(vec![self.bounds[j]; n]))];
        if ids {
            let name = &self.customer_name;
            fields.push(Field::new(name, self.customer_type.clone(), false));
            let (order, all) = (self.order.as_ref(), &mut self.sorted_keys);
            columns.push(
                self.keys
                    .take_by_rank(&seg.ids(), &self.customer_type, order, all)?,
            );
        } else {
            fields.push(Field::new("customer_index", DataType::UInt32, false));
            columns.push(Arc::new(UInt32Array::from(seg.ids())));
        }
        clock.lap("history customer column");
        let (f, c) = columns_of(seg, &self.what, &crate::ranks::Whole)?;
        fields.extend(f);
        columns.extend(c);
        if self.steps {
            let events: Vec<u32> = seg.steps().map(|s| s.events).collect();
            let net: Vec<f64> = seg.steps().map(|s| to_f64(s.net)).collect();
            fields.push(Field::new("step_purchases", DataType::UInt32, false));
            fields.push(Field::new("step_net", DataType::Float64, false));
            columns.push(Arc::new(UInt32Array::from(events)));
            columns.push(Arc::new(Float64Array::from(net)));
        }
        if release {
            self.segs[j] = None;
        }
        output::batch(fields, columns)
    }

    /// The activity since the previous boundary of the customers without a
    /// purchase event before boundary `j` (with steps): the customer column
    /// (ids or `customer_index`, as in [`History::batch`]), `step_purchases`,
    /// `step_net`; in no particular order.
    pub fn strays(&self, j: usize, ids: bool) -> Result<RecordBatch> {
        let strays = self.strays.get(j).map_or(&[][..], |s| &s[..]);
        let who: Vec<u32> = strays.iter().map(|s| s.0).collect();
        let mut fields = vec![];
        let mut columns: Vec<ArrayRef> = vec![];
        if ids {
            fields.push(Field::new(
                &self.customer_name,
                self.customer_type.clone(),
                false,
            ));
            columns.push(self.keys.take(&who, &self.customer_type)?);
        } else {
            fields.push(Field::new("customer_index", DataType::UInt32, false));
            columns.push(Arc::new(UInt32Array::from(who)));
        }
        let events: Vec<u32> = strays.iter().map(|s| s.1.events).collect();
        let net: Vec<f64> = strays.iter().map(|s| to_f64(s.1.net)).collect();
        fields.push(Field::new("step_purchases", DataType::UInt32, false));
        fields.push(Field::new("step_net", DataType::Float64, false));
        columns.push(Arc::new(UInt32Array::from(events)));
        columns.push(Arc::new(Float64Array::from(net)));
        output::batch(fields, columns)
    }

    /// The number of distinct customers (the range of `customer_index`).
    pub fn customers(&self) -> usize {
        self.keys.len()
    }
}
