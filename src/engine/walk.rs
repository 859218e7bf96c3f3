//! The facts of one customer, computed in one walk over its timeline: the one
//! place where CV1 (k), CV3 (the monetary window), CV5 (sales-only), the
//! purchase counts (CV4's n, R1's frequency), first and last purchase (CV7,
//! R1, CLV1), the CLV1 churn facts, the CLV3 loyalty counts, the CLV4
//! repeat value and CLV4's holdout window ([`Holdout`]) are written. The rule
//! modules turn these facts into labels, scores and columns.

use crate::error::{CoreError, Result};
use crate::lines::Line;
use crate::money::{fit, Overflow};
use crate::periods::{fmt_day, DayTable};

use super::timeline::{CustomerDays, DayTotal};
use super::Options;

/// One customer's facts of CV1-CV5 and CV7 (32 bytes of per-customer state).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    /// The customer's dense id.
    pub customer: u32,
    /// CV1: periods since the last purchase event of age >= 1 (k); 0 when
    /// every purchase event is in the current period P0 (a `1 NEW` customer).
    pub k: i32,
    /// CV4's n: purchase events of age >= 1, or, when `k` is 0, in P0.
    pub n: u32,
    /// The first and last purchase-event days before `as_of` (CV7).
    pub first: i32,
    pub last: i32,
    /// CV5: every purchase event of ages 1..=L in a sales month (and one at least).
    pub sales_only: bool,
    /// CV3: the net money of the periods of ages k..k+w-1 (or of P0 when k is 0).
    pub monetary: i64,
}
const _: () = assert!(std::mem::size_of::<Facts>() == 32);

/// What RFM, CLV and the BTYD summary need of a customer besides its [`Facts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extra {
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
    /// Net money of the purchase-event days after the first one (CLV4 monetary_value).
    pub repeat_value: i64,
}

/// CV8: a customer's activity between two boundaries of a history: its
/// purchase events (I2) and net money on the days from the previous boundary
/// (or from its first line) to this one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Step {
    pub events: u32,
    pub net: i64,
}

/// CLV4's calibration/holdout split: a customer's purchase events (I2) in the
/// holdout window `[cut, as_of)` and the net money of those event days (the
/// days of the window that are no purchase event are left out, as the
/// summary's repeat value leaves them out).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holdout {
    pub events: u32,
    pub value: i64,
}

/// Which facts a pass computes besides each customer's first and last
/// purchase (always there).
#[derive(Debug, Clone, Copy)]
pub struct Need {
    /// The CV1-CV5 facts (only the Customer Value columns read them).
    pub cv: bool,
    /// The [`Extra`] facts of RFM, CLV and the BTYD summary.
    pub extras: bool,
    /// Of those, the periods and churn facts of CLV1 and CLV3.
    pub clv: bool,
}

/// What a walk found.
#[derive(Debug, PartialEq)]
pub(crate) enum Walk {
    Customer(Facts, Extra),
    /// No purchase event: not in the result.
    NoEvent,
    /// Days not strictly ascending: to be summed per day first.
    Unordered,
}

/// The rules' view of the calendar and options for one run.
pub(crate) struct Walker<'a> {
    pub(super) opts: &'a Options,
    as_of: i32,
    /// CLV4's calibration end (exclusive): days from it to `as_of` are the
    /// holdout window; `as_of` itself when the run has none.
    cut: i32,
    pub(super) table: DayTable,
    /// CV5: sales months, by month number.
    pub(super) sales: [bool; 13],
}

impl<'a> Walker<'a> {
    /// The walker of a run over days `lo..as_of`.
    pub(crate) fn new(opts: &'a Options, lo: i32, as_of: i32) -> Result<Self> {
        if opts.periods.index(as_of).is_none() {
            return Err(CoreError::AsOf(format!(
                "as_of {} is outside the period calendar {}",
                fmt_day(as_of),
                opts.periods.describe()
            )));
        }
        let table = DayTable::new(&opts.periods, lo, as_of).ok_or_else(|| {
            CoreError::Periods(format!(
                "a day between {} and {} is off the calendar",
                fmt_day(lo),
                fmt_day(as_of)
            ))
        })?;
        let mut sales = [false; 13];
        for &m in &opts.sales_months {
            sales[m as usize] = true;
        }
        Ok(Walker {
            opts,
            as_of,
            cut: as_of,
            table,
            sales,
        })
    }

