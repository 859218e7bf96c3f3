//! Several segmentations from one pass over the rows (issue 4): Customer Value
//! (section 2), RFM (section 3) and the simple CLV (section 4) share the
//! ingestion, the purchase events (I2) and the per-customer pass; each adds
//! only its own columns.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{Field, Schema};

use crate::cancel::Cancel;
use crate::clv::{self, ClvOptions};
use crate::customer_value::{cv_columns, fields_cv, run, CvOptions, Need, Report};
use crate::error::{CoreError, Result};
use crate::ingest::Ingested;
use crate::rfm::{self, RfmOptions};

/// Which segmentations a run computes.
#[derive(Debug, Clone, Default)]
pub struct What {
    /// Customer Value (section 2), with the options of the run's [`CvOptions`].
    pub cv: bool,
    pub rfm: Option<RfmOptions>,
    pub clv: Option<ClvOptions>,
    /// The BTYD summary of CLV4, with time in units of this many days (1 or 7).
    pub summary: Option<f64>,
}

/// The column names a run gives: `monetary` of CV and RFM differ, so with
/// both the RFM one is `rfm_monetary`.
fn rfm_monetary(what: &What) -> &'static str {
    if what.cv {
        "rfm_monetary"
    } else {
        "monetary"
    }
}

/// Every segmentation of `what` for every customer with a purchase event
/// before `as_of`: one row per customer, sorted by customer key, the customer
/// column then the columns of CV7, of RFM and of CLV, in that order.
pub fn segment(
    ing: Ingested,
    customer_name: &str,
    opts: &CvOptions,
    what: &What,
    cancel: &Cancel,
) -> Result<(RecordBatch, Report)> {
    if !what.cv && what.rfm.is_none() && what.clv.is_none() && what.summary.is_none() {
        return Err(CoreError::Config(
            "what must name at least one of \"cv\", \"rfm\", \"clv\", \"summary\"".into(),
        ));
    }
    if let Some(unit) = what.summary {
        if !(unit.is_finite() && unit > 0.0) {
            return Err(CoreError::Config(format!(
                "the summary's time unit must be a positive number of days, got {unit} (CLV4)"
            )));
        }
        if ing.has_orders() {
            return Err(CoreError::Config(
                "the BTYD summary counts purchase events per customer-day (CLV4): pass no order column".into(),
            ));
        }
    }
    if let Some(r) = &what.rfm {
        r.validate()?;
    }
    if let Some(c) = &what.clv {
        c.validate()?;
    }
    let customer_type = ing.customer_type.clone();
    let need = Need {
        cv: what.cv,
        extras: what.rfm.is_some() || what.clv.is_some() || what.summary.is_some(),
        clv: what.clv.is_some(),
    };
    let (seg, report, keys) = run(ing, opts, need, cancel)?;
    let mut clock = crate::timings::Phases::start();

    let mut fields = vec![Field::new(customer_name, customer_type.clone(), false)];
    let mut columns = vec![keys.take(&seg.ids(), &customer_type)?];
    drop(keys);
    clock.lap("customer column");
    if what.cv {
        fields.extend(fields_cv("monetary"));
        columns.extend(cv_columns(&seg)?);
        clock.lap("cv columns");
    }
    if let Some(r) = &what.rfm {
        fields.extend(rfm::fields(rfm_monetary(what)));
        columns.extend(rfm::columns(&seg, r)?);
        clock.lap("rfm columns");
    }
    if let Some(c) = &what.clv {
        fields.extend(clv::fields());
        columns.extend(clv::columns(&seg, c)?);
        clock.lap("clv columns");
    }
    if let Some(unit) = what.summary {
        fields.extend(crate::btyd::summary_fields());
        columns.extend(crate::btyd::summary_columns(&seg, unit));
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    Ok((batch, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{ingest, ColumnNames, IngestOptions};
    use crate::periods::parse_day;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int32Type, Int64Type, Int8Type};
    use arrow_array::{Date32Array, Float64Array, Int64Array};
    use arrow_schema::DataType;

    fn d(s: &str) -> i32 {
        parse_day(s).unwrap()
    }

    fn run_what(rows: &[(i64, &str, f64)], as_of: &str, what: &What) -> Result<RecordBatch> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("c", DataType::Int64, false),
            Field::new("d", DataType::Date32, false),
            Field::new("a", DataType::Float64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| d(r.1)))),
                Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2))),
            ],
        )?;
        let names = ColumnNames {
            customer: "c".into(),
            date: "d".into(),
            amount: "a".into(),
            order: None,
        };
        let opts = CvOptions {
            as_of: Some(d(as_of)),
            ..Default::default()
        };
        let io = IngestOptions {
            as_of: opts.as_of,
            ..Default::default()
        };
        let cancel = Cancel::new();
        let ing = ingest(std::iter::once(Ok(batch)), &schema, &names, &io, &cancel)?;
        Ok(segment(ing, "c", &opts, what, &cancel)?.0)
    }

    #[test]
    fn r1_r2_hand_worked() {
        // as_of 2026-01-01. Customer 1: two purchase days (last 2025-12-01, 31 days before),
        // net 100 - 20 (return on a third day) = 80. Customer 2: one day, 2025-06-01, 50.
        // Customer 3: one day 2025-12-31 (1 day before), 10.
        let rows = [
            (1, "2025-03-01", 60.0),
            (1, "2025-12-01", 40.0),
            (1, "2025-12-10", -20.0),
            (2, "2025-06-01", 50.0),
            (3, "2025-12-31", 10.0),
        ];
        let what = What {
            rfm: Some(RfmOptions {
                bins: 3,
                rules: vec![],
                ..Default::default()
            }),
            ..Default::default()
        };
        let out = run_what(&rows, "2026-01-01", &what).unwrap();
        let col = |name: &str| out.column(out.schema().index_of(name).unwrap()).clone();
        let rec = col("recency_days");
        assert_eq!(rec.as_primitive::<Int32Type>().values(), &[31, 214, 1]);
        assert_eq!(
            col("frequency").as_primitive::<Int64Type>().values(),
            &[2, 1, 1]
        );
        assert_eq!(
            col("monetary").as_primitive::<Float64Type>().values(),
            &[80.0, 50.0, 10.0]
        );
        // R: customer 3 best (r=0 -> 3), 1 next (r=1/3 -> 3 - 1 = 2), 2 last (r=2/3 -> 1).
        assert_eq!(
            col("r_score").as_primitive::<Int8Type>().values(),
            &[2, 1, 3]
        );
        // F: customer 1 best (3); 2 and 3 tie with one better (r=1/3 -> 2).
        assert_eq!(
            col("f_score").as_primitive::<Int8Type>().values(),
            &[3, 2, 2]
        );
        assert_eq!(
            col("m_score").as_primitive::<Int8Type>().values(),
            &[3, 2, 1]
        );
        assert_eq!(col("rfm_cell").as_string::<i32>().value(0), "233");
    }

    #[test]
    fn i5_what_may_overflow_does_not_depend_on_row_order() {
        // The CV3 window (the last two days, 5e12 each) leaves the fixed-point range, the
        // net sum (with an old -5e12 return) does not: RFM, which needs only the net, gives
        // it whatever the order of the rows; Customer Value is an error in both orders (I6).
        let rows = [
            (1, "2024-01-10", -5e12),
            (1, "2025-11-01", 5e12),
            (1, "2025-12-01", 5e12),
        ];
        let mut reversed = rows;
        reversed.reverse();
        let rfm = What {
            rfm: Some(RfmOptions::default()),
            ..Default::default()
        };
        let cv = What {
            cv: true,
            ..Default::default()
        };
        for rows in [&rows, &reversed] {
            let out = run_what(rows, "2026-01-01", &rfm).unwrap();
            let m = out.column(out.schema().index_of("monetary").unwrap());
            assert_eq!(m.as_primitive::<Float64Type>().value(0), 5e12);
            let e = run_what(rows, "2026-01-01", &cv).unwrap_err();
            assert!(matches!(e, CoreError::SumOverflow { .. }), "{e}");
        }
    }

    #[test]
    fn what_must_name_something() {
        let e = run_what(&[(1, "2025-01-01", 1.0)], "2026-01-01", &What::default());
        assert!(matches!(e, Err(CoreError::Config(m)) if m.contains("at least one")));
    }
}
