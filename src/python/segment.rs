//! Binding of [`crate::segment::segment`]: Customer Value, RFM, CLV and the
//! BTYD summary from one pass. The options arrive as the typed dataclasses of
//! `custseg/_options.py`, read attribute by attribute; every option is parsed
//! and checked by the core ([`OnInvalid`], [`Monetary`], [`What`], [`Unit`],
//! [`RfmRule::parse`]), none here.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyDictMethods};
use pyo3_arrow::input::AnyRecordBatch;

use crate::clv::ClvOptions;
use crate::customer_value::CvOptions;
use crate::engine::Options;
use crate::error::CoreError;
use crate::ingest::{ingest, ColumnNames, IngestOptions, OnInvalid};
use crate::python::output::{report_dict, table};
use crate::python::periods::PyPeriods;
use crate::rfm::{Monetary, RfmOptions, RfmRule, ScoreRange};
use crate::segment::{segment, What};
use crate::store::SpillOptions;

/// `custseg._options.Columns`: the names of the input columns.
#[derive(FromPyObject)]
pub struct ColumnArgs {
    pub(crate) customer: String,
    date: String,
    amount: String,
    pub(crate) order: Option<String>,
}

/// `custseg._options.RunOptions`: the run's day (I3), purchase events (I2),
/// invalid rows (I4), threads and memory.
#[derive(FromPyObject)]
pub struct RunArgs {
    pub(crate) as_of: Option<i32>,
    count_zero_days: bool,
    on_invalid: String,
    pub(crate) threads: Option<i64>,
    rows_hint: Option<usize>,
    memory_limit: Option<u64>,
    spill_dir: Option<std::path::PathBuf>,
}

/// `custseg._options.CvOptions` (section 2).
#[derive(FromPyObject)]
pub struct CvArgs {
    sales_only: bool,
    sales_months: Vec<i64>,
    sales_lookback: i64,
    cuts: Vec<f64>,
    monetary_periods: i64,
}

/// `custseg._options.RfmOptions` (section 3); `segments` are the records of
/// the rules table (R3) as the user wrote them.
#[derive(FromPyObject)]
pub struct RfmArgs<'py> {
    bins: u8,
    monetary: String,
    segments: Option<Vec<Bound<'py, PyAny>>>,
}

/// `custseg._options.ClvOptions` (CLV1-CLV3a).
#[derive(FromPyObject)]
pub struct ClvArgs {
    lifetime_years: Option<f64>,
    cuts: Vec<f64>,
    value_threshold: Option<f64>,
    loyalty_threshold: Option<f64>,
    tenure_threshold: Option<f64>,
}

/// The segmentations of `what` (some of "cv", "rfm", "clv"; and the BTYD
/// summary in time unit `summary`, "D" or "W") of every customer of `data`,
/// from one pass; see `custseg.segment`. Returns a pyarrow Table and the
/// report as a dict.
#[pyfunction(name = "segment")]
#[pyo3(signature = (data, *, columns, run, periods, what, cv, rfm, clv, summary=None))]
#[allow(clippy::too_many_arguments)]
pub fn segment_py<'py>(
    py: Python<'py>,
    data: AnyRecordBatch,
    columns: ColumnArgs,
    run: RunArgs,
    periods: PyRef<'py, PyPeriods>,
    what: Vec<String>,
    cv: CvArgs,
    rfm: RfmArgs<'py>,
    clv: ClvArgs,
    summary: Option<String>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
    let (opts, mut choice, names, ingest_opts) =
        options(columns, &run, &periods, &what, cv, rfm, clv)?;
    choice.summary = summary.map(|u| u.parse()).transpose()?;
    let reader = data
        .into_reader()
        .map_err(|e| CoreError::Input(e.to_string()))?;
    let (batch, report) = crate::python::runtime::run(py, run.threads, |cancel| {
        let schema = reader.schema();
        let ing = ingest(reader, &schema, &names, &ingest_opts, cancel)?;
        segment(ing, &names.customer, &opts, &choice, cancel)
    })?;
    Ok((table(py, batch)?, report_dict(py, &report)?))
}

