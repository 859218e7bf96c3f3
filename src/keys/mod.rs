//! Dense ids for customer (and order) keys.
//!
//! Integer keys in a compact range map to `key - lo` with no hashing at all
//! (the common case: customer numbers; [`ints`]). Numbered string keys (one
//! prefix, zero-padded digits: `"C0000042"`) are read as their numbers
//! and map the same way ([`numbered`]). Other string keys that arrive in
//! increasing byte order (a table sorted by customer) get their rank as id,
//! again with no hashing; the first key out of order turns them hashed
//! ([`Remap::Table`]) or, after many sorted keys, keeps those as a sorted front
//! ([`strings`]). Sparse integers and other strings are hash interned, strings
//! in 256 hash partitions interned in parallel (id = `local << 8 | partition`).
//! Ids need not be contiguous: an id without lines is simply a customer that
//! is never seen. The original keys are kept to build the output column with
//! the input's type (CV7) and to name customers in messages; [`order`] ranks
//! them for the output order (I5).

/// Runs `$body` with `$get` bound to `|i| row i's bytes` of the string
/// column `$array` (utf8, large utf8 or string view), monomorphised per layout.
macro_rules! with_strings {
    ($array:expr, |$get:ident| $body:expr) => {
        match $array.data_type() {
            arrow_schema::DataType::Utf8 => {
                let a = arrow_array::cast::AsArray::as_string::<i32>($array);
                let $get = |i: usize| a.value(i).as_bytes();
                $body
            }
            arrow_schema::DataType::LargeUtf8 => {
                let a = arrow_array::cast::AsArray::as_string::<i64>($array);
                let $get = |i: usize| a.value(i).as_bytes();
                $body
            }
            arrow_schema::DataType::Utf8View => {
                let a = arrow_array::cast::AsArray::as_string_view($array);
                let $get = |i: usize| a.value(i).as_bytes();
                $body
            }
            dt => Err($crate::error::CoreError::Internal(format!(
                "{dt} is not a string type"
            ))),
        }
    };
}

mod byte_order;
mod ints;
mod numbered;
mod order;
mod strings;

use arrow_array::cast::AsArray;
use arrow_array::{Array, StringArray};
use arrow_schema::DataType;
use hashbrown::{DefaultHashBuilder, HashMap};
use rayon::prelude::*;

use crate::error::{CoreError, Result};
pub use numbered::Numbered;
pub use order::KeyOrder;
pub use strings::{Scratch, StrPart};

/// Marks a row whose key is null.
pub const NULL_ID: u32 = u32::MAX;

