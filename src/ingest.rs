//! Section 0 of the spec: reading the transaction columns (I1, I2 input side,
//! I4, I6) from a stream of Arrow record batches into compact owned vectors.
//!
//! Each row becomes a [`Line`] `(customer id, day, amount in millionths[,
//! order id])`, in the partition of its customer ([`Store`]). Adjacent rows of
//! one customer, day (and order) become one line with their summed amount:
//! I2 only ever uses those sums, and receipts usually arrive line after line.
//! Invalid rows raise an error naming the column, the first bad row and the
//! rule, or are skipped and counted by reason with `on_invalid="drop"`.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use arrow_array::cast::AsArray;
use arrow_array::timezone::Tz;
use arrow_array::types::*;
use arrow_array::{Array, ArrowPrimitiveType, RecordBatch};
use arrow_schema::{ArrowError, DataType, Schema, TimeUnit};
use chrono::{Offset, TimeZone};

use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::keys::{key_kind, Keys, Remap, NULL_ID, PARTITIONS};
use crate::money;
use crate::periods::day_of;
use crate::store::{part_ptrs, SpillOptions, Store, Stored};
use rayon::prelude::*;

/// The names of the input columns.
#[derive(Debug, Clone)]
pub struct ColumnNames {
    pub customer: String,
    pub date: String,
    pub amount: String,
    pub order: Option<String>,
}

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
        }
    }
}

/// Options of the ingestion step.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    pub on_invalid: OnInvalid,
    /// Days before this one are invalid (the first explicit period boundary, P1).
    pub earliest_day: Option<i32>,
    /// Rows expected in the input, when known: memory is reserved once.
    pub rows_hint: Option<usize>,
    /// The run's explicit `as_of` (I3), if any: valid rows on or after it are counted.
    pub as_of: Option<i32>,
    /// When lines spill to disk.
    pub spill: SpillOptions,
}

/// One or more adjacent transaction rows of one customer on one day (and of
/// one order), summed: 16 bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    /// Dense customer id (see [`Keys`]).
    pub customer: u32,
    /// Days since 1970-01-01 (I1).
    pub day: i32,
    /// Millionths (I6).
    pub amount: i64,
}

impl Line {
    /// A line of `customer` on `day` with `amount` millionths.
    pub const fn new(customer: u32, day: i32, amount: i64) -> Self {
        Line {
            customer,
            day,
            amount,
        }
    }
}

/// The lines of one partition of the customers.
#[derive(Debug, Default)]
pub struct Part {
    pub lines: Vec<Line>,
    /// Dense order ids aligned with `lines`, when there is an order column (I2).
    pub orders: Option<Vec<u32>>,
}

/// The whole valid input, owned, in [`PARTITIONS`] partitions of the customers
/// (see [`Keys::partition`]): all lines of a customer are in one partition,
/// in memory or spilled to disk.
#[derive(Debug)]
pub struct Ingested {
    pub lines: Stored,
    pub customers: Keys,
    /// The input type of the customer column, kept for the output (CV7).
    pub customer_type: DataType,
    pub rows_read: u64,
    /// Rows that passed the checks of I4.
    pub rows_valid: u64,
    /// `(as_of, valid rows on or after it)` for [`IngestOptions::as_of`].
    pub rows_on_or_after: Option<(i32, u64)>,
    /// The earliest and latest day among the valid rows.
    pub days: Option<(i32, i32)>,
    pub dropped: BTreeMap<&'static str, u64>,
}

impl Ingested {
    /// Whether purchase events are orders (an `order` column was given, I2).
    pub fn has_orders(&self) -> bool {
        self.lines.has_orders
    }

    /// The latest day among the valid rows.
    pub fn max_day(&self) -> Option<i32> {
        self.days.map(|d| d.1)
    }
    /// The earliest day among the valid rows.
    pub fn min_day(&self) -> Option<i32> {
        self.days.map(|d| d.0)
    }
}

const CUSTOMER_TYPES: &str = "integers, strings, or dictionaries of those";
const DATE_TYPES: &str = "date32, date64, timestamp of any unit with or without time zone";
const AMOUNT_TYPES: &str = "floats, integers, decimals";

