//! Section 2 of the spec: the Customer Value segmentation (CV1-CV7), fixed per
//! period (P2, P3).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::types::Int8Type;
use arrow_array::{
    ArrayRef, Date32Array, DictionaryArray, Float64Array, Int32Array, Int64Array, Int8Array,
    RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use rayon::prelude::*;

use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::events::{group_part, group_runs, CustomerDays};
use crate::ingest::{Ingested, Line, Part};
use crate::money;
use crate::periods::{fmt_day, DayTable, Periods};
use crate::store::Stored;
use crate::tiers::{check_cuts, tiers_of};

/// CV2 group labels, in category order (CV7).
pub const GROUPS: [&str; 6] = ["0 SOL", "1 NEW", "2 ACT", "3 COLD", "4 LOST", "5 LOST"];
/// CV4 segment labels, in category order (CV7).
pub const SEGMENTS: [&str; 13] = [
    "PLATINA", "GOLD", "SILVER", "BRONZE", "JUNIOR", "L", "M", "S", "XS", "NEW", "LOST", "ACT",
    "COLD",
];

const SOL: i8 = 0;
const NEW: i8 = 1;
const ACT: i8 = 2;
const COLD: i8 = 3;
const LOST4: i8 = 4;
const LOST5: i8 = 5;

const SEG_PLATINA: i8 = 0;
const SEG_JUNIOR: i8 = 4;
const SEG_L: i8 = 5;
const SEG_NEW: i8 = 9;
const SEG_LOST: i8 = 10;
const SEG_ACT: i8 = 11;
const SEG_COLD: i8 = 12;

/// Options of [`customer_value`] (section 2).
#[derive(Debug, Clone)]
pub struct CvOptions {
    pub periods: Periods,
    /// Exclusive day (I3); `None`: the day after the latest day in the data.
    pub as_of: Option<i32>,
    pub sales_only: bool,
    /// Months 1..=12 (CV5).
    pub sales_months: Vec<i64>,
    /// Periods counted back for sales-only (CV5), >= 1.
    pub sales_lookback: i64,
    /// Three cut points (CV6).
    pub cuts: Vec<f64>,
    /// Window of the monetary value in periods (CV3), >= 1.
    pub monetary_periods: i64,
    pub count_zero_days: bool,
}

impl Default for CvOptions {
    /// The defaults of `custseg.customer_value`: seasons from January and July,
    /// `as_of` after the data, sales months January and July, lookback 4,
    /// cuts 0.05/0.25/0.50, a monetary window of 2 periods.
    fn default() -> Self {
        CvOptions {
            periods: Periods::regular(
                6,
                chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date"),
            )
            .expect("a valid calendar"),
            as_of: None,
            sales_only: false,
            sales_months: vec![1, 7],
            sales_lookback: 4,
            cuts: vec![0.05, 0.25, 0.5],
            monetary_periods: 2,
            count_zero_days: false,
        }
    }
}

impl CvOptions {
    /// Checks the options that make no sense whatever the data (I4).
    pub fn validate(&self) -> Result<()> {
        if self.cuts.len() != 3 {
            return Err(CoreError::Config(format!(
                "cuts must have three cut points (PLATINA/GOLD/SILVER), got {:?} (rule CV6)",
                self.cuts
            )));
        }
        check_cuts(&self.cuts, "cuts", "CV6")?;
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
}

/// What a run did (API: "every run reports what it did").
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

/// One customer's result before tiers (CV1-CV5, CV7): 32 bytes of per-customer state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Row {
    pub customer: u32,
    pub group: i8,
    pub segment: i8,
    pub k: i32,
    /// Purchase events: at most one per day or per order id, and order ids are u32.
    pub n: u32,
    pub monetary: i64,
    /// First and last purchase event days.
    pub first: i32,
    pub last: i32,
    /// Tier pool (CV6): the group code, or -1 when not tiered.
    pool: i8,
}

/// What RFM and CLV need of a customer besides its [`Row`] (R1, CLV1, CLV3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Extra {
    /// All purchase events before `as_of` (R1 frequency).
    pub events: u32,
    /// Periods holding at least one purchase event (CLV3).
    pub periods_with_events: u32,
    /// Periods from the first purchase's to the one holding `as_of` - 1 day, both included (CLV3).
    pub periods_span: u32,
    /// Net sum of every amount before `as_of` (R1 monetary, CLV1).
    pub net: i64,
    /// Bit 0: an event in [as_of - 730, as_of - 365); bit 1: in [as_of - 365, as_of) (CLV1 churn).
    pub churn: u8,
    /// Net sum of the purchase-event days after the first one (CLV4 monetary_value; day events only).
    pub repeat_value: i64,
}

/// The result of the per-customer pass, rows in customer key order (I5):
/// in parts, one after the other (the partitions of the pass when they come
/// in key order, so they need not be copied into one vector; else one part).
#[derive(Debug, Default)]
pub(crate) struct Segmented {
    parts: Vec<Vec<Row>>,
    /// Aligned with `parts` when asked for, else empty.
    extras: Vec<Vec<Extra>>,
    len: usize,
    pub as_of: i32,
}
const _: () = assert!(std::mem::size_of::<Row>() == 32);

