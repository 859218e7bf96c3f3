//! The BTYD summary of CLV4: (frequency, recency, T, monetary_value) per
//! customer, from the facts of the engine's per-customer pass.

use std::str::FromStr;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array};
use arrow_schema::{DataType, Field};

use arrow_array::RecordBatch;

use crate::cancel::Cancel;
use crate::engine::{self, resolve_as_of, Extra, Holdout, Need, Options, Report, Segmented};
use crate::error::{CoreError, Result};
use crate::ingest::Ingested;
use crate::money;
use crate::output;
use crate::periods::{fmt_day, Periods};

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
            "Y" | "Q" | "M" => Err(CoreError::Config(format!(
                "unit {s:?} counts calendar periods: it makes a discrete-period summary \
                 (the BG/BB model), so pass discrete=True; the continuous summary takes \
                 unit \"D\" (days) or \"W\" (weeks) (CLV4)"
            ))),
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
    summary_columns_to(seg, unit, seg.as_of - 1)
}

/// [`summary_columns`] with T counted to `end` (the last day of the
/// calibration period; `as_of` - 1 day in a plain summary).
fn summary_columns_to(seg: &Segmented, unit: Unit, end: i32) -> Vec<ArrayRef> {
    let unit = unit.days();
    vec![
        Arc::new(Int64Array::from(seg.column_x(|_, x| frequency(x)))),
        Arc::new(Float64Array::from(
            seg.column(|f| f64::from(f.last - f.first) / unit),
        )),
        Arc::new(Float64Array::from(
            seg.column(|f| f64::from(end - f.first) / unit),
        )),
        monetary_column(seg),
    ]
}

/// CLV4's frequency: the purchase events after the first.
fn frequency(x: &Extra) -> i64 {
    i64::from(x.events) - 1
}

/// CLV4's monetary_value: the net value of the purchase events after the
/// first / their number (0 without repeat purchases).
fn monetary_column(seg: &Segmented) -> ArrayRef {
    Arc::new(Float64Array::from(seg.column_x(|_, x| {
        match frequency(x) {
            0 => 0.0,
            f => money::to_f64(x.repeat_value) / f as f64,
        }
    })))
}

/// The facts of the BTYD summaries: the repeat value and purchase events of
/// [`Extra`], first and last purchase; with `periods`, CLV3's period counts
/// (of the discrete summary's calendar).
fn need(periods: bool) -> Need {
    Need {
        cv: false,
        extras: true,
        clv: periods,
    }
}

/// CLV4's calibration/holdout table (lifetimes' `calibration_and_holdout_data`
/// convention, both ends inclusive): for every customer with a purchase event
/// on or before the calibration end (`cut` - 1 day), the summary columns as
/// of `cut` (exactly those of [`summary_columns`] for `as_of` = `cut`), then
/// its purchase events (I2) in the holdout `[cut, as_of)`, their mean net
/// value (0 without any) and the holdout's length in `unit`s. `opts.as_of`
/// is the day after the observation end (I3: rows from it on are not used);
/// the calibration and holdout facts come from one pass.
pub fn calibration_holdout(
    ing: Ingested,
    customer_name: &str,
    opts: &Options,
    unit: Unit,
    cut: i32,
    cancel: &Cancel,
) -> Result<(RecordBatch, Report)> {
    check_no_orders(ing.has_orders())?;
    let as_of = opts.as_of.ok_or_else(|| {
        CoreError::Config("calibration_holdout needs an observation end (CLV4)".into())
    })?;
    if cut >= as_of {
        return Err(CoreError::Config(format!(
            "calibration_end ({}) must be before observation_end ({}) (CLV4)",
            fmt_day(cut - 1),
            fmt_day(as_of - 1)
        )));
    }
    if let Some((lo, _)) = ing.days.filter(|&(lo, _)| cut <= lo) {
        return Err(CoreError::AsOf(format!(
            "calibration_end {} is before the earliest day in the data ({}): no row is in \
             the calibration period (I3, CLV4)",
            fmt_day(cut - 1),
            fmt_day(lo)
        )));
    }
    let customer_type = ing.customer_type.clone();
    let (seg, report, keys) = engine::run_holdout(ing, opts, need(false), cut, cancel)?;
    let held: Vec<Holdout> = seg.holdout().copied().collect();
    if held.len() != seg.len() {
        return Err(CoreError::Internal(
            "the holdout facts must be there for every customer".into(),
        ));
    }
    let mut fields = vec![Field::new(customer_name, customer_type.clone(), false)];
    let mut columns = vec![keys.take(&seg.ids(), &customer_type)?];
    fields.extend(summary_fields());
    columns.extend(summary_columns_to(&seg, unit, cut - 1));
    fields.extend([
        Field::new("frequency_holdout", DataType::Int64, false),
        Field::new("monetary_value_holdout", DataType::Float64, false),
        Field::new("duration_holdout", DataType::Float64, false),
    ]);
    let duration = f64::from(as_of - cut) / unit.days();
    columns.extend([
        Arc::new(Int64Array::from_iter_values(
            held.iter().map(|h| i64::from(h.events)),
        )) as ArrayRef,
        Arc::new(Float64Array::from_iter_values(held.iter().map(
            |h| match h.events {
                0 => 0.0,
                n => money::to_f64(h.value) / f64::from(n),
            },
        ))),
        Arc::new(Float64Array::from(vec![duration; held.len()])),
    ]);
    Ok((output::batch(fields, columns)?, report))
}

