//! The result of the per-customer pass: every customer's [`Facts`] (and
//! [`Extra`] facts when asked for), in customer key order (I5), in pieces that
//! the rule modules turn into output columns in parallel.

use rayon::prelude::*;

use super::walk::{Extra, Facts, Holdout, Step};
use crate::error::{CoreError, Result};
use crate::keys::{Keys, Partitioner, PARTITIONS};

/// The facts of every customer with a purchase event, in customer key order:
/// in parts, one after the other (the partitions of the pass when they come in
/// key order, so they need not be copied into one vector; else one part).
#[derive(Debug, Default)]
pub struct Segmented {
    parts: Vec<Vec<Facts>>,
    /// Aligned with `parts` when asked for, else empty.
    extras: Vec<Vec<Extra>>,
    /// The activity since the previous boundary of a history (CV8), aligned
    /// with `parts` when asked for, else empty.
    steps: Vec<Vec<Step>>,
    /// The holdout facts of a calibration/holdout run (CLV4), aligned with
    /// `parts` when asked for, else empty.
    holdout: Vec<Vec<Holdout>>,
    len: usize,
    /// The run's `as_of` (I3).
    pub as_of: i32,
}

/// The per-customer results of one partition of a pass, aligned (`extras`,
/// `steps` and `holdout` empty when not asked for).
#[derive(Debug, Default)]
pub(crate) struct PartFacts {
    pub facts: Vec<Facts>,
    pub extras: Vec<Extra>,
    pub steps: Vec<Step>,
    pub holdout: Vec<Holdout>,
}

/// Facts per piece of [`Segmented::pieces`] at most.
const PIECE: usize = 1 << 14;

impl Segmented {
    fn new(
        parts: Vec<Vec<Facts>>,
        extras: Vec<Vec<Extra>>,
        steps: Vec<Vec<Step>>,
        holdout: Vec<Vec<Holdout>>,
        as_of: i32,
    ) -> Self {
        debug_assert!(extras.is_empty() || extras.len() == parts.len());
        debug_assert!(steps.is_empty() || steps.len() == parts.len());
        debug_assert!(holdout.is_empty() || holdout.len() == parts.len());
        let len = parts.iter().map(Vec::len).sum();
        Segmented {
            parts,
            extras,
            steps,
            holdout,
            len,
            as_of,
        }
    }

    /// The facts and [`Extra`] facts of customers in the order given, as of
    /// `as_of` (a run in pieces reads them back from a table of facts).
    pub fn from_facts(facts: Vec<Facts>, extras: Vec<Extra>, as_of: i32) -> Self {
        Segmented::new(vec![facts], vec![extras], Vec::new(), Vec::new(), as_of)
    }

    /// The number of customers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The facts of the partitions of a pass (with their [`Extra`] facts and
    /// [`Step`]s when not empty), in customer key order (I5): partitions in key
    /// order already (runs of sorted ids) are kept as they are; the partitions
    /// of a hashed pass over ids that are their own rank are merged stretch by
    /// stretch ([`interleaved`]); else the facts are gathered from their
    /// partitions along the keys' order, once, in parallel.
    pub(crate) fn in_key_order(parts: Vec<PartFacts>, keys: &Keys, as_of: i32) -> Self {
        let slices: Vec<&[Facts]> = parts.iter().map(|p| &p.facts[..]).collect();
        if keys.id_is_rank() && ascending(&slices, |f| f.customer) {
            drop(slices);
            return Segmented::of_parts(parts, as_of);
        }
        if keys.id_is_rank() {
            if let Some(stretches) = interleaved(&parts, keys) {
                drop(slices);
                return Segmented::of_parts(stretches, as_of);
            }
        }
        let order = keys.key_order_in(&slices, |f| f.customer);
        drop(slices);
        Segmented::in_order(parts, &order, as_of)
    }

    /// The facts of `parts` (in key order one after the other), kept in their parts.
    fn of_parts(parts: Vec<PartFacts>, as_of: i32) -> Self {
        let extras = parts.iter().any(|p| !p.extras.is_empty());
        let steps = parts.iter().any(|p| !p.steps.is_empty());
        let holdout = parts.iter().any(|p| !p.holdout.is_empty());
        let (mut f, mut x, mut s, mut h) = (vec![], vec![], vec![], vec![]);
        for p in parts {
            f.push(p.facts);
            x.push(p.extras);
            s.push(p.steps);
            h.push(p.holdout);
        }
        x.retain(|_| extras);
        s.retain(|_| steps);
        h.retain(|_| holdout);
        Segmented::new(f, x, s, h, as_of)
    }

