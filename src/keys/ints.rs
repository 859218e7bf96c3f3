//! Integer ids (customer numbers, order numbers): a compact range maps by
//! subtraction, in parallel; a range too sparse for a table of ids falls back
//! to a hash map (the caller re-interns the ids it holds, [`Remap::Rebase`]).

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt64Type};
use arrow_array::Array;
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;
use hashbrown::hash_map::Entry;
use hashbrown::HashMap;
use rayon::prelude::*;

use super::{Keys, Remap, CHUNK, NULL_ID};
use crate::error::{CoreError, Result};

impl Keys {
    /// [`Keys::intern_array`] of a signed (or up to 32-bit unsigned) integer column.
    pub(super) fn intern_int_array(
        &mut self,
        array: &dyn Array,
        rows_seen: usize,
        out: &mut [u32],
    ) -> Result<Remap> {
        let cast;
        let a = if array.data_type() == &DataType::Int64 {
            array.as_primitive::<Int64Type>()
        } else {
            cast = arrow_cast::cast(array, &DataType::Int64).map_err(CoreError::reading)?;
            cast.as_primitive::<Int64Type>()
        };
        let nulls = array.logical_nulls();
        let nulls = nulls.as_ref().filter(|n| n.null_count() > 0);
        self.intern_ints(a.values(), nulls, rows_seen, out)
    }

    /// [`Keys::intern_array`] of a 64-bit unsigned column (always hashed).
    pub(super) fn intern_uints(&mut self, array: &dyn Array, out: &mut [u32]) -> Result<Remap> {
        let Keys::UInt { values, map } = self else {
            return Err(CoreError::Internal("intern_uints on other keys".into()));
        };
        let nulls = array.logical_nulls();
        let a = array.as_primitive::<UInt64Type>();
        for (i, &v) in a.values().iter().enumerate() {
            if !nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                out[i] = intern_map(map, values, v)?;
            }
        }
        Ok(Remap::None)
    }

    /// Integer keys `v` (nulls where `nulls` says): the range grows to hold
    /// them or gives way to hashing, then every key gets its id.
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
        let remap = self.grow_range(mn, mx, range_limit(rows_seen, v.len()));
        match self {
            Keys::IntRange { lo, .. } => {
                let lo = *lo;
                let map = |(c, (o, ch)): (usize, (&mut [u32], &[i64]))| {
                    for (j, (slot, &x)) in o.iter_mut().zip(ch).enumerate() {
                        if !is_null(c * CHUNK + j) {
                            *slot = (x - lo) as u32;
                        }
                    }
                };
                out.par_chunks_mut(CHUNK)
                    .zip(v.par_chunks(CHUNK))
                    .enumerate()
                    .for_each(map);
            }
            Keys::Int { values, map } => {
                for (i, &x) in v.iter().enumerate() {
                    if !is_null(i) {
                        out[i] = intern_map(map, values, x)?;
                    }
                }
            }
            _ => return Err(CoreError::Internal("intern_ints on other keys".into())),
        }
        Ok(remap)
    }

    /// Makes room for keys `mn..=mx` (at most `limit` slots in a range): the
    /// range grows (ids shift when it grows downwards, [`grow`]), or hashing takes over.
    fn grow_range(&mut self, mn: i64, mx: i64, limit: u64) -> Remap {
        let range = match *self {
            Keys::IntEmpty => None,
            Keys::IntRange { lo, len } => Some((lo, len)),
            _ => return Remap::None,
        };
        match grow(range, mn, mx, limit) {
            Some(((lo, len), remap)) => {
                *self = Keys::IntRange { lo, len };
                remap
            }
            None => {
                *self = Keys::Int {
                    values: Vec::new(),
                    map: HashMap::new(),
                };
                // Too sparse now: hash from here on; the caller re-interns the ids it holds.
                range.map_or(Remap::None, |(lo, _)| Remap::Rebase { lo })
            }
        }
    }

    /// The id of an integer key in a hashed interner (see [`Remap::Rebase`]).
    pub fn intern_int_key(&mut self, key: i64) -> Result<u32> {
        match self {
            Keys::Int { values, map } => intern_map(map, values, key),
            _ => Err(CoreError::Internal(
                "intern_int_key on a non-hashed interner".into(),
            )),
        }
    }
}

/// The most slots a range of keys may hold after `rows_seen` rows and `n`
/// more: 8 a row (and always 16M), so a sparse range cannot take much more
/// memory than the rows themselves.
pub(super) fn range_limit(rows_seen: usize, n: usize) -> u64 {
    ((rows_seen + n) as u64 * 8).clamp(1 << 24, (NULL_ID - 1) as u64)
}

/// The range `range` (`None`: none yet) grown to hold the keys `mn..=mx`, and
/// what happens to the ids handed out (a shift when it grows downwards);
/// `None` when it would hold `limit` slots or more. Shared by integer and
/// numbered string keys ([`super::numbered`]).
pub(super) fn grow(
    range: Option<(i64, u32)>,
    mn: i64,
    mx: i64,
    limit: u64,
) -> Option<((i64, u32), Remap)> {
    let span = |lo: i64, hi: i64| (hi as i128 - lo as i128) as u64;
    let Some((lo, len)) = range else {
        return (span(mn, mx) < limit).then(|| ((mn, (mx - mn + 1) as u32), Remap::None));
    };
    let (mut nlo, nhi) = (lo.min(mn), (lo + len as i64 - 1).max(mx));
    if nlo < lo {
        // Leave room below, so ids falling batch after batch shift
        // the lines held only O(log) times, not once per batch.
        let room = nlo.saturating_sub((nhi as i128 - nlo as i128 + 1) as i64 / 2);
        if span(room, nhi) < limit {
            nlo = room;
        }
    }
    if span(nlo, nhi) >= limit {
        return None;
    }
    let remap = if nlo < lo {
        Remap::Shift((lo - nlo) as u32)
    } else {
        Remap::None
    };
    Some(((nlo, (nhi - nlo + 1) as u32), remap))
}

/// The id of `k` in a hashed interner, a new one when `k` is new.
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
    use super::super::tests::keys_of;
    use super::super::KeyKind;
    use super::*;
    use arrow_array::{Int32Array, Int64Array};

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
}
