//! A1, the profile of what each segment buys (seeds 002/003: "analyse the
//! behaviour per segment: which products, which channels"): per segment and
//! value of the `by` columns, the customers of the segment with a line in
//! that value, the net revenue, its share of the segment's revenue and the
//! index against every segmented customer's share. One pass over the rows:
//! dates and amounts read as the segmentations read them (I1, I4, I6),
//! customers looked up in the segments, money summed exactly.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, Schema};
use hashbrown::{HashMap, HashSet};
use rayon::prelude::*;

use super::by_values::ByValues;
use super::keyed::{each_key, lookup, Key, KeyType, OwnedKey};
use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::ingest::{ColumnNames, OnInvalid, RowColumns, Window};
use crate::money;

/// Rows converted per window of a record batch.
const WINDOW: usize = 1 << 20;
/// Rows per parallel task.
const CHUNK: usize = 1 << 16;
/// The position of a customer that is not in the segments.
const MISSING: u32 = u32::MAX;

/// The segmentation to profile: one row per customer, its segment as a
/// category code (`< categories`).
pub struct Segments<'a> {
    pub customers: &'a dyn Array,
    pub codes: &'a [u32],
    pub categories: usize,
}

/// Options of the profile.
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    /// Rows on or after this day are not profiled (I3); `None`: every row.
    pub as_of: Option<i32>,
    pub on_invalid: OnInvalid,
    /// The most `by` combinations kept as one bit per customer (the fast
    /// path); past it, (customer, combination) pairs are collected.
    pub bits_limit: usize,
    /// The most segment x combination cells summed per parallel task; past
    /// it, a window is summed in one task (no copy of the cells per task).
    pub cells_limit: usize,
    /// Integer customer ids in a compact range are looked up in a table
    /// (the fast path); `false`: always in the hash map.
    pub dense_ids: bool,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            as_of: None,
            on_invalid: OnInvalid::Raise,
            bits_limit: 64,
            cells_limit: 1 << 16,
            dense_ids: true,
        }
    }
}

/// What the profile read and left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileReport {
    pub rows_read: u64,
    /// Valid rows before `as_of` of a segmented customer: the profiled rows.
    pub rows_used: u64,
    pub rows_after_as_of: u64,
    pub rows_dropped: BTreeMap<&'static str, u64>,
    /// Valid rows before `as_of` of customers missing from the segments.
    pub rows_without_segment: u64,
    pub customers_without_segment: u64,
    pub revenue_without_segment: f64,
    /// Customers in the segments, and those of them without a profiled row.
    pub segment_customers: u64,
    pub segment_customers_without_rows: u64,
}

/// The profile: one row per segment present (in category order) and `by`
/// combination met (in the order of [`ByValues::order`]).
#[derive(Debug)]
pub struct Profile {
    pub segment: Vec<u32>,
    pub by: Vec<ArrayRef>,
    pub customers: Vec<u64>,
    /// `customers` / the customers of the segment.
    pub customer_share: Vec<f64>,
    pub revenue: Vec<f64>,
    /// Of the segment's revenue; `None` when the segment's revenue is 0.
    pub revenue_share: Vec<Option<f64>>,
    /// 100 x revenue_share / the combination's share of all profiled
    /// revenue; `None` when either share is undefined or 0.
    pub index: Vec<Option<f64>>,
    pub report: ProfileReport,
}

