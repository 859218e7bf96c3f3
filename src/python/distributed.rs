//! Binding of [`crate::distributed`]: the stages of a run in pieces that
//! `custseg/spark.py` calls inside Spark tasks (facts, keys, labels) and on
//! the driver (the run's `as_of`, the CLV lifetime, the ranks wanted). Every
//! stage takes the same options as `_core.segment`, read by [`options`].

use std::collections::BTreeMap;

use arrow_array::RecordBatch;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::input::AnyRecordBatch;

use crate::cancel::Cancel;
use crate::distributed::{self, Given};
use crate::engine::resolve_as_of_days;
use crate::engine::Options;
use crate::error::{CoreError, Result};
use crate::history::Bounds;
use crate::ingest::ingest;
use crate::ingest::Ingested;
use crate::python::output::{report_dict, table};
use crate::python::periods::PyPeriods;
use crate::python::segment::{options, ClvArgs, ColumnArgs, CvArgs, RfmArgs, RunArgs};

/// The options of every stage: an object with the attributes of
/// `_core.segment`'s keyword arguments (`custseg/_spark_run.py` builds it).
#[derive(FromPyObject)]
pub struct PieceArgs<'py> {
    columns: ColumnArgs,
    run: RunArgs,
    periods: PyRef<'py, PyPeriods>,
    what: Vec<String>,
    cv: CvArgs,
    rfm: RfmArgs<'py>,
    clv: ClvArgs,
    summary: Option<String>,
}
use crate::ranks::Pool;
use crate::segment::What;

/// Every batch of `data` in one record batch.
fn one_batch(data: AnyRecordBatch) -> Result<RecordBatch> {
    let reader = data
        .into_reader()
        .map_err(|e| CoreError::Input(e.to_string()))?;
    let schema = reader.schema();
    let batches: Vec<RecordBatch> = reader
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| CoreError::Input(e.to_string()))?;
    arrow_select::concat::concat_batches(&schema, &batches)
        .map_err(|e| CoreError::Input(e.to_string()))
}

/// Ingests a piece with the options of `args` (rows on or after
/// `count_after` counted when given, else on or after the run's `as_of`, I3)
/// and hands it to `then`, without the GIL.
fn with_piece<T: Send>(
    py: Python<'_>,
    data: AnyRecordBatch,
    args: PieceArgs<'_>,
    count_after: Option<Option<i32>>,
    then: impl FnOnce(Ingested, &Options, &str, &Cancel) -> Result<T> + Send,
) -> PyResult<T> {
    let PieceArgs {
        columns,
        run,
        periods,
        what,
        cv,
        rfm,
        clv,
        ..
    } = args;
    let (opts, _, names, mut ingest_opts) = options(columns, &run, &periods, &what, cv, rfm, clv)?;
    if let Some(after) = count_after {
        ingest_opts.as_of = after;
    }
    let reader = data
        .into_reader()
        .map_err(|e| CoreError::Input(e.to_string()))?;
    crate::python::runtime::run(py, run.threads, |cancel| {
        let schema = reader.schema();
        let ing = ingest(reader, &schema, &names, &ingest_opts, cancel)?;
        then(ing, &opts, &names.customer, cancel)
    })
}

/// The (earliest, latest) day of the valid rows of a piece, `None` without
/// any: a run's default `as_of` and its check (I3) count them over every piece.
#[pyfunction]
#[pyo3(signature = (data, *, args))]
pub fn piece_days<'py>(
    py: Python<'py>,
    data: AnyRecordBatch,
    args: PieceArgs<'py>,
) -> PyResult<Option<(i32, i32)>> {
    with_piece(py, data, args, None, |ing, _, _, _| Ok(ing.days))
}

/// The run's `as_of` (I3) against the (earliest, latest) day of every piece.
#[pyfunction]
pub fn resolve_as_of(requested: Option<i32>, days: Option<(i32, i32)>) -> PyResult<Option<i32>> {
    Ok(resolve_as_of_days(requested, days)?)
}

/// The default lifetime (CLV1) from the churn counts of every piece.
#[pyfunction]
pub fn default_lifetime(base: u64, stayed: u64) -> PyResult<f64> {
    Ok(crate::clv::lifetime_of_counts(base, stayed)?)
}

/// What one customer's churn bits (the `_churn` fact) add to the counts of
/// [`default_lifetime`].
#[pyfunction]
pub fn churn_counts(churn: u8) -> (u64, u64) {
    crate::clv::churn_counts(churn)
}

/// A table of facts, its piece's report and the days of its valid rows.
type Piece<'py> = (Bound<'py, PyAny>, Bound<'py, PyDict>, Option<(i32, i32)>);

/// Stage 1: the facts of a piece's customers, the piece's report and the
/// (earliest, latest) day of its valid rows.
#[pyfunction]
#[pyo3(signature = (data, *, args))]
pub fn piece_facts<'py>(
    py: Python<'py>,
    data: AnyRecordBatch,
    args: PieceArgs<'py>,
) -> PyResult<Piece<'py>> {
    let (batch, report, days) = with_piece(py, data, args, None, |ing, opts, customer, cancel| {
        let days = ing.days;
        let (batch, report) = distributed::facts(ing, customer, opts, cancel)?;
        Ok((batch, report, days))
    })?;
    Ok((table(py, batch)?, report_dict(py, &report)?, days))
}

