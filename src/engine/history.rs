//! CV8: the facts of every customer at every boundary of a history, from one
//! walk over each customer's timeline.
//!
//! A history asks for the facts of [`super::walk`] as of each boundary s_0 <
//! s_1 < ... of a range. Walking a customer's days once per boundary would
//! cost rows x boundaries; instead one walk over the days (ascending) keeps
//! running totals and, per period with money, a [`Bucket`], and at each
//! boundary it crosses reads the facts off that state. Every boundary is a
//! period start, so every day before it has age >= 1 (P2): there is no P0
//! money, and k is the age of the last purchase. The cost is the rows plus
//! customers x boundaries (the monetary window and the sales lookback look at
//! a few buckets; CLV1's churn bisects the event days).
//!
//! The rule parts that do not depend on the walk (the churn bits, the CLV3
//! span, the sales months, the CV3 window's ages) are the walker's own
//! functions; the test below checks every boundary's facts against
//! [`Walker::customer`] run as of that boundary.

use rayon::prelude::*;

use super::pass::{each_customer, group};
use super::segmented::{parts_along, PartFacts, Segmented};
use super::timeline::{CustomerDays, DayTotal};
use super::walk::{churn_bits, Extra, Facts, Need, Step, Walker};
use super::Options;
use crate::cancel::Cancel;
use crate::error::Result;
use crate::keys::{KeyOrder, Keys};
use crate::lines::{Line, Part};
use crate::money::{fit, Overflow};
use crate::store::Stored;

/// The money of one period of a customer's timeline.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    period: i32,
    net: i128,
    /// CV5: every purchase event of the period falls in a sales month.
    all_sales: bool,
}

/// A customer's running totals over the days walked so far.
struct Running {
    first: i32,
    first_amount: i64,
    last: i32,
    events: u32,
    net: i128,
    event_sum: i128,
    periods_with_events: u32,
    prev_period: i32,
    step: (u32, i128),
}

/// "None yet" for days and periods (no `Option` in the loop).
const NONE: i32 = i32::MIN;

impl Running {
    fn new() -> Self {
        Running {
            first: NONE,
            first_amount: 0,
            last: NONE,
            events: 0,
            net: 0,
            event_sum: 0,
            periods_with_events: 0,
            prev_period: NONE,
            step: (0, 0),
        }
    }
}

/// Scratch space reused from customer to customer.
#[derive(Default)]
pub(crate) struct Scratch {
    days: CustomerDays,
    buckets: Vec<Bucket>,
    event_days: Vec<i32>,
    /// (order, interval between boundaries) pairs.
    spans: Vec<(u32, usize)>,
}

/// What a history computes: the facts of `need`, and each customer's
/// [`Step`] when `steps`.
#[derive(Debug, Clone, Copy)]
pub struct HistoryNeed {
    pub need: Need,
    pub steps: bool,
    /// I2 as of each boundary for an order with lines on both sides of it (the
    /// history's slices equal the single calls); else as over all the lines
    /// (cohorts: who was acquired when, in hindsight).
    pub orders_as_of_each: bool,
}

/// The rules' view of a history's calendar: the walker as of the last
/// boundary (its day table covers every day before it) and each boundary's
/// period index.
pub(crate) struct HistoryWalker<'a> {
    walker: Walker<'a>,
    bounds: &'a [i32],
    p0: Vec<i32>,
}

impl<'a> HistoryWalker<'a> {
    /// The walker of a history over days `lo..` with ascending period starts
    /// `bounds` (the last one after `lo`).
    pub(crate) fn new(opts: &'a Options, lo: i32, bounds: &'a [i32]) -> Result<Self> {
        let last = *bounds.last().expect("a boundary at least");
        let walker = Walker::new(opts, lo, last)?;
        let p0 = bounds
            .iter()
            .map(|&s| {
                opts.periods
                    .index(s)
                    .expect("a boundary is on the calendar")
            })
            .collect();
        Ok(HistoryWalker { walker, bounds, p0 })
    }

    /// Walks one customer's lines (before the last boundary) once: `emit(j,
    /// facts, extra, step)` for every boundary j the customer has a purchase
    /// event before, and every boundary's step money added to `totals` (the
    /// customers without a purchase event included).
    pub(crate) fn customer(
        &self,
        need: HistoryNeed,
        customer: u32,
        lines: &mut [Line],
        orders: Option<&[u32]>,
        scratch: &mut Scratch,
        out: &mut Out,
    ) -> std::result::Result<(), Overflow> {
        let before = out.emitted;
        self.walk_customer(need, customer, lines, orders, scratch, out)?;
        if out.emitted > before {
            out.who.push(customer);
        }
        Ok(())
    }