    /// The items of `parts` picked by `order` ((part, index) pairs: the key
    /// order, I5), gathered in parallel.
    pub(crate) fn in_order(parts: Vec<PartFacts>, order: &[(u32, u32)], as_of: i32) -> Self {
        let extras = parts.iter().any(|p| !p.extras.is_empty());
        let steps = parts.iter().any(|p| !p.steps.is_empty());
        let facts = gather(order, &parts, |p| &p.facts);
        let more = if extras {
            vec![gather(order, &parts, |p| &p.extras)]
        } else {
            Vec::new()
        };
        let stepped = if steps {
            vec![gather(order, &parts, |p| &p.steps)]
        } else {
            Vec::new()
        };
        let held = if parts.iter().any(|p| !p.holdout.is_empty()) {
            vec![gather(order, &parts, |p| &p.holdout)]
        } else {
            Vec::new()
        };
        Segmented::new(vec![facts], more, stepped, held, as_of)
    }

    /// The facts of partitions that are each in key order (their customers walked
    /// by `rank`), merged into key order (I5) along `ids` (every id in key order;
    /// `rank` their positions, `part_at` the partition of each, aligned with
    /// `ids`): every partition is read in sequence, where a gather by rank reads
    /// the facts at random. A fact the merge misses (a partition out of key order)
    /// is an internal error.
    pub(crate) fn merged(
        parts: Vec<PartFacts>,
        ids: &[u32],
        rank: &[u32],
        part_at: &[u32],
        as_of: i32,
    ) -> Result<Self> {
        let slices: Vec<&[Facts]> = parts.iter().map(|p| &p.facts[..]).collect();
        let order = walk_in_key_order(
            &slices,
            ids.len(),
            |f| rank[f.customer as usize],
            |pos| (ids[pos], part_at[pos]),
        );
        drop(slices);
        let facts: usize = parts.iter().map(|p| p.facts.len()).sum();
        if order.len() != facts {
            return Err(CoreError::Internal(format!(
                "{} of {facts} facts merged in key order",
                order.len()
            )));
        }
        Ok(Segmented::in_order(parts, &order, as_of))
    }

    /// True when there are no customers.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The facts in key order in pieces of at most [`PIECE`], with their
    /// [`Extra`] facts (empty slices when not asked for): the unit of parallel work.
    pub fn pieces(&self) -> Vec<(&[Facts], &[Extra])> {
        let mut out = Vec::with_capacity(self.len / PIECE + self.parts.len());
        for (p, facts) in self.parts.iter().enumerate() {
            let extras = self.extras.get(p).map_or(&[][..], |x| &x[..]);
            for (i, r) in facts.chunks(PIECE).enumerate() {
                out.push((r, extras.get(i * PIECE..i * PIECE + r.len()).unwrap_or(&[])));
            }
        }
        out
    }

