//! String ids. Keys in strictly increasing byte order (a table sorted by
//! customer) get their rank as id, with no hashing (`Keys::StrSorted`); the
//! first key out of order either hashes the few keys held again
//! ([`Remap::Table`]) or, from [`FRONT_MIN`] keys on, keeps them as a sorted
//! front searched by bisection, with their ids (`Keys::Str`). Other keys are
//! hash interned in 256 partitions, one task each ([`intern_strs`]).

use std::hash::BuildHasher;

use arrow_array::Array;
use hashbrown::{DefaultHashBuilder, HashTable};
use rayon::prelude::*;

use super::{Keys, Remap, CHUNK, NULL_ID, PARTS, PART_BITS};
use crate::error::{CoreError, Result};
use crate::scatter::Ptr;

/// Sorted string keys from which a key out of order keeps them as a front tier
/// (binary search, ids kept) rather than hashing them all ([`Remap::Table`]):
/// by then the input is mostly sorted, and hashing millions of keys again
/// would cost more than the searches of the keys that follow.
/// (Smaller in tests and under the fuzzers, whose inputs are small.)
pub(super) const FRONT_MIN: usize = if cfg!(fuzzing) {
    1 << 4
} else if cfg!(test) {
    1 << 10
} else {
    1 << 20
};

/// A key of at most [`SHORT_MAX`] bytes packed into two words: its bytes,
/// zero padded, and its length in the last byte, so two short keys are equal
/// exactly when their packed forms are (Arrow's string view inlines short
/// strings the same way). Short keys are hashed and compared as integers,
/// never as bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Short(u64, u64);

/// The longest key that is packed into a [`Short`].
const SHORT_MAX: usize = 15;

/// The little-endian word of `s[at..at + 8]`.
#[inline]
fn word(s: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"))
}

/// The little-endian half word of `s[at..at + 4]`.
#[inline]
fn half(s: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(
        s[at..at + 4].try_into().expect("4 bytes"),
    ))
}

impl Short {
    /// The packed form of `s`, when it is short. Overlapping word loads, no
    /// loop over the bytes (but for keys under 4 bytes).
    #[inline]
    fn pack(s: &[u8]) -> Option<Short> {
        let n = s.len();
        let (lo, hi) = match n {
            0..=3 => (s.iter().rev().fold(0, |v, &b| v << 8 | u64::from(b)), 0),
            // The bytes from 4 on come from the half word ending at n, shifted down.
            4..=7 => (half(s, 0) | (half(s, n - 4) >> (8 * (8 - n))) << 32, 0),
            8 => (word(s, 0), 0),
            9..=SHORT_MAX => (word(s, 0), word(s, n - 8) >> (8 * (16 - n))),
            _ => return None,
        };
        Some(Short(lo, hi | (n as u64) << 56))
    }

    /// The key's [`Slot`]: its bytes, zero padded, its length in the last
    /// byte (the two words' little-endian bytes).
    #[inline]
    fn slot(self) -> Slot {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.0.to_le_bytes());
        b[8..].copy_from_slice(&self.1.to_le_bytes());
        b
    }

    /// The packed key of a short key's slot.
    #[inline]
    fn of_slot(slot: &Slot) -> Short {
        Short(word(slot, 0), word(slot, 8))
    }
}

/// The string partition of a key's hash: bits that neither hashbrown's bucket
/// index (the low bits) nor its control tag (the top 7 bits) uses, so the keys
/// of one partition still spread over all buckets of its table.
#[inline]
fn part_of_hash(h: u64) -> usize {
    (h >> 32) as usize & (PARTS - 1)
}

/// A key as stored, 16 bytes: a short key's packed form ([`Short::slot`]: its
/// bytes, zero padded, and its length in the last byte), or for a longer key
/// where its bytes lie in the partition's `long_bytes` (start and end, 7
/// bytes each) and [`LONG`] in the last byte.
type Slot = [u8; 16];

/// The last byte of a longer key's [`Slot`] (a short key's is its length, at
/// most [`SHORT_MAX`]).
const LONG: u8 = u8::MAX;