    /// [`HistoryWalker::customer`] but for the list of customers with facts.
    fn walk_customer(
        &self,
        need: HistoryNeed,
        customer: u32,
        lines: &mut [Line],
        orders: Option<&[u32]>,
        scratch: &mut Scratch,
        out: &mut Out,
    ) -> std::result::Result<(), Overflow> {
        let ascending = lines.windows(2).all(|w| w[0].day < w[1].day);
        if let (Some(o), true) = (orders, need.orders_as_of_each) {
            if self.order_spans_boundary(lines, o, &mut scratch.spans) {
                return self.customer_per_boundary(need, customer, lines, o, scratch, out);
            }
        }
        let Scratch {
            days,
            buckets,
            event_days,
            ..
        } = scratch;
        let mut walk = Walk {
            h: self,
            need,
            customer,
            buckets,
            event_days,
            out,
            only: None,
        };
        if orders.is_none() && ascending {
            walk.days(lines)
        } else {
            days.fill(lines, orders, self.walker.opts.count_zero_days)?;
            walk.days(&days.days)
        }
    }

    /// Whether an order has lines on both sides of a boundary: its total, and
    /// so whether it is a purchase event (I2), then depends on the boundary.
    fn order_spans_boundary(
        &self,
        lines: &[Line],
        orders: &[u32],
        spans: &mut Vec<(u32, usize)>,
    ) -> bool {
        spans.clear();
        let interval = |d: i32| self.bounds.partition_point(|&s| s <= d);
        spans.extend(orders.iter().zip(lines).map(|(&o, l)| (o, interval(l.day))));
        spans.sort_unstable();
        spans.dedup();
        spans.windows(2).any(|w| w[0].0 == w[1].0)
    }

    /// [`HistoryWalker::customer`] for a customer with an order across a
    /// boundary: as of each boundary, its lines before it summed per day and
    /// order (I2 as of that boundary) and walked. Rare; costs lines x boundaries.
    fn customer_per_boundary(
        &self,
        need: HistoryNeed,
        customer: u32,
        lines: &mut [Line],
        orders: &[u32],
        scratch: &mut Scratch,
        out: &mut Out,
    ) -> std::result::Result<(), Overflow> {
        let zero = self.walker.opts.count_zero_days;
        for (j, &s) in self.bounds.iter().enumerate() {
            let keep: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].day < s).collect();
            let mut before: Vec<Line> = keep.iter().map(|&i| lines[i]).collect();
            let their: Vec<u32> = keep.iter().map(|&i| orders[i]).collect();
            scratch.days.fill(&mut before, Some(&their), zero)?;
            let mut walk = Walk {
                h: self,
                need,
                customer,
                buckets: &mut scratch.buckets,
                event_days: &mut scratch.event_days,
                out,
                only: Some(j),
            };
            walk.days(&scratch.days.days)?;
        }
        Ok(())
    }
}

/// What one partition's walks produce: per boundary, the facts of its
/// customers, and the step money of all of them.
pub(crate) struct Out {
    pub parts: Vec<PartFacts>,
    pub between: Vec<Between>,
    /// Every customer with facts at some boundary, in walk order (each
    /// boundary's facts are in this order too).
    pub who: Vec<u32>,
    /// Facts emitted so far.
    emitted: usize,
}

impl Out {
    fn new(bounds: usize) -> Self {
        Out {
            parts: (0..bounds).map(|_| PartFacts::default()).collect(),
            between: (0..bounds).map(|_| Between::default()).collect(),
            who: Vec::new(),
            emitted: 0,
        }
    }
}

/// What happened from the previous boundary to one boundary, besides the
/// facts: the net money of all lines, and the activity of the customers
/// without facts at the boundary (no purchase event before it) that had
/// some (a customer with returns only; with orders, one whose only order was
/// cancelled by its later lines, who may have had facts before).
#[derive(Debug, Default)]
pub struct Between {
    pub net: i128,
    pub strays: Vec<(u32, Step)>,
}

impl Between {
    fn add(&mut self, other: Between) {
        self.net += other.net;
        self.strays.extend(other.strays);
    }
}

/// One customer's walk.
struct Walk<'w, 'a> {
    h: &'w HistoryWalker<'a>,
    need: HistoryNeed,
    customer: u32,
    buckets: &'w mut Vec<Bucket>,
    event_days: &'w mut Vec<i32>,
    out: &'w mut Out,
    /// Emit at this boundary only (the others are walked past).
    only: Option<usize>,
}

