//! Dense ids for customer (and order) keys.
//!
//! Integer keys in a compact range map to `key - lo` with no hashing at all
//! (the common case: customer numbers). String keys that arrive in increasing
//! byte order (a table sorted by customer) get their rank as id, again with no
//! hashing; the first key out of order turns them hashed ([`Remap::Table`]).
//! Sparse integers and other strings are hash interned, strings in 16 hash
//! partitions interned in parallel (id = `local << 4 | partition`). Ids need not be contiguous: an id without lines
//! is simply a customer that is never seen. The original keys are kept to
//! build the output column with the input's type (CV7) and to name customers
//! in messages.

use std::hash::BuildHasher;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt64Type};
use arrow_array::{Array, ArrayRef, GenericStringArray, Int64Array, OffsetSizeTrait, UInt64Array};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::DataType;
use hashbrown::hash_map::Entry;
use hashbrown::{DefaultHashBuilder, HashMap, HashTable};
use rayon::prelude::*;

use crate::error::{CoreError, Result};

/// Marks a row whose key is null.
pub const NULL_ID: u32 = u32::MAX;

/// Rows per parallel task.
const CHUNK: usize = 1 << 16;
/// Partitions of the lines: all lines of a customer share one, so partitions
/// are grouped and segmented independently (radix-partitioned aggregation).
pub const PARTITIONS: usize = 64;
/// String hash partitions (a power of two).
const PARTS: usize = 16;
/// Sorted string keys from which a key out of order keeps them as a front tier
/// (binary search, ids kept) rather than hashing them all ([`Remap::Table`]):
/// by then the input is mostly sorted, and hashing millions of keys again
/// would cost more than the searches of the keys that follow.
const FRONT_MIN: usize = if cfg!(test) { 1 << 10 } else { 1 << 20 };
const PART_BITS: u32 = 4;

/// What kind of key a column holds, decided once from the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Signed integers, and unsigned up to 32 bits (widened to i64).
    Int,
    /// 64-bit unsigned integers.
    UInt,
    /// UTF-8 strings of any layout.
    Str,
}

/// The key kind of a column type, following dictionaries to their values.
pub fn key_kind(dt: &DataType) -> Option<KeyKind> {
    use DataType::*;
    match dt {
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 => Some(KeyKind::Int),
        UInt64 => Some(KeyKind::UInt),
        Utf8 | LargeUtf8 | Utf8View => Some(KeyKind::Str),
        Dictionary(k, v) if k.is_dictionary_key_type() => key_kind(v),
        _ => None,
    }
}

/// How ids handed out before a call change: the caller applies it to the ids it holds.
#[derive(Debug, PartialEq)]
pub enum Remap {
    /// Ids are unchanged.
    None,
    /// Every id grows by this much (the integer range grew downwards).
    Shift(u32),
    /// The range gave way to hashing: old id `i` was the key `lo + i`; its new
    /// id is [`Keys::intern_int_key`]`(lo + i)`. Only keys that occur are
    /// hashed, so the caller interns the ids it holds.
    Rebase { lo: i64 },
    /// Sorted strings gave way to hashing: old id `i` is now `table[i]`.
    Table(Vec<u32>),
}

/// One hash partition of string keys, stored once in a byte arena (private fields).
#[derive(Debug, Default)]
pub struct StrPart {
    bytes: Vec<u8>,
    offsets: Vec<usize>,
    /// (hash, local id): the hash is kept so that growing the table never hashes a string again.
    table: HashTable<(u64, u32)>,
}

impl StrPart {
    fn get(&self, local: u32) -> &[u8] {
        &self.bytes[self.offsets[local as usize]..self.offsets[local as usize + 1]]
    }

    fn intern(&mut self, hash: u64, s: &[u8]) -> u32 {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        let (bytes, offsets) = (&self.bytes, &self.offsets);
        let at = |i: u32| &bytes[offsets[i as usize]..offsets[i as usize + 1]];
        if let Some(&(_, found)) = self.table.find(hash, |&(h, i)| h == hash && at(i) == s) {
            return found;
        }
        let id = (self.offsets.len() - 1) as u32;
        self.bytes.extend_from_slice(s);
        self.offsets.push(self.bytes.len());
        self.table.insert_unique(hash, (hash, id), |&(h, _)| h);
        id
    }

    fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
}

/// Interns keys into dense ids.
#[derive(Debug)]
pub enum Keys {
    /// No key yet (an integer column: the first batch chooses range or hash).
    IntEmpty,
    /// Integer keys `lo..lo + len`: id = key - lo.
    IntRange { lo: i64, len: u32 },
    /// Sparse integer keys (signed, or unsigned up to 32 bits).
    Int {
        values: Vec<i64>,
        map: HashMap<i64, u32>,
    },
    /// Unsigned 64-bit keys.
    UInt {
        values: Vec<u64>,
        map: HashMap<u64, u32>,
    },
    /// String keys met in strictly increasing byte order so far: id = rank,
    /// one arena, no table (its `table` stays empty).
    StrSorted(StrPart),
    /// String keys in hash partitions (id = `base + (local << 4 | partition)`),
    /// after a `front` of keys met in increasing order (ids below `base`, in
    /// rank order, looked up by binary search; from `FRONT_MIN`, 2^20, keys).
    Str {
        parts: Vec<StrPart>,
        hasher: DefaultHashBuilder,
        front: StrPart,
        /// `front.len()` rounded up to a multiple of the 16 string partitions; 0 without a front.
        base: u32,
    },
}

/// The partition of an id, as [`Keys::partition`] gives it (see [`Keys::partitioner`]).
#[derive(Debug, Clone, Copy)]
pub struct Partitioner {
    offset: u32,
    mask: u32,
}

