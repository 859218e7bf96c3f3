//! Lines to customers: the lines of one partition grouped by customer, only
//! those before `as_of` kept (I3), and the customers seen counted for the
//! report. Partitions in runs are grouped already.

use crate::lines::{Line, Part};

/// Groups the lines of one partition by customer with a counting sort on the
/// customers' local indexes (linear in the rows), keeping only those with
/// `day < as_of` (I3); returns how many distinct customers had lines at all,
/// and how many kept lines (the customers left in the partition).
/// Within a customer the order of lines is arbitrary: [`super::timeline::CustomerDays::fill`]
/// (the timeline) sorts them.
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

#[cfg(test)]
mod tests {
    use super::*;

    const fn line(c: u32, d: i32, a: i64) -> Line {
        Line::new(c, d, a)
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
