//! Where the ingested lines live: one vector per partition in memory and,
//! once they pass a memory budget, partitioned spill files on local disk
//! (issue 3: a transaction table larger than memory gives exactly the
//! in-memory answer).
//!
//! All lines of a customer share one partition, so the segmentation later
//! reads one partition at a time: memory is bounded by the budget while
//! reading, and by the largest partitions in flight (one per thread) while
//! segmenting, plus the per-customer state. A store has one of two layouts:
//!
//! - **hashed**: [`PARTITIONS`] partitions, a customer's lines in partition
//!   [`Keys::partition`] of its id, in any order (the general case);
//! - **runs** ([`Store::runs`]): while the input comes grouped by customer
//!   (every customer's rows adjacent, as in a table sorted by customer), the
//!   lines are appended in input order, a few consecutive chunks per
//!   partition, with no scatter at all; each customer's lines are one run, in
//!   one partition. The reader ([`crate::ingest`]) checks that no customer
//!   comes back after its run ended; the first that does ([`Store::ungroup`]),
//!   a memory budget reached ([`Store::check_budget`]: spill files are hashed)
//!   or a rebase of the ids ([`Store::take_all`]) turns the store hashed for
//!   good, and the answer is the same.
//!
//! A spill file is a sequence of blocks. Each block records the cumulative
//! [`Remap::Shift`](crate::keys::Remap) of customer and order ids at the time
//! it was written, so a later shift costs nothing on disk: ids are brought up
//! to date when the block is read. A [`Remap::Rebase`](crate::keys::Remap)
//! (rare: an integer id range turning sparse) re-reads and rewrites the spilled
//! lines once ([`Store::take_spill`]).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{CoreError, Result};
use crate::ingest::{Line, Part};
use crate::keys::{Keys, PARTITIONS};

/// Where and when lines spill to disk.
#[derive(Debug, Clone, Default)]
pub struct SpillOptions {
    /// Bytes of lines held in memory before they are written to disk;
    /// `None`: never spill.
    pub memory_limit: Option<u64>,
    /// Folder of the spill files (a fresh sub-folder is made and removed);
    /// `None`: the system's temporary folder (`TMPDIR`).
    pub dir: Option<PathBuf>,
}

/// Bytes of one line in memory and on disk, without / with an order id.
const LINE_BYTES: usize = 16;
const ORDER_BYTES: usize = 4;
/// Block header: lines (u64), customer shift (u32), order shift (u32).
const HEADER: usize = 16;
/// Lines decoded per read.
const READ_LINES: usize = 1 << 16;

/// The lines of a run, in [`PARTITIONS`] partitions, in memory or spilled.
#[derive(Debug)]
pub struct Store {
    /// The lines held in memory, per partition.
    pub mem: Vec<Part>,
    /// The layout is runs (see the module docs), not hashed.
    runs: bool,
    /// Hash partitions that can hold lines, and lines reserved in each when hashed.
    used: usize,
    reserve: usize,
    has_orders: bool,
    opts: SpillOptions,
    spill: Option<Spill>,
    /// Cumulative shift of customer and order ids since the start.
    shift: (u32, u32),
    spilled_bytes: u64,
}

/// Open spill files, one per partition.
#[derive(Debug)]
struct Spill {
    dir: tempfile::TempDir,
    writers: Vec<BufWriter<File>>,
}

impl Store {
    /// An empty hashed store; `reserve` lines are reserved in each of the first `used` partitions.
    pub fn new(has_orders: bool, used: usize, reserve: usize, opts: SpillOptions) -> Self {
        let mut s = Self::runs(has_orders, used, reserve, opts);
        s.mem = s.hashed_parts();
        s.runs = false;
        s
    }

    /// An empty store in runs (module docs); [`Store::ungroup`] makes it
    /// hashed with `reserve` lines in each of the first `used` partitions.
    pub fn runs(has_orders: bool, used: usize, reserve: usize, opts: SpillOptions) -> Self {
        // Never reserve more than the budget holds.
        let reserve = opts.memory_limit.map_or(reserve, |m| {
            reserve.min(m as usize / Self::line_bytes(has_orders) / used.max(1) + 1)
        });
        Store {
            mem: Vec::new(),
            runs: true,
            used,
            reserve,
            has_orders,
            opts,
            spill: None,
            shift: (0, 0),
            spilled_bytes: 0,
        }
    }

