//! Where the ingested lines live: one vector per partition in memory and,
//! once they pass a memory budget, partitioned spill files on local disk
//! ([`spill`]; issue 3: a transaction table larger than memory gives exactly
//! the in-memory answer).
//!
//! All lines of a customer share one partition, so the engine later reads one
//! partition at a time: memory is bounded by the budget while reading, and by
//! the largest partitions in flight (one per thread) while segmenting, plus
//! the per-customer state. A store has one of two layouts:
//!
//! - **runs** ([`runs`]): while the input comes grouped by customer, the lines
//!   are appended in input order, a few consecutive chunks per partition, with
//!   no scatter; each customer's lines are one run, in one partition;
//! - **hashed** ([`hashed`]): [`PARTITIONS`] partitions, a customer's lines in
//!   partition [`Keys::partition`] of its id, in any order.
//!
//! A store starts in runs. The first customer that comes back after its run
//! ended, a memory budget reached (spill files are hashed) or a rebase of the
//! ids turns it hashed for good, and the answer is the same.
//!
//! The store's fields are private: lines come in by [`Store::append`], ids
//! change by [`Store::remap_customers`] and [`Store::remap_orders`], lines go
//! to disk when the budget says so, and [`Stored::into_partitions`] hands
//! them out one partition at a time.

mod hashed;
mod remap;
mod runs;
mod spill;
mod stale;

pub use spill::{SpillOptions, Spilled};

use rayon::prelude::*;

use crate::error::Result;
use crate::keys::{Keys, PARTITIONS};
use crate::lines::{Part, Rows, Stats};
use runs::Runs;
use spill::{line_bytes, Spill};

/// Rows per parallel task of a layout.
const CHUNK: usize = 1 << 16;

/// The lines of a run, in [`PARTITIONS`] partitions, in memory or spilled.
pub struct Store {
    /// The lines held in memory, per partition.
    mem: Vec<Part>,
    layout: Layout,
    /// Lines reserved in each partition when hashed.
    reserve: usize,
    has_orders: bool,
    opts: SpillOptions,
    spill: Option<Spill>,
    /// Cumulative shift of customer and order ids since the start.
    shift: (u32, u32),
    spilled_bytes: u64,
}

/// The layout of a store (module docs).
enum Layout {
    Runs(Runs),
    Hashed,
}

impl Store {
    /// An empty store in runs, for lines with order ids when `has_orders`;
    /// when it turns hashed, `reserve` lines are reserved in each partition
    /// (never more than the budget holds).
    pub fn new(has_orders: bool, reserve: usize, opts: SpillOptions) -> Self {
        let reserve = opts.memory_limit.map_or(reserve, |m| {
            reserve.min(m as usize / line_bytes(has_orders) / PARTITIONS + 1)
        });
        Store {
            mem: Vec::new(),
            layout: Layout::Runs(Runs::new()),
            reserve,
            has_orders,
            opts,
            spill: None,
            shift: (0, 0),
            spilled_bytes: 0,
        }
    }

    /// An empty hashed store (see [`Store::new`]).
    #[cfg(test)]
    fn hashed(has_orders: bool, reserve: usize, opts: SpillOptions) -> Self {
        let mut s = Self::new(has_orders, reserve, opts);
        s.take_all();
        s
    }

    /// Whether the layout is runs (module docs).
    pub fn is_runs(&self) -> bool {
        matches!(self.layout, Layout::Runs(_))
    }

    /// Appends a window of converted rows (ids interned by `keys`), then
    /// spills when the lines held pass the budget. Returns the counts over
    /// the window's valid rows.
    pub fn append(&mut self, rows: &Rows, keys: &Keys) -> Result<Stats> {
        if self.is_runs() && runs::comes_back_early(rows, keys.len()) {
            // Not grouped by customer: hashed from here on, before the window is appended.
            self.ungroup(keys);
        }
        let stats = match &mut self.layout {
            Layout::Runs(runs) => {
                let (stats, back) = runs.append(&mut self.mem, rows, keys.len());
                if back {
                    // A customer came back after its run ended: hashed from here on.
                    self.ungroup(keys);
                }
                stats
            }
            Layout::Hashed => hashed::append(&mut self.mem, keys.partitioner(), rows),
        };
        self.check_budget(keys)?;
        Ok(stats)
    }