    /// The walker of a calibration/holdout run (CLV4): the facts are those of
    /// the days before `cut`, the days from `cut` to `as_of` make the
    /// [`Holdout`] facts (`cut` is clamped into the run's days).
    pub(crate) fn with_holdout(mut self, cut: i32) -> Self {
        self.cut = cut.min(self.as_of);
        self
    }

    /// Whether the run splits the days into calibration and holdout (CLV4).
    pub(crate) fn has_holdout(&self) -> bool {
        self.cut < self.as_of
    }

    /// The run's `as_of`.
    pub(crate) fn as_of(&self) -> i32 {
        self.as_of
    }

    /// [`Walker::customer`] for a calibration/holdout run (CLV4): the facts
    /// of the days before the cut (exactly those of a run whose `as_of` is the
    /// cut: the same walk over the same days), and the [`Holdout`] facts of
    /// the days from the cut on; `None` without a purchase event before the
    /// cut (a customer whose first purchase is in the holdout window).
    ///
    /// The CV and CLV facts count ages and periods from the run's `as_of`, not
    /// from the cut: a split run asks for the [`Extra`] facts alone. CLV4's
    /// summaries refuse an order column, so `orders` is `None` there (with
    /// orders, an order's total would span the cut).
    pub(crate) fn customer_split(
        &self,
        need: Need,
        customer: u32,
        lines: &mut [Line],
        orders: Option<&[u32]>,
        scratch: &mut CustomerDays,
    ) -> std::result::Result<Option<(Facts, Extra, Holdout)>, Overflow> {
        // The split needs the days in order: lines one per day in day order are
        // walked as they are, others summed per day first (as in `customer`).
        if orders.is_none() && lines.windows(2).all(|w| w[0].day < w[1].day) {
            return self.split(need, customer, lines);
        }
        scratch.fill(lines, orders, self.opts.count_zero_days)?;
        self.split(need, customer, &scratch.days)
    }

    /// [`Walker::customer_split`] over days in strictly ascending order.
    fn split(
        &self,
        need: Need,
        customer: u32,
        days: &[impl DayTotal],
    ) -> std::result::Result<Option<(Facts, Extra, Holdout)>, Overflow> {
        let (before, after) = days.split_at(days.partition_point(|d| d.day() < self.cut));
        let (facts, extra) = match self.walk_for(need, customer, before)? {
            Walk::Customer(facts, extra) => (facts, extra),
            Walk::NoEvent => return Ok(None),
            Walk::Unordered => unreachable!("the days of a split ascend"),
        };
        let zero = self.opts.count_zero_days;
        let (mut events, mut value) = (0u32, 0i128);
        for d in after.iter().filter(|d| d.has_event(zero)) {
            events += d.events();
            value += i128::from(d.amount());
        }
        let value = fit(value)?; // only the window's total must fit (I6)
        Ok(Some((facts, extra, Holdout { events, value })))
    }

    /// The facts of one customer from its lines (before `as_of`), or `None`
    /// without a purchase event. Lines one per day in day order, with events
    /// per day, are walked as they are; others are summed per day (and per
    /// order) first and walked the same way, so that what is computed (and
    /// what may overflow, I6) never depends on the row order (I5).
    pub(crate) fn customer(
        &self,
        need: Need,
        customer: u32,
        lines: &mut [Line],
        orders: Option<&[u32]>,
        scratch: &mut CustomerDays,
    ) -> std::result::Result<Option<(Facts, Extra)>, Overflow> {
        let walked = match orders {
            None => self.walk_for(need, customer, lines)?,
            Some(_) => Walk::Unordered,
        };
        let walked = match walked {
            Walk::Unordered => {
                scratch.fill(lines, orders, self.opts.count_zero_days)?;
                self.walk_for(need, customer, &scratch.days)?
            }
            w => w,
        };
        match walked {
            Walk::Customer(facts, extra) => Ok(Some((facts, extra))),
            Walk::NoEvent => Ok(None),
            Walk::Unordered => unreachable!("the days of CustomerDays ascend"),
        }
    }

    /// [`Walker::walk`] computing what `need` asks for.
    pub(crate) fn walk_for(
        &self,
        need: Need,
        customer: u32,
        days: &[impl DayTotal],
    ) -> std::result::Result<Walk, Overflow> {
        let (c, x) = (customer, need.extras);
        let sol = need.cv && self.opts.sales_only;
        match (need.cv, sol, need.clv) {
            (true, true, true) => self.walk::<true, true, true>(c, days, x),
            (true, true, false) => self.walk::<true, true, false>(c, days, x),
            (true, false, true) => self.walk::<true, false, true>(c, days, x),
            (true, false, false) => self.walk::<true, false, false>(c, days, x),
            (false, _, true) => self.walk::<false, false, true>(c, days, x),
            (false, _, false) => self.walk::<false, false, false>(c, days, x),
        }
    }

