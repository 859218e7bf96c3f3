//! The pass over the partitions: each partition read (from memory or disk),
//! its lines grouped by customer ([`super::group`]) and every customer walked
//! ([`super::walk`]), one task per partition; then the facts in key order.

use rayon::prelude::*;

use super::group::{group_part, group_runs};
use super::segmented::{PartFacts, Segmented};
use super::timeline::CustomerDays;
use super::walk::{Need, Walker};
use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::keys::Keys;
use crate::lines::{Line, Part};
use crate::money::Overflow;
use crate::store::Stored;
use crate::timings::Phases;

/// The facts (as `need` says) of every customer of the stored lines with a
/// purchase event before `as_of`, in key order, and the number of customers
/// seen. `hi` is the latest day of the lines.
pub(super) fn pass(
    lines: Stored,
    keys: &Keys,
    walker: &Walker,
    need: Need,
    hi: i32,
    cancel: &Cancel,
) -> Result<(Segmented, u64)> {
    cancel.check()?;
    let mut clock = Phases::start();
    let runs = lines.is_runs();
    let done: Vec<Result<(PartFacts, u64)>> = lines
        .into_partitions()
        .map_init(Vec::new, |scratch, part| {
            let mut part = part?;
            let (seen, kept) = group(&mut part, scratch, runs, hi, walker.as_of(), keys);
            facts_of_part(part, seen, kept, keys, walker, need, cancel)
        })
        .collect();
    clock.lap("group and segment");
    cancel.check()?;
    let mut parts = Vec::with_capacity(done.len());
    let mut seen = 0;
    for d in done {
        let (part, s) = d?;
        seen += s;
        parts.push(part);
    }
    let seg = Segmented::in_key_order(parts, keys, walker.as_of());
    clock.lap("facts in key order");
    Ok((seg, seen))
}

/// Walks every customer of one partition grouped by [`group`] (`seen` and
/// `kept` as it returned them): their facts and the customers seen.
fn facts_of_part(
    mut part: Part,
    seen: Option<u64>,
    kept: usize,
    keys: &Keys,
    walker: &Walker,
    need: Need,
    cancel: &Cancel,
) -> Result<(PartFacts, u64)> {
    cancel.check()?;
    let mut scratch = CustomerDays::default();
    let mut facts = Vec::with_capacity(kept);
    let mut extras = Vec::with_capacity(if need.extras { kept } else { 0 });
    let split = walker.has_holdout();
    let mut holdout = Vec::with_capacity(if split { kept } else { 0 });
    let chunks = each_customer(&mut part, keys, cancel, None, |c, chunk, orders| {
        let found = if split {
            walker
                .customer_split(need, c, chunk, orders, &mut scratch)?
                .map(|(f, x, h)| {
                    holdout.push(h);
                    (f, x)
                })
        } else {
            walker.customer(need, c, chunk, orders, &mut scratch)?
        };
        if let Some((f, x)) = found {
            facts.push(f);
            if need.extras {
                extras.push(x);
            }
        }
        Ok(())
    })?;
    let part = PartFacts {
        facts,
        extras,
        steps: Vec::new(),
        holdout,
    };
    Ok((part, seen.unwrap_or(chunks)))
}

/// Groups the lines of a partition by customer, keeping those before `as_of`
/// (I3): returns the customers seen (`None` when each customer is one chunk
/// already, to be counted by [`each_customer`]) and those kept (a capacity hint).
/// `scratch`: a buffer kept across the partitions of one task ([`group_part`]).
pub(super) fn group(
    part: &mut Part,
    scratch: &mut Vec<Line>,
    runs: bool,
    hi: i32,
    as_of: i32,
    keys: &Keys,
) -> (Option<u64>, usize) {
    // Runs with no line on or after as_of are grouped already: each customer is one
    // chunk below, and is counted there (room for a customer per 4 lines to start
    // with; the facts grow past it if need be).
    let some = |(seen, kept): (u64, usize)| (Some(seen), kept);
    match (runs, hi >= as_of) {
        (true, false) => (None, part.lines.len() / 4),
        (true, true) => some(group_runs(part, as_of)),
        _ => some(group_part(
            part,
            scratch,
            keys.locals(),
            |id| keys.local(id),
            as_of,
        )),
    }
}

/// Calls `visit` with each customer's lines (and order ids) of a grouped
/// partition, in the order of the lines, or of `rank[customer]` when given (a
/// history's facts come out of its partitions in key order, to be merged, not
/// gathered, at every boundary); a sum that leaves the fixed-point range there
/// is an error naming the customer (I6). Returns the number of customers visited.
pub(super) fn each_customer(
    part: &mut Part,
    keys: &Keys,
    cancel: &Cancel,
    rank: Option<&[u32]>,
    mut visit: impl FnMut(u32, &mut [Line], Option<&[u32]>) -> std::result::Result<(), Overflow>,
) -> Result<u64> {
    let overflow = |c: u32| CoreError::SumOverflow {
        customer: keys.display(c),
    };
    let orders = part.orders.as_deref();
    let Some(rank) = rank else {
        let (mut offset, mut chunks) = (0, 0u64);
        for (i, chunk) in part
            .lines
            .chunk_by_mut(|a, b| a.customer == b.customer)
            .enumerate()
        {
            chunks += 1;
            if i % 4096 == 0 && cancel.check().is_err() {
                break; // the caller checks again
            }
            let c = chunk[0].customer;
            let o = orders.map(|o| &o[offset..offset + chunk.len()]);
            offset += chunk.len();
            visit(c, chunk, o).map_err(|_| overflow(c))?;
        }
        return Ok(chunks);
    };
    let chunks = chunks_by_rank(&part.lines, rank);
    for (i, &(_, start, len)) in chunks.iter().enumerate() {
        if i % 4096 == 0 && cancel.check().is_err() {
            break; // the caller checks again
        }
        let chunk = &mut part.lines[start..start + len];
        let c = chunk[0].customer;
        let o = orders.map(|o| &o[start..start + len]);
        visit(c, chunk, o).map_err(|_| overflow(c))?;
    }
    Ok(chunks.len() as u64)
}

/// The (rank, start, length) of every customer's run of lines, sorted by
/// `rank[customer]` (a sort of sorted runs when the lines are grouped in that
/// order already).
fn chunks_by_rank(lines: &[Line], rank: &[u32]) -> Vec<(u32, usize, usize)> {
    let mut chunks = Vec::new();
    let mut start = 0;
    for chunk in lines.chunk_by(|a, b| a.customer == b.customer) {
        chunks.push((rank[chunk[0].customer as usize], start, chunk.len()));
        start += chunk.len();
    }
    chunks.sort_unstable_by_key(|&(r, _, _)| r);
    chunks
}
