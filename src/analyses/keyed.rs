//! Key columns read as keys whatever their Arrow layout: integers of any
//! width (as i64), booleans, strings of any layout, and dictionaries of
//! those. The profile (A1) looks customers up and codes its `by` values
//! with them.

use std::hash::{Hash, Hasher};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt64Type};
use arrow_array::{AnyDictionaryArray, Array};
use arrow_schema::DataType;
use hashbrown::Equivalent;
use rayon::prelude::*;

use crate::error::{CoreError, Result};

/// Rows per parallel lookup task.
const CHUNK: usize = 1 << 16;

/// One row's key, borrowed from the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    Int(i64),
    Str(&'a [u8]),
    Null,
}

/// A key kept after its column is gone. Ordered integers first (numerically),
/// then strings (by bytes), null last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum OwnedKey {
    Int(i64),
    Str(Box<[u8]>),
    Null,
}

impl Key<'_> {
    pub fn to_owned_key(self) -> OwnedKey {
        match self {
            Key::Int(x) => OwnedKey::Int(x),
            Key::Str(s) => OwnedKey::Str(s.into()),
            Key::Null => OwnedKey::Null,
        }
    }
}

impl OwnedKey {
    pub fn as_key(&self) -> Key<'_> {
        match self {
            OwnedKey::Int(x) => Key::Int(*x),
            OwnedKey::Str(s) => Key::Str(s),
            OwnedKey::Null => Key::Null,
        }
    }
}

// A borrowed key and its owned copy hash alike, so maps of owned keys are
// searched with borrowed ones (no allocation per row).
impl Hash for Key<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        match self {
            Key::Int(x) => (0u8, x).hash(h),
            Key::Str(s) => (1u8, s).hash(h),
            Key::Null => 2u8.hash(h),
        }
    }
}

impl Hash for OwnedKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_key().hash(h)
    }
}

impl Equivalent<OwnedKey> for Key<'_> {
    fn equivalent(&self, key: &OwnedKey) -> bool {
        *self == key.as_key()
    }
}

/// What the values of a key column are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Int,
    Bool,
    Str,
}

impl KeyType {
    /// The key type of a column type, following dictionaries to their values.
    pub fn of(dt: &DataType) -> Option<KeyType> {
        use DataType::*;
        match dt {
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => Some(KeyType::Int),
            Boolean => Some(KeyType::Bool),
            Utf8 | LargeUtf8 | Utf8View => Some(KeyType::Str),
            Dictionary(k, v) if k.is_dictionary_key_type() => KeyType::of(v),
            _ => None,
        }
    }

    /// The type in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            KeyType::Int => "integers",
            KeyType::Bool => "booleans",
            KeyType::Str => "strings",
        }
    }
}

