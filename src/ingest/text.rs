//! Dates and amounts written as text, as analysts often hold them (a CSV read
//! with pandas, a string column of a database export): ISO-8601 dates and
//! date-times (rule I1: the calendar day as written, whatever the offset), and
//! decimal numbers parsed exactly to millionths (rule I6).

use arrow_array::cast::AsArray;
use arrow_array::Array;
use arrow_schema::DataType;

use crate::money::SCALE;
use crate::periods::day_of;

/// Why a text could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    /// Not a date (or a number) in the accepted form.
    Unparsable,
    /// A number outside the fixed-point range (I6).
    OutOfRange,
}

/// The day of an ISO-8601 date (`2024-03-01`) or date-time (`2024-03-01T14:30`,
/// `2024-03-01 14:30:15.25`, with `Z` or an offset such as `+01:00`): I1, a
/// timestamp counts on its calendar day in its own zone, which is the date as
/// written. Surrounding white space is ignored.
pub fn parse_day(text: &str) -> Result<i32, TextError> {
    let s = text.trim().as_bytes();
    if s.len() < 10 || s[4] != b'-' || s[7] != b'-' {
        return Err(TextError::Unparsable);
    }
    let (y, m, d) = (digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?);
    let date = chrono::NaiveDate::from_ymd_opt(y as i32, m, d).ok_or(TextError::Unparsable)?;
    match s.get(10) {
        None => {}
        Some(b'T' | b't' | b' ') => check_time(&s[11..])?,
        Some(_) => return Err(TextError::Unparsable),
    }
    Ok(day_of(date))
}

/// A number of ASCII digits.
fn digits(s: &[u8]) -> Result<u32, TextError> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return Err(TextError::Unparsable);
    }
    Ok(s.iter().fold(0, |n, &b| n * 10 + u32::from(b - b'0')))
}

/// `HH:MM[:SS[.fraction]]` then nothing, `Z`, or an offset `+HH[:MM]` / `-HH[:MM]`.
fn check_time(s: &[u8]) -> Result<(), TextError> {
    if s.len() < 5 || s[2] != b':' || digits(&s[0..2])? > 23 || digits(&s[3..5])? > 59 {
        return Err(TextError::Unparsable);
    }
    let mut rest = &s[5..];
    if rest.first() == Some(&b':') {
        if rest.len() < 3 || digits(&rest[1..3])? > 60 {
            return Err(TextError::Unparsable);
        }
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return Err(TextError::Unparsable);
            }
            rest = &rest[1 + n..];
        }
    }
    match rest {
        [] | [b'Z' | b'z'] => Ok(()),
        [b'+' | b'-', h @ ..] => {
            let ok = match h {
                [a, b] => digits(&[*a, *b])? <= 23,
                [a, b, b':', c, d] | [a, b, c, d] => {
                    digits(&[*a, *b])? <= 23 && digits(&[*c, *d])? <= 59
                }
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(TextError::Unparsable)
            }
        }
        _ => Err(TextError::Unparsable),
    }
}

