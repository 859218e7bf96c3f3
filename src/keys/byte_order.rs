//! String keys put in byte order (I5) by a radix sort, not by comparisons:
//! the first [`WIDTH`] bytes of every key become one integer, a dense code
//! that orders as the bytes do ([`PrefixCode`]), and keys with equal codes
//! (rare: a longer shared start) are ordered by their whole bytes after.
//!
//! Why a code and not the bytes: ids such as `"C0000042"` or `"CUST-0012345"`
//! vary in a few positions and over ten digits each, so the code of a million
//! of them takes about 24 bits, three 8-bit passes of 8-byte words (code and
//! id), where the 16 raw bytes would take seven passes of wider pairs (the
//! bytes that never change are skipped either way). Wider codes are sorted
//! by comparison, as before.

use rayon::prelude::*;

/// How many leading bytes of a key the code reads (shorter keys are zero
/// padded, as in [`super::StrPart::prefix`]).
const WIDTH: usize = 16;

/// The smallest and largest byte met at each of the first [`WIDTH`]
/// positions of a set of keys (0 where a key is shorter): two vector
/// instructions a key.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seen {
    lo: [u8; WIDTH],
    hi: [u8; WIDTH],
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            lo: [u8::MAX; WIDTH],
            hi: [0; WIDTH],
        }
    }
}

impl Seen {
    /// Adds a key's first bytes (zero padded).
    #[inline]
    pub(super) fn add(mut self, prefix: &[u8; WIDTH]) -> Seen {
        for ((lo, hi), &b) in self.lo.iter_mut().zip(&mut self.hi).zip(prefix) {
            *lo = (*lo).min(b);
            *hi = (*hi).max(b);
        }
        self
    }

    /// The bytes met in either.
    pub(super) fn union(self, other: Seen) -> Seen {
        self.add(&other.lo).add(&other.hi)
    }
}

/// An order-preserving integer code of the first [`WIDTH`] bytes of keys:
/// at each position where the keys differ, the byte less the smallest met
/// there, read as one mixed-radix number (first position most significant,
/// each radix the span of bytes met there: 10 for digits). Positions are taken
/// in order while the product of their radixes fits in 64 bits. Two keys whose
/// codes differ compare as their codes do; equal codes mean equal bytes over
/// the positions coded and leave the order to the rest of the keys.
#[derive(Debug)]
pub(super) struct PrefixCode {
    /// (position, smallest byte, radix), in key order.
    digits: Vec<(usize, u8, u64)>,
    /// The product of the radixes: every code is below it.
    span: u64,
}

impl PrefixCode {
    /// The code of the keys whose bytes `seen` holds.
    pub(super) fn new(seen: &Seen) -> PrefixCode {
        let mut digits = Vec::new();
        let mut span: u64 = 1;
        for j in 0..WIDTH {
            let (lo, hi) = (seen.lo[j], seen.hi[j]);
            if hi <= lo {
                continue; // one byte value here (or no keys): nothing to order
            }
            let radix = u64::from(hi - lo) + 1;
            let Some(s) = span.checked_mul(radix) else {
                break; // the positions after this one are left to the whole keys
            };
            span = s;
            digits.push((j, lo, radix));
        }
        PrefixCode { digits, span }
    }

    /// The code of a key of the set the code was made for, from its prefix.
    #[inline]
    fn of(&self, prefix: &[u8; WIDTH]) -> u64 {
        self.digits.iter().fold(0, |code, &(j, lo, radix)| {
            code * radix + u64::from(prefix[j] - lo)
        })
    }

