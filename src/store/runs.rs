//! The runs layout: while the input comes grouped by customer (every
//! customer's rows adjacent, as in a table sorted by customer), each window is
//! cut into chunks at customer changes and every chunk's rows are summed per
//! (customer, day, order) into a partition of its own, with no scatter at all;
//! each customer's lines are one run, in one partition. [`Runs`] checks that
//! no customer comes back after its run ended: free while run starts keep
//! rising (sorted input), else with a bit per customer id.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use rayon::prelude::*;

use super::CHUNK;
use crate::keys::NULL_ID;
use crate::lines::{Line, Part, Rows, Stats};

/// The state of a store in runs: which customers' runs have started.
pub(super) struct Runs {
    seen: Seen,
}

impl Runs {
    /// No run yet.
    pub(super) fn new() -> Self {
        Runs {
            seen: Seen::Rising(None),
        }
    }

    /// Marks the runs of `parts` again, after every customer id moved (a
    /// remap); `ids` is the number of ids handed out.
    pub(super) fn remark(&mut self, parts: &[Part], ids: usize) {
        self.seen = Seen::Bits(bits_of_runs(parts, ids).0);
    }

    /// Appends a window of rows (see [`append_runs`]); returns the counts
    /// over its valid rows and whether a customer came back after its run
    /// ended (the store must then turn hashed). `ids`: ids handed out.
    pub(super) fn append(
        &mut self,
        parts: &mut Vec<Part>,
        rows: &Rows,
        ids: usize,
    ) -> (Stats, bool) {
        if let Seen::Bits(b) = &mut self.seen {
            b.resize_with(ids.div_ceil(64), || AtomicU64::new(0));
        }
        let bits = match &self.seen {
            Seen::Bits(b) => Some(&b[..]),
            Seen::Rising(_) => None,
        };
        let (stats, w) = append_runs(parts, bits, rows);
        let mut back = w.back;
        if let Seen::Rising(max) = &mut self.seen {
            if w.rising && w.first.zip(*max).is_none_or(|(f, m)| f > m) {
                *max = w.last.or(*max);
            } else {
                // Not sorted by customer (any more): a bit per customer from now on,
                // and every run held checked once.
                let (bits, b) = bits_of_runs(parts, ids);
                self.seen = Seen::Bits(bits);
                back = b;
            }
        }
        (stats, back)
    }
}

/// Rows of a window looked at by [`comes_back_early`].
const PROBE: usize = 1 << 16;

/// Whether a customer comes back after its run ended within the first
/// [`PROBE`] rows of the window (`ids`: ids handed out). A log by date or a
/// shuffled table shows it within a few hundred rows: the store then turns
/// hashed before the window is appended, instead of appending it in runs and
/// moving every line again. Grouped input pays one bit test per run start of
/// those rows.
pub(super) fn comes_back_early(rows: &Rows, ids: usize) -> bool {
    let n = rows.cids.len().min(PROBE);
    let mut seen = vec![0u64; ids.div_ceil(64)];
    let mut prev = NULL_ID;
    for i in 0..n {
        let c = rows.cids[i];
        if c == prev || c == NULL_ID || !(rows.ok.is_empty() || rows.ok[i]) {
            continue;
        }
        prev = c;
        let (word, bit) = (c as usize / 64, 1u64 << (c % 64));
        if seen[word] & bit != 0 {
            return true;
        }
        seen[word] |= bit;
    }
    false
}

/// How a store in runs knows that no customer came back after its run ended.
enum Seen {
    /// Every run so far started with a greater customer id than the run before
    /// (input sorted by customer, the common case): the greatest so far.
    Rising(Option<u32>),
    /// A bit per customer id, set when its run started.
    Bits(Vec<AtomicU64>),
}

/// The run starts of rows appended in runs (see [`append_runs`]).
#[derive(Debug, Clone, Copy)]
struct Starts {
    /// The customers of the first and of the last run started.
    first: Option<u32>,
    last: Option<u32>,
    /// Every run started with a greater customer than the run before.
    rising: bool,
    /// A run started whose customer was marked already (with marks).
    back: bool,
}