impl Partitioner {
    /// `(offset + id) mod 2^k`: for an integer range `lo + id` modulo 64 (64 divides
    /// 2^32, so the wrap of the u32 sum changes nothing), else the id's low bits.
    #[inline]
    pub fn get(self, id: u32) -> usize {
        (self.offset.wrapping_add(id) & self.mask) as usize
    }
}

/// A raw pointer that may cross threads: each row index is written by exactly one task.
#[derive(Clone, Copy)]
struct Out(*mut u32);
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

impl Out {
    /// The pointer (a method, so closures capture the whole `Send` wrapper).
    fn ptr(self) -> *mut u32 {
        self.0
    }
}

impl Keys {
    /// An empty interner for keys of `kind`.
    pub fn new(kind: KeyKind) -> Self {
        match kind {
            KeyKind::Int => Keys::IntEmpty,
            KeyKind::UInt => Keys::UInt {
                values: Vec::new(),
                map: HashMap::new(),
            },
            KeyKind::Str => Keys::StrSorted(StrPart::default()),
        }
    }

    fn hashed_strs(front: StrPart) -> Self {
        let base = front.len().next_multiple_of(PARTS) as u32;
        Keys::Str {
            parts: (0..PARTS).map(|_| StrPart::default()).collect(),
            hasher: DefaultHashBuilder::default(),
            front,
            base,
        }
    }

    /// One more than the largest id handed out: the size of per-id tables.
    pub fn len(&self) -> usize {
        match self {
            Keys::IntEmpty => 0,
            Keys::IntRange { len, .. } => *len as usize,
            Keys::Int { values, .. } => values.len(),
            Keys::UInt { values, .. } => values.len(),
            Keys::StrSorted(arena) => arena.len(),
            Keys::Str { parts, base, .. } => {
                *base as usize + (parts.iter().map(StrPart::len).max().unwrap_or(0) << PART_BITS)
            }
        }
    }

    /// The partition of `id` (< [`PARTITIONS`]). It follows the key, so it
    /// survives a [`Remap::Shift`]; a [`Remap::Rebase`] changes it.
    #[inline]
    pub fn partition(&self, id: u32) -> usize {
        self.partitioner().get(id)
    }

    /// [`Keys::partition`] as a small copyable value, for hot loops (no enum match per
    /// row): an integer range by its key `lo + id` modulo [`PARTITIONS`], strings by
    /// their hash partition (the id's low bits), hashed integers by the id modulo
    /// [`PARTITIONS`].
    pub fn partitioner(&self) -> Partitioner {
        match self {
            Keys::IntRange { lo, .. } => Partitioner {
                offset: lo.rem_euclid(PARTITIONS as i64) as u32,
                mask: (PARTITIONS - 1) as u32,
            },
            Keys::Str { .. } | Keys::StrSorted(_) => Partitioner {
                offset: 0,
                mask: (PARTS - 1) as u32,
            },
            _ => Partitioner {
                offset: 0,
                mask: (PARTITIONS - 1) as u32,
            },
        }
    }

    /// The index of `id` inside its partition: distinct ids of one partition
    /// have distinct indexes, all below [`Keys::locals`].
    #[inline]
    pub fn local(&self, id: u32) -> usize {
        match self {
            Keys::Str { .. } | Keys::StrSorted(_) => (id >> PART_BITS) as usize,
            _ => id as usize / PARTITIONS,
        }
    }

    /// One more than the largest [`Keys::local`].
    pub fn locals(&self) -> usize {
        match self {
            Keys::Str { .. } | Keys::StrSorted(_) => (self.len() >> PART_BITS) + 1,
            _ => self.len() / PARTITIONS + 1,
        }
    }

    /// How many partitions can hold lines (strings use 16 of them).
    pub fn partitions_used(&self) -> usize {
        match self {
            Keys::Str { .. } | Keys::StrSorted(_) => PARTS,
            _ => PARTITIONS,
        }
    }

