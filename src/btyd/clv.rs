//! The discounted value of each customer over a horizon (CLV4), from a
//! BG/NBD and a Gamma-Gamma model.

use rayon::prelude::*;

use super::bgnbd::{
    bg_numerators, bg_odds, bg_p_alive, check_bg_params, per_x_t, BgData, BgParams,
};
use super::gamma_gamma::{gg_expected_spend, GgParams};
use super::summary::Unit;
use super::{bg_names, finite};
use crate::error::{CoreError, Result};

/// Days in a month of the horizon: the calendar average, 365.25 / 12
/// (`lifetimes` uses 30 days or 4.345 weeks).
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;
/// The longest horizon, in months.
const MAX_MONTHS: u32 = 12_000;

/// The summary's time unit, which the caller must know (CLV4).
pub fn known_unit(unit: Option<&str>) -> Result<Unit> {
    match unit {
        Some(u) => u.parse(),
        None => Err(CoreError::Config(
            "the summary's time unit is not known: pass unit=\"W\" (weeks) or unit=\"D\" (days) \
             (got None; CLV4)"
                .into(),
        )),
    }
}

/// Predictive CLV per customer over `months` months (CLV4):
/// sum over month i of spend * (E[Y(i f)] - E[Y((i - 1) f)]) / (1 + rate)^i,
/// with f the summary's time units per month ([`DAYS_PER_MONTH`] days).
pub struct Clv {
    pub expected_purchases: Vec<f64>,
    pub p_alive: Vec<f64>,
    pub expected_spend: Vec<f64>,
    pub clv: Vec<f64>,
}

/// See [`Clv`]. The columns must be checked for both models.
pub fn predictive_clv(
    bg: &BgParams,
    gg: &GgParams,
    d: BgData<'_>,
    m: &[f64],
    months: i64,
    rate: f64,
    unit: Unit,
) -> Result<Clv> {
    check_bg_params(bg)?;
    let months = u32::try_from(months)
        .ok()
        .filter(|&m| m <= MAX_MONTHS)
        .ok_or_else(|| {
            CoreError::Config(format!(
                "horizon_months must be 0 to {MAX_MONTHS}, got {months} (CLV4)"
            ))
        })?;
    let units_per_month = DAYS_PER_MONTH / unit.days();
    let expected_spend = gg_expected_spend(gg, d.x, m)?;
    if !(rate.is_finite() && rate > -1.0) {
        return Err(CoreError::Config(format!(
            "discount_rate must be a finite monthly rate > -1, got {rate} (CLV4)"
        )));
    }
    let p_alive = bg_p_alive(bg, d)?;
    // Per distinct (x, T): the numerators of the purchases over the horizon and of the
    // discounted purchases sum_i (E[Y(i f)] - E[Y((i - 1) f)]) / (1 + rate)^i; per row
    // they are divided by 1 + the row's dropout odds, and the latter multiplied by its spend.
    let ts: Vec<f64> = (1..=months)
        .map(|k| f64::from(k) * units_per_month)
        .collect();
    let discount: Vec<f64> = (1..=months)
        .map(|k| (1.0 + rate).powi(-(k as i32)))
        .collect();
    let (nums, group) = per_x_t(d, |x, tc| {
        let mut e = vec![0.0; ts.len()];
        bg_numerators(bg, x, tc, &ts, &mut e);
        let mut prev = 0.0;
        let mut discounted = 0.0;
        for (ek, dk) in e.iter().zip(&discount) {
            discounted += (ek - prev) * dk;
            prev = *ek;
        }
        (prev, discounted)
    });
    let rows: Vec<(f64, f64)> = (0..d.x.len())
        .into_par_iter()
        .map(|i| {
            let (e, disc) = nums[group[i] as usize];
            let alive = 1.0 + bg_odds(bg, d.x[i], d.tx[i], d.t[i]);
            (e / alive, expected_spend[i] * (disc / alive))
        })
        .collect();
    let (expected_purchases, clv): (Vec<f64>, Vec<f64>) = rows.into_iter().unzip();
    let expected_purchases = finite(expected_purchases, "the expected purchases", &bg_names(bg))?;
    let clv = finite(clv, "the CLV", &bg_names(bg))?;
    Ok(Clv {
        expected_purchases,
        p_alive,
        expected_spend,
        clv,
    })
}