/// The options of a run from the dataclasses of `custseg/_options.py`: the
/// pass's, the segmentations', the column names and the ingestion's.
pub(crate) fn options(
    columns: ColumnArgs,
    run: &RunArgs,
    periods: &PyPeriods,
    what: &[String],
    cv: CvArgs,
    rfm: RfmArgs<'_>,
    clv: ClvArgs,
) -> PyResult<(Options, What, ColumnNames, IngestOptions)> {
    let opts = Options {
        periods: periods.0.clone(),
        as_of: run.as_of,
        count_zero_days: run.count_zero_days,
        monetary_periods: cv.monetary_periods,
        sales_only: cv.sales_only,
        sales_months: cv.sales_months,
        sales_lookback: cv.sales_lookback,
    };
    let choice = What::parse(
        what,
        CvOptions { cuts: cv.cuts },
        rfm_options(rfm)?,
        ClvOptions {
            lifetime_years: clv.lifetime_years,
            cuts: clv.cuts,
            value_threshold: clv.value_threshold,
            loyalty_threshold: clv.loyalty_threshold,
            tenure_threshold: clv.tenure_threshold,
        },
    )?;
    let names = ColumnNames {
        customer: columns.customer,
        date: columns.date,
        amount: columns.amount,
        order: columns.order,
    };
    let ingest_opts = IngestOptions {
        on_invalid: run.on_invalid.parse::<OnInvalid>()?,
        earliest_day: opts.earliest_day(),
        rows_hint: run.rows_hint,
        as_of: run.as_of,
        spill: SpillOptions {
            memory_limit: run.memory_limit,
            dir: run.spill_dir.clone(),
        },
    };
    Ok((opts, choice, names, ingest_opts))
}

/// The RFM options, the rules table parsed by the core (R3).
fn rfm_options(rfm: RfmArgs<'_>) -> PyResult<RfmOptions> {
    let rules = match rfm.segments {
        None => crate::rfm::default_rules(),
        Some(records) => records
            .iter()
            .enumerate()
            .map(|(i, r)| rule(i, r))
            .collect::<PyResult<_>>()?,
    };
    Ok(RfmOptions {
        bins: rfm.bins,
        monetary: rfm.monetary.parse::<Monetary>()?,
        rules,
    })
}

/// Rule `i` of the rules table from its record (`segment`, `r`, `f`, `m`).
fn rule(i: usize, record: &Bound<'_, PyAny>) -> PyResult<RfmRule> {
    let missing = || -> PyErr {
        let shown = record.repr().map_or_else(|_| "?".into(), |r| r.to_string());
        CoreError::Config(format!(
            "segments: rule {i} must have the keys segment, r, f, m; got {shown} (rule R3)"
        ))
        .into()
    };
    let dict = record.cast::<PyDict>().map_err(|_| missing())?;
    let item = |key: &str| dict.get_item(key).ok().flatten().ok_or_else(missing);
    let name = item("segment")?.str()?.to_string();
    let ranges = [
        score_range(&item("r")?),
        score_range(&item("f")?),
        score_range(&item("m")?),
    ];
    Ok(RfmRule::parse(i, name, ranges)?)
}

/// A score range as written: text, a whole number, or a pair of them.
fn score_range(v: &Bound<'_, PyAny>) -> ScoreRange {
    if let Ok(s) = v.extract::<String>() {
        return ScoreRange::Text(s);
    }
    if let Ok(x) = v.extract::<i64>() {
        return ScoreRange::One(x);
    }
    if let Ok(x) = v.extract::<f64>() {
        if x.fract() == 0.0 && x.abs() < 1e15 {
            return ScoreRange::One(x as i64);
        }
    }
    match v.extract::<Vec<i64>>() {
        Ok(p) if p.len() == 2 => ScoreRange::Pair(p[0], p[1]),
        _ => ScoreRange::Invalid(v.repr().map_or_else(|_| "?".into(), |r| r.to_string())),
    }
}
