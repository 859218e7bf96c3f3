//! Dense ids for customer (and order) keys: every distinct key gets a `u32`
//! in first-seen order; the original keys are kept to build the output column
//! with the input's type (CV7) and to name customers in messages.

use std::hash::BuildHasher;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt64Type};
use arrow_array::{Array, ArrayRef, Int64Array, StringArray, UInt64Array};
use arrow_schema::DataType;
use hashbrown::hash_map::Entry;
use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

use crate::error::{CoreError, Result};

/// Marks a row whose key is null.
pub const NULL_ID: u32 = u32::MAX;

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

/// Interns keys into dense ids.
#[derive(Debug)]
pub enum Keys {
    /// Integer keys (signed, or unsigned up to 32 bits).
    Int {
        values: Vec<i64>,
        map: HashMap<i64, u32>,
    },
    /// Unsigned 64-bit keys.
    UInt {
        values: Vec<u64>,
        map: HashMap<u64, u32>,
    },
    /// String keys, stored once in one byte arena.
    Str {
        bytes: Vec<u8>,
        offsets: Vec<usize>,
        table: HashTable<u32>,
        hasher: DefaultHashBuilder,
    },
}

impl Keys {
    /// An empty interner for keys of `kind`.
    pub fn new(kind: KeyKind) -> Self {
        match kind {
            KeyKind::Int => Keys::Int {
                values: Vec::new(),
                map: HashMap::new(),
            },
            KeyKind::UInt => Keys::UInt {
                values: Vec::new(),
                map: HashMap::new(),
            },
            KeyKind::Str => Keys::Str {
                bytes: Vec::new(),
                offsets: vec![0],
                table: HashTable::new(),
                hasher: DefaultHashBuilder::default(),
            },
        }
    }

    /// Number of distinct keys seen.
    pub fn len(&self) -> usize {
        match self {
            Keys::Int { values, .. } => values.len(),
            Keys::UInt { values, .. } => values.len(),
            Keys::Str { offsets, .. } => offsets.len() - 1,
        }
    }