/// One hash partition of string keys, each stored once (private fields).
///
/// Short keys, customer ids' usual form, live inline in their 16-byte slot,
/// and their table holds only local ids (5 bytes a bucket with its control
/// byte), compared through the slot: a table of (packed key, id) pairs took
/// 25 bytes a bucket, 0.41 GiB for the 10.27M keys of 100M rows (issue 17's
/// memory bound), on top of the keys' own bytes and offsets.
#[derive(Debug, Default)]
pub struct StrPart {
    /// Per local id, the key's slot.
    slots: Vec<Slot>,
    /// The bytes of the longer keys, one after the other.
    long_bytes: Vec<u8>,
    /// Short keys: local ids, hashed by their packed key.
    short: HashTable<u32>,
    /// Longer keys: (hash, local id); the hash is kept so that growing the
    /// table never hashes a string again.
    long: HashTable<(u64, u32)>,
}

impl StrPart {
    /// The bytes of key `local`.
    #[inline]
    pub(super) fn get(&self, local: u32) -> &[u8] {
        let slot = &self.slots[local as usize];
        match slot[15] {
            LONG => {
                let (start, end) = long_span(slot);
                &self.long_bytes[start..end]
            }
            len => &slot[..usize::from(len)],
        }
    }

    /// The first 16 bytes of key `local`, zero padded (a short key's slot
    /// without its length byte).
    #[inline]
    pub(super) fn prefix(&self, local: u32) -> [u8; 16] {
        let mut slot = self.slots[local as usize];
        match slot[15] {
            LONG => {
                let (start, _) = long_span(&slot);
                slot.copy_from_slice(&self.long_bytes[start..start + 16]);
            }
            _ => slot[15] = 0,
        }
        slot
    }

    /// Appends a new key; returns its local id.
    fn push(&mut self, s: &[u8]) -> u32 {
        match Short::pack(s) {
            Some(short) => self.push_slot(short.slot()),
            None => self.push_long(s),
        }
    }

    fn push_slot(&mut self, slot: Slot) -> u32 {
        let id = self.slots.len() as u32;
        self.slots.push(slot);
        id
    }

    fn push_long(&mut self, s: &[u8]) -> u32 {
        let start = self.long_bytes.len() as u64;
        self.long_bytes.extend_from_slice(s);
        let end = self.long_bytes.len() as u64;
        let mut slot = [0u8; 16];
        slot[..8].copy_from_slice(&start.to_le_bytes());
        slot[8..15].copy_from_slice(&end.to_le_bytes()[..7]);
        slot[15] = LONG;
        self.push_slot(slot)
    }

    /// The local id of the short key `key` (hash `hash`), new or not.
    #[inline]
    fn intern_short(&mut self, hasher: &DefaultHashBuilder, hash: u64, key: Short) -> u32 {
        let slot = key.slot();
        let slots = &self.slots;
        if let Some(&found) = self.short.find(hash, |&i| slots[i as usize] == slot) {
            return found;
        }
        let id = self.push_slot(slot);
        let slots = &self.slots;
        self.short.insert_unique(hash, id, |&i| {
            hasher.hash_one(Short::of_slot(&slots[i as usize]))
        });
        id
    }

    /// The local id of the long key `s` (hash `hash`), new or not.
    #[inline]
    fn intern_long(&mut self, hash: u64, s: &[u8]) -> u32 {
        if let Some(&(_, found)) = self
            .long
            .find(hash, |&(h, i)| h == hash && same(self.get(i), s))
        {
            return found;
        }
        let id = self.push_long(s);
        self.long.insert_unique(hash, (hash, id), |e| e.0);
        id
    }

    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Frees the tables (only the keys are read after the input ends) and the
    /// spare room of the slots and bytes.
    fn seal(&mut self) {
        self.short = HashTable::new();
        self.long = HashTable::new();
        self.slots.shrink_to_fit();
        self.long_bytes.shrink_to_fit();
    }
}