fn find_column(schema: &Schema, name: &str, role: &'static str) -> Result<usize> {
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

fn unsupported(name: &str, role: &'static str, dt: &DataType, accepted: &'static str) -> CoreError {
    CoreError::UnsupportedType {
        column: name.to_string(),
        role,
        dtype: dt.to_string(),
        accepted,
    }
}

/// How dates of one column map to days (rule I1).
#[derive(Debug, Clone)]
enum DateKind {
    Date32,
    Date64,
    /// Naive timestamps: their written calendar day. `per_day` units in a day.
    Naive {
        per_day: i64,
        unit: TimeUnit,
    },
    /// Zoned timestamps: the calendar day in the zone.
    Zoned {
        per_sec: i64,
        unit: TimeUnit,
        tz: Tz,
        fixed: Option<i64>,
    },
}

fn date_kind(name: &str, dt: &DataType) -> Result<DateKind> {
    let per_sec = |u: &TimeUnit| match u {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    Ok(match dt {
        DataType::Date32 => DateKind::Date32,
        DataType::Date64 => DateKind::Date64,
        DataType::Timestamp(u, None) => DateKind::Naive {
            per_day: per_sec(u) * 86_400,
            unit: *u,
        },
        DataType::Timestamp(u, Some(tz)) => {
            let parsed = Tz::from_str(tz).map_err(|e| CoreError::InvalidDate {
                column: name.to_string(),
                row: 0,
                reason: format!("unknown time zone {tz:?}: {e}"),
                rule: "I1",
            })?;
            DateKind::Zoned {
                per_sec: per_sec(u),
                unit: *u,
                fixed: fixed_offset(tz, &parsed),
                tz: parsed,
            }
        }
        DataType::Dictionary(_, v) => return Err(unsupported(name, "date", v, DATE_TYPES)),
        other => return Err(unsupported(name, "date", other, DATE_TYPES)),
    })
}

/// The offset in seconds of a zone that never changes its offset, if known to be one.
fn fixed_offset(name: &str, tz: &Tz) -> Option<i64> {
    const UTC: [&str; 13] = [
        "UTC",
        "Etc/UTC",
        "GMT",
        "Etc/GMT",
        "Z",
        "Zulu",
        "Etc/Zulu",
        "Universal",
        "Etc/Universal",
        "UCT",
        "Etc/UCT",
        "GMT0",
        "Etc/GMT0",
    ];
    if UTC.contains(&name) {
        return Some(0);
    }
    if name.starts_with('+') || name.starts_with('-') {
        let t = chrono::DateTime::from_timestamp(0, 0)?.naive_utc();
        return Some(tz.offset_from_utc_datetime(&t).fix().local_minus_utc() as i64);
    }
    None
}

/// The supported days, 0001-01-01 to 9999-12-31: what Python's `datetime.date` holds.
pub fn min_max_day() -> (i32, i32) {
    let ymd = |y, m, d| day_of(chrono::NaiveDate::from_ymd_opt(y, m, d).expect("valid date"));
    (ymd(1, 1, 1), ymd(9999, 12, 31))
}

/// A per-batch list of bad rows (local index, reason), in row order per column.
type Bad = Vec<(usize, Reason)>;

fn null_rows(array: &dyn Array, reason: Reason, bad: &mut Bad) {
    if let Some(n) = array.logical_nulls() {
        if n.null_count() > 0 {
            bad.extend(
                (0..array.len())
                    .filter(|&i| n.is_null(i))
                    .map(|i| (i, reason)),
            );
        }
    }
}

fn convert_dates(
    array: &dyn Array,
    kind: &DateKind,
    earliest: Option<i32>,
    out: &mut [i32],
    bad: &mut Bad,
) {
    let (lo, hi) = min_max_day();
    null_rows(array, Reason::NullDate, bad);
    let nulls = array.logical_nulls();
    let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    let mut push = |out: &mut [i32], i: usize, d: Option<i64>| {
        if is_null(i) {
            return;
        }
        match d.and_then(|d| i32::try_from(d).ok()) {
            Some(d) if d < lo || d > hi => bad.push((i, Reason::DateOutOfRange)),
            Some(d) if earliest.is_some_and(|e| d < e) => bad.push((i, Reason::BeforeFirstPeriod)),
            Some(d) => out[i] = d,
            None => bad.push((i, Reason::DateOutOfRange)),
        }
    };
    fn vals<T: ArrowPrimitiveType>(a: &dyn Array) -> &[T::Native] {
        a.as_primitive::<T>().values()
    }
    // Whether days in `min..=max` and no nulls make every row valid.
    let lowest = i64::from(earliest.map_or(lo, |e| e.max(lo)));
    let no_nulls = nulls.as_ref().is_none_or(|n| n.null_count() == 0);
    let all_valid = |min: i64, max: i64| no_nulls && min >= lowest && max <= i64::from(hi);
    match kind {
        DateKind::Date32 => {
            let v = vals::<Date32Type>(array);
            // The common case, every day valid: one vectorised min/max, then a copy.
            let (min, max) = v
                .iter()
                .fold((i32::MAX, i32::MIN), |(a, b), &d| (a.min(d), b.max(d)));
            if all_valid(i64::from(min), i64::from(max)) {
                out.copy_from_slice(v);
                return;
            }
            for (i, &v) in v.iter().enumerate() {
                push(out, i, Some(v as i64));
            }
        }
        DateKind::Date64 => {
            for (i, &v) in vals::<Date64Type>(array).iter().enumerate() {
                push(out, i, Some(v.div_euclid(86_400_000)));
            }
        }
        DateKind::Naive { per_day, unit } => {
            let vs = timestamp_values(array, unit);
            // The common case, every day valid: days by a constant division, then checked.
            let (min, max) = match unit {
                TimeUnit::Second => days_of::<86_400>(vs, out),
                TimeUnit::Millisecond => days_of::<86_400_000>(vs, out),
                TimeUnit::Microsecond => days_of::<86_400_000_000>(vs, out),
                TimeUnit::Nanosecond => days_of::<86_400_000_000_000>(vs, out),
            };
            if all_valid(min, max) {
                return;
            }
            for (i, &v) in vs.iter().enumerate() {
                push(out, i, Some(v.div_euclid(*per_day)));
            }
        }
        DateKind::Zoned {
            per_sec,
            unit,
            tz,
            fixed,
        } => {
            let vs = timestamp_values(array, unit);
            for (i, &v) in vs.iter().enumerate() {
                let secs = v.div_euclid(*per_sec);
                let off = match fixed {
                    Some(o) => Some(*o),
                    None => chrono::DateTime::from_timestamp(secs, 0).map(|t| {
                        tz.offset_from_utc_datetime(&t.naive_utc())
                            .fix()
                            .local_minus_utc() as i64
                    }),
                };
                push(out, i, off.map(|o| (secs + o).div_euclid(86_400)));
            }
        }
    }
}

/// Writes the day of every timestamp (`D` units a day) to `out`, truncated to
/// `i32`, and returns the least and greatest day before truncation.
fn days_of<const D: i64>(vs: &[i64], out: &mut [i32]) -> (i64, i64) {
    let (mut min, mut max) = (i64::MAX, i64::MIN);
    for (o, &v) in out.iter_mut().zip(vs) {
        let d = v.div_euclid(D);
        *o = d as i32;
        (min, max) = (min.min(d), max.max(d));
    }
    (min, max)
}

fn timestamp_values<'a>(array: &'a dyn Array, unit: &TimeUnit) -> &'a [i64] {
    match unit {
        TimeUnit::Second => array.as_primitive::<TimestampSecondType>().values(),
        TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().values(),
        TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().values(),
        TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().values(),
    }
}