/// Resolves `as_of` (I3) against the data.
pub fn resolve_as_of(requested: Option<i32>, ing: &Ingested) -> Result<Option<i32>> {
    let Some(min) = ing.min_day() else {
        return Ok(requested);
    };
    match requested {
        None => match ing.max_day() {
            Some(d) if d >= crate::ingest::min_max_day().1 => Err(CoreError::AsOf(format!(
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
pub fn rows_after_as_of(requested: Option<i32>, ing: &Ingested) -> Result<u64> {
    match (requested, ing.rows_on_or_after) {
        (None, _) => Ok(0), // the default as_of is after every row
        (Some(a), Some((b, n))) if a == b => Ok(n),
        (Some(_), _) => Err(CoreError::Config(
            "internal: the ingestion must be given the run's as_of (IngestOptions::as_of)".into(),
        )),
    }
}

/// The output schema of [`customer_value`] (CV7).
pub fn schema(customer: &str, customer_type: &DataType) -> SchemaRef {
    let mut fields = vec![Field::new(customer, customer_type.clone(), false)];
    fields.extend(fields_cv("monetary"));
    Arc::new(Schema::new(fields))
}

/// The CV7 fields after the customer column, the CV3 value named `monetary`.
pub fn fields_cv(monetary: &str) -> Vec<Field> {
    let dict = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8));
    vec![
        Field::new("cv_group", dict.clone(), false),
        Field::new("cv_segment", dict, false),
        Field::new("periods_since_last", DataType::Int32, false),
        Field::new("purchases", DataType::Int64, false),
        Field::new(monetary, DataType::Float64, false),
        Field::new("first_purchase", DataType::Date32, false),
        Field::new("last_purchase", DataType::Date32, false),
    ]
}

/// The Customer Value segmentation of every customer with a purchase event before `as_of`.
///
/// Output: one row per customer, sorted by customer key, columns as in CV7.
pub fn customer_value(
    ing: Ingested,
    customer_name: &str,
    opts: &CvOptions,
    cancel: &Cancel,
) -> Result<(RecordBatch, Report)> {
    let customer_type = ing.customer_type.clone();
    let need = Need {
        cv: true,
        extras: false,
        clv: false,
    };
    let (seg, report, keys) = run(ing, opts, need, cancel)?;
    let mut clock = crate::timings::Phases::start();
    let mut columns = vec![keys.take(&seg.ids(), &customer_type)?];
    clock.lap("customer column");
    columns.extend(cv_columns(&seg)?);
    clock.lap("cv columns");
    Ok((
        RecordBatch::try_new(schema(customer_name, &customer_type), columns)?,
        report,
    ))
}

/// What the per-customer pass computes besides each customer's first and
/// last purchase events.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Need {
    /// The CV1-CV5 facts of the rows and the CV6 tiers (only the Customer
    /// Value columns read them).
    pub cv: bool,
    /// The [`Extra`] facts of RFM, CLV and the BTYD summary.
    pub extras: bool,
    /// Of those, the periods and churn facts of CLV1 and CLV3.
    pub clv: bool,
}

/// Resolves `as_of`, runs the per-customer pass (as `need` says) and fills the
/// report; returns the customer keys for the output.
pub(crate) fn run(
    ing: Ingested,
    opts: &CvOptions,
    need: Need,
    cancel: &Cancel,
) -> Result<(Segmented, Report, crate::keys::Keys)> {
    opts.validate()?;
    let as_of = resolve_as_of(opts.as_of, &ing)?;
    let after = rows_after_as_of(opts.as_of, &ing)?;
    let mut report = Report {
        rows_read: ing.rows_read,
        rows_used: ing.rows_valid - after,
        rows_after_as_of: after,
        rows_dropped: ing.dropped.clone(),
        bytes_spilled: ing.lines.spilled_bytes,
        as_of,
        ..Default::default()
    };
    let seg = match (as_of, ing.days) {
        (Some(as_of), Some(days)) => {
            let (seg, seen) = pass(ing.lines, &ing.customers, days, as_of, opts, need, cancel)?;
            report.customers_seen = seen;
            seg
        }
        _ => Segmented::default(), // an empty input gives an empty result (I4)
    };
    report.customers = seg.len() as u64;
    report.customers_without_purchase = report.customers_seen - report.customers;
    Ok((seg, report, ing.customers))
}

/// Rows per piece of [`Segmented::pieces`] at most.
const PIECE: usize = 1 << 14;

impl Segmented {
    fn new(parts: Vec<Vec<Row>>, extras: Vec<Vec<Extra>>, as_of: i32) -> Self {
        debug_assert!(extras.is_empty() || extras.len() == parts.len());
        let len = parts.iter().map(Vec::len).sum();
        Segmented {
            parts,
            extras,
            len,
            as_of,
        }
    }

    /// The number of customers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The rows in key order in pieces of at most [`PIECE`], with their
    /// [`Extra`] facts (empty slices when not asked for): the unit of parallel work.
    pub fn pieces(&self) -> Vec<(&[Row], &[Extra])> {
        let mut out = Vec::with_capacity(self.len / PIECE + self.parts.len());
        for (p, rows) in self.parts.iter().enumerate() {
            let extras = self.extras.get(p).map_or(&[][..], |x| &x[..]);
            for (i, r) in rows.chunks(PIECE).enumerate() {
                out.push((r, extras.get(i * PIECE..i * PIECE + r.len()).unwrap_or(&[])));
            }
        }
        out
    }

    /// `out` (one item per customer) cut like [`Segmented::pieces`].
    pub fn split_like<'a, T>(&self, mut out: &'a mut [T]) -> Vec<&'a mut [T]> {
        assert_eq!(out.len(), self.len, "one item per customer");
        let mut slices = Vec::with_capacity(self.len / PIECE + self.parts.len());
        for rows in &self.parts {
            for r in rows.chunks(PIECE) {
                let (head, tail) = out.split_at_mut(r.len());
                slices.push(head);
                out = tail;
            }
        }
        slices
    }

    /// A column of one value per customer, in key order, from each piece's rows and
    /// facts (`write` fills a piece's slots), in parallel.
    fn map_pieces<T: Send + Default + Clone>(
        &self,
        write: impl Fn(&[Row], &[Extra], &mut [T]) + Sync,
    ) -> Vec<T> {
        let mut out = vec![T::default(); self.len];
        self.pieces()
            .into_par_iter()
            .zip(self.split_like(&mut out))
            .for_each(|((r, x), d)| write(r, x, d));
        out
    }

    /// A column from the rows, in key order.
    pub fn column<T: Send + Default + Clone>(&self, f: impl Fn(&Row) -> T + Sync) -> Vec<T> {
        self.map_pieces(|rows, _, out| {
            out.iter_mut().zip(rows).for_each(|(o, r)| *o = f(r));
        })
    }

    /// A column from the rows and their [`Extra`] facts (which must have been
    /// asked for), in key order.
    pub fn column_x<T: Send + Default + Clone>(
        &self,
        f: impl Fn(&Row, &Extra) -> T + Sync,
    ) -> Vec<T> {
        self.map_pieces(|rows, extras, out| {
            assert_eq!(extras.len(), rows.len(), "the Extra facts were asked for");
            for ((o, r), x) in out.iter_mut().zip(rows).zip(extras) {
                *o = f(r, x);
            }
        })
    }

    /// Every customer's [`Extra`] facts, in key order.
    pub fn extras(&self) -> impl Iterator<Item = &Extra> {
        self.extras.iter().flatten()
    }

    /// The customer ids in key order.
    pub fn ids(&self) -> Vec<u32> {
        self.column(|r| r.customer)
    }
}

/// An ordered dictionary column of `codes` into `names`.
pub(crate) fn labels(codes: Vec<i8>, names: &[&str]) -> Result<ArrayRef> {
    Ok(Arc::new(DictionaryArray::<Int8Type>::try_new(
        Int8Array::from(codes),
        Arc::new(StringArray::from(names.to_vec())),
    )?))
}

/// The columns of CV7 after the customer column.
pub(crate) fn cv_columns(seg: &Segmented) -> Result<Vec<ArrayRef>> {
    let day = |f: fn(&Row) -> i32| seg.column(f);
    Ok(vec![
        labels(seg.column(|r| r.group), &GROUPS)?,
        labels(seg.column(|r| r.segment), &SEGMENTS)?,
        Arc::new(Int32Array::from(day(|r| r.k))),
        Arc::new(Int64Array::from(seg.column(|r| i64::from(r.n)))),
        Arc::new(Float64Array::from(
            seg.column(|r| money::to_f64(r.monetary)),
        )),
        Arc::new(Date32Array::from(day(|r| r.first))),
        Arc::new(Date32Array::from(day(|r| r.last))),
    ])
}

/// The per-customer pass shared by the segmentations: CV1-CV5 (and the CV6
/// tiers, the [`Extra`] facts, as `need` says) for every customer of the
/// partitions, in key order, and the number of customers seen. Partitions are
/// read (from memory or disk), grouped and segmented in parallel, one task
/// each. `days` are the earliest and latest day of the lines.
fn pass(
    lines: Stored,
    customers: &crate::keys::Keys,
    (lo, hi): (i32, i32),
    as_of: i32,
    opts: &CvOptions,
    need: Need,
    cancel: &Cancel,
) -> Result<(Segmented, u64)> {
    let p0 = opts.periods.index(as_of).ok_or_else(|| {
        CoreError::AsOf(format!(
            "as_of {} is outside the period calendar {}",
            fmt_day(as_of),
            opts.periods.describe()
        ))
    })?;
    cancel.check()?;
    let mut clock = crate::timings::Phases::start();

    let mut sales = [false; 13];
    for &m in &opts.sales_months {
        sales[m as usize] = true;
    }
    let table = DayTable::new(&opts.periods, lo, as_of).ok_or_else(|| {
        CoreError::Periods(format!(
            "a day between {} and {} is off the calendar",
            fmt_day(lo),
            fmt_day(as_of)
        ))
    })?;
    let ctx = Ctx {
        p0,
        sales,
        table,
        opts,
        as_of,
    };
    let locals = customers.locals();
    let overflow = |c: u32| CoreError::SumOverflow {
        customer: customers.display(c),
    };
    // Per partition: (rows, extras, customers seen).
    type Done = (Vec<Row>, Vec<Extra>, u64);
    let some = |(seen, kept): (u64, usize)| (Some(seen), kept);
    let runs = lines.runs;
    // Without order ids and sales-only, every customer takes the one walk that computes
    // only what is needed (over its day totals when its lines are not one per day in day
    // order); otherwise the general way, CustomerDays then Ctx::customer and Ctx::extra.
    let walkable = !lines.has_orders && !opts.sales_only;
    let done: Vec<Result<Done>> = lines
        .into_partitions()
        .map(|part| {
            let mut part: Part = part?;
            cancel.check()?;
            // Runs with no line on or after as_of are grouped already: each customer is
            // one chunk below, and is counted there (room for a customer per 4 lines
            // to start with; the rows grow past it if need be).
            let (seen, kept) = match (runs, hi >= as_of) {
                (true, false) => (None, part.lines.len() / 4),
                (true, true) => some(group_runs(&mut part, as_of)),
                _ => some(group_part(
                    &mut part,
                    locals,
                    |id| customers.local(id),
                    as_of,
                )),
            };
            let mut scratch = CustomerDays::default();
            let mut rows = Vec::with_capacity(kept);
            let mut more = Vec::with_capacity(if need.extras { kept } else { 0 });
            let mut offset = 0;
            let mut chunks = 0u64;
            for (i, chunk) in part
                .lines
                .chunk_by_mut(|a, b| a.customer == b.customer)
                .enumerate()
            {
                chunks += 1;
                if i % 4096 == 0 && cancel.check().is_err() {
                    break;
                }
                let c = chunk[0].customer;
                let orders = part
                    .orders
                    .as_ref()
                    .map(|o| &o[offset..offset + chunk.len()]);
                offset += chunk.len();
                if walkable {
                    let mut walked = ctx.walk_for(need, c, chunk).map_err(|_| overflow(c))?;
                    if walked == Walk::Unordered {
                        // Lines out of day order, or two on one day: summed per day first
                        // (I2), then walked the same way, so that what is computed (and
                        // what may overflow, I6) never depends on the row order (I5).
                        scratch
                            .fill(chunk, None, opts.count_zero_days)
                            .map_err(|_| overflow(c))?;
                        walked = ctx
                            .walk_for(need, c, &scratch.days)
                            .map_err(|_| overflow(c))?;
                    }
                    match walked {
                        Walk::Row(row, extra) => {
                            rows.push(row);
                            if need.extras {
                                more.push(extra);
                            }
                        }
                        Walk::NoEvent => {}
                        Walk::Unordered => unreachable!("the days of CustomerDays ascend"),
                    }
                    continue;
                }
                scratch
                    .fill(chunk, orders, opts.count_zero_days)
                    .map_err(|_| overflow(c))?;
                let Some(row) = ctx.customer(c, &scratch).map_err(|_| overflow(c))? else {
                    continue;
                };
                rows.push(row);
                if need.extras {
                    more.push(ctx.extra(&scratch).map_err(|_| overflow(c))?);
                }
            }
            Ok((rows, more, seen.unwrap_or(chunks)))
        })
        .collect();
    clock.lap("group and segment");
    cancel.check()?;
    let mut parts = Vec::with_capacity(done.len());
    let mut seen = 0;
    for d in done {
        let (r, x, s) = d?;
        seen += s;
        parts.push((r, x));
    }

    // Output in customer key order (I5): partitions in key order already (runs of
    // sorted ids) are kept as they are; else the rows are gathered from their
    // partitions straight into that order, one parallel gather for all columns.
    let slices: Vec<&[Row]> = parts.iter().map(|p| &p.0[..]).collect();
    let mut seg = if customers.id_is_rank() && ascending(&slices, |r| r.customer) {
        drop(slices);
        let (rows, more): (Vec<Vec<Row>>, Vec<Vec<Extra>>) = parts.into_iter().unzip();
        Segmented::new(rows, if need.extras { more } else { Vec::new() }, as_of)
    } else {
        let order = customers.key_order_in(&slices, |r| r.customer);
        clock.lap("key order");
        let rows: Vec<Row> = order
            .par_iter()
            .map(|&(p, i)| parts[p as usize].0[i as usize])
            .collect();
        let more: Vec<Vec<Extra>> = if need.extras {
            vec![order
                .par_iter()
                .map(|&(p, i)| parts[p as usize].1[i as usize])
                .collect()]
        } else {
            Vec::new()
        };
        Segmented::new(vec![rows], more, as_of)
    };
    clock.lap("rows in key order");

    if need.cv {
        let mut chunks: Vec<&mut [Row]> = seg
            .parts
            .iter_mut()
            .flat_map(|p| p.chunks_mut(PIECE))
            .collect();
        assign_tiers(&mut chunks, &opts.cuts);
        clock.lap("tiers");
    }
    Ok((seg, seen))
}

/// Whether the items of `parts`, one part after the other, have strictly
/// increasing ids.
fn ascending<T: Sync>(parts: &[&[T]], id: impl Fn(&T) -> u32 + Sync) -> bool {
    let within = parts
        .par_iter()
        .all(|p| p.windows(2).all(|w| id(&w[0]) < id(&w[1])));
    let ends: Vec<(u32, u32)> = parts
        .iter()
        .filter_map(|p| Some((id(p.first()?), id(p.last()?))))
        .collect();
    within && ends.windows(2).all(|w| w[0].1 < w[1].0)
}

struct Ctx<'a> {
    opts: &'a CvOptions,
    as_of: i32,
    p0: i32,
    sales: [bool; 13],
    table: DayTable,
}