    /// True when no id was handed out.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn too_many() -> CoreError {
        CoreError::Config("more than 4,294,967,294 distinct keys".into())
    }

    /// Interns every row of `array` (a column of this interner's kind) and
    /// writes its id, or [`NULL_ID`] for a null, into `out`. `rows_seen`
    /// (rows before this array) decides how sparse an integer range may get.
    /// Ids handed out earlier change as the returned [`Remap`] says.
    pub fn intern_array(
        &mut self,
        array: &dyn Array,
        rows_seen: usize,
        out: &mut Vec<u32>,
    ) -> Result<Remap> {
        out.clear();
        if array.is_empty() {
            return Ok(Remap::None);
        }
        if let DataType::Dictionary(_, _) = array.data_type() {
            let dict = array.as_any_dictionary();
            let mut ids = Vec::new();
            let remap = self.intern_array(dict.values().as_ref(), rows_seen, &mut ids)?;
            let nulls = dict.keys().logical_nulls();
            if ids.is_empty() {
                // An empty dictionary: every row must be null.
                out.resize(array.len(), NULL_ID);
                return Ok(remap);
            }
            let keys = dict.normalized_keys();
            out.resize(array.len(), NULL_ID);
            out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, o)| {
                for (j, slot) in o.iter_mut().enumerate() {
                    let i = c * CHUNK + j;
                    // A null key, or a key pointing at a null value, is a null id.
                    if !nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                        *slot = ids.get(keys[i]).copied().unwrap_or(NULL_ID);
                    }
                }
            });
            return Ok(remap);
        }
        let nulls = array.logical_nulls();
        let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
        out.resize(array.len(), NULL_ID);
        match self {
            Keys::UInt { values, map } => {
                let a = array.as_primitive::<UInt64Type>();
                for (i, &v) in a.values().iter().enumerate() {
                    if !is_null(i) {
                        out[i] = intern_map(map, values, v)?;
                    }
                }
                Ok(Remap::None)
            }
            Keys::IntEmpty | Keys::IntRange { .. } | Keys::Int { .. } => {
                let cast;
                let a = if array.data_type() == &DataType::Int64 {
                    array.as_primitive::<Int64Type>()
                } else {
                    cast = arrow_cast::cast(array, &DataType::Int64)?;
                    cast.as_primitive::<Int64Type>()
                };
                let nulls = nulls.as_ref().filter(|n| n.null_count() > 0);
                self.intern_ints(a.values(), nulls, rows_seen, out)
            }
            Keys::StrSorted(arena) => {
                let sorted = match array.data_type() {
                    DataType::Utf8 => {
                        let a = array.as_string::<i32>();
                        sorted_strs(arena, &nulls, |i| a.value(i).as_bytes(), out)?
                    }
                    DataType::LargeUtf8 => {
                        let a = array.as_string::<i64>();
                        sorted_strs(arena, &nulls, |i| a.value(i).as_bytes(), out)?
                    }
                    DataType::Utf8View => {
                        let a = array.as_string_view();
                        sorted_strs(arena, &nulls, |i| a.value(i).as_bytes(), out)?
                    }
                    dt => {
                        return Err(CoreError::Input(format!(
                            "internal: {dt} is not a string type"
                        )))
                    }
                };
                if sorted {
                    return Ok(Remap::None);
                }
                // A key out of order: many keys held stay a sorted front; a few are
                // hashed, in id order, then this array.
                let arena = std::mem::take(arena);
                if arena.len() >= FRONT_MIN {
                    *self = Self::hashed_strs(arena);
                    return self.intern_array(array, rows_seen, out);
                }
                *self = Self::hashed_strs(StrPart::default());
                let mut table = vec![0; arena.len()];
                if let Keys::Str { parts, hasher, .. } = self {
                    let no_front = (&StrPart::default(), 0);
                    intern_strs(
                        parts,
                        hasher,
                        no_front,
                        &None,
                        |i| arena.get(i as u32),
                        &mut table,
                    )?;
                }
                self.intern_array(array, rows_seen, out)?;
                Ok(Remap::Table(table))
            }
            Keys::Str {
                parts,
                hasher,
                front,
                base,
            } => {
                let front = (&*front, *base);
                match array.data_type() {
                    DataType::Utf8 => {
                        let a = array.as_string::<i32>();
                        intern_strs(parts, hasher, front, &nulls, |i| a.value(i).as_bytes(), out)?
                    }
                    DataType::LargeUtf8 => {
                        let a = array.as_string::<i64>();
                        intern_strs(parts, hasher, front, &nulls, |i| a.value(i).as_bytes(), out)?
                    }
                    DataType::Utf8View => {
                        let a = array.as_string_view();
                        intern_strs(parts, hasher, front, &nulls, |i| a.value(i).as_bytes(), out)?
                    }
                    dt => {
                        return Err(CoreError::Input(format!(
                            "internal: {dt} is not a string type"
                        )))
                    }
                }
                Ok(Remap::None)
            }
        }
    }

    /// Integer keys: a compact range maps by subtraction, in parallel; a range
    /// too sparse for a table of ids falls back to a hash map.
    fn intern_ints(
        &mut self,
        v: &[i64],
        nulls: Option<&NullBuffer>,
        rows_seen: usize,
        out: &mut [u32],
    ) -> Result<Remap> {
        // Inlined, and free without nulls (the common case).
        let is_null = |i: usize| nulls.is_some_and(|n| n.is_null(i));
        let (mn, mx) = v
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(c, ch)| {
                let mut m = (i64::MAX, i64::MIN);
                for (j, &x) in ch.iter().enumerate() {
                    if !is_null(c * CHUNK + j) {
                        m = (m.0.min(x), m.1.max(x));
                    }
                }
                m
            })
            .reduce(|| (i64::MAX, i64::MIN), |a, b| (a.0.min(b.0), a.1.max(b.1)));
        if mn > mx {
            return Ok(Remap::None); // all null
        }
        // A range may hold up to 8 slots per row seen (and always 16M).
        let limit = ((rows_seen + v.len()) as u64 * 8).clamp(1 << 24, (NULL_ID - 1) as u64);
        let mut remap = Remap::None;
        match *self {
            Keys::IntEmpty => {
                if ((mx as i128 - mn as i128) as u64) < limit {
                    *self = Keys::IntRange {
                        lo: mn,
                        len: (mx - mn + 1) as u32,
                    };
                } else {
                    *self = Keys::Int {
                        values: Vec::new(),
                        map: HashMap::new(),
                    };
                }
            }
            Keys::IntRange { lo, len } => {
                let (mut nlo, nhi) = (lo.min(mn), (lo + len as i64 - 1).max(mx));
                if nlo < lo {
                    // Leave room below, so ids falling batch after batch shift
                    // the lines held only O(log) times, not once per batch.
                    let room = nlo.saturating_sub((nhi as i128 - nlo as i128 + 1) as i64 / 2);
                    if ((nhi as i128 - room as i128) as u64) < limit {
                        nlo = room;
                    }
                }
                if ((nhi as i128 - nlo as i128) as u64) < limit {
                    *self = Keys::IntRange {
                        lo: nlo,
                        len: (nhi - nlo + 1) as u32,
                    };
                    if nlo < lo {
                        remap = Remap::Shift((lo - nlo) as u32);
                    }
                } else {
                    // Too sparse now: hash from here on; the caller re-interns the ids it holds.
                    *self = Keys::Int {
                        values: Vec::new(),
                        map: HashMap::new(),
                    };
                    remap = Remap::Rebase { lo };
                }
            }
            _ => {}
        }
        match self {
            Keys::IntRange { lo, .. } => {
                let lo = *lo;
                out.par_chunks_mut(CHUNK)
                    .zip(v.par_chunks(CHUNK))
                    .enumerate()
                    .for_each(|(c, (o, ch))| {
                        for (j, (slot, &x)) in o.iter_mut().zip(ch).enumerate() {
                            if !is_null(c * CHUNK + j) {
                                *slot = (x - lo) as u32;
                            }
                        }
                    });
            }
            Keys::Int { values, map } => {
                for (i, &x) in v.iter().enumerate() {
                    if !is_null(i) {
                        out[i] = intern_map(map, values, x)?;
                    }
                }
            }
            _ => unreachable!("integer keys"),
        }
        Ok(remap)
    }

    /// The id of an integer key in a hashed interner (see [`Remap::Rebase`]).
    pub fn intern_int_key(&mut self, key: i64) -> Result<u32> {
        match self {
            Keys::Int { values, map } => intern_map(map, values, key),
            _ => Err(CoreError::Input(
                "internal: intern_int_key on a non-hashed interner".into(),
            )),
        }
    }

    /// The rank of every id in key order (numbers numerically, strings by
    /// their UTF-8 bytes), so output order never depends on row order (I5).
    pub fn ranks(&self) -> Vec<u32> {
        let n = self.len();
        let mut ids: Vec<u32> = match self {
            Keys::IntEmpty => return Vec::new(),
            Keys::IntRange { len, .. } => return (0..*len).collect(),
            Keys::StrSorted(arena) => return (0..arena.len() as u32).collect(),
            Keys::Str {
                parts, front, base, ..
            } => (front.len() as u32..n as u32)
                .filter(|&id| id >= *base && self.exists_str(parts, id - base))
                .collect(),
            _ => (0..n as u32).collect(),
        };
        match self {
            Keys::Int { values, .. } => ids.par_sort_unstable_by_key(|&i| values[i as usize]),
            Keys::UInt { values, .. } => ids.par_sort_unstable_by_key(|&i| values[i as usize]),
            Keys::Str { .. } => {
                // Sort on the first 8 bytes as a big-endian integer (same order as
                // the bytes), comparing whole keys only when those are equal.
                let prefix = |id: u32| {
                    let k = self.str_key(id);
                    let mut b = [0u8; 8];
                    let n = k.len().min(8);
                    b[..n].copy_from_slice(&k[..n]);
                    u64::from_be_bytes(b)
                };
                let mut keyed: Vec<(u64, u32)> =
                    ids.par_iter().map(|&id| (prefix(id), id)).collect();
                keyed.par_sort_unstable_by(|a, b| {
                    a.0.cmp(&b.0)
                        .then_with(|| self.str_key(a.1).cmp(self.str_key(b.1)))
                });
                // The front (ids 0.., in order already) merged with the hashed keys, sorted:
                // each hashed key's place in the front by a binary search, in parallel.
                let front = self.front_len() as u32;
                let at: Vec<u32> = keyed
                    .par_iter()
                    .map(|&(_, id)| {
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
                let mut merged = Vec::with_capacity(front as usize + keyed.len());
                let mut f = 0;
                for (&(_, id), &a) in keyed.iter().zip(&at) {
                    merged.extend(f..a);
                    f = a;
                    merged.push(id);
                }
                merged.extend(f..front);
                ids = merged;
            }
            _ => {}
        }
        let mut rank = vec![u32::MAX; n];
        for (pos, &id) in ids.iter().enumerate() {
            rank[id as usize] = pos as u32;
        }
        rank
    }

    /// The indexes of `ids` (distinct ids) in key order (I5): a scatter by
    /// rank, linear in the ids handed out.
    pub fn key_order(&self, ids: &[u32]) -> Vec<u32> {
        self.key_order_in(&[ids], |&id| id)
            .into_iter()
            .map(|(_, i)| i)
            .collect()
    }

    /// Whether ids are handed out in key order (a compact integer range, sorted strings).
    pub fn id_is_rank(&self) -> bool {
        matches!(self, Keys::IntRange { .. } | Keys::StrSorted(_))
    }

    /// The `(part, index)` of every item of `parts` in key order of their
    /// customer ids `id(item)` (distinct across all parts), I5: a scatter by
    /// rank, linear in the ids handed out, in parallel.
    pub fn key_order_in<T: Sync>(
        &self,
        parts: &[&[T]],
        id: impl Fn(&T) -> u32 + Sync,
    ) -> Vec<(u32, u32)> {
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
        // A compact integer range and sorted strings rank by id.
        let by_id = self.id_is_rank();
        let rank = (!by_id).then(|| self.ranks());
        let slot: Vec<AtomicU64> = (0..self.len())
            .into_par_iter()
            .map(|_| AtomicU64::new(u64::MAX))
            .collect();
        parts.par_iter().enumerate().for_each(|(p, part)| {
            part.par_iter().enumerate().for_each(|(i, item)| {
                let id = id(item);
                let r = rank.as_ref().map_or(id, |rank| rank[id as usize]);
                slot[r as usize].store(((p as u64) << 32) | i as u64, Relaxed);
            })
        });
        slot.into_par_iter()
            .map(AtomicU64::into_inner)
            .filter(|&v| v != u64::MAX)
            .map(|v| ((v >> 32) as u32, v as u32))
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

    /// Whether the hashed id `id` (less the base) was handed out.
    fn exists_str(&self, parts: &[StrPart], id: u32) -> bool {
        ((id >> PART_BITS) as usize) < parts[(id as usize) & (PARTS - 1)].len()
    }

    /// Keys in the sorted front of hashed strings (0 for other keys).
    fn front_len(&self) -> usize {
        match self {
            Keys::Str { front, .. } => front.len(),
            _ => 0,
        }
    }

    fn str_key(&self, id: u32) -> &[u8] {
        match self {
            Keys::Str {
                parts, front, base, ..
            } => match id.checked_sub(*base) {
                None => front.get(id),
                Some(h) => parts[(h as usize) & (PARTS - 1)].get(h >> PART_BITS),
            },
            Keys::StrSorted(arena) => arena.get(id),
            _ => b"",
        }
    }

    /// The key of `id` as text, for messages.
    pub fn display(&self, id: u32) -> String {
        match self {
            Keys::IntEmpty => String::new(),
            Keys::IntRange { lo, .. } => (lo + id as i64).to_string(),
            Keys::Int { values, .. } => values[id as usize].to_string(),
            Keys::UInt { values, .. } => values[id as usize].to_string(),
            Keys::Str { .. } | Keys::StrSorted(_) => {
                format!("'{}'", String::from_utf8_lossy(self.str_key(id)))
            }
        }
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
            Keys::IntRange { lo, .. } => ints(ids, |i| lo + i as i64),
            Keys::Int { values, .. } => ints(ids, |i| values[i as usize]),
            Keys::UInt { values, .. } => Arc::new(UInt64Array::from(
                ids.par_iter()
                    .map(|&i| values[i as usize])
                    .collect::<Vec<u64>>(),
            )),
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
            Ok(arrow_cast::cast(&arr, data_type)?)
        }
    }
}

/// Gives the strings `get(0..out.len())` their rank as id when they continue
/// the strictly increasing byte order of `arena` (equal keys are adjacent,
/// nulls anywhere), appending the new ones; returns `false`, changing
/// nothing, at the first key out of order.
///
/// In parallel: every chunk checks its own rows and notes where a new key
/// starts; a serial pass checks the chunk boundaries and counts the new keys
/// before each chunk; every chunk then writes its ids.
fn sorted_strs<'a>(
    arena: &mut StrPart,
    nulls: &Option<arrow_buffer::NullBuffer>,
    get: impl Fn(usize) -> &'a [u8] + Sync,
    out: &mut [u32],
) -> Result<bool> {
    let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    // Per chunk: rows where a key greater than the one before starts, or None when out of order.
    let starts: Vec<Option<Vec<u32>>> = (0..out.len())
        .into_par_iter()
        .step_by(CHUNK)
        .map(|start| {
            let end = (start + CHUNK).min(out.len());
            let mut new = Vec::new();
            let mut prev: Option<&[u8]> = None;
            for i in start..end {
                if is_null(i) {
                    continue;
                }
                let key = get(i);
                if let Some(p) = prev {
                    if same(p, key) {
                        continue;
                    }
                    if p > key {
                        return None;
                    }
                }
                new.push((i - start) as u32);
                prev = Some(key);
            }
            Some(new)
        })
        .collect();
    let Some(mut starts) = starts.into_iter().collect::<Option<Vec<_>>>() else {
        return Ok(false);
    };
    // Chunk boundaries: a chunk's first key against the last key before it.
    let mut last: Option<&[u8]> = (arena.len() > 0).then(|| arena.get(arena.len() as u32 - 1));
    for (c, new) in starts.iter_mut().enumerate() {
        let Some(&first) = new.first() else { continue };
        let key = get(c * CHUNK + first as usize);
        match last.map(|l| l.cmp(key)) {
            Some(std::cmp::Ordering::Equal) => {
                new.remove(0);
            }
            Some(std::cmp::Ordering::Greater) => return Ok(false),
            _ => {}
        }
        if let Some(&j) = new.last() {
            last = Some(get(c * CHUNK + j as usize));
        }
    }
    let total = arena.len() + starts.iter().map(Vec::len).sum::<usize>();
    if total >= NULL_ID as usize {
        return Err(Keys::too_many());
    }
    // The id of each chunk's rows before its first new key: the last id before the chunk.
    let mut before = Vec::with_capacity(starts.len());
    let mut next = arena.len() as u32;
    for new in &starts {
        before.push(next.wrapping_sub(1));
        next += new.len() as u32;
    }
    out.par_chunks_mut(CHUNK)
        .zip(&starts)
        .zip(&before)
        .enumerate()
        .for_each(|(c, ((o, new), &b))| {
            let (mut id, mut k) = (b, 0);
            for (j, slot) in o.iter_mut().enumerate() {
                if is_null(c * CHUNK + j) {
                    *slot = NULL_ID;
                    continue;
                }
                if new.get(k) == Some(&(j as u32)) {
                    id = id.wrapping_add(1);
                    k += 1;
                }
                *slot = id;
            }
        });
    if arena.offsets.is_empty() {
        arena.offsets.push(0);
    }
    arena.offsets.reserve(total - arena.len());
    for (c, new) in starts.iter().enumerate() {
        for &j in new {
            arena.bytes.extend_from_slice(get(c * CHUNK + j as usize));
            arena.offsets.push(arena.bytes.len());
        }
    }
    Ok(true)
}

