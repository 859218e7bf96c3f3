//! Numbered string ids, the usual form of customer and invoice numbers in
//! retail systems (`"C0000042"`, `"CUST-0012345"`, `"0012345"`): one prefix,
//! then the number in decimal digits, zero-padded to a width (the first key's),
//! or wider without leading zeros once the numbers outgrow the padding
//! (`"C10000000"` after `"C9999999"`, as counters do). Such keys are numbers in
//! text: they intern like a compact integer range (the id is the number less
//! the range's start: no hashing, no table; issue 17's "short string ids as
//! fixed-width integers") and are written back from their numbers. While every
//! number fits the padding, byte order is numeric order, so ids are in key
//! order (I5); once one is wider the key order is found by a walk of the
//! numbers' digits ([`Numbered::ids_in_key_order`]).
//!
//! The first key of the input gives the form ([`Numbered::of`]). A key of
//! another form (another prefix, fewer digits than the padding, a wider one
//! with a leading zero, a letter among the digits) or a
//! range grown too sparse turns the keys hashed: the window is interned as
//! hashed strings and the ids held are re-interned from their numbers
//! ([`Remap::Renumber`]), so the result is that of a string interner that
//! never met the form.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, GenericStringArray, OffsetSizeTrait};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use rayon::prelude::*;

use super::ints::{grow, range_limit};
use super::strings::same;
use super::{Keys, Remap, StrPart, CHUNK};
use crate::error::{CoreError, Result};

/// The most digits a number may have (an `i64` holds every 18-digit number).
const MAX_DIGITS: usize = 18;

/// The form of numbered keys: `prefix`, then the number in decimal digits,
/// zero-padded to `digits` digits (a wider number has no leading zero): one
/// key per number, one number per key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbered {
    prefix: Box<str>,
    digits: usize,
}

impl Numbered {
    /// The form of `key`: its trailing digits (up to 18; digits before them
    /// belong to the prefix) after its other bytes; `None` when it does not end
    /// in a digit.
    pub(super) fn of(key: &str) -> Option<Numbered> {
        let b = key.as_bytes();
        let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
        let digits = digits.min(MAX_DIGITS);
        // The digits are ASCII, so the prefix ends on a character boundary.
        (digits > 0).then(|| Numbered {
            prefix: key[..b.len() - digits].into(),
            digits,
        })
    }

    /// The length of the keys of the form whose numbers fit the padding.
    fn width(&self) -> usize {
        self.prefix.len() + self.digits
    }

    /// The digits of the key of number `n` (>= 0): the padding, or more.
    fn digits_of(&self, n: i64) -> usize {
        let d = n.checked_ilog10().map_or(1, |l| l as usize + 1);
        d.min(MAX_DIGITS).max(self.digits)
    }

    /// Whether the key of every number up to `hi` fits the padding: then byte
    /// order is numeric order.
    pub(super) fn fits(&self, hi: i64) -> bool {
        self.digits >= MAX_DIGITS || hi < 10i64.pow(self.digits as u32)
    }

    /// The number of `key`, or `None` when the key is not of the form. Up to
    /// 16 digits are read eight at a time from whole words ([`eight_digits`]);
    /// a key wider than the padding (rare: numbers past it), one at a time.
    #[inline]
    pub(super) fn number(&self, key: &[u8]) -> Option<i64> {
        let (p, n, d) = (self.prefix.len(), key.len(), self.digits);
        if n != p + d {
            return self.wide_number(key);
        }
        if !same(&key[..p], self.prefix.as_bytes()) {
            return None;
        }
        match (n, d) {
            (8.., ..=8) => eight_digits(last_digits(word(key, n - 8), d)),
            (16.., 9..=16) => {
                let hi = eight_digits(last_digits(word(key, n - 16), d - 8))?;
                Some(hi * 100_000_000 + eight_digits(word(key, n - 8))?)
            }
            _ => digits(&key[p..]),
        }
    }

    /// The number of a key wider than the padding: up to 18 digits, the first
    /// not a zero (a zero there would give a second key to a number).
    #[cold]
    fn wide_number(&self, key: &[u8]) -> Option<i64> {
        let p = self.prefix.len();
        let digits = key.len().checked_sub(p)?;
        if digits <= self.digits || digits > MAX_DIGITS || key[p] == b'0' {
            return None;
        }
        if !same(&key[..p], self.prefix.as_bytes()) {
            return None;
        }
        self::digits(&key[p..])
    }