impl Walk<'_, '_> {
    /// The walk over the customer's days (ascending, before the last boundary).
    fn days(&mut self, days: &[impl DayTotal]) -> std::result::Result<(), Overflow> {
        let w = &self.h.walker;
        let (cv, clv) = (self.need.need.cv, self.need.need.clv);
        let sol = cv && w.opts.sales_only;
        let zero = w.opts.count_zero_days;
        self.buckets.clear();
        self.event_days.clear();
        let mut r = Running::new();
        let mut j = 0;
        for d in days {
            while j < self.h.bounds.len() && d.day() >= self.h.bounds[j] {
                self.emit(j, &mut r)?;
                j += 1;
            }
            let amount = i128::from(d.amount());
            r.net += amount;
            r.step.1 += amount;
            let p = w.table.index(d.day());
            if cv {
                if self.buckets.last().map(|b| b.period) != Some(p) {
                    self.buckets.push(Bucket {
                        period: p,
                        net: 0,
                        all_sales: true,
                    });
                }
                let b = self.buckets.last_mut().expect("pushed");
                b.net += amount;
                if sol && d.has_event(zero) {
                    b.all_sales &= w.in_sales_month(d.day());
                }
            }
            if !d.has_event(zero) {
                continue;
            }
            if r.first == NONE {
                (r.first, r.first_amount) = (d.day(), d.amount());
            }
            r.last = d.day();
            r.events += d.events();
            r.step.0 += d.events();
            r.event_sum += amount;
            if clv {
                r.periods_with_events += u32::from(p != r.prev_period);
                r.prev_period = p;
                self.event_days.push(d.day());
            }
        }
        while j < self.h.bounds.len() {
            self.emit(j, &mut r)?;
            j += 1;
        }
        Ok(())
    }

    /// Boundary `j` reached: its step money to the totals, and the facts as of
    /// it when the customer has a purchase event before it; the step restarts.
    fn emit(&mut self, j: usize, r: &mut Running) -> std::result::Result<(), Overflow> {
        let (events, net) = std::mem::take(&mut r.step);
        if self.only.is_some_and(|o| o != j) {
            return Ok(());
        }
        let between = &mut self.out.between[j];
        between.net += net;
        if r.first == NONE {
            if self.need.steps && (events, net) != (0, 0) {
                let step = Step {
                    events,
                    net: fit(net)?,
                };
                between.strays.push((self.customer, step));
            }
            return Ok(());
        }
        let facts = self.facts(j, r)?;
        let extra = match self.need.need.extras {
            true => Some(self.extra(j, r)?),
            false => None,
        };
        let step = match self.need.steps {
            true => Some(Step {
                events,
                net: fit(net)?,
            }),
            false => None,
        };
        self.out.emitted += 1;
        let part = &mut self.out.parts[j];
        part.facts.push(facts);
        part.extras.extend(extra);
        part.steps.extend(step);
        Ok(())
    }

    /// The [`Facts`] as of boundary `j` (CV1, CV3-CV5, CV7).
    fn facts(&self, j: usize, r: &Running) -> std::result::Result<Facts, Overflow> {
        let w = &self.h.walker;
        let mut facts = Facts {
            customer: self.customer,
            first: r.first,
            last: r.last,
            ..Facts::default()
        };
        if !self.need.need.cv {
            return Ok(facts);
        }
        let p0 = self.h.p0[j];
        facts.k = p0 - w.table.index(r.last);
        facts.n = r.events;
        let (young, old) = w.window_ages(facts.k);
        let window = self.periods(p0 - old, p0 - young);
        facts.monetary = fit(window.iter().map(|b| b.net).sum())?;
        let lookback = w.opts.sales_lookback as i32;
        facts.sales_only = w.opts.sales_only
            && facts.k <= lookback
            && self
                .periods(p0 - lookback, p0 - 1)
                .iter()
                .all(|b| b.all_sales);
        Ok(facts)
    }

    /// The buckets of the periods `from..=to`.
    fn periods(&self, from: i32, to: i32) -> &[Bucket] {
        let a = self.buckets.partition_point(|b| b.period < from);
        let b = self.buckets.partition_point(|b| b.period <= to);
        &self.buckets[a..b.max(a)]
    }

    /// The [`Extra`] facts as of boundary `j` (R1, CLV1, CLV3, CLV4).
    fn extra(&self, j: usize, r: &Running) -> std::result::Result<Extra, Overflow> {
        let w = &self.h.walker;
        let s = self.h.bounds[j];
        let mut extra = Extra {
            events: r.events,
            net: fit(r.net)?,
            repeat_value: fit(r.event_sum - i128::from(r.first_amount))?,
            ..Extra::default()
        };
        if self.need.need.clv {
            extra.periods_with_events = r.periods_with_events;
            extra.periods_span = w.periods_span(s, r.first);
            // The latest event at least 366 days back decides bit 0, the last event bit 1.
            let i = self.event_days.partition_point(|&d| d <= s - 366);
            let older = i
                .checked_sub(1)
                .map_or(0, |i| churn_bits(s - self.event_days[i]));
            extra.churn = churn_bits(s - r.last) | older;
        }
        Ok(extra)
    }
}