impl Ctx<'_> {
    fn age(&self, day: i32) -> i32 {
        self.p0 - self.table.index(day)
    }

    /// The facts of R1 and CLV1-CLV3 of a customer with a purchase event; `Err` on a sum overflow (I6).
    fn extra(&self, d: &CustomerDays) -> std::result::Result<Extra, ()> {
        // Net money of every day (R1, CLV1) and of the purchase-event days after the first
        // (CLV4 monetary_value: an event's value is its day's net total, I2 day events).
        let is_event = |net: i64| net > 0 || (self.opts.count_zero_days && net == 0);
        let (mut net, mut repeat, mut first_event_seen) = (0i128, 0i128, false);
        for &(_, n) in &d.days {
            net += i128::from(n);
            if is_event(n) {
                if first_event_seen {
                    repeat += i128::from(n);
                }
                first_event_seen = true;
            }
        }
        let mut periods_with_events = 0;
        let mut prev = None;
        let mut churn = 0u8;
        for &e in &d.events {
            let p = self.table.index(e);
            if prev != Some(p) {
                periods_with_events += 1;
                prev = Some(p);
            }
            let back = self.as_of - e; // 1 ..: days before as_of
            churn |= match back {
                366..=730 => 1,
                1..=365 => 2,
                _ => 0,
            };
        }
        let first = d.events.first().copied().unwrap_or(self.as_of - 1);
        Ok(Extra {
            repeat_value: i64::try_from(repeat).map_err(|_| ())?,
            events: d.events.len() as u32,
            periods_with_events,
            periods_span: (self.table.index(self.as_of - 1) - self.table.index(first) + 1) as u32,
            net: i64::try_from(net).map_err(|_| ())?,
            churn,
        })
    }

    /// CV1-CV5 for one customer; `Err` on a sum overflow (I6).
    ///
    /// Days and events ascend, so ages descend: P0 is at the tail, and the
    /// monetary window (ages k..k+w-1) sits just before it.
    fn customer(&self, customer: u32, d: &CustomerDays) -> std::result::Result<Option<Row>, ()> {
        let (Some(&first), Some(&last)) = (d.events.first(), d.events.last()) else {
            return Ok(None);
        };
        // Net money of the days with age in lo..=hi, walking back from the last day
        // (exact: only the total must fit, I6).
        let sum_ages = |lo: i32, hi: i32| -> std::result::Result<i64, ()> {
            let mut s = 0i128;
            for &(day, net) in d.days.iter().rev() {
                let a = self.age(day);
                if a > hi {
                    break;
                }
                if a >= lo {
                    s += i128::from(net);
                }
            }
            i64::try_from(s).map_err(|_| ())
        };
        // H: events with age >= 1 (P3); the events of P0 are the tail.
        let in_p0 = d
            .events
            .iter()
            .rev()
            .take_while(|&&e| self.age(e) == 0)
            .count();
        let history = &d.events[..d.events.len() - in_p0];
        let mut row = Row {
            customer,
            group: NEW,
            segment: SEG_NEW,
            k: 0,
            n: history.len() as u32,
            monetary: 0,
            first,
            last,
            pool: -1,
        };
        let Some(&last_before) = history.last() else {
            // CV2 NEW: first purchase in P0; CV3: m is the sum in P0.
            row.n = in_p0 as u32;
            row.monetary = sum_ages(0, 0)?;
            return Ok(Some(row));
        };
        // CV1: k; CV3: the money of the periods of ages k..k+w-1.
        let k = self.age(last_before);
        row.monetary = sum_ages(k, k + self.opts.monetary_periods as i32 - 1)?;
        // CV5: every event of ages 1..=L (the tail of `history`) in a sales month.
        let lookback = self.opts.sales_lookback as i32;
        let is_sol = self.opts.sales_only && k <= lookback && {
            history
                .iter()
                .rev()
                .take_while(|&&e| self.age(e) <= lookback)
                .all(|&e| self.sales[self.table.month(e) as usize])
        };
        classify(&mut row, k, is_sol);
        Ok(Some(row))
    }

    /// [`Ctx::walk`] computing what `need` asks for.
    fn walk_for(
        &self,
        need: Need,
        customer: u32,
        days: &[impl DayTotal],
    ) -> std::result::Result<Walk, ()> {
        let (c, x) = (customer, need.extras);
        match (need.cv, need.clv) {
            (true, true) => self.walk::<true, true>(c, days, x),
            (true, false) => self.walk::<true, false>(c, days, x),
            (false, true) => self.walk::<false, true>(c, days, x),
            (false, false) => self.walk::<false, false>(c, days, x),
        }
    }

    /// [`Ctx::customer`] and [`Ctx::extra`] in one walk over the lines of a
    /// customer, for the common case: one line per day, days ascending,
    /// purchase events per day (no order column) and no sales-only (CV5).
    /// The same numbers as filling [`CustomerDays`] first, without copying;
    /// [`Walk::Unordered`] when the days do not strictly ascend (the pass then
    /// walks the customer's day totals).
    ///
    /// Only the facts asked for are computed (the others keep their defaults):
    /// always the customer, first and last purchase of the [`Row`] and the
    /// events, net and repeat value of the [`Extra`] (R1, CLV1, CLV4); with
    /// `CV` the rest of the row (CV1-CV4); with `CLV` the periods and churn
    /// facts (CLV1, CLV3). Sums that do not fit are errors (I6) only where
    /// they are used: the [`Extra`] ones when `extras`.
    fn walk<const CV: bool, const CLV: bool>(
        &self,
        customer: u32,
        lines: &[impl DayTotal],
        extras: bool,
    ) -> std::result::Result<Walk, ()> {
        debug_assert!(!self.opts.sales_only);
        // No Option in the loop (fewer registers): NONE stands for "none yet".
        const NONE: i32 = i32::MIN;
        let zero = self.opts.count_zero_days;
        let (mut prev_day, mut ordered) = (NONE, true);
        let (mut first, mut first_amount, mut last) = (NONE, 0i64, 0);
        let (mut events, mut in_p0, mut last_before) = (0u32, 0u32, NONE);
        let (mut net, mut event_sum) = (0i128, 0i128);
        let (mut periods_with_events, mut prev, mut churn) = (0u32, NONE, 0u8);
        for l in lines {
            ordered &= l.day() > prev_day;
            prev_day = l.day();
            net += i128::from(l.amount());
            if !(l.amount() > 0 || (zero && l.amount() == 0)) {
                continue;
            }
            if first == NONE {
                (first, first_amount) = (l.day(), l.amount());
            }
            event_sum += i128::from(l.amount());
            last = l.day();
            events += 1;
            let p = if CV || CLV {
                self.table.index(l.day())
            } else {
                0
            };
            if CV {
                in_p0 += u32::from(p == self.p0);
                if p != self.p0 {
                    last_before = p;
                }
            }
            if CLV {
                periods_with_events += u32::from(p != prev);
                prev = p;
                let back = self.as_of - l.day(); // 1 ..: days before as_of
                churn |= u8::from((366..=730).contains(&back)) | (u8::from(back <= 365) << 1);
            }
        }
        if !ordered {
            return Ok(Walk::Unordered);
        }
        if first == NONE {
            return Ok(Walk::NoEvent);
        }
        let mut row = Row {
            customer,
            group: NEW,
            segment: SEG_NEW,
            k: 0,
            n: 0,
            monetary: 0,
            first,
            last,
            pool: -1,
        };
        if CV {
            // CV3: the net money of the days in periods lo..=hi, walking back from the last day.
            let (lo, hi) = match last_before {
                NONE => (self.p0, self.p0),
                p => (p - self.opts.monetary_periods as i32 + 1, p),
            };
            let mut monetary = 0i128;
            for l in lines.iter().rev() {
                let p = self.table.index(l.day());
                if p < lo {
                    break;
                }
                if p <= hi {
                    monetary += i128::from(l.amount());
                }
            }
            row.monetary = i64::try_from(monetary).map_err(|_| ())?;
            row.n = if last_before == NONE {
                in_p0
            } else {
                events - in_p0
            };
            if last_before != NONE {
                classify(&mut row, self.p0 - last_before, false);
            }
        }
        let fit = |v: i128| match i64::try_from(v) {
            Ok(v) => Ok(v),
            Err(_) if extras => Err(()),
            Err(_) => Ok(0), // not used
        };
        let mut extra = Extra {
            events,
            net: fit(net)?,
            repeat_value: fit(event_sum - i128::from(first_amount))?,
            ..Default::default()
        };
        if CLV {
            extra.periods_with_events = periods_with_events;
            extra.periods_span =
                (self.table.index(self.as_of - 1) - self.table.index(first) + 1) as u32;
            extra.churn = churn;
        }
        Ok(Walk::Row(row, extra))
    }
}

