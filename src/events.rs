//! Rule I2: purchase events, and the grouping of lines per customer that the
//! segmentations share.
//!
//! A purchase event is a (customer, day) whose net total is > 0 (or == 0 with
//! `count_zero_days`), or with an `order` column a distinct order whose total
//! is > 0 (== 0 likewise); an order's event day is the earliest day of its
//! lines. Money moves on every line's own day either way.

use crate::ingest::{Line, Part};

/// Groups the lines of one partition by customer with a counting sort on the
/// customers' local indexes (linear in the rows), keeping only those with
/// `day < as_of` (I3); returns how many lines were on or after `as_of`.
/// Within a customer the order of lines is arbitrary: [`CustomerDays::fill`]
/// sorts them.
pub fn group_part(part: &mut Part, locals: usize, local: impl Fn(u32) -> usize, as_of: i32) -> u64 {
    let mut starts = vec![0usize; locals + 1];
    let mut after = 0u64;
    for l in &part.lines {
        if l.day < as_of {
            starts[local(l.customer) + 1] += 1;
        } else {
            after += 1;
        }
    }
    for i in 0..locals {
        starts[i + 1] += starts[i];
    }
    let kept = starts[locals];
    let mut lines = vec![Line::default(); kept];
    let mut orders = part.orders.as_ref().map(|_| vec![0u32; kept]);
    for (i, l) in part.lines.iter().enumerate() {
        if l.day < as_of {
            let slot = &mut starts[local(l.customer)];
            lines[*slot] = *l;
            if let (Some(dst), Some(src)) = (orders.as_mut(), part.orders.as_ref()) {
                dst[*slot] = src[i];
            }
            *slot += 1;
        }
    }
    part.lines = lines;
    part.orders = orders;
    after
}

/// Net money per day and purchase events of one customer (I2).
#[derive(Debug, Default)]
pub struct CustomerDays {
    /// Every distinct day with lines, ascending, with its net total (millionths).
    pub days: Vec<(i32, i64)>,
    /// Days of the purchase events, ascending (repeated when several orders share a day).
    pub events: Vec<i32>,
    orders: Vec<(u32, i32, i64)>,
}

/// The per-customer sum overflowed the fixed-point range (I6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

impl CustomerDays {
    /// Fills `self` from the lines of one customer (sorting them by day), with
    /// their order ids when purchase events are orders.
    pub fn fill(
        &mut self,
        lines: &mut [Line],
        orders: Option<&[u32]>,
        count_zero_days: bool,
    ) -> Result<(), Overflow> {
        self.days.clear();
        self.events.clear();
        let is_event = |net: i64| net > 0 || (count_zero_days && net == 0);
        if let Some(orders) = orders {
            self.orders.clear();
            self.orders
                .extend(lines.iter().zip(orders).map(|(l, &o)| (o, l.day, l.amount)));
            self.orders.sort_unstable();
            for group in self.orders.chunk_by(|a, b| a.0 == b.0) {
                let mut total = 0i64;
                for &(_, _, a) in group {
                    total = total.checked_add(a).ok_or(Overflow)?;
                }
                if is_event(total) {
                    self.events.push(group[0].1);
                }
            }
            self.events.sort_unstable();
        }
        lines.sort_unstable_by_key(|l| l.day);
        for l in lines.iter() {
            match self.days.last_mut() {
                Some((d, net)) if *d == l.day => {
                    *net = net.checked_add(l.amount).ok_or(Overflow)?
                }
                _ => self.days.push((l.day, l.amount)),
            }
        }
        if orders.is_none() {
            self.events
                .extend(self.days.iter().filter(|d| is_event(d.1)).map(|d| d.0));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(customer: u32, day: i32, amount: i64) -> Line {
        Line {
            customer,
            day,
            amount,
        }
    }

    #[test]
    fn groups_and_filters_as_of() {
        let lines = vec![
            line(1, 5, 1),
            line(0, 9, 1),
            line(1, 2, 1),
            line(0, 10, 1),
            line(0, 1, 1),
        ];
        let mut part = Part {
            lines,
            orders: Some(vec![15, 9, 12, 10, 11]),
        };
        assert_eq!(group_part(&mut part, 2, |id| id as usize, 10), 1);
        let k: Vec<(u32, i32, u32)> = part
            .lines
            .iter()
            .zip(part.orders.unwrap())
            .map(|(l, o)| (l.customer, l.day, o))
            .collect();
        assert_eq!(k, vec![(0, 9, 9), (0, 1, 11), (1, 5, 15), (1, 2, 12)]);
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
        assert_eq!(c.days, vec![(1, 0), (3, 1)]);
        assert_eq!(c.events, vec![3]);
        c.fill(&mut lines, None, true).unwrap();
        assert_eq!(c.events, vec![1, 3]);
    }

    #[test]
    fn i2_orders() {
        // Order 7 spans days 1 and 2 (event on day 1); order 8 on day 2 is returned whole.
        let mut lines = vec![
            line(0, 1, 10),
            line(0, 2, 5),
            line(0, 2, 4),
            line(0, 2, -4),
            line(0, 2, 1),
        ];
        let orders = [7, 7, 8, 8, 9];
        let mut c = CustomerDays::default();
        c.fill(&mut lines, Some(&orders), false).unwrap();
        assert_eq!(c.events, vec![1, 2]);
        let mut lines = vec![
            line(0, 1, 10),
            line(0, 2, 5),
            line(0, 2, 4),
            line(0, 2, -4),
            line(0, 2, 1),
        ];
        c.fill(&mut lines, Some(&orders), true).unwrap();
        assert_eq!(c.events, vec![1, 2, 2]);
        assert_eq!(c.days, vec![(1, 10), (2, 6)]);
    }

    #[test]
    fn i6_overflow_is_reported() {
        let mut lines = vec![line(0, 1, i64::MAX), line(0, 1, 1)];
        assert_eq!(
            CustomerDays::default().fill(&mut lines, None, false),
            Err(Overflow)
        );
    }
}
