//! Spill files: the lines of each partition written to its own file on local
//! disk once the lines held pass the memory budget, and read back one
//! partition at a time (issue 3: a transaction table larger than memory gives
//! exactly the in-memory answer).
//!
//! A spill file is a sequence of blocks. Each block records the cumulative
//! [`Remap::Shift`](crate::keys::Remap) of customer and order ids at the time
//! it was written, so a later shift costs nothing on disk: ids are brought up
//! to date when the block is read. A [`Remap::Rebase`](crate::keys::Remap)
//! (rare: an integer id range turning sparse) or a
//! [`Remap::Renumber`](crate::keys::Remap) (numbered string ids meeting a key
//! of another form) re-reads and rewrites the spilled lines once
//! ([`crate::store::Store`]'s remap).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{CoreError, Result};
use crate::keys::PARTITIONS;
use crate::lines::{Line, Part};

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

/// The write buffer of each spill file: an eighth of the memory budget over
/// the partitions, from 64 KiB (fewer, larger writes) to 1 MiB, so that the
/// 64 buffers add at most an eighth of a budget of 32 MiB or more to it
/// (issue 18: memory that holds; 1 MiB each was 64 MiB whatever the budget).
pub(super) fn buffer_bytes(limit: u64) -> usize {
    (limit / 8 / PARTITIONS as u64).clamp(64 << 10, 1 << 20) as usize
}

/// Bytes of one line, without or with an order id.
pub(super) fn line_bytes(has_orders: bool) -> usize {
    LINE_BYTES + if has_orders { ORDER_BYTES } else { 0 }
}

/// Open spill files, one per partition.
#[derive(Debug)]
pub(super) struct Spill {
    dir: tempfile::TempDir,
    writers: Vec<BufWriter<File>>,
    /// Bytes written so far, for the message of a full disk.
    written: u64,
}

impl Spill {
    /// A fresh folder under `dir` (default: `TMPDIR`) with an empty file per
    /// partition, each written through a buffer of [`buffer_bytes`]`(limit)`.
    pub(super) fn create(dir: Option<&Path>, limit: u64) -> Result<Spill> {
        let capacity = buffer_bytes(limit);
        let base = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        super::stale::remove_stale(&base);
        let dir = tempfile::Builder::new()
            .prefix(&super::stale::prefix())
            .tempdir_in(&base)
            .map_err(|e| spill_error(&base, &e))?;
        let writers = (0..PARTITIONS)
            .map(|p| {
                let path = part_path(dir.path(), p);
                File::create(&path)
                    .map(|f| BufWriter::with_capacity(capacity, f))
                    .map_err(|e| spill_error(&path, &e))
            })
            .collect::<Result<_>>()?;
        Ok(Spill {
            dir,
            writers,
            written: 0,
        })
    }

    /// Writes every partition's lines to its file as one block, in parallel,
    /// and clears them; returns the bytes written.
    pub(super) fn write(&mut self, mem: &mut [Part], shift: (u32, u32)) -> Result<u64> {
        let needed: u64 = mem.iter().map(block_bytes).sum();
        let (dir, written) = (self.dir.path().to_path_buf(), self.written);
        let n = mem
            .par_iter_mut()
            .zip(self.writers.par_iter_mut())
            .map(|(part, w)| -> std::io::Result<u64> {
                let n = write_block(w, part, shift)?;
                part.clear();
                Ok(n)
            })
            .sum::<std::io::Result<u64>>()
            .map_err(|e| write_error(&dir, &e, needed, written))?;
        self.written += n;
        Ok(n)
    }

    /// Closes the files (flushing them), to be read back.
    pub(super) fn finish(self, has_orders: bool, shift: (u32, u32)) -> Result<Spilled> {
        for w in self.writers {
            // The last buffered bytes are written here: a full disk can show only now.
            w.into_inner()
                .map_err(|e| write_error(self.dir.path(), e.error(), 0, self.written))?;
        }
        Ok(Spilled {
            dir: self.dir,
            has_orders,
            shift,
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
        let mut part = Part::with_capacity(self.has_orders, 0);
        self.read(p, |bytes, dc, dor| {
            decode_into(bytes, dc, dor, &mut part);
            Ok(())
        })?;
        if part.lines.is_empty() {
            return Ok(tail);
        }
        part.extend_from(&tail);
        Ok(part)
    }

    /// Calls `f` with the lines of partition `p`, a piece at a time, ids brought up to date.
    pub fn blocks(&self, p: usize, mut f: impl FnMut(Part) -> Result<()>) -> Result<()> {
        self.read(p, |bytes, dc, dor| {
            let mut part = Part::with_capacity(self.has_orders, 0);
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
        let width = line_bytes(self.has_orders);
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

fn part_path(dir: &Path, p: usize) -> PathBuf {
    dir.join(format!("part-{p:02}.bin"))
}

/// The error of a failed write to the spill folder `dir` (issue 18: a full
/// disk names the folder and the bytes needed, and the caller's drop of the
/// [`Spill`] removes the files): `needed` bytes were being written after
/// `written` (some of them buffered, not yet on disk).
fn write_error(dir: &Path, e: &std::io::Error, needed: u64, written: u64) -> CoreError {
    let folder = dir.parent().unwrap_or(dir);
    let message = if e.kind() == std::io::ErrorKind::StorageFull {
        format!(
            "the disk is full ({e}): {written} bytes of lines were written and {needed} more \
             were needed for this window; the run needs about 16 bytes (20 with order ids) per \
             valid row"
        )
    } else {
        format!("{e} (writing {needed} bytes after {written})")
    };
    CoreError::Spill {
        path: folder.display().to_string(),
        message,
    }
}

/// The bytes [`write_block`] writes for `part`.
fn block_bytes(part: &Part) -> u64 {
    match part.lines.len() {
        0 => 0,
        n => (HEADER + n * line_bytes(part.orders.is_some())) as u64,
    }
}

pub(super) fn spill_error(path: &Path, e: &std::io::Error) -> CoreError {
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
    let width = line_bytes(part.orders.is_some());
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
    let width = line_bytes(out.orders.is_some());
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