    /// The ids of `keyed` ((prefix, id) of every key of the set) in the byte
    /// order of their keys (`key(id)`), then each run of equal codes sorted by
    /// the whole keys. Codes of at most 32 bits (numbered ids: ~24 bits for a
    /// million) are packed with their ids into one word and radix sorted, at
    /// most four 8-bit passes; wider codes (hex, UUIDs: eight passes of
    /// 16-byte pairs, slower than comparing) are sorted by comparison.
    pub(super) fn ids_in_order<'k>(
        &self,
        keyed: impl ParallelIterator<Item = ([u8; WIDTH], u32)>,
        key: impl Fn(u32) -> &'k [u8] + Sync,
    ) -> Vec<u32> {
        if self.span <= 1 << 32 {
            let mut packed: Vec<u64> = keyed
                .map(|(prefix, id)| self.of(&prefix) << 32 | u64::from(id))
                .collect();
            radsort::sort_by_key(&mut packed, |&v| (v >> 32) as u32);
            sort_runs(&mut packed, |&v| v >> 32, |&v| v as u32, key);
            packed.into_par_iter().map(|v| v as u32).collect()
        } else {
            let mut pairs: Vec<(u64, u32)> =
                keyed.map(|(prefix, id)| (self.of(&prefix), id)).collect();
            pairs.par_sort_unstable();
            sort_runs(&mut pairs, |&(code, _)| code, |&(_, id)| id, key);
            pairs.into_par_iter().map(|(_, id)| id).collect()
        }
    }
}

/// Sorts each run of equal `code`s of `items` (sorted by code) by the whole
/// keys of their ids, in parallel.
fn sort_runs<'k, T: Send>(
    items: &mut [T],
    code: impl Fn(&T) -> u64 + Sync,
    id: impl Fn(&T) -> u32 + Sync,
    key: impl Fn(u32) -> &'k [u8] + Sync,
) {
    items
        .par_chunk_by_mut(|a, b| code(a) == code(b))
        .filter(|run| run.len() > 1)
        .for_each(|run| run.sort_unstable_by(|a, b| key(id(a)).cmp(key(id(b)))));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids of `keys` sorted by code and run, as the engine does.
    fn order(keys: &[&[u8]]) -> Vec<u32> {
        let code = PrefixCode::new(&seen_of(keys));
        let keyed = (0..keys.len() as u32)
            .into_par_iter()
            .map(|i| (prefix(keys[i as usize]), i));
        code.ids_in_order(keyed, |i| keys[i as usize])
    }

    fn prefix(key: &[u8]) -> [u8; WIDTH] {
        let mut b = [0; WIDTH];
        let n = key.len().min(WIDTH);
        b[..n].copy_from_slice(&key[..n]);
        b
    }

    fn seen_of(keys: &[&[u8]]) -> Seen {
        keys.iter().fold(Seen::default(), |s, k| s.add(&prefix(k)))
    }

    /// The ids of `keys` sorted by comparing bytes: the plain path.
    fn plain(keys: &[&[u8]]) -> Vec<u32> {
        let mut ids: Vec<u32> = (0..keys.len() as u32).collect();
        ids.sort_by(|&a, &b| keys[a as usize].cmp(keys[b as usize]));
        ids
    }

    #[test]
    fn orders_as_the_bytes_do_with_padding_and_shared_starts() {
        let keys: Vec<&[u8]> = vec![
            b"C0000042",
            b"C0000007",
            b"a",
            b"a\0",
            b"",
            b"ab",
            b"a\0\0b",
            b"C1000000",
            b"user-000000000000001@x.nl",
            b"user-000000000000001@w.nl",
            b"\xff\xfe",
            b"\xff",
            b"zz",
        ];
        assert_eq!(order(&keys), plain(&keys));
    }

    #[test]
    fn a_set_too_varied_for_64_bits_leaves_the_rest_to_the_keys() {
        // 256 values at the first 3 positions, 16 at the next 13: 76 bits, so
        // the code stops before the last positions.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let owned: Vec<Vec<u8>> = (0..5000)
            .map(|i| {
                let len = 1 + i % 20;
                (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        if len > 3 {
                            (state % 16) as u8
                        } else {
                            state as u8
                        }
                    })
                    .collect()
            })
            .collect();
        let keys: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        assert_eq!(order(&keys), plain(&keys));
        let code = PrefixCode::new(&seen_of(&keys));
        assert!(code.digits.len() < WIDTH && code.span > 1 << 32, "{code:?}");
    }

    #[test]
    fn every_byte_value_at_a_position_ranks_in_order() {
        let owned: Vec<[u8; 2]> = (0..=255u8).rev().map(|b| [b, 255 - b]).collect();
        let keys: Vec<&[u8]> = owned.iter().map(|k| &k[..]).collect();
        assert_eq!(order(&keys), plain(&keys));
    }
}