/// Calls `f(row, key)` for every row of `array` (of a [`KeyType`]).
pub fn each_key(array: &dyn Array, mut f: impl FnMut(usize, Key<'_>)) -> Result<()> {
    let nulls = array.logical_nulls();
    let valid = |i: usize| nulls.as_ref().is_none_or(|n| n.is_valid(i));
    let n = array.len();
    use DataType::*;
    match array.data_type() {
        Int64 => {
            let a = array.as_primitive::<Int64Type>();
            rows(n, valid, |i| Key::Int(a.value(i)), &mut f);
        }
        Int8 | Int16 | Int32 | UInt8 | UInt16 | UInt32 => {
            let wide = arrow_cast::cast(array, &Int64).map_err(CoreError::reading)?;
            let a = wide.as_primitive::<Int64Type>();
            rows(n, valid, |i| Key::Int(a.value(i)), &mut f);
        }
        UInt64 => {
            let a = array.as_primitive::<UInt64Type>();
            if let Some(big) = (0..n).find(|&i| valid(i) && a.value(i) > i64::MAX as u64) {
                return Err(CoreError::Config(format!(
                    "the id {} is above 2^63 - 1, which the profile does not read (rule A1)",
                    a.value(big)
                )));
            }
            rows(n, valid, |i| Key::Int(a.value(i) as i64), &mut f);
        }
        Boolean => {
            let a = array.as_boolean();
            rows(n, valid, |i| Key::Int(i64::from(a.value(i))), &mut f);
        }
        Utf8 => {
            let a = array.as_string::<i32>();
            rows(n, valid, |i| Key::Str(a.value(i).as_bytes()), &mut f);
        }
        LargeUtf8 => {
            let a = array.as_string::<i64>();
            rows(n, valid, |i| Key::Str(a.value(i).as_bytes()), &mut f);
        }
        Utf8View => {
            let a = array.as_string_view();
            rows(n, valid, |i| Key::Str(a.value(i).as_bytes()), &mut f);
        }
        Dictionary(_, _) => {
            let d = array.as_any_dictionary();
            let values = owned_keys(d.values().as_ref())?;
            let keys = dictionary_keys(d);
            rows(n, valid, |i| values[keys[i]].as_key(), &mut f);
        }
        other => {
            return Err(CoreError::Internal(format!(
                "each_key: not a key column: {other}"
            )))
        }
    }
    Ok(())
}

/// A dictionary's keys as indexes into its values. An empty dictionary has
/// only null rows, whose keys are never followed (arrow-rs cannot normalise
/// them).
pub fn dictionary_keys(d: &dyn AnyDictionaryArray) -> Vec<usize> {
    if d.values().is_empty() {
        return vec![0; d.keys().len()];
    }
    d.normalized_keys()
}

/// Every row's key, owned (a dictionary's values).
pub fn owned_keys(array: &dyn Array) -> Result<Vec<OwnedKey>> {
    let mut out = Vec::with_capacity(array.len());
    each_key(array, |_, k| out.push(k.to_owned_key()))?;
    Ok(out)
}

/// `f(i, key(i))` for the valid rows, `f(i, Null)` for the others.
#[inline]
fn rows<'a>(
    n: usize,
    valid: impl Fn(usize) -> bool,
    key: impl Fn(usize) -> Key<'a>,
    f: &mut impl FnMut(usize, Key<'_>),
) {
    for i in 0..n {
        f(i, if valid(i) { key(i) } else { Key::Null });
    }
}

/// `out[i] = find(key of row i)` for every row of `array`, in parallel chunks;
/// a dictionary's values are looked up once.
pub fn lookup(
    array: &dyn Array,
    find: &(impl Fn(Key<'_>) -> u32 + Sync),
    out: &mut Vec<u32>,
) -> Result<()> {
    out.clear();
    out.resize(array.len(), 0);
    if let DataType::Dictionary(_, _) = array.data_type() {
        let d = array.as_any_dictionary();
        let mut codes = Vec::new();
        lookup(d.values().as_ref(), find, &mut codes)?;
        let nulls = array.logical_nulls();
        let null = find(Key::Null);
        let keys = dictionary_keys(d);
        out.par_iter_mut().enumerate().for_each(|(i, o)| {
            *o = if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                null
            } else {
                codes[keys[i]]
            };
        });
        return Ok(());
    }
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .try_for_each(|(c, o)| {
            let part = array.slice(c * CHUNK, o.len());
            each_key(part.as_ref(), |i, k| o[i] = find(k))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::types::Int8Type;
    use arrow_array::{DictionaryArray, Int32Array, StringArray, StringViewArray};

    fn keys_of(a: &dyn Array) -> Vec<OwnedKey> {
        let mut out = Vec::new();
        each_key(a, |_, k| out.push(k.to_owned_key())).unwrap();
        out
    }

    #[test]
    fn every_layout_gives_the_same_keys() {
        let want = vec![
            OwnedKey::Str(b"a".as_slice().into()),
            OwnedKey::Null,
            OwnedKey::Str(b"b".as_slice().into()),
        ];
        assert_eq!(
            keys_of(&StringArray::from(vec![Some("a"), None, Some("b")])),
            want
        );
        assert_eq!(
            keys_of(&StringViewArray::from(vec![Some("a"), None, Some("b")])),
            want
        );
        let dict: DictionaryArray<Int8Type> =
            vec![Some("a"), None, Some("b")].into_iter().collect();
        assert_eq!(keys_of(&dict), want);
        let ints = keys_of(&Int32Array::from(vec![Some(3), None]));
        assert_eq!(ints, vec![OwnedKey::Int(3), OwnedKey::Null]);
    }

    #[test]
    fn borrowed_and_owned_keys_find_each_other() {
        let mut m: hashbrown::HashMap<OwnedKey, u32> = hashbrown::HashMap::new();
        m.insert(OwnedKey::Str(b"x".as_slice().into()), 1);
        m.insert(OwnedKey::Int(7), 2);
        assert_eq!(m.get(&Key::Str(b"x")), Some(&1));
        assert_eq!(m.get(&Key::Int(7)), Some(&2));
        assert_eq!(m.get(&Key::Null), None);
        assert!(OwnedKey::Int(9) < OwnedKey::Null);
    }

    #[test]
    fn lookup_of_a_dictionary_matches_its_values() {
        let dict: DictionaryArray<Int8Type> = vec![Some("b"), Some("a"), None, Some("b")]
            .into_iter()
            .collect();
        let find = |k: Key<'_>| match k {
            Key::Str(b"a") => 1,
            Key::Str(_) => 2,
            _ => 0,
        };
        let mut out = Vec::new();
        lookup(&dict, &find, &mut out).unwrap();
        assert_eq!(out, vec![2, 1, 0, 2]);
    }
}