    /// Empty hashed partitions, with room for at least `reserve` lines in each.
    fn hashed_parts(&self) -> Vec<Part> {
        (0..PARTITIONS)
            .map(|_| Part::with_capacity(self.has_orders, self.reserve))
            .collect()
    }

    /// Makes the store hashed and returns the lines it held in memory, which
    /// the caller puts back with [`Store::push_part`].
    fn take_all(&mut self) -> Vec<Part> {
        let held = std::mem::take(&mut self.mem);
        self.mem = self.hashed_parts();
        self.layout = Layout::Hashed;
        held
    }

    /// Makes a store in runs hashed: every line moves to the partition of its
    /// customer (`keys`), in parallel.
    fn ungroup(&mut self, keys: &Keys) {
        if self.is_runs() {
            let held = self.take_all();
            hashed::ungroup(&held, &mut self.mem, keys.partitioner());
        }
    }

    /// Bytes of the lines held in memory.
    fn mem_bytes(&self) -> u64 {
        let lines: usize = self.mem.iter().map(|p| p.lines.len()).sum();
        (lines * line_bytes(self.has_orders)) as u64
    }

    /// Writes the lines in memory to disk when they pass the budget. A store in
    /// runs turns hashed (spill files are per hash partition) a few runs at a
    /// time, each eighth of the budget written as it is gathered, so the lines
    /// in memory never take twice the budget.
    fn check_budget(&mut self, keys: &Keys) -> Result<()> {
        match self.opts.memory_limit {
            Some(limit) if self.mem_bytes() > limit => {
                if self.is_runs() {
                    let held = self.take_all();
                    for part in held {
                        hashed::push_lines(&mut self.mem, &part, keys);
                        if self.mem_bytes() > limit / 8 {
                            self.flush()?;
                        }
                    }
                }
                self.flush()
            }
            _ => Ok(()),
        }
    }

    /// Writes every partition's lines in memory to its spill file as one block
    /// (a hashed store only).
    fn flush(&mut self) -> Result<()> {
        debug_assert!(!self.is_runs(), "spill files are per hash partition");
        if self.spill.is_none() {
            let limit = self.opts.memory_limit.unwrap_or(u64::MAX);
            self.spill = Some(Spill::create(self.opts.dir.as_deref(), limit)?);
        }
        let spill = self.spill.as_mut().expect("made above");
        self.spilled_bytes += spill.write(&mut self.mem, self.shift)?;
        Ok(())
    }

    /// Takes the spill files out of the store, to rewrite their lines after a
    /// [`Remap::Rebase`](crate::keys::Remap); `None` when nothing was spilled.
    /// The caller remaps each block and puts it back with [`Store::push_part`].
    fn take_spill(&mut self) -> Result<Option<Spilled>> {
        let Some(spill) = self.spill.take() else {
            return Ok(None);
        };
        Ok(Some(spill.finish(self.has_orders, self.shift)?))
    }

    /// Appends lines of any partitions (after a remap), each to the partition
    /// of its customer, and spills when the budget says so (a hashed store).
    fn push_part(&mut self, part: &Part, keys: &Keys) -> Result<()> {
        hashed::push_lines(&mut self.mem, part, keys);
        self.check_budget(keys)
    }

    /// The lines, ready to be read partition by partition.
    pub fn finish(mut self) -> Result<Stored> {
        let spilled = match self.spill.take() {
            Some(s) => Some(s.finish(self.has_orders, self.shift)?),
            None => None,
        };
        Ok(Stored {
            runs: self.is_runs(),
            mem: self.mem,
            has_orders: self.has_orders,
            spilled,
            spilled_bytes: self.spilled_bytes,
        })
    }
}

/// The lines of a finished ingestion: in memory and, maybe, on disk.
#[derive(Debug)]
pub struct Stored {
    mem: Vec<Part>,
    runs: bool,
    has_orders: bool,
    spilled: Option<Spilled>,
    spilled_bytes: u64,
}