    /// The length of the key of number `n`.
    fn len_of(&self, n: i64) -> usize {
        self.prefix.len() + self.digits_of(n)
    }

    /// Writes the key of number `n` (>= 0) into `dst` (of [`Numbered::len_of`]):
    /// two digits at a time from a table, as `itoa` does (whose output is not
    /// zero-padded).
    #[inline]
    fn write(&self, mut n: i64, dst: &mut [u8]) {
        let p = self.prefix.len();
        dst[..p].copy_from_slice(self.prefix.as_bytes());
        let mut at = dst.len();
        while at >= p + 2 {
            let two = (n % 100) as usize * 2;
            dst[at - 2..at].copy_from_slice(&PAIRS[two..two + 2]);
            n /= 100;
            at -= 2;
        }
        if at > p {
            dst[p] = b'0' + (n % 10) as u8;
        }
    }

    /// The key of number `n`.
    pub(super) fn text(&self, n: i64) -> String {
        let mut b = vec![0; self.len_of(n)];
        self.write(n, &mut b);
        String::from_utf8(b).expect("a str prefix and ASCII digits")
    }

    /// The ids of the numbers `lo..lo + len` in the byte order of their keys
    /// (I5), for keys of several widths: a walk of their digits as a trie, in
    /// order (a key before the longer keys it begins), into the subtrees that
    /// hold a number of the range only. Linear in the numbers; a sort of 10.27M
    /// keys by a code of their digits took 0.7 s of a 100M-row call.
    pub(super) fn ids_in_key_order(&self, lo: i64, len: u32) -> Vec<u32> {
        let mut out = Vec::with_capacity(len as usize);
        if len > 0 {
            self.visit(0, 0, (lo, lo + i64::from(len) - 1), &mut out);
        }
        out
    }

    /// [`Numbered::ids_in_key_order`] below the node of the first `plen` digits
    /// (of value `v`) of a key.
    fn visit(&self, v: i64, plen: usize, (lo, hi): (i64, i64), out: &mut Vec<u32>) {
        if plen >= self.digits {
            if self.is_key(v, plen) && (lo..=hi).contains(&v) {
                out.push((v - lo) as u32);
            }
            // Every longer key below is a number of 10 v or more.
            if plen == MAX_DIGITS || v.saturating_mul(10) > hi {
                return;
            }
        }
        for c in 0..10 {
            let child = v * 10 + c;
            if self.holds(child, plen + 1, (lo, hi)) {
                self.visit(child, plen + 1, (lo, hi), out);
            }
        }
    }

    /// Whether the `plen` digits of value `v` are a key: the padding's width,
    /// or wider without a leading zero.
    fn is_key(&self, v: i64, plen: usize) -> bool {
        plen == self.digits || (plen > self.digits && v >= 10i64.pow(plen as u32 - 1))
    }

    /// Whether a key of a number in `lo..=hi` begins with the `plen` digits of
    /// value `v`: for each length `l` from the padding on, the numbers of `l`
    /// digits that begin so are `v 10^(l - plen) ..= (v + 1) 10^(l - plen) - 1`
    /// (wider than the padding: from `10^(l - 1)`, no leading zero).
    fn holds(&self, v: i64, plen: usize, (lo, hi): (i64, i64)) -> bool {
        for l in plen.max(self.digits)..=MAX_DIGITS {
            let scale = 10i64.pow((l - plen) as u32);
            let first = v * scale;
            if first > hi {
                return false;
            }
            let last = (v + 1) * scale - 1;
            let keys_from = if l > self.digits {
                10i64.pow(l as u32 - 1)
            } else {
                0
            };
            if first.max(lo).max(keys_from) <= last.min(hi) {
                return true;
            }
        }
        false
    }

