//! The BTYD models (CLV4) at extreme parameters and summaries: every
//! log-likelihood and prediction is a number or a clear error, never a panic,
//! and never NaN (or a probability outside [0, 1]) handed back as a result.

use arbitrary::{Arbitrary, Unstructured};
use custseg::btyd::{
    bg_conditional_expected, bg_log_likelihood, bg_p_alive, bg_population_expected, check_bgnbd,
    check_gamma_gamma, fit_bgnbd, fit_gamma_gamma, gg_expected_spend, gg_log_likelihood,
    predictive_clv, BgData, Names, Unit,
};
use custseg::cancel::Cancel;

/// A positive number from 2^-60 to 2^60, or (rarely) a raw value such as 0,
/// a negative number, NaN or infinity.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Num {
    Scaled { mantissa: u16, exponent: i8 },
    Raw(f64),
}

impl Num {
    fn get(self) -> f64 {
        match self {
            Num::Scaled { mantissa, exponent } => {
                (1.0 + f64::from(mantissa) / 65_536.0) * 2f64.powi(i32::from(exponent % 61))
            }
            Num::Raw(v) => v,
        }
    }
}

/// A summary row: frequency, recency and T (recency clipped to T), spend.
#[derive(Arbitrary, Debug)]
struct Row {
    x: u16,
    tx: Num,
    t: Num,
    m: Num,
}

#[derive(Arbitrary, Debug)]
struct Case {
    bg: [Num; 4],
    gg: [Num; 3],
    rows: Vec<Row>,
    horizon: Num,
    months: u8,
    rate: Num,
    fit: bool,
}

pub fn run(data: &[u8]) {
    let Ok(case) = Case::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    if std::env::var_os("CUSTSEG_FUZZ_DEBUG").is_some() {
        eprintln!("{case:?}");
    }
    let rows = &case.rows[..case.rows.len().min(200)];
    let x: Vec<f64> = rows.iter().map(|r| f64::from(r.x % 1_000)).collect();
    let t: Vec<f64> = rows.iter().map(|r| r.t.get()).collect();
    let tx: Vec<f64> = rows
        .iter()
        .zip(&t)
        .map(|(r, &t)| r.tx.get().min(t))
        .collect();
    let m: Vec<f64> = rows.iter().map(|r| r.m.get()).collect();
    let names = Names::default();
    if check_bgnbd(&x, &tx, &t, &names).is_err() {
        return;
    }
    let d = BgData {
        x: &x,
        tx: &tx,
        t: &t,
    };
    let bg = case.bg.map(Num::get);
    bg_predictions(&bg, d, case.horizon.get());
    if check_gamma_gamma(&x, &m, &names).is_ok() {
        let gg = case.gg.map(Num::get);
        if let Ok(ll) = gg_log_likelihood(&gg, &x, &m) {
            assert!(ll.is_finite(), "Gamma-Gamma log-likelihood {ll} at {gg:?}");
        }
        if let Ok(s) = gg_expected_spend(&gg, &x, &m) {
            assert!(
                s.iter().all(|v| v.is_finite()),
                "expected spend {s:?} at {gg:?}"
            );
        }
        let clv = predictive_clv(
            &bg,
            &gg,
            d,
            &m,
            i64::from(case.months),
            case.rate.get(),
            Unit::Weeks,
        );
        if let Ok(c) = clv {
            for col in [&c.clv, &c.expected_purchases, &c.expected_spend] {
                assert!(
                    col.iter().all(|v| v.is_finite()),
                    "CLV {col:?} at {bg:?} {gg:?}"
                );
            }
        }
        if case.fit && rows.len() <= 40 {
            check_fit(fit_gamma_gamma(&x, &m, 0.0, &Cancel::new()).map(|f| f.params.to_vec()));
        }
    }
    if case.fit && rows.len() <= 40 {
        check_fit(fit_bgnbd(d, 0.0, &Cancel::new()).map(|f| f.params.to_vec()));
    }
}

fn bg_predictions(bg: &[f64; 4], d: BgData<'_>, horizon: f64) {
    if let Ok(ll) = bg_log_likelihood(bg, d) {
        assert!(ll.is_finite(), "BG/NBD log-likelihood {ll} at {bg:?}");
    }
    if let Ok(p) = bg_p_alive(bg, d) {
        assert!(
            p.iter().all(|v| (0.0..=1.0).contains(v)),
            "P(alive) {p:?} at {bg:?}"
        );
    }
    if let Ok(e) = bg_conditional_expected(bg, d, horizon) {
        assert!(
            e.iter().all(|v| v.is_finite() && *v >= 0.0),
            "E[Y] {e:?} at {bg:?}"
        );
    }
    if let Ok(e) = bg_population_expected(bg, horizon) {
        assert!(
            e.is_finite() && e >= 0.0,
            "E[X(t)] {e} at {bg:?} t={horizon}"
        );
    }
}

/// A fit is fitted parameters (finite, > 0) or a clear error.
fn check_fit(fit: custseg::error::Result<Vec<f64>>) {
    match fit {
        Ok(p) => assert!(p.iter().all(|v| v.is_finite() && *v > 0.0), "fitted {p:?}"),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}
