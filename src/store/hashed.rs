//! The hashed layout: a customer's lines in partition [`Keys::partition`] of
//! its id, in any order (the general case: rows by date, shuffled, or a
//! customer that came back after its run ended). Rows reach their partitions
//! by the one [`scatter`].

use rayon::prelude::*;

use super::CHUNK;
use crate::keys::{Keys, Partitioner, NULL_ID, PARTITIONS};
use crate::lines::{Line, Part, Rows, Stats};
use crate::scatter::scatter;

/// A row that is not appended (invalid).
const SKIP: u8 = u8::MAX;
/// A row added to the previous line of its partition (its low bits are the partition).
const MERGED: u8 = 0x80;
const _: () = assert!(PARTITIONS <= MERGED as usize);

/// Appends the valid rows of a window to their partitions, in row order, with
/// a two-pass radix scatter: each chunk of rows tags every row with its
/// partition and counts its lines per partition ([`tag_chunk`]), then writes
/// them straight to their place. A row of the same customer, day (and order)
/// as the previous valid row of the chunk is added to that row's line instead
/// (I2 uses only such sums), unless the sum leaves the fixed-point range.
/// Returns the counts over the valid rows.
pub(super) fn append(parts: &mut [Part], part_of: Partitioner, rows: &Rows) -> Stats {
    let n = rows.len();
    let mut tags = vec![0u8; n];
    let firsts: Vec<([usize; PARTITIONS], Stats)> = tags
        .par_chunks_mut(CHUNK)
        .enumerate()
        .map(|(ch, tag)| tag_chunk(rows, ch * CHUNK, tag, part_of))
        .collect();
    let counts: Vec<[usize; PARTITIONS]> = firsts.iter().map(|f| f.0).collect();
    scatter(parts, &counts, |ch, sink| {
        let start = ch * CHUNK;
        // The amount of the line written last (the previous valid row's).
        let mut run = 0i64;
        for (j, &t) in tags[start..(start + CHUNK).min(n)].iter().enumerate() {
            if t == SKIP {
                continue;
            }
            let i = start + j;
            let merged = t & MERGED != 0;
            // No branch on `merged` (receipt lines make it a coin toss; an `if` here
            // compiles to one): a merged row rewrites the line of the previous row
            // with the sum, checked in pass 1.
            run = (run & -i64::from(merged)) + rows.amounts[i];
            let line = Line::new(rows.cids[i], rows.days[i], run);
            let order = rows.oids.map_or(0, |o| o[i]);
            sink.put(usize::from(t & !MERGED), line, order, merged);
        }
    });
    let mut stats = Stats::default();
    firsts.iter().for_each(|(_, st)| stats.add(*st));
    stats
}

/// Pass 1 of [`append`] over the rows `start..start + tag.len()`: every row's
/// tag (its partition, [`MERGED`] or [`SKIP`]), the lines per partition, and
/// the counts over the valid rows.
fn tag_chunk(
    rows: &Rows,
    start: usize,
    tag: &mut [u8],
    part_of: Partitioner,
) -> ([usize; PARTITIONS], Stats) {
    let mut counts = [0usize; PARTITIONS];
    let all_ok = rows.ok.is_empty();
    let mut st = if all_ok {
        rows.stats_all_valid(start..start + tag.len())
    } else {
        Stats::default()
    };
    // The previous valid row's line: customer, day, order, amount so far (at
    // first a customer no row has, NULL_ID: no row merges with it).
    let (mut lc, mut ld, mut lo, mut la) = (NULL_ID, i32::MIN, 0u32, 0i64);
    for (j, t) in tag.iter_mut().enumerate() {
        let i = start + j;
        if !all_ok {
            if !rows.ok[i] {
                *t = SKIP;
                continue;
            }
            st.count(rows.days[i], rows.as_of);
        }
        let (c, d, a) = (rows.cids[i], rows.days[i], rows.amounts[i]);
        let o = rows.oids.map_or(0, |o| o[i]);
        // Branch-free: whether a row merges is a coin toss in a log of receipt lines.
        let (sum, over) = la.overflowing_add(a);
        let merged = (c == lc) & (d == ld) & (o == lo) & !over;
        la = if merged { sum } else { a };
        (lc, ld, lo) = (c, d, o);
        // A merged row has the customer, so the partition, of the line it joins.
        let p = part_of.get(c);
        counts[p] += usize::from(!merged);
        *t = p as u8 | if merged { MERGED } else { 0 };
    }
    (counts, st)
}

/// Moves the lines of `held` (a store in runs) to the partitions of their
/// customers in `parts` (empty hashed partitions), in parallel.
pub(super) fn ungroup(held: &[Part], parts: &mut [Part], part_of: Partitioner) {
    let counts: Vec<[usize; PARTITIONS]> = held
        .par_iter()
        .map(|p| {
            let mut c = [0usize; PARTITIONS];
            p.lines.iter().for_each(|l| c[part_of.get(l.customer)] += 1);
            c
        })
        .collect();
    scatter(parts, &counts, |h, sink| {
        let src = &held[h];
        for (i, l) in src.lines.iter().enumerate() {
            sink.push(part_of.get(l.customer), *l, src.order(i));
        }
    });
}

/// Appends the lines of `part` (of any partitions) each to the partition of
/// its customer, serially.
pub(super) fn push_lines(parts: &mut [Part], part: &Part, keys: &Keys) {
    let part_of = keys.partitioner();
    for (i, l) in part.lines.iter().enumerate() {
        parts[part_of.get(l.customer)].push(*l, part.order(i));
    }
}