    /// True when no key was seen.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn next_id(&self) -> Result<u32> {
        u32::try_from(self.len())
            .ok()
            .filter(|&n| n < NULL_ID)
            .ok_or_else(|| CoreError::Config("more than 4,294,967,294 distinct keys".into()))
    }

    fn intern_int(&mut self, k: i64) -> Result<u32> {
        let id = self.next_id()?;
        let Keys::Int { values, map } = self else {
            unreachable!("intern_int on a non-int interner")
        };
        Ok(match map.entry(k) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                values.push(k);
                *e.insert(id)
            }
        })
    }

    fn intern_uint(&mut self, k: u64) -> Result<u32> {
        let id = self.next_id()?;
        let Keys::UInt { values, map } = self else {
            unreachable!("intern_uint on a non-uint interner")
        };
        Ok(match map.entry(k) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                values.push(k);
                *e.insert(id)
            }
        })
    }

    fn intern_str(&mut self, s: &str) -> Result<u32> {
        let id = self.next_id()?;
        let Keys::Str {
            bytes,
            offsets,
            table,
            hasher,
        } = self
        else {
            unreachable!("intern_str on a non-str interner")
        };
        let h = hasher.hash_one(s.as_bytes());
        let get = |_: &[u8], offsets: &[usize], i: u32| -> std::ops::Range<usize> {
            offsets[i as usize]..offsets[i as usize + 1]
        };
        if let Some(&found) = table.find(h, |&i| &bytes[get(bytes, offsets, i)] == s.as_bytes()) {
            return Ok(found);
        }
        bytes.extend_from_slice(s.as_bytes());
        offsets.push(bytes.len());
        let (b, o, hs) = (&*bytes, &*offsets, &*hasher);
        table.insert_unique(h, id, |&i| hs.hash_one(&b[get(b, o, i)]));
        Ok(id)
    }

    /// Interns every row of `array` (a column of this interner's kind) and
    /// writes its id, or [`NULL_ID`] for a null, into `out`.
    pub fn intern_array(&mut self, array: &dyn Array, out: &mut Vec<u32>) -> Result<()> {
        out.clear();
        out.reserve(array.len());
        if array.is_empty() {
            return Ok(());
        }
        if let DataType::Dictionary(_, _) = array.data_type() {
            let dict = array.as_any_dictionary();
            let mut ids = Vec::new();
            self.intern_array(dict.values().as_ref(), &mut ids)?;
            let nulls = dict.keys().logical_nulls();
            let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
            if ids.is_empty() {
                // An empty dictionary: every row must be null.
                out.extend((0..array.len()).map(|_| NULL_ID));
                return Ok(());
            }
            for (i, k) in dict.normalized_keys().into_iter().enumerate() {
                // A null key, or a key pointing at a null value, is a null id.
                out.push(if is_null(i) {
                    NULL_ID
                } else {
                    ids.get(k).copied().unwrap_or(NULL_ID)
                });
            }
            return Ok(());
        }
        let nulls = array.logical_nulls();
        let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
        match (array.data_type(), &*self) {
            (DataType::UInt64, Keys::UInt { .. }) => {
                let a = array.as_primitive::<UInt64Type>();
                for (i, &v) in a.values().iter().enumerate() {
                    out.push(if is_null(i) {
                        NULL_ID
                    } else {
                        self.intern_uint(v)?
                    });
                }
            }
            (_, Keys::Int { .. }) => {
                let cast;
                let a = if array.data_type() == &DataType::Int64 {
                    array.as_primitive::<Int64Type>()
                } else {
                    cast = arrow_cast::cast(array, &DataType::Int64)?;
                    cast.as_primitive::<Int64Type>()
                };
                for (i, &v) in a.values().iter().enumerate() {
                    out.push(if is_null(i) {
                        NULL_ID
                    } else {
                        self.intern_int(v)?
                    });
                }
            }
            (DataType::Utf8, Keys::Str { .. }) => {
                for (i, v) in array.as_string::<i32>().iter().enumerate() {
                    out.push(match v {
                        Some(s) if !is_null(i) => self.intern_str(s)?,
                        _ => NULL_ID,
                    });
                }
            }
            (DataType::LargeUtf8, Keys::Str { .. }) => {
                for (i, v) in array.as_string::<i64>().iter().enumerate() {
                    out.push(match v {
                        Some(s) if !is_null(i) => self.intern_str(s)?,
                        _ => NULL_ID,
                    });
                }
            }
            (DataType::Utf8View, Keys::Str { .. }) => {
                for (i, v) in array.as_string_view().iter().enumerate() {
                    out.push(match v {
                        Some(s) if !is_null(i) => self.intern_str(s)?,
                        _ => NULL_ID,
                    });
                }
            }
            (dt, _) => {
                return Err(CoreError::Input(format!(
                    "internal: key column type {dt} does not match the interner"
                )))
            }
        }
        Ok(())
    }

    /// The ids `0..len` sorted by key (numbers numerically, strings by their
    /// UTF-8 bytes), so output order never depends on row order (I5).
    pub fn sorted_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = (0..self.len() as u32).collect();
        match self {
            Keys::Int { values, .. } => ids.sort_unstable_by_key(|&i| values[i as usize]),
            Keys::UInt { values, .. } => ids.sort_unstable_by_key(|&i| values[i as usize]),
            Keys::Str { .. } => ids.sort_unstable_by(|&a, &b| self.str_key(a).cmp(self.str_key(b))),
        }
        ids
    }

    fn str_key(&self, id: u32) -> &str {
        match self {
            Keys::Str { bytes, offsets, .. } => {
                let r = offsets[id as usize]..offsets[id as usize + 1];
                // The arena only ever receives whole `&str`s.
                std::str::from_utf8(&bytes[r]).unwrap_or("")
            }
            _ => "",
        }
    }

    /// The key of `id` as text, for messages.
    pub fn display(&self, id: u32) -> String {
        match self {
            Keys::Int { values, .. } => values[id as usize].to_string(),
            Keys::UInt { values, .. } => values[id as usize].to_string(),
            Keys::Str { .. } => format!("'{}'", self.str_key(id)),
        }
    }

    /// The keys of `ids`, as an array of `data_type` (the input column's type).
    pub fn take(&self, ids: &[u32], data_type: &DataType) -> Result<ArrayRef> {
        let arr: ArrayRef = match self {
            Keys::Int { values, .. } => Arc::new(Int64Array::from_iter_values(
                ids.iter().map(|&i| values[i as usize]),
            )),
            Keys::UInt { values, .. } => Arc::new(UInt64Array::from_iter_values(
                ids.iter().map(|&i| values[i as usize]),
            )),
            Keys::Str { .. } => Arc::new(StringArray::from_iter_values(
                ids.iter().map(|&i| self.str_key(i)),
            )),
        };
        if arr.data_type() == data_type {
            Ok(arr)
        } else {
            Ok(arrow_cast::cast(&arr, data_type)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::types::Int8Type;
    use arrow_array::{DictionaryArray, Int32Array, StringViewArray};

    #[test]
    fn interns_strings_and_sorts() {
        let mut k = Keys::new(KeyKind::Str);
        let a = StringArray::from(vec![Some("b"), Some("a"), None, Some("b")]);
        let mut out = vec![];
        k.intern_array(&a, &mut out).unwrap();
        assert_eq!(out, vec![0, 1, NULL_ID, 0]);
        let v = StringViewArray::from(vec!["a", "c"]);
        k.intern_array(&v, &mut out).unwrap();
        assert_eq!(out, vec![1, 2]);
        assert_eq!(k.sorted_ids(), vec![1, 0, 2]);
        let t = k.take(&[2, 1], &DataType::Utf8View).unwrap();
        assert_eq!(t.data_type(), &DataType::Utf8View);
    }

    #[test]
    fn empty_dictionaries_are_all_null() {
        let mut s = Keys::new(KeyKind::Str);
        let mut out = vec![];
        let d: DictionaryArray<Int8Type> = vec![None::<&str>, None].into_iter().collect();
        s.intern_array(&d, &mut out).unwrap();
        assert_eq!(out, vec![NULL_ID, NULL_ID]);
        let e: DictionaryArray<Int8Type> = Vec::<Option<&str>>::new().into_iter().collect();
        s.intern_array(&e, &mut out).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn interns_ints_and_dictionaries() {
        let mut k = Keys::new(KeyKind::Int);
        let mut out = vec![];
        k.intern_array(
            &Int32Array::from(vec![Some(5), None, Some(-3), Some(5)]),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, vec![0, NULL_ID, 1, 0]);
        assert_eq!(k.sorted_ids(), vec![1, 0]);
        let mut s = Keys::new(KeyKind::Str);
        let d: DictionaryArray<Int8Type> = vec![Some("x"), None, Some("y"), Some("x")]
            .into_iter()
            .collect();
        s.intern_array(&d, &mut out).unwrap();
        assert_eq!(out, vec![0, NULL_ID, 1, 0]);
        let back = s.take(&[1, 0], d.data_type()).unwrap();
        assert_eq!(back.data_type(), d.data_type());
    }
}