fn check_amount_type(name: &str, dt: &DataType) -> Result<()> {
    use DataType::*;
    match dt {
        Float16
        | Float32
        | Float64
        | Int8
        | Int16
        | Int32
        | Int64
        | UInt8
        | UInt16
        | UInt32
        | UInt64
        | Decimal32(_, _)
        | Decimal64(_, _)
        | Decimal128(_, _)
        | Decimal256(_, _) => Ok(()),
        other => Err(unsupported(name, "amount", other, AMOUNT_TYPES)),
    }
}

/// Converts amounts to millionths (I6); bad rows are listed in `bad`.
fn convert_amounts(array: &dyn Array, out: &mut [i64], bad: &mut Bad) -> Result<()> {
    null_rows(array, Reason::NullAmount, bad);
    let nulls = array.logical_nulls();
    let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    let mut push = |out: &mut [i64], i: usize, m: Option<i64>, reason: Reason| match m {
        Some(m) => out[i] = m,
        None if !is_null(i) => bad.push((i, reason)),
        None => {}
    };
    use DataType::*;
    match array.data_type() {
        Float16 | Float32 | Float64 => {
            let cast;
            let a = if array.data_type() == &Float64 {
                array.as_primitive::<Float64Type>()
            } else {
                cast = arrow_cast::cast(array, &Float64)?;
                cast.as_primitive::<Float64Type>()
            };
            // Every value converted without a branch; the bad ones looked for only if any.
            if !money::from_f64_slice(out, a.values()) {
                for (i, &x) in a.values().iter().enumerate() {
                    let reason = if x.is_finite() {
                        Reason::AmountOutOfRange
                    } else {
                        Reason::NonFiniteAmount
                    };
                    push(out, i, money::from_f64(x), reason);
                }
            }
        }
        UInt64 => {
            for (i, &x) in array
                .as_primitive::<UInt64Type>()
                .values()
                .iter()
                .enumerate()
            {
                push(out, i, money::from_u64(x), Reason::AmountOutOfRange);
            }
        }
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 => {
            let cast;
            let a = if array.data_type() == &Int64 {
                array.as_primitive::<Int64Type>()
            } else {
                cast = arrow_cast::cast(array, &Int64)?;
                cast.as_primitive::<Int64Type>()
            };
            for (i, &x) in a.values().iter().enumerate() {
                push(out, i, money::from_i64(x), Reason::AmountOutOfRange);
            }
        }
        Decimal32(_, s) | Decimal64(_, s) | Decimal128(_, s) => {
            let s = *s;
            let cast;
            let a = if matches!(array.data_type(), Decimal128(_, _)) {
                array.as_primitive::<Decimal128Type>()
            } else {
                cast = arrow_cast::cast(array, &Decimal128(38, s))?;
                cast.as_primitive::<Decimal128Type>()
            };
            for (i, &x) in a.values().iter().enumerate() {
                push(out, i, money::from_decimal(x, s), Reason::AmountOutOfRange);
            }
        }
        Decimal256(_, s) => {
            let s = *s;
            let a = array.as_primitive::<Decimal256Type>();
            for (i, x) in a.values().iter().enumerate() {
                let m = x.to_i128().and_then(|v| money::from_decimal(v, s));
                push(out, i, m, Reason::AmountOutOfRange);
            }
        }
        _ => unreachable!("checked by check_amount_type"),
    }
    Ok(())
}

