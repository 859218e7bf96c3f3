//! The output order of customers (I5): keys ranked numerically (integers)
//! or by their UTF-8 bytes (strings), whatever the order they came in, and
//! the customer column of the output built from the keys (CV7).

use std::sync::Arc;

use arrow_array::{
    ArrayRef, GenericStringArray, Int64Array, OffsetSizeTrait, StringArray, UInt32Array,
    UInt64Array,
};
use arrow_buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::DataType;
use rayon::prelude::*;

use super::byte_order::{PrefixCode, Seen};
use super::{Keys, StrPart, PART_BITS};
use crate::error::{CoreError, Result};

/// Every id handed out in key order (I5), and the rank of every id in it.
#[derive(Debug, Default)]
pub struct KeyOrder {
    /// The ids handed out, in key order.
    pub ids: Vec<u32>,
    /// The position in `ids` of every id below [`Keys::len`] (`u32::MAX` for
    /// an id not handed out).
    pub rank: Vec<u32>,
}

impl Keys {
    /// The rank of every id in key order (numbers numerically, strings by
    /// their UTF-8 bytes), so output order never depends on row order (I5).
    pub fn ranks(&self) -> Vec<u32> {
        if self.id_is_rank() {
            return (0..self.len() as u32).collect();
        }
        rank_of(&self.ids_in_order(), self.len())
    }

    /// Every id handed out, in key order (I5), and the rank of every id in it.
    pub fn key_order_of_all(&self) -> KeyOrder {
        let ids = self.ids_in_order();
        let rank = rank_of(&ids, self.len());
        KeyOrder { ids, rank }
    }

    /// Every id handed out, in key order (I5).
    fn ids_in_order(&self) -> Vec<u32> {
        match self {
            Keys::IntEmpty | Keys::StrEmpty => Vec::new(),
            // Keys of several widths: byte order is not numeric order (I5).
            Keys::StrNumbered { form, lo, len } if !self.id_is_rank() => {
                form.ids_in_key_order(*lo, *len)
            }
            Keys::IntRange { len, .. } | Keys::StrNumbered { len, .. } => (0..*len).collect(),
            Keys::StrSorted(arena) => (0..arena.len() as u32).collect(),
            Keys::Str { .. } => self.hashed_strings_in_order(),
            Keys::Int { values, .. } => ids_by_value(values),
            Keys::UInt { values, .. } => ids_by_value(values),
        }
    }