/// What [`pass`] gives: per boundary the facts in key order; what happened
/// between the boundaries besides ([`Between`]); the customers seen; and the key
/// order of all ids when ids do not rank by themselves (for the customer columns).
pub(super) struct Passed {
    pub segs: Vec<Segmented>,
    pub between: Vec<Between>,
    pub seen: u64,
    pub order: Option<KeyOrder>,
}

/// The facts (as `need` says) of every customer with a purchase event before
/// each boundary, in key order, and the rest of [`Passed`]. `hi` is the latest
/// day of the lines.
pub(super) fn pass(
    lines: Stored,
    keys: &Keys,
    h: &HistoryWalker,
    need: HistoryNeed,
    hi: i32,
    cancel: &Cancel,
) -> Result<Passed> {
    cancel.check()?;
    let mut clock = crate::timings::Phases::start();
    let runs = lines.is_runs();
    // Keys that do not rank by id are ranked once, before the walk: every partition
    // then walks its customers in key order, so each boundary's facts are a merge of
    // sorted runs (I5), where a gather by rank reads them at random (16 boundaries of
    // 300k facts of 32 bytes on average at 10M rows).
    let order = (!keys.id_is_rank()).then(|| keys.key_order_of_all());
    clock.lap("history key ranks");
    let walking = Walking {
        runs,
        hi,
        keys,
        h,
        need,
        rank: order.as_ref().map(|o| &o.rank[..]),
        cancel,
    };
    let done: Vec<Result<(Out, u64)>> = lines
        .into_partitions()
        .map_init(Vec::new, |lines, part| walking.part(part?, lines))
        .collect();
    cancel.check()?;
    let bounds = h.bounds.len();
    let (mut outs, mut seen) = (Vec::with_capacity(done.len()), 0);
    for d in done {
        let (out, s) = d?;
        seen += s;
        outs.push(out);
    }
    let mut between: Vec<Between> = (0..bounds).map(|_| Between::default()).collect();
    for out in &mut outs {
        for (b, x) in between.iter_mut().zip(std::mem::take(&mut out.between)) {
            b.add(x);
        }
    }
    clock.lap("history walk");
    let segs = match &order {
        Some(order) => merged_in_key_order(outs, order, h.bounds)?,
        None => (0..bounds)
            .map(|j| Segmented::in_key_order(take(&mut outs, j), keys, h.bounds[j]))
            .collect(),
    };
    clock.lap("history key order");
    Ok(Passed {
        segs,
        between,
        seen,
        order,
    })
}

/// Each boundary's facts in key order (I5), from partitions whose facts are in
/// key order each (walked by rank): merged along the key order of all ids.
fn merged_in_key_order(
    mut outs: Vec<Out>,
    order: &KeyOrder,
    bounds: &[i32],
) -> Result<Vec<Segmented>> {
    let KeyOrder { ids, rank } = order;
    let who: Vec<&[u32]> = outs.iter().map(|o| &o.who[..]).collect();
    let part_at = parts_along(ids, &who, rank.len(), |&c| c);
    drop(who);
    (0..bounds.len())
        .map(|j| Segmented::merged(take(&mut outs, j), ids, rank, &part_at, bounds[j]))
        .collect()
}

/// Boundary `j`'s facts of every partition, taken out.
fn take(outs: &mut [Out], j: usize) -> Vec<PartFacts> {
    outs.iter_mut()
        .map(|o| std::mem::take(&mut o.parts[j]))
        .collect()
}

/// What every partition of [`pass`] is walked with.
struct Walking<'w, 'a> {
    /// The lines come in runs of one customer ([`Stored::is_runs`]).
    runs: bool,
    /// The latest day of the lines.
    hi: i32,
    keys: &'w Keys,
    h: &'w HistoryWalker<'a>,
    need: HistoryNeed,
    /// The rank of every id in key order, when ids do not rank by themselves.
    rank: Option<&'w [u32]>,
    cancel: &'w Cancel,
}

impl Walking<'_, '_> {
    /// One partition of [`pass`]: its lines grouped by customer, every customer
    /// walked (in key order when `rank` is given); and the customers seen.
    /// `lines`: a buffer kept across the partitions of one task ([`group`]).
    fn part(&self, mut part: Part, lines: &mut Vec<Line>) -> Result<(Out, u64)> {
        let Walking { h, keys, .. } = *self;
        self.cancel.check()?;
        let last = *h.bounds.last().expect("a boundary");
        let (seen, _) = group(&mut part, lines, self.runs, self.hi, last, keys);
        let mut scratch = Scratch::default();
        let mut out = Out::new(h.bounds.len());
        let chunks = each_customer(
            &mut part,
            keys,
            self.cancel,
            self.rank,
            |c, chunk, orders| h.customer(self.need, c, chunk, orders, &mut scratch, &mut out),
        )?;
        Ok((out, seen.unwrap_or(chunks)))
    }
}

#[cfg(test)]
mod tests;