/// A1 over every batch of `batches`: see the module documentation.
pub fn profile<I>(
    batches: I,
    schema: &Schema,
    names: &ColumnNames,
    by: &[String],
    segments: Segments<'_>,
    opts: &ProfileOptions,
    cancel: &Cancel,
) -> Result<Profile>
where
    I: IntoIterator<Item = std::result::Result<RecordBatch, ArrowError>>,
{
    // Every column is looked for before any type is checked.
    let by_columns = ByValues::find(schema, by)?;
    let cols = RowColumns::locate(schema, names)?;
    let mut values = ByValues::new(schema, &by_columns)?;
    let index = SegmentIndex::build(&segments, opts.dense_ids)?;
    index.check_type(schema.field(cols.customer).data_type(), &names.customer)?;
    let mut totals = Totals::new(index.seg.len(), segments.categories, opts);
    let mut report = ProfileReport::default();
    let mut missing = MissingSet::default();
    let (mut window, mut pos, mut combo) = (Window::default(), Vec::new(), Vec::new());
    for batch in batches {
        let batch = batch.map_err(CoreError::reading)?;
        for start in (0..batch.num_rows()).step_by(WINDOW) {
            cancel.check()?;
            let n = WINDOW.min(batch.num_rows() - start);
            let at = (start, n, report.rows_read);
            cols.convert(
                &batch,
                at,
                opts.on_invalid,
                &mut report.rows_dropped,
                &mut window,
            )?;
            let customers = batch.column(cols.customer).slice(start, n);
            let (found, coded) = rayon::join(
                || lookup(customers.as_ref(), &|k| index.find(k), &mut pos),
                || values.code(&batch, start, n, &mut combo),
            );
            found?;
            coded?;
            totals.grow(values.len());
            let rows = Rows {
                window: &window,
                pos: &pos,
                combo: &combo,
                seg: &index.seg,
                as_of: opts.as_of,
            };
            if totals.add(&rows) > 0 {
                missing.add(customers.as_ref(), &rows)?;
            }
        }
        report.rows_read += batch.num_rows() as u64;
    }
    report.customers_without_segment = missing.len() as u64;
    Ok(totals.finish(&index, &values, report))
}

/// The segments' customers: each one's position and segment code.
struct SegmentIndex {
    kind: KeyType,
    map: HashMap<OwnedKey, u32>,
    /// Integer ids in a compact range: the position of id `lo + i` at `i`
    /// (no hashing per row); `None`: look up `map`.
    dense: Option<(i64, Vec<u32>)>,
    /// Category code per position.
    seg: Vec<u32>,
}

impl SegmentIndex {
    fn build(s: &Segments<'_>, dense_ids: bool) -> Result<SegmentIndex> {
        let kind = match KeyType::of(s.customers.data_type()) {
            Some(k @ (KeyType::Int | KeyType::Str)) => k,
            _ => {
                return Err(CoreError::Config(format!(
                    "the customer column of the segments has type {}; customer ids are integers or strings (rule A1)",
                    s.customers.data_type()
                )))
            }
        };
        if s.codes.len() != s.customers.len() || s.codes.iter().any(|&c| c as usize >= s.categories)
        {
            return Err(CoreError::Internal(
                "profile: segment codes do not match the customers".into(),
            ));
        }
        let mut map = HashMap::with_capacity(s.customers.len());
        let mut bad: Option<CoreError> = None;
        each_key(s.customers, |i, k| {
            if bad.is_some() {
                return;
            }
            if k == Key::Null {
                bad = Some(CoreError::Config(format!(
                    "the customer column of the segments is null at row {i}: one row per customer (rule A1)"
                )));
            } else if let Some(first) = map.insert(k.to_owned_key(), i as u32) {
                bad = Some(CoreError::Config(format!(
                    "the segments hold customer {} twice (rows {first} and {i}): pass one row per customer, as every custseg result has (rule A1)",
                    show(k)
                )));
            }
        })?;
        if let Some(e) = bad {
            return Err(e);
        }
        let dense = if dense_ids {
            dense_positions(&map)
        } else {
            None
        };
        // With the table, integer ids never reach the map: free it.
        let map = if dense.is_some() { HashMap::new() } else { map };
        Ok(SegmentIndex {
            kind,
            map,
            dense,
            seg: s.codes.to_vec(),
        })
    }

    /// The same kind of ids on both sides: integers never match strings.
    fn check_type(&self, dt: &arrow_schema::DataType, column: &str) -> Result<()> {
        match KeyType::of(dt) {
            Some(k) if k == self.kind => Ok(()),
            _ => Err(CoreError::Config(format!(
                "column '{column}' (customer) of the data has type {dt} but the segments' customer ids are {}: convert one side so both hold the same ids (rule A1)",
                self.kind.describe()
            ))),
        }
    }