/// A decimal number (`12.50`, `-3`, `+0.5`, `.75`) in millionths, exactly;
/// more than six decimals are rounded half away from zero, as for decimal
/// columns (I6). Surrounding white space is ignored; no exponent, no
/// thousands separator, no decimal comma.
pub fn parse_amount(text: &str) -> Result<i64, TextError> {
    let s = text.trim().as_bytes();
    let (negative, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (whole, frac) = match s.iter().position(|&b| b == b'.') {
        Some(p) => (&s[..p], &s[p + 1..]),
        None => (s, &s[s.len()..]),
    };
    let all_digits = |p: &[u8]| p.iter().all(u8::is_ascii_digit);
    if whole.len() + frac.len() == 0 || !all_digits(whole) || !all_digits(frac) {
        return Err(TextError::Unparsable);
    }
    let mut units: i128 = 0;
    for &b in whole {
        units = units * 10 + i128::from(b - b'0');
        if units > i128::from(i64::MAX) {
            return Err(TextError::OutOfRange);
        }
    }
    let mut millionths = units * i128::from(SCALE);
    let mut scale = i128::from(SCALE);
    for &b in frac.iter().take(6) {
        scale /= 10;
        millionths += i128::from(b - b'0') * scale;
    }
    if frac.get(6).is_some_and(|&b| b >= b'5') {
        millionths += 1; // half away from zero (the sign comes below)
    }
    let signed = if negative { -millionths } else { millionths };
    i64::try_from(signed).map_err(|_| TextError::OutOfRange)
}

/// Whether `dt` is a string type this module reads.
pub(super) fn is_text(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// Calls `f(row, text)` for every non-null row of a string column.
pub(super) fn each_text(array: &dyn Array, mut f: impl FnMut(usize, &str)) {
    let nulls = array.logical_nulls();
    let valid = |i: usize| nulls.as_ref().is_none_or(|n| n.is_valid(i));
    match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            (0..a.len())
                .filter(|&i| valid(i))
                .for_each(|i| f(i, a.value(i)));
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            (0..a.len())
                .filter(|&i| valid(i))
                .for_each(|i| f(i, a.value(i)));
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            (0..a.len())
                .filter(|&i| valid(i))
                .for_each(|i| f(i, a.value(i)));
        }
        _ => {}
    }
}

/// The text of row `i` of a string column (for messages).
pub(super) fn text_at(array: &dyn Array, i: usize) -> String {
    let mut out = String::new();
    each_text(&array.slice(i, 1), |_, t| out = t.to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::periods::parse_day as iso;

    #[test]
    fn i1_iso_dates_and_date_times_count_on_the_day_as_written() {
        let day = iso("2024-03-01").unwrap();
        for text in [
            "2024-03-01",
            " 2024-03-01 ",
            "2024-03-01T23:59",
            "2024-03-01 00:00:00",
            "2024-03-01T23:30:00.123456+01:00",
            "2024-03-01T23:30:00Z",
            "2024-03-01T01:30:00-0500",
            "2024-03-01T01:30:00+05",
        ] {
            assert_eq!(parse_day(text), Ok(day), "{text:?}");
        }
        for text in [
            "",
            "2024-3-1",
            "01/03/2024",
            "2024-02-30",
            "2024-03-01T24:00",
            "2024-03-01T12",
            "2024-03-01T12:00:00.",
            "2024-03-01X",
            "2024-03-01T12:00+25:00",
            "abcd-ef-gh",
        ] {
            assert_eq!(parse_day(text), Err(TextError::Unparsable), "{text:?}");
        }
    }

    #[test]
    fn i6_decimal_text_is_exact() {
        assert_eq!(parse_amount("17.60"), Ok(17_600_000));
        assert_eq!(parse_amount("-23.27"), Ok(-23_270_000));
        assert_eq!(parse_amount(" +5 "), Ok(5_000_000));
        assert_eq!(parse_amount(".75"), Ok(750_000));
        assert_eq!(parse_amount("3."), Ok(3_000_000));
        assert_eq!(parse_amount("0.0000005"), Ok(1), "half away from zero");
        assert_eq!(parse_amount("-0.0000005"), Ok(-1));
        assert_eq!(parse_amount("0.0000004999"), Ok(0));
        assert_eq!(parse_amount("9223372036854.775807"), Ok(i64::MAX));
        assert_eq!(parse_amount("9223372036855"), Err(TextError::OutOfRange));
        assert_eq!(
            parse_amount("99999999999999999999999"),
            Err(TextError::OutOfRange)
        );
        for text in ["", "-", ".", "12,50", "1e3", "1 000", "abc", "1.2.3", "NaN"] {
            assert_eq!(parse_amount(text), Err(TextError::Unparsable), "{text:?}");
        }
    }
}
