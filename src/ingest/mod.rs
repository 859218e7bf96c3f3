//! Section 0 of the spec: reading the transaction columns (I1, I2 input side,
//! I4, I6) from a stream of Arrow record batches into compact owned lines.
//!
//! Each window of rows is converted in parallel: customer (and order) ids
//! interned ([`crate::keys`]) while dates and amounts convert ([`convert`]);
//! invalid rows raise or are dropped ([`invalid`]); the valid rows become
//! [`Line`](crate::lines::Line)s `(customer id, day, amount in millionths[,
//! order id])` in the [`Store`], which keeps them in runs or hashed
//! partitions. Adjacent rows of one customer, day (and order) become one line
//! with their summed amount: I2 only ever uses those sums, and receipts
//! usually arrive line after line.

mod convert;
mod invalid;
mod rows;
pub mod text;

pub use convert::min_max_day;
pub use invalid::{OnInvalid, Reason};
pub use rows::{RowColumns, Window};

use std::collections::BTreeMap;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Schema};
use rayon::prelude::*;

use crate::cancel::Cancel;
use crate::error::{CoreError, Result};
use crate::keys::{key_kind, KeyKind, Keys, NULL_ID, PARTITIONS};
use crate::lines::{Rows, Stats};
use crate::store::{SpillOptions, Store, Stored};
use crate::timings::Phases;
use convert::{check_amount_type, convert_amounts, convert_dates, date_kind, raw_date, DateKind};
use invalid::{amount_text, find_column, row_error, unsupported, Bad, CUSTOMER_TYPES};

/// The names of the input columns.
#[derive(Debug, Clone)]
pub struct ColumnNames {
    pub customer: String,
    pub date: String,
    pub amount: String,
    pub order: Option<String>,
}

/// Options of the ingestion step.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    pub on_invalid: OnInvalid,
    /// Days before this one are invalid (the first explicit period boundary, P1).
    pub earliest_day: Option<i32>,
    /// Rows expected in the input, when known: memory is reserved once.
    pub rows_hint: Option<usize>,
    /// The run's explicit `as_of` (I3), if any: valid rows on or after it are counted.
    pub as_of: Option<i32>,
    /// When lines spill to disk.
    pub spill: SpillOptions,
}

/// The whole valid input, owned, in partitions of the customers (see
/// [`Keys::partition`]): all lines of a customer are in one partition, in
/// memory or spilled to disk.
#[derive(Debug)]
pub struct Ingested {
    pub lines: Stored,
    pub customers: Keys,
    /// The input type of the customer column, kept for the output (CV7).
    pub customer_type: DataType,
    pub rows_read: u64,
    /// Rows that passed the checks of I4.
    pub rows_valid: u64,
    /// `(as_of, valid rows on or after it)` for [`IngestOptions::as_of`].
    pub rows_on_or_after: Option<(i32, u64)>,
    /// The earliest and latest day among the valid rows.
    pub days: Option<(i32, i32)>,
    pub dropped: BTreeMap<&'static str, u64>,
}

impl Ingested {
    /// Whether purchase events are orders (an `order` column was given, I2).
    pub fn has_orders(&self) -> bool {
        self.lines.has_orders()
    }

    /// The latest day among the valid rows.
    pub fn max_day(&self) -> Option<i32> {
        self.days.map(|d| d.1)
    }

    /// The earliest day among the valid rows.
    pub fn min_day(&self) -> Option<i32> {
        self.days.map(|d| d.0)
    }
}

/// Rows converted per window of a record batch.
const WINDOW: usize = 1 << 22;
/// Batches smaller than this are gathered into one window of at least this
/// many rows before they are read: a Parquet or IPC file comes in batches of
/// 64k rows, too few to keep every core busy through the steps of a window,
/// and each step has a fixed cost per window. Gathering copies only the
/// columns read. (Smaller in tests and far smaller under the fuzzers, so that
/// small inputs read both ways.)
const GATHER: usize = if cfg!(fuzzing) {
    1 << 4
} else if cfg!(test) {
    1 << 10
} else {
    1 << 20
};
/// Rows per parallel conversion task.
const CHUNK: usize = 1 << 16;

