//! A segmentation computed in pieces, for `custseg.spark`: each Spark task
//! runs one piece (every line of each of its customers), and the tiers and
//! medians, which depend on all customers, come from counts over every piece.
//! The same engine and rule modules run each stage, so the rows equal the
//! one-machine call's, bit for bit (I5):
//!
//! 1. [`facts`]: the engine's per-customer pass over a piece, as of the whole
//!    run's `as_of`, written out as a table of facts (one row per customer).
//! 2. [`keys`]: the values each tier pool ranks ([`Pool`]), per customer of a
//!    table of facts, recorded from the rule modules themselves; Spark counts
//!    the pool sizes and finds the values at the ranks [`wanted`] names.
//! 3. [`labels`]: the output columns of a table of facts, with the pool sizes
//!    and those values given ([`Given`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, Int8Type};
use arrow_array::{Array, ArrayRef, BooleanArray, Int32Array, Int64Array, Int8Array, RecordBatch};
use arrow_schema::{DataType, Field};

use crate::cancel::Cancel;
use crate::engine::{self, Extra, Facts, HistoryNeed, Need, Options, Report, Segmented};
use crate::error::{CoreError, Result};
use crate::ingest::Ingested;
use crate::output;
use crate::ranks::{Pool, Ranks};
use crate::segment::{columns_of, What};
use crate::tiers::select_ranks;

/// The columns of a table of facts after the customer column (names with a
/// leading underscore: they never clash with the customer column's name).
const FACTS: [(&str, DataType); 12] = [
    ("_k", DataType::Int32),
    ("_n", DataType::Int64),
    ("_first", DataType::Int32),
    ("_last", DataType::Int32),
    ("_sales_only", DataType::Boolean),
    ("_monetary", DataType::Int64),
    ("_events", DataType::Int64),
    ("_periods_with_events", DataType::Int64),
    ("_periods_span", DataType::Int64),
    ("_net", DataType::Int64),
    ("_churn", DataType::Int8),
    ("_repeat_value", DataType::Int64),
];

/// Stage 1: the facts of every customer of a piece with a purchase event
/// before the run's `as_of` (`opts.as_of`, given), one row each, the customer
/// column first (named `customer_name`, the input's type), `_b` (0) last; and
/// the piece's report.
pub fn facts(
    ing: Ingested,
    customer_name: &str,
    opts: &Options,
    cancel: &Cancel,
) -> Result<(RecordBatch, Report)> {
    let customer_type = ing.customer_type.clone();
    let (seg, report, keys) = engine::run_piece(ing, opts, ALL, cancel)?;
    let ids = keys.take(&seg.ids(), &customer_type)?;
    Ok((facts_batch(&seg, ids, customer_name, 0)?, report))
}

/// Stage 1 of a history (CV8): [`facts`] as of every boundary of `bounds`
/// (resolved over the whole data), boundary `j`'s rows with `_b` = j, from
/// one pass over the piece; and the piece's report (as of the last boundary).
pub fn history_facts(
    ing: Ingested,
    customer_name: &str,
    opts: &Options,
    bounds: &[i32],
    cancel: &Cancel,
) -> Result<(RecordBatch, Report)> {
    let customer_type = ing.customer_type.clone();
    let need = HistoryNeed {
        need: ALL,
        steps: false,
        orders_as_of_each: true,
    };
    let engine::HistoryRun {
        segs,
        report,
        keys,
        order,
        ..
    } = engine::run_history(ing, opts, need, bounds, cancel)?;
    let mut batches = Vec::with_capacity(segs.len());
    let mut sorted_keys = None;
    for (j, seg) in segs.iter().enumerate() {
        let ids =
            keys.take_by_rank(&seg.ids(), &customer_type, order.as_ref(), &mut sorted_keys)?;
        batches.push(facts_batch(seg, ids, customer_name, j as i32)?);
    }
    let schema = match batches.first() {
        Some(b) => b.schema(),
        None => return Err(CoreError::Internal("a history without boundaries".into())),
    };
    let batch =
        arrow_select::concat::concat_batches(&schema, &batches).map_err(CoreError::building)?;
    Ok((batch, report))
}

/// Every fact a segmentation may need (a run in pieces computes them all, so
/// that one table of facts serves every call).
const ALL: Need = Need {
    cv: true,
    extras: true,
    clv: true,
};