    /// The keys of numbers `lo + id` for `ids`, as Arrow string data. While
    /// every number fits the padding, every key has the same width and the
    /// offsets are multiples of it; else they are summed.
    fn strings<O: OffsetSizeTrait>(
        &self,
        lo: i64,
        ids: &[u32],
        fits: bool,
    ) -> GenericStringArray<O> {
        if !fits {
            return self.wide_strings(lo, ids);
        }
        const CH: usize = 1 << 14;
        let w = self.width();
        let offsets: Vec<O> = (0..=ids.len()).map(|k| O::usize_as(k * w)).collect();
        let mut values = vec![0u8; ids.len() * w];
        values
            .par_chunks_mut(CH * w)
            .zip(ids.par_chunks(CH))
            .for_each(|(dst, chunk)| {
                for (d, &id) in dst.chunks_exact_mut(w).zip(chunk) {
                    self.write(lo + i64::from(id), d);
                }
            });
        // SAFETY: the offsets are multiples of the width from 0 to `values.len()`;
        // every key is the str prefix and ASCII digits, so UTF-8.
        unsafe {
            GenericStringArray::new_unchecked(
                OffsetBuffer::new_unchecked(ScalarBuffer::from(offsets)),
                Buffer::from_vec(values),
                None,
            )
        }
    }

    /// [`Numbered::strings`] of keys of several widths: the offsets summed,
    /// then the keys written in parallel, a stretch of ids per task.
    #[cold]
    fn wide_strings<O: OffsetSizeTrait>(&self, lo: i64, ids: &[u32]) -> GenericStringArray<O> {
        const CH: usize = 1 << 14;
        let lens: Vec<usize> = ids
            .par_iter()
            .map(|&id| self.len_of(lo + i64::from(id)))
            .collect();
        let mut offsets = Vec::with_capacity(ids.len() + 1);
        let mut at = 0usize;
        offsets.push(O::usize_as(0));
        for len in &lens {
            at += len;
            offsets.push(O::usize_as(at));
        }
        let mut values = vec![0u8; at];
        // Each stretch's bytes, split off in turn.
        let mut stretches = Vec::with_capacity(ids.len().div_ceil(CH));
        let mut rest = &mut values[..];
        for chunk in lens.chunks(CH) {
            let (head, tail) = rest.split_at_mut(chunk.iter().sum());
            stretches.push(head);
            rest = tail;
        }
        stretches
            .into_par_iter()
            .zip(ids.par_chunks(CH).zip(lens.par_chunks(CH)))
            .for_each(|(dst, (ids, lens))| {
                let mut a = 0;
                for (&id, &len) in ids.iter().zip(lens) {
                    self.write(lo + i64::from(id), &mut dst[a..a + len]);
                    a += len;
                }
            });
        // SAFETY: the offsets rise from 0 to `values.len()`, each key's length;
        // every key is the str prefix and ASCII digits, so UTF-8.
        unsafe {
            GenericStringArray::new_unchecked(
                OffsetBuffer::new_unchecked(ScalarBuffer::from(offsets)),
                Buffer::from_vec(values),
                None,
            )
        }
    }

    /// [`Numbered::strings`] with 32-bit offsets when they fit; `fits`: every
    /// number of the range fits the padding ([`Keys::id_is_rank`]).
    pub(super) fn take(&self, lo: i64, ids: &[u32], fits: bool) -> ArrayRef {
        let bytes = if fits {
            ids.len() * self.width()
        } else {
            ids.par_iter()
                .map(|&id| self.len_of(lo + i64::from(id)))
                .sum()
        };
        if i32::try_from(bytes).is_ok() {
            Arc::new(self.strings::<i32>(lo, ids, fits))
        } else {
            Arc::new(self.strings::<i64>(lo, ids, fits))
        }
    }
}

/// "00", "01", .. "99": the two digits of every number below 100.
const PAIRS: &[u8; 200] = b"\
      0001020304050607080910111213141516171819\
      2021222324252627282930313233343536373839\
      4041424344454647484950515253545556575859\
      6061626364656667686970717273747576777879\
      8081828384858687888990919293949596979899";

/// Eight `'0'` bytes.
const ZEROS: u64 = 0x3030_3030_3030_3030;
/// The high nibble of every byte.
const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;

/// The little-endian word of `s[at..at + 8]`.
#[inline]
fn word(s: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"))
}