/// Reads every batch of `batches` into an [`Ingested`].
///
/// Rows are checked in stream order; with [`OnInvalid::Raise`] the first
/// invalid row (smallest row index; customer, then date, amount, order on the
/// same row) raises.
pub fn ingest<I>(
    batches: I,
    schema: &Schema,
    names: &ColumnNames,
    opts: &IngestOptions,
    cancel: &Cancel,
) -> Result<Ingested>
where
    I: IntoIterator<Item = std::result::Result<RecordBatch, ArrowError>>,
{
    let ci = find_column(schema, &names.customer, "customer")?;
    let di = find_column(schema, &names.date, "date")?;
    let ai = find_column(schema, &names.amount, "amount")?;
    let oi = match &names.order {
        Some(o) => Some(find_column(schema, o, "order")?),
        None => None,
    };
    let ctype = schema.field(ci).data_type().clone();
    let ckind = key_kind(&ctype)
        .ok_or_else(|| unsupported(&names.customer, "customer", &ctype, CUSTOMER_TYPES))?;
    let dkind = date_kind(&names.date, schema.field(di).data_type())?;
    check_amount_type(&names.amount, schema.field(ai).data_type())?;
    let okind = match oi {
        Some(oi) => {
            let ot = schema.field(oi).data_type();
            Some(key_kind(ot).ok_or_else(|| {
                unsupported(
                    names.order.as_deref().unwrap_or(""),
                    "order",
                    ot,
                    CUSTOMER_TYPES,
                )
            })?)
        }
        None => None,
    };

    let mut customers = Keys::new(ckind);
    let mut order_keys = okind.map(Keys::new);
    let has_orders = order_keys.is_some();
    let used = customers.partitions_used();
    let reserve = opts.rows_hint.map_or(0, |n| n / used + n / used / 16);
    // Runs while the input comes grouped by customer (see `crate::store`): `seen` knows
    // the customers whose run has started, so one that comes back is caught.
    let mut store = Store::runs(has_orders, used, reserve, opts.spill.clone());
    let mut seen = Seen::Rising(None);
    let mut stats = Stats::default();
    let mut rows_seen = 0usize;
    let (mut days, mut amounts) = (Vec::new(), Vec::new());
    let mut dropped: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut offset: u64 = 0;
    let (mut cids, mut oids) = (vec![], vec![]);

    let mut clock = crate::timings::Phases::start();
    for batch in batches {
        let batch = batch?;
        clock.lap("next batch");
        // Large batches (a pandas frame is one batch) go in windows, to bound the buffers.
        for start in (0..batch.num_rows()).step_by(WINDOW) {
            cancel.check()?;
            let n = WINDOW.min(batch.num_rows() - start);
            let col = |i: usize| batch.column(i).slice(start, n);
            let (ccol, dcol, acol) = (col(ci), col(di), col(ai));

            // Keys are interned while dates and amounts convert, all in parallel.
            let (keyed, converted) = rayon::join(
                || -> Result<bool> {
                    let remap = customers.intern_array(ccol.as_ref(), rows_seen, &mut cids)?;
                    remap_held(&mut store, &mut customers, None, &remap)?;
                    if let (Some(keys), Some(oi)) = (order_keys.as_mut(), oi) {
                        let remap = keys.intern_array(col(oi).as_ref(), rows_seen, &mut oids)?;
                        remap_held(&mut store, keys, Some(&customers), &remap)?;
                    }
                    Ok(matches!(remap, Remap::Shift(_) | Remap::Table(_)))
                },
                || -> Result<Bad> {
                    // Reused buffers: a bad row's slot keeps a stale value, but bad rows are never read.
                    days.resize(n, 0);
                    amounts.resize(n, 0);
                    let bad = days[..n]
                        .par_chunks_mut(CHUNK)
                        .zip(amounts[..n].par_chunks_mut(CHUNK))
                        .enumerate()
                        .map(|(c, (d, a))| -> Result<Bad> {
                            let mut bad = Bad::new();
                            convert_dates(
                                dcol.slice(c * CHUNK, d.len()).as_ref(),
                                &dkind,
                                opts.earliest_day,
                                d,
                                &mut bad,
                            );
                            convert_amounts(acol.slice(c * CHUNK, a.len()).as_ref(), a, &mut bad)?;
                            bad.iter_mut().for_each(|b| b.0 += c * CHUNK);
                            Ok(bad)
                        })
                        .collect::<Result<Vec<Bad>>>()?
                        .concat();
                    Ok(bad)
                },
            );
            let moved = keyed?;
            let mut bad = converted?;
            clock.lap("ids, dates, amounts");

            // Bad rows of this window, smallest row first; on one row the customer wins, then
            // date, amount, order. Null ids only where a column has nulls (a dictionary's
            // keys may point at null values: always looked for).
            if may_hold_nulls(ccol.as_ref()) {
                bad.extend(
                    cids.iter()
                        .enumerate()
                        .filter(|(_, &c)| c == NULL_ID)
                        .map(|(i, _)| (i, Reason::NullCustomer)),
                );
            }
            if oi.is_some_and(|oi| may_hold_nulls(col(oi).as_ref())) {
                bad.extend(
                    oids.iter()
                        .enumerate()
                        .filter(|(_, &o)| o == NULL_ID)
                        .map(|(i, _)| (i, Reason::NullOrder)),
                );
            }
            bad.sort_unstable();
            bad.dedup_by_key(|b| b.0);

            if let Some(&(row, reason)) = bad.first() {
                if opts.on_invalid == OnInvalid::Raise {
                    let value = amount_text(acol.as_ref(), row);
                    return Err(row_error(
                        names,
                        reason,
                        offset + row as u64,
                        value,
                        dcol.as_ref(),
                        row,
                        &dkind,
                    ));
                }
                for &(_, reason) in &bad {
                    *dropped.entry(reason.name()).or_default() += 1;
                }
            }

            clock.lap("bad rows");
            let mut ok = vec![true; if bad.is_empty() { 0 } else { n }];
            bad.iter().for_each(|b| ok[b.0] = false);
            let rows = Rows {
                cids: &cids,
                days: &days[..n],
                amounts: &amounts[..n],
                oids: has_orders.then_some(&oids[..]),
                ok: &ok,
                as_of: opts.as_of,
            };
            if store.is_runs() {
                if moved {
                    // Every id held moved: mark the runs held again.
                    seen = Seen::Bits(bits_of_runs(&store.mem, customers.len()).0);
                }
                if let Seen::Bits(b) = &mut seen {
                    b.resize_with(customers.len().div_ceil(64), || AtomicU64::new(0));
                }
                let bits = match &seen {
                    Seen::Bits(b) => Some(&b[..]),
                    Seen::Rising(_) => None,
                };
                let (st, w) = append_runs(&mut store.mem, bits, &rows);
                stats.add(st);
                let mut back = w.back;
                if let Seen::Rising(max) = &mut seen {
                    if w.rising && w.first.zip(*max).is_none_or(|(f, m)| f > m) {
                        *max = w.last.or(*max);
                    } else {
                        // Not sorted by customer (any more): a bit per customer from now
                        // on, and every run held checked once.
                        let (bits, b) = bits_of_runs(&store.mem, customers.len());
                        seen = Seen::Bits(bits);
                        back = b;
                    }
                }
                if back {
                    // A customer came back after its run ended: hashed from here on.
                    store.ungroup(&customers);
                    seen = Seen::Rising(None);
                    clock.lap("ungroup");
                }
            } else {
                stats.add(append(&mut store.mem, &customers, &rows));
            }
            clock.lap("append");
            store.check_budget(&customers)?;
            rows_seen += n - bad.len();
            offset += n as u64;
        }
    }

    let lines = store.finish()?;
    clock.lap("finish");
    Ok(Ingested {
        lines,
        customers,
        customer_type: ctype,
        rows_read: offset,
        rows_valid: stats.rows,
        rows_on_or_after: opts.as_of.map(|a| (a, stats.on_or_after)),
        days: (stats.rows > 0).then_some((stats.min_day, stats.max_day)),
        dropped,
    })
}