    /// The ids of hashed strings (the front and those after it) in byte order.
    fn hashed_strings_in_order(&self) -> Vec<u32> {
        let Keys::Str { parts, base, .. } = self else {
            return Vec::new();
        };
        // Each partition's keys in local-id order: its arena read in sequence, not
        // one random read of offset and bytes per id (id by id, the pairs of 10.27M
        // keys took 200 ms of the ranking here). Read twice: the byte values met,
        // then every key's code ([`byte_order`]), radix sorted.
        let each = |p: usize, part| keys_of_part(p, part, *base);
        let seen = parts
            .par_iter()
            .enumerate()
            .map(|(p, part)| each(p, part).fold(Seen::default(), |s, (pre, _)| s.add(&pre)))
            .reduce(Seen::default, Seen::union);
        let code = PrefixCode::new(&seen);
        let count = parts.iter().map(|p| p.len()).sum();
        let sorted = code.ids_in_order(
            count,
            parts.len(),
            |p| each(p, &parts[p]),
            |id| self.str_key(id),
        );
        let front = self.front_len() as u32;
        if front == 0 {
            return sorted;
        }
        // The front (ids 0.., in order already) merged with the hashed keys, sorted:
        // each hashed key's place in the front by a binary search, in parallel.
        let at: Vec<u32> = sorted
            .par_iter()
            .map(|&id| {
                let key = self.str_key(id);
                let (mut lo, mut hi) = (0, front);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if self.str_key(mid) < key {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                lo
            })
            .collect();
        let mut merged = Vec::with_capacity(front as usize + sorted.len());
        let mut f = 0;
        for (&id, &a) in sorted.iter().zip(&at) {
            merged.extend(f..a);
            f = a;
            merged.push(id);
        }
        merged.extend(f..front);
        merged
    }

    /// The indexes of `ids` (distinct ids) in key order (I5): a scatter by
    /// id read back in key order, linear in the ids handed out.
    pub fn key_order(&self, ids: &[u32]) -> Vec<u32> {
        self.key_order_in(&[ids], |&id| id)
            .into_iter()
            .map(|(_, i)| i)
            .collect()
    }

    /// Whether ids are handed out in key order (a compact integer range,
    /// numbered keys that fit their padding, sorted strings).
    pub fn id_is_rank(&self) -> bool {
        match self {
            Keys::StrNumbered { form, lo, len } => form.fits(lo + i64::from(*len) - 1),
            _ => matches!(self, Keys::IntRange { .. } | Keys::StrSorted(_)),
        }
    }

    /// The `(part, index)` of every item of `parts` in key order of their
    /// customer ids `id(item)` (distinct across all parts), I5: a scatter by
    /// id, read back in key order, linear in the ids handed out, in parallel.
    pub fn key_order_in<T: Sync>(
        &self,
        parts: &[&[T]],
        id: impl Fn(&T) -> u32 + Sync,
    ) -> Vec<(u32, u32)> {
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
        // Every item's place, at its id; then read at the ids in key order (for ids
        // that rank by themselves, that is the slots in order). Writing at the rank
        // instead would need the rank of every id first: two more passes of random
        // accesses over the ids (~0.25 s at 10M customers).
        let slot: Vec<AtomicU64> = (0..self.len())
            .into_par_iter()
            .map(|_| AtomicU64::new(u64::MAX))
            .collect();
        parts.par_iter().enumerate().for_each(|(p, part)| {
            part.par_iter().enumerate().for_each(|(i, item)| {
                slot[id(item) as usize].store(((p as u64) << 32) | i as u64, Relaxed);
            })
        });
        let place = |v: u64| (v != u64::MAX).then_some(((v >> 32) as u32, v as u32));
        if self.id_is_rank() {
            return slot
                .into_par_iter()
                .filter_map(|v| place(v.into_inner()))
                .collect();
        }
        self.ids_in_order()
            .into_par_iter()
            .filter_map(|id| place(slot[id as usize].load(Relaxed)))
            .collect()
    }

    /// The string keys of `ids` (of lengths `lens`) as Arrow string data: the running
    /// sum of the lengths as offsets, then every chunk copies its bytes, in parallel.
    fn strings<O: OffsetSizeTrait>(&self, ids: &[u32], lens: &[usize]) -> GenericStringArray<O> {
        const CH: usize = 1 << 14;
        let mut offsets = Vec::with_capacity(ids.len() + 1);
        offsets.push(O::usize_as(0));
        let mut end = 0usize;
        for &n in lens {
            end += n;
            offsets.push(O::usize_as(end));
        }
        let mut values = vec![0u8; end];
        let mut rest = &mut values[..];
        let mut slices = Vec::with_capacity(ids.len().div_ceil(CH));
        for c in (0..ids.len()).step_by(CH) {
            let hi = offsets[(c + CH).min(ids.len())].as_usize();
            let (head, tail) = rest.split_at_mut(hi - offsets[c].as_usize());
            slices.push(head);
            rest = tail;
        }
        ids.par_chunks(CH).zip(slices).for_each(|(chunk, dst)| {
            let mut at = 0;
            for &i in chunk {
                let k = self.str_key(i);
                dst[at..at + k.len()].copy_from_slice(k);
                at += k.len();
            }
        });
        // SAFETY: the offsets are the running sum of the key lengths, so they start at 0,
        // never decrease and end at `values.len()`; each key is a whole `&str` (the arena
        // only ever receives those), so every slice between offsets is UTF-8.
        unsafe {
            GenericStringArray::new_unchecked(
                OffsetBuffer::new_unchecked(ScalarBuffer::from(offsets)),
                Buffer::from_vec(values),
                None,
            )
        }
    }

    /// [`Keys::take`] for many sets of ids in key order (a history's boundaries,
    /// CV7): with the key order of all ids, each taken by rank from `all`, the keys
    /// of every id in key order (built on the first call and kept), so the keys are
    /// read in sequence, where [`Keys::take`] reads each from its partition's arena
    /// at random; without one (ids that rank by themselves), [`Keys::take`].
    pub fn take_by_rank(
        &self,
        ids: &[u32],
        data_type: &DataType,
        order: Option<&KeyOrder>,
        all: &mut Option<ArrayRef>,
    ) -> Result<ArrayRef> {
        let Some(order) = order else {
            return self.take(ids, data_type);
        };
        let all = match all {
            Some(a) => a,
            None => all.insert(self.take(&order.ids, data_type)?),
        };
        let at: Vec<u32> = ids.par_iter().map(|&i| order.rank[i as usize]).collect();
        arrow_select::take::take(all, &UInt32Array::from(at), None).map_err(CoreError::building)
    }

    /// The keys of `ids`, as an array of `data_type` (the input column's type).
    pub fn take(&self, ids: &[u32], data_type: &DataType) -> Result<ArrayRef> {
        fn ints(ids: &[u32], f: impl Fn(u32) -> i64 + Sync) -> ArrayRef {
            Arc::new(Int64Array::from(
                ids.par_iter().map(|&i| f(i)).collect::<Vec<i64>>(),
            ))
        }
        let arr: ArrayRef = match self {
            Keys::IntEmpty => Arc::new(Int64Array::from(Vec::<i64>::new())),
            Keys::StrEmpty => Arc::new(StringArray::from(Vec::<&str>::new())),
            Keys::IntRange { lo, .. } => ints(ids, |i| lo + i as i64),
            Keys::Int { values, .. } => ints(ids, |i| values[i as usize]),
            Keys::UInt { values, .. } => Arc::new(UInt64Array::from(
                ids.par_iter()
                    .map(|&i| values[i as usize])
                    .collect::<Vec<u64>>(),
            )),
            Keys::StrNumbered { form, lo, .. } => form.take(*lo, ids, self.id_is_rank()),
            Keys::Str { .. } | Keys::StrSorted(_) => {
                let lens: Vec<usize> = ids.par_iter().map(|&i| self.str_key(i).len()).collect();
                if i32::try_from(lens.iter().sum::<usize>()).is_ok() {
                    Arc::new(self.strings::<i32>(ids, &lens))
                } else {
                    Arc::new(self.strings::<i64>(ids, &lens))
                }
            }
        };
        if arr.data_type() == data_type {
            Ok(arr)
        } else {
            arrow_cast::cast(&arr, data_type).map_err(CoreError::building)
        }
    }
}

/// The keys of string partition `p` with their ids (`base` the first id
/// after the sorted front), in local-id order.
fn keys_of_part(p: usize, part: &StrPart, base: u32) -> impl Iterator<Item = ([u8; 16], u32)> + '_ {
    (0..part.len() as u32)
        .map(move |local| (part.prefix(local), base + (local << PART_BITS | p as u32)))
}