/// The word `w` (the last 8 bytes of a key) with every byte before its last
/// `d` (1 to 8) set to `'0'`, so that only the digits count.
#[inline]
fn last_digits(w: u64, d: usize) -> u64 {
    let keep = !0u64 << (8 * (8 - d));
    (w & keep) | (ZEROS & !keep)
}

/// The number of the 8 ASCII digits of `w` (the first in its lowest byte),
/// or `None` when a byte is not a digit: three multiplications, not eight
/// steps (Lemire, "Fast numeric parsing", 2022).
#[inline]
fn eight_digits(w: u64) -> Option<i64> {
    // A digit byte is 0x30..=0x39: its high nibble is 3, and still is after adding 6.
    if w & HIGH != ZEROS || w.wrapping_add(0x0606_0606_0606_0606) & HIGH != ZEROS {
        return None;
    }
    let v = ((w & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561)) >> 8;
    let v = ((v & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601)) >> 16;
    Some((((v & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001)) >> 32) as i64)
}

/// The number of the ASCII digits `s` (at most 18), one at a time.
#[inline]
fn digits(s: &[u8]) -> Option<i64> {
    s.iter().try_fold(0i64, |n, &c| {
        let d = c.wrapping_sub(b'0');
        (d < 10).then(|| n * 10 + i64::from(d))
    })
}

/// Writes `number - base` (wrapping) of every key `get(i)` to `out[i]`
/// (nulls skipped) and returns the smallest and largest number,
/// `(i64::MAX, i64::MIN)` when all are null; `None` (`out` then holds
/// anything) when a key is not of the form. One read of the keys: the ids
/// are right when the range keeps `base` as its start (the usual window).
fn numbers<'a>(
    form: &Numbered,
    base: i64,
    nulls: &Option<NullBuffer>,
    get: &(impl Fn(usize) -> &'a [u8] + Sync),
    out: &mut [u32],
) -> Option<(i64, i64)> {
    let is_null = |i: usize| nulls.as_ref().is_some_and(|b| b.is_null(i));
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .map(|(c, o)| {
            let mut m = (i64::MAX, i64::MIN);
            for (j, slot) in o.iter_mut().enumerate() {
                let i = c * CHUNK + j;
                if !is_null(i) {
                    let x = form.number(get(i))?;
                    m = (m.0.min(x), m.1.max(x));
                    *slot = x.wrapping_sub(base) as u32;
                }
            }
            Some(m)
        })
        .try_reduce(
            || (i64::MAX, i64::MIN),
            |a, b| Some((a.0.min(b.0), a.1.max(b.1))),
        )
}

/// Interns the keys `get(0..out.len())` of numbered keys of `form` in the
/// range `range` (none yet: `None`): the new range and what happened to the
/// ids handed out, or `None` (`out` then holds anything) when a key is not of
/// the form or the range would grow too sparse.
fn intern_window<'a>(
    form: &Numbered,
    range: Option<(i64, u32)>,
    nulls: &Option<NullBuffer>,
    get: impl Fn(usize) -> &'a [u8] + Sync,
    rows_seen: usize,
    out: &mut [u32],
) -> Option<((i64, u32), Remap)> {
    let n = out.len();
    // The first window's base: its first key's number, so that its ids are
    // near 0 (any base works: the shift below wraps as the writes did).
    let base = match range {
        Some((lo, _)) => lo,
        None => (0..n)
            .find(|&i| !nulls.as_ref().is_some_and(|b| b.is_null(i)))
            .and_then(|i| form.number(get(i)))?,
    };
    let (mn, mx) = numbers(form, base, nulls, &get, out)?;
    if mn > mx {
        // All null (never the first window, which starts with a key).
        return range.map(|r| (r, Remap::None));
    }
    let ((lo, len), remap) = grow(range, mn, mx, range_limit(rows_seen, n))?;
    if lo != base {
        // The ids were written from `base`; the range starts at `lo` (< base, or
        // the first window's smallest number): id = (number - base) + (base - lo).
        let by = base.wrapping_sub(lo) as u32;
        let is_null = |i: usize| nulls.as_ref().is_some_and(|b| b.is_null(i));
        out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, o)| {
            for (j, slot) in o.iter_mut().enumerate() {
                if !is_null(c * CHUNK + j) {
                    *slot = slot.wrapping_add(by);
                }
            }
        });
    }
    Some(((lo, len), remap))
}