/// The periods of CLV4's discrete-period summary (the BG/BB model of Fader,
/// Hardie and Shang 2010 counts purchase opportunities): calendar years,
/// quarters, months, ISO weeks (from Monday) or days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Years,
    Quarters,
    Months,
    Weeks,
    Days,
}

impl FromStr for Period {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "Y" => Ok(Period::Years),
            "Q" => Ok(Period::Quarters),
            "M" => Ok(Period::Months),
            "W" => Ok(Period::Weeks),
            "D" => Ok(Period::Days),
            other => Err(CoreError::Config(format!(
                "a discrete-period summary takes unit \"Y\", \"Q\", \"M\", \"W\" or \"D\", \
                 got {other:?} (CLV4)"
            ))),
        }
    }
}

/// Day 4 (1970-01-05) is a Monday: ISO weeks start on days 4 + 7k.
const MONDAY: i32 = 4;

impl Period {
    /// The calendar of these periods over days `lo..=as_of` (P1's calendars
    /// for years, quarters and months, explicit boundaries for weeks and days).
    fn calendar(self, lo: i32, as_of: i32) -> Result<Periods> {
        match self {
            Period::Years => Periods::annual(1),
            Period::Quarters => Periods::quarterly(1),
            Period::Months => Periods::monthly(),
            Period::Weeks => {
                let first = lo - (lo - MONDAY).rem_euclid(7);
                Periods::boundaries((first..=as_of).step_by(7).collect())
            }
            Period::Days => Periods::boundaries((lo..=as_of).collect()),
        }
    }

    /// The boundaries around `day` (the start of its period and the next).
    fn around(self, day: i32) -> Option<(i32, i32)> {
        match self {
            Period::Weeks => {
                let monday = day - (day - MONDAY).rem_euclid(7);
                Some((monday, monday.checked_add(7)?))
            }
            Period::Days => Some((day, day.checked_add(1)?)),
            _ => {
                let p = self.calendar(day, day).ok()?;
                let i = p.index(day)?;
                Some((p.start(i)?, p.start(i + 1)?))
            }
        }
    }

    /// What a boundary is, for messages.
    fn boundary(self) -> &'static str {
        match self {
            Period::Years => "the first day of a year",
            Period::Quarters => "the first day of a quarter (January, April, July, October)",
            Period::Months => "the first day of a month",
            Period::Weeks => "a Monday",
            Period::Days => "a day",
        }
    }

    /// CLV4: the discrete summary counts whole periods, so `as_of` (exclusive)
    /// must be a period boundary.
    fn check_as_of(self, as_of: i32, given: bool) -> Result<()> {
        let (before, after) = self.around(as_of).ok_or_else(|| {
            CoreError::AsOf(format!(
                "as_of {} is off the calendar (CLV4)",
                fmt_day(as_of)
            ))
        })?;
        if before == as_of {
            return Ok(());
        }
        let which = if given {
            "as_of"
        } else {
            "the default as_of (the day after the latest day in the data)"
        };
        Err(CoreError::Config(format!(
            "{which} {} is not {}: a discrete-period summary counts whole periods, so as_of \
             must be on a period boundary (rule CLV4); the nearest boundaries are {} and {}",
            fmt_day(as_of),
            self.boundary(),
            fmt_day(before),
            fmt_day(after)
        )))
    }
}