/// The id of `key` in a sorted front (its rank), by binary search.
fn find_sorted(front: &StrPart, key: &[u8]) -> Option<u32> {
    let n = front.len() as u32;
    if n == 0 || key < front.get(0) || key > front.get(n - 1) {
        return None;
    }
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match front.get(mid).cmp(key) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}

/// `a == b`, inlined for the short keys customer ids are (a call to `memcmp`
/// per row costs more than the comparison).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    match n {
        0..=7 => a.iter().zip(b).all(|(x, y)| x == y),
        // Two overlapping words cover 8 to 16 bytes.
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// Interns the strings `get(0..out.len())` into the hash partitions, in parallel:
/// one task per partition, each owning its arena and table.
fn intern_strs<'a>(
    parts: &mut [StrPart],
    hasher: &DefaultHashBuilder,
    (front, base): (&StrPart, u32),
    nulls: &Option<arrow_buffer::NullBuffer>,
    get: impl Fn(usize) -> &'a [u8] + Sync,
    out: &mut [u32],
) -> Result<()> {
    // Hash in parallel, bucket the rows of each chunk by partition, then let
    // one task per partition intern its rows in row order. A row with the same
    // key as the row before (rows often come grouped by customer) is neither
    // hashed nor interned: it copies that row's id at the end. A key of the
    // sorted front gets its id there and then.
    type Chunk = (Vec<u64>, Vec<Vec<u32>>, Vec<u32>);
    let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    let out_ptr = Out(out.as_mut_ptr());
    let chunks: Vec<Chunk> = (0..out.len())
        .into_par_iter()
        .step_by(CHUNK)
        .map(|start| {
            let end = (start + CHUNK).min(out.len());
            let mut hashes = vec![0u64; end - start];
            let mut rows: Vec<Vec<u32>> = vec![Vec::new(); PARTS];
            let mut repeats = Vec::new();
            for i in start..end {
                let j = i - start;
                if is_null(i) {
                    continue;
                }
                let key = get(i);
                if i > start && !is_null(i - 1) && get(i - 1) == key {
                    repeats.push(j as u32);
                    continue;
                }
                if let Some(id) = find_sorted(front, key) {
                    // SAFETY: this chunk's task alone writes its rows; `out` outlives it.
                    unsafe { *out_ptr.ptr().add(i) = id };
                    continue;
                }
                let h = hasher.hash_one(key);
                hashes[j] = h;
                rows[(h as usize) & (PARTS - 1)].push(j as u32);
            }
            (hashes, rows, repeats)
        })
        .collect();
    parts
        .par_iter_mut()
        .enumerate()
        .try_for_each(|(p, part)| -> Result<()> {
            for (c, (hashes, rows, _)) in chunks.iter().enumerate() {
                for &j in &rows[p] {
                    let i = c * CHUNK + j as usize;
                    let local = part.intern(hashes[j as usize], get(i));
                    if local >= ((NULL_ID - base) >> PART_BITS) {
                        return Err(Keys::too_many());
                    }
                    // SAFETY: row i belongs to partition p only, so no other task writes out[i];
                    // `out` has `i + 1` elements at least and outlives this scope.
                    unsafe { *out_ptr.ptr().add(i) = base + (local << PART_BITS | p as u32) };
                }
            }
            Ok(())
        })?;
    // Repeats in row order, so a run of them copies its first row's id.
    out.par_chunks_mut(CHUNK)
        .zip(&chunks)
        .for_each(|(o, (_, _, repeats))| {
            for &j in repeats {
                o[j as usize] = o[j as usize - 1];
            }
        });
    Ok(())
}