/// Rows per parallel task.
const CHUNK: usize = 1 << 16;
/// Partitions of the lines: all lines of a customer share one, so partitions
/// are grouped and segmented independently (radix-partitioned aggregation).
pub const PARTITIONS: usize = 64;
/// String hash partitions (a power of two), each interned by one task in a
/// table small enough to stay in cache (1M keys: ~100 kB a table). They are
/// not the partitions of the lines: those follow the id like any other
/// (`id mod PARTITIONS`).
const PARTS: usize = 256;
const PART_BITS: u32 = 8;

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
    /// Numbered strings gave way to hashing: old id `i` was the key of number
    /// `lo + i` in `form`; the caller interns the ids it holds, as for
    /// [`Remap::Rebase`] ([`Keys::rebased`]).
    Renumber { lo: i64, form: Numbered },
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
    /// No string key yet: the first key decides between numbered keys and
    /// the others ([`Keys::intern_first_strs`]).
    StrEmpty,
    /// Numbered string keys (`"C0000042"`: one prefix, digits zero-padded to
    /// a width, wider numbers without a leading zero) whose numbers are
    /// `lo..lo + len`: id = number - lo.
    StrNumbered { form: Numbered, lo: i64, len: u32 },
    /// String keys met in strictly increasing byte order so far: id = rank,
    /// one arena, no table (its `table` stays empty).
    StrSorted(StrPart),
    /// String keys in hash partitions (id = `base + (local << 8 | partition)`),
    /// after a `front` of keys met in increasing order (ids below `base`, in
    /// rank order, looked up by binary search; from `FRONT_MIN`, 2^20, keys).
    Str {
        parts: Vec<StrPart>,
        hasher: DefaultHashBuilder,
        front: StrPart,
        /// `front.len()` rounded up to a multiple of the 256 string partitions; 0 without a front.
        base: u32,
        /// Buffers reused by the next array interned.
        scratch: Scratch,
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

impl Keys {
    /// An empty interner for keys of `kind`.
    pub fn new(kind: KeyKind) -> Self {
        match kind {
            KeyKind::Int => Keys::IntEmpty,
            KeyKind::UInt => Keys::UInt {
                values: Vec::new(),
                map: HashMap::new(),
            },
            KeyKind::Str => Keys::StrEmpty,
        }
    }

    /// A string interner that never takes keys as numbered: the tests and
    /// kernels of the sorted and hashed paths use numbered keys too.
    pub fn plain_strs() -> Self {
        Keys::StrSorted(StrPart::default())
    }

    /// The input is read: frees what only interning more keys needs (the
    /// string chunk buffers and the hash tables, ~8 bytes a short string key
    /// and 0.1 GB of 10M of them, or a map of sparse integers; they would
    /// otherwise sit under the peak of the pass that follows). Keys are only
    /// looked up by id after this.
    pub fn end_of_input(&mut self) {
        match self {
            Keys::Int { values, map } => {
                *map = HashMap::default();
                values.shrink_to_fit();
            }
            Keys::UInt { values, map } => {
                *map = HashMap::default();
                values.shrink_to_fit();
            }
            _ => self.seal_strs(),
        }
    }

    /// Whether [`Keys::end_of_input`] freed the tables: interning again would
    /// hand out a second id for a key already seen.
    fn sealed(&self) -> bool {
        match self {
            Keys::Int { values, map } => map.len() != values.len(),
            Keys::UInt { values, map } => map.len() != values.len(),
            _ => self.strs_sealed(),
        }
    }

    /// One more than the largest id handed out: the size of per-id tables.
    pub fn len(&self) -> usize {
        match self {
            Keys::IntEmpty | Keys::StrEmpty => 0,
            Keys::IntRange { len, .. } | Keys::StrNumbered { len, .. } => *len as usize,
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
    /// row): an integer range by its key `lo + id` modulo [`PARTITIONS`], other keys
    /// by the id modulo [`PARTITIONS`] (for hashed strings, the low bits of their
    /// hash partition).
    pub fn partitioner(&self) -> Partitioner {
        match self {
            Keys::IntRange { lo, .. } | Keys::StrNumbered { lo, .. } => Partitioner {
                offset: lo.rem_euclid(PARTITIONS as i64) as u32,
                mask: (PARTITIONS - 1) as u32,
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
        id as usize / PARTITIONS
    }

    /// One more than the largest [`Keys::local`].
    pub fn locals(&self) -> usize {
        self.len() / PARTITIONS + 1
    }

    /// True when no id was handed out.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The error when ids run out.
    pub(crate) fn too_many() -> CoreError {
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
        if self.sealed() {
            return Err(CoreError::Internal(
                "keys interned after the end of the input".into(),
            ));
        }
        if array.is_empty() {
            return Ok(Remap::None);
        }
        if let DataType::Dictionary(_, _) = array.data_type() {
            return self.intern_dictionary(array, rows_seen, out);
        }
        out.resize(array.len(), NULL_ID);
        match self {
            Keys::UInt { .. } => self.intern_uints(array, out),
            Keys::IntEmpty | Keys::IntRange { .. } | Keys::Int { .. } => {
                self.intern_int_array(array, rows_seen, out)
            }
            Keys::StrEmpty => self.intern_first_strs(array, rows_seen, out),
            Keys::StrNumbered { .. } => self.intern_numbered(array, rows_seen, out),
            Keys::StrSorted(_) | Keys::Str { .. } => self.intern_str_array(array, rows_seen, out),
        }
    }

    /// The new ids of the distinct old ids `old` (ascending) after a
    /// [`Remap::Rebase`] or [`Remap::Renumber`]: their keys interned again.
    pub fn rebased(&mut self, remap: &Remap, old: &[u32]) -> Result<Vec<u32>> {
        match remap {
            Remap::Rebase { lo } => old
                .iter()
                .map(|&i| self.intern_int_key(lo + i64::from(i)))
                .collect(),
            Remap::Renumber { lo, form } => {
                let keys = StringArray::from_iter_values(
                    old.iter().map(|&i| form.text(lo + i64::from(i))),
                );
                let mut new = Vec::new();
                self.intern_array(&keys, 0, &mut new)?;
                debug_assert!(!new.contains(&NULL_ID));
                Ok(new)
            }
            _ => Err(CoreError::Internal(format!("no rebase: {remap:?}"))),
        }
    }

    /// [`Keys::intern_array`] of a dictionary column: its values are interned,
    /// then every row takes the id of its value.
    fn intern_dictionary(
        &mut self,
        array: &dyn Array,
        rows_seen: usize,
        out: &mut Vec<u32>,
    ) -> Result<Remap> {
        let dict = array.as_any_dictionary();
        let mut ids = Vec::new();
        let remap = self.intern_array(dict.values().as_ref(), rows_seen, &mut ids)?;
        let nulls = dict.keys().logical_nulls();
        out.resize(array.len(), NULL_ID);
        if ids.is_empty() {
            // An empty dictionary: every row must be null.
            return Ok(remap);
        }
        let keys = dict.normalized_keys();
        out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, o)| {
            for (j, slot) in o.iter_mut().enumerate() {
                let i = c * CHUNK + j;
                // A null key, or a key pointing at a null value, is a null id.
                if !nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                    *slot = ids.get(keys[i]).copied().unwrap_or(NULL_ID);
                }
            }
        });
        Ok(remap)
    }

    /// The key of `id` as text, for messages.
    pub fn display(&self, id: u32) -> String {
        match self {
            Keys::IntEmpty | Keys::StrEmpty => String::new(),
            Keys::IntRange { lo, .. } => (lo + id as i64).to_string(),
            Keys::Int { values, .. } => values[id as usize].to_string(),
            Keys::UInt { values, .. } => values[id as usize].to_string(),
            Keys::StrNumbered { form, lo, .. } => format!("'{}'", form.text(lo + i64::from(id))),
            Keys::Str { .. } | Keys::StrSorted(_) => {
                format!("'{}'", String::from_utf8_lossy(self.str_key(id)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::types::Int8Type;
    use arrow_array::{DictionaryArray, Int64Array};

    /// The keys of `ids` as text (`null` for [`NULL_ID`]).
    pub(super) fn keys_of(k: &Keys, ids: &[u32]) -> Vec<String> {
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
    fn keys_read_the_same_after_the_end_of_input_and_refuse_more() {
        use arrow_array::{StringArray, UInt64Array};
        // Hashed strings (out of order), sparse ints and u64s: the tables are freed, every
        // key still reads back by id and ranks as before; interning again is an error.
        let strs = StringArray::from(vec!["b", "a", "c", "a", "a-long-key-of-many-bytes"]);
        let ints = Int64Array::from(vec![5, -(1 << 60), 5, 1 << 60]);
        let uints = UInt64Array::from(vec![u64::MAX, 3, u64::MAX]);
        let cases: [(KeyKind, &dyn Array); 3] = [
            (KeyKind::Str, &strs),
            (KeyKind::Int, &ints),
            (KeyKind::UInt, &uints),
        ];
        for (kind, array) in cases {
            let mut k = Keys::new(kind);
            let mut ids = vec![];
            k.intern_array(array, 0, &mut ids).unwrap();
            let (shown, ranks) = (keys_of(&k, &ids), k.ranks());
            k.end_of_input();
            assert_eq!(keys_of(&k, &ids), shown, "{kind:?}");
            assert_eq!(k.ranks(), ranks, "{kind:?}");
            let err = k.intern_array(array, 0, &mut ids).unwrap_err();
            assert!(
                err.to_string().contains("after the end of the input"),
                "{kind:?}"
            );
        }
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
            assert_eq!(
                s.partition(id),
                id as usize % PARTITIONS,
                "strings, id {id}"
            );
            assert_eq!(u.partition(id), id as usize % PARTITIONS, "hashed, id {id}");
        }
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
