//! Rules P1 and P2: period calendars and the age of a day.
//!
//! Days are counted as `i32` days since 1970-01-01 (the Arrow `date32` unit).

use chrono::{Datelike, NaiveDate};

use crate::error::{CoreError, Result};

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const EPOCH_FROM_CE: i32 = 719_163;

/// The calendar date of a day number.
#[inline]
pub fn date_of(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day.checked_add(EPOCH_FROM_CE)?)
}

/// The day number of a calendar date.
#[inline]
pub fn day_of(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_FROM_CE
}

/// Parses an ISO date (`YYYY-MM-DD`) to a day number.
pub fn parse_day(s: &str) -> Option<i32> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .map(day_of)
}

/// A period calendar (rule P1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Periods {
    /// Periods of `months` whole months; boundaries are `anchor + k * months` for every integer k.
    Regular {
        /// 1, 2, 3, 4, 6 or 12.
        months: u32,
        /// Months since year 0 of the anchor (`year * 12 + month - 1`).
        anchor_month: i32,
        /// The anchor's day of the month, 1..=28.
        anchor_dom: u32,
    },
    /// Explicit boundaries, strictly increasing: period i is `[b[i], b[i+1])`, the last is open-ended.
    Boundaries(Vec<i32>),
}

impl Periods {
    /// A regular calendar of `months` months anchored at `anchor` (rule P1).
    pub fn regular(months: u32, anchor: NaiveDate) -> Result<Self> {
        if ![1, 2, 3, 4, 6, 12].contains(&months) {
            return Err(CoreError::Periods(format!(
                "months must be one of 1, 2, 3, 4, 6, 12, got {months}{}",
                if months == 0 {
                    " (or a negative number)"
                } else {
                    ""
                }
            )));
        }
        if anchor.day() > 28 {
            return Err(CoreError::Periods(format!(
                "the anchor's day of the month must be 1 to 28, got {anchor} (day {})",
                anchor.day()
            )));
        }
        Ok(Periods::Regular {
            months,
            anchor_month: anchor.year() * 12 + anchor.month0() as i32,
            anchor_dom: anchor.day(),
        })
    }

    /// P1's shortcut: years starting on the first day of `start_month`.
    pub fn annual(start_month: i64) -> Result<Self> {
        Self::regular(12, start_month_anchor(start_month)?)
    }

    /// P1's shortcut: two seasons a year, the first starting on the first day
    /// of `start_month` (a fashion retailer typically uses 2 or 8).
    pub fn semiannual(start_month: i64) -> Result<Self> {
        Self::regular(6, start_month_anchor(start_month)?)
    }

    /// P1's shortcut: quarters, one starting on the first day of `start_month`.
    pub fn quarterly(start_month: i64) -> Result<Self> {
        Self::regular(3, start_month_anchor(start_month)?)
    }

    /// P1's shortcut: calendar months.
    pub fn monthly() -> Result<Self> {
        Self::regular(1, start_month_anchor(1)?)
    }

    /// A calendar of explicit boundary days (rule P1).
    pub fn boundaries(days: Vec<i32>) -> Result<Self> {
        if days.is_empty() {
            return Err(CoreError::Periods(
                "from_boundaries needs at least one boundary day".into(),
            ));
        }
        if let Some(w) = days.windows(2).find(|w| w[0] >= w[1]) {
            return Err(CoreError::Periods(format!(
                "boundaries must be strictly increasing, got {} then {}",
                fmt_day(w[0]),
                fmt_day(w[1])
            )));
        }
        Ok(Periods::Boundaries(days))
    }

    /// The index of the period containing `day`, or `None` for a day before
    /// the first explicit boundary (or outside the calendar).
    #[inline]
    pub fn index(&self, day: i32) -> Option<i32> {
        match self {
            Periods::Regular {
                months,
                anchor_month,
                anchor_dom,
            } => {
                let d = date_of(day)?;
                let mut m = d.year() * 12 + d.month0() as i32;
                if d.day() < *anchor_dom {
                    m -= 1;
                }
                Some((m - anchor_month).div_euclid(*months as i32))
            }
            Periods::Boundaries(b) => {
                let i = b.partition_point(|&x| x <= day);
                if i == 0 {
                    None
                } else {
                    Some(i as i32 - 1)
                }
            }
        }
    }

    /// The first day of period `index`, if it is on the calendar.
    pub fn start(&self, index: i32) -> Option<i32> {
        match self {
            Periods::Regular {
                months,
                anchor_month,
                anchor_dom,
            } => {
                let m = anchor_month.checked_add(index.checked_mul(*months as i32)?)?;
                let d = NaiveDate::from_ymd_opt(
                    m.div_euclid(12),
                    m.rem_euclid(12) as u32 + 1,
                    *anchor_dom,
                )?;
                Some(day_of(d))
            }
            Periods::Boundaries(b) => b.get(usize::try_from(index).ok()?).copied(),
        }
    }