/// Stage 1 of a history (CV8): the facts of a piece's customers as of every
/// boundary of `bounds` (see [`history_bounds`]), the piece's report (rows on
/// or after `last_known` counted, I3) and the days of its valid rows.
#[pyfunction]
#[pyo3(signature = (data, *, args, bounds, last_known))]
pub fn piece_history_facts<'py>(
    py: Python<'py>,
    data: AnyRecordBatch,
    args: PieceArgs<'py>,
    bounds: Vec<i32>,
    last_known: Option<i32>,
) -> PyResult<Piece<'py>> {
    let count_after = Some(last_known);
    let (batch, report, days) = with_piece(
        py,
        data,
        args,
        count_after,
        |ing, opts, customer, cancel| {
            let days = ing.days;
            let (batch, report) = distributed::history_facts(ing, customer, opts, &bounds, cancel)?;
            Ok((batch, report, days))
        },
    )?;
    Ok((table(py, batch)?, report_dict(py, &report)?, days))
}

/// The boundaries of a history from `start` to `end` (CV8, defaults from the
/// (earliest, latest) day of every piece's valid rows, as one machine
/// resolves them), and the last one when it is known before the data is read
/// (the report counts the rows on or after it).
#[pyfunction]
#[pyo3(signature = (*, args, start, end, days))]
pub fn history_bounds(
    args: PieceArgs<'_>,
    start: Option<i32>,
    end: Option<i32>,
    days: Option<(i32, i32)>,
) -> PyResult<(Vec<i32>, Option<i32>)> {
    let bounds = Bounds::Range {
        start,
        end,
        through: false,
        extend: false,
    };
    let periods = &args.periods.0;
    Ok((bounds.resolve(periods, days)?, bounds.last_known(periods)))
}

/// The segmentations of a run in pieces, checked as `_core.segment` checks
/// them (on the driver, before any Spark job), and the run's `as_of`; with
/// the threads of the run.
fn what_of(args: PieceArgs<'_>) -> PyResult<(What, i32, Option<i64>)> {
    let PieceArgs {
        columns,
        run,
        periods,
        what,
        cv,
        rfm,
        clv,
        summary,
    } = args;
    let has_orders = columns.order.is_some();
    let (opts, mut choice, ..) = options(columns, &run, &periods, &what, cv, rfm, clv)?;
    choice.summary = summary.map(|u| u.parse()).transpose()?;
    choice.validate()?;
    if choice.summary.is_some() {
        crate::btyd::check_no_orders(has_orders)?;
    }
    let as_of = opts
        .as_of
        .ok_or_else(|| CoreError::Internal("a run in pieces needs its as_of".into()))?;
    Ok((choice, as_of, run.threads))
}

/// Stage 2: the (pool, key) rows of the customers of a table of facts.
#[pyfunction]
#[pyo3(signature = (facts, *, args))]
pub fn piece_keys<'py>(
    py: Python<'py>,
    facts: AnyRecordBatch,
    args: PieceArgs<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let (choice, as_of, threads) = what_of(args)?;
    let batch = crate::python::runtime::run(py, threads, |_| {
        distributed::keys(&one_batch(facts)?, as_of, &choice)
    })?;
    table(py, batch)
}

/// The (pool code, rank) pairs whose values the labels need, for pools of
/// `sizes` members (pool code to size); also checks the options on the driver.
#[pyfunction]
#[pyo3(signature = (sizes, *, args))]
pub fn pieces_wanted<'py>(
    sizes: BTreeMap<u8, usize>,
    args: PieceArgs<'py>,
) -> PyResult<Vec<(u8, usize)>> {
    let (choice, ..) = what_of(args)?;
    let wanted = distributed::wanted(&choice, &pools(sizes)?)?;
    Ok(wanted.into_iter().map(|(p, r)| (p.code(), r)).collect())
}

/// Pool codes as pools.
fn pools<T>(by_code: BTreeMap<u8, T>) -> Result<BTreeMap<Pool, T>> {
    by_code
        .into_iter()
        .map(|(c, v)| Ok((pool(c)?, v)))
        .collect()
}

/// The pool of a code (one the core gave out).
fn pool(code: u8) -> Result<Pool> {
    Pool::of_code(code).ok_or_else(|| CoreError::Internal(format!("no pool {code}")))
}

/// Stage 3: the output columns of the customers of a table of facts, with
/// the pools' `sizes` and their values `at` (pool code, rank, value) given.
#[pyfunction]
#[pyo3(signature = (facts, *, sizes, at, args))]
pub fn piece_labels<'py>(
    py: Python<'py>,
    facts: AnyRecordBatch,
    sizes: BTreeMap<u8, usize>,
    at: Vec<(u8, usize, i64)>,
    args: PieceArgs<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let customer = args.columns.customer.clone();
    let (choice, as_of, threads) = what_of(args)?;
    let given = Given {
        sizes: pools(sizes)?,
        at: at
            .into_iter()
            .map(|(code, rank, value)| Ok(((pool(code)?, rank), value)))
            .collect::<Result<_>>()?,
    };
    let batch = crate::python::runtime::run(py, threads, |_| {
        distributed::labels(&one_batch(facts)?, &customer, as_of, &choice, &given)
    })?;
    table(py, batch)
}
