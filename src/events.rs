//! Rule I2: purchase events, and the grouping of lines per customer that the
//! segmentations share.
//!
//! A purchase event is a (customer, day) whose net total is > 0 (or == 0 with
//! `count_zero_days`), or with an `order` column a distinct order whose total
//! is > 0 (== 0 likewise); an order's event day is the earliest day of its
//! lines. Money moves on every line's own day either way.

use rayon::prelude::*;

use crate::ingest::Line;

/// Orders lines by customer (counting sort: linear in the rows), keeping only
/// those with `day < as_of` (I3), then each customer's lines by (day, order).
///
/// Returns the kept lines and the number of lines on or after `as_of`.
pub fn group_by_customer(lines: Vec<Line>, n_customers: usize, as_of: i32) -> (Vec<Line>, u64) {
    let mut starts = vec![0usize; n_customers + 1];
    let mut after = 0u64;
    for l in &lines {
        if l.day < as_of {
            starts[l.customer as usize + 1] += 1;
        } else {
            after += 1;
        }
    }
    for i in 0..n_customers {
        starts[i + 1] += starts[i];
    }
    let kept = starts[n_customers];
    let mut out: Vec<Line> = Vec::with_capacity(kept);
    let spare = out.spare_capacity_mut();
    for l in lines.into_iter().filter(|l| l.day < as_of) {
        let slot = &mut starts[l.customer as usize];
        spare[*slot].write(l);
        *slot += 1;
    }
    // SAFETY: the counts above put exactly `kept` lines into distinct slots 0..kept.
    unsafe { out.set_len(kept) };
    out.par_chunk_by_mut(|a, b| a.customer == b.customer)
        .for_each(|c| c.sort_unstable_by_key(|l| (l.day, l.order)));
    (out, after)
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
    /// Fills `self` from the lines of one customer, sorted by (day, order).
    pub fn fill(
        &mut self,
        lines: &[Line],
        by_order: bool,
        count_zero_days: bool,
    ) -> Result<(), Overflow> {
        self.days.clear();
        self.events.clear();
        let is_event = |net: i64| net > 0 || (count_zero_days && net == 0);
        for l in lines {
            match self.days.last_mut() {
                Some((d, net)) if *d == l.day => {
                    *net = net.checked_add(l.amount).ok_or(Overflow)?
                }
                _ => self.days.push((l.day, l.amount)),
            }
        }
        if !by_order {
            self.events
                .extend(self.days.iter().filter(|d| is_event(d.1)).map(|d| d.0));
            return Ok(());
        }
        self.orders.clear();
        self.orders
            .extend(lines.iter().map(|l| (l.order, l.day, l.amount)));
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(customer: u32, day: i32, order: u32, amount: i64) -> Line {
        Line {
            customer,
            day,
            order,
            amount,
        }
    }

    #[test]
    fn groups_and_filters_as_of() {
        let lines = vec![
            line(1, 5, 0, 1),
            line(0, 9, 0, 1),
            line(1, 2, 0, 1),
            line(0, 10, 0, 1),
            line(0, 1, 0, 1),
        ];
        let (g, after) = group_by_customer(lines, 2, 10);
        assert_eq!(after, 1);
        let k: Vec<(u32, i32)> = g.iter().map(|l| (l.customer, l.day)).collect();
        assert_eq!(k, vec![(0, 1), (0, 9), (1, 2), (1, 5)]);
    }

    #[test]
    fn i2_days_net_out() {
        // 17.60 + 5.67 - 23.27 on one day is zero: no purchase; a zero day counts with count_zero_days.
        let lines = vec![
            line(0, 1, 0, 17_600_000),
            line(0, 1, 0, 5_670_000),
            line(0, 1, 0, -23_270_000),
            line(0, 3, 0, 1),
        ];
        let mut c = CustomerDays::default();
        c.fill(&lines, false, false).unwrap();
        assert_eq!(c.days, vec![(1, 0), (3, 1)]);
        assert_eq!(c.events, vec![3]);
        c.fill(&lines, false, true).unwrap();
        assert_eq!(c.events, vec![1, 3]);
    }

    #[test]
    fn i2_orders() {
        // Order 7 spans days 1 and 2 (event on day 1); order 8 on day 2 is returned whole.
        let lines = vec![
            line(0, 1, 7, 10),
            line(0, 2, 7, 5),
            line(0, 2, 8, 4),
            line(0, 2, 8, -4),
            line(0, 2, 9, 1),
        ];
        let mut c = CustomerDays::default();
        c.fill(&lines, true, false).unwrap();
        assert_eq!(c.events, vec![1, 2]);
        c.fill(&lines, true, true).unwrap();
        assert_eq!(c.events, vec![1, 2, 2]);
    }

    #[test]
    fn i6_overflow_is_reported() {
        let lines = vec![line(0, 1, 0, i64::MAX), line(0, 1, 0, 1)];
        assert_eq!(
            CustomerDays::default().fill(&lines, false, false),
            Err(Overflow)
        );
    }
}