/// The fields of the discrete-period summary after the customer column (CLV4).
pub fn discrete_fields() -> Vec<Field> {
    vec![
        Field::new("frequency", DataType::Int64, false),
        Field::new("recency", DataType::Int64, false),
        Field::new("n_periods", DataType::Int64, false),
        Field::new("monetary_value", DataType::Float64, false),
    ]
}

/// CLV4's discrete-period summary for the BG/BB model (Fader, Hardie and
/// Shang 2010), `as_of` on a boundary of `period`: for every customer with a
/// purchase event before `as_of`, counted in periods from the one of its
/// first purchase event: frequency = periods after it holding a purchase
/// event (I2); recency = the number of the last such period (0 without any);
/// n_periods = the whole periods after it and before `as_of`; monetary_value
/// as in [`summary_columns`] (the mean net value of the purchase events after
/// the first). From one pass: CLV3's period counts over the period calendar.
pub fn discrete_summary(
    ing: Ingested,
    customer_name: &str,
    opts: &Options,
    period: Period,
    cancel: &Cancel,
) -> Result<(RecordBatch, Report)> {
    check_no_orders(ing.has_orders())?;
    let customer_type = ing.customer_type.clone();
    let mut opts = opts.clone();
    if let (Some(as_of), Some((lo, _))) = (resolve_as_of(opts.as_of, &ing)?, ing.days) {
        period.check_as_of(as_of, opts.as_of.is_some())?;
        opts.periods = period.calendar(lo.min(as_of), as_of)?;
    }
    let calendar = opts.periods.clone();
    let (seg, report, keys) = engine::run(ing, &opts, need(true), cancel)?;
    let mut fields = vec![Field::new(customer_name, customer_type.clone(), false)];
    let mut columns = vec![keys.take(&seg.ids(), &customer_type)?];
    fields.extend(discrete_fields());
    let recency: Option<Vec<i64>> = seg
        .column(|f| {
            Some(i64::from(
                calendar.index(f.last)? - calendar.index(f.first)?,
            ))
        })
        .into_iter()
        .collect();
    let recency = recency
        .ok_or_else(|| CoreError::Internal("a purchase day off the summary's calendar".into()))?;
    columns.extend([
        Arc::new(Int64Array::from(
            seg.column_x(|_, x| i64::from(x.periods_with_events) - 1),
        )) as ArrayRef,
        Arc::new(Int64Array::from(recency)),
        Arc::new(Int64Array::from(
            seg.column_x(|_, x| i64::from(x.periods_span) - 1),
        )),
        monetary_column(&seg),
    ]);
    Ok((output::batch(fields, columns)?, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};
    use arrow_array::Date32Array;
    use arrow_schema::Schema;

    use crate::ingest::{ingest, ColumnNames, IngestOptions};
    use crate::periods::parse_day;

    fn d(s: &str) -> i32 {
        parse_day(s).unwrap()
    }

    /// (customer, date, amount) rows ingested with `as_of` (columns c, d, a).
    fn ingested(rows: &[(i64, &str, f64)], as_of: Option<i32>) -> Ingested {
        let schema = Arc::new(Schema::new(vec![
            Field::new("c", DataType::Int64, false),
            Field::new("d", DataType::Date32, false),
            Field::new("a", DataType::Float64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| d(r.1)))),
                Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2))),
            ],
        )
        .unwrap();
        let names = ColumnNames {
            customer: "c".into(),
            date: "d".into(),
            amount: "a".into(),
            order: None,
        };
        let io = IngestOptions {
            as_of,
            ..Default::default()
        };
        ingest([Ok(batch)], &schema, &names, &io, &Cancel::new()).unwrap()
    }

    fn opts(as_of: Option<i32>, zero: bool) -> Options {
        Options {
            as_of,
            count_zero_days: zero,
            ..Default::default()
        }
    }

    fn ints(b: &RecordBatch, i: usize) -> Vec<i64> {
        b.column(i).as_primitive::<Int64Type>().values().to_vec()
    }

    fn floats(b: &RecordBatch, i: usize) -> Vec<f64> {
        b.column(i).as_primitive::<Float64Type>().values().to_vec()
    }

    const ROWS: [(i64, &str, f64); 9] = [
        (1, "2025-01-05", 10.0),
        (1, "2025-01-20", 20.0),
        (1, "2025-03-10", 40.0),
        (1, "2025-03-11", -50.0),
        (2, "2025-02-03", 5.0),
        (2, "2025-04-02", 7.0),
        (3, "2025-03-31", 0.0),
        (3, "2025-05-01", 9.0),
        (4, "2025-04-15", 3.0),
    ];

    #[test]
    fn discrete_summary_by_hand() {
        // Months to as_of 2025-04-01. Customer 1: first period January; February and
        // March are the whole periods after it (n 2); March holds an event (frequency 1,
        // recency 2); repeat events 01-20 and 03-10: (20 + 40) / 2. Customer 2: first in
        // February, March after it (n 1), no repeat. Customer 3: a zero day on 03-31 is a
        // purchase with count_zero_days only (n 0). Rows on or after as_of are not used.
        let m = |zero| {
            let ing = ingested(&ROWS, Some(d("2025-04-01")));
            let o = opts(Some(d("2025-04-01")), zero);
            discrete_summary(ing, "c", &o, Period::Months, &Cancel::new()).unwrap()
        };
        let (b, r) = m(false);
        assert_eq!(ints(&b, 0), [1, 2]);
        assert_eq!(
            (ints(&b, 1), ints(&b, 2), ints(&b, 3)),
            (vec![1, 0], vec![2, 0], vec![2, 1])
        );
        assert_eq!(floats(&b, 4), [30.0, 0.0]);
        assert_eq!(
            (r.rows_after_as_of, r.customers, r.customers_seen),
            (3, 2, 4)
        );
        let (b, _) = m(true);
        assert_eq!((ints(&b, 0), ints(&b, 3)), (vec![1, 2, 3], vec![2, 1, 0]));
        // ISO weeks to Monday 2025-03-17: customer 1's first week starts 2024-12-30;
        // 01-20 is 3 weeks on, 03-10 10 weeks on, and the week of 03-10 is the last
        // whole one: n = 10; customer 2's first week (Monday 02-03) is 5 weeks on: n = 5.
        let ing = ingested(&ROWS, Some(d("2025-03-17")));
        let o = opts(Some(d("2025-03-17")), false);
        let (b, _) = discrete_summary(ing, "c", &o, Period::Weeks, &Cancel::new()).unwrap();
        assert_eq!(ints(&b, 0), [1, 2]);
        assert_eq!(
            (ints(&b, 1), ints(&b, 2), ints(&b, 3)),
            (vec![2, 0], vec![10, 0], vec![10, 5])
        );
        // Quarters, years and days to 2026-01-01, the default as_of of the data
        // before it (2025-12-31 is a row of customer 4 here).
        let mut rows = ROWS.to_vec();
        rows.push((4, "2025-12-31", 1.0));
        for (period, n1) in [
            (Period::Quarters, 3),
            (Period::Years, 0),
            (Period::Days, 360),
        ] {
            let ing = ingested(&rows, None);
            let (b, _) =
                discrete_summary(ing, "c", &opts(None, false), period, &Cancel::new()).unwrap();
            assert_eq!(ints(&b, 3)[0], n1, "{period:?}");
        }
    }

    #[test]
    fn discrete_as_of_off_a_boundary_names_the_nearest_boundaries() {
        for (period, as_of, want) in [
            (Period::Months, "2025-04-02", "2025-04-01 and 2025-05-01"),
            (Period::Quarters, "2025-05-01", "2025-04-01 and 2025-07-01"),
            (Period::Years, "2025-04-01", "2025-01-01 and 2026-01-01"),
            (Period::Weeks, "2025-04-02", "2025-03-31 and 2025-04-07"),
        ] {
            let ing = ingested(&ROWS, Some(d(as_of)));
            let e = discrete_summary(
                ing,
                "c",
                &opts(Some(d(as_of)), false),
                period,
                &Cancel::new(),
            )
            .unwrap_err()
            .to_string();
            assert!(e.contains(want) && e.contains("CLV4"), "{e}");
        }
        // The default as_of (2025-05-02 here) is checked the same way.
        let e = discrete_summary(
            ingested(&ROWS, None),
            "c",
            &opts(None, false),
            Period::Months,
            &Cancel::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("default as_of") && e.contains("2025-05-01 and 2025-06-01"),
            "{e}"
        );
    }

    #[test]
    fn units_and_periods_parse() {
        assert_eq!("W".parse::<Unit>().unwrap(), Unit::Weeks);
        for s in ["Y", "Q", "M"] {
            let e = s.parse::<Unit>().unwrap_err().to_string();
            assert!(e.contains("discrete=True"), "{e}");
            assert!(s.parse::<Period>().is_ok());
        }
        assert!("w"
            .parse::<Period>()
            .unwrap_err()
            .to_string()
            .contains("\"Y\""));
    }

    #[test]
    fn calibration_holdout_by_hand_and_like_the_summary_at_the_cut() {
        // Calibration to 2025-02-28 (cut 03-01), observation to 2025-04-30 (as_of 05-01).
        // Customer 1: calibration events 01-05, 01-20; holdout 03-10 (40; 03-11 nets
        // -50, no event): 1 event worth 40. Customer 2: 02-03, then 04-02 (7).
        // Customers 3 and 4 first buy in the holdout (3's 03-31 is a zero day): not in
        // the table. Customer 3's 05-01 row is after the observation end.
        let (cut, as_of) = (d("2025-03-01"), d("2025-05-01"));
        let ing = ingested(&ROWS, Some(as_of));
        let (b, r) = calibration_holdout(
            ing,
            "c",
            &opts(Some(as_of), false),
            Unit::Days,
            cut,
            &Cancel::new(),
        )
        .unwrap();
        assert_eq!(ints(&b, 0), [1, 2]);
        assert_eq!(
            (ints(&b, 1), floats(&b, 2), floats(&b, 3)),
            (vec![1, 0], vec![15.0, 0.0], vec![54.0, 25.0])
        );
        assert_eq!(
            (ints(&b, 5), floats(&b, 6), floats(&b, 7)),
            (vec![1, 1], vec![40.0, 7.0], vec![61.0, 61.0])
        );
        assert_eq!(
            (
                r.rows_after_as_of,
                r.customers,
                r.customers_without_purchase
            ),
            (1, 2, 2)
        );
        // The calibration columns are those of the summary as of the cut.
        let at_cut = |ing| {
            let (seg, _, _) =
                engine::run(ing, &opts(Some(cut), false), need(false), &Cancel::new()).unwrap();
            summary_columns(&seg, Unit::Weeks)
        };
        let ing = ingested(&ROWS, Some(as_of));
        let (b, _) = calibration_holdout(
            ing,
            "c",
            &opts(Some(as_of), false),
            Unit::Weeks,
            cut,
            &Cancel::new(),
        )
        .unwrap();
        let want = at_cut(ingested(&ROWS, Some(cut)));
        for (i, w) in want.iter().enumerate() {
            assert_eq!(b.column(i + 1).as_ref(), w.as_ref(), "column {i}");
        }
        assert_eq!(floats(&b, 7), [61.0 / 7.0; 2]);
    }

    #[test]
    fn calibration_holdout_refuses_bad_ends() {
        let run = |cut: &str, as_of: Option<&str>| {
            let as_of = as_of.map(d);
            let ing = ingested(&ROWS, as_of);
            calibration_holdout(
                ing,
                "c",
                &opts(as_of, false),
                Unit::Weeks,
                d(cut),
                &Cancel::new(),
            )
            .unwrap_err()
            .to_string()
        };
        let e = run("2025-03-01", Some("2025-03-01"));
        assert!(e.contains("must be before observation_end"), "{e}");
        let e = run("2025-03-01", None);
        assert!(e.contains("observation end"), "{e}");
        let e = run("2025-01-05", Some("2025-03-01"));
        assert!(
            e.contains("calibration_end 2025-01-04 is before the earliest day"),
            "{e}"
        );
    }
}
