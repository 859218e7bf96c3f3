//! Rule I2 and the per-customer day timeline that every rule reads.
//!
//! A customer's timeline is its days with money before `as_of`, ascending,
//! each with its net total and the number of purchase events on it. The walk
//! ([`super::walk`]) reads any [`DayTotal`] sequence, so both layouts feed the
//! same rule code:
//!
//! - the fast layout: the lines of a partition as they are, when a customer's
//!   lines are one per day in day order and events are days (the common case:
//!   adjacent rows of one day were summed into one line by the ingestion);
//! - the general layout: [`CustomerDays`], the lines summed per day (and per
//!   order, when purchase events are orders).

use crate::lines::Line;
use crate::money::{fit, Overflow};

/// I2: whether a net total (of a customer-day, or of an order) makes a
/// purchase event: more than zero, or exactly zero with `count_zero_days`.
#[inline]
pub fn is_purchase(net: i64, count_zero_days: bool) -> bool {
    net > 0 || (count_zero_days && net == 0)
}

/// A day of a customer's timeline: its day, its net money (millionths) and
/// its purchase events (I2).
pub trait DayTotal {
    fn day(&self) -> i32;
    fn amount(&self) -> i64;
    /// Whether the day holds a purchase event.
    fn has_event(&self, count_zero_days: bool) -> bool;
    /// The purchase events of a day that holds one (several orders may share a day).
    fn events(&self) -> u32;
}

/// A line read as a day of the timeline (the fast layout): one line per day,
/// the day's purchase event decided by its total (I2).
impl DayTotal for Line {
    #[inline]
    fn day(&self) -> i32 {
        self.day
    }
    #[inline]
    fn amount(&self) -> i64 {
        self.amount
    }
    #[inline]
    fn has_event(&self, count_zero_days: bool) -> bool {
        is_purchase(self.amount, count_zero_days)
    }
    /// One: a day's purchase event (events per day are only days when lines are walked).
    #[inline]
    fn events(&self) -> u32 {
        1
    }
}

/// A day of the general layout: its net total and the purchase events on it
/// (with orders, the orders whose first day it is: several, one or none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub day: i32,
    pub events: u32,
    pub net: i64,
}

impl DayTotal for Day {
    #[inline]
    fn day(&self) -> i32 {
        self.day
    }
    #[inline]
    fn amount(&self) -> i64 {
        self.net
    }
    #[inline]
    fn has_event(&self, _: bool) -> bool {
        self.events > 0
    }
    #[inline]
    fn events(&self) -> u32 {
        self.events
    }
}

/// One customer's timeline in the general layout: its lines summed per day,
/// with the purchase events of each day (I2). Reused from customer to customer.
#[derive(Debug, Default)]
pub struct CustomerDays {
    /// Every distinct day with lines, ascending.
    pub days: Vec<Day>,
    /// Scratch: (order, day, amount) of the lines, and the event days of the orders.
    orders: Vec<(u32, i32, i64)>,
    events: Vec<i32>,
}

impl CustomerDays {
    /// Fills `self` from the lines of one customer (sorting them by day), with
    /// their order ids when purchase events are orders. Day and order totals
    /// are exact: only they must fit the fixed-point range (I6).
    pub fn fill(
        &mut self,
        lines: &mut [Line],
        orders: Option<&[u32]>,
        count_zero_days: bool,
    ) -> Result<(), Overflow> {
        self.days.clear();
        if let Some(orders) = orders {
            self.order_events(lines, orders, count_zero_days)?;
        }
        lines.sort_unstable_by_key(|l| l.day);
        let mut next_event = 0;
        for day in lines.chunk_by(|a, b| a.day == b.day) {
            let net = fit(day.iter().map(|l| l.amount as i128).sum())?;
            let d = day[0].day;
            let events = if orders.is_some() {
                // The orders whose event day this is (every event day is a day with lines).
                let from = next_event;
                while self.events.get(next_event) == Some(&d) {
                    next_event += 1;
                }
                (next_event - from) as u32
            } else {
                u32::from(is_purchase(net, count_zero_days))
            };
            self.days.push(Day {
                day: d,
                events,
                net,
            });
        }
        Ok(())
    }