    /// The facts of one customer in one walk over its days (module docs):
    /// [`Walk::Unordered`] when the days do not strictly ascend.
    ///
    /// Only the facts asked for are computed (the others keep their defaults):
    /// always the customer, first and last purchase of the [`Facts`] and the
    /// events, net and repeat value of the [`Extra`]; with `CV` the rest of the
    /// facts (CV1, CV3, CV4's n), with `SOL` CV5 too; with `CLV` the periods
    /// and churn facts (CLV1, CLV3). Sums that do not fit are errors (I6) only
    /// where they are used: the [`Extra`] ones when `extras`.
    ///
    /// One loop for speed (this is the engine's hot loop: about a third of a
    /// Customer Value run on rows grouped by customer), with the monetary
    /// window summed by a second, short walk back from the last day.
    pub(crate) fn walk<const CV: bool, const SOL: bool, const CLV: bool>(
        &self,
        customer: u32,
        days: &[impl DayTotal],
        extras: bool,
    ) -> std::result::Result<Walk, Overflow> {
        // No Option in the loop (fewer registers): NONE stands for "none yet".
        const NONE: i32 = i32::MIN;
        let zero = self.opts.count_zero_days;
        let lookback = self.opts.sales_lookback as i32;
        let (mut prev_day, mut ordered) = (NONE, true);
        let (mut first, mut first_amount, mut last) = (NONE, 0i64, 0);
        // k: the smallest age >= 1 of an event (ages descend as days ascend).
        let (mut events, mut in_p0, mut k, mut all_sales) = (0u32, 0u32, NONE, true);
        let (mut net, mut event_sum) = (0i128, 0i128);
        let (mut periods_with_events, mut prev, mut churn) = (0u32, NONE, 0u8);
        for d in days {
            ordered &= d.day() > prev_day;
            prev_day = d.day();
            net += i128::from(d.amount());
            if !d.has_event(zero) {
                continue;
            }
            let e = d.events();
            if first == NONE {
                (first, first_amount) = (d.day(), d.amount());
            }
            event_sum += i128::from(d.amount());
            last = d.day();
            events += e;
            let p = if CV || CLV {
                self.table.index(d.day())
            } else {
                0
            };
            if CV {
                let age = self.table.p0() - p;
                if age == 0 {
                    in_p0 += e;
                } else {
                    k = age;
                    if SOL && age <= lookback {
                        all_sales &= self.in_sales_month(d.day());
                    }
                }
            }
            if CLV {
                periods_with_events += u32::from(p != prev);
                prev = p;
                churn |= churn_bits(self.as_of - d.day());
            }
        }
        if !ordered {
            return Ok(Walk::Unordered);
        }
        if first == NONE {
            return Ok(Walk::NoEvent);
        }
        let mut facts = Facts {
            customer,
            first,
            last,
            ..Facts::default()
        };
        if CV {
            let has_history = k != NONE;
            facts.k = if has_history { k } else { 0 };
            facts.n = if has_history { events - in_p0 } else { in_p0 };
            facts.monetary = self.window_sum(days, facts.k)?;
            facts.sales_only = SOL && has_history && k <= lookback && all_sales;
        }
        let fit_if_used = |v: i128| match fit(v) {
            Ok(v) => Ok(v),
            Err(e) if extras => Err(e),
            Err(_) => Ok(0), // not used
        };
        let mut extra = Extra {
            events,
            net: fit_if_used(net)?,
            repeat_value: fit_if_used(event_sum - i128::from(first_amount))?,
            ..Default::default()
        };
        if CLV {
            extra.periods_with_events = periods_with_events;
            extra.periods_span = self.periods_span(self.as_of, first);
            extra.churn = churn;
        }
        Ok(Walk::Customer(facts, extra))
    }

    /// CV5: whether `day` falls in a sales month.
    #[inline]
    pub(super) fn in_sales_month(&self, day: i32) -> bool {
        self.sales[self.table.month(day) as usize]
    }

    /// CLV3: the periods from the one of the first purchase (`first`) to the
    /// one holding `as_of` - 1 day, both included.
    pub(super) fn periods_span(&self, as_of: i32, first: i32) -> u32 {
        (self.table.index(as_of - 1) - self.table.index(first) + 1) as u32
    }

