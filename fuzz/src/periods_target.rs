//! Period calendars (P1) and the period of a day (P2): random regular
//! calendars and explicit boundaries, random days anywhere on the calendar.
//! A day lies in its period, a period's start lies in it, the starts between
//! two days are every start there in order, and the precomputed day table
//! agrees with the calendar.

use arbitrary::{Arbitrary, Unstructured};
use chrono::NaiveDate;
use custseg::periods::{DayTable, Periods};

#[derive(Arbitrary, Debug)]
enum Calendar {
    Regular {
        months: u8,
        year: i16,
        month: u8,
        dom: u8,
    },
    Annual(i8),
    Semiannual(i8),
    Quarterly(i8),
    Monthly,
    /// Boundaries from a first day and gaps (not always increasing).
    Boundaries {
        first: i32,
        gaps: Vec<i16>,
    },
}

#[derive(Arbitrary, Debug)]
struct Case {
    calendar: Calendar,
    days: Vec<i32>,
    /// A day table from `days[0]` of this many days.
    table_len: u16,
}

pub fn run(data: &[u8]) {
    let Ok(case) = Case::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    if std::env::var_os("CUSTSEG_FUZZ_DEBUG").is_some() {
        eprintln!("{case:?}");
    }
    let Some(p) = calendar(&case.calendar) else {
        return;
    };
    let _ = p.describe();
    for &d in case.days.iter().take(64) {
        day_in_its_period(&p, d);
    }
    for w in case.days.windows(2).take(8) {
        starts_between(&p, w[0].min(w[1]), w[0].max(w[1]));
    }
    if let Some(&lo) = case.days.first() {
        day_table(&p, lo, lo.saturating_add(i32::from(case.table_len % 4_000)));
    }
}

/// The fuzzed calendar, or `None` when the constructor refuses it (with an
/// error message that names the rule, checked here).
fn calendar(c: &Calendar) -> Option<Periods> {
    let made = match c {
        Calendar::Regular {
            months,
            year,
            month,
            dom,
        } => {
            let anchor = NaiveDate::from_ymd_opt(
                i32::from(*year),
                u32::from(*month % 13),
                u32::from(*dom % 32),
            )?;
            Periods::regular(u32::from(*months), anchor)
        }
        Calendar::Annual(m) => Periods::annual(i64::from(*m)),
        Calendar::Semiannual(m) => Periods::semiannual(i64::from(*m)),
        Calendar::Quarterly(m) => Periods::quarterly(i64::from(*m)),
        Calendar::Monthly => Periods::monthly(),
        Calendar::Boundaries { first, gaps } => {
            let mut days = vec![*first];
            for g in gaps.iter().take(200) {
                days.push(days.last().expect("one day").saturating_add(i32::from(*g)));
            }
            Periods::boundaries(days)
        }
    };
    match made {
        Ok(p) => Some(p),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            None
        }
    }
}

fn day_in_its_period(p: &Periods, d: i32) {
    let Some(i) = p.index(d) else {
        assert_eq!(p.period_start(d), None);
        return;
    };
    let Some(s) = p.start(i) else {
        return; // a start off the calendar (chrono's range): nothing more to check
    };
    assert!(s <= d, "day {d} before its period's start {s}");
    assert_eq!(
        p.index(s),
        Some(i),
        "the start {s} of period {i} is in another period"
    );
    assert_eq!(p.period_start(d), Some(s));
    if let Some(next) = i.checked_add(1).and_then(|n| p.start(n)) {
        assert!(
            next > d,
            "day {d} at or after the next period's start {next}"
        );
    }
}

fn starts_between(p: &Periods, a: i32, b: i32) {
    // Bounded work: a wide range of a monthly calendar has many starts.
    if i64::from(b) - i64::from(a) > 200_000 {
        return;
    }
    let starts = p.starts_between(a, b);
    for w in starts.windows(2) {
        assert!(w[0] < w[1], "starts out of order: {starts:?}");
        let (i, j) = (
            p.index(w[0]).expect("a start"),
            p.index(w[1]).expect("a start"),
        );
        assert_eq!(
            j,
            i + 1,
            "a period start missing between {} and {}",
            w[0],
            w[1]
        );
    }
    for &s in &starts {
        assert!(a <= s && s <= b, "start {s} outside [{a}, {b}]");
        assert_eq!(p.period_start(s), Some(s), "{s} is not a period start");
    }
    if let Some(&first) = starts.first() {
        // The period before the first start listed begins before `a`.
        let i = p.index(first).expect("a start");
        if let Some(prev) = i.checked_sub(1).and_then(|k| p.start(k)) {
            assert!(prev < a, "start {prev} in [{a}, {b}] not listed");
        }
    }
}

fn day_table(p: &Periods, lo: i32, as_of: i32) {
    let Some(t) = DayTable::new(p, lo, as_of) else {
        return;
    };
    for d in lo..as_of {
        assert_eq!(
            Some(t.index(d)),
            p.index(d),
            "day table disagrees on day {d}"
        );
        assert_eq!(t.age(d), t.p0() - t.index(d));
    }
    assert_eq!(Some(t.p0()), p.index(as_of));
}