/// [`intern_window`] of a string column of any layout.
fn intern_array(
    form: &Numbered,
    range: Option<(i64, u32)>,
    array: &dyn Array,
    rows_seen: usize,
    out: &mut [u32],
) -> Result<Option<((i64, u32), Remap)>> {
    let nulls = array.logical_nulls();
    with_strings!(array, |get| Ok(intern_window(
        form, range, &nulls, get, rows_seen, out
    )))
}

/// The first non-null key of a string column.
fn first_key<'a>(
    n: usize,
    nulls: &Option<NullBuffer>,
    get: impl Fn(usize) -> &'a [u8],
) -> Option<&'a str> {
    let i = (0..n).find(|&i| !nulls.as_ref().is_some_and(|b| b.is_null(i)))?;
    std::str::from_utf8(get(i)).ok()
}

impl Keys {
    /// The first keys of a string interner ([`Keys::StrEmpty`]): when the first
    /// key is numbered and every key of the window has its form in a compact
    /// range, the keys turn numbered; else they are sorted or hashed strings
    /// from here on. A window of nulls leaves the interner empty.
    pub(super) fn intern_first_strs(
        &mut self,
        array: &dyn Array,
        rows_seen: usize,
        out: &mut Vec<u32>,
    ) -> Result<Remap> {
        let nulls = array.logical_nulls();
        let first = with_strings!(array, |get| Ok(first_key(array.len(), &nulls, get)))?;
        let Some(first) = first else {
            return Ok(Remap::None);
        };
        if let Some(form) = Numbered::of(first) {
            if let Some(((lo, len), remap)) = intern_array(&form, None, array, rows_seen, out)? {
                *self = Keys::StrNumbered { form, lo, len };
                return Ok(remap);
            }
        }
        *self = Keys::StrSorted(StrPart::default());
        self.intern_str_array(array, rows_seen, out)
    }