    /// CV3: the ages of the monetary window for `k` (P0 alone for k = 0).
    pub(super) fn window_ages(&self, k: i32) -> (i32, i32) {
        match k {
            0 => (0, 0),
            k => (k, k + self.opts.monetary_periods as i32 - 1),
        }
    }

    /// CV3: the net money of the days with age in k..=k+w-1 (w the window;
    /// for k = 0, the days of P0), walking back from the last day (exact:
    /// only the total must fit, I6).
    fn window_sum(&self, days: &[impl DayTotal], k: i32) -> std::result::Result<i64, Overflow> {
        let (lo, hi) = self.window_ages(k);
        let mut sum = 0i128;
        for d in days.iter().rev() {
            let age = self.table.age(d.day());
            if age > hi {
                break;
            }
            if age >= lo {
                sum += i128::from(d.amount());
            }
        }
        fit(sum)
    }
}

/// CLV1's churn facts of a purchase event `back` days before `as_of` (1 or
/// more): bit 0 when in [as_of - 730, as_of - 365), bit 1 when in
/// [as_of - 365, as_of).
#[inline]
pub(super) fn churn_bits(back: i32) -> u8 {
    u8::from((366..=730).contains(&back)) | (u8::from(back <= 365) << 1)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::engine::timeline::Day;
    use crate::periods::{parse_day, Periods};
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    const ALL: Need = Need {
        cv: true,
        extras: true,
        clv: true,
    };

    /// The facts of a customer computed plainly from its list of purchase
    /// events, the way the rules read (the test oracle of the one walk):
    /// `Err` when a sum that is used leaves the fixed-point range.
    fn oracle(w: &Walker, days: &[Day]) -> std::result::Result<Option<(Facts, Extra)>, Overflow> {
        let o = w.opts;
        let events: Vec<i32> = days
            .iter()
            .flat_map(|d| std::iter::repeat_n(d.day, d.events as usize))
            .collect();
        let (Some(&first), Some(&last)) = (events.first(), events.last()) else {
            return Ok(None);
        };
        let age = |d: i32| w.table.age(d);
        let history: Vec<i32> = events.iter().copied().filter(|&e| age(e) >= 1).collect();
        let k = history.iter().map(|&e| age(e)).min().unwrap_or(0);
        let in_p0 = events.len() - history.len();
        let window = if k == 0 {
            0..=0
        } else {
            k..=k + o.monetary_periods as i32 - 1
        };
        let sum = |pick: &dyn Fn(&Day) -> bool| -> i128 {
            days.iter()
                .filter(|d| pick(d))
                .map(|d| i128::from(d.net))
                .sum()
        };
        let lookback = 1..=o.sales_lookback as i32;
        let recent: Vec<i32> = history
            .iter()
            .copied()
            .filter(|&e| lookback.contains(&age(e)))
            .collect();
        let sales_only = o.sales_only
            && !recent.is_empty()
            && recent
                .iter()
                .all(|&e| o.sales_months.contains(&i64::from(w.table.month(e))));
        let facts = Facts {
            customer: 7,
            k,
            n: if k == 0 { in_p0 } else { history.len() } as u32,
            first,
            last,
            sales_only,
            monetary: fit(sum(&|d| window.contains(&age(d.day))))?,
        };
        let mut periods: Vec<i32> = events.iter().map(|&e| w.table.index(e)).collect();
        periods.dedup();
        let churn = events.iter().fold(0u8, |c, &e| {
            c | match w.as_of - e {
                366..=730 => 1,
                1..=365 => 2,
                _ => 0,
            }
        });
        let extra = Extra {
            events: events.len() as u32,
            periods_with_events: periods.len() as u32,
            periods_span: (w.table.index(w.as_of - 1) - w.table.index(first) + 1) as u32,
            net: fit(sum(&|_| true))?,
            churn,
            repeat_value: fit(sum(&|d| d.events > 0 && d.day != first))?,
        };
        Ok(Some((facts, extra)))
    }

    /// Random options of a run: calendar, window, zero days, sales-only.
    fn random_options(rng: &mut SmallRng, as_of: i32) -> Options {
        let months = [1, 3, 6, 12][rng.random_range(0..4)];
        let anchor = chrono::NaiveDate::from_ymd_opt(2000, rng.random_range(1..=12), 1).unwrap();
        Options {
            periods: Periods::regular(months, anchor).unwrap(),
            as_of: Some(as_of),
            count_zero_days: rng.random_bool(0.5),
            monetary_periods: rng.random_range(1..4),
            sales_only: rng.random_bool(0.4),
            sales_months: vec![1, rng.random_range(2..=12)],
            sales_lookback: rng.random_range(1..6),
        }
    }

    /// Random lines of one customer (several on a day, out of order, amounts
    /// near the fixed-point limit now and then) and maybe order ids.
    pub(in crate::engine) fn random_lines(
        rng: &mut SmallRng,
        lo: i32,
        as_of: i32,
    ) -> (Vec<Line>, Option<Vec<u32>>) {
        let n = rng.random_range(1..14);
        let huge = rng.random_bool(0.1);
        let mut lines: Vec<Line> = (0..n)
            .map(|_| {
                let amount = match rng.random_range(0..5) {
                    0 if huge => i64::MAX - rng.random_range(0..3),
                    0 => 0,
                    1 => -rng.random_range(1..50_000_000),
                    _ => rng.random_range(1..50_000_000),
                };
                Line::new(7, rng.random_range(lo..as_of), amount)
            })
            .collect();
        if rng.random_bool(0.5) {
            lines.sort_by_key(|l| l.day);
            lines.dedup_by_key(|l| l.day);
        }
        let orders = rng
            .random_bool(0.3)
            .then(|| lines.iter().map(|_| rng.random_range(0..4)).collect());
        (lines, orders)
    }

    #[test]
    fn one_walk_over_either_layout_equals_the_plain_rules() {
        // Walker::customer (the lines as they are when one per day in day order, else
        // CustomerDays) gives the oracle's facts for random customers, options and
        // calendars, overflow errors included; lighter needs agree on what they compute.
        let mut rng = SmallRng::seed_from_u64(17);
        let lo = parse_day("2020-01-01").unwrap();
        let mut walked_as_lines = 0;
        for round in 0..4000 {
            let as_of = lo + rng.random_range(1..2000);
            let opts = random_options(&mut rng, as_of);
            let w = Walker::new(&opts, lo, as_of).unwrap();
            let (lines, orders) = random_lines(&mut rng, lo, as_of);
            let mut days = CustomerDays::default();
            let want = days
                .fill(&mut lines.clone(), orders.as_deref(), opts.count_zero_days)
                .and_then(|()| oracle(&w, &days.days));
            let got = w.customer(ALL, 7, &mut lines.clone(), orders.as_deref(), &mut days);
            assert_eq!(got, want, "round {round}: {lines:?} {orders:?}");
            if orders.is_none() && w.walk_for(ALL, 7, &lines) != Ok(Walk::Unordered) {
                walked_as_lines += 1;
            }
            let Ok(Some((facts, extra))) = want else {
                continue;
            };
            for need in [
                (false, true, false),
                (false, true, true),
                (true, false, false),
            ] {
                let need = Need {
                    cv: need.0,
                    extras: need.1,
                    clv: need.2,
                };
                let mut scratch = CustomerDays::default();
                let light =
                    w.customer(need, 7, &mut lines.clone(), orders.as_deref(), &mut scratch);
                let (f, x) = light.unwrap().unwrap();
                assert_eq!((f.customer, f.first, f.last), (7, facts.first, facts.last));
                if need.cv {
                    assert_eq!(f, facts, "round {round}");
                }
                if need.extras {
                    assert_eq!(
                        (x.events, x.net, x.repeat_value),
                        (extra.events, extra.net, extra.repeat_value)
                    );
                }
                if need.clv {
                    assert_eq!(x, extra, "round {round}");
                }
            }
        }
        assert!(
            walked_as_lines > 1000,
            "the fast layout was tried {walked_as_lines} times"
        );
    }

    #[test]
    fn a_split_walk_gives_the_calibration_facts_and_the_holdout_window() {
        // CLV4's calibration/holdout split: the facts equal those of a walker whose
        // as_of is the cut over the lines before it; the holdout facts are the purchase
        // events (I2) from the cut to as_of and the net of those event days, computed
        // plainly from the days; overflow errors (I6) where a used sum leaves the range.
        let extras = Need {
            cv: false,
            extras: true,
            clv: false,
        };
        let mut rng = SmallRng::seed_from_u64(23);
        let lo = parse_day("2020-01-01").unwrap();
        let (mut split_customers, mut with_holdout_events) = (0, 0);
        for round in 0..4000 {
            let as_of = lo + rng.random_range(2..900);
            let cut = lo + rng.random_range(1..as_of - lo);
            let opts = Options {
                as_of: Some(as_of),
                count_zero_days: rng.random_bool(0.5),
                ..Default::default()
            };
            let (lines, _) = random_lines(&mut rng, lo, as_of);
            let mut all = CustomerDays::default();
            let want = all
                .fill(&mut lines.clone(), None, opts.count_zero_days)
                .and_then(|()| {
                    let mut before: Vec<Line> =
                        lines.iter().filter(|l| l.day < cut).copied().collect();
                    let at_cut = Walker::new(&opts, lo, cut).unwrap();
                    let mut scratch = CustomerDays::default();
                    let Some((f, x)) =
                        at_cut.customer(extras, 7, &mut before, None, &mut scratch)?
                    else {
                        return Ok(None);
                    };
                    let held: Vec<&Day> = all
                        .days
                        .iter()
                        .filter(|d| d.day >= cut && d.events > 0)
                        .collect();
                    let events = held.iter().map(|d| d.events).sum();
                    let value = fit(held.iter().map(|d| i128::from(d.net)).sum())?;
                    Ok(Some((f, x, Holdout { events, value })))
                });
            let w = Walker::new(&opts, lo, as_of).unwrap().with_holdout(cut);
            assert!(w.has_holdout());
            let mut scratch = CustomerDays::default();
            let got = w.customer_split(extras, 7, &mut lines.clone(), None, &mut scratch);
            assert_eq!(got, want, "round {round}: cut {cut}, {lines:?}");
            if let Ok(Some((_, _, h))) = got {
                split_customers += 1;
                with_holdout_events += usize::from(h.events > 0);
            }
        }
        assert!(split_customers > 1000 && with_holdout_events > 500);
        // No holdout: a walker whose cut is as_of (or after it) splits nothing.
        let opts = Options::default();
        assert!(!Walker::new(&opts, 0, 100).unwrap().has_holdout());
        assert!(!Walker::new(&opts, 0, 100)
            .unwrap()
            .with_holdout(200)
            .has_holdout());
    }

    #[test]
    fn a_split_walk_by_hand() {
        // Days 10 (+5), 20 (0), 30 (-3), 40 (+7), 40 (+1), 50 (+2); cut 30, as_of 60:
        // calibration events on 10 (and 20 with zero days); holdout events on 40 (8)
        // and 50 (2): 2 events worth 10; day 30 nets below zero, no event.
        let lines = [(10, 5), (20, 0), (30, -3), (40, 7), (40, 1), (50, 2)];
        let lines: Vec<Line> = lines.iter().map(|&(d, a)| Line::new(1, d, a)).collect();
        for zero in [false, true] {
            let opts = Options {
                count_zero_days: zero,
                ..Default::default()
            };
            let w = Walker::new(&opts, 0, 60).unwrap().with_holdout(30);
            let mut scratch = CustomerDays::default();
            let need = Need {
                cv: false,
                extras: true,
                clv: false,
            };
            let (f, x, h) = w
                .customer_split(need, 1, &mut lines.clone(), None, &mut scratch)
                .unwrap()
                .unwrap();
            assert_eq!((f.first, f.last), (10, if zero { 20 } else { 10 }));
            assert_eq!(
                (x.events, x.net, x.repeat_value),
                (1 + u32::from(zero), 5, 0)
            );
            assert_eq!(
                h,
                Holdout {
                    events: 2,
                    value: 10
                }
            );
        }
        // A first purchase in the holdout only: not a customer of the table.
        let opts = Options::default();
        let w = Walker::new(&opts, 0, 60).unwrap().with_holdout(30);
        let mut late = vec![Line::new(1, 10, -4), Line::new(1, 45, 9)];
        let need = Need {
            cv: false,
            extras: true,
            clv: false,
        };
        let got = w.customer_split(need, 1, &mut late, None, &mut CustomerDays::default());
        assert_eq!(got, Ok(None));
    }

    #[test]
    fn lines_out_of_day_order_are_not_walked_as_they_are() {
        let opts = Options::default();
        let w = Walker::new(&opts, 0, 1000).unwrap();
        let lines = [Line::new(1, 5, 10), Line::new(1, 3, 10)];
        assert_eq!(w.walk_for(ALL, 1, &lines), Ok(Walk::Unordered));
        let same_day = [Line::new(1, 5, 10), Line::new(1, 5, 10)];
        assert_eq!(w.walk_for(ALL, 1, &same_day), Ok(Walk::Unordered));
        assert_eq!(
            w.walk_for(ALL, 1, &[Line::new(1, 5, -1)]),
            Ok(Walk::NoEvent)
        );
    }
}
