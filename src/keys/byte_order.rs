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

    /// The ids of the `count` keys of `sources` (each a sequence of (prefix, id)
    /// pairs; together every key of the set) in the byte order of their keys
    /// (`key(id)`), each run of equal codes sorted by the whole keys.
    ///
    /// Codes of at most 32 bits (numbered ids: ~24 bits for a million) are
    /// packed with their ids into one word, split by their top bits into
    /// [`buckets`] as the sources are read (each about the size of a core's
    /// second-level cache), and the buckets radix sorted in parallel, at
    /// most four 8-bit passes each. Wider codes (hex, UUIDs:
    /// eight passes of 16-byte pairs, slower than comparing) are sorted by
    /// comparison.
    pub(super) fn ids_in_order<'k, I: Iterator<Item = ([u8; WIDTH], u32)>>(
        &self,
        count: usize,
        sources: usize,
        source: impl Fn(usize) -> I + Sync,
        key: impl Fn(u32) -> &'k [u8] + Sync,
    ) -> Vec<u32> {
        if self.span > 1 << 32 {
            let mut pairs: Vec<(u64, u32)> = (0..sources)
                .into_par_iter()
                .flat_map_iter(|s| source(s).map(|(prefix, id)| (self.of(&prefix), id)))
                .collect();
            pairs.par_sort_unstable();
            sort_runs(&mut pairs, |&(code, _)| code, |&(_, id)| id, key);
            return pairs.into_par_iter().map(|(_, id)| id).collect();
        }
        // Codes are below `span`, so below 2^bits: their top bits name the bucket.
        let bits = u64::BITS - (self.span - 1).leading_zeros();
        let n = buckets(count);
        let shift = bits.saturating_sub(n.trailing_zeros());
        let pieces: Vec<Vec<Vec<u64>>> = (0..sources)
            .into_par_iter()
            .map(|s| {
                let mut split = vec![Vec::new(); n];
                for (prefix, id) in source(s) {
                    let code = self.of(&prefix);
                    split[(code >> shift) as usize].push(code << 32 | u64::from(id));
                }
                split
            })
            .collect();
        let sorted: Vec<Vec<u64>> = (0..n)
            .into_par_iter()
            .map(|b| {
                let mut packed = Vec::with_capacity(pieces.iter().map(|p| p[b].len()).sum());
                for p in &pieces {
                    packed.extend_from_slice(&p[b]);
                }
                radsort::sort_by_key(&mut packed, |&v| (v >> 32) as u32);
                sort_runs(&mut packed, |&v| v >> 32, |&v| v as u32, &key);
                packed
            })
            .collect();
        drop(pieces);
        sorted
            .into_par_iter()
            .flat_map_iter(|packed| packed.into_iter().map(|v| v as u32))
            .collect()
    }
}

/// How many buckets `count` codes of at most 32 bits are split into by their
/// top bits before each is radix sorted: a power of two, about 64k codes a
/// bucket (512 KiB of words, a core's second-level cache on the smaller
/// machines measured), and at least 64 for the cores to share. Measured
/// (`docs/performance.md`): 64 buckets beat 256 at 1M keys, 256 beat 64 at
/// 10M.
fn buckets(count: usize) -> usize {
    (count >> 16).next_power_of_two().clamp(64, 4096)
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
        let source = |s: usize| std::iter::once((prefix(keys[s]), s as u32));
        code.ids_in_order(keys.len(), keys.len(), source, |i| keys[i as usize])
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
