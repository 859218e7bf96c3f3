//! Random transaction tables as Arrow record batches: every accepted column
//! type (and some refused ones), nulls, invalid values, offsets, slices,
//! dictionaries and chunkings.

use std::sync::Arc;

use arbitrary::Arbitrary;
use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::{Int32Type, Int8Type};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Date64Array, Decimal128Array, DictionaryArray,
    Float32Array, Float64Array, Int32Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
    StringViewArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray, UInt32Array, UInt64Array, UInt8Array,
};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};

/// 2020-01-01 as days since 1970-01-01: the fuzzed dates sit around it.
pub const BASE_DAY: i32 = 18_262;

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum CustomerType {
    Int64,
    Int32,
    UInt8,
    UInt64,
    Utf8,
    LargeUtf8,
    Utf8View,
    DictInt8Utf8,
    DictInt32Int64,
    /// Refused (I4): a clear error, whatever the rows.
    Float64,
    /// Cast from the 64-bit ids (values that do not fit become nulls).
    Int8,
    Int16,
    UInt16,
    UInt32,
    DictInt16LargeUtf8,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum DateType {
    Date32,
    Date64,
    Second,
    Milli,
    Micro,
    Nano,
    NanoUtc,
    MicroFixedOffset,
    MilliAmsterdam,
    Text,
    /// Refused: a clear error.
    Int32,
    LargeText,
    ViewText,
    SecondTokyo,
    MicroMinus3,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum AmountType {
    Float64,
    Float32,
    Int64,
    UInt32,
    Decimal {
        scale: u8,
    },
    Text,
    /// Refused: a clear error.
    Boolean,
    /// Cast from the float, integer, decimal or text amounts.
    Float16,
    Int8,
    Int16,
    UInt64,
    Decimal32 {
        scale: u8,
    },
    Decimal64 {
        scale: u8,
    },
    Decimal256 {
        scale: u8,
    },
    LargeText,
    ViewText,
}

/// One input row: `None` is a null; `odd` picks unusual values (huge ids,
/// far dates, NaN, unparsable text).
#[derive(Arbitrary, Debug, Clone)]
pub struct Row {
    pub customer: Option<i16>,
    pub day: Option<i16>,
    pub amount: Option<i32>,
    pub order: Option<u8>,
    pub odd: u8,
}

/// A table: its column types, its rows and how they arrive.
#[derive(Arbitrary, Debug, Clone)]
pub struct Table {
    pub customer: CustomerType,
    pub date: DateType,
    pub amount: AmountType,
    /// An order column (string or integer ids).
    pub order: Option<bool>,
    pub rows: Vec<Row>,
    /// Leading rows sliced off every column (non-zero array offsets).
    pub offset: u8,
    /// Batch lengths, cycled (0 means 1).
    pub chunks: Vec<u8>,
}

impl Table {
    /// The schema of the table's columns `c`, `d`, `a` (and `o`).
    pub fn schema(&self) -> SchemaRef {
        let mut fields = vec![
            Field::new("c", customer_type(self.customer), true),
            Field::new("d", date_type(self.date), true),
            Field::new("a", amount_type(self.amount), true),
        ];
        if let Some(text) = self.order {
            let dt = if text {
                DataType::Utf8
            } else {
                DataType::Int64
            };
            fields.push(Field::new("o", dt, true));
        }
        Arc::new(Schema::new(fields))
    }

    /// The whole table as one batch without offsets: the plain path.
    pub fn one_batch(&self) -> RecordBatch {
        let columns = self.columns(&self.rows);
        RecordBatch::try_new(self.schema(), columns).expect("columns of the schema")
    }

    /// The same rows with offsets and in the table's chunks.
    pub fn batches(&self) -> Vec<Result<RecordBatch, ArrowError>> {
        let pad = usize::from(self.offset % 8);
        let mut rows: Vec<Row> = self.rows.iter().take(pad).cloned().collect();
        rows.resize(pad, self.rows.first().cloned().unwrap_or(ODD_ROW));
        rows.extend(self.rows.iter().cloned());
        let padded: Vec<ArrayRef> = self.columns(&rows);
        let columns: Vec<ArrayRef> = padded
            .iter()
            .map(|c| c.slice(pad, self.rows.len()))
            .collect();
        let whole = RecordBatch::try_new(self.schema(), columns).expect("columns of the schema");
        let mut out = vec![];
        let (mut at, mut k) = (0, 0);
        while at < whole.num_rows() {
            let len = self
                .chunks
                .get(k)
                .map_or(whole.num_rows(), |&c| usize::from(c.max(1)));
            let len = len.min(whole.num_rows() - at);
            out.push(Ok(whole.slice(at, len)));
            at += len;
            k = (k + 1) % self.chunks.len().max(1);
        }
        out
    }

    fn columns(&self, rows: &[Row]) -> Vec<ArrayRef> {
        let mut cols = vec![
            customers(self.customer, rows),
            dates(self.date, rows),
            amounts(self.amount, rows),
        ];
        if let Some(text) = self.order {
            cols.push(orders(text, rows));
        }
        cols
    }
}

const ODD_ROW: Row = Row {
    customer: None,
    day: None,
    amount: None,
    order: None,
    odd: 0,
};

fn customer_type(t: CustomerType) -> DataType {
    use CustomerType::*;
    let dict = |k: DataType, v: DataType| DataType::Dictionary(Box::new(k), Box::new(v));
    match t {
        Int64 => DataType::Int64,
        Int32 => DataType::Int32,
        UInt8 => DataType::UInt8,
        UInt64 => DataType::UInt64,
        Utf8 => DataType::Utf8,
        LargeUtf8 => DataType::LargeUtf8,
        Utf8View => DataType::Utf8View,
        DictInt8Utf8 => dict(DataType::Int8, DataType::Utf8),
        DictInt32Int64 => dict(DataType::Int32, DataType::Int64),
        Float64 => DataType::Float64,
        Int8 => DataType::Int8,
        Int16 => DataType::Int16,
        UInt16 => DataType::UInt16,
        UInt32 => DataType::UInt32,
        DictInt16LargeUtf8 => dict(DataType::Int16, DataType::LargeUtf8),
    }
}

fn date_type(t: DateType) -> DataType {
    use arrow_schema::TimeUnit as U;
    use DateType::*;
    match t {
        Date32 => DataType::Date32,
        Date64 => DataType::Date64,
        Second => DataType::Timestamp(U::Second, None),
        Milli => DataType::Timestamp(U::Millisecond, None),
        Micro => DataType::Timestamp(U::Microsecond, None),
        Nano => DataType::Timestamp(U::Nanosecond, None),
        NanoUtc => DataType::Timestamp(U::Nanosecond, Some("UTC".into())),
        MicroFixedOffset => DataType::Timestamp(U::Microsecond, Some("+05:30".into())),
        MilliAmsterdam => DataType::Timestamp(U::Millisecond, Some("Europe/Amsterdam".into())),
        Text => DataType::Utf8,
        Int32 => DataType::Int32,
        LargeText => DataType::LargeUtf8,
        ViewText => DataType::Utf8View,
        SecondTokyo => DataType::Timestamp(U::Second, Some("Asia/Tokyo".into())),
        MicroMinus3 => DataType::Timestamp(U::Microsecond, Some("-03:00".into())),
    }
}

fn amount_type(t: AmountType) -> DataType {
    match t {
        AmountType::Float64 => DataType::Float64,
        AmountType::Float32 => DataType::Float32,
        AmountType::Int64 => DataType::Int64,
        AmountType::UInt32 => DataType::UInt32,
        AmountType::Decimal { scale } => DataType::Decimal128(38, (scale % 12) as i8),
        AmountType::Text => DataType::Utf8,
        AmountType::Boolean => DataType::Boolean,
        AmountType::Float16 => DataType::Float16,
        AmountType::Int8 => DataType::Int8,
        AmountType::Int16 => DataType::Int16,
        AmountType::UInt64 => DataType::UInt64,
        AmountType::Decimal32 { scale } => DataType::Decimal32(9, (scale % 6) as i8),
        AmountType::Decimal64 { scale } => DataType::Decimal64(18, (scale % 9) as i8),
        AmountType::Decimal256 { scale } => DataType::Decimal256(76, (scale % 20) as i8),
        AmountType::LargeText => DataType::LargeUtf8,
        AmountType::ViewText => DataType::Utf8View,
    }
}

/// `array` cast to `to` (values that do not fit become nulls: Arrow's safe cast).
fn cast_to(array: ArrayRef, to: &DataType) -> ArrayRef {
    arrow_cast::cast(&array, to).expect("a cast Arrow supports")
}

/// A customer's integer id: small, or huge and sparse when `odd` says so.
fn int_id(c: i16, odd: u8) -> i64 {
    match odd % 8 {
        0 => i64::from(c) * 1_000_000_007,
        1 => i64::MIN + i64::from(c.unsigned_abs()),
        _ => i64::from(c),
    }
}

/// A customer's string id, of a length on either side of the 15 bytes kept
/// inline, empty, or not ASCII.
fn str_id(c: i16, odd: u8) -> String {
    match odd % 8 {
        0 => format!("{c:015}"),
        1 => format!("{c:016}"),
        2 => format!("{c:0>40}@example.com"),
        3 if c == 0 => String::new(),
        4 => format!("klant-ü{c}"),
        _ => format!("C{c}"),
    }
}

fn customers(t: CustomerType, rows: &[Row]) -> ArrayRef {
    use CustomerType::*;
    let ints = || rows.iter().map(|r| r.customer.map(|c| int_id(c, r.odd)));
    let strs = || rows.iter().map(|r| r.customer.map(|c| str_id(c, r.odd)));
    match t {
        Int64 => Arc::new(Int64Array::from_iter(ints())),
        Int32 => Arc::new(Int32Array::from_iter(
            rows.iter().map(|r| r.customer.map(i32::from)),
        )),
        UInt8 => Arc::new(UInt8Array::from_iter(
            rows.iter().map(|r| r.customer.map(|c| c as u8)),
        )),
        UInt64 => Arc::new(UInt64Array::from_iter(ints().map(|v| v.map(|v| v as u64)))),
        Utf8 => Arc::new(StringArray::from_iter(strs())),
        LargeUtf8 => Arc::new(LargeStringArray::from_iter(strs())),
        Utf8View => Arc::new(StringViewArray::from_iter(strs())),
        DictInt8Utf8 => {
            let mut b = StringDictionaryBuilder::<Int8Type>::new();
            for v in strs() {
                // Past 128 distinct values an Int8 key overflows: a null instead.
                match v {
                    Some(s) if b.append(s.clone()).is_ok() => {}
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        DictInt32Int64 => {
            let values = Int64Array::from_iter_values(ints().flatten());
            let mut next = 0;
            let keys = Int32Array::from_iter(rows.iter().map(|r| {
                r.customer.map(|_| {
                    next += 1;
                    next - 1
                })
            }));
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)).expect("keys"))
        }
        Float64 => Arc::new(Float64Array::from_iter(
            rows.iter().map(|r| r.customer.map(f64::from)),
        )),
        Int8 | Int16 | UInt16 | UInt32 => {
            cast_to(Arc::new(Int64Array::from_iter(ints())), &customer_type(t))
        }
        DictInt16LargeUtf8 => cast_to(Arc::new(StringArray::from_iter(strs())), &customer_type(t)),
    }
}

/// A row's day: near 2020, or (when `odd` says) far out of any calendar.
fn day(d: i16, odd: u8) -> i32 {
    match odd / 8 % 8 {
        0 => i32::from(d) * 5_000,
        _ => BASE_DAY + i32::from(d % 2_000),
    }
}

fn dates(t: DateType, rows: &[Row]) -> ArrayRef {
    use DateType::*;
    let days = || rows.iter().map(|r| r.day.map(|d| day(d, r.odd)));
    // Seconds into the day: late evening, so that zones move some rows a day.
    let secs = |r: &Row| i64::from(r.odd) * 337;
    let ts = |per_sec: i64| {
        rows.iter().map(move |r| {
            r.day
                .map(|d| (i64::from(day(d, r.odd)) * 86_400 + secs(r)).saturating_mul(per_sec))
        })
    };
    match t {
        Date32 => Arc::new(Date32Array::from_iter(days())),
        Date64 => Arc::new(Date64Array::from_iter(
            days().map(|d| d.map(|d| i64::from(d) * 86_400_000)),
        )),
        Second => Arc::new(TimestampSecondArray::from_iter(ts(1))),
        Milli => Arc::new(TimestampMillisecondArray::from_iter(ts(1_000))),
        Micro => Arc::new(TimestampMicrosecondArray::from_iter(ts(1_000_000))),
        Nano => Arc::new(TimestampNanosecondArray::from_iter(ts(1_000_000_000))),
        NanoUtc => {
            Arc::new(TimestampNanosecondArray::from_iter(ts(1_000_000_000)).with_timezone("UTC"))
        }
        MicroFixedOffset => {
            Arc::new(TimestampMicrosecondArray::from_iter(ts(1_000_000)).with_timezone("+05:30"))
        }
        MilliAmsterdam => Arc::new(
            TimestampMillisecondArray::from_iter(ts(1_000)).with_timezone("Europe/Amsterdam"),
        ),
        Text => Arc::new(StringArray::from_iter(rows.iter().map(date_text))),
        Int32 => Arc::new(Int32Array::from_iter(days())),
        LargeText | ViewText => cast_to(dates(Text, rows), &date_type(t)),
        SecondTokyo => Arc::new(TimestampSecondArray::from_iter(ts(1)).with_timezone("Asia/Tokyo")),
        MicroMinus3 => {
            Arc::new(TimestampMicrosecondArray::from_iter(ts(1_000_000)).with_timezone("-03:00"))
        }
    }
}

/// A date as text: ISO forms, and some that are not dates.
fn date_text(r: &Row) -> Option<String> {
    let d = r.day?;
    let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?
        .checked_add_signed(chrono::Duration::days(i64::from(day(d, r.odd))));
    let iso = date.map_or_else(|| "+275760-01-01".to_string(), |d| d.to_string());
    Some(match r.odd % 8 {
        0 => format!("{iso}T23:59:59+14:00"),
        1 => format!(" {iso} 08:15:00.125Z "),
        2 => iso.replace('-', "/"),
        3 => format!("{iso}T25:00"),
        4 => "2021-02-29".into(),
        _ => iso,
    })
}

fn amounts(t: AmountType, rows: &[Row]) -> ArrayRef {
    let cents = || rows.iter().map(|r| r.amount.map(|a| (a, r.odd)));
    match t {
        AmountType::Float64 => Arc::new(Float64Array::from_iter(cents().map(|v| v.map(float)))),
        AmountType::Float32 => Arc::new(Float32Array::from_iter(
            cents().map(|v| v.map(|v| float(v) as f32)),
        )),
        AmountType::Int64 => Arc::new(Int64Array::from_iter(cents().map(|v| {
            v.map(|(a, odd)| {
                if odd % 16 == 15 {
                    i64::MAX.wrapping_sub(i64::from(a))
                } else {
                    i64::from(a)
                }
            })
        }))),
        AmountType::UInt32 => Arc::new(UInt32Array::from_iter(
            cents().map(|v| v.map(|(a, _)| a as u32)),
        )),
        AmountType::Decimal { scale } => {
            let values = cents().map(|v| {
                v.map(|(a, odd)| {
                    if odd % 16 == 15 {
                        i128::MAX / 3
                    } else {
                        i128::from(a)
                    }
                })
            });
            Arc::new(
                Decimal128Array::from_iter(values)
                    .with_precision_and_scale(38, (scale % 12) as i8)
                    .expect("a valid decimal type"),
            )
        }
        AmountType::Text => Arc::new(StringArray::from_iter(cents().map(|v| v.map(amount_text)))),
        AmountType::Boolean => Arc::new(BooleanArray::from_iter(
            cents().map(|v| v.map(|(a, _)| a > 0)),
        )),
        AmountType::Float16 => cast_to(amounts(AmountType::Float64, rows), &amount_type(t)),
        AmountType::Int8 | AmountType::Int16 | AmountType::UInt64 => {
            cast_to(amounts(AmountType::Int64, rows), &amount_type(t))
        }
        AmountType::Decimal32 { scale }
        | AmountType::Decimal64 { scale }
        | AmountType::Decimal256 { scale } => cast_to(
            amounts(AmountType::Decimal { scale }, rows),
            &amount_type(t),
        ),
        AmountType::LargeText | AmountType::ViewText => {
            cast_to(amounts(AmountType::Text, rows), &amount_type(t))
        }
    }
}

/// An amount in cents as a float; NaN, infinities and huge values when `odd` says.
fn float((cents, odd): (i32, u8)) -> f64 {
    match odd % 16 {
        12 => f64::NAN,
        13 => f64::INFINITY,
        14 => -1e300,
        15 => 9.3e12 * f64::from(cents.signum()),
        _ => f64::from(cents) / 100.0,
    }
}

/// An amount as text: decimals of many forms, and some that are not numbers.
fn amount_text((cents, odd): (i32, u8)) -> String {
    let plain = format!("{}.{:02}", cents / 100, (cents % 100).unsigned_abs());
    match odd % 16 {
        10 => format!(" {plain} "),
        11 => format!("{cents}.1234565"),
        12 => "NaN".into(),
        13 => "1e5".into(),
        14 => "99999999999999999999".into(),
        15 => format!("{cents},50"),
        _ => plain,
    }
}

fn orders(text: bool, rows: &[Row]) -> ArrayRef {
    // Orders are numbered per customer so that one order never spans two customers.
    let id = |r: &Row| {
        r.order
            .map(|o| i64::from(r.customer.unwrap_or(0)) * 256 + i64::from(o))
    };
    if text {
        Arc::new(StringArray::from_iter(
            rows.iter().map(|r| id(r).map(|o| format!("INV-{o:08}"))),
        ))
    } else {
        Arc::new(Int64Array::from_iter(rows.iter().map(id)))
    }
}
