//! The pass over the partitions: each partition read (from memory or disk),
//! its lines grouped by customer ([`super::group`]) and every customer walked
//! ([`super::walk`]), one task per partition; then the facts in key order.

use rayon::prelude::*;

use super::group::{group_part, group_runs};
use super::segmented::Segmented;
use super::timeline::CustomerDays;
use super::walk::{Extra, Facts, Need, Walker};
use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::keys::Keys;
use crate::lines::Part;
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
    let done: Vec<Result<PartFacts>> = lines
        .into_partitions()
        .map(|part| facts_of_part(part?, runs, hi, keys, walker, need, cancel))
        .collect();
    clock.lap("group and segment");
    cancel.check()?;
    let mut parts = Vec::with_capacity(done.len());
    let mut seen = 0;
    for d in done {
        let d = d?;
        seen += d.seen;
        parts.push((d.facts, d.extras));
    }
    let seg = Segmented::in_key_order(parts, keys, need.extras, walker.as_of());
    clock.lap("facts in key order");
    Ok((seg, seen))
}

/// The facts of the customers of one partition.
struct PartFacts {
    facts: Vec<Facts>,
    /// Aligned with `facts` when asked for.
    extras: Vec<Extra>,
    /// Customers with lines, any day.
    seen: u64,
}

/// Groups one partition's lines by customer (those before `as_of`) and walks
/// every customer.
fn facts_of_part(
    mut part: Part,
    runs: bool,
    hi: i32,
    keys: &Keys,
    walker: &Walker,
    need: Need,
    cancel: &Cancel,
) -> Result<PartFacts> {
    cancel.check()?;
    let as_of = walker.as_of();
    // Runs with no line on or after as_of are grouped already: each customer is one
    // chunk below, and is counted there (room for a customer per 4 lines to start
    // with; the facts grow past it if need be).
    let some = |(seen, kept): (u64, usize)| (Some(seen), kept);
    let (seen, kept) = match (runs, hi >= as_of) {
        (true, false) => (None, part.lines.len() / 4),
        (true, true) => some(group_runs(&mut part, as_of)),
        _ => some(group_part(
            &mut part,
            keys.locals(),
            |id| keys.local(id),
            as_of,
        )),
    };
    let overflow = |c: u32| CoreError::SumOverflow {
        customer: keys.display(c),
    };
    let mut scratch = CustomerDays::default();
    let mut facts = Vec::with_capacity(kept);
    let mut extras = Vec::with_capacity(if need.extras { kept } else { 0 });
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
        let orders = part
            .orders
            .as_ref()
            .map(|o| &o[offset..offset + chunk.len()]);
        offset += chunk.len();
        let walked = walker
            .customer(need, c, chunk, orders, &mut scratch)
            .map_err(|_| overflow(c))?;
        if let Some((f, x)) = walked {
            facts.push(f);
            if need.extras {
                extras.push(x);
            }
        }
    }
    Ok(PartFacts {
        facts,
        extras,
        seen: seen.unwrap_or(chunks),
    })
}