    #[inline]
    fn find(&self, k: Key<'_>) -> u32 {
        if let (Some((lo, pos)), Key::Int(x)) = (&self.dense, k) {
            let i = x.wrapping_sub(*lo) as u64;
            return pos.get(i as usize).copied().unwrap_or(MISSING);
        }
        self.map.get(&k).copied().unwrap_or(MISSING)
    }
}

/// The positions of integer ids that span at most 4 times their number (plus
/// 1024) as a table indexed by id - lo; `None` for strings or sparse ids.
fn dense_positions(map: &HashMap<OwnedKey, u32>) -> Option<(i64, Vec<u32>)> {
    let ints = || {
        map.keys().map(|k| match k {
            OwnedKey::Int(x) => Some(*x),
            _ => None,
        })
    };
    let lo = ints().min()??;
    let hi = ints().max()??;
    let span = u64::try_from(i128::from(hi) - i128::from(lo) + 1).ok()?;
    if span > 4 * map.len() as u64 + 1024 {
        return None;
    }
    let mut pos = vec![MISSING; span as usize];
    for (k, &p) in map {
        if let OwnedKey::Int(x) = k {
            pos[(x - lo) as usize] = p;
        }
    }
    Some((lo, pos))
}

/// A key as text, for messages.
fn show(k: Key<'_>) -> String {
    match k {
        Key::Int(x) => x.to_string(),
        Key::Str(s) => format!("'{}'", String::from_utf8_lossy(s)),
        Key::Null => "null".into(),
    }
}

/// One window's rows, converted and looked up.
struct Rows<'a> {
    window: &'a Window,
    pos: &'a [u32],
    combo: &'a [u32],
    seg: &'a [u32],
    as_of: Option<i32>,
}

impl Rows<'_> {
    /// Whether row `i` is valid and before `as_of`.
    #[inline]
    fn counts(&self, i: usize) -> bool {
        self.window.is_ok(i) && self.as_of.is_none_or(|a| self.window.days[i] < a)
    }
}

/// Sums of one parallel task (or of the whole run).
#[derive(Debug, Default)]
struct Part {
    /// Per cell `combo * categories + segment`: net revenue and rows.
    revenue: Vec<i128>,
    lines: Vec<u64>,
    /// (position << 32 | combo) met, without the bit-per-customer path.
    pairs: Vec<u64>,
    after: u64,
    missing_rows: u64,
    missing_revenue: i128,
}

impl Part {
    fn new(cells: usize) -> Part {
        Part {
            revenue: vec![0; cells],
            lines: vec![0; cells],
            ..Default::default()
        }
    }

    fn merge(mut self, o: Part) -> Part {
        self.revenue
            .iter_mut()
            .zip(&o.revenue)
            .for_each(|(a, b)| *a += b);
        self.lines
            .iter_mut()
            .zip(&o.lines)
            .for_each(|(a, b)| *a += b);
        self.pairs.extend(o.pairs);
        self.after += o.after;
        self.missing_rows += o.missing_rows;
        self.missing_revenue += o.missing_revenue;
        self
    }
}

/// Who bought what: one bit per `by` combination and customer (few
/// combinations), else the set of (customer, combination) pairs.
enum Presence {
    Bits(Vec<AtomicU64>),
    Pairs(HashSet<u64>),
}

/// The sums of the whole run.
struct Totals {
    categories: usize,
    combos: usize,
    sums: Part,
    presence: Presence,
    bits_limit: usize,
    cells_limit: usize,
}

impl Totals {
    fn new(customers: usize, categories: usize, opts: &ProfileOptions) -> Totals {
        let presence = if opts.bits_limit > 0 {
            Presence::Bits((0..customers).map(|_| AtomicU64::new(0)).collect())
        } else {
            Presence::Pairs(HashSet::new())
        };
        Totals {
            categories,
            combos: 0,
            sums: Part::new(0),
            presence,
            bits_limit: opts.bits_limit.min(64),
            cells_limit: opts.cells_limit,
        }
    }