/// Whether interning `a` can give null ids: a null, or a dictionary (whose keys
/// may point at null values).
fn may_hold_nulls(a: &dyn Array) -> bool {
    matches!(a.data_type(), DataType::Dictionary(_, _)) || a.logical_null_count() > 0
}

/// Counts over the valid rows.
#[derive(Debug, Clone, Copy)]
struct Stats {
    rows: u64,
    on_or_after: u64,
    min_day: i32,
    max_day: i32,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            rows: 0,
            on_or_after: 0,
            min_day: i32::MAX,
            max_day: i32::MIN,
        }
    }
}

impl Stats {
    fn add(&mut self, o: Stats) {
        self.rows += o.rows;
        self.on_or_after += o.on_or_after;
        self.min_day = self.min_day.min(o.min_day);
        self.max_day = self.max_day.max(o.max_day);
    }
}

/// The converted rows of a window.
#[derive(Clone, Copy)]
struct Rows<'a> {
    cids: &'a [u32],
    days: &'a [i32],
    amounts: &'a [i64],
    oids: Option<&'a [u32]>,
    /// Valid rows (all when empty).
    ok: &'a [bool],
    /// See [`IngestOptions::as_of`].
    as_of: Option<i32>,
}

/// Rows converted per window of a record batch.
const WINDOW: usize = 1 << 22;
/// Rows per parallel conversion task.
const CHUNK: usize = 1 << 16;

