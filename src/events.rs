//! Rule I2: purchase events, and the grouping of lines per customer that the
//! segmentations share.
//!
//! A purchase event is a (customer, day) whose net total is > 0 (or == 0 with
//! `count_zero_days`), or with an `order` column a distinct order whose total
//! is > 0 (== 0 likewise); an order's event day is the earliest day of its
//! lines. Money moves on every line's own day either way.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use rayon::prelude::*;

use crate::ingest::Line;

/// Lines grouped by customer.
#[derive(Debug)]
pub struct Grouped {
    /// The lines with `day < as_of`, customer by customer (ascending ids).
    pub lines: Vec<Line>,
    /// Order ids aligned with `lines`, when there is an order column.
    pub orders: Option<Vec<u32>>,
    /// `starts[c]` is the index of customer c's first line (length n + 1).
    pub starts: Vec<u64>,
    /// Lines on or after `as_of` (I3), left out.
    pub after: u64,
}

/// A raw pointer that may cross threads: each slot is written by exactly one task.
#[derive(Clone, Copy)]
struct Slots<T>(*mut T);
unsafe impl<T> Send for Slots<T> {}
unsafe impl<T> Sync for Slots<T> {}

/// Groups lines by customer with a parallel counting sort (linear in the
/// rows), keeping only those with `day < as_of` (I3). Within a customer the
/// order of lines is arbitrary: [`CustomerDays::fill`] sorts them.
pub fn group_by_customer(
    lines: Vec<Line>,
    orders: Option<Vec<u32>>,
    n_customers: usize,
    as_of: i32,
) -> Grouped {
    let counts: Vec<AtomicU32> = (0..n_customers)
        .into_par_iter()
        .map(|_| AtomicU32::new(0))
        .collect();
    let kept: u64 = lines
        .par_iter()
        .filter(|l| l.day < as_of)
        .map(|l| {
            counts[l.customer as usize].fetch_add(1, Relaxed);
            1u64
        })
        .sum();
    let after = lines.len() as u64 - kept;
    let mut starts = Vec::with_capacity(n_customers + 1);
    let mut acc = 0u64;
    starts.push(0);
    for c in &counts {
        acc += c.load(Relaxed) as u64;
        starts.push(acc);
    }
    drop(counts);
    let cursor: Vec<AtomicU64> = starts[..n_customers]
        .par_iter()
        .map(|&s| AtomicU64::new(s))
        .collect();
    let kept = kept as usize;
    let mut out: Vec<Line> = Vec::with_capacity(kept);
    let mut out_orders: Option<Vec<u32>> = orders.as_ref().map(|_| Vec::with_capacity(kept));
    let dst = Slots(out.as_mut_ptr());
    let dst_orders = out_orders.as_mut().map(|o| Slots(o.as_mut_ptr()));
    lines
        .par_iter()
        .enumerate()
        .with_min_len(1 << 14)
        .for_each(|(i, l)| {
            let (dst, dst_orders) = (dst, dst_orders);
            if l.day < as_of {
                let pos = cursor[l.customer as usize].fetch_add(1, Relaxed) as usize;
                // SAFETY: the cursors hand out each slot of 0..kept exactly once (they start at the
                // prefix sums of the counts of the kept lines), and both vectors have capacity `kept`.
                unsafe {
                    dst.0.add(pos).write(*l);
                    if let (Some(d), Some(o)) = (dst_orders, orders.as_ref()) {
                        d.0.add(pos).write(o[i]);
                    }
                }
            }
        });
    // SAFETY: every slot of 0..kept was written above.
    unsafe {
        out.set_len(kept);
        if let Some(o) = out_orders.as_mut() {
            o.set_len(kept);
        }
    }
    Grouped {
        lines: out,
        orders: out_orders,
        starts,
        after,
    }
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
        let orders = vec![15, 9, 12, 10, 11];
        let g = group_by_customer(lines, Some(orders), 2, 10);
        assert_eq!(g.after, 1);
        assert_eq!(g.starts, vec![0, 2, 4]);
        let mut k: Vec<(u32, i32, u32)> = g
            .lines
            .iter()
            .zip(g.orders.unwrap())
            .map(|(l, o)| (l.customer, l.day, o))
            .collect();
        k.sort_unstable();
        assert_eq!(k, vec![(0, 1, 11), (0, 9, 9), (1, 2, 12), (1, 5, 15)]);
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
