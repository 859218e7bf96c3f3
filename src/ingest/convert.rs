//! Column conversion (rules I1, I4, I6): dates to days, amounts to
//! millionths, straight from the Arrow buffers, in chunks converted in
//! parallel. Invalid rows are listed (row, reason), never guessed.

use std::str::FromStr;

use arrow_array::cast::AsArray;
use arrow_array::timezone::Tz;
use arrow_array::types::*;
use arrow_array::{Array, ArrowPrimitiveType};
use arrow_schema::{DataType, TimeUnit};
use chrono::{Offset, TimeZone};

use super::invalid::{unsupported, Bad, Reason, AMOUNT_TYPES, DATE_TYPES};
use super::text::{each_text, is_text, parse_amount, parse_day, text_at, TextError};
use crate::error::{CoreError, Result};
use crate::money;
use crate::periods::day_of;

/// How dates of one column map to days (rule I1).
#[derive(Debug, Clone)]
pub(super) enum DateKind {
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
    /// ISO-8601 text: the day as written (I1).
    Text,
}

pub(super) fn date_kind(name: &str, dt: &DataType) -> Result<DateKind> {
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
        dt if is_text(dt) => DateKind::Text,
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

/// Lists the null rows of `array` with `reason`.
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

pub(super) fn convert_dates(
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
                push(out, i, zoned_day(v, *per_sec, tz, *fixed));
            }
        }
        DateKind::Text => {
            // Read apart, then checked like every other day.
            let mut days = Vec::with_capacity(array.len());
            let mut unparsable = Vec::new();
            each_text(array, |i, t| match parse_day(t) {
                Ok(d) => days.push((i, d)),
                Err(_) => unparsable.push(i),
            });
            for (i, d) in days {
                push(out, i, Some(i64::from(d)));
            }
            bad.extend(unparsable.into_iter().map(|i| (i, Reason::UnparsableDate)));
        }
    }
}

/// I1: the calendar day, in zone `tz`, of a timestamp of `per_sec` units a
/// second (`fixed`: the zone's offset in seconds when it never changes).
fn zoned_day(v: i64, per_sec: i64, tz: &Tz, fixed: Option<i64>) -> Option<i64> {
    let secs = v.div_euclid(per_sec);
    let offset = match fixed {
        Some(o) => o,
        None => {
            let t = chrono::DateTime::from_timestamp(secs, 0)?.naive_utc();
            tz.offset_from_utc_datetime(&t).fix().local_minus_utc() as i64
        }
    };
    Some((secs + offset).div_euclid(86_400))
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

pub(super) fn check_amount_type(name: &str, dt: &DataType) -> Result<()> {
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
        dt if is_text(dt) => Ok(()),
        other => Err(unsupported(name, "amount", other, AMOUNT_TYPES)),
    }
}

/// Converts amounts to millionths (I6); bad rows are listed in `bad`.
pub(super) fn convert_amounts(array: &dyn Array, out: &mut [i64], bad: &mut Bad) -> Result<()> {
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
                cast = arrow_cast::cast(array, &Float64).map_err(CoreError::reading)?;
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
                cast = arrow_cast::cast(array, &Int64).map_err(CoreError::reading)?;
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
                cast = arrow_cast::cast(array, &Decimal128(38, s)).map_err(CoreError::reading)?;
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
        Utf8 | LargeUtf8 | Utf8View => {
            let mut parsed = Vec::with_capacity(array.len());
            each_text(array, |i, t| parsed.push((i, parse_amount(t))));
            for (i, m) in parsed {
                match m {
                    Ok(m) => out[i] = m,
                    Err(TextError::Unparsable) => push(out, i, None, Reason::UnparsableAmount),
                    Err(TextError::OutOfRange) => push(out, i, None, Reason::AmountOutOfRange),
                }
            }
        }
        dt => {
            return Err(CoreError::Internal(format!(
                "amounts of type {dt} passed check_amount_type"
            )))
        }
    }
    Ok(())
}

/// A date of the input as written, for messages.
pub(super) fn raw_date(dates: &dyn Array, i: usize, kind: &DateKind) -> String {
    match kind {
        DateKind::Text => format!("{:?}", text_at(dates, i)),
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