/// A day and its net total, as [`Ctx::walk`] reads them: the lines of a
/// partition, or the days of [`CustomerDays`].
trait DayTotal {
    fn day(&self) -> i32;
    fn amount(&self) -> i64;
}

impl DayTotal for Line {
    #[inline]
    fn day(&self) -> i32 {
        self.day
    }
    #[inline]
    fn amount(&self) -> i64 {
        self.amount
    }
}

impl DayTotal for (i32, i64) {
    #[inline]
    fn day(&self) -> i32 {
        self.0
    }
    #[inline]
    fn amount(&self) -> i64 {
        self.1
    }
}

/// What [`Ctx::walk`] found.
#[derive(Debug, PartialEq)]
enum Walk {
    Row(Row, Extra),
    /// No purchase event: not in the result.
    NoEvent,
    /// Days not strictly ascending: to be summed per day first.
    Unordered,
}

/// CV2, CV4: the group, segment and tier pool of a customer with history
/// (`row.n` purchase events of age >= 1, the last at age `k`).
fn classify(row: &mut Row, k: i32, is_sol: bool) {
    row.k = k;
    (row.group, row.segment, row.pool) = match k {
        _ if is_sol => (
            SOL,
            [SEG_ACT, SEG_COLD, SEG_LOST][(k.min(3) - 1) as usize],
            -1,
        ),
        1 if row.n == 1 => (ACT, SEG_JUNIOR, -1),
        1 => (ACT, SEG_PLATINA, ACT),
        2 if row.n == 1 => (COLD, SEG_JUNIOR, -1),
        2 => (COLD, SEG_L, COLD),
        3 | 4 => (LOST4, SEG_L, LOST4),
        _ => (LOST5, SEG_LOST, -1),
    };
}