    /// I2 with an order column: a distinct order whose total is a purchase is
    /// an event, on the earliest day of its lines. Leaves the event days,
    /// ascending, in `self.events`.
    fn order_events(
        &mut self,
        lines: &[Line],
        orders: &[u32],
        count_zero_days: bool,
    ) -> Result<(), Overflow> {
        self.events.clear();
        self.orders.clear();
        self.orders
            .extend(lines.iter().zip(orders).map(|(l, &o)| (o, l.day, l.amount)));
        // By order id alone (the lines of an order in any order): its total is exact
        // (i128) whatever the order of its lines, and its day the earliest of them (I2).
        self.orders.sort_unstable_by_key(|o| o.0);
        for order in self.orders.chunk_by(|a, b| a.0 == b.0) {
            let total = fit(order.iter().map(|o| o.2 as i128).sum())?;
            if is_purchase(total, count_zero_days) {
                let day = order.iter().map(|o| o.1).min().expect("an order has lines");
                self.events.push(day);
            }
        }
        self.events.sort_unstable();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn line(c: u32, d: i32, a: i64) -> Line {
        Line::new(c, d, a)
    }

    fn day(day: i32, events: u32, net: i64) -> Day {
        Day { day, events, net }
    }

    #[test]
    fn i2_days_net_out() {
        // 17.60 + 5.67 - 23.27 on one day is zero: no purchase; a zero day counts with count_zero_days.
        let mut lines = vec![
            line(0, 3, 1),
            line(0, 1, 17_600_000),
            line(0, 1, 5_670_000),
            line(0, 1, -23_270_000),
        ];
        let mut c = CustomerDays::default();
        c.fill(&mut lines, None, false).unwrap();
        assert_eq!(c.days, vec![day(1, 0, 0), day(3, 1, 1)]);
        c.fill(&mut lines, None, true).unwrap();
        assert_eq!(c.days, vec![day(1, 1, 0), day(3, 1, 1)]);
        assert!(is_purchase(1, false) && !is_purchase(0, false) && is_purchase(0, true));
        assert!(!is_purchase(-1, true));
    }

    #[test]
    fn i2_orders() {
        // Order 7 spans days 1 and 2 (event on day 1); order 8 on day 2 is returned whole.
        let lines = || {
            vec![
                line(0, 1, 10),
                line(0, 2, 5),
                line(0, 2, 4),
                line(0, 2, -4),
                line(0, 2, 1),
            ]
        };
        let orders = [7, 7, 8, 8, 9];
        let mut c = CustomerDays::default();
        c.fill(&mut lines(), Some(&orders), false).unwrap();
        assert_eq!(c.days, vec![day(1, 1, 10), day(2, 1, 6)]);
        c.fill(&mut lines(), Some(&orders), true).unwrap();
        assert_eq!(c.days, vec![day(1, 1, 10), day(2, 2, 6)]);
    }

    #[test]
    fn i2_an_order_event_on_a_day_that_nets_below_zero() {
        // Order 1 (+10) and order 2 (-20) on day 5: the day nets -10, but order 1 is an event.
        let mut lines = vec![line(0, 5, 10_000_000), line(0, 5, -20_000_000)];
        let mut c = CustomerDays::default();
        c.fill(&mut lines, Some(&[1, 2]), false).unwrap();
        assert_eq!(c.days, vec![day(5, 1, -10_000_000)]);
    }

    #[test]
    fn i6_overflow_is_reported() {
        let mut lines = vec![line(0, 1, i64::MAX), line(0, 1, 1)];
        assert_eq!(
            CustomerDays::default().fill(&mut lines, None, false),
            Err(Overflow)
        );
    }

    #[test]
    fn i6_a_day_total_in_range_is_exact_whatever_the_line_order() {
        // MAX + 1 - 2 fits although MAX + 1 does not: no error, in any order.
        let mut c = CustomerDays::default();
        for mut lines in [
            vec![line(0, 1, i64::MAX), line(0, 1, 1), line(0, 1, -2)],
            vec![line(0, 1, -2), line(0, 1, i64::MAX), line(0, 1, 1)],
        ] {
            c.fill(&mut lines, None, false).unwrap();
            assert_eq!(c.days, vec![day(1, 1, i64::MAX - 1)]);
        }
    }
}
