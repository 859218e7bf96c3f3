//! Binding of [`crate::customer_value::customer_value`].

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::input::AnyRecordBatch;
use pyo3_arrow::PyTable;

use crate::customer_value::{customer_value, CvOptions, Report};
use crate::ingest::{ingest, ColumnNames, IngestOptions, OnInvalid};
use crate::periods::{date_of, Periods};
use crate::python::periods::PyPeriods;
use crate::python::run::run;
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

/// Customer Value segmentation (section 2); see `custseg.customer_value`.
#[pyfunction(name = "customer_value")]
#[pyo3(signature = (data, *, customer, date, amount, order, as_of, periods, sales_only,
    sales_months, sales_lookback, cuts, monetary_periods, count_zero_days, on_invalid, threads, rows_hint=None, memory_limit=None, spill_dir=None))]
#[allow(clippy::too_many_arguments)]
pub fn customer_value_py<'py>(
    py: Python<'py>,
    data: AnyRecordBatch,
    customer: String,
    date: String,
    amount: String,
    order: Option<String>,
    as_of: Option<i32>,
    periods: PyRef<'py, PyPeriods>,
    sales_only: bool,
    sales_months: Vec<i64>,
    sales_lookback: i64,
    cuts: Vec<f64>,
    monetary_periods: i64,
    count_zero_days: bool,
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
        customer_value(ing, &names.customer, &opts, cancel)
    })?;
    let schema = batch.schema();
    let table = PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)?;
    Ok((table, report_dict(py, &report)?))
}