impl Starts {
    const NONE: Starts = Starts {
        first: None,
        last: None,
        rising: true,
        back: false,
    };

    /// The run starts of `self` followed by those of `next`.
    fn then(self, next: Starts) -> Starts {
        let rising_across = self.last.zip(next.first).is_none_or(|(l, f)| f > l);
        Starts {
            first: self.first.or(next.first),
            last: next.last.or(self.last),
            rising: self.rising && next.rising && rising_across,
            back: self.back || next.back,
        }
    }
}

/// Appends the valid rows of a window to a store in runs (see [`crate::store`]):
/// the window is cut into chunks at customer changes, and every chunk's lines
/// go, in row order, to a new partition of their own, in parallel; rows that
/// continue the last run held go to its partition. Adjacent rows of one
/// customer, day (and order) are summed into one line, as in [`append`].
/// With `seen`, every run's customer is marked there (a bit per id). Returns
/// the counts over the valid rows and the window's run starts.
fn append_runs(parts: &mut Vec<Part>, seen: Option<&[AtomicU64]>, rows: &Rows) -> (Stats, Starts) {
    let (cids, n) = (rows.cids, rows.cids.len());
    // Rows that continue the last run held (a batch or window boundary cut a customer's rows).
    let last = parts
        .last()
        .and_then(|p| p.lines.last())
        .map(|l| l.customer);
    let mut cont = 0;
    if let Some(c) = last {
        while cont < n && cids[cont] == c {
            cont += 1;
        }
    }
    // Chunk starts: the first customer change at or after every CHUNK-th row (serial, and
    // linear overall: a scan never goes back over rows a previous one passed).
    let mut starts = vec![cont];
    for c in 1..n.div_ceil(CHUNK) {
        let mut s = (c * CHUNK).max(*starts.last().expect("one start"));
        while s < n && cids[s] == cids[s - 1] {
            s += 1;
        }
        if s > *starts.last().expect("one start") && s < n {
            starts.push(s);
        }
    }
    starts.push(n);
    type RunLines = fn(
        &mut Part,
        std::ops::Range<usize>,
        Option<u32>,
        Option<&[AtomicU64]>,
        &Rows,
    ) -> (Stats, Starts);
    let run_lines: RunLines = match (rows.oids.is_some(), rows.ok.is_empty()) {
        (false, true) => run_lines::<false, true>,
        (false, false) => run_lines::<false, false>,
        (true, true) => run_lines::<true, true>,
        (true, false) => run_lines::<true, false>,
    };
    let (mut stats, mut runs) = (Stats::default(), Starts::NONE);
    if cont > 0 {
        let tail = parts.last_mut().expect("a last run");
        let (st, r) = run_lines(tail, 0..cont, last, seen, rows);
        stats.add(st);
        runs = runs.then(r);
    }
    // Each chunk's lines are summed in a scratch part reused by the task, then copied
    // to a part of their exact size (rows of one day often share a line: a part sized
    // by its rows would hold a third of unused room).
    let scratch = || Part::with_capacity(rows.oids.is_some(), 0);
    let new: Vec<(Part, Stats, Starts)> = starts
        .par_windows(2)
        .filter(|w| w[0] < w[1])
        .map_init(scratch, |buf, w| {
            buf.clear();
            let (st, r) = run_lines(buf, w[0]..w[1], None, seen, rows);
            let part = Part {
                lines: buf.lines.to_vec(),
                orders: buf.orders.as_ref().map(|o| o.to_vec()),
            };
            (part, st, r)
        })
        .collect();
    for (part, st, r) in new {
        stats.add(st);
        runs = runs.then(r);
        if !part.lines.is_empty() {
            parts.push(part);
        }
    }
    (stats, runs)
}