/// Reads every batch of `batches` into an [`Ingested`].
///
/// Rows are checked in stream order; with [`OnInvalid::Raise`] the first
/// invalid row (smallest row index; customer, then date, amount, order on the
/// same row) raises.
pub fn ingest<I>(
    batches: I,
    schema: &Schema,
    names: &ColumnNames,
    opts: &IngestOptions,
    cancel: &Cancel,
) -> Result<Ingested>
where
    I: IntoIterator<Item = std::result::Result<RecordBatch, ArrowError>>,
{
    let (cols, used) = Columns::locate(schema, names)?.projected();
    let mut reader = Reader::new(cols, names, opts);
    let mut gathered = Gathered::default();
    for batch in batches {
        cancel.check()?;
        let batch = batch.map_err(CoreError::reading)?;
        let batch = batch.project(&used).map_err(CoreError::reading)?;
        reader.clock.lap("next batch");
        if batch.num_rows() >= GATHER {
            reader.batch(&gathered.take()?, cancel)?;
            reader.batch(&batch, cancel)?;
        } else if gathered.add(batch) >= GATHER {
            reader.batch(&gathered.take()?, cancel)?;
        }
    }
    reader.batch(&gathered.take()?, cancel)?;
    reader.finish()
}

/// Small batches waiting to be read as one window (see [`GATHER`]).
#[derive(Default)]
struct Gathered {
    batches: Vec<RecordBatch>,
    rows: usize,
}

impl Gathered {
    /// Adds a batch; returns the rows gathered.
    fn add(&mut self, batch: RecordBatch) -> usize {
        self.rows += batch.num_rows();
        self.batches.push(batch);
        self.rows
    }

    /// The batches gathered, as one (empty when there are none), leaving none.
    fn take(&mut self) -> Result<RecordBatch> {
        let batches = std::mem::take(&mut self.batches);
        self.rows = 0;
        match batches.len() {
            0 => Ok(RecordBatch::new_empty(std::sync::Arc::new(Schema::empty()))),
            1 => Ok(batches.into_iter().next().expect("one batch")),
            _ => arrow_select::concat::concat_batches(&batches[0].schema(), &batches)
                .map_err(CoreError::building),
        }
    }
}

/// Where the columns are in the schema and how they are read.
struct Columns {
    customer: usize,
    date: usize,
    amount: usize,
    order: Option<usize>,
    customer_type: DataType,
    customer_kind: KeyKind,
    order_kind: Option<KeyKind>,
    dates: DateKind,
}

impl Columns {
    /// Finds the columns and checks their types (I4).
    fn locate(schema: &Schema, names: &ColumnNames) -> Result<Columns> {
        let customer = find_column(schema, &names.customer, "customer")?;
        let date = find_column(schema, &names.date, "date")?;
        let amount = find_column(schema, &names.amount, "amount")?;
        let order = match &names.order {
            Some(o) => Some(find_column(schema, o, "order")?),
            None => None,
        };
        let key_kind_of = |i: usize, name: &str, role| {
            let dt = schema.field(i).data_type();
            key_kind(dt).ok_or_else(|| unsupported(name, role, dt, CUSTOMER_TYPES))
        };
        let order_kind = match order {
            Some(i) => Some(key_kind_of(
                i,
                names.order.as_deref().unwrap_or(""),
                "order",
            )?),
            None => None,
        };
        check_amount_type(&names.amount, schema.field(amount).data_type())?;
        Ok(Columns {
            customer_type: schema.field(customer).data_type().clone(),
            customer_kind: key_kind_of(customer, &names.customer, "customer")?,
            dates: date_kind(&names.date, schema.field(date).data_type())?,
            order_kind,
            customer,
            date,
            amount,
            order,
        })
    }

    /// The same columns in a batch projected to the columns read (customer,
    /// date, amount, order), and the indexes of those columns in the input.
    fn projected(self) -> (Columns, Vec<usize>) {
        let mut used = vec![self.customer, self.date, self.amount];
        used.extend(self.order);
        let cols = Columns {
            customer: 0,
            date: 1,
            amount: 2,
            order: self.order.map(|_| 3),
            ..self
        };
        (cols, used)
    }
}

impl Reader<'_> {
    /// Reads every row of `batch` (with the columns of [`Columns::projected`]),
    /// in windows: a large batch (a pandas frame is one) in several, to bound
    /// the buffers.
    fn batch(&mut self, batch: &RecordBatch, cancel: &Cancel) -> Result<()> {
        for start in (0..batch.num_rows()).step_by(WINDOW) {
            cancel.check()?;
            self.window(batch, start, WINDOW.min(batch.num_rows() - start))?;
        }
        Ok(())
    }
}