    /// Room for `combos` combinations; past the bit limit, bits become pairs.
    fn grow(&mut self, combos: usize) {
        self.combos = combos;
        let cells = combos * self.categories;
        self.sums.revenue.resize(cells, 0);
        self.sums.lines.resize(cells, 0);
        if let Presence::Bits(bits) = &self.presence {
            if combos > self.bits_limit {
                let pairs = bits
                    .iter()
                    .enumerate()
                    .flat_map(|(p, b)| {
                        set_bits(b.load(Ordering::Relaxed)).map(move |c| (p as u64) << 32 | c)
                    })
                    .collect();
                self.presence = Presence::Pairs(pairs);
            }
        }
    }

    /// Adds a window's rows; returns how many were of missing customers.
    fn add(&mut self, rows: &Rows<'_>) -> u64 {
        let n = rows.pos.len();
        let (k, cells) = (self.categories, self.combos * self.categories);
        let before = self.sums.missing_rows;
        let bits = match &self.presence {
            Presence::Bits(b) => Some(b.as_slice()),
            Presence::Pairs(_) => None,
        };
        let part = if cells <= self.cells_limit {
            (0..n.div_ceil(CHUNK))
                .into_par_iter()
                .fold(
                    || Part::new(cells),
                    |mut p, c| {
                        add_rows(rows, c * CHUNK..n.min((c + 1) * CHUNK), k, bits, &mut p);
                        p
                    },
                )
                .reduce(|| Part::new(cells), Part::merge)
        } else {
            // Many cells: one task adds straight into the run's sums.
            add_rows(rows, 0..n, k, bits, &mut self.sums);
            Part::default()
        };
        self.absorb(part);
        self.sums.missing_rows - before
    }

    /// Adds a part to the run's sums (its pairs to the set).
    fn absorb(&mut self, part: Part) {
        let sums = std::mem::take(&mut self.sums);
        self.sums = sums.merge(part);
        if let Presence::Pairs(set) = &mut self.presence {
            let pairs = &mut self.sums.pairs;
            pairs.par_sort_unstable();
            pairs.dedup();
            set.extend(pairs.drain(..));
        }
    }

    /// Customers per cell, and whether each customer has a profiled row.
    fn customers(&self, seg: &[u32]) -> (Vec<u64>, Vec<bool>) {
        let mut per_cell = vec![0u64; self.combos * self.categories];
        let mut seen = vec![false; seg.len()];
        let mut count = |p: usize, c: u64| {
            per_cell[c as usize * self.categories + seg[p] as usize] += 1;
            seen[p] = true;
        };
        match &self.presence {
            Presence::Bits(bits) => bits
                .iter()
                .enumerate()
                .for_each(|(p, b)| set_bits(b.load(Ordering::Relaxed)).for_each(|c| count(p, c))),
            Presence::Pairs(set) => set
                .iter()
                .for_each(|&pair| count((pair >> 32) as usize, pair & 0xffff_ffff)),
        }
        (per_cell, seen)
    }