    /// `out` (one item per customer) cut like [`Segmented::pieces`].
    pub fn split_like<'a, T>(&self, mut out: &'a mut [T]) -> Vec<&'a mut [T]> {
        assert_eq!(out.len(), self.len, "one item per customer");
        let mut slices = Vec::with_capacity(self.len / PIECE + self.parts.len());
        for facts in &self.parts {
            for r in facts.chunks(PIECE) {
                let (head, tail) = out.split_at_mut(r.len());
                slices.push(head);
                out = tail;
            }
        }
        slices
    }

    /// A column of one value per customer, in key order, from each piece's facts and
    /// facts (`write` fills a piece's slots), in parallel.
    pub fn map_pieces<T: Send + Default + Clone>(
        &self,
        write: impl Fn(&[Facts], &[Extra], &mut [T]) + Sync,
    ) -> Vec<T> {
        let mut out = vec![T::default(); self.len];
        self.pieces()
            .into_par_iter()
            .zip(self.split_like(&mut out))
            .for_each(|((r, x), d)| write(r, x, d));
        out
    }

    /// A column from the facts, in key order.
    pub fn column<T: Send + Default + Clone>(&self, f: impl Fn(&Facts) -> T + Sync) -> Vec<T> {
        self.map_pieces(|facts, _, out| {
            out.iter_mut().zip(facts).for_each(|(o, r)| *o = f(r));
        })
    }

    /// A column from the facts and their [`Extra`] facts (which must have been
    /// asked for), in key order.
    pub fn column_x<T: Send + Default + Clone>(
        &self,
        f: impl Fn(&Facts, &Extra) -> T + Sync,
    ) -> Vec<T> {
        self.map_pieces(|facts, extras, out| {
            assert_eq!(extras.len(), facts.len(), "the Extra facts were asked for");
            for ((o, r), x) in out.iter_mut().zip(facts).zip(extras) {
                *o = f(r, x);
            }
        })
    }

    /// Every customer's [`Extra`] facts, in key order.
    pub fn extras(&self) -> impl Iterator<Item = &Extra> {
        self.extras.iter().flatten()
    }

    /// Every customer's [`Step`], in key order (empty when not asked for).
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().flatten()
    }

    /// Every customer's [`Holdout`] facts, in key order (empty when not asked for).
    pub fn holdout(&self) -> impl Iterator<Item = &Holdout> {
        self.holdout.iter().flatten()
    }

    /// The customer ids in key order.
    pub fn ids(&self) -> Vec<u32> {
        self.column(|r| r.customer)
    }
}

/// The items `field` of the parts picked by `order` ((part, index) pairs), in
/// parallel.
fn gather<T: Copy + Send + Sync>(
    order: &[(u32, u32)],
    parts: &[PartFacts],
    field: impl Fn(&PartFacts) -> &Vec<T> + Sync,
) -> Vec<T> {
    order
        .par_iter()
        .map(|&(p, i)| field(&parts[p as usize])[i as usize])
        .collect()
}

/// The part of each id of `ids` among `parts` (`id(item)`, distinct across all
/// parts, below `n`), `u32::MAX` for the ids in none: aligned with `ids`, so that
/// a merge along `ids` reads it in sequence.
pub(crate) fn parts_along<T: Sync>(
    ids: &[u32],
    parts: &[&[T]],
    n: usize,
    id: impl Fn(&T) -> u32 + Sync,
) -> Vec<u32> {
    let part = part_of(parts, n, id);
    ids.par_iter().map(|&i| part[i as usize]).collect()
}

/// The part of every id of `parts` (`id(item)`, distinct across all parts) below
/// `n`, `u32::MAX` for the ids in none.
fn part_of<T: Sync>(parts: &[&[T]], n: usize, id: impl Fn(&T) -> u32 + Sync) -> Vec<u32> {
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    let part: Vec<AtomicU32> = (0..n)
        .into_par_iter()
        .map(|_| AtomicU32::new(u32::MAX))
        .collect();
    parts.par_iter().enumerate().for_each(|(p, items)| {
        for item in *items {
            part[id(item) as usize].store(p as u32, Relaxed);
        }
    });
    part.into_par_iter().map(AtomicU32::into_inner).collect()
}

/// The (part, index) of the facts of `parts` (each part in key order) along the
/// key order (I5): position `pos` of `0..n` holds id `at(pos).0`, looked for in
/// part `at(pos).1` (`u32::MAX`: in none) with a cursor per part, so every part
/// is read in sequence, where a gather by rank reads the facts at random. A
/// stretch of positions per task, its cursors found by binary search on
/// `rank_of` (a fact's position). A fact out of place is never met: the
/// callers compare the count with the facts.
fn walk_in_key_order(
    parts: &[&[Facts]],
    n: usize,
    rank_of: impl Fn(&Facts) -> u32 + Sync,
    at: impl Fn(usize) -> (u32, u32) + Sync,
) -> Vec<(u32, u32)> {
    const STRETCH: usize = 1 << 16;
    let (rank_of, at) = (&rank_of, &at);
    (0..n.div_ceil(STRETCH))
        .into_par_iter()
        .flat_map_iter(|s| {
            let (lo, hi) = (s * STRETCH, ((s + 1) * STRETCH).min(n));
            let mut cur: Vec<usize> = parts
                .iter()
                .map(|p| p.partition_point(|f| (rank_of(f) as usize) < lo))
                .collect();
            (lo..hi).filter_map(move |pos| {
                let (id, p) = at(pos);
                let p = p as usize;
                let k = *cur.get(p)?;
                (parts[p].get(k)?.customer == id).then(|| {
                    cur[p] += 1;
                    (p as u32, k as u32)
                })
            })
        })
        .collect()
}