/// Appends the valid rows `range` to `part` (see [`append_runs`]); `prev` is
/// the customer of the run `part` ends with, when the rows continue it.
/// Returns the counts and the run starts. One loop per case: with or without
/// order ids, with every row valid or not.
///
/// The line being summed stays in registers and is written at slot `w` after
/// every row; a row with another key (or a sum out of range) moves `w` on
/// first. No branch depends on the data but the start of a run.
fn run_lines<const ORDERS: bool, const ALL_OK: bool>(
    part: &mut Part,
    range: std::ops::Range<usize>,
    prev: Option<u32>,
    seen: Option<&[AtomicU64]>,
    rows: &Rows,
) -> (Stats, Starts) {
    let mut st = if ALL_OK {
        rows.stats_all_valid(range.clone())
    } else {
        Stats::default()
    };
    let mut none = Vec::new();
    let orders = match part.orders.as_mut() {
        Some(o) if ORDERS => o,
        _ if ORDERS => unreachable!("the lines of a run with orders hold order ids"),
        _ => &mut none,
    };
    part.lines.reserve_exact(range.len());
    if ORDERS {
        orders.reserve_exact(range.len());
    }
    let (lp, op) = (part.lines.as_mut_ptr(), orders.as_mut_ptr());
    // The line being summed: key (customer, day, order), amount, slot. A customer
    // that is never valid (NULL_ID) makes the first row start a new line.
    let n0 = part.lines.len();
    let (mut pc, mut pd, mut po, mut amt, mut w) = match (prev, part.lines.last()) {
        (Some(_), Some(l)) => (
            l.customer,
            l.day,
            if ORDERS { orders[n0 - 1] } else { 0 },
            l.amount,
            n0 - 1,
        ),
        _ => (NULL_ID, 0, 0, 0, n0.wrapping_sub(1)),
    };
    let mut runs = Starts::NONE;
    let oids = rows.oids.unwrap_or(&[]);
    for i in range {
        if !ALL_OK && !rows.ok[i] {
            continue;
        }
        let (c, d, a) = (rows.cids[i], rows.days[i], rows.amounts[i]);
        let o = if ORDERS { oids[i] } else { 0 };
        if !ALL_OK {
            st.count(d, rows.as_of);
        }
        if c != pc {
            // A run starts.
            runs.rising &= runs.last.is_none_or(|l| c > l);
            runs.first = runs.first.or(Some(c));
            runs.last = Some(c);
            if let Some(seen) = seen {
                let bit = 1u64 << (c % 64);
                runs.back |= seen[c as usize / 64].fetch_or(bit, Relaxed) & bit != 0;
            }
        }
        let (sum, overflow) = amt.overflowing_add(a);
        let new = (c != pc) | (d != pd) | (o != po) | overflow;
        w = w.wrapping_add(usize::from(new));
        amt = if new { a } else { sum };
        // SAFETY: `w` < n0 + rows so far <= the capacity reserved above.
        unsafe {
            lp.add(w).write(Line::new(c, d, amt));
            if ORDERS {
                op.add(w).write(o);
            }
        }
        (pc, pd, po) = (c, d, o);
    }
    // SAFETY: every slot below `w + 1` was written (or held a line already).
    unsafe {
        part.lines.set_len(w.wrapping_add(1));
        if ORDERS {
            orders.set_len(w.wrapping_add(1));
        }
    }
    (st, runs)
}

/// A bit per customer id (`ids` of them) for the customer of every run of
/// `parts`, and whether a customer has two runs.
fn bits_of_runs(parts: &[Part], ids: usize) -> (Vec<AtomicU64>, bool) {
    let seen: Vec<AtomicU64> = (0..ids.div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
    // Every part is marked (no stop at the first customer found twice).
    let back = parts.par_iter().map(|p| {
        let mut back = false;
        for (i, l) in p.lines.iter().enumerate() {
            if i == 0 || p.lines[i - 1].customer != l.customer {
                let bit = 1u64 << (l.customer % 64);
                back |= seen[l.customer as usize / 64].fetch_or(bit, Relaxed) & bit != 0;
            }
        }
        back
    });
    let back = back.reduce(|| false, |a, b| a | b);
    (seen, back)
}