/// Appends the valid rows of a window (`ok`, or all rows when empty) to their
/// partitions, in row order, with a two-pass radix scatter: each chunk of rows
/// tags every row with its partition and counts its lines per partition, then
/// writes them straight to their place. A row of the same customer, day (and
/// order) as the previous valid row of the chunk is added to that row's line
/// instead (I2 uses only such sums), unless the sum leaves the fixed-point
/// range. Returns the counts over the valid rows (`as_of`: see
/// [`IngestOptions::as_of`]).
fn append(parts: &mut [Part], keys: &Keys, rows: &Rows) -> Stats {
    let Rows {
        cids,
        days,
        amounts,
        oids,
        ok,
        as_of,
    } = *rows;
    const SKIP: u8 = u8::MAX;
    const MERGED: u8 = 0x80;
    const _: () = assert!(PARTITIONS <= MERGED as usize);
    let n = cids.len();
    let part_of = keys.partitioner();
    let mut tags = vec![0u8; n];
    // Pass 1: tags, line counts per partition and the stats, per chunk.
    let firsts: Vec<([usize; PARTITIONS], Stats)> = tags
        .par_chunks_mut(CHUNK)
        .enumerate()
        .map(|(ch, tag)| {
            let mut counts = [0usize; PARTITIONS];
            // The previous valid row's line: (customer, day, order, partition, amount so far).
            let mut last: Option<(u32, i32, u32, usize, i64)> = None;
            let mut st = Stats::default();
            let all_ok = ok.is_empty();
            if all_ok {
                // Every row valid: the counts in tight loops the compiler vectorises.
                let d = &days[ch * CHUNK..ch * CHUNK + tag.len()];
                st.rows = d.len() as u64;
                st.min_day = d.iter().copied().fold(i32::MAX, i32::min);
                st.max_day = d.iter().copied().fold(i32::MIN, i32::max);
                if let Some(x) = as_of {
                    st.on_or_after = d.iter().map(|&v| u64::from(v >= x)).sum();
                }
            }
            for (j, t) in tag.iter_mut().enumerate() {
                let i = ch * CHUNK + j;
                if !all_ok && !ok[i] {
                    *t = SKIP;
                    continue;
                }
                let (c, d, a, o) = (cids[i], days[i], amounts[i], oids.map_or(0, |o| o[i]));
                if !all_ok {
                    st.rows += 1;
                    st.on_or_after += u64::from(as_of.is_some_and(|x| d >= x));
                    st.min_day = st.min_day.min(d);
                    st.max_day = st.max_day.max(d);
                }
                if let Some((lc, ld, lo, lp, la)) = &mut last {
                    if (*lc, *ld, *lo) == (c, d, o) {
                        if let Some(sum) = la.checked_add(a) {
                            *la = sum;
                            *t = MERGED | *lp as u8;
                            continue;
                        }
                    }
                }
                let p = part_of.get(c);
                last = Some((c, d, o, p, a));
                counts[p] += 1;
                *t = p as u8;
            }
            (counts, st)
        })
        .collect();

    // Where each chunk's lines go in each partition.
    let mut offsets = vec![[0usize; PARTITIONS]; firsts.len()];
    for (p, part) in parts.iter_mut().enumerate() {
        let mut at = part.lines.len();
        for (ch, (counts, _)) in firsts.iter().enumerate() {
            offsets[ch][p] = at;
            at += counts[p];
        }
        part.lines.reserve(at - part.lines.len());
        if let Some(o) = part.orders.as_mut() {
            o.reserve(at - o.len());
        }
    }
    let dst = part_ptrs(parts);

    // Pass 2: every chunk writes its own ranges of the partitions.
    tags.par_chunks(CHUNK)
        .zip(offsets)
        .enumerate()
        .for_each(|(ch, (tag, mut at))| {
            for (j, &t) in tag.iter().enumerate() {
                if t == SKIP {
                    continue;
                }
                let i = ch * CHUNK + j;
                let p = (t & !MERGED) as usize;
                let (lines, orders) = (dst[p].0.get(), dst[p].1.get());
                // SAFETY: the reserved ranges `offsets[ch][p]..+counts[ch][p]` of the
                // chunks are disjoint and inside the capacity; a merge adds to this
                // chunk's previous line of the partition, written just before (the
                // sum was checked in pass 1, in the same order).
                unsafe {
                    if t & MERGED != 0 {
                        (*lines.add(at[p] - 1)).amount += amounts[i];
                    } else {
                        lines
                            .add(at[p])
                            .write(Line::new(cids[i], days[i], amounts[i]));
                        if let Some(o) = oids {
                            orders.add(at[p]).write(o[i]);
                        }
                        at[p] += 1;
                    }
                }
            }
        });
    for (p, part) in parts.iter_mut().enumerate() {
        let added: usize = firsts.iter().map(|f| f.0[p]).sum();
        // SAFETY: pass 2 wrote every slot of the reserved ranges.
        unsafe {
            part.lines.set_len(part.lines.len() + added);
            if let Some(o) = part.orders.as_mut() {
                o.set_len(o.len() + added);
            }
        }
    }
    let mut stats = Stats::default();
    firsts.iter().for_each(|(_, st)| stats.add(*st));
    stats
}

/// How a store in runs knows that no customer came back after its run ended.
enum Seen {
    /// Every run so far started with a greater customer id than the run before
    /// (input sorted by customer, the common case): the greatest so far.
    Rising(Option<u32>),
    /// A bit per customer id, set when its run started.
    Bits(Vec<AtomicU64>),
}

/// The run starts of rows appended in runs (see [`append_runs`]).
#[derive(Debug, Clone, Copy)]
struct Starts {
    /// The customers of the first and of the last run started.
    first: Option<u32>,
    last: Option<u32>,
    /// Every run started with a greater customer than the run before.
    rising: bool,
    /// A run started whose customer was marked already (with marks).
    back: bool,
}

impl Starts {
    const NONE: Starts = Starts {
        first: None,
        last: None,
        rising: true,
        back: false,
    };

    /// The run starts of `self` followed by those of `next`.
    fn then(self, next: Starts) -> Starts {
        let rising_across = self.last.zip(next.first).is_none_or(|(l, f)| f > l);
        Starts {
            first: self.first.or(next.first),
            last: next.last.or(self.last),
            rising: self.rising && next.rising && rising_across,
            back: self.back || next.back,
        }
    }
}

/// Appends the valid rows of a window to a store in runs (see [`crate::store`]):
/// the window is cut into chunks at customer changes, and every chunk's lines
/// go, in row order, to a new partition of their own, in parallel; rows that
/// continue the last run held go to its partition. Adjacent rows of one
/// customer, day (and order) are summed into one line, as in [`append`].
/// With `seen`, every run's customer is marked there (a bit per id). Returns
/// the counts over the valid rows and the window's run starts.
fn append_runs(parts: &mut Vec<Part>, seen: Option<&[AtomicU64]>, rows: &Rows) -> (Stats, Starts) {
    let (cids, n) = (rows.cids, rows.cids.len());
    // Rows that continue the last run held (a batch or window boundary cut a customer's rows).
    let last = parts
        .last()
        .and_then(|p| p.lines.last())
        .map(|l| l.customer);
    let mut cont = 0;
    if let Some(c) = last {
        while cont < n && cids[cont] == c {
            cont += 1;
        }
    }
    // Chunk starts: the first customer change at or after every CHUNK-th row (serial, and
    // linear overall: a scan never goes back over rows a previous one passed).
    let mut starts = vec![cont];
    for c in 1..n.div_ceil(CHUNK) {
        let mut s = (c * CHUNK).max(*starts.last().expect("one start"));
        while s < n && cids[s] == cids[s - 1] {
            s += 1;
        }
        if s > *starts.last().expect("one start") && s < n {
            starts.push(s);
        }
    }
    starts.push(n);
    type RunLines = fn(
        &mut Part,
        std::ops::Range<usize>,
        Option<u32>,
        Option<&[AtomicU64]>,
        &Rows,
    ) -> (Stats, Starts);
    let run_lines: RunLines = match (rows.oids.is_some(), rows.ok.is_empty()) {
        (false, true) => run_lines::<false, true>,
        (false, false) => run_lines::<false, false>,
        (true, true) => run_lines::<true, true>,
        (true, false) => run_lines::<true, false>,
    };
    let (mut stats, mut runs) = (Stats::default(), Starts::NONE);
    if cont > 0 {
        let tail = parts.last_mut().expect("a last run");
        let (st, r) = run_lines(tail, 0..cont, last, seen, rows);
        stats.add(st);
        runs = runs.then(r);
    }
    // Each chunk's lines are summed in a scratch part reused by the task, then copied
    // to a part of their exact size (rows of one day often share a line: a part sized
    // by its rows would hold a third of unused room).
    let scratch = || Part {
        lines: Vec::new(),
        orders: rows.oids.map(|_| Vec::new()),
    };
    let new: Vec<(Part, Stats, Starts)> = starts
        .par_windows(2)
        .filter(|w| w[0] < w[1])
        .map_init(scratch, |buf, w| {
            buf.lines.clear();
            if let Some(o) = buf.orders.as_mut() {
                o.clear();
            }
            let (st, r) = run_lines(buf, w[0]..w[1], None, seen, rows);
            let part = Part {
                lines: buf.lines.to_vec(),
                orders: buf.orders.as_ref().map(|o| o.to_vec()),
            };
            (part, st, r)
        })
        .collect();
    for (part, st, r) in new {
        stats.add(st);
        runs = runs.then(r);
        if !part.lines.is_empty() {
            parts.push(part);
        }
    }
    (stats, runs)
}