/// An ingestion between two windows: the ids, the store, the counts so far
/// and the buffers reused from window to window.
struct Reader<'a> {
    cols: Columns,
    names: &'a ColumnNames,
    opts: &'a IngestOptions,
    ids: Ids,
    store: Store,
    stats: Stats,
    /// Valid rows before the window (how sparse an integer id range may get).
    rows_seen: usize,
    /// Rows read before the window (row numbers in messages).
    offset: u64,
    dropped: BTreeMap<&'static str, u64>,
    days: Vec<i32>,
    amounts: Vec<i64>,
    clock: Phases,
}

/// The interners of customer (and order) ids and the ids of the window.
struct Ids {
    customers: Keys,
    orders: Option<Keys>,
    cids: Vec<u32>,
    oids: Vec<u32>,
}

impl<'a> Reader<'a> {
    fn new(cols: Columns, names: &'a ColumnNames, opts: &'a IngestOptions) -> Self {
        let ids = Ids {
            customers: Keys::new(cols.customer_kind),
            orders: cols.order_kind.map(Keys::new),
            cids: Vec::new(),
            oids: Vec::new(),
        };
        let per_part = |n: usize| n / PARTITIONS + n / PARTITIONS / 16;
        let reserve = opts.rows_hint.map_or(0, per_part);
        let store = Store::new(ids.orders.is_some(), reserve, opts.spill.clone());
        Reader {
            cols,
            names,
            opts,
            ids,
            store,
            stats: Stats::default(),
            rows_seen: 0,
            offset: 0,
            dropped: BTreeMap::new(),
            days: Vec::new(),
            amounts: Vec::new(),
            clock: Phases::start(),
        }
    }

    /// Reads rows `start..start + n` of `batch`.
    fn window(&mut self, batch: &RecordBatch, start: usize, n: usize) -> Result<()> {
        let col = |i: usize| batch.column(i).slice(start, n);
        let (ccol, dcol, acol) = (
            col(self.cols.customer),
            col(self.cols.date),
            col(self.cols.amount),
        );
        let ocol = self.cols.order.map(col);
        // Keys are interned while dates and amounts convert, all in parallel.
        let (keyed, converted) = rayon::join(
            || {
                self.ids
                    .intern(&mut self.store, &ccol, ocol.as_ref(), self.rows_seen)
            },
            || {
                // Reused buffers: a bad row's slot keeps a stale value, but bad rows are never read.
                self.days.resize(n, 0);
                self.amounts.resize(n, 0);
                convert_window(
                    &dcol,
                    &acol,
                    &self.cols.dates,
                    self.opts.earliest_day,
                    &mut self.days,
                    &mut self.amounts,
                )
            },
        );
        keyed?;
        let mut bad = converted?;
        self.clock.lap("ids, dates, amounts");
        self.null_ids(&ccol, ocol.as_ref(), &mut bad);
        self.check(&bad, &dcol, &acol)?;
        self.clock.lap("bad rows");
        let mut ok = vec![true; if bad.is_empty() { 0 } else { n }];
        bad.iter().for_each(|b| ok[b.0] = false);
        let rows = Rows {
            cids: &self.ids.cids,
            days: &self.days[..n],
            amounts: &self.amounts[..n],
            oids: self.ids.orders.is_some().then_some(&self.ids.oids[..]),
            ok: &ok,
            as_of: self.opts.as_of,
        };
        self.stats
            .add(self.store.append(&rows, &self.ids.customers)?);
        self.clock.lap("append");
        self.rows_seen += n - bad.len();
        self.offset += n as u64;
        Ok(())
    }

