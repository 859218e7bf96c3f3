//! The distribution of the number of repeat purchases under BG/NBD (CLV4):
//! P(X(t) = x), Fader, Hardie and Lee (2005), "Counting Your Customers the
//! Easy Way", equation (8). The model checks compare it with the observed
//! calibration counts (the period-transactions check).
//!
//! With p = alpha / (alpha + t), q = t / (alpha + t), NB_j = Gamma(r + j) /
//! (Gamma(r) j!) p^r q^j (the negative binomial the Gamma mixture of Poisson
//! processes gives) and beta_x = B(a, b + x) / B(a, b):
//!
//! P(X(t) = x) = beta_x [NB_x + a / (b + x - 1) P(NB >= x)]   (x > 0),
//! P(X(t) = 0) = NB_0,
//!
//! since B(a + 1, b + x - 1) / B(a, b + x) = a / (b + x - 1). Every factor is
//! built in log space by ratios of consecutive terms (no gamma function of a
//! large argument, whose differences lose digits), and the tail P(NB >= x)
//! is 1 - P(NB < x) only while that is >= 1/2; beyond, it is summed upward,
//! so that small probabilities keep their relative precision.

use super::bgnbd::check_bg_params;
use super::{bg_names, finite, BgParams};
use crate::error::{CoreError, Result};

/// The longest distribution handed back (entries 0..=n_max): a guard against
/// an n_max that would only exhaust memory.
pub const MAX_PURCHASES: usize = 10_000_000;

/// Most terms of the upward tail sum before it gives up (NaN, then an error).
const MAX_TAIL_TERMS: usize = 100_000_000;

/// P(X(t) = x) for x = 0..=n_max: the probability that a customer makes
/// exactly x repeat purchases in the first `t` time units after the first
/// purchase (the last entry is P(X(t) = n_max), not a tail), under BG/NBD
/// (Fader, Hardie and Lee 2005, eq. 8; CLV4). A finite number per entry, or
/// an error naming the parameters.
pub fn bg_probability_of_purchases(p: &BgParams, t: f64, n_max: usize) -> Result<Vec<f64>> {
    check_bg_params(p)?;
    check_horizon(t)?;
    if n_max > MAX_PURCHASES {
        return Err(CoreError::Config(format!(
            "n_max is {n_max}; the distribution is computed for at most {MAX_PURCHASES} purchases (CLV4)"
        )));
    }
    let [r, alpha, a, b] = *p;
    let mut out = vec![0.0; n_max + 1];
    if t == 0.0 {
        out[0] = 1.0; // nothing can happen in no time
        return Ok(out);
    }
    let nb = NegBin::new(r, alpha, t);
    let ln_nb = nb.ln_terms(n_max);
    let tail = nb.tails(&ln_nb);
    // ln beta_x = sum over j < x of ln((b + j) / (a + b + j)).
    let mut ln_beta = 0.0;
    out[0] = ln_nb[0].exp();
    for x in 1..=n_max {
        let j = (x - 1) as f64;
        ln_beta += (-a / (a + b + j)).ln_1p();
        let xf = x as f64;
        out[x] = ln_beta.exp() * (ln_nb[x].exp() + a / (b + xf - 1.0) * tail[x]);
    }
    let at = [&bg_names(p)[..], &[("t", t)]].concat();
    finite(out, "P(X(t) = x)", &at)
}

fn check_horizon(t: f64) -> Result<()> {
    if !(t.is_finite() && t >= 0.0) {
        return Err(CoreError::Config(format!(
            "t must be a finite number >= 0, got {t} (CLV4)"
        )));
    }
    Ok(())
}

/// The negative binomial count of a Gamma(r, alpha) mixture of Poisson
/// processes over `t`: NB_j = Gamma(r + j) / (Gamma(r) j!) p^r q^j.
struct NegBin {
    r: f64,
    /// ln p, ln q and q, from ln(1 + t / alpha) without cancellation.
    ln_p: f64,
    ln_q: f64,
    q: f64,
}

impl NegBin {
    fn new(r: f64, alpha: f64, t: f64) -> NegBin {
        let ln_p = -(t / alpha).ln_1p();
        NegBin {
            r,
            ln_p,
            ln_q: t.ln() - alpha.ln() + ln_p,
            q: t / (alpha + t),
        }
    }

    /// ln NB_j - ln NB_(j-1) = ln((r + j - 1) / j) + ln q.
    fn ln_ratio(&self, j: usize) -> f64 {
        ((self.r - 1.0) / j as f64).ln_1p() + self.ln_q
    }

