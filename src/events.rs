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
/// `day < as_of` (I3); returns how many distinct customers had lines at all,
/// and how many kept lines (the customers left in the partition).
/// Within a customer the order of lines is arbitrary: [`CustomerDays::fill`]
/// sorts them.
pub fn group_part(
    part: &mut Part,
    locals: usize,
    local: impl Fn(u32) -> usize,
    as_of: i32,
) -> (u64, usize) {
    let mut starts = vec![0usize; locals + 1];
    let mut late = Vec::new();
    // Runs of one customer: when there are as many as customers, the lines already come
    // grouped (input sorted or grouped by customer) and need not move.
    let mut runs = 0;
    let mut prev = None;
    for l in &part.lines {
        if prev != Some(l.customer) {
            runs += 1;
            prev = Some(l.customer);
        }
        if l.day < as_of {
            starts[local(l.customer) + 1] += 1;
        } else {
            late.push(local(l.customer));
        }
    }
    // Customers seen: those with lines before as_of, and those with lines on or after it only.
    late.sort_unstable();
    late.dedup();
    let with_lines = starts.iter().filter(|&&n| n > 0).count();
    let seen = with_lines + late.iter().filter(|&&c| starts[c + 1] == 0).count();
    if late.is_empty() && runs == with_lines {
        return (seen as u64, with_lines);
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
    (seen as u64, with_lines)
}

/// [`group_part`] for a partition in runs (see [`crate::store`]): each
/// customer's lines are adjacent already and in this partition only, so
/// grouping only drops the lines on or after `as_of` (I3), in place. Returns
/// the customers seen, and those kept.
pub fn group_runs(part: &mut Part, as_of: i32) -> (u64, usize) {
    let (mut seen, mut kept) = (0u64, 0usize);
    let (mut prev, mut prev_kept) = (None, None);
    let mut w = 0;
    for i in 0..part.lines.len() {
        let l = part.lines[i];
        if prev != Some(l.customer) {
            seen += 1;
            prev = Some(l.customer);
        }
        if l.day < as_of {
            if prev_kept != Some(l.customer) {
                kept += 1;
                prev_kept = Some(l.customer);
            }
            part.lines[w] = l;
            if let Some(o) = part.orders.as_mut() {
                o[w] = o[i];
            }
            w += 1;
        }
    }
    part.lines.truncate(w);
    if let Some(o) = part.orders.as_mut() {
        o.truncate(w);
    }
    (seen, kept)
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
                let total = fit(group.iter().map(|o| o.2 as i128).sum())?;
                if is_event(total) {
                    self.events.push(group[0].1);
                }
            }
            self.events.sort_unstable();
        }
        lines.sort_unstable_by_key(|l| l.day);
        for day in lines.chunk_by(|a, b| a.day == b.day) {
            let net = fit(day.iter().map(|l| l.amount as i128).sum())?;
            self.days.push((day[0].day, net));
        }
        if orders.is_none() {
            self.events
                .extend(self.days.iter().filter(|d| is_event(d.1)).map(|d| d.0));
        }
        Ok(())
    }
}

/// An exact sum back in the fixed-point range (I6), whatever the order of its terms.
fn fit(sum: i128) -> Result<i64, Overflow> {
    i64::try_from(sum).map_err(|_| Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ingest::Line as L;
    const fn line(c: u32, d: i32, a: i64) -> L {
        L::new(c, d, a)
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
        assert_eq!(group_part(&mut part, 2, |id| id as usize, 10), (2, 2));
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

    #[test]
    fn i6_a_day_total_in_range_is_exact_whatever_the_line_order() {
        // MAX + 1 - 2 fits although MAX + 1 does not: no error, in any order.
        let mut c = CustomerDays::default();
        for mut lines in [
            vec![line(0, 1, i64::MAX), line(0, 1, 1), line(0, 1, -2)],
            vec![line(0, 1, -2), line(0, 1, i64::MAX), line(0, 1, 1)],
        ] {
            c.fill(&mut lines, None, false).unwrap();
            assert_eq!(c.days, vec![(1, i64::MAX - 1)]);
        }
    }

    #[test]
    fn grouped_lines_stay_in_place_and_scattered_ones_are_grouped() {
        let mut part = Part {
            lines: vec![line(2, 1, 1), line(2, 3, 1), line(0, 2, 1), line(1, 1, 1)],
            orders: None,
        };
        assert_eq!(group_part(&mut part, 3, |id| id as usize, 10), (3, 3));
        let ids: Vec<u32> = part.lines.iter().map(|l| l.customer).collect();
        assert_eq!(ids, vec![2, 2, 0, 1], "already grouped: unchanged");
        part.lines.push(line(2, 4, 1));
        group_part(&mut part, 3, |id| id as usize, 10);
        let ids: Vec<u32> = part.lines.iter().map(|l| l.customer).collect();
        assert_eq!(
            ids,
            vec![0, 1, 2, 2, 2],
            "customer 2 in two runs: grouped by the counting sort"
        );
    }

    #[test]
    fn seen_counts_customers_with_late_lines_only() {
        let mut part = Part {
            lines: vec![
                line(0, 1, 1),
                line(1, 20, 1),
                line(1, 21, 1),
                line(2, 30, 1),
            ],
            orders: None,
        };
        assert_eq!(group_part(&mut part, 3, |id| id as usize, 10), (3, 1));
        assert_eq!(part.lines.len(), 1);
    }
}