/// The ids `0..values.len()` in the order of their (distinct) values: pairs
/// sorted, so the sort reads no value by a random access.
fn ids_by_value<K: Ord + Copy + Send + Sync>(values: &[K]) -> Vec<u32> {
    let mut keyed: Vec<(K, u32)> = values
        .par_iter()
        .enumerate()
        .map(|(id, &v)| (v, id as u32))
        .collect();
    keyed.par_sort_unstable();
    keyed.into_par_iter().map(|(_, id)| id).collect()
}

/// `rank[id]` = the position of `id` in `ids` (distinct ids below `n`; an id
/// not in `ids` gets `u32::MAX`), written in parallel.
fn rank_of(ids: &[u32], n: usize) -> Vec<u32> {
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    let rank: Vec<AtomicU32> = (0..n)
        .into_par_iter()
        .map(|_| AtomicU32::new(u32::MAX))
        .collect();
    ids.par_iter()
        .enumerate()
        .for_each(|(pos, &id)| rank[id as usize].store(pos as u32, Relaxed));
    rank.into_par_iter().map(AtomicU32::into_inner).collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::keys_of;
    use super::super::KeyKind;
    use super::*;
    use arrow_array::{StringArray, StringViewArray};

    #[test]
    fn interns_strings_and_sorts() {
        let mut k = Keys::new(KeyKind::Str);
        let a = StringArray::from(vec![Some("b"), Some("a"), None, Some("b")]);
        let mut out = vec![];
        k.intern_array(&a, 0, &mut out).unwrap();
        assert_eq!(keys_of(&k, &out), vec!["'b'", "'a'", "null", "'b'"]);
        assert_eq!(out[0], out[3]);
        let v = StringViewArray::from(vec!["a", "c"]);
        let mut out2 = vec![];
        k.intern_array(&v, 4, &mut out2).unwrap();
        assert_eq!(out2[0], out[1]);
        let rank = k.ranks();
        assert!(
            rank[out[1] as usize] < rank[out[0] as usize]
                && rank[out[0] as usize] < rank[out2[1] as usize]
        );
        let t = k.take(&[out2[1], out[1]], &DataType::Utf8View).unwrap();
        assert_eq!(t.data_type(), &DataType::Utf8View);
        // "c", "b", "a" -> indexes of "a", "b", "c"
        assert_eq!(k.key_order(&[out2[1], out[0], out[1]]), vec![2, 1, 0]);
    }

    #[test]
    fn taking_by_rank_equals_taking_by_id() {
        // Hashed string keys (out of order, some longer than 16 bytes) and hashed ints:
        // every subset in key order, taken by rank from the keys laid out once, equals
        // the keys taken by id, in the input's type.
        let words: Vec<String> = (0..5000u32)
            .map(|i| format!("{:x}-customer-{}", i.wrapping_mul(2_654_435_761), i % 7))
            .collect();
        let mut strs = Keys::new(KeyKind::Str);
        let mut out = vec![];
        let a = StringArray::from(words.iter().map(String::as_str).collect::<Vec<_>>());
        strs.intern_array(&a, 0, &mut out).unwrap();
        let mut ints = Keys::new(KeyKind::Int);
        let mut out_i = vec![];
        let v: Vec<i64> = (0..5000i64)
            .map(|i| (i * 7919) % 5003 * 10_000_019 - 25_000_000_000)
            .collect();
        ints.intern_array(&Int64Array::from(v), 0, &mut out_i)
            .unwrap();
        for (k, dt) in [(&strs, DataType::Utf8View), (&ints, DataType::Int64)] {
            let order = k.key_order_of_all();
            assert!(!k.id_is_rank());
            let mut all = None;
            for step in [1, 3, 17] {
                let ids: Vec<u32> = order.ids.iter().copied().step_by(step).collect();
                let got = k.take_by_rank(&ids, &dt, Some(&order), &mut all).unwrap();
                assert_eq!(got.as_ref(), k.take(&ids, &dt).unwrap().as_ref());
            }
        }
    }

    #[test]
    fn string_ranks_follow_the_bytes_past_the_first_eight() {
        let keys = [
            "customer-2",
            "customer-10",
            "customer-1",
            "a",
            "a\0",
            "",
            "a\0\0\0\0\0\0\0\0",
            "é",
            "z",
        ];
        let mut k = Keys::new(KeyKind::Str);
        let mut out = vec![];
        k.intern_array(&StringArray::from(keys.to_vec()), 0, &mut out)
            .unwrap();
        let mut want: Vec<usize> = (0..keys.len()).collect();
        want.sort_by_key(|&i| keys[i].as_bytes());
        let got: Vec<usize> = k.key_order(&out).iter().map(|&i| i as usize).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn key_order_of_ranges_and_hashed_ints() {
        let mut k = Keys::new(KeyKind::Int);
        let mut out = vec![];
        k.intern_array(&Int64Array::from(vec![7, 3, 5, 4]), 0, &mut out)
            .unwrap();
        assert!(matches!(k, Keys::IntRange { .. }));
        assert_eq!(k.key_order(&out), vec![1, 3, 2, 0]);
        assert_eq!(k.key_order(&out[..2]), vec![1, 0], "a subset of the ids");
        let mut h = Keys::new(KeyKind::Int);
        h.intern_array(&Int64Array::from(vec![i64::MAX, -9, 0]), 0, &mut out)
            .unwrap();
        assert!(matches!(h, Keys::Int { .. }));
        assert_eq!(h.key_order(&out), vec![1, 2, 0]);
    }

    #[test]
    fn string_ranks_equal_a_plain_sort_of_random_keys() {
        // The radix path (byte_order) against comparing bytes, for keys whose code
        // fits in 32 bits (numbered ids), in 64 (hex), or not at all (any byte, long
        // shared starts: runs of equal codes sorted by their whole keys).
        use rand::{rngs::SmallRng, Rng, SeedableRng};
        let mut rng = SmallRng::seed_from_u64(17);
        let forms: [&dyn Fn(&mut SmallRng) -> String; 5] = [
            &|r| format!("C{:07}", r.random_range(0..3_000_000)),
            // Numbered keys that outgrow their padding (after the first key's).
            &|r| format!("C{:05}", r.random_range(0..300_000)),
            &|r| format!("{:016x}", r.random::<u64>() >> r.random_range(0..64)),
            &|r| {
                let n = r.random_range(0..24);
                (0..n)
                    .map(|_| char::from(r.random_range(0u8..128)))
                    .collect()
            },
            &|r| {
                format!(
                    "user-{:020}@example.{}",
                    r.random_range(0..500),
                    ["nl", "com"][r.random_range(0..2)]
                )
            },
        ];
        // Each form hashed (a plain interner), and as the input's first keys
        // (numbered ids then turn numbered: ids in key order by themselves).
        let cases = forms
            .iter()
            .enumerate()
            .flat_map(|(i, f)| [(i, f, true), (i, f, false)]);
        for (i, form, plain) in cases {
            let mut keys: Vec<String> = (0..20_000).map(|_| form(&mut rng)).collect();
            if i == 1 {
                keys[0] = "C00042".into(); // the padding: 5 digits
            }
            let mut k = if plain {
                Keys::plain_strs()
            } else {
                Keys::new(KeyKind::Str)
            };
            let mut ids = vec![];
            k.intern_array(&StringArray::from(keys.clone()), 0, &mut ids)
                .unwrap();
            let numbered = matches!(k, Keys::StrNumbered { .. });
            assert_eq!(numbered, !plain && i <= 1, "{}", keys[0]);
            assert!(numbered || matches!(k, Keys::Str { .. }));
            let mut want: Vec<(&str, u32)> = keys.iter().map(String::as_str).zip(ids).collect();
            want.sort();
            want.dedup();
            // A range of numbers holds ids no key has (as an integer range does).
            let seen: std::collections::HashSet<u32> = want.iter().map(|w| w.1).collect();
            let mut got: Vec<u32> = k.key_order_of_all().ids;
            got.retain(|id| seen.contains(id));
            assert_eq!(
                got,
                want.iter().map(|&(_, id)| id).collect::<Vec<_>>(),
                "{}",
                keys[0]
            );
        }
    }

    #[test]
    fn sparse_int_ranks_equal_a_plain_sort() {
        // Spans under 2^32 and over it, negative values, both extremes, u64.
        use arrow_array::UInt64Array;
        use rand::{rngs::SmallRng, Rng, SeedableRng};
        let mut rng = SmallRng::seed_from_u64(5);
        for span in [1_000_000_000i64, 1 << 40, i64::MAX] {
            let mut v: Vec<i64> = (0..20_000).map(|_| rng.random_range(-span..span)).collect();
            v.extend([i64::MIN, i64::MAX].iter().filter(|_| span == i64::MAX));
            let (mut k, mut ids) = (Keys::new(KeyKind::Int), vec![]);
            k.intern_array(&Int64Array::from(v.clone()), 0, &mut ids)
                .unwrap();
            assert!(matches!(k, Keys::Int { .. }));
            let mut want: Vec<(i64, u32)> = v.into_iter().zip(ids).collect();
            want.sort();
            want.dedup();
            let want: Vec<u32> = want.iter().map(|&(_, id)| id).collect();
            assert_eq!(k.key_order_of_all().ids, want, "span {span}");
        }
        let u: Vec<u64> = (0..20_000).map(|_| rng.random::<u64>() | 1 << 63).collect();
        let (mut k, mut ids) = (Keys::new(KeyKind::UInt), vec![]);
        k.intern_array(&UInt64Array::from(u.clone()), 0, &mut ids)
            .unwrap();
        let mut want: Vec<(u64, u32)> = u.into_iter().zip(ids).collect();
        want.sort();
        want.dedup();
        let want: Vec<u32> = want.iter().map(|&(_, id)| id).collect();
        assert_eq!(k.key_order_of_all().ids, want);
    }
}