/// Ids per stretch of [`interleaved`]: a stretch's facts (32 bytes each, up to
/// one per id) are read twice, so they should stay in a core's L2 cache.
const STRETCH: usize = 1 << 14;

/// The facts of `parts` in key order (I5) when ids are their own rank (a compact
/// integer range, sorted strings) and each part holds the ids of one hash
/// partition ([`Keys::partitioner`]) in ascending order, as a hashed pass leaves
/// them: in stretches of [`STRETCH`] ids, each stretch's facts merged from
/// every part at once into a part of its own (the parts of the result, one
/// after the other, are in key order). A stretch marks its ids in a bitmap and
/// reads the bits in order; the partition of an id says which part holds it, so
/// nothing is looked for and nothing written at random, and ids without facts
/// cost a bit each (most of them at the early boundaries of a history, CV8).
/// `None` when the parts are not so (runs, a partition in two parts, a part
/// out of order).
fn interleaved(parts: &[PartFacts], keys: &Keys) -> Option<Vec<PartFacts>> {
    let facts: Vec<&[Facts]> = parts.iter().map(|p| &p.facts[..]).collect();
    let layout = Interleaving::of(&facts, keys)?;
    let (extras, steps, holdout) = (
        parts.iter().any(|p| !p.extras.is_empty()),
        parts.iter().any(|p| !p.steps.is_empty()),
        parts.iter().any(|p| !p.holdout.is_empty()),
    );
    (0..keys.len().div_ceil(STRETCH))
        .into_par_iter()
        .map_init(Vec::new, |order, s| {
            layout.stretch(s, order)?;
            Some(PartFacts {
                facts: picked(order, parts, true, |p| &p.facts),
                extras: picked(order, parts, extras, |p| &p.extras),
                steps: picked(order, parts, steps, |p| &p.steps),
                holdout: picked(order, parts, holdout, |p| &p.holdout),
            })
        })
        .collect()
}

/// The items `field` of `parts` at `order`'s (part, index) pairs, when `on`;
/// else none.
fn picked<T: Copy>(
    order: &[(u32, u32)],
    parts: &[PartFacts],
    on: bool,
    field: impl Fn(&PartFacts) -> &Vec<T>,
) -> Vec<T> {
    if !on {
        return Vec::new();
    }
    order
        .iter()
        .map(|&(p, i)| field(&parts[p as usize])[i as usize])
        .collect()
}

/// The parts of a hashed pass, as [`interleaved`] reads them: which part holds
/// each partition.
struct Interleaving<'a> {
    parts: &'a [&'a [Facts]],
    owner: [u32; PARTITIONS],
    part_of: Partitioner,
    /// Every id is below this.
    n: usize,
}

impl<'a> Interleaving<'a> {
    /// The layout of `parts` when the first fact of each names a partition of
    /// its own (the rest is checked stretch by stretch).
    fn of(parts: &'a [&'a [Facts]], keys: &Keys) -> Option<Self> {
        let part_of = keys.partitioner();
        let mut owner = [u32::MAX; PARTITIONS];
        for (i, part) in parts.iter().enumerate() {
            if let Some(f) = part.first() {
                let o = &mut owner[part_of.get(f.customer)];
                if *o != u32::MAX {
                    return None;
                }
                *o = i as u32;
            }
        }
        Some(Interleaving {
            parts,
            owner,
            part_of,
            n: keys.len(),
        })
    }

    /// Stretch `s`'s facts in key order, as (part, index) pairs into `order`
    /// (cleared first). `None` when a part's facts in the stretch are not
    /// ascending ids of its own partition, or a part does not end in the last
    /// stretch: the stretches then do not cover every fact once.
    fn stretch(&self, s: usize, order: &mut Vec<(u32, u32)>) -> Option<()> {
        let (lo, hi) = (s * STRETCH, ((s + 1) * STRETCH).min(self.n));
        let mut bits = [0u64; STRETCH / 64];
        let mut cur = Vec::with_capacity(self.parts.len());
        for (p, part) in self.parts.iter().enumerate() {
            let at = |id: usize| part.partition_point(|f| (f.customer as usize) < id);
            let (from, to) = (at(lo), at(hi));
            if to < from || (hi == self.n && to != part.len()) {
                return None;
            }
            let mut prev = None;
            for f in &part[from..to] {
                let id = f.customer as usize;
                let own = self.owner[self.part_of.get(f.customer)] == p as u32;
                if !own || id < lo || id >= hi || prev >= Some(id) {
                    return None;
                }
                prev = Some(id);
                bits[(id - lo) / 64] |= 1 << ((id - lo) % 64);
            }
            cur.push(from as u32);
        }
        order.clear();
        for (w, &word) in bits.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let id = (lo + w * 64 + word.trailing_zeros() as usize) as u32;
                let p = self.owner[self.part_of.get(id)] as usize;
                order.push((p as u32, cur[p]));
                cur[p] += 1;
                word &= word - 1;
            }
        }
        Some(())
    }
}

