//! The transaction columns read row by row, for the analyses that keep other
//! columns beside them (the profile of what each segment buys): the same
//! column checks, date and amount conversion and invalid-row rule as the
//! ingestion (I1, I4, I6), without the store.

use std::collections::BTreeMap;

use arrow_array::{Array, RecordBatch};
use arrow_schema::Schema;

use super::convert::{check_amount_type, date_kind, raw_date, DateKind};
use super::invalid::{amount_text, find_column, row_error, unsupported, Bad, CUSTOMER_TYPES};
use super::{convert_window, ColumnNames, OnInvalid, Reason};
use crate::error::Result;
use crate::keys::{key_kind, KeyKind};

/// Where the customer, date and amount columns are and how they are read.
#[derive(Debug)]
pub struct RowColumns {
    names: ColumnNames,
    pub customer: usize,
    pub customer_kind: KeyKind,
    date: usize,
    amount: usize,
    dates: DateKind,
}

/// The converted rows of one window: `days` and `amounts` (millionths, I6)
/// are meaningful where `ok` (empty: every row is valid).
#[derive(Debug, Default)]
pub struct Window {
    pub days: Vec<i32>,
    pub amounts: Vec<i64>,
    pub ok: Vec<bool>,
}

impl Window {
    /// Whether row `i` of the window is valid (I4).
    #[inline]
    pub fn is_ok(&self, i: usize) -> bool {
        self.ok.is_empty() || self.ok[i]
    }
}

impl RowColumns {
    /// Finds the columns of `names` (the order is not read) and checks their
    /// types (I4).
    pub fn locate(schema: &Schema, names: &ColumnNames) -> Result<RowColumns> {
        let customer = find_column(schema, &names.customer, "customer")?;
        let date = find_column(schema, &names.date, "date")?;
        let amount = find_column(schema, &names.amount, "amount")?;
        let cdt = schema.field(customer).data_type();
        let customer_kind = key_kind(cdt)
            .ok_or_else(|| unsupported(&names.customer, "customer", cdt, CUSTOMER_TYPES))?;
        check_amount_type(&names.amount, schema.field(amount).data_type())?;
        Ok(RowColumns {
            dates: date_kind(&names.date, schema.field(date).data_type())?,
            names: names.clone(),
            customer,
            customer_kind,
            date,
            amount,
        })
    }

    /// Converts rows `start..start + n` of `batch` (`offset` rows before the
    /// batch, for messages) into `out`. An invalid row (null customer, date or
    /// amount, a date or amount that does not convert) raises an error naming
    /// the column, the row and the rule, or with [`OnInvalid::Drop`] is
    /// marked not ok and counted by reason in `dropped`.
    pub fn convert(
        &self,
        batch: &RecordBatch,
        (start, n, offset): (usize, usize, u64),
        on_invalid: OnInvalid,
        dropped: &mut BTreeMap<&'static str, u64>,
        out: &mut Window,
    ) -> Result<()> {
        let dcol = batch.column(self.date).slice(start, n);
        let acol = batch.column(self.amount).slice(start, n);
        out.days.resize(n, 0);
        out.amounts.resize(n, 0);
        let mut bad = convert_window(
            &dcol,
            &acol,
            &self.dates,
            None,
            &mut out.days,
            &mut out.amounts,
        )?;
        null_customers(
            batch.column(self.customer).slice(start, n).as_ref(),
            &mut bad,
        );
        bad.sort_unstable();
        bad.dedup_by_key(|b| b.0);
        out.ok.clear();
        let Some(&(row, reason)) = bad.first() else {
            return Ok(());
        };
        if on_invalid == OnInvalid::Raise {
            let (value, raw) = (
                amount_text(acol.as_ref(), row),
                raw_date(dcol.as_ref(), row, &self.dates),
            );
            let at = offset + (start + row) as u64;
            return Err(row_error(
                &self.names,
                reason,
                at,
                value,
                dcol.as_ref(),
                row,
                raw,
            ));
        }
        out.ok.resize(n, true);
        for &(i, reason) in &bad {
            out.ok[i] = false;
            *dropped.entry(reason.name()).or_default() += 1;
        }
        Ok(())
    }
}

/// Adds the rows whose customer is null (a null, or a dictionary key pointing
/// at a null value) to `bad`.
fn null_customers(customers: &dyn Array, bad: &mut Bad) {
    if let Some(nulls) = customers.logical_nulls() {
        bad.extend(
            nulls
                .iter()
                .enumerate()
                .filter(|(_, v)| !v)
                .map(|(i, _)| (i, Reason::NullCustomer)),
        );
    }
}