    /// ln NB_j for j = 0..=n.
    fn ln_terms(&self, n: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(n + 1);
        let mut l = self.r * self.ln_p;
        out.push(l);
        for j in 1..=n {
            l += self.ln_ratio(j);
            out.push(l);
        }
        out
    }

    /// P(NB >= x) for x = 0..=n (n + 1 = the length of `ln_nb`): 1 - P(NB < x)
    /// while that is at least 1/2, else the sum of the terms from x up
    /// (positive terms: no cancellation).
    fn tails(&self, ln_nb: &[f64]) -> Vec<f64> {
        let n = ln_nb.len() - 1;
        let mut tail = vec![1.0; n + 1];
        let mut below = 0.0; // P(NB < x)
        let mut split = n + 1; // the first x whose tail is summed upward
        for x in 1..=n {
            below += ln_nb[x - 1].exp();
            if below > 0.5 {
                split = x;
                break;
            }
            tail[x] = 1.0 - below;
        }
        if split <= n {
            // P(NB >= n), then down to `split` adding the terms between.
            let mut upper = self.upper_tail(n, ln_nb[n]);
            tail[n] = upper;
            for x in (split..n).rev() {
                upper += ln_nb[x].exp();
                tail[x] = upper;
            }
        }
        tail
    }

    /// P(NB >= n) = sum over j >= n of NB_j, given ln NB_n: the terms
    /// relative to the largest so far are added (a running log-sum-exp:
    /// terms may still grow before the mode) until the rest is below the
    /// sum's last bit. The ratio of consecutive terms, (r + k) / (k + 1) q,
    /// falls toward q as k grows (r > 1) or rises to it (r <= 1), so with rho
    /// the larger of the next ratio and q, the rest is at most
    /// term rho / (1 - rho). NaN after [`MAX_TAIL_TERMS`] terms.
    fn upper_tail(&self, n: usize, ln_first: f64) -> f64 {
        // the sum is e^top * s
        let (mut top, mut s, mut l) = (ln_first, 1.0, ln_first);
        for j in n + 1..n + MAX_TAIL_TERMS {
            l += self.ln_ratio(j);
            if l > top {
                s = s * (top - l).exp() + 1.0;
                top = l;
                continue;
            }
            let term = (l - top).exp();
            s += term;
            let rho = self.ln_ratio(j + 1).exp().max(self.q);
            if rho < 1.0 && term * rho / (1.0 - rho) <= s * f64::EPSILON * 0.5 {
                return (top + s.ln()).exp();
            }
        }
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::bg_population_expected;
    use crate::special::ln_gamma;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    /// Eq. (8) term by term with gamma functions, for small x (the oracle).
    fn textbook(p: &BgParams, t: f64, x: usize) -> f64 {
        let [r, alpha, a, b] = *p;
        let xf = x as f64;
        let lbeta = |u: f64, v: f64| ln_gamma(u) + ln_gamma(v) - ln_gamma(u + v);
        let nb = |j: f64| {
            (ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0)
                + r * (alpha / (alpha + t)).ln()
                + j * (t / (alpha + t)).ln())
            .exp()
        };
        let first = (lbeta(a, b + xf) - lbeta(a, b)).exp() * nb(xf);
        if x == 0 {
            return first;
        }
        // P(NB >= x) as the plain sum of its terms (not 1 - P(NB < x), which
        // has no digits left far in the tail), until they no longer count
        // past the mode.
        let mode = ((r - 1.0) * t / alpha).max(0.0);
        let (mut tail, mut j) = (0.0, xf);
        loop {
            let term = nb(j);
            tail += term;
            if j > mode && term < 1e-20 * tail {
                break;
            }
            j += 1.0;
        }
        first + (lbeta(a + 1.0, b + xf - 1.0) - lbeta(a, b)).exp() * tail
    }

    const CDNOW: BgParams = [0.243, 4.414, 0.793, 2.426];

    #[test]
    fn equals_the_textbook_form() {
        for p in [CDNOW, [2.5, 1.5, 0.4, 6.0], [1.0, 1.0, 1.0, 1.0]] {
            for t in [0.5, 10.0, 38.86, 200.0] {
                let got = bg_probability_of_purchases(&p, t, 12).unwrap();
                for (x, g) in got.iter().enumerate() {
                    let want = textbook(&p, t, x);
                    assert!(close(*g, want, 1e-11), "{p:?} t={t} x={x}: {g} vs {want}");
                }
            }
        }
    }