    /// Empty hashed partitions, with room for at least `reserve` lines in each used one.
    fn hashed_parts(&self) -> Vec<Part> {
        (0..PARTITIONS)
            .map(|p| {
                let cap = if p < self.used { self.reserve } else { 0 };
                Part {
                    lines: Vec::with_capacity(cap),
                    orders: self.has_orders.then(|| Vec::with_capacity(cap)),
                }
            })
            .collect()
    }

    /// Whether the layout is runs (module docs).
    pub fn is_runs(&self) -> bool {
        self.runs
    }

    /// Makes the store hashed (module docs) and returns the lines it held in
    /// memory, which the caller puts back with [`Store::push_part`].
    pub fn take_all(&mut self) -> Vec<Part> {
        let held = std::mem::take(&mut self.mem);
        self.mem = self.hashed_parts();
        self.runs = false;
        held
    }

    /// Makes a store in runs hashed: every line moves to the partition of its
    /// customer (`keys`), in parallel (a count, then every part writes its own
    /// ranges). Does nothing to a hashed store.
    pub fn ungroup(&mut self, keys: &Keys) {
        if !self.runs {
            return;
        }
        let held = self.take_all();
        let part_of = keys.partitioner();
        let counts: Vec<[usize; PARTITIONS]> = held
            .par_iter()
            .map(|p| {
                let mut c = [0usize; PARTITIONS];
                p.lines.iter().for_each(|l| c[part_of.get(l.customer)] += 1);
                c
            })
            .collect();
        let mut offsets = vec![[0usize; PARTITIONS]; held.len()];
        for (p, dst) in self.mem.iter_mut().enumerate() {
            let mut at = 0;
            for (h, c) in counts.iter().enumerate() {
                offsets[h][p] = at;
                at += c[p];
            }
            dst.lines.reserve(at);
            if let Some(o) = dst.orders.as_mut() {
                o.reserve(at);
            }
        }
        let dst = part_ptrs(&mut self.mem);
        held.par_iter().zip(offsets).for_each(|(src, mut at)| {
            for (i, l) in src.lines.iter().enumerate() {
                let p = part_of.get(l.customer);
                // SAFETY: the ranges `offsets[h][p]..+counts[h][p]` of the held parts are
                // disjoint and inside the capacity reserved above (the partitions were empty).
                unsafe {
                    dst[p].0.get().add(at[p]).write(*l);
                    if let Some(o) = src.orders.as_ref() {
                        dst[p].1.get().add(at[p]).write(o[i]);
                    }
                }
                at[p] += 1;
            }
        });
        for (p, part) in self.mem.iter_mut().enumerate() {
            let n: usize = counts.iter().map(|c| c[p]).sum();
            // SAFETY: the loop above wrote every slot below `n`.
            unsafe {
                part.lines.set_len(n);
                if let Some(o) = part.orders.as_mut() {
                    o.set_len(n);
                }
            }
        }
    }

    fn line_bytes(has_orders: bool) -> usize {
        LINE_BYTES + if has_orders { ORDER_BYTES } else { 0 }
    }

    /// Bytes of the lines held in memory.
    pub fn mem_bytes(&self) -> u64 {
        let lines: usize = self.mem.iter().map(|p| p.lines.len()).sum();
        (lines * Self::line_bytes(self.has_orders)) as u64
    }

    /// Bytes written to spill files so far.
    pub fn spilled_bytes(&self) -> u64 {
        self.spilled_bytes
    }

    /// Records a shift of every customer id (in memory the caller applies it).
    pub fn shift_customers(&mut self, s: u32) {
        self.shift.0 += s;
    }

    /// Records a shift of every order id (in memory the caller applies it).
    pub fn shift_orders(&mut self, s: u32) {
        self.shift.1 += s;
    }