    /// The first day of the period that contains `day` (P2), if on the calendar.
    pub fn period_start(&self, day: i32) -> Option<i32> {
        self.start(self.index(day)?)
    }

    /// The first days of the periods that start in `[start, end]`, in order
    /// (a start before the first explicit boundary begins at the first period).
    pub fn starts_between(&self, start: i32, end: i32) -> Vec<i32> {
        let mut out = vec![];
        let mut i = match (self.index(start), self) {
            (Some(i), _) => i,
            (None, Periods::Boundaries(_)) => 0,
            // A day off chrono's calendar: from its first day, or nothing after its
            // last (found by the fuzzer: from a day past the end, the loop walked
            // every month from 2000 to the year 262143 before it stopped).
            (None, Periods::Regular { .. }) if start > day_of(NaiveDate::MAX) => return out,
            (None, Periods::Regular { .. }) => self.index(day_of(NaiveDate::MIN)).unwrap_or(0),
        };
        while let Some(d) = self.start(i) {
            if d > end {
                break;
            }
            if d >= start {
                out.push(d);
            }
            i += 1;
        }
        out
    }

    /// A short description for messages and `repr`.
    pub fn describe(&self) -> String {
        match self {
            Periods::Regular {
                months,
                anchor_month,
                anchor_dom,
            } => format!(
                "Periods(months={months}, anchor={:04}-{:02}-{:02})",
                anchor_month.div_euclid(12),
                anchor_month.rem_euclid(12) + 1,
                anchor_dom
            ),
            Periods::Boundaries(b) => format!(
                "Periods.from_boundaries([{}])",
                b.iter()
                    .map(|&d| format!("'{}'", fmt_day(d)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// The anchor of the P1 shortcuts: the first day of `start_month` (1 to 12).
fn start_month_anchor(start_month: i64) -> Result<NaiveDate> {
    u32::try_from(start_month)
        .ok()
        .and_then(|m| NaiveDate::from_ymd_opt(2000, m, 1))
        .ok_or_else(|| {
            CoreError::Periods(format!("start_month must be 1 to 12, got {start_month}"))
        })
}

/// The period index and month of every day of a range, precomputed so that the
/// per-line lookups of P2 and CV5 are one array read, and the index of the
/// current period P0 (the one holding `as_of`), from which ages count (P2).
#[derive(Debug, Clone)]
pub struct DayTable {
    lo: i32,
    index: Vec<i32>,
    month: Vec<u8>,
    p0: i32,
}

impl DayTable {
    /// The table for days `lo..as_of`, P0 the period of `as_of`; `None` when
    /// a day there is off the calendar.
    pub fn new(periods: &Periods, lo: i32, as_of: i32) -> Option<Self> {
        let len = usize::try_from(as_of.checked_sub(lo)?).ok()?;
        let mut index = Vec::with_capacity(len);
        let mut month = Vec::with_capacity(len);
        let mut date = date_of(lo)?;
        for day in lo..as_of {
            index.push(periods.index(day)?);
            month.push(date.month() as u8);
            date = date.succ_opt().unwrap_or(date);
        }
        let p0 = periods.index(as_of)?;
        Some(Self {
            lo,
            index,
            month,
            p0,
        })
    }

    /// The period index of `day` (P2); `day` must be in the table's range.
    #[inline]
    pub fn index(&self, day: i32) -> i32 {
        self.index[(day - self.lo) as usize]
    }

    /// P2: the age of `day`, index(P0) - index(period of `day`): 0 in the
    /// current period, 1 in the one before, ...; `day` must be in the range.
    #[inline]
    pub fn age(&self, day: i32) -> i32 {
        self.p0 - self.index(day)
    }

    /// The index of the current period P0 (P2).
    pub fn p0(&self) -> i32 {
        self.p0
    }

    /// The month (1-12) of `day`; `day` must be in the table's range.
    #[inline]
    pub fn month(&self, day: i32) -> u32 {
        self.month[(day - self.lo) as usize] as u32
    }
}

/// ISO text of a day number (for messages).
pub fn fmt_day(day: i32) -> String {
    date_of(day).map_or_else(|| format!("day {day}"), |d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> i32 {
        parse_day(s).unwrap()
    }

    #[test]
    fn starts_between_days_off_the_calendar_are_found_at_once() {
        let p = Periods::monthly().unwrap();
        let (lo, hi) = (day_of(NaiveDate::MIN), day_of(NaiveDate::MAX));
        // Before the fix the first call walked 3 million months before it ended.
        assert!(p.starts_between(hi + 10, hi + 20).is_empty());
        assert!(p.starts_between(lo - 20, lo - 10).is_empty());
        let from_min = p.starts_between(lo - 20, lo + 40);
        assert!(!from_min.is_empty() && from_min.iter().all(|&s| s >= lo));
    }

    #[test]
    fn day_numbers_match_arrow_date32() {
        assert_eq!(d("1970-01-01"), 0);
        assert_eq!(d("1970-01-02"), 1);
        assert_eq!(d("1969-12-31"), -1);
        assert_eq!(fmt_day(d("2024-02-29")), "2024-02-29");
    }

    #[test]
    fn p1_semiannual_february_anchor() {
        let p = Periods::regular(6, NaiveDate::from_ymd_opt(2024, 2, 1).unwrap()).unwrap();
        assert_eq!(p.index(d("2024-02-01")), Some(0));
        assert_eq!(p.index(d("2024-07-31")), Some(0));
        assert_eq!(p.index(d("2024-08-01")), Some(1));
        assert_eq!(p.index(d("2024-01-31")), Some(-1));
        assert_eq!(p.index(d("2023-08-01")), Some(-1));
        assert_eq!(p.index(d("2023-07-31")), Some(-2));
        assert_eq!(p.start(1), Some(d("2024-08-01")));
        assert_eq!(p.start(-2), Some(d("2023-02-01")));
    }

    #[test]
    fn p1_anchor_day_inside_month() {
        let p = Periods::regular(1, NaiveDate::from_ymd_opt(2024, 1, 15).unwrap()).unwrap();
        assert_eq!(p.index(d("2024-01-14")), Some(-1));
        assert_eq!(p.index(d("2024-01-15")), Some(0));
        assert_eq!(p.index(d("2024-02-14")), Some(0));
        assert_eq!(p.index(d("2024-02-15")), Some(1));
        assert_eq!(p.start(1), Some(d("2024-02-15")));
    }

    #[test]
    fn p1_rejects_bad_calendars() {
        let a = NaiveDate::from_ymd_opt(2024, 1, 29).unwrap();
        assert!(matches!(Periods::regular(6, a), Err(CoreError::Periods(_))));
        let a = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        assert!(matches!(Periods::regular(5, a), Err(CoreError::Periods(_))));
        assert!(Periods::boundaries(vec![]).is_err());
        assert!(Periods::boundaries(vec![3, 3]).is_err());
    }

    #[test]
    fn day_table_matches_index() {
        let p = Periods::regular(4, NaiveDate::from_ymd_opt(2023, 3, 10).unwrap()).unwrap();
        let (lo, hi) = (d("2019-12-25"), d("2026-03-01"));
        let t = DayTable::new(&p, lo, hi).unwrap();
        for day in lo..hi {
            assert_eq!(t.index(day), p.index(day).unwrap());
            assert_eq!(t.month(day), date_of(day).unwrap().month());
            assert_eq!(t.age(day), p.index(hi).unwrap() - p.index(day).unwrap());
        }
        let b = Periods::boundaries(vec![10, 20]).unwrap();
        assert!(DayTable::new(&b, 5, 30).is_none());
        assert!(DayTable::new(&b, 10, 30).is_some());
    }

    #[test]
    fn p1_shortcuts_and_period_starts() {
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            Periods::semiannual(2).unwrap(),
            Periods::regular(6, ymd(2000, 2, 1)).unwrap()
        );
        assert_eq!(
            Periods::annual(1).unwrap(),
            Periods::regular(12, ymd(2000, 1, 1)).unwrap()
        );
        assert_eq!(
            Periods::quarterly(3).unwrap(),
            Periods::regular(3, ymd(2000, 3, 1)).unwrap()
        );
        assert_eq!(
            Periods::monthly().unwrap(),
            Periods::regular(1, ymd(2000, 1, 1)).unwrap()
        );
        for bad in [0, 13, -1] {
            let e = Periods::semiannual(bad).unwrap_err().to_string();
            assert!(e.contains("start_month") && e.contains("P1"), "{e}");
        }
        let p = Periods::semiannual(2).unwrap();
        assert_eq!(p.period_start(d("2024-07-31")), Some(d("2024-02-01")));
        let starts = p.starts_between(d("2023-03-01"), d("2024-08-01"));
        assert_eq!(starts, [d("2023-08-01"), d("2024-02-01"), d("2024-08-01")]);
        let b = Periods::boundaries(vec![10, 20, 35]).unwrap();
        assert_eq!(b.starts_between(0, 30), [10, 20]);
        assert_eq!(b.period_start(5), None);
    }

    #[test]
    fn p1_boundaries() {
        let p = Periods::boundaries(vec![10, 20, 35]).unwrap();
        assert_eq!(p.index(9), None);
        assert_eq!(p.index(10), Some(0));
        assert_eq!(p.index(19), Some(0));
        assert_eq!(p.index(20), Some(1));
        assert_eq!(p.index(1000), Some(2));
        assert_eq!(p.start(2), Some(35));
        assert_eq!(p.start(3), None);
    }
}