    /// One customer by hand: r = alpha = a = b = 1, t = 1: p = q = 1/2,
    /// NB_j = 2^-(j+1), beta_1 = B(1, 2) / B(1, 1) = 1/2, P(NB >= 1) = 1/2:
    /// P(X = 0) = 1/2, P(X = 1) = 1/2 (1/4 + 1/1 * 1/2) = 3/8.
    #[test]
    fn by_hand() {
        let got = bg_probability_of_purchases(&[1.0, 1.0, 1.0, 1.0], 1.0, 1).unwrap();
        assert!(
            close(got[0], 0.5, 1e-15) && close(got[1], 0.375, 1e-15),
            "{got:?}"
        );
        let zero = bg_probability_of_purchases(&CDNOW, 0.0, 3).unwrap();
        assert_eq!(zero, vec![1.0, 0.0, 0.0, 0.0]);
    }

    /// A distribution: it adds up to 1 and its mean is E[X(t)] of the
    /// hypergeometric closed form (an independent formula, eq. 9).
    #[test]
    fn sums_to_one_with_the_population_mean() {
        for (p, t, n) in [
            (CDNOW, 38.86, 4_000),
            (CDNOW, 78.0, 8_000),
            ([2.5, 1.5, 0.4, 6.0], 30.0, 6_000),
            ([0.8, 0.1, 2.0, 1.0], 5.0, 20_000),
        ] {
            let pmf = bg_probability_of_purchases(&p, t, n).unwrap();
            let total: f64 = pmf.iter().sum();
            let mean: f64 = pmf.iter().enumerate().map(|(x, v)| x as f64 * v).sum();
            let want = bg_population_expected(&p, t).unwrap();
            assert!(close(total, 1.0, 1e-12), "{p:?} t={t}: sum {total}");
            assert!(
                close(mean, want, 1e-9),
                "{p:?} t={t}: mean {mean} vs {want}"
            );
            assert!(pmf.iter().all(|v| (0.0..=1.0).contains(v)));
        }
    }

    /// Far in the tail the probabilities keep their relative precision,
    /// where 1 - P(NB < x) has no digits left (P(X = 20) is about 1e-13).
    #[test]
    fn tail_keeps_its_digits() {
        let p = [0.5, 2.0, 0.7, 3.0];
        let pmf = bg_probability_of_purchases(&p, 1.0, 60).unwrap();
        for x in [5, 10, 20, 40] {
            let want = textbook(&p, 1.0, x);
            assert!(close(pmf[x], want, 1e-11), "x={x}: {} vs {want}", pmf[x]);
        }
        // Beyond, the terms decrease like NB_x / x^a: strictly, and positive.
        assert!(pmf[40] > 0.0 && pmf[60] < pmf[40] * 1e-6);
    }

    #[test]
    fn errors() {
        assert!(bg_probability_of_purchases(&CDNOW, -1.0, 3).is_err());
        assert!(bg_probability_of_purchases(&CDNOW, f64::NAN, 3).is_err());
        assert!(bg_probability_of_purchases(&[0.0, 1.0, 1.0, 1.0], 1.0, 3).is_err());
        let e = bg_probability_of_purchases(&CDNOW, 1.0, MAX_PURCHASES + 1).unwrap_err();
        assert!(e.to_string().contains("CLV4"), "{e}");
    }

    /// The CDNOW sample at the published parameters: summed over the
    /// customers, the expected numbers of customers per count add up to the
    /// customers, and their mean to the model's expected calibration purchases.
    #[test]
    fn cdnow_customers_add_up() {
        let text = include_str!("testdata/cdnow_sample_summary.csv");
        let ts: Vec<f64> = text
            .lines()
            .skip(2)
            .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
            .collect();
        assert_eq!(ts.len(), 2_357);
        let (mut customers, mut purchases, mut expected) = (0.0, 0.0, 0.0);
        for &t in &ts {
            let pmf = bg_probability_of_purchases(&CDNOW, t, 400).unwrap();
            customers += pmf.iter().sum::<f64>();
            purchases += pmf
                .iter()
                .enumerate()
                .map(|(x, v)| x as f64 * v)
                .sum::<f64>();
            expected += bg_population_expected(&CDNOW, t).unwrap();
        }
        assert!(close(customers, 2_357.0, 1e-10), "{customers}");
        assert!(
            close(purchases, expected, 1e-9),
            "{purchases} vs {expected}"
        );
    }
}
