//! The one parallel scatter of lines into partitions (radix partitioning),
//! and the one pointer wrapper that lets parallel tasks write disjoint slots
//! of one buffer.
//!
//! Both layouts that move lines between partitions use [`scatter`]: the hashed
//! layout when it appends a window of rows ([`crate::store`]), and a store in
//! runs when it turns hashed. A count per (source, partition) gives every
//! source its own range of every partition; the sources then write their
//! ranges in parallel, so each partition keeps the order of its sources.

use rayon::prelude::*;

use crate::lines::{Line, Part};

/// A raw pointer that may cross threads: each slot behind it is written by
/// exactly one task (the callers say why in their SAFETY comments).
#[derive(Clone, Copy)]
pub(crate) struct Ptr<T>(*mut T);

// SAFETY: a `Ptr` is only an address; the code that writes through it makes
// sure that no two tasks touch the same slot and that the buffer outlives them.
unsafe impl<T> Send for Ptr<T> {}
// SAFETY: as for `Send`: shared copies of the address, disjoint writes.
unsafe impl<T> Sync for Ptr<T> {}

impl<T> Ptr<T> {
    /// The start of `slice` (for writes inside it).
    pub(crate) fn of_slice(slice: &mut [T]) -> Self {
        Ptr(slice.as_mut_ptr())
    }

    /// The start of `vec`'s buffer (for writes anywhere in its capacity).
    pub(crate) fn of_vec(vec: &mut Vec<T>) -> Self {
        Ptr(vec.as_mut_ptr())
    }

    /// The pointer (a method, so closures capture the whole `Send` wrapper).
    #[inline]
    pub(crate) fn get(self) -> *mut T {
        self.0
    }
}

/// Where one source writes its lines: its own range of every partition.
pub(crate) struct Sink<'a, const P: usize> {
    lines: &'a [Ptr<Line>],
    /// Order ids, aligned with the lines, when the parts hold them.
    orders: Option<&'a [Ptr<u32>]>,
    start: [usize; P],
    at: [usize; P],
    end: [usize; P],
}

impl<const P: usize> Sink<'_, P> {
    /// Writes `line` (and its `order` id, when the parts hold order ids) to the
    /// next slot of partition `p`.
    ///
    /// # Panics
    /// When the source writes more lines to `p` than it counted.
    #[inline]
    pub(crate) fn push(&mut self, p: usize, line: Line, order: u32) {
        self.put(p, line, order, false);
    }

    /// Writes `line` (and its `order` id) to the next slot of partition `p`,
    /// or, when `merged`, over the line this source wrote last to `p` (a
    /// line that grew by a row: no branch on which it is).
    ///
    /// # Panics
    /// When the slot is outside the source's range: more lines than counted,
    /// or `merged` before any line was written to `p`.
    #[inline]
    pub(crate) fn put(&mut self, p: usize, line: Line, order: u32, merged: bool) {
        let at = self.at[p].wrapping_sub(usize::from(merged));
        assert!(
            at < self.end[p] && at >= self.start[p],
            "scatter: more lines than counted, or no line to add to"
        );
        // SAFETY: `start[p]..end[p]` is this source's own range of partition p, inside
        // the capacity reserved by `scatter`; `at` is inside it (checked above).
        unsafe {
            self.lines[p].get().add(at).write(line);
            if let Some(o) = self.orders {
                o[p].get().add(at).write(order);
            }
        }
        self.at[p] = at + 1;
    }
}

/// Scatters lines from `counts.len()` sources into `parts` in parallel:
/// source `s` sends `counts[s][p]` lines to partition `p`, after the lines
/// already there and those of the sources before `s`. `fill(s, sink)` runs
/// once per source and must push exactly those lines.
///
/// # Panics
/// When a source pushes more or fewer lines than it counted (the parts are
/// then left without the lines of this call).
pub(crate) fn scatter<const P: usize>(
    parts: &mut [Part],
    counts: &[[usize; P]],
    fill: impl Fn(usize, &mut Sink<'_, P>) + Sync,
) {
    assert_eq!(parts.len(), P, "one part per partition");
    let mut offsets = vec![[0usize; P]; counts.len()];
    let mut ends = [0usize; P];
    for (p, part) in parts.iter_mut().enumerate() {
        let mut at = part.lines.len();
        for (s, c) in counts.iter().enumerate() {
            offsets[s][p] = at;
            at += c[p];
        }
        let added = at - part.lines.len();
        part.lines.reserve(added);
        if let Some(o) = part.orders.as_mut() {
            o.reserve(added);
        }
        ends[p] = at;
    }
    let lines: Vec<Ptr<Line>> = parts
        .iter_mut()
        .map(|p| Ptr::of_vec(&mut p.lines))
        .collect();
    let orders: Option<Vec<Ptr<u32>>> = parts
        .iter_mut()
        .map(|p| p.orders.as_mut().map(Ptr::of_vec))
        .collect();
    offsets.par_iter().enumerate().for_each(|(s, start)| {
        let mut end = *start;
        end.iter_mut().zip(&counts[s]).for_each(|(e, c)| *e += c);
        let mut sink = Sink {
            lines: &lines,
            orders: orders.as_deref(),
            start: *start,
            at: *start,
            end,
        };
        fill(s, &mut sink);
        assert!(sink.at == sink.end, "scatter: fewer lines than counted");
    });
    for (p, part) in parts.iter_mut().enumerate() {
        // SAFETY: every source wrote every slot of its range (checked above), and the
        // ranges tile `len..ends[p]`, inside the capacity reserved above.
        unsafe {
            part.lines.set_len(ends[p]);
            if let Some(o) = part.orders.as_mut() {
                o.set_len(ends[p]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_keep_their_order_in_every_partition() {
        let mut parts: Vec<Part> = (0..2).map(|_| Part::with_capacity(true, 0)).collect();
        parts[1].push(Line::new(9, 9, 9), 90);
        // Source 0 sends customers 0, 2 to part 0 and 1 to part 1; source 1 sends 3 to part 1.
        let counts = [[2, 1], [0, 1]];
        scatter(&mut parts, &counts, |s, sink| {
            let ids: &[u32] = if s == 0 { &[0, 1, 2] } else { &[3] };
            for &c in ids {
                sink.push(c as usize % 2, Line::new(c, 1, 1), c * 10);
            }
            if s == 0 {
                sink.put(0, Line::new(2, 1, 6), 20, true);
            }
        });
        let ids = |p: &Part| p.lines.iter().map(|l| l.customer).collect::<Vec<_>>();
        assert_eq!(ids(&parts[0]), [0, 2]);
        assert_eq!(ids(&parts[1]), [9, 1, 3]);
        assert_eq!(parts[0].lines[1].amount, 6);
        assert_eq!(parts[1].orders.as_deref(), Some(&[90, 10, 30][..]));
    }

    #[test]
    #[should_panic(expected = "more lines than counted")]
    fn writing_past_the_count_panics() {
        let mut parts: Vec<Part> = (0..2).map(|_| Part::default()).collect();
        scatter(&mut parts, &[[1, 0]], |_, sink| {
            sink.push(0, Line::default(), 0);
            sink.push(0, Line::default(), 0);
        });
    }

    #[test]
    #[should_panic(expected = "fewer lines than counted")]
    fn writing_less_than_the_count_panics() {
        let mut parts: Vec<Part> = (0..2).map(|_| Part::default()).collect();
        scatter(&mut parts, &[[1, 1]], |_, sink| {
            sink.push(0, Line::default(), 0)
        });
    }
}
