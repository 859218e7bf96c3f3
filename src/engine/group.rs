//! Lines to customers: the lines of one partition grouped by customer, only
//! those before `as_of` kept (I3), and the customers seen counted for the
//! report. Partitions in runs are grouped already.

use crate::lines::{Line, Part};

/// Groups the lines of one partition by customer with a counting sort on the
/// customers' local indexes (linear in the rows), keeping only those with
/// `day < as_of` (I3); returns how many distinct customers had lines at all,
/// and how many kept lines (the customers left in the partition).
///
/// Lines that do not come in day order (a shuffled table) are first
/// counting-sorted by day, so that each customer's lines come out in day
/// order; without order ids the lines of one customer and day are then summed
/// into one: the walk then reads every customer as it is, instead of sorting
/// and summing its lines itself ([`super::timeline::CustomerDays::fill`], which
/// still takes the customers whose day sums leave the fixed-point range, and
/// every customer with order ids, whose lines it then finds in day order).
/// Lines already in day order (a log by date) keep it through the stable sort
/// by customer. Both give a stable sort by customer and day (unless the days
/// span too many slots for a counting sort, [`DaySpan::fits`]).
///
/// `scratch` is a buffer the caller keeps across partitions (one per task):
/// the lines move between it and the partition's own buffer, so grouping
/// allocates nothing once the first partitions are done. Fresh memory costs
/// more than moving lines: the kernel zeroes every page first (6-15% of a
/// 10M-row call's samples before this, `perf`).
pub fn group_part(
    part: &mut Part,
    scratch: &mut Vec<Line>,
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
    let mut days = DaySpan::default();
    for l in &part.lines {
        if prev != Some(l.customer) {
            runs += 1;
            prev = Some(l.customer);
        }
        if l.day < as_of {
            starts[local(l.customer) + 1] += 1;
            days.add(l.day);
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
    if let Some(orders) = part.orders.take() {
        part.orders = Some(with_orders(
            part,
            &orders,
            scratch,
            &mut starts,
            &local,
            &days,
            as_of,
        ));
    } else if !days.ordered && days.fits(kept) {
        // Day order first (into the scratch), then by customer (stable), then each
        // customer's lines of one day summed.
        sort_by_day(&part.lines, scratch, &days, as_of, kept, |_, _| {});
        if let Some(b) = buckets_for(kept) {
            // The partition's buffer is the middle step; the lines end in the scratch.
            by_customer_in_buckets(scratch, &mut part.lines, &mut starts, &local, as_of, b);
            std::mem::swap(&mut part.lines, scratch);
        } else {
            let by_day = std::mem::take(scratch);
            by_customer(
                &by_day,
                &mut part.lines,
                &mut starts,
                &local,
                as_of,
                |_, _| {},
            );
            *scratch = by_day;
        }
        sum_days(&mut part.lines);
    } else if let Some(b) = buckets_for(kept) {
        by_customer_in_buckets(&mut part.lines, scratch, &mut starts, &local, as_of, b);
    } else {
        by_customer(&part.lines, scratch, &mut starts, &local, as_of, |_, _| {});
        std::mem::swap(&mut part.lines, scratch);
    }
    (seen as u64, with_lines)
}

/// [`group_part`]'s sort of lines with order ids (`orders`, aligned with the
/// lines; the lines end in `part`): their order ids move with them, and lines
/// are never summed (the walk sums per order, I2). Returns the order ids.
fn with_orders(
    part: &mut Part,
    orders: &[u32],
    scratch: &mut Vec<Line>,
    starts: &mut [usize],
    local: impl Fn(u32) -> usize,
    days: &DaySpan,
    as_of: i32,
) -> Vec<u32> {
    let kept = starts[starts.len() - 1];
    let mut dst = vec![0u32; kept];
    if !days.ordered && days.fits(kept) {
        // Day order first, as without order ids: each customer's lines then come in
        // day order, which the walk's sort of them (`CustomerDays::fill`) finds done.
        let mut by_day = vec![0u32; kept];
        sort_by_day(&part.lines, scratch, days, as_of, kept, |i, slot| {
            by_day[slot] = orders[i];
        });
        by_customer(scratch, &mut part.lines, starts, local, as_of, |i, slot| {
            dst[slot] = by_day[i];
        });
    } else {
        by_customer(&part.lines, scratch, starts, local, as_of, |i, slot| {
            dst[slot] = orders[i];
        });
        std::mem::swap(&mut part.lines, scratch);
    }
    dst
}

/// The bytes of lines that one bucket of [`by_customer_in_buckets`] aims at:
/// the bucket and the room it is sorted into fit in a core's L2 cache (512 KiB
/// on the machine we measure on, 1-2 MiB on newer ones).
const BUCKET_BYTES: usize = 128 << 10;

/// Partitions of more lines' bytes than this are sorted in buckets
/// ([`by_customer_in_buckets`]). Measured (`fast` builds, 2-core AMD EPYC,
/// 8 MiB L3, "group and segment" with the threshold lowered to 1 MB): at 10M
/// rows (partitions of ~2.5 MiB, int ids) buckets cost ~10-15 ms (by date
/// ~110-120 -> ~120-135 ms, shuffled ~210-265 -> ~225-265 ms); at 100M rows by
/// date (~25 MiB) they save ~220 ms of ~1.75 s.
const BUCKETS_ABOVE: usize = 4 << 20;

/// The buckets [`by_customer_in_buckets`] sorts `lines` lines in
/// ([`BUCKET_BYTES`] each, a power of two), or `None` when they are few enough
/// for one counting sort to stay in the caches.
fn buckets_for(lines: usize) -> Option<usize> {
    let bytes = lines * std::mem::size_of::<Line>();
    (bytes > BUCKETS_ABOVE).then(|| (bytes / BUCKET_BYTES).clamp(1, 1024).next_power_of_two())
}

/// [`by_customer`] in two stable passes, for partitions larger than the
/// caches: the lines before `as_of` first go to buckets of consecutive
/// customers, one write stream per bucket (`mid`), then each bucket, now
/// cache-sized, is counting-sorted by customer back into `lines`. One pass
/// writes each line to one of `starts.len()` places spread over the whole
/// partition, a cache miss per line once the partition (25 MiB at 100M rows)
/// is larger than the last-level cache; two passes write sequentially or in
/// cache. Same result: both passes are stable.
fn by_customer_in_buckets(
    lines: &mut Vec<Line>,
    mid: &mut Vec<Line>,
    starts: &mut [usize],
    local: impl Fn(u32) -> usize,
    as_of: i32,
    buckets: usize,
) {
    let locals = starts.len() - 1;
    let kept = starts[locals];
    // Customers per bucket: a power of two, so that a bucket is a shift away.
    let shift = (locals.div_ceil(buckets).next_power_of_two()).trailing_zeros();
    let first = |b: usize| (b << shift).min(locals);
    let mut cursor: Vec<usize> = (0..buckets).map(|b| starts[first(b)]).collect();
    mid.clear();
    mid.reserve(kept);
    let out = &mut mid.spare_capacity_mut()[..kept];
    for l in lines.iter().filter(|l| l.day < as_of) {
        let slot = &mut cursor[local(l.customer) >> shift];
        out[*slot].write(*l);
        *slot += 1;
    }
    // SAFETY: the buckets' first slots are the customers' starts at each bucket's
    // first customer, and the lines of a bucket fill it up to the next one's.
    unsafe { mid.set_len(kept) };
    lines.clear();
    let out = &mut lines.spare_capacity_mut()[..kept];
    let mut begin = 0;
    for b in 0..buckets {
        let end = starts[first(b + 1)];
        for l in &mid[begin..end] {
            let slot = &mut starts[local(l.customer)];
            out[*slot].write(*l);
            *slot += 1;
        }
        begin = end;
    }
    // SAFETY: as in `by_customer`, every slot of `0..kept` was written once.
    unsafe { lines.set_len(kept) };
}

/// The stable counting sort of the lines of `src` before `as_of` by customer,
/// into `dst` (its old content dropped): `starts[local(c)]` is where customer
/// `c`'s lines start (the prefix sums of their counts; moved on as lines are
/// written). `moved(i, slot)` is told that line `i` went to slot `slot`.
fn by_customer(
    src: &[Line],
    dst: &mut Vec<Line>,
    starts: &mut [usize],
    local: impl Fn(u32) -> usize,
    as_of: i32,
    mut moved: impl FnMut(usize, usize),
) {
    let kept = starts.last().copied().unwrap_or(0);
    dst.clear();
    dst.reserve(kept);
    let out = &mut dst.spare_capacity_mut()[..kept];
    for (i, l) in src.iter().enumerate() {
        if l.day < as_of {
            let slot = &mut starts[local(l.customer)];
            out[*slot].write(*l);
            moved(i, *slot);
            *slot += 1;
        }
    }
    // SAFETY: `starts` held the prefix sums of the counts of the lines before `as_of`
    // per customer, `kept` in all, so the loop wrote each slot of `0..kept` once.
    unsafe { dst.set_len(kept) };
}

/// The days of the lines kept: whether they come in day order, and their range.
struct DaySpan {
    ordered: bool,
    last: i32,
    lo: i32,
    hi: i32,
}

impl Default for DaySpan {
    fn default() -> Self {
        DaySpan {
            ordered: true,
            last: i32::MIN,
            lo: i32::MAX,
            hi: i32::MIN,
        }
    }
}

impl DaySpan {
    #[inline]
    fn add(&mut self, day: i32) {
        self.ordered &= day >= self.last;
        self.last = day;
        self.lo = self.lo.min(day);
        self.hi = self.hi.max(day);
    }

    /// Days counted by [`sort_by_day`] (one slot each), when there are lines.
    fn len(&self) -> usize {
        (i64::from(self.hi) - i64::from(self.lo) + 1).max(0) as usize
    }

    /// Whether a counting sort of `lines` lines by day costs about what they
    /// do: no more day slots than a few per line (a table over centuries with
    /// few lines keeps the sort per customer).
    fn fits(&self, lines: usize) -> bool {
        self.len() <= (4 * lines).max(1 << 12)
    }
}

/// The `kept` lines of `lines` before `as_of`, stably counting-sorted by day
/// into `out` (its old content dropped). `moved(i, slot)` is told that line `i`
/// went to slot `slot`.
fn sort_by_day(
    lines: &[Line],
    out: &mut Vec<Line>,
    days: &DaySpan,
    as_of: i32,
    kept: usize,
    mut moved: impl FnMut(usize, usize),
) {
    let slot = |day: i32| (day - days.lo) as usize;
    let mut at = vec![0usize; days.len() + 1];
    for l in lines.iter().filter(|l| l.day < as_of) {
        at[slot(l.day) + 1] += 1;
    }
    for i in 0..days.len() {
        at[i + 1] += at[i];
    }
    out.clear();
    out.reserve(kept);
    let dst = &mut out.spare_capacity_mut()[..kept];
    for (i, l) in lines.iter().enumerate().filter(|(_, l)| l.day < as_of) {
        let s = &mut at[slot(l.day)];
        dst[*s].write(*l);
        moved(i, *s);
        *s += 1;
    }
    // SAFETY: `at` held the prefix sums of the counts per day of the `kept` lines
    // before `as_of`, so the loop wrote each slot of `0..kept` once.
    unsafe { out.set_len(kept) };
}

/// Sums the adjacent lines of one customer and day, in place, unless the sum
/// leaves the fixed-point range (the walk then sums that customer's days
/// exactly, I6). No branch on whether a line joins the one before: in a
/// shuffled table of receipt lines that is a coin toss.
fn sum_days(lines: &mut Vec<Line>) {
    // The line written last; at first one no line equals (no day is i32::MIN).
    let mut last = Line::new(u32::MAX, i32::MIN, 0);
    let mut w = 0usize;
    for r in 0..lines.len() {
        let l = lines[r];
        let over = last.amount.checked_add(l.amount).is_none();
        let joins = (l.customer == last.customer) & (l.day == last.day) & !over;
        // A joining line rewrites the line before (slot w - 1) with the sum.
        let slot = w - usize::from(joins);
        // A mask, not an `if` (which compiles to a jump, see `store::hashed::append`):
        // the sum when joining (it fits: checked above), else the line's own amount.
        let amount = (last.amount & -i64::from(joins)) + l.amount;
        last = Line::new(l.customer, l.day, amount);
        lines[slot] = last;
        w = slot + 1;
    }
    lines.truncate(w);
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

    /// A seeded generator of numbers below its argument (an LCG: enough for tests).
    fn random_below(seed: u64) -> impl FnMut(u32) -> u32 {
        let mut state = seed;
        move |m| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u32 % m
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
        assert_eq!(
            group_part(&mut part, &mut Vec::new(), 2, |id| id as usize, 10),
            (2, 2)
        );
        let k: Vec<(u32, i32, u32)> = part
            .lines
            .iter()
            .zip(part.orders.unwrap())
            .map(|(l, o)| (l.customer, l.day, o))
            .collect();
        // Days out of order: sorted by day first, the order ids moved with their lines.
        assert_eq!(k, vec![(0, 1, 11), (0, 9, 9), (1, 2, 12), (1, 5, 15)]);
    }

    #[test]
    fn grouped_lines_stay_in_place_and_scattered_ones_are_grouped() {
        let mut part = Part {
            lines: vec![line(2, 1, 1), line(2, 3, 1), line(0, 2, 1), line(1, 1, 1)],
            orders: None,
        };
        assert_eq!(
            group_part(&mut part, &mut Vec::new(), 3, |id| id as usize, 10),
            (3, 3)
        );
        let ids: Vec<u32> = part.lines.iter().map(|l| l.customer).collect();
        assert_eq!(ids, vec![2, 2, 0, 1], "already grouped: unchanged");
        part.lines.push(line(2, 4, 1));
        group_part(&mut part, &mut Vec::new(), 3, |id| id as usize, 10);
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
        assert_eq!(
            group_part(&mut part, &mut Vec::new(), 3, |id| id as usize, 10),
            (3, 1)
        );
        assert_eq!(part.lines.len(), 1);
    }

    #[test]
    fn shuffled_lines_come_out_in_day_order_one_per_day() {
        let lines = vec![
            line(1, 7, 1),
            line(0, 3, 2),
            line(1, 2, 4),
            line(0, 3, 8),
            line(1, 7, 16),
            line(0, 1, 32),
            line(1, 12, 64), // on or after as_of
        ];
        let mut part = Part {
            lines,
            orders: None,
        };
        assert_eq!(
            group_part(&mut part, &mut Vec::new(), 2, |id| id as usize, 10),
            (2, 2)
        );
        assert_eq!(
            part.lines,
            vec![
                line(0, 1, 32),
                line(0, 3, 10),
                line(1, 2, 4),
                line(1, 7, 17)
            ]
        );
    }

    #[test]
    fn a_day_sum_out_of_range_stays_in_lines_for_the_exact_walk() {
        let mut part = Part {
            lines: vec![
                line(0, 5, i64::MAX),
                line(1, 1, 1),
                line(0, 5, 1),
                line(0, 4, -1),
            ],
            orders: None,
        };
        group_part(&mut part, &mut Vec::new(), 2, |id| id as usize, 10);
        assert_eq!(
            part.lines,
            vec![
                line(0, 4, -1),
                line(0, 5, i64::MAX),
                line(0, 5, 1),
                line(1, 1, 1)
            ]
        );
    }

    #[test]
    fn with_order_ids_lines_are_not_summed() {
        let mut part = Part {
            lines: vec![line(0, 5, 1), line(1, 1, 1), line(0, 5, 2), line(0, 4, 4)],
            orders: Some(vec![1, 2, 3, 4]),
        };
        group_part(&mut part, &mut Vec::new(), 2, |id| id as usize, 10);
        assert_eq!(part.lines.len(), 4);
        // By customer, then day (stable): customer 0's days 4, 5, 5 (orders 4, 1, 3).
        assert_eq!(part.orders.as_deref(), Some(&[4, 1, 3, 2][..]));
    }

    #[test]
    fn lines_with_order_ids_come_out_as_a_stable_sort_by_customer_and_day() {
        // Random lines in any order or by date, with order ids: the lines before as_of,
        // each with its order id, stably sorted by (customer, day), never summed.
        let mut rnd = random_below(11);
        for round in 0..40 {
            let n = 1 + rnd(400) as usize;
            let customers = 1 + rnd(30);
            let mut lines: Vec<Line> = (0..n)
                .map(|_| line(rnd(customers), rnd(60) as i32, i64::from(rnd(9)) - 4))
                .collect();
            if round % 3 == 0 {
                lines.sort_by_key(|l| l.day);
            }
            let orders: Vec<u32> = (0..n as u32).collect();
            let as_of = 50;
            let mut want: Vec<(u32, i32, i64, u32)> = lines
                .iter()
                .zip(&orders)
                .filter(|(l, _)| l.day < as_of)
                .map(|(l, &o)| (l.customer, l.day, l.amount, o))
                .collect();
            want.sort_by_key(|w| (w.0, w.1));
            let mut part = Part {
                lines,
                orders: Some(orders),
            };
            let local = |id: u32| id as usize;
            group_part(&mut part, &mut Vec::new(), customers as usize, local, as_of);
            let got: Vec<(u32, i32, i64, u32)> = part
                .lines
                .iter()
                .zip(part.orders.as_deref().unwrap())
                .map(|(l, &o)| (l.customer, l.day, l.amount, o))
                .collect();
            assert_eq!(got, want, "round {round}");
        }
    }

    #[test]
    fn one_scratch_across_partitions_gives_what_fresh_buffers_give() {
        // Parts by date, shuffled and with order ids, grouped one after the other with
        // one scratch (holding the lines of the part before, of another size) and each
        // with a fresh one: the same lines, orders and counts.
        let mut next = random_below(99);
        let mut parts = Vec::new();
        for (k, n) in [(0, 3000), (1, 50), (2, 4000), (0, 0), (1, 7000)] {
            let mut lines: Vec<Line> = (0..n)
                .map(|_| line(next(300), next(60) as i32, i64::from(next(9)) - 4))
                .collect();
            if k == 0 {
                lines.sort_by_key(|l| l.day); // a log by date
            }
            let orders = (k == 2).then(|| (0..n).map(|_| next(1000)).collect());
            parts.push(Part { lines, orders });
        }
        let mut scratch = vec![line(7, 7, 7); 10];
        for part in &parts {
            let copy = || Part {
                lines: part.lines.clone(),
                orders: part.orders.clone(),
            };
            let (mut a, mut b) = (copy(), copy());
            let got = group_part(&mut a, &mut scratch, 300, |id| id as usize, 50);
            let want = group_part(&mut b, &mut Vec::new(), 300, |id| id as usize, 50);
            assert_eq!(got, want);
            assert_eq!((a.lines, a.orders), (b.lines, b.orders));
        }
    }

    #[test]
    fn the_sort_in_buckets_equals_the_one_pass_sort() {
        // Random lines (some on or after as_of) of up to 5000 customers, sorted in
        // 1..64 buckets and in one pass: the same lines in the same (stable) order.
        let mut next = random_below(7);
        for round in 0..40 {
            let locals = 1 + next(5000) as usize;
            let n = next(20_000) as usize;
            let lines: Vec<Line> = (0..n)
                .map(|_| line(next(locals as u32), next(100) as i32, i64::from(next(50))))
                .collect();
            let as_of = if round % 2 == 0 { 100 } else { 70 };
            let mut starts = vec![0usize; locals + 1];
            for l in lines.iter().filter(|l| l.day < as_of) {
                starts[l.customer as usize + 1] += 1;
            }
            for i in 0..locals {
                starts[i + 1] += starts[i];
            }
            let mut want = Vec::new();
            let mut s = starts.clone();
            by_customer(&lines, &mut want, &mut s, |c| c as usize, as_of, |_, _| {});
            let buckets = 1 << next(7);
            let mut got = lines.clone();
            let mut mid = vec![line(1, 1, 1); next(50) as usize];
            let id = |c| c as usize;
            by_customer_in_buckets(&mut got, &mut mid, &mut starts, id, as_of, buckets);
            assert_eq!(
                got, want,
                "{locals} customers, {n} lines, {buckets} buckets"
            );
        }
    }

    #[test]
    fn partitions_past_the_caches_group_as_small_ones_do() {
        // 300,000 lines (4.8 MB, past BUCKETS_ABOVE) of 20,000 customers, by date and
        // shuffled, some on or after as_of: grouped in buckets, they equal a stable
        // sort by customer (by date) and by (customer, day) with days summed (shuffled).
        let mut next = random_below(3);
        let n = 300_000;
        assert!(buckets_for(n).is_some());
        let mut lines: Vec<Line> = (0..n)
            .map(|_| line(next(20_000), next(1000) as i32, i64::from(next(100))))
            .collect();
        let as_of = 900;
        for shuffled in [true, false] {
            if !shuffled {
                lines.sort_by_key(|l| l.day);
            }
            let mut want: Vec<Line> = lines.iter().filter(|l| l.day < as_of).copied().collect();
            if shuffled {
                want.sort_by_key(|l| (l.customer, l.day));
                sum_days(&mut want);
            } else {
                want.sort_by_key(|l| l.customer);
            }
            let mut part = Part {
                lines: lines.clone(),
                orders: None,
            };
            let mut scratch = vec![line(5, 5, 5); 17];
            group_part(&mut part, &mut scratch, 20_000, |id| id as usize, as_of);
            assert_eq!(part.lines, want, "shuffled: {shuffled}");
        }
    }

    #[test]
    fn sum_days_agrees_with_a_map_of_day_totals() {
        // Lines of a few customers in random order: after grouping, one line per
        // (customer, day) in day order, each with the day's total.
        let mut next = random_below(12345);
        let lines: Vec<Line> = (0..2000)
            .map(|_| line(next(50), next(40) as i32, i64::from(next(100)) - 50))
            .collect();
        let mut want = std::collections::BTreeMap::<(u32, i32), i64>::new();
        lines.iter().filter(|l| l.day < 30).for_each(|l| {
            *want.entry((l.customer, l.day)).or_default() += l.amount;
        });
        let mut part = Part {
            lines,
            orders: None,
        };
        group_part(&mut part, &mut Vec::new(), 50, |id| id as usize, 30);
        let got: Vec<((u32, i32), i64)> = part
            .lines
            .iter()
            .map(|l| ((l.customer, l.day), l.amount))
            .collect();
        assert_eq!(got, want.into_iter().collect::<Vec<_>>());
    }
}