    /// Adds the rows with a null customer (or order) id to `bad`, then sorts
    /// it: smallest row first, and on one row the customer before the date,
    /// amount and order. Null ids are looked for only where a column may hold
    /// nulls (a dictionary's keys may point at null values: always).
    fn null_ids(&self, ccol: &ArrayRef, ocol: Option<&ArrayRef>, bad: &mut Bad) {
        fn nulls(ids: &[u32], reason: Reason) -> impl Iterator<Item = (usize, Reason)> + '_ {
            ids.iter()
                .enumerate()
                .filter(|(_, &c)| c == NULL_ID)
                .map(move |(i, _)| (i, reason))
        }
        if may_hold_nulls(ccol.as_ref()) {
            bad.extend(nulls(&self.ids.cids, Reason::NullCustomer));
        }
        if ocol.is_some_and(|o| may_hold_nulls(o.as_ref())) {
            bad.extend(nulls(&self.ids.oids, Reason::NullOrder));
        }
        bad.sort_unstable();
        bad.dedup_by_key(|b| b.0);
    }

    /// Raises on the first bad row ([`OnInvalid::Raise`]) or counts the bad
    /// rows by reason ([`OnInvalid::Drop`]).
    fn check(&mut self, bad: &Bad, dates: &ArrayRef, amounts: &ArrayRef) -> Result<()> {
        let Some(&(row, reason)) = bad.first() else {
            return Ok(());
        };
        if self.opts.on_invalid == OnInvalid::Raise {
            let value = amount_text(amounts.as_ref(), row);
            let raw = raw_date(dates.as_ref(), row, &self.cols.dates);
            let at = self.offset + row as u64;
            return Err(row_error(
                self.names,
                reason,
                at,
                value,
                dates.as_ref(),
                row,
                raw,
            ));
        }
        for &(_, reason) in bad {
            *self.dropped.entry(reason.name()).or_default() += 1;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Ingested> {
        let lines = self.store.finish()?;
        self.ids.customers.end_of_input();
        if let Some(o) = self.ids.orders.as_mut() {
            o.end_of_input();
        }
        // The windows' buffers go too. Under a memory budget the pages the workers
        // freed go back to the system now: the pass that follows starts with every
        // line held (its peak). Without one the pass reuses them instead of taking
        // fresh pages, which the kernel zeroes first (docs/performance.md).
        (self.days, self.amounts) = (Vec::new(), Vec::new());
        (self.ids.cids, self.ids.oids) = (Vec::new(), Vec::new());
        if self.opts.spill.memory_limit.is_some() {
            crate::alloc::release_freed();
        }
        self.clock.lap("finish");
        let stats = self.stats;
        Ok(Ingested {
            lines,
            customers: self.ids.customers,
            customer_type: self.cols.customer_type,
            rows_read: self.offset,
            rows_valid: stats.rows,
            rows_on_or_after: self.opts.as_of.map(|a| (a, stats.on_or_after)),
            days: (stats.rows > 0).then_some((stats.min_day, stats.max_day)),
            dropped: self.dropped,
        })
    }
}

impl Ids {
    /// Interns a window's customer (and order) ids, `rows_seen` valid rows
    /// before it; brings the ids of the lines held in `store` up to date.
    fn intern(
        &mut self,
        store: &mut Store,
        ccol: &ArrayRef,
        ocol: Option<&ArrayRef>,
        rows_seen: usize,
    ) -> Result<()> {
        let remap = self
            .customers
            .intern_array(ccol.as_ref(), rows_seen, &mut self.cids)?;
        store.remap_customers(&mut self.customers, &remap)?;
        if let (Some(keys), Some(ocol)) = (self.orders.as_mut(), ocol) {
            let remap = keys.intern_array(ocol.as_ref(), rows_seen, &mut self.oids)?;
            store.remap_orders(keys, &self.customers, &remap)?;
        }
        Ok(())
    }
}

/// Converts the dates and amounts of a window in parallel chunks; returns the
/// bad rows found.
fn convert_window(
    dcol: &ArrayRef,
    acol: &ArrayRef,
    kind: &DateKind,
    earliest: Option<i32>,
    days: &mut [i32],
    amounts: &mut [i64],
) -> Result<Bad> {
    let n = dcol.len();
    Ok(days[..n]
        .par_chunks_mut(CHUNK)
        .zip(amounts[..n].par_chunks_mut(CHUNK))
        .enumerate()
        .map(|(c, (d, a))| -> Result<Bad> {
            let mut bad = Bad::new();
            convert_dates(
                dcol.slice(c * CHUNK, d.len()).as_ref(),
                kind,
                earliest,
                d,
                &mut bad,
            );
            convert_amounts(acol.slice(c * CHUNK, a.len()).as_ref(), a, &mut bad)?;
            bad.iter_mut().for_each(|b| b.0 += c * CHUNK);
            Ok(bad)
        })
        .collect::<Result<Vec<Bad>>>()?
        .concat())
}

/// Whether interning `a` can give null ids: a null, or a dictionary (whose keys
/// may point at null values).
fn may_hold_nulls(a: &dyn Array) -> bool {
    matches!(a.data_type(), DataType::Dictionary(_, _)) || a.logical_null_count() > 0
}
