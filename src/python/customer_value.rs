//! Binding of [`crate::segment::segment`]: Customer Value, RFM and CLV from one pass.

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::input::AnyRecordBatch;
use pyo3_arrow::PyTable;

use crate::clv::ClvOptions;
use crate::customer_value::{CvOptions, Report};
use crate::error::CoreError;
use crate::ingest::{ingest, ColumnNames, IngestOptions, OnInvalid};
use crate::periods::{date_of, Periods};
use crate::python::periods::PyPeriods;
use crate::python::run::run;
use crate::rfm::{RfmOptions, RfmRule};
use crate::segment::{segment, What};
use crate::store::SpillOptions;

/// The report as a dict (turned into `custseg.Report` by the Python layer).
pub fn report_dict<'py>(py: Python<'py>, r: &Report) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("rows_read", r.rows_read)?;
    d.set_item("rows_used", r.rows_used)?;
    d.set_item("rows_after_as_of", r.rows_after_as_of)?;
    d.set_item(
        "rows_dropped",
        r.rows_dropped.clone().into_iter().collect::<Vec<_>>(),
    )?;
    d.set_item("customers_seen", r.customers_seen)?;
    d.set_item("customers_without_purchase", r.customers_without_purchase)?;
    d.set_item("customers", r.customers)?;
    d.set_item("bytes_spilled", r.bytes_spilled)?;
    d.set_item("as_of", r.as_of.and_then(date_of).map(|d: NaiveDate| d))?;
    Ok(d)
}

/// The first explicit boundary, before which no day can be placed (P1).
pub fn earliest_day(p: &Periods) -> Option<i32> {
    match p {
        Periods::Boundaries(b) => b.first().copied(),
        Periods::Regular { .. } => None,
    }
}

/// A rules table row from Python: (name, r_lo, r_hi, f_lo, f_hi, m_lo, m_hi).
type RuleTuple = (String, u8, u8, u8, u8, u8, u8);

/// Customer Value, RFM and CLV (sections 2-4) from one pass over `data`; see
/// `custseg.segment`. `what` names the segmentations ("cv", "rfm", "clv").
#[pyfunction(name = "segment")]
#[pyo3(signature = (data, *, customer, date, amount, order, as_of, periods, what,
    sales_only=false, sales_months=vec![1, 7], sales_lookback=4, cuts=vec![0.05, 0.25, 0.5],
    monetary_periods=2, count_zero_days=false, bins=5, rfm_monetary="sum", rules=None,
    lifetime_years=None, tiers=vec![0.2, 0.8], value_threshold=None, loyalty_threshold=None,
    unit="W", on_invalid="raise", threads=None, rows_hint=None, memory_limit=None, spill_dir=None))]
#[allow(clippy::too_many_arguments)]
pub fn segment_py<'py>(
    py: Python<'py>,
    data: AnyRecordBatch,
    customer: String,
    date: String,
    amount: String,
    order: Option<String>,
    as_of: Option<i32>,
    periods: PyRef<'py, PyPeriods>,
    what: Vec<String>,
    sales_only: bool,
    sales_months: Vec<i64>,
    sales_lookback: i64,
    cuts: Vec<f64>,
    monetary_periods: i64,
    count_zero_days: bool,
    bins: u8,
    rfm_monetary: &str,
    rules: Option<Vec<RuleTuple>>,
    lifetime_years: Option<f64>,
    tiers: Vec<f64>,
    value_threshold: Option<f64>,
    loyalty_threshold: Option<f64>,
    unit: &str,
    on_invalid: &str,
    threads: Option<i64>,
    rows_hint: Option<usize>,
    memory_limit: Option<u64>,
    spill_dir: Option<std::path::PathBuf>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
    let on_invalid: OnInvalid = on_invalid.parse()?;
    let opts = CvOptions {
        periods: periods.0.clone(),
        as_of,
        sales_only,
        sales_months,
        sales_lookback,
        cuts,
        monetary_periods,
        count_zero_days,
    };
    opts.validate()?;
    let monetary_mean = match rfm_monetary {
        "sum" => false,
        "mean" => true,
        other => {
            return Err(CoreError::Config(format!(
                "monetary must be \"sum\" or \"mean\", got {other:?} (rule R1)"
            ))
            .into())
        }
    };
    let mut choice = What::default();
    for w in &what {
        match w.as_str() {
            "cv" => choice.cv = true,
            "rfm" => {
                choice.rfm = Some(RfmOptions {
                    bins,
                    monetary_mean,
                    rules: match &rules {
                        None => crate::rfm::default_rules(),
                        Some(rs) => rs
                            .iter()
                            .map(|(name, r0, r1, f0, f1, m0, m1)| RfmRule {
                                name: name.clone(),
                                r: (*r0, *r1),
                                f: (*f0, *f1),
                                m: (*m0, *m1),
                            })
                            .collect(),
                    },
                })
            }
            "clv" => {
                choice.clv = Some(ClvOptions {
                    lifetime_years,
                    tiers: tiers.clone(),
                    value_threshold,
                    loyalty_threshold,
                })
            }
            "summary" => {
                choice.summary = Some(match unit {
                    "D" => 1.0,
                    "W" => 7.0,
                    other => {
                        return Err(CoreError::Config(format!(
                            "unit must be \"D\" (days) or \"W\" (weeks), got {other:?} (CLV4)"
                        ))
                        .into())
                    }
                })
            }
            other => {
                return Err(CoreError::Config(format!(
                    "what must hold \"cv\", \"rfm\", \"clv\" or \"summary\", got {other:?}"
                ))
                .into())
            }
        }
    }
    let names = ColumnNames {
        customer,
        date,
        amount,
        order,
    };
    let ingest_opts = IngestOptions {
        on_invalid,
        earliest_day: earliest_day(&opts.periods),
        rows_hint,
        as_of,
        spill: SpillOptions {
            memory_limit,
            dir: spill_dir,
        },
    };
    let reader = data.into_reader()?;
    let (batch, report) = run(py, threads, |cancel| {
        let schema = reader.schema();
        let ing = ingest(reader, &schema, &names, &ingest_opts, cancel)?;
        segment(ing, &names.customer, &opts, &choice, cancel)
    })?;
    let schema = batch.schema();
    let table = PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)?;
    Ok((table, report_dict(py, &report)?))
}