/// Where a longer key's bytes lie in its partition's arena (its [`Slot`]).
#[inline]
fn long_span(slot: &Slot) -> (usize, usize) {
    let start = u64::from_le_bytes(slot[..8].try_into().expect("8 bytes"));
    let mut end = [0u8; 8];
    end[..7].copy_from_slice(&slot[8..15]);
    (start as usize, u64::from_le_bytes(end) as usize)
}

impl Keys {
    /// Hashed string keys after a sorted `front` (which may be empty).
    pub(super) fn hashed_strs(front: StrPart) -> Self {
        let base = front.len().next_multiple_of(PARTS) as u32;
        Keys::Str {
            parts: (0..PARTS).map(|_| StrPart::default()).collect(),
            hasher: DefaultHashBuilder::default(),
            front,
            base,
            scratch: Scratch::default(),
        }
    }

    /// [`Keys::intern_array`] of a string column (of any layout) as sorted or
    /// hashed strings.
    pub(super) fn intern_str_array(
        &mut self,
        array: &dyn Array,
        rows_seen: usize,
        out: &mut Vec<u32>,
    ) -> Result<Remap> {
        let nulls = array.logical_nulls();
        match self {
            Keys::StrSorted(arena) => {
                let sorted = with_strings!(array, |get| sorted_strs(arena, &nulls, get, out))?;
                if sorted {
                    return Ok(Remap::None);
                }
                self.leave_sorted_order(array, rows_seen, out)
            }
            Keys::Str {
                parts,
                hasher,
                front,
                base,
                scratch,
            } => {
                let front = (&*front, *base);
                with_strings!(array, |get| intern_strs(
                    (parts, scratch),
                    hasher,
                    front,
                    &nulls,
                    get,
                    out
                ))?;
                Ok(Remap::None)
            }
            _ => Err(CoreError::Internal("intern_str_array on other keys".into())),
        }
    }