    /// Writes the lines in memory to disk when they pass the budget. A store in
    /// runs turns hashed (spill files are per hash partition) a few runs at a
    /// time, each eighth of the budget written as it is gathered, so the lines
    /// in memory never take twice the budget.
    pub fn check_budget(&mut self, keys: &Keys) -> Result<()> {
        match self.opts.memory_limit {
            Some(limit) if self.mem_bytes() > limit => {
                if self.runs {
                    let held = self.take_all();
                    for part in held {
                        self.push_lines(&part, keys);
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
        debug_assert!(!self.runs, "spill files are per hash partition");
        if self.spill.is_none() {
            let base = match &self.opts.dir {
                Some(d) => d.clone(),
                None => std::env::temp_dir(),
            };
            let dir = tempfile::Builder::new()
                .prefix("custseg-spill-")
                .tempdir_in(&base)
                .map_err(|e| spill_error(&base, &e))?;
            let writers = (0..PARTITIONS)
                .map(|p| {
                    let path = part_path(dir.path(), p);
                    File::create(&path)
                        .map(|f| BufWriter::with_capacity(1 << 20, f))
                        .map_err(|e| spill_error(&path, &e))
                })
                .collect::<Result<_>>()?;
            self.spill = Some(Spill { dir, writers });
        }
        let spill = self.spill.as_mut().expect("made above");
        let shift = self.shift;
        let dir = spill.dir.path().to_path_buf();
        let written: u64 = self
            .mem
            .par_iter_mut()
            .zip(spill.writers.par_iter_mut())
            .enumerate()
            .map(|(p, (part, w))| -> Result<u64> {
                let n = write_block(w, part, shift)
                    .map_err(|e| spill_error(&part_path(&dir, p), &e))?;
                part.lines.clear();
                if let Some(o) = part.orders.as_mut() {
                    o.clear();
                }
                Ok(n)
            })
            .sum::<Result<u64>>()?;
        self.spilled_bytes += written;
        Ok(())
    }

    /// Takes the spill files out of the store, to rewrite their lines after a
    /// [`Remap::Rebase`](crate::keys::Remap); `None` when nothing was spilled.
    /// The caller remaps each block and puts it back with [`Store::push_part`].
    pub fn take_spill(&mut self) -> Result<Option<Spilled>> {
        let Some(spill) = self.spill.take() else {
            return Ok(None);
        };
        Ok(Some(spill.finish(self.has_orders, self.shift)?))
    }

    /// Appends lines of any partitions (after a remap), each to the partition of its customer.
    pub fn push_part(&mut self, part: &Part, keys: &Keys) -> Result<()> {
        self.push_lines(part, keys);
        self.check_budget(keys)
    }

    fn push_lines(&mut self, part: &Part, keys: &Keys) {
        debug_assert!(!self.runs, "lines move to their hash partition");
        for (i, l) in part.lines.iter().enumerate() {
            let dst = &mut self.mem[keys.partition(l.customer)];
            dst.lines.push(*l);
            if let (Some(d), Some(o)) = (dst.orders.as_mut(), part.orders.as_ref()) {
                d.push(o[i]);
            }
        }
    }

    /// The lines, ready to be read partition by partition.
    pub fn finish(mut self) -> Result<Stored> {
        let spilled = match self.spill.take() {
            Some(s) => Some(s.finish(self.has_orders, self.shift)?),
            None => None,
        };
        Ok(Stored {
            mem: self.mem,
            runs: self.runs,
            has_orders: self.has_orders,
            spilled,
            spilled_bytes: self.spilled_bytes,
        })
    }
}

impl Spill {
    fn finish(self, has_orders: bool, shift: (u32, u32)) -> Result<Spilled> {
        for (p, w) in self.writers.into_iter().enumerate() {
            w.into_inner()
                .map_err(|e| spill_error(&part_path(self.dir.path(), p), e.error()))?;
        }
        Ok(Spilled {
            dir: self.dir,
            has_orders,
            shift,
        })
    }
}

/// The lines of a finished ingestion: in memory and, maybe, on disk.
#[derive(Debug)]
pub struct Stored {
    /// Lines still in memory, per partition.
    pub mem: Vec<Part>,
    /// The partitions are runs (module docs): each customer's lines are
    /// adjacent, in one partition; else they are hashed.
    pub runs: bool,
    /// Whether the lines carry order ids.
    pub has_orders: bool,
    /// Spilled lines, if any.
    pub spilled: Option<Spilled>,
    /// Bytes written to spill files.
    pub spilled_bytes: u64,
}

impl Stored {
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

/// Closed spill files; removed from disk when dropped.
#[derive(Debug)]
pub struct Spilled {
    dir: tempfile::TempDir,
    has_orders: bool,
    /// The cumulative shifts when the files were closed.
    shift: (u32, u32),
}

impl Spilled {
    /// The spilled lines of partition `p` followed by `tail`.
    pub fn load(&self, p: usize, tail: Part) -> Result<Part> {
        let mut part = Part {
            lines: Vec::new(),
            orders: self.has_orders.then(Vec::new),
        };
        self.read(p, |bytes, dc, dor| {
            decode_into(bytes, dc, dor, &mut part);
            Ok(())
        })?;
        if part.lines.is_empty() {
            return Ok(tail);
        }
        part.lines.extend_from_slice(&tail.lines);
        if let (Some(d), Some(s)) = (part.orders.as_mut(), tail.orders.as_ref()) {
            d.extend_from_slice(s);
        }
        Ok(part)
    }

    /// Calls `f` with the lines of partition `p`, a piece at a time, ids brought up to date.
    pub fn blocks(&self, p: usize, mut f: impl FnMut(Part) -> Result<()>) -> Result<()> {
        self.read(p, |bytes, dc, dor| {
            let mut part = Part {
                lines: Vec::new(),
                orders: self.has_orders.then(Vec::new),
            };
            decode_into(bytes, dc, dor, &mut part);
            f(part)
        })
    }

    /// Calls `f` with the records of partition `p`, a piece at a time, and the
    /// shifts of customer and order ids since the piece's block was written.
    fn read(&self, p: usize, mut f: impl FnMut(&[u8], u32, u32) -> Result<()>) -> Result<()> {
        let path = part_path(self.dir.path(), p);
        let err = |e: std::io::Error| spill_error(&path, &e);
        let file = File::open(&path).map_err(err)?;
        let size = file.metadata().map_err(err)?.len();
        let mut r = BufReader::with_capacity(1 << 20, file);
        let width = Store::line_bytes(self.has_orders);
        let mut buf = vec![0u8; READ_LINES * width];
        let mut pos = 0u64;
        while pos < size {
            let mut h = [0u8; HEADER];
            r.read_exact(&mut h).map_err(err)?;
            let n = u64::from_le_bytes(h[0..8].try_into().expect("8 bytes"));
            let dc = self.shift.0 - u32::from_le_bytes(h[8..12].try_into().expect("4 bytes"));
            let dor = self.shift.1 - u32::from_le_bytes(h[12..16].try_into().expect("4 bytes"));
            pos += HEADER as u64 + n * width as u64;
            let mut left = n as usize;
            while left > 0 {
                let k = left.min(READ_LINES);
                let bytes = &mut buf[..k * width];
                r.read_exact(bytes).map_err(err)?;
                f(bytes, dc, dor)?;
                left -= k;
            }
        }
        Ok(())
    }
}

/// The start of every part's lines (and orders: null without), for parallel
/// writes into reserved ranges.
pub(crate) fn part_ptrs(parts: &mut [Part]) -> Vec<(Ptr<Line>, Ptr<u32>)> {
    parts
        .iter_mut()
        .map(|p| {
            let orders = p
                .orders
                .as_mut()
                .map_or(std::ptr::null_mut(), |o| o.as_mut_ptr());
            (Ptr(p.lines.as_mut_ptr()), Ptr(orders))
        })
        .collect()
}

/// A raw pointer that may cross threads: each slot is written by exactly one task.
#[derive(Clone, Copy)]
pub(crate) struct Ptr<T>(pub(crate) *mut T);
unsafe impl<T> Send for Ptr<T> {}
unsafe impl<T> Sync for Ptr<T> {}

impl<T> Ptr<T> {
    /// The pointer (a method, so closures capture the whole `Send` wrapper).
    pub(crate) fn get(self) -> *mut T {
        self.0
    }
}

fn part_path(dir: &Path, p: usize) -> PathBuf {
    dir.join(format!("part-{p:02}.bin"))
}

fn spill_error(path: &Path, e: &std::io::Error) -> CoreError {
    CoreError::Spill {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Writes one block; returns the bytes written.
fn write_block(w: &mut impl Write, part: &Part, shift: (u32, u32)) -> std::io::Result<u64> {
    let n = part.lines.len();
    if n == 0 {
        return Ok(0);
    }
    let width = LINE_BYTES
        + if part.orders.is_some() {
            ORDER_BYTES
        } else {
            0
        };
    let mut h = [0u8; HEADER];
    h[0..8].copy_from_slice(&(n as u64).to_le_bytes());
    h[8..12].copy_from_slice(&shift.0.to_le_bytes());
    h[12..16].copy_from_slice(&shift.1.to_le_bytes());
    w.write_all(&h)?;
    let mut buf = Vec::with_capacity(READ_LINES.min(n) * width);
    for start in (0..n).step_by(READ_LINES) {
        buf.clear();
        for i in start..(start + READ_LINES).min(n) {
            let l = &part.lines[i];
            buf.extend_from_slice(&l.customer.to_le_bytes());
            buf.extend_from_slice(&l.day.to_le_bytes());
            buf.extend_from_slice(&l.amount.to_le_bytes());
            if let Some(o) = &part.orders {
                buf.extend_from_slice(&o[i].to_le_bytes());
            }
        }
        w.write_all(&buf)?;
    }
    Ok((HEADER + n * width) as u64)
}

/// Decodes records onto the end of `out` (its `orders` say whether they hold
/// order ids), adding the shifts that happened since they were written.
fn decode_into(bytes: &[u8], dc: u32, dor: u32, out: &mut Part) {
    let width = LINE_BYTES + if out.orders.is_some() { ORDER_BYTES } else { 0 };
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
    out.lines.reserve(bytes.len() / width);
    for rec in bytes.chunks_exact(width) {
        out.lines.push(Line {
            customer: u32_at(rec, 0) + dc,
            day: i32::from_le_bytes(rec[4..8].try_into().expect("4 bytes")),
            amount: i64::from_le_bytes(rec[8..16].try_into().expect("8 bytes")),
        });
        if let Some(o) = out.orders.as_mut() {
            o.push(u32_at(rec, 16) + dor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyKind;

    use crate::ingest::Line as L;
    const fn line(c: u32, d: i32, a: i64) -> L {
        L::new(c, d, a)
    }

    fn sorted(p: &Part) -> Vec<(Line, u32)> {
        let mut v: Vec<(Line, u32)> = p
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| (*l, p.orders.as_ref().map_or(0, |o| o[i])))
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
        let mut s = Store::new(true, PARTITIONS, 4, opts);
        s.mem[3].lines.push(line(3, 10, -5));
        s.mem[3].orders.as_mut().unwrap().push(7);
        s.check_budget(&Keys::new(KeyKind::UInt)).unwrap();
        assert!(s.mem[3].lines.is_empty());
        assert_eq!(s.spilled_bytes(), (HEADER + 20) as u64);
        // Ids grow by 64 (customers) and 2 (orders): the spilled line follows.
        s.shift_customers(64);
        s.shift_orders(2);
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
        let mut s = Store::new(false, PARTITIONS, 0, opts);
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
        let mut s = Store::new(false, PARTITIONS, 0, opts);
        s.mem[0].lines.push(line(0, 0, 1));
        let e = s.check_budget(&Keys::new(KeyKind::UInt)).unwrap_err();
        assert!(
            matches!(e, CoreError::Spill { ref path, .. } if path.contains("nonexistent")),
            "{e}"
        );
    }
}