    /// The profile's rows (A1) and the report.
    fn finish(self, index: &SegmentIndex, values: &ByValues, mut report: ProfileReport) -> Profile {
        let k = self.categories;
        let (per_cell, seen) = self.customers(&index.seg);
        let mut size = vec![0u64; k];
        index.seg.iter().for_each(|&s| size[s as usize] += 1);
        let rev = &self.sums.revenue;
        let seg_rev: Vec<i128> = (0..k)
            .map(|s| (0..self.combos).map(|c| rev[c * k + s]).sum())
            .collect();
        let combo_rev: Vec<i128> = (0..self.combos)
            .map(|c| rev[c * k..(c + 1) * k].iter().sum())
            .collect();
        let total: i128 = combo_rev.iter().sum();
        let used: Vec<bool> = (0..self.combos)
            .map(|c| self.sums.lines[c * k..(c + 1) * k].iter().any(|&l| l > 0))
            .collect();
        let order = values.order(&used);
        let mut out = Profile {
            segment: Vec::new(),
            by: Vec::new(),
            customers: Vec::new(),
            customer_share: Vec::new(),
            revenue: Vec::new(),
            revenue_share: Vec::new(),
            index: Vec::new(),
            report: ProfileReport::default(),
        };
        let mut combos = Vec::new();
        for s in (0..k).filter(|&s| size[s] > 0) {
            for &c in &order {
                let cell = c as usize * k + s;
                let share = ratio(rev[cell], seg_rev[s]);
                let overall = ratio(combo_rev[c as usize], total);
                out.segment.push(s as u32);
                combos.push(c);
                out.customers.push(per_cell[cell]);
                out.customer_share
                    .push(per_cell[cell] as f64 / size[s] as f64);
                out.revenue.push(money::wide_to_f64(rev[cell]));
                out.revenue_share.push(share);
                out.index.push(match (share, overall) {
                    (Some(a), Some(b)) if b != 0.0 => Some(100.0 * a / b),
                    _ => None,
                });
            }
        }
        out.by = values.arrays(&combos);
        report.rows_after_as_of = self.sums.after;
        report.rows_without_segment = self.sums.missing_rows;
        report.revenue_without_segment = money::wide_to_f64(self.sums.missing_revenue);
        report.rows_used = self.sums.lines.iter().sum();
        report.segment_customers = index.seg.len() as u64;
        report.segment_customers_without_rows = seen.iter().filter(|&&s| !s).count() as u64;
        out.report = report;
        out
    }
}

/// `a / b` of two exact sums, `None` when `b` is 0.
fn ratio(a: i128, b: i128) -> Option<f64> {
    (b != 0).then(|| a as f64 / b as f64)
}

/// The indexes of the set bits of `word`.
fn set_bits(mut word: u64) -> impl Iterator<Item = u64> {
    std::iter::from_fn(move || {
        (word != 0).then(|| {
            let b = word.trailing_zeros();
            word &= word - 1;
            u64::from(b)
        })
    })
}

/// Adds rows `range` of a window to `part` (and to the bits, when given).
fn add_rows(
    rows: &Rows<'_>,
    range: std::ops::Range<usize>,
    categories: usize,
    bits: Option<&[AtomicU64]>,
    part: &mut Part,
) {
    for i in range {
        if !rows.window.is_ok(i) {
            continue;
        }
        if rows.as_of.is_some_and(|a| rows.window.days[i] >= a) {
            part.after += 1;
            continue;
        }
        let amount = i128::from(rows.window.amounts[i]);
        let p = rows.pos[i];
        if p == MISSING {
            part.missing_rows += 1;
            part.missing_revenue += amount;
            continue;
        }
        let c = rows.combo[i];
        let cell = c as usize * categories + rows.seg[p as usize] as usize;
        part.revenue[cell] += amount;
        part.lines[cell] += 1;
        match bits {
            Some(bits) => {
                let (word, bit) = (&bits[p as usize], 1u64 << c);
                // Most lines repeat a known pair: read before writing.
                if word.load(Ordering::Relaxed) & bit == 0 {
                    word.fetch_or(bit, Ordering::Relaxed);
                }
            }
            None => part.pairs.push(u64::from(p) << 32 | u64::from(c)),
        }
    }
}

/// The distinct customers met that are not in the segments.
#[derive(Default)]
struct MissingSet {
    ints: HashSet<i64>,
    strs: HashSet<Box<[u8]>>,
}

impl MissingSet {
    fn add(&mut self, customers: &dyn Array, rows: &Rows<'_>) -> Result<()> {
        each_key(customers, |i, k| {
            if rows.pos[i] != MISSING || !rows.counts(i) {
                return;
            }
            match k {
                Key::Int(x) => {
                    self.ints.insert(x);
                }
                Key::Str(s) => {
                    if !self.strs.contains(s) {
                        self.strs.insert(s.into());
                    }
                }
                Key::Null => {}
            }
        })
    }

    fn len(&self) -> usize {
        self.ints.len() + self.strs.len()
    }
}