    /// Sorted keys met a key out of order: many keys held stay a sorted front
    /// (ids kept); a few are hashed again, in id order ([`Remap::Table`]);
    /// then `array` is interned.
    fn leave_sorted_order(
        &mut self,
        array: &dyn Array,
        rows_seen: usize,
        out: &mut Vec<u32>,
    ) -> Result<Remap> {
        let Keys::StrSorted(arena) = self else {
            return Err(CoreError::Internal("not sorted strings".into()));
        };
        let arena = std::mem::take(arena);
        if arena.len() >= FRONT_MIN {
            *self = Self::hashed_strs(arena);
            return self.intern_array(array, rows_seen, out);
        }
        *self = Self::hashed_strs(StrPart::default());
        let mut table = vec![0; arena.len()];
        if let Keys::Str {
            parts,
            hasher,
            scratch,
            ..
        } = self
        {
            let no_front = (&StrPart::default(), 0);
            intern_strs(
                (parts, scratch),
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

    /// Keys in the sorted front of hashed strings (0 for other keys).
    pub(super) fn front_len(&self) -> usize {
        match self {
            Keys::Str { front, .. } => front.len(),
            _ => 0,
        }
    }

    /// The bytes of string key `id`.
    pub(super) fn str_key(&self, id: u32) -> &[u8] {
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
    arena.slots.reserve(total - arena.len());
    for (c, new) in starts.iter().enumerate() {
        for &j in new {
            arena.push(get(c * CHUNK + j as usize));
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
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0..=7 => a.iter().zip(b).all(|(x, y)| x == y),
        // Two overlapping words cover 8 to 16 bytes.
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        // Words from the start, then the word that ends the key (overlapping).
        _ => {
            let mut at = 0;
            while at + 8 < n {
                if word(a, at) != word(b, at) {
                    return false;
                }
                at += 8;
            }
            word(a, n - 8) == word(b, n - 8)
        }
    }
}

/// The rows of one chunk, radix-partitioned by their key's hash (one hash per
/// row, reused for the partition and the table lookup): what the partition's
/// task needs, written sequentially, so that it interns from a buffer in row
/// order instead of reading the column again.
struct ChunkRows {
    /// The chunk's first row.
    start: usize,
    /// Per partition: (hash, packed short key, row in chunk).
    short: Vec<Vec<(u64, Short, u32)>>,
    /// Per partition: (hash, row in chunk, end of its bytes in `long_bytes`)
    /// of the longer keys.
    long: Vec<Vec<(u64, u32, usize)>>,
    /// Per partition: the bytes of its longer keys, one after the other, so
    /// that the partition's task reads them in sequence, not scattered over
    /// the column.
    long_bytes: Vec<Vec<u8>>,
    /// Rows whose key equals the row before's: they copy its id at the end.
    repeats: Vec<u32>,
}

/// The chunk buffers of [`intern_strs`], kept from window to window (a window
/// of the input is often a 64k-row batch of a Parquet file: fresh buffers for
/// each would pass through fresh memory every time); freed by
/// [`Keys::end_of_input`].
#[derive(Default)]
pub struct Scratch(Vec<ChunkRows>);

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scratch({} chunk buffers)", self.0.len())
    }
}

impl Keys {
    /// The string half of [`Keys::end_of_input`]: frees the chunk buffers and
    /// every partition's tables.
    pub(super) fn seal_strs(&mut self) {
        if let Keys::Str { scratch, parts, .. } = self {
            *scratch = Scratch::default();
            parts.iter_mut().for_each(StrPart::seal);
        }
    }

    /// Whether [`Keys::seal_strs`] freed the tables (no key may be interned then).
    pub(super) fn strs_sealed(&self) -> bool {
        match self {
            Keys::Str { parts, .. } => parts
                .iter()
                .any(|p| p.short.len() + p.long.len() != p.len()),
            _ => false,
        }
    }
}

/// Rows partitioned, then interned, before the next ones. Large enough that
/// each partition's task makes many lookups in its table while the table is
/// in cache (a table of 1M keys in 64 partitions is ~400 kB; one lookup per
/// cache miss would cost more than all the rest of a row), small enough that
/// the chunk buffers (32 bytes a row) are reused from block to block instead
/// of passing every row through fresh memory (page faults). They are live
/// under the peak of a large input (the end of its last window): going from
/// 64 chunks to 16 lowered the peak of 100M shuffled rows by ~0.2 GiB (the
/// buffers grow by doubling, so they hold up to twice what they use), with
/// no difference in speed above this machine's noise (issue 17;
/// docs/performance.md).
const BLOCK: usize = 16 * CHUNK;

/// Interns the strings `get(0..out.len())` into the hash partitions, in
/// parallel, block by block ([`BLOCK`]), each in three steps: every chunk of
/// rows hashes each key once and writes the row to its partition's buffer
/// ([`ChunkRows::fill`]); one task per partition, owning its arena and
/// tables, interns the buffered rows in row order (short keys as integers,
/// [`Short`]); repeats copy the id of the row before. A key of the sorted
/// front gets its id in step one.
fn intern_strs<'a>(
    (parts, scratch): (&mut [StrPart], &mut Scratch),
    hasher: &DefaultHashBuilder,
    (front, base): (&StrPart, u32),
    nulls: &Option<arrow_buffer::NullBuffer>,
    get: impl Fn(usize) -> &'a [u8] + Sync,
    out: &mut [u32],
) -> Result<()> {
    let out_ptr = Ptr::of_slice(out);
    let n = out.len();
    let chunks = &mut scratch.0;
    if chunks.is_empty() {
        chunks.extend((0..BLOCK / CHUNK).map(|_| ChunkRows::new()));
    }
    for block in (0..n).step_by(BLOCK) {
        chunks.par_iter_mut().enumerate().for_each(|(k, c)| {
            let start = (block + k * CHUNK).min(n);
            c.fill(
                hasher,
                front,
                nulls,
                &get,
                start..(start + CHUNK).min(n),
                out_ptr,
            );
        });
        intern_chunks(parts, hasher, base, chunks, out_ptr)?;
        chunks.par_iter().for_each(|c| {
            for &j in &c.repeats {
                let i = c.start + j as usize;
                // SAFETY: rows i and i - 1 are rows of this chunk, whose ids were written
                // above; this task alone touches them; `out` outlives the scope. Repeats
                // are in row order, so a run of them copies its first row's id.
                unsafe { *out_ptr.get().add(i) = *out_ptr.get().add(i - 1) };
            }
        });
    }
    Ok(())
}

/// Step two of [`intern_strs`]: one task per partition interns the buffered
/// rows of `chunks` and writes their ids to `out`.
fn intern_chunks(
    parts: &mut [StrPart],
    hasher: &DefaultHashBuilder,
    base: u32,
    chunks: &[ChunkRows],
    out: Ptr<u32>,
) -> Result<()> {
    let limit = (NULL_ID - base) >> PART_BITS;
    parts
        .par_iter_mut()
        .enumerate()
        .try_for_each(|(p, part)| -> Result<()> {
            let id = |local: u32| -> Result<u32> {
                if local >= limit {
                    return Err(Keys::too_many());
                }
                Ok(base + (local << PART_BITS | p as u32))
            };
            for c in chunks {
                for &(h, key, j) in &c.short[p] {
                    let local = part.intern_short(hasher, h, key);
                    // SAFETY: the row belongs to partition p only, so no other task writes
                    // its slot; `out` has a slot for every row and outlives this scope.
                    unsafe { *out.get().add(c.start + j as usize) = id(local)? };
                }
                let mut from = 0;
                for &(h, j, end) in &c.long[p] {
                    let key = &c.long_bytes[p][from..end];
                    from = end;
                    let local = part.intern_long(h, key);
                    // SAFETY: as above.
                    unsafe { *out.get().add(c.start + j as usize) = id(local)? };
                }
            }
            Ok(())
        })
}

impl ChunkRows {
    /// Empty buffers: they grow to what the first blocks need, then are reused.
    fn new() -> Self {
        ChunkRows {
            start: 0,
            short: (0..PARTS).map(|_| Vec::new()).collect(),
            long: (0..PARTS).map(|_| Vec::new()).collect(),
            long_bytes: (0..PARTS).map(|_| Vec::new()).collect(),
            repeats: Vec::new(),
        }
    }

    /// Step one of [`intern_strs`] over `rows` (one chunk, maybe empty): each
    /// row is skipped (null), a repeat of the row before, found in the sorted
    /// `front` (its id written to `out` at once) or hashed and buffered for
    /// its partition.
    fn fill<'a>(
        &mut self,
        hasher: &DefaultHashBuilder,
        front: &StrPart,
        nulls: &Option<arrow_buffer::NullBuffer>,
        get: &(impl Fn(usize) -> &'a [u8] + Sync),
        rows: std::ops::Range<usize>,
        out: Ptr<u32>,
    ) {
        self.short.iter_mut().for_each(Vec::clear);
        self.long.iter_mut().for_each(Vec::clear);
        self.long_bytes.iter_mut().for_each(Vec::clear);
        self.repeats.clear();
        self.start = rows.start;
        let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
        let has_front = front.len() > 0;
        let mut prev: Option<&[u8]> = None;
        for i in rows {
            let j = (i - self.start) as u32;
            if is_null(i) {
                prev = None;
                continue;
            }
            let key = get(i);
            if prev.is_some_and(|p| same(p, key)) {
                self.repeats.push(j);
                continue;
            }
            prev = Some(key);
            if has_front {
                if let Some(id) = find_sorted(front, key) {
                    // SAFETY: this chunk's task alone writes its rows; `out` outlives it.
                    unsafe { *out.get().add(i) = id };
                    continue;
                }
            }
            match Short::pack(key) {
                Some(short) => {
                    let h = hasher.hash_one(short);
                    self.short[part_of_hash(h)].push((h, short, j));
                }
                None => {
                    let h = hasher.hash_one(key);
                    let p = part_of_hash(h);
                    self.long_bytes[p].extend_from_slice(key);
                    self.long[p].push((h, j, self.long_bytes[p].len()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{KeyKind, PARTITIONS};
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::StringArray;
    use arrow_schema::DataType;

    #[test]
    fn a_long_sorted_front_keeps_its_ids() {
        // FRONT_MIN (2^10 in tests) sorted keys and more: a key out of order keeps them as
        // the sorted front (no remap); later keys are found there or hashed after it.
        let key = |i: usize| format!("C{:07}", 2 * i);
        let n = FRONT_MIN + 5;
        let sorted: Vec<String> = (0..n).map(key).collect();
        let mut k = Keys::plain_strs();
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
        assert!(out[1] >= n as u32 && out[1] as usize % PARTITIONS == k.partition(out[1]));
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
    fn short_keys_pack_exactly() {
        // Every length up to SHORT_MAX, bytes including NUL and 0xFF: two keys pack equal
        // exactly when their bytes are equal, and their slots hold their bytes and length.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        let alphabet = [0u8, 1, b'a', b'b', 0xFF];
        let mut keys: Vec<Vec<u8>> = vec![vec![], vec![0], vec![0, 0]];
        for n in 0..=SHORT_MAX + 2 {
            for _ in 0..40 {
                keys.push((0..n).map(|_| alphabet[rng.random_range(0..5)]).collect());
            }
        }
        for a in &keys {
            let pa = Short::pack(a);
            assert_eq!(pa.is_some(), a.len() <= SHORT_MAX, "{a:?}");
            let Some(pa) = pa else { continue };
            let slot = pa.slot();
            assert_eq!(usize::from(slot[15]), a.len());
            assert_eq!(&slot[..a.len()], &a[..]);
            assert!(slot[a.len()..15].iter().all(|&b| b == 0), "zero padded");
            assert_eq!(Short::of_slot(&slot), pa);
            for b in &keys {
                if let Some(pb) = Short::pack(b) {
                    assert_eq!(pa == pb, a == b, "{a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn random_keys_intern_like_a_map() {
        // Random byte keys of 0 to 40 bytes (short and long, shared prefixes, NUL bytes),
        // repeated, with nulls, in arrays that cross chunks and blocks: every key keeps one
        // id, distinct keys get distinct ids, and ids name their keys (the plain map).
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
        let pool: Vec<String> = (0..20_000)
            .map(|i| {
                let n = rng.random_range(0..=40);
                let mut k = format!("{i:05}\0");
                k.extend((0..n).map(|_| ['a', 'b', '\0', 'é'][rng.random_range(0..4)]));
                k
            })
            .collect();
        let n = 3 * CHUNK + 11;
        let mut rows: Vec<Option<&str>> = Vec::with_capacity(n);
        while rows.len() < n {
            let key = (rng.random_range(0..50) != 0)
                .then(|| pool[rng.random_range(0..pool.len())].as_str());
            for _ in 0..rng.random_range(1..4) {
                rows.push(key);
            }
        }
        rows.truncate(n);
        // A key out of order first, so that the interner is hashed from the start.
        let mut k = Keys::new(KeyKind::Str);
        k.intern_array(&StringArray::from(vec!["b", "a"]), 0, &mut vec![])
            .unwrap();
        let mut map: std::collections::HashMap<&str, u32> = Default::default();
        let mut at = 0;
        for size in [7, CHUNK - 3, 2 * CHUNK + 5, n] {
            let end = (at + size).min(n);
            let mut out = vec![];
            let r = k.intern_array(&StringArray::from(rows[at..end].to_vec()), at, &mut out);
            assert_eq!(r.unwrap(), Remap::None);
            for (row, id) in rows[at..end].iter().zip(out) {
                match row {
                    None => assert_eq!(id, NULL_ID),
                    Some(s) => {
                        assert_eq!(*map.entry(s).or_insert(id), id, "{s:?}");
                        assert_eq!(k.str_key(id), s.as_bytes());
                    }
                }
            }
            at = end;
        }
        let distinct: std::collections::HashSet<u32> = map.values().copied().collect();
        assert_eq!(distinct.len(), map.len(), "distinct keys, distinct ids");
    }

    #[test]
    fn short_key_equality() {
        let keys = [
            "",
            "a",
            "abcdefghijklmnopqrstuvwxyz0123456789",
            "abcdefghijklmnopqrstuvwxyz0123456788",
            "bbcdefghijklmnopqrstuvwxyz0123456789",
            "abcdefghijklmnopqrstuvwxyz012345678",
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
        let mut k = Keys::plain_strs();
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
}