/// The table of facts of `seg`: the customer column `ids`, the facts, and
/// the boundary index `b` in `_b`.
fn facts_batch(seg: &Segmented, ids: ArrayRef, customer_name: &str, b: i32) -> Result<RecordBatch> {
    let int =
        |f: fn(&Facts, &Extra) -> i64| -> ArrayRef { Arc::new(Int64Array::from(seg.column_x(f))) };
    let day = |f: fn(&Facts) -> i32| -> ArrayRef { Arc::new(Int32Array::from(seg.column(f))) };
    let columns: Vec<ArrayRef> = vec![
        ids.clone(),
        day(|f| f.k),
        int(|f, _| i64::from(f.n)),
        day(|f| f.first),
        day(|f| f.last),
        Arc::new(BooleanArray::from(seg.column(|f| f.sales_only))),
        int(|f, _| f.monetary),
        int(|_, x| i64::from(x.events)),
        int(|_, x| i64::from(x.periods_with_events)),
        int(|_, x| i64::from(x.periods_span)),
        int(|_, x| x.net),
        Arc::new(Int8Array::from(seg.column_x(|_, x| x.churn as i8))),
        int(|_, x| x.repeat_value),
        Arc::new(Int32Array::from(vec![b; seg.len()])),
    ];
    let mut fields = vec![Field::new(customer_name, ids.data_type().clone(), false)];
    fields.extend(FACTS.iter().map(|(n, t)| Field::new(*n, t.clone(), false)));
    fields.push(Field::new("_b", DataType::Int32, false));
    output::batch(fields, columns)
}

/// A table of facts ([`facts`]) read back: the facts in its row order, as of
/// `as_of`, and its customer column.
fn segmented(batch: &RecordBatch, as_of: i32) -> Result<(Segmented, ArrayRef)> {
    let column = |name: &str| -> Result<&ArrayRef> {
        let c = batch
            .column_by_name(name)
            .ok_or_else(|| CoreError::Internal(format!("a table of facts has no column {name}")))?;
        if c.null_count() > 0 {
            return Err(CoreError::Internal(format!(
                "nulls in the facts column {name}"
            )));
        }
        Ok(c)
    };
    let wrong =
        |name: &str| CoreError::Internal(format!("the facts column {name} has a wrong type"));
    let i32s = |name| -> Result<&[i32]> {
        Ok(column(name)?
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| wrong(name))?
            .values())
    };
    let i64s = |name| -> Result<&[i64]> {
        Ok(column(name)?
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| wrong(name))?
            .values())
    };
    let (k, n, first, last) = (i32s("_k")?, i64s("_n")?, i32s("_first")?, i32s("_last")?);
    let sales_only = column("_sales_only")?
        .as_boolean_opt()
        .ok_or_else(|| wrong("_sales_only"))?;
    let (monetary, events) = (i64s("_monetary")?, i64s("_events")?);
    let (with_events, span) = (i64s("_periods_with_events")?, i64s("_periods_span")?);
    let (net, repeat) = (i64s("_net")?, i64s("_repeat_value")?);
    let churn = column("_churn")?
        .as_primitive_opt::<Int8Type>()
        .ok_or_else(|| wrong("_churn"))?;
    let facts = (0..batch.num_rows())
        .map(|i| Facts {
            customer: i as u32,
            k: k[i],
            n: n[i] as u32,
            first: first[i],
            last: last[i],
            sales_only: sales_only.value(i),
            monetary: monetary[i],
        })
        .collect();
    let extras = (0..batch.num_rows())
        .map(|i| Extra {
            events: events[i] as u32,
            periods_with_events: with_events[i] as u32,
            periods_span: span[i] as u32,
            net: net[i],
            churn: churn.value(i) as u8,
            repeat_value: repeat[i],
        })
        .collect();
    let customers = batch.column(0).clone();
    Ok((Segmented::from_facts(facts, extras, as_of), customers))
}

/// A run in pieces needs the CLV lifetime of the whole run (CLV1), given.
fn check_lifetime(what: &What) -> Result<()> {
    match &what.clv {
        Some(c) if c.lifetime_years.is_none() => Err(CoreError::Internal(
            "a run in pieces needs the lifetime of the whole run (CLV1)".into(),
        )),
        _ => Ok(()),
    }
}