fn intern_map<K: std::hash::Hash + Eq + Copy>(
    map: &mut HashMap<K, u32>,
    values: &mut Vec<K>,
    k: K,
) -> Result<u32> {
    let id = values.len();
    match map.entry(k) {
        Entry::Occupied(e) => Ok(*e.get()),
        Entry::Vacant(e) => {
            if id >= NULL_ID as usize {
                return Err(Keys::too_many());
            }
            values.push(k);
            Ok(*e.insert(id as u32))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::types::Int8Type;
    use arrow_array::StringArray;
    use arrow_array::{DictionaryArray, Int32Array, StringViewArray};

    fn keys_of(k: &Keys, ids: &[u32]) -> Vec<String> {
        ids.iter()
            .map(|&i| {
                if i == NULL_ID {
                    "null".into()
                } else {
                    k.display(i)
                }
            })
            .collect()
    }

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
    fn a_long_sorted_front_keeps_its_ids() {
        // FRONT_MIN (2^10 in tests) sorted keys and more: a key out of order keeps them as
        // the sorted front (no remap); later keys are found there or hashed after it.
        let key = |i: usize| format!("C{:07}", 2 * i);
        let n = FRONT_MIN + 5;
        let sorted: Vec<String> = (0..n).map(key).collect();
        let mut k = Keys::new(KeyKind::Str);
        let mut ids = vec![];
        k.intern_array(&StringArray::from(sorted.clone()), 0, &mut ids)
            .unwrap();
        assert_eq!(ids, (0..n as u32).collect::<Vec<_>>());
        let later = vec![
            key(7),            // in the front
            "C0000003".into(), // inside the front's range, new
            "C0000003".into(),
            "A".into(), // before it
            "Z".into(), // after it
            key(n - 1),
            "C0000003".into(),
        ];
        let mut out = vec![];
        let r = k
            .intern_array(&StringArray::from(later.clone()), n, &mut out)
            .unwrap();
        assert_eq!(r, Remap::None, "the front keeps its ids");
        assert!(matches!(k, Keys::Str { .. }));
        assert_eq!(out[0], 7);
        assert_eq!(out[5], n as u32 - 1);
        assert!(out[1] >= n as u32 && out[1] % PARTS as u32 == k.partition(out[1]) as u32);
        assert_eq!((out[1], out[1]), (out[2], out[6]));
        for (id, s) in ids.iter().chain(&out).zip(sorted.iter().chain(&later)) {
            assert_eq!(k.display(*id), format!("'{s}'"));
        }
        // Ranks follow the bytes across the front and the hashed keys.
        let mut all: Vec<(String, u32)> = sorted.iter().cloned().zip(ids.iter().copied()).collect();
        all.extend([1, 3, 4].map(|j| (later[j].clone(), out[j])));
        all.sort();
        let rank = k.ranks();
        for (pos, (s, id)) in all.iter().enumerate() {
            assert_eq!(rank[*id as usize] as usize, pos, "{s}");
        }
        let mut seen = std::collections::HashSet::new();
        for &(_, id) in &all {
            assert!(k.local(id) < k.locals());
            assert!(seen.insert((k.partition(id), k.local(id))));
        }
        let t = k.take(&[out[3], 0, out[4]], &DataType::Utf8).unwrap();
        let t = t.as_string::<i32>();
        assert_eq!((t.value(0), t.value(1), t.value(2)), ("A", "C0000000", "Z"));
    }

    #[test]
    fn string_ids_stay_consistent_whatever_the_order() {
        // Random arrays of keys: sorted ones (ranked), then out of order (a front when
        // long, else hashed again), with repeats and nulls. Every key keeps one id across
        // arrays (after the remaps returned), and ranks follow the bytes.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
        for (case, sorted_keys) in [5usize, 300, FRONT_MIN + 300].into_iter().enumerate() {
            let mut pool: Vec<String> = (0..sorted_keys)
                .map(|i| format!("k{:06}{}", i * 3, "x".repeat(i % 13)))
                .collect();
            pool.sort();
            let mut k = Keys::new(KeyKind::Str);
            let mut seen: Vec<(Option<String>, u32)> = vec![];
            let mut arrays: Vec<Vec<Option<String>>> =
                vec![pool.iter().cloned().map(Some).collect()];
            for _ in 0..4 {
                arrays.push(
                    (0..500)
                        .map(|_| match rng.random_range(0..10) {
                            0 => None,
                            1..=5 => Some(pool[rng.random_range(0..pool.len())].clone()),
                            _ => Some(format!("k{:06}n", rng.random_range(0..4 * sorted_keys))),
                        })
                        .collect(),
                );
            }
            for (a, keys) in arrays.iter().enumerate() {
                let mut out = vec![];
                let remap = k
                    .intern_array(&StringArray::from(keys.clone()), seen.len(), &mut out)
                    .unwrap();
                if let Remap::Table(t) = &remap {
                    seen.iter_mut()
                        .filter(|(s, _)| s.is_some())
                        .for_each(|(_, id)| *id = t[*id as usize]);
                } else {
                    assert_eq!(remap, Remap::None, "case {case}, array {a}");
                }
                seen.extend(keys.iter().cloned().zip(out));
            }
            assert_eq!(
                matches!(&k, Keys::Str { front, .. } if front.len() > 0),
                sorted_keys >= FRONT_MIN,
                "case {case}: a front only from FRONT_MIN keys"
            );
            let mut by_key = std::collections::BTreeMap::new();
            for (s, id) in &seen {
                match s {
                    None => assert_eq!(*id, NULL_ID),
                    Some(s) => {
                        assert_eq!(k.display(*id), format!("'{s}'"), "case {case}");
                        assert_eq!(*by_key.entry(s.clone()).or_insert(*id), *id, "{s}");
                    }
                }
            }
            let rank = k.ranks();
            for (pos, id) in by_key.values().enumerate() {
                assert_eq!(rank[*id as usize] as usize, pos, "case {case}");
            }
            let mut locals = std::collections::HashSet::new();
            for id in by_key.values() {
                assert!(k.local(*id) < k.locals());
                assert!(locals.insert((k.partition(*id), k.local(*id))));
            }
        }
    }

    #[test]
    fn short_key_equality() {
        let keys = [
            "",
            "a",
            "b",
            "ab",
            "abcdefg",
            "abcdefgh",
            "abcdefgi",
            "abcdefghijklmnop",
            "abcdefghijklmnoq",
            "bbcdefghijklmnop",
            "abcdefghijklmnopq",
            "abcdefghijklmnopr",
        ];
        for x in keys {
            for y in keys {
                assert_eq!(same(x.as_bytes(), y.as_bytes()), x == y, "{x:?} {y:?}");
            }
        }
    }

    #[test]
    fn sorted_strings_get_their_rank_until_one_is_out_of_order() {
        // Keys in increasing byte order, repeated, with nulls, across chunks (2^16 rows)
        // and arrays: ids are ranks, no hashing.
        let key = |i: usize| format!("C{:07}", i / 3);
        let n = 3 * CHUNK + 5;
        let rows: Vec<Option<String>> = (0..n).map(|i| (i % 11 != 4).then(|| key(i))).collect();
        let mut k = Keys::new(KeyKind::Str);
        let (mut out, mut all) = (vec![], vec![]);
        for piece in rows.chunks(CHUNK + 17) {
            let a = StringArray::from(piece.to_vec());
            assert_eq!(
                k.intern_array(&a, all.len(), &mut out).unwrap(),
                Remap::None
            );
            all.extend_from_slice(&out);
        }
        assert!(matches!(k, Keys::StrSorted(_)));
        assert_eq!(k.len(), n.div_ceil(3));
        for (i, (&id, row)) in all.iter().zip(&rows).enumerate() {
            match row {
                None => assert_eq!(id, NULL_ID, "row {i}"),
                Some(s) => {
                    assert_eq!(id as usize, i / 3, "row {i}");
                    assert_eq!(k.display(id), format!("'{s}'"));
                }
            }
        }
        assert_eq!(k.ranks()[..3], [0, 1, 2]);
        // A key out of order: these many keys stay a sorted front (a few are hashed
        // again, below; a long front: `a_long_sorted_front_keeps_its_ids`).
        assert!(k.len() >= FRONT_MIN);
        let back = StringArray::from(vec!["C0000001", "Z", "C0000001"]);
        assert_eq!(k.intern_array(&back, n, &mut out).unwrap(), Remap::None);
        assert!(matches!(k, Keys::Str { .. }));
        assert_eq!((out[0], out[2]), (1, 1));
        assert_eq!(k.display(out[1]), "'Z'");
        // Equal keys across an array boundary keep one id; a smaller one turns hashed.
        let mut k = Keys::new(KeyKind::Str);
        k.intern_array(&StringArray::from(vec!["a", "b"]), 0, &mut out)
            .unwrap();
        k.intern_array(
            &StringArray::from(vec![None, Some("b"), Some("c")]),
            2,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, vec![NULL_ID, 1, 2]);
        let r = k
            .intern_array(&StringArray::from(vec!["c", "a", "d"]), 5, &mut out)
            .unwrap();
        let Remap::Table(table) = r else {
            panic!("expected a table, got {r:?}");
        };
        assert!(matches!(k, Keys::Str { .. }));
        assert_eq!(k.len() % PARTS, 0, "hashed ids");
        assert_eq!(out[0], table[2]);
        assert_eq!(out[1], table[0]);
        let keys: Vec<String> = table.iter().map(|&id| k.display(id)).collect();
        assert_eq!(keys, ["'a'", "'b'", "'c'"]);
        assert_eq!(k.display(out[2]), "'d'");
    }

    #[test]
    fn partitions_follow_the_rule_of_each_key_kind() {
        let mut r = Keys::new(KeyKind::Int);
        r.intern_array(
            &Int64Array::from(vec![-1_000_000_007, -999_999_000]),
            0,
            &mut vec![],
        )
        .unwrap();
        let Keys::IntRange { lo, .. } = r else {
            panic!("a compact range");
        };
        let (s, u) = (Keys::new(KeyKind::Str), Keys::new(KeyKind::UInt));
        for id in (0..5000).chain([u32::MAX - 3, u32::MAX - 1]) {
            let key_mod = (lo + i64::from(id)).rem_euclid(PARTITIONS as i64) as usize;
            assert_eq!(r.partition(id), key_mod, "range, id {id}");
            assert_eq!(s.partition(id), id as usize % PARTS, "strings, id {id}");
            assert_eq!(u.partition(id), id as usize % PARTITIONS, "hashed, id {id}");
        }
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
    fn partitions_follow_the_key_and_locals_are_unique() {
        let mut k = Keys::new(KeyKind::Int);
        let mut out = vec![];
        k.intern_array(
            &Int64Array::from((1000..1300).collect::<Vec<i64>>()),
            0,
            &mut out,
        )
        .unwrap();
        let before: Vec<usize> = out.iter().map(|&id| k.partition(id)).collect();
        let r = k
            .intern_array(&Int64Array::from(vec![990]), 300, &mut vec![])
            .unwrap();
        let Remap::Shift(shift) = r else {
            panic!("expected a shift, got {r:?}")
        };
        let after: Vec<usize> = out.iter().map(|&id| k.partition(id + shift)).collect();
        assert_eq!(before, after, "a shift keeps partitions");
        let mut seen = std::collections::HashSet::new();
        for id in 0..k.len() as u32 {
            assert!(k.local(id) < k.locals());
            assert!(seen.insert((k.partition(id), k.local(id))));
        }
    }

    #[test]
    fn int_range_grows_and_shifts() {
        let mut k = Keys::new(KeyKind::Int);
        let mut out = vec![];
        assert_eq!(
            k.intern_array(&Int32Array::from(vec![Some(5), None, Some(7)]), 0, &mut out)
                .unwrap(),
            Remap::None
        );
        assert_eq!(out, vec![0, NULL_ID, 2]);
        let r = k
            .intern_array(&Int32Array::from(vec![3, 9]), 3, &mut out)
            .unwrap();
        // The range 3..=9 grows by half its span below: lo = 0, so ids shift by 5.
        assert_eq!(r, Remap::Shift(5));
        assert_eq!(out, vec![3, 9]);
        assert_eq!(keys_of(&k, &[5, 3, 9]), vec!["5", "3", "9"]);
        assert_eq!(k.ranks(), (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn sparse_ints_fall_back_to_hashing() {
        let mut k = Keys::new(KeyKind::Int);
        let mut out = vec![];
        k.intern_array(&Int64Array::from(vec![10, 12]), 0, &mut out)
            .unwrap();
        let r = k
            .intern_array(&Int64Array::from(vec![i64::MAX, 11, -5]), 2, &mut out)
            .unwrap();
        assert_eq!(r, Remap::Rebase { lo: 10 });
        // The caller re-interns the old ids it holds (keys 10 and 12).
        let (a, b) = (k.intern_int_key(10).unwrap(), k.intern_int_key(12).unwrap());
        assert_eq!(keys_of(&k, &[a, b]), vec!["10", "12"]);
        assert_eq!(
            keys_of(&k, &out),
            vec![i64::MAX.to_string(), "11".into(), "-5".into()]
        );
        assert_eq!(k.len(), 5, "only keys that occur are hashed");
        let rank = k.ranks();
        assert!(
            rank[out[2] as usize] < rank[a as usize] && rank[a as usize] < rank[out[0] as usize]
        );
        // All-sparse from the start.
        let mut h = Keys::new(KeyKind::Int);
        h.intern_array(&Int64Array::from(vec![0, i64::MAX]), 0, &mut out)
            .unwrap();
        assert!(matches!(h, Keys::Int { .. }));
    }

    #[test]
    fn empty_dictionaries_are_all_null() {
        let mut s = Keys::new(KeyKind::Str);
        let mut out = vec![];
        let d: DictionaryArray<Int8Type> = vec![None::<&str>, None].into_iter().collect();
        s.intern_array(&d, 0, &mut out).unwrap();
        assert_eq!(out, vec![NULL_ID, NULL_ID]);
        let e: DictionaryArray<Int8Type> = Vec::<Option<&str>>::new().into_iter().collect();
        s.intern_array(&e, 0, &mut out).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn interns_dictionaries() {
        let mut s = Keys::new(KeyKind::Str);
        let mut out = vec![];
        let d: DictionaryArray<Int8Type> = vec![Some("x"), None, Some("y"), Some("x")]
            .into_iter()
            .collect();
        s.intern_array(&d, 0, &mut out).unwrap();
        assert_eq!(keys_of(&s, &out), vec!["'x'", "null", "'y'", "'x'"]);
        let back = s.take(&[out[2], out[0]], d.data_type()).unwrap();
        assert_eq!(back.data_type(), d.data_type());
    }
}