/// Appends the valid rows `range` to `part` (see [`append_runs`]); `prev` is
/// the customer of the run `part` ends with, when the rows continue it.
/// Returns the counts and the run starts. One loop per case: with or without
/// order ids, with every row valid or not.
///
/// The line being summed stays in registers and is written at slot `w` after
/// every row; a row with another key (or a sum out of range) moves `w` on
/// first. No branch depends on the data but the start of a run.
fn run_lines<const ORDERS: bool, const ALL_OK: bool>(
    part: &mut Part,
    range: std::ops::Range<usize>,
    prev: Option<u32>,
    seen: Option<&[AtomicU64]>,
    rows: &Rows,
) -> (Stats, Starts) {
    let mut st = Stats::default();
    if ALL_OK {
        // Every row valid: the counts in tight loops the compiler vectorises.
        let d = &rows.days[range.clone()];
        st.rows = d.len() as u64;
        st.min_day = d.iter().copied().fold(i32::MAX, i32::min);
        st.max_day = d.iter().copied().fold(i32::MIN, i32::max);
        if let Some(x) = rows.as_of {
            st.on_or_after = d.iter().map(|&v| u64::from(v >= x)).sum();
        }
    }
    let mut none = Vec::new();
    let orders = match part.orders.as_mut() {
        Some(o) if ORDERS => o,
        _ if ORDERS => unreachable!("the lines of a run with orders hold order ids"),
        _ => &mut none,
    };
    part.lines.reserve_exact(range.len());
    if ORDERS {
        orders.reserve_exact(range.len());
    }
    let (lp, op) = (part.lines.as_mut_ptr(), orders.as_mut_ptr());
    // The line being summed: key (customer, day, order), amount, slot. A customer
    // that is never valid (NULL_ID) makes the first row start a new line.
    let n0 = part.lines.len();
    let (mut pc, mut pd, mut po, mut amt, mut w) = match (prev, part.lines.last()) {
        (Some(_), Some(l)) => (
            l.customer,
            l.day,
            if ORDERS { orders[n0 - 1] } else { 0 },
            l.amount,
            n0 - 1,
        ),
        _ => (NULL_ID, 0, 0, 0, n0.wrapping_sub(1)),
    };
    let mut runs = Starts::NONE;
    let oids = rows.oids.unwrap_or(&[]);
    for i in range {
        if !ALL_OK && !rows.ok[i] {
            continue;
        }
        let (c, d, a) = (rows.cids[i], rows.days[i], rows.amounts[i]);
        let o = if ORDERS { oids[i] } else { 0 };
        if !ALL_OK {
            st.rows += 1;
            st.on_or_after += u64::from(rows.as_of.is_some_and(|x| d >= x));
            st.min_day = st.min_day.min(d);
            st.max_day = st.max_day.max(d);
        }
        if c != pc {
            // A run starts.
            runs.rising &= runs.last.is_none_or(|l| c > l);
            runs.first = runs.first.or(Some(c));
            runs.last = Some(c);
            if let Some(seen) = seen {
                let bit = 1u64 << (c % 64);
                runs.back |= seen[c as usize / 64].fetch_or(bit, Relaxed) & bit != 0;
            }
        }
        let (sum, overflow) = amt.overflowing_add(a);
        let new = (c != pc) | (d != pd) | (o != po) | overflow;
        w = w.wrapping_add(usize::from(new));
        amt = if new { a } else { sum };
        // SAFETY: `w` < n0 + rows so far <= the capacity reserved above.
        unsafe {
            lp.add(w).write(Line::new(c, d, amt));
            if ORDERS {
                op.add(w).write(o);
            }
        }
        (pc, pd, po) = (c, d, o);
    }
    // SAFETY: every slot below `w + 1` was written (or held a line already).
    unsafe {
        part.lines.set_len(w.wrapping_add(1));
        if ORDERS {
            orders.set_len(w.wrapping_add(1));
        }
    }
    (st, runs)
}