    /// [`Keys::intern_array`] of a string column for numbered keys: in the
    /// range, or (a key of another form, a range too sparse) hashed from here
    /// on, with the ids handed out re-interned by the caller ([`Remap::Renumber`]).
    pub(super) fn intern_numbered(
        &mut self,
        array: &dyn Array,
        rows_seen: usize,
        out: &mut Vec<u32>,
    ) -> Result<Remap> {
        let Keys::StrNumbered { form, lo, len } = self else {
            return Err(CoreError::Internal("intern_numbered on other keys".into()));
        };
        if let Some(((l, n), remap)) = intern_array(form, Some((*lo, *len)), array, rows_seen, out)?
        {
            (*lo, *len) = (l, n);
            return Ok(remap);
        }
        let (form, lo) = (form.clone(), *lo);
        *self = Keys::hashed_strs(StrPart::default());
        self.intern_array(array, rows_seen, out)?;
        Ok(Remap::Renumber { lo, form })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::keys_of;
    use super::super::{KeyKind, NULL_ID};
    use super::*;
    use arrow_array::StringArray;

    #[test]
    fn forms_parse_and_write_back() {
        let f = Numbered::of("CUST-0012345").unwrap();
        assert_eq!(f.prefix.as_ref(), "CUST-");
        assert_eq!(f.digits, 7);
        assert_eq!(f.number(b"CUST-0012345"), Some(12345));
        assert_eq!(f.number(b"CUST-9999999"), Some(9_999_999));
        assert_eq!(f.text(42), "CUST-0000042");
        for bad in [
            &b"CUST-001234"[..],
            b"CUST-00123456",
            b"CUSX-0012345",
            b"CUST-00123a5",
        ] {
            assert_eq!(f.number(bad), None, "{:?}", std::str::from_utf8(bad));
        }
        assert_eq!(Numbered::of("abc"), None);
        assert_eq!(Numbered::of(""), None);
        let digits_only = Numbered::of("0042").unwrap();
        assert_eq!(
            (digits_only.prefix.as_ref(), digits_only.text(7).as_str()),
            ("", "0007")
        );
        // 20 digits: the first two belong to the prefix.
        let long = Numbered::of("12345678901234567890").unwrap();
        assert_eq!((long.prefix.as_ref(), long.digits), ("12", 18));
        assert_eq!(
            long.number(b"12999999999999999999"),
            Some(999_999_999_999_999_999)
        );
        let utf8 = Numbered::of("kund\u{e9}-07").unwrap();
        assert_eq!(utf8.text(3), "kund\u{e9}-03");
    }

    #[test]
    fn numbers_past_the_padding_are_wider_keys_without_leading_zeros() {
        let f = Numbered::of("C0000042").unwrap();
        assert_eq!(f.number(b"C10000000"), Some(10_000_000));
        assert_eq!(
            f.number(b"C123456789012345678"),
            Some(123_456_789_012_345_678)
        );
        assert_eq!(f.text(10_000_000), "C10000000");
        assert_eq!(f.text(9_999_999), "C9999999");
        for bad in [
            &b"C00000042"[..], // a second key of 42
            b"C1234567890123456789",
            b"D10000000",
            b"C1000000x",
            b"C",
        ] {
            assert_eq!(f.number(bad), None, "{:?}", std::str::from_utf8(bad));
        }
        assert!(f.fits(9_999_999) && !f.fits(10_000_000));
        // One key per number and back, on both sides of the padding.
        for n in (0..2000)
            .chain(9_999_000..10_001_000)
            .chain([999_999_999_999_999_999])
        {
            assert_eq!(f.number(f.text(n).as_bytes()), Some(n), "{n}");
        }
    }

    #[test]
    fn the_trie_walk_gives_the_keys_byte_order() {
        // Ranges on both sides of the padding, across it, and far past it (wide
        // keys only), against sorting the keys' text.
        use rand::{rngs::SmallRng, Rng, SeedableRng};
        let mut rng = SmallRng::seed_from_u64(5);
        let mut ranges = vec![(0, 1), (0, 2000), (9_990, 30), (95, 2000), (999_990, 12)];
        for _ in 0..200 {
            let digits = rng.random_range(1..=18);
            let lo = rng.random_range(0..10i64.pow(digits));
            ranges.push((lo, rng.random_range(1..3000)));
        }
        for form in ["C0000042", "7", "K-000"] {
            let f = Numbered::of(form).unwrap();
            for &(lo, len) in &ranges {
                let len = len.min(999_999_999_999_999_999 - lo + 1) as u32;
                let mut want: Vec<u32> = (0..len).collect();
                want.sort_by_key(|&id| f.text(lo + i64::from(id)));
                assert_eq!(f.ids_in_key_order(lo, len), want, "{form} {lo} {len}");
            }
        }
    }

    #[test]
    fn keys_past_the_padding_stay_numbered_and_rank_by_their_bytes() {
        // A counter that outgrew its padding (the benchmark's 10.27M customers at
        // 100M rows): the keys stay a range; ranks and the column follow the bytes.
        let mut k = Keys::new(KeyKind::Str);
        let (a, _) = intern(&mut k, &[Some("C9999998"), Some("C9999999")], 0);
        assert!(k.id_is_rank());
        let (b, r) = intern(&mut k, &[Some("C10000001"), Some("C10000000"), None], 2);
        assert_eq!(r, Remap::None);
        assert!(matches!(k, Keys::StrNumbered { .. }));
        assert!(!k.id_is_rank());
        let ids = [a[0], a[1], b[0], b[1]];
        let taken = k.take(&ids, &arrow_schema::DataType::Utf8).unwrap();
        let taken = taken.as_any().downcast_ref::<StringArray>().unwrap();
        let text: Vec<&str> = taken.iter().map(Option::unwrap).collect();
        assert_eq!(text, ["C9999998", "C9999999", "C10000001", "C10000000"]);
        let mut want: Vec<(&str, u32)> = text.iter().copied().zip(ids).collect();
        want.sort();
        let order = k.key_order_of_all();
        assert_eq!(
            order.ids,
            want.iter().map(|w| w.1).collect::<Vec<_>>(),
            "C10000000 < C10000001 < C9999998 < C9999999"
        );
        assert_eq!(k.ranks(), order.rank);
        // A wider key with a leading zero is another form: hashed.
        let (_, r) = intern(&mut k, &[Some("C010000002")], 5);
        assert!(matches!(r, Remap::Renumber { .. }));
    }

    #[test]
    fn words_of_digits_read_as_one_at_a_time() {
        // Every width and prefix length up to 18 digits, random digits with a
        // random byte put anywhere in every other key, against the plain loop.
        use rand::{rngs::SmallRng, Rng, SeedableRng};
        let mut rng = SmallRng::seed_from_u64(3);
        for p in 0..10 {
            for d in 1..=MAX_DIGITS {
                let form = Numbered {
                    prefix: "P".repeat(p).into(),
                    digits: d,
                };
                for t in 0..300 {
                    let mut key: Vec<u8> = "P".repeat(p).into_bytes();
                    key.extend((0..d).map(|_| b'0' + rng.random_range(0..10)));
                    if t % 2 == 1 {
                        key[p + rng.random_range(0..d)] = rng.random::<u8>();
                    }
                    let want = if key.iter().skip(p).all(u8::is_ascii_digit) {
                        std::str::from_utf8(&key[p..]).unwrap().parse::<i64>().ok()
                    } else {
                        None
                    };
                    assert_eq!(form.number(&key), want, "{key:?}");
                    assert_eq!(digits(&key[p..]), want);
                }
            }
        }
    }

    fn intern(k: &mut Keys, keys: &[Option<&str>], rows_seen: usize) -> (Vec<u32>, Remap) {
        let mut out = vec![];
        let r = k
            .intern_array(&StringArray::from(keys.to_vec()), rows_seen, &mut out)
            .unwrap();
        (out, r)
    }

    #[test]
    fn numbered_keys_intern_as_a_range_in_key_order() {
        let mut k = Keys::new(KeyKind::Str);
        let (ids, r) = intern(&mut k, &[None, Some("C0000042"), Some("C0000040"), None], 0);
        assert_eq!(r, Remap::None);
        assert!(matches!(k, Keys::StrNumbered { .. }));
        assert_eq!(ids, vec![NULL_ID, 2, 0, NULL_ID]);
        // Growing downwards shifts the ids held, as an integer range does.
        let (more, r) = intern(&mut k, &[Some("C0000030"), Some("C0000042")], 4);
        let Remap::Shift(s) = r else {
            panic!("a shift, got {r:?}")
        };
        assert_eq!(keys_of(&k, &more), vec!["'C0000030'", "'C0000042'"]);
        assert_eq!(keys_of(&k, &[ids[1] + s]), vec!["'C0000042'"]);
        assert!(k.id_is_rank());
        let taken = k.take(&more, &arrow_schema::DataType::Utf8).unwrap();
        let taken = taken.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(
            taken.iter().collect::<Vec<_>>(),
            vec![Some("C0000030"), Some("C0000042")]
        );
    }

    #[test]
    fn a_key_of_another_form_turns_the_keys_hashed() {
        for other in ["C000042", "D0000042", "C00000x2", "GUEST"] {
            let mut k = Keys::new(KeyKind::Str);
            let (ids, _) = intern(&mut k, &[Some("C0000007"), Some("C0000003")], 0);
            let (new, r) = intern(&mut k, &[Some(other), Some("C0000005")], 2);
            assert_eq!(
                r,
                Remap::Renumber {
                    lo: 3,
                    form: Numbered::of("C0000007").unwrap()
                }
            );
            assert!(matches!(k, Keys::Str { .. }));
            let old = vec![ids[1], ids[0]]; // ascending
            let rebased = k.rebased(&r, &old).unwrap();
            assert_eq!(keys_of(&k, &rebased), vec!["'C0000003'", "'C0000007'"]);
            assert_eq!(
                keys_of(&k, &new),
                vec![format!("'{other}'"), "'C0000005'".into()]
            );
        }
    }

    #[test]
    fn a_first_window_of_another_form_stays_plain_strings() {
        let mut k = Keys::new(KeyKind::Str);
        intern(&mut k, &[Some("C0000007"), Some("C000003")], 0);
        assert!(!matches!(k, Keys::StrNumbered { .. }));
        // Too sparse for a range from the start (2^24 slots at least, 8 a row).
        let mut s = Keys::new(KeyKind::Str);
        intern(&mut s, &[Some("C000000000"), Some("C100000000")], 0);
        assert!(!matches!(s, Keys::StrNumbered { .. }));
    }
}