/// CV6: tiers per pool (2 ACT, 3 COLD, 4 LOST); `segment` holds the pool's first tier on entry.
///
/// A parallel partition of the rows by pool: each chunk counts its members,
/// the counts give every chunk its place in each pool, the members' monetary
/// values are copied there, and the tiers come back the same way.
fn assign_tiers(chunks: &mut [&mut [Row]], cuts: &[f64]) {
    const POOLS: [i8; 3] = [ACT, COLD, LOST4];
    let pool = |r: &Row| POOLS.iter().position(|&p| p == r.pool);
    let counts: Vec<[usize; 3]> = chunks
        .par_iter()
        .map(|c| {
            let mut k = [0; 3];
            c.iter().filter_map(pool).for_each(|p| k[p] += 1);
            k
        })
        .collect();
    let mut totals = [0usize; 3];
    let starts: Vec<[usize; 3]> = counts
        .iter()
        .map(|k| {
            let at = totals;
            (0..3).for_each(|p| totals[p] += k[p]);
            at
        })
        .collect();
    let mut values = totals.map(|n| vec![0i64; n]);
    // Every chunk's slices of the three pools, in chunk order.
    let mut slices: Vec<[&mut [i64]; 3]> = Vec::with_capacity(counts.len());
    let [a, b, c] = &mut values;
    let mut rest: [&mut [i64]; 3] = [&mut a[..], &mut b[..], &mut c[..]];
    for k in &counts {
        let [ra, rb, rc] = rest;
        let (ha, ta) = ra.split_at_mut(k[0]);
        let (hb, tb) = rb.split_at_mut(k[1]);
        let (hc, tc) = rc.split_at_mut(k[2]);
        slices.push([ha, hb, hc]);
        rest = [ta, tb, tc];
    }
    chunks.par_iter().zip(slices).for_each(|(c, dst)| {
        let mut at = [0usize; 3];
        for r in c.iter() {
            if let Some(p) = pool(r) {
                dst[p][at[p]] = r.monetary;
                at[p] += 1;
            }
        }
    });
    let tiers: Vec<Vec<u8>> = values.par_iter().map(|m| tiers_of(m, cuts)).collect();
    chunks.par_iter_mut().zip(starts).for_each(|(c, mut at)| {
        for r in c.iter_mut() {
            if let Some(p) = pool(r) {
                r.segment += tiers[p][at[p]] as i8;
                at[p] += 1;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{ingest, ColumnNames, IngestOptions, Ingested};
    use crate::periods::parse_day;
    use arrow_array::cast::AsArray;

    fn d(s: &str) -> i32 {
        parse_day(s).unwrap()
    }

    fn opts(as_of: &str) -> CvOptions {
        CvOptions {
            as_of: Some(d(as_of)),
            ..Default::default()
        }
    }

    /// Runs the segmentation on (customer, date, amount) rows; returns
    /// (customer, group, segment, k, n, monetary) per customer.
    fn run(rows: &[(i64, &str, f64)], o: &CvOptions) -> Vec<(i64, String, String, i32, i64, f64)> {
        run_chunked(rows, o, rows.len().max(1))
    }

    /// [`run`] with the rows in record batches of `chunk` rows.
    fn run_chunked(
        rows: &[(i64, &str, f64)],
        o: &CvOptions,
        chunk: usize,
    ) -> Vec<(i64, String, String, i32, i64, f64)> {
        run_ingested(ingest_rows(rows, o, chunk, None), o)
    }

    /// Ingests (customer, date, amount) rows in record batches of `chunk` rows.
    fn ingest_rows(
        rows: &[(i64, &str, f64)],
        o: &CvOptions,
        chunk: usize,
        memory_limit: Option<u64>,
    ) -> Ingested {
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
            as_of: o.as_of,
            spill: crate::store::SpillOptions {
                memory_limit,
                dir: None,
            },
            ..Default::default()
        };
        let batches = (0..batch.num_rows())
            .step_by(chunk)
            .map(|s| Ok(batch.slice(s, chunk.min(batch.num_rows() - s))));
        ingest(batches, &schema, &names, &io, &Cancel::new()).unwrap()
    }

    /// The segmentation of ingested rows, as [`run`] gives it.
    fn run_ingested(ing: Ingested, o: &CvOptions) -> Vec<(i64, String, String, i32, i64, f64)> {
        let cancel = Cancel::new();
        let (out, _) = customer_value(ing, "c", o, &cancel).unwrap();
        // The labels of a dictionary column (its keys normalised once, not per row).
        let labels = |i: usize| -> Vec<String> {
            let a = out.column(i).as_any_dictionary();
            let values = a.values().as_string::<i32>();
            a.normalized_keys()
                .iter()
                .map(|&k| values.value(k).to_string())
                .collect()
        };
        let (groups, segments) = (labels(1), labels(2));
        let label = |i: usize, r: usize| {
            if i == 1 {
                groups[r].clone()
            } else {
                segments[r].clone()
            }
        };
        (0..out.num_rows())
            .map(|r| {
                (
                    out.column(0)
                        .as_primitive::<arrow_array::types::Int64Type>()
                        .value(r),
                    label(1, r),
                    label(2, r),
                    out.column(3)
                        .as_primitive::<arrow_array::types::Int32Type>()
                        .value(r),
                    out.column(4)
                        .as_primitive::<arrow_array::types::Int64Type>()
                        .value(r),
                    out.column(5)
                        .as_primitive::<arrow_array::types::Float64Type>()
                        .value(r),
                )
            })
            .collect()
    }

    #[test]
    fn one_walk_equals_filling_the_days_first() {
        // Ctx::walk (one line per day, days ascending, no orders) gives the Row and
        // Extra of CustomerDays::fill + Ctx::customer + Ctx::extra, overflow errors included.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(17);
        let lo = d("2020-01-01");
        for round in 0..3000 {
            let months = [1, 3, 6, 12][round % 4];
            let anchor =
                chrono::NaiveDate::from_ymd_opt(2000, rng.random_range(1..=12), 1).unwrap();
            let as_of = lo + rng.random_range(1..2000);
            let opts = CvOptions {
                periods: Periods::regular(months, anchor).unwrap(),
                monetary_periods: rng.random_range(1..4),
                count_zero_days: rng.random_bool(0.5),
                ..Default::default()
            };
            let ctx = Ctx {
                p0: opts.periods.index(as_of).unwrap(),
                sales: [false; 13],
                table: DayTable::new(&opts.periods, lo, as_of).unwrap(),
                opts: &opts,
                as_of,
            };
            let huge = round % 10 == 0;
            let mut days: Vec<i32> = (0..rng.random_range(1..12))
                .map(|_| rng.random_range(lo..as_of))
                .collect();
            days.sort_unstable();
            days.dedup();
            let mut lines: Vec<Line> = days
                .iter()
                .map(|&day| {
                    let amount = match rng.random_range(0..4) {
                        0 if huge => i64::MAX - rng.random_range(0..3),
                        0 => 0,
                        1 => -rng.random_range(1..50_000_000),
                        _ => rng.random_range(1..50_000_000),
                    };
                    Line::new(7, day, amount)
                })
                .collect();
            if round % 7 == 0 && lines.len() > 1 {
                // Days out of order: not for the walk.
                lines.swap(0, 1);
                assert_eq!(ctx.walk::<true, true>(7, &lines, true), Ok(Walk::Unordered));
                lines.swap(0, 1);
            }
            // Without CV (and CLV) facts: the same customer, first, last, events and sums
            // (where the CV monetary window overflows, the others need not).
            let full = ctx.walk::<true, true>(7, &lines, true);
            let key = |w: &std::result::Result<Walk, ()>| match w {
                Ok(Walk::Row(r, x)) => {
                    Some((r.customer, r.first, r.last, x.events, x.net, x.repeat_value))
                }
                _ => None,
            };
            for slim in [
                ctx.walk::<false, true>(7, &lines, true),
                ctx.walk::<false, false>(7, &lines, true),
            ] {
                if full.is_ok() {
                    assert_eq!(key(&slim), key(&full), "round {round}");
                    assert!(slim.is_ok());
                }
            }
            if let (Ok(Walk::Row(_, a)), Ok(Walk::Row(_, b))) =
                (ctx.walk::<false, true>(7, &lines, true), &full)
            {
                assert_eq!(
                    (a.periods_with_events, a.periods_span, a.churn),
                    (b.periods_with_events, b.periods_span, b.churn)
                );
            }
            for extras in [false, true] {
                let fast = ctx.walk::<true, true>(7, &lines, extras).map(|w| match w {
                    Walk::Row(r, x) => Some((r, x)),
                    Walk::NoEvent => None,
                    Walk::Unordered => panic!("days ascend"),
                });
                let mut cd = CustomerDays::default();
                cd.fill(&mut lines, None, opts.count_zero_days).unwrap();
                let slow = ctx.customer(7, &cd).and_then(|row| match row {
                    None => Ok(None),
                    Some(row) if extras => Ok(Some((row, ctx.extra(&cd)?))),
                    Some(row) => Ok(Some((row, Extra::default()))),
                });
                let fast =
                    fast.map(|o| o.map(|(r, x)| (r, if extras { x } else { Extra::default() })));
                assert_eq!(
                    fast, slow,
                    "round {round}, extras {extras}, lines {lines:?}"
                );
            }
        }
    }

    #[test]
    fn cv1_cv2_groups_by_periods_since_last() {
        // P0 = 2026H1; ages: 2025H2 = 1, 2025H1 = 2, 2024H2 = 3, 2024H1 = 4, 2023H2 = 5.
        let rows = [
            (1, "2025-12-31", 10.0),
            (2, "2025-01-01", 10.0),
            (3, "2024-07-01", 10.0),
            (4, "2024-06-30", 10.0),
            (5, "2023-12-31", 10.0),
            (6, "2026-01-02", 10.0),
        ];
        let out = run(&rows, &opts("2026-01-10"));
        let groups: Vec<(i64, &str, i32)> = out.iter().map(|r| (r.0, r.1.as_str(), r.3)).collect();
        assert_eq!(
            groups,
            vec![
                (1, "2 ACT", 1),
                (2, "3 COLD", 2),
                (3, "4 LOST", 3),
                (4, "4 LOST", 4),
                (5, "5 LOST", 5),
                (6, "1 NEW", 0)
            ]
        );
    }

    #[test]
    fn cv3_window_and_p3_fixed_segmentation() {
        // Customer 1: last purchase 2025H2 (k=1); window = ages 1 and 2 (2025H2, 2025H1).
        // 2024H2 (age 3) is outside; the return in 2025H1 counts; P0 buying changes nothing (P3).
        let rows = [
            (1, "2024-08-01", 1000.0),
            (1, "2025-02-01", 50.0),
            (1, "2025-03-01", -20.0),
            (1, "2025-09-01", 30.0),
            (1, "2026-01-05", 500.0),
        ];
        let out = run(&rows, &opts("2026-02-01"));
        assert_eq!(out[0].1, "2 ACT");
        assert_eq!(out[0].3, 1);
        assert_eq!(out[0].4, 3, "n counts the events with age >= 1 only");
        assert!((out[0].5 - 60.0).abs() < 1e-9, "m = 50 - 20 + 30");
        let mut one = opts("2026-02-01");
        one.monetary_periods = 1;
        assert!((run(&rows, &one)[0].5 - 30.0).abs() < 1e-9);
    }

    #[test]
    fn cv4_cv6_tiers_in_the_act_pool() {
        // 20 ACT customers with two purchases each and distinct monetary values 1..20:
        // top 1 PLATINA (r=0), next 4 GOLD (r<0.25), next 5 SILVER (r<0.5), rest BRONZE.
        let mut rows = vec![];
        for c in 1..=20i64 {
            rows.push((c, "2025-03-01", 0.5));
            rows.push((c, "2025-08-01", c as f64 - 0.5));
        }
        rows.push((21, "2025-08-01", 1e6)); // one purchase: JUNIOR, outside the pool
        let out = run(&rows, &opts("2026-01-01"));
        let seg = |c: i64| out.iter().find(|r| r.0 == c).unwrap().2.clone();
        assert_eq!(seg(20), "PLATINA");
        assert!((16..=19).all(|c| seg(c) == "GOLD"));
        assert!((11..=15).all(|c| seg(c) == "SILVER"));
        assert!((1..=10).all(|c| seg(c) == "BRONZE"));
        assert_eq!(seg(21), "JUNIOR");
    }

    #[test]
    fn cv5_sales_only() {
        // Customer 1 bought only in January and July within the last 4 periods: 0 SOL, label by k.
        // Customer 2 also bought in March: a normal group.
        let rows = [
            (1, "2025-01-10", 10.0),
            (1, "2025-07-10", 10.0),
            (2, "2025-01-10", 10.0),
            (2, "2025-03-10", 10.0),
        ];
        let mut o = opts("2026-01-01");
        o.sales_only = true;
        let out = run(&rows, &o);
        assert_eq!((out[0].1.as_str(), out[0].2.as_str()), ("0 SOL", "ACT"));
        assert_eq!(out[1].1, "3 COLD");
    }

    #[test]
    fn i2_returns_and_zero_days() {
        // A day that nets to zero is no purchase; a customer with only returns is absent.
        let rows = [
            (1, "2025-08-01", 17.60),
            (1, "2025-08-01", 5.67),
            (1, "2025-08-01", -23.27),
            (2, "2025-08-02", -5.0),
        ];
        assert!(run(&rows, &opts("2026-01-01")).is_empty());
        let mut o = opts("2026-01-01");
        o.count_zero_days = true;
        let out = run(&rows, &o);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].0, out[0].1.as_str(), out[0].5), (1, "2 ACT", 0.0));
    }

    #[test]
    fn i5_row_order_does_not_matter() {
        let mut rows: Vec<(i64, &str, f64)> = vec![];
        let days = [
            "2024-02-01",
            "2024-09-01",
            "2025-03-03",
            "2025-08-08",
            "2025-12-01",
        ];
        for c in 0..40i64 {
            for (j, day) in days.iter().enumerate() {
                if (c + j as i64) % 3 != 0 {
                    rows.push((c % 13, day, ((c * 7 + j as i64 * 3) % 11) as f64 - 2.0));
                }
            }
        }
        let a = run(&rows, &opts("2026-01-01"));
        rows.reverse();
        assert_eq!(a, run(&rows, &opts("2026-01-01")));
        rows.sort_by_key(|r| (r.1, r.0));
        assert_eq!(a, run(&rows, &opts("2026-01-01")));
    }

    #[test]
    fn i5_chunking_and_id_layouts_do_not_matter() {
        // The first batch makes a compact id range; later batches grow it downwards
        // (ids shift) and then make it too sparse (ids are re-hashed and repartitioned).
        let mut rows: Vec<(i64, &str, f64)> = vec![];
        let days = ["2024-02-01", "2024-09-01", "2025-03-03", "2025-08-08"];
        for (j, c) in [100i64, 101, 102, 103, 50, 49, 1 << 40, -(1 << 41), 100, 49]
            .iter()
            .enumerate()
        {
            for (k, day) in days.iter().enumerate() {
                if (j + k) % 3 != 1 {
                    rows.push((*c, day, (j * 7 + k) as f64 - 3.0));
                }
            }
        }
        let whole = run(&rows, &opts("2026-01-01"));
        assert_eq!(whole.len(), 8);
        for chunk in [1, 3, 7] {
            assert_eq!(
                run_chunked(&rows, &opts("2026-01-01"), chunk),
                whole,
                "chunks of {chunk}"
            );
        }
    }

    /// Rows grouped by customer, `per` rows each over a few days, customers in `order`.
    fn grouped(order: impl IntoIterator<Item = i64>, per: usize) -> Vec<(i64, &'static str, f64)> {
        const DAYS: [&str; 5] = [
            "2024-02-01",
            "2024-09-01",
            "2025-03-03",
            "2025-03-03",
            "2025-08-08",
        ];
        let mut rows = vec![];
        for c in order {
            for j in 0..per {
                let amount = ((c * 7 + j as i64 * 3) % 11) as f64 - 2.0;
                rows.push((c, DAYS[(c as usize + j) % 5], amount));
            }
        }
        rows
    }

    #[test]
    fn i5_input_grouped_by_customer_stays_in_runs() {
        // Customers' rows adjacent (runs, see crate::store): no scatter. Batches and the
        // parallel chunks (every 2^16 rows) cut runs; a run cut by a batch continues.
        let o = opts("2026-01-01");
        let rows = grouped((0..30_000).map(|c| (c * 7919) % 30_011), 5);
        let mut shuffled = rows.clone();
        shuffled.sort_by_key(|r| (r.1, r.0 % 97, r.0));
        let want = run(&shuffled, &o);
        assert_eq!(want.len(), 30_000);
        for chunk in [rows.len(), 4096, 999] {
            let ing = ingest_rows(&rows, &o, chunk, None);
            assert!(ing.lines.runs, "chunks of {chunk}");
            assert_eq!(run_ingested(ing, &o), want, "chunks of {chunk}");
        }
        // Falling ids (the id range grows downwards: held ids shift, the marks follow).
        let falling = grouped((0..3000).rev(), 4);
        let ing = ingest_rows(&falling, &o, 1000, None);
        assert!(ing.lines.runs);
        let mut scattered = falling.clone();
        scattered.sort_by_key(|r| (r.1, r.0));
        assert_eq!(run_ingested(ing, &o), run(&scattered, &o));
    }

    #[test]
    fn i5_a_customer_coming_back_turns_the_layout_hashed() {
        let o = opts("2026-01-01");
        let base = grouped(0..30_000, 5);
        let mut want_rows = base.clone();
        want_rows.sort_by_key(|r| (r.1, r.0));
        // Customer 3 comes back: in the same parallel chunk, in a later chunk (past
        // 2^16 rows), in a later batch; and right after its own run with a run between.
        for (at, chunk) in [
            (100, base.len()),
            (140_000, base.len()),
            (140_000, 50_000),
            (25, 7),
        ] {
            let mut rows = base.clone();
            rows.insert(at, (3, "2025-12-24", 1000.0));
            let mut scattered = want_rows.clone();
            scattered.push((3, "2025-12-24", 1000.0));
            let ing = ingest_rows(&rows, &o, chunk, None);
            assert!(!ing.lines.runs, "back at {at}, chunks of {chunk}");
            let got = run_ingested(ing, &o);
            assert_eq!(got, run(&scattered, &o), "back at {at}, chunks of {chunk}");
            assert_eq!(got[3].2, "PLATINA");
        }
        // Ids turning sparse (re-hashed) and a memory budget (spilled) turn it hashed too.
        let mut sparse = base.clone();
        sparse.extend(grouped([1 << 40], 3));
        let ing = ingest_rows(&sparse, &o, 50_000, None);
        assert!(!ing.lines.runs);
        let mut scattered = sparse.clone();
        scattered.sort_by_key(|r| (r.1, r.0));
        assert_eq!(run_ingested(ing, &o), run(&scattered, &o));
        let ing = ingest_rows(&base, &o, 20_000, Some(100_000));
        assert!(!ing.lines.runs && ing.lines.spilled_bytes > 0);
        assert_eq!(run_ingested(ing, &o), run(&want_rows, &o));
    }

    #[test]
    fn options_are_validated() {
        let mut o = opts("2026-01-01");
        o.cuts = vec![0.5, 0.25, 0.05];
        assert!(matches!(o.validate(), Err(CoreError::Config(m)) if m.contains("CV6")));
        let mut o = opts("2026-01-01");
        o.sales_months = vec![13];
        assert!(matches!(o.validate(), Err(CoreError::Config(m)) if m.contains("CV5")));
        let mut o = opts("2026-01-01");
        o.monetary_periods = 0;
        assert!(matches!(o.validate(), Err(CoreError::Config(m)) if m.contains("CV3")));
    }
}