/// Whether the items of `parts`, one part after the other, have strictly
/// increasing ids.
fn ascending<T: Sync>(parts: &[&[T]], id: impl Fn(&T) -> u32 + Sync) -> bool {
    // The ends first: the parts of a hashed pass interleave, and fail here without
    // the read of every item below.
    let ends: Vec<(u32, u32)> = parts
        .iter()
        .filter_map(|p| Some((id(p.first()?), id(p.last()?))))
        .collect();
    ends.windows(2).all(|w| w[0].1 < w[1].0)
        && parts
            .par_iter()
            .all(|p| p.windows(2).all(|w| id(&w[0]) < id(&w[1])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyKind;
    use arrow_array::{Int64Array, StringArray};

    fn fact(customer: u32) -> Facts {
        Facts {
            customer,
            k: customer as i32,
            ..Facts::default()
        }
    }

    /// The ids of [`interleaved`]'s facts, stretch after stretch (`None` when it
    /// gives up); its other fields carry the facts' ids too, to show they move
    /// with them.
    fn merged_ids(parts: &[Vec<Facts>], keys: &Keys) -> Option<Vec<u32>> {
        let parts: Vec<PartFacts> = parts
            .iter()
            .map(|p| PartFacts {
                facts: p.clone(),
                steps: p
                    .iter()
                    .map(|f| Step {
                        events: f.customer,
                        net: 0,
                    })
                    .collect(),
                ..PartFacts::default()
            })
            .collect();
        let stretches = interleaved(&parts, keys)?;
        let ids: Vec<u32> = stretches
            .iter()
            .flat_map(|s| &s.facts)
            .map(|f| f.customer)
            .collect();
        let steps: Vec<u32> = stretches
            .iter()
            .flat_map(|s| &s.steps)
            .map(|s| s.events)
            .collect();
        assert_eq!(ids, steps, "steps move with their facts");
        assert!(stretches
            .iter()
            .all(|s| s.extras.is_empty() && s.holdout.is_empty()));
        Some(ids)
    }

    /// Integer keys `0..n`, interned in order (ids are their own rank).
    fn int_keys(n: i64) -> Keys {
        let mut keys = Keys::new(KeyKind::Int);
        let v: Vec<i64> = (0..n).collect();
        keys.intern_array(&Int64Array::from(v), 0, &mut vec![])
            .unwrap();
        keys
    }

    /// Facts of `ids` laid out as a hashed pass leaves them: one part per
    /// partition, each ascending, the partitions in a scrambled order.
    fn hashed_parts(keys: &Keys, ids: &[u32]) -> Vec<Vec<Facts>> {
        let mut parts = vec![Vec::new(); PARTITIONS];
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        for id in sorted {
            parts[keys.partition(id)].push(fact(id));
        }
        parts.rotate_left(5);
        parts
    }

    #[test]
    fn interleaving_equals_the_general_key_order() {
        // A compact integer range (offset 1000: partitions are not the ids' low bits)
        // and sorted strings; every id, and every third id (customers without facts).
        let mut ints = Keys::new(KeyKind::Int);
        let v: Vec<i64> = (0..200_000i64)
            .map(|i| 1000 + (i * 7919) % 200_000)
            .collect();
        ints.intern_array(&Int64Array::from(v), 0, &mut vec![])
            .unwrap();
        let mut strs = Keys::new(KeyKind::Str);
        let words: Vec<String> = (0..150_000).map(|i| format!("C{i:07}")).collect();
        let a = StringArray::from(words.iter().map(String::as_str).collect::<Vec<_>>());
        strs.intern_array(&a, 0, &mut vec![]).unwrap();
        for keys in [&ints, &strs] {
            assert!(keys.id_is_rank());
            for step in [1, 3] {
                let ids: Vec<u32> = (0..keys.len() as u32).step_by(step).collect();
                let parts = hashed_parts(keys, &ids);
                let slices: Vec<&[Facts]> = parts.iter().map(|p| &p[..]).collect();
                let want: Vec<u32> = keys
                    .key_order_in(&slices, |f| f.customer)
                    .iter()
                    .map(|&(p, i)| parts[p as usize][i as usize].customer)
                    .collect();
                let got = merged_ids(&parts, keys).expect("a hashed layout");
                assert_eq!(got, want);
                assert_eq!(got.len(), ids.len());
            }
        }
    }

    #[test]
    fn interleaving_gives_up_on_other_layouts() {
        let keys = int_keys(10_000);
        let ids: Vec<u32> = (0..10_000).collect();
        let parts = hashed_parts(&keys, &ids);
        let slices = |parts: &[Vec<Facts>]| parts.iter().map(|p| p.to_vec()).collect::<Vec<_>>();
        let check = |parts: Vec<Vec<Facts>>| merged_ids(&parts, &keys);
        // A part out of order.
        let mut swapped = slices(&parts);
        let p = swapped.iter_mut().find(|p| p.len() > 2).unwrap();
        p.swap(0, 1);
        assert!(check(swapped).is_none());
        // One partition in two parts.
        let mut split = slices(&parts);
        let half = split[0].len() / 2;
        let tail = split[0].split_off(half);
        split.push(tail);
        assert!(check(split).is_none());
        // Runs: consecutive ids in one part (a grouped input).
        assert!(check(vec![ids.iter().map(|&i| fact(i)).collect()]).is_none());
        // And the same facts laid out by partition pass.
        assert!(check(parts).is_some());
    }

    #[test]
    fn interleaving_gives_up_on_a_part_out_of_order_across_stretches() {
        // 60,000 ids: four stretches. A part whose first fact moved to its end (each
        // stretch alone may look in order; together they do not cover it once).
        let keys = int_keys(60_000);
        let ids: Vec<u32> = (0..60_000).collect();
        assert!(merged_ids(&hashed_parts(&keys, &ids), &keys).is_some());
        for p in [0, 7, 63] {
            let mut parts = hashed_parts(&keys, &ids);
            parts[p].rotate_left(1);
            assert!(merged_ids(&parts, &keys).is_none(), "part {p}");
            let mut parts = hashed_parts(&keys, &ids);
            parts[p].rotate_right(1);
            assert!(merged_ids(&parts, &keys).is_none(), "part {p}");
        }
    }

    #[test]
    fn facts_in_key_order_whatever_the_layout() {
        // The whole path: a hashed layout goes through the interleaving, the other
        // layouts through the general order; both give the facts by id.
        let mut keys = Keys::new(KeyKind::Int);
        let v: Vec<i64> = (0..5_000).map(|i| 40 + i).collect();
        keys.intern_array(&Int64Array::from(v), 0, &mut vec![])
            .unwrap();
        let ids: Vec<u32> = (0..5_000).filter(|i| i % 4 != 1).collect();
        let mut scrambled = hashed_parts(&keys, &ids);
        scrambled[3].reverse(); // out of order: the general path
        for parts in [hashed_parts(&keys, &ids), scrambled] {
            let parts: Vec<PartFacts> = parts
                .into_iter()
                .map(|facts| PartFacts {
                    facts,
                    ..PartFacts::default()
                })
                .collect();
            let seg = Segmented::in_key_order(parts, &keys, 0);
            assert_eq!(seg.ids(), ids);
            assert_eq!(seg.column(|f| f.k as u32), ids);
        }
    }
}