/// Stage 2: the values of every tier pool among the customers of a table of
/// facts, as (pool code, key) rows: what the rule modules rank.
pub fn keys(batch: &RecordBatch, as_of: i32, what: &What) -> Result<RecordBatch> {
    check_lifetime(what)?;
    let (seg, _) = segmented(batch, as_of)?;
    let seen = Collect::default();
    columns_of(&seg, what, &seen)?;
    let pools = seen
        .pools
        .into_inner()
        .map_err(|_| CoreError::Internal("poisoned".into()))?;
    let (mut codes, mut keys) = (Vec::new(), Vec::new());
    for (pool, values) in pools {
        codes.extend(std::iter::repeat_n(pool.code() as i8, values.len()));
        keys.extend(values);
    }
    let fields = vec![
        Field::new("pool", DataType::Int8, false),
        Field::new("key", DataType::Int64, false),
    ];
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int8Array::from(codes)),
        Arc::new(Int64Array::from(keys)),
    ];
    output::batch(fields, columns)
}

/// The ascending ranks of every pool whose values the rules of `what` need,
/// for pools of `sizes` members (counted over every piece).
pub fn wanted(what: &What, sizes: &BTreeMap<Pool, usize>) -> Result<Vec<(Pool, usize)>> {
    check_lifetime(what)?;
    let w = Wanted {
        sizes,
        got: Mutex::default(),
    };
    columns_of(&Segmented::default(), what, &w)?;
    let got = w
        .got
        .into_inner()
        .map_err(|_| CoreError::Internal("poisoned".into()))?;
    Ok(got.into_iter().collect())
}

/// Stage 3: the output of `what` for the customers of a table of facts: the
/// customer column (named `customer_name`), then the columns of
/// [`crate::segment::segment`], with the pools' sizes and values given.
pub fn labels(
    batch: &RecordBatch,
    customer_name: &str,
    as_of: i32,
    what: &What,
    given: &Given,
) -> Result<RecordBatch> {
    for (pool, rank) in wanted(what, &given.sizes)? {
        if !given.at.contains_key(&(pool, rank)) {
            return Err(CoreError::Internal(format!(
                "the value at rank {rank} of pool {pool:?} was not given"
            )));
        }
    }
    let (seg, customers) = segmented(batch, as_of)?;
    let mut fields = vec![Field::new(
        customer_name,
        customers.data_type().clone(),
        false,
    )];
    let (f, mut columns) = columns_of(&seg, what, given)?;
    fields.extend(f);
    columns.insert(0, customers);
    output::batch(fields, columns)
}

/// The pools' sizes and their values at the wanted ranks, counted over every
/// piece of a run.
#[derive(Debug, Default)]
pub struct Given {
    pub sizes: BTreeMap<Pool, usize>,
    pub at: BTreeMap<(Pool, usize), i64>,
}

impl Ranks for Given {
    fn size(&self, pool: Pool, _: &[i64]) -> usize {
        self.sizes.get(&pool).copied().unwrap_or(0)
    }

    fn select(&self, pool: Pool, _: &[i64], ranks: &[usize]) -> Vec<i64> {
        // `labels` checked that every wanted rank is there.
        ranks.iter().map(|&r| self.at[&(pool, r)]).collect()
    }
}

/// Records the values at hand of every pool (the first time each is asked
/// for), answering as [`crate::ranks::Whole`] would.
#[derive(Default)]
struct Collect {
    pools: Mutex<BTreeMap<Pool, Vec<i64>>>,
}

impl Ranks for Collect {
    fn size(&self, pool: Pool, here: &[i64]) -> usize {
        if let Ok(mut p) = self.pools.lock() {
            p.entry(pool).or_insert_with(|| here.to_vec());
        }
        here.len()
    }

    fn select(&self, _: Pool, here: &[i64], ranks: &[usize]) -> Vec<i64> {
        select_ranks(here, ranks)
    }
}

/// Records the ranks asked for, for pools of given sizes (with no values at
/// hand: the answers are placeholders).
struct Wanted<'a> {
    sizes: &'a BTreeMap<Pool, usize>,
    got: Mutex<BTreeSet<(Pool, usize)>>,
}

impl Ranks for Wanted<'_> {
    fn size(&self, pool: Pool, _: &[i64]) -> usize {
        self.sizes.get(&pool).copied().unwrap_or(0)
    }

    fn select(&self, pool: Pool, _: &[i64], ranks: &[usize]) -> Vec<i64> {
        if let Ok(mut g) = self.got.lock() {
            g.extend(ranks.iter().map(|&r| (pool, r)));
        }
        vec![0; ranks.len()]
    }
}

#[cfg(test)]
mod tests;