/// A bit per customer id (`ids` of them) for the customer of every run of
/// `parts`, and whether a customer has two runs.
fn bits_of_runs(parts: &[Part], ids: usize) -> (Vec<AtomicU64>, bool) {
    let seen: Vec<AtomicU64> = (0..ids.div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
    // Every part is marked (no stop at the first customer found twice).
    let back = parts.par_iter().map(|p| {
        let mut back = false;
        for (i, l) in p.lines.iter().enumerate() {
            if i == 0 || p.lines[i - 1].customer != l.customer {
                let bit = 1u64 << (l.customer % 64);
                back |= seen[l.customer as usize / 64].fetch_or(bit, Relaxed) & bit != 0;
            }
        }
        back
    });
    let back = back.reduce(|| false, |a, b| a | b);
    (seen, back)
}

/// Brings the ids of every line held (in memory and spilled) up to date after
/// interning a window: customer ids when `customers` is `None` (their
/// partitions change on a rebase), else order ids.
fn remap_held(
    store: &mut Store,
    keys: &mut Keys,
    customers: Option<&Keys>,
    remap: &Remap,
) -> Result<()> {
    let is_order = customers.is_some();
    let remap_part = |keys: &mut Keys, p: &mut Part| -> Result<()> {
        if is_order {
            let mut ids: Vec<&mut u32> = p.orders.iter_mut().flatten().collect();
            apply_remap(keys, remap, &mut ids)
        } else {
            let mut ids: Vec<&mut u32> = p.lines.iter_mut().map(|l| &mut l.customer).collect();
            apply_remap(keys, remap, &mut ids)
        }
    };
    match remap {
        Remap::None => Ok(()),
        Remap::Shift(s) => {
            for p in store.mem.iter_mut() {
                remap_part(keys, p)?;
            }
            if is_order {
                store.shift_orders(*s);
            } else {
                store.shift_customers(*s);
            }
            Ok(())
        }
        Remap::Table(_) if store.is_runs() => {
            // Runs stay where they are (nothing is spilled in runs).
            for p in store.mem.iter_mut() {
                remap_part(keys, p)?;
            }
            Ok(())
        }
        Remap::Rebase { .. } | Remap::Table(_) => {
            // Every line held is re-interned, and (customer ids) moved to the
            // partition of its new id: the lines in memory, then the spilled ones.
            // A store in runs turns hashed.
            let mem = store.take_all();
            let spilled = store.take_spill()?;
            let mut put_back = |keys: &mut Keys, mut part: Part| -> Result<()> {
                remap_part(keys, &mut part)?;
                store.push_part(&part, customers.unwrap_or(&*keys))
            };
            for part in mem {
                put_back(keys, part)?;
            }
            if let Some(spilled) = spilled {
                for p in 0..PARTITIONS {
                    spilled.blocks(p, |block| put_back(keys, block))?;
                }
            }
            Ok(())
        }
    }
}

/// Brings ids handed out before the last `intern_array` up to date (rare:
/// an integer range that grows downwards or turns sparse; strings out of order).
fn apply_remap(keys: &mut Keys, remap: &Remap, ids: &mut [&mut u32]) -> Result<()> {
    match *remap {
        Remap::None => {}
        Remap::Table(ref table) => ids
            .par_iter_mut()
            .for_each(|id| **id = table[**id as usize]),
        Remap::Shift(s) => ids.par_iter_mut().for_each(|id| **id += s),
        Remap::Rebase { lo } => {
            // Re-intern the distinct old ids that occur, in id order, then map every id.
            let mut old: Vec<u32> = ids.par_iter().map(|id| **id).collect();
            old.par_sort_unstable();
            old.dedup();
            let new = old
                .iter()
                .map(|&i| keys.intern_int_key(lo + i as i64))
                .collect::<Result<Vec<u32>>>()?;
            ids.par_iter_mut()
                .for_each(|id| **id = new[old.binary_search(&**id).expect("an old id")]);
        }
    }
    Ok(())
}

/// The amount of a row as text, for messages.
fn amount_text(amounts: &dyn Array, i: usize) -> String {
    arrow_cast::display::ArrayFormatter::try_new(amounts, &Default::default())
        .map(|f| f.value(i).to_string())
        .unwrap_or_default()
}

/// The error for an invalid row; `local` is its index in `dates`' batch.
fn row_error(
    names: &ColumnNames,
    reason: Reason,
    row: u64,
    value: String,
    dates: &dyn Array,
    local: usize,
    dkind: &DateKind,
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
        Reason::DateOutOfRange => CoreError::InvalidDate {
            column: names.date.clone(),
            row,
            reason: format!(
                "{} is outside the supported days 0001-01-01 to 9999-12-31",
                raw_date(dates, local, dkind)
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

fn raw_date(dates: &dyn Array, i: usize, kind: &DateKind) -> String {
    match kind {
        DateKind::Date32 => format!(
            "day {} after 1970-01-01",
            dates.as_primitive::<Date32Type>().value(i)
        ),
        DateKind::Date64 => format!(
            "{} ms after 1970-01-01",
            dates.as_primitive::<Date64Type>().value(i)
        ),
        DateKind::Naive { unit, .. } | DateKind::Zoned { unit, .. } => {
            format!(
                "timestamp {} ({unit:?}s after 1970-01-01)",
                timestamp_values(dates, unit)[i]
            )
        }
    }
}