impl Stored {
    /// Whether the partitions are runs (module docs): each customer's lines are
    /// adjacent, in one partition; else they are hashed.
    pub fn is_runs(&self) -> bool {
        self.runs
    }

    /// Whether the lines carry order ids (I2).
    pub fn has_orders(&self) -> bool {
        self.has_orders
    }

    /// Bytes written to spill files (0: everything stayed in memory).
    pub fn spilled_bytes(&self) -> u64 {
        self.spilled_bytes
    }

    /// Every partition, one at a time per task: the spilled lines then those in memory.
    pub fn into_partitions(self) -> impl IndexedParallelIterator<Item = Result<Part>> {
        let spilled = self.spilled;
        self.mem
            .into_par_iter()
            .enumerate()
            .map(move |(p, mem)| match &spilled {
                Some(s) => s.load(p, mem),
                None => Ok(mem),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CoreError;
    use crate::keys::KeyKind;
    use crate::lines::Line;

    const fn line(c: u32, d: i32, a: i64) -> Line {
        Line::new(c, d, a)
    }

    fn sorted(p: &Part) -> Vec<(Line, u32)> {
        let mut v: Vec<(Line, u32)> = p
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| (*l, p.order(i)))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn spilled_lines_come_back_with_shifts_applied() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SpillOptions {
            memory_limit: Some(0),
            dir: Some(dir.path().to_path_buf()),
        };
        let mut s = Store::hashed(true, 4, opts);
        s.mem[3].lines.push(line(3, 10, -5));
        s.mem[3].orders.as_mut().unwrap().push(7);
        s.check_budget(&Keys::new(KeyKind::UInt)).unwrap();
        assert!(s.mem[3].lines.is_empty());
        assert_eq!(s.spilled_bytes, 36);
        // Ids grow by 64 (customers) and 2 (orders): the spilled line follows.
        s.shift = (64, 2);
        s.mem[3].lines.push(line(3 + 64, 11, 9));
        s.mem[3].orders.as_mut().unwrap().push(1);
        let stored = s.finish().unwrap();
        let parts: Vec<Part> = stored.into_partitions().collect::<Result<_>>().unwrap();
        assert_eq!(
            sorted(&parts[3]),
            vec![(line(67, 10, -5), 9), (line(67, 11, 9), 1)]
        );
        assert!(parts
            .iter()
            .enumerate()
            .all(|(p, x)| p == 3 || x.lines.is_empty()));
    }

    #[test]
    fn rewrite_moves_lines_to_their_new_partition() {
        let opts = SpillOptions {
            memory_limit: Some(0),
            dir: None,
        };
        let mut s = Store::hashed(false, 0, opts);
        for c in 0..200u32 {
            s.mem[c as usize % PARTITIONS]
                .lines
                .push(line(c, c as i32, 1));
        }
        s.flush().unwrap();
        let old = s.take_spill().unwrap().unwrap();
        let keys = Keys::new(KeyKind::UInt); // partition = id % 64
        for p in 0..PARTITIONS {
            old.blocks(p, |mut b| {
                b.lines.iter_mut().for_each(|l| l.customer += 1);
                s.push_part(&b, &keys)
            })
            .unwrap();
        }
        drop(old);
        let parts: Vec<Part> = s
            .finish()
            .unwrap()
            .into_partitions()
            .collect::<Result<_>>()
            .unwrap();
        for (p, part) in parts.iter().enumerate() {
            assert!(part
                .lines
                .iter()
                .all(|l| l.customer as usize % PARTITIONS == p));
        }
        assert_eq!(parts.iter().map(|p| p.lines.len()).sum::<usize>(), 200);
    }

    #[test]
    fn a_missing_folder_is_a_spill_error() {
        let opts = SpillOptions {
            memory_limit: Some(0),
            dir: Some("/nonexistent/custseg".into()),
        };
        let mut s = Store::hashed(false, 0, opts);
        s.mem[0].lines.push(line(0, 0, 1));
        let e = s.check_budget(&Keys::new(KeyKind::UInt)).unwrap_err();
        assert!(
            matches!(e, CoreError::Spill { ref path, .. } if path.contains("nonexistent")),
            "{e}"
        );
    }
}
