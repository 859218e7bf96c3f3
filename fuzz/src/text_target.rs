//! Dates and amounts written as text (I1, I6): any string, and well-formed
//! ones built from random parts. A date that is read is the date written; a
//! number that is read is the decimal written, to the millionth; a
//! well-formed number is never refused unless it is out of range.

use arbitrary::{Arbitrary, Unstructured};
use chrono::{Datelike, NaiveDate};
use custseg::ingest::text::{parse_amount, parse_day, TextError};
use custseg::periods::day_of;

#[derive(Arbitrary, Debug)]
enum Case {
    /// Any text.
    Raw(String),
    /// An ISO date with an optional time part and padding.
    Date {
        year: u16,
        month: u8,
        day: u8,
        time: Option<String>,
        pad: bool,
    },
    /// A decimal: sign, whole digits, fraction digits.
    Number {
        negative: bool,
        whole: u64,
        frac: Option<Vec<u8>>,
    },
}

pub fn run(data: &[u8]) {
    match Case::arbitrary(&mut Unstructured::new(data)) {
        Ok(Case::Raw(s)) => raw(&s),
        Ok(Case::Date {
            year,
            month,
            day,
            time,
            pad,
        }) => date(year, month, day, time, pad),
        Ok(Case::Number {
            negative,
            whole,
            frac,
        }) => number(negative, whole, frac),
        Err(_) => {}
    }
}

fn raw(s: &str) {
    if let Ok(d) = parse_day(s) {
        // Read only when the text starts with the ISO date of that day.
        let head = s.trim().get(..10).expect("ten bytes at least");
        let date = NaiveDate::parse_from_str(head, "%Y-%m-%d").expect("an ISO date");
        assert_eq!(day_of(date), d, "{s:?}");
    }
    if let Ok(v) = parse_amount(s) {
        let again = parse_amount(&millionths(v)).expect("its own text");
        assert_eq!(again, v, "{s:?}");
        let t = s.trim();
        if let Ok(f) = t.parse::<f64>() {
            assert!(
                (f - v as f64 / 1e6).abs() <= 1e-6 + f.abs() * 1e-15,
                "{s:?} read as {v}"
            );
        }
    }
}

/// `v` millionths as decimal text.
fn millionths(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let u = v.unsigned_abs();
    format!("{sign}{}.{:06}", u / 1_000_000, u % 1_000_000)
}

fn date(year: u16, month: u8, day: u8, time: Option<String>, pad: bool) {
    let Some(d) =
        NaiveDate::from_ymd_opt(i32::from(year % 10_000), u32::from(month), u32::from(day))
    else {
        return;
    };
    let mut s = format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    if let Some(t) = &time {
        s.push('T');
        s.push_str(t);
    }
    if pad {
        s = format!("  {s}\t");
    }
    match parse_day(&s) {
        Ok(v) => assert_eq!(v, day_of(d), "{s:?}"),
        Err(e) => {
            assert_eq!(e, TextError::Unparsable);
            assert!(time.is_some(), "a plain ISO date refused: {s:?}");
        }
    }
}

fn number(negative: bool, whole: u64, frac: Option<Vec<u8>>) {
    let digits: Option<String> = frac.map(|f| {
        f.iter()
            .take(30)
            .map(|b| char::from(b'0' + b % 10))
            .collect()
    });
    let s = format!(
        "{}{whole}{}",
        if negative { "-" } else { "" },
        digits.as_ref().map_or(String::new(), |d| format!(".{d}"))
    );
    // The exact value in millionths, rounded half away from zero, by integers.
    let fr = digits.unwrap_or_default();
    let six: String = fr.chars().chain(std::iter::repeat('0')).take(6).collect();
    let mut exact = i128::from(whole) * 1_000_000 + six.parse::<i128>().expect("digits");
    if fr.as_bytes().get(6).is_some_and(|&b| b >= b'5') {
        exact += 1;
    }
    if negative {
        exact = -exact;
    }
    match parse_amount(&s) {
        Ok(v) => assert_eq!(i128::from(v), exact, "{s:?}"),
        Err(TextError::OutOfRange) => assert!(i64::try_from(exact).is_err(), "{s:?} in range"),
        Err(e) => panic!("{s:?} refused: {e:?}"),
    }
}
