//! Several segmentations from one pass over the rows: Customer Value (section
//! 2), RFM (section 3), the simple CLV (section 4) and the BTYD summary
//! (CLV4) share the ingestion, the purchase events (I2) and the engine's
//! per-customer pass; each adds only its own columns. This is the one place
//! that composes the rule modules.

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::Field;

use crate::btyd::{self, Unit};
use crate::cancel::Cancel;
use crate::clv::{self, ClvOptions};
use crate::customer_value::{self, CvOptions};
use crate::engine::{self, Need, Options, Report, Segmented};
use crate::error::{CoreError, Result};
use crate::ingest::Ingested;
use crate::output;
use crate::ranks::{Ranks, Whole};
use crate::rfm::{self, RfmOptions};

/// Which segmentations a run computes, each with its options.
#[derive(Debug, Clone, Default)]
pub struct What {
    /// Customer Value (section 2).
    pub cv: Option<CvOptions>,
    pub rfm: Option<RfmOptions>,
    pub clv: Option<ClvOptions>,
    /// The BTYD summary of CLV4, in this time unit.
    pub summary: Option<Unit>,
}

/// The names `what` accepts, in output order.
const NAMES: [&str; 3] = ["cv", "rfm", "clv"];

impl What {
    /// The segmentations named in `names` (some of "cv", "rfm", "clv"), each
    /// with its options; the others' options are not used.
    pub fn parse(
        names: &[String],
        cv: CvOptions,
        rfm: RfmOptions,
        clv: ClvOptions,
    ) -> Result<What> {
        if let Some(bad) = names.iter().find(|n| !NAMES.contains(&n.as_str())) {
            return Err(CoreError::Config(format!(
                "what must hold some of \"cv\", \"rfm\", \"clv\", got {names:?} ({bad:?} is none of them)"
            )));
        }
        let has = |n: &str| names.iter().any(|x| x == n);
        Ok(What {
            cv: has("cv").then_some(cv),
            rfm: has("rfm").then_some(rfm),
            clv: has("clv").then_some(clv),
            summary: None,
        })
    }

    /// Checks every segmentation's options (I4) and that there is one at least.
    pub fn validate(&self) -> Result<()> {
        if self.cv.is_none() && self.rfm.is_none() && self.clv.is_none() && self.summary.is_none() {
            return Err(CoreError::Config(
                "what must name at least one of \"cv\", \"rfm\", \"clv\"".into(),
            ));
        }
        if let Some(c) = &self.cv {
            c.validate()?;
        }
        if let Some(r) = &self.rfm {
            r.validate()?;
        }
        if let Some(c) = &self.clv {
            c.validate()?;
        }
        Ok(())
    }

    /// The facts the engine must compute.
    pub(crate) fn need(&self) -> Need {
        Need {
            cv: self.cv.is_some(),
            extras: self.rfm.is_some() || self.clv.is_some() || self.summary.is_some(),
            clv: self.clv.is_some(),
        }
    }
}

/// Every segmentation of `what` for every customer with a purchase event
/// before `as_of`: one row per customer, sorted by customer key, the customer
/// column (named `customer_name`, the input's type) then the columns of CV7,
/// of RFM, of CLV and of the summary, in that order. With CV and RFM together
/// the RFM monetary value is named `rfm_monetary` (CV's `monetary` is CV3's).
pub fn segment(
    ing: Ingested,
    customer_name: &str,
    opts: &Options,
    what: &What,
    cancel: &Cancel,
) -> Result<(RecordBatch, Report)> {
    what.validate()?;
    if what.summary.is_some() {
        btyd::check_no_orders(ing.has_orders())?;
    }
    let customer_type = ing.customer_type.clone();
    let (seg, report, keys) = engine::run(ing, opts, what.need(), cancel)?;
    let mut clock = crate::timings::Phases::start();
    let mut fields = vec![Field::new(customer_name, customer_type.clone(), false)];
    let mut columns = vec![keys.take(&seg.ids(), &customer_type)?];
    drop(keys);
    clock.lap("customer column");
    let (f, c) = columns_of(&seg, what, &Whole)?;
    fields.extend(f);
    columns.extend(c);
    Ok((output::batch(fields, columns)?, report))
}

/// The columns of `what` for the customers of `seg` (those after the
/// customer column): CV7's, then RFM's, CLV's and the summary's; the tier
/// pools' sizes and order statistics from `ranks` ([`Whole`] on one machine).
pub(crate) fn columns_of(
    seg: &Segmented,
    what: &What,
    ranks: &dyn Ranks,
) -> Result<(Vec<Field>, Vec<ArrayRef>)> {
    let mut clock = crate::timings::Phases::start();
    let (mut fields, mut columns) = (vec![], vec![]);
    if let Some(c) = &what.cv {
        fields.extend(customer_value::fields("monetary"));
        columns.extend(customer_value::columns(seg, c, ranks)?);
        clock.lap("cv columns");
    }
    if let Some(r) = &what.rfm {
        let monetary = if what.cv.is_some() {
            "rfm_monetary"
        } else {
            "monetary"
        };
        fields.extend(rfm::fields(monetary, r));
        columns.extend(rfm::columns(seg, r, ranks)?);
        clock.lap("rfm columns");
    }
    if let Some(c) = &what.clv {
        fields.extend(clv::fields());
        columns.extend(clv::columns(seg, c, ranks)?);
        clock.lap("clv columns");
    }
    if let Some(unit) = what.summary {
        fields.extend(btyd::summary_fields());
        columns.extend(btyd::summary_columns(seg, unit));
    }
    Ok((fields, columns))
}

/// The Customer Value segmentation alone (section 2): [`segment`] of CV.
pub fn customer_value(
    ing: Ingested,
    customer_name: &str,
    opts: &Options,
    cv: &CvOptions,
    cancel: &Cancel,
) -> Result<(RecordBatch, Report)> {
    let what = What {
        cv: Some(cv.clone()),
        ..What::default()
    };
    segment(ing, customer_name, opts, &what, cancel)
}

#[cfg(test)]
mod tests;
